// SPDX-License-Identifier: Apache-2.0
/*
 * test_zero.c - unit tests of lib/zero.c: which device ranges of a file
 * map lie past a file offset (simple and interleaved), and that zeroing
 * writes zeros exactly there.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "famfs/zero.h"

#define MIB (1ULL << 20)

struct ranges {
	unsigned int n;
	uint64_t off[16], len[16];
};

static int collect(void *ctx, uint64_t devindex, uint64_t off, uint64_t len)
{
	struct ranges *r = ctx;

	assert_int_equal(devindex, 0);
	assert_true(r->n < 16);
	r->off[r->n] = off;
	r->len[r->n++] = len;
	return 0;
}

static void test_simple_tail(void **state)
{
	struct famfs_omf_fmap f;
	struct ranges r;

	memset(&f, 0, sizeof(f));
	f.ext_type = FAMFS_EXT_SIMPLE;
	f.nextents = 2;
	f.se[0] = (struct famfs_omf_extent){ 0, 10 * MIB, 4 * MIB };
	f.se[1] = (struct famfs_omf_extent){ 0, 40 * MIB, 2 * MIB };

	memset(&r, 0, sizeof(r));
	assert_int_equal(famfs_fmap_tail(&f, 0, collect, &r), 0);
	assert_int_equal(r.n, 2);
	assert_true(r.off[0] == 10 * MIB && r.len[0] == 4 * MIB);
	assert_true(r.off[1] == 40 * MIB && r.len[1] == 2 * MIB);

	memset(&r, 0, sizeof(r));
	assert_int_equal(famfs_fmap_tail(&f, 5 * MIB + 3, collect, &r), 0);
	assert_int_equal(r.n, 1);
	assert_true(r.off[0] == 41 * MIB + 3 && r.len[0] == MIB - 3);

	memset(&r, 0, sizeof(r));
	assert_int_equal(famfs_fmap_tail(&f, 4 * MIB, collect, &r), 0);
	assert_int_equal(r.n, 1);
	assert_true(r.off[0] == 40 * MIB && r.len[0] == 2 * MIB);

	memset(&r, 0, sizeof(r));
	assert_int_equal(famfs_fmap_tail(&f, 6 * MIB, collect, &r), 0);
	assert_int_equal(r.n, 0);
}

/* 3 strips of 6 MiB, 2 MiB chunks: file chunk k is in strip k % 3. */
static void test_interleaved_tail(void **state)
{
	struct famfs_omf_fmap f;
	struct ranges r;
	unsigned int i;

	memset(&f, 0, sizeof(f));
	f.ext_type = FAMFS_EXT_INTERLEAVE;
	f.nextents = 1;
	f.nstrips = 3;
	f.chunk_size = 2 * MIB;
	for (i = 0; i < 3; i++)
		f.strips[i] = (struct famfs_omf_extent){ 0, (100 + 10 * i) * MIB, 6 * MIB };

	/* 5 MiB: chunks 0 and 1 whole (strips 0, 1), 1 MiB of chunk 2 (strip 2) */
	memset(&r, 0, sizeof(r));
	assert_int_equal(famfs_fmap_tail(&f, 5 * MIB, collect, &r), 0);
	assert_int_equal(r.n, 3);
	assert_true(r.off[0] == 102 * MIB && r.len[0] == 4 * MIB);
	assert_true(r.off[1] == 112 * MIB && r.len[1] == 4 * MIB);
	assert_true(r.off[2] == 121 * MIB && r.len[2] == 5 * MIB);

	/* 8 MiB + 1: chunks 0-3 whole (strip 0 twice), 1 byte of chunk 4 (strip 1) */
	memset(&r, 0, sizeof(r));
	assert_int_equal(famfs_fmap_tail(&f, 8 * MIB + 1, collect, &r), 0);
	assert_int_equal(r.n, 3);
	assert_true(r.off[0] == 104 * MIB && r.len[0] == 2 * MIB);
	assert_true(r.off[1] == 112 * MIB + 1 && r.len[1] == 4 * MIB - 1);
	assert_true(r.off[2] == 122 * MIB && r.len[2] == 4 * MIB);

	memset(&r, 0, sizeof(r));
	assert_int_equal(famfs_fmap_tail(&f, 0, collect, &r), 0);
	assert_int_equal(r.n, 3);
	for (i = 0; i < 3; i++)
		assert_true(r.len[i] == 6 * MIB);
}

/* Every alignment of start and length: zeros exactly in the range. */
static void test_zero_mem(void **state)
{
	uint8_t *buf = malloc(4096);
	size_t off, len, i;

	assert_non_null(buf);
	for (off = 0; off < 40; off += 3) {
		for (len = 0; len < 300; len += 7) {
			memset(buf, 0xa5, 4096);
			famfs_zero_mem(buf + off, len);
			for (i = 0; i < 4096; i++)
				assert_int_equal(buf[i], i >= off && i < off + len ? 0 : 0xa5);
		}
	}
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple_tail),
		cmocka_unit_test(test_interleaved_tail),
		cmocka_unit_test(test_zero_mem),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
