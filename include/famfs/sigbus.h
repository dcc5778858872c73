/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sigbus.h - opt-in conversion of SIGBUS into an error return.
 *
 * A process that maps famfs memory directly (famfs_map, the preload shim,
 * or its own mmap of a famfs file) touches device memory with plain loads
 * and stores. When that memory goes away underneath it (a devdax device is
 * unbound, a backing file is truncated, a CXL device reports poison) the
 * CPU access faults and the kernel sends SIGBUS, which kills the process by
 * default. Code that would rather get an error can run the access inside
 * famfs_sigbus_try(): a SIGBUS raised by that thread while the guarded
 * function runs unwinds (siglongjmp) out of it and the call returns -EIO.
 *
 * The handler is process-wide. Each guarded call checks (one sigaction
 * call) that it is still installed and reinstalls it if the program set
 * another SIGBUS handler since. A SIGBUS outside any guard, or in another
 * thread, goes to the handler that was installed before ours (or the
 * default action, which kills the process), exactly as without this helper.
 *
 * Rules for the guarded function: it must not take locks, allocate, or
 * leave any state half-updated that a jump out of it would leak; keep it
 * to copying bytes (famfs_sigbus_memcpy is that function). Guards nest.
 */
#ifndef FAMFS_SIGBUS_H
#define FAMFS_SIGBUS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Install the process-wide SIGBUS handler if it is not current. 0 or -errno. */
int famfs_sigbus_install(void);

/*
 * Run @fn(@arg). Returns what @fn returns, or -EIO (with a detail naming
 * the faulting address) if a SIGBUS hit this thread while @fn ran.
 */
int famfs_sigbus_try(int (*fn)(void *arg), void *arg);

/* memcpy that returns 0, or -EIO if the source or destination faulted. */
int famfs_sigbus_memcpy(void *dst, const void *src, size_t len);

/* Faults caught by guards in this process so far. */
unsigned long famfs_sigbus_caught(void);

#ifdef __cplusplus
}
#endif
#endif
