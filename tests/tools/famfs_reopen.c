// SPDX-License-Identifier: Apache-2.0
/*
 * famfs_reopen.c - one long-lived process that opens, re-opens and closes
 * famfs files as a test tells it, for the tests of the direct-access
 * client's per-process caches (fmaps, shared live mappings), which only a
 * process that outlives a change (mkfs -f, a remount) can exercise.
 *
 *   famfs_reopen CMD...
 *
 * Commands, run in order; each prints one line on stdout:
 *   open:SLOT:r|w:PATH  famfs_map_open PATH read-only or read-write into
 *                       SLOT (0-7): "open SLOT ADDR" or "open SLOT error
 *                       -ERRNO: DETAIL"
 *   close:SLOT          famfs_map_close: "close SLOT"
 *   sum:SLOT            "sum SLOT HEX", a checksum of the mapped file
 *   mapped:SLOT         whether the last address SLOT had is still mapped
 *                       in this process: "mapped SLOT yes|no"
 *   once:PATH           open read-only, print "once SUM" (or "once error
 *                       ..."), close
 *   read:PATH           plain open(2) + read(2) of the whole file + close
 *                       (through the preload shim when it is loaded):
 *                       "read SUM" or "read error ERRNO"
 *   wait                print "wait", then block until a line arrives on
 *                       stdin (the test changes something meanwhile)
 * Exit 0 after the last command; 2 on a usage error.
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

#define NSLOTS	8

static struct famfs_map *slot[NSLOTS];
static void *last_addr[NSLOTS];

/* FNV-1a over @len bytes. */
static uint64_t sum(const uint8_t *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (len--)
		h = (h ^ *p++) * 0x100000001b3ULL;
	return h;
}

/* Is @addr inside a mapping of this process (/proc/self/maps)? */
static bool mapped(void *addr)
{
	unsigned long lo, hi, a = (unsigned long)addr;
	char line[512];
	bool found = false;
	FILE *f = fopen("/proc/self/maps", "r");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && a >= lo && a < hi)
			found = true;
	fclose(f);
	return found;
}

static int slot_of(const char *s)
{
	int n = atoi(s);

	if (n < 0 || n >= NSLOTS) {
		fprintf(stderr, "famfs_reopen: bad slot %s\n", s);
		exit(2);
	}
	return n;
}

static void cmd_open(char *arg)
{
	char *mode = strchr(arg, ':'), *path;
	int s, err;

	if (!mode || !(path = strchr(mode + 1, ':'))) {
		fprintf(stderr, "famfs_reopen: open:SLOT:r|w:PATH\n");
		exit(2);
	}
	*mode++ = '\0';
	*path++ = '\0';
	s = slot_of(arg);
	famfs_map_close(slot[s]);
	slot[s] = NULL;
	err = famfs_map_open(path, *mode == 'w' ? O_RDWR : O_RDONLY, &slot[s]);
	if (err) {
		printf("open %d error %d: %s\n", s, err, famfs_errmsg());
		return;
	}
	last_addr[s] = slot[s]->addr;
	printf("open %d %p\n", s, slot[s]->addr);
}

static void cmd_once(const char *path)
{
	struct famfs_map *m;
	int err = famfs_map_open(path, O_RDONLY, &m);

	if (err) {
		printf("once error %d: %s\n", err, famfs_errmsg());
		return;
	}
	printf("once %016llx\n", (unsigned long long)sum(m->addr, m->len));
	famfs_map_close(m);
}

static void cmd_read(const char *path)
{
	static uint8_t buf[1 << 20];
	uint64_t h = 0xcbf29ce484222325ULL;
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0) {
		printf("read error %d\n", errno);
		return;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (ssize_t i = 0; i < n; i++)
			h = (h ^ buf[i]) * 0x100000001b3ULL;
	if (n < 0)
		printf("read error %d\n", errno);
	else
		printf("read %016llx\n", (unsigned long long)h);
	close(fd);
}

int main(int argc, char **argv)
{
	char line[256];
	int i, s;

	if (argc < 2) {
		fprintf(stderr, "usage: famfs_reopen CMD...\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 1; i < argc; i++) {
		char *a = argv[i];

		if (!strncmp(a, "open:", 5)) {
			cmd_open(a + 5);
		} else if (!strncmp(a, "close:", 6)) {
			s = slot_of(a + 6);
			famfs_map_close(slot[s]);
			slot[s] = NULL;
			printf("close %d\n", s);
		} else if (!strncmp(a, "sum:", 4)) {
			s = slot_of(a + 4);
			if (!slot[s])
				printf("sum %d none\n", s);
			else
				printf("sum %d %016llx\n", s, (unsigned long long)
				       sum(slot[s]->addr, slot[s]->len));
		} else if (!strncmp(a, "mapped:", 7)) {
			s = slot_of(a + 7);
			printf("mapped %d %s\n", s, last_addr[s] && mapped(last_addr[s]) ?
			       "yes" : "no");
		} else if (!strncmp(a, "once:", 5)) {
			cmd_once(a + 5);
		} else if (!strncmp(a, "read:", 5)) {
			cmd_read(a + 5);
		} else if (!strcmp(a, "wait")) {
			printf("wait\n");
			if (!fgets(line, sizeof(line), stdin))
				return 0;
		} else {
			fprintf(stderr, "famfs_reopen: unknown command %s\n", a);
			return 2;
		}
	}
	return 0;
}
