// SPDX-License-Identifier: Apache-2.0
/*
 * famfs.c - the famfs program: global options and the one table of verbs.
 * Each verb lives in src/cli/cmd_<verb>.c and follows the conventions in
 * cli.h (help, usage errors, one-line failures). Run as mount.famfs (a
 * link to this program), it is mount(8)'s helper (mount_helper.c).
 */
#include <libgen.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "upstream_opts.h"

#ifndef FAMFS_VERSION
#define FAMFS_VERSION "0.1.0"
#endif

const char *cli_device;
const char *cli_verb_name = "";
int cli_verbose;

static const struct cli_verb verbs[] = {
	{ "fsck",    cmd_fsck,    "check a famfs image (read-only)" },
	{ "mkdir",   cmd_mkdir,   "create directories" },
	{ "creat",   cmd_creat,   "create and allocate a file, optionally filled with a pattern" },
	{ "cp",      cmd_cp,      "copy files and trees into famfs" },
	{ "verify",  cmd_verify,  "check a file against the pattern written by creat -r" },
	{ "getmap",  cmd_getmap,  "print a file's size and extents" },
	{ "ls",      cmd_ls,      "list the namespace as replayed from the log" },
	{ "logplay", cmd_logplay, "replay the log (tell famfsd to catch up)" },
	{ "flush",   cmd_flush,   "write back CPU caches over files" },
	{ "chkread", cmd_chkread, "compare read() through the mount with the device bytes" },
	{ "mount",   cmd_mount,   "mount a famfs device (starts famfsd)" },
	{ "umount",  cmd_umount,  "unmount a famfs mount and wait for famfsd to exit" },
	{ "stats",   cmd_stats,   "print famfsd request counters" },
	{ "poison",  cmd_poison,  "mark a device of a mount as failed" },
	{ "rm",      cmd_rm,      "delete files and trees (file systems with -O rm)" },
	{ "rmdir",   cmd_rmdir,   "delete empty directories (file systems with -O rm)" },
	{ "host",    cmd_host,    "list or evict the hosts that block reuse of deleted memory" },
	{ "tune",    cmd_tune,    "turn on a format feature (-O rm) of an unmounted file system" },
	{ "devadd",  cmd_devadd,  "add a memory device to a file system" },
	{ "daxdev",  cmd_daxdev,  "list a file system's devices, find one by uuid" },
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: famfs [--device DEV] VERB [OPTIONS] [ARGS]\n"
		"       famfs --help | --version\n"
		"\n"
		"Global options:\n"
		"  -D, --device DEV  work on an unmounted device; paths are relative to\n"
		"                    the file system root\n"
		"  -h, -?, --help    this help\n"
		"  -V, --version     print the version\n"
		"\n"
		"Verbs:\n");
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		fprintf(f, "  %-9s %s\n", verbs[i].name, verbs[i].summary);
	fprintf(f, "\nRun 'famfs VERB --help' (or -?) for the options of a verb; see famfs(1).\n");
}

int main(int argc, char **argv)
{
	char eb[512];
	int i = 1;

	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	if (argc > 0 && !strcmp(basename(argv[0]), "mount.famfs"))
		return mount_helper_main(argc, argv);
	while (i < argc && argv[i][0] == '-') {
		const char *a = argv[i];

		if (!strcmp(a, "-h") || !strcmp(a, "-?") || !strcmp(a, "--help")) {
			usage(stdout);
			return CLI_OK;
		} else if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
			printf("famfs %s\n", FAMFS_VERSION);
			return CLI_OK;
		} else if (!strcmp(a, "-D") || !strcmp(a, "--device")) {
			if (i + 1 >= argc) {
				fprintf(stderr, "famfs: %s needs a device (try 'famfs --help')\n", a);
				return CLI_USAGE;
			}
			cli_device = argv[++i];
		} else if (!strncmp(a, "--device=", 9)) {
			cli_device = a + 9;
		} else {
			fprintf(stderr, "famfs: unknown option '%s' (try 'famfs --help')\n",
				cli_esc(a, eb, sizeof(eb)));
			return CLI_USAGE;
		}
		i++;
	}
	if (cli_device && !*cli_device) {
		fprintf(stderr, "famfs: --device needs a device path (try 'famfs --help')\n");
		return CLI_USAGE;
	}
	if (i >= argc) {
		fprintf(stderr, "famfs: missing VERB (try 'famfs --help')\n");
		return CLI_USAGE;
	}
	for (size_t v = 0; v < sizeof(verbs) / sizeof(verbs[0]); v++) {
		if (!strcmp(argv[i], verbs[v].name)) {
			int rc;

			cli_verb_name = verbs[v].name;
			famfs_help_alias(argc - i, argv + i);
			rc = verbs[v].fn(argc - i, argv + i);
			cli_fs_close_all();
			/* A damaged log was reported; what was shown is only a prefix. */
			if (cli_log_damaged && rc == CLI_OK)
				rc = CLI_FAIL;
			if (fflush(stdout) && rc == CLI_OK)
				rc = CLI_FAIL;
			return rc;
		}
	}
	fprintf(stderr, "famfs: '%s' is not a famfs verb (try 'famfs --help')\n",
		cli_esc(argv[i], eb, sizeof(eb)));
	return CLI_USAGE;
}
