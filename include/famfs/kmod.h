/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kmod.h - does the running kernel have a famfs module? Upstream's tools
 * choose between FUSE famfs and a standalone famfs kernel module
 * (--fuse / --nofuse). famfs here always mounts through FUSE; with the
 * famfs module of kernel/ (fs/fuse built with famfs, docs/kernel.md) the
 * kernel serves file data itself. This answers whether that module is
 * loaded, from the symbols the kernel lists.
 */
#ifndef FAMFS_KMOD_H
#define FAMFS_KMOD_H

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * True if the kernel's fuse has famfs (the symbol fuse_famfs_open is in
 * /proc/kallsyms). $FAMFS_KALLSYMS names another file to read instead, so
 * tests can exercise both answers.
 */
bool famfs_kmod_loaded(void);

#ifdef __cplusplus
}
#endif
#endif
