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
 *   logpeek.c   a file's fmap read from the mount's log in device memory,
 *               instead of a GET_FMAP round trip
 *   mapcache.c  per mount: the fmaps this process has seen, and the live
 *               mappings that a second open of the same file shares
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
FAMFS_HIDDEN int famfs_raw_getfl(int fd);	/* fcntl(F_GETFL) */
FAMFS_HIDDEN long famfs_raw_ioctl(int fd, unsigned long cmd, void *arg);
/* mmap(2); returns the address, or NULL with -errno in *err. */
FAMFS_HIDDEN void *famfs_raw_mmap(void *addr, size_t len, int prot, int flags, int fd,
				  uint64_t off, int *err);
FAMFS_HIDDEN void famfs_raw_munmap(void *addr, size_t len);	/* NULL or 0: no-op */
/* Read a small text file (sysfs/procfs) into @buf, NUL-terminated. */
FAMFS_HIDDEN ssize_t famfs_raw_read_small(const char *path, char *buf, size_t bufsz);

/* ---- mapcount.c ---- */

/* Files of more segments than this get famfs_map_check_count() first. */
FAMFS_HIDDEN long famfs_map_check_min(void);
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
	bool not_fuse;			/* not a FUSE mount at all (fstatfs) */
	char *source;			/* trusted: the mount's source device */
	unsigned long users;		/* live maps and opens under way (logpeek) */
	bool fs_changed;		/* logpeek found another superblock uuid */
	int err;			/* when not: -ENOTTY (not famfs), -EPERM, -EACCES */
	char why[320];			/* ... and why */
	struct stat src;		/* the mount's source device */
	uint8_t mount_id[16];		/* famfsd's name for the mount (INFO) */
	/* its device table, and its BPF maps (famfsd -o bpf) */
	struct daxdev_slot {
		bool valid;
		bool no_align;		/* map.c: its mmaps are not 2 MiB aligned */
		char name[FAMFS_DAXDEV_NAME_MAX];
	} dax[FAMFS_MAX_DAXDEVS];
	bool bpf_tried;
	bool has_bpf;
	struct famfs_bpf bpf;
	/* the mount's superblock and log, mapped read-only (logpeek.c) */
	uint8_t fs_uuid[16];		/* its file system (INFO, checked on the source) */
	const uint8_t *meta;		/* device bytes [0, meta_len), or NULL */
	size_t meta_len;
	uint64_t log_off;
	uint64_t log_nslots;
	/* what this process learned of the mount's files (mapcache.c) */
	struct famfs_fmc *fmc;
	/* private to mntctx.c, under its lock */
	int ref;
	bool listed;
	struct famfs_mctx *next;
};

/* Once per process, before the first use (fork handlers). */
FAMFS_HIDDEN void famfs_mctx_init(void);
/* Who an open file is, as the statx that found its mount saw it. */
struct famfs_fid {
	uint64_t ino;
	uint64_t size;
	uint32_t mode;
};

/*
 * The context of the mount @fd's file is on, found or made, with a
 * reference for the caller (famfs_mctx_put). The caller checks ->trusted.
 * *@fid (if not NULL) gets the file's inode, size and mode, from the same
 * statx (no upcall).
 */
FAMFS_HIDDEN int famfs_mctx_get(int fd, struct famfs_mctx **out, struct famfs_fid *fid);
FAMFS_HIDDEN void famfs_mctx_hold(struct famfs_mctx *c);
/* The lock that guards every context's fields. */
FAMFS_HIDDEN void famfs_mctx_lock(void);
FAMFS_HIDDEN void famfs_mctx_unlock(void);
FAMFS_HIDDEN void famfs_mctx_put(void *ctx);
/*
 * A user of @c's log mapping (logpeek.c): an open under way, or a live map.
 * The first user maps the mount's superblock and log, the last one gone
 * unmaps them, so that no mapping of the device outlives the process's
 * last map of the mount (famfs/map.h). famfs_mctx_map_put is the devput
 * of a map that is a user: famfs_mctx_unuse, then famfs_mctx_put.
 */
FAMFS_HIDDEN void famfs_mctx_use(struct famfs_mctx *c);
FAMFS_HIDDEN void famfs_mctx_unuse(struct famfs_mctx *c);
FAMFS_HIDDEN void famfs_mctx_map_put(void *ctx);
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

/* ---- logpeek.c ---- */

/*
 * Map the superblock and log of @c's source device @source read-only into
 * @c (best effort: on any failure @c has no log, and fmaps come from
 * GET_FMAP). Called once, when @c is found trusted.
 */
FAMFS_HIDDEN void famfs_logpeek_attach(struct famfs_mctx *c, const char *source);
FAMFS_HIDDEN void famfs_logpeek_detach(struct famfs_mctx *c);
/*
 * The V10 GET_FMAP message of the file with inode @ino and size @size on
 * mount @c, built from its log entry in device memory, into @buf
 * (FAMFS_FMAP_MSG_MAX bytes): its length, or 0 when the log cannot say
 * (no log mapped, not a committed file entry, another size, another file
 * system on the device): the caller then asks famfsd.
 */
FAMFS_HIDDEN size_t famfs_logpeek_fmap(struct famfs_mctx *c, uint64_t ino, uint64_t size,
				       uint8_t *buf);
/*
 * False once the device's superblock no longer has the uuid of the file
 * system @c mounted (a device re-made under a live mount); true when @c
 * has no log mapped.
 */
FAMFS_HIDDEN bool famfs_logpeek_same_fs(const struct famfs_mctx *c);

/* ---- mapcache.c ---- */

/*
 * The cached GET_FMAP message of inode @ino of mount @c into @buf: its
 * length, or 0 when not cached. An inode's map never changes while its
 * mount lives (inode numbers are log indexes, never reused), and the
 * cache dies with the mount's context.
 */
FAMFS_HIDDEN size_t famfs_fmc_get(struct famfs_mctx *c, uint64_t ino, uint8_t *buf);
FAMFS_HIDDEN void famfs_fmc_put(struct famfs_mctx *c, uint64_t ino, const uint8_t *buf,
				size_t len);
/* Free @c's caches (its context is being freed; no map uses it). */
FAMFS_HIDDEN void famfs_fmc_free(struct famfs_mctx *c);

/*
 * A live whole-file mapping of inode @ino of @c, @maplen bytes, with
 * protection @writable, with a reference for the caller, or NULL.
 */
FAMFS_HIDDEN struct famfs_mshare *famfs_mshare_get(struct famfs_mctx *c, uint64_t ino,
						   bool writable, size_t maplen);
/* Share @m's mapping (just built for @ino) with later opens; best effort. */
FAMFS_HIDDEN void famfs_mshare_add(struct famfs_mctx *c, uint64_t ino, struct famfs_map *m);
/* Make @m use the shared mapping @s, whose reference it takes over. */
FAMFS_HIDDEN void famfs_mshare_use(struct famfs_map *m, struct famfs_mshare *s);
/* Drop a reference on @s that no map took over. */
FAMFS_HIDDEN void famfs_mshare_drop(struct famfs_mshare *s);
/* Drop a map's reference on @s, which it had at [@addr, +@len) (async-signal-safe). */
FAMFS_HIDDEN void famfs_mshare_put(struct famfs_mshare *s, void *addr, size_t len);

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
