// SPDX-License-Identifier: Apache-2.0
/*
 * cmd_creat.c - famfs creat: allocate and log files, zeroed (unless
 * --no-zero) or filled with the seeded pattern that famfs verify checks. As
 * upstream's, creat of a file that exists with the same size is a no-op
 * (with -r, a re-fill), and --multi creates and fills many files, filling
 * on several threads.
 *
 * On a mount, the mount's famfsd makes each new file that is not to be
 * filled (creat_famfsd.c): no log replay here, one request per file. With
 * --device, for a file to fill (whose pattern this process writes through
 * the device), for a path that exists already (whose size and type this
 * process checks in the replayed log), or with a famfsd too old for that,
 * this process replays the log and makes or finds the file itself.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "famfs/audit.h"
#include "famfs/err.h"
#include "famfs/ns.h"
#include "cli.h"

static const char help[] =
"usage: famfs creat [-s SIZE] [-r] [-S SEED] [--no-zero] [-N NSTRIPS] [-B NBUCKETS]\n"
"                   [-C CHUNK] [-m MODE] [-u UID] [-g GID] [-v] FILE\n"
"       famfs creat -M FILE,SIZE[,SEED] [-M ...] [-t THREADS] [options] \n"
"\n"
"Allocate SIZE bytes of the device for a new file FILE and log it. The size\n"
"never changes afterwards. Only the master host may create files. The new\n"
"file reads zeros: its memory is zeroed (and flushed) before it is logged.\n"
"A FILE that exists already with the same size (or any size when -s is not\n"
"given) is left as it is and creat exits 0; with -r it is filled again. A\n"
"FILE of another size is an error.\n"
"\n"
"  -s, --size SIZE        file size in bytes; K, M, G, T suffixes (powers of\n"
"                         1024). Needed for a new file, must be > 0\n"
"  -r, --randomize        fill the file with a pseudo-random pattern and\n"
"                         flush it from the CPU caches\n"
"  -S, --seed SEED        pattern seed for -r (default 1); check with verify\n"
"      --no-zero          do not zero the memory: the file shows whatever it\n"
"                         held before (a former file's bytes after mkfs -f),\n"
"                         for callers that write the whole file anyway\n"
"  -M, --multi F,SIZE[,SEED]  create (or find) F; with a SEED other than 0,\n"
"                         fill it with that seed. Repeatable; not with FILE,\n"
"                         -s, -r or -S. A SIZE of 0 takes an existing F's size.\n"
"                         One F may be filled (given a SEED) only once\n"
"  -t, --threadct N       fill the files of -M on N threads (0..256, default\n"
"                         the number of CPUs; 0 fills them one by one)\n"
"  -N, --nstrips N        interleave over N strips (1..16)\n"
"  -B, --nbuckets N       split the device into N buckets (1..64)\n"
"  -C, --chunksize SIZE   interleave chunk size (power of 2, multiple of 2M)\n"
"                         Without -N, -B and -C, a mount's .meta/.alloc.cfg\n"
"                         gives them when famfsd serves one\n"
"  -m, --mode MODE        octal permission bits (default 0644)\n"
"  -u, --uid UID          owner (default: the caller)\n"
"  -g, --gid GID          group (default: the caller's group)\n"
"  -v, --verbose          say what was created, found or filled\n"
"  -?, --help             this help\n"
"\n"
"Example:\n"
"  famfs creat -s 10M -r -S 7 /mnt/famfs/f\n"
"  famfs creat -M /mnt/famfs/a,1G,1 -M /mnt/famfs/b,1G,2 -t 2\n"
"  famfs --device /dev/shm/famfs0 creat -s 1G -N 4 -B 8 -C 2M big\n";

/* One file to create or find, and maybe fill. */
struct job {
	struct cli_file_job f;		/* first: cli_walk_files' view of it */
	uint64_t size;			/* 0: any (an existing file's) */
	bool fill;
	uint64_t seed;
	bool no_size;			/* FILE without -s: a usage error if new */
	int rc;				/* creat_one's result */
};

struct creat_opts {
	bool zero;			/* not --no-zero */
	uint32_t mode, uid, gid;
	struct famfs_interleave_param ip;
	unsigned int threads;
};

/* Parse "F,SIZE[,SEED]" of -M into @j. CLI_OK or CLI_USAGE. */
static int parse_multi(char *arg, struct job *j)
{
	char *size = strchr(arg, ','), *seed;

	if (!size || size == arg)
		return cli_usage("bad --multi '%s' (FILE,SIZE[,SEED])", arg);
	*size++ = '\0';
	seed = strchr(size, ',');
	if (seed)
		*seed++ = '\0';
	j->f.path = arg;
	if (cli_parse_size(size, &j->size))
		return cli_usage("bad size '%s' in --multi %s", size, arg);
	if (seed && cli_parse_uint(seed, UINT64_MAX, &j->seed))
		return cli_usage("bad seed '%s' in --multi %s", seed, arg);
	j->fill = seed && j->seed;
	return CLI_OK;
}

/*
 * Create @j's file, or find it when it exists with a size that fits.
 * Leaves j->f.t set; returns CLI_OK or CLI_FAIL (printed).
 */
static int creat_one(struct job *j, struct creat_opts *o)
{
	struct famfs_interleave_param ip = o->ip;
	const struct famfs_interleave_param *ipp;
	const struct famfs_node *n;
	struct famfs_fs *fs;
	int rc;

	/* Without -s only an existing famfs file will do: else, bad usage. */
	cli_quiet = j->no_size;
	rc = cli_target(j->f.path, &j->f.t);
	cli_quiet = false;
	if (rc)
		return j->no_size ? cli_usage("missing -s SIZE") : CLI_FAIL;
	if (!j->f.t.rel[0])
		return cli_failf(j->f.path, "is the root directory");
	if (cli_refuse_meta(j->f.path, j->f.t.rel))
		return CLI_FAIL;
	/* A read-only mount makes nothing, but an existing file is still a no-op. */
	if (j->f.t.mnt[0] && !j->f.t.ro && !j->fill && !j->no_size && j->size) {
		struct cli_creat_args a = {
			.size = j->size, .mode = o->mode, .uid = o->uid, .gid = o->gid,
			.zero = o->zero,
		};

		if (!famfs_interleave_enabled(&ip) && cli_alloc_cfg(&j->f.t, &ip))
			return CLI_FAIL;
		a.ip = famfs_interleave_enabled(&ip) ? &ip : NULL;
		/*
		 * famfsd has the file system replayed: it makes a new file. One
		 * that exists (EEXIST) is looked at below, as without famfsd.
		 */
		rc = cli_creat_famfsd(&j->f.t, j->f.path, &a);
		if (rc == CLI_OK && cli_verbose)
			cli_sayf(j->f.path, "created, %" PRIu64 " bytes", j->size);
		if (rc != CLI_NOT_SERVED)
			return rc;
	}
	/* Opened to write (a writer is told of a damaged log when it logs) unless -r. */
	fs = cli_fs_open(&j->f.t, !j->f.t.ro, j->f.path);
	if (!fs)
		return CLI_FAIL;
	n = famfs_ns_resolve(fs->ns, j->f.t.rel);
	if (n) {
		if (!S_ISREG(n->mode))
			return cli_failf(j->f.path, "exists and is not a regular file");
		if (j->size && j->size != n->size)
			return cli_failf(j->f.path, "exists with %" PRIu64 " bytes, not %" PRIu64
					 " (famfs files never change size)", n->size, j->size);
		if (cli_verbose)
			cli_sayf(j->f.path, "exists with %" PRIu64 " bytes: nothing to create",
				 n->size);
		j->size = n->size;
		return CLI_OK;
	}
	if (j->no_size)
		return cli_usage("missing -s SIZE (%s does not exist yet)", j->f.path);
	if (!j->size)
		return cli_failf(j->f.path, "size 0: famfs files cannot be empty");
	fs = cli_fs_open(&j->f.t, true, j->f.path);
	if (!fs)
		return CLI_FAIL;
	if (cli_require_master(fs, j->f.path) ||
	    (!famfs_interleave_enabled(&ip) && cli_alloc_cfg(&j->f.t, &ip)) ||
	    cli_check_interleave(fs, j->f.path, &ip, &ipp))
		return CLI_FAIL;
	famfs_errclear();
	/*
	 * A file to fill (-r, or a seed in --multi) gets every byte written once
	 * it is logged: zeroed first all the same, since it may be read from the
	 * commit on.
	 */
	rc = famfs_fs_creat_flags(fs, j->f.t.rel, j->size, o->mode, o->uid, o->gid, ipp,
				  o->zero ? 0 : FAMFS_CREAT_NOZERO, &n);
	if (rc)
		return cli_fail(j->f.path, rc);
	cli_kick_logplay(&j->f.t);
	if (cli_verbose)
		cli_sayf(j->f.path, "created, %" PRIu64 " bytes", j->size);
	return CLI_OK;
}

static int fill_run(void *ctx, uint64_t off, uint8_t *p, uint64_t len)
{
	const struct job *j = ctx;

	cli_pattern_fill(j->seed, off, p, len);
	famfs_flush(p, len);
	famfs_audit_published(p, len, "famfs creat -r");
	return 0;
}

/*
 * Two --multi fills of one file would run at once on two threads and leave
 * bytes of neither seed: refuse them as bad usage before anything is
 * created. Paths that do not resolve are left to creat_one to report.
 */
static int check_twice(struct job *jobs, size_t njobs)
{
	int ret = CLI_OK;

	cli_quiet = true;
	for (size_t i = 0; i < njobs; i++)
		if (jobs[i].fill && cli_target(jobs[i].f.path, &jobs[i].f.t))
			jobs[i].f.t.dev[0] = '\0';
	cli_quiet = false;
	for (size_t i = 0; i < njobs && !ret; i++) {
		for (size_t k = i + 1; k < njobs && !ret; k++) {
			const struct cli_target *a = &jobs[i].f.t, *b = &jobs[k].f.t;

			if (jobs[i].fill && jobs[k].fill && a->dev[0] && !strcmp(a->dev, b->dev) &&
			    !strcmp(a->rel, b->rel))
				ret = cli_usage("--multi fills %s twice (as %s and %s): its bytes "
						"would be of neither seed; name each file once",
						a->rel, jobs[i].f.path, jobs[k].f.path);
		}
	}
	return ret;
}

/* Fill every created job that asks for it, on the threads. */
static int fill_all(struct job *jobs, size_t njobs, unsigned int threads)
{
	struct cli_file_job **todo = calloc(njobs ? njobs : 1, sizeof(*todo));
	size_t n = 0;
	int ret;

	if (!todo)
		return cli_fail("creat", -ENOMEM);
	for (size_t i = 0; i < njobs; i++)
		if (jobs[i].fill && jobs[i].rc == CLI_OK)
			todo[n++] = &jobs[i].f;
	ret = cli_walk_files(todo, n, true, threads, fill_run);
	for (size_t i = 0; i < n; i++) {
		const struct job *j = (const struct job *)todo[i];

		if (j->f.rc == -ECANCELED)
			continue;
		if (j->f.rc)
			ret = cli_fail(j->f.path, j->f.rc);
		else if (cli_verbose)
			cli_sayf(j->f.path, "filled, %" PRIu64 " bytes, seed %" PRIu64,
				 j->f.size, j->seed);
	}
	free(todo);
	return ret;
}

int cmd_creat(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "size", required_argument, NULL, 's' },
		{ "randomize", no_argument, NULL, 'r' },
		{ "seed", required_argument, NULL, 'S' },
		{ "no-zero", no_argument, NULL, 'Z' },
		{ "multi", required_argument, NULL, 'M' },
		{ "threadct", required_argument, NULL, 't' },
		{ "nstrips", required_argument, NULL, 'N' },
		{ "nbuckets", required_argument, NULL, 'B' },
		{ "chunksize", required_argument, NULL, 'C' },
		{ "mode", required_argument, NULL, 'm' },
		{ "uid", required_argument, NULL, 'u' },
		{ "gid", required_argument, NULL, 'g' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct creat_opts o = { .zero = true, .mode = 0644, .uid = getuid(), .gid = getgid() };
	struct job single = { .seed = 1 }, *jobs;
	bool have_size = false, have_seed = false;
	size_t njobs = 0;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int c, ret = CLI_OK;

	o.threads = ncpu > 0 ? (unsigned int)(ncpu > 256 ? 256 : ncpu) : 1;
	jobs = calloc((size_t)argc, sizeof(*jobs));
	if (!jobs)
		return cli_fail("creat", -ENOMEM);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":s:rS:M:t:N:B:C:m:u:g:vh", lopts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (cli_parse_size(optarg, &single.size)) {
				ret = cli_usage("bad size '%s'", optarg);
				goto out;
			}
			have_size = true;
			break;
		case 'r':
			single.fill = true;
			break;
		case 'Z':
			o.zero = false;
			break;
		case 'S':
			if (cli_parse_uint(optarg, UINT64_MAX, &single.seed)) {
				ret = cli_usage("bad seed '%s'", optarg);
				goto out;
			}
			have_seed = true;
			break;
		case 'M':
			if ((ret = parse_multi(optarg, &jobs[njobs])))
				goto out;
			njobs++;
			break;
		case 't':
			if ((ret = cli_parse_threads(optarg, &o.threads)))
				goto out;
			break;
		case 'N': case 'B': case 'C':
			if ((ret = cli_parse_interleave(c, optarg, &o.ip)))
				goto out;
			break;
		case 'm': case 'u': case 'g':
			if ((ret = cli_parse_ids(c, optarg, &o.mode, &o.uid, &o.gid)))
				goto out;
			break;
		case 'v':
			cli_verbose++;
			break;
		case 'h':
			ret = cli_help(help);
			goto out;
		default:
			ret = cli_getopt_error(c, argv);
			goto out;
		}
	}
	if (njobs) {
		if (optind != argc || have_size || have_seed || single.fill) {
			ret = cli_usage("--multi goes with neither FILE nor -s, -r or -S");
			goto out;
		}
	} else {
		if (optind + 1 != argc) {
			ret = cli_usage(optind >= argc ? "missing FILE" : "exactly one FILE expected");
			goto out;
		}
		single.f.path = argv[optind];
		single.no_size = !have_size;
		jobs[njobs++] = single;
	}
	if (njobs > 1 && (ret = check_twice(jobs, njobs)))
		goto out;
	for (size_t i = 0; i < njobs; i++) {
		jobs[i].rc = creat_one(&jobs[i], &o);
		if (jobs[i].rc && ret != CLI_USAGE)
			ret = jobs[i].rc;
	}
	if (fill_all(jobs, njobs, o.threads))
		ret = CLI_FAIL;
out:
	free(jobs);
	return ret;
}
