/* SPDX-License-Identifier: Apache-2.0 */
/*
 * devperm.h - the permissions of the memory device file itself.
 *
 * Whoever can read the device can read every famfs file on it, whatever the
 * file's own mode says; whoever can write it can rewrite the log. The CLI
 * and famfsd call famfs_dev_check_perms() when they open a device and print
 * the warning it returns (they do not refuse: the admin decides).
 */
#ifndef FAMFS_DEVPERM_H
#define FAMFS_DEVPERM_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FAMFS_DEVPERM_OK	0
#define FAMFS_DEVPERM_WARN	1

/*
 * Check the mode of the device file at @path (following symlinks).
 * Returns FAMFS_DEVPERM_WARN with a one-line warning in @msg when it is
 * world-readable or world-writable (e.g. "/dev/dax0.0 is world-readable
 * (mode 0644): any local user can read every famfs file; chmod o-rw
 * /dev/dax0.0"), FAMFS_DEVPERM_OK with @msg empty otherwise, or a negative
 * errno if it cannot be stat'ed. @msg may be NULL.
 */
int famfs_dev_check_perms(const char *path, char *msg, size_t msglen);

#ifdef __cplusplus
}
#endif
#endif
