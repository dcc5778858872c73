// SPDX-License-Identifier: Apache-2.0
/*
 * rw.c - the preload shim's read(2), write(2), pread(2) and pwrite(2) on a
 * famfs fd: memcpy on the direct mapping, with the kernel's rules for the
 * file offset, EOF (reads short, then 0), famfs's fixed size (writes short,
 * then EFBIG), access modes and O_APPEND. Other fds pass through.
 */
#undef _FILE_OFFSET_BITS
#undef _FORTIFY_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "famfs/map.h"
#include "preload.h"

/* ---- read and write ---- */

/* Bytes of a @count-byte access at @pos that lie inside a @size-byte file. */
static size_t clip(uint64_t pos, size_t count, uint64_t size)
{
	if (pos >= size)
		return 0;
	return count < size - pos ? count : (size_t)(size - pos);
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
		memcpy(buf, (const uint8_t *)s->map->addr + off, n);
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
	memcpy((uint8_t *)s->map->addr + off, buf, n);
	return (ssize_t)n;
}

/* read(2)/write(2) at the file offset, moving it by what was done. */
static ssize_t do_at_offset(struct fdstate *s, int fd, void *rbuf, const void *wbuf,
			    size_t count)
{
	ssize_t n;
	off_t pos;

	pthread_mutex_lock(&s->pos_lock);
	pos = lseek(fd, 0, SEEK_CUR);
	if (pos < 0) {
		n = -1;
		goto out;
	}
	n = wbuf ? do_pwrite(s, wbuf, count, pos) : do_pread(s, rbuf, count, pos);
	if (n > 0 && lseek(fd, pos + n, SEEK_SET) < 0)
		n = -1;
out:
	pthread_mutex_unlock(&s->pos_lock);
	return n;
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
