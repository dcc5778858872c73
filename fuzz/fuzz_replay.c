// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_replay.c - libFuzzer harness for opening and replaying a whole image:
 * famfs_log_open, famfs_fs_catchup (entry decode, fmap check, namespace
 * apply, allocation marking, exactly as a mount replays) and famfs_fsck,
 * over a synthetic 32 MiB device held in memory (no files, no mmap).
 *
 * Input: byte 0 is a mode, then the 200-byte superblock, the 48-byte log
 * header and up to 64 raw 544-byte entries. Mode bits store valid CRCs
 * (1: superblock, 2: header, 4: entries, with seqnum = slot) and
 * (8) set next_index to the number of entries given, so the fuzzer reaches
 * the checks behind the CRCs.
 * Invariants: every file replay serves resolves inside the device, and its
 * segment walk (what a client maps) covers the file with no hole, every
 * segment inside one of the file's own extents or strips, no device unit
 * in two served files; a log that fsck calls clean replays completely with
 * nothing skipped.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "famfs/err.h"
#include "famfs/fmap.h"
#include "famfs/fs.h"
#include "famfs/fsck.h"
#include "famfs/log.h"
#include "fuzz_util.h"

#define DEV_SIZE	(32ULL << 20)
#define MAX_ENTRIES	64

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t *image;
static size_t dirty_log;	/* bytes of the log written by the last input */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	setenv("FAMFS_SYSTEM_UUID", "11111111-2222-3333-4444-555555555555", 1);
	if (posix_memalign((void **)&image, 1 << 21, DEV_SIZE))
		abort();
	memset(image, 0, DEV_SIZE);
	return 0;
}

struct served_walk {
	const struct famfs_omf_fmap *m;
	uint64_t index;
	uint64_t next_off;			/* end of the previous segment */
	uint8_t *units;				/* device units some served file maps */
};

/*
 * Is every byte of [off, off + len) inside the file's own extents or
 * strips? (The walk merges pieces that are adjacent on the device, so one
 * segment may span several.) Replay checked them against the device.
 */
static int in_own_extent(const struct famfs_omf_fmap *m, uint64_t off, uint64_t len)
{
	const struct famfs_omf_extent *x = m->ext_type == FAMFS_EXT_SIMPLE ? m->se : m->strips;
	uint64_t n = m->ext_type == FAMFS_EXT_SIMPLE ? m->nextents : m->nstrips, i, u;

	for (u = off; u - off < len; u = x[i].offset + x[i].len) {
		for (i = 0; i < n; i++)
			if (u >= x[i].offset && u - x[i].offset < x[i].len)
				break;
		if (i == n)
			return 0;
	}
	return 1;
}

static int on_served_seg(void *arg, const struct famfs_seg *s)
{
	struct served_walk *w = arg;

	if (s->file_off != w->next_off)
		fuzz_fail("entry %llu: the walk leaves a hole at 0x%llx",
			  (unsigned long long)w->index, (unsigned long long)w->next_off);
	if (!in_own_extent(w->m, s->dev_off, s->len))
		fuzz_fail("entry %llu: file bytes at device [0x%llx, +0x%llx) are outside "
			  "its extents", (unsigned long long)w->index,
			  (unsigned long long)s->dev_off, (unsigned long long)s->len);
	for (uint64_t u = s->dev_off >> 21; u < (s->dev_off + s->len + (1 << 21) - 1) >> 21;
	     u++) {
		if (u < (DEV_SIZE >> 21) && w->units[u])
			fuzz_fail("entry %llu maps device unit %llu that another served file "
				  "maps", (unsigned long long)w->index, (unsigned long long)u);
	}
	w->next_off = s->file_off + s->len;
	return 0;
}

static void mark_units(const struct famfs_omf_fmap *m, uint8_t *units)
{
	const struct famfs_omf_extent *x = m->ext_type == FAMFS_EXT_SIMPLE ? m->se : m->strips;
	uint64_t n = m->ext_type == FAMFS_EXT_SIMPLE ? m->nextents : m->nstrips;

	for (uint64_t i = 0; i < n; i++)
		for (uint64_t u = x[i].offset >> 21; u < (x[i].offset + x[i].len) >> 21 &&
		     u < (DEV_SIZE >> 21); u++)
			units[u] = 1;
}

/* What a client maps of each served file stays in that file's memory. */
static void check_walks(struct famfs_fs *fs)
{
	static struct famfs_omf_file f;
	static struct famfs_fmap map;
	uint8_t units[DEV_SIZE >> 21] = { 0 };
	struct served_walk w = { .units = units };
	const struct famfs_node *n;
	long rc;

	for (uint64_t i = 0; i < fs->next; i++) {
		n = famfs_ns_by_ino(fs->ns, i + 2);
		if (!n || !S_ISREG(n->mode) || !n->size)
			continue;
		memset(&f, 0, sizeof(f));
		f.size = n->size;
		f.fmap = *n->fmap;
		if (famfs_fmap_from_omf(&f, &map))
			fuzz_fail("served entry %llu has no fmap", (unsigned long long)i);
		w.m = &f.fmap;
		w.index = i;
		w.next_off = 0;
		rc = famfs_fmap_walk(&map, on_served_seg, &w);
		if (rc < 0)
			fuzz_fail("served entry %llu: the walk fails (%ld): %s",
				  (unsigned long long)i, rc, famfs_errmsg());
		if (w.next_off < n->size)
			fuzz_fail("served entry %llu: the walk stops at 0x%llx of 0x%llx",
				  (unsigned long long)i, (unsigned long long)w.next_off,
				  (unsigned long long)n->size);
		mark_units(&f.fmap, units);
	}
}

static void check_served(struct famfs_fs *fs, struct famfs_dev *dev)
{
	uint64_t i, len;
	struct famfs_node *n;
	uint8_t *p;

	for (i = 0; i < fs->next; i++) {
		n = famfs_ns_by_ino(fs->ns, i + 2);
		if (!n || !S_ISREG(n->mode) || !n->size)
			continue;	/* an empty file maps nothing */
		if (n->log_index != i)
			fuzz_fail("node of entry %llu says log index %llu",
				  (unsigned long long)i, (unsigned long long)n->log_index);
		p = famfs_fs_addr(fs, n, 0, &len);
		if (!p)
			fuzz_fail("served file of entry %llu does not resolve",
				  (unsigned long long)i);
		if (p < dev->base + FAMFS_LOG_OFFSET + fs->log->sb.log_len ||
		    len > (uint64_t)(dev->base + dev->size - p))
			fuzz_fail("served file of entry %llu maps outside the data area",
				  (unsigned long long)i);
		p = famfs_fs_addr(fs, n, n->size - 1, &len);
		if (!p || len < 1 || len > (uint64_t)(dev->base + dev->size - p))
			fuzz_fail("last byte of entry %llu maps outside the device",
				  (unsigned long long)i);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct famfs_dev dev = { .fd = -1, .size = DEV_SIZE, .path = "fuzz-image" };
	struct famfs_fsck_result res;
	struct famfs_fs fs;
	uint8_t *log = image + FAMFS_LOG_OFFSET;
	size_t nent, i;
	uint8_t mode;
	int rc, fsck_rc;

	if (size < 1 + FAMFS_SB_SIZE + FAMFS_LOG_HDR_SIZE)
		return 0;
	mode = data[0];
	data++;
	size--;
	nent = (size - FAMFS_SB_SIZE - FAMFS_LOG_HDR_SIZE) / FAMFS_LOG_ENTRY_SIZE;
	if (nent > MAX_ENTRIES)
		nent = MAX_ENTRIES;

	memset(image, 0, FAMFS_SB_SIZE);
	memset(log, 0, dirty_log);
	memcpy(image, data, FAMFS_SB_SIZE);
	memcpy(log, data + FAMFS_SB_SIZE, FAMFS_LOG_HDR_SIZE + nent * FAMFS_LOG_ENTRY_SIZE);
	dirty_log = FAMFS_LOG_HDR_SIZE + nent * FAMFS_LOG_ENTRY_SIZE;
	if (mode & 1)
		fz_fix_sb_crc(image);
	if (mode & 8)
		famfs_put_le64(log + 40, nent);
	if (mode & 2)
		fz_fix_hdr_crc(log);
	if (mode & 4)
		for (i = 0; i < nent; i++)
			fz_fix_entry(log + FAMFS_LOG_HDR_SIZE + i * FAMFS_LOG_ENTRY_SIZE, i);
	dev.base = image;

	memset(&res, 0, sizeof(res));
	fsck_rc = famfs_fsck(&dev, NULL, NULL, &res);

	memset(&fs, 0, sizeof(fs));
	fs.dev = &dev;
	rc = famfs_log_open(&dev, &fs.log);
	if (rc)
		return 0;
	if (fsck_rc)
		fuzz_fail("log opens but fsck cannot check it (%d)", fsck_rc);
	if (famfs_ns_new(&fs.ns))
		goto out_log;
	famfs_ns_limit_implicit(fs.ns, fs.log->nslots);
	fs.devs[0] = &dev;
	famfs_devtab_init(&fs.devtab, &fs.log->sb, fs.log->sb.dev_size);
	if (famfs_allocset_add(&fs.alloc, fs.log->sb.dev_size, fs.log->sb.alloc_unit,
			       famfs_omf_sb_data_start(&fs.log->sb)))
		goto out_ns;
	famfs_fs_catchup(&fs);
	if (fs.next > famfs_log_next_index(fs.log))
		fuzz_fail("replayed past next_index");
	check_served(&fs, &dev);
	check_walks(&fs);
	if (res.errors == 0 && (fs.replay_err || fs.next != famfs_log_next_index(fs.log)))
		fuzz_fail("fsck is clean but replay stopped at %llu (err %d)",
			  (unsigned long long)fs.next, fs.replay_err);
	/* A second catch-up with nothing new must not move. */
	if (famfs_fs_catchup(&fs) != 0 && !fs.replay_err)
		fuzz_fail("catch-up with no new entries replayed something");
	famfs_allocset_fini(&fs.alloc);
out_ns:
	famfs_ns_free(fs.ns);
out_log:
	famfs_log_close(fs.log);
	return 0;
}
