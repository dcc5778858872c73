// SPDX-License-Identifier: Apache-2.0
/*
 * famfs_upview.c - test tool: what upstream famfs's phase-1 reader makes
 * of an image, as its documented behaviour says, written here
 * independently of libfamfs (no decoder of ours is used), so that a test
 * can compare it with what famfs serves:
 *   - the superblock is accepted on magic, version 48, the CRC of bytes
 *     [0, 96) and an alloc unit of 4 KiB or 2 MiB, nothing else;
 *   - an entry is valid when its seqnum is its index and its 8-byte CRC
 *     field equals the zero-extended crc32 of bytes [0, 536); log replay
 *     stops at the first entry that is not;
 *   - replay skips ADD_DAXDEV (and DELETE) entries, FILE and MKDIR entries
 *     with an empty or absolute path, and FILE entries with any
 *     se[j].se_offset == 0 for j < fmap_nextents (se[] read even for an
 *     interleaved map); it takes every other FILE's extents as they are,
 *     device index and all;
 *   - the bitmap rebuild marks [0, 2 MiB + log_len), then for every valid
 *     FILE entry (bad ones skipped, the replay's stop ignored) ceil(len /
 *     unit) units from offset / unit of each extent or strip, whatever its
 *     device index; a unit already set is a collision, a unit past the
 *     device an out-of-bounds write (upstream checks no bounds).
 *
 *   famfs_upview IMG
 * prints one line per file replay would serve:
 *   file PATH SIZE D:OFFSET:LEN ...      (D the device index, hex offsets)
 * then "entries N valid V replayed R stop S" (S the index where replay
 * stopped, or "none") and "bitmap collisions C oob O".
 * Exit: 0 read, 1 the superblock or log is not upstream's, 2 usage.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define MIB		(1ULL << 20)
#define ENTRY		544
#define LOG_AT		(2 * MIB)

static uint64_t g64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint32_t g32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int valid(const uint8_t *e, uint64_t i)
{
	return g64(e) == i && g64(e + 536) == (uint64_t)crc32(0, e, 536);
}

/* The extents of a FILE entry: se[] for SIMPLE, the strips for INTERLEAVE. */
static unsigned int extents(const uint8_t *e, const uint8_t **x)
{
	uint32_t type = g32(e + 120), n = g32(e + 128);

	if (type == 1) {
		*x = e + 152;
		n = (uint32_t)g64(e + 136);
		return n > 16 ? 16 : n;
	}
	*x = e + 136;
	return n > 16 ? 16 : n;
}

int main(int argc, char **argv)
{
	uint64_t au, log_len, dev_size, next, nslots, nbits, i, coll = 0, oob = 0, nvalid = 0;
	uint64_t replayed = 0, stop = UINT64_MAX;
	const uint8_t *img, *e, *x;
	uint8_t *bits;
	struct stat st;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: famfs_upview IMG\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY);
	if (fd < 0 || fstat(fd, &st)) {
		perror(argv[1]);
		return 1;
	}
	img = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (img == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	au = g64(img + 32);
	if (g64(img) != 0x87b282ffULL || g64(img + 8) != 48 || g64(img + 96) != crc32(0, img, 96) ||
	    (au != 4096 && au != 2 * MIB)) {
		printf("superblock refused\n");
		return 1;
	}
	log_len = g64(img + 24);
	dev_size = g64(img + 112);
	if (g64(img + LOG_AT) != 0x00000badcafef00dULL || log_len < 48 ||
	    LOG_AT + log_len > (uint64_t)st.st_size) {
		printf("log refused\n");
		return 1;
	}
	nslots = (log_len - 48) / ENTRY;
	next = g64(img + LOG_AT + 40);
	if (next > nslots)
		next = nslots;
	nbits = (dev_size + au - 1) / au;
	bits = calloc(nbits / 8 + 1, 1);
	if (!bits)
		return 1;
	for (i = 0; i < (LOG_AT + log_len) / au && i < nbits; i++)
		bits[i / 8] |= 1 << (i % 8);
	for (i = 0; i < next; i++) {
		e = img + LOG_AT + 48 + i * ENTRY;
		if (!valid(e, i)) {
			if (stop == UINT64_MAX)
				stop = i;
			continue;
		}
		nvalid++;
		if (g32(e + 8) != 0)
			continue;			/* bitmap: FILE entries only */
		for (unsigned int j = 0, n = extents(e, &x); j < n; j++) {
			uint64_t off = g64(x + j * 24 + 8), len = g64(x + j * 24 + 16);

			for (uint64_t u = off / au; u < off / au + (len + au - 1) / au; u++) {
				if (u >= nbits) {
					oob++;
				} else if (bits[u / 8] & (1 << (u % 8))) {
					coll++;
				} else {
					bits[u / 8] |= 1 << (u % 8);
				}
			}
		}
		if (stop != UINT64_MAX)
			continue;			/* replay stopped before it */
		const char *path = (const char *)e + 40;
		int skip = !path[0] || path[0] == '/';
		const uint8_t *se = e + 136;

		for (uint32_t j = 0; j < g32(e + 128) && j < 16; j++)
			skip |= g64(se + j * 24 + 8) == 0;
		if (skip)
			continue;
		replayed++;
		printf("file %.79s %" PRIu64, path, g64(e + 16));
		for (unsigned int j = 0, n = extents(e, &x); j < n; j++)
			printf(" %" PRIu64 ":%#" PRIx64 ":%#" PRIx64, g64(x + j * 24),
			       g64(x + j * 24 + 8), g64(x + j * 24 + 16));
		printf("\n");
	}
	printf("entries %" PRIu64 " valid %" PRIu64 " replayed %" PRIu64 " stop ", next, nvalid,
	       replayed);
	if (stop == UINT64_MAX)
		printf("none\n");
	else
		printf("%" PRIu64 "\n", stop);
	printf("bitmap collisions %" PRIu64 " oob %" PRIu64 "\n", coll, oob);
	return 0;
}
