// SPDX-License-Identifier: Apache-2.0
/*
 * rawsys.c - the system calls of the direct-access client, made with
 * syscall(2) instead of libc's wrappers: the LD_PRELOAD shim (src/preload)
 * wraps libc's open, mmap, close and friends, and must never see the
 * calls its own library makes. Errors are negative errno values.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "famfs/audit.h"
#include "map_int.h"

int famfs_raw_open(const char *path, int flags)
{
	long r = syscall(SYS_openat, AT_FDCWD, path, flags | O_CLOEXEC, 0);

	return r < 0 ? -errno : (int)r;
}

void famfs_raw_close(int fd)
{
	syscall(SYS_close, fd);
}

/*
 * The map's own duplicate goes high (from half the descriptor limit, at
 * most 32768: the shim tracks descriptors below 65536), out of the way of
 * programs that dup2 onto small fixed numbers; low if that fails.
 */
int famfs_raw_dupfd(int fd)
{
	struct rlimit rl;
	long r = -1, hi = 3;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur != RLIM_INFINITY)
		hi = (long)(rl.rlim_cur / 2);
	if (hi > 32768)
		hi = 32768;
	if (hi > 3)
		r = syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, hi);
	if (r < 0)
		r = syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, 3);
	return r < 0 ? -errno : (int)r;
}

int famfs_raw_getfl(int fd)
{
	long r = syscall(SYS_fcntl, fd, F_GETFL);

	return r < 0 ? -errno : (int)r;
}

long famfs_raw_ioctl(int fd, unsigned long cmd, void *arg)
{
	long r = syscall(SYS_ioctl, fd, cmd, arg);

	return r < 0 ? -errno : r;
}

void *famfs_raw_mmap(void *addr, size_t len, int prot, int flags, int fd, uint64_t off,
		     int *err)
{
	long r = syscall(SYS_mmap, addr, len, prot, flags, fd, (long)off);

	if (r == -1) {
		*err = -errno;
		return NULL;
	}
	return (void *)r;
}

void famfs_raw_munmap(void *addr, size_t len)
{
	if (addr && len) {
		famfs_audit_unmap(addr, len);
		syscall(SYS_munmap, addr, len);
	}
}

ssize_t famfs_raw_read_small(const char *path, char *buf, size_t bufsz)
{
	int fd = famfs_raw_open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return fd;
	n = syscall(SYS_read, fd, buf, bufsz - 1);
	if (n < 0)
		n = -errno;
	famfs_raw_close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}
