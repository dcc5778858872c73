// SPDX-License-Identifier: Apache-2.0
/*
 * cmd_verify.c - famfs verify: check a file's bytes in the device against
 * the seeded pattern of famfs creat -r.
 */
#include <errno.h>
#include <getopt.h>
#include <sys/stat.h>
#include <inttypes.h>

#include "famfs/err.h"
#include "famfs/ns.h"
#include "cli.h"

static const char help[] =
"usage: famfs verify -S SEED -f FILE\n"
"\n"
"Read FILE back from the device memory and compare every byte with the\n"
"pattern that 'famfs creat -r -S SEED' wrote. Reports the first mismatch.\n"
"\n"
"  -S, --seed SEED    the seed given to creat -r (required)\n"
"  -f, --filename F   the file to check (required)\n"
"  -h, --help         this help\n"
"\n"
"Exit status: 0 the file matches, 1 a mismatch or an error, 2 bad usage.\n"
"\n"
"Example:\n"
"  famfs verify -S 7 -f /mnt/famfs/f\n";

struct check_ctx {
	uint64_t seed;
	int64_t bad;
};

static int check_run(void *ctx, uint64_t off, uint8_t *p, uint64_t len)
{
	struct check_ctx *c = ctx;

	famfs_invalidate(p, len);
	c->bad = cli_pattern_check(c->seed, off, p, len);
	return c->bad >= 0 ? 1 : 0;
}

int cmd_verify(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "seed", required_argument, NULL, 'S' },
		{ "filename", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *path = NULL;
	uint64_t seed = 0;
	bool have_seed = false;
	struct check_ctx cc;
	struct cli_target t;
	struct famfs_fs *fs;
	const struct famfs_node *n;
	int c, rc;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":S:f:h", lopts, NULL)) != -1) {
		switch (c) {
		case 'S':
			if (cli_parse_uint(optarg, UINT64_MAX, &seed))
				return cli_usage("bad seed '%s'", optarg);
			have_seed = true;
			break;
		case 'f':
			path = optarg;
			break;
		case 'h':
			return cli_help(help);
		default:
			return cli_getopt_error(c, argv);
		}
	}
	if (!have_seed)
		return cli_usage("missing -S SEED");
	if (!path)
		return cli_usage("missing -f FILE");
	if (optind != argc)
		return cli_usage("unexpected argument '%s'", argv[optind]);
	n = cli_open_file(path, &t, &fs, false);
	if (!n)
		return CLI_FAIL;
	cc.seed = seed;
	cc.bad = -1;
	famfs_errclear();
	rc = cli_for_each_run(fs, n, check_run, &cc);
	if (rc < 0)
		return cli_fail(path, rc);
	if (cc.bad >= 0)
		return cli_failf(path, "mismatch at offset %" PRId64 " (%#" PRIx64 ") of %" PRIu64
				 " bytes (wrong seed, or the data changed)", cc.bad,
				 (uint64_t)cc.bad, n->size);
	return CLI_OK;
}
