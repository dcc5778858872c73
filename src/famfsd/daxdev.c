// SPDX-License-Identifier: Apache-2.0
/*
 * daxdev.c - famfsd's daxdev table, as the kernel keeps it per connection:
 * up to FAMFS_MAX_DAXDEVS slots {valid, state, name}, one per device of the
 * file system (slot 0 the mounted device, the others as the log adds them
 * and this host finds them: famfsd_find_devs). A device not found is
 * MISSING: its files answer ENODEV until famfs daxdev refresh finds it. A
 * failed slot is sticky until unmount: files on it answer EHWPOISON
 * (poisoned, as after notify_failure) or EIO (memory vanished under us: a
 * SIGBUS caught by libfamfs's guard around a device copy). Files with no
 * extent on a failed device are not affected.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "famfs/devmem.h"
#include "famfs/sigbus.h"
#include "famfsd.h"

void famfsd_dax_sync(struct famfsd *fsd)
{
	struct famfs_fs *fs = fsd->fs;
	struct famfsd_daxdev *d;
	struct famfs_dev *dev;
	int expect;

	for (uint32_t i = 0; i < fs->devtab.ndevs && i < FAMFS_MAX_DAXDEVS; i++) {
		d = &fsd->dax[i];
		dev = famfs_fs_dev(fs, i);
		if (!__atomic_load_n(&d->valid, __ATOMIC_ACQUIRE)) {
			if (dev)
				snprintf(d->name, sizeof(d->name), "%.*s",
					 FAMFS_DAXDEV_NAME_MAX - 1, dev->path);
			__atomic_store_n(&d->state, dev ? FAMFSD_DAX_OK : FAMFSD_DAX_MISSING,
					 __ATOMIC_RELEASE);
			__atomic_store_n(&d->valid, true, __ATOMIC_RELEASE);
		} else if (dev && __atomic_load_n(&d->state, __ATOMIC_ACQUIRE) ==
			   FAMFSD_DAX_MISSING) {
			/* found later: the only way out of a failed state */
			snprintf(d->name, sizeof(d->name), "%.*s", FAMFS_DAXDEV_NAME_MAX - 1,
				 dev->path);
			expect = FAMFSD_DAX_MISSING;
			__atomic_compare_exchange_n(&d->state, &expect, FAMFSD_DAX_OK, false,
						    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
		} else {
			continue;
		}
		famfsd_bpf_dev_failed(fsd, i);
	}
}

int famfsd_find_devs(struct famfsd *fsd, const char *hint)
{
	struct famfs_devsearch *s;
	int n;

	pthread_rwlock_wrlock(&fsd->ns_lock);
	n = famfs_fs_search_begin(fsd->fs, &s);
	pthread_rwlock_unlock(&fsd->ns_lock);
	if (n < 0 || !s)
		return n;
	/* never a request to ourselves (with -s, no other thread would answer it) */
	famfs_devsearch_skip(s, fsd->mnt);
	famfs_devsearch_run(s, hint);
	pthread_rwlock_wrlock(&fsd->ns_lock);
	n = famfs_fs_search_end(fsd->fs, s);
	famfsd_dax_sync(fsd);
	pthread_rwlock_unlock(&fsd->ns_lock);
	return n;
}

int famfsd_dax_errno(struct famfsd *fsd, unsigned int idx)
{
	int st;

	if (idx >= FAMFS_MAX_DAXDEVS || !__atomic_load_n(&fsd->dax[idx].valid,
							 __ATOMIC_ACQUIRE))
		return -EIO;
	st = __atomic_load_n(&fsd->dax[idx].state, __ATOMIC_ACQUIRE);
	if (st == FAMFSD_DAX_POISONED)
		return -EHWPOISON;
	if (st == FAMFSD_DAX_VANISHED)
		return -EIO;
	if (st == FAMFSD_DAX_MISSING)
		return -ENODEV;
	return 0;
}

bool famfsd_dax_unreachable(struct famfsd *fsd, unsigned int idx)
{
	int st;

	if (idx >= FAMFS_MAX_DAXDEVS || !__atomic_load_n(&fsd->dax[idx].valid, __ATOMIC_ACQUIRE))
		return false;
	st = __atomic_load_n(&fsd->dax[idx].state, __ATOMIC_ACQUIRE);
	return st == FAMFSD_DAX_VANISHED || st == FAMFSD_DAX_MISSING;
}

int famfsd_dax_name(struct famfsd *fsd, unsigned int idx, char name[FAMFS_DAXDEV_NAME_MAX])
{
	if (idx >= FAMFS_MAX_DAXDEVS || !__atomic_load_n(&fsd->dax[idx].valid,
							 __ATOMIC_ACQUIRE))
		return -EINVAL;
	if (__atomic_load_n(&fsd->dax[idx].state, __ATOMIC_ACQUIRE) == FAMFSD_DAX_MISSING)
		return -ENODEV;
	memcpy(name, fsd->dax[idx].name, FAMFS_DAXDEV_NAME_MAX);
	return 0;
}

void famfsd_dax_list(struct famfsd *fsd, struct famfs_daxdev_list *l)
{
	struct famfs_fs *fs = fsd->fs;
	struct famfs_daxdev_wire *w;

	memset(l, 0, sizeof(*l));
	l->version = FAMFS_DAXDEV_LIST_VERSION;
	l->ndevs = fs->devtab.ndevs;
	for (uint32_t i = 0; i < fs->devtab.ndevs && i < FAMFS_MAX_DAXDEVS; i++) {
		w = &l->dev[i];
		memcpy(w->uuid, fs->devtab.dev[i].uuid, 16);
		w->size = fs->devtab.span[i].size;
		w->free = famfs_alloc_free_bytes(&fs->alloc.dev[i]);
		w->log_index = fs->devtab.dev[i].log_index;
		switch (famfsd_dax_errno(fsd, i)) {
		case 0: w->state = FAMFS_DAXDEV_OK; break;
		case -EHWPOISON: w->state = FAMFS_DAXDEV_POISONED; break;
		case -ENODEV: w->state = FAMFS_DAXDEV_MISSING; break;
		default: w->state = FAMFS_DAXDEV_FAILED; break;
		}
		if (w->state != FAMFS_DAXDEV_MISSING)
			snprintf(w->path, sizeof(w->path), "%s", fsd->dax[i].name);
		else
			snprintf(w->why, sizeof(w->why), "%.159s", fs->dev_why[i]);
	}
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

	if (idx >= FAMFS_MAX_DAXDEVS || !__atomic_load_n(&fsd->dax[idx].valid,
							 __ATOMIC_ACQUIRE))
		return -EINVAL;
	/* a missing device can still be poisoned: it stays failed once found */
	if (__atomic_load_n(&fsd->dax[idx].state, __ATOMIC_ACQUIRE) == FAMFSD_DAX_MISSING)
		expect = FAMFSD_DAX_MISSING;
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
		if (__atomic_load_n(&fsd->dax[i].valid, __ATOMIC_ACQUIRE) &&
		    famfsd_dax_errno(fsd, i))
			m |= 1ULL << i;
	return m;
}

unsigned int famfsd_dax_count(struct famfsd *fsd)
{
	unsigned int i, n = 0;

	for (i = 0; i < FAMFS_MAX_DAXDEVS; i++)
		n += __atomic_load_n(&fsd->dax[i].valid, __ATOMIC_ACQUIRE);
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
