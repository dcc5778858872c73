// SPDX-License-Identifier: Apache-2.0
/*
 * open_breakdown.c - benchmark (not a test): where the time of a direct
 * open goes. It makes, one by one and timed each, the system calls that
 * famfs_map_open() and the preload shim's open make for a file of a famfs
 * mount (lib/map.c, lib/mntctx.c, lib/trust.c, src/preload/preload.c), in
 * the same order, then touches byte 0 and closes. The same loop then times
 * the whole famfs_map_open() + first byte for comparison, and a re-open of
 * a file this process opened before. bench/README.md's "Where an open's
 * time goes" is this program's output.
 *
 * usage: open_breakdown FILE [REPS]     (FILE on a famfs mount; default 200)
 *
 * Each step's value is the median over REPS repetitions (µs). The device
 * steps use the mount's source file, as the library does for the embedded
 * device; GET_DAXDEV and the trust check happen once per mount and process,
 * so they are timed once (their first use) and not counted per open.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "famfs/err.h"
#include "famfs/fmap.h"
#include "famfs/ioctl.h"
#include "famfs/map.h"

#define PMD	(2ULL << 20)
#define MAXREPS	4096

enum step {
	S_OPEN, S_FSTATFS, S_STATX, S_MCTX_STATX, S_GET_FMAP, S_DEV_OPATH, S_DEV_FSTAT,
	S_DEV_REOPEN, S_DEV_FSTAT2, S_RESERVE, S_MMAP, S_DEV_CLOSE, S_TOUCH, S_MUNMAP, S_CLOSE,
	S_WHOLE, S_WHOLE_REOPEN, S_RAW, S_NSTEPS
};

static const char *const names[S_NSTEPS] = {
	[S_OPEN] = "open(2) of the file (FUSE OPEN)",
	[S_FSTATFS] = "fstatfs (shim only: FUSE STATFS)",
	[S_STATX] = "statx DONT_SYNC (shim: file identity)",
	[S_MCTX_STATX] = "statx DONT_SYNC (library: which mount)",
	[S_GET_FMAP] = "GET_FMAP ioctl + decode",
	[S_DEV_OPATH] = "device: open O_PATH",
	[S_DEV_FSTAT] = "device: fstat (policy check)",
	[S_DEV_REOPEN] = "device: open /proc/self/fd/N",
	[S_DEV_FSTAT2] = "device: fstat (same file) + close O_PATH",
	[S_RESERVE] = "reserve: mmap PROT_NONE + 2 munmap",
	[S_MMAP] = "mmap MAP_FIXED of the extent (+ fstat bounds)",
	[S_DEV_CLOSE] = "device: close",
	[S_TOUCH] = "first load of byte 0 (page fault)",
	[S_MUNMAP] = "munmap (not in open_first_byte)",
	[S_CLOSE] = "close(2) of the file (RELEASE; not in open_first_byte)",
	[S_WHOLE] = "famfs_map_open + first byte (the library, whole)",
	[S_WHOLE_REOPEN] = "the same again: a re-open of this file",
	[S_RAW] = "raw: open the device, mmap the extent, first byte (the limit)",
};

static double v[S_NSTEPS][MAXREPS];

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec * 1e-3;
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *a, int n)
{
	qsort(a, n, sizeof(*a), cmp_dbl);
	return n % 2 ? a[n / 2] : (a[n / 2 - 1] + a[n / 2]) / 2;
}

static void die(const char *what)
{
	fprintf(stderr, "open_breakdown: %s: %s %s\n", what, strerror(errno), famfs_errmsg());
	exit(1);
}

/* The mount source of @path's mount (the device), from /proc/self/mountinfo. */
static void mount_source(const char *path, char *out, size_t len)
{
	struct statx stx;
	char line[8192], src[4096];
	unsigned long id;
	FILE *f;

	if (statx(AT_FDCWD, path, AT_STATX_DONT_SYNC, STATX_MNT_ID, &stx))
		die("statx");
	f = fopen("/proc/self/mountinfo", "r");
	if (!f)
		die("mountinfo");
	while (fgets(line, sizeof(line), f)) {
		char *sep = strstr(line, " - ");

		if (sscanf(line, "%lu", &id) != 1 || id != stx.stx_mnt_id || !sep)
			continue;
		if (sscanf(sep + 3, "%*s %4095s", src) == 1) {
			snprintf(out, len, "%s", src);
			fclose(f);
			return;
		}
	}
	fclose(f);
	errno = ENOENT;
	die("no mount source");
}

/* One open, step by step, as the library and the shim make it. */
static void one(const char *path, const char *devpath, int k)
{
	uint8_t buf[FAMFS_FMAP_MSG_MAX];
	struct famfs_fmap *f = malloc(sizeof(*f));
	struct famfs_iomap io;
	struct statfs sfs;
	struct statx stx;
	struct stat st;
	char self[64];
	uint8_t *p, *base;
	double t;
	long n;
	int fd, pfd, dfd;

	if (!f)
		die("malloc");
	t = now_us();
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die(path);
	v[S_OPEN][k] = now_us() - t;

	t = now_us();
	if (fstatfs(fd, &sfs))
		die("fstatfs");
	v[S_FSTATFS][k] = now_us() - t;

	t = now_us();
	statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_TYPE | STATX_INO, &stx);
	v[S_STATX][k] = now_us() - t;

	t = now_us();
	statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_TYPE | 0x4000U, &stx);
	v[S_MCTX_STATX][k] = now_us() - t;

	t = now_us();
	n = ioctl(fd, FAMFS_IOC_GET_FMAP, buf);
	if (n < 0 || famfs_fmap_decode(buf, (size_t)n, f))
		die("GET_FMAP");
	v[S_GET_FMAP][k] = now_us() - t;

	t = now_us();
	pfd = open(devpath, O_PATH | O_CLOEXEC);
	if (pfd < 0)
		die(devpath);
	v[S_DEV_OPATH][k] = now_us() - t;
	t = now_us();
	fstat(pfd, &st);
	v[S_DEV_FSTAT][k] = now_us() - t;
	t = now_us();
	snprintf(self, sizeof(self), "/proc/self/fd/%d", pfd);
	dfd = open(self, O_RDONLY | O_CLOEXEC);
	if (dfd < 0)
		die(self);
	v[S_DEV_REOPEN][k] = now_us() - t;
	t = now_us();
	fstat(dfd, &st);
	close(pfd);
	v[S_DEV_FSTAT2][k] = now_us() - t;

	t = now_us();
	p = mmap(NULL, f->file_size + 2 * PMD, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		die("reserve");
	base = (uint8_t *)(((uintptr_t)p + PMD - 1) & ~(PMD - 1));
	munmap(p, base - p);
	munmap(base + f->file_size, (p + f->file_size + 2 * PMD) - (base + f->file_size));
	v[S_RESERVE][k] = now_us() - t;

	t = now_us();
	if (famfs_fmap_resolve(f, 0, f->file_size, &io))
		die("resolve");
	fstat(dfd, &st);
	if (mmap(base, f->file_size, PROT_READ, MAP_SHARED | MAP_FIXED, dfd,
		 (off_t)io.addr) == MAP_FAILED)
		die("mmap");
	v[S_MMAP][k] = now_us() - t;

	t = now_us();
	close(dfd);
	v[S_DEV_CLOSE][k] = now_us() - t;

	t = now_us();
	(void)*(volatile uint8_t *)base;
	v[S_TOUCH][k] = now_us() - t;

	t = now_us();
	munmap(base, f->file_size);
	v[S_MUNMAP][k] = now_us() - t;
	t = now_us();
	close(fd);
	v[S_CLOSE][k] = now_us() - t;

	/* The reference: what bench/run's raw path does. */
	t = now_us();
	dfd = open(devpath, O_RDONLY | O_CLOEXEC);
	if (dfd < 0)
		die(devpath);
	p = mmap(NULL, f->file_size, PROT_READ, MAP_SHARED, dfd, (off_t)io.addr);
	if (p == MAP_FAILED)
		die("raw mmap");
	(void)*(volatile uint8_t *)p;
	v[S_RAW][k] = now_us() - t;
	munmap(p, f->file_size);
	close(dfd);
	free(f);
}

static void whole(const char *path, int k, enum step s)
{
	struct famfs_map *m;
	double t = now_us();
	int err = famfs_map_open(path, O_RDONLY, &m);

	if (err) {
		errno = -err;
		die("famfs_map_open");
	}
	(void)*(volatile uint8_t *)m->addr;
	v[s][k] = now_us() - t;
	famfs_map_close(m);
}

int main(int argc, char **argv)
{
	char devpath[4096];
	struct famfs_map *m;
	double sum = 0;
	int reps = argc > 2 ? atoi(argv[2]) : 200, k, s;

	if (argc < 2 || reps < 1 || reps > MAXREPS) {
		fprintf(stderr, "usage: open_breakdown FILE [REPS]\n");
		return 2;
	}
	mount_source(argv[1], devpath, sizeof(devpath));
	/* Once per mount: trust check, GET_DAXDEV; and warm the dentry. */
	if (famfs_map_open(argv[1], O_RDONLY, &m)) {
		errno = EPERM;
		die("famfs_map_open");
	}
	famfs_map_close(m);
	for (k = 0; k < reps; k++) {
		one(argv[1], devpath, k);
		whole(argv[1], k, S_WHOLE);
		whole(argv[1], k, S_WHOLE_REOPEN);
	}
	printf("%-68s %9s\n", "step (median of REPS)", "us");
	for (s = 0; s < S_NSTEPS; s++) {
		double med = median(v[s], reps);

		if (s < S_MUNMAP && s != S_FSTATFS && s != S_STATX)
			sum += med;
		if (s == S_WHOLE)
			printf("%-68s %9.2f\n", "sum of the library's steps (no fstatfs, shim statx, close)",
			       sum);
		printf("%-68s %9.2f\n", names[s], med);
	}
	return 0;
}
