/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * omf.h - the famfs on-media format: superblock, log header, log entries.
 *
 * Byte-compatible with upstream famfs (superblock version 48, OMF 2.2).
 * Upstream writes raw LP64 little-endian C structs; we never do. Every field
 * is encoded and decoded explicitly at its LP64 offset (the FAMFS_OFF_*
 * constants in lib/omf.c, checked there with _Static_assert). The structs
 * below are decoded, host-order views and say nothing about layout.
 *
 * Device layout (the primary device, the one whose superblock has no
 * SECONDARY flag; a one-device file system is just that):
 *   [0, 2 MiB)                  superblock region (200 bytes used)
 *   [2 MiB, 2 MiB + log_len)    log: 48-byte header, then 544-byte entries,
 *                               then the 16-byte log tail (below)
 *   [2 MiB + log_len, size)     file data, allocated in 2 MiB units
 *
 * Several devices (upstream's multi-daxdev format, phase 1): device 0 is
 * the primary. Each further device gets a superblock of its own with the
 * SECONDARY flag, its own device uuid, the primary's file system uuid and
 * log_offset = log_len = 0 (no log: its data starts at 2 MiB), and one
 * ADD_DAXDEV entry in the primary's log names it by device uuid, with the
 * next index (dense, in order). Extents carry the device index.
 *
 * Pure code: no I/O, no allocation. Decoders validate every field they can
 * check without knowing the device; famfs_omf_fmap_check() adds the checks
 * that need the device size.
 */
#ifndef FAMFS_OMF_H
#define FAMFS_OMF_H

#include "famfs/compat.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FAMFS_SUPER_MAGIC		0x87b282ffULL
#define FAMFS_CURRENT_VERSION		48ULL
#define FAMFS_OMF_VER_MAJOR		2
#define FAMFS_OMF_VER_MINOR		2
#define FAMFS_SB_SIZE			200	/* bytes of the encoded superblock */
#define FAMFS_SB_UUID_OFFSET		48	/* of the file system uuid (after the u64 magic at 0, ...) */
#define FAMFS_SB_FLAGS_OFFSET		104	/* of ts_sb_flags (u32), outside the CRC */
#define FAMFS_SB_REGION			0x200000ULL
#define FAMFS_LOG_OFFSET		0x200000ULL
#define FAMFS_LOG_LEN_DEFAULT		0x800000ULL	/* 8 MiB: 15420 entries */
#define FAMFS_LOG_LEN_MIN		0x800000ULL
#define FAMFS_ALLOC_UNIT		0x200000ULL	/* what we write */
#define FAMFS_ALLOC_UNIT_SMALL		4096ULL		/* also accepted on read */
#define FAMFS_DAXDEV_PATH_LEN		64	/* sb dd_daxdev[], may lack a NUL */

/*
 * ts_sb_flags (upstream defines both, phase 1 writes neither). We write
 * SECONDARY on every device but the primary; a primary keeps 0, so a
 * one-device image is what it always was. PRIMARY is accepted, never
 * written.
 */
#define FAMFS_SB_FLAG_PRIMARY		0x1U
#define FAMFS_SB_FLAG_SECONDARY		0x2U
#define FAMFS_SECONDARY_DATA_START	FAMFS_SB_REGION	/* no log on a secondary */

/*
 * A FILE entry with an extent on a device other than 0 carries this tag in
 * the upper 32 bits of its CRC field, above the crc32. Upstream checks that
 * the zero-extended crc32 equals the field, so its readers (phase 1: device
 * index 0 only, and its bitmap rebuild ignores the index) treat such an
 * entry as damaged and skip it, rather than reading the extents of another
 * device as the primary's. docs/multidev.md, "Upstream's reader".
 */
#define FAMFS_MULTIDEV_CRC_TAG		0x6d64ULL	/* "md" */

#define FAMFS_LOG_MAGIC			0x00000badcafef00dULL
#define FAMFS_LOG_HDR_SIZE		48
#define FAMFS_LOG_ENTRY_SIZE		544

#define FAMFS_OMF_PATH_MAX		80	/* relpath bytes incl. NUL: 79 chars */
#define FAMFS_OMF_MAX_SIMPLE_EXTENTS	16
#define FAMFS_OMF_MAX_STRIPS		16
#define FAMFS_FM_ALL_HOSTS_RW		2	/* the only fm_flags value written */

/*
 * The rm feature (docs/rm.md): ts_sb_flags bit of a file system made with
 * mkfs.famfs -O rm (or famfs tune -O rm). Upstream defines bits 0 and 1
 * and never checks the field; without the feature it stays 0.
 */
#define FAMFS_SB_FEAT_RM		0x100U
#define FAMFS_SB_FLAGS_OFF		104	/* device offset of ts_sb_flags (u32) */
/*
 * A DELETE entry's CRC field holds this tag in its upper 32 bits above the
 * crc32: upstream's check (the zero-extended crc32 must equal the field)
 * rejects it, so upstream's replay stops at the first delete instead of
 * skipping it (docs/rm.md, section 3).
 */
#define FAMFS_DELETE_CRC_TAG		0x6d72ULL	/* "rm" */

/* Log entry types (famfs_log_entry_type). */
enum famfs_omf_entry_type {
	FAMFS_LOG_FILE = 0,
	FAMFS_LOG_MKDIR = 1,
	FAMFS_LOG_DELETE = 2,		/* upstream never writes it; ours: -O rm */
	FAMFS_LOG_ADD_DAXDEV = 3,
	FAMFS_LOG_INVALID = 4,
};

/* fmap_ext_type */
enum famfs_omf_ext_type {
	FAMFS_EXT_SIMPLE = 0,
	FAMFS_EXT_INTERLEAVE = 1,
};

/* Number of entry slots in a log of @log_len bytes (last_index + 1). */
static inline uint64_t famfs_log_nslots(uint64_t log_len)
{
	return log_len < FAMFS_LOG_HDR_SIZE ? 0 :
		(log_len - FAMFS_LOG_HDR_SIZE) / FAMFS_LOG_ENTRY_SIZE;
}

struct famfs_omf_sb {
	uint64_t magic;
	uint64_t version;
	uint64_t log_offset;
	uint64_t log_len;
	uint64_t alloc_unit;
	uint32_t omf_major;
	uint32_t omf_minor;
	uint8_t uuid[16];		/* file system uuid */
	uint8_t dev_uuid[16];
	uint8_t system_uuid[16];	/* the master host */
	uint64_t crc;			/* crc32 of bytes [0, 96) */
	uint32_t flags;
	uint64_t dev_size;		/* ts_daxdev.dd_size: the capacity */
	uint8_t dd_uuid[16];
	char daxdev[FAMFS_DAXDEV_PATH_LEN + 1];	/* always NUL-terminated here */
};

struct famfs_omf_log_hdr {
	uint64_t magic;
	uint64_t len;
	uint64_t last_index;
	uint64_t crc;			/* crc32 of bytes [0, 24) */
	uint64_t next_seqnum;		/* not CRC-covered */
	uint64_t next_index;		/* the commit point: [0, next_index) valid */
};

struct famfs_omf_extent {
	uint64_t devindex;
	uint64_t offset;		/* byte offset in the device */
	uint64_t len;			/* bytes, a multiple of the alloc unit */
};

struct famfs_omf_fmap {
	uint32_t ext_type;		/* enum famfs_omf_ext_type */
	uint32_t nextents;		/* SIMPLE: extents in se[]; INTERLEAVE: 1 */
	struct famfs_omf_extent se[FAMFS_OMF_MAX_SIMPLE_EXTENTS];
	uint64_t nstrips;		/* INTERLEAVE only */
	uint64_t chunk_size;		/* INTERLEAVE only */
	struct famfs_omf_extent strips[FAMFS_OMF_MAX_STRIPS];
};

struct famfs_omf_file {
	uint64_t size;			/* file size, not rounded */
	uint32_t flags;
	uint32_t uid;
	uint32_t gid;
	uint32_t mode;			/* permission bits only */
	char relpath[FAMFS_OMF_PATH_MAX];
	struct famfs_omf_fmap fmap;
	uint32_t horizon;		/* rm images: deletes below this log index were
					   reusable when the file was allocated; 0 none.
					   Upstream's padding after fmap_nextents. */
};

struct famfs_omf_mkdir {
	uint32_t uid;
	uint32_t gid;
	uint32_t mode;
	char relpath[FAMFS_OMF_PATH_MAX];
};

struct famfs_omf_daxdev {
	uint64_t size;			/* bytes of the device */
	uint8_t uuid[16];		/* its device uuid (its superblock's dev_uuid) */
	uint32_t index;			/* the device index extents use */
};

/* DELETE arm (ours; docs/rm.md, section 2.4). */
#define FAMFS_DELETE_IMPLICIT		UINT64_MAX	/* target: an implicit directory */
struct famfs_omf_delete {
	uint64_t target;		/* index of the FILE or MKDIR entry that made the
					   node, or FAMFS_DELETE_IMPLICIT */
	uint32_t target_type;		/* FAMFS_LOG_FILE or FAMFS_LOG_MKDIR */
	char relpath[FAMFS_OMF_PATH_MAX];	/* the node's path when deleted */
};

struct famfs_omf_entry {
	uint64_t seqnum;
	uint32_t type;			/* enum famfs_omf_entry_type */
	uint32_t time;			/* seconds since the epoch when logged, 0: not
					   recorded (see FAMFS_OMF_TIME below) */
	struct famfs_omf_file file;	/* FAMFS_LOG_FILE */
	struct famfs_omf_mkdir mkdir;	/* FAMFS_LOG_MKDIR */
	struct famfs_omf_daxdev daxdev;	/* FAMFS_LOG_ADD_DAXDEV */
	struct famfs_omf_delete del;	/* FAMFS_LOG_DELETE */
	uint64_t crc;			/* as stored (decode) or written (encode) */
};

/*
 * Times. Upstream's format has no timestamp anywhere. Two places that
 * upstream zeroes and never reads carry one here, so the format stays
 * byte-compatible (upstream CRCs an entry's raw bytes, padding included):
 *  - entry.time: the 4 bytes of padding after an entry's type (offset 12),
 *    the seconds since the epoch when the master logged it. Upstream writes
 *    0 there: "not recorded".
 *  - the log tail: the last FAMFS_LOG_TAIL_SIZE bytes of the log region,
 *    past the last slot (every power-of-2 log of 8 MiB or more leaves at
 *    least 16 bytes there). Our mkfs records when the file system was made;
 *    upstream's mkfs zeroes the whole log region, so its images have none.
 *      0  u32 FAMFS_LOG_TAIL_MAGIC
 *      4  u32 mkfs time, seconds since the epoch
 *      8  u32 0
 *     12  u32 crc32 of the superblock's fs uuid, then of bytes [0, 12)
 * How a node's time is derived from these is in ns.h.
 */
#define FAMFS_LOG_TAIL_SIZE		16
#define FAMFS_LOG_TAIL_MAGIC		0x6d697466U	/* "ftim" */

/*
 * Offset of the log tail from the start of the log, or 0 when a log of
 * @log_len bytes leaves no room for one after its last slot.
 */
static inline uint64_t famfs_log_tail_off(uint64_t log_len)
{
	uint64_t end = FAMFS_LOG_HDR_SIZE + famfs_log_nslots(log_len) * FAMFS_LOG_ENTRY_SIZE;

	return end + FAMFS_LOG_TAIL_SIZE <= log_len ? log_len - FAMFS_LOG_TAIL_SIZE : 0;
}

/* Encode the log tail of the file system @fs_uuid made at @mkfs_time. */
void famfs_omf_log_tail_encode(const uint8_t fs_uuid[16], uint32_t mkfs_time,
			       uint8_t out[FAMFS_LOG_TAIL_SIZE]);

/*
 * Decode a log tail: 0 and *@mkfs_time, -ENOENT when there is none (no
 * magic: upstream's mkfs), -EBADMSG when its CRC does not match @fs_uuid
 * and its bytes, -EINVAL when the unused word is not zero.
 */
int famfs_omf_log_tail_decode(const uint8_t buf[FAMFS_LOG_TAIL_SIZE],
			      const uint8_t fs_uuid[16], uint32_t *mkfs_time);

/*
 * The CRC-32 of @len bytes, as zlib's crc32(crc32(0, NULL, 0), buf, len)
 * (lib/crc32.c); _update continues from the CRC @crc of earlier bytes.
 */
uint32_t famfs_crc32(const void *buf, size_t len);
uint32_t famfs_crc32_update(uint32_t crc, const void *buf, size_t len);

/*
 * Encode @sb into @out (FAMFS_SB_SIZE bytes). The CRC is computed here and
 * the sb->crc field is ignored. Every byte of @out is written.
 */
void famfs_omf_sb_encode(const struct famfs_omf_sb *sb, uint8_t out[FAMFS_SB_SIZE]);

/*
 * Decode and validate a superblock from @len bytes at @buf. Checks, in order:
 * length, magic (-EINVAL, "no famfs superblock"), version (-EPROTONOSUPPORT),
 * CRC (-EBADMSG), alloc unit, log offset and log length (-EINVAL; both 0
 * on a secondary), device size (non-zero, a multiple of the alloc unit,
 * larger than sb + log), and the fields past the CRC as every writer
 * leaves them (-EINVAL): flags 0, PRIMARY, SECONDARY or FAMFS_SB_FEAT_RM
 * (a primary made with the rm feature), dd_uuid zero, the device path
 * printable and zero-padded. A secondary's superblock decodes too: callers that need a
 * primary check famfs_omf_sb_is_secondary().
 */
int famfs_omf_sb_decode(const uint8_t *buf, size_t len, struct famfs_omf_sb *sb);

static inline int famfs_omf_sb_is_secondary(const struct famfs_omf_sb *sb)
{
	return (sb->flags & FAMFS_SB_FLAG_SECONDARY) != 0;
}

/* The first byte file data may use: past the log, or past the superblock region. */
static inline uint64_t famfs_omf_sb_data_start(const struct famfs_omf_sb *sb)
{
	return famfs_omf_sb_is_secondary(sb) ? FAMFS_SECONDARY_DATA_START :
		sb->log_offset + sb->log_len;
}

/* Encode @hdr into 48 bytes; the CRC over [0, 24) is computed here. */
void famfs_omf_log_hdr_encode(const struct famfs_omf_log_hdr *hdr,
			      uint8_t out[FAMFS_LOG_HDR_SIZE]);

/*
 * Decode and validate a log header against the superblock's log length:
 * magic, CRC, len == @log_len, last_index == nslots - 1, and
 * next_index <= last_index + 1. next_seqnum is not checked (it is not the
 * commit point; see lib/log.c).
 */
int famfs_omf_log_hdr_decode(const uint8_t *buf, size_t len, uint64_t log_len,
			     struct famfs_omf_log_hdr *hdr);

/*
 * Encode @e into 544 bytes. Unused bytes and padding are zeroed (but for
 * e->time at offset 12 and a FILE's horizon at offset 132), the CRC over
 * [0, 536) is computed and stored (with FAMFS_DELETE_CRC_TAG above it for
 * a DELETE, and FAMFS_MULTIDEV_CRC_TAG for a FILE with an extent on a
 * device other than 0), and e->crc is ignored. Only the arm that matches
 * e->type is written.
 */
void famfs_omf_entry_encode(const struct famfs_omf_entry *e,
			    uint8_t out[FAMFS_LOG_ENTRY_SIZE]);

/*
 * Decode entry @index from its 544 raw bytes and validate what needs no
 * device knowledge: CRC over the raw bytes (-EBADMSG; a DELETE must carry
 * FAMFS_DELETE_CRC_TAG above it and no other type may; a FILE with an
 * extent on a device other than 0 carries FAMFS_MULTIDEV_CRC_TAG and no
 * other entry may), seqnum == @index (-EBADMSG), a known type (-EINVAL;
 * INVALID is refused), a NUL-terminated relpath, for FILE the fmap
 * structure: ext_type, 1..16 simple extents, or one interleaved extent of
 * 1..16 strips with a chunk size that is a power of 2 and a multiple of
 * 2 MiB; for DELETE a target below @index (or FAMFS_DELETE_IMPLICIT for a
 * directory), a target type of FILE or MKDIR, and zeroes in every unused
 * byte; for ADD_DAXDEV zeroes in every unused byte. Whether the file
 * system allows deletes at all is the caller's business, and whether an
 * ADD_DAXDEV fits the file system's devices is famfs_devtab's
 * (famfs/devtab.h).
 */
int famfs_omf_entry_decode(const uint8_t buf[FAMFS_LOG_ENTRY_SIZE], uint64_t index,
			   struct famfs_omf_entry *e);

/*
 * The devices @f has extents or strips on, as a bit mask (bit 63 also for
 * every index of 63 or more).
 */
uint64_t famfs_omf_fmap_devmask(const struct famfs_omf_fmap *f);
/* Does @f have an extent or strip on a device other than 0? */
int famfs_omf_fmap_multidev(const struct famfs_omf_fmap *f);

/* Where file data may live on one device: [data_start, size). */
struct famfs_omf_span {
	uint64_t data_start;
	uint64_t size;
};

/*
 * famfs_omf_fmap_check() for a file system of @ndevs devices: an extent
 * or strip on device i must lie inside @devs[i], and one whose device
 * index is @ndevs or more is refused (-ERANGE, "device N is not in the
 * file system"). Two extents overlap only on the same device.
 */
int famfs_omf_fmap_check_devs(const struct famfs_omf_fmap *f, uint64_t file_size,
			      uint64_t alloc_unit, const struct famfs_omf_span *devs,
			      uint32_t ndevs);

/*
 * Check a decoded file map against the device: every extent or strip has
 * devindex 0, an offset and length aligned to @alloc_unit, a non-zero
 * length, lies inside [@data_start, @dev_size), and the extents cover
 * @file_size bytes (for interleave: nstrips * strip length). Strips of one
 * interleaved extent must be of equal length. No two extents (or strips)
 * overlap. An interleaved file must fit the V10 wire: chunk_size < 4 GiB
 * and a size above 0; and every chunk below the file size must lie inside
 * its strip: the strip length is a multiple of chunk_size and nstrips x
 * strip length >= the file size rounded up to chunks. -EINVAL or -ERANGE.
 */
int famfs_omf_fmap_check(const struct famfs_omf_fmap *f, uint64_t file_size,
			 uint64_t alloc_unit, uint64_t data_start, uint64_t dev_size);

#ifdef __cplusplus
}
#endif
#endif
