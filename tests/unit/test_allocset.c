// SPDX-License-Identifier: Apache-2.0
/*
 * test_allocset.c - allocation over several devices (famfs/allocset.h):
 * simple files on the device with the most free space and the fallback
 * when it has no room, interleaved files spread one strip per device
 * (-B still splitting each device), devices that are not usable, marks
 * that span devices, and that one device behaves exactly as before.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "famfs/allocset.h"
#include "famfs/err.h"

#define MiB (1024ULL * 1024)
#define GiB (1024 * MiB)

/* A set of devices of the given sizes: 10 MiB reserved on 0, 2 MiB on the others. */
static void mkset(struct famfs_allocset *s, const uint64_t *sizes, unsigned int n)
{
	memset(s, 0, sizeof(*s));
	for (unsigned int i = 0; i < n; i++)
		assert_int_equal(famfs_allocset_add(s, sizes[i], 2 * MiB,
						    i ? 2 * MiB : 10 * MiB), 0);
}

static void test_simple_most_free(void **state)
{
	const uint64_t sizes[3] = { 4 * GiB, 8 * GiB, 8 * GiB };
	struct famfs_allocset s;
	struct famfs_omf_fmap f;

	(void)state;
	mkset(&s, sizes, 3);
	/* devices 1 and 2 tie on free space: the lower index wins */
	assert_int_equal(famfs_allocset_file(&s, 5 * MiB, NULL, 0, &f), 0);
	assert_int_equal(f.ext_type, FAMFS_EXT_SIMPLE);
	assert_int_equal(f.nextents, 1);
	assert_int_equal(f.se[0].devindex, 1);
	assert_int_equal(f.se[0].offset, 2 * MiB);
	assert_int_equal(f.se[0].len, 6 * MiB);
	/* now device 2 has the most */
	assert_int_equal(famfs_allocset_file(&s, 1, NULL, 0, &f), 0);
	assert_int_equal(f.se[0].devindex, 2);
	assert_int_equal(famfs_allocset_free_bytes(&s), 20 * GiB - 14 * MiB - 8 * MiB);
	assert_int_equal(famfs_allocset_size(&s), 20 * GiB);
	famfs_allocset_fini(&s);
}

static void test_simple_fallback(void **state)
{
	const uint64_t sizes[2] = { 1 * GiB, 512 * MiB };
	struct famfs_allocset s;
	struct famfs_omf_fmap f, hole;

	(void)state;
	mkset(&s, sizes, 2);
	/* device 0: 600 MiB free in two runs of 300; device 1: 510 MiB in one */
	assert_int_equal(famfs_alloc_file(&s.dev[0], 300 * MiB, NULL, 0, &f), 0);
	assert_int_equal(famfs_alloc_file(&s.dev[0], 300 * MiB, NULL, 0, &hole), 0);
	assert_int_equal(famfs_alloc_file(&s.dev[0], 114 * MiB, NULL, 0, &f), 0);
	famfs_alloc_unmark(&s.dev[0], hole.se[0].offset, hole.se[0].len);
	assert_int_equal(famfs_alloc_free_bytes(&s.dev[0]), 600 * MiB);
	/* device 0 has the most free space but no run of 400 MiB: device 1 */
	assert_int_equal(famfs_allocset_file(&s, 400 * MiB, NULL, 0, &f), 0);
	assert_int_equal(f.se[0].devindex, 1);
	/* device 0 again has the most, and a run of 250 */
	assert_int_equal(famfs_allocset_file(&s, 250 * MiB, NULL, 0, &f), 0);
	assert_int_equal(f.se[0].devindex, 0);
	/* no device has a run of 320 MiB: ENOSPC, naming each device */
	assert_int_equal(famfs_allocset_file(&s, 320 * MiB, NULL, 0, &f), -ENOSPC);
	assert_non_null(strstr(famfs_errmsg(), "no device has a free run of"));
	assert_non_null(strstr(famfs_errmsg(), "device 0: 367001600 free, longest run "
				"314572800"));
	assert_non_null(strstr(famfs_errmsg(), "device 1:"));
	famfs_allocset_fini(&s);
}

static void test_unusable(void **state)
{
	const uint64_t sizes[2] = { 1 * GiB, 8 * GiB };
	struct famfs_allocset s;
	struct famfs_omf_fmap f;
	struct famfs_interleave_param ip = { .nstrips = 2 };

	(void)state;
	mkset(&s, sizes, 2);
	famfs_allocset_usable(&s, 1, false);	/* not found on this host */
	assert_int_equal(famfs_allocset_file(&s, 64 * MiB, NULL, 0, &f), 0);
	assert_int_equal(f.se[0].devindex, 0);
	/* interleave on the one usable device: as on a one-device file system */
	ip.nbuckets = 1;
	ip.nstrips = 1;
	assert_int_equal(famfs_allocset_file(&s, 64 * MiB, &ip, 1, &f), 0);
	assert_int_equal(f.strips[0].devindex, 0);
	famfs_allocset_usable(&s, 0, false);
	assert_int_equal(famfs_allocset_file(&s, 64 * MiB, NULL, 0, &f), -ENOSPC);
	assert_non_null(strstr(famfs_errmsg(), "usable"));
	famfs_allocset_fini(&s);
}

static void test_interleave_one_per_device(void **state)
{
	const uint64_t sizes[3] = { 4 * GiB, 4 * GiB, 4 * GiB };
	struct famfs_interleave_param ip = { .nstrips = 2, .chunk_size = 2 * MiB };
	struct famfs_allocset s;
	struct famfs_omf_fmap f;

	(void)state;
	mkset(&s, sizes, 3);
	famfs_allocset_interleave_fill(&s, &ip);
	assert_int_equal(ip.nbuckets, 1);
	assert_int_equal(famfs_allocset_interleave_check(&s, &ip), 0);
	/* devices 1 and 2 have the most free space (device 0 holds the log) */
	assert_int_equal(famfs_allocset_file(&s, 64 * MiB, &ip, 5, &f), 0);
	assert_int_equal(f.ext_type, FAMFS_EXT_INTERLEAVE);
	assert_int_equal(f.nstrips, 2);
	assert_int_equal(f.strips[0].devindex, 1);
	assert_int_equal(f.strips[1].devindex, 2);
	assert_int_equal(f.strips[0].len, 32 * MiB);
	/* three strips over three devices: one each, the emptiest first */
	ip.nstrips = 3;
	assert_int_equal(famfs_allocset_file(&s, 96 * MiB, &ip, 5, &f), 0);
	assert_int_equal(f.strips[0].devindex, 0);
	assert_true(f.strips[1].devindex != f.strips[2].devindex);
	assert_true(f.strips[1].devindex && f.strips[2].devindex);
	famfs_allocset_fini(&s);
}

static void test_interleave_buckets_within_device(void **state)
{
	const uint64_t sizes[2] = { 4 * GiB, 4 * GiB };
	struct famfs_interleave_param ip = { .nstrips = 4, .nbuckets = 2 };
	struct famfs_allocset s;
	struct famfs_omf_fmap f;
	uint64_t bucket = 2 * GiB;

	(void)state;
	mkset(&s, sizes, 2);
	/* 4 strips over 2 devices: 2 per device, in distinct buckets of it */
	assert_int_equal(famfs_allocset_file(&s, 64 * MiB, &ip, 9, &f), 0);
	assert_int_equal(f.nstrips, 4);
	assert_int_equal(f.strips[0].devindex, f.strips[2].devindex);
	assert_int_equal(f.strips[1].devindex, f.strips[3].devindex);
	assert_true(f.strips[0].devindex != f.strips[1].devindex);
	assert_true(f.strips[0].offset / bucket != f.strips[2].offset / bucket);
	assert_true(f.strips[1].offset / bucket != f.strips[3].offset / bucket);
	/* 6 strips over 2 devices would put 3 in a device of 2 buckets */
	ip.nstrips = 6;
	ip.chunk_size = 2 * MiB;
	assert_int_equal(famfs_allocset_interleave_check(&s, &ip), -EINVAL);
	assert_non_null(strstr(famfs_errmsg(), "put 3 on one device, more than its 2 buckets"));
	/* defaults: nbuckets = GiB of the device, nstrips = buckets x devices */
	memset(&ip, 0, sizeof(ip));
	ip.chunk_size = 4 * MiB;
	famfs_allocset_interleave_fill(&s, &ip);
	assert_int_equal(ip.nbuckets, 4);
	assert_int_equal(ip.nstrips, 8);
	famfs_allocset_fini(&s);
}

static void test_interleave_full_device(void **state)
{
	const uint64_t sizes[3] = { 2 * GiB, 2 * GiB, 2 * GiB };
	struct famfs_interleave_param ip = { .nstrips = 2, .nbuckets = 1 };
	struct famfs_allocset s;
	struct famfs_omf_fmap f, big;

	(void)state;
	mkset(&s, sizes, 3);
	/* device 2: the most free space (2042 MiB) in runs of 800, 800 and 442 MiB */
	assert_int_equal(famfs_alloc_file(&s.dev[1], 1 * GiB, NULL, 0, &big), 0);
	assert_int_equal(famfs_alloc_file(&s.dev[0], 1 * GiB, NULL, 0, &big), 0);
	assert_int_equal(famfs_alloc_file(&s.dev[2], 800 * MiB, NULL, 0, &big), 0);
	assert_int_equal(famfs_alloc_file(&s.dev[2], 2 * MiB, NULL, 0, &f), 0);
	assert_int_equal(famfs_alloc_file(&s.dev[2], 800 * MiB, NULL, 0, &f), 0);
	assert_int_equal(famfs_alloc_file(&s.dev[2], 2 * MiB, NULL, 0, &f), 0);
	famfs_alloc_unmark(&s.dev[2], big.se[0].offset, big.se[0].len);
	famfs_alloc_unmark(&s.dev[2], f.se[0].offset - 800 * MiB, 800 * MiB);
	assert_int_equal(famfs_alloc_free_bytes(&s.dev[2]), 2042 * MiB);
	/* device 2 has the most free, but no run of 900 MiB: dealt again over 0 and 1 */
	assert_int_equal(famfs_allocset_file(&s, 1800 * MiB, &ip, 3, &f), 0);
	assert_int_equal(f.strips[0].len, 900 * MiB);
	assert_true(f.strips[0].devindex != 2 && f.strips[1].devindex != 2);
	assert_true(f.strips[0].devindex != f.strips[1].devindex);
	/* and nothing is left marked by the attempt on device 2 */
	assert_int_equal(famfs_alloc_free_bytes(&s.dev[2]), 2042 * MiB);
	/* nothing fits any more: ENOSPC */
	assert_int_equal(famfs_allocset_file(&s, 1800 * MiB, &ip, 3, &f), -ENOSPC);
	famfs_allocset_fini(&s);
}

static void test_mark_across_devices(void **state)
{
	const uint64_t sizes[2] = { 4 * GiB, 2 * GiB };
	struct famfs_allocset s;
	struct famfs_omf_fmap f;
	uint64_t coll = 0, inuse = 0;

	(void)state;
	mkset(&s, sizes, 2);
	memset(&f, 0, sizeof(f));
	f.ext_type = FAMFS_EXT_SIMPLE;
	f.nextents = 2;
	f.se[0] = (struct famfs_omf_extent){ 0, 10 * MiB, 4 * MiB };
	f.se[1] = (struct famfs_omf_extent){ 1, 10 * MiB, 4 * MiB };
	assert_int_equal(famfs_allocset_mark(&s, &f, &coll), 0);
	assert_int_equal(coll, 0);
	assert_int_equal(s.dev[0].used, 5 + 2);
	assert_int_equal(s.dev[1].used, 1 + 2);
	assert_int_equal(famfs_allocset_inuse(&s, &f, &inuse), 0);
	assert_int_equal(inuse, 4);
	/* the same offset on device 1 only: collides there, not on device 0 */
	f.nextents = 1;
	f.se[0] = (struct famfs_omf_extent){ 1, 12 * MiB, 2 * MiB };
	assert_int_equal(famfs_allocset_mark(&s, &f, &coll), 0);
	assert_int_equal(coll, 1);
	/* a device that is not in the set: refused, nothing marked */
	f.nextents = 2;
	f.se[0] = (struct famfs_omf_extent){ 0, 100 * MiB, 2 * MiB };
	f.se[1] = (struct famfs_omf_extent){ 2, 100 * MiB, 2 * MiB };
	assert_int_equal(famfs_allocset_mark(&s, &f, &coll), -ERANGE);
	assert_int_equal(s.dev[0].used, 5 + 2);
	/* past the end of device 1 (but inside device 0): refused, nothing marked */
	f.se[1] = (struct famfs_omf_extent){ 1, 3 * GiB, 2 * MiB };
	assert_int_equal(famfs_allocset_mark(&s, &f, &coll), -ERANGE);
	assert_int_equal(s.dev[0].used, 5 + 2);
	famfs_allocset_fini(&s);
}

/* One device: the set gives exactly what the one-device allocator gives. */
static void test_one_device_unchanged(void **state)
{
	const uint64_t sizes[1] = { 16 * GiB };
	struct famfs_interleave_param ip = { .nbuckets = 8, .nstrips = 4, .chunk_size = 2 * MiB };
	struct famfs_allocset s;
	struct famfs_alloc a;
	struct famfs_omf_fmap f, g;

	(void)state;
	mkset(&s, sizes, 1);
	assert_int_equal(famfs_alloc_init(&a, 16 * GiB, 2 * MiB, 10 * MiB), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(famfs_allocset_file(&s, 32 * MiB, &ip, 77 + i, &f), 0);
		assert_int_equal(famfs_alloc_file(&a, 32 * MiB, &ip, 77 + i, &g), 0);
		assert_memory_equal(&f, &g, sizeof(f));
		assert_int_equal(famfs_allocset_file(&s, 3 * MiB, NULL, 0, &f), 0);
		assert_int_equal(famfs_alloc_file(&a, 3 * MiB, NULL, 0, &g), 0);
		assert_memory_equal(&f, &g, sizeof(f));
	}
	/* and the same defaults */
	memset(&ip, 0, sizeof(ip));
	ip.chunk_size = 2 * MiB;
	famfs_allocset_interleave_fill(&s, &ip);
	assert_int_equal(ip.nbuckets, 16);
	assert_int_equal(ip.nstrips, 16);
	famfs_alloc_fini(&a);
	famfs_allocset_fini(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple_most_free),
		cmocka_unit_test(test_simple_fallback),
		cmocka_unit_test(test_unusable),
		cmocka_unit_test(test_interleave_one_per_device),
		cmocka_unit_test(test_interleave_buckets_within_device),
		cmocka_unit_test(test_interleave_full_device),
		cmocka_unit_test(test_mark_across_devices),
		cmocka_unit_test(test_one_device_unchanged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
