// SPDX-License-Identifier: Apache-2.0
/*
 * allocset_rm.c - deleted files' memory over every device of a file
 * system (the rm feature with several devices): each device's bitmap
 * keeps the pending runs of the extents that lie on it, so memory is
 * freed and reused only on its own device (famfs/allocset.h).
 * Pure code: no I/O.
 */
#include "famfs/allocset.h"

int famfs_allocset_delete(struct famfs_allocset *s, const struct famfs_omf_fmap *f,
			  uint64_t del_index)
{
	int rc;

	for (uint32_t i = 0; i < s->ndevs; i++) {
		rc = famfs_alloc_delete(&s->dev[i], f, del_index);
		if (rc)
			return rc;
	}
	return 0;
}

uint64_t famfs_allocset_reclaim(struct famfs_allocset *s, uint64_t horizon)
{
	uint64_t freed = 0;

	for (uint32_t i = 0; i < s->ndevs; i++)
		freed += famfs_alloc_reclaim(&s->dev[i], horizon);
	return freed;
}

uint64_t famfs_allocset_pending_bytes(const struct famfs_allocset *s)
{
	uint64_t b = 0;

	for (uint32_t i = 0; i < s->ndevs; i++)
		b += famfs_alloc_pending_bytes(&s->dev[i]);
	return b;
}

uint64_t famfs_allocset_pending_below(const struct famfs_allocset *s, uint64_t horizon)
{
	uint64_t b = 0;

	for (uint32_t i = 0; i < s->ndevs; i++)
		b += famfs_alloc_pending_below(&s->dev[i], horizon);
	return b;
}

uint64_t famfs_allocset_oldest_pending(const struct famfs_allocset *s)
{
	uint64_t oldest = FAMFS_ALLOC_NO_DELETE, d;

	for (uint32_t i = 0; i < s->ndevs; i++) {
		d = famfs_alloc_oldest_pending(&s->dev[i]);
		if (d < oldest)
			oldest = d;
	}
	return oldest;
}

int famfs_allocset_pending_in(const struct famfs_allocset *s, const struct famfs_omf_fmap *f,
			      uint64_t *units, uint64_t *del_index)
{
	uint64_t u, d, sum = 0, first = FAMFS_ALLOC_NO_DELETE;
	int rc;

	for (uint32_t i = 0; i < s->ndevs; i++) {
		rc = famfs_alloc_pending_in(&s->dev[i], f, &u, &d);
		if (rc)
			return rc;
		sum += u;
		if (d < first)
			first = d;
	}
	*units = sum;
	*del_index = first;
	return 0;
}

struct dev_range {
	famfs_allocset_range_fn fn;
	void *ctx;
	uint32_t devindex;
};

static int dev_range(void *ctx, uint64_t off, uint64_t len)
{
	struct dev_range *r = ctx;

	return r->fn(r->ctx, r->devindex, off, len);
}

int famfs_allocset_take_dirty(struct famfs_allocset *s, const struct famfs_omf_fmap *f,
			      famfs_allocset_range_fn fn, void *ctx)
{
	struct dev_range r = { .fn = fn, .ctx = ctx };
	int rc;

	for (uint32_t i = 0; i < s->ndevs; i++) {
		r.devindex = i;
		rc = famfs_alloc_take_dirty(&s->dev[i], f, fn ? dev_range : NULL, &r);
		if (rc)
			return rc;
	}
	return 0;
}
