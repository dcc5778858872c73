// SPDX-License-Identifier: Apache-2.0
/*
 * data_bench.c - benchmark (not a test): the data-path cases of bench/run
 * for ONE access path, one round. bench/run calls it once per path per
 * round, rotating the order, and aggregates the RESULT lines it prints:
 *
 *   RESULT {"case": C, "path": P, "unit": U, "value": V, "better": B, "ref": "raw"}
 *
 * usage: data_bench --path P --file F [--dev DEV --off OFF] [--size BYTES]
 *                   [--quick] [--only CASE] [--reps N]
 *
 * Paths and how they reach the bytes (F is the file each path reads):
 *   raw                        DEV mapped at OFF (the file's extent): the limit
 *   famfs_direct_simple        famfs_map_open(F), F one extent
 *   famfs_direct_interleaved   famfs_map_open(F), F interleaved
 *   shim, fuse_mmap, tmpfs     plain open(F) + mmap(F); "shim" is run under
 *                              LD_PRELOAD=libfamfs-preload.so, fuse_mmap on a
 *                              cache=page mount, tmpfs on a tmpfs file
 *   shim_read, fuse_read, tmpfs_read
 *                              plain open(F) + pread(F): the same program
 *                              without a mapping (shim_read under the shim)
 *
 * Cases (mapped paths / read paths):
 *   seq_read_1t, seq_read_2t   sum every 8-byte word / pread 1 MiB chunks
 *                              (GB/s; the 2t case splits the file in halves)
 *   rand_load_64b              dependent random 64-byte loads / preads (ns)
 *   rand_read_4k               memcpy / pread of 4 KiB at a random 4 KiB
 *                              offset (ns)
 *   first_touch                open, map, touch one byte per 4 KiB of a
 *                              fresh mapping (ms per GiB touched; read
 *                              paths: one 1-byte pread per 4 KiB)
 *   open_first_byte            open (and map) then read byte 0 (us)
 * Each round's value is the best of several passes or batches inside the
 * process (the one least disturbed by other load on a shared machine);
 * bench/run takes median, min and max over the rounds.
 * --only opens runs REPS open+close pairs and prints nothing: bench/run
 * counts famfsd requests around it (requests per open; with --only
 * first_touch, requests per page touched).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "famfs/err.h"
#include "famfs/map.h"

#define MIB		(1ULL << 20)
#define PG		4096ULL
#define CHUNK		MIB
#define BATCHES		5	/* random cases: best batch of 5 */

enum style { S_RAW, S_FAMFS, S_MMAP, S_READ };

static const char *path_name, *file, *dev, *only;
static uint64_t dev_off, fsize;
static enum style style;
static bool quick;
static int reps = -1;
static volatile uint64_t sink;

/* What one mapped or opened view of the data is. */
struct view {
	const uint8_t *p;	/* mapped paths */
	size_t maplen;
	int fd;			/* read paths (and the mmap paths' file) */
	struct famfs_map *fm;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "data_bench: %s: %s: %s %s\n", path_name, what, strerror(err),
		famfs_errmsg());
	exit(1);
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

static void result(const char *c, const char *unit, double v, bool higher)
{
	printf("RESULT {\"case\": \"%s\", \"path\": \"%s\", \"unit\": \"%s\", \"value\": %.6g, "
	       "\"better\": \"%s\", \"ref\": \"raw\"}\n", c, path_name, unit, v,
	       higher ? "higher" : "lower");
	fflush(stdout);
}

/*
 * Open a fresh view of the first @len bytes of the data. Mapped paths map
 * [0, len) (raw: DEV at dev_off); read paths only open. Nothing is touched.
 */
static void view_open(struct view *v, size_t len)
{
	int err;

	memset(v, 0, sizeof(*v));
	v->fd = -1;
	switch (style) {
	case S_FAMFS:
		err = famfs_map_open(file, O_RDONLY, &v->fm);
		if (err)
			die("famfs_map_open", -err);
		v->p = v->fm->addr;
		return;
	case S_RAW:
		v->fd = open(dev, O_RDONLY);
		if (v->fd < 0)
			die(dev, errno);
		break;
	default:
		v->fd = open(file, O_RDONLY);
		if (v->fd < 0)
			die(file, errno);
		if (style == S_READ)
			return;
	}
	v->maplen = len;
	v->p = mmap(NULL, len, PROT_READ, MAP_SHARED, v->fd, style == S_RAW ? (off_t)dev_off : 0);
	if (v->p == MAP_FAILED)
		die("mmap", errno);
}

static void view_close(struct view *v)
{
	if (v->fm)
		famfs_map_close(v->fm);
	else if (v->p)
		munmap((void *)v->p, v->maplen);
	if (v->fd >= 0)
		close(v->fd);
}

static void must_pread(int fd, void *buf, size_t n, uint64_t off)
{
	ssize_t r = pread(fd, buf, n, (off_t)off);

	if (r != (ssize_t)n)
		die("pread", r < 0 ? errno : EIO);
}

/* ---- sequential read ---- */

struct seq_arg {
	const struct view *v;
	uint64_t lo, hi;
	uint64_t sum;
};

static void *seq_worker(void *a)
{
	struct seq_arg *s = a;
	uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0, i;

	if (style == S_READ) {
		uint8_t *buf = aligned_alloc(4096, CHUNK);

		if (!buf)
			die("malloc", ENOMEM);
		for (i = s->lo; i < s->hi; i += CHUNK) {
			must_pread(s->v->fd, buf, CHUNK, i);
			s0 += buf[i % 4096];
		}
		free(buf);
	} else {
		const uint64_t *p = (const uint64_t *)(s->v->p + s->lo);
		uint64_t n = (s->hi - s->lo) / 8;

		for (i = 0; i + 4 <= n; i += 4) {
			s0 += p[i];
			s1 += p[i + 1];
			s2 += p[i + 2];
			s3 += p[i + 3];
		}
	}
	s->sum = s0 + s1 + s2 + s3;
	return NULL;
}

/* GB/s of one pass over the file with @nthr threads, each on its share. */
static double seq_pass(const struct view *v, int nthr)
{
	struct seq_arg a[2];
	pthread_t t[2];
	double t0;
	int i;

	for (i = 0; i < nthr; i++) {
		a[i].v = v;
		a[i].lo = fsize / nthr * i;
		a[i].hi = fsize / nthr * (i + 1);
	}
	t0 = now();
	for (i = 1; i < nthr; i++)
		if (pthread_create(&t[i], NULL, seq_worker, &a[i]))
			die("pthread_create", EAGAIN);
	seq_worker(&a[0]);
	for (i = 1; i < nthr; i++)
		pthread_join(t[i], NULL);
	t0 = now() - t0;
	for (i = 0; i < nthr; i++)
		sink += a[i].sum;
	return fsize / t0 / 1e9;
}

static void case_seq(const struct view *v, int nthr)
{
	double bw, best = 0;
	int i, n = quick ? 2 : 5;

	for (i = 0; i < n; i++) {
		bw = seq_pass(v, nthr);
		best = bw > best ? bw : best;
	}
	result(nthr == 1 ? "seq_read_1t" : "seq_read_2t", "GB/s", best, true);
}

/* ---- random access ---- */

static inline uint64_t lcg(uint64_t x)
{
	return x * 6364136223846793005ULL + 1442695040888963407ULL;
}

/* Seconds of @n dependent random 64-byte loads (or preads), from *@idx. */
static double rand64_batch(const struct view *v, uint64_t n, uint64_t *idx)
{
	uint64_t nlines = fsize / 64, val = 0, i, off;
	uint8_t buf[64];
	double t = now();

	for (i = 0; i < n; i++) {
		*idx = lcg(*idx + (val & 1));	/* the next address needs the last load */
		off = (*idx >> 20) % nlines * 64;
		if (style == S_READ) {
			must_pread(v->fd, buf, 64, off);
			val = buf[0];
		} else {
			val = *(const volatile uint64_t *)(v->p + off);
		}
	}
	sink += val;
	return now() - t;
}

/* Seconds of @n independent 4 KiB copies (or preads) at random offsets. */
static double rand4k_batch(const struct view *v, uint64_t n, uint64_t *idx)
{
	static uint8_t buf[PG] __attribute__((aligned(64)));
	uint64_t npages = fsize / PG, i, off;
	double t = now();

	for (i = 0; i < n; i++) {
		*idx = lcg(*idx);
		off = (*idx >> 20) % npages * PG;
		if (style == S_READ)
			must_pread(v->fd, buf, PG, off);
		else
			memcpy(buf, v->p + off, PG);
		sink += buf[*idx & (PG - 1)];
	}
	return now() - t;
}

/* Each random case reports its best (least disturbed) batch of BATCHES. */
static void case_rand(const struct view *v, bool big)
{
	uint64_t idx = big ? 777 : 12345, n;
	double t, best = 1e30;
	int b;

	if (big)
		n = style == S_READ ? (quick ? 1000 : 4000) : (quick ? 10000 : 40000);
	else
		n = style == S_READ ? (quick ? 1000 : 4000) : (quick ? 100000 : 400000);
	for (b = 0; b < BATCHES; b++) {
		t = big ? rand4k_batch(v, n, &idx) : rand64_batch(v, n, &idx);
		best = t < best ? t : best;
	}
	result(big ? "rand_read_4k" : "rand_load_64b", "ns", best / n * 1e9, false);
}

/* ---- fresh views ---- */

/* Bytes touched by one first_touch repetition. */
static uint64_t touch_len(void)
{
	uint64_t l = (style == S_READ ? (quick ? 16 : 32) : (quick ? 128 : 256)) * MIB;

	return l < fsize ? l : fsize;
}

/* Seconds to open a fresh view and touch one byte per 4 KiB of @len. */
static double first_touch_once(uint64_t len)
{
	struct view v;
	uint64_t off, s = 0;
	uint8_t b;
	double t = now();

	view_open(&v, fsize);
	for (off = 0; off < len; off += PG) {
		if (style == S_READ) {
			must_pread(v.fd, &b, 1, off);
			s += b;
		} else {
			s += *(const volatile uint8_t *)(v.p + off);
		}
	}
	t = now() - t;
	sink += s;
	view_close(&v);
	return t;
}

static void case_first_touch(void)
{
	double v[16];
	uint64_t len = touch_len();
	int i, n = reps > 0 ? reps : (quick ? 3 : 5);

	if (n > 16)
		n = 16;
	for (i = 0; i < n; i++)
		v[i] = first_touch_once(len) * 1e3 / ((double)len / (1 << 30));
	result("first_touch", "ms/GiB", median(v, n), false);
}

/* Microseconds from open to holding byte 0 (the close is not timed). */
static double open_first_byte_once(void)
{
	struct view v;
	uint8_t b;
	double t = now();

	view_open(&v, fsize);
	if (style == S_READ)
		must_pread(v.fd, &b, 1, 0);
	else
		b = *(const volatile uint8_t *)v.p;
	t = now() - t;
	sink += b;
	view_close(&v);
	return t * 1e6;
}

static void case_open_first_byte(void)
{
	double v[64];
	int i, n = reps > 0 ? reps : (quick ? 15 : 40);

	if (n > 64)
		n = 64;
	for (i = 0; i < n; i++)
		v[i] = open_first_byte_once();
	result("open_first_byte", "us", median(v, n), false);
}

/* REPS opens and closes, untimed: bench/run counts famfsd requests. */
static void only_opens(void)
{
	struct view v;
	int i;

	for (i = 0; i < reps; i++) {
		view_open(&v, fsize);
		view_close(&v);
	}
}

static void only_touch(void)
{
	int i;

	for (i = 0; i < reps; i++)
		first_touch_once(touch_len());
	printf("touched %llu pages per rep\n", (unsigned long long)(touch_len() / PG));
}

static enum style style_of(const char *p)
{
	if (!strcmp(p, "raw"))
		return S_RAW;
	if (!strncmp(p, "famfs_direct", 12))
		return S_FAMFS;
	if (strstr(p, "_read"))
		return S_READ;
	return S_MMAP;
}

static void usage(void)
{
	fprintf(stderr, "usage: data_bench --path P --file F [--dev DEV --off OFF] "
		"[--size BYTES] [--quick] [--only CASE] [--reps N]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct view v;
	struct stat st;
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--quick")) {
			quick = true;
			continue;
		}
		if (!val)
			usage();
		i++;
		if (!strcmp(a, "--path"))
			path_name = val;
		else if (!strcmp(a, "--file"))
			file = val;
		else if (!strcmp(a, "--dev"))
			dev = val;
		else if (!strcmp(a, "--off"))
			dev_off = strtoull(val, NULL, 0);
		else if (!strcmp(a, "--size"))
			fsize = strtoull(val, NULL, 0);
		else if (!strcmp(a, "--only"))
			only = val;
		else if (!strcmp(a, "--reps"))
			reps = atoi(val);
		else
			usage();
	}
	if (!path_name || !file)
		usage();
	style = style_of(path_name);
	if (style == S_RAW && !dev)
		usage();
	if (!fsize) {
		if (stat(file, &st) < 0)
			die(file, errno);
		fsize = st.st_size;
	}
	fsize &= ~(CHUNK - 1);
	if (fsize < 4 * MIB) {
		fprintf(stderr, "data_bench: %s: need at least 4 MiB\n", file);
		return 2;
	}
	if (only) {
		if (reps < 1)
			usage();
		if (!strcmp(only, "opens"))
			only_opens();
		else if (!strcmp(only, "first_touch"))
			only_touch();
		else
			usage();
		return 0;
	}

	/* Fresh-view cases first, before this process holds a warm mapping. */
	case_open_first_byte();
	case_first_touch();

	view_open(&v, fsize);
	seq_pass(&v, 1);		/* warm up: fault every page in */
	case_seq(&v, 1);
	case_seq(&v, 2);
	case_rand(&v, false);
	case_rand(&v, true);
	view_close(&v);
	return 0;
}
