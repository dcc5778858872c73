// SPDX-License-Identifier: Apache-2.0
/*
 * log.c - the metadata log in device memory: open and validate, read and
 * replay committed entries, the locked append with its commit protocol
 * (see log.h), and mkfs, which writes an empty log and the superblock.
 *
 * The two header words that change after mkfs (next_seqnum, next_index)
 * are only ever written as single aligned 8-byte release stores and read
 * as acquire loads after a cache invalidate, so a reader on any host sees
 * either the old or the new value, never a mix.
 */
#include <errno.h>
#include <endian.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "famfs/audit.h"
#include "famfs/crash.h"
#include "famfs/devfind.h"
#include "famfs/err.h"
#include "famfs/hosts.h"
#include "famfs/log.h"
#include "famfs/devmem.h"

/* Offsets of the mutable header words (see the log header layout in omf.h). */
#define LOG_HDR_OFF_NEXT_SEQNUM	32
#define LOG_HDR_OFF_NEXT_INDEX	40
_Static_assert(LOG_HDR_OFF_NEXT_INDEX + 8 == FAMFS_LOG_HDR_SIZE, "next_index ends the header");
_Static_assert(LOG_HDR_OFF_NEXT_SEQNUM % 8 == 0, "aligned header word");

static inline uint64_t *log_word(struct famfs_log *log, size_t off)
{
	return (uint64_t *)(void *)(log->base + off);
}

/* Release store of a header word; -EIO if the device faulted (devmem.h). */
static inline int log_store(struct famfs_log *log, size_t off, uint64_t v)
{
	return famfs_sigbus_store64(log_word(log, off), htole64(v));
}

/* The commit index, clamped to nslots, as a guarded load; 0 or -EIO. */
static int log_next(struct famfs_log *log, uint64_t *out)
{
	uint64_t v;
	int rc = famfs_sigbus_load64(log_word(log, LOG_HDR_OFF_NEXT_INDEX), &v);

	if (rc)
		return rc;
	v = le64toh(v);
	*out = v > log->nslots ? log->nslots : v;
	return 0;
}

static inline uint8_t *log_slot(struct famfs_log *log, uint64_t index)
{
	return log->base + FAMFS_LOG_HDR_SIZE + index * FAMFS_LOG_ENTRY_SIZE;
}

/*
 * The mkfs time from the log tail, when our mkfs left one: times fall back
 * to 1970 without it, so a missing or damaged tail is not an error here
 * (fsck reports a damaged one).
 */
static void log_read_tail(struct famfs_log *log)
{
	uint8_t buf[FAMFS_LOG_TAIL_SIZE];
	uint64_t off = famfs_log_tail_off(log->sb.log_len);

	log->mkfs_time = 0;
	if (!off)
		return;
	if (famfs_sigbus_read(buf, log->base + off, sizeof(buf)) ||
	    famfs_omf_log_tail_decode(buf, log->sb.uuid, &log->mkfs_time))
		famfs_errclear();
}

/* Seconds since the epoch, as an entry or the log tail stores them. */
static uint32_t log_now(void)
{
	time_t t = time(NULL);

	if (t <= 0)
		return 1;
	return (uint64_t)t > UINT32_MAX ? UINT32_MAX : (uint32_t)t;
}

/* @dev holds a secondary superblock: say so, and where its primary is. */
static int log_secondary(const struct famfs_dev *dev, const struct famfs_omf_sb *sb)
{
	char u[37], primary[4096];

	uuid_unparse(sb->uuid, u);
	if (famfs_devfind_primary(sb->uuid, primary, sizeof(primary)) == 0)
		return famfs_err(-EINVAL, "%s is a secondary device of famfs %s, whose log is "
				 "on its primary device, here %s", dev->path, u, primary);
	famfs_errclear();
	return famfs_err(-EINVAL, "%s is a secondary device of famfs %s, whose log is on its "
			 "primary device (not found on this host)", dev->path, u);
}

int famfs_log_open(struct famfs_dev *dev, struct famfs_log **out)
{
	uint8_t sbbuf[FAMFS_SB_SIZE], hdrbuf[FAMFS_LOG_HDR_SIZE];
	struct famfs_omf_log_hdr hdr;
	struct famfs_log *log;
	int rc;

	*out = NULL;
	log = calloc(1, sizeof(*log));
	if (!log)
		return famfs_err(-ENOMEM, "out of memory");
	log->dev = dev;
	log->lock_fd = -1;

	rc = famfs_sigbus_read(sbbuf, dev->base, sizeof(sbbuf));
	if (!rc)
		rc = famfs_omf_sb_decode(sbbuf, sizeof(sbbuf), &log->sb);
	if (!rc && famfs_omf_sb_is_secondary(&log->sb))
		rc = log_secondary(dev, &log->sb);
	if (rc)
		goto fail;
	if (log->sb.dev_size > dev->size) {
		rc = famfs_err(-EINVAL, "%s: superblock says %" PRIu64 " bytes, device has %"
			       PRIu64, dev->path, log->sb.dev_size, dev->size);
		goto fail;
	}
	if (log->sb.log_offset > dev->size ||
	    log->sb.log_len > dev->size - log->sb.log_offset) {
		rc = famfs_err(-EINVAL, "%s: log [%#" PRIx64 ", +%#" PRIx64 ") is outside the "
			       "device (%" PRIu64 " bytes)", dev->path, log->sb.log_offset,
			       log->sb.log_len, dev->size);
		goto fail;
	}
	log->base = dev->base + log->sb.log_offset;
	log->nslots = famfs_log_nslots(log->sb.log_len);

	rc = famfs_sigbus_read(hdrbuf, log->base, sizeof(hdrbuf));
	if (!rc)
		rc = famfs_omf_log_hdr_decode(hdrbuf, sizeof(hdrbuf), log->sb.log_len, &hdr);
	if (rc)
		goto fail;

	log_read_tail(log);
	/* Never create the uuid file here: a host without one is a client. */
	rc = famfs_system_uuid_find(log->sys_uuid);
	if (rc == -ENOENT) {
		famfs_errclear();
		memset(log->sys_uuid, 0, sizeof(log->sys_uuid));
		log->role = FAMFS_ROLE_CLIENT;
	} else if (rc) {
		goto fail;
	} else {
		log->role = famfs_role_of(&log->sb, log->sys_uuid);
	}
	*out = log;
	return 0;
fail:
	free(log);
	return rc;
}

void famfs_log_close(struct famfs_log *log)
{
	if (!log)
		return;
	if (log->lock_fd >= 0)
		close(log->lock_fd);	/* drops the flock too */
	free(log);
}

uint64_t famfs_log_next_index(struct famfs_log *log)
{
	uint64_t v;

	famfs_invalidate(log->base, FAMFS_LOG_HDR_SIZE);
	v = le64toh(__atomic_load_n(log_word(log, LOG_HDR_OFF_NEXT_INDEX), __ATOMIC_ACQUIRE));
	return v > log->nslots ? log->nslots : v;
}

uint64_t famfs_log_free_slots(struct famfs_log *log)
{
	return log->nslots - famfs_log_next_index(log);
}

uint64_t famfs_log_reserve(uint64_t nslots, unsigned int pct)
{
	uint64_t r;

	if (!pct)
		return 0;
	if (pct > 100)
		pct = 100;
	r = (nslots * pct + 99) / 100;
	if (r < FAMFS_LOG_RESERVE_MIN)
		r = FAMFS_LOG_RESERVE_MIN;
	return r > nslots ? nslots : r;
}

int famfs_log_read(struct famfs_log *log, uint64_t index, struct famfs_omf_entry *e)
{
	uint8_t buf[FAMFS_LOG_ENTRY_SIZE];
	const uint8_t *slot;
	char why[256];
	int rc, tries;

	if (index >= log->nslots)
		return famfs_err(-EINVAL, "log entry %" PRIu64 ": beyond the log (%" PRIu64
				 " slots)", index, log->nslots);
	slot = log_slot(log, index);
	for (tries = 0; tries < 2; tries++) {
		rc = famfs_sigbus_read(buf, slot, sizeof(buf));
		if (rc)
			return famfs_err(rc, "log entry %" PRIu64 ": %s", index, famfs_errmsg());
		rc = famfs_omf_entry_decode(buf, index, e);
		if (!rc)
			return 0;
	}
	snprintf(why, sizeof(why), "%s", famfs_errmsg());
	if (strncmp(why, "log entry", 9) == 0)
		return famfs_err(rc, "%s", why);
	return famfs_err(rc, "log entry %" PRIu64 ": %s", index, why[0] ? why : strerror(-rc));
}

int famfs_log_replay(struct famfs_log *log, uint64_t from, uint64_t *next,
		     famfs_log_fn fn, void *ctx)
{
	struct famfs_omf_entry e;
	uint64_t end, i;
	int rc;

	rc = log_next(log, &end);
	if (rc) {
		*next = from;
		return rc;
	}
	for (i = from; i < end; i++) {
		rc = famfs_log_read(log, i, &e);
		if (!rc)
			rc = fn(ctx, i, &e);
		if (rc) {
			*next = i;
			return rc;
		}
	}
	*next = i < from ? from : i;
	return 0;
}

static int log_check_master(struct famfs_log *log)
{
	char mine[37], master[37];

	if (log->role == FAMFS_ROLE_MASTER)
		return 0;
	uuid_unparse(log->sys_uuid, mine);
	uuid_unparse(log->sb.system_uuid, master);
	return famfs_err(-EPERM, "this host is a client (system uuid %s, master is %s)",
			 mine, master);
}

/* flock(LOCK_EX | @extra) on the device, opened once; -EWOULDBLOCK when busy. */
static int log_flock(struct famfs_log *log, int extra)
{
	int rc = log_check_master(log);

	if (rc)
		return rc;
	if (log->locked)
		return 0;
	if (log->lock_fd < 0) {
		log->lock_fd = open(log->dev->path, O_RDONLY | O_CLOEXEC);
		if (log->lock_fd < 0)
			return famfs_err(-errno, "%s: open for locking: %s", log->dev->path,
					 strerror(errno));
	}
	while (flock(log->lock_fd, LOCK_EX | extra) < 0) {
		if (errno == EWOULDBLOCK && (extra & LOCK_NB))
			return -EWOULDBLOCK;
		if (errno != EINTR)
			return famfs_err(-errno, "%s: flock: %s", log->dev->path,
					 strerror(errno));
	}
	log->locked = true;
	return 0;
}

int famfs_log_lock(struct famfs_log *log)
{
	return log_flock(log, 0);
}

int famfs_log_trylock(struct famfs_log *log)
{
	return log_flock(log, LOCK_NB);
}

void famfs_log_unlock(struct famfs_log *log)
{
	if (!log->locked)
		return;
	flock(log->lock_fd, LOCK_UN);
	log->locked = false;
}

int famfs_log_append(struct famfs_log *log, struct famfs_omf_entry *e)
{
	uint8_t buf[FAMFS_LOG_ENTRY_SIZE];
	struct famfs_omf_entry check;
	uint64_t idx;
	int rc;

	rc = log_check_master(log);
	if (rc)
		return rc;
	if (!log->locked)
		return famfs_err(-ENOLCK, "log append without the log lock");
	if (!log->dev->writable)
		return famfs_err(-EROFS, "%s: device is mapped read-only", log->dev->path);
	rc = log_next(log, &idx);
	if (rc)
		return rc;
	if (idx >= log->nslots)
		return famfs_err(-ENOSPC, "log full (%" PRIu64 " entries)", log->nslots);

	e->seqnum = idx;
	if (!e->time)
		e->time = log_now();
	famfs_omf_entry_encode(e, buf);
	rc = famfs_omf_entry_decode(buf, idx, &check);
	if (rc)
		return famfs_err(-EINVAL, "log entry %" PRIu64 " would not decode: %s", idx,
				 famfs_errmsg());

	/* A fault (the device went away) fails here, before the commit point. */
	rc = famfs_sigbus_write(log_slot(log, idx), buf, sizeof(buf));
	if (!rc) {
		famfs_audit_published(log_slot(log, idx), sizeof(buf),
				      "log append: entry at its commit");
		famfs_crash_point("append-written");
		rc = log_store(log, LOG_HDR_OFF_NEXT_SEQNUM, idx + 1);
	}
	if (!rc) {
		famfs_crash_point("append-seqnum");
		rc = log_store(log, LOG_HDR_OFF_NEXT_INDEX, idx + 1);
	}
	if (rc)
		return famfs_err(rc, "log entry %" PRIu64 ": %s", idx, famfs_errmsg());
	famfs_flush(log->base, FAMFS_LOG_HDR_SIZE);
	famfs_audit_published(log->base, FAMFS_LOG_HDR_SIZE, "log append: commit (log header)");
	return 0;
}

/* Validate a requested log length against a device of @dev_size bytes. */
static int mkfs_check_log_len(uint64_t log_len, uint64_t dev_size)
{
	if (log_len < FAMFS_LOG_LEN_MIN || (log_len & (log_len - 1)))
		return famfs_err(-EINVAL, "log length %" PRIu64 " must be a power of 2 and at "
				 "least 8 MiB", log_len);
	if (log_len > dev_size || FAMFS_LOG_OFFSET + log_len + FAMFS_ALLOC_UNIT > dev_size)
		return famfs_err(-EINVAL, "log length %" PRIu64 " leaves no room for data on a "
				 "device of %" PRIu64 " bytes", log_len, dev_size);
	return 0;
}

void famfs_sb_kill_magic(struct famfs_dev *dev, const char *who)
{
	char what[64];

	memset(dev->base, 0, 8);
	famfs_flush(dev->base, 8);
	snprintf(what, sizeof(what), "%s: superblock magic cleared", who);
	famfs_audit_published(dev->base, 8, what);
}

void famfs_sb_publish(struct famfs_dev *dev, const uint8_t buf[FAMFS_SB_SIZE], const char *who)
{
	char what[64];

	memcpy(dev->base + 8, buf + 8, FAMFS_SB_SIZE - 8);
	famfs_flush(dev->base, FAMFS_SB_SIZE);
	snprintf(what, sizeof(what), "%s: superblock before its magic", who);
	famfs_audit_published(dev->base, FAMFS_SB_SIZE, what);
	memcpy(dev->base, buf, 8);
	famfs_flush(dev->base, 8);
	snprintf(what, sizeof(what), "%s: superblock", who);
	famfs_audit_published(dev->base, FAMFS_SB_SIZE, what);
}

int famfs_mkfs(struct famfs_dev *dev, uint64_t log_len, const uint8_t sys_uuid[16],
	       bool force, bool kill)
{
	return famfs_mkfs_features(dev, log_len, sys_uuid, force, kill, 0);
}

int famfs_mkfs_features(struct famfs_dev *dev, uint64_t log_len, const uint8_t sys_uuid[16],
			bool force, bool kill, uint32_t features)
{
	uint8_t sbbuf[FAMFS_SB_SIZE], hdrbuf[FAMFS_LOG_HDR_SIZE];
	uint8_t tail[FAMFS_LOG_TAIL_SIZE];
	struct famfs_omf_log_hdr hdr;
	struct famfs_omf_sb old, sb;
	uint8_t *log;
	int rc;

	if (!dev->writable)
		return famfs_err(-EROFS, "%s: device is mapped read-only", dev->path);
	if (features & ~FAMFS_SB_FEAT_RM)
		return famfs_err(-EINVAL, "unknown features 0x%x", features);
	if (!kill) {
		rc = mkfs_check_log_len(log_len, dev->size);
		if (rc)
			return rc;
	}

	famfs_invalidate(dev->base, FAMFS_SB_SIZE);
	if (famfs_omf_sb_decode(dev->base, FAMFS_SB_SIZE, &old) == 0 && !force) {
		if (memcmp(old.system_uuid, sys_uuid, 16) == 0)
			return famfs_err(-EEXIST, "%s: famfs superblock exists; use -f", dev->path);
		return famfs_err(-EPERM, "%s: famfs superblock belongs to another host; use -f",
				 dev->path);
	}
	famfs_errclear();
	/* From here on a crash must leave no valid superblock. */
	famfs_sb_kill_magic(dev, "mkfs");
	if (kill)
		return 0;

	log = dev->base + FAMFS_LOG_OFFSET;
	memset(log, 0, log_len);
	famfs_flush(log, log_len);

	memset(&hdr, 0, sizeof(hdr));
	hdr.magic = FAMFS_LOG_MAGIC;
	hdr.len = log_len;
	hdr.last_index = famfs_log_nslots(log_len) - 1;
	famfs_omf_log_hdr_encode(&hdr, hdrbuf);
	memcpy(log, hdrbuf, sizeof(hdrbuf));
	famfs_flush(log, sizeof(hdrbuf));
	famfs_audit_published(log, log_len, "mkfs: empty log before the superblock");

	memset(&sb, 0, sizeof(sb));
	sb.magic = FAMFS_SUPER_MAGIC;
	sb.version = FAMFS_CURRENT_VERSION;
	sb.log_offset = FAMFS_LOG_OFFSET;
	sb.log_len = log_len;
	sb.alloc_unit = FAMFS_ALLOC_UNIT;
	sb.omf_major = FAMFS_OMF_VER_MAJOR;
	sb.omf_minor = FAMFS_OMF_VER_MINOR;
	uuid_generate(sb.uuid);
	uuid_generate(sb.dev_uuid);
	memcpy(sb.system_uuid, sys_uuid, 16);
	sb.flags = features;
	sb.dev_size = dev->size;
	/* Cut at 64 bytes, as upstream's strncpy into dd_daxdev[64]. */
	memcpy(sb.daxdev, dev->path, strnlen(dev->path, FAMFS_DAXDEV_PATH_LEN));
	if (features & FAMFS_SB_FEAT_RM) {
		rc = famfs_rm_format(dev->base, &sb, 0);
		if (rc)
			return rc;
	}
	famfs_omf_sb_encode(&sb, sbbuf);
	if (famfs_log_tail_off(log_len)) {
		/* When the file system was made: the root's time (ns.h). */
		famfs_omf_log_tail_encode(sb.uuid, log_now(), tail);
		memcpy(log + famfs_log_tail_off(log_len), tail, sizeof(tail));
		famfs_flush(log + famfs_log_tail_off(log_len), sizeof(tail));
		famfs_audit_published(log, log_len, "mkfs: log tail before the superblock");
	}
	famfs_sb_publish(dev, sbbuf, "mkfs");
	return 0;
}
