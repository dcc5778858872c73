// SPDX-License-Identifier: Apache-2.0
/*
 * test_crc32.c - unit tests of lib/crc32.c: famfs_crc32() is zlib's crc32()
 * (the CRC every famfs superblock, log header and entry carries) on every
 * length up to 4 KiB at every start alignment, on random buffers, the
 * standard check value, and when continued with famfs_crc32_update().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <zlib.h>

#include "famfs/omf.h"

static uint32_t zcrc(const uint8_t *p, size_t len)
{
	return (uint32_t)crc32(crc32(0L, Z_NULL, 0), p, (uInt)len);
}

static void test_check_value(void **state)
{
	(void)state;
	assert_int_equal(famfs_crc32("123456789", 9), 0xcbf43926u);
	assert_int_equal(famfs_crc32("", 0), 0);
}

static void test_lengths_and_alignments(void **state)
{
	static uint8_t buf[4096 + 16];
	size_t len, a, i;

	(void)state;
	srandom(15);
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)random();
	for (a = 0; a < 8; a++)
		for (len = 0; len <= 4096; len++)
			if (famfs_crc32(buf + a, len) != zcrc(buf + a, len))
				fail_msg("alignment %zu, length %zu differs from zlib", a, len);
}

static void test_random_buffers(void **state)
{
	uint8_t *buf = malloc(1 << 20);
	size_t len;
	int k;

	(void)state;
	assert_non_null(buf);
	srandom(7);
	for (k = 0; k < 64; k++) {
		len = (size_t)random() % (1 << 20);
		for (size_t i = 0; i < len; i++)
			buf[i] = (uint8_t)random();
		assert_int_equal(famfs_crc32(buf, len), zcrc(buf, len));
	}
	free(buf);
}

static void test_update_chains(void **state)
{
	uint8_t buf[1000];
	size_t cut;

	(void)state;
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	for (cut = 0; cut <= sizeof(buf); cut += 37)
		assert_int_equal(famfs_crc32_update(famfs_crc32(buf, cut), buf + cut,
						    sizeof(buf) - cut),
				 zcrc(buf, sizeof(buf)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_value),
		cmocka_unit_test(test_lengths_and_alignments),
		cmocka_unit_test(test_random_buffers),
		cmocka_unit_test(test_update_chains),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
