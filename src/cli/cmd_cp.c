// SPDX-License-Identifier: Apache-2.0
/*
 * cmd_cp.c - famfs cp: copy local files and trees into famfs, in three
 * steps:
 *   1. plan (cp_plan.c), with no lock: walk the sources without following
 *      links below an operand, describe each by fstat of its descriptor;
 *   2. check, holding the log lock: catch up, check names and log slots,
 *      dry-run the allocator over the whole copy (a copy that does not fit
 *      logs nothing), and log the directories;
 *   3. then, file by file: take the lock to zero the memory the dry run
 *      found and log the file with it, release it, and copy the bytes
 *      (reopening the source: no link followed, the same file as planned)
 *      into that memory, flushed.
 * The log lock is held for allocation and log appends only, never while
 * data moves, so one large copy does not stall every other create on the
 * host (or a mkdir through the mount). The data goes only into memory that
 * is already committed to its file: whatever happens to this process, no
 * other file can get that memory, nothing committed is damaged, and a
 * crash leaves at most the one file being copied short of its bytes (zeros
 * where it was not copied yet). The memory is zeroed before the commit, as
 * famfs creat zeroes it: from the commit on, anyone who may read the file
 * may read it while it is copied, or after cp was interrupted, and must see
 * zeros there, never a former file's bytes. Zeroing is one pass of
 * non-temporal stores, a small part of the copy's cost.
 * Copying into memory allocated but not yet logged, and logging after,
 * would be no faster and is unsafe: another writer could allocate and log
 * that memory meanwhile, and the copy would overwrite its file.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "famfs/audit.h"
#include "famfs/err.h"
#include "famfs/ns.h"
#include "famfs/path.h"
#include "cli.h"
#include "cp.h"

static const char help[] =
"usage: famfs cp [-r] [-t THREADS] [-v] [-m MODE] [-u UID] [-g GID] [-N NSTRIPS]\n"
"                [-B NBUCKETS] [-C CHUNK] SRC... DEST\n"
"\n"
"Copy local files into famfs, like cp(1): into the directory DEST, or to\n"
"the new name DEST for a single SRC. Each file gets space of its own size,\n"
"is logged, filled from SRC and flushed from the CPU caches. Everything is\n"
"checked first: existing destination files, empty source files (famfs\n"
"files cannot be empty; upstream refuses them too), sources that are not\n"
"regular files, free log entries, and room on the device, by running the\n"
"allocator over the whole copy; a copy that does not fit logs nothing and\n"
"names the largest free run. The log lock is held only while the copy is\n"
"logged, not while data is copied. A SRC operand that is a symbolic link\n"
"is followed; inside a tree no link is followed: links are skipped with a\n"
"warning (famfs has no symbolic links), and a file that is replaced by a\n"
"link or another file before its bytes are copied is not copied (an\n"
"error). A directory is not copied into itself. A progress bar is drawn on\n"
"stderr when stdout is a terminal and the copy is over 64 MiB.\n"
"As upstream's, a destination file that exists with the source's size is\n"
"copied again (nothing is logged), so an interrupted copy can be run\n"
"again; another size is an error. A directory SRC without -r (from a\n"
"wildcard, say) is named and left out, the rest is copied, and cp exits 1.\n"
"\n"
"  -r, --recursive        copy directories and everything below them\n"
"  -t, --threadct N       copy N files at a time (1..256, default 1)\n"
"  -v, --verbose          print each file and directory copied\n"
"  -m, --mode MODE        octal permission bits of new files (default: the\n"
"                         source's)\n"
"  -u, --uid UID          owner (default: the caller)\n"
"  -g, --gid GID          group (default: the caller's group)\n"
"  -N, --nstrips N        interleave new files over N strips\n"
"  -B, --nbuckets N       interleave buckets\n"
"  -C, --chunksize SIZE   interleave chunk size. Without -N, -B and -C, a\n"
"                         mount's .meta/.alloc.cfg gives them, if it has one\n"
"  -h, -?, --help         this help\n"
"\n"
"Example:\n"
"  famfs cp -r ./dataset /mnt/famfs/\n"
"  famfs --device /dev/shm/famfs0 cp big.bin a/b/big.bin\n";

/* Would the copy of directory @src to @rel in the mount of @t land inside @src? */
static bool into_itself(const char *src, const struct cli_target *t, const char *rel)
{
	char real[PATH_MAX], dst[PATH_MAX * 2];
	size_t l;

	if (!t->mnt[0] || !realpath(src, real))
		return false;
	snprintf(dst, sizeof(dst), "%s/%s", strcmp(t->mnt, "/") ? t->mnt : "", rel);
	l = strlen(real);
	if (l == 1)
		return true;	/* the source is / */
	return !strncmp(dst, real, l) && (dst[l] == '/' || dst[l] == '\0');
}

/* -v: "SRC -> DEST" for an item copied, DEST in the mount @mnt ("": --device). */
static void say_copied(const struct cp_item *it, const char *mnt)
{
	cli_fputs_esc(stdout, it->src);
	fputs(" -> ", stdout);
	if (mnt[0]) {
		cli_fputs_esc(stdout, strcmp(mnt, "/") ? mnt : "");
		putchar('/');
	}
	cli_fputs_esc(stdout, it->rel);
	printf("%s\n", it->existing ? " (copied again into the existing file)" :
	       it->dir ? "/" : "");
}

/* Step 2: check the whole copy, log nothing unless all of it fits, then the directories. */
static int commit_dirs(struct cp_plan *p, struct famfs_fs *fs, const struct cli_target *t,
		       const char *dest, uint32_t uid, uint32_t gid,
		       const struct famfs_interleave_param *ipp)
{
	struct cp_item *it = NULL;
	int rc;

	famfs_errclear();
	rc = famfs_fs_begin(fs);
	if (rc)
		return cli_fail(dest, rc);
	if (cp_plan_check(p, fs, ipp)) {
		famfs_fs_end(fs);
		return CLI_FAIL;
	}
	for (size_t i = 0; i < p->n && !rc; i++) {
		it = &p->it[i];
		if (it->skip || !it->dir)
			continue;
		famfs_errclear();
		rc = famfs_fs_mkdir(fs, it->rel, it->mode, uid, gid, false);
		if (!rc && cli_verbose)
			say_copied(it, t->mnt);
	}
	famfs_fs_end(fs);
	return rc ? cli_fail(it->src, rc) : CLI_OK;
}

/*
 * Step 3, under the lock for this file only: zero the memory the dry run
 * found and log the file with it. Only another writer on this host can have
 * taken that memory since (-EBUSY); the file then gets what the allocator
 * finds now, zeroed the same way.
 */
static int commit_file(struct cp_item *it, struct famfs_fs *fs, uint32_t uid, uint32_t gid,
		       const struct famfs_interleave_param *ipp)
{
	int rc;

	famfs_errclear();
	rc = famfs_fs_creat_map(fs, it->rel, it->size, it->mode, uid, gid, &it->fmap,
				&it->node);
	if (rc == -EBUSY) {
		famfs_errclear();
		rc = famfs_fs_creat_flags(fs, it->rel, it->size, it->mode, uid, gid, ipp,
					  0, &it->node);
	}
	return rc;
}

struct copy_ctx {
	int fd;
	uint64_t want;		/* bytes to copy */
	struct cli_progress *prog;
	pthread_mutex_t *lock;	/* the progress bar and the log are shared by threads */
};

static int copy_run(void *ctx, uint64_t off, uint8_t *p, uint64_t len)
{
	struct copy_ctx *c = ctx;
	uint64_t done = 0;
	ssize_t r;

	if (off >= c->want)
		return 0;
	if (len > c->want - off)
		len = c->want - off;
	while (done < len) {
		size_t n = len - done > (8u << 20) ? (8u << 20) : (size_t)(len - done);

		r = pread(c->fd, p + done, n, (off_t)(off + done));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return famfs_err(-EIO, "it shrank while being copied (end of file at %"
					 PRIu64 " of %" PRIu64 " bytes)", off + done, c->want);
		famfs_flush(p + done, (size_t)r);
		famfs_audit_published(p + done, (size_t)r, "famfs cp");
		done += (uint64_t)r;
		pthread_mutex_lock(c->lock);
		cli_progress_add(c->prog, (uint64_t)r);
		pthread_mutex_unlock(c->lock);
	}
	return 0;
}

/*
 * Step 3 for one file: open its source again (the same file as planned, no
 * link followed), and only then log it, so a source that was swapped or
 * changed gets an error and no famfs file; then copy its bytes outside the
 * lock.
 */
static int copy_one(const struct cp_plan *p, struct cp_item *it, struct famfs_fs *fs,
		    uint32_t uid, uint32_t gid, const struct famfs_interleave_param *ipp,
		    struct cli_progress *prog, pthread_mutex_t *lock)
{
	struct copy_ctx cc = { .prog = prog, .lock = lock };
	uint64_t now = 0;
	int rc;

	famfs_errclear();
	cc.fd = cp_open_source(p, it, &now);
	if (cc.fd < 0)
		return cc.fd;
	if (now != it->size) {
		close(cc.fd);
		return famfs_err(-ESTALE, "its size changed since the copy was planned (%" PRIu64
				 " bytes then, %" PRIu64 " now); not copied", it->size, now);
	}
	/* an existing file of this size is copied again; nothing to log */
	pthread_mutex_lock(lock);
	rc = it->existing ? 0 : commit_file(it, fs, uid, gid, ipp);
	pthread_mutex_unlock(lock);
	if (rc) {
		close(cc.fd);
		return rc;
	}
	cc.want = it->size;
	rc = cli_for_each_run(fs, it->node, copy_run, &cc);
	close(cc.fd);
	return rc;
}

struct copy_all {
	struct cp_plan *p;
	struct famfs_fs *fs;
	uint32_t uid, gid;
	const struct famfs_interleave_param *ipp;
	struct cli_progress prog;
	pthread_mutex_t lock;		/* the log (libfamfs is not thread-safe) and prog */
	struct cp_item **files;
	int *rc;
	char (*why)[512];		/* each failure's detail (famfs_errmsg is per thread) */
};

static void copy_job(void *ctx, size_t i)
{
	struct copy_all *a = ctx;

	famfs_errclear();
	a->rc[i] = copy_one(a->p, a->files[i], a->fs, a->uid, a->gid, a->ipp, &a->prog,
			    &a->lock);
	snprintf(a->why[i], sizeof(a->why[i]), "%s", a->rc[i] && *famfs_errmsg() ?
		 famfs_errmsg() : a->rc[i] ? strerror(-a->rc[i]) : "");
}

/*
 * Step 3: every file, each on its own: logged under the lock, copied
 * outside it, on up to @threads threads (-t). An error is reported and the
 * other files go on.
 */
static int copy_all(struct cp_plan *p, struct famfs_fs *fs, uint32_t uid, uint32_t gid,
		    const struct famfs_interleave_param *ipp, unsigned int threads,
		    const struct cli_target *t)
{
	struct copy_all a = { .p = p, .fs = fs, .uid = uid, .gid = gid, .ipp = ipp,
			      .lock = PTHREAD_MUTEX_INITIALIZER };
	size_t n = 0;
	int failed = 0;

	a.files = calloc(p->n ? p->n : 1, sizeof(*a.files));
	a.rc = calloc(p->n ? p->n : 1, sizeof(*a.rc));
	a.why = calloc(p->n ? p->n : 1, sizeof(*a.why));
	if (!a.files || !a.rc || !a.why) {
		free(a.files);
		free(a.rc);
		free(a.why);
		return cli_fail(t->mnt, -ENOMEM);
	}
	for (size_t i = 0; i < p->n; i++)
		if (!p->it[i].skip && !p->it[i].dir)
			a.files[n++] = &p->it[i];
	cli_progress_init(&a.prog, p->bytes, isatty(STDOUT_FILENO) && p->bytes > (64ULL << 20));
	cli_parallel(threads, n, copy_job, &a);
	cli_progress_done(&a.prog);
	for (size_t i = 0; i < n; i++) {
		if (a.rc[i]) {
			cli_failf(a.files[i]->src, "%s", a.why[i]);
			failed++;
		} else if (cli_verbose) {
			say_copied(a.files[i], t->mnt);
		}
	}
	free(a.files);
	free(a.rc);
	free(a.why);
	return failed ? CLI_FAIL : CLI_OK;
}

/* The destination of operand @src: inside DEST when it is a directory. */
static int dest_rel(const char *src, const struct cli_target *t, bool dest_dir, char *rel,
		    size_t relsz)
{
	char base[PATH_MAX];
	int n;

	if (!dest_dir) {
		snprintf(rel, relsz, "%s", t->rel);
		return CLI_OK;
	}
	snprintf(base, sizeof(base), "%s", src);
	for (size_t l = strlen(base); l > 1 && base[l - 1] == '/'; l--)
		base[l - 1] = '\0';
	n = snprintf(rel, relsz, "%s%s%s", t->rel, t->rel[0] ? "/" : "", basename(base));
	if (n < 0 || (size_t)n >= relsz || (size_t)n >= FAMFS_OMF_PATH_MAX)
		return cli_failf(src, "destination path is longer than %d bytes",
				 FAMFS_OMF_PATH_MAX - 1);
	return CLI_OK;
}

int cmd_cp(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "recursive", no_argument, NULL, 'r' },
		{ "threadct", required_argument, NULL, 't' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "mode", required_argument, NULL, 'm' },
		{ "uid", required_argument, NULL, 'u' },
		{ "gid", required_argument, NULL, 'g' },
		{ "nstrips", required_argument, NULL, 'N' },
		{ "nbuckets", required_argument, NULL, 'B' },
		{ "chunksize", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct famfs_interleave_param ip = { 0 };
	const struct famfs_interleave_param *ipp;
	struct cp_plan plan = { 0 };
	uint32_t uid = getuid(), gid = getgid();
	char rel[PATH_MAX];
	const char *dest;
	struct cli_target t;
	struct famfs_fs *fs;
	struct famfs_node *dn;
	bool dest_dir;
	struct stat st;
	unsigned int threads = 1;
	int c, rc, nsrc;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":rt:vm:u:g:N:B:C:h", lopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			plan.recursive = true;
			break;
		case 't':
			if (cli_parse_threads(optarg, &threads))
				return CLI_USAGE;
			break;
		case 'v':
			cli_verbose++;
			break;
		case 'm':
			plan.mode_set = true;
			/* fall through */
		case 'u': case 'g':
			if (cli_parse_ids(c, optarg, &plan.mode, &uid, &gid))
				return CLI_USAGE;
			break;
		case 'N': case 'B': case 'C':
			if (cli_parse_interleave(c, optarg, &ip))
				return CLI_USAGE;
			break;
		case 'h':
			return cli_help(help);
		default:
			return cli_getopt_error(c, argv);
		}
	}
	nsrc = argc - optind - 1;
	if (nsrc < 1)
		return cli_usage(nsrc < 0 ? "missing SRC and DEST" : "missing DEST");
	dest = argv[argc - 1];
	if (cli_target(dest, &t))
		return CLI_FAIL;
	fs = cli_fs_open(&t, true, dest);
	if (!fs || cli_require_master(fs, dest) ||
	    (!famfs_interleave_enabled(&ip) && cli_alloc_cfg(&t, &ip)) ||
	    cli_check_interleave(fs, dest, &ip, &ipp))
		return CLI_FAIL;
	/* Step 1, with no lock: directories stay directories (famfs renames nothing). */
	famfs_errclear();
	famfs_fs_catchup(fs);
	dn = famfs_ns_resolve(fs->ns, t.rel);
	dest_dir = dn && S_ISDIR(dn->mode);
	rc = CLI_FAIL;
	if (nsrc > 1 && !dest_dir) {
		cli_failf(dest, dn ? "not a directory" : "no such directory");
		goto out;
	}
	for (int i = optind; i < argc - 1; i++) {
		const char *src = argv[i];

		if (stat(src, &st)) {
			cli_fail(src, -errno);
			goto out;
		}
		if (dest_rel(src, &t, dest_dir, rel, sizeof(rel)))
			goto out;
		if (!rel[0]) {
			cli_failf(dest, "cannot copy onto the root directory");
			goto out;
		}
		if (S_ISDIR(st.st_mode) && into_itself(src, &t, rel)) {
			cli_failf(src, "cannot copy a directory into itself (%s)", dest);
			goto out;
		}
		if (cp_plan_operand(&plan, src, rel))
			goto out;
	}
	rc = commit_dirs(&plan, fs, &t, dest, uid, gid, ipp);
	if (rc == CLI_OK)
		rc = copy_all(&plan, fs, uid, gid, ipp, threads, &t);
	if (rc == CLI_OK && plan.omitted)
		rc = CLI_FAIL;	/* directories left out were named: upstream exits non-zero */
	if (plan.entries)
		cli_kick_logplay(&t);
out:
	cp_plan_free(&plan);
	return rc;
}
