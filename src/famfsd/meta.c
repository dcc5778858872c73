// SPDX-License-Identifier: Apache-2.0
/*
 * meta.c - famfsd's half of the .meta directory (famfs/meta.h): the
 * read-only files that expose the device's superblock and log, as
 * upstream's mounts do, and the optional .alloc.cfg.
 *
 * They are served from the device on every read (direct_io: no page cache,
 * so a reader always sees the log as it is now). Nothing can change them
 * through the mount: a writable or truncating open is EPERM for everyone,
 * root included (EROFS on a read-only mount), and setattr is refused as for
 * every file. GET_FMAP answers with the device range (file type superblock
 * or log), so that the shim and a native-mode kernel can map them; since
 * only read-only opens exist, those maps are read-only. .alloc.cfg is not in
 * the device: GET_FMAP on it is EOPNOTSUPP.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "famfs/alloc.h"
#include "famfs/alloccfg.h"
#include "famfs/err.h"
#include "famfs/meta.h"
#include "famfsd.h"

/* The .alloc.cfg bytes from -o alloc_cfg=FILE are fsd->alloc_cfg (or NULL). */
int famfsd_meta_load_cfg(struct famfsd *fsd, const char *path)
{
	struct famfs_interleave_param ip;
	FILE *f = fopen(path, "re");
	char *cfg;
	size_t n;
	int rc;

	if (!f) {
		fprintf(stderr, "famfsd: alloc_cfg=%s: %s\n", path, strerror(errno));
		return -1;
	}
	cfg = malloc(FAMFS_ALLOC_CFG_MAX);
	if (!cfg) {
		fclose(f);
		fprintf(stderr, "famfsd: out of memory\n");
		return -1;
	}
	n = fread(cfg, 1, FAMFS_ALLOC_CFG_MAX, f);
	rc = ferror(f) ? -EIO : fgetc(f) != EOF ? -EFBIG : 0;
	fclose(f);
	if (rc) {
		fprintf(stderr, "famfsd: alloc_cfg=%s: %s\n", path, rc == -EFBIG ?
			"larger than 4096 bytes" : strerror(-rc));
		free(cfg);
		return -1;
	}
	famfs_errclear();
	if (famfs_alloc_cfg_parse(cfg, n, &ip)) {
		fprintf(stderr, "famfsd: alloc_cfg=%s: %s\n", path, famfs_errmsg());
		free(cfg);
		return -1;
	}
	free(fsd->alloc_cfg);	/* the last alloc_cfg= given wins */
	free(fsd->alloc_cfg_path);
	fsd->alloc_cfg = cfg;
	fsd->alloc_cfg_len = n;
	fsd->alloc_cfg_path = strdup(path);
	if (!fsd->alloc_cfg_path) {
		fprintf(stderr, "famfsd: out of memory\n");
		return -1;
	}
	return 0;
}

int famfsd_meta_check_cfg(struct famfsd *fsd)
{
	struct famfs_interleave_param ip;
	uint64_t size = fsd->fs->dev->size;

	if (!fsd->alloc_cfg)
		return 0;
	famfs_errclear();
	if (famfs_alloc_cfg_parse(fsd->alloc_cfg, fsd->alloc_cfg_len, &ip))
		goto bad;	/* checked at load: cannot happen */
	if (!famfs_interleave_enabled(&ip))
		return 0;
	famfs_interleave_fill(&ip, size);
	if (!famfs_interleave_param_check(&ip, size))
		return 0;
bad:
	fprintf(stderr, "famfsd: alloc_cfg=%s (.meta/.alloc.cfg): %s (device of %llu bytes); "
		"every creat and cp would fail: not mounted\n", fsd->alloc_cfg_path,
		famfs_errmsg(), (unsigned long long)size);
	return -1;
}

const char *famfsd_meta_cfg(struct famfsd *fsd, size_t *len)
{
	*len = fsd->alloc_cfg_len;
	return fsd->alloc_cfg;
}

enum famfs_meta_kind famfsd_meta_kind(struct famfsd *fsd, fuse_ino_t ino)
{
	enum famfs_meta_kind k = famfs_meta_kind_of_ino(ino);

	return k == FAMFS_META_ALLOC_CFG && !fsd->alloc_cfg ? FAMFS_META_NONE : k;
}

/* Device range of a superblock or log file. */
static void meta_range(struct famfsd *fsd, enum famfs_meta_kind k, uint64_t *off,
		       uint64_t *len)
{
	if (famfs_meta_extent(k, &fsd->fs->log->sb, off, len)) {
		*off = 0;
		*len = 0;
	}
}

void famfsd_meta_attr(struct famfsd *fsd, enum famfs_meta_kind k, struct stat *st)
{
	const struct famfs_node *root = famfsd_node(fsd, FAMFS_ROOT_INO);
	uint64_t off, len = 0;

	memset(st, 0, sizeof(*st));
	st->st_ino = FAMFS_META_INO + k;
	st->st_mode = famfs_meta_mode(k) | (k == FAMFS_META_DIR ? S_IFDIR : S_IFREG);
	st->st_nlink = k == FAMFS_META_DIR ? 2 : 1;
	if (k == FAMFS_META_ALLOC_CFG)
		len = fsd->alloc_cfg_len;
	else if (k != FAMFS_META_DIR)
		meta_range(fsd, k, &off, &len);
	st->st_size = (off_t)len;
	st->st_blksize = FAMFSD_BLKSIZE;
	st->st_blocks = (blkcnt_t)(k == FAMFS_META_ALLOC_CFG ? 0 : len / 512);
	if (root)
		st->st_mtim = famfsd_node_time(root);
	st->st_ctim = st->st_mtim;
	st->st_atim = st->st_mtim;
}

void famfsd_meta_entry(struct famfsd *fsd, enum famfs_meta_kind k, struct fuse_entry_param *e)
{
	memset(e, 0, sizeof(*e));
	e->ino = FAMFS_META_INO + k;
	e->generation = 1;
	e->attr_timeout = fsd->timeout;
	e->entry_timeout = fsd->timeout;
	famfsd_meta_attr(fsd, k, &e->attr);
}

bool famfsd_meta_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct famfsd *fsd = famfsd_req(req);
	struct fuse_entry_param e;
	enum famfs_meta_kind k;

	if (parent == FAMFS_ROOT_INO && !strcmp(name, FAMFS_META_DIRNAME)) {
		k = FAMFS_META_DIR;
	} else if (famfsd_meta_kind(fsd, parent) == FAMFS_META_DIR) {
		if (!strcmp(name, "..")) {
			pthread_rwlock_rdlock(&fsd->ns_lock);
			famfsd_node_entry(fsd, famfsd_node(fsd, FAMFS_ROOT_INO), &e);
			pthread_rwlock_unlock(&fsd->ns_lock);
			fuse_reply_entry(req, &e);
			return true;
		}
		k = strcmp(name, ".") ? famfs_meta_child(name) : FAMFS_META_DIR;
		if (k == FAMFS_META_NONE || (k == FAMFS_META_ALLOC_CFG && !fsd->alloc_cfg)) {
			fuse_reply_err(req, ENOENT);	/* not cached, as every ENOENT */
			return true;
		}
	} else {
		return false;
	}
	famfsd_meta_entry(fsd, k, &e);
	fuse_reply_entry(req, &e);
	return true;
}

size_t famfsd_meta_dirent(fuse_req_t req, char *buf, size_t size, enum famfs_meta_kind k,
			  off_t next, bool plus)
{
	struct fuse_entry_param e;
	const char *name = famfs_meta_name(k);

	famfsd_meta_entry(famfsd_req(req), k, &e);
	if (plus)
		return fuse_add_direntry_plus(req, buf, size, name, &e, next);
	return fuse_add_direntry(req, buf, size, name, &e.attr, next);
}

void famfsd_meta_readdir(fuse_req_t req, size_t size, off_t off, bool plus)
{
	/* ordinals: 0 ".", 1 "..", then the files */
	static const enum famfs_meta_kind files[] = { FAMFS_META_SB, FAMFS_META_LOG,
						      FAMFS_META_ALLOC_CFG };
	struct famfsd *fsd = famfsd_req(req);
	struct fuse_entry_param e;
	char *buf = malloc(size ? size : 1);
	size_t used = 0, len = 0;
	off_t pos;

	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	for (pos = off < 0 ? 0 : off; pos < 2 + 3; pos++) {
		if (pos < 2) {
			if (pos == 0) {
				famfsd_meta_entry(fsd, FAMFS_META_DIR, &e);
			} else {
				pthread_rwlock_rdlock(&fsd->ns_lock);
				famfsd_node_entry(fsd, famfsd_node(fsd, FAMFS_ROOT_INO), &e);
				pthread_rwlock_unlock(&fsd->ns_lock);
			}
			len = plus ? fuse_add_direntry_plus(req, buf + used, size - used,
							    pos ? ".." : ".", &e, pos + 1) :
			      fuse_add_direntry(req, buf + used, size - used, pos ? ".." : ".",
						&e.attr, pos + 1);
		} else {
			if (files[pos - 2] == FAMFS_META_ALLOC_CFG && !fsd->alloc_cfg)
				continue;
			len = famfsd_meta_dirent(req, buf + used, size - used, files[pos - 2],
						 pos + 1, plus);
		}
		if (len > size - used)
			break;
		used += len;
	}
	fuse_reply_buf(req, buf, used);
	free(buf);
}

void famfsd_meta_file_open(fuse_req_t req, enum famfs_meta_kind k, struct fuse_file_info *fi)
{
	if (k == FAMFS_META_DIR) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	/* Never writable through FUSE, by anyone: the log is appended by famfs only. */
	if ((fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC)) {
		fuse_reply_err(req, famfsd_req(req)->readonly ? EROFS : EPERM);
		return;
	}
	fi->fh = 0;
	fi->direct_io = 1;
	fi->keep_cache = 0;
	fuse_reply_open(req, fi);
}

struct meta_copy {
	const uint8_t *src;
	uint8_t *dst;
	size_t len;
};

/* A pure copy of device memory: runs inside the SIGBUS guard. */
static int do_copy(void *ctx)
{
	struct meta_copy *c = ctx;

	famfs_invalidate(c->src, c->len);
	memcpy(c->dst, c->src, c->len);
	return 0;
}

void famfsd_meta_file_read(fuse_req_t req, enum famfs_meta_kind k, size_t size, off_t off)
{
	struct famfsd *fsd = famfsd_req(req);
	size_t cfg_len = fsd->alloc_cfg_len;
	struct meta_copy c;
	uint64_t start, len;
	uint8_t *buf;
	int rc;

	if (k == FAMFS_META_ALLOC_CFG) {
		if (off < 0 || (uint64_t)off >= cfg_len)
			fuse_reply_buf(req, NULL, 0);
		else
			fuse_reply_buf(req, fsd->alloc_cfg + off, size < cfg_len - (size_t)off ? size :
				       cfg_len - (size_t)off);
		return;
	}
	meta_range(fsd, k, &start, &len);
	if (off < 0 || (uint64_t)off >= len || !size) {
		fuse_reply_buf(req, NULL, 0);
		return;
	}
	c.len = len - (uint64_t)off < size ? (size_t)(len - (uint64_t)off) : size;
	buf = malloc(c.len);
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	c.src = fsd->fs->dev->base + start + (uint64_t)off;
	c.dst = buf;
	rc = famfsd_guarded(fsd, 0, do_copy, &c);
	if (rc)
		famfsd_reply_err(req, -rc);
	else
		fuse_reply_buf(req, (const char *)buf, c.len);
	free(buf);
}

ssize_t famfsd_meta_fmap(struct famfsd *fsd, enum famfs_meta_kind k, uint8_t *buf)
{
	struct famfs_fmap *fm;
	ssize_t len;

	if (famfsd_gone(fsd))
		return -EIO;
	if (k == FAMFS_META_DIR)
		return -EISDIR;
	if (k != FAMFS_META_SB && k != FAMFS_META_LOG)
		return -EOPNOTSUPP;	/* .alloc.cfg is not in the device */
	fm = calloc(1, sizeof(*fm));
	if (!fm)
		return -ENOMEM;
	fm->file_type = k == FAMFS_META_SB ? FAMFS_FILE_SUPERBLOCK : FAMFS_FILE_LOG;
	fm->version = FAMFS_FMAP_VERSION;
	fm->ext_type = FAMFS_EXT_SIMPLE;
	fm->nextents = 1;
	fm->dev_bitmap = 1;
	meta_range(fsd, k, &fm->se[0].offset, &fm->se[0].len);
	fm->file_size = fm->se[0].len;
	len = famfs_fmap_encode(fm, buf, FAMFS_FMAP_MSG_MAX);
	free(fm);
	return len;
}

void famfsd_meta_get_fmap(fuse_req_t req, enum famfs_meta_kind k, size_t out_bufsz)
{
	struct famfsd *fsd = famfsd_req(req);
	uint8_t out[FAMFS_FMAP_MSG_MAX];
	ssize_t len;

	famfsd_count(fsd, FAMFS_OP_GET_FMAP);
	len = famfsd_meta_fmap(fsd, k, out);
	if (len < 0)
		famfsd_reply_err(req, (int)-len);
	else if ((size_t)len > out_bufsz)
		fuse_reply_err(req, E2BIG);
	else
		fuse_reply_ioctl(req, (int)len, out, (size_t)len);
}
