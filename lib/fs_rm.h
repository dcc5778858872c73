/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fs_rm.h - private to libfamfs: the rm feature's part of a famfs_fs
 * (lib/fs_rm.c), and the pieces of lib/fs.c it shares.
 */
#ifndef FAMFS_FS_RM_PRIV_H
#define FAMFS_FS_RM_PRIV_H

#include "famfs/fs.h"
#include "fs_int.h"

/* fs.c */
/* -ENOSPC when only @keep or fewer log slots are free (root's reserve). */
int fs_check_keep(struct famfs_fs *fs, const char *relpath, uint64_t keep);

/* fs_rm.c */
/* At open: read the rm block if the superblock has the flag. */
int fs_rm_open(struct famfs_fs *fs);
void fs_rm_close(struct famfs_fs *fs);
/* Replay a DELETE entry (feature and position checked). */
int fs_rm_replay_delete(struct famfs_fs *fs, uint64_t index, const struct famfs_omf_entry *e);
/* Before a FILE entry is marked: its horizon, and no pending memory under it. */
int fs_rm_check_file(struct famfs_fs *fs, uint64_t index, const struct famfs_omf_entry *e);
/* The master, before it allocates: free what the host table lets go. */
int fs_rm_before_alloc(struct famfs_fs *fs);
/*
 * The master, after it allocated @f: zero the memory it reuses, unless
 * @zeroed (the whole file was zeroed already).
 */
int fs_rm_after_alloc(struct famfs_fs *fs, const struct famfs_omf_fmap *f, bool zeroed);

#endif
