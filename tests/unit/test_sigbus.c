// SPDX-License-Identifier: Apache-2.0
/*
 * test_sigbus.c - unit tests of lib/sigbus.c: a mapping of a /dev/shm file
 * that is truncated under it faults with SIGBUS; inside famfs_sigbus_try()
 * that becomes -EIO with a detail, outside it the previous disposition
 * still applies (a handler installed before ours runs; the default kills).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "famfs/err.h"
#include "famfs/devmem.h"
#include "famfs/sigbus.h"

#define PG 4096

struct shm_map {
	char path[64];
	int fd;
	volatile uint8_t *p;
};

/* Map two pages of a fresh /dev/shm file, then cut the file to one page. */
static void shm_map_truncated(struct shm_map *m)
{
	snprintf(m->path, sizeof(m->path), "/dev/shm/famfs-sigbus-%d", (int)getpid());
	m->fd = open(m->path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(m->fd >= 0);
	assert_int_equal(ftruncate(m->fd, 2 * PG), 0);
	m->p = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd, 0);
	assert_true(m->p != MAP_FAILED);
	m->p[0] = 1;
	m->p[PG] = 2;
	assert_int_equal(ftruncate(m->fd, PG), 0);	/* page 1 is gone now */
}

static void shm_unmap(struct shm_map *m)
{
	munmap((void *)m->p, 2 * PG);
	close(m->fd);
	unlink(m->path);
}

static int touch_gone(void *arg)
{
	volatile uint8_t *p = arg;

	return p[PG] + 100;	/* faults */
}

static int touch_ok(void *arg)
{
	volatile uint8_t *p = arg;

	return p[0] + 100;
}

static void test_guard_turns_sigbus_into_eio(void **state)
{
	struct shm_map m;
	unsigned long before = famfs_sigbus_caught();
	uint8_t buf[16];

	shm_map_truncated(&m);
	famfs_errclear();
	assert_int_equal(famfs_sigbus_try(touch_gone, (void *)m.p), -EIO);
	assert_non_null(strstr(famfs_errmsg(), "SIGBUS"));
	assert_int_equal(famfs_sigbus_caught(), before + 1);
	/* The thread is usable again and the mask was restored: fault twice. */
	assert_int_equal(famfs_sigbus_try(touch_gone, (void *)m.p), -EIO);
	assert_int_equal(famfs_sigbus_caught(), before + 2);
	/* The live page reads normally; fn's return value passes through. */
	assert_int_equal(famfs_sigbus_try(touch_ok, (void *)m.p), 101);
	assert_int_equal(famfs_sigbus_memcpy(buf, (const void *)m.p, 8), 0);
	assert_int_equal(buf[0], 1);
	assert_int_equal(famfs_sigbus_memcpy(buf, (const void *)(m.p + PG), 8), -EIO);
	assert_int_equal(famfs_sigbus_memcpy((void *)(m.p + PG), buf, 8), -EIO);
	assert_int_equal(famfs_sigbus_memcpy(buf, (const void *)m.p, 0), 0);
	shm_unmap(&m);
}

struct nest {
	volatile uint8_t *p;
	int inner_rc;
};

static int nested_outer(void *arg)
{
	struct nest *n = arg;

	n->inner_rc = famfs_sigbus_try(touch_gone, (void *)n->p);
	/* Back in the outer guard: it is still armed. */
	return touch_gone((void *)n->p);
}

static void test_guards_nest(void **state)
{
	struct shm_map m;
	struct nest n;

	shm_map_truncated(&m);
	n.p = m.p;
	n.inner_rc = 0;
	assert_int_equal(famfs_sigbus_try(nested_outer, &n), -EIO);
	assert_int_equal(n.inner_rc, -EIO);
	shm_unmap(&m);
}

static sigjmp_buf prev_jb;
static volatile int prev_called;

static void prev_handler(int sig)
{
	prev_called = sig;
	siglongjmp(prev_jb, 1);
}

/*
 * In a child (the handler is installed once per process): a handler set
 * before ours still gets SIGBUS outside a guard, and the guard still works.
 */
static void test_outside_guard_chains_to_previous_handler(void **state)
{
	pid_t pid;
	int st;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct shm_map m;

		signal(SIGBUS, prev_handler);
		shm_map_truncated(&m);
		if (famfs_sigbus_try(touch_gone, (void *)m.p) != -EIO)
			_exit(10);
		if (sigsetjmp(prev_jb, 1) == 0) {
			(void)m.p[PG];
			_exit(11);	/* no fault at all */
		}
		if (prev_called != SIGBUS)
			_exit(12);
		shm_unmap(&m);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* With the default disposition, an unguarded fault still kills with SIGBUS. */
static void test_outside_guard_default_kills(void **state)
{
	pid_t pid;
	int st;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct shm_map m;

		signal(SIGBUS, SIG_DFL);
		shm_map_truncated(&m);
		if (famfs_sigbus_try(touch_gone, (void *)m.p) != -EIO)
			_exit(10);
		unlink(m.path);
		(void)m.p[PG];
		_exit(11);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGBUS);
}

/*
 * The library's device accesses: plain before the process opts in (tested
 * in a child, which dies of the fault), guarded after, with the fault
 * counted for the calling thread only.
 */
static void test_device_accesses(void **state)
{
	struct shm_map m;
	uint8_t buf[16] = { 0 };
	uint64_t w = 7;
	unsigned long here;
	pid_t pid;
	int st;

	shm_map_truncated(&m);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* A fresh process that never opted in: the fault kills it. */
		signal(SIGBUS, SIG_DFL);
		(void)famfs_sigbus_read(buf, (const void *)(m.p + PG), 8);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (famfs_sigbus_caught() == 0) {
		/* Nothing in this process installed the guard yet. */
		assert_true(WIFSIGNALED(st));
		assert_int_equal(WTERMSIG(st), SIGBUS);
	}
	assert_int_equal(famfs_sigbus_install(), 0);
	here = famfs_sigbus_caught_here();
	assert_int_equal(famfs_sigbus_read(buf, (const void *)m.p, 8), 0);
	assert_int_equal(buf[0], 1);
	assert_int_equal(famfs_sigbus_read(buf, (const void *)(m.p + PG - 4), 8), -EIO);
	assert_int_equal(famfs_sigbus_write((void *)(m.p + PG), buf, 8), -EIO);
	assert_int_equal(famfs_sigbus_write((void *)m.p, "\x09", 1), 0);
	assert_int_equal(m.p[0], 9);
	assert_int_equal(famfs_sigbus_load64((const uint64_t *)(m.p + PG), &w), -EIO);
	assert_int_equal(w, 0);
	assert_int_equal(famfs_sigbus_store64((uint64_t *)(m.p + PG), 5), -EIO);
	assert_int_equal(famfs_sigbus_store64((uint64_t *)m.p, 0x0102030405060708ULL), 0);
	assert_int_equal(famfs_sigbus_load64((const uint64_t *)m.p, &w), 0);
	assert_true(w == 0x0102030405060708ULL);
	assert_int_equal(famfs_sigbus_caught_here(), here + 4);
	shm_unmap(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_guard_turns_sigbus_into_eio),
		cmocka_unit_test(test_guards_nest),
		cmocka_unit_test(test_outside_guard_chains_to_previous_handler),
		cmocka_unit_test(test_outside_guard_default_kills),
		cmocka_unit_test(test_device_accesses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
