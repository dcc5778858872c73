// SPDX-License-Identifier: Apache-2.0
/*
 * famfs_mapcat.c - test tool: map a famfs file with famfs_map_open() and
 * write its bytes, read from the mapping, to stdout.
 *
 *   famfs_mapcat FILE
 *
 * Exit 0 on success; 1 with "famfs_mapcat: FILE: detail" on stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "famfs/err.h"
#include "famfs/map.h"

int main(int argc, char **argv)
{
	struct famfs_map *m;
	const char *p;
	size_t left;
	ssize_t n;
	int err;

	if (argc != 2) {
		fprintf(stderr, "usage: famfs_mapcat FILE\n");
		return 2;
	}
	err = famfs_map_open(argv[1], O_RDONLY, &m);
	if (err) {
		fprintf(stderr, "famfs_mapcat: %s: %s (%s)\n", argv[1], strerror(-err),
			famfs_errmsg());
		return 1;
	}
	for (p = m->addr, left = m->len; left; p += n, left -= (size_t)n) {
		n = write(1, p, left);
		if (n < 0) {
			if (errno == EINTR) {
				n = 0;
				continue;
			}
			perror("famfs_mapcat: stdout");
			return 1;
		}
	}
	famfs_map_close(m);
	return 0;
}
