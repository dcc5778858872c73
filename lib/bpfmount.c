// SPDX-License-Identifier: Apache-2.0
/*
 * bpfmount.c - the direct-access client on a famfsd -o bpf mount: find the
 * BPF maps famfsd pinned for the mount (opened once per mount per process
 * and cached by mount id), read a file's extents and the device names from
 * them instead of GET_FMAP and GET_DAXDEV, and hand the checked fmap to
 * the mapping code, which walks the BPF resolver over it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "famfs/err.h"
#include "famfs/omf.h"
#include "famfs/resolver.h"
#include "map_int.h"

#define BPF_MOUNTS	16
#ifndef STATX_MNT_ID_UNIQUE
#define STATX_MNT_ID_UNIQUE	0x00004000U
#endif

/* What this process knows of one mount, keyed by mount id. */
struct bpf_mount {
	uint64_t mnt_id;
	bool used;
	bool has_bpf;
	struct famfs_bpf h;	/* never closed: live maps reference it */
};

static struct bpf_mount bpf_mounts[BPF_MOUNTS];

/* The mount's BPF handle, or NULL when it has none (cached per mount id). */
static const struct famfs_bpf *bpf_mount_get(uint64_t mnt_id, uint64_t dev)
{
	char dir[256];
	struct bpf_mount *bm = NULL;
	unsigned int i;

	famfs_daxtab_lock();
	for (i = 0; i < BPF_MOUNTS; i++) {
		if (bpf_mounts[i].used && bpf_mounts[i].mnt_id == mnt_id) {
			bm = &bpf_mounts[i];
			goto out;
		}
	}
	for (i = 0; i < BPF_MOUNTS && bpf_mounts[i].used; i++)
		;
	if (i == BPF_MOUNTS) {
		famfs_daxtab_unlock();
		return NULL;	/* table full: GET_FMAP */
	}
	bm = &bpf_mounts[i];
	bm->used = true;
	bm->mnt_id = mnt_id;
	famfs_bpf_pin_dir(dev, dir, sizeof(dir));
	bm->has_bpf = famfs_bpf_open_pinned(dir, &bm->h) == 0;
out:
	famfs_daxtab_unlock();
	return bm->has_bpf ? &bm->h : NULL;
}

/* Slot @idx from the pinned device map, standing in for GET_DAXDEV. */
static int dax_learn_bpf(const struct famfs_bpf *h, unsigned int idx)
{
	struct famfs_bpf_dev d;
	int rc;

	if (idx >= FAMFS_MAX_DAXDEVS)
		return famfs_err(-EINVAL, "fmap: device index %u out of range", idx);
	rc = famfs_bpf_get_dev(h, idx, &d);
	if (rc)
		return famfs_err(rc, "BPF device map, slot %u: %s", idx, strerror(-rc));
	if (!d.valid || !d.name[0])
		return famfs_err(-EINVAL, "BPF device map: no device %u", idx);
	if (d.state)
		return famfs_err(d.state == 1 ? -EHWPOISON : -EIO, "device %u (%s) has failed",
				 idx, d.name);
	d.name[sizeof(d.name) - 1] = '\0';
	famfs_daxtab_set(idx, d.name);
	return 0;
}

int famfs_bpf_map_open(int fd, int flags, struct famfs_map **out)
{
	const struct famfs_bpf *h;
	struct famfs_bpf_file v;
	struct famfs_fmap *f;
	struct statx stx;
	uint8_t *buf = NULL;
	uint64_t bits, dev;
	unsigned int i;
	ssize_t n;
	int err;
	const char *no = getenv("FAMFS_NO_BPF");

	if (no && *no && *no != '0')
		return -EAGAIN;
	/* The unique mount id (6.8+): the legacy one is reused after unmount. */
	memset(&stx, 0, sizeof(stx));
	if (syscall(SYS_statx, fd, "", AT_EMPTY_PATH, STATX_INO | STATX_TYPE |
		    STATX_MNT_ID_UNIQUE, &stx) || !(stx.stx_mask & STATX_MNT_ID_UNIQUE) ||
	    !S_ISREG(stx.stx_mode))
		return -EAGAIN;
	dev = makedev(stx.stx_dev_major, stx.stx_dev_minor);
	h = bpf_mount_get(stx.stx_mnt_id, dev);
	if (!h || famfs_bpf_get_file(h, stx.stx_ino, &v))
		return -EAGAIN;
	f = malloc(sizeof(*f));
	buf = malloc(FAMFS_FMAP_MSG_MAX);
	if (!f || !buf) {
		err = -ENOMEM;
		goto out;
	}
	/* The kernel's fmap rules, exactly as a GET_FMAP reply would get them. */
	famfs_bpf_file_decode(&v, f);
	n = famfs_fmap_encode(f, buf, FAMFS_FMAP_MSG_MAX);
	err = n < 0 ? (int)n : famfs_fmap_decode(buf, (size_t)n, f);
	if (err) {
		if (!famfs_errmsg()[0])
			famfs_err(err, "BPF map entry of inode %llu is invalid",
				  (unsigned long long)stx.stx_ino);
		goto out;
	}
	for (bits = f->dev_bitmap, i = 0; bits; bits >>= 1, i++) {
		if (!(bits & 1))
			continue;
		err = dax_learn_bpf(h, i);
		if (err)
			goto out;
	}
	err = famfs_map_build_from(f, flags, famfs_daxtab_devfd, NULL, h, stx.stx_ino, out);
	if (!err)
		(*out)->fd = fd;
out:
	free(buf);
	free(f);
	return err;
}
