// SPDX-License-Identifier: Apache-2.0
/*
 * mmap.c - the preload shim's mmap(2) and munmap(2): a MAP_SHARED mapping
 * of a famfs file becomes a new direct mapping of the device, widened to
 * whole 2 MiB pages, and the widening is undone by munmap. Each mapping is
 * also recorded for msync (sync.c). The bookkeeping runs with
 * preload_in_lib set (it locks and allocates; see preload.h).
 */
#undef _FILE_OFFSET_BITS
#undef _FORTIFY_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "famfs/audit.h"
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
 *
 * A record is exact or gone: any munmap, mremap or MAP_FIXED mmap that
 * touches a recorded mapping other than by exactly its user range drops
 * the record (the rest of the widened page then stays mapped until the
 * program unmaps it, as for any partly unmapped mapping), so that a later
 * munmap of the same address and length never unmaps what is there now.
 */
struct span_rec {
	struct span_rec *next;
	void *user;
	size_t user_len;
	struct famfs_map_span span;
};

static struct span_rec *spans;
static atomic_int nspans;	/* records in spans: munmap's fast path */
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
	atomic_fetch_add(&nspans, 1);
	pthread_mutex_unlock(&spans_lock);
}

/* If [addr, addr + len) is exactly a widened mapping, take its record. */
static struct span_rec *span_take(void *addr, size_t len)
{
	struct span_rec **pp, *r = NULL;

	if (!atomic_load(&nspans))
		return NULL;
	pthread_mutex_lock(&spans_lock);
	for (pp = &spans; *pp; pp = &(*pp)->next) {
		if ((*pp)->user == addr && (*pp)->user_len == page_round(len)) {
			r = *pp;
			*pp = r->next;
			atomic_fetch_sub(&nspans, 1);
			break;
		}
	}
	pthread_mutex_unlock(&spans_lock);
	return r;
}

/* [addr, addr + len) was unmapped or replaced: drop every record it touches. */
static void spans_forget(void *addr, size_t len)
{
	uintptr_t a = (uintptr_t)addr, e = a + page_round(len), b;
	struct span_rec **pp, *r, *dead = NULL;

	if (!atomic_load(&nspans) || len == 0)
		return;
	pthread_mutex_lock(&spans_lock);
	for (pp = &spans; (r = *pp);) {
		b = (uintptr_t)r->span.base;
		if (b < e && a < b + r->span.len) {
			*pp = r->next;
			r->next = dead;
			dead = r;
			atomic_fetch_sub(&nspans, 1);
			preload_dbg("munmap/mmap over part of the widened mapping at %p: record "
				    "dropped", r->span.base);
		} else {
			pp = &r->next;
		}
	}
	pthread_mutex_unlock(&spans_lock);
	while ((r = dead)) {
		dead = r->next;
		free(r);
	}
}

/*
 * A direct mapping for mmap(2) on famfs fd state @s. *@pass is set when the
 * device cannot be opened (EACCES, EPERM: the process dropped privileges
 * after opening the file): the caller then asks FUSE, as without the shim.
 */
static void *do_mmap(struct fdstate *s, void *addr, size_t len, int prot, int flags, off_t off,
		     bool *pass)
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
	if (err) {
		preload_dbg("mmap of %zu at %lld: %s (%s)", len, (long long)off, strerror(-err),
			    famfs_errmsg());
		preload_lib_leave();
		*pass = err == -EACCES || err == -EPERM;
		errno = -err;
		return MAP_FAILED;
	}
	if ((flags & MAP_FIXED_NOREPLACE) && !(flags & MAP_FIXED) && addr && p != addr) {
		famfs_audit_unmap(span.base, span.len);
		real.munmap(span.base, span.len);
		preload_lib_leave();
		errno = EEXIST;
		return MAP_FAILED;
	}
	if (flags & MAP_FIXED) {
		spans_forget(p, len);
		preload_maps_forget(p, len);
	}
	span_add(p, len, &span);
	preload_maps_add(p, len, s, (uint64_t)off);
	preload_lib_leave();
	if (flags & MAP_POPULATE)
		madvise(p, len, (prot & PROT_WRITE) ? MADV_POPULATE_WRITE : MADV_POPULATE_READ);
	if (flags & MAP_LOCKED)
		mlock(p, len);
	preload_dbg("mmap of %zu bytes at file offset %lld: direct at %p", len, (long long)off,
		    p);
	return p;
}

/* [p, p + len) was unmapped or mapped over by something else: forget it. */
static void replaced(void *p, size_t len)
{
	if (preload_in_lib)
		return;
	preload_in_lib++;
	famfs_audit_unmap(p, len);
	spans_forget(p, len);
	preload_maps_forget(p, len);
	preload_lib_leave();
}

static bool famfs_mmap_wanted(int flags, int fd)
{
	int type = flags & MAP_TYPE;

	return !(flags & MAP_ANONYMOUS) && fd >= 0 &&
	       (type == MAP_SHARED || type == MAP_SHARED_VALIDATE);
}

/* mmap(2) and mmap64(2) (@is64): direct for a famfs fd, else libc's. */
static void *shim_mmap(bool is64, void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	struct fdstate *s = famfs_mmap_wanted(flags, fd) ? preload_state_use(fd) : NULL;
	bool pass = !s;
	void *p = MAP_FAILED;

	if (s) {
		p = do_mmap(s, addr, len, prot, flags, off, &pass);
		preload_state_put(s);
	}
	if (pass) {
		preload_init();
		p = is64 ? real.mmap64(addr, len, prot, flags, fd, off) :
			   real.mmap(addr, len, prot, flags, fd, off);
		if (p != MAP_FAILED && (flags & MAP_FIXED))
			replaced(p, len);
	}
	return p;
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return shim_mmap(false, addr, len, prot, flags, fd, off);
}

void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return shim_mmap(true, addr, len, prot, flags, fd, off);
}

int munmap(void *addr, size_t len)
{
	struct span_rec *r;
	int rc;

	preload_init();
	if (preload_in_lib)
		return real.munmap(addr, len);
	preload_in_lib++;
	r = span_take(addr, len);
	preload_lib_leave();
	if (!r) {
		rc = real.munmap(addr, len);
		if (rc == 0)
			replaced(addr, len);
		return rc;
	}
	rc = real.munmap(r->span.base, r->span.len);
	preload_dbg("munmap of %zu at %p: whole direct mapping of %zu at %p", len, addr,
		    r->span.len, r->span.base);
	if (rc == 0)
		replaced(r->span.base, r->span.len);
	free(r);
	return rc;
}

/* The fifth argument (new_address) is there only with MREMAP_FIXED. */
void *mremap(void *old, size_t old_len, size_t new_len, int flags, ...)
{
	void *want = NULL, *p;
	va_list ap;

	preload_init();
	if (flags & MREMAP_FIXED) {
		va_start(ap, flags);
		want = va_arg(ap, void *);
		va_end(ap);
	}
	p = real.mremap(old, old_len, new_len, flags, want);
	if (p != MAP_FAILED && !preload_in_lib) {
		preload_in_lib++;
		famfs_audit_unmap(old, old_len);
		spans_forget(old, old_len ? old_len : 1);
		spans_forget(p, new_len);
		preload_maps_moved(old, old_len, p, new_len, flags & MREMAP_DONTUNMAP);
		preload_lib_leave();
	}
	return p;
}
