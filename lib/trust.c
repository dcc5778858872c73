// SPDX-License-Identifier: Apache-2.0
/*
 * trust.c - the trusted-mount check that the CLI and the direct-access
 * client share (see famfs/trust.h): is a fuse.famfs mount root's, does its
 * famfsd confirm the device and file system it serves, and may a device
 * path a mount names be opened at all.
 *
 * The calls that the LD_PRELOAD shim wraps (open, mmap, pread, close) are
 * made as raw system calls (rawsys.c), as in the rest of the direct-access
 * client.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "famfs/err.h"
#include "famfs/le.h"
#include "famfs/omf.h"
#include "famfs/trust.h"
#include "map_int.h"

int famfs_trust_mount(const struct famfs_mnt *m)
{
	if (strcmp(m->fstype, FAMFS_FSTYPE))
		return famfs_err(-EPERM, "%s is not a famfs mount (type %s)", m->target,
				 m->fstype);
	if (m->user_id < 0)
		return famfs_err(-EPERM, "the famfs mount on %s has no user_id option: "
				 "not trusted", m->target);
	if (m->user_id != 0)
		return famfs_err(-EPERM, "the famfs mount on %s was mounted by uid %ld, not "
				 "by root: not trusted", m->target, m->user_id);
	return 0;
}

bool famfs_trust_same_file(const struct stat *st, const struct stat *src)
{
	if ((st->st_mode & S_IFMT) != (src->st_mode & S_IFMT))
		return false;
	if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode))
		return st->st_rdev == src->st_rdev;
	return st->st_dev == src->st_dev && st->st_ino == src->st_ino;
}

struct dev_mnt_ctx {
	struct stat st;
	struct famfs_mnt *out;
};

static int dev_mounted_on(void *ctx, const struct famfs_mnt *m)
{
	struct dev_mnt_ctx *c = ctx;
	struct stat st;

	/* A user's FUSE mount may claim any device with fsname=: only root's count. */
	if (famfs_trust_mount(m) || stat(m->source, &st) || !famfs_trust_same_file(&c->st, &st))
		return 0;
	*c->out = *m;
	return 1;
}

int famfs_trust_mount_of_dev(const char *dev, struct famfs_mnt *out)
{
	struct dev_mnt_ctx c = { .out = out };
	int rc;

	if (stat(dev, &c.st))
		return -errno;
	rc = famfs_mnt_each(dev_mounted_on, &c);
	famfs_errclear();	/* the untrusted mounts' reasons */
	if (rc < 0)
		return rc;
	return rc == 1 ? 0 : -ENOENT;
}

/* The last component of the sysfs link @path points to, into @out. */
static bool sysfs_link_base(const char *path, char *out, size_t len)
{
	char buf[PATH_MAX];
	const char *b;
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);

	if (n <= 0)
		return false;
	buf[n] = '\0';
	b = strrchr(buf, '/');
	snprintf(out, len, "%s", b ? b + 1 : buf);
	return true;
}

/* A devdax character device: its sysfs subsystem is the dax bus. */
static bool is_devdax(const struct stat *st)
{
	char p[96], base[PATH_MAX];

	if (!S_ISCHR(st->st_mode))
		return false;
	snprintf(p, sizeof(p), "/sys/dev/char/%u:%u/subsystem", major(st->st_rdev),
		 minor(st->st_rdev));
	return sysfs_link_base(p, base, sizeof(base)) && !strcmp(base, "dax");
}

/* A pmem block device (or a partition of one): pmemN, pmemNpM, pmemN.M. */
static bool is_pmem(const struct stat *st)
{
	char p[96], base[PATH_MAX];

	if (!S_ISBLK(st->st_mode))
		return false;
	snprintf(p, sizeof(p), "/sys/dev/block/%u:%u", major(st->st_rdev), minor(st->st_rdev));
	return sysfs_link_base(p, base, sizeof(base)) && !strncmp(base, "pmem", 4) &&
	       base[4] >= '0' && base[4] <= '9';
}

bool famfs_trust_dev_ok(const struct stat *st, const struct stat *src)
{
	if (src && famfs_trust_same_file(st, src))
		return true;
	return is_devdax(st) || is_pmem(st);
}

int famfs_trust_file_owner(const struct stat *st, const char *path)
{
	if (!S_ISREG(st->st_mode))
		return 0;
	if (st->st_uid != 0 && st->st_uid != geteuid())
		return famfs_err(-EPERM, "%s: owned by uid %u, not root: not a famfs device", path,
				 (unsigned int)st->st_uid);
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return famfs_err(-EPERM, "%s: group- or world-writable (mode %04o): not a famfs "
				 "device", path, (unsigned int)(st->st_mode & 07777));
	return 0;
}

/*
 * Open @path with @flags if @ok(its stat, @arg) allows it: look through an
 * O_PATH descriptor (opening nothing for real: no FIFO blocks, no device
 * driver runs), then reopen that very inode through /proc/self/fd.
 */
static int open_checked(const char *path, int flags, bool (*ok)(const struct stat *, const void *),
			const void *arg, struct stat *out)
{
	char self[64];
	struct stat st, st2;
	int pfd, fd;

	pfd = famfs_raw_open(path, O_PATH);
	if (pfd < 0)
		return famfs_err(pfd, "%s: open: %s", path, strerror(-pfd));
	if (fstat(pfd, &st)) {
		fd = -errno;
		goto out;
	}
	if (!ok(&st, arg)) {
		fd = famfs_err(-EPERM, "%s is not a dax or pmem device, nor the mount's source: "
			       "not opened", path);
		goto out;
	}
	snprintf(self, sizeof(self), "/proc/self/fd/%d", pfd);
	fd = famfs_raw_open(self, flags & ~O_CREAT);
	if (fd < 0) {
		fd = famfs_err(fd, "%s: open: %s", path, strerror(-fd));
		goto out;
	}
	if (fstat(fd, &st2) || st2.st_dev != st.st_dev || st2.st_ino != st.st_ino) {
		famfs_raw_close(fd);
		fd = famfs_err(-EPERM, "%s changed while it was opened", path);
		goto out;
	}
	if (out)
		*out = st2;
out:
	famfs_raw_close(pfd);
	return fd;
}

static bool dev_policy(const struct stat *st, const void *src)
{
	return famfs_trust_dev_ok(st, src);
}

int famfs_trust_open_dev(const char *path, int flags, const struct stat *src)
{
	return open_checked(path, flags, dev_policy, src, NULL);
}

/* A devdax or pmem device, the source, or any regular file (checked next). */
static bool member_policy(const struct stat *st, const void *src)
{
	return S_ISREG(st->st_mode) || famfs_trust_dev_ok(st, src);
}

int famfs_trust_open_member(const char *path, int flags, const struct stat *src,
			    const uint8_t fs_uuid[16])
{
	uint8_t buf[FAMFS_SB_SIZE];
	struct stat st, st2;
	char self[64];
	long n;
	int fd, fd2;

	fd = open_checked(path, O_RDONLY, member_policy, src, &st);
	if (fd < 0 || !S_ISREG(st.st_mode) || (src && famfs_trust_same_file(&st, src)))
		goto reopen;
	/* Anyone may write a file in /dev/shm: only root's (or our own) count. */
	if (famfs_trust_file_owner(&st, path)) {
		famfs_raw_close(fd);
		return -EPERM;
	}
	/*
	 * A regular file that is not the source: only a secondary device of
	 * this very file system (a device that is a file, as in tests), known
	 * by its superblock: famfs magic, SECONDARY flag, our uuid.
	 */
	n = syscall(SYS_pread64, fd, buf, sizeof(buf), 0L);
	if (n != (long)sizeof(buf) || famfs_get_le64(buf) != FAMFS_SUPER_MAGIC ||
	    !(famfs_get_le32(buf + FAMFS_SB_FLAGS_OFFSET) & FAMFS_SB_FLAG_SECONDARY) ||
	    memcmp(buf + FAMFS_SB_UUID_OFFSET, fs_uuid, 16)) {
		famfs_raw_close(fd);
		return famfs_err(-EPERM, "%s is not a dax or pmem device, nor the mount's source, "
				 "nor a device of its file system: not opened", path);
	}
reopen:
	if (fd < 0 || (flags & O_ACCMODE) == O_RDONLY)
		return fd;
	/* the same inode again, now with the access asked for */
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	fd2 = famfs_raw_open(self, flags & ~O_CREAT);
	if (fd2 < 0) {
		fd2 = famfs_err(fd2, "%s: open: %s", path, strerror(-fd2));
	} else if (fstat(fd2, &st2) || st2.st_dev != st.st_dev || st2.st_ino != st.st_ino) {
		famfs_raw_close(fd2);
		fd2 = famfs_err(-EPERM, "%s changed while it was opened", path);
	}
	famfs_raw_close(fd);
	return fd2;
}

/* A mount's source may be a regular file too (the embedded device). */
static bool source_policy(const struct stat *st, const void *unused)
{
	return S_ISREG(st->st_mode) || famfs_trust_dev_ok(st, NULL);
}

/* Read the file system uuid of the device open as @fd (stat @st). */
static int read_sb_uuid(int fd, const struct stat *st, const char *path, uint8_t uuid[16])
{
	uint8_t buf[FAMFS_SB_SIZE];
	void *p;
	long n;
	int err = 0;

	if (S_ISCHR(st->st_mode)) {
		/* devdax supports only mmap, of whole 2 MiB pages */
		p = famfs_raw_mmap(NULL, FAMFS_SB_REGION, PROT_READ, MAP_SHARED, fd, 0, &err);
		if (!p)
			return famfs_err(err, "%s: cannot map the superblock: %s", path,
					 strerror(-err));
		memcpy(buf, p, sizeof(buf));
		famfs_raw_munmap(p, FAMFS_SB_REGION);
	} else {
		n = syscall(SYS_pread64, fd, buf, sizeof(buf), 0L);
		if (n != (long)sizeof(buf))
			return famfs_err(n < 0 ? -errno : -EPERM, "%s: cannot read the superblock",
					 path);
	}
	/*
	 * The magic and the uuid only: famfsd validated the whole superblock,
	 * and its CRC would pull zlib into every process the shim is in.
	 */
	if (famfs_get_le64(buf) != FAMFS_SUPER_MAGIC)
		return famfs_err(-EPERM, "%s: no famfs superblock: not trusted", path);
	memcpy(uuid, buf + FAMFS_SB_UUID_OFFSET, 16);
	return 0;
}

int famfs_trust_confirm(const struct famfs_mnt *m, int fd, struct famfs_mount_info *info,
			struct stat *src)
{
	struct famfs_mount_info *mi;
	struct stat sst, dst;
	uint8_t uuid[16];
	char why[256];
	long r;
	int err, sfd = -1;

	err = famfs_trust_mount(m);
	if (err)
		return err;
	mi = calloc(1, sizeof(*mi));
	if (!mi)
		return -ENOMEM;
	r = famfs_raw_ioctl(fd, FAMFS_IOC_INFO, mi);
	if (r < 0) {
		err = famfs_err(-EPERM, "the famfs mount on %s does not answer INFO (%s): not "
				"trusted", m->target, strerror((int)-r));
		goto out;
	}
	if (mi->version != FAMFS_MOUNT_INFO_VERSION) {
		err = famfs_err(-EPERM, "the famfs mount on %s answers INFO version %llu, not %d: "
				"not trusted", m->target, (unsigned long long)mi->version,
				FAMFS_MOUNT_INFO_VERSION);
		goto out;
	}
	mi->devpath[sizeof(mi->devpath) - 1] = '\0';
	sfd = open_checked(m->source, O_RDONLY, source_policy, NULL, &sst);
	if (sfd < 0) {
		/* -EPERM: refused by the policy; else why it could not be opened */
		snprintf(why, sizeof(why), "%s", famfs_errmsg());
		err = famfs_err(sfd, "the source of the famfs mount on %s: %s", m->target, why);
		goto out;
	}
	if (stat(mi->devpath, &dst) || !famfs_trust_same_file(&dst, &sst)) {
		err = famfs_err(-EPERM, "famfsd on %s serves %s, not the mount's source %s: not "
				"trusted", m->target, mi->devpath, m->source);
		goto out;
	}
	err = read_sb_uuid(sfd, &sst, m->source, uuid);
	if (err)
		goto out;
	if (memcmp(uuid, mi->fs_uuid, sizeof(uuid))) {
		err = famfs_err(-EPERM, "famfsd on %s reports another file system than the one "
				"on %s (uuid mismatch): not trusted", m->target, m->source);
		goto out;
	}
	if (info)
		*info = *mi;
	if (src)
		*src = sst;
out:
	if (sfd >= 0)
		famfs_raw_close(sfd);
	free(mi);
	return err;
}
