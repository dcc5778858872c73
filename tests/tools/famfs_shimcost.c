// SPDX-License-Identifier: Apache-2.0
/*
 * famfs_shimcost.c - test tool: the per-call cost of small pread(2) and
 * read(2) calls on a file (run it under the preload shim on a famfs file),
 * and of the statx(AT_STATX_DONT_SYNC) check the shim makes before each
 * one. With "rw", also of pwrite(2) (each writes back the bytes it read,
 * so the file is unchanged) and of fsync(2). Prints one line per measure:
 * "NAME ns_per_call".
 *
 *   famfs_shimcost FILE [CALLS [rw]]
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long calls = argc > 2 ? atol(argv[2]) : 100000, i;
	int rw = argc > 3 && !strcmp(argv[3], "rw");
	struct statx stx;
	char buf[64];
	double t;
	off_t size;
	int fd;

	if (argc < 2 || calls <= 0) {
		fprintf(stderr, "usage: famfs_shimcost FILE [CALLS]\n");
		return 2;
	}
	fd = open(argv[1], rw ? O_RDWR : O_RDONLY);
	size = fd < 0 ? -1 : lseek(fd, 0, SEEK_END);
	if (size < (off_t)sizeof(buf)) {
		perror(argv[1]);
		return 1;
	}
	t = now_ns();
	for (i = 0; i < calls; i++)
		if (pread(fd, buf, sizeof(buf), (i * 4096) % (size - sizeof(buf))) != sizeof(buf))
			return 1;
	printf("pread64 %.0f\n", (now_ns() - t) / calls);
	t = now_ns();
	for (i = 0; i < calls; i++) {
		if (i % 1024 == 0)
			lseek(fd, 0, SEEK_SET);
		if (read(fd, buf, sizeof(buf)) <= 0)
			return 1;
	}
	printf("read64 %.0f\n", (now_ns() - t) / calls);
	t = now_ns();
	for (i = 0; i < calls; i++)
		if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_INO, &stx) < 0)
			return 1;
	printf("statx_dont_sync %.0f\n", (now_ns() - t) / calls);
	if (rw) {
		if (pread(fd, buf, sizeof(buf), 4096) != sizeof(buf))
			return 1;
		t = now_ns();
		for (i = 0; i < calls; i++)
			if (pwrite(fd, buf, sizeof(buf), 4096) != sizeof(buf))
				return 1;
		printf("pwrite64 %.0f\n", (now_ns() - t) / calls);
		t = now_ns();
		for (i = 0; i < 20; i++)
			if (fsync(fd) < 0)
				return 1;
		printf("fsync_whole_file %.0f\n", (now_ns() - t) / 20);
	}
	close(fd);
	return 0;
}
