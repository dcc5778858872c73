// SPDX-License-Identifier: Apache-2.0
/*
 * omf_rm.c - explicit little-endian encode/decode of the rm feature's
 * structures in the superblock region: the rm block and the host records
 * (layout in famfs/omf_rm.h and docs/rm.md). Pure code: no I/O.
 */
#include <errno.h>
#include <string.h>

#include "famfs/err.h"
#include "famfs/le.h"
#include "famfs/omf_rm.h"

/* rm block */
#define OFF_RM_MAGIC		0
#define OFF_RM_VERSION		4
#define OFF_RM_NSLOTS		8
#define OFF_RM_SLOT_SIZE	12
#define OFF_RM_TABLE_OFF	16
#define OFF_RM_SINCE		24
#define OFF_RM_TIME		32
#define OFF_RM_ZERO		36
#define OFF_RM_CRC		60

/* host record */
#define OFF_H_MAGIC		0
#define OFF_H_KIND		4
#define OFF_H_FLAGS		6
#define OFF_H_NONCE		8
#define OFF_H_HOST_UUID		16
#define OFF_H_BOOT_ID		32
#define OFF_H_PID		48
#define OFF_H_CONN		52
#define OFF_H_START		56
#define OFF_H_REPLAYED		64
#define OFF_H_HOLD		72
#define OFF_H_BEAT		80
#define OFF_H_BEAT_TIME		88
#define OFF_H_NAME		96
#define OFF_H_PIDNS		120
#define OFF_H_CRC		124

_Static_assert(OFF_RM_CRC + 4 == FAMFS_RM_BLOCK_SIZE, "rm block size");
_Static_assert(OFF_RM_TIME + 4 == OFF_RM_ZERO && OFF_RM_ZERO + 24 == OFF_RM_CRC, "rm block");
_Static_assert(OFF_H_CRC + 4 == FAMFS_HOST_REC_SIZE, "host record size");
_Static_assert(OFF_H_NAME + FAMFS_HOST_NAME_MAX == OFF_H_PIDNS, "host name");
_Static_assert(FAMFS_HOST_REC_OFF + FAMFS_HOST_REC_SIZE == FAMFS_HOST_SLOT_SIZE &&
	       FAMFS_HOST_Y_OFF == FAMFS_HOST_X_OFF + FAMFS_HOST_LINE &&
	       FAMFS_HOST_REC_OFF == FAMFS_HOST_Y_OFF + FAMFS_HOST_LINE, "one writer per line");
_Static_assert(FAMFS_RM_BLOCK_OFF >= FAMFS_SB_SIZE &&
	       FAMFS_RM_BLOCK_OFF + FAMFS_RM_BLOCK_SIZE <= FAMFS_HOSTS_OFF &&
	       FAMFS_HOSTS_OFF + (uint64_t)FAMFS_HOSTS_NSLOTS * FAMFS_HOST_SLOT_SIZE <=
	       FAMFS_SB_REGION, "the rm block and host table fit the superblock region");

static uint32_t crc_fs(const uint8_t fs_uuid[16], const uint8_t *buf, size_t len)
{
	return famfs_crc32_update(famfs_crc32(fs_uuid, 16), buf, len);
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

void famfs_rm_block_default(struct famfs_rm_block *b, uint64_t since, uint32_t time)
{
	memset(b, 0, sizeof(*b));
	b->nslots = FAMFS_HOSTS_NSLOTS;
	b->slot_size = FAMFS_HOST_SLOT_SIZE;
	b->table_off = FAMFS_HOSTS_OFF;
	b->since = since;
	b->time = time;
}

void famfs_rm_block_encode(const struct famfs_rm_block *b, const uint8_t fs_uuid[16],
			   uint8_t out[FAMFS_RM_BLOCK_SIZE])
{
	memset(out, 0, FAMFS_RM_BLOCK_SIZE);
	famfs_put_le32(out + OFF_RM_MAGIC, FAMFS_RM_MAGIC);
	famfs_put_le32(out + OFF_RM_VERSION, FAMFS_RM_VERSION);
	famfs_put_le32(out + OFF_RM_NSLOTS, b->nslots);
	famfs_put_le32(out + OFF_RM_SLOT_SIZE, b->slot_size);
	famfs_put_le64(out + OFF_RM_TABLE_OFF, b->table_off);
	famfs_put_le64(out + OFF_RM_SINCE, b->since);
	famfs_put_le32(out + OFF_RM_TIME, b->time);
	famfs_put_le32(out + OFF_RM_CRC, crc_fs(fs_uuid, out, OFF_RM_CRC));
}

int famfs_rm_block_decode(const uint8_t buf[FAMFS_RM_BLOCK_SIZE], const uint8_t fs_uuid[16],
			  struct famfs_rm_block *b)
{
	uint32_t crc, want, v;

	memset(b, 0, sizeof(*b));
	if (famfs_get_le32(buf + OFF_RM_MAGIC) != FAMFS_RM_MAGIC)
		return famfs_err(-ENOENT, "rm block: no magic");
	crc = famfs_get_le32(buf + OFF_RM_CRC);
	want = crc_fs(fs_uuid, buf, OFF_RM_CRC);
	if (crc != want)
		return famfs_err(-EBADMSG, "rm block: CRC mismatch (stored 0x%x, computed 0x%x)",
				 crc, want);
	v = famfs_get_le32(buf + OFF_RM_VERSION);
	if (v != FAMFS_RM_VERSION)
		return famfs_err(-EINVAL, "rm block: version %u (this famfs knows %u)", v,
				 FAMFS_RM_VERSION);
	b->nslots = famfs_get_le32(buf + OFF_RM_NSLOTS);
	b->slot_size = famfs_get_le32(buf + OFF_RM_SLOT_SIZE);
	b->table_off = famfs_get_le64(buf + OFF_RM_TABLE_OFF);
	b->since = famfs_get_le64(buf + OFF_RM_SINCE);
	b->time = famfs_get_le32(buf + OFF_RM_TIME);
	if (!all_zero(buf + OFF_RM_ZERO, OFF_RM_CRC - OFF_RM_ZERO))
		return famfs_err(-EINVAL, "rm block: reserved bytes are not zero");
	if (b->slot_size != FAMFS_HOST_SLOT_SIZE || !b->nslots ||
	    b->nslots > FAMFS_HOSTS_NSLOTS || b->table_off != FAMFS_HOSTS_OFF)
		return famfs_err(-EINVAL, "rm block: host table of %u slots of %u bytes at "
				 "0x%llx (this famfs writes %d of %d at 0x%llx)", b->nslots,
				 b->slot_size, (unsigned long long)b->table_off,
				 FAMFS_HOSTS_NSLOTS, FAMFS_HOST_SLOT_SIZE, FAMFS_HOSTS_OFF);
	return 0;
}

void famfs_host_rec_encode(const struct famfs_host_rec *r, const uint8_t fs_uuid[16],
			   uint8_t out[FAMFS_HOST_REC_SIZE])
{
	memset(out, 0, FAMFS_HOST_REC_SIZE);
	famfs_put_le32(out + OFF_H_MAGIC, FAMFS_HOST_MAGIC);
	famfs_put_le16(out + OFF_H_KIND, r->kind);
	famfs_put_le16(out + OFF_H_FLAGS, r->flags);
	famfs_put_le64(out + OFF_H_NONCE, r->nonce);
	memcpy(out + OFF_H_HOST_UUID, r->host_uuid, 16);
	memcpy(out + OFF_H_BOOT_ID, r->boot_id, 16);
	famfs_put_le32(out + OFF_H_PID, r->pid);
	famfs_put_le32(out + OFF_H_CONN, r->conn);
	famfs_put_le64(out + OFF_H_START, r->start);
	famfs_put_le64(out + OFF_H_REPLAYED, r->replayed);
	famfs_put_le64(out + OFF_H_HOLD, r->hold);
	famfs_put_le64(out + OFF_H_BEAT, r->beat);
	famfs_put_le64(out + OFF_H_BEAT_TIME, r->beat_time);
	memcpy(out + OFF_H_NAME, r->name, strnlen(r->name, FAMFS_HOST_NAME_MAX));
	famfs_put_le32(out + OFF_H_PIDNS, r->pidns);
	famfs_put_le32(out + OFF_H_CRC, crc_fs(fs_uuid, out, OFF_H_CRC));
}

int famfs_host_rec_decode(const uint8_t buf[FAMFS_HOST_REC_SIZE], const uint8_t fs_uuid[16],
			  struct famfs_host_rec *r)
{
	uint32_t crc, want;

	memset(r, 0, sizeof(*r));
	if (famfs_get_le32(buf + OFF_H_MAGIC) != FAMFS_HOST_MAGIC)
		return -ENOENT;
	crc = famfs_get_le32(buf + OFF_H_CRC);
	want = crc_fs(fs_uuid, buf, OFF_H_CRC);
	if (crc != want)
		return famfs_err(-EBADMSG, "host record: CRC mismatch (stored 0x%x, computed 0x%x)",
				 crc, want);
	r->kind = famfs_get_le16(buf + OFF_H_KIND);
	r->flags = famfs_get_le16(buf + OFF_H_FLAGS);
	r->nonce = famfs_get_le64(buf + OFF_H_NONCE);
	memcpy(r->host_uuid, buf + OFF_H_HOST_UUID, 16);
	memcpy(r->boot_id, buf + OFF_H_BOOT_ID, 16);
	r->pid = famfs_get_le32(buf + OFF_H_PID);
	r->conn = famfs_get_le32(buf + OFF_H_CONN);
	r->start = famfs_get_le64(buf + OFF_H_START);
	r->replayed = famfs_get_le64(buf + OFF_H_REPLAYED);
	r->hold = famfs_get_le64(buf + OFF_H_HOLD);
	r->beat = famfs_get_le64(buf + OFF_H_BEAT);
	r->beat_time = famfs_get_le64(buf + OFF_H_BEAT_TIME);
	memcpy(r->name, buf + OFF_H_NAME, FAMFS_HOST_NAME_MAX);
	r->name[FAMFS_HOST_NAME_MAX] = '\0';
	if (r->kind != FAMFS_HOST_FAMFSD && r->kind != FAMFS_HOST_PROCESS)
		return famfs_err(-EINVAL, "host record: kind %u (must be 1 or 2)", r->kind);
	if (r->flags & ~FAMFS_HOST_FL_MASTER)
		return famfs_err(-EINVAL, "host record: flags 0x%x", r->flags);
	if (!r->nonce)
		return famfs_err(-EINVAL, "host record: nonce 0");
	r->pidns = famfs_get_le32(buf + OFF_H_PIDNS);
	return 0;
}
