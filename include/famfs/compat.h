/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * compat.h - what the pure code shared by libfamfs and the kernel module
 * (lib/fmap.c and the headers it includes) takes from its environment:
 * fixed-width integers, size_t/ssize_t, errno values, memset/memcpy/memchr/
 * strnlen, and famfs_err(). In user space these come from libc and
 * famfs/err.h; in the kernel (kernel/, built as part of fuse.ko) from the
 * kernel's own headers, and famfs_err() logs the detail at debug level
 * (dynamic debug: "module fuse +p") and returns the errno.
 *
 * Dual-licensed so that the same validator is fuzzed in user space and runs
 * in the kernel.
 */
#ifndef FAMFS_COMPAT_H
#define FAMFS_COMPAT_H

#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/limits.h>
#include <linux/printk.h>
#include <linux/string.h>
#include <linux/types.h>

#ifndef UINT32_MAX
#define UINT32_MAX	U32_MAX
#endif
#ifndef UINT64_MAX
#define UINT64_MAX	U64_MAX
#endif
#ifndef INT64_MAX
#define INT64_MAX	S64_MAX
#endif

#define famfs_err(err, fmt, ...) \
	({ pr_debug("famfs: " fmt "\n", ##__VA_ARGS__); (int)(err); })
#else
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "famfs/err.h"
#endif

#endif
