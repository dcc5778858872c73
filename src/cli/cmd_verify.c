// SPDX-License-Identifier: Apache-2.0
/*
 * cmd_verify.c - famfs verify: check files' bytes in the device against
 * the seeded pattern of famfs creat -r, one file or many (--multi) on
 * several threads.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "famfs/err.h"
#include "famfs/ns.h"
#include "cli.h"

static const char help[] =
"usage: famfs verify -S SEED -f FILE [-q] [-v]\n"
"       famfs verify -m FILE,SEED [-m ...] [-t THREADS] [-q] [-v]\n"
"\n"
"Read files back from the device memory and compare every byte with the\n"
"pattern that 'famfs creat -r -S SEED' wrote. Reports the first mismatch.\n"
"\n"
"  -S, --seed SEED         the seed given to creat -r\n"
"  -f, --filename F        the file to check\n"
"  -m, --multi F,SEED      check F against SEED; repeatable, not with -S or\n"
"                          -f\n"
"  -t, --threadct N        check the files of -m on N threads (0..256,\n"
"                          default the number of CPUs; 0: one by one)\n"
"  -q, --quiet             print nothing on success (the default)\n"
"  -v, --verbose           print each file verified and its size\n"
"  -?, --help              this help\n"
"\n"
"Exit status: 0 every file matches, 1 a mismatch or an error, 2 bad usage.\n"
"\n"
"Example:\n"
"  famfs verify -S 7 -f /mnt/famfs/f\n"
"  famfs verify -m /mnt/famfs/a,1 -m /mnt/famfs/b,2 -t 2\n";

struct vjob {
	struct cli_file_job f;		/* first: cli_walk_files' view of it */
	uint64_t seed;
	int64_t bad;			/* first mismatching offset, or -1 */
};

static int check_run(void *ctx, uint64_t off, uint8_t *p, uint64_t len)
{
	struct vjob *j = ctx;

	famfs_invalidate(p, len);
	j->bad = cli_pattern_check(j->seed, off, p, len);
	return j->bad >= 0 ? 1 : 0;
}

/* Report job @j; CLI_OK or CLI_FAIL. */
static int report(const struct vjob *j)
{
	if (j->f.rc == -ECANCELED)
		return CLI_FAIL;	/* not checked: said why */
	if (j->f.rc < 0)
		return cli_fail(j->f.path, j->f.rc);
	if (j->bad >= 0)
		return cli_failf(j->f.path, "mismatch at offset %" PRId64 " (%#" PRIx64 ") of %"
				 PRIu64 " bytes (wrong seed, or the data changed)", j->bad,
				 (uint64_t)j->bad, j->f.size);
	if (cli_verbose)
		cli_sayf(j->f.path, "%" PRIu64 " bytes verified (seed %" PRIu64 ")",
			 j->f.size, j->seed);
	return CLI_OK;
}

/* Resolve every file, then check them on the threads, one device at a time. */
static int verify_all(struct vjob *jobs, size_t njobs, unsigned int threads)
{
	struct cli_file_job **ok = calloc(njobs ? njobs : 1, sizeof(*ok));
	size_t n = 0;
	int ret = CLI_OK;

	if (!ok)
		return cli_fail("verify", -ENOMEM);
	for (size_t i = 0; i < njobs; i++) {
		jobs[i].bad = -1;
		if (!cli_open_file(jobs[i].f.path, &jobs[i].f.t, &(struct famfs_fs *){ NULL },
				   false))
			ret = CLI_FAIL;
		else
			ok[n++] = &jobs[i].f;
	}
	if (cli_walk_files(ok, n, false, threads, check_run))
		ret = CLI_FAIL;
	for (size_t i = 0; i < n; i++)
		if (report((const struct vjob *)ok[i]))
			ret = CLI_FAIL;
	free(ok);
	return ret;
}

/* Parse "F,SEED" of -m into @j. CLI_OK or CLI_USAGE. */
static int parse_multi(char *arg, struct vjob *j)
{
	char *seed = strrchr(arg, ',');

	if (!seed || seed == arg || cli_parse_uint(seed + 1, UINT64_MAX, &j->seed))
		return cli_usage("bad --multi '%s' (FILE,SEED)", arg);
	*seed = '\0';
	j->f.path = arg;
	return CLI_OK;
}

int cmd_verify(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "seed", required_argument, NULL, 'S' },
		{ "filename", required_argument, NULL, 'f' },
		{ "multi", required_argument, NULL, 'm' },
		{ "threadct", required_argument, NULL, 't' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned int threads = ncpu > 0 ? (unsigned int)(ncpu > 256 ? 256 : ncpu) : 1;
	struct vjob single = { 0 }, *jobs;
	bool have_seed = false;
	size_t njobs = 0;
	int c, ret;

	jobs = calloc((size_t)argc, sizeof(*jobs));
	if (!jobs)
		return cli_fail("verify", -ENOMEM);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":S:f:m:t:qvh", lopts, NULL)) != -1) {
		switch (c) {
		case 'S':
			if (cli_parse_uint(optarg, UINT64_MAX, &single.seed)) {
				ret = cli_usage("bad seed '%s'", optarg);
				goto out;
			}
			have_seed = true;
			break;
		case 'f':
			single.f.path = optarg;
			break;
		case 'm':
			if ((ret = parse_multi(optarg, &jobs[njobs])))
				goto out;
			njobs++;
			break;
		case 't':
			if ((ret = cli_parse_threads(optarg, &threads)))
				goto out;
			break;
		case 'q':
			cli_verbose = 0;
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
	ret = CLI_USAGE;
	if (njobs && (have_seed || single.f.path))
		cli_usage("--multi goes with neither -S nor -f");
	else if (!njobs && !have_seed)
		cli_usage("missing -S SEED");
	else if (!njobs && !single.f.path)
		cli_usage("missing -f FILE");
	else if (optind != argc)
		cli_usage("unexpected argument '%s'", argv[optind]);
	else
		ret = CLI_OK;
	if (ret)
		goto out;
	if (!njobs)
		jobs[njobs++] = single;
	ret = verify_all(jobs, njobs, threads);
out:
	free(jobs);
	return ret;
}
