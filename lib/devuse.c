// SPDX-License-Identifier: Apache-2.0
/*
 * devuse.c - is a device in use by a famfs mount (famfs/devfind.h): the
 * source of a mount made by root, or a secondary device of the file
 * system such a mount serves. mkfs.famfs and famfs devadd refuse those.
 * And is a file system served by a mount from another primary than ours
 * (a copy of the primary): its secondaries are then not ours to attach.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "famfs/devfind.h"
#include "famfs/err.h"
#include "famfs/mount.h"
#include "famfs/trust.h"

struct in_use {
	struct stat st;			/* the device asked about */
	bool have_sb;
	struct famfs_omf_sb sb;		/* its superblock, when it has one */
	char *mnt;
	size_t len;
};

static int in_use_one(void *ctx, const struct famfs_mnt *m)
{
	struct in_use *u = ctx;
	struct famfs_omf_sb sb;
	struct stat st;
	uint64_t size;

	/* A user's FUSE mount may claim any device with fsname=: only root's count. */
	if (famfs_trust_mount(m)) {
		famfs_errclear();
		return 0;
	}
	if (!stat(m->source, &st) && famfs_trust_same_file(&st, &u->st))
		goto found;
	/* a device of the mounted file system: same uuid, not the primary */
	if (u->have_sb && famfs_omf_sb_is_secondary(&u->sb) &&
	    !famfs_devfind_read_sb(m->source, &sb, &size) &&
	    !memcmp(sb.uuid, u->sb.uuid, 16))
		goto found;
	famfs_errclear();
	return 0;
found:
	snprintf(u->mnt, u->len, "%s", m->target);
	return 1;
}

int famfs_devfind_in_use(const char *path, char *mnt, size_t len)
{
	struct in_use u = { .mnt = mnt, .len = len };
	uint64_t size;
	int rc;

	if (stat(path, &u.st))
		return 0;
	u.have_sb = famfs_devfind_read_sb(path, &u.sb, &size) == 0;
	famfs_errclear();
	rc = famfs_mnt_each(in_use_one, &u);
	return rc == 1;
}

struct elsewhere {
	const uint8_t *fs_uuid;
	const struct stat *primary;
	char *mnt, *src;
	size_t len, srclen;
};

static int elsewhere_one(void *ctx, const struct famfs_mnt *m)
{
	struct elsewhere *e = ctx;
	struct famfs_omf_sb sb;
	struct stat st;
	uint64_t size;

	if (famfs_trust_mount(m) || stat(m->source, &st) ||
	    famfs_trust_same_file(&st, e->primary) ||
	    famfs_devfind_read_sb(m->source, &sb, &size) ||
	    famfs_omf_sb_is_secondary(&sb) || memcmp(sb.uuid, e->fs_uuid, 16)) {
		famfs_errclear();
		return 0;
	}
	snprintf(e->mnt, e->len, "%s", m->target);
	snprintf(e->src, e->srclen, "%s", m->source);
	return 1;
}

int famfs_devfind_served_elsewhere(const uint8_t fs_uuid[16], const struct stat *primary,
				   char *mnt, size_t len, char *src, size_t srclen)
{
	struct elsewhere e = { fs_uuid, primary, mnt, src, len, srclen };

	return famfs_mnt_each(elsewhere_one, &e) == 1;
}
