// SPDX-License-Identifier: Apache-2.0
/*
 * test_meta.c - unit tests of lib/meta.c: which paths and inodes are the
 * .meta files, their ranges, and what creating may not touch.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "famfs/meta.h"
#include "famfs/ns.h"

static void test_kinds(void **state)
{
	assert_int_equal(famfs_meta_kind(".meta"), FAMFS_META_DIR);
	assert_int_equal(famfs_meta_kind(".meta/.superblock"), FAMFS_META_SB);
	assert_int_equal(famfs_meta_kind(".meta/.log"), FAMFS_META_LOG);
	assert_int_equal(famfs_meta_kind(".meta/.alloc.cfg"), FAMFS_META_ALLOC_CFG);
	assert_int_equal(famfs_meta_kind(".meta/.logx"), FAMFS_META_NONE);
	assert_int_equal(famfs_meta_kind(".metadata"), FAMFS_META_NONE);
	assert_int_equal(famfs_meta_kind("a/.meta"), FAMFS_META_NONE);
	assert_int_equal(famfs_meta_kind(""), FAMFS_META_NONE);
	for (int k = FAMFS_META_DIR; k < FAMFS_META_NKINDS; k++)
		assert_int_equal(famfs_meta_kind_of_ino(FAMFS_META_INO + k), k);
	assert_int_equal(famfs_meta_kind_of_ino(FAMFS_META_INO), FAMFS_META_NONE);
	assert_int_equal(famfs_meta_kind_of_ino(FAMFS_ROOT_INO), FAMFS_META_NONE);
	assert_int_equal(famfs_meta_kind_of_ino(FAMFS_INO_IMPLICIT + 3), FAMFS_META_NONE);
	assert_int_equal(famfs_meta_kind_of_ino(FAMFS_META_INO + FAMFS_META_NKINDS),
			 FAMFS_META_NONE);
	/* the log names every file: only root reads it */
	assert_int_equal(famfs_meta_mode(FAMFS_META_LOG), 0400);
	assert_int_equal(famfs_meta_mode(FAMFS_META_SB), 0444);
}

static void test_ranges(void **state)
{
	struct famfs_omf_sb sb = { .log_offset = 0x200000, .log_len = 0x1000000 };
	uint64_t off, len;

	assert_int_equal(famfs_meta_extent(FAMFS_META_SB, &sb, &off, &len), 0);
	assert_int_equal(off, 0);
	assert_int_equal(len, FAMFS_SB_REGION);
	assert_int_equal(famfs_meta_extent(FAMFS_META_LOG, &sb, &off, &len), 0);
	assert_int_equal(off, 0x200000);
	assert_int_equal(len, 0x1000000);
	assert_int_equal(famfs_meta_extent(FAMFS_META_DIR, &sb, &off, &len), -EINVAL);
	assert_int_equal(famfs_meta_extent(FAMFS_META_ALLOC_CFG, &sb, &off, &len), -EINVAL);
}

static void test_reserved(void **state)
{
	assert_true(famfs_meta_reserved(".meta"));
	assert_true(famfs_meta_reserved(".meta/x"));
	assert_true(famfs_meta_reserved(".meta/.log"));
	assert_false(famfs_meta_reserved(".metax"));
	assert_false(famfs_meta_reserved("d/.meta"));
	assert_false(famfs_meta_reserved("meta"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_reserved),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
