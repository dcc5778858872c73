/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dev.h - the memory device: a devdax char device or a regular file (on
 * tmpfs, hugetlbfs or any file system) whose size is a multiple of 2 MiB.
 *
 * A device is mapped whole, MAP_SHARED, at a 2 MiB-aligned address, because
 * /dev/dax supports only mmap (read(2) fails with EINVAL). All metadata and
 * data access goes through that mapping, with explicit CPU cache flushes
 * for writes that other hosts must see and invalidations before reads of
 * what other hosts wrote.
 */
#ifndef FAMFS_DEV_H
#define FAMFS_DEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "famfs/famfs.h"	/* famfs_flush(), famfs_invalidate() */

#ifdef __cplusplus
extern "C" {
#endif

#define FAMFS_DEV_MIN_SIZE	(64ULL << 20)

struct famfs_dev {
	int fd;
	bool is_daxdev;		/* a character device */
	bool writable;
	uint64_t size;		/* bytes */
	uint8_t *base;		/* mapping of [0, size) */
	char path[4096];
};

/*
 * Size of the device at @path: the sysfs size of a devdax char device
 * (/sys/dev/char/M:m/size), or st_size of a regular file. -ENODEV for any
 * other kind of file, -ENOENT, -EACCES.
 */
int famfs_dev_size(const char *path, uint64_t *size, bool *is_daxdev);

/*
 * Open and map the device at @path, read-only or read-write. Refuses
 * sizes that are not a multiple of 2 MiB or below FAMFS_DEV_MIN_SIZE
 * (-EINVAL, with a detail saying how to make one), and any device on an
 * architecture without cache operations (-EOPNOTSUPP, famfs_cache_check).
 */
int famfs_dev_open(const char *path, bool writable, struct famfs_dev **out);
void famfs_dev_close(struct famfs_dev *dev);

/*
 * mmap(2) @len bytes (a multiple of 2 MiB) from offset 0 of @fd, MAP_SHARED,
 * at a 2 MiB-aligned address, as a devdax device requires (a fault in an
 * unaligned mapping of one gets SIGBUS). MAP_FAILED with errno on failure.
 */
void *famfs_dev_map_aligned(int fd, uint64_t len, int prot);

/*
 * CPU cache operations (lib/cache.c). Only x86 has them; elsewhere
 * famfs_cache_check() fails with -EOPNOTSUPP and a detail, and the device
 * open and every direct mapping call it first.
 */
int famfs_cache_check(void);

/* famfs_flush() and famfs_invalidate() are public: famfs/famfs.h. */

/* memcpy(@dst, @src, @n) whose bytes are written back when it returns. */
void famfs_memcpy_flush(void *dst, const void *src, size_t n);

/* The instructions in use: "clwb", "clflushopt", "clflush" ("none": no support). */
const char *famfs_cache_flush_insn(void);
const char *famfs_cache_invalidate_insn(void);

#ifdef __cplusplus
}
#endif
#endif
