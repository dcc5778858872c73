/* SPDX-License-Identifier: Apache-2.0 */
/*
 * map.h - direct access, inside libfamfs: the map handle's fields and the
 * calls the shim and the tests use beyond the public API. Applications
 * use famfs/famfs.h, where the handle is opaque and famfs_map_open(),
 * famfs_map_open_fd() and famfs_map_close() are declared.
 *
 * famfs_map_open() opens a file on a famfs mount, checks once per mount
 * that the mount is trusted (famfs/trust.h: fuse.famfs, made by root,
 * confirmed by its famfsd), fetches the file's fmap once
 * (FAMFS_IOC_GET_FMAP), validates it with the kernel's rules
 * (famfs_fmap_decode), learns each device it has not seen before
 * (FAMFS_IOC_GET_DAXDEV, kept in a table of 24 slots per mount, as the
 * kernel keeps one per FUSE connection), and maps every extent or
 * interleave chunk from its device, MAP_SHARED, into one contiguous
 * 2 MiB-aligned range: file byte N is at addr + N.
 *
 * - A device is opened only if it is a devdax or pmem device, or the
 *   mount's own source (famfs_trust_open_dev), or a regular file whose
 *   superblock makes it a secondary device of the mount's file system
 *   (famfs_trust_open_member: a device that is a file); whatever else a
 *   server names is refused (-EPERM), never used.
 * - Mounts are told apart by statx's unique mount id (Linux 6.8+), or by
 *   the old mount id and st_dev witnessed by the connection's fusectl
 *   directory: a remount onto another device never reuses a stale table
 *   (docs/direct-access.md).
 *
 * - The table keeps device names only. A device is opened while a mapping
 *   is made (famfs_map_open*, famfs_map_mmap) and closed right after: the
 *   mappings hold their own reference to it. So no device descriptor
 *   outlives the call, and a process that drops privileges afterwards
 *   cannot open the device again (its famfs_map_mmap then fails with the
 *   device's open error, e.g. -EACCES), while its existing mappings stay.
 * - On an architecture without CPU cache operations (anything but x86)
 *   every mapping is refused with -EOPNOTSUPP (famfs_cache_check).
 * - A map opened O_RDONLY is mapped PROT_READ: a store faults (SIGSEGV).
 *   O_WRONLY or O_RDWR maps PROT_READ|PROT_WRITE and opens the device
 *   read-write.
 * - A file on a failed device is refused: famfsd answers GET_FMAP with
 *   -EHWPOISON or -EIO and that error is returned unchanged.
 * - Interleaved files need one mapping (VMA) per chunk, except where
 *   consecutive chunks are contiguous on the device: famfs_fmap_walk()
 *   merges those. Before it maps a file of more than 16 segments, the
 *   library checks that the process's mapping count plus the segments
 *   stays below vm.max_map_count minus FAMFS_MAP_COUNT_MARGIN; if not, it
 *   fails with -ENOMEM and a detail naming max_map_count and the numbers.
 *   An mmap that still fails with ENOMEM (smaller files, or a race with
 *   other threads) is reported the same way. Nothing is left mapped after
 *   a failure.
 * - Stores are plain CPU stores: they are visible at once to processes on
 *   this host. Hosts without coherent shared memory must flush
 *   (famfs_flush() in dev.h) before another host reads, and invalidate
 *   (famfs_invalidate()) before reading what another host wrote.
 * - Direct access opens the device itself, so it is for processes trusted
 *   with the device (root or the device's group).
 * - A map keeps a descriptor of its famfs file open (its own duplicate)
 *   until famfs_map_close(), so famfsd gets RELEASE only after the mapping
 *   is gone: on a file system with deletes (docs/rm.md) that is what stops
 *   a deleted file's memory from being reused while it is mapped. Mappings
 *   made with famfs_map_mmap() hold no descriptor of their own: keep the
 *   map until they are unmapped (the preload shim does, see sync.c).
 *
 * On a mount served by famfsd -o bpf, famfs_map_open_fd() finds the BPF
 * maps famfsd pinned for the mount (FAMFS_BPF_PIN_ROOT/dev-MAJ:MIN-ID, ID
 * being the mount id famfsd reports; opened once per mount per process),
 * reads the device names from the pinned
 * device map instead of GET_DAXDEV, and builds the mapping by running the
 * BPF resolver over the file (famfs_resolver_walk), with no GET_FMAP. The
 * entry famfsd stored at OPEN is checked with the kernel's fmap rules
 * first. A file missing from the map, or a process that cannot open the
 * pins, falls back to GET_FMAP. FAMFS_NO_BPF=1 in the environment forces
 * GET_FMAP.
 *
 * The library makes its open/ioctl/mmap/munmap calls as raw system calls,
 * so that an LD_PRELOAD shim wrapping libc's functions never sees them.
 * All functions are thread-safe.
 */
#ifndef FAMFS_MAP_H
#define FAMFS_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "famfs/famfs.h"
#include "famfs/fmap.h"

struct famfs_bpf;
struct famfs_mshare;

#ifdef __cplusplus
extern "C" {
#endif

/* Mappings kept free for the rest of the process (below max_map_count). */
#define FAMFS_MAP_COUNT_MARGIN	1000

/* The handle of famfs/famfs.h. */
struct famfs_map {
	void *addr;		/* file byte 0, 2 MiB aligned; NULL when len is 0 */
	size_t len;		/* file size in bytes */
	size_t maplen;		/* bytes mapped at addr: round_up(len, 2 MiB) */
	int fd;			/* our own descriptor of the famfs file, closed by
				   famfs_map_close() (-1 for famfs_map_build) */
	bool own_fd;		/* famfs_map_close() closes fd */
	bool writable;		/* mapped PROT_READ|PROT_WRITE */
	long nsegs;		/* mappings made (segments of the walk) */
	struct famfs_fmap fmap;	/* the validated fmap */
	/* private: where device descriptors come from */
	int (*devfd)(void *ctx, uint64_t devindex, bool writable, int *fd);
	void *devctx;
	void (*devput)(void *ctx);	/* private: drops devctx at close, or NULL */
	/*
	 * BPF mode (famfsd -o bpf): the mapping was built by walking the BPF
	 * resolver (famfs/resolver.h) over the pinned maps, with no GET_FMAP.
	 * bpf is the process's handle for the mount (never freed), bpf_ino
	 * the file's key. NULL: built from the GET_FMAP reply.
	 */
	const struct famfs_bpf *bpf;
	uint64_t bpf_ino;
	/*
	 * private: when not NULL, [addr, addr + maplen) is a mapping shared
	 * with the other open maps of the same file in this process
	 * (lib/mapcache.c): the last of them unmaps it.
	 */
	struct famfs_mshare *share;
};

/*
 * Return in *@fd a descriptor of device @devindex, open read-only or
 * read-write as @writable says. The descriptor stays owned by the
 * callback's owner (the library never closes it). Negative errno on
 * failure.
 */
typedef int (*famfs_map_devfd_fn)(void *ctx, uint64_t devindex, bool writable, int *fd);

/*
 * Map the validated fmap @f (as famfs_fmap_decode() returns it) with no
 * file and no ioctl: each device's descriptor comes from @devfd. This is
 * the mapping logic of famfs_map_open_fd(), separated for tests. @f is
 * not re-validated; map->fd is -1.
 */
int famfs_map_build(const struct famfs_fmap *f, int flags, famfs_map_devfd_fn devfd,
		    void *ctx, struct famfs_map **out);

/* What famfs_map_mmap() really mapped around the bytes the caller asked for. */
struct famfs_map_span {
	void *base;
	size_t len;
};

/*
 * Map bytes [@off, @off + @len) of @m's file with protection @prot
 * (PROT_READ, PROT_WRITE) as a new MAP_SHARED mapping, as mmap(2) on the
 * file would. @addr is a hint, or the exact address when @fixed. @off
 * must be page aligned (-EINVAL); PROT_WRITE on a read-only map is
 * -EACCES. Pages past the end of the fmap are left without access. The
 * result is independent of @m: it survives famfs_map_close(). Returns the
 * address in *@out.
 *
 * A devdax device maps only whole 2 MiB pages (any other start or length
 * fails with EINVAL), so unless @fixed the mapping is widened to the 2 MiB
 * boundaries around the range; the extra bytes are the file's own
 * allocation. *@span (if not NULL) receives the whole mapping, which is
 * what must be passed to munmap(2): on a devdax device an unmap that
 * splits a 2 MiB page fails. With @fixed nothing is widened, and a devdax
 * device refuses an unaligned range as it would refuse mmap(2).
 */
int famfs_map_mmap(const struct famfs_map *m, void *addr, size_t len, int prot, bool fixed,
		   uint64_t off, void **out, struct famfs_map_span *span);

/*
 * Unmap @m's file now and keep the handle for famfs_map_close() to free
 * (it then unmaps nothing more). Async-signal-safe: no lock, no free. A
 * mapping shared with other maps of the same file stays until the last of
 * them is unmapped.
 */
void famfs_map_unmap(struct famfs_map *m);

/*
 * After famfs_map_unmap: let go of @m's use of its mount now, so that the
 * last map of a mount gone unmaps the mount's superblock and log (the
 * mapping of the device that opens read from), rather than when
 * famfs_map_close frees @m. Idempotent. It takes libfamfs's mount table
 * lock and munmaps, and frees nothing: safe in a signal handler only when
 * the interrupted code on that thread holds no libfamfs lock (the preload
 * shim knows when: preload_in_lib).
 */
void famfs_map_release_mount(struct famfs_map *m);

/*
 * The mapping budget check: -ENOMEM with a detail when @nsegs more
 * mappings would leave fewer than FAMFS_MAP_COUNT_MARGIN below
 * vm.max_map_count; 0 otherwise (also when the counts cannot be read).
 */
int famfs_map_check_count(long nsegs);

#ifdef __cplusplus
}
#endif
#endif
