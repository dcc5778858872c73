/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_util.h - small helpers shared by the libFuzzer harnesses: explicit
 * little-endian stores and CRC fix-ups, so that a harness can let the
 * fuzzer past the CRC checks and into the field validation behind them.
 * A broken invariant calls fuzz_fail(), which aborts (a crash to libFuzzer).
 */
#ifndef FAMFS_FUZZ_UTIL_H
#define FAMFS_FUZZ_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "famfs/le.h"
#include "famfs/omf.h"

#define fuzz_fail(...)							\
	do {								\
		fprintf(stderr, "invariant broken at %s:%d: ", __FILE__, __LINE__); \
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
		abort();						\
	} while (0)

/* Store a valid CRC in a superblock (over [0, 96), at 96). */
static inline void fz_fix_sb_crc(uint8_t *sb)
{
	famfs_put_le64(sb + 96, famfs_crc32(sb, 96));
}

/* Store a valid CRC in a log header (over [0, 24), at 24). */
static inline void fz_fix_hdr_crc(uint8_t *hdr)
{
	famfs_put_le64(hdr + 24, famfs_crc32(hdr, 24));
}

/*
 * Make an entry pass the seqnum and CRC checks for slot @index (a DELETE
 * carries the rm tag above its crc32, omf.h).
 */
static inline void fz_fix_entry(uint8_t *e, uint64_t index)
{
	uint64_t crc;

	famfs_put_le64(e, index);
	crc = famfs_crc32(e, 536);
	if (famfs_get_le32(e + 8) == FAMFS_LOG_DELETE)
		crc |= FAMFS_DELETE_CRC_TAG << 32;
	famfs_put_le64(e + 536, crc);
}

static inline int fz_ext_equal(const struct famfs_omf_extent *a,
			       const struct famfs_omf_extent *b, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		if (a[i].devindex != b[i].devindex || a[i].offset != b[i].offset ||
		    a[i].len != b[i].len)
			return 0;
	return 1;
}

/* Field-by-field equality of two decoded entries (the arm of their type). */
static inline int fz_entry_equal(const struct famfs_omf_entry *a,
				 const struct famfs_omf_entry *b)
{
	const struct famfs_omf_file *f = &a->file, *g = &b->file;

	if (a->seqnum != b->seqnum || a->type != b->type || a->time != b->time)
		return 0;
	switch (a->type) {
	case FAMFS_LOG_FILE:
		if (f->size != g->size || f->flags != g->flags || f->uid != g->uid ||
		    f->horizon != g->horizon ||
		    f->gid != g->gid || f->mode != g->mode || strcmp(f->relpath, g->relpath) ||
		    f->fmap.ext_type != g->fmap.ext_type || f->fmap.nextents != g->fmap.nextents)
			return 0;
		if (f->fmap.ext_type == FAMFS_EXT_SIMPLE)
			return fz_ext_equal(f->fmap.se, g->fmap.se, f->fmap.nextents);
		return f->fmap.nstrips == g->fmap.nstrips &&
		       f->fmap.chunk_size == g->fmap.chunk_size &&
		       fz_ext_equal(f->fmap.strips, g->fmap.strips, f->fmap.nstrips);
	case FAMFS_LOG_MKDIR:
		return a->mkdir.uid == b->mkdir.uid && a->mkdir.gid == b->mkdir.gid &&
		       a->mkdir.mode == b->mkdir.mode &&
		       !strcmp(a->mkdir.relpath, b->mkdir.relpath);
	case FAMFS_LOG_ADD_DAXDEV:
		return a->daxdev.size == b->daxdev.size && a->daxdev.index == b->daxdev.index &&
		       !memcmp(a->daxdev.uuid, b->daxdev.uuid, 16);
	case FAMFS_LOG_DELETE:
		return a->del.target == b->del.target && a->del.target_type == b->del.target_type &&
		       !strcmp(a->del.relpath, b->del.relpath);
	default:
		return 0;
	}
}

#endif
