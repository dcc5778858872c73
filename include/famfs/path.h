/* SPDX-License-Identifier: Apache-2.0 */
/*
 * path.h - the rules for paths stored in the log.
 *
 * A log path is relative to the file system root, 1..79 bytes, has no
 * leading '/', no empty, "." or ".." component, no trailing '/', and no NUL
 * or control characters. Upstream truncates longer paths silently; we
 * refuse them. Pure code.
 */
#ifndef FAMFS_PATH_H
#define FAMFS_PATH_H

#include <stddef.h>

#include "famfs/omf.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Return 0 if @relpath is a valid log path, else -EINVAL (empty, absolute,
 * "."/".."/empty component, control character) or -ENAMETOOLONG (over 79
 * bytes), with a detail naming the rule.
 */
int famfs_path_check(const char *relpath);

/*
 * Normalise a user-supplied path relative to the root into @out: drop a
 * leading "./", repeated and trailing slashes, and "." components. The
 * result must then pass famfs_path_check(), except that the root itself
 * normalises to "" (return 0 with out[0] == '\0'). ".." and absolute paths
 * are refused, never resolved.
 */
int famfs_path_normalize(const char *in, char out[FAMFS_OMF_PATH_MAX]);

/*
 * Split @relpath into its parent (copied into @parent, "" for the root)
 * and return a pointer to the last component inside @relpath.
 */
const char *famfs_path_split(const char *relpath, char parent[FAMFS_OMF_PATH_MAX]);

#ifdef __cplusplus
}
#endif
#endif
