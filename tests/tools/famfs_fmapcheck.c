// SPDX-License-Identifier: Apache-2.0
/*
 * famfs_fmapcheck.c - what the kernel module must answer when famfsd sends
 * FILE as a GET_FMAP reply: the open(2) errno, by the same rules the module
 * runs (lib/fmap.c's decoder and validator, then its device and strip
 * bounds for devices of DEV_SIZE bytes at index 0, 1, ...; a device not
 * listed is not there), or 0. make check-vm compares it with what open(2)
 * really gets.
 *
 *   famfs_fmapcheck DEV_SIZE[,DEV_SIZE...] FILE...    prints "NAME ERRNO" per file
 *
 * A reply over 4096 bytes never reaches the decoder: the fuse core refuses
 * it (the server's write gets EINVAL) and the opener gets EIO.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "famfs/fmap.h"

static int expect(const uint8_t *buf, ssize_t len, const uint64_t *sizes)
{
	static struct famfs_fmap f;
	int rc;

	if (len > FAMFS_FMAP_MSG_MAX)
		return EIO;
	rc = famfs_fmap_decode(buf, (size_t)len, &f);
	if (!rc)
		rc = famfs_fmap_check_bounds(&f, sizes);
	return -rc;
}

int main(int argc, char **argv)
{
	static uint8_t buf[2 * FAMFS_FMAP_MSG_MAX];
	uint64_t sizes[FAMFS_MAX_DAXDEVS] = { 0 };
	char *p, *end;
	unsigned int d;
	ssize_t len;
	int i, fd;

	if (argc < 3) {
		fprintf(stderr, "usage: famfs_fmapcheck DEV_SIZE[,DEV_SIZE...] FILE...\n");
		return 2;
	}
	for (p = argv[1], d = 0; *p && d < FAMFS_MAX_DAXDEVS; d++) {
		sizes[d] = strtoull(p, &end, 0);
		p = *end == ',' ? end + 1 : end;
	}
	for (i = 2; i < argc; i++) {
		const char *name = strrchr(argv[i], '/');

		fd = open(argv[i], O_RDONLY);
		if (fd < 0) {
			perror(argv[i]);
			return 1;
		}
		len = read(fd, buf, sizeof(buf));
		close(fd);
		if (len < 0) {
			perror(argv[i]);
			return 1;
		}
		printf("%s %d\n", name ? name + 1 : argv[i], expect(buf, len, sizes));
	}
	return 0;
}
