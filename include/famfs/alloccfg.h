/* SPDX-License-Identifier: Apache-2.0 */
/*
 * alloccfg.h - upstream's .meta/.alloc.cfg: interleave defaults for new
 * files, in YAML:
 *
 *   ---
 *   interleaved_alloc:
 *     nbuckets: 8
 *     nstrips: 6
 *     chunk_size: 2m
 *   ...
 *
 * Every key is optional (a missing one takes the usual default, see
 * famfs_interleave_fill()); sizes take k, m, g suffixes (powers of 1024);
 * numbers are decimal, 0x hex or 0 octal. "interleave" is accepted for the
 * section name too. Anything else (an unknown key or section, a value that
 * is not a number, a duplicate, out-of-range counts) is refused with a
 * detail naming it. The parser is libyaml's; this file only walks its
 * document.
 */
#ifndef FAMFS_ALLOCCFG_H
#define FAMFS_ALLOCCFG_H

#include <stddef.h>

#include "famfs/alloc.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Parse the @len bytes at @buf into *@ip (zeroed first; an empty document
 * leaves it all zero: no defaults). 0, or -EINVAL with a detail
 * (famfs_errmsg) naming the line and the problem.
 */
int famfs_alloc_cfg_parse(const char *buf, size_t len, struct famfs_interleave_param *ip);

#ifdef __cplusplus
}
#endif
#endif
