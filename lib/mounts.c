// SPDX-License-Identifier: Apache-2.0
/*
 * mounts.c - the mount table, read from /proc/self/mountinfo with libmount
 * (util-linux's parser, which undoes mountinfo's octal escapes and knows
 * the mount and super option fields). Every famfs program asks its mount
 * questions here: the CLI (which mount is this path on), mkfs.famfs (is
 * this device mounted), famfsd (the st_dev of its own mount) and the
 * direct-access client (the mount of a descriptor, by id).
 */
#include <errno.h>
#include <fcntl.h>
#include <libmount.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "famfs/mount.h"

#define MOUNTINFO	"/proc/self/mountinfo"

bool famfs_mnt_has_opt(const char *opts, const char *name)
{
	return opts && mnt_optstr_get_option(opts, name, NULL, NULL) == 0;
}

/* The numeric FUSE option @name (user_id=N) of @opts, or -1. */
static long num_opt(const char *opts, const char *name)
{
	char *val = NULL, buf[32], *end;
	size_t len = 0;
	long v;

	if (!opts || mnt_optstr_get_option(opts, name, &val, &len) || !val || !len ||
	    len >= sizeof(buf))
		return -1;
	memcpy(buf, val, len);
	buf[len] = '\0';
	errno = 0;
	v = strtol(buf, &end, 10);
	if (errno || *end || v < 0)
		return -1;
	return v;
}

static void copy(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
}

static void fill(struct libmnt_fs *fs, struct famfs_mnt *m)
{
	const char *vfs = mnt_fs_get_vfs_options(fs);
	const char *sup = mnt_fs_get_fs_options(fs);

	m->id = mnt_fs_get_id(fs);
	m->dev = mnt_fs_get_devno(fs);
	m->ro = famfs_mnt_has_opt(vfs, "ro") || famfs_mnt_has_opt(sup, "ro");
	m->user_id = num_opt(sup, "user_id");
	copy(m->fstype, sizeof(m->fstype), mnt_fs_get_fstype(fs));
	copy(m->root, sizeof(m->root), mnt_fs_get_root(fs));
	copy(m->target, sizeof(m->target), mnt_fs_get_target(fs));
	copy(m->source, sizeof(m->source), mnt_fs_get_source(fs));
}

int famfs_mnt_each(famfs_mnt_fn fn, void *ctx)
{
	struct libmnt_table *tb = mnt_new_table();
	struct libmnt_iter *it = mnt_new_iter(MNT_ITER_FORWARD);
	struct famfs_mnt *m = malloc(sizeof(*m));
	struct libmnt_fs *fs;
	int rc;

	if (!tb || !it || !m) {
		rc = -ENOMEM;
		goto out;
	}
	rc = mnt_table_parse_file(tb, MOUNTINFO);
	if (rc) {
		rc = rc < 0 ? rc : -EINVAL;
		goto out;
	}
	while ((rc = mnt_table_next_fs(tb, it, &fs)) == 0) {
		memset(m, 0, sizeof(*m));
		fill(fs, m);
		rc = fn(ctx, m);
		if (rc)
			goto out;
	}
	rc = rc < 0 ? rc : 0;	/* 1: the end of the table */
out:
	free(m);
	mnt_free_iter(it);
	mnt_unref_table(tb);
	return rc;
}

struct find_ctx {
	int id;
	const char *target;
	struct famfs_mnt *out;
	bool found;
};

static int match_id(void *ctx, const struct famfs_mnt *m)
{
	struct find_ctx *c = ctx;

	if (m->id != c->id)
		return 0;
	*c->out = *m;
	c->found = true;
	return 1;
}

int famfs_mnt_by_id(int id, struct famfs_mnt *out)
{
	struct find_ctx c = { .id = id, .out = out };
	int rc = famfs_mnt_each(match_id, &c);

	if (rc < 0)
		return rc;
	return c.found ? 0 : -ENOENT;
}

/* The last match wins: a mount stacked on the same point comes later. */
static int match_target(void *ctx, const struct famfs_mnt *m)
{
	struct find_ctx *c = ctx;

	if (strcmp(m->target, c->target))
		return 0;
	*c->out = *m;
	c->found = true;
	return 0;
}

int famfs_mnt_at(const char *abs, struct famfs_mnt *out)
{
	struct find_ctx c = { .target = abs, .out = out };
	int rc = famfs_mnt_each(match_target, &c);

	if (rc < 0)
		return rc;
	return c.found ? 0 : -ENOENT;
}

#ifndef STATX_MNT_ID
#define STATX_MNT_ID	0x00001000U
#endif

int famfs_mnt_of_path(const char *path, struct famfs_mnt *out)
{
	struct statx stx;
	int rc;

	memset(&stx, 0, sizeof(stx));
	if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW | AT_STATX_DONT_SYNC, STATX_MNT_ID, &stx))
		return -errno;
	if (!(stx.stx_mask & STATX_MNT_ID))
		return -EOPNOTSUPP;
	rc = famfs_mnt_by_id((int)stx.stx_mnt_id, out);
	return rc == -ENOENT ? -ENXIO : rc;
}
