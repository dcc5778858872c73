// SPDX-License-Identifier: Apache-2.0
/*
 * test_alloc.c - the allocation bitmap, contiguous and interleaved
 * allocation, and the interleave parameter rules (lib/alloc.c).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "famfs/alloc.h"
#include "famfs/err.h"

#define MIB	(1ULL << 20)
#define GIB	(1ULL << 30)
#define AU	FAMFS_ALLOC_UNIT
#define RESERVED (FAMFS_LOG_OFFSET + FAMFS_LOG_LEN_DEFAULT)	/* 10 MiB */

static bool unit_set(const struct famfs_alloc *a, uint64_t unit)
{
	return (a->bits[unit / 64] >> (unit % 64)) & 1;
}

static uint64_t count_set(const struct famfs_alloc *a)
{
	uint64_t n = 0;

	for (uint64_t i = 0; i < a->nbits; i++)
		n += unit_set(a, i);
	return n;
}

static struct famfs_omf_fmap simple1(uint64_t off, uint64_t len)
{
	struct famfs_omf_fmap f;

	memset(&f, 0, sizeof(f));
	f.ext_type = FAMFS_EXT_SIMPLE;
	f.nextents = 1;
	f.se[0].offset = off;
	f.se[0].len = len;
	return f;
}

static void test_init(void **state)
{
	struct famfs_alloc a;

	assert_int_equal(famfs_alloc_init(&a, GIB, 0, 0), -EINVAL);
	assert_int_equal(famfs_alloc_init(&a, GIB, 3 * MIB, 0), -EINVAL);
	assert_int_equal(famfs_alloc_init(&a, 0, AU, 0), -EINVAL);
	assert_int_equal(famfs_alloc_init(&a, GIB + MIB, AU, 0), -EINVAL);
	assert_non_null(strstr(famfs_errmsg(), "device size"));
	assert_int_equal(famfs_alloc_init(&a, GIB, AU, MIB), -EINVAL);
	assert_int_equal(famfs_alloc_init(&a, GIB, AU, 2 * GIB), -EINVAL);
	assert_non_null(strstr(famfs_errmsg(), "reserved"));

	assert_int_equal(famfs_alloc_init(&a, GIB, AU, RESERVED), 0);
	assert_int_equal(a.nbits, 512);
	assert_int_equal(a.used, 5);
	assert_int_equal(count_set(&a), 5);
	for (uint64_t i = 0; i < 5; i++)
		assert_true(unit_set(&a, i));
	assert_false(unit_set(&a, 5));
	assert_int_equal(famfs_alloc_free_bytes(&a), GIB - RESERVED);
	famfs_alloc_fini(&a);
	assert_null(a.bits);
	famfs_alloc_fini(NULL);
}

static void test_mark_simple(void **state)
{
	struct famfs_alloc a;
	struct famfs_omf_fmap f;
	uint64_t coll = 7;

	assert_int_equal(famfs_alloc_init(&a, GIB, AU, RESERVED), 0);
	/* A length that is not a multiple of the unit marks ceil(len / au) units. */
	f = simple1(20 * AU, 2 * AU + 1);
	f.nextents = 2;
	f.se[1].offset = 100 * AU;
	f.se[1].len = AU;
	assert_int_equal(famfs_alloc_mark(&a, &f, &coll), 0);
	assert_int_equal(coll, 7);		/* added to, never reset */
	assert_int_equal(a.used, 5 + 3 + 1);
	assert_true(unit_set(&a, 20) && unit_set(&a, 21) && unit_set(&a, 22));
	assert_false(unit_set(&a, 23));
	assert_true(unit_set(&a, 100));

	/* Overlap with itself and with the reserved area: counted, left set. */
	f = simple1(3 * AU, 4 * AU);	/* units 3..6: 3, 4 collide */
	assert_int_equal(famfs_alloc_mark(&a, &f, &coll), 0);
	assert_int_equal(coll, 7 + 2);
	assert_int_equal(a.used, 9 + 2);
	assert_int_equal(count_set(&a), a.used);
	f = simple1(20 * AU, 3 * AU);
	assert_int_equal(famfs_alloc_mark(&a, &f, NULL), 0);
	assert_int_equal(a.used, 11);

	/* The last unit of the device is inside. */
	f = simple1(GIB - AU, AU);
	assert_int_equal(famfs_alloc_mark(&a, &f, &coll), 0);
	assert_true(unit_set(&a, 511));
	assert_int_equal(a.used, 12);
	famfs_alloc_fini(&a);
}

static void test_mark_errors(void **state)
{
	struct famfs_alloc a;
	struct famfs_omf_fmap f;
	uint64_t coll = 0;

	assert_int_equal(famfs_alloc_init(&a, GIB, AU, RESERVED), 0);

	/* Unaligned second extent: the valid first one is not marked either. */
	f = simple1(40 * AU, AU);
	f.nextents = 2;
	f.se[1].offset = 50 * AU + 4096;
	f.se[1].len = AU;
	assert_int_equal(famfs_alloc_mark(&a, &f, &coll), -EINVAL);
	assert_non_null(strstr(famfs_errmsg(), "not aligned"));
	assert_false(unit_set(&a, 40));
	assert_int_equal(a.used, 5);

	/* Past the end: -ERANGE, nothing marked. */
	f.se[1].offset = GIB - AU;
	f.se[1].len = AU + 1;
	assert_int_equal(famfs_alloc_mark(&a, &f, &coll), -ERANGE);
	assert_non_null(strstr(famfs_errmsg(), "past the device end"));
	f.se[1].offset = GIB;
	f.se[1].len = AU;
	assert_int_equal(famfs_alloc_mark(&a, &f, &coll), -ERANGE);
	f.se[1].offset = 1ULL << 62;
	f.se[1].len = UINT64_MAX - AU;	/* no overflow in the bounds check */
	assert_int_equal(famfs_alloc_mark(&a, &f, &coll), -ERANGE);
	f.se[1].offset = 64 * AU;
	f.se[1].len = UINT64_MAX;
	assert_int_equal(famfs_alloc_mark(&a, &f, &coll), -ERANGE);
	assert_false(unit_set(&a, 40));
	assert_int_equal(a.used, 5);
	assert_int_equal(count_set(&a), 5);

	/* Structure errors. */
	f = simple1(40 * AU, AU);
	f.nextents = 0;
	assert_int_equal(famfs_alloc_mark(&a, &f, &coll), -EINVAL);
	f.nextents = FAMFS_OMF_MAX_SIMPLE_EXTENTS + 1;
	assert_int_equal(famfs_alloc_mark(&a, &f, &coll), -EINVAL);
	f.nextents = 1;
	f.ext_type = 7;
	assert_int_equal(famfs_alloc_mark(&a, &f, &coll), -EINVAL);
	assert_non_null(strstr(famfs_errmsg(), "extent type"));
	assert_int_equal(a.used, 5);
	assert_int_equal(coll, 0);
	famfs_alloc_fini(&a);
}

static void test_mark_interleave(void **state)
{
	struct famfs_alloc a;
	struct famfs_omf_fmap f;
	uint64_t coll = 0;

	assert_int_equal(famfs_alloc_init(&a, GIB, AU, RESERVED), 0);
	memset(&f, 0, sizeof(f));
	f.ext_type = FAMFS_EXT_INTERLEAVE;
	f.nextents = 1;
	f.nstrips = 3;
	f.chunk_size = AU;
	for (int i = 0; i < 3; i++) {
		f.strips[i].offset = (100 + 10 * i) * AU;
		f.strips[i].len = 2 * AU;
	}
	/* The se[] array is ignored for interleave. */
	f.se[0].offset = 4095;
	assert_int_equal(famfs_alloc_mark(&a, &f, &coll), 0);
	assert_int_equal(a.used, 5 + 6);
	assert_true(unit_set(&a, 120) && unit_set(&a, 121));
	assert_false(unit_set(&a, 122));
	assert_int_equal(famfs_alloc_mark(&a, &f, &coll), 0);
	assert_int_equal(coll, 6);

	f.strips[2].offset = GIB;
	assert_int_equal(famfs_alloc_mark(&a, &f, &coll), -ERANGE);
	f.strips[2].offset = 7;
	assert_int_equal(famfs_alloc_mark(&a, &f, &coll), -EINVAL);
	f.strips[2].offset = 200 * AU;
	f.nstrips = 0;
	assert_int_equal(famfs_alloc_mark(&a, &f, &coll), -EINVAL);
	f.nstrips = FAMFS_OMF_MAX_STRIPS + 1;
	assert_int_equal(famfs_alloc_mark(&a, &f, &coll), -EINVAL);
	f.nstrips = 3;
	f.nextents = 2;
	assert_int_equal(famfs_alloc_mark(&a, &f, &coll), -EINVAL);
	assert_int_equal(a.used, 11);
	assert_int_equal(coll, 6);
	famfs_alloc_fini(&a);
}

static void test_contig(void **state)
{
	struct famfs_alloc a;
	struct famfs_omf_fmap f, hole;

	assert_int_equal(famfs_alloc_init(&a, GIB, AU, RESERVED), 0);
	assert_int_equal(famfs_alloc_file(&a, 0, NULL, 0, &f), -EINVAL);
	assert_non_null(strstr(famfs_errmsg(), "empty"));

	/* First fit after the reserved area, one extent rounded up. */
	assert_int_equal(famfs_alloc_file(&a, 1, NULL, 0, &f), 0);
	assert_int_equal(f.ext_type, FAMFS_EXT_SIMPLE);
	assert_int_equal(f.nextents, 1);
	assert_int_equal(f.se[0].devindex, 0);
	assert_int_equal(f.se[0].offset, RESERVED);
	assert_int_equal(f.se[0].len, AU);
	assert_int_equal(a.cursor, 6);

	/* An all-zero param block is contiguous too. */
	struct famfs_interleave_param zero = { 0 };

	assert_int_equal(famfs_alloc_file(&a, 3 * AU - 1, &zero, 0, &f), 0);
	assert_int_equal(f.ext_type, FAMFS_EXT_SIMPLE);
	assert_int_equal(f.se[0].offset, 6 * AU);
	assert_int_equal(f.se[0].len, 3 * AU);
	assert_int_equal(a.cursor, 9);
	assert_int_equal(a.used, 9);

	/* A hole before the cursor is skipped until the search wraps. */
	hole = simple1(20 * AU, 4 * AU);
	a.cursor = 30;
	assert_int_equal(famfs_alloc_file(&a, 2 * AU, NULL, 0, &f), 0);
	assert_int_equal(f.se[0].offset, 30 * AU);
	/* Fill everything from the cursor to the end. */
	assert_int_equal(famfs_alloc_file(&a, (512 - 32) * AU, NULL, 0, &f), 0);
	assert_int_equal(f.se[0].offset, 32 * AU);
	assert_int_equal(a.cursor, 512);
	/* Now the free space is [9, 30): a 21-unit run. */
	assert_int_equal(famfs_alloc_largest_free(&a), 21 * AU);
	assert_int_equal(famfs_alloc_file(&a, 22 * AU, NULL, 0, &f), -ENOSPC);
	assert_non_null(strstr(famfs_errmsg(), "no free run of 46137344 bytes: the largest is "
				"44040192 bytes (44040192 bytes free)"));
	assert_int_equal(famfs_alloc_mark(&a, &hole, NULL), 0);	/* [20, 24) */
	assert_int_equal(famfs_alloc_largest_free(&a), 11 * AU);	/* [9, 20) */
	assert_int_equal(famfs_alloc_file(&a, 12 * AU, NULL, 0, &f), -ENOSPC);
	assert_int_equal(famfs_alloc_file(&a, 11 * AU, NULL, 0, &f), 0);
	assert_int_equal(f.se[0].offset, 9 * AU);
	assert_int_equal(a.cursor, 20);
	assert_int_equal(famfs_alloc_file(&a, 6 * AU, NULL, 0, &f), 0);
	assert_int_equal(f.se[0].offset, 24 * AU);
	assert_int_equal(famfs_alloc_free_bytes(&a), 0);
	assert_int_equal(famfs_alloc_largest_free(&a), 0);
	assert_int_equal(famfs_alloc_file(&a, 1, NULL, 0, &f), -ENOSPC);
	assert_int_equal(count_set(&a), 512);
	assert_int_equal(a.used, 512);
	famfs_alloc_fini(&a);
}

/* A clone is a dry run: allocating on it leaves the original alone. */
static void test_clone(void **state)
{
	struct famfs_alloc a, c;
	struct famfs_omf_fmap f, g;

	assert_int_equal(famfs_alloc_init(&a, GIB, AU, RESERVED), 0);
	assert_int_equal(famfs_alloc_file(&a, 3 * AU, NULL, 0, &f), 0);
	assert_int_equal(famfs_alloc_clone(&a, &c), 0);
	assert_ptr_not_equal(c.bits, a.bits);
	assert_int_equal(c.used, a.used);
	assert_int_equal(c.cursor, a.cursor);
	assert_int_equal(famfs_alloc_largest_free(&c), GIB - RESERVED - 3 * AU);
	assert_int_equal(famfs_alloc_file(&c, 100 * AU, NULL, 0, &g), 0);
	assert_int_equal(c.used, a.used + 100);
	assert_int_equal(count_set(&a), 8);
	/* the same request on the original gets the same memory */
	assert_int_equal(famfs_alloc_file(&a, 100 * AU, NULL, 0, &f), 0);
	assert_memory_equal(&f, &g, sizeof(f));
	famfs_alloc_fini(&c);
	assert_int_equal(count_set(&a), 108);
	famfs_alloc_fini(&a);
}

/* How many 1 MiB files fit on a 1 GiB device after the sb and an 8 MiB log. */
static void test_contig_count(void **state)
{
	struct famfs_alloc a;
	struct famfs_omf_fmap f;
	uint64_t n = 0, prev = 0;

	assert_int_equal(famfs_alloc_init(&a, GIB, AU, RESERVED), 0);
	while (famfs_alloc_file(&a, MIB, NULL, 0, &f) == 0) {
		assert_true(f.se[0].offset > prev);
		prev = f.se[0].offset;
		n++;
	}
	assert_int_equal(n, 512 - 5);
	assert_int_equal(famfs_alloc_free_bytes(&a), 0);
	famfs_alloc_fini(&a);

	/* A bitmap that does not end on a word boundary. */
	assert_int_equal(famfs_alloc_init(&a, 70 * AU, AU, 0), 0);
	n = 0;
	while (famfs_alloc_file(&a, AU, NULL, 0, &f) == 0)
		n++;
	assert_int_equal(n, 70);
	assert_int_equal(f.se[0].len, 0);	/* @out is cleared on failure */
	famfs_alloc_fini(&a);
}

static void test_param_check(void **state)
{
	const uint64_t dev = 16 * GIB;
	struct famfs_interleave_param p = { 0 };

	assert_false(famfs_interleave_enabled(NULL));
	assert_false(famfs_interleave_enabled(&p));
	assert_int_equal(famfs_interleave_param_check(&p, dev), 0);
	famfs_interleave_fill(&p, dev);
	assert_false(famfs_interleave_enabled(&p));

	p = (struct famfs_interleave_param){ 8, 4, 2 * MIB };
	assert_true(famfs_interleave_enabled(&p));
	assert_int_equal(famfs_interleave_param_check(&p, dev), 0);

	p.chunk_size = 6 * MIB;
	assert_int_equal(famfs_interleave_param_check(&p, dev), -EINVAL);
	assert_non_null(strstr(famfs_errmsg(), "power of 2"));
	p.chunk_size = MIB;
	assert_int_equal(famfs_interleave_param_check(&p, dev), -EINVAL);
	assert_non_null(strstr(famfs_errmsg(), "multiple of 2 MiB"));
	p.chunk_size = 0;
	assert_int_equal(famfs_interleave_param_check(&p, dev), -EINVAL);
	p.chunk_size = 4 * MIB;

	p.nstrips = 0;
	assert_int_equal(famfs_interleave_param_check(&p, dev), -EINVAL);
	assert_non_null(strstr(famfs_errmsg(), "at least 1"));
	p.nstrips = 9;
	assert_int_equal(famfs_interleave_param_check(&p, dev), -EINVAL);
	assert_non_null(strstr(famfs_errmsg(), "more than nbuckets"));
	p.nbuckets = 65;
	p.nstrips = 4;
	assert_int_equal(famfs_interleave_param_check(&p, 128 * GIB), -EINVAL);
	assert_non_null(strstr(famfs_errmsg(), "over 64"));
	p.nbuckets = 32;
	p.nstrips = 17;
	assert_int_equal(famfs_interleave_param_check(&p, 64 * GIB), -EINVAL);
	assert_non_null(strstr(famfs_errmsg(), "one log entry"));
	p.nstrips = 16;
	assert_int_equal(famfs_interleave_param_check(&p, 64 * GIB), 0);
	assert_int_equal(famfs_interleave_param_check(&p, 16 * GIB), -EINVAL);
	assert_non_null(strstr(famfs_errmsg(), "under 1 GiB"));
	p.nbuckets = 0;
	assert_int_equal(famfs_interleave_param_check(&p, 64 * GIB), -EINVAL);
}

static void test_param_fill(void **state)
{
	struct famfs_interleave_param p;

	p = (struct famfs_interleave_param){ .chunk_size = 4 * MIB };
	famfs_interleave_fill(&p, 16 * GIB);
	assert_int_equal(p.nbuckets, 16);
	assert_int_equal(p.nstrips, 16);
	assert_int_equal(p.chunk_size, 4 * MIB);

	p = (struct famfs_interleave_param){ .nstrips = 3 };
	famfs_interleave_fill(&p, 16 * GIB);
	assert_int_equal(p.nbuckets, 3);
	assert_int_equal(p.nstrips, 3);
	assert_int_equal(p.chunk_size, 2 * MIB);

	p = (struct famfs_interleave_param){ .nbuckets = 40 };
	famfs_interleave_fill(&p, 100 * GIB);
	assert_int_equal(p.nstrips, 16);

	p = (struct famfs_interleave_param){ .chunk_size = 2 * MIB };
	famfs_interleave_fill(&p, 1000 * GIB);
	assert_int_equal(p.nbuckets, 64);
	assert_int_equal(p.nstrips, 16);

	p = (struct famfs_interleave_param){ .chunk_size = 2 * MIB };
	famfs_interleave_fill(&p, 512 * MIB);
	assert_int_equal(p.nbuckets, 1);
	assert_int_equal(p.nstrips, 1);
	/* The filled block still fails the bucket-size rule on a small device. */
	assert_int_equal(famfs_interleave_param_check(&p, 512 * MIB), -EINVAL);
}

static void check_interleave_32m(const struct famfs_alloc *a, const struct famfs_omf_fmap *f)
{
	const uint64_t bucket = 2 * GIB;
	bool seen[8] = { false };

	assert_int_equal(f->ext_type, FAMFS_EXT_INTERLEAVE);
	assert_int_equal(f->nextents, 1);
	assert_int_equal(f->nstrips, 4);
	assert_int_equal(f->chunk_size, 2 * MIB);
	for (int i = 0; i < 4; i++) {
		uint64_t b = f->strips[i].offset / bucket;

		assert_int_equal(f->strips[i].devindex, 0);
		assert_int_equal(f->strips[i].len, 8 * MIB);
		assert_int_equal(f->strips[i].offset % AU, 0);
		assert_true(b < 8);
		assert_false(seen[b]);
		seen[b] = true;
		/* The whole strip is inside its bucket. */
		assert_true(f->strips[i].offset + f->strips[i].len <= (b + 1) * bucket);
		/* First fit inside the bucket: its start, or just after the log. */
		assert_int_equal(f->strips[i].offset, b == 0 ? RESERVED : b * bucket);
		for (uint64_t u = 0; u < 4; u++)
			assert_true(unit_set(a, f->strips[i].offset / AU + u));
		for (int j = 0; j < i; j++)
			assert_true(f->strips[j].offset + f->strips[j].len <= f->strips[i].offset ||
				    f->strips[i].offset + f->strips[i].len <= f->strips[j].offset);
	}
}

static void test_interleave(void **state)
{
	const struct famfs_interleave_param p = { 8, 4, 2 * MIB };
	struct famfs_alloc a, b;
	struct famfs_omf_fmap f, g;
	bool differ = false;

	assert_int_equal(famfs_alloc_init(&a, 16 * GIB, AU, RESERVED), 0);
	assert_int_equal(famfs_alloc_file(&a, 32 * MIB, &p, 42, &f), 0);
	check_interleave_32m(&a, &f);
	assert_int_equal(a.used, 5 + 16);
	assert_int_equal(count_set(&a), a.used);
	assert_int_equal(a.cursor, 0);	/* interleave does not move the cursor */

	/* Deterministic for a seed. */
	assert_int_equal(famfs_alloc_init(&b, 16 * GIB, AU, RESERVED), 0);
	assert_int_equal(famfs_alloc_file(&b, 32 * MIB, &p, 42, &g), 0);
	assert_memory_equal(&f, &g, sizeof(f));
	famfs_alloc_fini(&b);

	/* Other seeds give other bucket orders. */
	for (uint64_t seed = 0; seed < 8 && !differ; seed++) {
		assert_int_equal(famfs_alloc_init(&b, 16 * GIB, AU, RESERVED), 0);
		assert_int_equal(famfs_alloc_file(&b, 32 * MIB, &p, seed, &g), 0);
		check_interleave_32m(&b, &g);
		differ = memcmp(&f, &g, sizeof(f)) != 0;
		famfs_alloc_fini(&b);
	}
	assert_true(differ);

	/* A second file lands after the first in the buckets it shares. */
	assert_int_equal(famfs_alloc_file(&a, 32 * MIB, &p, 42, &g), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(g.strips[i].offset, f.strips[i].offset + 8 * MIB);

	/* Sizes that do not fill a stripe round up to whole stripes. */
	assert_int_equal(famfs_alloc_file(&a, 8 * MIB, &p, 1, &g), 0);
	assert_int_equal(g.nstrips, 4);
	assert_int_equal(g.strips[0].len, 2 * MIB);
	assert_int_equal(famfs_alloc_file(&a, 8 * MIB + 1, &p, 1, &g), 0);
	assert_int_equal(g.strips[0].len, 4 * MIB);
	famfs_alloc_fini(&a);
}

static void test_interleave_fallback_and_errors(void **state)
{
	struct famfs_interleave_param p = { 8, 4, 4 * MIB };
	struct famfs_alloc a;
	struct famfs_omf_fmap f;
	uint64_t used;

	assert_int_equal(famfs_alloc_init(&a, 16 * GIB, AU, RESERVED), 0);
	/* Smaller than one chunk: contiguous. */
	assert_int_equal(famfs_alloc_file(&a, 4 * MIB - 1, &p, 1, &f), 0);
	assert_int_equal(f.ext_type, FAMFS_EXT_SIMPLE);
	assert_int_equal(f.se[0].offset, RESERVED);
	assert_int_equal(f.se[0].len, 4 * MIB);
	/* Defaults are filled in: only nstrips given. */
	p = (struct famfs_interleave_param){ .nstrips = 2 };
	assert_int_equal(famfs_alloc_file(&a, 4 * MIB, &p, 1, &f), 0);
	assert_int_equal(f.ext_type, FAMFS_EXT_INTERLEAVE);
	assert_int_equal(f.nstrips, 2);
	assert_int_equal(f.chunk_size, 2 * MIB);
	/* Bad parameters: -EINVAL, nothing marked, even for a small file. */
	used = a.used;
	p = (struct famfs_interleave_param){ 32, 4, 2 * MIB };
	assert_int_equal(famfs_alloc_file(&a, 64 * MIB, &p, 1, &f), -EINVAL);
	assert_int_equal(famfs_alloc_file(&a, 1, &p, 1, &f), -EINVAL);
	p = (struct famfs_interleave_param){ 8, 4, 3 * MIB };
	assert_int_equal(famfs_alloc_file(&a, 64 * MIB, &p, 1, &f), -EINVAL);
	assert_int_equal(a.used, used);
	famfs_alloc_fini(&a);

	/* An allocation unit the chunk is not a multiple of. */
	assert_int_equal(famfs_alloc_init(&a, 16 * GIB, 4 * MIB, 12 * MIB), 0);
	p = (struct famfs_interleave_param){ 8, 4, 2 * MIB };
	assert_int_equal(famfs_alloc_file(&a, 64 * MIB, &p, 1, &f), -EINVAL);
	famfs_alloc_fini(&a);
}

static void test_interleave_enospc(void **state)
{
	const struct famfs_interleave_param p = { 8, 4, 2 * MIB };
	const uint64_t bucket = 2 * GIB;
	struct famfs_alloc a;
	struct famfs_omf_fmap f;
	uint64_t used;

	assert_int_equal(famfs_alloc_init(&a, 16 * GIB, AU, RESERVED), 0);
	/* A strip larger than a bucket never fits. */
	assert_int_equal(famfs_alloc_file(&a, 4 * 2 * GIB + 4 * AU, &p, 3, &f), -ENOSPC);
	assert_int_equal(a.used, 5);

	/* Fill five of the eight buckets: only three can take a strip. */
	for (uint64_t b = 1; b < 6; b++) {
		struct famfs_omf_fmap full = simple1(b * bucket, bucket);

		assert_int_equal(famfs_alloc_mark(&a, &full, NULL), 0);
	}
	used = a.used;
	for (uint64_t seed = 0; seed < 16; seed++) {
		assert_int_equal(famfs_alloc_file(&a, 32 * MIB, &p, seed, &f), -ENOSPC);
		assert_non_null(strstr(famfs_errmsg(), "only 3 of the 4 strips"));
		assert_int_equal(a.used, used);	/* what was taken is given back */
		assert_int_equal(count_set(&a), used);
	}
	/* Three strips still fit. */
	struct famfs_interleave_param p3 = { 8, 3, 2 * MIB };

	assert_int_equal(famfs_alloc_file(&a, 32 * MIB, &p3, 0, &f), 0);
	assert_int_equal(f.nstrips, 3);
	for (int i = 0; i < 3; i++) {
		uint64_t b = f.strips[i].offset / bucket;

		assert_true(b == 0 || b == 6 || b == 7);
		assert_int_equal(f.strips[i].len, 12 * MIB);
	}
	famfs_alloc_fini(&a);
}

/* Deleted files: pending until a horizon passes their delete, then free. */
static void test_delete_reclaim(void **state)
{
	struct famfs_alloc a;
	struct famfs_omf_fmap f1 = simple1(RESERVED, 4 * MIB);	/* units 5, 6 */
	struct famfs_omf_fmap f2 = simple1(RESERVED + 4 * MIB, 2 * MIB);	/* unit 7 */
	struct famfs_omf_fmap g, none = simple1(RESERVED + 100 * MIB, 2 * MIB);
	uint64_t coll = 0, units, del, used;

	assert_int_equal(famfs_alloc_init(&a, 128 * MIB, AU, RESERVED), 0);
	assert_int_equal(famfs_alloc_mark(&a, &f1, &coll), 0);
	assert_int_equal(famfs_alloc_mark(&a, &f2, &coll), 0);
	used = a.used;
	assert_int_equal(famfs_alloc_oldest_pending(&a), FAMFS_ALLOC_NO_DELETE);
	assert_null(a.pend);		/* nothing allocated for a file system without deletes */

	/* Refusals: memory not in use, a delete out of order, twice. */
	assert_int_equal(famfs_alloc_delete(&a, &none, 3), -EINVAL);
	assert_non_null(strstr(famfs_errmsg(), "not in use"));
	assert_int_equal(famfs_alloc_delete(&a, &f1, 3), 0);
	assert_int_equal(famfs_alloc_delete(&a, &f1, 4), -EINVAL);
	assert_non_null(strstr(famfs_errmsg(), "already a deleted file's"));
	assert_int_equal(famfs_alloc_delete(&a, &f2, 3), -EINVAL);
	assert_non_null(strstr(famfs_errmsg(), "not after delete 3"));
	assert_int_equal(famfs_alloc_delete(&a, &f2, 8), 0);

	/* Pending units stay in use: nothing can allocate them. */
	assert_int_equal(a.used, used);
	assert_int_equal(famfs_alloc_pending_bytes(&a), 6 * MIB);
	assert_int_equal(famfs_alloc_free_bytes(&a), 128 * MIB - RESERVED - 6 * MIB);
	assert_int_equal(famfs_alloc_oldest_pending(&a), 3);
	assert_int_equal(famfs_alloc_pending_in(&a, &f2, &units, &del), 0);
	assert_int_equal(units, 1);
	assert_int_equal(del, 8);

	/* A dry-run copy has its own deleted units and runs. */
	{
		struct famfs_alloc c;

		assert_int_equal(famfs_alloc_clone(&a, &c), 0);
		assert_true(c.pend != a.pend && c.runs != a.runs);
		assert_int_equal(famfs_alloc_reclaim(&c, UINT64_MAX), 3);
		assert_int_equal(famfs_alloc_pending_bytes(&c), 0);
		famfs_alloc_fini(&c);
		assert_int_equal(famfs_alloc_pending_bytes(&a), 6 * MIB);
		assert_int_equal(famfs_alloc_oldest_pending(&a), 3);
	}

	/* A horizon at or below a delete frees nothing; above it, exactly it. */
	assert_int_equal(famfs_alloc_reclaim(&a, 3), 0);
	assert_int_equal(famfs_alloc_reclaim(&a, 4), 2);
	assert_false(unit_set(&a, 5) || unit_set(&a, 6));
	assert_true(unit_set(&a, 7));
	assert_int_equal(famfs_alloc_pending_bytes(&a), 2 * MIB);
	assert_int_equal(famfs_alloc_oldest_pending(&a), 8);
	assert_int_equal(famfs_alloc_pending_in(&a, &f1, &units, &del), 0);
	assert_int_equal(units, 0);
	assert_int_equal(del, FAMFS_ALLOC_NO_DELETE);
	/* The freed units are first fit again: the new file takes f1's place. */
	a.cursor = 0;
	assert_int_equal(famfs_alloc_file(&a, 3 * MIB, NULL, 0, &g), 0);
	assert_int_equal(g.se[0].offset, RESERVED);
	assert_int_equal(famfs_alloc_reclaim(&a, UINT64_MAX), 1);
	assert_int_equal(famfs_alloc_pending_bytes(&a), 0);
	assert_int_equal(count_set(&a), a.used);

	/* Many deletes: the list grows and compacts. */
	for (uint64_t i = 0; i < 200; i++) {
		struct famfs_omf_fmap h;

		assert_int_equal(famfs_alloc_file(&a, 2 * MIB, NULL, 0, &h), 0);
		assert_int_equal(famfs_alloc_delete(&a, &h, 100 + i), 0);
		if (i % 3 == 2)
			famfs_alloc_reclaim(&a, 100 + i);
	}
	famfs_alloc_reclaim(&a, 1000);
	assert_int_equal(famfs_alloc_pending_bytes(&a), 0);
	assert_int_equal(count_set(&a), a.used);
	famfs_alloc_fini(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_mark_simple),
		cmocka_unit_test(test_mark_errors),
		cmocka_unit_test(test_mark_interleave),
		cmocka_unit_test(test_contig),
		cmocka_unit_test(test_clone),
		cmocka_unit_test(test_contig_count),
		cmocka_unit_test(test_param_check),
		cmocka_unit_test(test_param_fill),
		cmocka_unit_test(test_interleave),
		cmocka_unit_test(test_interleave_fallback_and_errors),
		cmocka_unit_test(test_interleave_enospc),
		cmocka_unit_test(test_delete_reclaim),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
