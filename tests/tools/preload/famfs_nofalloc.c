// SPDX-License-Identifier: Apache-2.0
/*
 * famfs_nofalloc.c - an LD_PRELOAD library for tests: fallocate() fails
 * with EOPNOTSUPP, so that a famfs process on a tmpfs device file zeroes
 * by storing zeros, as on a devdax device (which cannot punch holes),
 * instead of punching the blocks out. No <fcntl.h>: with 64-bit offsets
 * it makes fallocate an alias of fallocate64; both are defined here.
 */
#include <errno.h>

int fallocate(int fd, int mode, long long off, long long len);
int fallocate64(int fd, int mode, long long off, long long len);

int fallocate(int fd, int mode, long long off, long long len)
{
	(void)fd; (void)mode; (void)off; (void)len;
	errno = EOPNOTSUPP;
	return -1;
}

int fallocate64(int fd, int mode, long long off, long long len)
{
	(void)fd; (void)mode; (void)off; (void)len;
	errno = EOPNOTSUPP;
	return -1;
}
