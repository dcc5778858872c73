// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_fmap.c - libFuzzer harness for the V10 GET_FMAP wire decoder and
 * validator, the resolver and the segment walk (what a client runs on a
 * reply from famfsd), plus the fuse_daxdev_out decoder.
 *
 * Input: a raw GET_FMAP reply. Invariants on a reply that decodes:
 *   - every walked segment lies inside [0, round_up(file_size, 2 MiB)),
 *     in file order without overlap, and agrees with famfs_fmap_resolve at
 *     its first and last byte below file_size;
 *   - resolve never fails below file_size when the walk covered that byte;
 *   - the walk covers [0, file_size) with no hole, and every segment and
 *     every resolved range lies inside one extent or strip of the map;
 *   - encode(decode(x)) decodes to an equal map.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "famfs/err.h"
#include "famfs/fmap.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct walk_ctx {
	const struct famfs_fmap *f;
	uint64_t next_off;	/* end of the previous segment */
	uint64_t limit;
};

/*
 * Is every byte of [addr, addr + len) on @dev inside an extent or strip of
 * @f? (Walk segments merge pieces adjacent on the device.)
 */
static int inside_map(const struct famfs_fmap *f, uint64_t dev, uint64_t addr, uint64_t len)
{
	const struct famfs_fmap_ext *x = f->ext_type == FAMFS_EXT_SIMPLE ? f->se : f->strips;
	uint32_t n = f->ext_type == FAMFS_EXT_SIMPLE ? f->nextents : f->nstrips_total, i;
	uint64_t u;

	/* Jump from extent end to extent end: lengths may be near 2^64. */
	for (u = addr; u - addr < len; u = x[i].offset + x[i].len) {
		for (i = 0; i < n; i++)
			if (x[i].devindex == dev && u >= x[i].offset && u - x[i].offset < x[i].len)
				break;
		if (i == n)
			return 0;
		if (x[i].offset + x[i].len <= u)
			return 1;	/* the extent wraps past 2^64: it covers the rest */
	}
	return 1;
}

/* A resolved range never leaves the map's own memory. */
static void probe(const struct famfs_fmap *f, uint64_t pos, uint64_t len)
{
	struct famfs_iomap io;

	if (famfs_fmap_resolve(f, pos, len, &io) == 0 &&
	    !inside_map(f, io.devindex, io.addr, io.length))
		fuzz_fail("resolve(0x%llx, 0x%llx) = [0x%llx, +0x%llx) outside every extent",
			  (unsigned long long)pos, (unsigned long long)len,
			  (unsigned long long)io.addr, (unsigned long long)io.length);
}

static void check_at(const struct famfs_fmap *f, const struct famfs_seg *s, uint64_t k)
{
	struct famfs_iomap io;
	int rc;

	rc = famfs_fmap_resolve(f, s->file_off + k, 1, &io);
	if (rc)
		fuzz_fail("walk covers 0x%llx but resolve fails (%d)",
			  (unsigned long long)(s->file_off + k), rc);
	if (io.devindex != s->devindex || io.addr != s->dev_off + k || io.length != 1)
		fuzz_fail("resolve(0x%llx) = dev %llu addr 0x%llx, walk says dev %llu 0x%llx",
			  (unsigned long long)(s->file_off + k), (unsigned long long)io.devindex,
			  (unsigned long long)io.addr, (unsigned long long)s->devindex,
			  (unsigned long long)(s->dev_off + k));
}

static int on_seg(void *arg, const struct famfs_seg *s)
{
	struct walk_ctx *w = arg;
	const struct famfs_fmap *f = w->f;

	if (!s->len || s->file_off < w->next_off || s->file_off > w->limit ||
	    s->len > w->limit - s->file_off)
		fuzz_fail("segment [0x%llx, +0x%llx) out of order or past 0x%llx",
			  (unsigned long long)s->file_off, (unsigned long long)s->len,
			  (unsigned long long)w->limit);
	if (s->file_off != w->next_off)
		fuzz_fail("walk leaves a hole at 0x%llx", (unsigned long long)w->next_off);
	if (!inside_map(f, s->devindex, s->dev_off, s->len))
		fuzz_fail("segment at device [0x%llx, +0x%llx) outside every extent",
			  (unsigned long long)s->dev_off, (unsigned long long)s->len);
	w->next_off = s->file_off + s->len;
	if (s->devindex < FAMFS_MAX_DAXDEVS && s->file_off < f->file_size) {
		check_at(f, s, 0);
		if (s->file_off + s->len <= f->file_size)
			check_at(f, s, s->len - 1);
		else
			check_at(f, s, f->file_size - 1 - s->file_off);
	}
	return 0;
}

static void check_equal(const struct famfs_fmap *a, const struct famfs_fmap *b)
{
	uint32_t i, j;

	if (a->file_size != b->file_size || a->ext_type != b->ext_type ||
	    a->nextents != b->nextents || a->dev_bitmap != b->dev_bitmap)
		fuzz_fail("fmap round trip changed the header");
	for (i = 0; i < a->nextents; i++) {
		if (a->ext_type == FAMFS_EXT_SIMPLE) {
			if (memcmp(&a->se[i], &b->se[i], sizeof(a->se[i])))
				fuzz_fail("fmap round trip changed extent %u", i);
			continue;
		}
		if (a->ie[i].nstrips != b->ie[i].nstrips ||
		    a->ie[i].chunk_size != b->ie[i].chunk_size ||
		    a->ie[i].nbytes != b->ie[i].nbytes)
			fuzz_fail("fmap round trip changed interleaved extent %u", i);
		for (j = 0; j < a->ie[i].nstrips; j++)
			if (memcmp(&a->strips[a->ie[i].first + j], &b->strips[b->ie[i].first + j],
				   sizeof(a->strips[0])))
				fuzz_fail("fmap round trip changed strip %u.%u", i, j);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct famfs_fmap f, g;
	static uint8_t wire[FAMFS_FMAP_MSG_MAX];
	char name[FAMFS_DAXDEV_NAME_MAX];
	struct walk_ctx w;
	uint16_t idx;
	ssize_t n;
	long segs;

	if (size >= FAMFS_DAXDEV_OUT_SIZE &&
	    famfs_daxdev_out_decode(data, FAMFS_DAXDEV_OUT_SIZE, &idx, name) == 0 &&
	    (!name[0] || strnlen(name, sizeof(name)) >= sizeof(name)))
		fuzz_fail("daxdev_out decoded a bad name");

	if (famfs_fmap_decode(data, size, &f))
		return 0;
	if (f.nextents < 1 || f.nextents > FAMFS_FMAP_MAX_EXTENTS)
		fuzz_fail("decoded nextents %u", f.nextents);
	w = (struct walk_ctx){ .f = &f, .next_off = 0 };
	w.limit = f.file_size % FAMFS_PMD_SIZE ?
		  f.file_size + (FAMFS_PMD_SIZE - f.file_size % FAMFS_PMD_SIZE) : f.file_size;
	if (w.limit < f.file_size)
		w.limit = UINT64_MAX;
	/* A huge map is legal but walks chunk by chunk: keep executions fast. */
	if (f.file_size > (64ULL << 30))
		goto encode;
	segs = famfs_fmap_walk(&f, on_seg, &w);
	/* A map that decodes walks all the way: it is what clients map. */
	if (segs < 0)
		fuzz_fail("a decoded map does not walk (%ld): %s", segs, famfs_errmsg());
	if (w.next_off < f.file_size)
		fuzz_fail("walk stops at 0x%llx of 0x%llx", (unsigned long long)w.next_off,
			  (unsigned long long)f.file_size);
	/* Probe a few offsets; any answer must be inside one extent's bytes. */
	probe(&f, 0, 4096);
	if (f.file_size) {
		probe(&f, f.file_size - 1, 1);
		probe(&f, f.file_size / 2, UINT64_MAX);
		probe(&f, f.file_size / 3, 1);
	}
	probe(&f, f.file_size, 1);

encode:
	n = famfs_fmap_encode(&f, wire, sizeof(wire));
	if (n < 0)
		return 0;
	if (famfs_fmap_decode(wire, (size_t)n, &g))
		fuzz_fail("re-encoded fmap does not decode: %s", famfs_errmsg());
	check_equal(&f, &g);
	return 0;
}
