// SPDX-License-Identifier: Apache-2.0
/*
 * crc32.c - the CRC-32 of the on-media format (famfs_crc32): the IEEE
 * 802.3 polynomial, reflected, initial value and final xor all ones, the
 * same function as zlib's crc32() and upstream famfs's checksums
 * (tests/unit/test_crc32.c compares the two on every length and alignment
 * up to 4 KiB and on random buffers).
 *
 * It is computed here, not by zlib, because the direct-access client
 * validates log entries (logpeek.c) inside every process that maps famfs
 * files: libfamfs.so and the preload shim must not pull zlib into all of
 * them. Slicing by 8 (eight 256-entry tables, built once) runs at a few
 * GB/s, so replaying a full log stays in the milliseconds.
 */
#include <endian.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "famfs/omf.h"

#define POLY	0xedb88320u

static uint32_t tab[8][256];
static pthread_once_t tab_once = PTHREAD_ONCE_INIT;

static void tab_init(void)
{
	uint32_t c;
	unsigned int i, k;

	for (i = 0; i < 256; i++) {
		c = i;
		for (k = 0; k < 8; k++)
			c = (c >> 1) ^ (c & 1 ? POLY : 0);
		tab[0][i] = c;
	}
	for (i = 0; i < 256; i++)
		for (k = 1; k < 8; k++)
			tab[k][i] = (tab[k - 1][i] >> 8) ^ tab[0][tab[k - 1][i] & 0xff];
}

uint32_t famfs_crc32_update(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint32_t c = ~crc, lo, hi;

	pthread_once(&tab_once, tab_init);
	while (len && ((uintptr_t)p & 7)) {
		c = (c >> 8) ^ tab[0][(c ^ *p++) & 0xff];
		len--;
	}
	while (len >= 8) {
		memcpy(&lo, p, 4);
		memcpy(&hi, p + 4, 4);
		lo = le32toh(lo) ^ c;
		hi = le32toh(hi);
		c = tab[7][lo & 0xff] ^ tab[6][(lo >> 8) & 0xff] ^ tab[5][(lo >> 16) & 0xff] ^
		    tab[4][lo >> 24] ^ tab[3][hi & 0xff] ^ tab[2][(hi >> 8) & 0xff] ^
		    tab[1][(hi >> 16) & 0xff] ^ tab[0][hi >> 24];
		p += 8;
		len -= 8;
	}
	while (len--)
		c = (c >> 8) ^ tab[0][(c ^ *p++) & 0xff];
	return ~c;
}

uint32_t famfs_crc32(const void *buf, size_t len)
{
	return famfs_crc32_update(0, buf, len);
}
