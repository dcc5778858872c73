// SPDX-License-Identifier: Apache-2.0
/*
 * mapcache.c - what the direct-access client remembers of a mount's files
 * between opens, kept in the mount's context (mntctx.c) and gone with it:
 *
 *  - the fmaps it has seen, as the V10 GET_FMAP messages they came in (or
 *    were built as, logpeek.c), by inode. An inode's map never changes
 *    while its mount lives: inode numbers are log indexes, never reused,
 *    and a log entry is never rewritten (a deleted file keeps its inode,
 *    and famfsd refuses to open it). A re-open is checked by famfsd's OPEN
 *    first, which refuses a deleted file, a failed device and a file
 *    system that changed under the mount; the cache only saves the
 *    GET_FMAP that followed. The context itself is the mount's identity
 *    (a remount is another context), and logpeek.c's superblock uuid check
 *    covers a device re-made under a live mount.
 *  - the live whole-file mappings, by inode and protection, so that a
 *    second open of a file that is mapped already shares its mapping
 *    instead of opening the device and mapping it again. A shared mapping
 *    is reference counted with atomics: the last map to let go unmaps it,
 *    without a lock (famfs_map_unmap is async-signal-safe, for the shim).
 *    An entry whose count reached 0 is dead: it is never taken again, and
 *    is freed under the lock by the next walk of the list.
 *
 * Both live under the context table's lock (famfs_mctx_lock).
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "famfs/err.h"
#include "famfs/fmap.h"
#include "famfs/map.h"
#include "map_int.h"

#define FMC_BUCKETS	256
#define FMC_MAX		4096	/* fmaps per mount: when full, start over */

struct fmc_ent {
	struct fmc_ent *next;
	uint64_t ino;
	size_t len;
	uint8_t msg[];
};

struct famfs_mshare {
	atomic_long ref;		/* 0: dead, never taken again */
	void *addr;			/* immutable once listed */
	size_t maplen;
	long nsegs;
	uint64_t ino;
	bool writable;
	struct famfs_mshare *next;
};

struct famfs_fmc {
	struct fmc_ent *bucket[FMC_BUCKETS];
	unsigned int n;
	struct famfs_mshare *shares;
};

static unsigned int bucket_of(uint64_t ino)
{
	return (unsigned int)((ino * 0x9e3779b97f4a7c15ULL) >> 56) % FMC_BUCKETS;
}

/* @c's cache, made on first use; caller holds the lock. NULL: no memory. */
static struct famfs_fmc *fmc_of(struct famfs_mctx *c)
{
	if (!c->fmc)
		c->fmc = calloc(1, sizeof(*c->fmc));
	return c->fmc;
}

static void fmc_clear(struct famfs_fmc *f)
{
	struct fmc_ent *e;
	unsigned int i;

	for (i = 0; i < FMC_BUCKETS; i++) {
		while ((e = f->bucket[i])) {
			f->bucket[i] = e->next;
			free(e);
		}
	}
	f->n = 0;
}

size_t famfs_fmc_get(struct famfs_mctx *c, uint64_t ino, uint8_t *buf)
{
	struct fmc_ent *e;
	size_t len = 0;

	famfs_mctx_lock();
	if (c->fmc) {
		for (e = c->fmc->bucket[bucket_of(ino)]; e; e = e->next) {
			if (e->ino == ino) {
				memcpy(buf, e->msg, e->len);
				len = e->len;
				break;
			}
		}
	}
	famfs_mctx_unlock();
	return len;
}

void famfs_fmc_put(struct famfs_mctx *c, uint64_t ino, const uint8_t *buf, size_t len)
{
	struct fmc_ent *e, *old;
	struct famfs_fmc *f;
	unsigned int b = bucket_of(ino);

	if (!len || len > FAMFS_FMAP_MSG_MAX)
		return;
	e = malloc(sizeof(*e) + len);
	if (!e)
		return;
	e->ino = ino;
	e->len = len;
	memcpy(e->msg, buf, len);
	famfs_mctx_lock();
	f = fmc_of(c);
	if (!f)
		goto drop;
	for (old = f->bucket[b]; old; old = old->next)
		if (old->ino == ino)
			goto drop;	/* another thread was faster */
	if (f->n >= FMC_MAX)
		fmc_clear(f);
	e->next = f->bucket[b];
	f->bucket[b] = e;
	f->n++;
	famfs_mctx_unlock();
	return;
drop:
	famfs_mctx_unlock();
	free(e);
}

void famfs_fmc_free(struct famfs_mctx *c)
{
	struct famfs_mshare *s;

	if (!c->fmc)
		return;
	fmc_clear(c->fmc);
	/* Every map holds a reference on its context: no share is alive. */
	while ((s = c->fmc->shares)) {
		c->fmc->shares = s->next;
		free(s);
	}
	free(c->fmc);
	c->fmc = NULL;
}

struct famfs_mshare *famfs_mshare_get(struct famfs_mctx *c, uint64_t ino, bool writable,
				      size_t maplen)
{
	struct famfs_mshare **pp, *s, *found = NULL;
	long r;

	famfs_mctx_lock();
	for (pp = c->fmc ? &c->fmc->shares : NULL; pp && (s = *pp);) {
		r = atomic_load(&s->ref);
		if (r == 0) {
			*pp = s->next;	/* dead: its last map unmapped it */
			free(s);
			continue;
		}
		if (!found && s->ino == ino && s->writable == writable && s->maplen == maplen) {
			while (r > 0 && !atomic_compare_exchange_weak(&s->ref, &r, r + 1))
				;
			if (r > 0)
				found = s;
		}
		pp = &s->next;
	}
	famfs_mctx_unlock();
	return found;
}

void famfs_mshare_add(struct famfs_mctx *c, uint64_t ino, struct famfs_map *m)
{
	struct famfs_mshare *s;
	struct famfs_fmc *f;

	if (!m->addr || m->share)
		return;
	s = calloc(1, sizeof(*s));
	if (!s)
		return;
	atomic_init(&s->ref, 1);
	s->addr = m->addr;
	s->maplen = m->maplen;
	s->nsegs = m->nsegs;
	s->ino = ino;
	s->writable = m->writable;
	famfs_mctx_lock();
	f = fmc_of(c);
	if (f) {
		s->next = f->shares;
		f->shares = s;
		m->share = s;
	}
	famfs_mctx_unlock();
	if (!f)
		free(s);
}

/* Take the shared mapping @s (one reference already counted) into @m. */
void famfs_mshare_use(struct famfs_map *m, struct famfs_mshare *s)
{
	m->share = s;
	m->addr = s->addr;
	m->maplen = s->maplen;
	m->nsegs = s->nsegs;
}

/* Drop a reference on @s that no map took over. */
void famfs_mshare_drop(struct famfs_mshare *s)
{
	famfs_mshare_put(s, s->addr, s->maplen);
}

/*
 * Drop @s's reference held by a map that had [@addr, @addr + @len)
 * mapped; the last one unmaps. Reads nothing of @s after the decrement
 * (a walk may free a dead entry at once): async-signal-safe.
 */
void famfs_mshare_put(struct famfs_mshare *s, void *addr, size_t len)
{
	if (atomic_fetch_sub(&s->ref, 1) == 1)
		famfs_raw_munmap(addr, len);
}
