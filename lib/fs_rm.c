// SPDX-License-Identifier: Apache-2.0
/*
 * fs_rm.c - the rm feature in a famfs_fs (docs/rm.md): replaying deletes
 * and the reclaim horizons of FILE entries, logging a delete, freeing and
 * zeroing deleted memory for the allocator as far as the host table
 * allows, registering in the host table, and the space accounting.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "famfs/audit.h"
#include "famfs/crash.h"
#include "famfs/err.h"
#include "famfs/meta.h"
#include "famfs/path.h"
#include "famfs/zero.h"
#include "fs_rm.h"

int fs_rm_open(struct famfs_fs *fs)
{
	struct famfs_rm_block b;
	int rc;

	rc = famfs_rm_block_read(fs->dev->base, &fs->log->sb, &b);
	if (rc == -ENOENT) {
		famfs_errclear();
		if (famfs_rm_block_orphan(fs->dev->base, &fs->log->sb, &b))
			return famfs_err(-EUCLEAN, "%s: the rm flag is clear but the file system "
					 "has its rm block (deletes since log entry %" PRIu64
					 "): refusing it, since it may have deletes (famfs "
					 "tune -O rm sets the flag again)", fs->dev->path,
					 b.since);
		return 0;
	}
	if (rc)
		return famfs_err(rc, "%s: %s", fs->dev->path, famfs_errmsg());
	fs->rm = true;
	fs->rm_since = b.since;
	return 0;
}

void fs_rm_close(struct famfs_fs *fs)
{
	if (!fs->hosts)
		return;
	famfs_hosts_leave(fs->hosts);
	famfs_hosts_close(fs->hosts);
	fs->hosts = NULL;
}

int famfs_fs_hosts(struct famfs_fs *fs, bool writable)
{
	struct famfs_hosts *h;
	int rc;

	if (!fs->rm)
		return famfs_err(-ENOENT, "%s: the file system does not have the rm feature",
				 fs->dev->path);
	if (fs->hosts && (fs->hosts->writable || !writable))
		return 0;
	if (fs->hosts && fs->hosts->slot >= 0)
		return famfs_err(-EBUSY, "registered through a read-only host table");
	rc = famfs_hosts_open(fs->dev->path, &fs->log->sb, writable, &h);
	if (rc)
		return rc;
	famfs_hosts_close(fs->hosts);
	fs->hosts = h;
	return 0;
}

/* Apply a DELETE to the namespace and, for a file, make its memory pending. */
static int apply_delete(struct famfs_fs *fs, uint64_t index, const struct famfs_omf_entry *e)
{
	const struct famfs_omf_delete *d = &e->del;
	struct famfs_node *n = NULL;
	int rc;

	if (d->target == FAMFS_DELETE_IMPLICIT)
		n = famfs_ns_resolve(fs->ns, d->relpath);
	else if (d->target < FAMFS_INO_IMPLICIT - 2)
		n = famfs_ns_by_ino(fs->ns, d->target + 2);
	rc = famfs_ns_apply(fs->ns, index, e);
	if (rc)
		return rc;
	/* The file was marked when it was replayed: this cannot fail but for memory. */
	if (n && S_ISREG(n->mode))
		rc = famfs_allocset_delete(&fs->alloc, n->fmap, index);
	if (!rc && n && fs->on_delete)
		fs->on_delete(fs->held_ctx, n);
	return rc;
}

int fs_rm_replay_delete(struct famfs_fs *fs, uint64_t index, const struct famfs_omf_entry *e)
{
	/*
	 * Not a damaged entry (its tagged CRC validated): a delete the
	 * superblock does not allow. Serving the entries before it would
	 * serve the files it and later deletes took away, over memory that
	 * may belong to other files now. The whole file system is refused.
	 */
	if (!fs->rm)
		fs->rm_refused = famfs_err(-EUCLEAN, "a delete, but the rm flag is "
					   "clear: refusing the file system (famfs fsck)");
	else if (index < fs->rm_since)
		fs->rm_refused = famfs_err(-EUCLEAN, "a delete before the rm feature "
					   "was turned on (at log entry %" PRIu64 "): "
					   "refusing the file system (famfs fsck)",
					   fs->rm_since);
	if (fs->rm_refused)
		return fs->rm_refused;
	return apply_delete(fs, index, e);
}

int fs_rm_check_file(struct famfs_fs *fs, uint64_t index, const struct famfs_omf_entry *e)
{
	uint64_t h = e->file.horizon, units = 0, del, held;
	int rc;

	/*
	 * Upstream's padding: nothing to reclaim without deletes, and an entry
	 * logged before they were turned on (famfs tune -O rm on an older or
	 * foreign image) never carried a horizon, whatever its padding holds.
	 */
	if (!fs->rm || index < fs->rm_since)
		return 0;
	if (h > index)
		return famfs_err(-EINVAL, "reclaim horizon %" PRIu64 " is past the entry itself", h);
	if (h > fs->horizon) {
		held = fs->held ? fs->held(fs->held_ctx) : FAMFS_HOLD_NONE;
		if (held < h)
			return famfs_err(-EUCLEAN, "reuses memory up to horizon %" PRIu64 ", but this "
					 "host still holds the file deleted by log entry %" PRIu64
					 ": the master broke the reuse rule", h, held);
		famfs_allocset_reclaim(&fs->alloc, h);
		fs->horizon = h;
	}
	rc = famfs_allocset_pending_in(&fs->alloc, &e->file.fmap, &units, &del);
	if (!rc && units)
		rc = famfs_err(-EUCLEAN, "%" PRIu64 " allocation units belong to the file deleted "
			       "by log entry %" PRIu64 ", which was not reusable yet (horizon %"
			       PRIu64 ")", units, del, h);
	return rc;
}

int fs_rm_before_alloc(struct famfs_fs *fs)
{
	uint64_t h;
	int rc;

	if (!fs->rm || famfs_allocset_oldest_pending(&fs->alloc) == FAMFS_ALLOC_NO_DELETE)
		return 0;
	rc = famfs_fs_hosts(fs, true);
	if (rc)
		return rc;
	/* After the catch-up that saw every delete: a host not in the table yet will see them. */
	h = famfs_hosts_horizon(fs->hosts, fs->next, true, NULL);
	if (h > fs->next)
		h = fs->next;
	if (h > fs->horizon) {
		famfs_allocset_reclaim(&fs->alloc, h);
		fs->horizon = h;
	}
	famfs_crash_point("reuse-horizon");
	return 0;
}

int famfs_fs_reclaim(struct famfs_fs *fs)
{
	return fs_rm_before_alloc(fs);
}

struct zero_ctx {
	struct famfs_fs *fs;
	bool zeroed;			/* the caller zeroed the whole file */
	uint64_t done;
};

/*
 * Zero one reused range of device @devindex with famfs_zero_mem
 * (non-temporal stores, flushed): each extent on its own device.
 */
static int zero_range(void *ctx, uint32_t devindex, uint64_t off, uint64_t len)
{
	struct zero_ctx *z = ctx;
	struct famfs_dev *dev = famfs_fs_dev(z->fs, devindex);
	uint8_t *p;

	if (!dev)
		return famfs_err(-ENODEV, "reused range [0x%" PRIx64 ", +0x%" PRIx64 ") of device "
				 "%u: the device is not found on this host", off, len, devindex);
	if (off > dev->size || len > dev->size - off)
		return famfs_err(-EIO, "reused range [0x%" PRIx64 ", +0x%" PRIx64 ") is outside "
				 "device %u", off, len, devindex);
	p = dev->base + off;
	if (z->zeroed) {
		/* famfs_zero_tail_devs did it. */
	} else if (!dev->writable) {
		return famfs_err(-EROFS, "%s: device is mapped read-only", dev->path);
	} else if (!z->done && len > 1) {
		famfs_zero_mem(p, len / 2);
		famfs_crash_point("reuse-zeroing");
		famfs_zero_mem(p + len / 2, len - len / 2);
	} else {
		famfs_zero_mem(p, len);
	}
	famfs_audit_published(p, len, "reuse: zeroed memory of a deleted file");
	z->done += len;
	return 0;
}

int fs_rm_after_alloc(struct famfs_fs *fs, const struct famfs_omf_fmap *f, bool zeroed)
{
	struct zero_ctx z = { .fs = fs, .zeroed = zeroed };
	int rc;

	if (!fs->rm)
		return 0;
	if (!fs->dev->writable)
		return famfs_err(-EROFS, "%s: device is mapped read-only", fs->dev->path);
	/* Memory a deleted file left: the new file must read zeros, not its bytes. */
	rc = famfs_allocset_take_dirty(&fs->alloc, f, zero_range, &z);
	if (!rc && z.done)
		famfs_crash_point("reuse-zeroed");
	return rc;
}

/* ---- logging a delete ---- */

static int delete_checks(struct famfs_fs *fs, const char *relpath, enum famfs_rm_what what,
			 uint64_t keep, struct famfs_node **out)
{
	struct famfs_node *n;
	uint64_t nfree;
	int rc;

	if (!fs->rm)
		return famfs_err(-EOPNOTSUPP, "%s: this file system does not have the rm feature "
				 "(turn it on with famfs tune -O rm)", fs->dev->path);
	if (!relpath[0])
		return famfs_err(-EBUSY, "the root directory cannot be deleted");
	rc = famfs_path_check(relpath);
	if (rc)
		return rc;
	/* .meta is every mount's view of the superblock and log: never deleted. */
	if (famfs_meta_reserved(relpath))
		return famfs_err(-EPERM, "%s: .meta is reserved (the superblock and log "
				 "files every mount shows): it cannot be removed", relpath);
	rc = famfs_fs_check_replayable(fs);
	if (rc)
		return rc;
	n = famfs_ns_resolve(fs->ns, relpath);
	if (!n)
		return famfs_err(-ENOENT, "%s: no such file or directory", relpath);
	if (S_ISDIR(n->mode) && !(what & FAMFS_RM_DIR))
		return famfs_err(-EISDIR, "%s: is a directory", relpath);
	if (!S_ISDIR(n->mode) && !(what & FAMFS_RM_FILE))
		return famfs_err(-ENOTDIR, "%s: not a directory", relpath);
	if (S_ISDIR(n->mode) && n->nchildren)
		return famfs_err(-ENOTEMPTY, "%s: directory not empty", relpath);
	nfree = famfs_log_free_slots(fs->log);
	if (!nfree)
		return famfs_err(-ENOSPC, "%s: log full (%" PRIu64 " entries): a delete takes a "
				 "log entry too", relpath, fs->log->nslots);
	rc = fs_check_keep(fs, relpath, keep);
	if (rc)
		return rc;
	*out = n;
	return 0;
}

int famfs_fs_delete(struct famfs_fs *fs, const char *relpath, enum famfs_rm_what what,
		    uint64_t keep)
{
	struct famfs_omf_entry e;
	struct famfs_node *n = NULL;
	int rc;

	rc = famfs_fs_begin(fs);
	if (rc)
		return rc;
	rc = delete_checks(fs, relpath, what, keep, &n);
	if (rc)
		goto out;
	memset(&e, 0, sizeof(e));
	e.type = FAMFS_LOG_DELETE;
	e.del.target = n->log_index == FAMFS_NO_INDEX ? FAMFS_DELETE_IMPLICIT : n->log_index;
	e.del.target_type = S_ISDIR(n->mode) ? FAMFS_LOG_MKDIR : FAMFS_LOG_FILE;
	snprintf(e.del.relpath, sizeof(e.del.relpath), "%s", relpath);
	famfs_crash_point("delete-checked");
	rc = famfs_log_append(fs->log, &e);
	if (rc)
		goto out;
	famfs_crash_point("delete-committed");
	if (fs->next == e.seqnum) {
		/* Checked above under the lock, so only memory can fail here. */
		rc = apply_delete(fs, e.seqnum, &e);
		if (rc)
			fs->replay_err = rc;
		else
			fs->next++;
	} else {
		famfs_fs_catchup(fs);
	}
out:
	famfs_fs_end(fs);
	return rc;
}

/* ---- the host table ---- */

int famfs_fs_register(struct famfs_fs *fs, enum famfs_host_kind kind, uint32_t conn)
{
	int rc;

	if (!fs->rm)
		return 0;
	rc = famfs_fs_hosts(fs, true);
	if (rc)
		return rc;
	rc = famfs_hosts_register(fs->hosts, kind, conn, fs->log->role == FAMFS_ROLE_MASTER);
	if (rc)
		return rc;
	/* Our record is visible: every delete committed before the master read it is ours to see. */
	famfs_fs_catchup(fs);
	/* What that catch-up deleted may still be held (famfsd: until its cache pass). */
	return famfs_hosts_publish(fs->hosts, fs->next,
				   fs->held ? fs->held(fs->held_ctx) : FAMFS_HOLD_NONE);
}

int famfs_fs_publish(struct famfs_fs *fs, uint64_t hold)
{
	if (!fs->hosts || fs->hosts->slot < 0)
		return 0;
	return famfs_hosts_publish(fs->hosts, fs->next, hold);
}

int famfs_fs_space(struct famfs_fs *fs, struct famfs_fs_space *sp)
{
	const struct famfs_allocset *a = &fs->alloc;
	struct famfs_host_slot s;
	uint64_t reusable = 0, r;
	int rc = 0;

	memset(sp, 0, sizeof(*sp));
	sp->capacity = famfs_allocset_size(a);
	sp->horizon = fs->next;
	if (fs->rm) {
		rc = famfs_fs_hosts(fs, false);
		if (rc) {
			sp->horizon = 0;	/* cannot read the table: nothing is reusable */
		} else {
			sp->horizon = famfs_hosts_horizon(fs->hosts, fs->next, false, &sp->hosts);
			for (unsigned int i = 0; i < fs->hosts->blk.nslots; i++)
				if (famfs_hosts_read(fs->hosts, i, &s) == 0 && famfs_host_stale(&s))
					sp->stale++;
		}
		if (sp->horizon > fs->next)
			sp->horizon = fs->next;
	}
	/* Per device: a deleted extent is reusable only on its own device. */
	for (uint32_t i = 0; i < a->ndevs; i++) {
		r = fs->rm ? famfs_alloc_pending_below(&a->dev[i], sp->horizon) : 0;
		reusable += r;
		if (a->usable[i])
			sp->avail += famfs_alloc_free_bytes(&a->dev[i]) + r;
	}
	sp->pending = famfs_allocset_pending_bytes(a) - reusable;
	sp->free = famfs_allocset_free_bytes(a) + reusable;
	sp->used = sp->capacity - sp->free - sp->pending;
	return rc;
}
