// SPDX-License-Identifier: Apache-2.0
/*
 * ident.c - is the device still the file system we mounted?
 *
 * Another host may re-make the device (mkfs -f) while we are mounted. From
 * then on our namespace names memory that belongs to the new file system's
 * files, and our master role and log position mean nothing. At mount we keep
 * the 200 encoded superblock bytes and the fixed part of the log header
 * (magic, length, last index, CRC); every catch-up check (the 100 ms timer,
 * lookup, readdir, mkdir, logplay) compares them with the device again, and
 * a commit index below one we already saw also counts (the log only grows).
 * On any change the file system is marked gone, for good: device 0 is
 * failed as vanished (files answer EIO, stats show it, the BPF maps say
 * so), every namespace request answers EIO, mkdir and GET_FMAP refuse, the
 * catch-up stops, one line is logged, and the catch-up thread drops what
 * the kernel cached so that old names are looked up again (and fail). The
 * "went back" test compares with the seen_next loaded before the device
 * read (famfsd_meta_read), never with a later one: an append by another
 * thread between the read and the check is not a rewind. Only
 * the root's getattr and opendir and the STATS and INFO ioctls keep
 * working, so that famfs stats and famfs umount do.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "famfs/le.h"
#include "famfsd.h"

#define HDR_FIXED	32	/* magic, len, last_index, crc: never rewritten */
#define HDR_OFF_NEXT	40	/* next_index */

struct read_ctx {
	const struct famfs_fs *fs;
	struct famfsd_meta *m;
};

/* Pure copies of device memory: run inside the SIGBUS guard. */
static int read_meta(void *ctx)
{
	const struct read_ctx *c = ctx;
	const uint8_t *base = c->fs->dev->base;
	struct famfsd_meta *m = c->m;

	famfs_invalidate(base, FAMFS_SB_SIZE);
	memcpy(m->sb, base, FAMFS_SB_SIZE);
	m->next = famfs_log_next_index(c->fs->log);	/* invalidates the header */
	memcpy(m->hdr, c->fs->log->base, FAMFS_LOG_HDR_SIZE);
	return 0;
}

int famfsd_meta_read(struct famfsd *fsd, struct famfsd_meta *m)
{
	struct read_ctx c = { fsd->fs, m };
	int rc = famfsd_dax_errno(fsd, 0);

	if (rc)
		return rc;
	/*
	 * seen_next before the device: every value stored in seen_next was
	 * committed on the device before it was stored, so a device read that
	 * follows this load sees at least m->seen.
	 */
	m->seen = famfsd_seen_load(fsd);
	famfsd_test_pause("meta_seen");	/* test builds: between the two loads */
	return famfsd_guarded(fsd, 0, read_meta, &c);
}

uint64_t famfsd_seen_load(struct famfsd *fsd)
{
	return __atomic_load_n(&fsd->seen_next, __ATOMIC_ACQUIRE);
}

void famfsd_seen_advance(struct famfsd *fsd, uint64_t next)
{
	uint64_t cur = famfsd_seen_load(fsd);

	while (cur < next && !__atomic_compare_exchange_n(&fsd->seen_next, &cur, next, true,
							   __ATOMIC_RELEASE, __ATOMIC_ACQUIRE))
		;
}

int famfsd_ident_init(struct famfsd *fsd)
{
	struct famfsd_meta m;
	int rc = famfsd_meta_read(fsd, &m);

	if (rc)
		return rc;
	/* The decoded superblock famfs_fs_open validated must be these bytes. */
	if (memcmp(m.sb + 48, fsd->fs->log->sb.uuid, 16))
		return -ESTALE;
	memcpy(fsd->sb_snap, m.sb, FAMFS_SB_SIZE);
	memcpy(fsd->hdr_snap, m.hdr, HDR_FIXED);
	return 0;
}

bool famfsd_gone(struct famfsd *fsd)
{
	return __atomic_load_n(&fsd->gone, __ATOMIC_ACQUIRE);
}

/* Mark the file system gone (once) because of @why, and log one line. */
static void mark_gone(struct famfsd *fsd, const char *why)
{
	int expect = 0;

	if (!__atomic_compare_exchange_n(&fsd->gone, &expect, 1, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE))
		return;
	famfsd_dax_fail(fsd, 0, FAMFSD_DAX_VANISHED);
	fprintf(stderr, "famfsd: %s: the file system on the device changed under the mount "
		"(%s); every request now fails with EIO: unmount it\n",
		fsd->fs->dev->path, why);
	syslog(LOG_ERR, "famfsd: %s: the file system on the device changed under the mount "
	       "(%s); every request now fails with EIO: unmount it",
	       fsd->fs->dev->path, why);
	pthread_mutex_lock(&fsd->cu_mtx);
	fsd->inval_gone = true;
	pthread_cond_signal(&fsd->cu_cond);
	pthread_mutex_unlock(&fsd->cu_mtx);
}

bool famfsd_meta_check(struct famfsd *fsd, const struct famfsd_meta *m)
{
	uint64_t next = famfs_get_le64(m->hdr + HDR_OFF_NEXT);

	if (famfsd_gone(fsd))
		return false;
	if (memcmp(m->sb + 48, fsd->sb_snap + 48, 16))
		mark_gone(fsd, "the superblock has a new file system uuid");
	else if (memcmp(m->sb, fsd->sb_snap, FAMFS_SB_SIZE))
		mark_gone(fsd, "the superblock was rewritten");
	else if (memcmp(m->hdr, fsd->hdr_snap, HDR_FIXED))
		mark_gone(fsd, "the log header was rewritten");
	else if (next < m->seen)
		mark_gone(fsd, "the log commit index went back");
	return !famfsd_gone(fsd);
}

int famfsd_ident_check(struct famfsd *fsd)
{
	struct famfsd_meta m;
	int rc;

	if (famfsd_gone(fsd))
		return -EIO;
	rc = famfsd_meta_read(fsd, &m);
	if (rc)
		return rc;
	return famfsd_meta_check(fsd, &m) ? 0 : -EIO;
}

/*
 * Drop what the kernel caches of the old namespace: the root's children
 * (which takes their subtrees with them) and every node's attributes and
 * pages. Runs on the catch-up thread only, never inside a request. Once
 * gone the namespace never changes again and nodes are never freed, so the
 * walk needs no lock.
 */
void famfsd_gone_invalidate(struct famfsd *fsd)
{
	struct famfs_node *root = famfs_ns_root(fsd->fs->ns), *n;

	/* Wait out a replay or mkdir that started before the flag was set. */
	pthread_rwlock_wrlock(&fsd->ns_lock);
	pthread_rwlock_unlock(&fsd->ns_lock);
	for (n = root->first_child; n; n = n->next_sibling)
		fuse_lowlevel_notify_inval_entry(fsd->se, FAMFS_ROOT_INO, n->name,
						 strlen(n->name));
	n = root->first_child;
	while (n) {
		fuse_lowlevel_notify_inval_inode(fsd->se, n->ino, 0, 0);
		if (n->first_child) {
			n = n->first_child;
			continue;
		}
		while (n != root && !n->next_sibling)
			n = n->parent;
		n = n == root ? NULL : n->next_sibling;
	}
	fuse_lowlevel_notify_inval_inode(fsd->se, FAMFS_ROOT_INO, 0, 0);
}
