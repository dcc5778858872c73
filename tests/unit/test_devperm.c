// SPDX-License-Identifier: Apache-2.0
/*
 * test_devperm.c - unit tests of lib/devperm.c: private, world-readable,
 * world-writable and missing device files.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "famfs/devperm.h"
#include "famfs/err.h"

static char path[64];

static int setup(void **state)
{
	int fd;

	snprintf(path, sizeof(path), "/dev/shm/famfs-devperm-%d", (int)getpid());
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int teardown(void **state)
{
	unlink(path);
	return 0;
}

static void test_private_is_ok(void **state)
{
	char msg[256] = "junk";

	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(famfs_dev_check_perms(path, msg, sizeof(msg)), FAMFS_DEVPERM_OK);
	assert_string_equal(msg, "");
	assert_int_equal(chmod(path, 0660), 0);
	assert_int_equal(famfs_dev_check_perms(path, NULL, 0), FAMFS_DEVPERM_OK);
}

static void test_world_readable_warns(void **state)
{
	char msg[256];

	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(famfs_dev_check_perms(path, msg, sizeof(msg)), FAMFS_DEVPERM_WARN);
	assert_non_null(strstr(msg, "world-readable (mode 0644)"));
	assert_non_null(strstr(msg, path));
	assert_null(strstr(msg, "writable"));
}

static void test_world_writable_warns(void **state)
{
	char msg[256];

	assert_int_equal(chmod(path, 0602), 0);
	assert_int_equal(famfs_dev_check_perms(path, msg, sizeof(msg)), FAMFS_DEVPERM_WARN);
	assert_non_null(strstr(msg, "world-writable (mode 0602)"));
	assert_int_equal(chmod(path, 0666), 0);
	assert_int_equal(famfs_dev_check_perms(path, msg, sizeof(msg)), FAMFS_DEVPERM_WARN);
	assert_non_null(strstr(msg, "world-readable and world-writable"));
	assert_non_null(strstr(msg, "read and overwrite"));
	/* A short buffer is cut, never overrun. */
	assert_int_equal(famfs_dev_check_perms(path, msg, 8), FAMFS_DEVPERM_WARN);
	assert_int_equal(strlen(msg), 7);
}

static void test_missing_device(void **state)
{
	famfs_errclear();
	assert_int_equal(famfs_dev_check_perms("/nonexistent/famfs-dev", NULL, 0), -ENOENT);
	assert_non_null(strstr(famfs_errmsg(), "/nonexistent/famfs-dev"));
	assert_int_equal(famfs_dev_check_perms(NULL, NULL, 0), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_private_is_ok),
		cmocka_unit_test(test_world_readable_warns),
		cmocka_unit_test(test_world_writable_warns),
		cmocka_unit_test(test_missing_device),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
