// SPDX-License-Identifier: Apache-2.0
/*
 * fs.c - a famfs instance: device, log, namespace and allocation bitmap kept
 * in step by replaying the log, plus the master-side creates (mkdir, creat)
 * that follow lock -> catch up -> check -> allocate -> append -> apply.
 * Deletes and the reuse of deleted memory are in fs_rm.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "famfs/err.h"
#include "famfs/fmap.h"
#include "famfs/fs.h"
#include "famfs/meta.h"
#include "famfs/path.h"
#include "famfs/zero.h"
#include "fs_rm.h"
#include "fs_int.h"

/*
 * Stop the replay at entry @index for @rc: the detail becomes
 * "log entry N (path): why", whatever layer found the problem.
 */
static int fs_replay_stop(struct famfs_fs *fs, uint64_t index, const char *path, int rc)
{
	char why[512];
	const char *d = famfs_errmsg();
	char *end;

	/* ns details start "entry N: "; say the entry once. */
	if (!strncmp(d, "entry ", 6)) {
		strtoull(d + 6, &end, 10);
		if (end[0] == ':' && end[1] == ' ')
			d = end + 2;
	}
	snprintf(why, sizeof(why), "%s", *d ? d : strerror(-rc));
	return famfs_err(rc, "log entry %" PRIu64 " (%s): %s", index, path, why);
}

/*
 * Replay one committed entry. An entry that validates but cannot be served
 * as it stands - a map outside the data area, memory that already belongs
 * to an earlier file, a name that exists, a parent that is a file - stops
 * the replay there, exactly as a damaged entry does: every host serves the
 * valid prefix of the log, and never a file whose memory is another's.
 */
static int fs_replay_one(void *ctx, uint64_t index, const struct famfs_omf_entry *e)
{
	struct famfs_fs *fs = ctx;
	const char *path = e->type == FAMFS_LOG_FILE ? e->file.relpath :
			   e->type == FAMFS_LOG_MKDIR ? e->mkdir.relpath :
			   e->type == FAMFS_LOG_DELETE ? e->del.relpath : "-";
	struct famfs_node *n;
	uint64_t inuse = 0;
	int rc;

	if (e->type == FAMFS_LOG_DELETE) {
		rc = fs_rm_replay_delete(fs, index, e);
		return rc ? fs_replay_stop(fs, index, path, rc) : 0;
	}
	if (e->type == FAMFS_LOG_FILE) {
		rc = famfs_devtab_fmap_check(&fs->devtab, &e->file.fmap, e->file.size);
		if (!rc)
			rc = fs_rm_check_file(fs, index, e);
		if (!rc)
			rc = famfs_allocset_inuse(&fs->alloc, &e->file.fmap, &inuse);
		if (!rc && inuse) {
			fs->collisions += inuse;
			rc = famfs_err(-EUCLEAN, "%" PRIu64 " allocation units already belong to "
				       "an earlier file", inuse);
		}
		if (rc)
			return fs_replay_stop(fs, index, path, rc);
	} else if (e->type == FAMFS_LOG_ADD_DAXDEV) {
		rc = famfs_fs_dev_apply(fs, index, e);
		if (rc)
			return fs_replay_stop(fs, index, "ADD_DAXDEV", rc);
	}
	rc = famfs_ns_apply(fs->ns, index, e);
	if (rc == -EEXIST && e->type == FAMFS_LOG_MKDIR) {
		/*
		 * A directory first made implicitly by a file under it: this
		 * entry makes it explicit, with the mode and owner it logs (its
		 * inode number stays, so that nothing cached goes stale).
		 */
		n = famfs_ns_resolve(fs->ns, e->mkdir.relpath);
		if (n && S_ISDIR(n->mode) && n->log_index == FAMFS_NO_INDEX) {
			famfs_errclear();
			n->mode = S_IFDIR | (e->mkdir.mode & 07777);
			n->uid = e->mkdir.uid;
			n->gid = e->mkdir.gid;
			n->log_index = index;
			return 0;
		}
	}
	if (rc)
		return fs_replay_stop(fs, index, path, rc);
	if (e->type == FAMFS_LOG_FILE)
		famfs_allocset_mark(&fs->alloc, &e->file.fmap, NULL);
	return 0;
}

long famfs_fs_catchup(struct famfs_fs *fs)
{
	uint64_t from = fs->next, next = fs->next;
	char why[512];
	int rc;

	rc = famfs_log_replay(fs->log, from, &next, fs_replay_one, fs);
	fs->next = next;
	if (fs->unresolved && !fs->defer_search) {
		/* New devices in the log: find them, keeping the replay's detail. */
		snprintf(why, sizeof(why), "%s", famfs_errmsg());
		famfs_fs_find_devs(fs, NULL);
		famfs_err(rc, "%s", why);
	}
	if (rc) {
		/* Keep the detail of the bad entry for the caller to print. */
		snprintf(why, sizeof(why), "%s", famfs_errmsg());
		fs->replay_err = rc;
		famfs_err(rc, "%s", why);
	} else {
		fs->replay_err = 0;
		famfs_errclear();
	}
	return (long)(next - from);
}

int famfs_fs_open(const char *path, unsigned int flags, struct famfs_fs **out)
{
	const struct famfs_omf_sb *sb;
	struct famfs_fs *fs;
	int rc;

	*out = NULL;
	fs = calloc(1, sizeof(*fs));
	if (!fs)
		return famfs_err(-ENOMEM, "out of memory");
	rc = famfs_dev_open(path, flags & FAMFS_FS_WRITE, &fs->dev);
	if (rc)
		goto fail;
	rc = famfs_log_open(fs->dev, &fs->log);
	if (rc)
		goto fail;
	rc = famfs_ns_new(&fs->ns);
	if (rc)
		goto fail;
	famfs_ns_set_epoch(fs->ns, fs->log->mkfs_time);
	famfs_ns_limit_implicit(fs->ns, fs->log->nslots);
	rc = fs_rm_open(fs);
	if (rc)
		goto fail;
	sb = &fs->log->sb;
	fs->open_flags = flags;
	fs->devs[0] = fs->dev;
	famfs_devtab_init(&fs->devtab, sb, sb->dev_size);
	rc = famfs_allocset_add(&fs->alloc, sb->dev_size, sb->alloc_unit,
				famfs_omf_sb_data_start(sb));
	if (rc)
		goto fail;
	famfs_errclear();
	famfs_fs_catchup(fs);
	if (fs->rm_refused) {
		rc = fs->rm_refused;	/* famfs_errmsg has the entry and why */
		goto fail;
	}
	*out = fs;
	return 0;
fail:
	famfs_fs_close(fs);
	return rc;
}

void famfs_fs_close(struct famfs_fs *fs)
{
	if (!fs)
		return;
	fs_rm_close(fs);
	if (fs->log) {
		famfs_log_unlock(fs->log);
		famfs_log_close(fs->log);
	}
	if (fs->ns)
		famfs_ns_free(fs->ns);
	famfs_allocset_fini(&fs->alloc);
	famfs_fs_devs_close(fs);
	famfs_dev_close(fs->dev);
	free(fs);
}

int famfs_fs_begin(struct famfs_fs *fs)
{
	int rc;

	if (fs->depth == 0) {
		rc = famfs_log_lock(fs->log);
		if (rc)
			return rc;
	}
	fs->depth++;
	famfs_fs_catchup(fs);
	return 0;
}

void famfs_fs_end(struct famfs_fs *fs)
{
	if (!fs->depth)
		return;
	if (--fs->depth == 0)
		famfs_log_unlock(fs->log);
}

/*
 * Refuse to append after a committed entry that does not validate: replay
 * stops there, so anything logged after it would never be seen.
 */
int famfs_fs_check_replayable(struct famfs_fs *fs)
{
	if (!fs->replay_err)
		return 0;
	return famfs_err(-EIO, "log entry %" PRIu64 " is damaged; run famfs fsck", fs->next);
}

/*
 * Append @e and apply it to our own namespace (and device table: an
 * ADD_DAXDEV). @e->seqnum is the new index. A FILE's units were marked by
 * whoever allocated them.
 */
int famfs_fs_append_apply(struct famfs_fs *fs, struct famfs_omf_entry *e)
{
	int rc;

	rc = famfs_log_append(fs->log, e);
	if (rc)
		return rc;
	if (fs->next == e->seqnum) {
		/* Checked before the append, so this cannot fail but on a bug. */
		rc = e->type == FAMFS_LOG_ADD_DAXDEV ? famfs_fs_dev_apply(fs, e->seqnum, e) : 0;
		if (!rc)
			rc = famfs_ns_apply(fs->ns, e->seqnum, e);
		if (rc) {
			fs->replay_err = rc;
			return rc;
		}
		fs->next++;
		return 0;
	}
	famfs_fs_catchup(fs);
	return 0;
}

/* A valid log path that is not .meta or below (mounts show their own). */
static int fs_check_name(const char *relpath)
{
	int rc = famfs_path_check(relpath);

	if (rc || !famfs_meta_reserved(relpath))
		return rc;
	if (!strcmp(relpath, FAMFS_META_DIRNAME))
		return famfs_err(-EEXIST, "%s: reserved: every mount shows the superblock and "
				 "log files there", relpath);
	return famfs_err(-EPERM, "%s: %s holds a mount's superblock and log files; nothing "
			 "can be created in it", relpath, FAMFS_META_DIRNAME);
}

/*
 * Find the parent directory of @relpath and check that the last component
 * is free. Returns 0, -ENOENT, -ENOTDIR or -EEXIST (*@existing is then set).
 */
static int fs_parent_of(struct famfs_fs *fs, const char *relpath,
			struct famfs_node **existing)
{
	char parent[FAMFS_OMF_PATH_MAX];
	struct famfs_node *dir, *n;
	const char *name;

	*existing = NULL;
	name = famfs_path_split(relpath, parent);
	dir = famfs_ns_resolve(fs->ns, parent);
	if (!dir)
		return famfs_err(-ENOENT, "%s: parent directory '%s' does not exist", relpath,
				 parent);
	if (!S_ISDIR(dir->mode))
		return famfs_err(-ENOTDIR, "%s: parent '%s' is not a directory", relpath, parent);
	n = famfs_ns_lookup(fs->ns, dir, name);
	if (n) {
		*existing = n;
		return famfs_err(-EEXIST, "%s: %s exists", relpath,
				 S_ISDIR(n->mode) ? "a directory" : "a file");
	}
	return 0;
}

int fs_check_keep(struct famfs_fs *fs, const char *relpath, uint64_t keep)
{
	uint64_t nfree = famfs_log_free_slots(fs->log);

	if (keep && nfree <= keep)
		return famfs_err(-ENOSPC, "%s: log full for this caller: the last %" PRIu64
				 " free slots are reserved for root", relpath, nfree);
	return 0;
}

static int fs_mkdir_one(struct famfs_fs *fs, const char *relpath, uint32_t mode,
			uint32_t uid, uint32_t gid, uint64_t keep)
{
	struct famfs_omf_entry e;
	int rc;

	rc = fs_check_keep(fs, relpath, keep);
	if (rc)
		return rc;

	memset(&e, 0, sizeof(e));
	e.type = FAMFS_LOG_MKDIR;
	e.mkdir.uid = uid;
	e.mkdir.gid = gid;
	e.mkdir.mode = mode & 07777;
	snprintf(e.mkdir.relpath, sizeof(e.mkdir.relpath), "%s", relpath);
	return famfs_fs_append_apply(fs, &e);
}

static int fs_mkdir_locked(struct famfs_fs *fs, const char *relpath, uint32_t mode,
			   uint32_t uid, uint32_t gid, bool parents, uint64_t keep)
{
	char prefix[FAMFS_OMF_PATH_MAX];
	struct famfs_node *n;
	size_t i;
	int rc;

	rc = fs_check_name(relpath);
	if (rc)
		return rc;
	rc = famfs_fs_check_replayable(fs);
	if (rc)
		return rc;
	if (parents) {
		/* Every proper prefix must be a directory; create the missing ones. */
		for (i = 0; relpath[i]; i++) {
			if (relpath[i] != '/')
				continue;
			memcpy(prefix, relpath, i);
			prefix[i] = '\0';
			n = famfs_ns_resolve(fs->ns, prefix);
			if (n && !S_ISDIR(n->mode))
				return famfs_err(-ENOTDIR, "%s: '%s' is not a directory", relpath,
						 prefix);
			if (!n) {
				rc = fs_mkdir_one(fs, prefix, mode, uid, gid, keep);
				if (rc)
					return rc;
			}
		}
	}
	rc = fs_parent_of(fs, relpath, &n);
	if (rc == -EEXIST && parents && S_ISDIR(n->mode)) {
		famfs_errclear();
		return 0;
	}
	if (rc)
		return rc;
	return fs_mkdir_one(fs, relpath, mode, uid, gid, keep);
}

static int fs_mkdir(struct famfs_fs *fs, const char *relpath, uint32_t mode,
		    uint32_t uid, uint32_t gid, bool parents, uint64_t keep)
{
	int rc;

	rc = famfs_fs_begin(fs);
	if (rc)
		return rc;
	rc = fs_mkdir_locked(fs, relpath, mode, uid, gid, parents, keep);
	famfs_fs_end(fs);
	return rc;
}

int famfs_fs_mkdir(struct famfs_fs *fs, const char *relpath, uint32_t mode,
		   uint32_t uid, uint32_t gid, bool parents)
{
	return fs_mkdir(fs, relpath, mode, uid, gid, parents, 0);
}

int famfs_fs_mkdir_keep(struct famfs_fs *fs, const char *relpath, uint32_t mode,
			uint32_t uid, uint32_t gid, uint64_t keep)
{
	return fs_mkdir(fs, relpath, mode, uid, gid, false, keep);
}

/*
 * The first half of a creation, under the log lock: check @relpath and the
 * log, then take the memory: the map the caller @planned (it must still be
 * free) or a fresh allocation. Either way its units are marked in use in
 * *@fmap.
 */
static int fs_creat_take(struct famfs_fs *fs, const char *relpath, uint64_t size,
			 const struct famfs_interleave_param *ip,
			 const struct famfs_omf_fmap *planned, struct famfs_omf_fmap *fmap)
{
	struct famfs_node *n;
	char why[400];
	uint64_t seed, inuse = 0;
	int rc;

	if (size == 0)
		return famfs_err(-EINVAL, "%s: empty file not allowed", relpath);
	rc = fs_check_name(relpath);
	if (rc)
		return rc;
	rc = famfs_fs_check_replayable(fs);
	if (rc)
		return rc;
	rc = fs_parent_of(fs, relpath, &n);
	if (rc)
		return rc;
	if (famfs_log_free_slots(fs->log) == 0)
		return famfs_err(-ENOSPC, "log full (%" PRIu64 " entries)", fs->log->nslots);
	rc = fs_rm_before_alloc(fs);
	if (rc)
		return rc;
	if (planned) {
		/* Memory the caller planned (famfs_fs_creat_map): it must still be free. */
		rc = famfs_devtab_fmap_check(&fs->devtab, planned, size);
		if (!rc)
			rc = famfs_allocset_inuse(&fs->alloc, planned, &inuse);
		if (!rc && inuse)
			rc = famfs_err(-EBUSY, "%s: %" PRIu64 " allocation units of the planned "
				       "map are in use", relpath, inuse);
		if (rc)
			return rc;
		*fmap = *planned;
		famfs_allocset_mark(&fs->alloc, planned, NULL);
		return 0;
	}
	/* Before the allocator, whose unit counts would overflow near 2^64. */
	if (size > famfs_allocset_size(&fs->alloc))
		return famfs_err(-ENOSPC, "%s: device full: %" PRIu64 " bytes asked, the "
				 "devices hold %" PRIu64, relpath, size,
				 famfs_allocset_size(&fs->alloc));
	seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 16);
	rc = famfs_allocset_file(&fs->alloc, size, ip, seed, fmap);
	if (rc == -ENOSPC) {
		snprintf(why, sizeof(why), "%s", famfs_errmsg());
		if (famfs_allocset_pending_bytes(&fs->alloc))
			return famfs_err(rc, "%s: device full: %s; %" PRIu64 " more bytes "
					 "deleted but still held by a host (famfs host "
					 "list)%s", relpath, why,
					 famfs_allocset_pending_bytes(&fs->alloc),
					 fs->hosts && fs->hosts->clean_busy ?
					 "; dead records of this host were left: another "
					 "process holds the host table's lock on the "
					 "device" : "");
		return famfs_err(rc, "%s: device full: %s", relpath, why);
	}
	return rc;
}

/*
 * The second half: log the file with the map fs_creat_take marked (zeroed
 * by the caller unless @flags has FAMFS_CREAT_NOZERO).
 */
static int fs_creat_log(struct famfs_fs *fs, const char *relpath, uint64_t size,
			uint32_t mode, uint32_t uid, uint32_t gid,
			const struct famfs_omf_fmap *fmap, unsigned int flags,
			const struct famfs_node **out)
{
	struct famfs_omf_entry e;
	struct famfs_node *n;
	int rc;

	memset(&e, 0, sizeof(e));
	e.type = FAMFS_LOG_FILE;
	e.file.size = size;
	e.file.flags = FAMFS_FM_ALL_HOSTS_RW;
	e.file.uid = uid;
	e.file.gid = gid;
	e.file.mode = mode & 07777;
	snprintf(e.file.relpath, sizeof(e.file.relpath), "%s", relpath);
	e.file.fmap = *fmap;
	/* The horizon our bitmap was freed up to: every host replays it the same. */
	e.file.horizon = fs->rm ? (uint32_t)fs->horizon : 0;
	/*
	 * A deleted file's memory reads zeros even in a file logged without
	 * zeroing (FAMFS_CREAT_NOZERO), whatever its writer does after.
	 */
	rc = fs_rm_after_alloc(fs, &e.file.fmap, !(flags & FAMFS_CREAT_NOZERO));
	if (rc)
		return rc;
	/*
	 * If the append fails the units stay marked in this process only; the
	 * log is unchanged, so every other reader (and our next open) has them free.
	 */
	rc = famfs_fs_append_apply(fs, &e);
	if (rc)
		return rc;
	n = famfs_ns_resolve(fs->ns, relpath);
	if (!n)
		return famfs_err(-EIO, "%s: logged but not found after replay", relpath);
	if (out)
		*out = n;
	return 0;
}

static int fs_creat_locked(struct famfs_fs *fs, const char *relpath, uint64_t size,
			   uint32_t mode, uint32_t uid, uint32_t gid,
			   const struct famfs_interleave_param *ip,
			   const struct famfs_omf_fmap *planned, unsigned int flags,
			   const struct famfs_node **out)
{
	struct famfs_omf_fmap fmap;
	int rc;

	if (!(flags & FAMFS_CREAT_NOZERO) && !fs->dev->writable)
		return famfs_err(-EROFS, "%s: device is mapped read-only", fs->dev->path);
	rc = fs_creat_take(fs, relpath, size, ip, planned, &fmap);
	if (rc)
		return rc;
	/*
	 * Zero the memory before the file exists for anyone: it may hold a
	 * former file's bytes (mkfs -f leaves data in place).
	 */
	if (!(flags & FAMFS_CREAT_NOZERO)) {
		rc = famfs_zero_tail_devs(fs->devs, fs->devtab.ndevs, &fmap, 0);
		if (rc)
			return rc;
	}
	return fs_creat_log(fs, relpath, size, mode, uid, gid, &fmap, flags, out);
}

int famfs_fs_creat_take(struct famfs_fs *fs, const char *relpath, uint64_t size,
			const struct famfs_interleave_param *ip, struct famfs_omf_fmap *fmap)
{
	if (!fs->depth)
		return famfs_err(-EINVAL, "%s: famfs_fs_creat_take outside famfs_fs_begin",
				 relpath);
	return fs_creat_take(fs, relpath, size, ip, NULL, fmap);
}

int famfs_fs_creat_log(struct famfs_fs *fs, const char *relpath, uint64_t size,
		       uint32_t mode, uint32_t uid, uint32_t gid,
		       const struct famfs_omf_fmap *fmap, unsigned int flags,
		       const struct famfs_node **out)
{
	if (!fs->depth)
		return famfs_err(-EINVAL, "%s: famfs_fs_creat_log outside famfs_fs_begin",
				 relpath);
	return fs_creat_log(fs, relpath, size, mode, uid, gid, fmap, flags, out);
}

int famfs_fs_creat_flags(struct famfs_fs *fs, const char *relpath, uint64_t size,
			 uint32_t mode, uint32_t uid, uint32_t gid,
			 const struct famfs_interleave_param *ip, unsigned int flags,
			 const struct famfs_node **out)
{
	int rc;

	if (size == 0)
		return famfs_err(-EINVAL, "%s: empty file not allowed", relpath);
	rc = famfs_fs_begin(fs);
	if (rc)
		return rc;
	rc = fs_creat_locked(fs, relpath, size, mode, uid, gid, ip, NULL, flags, out);
	famfs_fs_end(fs);
	return rc;
}

int famfs_fs_creat_map(struct famfs_fs *fs, const char *relpath, uint64_t size,
		       uint32_t mode, uint32_t uid, uint32_t gid,
		       const struct famfs_omf_fmap *fmap, const struct famfs_node **out)
{
	int rc;

	if (size == 0)
		return famfs_err(-EINVAL, "%s: empty file not allowed", relpath);
	if (!fmap)
		return famfs_err(-EINVAL, "%s: no planned map", relpath);
	rc = famfs_fs_begin(fs);
	if (rc)
		return rc;
	rc = fs_creat_locked(fs, relpath, size, mode, uid, gid, NULL, fmap, 0, out);
	famfs_fs_end(fs);
	return rc;
}

int famfs_fs_creat(struct famfs_fs *fs, const char *relpath, uint64_t size,
		   uint32_t mode, uint32_t uid, uint32_t gid,
		   const struct famfs_interleave_param *ip,
		   const struct famfs_node **out)
{
	return famfs_fs_creat_flags(fs, relpath, size, mode, uid, gid, ip, 0, out);
}

uint8_t *famfs_fs_addr(struct famfs_fs *fs, const struct famfs_node *n, uint64_t off,
		       uint64_t *len)
{
	return famfs_fs_addr_dev(fs, n, off, len, NULL);
}

uint8_t *famfs_fs_addr_dev(struct famfs_fs *fs, const struct famfs_node *n, uint64_t off,
			   uint64_t *len, uint32_t *devindex)
{
	struct famfs_omf_file f;
	struct famfs_iomap io;
	struct famfs_fmap *map;
	struct famfs_dev *dev;
	uint8_t *p = NULL;

	if (!n || !S_ISREG(n->mode) || off >= n->size)
		return NULL;
	map = malloc(sizeof(*map));
	if (!map)
		return NULL;
	memset(&f, 0, sizeof(f));
	f.size = n->size;
	f.fmap = *n->fmap;
	if (famfs_fmap_from_omf(&f, map) == 0 &&
	    famfs_fmap_resolve(map, off, n->size - off, &io) == 0 &&
	    io.devindex < fs->devtab.ndevs && (dev = famfs_fs_dev(fs, (uint32_t)io.devindex)) &&
	    io.addr < dev->size && io.length <= dev->size - io.addr) {
		p = dev->base + io.addr;
		if (len)
			*len = io.length;
		if (devindex)
			*devindex = (uint32_t)io.devindex;
	}
	free(map);
	return p;
}
