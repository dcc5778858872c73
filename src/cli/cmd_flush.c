// SPDX-License-Identifier: Apache-2.0
/*
 * cmd_flush.c - famfs flush: write back (and so drop) CPU cache lines over
 * whole files, so that other hosts see what this host stored.
 */
#include <errno.h>
#include <getopt.h>
#include <sys/stat.h>
#include <inttypes.h>

#include "famfs/err.h"
#include "famfs/ns.h"
#include "cli.h"

static const char help[] =
"usage: famfs flush [-v] FILE...\n"
"\n"
"Write back the CPU cache lines covering each FILE's device memory. Data\n"
"written through a mapping is only visible to other hosts once flushed.\n"
"\n"
"  -v, --verbose   print each file and its size (repeatable)\n"
"  -?, --help      this help\n"
"\n"
"Example:\n"
"  famfs flush /mnt/famfs/a/b/f\n";

static int flush_run(void *ctx, uint64_t off, uint8_t *p, uint64_t len)
{
	famfs_flush(p, len);
	return 0;
}

int cmd_flush(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	bool verbose = false;
	struct cli_target t;
	struct famfs_fs *fs;
	const struct famfs_node *n;
	int c, rc;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":vh", lopts, NULL)) != -1) {
		switch (c) {
		case 'v':
			verbose = true;
			break;
		case 'h':
			return cli_help(help);
		default:
			return cli_getopt_error(c, argv);
		}
	}
	if (optind >= argc)
		return cli_usage("missing FILE");
	for (int i = optind; i < argc; i++) {
		n = cli_open_file(argv[i], &t, &fs, false);
		if (!n)
			return CLI_FAIL;
		famfs_errclear();
		rc = cli_for_each_run(fs, n, flush_run, NULL);
		if (rc)
			return cli_fail(argv[i], rc);
		if (verbose) {
			fputs("flushed ", stdout);
			cli_fputs_esc(stdout, argv[i]);
			printf(" (%" PRIu64 " bytes)\n", n->size);
		}
	}
	return CLI_OK;
}
