// SPDX-License-Identifier: Apache-2.0
/*
 * test_alloccfg.c - unit tests of lib/alloccfg.c: upstream's .alloc.cfg
 * and its variants parse; hostile input is refused with a detail.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "famfs/alloccfg.h"
#include "famfs/err.h"

static int parse(const char *s, struct famfs_interleave_param *ip)
{
	famfs_errclear();
	return famfs_alloc_cfg_parse(s, strlen(s), ip);
}

static void test_upstream_form(void **state)
{
	struct famfs_interleave_param ip;

	assert_int_equal(parse("---\ninterleaved_alloc:\n  nbuckets: 8\n  nstrips: 6\n"
			       "  chunk_size: 2m\n...\n", &ip), 0);
	assert_int_equal(ip.nbuckets, 8);
	assert_int_equal(ip.nstrips, 6);
	assert_int_equal(ip.chunk_size, 2 << 20);
}

static void test_variants(void **state)
{
	struct famfs_interleave_param ip;

	/* no document markers, flow style, hex, G suffix, alias section name */
	assert_int_equal(parse("interleave: {nstrips: 0x4, chunk_size: 1G}\n", &ip), 0);
	assert_int_equal(ip.nstrips, 4);
	assert_int_equal(ip.chunk_size, 1ULL << 30);
	assert_int_equal(ip.nbuckets, 0);
	/* empty file, empty document, an empty section: no defaults */
	assert_int_equal(parse("", &ip), 0);
	assert_int_equal(ip.nbuckets + ip.nstrips + ip.chunk_size, 0);
	assert_int_equal(parse("---\n...\n", &ip), 0);
	assert_int_equal(parse("interleaved_alloc:\n", &ip), 0);
	assert_int_equal(ip.nbuckets + ip.nstrips + ip.chunk_size, 0);
	/* comments are fine */
	assert_int_equal(parse("# defaults\ninterleaved_alloc:\n  nbuckets: 2 # two\n", &ip), 0);
	assert_int_equal(ip.nbuckets, 2);
}

/* Each must be refused with -EINVAL, a detail naming .alloc.cfg, and ip zero. */
static void test_hostile(void **state)
{
	static const char *const bad[] = {
		"interleaved_alloc:\n  nbuckets: eight\n",		/* not a number */
		"interleaved_alloc:\n  nbuckets: -1\n",			/* negative */
		"interleaved_alloc:\n  nbuckets: 0\n",			/* out of range */
		"interleaved_alloc:\n  nbuckets: 65\n",			/* too many */
		"interleaved_alloc:\n  nstrips: 17\n",			/* too many strips */
		"interleaved_alloc:\n  chunk_size: 99999999999999999999\n",	/* overflow */
		"interleaved_alloc:\n  chunk_size: 17179869184g\n",	/* overflows u64 */
		"interleaved_alloc:\n  chunk_size: 8g\n",		/* past the wire's u32 */
		"interleaved_alloc:\n  nbuckets: 2\n  nbuckets: 3\n",	/* twice */
		"interleaved_alloc:\n  nbucket: 2\n",			/* typo */
		"interleaved_alloc:\n  nbuckets: [1, 2]\n",		/* not a scalar */
		"interleaved_alloc:\n  ? [a]\n  : 1\n",			/* complex key */
		"interleaved_alloc: 8\n",				/* not a mapping */
		"interleaved_alloc:\n  - nbuckets: 2\n",		/* a sequence */
		"other:\n  nbuckets: 2\n",				/* unknown section */
		"interleaved_alloc: {}\ninterleave: {}\n",		/* two sections */
		"- 1\n- 2\n",						/* not a mapping */
		"just text\n",						/* a scalar */
		"interleaved_alloc:\n\tnbuckets: 2\n",			/* a tab */
		"interleaved_alloc: {nbuckets: 2\n",			/* unterminated */
		"a: &x [*x]\n",						/* alias loop */
		"interleaved_alloc: {}\n---\ninterleaved_alloc: {}\n",	/* two documents */
		"\xff\xfe\x00garbage",					/* binary */
	};
	struct famfs_interleave_param ip;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t len = i == sizeof(bad) / sizeof(bad[0]) - 1 ? 10 : strlen(bad[i]);

		famfs_errclear();
		memset(&ip, 0xa5, sizeof(ip));
		if (famfs_alloc_cfg_parse(bad[i], len, &ip) != -EINVAL)
			fail_msg("accepted: %s", bad[i]);
		assert_non_null(strstr(famfs_errmsg(), ".alloc.cfg"));
		assert_int_equal(ip.nbuckets + ip.nstrips + ip.chunk_size, 0);
	}
}

static void test_size_limit(void **state)
{
	struct famfs_interleave_param ip;
	size_t len = 5000;
	char *big = malloc(len + 1);

	assert_non_null(big);
	memset(big, '#', len);
	big[len] = '\0';
	assert_int_equal(parse(big, &ip), -EINVAL);
	/* deep nesting inside the limit is refused, not followed */
	memset(big, '[', 4000);
	big[4000] = '\0';
	assert_int_equal(parse(big, &ip), -EINVAL);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_upstream_form),
		cmocka_unit_test(test_variants),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_size_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
