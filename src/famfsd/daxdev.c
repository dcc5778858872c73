// SPDX-License-Identifier: Apache-2.0
/*
 * daxdev.c - famfsd's daxdev table, as the kernel keeps it per connection:
 * up to FAMFS_MAX_DAXDEVS slots {valid, failed, name, mapping}. Slot 0 is
 * the mounted device, opened once by famfs_fs_open. A failed slot is
 * sticky until unmount: files on it answer EHWPOISON (poisoned, as after
 * notify_failure) or EIO (memory vanished under us: a SIGBUS caught by
 * libfamfs's guard around a device copy).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "famfs/devmem.h"
#include "famfs/sigbus.h"
#include "famfsd.h"

void famfsd_dax_init(struct famfsd *fsd, const struct famfs_dev *dev)
{
	struct famfsd_daxdev *d = &fsd->dax[0];

	memset(fsd->dax, 0, sizeof(fsd->dax));
	d->valid = true;
	snprintf(d->name, sizeof(d->name), "%.*s", FAMFS_DAXDEV_NAME_MAX - 1, dev->path);
	d->base = dev->base;
	d->size = dev->size;
	d->resident_only = !dev->is_daxdev;
}

int famfsd_dax_errno(struct famfsd *fsd, unsigned int idx)
{
	int st;

	if (idx >= FAMFS_MAX_DAXDEVS || !fsd->dax[idx].valid)
		return -EIO;
	st = __atomic_load_n(&fsd->dax[idx].state, __ATOMIC_ACQUIRE);
	if (st == FAMFSD_DAX_POISONED)
		return -EHWPOISON;
	if (st == FAMFSD_DAX_VANISHED)
		return -EIO;
	return 0;
}

int famfsd_guarded(struct famfsd *fsd, unsigned int devidx, int (*fn)(void *ctx), void *ctx)
{
	unsigned long before = famfs_sigbus_caught_here();

	return famfsd_dev_check(fsd, devidx, before, famfs_sigbus_try(fn, ctx));
}

int famfsd_dev_check(struct famfsd *fsd, unsigned int devidx, unsigned long before, int rc)
{
	if (famfs_sigbus_caught_here() == before)
		return rc;
	famfsd_dax_fail(fsd, devidx, FAMFSD_DAX_VANISHED);
	return -EIO;
}

/* Mark @idx failed for @why; the first reason sticks. -EINVAL if no slot. */
int famfsd_dax_fail(struct famfsd *fsd, unsigned int idx, int why)
{
	int expect = FAMFSD_DAX_OK;

	if (idx >= FAMFS_MAX_DAXDEVS || !fsd->dax[idx].valid)
		return -EINVAL;
	__atomic_compare_exchange_n(&fsd->dax[idx].state, &expect, why, false,
				    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
	famfsd_bpf_dev_failed(fsd, idx);
	return 0;
}

uint64_t famfsd_dax_failed_mask(struct famfsd *fsd)
{
	uint64_t m = 0;
	unsigned int i;

	for (i = 0; i < FAMFS_MAX_DAXDEVS; i++)
		if (fsd->dax[i].valid && famfsd_dax_errno(fsd, i))
			m |= 1ULL << i;
	return m;
}

unsigned int famfsd_dax_count(struct famfsd *fsd)
{
	unsigned int i, n = 0;

	for (i = 0; i < FAMFS_MAX_DAXDEVS; i++)
		n += fsd->dax[i].valid;
	return n;
}

/* Health of every device that file @n has extents on (0 for directories). */
int famfsd_node_health(struct famfsd *fsd, const struct famfs_node *n)
{
	const struct famfs_omf_fmap *f = n->fmap;
	uint32_t i, cnt;
	int rc;

	if (!S_ISREG(n->mode))
		return 0;
	if (f->ext_type == FAMFS_EXT_INTERLEAVE) {
		cnt = f->nstrips < FAMFS_OMF_MAX_STRIPS ? (uint32_t)f->nstrips :
			FAMFS_OMF_MAX_STRIPS;
		for (i = 0; i < cnt; i++) {
			rc = famfsd_dax_errno(fsd, (unsigned int)f->strips[i].devindex);
			if (rc)
				return rc;
		}
		return 0;
	}
	cnt = f->nextents < FAMFS_OMF_MAX_SIMPLE_EXTENTS ? f->nextents :
		FAMFS_OMF_MAX_SIMPLE_EXTENTS;
	for (i = 0; i < cnt; i++) {
		rc = famfsd_dax_errno(fsd, (unsigned int)f->se[i].devindex);
		if (rc)
			return rc;
	}
	return 0;
}
