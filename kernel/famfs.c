// SPDX-License-Identifier: GPL-2.0
/*
 * famfs.c - famfs inside fs/fuse, protocol side: INIT negotiation of
 * FUSE_DAX_FMAP, GET_FMAP after a regular file's OPEN (decoded and validated
 * by lib/fmap.c, the same code user space fuzzes), GET_DAXDEV for each
 * device a map names, the per-connection daxdev table, the checks against
 * the device size, installing the map on the inode, teardown, and the
 * fusectl "famfs_poison" file that stands in for notify_failure.
 *
 * The wire format and errnos are those of the V10 famfs-fuse patches; the
 * differences are listed in docs/kernel.md.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/fs_struct.h>
#include <linux/pagemap.h>
#include <linux/path.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "fuse_i.h"
#include "famfs/fmap.h"

/*
 * INIT: offer FUSE_DAX_FMAP only to a mounter with CAP_SYS_RAWIO, as V10,
 * and only for a mount owned by root: fusermount3 mounts for ordinary users
 * with root's capabilities, and such a server must not be able to point the
 * kernel at device memory.
 */
bool fuse_famfs_offer(struct fuse_conn *fc)
{
	return capable(CAP_SYS_RAWIO) && uid_eq(fc->user_id, GLOBAL_ROOT_UID);
}

/*
 * INIT reply: famfs is on only if the server accepted what we offered, and
 * only for a server that holds CAP_SYS_RAWIO itself. The reply is processed
 * in the context of the process that wrote it to /dev/fuse, and that need
 * not be the mounter: mount.fuse3 -o drop_privileges, or any helper that
 * mounts and hands the /dev/fuse descriptor on, leaves a server without
 * the capability on a mount owned by root. Such a server must not name
 * devices for the kernel to map. virtio-fs replies arrive in a kworker,
 * with no server process to check, so famfs is /dev/fuse only.
 */
void fuse_famfs_init_reply(struct fuse_conn *fc, u64 offered, u64 accepted)
{
	struct famfs_conn *c;

	if (!(offered & FUSE_DAX_FMAP) || !(accepted & FUSE_DAX_FMAP))
		return;
	if (fc->iq.ops != &fuse_dev_fiq_ops)
		return;
	if (!capable(CAP_SYS_RAWIO)) {
		pr_notice_ratelimited("famfs: the server (pid %d) accepted FUSE_DAX_FMAP without CAP_SYS_RAWIO: refused\n",
				      task_tgid_vnr(current));
		return;
	}
	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return;
	mutex_init(&c->lock);
	get_fs_root(current->fs, &c->root);
	c->cred = get_current_cred();
	fc->famfs = c;
	fc->famfs_iomap = 1;
}

/* The published slot @idx of @fc, or NULL. */
struct famfs_kdev *famfs_kdev(struct fuse_conn *fc, u64 idx)
{
	struct famfs_conn *c = smp_load_acquire(&fc->famfs);

	if (!c || idx >= FAMFS_KDEVS)
		return NULL;
	return smp_load_acquire(&c->dev[idx]);
}

/*
 * GET_DAXDEV @idx (the index travels in nodeid) and open the device it
 * names. The reply must be exactly 280 bytes (the fuse core enforces it)
 * with a NUL-terminated name (famfs_daxdev_out_decode).
 */
static int famfs_get_daxdev(struct fuse_mount *fm, struct famfs_conn *c, unsigned int idx)
{
	u8 *buf;
	struct famfs_kdev *dev;
	u16 index;
	int rc;
	FUSE_ARGS(args);

	buf = kzalloc(FAMFS_DAXDEV_OUT_SIZE, GFP_KERNEL);
	dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	if (!buf || !dev) {
		rc = -ENOMEM;
		goto out;
	}
	args.opcode = FUSE_GET_DAXDEV;
	args.nodeid = idx;
	args.out_numargs = 1;
	args.out_args[0].size = FAMFS_DAXDEV_OUT_SIZE;
	args.out_args[0].value = buf;
	rc = fuse_simple_request(fm, &args);
	if (rc < 0)
		goto out;
	rc = famfs_daxdev_out_decode(buf, FAMFS_DAXDEV_OUT_SIZE, &index, dev->name);
	if (rc)
		goto out;

	mutex_lock(&c->lock);
	if (c->dev[idx]) {		/* another opener got there first */
		mutex_unlock(&c->lock);
		rc = 0;
		goto out;
	}
	rc = famfs_kdev_open(c, dev->name, dev);
	if (!rc) {
		smp_store_release(&c->dev[idx], dev);
		dev = NULL;
	} else {
		pr_notice_ratelimited("famfs: daxdev %u (%s): %d\n", idx, dev->name, rc);
	}
	mutex_unlock(&c->lock);
out:
	kfree(dev);
	kfree(buf);
	return rc;
}

/*
 * Every extent or strip must lie inside its device, and every byte the
 * resolver can reach inside its strip (famfs_fmap_check_bounds). V10
 * checks neither; without them a map could reach memory past the device,
 * or another file's memory.
 */
static int famfs_check_bounds(struct fuse_conn *fc, const struct famfs_fmap *f)
{
	u64 size[FAMFS_KDEVS] = { 0 };
	struct famfs_kdev *dev;
	unsigned int i;
	int rc;

	BUILD_BUG_ON(FAMFS_KDEVS != FAMFS_MAX_DAXDEVS);
	for (i = 0; i < FAMFS_KDEVS; i++) {
		dev = famfs_kdev(fc, i);
		if (dev)
			size[i] = dev->size;
	}
	rc = famfs_fmap_check_bounds(f, size);
	if (rc)
		pr_notice_ratelimited("famfs: fmap rejected: an extent or strip reaches outside its device or strip (%d)\n",
				      rc);
	return rc;
}

/* Fetch, validate and install the map of a regular file at open. */
static int famfs_fetch_meta(struct inode *inode, struct famfs_meta **out)
{
	struct fuse_mount *fm = get_fuse_mount(inode);
	struct fuse_conn *fc = fm->fc;
	struct famfs_meta *meta;
	struct famfs_conn *c;
	unsigned int i;
	u8 *buf;
	int rc;
	FUSE_ARGS(args);

	buf = kmalloc(FAMFS_FMAP_MSG_MAX, GFP_KERNEL);
	meta = kzalloc(sizeof(*meta), GFP_KERNEL);
	if (meta)
		meta->fmap = kvzalloc(sizeof(*meta->fmap), GFP_KERNEL);
	if (!buf || !meta || !meta->fmap) {
		rc = -ENOMEM;
		goto fail;
	}
	args.opcode = FUSE_GET_FMAP;
	args.nodeid = get_node_id(inode);
	args.out_numargs = 1;
	args.out_argvar = true;
	args.out_args[0].size = FAMFS_FMAP_MSG_MAX;
	args.out_args[0].value = buf;
	rc = fuse_simple_request(fm, &args);
	if (rc < 0)
		goto fail;
	rc = famfs_fmap_decode(buf, rc, meta->fmap);
	if (rc) {
		pr_info_ratelimited("famfs: nodeid %llu: fmap rejected (%d)\n",
				    get_node_id(inode), rc);
		goto fail;
	}
	c = fc->famfs;
	for (i = 0; i < FAMFS_KDEVS; i++) {
		if (!(meta->fmap->dev_bitmap & (1ULL << i)) || famfs_kdev(fc, i))
			continue;
		rc = famfs_get_daxdev(fm, c, i);
		if (rc)
			goto fail;
	}
	rc = famfs_check_bounds(fc, meta->fmap);
	if (rc)
		goto fail;
	kfree(buf);
	*out = meta;
	return 0;
fail:
	kfree(buf);
	if (meta)
		kvfree(meta->fmap);
	kfree(meta);
	return rc;
}

/*
 * Called after a successful OPEN (end of fuse_open_common()) or CREATE
 * (fuse_create_open()). A famfs connection fetches each regular file's map
 * once per inode; a failure fails the open(2) with that errno (the server
 * gets RELEASE).
 *
 * The map is only installed on an inode whose page cache is empty and
 * unmapped. S_DAX over a page cache would make the mm take its pages and
 * shadow entries for DAX entries (truncate would "disassociate" pfns made
 * of shadow bits). Every open of a famfs connection gets the map before
 * it can fill a page cache, so this refuses (EBUSY) only a server that
 * gave a file to the page cache without famfs.
 */
int fuse_famfs_open(struct inode *inode, struct file *file)
{
	struct fuse_inode *fi = get_fuse_inode(inode);
	struct famfs_meta *meta;
	int rc = 0;

	if (!get_fuse_conn(inode)->famfs_iomap || !S_ISREG(inode->i_mode))
		return 0;
	if (smp_load_acquire(&fi->famfs_meta))
		return 0;
	rc = famfs_fetch_meta(inode, &meta);
	if (rc)
		return rc;
	inode_lock(inode);
	if (fi->famfs_meta) {		/* the first map wins */
		kvfree(meta->fmap);
		kfree(meta);
	} else if (!mapping_empty(inode->i_mapping) || mapping_mapped(inode->i_mapping)) {
		pr_notice_ratelimited("famfs: nodeid %llu has a page cache: no map\n",
				      get_node_id(inode));
		kvfree(meta->fmap);
		kfree(meta);
		rc = -EBUSY;
	} else {
		i_size_write(inode, meta->fmap->file_size);
		smp_store_release(&fi->famfs_meta, meta);
		/* after the map: FUSE_IS_DAX() must never see S_DAX alone */
		inode->i_flags |= S_DAX;
	}
	inode_unlock(inode);
	return rc;
}

void fuse_famfs_free_inode(struct inode *inode)
{
	struct famfs_meta *meta = get_fuse_inode(inode)->famfs_meta;

	if (meta) {
		kvfree(meta->fmap);
		kfree(meta);
	}
}

/* From fuse_conn_put(): nothing can use the table any more. */
void fuse_famfs_conn_free(struct fuse_conn *fc)
{
	struct famfs_conn *c = fc->famfs;
	unsigned int i;

	if (!c)
		return;
	for (i = 0; i < FAMFS_KDEVS; i++) {
		if (!c->dev[i])
			continue;
		famfs_kdev_close(c->dev[i]);
		kfree(c->dev[i]);
	}
	path_put(&c->root);
	put_cred(c->cred);
	kfree(c);
	fc->famfs = NULL;
}

/*
 * /sys/fs/fuse/connections/N/famfs_poison: write a device index to block
 * that whole device, as V10 does when fsdev_dax reports a memory failure.
 * Stock 6.1 devdax reports none to anyone, so famfsd writes here when it
 * is told (famfs poison); a machine check during the module's own copy
 * blocks the device the same way. Sticky until the connection goes away.
 */
static ssize_t famfs_poison_write(struct file *file, const char __user *ubuf,
				  size_t count, loff_t *ppos)
{
	struct fuse_conn *fc;
	struct famfs_kdev *dev;
	unsigned int idx;
	int rc;

	rc = kstrtouint_from_user(ubuf, count, 0, &idx);
	if (rc)
		return rc;
	mutex_lock(&fuse_mutex);
	fc = file_inode(file)->i_private;
	if (fc)
		fc = fuse_conn_get(fc);
	mutex_unlock(&fuse_mutex);
	if (!fc)
		return -ENOTCONN;
	if (!fc->famfs_iomap) {
		rc = -EOPNOTSUPP;
	} else if (idx >= FAMFS_KDEVS) {
		rc = -EINVAL;
	} else {
		/*
		 * ENOENT: the kernel has not opened that device; famfsd
		 * refuses GET_FMAP for its files itself.
		 */
		dev = famfs_kdev(fc, idx);
		rc = dev ? 0 : -ENOENT;
		if (dev) {
			WRITE_ONCE(dev->poisoned, 1);
			pr_warn("famfs: daxdev %u (%s) blocked: poison\n", idx, dev->name);
		}
	}
	fuse_conn_put(fc);
	return rc ? rc : count;
}

const struct file_operations fuse_famfs_poison_ops = {
	.open = nonseekable_open,
	.write = famfs_poison_write,
	.llseek = no_llseek,
};
