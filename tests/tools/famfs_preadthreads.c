// SPDX-License-Identifier: Apache-2.0
/*
 * famfs_preadthreads.c - test tool: read a file with pread(2) from 4
 * threads at once, in blocks of odd sizes, and write what they read to
 * stdout in file order. Plain libc, for use under the preload shim.
 * Also checks pread's EOF rules (short at EOF, 0 at and after it).
 *
 *   famfs_preadthreads FILE
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define NTHREADS	4
#define BLOCK		(64 * 1024 - 13)

static int fd;
static uint8_t *buf;
static off_t size;
static int bad;

static void *reader(void *arg)
{
	long t = (long)arg;
	off_t off;
	ssize_t n;
	int pass;

	/* each thread reads every 4th block, twice over, in opposite orders */
	for (pass = 0; pass < 2; pass++)
		for (off = (off_t)t * BLOCK; off < size; off += NTHREADS * BLOCK) {
			n = pread(fd, buf + off, BLOCK, off);
			if (n != (off + BLOCK <= size ? BLOCK : size - off)) {
				fprintf(stderr, "pread at %lld: %zd (%d)\n", (long long)off, n,
					errno);
				__atomic_store_n(&bad, 1, __ATOMIC_RELAXED);
			}
		}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t th[NTHREADS];
	struct stat st;
	uint8_t tmp[16];
	size_t left;
	uint8_t *p;
	ssize_t n;
	long t;

	if (argc != 2) {
		fprintf(stderr, "usage: famfs_preadthreads FILE\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY);
	if (fd < 0 || fstat(fd, &st) < 0) {
		perror(argv[1]);
		return 1;
	}
	size = st.st_size;
	buf = malloc(size + 1);
	for (t = 0; t < NTHREADS; t++)
		pthread_create(&th[t], NULL, reader, (void *)t);
	for (t = 0; t < NTHREADS; t++)
		pthread_join(th[t], NULL);
	if (pread(fd, tmp, sizeof(tmp), size) != 0 || pread(fd, tmp, sizeof(tmp), size + 5) != 0) {
		fprintf(stderr, "pread at/after EOF did not return 0\n");
		bad = 1;
	}
	if (size > 3 && pread(fd, tmp, sizeof(tmp), size - 3) != 3) {
		fprintf(stderr, "pread across EOF was not short\n");
		bad = 1;
	}
	for (p = buf, left = size; left; p += n, left -= n) {
		n = write(1, p, left);
		if (n < 0) {
			perror("write");
			return 1;
		}
	}
	return bad;
}
