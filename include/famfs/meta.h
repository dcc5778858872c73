/* SPDX-License-Identifier: Apache-2.0 */
/*
 * meta.h - the .meta directory every famfs mount shows, as upstream's do:
 *
 *   .meta/             directory, mode 0555
 *   .meta/.superblock  the device's superblock region, [0, 2 MiB), mode 0444
 *   .meta/.log         the device's log, [log_offset, +log_len), mode 0400
 *                      (it names every file, also those in directories the
 *                      reader may not list)
 *   .meta/.alloc.cfg   upstream's YAML interleave defaults, mode 0444, only
 *                      when famfsd was given one (famfsd -o alloc_cfg=FILE)
 *
 * They are not in the log: famfsd serves them, read-only for everyone
 * (root included), from the device itself, and famfs never creates
 * anything named .meta in the root (famfs_meta_reserved). Their inode
 * numbers are FAMFS_META_INO + kind, above any a log can give.
 * Pure code.
 */
#ifndef FAMFS_META_H
#define FAMFS_META_H

#include <stdbool.h>
#include <stdint.h>

#include "famfs/omf.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FAMFS_META_DIRNAME	".meta"
#define FAMFS_META_INO		(1ULL << 56)
#define FAMFS_ALLOC_CFG_MAX	4096	/* bytes of .alloc.cfg served */

enum famfs_meta_kind {
	FAMFS_META_NONE = 0,
	FAMFS_META_DIR = 1,
	FAMFS_META_SB = 2,
	FAMFS_META_LOG = 3,
	FAMFS_META_ALLOC_CFG = 4,
	FAMFS_META_NKINDS
};

/* The kind a normalised root-relative path names (".meta/.log"), or NONE. */
enum famfs_meta_kind famfs_meta_kind(const char *relpath);

/* The kind of inode @ino, or NONE. */
enum famfs_meta_kind famfs_meta_kind_of_ino(uint64_t ino);

/* The kind of entry @name of the .meta directory, or NONE. */
enum famfs_meta_kind famfs_meta_child(const char *name);

/* Name of a kind inside .meta (".log"), or ".meta" for the directory. */
const char *famfs_meta_name(enum famfs_meta_kind kind);

/* Permission bits of a kind. */
uint32_t famfs_meta_mode(enum famfs_meta_kind kind);

/*
 * Device range of the superblock or log file described by @sb; -EINVAL
 * for other kinds.
 */
int famfs_meta_extent(enum famfs_meta_kind kind, const struct famfs_omf_sb *sb,
		      uint64_t *offset, uint64_t *len);

/*
 * True if creating @relpath (normalised) would clash with the .meta
 * directory: ".meta" itself or anything below it.
 */
bool famfs_meta_reserved(const char *relpath);

#ifdef __cplusplus
}
#endif
#endif
