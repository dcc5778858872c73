/* SPDX-License-Identifier: Apache-2.0 */
/*
 * map_int.h - what the parts of the direct-access client (famfs/map.h)
 * share inside libfamfs, and nothing else sees:
 *
 *   rawsys.c    raw system calls (open, ioctl, mmap, ...), so that the
 *               LD_PRELOAD shim, which wraps libc's functions, never
 *               recurses into itself
 *   mapcount.c  the vm.max_map_count budget check
 *   mntctx.c    what the process knows of each mount: its identity, the
 *               trust verdict, its device table (GET_DAXDEV answers)
 *   bpfmount.c  famfsd -o bpf's pinned maps of a mount, used instead of
 *               GET_FMAP and GET_DAXDEV
 *   map.c       the mapping itself and the public entry points
 *
 * The functions here are hidden: libfamfs.so does not export them.
 */
#ifndef FAMFS_MAP_INT_H
#define FAMFS_MAP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <sys/stat.h>

#include "famfs/fmap.h"
#include "famfs/map.h"
#include "famfs/resolver.h"

#define FAMFS_HIDDEN	__attribute__((visibility("hidden")))

/* ---- rawsys.c: every call returns -errno on failure ---- */

FAMFS_HIDDEN int famfs_raw_open(const char *path, int flags);	/* O_CLOEXEC added */
FAMFS_HIDDEN void famfs_raw_close(int fd);
FAMFS_HIDDEN int famfs_raw_dupfd(int fd);	/* a close-on-exec duplicate */
FAMFS_HIDDEN long famfs_raw_ioctl(int fd, unsigned long cmd, void *arg);
/* mmap(2); returns the address, or NULL with -errno in *err. */
FAMFS_HIDDEN void *famfs_raw_mmap(void *addr, size_t len, int prot, int flags, int fd,
				  uint64_t off, int *err);
FAMFS_HIDDEN void famfs_raw_munmap(void *addr, size_t len);	/* NULL or 0: no-op */
/* Read a small text file (sysfs/procfs) into @buf, NUL-terminated. */
FAMFS_HIDDEN ssize_t famfs_raw_read_small(const char *path, char *buf, size_t bufsz);

/* ---- mapcount.c ---- */

/* An mmap of a walk of @nsegs segments failed with ENOMEM: say why. */
FAMFS_HIDDEN int famfs_map_enomem(long nsegs);

/* ---- mntctx.c ---- */

/* What this process knows of one mount (see mntctx.c). */
struct famfs_mctx {
	/* the key: which mount */
	bool unique;			/* mnt_id is STATX_MNT_ID_UNIQUE's */
	uint64_t mnt_id;
	dev_t dev;			/* st_dev of its files */
	uint64_t witness;		/* old ids: fusectl's inode of the connection */
	/* the trust verdict (famfs_trust_confirm), taken once */
	bool trusted;
	int err;			/* when not: -ENOTTY (not famfs), -EPERM, -EACCES */
	char why[320];			/* ... and why */
	struct stat src;		/* the mount's source device */
	uint8_t mount_id[16];		/* famfsd's name for the mount (INFO) */
	/* its device table, and its BPF maps (famfsd -o bpf) */
	struct daxdev_slot {
		bool valid;
		char name[FAMFS_DAXDEV_NAME_MAX];
	} dax[FAMFS_MAX_DAXDEVS];
	bool bpf_tried;
	bool has_bpf;
	struct famfs_bpf bpf;
	/* private to mntctx.c, under its lock */
	int ref;
	bool listed;
	struct famfs_mctx *next;
};

/* Once per process, before the first use (fork handlers). */
FAMFS_HIDDEN void famfs_mctx_init(void);
/*
 * The context of the mount @fd's file is on, found or made, with a
 * reference for the caller (famfs_mctx_put). The caller checks ->trusted.
 */
FAMFS_HIDDEN int famfs_mctx_get(int fd, struct famfs_mctx **out);
FAMFS_HIDDEN void famfs_mctx_hold(struct famfs_mctx *c);
/* The lock that guards every context's fields. */
FAMFS_HIDDEN void famfs_mctx_lock(void);
FAMFS_HIDDEN void famfs_mctx_unlock(void);
FAMFS_HIDDEN void famfs_mctx_put(void *ctx);
/* Learn device @idx with GET_DAXDEV on @fd unless @c knows it. */
FAMFS_HIDDEN int famfs_mctx_learn(struct famfs_mctx *c, int fd, unsigned int idx);
/* Learn device @idx under @name (the BPF device map) unless @c knows it. */
FAMFS_HIDDEN void famfs_mctx_set_dev(struct famfs_mctx *c, unsigned int idx, const char *name);
/*
 * famfs_map_devfd_fn over a context's table: a new descriptor each time,
 * which the mapping code closes once its mappings are made.
 */
FAMFS_HIDDEN int famfs_mctx_devfd(void *ctx, uint64_t idx, bool writable, int *fdp);

/* ---- bpfmount.c ---- */

/*
 * Map @fd, a file of the trusted mount @c, through the mount's pinned BPF
 * maps. -EAGAIN when this is not a BPF-mode mount or the file is not in
 * the map (use GET_FMAP).
 */
FAMFS_HIDDEN int famfs_bpf_map_open(struct famfs_mctx *c, int fd, int flags,
				    struct famfs_map **out);

/* ---- map.c ---- */

/*
 * Map the validated fmap @f of a file of mount @c (whose devices it uses);
 * BPF mode when @bpf is set (see famfs_map). The map takes a reference
 * on @c.
 */
FAMFS_HIDDEN int famfs_map_build_mctx(const struct famfs_fmap *f, int flags,
				      struct famfs_mctx *c, const struct famfs_bpf *bpf,
				      uint64_t ino, struct famfs_map **out);

#endif
