// SPDX-License-Identifier: Apache-2.0
/*
 * cmd_umount.c - famfs umount [--force]: unmount a famfs mount and wait, for
 * at most 5 s in all, for its famfsd to exit. Nothing here makes a FUSE
 * request: the mount is found in mountinfo by the text of its path, famfsd
 * by its command line in /proc. A busy mount (open files, a working
 * directory inside) of a famfsd that runs is refused with EBUSY, as
 * umount(8) refuses it, and its users are left alone however many requests
 * they keep in flight. Only a famfsd that is stopped, traced or dead, or
 * --force, gets its connection aborted through fusectl before the unmount,
 * which is lazy as the last resort.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "famfs/err.h"
#include "famfs/mount.h"
#include "famfs/resolver.h"
#include "cli.h"

#define UMOUNT_WAIT_MS	5000
#define FUSECTL_DIR	"/sys/fs/fuse/connections"

static const char umount_help[] =
"usage: famfs umount [-f] [-v] MNT\n"
"\n"
"Unmount the famfs mount MNT and wait (up to 5 s in all) for its famfsd\n"
"to exit. famfs umount never waits on famfsd itself. A busy mount (open\n"
"files, a working directory inside) whose famfsd runs is refused with\n"
"EBUSY, as umount(8) refuses it: its users are left alone. When famfsd is\n"
"stopped, traced or dead, or with --force, its FUSE connection is aborted\n"
"(through " FUSECTL_DIR "/N/abort): every request in flight\n"
"fails with ECONNABORTED and the mount is unmounted, lazily as the last\n"
"resort. Exit 1 when the mount is busy, or when famfsd has not exited\n"
"after 5 s although the mount is gone. The BPF pins of a\n"
"'famfs mount -o bpf' mount are removed with it, also when its famfsd died.\n"
"Only famfs mounts made by root are unmounted (see famfs(1), TRUSTED MOUNTS).\n"
"\n"
"  -f, --force     abort the connection of a busy mount even though famfsd\n"
"                  runs (a famfsd that hangs): its users get ECONNABORTED\n"
"                  and writes in flight are lost\n"
"  -v, --verbose   say what was done: unmounted, aborted, famfsd's exit\n"
"  -?, --help      this help\n"
"\n"
"Examples:\n"
"  famfs umount /mnt/famfs\n"
"  famfs umount --force /mnt/famfs\n";

/* The state letter of @pid from /proc/PID/stat, or 0 when it is gone. */
static char pid_state(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	if (!p || !(p = strrchr(buf, ')')) || p[1] != ' ')
		return 0;
	return p[2];
}

/* Start time of @pid in clock ticks (field 22 of /proc/PID/stat), or 0. */
static unsigned long long pid_start(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	if (!p || !(p = strrchr(buf, ')')))
		return 0;
	/* after ")": field 3 is the state; the start time is field 22 */
	if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d "
		   "%*d %*d %*d %llu", &v) != 1)
		return 0;
	return v;
}

static bool pid_gone(pid_t pid)
{
	char s = pid_state(pid);

	return s == 0 || s == 'Z' || s == 'X';
}

/*
 * Does @pid run as root (real and effective uid 0, /proc/PID/status)? A
 * trusted famfs mount was made by root, so its famfsd runs as root: a
 * process of anyone else named famfsd is not it.
 */
static bool runs_as_root(pid_t pid)
{
	char path[64], line[256];
	unsigned int ruid, euid;
	bool root = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Uid: %u %u", &ruid, &euid) == 2) {
			root = ruid == 0 && euid == 0;
			break;
		}
	}
	fclose(f);
	return root;
}

/* Does @pid hold /dev/fuse open? */
static bool holds_dev_fuse(pid_t pid)
{
	char dir[64], link[PATH_MAX], target[64];
	struct dirent *de;
	bool found = false;
	ssize_t n;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	d = opendir(dir);
	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(link, sizeof(link), "%s/%s", dir, de->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		if (n > 0) {
			target[n] = '\0';
			found = !strcmp(target, "/dev/fuse");
		}
	}
	closedir(d);
	return found;
}

/*
 * The famfsd serving @mnt: a process named famfsd whose last argument is
 * @mnt (famfs mount passes absolute paths), that runs as root and holds
 * /dev/fuse; the newest when there are several. 0 if none. Reads /proc
 * only. Anyone can start a process with that name and those arguments
 * (and get a /dev/fuse descriptor through fusermount3): such a process,
 * stopped, would otherwise make a busy mount look hung and have its
 * connection aborted under its users.
 */
static pid_t find_daemon(const char *mnt)
{
	unsigned long long best_start = 0, st;
	char path[64], buf[8192], *last, *base;
	pid_t best = 0, pid;
	struct dirent *de;
	size_t n, l;
	DIR *d = opendir("/proc");
	FILE *f;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		pid = (pid_t)atoi(de->d_name);
		if (pid <= 0 || pid == getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
		f = fopen(path, "r");
		if (!f)
			continue;
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		if (n == 0)
			continue;
		buf[n] = '\0';
		while (n > 0 && buf[n - 1] == '\0')
			n--;
		base = strrchr(buf, '/');
		base = base ? base + 1 : buf;
		if (strcmp(base, "famfsd"))
			continue;
		last = memrchr(buf, '\0', n);
		last = last ? last + 1 : buf;
		for (l = strlen(last); l > 1 && last[l - 1] == '/'; l--)
			last[l - 1] = '\0';
		if (strcmp(last, mnt) || !runs_as_root(pid) || !holds_dev_fuse(pid))
			continue;
		st = pid_start(pid);
		if (!best || st >= best_start) {
			best = pid;
			best_start = st;
		}
	}
	closedir(d);
	return best;
}

/*
 * The text of the absolute path @path names, without looking up its last
 * component (which may be the root of a hung mount): realpath of the
 * parent plus the last name. Falls back to realpath for "." and "..".
 */
static int mount_text(const char *path, char *out, size_t len)
{
	char tmp[PATH_MAX], par[PATH_MAX], *base, *dir;
	size_t l;

	if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	for (l = strlen(tmp); l > 1 && tmp[l - 1] == '/'; l--)
		tmp[l - 1] = '\0';
	base = strrchr(tmp, '/');
	if (!strcmp(tmp, "/") || !strcmp(base ? base + 1 : tmp, ".") ||
	    !strcmp(base ? base + 1 : tmp, "..")) {
		if (!realpath(tmp, par))
			return -errno;
		snprintf(out, len, "%s", par);
		return 0;
	}
	if (base) {
		*base++ = '\0';
		dir = tmp[0] ? tmp : "/";
	} else {
		base = tmp;
		dir = ".";
	}
	if (!realpath(dir, par))
		return -errno;
	if ((size_t)snprintf(out, len, "%s/%s", strcmp(par, "/") ? par : "", base) >= len)
		return -ENAMETOOLONG;
	return 0;
}

/* Write "1" to the connection's abort file; mounts fusectl if need be. */
static bool abort_conn(unsigned int conn)
{
	char path[128];
	int fd;

	if (!conn)
		return false;
	snprintf(path, sizeof(path), FUSECTL_DIR "/%u/abort", conn);
	if (access(path, F_OK))
		(void)mount("fusectl", FUSECTL_DIR, "fusectl", 0, NULL);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	if (write(fd, "1", 1) != 1) {
		close(fd);
		return false;
	}
	close(fd);
	return true;
}

/*
 * Can the famfsd @pid still answer? Not when none was found, or it is gone
 * (zombie), stopped or traced: then nothing will ever answer the requests
 * that keep the mount busy. A famfsd that runs may be slow or loaded (a
 * busy mount always has requests waiting), so it is never judged hung here:
 * that takes --force.
 */
static bool daemon_alive(pid_t pid)
{
	char s;

	if (pid <= 0)
		return false;
	s = pid_state(pid);
	return s && s != 'T' && s != 't' && s != 'Z' && s != 'X';
}

/* Unmount @mnt, retrying while a released user lets go, then lazily. */
static int unmount_after_abort(const char *mnt, uint64_t deadline)
{
	uint64_t end = cli_now_ms() + 1000;

	if (end > deadline)
		end = deadline;
	while (umount2(mnt, 0)) {
		if (errno == EINVAL || errno == ENOENT)
			return 0;	/* gone already */
		if (cli_now_ms() >= end)
			return umount2(mnt, MNT_DETACH) ? -errno : 0;
		cli_sleep_ms(10);
	}
	return 0;
}

static int dev_in_use(void *ctx, const struct famfs_mnt *m)
{
	return m->dev == *(const dev_t *)ctx;
}

/*
 * The mount is gone: so go its BPF pins (famfsd -o bpf), unless the kernel
 * has already given its st_dev to another mount. A famfsd that exits
 * removes its own; these are those of a famfsd that died or hangs, which
 * a later mount with the same st_dev must never find.
 */
static void drop_pins(const struct cli_target *t)
{
	dev_t dev = (dev_t)t->st_dev;

	if (dev && famfs_mnt_each(dev_in_use, &dev) == 0)
		famfs_bpf_unpin_dev(t->st_dev, NULL);
}

int cmd_umount(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	uint64_t deadline = cli_now_ms() + UMOUNT_WAIT_MS;
	char abs[PATH_MAX], real[PATH_MAX];
	const char *arg;
	struct cli_target t;
	bool aborted = false, force = false;
	pid_t pid;
	int c, rc;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":fvh", lopts, NULL)) != -1) {
		switch (c) {
		case 'f': force = true; break;
		case 'v': cli_verbose++; break;
		case 'h': return cli_help(umount_help);
		default: return cli_getopt_error(c, argv);
		}
	}
	if (optind + 1 != argc)
		return cli_usage("expected MNT");
	arg = argv[optind];
	rc = mount_text(arg, abs, sizeof(abs));
	if (rc == 0)
		rc = cli_find_mount_text(abs, &t);
	if (rc == -ENOENT || (rc && rc != -EPERM)) {
		/* a symlink to the mount point: realpath is safe on a non-mount */
		rc = realpath(arg, real) ? cli_find_mount_text(real, &t) : -ENOENT;
	}
	if (rc == -EPERM)
		return cli_failf(arg, "%s", famfs_errmsg());
	if (rc)
		return cli_failf(arg, "not a famfs mount");
	pid = find_daemon(t.mnt);
	if (umount2(t.mnt, 0)) {
		rc = errno;
		if (rc == EBUSY && !force && daemon_alive(pid))
			return cli_failf(arg, "%s: open files or a working directory inside; "
					 "close them and retry (--force aborts them)",
					 strerror(EBUSY));
		/* famfsd cannot answer, or --force: cut the connection loose */
		aborted = abort_conn(t.conn);
		rc = unmount_after_abort(t.mnt, deadline);
		if (rc)
			return cli_failf(arg, "umount: %s", strerror(-rc));
	}
	drop_pins(&t);
	if (cli_verbose)
		cli_sayf(t.mnt, "unmounted (%s)%s", t.dev,
			 aborted ? "; its FUSE connection was aborted" : "");
	if (pid <= 0) {
		if (cli_verbose)
			cli_sayf(t.mnt, "no famfsd was serving it");
		return CLI_OK;
	}
	while (!pid_gone(pid)) {
		if (cli_now_ms() >= deadline) {
			c = pid_state(pid);
			return cli_failf(arg, "unmounted%s, but famfsd (pid %d) %sdid not exit "
					 "within 5 s", aborted ? " (connection aborted)" : "",
					 (int)pid, c == 'T' || c == 't' ? "is stopped and " : "");
		}
		cli_sleep_ms(10);
	}
	if (cli_verbose)
		cli_sayf(t.mnt, "famfsd (pid %d) exited", (int)pid);
	return CLI_OK;
}
