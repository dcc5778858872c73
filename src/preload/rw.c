// SPDX-License-Identifier: Apache-2.0
/*
 * rw.c - the preload shim's read(2), write(2), pread(2) and pwrite(2) on a
 * famfs fd: a copy on the direct mapping, with the kernel's rules for the
 * file offset, EOF (reads short, then 0), famfs's fixed size (writes short,
 * then EFBIG), access modes and O_APPEND. Other fds pass through.
 *
 * Cache. Each read first drops the CPU cache lines it covers
 * (famfs_invalidate) and each write is written back before it returns
 * (famfs_memcpy_flush), exactly as famfsd does for a READ or WRITE through
 * FUSE: turning the shim on changes nothing another host sees. So O_SYNC
 * and O_DSYNC need nothing more.
 *
 * The file offset. read(2) and write(2) claim their bytes with one
 * lseek(fd, count, SEEK_CUR): the kernel moves the offset atomically (under
 * the file's f_pos_lock, the lock its own read and write take), and the
 * bytes before the new offset are this call's. A call that ends up doing
 * fewer bytes (EOF, EFBIG) gives the rest back with lseek(-rest, SEEK_CUR).
 * No lock is held in user space, so a signal handler that reads or writes
 * the same fd in the middle of a call just claims the bytes after it, as
 * if it had run after the call; threads, dup'ed fds and forked processes
 * that share the open file are serialised by the kernel as for any file.
 * Limit: an lseek(SEEK_SET) by another thread between a short call's two
 * lseeks is moved by the bytes given back.
 */
#undef _FILE_OFFSET_BITS
#undef _FORTIFY_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "famfs/audit.h"
#include "famfs/dev.h"
#include "famfs/map.h"
#include "preload.h"

/* The most one read(2) or write(2) moves, as the kernel's MAX_RW_COUNT. */
#define RW_MAX	((size_t)INT_MAX & ~(size_t)4095)

/* Bytes of a @count-byte access at @pos that lie inside a @size-byte file. */
static size_t clip(uint64_t pos, size_t count, uint64_t size)
{
	if (pos >= size)
		return 0;
	return count < size - pos ? count : (size_t)(size - pos);
}

/* Copy out @n bytes at @off, dropping stale cache lines first. */
static void read_mem(const struct fdstate *s, void *buf, uint64_t off, size_t n)
{
	const uint8_t *p = (const uint8_t *)s->map->addr + off;

	famfs_invalidate(p, n);
	memcpy(buf, p, n);
	famfs_audit_read(p, n, "shim read");
}

/* Copy in @n bytes at @off, written back before the call returns. */
static void write_mem(const struct fdstate *s, const void *buf, uint64_t off, size_t n)
{
	uint8_t *p = (uint8_t *)s->map->addr + off;

	famfs_memcpy_flush(p, buf, n);
	famfs_audit_published(p, n, "shim write");
}

static ssize_t do_pread(struct fdstate *s, void *buf, size_t count, off_t off)
{
	size_t n;

	if (s->accmode == O_WRONLY) {
		errno = EBADF;
		return -1;
	}
	if (off < 0) {
		errno = EINVAL;
		return -1;
	}
	n = clip((uint64_t)off, count, s->map->len);
	if (n)
		read_mem(s, buf, (uint64_t)off, n);
	return (ssize_t)n;
}

static ssize_t do_pwrite(struct fdstate *s, const void *buf, size_t count, off_t off)
{
	size_t n;

	if (s->accmode == O_RDONLY) {
		errno = EBADF;
		return -1;
	}
	if (off < 0) {
		errno = EINVAL;
		return -1;
	}
	if (count == 0)
		return 0;
	/* O_APPEND writes at EOF whatever the offset, as pwrite(2) on Linux */
	if (atomic_load_explicit(&s->append, memory_order_relaxed))
		off = (off_t)s->map->len;
	n = clip((uint64_t)off, count, s->map->len);
	if (n == 0) {
		errno = EFBIG;	/* famfs files never grow */
		return -1;
	}
	write_mem(s, buf, (uint64_t)off, n);
	return (ssize_t)n;
}

/*
 * read(2) (@wbuf NULL) or write(2) at the file offset: claim the bytes
 * with one atomic lseek, then copy (see "The file offset" above).
 */
static ssize_t do_at_offset(struct fdstate *s, int fd, void *rbuf, const void *wbuf,
			    size_t count)
{
	off_t end, pos = 0;
	size_t n;
	int saved;

	if (s->accmode == (wbuf ? O_RDONLY : O_WRONLY)) {
		errno = EBADF;
		return -1;
	}
	if (count == 0)
		return 0;
	/* an O_APPEND write would append, and famfs files never grow */
	if (wbuf && atomic_load_explicit(&s->append, memory_order_relaxed)) {
		errno = EFBIG;
		return -1;
	}
	if (count > RW_MAX)
		count = RW_MAX;
	end = lseek(fd, (off_t)count, SEEK_CUR);
	if (end < 0) {
		/* EINVAL: the offset would pass the largest file size, so it is past EOF */
		if (errno != EINVAL)
			return -1;
		n = 0;
	} else {
		pos = end - (off_t)count;
		n = clip((uint64_t)pos, count, s->map->len);
		if (n < count) {
			saved = errno;
			lseek(fd, -(off_t)(count - n), SEEK_CUR);
			errno = saved;
		}
	}
	if (n == 0) {
		if (!wbuf)
			return 0;
		errno = EFBIG;
		return -1;
	}
	if (wbuf)
		write_mem(s, wbuf, (uint64_t)pos, n);
	else
		read_mem(s, rbuf, (uint64_t)pos, n);
	return (ssize_t)n;
}

ssize_t read(int fd, void *buf, size_t count)
{
	struct fdstate *s = preload_state_use(fd);
	ssize_t n;

	if (!s) {
		preload_init();
		return real.read(fd, buf, count);
	}
	n = do_at_offset(s, fd, buf, NULL, count);
	preload_state_put(s);
	return n;
}

ssize_t write(int fd, const void *buf, size_t count)
{
	struct fdstate *s = preload_state_use(fd);
	ssize_t n;

	if (!s) {
		preload_init();
		return real.write(fd, buf, count);
	}
	n = do_at_offset(s, fd, NULL, buf, count);
	preload_state_put(s);
	return n;
}

ssize_t pread(int fd, void *buf, size_t count, off_t off)
{
	struct fdstate *s = preload_state_use(fd);
	ssize_t n;

	if (!s) {
		preload_init();
		return real.pread(fd, buf, count, off);
	}
	n = do_pread(s, buf, count, off);
	preload_state_put(s);
	return n;
}

ssize_t pread64(int fd, void *buf, size_t count, off_t off)
{
	struct fdstate *s = preload_state_use(fd);
	ssize_t n;

	if (!s) {
		preload_init();
		return real.pread64(fd, buf, count, off);
	}
	n = do_pread(s, buf, count, off);
	preload_state_put(s);
	return n;
}

ssize_t pwrite(int fd, const void *buf, size_t count, off_t off)
{
	struct fdstate *s = preload_state_use(fd);
	ssize_t n;

	if (!s) {
		preload_init();
		return real.pwrite(fd, buf, count, off);
	}
	n = do_pwrite(s, buf, count, off);
	preload_state_put(s);
	return n;
}

ssize_t pwrite64(int fd, const void *buf, size_t count, off_t off)
{
	struct fdstate *s = preload_state_use(fd);
	ssize_t n;

	if (!s) {
		preload_init();
		return real.pwrite64(fd, buf, count, off);
	}
	n = do_pwrite(s, buf, count, off);
	preload_state_put(s);
	return n;
}
