// SPDX-License-Identifier: Apache-2.0
/*
 * data_bench.c - benchmark (not a test): the data-path cases of bench/run
 * for SEVERAL access paths in one process, one round, measured interleaved
 * (every pass or batch of a case runs each path back to back, in ABBA
 * order), so that the raw reference and the paths compared with it see the
 * same disturbance from other load. bench/run aggregates the lines:
 *
 *   RESULT {"case": C, "path": P, "unit": U, "value": V, "better": B, "ref": R}
 *
 * usage: data_bench --path P [--file F] [--many DIR] [--ref R] [--path P2 --file F2 ...]
 *                   [--dev DEV --off OFF] [--sdev0 D0 --soff0 O0 --sdev1 D1 --soff1 O1
 *                    --chunk C]
 *                   [--size BYTES] [--quick] [--only CASE --reps N]
 * Each --file, --many and --ref applies to the --path before it; --only
 * takes one path. --ref names the path this one's ratio is taken against
 * (default "raw").
 *
 * Paths and how they reach the bytes (F is the file each path reads):
 *   raw                        DEV mapped at OFF (the file's extent): the limit
 *   raw_2dev                   the limit of a file striped over two devices:
 *                              C-byte chunks taken in turn from D0 at O0
 *                              (its strip 0) and D1 at O1 (its strip 1),
 *                              mapped one after the other into one range
 *   raw_preload                the same, in a process run under the shim
 *                              (bench/run: the shim's own raw reference);
 *                              steady-state cases only, since the shim's
 *                              fstatfs at open would flatter the shim's open
 *   famfs_direct_simple        famfs_map_open(F), F one extent
 *   famfs_direct_interleaved   famfs_map_open(F), F interleaved
 *   shim, fuse_mmap, tmpfs     plain open(F) + mmap(F); "shim" is run under
 *                              LD_PRELOAD=libfamfs-preload.so, fuse_mmap on a
 *                              cache=page mount, tmpfs on a tmpfs file
 *   shim_read, fuse_read, tmpfs_read
 *                              plain open(F) + pread(F): the same program
 *                              without a mapping (shim_read under the shim)
 * The reference R of a line is "raw", except that the steady-state cases
 * of a process that measures raw_preload are referred to raw_preload (and
 * raw_preload itself to raw).
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
 *   open_first_byte            open (and map) a file this process never
 *                              opened, then read byte 0 (us): with --many
 *                              DIR, repetition k opens DIR/k (raw: maps
 *                              the device at DIR/k's extent); without, the
 *                              path's own file
 *   reopen_first_byte          the same for the path's own file, which this
 *                              process opened and closed before (us)
 * Each round's value is the best of several passes or batches inside the
 * process (the one least disturbed by other load on a shared machine; the
 * fresh-view cases: the median of their repetitions); bench/run takes
 * median, min and max over the rounds, and the ratio per round.
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
#include "famfs/famfs.h"
#include "famfs/map.h"

#define MIB		(1ULL << 20)
#define PG		4096ULL
#define CHUNK		MIB
#define MAXPATHS	12
#define MAXREPS		64
#define MAXMANY		64

enum style { S_RAW, S_RAW2, S_FAMFS, S_MMAP, S_READ };

/* One access path measured by this process. */
struct bpath {
	const char *name;
	const char *file;
	const char *many;	/* open_first_byte: DIR/0, DIR/1, ... */
	uint64_t many_off[MAXMANY];	/* raw: the device offset of DIR/k */
	enum style style;
	bool steady_only;	/* raw_preload: no fresh-view cases */
	const char *ref;	/* --ref: the reference path, or NULL */
	uint64_t idx;		/* random cases: this path's address stream */
	double best;		/* best pass/batch of the current case */
	double v[MAXREPS];	/* fresh-view cases: one value per repetition */
};

/* What one mapped or opened view of the data is. */
struct view {
	const struct bpath *bp;
	const uint8_t *p;	/* mapped paths */
	size_t maplen;
	int fd;			/* read paths (and the mmap paths' file) */
	struct famfs_map *fm;
};

static struct bpath paths[MAXPATHS];
static struct view views[MAXPATHS];
static int npaths;
static const char *dev, *sdev[2], *only, *cur_path = "data_bench";
static const char *steady_ref = "raw";
static uint64_t dev_off, soff[2], chunk2, fsize, many_len;
static int nmany = MAXMANY;
static bool quick;
static int reps = -1;
static volatile uint64_t sink;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "data_bench: %s: %s: %s %s\n", cur_path, what, strerror(err),
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

/* The index of the j-th path of pass @k: forward, then backward (ABBA). */
static int at(int k, int j)
{
	return k % 2 ? npaths - 1 - j : j;
}

static void result(const struct bpath *b, const char *c, const char *unit, double v,
		   bool higher, bool steady)
{
	const char *ref = "raw";

	if (b->ref)
		ref = b->ref;
	else if (steady && !b->steady_only)
		ref = steady_ref;
	printf("RESULT {\"case\": \"%s\", \"path\": \"%s\", \"unit\": \"%s\", \"value\": %.6g, "
	       "\"better\": \"%s\", \"ref\": \"%s\"}\n", c, b->name, unit, v,
	       higher ? "higher" : "lower", ref);
	fflush(stdout);
}

/*
 * raw_2dev: reserve @len bytes, then map chunk k from strip k % 2's device
 * at that strip's offset plus (k / 2) chunks, as a file of two strips on
 * two devices lays them out.
 */
static void view_open_striped(struct view *v, size_t len)
{
	const char *const *d = sdev;
	const uint64_t *off = soff;
	int fd[2];
	uint8_t *base;

	for (int i = 0; i < 2; i++) {
		fd[i] = open(d[i], O_RDONLY);
		if (fd[i] < 0)
			die(d[i], errno);
	}
	base = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED)
		die("mmap reserve", errno);
	for (uint64_t k = 0; k * chunk2 < len; k++) {
		uint64_t n = len - k * chunk2 < chunk2 ? len - k * chunk2 : chunk2;

		if (mmap(base + k * chunk2, n, PROT_READ, MAP_SHARED | MAP_FIXED, fd[k % 2],
			 (off_t)(off[k % 2] + (k / 2) * chunk2)) == MAP_FAILED)
			die("mmap chunk", errno);
	}
	close(fd[0]);
	close(fd[1]);
	v->p = base;
	v->maplen = len;
}

/*
 * Open a fresh view of the first @len bytes of @b's data, or with @k >= 0
 * of its k-th --many file. Mapped paths map [0, len) (raw: DEV at dev_off,
 * or at that file's extent; raw_2dev: the two strips); read paths only
 * open. Nothing is touched.
 */
static void view_open_k(const struct bpath *b, struct view *v, size_t len, int k)
{
	char many[4096];
	const char *file = b->file;
	uint64_t off = dev_off;
	int err;

	if (k >= 0) {
		snprintf(many, sizeof(many), "%s/%d", b->many, k);
		file = many;
		off = b->many_off[k];
	}
	memset(v, 0, sizeof(*v));
	v->bp = b;
	v->fd = -1;
	cur_path = b->name;
	switch (b->style) {
	case S_FAMFS:
		err = famfs_map_open(file, O_RDONLY, &v->fm);
		if (err)
			die("famfs_map_open", -err);
		v->p = v->fm->addr;
		return;
	case S_RAW2:
		view_open_striped(v, len);
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
		if (b->style == S_READ)
			return;
	}
	v->maplen = len;
	v->p = mmap(NULL, len, PROT_READ, MAP_SHARED, v->fd, b->style == S_RAW ? (off_t)off : 0);
	if (v->p == MAP_FAILED)
		die("mmap", errno);
}

static void view_open(const struct bpath *b, struct view *v, size_t len)
{
	view_open_k(b, v, len, -1);
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

	if (s->v->bp->style == S_READ) {
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

	cur_path = v->bp->name;
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

/*
 * Best of n passes per path; each pass runs every path back to back. A
 * quick pass over a mapping lasts about 10 ms, shorter than one time slice
 * of another process: hence as many passes as a full run.
 */
static void case_seq(int nthr)
{
	double bw;
	int i, j, k, n = quick ? 5 : 7;

	for (j = 0; j < npaths; j++)
		paths[j].best = 0;
	for (k = 0; k < n; k++) {
		for (j = 0; j < npaths; j++) {
			i = at(k, j);
			bw = seq_pass(&views[i], nthr);
			if (bw > paths[i].best)
				paths[i].best = bw;
		}
	}
	for (j = 0; j < npaths; j++)
		result(&paths[j], nthr == 1 ? "seq_read_1t" : "seq_read_2t", "GB/s",
		       paths[j].best, true, true);
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
	bool rd = v->bp->style == S_READ;
	uint8_t buf[64];
	double t = now();

	for (i = 0; i < n; i++) {
		*idx = lcg(*idx + (val & 1));	/* the next address needs the last load */
		off = (*idx >> 20) % nlines * 64;
		if (rd) {
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
	bool rd = v->bp->style == S_READ;
	double t = now();

	for (i = 0; i < n; i++) {
		*idx = lcg(*idx);
		off = (*idx >> 20) % npages * PG;
		if (rd)
			must_pread(v->fd, buf, PG, off);
		else
			memcpy(buf, v->p + off, PG);
		sink += buf[*idx & (PG - 1)];
	}
	return now() - t;
}

/* Accesses per batch of a random case for @b. */
static uint64_t rand_n(const struct bpath *b, bool big)
{
	if (b->style == S_READ)
		return quick ? 1000 : 4000;
	if (big)
		return quick ? 10000 : 40000;
	return quick ? 100000 : 400000;
}

/*
 * Each random case reports per path its best (least disturbed) batch of
 * 5 (full run: 7); batch k of every path runs back to back. Every path
 * follows the same address stream.
 */
static void case_rand(bool big)
{
	double t;
	int i, j, k, n = quick ? 5 : 7;

	for (j = 0; j < npaths; j++) {
		paths[j].idx = big ? 777 : 12345;
		paths[j].best = 1e30;
	}
	for (k = 0; k < n; k++) {
		for (j = 0; j < npaths; j++) {
			i = at(k, j);
			cur_path = paths[i].name;
			t = big ? rand4k_batch(&views[i], rand_n(&paths[i], big), &paths[i].idx)
				: rand64_batch(&views[i], rand_n(&paths[i], big), &paths[i].idx);
			if (t < paths[i].best)
				paths[i].best = t;
		}
	}
	for (j = 0; j < npaths; j++)
		result(&paths[j], big ? "rand_read_4k" : "rand_load_64b", "ns",
		       paths[j].best / rand_n(&paths[j], big) * 1e9, false, true);
}

/* ---- fresh views ---- */

/* Bytes touched by one first_touch repetition of @b. */
static uint64_t touch_len(const struct bpath *b)
{
	uint64_t l = (b->style == S_READ ? (quick ? 16 : 32) : (quick ? 128 : 256)) * MIB;

	return l < fsize ? l : fsize;
}

/* Seconds to open a fresh view of @b and touch one byte per 4 KiB of @len. */
static double first_touch_once(const struct bpath *b, uint64_t len)
{
	struct view v;
	uint64_t off, s = 0;
	uint8_t c;
	double t = now();

	view_open(b, &v, fsize);
	for (off = 0; off < len; off += PG) {
		if (b->style == S_READ) {
			must_pread(v.fd, &c, 1, off);
			s += c;
		} else {
			s += *(const volatile uint8_t *)(v.p + off);
		}
	}
	t = now() - t;
	sink += s;
	view_close(&v);
	return t;
}

/*
 * Microseconds from open to holding byte 0 of @b (the close is not timed):
 * of its k-th --many file (@k >= 0), or of its own file.
 */
static double open_first_byte_once(const struct bpath *b, int k)
{
	struct view v;
	uint8_t c;
	double t = now();

	view_open_k(b, &v, k >= 0 ? many_len : fsize, k);
	if (b->style == S_READ)
		must_pread(v.fd, &c, 1, 0);
	else
		c = *(const volatile uint8_t *)v.p;
	t = now() - t;
	sink += c;
	view_close(&v);
	return t * 1e6;
}

enum fresh { F_OPEN, F_REOPEN, F_TOUCH };

/*
 * A fresh-view case: @n repetitions, repetition k of every path back to
 * back; each path reports the median of its repetitions. open_first_byte
 * opens the k-th --many file of a path that has them (each opened once),
 * reopen_first_byte the path's own file, opened once before.
 */
static void case_fresh(enum fresh what)
{
	static const char *const names[] = { "open_first_byte", "reopen_first_byte",
					      "first_touch" };
	struct bpath *b;
	int j, k, n;

	n = reps > 0 ? reps : what == F_TOUCH ? (quick ? 3 : 5) : (quick ? 15 : 40);
	if (n > MAXREPS)
		n = MAXREPS;
	if (what == F_OPEN && n > nmany)
		n = nmany;
	for (j = 0; j < npaths && what == F_REOPEN; j++)
		if (!paths[j].steady_only)
			open_first_byte_once(&paths[j], -1);
	for (k = 0; k < n; k++) {
		for (j = 0; j < npaths; j++) {
			b = &paths[at(k, j)];
			if (b->steady_only)
				continue;
			if (what == F_TOUCH)
				b->v[k] = first_touch_once(b, touch_len(b)) * 1e3 /
					  ((double)touch_len(b) / (1 << 30));
			else
				b->v[k] = open_first_byte_once(b, what == F_OPEN && b->many ? k :
								  -1);
		}
	}
	for (j = 0; j < npaths; j++) {
		b = &paths[j];
		if (!b->steady_only)
			result(b, names[what], what == F_TOUCH ? "ms/GiB" : "us", median(b->v, n),
			       false, false);
	}
}

/* REPS opens and closes of the one path, untimed: bench/run counts requests. */
static void only_opens(void)
{
	struct view v;
	int i;

	for (i = 0; i < reps; i++) {
		view_open(&paths[0], &v, fsize);
		view_close(&v);
	}
}

static void only_touch(void)
{
	int i;

	for (i = 0; i < reps; i++)
		first_touch_once(&paths[0], touch_len(&paths[0]));
	printf("touched %llu pages per rep\n", (unsigned long long)(touch_len(&paths[0]) / PG));
}

/*
 * How many --many files there are (DIR/0 ... up to MAXMANY, the same for
 * every path: the smallest count wins), their size, and for raw the device
 * offset of each (famfs_stat: one GET_FMAP each, before anything is timed).
 */
static void many_setup(struct bpath *b)
{
	struct famfs_extent ext;
	struct famfs_stat fst;
	char f[4096];
	struct stat st;
	int k, err;

	for (k = 0; k < MAXMANY; k++) {
		snprintf(f, sizeof(f), "%s/%d", b->many, k);
		if (stat(f, &st))
			break;
		if (!many_len || (uint64_t)st.st_size < many_len)
			many_len = st.st_size;
		if (b->style != S_RAW)
			continue;
		err = famfs_stat(f, &fst, &ext, 1);
		if (err)
			die(f, -err);
		b->many_off[k] = ext.device_offset;
	}
	if (k < nmany)
		nmany = k;
	if (!nmany || !many_len) {
		fprintf(stderr, "data_bench: %s has no files 0, 1, ...\n", b->many);
		exit(2);
	}
}

static enum style style_of(const char *p)
{
	if (!strcmp(p, "raw_2dev"))
		return S_RAW2;
	if (!strncmp(p, "raw", 3))
		return S_RAW;
	if (!strncmp(p, "famfs_direct", 12))
		return S_FAMFS;
	if (strstr(p, "_read"))
		return S_READ;
	return S_MMAP;
}

static void usage(void)
{
	fprintf(stderr, "usage: data_bench --path P [--file F] [--many DIR] [--ref R] [--path P2 "
		"--file F2 ...] [--dev DEV --off OFF] [--sdev0 D0 --soff0 O0 --sdev1 D1 --soff1 O1 "
		"--chunk C] [--size BYTES] [--quick] [--only CASE --reps N]\n");
	exit(2);
}

/* Parse the command line into paths[] and the globals; exits on misuse. */
static void parse(int argc, char **argv)
{
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
		if (!strcmp(a, "--path")) {
			if (npaths == MAXPATHS)
				usage();
			paths[npaths].name = val;
			paths[npaths].style = style_of(val);
			paths[npaths].steady_only = !strcmp(val, "raw_preload");
			if (paths[npaths].steady_only)
				steady_ref = "raw_preload";
			npaths++;
		} else if (!strcmp(a, "--file")) {
			if (!npaths)
				usage();
			paths[npaths - 1].file = val;
		} else if (!strcmp(a, "--many")) {
			if (!npaths)
				usage();
			paths[npaths - 1].many = val;
		} else if (!strcmp(a, "--ref")) {
			if (!npaths)
				usage();
			paths[npaths - 1].ref = val;
		} else if (!strcmp(a, "--dev")) {
			dev = val;
		} else if (!strcmp(a, "--sdev0") || !strcmp(a, "--sdev1")) {
			sdev[a[6] - '0'] = val;
		} else if (!strcmp(a, "--soff0") || !strcmp(a, "--soff1")) {
			soff[a[6] - '0'] = strtoull(val, NULL, 0);
		} else if (!strcmp(a, "--chunk")) {
			chunk2 = strtoull(val, NULL, 0);
		} else if (!strcmp(a, "--off")) {
			dev_off = strtoull(val, NULL, 0);
		} else if (!strcmp(a, "--size")) {
			fsize = strtoull(val, NULL, 0);
		} else if (!strcmp(a, "--only")) {
			only = val;
		} else if (!strcmp(a, "--reps")) {
			reps = atoi(val);
		} else {
			usage();
		}
	}
	if (!npaths || (only && npaths != 1))
		usage();
	for (i = 0; i < npaths; i++) {
		if (paths[i].style == S_RAW2 ? !sdev[0] || !sdev[1] || !chunk2 || chunk2 % (2 * MIB) :
		    paths[i].style == S_RAW ? !dev : !paths[i].file)
			usage();
		if (!fsize && paths[i].style != S_RAW && paths[i].style != S_RAW2) {
			if (stat(paths[i].file, &st) < 0)
				die(paths[i].file, errno);
			fsize = st.st_size;
		}
	}
	fsize &= ~(CHUNK - 1);
	if (fsize < 4 * MIB) {
		fprintf(stderr, "data_bench: need --size or a file of at least 4 MiB\n");
		exit(2);
	}
	for (i = 0; i < npaths; i++)
		if (paths[i].many)
			many_setup(&paths[i]);
}

int main(int argc, char **argv)
{
	int j;

	parse(argc, argv);
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

	/* Fresh-view cases first, before this process holds warm mappings. */
	case_fresh(F_OPEN);
	case_fresh(F_REOPEN);
	case_fresh(F_TOUCH);

	for (j = 0; j < npaths; j++) {
		view_open(&paths[j], &views[j], fsize);
		seq_pass(&views[j], 1);		/* warm up: fault every page in */
	}
	case_seq(1);
	case_seq(2);
	case_rand(false);
	case_rand(true);
	for (j = 0; j < npaths; j++)
		view_close(&views[j]);
	return 0;
}
