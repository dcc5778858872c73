// SPDX-License-Identifier: Apache-2.0
/*
 * famfs_maptool.c - test tool: store and watch bytes of a famfs file
 * through famfs_map_open(), for the multi-host and failure tests.
 *
 *   famfs_maptool [-k FIRST] CMD ...
 *   -k FIRST            map FIRST read-only before CMD and keep it mapped:
 *                       the process then knows FIRST's mount and devices
 *                       (two mounts in one process)
 *   famfs_maptool open  FILE [ro|rw]         map it, print "addr len nsegs"
 *   famfs_maptool store FILE OFF LEN SEED    store a seeded pattern (rw map)
 *   famfs_maptool openfd FILE path|ro|wo|rw ro|rw
 *                       open(2) FILE with O_PATH, O_RDONLY, O_WRONLY or
 *                       O_RDWR, then famfs_map_open_fd() it for reading or
 *                       reading and writing; print "mapped LEN"
 *   famfs_maptool wait  FILE OFF LEN SEED SECS
 *                       poll the map (invalidating caches) until the
 *                       pattern is there; exit 1 at the deadline
 *   famfs_maptool waitcmp FILE OFF SRC SECS
 *                       the same, for the bytes of the local file SRC
 *
 * Errors: "famfs_maptool: FILE: strerror (detail)" on stderr, exit 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "famfs/dev.h"
#include "famfs/err.h"
#include "famfs/map.h"

static uint8_t pat(uint64_t seed, uint64_t i)
{
	uint64_t x = (seed + 1) * 0x9e3779b97f4a7c15ULL ^ (i * 0xbf58476d1ce4e5b9ULL);

	x ^= x >> 29;
	return (uint8_t)(x * 0x94d049bb133111ebULL >> 56);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Poll until @p holds @want's @len bytes, or @secs pass. */
static int wait_for(const uint8_t *p, const uint8_t *want, uint64_t len, const char *secs)
{
	double deadline = now() + atof(secs);

	for (;;) {
		famfs_invalidate(p, len);
		if (!memcmp(p, want, len))
			return 0;
		if (now() > deadline) {
			fprintf(stderr, "famfs_maptool: bytes differ after %s s\n", secs);
			return 1;
		}
		nanosleep(&(struct timespec){ 0, 5000000 }, NULL);
	}
}

static int fail(const char *path, int err)
{
	fprintf(stderr, "famfs_maptool: %s: %s (%s)\n", path, strerror(-err), famfs_errmsg());
	return 1;
}

int main(int argc, char **argv)
{
	struct famfs_map *m, *first = NULL;
	uint64_t off, len, seed, i;
	uint8_t *p;
	bool rw;
	int err;

	if (argc > 2 && !strcmp(argv[1], "-k")) {
		err = famfs_map_open(argv[2], O_RDONLY, &first);
		if (err)
			return fail(argv[2], err);
		argv += 2;
		argc -= 2;
	}
	if (argc < 3)
		goto usage;
	if (!strcmp(argv[1], "openfd") && argc == 5) {
		int how = !strcmp(argv[3], "path") ? O_PATH : !strcmp(argv[3], "wo") ? O_WRONLY :
			  !strcmp(argv[3], "rw") ? O_RDWR : O_RDONLY;
		int fd = open(argv[2], how | O_CLOEXEC);

		if (fd < 0)
			return fail(argv[2], -errno);
		err = famfs_map_open_fd(fd, strcmp(argv[4], "rw") ? O_RDONLY : O_RDWR, &m);
		close(fd);
		if (err)
			return fail(argv[2], err);
		printf("mapped %zu\n", m->len);
		famfs_map_close(m);
		return 0;
	}
	rw = !strcmp(argv[1], "store") || (argc > 3 && !strcmp(argv[3], "rw"));
	err = famfs_map_open(argv[2], rw ? O_RDWR : O_RDONLY, &m);
	if (err)
		return fail(argv[2], err);
	if (!strcmp(argv[1], "open")) {
		printf("%p %zu %ld\n", m->addr, m->len, m->nsegs);
		famfs_map_close(m);
		return 0;
	}
	if (!strcmp(argv[1], "waitcmp") && argc == 6) {
		struct stat st;
		uint8_t *want;
		int fd = open(argv[4], O_RDONLY);

		off = strtoull(argv[3], NULL, 0);
		if (fd < 0 || fstat(fd, &st) < 0) {
			perror(argv[4]);
			return 1;
		}
		len = (uint64_t)st.st_size;
		want = malloc(len + 1);
		if (read(fd, want, len) != (ssize_t)len || off > m->len || len > m->len - off) {
			fprintf(stderr, "famfs_maptool: %s: short read or past EOF\n", argv[4]);
			return 1;
		}
		return wait_for((uint8_t *)m->addr + off, want, len, argv[5]);
	}
	if (argc < 6)
		goto usage;
	off = strtoull(argv[3], NULL, 0);
	len = strtoull(argv[4], NULL, 0);
	seed = strtoull(argv[5], NULL, 0);
	if (off > m->len || len > m->len - off) {
		fprintf(stderr, "famfs_maptool: range past EOF (%zu)\n", m->len);
		return 1;
	}
	p = (uint8_t *)m->addr + off;
	if (!strcmp(argv[1], "store")) {
		for (i = 0; i < len; i++)
			p[i] = pat(seed, i);
		famfs_flush(p, len);
		famfs_map_close(m);
		famfs_map_close(first);
		return 0;
	}
	if (!strcmp(argv[1], "wait") && argc == 7) {
		uint8_t *want = malloc(len + 1);

		for (i = 0; i < len; i++)
			want[i] = pat(seed, i);
		return wait_for(p, want, len, argv[6]);
	}
usage:
	fprintf(stderr, "usage: famfs_maptool [-k FIRST] open FILE [ro|rw] | store FILE OFF LEN "
		"SEED | wait FILE OFF LEN SEED SECS | waitcmp FILE OFF SRC SECS\n");
	return 2;
}
