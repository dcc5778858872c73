// SPDX-License-Identifier: Apache-2.0
/*
 * fs_dev.c - the devices of a famfs instance (famfs/fs.h): the table and
 * bitmap slot an ADD_DAXDEV entry makes, finding each device on this host
 * by its uuid (famfs/devfind.h), and adding a device (a secondary
 * superblock on it, then the ADD_DAXDEV entry). docs/multidev.md.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <uuid/uuid.h>

#include "famfs/devfind.h"
#include "famfs/devmem.h"
#include "famfs/err.h"
#include "famfs/fs.h"
#include "famfs/trust.h"
#include "fs_int.h"

struct famfs_dev *famfs_fs_dev(const struct famfs_fs *fs, uint32_t i)
{
	if (i >= FAMFS_MAX_DAXDEVS)
		return NULL;
	return __atomic_load_n(&fs->devs[i], __ATOMIC_ACQUIRE);
}

int famfs_fs_node_devs(const struct famfs_fs *fs, const struct famfs_node *n)
{
	uint64_t m;
	uint32_t i;
	char u[37];

	if (!S_ISREG(n->mode))
		return 0;
	m = famfs_omf_fmap_devmask(n->fmap);
	for (i = 0; m; i++, m >>= 1) {
		if (!(m & 1) || famfs_fs_dev(fs, i))
			continue;
		if (i >= fs->devtab.ndevs)
			return famfs_err(-ENODEV, "device %u is not in the file system", i);
		uuid_unparse(fs->devtab.dev[i].uuid, u);
		return famfs_err(-ENODEV, "device %u (uuid %s) is not found on this host: %s",
				 i, u, fs->dev_why[i]);
	}
	return 0;
}

int famfs_fs_dev_apply(struct famfs_fs *fs, uint64_t index, const struct famfs_omf_entry *e)
{
	uint32_t i = fs->devtab.ndevs;
	struct famfs_devtab save = fs->devtab;
	int rc;

	rc = famfs_devtab_add(&fs->devtab, e, index);
	if (rc)
		return rc;
	rc = famfs_allocset_add(&fs->alloc, e->daxdev.size, fs->devtab.alloc_unit,
				FAMFS_SECONDARY_DATA_START);
	if (rc) {
		fs->devtab = save;
		return rc;
	}
	/* Until it is found, it gets no new file. */
	famfs_allocset_usable(&fs->alloc, i, false);
	snprintf(fs->dev_why[i], sizeof(fs->dev_why[i]), "not looked for yet");
	fs->unresolved++;
	return 0;
}

void famfs_fs_devs_close(struct famfs_fs *fs)
{
	for (uint32_t i = 1; i < FAMFS_MAX_DAXDEVS; i++) {
		famfs_dev_close(fs->devs[i]);
		fs->devs[i] = NULL;
	}
}

/* Decode @dev's superblock, read under the SIGBUS guard: -EIO if it faults. */
static int dev_sb(const struct famfs_dev *dev, struct famfs_omf_sb *sb)
{
	uint8_t buf[FAMFS_SB_SIZE];
	char why[160];
	int rc;

	rc = famfs_sigbus_fetch(buf, dev->base, sizeof(buf));
	if (rc) {
		snprintf(why, sizeof(why), "%s", famfs_errmsg());
		return famfs_err(rc, "%s: cannot read the superblock: %s", dev->path, why);
	}
	return famfs_omf_sb_decode(buf, sizeof(buf), sb);
}

/* Is @dev the device of slot @i of @tab: a secondary superblock of ours, with its uuid? */
static int check_member(const struct famfs_devtab *tab, uint32_t i, const struct famfs_dev *dev)
{
	struct famfs_omf_sb sb;
	struct stat st;
	char u[37];
	int rc;

	if (fstat(dev->fd, &st))
		return famfs_err(-errno, "%s: %s", dev->path, strerror(errno));
	rc = famfs_trust_file_owner(&st, dev->path);
	if (rc)
		return rc;
	rc = dev_sb(dev, &sb);
	if (rc)
		return rc;
	uuid_unparse(tab->dev[i].uuid, u);
	if (!famfs_omf_sb_is_secondary(&sb) || memcmp(sb.uuid, tab->fs_uuid, 16) ||
	    memcmp(sb.dev_uuid, tab->dev[i].uuid, 16))
		return famfs_err(-ENODEV, "%s is not device %s of this file system", dev->path, u);
	if (sb.alloc_unit != tab->alloc_unit)
		return famfs_err(-EINVAL, "%s: alloc unit %#" PRIx64 ", the file system's is %#"
				 PRIx64, dev->path, sb.alloc_unit, tab->alloc_unit);
	if (dev->size < tab->span[i].size)
		return famfs_err(-EINVAL, "%s: %" PRIu64 " bytes, the log says device %u has %"
				 PRIu64, dev->path, dev->size, i, tab->span[i].size);
	return 0;
}

/*
 * A search for the devices not found (famfs_fs_search_begin): what it looks
 * for, copied from the instance, and what it found, not yet published.
 */
struct famfs_devsearch {
	struct famfs_devtab tab;
	uint32_t missing;		/* bitmap of the slots looked for */
	bool writable;
	bool have_primary;
	struct stat primary;		/* our primary device */
	char primary_path[4096];
	char skip[4096];		/* a directory not looked into: famfsd's mount */
	char other[4096];		/* another file holding our primary superblock */
	char path[FAMFS_MAX_DAXDEVS][4096];
	unsigned int hits[FAMFS_MAX_DAXDEVS];
	char other_dev[FAMFS_MAX_DAXDEVS][256];
	struct famfs_dev *dev[FAMFS_MAX_DAXDEVS];
	char why[FAMFS_MAX_DAXDEVS][FAMFS_FS_WHY_LEN];
};

/* Open @path as device @i of the search if it is that device. */
static int try_dev(struct famfs_devsearch *s, uint32_t i, const char *path)
{
	struct famfs_dev *dev;
	int rc;

	if (s->skip[0] && famfs_devfind_under(path, s->skip))
		return famfs_err(-EPERM, "%s is inside the famfs mount on %s: not a device", path,
				 s->skip);
	rc = famfs_devfind_not_fuse(path);
	if (!rc)
		rc = famfs_dev_open(path, s->writable, &dev);
	if (rc)
		return rc;
	rc = check_member(&s->tab, i, dev);
	if (rc) {
		famfs_dev_close(dev);
		return rc;
	}
	s->dev[i] = dev;
	return 0;
}

static int want_hit(void *ctx, const struct famfs_devfind_hit *hit)
{
	struct famfs_devsearch *w = ctx;
	struct stat st;
	int i;

	if (memcmp(hit->sb->uuid, w->tab.fs_uuid, 16))
		return 0;
	if (!famfs_omf_sb_is_secondary(hit->sb)) {
		/* our primary superblock in another file: a copy of the primary */
		if (w->have_primary && !stat(hit->path, &st) &&
		    !famfs_trust_same_file(&st, &w->primary))
			snprintf(w->other, sizeof(w->other), "%s", hit->path);
		return 0;
	}
	i = famfs_devtab_find(&w->tab, hit->sb->dev_uuid);
	if (i <= 0 || !(w->missing & (1U << i)))
		return 0;
	if (w->hits[i]++)
		snprintf(w->other_dev[i], sizeof(w->other_dev[i]), "%s", hit->path);
	else
		snprintf(w->path[i], sizeof(w->path[i]), "%s", hit->path);
	return 0;
}

/*
 * Is our primary the only one of the file system? Another file holding its
 * superblock (a backup, a cloned disk: a copy keeps its uuids) would find
 * and write the very secondaries we use, each instance allocating over the
 * other's files. NULL, or why no secondary may be attached (in @buf).
 */
static const char *primary_copy(const struct famfs_devsearch *w, char *buf, size_t len)
{
	char u[37], mnt[512], src[512];

	uuid_unparse(w->tab.fs_uuid, u);
	if (w->other[0]) {
		snprintf(buf, len, "two primaries: %.100s and %.100s (a copied image keeps its "
			 "uuids; famfs %s)", w->primary_path, w->other, u);
		return buf;
	}
	if (w->have_primary &&
	    famfs_devfind_served_elsewhere(w->tab.fs_uuid, &w->primary, mnt, sizeof(mnt),
					   src, sizeof(src))) {
		snprintf(buf, len, "mounted at %.100s from %.100s, another primary (a copied "
			 "image keeps its uuids; famfs %s)", mnt, src, u);
		return buf;
	}
	return NULL;
}

int famfs_fs_search_begin(struct famfs_fs *fs, struct famfs_devsearch **out)
{
	struct famfs_devsearch *s;
	uint32_t i, missing = 0;

	*out = NULL;
	fs->unresolved = 0;
	for (i = 1; i < fs->devtab.ndevs; i++)
		if (!famfs_fs_dev(fs, i))
			missing |= 1U << i;
	if (!missing)
		return 0;
	s = calloc(1, sizeof(*s));
	if (!s)
		return famfs_err(-ENOMEM, "out of memory");
	s->tab = fs->devtab;
	s->missing = missing;
	s->writable = fs->open_flags & FAMFS_FS_WRITE;
	s->have_primary = fs->dev && !fstat(fs->dev->fd, &s->primary);
	if (fs->dev)
		snprintf(s->primary_path, sizeof(s->primary_path), "%s", fs->dev->path);
	*out = s;
	return 0;
}

void famfs_devsearch_skip(struct famfs_devsearch *s, const char *dir)
{
	snprintf(s->skip, sizeof(s->skip), "%s", dir);
}

void famfs_devsearch_run(struct famfs_devsearch *w, const char *hint)
{
	char where[1024], copy[FAMFS_FS_WHY_LEN];
	const char *refuse;
	unsigned int scanned = 0;
	uint32_t i;
	int rc;

	rc = famfs_devfind_scan_skip(want_hit, w, &scanned, w->skip);
	famfs_devfind_where(where, sizeof(where));
	refuse = rc ? NULL : primary_copy(w, copy, sizeof(copy));
	for (i = 1; i < w->tab.ndevs; i++) {
		if (!(w->missing & (1U << i)))
			continue;
		if (refuse) {
			memcpy(w->why[i], refuse, sizeof(copy));
			continue;
		}
		if (hint && try_dev(w, i, hint) == 0)
			continue;
		famfs_errclear();
		if (rc) {
			snprintf(w->why[i], sizeof(w->why[i]), "scan failed: %s", famfs_errmsg());
		} else if (w->hits[i] > 1) {
			snprintf(copy, sizeof(copy), "two devices claim it, %.120s and %.120s (a "
				 "copied image keeps its uuids)", w->path[i], w->other_dev[i]);
			memcpy(w->why[i], copy, sizeof(copy));
		} else if (!w->hits[i]) {
			snprintf(w->why[i], sizeof(w->why[i]), "no superblock with its uuid among "
				 "the %u devices looked at in %.120s (list more in $%s or %s)",
				 scanned, where, FAMFS_DAXDEV_PATH_ENV, FAMFS_DAXDEV_CONF);
		} else if (try_dev(w, i, w->path[i])) {
			snprintf(w->why[i], sizeof(w->why[i]), "%.300s", famfs_errmsg());
		}
	}
	famfs_errclear();
}

int famfs_fs_search_end(struct famfs_fs *fs, struct famfs_devsearch *s)
{
	int found = 0;

	if (!s)
		return 0;
	for (uint32_t i = 1; i < s->tab.ndevs; i++) {
		if (!(s->missing & (1U << i)))
			continue;
		/* found meanwhile by another search, or the table is not the one we saw */
		if (famfs_fs_dev(fs, i) || i >= fs->devtab.ndevs ||
		    memcmp(fs->devtab.dev[i].uuid, s->tab.dev[i].uuid, 16)) {
			famfs_dev_close(s->dev[i]);
			continue;
		}
		if (!s->dev[i]) {
			memcpy(fs->dev_why[i], s->why[i], sizeof(fs->dev_why[i]));
			continue;
		}
		__atomic_store_n(&fs->devs[i], s->dev[i], __ATOMIC_RELEASE);
		famfs_allocset_usable(&fs->alloc, i, true);
		fs->dev_why[i][0] = '\0';
		found++;
	}
	free(s);
	return found;
}

int famfs_fs_find_devs(struct famfs_fs *fs, const char *hint)
{
	struct famfs_devsearch *s;
	int rc;

	rc = famfs_fs_search_begin(fs, &s);
	if (rc || !s)
		return rc;
	famfs_devsearch_run(s, hint);
	return famfs_fs_search_end(fs, s);
}

/* ---- adding a device ---- */

int famfs_mkfs_secondary(struct famfs_dev *dev, const struct famfs_omf_sb *primary,
			 const uint8_t dev_uuid[16])
{
	uint8_t buf[FAMFS_SB_SIZE];
	struct famfs_omf_sb sb;

	if (!dev->writable)
		return famfs_err(-EROFS, "%s: device is mapped read-only", dev->path);
	memset(&sb, 0, sizeof(sb));
	sb.magic = FAMFS_SUPER_MAGIC;
	sb.version = FAMFS_CURRENT_VERSION;
	sb.alloc_unit = primary->alloc_unit;
	sb.omf_major = FAMFS_OMF_VER_MAJOR;
	sb.omf_minor = FAMFS_OMF_VER_MINOR;
	memcpy(sb.uuid, primary->uuid, 16);
	memcpy(sb.dev_uuid, dev_uuid, 16);
	memcpy(sb.system_uuid, primary->system_uuid, 16);
	sb.flags = FAMFS_SB_FLAG_SECONDARY;
	sb.dev_size = dev->size;
	memcpy(sb.daxdev, dev->path, strnlen(dev->path, FAMFS_DAXDEV_PATH_LEN));
	famfs_omf_sb_encode(&sb, buf);
	/* No valid superblock until the last store: the magic. */
	famfs_sb_kill_magic(dev, "devadd");
	famfs_sb_publish(dev, buf, "devadd");
	return 0;
}

static bool same_file(const struct famfs_dev *a, const struct famfs_dev *b)
{
	struct stat sa, sb;

	return !fstat(a->fd, &sa) && !fstat(b->fd, &sb) && famfs_trust_same_file(&sa, &sb);
}

/*
 * May @dev become a device of @fs? 0, or the refusal. *@reuse gets the
 * uuid of an interrupted add's superblock, which may be reused.
 */
static int devadd_check(struct famfs_fs *fs, struct famfs_dev *dev, bool force,
			uint8_t reuse[16], bool *have_reuse)
{
	struct famfs_omf_sb sb;
	struct famfs_dev *m;
	struct stat st;
	char u[37];
	int at, rc;

	*have_reuse = false;
	/* A device no scan would accept could never be found again. */
	if (fstat(dev->fd, &st))
		return famfs_err(-errno, "%s: %s", dev->path, strerror(errno));
	if (famfs_trust_file_owner(&st, dev->path))
		return -EPERM;
	for (uint32_t i = 0; i < fs->devtab.ndevs; i++) {
		m = famfs_fs_dev(fs, i);
		if (m && same_file(m, dev))
			return famfs_err(-EEXIST, "%s is device %u of this file system already",
					 dev->path, i);
	}
	rc = dev_sb(dev, &sb);
	if (rc == -EIO)
		return rc;
	if (rc) {
		famfs_errclear();
		return 0;
	}
	uuid_unparse(sb.uuid, u);
	if (!memcmp(sb.uuid, fs->devtab.fs_uuid, 16)) {
		if (!famfs_omf_sb_is_secondary(&sb))
			return famfs_err(-EEXIST, "%s holds the primary superblock of this file "
					 "system (a copy of its primary device?)", dev->path);
		at = famfs_devtab_find(&fs->devtab, sb.dev_uuid);
		if (at >= 0)
			return famfs_err(-EEXIST, "%s is device %d of this file system already",
					 dev->path, at);
		/* written by an add that stopped before its log entry */
		memcpy(reuse, sb.dev_uuid, 16);
		*have_reuse = true;
		return 0;
	}
	if (!force)
		return famfs_err(-EEXIST, "%s holds a famfs superblock (file system %s); use -f "
				 "to overwrite it", dev->path, u);
	return 0;
}

int famfs_fs_devadd(struct famfs_fs *fs, const char *path, bool force, uint32_t *index)
{
	struct famfs_omf_entry e;
	struct famfs_dev *dev = NULL;
	uint8_t uuid[16];
	bool reuse;
	uint32_t i;
	int rc;

	rc = famfs_fs_begin(fs);
	if (rc)
		return rc;
	rc = famfs_fs_check_replayable(fs);
	if (rc)
		goto out;
	i = fs->devtab.ndevs;
	if (i >= FAMFS_MAX_DAXDEVS) {
		rc = famfs_err(-ENOSPC, "the file system has %u devices, the most a mount can "
			       "use", i);
		goto out;
	}
	if (famfs_log_free_slots(fs->log) == 0) {
		rc = famfs_err(-ENOSPC, "log full (%" PRIu64 " entries)", fs->log->nslots);
		goto out;
	}
	rc = famfs_dev_open(path, true, &dev);
	if (!rc && dev->size > FAMFS_MAX_DEV_SIZE)
		rc = famfs_err(-EFBIG, "%s: %" PRIu64 " bytes, more than the %llu bytes of the "
			       "largest device famfs takes", path, dev->size, FAMFS_MAX_DEV_SIZE);
	if (!rc)
		rc = devadd_check(fs, dev, force, uuid, &reuse);
	if (rc)
		goto out;
	if (!reuse)
		uuid_generate(uuid);
	rc = famfs_mkfs_secondary(dev, &fs->log->sb, uuid);
	if (rc)
		goto out;
	memset(&e, 0, sizeof(e));
	e.type = FAMFS_LOG_ADD_DAXDEV;
	e.daxdev.size = dev->size;
	memcpy(e.daxdev.uuid, uuid, 16);
	e.daxdev.index = i;
	rc = famfs_fs_append_apply(fs, &e);
	if (rc)
		goto out;
	if (i < fs->devtab.ndevs && !famfs_fs_dev(fs, i) && !check_member(&fs->devtab, i, dev)) {
		/* The device we wrote is the one now in the log: use it. */
		if (!(fs->open_flags & FAMFS_FS_WRITE)) {
			famfs_dev_close(dev);
			dev = NULL;
			famfs_fs_find_devs(fs, path);
		} else {
			__atomic_store_n(&fs->devs[i], dev, __ATOMIC_RELEASE);
			famfs_allocset_usable(&fs->alloc, i, true);
			fs->dev_why[i][0] = '\0';
			dev = NULL;
		}
		if (fs->unresolved)
			fs->unresolved--;
	}
	if (index)
		*index = i;
out:
	famfs_dev_close(dev);
	famfs_fs_end(fs);
	return rc;
}
