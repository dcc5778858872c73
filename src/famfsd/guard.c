// SPDX-License-Identifier: Apache-2.0
/*
 * guard.c - SIGBUS safety for every touch of device memory.
 *
 * A device backed by a file that shrinks under us (or memory that goes
 * away) raises SIGBUS on access. famfsd runs each access inside
 * famfsd_guarded(): a thread-local sigjmp_buf catches the signal, the
 * device is marked failed (vanished) and the caller gets -EIO. A SIGBUS
 * outside a guard is a real bug and kills the process as usual.
 *
 * Assumes the guarded function holds no lock and allocates nothing that a
 * jump out of it would leak (callers take locks around the guard).
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>

#include "famfsd.h"

static __thread sigjmp_buf *guard_jb;

static void sigbus_handler(int sig, siginfo_t *si, void *uctx)
{
	struct sigaction sa;

	if (guard_jb)
		siglongjmp(*guard_jb, 1);
	/* Not ours: fall back to the default action, which re-faults and dies. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigaction(sig, &sa, NULL);
}

int famfsd_guard_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sigbus_handler;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGBUS, &sa, NULL) ? -errno : 0;
}

/*
 * Run @fn(@ctx). Returns 0, or -EIO after a SIGBUS inside it, in which case
 * device @devidx is marked vanished (its later accesses fail at once).
 */
int famfsd_guarded(unsigned int devidx, void (*fn)(void *ctx), void *ctx)
{
	sigjmp_buf jb;
	sigjmp_buf *volatile prev = guard_jb;

	if (sigsetjmp(jb, 1)) {
		guard_jb = prev;
		famfsd_dax_fail(devidx, FAMFSD_DAX_VANISHED);
		return -EIO;
	}
	guard_jb = &jb;
	fn(ctx);
	guard_jb = prev;
	return 0;
}
