/* SPDX-License-Identifier: Apache-2.0 */
/*
 * err_assert.h - assert_err() for the unit tests: a library call returns
 * the expected negative errno and leaves a detail message (famfs/err.h)
 * that names the problem. Include after <cmocka.h>.
 */
#ifndef ERR_ASSERT_H
#define ERR_ASSERT_H

#include <string.h>

#include "famfs/err.h"

/* @expr returns @err, and famfs_errmsg() then contains @needle. */
#define assert_err(expr, err, needle) do {					\
	famfs_errclear();							\
	assert_int_equal((expr), (err));					\
	if (!strstr(famfs_errmsg(), (needle)))					\
		fail_msg("detail \"%s\" lacks \"%s\"", famfs_errmsg(), (needle));\
} while (0)

#endif
