// SPDX-License-Identifier: Apache-2.0
/*
 * test_path.c - unit tests of lib/path.c: every rule of famfs_path_check()
 * (with the 79/80-byte boundary), normalisation and splitting.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "famfs/err.h"
#include "famfs/path.h"
#include "err_assert.h"

static void fill(char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		s[i] = (char)('a' + i % 26);
	s[n] = '\0';
}

static void test_check_ok(void **state)
{
	assert_int_equal(famfs_path_check("a"), 0);
	assert_int_equal(famfs_path_check("dir/file.txt"), 0);
	assert_int_equal(famfs_path_check("a/.hidden/..x/..."), 0);
	assert_int_equal(famfs_path_check("sp ace/ü"), 0);
}

static void test_check_rules(void **state)
{
	assert_err(famfs_path_check(""), -EINVAL, "path is empty");
	assert_err(famfs_path_check(NULL), -EINVAL, "path is empty");
	assert_err(famfs_path_check("/a"), -EINVAL, "path is absolute");
	assert_err(famfs_path_check("a/"), -EINVAL, "trailing '/'");
	assert_err(famfs_path_check("a//b"), -EINVAL, "empty component");
	assert_err(famfs_path_check("."), -EINVAL, "'.' component");
	assert_err(famfs_path_check("a/./b"), -EINVAL, "'.' component");
	assert_err(famfs_path_check("a/."), -EINVAL, "'.' component");
	assert_err(famfs_path_check(".."), -EINVAL, "'..' component");
	assert_err(famfs_path_check("a/../b"), -EINVAL, "'..' component");
	assert_err(famfs_path_check("a/.."), -EINVAL, "'..' component");
	assert_err(famfs_path_check("a\nb"), -EINVAL, "control character (0x0a) at byte 1");
	assert_err(famfs_path_check("ab\x7f"), -EINVAL, "control character (0x7f)");
	assert_err(famfs_path_check("\x01"), -EINVAL, "control character");
}

static void test_check_length(void **state)
{
	char s[200];

	fill(s, 79);
	assert_int_equal(famfs_path_check(s), 0);
	fill(s, 80);
	assert_err(famfs_path_check(s), -ENAMETOOLONG, "path is 80 bytes, max 79");
	fill(s, 95);
	assert_err(famfs_path_check(s), -ENAMETOOLONG, "path is 95 bytes, max 79");
	fill(s, 79);
	s[39] = '/';
	assert_int_equal(famfs_path_check(s), 0);
}

static void norm_ok(const char *in, const char *want)
{
	char out[FAMFS_OMF_PATH_MAX];

	memset(out, 'z', sizeof(out));
	assert_int_equal(famfs_path_normalize(in, out), 0);
	assert_string_equal(out, want);
}

static void test_normalize(void **state)
{
	char out[FAMFS_OMF_PATH_MAX], in[300];

	norm_ok("a//b/", "a/b");
	norm_ok("./a", "a");
	norm_ok(".", "");
	norm_ok("", "");
	norm_ok("./", "");
	norm_ok("a/./b/.", "a/b");
	norm_ok("a///b//c", "a/b/c");
	norm_ok(".hidden/..x", ".hidden/..x");
	assert_err(famfs_path_normalize("/a", out), -EINVAL, "path is absolute");
	assert_err(famfs_path_normalize("a/../b", out), -EINVAL, "'..' component");
	assert_err(famfs_path_normalize("..", out), -EINVAL, "'..' component");
	assert_err(famfs_path_normalize(NULL, out), -EINVAL, "empty");
	assert_err(famfs_path_normalize("a/b\tc", out), -EINVAL, "control character");
	assert_string_equal(out, "");

	/* 79 bytes after normalisation pass even if the input is longer */
	strcpy(in, ".//");
	fill(in + 3, 79);
	strcat(in, "//.");
	fill(out, 79);
	norm_ok(in, out);
	fill(in, 80);
	assert_err(famfs_path_normalize(in, out), -ENAMETOOLONG, "path is 80 bytes, max 79");
	fill(in, 40);
	strcat(in, "//");
	fill(in + 42, 40);
	assert_err(famfs_path_normalize(in, out), -ENAMETOOLONG, "path is 81 bytes, max 79");
	fill(in, 200);
	assert_err(famfs_path_normalize(in, out), -ENAMETOOLONG, "path is 200 bytes");
}

static void test_split(void **state)
{
	char parent[FAMFS_OMF_PATH_MAX];
	const char *p = "a/b/c";

	assert_ptr_equal(famfs_path_split(p, parent), p + 4);
	assert_string_equal(parent, "a/b");
	assert_string_equal(famfs_path_split("file", parent), "file");
	assert_string_equal(parent, "");
	assert_string_equal(famfs_path_split("d/f", parent), "f");
	assert_string_equal(parent, "d");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_ok),
		cmocka_unit_test(test_check_rules),
		cmocka_unit_test(test_check_length),
		cmocka_unit_test(test_normalize),
		cmocka_unit_test(test_split),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
