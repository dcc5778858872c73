/* SPDX-License-Identifier: Apache-2.0 */
/*
 * devtab.h - the devices of a file system, as its superblock and log say.
 *
 * Slot 0 is the primary: the device whose superblock holds the log. Slot
 * i > 0 is the device of the ADD_DAXDEV entry with dd_index i, named by
 * its device uuid (the dev_uuid of its own, SECONDARY superblock), never
 * by a path: paths differ between hosts, and each host finds the device
 * itself (famfs/devfind.h). Extents name devices by these indices.
 *
 * famfs_devtab_add() keeps upstream's rules for the table (its
 * famfs_daxdev_table_add()): the index must be the next one (dense, in
 * log order), a uuid may appear once, and the table holds at most
 * FAMFS_MAX_DAXDEVS devices (24, the daxdev table a mount keeps, in the
 * kernel as in famfsd). Pure code: no I/O, no allocation.
 */
#ifndef FAMFS_DEVTAB_H
#define FAMFS_DEVTAB_H

#include <stdint.h>

#include "famfs/fmap.h"
#include "famfs/omf.h"

/*
 * The largest device an ADD_DAXDEV entry may name: 64 TiB. Every host sizes
 * the device's bitmap by the entry, before it finds the device (4 MiB of
 * bitmap at 2 MiB units); an unbounded size would make replay stop, or not,
 * by each host's memory.
 */
#define FAMFS_MAX_DEV_SIZE	(1ULL << 46)

#ifdef __cplusplus
extern "C" {
#endif

struct famfs_devtab_dev {
	uint8_t uuid[16];		/* device uuid */
	uint64_t log_index;		/* its ADD_DAXDEV entry; UINT64_MAX: the primary */
};

struct famfs_devtab {
	uint32_t ndevs;			/* 1 + the ADD_DAXDEV entries applied */
	uint64_t alloc_unit;
	uint8_t fs_uuid[16];
	struct famfs_devtab_dev dev[FAMFS_MAX_DAXDEVS];
	struct famfs_omf_span span[FAMFS_MAX_DAXDEVS];	/* where data may live */
};

/*
 * A table holding the primary of superblock @sb alone, with @capacity
 * bytes (the superblock's dev_size, or less when the device is smaller).
 */
void famfs_devtab_init(struct famfs_devtab *t, const struct famfs_omf_sb *sb,
		       uint64_t capacity);

/*
 * Apply ADD_DAXDEV entry @e (log index @index). Errors, as upstream's
 * helper: -EINVAL (not an ADD_DAXDEV entry), -ENOSPC (the table is full),
 * -ERANGE (dd_index is not the next index), -EEXIST (the uuid is there
 * already); and -EINVAL for a device no famfs can use: a zero uuid, or a
 * size that is not a multiple of the allocation unit above the 2 MiB
 * superblock region. The table is unchanged on an error.
 */
int famfs_devtab_add(struct famfs_devtab *t, const struct famfs_omf_entry *e, uint64_t index);

/* The index of the device with uuid @uuid, or -1. */
int famfs_devtab_find(const struct famfs_devtab *t, const uint8_t uuid[16]);

/* famfs_omf_fmap_check_devs() against the table. */
int famfs_devtab_fmap_check(const struct famfs_devtab *t, const struct famfs_omf_fmap *f,
			    uint64_t file_size);

#ifdef __cplusplus
}
#endif
#endif
