// SPDX-License-Identifier: Apache-2.0
/*
 * hostlock.c - a host mounts a device once. famfsd holds an exclusive
 * flock(2) on /run/famfs/mount-<device>-<system uuid>.lock for as long as
 * it lives, with its mount point and pid written inside; a second famfsd
 * for the same device and the same system uuid finds it held and refuses,
 * naming the first mount. The kernel drops the lock when famfsd exits, however it
 * exits, so a file left by a crash is only a name; a clean exit unlinks
 * it (while holding it, so a new famfsd checks it locked the file that is
 * there). A holder that serves no mount is on its way out (umount(8) does
 * not wait for famfsd to exit) or in: it is waited for, up to 5 s, so that
 * a script can unmount and mount again at once. Emulated hosts (famfsds run
 * with another FAMFS_SYSTEM_UUID) take other locks and keep working.
 *
 * flock(2) needs only an open fd, so whoever can open the lock file can hold
 * it and block every later mount of the device: /run/famfs is root's alone
 * (0700) and so is each lock file (0600, owned by root; a file that is not
 * is refused, and modes left by older builds are repaired). The host lock
 * is therefore root's: a famfsd that runs with CAP_SYS_RAWIO but not as root
 * cannot take it, warns, and mounts without it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "famfs/err.h"
#include "famfs/mount.h"
#include "famfs/role.h"
#include "famfsd.h"

#define RUN_DIR	"/run/famfs"
/* How long a famfsd that serves no mount may take to exit (as famfs umount). */
#define HOLDER_EXIT_NS	(5ULL * 1000 * 1000 * 1000)

/* The lock file of @dev for @uuid: the device is named by its identity. */
static int lock_path(const char *dev, const char *uuid, char *out, size_t len)
{
	struct stat st;

	if (stat(dev, &st))
		return -errno;
	if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
		snprintf(out, len, RUN_DIR "/mount-%c%u:%u-%s.lock",
			 S_ISCHR(st.st_mode) ? 'c' : 'b', major(st.st_rdev), minor(st.st_rdev),
			 uuid);
	else
		snprintf(out, len, RUN_DIR "/mount-f%u:%u:%llu-%s.lock", major(st.st_dev),
			 minor(st.st_dev), (unsigned long long)st.st_ino, uuid);
	return 0;
}

/*
 * Is the famfsd that holds the lock @fd serving a mount? Its mount point is
 * the lock file's text (read into @other); a fuse.famfs mount there means
 * it is. With none there, it is on its way out (umount(8) unmounted it and
 * famfsd has not exited yet) or on its way in (it locks before it mounts).
 */
static bool holder_mounted(int fd, char *other, size_t len)
{
	struct famfs_mnt m;
	ssize_t n = pread(fd, other, len - 1, 0);

	other[n > 0 ? n : 0] = '\0';
	other[strcspn(other, "\n")] = '\0';	/* one line */
	return other[0] && !famfs_mnt_at(other, &m) && !strcmp(m.fstype, "fuse.famfs");
}

/*
 * /run/famfs must be root's directory, mode 0700 (an older build made it
 * 0755: repaired here). 0, or -1 printed.
 */
static int private_dir(void)
{
	struct stat st;
	int fd = open(RUN_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st)) {
		fprintf(stderr, "famfsd: %s: %s\n", RUN_DIR, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (st.st_uid != 0) {
		fprintf(stderr, "famfsd: %s is owned by uid %u, not root: refusing its host "
			"locks (remove it)\n", RUN_DIR, (unsigned int)st.st_uid);
		close(fd);
		return -1;
	}
	if ((st.st_mode & 07777) != 0700 && fchmod(fd, 0700))
		fprintf(stderr, "famfsd: warning: chmod 0700 %s: %s\n", RUN_DIR, strerror(errno));
	close(fd);
	return 0;
}

/*
 * Lock file @fd (@path) must be a regular file of root's that no one else
 * can open: repair the mode (0644 from an older build), refuse another
 * owner. 0, or -1 printed.
 */
static int private_file(int fd, const char *path)
{
	struct stat st;

	if (fstat(fd, &st)) {
		fprintf(stderr, "famfsd: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_uid != 0) {
		fprintf(stderr, "famfsd: %s: %s: refusing this host lock (remove the file)\n",
			path, S_ISREG(st.st_mode) ? "not owned by root" : "not a regular file");
		return -1;
	}
	if ((st.st_mode & 07777) != 0600 && fchmod(fd, 0600)) {
		fprintf(stderr, "famfsd: %s: chmod 0600: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* The command name of @pid in @comm; "" if it has exited. */
static void proc_comm(pid_t pid, char *comm, size_t len)
{
	char path[64];
	FILE *f;

	comm[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(comm, (int)len, f))
		comm[strcspn(comm, "\n")] = '\0';
	fclose(f);
}

/* The pid that took the flock on @fd's file, from /proc/locks; 0 if none. */
static pid_t locks_pid(int fd)
{
	unsigned long long ino;
	unsigned int maj, min;
	char line[256], *s;
	struct stat st;
	pid_t pid = 0;
	FILE *f;
	int p;

	if (fstat(fd, &st) || !(f = fopen("/proc/locks", "re")))
		return 0;
	/* "1: FLOCK  ADVISORY  WRITE 1234 00:1b:12767 0 EOF"; "1: -> ..." waits */
	while (!pid && fgets(line, sizeof(line), f)) {
		s = strstr(line, "FLOCK");
		if (s && !strstr(line, "->") &&
		    sscanf(s, "FLOCK %*s %*s %d %x:%x:%llu", &p, &maj, &min, &ino) == 4 &&
		    ino == (unsigned long long)st.st_ino && makedev(maj, min) == st.st_dev)
			pid = p;
	}
	fclose(f);
	return pid;
}

/*
 * Who holds the lock @fd: the famfsd whose pid is the lock file's second
 * line (a famfsd writes it again once it has daemonized: the lock was
 * taken by its parent), else the process that took the lock (/proc/locks).
 * Its command name is in @comm, "" if it has exited (the lock then lives
 * on in a descriptor it passed on). 0 if not found.
 */
static pid_t lock_holder(int fd, char *comm, size_t len)
{
	char text[4200], *nl;
	ssize_t n = pread(fd, text, sizeof(text) - 1, 0);
	pid_t pid;

	text[n > 0 ? n : 0] = '\0';
	nl = strchr(text, '\n');
	pid = nl ? (pid_t)strtol(nl + 1, NULL, 10) : 0;
	if (pid > 0) {
		proc_comm(pid, comm, len);
		if (!strncmp(comm, "famfsd", 6))
			return pid;
	}
	pid = locks_pid(fd);
	comm[0] = '\0';
	if (pid > 0)
		proc_comm(pid, comm, len);
	return pid;
}

/* Write "MNT\nPID\n" into the lock file @fd: what a second famfsd reads. */
static int write_owner(int fd, const char *mnt)
{
	char text[4200];
	int n = snprintf(text, sizeof(text), "%s\n%d\n", mnt, (int)getpid());

	if (n < 0 || n >= (int)sizeof(text) || ftruncate(fd, 0) || pwrite(fd, text, n, 0) != n)
		return -1;
	return 0;
}

/* "; its lock was taken by pid N (famfsd)" for the messages, or "". */
static const char *holder_text(pid_t pid, const char *comm, char *out, size_t len)
{
	if (pid <= 0)
		return "";
	if (comm[0])
		snprintf(out, len, "; its lock was taken by pid %d (%s)", (int)pid, comm);
	else
		snprintf(out, len, "; its lock was taken by pid %d, which has exited", (int)pid);
	return out;
}

int famfsd_hostlock(struct famfsd *fsd, const char *dev, const char *mnt)
{
	const struct timespec pause = { 0, 20 * 1000 * 1000 };
	char path[256], uuid[37], other[4096], comm[32], who[96];
	uint64_t deadline = famfsd_now_ns() + HOLDER_EXIT_NS;
	struct stat fst, pst;
	uint8_t sys[16];
	bool mounted;
	pid_t holder;
	int fd;

	famfs_errclear();
	if (famfs_system_uuid(sys)) {
		fprintf(stderr, "famfsd: system uuid: %s\n", famfs_errmsg());
		return -1;
	}
	uuid_unparse(sys, uuid);
	if (lock_path(dev, uuid, path, sizeof(path))) {
		fprintf(stderr, "famfsd: %s: %s\n", dev, strerror(errno));
		return -1;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "famfsd: warning: not root: the host lock in %s is root's; a "
			"second mount of %s by this host will not be detected\n", RUN_DIR, dev);
		return 0;
	}
	if (mkdir(RUN_DIR, 0700) && errno != EEXIST) {
		fprintf(stderr, "famfsd: warning: %s: %s; a second mount of %s by this host "
			"will not be detected\n", RUN_DIR, strerror(errno), dev);
		return 0;
	}
	if (private_dir())
		return -1;
	for (;;) {
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0) {
			fprintf(stderr, "famfsd: %s: %s\n", path, strerror(errno));
			return -1;
		}
		if (private_file(fd, path)) {
			close(fd);
			return -1;
		}
		if (flock(fd, LOCK_EX | LOCK_NB)) {
			if (errno != EWOULDBLOCK) {
				fprintf(stderr, "famfsd: %s: %s\n", path, strerror(errno));
				close(fd);
				return -1;
			}
			mounted = holder_mounted(fd, other, sizeof(other));
			holder = lock_holder(fd, comm, sizeof(comm));
			close(fd);
			/* A live holder that is no famfsd will not exit with a umount. */
			if (!mounted && comm[0] && strncmp(comm, "famfsd", 6)) {
				fprintf(stderr, "famfsd: %s: its host lock %s is held by pid %d (%s), "
					"which is not a famfsd: end it, or remove the file\n", dev,
					path, (int)holder, comm);
				return -1;
			}
			/*
			 * A script that runs umount(8) and mounts again at once must
			 * not find the old famfsd still exiting: wait for it, as
			 * long as famfs umount would, while it serves no mount.
			 */
			if (!mounted && famfsd_now_ns() < deadline) {
				nanosleep(&pause, NULL);
				continue;
			}
			if (mounted)
				fprintf(stderr, "famfsd: %s: already mounted at %s by this host "
					"(system uuid %s): a host mounts a device once\n", dev,
					other, uuid);
			else
				fprintf(stderr, "famfsd: %s: the famfsd of this host that served "
					"it%s%s has not exited in %llu s (system uuid %s%s): a "
					"host mounts a device once\n", dev, other[0] ? " at " : "",
					other, HOLDER_EXIT_NS / 1000000000ULL, uuid,
					holder_text(holder, comm, who, sizeof(who)));
			return -1;
		}
		/* The holder unlinks the file as it exits: lock the file that is there. */
		if (!fstat(fd, &fst) && !stat(path, &pst) && fst.st_ino == pst.st_ino &&
		    fst.st_dev == pst.st_dev)
			break;
		close(fd);
	}
	/* The message a second famfsd prints names the mount point absolute. */
	if (realpath(mnt, other))
		mnt = other;
	if (write_owner(fd, mnt))
		fprintf(stderr, "famfsd: warning: %s: %s\n", path, strerror(errno));
	fsd->hostlock_fd = fd;	/* held until famfsd exits */
	snprintf(fsd->hostlock_file, sizeof(fsd->hostlock_file), "%s", path);
	return 0;
}

void famfsd_hostlock_owner(struct famfsd *fsd)
{
	char mnt[4096];
	ssize_t n;

	if (fsd->hostlock_fd < 0)
		return;
	n = pread(fsd->hostlock_fd, mnt, sizeof(mnt) - 1, 0);
	mnt[n > 0 ? n : 0] = '\0';
	mnt[strcspn(mnt, "\n")] = '\0';
	(void)write_owner(fsd->hostlock_fd, mnt);
}

void famfsd_hostunlock(struct famfsd *fsd)
{
	if (fsd->hostlock_fd < 0)
		return;
	unlink(fsd->hostlock_file);	/* while still holding it: see famfsd_hostlock */
	close(fsd->hostlock_fd);
	fsd->hostlock_fd = -1;
}
