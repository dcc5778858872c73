// SPDX-License-Identifier: Apache-2.0
/*
 * sigbus.c - the one SIGBUS guard of famfs (see famfs/sigbus.h): a
 * process-wide SA_SIGINFO handler that jumps back into the innermost guard
 * of the faulting thread, and chains to the previous disposition otherwise;
 * famfs_sigbus_try() for callers, and the guarded device copies the library
 * itself uses for the log (famfs_sigbus_read/write/load64/store64), which
 * guard only the copy, never code that locks or allocates.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>

#include "famfs/dev.h"
#include "famfs/err.h"
#include "famfs/devmem.h"
#include "famfs/sigbus.h"

struct sigbus_guard {
	sigjmp_buf jb;
	struct sigbus_guard *prev;
	void *addr;			/* si_addr of the fault */
};

/* initial-exec: the handler must not trigger lazy TLS allocation. */
static __thread struct sigbus_guard *cur_guard __attribute__((tls_model("initial-exec")));
static __thread unsigned long thread_caught __attribute__((tls_model("initial-exec")));
static struct sigaction old_act;
static pthread_mutex_t install_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long caught;
static int installed;			/* atomic: famfs_sigbus_install ran once */

static void sigbus_handler(int sig, siginfo_t *info, void *uctx)
{
	struct sigbus_guard *g = cur_guard;

	if (g) {
		g->addr = info ? info->si_addr : NULL;
		__atomic_add_fetch(&caught, 1, __ATOMIC_RELAXED);
		thread_caught++;
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
	if (!rc)
		__atomic_store_n(&installed, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&install_lock);
	if (rc)
		return famfs_err(rc, "sigaction(SIGBUS): %s", strerror(-rc));
	return 0;
}

/*
 * The guard: run @fn(@arg) with this thread's SIGBUS jumping back here.
 * @savemask restores the signal mask on the jump. The handler runs with
 * SA_NODEFER and an empty sa_mask, so the mask at the fault is the mask
 * here and the library's own copies skip that system call; callers of
 * famfs_sigbus_try get it, as its function may change the mask.
 */
static int guard_run(int (*fn)(void *arg), void *arg, int savemask)
{
	struct sigbus_guard g;
	volatile int rc;

	memset(&g, 0, sizeof(g));
	g.prev = cur_guard;
	if (sigsetjmp(g.jb, savemask)) {
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

int famfs_sigbus_try(int (*fn)(void *arg), void *arg)
{
	int rc = famfs_sigbus_install();

	if (rc)
		return rc;
	return guard_run(fn, arg, 1);
}

/* One device access: a copy (read or write) or an aligned 8-byte word. */
struct dev_access {
	void *dst;
	const void *src;
	size_t len;
	uint64_t word;
};

static int sigbus_copy(void *arg)
{
	struct dev_access *c = arg;

	memcpy(c->dst, c->src, c->len);
	return 0;
}

int famfs_sigbus_memcpy(void *dst, const void *src, size_t len)
{
	struct dev_access c = { .dst = dst, .src = src, .len = len };

	return famfs_sigbus_try(sigbus_copy, &c);
}

/*
 * Run a device access under the guard once the process opted in (called
 * famfs_sigbus_install, as famfsd does); plainly otherwise, so that a
 * program that never asked keeps its own SIGBUS handling.
 */
static int dev_guarded(int (*fn)(void *arg), struct dev_access *c)
{
	if (!__atomic_load_n(&installed, __ATOMIC_ACQUIRE))
		return fn(c);
	return guard_run(fn, c, 0);
}

static int dev_read(void *arg)
{
	struct dev_access *c = arg;

	famfs_invalidate(c->src, c->len);
	memcpy(c->dst, c->src, c->len);
	return 0;
}

int famfs_sigbus_read(void *dst, const void *dev, size_t len)
{
	struct dev_access c = { .dst = dst, .src = dev, .len = len };

	return dev_guarded(dev_read, &c);
}

int famfs_sigbus_fetch(void *dst, const void *dev, size_t len)
{
	struct dev_access c = { .dst = dst, .src = dev, .len = len };

	return famfs_sigbus_try(dev_read, &c);
}

static int dev_write(void *arg)
{
	struct dev_access *c = arg;

	famfs_memcpy_flush(c->dst, c->src, c->len);
	return 0;
}

int famfs_sigbus_write(void *dev, const void *src, size_t len)
{
	struct dev_access c = { .dst = dev, .src = src, .len = len };

	return dev_guarded(dev_write, &c);
}

static int dev_flush(void *arg)
{
	struct dev_access *c = arg;

	famfs_flush(c->dst, c->len);
	return 0;
}

int famfs_sigbus_flush(const void *dev, size_t len)
{
	struct dev_access c = { .dst = (void *)dev, .len = len };

	return dev_guarded(dev_flush, &c);
}

static int dev_invalidate(void *arg)
{
	struct dev_access *c = arg;

	famfs_invalidate(c->dst, c->len);
	return 0;
}

int famfs_sigbus_invalidate(const void *dev, size_t len)
{
	struct dev_access c = { .dst = (void *)dev, .len = len };

	return dev_guarded(dev_invalidate, &c);
}

static int dev_load64(void *arg)
{
	struct dev_access *c = arg;

	famfs_invalidate(c->src, 8);
	c->word = __atomic_load_n((const uint64_t *)c->src, __ATOMIC_ACQUIRE);
	return 0;
}

int famfs_sigbus_load64(const uint64_t *dev, uint64_t *out)
{
	struct dev_access c = { .src = dev };
	int rc = dev_guarded(dev_load64, &c);

	*out = rc ? 0 : c.word;
	return rc;
}

static int dev_store64(void *arg)
{
	struct dev_access *c = arg;

	__atomic_store_n((uint64_t *)c->dst, c->word, __ATOMIC_RELEASE);
	return 0;
}

int famfs_sigbus_store64(uint64_t *dev, uint64_t v)
{
	struct dev_access c = { .dst = dev, .word = v };

	return dev_guarded(dev_store64, &c);
}

unsigned long famfs_sigbus_caught(void)
{
	return __atomic_load_n(&caught, __ATOMIC_RELAXED);
}

unsigned long famfs_sigbus_caught_here(void)
{
	return thread_caught;
}
