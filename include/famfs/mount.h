/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mount.h - the mount table: every question famfs asks of
 * /proc/self/mountinfo, answered by one parser (libmount's). Nothing here
 * touches a mount except famfs_mnt_of_path(), which asks the kernel which
 * mount a path is on.
 */
#ifndef FAMFS_MOUNT_H
#define FAMFS_MOUNT_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One mount, strings unescaped (mountinfo writes a space as \040). */
struct famfs_mnt {
	int id;				/* mount id: mountinfo field 1, statx STATX_MNT_ID */
	dev_t dev;			/* st_dev of the mounted file system */
	bool ro;			/* "ro" in the mount or the super options */
	long user_id;			/* FUSE: the super option user_id=, else -1 */
	char fstype[64];		/* "fuse.famfs" for a famfs mount */
	char root[PATH_MAX];		/* the directory of the file system mounted here */
	char target[PATH_MAX];		/* the mount point */
	char source[PATH_MAX];		/* famfs: the device path (fsname=) */
};

/*
 * Call @fn for each mount of this process's mount namespace, in table
 * order (a mount comes after the mounts it sits on). A non-zero return
 * from @fn stops the walk and is returned. -errno when the table cannot
 * be read.
 */
typedef int (*famfs_mnt_fn)(void *ctx, const struct famfs_mnt *m);
int famfs_mnt_each(famfs_mnt_fn fn, void *ctx);

/* The mount with id @id. -ENOENT if there is none. */
int famfs_mnt_by_id(int id, struct famfs_mnt *out);

/*
 * The mount whose mount point is the text @abs (absolute, no trailing
 * slash); the topmost one when several are stacked there. Compares text
 * only: the mount itself is not touched (safe on a hung FUSE server).
 * -ENOENT if nothing is mounted there.
 */
int famfs_mnt_at(const char *abs, struct famfs_mnt *out);

/*
 * The mount the existing file @path is on, as the kernel says (statx
 * STATX_MNT_ID with AT_STATX_DONT_SYNC, so FUSE answers without an
 * upcall). @path is not followed if it is a symlink. -errno of statx
 * (-ENOENT: no such file), or -ENXIO when the mount is not in this
 * namespace's table.
 */
int famfs_mnt_of_path(const char *path, struct famfs_mnt *out);

/* True if the comma-separated option list @opts holds the option @name. */
bool famfs_mnt_has_opt(const char *opts, const char *name);

#ifdef __cplusplus
}
#endif
#endif
