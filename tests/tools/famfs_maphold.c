// SPDX-License-Identifier: Apache-2.0
/*
 * famfs_maphold.c - hold a direct mapping of a famfs file while its device
 * shrinks underneath, for the memory-fault tests.
 *
 *   famfs_maphold plain|guarded FILE READY GO
 *
 * Maps FILE with famfs_map_open (read-only) and reads every byte once, so
 * the mapping is known to work; creates the file READY; then blocks until
 * a line can be read from GO (a FIFO the test writes when it has shrunk the
 * device). Then:
 *   plain    loads one byte of every 4 KiB page of the whole file with
 *            plain CPU loads. A fault kills the process with SIGBUS (the
 *            default action); surviving prints "no fault" and exits 1.
 *   guarded  copies the whole file with famfs_sigbus_memcpy, and with
 *            famfs_sigbus_try over the same page loads. Each must return
 *            -EIO; prints "guarded: -EIO ..." and exits 0. Any other
 *            result exits 1.
 * Exit 2: usage; 3: setup failed (map, first read, READY, GO).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "famfs/err.h"
#include "famfs/map.h"
#include "famfs/sigbus.h"

#define BUF_MAX	(64 << 20)

static struct famfs_map *map;

/* Load one byte of every 4 KiB page of the mapped file; return their sum. */
static uint64_t touch_pages(void)
{
	const volatile uint8_t *p = map->addr;
	uint64_t sum = 0;

	for (size_t i = 0; i < map->len; i += 4096)
		sum += p[i];
	return sum;
}

static int touch_fn(void *arg)
{
	*(uint64_t *)arg = touch_pages();
	return 0;
}

static int setup(const char *file, const char *ready, const char *go, uint8_t *buf)
{
	char line[16];
	FILE *f;
	int rc, fd;

	rc = famfs_map_open(file, O_RDONLY, &map);
	if (rc) {
		fprintf(stderr, "famfs_map_open %s: %s\n", file, famfs_errmsg());
		return 3;
	}
	if (map->len > BUF_MAX) {
		fprintf(stderr, "%s: larger than %d bytes\n", file, BUF_MAX);
		return 3;
	}
	rc = famfs_sigbus_memcpy(buf, map->addr, map->len);
	if (rc) {
		fprintf(stderr, "first read of %s failed: %s\n", file, famfs_errmsg());
		return 3;
	}
	fd = open(ready, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || close(fd)) {
		perror(ready);
		return 3;
	}
	f = fopen(go, "r");
	if (!f || !fgets(line, sizeof(line), f)) {
		fprintf(stderr, "%s: no go signal\n", go);
		return 3;
	}
	fclose(f);
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t sum = 0;
	uint8_t *buf;
	int rc1, rc2, rc;

	if (argc != 5 || (strcmp(argv[1], "plain") && strcmp(argv[1], "guarded"))) {
		fprintf(stderr, "usage: famfs_maphold plain|guarded FILE READY GO\n");
		return 2;
	}
	buf = malloc(BUF_MAX);
	if (!buf)
		return 3;
	rc = setup(argv[2], argv[3], argv[4], buf);
	if (rc)
		return rc;
	if (!strcmp(argv[1], "plain")) {
		sum = touch_pages();
		printf("no fault (sum %llu)\n", (unsigned long long)sum);
		return 1;
	}
	printf("mapped at %p, %zu bytes\n", map->addr, map->len);
	famfs_errclear();
	rc1 = famfs_sigbus_memcpy(buf, map->addr, map->len);
	printf("memcpy: %d (%s)\n", rc1, famfs_errmsg());
	famfs_errclear();
	rc2 = famfs_sigbus_try(touch_fn, &sum);
	printf("try: %d (%s)\n", rc2, famfs_errmsg());
	if (rc1 != -EIO || rc2 != -EIO || famfs_sigbus_caught() != 2) {
		printf("unexpected: memcpy %d, try %d, caught %lu\n", rc1, rc2,
		       famfs_sigbus_caught());
		return 1;
	}
	printf("guarded: -EIO from both, %lu faults caught\n", famfs_sigbus_caught());
	famfs_map_close(map);
	free(buf);
	return 0;
}
