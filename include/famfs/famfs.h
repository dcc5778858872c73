/* SPDX-License-Identifier: Apache-2.0 */
/*
 * famfs.h - the public API of libfamfs (libfamfs.so.0): what an application
 * needs to use famfs files at memory speed. Include <famfs/famfs.h> and link
 * with `pkg-config --libs famfs`.
 *
 * - Direct access: famfs_map_open() maps a file on a famfs mount straight
 *   from the memory device into the process. Byte N of the file is at
 *   famfs_map_addr() + N; loads, stores and page faults are served by the
 *   kernel from the device, with no request to famfsd after the open.
 * - Layout: famfs_stat() tells a file's size and where its bytes live.
 * - Cache maintenance: famfs_flush() after storing bytes that another host
 *   will read, famfs_invalidate() before reading what another host stored
 *   (hosts whose shared memory is not cache coherent need both).
 * - Errors: every call that can fail returns 0 or a negative errno value;
 *   famfs_errmsg() then holds a one-line detail for the calling thread.
 * - famfs/sigbus.h: turn a SIGBUS from vanished device memory into -EIO.
 *
 * The handle is opaque: its fields are not part of the ABI. Every function
 * is thread-safe. Direct access opens the device itself, so it is for
 * processes trusted with the device (root, or the device's group).
 */
#ifndef FAMFS_FAMFS_H
#define FAMFS_FAMFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "famfs/sigbus.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- errors ---- */

/* The detail of the calling thread's last failure, or "" if none was set. */
const char *famfs_errmsg(void);

/* Forget the calling thread's last detail. */
void famfs_errclear(void);

/* ---- cache maintenance ---- */

/* Write back the CPU cache lines covering [p, p + len) and fence. */
void famfs_flush(const void *p, size_t len);

/*
 * Drop the CPU cache lines covering [p, p + len) so the next read is fresh
 * (dirty lines are written back first, as the instructions do).
 */
void famfs_invalidate(const void *p, size_t len);

/* ---- direct access ---- */

/* A famfs file mapped from its device. Opaque. */
struct famfs_map;

/*
 * Open the famfs file @path with @flags (O_RDONLY, O_WRONLY or O_RDWR;
 * O_CLOEXEC is added) and map the whole file. A read-only map is mapped
 * PROT_READ, so a store into it faults (SIGSEGV). On success *@out is the
 * new map. Only files of trusted famfs mounts are mapped: a fuse.famfs
 * mount made by root whose famfsd confirms the device it serves, checked
 * once per mount per process; and only a devdax or pmem device, or the
 * mount's own source, is opened (famfs(1), TRUSTED MOUNTS). Errors: those
 * of open(2); -ENOTTY when @path is not on a famfs mount; -EPERM when its
 * mount is not trusted or its server names a device that may not be
 * opened (famfs_errmsg() says which check failed); -EINVAL for a bad file
 * map; -EHWPOISON or -EIO when its device failed; -ENOMEM (memory, or
 * vm.max_map_count); the device's open(2) error (-EACCES without access
 * to the device).
 */
int famfs_map_open(const char *path, int flags, struct famfs_map **out);

/*
 * As famfs_map_open(), on a famfs file already open as @fd. @flags' access
 * mode chooses the protection and should not grant more than @fd's own
 * mode. The map does not take @fd: the caller may close it at any time.
 * The map keeps a duplicate of it (close-on-exec) until famfs_map_close():
 * famfsd sees the file open for as long as the mapping lives, which is
 * what keeps a deleted file's memory from being given to a new file under
 * it (famfs rm).
 */
int famfs_map_open_fd(int fd, int flags, struct famfs_map **out);

/* Unmap @m, close the file descriptor it keeps, and free it. */
void famfs_map_close(struct famfs_map *m);

/*
 * Byte 0 of the file, 2 MiB aligned; NULL for an empty file. The mapping
 * covers the file's size rounded up to 2 MiB: bytes past the end up to
 * that boundary are the file's own allocation, beyond it a load faults.
 */
void *famfs_map_addr(const struct famfs_map *m);

/* The file's size in bytes. */
size_t famfs_map_size(const struct famfs_map *m);

/* True if @m was mapped writable (O_WRONLY or O_RDWR). */
bool famfs_map_writable(const struct famfs_map *m);

/* ---- layout ---- */

/*
 * A run of a file that is contiguous on one device: file bytes
 * [file_offset, file_offset + length) are device bytes
 * [device_offset, device_offset + length) of device index @device (0 is
 * the device the file system was made on).
 */
struct famfs_extent {
	uint64_t file_offset;
	uint64_t device;
	uint64_t device_offset;
	uint64_t length;
};

struct famfs_stat {
	uint64_t size;		/* file size in bytes */
	uint64_t nextents;	/* runs in the file's layout (all of them) */
	bool interleaved;	/* striped over several extents */
};

/*
 * The size and layout of the famfs file @path, as famfsd serves it (one
 * GET_FMAP request, validated with the kernel's rules; the device itself
 * is not opened). The runs are stored in file order into @ext, at most
 * @max of them (@ext may be NULL when @max is 0); st->nextents says how
 * many there are, so a caller can retry with a larger array. Adjacent
 * runs that are contiguous on the device are merged; together they cover
 * the file's size rounded up to 2 MiB. Errors as famfs_map_open's, less
 * the device's.
 */
int famfs_stat(const char *path, struct famfs_stat *st, struct famfs_extent *ext,
	       size_t max);

#ifdef __cplusplus
}
#endif
#endif
