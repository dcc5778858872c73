// SPDX-License-Identifier: Apache-2.0
/*
 * famfs_shimsem.c - test tool: the file semantics the preload shim must
 * keep, checked with plain libc calls on a famfs file of at least 16 KiB
 * that the test may scribble on. Run it under LD_PRELOAD.
 *
 *   famfs_shimsem FILE
 *
 * Prints "FAIL: what" for each broken rule; exits 1 if any.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int nfail;

#define CHECK(cond, ...)							\
	do {								\
		if (!(cond)) {						\
			printf("FAIL: line %d: ", __LINE__);		\
			printf(__VA_ARGS__);				\
			printf(" (errno %d %s)\n", errno, strerror(errno));	\
			nfail++;					\
		}							\
	} while (0)

int main(int argc, char **argv)
{
	char buf[64], c;
	struct stat st;
	off_t s;
	char *m;
	int fd, ro, dfd;

	if (argc != 2) {
		fprintf(stderr, "usage: famfs_shimsem FILE\n");
		return 2;
	}
	fd = open(argv[1], O_RDWR);
	ro = open(argv[1], O_RDONLY);
	if (fd < 0 || ro < 0 || fstat(fd, &st) < 0 || st.st_size < 16384) {
		perror(argv[1]);
		return 1;
	}
	s = st.st_size;

	/* read moves the file offset; short at EOF, then 0 */
	CHECK(read(fd, buf, 10) == 10, "read 10");
	CHECK(lseek(fd, 0, SEEK_CUR) == 10, "offset after read");
	CHECK(lseek(fd, s - 3, SEEK_SET) == s - 3, "lseek");
	CHECK(read(fd, buf, 10) == 3, "read across EOF is short");
	CHECK(read(fd, buf, 10) == 0, "read at EOF is 0");
	CHECK(lseek(fd, 0, SEEK_CUR) == s, "offset at EOF");

	/* writes never grow the file */
	errno = 0;
	CHECK(write(fd, "x", 1) == -1 && errno == EFBIG, "write at EOF is EFBIG");
	errno = 0;
	CHECK(pwrite(fd, "x", 1, s + 100) == -1 && errno == EFBIG, "pwrite past EOF is EFBIG");
	CHECK(lseek(fd, s - 2, SEEK_SET) == s - 2, "lseek");
	CHECK(write(fd, "abcd", 4) == 2, "write across EOF is short");
	CHECK(lseek(fd, 0, SEEK_CUR) == s, "offset after short write");
	CHECK(pread(ro, buf, 4, s - 2) == 2 && !memcmp(buf, "ab", 2), "short write landed");
	CHECK(write(fd, buf, 0) == 0, "empty write");

	/* pwrite/pread at an offset, seen through another descriptor */
	CHECK(pwrite(fd, "hello", 5, 100) == 5, "pwrite");
	CHECK(pread(ro, buf, 5, 100) == 5 && !memcmp(buf, "hello", 5), "pread sees pwrite");
	errno = 0;
	CHECK(pread(ro, buf, 5, -1) == -1 && errno == EINVAL, "negative offset");

	/* access modes */
	errno = 0;
	CHECK(write(ro, "x", 1) == -1 && errno == EBADF, "write on O_RDONLY is EBADF");
	errno = 0;
	m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0);
	CHECK(m == MAP_FAILED && errno == EACCES, "PROT_WRITE on O_RDONLY is EACCES");
	errno = 0;
	m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, ro, 100);
	CHECK(m == MAP_FAILED && errno == EINVAL, "unaligned mmap offset is EINVAL");

	/* mmap at an offset; stores through a shared map are seen by pread */
	m = mmap(NULL, 8192, PROT_READ, MAP_SHARED, ro, 4096);
	CHECK(m != MAP_FAILED, "mmap at 4096");
	if (m != MAP_FAILED) {
		CHECK(pread(ro, buf, 16, 4096 + 50) == 16 && !memcmp(buf, m + 50, 16),
		      "mmap bytes equal pread bytes");
		munmap(m, 8192);
	}
	m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(m != MAP_FAILED, "rw mmap");
	if (m != MAP_FAILED) {
		m[200] = 'Z';
		CHECK(pread(ro, &c, 1, 200) == 1 && c == 'Z', "store through mmap seen by pread");
		munmap(m, 4096);
	}

	/* a dup keeps working after the original is closed */
	dfd = dup(ro);
	close(ro);
	CHECK(pread(dfd, buf, 5, 100) == 5 && !memcmp(buf, "hello", 5), "pread on a dup");
	close(dfd);
	close(fd);
	printf("%d failed\n", nfail);
	return nfail != 0;
}
