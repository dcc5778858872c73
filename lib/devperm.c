// SPDX-License-Identifier: Apache-2.0
/*
 * devperm.c - the device file permission check (see famfs/devperm.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "famfs/devperm.h"
#include "famfs/err.h"

int famfs_dev_check_perms(const char *path, char *msg, size_t msglen)
{
	const char *what;
	struct stat st;

	if (msg && msglen)
		msg[0] = '\0';
	if (!path || stat(path, &st) < 0) {
		int err = path ? errno : EINVAL;

		return famfs_err(-err, "%s: %s", path ? path : "(null)", strerror(err));
	}
	if (!(st.st_mode & (S_IROTH | S_IWOTH)))
		return FAMFS_DEVPERM_OK;
	if ((st.st_mode & S_IROTH) && (st.st_mode & S_IWOTH))
		what = "world-readable and world-writable";
	else if (st.st_mode & S_IROTH)
		what = "world-readable";
	else
		what = "world-writable";
	if (msg && msglen)
		snprintf(msg, msglen, "%s is %s (mode %04o): any local user can %s every famfs "
			 "file; chmod o-rw %s", path, what, (unsigned)(st.st_mode & 07777),
			 (st.st_mode & S_IWOTH) ? "read and overwrite" : "read", path);
	return FAMFS_DEVPERM_WARN;
}
