/* SPDX-License-Identifier: Apache-2.0 */
/*
 * zero.h - new files read zeros: a file's memory may have belonged to a
 * file of an earlier file system (mkfs -f) or to nothing yet, and must
 * never show another file's bytes. famfs_fs_creat zeroes the whole
 * allocation before it logs the file, also for a writer that fills the
 * file itself (famfs cp): from the log commit on, anyone may read the
 * file, and a copy that is interrupted or still running must show zeros
 * where it has not written, not a former file's bytes.
 *
 * On a devdax device zeroing uses non-temporal stores (on x86-64; memset
 * elsewhere), which go to memory without filling the CPU caches, then
 * flushes what went through the cache and fences, so every host reads the
 * zeros. On a device that is a file (tmpfs, hugetlbfs) the whole blocks of
 * a range are punched out of the file instead (fallocate PUNCH_HOLE): they
 * read as zeros in every mapping and give their memory back, where stores
 * would first allocate it; only the partial blocks at the ends are stored.
 */
#ifndef FAMFS_ZERO_H
#define FAMFS_ZERO_H

#include <stddef.h>
#include <stdint.h>

#include "famfs/dev.h"
#include "famfs/omf.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Zero [@p, @p + @len) and make it visible to every host (flushed, fenced). */
void famfs_zero_mem(void *p, size_t len);

/* One device range: @len bytes at byte @off of device @devindex. */
typedef int (*famfs_range_fn)(void *ctx, uint64_t devindex, uint64_t off, uint64_t len);

/*
 * Pure: call @fn, in device order per extent, for every allocated byte of
 * @f that holds no file byte below @from (a simple file fills its extents
 * in order; an interleaved one chunk by chunk over the strips). @from = 0
 * gives the whole allocation. Stops at and returns a non-zero @fn result.
 */
int famfs_fmap_tail(const struct famfs_omf_fmap *f, uint64_t from, famfs_range_fn fn,
		    void *ctx);

/*
 * Zero the memory of @f on @dev past file offset @from (see famfs_fmap_tail).
 * -EIO (with a detail) for a range outside @dev, -ENODEV for one on another
 * device, -EROFS when @dev is mapped read-only.
 */
int famfs_zero_tail(struct famfs_dev *dev, const struct famfs_omf_fmap *f, uint64_t from);

/* The same for a file system's devices: range on device i goes to @devs[i]. */
int famfs_zero_tail_devs(struct famfs_dev *const *devs, uint32_t ndevs,
			 const struct famfs_omf_fmap *f, uint64_t from);
/*
 * The same for the ranges on device @devindex only (the others are left
 * alone): a caller that guards each device's stores on their own
 * (famfsd, whose SIGBUS guard fails the device that faulted).
 */
int famfs_zero_tail_on(struct famfs_dev *const *devs, uint32_t ndevs,
		       const struct famfs_omf_fmap *f, uint64_t from, uint32_t devindex);

#ifdef __cplusplus
}
#endif
#endif
