// SPDX-License-Identifier: Apache-2.0
/*
 * bpf_bench.c - bpf_bench [DEV MNT]: the BPF resolver against the C
 * resolver and the GET_FMAP path (docs/bpf.md). Prints RESULT lines:
 *
 *   resolve_per_call  c_simple, c_interleaved: famfs_fmap_resolve per call,
 *                       timed in user space around a loop of random offsets;
 *                     bpf_simple, bpf_interleaved: the same loop inside the
 *                       kernel (famfs_iomap_bench: bpf_loop, hash map lookup
 *                       + resolve per call, bpf_ktime_get_ns around it),
 *                       because BPF_PROG_RUN of a syscall program refuses
 *                       repeat/duration;
 *                     bpf_lookup_only: that loop with the hash lookup and
 *                       no resolve (loop + PRNG + lookup cost);
 *                     bpf_prog_run_syscall: one famfs_iomap_begin per
 *                       BPF_PROG_RUN, wall time per call from user space;
 *                     syscall_floor: getppid() per call, for scale.
 *   open_to_mapped    get_fmap, bpf_map: famfs_map_open() of a 64 MiB file
 *                     (open + fmap + devices + mmap) on a default and on a
 *                     -o bpf mount; median ns.
 *   requests_per_open get_fmap, bpf_map: FUSE requests famfsd served per
 *                     open+map+close (from its counters).
 *
 * With DEV MNT, DEV is formatted (destroyed) and mounted on MNT; without,
 * a sparse 4 GiB device on /dev/shm and a mount under /tmp are made and
 * removed. Needs root and famfs, mkfs.famfs, famfsd and famfs_iomap.bpf.o
 * next to this program.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "famfs/err.h"
#include "famfs/ioctl.h"
#include "famfs/map.h"
#include "famfs/resolver.h"

#define MiB (1024ULL * 1024)
#define FILE_SIZE (64 * MiB)
#define C_CALLS 20000000ULL
#define BPF_LOOPS 2000000U
#define ROUNDS 7
#define OPENS 2000

static char bindir[PATH_MAX];

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
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

static void result(const char *c, const char *path, const char *unit, double v, bool higher,
		   const char *ref)
{
	printf("RESULT {\"case\": \"%s\", \"path\": \"%s\", \"unit\": \"%s\", \"value\": %.6g, "
	       "\"better\": \"%s\", \"ref\": %s%s%s}\n", c, path, unit, v,
	       higher ? "higher" : "lower", ref ? "\"" : "", ref ? ref : "null", ref ? "\"" : "");
	fflush(stdout);
}

/* Test fmaps: 16 extents of 4 MiB (a fragmented simple file), 8 strips. */
static void make_simple(struct famfs_fmap *f)
{
	uint32_t i;

	memset(f, 0, sizeof(*f));
	f->ext_type = FAMFS_EXT_SIMPLE;
	f->file_size = FILE_SIZE;
	f->nextents = 16;
	for (i = 0; i < 16; i++) {
		f->se[i].offset = (1024 + 8 * (uint64_t)i) * MiB;
		f->se[i].len = 4 * MiB;
	}
	f->dev_bitmap = 1;
}

static void make_interleaved(struct famfs_fmap *f)
{
	uint32_t i;

	memset(f, 0, sizeof(*f));
	f->ext_type = FAMFS_EXT_INTERLEAVE;
	f->file_size = FILE_SIZE;
	f->nextents = 1;
	f->ie[0].nstrips = 8;
	f->ie[0].chunk_size = 2 * MiB;
	f->ie[0].nbytes = FILE_SIZE;
	f->nstrips_total = 8;
	for (i = 0; i < 8; i++) {
		f->strips[i].offset = (1024 * (uint64_t)(i + 1)) * MiB;
		f->strips[i].len = 8 * MiB;
	}
	f->dev_bitmap = 1;
}

/* The C resolver in the same loop the BPF bench program runs. */
static double c_per_call(const struct famfs_fmap *f)
{
	struct famfs_iomap io;
	uint64_t x = 42 | 1, ok = 0, sum = 0, i, t0;

	t0 = now_ns();
	for (i = 0; i < C_CALLS; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		if (famfs_fmap_resolve(f, x % FILE_SIZE, 4096, &io) == 0) {
			ok++;
			sum += io.addr + io.length;
		}
	}
	t0 = now_ns() - t0;
	if (ok != C_CALLS)
		fprintf(stderr, "bpf_bench: C resolver failed %llu calls (sum %llu)\n",
			(unsigned long long)(C_CALLS - ok), (unsigned long long)sum);
	return (double)t0 / (double)C_CALLS;
}

static double bpf_per_call(const struct famfs_bpf *b, uint64_t ino, bool lookup_only)
{
	struct famfs_bpf_req q;
	double v[ROUNDS];
	int r;

	for (r = 0; r < ROUNDS; r++) {
		memset(&q, 0, sizeof(q));
		q.ino = ino;
		q.loops = BPF_LOOPS;
		q.seed = 42 + (uint64_t)r;
		q.span = FILE_SIZE;
		q.len = lookup_only;
		if (famfs_bpf_run(b->bench_fd, &q) || q.ok != BPF_LOOPS) {
			fprintf(stderr, "bpf_bench: BPF bench run failed (ok %llu)\n",
				(unsigned long long)q.ok);
			return -1;
		}
		v[r] = (double)q.ns / BPF_LOOPS;
	}
	return median(v, ROUNDS);
}

static double syscall_per_call(const struct famfs_bpf *b, uint64_t ino, bool floor)
{
	struct famfs_resolver r = { .kind = FAMFS_RESOLVER_BPF, .bpf = b, .ino = ino };
	struct famfs_iomap io;
	const int n = 200000;
	double v[ROUNDS];
	uint64_t t0;
	int k, i;

	for (k = 0; k < ROUNDS; k++) {
		t0 = now_ns();
		for (i = 0; i < n; i++) {
			if (floor)
				syscall(SYS_getppid);
			else if (famfs_iomap_begin(&r, ((uint64_t)i * 4096 * 7) % FILE_SIZE, 4096, &io))
				return -1;
		}
		v[k] = (double)(now_ns() - t0) / n;
	}
	return median(v, ROUNDS);
}

static void resolve_cases(void)
{
	struct famfs_fmap *s = malloc(sizeof(*s)), *il = malloc(sizeof(*il));
	struct famfs_bpf b;
	double vs, vi;
	int rc;

	make_simple(s);
	make_interleaved(il);
	result("resolve_per_call", "c_simple", "ns", c_per_call(s), false, NULL);
	result("resolve_per_call", "c_interleaved", "ns", c_per_call(il), false, NULL);
	rc = famfs_bpf_load(NULL, &b);
	if (rc) {
		fprintf(stderr, "bpf_bench: BPF resolver not loaded, BPF cases skipped: %s\n",
			famfs_errmsg());
		goto out;
	}
	if (famfs_bpf_set_file(&b, 1, s) || famfs_bpf_set_file(&b, 2, il)) {
		fprintf(stderr, "bpf_bench: BPF map update failed\n");
		goto close;
	}
	vs = bpf_per_call(&b, 1, false);
	vi = bpf_per_call(&b, 2, false);
	if (vs > 0)
		result("resolve_per_call", "bpf_simple", "ns", vs, false, "c_simple");
	if (vi > 0)
		result("resolve_per_call", "bpf_interleaved", "ns", vi, false, "c_interleaved");
	vs = bpf_per_call(&b, 1, true);
	if (vs > 0)
		result("resolve_per_call", "bpf_lookup_only", "ns", vs, false, NULL);
	vs = syscall_per_call(&b, 1, false);
	if (vs > 0)
		result("resolve_per_call", "bpf_prog_run_syscall", "ns", vs, false, "c_simple");
	result("resolve_per_call", "syscall_floor", "ns", syscall_per_call(&b, 1, true), false,
	       NULL);
close:
	famfs_bpf_close(&b);
out:
	free(s);
	free(il);
}

/* ---- open cases on a real mount ---- */

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int run(const char *fmt, ...)
{
	char cmd[2 * PATH_MAX + 512];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	if (rc)
		fprintf(stderr, "bpf_bench: failed (%d): %s\n", rc, cmd);
	return rc;
}

/* FUSE requests served so far (the stats ioctl itself not counted). */
static int64_t requests(const char *mnt)
{
	struct famfs_stats_wire w;
	int64_t sum = 0;
	unsigned int i;
	int fd = open(mnt, O_RDONLY | O_DIRECTORY);

	if (fd < 0)
		return -1;
	memset(&w, 0, sizeof(w));
	if (ioctl(fd, FAMFS_IOC_STATS, &w) < 0) {
		close(fd);
		return -1;
	}
	close(fd);
	for (i = 0; i < w.nops && i < FAMFS_STATS_MAX_OPS; i++)
		if (i != FAMFS_OP_GET_FMAP && i != FAMFS_OP_GET_DAXDEV)	/* inside IOCTL */
			sum += (int64_t)w.ops[i];
	return sum;
}

static void open_cases(const char *mnt, const char *path, bool bpf)
{
	const char *name = bpf ? "bpf_map" : "get_fmap";
	struct famfs_map *m;
	double *v = calloc(OPENS, sizeof(*v));
	int64_t r0, r1;
	uint64_t t0;
	int i, rc;

	/* warm: learn the device, open the pins */
	rc = famfs_map_open(path, O_RDONLY, &m);
	if (rc) {
		fprintf(stderr, "bpf_bench: %s: map failed: %s\n", path, famfs_errmsg());
		goto out;
	}
	if (!!m->bpf != bpf) {
		fprintf(stderr, "bpf_bench: %s: mapped %s BPF, expected %s\n", path,
			m->bpf ? "with" : "without", bpf ? "with" : "without");
		famfs_map_close(m);
		goto out;
	}
	famfs_map_close(m);
	r0 = requests(mnt);
	for (i = 0; i < OPENS; i++) {
		t0 = now_ns();
		rc = famfs_map_open(path, O_RDONLY, &m);
		v[i] = (double)(now_ns() - t0);
		if (rc) {
			fprintf(stderr, "bpf_bench: %s: map failed: %s\n", path, famfs_errmsg());
			goto out;
		}
		famfs_map_close(m);
	}
	/*
	 * Not counted: the two stats reads' own requests after the first
	 * snapshot (its RELEASEDIR, then OPENDIR and IOCTL of the second).
	 */
	r1 = requests(mnt) - 3;
	result("open_to_mapped", name, "ns", median(v, OPENS), false, bpf ? "get_fmap" : NULL);
	if (r0 >= 0 && r1 >= r0)
		result("requests_per_open", name, "requests", (double)(r1 - r0) / OPENS, false,
		       bpf ? "get_fmap" : NULL);
out:
	free(v);
}

int main(int argc, char **argv)
{
	char self[PATH_MAX], devbuf[128], mntbuf[128], path[PATH_MAX + 16];
	const char *dev, *mnt, *modes[] = { "", "-o bpf" };
	bool own = argc != 3;
	ssize_t n;
	int i;

	if (argc != 1 && argc != 3) {
		fprintf(stderr, "usage: bpf_bench [DEV MNT]\n");
		return 2;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return 1;
	self[n] = '\0';
	snprintf(bindir, sizeof(bindir), "%s", dirname(self));

	resolve_cases();

	if (geteuid() != 0) {
		fprintf(stderr, "bpf_bench: not root: open cases skipped\n");
		return 0;
	}
	snprintf(devbuf, sizeof(devbuf), "/dev/shm/famfs-bpfbench-%d", (int)getpid());
	snprintf(mntbuf, sizeof(mntbuf), "/tmp/famfs-bpfbench-%d", (int)getpid());
	dev = own ? devbuf : argv[1];
	mnt = own ? mntbuf : argv[2];
	if ((own && run("truncate -s 4G %s && mkdir -p %s", dev, mnt)) ||
	    run("%s/mkfs.famfs -f %s >/dev/null 2>&1 || %s/mkfs.famfs %s >/dev/null", bindir, dev,
		bindir, dev) ||
	    run("%s/famfs --device %s creat -s %llu -r f >/dev/null", bindir, dev,
		(unsigned long long)FILE_SIZE))
		goto cleanup;
	snprintf(path, sizeof(path), "%s/f", mnt);
	for (i = 0; i < 2; i++) {
		if (run("%s/famfs mount %s %s %s", bindir, modes[i], dev, mnt))
			break;
		open_cases(mnt, path, i == 1);
		run("%s/famfs umount %s", bindir, mnt);
	}
cleanup:
	if (own) {
		run("%s/famfs umount %s >/dev/null 2>&1; true", bindir, mnt);
		unlink(dev);
		rmdir(mnt);
	}
	return 0;
}
