// SPDX-License-Identifier: Apache-2.0
/*
 * direct_bench.c - benchmark (not a test): famfs direct access against the
 * raw device mapping, in one run, as interleaved rounds.
 *
 *   direct_bench DEV SIMPLE ILV [ROUNDS]
 *
 * DEV is the famfs device, SIMPLE a famfs file with one extent, ILV an
 * interleaved famfs file of the same size. Run it under
 * LD_PRELOAD=libfamfs-preload.so (bench/direct.sh does): the "shim" method
 * is plain open()+mmap(), which the shim serves; FUSE read() is measured
 * with raw system calls, which the shim never sees.
 *
 * Methods: raw (the device mapped at SIMPLE's offset), famfs-simple and
 * famfs-ilv (famfs_map_open), shim (mmap through the shim), fuse (pread).
 * Measures: sequential read bandwidth (a load-and-sum pass over the file;
 * 1 MiB preads for fuse), random dependent 64-byte load latency (for fuse:
 * one 64-byte pread), and open-to-first-byte latency. Prints medians and
 * ratios against raw.
 */
#include <link.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "famfs/err.h"
#include "famfs/map.h"

#define PMD		(2ULL << 20)
#define NMETH		5
#define LAT_LOADS	(1 << 20)
#define FUSE_LAT_READS	20000
#define OPEN_REPS	50
#define MAX_ROUNDS	64

enum { RAW, FSIMPLE, FILV, SHIM, FUSE };
static const char *names[NMETH] = { "raw", "famfs-simple", "famfs-ilv", "shim-mmap", "fuse-read" };

static const char *devpath, *spath, *ipath;
static uint64_t raw_off;		/* SIMPLE's offset in the device */
static size_t fsize;
static const uint8_t *base[NMETH];	/* mapping per method (not fuse) */
static int fuse_fd;
static volatile uint64_t sink;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_dbl);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* KiB of [a, a + len) mapped with 2 MiB pages, from /proc/self/smaps. */
static long pmd_kib(const void *a, size_t len)
{
	char line[512];
	unsigned long lo, hi, s = (uintptr_t)a, e = s + len;
	long kib = 0, v;
	bool in = false;
	FILE *f = fopen("/proc/self/smaps", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2)	/* a mapping's first line */
			in = lo >= s && hi <= e;
		else if (in && (sscanf(line, "ShmemPmdMapped: %ld", &v) == 1 ||
				sscanf(line, "FilePmdMapped: %ld", &v) == 1))
			kib += v;
	}
	fclose(f);
	return kib;
}

/* dl_iterate_phdr callback: is this loaded object the preload shim? */
static int is_shim(struct dl_phdr_info *info, size_t size, void *data)
{
	return info->dlpi_name && strstr(info->dlpi_name, "libfamfs-preload") != NULL;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "direct_bench: %s: %s %s\n", what, strerror(err), famfs_errmsg());
	exit(1);
}

/* The device's [off, off + len) at a 2 MiB-aligned address. */
static const uint8_t *raw_map(uint64_t off, size_t len)
{
	uint8_t *r, *a;
	int fd = open(devpath, O_RDONLY);

	if (fd < 0)
		die(devpath, errno);
	r = mmap(NULL, len + PMD, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r == MAP_FAILED)
		die("reserve", errno);
	a = (uint8_t *)(((uintptr_t)r + PMD - 1) & ~(PMD - 1));
	if (mmap(a, len, PROT_READ, MAP_SHARED | MAP_FIXED, fd, off) == MAP_FAILED)
		die("raw mmap", errno);
	close(fd);
	return a;
}

static double seq_bw(int m)
{
	const uint64_t *p = (const uint64_t *)base[m];
	uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0, i, n = fsize / 8;
	static uint8_t *buf;
	double t;
	long r;

	t = now();
	if (m == FUSE) {
		if (!buf)
			buf = malloc(1 << 20);
		for (i = 0; i < fsize; i += (uint64_t)r) {
			r = syscall(SYS_pread64, fuse_fd, buf, 1 << 20, (long)i);
			if (r <= 0)
				die("fuse pread", errno);
		}
		s0 = buf[0];
	} else {
		for (i = 0; i + 4 <= n; i += 4) {
			s0 += p[i];
			s1 += p[i + 1];
			s2 += p[i + 2];
			s3 += p[i + 3];
		}
	}
	t = now() - t;
	sink += s0 + s1 + s2 + s3;
	return fsize / t / 1e9;		/* GB/s */
}

/* Mean ns of one random 64-byte load whose address depends on the last. */
static double rand_lat(int m)
{
	uint64_t nlines = fsize / 64, idx = 12345, v = 0, i;
	const uint8_t *p = base[m];
	uint8_t buf[64];
	int n = m == FUSE ? FUSE_LAT_READS : LAT_LOADS;
	double t = now();

	for (i = 0; i < (uint64_t)n; i++) {
		idx = (idx * 6364136223846793005ULL + 1442695040888963407ULL + (v & 1));
		if (m == FUSE) {
			long off = (long)((idx >> 20) % nlines * 64);

			if (syscall(SYS_pread64, fuse_fd, buf, 64, off) != 64)
				die("fuse pread", errno);
			v = buf[0];
		} else {
			v = *(const volatile uint64_t *)(p + (idx >> 20) % nlines * 64);
		}
	}
	t = now() - t;
	sink += v;
	return t / n * 1e9;
}

/* ns from open to holding the first byte; everything is undone after. */
static double open_first_byte(int m)
{
	struct famfs_map *fm;
	const uint8_t *p;
	uint8_t b;
	double t = now();
	int fd, err;

	switch (m) {
	case RAW:
		fd = open(devpath, O_RDONLY);
		p = mmap(NULL, PMD, PROT_READ, MAP_SHARED, fd, raw_off);
		if (p == MAP_FAILED)
			die("raw mmap", errno);
		b = p[0];
		t = now() - t;
		munmap((void *)p, PMD);
		close(fd);
		break;
	case FSIMPLE:
	case FILV:
		err = famfs_map_open(m == FILV ? ipath : spath, O_RDONLY, &fm);
		if (err)
			die("famfs_map_open", -err);
		b = ((const uint8_t *)fm->addr)[0];
		t = now() - t;
		famfs_map_close(fm);
		break;
	case SHIM:
		fd = open(spath, O_RDONLY);
		p = mmap(NULL, fsize, PROT_READ, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED)
			die("shim mmap", errno);
		b = p[0];
		t = now() - t;
		munmap((void *)p, fsize);
		close(fd);
		break;
	default:
		fd = (int)syscall(SYS_openat, AT_FDCWD, spath, O_RDONLY);
		if (syscall(SYS_pread64, fd, &b, 1, 0L) != 1)
			die("fuse pread", errno);
		t = now() - t;
		syscall(SYS_close, fd);
		break;
	}
	sink += b;
	return t * 1e9;
}

int main(int argc, char **argv)
{
	static double bw[NMETH][MAX_ROUNDS], lat[NMETH][MAX_ROUNDS], otfb[NMETH][OPEN_REPS];
	double mbw[NMETH], mlat[NMETH], motfb[NMETH];
	struct famfs_map *ms, *mi;
	int rounds = argc > 4 ? atoi(argv[4]) : 5;
	int r, k, m, fd, err;
	void *p;

	if (argc < 4 || rounds < 1 || rounds > MAX_ROUNDS) {
		fprintf(stderr, "usage: direct_bench DEV SIMPLE ILV [ROUNDS<=64]\n");
		return 2;
	}
	devpath = argv[1];
	spath = argv[2];
	ipath = argv[3];
	if (!dl_iterate_phdr(is_shim, NULL))
		fprintf(stderr, "direct_bench: warning: not under libfamfs-preload.so; "
			"the shim-mmap method will fail\n");

	err = famfs_map_open(spath, O_RDONLY, &ms);
	if (err)
		die(spath, -err);
	err = famfs_map_open(ipath, O_RDONLY, &mi);
	if (err)
		die(ipath, -err);
	if (ms->fmap.ext_type != 0 || ms->nsegs != 1 || mi->len != ms->len) {
		fprintf(stderr, "direct_bench: SIMPLE must be one extent, ILV the same size\n");
		return 2;
	}
	fsize = ms->len & ~63ULL;
	raw_off = ms->fmap.se[0].offset;
	base[RAW] = raw_map(raw_off, ms->maplen);
	base[FSIMPLE] = ms->addr;
	base[FILV] = mi->addr;
	fd = open(spath, O_RDONLY);
	p = mmap(NULL, ms->len, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		die("shim mmap", errno);
	base[SHIM] = p;
	fuse_fd = (int)syscall(SYS_openat, AT_FDCWD, spath, O_RDONLY);
	if (fuse_fd < 0)
		die("open for fuse read", errno);
	printf("file %zu bytes; simple: %ld segment, ilv: %ld segments; %d rounds\n", ms->len,
	       ms->nsegs, mi->nsegs, rounds);

	for (m = 0; m < NMETH; m++)	/* warm up: fault everything in */
		seq_bw(m);
	printf("mapped with 2 MiB pages (KiB of %zu):", ms->len / 1024);
	for (m = 0; m < FUSE; m++)
		printf(" %s %ld", names[m], pmd_kib(base[m], ms->len));
	printf("\n");
	for (r = 0; r < rounds; r++)
		for (k = 0; k < NMETH; k++) {
			m = (k + r) % NMETH;	/* rotate the order each round */
			bw[m][r] = seq_bw(m);
			lat[m][r] = rand_lat(m);
		}
	for (r = 0; r < OPEN_REPS; r++)
		for (m = 0; m < NMETH; m++)
			otfb[m][r] = open_first_byte(m);

	printf("\n%-14s %12s %8s %14s %8s %16s\n", "method", "seq GB/s", "vs raw",
	       "rand64 ns", "vs raw", "open->byte us");
	for (m = 0; m < NMETH; m++) {
		mbw[m] = median(bw[m], rounds);
		mlat[m] = median(lat[m], rounds);
		motfb[m] = median(otfb[m], OPEN_REPS);
	}
	for (m = 0; m < NMETH; m++)
		printf("%-14s %12.2f %7.1f%% %14.1f %7.3fx %16.1f\n", names[m], mbw[m],
		       100 * mbw[m] / mbw[RAW], mlat[m], mlat[m] / mlat[RAW], motfb[m] / 1e3);
	printf("\ngoal (famfs direct >= 97%% raw bandwidth, <= 1.05x raw latency):\n");
	for (m = FSIMPLE; m <= SHIM; m++)
		printf("  %-12s bandwidth %s, latency %s\n", names[m],
		       mbw[m] >= 0.97 * mbw[RAW] ? "met" : "MISSED",
		       mlat[m] <= 1.05 * mlat[RAW] ? "met" : "MISSED");
	printf("{\"bench\":\"direct\",\"bytes\":%zu,\"rounds\":%d", ms->len, rounds);
	for (m = 0; m < NMETH; m++)
		printf(",\"%s\":{\"seq_gbs\":%.3f,\"rand64_ns\":%.1f,\"open_first_byte_us\":%.1f}",
		       names[m], mbw[m], mlat[m], motfb[m] / 1e3);
	printf("}\n");
	famfs_map_close(ms);
	famfs_map_close(mi);
	return 0;
}
