// SPDX-License-Identifier: Apache-2.0
/*
 * sync.c - the preload shim's write backs. As on fs-dax, where stores
 * through a mapping reach memory only when the file is synced:
 *
 *   fsync, fdatasync       on a famfs fd: write back the CPU cache lines of
 *                          the whole file (famfs does not track which lines
 *                          a mapping dirtied);
 *   sync_file_range        on a famfs fd, with SYNC_FILE_RANGE_WRITE: the
 *                          lines of [offset, offset + nbytes), nbytes 0
 *                          meaning to EOF; without it, nothing to do;
 *   msync                  on a direct mapping the shim made: the lines of
 *                          the range, after the kernel's msync checked it
 *                          (MS_SYNC and MS_ASYNC alike: there is no later
 *                          writeback to leave MS_ASYNC's work to); with
 *                          MS_INVALIDATE the lines are also dropped, so the
 *                          next loads read what other hosts wrote.
 *
 * A line is written back through any mapping of the same memory (CPU
 * caches are physically tagged), so each goes through the file's own
 * mapping, which is always readable. None of these calls reaches famfsd;
 * a call the shim does not serve (shim off, fd not mapped) goes to famfsd,
 * whose FSYNC does the same write back.
 *
 * This file also keeps the records msync needs: which addresses of the
 * shim's direct mmaps map which bytes of which file. A record holds a
 * reference to the file's state, so the file's mapping outlives a close of
 * the fd for as long as the mmap does.
 */
#undef _FILE_OFFSET_BITS
#undef _FORTIFY_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "famfs/audit.h"
#include "famfs/dev.h"
#include "famfs/map.h"
#include "preload.h"

/* [start, end) of the process maps file bytes from @off of @s's file. */
struct mrec {
	uintptr_t start, end;
	struct fdstate *s;
	uint64_t off;
};

static pthread_mutex_t maps_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mrec *mrecs;
static size_t nmrecs, capmrecs;
static atomic_size_t nmaps;	/* nmrecs, read without the lock by the fast paths */

void preload_maps_lock(void)
{
	pthread_mutex_lock(&maps_lock);
}

void preload_maps_unlock(void)
{
	pthread_mutex_unlock(&maps_lock);
}

/* Room for @more records; false when memory is short. */
static bool grow(size_t more)
{
	struct mrec *n;
	size_t cap;

	if (nmrecs + more <= capmrecs)
		return true;
	cap = capmrecs * 2 + 16;
	n = realloc(mrecs, cap * sizeof(*mrecs));
	if (!n)
		return false;
	mrecs = n;
	capmrecs = cap;
	return true;
}

/* Drop [a, e) from the records (maps_lock held); pieces outside it stay. */
static void carve(uintptr_t a, uintptr_t e)
{
	struct mrec r;
	size_t i = 0;

	while (i < nmrecs) {
		r = mrecs[i];
		if (r.end <= a || r.start >= e) {
			i++;
		} else if (r.start < a && r.end > e && grow(1)) {
			/* a hole in the middle: two records, two references */
			preload_state_hold(r.s);
			mrecs[nmrecs++] = (struct mrec){ e, r.end, r.s, r.off + (e - r.start) };
			mrecs[i++].end = a;
		} else if (r.start < a) {
			mrecs[i++].end = a;
		} else if (r.end > e) {
			mrecs[i].off += e - r.start;
			mrecs[i++].start = e;
		} else {
			mrecs[i] = mrecs[--nmrecs];
			preload_state_put(r.s);
		}
	}
	atomic_store(&nmaps, nmrecs);
}

void preload_maps_add(void *addr, size_t len, struct fdstate *s, uint64_t off)
{
	uintptr_t a = (uintptr_t)addr;

	if (!len)
		return;
	pthread_mutex_lock(&maps_lock);
	carve(a, a + len);
	if (grow(1)) {
		preload_state_hold(s);
		mrecs[nmrecs++] = (struct mrec){ a, a + len, s, off };
		atomic_store(&nmaps, nmrecs);
	} else {
		preload_dbg("mmap at %p: no memory to record it: msync will not write it back",
			    addr);
	}
	pthread_mutex_unlock(&maps_lock);
}

void preload_maps_forget(void *addr, size_t len)
{
	uintptr_t a = (uintptr_t)addr;

	if (!len || !atomic_load(&nmaps))
		return;
	pthread_mutex_lock(&maps_lock);
	carve(a, a + len < a ? UINTPTR_MAX : a + len);
	pthread_mutex_unlock(&maps_lock);
}

void preload_maps_moved(void *old, size_t old_len, void *p, size_t new_len, bool keep_old)
{
	uintptr_t o = (uintptr_t)old;
	struct fdstate *s = NULL;
	uint64_t off = 0;
	size_t i;

	if (!atomic_load(&nmaps))
		return;
	pthread_mutex_lock(&maps_lock);
	for (i = 0; i < nmrecs; i++) {
		if (o >= mrecs[i].start && o < mrecs[i].end) {
			s = mrecs[i].s;
			off = mrecs[i].off + (o - mrecs[i].start);
			preload_state_hold(s);
			break;
		}
	}
	pthread_mutex_unlock(&maps_lock);
	if (!keep_old)
		preload_maps_forget(old, old_len);
	if (s) {
		preload_maps_add(p, new_len, s, off);
		preload_state_put(s);
	}
}

/*
 * Write back (or with @invalidate, drop) the lines of file bytes [off, off
 * + len) of @s's file, clipped to the file, through the file's mapping.
 */
static void sync_file(const struct fdstate *s, uint64_t off, uint64_t len, bool invalidate,
		      const char *what)
{
	const struct famfs_map *m = s->map;
	uint8_t *p;

	if (off >= m->len)
		return;
	if (len > m->len - off)
		len = m->len - off;
	p = (uint8_t *)m->addr + off;
	if (invalidate)
		famfs_invalidate(p, len);
	else
		famfs_flush(p, len);
	famfs_audit_published(p, len, what);
}

/* msync of [addr, addr + len): every recorded piece of it (maps_lock taken). */
static void maps_sync(void *addr, size_t len, bool invalidate)
{
	uintptr_t a = (uintptr_t)addr, e = a + len, x, y;
	size_t i;

	if (e < a)
		e = UINTPTR_MAX;
	preload_in_lib++;
	pthread_mutex_lock(&maps_lock);
	for (i = 0; i < nmrecs; i++) {
		x = mrecs[i].start > a ? mrecs[i].start : a;
		y = mrecs[i].end < e ? mrecs[i].end : e;
		if (x < y)
			sync_file(mrecs[i].s, mrecs[i].off + (x - mrecs[i].start), y - x, invalidate,
				  "msync");
	}
	pthread_mutex_unlock(&maps_lock);
	preload_lib_leave();
}

int msync(void *addr, size_t len, int flags)
{
	int rc;

	preload_init();
	rc = real.msync(addr, len, flags);
	if (rc == 0 && !preload_in_lib && atomic_load(&nmaps))
		maps_sync(addr, len, flags & MS_INVALIDATE);
	return rc;
}

/* fsync(2) and fdatasync(2) (@data): the whole file, as there is no metadata to sync. */
static int sync_whole(int fd, bool data)
{
	struct fdstate *s = preload_state_use(fd);

	if (!s) {
		preload_init();
		return data ? real.fdatasync(fd) : real.fsync(fd);
	}
	sync_file(s, 0, s->map->len, false, data ? "fdatasync" : "fsync");
	preload_state_put(s);
	return 0;
}

int fsync(int fd)
{
	return sync_whole(fd, false);
}

int fdatasync(int fd)
{
	return sync_whole(fd, true);
}

#define SFR_FLAGS (SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | \
		   SYNC_FILE_RANGE_WAIT_AFTER)

int sync_file_range(int fd, off64_t off, off64_t nbytes, unsigned int flags)
{
	struct fdstate *s = preload_state_use(fd);
	off64_t end;
	uint64_t len;

	if (!s) {
		preload_init();
		return real.sync_file_range(fd, off, nbytes, flags);
	}
	/* The kernel's argument checks. */
	if ((flags & ~SFR_FLAGS) || off < 0 || nbytes < 0 ||
	    __builtin_add_overflow(off, nbytes, &end)) {
		preload_state_put(s);
		errno = EINVAL;
		return -1;
	}
	len = nbytes ? (uint64_t)nbytes : UINT64_MAX;
	if (flags & SYNC_FILE_RANGE_WRITE)
		sync_file(s, (uint64_t)off, len, false, "sync_file_range");
	preload_state_put(s);
	return 0;
}
