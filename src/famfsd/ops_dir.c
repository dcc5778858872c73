// SPDX-License-Identifier: Apache-2.0
/*
 * ops_dir.c - the namespace side of famfsd: lookup, getattr, readdir(plus),
 * mkdir, statfs and xattrs, and the refusals of everything that would
 * change a file's size or name (files are immutable once logged). unlink
 * and rmdir are in rm.c (file systems with the rm feature).
 *
 * Inode numbers are the namespace's (a pure function of the log), so a
 * remount gives the same numbers; forget is a no-op because nodes are
 * never freed. Positive entries and attributes are cached for the -t
 * timeout; negative lookups are never cached (plain ENOENT), so a file
 * created on any host is found at once.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>

#include "famfs/devmem.h"
#include "famfsd.h"

struct famfs_node *famfsd_node(struct famfsd *fsd, fuse_ino_t ino)
{
	return famfs_ns_by_ino(fsd->fs->ns, ino);
}

int famfsd_child_path(struct famfsd *fsd, fuse_ino_t parent, const char *name,
		      char path[FAMFS_OMF_PATH_MAX + 1], struct famfs_node **dirp)
{
	struct famfs_node *dir = famfsd_node(fsd, parent);
	size_t plen;
	int rc;

	if (!dir || famfs_node_deleted(dir))
		return ENOENT;
	if (famfs_ns_path(dir, path, FAMFS_OMF_PATH_MAX + 1) < 0)
		return ENAMETOOLONG;
	plen = strlen(path);
	if (snprintf(path + plen, FAMFS_OMF_PATH_MAX + 1 - plen, "%s%s", plen ? "/" : "", name) >=
	    (int)(FAMFS_OMF_PATH_MAX + 1 - plen) || strlen(path) >= FAMFS_OMF_PATH_MAX)
		return ENAMETOOLONG;
	/* Never append to a log that is not the one we mounted. */
	rc = famfsd_ident_check(fsd);
	if (rc < 0)
		return -rc;
	*dirp = dir;
	return 0;
}

static uint64_t node_alloc_bytes(const struct famfs_node *n)
{
	const struct famfs_omf_fmap *f = n->fmap;
	uint64_t sum = 0, i;

	if (!S_ISREG(n->mode))
		return 0;
	if (f->ext_type == FAMFS_EXT_INTERLEAVE) {
		for (i = 0; i < f->nstrips && i < FAMFS_OMF_MAX_STRIPS; i++)
			sum += f->strips[i].len;
	} else {
		for (i = 0; i < f->nextents && i < FAMFS_OMF_MAX_SIMPLE_EXTENTS; i++)
			sum += f->se[i].len;
	}
	return sum;
}

/*
 * The time of @n: the one its log entries give (the same on every host and
 * after a remount, see famfs/ns.h), or that of its last write through this
 * mount when that is later. famfsd keeps no access time: atime is mtime.
 */
struct timespec famfsd_node_time(const struct famfs_node *n)
{
	uint64_t t = __atomic_load_n(&n->wtime_ns, __ATOMIC_RELAXED);

	if (t < n->time_ns)
		t = n->time_ns;
	return (struct timespec){ .tv_sec = (time_t)(t / 1000000000ULL),
				  .tv_nsec = (long)(t % 1000000000ULL) };
}

/* Attributes of @n; the caller holds ns_lock (directories walk children). */
void famfsd_fill_attr(const struct famfs_node *n, struct stat *st)
{
	const struct famfs_node *c;
	nlink_t nlink = 2;

	memset(st, 0, sizeof(*st));
	st->st_ino = n->ino;
	st->st_mode = n->mode;
	if (S_ISDIR(n->mode)) {
		for (c = n->first_child; c; c = c->next_sibling)
			if (S_ISDIR(c->mode) && !famfs_node_deleted(c))
				nlink++;
	} else {
		nlink = 1;
	}
	/* Deleted but still open: as an unlinked file on any Linux file system. */
	if (famfs_node_deleted(n))
		nlink = 0;
	st->st_nlink = nlink;
	st->st_uid = n->uid;
	st->st_gid = n->gid;
	st->st_size = (off_t)n->size;
	st->st_blksize = FAMFSD_BLKSIZE;
	st->st_blocks = (blkcnt_t)(node_alloc_bytes(n) / 512);
	st->st_mtim = famfsd_node_time(n);
	st->st_ctim = st->st_mtim;
	st->st_atim = st->st_mtim;
}

void famfsd_node_entry(struct famfsd *fsd, const struct famfs_node *n,
		       struct fuse_entry_param *e)
{
	memset(e, 0, sizeof(*e));
	e->ino = n->ino;
	e->generation = 1;
	e->attr_timeout = fsd->timeout;
	e->entry_timeout = fsd->timeout;
	famfsd_fill_attr(n, &e->attr);
}

static struct famfs_node *child_of(struct famfsd *fsd, struct famfs_node *dir,
				   const char *name)
{
	if (!strcmp(name, "."))
		return dir;
	if (!strcmp(name, ".."))
		return dir->parent;
	return famfs_ns_lookup(fsd->fs->ns, dir, name);
}

void famfsd_op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct famfsd *fsd = famfsd_req(req);
	struct fuse_entry_param e;
	struct famfs_node *dir, *n = NULL;
	int err = 0;

	famfsd_count(fsd, FAMFS_OP_LOOKUP);
	famfsd_catchup_maybe(fsd);
	if (famfsd_gone(fsd)) {
		famfsd_reply_err(req, EIO);
		return;
	}
	if (famfsd_meta_lookup(req, parent, name))
		return;
	pthread_rwlock_rdlock(&fsd->ns_lock);
	dir = famfsd_node(fsd, parent);
	if (!dir)
		err = ENOENT;
	else if (!S_ISDIR(dir->mode))
		err = ENOTDIR;
	else if (strlen(name) > FAMFSD_NAMEMAX)
		err = ENAMETOOLONG;
	else if (!(n = child_of(fsd, dir, name)))
		err = ENOENT;
	if (!err)
		famfsd_node_entry(fsd, n, &e);
	pthread_rwlock_unlock(&fsd->ns_lock);
	if (err)
		fuse_reply_err(req, err);	/* ENOENT is not cached */
	else
		fuse_reply_entry(req, &e);
}

static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	struct famfsd *fsd = famfsd_req(req);

	famfsd_count(fsd, FAMFS_OP_FORGET);
	fuse_reply_none(req);
}

static void op_forget_multi(fuse_req_t req, size_t count,
			    struct fuse_forget_data *forgets)
{
	struct famfsd *fsd = famfsd_req(req);

	famfsd_count(fsd, FAMFS_OP_FORGET);
	fuse_reply_none(req);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct famfsd *fsd = famfsd_req(req);
	struct famfs_node *n;
	struct stat st;

	famfsd_count(fsd, FAMFS_OP_GETATTR);
	if (famfsd_gone(fsd) && ino != FAMFS_ROOT_INO) {
		famfsd_reply_err(req, EIO);
		return;
	}
	if (famfsd_meta_kind(fsd, ino)) {
		famfsd_meta_attr(fsd, famfsd_meta_kind(fsd, ino), &st);
		fuse_reply_attr(req, &st, fsd->timeout);
		return;
	}
	pthread_rwlock_rdlock(&fsd->ns_lock);
	n = famfsd_node(fsd, ino);
	if (n)
		famfsd_fill_attr(n, &st);
	pthread_rwlock_unlock(&fsd->ns_lock);
	if (!n)
		fuse_reply_err(req, ENOENT);
	else
		fuse_reply_attr(req, &st, fsd->timeout);
}

/* A refusal's errno: @err, or EIO once the file system is gone. */
static int refusal(struct famfsd *fsd, int err)
{
	return famfsd_gone(fsd) ? EIO : err;
}

/* truncate, chmod, chown, utimes: sizes and attributes are fixed by the log. */
static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		       struct fuse_file_info *fi)
{
	struct famfsd *fsd = famfsd_req(req);

	famfsd_count(fsd, FAMFS_OP_SETATTR);
	famfsd_reply_err(req, refusal(fsd, fsd->readonly ? EROFS : EPERM));
}

/* Errno for making a file through the mount: files come from famfs creat/cp. */
static int create_errno(struct famfsd *fsd)
{
	if (fsd->readonly)
		return refusal(fsd, EROFS);
	return refusal(fsd, fsd->master ? EOPNOTSUPP : EPERM);
}

static void op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		      struct fuse_file_info *fi)
{
	struct famfsd *fsd = famfsd_req(req);

	famfsd_count(fsd, FAMFS_OP_CREATE);
	famfsd_reply_err(req, create_errno(fsd));
}

static void op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		     dev_t rdev)
{
	struct famfsd *fsd = famfsd_req(req);

	famfsd_count(fsd, FAMFS_OP_MKNOD);
	famfsd_reply_err(req, create_errno(fsd));
}

static void op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent,
		       const char *name)
{
	struct famfsd *fsd = famfsd_req(req);

	famfsd_count(fsd, FAMFS_OP_SYMLINK);
	famfsd_reply_err(req, create_errno(fsd));
}

static void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
		    const char *newname)
{
	struct famfsd *fsd = famfsd_req(req);

	famfsd_count(fsd, FAMFS_OP_LINK);
	famfsd_reply_err(req, create_errno(fsd));
}

static void op_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
		      fuse_ino_t newparent, const char *newname, unsigned int flags)
{
	struct famfsd *fsd = famfsd_req(req);

	famfsd_count(fsd, FAMFS_OP_RENAME);
	famfsd_reply_err(req, refusal(fsd, fsd->readonly ? EROFS : EOPNOTSUPP));
}

struct mkdir_ctx {
	const char *path;
	uint32_t mode, uid, gid;
	uint64_t keep;			/* log slots the caller must leave free */
};

/*
 * The owner, group and mode of a directory @ctx makes in @dir, as Linux
 * gives them: the caller's fsuid and fsgid, or in a setgid directory that
 * directory's group and the setgid bit. The kernel has applied the umask
 * and kept only the permission and sticky bits of @mode.
 */
static void mkdir_owner(struct famfsd *fsd, const struct fuse_ctx *ctx,
			const struct famfs_node *dir, mode_t mode, struct mkdir_ctx *mc)
{
	mc->uid = ctx->uid;
	mc->gid = ctx->gid;
	mc->mode = (uint32_t)mode & 01777;
	if (dir->mode & S_ISGID) {
		mc->gid = dir->gid;
		mc->mode |= S_ISGID;
	}
	/* Every entry is a log slot for ever: leave root its reserve. */
	mc->keep = ctx->uid == 0 ? 0 : fsd->reserve;
}

/*
 * The locked half of mkdir, in a worker or the appender thread (appender.c):
 * mkdir_mtx, the log lock and ns_lock (exclusive) are held. Replies.
 */
static void mkdir_locked(struct famfsd *fsd, struct famfsd_append *a)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(a->req);
	char path[FAMFS_OMF_PATH_MAX + 1];
	struct mkdir_ctx mc;
	unsigned long faults;
	struct fuse_entry_param e;
	struct famfs_node *dir, *n;
	int err, rc;

	err = famfsd_child_path(fsd, a->parent, a->name, path, &dir);
	if (err)
		goto out;
	mc = (struct mkdir_ctx){ .path = path };
	mkdir_owner(fsd, ctx, dir, a->arg, &mc);
	/*
	 * Not inside a SIGBUS guard: it takes the log lock and allocates. Its
	 * device copies are guarded one by one, so a fault fails the append
	 * and famfs_fs_mkdir_keep still drops what it took.
	 */
	faults = famfs_sigbus_caught_here();
	rc = famfs_fs_mkdir_keep(fsd->fs, mc.path, mc.mode, mc.uid, mc.gid, mc.keep);
	rc = famfsd_dev_check(fsd, 0, faults, rc);
	if (rc < 0) {
		err = -rc;
		goto out;
	}
	famfsd_seen_advance(fsd, fsd->fs->next);
	n = famfs_ns_lookup(fsd->fs->ns, dir, a->name);
	if (!n) {
		err = EIO;
		goto out;
	}
	famfsd_node_entry(fsd, n, &e);
	fuse_reply_entry(a->req, &e);
	return;
out:
	famfsd_reply_err(a->req, err);
}

/*
 * mkdir is logged, so it works on the master only, and only for root
 * unless the mount has -o user_mkdir: a directory can never be removed, so
 * anyone who may mkdir may fill the log (and callers other than root stop
 * at the reserve). The append waits for the log lock in the appender
 * thread, never in this worker.
 */
static void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	struct famfsd *fsd = famfsd_req(req);
	const struct fuse_ctx *ctx = fuse_req_ctx(req);

	famfsd_count(fsd, FAMFS_OP_MKDIR);
	if (famfsd_gone(fsd)) {
		famfsd_reply_err(req, EIO);
		return;
	}
	if (fsd->readonly || !fsd->master) {
		fuse_reply_err(req, fsd->readonly ? EROFS : EPERM);
		return;
	}
	if (ctx->uid != 0 && !fsd->user_mkdir) {
		fuse_reply_err(req, EPERM);
		return;
	}
	if (famfsd_dax_errno(fsd, 0)) {
		famfsd_reply_err(req, -famfsd_dax_errno(fsd, 0));
		return;
	}
	if (famfsd_meta_kind(fsd, parent)) {
		famfsd_reply_err(req, EPERM);	/* .meta holds the superblock and log only */
		return;
	}
	famfsd_append_submit(req, famfsd_append_new(req, mkdir_locked, parent, name,
						    (unsigned int)mode));
}

struct dirh {
	struct famfs_node *cur;		/* child at ordinal pos - 2, or NULL */
	off_t pos;
};

static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct famfsd *fsd = famfsd_req(req);
	struct dirh *h;
	struct famfs_node *n;

	famfsd_count(fsd, FAMFS_OP_OPENDIR);
	if (famfsd_gone(fsd) && ino != FAMFS_ROOT_INO) {
		famfsd_reply_err(req, EIO);
		return;
	}
	pthread_rwlock_rdlock(&fsd->ns_lock);
	n = famfsd_node(fsd, ino);
	pthread_rwlock_unlock(&fsd->ns_lock);
	if (!n && !famfsd_meta_kind(fsd, ino)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (n ? !S_ISDIR(n->mode) : famfsd_meta_kind(fsd, ino) != FAMFS_META_DIR) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	h = calloc(1, sizeof(*h));
	if (!h) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	fi->fh = (uintptr_t)h;
	fuse_reply_open(req, fi);
}

static void op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct famfsd *fsd = famfsd_req(req);

	famfsd_count(fsd, FAMFS_OP_RELEASEDIR);
	free((void *)(uintptr_t)fi->fh);
	fuse_reply_err(req, 0);
}

/*
 * Offsets are ordinals: 0 ".", 1 "..", k + 2 the k-th child in creation
 * order; in the root, 2 is .meta and children start at 3 (a child the log
 * names .meta is hidden behind it). Children are only ever appended, so an
 * offset stays valid. The handle remembers where the last call stopped, so
 * a long listing is not quadratic.
 */
static void do_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi, bool plus)
{
	struct famfsd *fsd = famfsd_req(req);
	struct dirh *h = (struct dirh *)(uintptr_t)fi->fh;
	struct famfs_node *dir, *c;
	struct fuse_entry_param e;
	char *buf;
	size_t used = 0, len;
	off_t pos, first;

	famfsd_count(fsd, plus ? FAMFS_OP_READDIRPLUS : FAMFS_OP_READDIR);
	if (off == 0)
		famfsd_catchup_maybe(fsd);
	if (famfsd_gone(fsd)) {
		famfsd_reply_err(req, EIO);
		return;
	}
	if (famfsd_meta_kind(fsd, ino) == FAMFS_META_DIR) {
		famfsd_meta_readdir(req, size, off, plus);
		return;
	}
	buf = malloc(size ? size : 1);
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	pthread_rwlock_rdlock(&fsd->ns_lock);
	dir = famfsd_node(fsd, ino);
	if (!dir) {
		pthread_rwlock_unlock(&fsd->ns_lock);
		free(buf);
		fuse_reply_err(req, ENOENT);
		return;
	}
	for (pos = off; pos < 2; pos++) {
		c = pos == 0 ? dir : dir->parent;
		if (plus) {
			famfsd_node_entry(fsd, c, &e);
			len = fuse_add_direntry_plus(req, buf + used, size - used,
						     pos ? ".." : ".", &e, pos + 1);
		} else {
			struct stat st = { .st_ino = c->ino, .st_mode = c->mode };

			len = fuse_add_direntry(req, buf + used, size - used,
						pos ? ".." : ".", &st, pos + 1);
		}
		if (len > size - used)
			goto full;
		used += len;
	}
	first = 2;
	if (ino == FAMFS_ROOT_INO) {
		first = 3;
		if (pos == 2) {
			len = famfsd_meta_dirent(req, buf + used, size - used, FAMFS_META_DIR,
						 pos + 1, plus);
			if (len > size - used)
				goto full;
			used += len;
			pos++;
		}
	}
	if (h && h->cur && h->pos == pos) {
		c = h->cur;
	} else {
		off_t k;

		for (c = dir->first_child, k = first; c && k < pos; k++)
			c = c->next_sibling;
	}
	for (; c; c = c->next_sibling, pos++) {
		if (famfs_node_deleted(c))
			continue;	/* its ordinal stays, so offsets do too */
		if (ino == FAMFS_ROOT_INO && !strcmp(c->name, FAMFS_META_DIRNAME))
			continue;	/* shown as the mount's own .meta */
		if (plus) {
			famfsd_node_entry(fsd, c, &e);
			len = fuse_add_direntry_plus(req, buf + used, size - used, c->name,
						     &e, pos + 1);
		} else {
			struct stat st = { .st_ino = c->ino, .st_mode = c->mode };

			len = fuse_add_direntry(req, buf + used, size - used, c->name, &st,
						pos + 1);
		}
		if (len > size - used)
			break;
		used += len;
	}
	if (h) {
		h->cur = c;
		h->pos = pos;
	}
full:
	pthread_rwlock_unlock(&fsd->ns_lock);
	fuse_reply_buf(req, buf, used);
	free(buf);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	do_readdir(req, ino, size, off, fi, false);
}

static void op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			   struct fuse_file_info *fi)
{
	do_readdir(req, ino, size, off, fi, true);
}

/*
 * Totals in 4 KiB blocks so that df is exact. Inodes are log slots: files
 * is the log's slots, ffree the free ones. Linux's statfs has no favail
 * (glibc's statvfs copies ffree), so the answer depends on who asks, as
 * ext4's free blocks do for df: root gets every free slot, anyone else
 * those outside the reserve (so df -i counts the reserve as used for them).
 */
static void op_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct famfsd *fsd = famfsd_req(req);
	struct famfs_fs *fs = fsd->fs;
	struct famfs_fs_space sp;
	struct statvfs sv;
	uint64_t freeb, availb, sizeb, pend = 0, nslots = fs->log->nslots, keep;

	keep = fuse_req_ctx(req)->uid == 0 ? 0 : fsd->reserve;

	famfsd_count(fsd, FAMFS_OP_STATFS);
	if (famfsd_gone(fsd)) {
		famfsd_reply_err(req, EIO);
		return;
	}
	memset(&sv, 0, sizeof(sv));
	pthread_rwlock_rdlock(&fsd->ns_lock);
	/* All devices; available: those found on this host, where files can go. */
	freeb = famfs_allocset_free_bytes(&fs->alloc);
	availb = 0;
	for (uint32_t i = 0; i < fs->alloc.ndevs; i++)
		if (fs->alloc.usable[i])
			availb += famfs_alloc_free_bytes(&fs->alloc.dev[i]);
	sizeb = famfs_allocset_size(&fs->alloc);
	/*
	 * With deletes: deleted memory a host still holds is free but not
	 * available (f_bfree - f_bavail), as ext4's reserved blocks are, so
	 * df's Used counts live files and Avail what a new file can get.
	 */
	if (fs->rm && famfs_fs_space(fs, &sp) == 0) {
		freeb = sp.free;
		availb = sp.avail;
		pend = sp.pending;
	}
	famfs_errclear();
	sv.f_files = nslots;
	sv.f_ffree = fs->next + keep < nslots ? nslots - fs->next - keep : 0;
	pthread_rwlock_unlock(&fsd->ns_lock);
	sv.f_bsize = 4096;
	sv.f_frsize = 4096;
	sv.f_blocks = sizeb / 4096;
	sv.f_bfree = (freeb + pend) / 4096;
	sv.f_bavail = availb / 4096;
	sv.f_favail = sv.f_ffree;
	sv.f_namemax = FAMFSD_NAMEMAX;
	fuse_reply_statfs(req, &sv);
}

/*
 * The xattrs every node answers: its host's role, the device, and the log
 * slots this mount reserves for root (what famfs fsck of a mount shows).
 */
static const char *const xattr_names[] = { "user.famfs.role", "user.famfs.dev",
					   "user.famfs.reserve" };

static void op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
	struct famfsd *fsd = famfsd_req(req);
	char val[4096];
	const char *data = val;
	size_t len = 0;
	bool found;

	famfsd_count(fsd, FAMFS_OP_GETXATTR);
	if (famfsd_gone(fsd)) {
		famfsd_reply_err(req, EIO);
		return;
	}
	pthread_rwlock_rdlock(&fsd->ns_lock);
	found = famfsd_node(fsd, ino) != NULL || famfsd_meta_kind(fsd, ino);
	pthread_rwlock_unlock(&fsd->ns_lock);
	if (!found) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (!strcmp(name, xattr_names[0]))
		snprintf(val, sizeof(val), "%s", fsd->master ? "master" : "client");
	else if (!strcmp(name, xattr_names[1]))
		snprintf(val, sizeof(val), "%s", fsd->fs->dev->path);
	else if (!strcmp(name, xattr_names[2]))
		snprintf(val, sizeof(val), "%llu", (unsigned long long)fsd->reserve);
	else if (!strcmp(name, "user.famfs.bpf") && fsd->bpf_dir[0])
		snprintf(val, sizeof(val), "%s", fsd->bpf_dir);	/* -o bpf pins */
	else if (!strcmp(name, "user.famfs.alloc_cfg") && famfsd_meta_cfg(fsd, &len))
		data = famfsd_meta_cfg(fsd, &len);	/* .meta/.alloc.cfg's bytes, up to 4 KiB */
	else {
		fuse_reply_err(req, ENODATA);
		return;
	}
	if (data == val)
		len = strlen(val);
	if (size == 0)
		fuse_reply_xattr(req, len);
	else if (size < len)
		fuse_reply_err(req, ERANGE);
	else
		fuse_reply_buf(req, data, len);
}

static void op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	struct famfsd *fsd = famfsd_req(req);
	char buf[128];
	size_t len = 0, i;

	famfsd_count(fsd, FAMFS_OP_LISTXATTR);
	if (famfsd_gone(fsd)) {
		famfsd_reply_err(req, EIO);
		return;
	}
	for (i = 0; i < sizeof(xattr_names) / sizeof(xattr_names[0]); i++) {
		memcpy(buf + len, xattr_names[i], strlen(xattr_names[i]) + 1);
		len += strlen(xattr_names[i]) + 1;
	}
	if (size == 0)
		fuse_reply_xattr(req, len);
	else if (size < len)
		fuse_reply_err(req, ERANGE);
	else
		fuse_reply_buf(req, buf, len);
}

static void op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
			const char *value, size_t size, int flags)
{
	struct famfsd *fsd = famfsd_req(req);

	famfsd_count(fsd, FAMFS_OP_SETXATTR);
	famfsd_reply_err(req, refusal(fsd, fsd->readonly ? EROFS : EOPNOTSUPP));
}

static void op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	struct famfsd *fsd = famfsd_req(req);

	famfsd_count(fsd, FAMFS_OP_REMOVEXATTR);
	famfsd_reply_err(req, refusal(fsd, fsd->readonly ? EROFS : EOPNOTSUPP));
}

void famfsd_init_ops(struct fuse_lowlevel_ops *ops)
{
	memset(ops, 0, sizeof(*ops));
	ops->lookup = famfsd_op_lookup;
	ops->forget = op_forget;
	ops->forget_multi = op_forget_multi;
	ops->getattr = op_getattr;
	ops->setattr = op_setattr;
	ops->mknod = op_mknod;
	ops->mkdir = op_mkdir;
	ops->unlink = famfsd_op_unlink;
	ops->rmdir = famfsd_op_rmdir;
	ops->symlink = op_symlink;
	ops->rename = op_rename;
	ops->link = op_link;
	ops->create = op_create;
	ops->opendir = op_opendir;
	ops->readdir = op_readdir;
	ops->readdirplus = op_readdirplus;
	ops->releasedir = op_releasedir;
	ops->statfs = op_statfs;
	ops->getxattr = op_getxattr;
	ops->listxattr = op_listxattr;
	ops->setxattr = op_setxattr;
	ops->removexattr = op_removexattr;
	famfsd_file_ops(ops);
}
