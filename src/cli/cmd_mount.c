// SPDX-License-Identifier: Apache-2.0
/*
 * cmd_mount.c - famfs mount: start famfsd on a device and wait until the
 * mount is usable. famfsd gets absolute paths, so that famfs umount can
 * find it from its command line (cmd_umount.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "famfs/err.h"
#include "famfs/ioctl.h"
#include "cli.h"

static const char mount_help[] =
"usage: famfs mount [-r] [-t TIMEOUT] [-d] [-o OPTS] [-v] [--fuse|--nofuse] DEV MNT\n"
"\n"
"Mount the famfs on DEV (a devdax device or a regular file) at the\n"
"directory MNT by starting famfsd, then wait (up to 10 s) until the mount\n"
"answers. famfsd is $FAMFSD if set, else the one next to this program,\n"
"else the one installed with it. Every host mounts the same device; the\n"
"master may create files, clients only read the namespace. A host mounts\n"
"a device once: a second mount of it by the same system uuid is refused,\n"
"naming the first.\n"
"\n"
"  -r, --readonly       mount read-only; famfs mkdir, creat and cp refuse\n"
"                       paths in a read-only mount\n"
"  -t, --timeout SECS   attribute/entry cache timeout passed to famfsd\n"
"  -d, --debug          run famfsd in the foreground with debug output\n"
"                       (famfs mount does not return until it exits)\n"
"  -o, --options OPTS   famfsd options, comma-separated (see famfsd(8)):\n"
"                       cache=direct (default) or cache=page (mmap through\n"
"                       the mount, via the page cache); user_mkdir (users\n"
"                       other than root may mkdir; default: EPERM);\n"
"                       reserve=N or reserve=P% (log slots only root may\n"
"                       take; default 5%); bpf; alloc_cfg=FILE (served as\n"
"                       .meta/.alloc.cfg: interleave defaults for creat, cp);\n"
"                       and libfuse's options, such as allow_root,\n"
"                       max_threads=N or noatime\n"
"  -v, --verbose        print famfsd's command line and the new mount\n"
"  -f, --fuse           accepted: famfs mounts are always FUSE\n"
"  -F, --nofuse         upstream's standalone kernel famfs: refused unless\n"
"                       this kernel has the famfs module (docs/kernel.md)\n"
"  -?, --help           this help\n"
"\n"
"Example:\n"
"  famfs mount /dev/shm/famfs0 /mnt/famfs\n";

/*
 * Say how file data is reached on the new mount: native (the kernel's
 * famfs module maps files itself) or ioctl (FUSE I/O plus the preload
 * shim), and whether plain mmap works under cache=direct.
 */
static void say_mode(const char *mnt)
{
	struct famfs_stats_wire s;
	int fd = cli_mount_root_fd(mnt);
	const char *how;

	memset(&s, 0, sizeof(s));
	if (fd < 0 || ioctl(fd, FAMFS_IOC_STATS, &s) < 0) {
		if (fd >= 0)
			close(fd);
		return;
	}
	close(fd);
	if (s.fuse_mode & FAMFS_FUSE_MODE_NATIVE)
		how = "native: the kernel maps and copies file data itself (FUSE_DAX_FMAP)";
	else if (s.fuse_mode & FAMFS_FUSE_MODE_OFFERED)
		how = "ioctl: the kernel offered FUSE_DAX_FMAP but the device is not a devdax "
		      "char device (or -o nonative); direct access through the preload shim";
	else
		how = "ioctl: this kernel has no famfs module; direct access through the "
		      "preload shim";
	cli_fputs_esc(stdout, mnt);
	printf(": mounted, %s%s\n", how, s.fuse_mode & FAMFS_FUSE_MODE_ALLOW_MMAP ?
	       "; plain mmap through the mount works (FUSE_DIRECT_IO_ALLOW_MMAP)" : "");
}

/*
 * Where an installed famfsd is, relative to the directory of an installed
 * famfs (CMake sets it from the install layout: ../sbin/famfsd by default).
 */
#ifndef FAMFS_FAMFSD_RELPATH
#define FAMFS_FAMFSD_RELPATH "../sbin/famfsd"
#endif

/*
 * famfsd: $FAMFSD; else next to /proc/self/exe (the build tree); else at
 * FAMFS_FAMFSD_RELPATH from there (an installed tree, wherever its root
 * is: make install DESTDIR=..., dpkg --root).
 */
static int find_famfsd(char *out, size_t len)
{
	char self[PATH_MAX];
	const char *env = getenv("FAMFSD");
	char *dir;
	ssize_t n;

	if (env && *env) {
		snprintf(out, len, "%s", env);
		return access(out, X_OK) ? -errno : 0;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0) {
		snprintf(out, len, "famfsd");
		return -errno;
	}
	self[n] = '\0';
	dir = dirname(self);
	snprintf(out, len, "%s/famfsd", dir);
	if (!access(out, X_OK))
		return 0;
	snprintf(out, len, "%s/%s", dir, FAMFS_FAMFSD_RELPATH);
	return access(out, X_OK) ? -errno : 0;
}

int cmd_mount(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "readonly", no_argument, NULL, 'r' },
		{ "timeout", required_argument, NULL, 't' },
		{ "debug", no_argument, NULL, 'd' },
		{ "options", required_argument, NULL, 'o' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "fuse", no_argument, NULL, 'f' },
		{ "nofuse", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	char famfsd[PATH_MAX], devabs[PATH_MAX], mntabs[PATH_MAX];
	const char *timeout = NULL, *opts = NULL, *dev, *mnt;
	bool ro = false, debug = false;
	char *args[12];
	struct cli_target t;
	struct stat st;
	uint64_t end, v;
	int c, n = 0, status;
	pid_t pid;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":rt:do:vfFh", lopts, NULL)) != -1) {
		switch (c) {
		case 'v': cli_verbose++; break;
		case 'f':
		case 'F':
			if (cli_mode_flag(c == 'F'))
				return CLI_FAIL;
			break;
		case 'r': ro = true; break;
		case 'o': opts = optarg; break;
		case 't':
			if (cli_parse_uint(optarg, 1u << 30, &v))
				return cli_usage("bad timeout '%s'", optarg);
			timeout = optarg;
			break;
		case 'd': debug = true; break;
		case 'h': return cli_help(mount_help);
		default: return cli_getopt_error(c, argv);
		}
	}
	if (cli_device)
		return cli_usage("mount takes DEV as an argument, not --device");
	if (optind + 2 != argc)
		return cli_usage("expected DEV and MNT");
	dev = argv[optind];
	mnt = argv[optind + 1];
	if (stat(dev, &st))
		return cli_fail(dev, -errno);
	if (stat(mnt, &st))
		return cli_fail(mnt, -errno);
	if (!S_ISDIR(st.st_mode))
		return cli_fail(mnt, -ENOTDIR);
	if (cli_find_mount_exact(mnt, &t) == 0)
		return cli_failf(mnt, "already a famfs mount (of %s)", t.dev);
	if (find_famfsd(famfsd, sizeof(famfsd)))
		return cli_failf(famfsd, "famfsd not found or not executable (set $FAMFSD)");
	args[n++] = famfsd;
	if (ro)
		args[n++] = "-r";
	if (timeout) {
		args[n++] = "-t";
		args[n++] = (char *)timeout;
	}
	if (debug)
		args[n++] = "-d";
	if (opts) {
		args[n++] = "-o";
		args[n++] = (char *)opts;
	}
	args[n++] = realpath(dev, devabs) ? devabs : (char *)dev;
	args[n++] = realpath(mnt, mntabs) ? mntabs : (char *)mnt;
	args[n] = NULL;
	if (cli_verbose) {
		fputs("starting:", stdout);
		for (int i = 0; i < n; i++) {
			putchar(' ');
			cli_fputs_esc(stdout, args[i]);
		}
		putchar('\n');
	}
	fflush(NULL);
	if (debug) {
		execv(famfsd, args);
		return cli_fail(famfsd, -errno);
	}
	pid = fork();
	if (pid < 0)
		return cli_fail("fork", -errno);
	if (pid == 0) {
		execv(famfsd, args);
		cli_failf(famfsd, "%s", strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return cli_fail("waitpid", -errno);
	}
	if (WIFSIGNALED(status))
		return cli_failf(mnt, "famfsd killed by signal %d", WTERMSIG(status));
	if (WEXITSTATUS(status))
		return CLI_FAIL;	/* famfsd printed why */
	end = cli_now_ms() + 10000;
	for (;;) {
		if (cli_find_mount_exact(mnt, &t) == 0 && stat(mnt, &st) == 0) {
			say_mode(t.mnt);
			if (cli_verbose)
				cli_sayf(t.mnt, "mounted %s%s", t.dev, t.ro ? " read-only" : "");
			return CLI_OK;
		}
		if (cli_now_ms() >= end)
			return cli_failf(mnt, "famfsd exited 0 but the mount did not appear "
					 "within 10 s");
		cli_sleep_ms(10);
	}
}
