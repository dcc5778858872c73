/* SPDX-License-Identifier: GPL-2.0 */
/*
 * famfs_fuse.h - famfs inside fs/fuse: the V10 protocol constants that
 * Debian's 6.1 uapi/linux/fuse.h lacks, the per-connection daxdev table,
 * the per-inode file map, and the entry points the hooks in fs/fuse call
 * (see fuse-famfs.patch). Included by fuse_i.h.
 */
#ifndef _FS_FUSE_FAMFS_FUSE_H
#define _FS_FUSE_FAMFS_FUSE_H

#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/path.h>
#include <linux/types.h>
#include <linux/uio.h>

/* V10 uAPI: INIT flag (bit 11 of flags2) and opcodes. */
#define FUSE_DAX_FMAP		(1ULL << 43)
#define FUSE_GET_FMAP		54
#define FUSE_GET_DAXDEV		55

#define FAMFS_KDEVS		24	/* daxdev slots per connection */

struct fuse_conn;
struct fuse_mount;
struct famfs_fmap;

/* One contiguous piece of a devdax device: [devoff, devoff + len) at phys. */
struct famfs_krange {
	u64 devoff;
	phys_addr_t phys;
	u64 len;
};

/*
 * A daxdev slot. Everything is fixed once the slot is published, except
 * @poisoned, which only ever goes from 0 to 1.
 */
struct famfs_kdev {
	struct file *filp;		/* the open devdax char device */
	struct dev_pagemap *pgmap;	/* pinned: the memory stays plugged */
	u64 size;
	int nranges;
	struct famfs_krange *ranges;
	int poisoned;			/* sticky; READ_ONCE/WRITE_ONCE */
	char name[256];
};

/*
 * The per-connection famfs state, allocated when the server accepts
 * FUSE_DAX_FMAP. GET_DAXDEV names are resolved from the server's root and
 * opened with the server's credentials, both taken at that moment, never
 * in the context of whichever process happens to open a file.
 */
struct famfs_conn {
	struct mutex lock;		/* serialises slot installs */
	struct path root;		/* the server's root directory */
	const struct cred *cred;	/* the server's credentials */
	struct famfs_kdev *dev[FAMFS_KDEVS];	/* smp_store_release'd */
};

/* A file's map, installed once per inode and freed with it. */
struct famfs_meta {
	int error;			/* sticky: the file is dead (-ENXIO) */
	struct famfs_fmap *fmap;
};

/* famfs.c: protocol, daxdev table, install, teardown, poison */
bool fuse_famfs_offer(struct fuse_conn *fc);
void fuse_famfs_init_reply(struct fuse_conn *fc, u64 offered, u64 accepted);
int fuse_famfs_open(struct inode *inode, struct file *file);
void fuse_famfs_free_inode(struct inode *inode);
void fuse_famfs_conn_free(struct fuse_conn *fc);
struct famfs_kdev *famfs_kdev(struct fuse_conn *fc, u64 idx);
extern const struct file_operations fuse_famfs_poison_ops;

/* famfs_dax.c: device access and the data path */
int famfs_kdev_open(const struct famfs_conn *c, const char *name, struct famfs_kdev *dev);
void famfs_kdev_close(struct famfs_kdev *dev);
ssize_t fuse_famfs_read_iter(struct kiocb *iocb, struct iov_iter *to);
ssize_t fuse_famfs_write_iter(struct kiocb *iocb, struct iov_iter *from);
int fuse_famfs_mmap(struct file *file, struct vm_area_struct *vma);

#endif
