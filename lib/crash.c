// SPDX-License-Identifier: Apache-2.0
/*
 * crash.c - the FAMFS_CRASH_POINT test hook (famfs/crash.h): SIGKILL this
 * process at the named step.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "famfs/crash.h"

void famfs_crash_point(const char *name)
{
	const char *want = getenv("FAMFS_CRASH_POINT");

	if (want && !strcmp(want, name)) {
		kill(getpid(), SIGKILL);
		pause();
	}
}
