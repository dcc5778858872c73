/* SPDX-License-Identifier: Apache-2.0 */
/*
 * err.h - how libfamfs reports failures.
 *
 * Every library call returns a negative errno value on failure. Where the
 * errno alone would not tell a user what is wrong ("bad magic", "entry 12:
 * CRC mismatch"), the library also records a one-line detail for the
 * calling thread. The CLI and famfsd print it; the library never prints.
 *
 * Applications read the detail through the public famfs/famfs.h; setting
 * one is internal to the library.
 */
#ifndef FAMFS_ERR_H
#define FAMFS_ERR_H

#include "famfs/famfs.h"	/* famfs_errmsg(), famfs_errclear() */

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Record a detail for the calling thread and return @err unchanged, so that
 * a failure reads: return famfs_err(-EINVAL, "superblock: bad magic %#llx", m);
 */
int famfs_err(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#ifdef __cplusplus
}
#endif
#endif
