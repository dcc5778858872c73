// SPDX-License-Identifier: Apache-2.0
/*
 * test_cache_generic.c - lib/cache.c built as for an architecture without
 * CPU cache operations (FAMFS_CACHE_FORCE_GENERIC): famfs must refuse to
 * open a device there, with a message that says why, and a flush or
 * invalidate that is reached anyway must kill the process, never return as
 * if the lines had been written back.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "famfs/err.h"
#include "../logfs_util.h"

static void test_check_refuses(void **state)
{
	assert_int_equal(famfs_cache_check(), -EOPNOTSUPP);
	assert_non_null(strstr(famfs_errmsg(), "no CPU cache write back or invalidate"));
	assert_string_equal(famfs_cache_flush_insn(), "none");
	assert_string_equal(famfs_cache_invalidate_insn(), "none");
}

static void test_dev_open_refuses(void **state)
{
	char *path = tu_image(64 * MIB);
	struct famfs_dev *dev = (void *)1;

	assert_int_equal(famfs_dev_open(path, true, &dev), -EOPNOTSUPP);
	assert_null(dev);
	assert_non_null(strstr(famfs_errmsg(), "only x86 is implemented"));
	assert_int_equal(famfs_dev_open(path, false, &dev), -EOPNOTSUPP);
	tu_unlink(path);
}

/* @what(buf) in a child: it must die of SIGABRT. */
static void expect_abort(int what)
{
	static char buf[128];
	int st;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		if (what == 0)
			famfs_flush(buf, sizeof(buf));
		else if (what == 1)
			famfs_invalidate(buf, sizeof(buf));
		else
			famfs_memcpy_flush(buf, buf + 64, 64);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGABRT);
}

static void test_ops_die(void **state)
{
	expect_abort(0);
	expect_abort(1);
	expect_abort(2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_refuses),
		cmocka_unit_test(test_dev_open_refuses),
		cmocka_unit_test(test_ops_die),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
