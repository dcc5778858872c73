// SPDX-License-Identifier: Apache-2.0
/*
 * mntctx.c - what the direct-access client knows of each famfs mount it
 * has used: which mount it is, whether it is trusted (famfs/trust.h), its
 * device table (device index -> path, as GET_DAXDEV or the BPF device map
 * said; names only: a device is opened while a mapping is made) and its
 * BPF maps. The kernel keeps a daxdev table per FUSE connection; this is
 * the same in user space. Two mounts never share a slot, and a mount that
 * is gone never lends its slots to the next one.
 *
 * Which mount a descriptor is on: statx(2) of the descriptor, with
 * AT_STATX_DONT_SYNC (FUSE answers without an upcall).
 *  - From Linux 6.8 STATX_MNT_ID_UNIQUE gives an id that is never reused:
 *    a context found under it is that mount's, for good.
 *  - Before (Debian 12's 6.1) only the old mount id exists, and it is
 *    reused as soon as a mount is gone, as is the FUSE st_dev. The key is
 *    then (old mount id, st_dev), witnessed by the inode number of the
 *    connection's directory in fusectl (/sys/fs/fuse/connections/N), which
 *    the kernel creates afresh for every connection. A context whose
 *    witness changed is dropped. Without fusectl there is no witness, and
 *    the context serves one open only (slower, never stale).
 * FAMFS_MNT_ID_LEGACY=1 in the environment makes a 6.8+ kernel behave as
 * an older one (for tests).
 *
 * A new context is checked with famfs_trust_confirm() (the mount table,
 * then INFO on the descriptor and the superblock uuid); the verdict and
 * its reason are kept, so an untrusted mount costs one check, not one per
 * open. A file that is not on FUSE at all is told by one fstatfs (no
 * upcall off FUSE) before the mount table is read. A trusted context
 * also maps the mount's log (logpeek.c) and keeps what this process
 * learns of its files (mapcache.c). Contexts are reference counted: the table holds one for each
 * context it lists (at most MCTX_MAX, the least recently used evicted),
 * and each famfs_map holds one, so its device table outlives eviction.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "famfs/err.h"
#include "famfs/ioctl.h"
#include "famfs/mount.h"
#include "famfs/omf.h"
#include "famfs/resolver.h"
#include "famfs/trust.h"
#include "map_int.h"

#define MCTX_MAX	32
#ifndef STATX_MNT_ID
#define STATX_MNT_ID		0x00001000U
#endif
#ifndef STATX_MNT_ID_UNIQUE
#define STATX_MNT_ID_UNIQUE	0x00004000U
#endif
#define FUSECTL_DIR	"/sys/fs/fuse/connections"
#define FUSE_SUPER_MAGIC	0x65735546
#define FID_MASK	(STATX_TYPE | STATX_INO | STATX_SIZE)

static pthread_mutex_t tab_lock = PTHREAD_MUTEX_INITIALIZER;
static struct famfs_mctx *tab;		/* listed contexts, most recent first */
static unsigned int tab_len;
static pthread_once_t tab_once = PTHREAD_ONCE_INIT;

static void lock(void)
{
	pthread_mutex_lock(&tab_lock);
}

static void unlock(void)
{
	pthread_mutex_unlock(&tab_lock);
}

void famfs_mctx_lock(void)
{
	lock();
}

void famfs_mctx_unlock(void)
{
	unlock();
}

static void tab_init(void)
{
	pthread_atfork(lock, unlock, unlock);
}

void famfs_mctx_init(void)
{
	pthread_once(&tab_once, tab_init);
}

static bool legacy_forced(void)
{
	const char *e = getenv("FAMFS_MNT_ID_LEGACY");

	return e && *e && strcmp(e, "0");
}

/* The fusectl directory's inode for the FUSE connection of st_dev @dev; 0: none. */
static uint64_t fusectl_witness(dev_t dev)
{
	char p[64];
	struct stat st;

	/* fusectl names a connection by the kernel's dev_t: major << 20 | minor */
	snprintf(p, sizeof(p), FUSECTL_DIR "/%u", major(dev) << 20 | minor(dev));
	if (stat(p, &st) || !S_ISDIR(st.st_mode))
		return 0;
	return (uint64_t)st.st_ino;
}

static void fid_fill(const struct statx *stx, struct famfs_fid *fid)
{
	if (fid) {
		fid->ino = stx->stx_ino;
		fid->size = stx->stx_size;
		fid->mode = stx->stx_mode;
	}
}

/*
 * The old mount id of @fd's file (mountinfo's first field), or -errno;
 * its st_dev in *@dev (if not NULL), who it is in *@fid (if not NULL).
 */
static long old_mount_id(int fd, dev_t *dev, struct famfs_fid *fid)
{
	struct statx stx;

	memset(&stx, 0, sizeof(stx));
	if (syscall(SYS_statx, fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC,
		    STATX_MNT_ID | FID_MASK, &stx))
		return famfs_err(-errno, "statx: %s", strerror(errno));
	if (!(stx.stx_mask & STATX_MNT_ID))
		return famfs_err(-ENOTTY, "the kernel does not report mount ids (statx)");
	if (dev)
		*dev = makedev(stx.stx_dev_major, stx.stx_dev_minor);
	fid_fill(&stx, fid);
	return (long)stx.stx_mnt_id;
}

/*
 * Who @fd's file is: the mount key of @k. One statx, plus the fusectl
 * witness before 6.8. *@old_id is the old mount id, or -1 when not fetched
 * (make() does, when it needs the mount table).
 */
static int identify(int fd, struct famfs_mctx *k, long *old_id, struct famfs_fid *fid)
{
	static int legacy = -1;
	struct statx stx;

	*old_id = -1;
	memset(&stx, 0, sizeof(stx));
	if (legacy < 0)
		legacy = legacy_forced();
	if (!legacy &&
	    syscall(SYS_statx, fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC,
		    STATX_MNT_ID_UNIQUE | FID_MASK, &stx) == 0 &&
	    (stx.stx_mask & STATX_MNT_ID_UNIQUE)) {
		k->unique = true;
		k->mnt_id = stx.stx_mnt_id;
		k->dev = makedev(stx.stx_dev_major, stx.stx_dev_minor);
		fid_fill(&stx, fid);
		return 0;
	}
	*old_id = old_mount_id(fd, &k->dev, fid);
	if (*old_id < 0)
		return (int)*old_id;
	k->mnt_id = (uint64_t)*old_id;
	k->witness = fusectl_witness(k->dev);
	return 0;
}

static void mctx_free(struct famfs_mctx *c)
{
	if (c->has_bpf)
		famfs_bpf_close(&c->bpf);
	famfs_logpeek_detach(c);
	famfs_fmc_free(c);
	free(c->source);
	free(c);
}

/* Drop a reference; caller holds tab_lock. */
static void put_locked(struct famfs_mctx *c)
{
	if (--c->ref == 0)
		mctx_free(c);
}

void famfs_mctx_hold(struct famfs_mctx *c)
{
	lock();
	c->ref++;
	unlock();
}

void famfs_mctx_put(void *ctx)
{
	struct famfs_mctx *c = ctx;

	if (!c)
		return;
	lock();
	put_locked(c);
	unlock();
}

void famfs_mctx_use(struct famfs_mctx *c)
{
	lock();
	if (c->users++ == 0 && c->trusted && c->source && !c->meta)
		famfs_logpeek_attach(c, c->source);
	unlock();
}

void famfs_mctx_unuse(struct famfs_mctx *c)
{
	lock();
	if (c->users && --c->users == 0)
		famfs_logpeek_detach(c);
	unlock();
}

void famfs_mctx_map_put(void *ctx)
{
	struct famfs_mctx *c = ctx;

	if (!c)
		return;
	famfs_mctx_unuse(c);
	famfs_mctx_put(c);
}

/* Take @c off the table (its table reference is dropped); caller holds tab_lock. */
static void unlist(struct famfs_mctx *c)
{
	struct famfs_mctx **pp;

	for (pp = &tab; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			c->next = NULL;
			c->listed = false;
			tab_len--;
			put_locked(c);
			return;
		}
	}
}

static bool same_key(const struct famfs_mctx *a, const struct famfs_mctx *b)
{
	return a->unique == b->unique && a->mnt_id == b->mnt_id && a->dev == b->dev;
}

/*
 * The listed context for key @k, with a reference, or NULL. One whose
 * witness no longer matches is the context of a mount that is gone: it
 * is dropped. Caller holds tab_lock.
 */
static struct famfs_mctx *find_locked(const struct famfs_mctx *k)
{
	struct famfs_mctx *c, **pp;

	for (pp = &tab; (c = *pp); pp = &c->next) {
		if (!same_key(c, k))
			continue;
		if (!c->unique && c->witness != k->witness) {
			unlist(c);
			return NULL;
		}
		/* most recently used first: eviction takes the tail */
		*pp = c->next;
		c->next = tab;
		tab = c;
		c->ref++;
		return c;
	}
	return NULL;
}

/* List @c (which has the caller's reference), evicting the oldest if full. */
static void list_locked(struct famfs_mctx *c)
{
	struct famfs_mctx *last;

	if (tab_len >= MCTX_MAX) {
		for (last = tab; last->next; last = last->next)
			;
		unlist(last);
	}
	c->ref++;
	c->listed = true;
	c->next = tab;
	tab = c;
	tab_len++;
}

/* Is @fd's file on FUSE? One fstatfs: an upcall on FUSE, none elsewhere. */
static bool fuse_fs(int fd)
{
	struct statfs sfs;

	return syscall(SYS_fstatfs, fd, &sfs) != 0 || sfs.f_type == FUSE_SUPER_MAGIC;
}

/* A new context for key @k, with the trust verdict for @fd's mount. */
static struct famfs_mctx *make(int fd, const struct famfs_mctx *k, long old_id)
{
	struct famfs_mount_info *info = NULL;
	struct famfs_mctx *c = calloc(1, sizeof(*c));
	struct famfs_mnt *m = NULL;
	int err;

	if (!c)
		return NULL;
	c->unique = k->unique;
	c->mnt_id = k->mnt_id;
	c->dev = k->dev;
	c->witness = k->witness;
	c->ref = 1;
	m = malloc(sizeof(*m));
	info = malloc(sizeof(*info));
	if (!m || !info) {
		free(m);
		free(info);
		free(c);
		return NULL;
	}
	famfs_errclear();
	if (!fuse_fs(fd)) {
		c->not_fuse = true;
		c->err = -ENOTTY;
		snprintf(c->why, sizeof(c->why), "not a famfs file (not on a FUSE mount)");
		goto out;
	}
	if (old_id < 0)
		old_id = old_mount_id(fd, NULL, NULL);
	err = old_id < 0 ? (int)old_id : famfs_mnt_by_id((int)old_id, m);
	if (err) {
		c->err = -ENOTTY;
		snprintf(c->why, sizeof(c->why), "mount %ld is not in the mount table", old_id);
	} else if (strcmp(m->fstype, FAMFS_FSTYPE)) {
		c->err = -ENOTTY;
		snprintf(c->why, sizeof(c->why), "not a famfs file (%.200s is a %.60s mount)",
			 m->target, m->fstype);
	} else {
		err = famfs_trust_confirm(m, fd, info, &c->src);
		if (err) {
			c->err = err;	/* -EPERM, or -EACCES: no access to the device */
			snprintf(c->why, sizeof(c->why), "%s", *famfs_errmsg() ?
				 famfs_errmsg() : strerror(-err));
		} else {
			c->trusted = true;
			memcpy(c->mount_id, info->mount_id, sizeof(c->mount_id));
			memcpy(c->fs_uuid, info->fs_uuid, sizeof(c->fs_uuid));
			/* Mapped while maps of the mount are live: famfs_mctx_use. */
			c->source = strdup(m->source);
		}
	}
out:
	free(m);
	free(info);
	return c;
}

int famfs_mctx_get(int fd, struct famfs_mctx **out, struct famfs_fid *fid)
{
	struct famfs_mctx k, *c, *made;
	long old_id;
	int err;

	memset(&k, 0, sizeof(k));
	err = identify(fd, &k, &old_id, fid);
	if (err)
		return err;
	/*
	 * A FUSE superblock always has an anonymous st_dev (major 0): a file
	 * with a real device number is not famfs, with no further syscall.
	 */
	if (major(k.dev) != 0)
		return famfs_err(-ENOTTY, "not a famfs file (not on a FUSE mount)");
	lock();
	c = find_locked(&k);
	unlock();
	if (c)
		goto found;
	made = make(fd, &k, old_id);
	if (!made)
		return -ENOMEM;
	/*
	 * Without a witness an old mount id may be reused by another mount:
	 * the verdict holds for this open only. "Not FUSE" may be kept: a
	 * FUSE mount that later gets the same id and st_dev has a witness
	 * (fusectl), so its key differs.
	 */
	if (!k.unique && !k.witness && !made->not_fuse) {
		c = made;	/* no witness: this open only */
		goto found;
	}
	lock();
	c = find_locked(&k);	/* another thread may have been faster */
	if (c) {
		put_locked(made);
	} else {
		list_locked(made);
		c = made;
	}
	unlock();
found:
	*out = c;
	return 0;
}

/* Fill slot @idx of @c with @name unless it is known; caller holds tab_lock. */
static void slot_set(struct famfs_mctx *c, unsigned int idx, const char *name)
{
	if (!c->dax[idx].valid) {
		memcpy(c->dax[idx].name, name, sizeof(c->dax[idx].name));
		c->dax[idx].valid = true;
	}
}

void famfs_mctx_set_dev(struct famfs_mctx *c, unsigned int idx, const char *name)
{
	lock();
	slot_set(c, idx, name);
	unlock();
}

/*
 * Make sure slot @idx of @c knows its device name, asking famfsd
 * (GET_DAXDEV on @fd) only when the slot is empty. Concurrent callers may
 * both ask; the first answer wins.
 */
int famfs_mctx_learn(struct famfs_mctx *c, int fd, unsigned int idx)
{
	uint8_t buf[FAMFS_DAXDEV_OUT_SIZE];
	char name[FAMFS_DAXDEV_NAME_MAX];
	uint16_t got;
	bool known;
	long r;
	int err;

	if (idx >= FAMFS_MAX_DAXDEVS)
		return famfs_err(-EINVAL, "fmap: device index %u out of range", idx);
	lock();
	known = c->dax[idx].valid;
	unlock();
	if (known)
		return 0;

	memset(buf, 0, sizeof(buf));
	buf[0] = idx & 0xff;
	buf[1] = (idx >> 8) & 0xff;
	r = famfs_raw_ioctl(fd, FAMFS_IOC_GET_DAXDEV, buf);
	if (r < 0)
		return famfs_err((int)r, "GET_DAXDEV %u: %s", idx, strerror((int)-r));
	err = famfs_daxdev_out_decode(buf, sizeof(buf), &got, name);
	if (err)
		return famfs_err(err, "GET_DAXDEV %u: bad reply", idx);
	famfs_mctx_set_dev(c, idx, name);
	return 0;
}

/*
 * famfs_map_devfd_fn over @ctx's device table: a new descriptor each time,
 * which the mapping code closes once its mappings are made. A device is
 * used only if it is a dax or pmem device, the mount's own source, or a
 * file holding a secondary superblock of the mount's file system
 * (famfs_trust_open_member): famfsd's answer never makes this process use
 * anything else.
 */
int famfs_mctx_devfd(void *ctx, uint64_t idx, bool writable, int *fdp)
{
	struct famfs_mctx *c = ctx;
	char name[FAMFS_DAXDEV_NAME_MAX];
	bool valid;
	int fd;

	if (idx >= FAMFS_MAX_DAXDEVS)
		return famfs_err(-EINVAL, "fmap: device index %llu out of range",
				 (unsigned long long)idx);
	lock();
	valid = c->dax[idx].valid;
	memcpy(name, c->dax[idx].name, sizeof(name));
	unlock();
	if (!valid)
		return famfs_err(-ENODEV, "device %llu unknown", (unsigned long long)idx);
	fd = famfs_trust_open_member(name, writable ? O_RDWR : O_RDONLY, &c->src, c->fs_uuid);
	if (fd < 0)
		return fd;
	*fdp = fd;
	return 0;
}
