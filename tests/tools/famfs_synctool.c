// SPDX-License-Identifier: Apache-2.0
/*
 * famfs_synctool.c - test tool: the stores and write backs of the flush
 * tests. Run it under the preload shim (its read/write/mmap/fsync/msync
 * are the shim's), without it (FUSE), and in the flush audit build.
 *
 *   famfs_synctool write FILE        pwrite and write a pattern (odd sizes
 *                                    and offsets, 1 byte to 1 MiB), then
 *                                    read it back with pread and read
 *   famfs_synctool osync FILE        the same on O_SYNC and O_DSYNC fds
 *   famfs_synctool mmap MODE FILE    map FILE shared and read-write, store
 *                                    a pattern into two ranges, A = [4103,
 *                                    +1000) and B = [3 MiB, +100), then
 *                                    MODE: msync, msync-async, msync-inval,
 *                                    fsync, fdatasync, sfr (whole file),
 *                                    msync-a, sfr-a (range A only), none
 *   famfs_synctool sfr-errors FILE   sync_file_range's EINVAL cases
 *   famfs_synctool mapfsync FILE     famfs_map_open, store range A, then
 *                                    fsync(2) the map's fd (famfsd's FSYNC
 *                                    when not under the shim)
 *   famfs_synctool audit-check FILE  (audit build) map FILE with
 *                                    famfs_map_open and print "clean" or
 *                                    "dirty at OFFSET": the first byte that
 *                                    differs from what the audit's shadow
 *                                    (another host) sees; exit 0 / 1
 *
 * SEED=N in the environment changes the patterns (default 0), so that a
 * run stores bytes that differ from the last run's.
 *
 * Exit 0 when every call did what it should; errors on stderr, exit 1.
 * Range A's first byte is 4103, so "dirty at 4103" names A and "dirty at
 * 3145728" names B.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "famfs/audit.h"
#include "famfs/err.h"
#include "famfs/map.h"

#define A_OFF	4103
#define A_LEN	1000
#define B_OFF	(3u << 20)
#define B_LEN	100

static const char *file;
static unsigned int seed0;

static int die(const char *what)
{
	fprintf(stderr, "famfs_synctool: %s: %s: %s\n", file, what, strerror(errno));
	return 1;
}

static uint8_t pat(unsigned int seed, uint64_t i)
{
	uint64_t x = (seed + seed0 * 64 + 1) * 0x9e3779b97f4a7c15ULL ^ (i * 0xbf58476d1ce4e5b9ULL);

	x ^= x >> 29;
	return (uint8_t)(x * 0x94d049bb133111ebULL >> 56);
}

static void fill(uint8_t *p, uint64_t off, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = pat(seed, off + i);
}

static int check(const uint8_t *p, uint64_t off, size_t len, unsigned int seed, const char *what)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (p[i] != pat(seed, off + i)) {
			fprintf(stderr, "famfs_synctool: %s: %s: byte %llu differs\n", file, what,
				(unsigned long long)(off + i));
			return 1;
		}
	}
	return 0;
}

/* pwrite/write then pread/read back, on @fd (open O_RDWR with any flags). */
static int write_read(int fd, unsigned int seed)
{
	static const size_t lens[] = { 1, 63, 64, 255, 256, 4097, 65536 + 13, 1u << 20 };
	static uint8_t buf[(1u << 20) + 64], back[(1u << 20) + 64];
	uint64_t off = 17;
	size_t i;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++, off += lens[i - 1] * 2 + 4093) {
		fill(buf, off, lens[i], seed);
		if (pwrite(fd, buf, lens[i], (off_t)off) != (ssize_t)lens[i])
			return die("pwrite");
		memset(back, 0, lens[i]);
		if (pread(fd, back, lens[i], (off_t)off) != (ssize_t)lens[i])
			return die("pread");
		if (check(back, off, lens[i], seed, "pread after pwrite"))
			return 1;
		/* the same through the file offset, just after */
		fill(buf, off + lens[i], lens[i], seed + 1);
		if (lseek(fd, (off_t)(off + lens[i]), SEEK_SET) < 0 ||
		    write(fd, buf, lens[i]) != (ssize_t)lens[i])
			return die("write");
		if (lseek(fd, (off_t)(off + lens[i]), SEEK_SET) < 0 ||
		    read(fd, back, lens[i]) != (ssize_t)lens[i])
			return die("read");
		if (check(back, off + lens[i], lens[i], seed + 1, "read after write"))
			return 1;
	}
	return 0;
}

static int do_write(int extra)
{
	int fd = open(file, O_RDWR | extra), rc;

	if (fd < 0)
		return die("open");
	rc = write_read(fd, extra ? 7 : 5);
	close(fd);
	return rc;
}

static int do_mmap(const char *mode)
{
	int fd = open(file, O_RDWR), rc = 0;
	off_t size;
	uint8_t *p;

	if (fd < 0)
		return die("open");
	size = lseek(fd, 0, SEEK_END);
	if (size < (off_t)(B_OFF + B_LEN)) {
		errno = EFBIG;
		return die("file smaller than 3 MiB + 100");
	}
	p = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return die("mmap");
	fill(p + A_OFF, A_OFF, A_LEN, 9);
	fill(p + B_OFF, B_OFF, B_LEN, 9);
	if (!strcmp(mode, "msync"))
		rc = msync(p, (size_t)size, MS_SYNC);
	else if (!strcmp(mode, "msync-async"))
		rc = msync(p, (size_t)size, MS_ASYNC);
	else if (!strcmp(mode, "msync-inval"))
		rc = msync(p, (size_t)size, MS_SYNC | MS_INVALIDATE);
	else if (!strcmp(mode, "msync-a"))
		rc = msync(p + (A_OFF & ~4095), 4096, MS_SYNC);
	else if (!strcmp(mode, "fsync"))
		rc = fsync(fd);
	else if (!strcmp(mode, "fdatasync"))
		rc = fdatasync(fd);
	else if (!strcmp(mode, "sfr"))
		rc = sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
	else if (!strcmp(mode, "sfr-a"))
		rc = sync_file_range(fd, A_OFF, A_LEN, SYNC_FILE_RANGE_WAIT_BEFORE |
				     SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER);
	else if (strcmp(mode, "none"))
		errno = EINVAL, rc = -1;
	if (rc)
		return die(mode);
	rc = check(p + A_OFF, A_OFF, A_LEN, 9, "range A") |
	     check(p + B_OFF, B_OFF, B_LEN, 9, "range B");
	munmap(p, (size_t)size);
	close(fd);
	return rc;
}

static int do_sfr_errors(void)
{
	static const struct {
		off_t off, n;
		unsigned int flags;
	} bad[] = {
		{ -1, 0, SYNC_FILE_RANGE_WRITE },
		{ 0, -1, SYNC_FILE_RANGE_WRITE },
		{ 0, 0, 0x80 },
		{ INT64_MAX, 10, SYNC_FILE_RANGE_WRITE },
	};
	int fd = open(file, O_RDWR), rc = 0;
	unsigned int i;

	if (fd < 0)
		return die("open");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		if (sync_file_range(fd, bad[i].off, bad[i].n, bad[i].flags) != -1 ||
		    errno != EINVAL) {
			fprintf(stderr, "famfs_synctool: %s: sync_file_range case %u: not EINVAL\n",
				file, i);
			rc = 1;
		}
	}
	if (sync_file_range(fd, 0, 4096, SYNC_FILE_RANGE_WAIT_BEFORE) != 0)
		rc = die("sync_file_range(WAIT_BEFORE)");
	close(fd);
	return rc;
}

static int map_open(int flags, struct famfs_map **m)
{
	int err = famfs_map_open(file, flags, m);

	if (err) {
		errno = -err;
		fprintf(stderr, "famfs_synctool: %s: famfs_map_open: %s (%s)\n", file,
			strerror(-err), famfs_errmsg());
		return 1;
	}
	return 0;
}

static int do_mapfsync(void)
{
	struct famfs_map *m;
	int rc;

	if (map_open(O_RDWR, &m))
		return 1;
	fill((uint8_t *)m->addr + A_OFF, A_OFF, A_LEN, 11);
	rc = fsync(m->fd) ? die("fsync") : 0;
	famfs_map_close(m);
	return rc;
}

static int do_audit_check(void)
{
#ifdef FAMFS_FLUSH_AUDIT
	struct famfs_map *m;
	size_t at;
	bool dirty;

	if (map_open(O_RDONLY, &m))
		return 1;
	if (!famfs_audit_tracked(m->addr)) {
		fprintf(stderr, "famfs_synctool: %s: not audited (no shadow?)\n", file);
		return 1;
	}
	dirty = famfs_audit_dirty(m->addr, m->len, &at);
	if (dirty)
		printf("dirty at %zu\n", at);
	else
		printf("clean\n");
	famfs_map_close(m);
	return dirty;
#else
	fprintf(stderr, "famfs_synctool: audit-check needs the flush audit build\n");
	return 2;
#endif
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 2 ? argv[1] : "";

	file = argv[argc - 1];
	seed0 = getenv("SEED") ? (unsigned int)atoi(getenv("SEED")) : 0;
	if (!strcmp(cmd, "write") && argc == 3)
		return do_write(0);
	if (!strcmp(cmd, "osync") && argc == 3)
		return do_write(O_SYNC) | do_write(O_DSYNC);
	if (!strcmp(cmd, "mmap") && argc == 4)
		return do_mmap(argv[2]);
	if (!strcmp(cmd, "sfr-errors") && argc == 3)
		return do_sfr_errors();
	if (!strcmp(cmd, "mapfsync") && argc == 3)
		return do_mapfsync();
	if (!strcmp(cmd, "audit-check") && argc == 3)
		return do_audit_check();
	fprintf(stderr, "usage: famfs_synctool write|osync|sfr-errors|mapfsync|audit-check FILE\n"
		"       famfs_synctool mmap MODE FILE\n");
	return 2;
}
