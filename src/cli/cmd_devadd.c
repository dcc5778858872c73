// SPDX-License-Identifier: Apache-2.0
/*
 * cmd_devadd.c - famfs devadd: add a memory device to a file system,
 * online (TARGET is a mount; its famfsd picks the device up at once) or
 * offline (TARGET is the primary device).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "famfs/devfind.h"
#include "famfs/err.h"
#include "famfs/ioctl.h"
#include "cli.h"

static const char help[] =
"usage: famfs devadd [-f] TARGET DEV\n"
"\n"
"Add the memory device DEV (a devdax device, or a file whose size is a\n"
"multiple of 2 MiB and at least 64 MiB) to the famfs file system TARGET:\n"
"  - a mount point: online; the mount's famfsd uses DEV at once;\n"
"  - the file system's primary device: offline, nothing may have it mounted.\n"
"DEV gets a superblock of its own (the SECONDARY flag, a new device uuid,\n"
"the file system's uuid), then the log records it by that uuid with the\n"
"next device index. New files may then go to DEV (the one with the most\n"
"free space, or one strip per device for interleaved files), and every\n"
"host finds DEV by its uuid: list where in $FAMFS_DAXDEV_PATH or\n"
"/etc/famfs/daxdevs if it is not a /dev/dax* or /dev/pmem* device there\n"
"(see famfs daxdev). Only the master host may add a device. A file system\n"
"has at most 24 devices.\n"
"\n"
"  -f, --force   overwrite a famfs superblock DEV holds (another file\n"
"                system's); a device of this file system, or one a mount\n"
"                uses, is always refused\n"
"  -h, --help    this help\n"
"\n"
"Exit status: 0 added, 1 failure, 2 usage.\n"
"\n"
"Examples:\n"
"  famfs devadd /mnt/famfs /dev/dax1.0\n"
"  famfs devadd /dev/dax0.0 /dev/dax1.0     # unmounted\n";

/* Tell famfsd on @t about the new device at @dev; prints a warning if it did not find it. */
static void online_refresh(const struct cli_target *t, const char *dev, uint32_t idx)
{
	struct famfs_daxdev_list l;
	int fd, n;

	fd = cli_mount_root_fd(t->mnt);
	if (fd < 0)
		return;
	n = ioctl(fd, FAMFS_IOC_DAXDEV_REFRESH, dev);
	if (n < 0 || ioctl(fd, FAMFS_IOC_DAXDEVS, &l) < 0 || idx >= l.ndevs ||
	    l.dev[idx].state != FAMFS_DAXDEV_OK)
		cli_failf(t->mnt, "warning: famfsd has not picked up device %u yet; run famfs "
			  "daxdev refresh %s", idx, t->mnt);
	close(fd);
}

int cmd_devadd(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	char dev[PATH_MAX], mnt[PATH_MAX];
	const char *target;
	struct cli_target t;
	struct famfs_fs *fs;
	struct stat st;
	bool force = false, online;
	uint32_t idx;
	char u[37];
	int c, rc;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":fh", lopts, NULL)) != -1) {
		switch (c) {
		case 'f': force = true; break;
		case 'h': return cli_help(help);
		default: return cli_getopt_error(c, argv);
		}
	}
	if (cli_device)
		return cli_usage("give the primary device as TARGET, not with --device");
	if (argc - optind != 2)
		return cli_usage("expected TARGET and DEV, got %d argument%s", argc - optind,
				 argc - optind == 1 ? "" : "s");
	target = argv[optind];
	/* famfsd and other hosts get no path from us: it only needs to be absolute here */
	if (!realpath(argv[optind + 1], dev))
		return cli_fail(argv[optind + 1], -errno);
	if (famfs_devfind_in_use(dev, mnt, sizeof(mnt)))
		return cli_failf(dev, "in use by the famfs mount on %s", mnt);
	memset(&t, 0, sizeof(t));
	online = !stat(target, &st) && S_ISDIR(st.st_mode);
	if (online) {
		rc = cli_find_mount_exact(target, &t);
		if (rc == -ENOENT)
			return cli_failf(target, "not a famfs mount point");
		if (rc)
			return cli_fail(target, rc);
	} else {
		if (famfs_devfind_in_use(target, mnt, sizeof(mnt)))
			return cli_failf(target, "mounted at %s: use famfs devadd %s DEV", mnt, mnt);
		snprintf(t.dev, sizeof(t.dev), "%s", target);
	}
	fs = cli_fs_open(&t, true, target);
	if (!fs)
		return CLI_FAIL;
	if (cli_require_master(fs, target))
		return CLI_FAIL;
	famfs_errclear();
	rc = famfs_fs_devadd(fs, dev, force, &idx);
	if (rc)
		return cli_fail(dev, rc);
	uuid_unparse(fs->devtab.dev[idx].uuid, u);
	cli_fputs_esc(stdout, dev);
	printf(": device %u of ", idx);
	cli_fputs_esc(stdout, online ? t.mnt : target);
	printf(", uuid %s, %" PRIu64 " bytes\n", u, fs->devtab.span[idx].size);
	if (idx == 1)
		fputs(FAMFS_UPSTREAM_MASTER_WARNING, stderr);
	if (online)
		online_refresh(&t, dev, idx);
	return CLI_OK;
}
