// SPDX-License-Identifier: Apache-2.0
/*
 * test_omf_multidev.c - the multi-device format: secondary superblocks, the
 * CRC tag of FILE entries with extents on devices other than 0 (and what a
 * reader that checks the CRC as upstream does makes of it), ADD_DAXDEV
 * entries, file maps checked against several devices, and the device
 * table's rules (famfs_devtab_add, upstream's famfs_daxdev_table_add).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <zlib.h>
#include <cmocka.h>

#include "famfs/devtab.h"
#include "famfs/err.h"
#include "famfs/le.h"
#include "famfs/omf.h"
#include "err_assert.h"

#define MiB (1024ULL * 1024)
#define GiB (1024 * MiB)

static void primary_sb(struct famfs_omf_sb *sb)
{
	memset(sb, 0, sizeof(*sb));
	sb->magic = FAMFS_SUPER_MAGIC;
	sb->version = FAMFS_CURRENT_VERSION;
	sb->log_offset = FAMFS_LOG_OFFSET;
	sb->log_len = FAMFS_LOG_LEN_DEFAULT;
	sb->alloc_unit = FAMFS_ALLOC_UNIT;
	sb->omf_major = 2;
	sb->omf_minor = 2;
	memset(sb->uuid, 0x11, 16);
	memset(sb->dev_uuid, 0x22, 16);
	memset(sb->system_uuid, 0x33, 16);
	sb->dev_size = 4 * GiB;
	strcpy(sb->daxdev, "/dev/dax0.0");
}

static void secondary_sb(struct famfs_omf_sb *sb)
{
	primary_sb(sb);
	sb->log_offset = 0;
	sb->log_len = 0;
	sb->flags = FAMFS_SB_FLAG_SECONDARY;
	memset(sb->dev_uuid, 0x44, 16);
	sb->dev_size = 2 * GiB;
	strcpy(sb->daxdev, "/dev/dax1.0");
}

static int sb_try(const struct famfs_omf_sb *sb, struct famfs_omf_sb *d)
{
	uint8_t b[FAMFS_SB_SIZE];

	famfs_omf_sb_encode(sb, b);
	return famfs_omf_sb_decode(b, sizeof(b), d);
}

static void test_secondary_sb(void **state)
{
	struct famfs_omf_sb sb, d;
	uint8_t b[FAMFS_SB_SIZE];

	(void)state;
	secondary_sb(&sb);
	famfs_omf_sb_encode(&sb, b);
	/* The flag lives at offset 104, outside the CRC, as upstream's ts_sb_flags. */
	assert_int_equal(famfs_get_le32(b + 104), FAMFS_SB_FLAG_SECONDARY);
	assert_int_equal(famfs_get_le64(b + 16), 0);	/* no log */
	assert_int_equal(famfs_get_le64(b + 24), 0);
	assert_int_equal(famfs_get_le64(b + 96), crc32(0, b, 96));
	assert_int_equal(sb_try(&sb, &d), 0);
	assert_true(famfs_omf_sb_is_secondary(&d));
	assert_int_equal(famfs_omf_sb_data_start(&d), 2 * MiB);
	assert_memory_equal(d.uuid, sb.uuid, 16);
	assert_memory_equal(d.dev_uuid, sb.dev_uuid, 16);

	/* A primary's data starts past its log, and it is no secondary. */
	primary_sb(&sb);
	assert_int_equal(sb_try(&sb, &d), 0);
	assert_false(famfs_omf_sb_is_secondary(&d));
	assert_int_equal(famfs_omf_sb_data_start(&d), 10 * MiB);
	sb.flags = FAMFS_SB_FLAG_PRIMARY;	/* upstream's, accepted */
	assert_int_equal(sb_try(&sb, &d), 0);
	assert_false(famfs_omf_sb_is_secondary(&d));

	/* A secondary has no log; a primary must have one. */
	secondary_sb(&sb);
	sb.log_len = FAMFS_LOG_LEN_DEFAULT;
	assert_err(sb_try(&sb, &d), -EINVAL, "secondary device with log");
	secondary_sb(&sb);
	sb.log_offset = FAMFS_LOG_OFFSET;
	assert_err(sb_try(&sb, &d), -EINVAL, "secondary device with log");
	primary_sb(&sb);
	sb.log_offset = 0;
	sb.log_len = 0;
	assert_err(sb_try(&sb, &d), -EINVAL, "log_offset");
	secondary_sb(&sb);
	sb.dev_size = 2 * MiB;		/* no room for data */
	assert_err(sb_try(&sb, &d), -EINVAL, "dev_size");
	secondary_sb(&sb);
	sb.flags = FAMFS_SB_FLAG_SECONDARY | 0x10;
	assert_err(sb_try(&sb, &d), -EINVAL, "flags 0x12");
}

static void file_on(struct famfs_omf_entry *e, uint64_t dev1)
{
	memset(e, 0, sizeof(*e));
	e->seqnum = 7;
	e->type = FAMFS_LOG_FILE;
	e->file.size = 8 * MiB;
	e->file.flags = FAMFS_FM_ALL_HOSTS_RW;
	e->file.mode = 0644;
	strcpy(e->file.relpath, "striped");
	e->file.fmap.ext_type = FAMFS_EXT_INTERLEAVE;
	e->file.fmap.nextents = 1;
	e->file.fmap.nstrips = 2;
	e->file.fmap.chunk_size = 2 * MiB;
	e->file.fmap.strips[0] = (struct famfs_omf_extent){ 0, 10 * MiB, 4 * MiB };
	e->file.fmap.strips[1] = (struct famfs_omf_extent){ dev1, 2 * MiB, 4 * MiB };
}

/* What upstream's reader checks: seqnum, and the zero-extended crc32 of [0, 536). */
static int upstream_valid(const uint8_t *b, uint64_t index)
{
	return famfs_get_le64(b) == index && famfs_get_le64(b + 536) == crc32(0, b, 536);
}

static void test_multidev_crc_tag(void **state)
{
	struct famfs_omf_entry e, d;
	uint8_t b[FAMFS_LOG_ENTRY_SIZE];

	(void)state;
	/* Everything on device 0: the plain CRC, exactly as before. */
	file_on(&e, 0);
	famfs_omf_entry_encode(&e, b);
	assert_int_equal(famfs_get_le64(b + 536) >> 32, 0);
	assert_true(upstream_valid(b, 7));
	assert_int_equal(famfs_omf_entry_decode(b, 7, &d), 0);

	/* A strip on device 1: tagged, so upstream's check refuses the entry. */
	file_on(&e, 1);
	famfs_omf_entry_encode(&e, b);
	assert_int_equal(famfs_get_le64(b + 536) >> 32, FAMFS_MULTIDEV_CRC_TAG);
	assert_int_equal((uint32_t)famfs_get_le64(b + 536), crc32(0, b, 536));
	assert_false(upstream_valid(b, 7));
	assert_int_equal(famfs_omf_entry_decode(b, 7, &d), 0);
	assert_int_equal(d.file.fmap.strips[1].devindex, 1);
	assert_true(famfs_omf_fmap_multidev(&d.file.fmap));

	/* Untagged (as an upstream that reads several devices would write): accepted. */
	famfs_put_le64(b + 536, crc32(0, b, 536));
	assert_int_equal(famfs_omf_entry_decode(b, 7, &d), 0);

	/* The tag on a map that is all on device 0, or on another type: refused. */
	file_on(&e, 0);
	famfs_omf_entry_encode(&e, b);
	famfs_put_le64(b + 536, famfs_get_le64(b + 536) | FAMFS_MULTIDEV_CRC_TAG << 32);
	assert_err(famfs_omf_entry_decode(b, 7, &d), -EBADMSG, "every extent is on device 0");
	memset(&e, 0, sizeof(e));
	e.seqnum = 7;
	e.type = FAMFS_LOG_MKDIR;
	strcpy(e.mkdir.relpath, "d");
	famfs_omf_entry_encode(&e, b);
	famfs_put_le64(b + 536, famfs_get_le64(b + 536) | FAMFS_MULTIDEV_CRC_TAG << 32);
	assert_err(famfs_omf_entry_decode(b, 7, &d), -EBADMSG, "unknown tag");
	/* A bad low half is a CRC mismatch, tag or not. */
	file_on(&e, 1);
	famfs_omf_entry_encode(&e, b);
	b[40] ^= 1;
	assert_err(famfs_omf_entry_decode(b, 7, &d), -EBADMSG, "CRC mismatch");
}

static void test_add_daxdev_entry(void **state)
{
	struct famfs_omf_entry e, d;
	uint8_t b[FAMFS_LOG_ENTRY_SIZE];

	(void)state;
	memset(&e, 0, sizeof(e));
	e.seqnum = 3;
	e.type = FAMFS_LOG_ADD_DAXDEV;
	e.daxdev.size = 2 * GiB;
	memset(e.daxdev.uuid, 0x44, 16);
	e.daxdev.index = 1;
	famfs_omf_entry_encode(&e, b);
	/* upstream's offsets: 16 dd_size, 24 dd_uuid, 40 dd_index; plain CRC */
	assert_int_equal(famfs_get_le64(b + 16), 2 * GiB);
	assert_int_equal(b[24], 0x44);
	assert_int_equal(famfs_get_le32(b + 40), 1);
	assert_true(upstream_valid(b, 3));
	assert_int_equal(famfs_omf_entry_decode(b, 3, &d), 0);
	assert_int_equal(d.daxdev.index, 1);
	/* a byte past dd_index: no writer leaves one there */
	b[100] = 1;
	famfs_put_le64(b + 536, crc32(0, b, 536));
	assert_err(famfs_omf_entry_decode(b, 3, &d), -EINVAL, "ADD_DAXDEV byte 100");
}

static void test_fmap_check_devs(void **state)
{
	const struct famfs_omf_span devs[2] = { { 10 * MiB, 4 * GiB }, { 2 * MiB, 2 * GiB } };
	struct famfs_omf_entry e;
	struct famfs_omf_fmap *f = &e.file.fmap;

	(void)state;
	file_on(&e, 1);
	assert_int_equal(famfs_omf_fmap_check_devs(f, e.file.size, 2 * MiB, devs, 2), 0);
	/* one device: device 1 does not exist */
	assert_err(famfs_omf_fmap_check_devs(f, e.file.size, 2 * MiB, devs, 1), -EINVAL,
		   "the file system has one device");
	assert_err(famfs_omf_fmap_check(f, e.file.size, 2 * MiB, 10 * MiB, 4 * GiB), -EINVAL,
		   "devindex 1");
	file_on(&e, 2);
	assert_err(famfs_omf_fmap_check_devs(f, e.file.size, 2 * MiB, devs, 2), -ERANGE,
		   "device 2 is not in the file system (2 devices)");
	/* bounds are per device: device 1 is 2 GiB and its data starts at 2 MiB */
	file_on(&e, 1);
	f->strips[1].offset = 0;
	assert_err(famfs_omf_fmap_check_devs(f, e.file.size, 2 * MiB, devs, 2), -ERANGE,
		   "of device 1");
	f->strips[1].offset = 2 * GiB - 2 * MiB;
	assert_err(famfs_omf_fmap_check_devs(f, e.file.size, 2 * MiB, devs, 2), -ERANGE,
		   "of device 1");
	f->strips[1].offset = 3 * GiB;	/* inside device 0, outside device 1 */
	assert_err(famfs_omf_fmap_check_devs(f, e.file.size, 2 * MiB, devs, 2), -ERANGE,
		   "of device 1");
	/* the same offsets on two devices do not overlap */
	file_on(&e, 1);
	f->strips[1].offset = 10 * MiB;
	assert_int_equal(famfs_omf_fmap_check_devs(f, e.file.size, 2 * MiB, devs, 2), 0);
	f->strips[1].devindex = 0;
	assert_err(famfs_omf_fmap_check_devs(f, e.file.size, 2 * MiB, devs, 2), -EINVAL,
		   "overlap");
}

static void add_entry(struct famfs_omf_entry *e, uint32_t index, uint8_t fill, uint64_t size)
{
	memset(e, 0, sizeof(*e));
	e->type = FAMFS_LOG_ADD_DAXDEV;
	e->daxdev.index = index;
	e->daxdev.size = size;
	memset(e->daxdev.uuid, fill, 16);
}

static void test_devtab_rules(void **state)
{
	struct famfs_devtab t, save;
	struct famfs_omf_entry e;
	struct famfs_omf_sb sb;
	uint32_t i;

	(void)state;
	primary_sb(&sb);
	famfs_devtab_init(&t, &sb, sb.dev_size);
	assert_int_equal(t.ndevs, 1);
	assert_int_equal(t.span[0].data_start, 10 * MiB);
	assert_int_equal(famfs_devtab_find(&t, sb.dev_uuid), 0);

	add_entry(&e, 1, 0x44, 2 * GiB);
	assert_int_equal(famfs_devtab_add(&t, &e, 5), 0);
	assert_int_equal(t.ndevs, 2);
	assert_int_equal(t.dev[1].log_index, 5);
	assert_int_equal(t.span[1].data_start, 2 * MiB);
	assert_int_equal(t.span[1].size, 2 * GiB);
	assert_int_equal(famfs_devtab_find(&t, e.daxdev.uuid), 1);

	save = t;
	/* upstream's helper: ERANGE for a gap or a repeat, EEXIST for a uuid again */
	add_entry(&e, 3, 0x55, 2 * GiB);
	assert_err(famfs_devtab_add(&t, &e, 6), -ERANGE, "device index 3, expected 2");
	add_entry(&e, 1, 0x55, 2 * GiB);
	assert_err(famfs_devtab_add(&t, &e, 6), -ERANGE, "expected 2");
	add_entry(&e, 2, 0x44, 2 * GiB);
	assert_err(famfs_devtab_add(&t, &e, 6), -EEXIST, "is device 1 already");
	add_entry(&e, 2, 0x22, 2 * GiB);	/* the primary's uuid */
	assert_err(famfs_devtab_add(&t, &e, 6), -EEXIST, "is device 0 already");
	e.type = FAMFS_LOG_MKDIR;
	assert_err(famfs_devtab_add(&t, &e, 6), -EINVAL, "not ADD_DAXDEV");
	add_entry(&e, 2, 0, 2 * GiB);
	assert_err(famfs_devtab_add(&t, &e, 6), -EINVAL, "zero uuid");
	add_entry(&e, 2, 0x55, 2 * GiB + 4096);
	assert_err(famfs_devtab_add(&t, &e, 6), -EINVAL, "size");
	add_entry(&e, 2, 0x55, 2 * MiB);
	assert_err(famfs_devtab_add(&t, &e, 6), -EINVAL, "size");
	/* bounded: every host allocates the device's bitmap by this size */
	add_entry(&e, 2, 0x55, FAMFS_MAX_DEV_SIZE + 2 * MiB);
	assert_err(famfs_devtab_add(&t, &e, 6), -EINVAL, "larger than");
	add_entry(&e, 2, 0x55, 1ULL << 62);
	assert_err(famfs_devtab_add(&t, &e, 6), -EINVAL, "larger than");
	assert_memory_equal(&t, &save, sizeof(t));	/* errors change nothing */

	/* full at FAMFS_MAX_DAXDEVS: ENOSPC */
	for (i = 2; i < FAMFS_MAX_DAXDEVS; i++) {
		add_entry(&e, i, (uint8_t)(0x60 + i), 64 * MiB);
		assert_int_equal(famfs_devtab_add(&t, &e, 10 + i), 0);
	}
	add_entry(&e, FAMFS_MAX_DAXDEVS, 0xee, 64 * MiB);
	assert_err(famfs_devtab_add(&t, &e, 99), -ENOSPC, "at most 24 devices");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_secondary_sb),
		cmocka_unit_test(test_multidev_crc_tag),
		cmocka_unit_test(test_add_daxdev_entry),
		cmocka_unit_test(test_fmap_check_devs),
		cmocka_unit_test(test_devtab_rules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
