// SPDX-License-Identifier: Apache-2.0
/*
 * allocset.c - allocation over the devices of a file system: a bitmap per
 * device, and the device policy for simple and interleaved files (see
 * famfs/allocset.h). Pure code: no I/O; the only allocations are bitmaps.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "famfs/allocset.h"
#include "famfs/err.h"

#define MIB	(1ULL << 20)

int famfs_allocset_add(struct famfs_allocset *s, uint64_t dev_size, uint64_t au,
		       uint64_t reserved)
{
	struct famfs_alloc *a;
	int rc;

	if (s->ndevs >= FAMFS_MAX_DAXDEVS)
		return famfs_err(-ENOSPC, "alloc: more than %d devices", FAMFS_MAX_DAXDEVS);
	a = &s->dev[s->ndevs];
	rc = famfs_alloc_init(a, dev_size, au, reserved);
	if (rc)
		return rc;
	a->devindex = s->ndevs;
	s->usable[s->ndevs] = true;
	s->ndevs++;
	return 0;
}

void famfs_allocset_fini(struct famfs_allocset *s)
{
	for (uint32_t i = 0; i < s->ndevs; i++)
		famfs_alloc_fini(&s->dev[i]);
	memset(s, 0, sizeof(*s));
}

void famfs_allocset_usable(struct famfs_allocset *s, uint32_t dev, bool usable)
{
	if (dev < s->ndevs)
		s->usable[dev] = usable;
}

/* Every extent of @f on a device of the set. */
static int check_devices(const struct famfs_allocset *s, const struct famfs_omf_fmap *f)
{
	const struct famfs_omf_extent *x = f->se;
	uint64_t n = f->nextents;

	if (f->ext_type == FAMFS_EXT_INTERLEAVE) {
		x = f->strips;
		n = f->nstrips;
	}
	if (n > FAMFS_OMF_MAX_SIMPLE_EXTENTS)
		n = FAMFS_OMF_MAX_SIMPLE_EXTENTS;
	for (uint64_t i = 0; i < n; i++)
		if (x[i].devindex >= s->ndevs)
			return famfs_err(-ERANGE, "alloc: extent %llu is on device %llu, the file "
					 "system has %u", (unsigned long long)i,
					 (unsigned long long)x[i].devindex, s->ndevs);
	return 0;
}

int famfs_allocset_inuse(const struct famfs_allocset *s, const struct famfs_omf_fmap *f,
			 uint64_t *inuse)
{
	uint64_t n, total = 0;
	int rc = check_devices(s, f);

	for (uint32_t d = 0; !rc && d < s->ndevs; d++) {
		rc = famfs_alloc_inuse(&s->dev[d], f, &n);
		total += n;
	}
	*inuse = rc ? 0 : total;
	return rc;
}

int famfs_allocset_mark(struct famfs_allocset *s, const struct famfs_omf_fmap *f,
			uint64_t *collisions)
{
	uint64_t n;
	int rc;

	/* Check every device's extents first: nothing is marked on an error. */
	rc = famfs_allocset_inuse(s, f, &n);
	for (uint32_t d = 0; !rc && d < s->ndevs; d++)
		rc = famfs_alloc_mark(&s->dev[d], f, collisions);
	return rc;
}

/* ---- device order ---- */

/* The usable devices by free bytes, most first (ties: lower index). */
static uint32_t by_free(const struct famfs_allocset *s, uint32_t *order, uint64_t min_bucket,
			uint64_t nbuckets)
{
	uint32_t n = 0, i, j, t;

	for (i = 0; i < s->ndevs; i++)
		if (s->usable[i] && (!nbuckets || s->dev[i].dev_size / nbuckets >= min_bucket))
			order[n++] = i;
	for (i = 1; i < n; i++) {
		for (j = i; j > 0; j--) {
			uint64_t fa = famfs_alloc_free_bytes(&s->dev[order[j - 1]]);
			uint64_t fb = famfs_alloc_free_bytes(&s->dev[order[j]]);

			if (fb <= fa)
				break;
			t = order[j];
			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	}
	return n;
}

static uint32_t nusable(const struct famfs_allocset *s)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < s->ndevs; i++)
		n += s->usable[i];
	return n;
}

/* The one usable device, or the first one, for one-device rules. */
static const struct famfs_alloc *first_usable(const struct famfs_allocset *s)
{
	for (uint32_t i = 0; i < s->ndevs; i++)
		if (s->usable[i])
			return &s->dev[i];
	return &s->dev[0];
}

/* ---- interleave parameters ---- */

void famfs_allocset_interleave_fill(const struct famfs_allocset *s,
				    struct famfs_interleave_param *p)
{
	uint32_t d = nusable(s), per, used;
	uint64_t b, best = 0;

	if (!famfs_interleave_enabled(p))
		return;
	if (d <= 1) {
		famfs_interleave_fill(p, first_usable(s)->dev_size);
		return;
	}
	if (!p->chunk_size)
		p->chunk_size = 2 * MIB;
	if (!p->nbuckets) {
		if (p->nstrips) {
			used = p->nstrips < d ? (uint32_t)p->nstrips : d;
			per = (uint32_t)((p->nstrips + used - 1) / used);
			p->nbuckets = per;
		} else {
			/* as many buckets as the largest device has whole GiB */
			for (uint32_t i = 0; i < s->ndevs; i++) {
				b = s->dev[i].dev_size / FAMFS_MIN_BUCKET;
				if (s->usable[i] && b > best)
					best = b;
			}
			p->nbuckets = best < 1 ? 1 : best > FAMFS_MAX_NBUCKETS ?
				FAMFS_MAX_NBUCKETS : best;
		}
	}
	if (!p->nstrips) {
		p->nstrips = p->nbuckets * d;
		if (p->nstrips > FAMFS_OMF_MAX_STRIPS)
			p->nstrips = FAMFS_OMF_MAX_STRIPS;
	}
}

int famfs_allocset_interleave_check(const struct famfs_allocset *s,
				    const struct famfs_interleave_param *p)
{
	uint32_t order[FAMFS_MAX_DAXDEVS], d, used, per;
	unsigned long long b, n;
	int rc;

	if (!famfs_interleave_enabled(p))
		return 0;
	if (nusable(s) <= 1)
		return famfs_interleave_param_check(p, first_usable(s)->dev_size);
	rc = famfs_interleave_chunk_check(p);
	if (rc)
		return rc;
	b = p->nbuckets;
	n = p->nstrips;
	if (n > FAMFS_OMF_MAX_STRIPS)
		return famfs_err(-EINVAL,
				 "interleave: nstrips %llu is over %d (one log entry)", n,
				 FAMFS_OMF_MAX_STRIPS);
	if (b < 1 || b > FAMFS_MAX_NBUCKETS)
		return famfs_err(-EINVAL, "interleave: nbuckets %llu is not 1..%d", b,
				 FAMFS_MAX_NBUCKETS);
	d = by_free(s, order, FAMFS_MIN_BUCKET, b);
	if (!d)
		return famfs_err(-EINVAL, "interleave: no device splits into %llu buckets of at "
				 "least 1 GiB", b);
	used = n < d ? (uint32_t)n : d;
	per = (uint32_t)((n + used - 1) / used);
	if (per > b)
		return famfs_err(-EINVAL, "interleave: %llu strips over %u devices put %u on one "
				 "device, more than its %llu buckets", n, used, per, b);
	return 0;
}

/* ---- allocation ---- */

/* One extent on the usable device with the most free space that has room. */
static int alloc_simple(struct famfs_allocset *s, uint64_t size, struct famfs_omf_fmap *out)
{
	uint32_t order[FAMFS_MAX_DAXDEVS], n = by_free(s, order, 0, 0);
	char why[512] = "";
	size_t at = 0;
	int rc;

	if (s->ndevs == 1 && n == 1)
		return famfs_alloc_file(&s->dev[0], size, NULL, 0, out);
	for (uint32_t i = 0; i < n; i++) {
		famfs_errclear();
		rc = famfs_alloc_file(&s->dev[order[i]], size, NULL, 0, out);
		if (rc != -ENOSPC)
			return rc;
		if (at < sizeof(why))
			at += (size_t)snprintf(why + at, sizeof(why) - at, "%sdevice %u: %llu "
					       "free, longest run %llu", i ? "; " : "", order[i],
					       (unsigned long long)famfs_alloc_free_bytes(
						       &s->dev[order[i]]),
					       (unsigned long long)famfs_alloc_largest_free(
						       &s->dev[order[i]]));
	}
	if (!n)
		return famfs_err(-ENOSPC, "no device of the file system is usable on this host");
	return famfs_err(-ENOSPC, "no device has a free run of %llu bytes (%s)",
			 (unsigned long long)size, why);
}

/*
 * Deal @p->nstrips strips over the devices @order[0..@n) round robin and
 * take them: 0, or -ENOSPC with *@bad the position of a device that could
 * not take its share (nothing is left marked then).
 */
static int deal_strips(struct famfs_allocset *s, const uint32_t *order, uint32_t n,
		       uint64_t strip_len, const struct famfs_interleave_param *p, uint64_t seed,
		       struct famfs_omf_fmap *out, uint32_t *bad)
{
	uint64_t offs[FAMFS_MAX_DAXDEVS][FAMFS_OMF_MAX_STRIPS];
	unsigned int share[FAMFS_MAX_DAXDEVS] = { 0 }, next[FAMFS_MAX_DAXDEVS] = { 0 };
	uint32_t j, k;
	int rc;

	for (k = 0; k < p->nstrips; k++)
		share[k % n]++;
	for (j = 0; j < n; j++) {
		rc = famfs_alloc_strips(&s->dev[order[j]], p->nbuckets, share[j], strip_len,
					seed + j, offs[j]);
		if (rc) {
			for (uint32_t u = 0; u < j; u++)
				for (k = 0; k < share[u]; k++)
					famfs_alloc_unmark(&s->dev[order[u]], offs[u][k],
							   strip_len);
			*bad = j;
			return rc;
		}
	}
	out->ext_type = FAMFS_EXT_INTERLEAVE;
	out->nextents = 1;
	out->nstrips = p->nstrips;
	out->chunk_size = p->chunk_size;
	for (k = 0; k < p->nstrips; k++) {
		j = k % n;
		out->strips[k].devindex = order[j];
		out->strips[k].offset = offs[j][next[j]++];
		out->strips[k].len = strip_len;
	}
	return 0;
}

static int alloc_interleave(struct famfs_allocset *s, uint64_t size,
			    const struct famfs_interleave_param *p, uint64_t seed,
			    struct famfs_omf_fmap *out)
{
	uint32_t order[FAMFS_MAX_DAXDEVS], n, bad = 0;
	uint64_t au = s->dev[0].au;
	uint64_t strip_len = famfs_interleave_strip_len(size, au, p->nstrips, p->chunk_size);
	int rc = -ENOSPC;

	n = by_free(s, order, FAMFS_MIN_BUCKET, p->nbuckets);
	while (n) {
		uint32_t used = p->nstrips < n ? (uint32_t)p->nstrips : n;

		if ((p->nstrips + used - 1) / used > p->nbuckets)
			break;
		famfs_errclear();
		rc = deal_strips(s, order, used, strip_len, p, seed, out, &bad);
		if (rc != -ENOSPC)
			return rc;
		/* that device is full: deal again over the others */
		memmove(&order[bad], &order[bad + 1], (n - bad - 1) * sizeof(order[0]));
		n--;
	}
	return famfs_err(-ENOSPC, "no %llu strips of %llu bytes fit in the devices' buckets "
			 "(%llu bytes free in all, the longest run %llu)",
			 (unsigned long long)p->nstrips, (unsigned long long)strip_len,
			 (unsigned long long)famfs_allocset_free_bytes(s),
			 (unsigned long long)famfs_allocset_largest_free(s));
}

int famfs_allocset_file(struct famfs_allocset *s, uint64_t size,
			const struct famfs_interleave_param *ip, uint64_t seed,
			struct famfs_omf_fmap *out)
{
	struct famfs_interleave_param p;
	int rc;

	memset(out, 0, sizeof(*out));
	if (size == 0)
		return famfs_err(-EINVAL, "alloc: empty files are not allowed");
	if (!s->ndevs)
		return famfs_err(-ENOSPC, "alloc: no devices");
	if (!famfs_interleave_enabled(ip))
		return alloc_simple(s, size, out);
	if (nusable(s) <= 1) {
		/* one device: exactly the one-device allocator */
		if (!nusable(s))
			return alloc_simple(s, size, out);
		return famfs_alloc_file((struct famfs_alloc *)first_usable(s), size, ip, seed,
					out);
	}
	p = *ip;
	famfs_allocset_interleave_fill(s, &p);
	rc = famfs_allocset_interleave_check(s, &p);
	if (rc)
		return rc;
	if (size < p.chunk_size)
		return alloc_simple(s, size, out);
	return alloc_interleave(s, size, &p, seed, out);
}

uint64_t famfs_allocset_size(const struct famfs_allocset *s)
{
	uint64_t t = 0;

	for (uint32_t i = 0; i < s->ndevs; i++)
		t += s->dev[i].dev_size;
	return t;
}

uint64_t famfs_allocset_free_bytes(const struct famfs_allocset *s)
{
	uint64_t t = 0;

	for (uint32_t i = 0; i < s->ndevs; i++)
		t += famfs_alloc_free_bytes(&s->dev[i]);
	return t;
}

uint64_t famfs_allocset_largest_free(const struct famfs_allocset *s)
{
	uint64_t best = 0, v;

	for (uint32_t i = 0; i < s->ndevs; i++) {
		v = famfs_alloc_largest_free(&s->dev[i]);
		if (s->usable[i] && v > best)
			best = v;
	}
	return best;
}

int famfs_allocset_clone(const struct famfs_allocset *s, struct famfs_allocset *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	for (uint32_t i = 0; i < s->ndevs; i++) {
		rc = famfs_alloc_clone(&s->dev[i], &out->dev[i]);
		if (rc) {
			famfs_allocset_fini(out);
			return rc;
		}
		out->usable[i] = s->usable[i];
		out->ndevs = i + 1;
	}
	return 0;
}
