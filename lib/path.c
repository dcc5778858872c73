// SPDX-License-Identifier: Apache-2.0
/*
 * path.c - the rules for paths stored in the log (see famfs/path.h):
 * checking, normalising user input, and splitting into parent and name.
 * Pure code: no I/O, no allocation.
 */
#include <errno.h>
#include <string.h>

#include "famfs/err.h"
#include "famfs/path.h"

#define PATH_MAX_LEN	(FAMFS_OMF_PATH_MAX - 1)	/* 79 bytes, without the NUL */

int famfs_path_check(const char *relpath)
{
	size_t len, i, start;

	if (!relpath || !relpath[0])
		return famfs_err(-EINVAL, "path is empty");
	if (relpath[0] == '/')
		return famfs_err(-EINVAL, "path is absolute: %.100s", relpath);
	len = strlen(relpath);
	if (len > PATH_MAX_LEN)
		return famfs_err(-ENAMETOOLONG, "path is %zu bytes, max %d", len, PATH_MAX_LEN);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)relpath[i];

		if (c < 0x20 || c == 0x7f)
			return famfs_err(-EINVAL, "path has a control character (0x%02x) at byte %zu",
					 c, i);
	}
	if (relpath[len - 1] == '/')
		return famfs_err(-EINVAL, "path has a trailing '/': %s", relpath);
	for (start = 0; start <= len; start = i + 1) {
		size_t n;

		for (i = start; i < len && relpath[i] != '/'; i++)
			;
		n = i - start;
		if (n == 0)
			return famfs_err(-EINVAL, "path has an empty component: %s", relpath);
		if (n == 1 && relpath[start] == '.')
			return famfs_err(-EINVAL, "path has a '.' component: %s", relpath);
		if (n == 2 && relpath[start] == '.' && relpath[start + 1] == '.')
			return famfs_err(-EINVAL, "path has a '..' component: %s", relpath);
	}
	return 0;
}

int famfs_path_normalize(const char *in, char out[FAMFS_OMF_PATH_MAX])
{
	size_t o = 0, i = 0, n, start;
	int rc;

	out[0] = '\0';
	if (!in)
		return famfs_err(-EINVAL, "path is empty");
	if (in[0] == '/')
		return famfs_err(-EINVAL, "path is absolute: %.100s", in);
	while (in[i]) {
		while (in[i] == '/')
			i++;
		start = i;
		while (in[i] && in[i] != '/')
			i++;
		n = i - start;
		if (n == 0 || (n == 1 && in[start] == '.'))
			continue;
		if (n == 2 && in[start] == '.' && in[start + 1] == '.')
			return famfs_err(-EINVAL, "path has a '..' component: %.100s", in);
		if (o + (o ? 1 : 0) + n > PATH_MAX_LEN) {
			/* Report the full normalised length, as famfs_path_check would. */
			size_t total = o + (o ? 1 : 0) + n;

			while (in[i]) {
				while (in[i] == '/')
					i++;
				start = i;
				while (in[i] && in[i] != '/')
					i++;
				if (i > start && !(i - start == 1 && in[start] == '.'))
					total += 1 + (i - start);
			}
			out[0] = '\0';
			return famfs_err(-ENAMETOOLONG, "path is %zu bytes, max %d", total,
					 PATH_MAX_LEN);
		}
		if (o)
			out[o++] = '/';
		memcpy(out + o, in + start, n);
		o += n;
	}
	out[o] = '\0';
	if (o == 0)
		return 0;	/* the root */
	rc = famfs_path_check(out);	/* control characters */
	if (rc)
		out[0] = '\0';
	return rc;
}

const char *famfs_path_split(const char *relpath, char parent[FAMFS_OMF_PATH_MAX])
{
	const char *slash = strrchr(relpath, '/');
	size_t n;

	if (!slash) {
		parent[0] = '\0';
		return relpath;
	}
	n = (size_t)(slash - relpath);
	if (n > PATH_MAX_LEN)
		n = PATH_MAX_LEN;
	memcpy(parent, relpath, n);
	parent[n] = '\0';
	return slash + 1;
}
