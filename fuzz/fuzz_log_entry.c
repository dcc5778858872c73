// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_log_entry.c - libFuzzer harness for the log entry decoder and the
 * file map check behind it.
 *
 * Input: byte 0 is a mode (bit 0: set seqnum and a valid CRC, so the type,
 * path and fmap checks are reached), bytes 1..8 the slot index (LE), then
 * the raw 544-byte entry. Invariants: an accepted entry has a known type, a
 * NUL-terminated path, a structurally valid fmap (a delete: an earlier
 * target of a known type); it re-encodes to the same
 * 544 bytes when it came from our encoder's canonical form, and decodes
 * again to the same fields; a map that passes famfs_omf_fmap_check builds a
 * wire fmap that encodes and decodes, and walks (as a client maps it) over
 * the whole file with no hole.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "famfs/err.h"
#include "famfs/fmap.h"
#include "famfs/omf.h"
#include "famfs/path.h"
#include "fuzz_util.h"

#define DEV_SIZE	(64ULL << 30)
#define DATA_START	(FAMFS_LOG_OFFSET + FAMFS_LOG_LEN_MIN)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Count the bytes the walk covers from 0 without a hole. */
static int on_seg(void *ctx, const struct famfs_seg *s)
{
	uint64_t *covered = ctx;

	if (s->file_off == *covered)
		*covered += s->len;
	return 0;
}

static void check_file(const struct famfs_omf_entry *e)
{
	uint64_t covered;
	static struct famfs_fmap f, g;
	static uint8_t wire[FAMFS_FMAP_MSG_MAX];
	const struct famfs_omf_fmap *m = &e->file.fmap;
	ssize_t n;

	if (m->ext_type == FAMFS_EXT_SIMPLE) {
		if (m->nextents < 1 || m->nextents > FAMFS_OMF_MAX_SIMPLE_EXTENTS)
			fuzz_fail("accepted %u simple extents", m->nextents);
	} else if (m->ext_type == FAMFS_EXT_INTERLEAVE) {
		if (m->nextents != 1 || m->nstrips < 1 || m->nstrips > FAMFS_OMF_MAX_STRIPS ||
		    !m->chunk_size || (m->chunk_size & (m->chunk_size - 1)) ||
		    m->chunk_size % FAMFS_ALLOC_UNIT)
			fuzz_fail("accepted interleave %u x %llu strips, chunk %#llx",
				  m->nextents, (unsigned long long)m->nstrips,
				  (unsigned long long)m->chunk_size);
	} else {
		fuzz_fail("accepted ext_type %u", m->ext_type);
	}
	/* Every map the log check accepts must travel on the V10 wire. */
	if (famfs_omf_fmap_check(m, e->file.size, FAMFS_ALLOC_UNIT, DATA_START, DEV_SIZE))
		return;
	if (famfs_fmap_from_omf(&e->file, &f))
		fuzz_fail("checked fmap does not convert: %s", famfs_errmsg());
	n = famfs_fmap_encode(&f, wire, sizeof(wire));
	if (n < 0)
		fuzz_fail("checked fmap does not encode: %s", famfs_errmsg());
	if (famfs_fmap_decode(wire, (size_t)n, &g))
		fuzz_fail("checked fmap encodes to a reply the kernel refuses: %s",
			  famfs_errmsg());
	if (g.file_size != f.file_size || g.nextents != f.nextents || g.ext_type != f.ext_type)
		fuzz_fail("fmap wire round trip changed the header");
	/* A huge map is legal but walks chunk by chunk: keep executions fast. */
	if (g.file_size > (64ULL << 30))
		return;
	covered = 0;
	if (famfs_fmap_walk(&g, on_seg, &covered) < 0 || covered < g.file_size)
		fuzz_fail("checked fmap maps only 0x%llx of 0x%llx bytes: %s",
			  (unsigned long long)covered, (unsigned long long)g.file_size,
			  famfs_errmsg());
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t buf[FAMFS_LOG_ENTRY_SIZE], re[FAMFS_LOG_ENTRY_SIZE];
	struct famfs_omf_entry e, e2;
	const char *path = NULL;
	uint64_t index;

	if (size < 9 + FAMFS_LOG_ENTRY_SIZE)
		return 0;
	index = famfs_get_le64(data + 1);
	memcpy(buf, data + 9, sizeof(buf));
	if (data[0] & 1)
		fz_fix_entry(buf, index);
	if (famfs_omf_entry_decode(buf, index, &e))
		return 0;
	if (e.seqnum != index)
		fuzz_fail("accepted seqnum %llu at index %llu", (unsigned long long)e.seqnum,
			  (unsigned long long)index);
	switch (e.type) {
	case FAMFS_LOG_FILE:
		path = e.file.relpath;
		check_file(&e);
		break;
	case FAMFS_LOG_MKDIR:
		path = e.mkdir.relpath;
		break;
	case FAMFS_LOG_ADD_DAXDEV:
		break;
	case FAMFS_LOG_DELETE:
		path = e.del.relpath;
		if (e.del.target_type != FAMFS_LOG_FILE && e.del.target_type != FAMFS_LOG_MKDIR)
			fuzz_fail("accepted a delete of type %u", e.del.target_type);
		if (e.del.target == FAMFS_DELETE_IMPLICIT ? e.del.target_type != FAMFS_LOG_MKDIR :
		    e.del.target >= index)
			fuzz_fail("accepted a delete of entry %llu at %llu",
				  (unsigned long long)e.del.target, (unsigned long long)index);
		break;
	default:
		fuzz_fail("accepted entry type %u", e.type);
	}
	if (path) {
		if (strnlen(path, FAMFS_OMF_PATH_MAX) >= FAMFS_OMF_PATH_MAX)
			fuzz_fail("accepted an unterminated path");
		(void)famfs_path_check(path);
	}
	/* Our own encoding of what we decoded must decode to the same thing. */
	famfs_omf_entry_encode(&e, re);
	if (famfs_omf_entry_decode(re, index, &e2))
		fuzz_fail("re-encoded entry %llu does not decode: %s",
			  (unsigned long long)index, famfs_errmsg());
	if (!fz_entry_equal(&e, &e2))
		fuzz_fail("re-encoded entry decodes to different fields");
	return 0;
}
