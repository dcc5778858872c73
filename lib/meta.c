// SPDX-License-Identifier: Apache-2.0
/*
 * meta.c - names, inode numbers, modes and device ranges of the .meta
 * files every mount shows (see famfs/meta.h).
 */
#include <errno.h>
#include <string.h>

#include "famfs/err.h"
#include "famfs/meta.h"

static const char *const names[FAMFS_META_NKINDS] = {
	[FAMFS_META_DIR] = FAMFS_META_DIRNAME,
	[FAMFS_META_SB] = ".superblock",
	[FAMFS_META_LOG] = ".log",
	[FAMFS_META_ALLOC_CFG] = ".alloc.cfg",
};

enum famfs_meta_kind famfs_meta_child(const char *name)
{
	for (int k = FAMFS_META_SB; k < FAMFS_META_NKINDS; k++)
		if (!strcmp(name, names[k]))
			return (enum famfs_meta_kind)k;
	return FAMFS_META_NONE;
}

enum famfs_meta_kind famfs_meta_kind(const char *relpath)
{
	size_t l = strlen(FAMFS_META_DIRNAME);

	if (strncmp(relpath, FAMFS_META_DIRNAME, l))
		return FAMFS_META_NONE;
	if (!relpath[l])
		return FAMFS_META_DIR;
	if (relpath[l] != '/')
		return FAMFS_META_NONE;
	return famfs_meta_child(relpath + l + 1);
}

enum famfs_meta_kind famfs_meta_kind_of_ino(uint64_t ino)
{
	if (ino <= FAMFS_META_INO || ino >= FAMFS_META_INO + FAMFS_META_NKINDS)
		return FAMFS_META_NONE;
	return (enum famfs_meta_kind)(ino - FAMFS_META_INO);
}

const char *famfs_meta_name(enum famfs_meta_kind kind)
{
	return kind > FAMFS_META_NONE && kind < FAMFS_META_NKINDS ? names[kind] : "";
}

uint32_t famfs_meta_mode(enum famfs_meta_kind kind)
{
	switch (kind) {
	case FAMFS_META_DIR:
		return 0555;
	case FAMFS_META_LOG:
		return 0400;
	default:
		return 0444;
	}
}

int famfs_meta_extent(enum famfs_meta_kind kind, const struct famfs_omf_sb *sb,
		      uint64_t *offset, uint64_t *len)
{
	switch (kind) {
	case FAMFS_META_SB:
		*offset = 0;
		*len = FAMFS_SB_REGION;
		return 0;
	case FAMFS_META_LOG:
		*offset = sb->log_offset;
		*len = sb->log_len;
		return 0;
	default:
		return famfs_err(-EINVAL, "%s is not in the device", famfs_meta_name(kind));
	}
}

bool famfs_meta_reserved(const char *relpath)
{
	size_t l = strlen(FAMFS_META_DIRNAME);

	return !strncmp(relpath, FAMFS_META_DIRNAME, l) &&
	       (relpath[l] == '\0' || relpath[l] == '/');
}
