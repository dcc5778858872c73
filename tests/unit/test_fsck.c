// SPDX-License-Identifier: Apache-2.0
/*
 * test_fsck.c - fsck on clean images and on hand-crafted bad entries,
 * each reported with its index while the check carries on.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "famfs/err.h"
#include "famfs/fsck.h"
#include "famfs/hosts.h"
#include "logfs_util.h"

#define DATA0	(10 * MIB)	/* first data byte with an 8 MiB log */

struct img {
	char *path;
	struct famfs_dev *dev;		/* read-write, for crafting */
	char lines[64][256];
	int nlines;
	int nerr, nwarn;
	struct famfs_fsck_result res;
};

static int setup(void **state)
{
	struct img *m = calloc(1, sizeof(*m));

	tu_master();
	m->path = tu_image(128 * MIB);
	if (tu_mkfs(m->path, 8 * MIB) || famfs_dev_open(m->path, true, &m->dev))
		return -1;
	*state = m;
	return 0;
}

static int teardown(void **state)
{
	struct img *m = *state;

	famfs_dev_close(m->dev);
	tu_unlink(m->path);
	free(m);
	return 0;
}

static void on_line(void *ctx, enum famfs_fsck_sev sev, const char *msg)
{
	struct img *m = ctx;

	if (sev == FAMFS_FSCK_ERROR)
		m->nerr++;
	if (sev == FAMFS_FSCK_WARN)
		m->nwarn++;
	if (m->nlines < 64)
		snprintf(m->lines[m->nlines++], 256, "%s: %s",
			 sev == FAMFS_FSCK_ERROR ? "ERROR" : sev == FAMFS_FSCK_WARN ? "WARN" : "INFO",
			 msg);
}

/* Run fsck on a read-only mapping (a write would fault) and keep its lines. */
static int run(struct img *m)
{
	struct famfs_dev *ro;
	int rc;

	m->nlines = m->nerr = m->nwarn = 0;
	if (famfs_dev_open(m->path, false, &ro))
		return -999;
	rc = famfs_fsck(ro, on_line, m, &m->res);
	famfs_dev_close(ro);
	return rc;
}

static bool has_line(struct img *m, const char *needle)
{
	int i;

	for (i = 0; i < m->nlines; i++)
		if (strstr(m->lines[i], needle))
			return true;
	return false;
}

static void dump(struct img *m)
{
	int i;

	for (i = 0; i < m->nlines; i++)
		print_message("  %s\n", m->lines[i]);
}

#define assert_line(m, s) do {					\
		if (!has_line(m, s)) {					\
			dump(m);					\
			fail_msg("no line: %s", s);			\
		}							\
	} while (0)

/* Commit entries [0, n) crafted by the caller: bump both header words. */
static void commit(struct img *m, uint64_t n)
{
	tu_set_next(m->dev, n, n);
}

static void put_mkdir(struct img *m, uint64_t i, const char *p)
{
	struct famfs_omf_entry e;

	tu_mkdir_entry(&e, i, p);
	tu_put_entry(m->dev, i, &e);
}

static void put_file(struct img *m, uint64_t i, const char *p, uint64_t size, uint64_t off,
		     uint64_t len)
{
	struct famfs_omf_entry e;

	tu_file_entry(&e, i, p, size, off, len);
	tu_put_entry(m->dev, i, &e);
}

static void test_clean(void **state)
{
	struct img *m = *state;

	assert_int_equal(run(m), 0);
	assert_int_equal(m->res.errors, 0);
	assert_int_equal(m->res.entries, 0);
	assert_int_equal(m->res.dirs, 1);
	assert_int_equal(m->res.used_bytes, DATA0);

	put_mkdir(m, 0, "d");
	put_file(m, 1, "d/f", 3 * MIB, DATA0, 4 * MIB);
	put_file(m, 2, "g", 1, DATA0 + 4 * MIB, 2 * MIB);
	commit(m, 3);
	assert_int_equal(run(m), 0);
	assert_int_equal(m->res.errors, 0);
	assert_int_equal(m->nerr, 0);
	assert_int_equal(m->res.warnings, 0);
	assert_int_equal(m->res.entries, 3);
	assert_int_equal(m->res.bad_entries, 0);
	assert_int_equal(m->res.files, 2);
	assert_int_equal(m->res.dirs, 2);
	assert_int_equal(m->res.collisions, 0);
	assert_int_equal(m->res.dev_size, 128 * MIB);
	assert_int_equal(m->res.used_bytes, DATA0 + 6 * MIB);
	assert_int_equal(m->res.log_slots, 15420);
	assert_int_equal(m->res.log_free, 15417);
	assert_line(m, "2 files, 2 directories");
	assert_line(m, "used 16777216 bytes");
}

static void test_bad_crc(void **state)
{
	struct img *m = *state;

	put_mkdir(m, 0, "a");
	put_mkdir(m, 1, "b");
	put_file(m, 2, "c", 5, DATA0, 2 * MIB);
	commit(m, 3);
	tu_slot(m->dev, 1)[40] ^= 1;
	assert_int_equal(run(m), 0);
	assert_int_equal(m->res.bad_entries, 1);
	assert_int_equal(m->res.errors, 1);
	assert_line(m, "ERROR: log entry 1: CRC mismatch");
	assert_line(m, "WARN: replay stops at log entry 1");
	/* The check carried on past the bad entry. */
	assert_int_equal(m->res.files, 1);
	assert_int_equal(m->res.dirs, 2);
}

static void test_bad_seqnum(void **state)
{
	struct img *m = *state;
	struct famfs_omf_entry e;

	put_mkdir(m, 0, "a");
	put_mkdir(m, 1, "b");
	tu_mkdir_entry(&e, 7, "c");
	tu_put_entry(m->dev, 2, &e);
	commit(m, 3);
	assert_int_equal(run(m), 0);
	assert_int_equal(m->res.bad_entries, 1);
	assert_line(m, "ERROR: log entry 2: seqnum 7");
	assert_int_equal(m->res.dirs, 3);
}

static void test_bad_extents(void **state)
{
	struct img *m = *state;

	put_file(m, 0, "oob", 2 * MIB, 128 * MIB, 2 * MIB);	/* past the end */
	put_file(m, 1, "unaligned", 2 * MIB, DATA0 + 4096, 2 * MIB);
	put_file(m, 2, "inlog", 2 * MIB, 4 * MIB, 2 * MIB);	/* inside the log */
	put_file(m, 3, "short", 5 * MIB, DATA0, 2 * MIB);	/* covers less than size */
	put_file(m, 4, "good", 2 * MIB, DATA0, 2 * MIB);
	commit(m, 5);
	assert_int_equal(run(m), 0);
	assert_line(m, "ERROR: log entry 0 (oob): ");
	assert_line(m, "ERROR: log entry 1 (unaligned): ");
	assert_line(m, "ERROR: log entry 2 (inlog): ");
	assert_line(m, "ERROR: log entry 3 (short): ");
	assert_false(has_line(m, "log entry 4"));
	assert_int_equal(m->res.errors, 4);
	assert_int_equal(m->res.bad_entries, 4);
	assert_int_equal(m->res.files, 1);
	assert_int_equal(m->res.used_bytes, DATA0 + 2 * MIB);
}

static void test_collision(void **state)
{
	struct img *m = *state;

	put_file(m, 0, "orig", 6 * MIB, DATA0, 6 * MIB);
	put_file(m, 1, "clone", 4 * MIB, DATA0 + 2 * MIB, 4 * MIB);
	commit(m, 2);
	assert_int_equal(run(m), 0);
	assert_int_equal(m->res.collisions, 2);
	assert_line(m, "ERROR: log entry 1 (clone) overlaps log entry 0 (orig) at 0xc00000");
	assert_line(m, "ERROR: 2 allocation collisions found");
	assert_true(m->res.errors >= 1);
	assert_int_equal(m->res.files, 2);
}

static void test_duplicate(void **state)
{
	struct img *m = *state;

	put_mkdir(m, 0, "d");
	put_mkdir(m, 1, "d");
	put_file(m, 2, "d", 1, DATA0, 2 * MIB);
	put_file(m, 3, "nodir/x", 1, DATA0 + 2 * MIB, 2 * MIB);
	commit(m, 4);
	assert_int_equal(run(m), 0);
	assert_line(m, "ERROR: log entry 1 (d): ");
	assert_line(m, "ERROR: log entry 2 (d): ");
	assert_line(m, "WARN: log entry 3 (nodir/x): parent directory 'nodir' was never logged");
	assert_int_equal(m->res.errors, 2);
	assert_int_equal(m->res.warnings, 1);
	/* root, d, and the implicit parent of nodir/x */
	assert_int_equal(m->res.dirs, 3);
	assert_int_equal(m->res.files, 1);
	/* A file refused by the namespace allocates nothing. */
	assert_int_equal(m->res.collisions, 0);
}

static void test_interrupted_append(void **state)
{
	struct img *m = *state;

	put_mkdir(m, 0, "a");
	tu_set_next(m->dev, 1, 0);	/* seqnum bumped, commit point not */
	assert_int_equal(run(m), 0);
	assert_line(m, "WARN: interrupted append (next_seqnum 1, next_index 0)");
	assert_int_equal(m->res.warnings, 1);
	assert_int_equal(m->res.errors, 0);
	assert_int_equal(m->res.entries, 0);
}

static void test_fatal(void **state)
{
	struct img *m = *state;
	uint8_t saved;

	/* Header damage is fatal. */
	saved = tu_log(m->dev)[0];
	tu_log(m->dev)[0] ^= 0xff;
	assert_true(run(m) < 0);
	assert_line(m, "ERROR: log header: ");
	tu_log(m->dev)[0] = saved;
	assert_int_equal(run(m), 0);

	/* No superblock is fatal. */
	memset(m->dev->base, 0, 8);
	assert_int_equal(run(m), -EINVAL);
	assert_line(m, "ERROR: superblock: ");
	assert_int_equal(m->res.errors, 1);
}

static void test_device_size(void **state)
{
	char *path = tu_image(256 * MIB);
	struct img *m = calloc(1, sizeof(*m));

	assert_int_equal(tu_mkfs(path, 8 * MIB), 0);
	tu_resize(path, 128 * MIB);
	m->path = path;
	assert_int_equal(run(m), 0);
	assert_line(m, "ERROR: superblock says 268435456 bytes, device has 134217728");

	tu_resize(path, 512 * MIB);
	assert_int_equal(run(m), 0);
	assert_line(m, "WARN: device has 536870912 bytes, superblock uses 268435456");
	assert_int_equal(m->res.errors, 0);
	free(m);
	tu_unlink(path);
}

static int setup_rm(void **state)
{
	struct img *m = calloc(1, sizeof(*m));

	tu_master();
	m->path = tu_image(128 * MIB);
	if (tu_mkfs_features(m->path, 8 * MIB, FAMFS_SB_FEAT_RM) ||
	    famfs_dev_open(m->path, true, &m->dev))
		return -1;
	*state = m;
	return 0;
}

static void put_delete(struct img *m, uint64_t i, uint64_t target, const char *p)
{
	struct famfs_omf_entry e;

	memset(&e, 0, sizeof(e));
	e.seqnum = i;
	e.type = FAMFS_LOG_DELETE;
	e.del.target = target;
	e.del.target_type = FAMFS_LOG_FILE;
	snprintf(e.del.relpath, sizeof(e.del.relpath), "%s", p);
	tu_put_entry(m->dev, i, &e);
}

static void put_file_h(struct img *m, uint64_t i, const char *p, uint64_t off, uint32_t h)
{
	struct famfs_omf_entry e;

	tu_file_entry(&e, i, p, 2 * MIB, off, 2 * MIB);
	e.file.horizon = h;
	tu_put_entry(m->dev, i, &e);
}

/* Deletes, space pending and free, a reuse that kept the rule and one that broke it. */
static void test_rm(void **state)
{
	struct img *m = *state;

	put_file(m, 0, "f", 2 * MIB, DATA0, 2 * MIB);
	put_file(m, 1, "g", 2 * MIB, DATA0 + 2 * MIB, 2 * MIB);
	put_delete(m, 2, 0, "f");
	commit(m, 3);
	assert_int_equal(run(m), 0);
	assert_int_equal(m->res.errors, 0);
	assert_true(m->res.rm);
	assert_int_equal(m->res.deletes, 1);
	assert_int_equal(m->res.files, 1);
	/* Nobody registered: f's memory is reusable, so free. */
	assert_int_equal(m->res.pending_bytes, 0);
	assert_int_equal(m->res.used_bytes, DATA0 + 2 * MIB);
	assert_line(m, "INFO: rm: 1 deletes, 0 bytes deleted and not yet reusable, 2097152 "
		    "reusable now (reclaim horizon 3, 0 hosts registered)");

	/* h reuses f's memory with horizon 3: the delete (2) is below it. */
	put_file_h(m, 3, "h", DATA0, 3);
	commit(m, 4);
	assert_int_equal(run(m), 0);
	assert_int_equal(m->res.errors, 0);

	/* With horizon 2 it broke the rule: an error naming both files. */
	put_file_h(m, 3, "h", DATA0, 2);
	assert_int_equal(run(m), 0);
	assert_line(m, "ERROR: log entry 3 (h) reuses memory of log entry 0 (f), deleted but "
		    "not reusable yet (horizon 2): a reuse that broke the rule");
	assert_true(m->res.errors >= 1);

	/* Over the live g: a collision, naming both. */
	put_file_h(m, 3, "h", DATA0 + 2 * MIB, 3);
	assert_int_equal(run(m), 0);
	assert_line(m, "ERROR: log entry 3 (h) overlaps log entry 1 (g) at 0xc00000");

	/* A horizon past the entry. */
	put_file_h(m, 3, "h", DATA0 + 4 * MIB, 4);
	assert_int_equal(run(m), 0);
	assert_line(m, "ERROR: log entry 3 (h): reclaim horizon 4 is past the entry itself");

	/* A delete of what is not there. */
	put_delete(m, 3, 0, "f");
	assert_int_equal(run(m), 0);
	assert_line(m, "ERROR: log entry 3 (f): \"f\" (entry 0) was already deleted by entry 2");
}

/* A registered host pins the delete; a dead one is reported. */
static void test_rm_hosts(void **state)
{
	struct img *m = *state;
	struct famfs_omf_sb sb;
	struct famfs_hosts *h;

	put_file(m, 0, "f", 2 * MIB, DATA0, 2 * MIB);
	commit(m, 1);
	assert_int_equal(famfs_omf_sb_decode(m->dev->base, FAMFS_SB_SIZE, &sb), 0);
	assert_int_equal(famfs_hosts_open(m->path, &sb, true, &h), 0);
	assert_int_equal(famfs_hosts_register(h, FAMFS_HOST_FAMFSD, 0, false), 0);
	assert_int_equal(famfs_hosts_publish(h, 1, FAMFS_HOLD_NONE), 0);
	put_delete(m, 1, 0, "f");
	commit(m, 2);
	assert_int_equal(run(m), 0);
	assert_int_equal(m->res.errors, 0);
	assert_int_equal(m->res.hosts, 1);
	assert_int_equal(m->res.stale_hosts, 0);
	assert_int_equal(m->res.pending_bytes, 2 * MIB);
	assert_int_equal(m->res.used_bytes, DATA0);
	/* Its beat is 20 s old: not answering, reported, still blocking. */
	h->me.beat_time -= 20;
	famfs_host_rec_encode(&h->me, sb.uuid, m->dev->base + FAMFS_HOSTS_OFF +
			      (uint64_t)h->slot * FAMFS_HOST_SLOT_SIZE + FAMFS_HOST_REC_OFF);
	assert_int_equal(run(m), 0);
	assert_int_equal(m->res.stale_hosts, 1);
	assert_int_equal(m->res.errors, 0);
	assert_true(m->res.warnings >= 1);
	assert_line(m, "not answering (last seen 2");
	assert_int_equal(m->res.pending_bytes, 2 * MIB);
	famfs_hosts_leave(h);
	famfs_hosts_close(h);

	/* A delete on a file system without the feature. */
	*(uint32_t *)(void *)(m->dev->base + FAMFS_SB_FLAGS_OFF) = 0;
	assert_int_equal(run(m), 0);
	assert_line(m, "ERROR: log entry 1 (f): a delete on a file system without the rm feature");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_clean, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_crc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_seqnum, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_extents, setup, teardown),
		cmocka_unit_test_setup_teardown(test_collision, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_interrupted_append, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fatal, setup, teardown),
		cmocka_unit_test(test_device_size),
		cmocka_unit_test_setup_teardown(test_rm, setup_rm, teardown),
		cmocka_unit_test_setup_teardown(test_rm_hosts, setup_rm, teardown),
	};

	tu_master();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
