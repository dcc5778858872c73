// SPDX-License-Identifier: Apache-2.0
/*
 * cmd_logplay.c - famfs logplay: make famfsd catch up with the log now
 * (it also does so by itself), or replay a device's log and report.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "famfs/err.h"
#include "famfs/ioctl.h"
#include "famfs/ns.h"
#include "cli.h"

static const char help[] =
"usage: famfs logplay [-n] [-v] [MNT]\n"
"       famfs --device DEV logplay\n"
"\n"
"On a mount (default: the one holding the current directory), ask famfsd to\n"
"replay new log entries now and print how many it found. famfsd also\n"
"catches up by itself; this makes it happen at once. With --device, replay\n"
"the whole log of DEV and print the entries, files and directories, and\n"
"the first bad entry if there is one.\n"
"\n"
"  -n, --dryrun    on a mount: replay the device's log here and report,\n"
"                  without asking famfsd\n"
"  -v, --verbose   on a mount, also replay the log here and print the\n"
"                  entries, files and directories\n"
"  -?, --help      this help\n"
"\n"
"Exit status: 0 success, 1 a bad entry stopped the replay or an error,\n"
"2 bad usage.\n"
"\n"
"Example:\n"
"  famfs logplay /mnt/famfs\n"
"  famfs --device /dev/shm/famfs0 logplay\n";

static int replay_here(const struct cli_target *t, const char *name)
{
	uint64_t files, dirs, entries;
	struct famfs_fs *fs;

	/* A replay that stops at a bad entry is reported by cli_fs_open. */
	fs = cli_fs_open(t, false, name);
	if (!fs)
		return CLI_FAIL;
	famfs_ns_counts(fs->ns, &files, &dirs, &entries);
	cli_fputs_esc(stdout, name);
	printf(": %" PRIu64 " log entries, %" PRIu64 " files, %" PRIu64 " directories\n",
	       fs->next, files, dirs);
	return fs->replay_err ? CLI_FAIL : CLI_OK;
}

int cmd_logplay(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "dryrun", no_argument, NULL, 'n' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	bool dry = false;
	const char *mnt;
	struct cli_target t;
	int c, fd, rc;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":nvh", lopts, NULL)) != -1) {
		switch (c) {
		case 'n': dry = true; break;
		case 'v': cli_verbose++; break;
		case 'h': return cli_help(help);
		default: return cli_getopt_error(c, argv);
		}
	}
	if (cli_device) {
		if (optind != argc)
			return cli_usage("no MNT argument with --device");
		memset(&t, 0, sizeof(t));
		snprintf(t.dev, sizeof(t.dev), "%s", cli_device);
		return replay_here(&t, cli_device);
	}
	if (optind + 1 < argc)
		return cli_usage("at most one MNT expected");
	mnt = optind < argc ? argv[optind] : ".";
	if (cli_target(mnt, &t))
		return CLI_FAIL;
	if (dry)
		return replay_here(&t, t.mnt);
	fd = cli_mount_root_fd(t.mnt);
	if (fd < 0)
		return cli_fail(t.mnt, fd);
	rc = ioctl(fd, FAMFS_IOC_LOGPLAY);
	if (rc < 0) {
		rc = errno;
		close(fd);
		return cli_failf(t.mnt, "FAMFS_IOC_LOGPLAY: %s", strerror(rc));
	}
	close(fd);
	cli_fputs_esc(stdout, t.mnt);
	printf(": %d new log entries\n", rc);
	return cli_verbose ? replay_here(&t, t.mnt) : CLI_OK;
}
