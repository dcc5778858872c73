// SPDX-License-Identifier: Apache-2.0
/*
 * test_omf_rm.c - unit tests of the rm feature's on-media structures: the
 * DELETE entry (offsets, the CRC tag, what upstream's entry check makes of
 * it), the reclaim horizon in FILE padding, the superblock flag, the rm
 * block and the host record (lib/omf.c, lib/omf_rm.c).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "famfs/err.h"
#include "famfs/omf.h"
#include "famfs/omf_rm.h"
#include "err_assert.h"

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void wr64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/*
 * Upstream's famfs_validate_log_entry(), restated from its documented
 * rule (never from its code): the seqnum equals the index, and the 8-byte
 * CRC field equals the zero-extended crc32 of bytes [0, 536).
 */
static int upstream_valid(const uint8_t *e, uint64_t index)
{
	return rd64(e) == index && rd64(e + 536) == (uint64_t)famfs_crc32(e, 536);
}

static struct famfs_omf_entry del_entry(uint64_t target, uint32_t ttype, const char *path)
{
	struct famfs_omf_entry e;

	memset(&e, 0, sizeof(e));
	e.type = FAMFS_LOG_DELETE;
	e.seqnum = 9;
	e.time = 1700000000;
	e.del.target = target;
	e.del.target_type = ttype;
	strcpy(e.del.relpath, path);
	return e;
}

static void test_delete_layout(void **state)
{
	struct famfs_omf_entry e = del_entry(4, FAMFS_LOG_FILE, "dir/f"), d;
	uint8_t b[FAMFS_LOG_ENTRY_SIZE];

	famfs_omf_entry_encode(&e, b);
	assert_int_equal(rd64(b), 9);
	assert_int_equal(rd32(b + 8), 2);
	assert_int_equal(rd32(b + 12), 1700000000);
	assert_int_equal(rd64(b + 16), 4);
	assert_int_equal(rd32(b + 24), 0);
	assert_int_equal(rd32(b + 28), 0);
	assert_string_equal((const char *)b + 32, "dir/f");
	for (int i = 32 + 5; i < 536; i++)
		assert_int_equal(b[i], 0);
	/* The CRC tag above the crc32. */
	assert_int_equal(rd64(b + 536) >> 32, 0x6d72);
	assert_int_equal((uint32_t)rd64(b + 536), famfs_crc32(b, 536));

	assert_int_equal(famfs_omf_entry_decode(b, 9, &d), 0);
	assert_int_equal(d.type, FAMFS_LOG_DELETE);
	assert_int_equal(d.del.target, 4);
	assert_int_equal(d.del.target_type, FAMFS_LOG_FILE);
	assert_string_equal(d.del.relpath, "dir/f");

	/* A directory, and an implicit one (named by its path only). */
	e = del_entry(2, FAMFS_LOG_MKDIR, "dir");
	famfs_omf_entry_encode(&e, b);
	assert_int_equal(famfs_omf_entry_decode(b, 9, &d), 0);
	assert_int_equal(d.del.target_type, FAMFS_LOG_MKDIR);
	e = del_entry(FAMFS_DELETE_IMPLICIT, FAMFS_LOG_MKDIR, "old");
	famfs_omf_entry_encode(&e, b);
	assert_int_equal(famfs_omf_entry_decode(b, 9, &d), 0);
	assert_true(d.del.target == FAMFS_DELETE_IMPLICIT);
}

/* What upstream makes of our entries: every one but DELETE is valid to it. */
static void test_upstream_rule(void **state)
{
	struct famfs_omf_entry e;
	uint8_t b[FAMFS_LOG_ENTRY_SIZE];

	memset(&e, 0, sizeof(e));
	e.seqnum = 3;
	e.type = FAMFS_LOG_FILE;
	e.file.size = 1;
	strcpy(e.file.relpath, "f");
	e.file.fmap.nextents = 1;
	e.file.fmap.se[0].offset = 10 << 20;
	e.file.fmap.se[0].len = 2 << 20;
	e.file.horizon = 2;	/* our field in upstream's padding is CRC-covered */
	famfs_omf_entry_encode(&e, b);
	assert_true(upstream_valid(b, 3));

	memset(&e, 0, sizeof(e));
	e.seqnum = 3;
	e.type = FAMFS_LOG_MKDIR;
	strcpy(e.mkdir.relpath, "d");
	famfs_omf_entry_encode(&e, b);
	assert_true(upstream_valid(b, 3));

	e = del_entry(1, FAMFS_LOG_FILE, "f");
	e.seqnum = 3;
	famfs_omf_entry_encode(&e, b);
	assert_false(upstream_valid(b, 3));
	/* It is the tag alone: the crc32 below it is upstream's. */
	wr64(b + 536, rd64(b + 536) & 0xffffffffULL);
	assert_true(upstream_valid(b, 3));
}

static void test_delete_failures(void **state)
{
	struct famfs_omf_entry e = del_entry(4, FAMFS_LOG_FILE, "f"), d;
	uint8_t g[FAMFS_LOG_ENTRY_SIZE], b[FAMFS_LOG_ENTRY_SIZE];

	famfs_omf_entry_encode(&e, g);

	/* A plain CRC (upstream-style) on a DELETE, and the tag on a FILE. */
	memcpy(b, g, sizeof(b));
	wr64(b + 536, famfs_crc32(b, 536));
	assert_err(famfs_omf_entry_decode(b, 9, &d), -EBADMSG, "CRC mismatch");
	memcpy(b, g, sizeof(b));
	b[8] = FAMFS_LOG_MKDIR;		/* a type bit flip: the tag no longer fits */
	wr64(b + 536, famfs_crc32(b, 536) | 0x6d72ULL << 32);
	assert_err(famfs_omf_entry_decode(b, 9, &d), -EBADMSG, "CRC mismatch");

#define RESTAMP(buf) wr64((buf) + 536, famfs_crc32((buf), 536) | 0x6d72ULL << 32)
	memcpy(b, g, sizeof(b));
	b[24] = 3;
	RESTAMP(b);
	assert_err(famfs_omf_entry_decode(b, 9, &d), -EINVAL, "delete of type 3");
	memcpy(b, g, sizeof(b));
	wr64(b + 16, 9);		/* not an earlier entry */
	RESTAMP(b);
	assert_err(famfs_omf_entry_decode(b, 9, &d), -EINVAL, "not an earlier file");
	memcpy(b, g, sizeof(b));
	wr64(b + 16, FAMFS_DELETE_IMPLICIT);	/* only directories are implicit */
	RESTAMP(b);
	assert_err(famfs_omf_entry_decode(b, 9, &d), -EINVAL, "not an earlier file");
	memcpy(b, g, sizeof(b));
	b[28] = 1;
	RESTAMP(b);
	assert_err(famfs_omf_entry_decode(b, 9, &d), -EINVAL, "reserved word");
	memcpy(b, g, sizeof(b));
	b[300] = 1;
	RESTAMP(b);
	assert_err(famfs_omf_entry_decode(b, 9, &d), -EINVAL, "byte 300 is 0x01");
	memcpy(b, g, sizeof(b));
	memset(b + 32, 'x', 80);
	RESTAMP(b);
	assert_err(famfs_omf_entry_decode(b, 9, &d), -EINVAL, "relpath not NUL-terminated");
#undef RESTAMP
}

static void test_file_horizon(void **state)
{
	struct famfs_omf_entry e, d;
	uint8_t b[FAMFS_LOG_ENTRY_SIZE];

	memset(&e, 0, sizeof(e));
	e.type = FAMFS_LOG_FILE;
	e.file.size = 5;
	strcpy(e.file.relpath, "f");
	e.file.fmap.nextents = 1;
	e.file.fmap.se[0].offset = 10 << 20;
	e.file.fmap.se[0].len = 2 << 20;
	famfs_omf_entry_encode(&e, b);
	assert_int_equal(rd32(b + 132), 0);	/* without rm: upstream's zero padding */
	e.file.horizon = 0x12345678;
	famfs_omf_entry_encode(&e, b);
	assert_int_equal(rd32(b + 132), 0x12345678);
	assert_int_equal(rd32(b + 124), 0);
	assert_int_equal(famfs_omf_entry_decode(b, 0, &d), 0);
	assert_int_equal(d.file.horizon, 0x12345678);
	assert_int_equal(d.file.fmap.se[0].offset, 10 << 20);
}

static void test_sb_flag(void **state)
{
	struct famfs_omf_sb sb, d;
	uint8_t b[FAMFS_SB_SIZE];

	memset(&sb, 0, sizeof(sb));
	sb.magic = FAMFS_SUPER_MAGIC;
	sb.version = FAMFS_CURRENT_VERSION;
	sb.log_offset = FAMFS_LOG_OFFSET;
	sb.log_len = FAMFS_LOG_LEN_DEFAULT;
	sb.alloc_unit = FAMFS_ALLOC_UNIT;
	sb.dev_size = 1ULL << 30;
	sb.flags = FAMFS_SB_FEAT_RM;
	famfs_omf_sb_encode(&sb, b);
	assert_int_equal(rd32(b + 104), 0x100);
	assert_int_equal(famfs_omf_sb_decode(b, sizeof(b), &d), 0);
	assert_int_equal(d.flags, FAMFS_SB_FEAT_RM);
	sb.flags = FAMFS_SB_FEAT_RM | 1;
	famfs_omf_sb_encode(&sb, b);
	assert_err(famfs_omf_sb_decode(b, sizeof(b), &d), -EINVAL, "flags 0x101");
}

static const uint8_t fs_uuid[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
static const uint8_t other_uuid[16] = { 16, 15, 14 };

static void test_rm_block(void **state)
{
	struct famfs_rm_block b, d;
	uint8_t buf[FAMFS_RM_BLOCK_SIZE];

	famfs_rm_block_default(&b, 7, 1700000000);
	famfs_rm_block_encode(&b, fs_uuid, buf);
	assert_int_equal(rd32(buf), 0x6d726d66);
	assert_int_equal(rd32(buf + 4), 1);
	assert_int_equal(rd32(buf + 8), 256);
	assert_int_equal(rd32(buf + 12), 256);
	assert_int_equal(rd64(buf + 16), 65536);
	assert_int_equal(rd64(buf + 24), 7);
	assert_int_equal(rd32(buf + 32), 1700000000);
	assert_int_equal(famfs_rm_block_decode(buf, fs_uuid, &d), 0);
	assert_int_equal(d.since, 7);
	assert_int_equal(d.nslots, 256);

	/* Another file system's block never validates: the CRC has its uuid. */
	assert_err(famfs_rm_block_decode(buf, other_uuid, &d), -EBADMSG, "rm block: CRC");
	memset(buf, 0, sizeof(buf));
	assert_int_equal(famfs_rm_block_decode(buf, fs_uuid, &d), -ENOENT);
	b.nslots = 257;
	famfs_rm_block_encode(&b, fs_uuid, buf);
	assert_err(famfs_rm_block_decode(buf, fs_uuid, &d), -EINVAL, "257 slots");
}

static void test_host_rec(void **state)
{
	struct famfs_host_rec r, d;
	uint8_t buf[FAMFS_HOST_REC_SIZE];

	memset(&r, 0, sizeof(r));
	r.kind = FAMFS_HOST_FAMFSD;
	r.flags = FAMFS_HOST_FL_MASTER;
	r.nonce = 0x1122334455667788ULL;
	memset(r.host_uuid, 0xaa, 16);
	memset(r.boot_id, 0xbb, 16);
	r.pid = 4321;
	r.conn = 77;
	r.start = 999;
	r.replayed = 12;
	r.hold = 5;
	r.beat = 3;
	r.beat_time = 1700000001;
	strcpy(r.name, "a-rather-long-hostname-t");	/* 24 bytes: no NUL on media */
	r.pidns = 4026531836u;
	famfs_host_rec_encode(&r, fs_uuid, buf);
	assert_int_equal(rd32(buf), 0x74736866);
	assert_int_equal(buf[4], 1);
	assert_int_equal(buf[6], 1);
	assert_int_equal(rd64(buf + 8), 0x1122334455667788ULL);
	assert_int_equal(buf[16], 0xaa);
	assert_int_equal(buf[32], 0xbb);
	assert_int_equal(rd32(buf + 48), 4321);
	assert_int_equal(rd32(buf + 52), 77);
	assert_int_equal(rd64(buf + 56), 999);
	assert_int_equal(rd64(buf + 64), 12);
	assert_int_equal(rd64(buf + 72), 5);
	assert_int_equal(rd64(buf + 80), 3);
	assert_int_equal(rd64(buf + 88), 1700000001);
	assert_memory_equal(buf + 96, "a-rather-long-hostname-t", 24);
	assert_int_equal(rd32(buf + 120), 4026531836u);

	assert_int_equal(famfs_host_rec_decode(buf, fs_uuid, &d), 0);
	assert_int_equal(d.replayed, 12);
	assert_int_equal(d.hold, 5);
	assert_string_equal(d.name, "a-rather-long-hostname-t");
	assert_int_equal(d.pidns, 4026531836u);
	assert_int_equal(famfs_host_rec_horizon(&d), 5);
	d.hold = FAMFS_HOLD_NONE;
	assert_int_equal(famfs_host_rec_horizon(&d), 12);

	assert_int_equal(famfs_host_rec_decode(buf, other_uuid, &d), -EBADMSG);
	buf[70] ^= 1;			/* a torn or damaged record */
	assert_int_equal(famfs_host_rec_decode(buf, fs_uuid, &d), -EBADMSG);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(famfs_host_rec_decode(buf, fs_uuid, &d), -ENOENT);
	r.kind = 3;
	famfs_host_rec_encode(&r, fs_uuid, buf);
	assert_err(famfs_host_rec_decode(buf, fs_uuid, &d), -EINVAL, "kind 3");
	r.kind = FAMFS_HOST_PROCESS;
	r.nonce = 0;
	famfs_host_rec_encode(&r, fs_uuid, buf);
	assert_err(famfs_host_rec_decode(buf, fs_uuid, &d), -EINVAL, "nonce 0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_delete_layout),
		cmocka_unit_test(test_upstream_rule),
		cmocka_unit_test(test_delete_failures),
		cmocka_unit_test(test_file_horizon),
		cmocka_unit_test(test_sb_flag),
		cmocka_unit_test(test_rm_block),
		cmocka_unit_test(test_host_rec),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
