/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log.h - the append-only metadata log in device memory.
 *
 * Commit protocol (the only writer is the master, serialised on one host by
 * flock(LOCK_EX) on the device):
 *   1. encode the entry into slot next_index, with seqnum = next_index;
 *   2. flush the entry's cache lines;
 *   3. store next_seqnum = next_index + 1, then next_index + 1 (the commit
 *      point), and flush the header.
 * A crash before step 3 leaves an uncommitted slot that readers never look
 * at and the next append overwrites. Readers invalidate, read next_index,
 * and validate each entry's seqnum and CRC (with one retry after a fresh
 * invalidate) before trusting it. A reader never sees a half-written entry
 * as valid: either it is not yet covered by next_index, or its CRC fails.
 */
#ifndef FAMFS_LOG_H
#define FAMFS_LOG_H

#include <stdbool.h>
#include <stdint.h>

#include "famfs/dev.h"
#include "famfs/omf.h"
#include "famfs/role.h"

#ifdef __cplusplus
extern "C" {
#endif

struct famfs_log {
	struct famfs_dev *dev;		/* not owned */
	struct famfs_omf_sb sb;
	uint8_t *base;			/* dev->base + sb.log_offset */
	uint64_t nslots;		/* last_index + 1 */
	enum famfs_role role;
	uint32_t mkfs_time;		/* from the log tail (omf.h), 0 if none */
	bool locked;
	/* private to lib/log.c */
	int lock_fd;			/* O_RDONLY fd of dev->path for flock, or -1 */
	uint8_t sys_uuid[16];		/* this host's system uuid */
};

/*
 * Read and validate the superblock and log header of @dev (also checking
 * that the superblock's size and log fit inside the device), and work out
 * this host's role. The caller keeps @dev open for the life of the log.
 */
int famfs_log_open(struct famfs_dev *dev, struct famfs_log **out);
void famfs_log_close(struct famfs_log *log);

/*
 * The current commit index, freshly read from memory. It is clamped to
 * nslots: a header that claims more is reported by famfs_log_open and fsck.
 */
uint64_t famfs_log_next_index(struct famfs_log *log);

/* Read and validate entry @index (invalidate, decode, one retry). */
int famfs_log_read(struct famfs_log *log, uint64_t index, struct famfs_omf_entry *e);

typedef int (*famfs_log_fn)(void *ctx, uint64_t index, const struct famfs_omf_entry *e);

/*
 * Call @fn for each committed entry in [@from, next_index). Stops at the
 * first entry that does not validate and returns its error, with a detail
 * "log entry N: ..."; *@next is then N. Otherwise *@next is the index after
 * the last entry replayed and the return is 0. A non-zero return from @fn
 * also stops the replay (with *@next at that entry) and is returned.
 */
int famfs_log_replay(struct famfs_log *log, uint64_t from, uint64_t *next,
		     famfs_log_fn fn, void *ctx);

/*
 * Take / drop the host-local append lock. -EPERM on a client. Taking it
 * when this famfs_log already holds it does nothing, so famfs_fs_begin()
 * adopts a lock taken by famfs_log_trylock().
 */
int famfs_log_lock(struct famfs_log *log);
/* The same without waiting: -EWOULDBLOCK while another holder has it. */
int famfs_log_trylock(struct famfs_log *log);
void famfs_log_unlock(struct famfs_log *log);

/*
 * Append @e (seqnum is set here, and time to now unless the caller set it)
 * following the commit protocol above.
 * The lock must be held. -EPERM on a client, -ENOSPC when the log is full,
 * -EINVAL for an entry that would not decode.
 */
int famfs_log_append(struct famfs_log *log, struct famfs_omf_entry *e);

/* Free slots left in the log. */
uint64_t famfs_log_free_slots(struct famfs_log *log);

/*
 * Log slots reserved for root, as ext4 reserves blocks: a log filled by
 * anyone else (famfsd -o user_mkdir) still leaves root room to work. The
 * default is FAMFS_LOG_RESERVE_PCT percent of the slots (771 of the 15420 of
 * an 8 MiB log); famfsd -o reserve= sets another per mount.
 */
#define FAMFS_LOG_RESERVE_PCT	5
#define FAMFS_LOG_RESERVE_MIN	64

/*
 * @pct percent (0..100) of @nslots, rounded up, and at least
 * FAMFS_LOG_RESERVE_MIN (but never more than @nslots) when @pct is not 0.
 */
uint64_t famfs_log_reserve(uint64_t nslots, unsigned int pct);

/*
 * Write a new file system on @dev (mkfs): superblock with a fresh fs uuid
 * and device uuid, @sys_uuid as the master, an empty log of @log_len bytes
 * (a power of 2, >= 8 MiB, fitting the device). An existing valid
 * superblock is refused with -EEXIST unless @force; one whose system uuid
 * is another host's is refused with -EPERM unless @force. @kill with
 * @force zeroes the magic instead (famfs mkfs -f -k).
 */
int famfs_mkfs(struct famfs_dev *dev, uint64_t log_len, const uint8_t sys_uuid[16],
	       bool force, bool kill);

/*
 * famfs_mkfs, with superblock @features (0, or FAMFS_SB_FEAT_RM: the rm
 * block and an empty host table are written before the superblock, which
 * becomes valid last). Without features the image is famfs_mkfs's.
 */
int famfs_mkfs_features(struct famfs_dev *dev, uint64_t log_len, const uint8_t sys_uuid[16],
			bool force, bool kill, uint32_t features);

/*
 * A superblock's stores on @dev, in the order that keeps a crash safe:
 * famfs_sb_kill_magic leaves no valid superblock (before anything it
 * describes is rewritten); famfs_sb_publish writes @buf, an encoded
 * superblock, magic last, so that it becomes valid in one store. @who
 * names the writer in the flush audit ("mkfs", "devadd").
 */
void famfs_sb_kill_magic(struct famfs_dev *dev, const char *who);
void famfs_sb_publish(struct famfs_dev *dev, const uint8_t buf[FAMFS_SB_SIZE], const char *who);

#ifdef __cplusplus
}
#endif
#endif
