/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fs_int.h - what the parts of a famfs instance (famfs/fs.h) share inside
 * libfamfs: fs.c (replay, creates) and fs_dev.c (its devices).
 */
#ifndef FAMFS_FS_INT_H
#define FAMFS_FS_INT_H

#include "famfs/fs.h"

#ifndef FAMFS_HIDDEN
#define FAMFS_HIDDEN	__attribute__((visibility("hidden")))
#endif

/* fs.c: append @e and apply it to our own state (see fs.c). */
FAMFS_HIDDEN int famfs_fs_append_apply(struct famfs_fs *fs, struct famfs_omf_entry *e);
/* fs.c: -EIO when replay stopped at a damaged entry (nothing may be appended). */
FAMFS_HIDDEN int famfs_fs_check_replayable(struct famfs_fs *fs);

/*
 * fs_dev.c: apply ADD_DAXDEV entry @e (log index @index): a table slot and
 * a bitmap for the device, not yet looked for on this host.
 */
FAMFS_HIDDEN int famfs_fs_dev_apply(struct famfs_fs *fs, uint64_t index,
				    const struct famfs_omf_entry *e);
/* fs_dev.c: close every device but the primary. */
FAMFS_HIDDEN void famfs_fs_devs_close(struct famfs_fs *fs);

#endif
