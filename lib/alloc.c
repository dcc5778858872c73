// SPDX-License-Identifier: Apache-2.0
/*
 * alloc.c - the allocation bitmap (one bit per allocation unit, rebuilt
 * from the log), the two allocators (contiguous first fit from a cursor,
 * and interleaved allocation across randomly ordered buckets), and deleted
 * files' memory waiting to be reusable (the rm feature).
 *
 * Pure code: no I/O; the only allocations are the bitmaps and the pending
 * list.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "famfs/alloc.h"
#include "famfs/err.h"

#define MIB	(1ULL << 20)
#define NONE	UINT64_MAX

static inline bool bit_test(const struct famfs_alloc *a, uint64_t i)
{
	return (a->bits[i >> 6] >> (i & 63)) & 1;
}

/* Set @n units from @start; return how many were already set. */
static uint64_t bits_set(struct famfs_alloc *a, uint64_t start, uint64_t n)
{
	uint64_t coll = 0;

	for (uint64_t i = start; i < start + n; i++) {
		uint64_t m = 1ULL << (i & 63);

		if (a->bits[i >> 6] & m) {
			coll++;
		} else {
			a->bits[i >> 6] |= m;
			a->used++;
		}
	}
	return coll;
}

/* Clear @n units from @start that are set. */
static void bits_clear(struct famfs_alloc *a, uint64_t start, uint64_t n)
{
	for (uint64_t i = start; i < start + n; i++) {
		uint64_t m = 1ULL << (i & 63);

		if (a->bits[i >> 6] & m) {
			a->bits[i >> 6] &= ~m;
			a->used--;
		}
	}
}

/* First unit in [from, end) whose bit equals @set, or @end. */
static uint64_t next_bit(const struct famfs_alloc *a, uint64_t from, uint64_t end, bool set)
{
	uint64_t i = from;

	while (i < end) {
		uint64_t w = a->bits[i >> 6];

		if (!set)
			w = ~w;
		w &= ~0ULL << (i & 63);
		if (w) {
			uint64_t r = (i & ~63ULL) + (uint64_t)__builtin_ctzll(w);

			return r < end ? r : end;
		}
		i = (i & ~63ULL) + 64;
	}
	return end;
}

/* First run of @n free units inside [from, end), or NONE. */
static uint64_t find_run(const struct famfs_alloc *a, uint64_t from, uint64_t end, uint64_t n)
{
	uint64_t i = next_bit(a, from, end, false);

	while (i < end && end - i >= n) {
		uint64_t j = next_bit(a, i, i + n, true);

		if (j == i + n)
			return i;
		i = next_bit(a, j, end, false);
	}
	return NONE;
}

int famfs_alloc_init(struct famfs_alloc *a, uint64_t dev_size, uint64_t au,
		     uint64_t reserved)
{
	memset(a, 0, sizeof(*a));
	if (au == 0 || (au & (au - 1)))
		return famfs_err(-EINVAL, "alloc: allocation unit %llu is not a power of 2",
				 (unsigned long long)au);
	if (dev_size == 0 || dev_size % au)
		return famfs_err(-EINVAL,
				 "alloc: device size %llu is not a non-zero multiple of %llu",
				 (unsigned long long)dev_size, (unsigned long long)au);
	if (reserved % au || reserved > dev_size)
		return famfs_err(-EINVAL,
				 "alloc: reserved size %llu is not a multiple of %llu within the device",
				 (unsigned long long)reserved, (unsigned long long)au);
	a->dev_size = dev_size;
	a->au = au;
	a->nbits = dev_size / au;
	a->bits = calloc((a->nbits + 63) / 64, sizeof(uint64_t));
	if (!a->bits) {
		memset(a, 0, sizeof(*a));
		return famfs_err(-ENOMEM, "alloc: no memory for a bitmap of %llu units",
				 (unsigned long long)(dev_size / au));
	}
	bits_set(a, 0, reserved / au);
	return 0;
}

void famfs_alloc_fini(struct famfs_alloc *a)
{
	if (!a)
		return;
	free(a->bits);
	free(a->pend);
	free(a->dirty);
	free(a->runs);
	memset(a, 0, sizeof(*a));
}

/* Check one extent: aligned and inside the device. */
static int ext_check(const struct famfs_alloc *a, const struct famfs_omf_extent *e,
		     const char *what, unsigned int i)
{
	uint64_t start, n;

	if (e->offset % a->au)
		return famfs_err(-EINVAL, "alloc: %s %u offset %#llx is not aligned to %#llx",
				 what, i, (unsigned long long)e->offset,
				 (unsigned long long)a->au);
	start = e->offset / a->au;
	n = e->len / a->au + (e->len % a->au != 0);
	if (start > a->nbits || n > a->nbits - start)
		return famfs_err(-ERANGE,
				 "alloc: %s %u [%#llx, +%#llx) is past the device end %#llx",
				 what, i, (unsigned long long)e->offset,
				 (unsigned long long)e->len, (unsigned long long)a->dev_size);
	return 0;
}

/* Count @n units from @start that are already in use. */
static uint64_t bits_count(const struct famfs_alloc *a, uint64_t start, uint64_t n)
{
	uint64_t inuse = 0;

	for (uint64_t i = start; i < start + n; i++)
		inuse += (a->bits[i >> 6] >> (i & 63)) & 1;
	return inuse;
}

static uint64_t ext_units(const struct famfs_alloc *a, const struct famfs_omf_extent *e)
{
	return e->len / a->au + (e->len % a->au != 0);
}

/*
 * The extents (or strips) of @f, after checking the map's shape and that
 * each one is aligned and inside the device.
 */
static int fmap_extents(const struct famfs_alloc *a, const struct famfs_omf_fmap *f,
			const struct famfs_omf_extent **ext, uint64_t *n)
{
	const char *what;
	int rc;

	if (f->ext_type == FAMFS_EXT_SIMPLE) {
		*n = f->nextents;
		*ext = f->se;
		what = "extent";
		if (*n < 1 || *n > FAMFS_OMF_MAX_SIMPLE_EXTENTS)
			return famfs_err(-EINVAL, "alloc: %llu simple extents (1..%d allowed)",
					 (unsigned long long)*n, FAMFS_OMF_MAX_SIMPLE_EXTENTS);
	} else if (f->ext_type == FAMFS_EXT_INTERLEAVE) {
		*n = f->nstrips;
		*ext = f->strips;
		what = "strip";
		if (f->nextents != 1)
			return famfs_err(-EINVAL, "alloc: %u interleaved extents (1 allowed)",
					 f->nextents);
		if (*n < 1 || *n > FAMFS_OMF_MAX_STRIPS)
			return famfs_err(-EINVAL, "alloc: %llu strips (1..%d allowed)",
					 (unsigned long long)*n, FAMFS_OMF_MAX_STRIPS);
	} else {
		return famfs_err(-EINVAL, "alloc: unknown extent type %u", f->ext_type);
	}
	for (unsigned int i = 0; i < *n; i++) {
		if ((*ext)[i].devindex != a->devindex)
			continue;
		rc = ext_check(a, &(*ext)[i], what, i);
		if (rc)
			return rc;
	}
	return 0;
}

int famfs_alloc_mark(struct famfs_alloc *a, const struct famfs_omf_fmap *f,
		     uint64_t *collisions)
{
	const struct famfs_omf_extent *ext;
	uint64_t n, coll = 0;
	int rc;

	rc = fmap_extents(a, f, &ext, &n);
	if (rc)
		return rc;
	for (unsigned int i = 0; i < n; i++)
		if (ext[i].devindex == a->devindex)
			coll += bits_set(a, ext[i].offset / a->au, ext_units(a, &ext[i]));
	if (collisions)
		*collisions += coll;
	return 0;
}

int famfs_alloc_inuse(const struct famfs_alloc *a, const struct famfs_omf_fmap *f,
		      uint64_t *inuse)
{
	const struct famfs_omf_extent *ext;
	uint64_t n, count = 0;
	int rc;

	rc = fmap_extents(a, f, &ext, &n);
	if (rc)
		return rc;
	for (unsigned int i = 0; i < n; i++)
		if (ext[i].devindex == a->devindex)
			count += bits_count(a, ext[i].offset / a->au, ext_units(a, &ext[i]));
	*inuse = count;
	return 0;
}

bool famfs_interleave_enabled(const struct famfs_interleave_param *p)
{
	return p && (p->nbuckets || p->nstrips || p->chunk_size);
}

void famfs_interleave_fill(struct famfs_interleave_param *p, uint64_t dev_size)
{
	if (!famfs_interleave_enabled(p))
		return;
	if (!p->chunk_size)
		p->chunk_size = 2 * MIB;
	if (!p->nbuckets) {
		if (p->nstrips) {
			p->nbuckets = p->nstrips;
		} else {
			p->nbuckets = dev_size / FAMFS_MIN_BUCKET;
			if (p->nbuckets < 1)
				p->nbuckets = 1;
			if (p->nbuckets > FAMFS_MAX_NBUCKETS)
				p->nbuckets = FAMFS_MAX_NBUCKETS;
		}
	}
	if (!p->nstrips)
		p->nstrips = p->nbuckets < FAMFS_OMF_MAX_STRIPS ? p->nbuckets
								 : FAMFS_OMF_MAX_STRIPS;
}

int famfs_interleave_chunk_check(const struct famfs_interleave_param *p)
{
	unsigned long long c = p->chunk_size;

	if (c == 0 || (c & (c - 1)))
		return famfs_err(-EINVAL, "interleave: chunk size %llu is not a power of 2", c);
	if (c % FAMFS_ALLOC_UNIT)
		return famfs_err(-EINVAL,
				 "interleave: chunk size %llu is not a multiple of 2 MiB", c);
	if (p->nstrips < 1)
		return famfs_err(-EINVAL, "interleave: nstrips must be at least 1");
	return 0;
}

int famfs_interleave_param_check(const struct famfs_interleave_param *p, uint64_t dev_size)
{
	unsigned long long b, s;
	int rc;

	if (!famfs_interleave_enabled(p))
		return 0;
	rc = famfs_interleave_chunk_check(p);
	if (rc)
		return rc;
	b = p->nbuckets;
	s = p->nstrips;
	if (b > FAMFS_MAX_NBUCKETS)
		return famfs_err(-EINVAL, "interleave: nbuckets %llu is over %d", b,
				 FAMFS_MAX_NBUCKETS);
	if (s > b)
		return famfs_err(-EINVAL, "interleave: nstrips %llu is more than nbuckets %llu",
				 s, b);
	if (s > FAMFS_OMF_MAX_STRIPS)
		return famfs_err(-EINVAL,
				 "interleave: nstrips %llu is over %d (one log entry)", s,
				 FAMFS_OMF_MAX_STRIPS);
	if (dev_size / b < FAMFS_MIN_BUCKET)
		return famfs_err(-EINVAL,
				 "interleave: bucket size %llu (device %llu / nbuckets %llu) is under 1 GiB",
				 (unsigned long long)(dev_size / b), (unsigned long long)dev_size, b);
	return 0;
}

/* Contiguous first fit from the cursor, wrapping once to the start. */
static int alloc_contig(struct famfs_alloc *a, uint64_t size, struct famfs_omf_fmap *out)
{
	uint64_t n = size / a->au + (size % a->au != 0);
	uint64_t at = NONE;

	if (a->cursor < a->nbits)
		at = find_run(a, a->cursor, a->nbits, n);
	if (at == NONE)
		at = find_run(a, 0, a->nbits, n);
	if (at == NONE)
		return famfs_err(-ENOSPC, "no free run of %llu bytes: the largest is %llu bytes "
				 "(%llu bytes free)", (unsigned long long)(n * a->au),
				 (unsigned long long)famfs_alloc_largest_free(a),
				 (unsigned long long)famfs_alloc_free_bytes(a));
	bits_set(a, at, n);
	a->cursor = at + n;
	out->ext_type = FAMFS_EXT_SIMPLE;
	out->nextents = 1;
	out->se[0].devindex = a->devindex;
	out->se[0].offset = at * a->au;
	out->se[0].len = n * a->au;
	return 0;
}

/* splitmix64: a small, well-mixed PRNG for the bucket order. */
static uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

int famfs_alloc_strips(struct famfs_alloc *a, uint64_t nbuckets, unsigned int nstrips,
		       uint64_t strip_len, uint64_t seed, uint64_t *offsets)
{
	unsigned int order[FAMFS_MAX_NBUCKETS];
	uint64_t taken[FAMFS_OMF_MAX_STRIPS];
	uint64_t strip_au = strip_len / a->au;
	uint64_t bucket_au, rng = seed;
	unsigned int got = 0;

	if (!nbuckets || nbuckets > FAMFS_MAX_NBUCKETS || !nstrips ||
	    nstrips > FAMFS_OMF_MAX_STRIPS || nstrips > nbuckets || !strip_au ||
	    strip_len % a->au)
		return famfs_err(-EINVAL, "alloc: %u strips of %llu bytes in %llu buckets",
				 nstrips, (unsigned long long)strip_len,
				 (unsigned long long)nbuckets);
	bucket_au = a->nbits / nbuckets;
	for (unsigned int i = 0; i < nbuckets; i++)
		order[i] = i;
	for (unsigned int i = (unsigned int)nbuckets - 1; i > 0; i--) {
		unsigned int j = (unsigned int)(splitmix64(&rng) % (i + 1));
		unsigned int t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	for (unsigned int i = 0; i < nbuckets && got < nstrips; i++) {
		uint64_t lo = (uint64_t)order[i] * bucket_au;
		uint64_t at = find_run(a, lo, lo + bucket_au, strip_au);

		if (at == NONE)
			continue;
		bits_set(a, at, strip_au);
		taken[got++] = at;
	}
	if (got < nstrips) {
		for (unsigned int i = 0; i < got; i++)
			bits_clear(a, taken[i], strip_au);
		return famfs_err(-ENOSPC,
				 "only %u of the %u strips find a free run of %llu bytes in a "
				 "bucket of their own (the largest free run is %llu bytes, %llu "
				 "bytes free)", got, nstrips,
				 (unsigned long long)(strip_au * a->au),
				 (unsigned long long)famfs_alloc_largest_free(a),
				 (unsigned long long)famfs_alloc_free_bytes(a));
	}
	for (unsigned int i = 0; i < got; i++)
		offsets[i] = taken[i] * a->au;
	return 0;
}

void famfs_alloc_unmark(struct famfs_alloc *a, uint64_t offset, uint64_t len)
{
	bits_clear(a, offset / a->au, len / a->au);
}

static int alloc_interleave(struct famfs_alloc *a, uint64_t size,
			    const struct famfs_interleave_param *p, uint64_t seed,
			    struct famfs_omf_fmap *out)
{
	uint64_t offsets[FAMFS_OMF_MAX_STRIPS];
	uint64_t strip_len = famfs_interleave_strip_len(size, a->au, p->nstrips, p->chunk_size);
	int rc;

	rc = famfs_alloc_strips(a, p->nbuckets, (unsigned int)p->nstrips, strip_len, seed,
				offsets);
	if (rc)
		return rc;
	out->ext_type = FAMFS_EXT_INTERLEAVE;
	out->nextents = 1;
	out->nstrips = p->nstrips;
	out->chunk_size = p->chunk_size;
	for (unsigned int i = 0; i < p->nstrips; i++) {
		out->strips[i].devindex = a->devindex;
		out->strips[i].offset = offsets[i];
		out->strips[i].len = strip_len;
	}
	return 0;
}

uint64_t famfs_interleave_strip_len(uint64_t size, uint64_t au, uint64_t nstrips,
				    uint64_t chunk_size)
{
	uint64_t size_au = size / au + (size % au != 0);
	uint64_t chunk_au = chunk_size / au;
	uint64_t per_stripe = nstrips * chunk_au;
	uint64_t nstripes = size_au / per_stripe + (size_au % per_stripe != 0);

	return nstripes * chunk_au * au;
}

int famfs_alloc_file(struct famfs_alloc *a, uint64_t size,
		     const struct famfs_interleave_param *ip, uint64_t seed,
		     struct famfs_omf_fmap *out)
{
	struct famfs_interleave_param p = { 0 };
	int rc;

	memset(out, 0, sizeof(*out));
	if (size == 0)
		return famfs_err(-EINVAL, "alloc: empty files are not allowed");
	if (!famfs_interleave_enabled(ip))
		return alloc_contig(a, size, out);
	p = *ip;
	famfs_interleave_fill(&p, a->dev_size);
	rc = famfs_interleave_param_check(&p, a->dev_size);
	if (rc)
		return rc;
	if (p.chunk_size % a->au)
		return famfs_err(-EINVAL,
				 "interleave: chunk size %llu is not a multiple of the unit %llu",
				 (unsigned long long)p.chunk_size, (unsigned long long)a->au);
	if (size < p.chunk_size)
		return alloc_contig(a, size, out);
	return alloc_interleave(a, size, &p, seed, out);
}

uint64_t famfs_alloc_free_bytes(const struct famfs_alloc *a)
{
	return (a->nbits - a->used) * a->au;
}

uint64_t famfs_alloc_largest_free(const struct famfs_alloc *a)
{
	uint64_t i = next_bit(a, 0, a->nbits, false), j, best = 0;

	while (i < a->nbits) {
		j = next_bit(a, i, a->nbits, true);
		if (j - i > best)
			best = j - i;
		i = next_bit(a, j, a->nbits, false);
	}
	return best * a->au;
}

/* A copy of @n bytes at @p (NULL for NULL); sets *@nomem when out of memory. */
static void *dup_mem(const void *p, size_t n, bool *nomem)
{
	void *q;

	if (!p)
		return NULL;
	q = malloc(n ? n : 1);
	if (!q) {
		*nomem = true;
		return NULL;
	}
	return memcpy(q, p, n);
}

int famfs_alloc_clone(const struct famfs_alloc *a, struct famfs_alloc *out)
{
	size_t bytes = (a->nbits + 63) / 64 * sizeof(uint64_t);
	bool nomem = false;

	/* The deleted files' units and runs too: fini frees each copy's own. */
	*out = *a;
	out->bits = dup_mem(a->bits, bytes, &nomem);
	out->pend = dup_mem(a->pend, bytes, &nomem);
	out->dirty = dup_mem(a->dirty, bytes, &nomem);
	out->runs = dup_mem(a->runs, a->cap * sizeof(*a->runs), &nomem);
	if (nomem) {
		famfs_alloc_fini(out);
		return famfs_err(-ENOMEM, "alloc: no memory for a copy of the bitmap");
	}
	return 0;
}

/* ---- deleted files (the rm feature) ---- */

static inline bool pend_test(const struct famfs_alloc *a, uint64_t i)
{
	return a->pend && ((a->pend[i >> 6] >> (i & 63)) & 1);
}

/* Room for @more runs at the end of the list (compacting what was reclaimed). */
static int runs_reserve(struct famfs_alloc *a, size_t more)
{
	struct famfs_alloc_pending *r;
	size_t cap;

	if (a->head && a->head == a->nruns)
		a->head = a->nruns = 0;
	if (a->nruns + more <= a->cap)
		return 0;
	if (a->head) {
		memmove(a->runs, a->runs + a->head, (a->nruns - a->head) * sizeof(*a->runs));
		a->nruns -= a->head;
		a->head = 0;
		if (a->nruns + more <= a->cap)
			return 0;
	}
	cap = a->cap ? a->cap * 2 : 64;
	while (cap < a->nruns + more)
		cap *= 2;
	r = realloc(a->runs, cap * sizeof(*r));
	if (!r)
		return famfs_err(-ENOMEM, "alloc: no memory for the list of deleted extents");
	a->runs = r;
	a->cap = cap;
	return 0;
}

int famfs_alloc_delete(struct famfs_alloc *a, const struct famfs_omf_fmap *f,
		       uint64_t del_index)
{
	const struct famfs_omf_extent *ext;
	uint64_t n, s, k, u;
	int rc;

	rc = fmap_extents(a, f, &ext, &n);
	if (rc)
		return rc;
	if (a->nruns > a->head && del_index <= a->runs[a->nruns - 1].del_index)
		return famfs_err(-EINVAL, "alloc: delete %llu is not after delete %llu",
				 (unsigned long long)del_index,
				 (unsigned long long)a->runs[a->nruns - 1].del_index);
	for (unsigned int i = 0; i < n; i++) {
		if (ext[i].devindex != a->devindex)
			continue;
		s = ext[i].offset / a->au;
		k = ext_units(a, &ext[i]);
		for (u = s; u < s + k; u++)
			if (!bit_test(a, u) || pend_test(a, u))
				return famfs_err(-EINVAL, "alloc: unit %llu of a deleted file is %s",
						 (unsigned long long)u, bit_test(a, u) ?
						 "already a deleted file's" : "not in use");
	}
	if (!a->pend) {
		a->pend = calloc((a->nbits + 63) / 64, sizeof(uint64_t));
		if (!a->pend)
			return famfs_err(-ENOMEM, "alloc: no memory for the deleted-unit bitmap");
	}
	rc = runs_reserve(a, n);
	if (rc)
		return rc;
	for (unsigned int i = 0; i < n; i++) {
		if (ext[i].devindex != a->devindex)
			continue;
		s = ext[i].offset / a->au;
		k = ext_units(a, &ext[i]);
		if (!k)
			continue;
		for (u = s; u < s + k; u++)
			a->pend[u >> 6] |= 1ULL << (u & 63);
		a->npend += k;
		a->runs[a->nruns++] = (struct famfs_alloc_pending){ del_index, s, k };
	}
	return 0;
}

uint64_t famfs_alloc_reclaim(struct famfs_alloc *a, uint64_t horizon)
{
	uint64_t freed = 0;

	if (a->head < a->nruns && a->runs[a->head].del_index < horizon && !a->dirty) {
		a->dirty = calloc((a->nbits + 63) / 64, sizeof(uint64_t));
		if (!a->dirty)
			return 0;	/* nothing freed: memory stays pending */
	}
	while (a->head < a->nruns && a->runs[a->head].del_index < horizon) {
		const struct famfs_alloc_pending *r = &a->runs[a->head++];

		for (uint64_t u = r->start; u < r->start + r->n; u++) {
			a->pend[u >> 6] &= ~(1ULL << (u & 63));
			a->dirty[u >> 6] |= 1ULL << (u & 63);
		}
		bits_clear(a, r->start, r->n);
		a->npend -= r->n;
		freed += r->n;
	}
	return freed;
}

uint64_t famfs_alloc_pending_bytes(const struct famfs_alloc *a)
{
	return a->npend * a->au;
}

uint64_t famfs_alloc_oldest_pending(const struct famfs_alloc *a)
{
	return a->head < a->nruns ? a->runs[a->head].del_index : FAMFS_ALLOC_NO_DELETE;
}

uint64_t famfs_alloc_pending_below(const struct famfs_alloc *a, uint64_t horizon)
{
	uint64_t units = 0;

	for (size_t r = a->head; r < a->nruns && a->runs[r].del_index < horizon; r++)
		units += a->runs[r].n;
	return units * a->au;
}

int famfs_alloc_take_dirty(struct famfs_alloc *a, const struct famfs_omf_fmap *f,
			   famfs_alloc_range_fn fn, void *ctx)
{
	const struct famfs_omf_extent *ext;
	uint64_t n, s, e, u, run;
	int rc;

	rc = fmap_extents(a, f, &ext, &n);
	if (rc || !a->dirty)
		return rc;
	for (unsigned int i = 0; i < n; i++) {
		if (ext[i].devindex != a->devindex)
			continue;
		s = ext[i].offset / a->au;
		e = s + ext_units(a, &ext[i]);
		for (u = s; u < e; u += run) {
			run = 0;
			while (u + run < e && ((a->dirty[(u + run) >> 6] >> ((u + run) & 63)) & 1)) {
				a->dirty[(u + run) >> 6] &= ~(1ULL << ((u + run) & 63));
				run++;
			}
			if (run && fn) {
				rc = fn(ctx, u * a->au, run * a->au);
				if (rc)
					return rc;
			} else if (!run) {
				run = 1;
			}
		}
	}
	return 0;
}

int famfs_alloc_pending_in(const struct famfs_alloc *a, const struct famfs_omf_fmap *f,
			   uint64_t *units, uint64_t *del_index)
{
	const struct famfs_omf_extent *ext;
	uint64_t n, count = 0, first = FAMFS_ALLOC_NO_DELETE;
	int rc;

	rc = fmap_extents(a, f, &ext, &n);
	if (rc)
		return rc;
	for (unsigned int i = 0; i < n && a->pend; i++) {
		if (ext[i].devindex != a->devindex)
			continue;
		uint64_t s = ext[i].offset / a->au, k = ext_units(a, &ext[i]);

		for (uint64_t u = s; u < s + k; u++)
			count += pend_test(a, u);
	}
	/* Which delete: the first run in delete order that overlaps @f. */
	for (size_t r = a->head; count && r < a->nruns && first == FAMFS_ALLOC_NO_DELETE; r++) {
		for (unsigned int i = 0; i < n; i++) {
			if (ext[i].devindex != a->devindex)
				continue;
			uint64_t s = ext[i].offset / a->au, k = ext_units(a, &ext[i]);

			if (a->runs[r].start < s + k && s < a->runs[r].start + a->runs[r].n) {
				first = a->runs[r].del_index;
				break;
			}
		}
	}
	*units = count;
	*del_index = first;
	return 0;
}

uint64_t famfs_alloc_used_units(const struct famfs_alloc *a, uint64_t lo, uint64_t hi)
{
	uint64_t n = 0;

	if (hi > a->nbits)
		hi = a->nbits;
	for (uint64_t i = lo; i < hi; i++)
		n += bit_test(a, i);
	return n;
}
