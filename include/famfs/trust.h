/* SPDX-License-Identifier: Apache-2.0 */
/*
 * trust.h - may a famfs program act on what a famfs mount says?
 *
 * Anyone who can run fusermount3 can mount a FUSE file system of type
 * fuse.famfs with any fsname=, so a mount's type and source prove nothing.
 * The CLI writes the device a mount names, and the direct-access client
 * opens the device famfsd names (GET_DAXDEV): both first check the mount.
 * A mount is trusted when
 *   1. its type is fuse.famfs, and
 *   2. root made it: the FUSE super option user_id=0 (the kernel records
 *      the uid of whoever mounted; fusermount3 passes the caller's own),
 * and, where the caller has a descriptor on the mount (its root, or a file
 * in it), when its server confirms it:
 *   3. FAMFS_IOC_INFO answers with this version's layout,
 *   4. the device INFO names is the same file as the mount's source, and
 *   5. that device holds a famfs superblock (its magic) whose uuid is the
 *      one INFO reports.
 * Every check that fails says which, in famfs_errmsg(), and returns -EPERM,
 * or the errno of a step that could not be made (-EACCES: the caller may
 * not open the mount's source device).
 *
 * A device a famfs mount names is opened only if it is a devdax character
 * device, a pmem block device, or the very file that is the mount's
 * source (famfs_trust_open_dev), or, for the other devices of a mount's
 * file system, a regular file whose superblock says it is one
 * (famfs_trust_open_member); anything else is refused before it is
 * opened (a FIFO, a tape), or, a regular file, after its first 200 bytes
 * are read and found to be no such superblock (/etc/shadow).
 */
#ifndef FAMFS_TRUST_H
#define FAMFS_TRUST_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "famfs/ioctl.h"
#include "famfs/mount.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FAMFS_FSTYPE	"fuse.famfs"

/* Checks 1 and 2: the mount table alone, no I/O on the mount. */
int famfs_trust_mount(const struct famfs_mnt *m);

/*
 * Checks 1 to 5. @fd is a descriptor on the mount (its root directory or a
 * file of it), used for the INFO ioctl. On success *@info (if not NULL)
 * holds famfsd's answer and *@src (if not NULL) the source's stat.
 */
int famfs_trust_confirm(const struct famfs_mnt *m, int fd, struct famfs_mount_info *info,
			struct stat *src);

/*
 * The famfs mount made by root (checks 1 and 2) whose source is the device
 * @dev (the same device number, or the same file), from the mount table
 * and stats of the sources alone, never touching a mount: 0 with *@out,
 * -ENOENT when there is none, -errno (@dev cannot be stat'ed, the table
 * cannot be read). mkfs.famfs and famfs tune refuse a mounted device.
 */
int famfs_trust_mount_of_dev(const char *dev, struct famfs_mnt *out);

/* Is @st the same file as @src (same device number, or same inode)? */
bool famfs_trust_same_file(const struct stat *st, const struct stat *src);

/*
 * Is @st a device famfs may open for a mount whose source is @src (NULL:
 * none): a devdax char device, a pmem block device, or @src itself?
 */
bool famfs_trust_dev_ok(const struct stat *st, const struct stat *src);

/*
 * Open @path with @flags (O_CLOEXEC is added) only if famfs_trust_dev_ok()
 * says so of the file it names. The file is looked at through an O_PATH
 * descriptor and reopened from it, so a refused path is never opened for
 * real and a path swapped in between is not followed. Returns the fd or
 * -EPERM (with a detail), or open(2)'s error.
 */
int famfs_trust_open_dev(const char *path, int flags, const struct stat *src);

/*
 * May the regular file @st (at @path) be a device of a famfs file system?
 * Only if root or the caller (the effective uid) owns it and neither its
 * group nor others may write it: a device that is a file is found by
 * globs, in directories such as /dev/shm where anyone can plant a file
 * holding a copy of a secondary superblock (its uuids are public). 0 (also
 * for anything but a regular file), or -EPERM naming the problem.
 */
int famfs_trust_file_owner(const struct stat *st, const char *path);

/*
 * famfs_trust_open_dev() for a device of a file system with uuid @fs_uuid
 * (the direct-access client's devices of a mount): also a regular file
 * whose superblock is a secondary device's of that file system (a device
 * that is a file), if famfs_trust_file_owner() allows it. Such a file is
 * opened read-only to read its first 200 bytes, and used only if they are
 * that superblock (-EPERM otherwise).
 */
int famfs_trust_open_member(const char *path, int flags, const struct stat *src,
			    const uint8_t fs_uuid[16]);

#ifdef __cplusplus
}
#endif
#endif
