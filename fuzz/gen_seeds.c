// SPDX-License-Identifier: Apache-2.0
/*
 * gen_seeds.c - writes the seed corpus for the fuzz harnesses
 * (fuzz/corpus/<harness>/) from our own encoders: valid superblocks, log
 * headers, entries of every type (simple and interleaved files, mkdir,
 * daxdev), whole small images, GET_FMAP replies and paths, plus a few
 * near-misses of each. Run by fuzz/build.sh --seeds; the output is
 * committed so a replay needs no generator.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "famfs/fmap.h"
#include "famfs/le.h"
#include "famfs/omf.h"
#include "fuzz_util.h"

static const char *outdir;

static void put(const char *harness, const char *name, const void *a, size_t alen,
		const void *b, size_t blen)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", outdir, harness);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/%s", outdir, harness, name);
	f = fopen(path, "wb");
	if (!f || fwrite(a, 1, alen, f) != alen || (blen && fwrite(b, 1, blen, f) != blen)) {
		perror(path);
		exit(1);
	}
	fclose(f);
}

static void make_sb(struct famfs_omf_sb *sb, uint64_t dev_size)
{
	memset(sb, 0, sizeof(*sb));
	sb->magic = FAMFS_SUPER_MAGIC;
	sb->version = FAMFS_CURRENT_VERSION;
	sb->log_offset = FAMFS_LOG_OFFSET;
	sb->log_len = FAMFS_LOG_LEN_MIN;
	sb->alloc_unit = FAMFS_ALLOC_UNIT;
	sb->omf_major = FAMFS_OMF_VER_MAJOR;
	sb->omf_minor = FAMFS_OMF_VER_MINOR;
	memset(sb->uuid, 0xa1, 16);
	memset(sb->dev_uuid, 0xb2, 16);
	memcpy(sb->system_uuid, "\x11\x11\x11\x11\x22\x22\x33\x33\x44\x44\x55\x55\x55\x55\x55\x55",
	       16);
	sb->dev_size = dev_size;
	strcpy(sb->daxdev, "/dev/dax0.0");
}

static void make_file(struct famfs_omf_entry *e, const char *path, uint64_t size, uint64_t off)
{
	memset(e, 0, sizeof(*e));
	e->type = FAMFS_LOG_FILE;
	e->file.size = size;
	e->file.flags = FAMFS_FM_ALL_HOSTS_RW;
	e->file.mode = 0644;
	snprintf(e->file.relpath, sizeof(e->file.relpath), "%s", path);
	e->file.fmap.ext_type = FAMFS_EXT_SIMPLE;
	e->file.fmap.nextents = 1;
	e->file.fmap.se[0].offset = off;
	e->file.fmap.se[0].len = (size + FAMFS_ALLOC_UNIT - 1) & ~(FAMFS_ALLOC_UNIT - 1);
}

static void make_ifile(struct famfs_omf_entry *e, const char *path, uint64_t off, int nstrips)
{
	int i;

	make_file(e, path, (uint64_t)nstrips * FAMFS_ALLOC_UNIT, off);
	e->file.fmap.ext_type = FAMFS_EXT_INTERLEAVE;
	e->file.fmap.nstrips = nstrips;
	e->file.fmap.chunk_size = FAMFS_ALLOC_UNIT;
	memset(e->file.fmap.se, 0, sizeof(e->file.fmap.se));
	for (i = 0; i < nstrips; i++) {
		e->file.fmap.strips[i].offset = off + (uint64_t)i * FAMFS_ALLOC_UNIT;
		e->file.fmap.strips[i].len = FAMFS_ALLOC_UNIT;
	}
}

static void make_mkdir(struct famfs_omf_entry *e, const char *path)
{
	memset(e, 0, sizeof(*e));
	e->type = FAMFS_LOG_MKDIR;
	e->mkdir.mode = 0755;
	snprintf(e->mkdir.relpath, sizeof(e->mkdir.relpath), "%s", path);
}

static void seeds_sb(void)
{
	struct famfs_omf_sb sb;
	uint8_t buf[FAMFS_SB_SIZE], m1 = 1, m0 = 0;

	make_sb(&sb, 8ULL << 30);
	famfs_omf_sb_encode(&sb, buf);
	put("fuzz_sb", "valid", &m0, 1, buf, sizeof(buf));
	buf[40] ^= 1;	/* omf_major: fixed CRC reaches the later checks */
	put("fuzz_sb", "fixcrc-major", &m1, 1, buf, sizeof(buf));
	make_sb(&sb, 3);
	famfs_omf_sb_encode(&sb, buf);
	put("fuzz_sb", "bad-devsize", &m0, 1, buf, sizeof(buf));
	put("fuzz_sb", "short", &m0, 1, buf, 100);
	/* a secondary device's: no log, its own device uuid */
	make_sb(&sb, 2ULL << 30);
	sb.log_offset = sb.log_len = 0;
	sb.flags = FAMFS_SB_FLAG_SECONDARY;
	famfs_omf_sb_encode(&sb, buf);
	put("fuzz_sb", "secondary", &m0, 1, buf, sizeof(buf));
}

static void seeds_hdr(void)
{
	struct famfs_omf_log_hdr h = { .magic = FAMFS_LOG_MAGIC, .len = FAMFS_LOG_LEN_MIN };
	uint8_t buf[FAMFS_LOG_HDR_SIZE], m0 = 0, m1 = 1;

	h.last_index = famfs_log_nslots(FAMFS_LOG_LEN_MIN) - 1;
	famfs_omf_log_hdr_encode(&h, buf);
	put("fuzz_log_hdr", "empty", &m0, 1, buf, sizeof(buf));
	h.next_index = h.next_seqnum = 7;
	famfs_omf_log_hdr_encode(&h, buf);
	put("fuzz_log_hdr", "seven", &m0, 1, buf, sizeof(buf));
	h.next_index = h.last_index + 2;
	famfs_omf_log_hdr_encode(&h, buf);
	put("fuzz_log_hdr", "past-end", &m1, 1, buf, sizeof(buf));
}

static void put_entry(const char *name, const struct famfs_omf_entry *e0, uint64_t index,
		      uint8_t mode)
{
	struct famfs_omf_entry e = *e0;
	uint8_t pre[9], buf[FAMFS_LOG_ENTRY_SIZE];

	e.seqnum = index;
	famfs_omf_entry_encode(&e, buf);
	pre[0] = mode;
	famfs_put_le64(pre + 1, index);
	put("fuzz_log_entry", name, pre, 9, buf, sizeof(buf));
}

static void seeds_entry(void)
{
	struct famfs_omf_entry e;

	make_file(&e, "dir/file", 5000000, 12ULL << 20);
	put_entry("file", &e, 3, 0);
	e.file.fmap.nextents = 3;
	e.file.fmap.se[1] = e.file.fmap.se[0];
	e.file.fmap.se[2] = e.file.fmap.se[0];
	put_entry("file-3ext-overlap", &e, 4, 0);
	make_ifile(&e, "striped", 64ULL << 20, 4);
	put_entry("interleave", &e, 5, 0);
	e.file.fmap.chunk_size = 3 * FAMFS_ALLOC_UNIT;
	put_entry("interleave-badchunk", &e, 5, 1);
	/* Issue 18: strips that add up to the size, chunks that run past them. */
	make_ifile(&e, "hostile", 64ULL << 20, 4);
	e.file.fmap.chunk_size = 4 * FAMFS_ALLOC_UNIT;
	put_entry("interleave-chunk-past-strips", &e, 5, 0);
	make_mkdir(&e, "dir");
	put_entry("mkdir", &e, 0, 0);
	memset(&e, 0, sizeof(e));
	e.type = FAMFS_LOG_ADD_DAXDEV;
	e.daxdev.size = 1ULL << 30;
	e.daxdev.index = 1;
	put_entry("daxdev", &e, 9, 0);
	/* famfs rm: a delete of a file, of an implicit directory, and one made later. */
	memset(&e, 0, sizeof(e));
	e.type = FAMFS_LOG_DELETE;
	e.del.target = 3;
	e.del.target_type = FAMFS_LOG_FILE;
	strcpy(e.del.relpath, "dir/file");
	put_entry("delete", &e, 10, 1);
	e.del.target = FAMFS_DELETE_IMPLICIT;
	e.del.target_type = FAMFS_LOG_MKDIR;
	strcpy(e.del.relpath, "old");
	put_entry("delete-implicit", &e, 11, 1);
	e.del.target = 12;
	put_entry("delete-later", &e, 12, 1);
	make_file(&e, "reuse", 4096, 12ULL << 20);
	e.file.horizon = 11;
	put_entry("file-horizon", &e, 13, 0);
	/* a strip on device 1: the CRC carries the multi-device tag */
	make_ifile(&e, "two-devices", 64ULL << 20, 2);
	e.file.fmap.strips[1].devindex = 1;
	put_entry("multidev", &e, 10, 0);
}

/* A whole image: superblock, header and a few entries (fuzz_replay input). */
static void seeds_replay(void)
{
	static uint8_t img[1 + FAMFS_SB_SIZE + FAMFS_LOG_HDR_SIZE + 8 * FAMFS_LOG_ENTRY_SIZE];
	struct famfs_omf_log_hdr h = { .magic = FAMFS_LOG_MAGIC, .len = FAMFS_LOG_LEN_MIN };
	struct famfs_omf_entry e[6];
	struct famfs_omf_sb sb;
	uint8_t *p = img + 1 + FAMFS_SB_SIZE + FAMFS_LOG_HDR_SIZE;
	uint64_t data = FAMFS_LOG_OFFSET + FAMFS_LOG_LEN_MIN;
	int i, n = 6;

	make_sb(&sb, 32ULL << 20);
	famfs_omf_sb_encode(&sb, img + 1);
	make_mkdir(&e[0], "a");
	make_file(&e[1], "a/f1", 4096, data);
	make_file(&e[2], "top", 3 * FAMFS_ALLOC_UNIT, data + FAMFS_ALLOC_UNIT);
	make_mkdir(&e[3], "a/b");
	make_ifile(&e[4], "a/b/i", data + 4 * FAMFS_ALLOC_UNIT, 2);
	make_file(&e[5], "a/b/f2", 100, data + 6 * FAMFS_ALLOC_UNIT);
	for (i = 0; i < n; i++) {
		e[i].seqnum = i;
		famfs_omf_entry_encode(&e[i], p + i * FAMFS_LOG_ENTRY_SIZE);
	}
	h.last_index = famfs_log_nslots(FAMFS_LOG_LEN_MIN) - 1;
	h.next_index = h.next_seqnum = n;
	famfs_omf_log_hdr_encode(&h, img + 1 + FAMFS_SB_SIZE);
	img[0] = 0;
	put("fuzz_replay", "six", img, 1 + FAMFS_SB_SIZE + FAMFS_LOG_HDR_SIZE +
	    n * FAMFS_LOG_ENTRY_SIZE, NULL, 0);
	/* Same, with the CRC fix-up bits: lets mutations reach the fmap checks. */
	img[0] = 0xf;
	put("fuzz_replay", "six-fixcrc", img, 1 + FAMFS_SB_SIZE + FAMFS_LOG_HDR_SIZE +
	    n * FAMFS_LOG_ENTRY_SIZE, NULL, 0);
	/* A torn tail: an uncommitted entry past next_index. */
	h.next_index = h.next_seqnum = 4;
	famfs_omf_log_hdr_encode(&h, img + 1 + FAMFS_SB_SIZE);
	img[0] = 0;
	put("fuzz_replay", "uncommitted", img, 1 + FAMFS_SB_SIZE + FAMFS_LOG_HDR_SIZE +
	    n * FAMFS_LOG_ENTRY_SIZE, NULL, 0);
	/* Overlapping extents (a collision). */
	make_file(&e[5], "a/b/f2", 100, data);
	e[5].seqnum = 5;
	famfs_omf_entry_encode(&e[5], p + 5 * FAMFS_LOG_ENTRY_SIZE);
	img[0] = 0x8;
	put("fuzz_replay", "collision", img, 1 + FAMFS_SB_SIZE + FAMFS_LOG_HDR_SIZE +
	    n * FAMFS_LOG_ENTRY_SIZE, NULL, 0);
	/*
	 * Issue 18's hostile entry: a0 has 4 strips of 2 MiB (at +0, +10,
	 * +12, +14 MiB) and 8 MiB chunks, so chunk 0 runs over the memory
	 * [+2, +8) MiB that the file after it, "secret", holds.
	 */
	make_mkdir(&e[0], "a");
	make_ifile(&e[1], "a/evil", data, 4);
	e[1].file.fmap.chunk_size = 4 * FAMFS_ALLOC_UNIT;
	for (i = 1; i < 4; i++)
		e[1].file.fmap.strips[i].offset = data + (4 + (uint64_t)i) * FAMFS_ALLOC_UNIT;
	make_file(&e[2], "secret", 3 * FAMFS_ALLOC_UNIT, data + FAMFS_ALLOC_UNIT);
	for (i = 0; i < 3; i++) {
		e[i].seqnum = i;
		famfs_omf_entry_encode(&e[i], p + i * FAMFS_LOG_ENTRY_SIZE);
	}
	h.next_index = h.next_seqnum = 3;
	famfs_omf_log_hdr_encode(&h, img + 1 + FAMFS_SB_SIZE);
	img[0] = 0;
	put("fuzz_replay", "hostile-interleave", img, 1 + FAMFS_SB_SIZE + FAMFS_LOG_HDR_SIZE +
	    3 * FAMFS_LOG_ENTRY_SIZE, NULL, 0);
}

/* A GET_FMAP seed: 4 strips of 2 MiB, chunk @chunk, ie_nbytes @nbytes (0: the size). */
static void put_ifmap(const char *name, uint64_t chunk, uint64_t nbytes)
{
	struct famfs_omf_entry e;
	struct famfs_fmap f;
	uint8_t buf[FAMFS_FMAP_MSG_MAX];
	ssize_t n;

	make_ifile(&e, "z", 128ULL << 20, 4);
	famfs_fmap_from_omf(&e.file, &f);
	f.ie[0].chunk_size = chunk;
	if (nbytes)
		f.ie[0].nbytes = nbytes;
	n = famfs_fmap_encode(&f, buf, sizeof(buf));
	if (n > 0)
		put("fuzz_fmap", name, buf, (size_t)n, NULL, 0);
}

static void seeds_fmap(void)
{
	struct famfs_omf_entry e;
	struct famfs_fmap f;
	uint8_t buf[FAMFS_FMAP_MSG_MAX];
	ssize_t n;

	make_file(&e, "x", 5 * FAMFS_ALLOC_UNIT + 17, 16ULL << 20);
	e.file.fmap.nextents = 2;
	e.file.fmap.se[0].len = 2 * FAMFS_ALLOC_UNIT;
	e.file.fmap.se[1].offset = 64ULL << 20;
	e.file.fmap.se[1].len = 4 * FAMFS_ALLOC_UNIT;
	famfs_fmap_from_omf(&e.file, &f);
	n = famfs_fmap_encode(&f, buf, sizeof(buf));
	if (n > 0)
		put("fuzz_fmap", "simple2", buf, (size_t)n, NULL, 0);
	make_ifile(&e, "y", 128ULL << 20, 3);
	e.file.size = 5 * FAMFS_ALLOC_UNIT;
	famfs_fmap_from_omf(&e.file, &f);
	n = famfs_fmap_encode(&f, buf, sizeof(buf));
	if (n > 0)
		put("fuzz_fmap", "interleave3", buf, (size_t)n, NULL, 0);
	/* Issue 18: 4 strips of 2 MiB add up to the size; 8 MiB chunks do not fit. */
	put_ifmap("interleave-chunk-past-strips", 4 * FAMFS_ALLOC_UNIT, 0);
	/* nbytes below the file size: bytes no extent holds. */
	put_ifmap("interleave-nbytes-short", FAMFS_ALLOC_UNIT, 3 * FAMFS_ALLOC_UNIT);
	famfs_daxdev_out_encode(0, "/dev/dax0.0", buf);
	put("fuzz_fmap", "daxdev", buf, FAMFS_DAXDEV_OUT_SIZE, NULL, 0);
}

/* Raw GET_FMAP replies, written field by field (no encoder checks). */
static size_t raw_hdr(uint8_t *b, uint32_t ext_type, uint32_t nextents, uint64_t size)
{
	memset(b, 0, FAMFS_FMAP_HDR_SIZE);
	famfs_put_le16(b + 2, FAMFS_FMAP_VERSION);
	famfs_put_le32(b + 4, ext_type);
	famfs_put_le32(b + 8, nextents);
	famfs_put_le64(b + 16, size);
	return FAMFS_FMAP_HDR_SIZE;
}

static size_t raw_ext(uint8_t *b, uint32_t dev, uint64_t off, uint64_t len)
{
	memset(b, 0, FAMFS_FMAP_SIMPLE_EXT_SIZE);
	famfs_put_le32(b, dev);
	famfs_put_le64(b + 8, off);
	famfs_put_le64(b + 16, len);
	return FAMFS_FMAP_SIMPLE_EXT_SIZE;
}

static size_t raw_iext(uint8_t *b, uint32_t nstrips, uint32_t chunk, uint64_t nbytes)
{
	memset(b, 0, FAMFS_FMAP_IEXT_SIZE);
	famfs_put_le32(b, nstrips);
	famfs_put_le32(b + 4, chunk);
	famfs_put_le64(b + 8, nbytes);
	return FAMFS_FMAP_IEXT_SIZE;
}

/*
 * Malformed replies, one per rule of the kernel's validator (and the
 * module's device-size and strip-reach checks and the fuse core's 4 KiB
 * limit); make
 * check-vm has famfsd send each to the kernel. Their extents sit at 1 GiB,
 * inside a 4 GiB device's data area.
 */
static void seeds_fmap_bad(void)
{
	const uint64_t G = 1ULL << 30, M2 = FAMFS_ALLOC_UNIT;
	uint8_t b[FAMFS_FMAP_MSG_MAX + 64];
	size_t n;

	n = raw_hdr(b, FAMFS_EXT_SIMPLE, 1, M2);
	put("fuzz_fmap", "bad-short-header", b, 20, NULL, 0);
	n = raw_hdr(b, FAMFS_EXT_SIMPLE, 0, M2);
	n += raw_ext(b + n, 0, G, M2);
	put("fuzz_fmap", "bad-nextents-0", b, n, NULL, 0);
	n = raw_hdr(b, FAMFS_EXT_SIMPLE, 33, M2);
	for (int i = 0; i < 33; i++)
		n += raw_ext(b + n, 0, G + i * M2, M2);
	put("fuzz_fmap", "bad-nextents-33", b, n, NULL, 0);
	n = raw_hdr(b, 7, 1, M2);
	n += raw_ext(b + n, 0, G, M2);
	put("fuzz_fmap", "bad-ext-type", b, n, NULL, 0);
	n = raw_hdr(b, FAMFS_EXT_SIMPLE, 2, 2 * M2);
	n += raw_ext(b + n, 0, G, M2);
	put("fuzz_fmap", "bad-truncated", b, n, NULL, 0);
	/* device 24: past the daxdev table (V10 refuses every index but 0, we
	 * every index past the table) */
	n = raw_hdr(b, FAMFS_EXT_SIMPLE, 1, M2);
	n += raw_ext(b + n, FAMFS_MAX_DAXDEVS, G, M2);
	put("fuzz_fmap", "bad-devindex", b, n, NULL, 0);
	/* two strips on two devices: valid where both devices hold [G, G + 2M) */
	n = raw_hdr(b, FAMFS_EXT_INTERLEAVE, 1, 2 * M2);
	n += raw_iext(b + n, 2, M2, 2 * M2);
	n += raw_ext(b + n, 0, G, M2);
	n += raw_ext(b + n, 1, G, M2);
	put("fuzz_fmap", "multidev", b, n, NULL, 0);
	n = raw_hdr(b, FAMFS_EXT_SIMPLE, 1, M2);
	n += raw_ext(b + n, 0, G + 4096, M2);
	put("fuzz_fmap", "bad-offset-align", b, n, NULL, 0);
	n = raw_hdr(b, FAMFS_EXT_SIMPLE, 1, 4096);
	n += raw_ext(b + n, 0, G, 4096);
	put("fuzz_fmap", "bad-len-align", b, n, NULL, 0);
	n = raw_hdr(b, FAMFS_EXT_SIMPLE, 1, 3 * M2);
	n += raw_ext(b + n, 0, G, 2 * M2);
	put("fuzz_fmap", "bad-short-cover", b, n, NULL, 0);
	n = raw_hdr(b, FAMFS_EXT_SIMPLE, 1, M2);
	n += raw_ext(b + n, 0, 8 * G, M2);
	put("fuzz_fmap", "bad-past-device", b, n, NULL, 0);
	n = raw_hdr(b, FAMFS_EXT_INTERLEAVE, 1, 2 * M2);
	n += raw_iext(b + n, 2, 1U << 20, 2 * M2);
	n += raw_ext(b + n, 0, G, M2);
	n += raw_ext(b + n, 0, G + M2, M2);
	put("fuzz_fmap", "bad-chunk-align", b, n, NULL, 0);
	n = raw_hdr(b, FAMFS_EXT_INTERLEAVE, 1, 2 * M2);
	n += raw_iext(b + n, 2, (uint32_t)M2, 0);
	n += raw_ext(b + n, 0, G, M2);
	n += raw_ext(b + n, 0, G + M2, M2);
	put("fuzz_fmap", "bad-nbytes-0", b, n, NULL, 0);
	n = raw_hdr(b, FAMFS_EXT_INTERLEAVE, 1, 2 * M2);
	n += raw_iext(b + n, 0, (uint32_t)M2, 2 * M2);
	put("fuzz_fmap", "bad-nstrips-0", b, n, NULL, 0);
	n = raw_hdr(b, FAMFS_EXT_INTERLEAVE, 1, 2 * M2);
	n += raw_iext(b + n, 2, (uint32_t)M2, 2 * M2);
	n += raw_ext(b + n, 0, G, M2);
	put("fuzz_fmap", "bad-strips-truncated", b, n, NULL, 0);
	/* V10 accepts it: chunk 3 lands 2 MiB past the end of strip 1 */
	n = raw_hdr(b, FAMFS_EXT_INTERLEAVE, 1, 4 * M2);
	n += raw_iext(b + n, 2, (uint32_t)M2, 4 * M2);
	n += raw_ext(b + n, 0, G, 3 * M2);
	n += raw_ext(b + n, 0, G + 8 * M2, M2);
	put("fuzz_fmap", "bad-strip-overrun", b, n, NULL, 0);
	memset(b, 0, sizeof(b));
	n = raw_hdr(b, FAMFS_EXT_SIMPLE, 1, M2);
	n += raw_ext(b + n, 0, G, M2);
	put("fuzz_fmap", "bad-oversize", b, FAMFS_FMAP_MSG_MAX + 8, NULL, 0);
}

static void seeds_path(void)
{
	static const char *const p[] = {
		"a", "dir/sub/file", "./a//b/", "a/../b", "/abs", "a/./b", ".", "x\x01y",
		"0123456789012345678901234567890123456789012345678901234567890123456789012345678",
	};
	char name[16];

	for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i++) {
		snprintf(name, sizeof(name), "p%zu", i);
		put("fuzz_path", name, p[i], strlen(p[i]), NULL, 0);
	}
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: gen_seeds OUTDIR\n");
		return 2;
	}
	outdir = argv[1];
	mkdir(outdir, 0755);
	seeds_sb();
	seeds_hdr();
	seeds_entry();
	seeds_replay();
	seeds_fmap();
	seeds_fmap_bad();
	seeds_path();
	return 0;
}
