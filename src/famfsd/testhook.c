// SPDX-License-Identifier: Apache-2.0
/*
 * testhook.c - the pause points of famfsd's test build (see
 * famfsd_test_pause in famfsd.h). Compiled only with -DFAMFSD_TEST_HOOKS,
 * into the famfsd the race tests mount (build/testhooks/famfsd); the
 * installed famfsd has no hook and reads no test variable.
 *
 * A test creates $FAMFSD_TEST_PAUSE_DIR/WHERE; the next thread that reaches
 * the point WHERE creates WHERE.paused and waits until the test removes
 * WHERE (for 60 s at most, so a broken test cannot hang the daemon), then
 * removes WHERE.paused. Other threads pass while one is paused.
 * famfsd_test_flag(NAME) is true while .../NAME exists.
 */
#ifdef FAMFSD_TEST_HOOKS
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "famfsd.h"

static int pausing;

void famfsd_test_pause(const char *where)
{
	const char *dir = getenv("FAMFSD_TEST_PAUSE_DIR");
	char gate[PATH_MAX], mark[PATH_MAX];
	struct timespec ts = { 0, 1000000 };
	int expect = 0, fd, i;

	if (!dir)
		return;
	snprintf(gate, sizeof(gate), "%s/%s", dir, where);
	snprintf(mark, sizeof(mark), "%s/%s.paused", dir, where);
	if (access(gate, F_OK))
		return;
	if (!__atomic_compare_exchange_n(&pausing, &expect, 1, false, __ATOMIC_ACQUIRE,
					 __ATOMIC_RELAXED))
		return;
	fd = open(mark, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0)
		close(fd);
	for (i = 0; i < 60000 && !access(gate, F_OK); i++)
		nanosleep(&ts, NULL);
	unlink(mark);
	__atomic_store_n(&pausing, 0, __ATOMIC_RELEASE);
}

bool famfsd_test_flag(const char *name)
{
	const char *dir = getenv("FAMFSD_TEST_PAUSE_DIR");
	char path[PATH_MAX];

	if (!dir)
		return false;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return !access(path, F_OK);
}
#else
typedef int famfsd_no_test_hooks;	/* a release build has no hook */
#endif
