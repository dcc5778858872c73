// SPDX-License-Identifier: Apache-2.0
/*
 * mmap.c - the preload shim's mmap(2) and munmap(2): a MAP_SHARED mapping
 * of a famfs file becomes a new direct mapping of the device, widened to
 * whole 2 MiB pages, and the widening is undone by munmap.
 */
#undef _FILE_OFFSET_BITS
#undef _FORTIFY_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "famfs/err.h"
#include "famfs/map.h"
#include "preload.h"

/* ---- mmap ---- */

/*
 * Direct mappings made for mmap(2) are widened to whole 2 MiB pages (a
 * devdax device maps nothing smaller, see famfs_map_mmap()). Each widened
 * one is remembered here, so that munmap() of what the program was given
 * releases the whole mapping: on devdax, unmapping part of a 2 MiB page
 * fails with EINVAL. mmap and munmap are not hot, so a list and a mutex do.
 */
struct span_rec {
	struct span_rec *next;
	void *user;
	size_t user_len;
	struct famfs_map_span span;
};

static struct span_rec *spans;
static pthread_mutex_t spans_lock = PTHREAD_MUTEX_INITIALIZER;

void preload_spans_lock(void)
{
	pthread_mutex_lock(&spans_lock);
}

void preload_spans_unlock(void)
{
	pthread_mutex_unlock(&spans_lock);
}

static size_t page_round(size_t len)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);

	return (len + pg - 1) & ~(pg - 1);
}

static void span_add(void *user, size_t len, const struct famfs_map_span *span)
{
	struct span_rec *r;

	if (span->base == user && span->len == page_round(len))
		return;
	r = malloc(sizeof(*r));
	if (!r)
		return;		/* munmap then works as on a regular file */
	r->user = user;
	r->user_len = page_round(len);
	r->span = *span;
	pthread_mutex_lock(&spans_lock);
	r->next = spans;
	spans = r;
	pthread_mutex_unlock(&spans_lock);
}

/* If [addr, addr + len) is exactly a widened mapping, take its record. */
static struct span_rec *span_take(void *addr, size_t len)
{
	struct span_rec **pp, *r = NULL;

	pthread_mutex_lock(&spans_lock);
	for (pp = &spans; *pp; pp = &(*pp)->next) {
		if ((*pp)->user == addr && (*pp)->user_len == page_round(len)) {
			r = *pp;
			*pp = r->next;
			break;
		}
	}
	pthread_mutex_unlock(&spans_lock);
	return r;
}

static void *do_mmap(struct fdstate *s, void *addr, size_t len, int prot, int flags, off_t off)
{
	struct famfs_map_span span;
	void *p = NULL;
	int err;

	if (s->accmode == O_WRONLY || ((prot & PROT_WRITE) && s->accmode == O_RDONLY)) {
		errno = EACCES;
		return MAP_FAILED;
	}
	if (off < 0) {
		errno = EINVAL;
		return MAP_FAILED;
	}
	preload_in_lib++;
	err = famfs_map_mmap(s->map, addr, len, prot, flags & MAP_FIXED, (uint64_t)off, &p,
			     &span);
	preload_in_lib--;
	if (err) {
		preload_dbg("mmap of %zu at %lld: %s (%s)", len, (long long)off, strerror(-err),
			    famfs_errmsg());
		errno = -err;
		return MAP_FAILED;
	}
	if ((flags & MAP_FIXED_NOREPLACE) && !(flags & MAP_FIXED) && addr && p != addr) {
		real.munmap(span.base, span.len);
		errno = EEXIST;
		return MAP_FAILED;
	}
	span_add(p, len, &span);
	if (flags & MAP_POPULATE)
		madvise(p, len, (prot & PROT_WRITE) ? MADV_POPULATE_WRITE : MADV_POPULATE_READ);
	if (flags & MAP_LOCKED)
		mlock(p, len);
	preload_dbg("mmap of %zu bytes at file offset %lld: direct at %p", len, (long long)off,
		    p);
	return p;
}

static bool famfs_mmap_wanted(int flags, int fd)
{
	int type = flags & MAP_TYPE;

	return !(flags & MAP_ANONYMOUS) && fd >= 0 &&
	       (type == MAP_SHARED || type == MAP_SHARED_VALIDATE);
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	struct fdstate *s = famfs_mmap_wanted(flags, fd) ? preload_state_use(fd) : NULL;
	void *p;

	if (!s) {
		preload_init();
		return real.mmap(addr, len, prot, flags, fd, off);
	}
	p = do_mmap(s, addr, len, prot, flags, off);
	preload_state_put(s);
	return p;
}

void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	struct fdstate *s = famfs_mmap_wanted(flags, fd) ? preload_state_use(fd) : NULL;
	void *p;

	if (!s) {
		preload_init();
		return real.mmap64(addr, len, prot, flags, fd, off);
	}
	p = do_mmap(s, addr, len, prot, flags, off);
	preload_state_put(s);
	return p;
}

int munmap(void *addr, size_t len)
{
	struct span_rec *r;
	int rc;

	preload_init();
	r = preload_in_lib ? NULL : span_take(addr, len);
	if (!r)
		return real.munmap(addr, len);
	rc = real.munmap(r->span.base, r->span.len);
	preload_dbg("munmap of %zu at %p: whole direct mapping of %zu at %p", len, addr,
		    r->span.len, r->span.base);
	free(r);
	return rc;
}
