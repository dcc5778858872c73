// SPDX-License-Identifier: Apache-2.0
/*
 * famfs_mmaptool.c - test tool that uses only plain libc (open, fstat,
 * mmap), so that under LD_PRELOAD=libfamfs-preload.so it exercises the
 * shim's direct mmap like any unmodified program would.
 *
 *   famfs_mmaptool cat FILE     mmap the whole file, write it to stdout
 *   famfs_mmaptool touch FILE   mmap it, load one byte of every 4 KiB page,
 *                               sum every byte; print "pages N sum S"
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const volatile uint8_t *vp;
	const uint8_t *p;
	uint64_t sum = 0, pages = 0, i;
	struct stat st;
	size_t left;
	ssize_t n;
	int fd;

	if (argc != 3 || (strcmp(argv[1], "cat") && strcmp(argv[1], "touch"))) {
		fprintf(stderr, "usage: famfs_mmaptool cat|touch FILE\n");
		return 2;
	}
	fd = open(argv[2], O_RDONLY);
	if (fd < 0 || fstat(fd, &st) < 0) {
		perror(argv[2]);
		return 1;
	}
	if (st.st_size == 0) {
		if (!strcmp(argv[1], "touch"))
			printf("pages 0 sum 0\n");
		return 0;
	}
	p = mmap(NULL, st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	close(fd);	/* the mapping must outlive the descriptor */
	if (!strcmp(argv[1], "cat")) {
		for (left = st.st_size; left; p += n, left -= n) {
			n = write(1, p, left);
			if (n < 0) {
				perror("write");
				return 1;
			}
		}
		return 0;
	}
	vp = p;
	for (i = 0; i < (uint64_t)st.st_size; i += 4096) {
		(void)vp[i];
		pages++;
	}
	for (i = 0; i < (uint64_t)st.st_size; i++)
		sum += p[i];
	printf("pages %llu sum %llu\n", (unsigned long long)pages, (unsigned long long)sum);
	return 0;
}
