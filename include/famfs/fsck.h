/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fsck.h - a full check of a famfs image: superblock, log header, every
 * entry (seqnum, CRC, type, path), extent alignment and bounds, collisions
 * between allocations (naming both files), the namespace (duplicate names,
 * missing parents), and with the rm feature the deletes, the reuse rule
 * (a file over a deleted file's memory that was not reusable yet is an
 * error naming both), space pending reuse, and hosts that block it. Unlike replay it does not stop at the first bad entry: it
 * reports each problem through a callback, naming the entry index.
 */
#ifndef FAMFS_FSCK_H
#define FAMFS_FSCK_H

#include <stdbool.h>
#include <stdint.h>

#include "famfs/dev.h"

#ifdef __cplusplus
extern "C" {
#endif

enum famfs_fsck_sev {
	FAMFS_FSCK_INFO = 0,
	FAMFS_FSCK_WARN = 1,
	FAMFS_FSCK_ERROR = 2,
};

struct famfs_fsck_result {
	uint64_t errors;
	uint64_t warnings;
	uint64_t entries;		/* committed entries (next_index) */
	uint64_t bad_entries;
	uint64_t files;
	uint64_t dirs;
	uint64_t collisions;		/* 2 MiB units allocated twice */
	uint64_t dev_size;
	uint64_t used_bytes;		/* sb + log + live files */
	uint64_t pending_bytes;		/* deleted, not yet reusable (rm) */
	uint64_t deletes;		/* DELETE entries applied (rm) */
	uint32_t hosts;			/* registered in the host table (rm) */
	uint32_t stale_hosts;		/* of which not answering */
	bool rm;			/* the file system has the rm feature */
	uint64_t log_slots;
	uint64_t log_free;
	uint64_t log_reserved;		/* slots kept for root: the default reserve */
	uint32_t mkfs_time;		/* from the log tail, 0 if none */
};

typedef void (*famfs_fsck_fn)(void *ctx, enum famfs_fsck_sev sev, const char *msg);

/*
 * Check the image on @dev. Returns 0 when the checks ran (res->errors says
 * whether the image is clean), or a negative errno when the image cannot be
 * checked at all (no superblock, bad header). Problems are reported through
 * @fn, one line each, e.g. "log entry 12: CRC mismatch".
 */
int famfs_fsck(struct famfs_dev *dev, famfs_fsck_fn fn, void *ctx,
	       struct famfs_fsck_result *res);

#ifdef __cplusplus
}
#endif
#endif
