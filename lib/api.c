// SPDX-License-Identifier: Apache-2.0
/*
 * api.c - the parts of the public API (famfs/famfs.h) that only exist for
 * applications: the accessors of the opaque map handle, and famfs_stat(),
 * a file's size and layout from one GET_FMAP.
 *
 * Like map.c, the open/ioctl/close here are raw system calls, so that a
 * preload shim in the same process never sees them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "famfs/err.h"
#include "famfs/ioctl.h"
#include "famfs/map.h"

void *famfs_map_addr(const struct famfs_map *m)
{
	return m ? m->addr : NULL;
}

size_t famfs_map_size(const struct famfs_map *m)
{
	return m ? m->len : 0;
}

bool famfs_map_writable(const struct famfs_map *m)
{
	return m && m->writable;
}

struct stat_ctx {
	struct famfs_extent *ext;
	size_t max;
	uint64_t n;
};

static int stat_seg(void *ctx, const struct famfs_seg *seg)
{
	struct stat_ctx *c = ctx;

	if (c->n < c->max)
		c->ext[c->n] = (struct famfs_extent){
			.file_offset = seg->file_off,
			.device = seg->devindex,
			.device_offset = seg->dev_off,
			.length = seg->len,
		};
	c->n++;
	return 0;
}

/* GET_FMAP on @path and decode it into *@f. */
static int fetch_fmap(const char *path, struct famfs_fmap *f)
{
	uint8_t *buf;
	long fd, n;
	int err;

	fd = syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC | O_NOCTTY, 0);
	if (fd < 0)
		return famfs_err(-errno, "%s: %s", path, strerror(errno));
	buf = malloc(FAMFS_FMAP_MSG_MAX);
	if (!buf) {
		syscall(SYS_close, fd);
		return -ENOMEM;
	}
	n = syscall(SYS_ioctl, fd, FAMFS_IOC_GET_FMAP, buf);
	err = n < 0 ? -errno : 0;
	syscall(SYS_close, fd);
	if (err) {
		free(buf);
		if (err == -ENOTTY || err == -EINVAL)
			return famfs_err(err, "%s: not a file on a famfs mount", path);
		return famfs_err(err, "%s: GET_FMAP: %s", path, strerror(-err));
	}
	err = famfs_fmap_decode(buf, (size_t)n, f);
	free(buf);
	if (err && !famfs_errmsg()[0])
		famfs_err(err, "%s: GET_FMAP reply of %ld bytes is invalid", path, n);
	return err;
}

int famfs_stat(const char *path, struct famfs_stat *st, struct famfs_extent *ext,
	       size_t max)
{
	struct stat_ctx c = { .ext = ext, .max = ext ? max : 0 };
	struct famfs_fmap *f;
	long nsegs;
	int err;

	if (!path || !st)
		return -EINVAL;
	famfs_errclear();
	f = malloc(sizeof(*f));
	if (!f)
		return -ENOMEM;
	err = fetch_fmap(path, f);
	if (err)
		goto out;
	nsegs = famfs_fmap_walk(f, stat_seg, &c);
	if (nsegs < 0) {
		err = (int)nsegs;
		goto out;
	}
	memset(st, 0, sizeof(*st));
	st->size = f->file_size;
	st->nextents = c.n;
	st->interleaved = f->ext_type == FAMFS_EXT_INTERLEAVE;
out:
	free(f);
	return err;
}
