// SPDX-License-Identifier: Apache-2.0
/*
 * bpf.c - famfsd's BPF mode (-o bpf): load the BPF resolver
 * (bpf/famfs_iomap.bpf.c), fill its device map at mount (standing in for
 * GET_DAXDEV), pin maps and programs in FAMFS_BPF_PIN_ROOT/dev-MAJ:MIN-ID
 * for the mount (ID: famfsd's random mount id, so that no later mount
 * with the same st_dev mistakes them for its own), drop the pins a dead
 * famfsd left under that st_dev, store each file's extents in the hash
 * map when OPEN is
 * handled (as in Joanne Koong's prototype), and remove the pins at
 * unmount. Clients (lib/bpfmount.c) then map files with no GET_FMAP upcall.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "famfs/err.h"
#include "famfs/mount.h"
#include "famfs/resolver.h"
#include "famfsd.h"

/* The loaded resolver: fsd->bpfr, only while -o bpf serves. */
struct famfsd_bpf {
	struct famfs_bpf r;
};

int famfsd_bpf_load(struct famfsd *fsd)
{
	struct famfsd_bpf *b = calloc(1, sizeof(*b));
	unsigned int i;
	int rc;

	if (!b) {
		fprintf(stderr, "famfsd: -o bpf: out of memory\n");
		return -ENOMEM;
	}
	famfs_errclear();
	rc = famfs_bpf_load(NULL, &b->r);
	if (rc) {
		fprintf(stderr, "famfsd: -o bpf: %s\n", *famfs_errmsg() ? famfs_errmsg() :
			strerror(-rc));
		free(b);
		return rc;
	}
	for (i = 0; i < FAMFS_MAX_DAXDEVS; i++) {
		if (!__atomic_load_n(&fsd->dax[i].valid, __ATOMIC_ACQUIRE))
			continue;
		rc = famfs_bpf_set_dev(&b->r, i, fsd->dax[i].name,
				       (uint32_t)famfsd_dax_errno(fsd, i) ? 1 : 0);
		if (rc) {
			fprintf(stderr, "famfsd: -o bpf: device map: %s\n", strerror(-rc));
			famfs_bpf_close(&b->r);
			free(b);
			return rc;
		}
	}
	fsd->bpfr = b;
	return 0;
}

/*
 * st_dev of the mount on @mnt, from the mount table: a stat() would send a
 * request to the server, which is not serving yet. The topmost mount wins.
 */
static int mount_dev(const char *mnt, uint64_t *dev)
{
	char real[PATH_MAX];
	struct famfs_mnt *m;
	int rc;

	if (!realpath(mnt, real))
		return -errno;
	m = malloc(sizeof(*m));
	if (!m)
		return -ENOMEM;
	rc = famfs_mnt_at(real, m);
	if (!rc)
		*dev = m->dev;
	free(m);
	return rc;
}

int famfsd_bpf_pin(struct famfsd *fsd, const char *mnt)
{
	uint64_t dev;
	int rc = mount_dev(mnt, &dev);

	if (rc) {
		fprintf(stderr, "famfsd: -o bpf: cannot find the mount %s in mountinfo: %s\n",
			mnt, strerror(-rc));
		return rc;
	}
	famfs_bpf_unpin_dev(dev, NULL);	/* a dead famfsd's, under this st_dev */
	famfs_bpf_pin_dir(dev, fsd->mount_id, fsd->bpf_dir, sizeof(fsd->bpf_dir));
	famfs_errclear();
	rc = famfs_bpf_pin(&fsd->bpfr->r, fsd->bpf_dir);
	if (rc) {
		fprintf(stderr, "famfsd: -o bpf: %s\n", *famfs_errmsg() ? famfs_errmsg() :
			strerror(-rc));
		fsd->bpf_dir[0] = '\0';
	}
	return rc;
}

void famfsd_bpf_clear_stale(const char *mnt)
{
	uint64_t dev;

	if (mount_dev(mnt, &dev))
		return;
	famfs_bpf_unpin_dev(dev, NULL);
}

void famfsd_bpf_open(struct famfsd *fsd, const struct famfs_node *n)
{
	struct famfs_omf_file *of;
	struct famfs_fmap *fm;

	if (!fsd->bpfr || !S_ISREG(n->mode))
		return;
	of = calloc(1, sizeof(*of));
	fm = malloc(sizeof(*fm));
	if (of && fm) {
		of->size = n->size;
		of->fmap = *n->fmap;
		/* A file that does not fit the value stays out: clients use GET_FMAP. */
		if (!famfs_fmap_from_omf(of, fm))
			famfs_bpf_set_file(&fsd->bpfr->r, n->ino, fm);
	}
	free(of);
	free(fm);
}

void famfsd_bpf_forget(struct famfsd *fsd, const struct famfs_node *n)
{
	if (fsd->bpfr)
		famfs_bpf_del_file(&fsd->bpfr->r, n->ino);
}

void famfsd_bpf_dev_failed(struct famfsd *fsd, unsigned int idx)
{
	int rc;

	if (!fsd->bpfr || idx >= FAMFS_MAX_DAXDEVS ||
	    !__atomic_load_n(&fsd->dax[idx].valid, __ATOMIC_ACQUIRE))
		return;
	rc = famfsd_dax_errno(fsd, idx);
	famfs_bpf_set_dev(&fsd->bpfr->r, idx, fsd->dax[idx].name,
			  rc == -EHWPOISON ? 1 : rc ? 2 : 0);
}

void famfsd_bpf_stop(struct famfsd *fsd)
{
	if (fsd->bpf_dir[0])
		famfs_bpf_unpin(fsd->bpf_dir);
	fsd->bpf_dir[0] = '\0';
	if (fsd->bpfr) {
		famfs_bpf_close(&fsd->bpfr->r);
		free(fsd->bpfr);
		fsd->bpfr = NULL;
	}
}
