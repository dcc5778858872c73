// SPDX-License-Identifier: Apache-2.0
/*
 * test_dev.c - device sizing and mapping rules, flush/invalidate.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "famfs/err.h"
#include "logfs_util.h"

static void expect_open_fails(uint64_t size, int err, const char *needle)
{
	char *path = tu_image(size);
	struct famfs_dev *dev = (void *)1;

	assert_int_equal(famfs_dev_open(path, true, &dev), err);
	assert_null(dev);
	assert_non_null(strstr(famfs_errmsg(), needle));
	tu_unlink(path);
}

static void test_size_below_min(void **state)
{
	expect_open_fails(63 * MIB, -EINVAL, "below 64 MiB");
	assert_non_null(strstr(famfs_errmsg(), "truncate -s"));
	expect_open_fails(10 * MIB, -EINVAL, "size 10485760 is below 64 MiB");
	expect_open_fails(0, -EINVAL, "below 64 MiB");
}

static void test_size_not_multiple(void **state)
{
	expect_open_fails(65 * MIB, -EINVAL, "multiple of 2 MiB");
	expect_open_fails(64 * MIB + 4096, -EINVAL, "multiple of 2 MiB");
}

static void test_not_a_device(void **state)
{
	char dir[] = "/dev/shm/famfs-unit-dir-XXXXXX";
	struct famfs_dev *dev;
	uint64_t size;

	assert_non_null(mkdtemp(dir));
	assert_int_equal(famfs_dev_size(dir, &size, NULL), -ENODEV);
	assert_non_null(strstr(famfs_errmsg(), "not a devdax device or regular file"));
	assert_int_equal(famfs_dev_open(dir, false, &dev), -ENODEV);
	rmdir(dir);

	/* A char device without a sysfs size file is not a devdax device. */
	assert_int_equal(famfs_dev_size("/dev/null", &size, NULL), -ENODEV);
	assert_non_null(strstr(famfs_errmsg(), "not a devdax device"));
	assert_non_null(strstr(famfs_errmsg(), "/sys/dev/char/1:3/size"));
	assert_int_equal(famfs_dev_open("/dev/null", false, &dev), -ENODEV);

	assert_int_equal(famfs_dev_size("/dev/shm/no/such/famfs", &size, NULL), -ENOENT);
	assert_non_null(strstr(famfs_errmsg(), "/dev/shm/no/such/famfs"));
}

static void test_open_map(void **state)
{
	char *path = tu_image(128 * MIB);
	struct famfs_dev *dev, *ro;
	uint8_t buf[16];
	uint64_t size;
	bool dax = true;
	int fd;

	assert_int_equal(famfs_dev_size(path, &size, &dax), 0);
	assert_int_equal(size, 128 * MIB);
	assert_false(dax);

	assert_int_equal(famfs_dev_open(path, true, &dev), 0);
	assert_int_equal(dev->size, 128 * MIB);
	assert_true(dev->writable);
	assert_false(dev->is_daxdev);
	assert_string_equal(dev->path, path);
	assert_int_equal((uintptr_t)dev->base % (2 * MIB), 0);

	/* Stores through the mapping reach the file; flush must not disturb them. */
	memcpy(dev->base + 100 * MIB + 3, "famfs-dev-test!", 16);
	famfs_flush(dev->base + 100 * MIB + 3, 16);
	famfs_flush(dev->base, 0);
	dev->base[128 * MIB - 1] = 0x5a;
	famfs_flush(dev->base + 128 * MIB - 1, 1);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, buf, 16, 100 * MIB + 3), 16);
	assert_memory_equal(buf, "famfs-dev-test!", 16);
	close(fd);

	assert_int_equal(famfs_dev_open(path, false, &ro), 0);
	assert_false(ro->writable);
	assert_int_equal((uintptr_t)ro->base % (2 * MIB), 0);
	famfs_invalidate(ro->base + 100 * MIB, 64 * 3);
	assert_memory_equal(ro->base + 100 * MIB + 3, "famfs-dev-test!", 16);
	assert_int_equal(ro->base[128 * MIB - 1], 0x5a);
	famfs_invalidate(ro->base, 0);
	famfs_dev_close(ro);
	famfs_dev_close(dev);
	famfs_dev_close(NULL);
	tu_unlink(path);
}

static void test_open_missing(void **state)
{
	struct famfs_dev *dev;

	assert_int_equal(famfs_dev_open("/dev/shm/famfs-unit-missing", true, &dev), -ENOENT);
	assert_null(dev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_size_below_min),
		cmocka_unit_test(test_size_not_multiple),
		cmocka_unit_test(test_not_a_device),
		cmocka_unit_test(test_open_map),
		cmocka_unit_test(test_open_missing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
