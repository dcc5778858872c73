// SPDX-License-Identifier: Apache-2.0
/*
 * omf.c - the famfs on-media format: explicit little-endian encode/decode of
 * the superblock (200 B), the log header (48 B) and log entries (544 B) at
 * upstream's LP64 offsets, their CRCs, and the structural validation of what
 * they contain. Pure code: no I/O, no allocation.
 */
#include <errno.h>
#include <string.h>

#include "famfs/err.h"
#include "famfs/le.h"
#include "famfs/omf.h"

/* Superblock (struct famfs_superblock upstream). */
#define FAMFS_OFF_SB_MAGIC		0
#define FAMFS_OFF_SB_VERSION		8
#define FAMFS_OFF_SB_LOG_OFFSET		16
#define FAMFS_OFF_SB_LOG_LEN		24
#define FAMFS_OFF_SB_ALLOC_UNIT		32
#define FAMFS_OFF_SB_OMF_MAJOR		40
#define FAMFS_OFF_SB_OMF_MINOR		44
#define FAMFS_OFF_SB_UUID		48
#define FAMFS_OFF_SB_DEV_UUID		64
#define FAMFS_OFF_SB_SYSTEM_UUID	80
#define FAMFS_OFF_SB_CRC		96
#define FAMFS_OFF_SB_FLAGS		FAMFS_SB_FLAGS_OFF
#define FAMFS_OFF_SB_PAD		108
#define FAMFS_OFF_SB_DD_SIZE		112
#define FAMFS_OFF_SB_DD_UUID		120
#define FAMFS_OFF_SB_DD_DAXDEV		136

/* Log header (struct famfs_log upstream). */
#define FAMFS_OFF_LOG_MAGIC		0
#define FAMFS_OFF_LOG_LEN		8
#define FAMFS_OFF_LOG_LAST_INDEX	16
#define FAMFS_OFF_LOG_CRC		24
#define FAMFS_OFF_LOG_NEXT_SEQNUM	32
#define FAMFS_OFF_LOG_NEXT_INDEX	40

/* Log entry (struct famfs_log_entry upstream). */
#define FAMFS_OFF_E_SEQNUM		0
#define FAMFS_OFF_E_TYPE		8
#define FAMFS_OFF_E_TIME		12	/* upstream's padding: see omf.h */
#define FAMFS_OFF_E_UNION		16
#define FAMFS_OFF_E_CRC			536

/* FILE arm. */
#define FAMFS_OFF_FILE_SIZE		16
#define FAMFS_OFF_FILE_FLAGS		24
#define FAMFS_OFF_FILE_UID		28
#define FAMFS_OFF_FILE_GID		32
#define FAMFS_OFF_FILE_MODE		36
#define FAMFS_OFF_FILE_RELPATH		40
#define FAMFS_OFF_FMAP			120
#define FAMFS_OFF_FMAP_EXT_TYPE		120
#define FAMFS_OFF_FMAP_NEXTENTS		128
#define FAMFS_OFF_FMAP_HORIZON		132	/* upstream's padding; ours with -O rm */
#define FAMFS_OFF_FMAP_SE		136
#define FAMFS_OFF_FMAP_IE_NSTRIPS	136
#define FAMFS_OFF_FMAP_IE_CHUNK		144
#define FAMFS_OFF_FMAP_IE_STRIPS	152

/* One simple extent (se[] entry or interleave strip). */
#define FAMFS_OFF_EXT_DEVINDEX		0
#define FAMFS_OFF_EXT_OFFSET		8
#define FAMFS_OFF_EXT_LEN		16
#define FAMFS_EXT_SIZE			24

/* MKDIR arm. */
#define FAMFS_OFF_MKDIR_UID		16
#define FAMFS_OFF_MKDIR_GID		20
#define FAMFS_OFF_MKDIR_MODE		24
#define FAMFS_OFF_MKDIR_RELPATH		28

/* ADD_DAXDEV arm. */
#define FAMFS_OFF_DD_SIZE		16
#define FAMFS_OFF_DD_UUID		24
#define FAMFS_OFF_DD_INDEX		40

/* DELETE arm (ours, docs/rm.md). */
#define FAMFS_OFF_DEL_TARGET		16
#define FAMFS_OFF_DEL_TARGET_TYPE	24
#define FAMFS_OFF_DEL_ZERO		28
#define FAMFS_OFF_DEL_RELPATH		32
#define FAMFS_OFF_DEL_END		(FAMFS_OFF_DEL_RELPATH + FAMFS_OMF_PATH_MAX)

_Static_assert(FAMFS_OFF_SB_CRC == FAMFS_OFF_SB_SYSTEM_UUID + 16, "sb crc follows uuids");
_Static_assert(FAMFS_OFF_SB_PAD == FAMFS_OFF_SB_FLAGS + 4, "sb pad");
_Static_assert(FAMFS_OFF_SB_DD_SIZE == FAMFS_OFF_SB_PAD + 4, "sb dd_size");
_Static_assert(FAMFS_OFF_SB_DD_DAXDEV + FAMFS_DAXDEV_PATH_LEN == FAMFS_SB_SIZE, "sb size");
_Static_assert(FAMFS_SB_SIZE == 200, "superblock is 200 bytes");
_Static_assert(FAMFS_OFF_SB_UUID == FAMFS_SB_UUID_OFFSET && FAMFS_OFF_SB_MAGIC == 0 &&
	       FAMFS_OFF_SB_FLAGS == FAMFS_SB_FLAGS_OFFSET,
	       "sb uuid, magic and flags, as omf.h says (trust.c reads them)");
_Static_assert(FAMFS_OFF_LOG_NEXT_INDEX + 8 == FAMFS_LOG_HDR_SIZE, "log header size");
_Static_assert(FAMFS_LOG_HDR_SIZE == 48, "log header is 48 bytes");
_Static_assert(FAMFS_OFF_E_CRC + 8 == FAMFS_LOG_ENTRY_SIZE, "entry size");
_Static_assert(FAMFS_OFF_E_TIME == FAMFS_OFF_E_TYPE + 4 &&
	       FAMFS_OFF_E_TIME + 4 == FAMFS_OFF_E_UNION, "entry time fills the padding");
_Static_assert(FAMFS_LOG_ENTRY_SIZE == 544, "log entry is 544 bytes");
_Static_assert(FAMFS_OFF_FILE_SIZE == FAMFS_OFF_E_UNION, "file arm starts the union");
_Static_assert(FAMFS_OFF_FILE_RELPATH + FAMFS_OMF_PATH_MAX == FAMFS_OFF_FMAP, "fmap offset");
_Static_assert(FAMFS_OFF_FMAP_SE + FAMFS_OMF_MAX_SIMPLE_EXTENTS * FAMFS_EXT_SIZE == 520,
	       "se[] ends at 520, inside the 416-byte fmap");
_Static_assert(FAMFS_OFF_FMAP_IE_STRIPS + FAMFS_OMF_MAX_STRIPS * FAMFS_EXT_SIZE ==
	       FAMFS_OFF_E_CRC, "ie strips end at the crc");
_Static_assert(FAMFS_OFF_MKDIR_RELPATH + FAMFS_OMF_PATH_MAX <= FAMFS_OFF_E_CRC, "mkdir arm");
_Static_assert(FAMFS_OFF_DD_INDEX + 8 <= FAMFS_OFF_E_CRC, "daxdev arm");
_Static_assert(FAMFS_OFF_FMAP_HORIZON == FAMFS_OFF_FMAP_NEXTENTS + 4 &&
	       FAMFS_OFF_FMAP_HORIZON + 4 == FAMFS_OFF_FMAP_SE, "horizon fills the padding");
_Static_assert(FAMFS_OFF_DEL_TARGET == FAMFS_OFF_E_UNION &&
	       FAMFS_OFF_DEL_ZERO + 4 == FAMFS_OFF_DEL_RELPATH &&
	       FAMFS_OFF_DEL_END == 112 && FAMFS_OFF_DEL_END <= FAMFS_OFF_E_CRC, "delete arm");
_Static_assert(FAMFS_LOG_LEN_DEFAULT == 0x800000ULL &&
	       (FAMFS_LOG_LEN_DEFAULT - FAMFS_LOG_HDR_SIZE) / FAMFS_LOG_ENTRY_SIZE == 15420,
	       "8 MiB log holds 15420 entries");

static int is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

/* ---- superblock ---- */

void famfs_omf_sb_encode(const struct famfs_omf_sb *sb, uint8_t out[FAMFS_SB_SIZE])
{
	memset(out, 0, FAMFS_SB_SIZE);
	famfs_put_le64(out + FAMFS_OFF_SB_MAGIC, sb->magic);
	famfs_put_le64(out + FAMFS_OFF_SB_VERSION, sb->version);
	famfs_put_le64(out + FAMFS_OFF_SB_LOG_OFFSET, sb->log_offset);
	famfs_put_le64(out + FAMFS_OFF_SB_LOG_LEN, sb->log_len);
	famfs_put_le64(out + FAMFS_OFF_SB_ALLOC_UNIT, sb->alloc_unit);
	famfs_put_le32(out + FAMFS_OFF_SB_OMF_MAJOR, sb->omf_major);
	famfs_put_le32(out + FAMFS_OFF_SB_OMF_MINOR, sb->omf_minor);
	memcpy(out + FAMFS_OFF_SB_UUID, sb->uuid, 16);
	memcpy(out + FAMFS_OFF_SB_DEV_UUID, sb->dev_uuid, 16);
	memcpy(out + FAMFS_OFF_SB_SYSTEM_UUID, sb->system_uuid, 16);
	famfs_put_le64(out + FAMFS_OFF_SB_CRC, famfs_crc32(out, FAMFS_OFF_SB_CRC));
	famfs_put_le32(out + FAMFS_OFF_SB_FLAGS, sb->flags);
	famfs_put_le64(out + FAMFS_OFF_SB_DD_SIZE, sb->dev_size);
	memcpy(out + FAMFS_OFF_SB_DD_UUID, sb->dd_uuid, 16);
	/* strncpy semantics, as upstream: a 64-byte path carries no NUL. */
	memcpy(out + FAMFS_OFF_SB_DD_DAXDEV, sb->daxdev,
	       strnlen(sb->daxdev, FAMFS_DAXDEV_PATH_LEN));
}

/*
 * The fields after the CRC are not covered by it (upstream's layout), so a
 * flipped bit there is caught only by what every famfs writer puts there:
 * flags 0 (SECONDARY on a secondary device, the rm feature bit alone on a
 * primary made with it; upstream's PRIMARY is accepted too), dd_uuid all
 * zero (unused), and the device path as printable text, zero-padded to 64
 * bytes (strncpy).
 */
static int sb_check_flags(const struct famfs_omf_sb *sb)
{
	if (sb->flags != 0 && sb->flags != FAMFS_SB_FLAG_PRIMARY &&
	    sb->flags != FAMFS_SB_FLAG_SECONDARY && sb->flags != FAMFS_SB_FEAT_RM)
		return famfs_err(-EINVAL, "superblock: flags 0x%x (0, 0x%x primary, 0x%x "
				 "secondary or 0x%x, the rm feature)", sb->flags,
				 FAMFS_SB_FLAG_PRIMARY, FAMFS_SB_FLAG_SECONDARY,
				 FAMFS_SB_FEAT_RM);
	return 0;
}

static int sb_check_uncovered(const uint8_t *buf, const struct famfs_omf_sb *sb)
{
	const uint8_t *p = buf + FAMFS_OFF_SB_DD_DAXDEV;
	unsigned int i;

	for (i = 0; i < 16; i++)
		if (sb->dd_uuid[i])
			return famfs_err(-EINVAL, "superblock: dd_uuid byte %u is 0x%02x "
					 "(unused, always zero)", i, sb->dd_uuid[i]);
	for (i = 0; i < FAMFS_DAXDEV_PATH_LEN && p[i]; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return famfs_err(-EINVAL, "superblock: device path byte %u is 0x%02x "
					 "(not printable)", i, p[i]);
	for (; i < FAMFS_DAXDEV_PATH_LEN; i++)
		if (p[i])
			return famfs_err(-EINVAL, "superblock: device path padding byte %u is "
					 "0x%02x (must be zero)", i, p[i]);
	return 0;
}

int famfs_omf_sb_decode(const uint8_t *buf, size_t len, struct famfs_omf_sb *sb)
{
	uint64_t crc;
	uint32_t want;

	memset(sb, 0, sizeof(*sb));
	if (!buf || len < FAMFS_SB_SIZE)
		return famfs_err(-EINVAL, "superblock: %zu bytes, need %d", len, FAMFS_SB_SIZE);

	sb->magic = famfs_get_le64(buf + FAMFS_OFF_SB_MAGIC);
	sb->version = famfs_get_le64(buf + FAMFS_OFF_SB_VERSION);
	sb->log_offset = famfs_get_le64(buf + FAMFS_OFF_SB_LOG_OFFSET);
	sb->log_len = famfs_get_le64(buf + FAMFS_OFF_SB_LOG_LEN);
	sb->alloc_unit = famfs_get_le64(buf + FAMFS_OFF_SB_ALLOC_UNIT);
	sb->omf_major = famfs_get_le32(buf + FAMFS_OFF_SB_OMF_MAJOR);
	sb->omf_minor = famfs_get_le32(buf + FAMFS_OFF_SB_OMF_MINOR);
	memcpy(sb->uuid, buf + FAMFS_OFF_SB_UUID, 16);
	memcpy(sb->dev_uuid, buf + FAMFS_OFF_SB_DEV_UUID, 16);
	memcpy(sb->system_uuid, buf + FAMFS_OFF_SB_SYSTEM_UUID, 16);
	sb->crc = famfs_get_le64(buf + FAMFS_OFF_SB_CRC);
	sb->flags = famfs_get_le32(buf + FAMFS_OFF_SB_FLAGS);
	sb->dev_size = famfs_get_le64(buf + FAMFS_OFF_SB_DD_SIZE);
	memcpy(sb->dd_uuid, buf + FAMFS_OFF_SB_DD_UUID, 16);
	memcpy(sb->daxdev, buf + FAMFS_OFF_SB_DD_DAXDEV, FAMFS_DAXDEV_PATH_LEN);
	sb->daxdev[FAMFS_DAXDEV_PATH_LEN] = '\0';

	if (sb->magic != FAMFS_SUPER_MAGIC)
		return famfs_err(-EINVAL, "superblock: bad magic 0x%llx (expected 0x%llx), "
				 "no famfs superblock", (unsigned long long)sb->magic,
				 FAMFS_SUPER_MAGIC);
	if (sb->version != FAMFS_CURRENT_VERSION)
		return famfs_err(-EPROTONOSUPPORT, "superblock: version %llu, need %llu",
				 (unsigned long long)sb->version, FAMFS_CURRENT_VERSION);
	crc = sb->crc;
	want = famfs_crc32(buf, FAMFS_OFF_SB_CRC);
	if (crc != want)
		return famfs_err(-EBADMSG, "superblock: CRC mismatch (stored 0x%llx, computed 0x%x)",
				 (unsigned long long)crc, want);
	if (sb->alloc_unit != FAMFS_ALLOC_UNIT && sb->alloc_unit != FAMFS_ALLOC_UNIT_SMALL)
		return famfs_err(-EINVAL, "superblock: alloc_unit 0x%llx (must be 0x%llx or 0x%llx)",
				 (unsigned long long)sb->alloc_unit, FAMFS_ALLOC_UNIT_SMALL,
				 FAMFS_ALLOC_UNIT);
	/* The flags say which layout to check (they are outside the CRC). */
	if (sb_check_flags(sb))
		return -EINVAL;
	if (famfs_omf_sb_is_secondary(sb)) {
		/* A secondary device has no log: its data starts at 2 MiB. */
		if (sb->log_offset || sb->log_len)
			return famfs_err(-EINVAL, "superblock: a secondary device with log "
					 "[0x%llx, +0x%llx) (must be 0, 0)",
					 (unsigned long long)sb->log_offset,
					 (unsigned long long)sb->log_len);
	} else {
		if (sb->log_offset != FAMFS_LOG_OFFSET)
			return famfs_err(-EINVAL, "superblock: log_offset 0x%llx (must be 0x%llx)",
					 (unsigned long long)sb->log_offset, FAMFS_LOG_OFFSET);
		if (!is_pow2(sb->log_len) || sb->log_len < FAMFS_LOG_LEN_MIN)
			return famfs_err(-EINVAL, "superblock: log_len 0x%llx (must be a power "
					 "of 2 >= 0x%llx)", (unsigned long long)sb->log_len,
					 FAMFS_LOG_LEN_MIN);
	}
	if (!sb->dev_size || sb->dev_size % sb->alloc_unit ||
	    sb->dev_size <= famfs_omf_sb_data_start(sb))
		return famfs_err(-EINVAL, "superblock: dev_size 0x%llx (must be a non-zero "
				 "multiple of alloc_unit 0x%llx, above data start 0x%llx)",
				 (unsigned long long)sb->dev_size,
				 (unsigned long long)sb->alloc_unit,
				 (unsigned long long)famfs_omf_sb_data_start(sb));
	return sb_check_uncovered(buf, sb);
}

/* ---- log tail ---- */

#define FAMFS_OFF_TAIL_MAGIC		0
#define FAMFS_OFF_TAIL_MKFS_TIME	4
#define FAMFS_OFF_TAIL_ZERO		8
#define FAMFS_OFF_TAIL_CRC		12
_Static_assert(FAMFS_OFF_TAIL_CRC + 4 == FAMFS_LOG_TAIL_SIZE, "log tail size");

static uint32_t tail_crc(const uint8_t fs_uuid[16], const uint8_t *buf)
{
	return famfs_crc32_update(famfs_crc32(fs_uuid, 16), buf, FAMFS_OFF_TAIL_CRC);
}

void famfs_omf_log_tail_encode(const uint8_t fs_uuid[16], uint32_t mkfs_time,
			       uint8_t out[FAMFS_LOG_TAIL_SIZE])
{
	memset(out, 0, FAMFS_LOG_TAIL_SIZE);
	famfs_put_le32(out + FAMFS_OFF_TAIL_MAGIC, FAMFS_LOG_TAIL_MAGIC);
	famfs_put_le32(out + FAMFS_OFF_TAIL_MKFS_TIME, mkfs_time);
	famfs_put_le32(out + FAMFS_OFF_TAIL_CRC, tail_crc(fs_uuid, out));
}

int famfs_omf_log_tail_decode(const uint8_t buf[FAMFS_LOG_TAIL_SIZE],
			      const uint8_t fs_uuid[16], uint32_t *mkfs_time)
{
	uint32_t crc, want;

	*mkfs_time = 0;
	if (famfs_get_le32(buf + FAMFS_OFF_TAIL_MAGIC) != FAMFS_LOG_TAIL_MAGIC)
		return -ENOENT;
	crc = famfs_get_le32(buf + FAMFS_OFF_TAIL_CRC);
	want = tail_crc(fs_uuid, buf);
	if (crc != want)
		return famfs_err(-EBADMSG, "log tail: CRC mismatch (stored 0x%x, computed 0x%x)",
				 crc, want);
	if (famfs_get_le32(buf + FAMFS_OFF_TAIL_ZERO))
		return famfs_err(-EINVAL, "log tail: unused word is 0x%x (must be 0)",
				 famfs_get_le32(buf + FAMFS_OFF_TAIL_ZERO));
	*mkfs_time = famfs_get_le32(buf + FAMFS_OFF_TAIL_MKFS_TIME);
	return 0;
}

/* ---- log header ---- */

void famfs_omf_log_hdr_encode(const struct famfs_omf_log_hdr *hdr,
			      uint8_t out[FAMFS_LOG_HDR_SIZE])
{
	memset(out, 0, FAMFS_LOG_HDR_SIZE);
	famfs_put_le64(out + FAMFS_OFF_LOG_MAGIC, hdr->magic);
	famfs_put_le64(out + FAMFS_OFF_LOG_LEN, hdr->len);
	famfs_put_le64(out + FAMFS_OFF_LOG_LAST_INDEX, hdr->last_index);
	famfs_put_le64(out + FAMFS_OFF_LOG_CRC, famfs_crc32(out, FAMFS_OFF_LOG_CRC));
	famfs_put_le64(out + FAMFS_OFF_LOG_NEXT_SEQNUM, hdr->next_seqnum);
	famfs_put_le64(out + FAMFS_OFF_LOG_NEXT_INDEX, hdr->next_index);
}

int famfs_omf_log_hdr_decode(const uint8_t *buf, size_t len, uint64_t log_len,
			     struct famfs_omf_log_hdr *hdr)
{
	uint32_t want;
	uint64_t nslots;

	memset(hdr, 0, sizeof(*hdr));
	if (!buf || len < FAMFS_LOG_HDR_SIZE)
		return famfs_err(-EINVAL, "log header: %zu bytes, need %d", len,
				 FAMFS_LOG_HDR_SIZE);
	hdr->magic = famfs_get_le64(buf + FAMFS_OFF_LOG_MAGIC);
	hdr->len = famfs_get_le64(buf + FAMFS_OFF_LOG_LEN);
	hdr->last_index = famfs_get_le64(buf + FAMFS_OFF_LOG_LAST_INDEX);
	hdr->crc = famfs_get_le64(buf + FAMFS_OFF_LOG_CRC);
	hdr->next_seqnum = famfs_get_le64(buf + FAMFS_OFF_LOG_NEXT_SEQNUM);
	hdr->next_index = famfs_get_le64(buf + FAMFS_OFF_LOG_NEXT_INDEX);

	if (hdr->magic != FAMFS_LOG_MAGIC)
		return famfs_err(-EINVAL, "log header: bad magic 0x%llx (expected 0x%llx)",
				 (unsigned long long)hdr->magic, FAMFS_LOG_MAGIC);
	want = famfs_crc32(buf, FAMFS_OFF_LOG_CRC);
	if (hdr->crc != want)
		return famfs_err(-EBADMSG, "log header: CRC mismatch (stored 0x%llx, computed 0x%x)",
				 (unsigned long long)hdr->crc, want);
	if (hdr->len != log_len)
		return famfs_err(-EINVAL, "log header: len 0x%llx != superblock log_len 0x%llx",
				 (unsigned long long)hdr->len, (unsigned long long)log_len);
	nslots = famfs_log_nslots(log_len);
	if (!nslots || hdr->last_index != nslots - 1)
		return famfs_err(-EINVAL, "log header: last_index %llu (expected %llu)",
				 (unsigned long long)hdr->last_index,
				 (unsigned long long)(nslots ? nslots - 1 : 0));
	if (hdr->next_index > hdr->last_index + 1)
		return famfs_err(-EINVAL, "log header: next_index %llu past last_index %llu + 1",
				 (unsigned long long)hdr->next_index,
				 (unsigned long long)hdr->last_index);
	return 0;
}

/* ---- log entries ---- */

static void put_ext(uint8_t *p, const struct famfs_omf_extent *x)
{
	famfs_put_le64(p + FAMFS_OFF_EXT_DEVINDEX, x->devindex);
	famfs_put_le64(p + FAMFS_OFF_EXT_OFFSET, x->offset);
	famfs_put_le64(p + FAMFS_OFF_EXT_LEN, x->len);
}

static void get_ext(const uint8_t *p, struct famfs_omf_extent *x)
{
	x->devindex = famfs_get_le64(p + FAMFS_OFF_EXT_DEVINDEX);
	x->offset = famfs_get_le64(p + FAMFS_OFF_EXT_OFFSET);
	x->len = famfs_get_le64(p + FAMFS_OFF_EXT_LEN);
}

static void put_path(uint8_t *p, const char *path)
{
	memcpy(p, path, strnlen(path, FAMFS_OMF_PATH_MAX));
}

/* What an entry of @type with bytes @buf stores in its 8-byte CRC field. */
static uint64_t entry_crc_field(uint32_t type, const uint8_t *buf)
{
	uint64_t crc = famfs_crc32(buf, FAMFS_OFF_E_CRC);

	return type == FAMFS_LOG_DELETE ? crc | FAMFS_DELETE_CRC_TAG << 32 : crc;
}

static void encode_file(const struct famfs_omf_file *f, uint8_t *out)
{
	const struct famfs_omf_fmap *m = &f->fmap;
	uint32_t i, n;

	famfs_put_le64(out + FAMFS_OFF_FILE_SIZE, f->size);
	famfs_put_le32(out + FAMFS_OFF_FILE_FLAGS, f->flags);
	famfs_put_le32(out + FAMFS_OFF_FILE_UID, f->uid);
	famfs_put_le32(out + FAMFS_OFF_FILE_GID, f->gid);
	famfs_put_le32(out + FAMFS_OFF_FILE_MODE, f->mode);
	put_path(out + FAMFS_OFF_FILE_RELPATH, f->relpath);
	famfs_put_le32(out + FAMFS_OFF_FMAP_EXT_TYPE, m->ext_type);
	famfs_put_le32(out + FAMFS_OFF_FMAP_NEXTENTS, m->nextents);
	famfs_put_le32(out + FAMFS_OFF_FMAP_HORIZON, f->horizon);
	if (m->ext_type == FAMFS_EXT_INTERLEAVE) {
		famfs_put_le64(out + FAMFS_OFF_FMAP_IE_NSTRIPS, m->nstrips);
		famfs_put_le64(out + FAMFS_OFF_FMAP_IE_CHUNK, m->chunk_size);
		n = m->nstrips > FAMFS_OMF_MAX_STRIPS ? FAMFS_OMF_MAX_STRIPS :
			(uint32_t)m->nstrips;
		for (i = 0; i < n; i++)
			put_ext(out + FAMFS_OFF_FMAP_IE_STRIPS + i * FAMFS_EXT_SIZE,
				&m->strips[i]);
	} else {
		n = m->nextents > FAMFS_OMF_MAX_SIMPLE_EXTENTS ?
			FAMFS_OMF_MAX_SIMPLE_EXTENTS : m->nextents;
		for (i = 0; i < n; i++)
			put_ext(out + FAMFS_OFF_FMAP_SE + i * FAMFS_EXT_SIZE, &m->se[i]);
	}
}

uint64_t famfs_omf_fmap_devmask(const struct famfs_omf_fmap *f)
{
	const struct famfs_omf_extent *x = f->se;
	uint64_t i, n = f->nextents, m = 0;

	if (f->ext_type == FAMFS_EXT_INTERLEAVE) {
		x = f->strips;
		n = f->nstrips;
	}
	if (n > FAMFS_OMF_MAX_SIMPLE_EXTENTS)
		n = FAMFS_OMF_MAX_SIMPLE_EXTENTS;
	for (i = 0; i < n; i++)
		m |= x[i].devindex < 64 ? 1ULL << x[i].devindex : 1ULL << 63;
	return m;
}

int famfs_omf_fmap_multidev(const struct famfs_omf_fmap *f)
{
	return (famfs_omf_fmap_devmask(f) & ~1ULL) != 0;
}

void famfs_omf_entry_encode(const struct famfs_omf_entry *e,
			    uint8_t out[FAMFS_LOG_ENTRY_SIZE])
{
	uint64_t crc;

	memset(out, 0, FAMFS_LOG_ENTRY_SIZE);
	famfs_put_le64(out + FAMFS_OFF_E_SEQNUM, e->seqnum);
	famfs_put_le32(out + FAMFS_OFF_E_TYPE, e->type);
	famfs_put_le32(out + FAMFS_OFF_E_TIME, e->time);
	switch (e->type) {
	case FAMFS_LOG_FILE:
		encode_file(&e->file, out);
		break;
	case FAMFS_LOG_MKDIR:
		famfs_put_le32(out + FAMFS_OFF_MKDIR_UID, e->mkdir.uid);
		famfs_put_le32(out + FAMFS_OFF_MKDIR_GID, e->mkdir.gid);
		famfs_put_le32(out + FAMFS_OFF_MKDIR_MODE, e->mkdir.mode);
		put_path(out + FAMFS_OFF_MKDIR_RELPATH, e->mkdir.relpath);
		break;
	case FAMFS_LOG_ADD_DAXDEV:
		famfs_put_le64(out + FAMFS_OFF_DD_SIZE, e->daxdev.size);
		memcpy(out + FAMFS_OFF_DD_UUID, e->daxdev.uuid, 16);
		famfs_put_le32(out + FAMFS_OFF_DD_INDEX, e->daxdev.index);
		break;
	case FAMFS_LOG_DELETE:
		famfs_put_le64(out + FAMFS_OFF_DEL_TARGET, e->del.target);
		famfs_put_le32(out + FAMFS_OFF_DEL_TARGET_TYPE, e->del.target_type);
		put_path(out + FAMFS_OFF_DEL_RELPATH, e->del.relpath);
		break;
	default:
		break;
	}
	crc = entry_crc_field(e->type, out);
	if (e->type == FAMFS_LOG_FILE && famfs_omf_fmap_multidev(&e->file.fmap))
		crc |= FAMFS_MULTIDEV_CRC_TAG << 32;
	famfs_put_le64(out + FAMFS_OFF_E_CRC, crc);
}

static const char *entry_type_name(uint32_t type)
{
	switch (type) {
	case FAMFS_LOG_INVALID:
		return "INVALID";
	default:
		return "unknown";
	}
}

/* Copy an 80-byte relpath field; refuse it unless a NUL ends it. */
static int get_path(const uint8_t *p, char out[FAMFS_OMF_PATH_MAX], uint64_t index)
{
	if (!memchr(p, '\0', FAMFS_OMF_PATH_MAX))
		return famfs_err(-EINVAL, "log entry %llu: relpath not NUL-terminated",
				 (unsigned long long)index);
	memcpy(out, p, FAMFS_OMF_PATH_MAX);
	return 0;
}

static int decode_file(const uint8_t *buf, uint64_t index, struct famfs_omf_file *f)
{
	struct famfs_omf_fmap *m = &f->fmap;
	unsigned long long idx = index;
	uint32_t i;
	int rc;

	f->size = famfs_get_le64(buf + FAMFS_OFF_FILE_SIZE);
	f->flags = famfs_get_le32(buf + FAMFS_OFF_FILE_FLAGS);
	f->uid = famfs_get_le32(buf + FAMFS_OFF_FILE_UID);
	f->gid = famfs_get_le32(buf + FAMFS_OFF_FILE_GID);
	f->mode = famfs_get_le32(buf + FAMFS_OFF_FILE_MODE);
	rc = get_path(buf + FAMFS_OFF_FILE_RELPATH, f->relpath, index);
	if (rc)
		return rc;
	m->ext_type = famfs_get_le32(buf + FAMFS_OFF_FMAP_EXT_TYPE);
	m->nextents = famfs_get_le32(buf + FAMFS_OFF_FMAP_NEXTENTS);
	f->horizon = famfs_get_le32(buf + FAMFS_OFF_FMAP_HORIZON);
	switch (m->ext_type) {
	case FAMFS_EXT_SIMPLE:
		if (m->nextents < 1 || m->nextents > FAMFS_OMF_MAX_SIMPLE_EXTENTS)
			return famfs_err(-EINVAL, "log entry %llu: %u simple extents (max %d)",
					 idx, m->nextents, FAMFS_OMF_MAX_SIMPLE_EXTENTS);
		for (i = 0; i < m->nextents; i++)
			get_ext(buf + FAMFS_OFF_FMAP_SE + i * FAMFS_EXT_SIZE, &m->se[i]);
		return 0;
	case FAMFS_EXT_INTERLEAVE:
		if (m->nextents != 1)
			return famfs_err(-EINVAL, "log entry %llu: %u interleaved extents "
					 "(must be 1)", idx, m->nextents);
		m->nstrips = famfs_get_le64(buf + FAMFS_OFF_FMAP_IE_NSTRIPS);
		m->chunk_size = famfs_get_le64(buf + FAMFS_OFF_FMAP_IE_CHUNK);
		if (m->nstrips < 1 || m->nstrips > FAMFS_OMF_MAX_STRIPS)
			return famfs_err(-EINVAL, "log entry %llu: nstrips %llu (must be 1..%d)",
					 idx, (unsigned long long)m->nstrips,
					 FAMFS_OMF_MAX_STRIPS);
		if (!is_pow2(m->chunk_size) || m->chunk_size % FAMFS_ALLOC_UNIT)
			return famfs_err(-EINVAL, "log entry %llu: chunk_size 0x%llx (must be a "
					 "power of 2 and a multiple of 0x%llx)", idx,
					 (unsigned long long)m->chunk_size, FAMFS_ALLOC_UNIT);
		for (i = 0; i < m->nstrips; i++)
			get_ext(buf + FAMFS_OFF_FMAP_IE_STRIPS + i * FAMFS_EXT_SIZE,
				&m->strips[i]);
		return 0;
	default:
		return famfs_err(-EINVAL, "log entry %llu: ext_type %u (must be 0 or 1)",
				 idx, m->ext_type);
	}
}

/*
 * The DELETE arm: a target made by an earlier entry (an implicit directory
 * has none), a type that names a file or a directory, a path, and zeroes in
 * every byte the arm does not use.
 */
static int decode_delete(const uint8_t *buf, uint64_t index, struct famfs_omf_delete *d)
{
	unsigned long long idx = index;
	size_t i;

	d->target = famfs_get_le64(buf + FAMFS_OFF_DEL_TARGET);
	d->target_type = famfs_get_le32(buf + FAMFS_OFF_DEL_TARGET_TYPE);
	if (d->target_type != FAMFS_LOG_FILE && d->target_type != FAMFS_LOG_MKDIR)
		return famfs_err(-EINVAL, "log entry %llu: delete of type %u (must be 0, a file, "
				 "or 1, a directory)", idx, d->target_type);
	if (d->target == FAMFS_DELETE_IMPLICIT ? d->target_type != FAMFS_LOG_MKDIR :
	    d->target >= index)
		return famfs_err(-EINVAL, "log entry %llu: delete of entry %llu, which is not an "
				 "earlier %s", idx, (unsigned long long)d->target,
				 d->target_type == FAMFS_LOG_FILE ? "file" : "directory");
	if (famfs_get_le32(buf + FAMFS_OFF_DEL_ZERO))
		return famfs_err(-EINVAL, "log entry %llu: delete: reserved word is not zero", idx);
	for (i = FAMFS_OFF_DEL_END; i < FAMFS_OFF_E_CRC; i++)
		if (buf[i])
			return famfs_err(-EINVAL, "log entry %llu: delete: byte %zu is 0x%02x "
					 "(unused, must be zero)", idx, i, buf[i]);
	return get_path(buf + FAMFS_OFF_DEL_RELPATH, d->relpath, index);
}

int famfs_omf_entry_decode(const uint8_t buf[FAMFS_LOG_ENTRY_SIZE], uint64_t index,
			   struct famfs_omf_entry *e)
{
	unsigned long long idx = index;
	uint64_t want, tag;
	uint32_t i;
	int rc;

	memset(e, 0, sizeof(*e));
	e->seqnum = famfs_get_le64(buf + FAMFS_OFF_E_SEQNUM);
	e->type = famfs_get_le32(buf + FAMFS_OFF_E_TYPE);
	e->time = famfs_get_le32(buf + FAMFS_OFF_E_TIME);
	e->crc = famfs_get_le64(buf + FAMFS_OFF_E_CRC);

	/*
	 * A type's own tag is part of its CRC (rm's on a DELETE, the multidev
	 * tag on a FILE that has it); any other tag above a good crc32 is
	 * unknown.
	 */
	want = entry_crc_field(e->type, buf);
	tag = e->crc >> 32;
	if (e->type == FAMFS_LOG_FILE && tag == FAMFS_MULTIDEV_CRC_TAG)
		want |= FAMFS_MULTIDEV_CRC_TAG << 32;
	if (e->crc != want) {
		if ((uint32_t)e->crc == (uint32_t)want && e->type != FAMFS_LOG_DELETE &&
		    tag != FAMFS_DELETE_CRC_TAG)
			return famfs_err(-EBADMSG, "log entry %llu: CRC field 0x%llx carries an "
					 "unknown tag", idx, (unsigned long long)e->crc);
		return famfs_err(-EBADMSG, "log entry %llu: CRC mismatch (stored 0x%llx, "
				 "computed 0x%llx)", idx, (unsigned long long)e->crc,
				 (unsigned long long)want);
	}
	if (e->seqnum != index)
		return famfs_err(-EBADMSG, "log entry %llu: seqnum %llu != index", idx,
				 (unsigned long long)e->seqnum);
	switch (e->type) {
	case FAMFS_LOG_FILE:
		rc = decode_file(buf, index, &e->file);
		if (!rc && tag && !famfs_omf_fmap_multidev(&e->file.fmap))
			return famfs_err(-EBADMSG, "log entry %llu: CRC tagged for several "
					 "devices, but every extent is on device 0", idx);
		return rc;
	case FAMFS_LOG_MKDIR:
		e->mkdir.uid = famfs_get_le32(buf + FAMFS_OFF_MKDIR_UID);
		e->mkdir.gid = famfs_get_le32(buf + FAMFS_OFF_MKDIR_GID);
		e->mkdir.mode = famfs_get_le32(buf + FAMFS_OFF_MKDIR_MODE);
		return get_path(buf + FAMFS_OFF_MKDIR_RELPATH, e->mkdir.relpath, index);
	case FAMFS_LOG_ADD_DAXDEV:
		e->daxdev.size = famfs_get_le64(buf + FAMFS_OFF_DD_SIZE);
		memcpy(e->daxdev.uuid, buf + FAMFS_OFF_DD_UUID, 16);
		e->daxdev.index = famfs_get_le32(buf + FAMFS_OFF_DD_INDEX);
		/* Upstream builds it in a zeroed struct: nothing else is set. */
		for (i = FAMFS_OFF_DD_INDEX + 4; i < FAMFS_OFF_E_CRC; i++)
			if (buf[i])
				return famfs_err(-EINVAL, "log entry %llu: ADD_DAXDEV byte %u is "
						 "0x%02x (unused, must be zero)", idx, i, buf[i]);
		return 0;
	case FAMFS_LOG_DELETE:
		return decode_delete(buf, index, &e->del);
	default:
		return famfs_err(-EINVAL, "log entry %llu: type %s not supported (%u)", idx,
				 entry_type_name(e->type), e->type);
	}
}

/* ---- file map against the device ---- */

/* Check one extent or strip; @what names it in the detail ("extent 2"). */
static int check_ext(const struct famfs_omf_extent *x, const char *what, uint32_t i,
		     uint64_t alloc_unit, const struct famfs_omf_span *devs, uint32_t ndevs)
{
	unsigned long long off = x->offset, len = x->len;
	uint64_t data_start, dev_size;

	if (x->devindex >= ndevs) {
		if (ndevs == 1)
			return famfs_err(-EINVAL, "fmap: %s %u: devindex %llu (the file system "
					 "has one device, 0)", what, i,
					 (unsigned long long)x->devindex);
		return famfs_err(-ERANGE, "fmap: %s %u: device %llu is not in the file system "
				 "(%u devices)", what, i, (unsigned long long)x->devindex, ndevs);
	}
	data_start = devs[x->devindex].data_start;
	dev_size = devs[x->devindex].size;
	if (!len)
		return famfs_err(-EINVAL, "fmap: %s %u: zero length", what, i);
	if (off % alloc_unit || len % alloc_unit)
		return famfs_err(-EINVAL, "fmap: %s %u: offset 0x%llx or len 0x%llx not aligned "
				 "to 0x%llx", what, i, off, len, (unsigned long long)alloc_unit);
	if (off < data_start || off >= dev_size || len > dev_size - off) {
		if (x->devindex)
			return famfs_err(-ERANGE, "fmap: %s %u: [0x%llx, +0x%llx) outside data "
					 "area [0x%llx, 0x%llx) of device %llu", what, i, off, len,
					 (unsigned long long)data_start,
					 (unsigned long long)dev_size,
					 (unsigned long long)x->devindex);
		return famfs_err(-ERANGE, "fmap: %s %u: [0x%llx, +0x%llx) outside data area "
				 "[0x%llx, 0x%llx)", what, i, off, len,
				 (unsigned long long)data_start, (unsigned long long)dev_size);
	}
	return 0;
}

/* Two extents of one file that share memory would make one byte two. */
static int check_overlap(const struct famfs_omf_extent *e, uint32_t n, const char *what)
{
	for (uint32_t i = 0; i < n; i++) {
		for (uint32_t j = i + 1; j < n; j++) {
			if (e[i].devindex == e[j].devindex && e[i].offset < e[j].offset + e[j].len &&
			    e[j].offset < e[i].offset + e[i].len)
				return famfs_err(-EINVAL, "fmap: %s %u and %s %u overlap at device "
						 "offset 0x%llx", what, i, what, j,
						 (unsigned long long)(e[i].offset > e[j].offset ?
								      e[i].offset : e[j].offset));
		}
	}
	return 0;
}

/*
 * Chunk k of an interleaved file lives at (k / nstrips) * chunk of strip
 * k % nstrips. Every chunk below the file size must lie wholly inside its
 * strip. Strips that merely add up to the file size are not enough: 4
 * strips of 2 MiB with 8 MiB chunks put bytes 2..8 MiB of the file in the
 * memory past strip 0, another file's. With equal strips, a strip length
 * that is a whole number of chunks is what it takes: the strips then hold
 * nstrips x len / chunk chunks, a multiple of the chunk size that is at
 * least the file size (checked by the caller), so every chunk of the file
 * rounded up to chunks has its place.
 */
static int check_chunks_fit(const struct famfs_omf_fmap *f, uint64_t file_size)
{
	uint64_t c = f->chunk_size, slen = f->strips[0].len;

	if (slen % c)
		return famfs_err(-EINVAL, "fmap: strip length 0x%llx is not a multiple of the "
				 "chunk size 0x%llx: the chunks of a file of 0x%llx bytes run past "
				 "their strips", (unsigned long long)slen, (unsigned long long)c,
				 (unsigned long long)file_size);
	return 0;
}

int famfs_omf_fmap_check_devs(const struct famfs_omf_fmap *f, uint64_t file_size,
			      uint64_t alloc_unit, const struct famfs_omf_span *devs,
			      uint32_t ndevs)
{
	uint64_t total = 0;
	uint32_t i;
	int rc;

	if (!alloc_unit)
		return famfs_err(-EINVAL, "fmap: alloc_unit is 0");
	if (f->ext_type == FAMFS_EXT_SIMPLE) {
		if (f->nextents < 1 || f->nextents > FAMFS_OMF_MAX_SIMPLE_EXTENTS)
			return famfs_err(-EINVAL, "fmap: %u simple extents (must be 1..%d)",
					 f->nextents, FAMFS_OMF_MAX_SIMPLE_EXTENTS);
		for (i = 0; i < f->nextents; i++) {
			rc = check_ext(&f->se[i], "extent", i, alloc_unit, devs, ndevs);
			if (rc)
				return rc;
			total += f->se[i].len;	/* each <= dev_size: no overflow */
		}
		rc = check_overlap(f->se, f->nextents, "extent");
		if (rc)
			return rc;
	} else if (f->ext_type == FAMFS_EXT_INTERLEAVE) {
		if (f->nextents != 1)
			return famfs_err(-EINVAL, "fmap: %u interleaved extents (must be 1)",
					 f->nextents);
		if (f->nstrips < 1 || f->nstrips > FAMFS_OMF_MAX_STRIPS)
			return famfs_err(-EINVAL, "fmap: nstrips %llu (must be 1..%d)",
					 (unsigned long long)f->nstrips, FAMFS_OMF_MAX_STRIPS);
		if (!is_pow2(f->chunk_size) || f->chunk_size % FAMFS_ALLOC_UNIT)
			return famfs_err(-EINVAL, "fmap: chunk_size 0x%llx (must be a power of 2 "
					 "and a multiple of 0x%llx)",
					 (unsigned long long)f->chunk_size, FAMFS_ALLOC_UNIT);
		for (i = 0; i < f->nstrips; i++) {
			rc = check_ext(&f->strips[i], "strip", i, alloc_unit, devs, ndevs);
			if (rc)
				return rc;
			if (f->strips[i].len != f->strips[0].len)
				return famfs_err(-EINVAL, "fmap: strip %u: len 0x%llx != strip 0 "
						 "len 0x%llx", i,
						 (unsigned long long)f->strips[i].len,
						 (unsigned long long)f->strips[0].len);
			total += f->strips[i].len;
		}
		rc = check_overlap(f->strips, (uint32_t)f->nstrips, "strip");
		if (rc)
			return rc;
		/* The V10 wire carries the chunk in 32 bits and refuses nbytes 0. */
		if (f->chunk_size > UINT32_MAX)
			return famfs_err(-EINVAL, "fmap: chunk_size 0x%llx does not fit the 32-bit "
					 "GET_FMAP field", (unsigned long long)f->chunk_size);
		if (file_size == 0)
			return famfs_err(-EINVAL, "fmap: an interleaved file of size 0");
	} else {
		return famfs_err(-EINVAL, "fmap: ext_type %u (must be 0 or 1)", f->ext_type);
	}
	if (total < file_size)
		return famfs_err(-EINVAL, "fmap: extents cover 0x%llx bytes, file size is 0x%llx",
				 (unsigned long long)total, (unsigned long long)file_size);
	if (f->ext_type == FAMFS_EXT_INTERLEAVE)
		return check_chunks_fit(f, file_size);
	return 0;
}

int famfs_omf_fmap_check(const struct famfs_omf_fmap *f, uint64_t file_size,
			 uint64_t alloc_unit, uint64_t data_start, uint64_t dev_size)
{
	const struct famfs_omf_span dev = { .data_start = data_start, .size = dev_size };

	return famfs_omf_fmap_check_devs(f, file_size, alloc_unit, &dev, 1);
}
