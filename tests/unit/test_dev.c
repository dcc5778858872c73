// SPDX-License-Identifier: Apache-2.0
/*
 * test_dev.c - device sizing and mapping rules, flush/invalidate: which
 * instructions they use, and that famfs_memcpy_flush copies exactly. (That
 * they really write back is what the flush audit build checks:
 * tests/audit/test_audit.c.)
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>
#include <cpuid.h>

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

/*
 * The CPU's best instructions, from CPUID leaf 7 EBX: clwb (bit 24) to
 * write back, clflushopt (bit 23) to invalidate, serialising clflush only
 * when neither exists.
 */
static void test_cache_insns(void **state)
{
	unsigned int a = 0, b = 0, c = 0, d = 0;
	const char *fl = "clflush", *inv = "clflush";

	if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
		if (b & (1u << 23))
			fl = inv = "clflushopt";
		if (b & (1u << 24))
			fl = "clwb";
	}
	assert_string_equal(famfs_cache_flush_insn(), fl);
	assert_string_equal(famfs_cache_invalidate_insn(), inv);
	assert_int_equal(famfs_cache_check(), 0);
	print_message("flush: %s, invalidate: %s\n", fl, inv);
}

/* Every length and alignment around the non-temporal path's edges. */
static void test_memcpy_flush(void **state)
{
	static uint8_t src[8192 + 64], dst[8192 + 128], want[8192 + 128];
	static const size_t lens[] = { 0, 1, 63, 64, 65, 255, 256, 257, 1000, 4096, 8191 };
	size_t i, off, n;

	for (i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i * 7 + 3);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		for (off = 0; off < 128; off += 9) {
			n = lens[i];
			memset(dst, 0xa5, sizeof(dst));
			memset(want, 0xa5, sizeof(want));
			memcpy(want + off, src + off / 3, n);
			famfs_memcpy_flush(dst + off, src + off / 3, n);
			assert_memory_equal(dst, want, sizeof(dst));
		}
	}
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
		cmocka_unit_test(test_cache_insns),
		cmocka_unit_test(test_memcpy_flush),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
