/* SPDX-License-Identifier: Apache-2.0 */
/*
 * map_int.h - what the parts of the direct-access client (famfs/map.h)
 * share inside libfamfs, and nothing else sees:
 *
 *   rawsys.c    raw system calls (open, ioctl, mmap, ...), so that the
 *               LD_PRELOAD shim, which wraps libc's functions, never
 *               recurses into itself
 *   mapcount.c  the vm.max_map_count budget check
 *   daxtab.c    the per-process table of devices (GET_DAXDEV answers)
 *   bpfmount.c  the BPF mount cache: famfsd -o bpf's pinned maps, per mount
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

#include "famfs/map.h"

#define FAMFS_HIDDEN	__attribute__((visibility("hidden")))

/* ---- rawsys.c: every call returns -errno on failure ---- */

FAMFS_HIDDEN int famfs_raw_open(const char *path, int flags);	/* O_CLOEXEC added */
FAMFS_HIDDEN void famfs_raw_close(int fd);
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

/* ---- daxtab.c ---- */

/* Learn device @idx with GET_DAXDEV on @fd unless it is known. */
FAMFS_HIDDEN int famfs_daxtab_learn(int fd, unsigned int idx);
/* Learn device @idx under @name (from the BPF device map) unless known. */
FAMFS_HIDDEN void famfs_daxtab_set(unsigned int idx, const char *name);
/*
 * famfs_map_devfd_fn over the table: a new descriptor each time, which the
 * mapping code closes once its mappings are made.
 */
FAMFS_HIDDEN int famfs_daxtab_devfd(void *ctx, uint64_t idx, bool writable, int *fdp);
/* Once per process, before the first use (fork handlers). */
FAMFS_HIDDEN void famfs_daxtab_init(void);
/* The table lock, which the BPF mount cache shares. */
FAMFS_HIDDEN void famfs_daxtab_lock(void);
FAMFS_HIDDEN void famfs_daxtab_unlock(void);

/* ---- bpfmount.c ---- */

/*
 * Map @fd through its mount's pinned BPF maps. -EAGAIN when this is not a
 * BPF-mode mount or the file is not in the map (use GET_FMAP).
 */
FAMFS_HIDDEN int famfs_bpf_map_open(int fd, int flags, struct famfs_map **out);

/* ---- map.c ---- */

/* Map the validated fmap @f; BPF mode when @bpf is set (see famfs_map). */
FAMFS_HIDDEN int famfs_map_build_from(const struct famfs_fmap *f, int flags,
				      famfs_map_devfd_fn devfd, void *ctx,
				      const struct famfs_bpf *bpf, uint64_t ino,
				      struct famfs_map **out);

#endif
