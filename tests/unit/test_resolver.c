// SPDX-License-Identifier: Apache-2.0
/*
 * test_resolver.c - the resolver interface (famfs/resolver.h): the C
 * resolver on the kernel's worked example and its error paths, the fmap <->
 * BPF value conversion, the fault-order walk against famfs_fmap_walk, and
 * the differential test: on random simple and interleaved fmaps (odd sizes,
 * bad chunks, bad device indexes) and millions of random offsets, the BPF
 * program (verified and JIT-compiled by this kernel) and famfs_fmap_resolve
 * agree exactly, errors included. The BPF tests skip only when the program
 * cannot be loaded for lack of privilege or BTF, and say why.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "famfs/err.h"
#include "famfs/resolver.h"

#define MiB (1024ULL * 1024)
#define PMD FAMFS_PMD_SIZE

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint64_t rndn(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static void set_simple(struct famfs_fmap *f, uint64_t size)
{
	memset(f, 0, sizeof(*f));
	f->ext_type = FAMFS_EXT_SIMPLE;
	f->file_size = size;
}

static void add_ext(struct famfs_fmap *f, uint64_t dev, uint64_t off, uint64_t len)
{
	f->se[f->nextents].devindex = dev;
	f->se[f->nextents].offset = off;
	f->se[f->nextents].len = len;
	f->nextents++;
	if (dev < 64)
		f->dev_bitmap |= 1ULL << dev;
}

static void set_interleave(struct famfs_fmap *f, uint64_t size, uint64_t chunk, uint32_t ns,
			   uint64_t strip_len)
{
	uint32_t i;

	memset(f, 0, sizeof(*f));
	f->ext_type = FAMFS_EXT_INTERLEAVE;
	f->file_size = size;
	f->nextents = 1;
	f->ie[0].nstrips = ns;
	f->ie[0].chunk_size = chunk;
	f->ie[0].nbytes = size;
	f->nstrips_total = ns;
	for (i = 0; i < ns; i++) {
		f->strips[i].devindex = 0;
		f->strips[i].offset = (64 + 16 * (uint64_t)i) * MiB;
		f->strips[i].len = strip_len;
	}
	f->dev_bitmap = 1;
}

/* ---- the C resolver ---- */

static void test_c_worked_example(void **state)
{
	struct famfs_fmap f;
	struct famfs_resolver r = { .kind = FAMFS_RESOLVER_C, .fmap = &f };
	struct famfs_iomap io;

	/* kfmap doc: C=2 MiB, N=4, pos=15 MiB -> chunk 7, stripe 1, strip 3, +3 MiB */
	set_interleave(&f, 32 * MiB, 2 * MiB, 4, 8 * MiB);
	assert_int_equal(famfs_iomap_begin(&r, 15 * MiB, 8 * MiB, &io), 0);
	assert_int_equal(io.devindex, 0);
	assert_int_equal(io.addr, f.strips[3].offset + 3 * MiB);
	assert_int_equal(io.length, 1 * MiB);	/* clipped to the chunk */
	assert_int_equal(io.offset, 15 * MiB);
	assert_int_equal(famfs_iomap_begin(&r, 15 * MiB, 4096, &io), 0);
	assert_int_equal(io.length, 4096);
	/* past the map: -EIO, zeroed, never a hole */
	io.addr = 7;
	assert_int_equal(famfs_iomap_begin(&r, 32 * MiB, 4096, &io), -EIO);
	assert_int_equal(io.addr, 0);
	assert_int_equal(io.length, 0);

	/* simple: length clipped to the extent */
	set_simple(&f, 5 * MiB);
	add_ext(&f, 0, 10 * MiB, 4 * MiB);
	add_ext(&f, 0, 40 * MiB, 2 * MiB);
	assert_int_equal(famfs_iomap_begin(&r, 3 * MiB, 16 * MiB, &io), 0);
	assert_int_equal(io.addr, 13 * MiB);
	assert_int_equal(io.length, 1 * MiB);
	assert_int_equal(famfs_iomap_begin(&r, 5 * MiB, 16 * MiB, &io), 0);
	assert_int_equal(io.addr, 41 * MiB);
	assert_int_equal(io.length, 1 * MiB);
	assert_int_equal(famfs_iomap_begin(&r, 6 * MiB, 1, &io), -EIO);
}

static void test_c_errors(void **state)
{
	struct famfs_fmap f;
	struct famfs_resolver r = { .kind = FAMFS_RESOLVER_C, .fmap = &f };
	struct famfs_iomap io;

	set_interleave(&f, 8 * MiB, 3 * MiB, 2, 4 * MiB);	/* chunk not PMD-aligned */
	io.addr = 1234;
	assert_int_equal(famfs_iomap_begin(&r, 0, 1, &io), -EINVAL);
	assert_int_equal(io.addr, 1234);			/* untouched, as the kernel */
	set_simple(&f, 2 * MiB);
	add_ext(&f, 24, 0, 2 * MiB);				/* device index out of range */
	assert_int_equal(famfs_iomap_begin(&r, 0, 1, &io), -EIO);
	r.kind = 7;
	assert_int_equal(famfs_iomap_begin(&r, 0, 1, &io), -EINVAL);
	r.kind = FAMFS_RESOLVER_C;
	r.fmap = NULL;
	assert_int_equal(famfs_iomap_begin(&r, 0, 1, &io), -EINVAL);
	assert_int_equal(famfs_iomap_begin(NULL, 0, 1, &io), -EINVAL);
	r.kind = FAMFS_RESOLVER_BPF;				/* no handle */
	assert_int_equal(famfs_iomap_begin(&r, 0, 1, &io), -EINVAL);
}

/* ---- conversion ---- */

static void test_encode_limits(void **state)
{
	struct famfs_fmap f, g;
	struct famfs_bpf_file v;
	uint32_t i;

	set_simple(&f, 64 * MiB);
	for (i = 0; i < 32; i++)
		add_ext(&f, i % 3, i * 4 * MiB, 2 * MiB);
	assert_int_equal(famfs_bpf_file_encode(&f, &v), 0);
	assert_int_equal(v.nextents, 32);
	assert_int_equal(v.ext[31].offset, 124 * MiB);
	famfs_bpf_file_decode(&v, &g);
	assert_int_equal(g.nextents, 32);
	assert_memory_equal(g.se, f.se, sizeof(f.se));
	assert_int_equal(g.dev_bitmap, 7);
	f.nextents = 33;
	assert_int_equal(famfs_bpf_file_encode(&f, &v), -E2BIG);

	set_interleave(&f, 64 * MiB, 2 * MiB, 32, 2 * MiB);
	assert_int_equal(famfs_bpf_file_encode(&f, &v), 0);
	assert_int_equal(v.nstrips, 32);
	assert_int_equal(v.chunk_size, 2 * MiB);
	assert_int_equal(v.nbytes, 64 * MiB);
	famfs_bpf_file_decode(&v, &g);
	assert_int_equal(g.ie[0].nstrips, 32);
	assert_memory_equal(g.strips, f.strips, 32 * sizeof(f.strips[0]));
	f.ie[0].nstrips = 33;
	assert_int_equal(famfs_bpf_file_encode(&f, &v), -E2BIG);
	f.ie[0].nstrips = 2;
	f.nextents = 2;
	assert_int_equal(famfs_bpf_file_encode(&f, &v), -E2BIG);
	assert_non_null(strstr(famfs_errmsg(), "interleaved"));
}

/* ---- walks ---- */

struct segs {
	long n;
	struct famfs_seg s[512];
};

static int collect(void *ctx, const struct famfs_seg *seg)
{
	struct segs *c = ctx;

	if (c->n < 512)
		c->s[c->n] = *seg;
	c->n++;
	return 0;
}

static int stop_at_first(void *ctx, const struct famfs_seg *seg)
{
	return -ECANCELED;
}

/* A random fmap as famfs makes them (valid): for walks and mappings. */
static void random_valid(struct famfs_fmap *f)
{
	uint64_t size, total = 0;
	uint32_t i, n;

	if (rnd() & 1) {
		n = 1 + (uint32_t)rndn(32);
		set_simple(f, 0);
		for (i = 0; i < n; i++) {
			uint64_t len = (1 + rndn(4)) * PMD;
			/* sometimes contiguous with the previous one: merged */
			uint64_t off = (i && (rnd() & 1)) ? f->se[i - 1].offset + f->se[i - 1].len :
				rndn(4096) * PMD;

			add_ext(f, 0, off, len);
			total += len;
		}
		f->file_size = total - rndn(PMD * 2 < total ? PMD * 2 : total);
	} else {
		uint64_t chunk = (1 + rndn(4)) * PMD, slen = (1 + rndn(4)) * chunk;
		uint32_t ns = 1 + (uint32_t)rndn(32);

		size = 1 + rndn(ns * slen);
		set_interleave(f, size, chunk, ns, slen);
		for (i = 0; i < ns; i++)
			f->strips[i].offset = rndn(4096) * PMD;
	}
}

static void test_walk_matches_fmap_walk(void **state)
{
	struct famfs_fmap *f = malloc(sizeof(*f));
	struct famfs_resolver r = { .kind = FAMFS_RESOLVER_C };
	struct segs *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	long n;
	int k;

	r.fmap = f;
	for (k = 0; k < 300; k++) {
		random_valid(f);
		a->n = b->n = 0;
		n = famfs_fmap_walk(f, collect, a);
		assert_int_equal(n, a->n);
		n = famfs_resolver_walk(&r, f->file_size, collect, b);
		assert_int_equal(n, b->n);
		assert_int_equal(a->n, b->n);
		assert_memory_equal(a->s, b->s, (a->n < 512 ? a->n : 512) * sizeof(a->s[0]));
	}
	/* errors: a callback's stop, a hole in the map */
	assert_int_equal(famfs_resolver_walk(&r, f->file_size, stop_at_first, NULL), -ECANCELED);
	set_simple(f, 6 * MiB);
	add_ext(f, 0, 0, 4 * MiB);
	assert_int_equal(famfs_resolver_walk(&r, f->file_size, collect, b), -EIO);
	assert_int_equal(famfs_resolver_walk(&r, UINT64_MAX, collect, b), -EFBIG);
	free(f);
	free(a);
	free(b);
}

/* ---- BPF ---- */

static struct famfs_bpf bpf = { -1, -1, -1, -1 };
static int bpf_rc = 1;
static char bpf_why[512];

static int bpf_setup(void **state)
{
	bpf_rc = famfs_bpf_load(NULL, &bpf);
	if (bpf_rc)
		snprintf(bpf_why, sizeof(bpf_why), "%s", famfs_errmsg());
	return 0;
}

static int bpf_teardown(void **state)
{
	famfs_bpf_close(&bpf);
	return 0;
}

static bool bpf_skipped;

/*
 * Skip only where BPF cannot be loaded at all: no BTF, or not root (and
 * refused). Root that is refused (capabilities dropped), and any other load
 * failure, fail: CI runs as root and must run the differential test. A
 * skip makes the program exit 77, which ctest shows as "Not Run".
 */
static void need_bpf(void)
{
	if (!bpf_rc)
		return;
	if (access("/sys/kernel/btf/vmlinux", R_OK) ||
	    (geteuid() != 0 && (bpf_rc == -EPERM || bpf_rc == -EACCES))) {
		printf("SKIP: BPF cannot be loaded here (%s; need root and "
		       "/sys/kernel/btf/vmlinux): %s\n", strerror(-bpf_rc), bpf_why);
		bpf_skipped = true;
		skip();
	}
	fail_msg("BPF resolver failed to load (%s): %s", strerror(-bpf_rc), bpf_why);
}

/* A random fmap, valid or not: odd sizes, bad chunks, bad device indexes. */
static void random_any(struct famfs_fmap *f)
{
	uint32_t i, n;

	random_valid(f);
	switch (rndn(8)) {
	case 0:		/* odd lengths and offsets */
		for (i = 0; i < f->nextents && f->ext_type == FAMFS_EXT_SIMPLE; i++)
			f->se[i].len = 1 + rndn(8 * MiB);
		f->file_size = rndn(64 * MiB);
		break;
	case 1:		/* device indexes out of range here and there */
		n = f->ext_type == FAMFS_EXT_SIMPLE ? f->nextents : (uint32_t)f->ie[0].nstrips;
		for (i = 0; i < n; i++) {
			if (rnd() & 1) {
				if (f->ext_type == FAMFS_EXT_SIMPLE)
					f->se[i].devindex = rndn(40);
				else
					f->strips[i].devindex = rndn(40);
			}
		}
		break;
	case 2:		/* interleave oddities */
		if (f->ext_type == FAMFS_EXT_INTERLEAVE) {
			uint64_t c[] = { 0, 3 * MiB, PMD + 4096, 2 * MiB, 4 * MiB };

			f->ie[0].chunk_size = c[rndn(5)];
			f->ie[0].nbytes = rndn(3) ? rndn(f->file_size + 1) : 0;
			if (!rndn(4))
				f->ie[0].nstrips = 0;
			if (!rndn(8))
				f->nextents = 0;
		} else if (!rndn(4)) {
			f->nextents = 0;
		}
		break;
	case 3:		/* unknown extent type */
		if (!rndn(4))
			f->ext_type = 2 + (uint32_t)rndn(3);
		break;
	case 4:		/* strips shorter than the chunks the file puts there */
		if (f->ext_type == FAMFS_EXT_INTERLEAVE) {
			n = (uint32_t)f->ie[0].nstrips;
			for (i = 0; i < n; i++)
				if (rnd() & 1)
					f->strips[i].len = rndn(f->strips[i].len / PMD) * PMD;
			if (rnd() & 1)
				f->ie[0].chunk_size *= 2;
		}
		break;
	default:
		break;
	}
}

static uint64_t random_pos(const struct famfs_fmap *f)
{
	uint64_t top = f->file_size + f->file_size / 4 + 4 * MiB;

	switch (rndn(16)) {
	case 0:
		return rnd();				/* anywhere, up to 2^64 */
	case 1:
		return f->file_size + rndn(2) - 1;	/* around the end */
	case 2:
		return rndn(top / PMD + 1) * PMD;	/* on a PMD boundary */
	default:
		return rndn(top);
	}
}

static uint64_t random_len(void)
{
	switch (rndn(4)) {
	case 0:
		return UINT64_MAX;
	case 1:
		return 1 + rndn(4096);
	default:
		return 1 + rndn(16 * MiB);
	}
}

/* [addr, addr + length) lies inside one strip of @f's first extent. */
static bool in_a_strip(const struct famfs_fmap *f, const struct famfs_iomap *io)
{
	for (uint32_t i = 0; i < f->ie[0].nstrips && i < FAMFS_FMAP_STRIP_POOL; i++) {
		const struct famfs_fmap_ext *s = &f->strips[i];

		if (s->devindex == io->devindex && io->addr >= s->offset &&
		    io->addr - s->offset < s->len && io->length <= s->len - (io->addr - s->offset))
			return true;
	}
	return false;
}

#define DIFF_FILES	400
#define DIFF_OFFSETS	5000		/* per file: 2 million in all */

static void test_bpf_differential(void **state)
{
	struct famfs_fmap *f = malloc(sizeof(*f));
	struct famfs_resolver c = { .kind = FAMFS_RESOLVER_C }, b = { .kind = FAMFS_RESOLVER_BPF };
	struct famfs_iomap ic, ib;
	long calls = 0, errs = 0, einval = 0, interleaved = 0, past_strip = 0;
	int k, j, rc_c, rc_b;

	need_bpf();
	c.fmap = f;
	b.bpf = &bpf;
	for (k = 0; k < DIFF_FILES; k++) {
		do {
			random_any(f);
		} while (famfs_bpf_set_file(&bpf, 1000 + k, f) == -E2BIG);
		interleaved += f->ext_type == FAMFS_EXT_INTERLEAVE;
		b.ino = 1000 + k;
		for (j = 0; j < DIFF_OFFSETS; j++) {
			uint64_t pos = random_pos(f), len = random_len();
			uint64_t seed = rnd();

			memset(&ic, 0, sizeof(ic));
			ic.devindex = seed;
			ic.addr = seed >> 3;
			ic.length = seed >> 5;
			ib = ic;
			famfs_errclear();
			rc_c = famfs_iomap_begin(&c, pos, len, &ic);
			past_strip += rc_c == -EIO && strstr(famfs_errmsg(), "past the end");
			/* An answer never leaves its strip. */
			if (!rc_c && f->ext_type == FAMFS_EXT_INTERLEAVE)
				assert_true(in_a_strip(f, &ic));
			rc_b = famfs_iomap_begin(&b, pos, len, &ib);
			if (rc_c != rc_b || memcmp(&ic, &ib, sizeof(ic)))
				fail_msg("file %d (type %u, %u ext, size %#llx) pos %#llx len %#llx: "
					 "C rc %d dev %llu addr %#llx len %#llx, BPF rc %d dev %llu "
					 "addr %#llx len %#llx", k, f->ext_type, f->nextents,
					 (unsigned long long)f->file_size, (unsigned long long)pos,
					 (unsigned long long)len, rc_c,
					 (unsigned long long)ic.devindex, (unsigned long long)ic.addr,
					 (unsigned long long)ic.length, rc_b,
					 (unsigned long long)ib.devindex, (unsigned long long)ib.addr,
					 (unsigned long long)ib.length);
			calls++;
			errs += rc_c != 0;
			einval += rc_c == -EINVAL;
		}
		assert_int_equal(famfs_bpf_del_file(&bpf, 1000 + k), 0);
	}
	printf("differential: %ld offsets over %d files (%ld interleaved): %ld errors "
	       "(%ld EINVAL, %ld past a strip), all identical\n", calls, DIFF_FILES, interleaved,
	       errs, einval, past_strip);
	assert_true(einval > 0);
	assert_true(past_strip > 0);
	/* both outcomes were exercised */
	assert_true(errs > calls / 20);
	assert_true(errs < calls - calls / 20);
	assert_true(interleaved > DIFF_FILES / 4);
	free(f);
}

static void test_bpf_walk_and_maps(void **state)
{
	struct famfs_fmap *f = malloc(sizeof(*f)), *g = malloc(sizeof(*g));
	struct famfs_resolver b = { .kind = FAMFS_RESOLVER_BPF, .ino = 77 };
	struct segs *sa = calloc(1, sizeof(*sa)), *sb = calloc(1, sizeof(*sb));
	struct famfs_bpf_file v;
	struct famfs_bpf_dev d;
	struct famfs_iomap io;
	long n;
	int k;

	need_bpf();
	b.bpf = &bpf;
	for (k = 0; k < 200; k++) {
		random_valid(f);
		assert_int_equal(famfs_bpf_set_file(&bpf, 77, f), 0);
		sa->n = sb->n = 0;
		n = famfs_fmap_walk(f, collect, sa);
		assert_int_equal(n, sa->n);
		n = famfs_resolver_walk(&b, f->file_size, collect, sb);
		assert_int_equal(n, sb->n);
		assert_int_equal(sa->n, sb->n);
		assert_memory_equal(sa->s, sb->s, (sa->n < 512 ? sa->n : 512) * sizeof(sa->s[0]));
		assert_int_equal(famfs_bpf_get_file(&bpf, 77, &v), 0);
		famfs_bpf_file_decode(&v, g);
		sb->n = 0;
		n = famfs_fmap_walk(g, collect, sb);
		assert_int_equal(n, sa->n);
		assert_memory_equal(sa->s, sb->s, (sa->n < 512 ? sa->n : 512) * sizeof(sa->s[0]));
	}
	/* a missing inode is -ENOENT, distinct from -EIO */
	assert_int_equal(famfs_bpf_del_file(&bpf, 77), 0);
	assert_int_equal(famfs_iomap_begin(&b, 0, 1, &io), -ENOENT);
	assert_int_equal(famfs_bpf_get_file(&bpf, 77, &v), -ENOENT);
	assert_int_equal(famfs_bpf_del_file(&bpf, 77), -ENOENT);
	/* the device table */
	assert_int_equal(famfs_bpf_set_dev(&bpf, 3, "/dev/dax0.0", 1), 0);
	assert_int_equal(famfs_bpf_get_dev(&bpf, 3, &d), 0);
	assert_int_equal(d.valid, 1);
	assert_int_equal(d.state, 1);
	assert_string_equal(d.name, "/dev/dax0.0");
	assert_int_equal(famfs_bpf_get_dev(&bpf, 4, &d), 0);
	assert_int_equal(d.valid, 0);
	assert_int_equal(famfs_bpf_set_dev(&bpf, 24, "x", 0), -EINVAL);
	assert_int_equal(famfs_bpf_get_dev(&bpf, 24, &d), -EINVAL);
	free(f);
	free(g);
	free(sa);
	free(sb);
}

static void test_bpf_bench_prog(void **state)
{
	struct famfs_fmap f;
	struct famfs_bpf_req q;
	struct famfs_bpf bad = { -1, -1, -1, -1 };

	need_bpf();
	set_interleave(&f, 64 * MiB, 2 * MiB, 4, 16 * MiB);
	assert_int_equal(famfs_bpf_set_file(&bpf, 5, &f), 0);
	memset(&q, 0, sizeof(q));
	q.ino = 5;
	q.loops = 10000;
	q.seed = 42;
	q.span = 64 * MiB;
	assert_int_equal(famfs_bpf_run(bpf.bench_fd, &q), 0);
	assert_int_equal(q.ok, 10000);		/* every offset is in the file */
	assert_true(q.ns > 0);
	q.span = 128 * MiB;			/* half of them past the end */
	assert_int_equal(famfs_bpf_run(bpf.bench_fd, &q), 0);
	assert_true(q.ok > 3000 && q.ok < 7000);
	/* BPF_PROG_RUN errors; pinning to a path that cannot exist */
	assert_int_equal(famfs_bpf_run(-1, &q), -EBADF);
	assert_int_equal(famfs_bpf_open_pinned("/nonexistent/famfs", &bad), -ENOENT);
	assert_int_equal(bad.prog_fd, -1);
	assert_int_equal(famfs_bpf_load("/nonexistent/x.bpf.o", &bad), -ENOENT);
}

static void test_bpf_pin_roundtrip(void **state)
{
	char dir[128];
	struct famfs_bpf p;
	struct famfs_fmap f;
	struct famfs_resolver r = { .kind = FAMFS_RESOLVER_BPF, .bpf = &p, .ino = 9 };
	struct famfs_iomap io;

	need_bpf();
	snprintf(dir, sizeof(dir), "%s/unit-%d", FAMFS_BPF_PIN_ROOT, (int)getpid());
	assert_int_equal(famfs_bpf_pin(&bpf, dir), 0);
	assert_int_equal(famfs_bpf_open_pinned(dir, &p), 0);
	set_simple(&f, 4 * MiB);
	add_ext(&f, 0, 100 * MiB, 4 * MiB);
	assert_int_equal(famfs_bpf_set_file(&bpf, 9, &f), 0);	/* via the loader's fd */
	assert_int_equal(famfs_iomap_begin(&r, MiB, 8 * MiB, &io), 0);	/* via the pins */
	assert_int_equal(io.addr, 101 * MiB);
	assert_int_equal(io.length, 3 * MiB);
	famfs_bpf_close(&p);
	famfs_bpf_unpin(dir);
	assert_int_equal(access(dir, F_OK), -1);
	assert_int_equal(famfs_bpf_open_pinned(dir, &p), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_c_worked_example),
		cmocka_unit_test(test_c_errors),
		cmocka_unit_test(test_encode_limits),
		cmocka_unit_test(test_walk_matches_fmap_walk),
		cmocka_unit_test(test_bpf_differential),
		cmocka_unit_test(test_bpf_walk_and_maps),
		cmocka_unit_test(test_bpf_bench_prog),
		cmocka_unit_test(test_bpf_pin_roundtrip),
	};

	int failed = cmocka_run_group_tests(tests, bpf_setup, bpf_teardown);

	return failed ? failed : bpf_skipped ? 77 : 0;
}
