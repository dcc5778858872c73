// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_log_hdr.c - libFuzzer harness for the log header decoder.
 *
 * Input: byte 0 is a mode (bit 0: store a valid CRC; bits 1-3 pick the
 * superblock's log length, 8 MiB << n), then the raw 48-byte header.
 * Invariants: an accepted header has next_index <= nslots and
 * last_index == nslots - 1, and re-encodes to the same bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "famfs/omf.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t buf[FAMFS_LOG_HDR_SIZE], re[FAMFS_LOG_HDR_SIZE];
	struct famfs_omf_log_hdr h;
	uint64_t log_len, nslots;
	size_t n;

	if (size < 1)
		return 0;
	log_len = FAMFS_LOG_LEN_MIN << ((data[0] >> 1) & 7);
	if (data[0] & 0x10)
		log_len = FAMFS_LOG_LEN_MIN + 48;	/* not a power of 2 */
	n = size - 1;
	if (n < FAMFS_LOG_HDR_SIZE) {
		if (famfs_omf_log_hdr_decode(data + 1, n, log_len, &h) == 0)
			fuzz_fail("a %zu-byte log header decoded", n);
		return 0;
	}
	memcpy(buf, data + 1, sizeof(buf));
	if (data[0] & 1)
		fz_fix_hdr_crc(buf);
	if (famfs_omf_log_hdr_decode(buf, sizeof(buf), log_len, &h))
		return 0;
	nslots = famfs_log_nslots(log_len);
	if (h.len != log_len || h.last_index + 1 != nslots || h.next_index > nslots)
		fuzz_fail("accepted header len %#llx last %llu next %llu for log_len %#llx",
			  (unsigned long long)h.len, (unsigned long long)h.last_index,
			  (unsigned long long)h.next_index, (unsigned long long)log_len);
	famfs_omf_log_hdr_encode(&h, re);
	if (memcmp(re, buf, sizeof(buf)) != 0)
		fuzz_fail("re-encoded log header differs");
	return 0;
}
