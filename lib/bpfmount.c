// SPDX-License-Identifier: Apache-2.0
/*
 * bpfmount.c - the direct-access client on a famfsd -o bpf mount: open
 * the BPF maps famfsd pinned for the mount (once per mount per process,
 * kept in the mount's context, mntctx.c), found by the mount's st_dev and
 * the mount id its famfsd reported (INFO), so that pins a dead famfsd left
 * under a reused st_dev are never taken (they are removed when the process
 * may: bpffs is root's), read (through read-only descriptors) a file's
 * extents and the
 * device names from them instead of GET_FMAP and GET_DAXDEV, and hand the
 * checked fmap to the mapping code, which walks the BPF resolver over it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "famfs/err.h"
#include "famfs/omf.h"
#include "famfs/resolver.h"
#include "map_int.h"

/* @c's BPF maps, or NULL when the mount has none (tried once per context). */
static const struct famfs_bpf *mount_bpf(struct famfs_mctx *c)
{
	char dir[256];
	struct famfs_bpf h;
	bool has;

	famfs_mctx_lock();
	if (c->bpf_tried) {
		has = c->has_bpf;
		famfs_mctx_unlock();
		return has ? &c->bpf : NULL;
	}
	famfs_mctx_unlock();
	/* Pins of this st_dev under another mount id are a dead famfsd's. */
	famfs_bpf_unpin_dev(c->dev, c->mount_id);
	famfs_bpf_pin_dir(c->dev, c->mount_id, dir, sizeof(dir));
	has = famfs_bpf_open_pinned_ro(dir, &h) == 0;
	famfs_mctx_lock();
	if (!c->bpf_tried) {
		c->bpf_tried = true;
		c->has_bpf = has;
		if (has)
			c->bpf = h;
		has = false;	/* kept: nothing to close */
	}
	famfs_mctx_unlock();
	if (has)
		famfs_bpf_close(&h);	/* another thread was faster */
	return c->has_bpf ? &c->bpf : NULL;
}

/* Slot @idx from the pinned device map, standing in for GET_DAXDEV. */
static int dax_learn_bpf(struct famfs_mctx *c, const struct famfs_bpf *h, unsigned int idx)
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
	famfs_mctx_set_dev(c, idx, d.name);
	return 0;
}

int famfs_bpf_map_open(struct famfs_mctx *c, int fd, int flags, struct famfs_map **out)
{
	const struct famfs_bpf *h;
	struct famfs_bpf_file v;
	struct famfs_fmap *f;
	struct statx stx;
	uint8_t *buf = NULL;
	uint64_t bits;
	unsigned int i;
	ssize_t n;
	int err;
	const char *no = getenv("FAMFS_NO_BPF");

	if (no && *no && *no != '0')
		return -EAGAIN;
	memset(&stx, 0, sizeof(stx));
	if (syscall(SYS_statx, fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC,
		    STATX_INO | STATX_TYPE, &stx) || !S_ISREG(stx.stx_mode))
		return -EAGAIN;
	h = mount_bpf(c);
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
		err = dax_learn_bpf(c, h, i);
		if (err)
			goto out;
	}
	err = famfs_map_build_mctx(f, flags, c, h, stx.stx_ino, out);
	if (!err)
		(*out)->fd = fd;
out:
	free(buf);
	free(f);
	return err;
}
