// SPDX-License-Identifier: Apache-2.0
/*
 * cmd_mount.c - famfs mount and famfs umount: start famfsd on a device and
 * wait until the mount is usable; unmount and wait for famfsd to exit.
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
"usage: famfs mount [-r] [-t TIMEOUT] [-d] [-o OPTS] DEV MNT\n"
"\n"
"Mount the famfs on DEV (a devdax device or a regular file) at the\n"
"directory MNT by starting famfsd, then wait (up to 10 s) until the mount\n"
"answers. famfsd is looked for next to this program, or at $FAMFSD. Every\n"
"host mounts the same device; the master may create files, clients only\n"
"read the namespace.\n"
"\n"
"  -r, --readonly       mount read-only; famfs mkdir, creat and cp refuse\n"
"                       paths in a read-only mount\n"
"  -t, --timeout SECS   attribute/entry cache timeout passed to famfsd\n"
"  -d, --debug          run famfsd in the foreground with debug output\n"
"                       (famfs mount does not return until it exits)\n"
"  -o, --options OPTS   famfsd options, comma-separated (see famfsd(8)):\n"
"                       cache=direct (default) or cache=page (mmap through\n"
"                       the mount, via the page cache)\n"
"  -h, --help           this help\n"
"\n"
"Example:\n"
"  famfs mount /dev/shm/famfs0 /mnt/famfs\n";

static const char umount_help[] =
"usage: famfs umount MNT\n"
"\n"
"Unmount the famfs mount MNT and wait (up to 5 s) for its famfsd to exit.\n"
"A mount whose famfsd died is unmounted too; a lazy unmount is the last\n"
"resort. A busy mount (open files, a working directory inside) is refused.\n"
"\n"
"  -h, --help   this help\n"
"\n"
"Example:\n"
"  famfs umount /mnt/famfs\n";

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* famfsd: $FAMFSD, else next to /proc/self/exe. */
static int find_famfsd(char *out, size_t len)
{
	char self[PATH_MAX];
	const char *env = getenv("FAMFSD");
	ssize_t n;

	if (env && *env) {
		snprintf(out, len, "%s", env);
	} else {
		n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n < 0)
			return -errno;
		self[n] = '\0';
		snprintf(out, len, "%s/famfsd", dirname(self));
	}
	return access(out, X_OK) ? -errno : 0;
}

int cmd_mount(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "readonly", no_argument, NULL, 'r' },
		{ "timeout", required_argument, NULL, 't' },
		{ "debug", no_argument, NULL, 'd' },
		{ "options", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	char famfsd[PATH_MAX];
	const char *timeout = NULL, *opts = NULL, *dev, *mnt;
	bool ro = false, debug = false;
	char *args[12];
	struct cli_target t;
	struct stat st;
	uint64_t end, v;
	int c, n = 0, status;
	pid_t pid;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":rt:do:h", lopts, NULL)) != -1) {
		switch (c) {
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
	args[n++] = (char *)dev;
	args[n++] = (char *)mnt;
	args[n] = NULL;
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
	end = now_ms() + 10000;
	for (;;) {
		if (cli_find_mount_exact(mnt, &t) == 0 && stat(mnt, &st) == 0)
			return CLI_OK;
		if (now_ms() >= end)
			return cli_failf(mnt, "famfsd exited 0 but the mount did not appear "
					 "within 10 s");
		sleep_ms(10);
	}
}

/* True once @pid is gone (or a zombie). */
static bool pid_gone(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;

	if (kill(pid, 0) && errno == ESRCH)
		return true;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return true;
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	if (!p)
		return true;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] == 'Z';
}

/* Absolute form of @path without touching the (maybe dead) mount. */
static void abs_path(const char *path, char *out, size_t len)
{
	char cwd[PATH_MAX];

	if (realpath(path, out))
		return;
	if (path[0] == '/' || !getcwd(cwd, sizeof(cwd)))
		snprintf(out, len, "%s", path);
	else
		if ((size_t)snprintf(out, len, "%.*s/%s", (int)(len / 2), cwd, path) >= len)
			snprintf(out, len, "%s", path);
	for (size_t l = strlen(out); l > 1 && out[l - 1] == '/'; l--)
		out[l - 1] = '\0';
}

int cmd_umount(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct famfs_mount_info info;
	char abs[PATH_MAX];
	struct cli_target t;
	pid_t pid = 0;
	uint64_t end;
	int c, fd, err;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", lopts, NULL)) != -1) {
		switch (c) {
		case 'h': return cli_help(umount_help);
		default: return cli_getopt_error(c, argv);
		}
	}
	if (optind + 1 != argc)
		return cli_usage("expected MNT");
	abs_path(argv[optind], abs, sizeof(abs));
	memset(&t, 0, sizeof(t));
	if (cli_find_mount_exact(abs, &t) != 0) {
		/* realpath may fail on a dead mount: match the text instead */
		FILE *f = fopen("/proc/self/mountinfo", "r");
		char line[8192], pat[PATH_MAX + 64];
		bool found = false;

		pat[0] = ' ';
		memcpy(pat + 1, abs, strlen(abs));
		memcpy(pat + 1 + strlen(abs), " ", 2);
		while (f && fgets(line, sizeof(line), f))
			if (strstr(line, pat) && strstr(line, " - fuse.famfs "))
				found = true;
		if (f)
			fclose(f);
		if (!found)
			return cli_failf(argv[optind], "not a famfs mount");
	}
	fd = cli_mount_root_fd(abs);
	if (fd >= 0) {
		memset(&info, 0, sizeof(info));
		if (ioctl(fd, FAMFS_IOC_INFO, &info) == 0)
			pid = (pid_t)info.pid;
		close(fd);
	}
	if (umount2(abs, 0)) {
		err = errno;
		if (err == EBUSY)
			return cli_failf(argv[optind], "mount is busy (open files or a working "
					 "directory inside); close them and retry");
		if (umount2(abs, MNT_DETACH))
			return cli_failf(argv[optind], "umount: %s", strerror(err));
	}
	if (pid <= 0)
		return CLI_OK;
	end = now_ms() + 5000;
	while (!pid_gone(pid)) {
		if (now_ms() >= end)
			return cli_failf(argv[optind], "unmounted, but famfsd (pid %d) did not "
					 "exit within 5 s", (int)pid);
		sleep_ms(10);
	}
	return CLI_OK;
}
