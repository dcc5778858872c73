/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hosts.h - the host table of a file system with the rm feature
 * (docs/rm.md, sections 6 to 8), in device memory.
 *
 * Every instance that can touch file memory (a famfsd mount, a famfs
 * command) claims a slot, publishes in it how far it has replayed the log
 * and the oldest delete whose file it still holds, and frees it when it
 * leaves. The allocator reads every slot and reuses a deleted file's
 * memory only below the minimum (famfs_hosts_horizon).
 *
 * Claims need no lock between hosts (a splitter on the slot's X and Y
 * lines); each line of a slot has one kind of writer, and every write is
 * flushed and fenced before the next read, every read invalidated first.
 * Records of this host whose owner is dead (rebooted, process gone, mount
 * gone) are freed under a host-local OFD lock on the device file.
 *
 * The table has its own shared mapping of the superblock region, read-write
 * when asked for, so a read-only mount can still register.
 */
#ifndef FAMFS_HOSTS_H
#define FAMFS_HOSTS_H

#include <stdbool.h>
#include <stdint.h>

#include "famfs/omf.h"
#include "famfs/omf_rm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A famfsd record older than this (by its beat time) is "not answering". */
#define FAMFS_HOST_STALE_SEC	10

struct famfs_hosts {
	int fd;				/* the device, for the mapping and the lock */
	uint8_t *base;			/* shared mapping of [0, 2 MiB) */
	bool writable;
	uint8_t fs_uuid[16];
	struct famfs_rm_block blk;
	/* this instance */
	int slot;			/* -1: not registered */
	bool evicted;			/* our slot was taken from us */
	int fault;			/* -EIO once a table access faulted (sticky) */
	bool clean_busy;		/* a dead record was left: the host-local lock was taken */
	struct famfs_host_rec me;
	/* this host, for telling its dead records */
	uint8_t host_uuid[16];
	uint8_t boot_id[16];
	uint32_t pidns;			/* our pid namespace: pids of others mean nothing */
};

/*
 * Read the rm block of the file system whose superblock is @sb, from a
 * mapping of at least its first FAMFS_RM_BLOCK_OFF + 64 bytes at @base.
 * -ENOENT when the file system does not have the feature (flag clear);
 * the decoder's error (with a detail) when the flag is set but the block
 * is missing or damaged.
 */
int famfs_rm_block_read(const uint8_t *base, const struct famfs_omf_sb *sb,
			struct famfs_rm_block *b);

/*
 * True when the superblock @sb has the rm flag clear but this file system's
 * rm block (its CRC is keyed by the file system uuid) is there, decoded
 * into @b: a famfs tune -O rm that stopped between the two writes, or a
 * flag that was cleared (it lies outside the superblock CRC) on a file
 * system that may have deletes. Such a file system must not be replayed
 * as one without deletes (docs/rm.md, section 3).
 */
bool famfs_rm_block_orphan(const uint8_t *base, const struct famfs_omf_sb *sb,
			   struct famfs_rm_block *b);

/* Set the rm flag in the superblock at @base (one 4-byte store, flushed). */
int famfs_rm_set_flag(uint8_t *base, const struct famfs_omf_sb *sb);

/*
 * Write the rm block (enabled at log index @since) and an empty host table
 * of the file system @sb on the writable mapping @base, flushed; the
 * superblock is not touched (mkfs sets the flag in the superblock it
 * writes last). -EINVAL for a log too large for 32-bit horizons.
 */
int famfs_rm_format(uint8_t *base, const struct famfs_omf_sb *sb, uint64_t since);

/*
 * Turn the feature on for an existing file system: famfs_rm_format, then
 * set the superblock flag (one 4-byte store, flushed), so that the feature
 * exists only once its block does. The caller keeps others out (famfs
 * tune: the log lock, and the file system unmounted).
 */
int famfs_rm_enable(uint8_t *base, const struct famfs_omf_sb *sb, uint64_t since);

/*
 * Open the host table of the rm file system on @dev_path (superblock @sb),
 * mapped read-write if @writable. -ENOENT without the feature; -EACCES
 * (and the like) when the device cannot be opened so.
 */
int famfs_hosts_open(const char *dev_path, const struct famfs_omf_sb *sb, bool writable,
		     struct famfs_hosts **out);

/* Unmap and close. A registered instance should leave first. */
void famfs_hosts_close(struct famfs_hosts *h);

/*
 * Claim a slot and write our record, with replayed 0 and no hold: from the
 * moment it is visible, no delete the master commits afterwards can be
 * reused under us (docs/rm.md, section 6). The caller must replay the log
 * after this and before it touches any file, then publish. @conn is a
 * famfsd's FUSE connection (0 for a process). -ENOSPC when every slot is
 * taken, -EROFS when not writable.
 */
int famfs_hosts_register(struct famfs_hosts *h, enum famfs_host_kind kind, uint32_t conn,
			 bool master);

/*
 * Publish @replayed and @hold (FAMFS_HOLD_NONE for none) in our record,
 * bumping the beat. -ESTALE if the slot is no longer ours (evicted): the
 * record is then never written again.
 */
int famfs_hosts_publish(struct famfs_hosts *h, uint64_t replayed, uint64_t hold);

/*
 * Record that this process (a daemon after fork) owns our slot, with its
 * FUSE connection @conn, and publish. Until a famfsd has a connection
 * recorded, its record is never judged dead.
 */
int famfs_hosts_set_owner(struct famfs_hosts *h, uint32_t conn);

/* Free our slot (record, then Y), if it is still ours. */
void famfs_hosts_leave(struct famfs_hosts *h);

/*
 * Forget our slot without freeing it: the record stays and keeps blocking
 * reuse (famfsd exiting while files of its mount are still open: an
 * aborted connection never sends their RELEASE). The next famfs command or
 * famfsd of this host frees it once the mount is gone too.
 */
void famfs_hosts_keep(struct famfs_hosts *h);

enum famfs_slot_state {
	FAMFS_SLOT_FREE = 0,		/* Y is 0 */
	FAMFS_SLOT_CLAIMED = 1,		/* Y set, no record: a claim in progress, or lost */
	FAMFS_SLOT_ACTIVE = 2,		/* a valid record */
	FAMFS_SLOT_BAD = 3,		/* Y set, a record that does not validate */
};

struct famfs_host_slot {
	unsigned int index;
	enum famfs_slot_state state;
	struct famfs_host_rec rec;	/* ACTIVE only */
	bool local;			/* the record is this host's (same system uuid) */
	bool dead;			/* local, and its owner is gone (see why) */
	const char *why;		/* why dead, or "" */
	bool mine;			/* this instance's own slot */
	uint64_t claim;			/* the claim word X when it was read */
};

/* Read slot @i (a few tries against a torn record). */
int famfs_hosts_read(struct famfs_hosts *h, unsigned int i, struct famfs_host_slot *s);

/*
 * The reclaim horizon: the minimum of min(replayed, hold) over the active
 * records, or @next when there is none; 0 when a taken slot holds a record
 * that does not validate (someone we cannot read: block). With @clean
 * (and a writable table) this host's dead records are freed on the way
 * and count for nothing. *@nactive, if not NULL, gets the records counted.
 */
uint64_t famfs_hosts_horizon(struct famfs_hosts *h, uint64_t next, bool clean,
			     unsigned int *nactive);

/*
 * Free the slot @seen was read from (famfs_hosts_read), if it still holds
 * what was seen then (famfs host evict: the administrator's decision, taken
 * on what was shown): the same record (nonce), or for a slot without one
 * the same claim word. -ESTALE, leaving the slot alone, when it changed
 * meanwhile (its owner left and someone else claimed it); -EROFS when not
 * writable, -EINVAL for a bad index or a free slot.
 */
int famfs_hosts_evict(struct famfs_hosts *h, const struct famfs_host_slot *seen);

/* Seconds since @r's last publish by our clock (0 if it is in the future). */
uint64_t famfs_host_age(const struct famfs_host_rec *r);

/* Is @s not answering: local and dead, or a famfsd silent for too long. */
bool famfs_host_stale(const struct famfs_host_slot *s);

#ifdef __cplusplus
}
#endif
#endif
