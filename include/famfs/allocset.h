/* SPDX-License-Identifier: Apache-2.0 */
/*
 * allocset.h - allocation over all the devices of a file system: one
 * bitmap per device (famfs/alloc.h, each one's devindex set), and the
 * policy that picks devices for a new file.
 *
 * Policy (docs/multidev.md):
 *  - A simple file is one extent on one device: the usable device with the
 *    most free space (ties: the lowest index), else, when it has no free
 *    run long enough, the next one by free space, and so on (ENOSPC only
 *    when no device has room). On one device this is the plain contiguous
 *    first fit, as ever.
 *  - An interleaved file (-N strips, -C chunk, -B buckets) spreads its
 *    strips over the devices: strip i goes to device order[i % D], where
 *    order is the usable devices by free space and D = min(N, devices), so
 *    the strips land one per device while N is at most the number of
 *    devices. -B splits each device into buckets: the strips a device gets
 *    lie in distinct buckets of it, as on one device. A device that cannot
 *    take its strips is dropped and the strips are dealt again over the
 *    others (ENOSPC when none is left).
 *  - A device not found on this host, or found read-only, is not usable:
 *    it gets no new file (its bitmap is still kept, from the log).
 * Pure code: no I/O; the only allocations are the bitmaps.
 */
#ifndef FAMFS_ALLOCSET_H
#define FAMFS_ALLOCSET_H

#include <stdbool.h>
#include <stdint.h>

#include "famfs/alloc.h"
#include "famfs/fmap.h"

#ifdef __cplusplus
extern "C" {
#endif

struct famfs_allocset {
	uint32_t ndevs;
	bool usable[FAMFS_MAX_DAXDEVS];
	struct famfs_alloc dev[FAMFS_MAX_DAXDEVS];
};

/*
 * Add device ndevs: a bitmap of @dev_size bytes in units of @au with
 * [0, @reserved) in use, usable until famfs_allocset_usable() says not.
 * -ENOSPC when the set is full, else as famfs_alloc_init().
 */
int famfs_allocset_add(struct famfs_allocset *s, uint64_t dev_size, uint64_t au,
		       uint64_t reserved);
void famfs_allocset_fini(struct famfs_allocset *s);
void famfs_allocset_usable(struct famfs_allocset *s, uint32_t dev, bool usable);

/*
 * famfs_alloc_mark() and famfs_alloc_inuse() over every device of @f. An
 * extent on a device not in the set is -ERANGE. Nothing is marked when any
 * extent fails its checks.
 */
int famfs_allocset_mark(struct famfs_allocset *s, const struct famfs_omf_fmap *f,
			uint64_t *collisions);
int famfs_allocset_inuse(const struct famfs_allocset *s, const struct famfs_omf_fmap *f,
			 uint64_t *inuse);

/*
 * Fill the defaults of interleave parameters @p (famfs_interleave_fill()
 * rules, per device: nbuckets splits each device) and check them against
 * the usable devices. 0 for a contiguous (all zero) block.
 */
void famfs_allocset_interleave_fill(const struct famfs_allocset *s,
				    struct famfs_interleave_param *p);
int famfs_allocset_interleave_check(const struct famfs_allocset *s,
				    const struct famfs_interleave_param *p);

/*
 * Allocate a file of @size bytes by the policy above and describe it in
 * @out; its units are marked. Errors as famfs_alloc_file(), and -ENOSPC
 * when no device is usable.
 */
int famfs_allocset_file(struct famfs_allocset *s, uint64_t size,
			const struct famfs_interleave_param *ip, uint64_t seed,
			struct famfs_omf_fmap *out);

/* Totals over all devices: capacity, free bytes, the longest free run. */
uint64_t famfs_allocset_size(const struct famfs_allocset *s);
uint64_t famfs_allocset_free_bytes(const struct famfs_allocset *s);
uint64_t famfs_allocset_largest_free(const struct famfs_allocset *s);

/* An independent copy for a dry run (famfs_alloc_clone()). -ENOMEM. */
int famfs_allocset_clone(const struct famfs_allocset *s, struct famfs_allocset *out);

/*
 * ---- deleted files over every device (lib/allocset_rm.c, docs/rm.md) ----
 * Each device's bitmap keeps its own pending runs: a delete makes pending,
 * on each device, the extents the file has there, and a reclaim frees on
 * every device the deletes below the horizon, so a deleted extent is
 * reused only on its own device.
 */

/*
 * famfs_alloc_delete() on every device @f has extents on. -EINVAL or
 * -ENOMEM as famfs_alloc_delete(); on such a failure the devices before
 * the failing one keep the delete (the caller stops its replay).
 */
int famfs_allocset_delete(struct famfs_allocset *s, const struct famfs_omf_fmap *f,
			  uint64_t del_index);
/* famfs_alloc_reclaim() on every device: the units freed in all. */
uint64_t famfs_allocset_reclaim(struct famfs_allocset *s, uint64_t horizon);
/* Sums over every device of famfs_alloc_pending_bytes() and _pending_below(). */
uint64_t famfs_allocset_pending_bytes(const struct famfs_allocset *s);
uint64_t famfs_allocset_pending_below(const struct famfs_allocset *s, uint64_t horizon);
/* The oldest pending delete on any device, or FAMFS_ALLOC_NO_DELETE. */
uint64_t famfs_allocset_oldest_pending(const struct famfs_allocset *s);
/*
 * famfs_alloc_pending_in() over every device: the pending units of @f in
 * all, and the first delete they belong to on any device.
 */
int famfs_allocset_pending_in(const struct famfs_allocset *s, const struct famfs_omf_fmap *f,
			      uint64_t *units, uint64_t *del_index);
/*
 * famfs_alloc_take_dirty() on every device: @fn gets the device index of
 * each range too.
 */
typedef int (*famfs_allocset_range_fn)(void *ctx, uint32_t devindex, uint64_t off,
				       uint64_t len);
int famfs_allocset_take_dirty(struct famfs_allocset *s, const struct famfs_omf_fmap *f,
			      famfs_allocset_range_fn fn, void *ctx);

#ifdef __cplusplus
}
#endif
#endif
