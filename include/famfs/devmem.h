/* SPDX-License-Identifier: Apache-2.0 */
/*
 * devmem.h - the library's own accesses to device memory, each inside the
 * SIGBUS guard of famfs/sigbus.h (lib/sigbus.c, the one guard). Internal to
 * libfamfs and the famfs programs (not installed, not exported).
 *
 * The guard's rule (wrap only copies, never code that locks or allocates)
 * holds for the library too: the superblock and the log are read and
 * written through these calls, each guarded on its own, so a fault fails
 * that one access with -EIO while the caller still holds whatever it locked
 * or allocated and releases it as usual (the log lock of an append that
 * faulted is dropped, never kept). They are guarded once the process opted
 * in with famfs_sigbus_install() (famfsd does, at start); in a process that
 * never did they are plain accesses and a fault gets the process's own
 * SIGBUS disposition, as before.
 */
#ifndef FAMFS_DEVMEM_H
#define FAMFS_DEVMEM_H

#include <stddef.h>
#include <stdint.h>

/*
 * 0, or -EIO after a SIGBUS. read invalidates the source lines first;
 * write copies with famfs_memcpy_flush; flush writes back lines; invalidate
 * writes back dirty lines and drops every line (famfs_invalidate). load64 and
 * store64 access one aligned word as a single acquire load (after an
 * invalidate) or release store.
 */
int famfs_sigbus_read(void *dst, const void *dev, size_t len);
int famfs_sigbus_write(void *dev, const void *src, size_t len);
int famfs_sigbus_flush(const void *dev, size_t len);
int famfs_sigbus_invalidate(const void *dev, size_t len);
int famfs_sigbus_load64(const uint64_t *dev, uint64_t *out);
int famfs_sigbus_store64(uint64_t *dev, uint64_t v);

/*
 * famfs_sigbus_read, guarded in every process (it installs the handler):
 * for reads of devices that may not even be ours (a scan's candidates,
 * a device being added), which must fail, not kill the CLI or famfsd.
 */
int famfs_sigbus_fetch(void *dst, const void *dev, size_t len);

/* Faults caught by guards in the calling thread so far. */
unsigned long famfs_sigbus_caught_here(void);

#endif
