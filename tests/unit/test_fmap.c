// SPDX-License-Identifier: Apache-2.0
/*
 * test_fmap.c - unit tests of lib/fmap.c: V10 wire bytes at their offsets,
 * encode/decode round trips, every kernel validation rule with its errno,
 * the kernel's resolver (including its worked interleave example), segment
 * walks with merging, and fuse_daxdev_out.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "famfs/err.h"
#include "famfs/fmap.h"
#include "err_assert.h"

#define MiB (1024ULL * 1024)

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)(p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24);
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static void wr64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void wr32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static int collect_none(void *ctx, const struct famfs_seg *seg);

/* 3 simple extents: 2 MiB at 10 MiB, 4 MiB at 20 MiB, 2 MiB at 12 MiB. */
static void simple_map(struct famfs_fmap *f, uint64_t size)
{
	struct famfs_omf_file o;

	memset(&o, 0, sizeof(o));
	o.size = size;
	o.fmap.ext_type = FAMFS_EXT_SIMPLE;
	o.fmap.nextents = 3;
	o.fmap.se[0] = (struct famfs_omf_extent){ 0, 10 * MiB, 2 * MiB };
	o.fmap.se[1] = (struct famfs_omf_extent){ 0, 20 * MiB, 4 * MiB };
	o.fmap.se[2] = (struct famfs_omf_extent){ 0, 12 * MiB, 2 * MiB };
	assert_int_equal(famfs_fmap_from_omf(&o, f), 0);
}

/* N strips of @slen at @base + i * @stride, chunk @c. */
static void ileave_map(struct famfs_fmap *f, uint64_t size, uint64_t n, uint64_t c,
		       uint64_t base, uint64_t stride, uint64_t slen)
{
	struct famfs_omf_file o;

	memset(&o, 0, sizeof(o));
	o.size = size;
	o.fmap.ext_type = FAMFS_EXT_INTERLEAVE;
	o.fmap.nextents = 1;
	o.fmap.nstrips = n;
	o.fmap.chunk_size = c;
	for (uint64_t i = 0; i < n; i++)
		o.fmap.strips[i] = (struct famfs_omf_extent){ 0, base + i * stride, slen };
	assert_int_equal(famfs_fmap_from_omf(&o, f), 0);
}

/*
 * Two interleaved extents of 2 strips and 2 MiB chunks, holding 4 MiB and
 * @nbytes1 bytes: strips of 2 MiB at 20 MiB + i * @stride.
 */
static void two_iext_map(struct famfs_fmap *f, uint64_t size, uint64_t nbytes1, uint64_t stride)
{
	memset(f, 0, sizeof(*f));
	f->ext_type = FAMFS_EXT_INTERLEAVE;
	f->nextents = 2;
	f->file_size = size;
	f->ie[0] = (struct famfs_fmap_iext){ 2, 2 * MiB, 4 * MiB, 0 };
	f->ie[1] = (struct famfs_fmap_iext){ 2, 2 * MiB, nbytes1, 2 };
	f->nstrips_total = 4;
	for (int i = 0; i < 4; i++)
		f->strips[i] = (struct famfs_fmap_ext){ 0, 20 * MiB + i * stride, 2 * MiB };
}

/* ---- from_omf ---- */

static void test_from_omf(void **state)
{
	struct famfs_fmap f;
	struct famfs_omf_file o;

	simple_map(&f, 7 * MiB);
	assert_int_equal(f.file_type, FAMFS_FILE_REG);
	assert_int_equal(f.version, 1);
	assert_int_equal(f.ext_type, FAMFS_EXT_SIMPLE);
	assert_int_equal(f.nextents, 3);
	assert_int_equal(f.file_size, 7 * MiB);
	assert_int_equal(f.dev_bitmap, 1);
	assert_int_equal(f.se[1].offset, 20 * MiB);
	assert_int_equal(f.se[1].len, 4 * MiB);

	ileave_map(&f, 15 * MiB + 5, 4, 2 * MiB, 100 * MiB, 16 * MiB, 4 * MiB);
	assert_int_equal(f.ext_type, FAMFS_EXT_INTERLEAVE);
	assert_int_equal(f.nextents, 1);
	assert_int_equal(f.ie[0].nstrips, 4);
	assert_int_equal(f.ie[0].chunk_size, 2 * MiB);
	assert_int_equal(f.ie[0].nbytes, 15 * MiB + 5);
	assert_int_equal(f.ie[0].first, 0);
	assert_int_equal(f.nstrips_total, 4);
	assert_int_equal(f.strips[3].offset, 148 * MiB);

	memset(&o, 0, sizeof(o));
	o.fmap.ext_type = 2;
	assert_err(famfs_fmap_from_omf(&o, &f), -EINVAL, "ext_type 2");
	o.fmap.ext_type = FAMFS_EXT_SIMPLE;
	o.fmap.nextents = 17;
	assert_err(famfs_fmap_from_omf(&o, &f), -EINVAL, "17 simple extents");
	o.fmap.ext_type = FAMFS_EXT_INTERLEAVE;
	o.fmap.nextents = 1;
	o.fmap.nstrips = 17;
	assert_err(famfs_fmap_from_omf(&o, &f), -EINVAL, "17 strips");
}

/* ---- encode / decode ---- */

static void test_encode_simple(void **state)
{
	struct famfs_fmap f, d;
	uint8_t b[FAMFS_FMAP_MSG_MAX];

	simple_map(&f, 7 * MiB + 3);
	memset(b, 0xaa, sizeof(b));
	assert_int_equal(famfs_fmap_encode(&f, b, sizeof(b)), 32 + 3 * 24);
	assert_int_equal(b[0], FAMFS_FILE_REG);
	assert_int_equal(b[1], 0);
	assert_int_equal(rd16(b + 2), 1);
	assert_int_equal(rd32(b + 4), FAMFS_EXT_SIMPLE);
	assert_int_equal(rd32(b + 8), 3);
	assert_int_equal(rd32(b + 12), 0);
	assert_int_equal(rd64(b + 16), 7 * MiB + 3);
	assert_int_equal(rd64(b + 24), 0);
	assert_int_equal(rd32(b + 32), 0);	/* se[0].devindex */
	assert_int_equal(rd32(b + 36), 0);
	assert_int_equal(rd64(b + 40), 10 * MiB);
	assert_int_equal(rd64(b + 48), 2 * MiB);
	assert_int_equal(rd64(b + 56 + 8), 20 * MiB);
	assert_int_equal(rd64(b + 56 + 16), 4 * MiB);
	assert_int_equal(rd64(b + 80 + 8), 12 * MiB);
	assert_int_equal(b[104], 0xaa);	/* nothing written past the end */

	assert_int_equal(famfs_fmap_decode(b, 104, &d), 0);
	assert_memory_equal(&f, &d, sizeof(d));

	assert_err(famfs_fmap_encode(&f, b, 103), -E2BIG, "104 bytes");
	f.nextents = 0;
	assert_err(famfs_fmap_encode(&f, b, sizeof(b)), -EINVAL, "nextents 0");
	f.nextents = 33;
	assert_err(famfs_fmap_encode(&f, b, sizeof(b)), -EINVAL, "nextents 33");
	simple_map(&f, 1);
	f.se[2].devindex = 1ULL << 32;
	assert_err(famfs_fmap_encode(&f, b, sizeof(b)), -EINVAL, "extent 2: devindex");
	f.ext_type = 2;
	assert_err(famfs_fmap_encode(&f, b, sizeof(b)), -EINVAL, "ext_type 2");

	/* 32 extents fit (800 bytes) */
	memset(&f, 0, sizeof(f));
	f.nextents = 32;
	f.file_size = 64 * MiB;
	for (int i = 0; i < 32; i++)
		f.se[i] = (struct famfs_fmap_ext){ 0, (uint64_t)(10 + 4 * i) * MiB, 2 * MiB };
	f.dev_bitmap = 1;
	f.version = 1;
	assert_int_equal(famfs_fmap_encode(&f, b, sizeof(b)), 800);
	assert_int_equal(famfs_fmap_decode(b, 800, &d), 0);
	assert_memory_equal(&f, &d, sizeof(d));
}

static void test_encode_interleave(void **state)
{
	struct famfs_fmap f, d;
	uint8_t b[FAMFS_FMAP_MSG_MAX];

	ileave_map(&f, 15 * MiB + 5, 4, 2 * MiB, 100 * MiB, 16 * MiB, 4 * MiB);
	memset(b, 0xaa, sizeof(b));
	assert_int_equal(famfs_fmap_encode(&f, b, sizeof(b)), 32 + 24 + 4 * 24);
	assert_int_equal(rd32(b + 4), FAMFS_EXT_INTERLEAVE);
	assert_int_equal(rd32(b + 8), 1);
	assert_int_equal(rd32(b + 32), 4);		/* ie_nstrips */
	assert_int_equal(rd32(b + 36), 2 * MiB);	/* ie_chunk_size */
	assert_int_equal(rd64(b + 40), 15 * MiB + 5);	/* ie_nbytes */
	assert_int_equal(rd64(b + 48), 0);
	assert_int_equal(rd64(b + 56 + 8), 100 * MiB);
	assert_int_equal(rd64(b + 56 + 16), 4 * MiB);
	assert_int_equal(rd64(b + 56 + 3 * 24 + 8), 148 * MiB);
	assert_int_equal(famfs_fmap_decode(b, 152, &d), 0);
	assert_memory_equal(&f, &d, sizeof(d));

	f.ie[0].nstrips = 0;
	assert_err(famfs_fmap_encode(&f, b, sizeof(b)), -EINVAL, "nstrips 0");
	f.ie[0].nstrips = 33;
	assert_err(famfs_fmap_encode(&f, b, sizeof(b)), -EINVAL, "nstrips 33");
	f.ie[0].nstrips = 5;
	assert_err(famfs_fmap_encode(&f, b, sizeof(b)), -EINVAL, "outside");
	f.ie[0].nstrips = 4;
	f.ie[0].chunk_size = 1ULL << 32;
	assert_err(famfs_fmap_encode(&f, b, sizeof(b)), -EINVAL, "chunk_size");

	/* Five interleaved extents of 32 strips: 3992 bytes, as many as fit. */
	memset(&f, 0, sizeof(f));
	f.ext_type = FAMFS_EXT_INTERLEAVE;
	f.version = 1;
	f.nextents = 5;
	f.file_size = 5 * 64 * MiB;
	f.dev_bitmap = 1;
	for (uint32_t i = 0; i < 5; i++) {
		f.ie[i] = (struct famfs_fmap_iext){ 32, 2 * MiB, 64 * MiB, i * 32 };
		for (uint32_t j = 0; j < 32; j++)
			f.strips[i * 32 + j] = (struct famfs_fmap_ext){
				0, (uint64_t)(16 + 2 * (i * 32 + j)) * MiB, 2 * MiB };
	}
	f.nstrips_total = 160;
	assert_int_equal(famfs_fmap_encode(&f, b, sizeof(b)), 3992);
	assert_int_equal(famfs_fmap_decode(b, 3992, &d), 0);
	assert_memory_equal(&f, &d, sizeof(d));
	f.nextents = 6;
	f.ie[5] = (struct famfs_fmap_iext){ 5, 2 * MiB, 10 * MiB, 160 };
	f.nstrips_total = 165;
	assert_err(famfs_fmap_encode(&f, b, sizeof(b)), -E2BIG, "4136 bytes");
}

static void test_decode_header_rules(void **state)
{
	struct famfs_fmap f, d;
	uint8_t b[FAMFS_FMAP_MSG_MAX + 1], g[FAMFS_FMAP_MSG_MAX];

	simple_map(&f, 7 * MiB);
	memset(g, 0, sizeof(g));
	assert_int_equal(famfs_fmap_encode(&f, g, sizeof(g)), 104);

	memcpy(b, g, sizeof(g));
	b[4096] = 0;
	assert_int_equal(famfs_fmap_decode(b, 4096, &d), 0);	/* trailing bytes ignored */
	assert_err(famfs_fmap_decode(b, 4097, &d), -EINVAL, "4097 bytes");
	assert_err(famfs_fmap_decode(b, 31, &d), -EINVAL, "31 bytes");
	assert_err(famfs_fmap_decode(b, 103, &d), -EINVAL, "truncated");

	/* fmap_version and file_type are not checked */
	b[0] = 7;
	b[2] = 99;
	assert_int_equal(famfs_fmap_decode(b, 104, &d), 0);
	assert_int_equal(d.file_type, 7);
	assert_int_equal(d.version, 99);

	memcpy(b, g, sizeof(g));
	wr32(b + 8, 0);
	wr32(b + 4, 9);	/* nextents is checked before ext_type */
	assert_err(famfs_fmap_decode(b, 104, &d), -ERANGE, "nextents 0");
	wr32(b + 8, 33);
	assert_err(famfs_fmap_decode(b, sizeof(g), &d), -ERANGE, "nextents 33");
	wr32(b + 8, 3);
	assert_err(famfs_fmap_decode(b, 104, &d), -EINVAL, "ext_type 9");

	memcpy(b, g, sizeof(g));
	wr32(b + 56, 1);	/* se[1].devindex: V10 refuses it, we do not */
	assert_int_equal(famfs_fmap_decode(b, 104, &d), 0);
	assert_int_equal(d.se[1].devindex, 1);
	assert_int_equal(d.dev_bitmap, 3);
	wr32(b + 56, 23);
	assert_int_equal(famfs_fmap_decode(b, 104, &d), 0);
	wr32(b + 56, 24);	/* past the daxdev table */
	assert_err(famfs_fmap_decode(b, 104, &d), -EINVAL, "extent 1: devindex 24");
	memcpy(b, g, sizeof(g));
	wr64(b + 80 + 8, 12 * MiB + 4096);
	assert_err(famfs_fmap_decode(b, 104, &d), -EINVAL, "extent 2: offset");
	memcpy(b, g, sizeof(g));
	wr64(b + 48, 3 * MiB);
	assert_err(famfs_fmap_decode(b, 104, &d), -EINVAL, "not 2 MiB-aligned");
	memcpy(b, g, sizeof(g));
	wr64(b + 16, 8 * MiB + 1);	/* extents total 8 MiB */
	assert_err(famfs_fmap_decode(b, 104, &d), -EINVAL, "extents cover 0x800000");
	wr64(b + 16, 8 * MiB);
	assert_int_equal(famfs_fmap_decode(b, 104, &d), 0);
}

static void test_decode_interleave_rules(void **state)
{
	struct famfs_fmap f, d;
	uint8_t b[FAMFS_FMAP_MSG_MAX], g[FAMFS_FMAP_MSG_MAX];
	const size_t n = 152;

	ileave_map(&f, 16 * MiB, 4, 2 * MiB, 100 * MiB, 16 * MiB, 4 * MiB);
	memset(g, 0, sizeof(g));
	assert_int_equal(famfs_fmap_encode(&f, g, sizeof(g)), n);

	memcpy(b, g, sizeof(g));
	assert_err(famfs_fmap_decode(b, 55, &d), -EINVAL, "truncated");
	assert_err(famfs_fmap_decode(b, n - 1, &d), -EINVAL, "truncated");
	wr32(b + 36, 1 * MiB);
	assert_err(famfs_fmap_decode(b, n, &d), -EINVAL, "chunk_size 0x100000");
	wr32(b + 36, 0);
	assert_err(famfs_fmap_decode(b, n, &d), -EINVAL, "chunk_size 0x0");
	wr32(b + 36, 4 * MiB);
	assert_int_equal(famfs_fmap_decode(b, n, &d), 0);

	memcpy(b, g, sizeof(g));
	wr64(b + 40, 0);
	assert_err(famfs_fmap_decode(b, n, &d), -EINVAL, "nbytes is 0");
	memcpy(b, g, sizeof(g));
	wr32(b + 32, 0);
	assert_err(famfs_fmap_decode(b, n, &d), -EINVAL, "nstrips 0");
	wr32(b + 32, 33);
	assert_err(famfs_fmap_decode(b, 32 + 24 + 33 * 24, &d), -EINVAL, "nstrips 33");
	assert_err(famfs_fmap_decode(b, n, &d), -EINVAL, "truncated");

	memcpy(b, g, sizeof(g));
	wr32(b + 56 + 2 * 24, 1);
	assert_int_equal(famfs_fmap_decode(b, n, &d), 0);
	assert_int_equal(d.strips[2].devindex, 1);
	wr32(b + 56 + 2 * 24, 0xffffffff);
	assert_err(famfs_fmap_decode(b, n, &d), -EINVAL, "strip 2: devindex 4294967295");
	memcpy(b, g, sizeof(g));
	wr64(b + 56 + 3 * 24 + 8, 148 * MiB + 512);
	assert_err(famfs_fmap_decode(b, n, &d), -EINVAL, "strip 3: offset");
	memcpy(b, g, sizeof(g));
	wr64(b + 56 + 16, 2 * MiB + 4096);
	assert_err(famfs_fmap_decode(b, n, &d), -EINVAL, "not 2 MiB-aligned");
	memcpy(b, g, sizeof(g));
	wr64(b + 16, 16 * MiB + 1);
	assert_err(famfs_fmap_decode(b, n, &d), -EINVAL, "less than file size");
}

/* ---- bounds ---- */

/* A raw interleaved reply at @b: @n extents, @size bytes; returns 32. */
static size_t ilv_hdr(uint8_t *b, uint32_t n, uint64_t size)
{
	memset(b, 0, FAMFS_FMAP_MSG_MAX);
	wr32(b + 4, FAMFS_EXT_INTERLEAVE);
	wr32(b + 8, n);
	wr64(b + 16, size);
	return 32;
}

/*
 * The map famfs_fmap_decode() would make of one interleaved extent of two
 * strips (@len[i] at @off[i]), built directly: for maps decode refuses.
 */
static void two_strips(struct famfs_fmap *f, uint64_t size, uint64_t chunk, uint64_t nbytes,
		       const uint64_t *off, const uint64_t *len)
{
	memset(f, 0, sizeof(*f));
	f->version = FAMFS_FMAP_VERSION;
	f->ext_type = FAMFS_EXT_INTERLEAVE;
	f->nextents = 1;
	f->file_size = size;
	f->dev_bitmap = 1;
	f->ie[0] = (struct famfs_fmap_iext){ 2, chunk, nbytes, 0 };
	f->nstrips_total = 2;
	for (int i = 0; i < 2; i++)
		f->strips[i] = (struct famfs_fmap_ext){ 0, off[i], len[i] };
}

/* An interleaved extent at @p with @ns strips of @len[i] at @off[i]. */
static size_t ilv_ext(uint8_t *p, uint64_t chunk, uint64_t nbytes, uint32_t ns,
		      const uint64_t *off, const uint64_t *len)
{
	wr32(p, ns);
	wr32(p + 4, (uint32_t)chunk);
	wr64(p + 8, nbytes);
	for (uint32_t i = 0; i < ns; i++) {
		wr64(p + 24 + 24 * i + 8, off[i]);
		wr64(p + 24 + 24 * i + 16, len[i]);
	}
	return 24 + 24 * (size_t)ns;
}

static void test_check_bounds(void **state)
{
	uint64_t dev[FAMFS_MAX_DAXDEVS] = { 4096 * MiB };
	const uint64_t off2[2] = { 1024 * MiB, 1040 * MiB }, len2[2] = { 6 * MiB, 2 * MiB };
	uint64_t len1[1] = { 2 * MiB };
	struct famfs_fmap f;
	uint8_t b[FAMFS_FMAP_MSG_MAX];
	size_t n, n0;

	(void)state;
	simple_map(&f, 7 * MiB);
	assert_int_equal(famfs_fmap_check_bounds(&f, dev), 0);
	dev[0] = 23 * MiB;
	assert_err(famfs_fmap_check_bounds(&f, dev), -EINVAL, "extent 1 [0x1400000, +0x400000)");
	dev[0] = 0;
	assert_err(famfs_fmap_check_bounds(&f, dev), -EINVAL, "outside device 0");
	dev[0] = 4096 * MiB;

	/* the layout famfs cp makes: whole chunks, equal strips */
	ileave_map(&f, 16 * MiB, 4, 2 * MiB, 100 * MiB, 16 * MiB, 4 * MiB);
	assert_int_equal(famfs_fmap_check_bounds(&f, dev), 0);
	ileave_map(&f, 17 * MiB, 4, 2 * MiB, 100 * MiB, 16 * MiB, 6 * MiB);
	assert_int_equal(famfs_fmap_check_bounds(&f, dev), 0);
	dev[0] = 148 * MiB + 2 * MiB;
	assert_err(famfs_fmap_check_bounds(&f, dev), -EINVAL, "strip 3");
	dev[0] = 4096 * MiB;

	/*
	 * V10 accepts this (strips add up to the size); chunk 3 is past strip
	 * 1. famfs_fmap_decode refuses it already; check_bounds, which the
	 * module runs after it, refuses the same map on its own too.
	 */
	n = ilv_hdr(b, 1, 8 * MiB);
	n += ilv_ext(b + n, 2 * MiB, 8 * MiB, 2, off2, len2);
	assert_err(famfs_fmap_decode(b, n, &f), -EINVAL, "strip 1 holds 1 chunks");
	two_strips(&f, 8 * MiB, 2 * MiB, 8 * MiB, off2, len2);
	assert_err(famfs_fmap_check_bounds(&f, dev), -EINVAL,
		   "chunk 3 needs 0x400000 bytes of strip 1, which has 0x200000");
	/* the same strips for a 5 MiB file: chunk 3 is never reached */
	wr64(b + 16, 5 * MiB);
	assert_int_equal(famfs_fmap_decode(b, n, &f), 0);
	assert_int_equal(famfs_fmap_check_bounds(&f, dev), 0);
	/* ... but a 6 MiB + 1 file reaches into it (page rounding) */
	wr64(b + 16, 6 * MiB + 1);
	assert_err(famfs_fmap_decode(b, n, &f), -EINVAL, "strip 1 holds 1 chunks");
	two_strips(&f, 6 * MiB + 1, 2 * MiB, 8 * MiB, off2, len2);
	assert_err(famfs_fmap_check_bounds(&f, dev), -EINVAL, "chunk 3 needs 0x201000");

	/*
	 * Two interleaved extents, the first holding 3 MiB of a 4 MiB chunk: a
	 * read resolved at 2 MiB runs to the end of that chunk, so its strip
	 * must hold the whole chunk.
	 */
	n = n0 = ilv_hdr(b, 2, 5 * MiB);
	n += ilv_ext(b + n, 4 * MiB, 3 * MiB, 1, &off2[0], len1);
	n += ilv_ext(b + n, 2 * MiB, 2 * MiB, 1, &off2[1], &len2[0]);
	assert_err(famfs_fmap_decode(b, n, &f), -EINVAL,
		   "interleaved extent 0: strip 0 length 0x200000 is not a multiple");
	two_strips(&f, 5 * MiB, 4 * MiB, 3 * MiB, off2, len2);
	f.nextents = 2;
	f.ie[0].nstrips = 1;
	f.strips[0].len = len1[0];
	f.ie[1] = (struct famfs_fmap_iext){ 1, 2 * MiB, 2 * MiB, 1 };
	f.strips[1].len = len2[0];
	assert_err(famfs_fmap_check_bounds(&f, dev), -EINVAL,
		   "interleaved extent 0: chunk 0 needs 0x400000 bytes of strip 0");
	len1[0] = 4 * MiB;
	(void)ilv_ext(b + n0, 4 * MiB, 3 * MiB, 1, &off2[0], len1);
	assert_int_equal(famfs_fmap_decode(b, n, &f), 0);
	assert_int_equal(famfs_fmap_check_bounds(&f, dev), 0);
}

/*
 * Beyond the kernel's rules: every chunk below the file size lies inside
 * its strip. The hostile map of issue 18: 2 MiB strips, 8 MiB chunks.
 */
static void test_decode_chunks_inside_strips(void **state)
{
	struct famfs_fmap f, d;
	struct famfs_iomap m;
	uint8_t b[FAMFS_FMAP_MSG_MAX];
	ssize_t n;

	/* 4 strips of 2 MiB add up to the 8 MiB file, but chunk 0 is 8 MiB. */
	ileave_map(&f, 8 * MiB, 4, 8 * MiB, 100 * MiB, 2 * MiB, 2 * MiB);
	n = famfs_fmap_encode(&f, b, sizeof(b));
	assert_int_equal(n, 152);
	assert_err(famfs_fmap_decode(b, (size_t)n, &d), -EINVAL,
		   "strip 0 length 0x200000 is not a multiple of the chunk size 0x800000");
	/* the resolvers never answer an address past the strip */
	assert_err(famfs_fmap_resolve(&f, 2 * MiB, 1, &m), -EIO, "past the end of its strip");
	assert_int_equal(m.length, 0);
	assert_int_equal(famfs_fmap_resolve(&f, 2 * MiB - 1, 8 * MiB, &m), 0);
	assert_int_equal(m.addr, 102 * MiB - 1);
	assert_int_equal(m.length, 1);		/* clipped to the strip */
	assert_err(famfs_fmap_walk(&f, collect_none, NULL), -EIO, "past the end of strip 0");

	/* Multiples of the chunk, but strip 1 too short for chunks 1 and 5. */
	ileave_map(&f, 24 * MiB, 4, 4 * MiB, 100 * MiB, 16 * MiB, 8 * MiB);
	f.strips[1].len = 4 * MiB;
	n = famfs_fmap_encode(&f, b, sizeof(b));
	assert_err(famfs_fmap_decode(b, (size_t)n, &d), -EINVAL,
		   "strip 1 holds 1 chunks of 0x400000, the file puts 2 there");
	/* ... fine when the file ends before chunk 5 */
	f.file_size = f.ie[0].nbytes = 20 * MiB;
	n = famfs_fmap_encode(&f, b, sizeof(b));
	assert_int_equal(famfs_fmap_decode(b, (size_t)n, &d), 0);
	/* and the round-up counts: 20 MiB + 1 needs chunk 5 */
	f.file_size = f.ie[0].nbytes = 20 * MiB + 1;
	n = famfs_fmap_encode(&f, b, sizeof(b));
	assert_err(famfs_fmap_decode(b, (size_t)n, &d), -EINVAL, "strip 1 holds 1 chunks");

	/* nbytes below the file size and nothing after: a hole inside EOF */
	ileave_map(&f, 16 * MiB, 4, 2 * MiB, 100 * MiB, 16 * MiB, 4 * MiB);
	f.ie[0].nbytes = 12 * MiB;
	n = famfs_fmap_encode(&f, b, sizeof(b));
	assert_err(famfs_fmap_decode(b, (size_t)n, &d), -EINVAL,
		   "interleaved extents hold 0xc00000 bytes (nbytes), file size is 0x1000000");

	/* nbytes below the file size: a second extent holds the rest. */
	two_iext_map(&f, 10 * MiB, 6 * MiB, 4 * MiB);
	f.strips[2].len = f.strips[3].len = 4 * MiB;
	n = famfs_fmap_encode(&f, b, sizeof(b));
	assert_int_equal(famfs_fmap_decode(b, (size_t)n, &d), 0);
	/* Extent 1's 6 MiB put its chunks 0 and 2 on its strip 0 (strips[2]). */
	f.strips[2].len = 2 * MiB;
	f.strips[3].len = 6 * MiB;	/* the same sum: no help */
	n = famfs_fmap_encode(&f, b, sizeof(b));
	assert_err(famfs_fmap_decode(b, (size_t)n, &d), -EINVAL,
		   "interleaved extent 1: strip 0 holds 1 chunks of 0x200000, the file puts 2");
}

/* ---- resolve ---- */

static void test_resolve_interleave_kernel_example(void **state)
{
	struct famfs_fmap f;
	struct famfs_iomap m;

	/* C = 2 MiB, N = 4, pos = 15 MiB -> chunk 7, stripe 1, strip 3, 3 MiB in. */
	ileave_map(&f, 32 * MiB, 4, 2 * MiB, 100 * MiB, 16 * MiB, 8 * MiB);
	assert_int_equal(famfs_fmap_resolve(&f, 15 * MiB, 4 * MiB, &m), 0);
	assert_int_equal(m.devindex, 0);
	assert_int_equal(m.addr, f.strips[3].offset + 3 * MiB);
	assert_int_equal(m.offset, 15 * MiB);
	assert_int_equal(m.length, 1 * MiB);	/* clipped to the chunk */
	assert_int_equal(famfs_fmap_resolve(&f, 15 * MiB, 4096, &m), 0);
	assert_int_equal(m.length, 4096);
	assert_int_equal(famfs_fmap_resolve(&f, 0, 8 * MiB, &m), 0);
	assert_int_equal(m.addr, 100 * MiB);
	assert_int_equal(m.length, 2 * MiB);
	assert_int_equal(famfs_fmap_resolve(&f, 32 * MiB - 1, 8, &m), 0);
	assert_int_equal(m.addr, 148 * MiB + 8 * MiB - 1);	/* chunk 15: strip 3, 3rd */
	assert_int_equal(m.length, 1);

	assert_err(famfs_fmap_resolve(&f, 32 * MiB, 1, &m), -EIO, "0x2000000");
	assert_int_equal(m.length, 0);

	/* E = min(nbytes, file_size) */
	f.ie[0].nbytes = 4 * MiB;
	assert_int_equal(famfs_fmap_resolve(&f, 4 * MiB - 1, 1, &m), 0);
	assert_int_equal(famfs_fmap_resolve(&f, 4 * MiB, 1, &m), -EIO);
	f.ie[0].nbytes = 0;
	assert_int_equal(famfs_fmap_resolve(&f, 0, 1, &m), -EIO);
	f.ie[0].nbytes = 32 * MiB;
	f.ie[0].chunk_size = 3 * MiB;
	assert_err(famfs_fmap_resolve(&f, 0, 1, &m), -EINVAL, "chunk_size");
	f.ie[0].chunk_size = 2 * MiB;
	f.strips[1].devindex = 24;
	assert_int_equal(famfs_fmap_resolve(&f, 2 * MiB, 1, &m), -EIO);
	assert_int_equal(famfs_fmap_resolve(&f, 4 * MiB, 1, &m), 0);
}

static void test_resolve_simple(void **state)
{
	struct famfs_fmap f;
	struct famfs_iomap m;

	simple_map(&f, 8 * MiB);
	assert_int_equal(famfs_fmap_resolve(&f, 0, 100, &m), 0);
	assert_int_equal(m.addr, 10 * MiB);
	assert_int_equal(m.length, 100);
	assert_int_equal(famfs_fmap_resolve(&f, 3 * MiB, 8 * MiB, &m), 0);
	assert_int_equal(m.addr, 21 * MiB);
	assert_int_equal(m.offset, 3 * MiB);
	assert_int_equal(m.length, 3 * MiB);	/* clipped to extent 1 */
	assert_int_equal(famfs_fmap_resolve(&f, 6 * MiB + 5, 8 * MiB, &m), 0);
	assert_int_equal(m.addr, 12 * MiB + 5);
	assert_int_equal(m.length, 2 * MiB - 5);
	assert_err(famfs_fmap_resolve(&f, 8 * MiB, 1, &m), -EIO, "no extent covers");
	assert_int_equal(m.length, 0);
	f.se[2].devindex = 24;
	assert_int_equal(famfs_fmap_resolve(&f, 7 * MiB, 1, &m), -EIO);
	f.se[2].devindex = 23;
	assert_int_equal(famfs_fmap_resolve(&f, 7 * MiB, 1, &m), 0);
	assert_int_equal(m.devindex, 23);
}

/* ---- walk ---- */

struct segs {
	int n;
	int stop_at;
	struct famfs_seg s[64];
};

static int collect_none(void *ctx, const struct famfs_seg *seg)
{
	(void)ctx;
	(void)seg;
	return 0;
}

static int collect(void *ctx, const struct famfs_seg *seg)
{
	struct segs *c = ctx;

	if (c->n < 64)
		c->s[c->n] = *seg;
	c->n++;
	return c->stop_at && c->n == c->stop_at ? 7 : 0;
}

/* Every PMD of every segment must agree with famfs_fmap_resolve(). */
static void cross_check(const struct famfs_fmap *f, const struct segs *c)
{
	struct famfs_iomap m;

	for (int i = 0; i < c->n; i++)
		for (uint64_t o = 0; o < c->s[i].len; o += 2 * MiB) {
			if (c->s[i].file_off + o >= f->file_size)
				break;
			assert_int_equal(famfs_fmap_resolve(f, c->s[i].file_off + o, 1, &m), 0);
			assert_int_equal(m.addr, c->s[i].dev_off + o);
		}
}

static void seg_eq(const struct famfs_seg *s, uint64_t foff, uint64_t doff, uint64_t len)
{
	assert_int_equal(s->file_off, foff);
	assert_int_equal(s->devindex, 0);
	assert_int_equal(s->dev_off, doff);
	assert_int_equal(s->len, len);
}

static void test_walk_simple(void **state)
{
	struct famfs_fmap f;
	struct segs c;

	/* extents 0 and 2 are adjacent on the device but not in the file */
	simple_map(&f, 8 * MiB);
	memset(&c, 0, sizeof(c));
	assert_int_equal(famfs_fmap_walk(&f, collect, &c), 3);
	seg_eq(&c.s[0], 0, 10 * MiB, 2 * MiB);
	seg_eq(&c.s[2], 6 * MiB, 12 * MiB, 2 * MiB);
	cross_check(&f, &c);

	/* two adjacent extents merge */
	f.se[1].offset = 12 * MiB;
	f.nextents = 2;
	f.file_size = 5 * MiB + 1;	/* odd size: walk to 6 MiB */
	memset(&c, 0, sizeof(c));
	assert_int_equal(famfs_fmap_walk(&f, collect, &c), 1);
	seg_eq(&c.s[0], 0, 10 * MiB, 6 * MiB);
	cross_check(&f, &c);

	f.file_size = 1;
	memset(&c, 0, sizeof(c));
	assert_int_equal(famfs_fmap_walk(&f, collect, &c), 1);
	seg_eq(&c.s[0], 0, 10 * MiB, 2 * MiB);
	f.file_size = 0;
	memset(&c, 0, sizeof(c));
	assert_int_equal(famfs_fmap_walk(&f, collect, &c), 0);
	assert_int_equal(c.n, 0);

	/* the callback can stop the walk */
	simple_map(&f, 8 * MiB);
	memset(&c, 0, sizeof(c));
	c.stop_at = 2;
	assert_int_equal(famfs_fmap_walk(&f, collect, &c), 7);
	assert_int_equal(c.n, 2);

	f.ext_type = 3;
	assert_err(famfs_fmap_walk(&f, collect, &c), -EINVAL, "ext_type 3");
}

static void test_walk_interleave(void **state)
{
	struct famfs_fmap f;
	struct segs c;

	/* strips back to back, one chunk each: one segment */
	ileave_map(&f, 8 * MiB, 4, 2 * MiB, 10 * MiB, 2 * MiB, 2 * MiB);
	memset(&c, 0, sizeof(c));
	assert_int_equal(famfs_fmap_walk(&f, collect, &c), 1);
	seg_eq(&c.s[0], 0, 10 * MiB, 8 * MiB);
	cross_check(&f, &c);

	/* one strip: always contiguous */
	ileave_map(&f, 7 * MiB, 1, 4 * MiB, 30 * MiB, 0, 8 * MiB);
	memset(&c, 0, sizeof(c));
	assert_int_equal(famfs_fmap_walk(&f, collect, &c), 1);
	seg_eq(&c.s[0], 0, 30 * MiB, 8 * MiB);
	cross_check(&f, &c);

	/* spread strips, odd size 7 MiB - 3: four 2 MiB chunks, none merge */
	ileave_map(&f, 7 * MiB - 3, 2, 2 * MiB, 100 * MiB, 16 * MiB, 4 * MiB);
	memset(&c, 0, sizeof(c));
	assert_int_equal(famfs_fmap_walk(&f, collect, &c), 4);
	seg_eq(&c.s[0], 0, 100 * MiB, 2 * MiB);
	seg_eq(&c.s[1], 2 * MiB, 116 * MiB, 2 * MiB);
	seg_eq(&c.s[2], 4 * MiB, 102 * MiB, 2 * MiB);
	seg_eq(&c.s[3], 6 * MiB, 118 * MiB, 2 * MiB);
	cross_check(&f, &c);

	/* 4 MiB chunks, 5 MiB file: the last chunk is cut at 6 MiB, not 8 MiB */
	ileave_map(&f, 5 * MiB, 2, 4 * MiB, 100 * MiB, 16 * MiB, 4 * MiB);
	memset(&c, 0, sizeof(c));
	assert_int_equal(famfs_fmap_walk(&f, collect, &c), 2);
	seg_eq(&c.s[0], 0, 100 * MiB, 4 * MiB);
	seg_eq(&c.s[1], 4 * MiB, 116 * MiB, 2 * MiB);
	cross_check(&f, &c);

	/* Kernel example layout: 16 chunks over 4 strips of 8 MiB. */
	ileave_map(&f, 32 * MiB, 4, 2 * MiB, 100 * MiB, 16 * MiB, 8 * MiB);
	memset(&c, 0, sizeof(c));
	assert_int_equal(famfs_fmap_walk(&f, collect, &c), 16);
	seg_eq(&c.s[7], 14 * MiB, 148 * MiB + 2 * MiB, 2 * MiB);
	cross_check(&f, &c);

	/*
	 * Never past a strip, and no hole: a short strip 1 (its chunks 5, 9
	 * and 13 have no place) fails the walk after the segments before
	 * chunk 5 (chunk 4's is still pending), none of them outside a strip.
	 */
	f.strips[1].len = 2 * MiB;
	memset(&c, 0, sizeof(c));
	assert_err(famfs_fmap_walk(&f, collect, &c), -EIO, "chunk 5 runs past the end of strip 1");
	assert_int_equal(c.n, 4);
	for (int i = 0; i < c.n; i++)
		assert_true(c.s[i].dev_off + c.s[i].len <= 118 * MiB ||
			    c.s[i].dev_off >= 124 * MiB);

	ileave_map(&f, 8 * MiB, 4, 2 * MiB, 10 * MiB, 2 * MiB, 2 * MiB);
	f.ie[0].chunk_size = 0;
	assert_err(famfs_fmap_walk(&f, collect, &c), -EINVAL, "chunk_size");
	f.ie[0].chunk_size = 2 * MiB;
	f.ie[0].nstrips = 0;
	assert_err(famfs_fmap_walk(&f, collect, &c), -EINVAL, "strips");
}

static void test_walk_multi_iext(void **state)
{
	struct famfs_fmap f;
	struct segs c;

	/* two interleaved extents of 4 MiB each, 2 strips of 2 MiB, contiguous */
	two_iext_map(&f, 7 * MiB, 4 * MiB, 2 * MiB);
	memset(&c, 0, sizeof(c));
	assert_int_equal(famfs_fmap_walk(&f, collect, &c), 1);
	seg_eq(&c.s[0], 0, 20 * MiB, 8 * MiB);
	cross_check(&f, &c);
}

/* ---- fuse_daxdev_out ---- */

static void test_daxdev_out(void **state)
{
	uint8_t b[FAMFS_DAXDEV_OUT_SIZE];
	char name[FAMFS_DAXDEV_NAME_MAX], big[400];
	uint16_t idx = 0;

	memset(b, 0xaa, sizeof(b));
	famfs_daxdev_out_encode(0x1234, "/dev/dax0.0", b);
	assert_int_equal(rd16(b), 0x1234);
	for (int i = 2; i < 24; i++)
		assert_int_equal(b[i], 0);
	assert_memory_equal(b + 24, "/dev/dax0.0", 12);
	for (int i = 24 + 11; i < 280; i++)
		assert_int_equal(b[i], 0);
	assert_int_equal(famfs_daxdev_out_decode(b, sizeof(b), &idx, name), 0);
	assert_int_equal(idx, 0x1234);
	assert_string_equal(name, "/dev/dax0.0");

	memset(big, 'n', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	famfs_daxdev_out_encode(1, big, b);
	assert_int_equal(b[24 + 254], 'n');
	assert_int_equal(b[24 + 255], 0);
	assert_int_equal(famfs_daxdev_out_decode(b, sizeof(b), &idx, name), 0);
	assert_int_equal(strlen(name), 255);

	assert_err(famfs_daxdev_out_decode(b, 279, &idx, name), -EINVAL, "279 bytes");
	assert_err(famfs_daxdev_out_decode(b, 281, &idx, name), -EINVAL, "281 bytes");
	b[24 + 255] = 'x';
	assert_err(famfs_daxdev_out_decode(b, sizeof(b), &idx, name), -EINVAL,
		   "not NUL-terminated");
	famfs_daxdev_out_encode(2, "", b);
	assert_err(famfs_daxdev_out_decode(b, sizeof(b), &idx, name), -EINVAL, "empty");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_from_omf),
		cmocka_unit_test(test_encode_simple),
		cmocka_unit_test(test_encode_interleave),
		cmocka_unit_test(test_decode_header_rules),
		cmocka_unit_test(test_decode_interleave_rules),
		cmocka_unit_test(test_check_bounds),
		cmocka_unit_test(test_decode_chunks_inside_strips),
		cmocka_unit_test(test_resolve_interleave_kernel_example),
		cmocka_unit_test(test_resolve_simple),
		cmocka_unit_test(test_walk_simple),
		cmocka_unit_test(test_walk_interleave),
		cmocka_unit_test(test_walk_multi_iext),
		cmocka_unit_test(test_daxdev_out),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
