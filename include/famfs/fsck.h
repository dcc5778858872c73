/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fsck.h - a full check of a famfs image: superblock, log header, every
 * entry (seqnum, CRC, type, path), extent alignment and bounds, collisions
 * between allocations (naming both files), the namespace (duplicate names,
 * missing parents), and with the rm feature the deletes, the reuse rule
 * (a file over a deleted file's memory that was not reusable yet is an
 * error naming both), space pending reuse (per device), and hosts that
 * block it. Unlike replay it does not stop at the first bad entry: it
 * reports each problem through a callback, naming the entry index.
 */
#ifndef FAMFS_FSCK_H
#define FAMFS_FSCK_H

#include <stdbool.h>
#include <stdint.h>

#include "famfs/alloc.h"
#include "famfs/dev.h"

#ifdef __cplusplus
extern "C" {
#endif

enum famfs_fsck_sev {
	FAMFS_FSCK_INFO = 0,
	FAMFS_FSCK_WARN = 1,
	FAMFS_FSCK_ERROR = 2,
};

/* One device of the file system, as fsck found and checked it. */
struct famfs_fsck_dev {
	uint8_t uuid[16];		/* its device uuid */
	char path[256];			/* where it is on this host, "" if not found */
	uint64_t size;			/* capacity: superblock (0) or ADD_DAXDEV size */
	uint64_t used_bytes;		/* superblock, log and live files on it */
	uint64_t pending_bytes;		/* deleted files' memory on it, not yet reusable */
	uint64_t log_index;		/* its ADD_DAXDEV entry; UINT64_MAX for device 0 */
	bool found;			/* found and its superblock checked */
};

struct famfs_fsck_result {
	uint64_t errors;
	uint64_t warnings;
	uint64_t entries;		/* committed entries (next_index) */
	uint64_t bad_entries;
	uint64_t files;
	uint64_t dirs;			/* in the namespace, the root included */
	uint64_t dirs_logged;		/* MKDIR entries applied */
	uint64_t collisions;		/* 2 MiB units allocated twice */
	uint64_t dev_size;		/* all devices */
	uint64_t used_bytes;		/* sb + log + live files, all devices */
	uint64_t pending_bytes;		/* deleted, not yet reusable (rm), all devices */
	uint64_t deletes;		/* DELETE entries applied (rm) */
	uint32_t hosts;			/* registered in the host table (rm) */
	uint32_t stale_hosts;		/* of which not answering */
	bool rm;			/* the file system has the rm feature */
	uint64_t file_bytes;		/* sum of the live files' logged sizes */
	uint64_t bitmap_bytes;		/* units in the allocation bitmap x unit */
	uint64_t log_slots;
	uint64_t log_free;
	uint64_t log_reserved;		/* slots kept for root: the default reserve */
	uint32_t mkfs_time;		/* from the log tail, 0 if none */
	/* famfs_fsck_buckets(): units in use per bucket (0 buckets: none) */
	unsigned int nbuckets;
	uint64_t bucket_units;		/* units per bucket (the rest is not in any) */
	uint64_t bucket_used[FAMFS_MAX_NBUCKETS];
	uint32_t ndevs;			/* devices of the file system (1 + ADD_DAXDEV) */
	struct famfs_fsck_dev devs[24];	/* FAMFS_MAX_DAXDEVS */
};

typedef void (*famfs_fsck_fn)(void *ctx, enum famfs_fsck_sev sev, const char *msg);

/*
 * Check the image on @dev, the primary device. Its other devices (ADD_DAXDEV
 * entries) are found on this host by uuid (famfs/devfind.h) and their
 * superblocks checked; one that is not found is an error. Extents are
 * checked against their own device, and allocated twice per device.
 * Returns 0 when the checks ran (res->errors says
 * whether the image is clean), or a negative errno when the image cannot be
 * checked at all (no superblock, bad header). Problems are reported through
 * @fn, one line each, e.g. "log entry 12: CRC mismatch".
 */
int famfs_fsck(struct famfs_dev *dev, famfs_fsck_fn fn, void *ctx,
	       struct famfs_fsck_result *res);

/*
 * famfs_fsck(), and also count the units in use in each of @nbuckets
 * (1..FAMFS_MAX_NBUCKETS, or 0 for none) equal buckets of the device, as
 * interleaved allocation splits it (famfs/alloc.h). -EINVAL for a bad count.
 */
int famfs_fsck_buckets(struct famfs_dev *dev, unsigned int nbuckets, famfs_fsck_fn fn,
		       void *ctx, struct famfs_fsck_result *res);

#ifdef __cplusplus
}
#endif
#endif
