/* SPDX-License-Identifier: Apache-2.0 */
/*
 * devfind.h - finding a file system's devices on this host, by the uuids
 * in their superblocks.
 *
 * The log names a device by its uuid only (ADD_DAXDEV): /dev/dax1.0 on one
 * host may be /dev/dax3.0 on another, so every host finds the devices
 * itself. The candidates are, in this order:
 *   /dev/dax*, /dev/pmem*, then the globs of $FAMFS_DAXDEV_PATH
 *   (colon-separated) when it is set, else those of /etc/famfs/daxdevs
 *   ($FAMFS_DAXDEV_CONF_FILE names another file; one or more globs per
 *   line, colon- or space-separated; '#' starts a comment). That list is
 *   how devices that are files (tmpfs, hugetlbfs) are found.
 * A candidate is read only if it is a devdax or pmem device or a regular
 * file (never a FIFO, a tty or a tape), and only its first 200 bytes (a
 * devdax device through a read-only mapping of its first 2 MiB). One that
 * cannot be opened is skipped. Two paths to the same file count once.
 */
#ifndef FAMFS_DEVFIND_H
#define FAMFS_DEVFIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "famfs/omf.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FAMFS_DAXDEV_PATH_ENV	"FAMFS_DAXDEV_PATH"
#define FAMFS_DAXDEV_CONF	"/etc/famfs/daxdevs"
#define FAMFS_DAXDEV_CONF_ENV	"FAMFS_DAXDEV_CONF_FILE"

/* One candidate that holds a valid famfs superblock. */
struct famfs_devfind_hit {
	const char *path;
	const struct famfs_omf_sb *sb;
	uint64_t size;			/* bytes of the device itself */
};

/* Called for each hit; a non-zero return stops the scan and is returned. */
typedef int (*famfs_devfind_fn)(void *ctx, const struct famfs_devfind_hit *hit);

/*
 * Scan the candidates. Returns 0 (or @fn's non-zero return), or -ENOMEM.
 * *@nscanned (if not NULL) counts the candidates looked at.
 */
int famfs_devfind_scan(famfs_devfind_fn fn, void *ctx, unsigned int *nscanned);

/*
 * famfs_devfind_scan, but nothing under the directory @skip (absolute; NULL:
 * none) is looked at: no glob whose pattern starts inside it is expanded,
 * no path inside it is read. famfsd skips its own mount point, so that a
 * glob into it costs no request to itself.
 */
int famfs_devfind_scan_skip(famfs_devfind_fn fn, void *ctx, unsigned int *nscanned,
			    const char *skip);

/* Is @path lexically @dir or under it (both absolute)? */
bool famfs_devfind_under(const char *path, const char *dir);

/*
 * The path of the device whose superblock has device uuid @dev_uuid and,
 * when @fs_uuid is not NULL, file system uuid @fs_uuid. -ENODEV (with a
 * detail naming the uuid and where famfs looked) when there is none,
 * -ENOTUNIQ when two different files claim it.
 */
int famfs_devfind_uuid(const uint8_t *fs_uuid, const uint8_t dev_uuid[16], char *path,
		       size_t len);

/* The path of the primary device (no SECONDARY flag) of file system @fs_uuid. */
int famfs_devfind_primary(const uint8_t fs_uuid[16], char *path, size_t len);

/* Where famfs looks, for messages: "/dev/dax*:/dev/pmem*:GLOB...". */
void famfs_devfind_where(char *buf, size_t len);

/*
 * Read and decode the superblock of the device at @path (used by the scan;
 * also for a path the caller names). -EPERM for a file that is none of the
 * kinds above; decode errors as famfs_omf_sb_decode().
 */
int famfs_devfind_read_sb(const char *path, struct famfs_omf_sb *sb, uint64_t *size);

/*
 * Is the device at @path in use by a famfs mount made by root: the source
 * of one, or a secondary device of the file system one serves? 1 with the
 * mount point in @mnt, else 0. Reads the mount table and superblocks only.
 */
int famfs_devfind_in_use(const char *path, char *mnt, size_t len);

/*
 * 0 unless @path is on a FUSE file system (-EPERM): a device never is, and
 * famfsd must not look for its devices inside a FUSE mount, its own.
 */
int famfs_devfind_not_fuse(const char *path);

/*
 * Does a famfs mount made by root serve file system @fs_uuid from a primary
 * device that is not the file @primary (a copy of it, which keeps its
 * uuids)? 1 with that mount's point in @mnt and source in @src, else 0.
 */
int famfs_devfind_served_elsewhere(const uint8_t fs_uuid[16], const struct stat *primary,
				   char *mnt, size_t len, char *src, size_t srclen);

#ifdef __cplusplus
}
#endif
#endif
