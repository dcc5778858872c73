/* SPDX-License-Identifier: Apache-2.0 */
/*
 * audit.h - the flush audit: a test build (cmake -DFAMFS_FLUSH_AUDIT=ON,
 * run by make check-audit) that fails loudly when famfs publishes bytes
 * that another host could not see yet, or reads without dropping stale
 * cache lines first.
 *
 * Two hosts emulated on one machine share one CPU cache, so a missing
 * flush changes nothing they see. The audit adds the view a host with its
 * own cache would have: a shadow copy of the device that only write backs
 * update. FAMFS_FLUSH_AUDIT=DIR in the environment names a directory that
 * holds one shadow file per device, "dev-<st_dev>-ino-<st_ino>" for a
 * device file and "rdev-<major>:<minor>" for a character device, as large
 * as the device and equal to it when the audit starts (both all zeros,
 * before mkfs). Every process of the build then:
 *
 * - records which of its addresses map which device bytes (the whole
 *   device map, each segment of a direct mapping);
 * - copies lines from the device into the shadow when famfs_flush,
 *   famfs_memcpy_flush or famfs_invalidate writes them back (x86 cache
 *   flushes write back dirty lines, and invalidating ones do too);
 * - at each publication point (the log commit, a write through the shim
 *   or famfsd, fsync, msync, ...) compares the published range of the
 *   device with the shadow: a byte that differs was stored but never
 *   written back, so another host could not see it. The process prints
 *   one line naming the point and the device offset, appends it to
 *   DIR/failures, and aborts;
 * - at each read from famfs memory (the shim's read, famfsd's READ) checks
 *   that the calling thread invalidated the range just before.
 *
 * Each process that audits a device appends "COMM PID SHADOW" to
 * DIR/active, so a test can prove the audit was on. Without the build
 * option every function here is an empty inline: the normal build pays
 * nothing.
 */
#ifndef FAMFS_AUDIT_H
#define FAMFS_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifdef FAMFS_FLUSH_AUDIT

/* [addr, addr + len) now maps bytes [dev_off, dev_off + len) of device @fd. */
void famfs_audit_map(const void *addr, size_t len, int fd, uint64_t dev_off);

/* [addr, addr + len) no longer maps device bytes. */
void famfs_audit_unmap(const void *addr, size_t len);

/* The lines covering [p, p + len) were written back (by the cache code). */
void famfs_audit_flushed(const void *p, size_t len);

/* ... were dropped (and so written back) before a read (by the cache code). */
void famfs_audit_invalidated(const void *p, size_t len);

/* [p, p + len) is being published by @what: abort if any byte is not written back. */
void famfs_audit_published(const void *p, size_t len, const char *what);

/* [p, p + len) is being read by @what: abort unless this thread just invalidated it. */
void famfs_audit_read(const void *p, size_t len, const char *what);

/*
 * For tests: whether [p, p + len) holds a byte not written back (*@at: its
 * offset from @p), and whether @p is an audited address at all.
 */
bool famfs_audit_dirty(const void *p, size_t len, size_t *at);
bool famfs_audit_tracked(const void *p);

#else

static inline void famfs_audit_map(const void *addr, size_t len, int fd, uint64_t dev_off)
{
}

static inline void famfs_audit_unmap(const void *addr, size_t len)
{
}

static inline void famfs_audit_flushed(const void *p, size_t len)
{
}

static inline void famfs_audit_invalidated(const void *p, size_t len)
{
}

static inline void famfs_audit_published(const void *p, size_t len, const char *what)
{
}

static inline void famfs_audit_read(const void *p, size_t len, const char *what)
{
}

#endif

#ifdef __cplusplus
}
#endif
#endif
