// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_sb.c - libFuzzer harness for the superblock decoder.
 *
 * Input: byte 0 is a mode (bit 0: store a valid CRC first, so the checks
 * behind the CRC are reached), the rest is the raw superblock region.
 * Invariants: a decoded superblock re-encodes to a buffer that decodes to
 * the same fields, and to the same bytes over the CRC-covered range.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "famfs/omf.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t buf[FAMFS_SB_SIZE], re[FAMFS_SB_SIZE];
	struct famfs_omf_sb sb, sb2;
	size_t n;

	if (size < 1)
		return 0;
	n = size - 1;
	/* Decode the caller's exact length too: short buffers must be refused. */
	if (n < FAMFS_SB_SIZE) {
		if (famfs_omf_sb_decode(data + 1, n, &sb) == 0)
			fuzz_fail("a %zu-byte superblock decoded", n);
		return 0;
	}
	memcpy(buf, data + 1, FAMFS_SB_SIZE);
	if (data[0] & 1)
		fz_fix_sb_crc(buf);
	if (famfs_omf_sb_decode(buf, sizeof(buf), &sb))
		return 0;
	if (sb.magic != FAMFS_SUPER_MAGIC || sb.version != FAMFS_CURRENT_VERSION)
		fuzz_fail("decoded a superblock with magic %#llx version %llu",
			  (unsigned long long)sb.magic, (unsigned long long)sb.version);
	if (sb.dev_size <= famfs_omf_sb_data_start(&sb) || sb.dev_size % sb.alloc_unit)
		fuzz_fail("decoded a superblock with dev_size %#llx",
			  (unsigned long long)sb.dev_size);
	if (strlen(sb.daxdev) > FAMFS_DAXDEV_PATH_LEN)
		fuzz_fail("daxdev path not terminated");
	famfs_omf_sb_encode(&sb, re);
	if (memcmp(re, buf, 96) != 0)
		fuzz_fail("re-encoded superblock differs in [0, 96)");
	if (famfs_omf_sb_decode(re, sizeof(re), &sb2))
		fuzz_fail("re-encoded superblock does not decode");
	if (sb.dev_size != sb2.dev_size || sb.flags != sb2.flags || sb.log_len != sb2.log_len ||
	    sb.alloc_unit != sb2.alloc_unit || sb.omf_major != sb2.omf_major ||
	    sb.omf_minor != sb2.omf_minor || memcmp(sb.uuid, sb2.uuid, 16) ||
	    memcmp(sb.system_uuid, sb2.system_uuid, 16) || memcmp(sb.dd_uuid, sb2.dd_uuid, 16) ||
	    strcmp(sb.daxdev, sb2.daxdev))
		fuzz_fail("re-encoded superblock decodes to different fields");
	return 0;
}
