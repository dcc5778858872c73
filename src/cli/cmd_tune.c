// SPDX-License-Identifier: Apache-2.0
/*
 * cmd_tune.c - famfs tune -O rm: turn on the rm feature (docs/rm.md) of an
 * existing, unmounted file system, after saying what it costs.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "famfs/dev.h"
#include "famfs/err.h"
#include "famfs/hosts.h"
#include "famfs/log.h"
#include "famfs/trust.h"
#include "cli.h"

static const char help[] =
"usage: famfs tune -O FEATURES [-y] DEV\n"
"       famfs --device DEV tune -O FEATURES [-y]\n"
"\n"
"Turn on a format feature of an existing famfs file system. Known: rm,\n"
"files and directories can be deleted (famfs rm) and their memory reused.\n"
"Only the master host may tune, and the file system must be unmounted on\n"
"every host: a mount made before knows nothing of the host table, so the\n"
"memory it maps would not be protected (a famfsd that sees the superblock\n"
"change stops serving and must be remounted). What it costs is printed\n"
"first, and asked for (-y answers yes). A feature cannot be turned off.\n"
"\n"
"  -O, --features LIST  features to turn on (rm)\n"
"  -y, --yes            do not ask\n"
"  -h, --help           this help\n"
"\n"
"Example:\n"
"  famfs tune -O rm /dev/dax0.0\n";

static const char costs[] =
"Turning on deletes (rm) on %s:\n"
"  - upstream famfs tools replay this file system's log only up to the first\n"
"    delete and stop there with an error, but they still show the files that\n"
"    were deleted later, over memory that may belong to other files by then:\n"
"    once it has a delete, never use upstream tools on this file system;\n"
"  - every delete takes one of the log's %" PRIu64 " entries (%" PRIu64 " left); the log is\n"
"    never compacted;\n"
"  - every host must run a famfs that knows deletes (older ones refuse the\n"
"    file system, or do not protect what they map);\n"
"  - a host that stops answering blocks the reuse of deleted memory until it\n"
"    comes back or is evicted (famfs host evict);\n"
"  - a mount on another host made before this is not in the host table: its\n"
"    famfsd stops serving, but what its processes already map is not\n"
"    protected from reuse; unmount it on every host first;\n"
"  - it cannot be turned off.\n";

int cmd_tune(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "features", required_argument, NULL, 'O' },
		{ "yes", no_argument, NULL, 'y' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct famfs_dev *dev = NULL;
	struct famfs_log *log = NULL;
	struct famfs_rm_block blk;
	struct famfs_mnt m;
	const char *path, *feat = NULL;
	bool yes = false;
	uint64_t next;
	int c, rc, ret = CLI_FAIL;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":O:yh", lopts, NULL)) != -1) {
		switch (c) {
		case 'O': feat = optarg; break;
		case 'y': yes = true; break;
		case 'h': return cli_help(help);
		default: return cli_getopt_error(c, argv);
		}
	}
	if (!feat)
		return cli_usage("missing -O FEATURES");
	if (strcmp(feat, "rm"))
		return cli_usage("unknown feature '%s' (known: rm)", feat);
	if (cli_device) {
		if (optind != argc)
			return cli_usage("no DEV argument with --device");
		path = cli_device;
	} else {
		if (optind + 1 != argc)
			return cli_usage(optind >= argc ? "missing DEV" : "exactly one DEV expected");
		path = argv[optind];
	}
	if (!famfs_trust_mount_of_dev(path, &m))
		return cli_failf(path, "mounted at %s: unmount it on every host first", m.target);
	famfs_errclear();
	rc = famfs_dev_open(path, true, &dev);
	if (rc)
		return cli_fail(path, rc);
	rc = famfs_log_open(dev, &log);
	if (rc) {
		cli_fail(path, rc);
		goto out;
	}
	if (log->role != FAMFS_ROLE_MASTER) {
		cli_failf(path, "this host is a client of this file system; only the master host "
			  "may change its format");
		goto out;
	}
	if (log->sb.flags & FAMFS_SB_FEAT_RM) {
		fputs(path, stdout);
		printf(": the rm feature is already on\n");
		ret = CLI_OK;
		goto out;
	}
	if (famfs_rm_block_orphan(dev->base, &log->sb, &blk)) {
		/*
		 * A tune that stopped before the flag, or a cleared flag: the
		 * log may hold deletes since blk.since, so keep the block (and
		 * the host table) and set the flag only.
		 */
		rc = famfs_rm_set_flag(dev->base, &log->sb);
		if (rc) {
			cli_fail(path, rc);
			goto out;
		}
		fputs(path, stdout);
		printf(": the rm block was there without its flag; rm feature on again (deletes "
		       "from log entry %" PRIu64 ")\n", blk.since);
		ret = CLI_OK;
		goto out;
	}
	next = famfs_log_next_index(log);
	printf(costs, path, log->nslots, log->nslots - next);
	fflush(stdout);
	if (!cli_confirm("turn on deletes", yes))
		goto out;
	famfs_errclear();
	rc = famfs_log_lock(log);
	if (!rc) {
		next = famfs_log_next_index(log);
		rc = famfs_rm_enable(dev->base, &log->sb, next);
		famfs_log_unlock(log);
	}
	if (rc) {
		cli_fail(path, rc);
		goto out;
	}
	fputs(path, stdout);
	printf(": rm feature on (deletes from log entry %" PRIu64 "; host table of %d slots)\n",
	       next, FAMFS_HOSTS_NSLOTS);
	ret = CLI_OK;
out:
	famfs_log_close(log);
	famfs_dev_close(dev);
	return ret;
}
