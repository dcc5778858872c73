// SPDX-License-Identifier: Apache-2.0
/*
 * err.c - the per-thread failure detail behind famfs_errmsg().
 */
#include <stdarg.h>
#include <stdio.h>

#include "famfs/err.h"

static __thread char famfs_errbuf[512];

const char *famfs_errmsg(void)
{
	return famfs_errbuf;
}

void famfs_errclear(void)
{
	famfs_errbuf[0] = '\0';
}

int famfs_err(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(famfs_errbuf, sizeof(famfs_errbuf), fmt, ap);
	va_end(ap);
	return err;
}
