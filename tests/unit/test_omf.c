// SPDX-License-Identifier: Apache-2.0
/*
 * test_omf.c - unit tests of lib/omf.c: byte offsets, CRCs against values
 * computed independently with python's zlib.crc32, round trips, and every
 * validation failure of the decoders and famfs_omf_fmap_check().
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
#include "err_assert.h"

#define MiB (1024ULL * 1024)

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)rd64((const uint8_t[8]){ p[0], p[1], p[2], p[3] });
}

static void wr64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void wr32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Recompute the entry CRC after a test edits raw bytes. */
static void restamp(uint8_t *e)
{
	wr64(e + 536, famfs_crc32(e, 536));
}

/* ---- CRC ---- */

static void test_crc_known(void **state)
{
	uint8_t b[536];

	assert_int_equal(famfs_crc32("123456789", 9), 0xcbf43926);
	for (int i = 0; i < 536; i++)
		b[i] = (uint8_t)(i * 7 + 3);
	assert_int_equal(famfs_crc32(b, sizeof(b)), 0x95c3e416);	/* zlib.crc32 */
	assert_int_equal(famfs_crc32(b, 0), 0);
}

/* ---- superblock ---- */

static void good_sb(struct famfs_omf_sb *sb)
{
	memset(sb, 0, sizeof(*sb));
	sb->magic = FAMFS_SUPER_MAGIC;
	sb->version = FAMFS_CURRENT_VERSION;
	sb->log_offset = FAMFS_LOG_OFFSET;
	sb->log_len = FAMFS_LOG_LEN_DEFAULT;
	sb->alloc_unit = FAMFS_ALLOC_UNIT;
	sb->omf_major = 2;
	sb->omf_minor = 2;
	for (int i = 0; i < 16; i++) {
		sb->uuid[i] = (uint8_t)(0x10 + i);
		sb->dev_uuid[i] = (uint8_t)(0x20 + i);
		sb->system_uuid[i] = (uint8_t)(0x30 + i);
	}
	sb->dev_size = 4096 * MiB;
	strcpy(sb->daxdev, "/dev/dax0.0");
}

static void test_sb_offsets_and_crc(void **state)
{
	struct famfs_omf_sb sb, d;
	uint8_t b[FAMFS_SB_SIZE];

	good_sb(&sb);
	sb.crc = 0xdeadbeef;	/* ignored */
	/* Unused fields get values here only to check where they land. */
	for (int i = 0; i < 16; i++)
		sb.dd_uuid[i] = (uint8_t)(0x40 + i);
	sb.flags = 0x5a;
	memset(b, 0xaa, sizeof(b));
	famfs_omf_sb_encode(&sb, b);
	assert_int_equal(rd64(b + 0), 0x87b282ff);
	assert_int_equal(rd64(b + 8), 48);
	assert_int_equal(rd64(b + 16), 0x200000);
	assert_int_equal(rd64(b + 24), 0x800000);
	assert_int_equal(rd64(b + 32), 0x200000);
	assert_int_equal(rd32(b + 40), 2);
	assert_int_equal(rd32(b + 44), 2);
	assert_int_equal(b[48], 0x10);
	assert_int_equal(b[63], 0x1f);
	assert_int_equal(b[64], 0x20);
	assert_int_equal(b[80], 0x30);
	assert_int_equal(b[95], 0x3f);
	assert_int_equal(rd64(b + 96), 0x194a8129);	/* zlib.crc32 of [0, 96) */
	assert_int_equal(rd32(b + 104), 0x5a);
	assert_int_equal(rd32(b + 108), 0);
	assert_int_equal(rd64(b + 112), 4096 * MiB);
	assert_int_equal(b[120], 0x40);
	assert_int_equal(b[135], 0x4f);
	assert_memory_equal(b + 136, "/dev/dax0.0", 12);
	for (int i = 136 + 11; i < 200; i++)
		assert_int_equal(b[i], 0);
	/* ... and no famfs writes them: a decoder refuses them. */
	assert_int_equal(famfs_omf_sb_decode(b, sizeof(b), &d), -EINVAL);

	sb.flags = 0;
	memset(sb.dd_uuid, 0, sizeof(sb.dd_uuid));
	famfs_omf_sb_encode(&sb, b);
	assert_int_equal(famfs_omf_sb_decode(b, sizeof(b), &d), 0);
	assert_int_equal(d.crc, 0x194a8129);
	sb.crc = d.crc;
	assert_memory_equal(&sb, &d, sizeof(d));
}

static void test_sb_daxdev_64(void **state)
{
	struct famfs_omf_sb sb, d;
	uint8_t b[FAMFS_SB_SIZE];

	good_sb(&sb);
	memset(sb.daxdev, 'x', 64);
	sb.daxdev[64] = '\0';
	famfs_omf_sb_encode(&sb, b);
	assert_null(memchr(b + 136, 0, 64));
	assert_int_equal(famfs_omf_sb_decode(b, sizeof(b), &d), 0);
	assert_int_equal(strlen(d.daxdev), 64);
}

/* Encode @sb (CRC stamped) and expect decode to fail. */
static int sb_try(const struct famfs_omf_sb *sb)
{
	struct famfs_omf_sb d;
	uint8_t b[FAMFS_SB_SIZE];

	famfs_omf_sb_encode(sb, b);
	return famfs_omf_sb_decode(b, sizeof(b), &d);
}

static void test_sb_failures(void **state)
{
	struct famfs_omf_sb sb, d;
	uint8_t b[FAMFS_SB_SIZE];

	good_sb(&sb);
	famfs_omf_sb_encode(&sb, b);
	assert_err(famfs_omf_sb_decode(b, 199, &d), -EINVAL, "199 bytes");

	good_sb(&sb);
	sb.magic = 0x1234;
	assert_err(sb_try(&sb), -EINVAL, "bad magic 0x1234 (expected 0x87b282ff)");
	good_sb(&sb);
	sb.version = 47;
	assert_err(sb_try(&sb), -EPROTONOSUPPORT, "version 47, need 48");

	good_sb(&sb);
	famfs_omf_sb_encode(&sb, b);
	b[50] ^= 1;
	assert_err(famfs_omf_sb_decode(b, sizeof(b), &d), -EBADMSG, "CRC mismatch");
	famfs_omf_sb_encode(&sb, b);
	wr64(b + 96, rd64(b + 96) | (1ULL << 40));	/* high bits must be zero */
	assert_err(famfs_omf_sb_decode(b, sizeof(b), &d), -EBADMSG, "CRC mismatch");

	good_sb(&sb);
	sb.alloc_unit = 8192;
	assert_err(sb_try(&sb), -EINVAL, "alloc_unit");
	good_sb(&sb);
	sb.log_offset = 4 * MiB;
	assert_err(sb_try(&sb), -EINVAL, "log_offset");
	good_sb(&sb);
	sb.log_len = 12 * MiB;
	assert_err(sb_try(&sb), -EINVAL, "log_len");
	good_sb(&sb);
	sb.log_len = 4 * MiB;
	assert_err(sb_try(&sb), -EINVAL, "log_len");
	good_sb(&sb);
	sb.log_len = 0;
	assert_err(sb_try(&sb), -EINVAL, "log_len");
	good_sb(&sb);
	sb.dev_size = 0;
	assert_err(sb_try(&sb), -EINVAL, "dev_size");
	good_sb(&sb);
	sb.dev_size = 4096 * MiB + 4096;
	assert_err(sb_try(&sb), -EINVAL, "dev_size");
	good_sb(&sb);
	sb.dev_size = 10 * MiB;	/* == log end */
	assert_err(sb_try(&sb), -EINVAL, "dev_size");

	/* Past the CRC: what no writer leaves there. */
	good_sb(&sb);
	sb.flags = 4;
	assert_err(sb_try(&sb), -EINVAL, "flags 0x4");
	good_sb(&sb);
	sb.flags = FAMFS_SB_FLAG_PRIMARY | FAMFS_SB_FLAG_SECONDARY;
	assert_err(sb_try(&sb), -EINVAL, "flags 0x3");
	good_sb(&sb);
	sb.dd_uuid[9] = 0x02;
	assert_err(sb_try(&sb), -EINVAL, "dd_uuid byte 9");
	good_sb(&sb);
	sb.daxdev[3] = 0x7f;
	assert_err(sb_try(&sb), -EINVAL, "device path byte 3");
	good_sb(&sb);
	famfs_omf_sb_encode(&sb, b);
	b[136 + 20] = 'x';	/* past the path's NUL: padding */
	assert_err(famfs_omf_sb_decode(b, sizeof(b), &d), -EINVAL, "padding byte 20");

	/* Accepted variants: 4 KiB alloc unit, 16 MiB log, smallest device. */
	good_sb(&sb);
	sb.alloc_unit = 4096;
	sb.dev_size = 10 * MiB + 4096;
	assert_int_equal(sb_try(&sb), 0);
	good_sb(&sb);
	sb.log_len = 16 * MiB;
	assert_int_equal(sb_try(&sb), 0);
}

/* ---- log header ---- */

static void test_log_hdr(void **state)
{
	struct famfs_omf_log_hdr h = {
		.magic = FAMFS_LOG_MAGIC, .len = 8 * MiB, .last_index = 15419,
		.crc = 1, .next_seqnum = 77, .next_index = 15420,
	}, d;
	uint8_t b[FAMFS_LOG_HDR_SIZE];

	assert_int_equal(famfs_log_nslots(8 * MiB), 15420);
	assert_int_equal(famfs_log_nslots(16 * MiB), 30840);
	assert_int_equal(famfs_log_nslots(10), 0);
	memset(b, 0xaa, sizeof(b));
	famfs_omf_log_hdr_encode(&h, b);
	assert_int_equal(rd64(b + 0), 0xbadcafef00dULL);
	assert_int_equal(rd64(b + 8), 8 * MiB);
	assert_int_equal(rd64(b + 16), 15419);
	assert_int_equal(rd64(b + 24), 0xa5875078);	/* zlib.crc32 of [0, 24) */
	assert_int_equal(rd64(b + 32), 77);
	assert_int_equal(rd64(b + 40), 15420);
	assert_int_equal(famfs_omf_log_hdr_decode(b, sizeof(b), 8 * MiB, &d), 0);
	h.crc = 0xa5875078;
	assert_memory_equal(&h, &d, sizeof(d));

	/* next_seqnum is not covered or checked */
	wr64(b + 32, 5);
	assert_int_equal(famfs_omf_log_hdr_decode(b, sizeof(b), 8 * MiB, &d), 0);

	assert_err(famfs_omf_log_hdr_decode(b, 47, 8 * MiB, &d), -EINVAL, "47 bytes");
	assert_err(famfs_omf_log_hdr_decode(b, sizeof(b), 16 * MiB, &d), -EINVAL,
		   "log_len");
	wr64(b + 40, 15421);
	assert_err(famfs_omf_log_hdr_decode(b, sizeof(b), 8 * MiB, &d), -EINVAL, "next_index");
	famfs_omf_log_hdr_encode(&h, b);
	b[9] ^= 1;
	assert_err(famfs_omf_log_hdr_decode(b, sizeof(b), 8 * MiB, &d), -EBADMSG,
		   "CRC mismatch");
	h.magic = 0xbadcafef00eULL;
	famfs_omf_log_hdr_encode(&h, b);
	assert_err(famfs_omf_log_hdr_decode(b, sizeof(b), 8 * MiB, &d), -EINVAL, "bad magic");
	h.magic = FAMFS_LOG_MAGIC;
	h.last_index = 15420;
	famfs_omf_log_hdr_encode(&h, b);
	assert_err(famfs_omf_log_hdr_decode(b, sizeof(b), 8 * MiB, &d), -EINVAL, "last_index");
}

/* ---- log entries ---- */

static void file_entry(struct famfs_omf_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->seqnum = 12;
	e->type = FAMFS_LOG_FILE;
	e->file.size = 0x123456;
	e->file.flags = FAMFS_FM_ALL_HOSTS_RW;
	e->file.uid = 1000;
	e->file.gid = 1001;
	e->file.mode = 0644;
	strcpy(e->file.relpath, "dir/file");
	e->file.fmap.ext_type = FAMFS_EXT_SIMPLE;
	e->file.fmap.nextents = 2;
	e->file.fmap.se[0] = (struct famfs_omf_extent){ 0, 0xa00000, 0x200000 };
	e->file.fmap.se[1] = (struct famfs_omf_extent){ 0, 0xe00000, 0x400000 };
}

static void ileave_entry(struct famfs_omf_entry *e)
{
	struct famfs_omf_fmap *m = &e->file.fmap;

	file_entry(e);
	memset(m, 0, sizeof(*m));
	m->ext_type = FAMFS_EXT_INTERLEAVE;
	m->nextents = 1;
	m->nstrips = 16;
	m->chunk_size = 2 * MiB;
	for (int i = 0; i < 16; i++)
		m->strips[i] = (struct famfs_omf_extent){ 0, (10 + 2 * i) * MiB, 2 * MiB };
}

static void test_entry_file_simple(void **state)
{
	struct famfs_omf_entry e, d;
	uint8_t b[FAMFS_LOG_ENTRY_SIZE];

	file_entry(&e);
	memset(b, 0xaa, sizeof(b));
	famfs_omf_entry_encode(&e, b);
	assert_int_equal(rd64(b + 0), 12);
	assert_int_equal(rd32(b + 8), 0);
	assert_int_equal(rd32(b + 12), 0);		/* padding zeroed */
	assert_int_equal(rd64(b + 16), 0x123456);
	assert_int_equal(rd32(b + 24), 2);
	assert_int_equal(rd32(b + 28), 1000);
	assert_int_equal(rd32(b + 32), 1001);
	assert_int_equal(rd32(b + 36), 0644);
	assert_memory_equal(b + 40, "dir/file", 9);
	assert_int_equal(rd32(b + 120), 0);
	assert_int_equal(rd32(b + 124), 0);
	assert_int_equal(rd32(b + 128), 2);
	assert_int_equal(rd32(b + 132), 0);
	assert_int_equal(rd64(b + 136), 0);
	assert_int_equal(rd64(b + 144), 0xa00000);
	assert_int_equal(rd64(b + 152), 0x200000);
	assert_int_equal(rd64(b + 168), 0xe00000);
	assert_int_equal(rd64(b + 176), 0x400000);
	for (int i = 184; i < 536; i++)
		assert_int_equal(b[i], 0);
	assert_int_equal(rd64(b + 536), 0x3a79746d);	/* zlib.crc32 of [0, 536) */

	assert_int_equal(famfs_omf_entry_decode(b, 12, &d), 0);
	assert_int_equal(d.crc, 0x3a79746d);
	e.crc = d.crc;
	assert_memory_equal(&e, &d, sizeof(d));
}

static void test_entry_file_interleave(void **state)
{
	struct famfs_omf_entry e, d;
	uint8_t b[FAMFS_LOG_ENTRY_SIZE];

	ileave_entry(&e);
	famfs_omf_entry_encode(&e, b);
	assert_int_equal(rd32(b + 120), 1);
	assert_int_equal(rd32(b + 128), 1);
	assert_int_equal(rd64(b + 136), 16);
	assert_int_equal(rd64(b + 144), 2 * MiB);
	assert_int_equal(rd64(b + 152), 0);
	assert_int_equal(rd64(b + 160), 10 * MiB);
	assert_int_equal(rd64(b + 168), 2 * MiB);
	assert_int_equal(rd64(b + 152 + 15 * 24 + 8), 40 * MiB);
	assert_int_equal(rd64(b + 536), famfs_crc32(b, 536));
	assert_int_equal(famfs_omf_entry_decode(b, 12, &d), 0);
	e.crc = d.crc;
	assert_memory_equal(&e, &d, sizeof(d));
}

static void test_entry_mkdir_daxdev(void **state)
{
	struct famfs_omf_entry e, d;
	uint8_t b[FAMFS_LOG_ENTRY_SIZE];

	memset(&e, 0, sizeof(e));
	e.seqnum = 3;
	e.type = FAMFS_LOG_MKDIR;
	e.mkdir.uid = 11;
	e.mkdir.gid = 22;
	e.mkdir.mode = 0755;
	strcpy(e.mkdir.relpath, "a/b");
	famfs_omf_entry_encode(&e, b);
	assert_int_equal(rd32(b + 8), 1);
	assert_int_equal(rd32(b + 16), 11);
	assert_int_equal(rd32(b + 20), 22);
	assert_int_equal(rd32(b + 24), 0755);
	assert_memory_equal(b + 28, "a/b", 4);
	assert_int_equal(famfs_omf_entry_decode(b, 3, &d), 0);
	e.crc = d.crc;
	assert_memory_equal(&e, &d, sizeof(d));

	memset(&e, 0, sizeof(e));
	e.seqnum = 4;
	e.type = FAMFS_LOG_ADD_DAXDEV;
	e.daxdev.size = 0x123400000ULL;
	for (int i = 0; i < 16; i++)
		e.daxdev.uuid[i] = (uint8_t)(0xc0 + i);
	e.daxdev.index = 7;
	famfs_omf_entry_encode(&e, b);
	assert_int_equal(rd32(b + 8), 3);
	assert_int_equal(rd64(b + 16), 0x123400000ULL);
	assert_int_equal(b[24], 0xc0);
	assert_int_equal(b[39], 0xcf);
	assert_int_equal(rd32(b + 40), 7);
	assert_int_equal(famfs_omf_entry_decode(b, 4, &d), 0);
	e.crc = d.crc;
	assert_memory_equal(&e, &d, sizeof(d));
}

/*
 * The entry time fills upstream's padding at offset 12, inside the CRC; an
 * upstream entry (zero padding) has time 0. The log tail sits after the last
 * slot of every power-of-2 log and is bound to the file system's uuid.
 */
static void test_entry_time_and_tail(void **state)
{
	uint8_t b[FAMFS_LOG_ENTRY_SIZE], t[FAMFS_LOG_TAIL_SIZE], cat[28];
	uint8_t uuid[16], other[16];
	struct famfs_omf_entry e, d;
	uint64_t len, off;
	uint32_t mt;

	memset(&e, 0, sizeof(e));
	e.seqnum = 5;
	e.type = FAMFS_LOG_MKDIR;
	e.time = 0x6a5b4c3d;
	e.mkdir.mode = 0755;
	strcpy(e.mkdir.relpath, "d");
	famfs_omf_entry_encode(&e, b);
	assert_int_equal(rd32(b + 8), 1);
	assert_int_equal(rd32(b + 12), 0x6a5b4c3d);
	assert_int_equal(rd64(b + 536), famfs_crc32(b, 536));
	assert_int_equal(famfs_omf_entry_decode(b, 5, &d), 0);
	assert_int_equal(d.time, 0x6a5b4c3d);
	b[13] ^= 1;
	assert_int_equal(famfs_omf_entry_decode(b, 5, &d), -EBADMSG);
	e.time = 0;
	famfs_omf_entry_encode(&e, b);
	assert_int_equal(rd32(b + 12), 0);
	assert_int_equal(famfs_omf_entry_decode(b, 5, &d), 0);
	assert_int_equal(d.time, 0);

	for (len = FAMFS_LOG_LEN_MIN; len <= (1ULL << 50); len <<= 1) {
		off = famfs_log_tail_off(len);
		assert_true(off >= FAMFS_LOG_HDR_SIZE + famfs_log_nslots(len) * FAMFS_LOG_ENTRY_SIZE);
		assert_int_equal(off + FAMFS_LOG_TAIL_SIZE, len);
	}
	assert_int_equal(famfs_log_tail_off(FAMFS_LOG_HDR_SIZE + 3 * FAMFS_LOG_ENTRY_SIZE + 15), 0);

	for (int i = 0; i < 16; i++) {
		uuid[i] = (uint8_t)(0x10 + i);
		other[i] = (uint8_t)(0x10 + i);
	}
	other[15] ^= 0x80;
	famfs_omf_log_tail_encode(uuid, 1790000000U, t);
	assert_int_equal(rd32(t), FAMFS_LOG_TAIL_MAGIC);
	assert_int_equal(rd32(t + 4), 1790000000U);
	assert_int_equal(rd32(t + 8), 0);
	memcpy(cat, uuid, 16);
	memcpy(cat + 16, t, 12);
	assert_int_equal(rd32(t + 12), famfs_crc32(cat, sizeof(cat)));
	assert_int_equal(famfs_omf_log_tail_decode(t, uuid, &mt), 0);
	assert_int_equal(mt, 1790000000U);
	/* Left by an earlier file system, or damaged. */
	assert_int_equal(famfs_omf_log_tail_decode(t, other, &mt), -EBADMSG);
	assert_int_equal(mt, 0);
	t[5] ^= 1;
	assert_int_equal(famfs_omf_log_tail_decode(t, uuid, &mt), -EBADMSG);
	t[5] ^= 1;
	wr32(t + 8, 1);
	memcpy(cat + 16, t, 12);
	wr32(t + 12, famfs_crc32(cat, sizeof(cat)));
	assert_int_equal(famfs_omf_log_tail_decode(t, uuid, &mt), -EINVAL);
	/* Upstream's mkfs zeroes the log: no tail. */
	memset(t, 0, sizeof(t));
	assert_int_equal(famfs_omf_log_tail_decode(t, uuid, &mt), -ENOENT);
}

static void test_entry_failures(void **state)
{
	struct famfs_omf_entry e, d;
	uint8_t b[FAMFS_LOG_ENTRY_SIZE], g[FAMFS_LOG_ENTRY_SIZE];

	file_entry(&e);
	famfs_omf_entry_encode(&e, g);

	memcpy(b, g, sizeof(b));
	b[13] = 1;		/* padding is CRC-covered */
	assert_err(famfs_omf_entry_decode(b, 12, &d), -EBADMSG,
		   "log entry 12: CRC mismatch (stored 0x3a79746d, computed 0x");
	memcpy(b, g, sizeof(b));
	wr64(b + 536, rd64(b + 536) | (1ULL << 33));
	assert_err(famfs_omf_entry_decode(b, 12, &d), -EBADMSG, "unknown tag");
	assert_err(famfs_omf_entry_decode(g, 13, &d), -EBADMSG,
		   "log entry 13: seqnum 12 != index");

	memcpy(b, g, sizeof(b));
	wr32(b + 8, FAMFS_LOG_DELETE);	/* a plain CRC: not one we wrote (test_omf_rm.c) */
	restamp(b);
	assert_err(famfs_omf_entry_decode(b, 12, &d), -EBADMSG, "log entry 12: CRC mismatch");
	wr32(b + 8, FAMFS_LOG_INVALID);
	restamp(b);
	assert_err(famfs_omf_entry_decode(b, 12, &d), -EINVAL, "type INVALID not supported");
	wr32(b + 8, 99);
	restamp(b);
	assert_err(famfs_omf_entry_decode(b, 12, &d), -EINVAL, "not supported (99)");

	memcpy(b, g, sizeof(b));
	memset(b + 40, 'p', 80);
	restamp(b);
	assert_err(famfs_omf_entry_decode(b, 12, &d), -EINVAL,
		   "log entry 12: relpath not NUL-terminated");
	b[119] = 0;	/* 79 chars + NUL is fine */
	restamp(b);
	assert_int_equal(famfs_omf_entry_decode(b, 12, &d), 0);
	assert_int_equal(strlen(d.file.relpath), 79);

	memcpy(b, g, sizeof(b));
	wr32(b + 120, 2);
	restamp(b);
	assert_err(famfs_omf_entry_decode(b, 12, &d), -EINVAL, "ext_type 2");

	memcpy(b, g, sizeof(b));
	wr32(b + 128, 17);
	restamp(b);
	assert_err(famfs_omf_entry_decode(b, 12, &d), -EINVAL,
		   "log entry 12: 17 simple extents (max 16)");
	wr32(b + 128, 0);
	restamp(b);
	assert_err(famfs_omf_entry_decode(b, 12, &d), -EINVAL, "0 simple extents");

	ileave_entry(&e);
	famfs_omf_entry_encode(&e, g);
	memcpy(b, g, sizeof(b));
	wr32(b + 128, 2);
	restamp(b);
	assert_err(famfs_omf_entry_decode(b, 12, &d), -EINVAL, "2 interleaved extents");
	memcpy(b, g, sizeof(b));
	wr64(b + 136, 0);
	restamp(b);
	assert_err(famfs_omf_entry_decode(b, 12, &d), -EINVAL, "nstrips 0");
	wr64(b + 136, 17);
	restamp(b);
	assert_err(famfs_omf_entry_decode(b, 12, &d), -EINVAL, "nstrips 17");
	memcpy(b, g, sizeof(b));
	wr64(b + 144, 3 * MiB);
	restamp(b);
	assert_err(famfs_omf_entry_decode(b, 12, &d), -EINVAL, "chunk_size 0x300000");
	wr64(b + 144, 1 * MiB);
	restamp(b);
	assert_err(famfs_omf_entry_decode(b, 12, &d), -EINVAL, "chunk_size 0x100000");
	wr64(b + 144, 0);
	restamp(b);
	assert_err(famfs_omf_entry_decode(b, 12, &d), -EINVAL, "chunk_size 0x0");
	wr64(b + 144, 64 * MiB);
	restamp(b);
	assert_int_equal(famfs_omf_entry_decode(b, 12, &d), 0);

	memset(&e, 0, sizeof(e));
	e.seqnum = 0;
	e.type = FAMFS_LOG_MKDIR;
	strcpy(e.mkdir.relpath, "d");
	famfs_omf_entry_encode(&e, b);
	memset(b + 28, 'q', 80);
	restamp(b);
	assert_err(famfs_omf_entry_decode(b, 0, &d), -EINVAL,
		   "log entry 0: relpath not NUL-terminated");
}

/* ---- fmap against the device ---- */

static void test_fmap_check(void **state)
{
	struct famfs_omf_entry e;
	struct famfs_omf_fmap *m = &e.file.fmap;
	const uint64_t au = 2 * MiB, ds = 10 * MiB, dev = 64 * MiB;

	file_entry(&e);		/* extents 2 MiB + 4 MiB at 10 MiB and 14 MiB */
	assert_int_equal(famfs_omf_fmap_check(m, 6 * MiB, au, ds, dev), 0);
	assert_int_equal(famfs_omf_fmap_check(m, 0x123456, 4096, ds, dev), 0);
	assert_err(famfs_omf_fmap_check(m, 6 * MiB + 1, au, ds, dev), -EINVAL, "cover");
	m->se[1].devindex = 1;
	assert_err(famfs_omf_fmap_check(m, 1, au, ds, dev), -EINVAL, "extent 1: devindex 1");
	file_entry(&e);
	m->se[0].offset += 4096;
	assert_err(famfs_omf_fmap_check(m, 1, au, ds, dev), -EINVAL, "not aligned");
	assert_int_equal(famfs_omf_fmap_check(m, 1, 4096, ds, dev), 0);
	file_entry(&e);
	m->se[1].len = 3 * MiB;
	assert_err(famfs_omf_fmap_check(m, 1, au, ds, dev), -EINVAL, "extent 1: offset");
	m->se[1].len = 0;
	assert_err(famfs_omf_fmap_check(m, 1, au, ds, dev), -EINVAL, "zero length");
	file_entry(&e);
	m->se[0].offset = 8 * MiB;	/* inside the log */
	assert_err(famfs_omf_fmap_check(m, 1, au, ds, dev), -ERANGE, "outside");
	file_entry(&e);
	m->se[1].offset = 62 * MiB;	/* runs 2 MiB past the end */
	assert_err(famfs_omf_fmap_check(m, 1, au, ds, dev), -ERANGE, "extent 1");
	m->se[1].offset = 64 * MiB;
	assert_err(famfs_omf_fmap_check(m, 1, au, ds, dev), -ERANGE, "outside");
	m->se[1].offset = UINT64_MAX - 2 * MiB + 1;
	assert_err(famfs_omf_fmap_check(m, 1, 1, ds, dev), -ERANGE, "outside");
	file_entry(&e);
	m->nextents = 17;
	assert_err(famfs_omf_fmap_check(m, 1, au, ds, dev), -EINVAL, "17 simple extents");
	m->ext_type = 5;
	assert_err(famfs_omf_fmap_check(m, 1, au, ds, dev), -EINVAL, "ext_type 5");

	ileave_entry(&e);	/* 16 x 2 MiB strips from 10 MiB to 42 MiB */
	assert_int_equal(famfs_omf_fmap_check(m, 32 * MiB, au, ds, dev), 0);
	assert_err(famfs_omf_fmap_check(m, 32 * MiB + 1, au, ds, dev), -EINVAL, "cover");
	m->strips[5].len = 4 * MiB;
	assert_err(famfs_omf_fmap_check(m, 1, au, ds, dev), -EINVAL, "strip 5: len");
	ileave_entry(&e);
	m->strips[3].devindex = 2;
	assert_err(famfs_omf_fmap_check(m, 1, au, ds, dev), -EINVAL, "strip 3: devindex 2");
	ileave_entry(&e);
	m->strips[15].offset = 63 * MiB;
	assert_err(famfs_omf_fmap_check(m, 1, 1, ds, dev), -ERANGE, "strip 15");
	ileave_entry(&e);
	m->nstrips = 17;
	assert_err(famfs_omf_fmap_check(m, 1, au, ds, dev), -EINVAL, "nstrips 17");
	ileave_entry(&e);
	m->chunk_size = 6 * MiB;
	assert_err(famfs_omf_fmap_check(m, 1, au, ds, dev), -EINVAL, "chunk_size");
	ileave_entry(&e);
	m->nextents = 2;
	assert_err(famfs_omf_fmap_check(m, 1, au, ds, dev), -EINVAL, "interleaved extents");
	ileave_entry(&e);
	assert_err(famfs_omf_fmap_check(m, 1, 0, ds, dev), -EINVAL, "alloc_unit");
	/* extents and strips of one file never share memory */
	file_entry(&e);
	m->se[1].offset = m->se[0].offset;
	assert_err(famfs_omf_fmap_check(m, 1, au, ds, dev), -EINVAL, "extent 0 and extent 1 overlap");
	ileave_entry(&e);
	m->strips[7].offset = m->strips[2].offset;
	assert_err(famfs_omf_fmap_check(m, 1, au, ds, dev), -EINVAL, "strip 2 and strip 7 overlap");
	/*
	 * Every chunk below the file size inside its strip (issue 18): 16
	 * strips of 2 MiB add up to 32 MiB, but with 8 MiB chunks chunk 0
	 * runs 6 MiB past strip 0, into memory another file may get.
	 */
	ileave_entry(&e);
	m->chunk_size = 8 * MiB;
	assert_err(famfs_omf_fmap_check(m, 32 * MiB, au, ds, dev), -EINVAL,
		   "strip length 0x200000 is not a multiple of the chunk size 0x800000");
	assert_err(famfs_omf_fmap_check(m, 1, au, ds, dev), -EINVAL, "not a multiple");
	m->nstrips = 4;		/* 4 strips of 8 MiB: fine */
	for (int i = 0; i < 4; i++)
		m->strips[i] = (struct famfs_omf_extent){ 0, (10 + 8 * i) * MiB, 8 * MiB };
	assert_int_equal(famfs_omf_fmap_check(m, 32 * MiB, au, ds, dev), 0);
	for (int i = 0; i < 4; i++)
		m->strips[i] = (struct famfs_omf_extent){ 0, (10 + 12 * i) * MiB, 12 * MiB };
	assert_err(famfs_omf_fmap_check(m, 32 * MiB, au, ds, dev), -EINVAL, "not a multiple");
	/* what the V10 wire cannot carry */
	ileave_entry(&e);
	assert_err(famfs_omf_fmap_check(m, 0, au, ds, dev), -EINVAL, "size 0");
	m->chunk_size = 1ULL << 32;
	assert_err(famfs_omf_fmap_check(m, 1, au, ds, dev), -EINVAL, "32-bit");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc_known),
		cmocka_unit_test(test_sb_offsets_and_crc),
		cmocka_unit_test(test_sb_daxdev_64),
		cmocka_unit_test(test_sb_failures),
		cmocka_unit_test(test_log_hdr),
		cmocka_unit_test(test_entry_file_simple),
		cmocka_unit_test(test_entry_file_interleave),
		cmocka_unit_test(test_entry_mkdir_daxdev),
		cmocka_unit_test(test_entry_time_and_tail),
		cmocka_unit_test(test_entry_failures),
		cmocka_unit_test(test_fmap_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
