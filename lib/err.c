// SPDX-License-Identifier: Apache-2.0
/*
 * err.c - the per-thread failure detail behind famfs_errmsg().
 */
#include <stdarg.h>
#include <stdio.h>

#include "famfs/err.h"

/*
 * initial-exec: a static TLS slot, no __tls_get_addr call. libfamfs also
 * lives inside the preload shim, where every intercepted open touches this
 * buffer; the dynamic TLS path there is slower and, under ASan, crashes in
 * the sanitizer's own DTLS bookkeeping when threads start and fork.
 */
static __thread char famfs_errbuf[512] __attribute__((tls_model("initial-exec")));

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
