// SPDX-License-Identifier: Apache-2.0
/*
 * famfs_mapcat.c - test tool: map famfs files with famfs_map_open() and
 * write their bytes, read from the mapping, to stdout, one after the
 * other, in one process.
 *
 *   famfs_mapcat FILE|--wait=FIFO ...
 *
 * --wait=FIFO reads one line from FIFO before going on (the test remounts
 * something meanwhile); it is not an output. Each file is unmapped before
 * the next argument. Exit 0 on success; 1 with "famfs_mapcat: FILE:
 * detail" on stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "famfs/err.h"
#include "famfs/map.h"

static int cat(const char *path)
{
	struct famfs_map *m;
	const char *p;
	size_t left;
	ssize_t n;
	int err;

	err = famfs_map_open(path, O_RDONLY, &m);
	if (err) {
		fprintf(stderr, "famfs_mapcat: %s: %s (%s)\n", path, strerror(-err),
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
			famfs_map_close(m);
			return 1;
		}
	}
	famfs_map_close(m);
	return 0;
}

/* Block until a line (or EOF) can be read from @fifo. */
static int wait_line(const char *fifo)
{
	char buf[256];
	FILE *f = fopen(fifo, "r");

	if (!f) {
		perror(fifo);
		return 1;
	}
	(void)fgets(buf, sizeof(buf), f);
	fclose(f);
	return 0;
}

int main(int argc, char **argv)
{
	int i;

	if (argc < 2) {
		fprintf(stderr, "usage: famfs_mapcat FILE|--wait=FIFO ...\n");
		return 2;
	}
	for (i = 1; i < argc; i++) {
		if (!strncmp(argv[i], "--wait=", 7) ? wait_line(argv[i] + 7) : cat(argv[i]))
			return 1;
	}
	return 0;
}
