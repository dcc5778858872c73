// SPDX-License-Identifier: Apache-2.0
/*
 * sigbus.c - the opt-in SIGBUS guard (see famfs/sigbus.h): one process-wide
 * SA_SIGINFO handler that jumps back into the innermost guard of the
 * faulting thread, and chains to the previous disposition otherwise.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>

#include "famfs/err.h"
#include "famfs/sigbus.h"

struct sigbus_guard {
	sigjmp_buf jb;
	struct sigbus_guard *prev;
	void *addr;			/* si_addr of the fault */
};

/* initial-exec: the handler must not trigger lazy TLS allocation. */
static __thread struct sigbus_guard *cur_guard __attribute__((tls_model("initial-exec")));
static struct sigaction old_act;
static pthread_mutex_t install_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long caught;

static void sigbus_handler(int sig, siginfo_t *info, void *uctx)
{
	struct sigbus_guard *g = cur_guard;

	if (g) {
		g->addr = info ? info->si_addr : NULL;
		__atomic_add_fetch(&caught, 1, __ATOMIC_RELAXED);
		siglongjmp(g->jb, 1);
	}
	/* Not ours: behave as if we had never been installed. */
	if (old_act.sa_flags & SA_SIGINFO) {
		old_act.sa_sigaction(sig, info, uctx);
		return;
	}
	if (old_act.sa_handler != SIG_DFL && old_act.sa_handler != SIG_IGN) {
		old_act.sa_handler(sig);
		return;
	}
	/*
	 * Default (or ignored, which is undefined for a fault): restore the
	 * default action and return; the access faults again and the kernel
	 * kills the process with SIGBUS, as it would have without us.
	 */
	signal(SIGBUS, SIG_DFL);
}

/*
 * Install our handler unless it is already the current one. Checked on
 * every guarded call, because a program (or a test framework) may have set
 * its own SIGBUS handler since; that one becomes the handler we chain to.
 */
int famfs_sigbus_install(void)
{
	struct sigaction sa, cur;
	int rc = 0;

	pthread_mutex_lock(&install_lock);
	if (sigaction(SIGBUS, NULL, &cur) < 0) {
		rc = -errno;
	} else if (!(cur.sa_flags & SA_SIGINFO) || cur.sa_sigaction != sigbus_handler) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = sigbus_handler;
		sa.sa_flags = SA_SIGINFO | SA_NODEFER;
		sigemptyset(&sa.sa_mask);
		if (sigaction(SIGBUS, &sa, &old_act) < 0)
			rc = -errno;
	}
	pthread_mutex_unlock(&install_lock);
	if (rc)
		return famfs_err(rc, "sigaction(SIGBUS): %s", strerror(-rc));
	return 0;
}

int famfs_sigbus_try(int (*fn)(void *arg), void *arg)
{
	struct sigbus_guard g;
	volatile int rc;

	rc = famfs_sigbus_install();
	if (rc)
		return rc;
	memset(&g, 0, sizeof(g));
	g.prev = cur_guard;
	/* savemask = 1: the jump restores the mask, so SIGBUS is not left blocked. */
	if (sigsetjmp(g.jb, 1)) {
		cur_guard = g.prev;
		return famfs_err(-EIO, "SIGBUS at %p: the mapped device memory is gone "
				 "(device removed, truncated or poisoned)", g.addr);
	}
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	cur_guard = &g;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	rc = fn(arg);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	cur_guard = g.prev;
	return rc;
}

struct copy_args {
	void *dst;
	const void *src;
	size_t len;
};

static int sigbus_copy(void *arg)
{
	struct copy_args *c = arg;

	memcpy(c->dst, c->src, c->len);
	return 0;
}

int famfs_sigbus_memcpy(void *dst, const void *src, size_t len)
{
	struct copy_args c = { .dst = dst, .src = src, .len = len };

	return famfs_sigbus_try(sigbus_copy, &c);
}

unsigned long famfs_sigbus_caught(void)
{
	return __atomic_load_n(&caught, __ATOMIC_RELAXED);
}
