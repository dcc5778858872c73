// SPDX-License-Identifier: Apache-2.0
/*
 * devtab.c - the devices of a file system (famfs/devtab.h): the primary
 * from its superblock, the others from ADD_DAXDEV log entries, checked
 * with upstream's table rules. Pure code: no I/O, no allocation.
 */
#include <errno.h>
#include <string.h>
#include <uuid/uuid.h>

#include "famfs/devtab.h"
#include "famfs/err.h"

void famfs_devtab_init(struct famfs_devtab *t, const struct famfs_omf_sb *sb,
		       uint64_t capacity)
{
	memset(t, 0, sizeof(*t));
	t->ndevs = 1;
	t->alloc_unit = sb->alloc_unit;
	memcpy(t->fs_uuid, sb->uuid, 16);
	memcpy(t->dev[0].uuid, sb->dev_uuid, 16);
	t->dev[0].log_index = UINT64_MAX;
	t->span[0].data_start = famfs_omf_sb_data_start(sb);
	t->span[0].size = capacity;
}

int famfs_devtab_find(const struct famfs_devtab *t, const uint8_t uuid[16])
{
	for (uint32_t i = 0; i < t->ndevs; i++)
		if (!memcmp(t->dev[i].uuid, uuid, 16))
			return (int)i;
	return -1;
}

int famfs_devtab_add(struct famfs_devtab *t, const struct famfs_omf_entry *e, uint64_t index)
{
	const struct famfs_omf_daxdev *d = &e->daxdev;
	char u[37];
	int at;

	if (e->type != FAMFS_LOG_ADD_DAXDEV)
		return famfs_err(-EINVAL, "entry %llu: type %u is not ADD_DAXDEV",
				 (unsigned long long)index, e->type);
	uuid_unparse(d->uuid, u);
	if (t->ndevs >= FAMFS_MAX_DAXDEVS)
		return famfs_err(-ENOSPC, "entry %llu: device %s would be the %u-th; a file "
				 "system has at most %d devices", (unsigned long long)index, u,
				 t->ndevs + 1, FAMFS_MAX_DAXDEVS);
	if (d->index != t->ndevs)
		return famfs_err(-ERANGE, "entry %llu: device index %u, expected %u (indices "
				 "are dense and in log order)", (unsigned long long)index,
				 d->index, t->ndevs);
	at = famfs_devtab_find(t, d->uuid);
	if (at >= 0)
		return famfs_err(-EEXIST, "entry %llu: device %s is device %d already",
				 (unsigned long long)index, u, at);
	if (uuid_is_null(d->uuid))
		return famfs_err(-EINVAL, "entry %llu: device %u has a zero uuid",
				 (unsigned long long)index, d->index);
	if (!t->alloc_unit || d->size % t->alloc_unit ||
	    d->size <= FAMFS_SECONDARY_DATA_START)
		return famfs_err(-EINVAL, "entry %llu: device %u size %#llx is not a multiple "
				 "of %#llx above %#llx", (unsigned long long)index, d->index,
				 (unsigned long long)d->size, (unsigned long long)t->alloc_unit,
				 FAMFS_SECONDARY_DATA_START);
	if (d->size > FAMFS_MAX_DEV_SIZE)
		return famfs_err(-EINVAL, "entry %llu: device %u size %#llx is larger than %#llx, "
				 "the largest device famfs takes", (unsigned long long)index,
				 d->index, (unsigned long long)d->size, FAMFS_MAX_DEV_SIZE);
	memcpy(t->dev[t->ndevs].uuid, d->uuid, 16);
	t->dev[t->ndevs].log_index = index;
	t->span[t->ndevs].data_start = FAMFS_SECONDARY_DATA_START;
	t->span[t->ndevs].size = d->size;
	t->ndevs++;
	return 0;
}

int famfs_devtab_fmap_check(const struct famfs_devtab *t, const struct famfs_omf_fmap *f,
			    uint64_t file_size)
{
	return famfs_omf_fmap_check_devs(f, file_size, t->alloc_unit, t->span, t->ndevs);
}
