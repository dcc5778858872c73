/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * fmap.h - file maps: the kernel's V10 GET_FMAP / GET_DAXDEV wire format,
 * its validation rules, and offset resolution (simple and interleaved).
 *
 * A struct famfs_fmap is the canonical in-memory map of one file. famfsd
 * builds it from a log entry and encodes it; clients decode and validate it
 * with exactly the kernel's rules (V10's famfs_fuse_meta_alloc), then
 * resolve offsets or walk segments to map them. The kernel module (kernel/)
 * compiles the same code.
 *
 * Wire layout (host little-endian, packed, V10):
 *   fuse_famfs_fmap_header (32): u8 file_type, u8 rsvd, u16 fmap_version,
 *       u32 ext_type, u32 nextents, u32 rsvd0, u64 file_size, u64 rsvd1
 *   SIMPLE:     nextents x fuse_famfs_simple_ext (24): u32 devindex, u32 rsvd,
 *               u64 offset, u64 len
 *   INTERLEAVE: nextents x [ fuse_famfs_iext (24): u32 nstrips,
 *               u32 chunk_size, u64 nbytes, u64 rsvd;  nstrips x simple_ext ]
 *   fuse_daxdev_out (280): u16 index, u16 rsvd, u32 rsvd2, u64 rsvd3,
 *               u64 rsvd4, char name[256]
 *
 * Pure code: no I/O, no allocation.
 */
#ifndef FAMFS_FMAP_H
#define FAMFS_FMAP_H

#include "famfs/compat.h"
#include "famfs/omf.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FAMFS_FMAP_VERSION		1
#define FAMFS_FMAP_MSG_MAX		4096	/* the kernel's FMAP_BUFSIZE */
#define FAMFS_FMAP_HDR_SIZE		32
#define FAMFS_FMAP_SIMPLE_EXT_SIZE	24
#define FAMFS_FMAP_IEXT_SIZE		24
#define FAMFS_FMAP_MAX_EXTENTS		32	/* FUSE_FAMFS_MAX_EXTENTS */
#define FAMFS_FMAP_MAX_STRIPS		32	/* FUSE_FAMFS_MAX_STRIPS */
/* Most strips that fit in one 4 KiB message, over all interleaved extents. */
#define FAMFS_FMAP_STRIP_POOL		168
#define FAMFS_DAXDEV_OUT_SIZE		280
#define FAMFS_DAXDEV_NAME_MAX		256
#define FAMFS_MAX_DAXDEVS		24
#define FAMFS_PMD_SIZE			0x200000ULL
#define FAMFS_FMAP_PAGE_SIZE		4096ULL	/* faults map whole pages */

enum famfs_fmap_file_type {
	FAMFS_FILE_REG = 0,
	FAMFS_FILE_SUPERBLOCK = 1,
	FAMFS_FILE_LOG = 2,
};

struct famfs_fmap_ext {
	uint64_t devindex;
	uint64_t offset;		/* byte offset in the daxdev */
	uint64_t len;
};

struct famfs_fmap_iext {
	uint64_t nstrips;
	uint64_t chunk_size;
	uint64_t nbytes;		/* bytes of the file this extent holds */
	uint32_t first;			/* index of its first strip in strips[] */
};

struct famfs_fmap {
	uint8_t file_type;		/* stored, never checked (as the kernel) */
	uint16_t version;		/* stored, never checked (as the kernel) */
	uint32_t ext_type;		/* FAMFS_EXT_SIMPLE or FAMFS_EXT_INTERLEAVE */
	uint32_t nextents;		/* simple extents, or interleaved extents */
	uint64_t file_size;
	uint64_t dev_bitmap;		/* bit i set: device i is referenced */
	struct famfs_fmap_ext se[FAMFS_FMAP_MAX_EXTENTS];
	struct famfs_fmap_iext ie[FAMFS_FMAP_MAX_EXTENTS];
	uint32_t nstrips_total;
	struct famfs_fmap_ext strips[FAMFS_FMAP_STRIP_POOL];
};

/* Build the canonical map of a file from its log entry (no validation). */
int famfs_fmap_from_omf(const struct famfs_omf_file *f, struct famfs_fmap *out);

/*
 * Encode @f in the V10 GET_FMAP reply format into @buf. Returns the number
 * of bytes written, or -E2BIG when it does not fit in @bufsz, or -EINVAL
 * when @f exceeds the wire limits. ie_nbytes is written per extent.
 */
ssize_t famfs_fmap_encode(const struct famfs_fmap *f, uint8_t *buf, size_t bufsz);

/*
 * Decode a GET_FMAP reply of @len bytes and validate it exactly as the
 * kernel's famfs_fuse_meta_alloc() does, in the same order and with the same
 * errno: short header -EINVAL; nextents 0 or > 32 -ERANGE; unknown
 * ext_type -EINVAL; truncated extents -EINVAL; chunk size not PMD-aligned,
 * nbytes 0, nstrips outside 1..32 -EINVAL; an offset or length not
 * PMD-aligned -EINVAL; extents covering less than file_size -EINVAL.
 * @len above FAMFS_FMAP_MSG_MAX is refused with -EINVAL, as the kernel's
 * copy_out_args would.
 *
 * Device indices: V10 refuses every index but 0. Ours accepts any index
 * of the daxdev table, below FAMFS_MAX_DAXDEVS (-EINVAL above), because a
 * famfs file may span several devices (docs/multidev.md); every device it
 * names is looked up with GET_DAXDEV.
 *
 * One rule goes beyond the kernel's: every chunk of an interleaved extent
 * that holds file bytes must lie inside its strip (strip lengths a
 * multiple of the chunk size, and strip j long enough for the chunks
 * j, j + nstrips, ... below the file size), else -EINVAL. The kernel
 * resolves offsets past a short strip into whatever memory follows it.
 * Likewise the interleaved extents' nbytes must add up to the file size:
 * bytes no extent holds would be a hole inside EOF.
 */
int famfs_fmap_decode(const uint8_t *buf, size_t len, struct famfs_fmap *out);

/* One resolved range: [offset, offset + length) of the file is at addr. */
struct famfs_iomap {
	uint64_t devindex;
	uint64_t addr;			/* byte offset in the device */
	uint64_t offset;		/* file offset (= pos) */
	uint64_t length;
};

/*
 * Resolve file offset @pos for an access of @len bytes, with the kernel's
 * famfs_fuse_iomap_begin() arithmetic (without the daxdev table): the
 * length is clipped to the extent (simple) or the chunk (interleave).
 * Returns 0, -EIO when nothing covers @pos (past the map is never a hole),
 * or -EINVAL for a chunk size that is not PMD-aligned. Devindex >= 24 is
 * -EIO, as in the kernel. Unlike the kernel, an offset whose chunk lies
 * past the end of its strip is -EIO, and the length is also clipped to the
 * strip: the answer is never an address outside the strip.
 */
int famfs_fmap_resolve(const struct famfs_fmap *f, uint64_t pos, uint64_t len,
		       struct famfs_iomap *out);

/*
 * Bounds the kernel module adds to V10's validation, once the devices are
 * known: every extent and strip lies inside its device (@dev_size[i] bytes,
 * 0 for a device that is not there), and every device byte that
 * famfs_fmap_resolve() can name for a file offset that reads, writes or
 * faults reach (below file_size rounded up to a page; a resolved length
 * runs to the end of its chunk) lies inside the strip it comes from. V10
 * checks neither: an interleaved extent whose strips are shorter than its
 * chunks need resolves past a strip's end, into memory the file does not
 * own. Returns 0 or -EINVAL.
 */
int famfs_fmap_check_bounds(const struct famfs_fmap *f,
			    const uint64_t dev_size[FAMFS_MAX_DAXDEVS]);

/*
 * A run of the file that is contiguous on one device: file bytes
 * [file_off, file_off + len) live at [dev_off, dev_off + len) of devindex.
 */
struct famfs_seg {
	uint64_t file_off;
	uint64_t devindex;
	uint64_t dev_off;
	uint64_t len;
};

typedef int (*famfs_seg_fn)(void *ctx, const struct famfs_seg *seg);

/*
 * Call @fn for each segment of @f in file order, covering
 * [0, round_up(file_size, PMD)) at most. Adjacent extents or interleave
 * chunks that are contiguous on the same device are merged into one
 * segment. A non-zero return from @fn stops the walk and is returned.
 * Returns the number of segments, or a negative errno: -EIO when a chunk
 * below that limit runs past the end of its strip (no hole is skipped).
 */
long famfs_fmap_walk(const struct famfs_fmap *f, famfs_seg_fn fn, void *ctx);

/* Encode a 280-byte fuse_daxdev_out; @name is NUL-terminated, cut at 255. */
void famfs_daxdev_out_encode(uint16_t index, const char *name,
			     uint8_t out[FAMFS_DAXDEV_OUT_SIZE]);

/*
 * Decode a fuse_daxdev_out: @len must be exactly 280 (-EINVAL) and the name
 * non-empty and NUL-terminated within 256 bytes (-EINVAL).
 */
int famfs_daxdev_out_decode(const uint8_t *buf, size_t len, uint16_t *index,
			    char name[FAMFS_DAXDEV_NAME_MAX]);

#ifdef __cplusplus
}
#endif
#endif
