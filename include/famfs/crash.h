/* SPDX-License-Identifier: Apache-2.0 */
/*
 * crash.h - a test hook for crash consistency: with FAMFS_CRASH_POINT=NAME
 * in the environment, a process that reaches the step NAME kills itself
 * with SIGKILL there, as a power cut or kill -9 would. The tests use it to
 * stop the master at every step of a delete and of a reuse (docs/rm.md,
 * section 9); without the variable it costs one getenv per step.
 *
 * Steps: append-written (an entry written and flushed, not committed),
 * append-seqnum (next_seqnum stored, next_index not), delete-checked
 * (checks done, nothing written), delete-committed (committed, not yet
 * applied in memory), reuse-horizon (host table read and deletes freed in
 * memory, nothing written), reuse-zeroing (half of the reused memory
 * zeroed by a creat that does not zero the whole file, FAMFS_CREAT_NOZERO),
 * reuse-zeroed (the new file's reused memory all zeroed, nothing logged).
 */
#ifndef FAMFS_CRASH_H
#define FAMFS_CRASH_H

#ifdef __cplusplus
extern "C" {
#endif

void famfs_crash_point(const char *name);

#ifdef __cplusplus
}
#endif
#endif
