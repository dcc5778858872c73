/* SPDX-License-Identifier: Apache-2.0 */
/*
 * omf_rm.h - the on-media structures of the rm feature (docs/rm.md) that
 * live in the superblock region, past the 200 bytes upstream reads:
 *
 *   device offset 4096      the rm block (64 bytes): the feature's geometry
 *   device offset 65536     the host table: FAMFS_HOSTS_NSLOTS slots of
 *                           FAMFS_HOST_SLOT_SIZE bytes, each four 64-byte
 *                           cache lines: X (claim nonce), Y (taken), and a
 *                           128-byte record written only by the slot's owner
 *
 * The DELETE entry and the FILE entry's reclaim horizon are in omf.h.
 * Both the rm block and a record end in a crc32 seeded with the file
 * system uuid, so what an earlier file system left on the device never
 * validates. Pure code: no I/O, no allocation.
 */
#ifndef FAMFS_OMF_RM_H
#define FAMFS_OMF_RM_H

#include <stdbool.h>
#include <stdint.h>

#include "famfs/omf.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FAMFS_RM_BLOCK_OFF	4096ULL
#define FAMFS_RM_BLOCK_SIZE	64
#define FAMFS_RM_MAGIC		0x6d726d66U	/* "fmrm" */
#define FAMFS_RM_VERSION	1

#define FAMFS_HOSTS_OFF		65536ULL
#define FAMFS_HOSTS_NSLOTS	256
#define FAMFS_HOST_SLOT_SIZE	256
#define FAMFS_HOST_LINE		64
#define FAMFS_HOST_X_OFF	0		/* claim nonce */
#define FAMFS_HOST_Y_OFF	64		/* taken: non-zero */
#define FAMFS_HOST_REC_OFF	128		/* the owner's record */
#define FAMFS_HOST_REC_SIZE	128
#define FAMFS_HOST_MAGIC	0x74736866U	/* "fhst" */
#define FAMFS_HOST_NAME_MAX	24

#define FAMFS_HOLD_NONE		UINT64_MAX	/* a record's hold: nothing held */

/* The rm block: where the host table is and since when deletes exist. */
struct famfs_rm_block {
	uint32_t nslots;
	uint32_t slot_size;
	uint64_t table_off;
	uint64_t since;		/* log index at which -O rm was turned on */
	uint32_t time;		/* when, seconds since the epoch */
};

enum famfs_host_kind {
	FAMFS_HOST_FAMFSD = 1,	/* a mount: references outlive the daemon */
	FAMFS_HOST_PROCESS = 2,	/* a famfs command: references die with it */
};

#define FAMFS_HOST_FL_MASTER	0x1

/* A host record (one registered famfsd or famfs command). */
struct famfs_host_rec {
	uint16_t kind;		/* enum famfs_host_kind */
	uint16_t flags;		/* FAMFS_HOST_FL_* */
	uint64_t nonce;		/* the owning instance */
	uint8_t host_uuid[16];	/* system uuid */
	uint8_t boot_id[16];
	uint32_t pid;
	uint32_t conn;		/* FUSE connection (mount st_dev, fusectl's name) */
	uint64_t start;		/* process start time, clock ticks after boot */
	uint64_t replayed;	/* log entries [0, replayed) applied */
	uint64_t hold;		/* oldest DELETE index whose file is held, or HOLD_NONE */
	uint64_t beat;		/* publish counter */
	uint64_t beat_time;	/* wall clock seconds of the last publish */
	char name[FAMFS_HOST_NAME_MAX + 1];	/* hostname, always NUL-terminated */
	uint32_t pidns;		/* the owner's pid namespace (inode of /proc/self/ns/pid), 0 unknown */
};

/* The block mkfs -O rm writes: the default table, enabled at @since. */
void famfs_rm_block_default(struct famfs_rm_block *b, uint64_t since, uint32_t time);

void famfs_rm_block_encode(const struct famfs_rm_block *b, const uint8_t fs_uuid[16],
			   uint8_t out[FAMFS_RM_BLOCK_SIZE]);

/*
 * Decode and check an rm block: -ENOENT without the magic, -EBADMSG on a
 * CRC mismatch (another file system's block included), -EINVAL for a
 * version, geometry or reserved bytes other than what we write (the table
 * must lie in the superblock region, past the block, in whole lines).
 */
int famfs_rm_block_decode(const uint8_t buf[FAMFS_RM_BLOCK_SIZE], const uint8_t fs_uuid[16],
			  struct famfs_rm_block *b);

void famfs_host_rec_encode(const struct famfs_host_rec *r, const uint8_t fs_uuid[16],
			   uint8_t out[FAMFS_HOST_REC_SIZE]);

/*
 * Decode a host record: -ENOENT for a free one (no magic), -EBADMSG for a
 * CRC mismatch (torn, damaged, or another file system's), -EINVAL for a
 * kind, flags or reserved bytes we never write.
 */
int famfs_host_rec_decode(const uint8_t buf[FAMFS_HOST_REC_SIZE], const uint8_t fs_uuid[16],
			  struct famfs_host_rec *r);

/* min(replayed, hold): deletes below it are released by this instance. */
static inline uint64_t famfs_host_rec_horizon(const struct famfs_host_rec *r)
{
	return r->hold < r->replayed ? r->hold : r->replayed;
}

#ifdef __cplusplus
}
#endif
#endif
