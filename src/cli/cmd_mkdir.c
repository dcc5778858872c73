// SPDX-License-Identifier: Apache-2.0
/*
 * cmd_mkdir.c - famfs mkdir: log directories.
 */
#include <errno.h>
#include <getopt.h>
#include <sys/stat.h>
#include <unistd.h>

#include "famfs/err.h"
#include "cli.h"

static const char help[] =
"usage: famfs mkdir [-p] [-m MODE] [-u UID] [-g GID] DIR...\n"
"\n"
"Log new directories. Only the master host may create directories.\n"
"\n"
"  -p, --parents      create missing parents; an existing directory is fine\n"
"  -m, --mode MODE    octal permission bits (default 0755)\n"
"  -u, --uid UID      owner (default: the caller)\n"
"  -g, --gid GID      group (default: the caller's group)\n"
"  -h, --help         this help\n"
"\n"
"Example:\n"
"  famfs mkdir -p /mnt/famfs/a/b\n"
"  famfs --device /dev/shm/famfs0 mkdir -p -m 0700 a/b\n";

int cmd_mkdir(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "parents", no_argument, NULL, 'p' },
		{ "mode", required_argument, NULL, 'm' },
		{ "uid", required_argument, NULL, 'u' },
		{ "gid", required_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	uint32_t mode = 0755, uid = getuid(), gid = getgid();
	bool parents = false;
	struct cli_target t;
	struct famfs_fs *fs;
	int c, rc;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":pm:u:g:h", lopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			parents = true;
			break;
		case 'm': case 'u': case 'g':
			if (cli_parse_ids(c, optarg, &mode, &uid, &gid))
				return CLI_USAGE;
			break;
		case 'h':
			return cli_help(help);
		default:
			return cli_getopt_error(c, argv);
		}
	}
	if (optind >= argc)
		return cli_usage("missing DIR");
	for (int i = optind; i < argc; i++) {
		if (cli_target(argv[i], &t))
			return CLI_FAIL;
		fs = cli_fs_open(&t, true, argv[i]);
		if (!fs || cli_require_master(fs, argv[i]))
			return CLI_FAIL;
		if (!t.rel[0]) {
			if (parents)
				continue;
			return cli_failf(argv[i], "is the root directory; it exists");
		}
		famfs_errclear();
		rc = famfs_fs_mkdir(fs, t.rel, mode, uid, gid, parents);
		cli_kick_logplay(&t);
		if (rc)
			return cli_fail(argv[i], rc);
	}
	return CLI_OK;
}
