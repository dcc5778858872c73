// SPDX-License-Identifier: Apache-2.0
/*
 * famfs_rmhold.c - hold a mapping of a famfs file while the master deletes
 * it, for the rm tests (tests/system/test_rm.sh, check-vm).
 *
 *   famfs_rmhold mmap|dup2|dup2bad|lib FILE SEED READY GO DONE
 *
 * mmap: open(2) FILE O_RDWR, mmap(2) it MAP_SHARED and close the fd at
 *       once, so only the mapping holds the file (run it under the preload
 *       shim for a direct mapping, or natively);
 * dup2: as mmap, then find the descriptor the preload shim keeps for the
 *       mapping (the one left open on FILE) and dup2(0, it), as a program
 *       that redirects onto a fixed number would; after the unmap, print
 *       whether that descriptor (the program's now) is still open;
 * dup2bad: as mmap, then dup3 onto the shim's descriptor with bad flags
 *       and dup2 onto it from a descriptor that is not open: both must
 *       fail and leave the shim's duplicate tracked; after the unmap,
 *       print whether any descriptor is still open on FILE;
 * lib:  famfs_map_open(FILE), which keeps its own descriptor.
 * Then: check that the mapping holds the pattern famfs creat -r -S SEED
 * wrote, create READY, and wait for a line on GO (a FIFO). The test
 * deletes FILE meanwhile. Check the pattern again (the mapping must still
 * show the file's bytes), unmap, and write to DONE the CLOCK_REALTIME
 * nanoseconds right after the unmap, then wait for another line on GO
 * before exiting: the process outlives the unmap, so what lets the memory
 * go is the unmap, not the exit.
 * Prints "kept N bytes" or "changed at OFFSET". Exit 0 if the bytes were
 * kept, 1 if they changed, 2 usage, 3 setup failed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "famfs/err.h"
#include "famfs/famfs.h"

/* famfs creat -r's pattern (src/cli/util.c cli_pattern_word), restated. */
static uint64_t pattern_word(uint64_t seed, uint64_t i)
{
	uint64_t z = seed * 0xd1b54a32d192ed03ULL + (i + 1) * 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* -1 when @p holds the pattern of @seed for @len bytes, else the first bad offset. */
static int64_t check(const volatile uint8_t *p, uint64_t len, uint64_t seed)
{
	for (uint64_t off = 0; off < len; off++) {
		uint64_t w = pattern_word(seed, off / 8);

		if (p[off] != (uint8_t)(w >> (8 * (off % 8))))
			return (int64_t)off;
	}
	return -1;
}

static int wait_line(const char *path)
{
	char line[64];
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return -1;
	}
	fclose(f);
	return 0;
}

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(text, f) < 0 || fclose(f))
		return -1;
	return 0;
}

/*
 * The lowest descriptor open on the file @want was fstat'ed from (other
 * than the directory's own), or -1. By inode: a deleted file keeps it.
 */
static int fd_on(const struct stat *want)
{
	struct dirent *d;
	struct stat st;
	DIR *dir;
	int fd = -1, i;

	dir = opendir("/proc/self/fd");
	if (!dir)
		return -1;
	while ((d = readdir(dir))) {
		i = atoi(d->d_name);
		if (d->d_name[0] == '.' || i == dirfd(dir))
			continue;
		if (!fstat(i, &st) && st.st_dev == want->st_dev && st.st_ino == want->st_ino &&
		    (fd < 0 || i < fd))
			fd = i;
	}
	closedir(dir);
	return fd;
}

/*
 * dup3 with bad flags, then dup2 from a descriptor that is not open, each
 * onto the descriptor the shim keeps for @file: both must fail. 0, or 3
 * after a message.
 */
static int dup2_bad(const char *file, const struct stat *st)
{
	int priv = fd_on(st), rc;

	if (priv < 0) {
		fprintf(stderr, "famfs_rmhold: no descriptor left on %s\n", file);
		return 3;
	}
	rc = dup3(0, priv, 0x40000000);
	printf("dup3 bad flags onto %d: %s\n", priv, rc < 0 ? strerror(errno) : "succeeded");
	priv = fd_on(st);
	rc = priv < 0 ? 0 : dup2(INT_MAX - 1, priv);
	printf("dup2 of a closed fd onto %d: %s\n", priv, rc < 0 ? strerror(errno) : "succeeded");
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	struct famfs_map *m = NULL;
	const uint8_t *p;
	struct timespec ts;
	struct stat st;
	uint64_t seed, len;
	int64_t bad;
	char buf[64];
	int fd, priv = -1;

	if (argc != 7 || (strcmp(argv[1], "mmap") && strcmp(argv[1], "dup2") &&
			  strcmp(argv[1], "dup2bad") && strcmp(argv[1], "lib"))) {
		fprintf(stderr, "usage: famfs_rmhold mmap|dup2|dup2bad|lib FILE SEED READY GO "
			"DONE\n");
		return 2;
	}
	seed = strtoull(argv[3], NULL, 0);
	if (!strcmp(argv[1], "lib")) {
		if (famfs_map_open(argv[2], O_RDONLY, &m)) {
			fprintf(stderr, "famfs_rmhold: %s: %s\n", argv[2], famfs_errmsg());
			return 3;
		}
		p = famfs_map_addr(m);
		len = famfs_map_size(m);
	} else {
		fd = open(argv[2], O_RDWR);
		if (fd < 0 || fstat(fd, &st)) {
			perror(argv[2]);
			return 3;
		}
		len = (uint64_t)st.st_size;
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED) {
			perror("mmap");
			return 3;
		}
		close(fd);	/* the mapping alone holds the file now */
		if (!strcmp(argv[1], "dup2")) {
			priv = fd_on(&st);
			if (priv < 0 || dup2(0, priv) != priv) {
				fprintf(stderr, "famfs_rmhold: no descriptor left on %s to dup2 "
					"onto\n", argv[2]);
				return 3;
			}
			printf("dup2 onto %d\n", priv);
		}
		if (!strcmp(argv[1], "dup2bad") && dup2_bad(argv[2], &st))
			return 3;
	}
	bad = check(p, len, seed);
	if (bad >= 0) {
		fprintf(stderr, "famfs_rmhold: %s: no pattern %" PRIu64 " at %" PRId64 "\n",
			argv[2], seed, bad);
		return 3;
	}
	if (write_file(argv[4], "ready\n") || wait_line(argv[5]))
		return 3;
	bad = check(p, len, seed);
	if (bad >= 0)
		printf("changed at %" PRId64 "\n", bad);
	else
		printf("kept %" PRIu64 " bytes\n", len);
	fflush(stdout);
	if (m)
		famfs_map_close(m);
	else
		munmap((void *)p, len);
	clock_gettime(CLOCK_REALTIME, &ts);
	if (priv >= 0)
		printf("dup2 target %s\n", fcntl(priv, F_GETFD) >= 0 ? "still open" : "closed");
	if (!strcmp(argv[1], "dup2bad"))
		printf("after the unmap: %s\n", fd_on(&st) >= 0 ? "a descriptor is still "
		       "open on the file" : "no descriptor open on the file");
	fflush(stdout);
	snprintf(buf, sizeof(buf), "%lld\n", (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
	if (write_file(argv[6], buf) || wait_line(argv[5]))
		return 3;
	return bad >= 0 ? 1 : 0;
}
