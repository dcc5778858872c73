/* SPDX-License-Identifier: Apache-2.0 */
/*
 * alloc.h - the allocation bitmap and the allocators.
 *
 * The bitmap is never stored: it is rebuilt from the log (one bit per
 * 2 MiB unit of the device; the superblock and log are marked first).
 * Contiguous allocation is first fit from a cursor. Interleaved allocation
 * splits the device into nbuckets buckets and takes nstrips equal strips
 * from distinct buckets, with upstream's rules:
 *   chunk_size a power of 2 and a multiple of 2 MiB;
 *   1 <= nstrips <= nbuckets <= 64;  nstrips <= 16 (one log entry);
 *   bucket size = device size / nbuckets >= 1 GiB (FAMFS_MIN_BUCKET);
 *   a file smaller than one chunk falls back to contiguous.
 *
 * Deleted files (the rm feature, docs/rm.md): their units stay in use and
 * are recorded as pending under the index of their DELETE entry, in log
 * order, until famfs_alloc_reclaim() frees every delete below a horizon.
 * Pure code: no I/O. The only allocations are the bitmaps and the list of
 * pending runs.
 */
#ifndef FAMFS_ALLOC_H
#define FAMFS_ALLOC_H

#include <stdbool.h>
#include <stdint.h>

#include "famfs/omf.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FAMFS_MAX_NBUCKETS	64
#define FAMFS_MIN_BUCKET	(1ULL << 30)

/* One extent of a deleted file, waiting to be reusable. */
struct famfs_alloc_pending {
	uint64_t del_index;	/* the DELETE entry */
	uint64_t start;		/* first unit */
	uint64_t n;		/* units */
};

struct famfs_alloc {
	uint32_t devindex;	/* the device this bitmap is of: only extents on it
				   count, and new ones are placed on it */
	uint64_t dev_size;	/* capacity in bytes */
	uint64_t au;		/* allocation unit, 2 MiB */
	uint64_t nbits;		/* ceil(dev_size / au) */
	uint64_t *bits;		/* nbits, 1 = in use (pending included) */
	uint64_t used;		/* bits set */
	uint64_t cursor;	/* first-fit start, in units */
	uint64_t *pend;		/* nbits, 1 = a deleted file's (NULL until a delete) */
	uint64_t *dirty;	/* nbits, 1 = freed by reclaim, not yet taken again */
	uint64_t npend;		/* pending units */
	struct famfs_alloc_pending *runs;	/* [head, nruns): in delete order */
	size_t head, nruns, cap;
};

struct famfs_interleave_param {
	uint64_t nbuckets;
	uint64_t nstrips;
	uint64_t chunk_size;
};

/*
 * Set up an empty bitmap for a device of @dev_size bytes and mark
 * [0, @reserved) (superblock + log) in use. -EINVAL for sizes that are not
 * multiples of @au, -ENOMEM.
 */
int famfs_alloc_init(struct famfs_alloc *a, uint64_t dev_size, uint64_t au,
		     uint64_t reserved);
void famfs_alloc_fini(struct famfs_alloc *a);

/*
 * Mark every extent or strip of @f on a->devindex in use (extents on other
 * devices are skipped here and in every call below that takes a map). Units already in use are counted
 * in *@collisions (which is added to, not reset) and left set. An extent
 * that is unaligned gives -EINVAL and one past the device -ERANGE; nothing
 * is marked then.
 */
int famfs_alloc_mark(struct famfs_alloc *a, const struct famfs_omf_fmap *f,
		     uint64_t *collisions);

/*
 * Count in *@inuse the units of @f that are already in use, marking
 * nothing. Same checks and errors as famfs_alloc_mark(). Replay uses it to
 * refuse a file whose memory belongs to an earlier one.
 */
int famfs_alloc_inuse(const struct famfs_alloc *a, const struct famfs_omf_fmap *f,
		      uint64_t *inuse);

/*
 * Validate interleave parameters for a device of @dev_size bytes. A param
 * block of all zeroes means "contiguous" and is valid. Call
 * famfs_interleave_fill() first: zero fields of a partly set block take
 * defaults that depend on the device size:
 *   chunk_size 0 -> 2 MiB;
 *   nbuckets 0   -> nstrips if set, else dev_size / 1 GiB clamped to 1..64;
 *   nstrips 0    -> min(nbuckets, 16).
 * Errors: -EINVAL with a detail naming the rule that failed.
 */
int famfs_interleave_param_check(const struct famfs_interleave_param *p,
				 uint64_t dev_size);

/*
 * The rules of famfs_interleave_param_check on the chunk size (a power of
 * 2, a multiple of 2 MiB) and nstrips (at least 1), which hold whether the
 * strips go to one device or several (allocset.h): 0 or -EINVAL.
 */
int famfs_interleave_chunk_check(const struct famfs_interleave_param *p);
void famfs_interleave_fill(struct famfs_interleave_param *p, uint64_t dev_size);
bool famfs_interleave_enabled(const struct famfs_interleave_param *p);

/*
 * Allocate space for a file of @size bytes and describe it in @out. @ip is
 * NULL or all zero for contiguous allocation. @seed drives the bucket order
 * (upstream uses time(); tests pass a fixed value). On success the units are
 * marked in use. -EINVAL for a size of 0 or bad parameters, -ENOSPC when the
 * device (or no set of nstrips buckets) has room.
 */
int famfs_alloc_file(struct famfs_alloc *a, uint64_t size,
		     const struct famfs_interleave_param *ip, uint64_t seed,
		     struct famfs_omf_fmap *out);

/*
 * Take @nstrips runs of @strip_len bytes (a multiple of the unit), each in
 * a bucket of its own among @nbuckets, visited in the order @seed draws;
 * their byte offsets go to @offsets. -ENOSPC (nothing marked) when they do
 * not all fit, -EINVAL for bad counts.
 */
int famfs_alloc_strips(struct famfs_alloc *a, uint64_t nbuckets, unsigned int nstrips,
		       uint64_t strip_len, uint64_t seed, uint64_t *offsets);

/* Free @len bytes at @offset that the caller took and will not use after all. */
void famfs_alloc_unmark(struct famfs_alloc *a, uint64_t offset, uint64_t len);

/*
 * The strip length of an interleaved file of @size bytes: whole stripes
 * of @nstrips chunks, so every chunk lies inside its strip.
 */
uint64_t famfs_interleave_strip_len(uint64_t size, uint64_t au, uint64_t nstrips,
				    uint64_t chunk_size);

/* Bytes not in use. */
uint64_t famfs_alloc_free_bytes(const struct famfs_alloc *a);

/* Bytes of the longest run of free units (what one simple extent can get). */
uint64_t famfs_alloc_largest_free(const struct famfs_alloc *a);

/*
 * Make @out an independent copy of @a (bitmap included), for a dry run:
 * allocate a whole plan on the copy, and log nothing unless all of it fits.
 * -ENOMEM. Free it with famfs_alloc_fini().
 */
int famfs_alloc_clone(const struct famfs_alloc *a, struct famfs_alloc *out);

/*
 * File @f was deleted by log entry @del_index (larger than any before):
 * its units, which must be in use and not pending, become pending. Same
 * checks as famfs_alloc_mark(); -EINVAL for a unit not in use or already
 * pending, or a @del_index not above the last one; -ENOMEM. Nothing
 * changes on a failure.
 */
int famfs_alloc_delete(struct famfs_alloc *a, const struct famfs_omf_fmap *f,
		       uint64_t del_index);

/*
 * Free the units of every delete at an index below @horizon (they are
 * reusable: docs/rm.md, section 6). Returns the units freed.
 */
uint64_t famfs_alloc_reclaim(struct famfs_alloc *a, uint64_t horizon);

/* Bytes of deleted files that are not yet reusable. */
uint64_t famfs_alloc_pending_bytes(const struct famfs_alloc *a);

/*
 * Count in *@units the units of @f that are pending, and put in *@del_index
 * the index of the first delete they belong to (FAMFS_ALLOC_NO_DELETE when
 * none). Same checks and errors as famfs_alloc_inuse().
 */
#define FAMFS_ALLOC_NO_DELETE	UINT64_MAX
int famfs_alloc_pending_in(const struct famfs_alloc *a, const struct famfs_omf_fmap *f,
			   uint64_t *units, uint64_t *del_index);

/* The index of the oldest pending delete, or FAMFS_ALLOC_NO_DELETE. */
uint64_t famfs_alloc_oldest_pending(const struct famfs_alloc *a);

/* Bytes of pending deletes at an index below @horizon (reusable now). */
uint64_t famfs_alloc_pending_below(const struct famfs_alloc *a, uint64_t horizon);

/*
 * Units freed by famfs_alloc_reclaim() still hold the deleted file's bytes
 * until a new file's allocator zeroes them: it calls this to learn which of
 * @f's device ranges those are, in runs of whole units (@fn gets device
 * offset and length; NULL when it zeroes the whole file anyway), and they
 * are forgotten then. famfs_alloc_mark() keeps them (a planned map is
 * marked before it is zeroed; a replayed file's units are in use, and only
 * a reclaim can free them again, which marks them anew). A non-zero return
 * from @fn stops the walk and is returned.
 */
typedef int (*famfs_alloc_range_fn)(void *ctx, uint64_t off, uint64_t len);
int famfs_alloc_take_dirty(struct famfs_alloc *a, const struct famfs_omf_fmap *f,
			   famfs_alloc_range_fn fn, void *ctx);

/*
 * Units in use among units [@lo, @hi) (clipped to the bitmap), e.g. in one
 * of the nbuckets buckets interleaved allocation splits the device into:
 * bucket i is units [i * b, (i + 1) * b) with b = nbits / nbuckets.
 */
uint64_t famfs_alloc_used_units(const struct famfs_alloc *a, uint64_t lo, uint64_t hi);

#ifdef __cplusplus
}
#endif
#endif
