// SPDX-License-Identifier: GPL-2.0
/*
 * famfs_dax.c - famfs inside fs/fuse, data side: opening a devdax device
 * in the kernel, and serving read_iter, write_iter, mmap and 4 KiB / 2 MiB
 * faults of famfs files straight from its memory, with no page cache and
 * no upcall.
 *
 * Stock 6.1 has no fsdev_dax, and a devdax device's dax_device has no
 * direct_access operations, so the fs/dax iomap helpers cannot serve it.
 * Instead this does what drivers/dax/device.c does for /dev/daxX.Y itself:
 * it reads the device's physical ranges (struct dev_dax, from
 * dax-private.h of the exact kernel version), inserts devmap pfns at fault
 * time (a PMD when the 2 MiB lies in one extent or chunk and one physical
 * range, else a PTE), and copies read/write data to and from the kernel's
 * direct map of that memory (devdax memory is hot-plugged into it by
 * memremap_pages), machine-check safely. The device is opened like any
 * file, not claimed: mkfs, fsck, famfsd and other hosts keep using it. See
 * docs/kernel.md.
 */
#include <linux/cred.h>
#include <linux/dax.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/huge_mm.h>
#include <linux/libnvdimm.h>
#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pagemap.h>
#include <linux/pfn_t.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uio.h>
#include <asm/io.h>

#include "fuse_i.h"
#include "famfs/fmap.h"
#include "dax-private.h"

/* ---- the device ---- */

/*
 * Open @name, which must be an absolute path to a char device bound to
 * device_dax, copy its physical ranges into @dev and pin its pagemap, so
 * that the memory cannot be unplugged under a mapping (unbinding the
 * device waits for the pin to go at unmount).
 *
 * The name is the server's, so it is resolved as the server sees it: from
 * its root, with its credentials (@c, taken when it accepted
 * FUSE_DAX_FMAP). This runs in the process that opened a famfs file, whose
 * root, working directory and mount namespace are its own: an unprivileged
 * opener that binds another device over /dev/dax0.0 in a namespace of its
 * own must not make the kernel map that device for every user of the
 * mount. Errnos as V10's verify/acquire: -EINVAL a relative name or not a
 * char device, -EACCES nodev mount, -EOPNOTSUPP not devdax, -ENODEV dead.
 */
int famfs_kdev_open(const struct famfs_conn *c, const char *name, struct famfs_kdev *dev)
{
	const struct cred *old;
	struct dev_dax *dev_dax;
	struct file *pathf, *filp;
	const struct path *path;
	int i, rc;

	if (name[0] != '/')
		return -EINVAL;
	/* O_PATH: only the lookup, the device itself is not opened yet */
	old = override_creds(c->cred);
	pathf = file_open_root(&c->root, name, O_PATH, 0);
	revert_creds(old);
	if (IS_ERR(pathf))
		return PTR_ERR(pathf);
	path = &pathf->f_path;
	rc = 0;
	if (!S_ISCHR(d_backing_inode(path->dentry)->i_mode))
		rc = -EINVAL;
	else if ((path->mnt->mnt_flags & MNT_NODEV) ||
		 (path->mnt->mnt_sb->s_iflags & SB_I_NODEV))
		rc = -EACCES;
	filp = rc ? ERR_PTR(rc) : dentry_open(path, O_RDWR | O_LARGEFILE, c->cred);
	fput(pathf);
	if (IS_ERR(filp))
		return PTR_ERR(filp);
	if (!filp->f_op || !filp->f_op->owner ||
	    strcmp(module_name(filp->f_op->owner), "device_dax") || !filp->private_data) {
		fput(filp);
		return -EOPNOTSUPP;
	}
	dev_dax = filp->private_data;

	/* The driver cannot be unbound (nor the ranges change) under us. */
	device_lock(&dev_dax->dev);
	rc = -ENODEV;
	if (!dev_dax->dev.driver || !dax_alive(dev_dax->dax_dev) || dev_dax->nr_range < 1)
		goto unlock;
	rc = -ENOMEM;
	dev->ranges = kcalloc(dev_dax->nr_range, sizeof(*dev->ranges), GFP_KERNEL);
	if (!dev->ranges)
		goto unlock;
	dev->nranges = dev_dax->nr_range;
	dev->size = 0;
	for (i = 0; i < dev_dax->nr_range; i++) {
		struct dev_dax_range *r = &dev_dax->ranges[i];

		dev->ranges[i].devoff = (u64)r->pgoff << PAGE_SHIFT;
		dev->ranges[i].phys = r->range.start;
		dev->ranges[i].len = range_len(&r->range);
		dev->size += dev->ranges[i].len;
	}
	rc = -ENODEV;
	dev->pgmap = get_dev_pagemap(PHYS_PFN(dev->ranges[0].phys), NULL);
	if (!dev->pgmap)
		goto unlock;
	rc = 0;
unlock:
	device_unlock(&dev_dax->dev);
	if (rc) {
		kfree(dev->ranges);
		dev->ranges = NULL;
		fput(filp);
		return rc;
	}
	dev->filp = filp;
	return 0;
}

void famfs_kdev_close(struct famfs_kdev *dev)
{
	put_dev_pagemap(dev->pgmap);
	kfree(dev->ranges);
	if (dev->filp)
		fput(dev->filp);
}

/*
 * The physical address of device bytes [devoff, devoff + *len); *len is cut
 * to what is contiguous in one range. -1 if devoff is outside the device.
 */
static phys_addr_t famfs_kdev_phys(const struct famfs_kdev *dev, u64 devoff, u64 *len)
{
	int i;

	for (i = 0; i < dev->nranges; i++) {
		const struct famfs_krange *r = &dev->ranges[i];

		if (devoff < r->devoff || devoff - r->devoff >= r->len)
			continue;
		*len = min(*len, r->len - (devoff - r->devoff));
		return r->phys + (devoff - r->devoff);
	}
	return (phys_addr_t)-1;
}

/* ---- the file ---- */

static struct famfs_meta *famfs_meta(struct inode *inode)
{
	return smp_load_acquire(&get_fuse_inode(inode)->famfs_meta);
}

/*
 * V10's famfs_file_bad(): -EIO without a map or once the file is dead;
 * a size that no longer matches the map kills the file for good (-ENXIO).
 */
static int famfs_file_bad(struct inode *inode, struct famfs_meta *meta)
{
	if (!meta || READ_ONCE(meta->error))
		return -EIO;
	if (i_size_read(inode) != meta->fmap->file_size) {
		WRITE_ONCE(meta->error, 1);
		pr_notice_ratelimited("famfs: nodeid %llu: size changed to %lld, map says %llu: file disabled\n",
				      get_node_id(inode), i_size_read(inode),
				      meta->fmap->file_size);
		return -ENXIO;
	}
	if (!IS_DAX(inode))
		return -ENXIO;
	return 0;
}

/*
 * Resolve file bytes [pos, pos + len) to one contiguous piece of device
 * memory: *dev and *phys, with *len cut to the piece. -EIO past the map or
 * on a missing slot, -EHWPOISON on a blocked device.
 */
static int famfs_resolve(struct inode *inode, struct famfs_meta *meta, u64 pos, u64 *len,
			 struct famfs_kdev **devp, phys_addr_t *phys)
{
	struct famfs_iomap io;
	struct famfs_kdev *dev;
	int rc;

	rc = famfs_fmap_resolve(meta->fmap, pos, *len, &io);
	if (rc)
		return rc;
	dev = famfs_kdev(get_fuse_conn(inode), io.devindex);
	if (!dev)
		return -EIO;
	if (READ_ONCE(dev->poisoned))
		return -EHWPOISON;
	*len = io.length;
	*phys = famfs_kdev_phys(dev, io.addr, len);
	if (*phys == (phys_addr_t)-1)
		return -EIO;
	*devp = dev;
	return 0;
}

/* After a short machine-check-safe copy: was it poison at @src? */
static bool famfs_is_poison(const void *src)
{
	u8 probe[64];

	return copy_mc_to_kernel(probe, PTR_ALIGN_DOWN(src, 64), sizeof(probe)) != 0;
}

ssize_t fuse_famfs_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct inode *inode = file_inode(iocb->ki_filp);
	struct famfs_meta *meta = famfs_meta(inode);
	struct famfs_kdev *dev;
	u64 pos = iocb->ki_pos, size, count, done = 0, n;
	phys_addr_t phys;
	size_t got;
	void *kaddr;
	int rc;

	rc = famfs_file_bad(inode, meta);
	if (rc)
		return rc;
	size = i_size_read(inode);
	if (iocb->ki_pos < 0 || pos >= size || !iov_iter_count(to))
		return 0;
	count = min_t(u64, iov_iter_count(to), size - pos);
	while (done < count) {
		n = count - done;
		rc = famfs_resolve(inode, meta, pos + done, &n, &dev, &phys);
		if (rc)
			break;
		kaddr = phys_to_virt(phys);
		/* another host may have written it: drop our cached lines */
		arch_invalidate_pmem(kaddr, n);
		got = _copy_mc_to_iter(kaddr, n, to);
		done += got;
		if (got < n) {
			if (famfs_is_poison(kaddr + got)) {
				WRITE_ONCE(dev->poisoned, 1);
				pr_warn("famfs: daxdev %s blocked: machine check at %pa\n",
					dev->name, &phys);
				rc = -EHWPOISON;
			} else {
				rc = -EFAULT;
			}
			break;
		}
	}
	iocb->ki_pos = pos + done;
	return done ? done : rc;
}

/*
 * Writes never extend, allocate or upcall. A write starting at or past
 * EOF is -EFBIG (as famfsd answers FUSE WRITE); one crossing EOF is cut.
 * The stores bypass the CPU cache (non-temporal), for other hosts to see.
 * Non-temporal stores are weakly ordered, even with each other, and sit in
 * this CPU's write-combining buffers until a fence: the fence before
 * returning makes a write(2) that returned visible to other hosts before
 * anything this thread does next, as famfsd's FUSE WRITE does. famfsd's
 * FSYNC cannot do it for us: its fence runs on another CPU.
 */
ssize_t fuse_famfs_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct inode *inode = file_inode(iocb->ki_filp);
	struct famfs_meta *meta = famfs_meta(inode);
	struct famfs_kdev *dev;
	u64 pos, size, count, done = 0, n;
	phys_addr_t phys;
	ssize_t ret;
	size_t got;
	int rc;

	rc = famfs_file_bad(inode, meta);
	if (rc)
		return rc;
	ret = generic_write_checks(iocb, from);
	if (ret <= 0)
		return ret;
	pos = iocb->ki_pos;
	size = i_size_read(inode);
	if (pos >= size)
		return -EFBIG;
	count = min_t(u64, iov_iter_count(from), size - pos);
	while (done < count) {
		n = count - done;
		rc = famfs_resolve(inode, meta, pos + done, &n, &dev, &phys);
		if (rc)
			break;
		got = _copy_from_iter_flushcache(phys_to_virt(phys), n, from);
		done += got;
		if (got < n) {
			rc = -EFAULT;
			break;
		}
	}
	if (done)
		wmb();		/* sfence: drain the non-temporal stores */
	iocb->ki_pos = pos + done;
	return done ? done : rc;
}

/* ---- mmap and faults ---- */

static vm_fault_t famfs_err_fault(int rc)
{
	return rc == -ENOMEM ? VM_FAULT_OOM : VM_FAULT_SIGBUS;
}

/*
 * A 4 KiB fault. A write fault in a private mapping gets the device page
 * read-only; the write then faults again and the core copies it (COW).
 */
static vm_fault_t famfs_pte_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct inode *inode = file_inode(vma->vm_file);
	struct famfs_meta *meta = famfs_meta(inode);
	bool write = (vmf->flags & FAULT_FLAG_WRITE) && (vma->vm_flags & VM_SHARED);
	struct famfs_kdev *dev;
	u64 pos = (u64)vmf->pgoff << PAGE_SHIFT, n = PAGE_SIZE;
	phys_addr_t phys;
	pfn_t pfn;
	int rc;

	rc = famfs_file_bad(inode, meta);
	if (rc)
		return famfs_err_fault(rc);
	if (pos >= round_up(i_size_read(inode), PAGE_SIZE))
		return VM_FAULT_SIGBUS;
	rc = famfs_resolve(inode, meta, pos, &n, &dev, &phys);
	if (rc)
		return famfs_err_fault(rc);
	if (n < PAGE_SIZE)
		return VM_FAULT_SIGBUS;
	pfn = phys_to_pfn_t(phys, PFN_DEV | PFN_MAP);
	if (write)
		return vmf_insert_mixed_mkwrite(vma, vmf->address & PAGE_MASK, pfn);
	return vmf_insert_mixed(vma, vmf->address & PAGE_MASK, pfn);
}

/*
 * A 2 MiB fault: only when the aligned 2 MiB of the file lies in one extent
 * or chunk, inside the file's pages, in one physical range, and the
 * mapping is shared. Otherwise the core falls back to 4 KiB faults.
 */
static vm_fault_t famfs_pmd_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct inode *inode = file_inode(vma->vm_file);
	struct famfs_meta *meta = famfs_meta(inode);
	unsigned long addr = vmf->address & PMD_MASK;
	bool write = vmf->flags & FAULT_FLAG_WRITE;
	struct famfs_kdev *dev;
	phys_addr_t phys;
	pgoff_t pgoff;
	u64 pos, n = PMD_SIZE;
	int rc;

	if (addr < vma->vm_start || addr + PMD_SIZE > vma->vm_end)
		return VM_FAULT_FALLBACK;
	if (write && !(vma->vm_flags & VM_SHARED))
		return VM_FAULT_FALLBACK;
	pgoff = linear_page_index(vma, addr);
	if (pgoff & ((PMD_SIZE >> PAGE_SHIFT) - 1))
		return VM_FAULT_FALLBACK;
	rc = famfs_file_bad(inode, meta);
	if (rc)
		return famfs_err_fault(rc);
	pos = (u64)pgoff << PAGE_SHIFT;
	if (pos + PMD_SIZE > round_up(i_size_read(inode), PAGE_SIZE))
		return VM_FAULT_FALLBACK;
	rc = famfs_resolve(inode, meta, pos, &n, &dev, &phys);
	if (rc == -EHWPOISON)
		return VM_FAULT_SIGBUS;
	if (rc || n < PMD_SIZE || (phys & (PMD_SIZE - 1)))
		return VM_FAULT_FALLBACK;
	return vmf_insert_pfn_pmd(vmf, phys_to_pfn_t(phys, PFN_DEV | PFN_MAP), write);
}

static vm_fault_t famfs_huge_fault(struct vm_fault *vmf, enum page_entry_size pe_size)
{
	switch (pe_size) {
	case PE_SIZE_PTE:
		return famfs_pte_fault(vmf);
	case PE_SIZE_PMD:
		return famfs_pmd_fault(vmf);
	default:
		return VM_FAULT_FALLBACK;
	}
}

static vm_fault_t famfs_fault(struct vm_fault *vmf)
{
	return famfs_pte_fault(vmf);
}

static const struct vm_operations_struct famfs_vm_ops = {
	.fault = famfs_fault,
	.huge_fault = famfs_huge_fault,
};

int fuse_famfs_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct inode *inode = file_inode(file);
	int rc = famfs_file_bad(inode, famfs_meta(inode));

	if (rc)
		return rc;
	vma->vm_ops = &famfs_vm_ops;
	vma->vm_flags |= VM_HUGEPAGE;
	return 0;
}

