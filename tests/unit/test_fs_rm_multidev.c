// SPDX-License-Identifier: Apache-2.0
/*
 * test_fs_rm_multidev.c - deletes and reuse (docs/rm.md) on a file system
 * of two devices (docs/multidev.md), on scratch images: a file deleted on
 * the second device is pending there only (in the bitmaps, statfs's space
 * and fsck's per-device summary), blocks reuse while a host holds it, and
 * is then reused only on its own device, reading zeros there while the
 * same offset of the primary keeps its bytes; another instance replays it
 * the same; and fsck names the owner of a unit on the device the unit is
 * on.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "famfs/devfind.h"
#include "famfs/err.h"
#include "famfs/fs.h"
#include "famfs/fsck.h"
#include "logfs_util.h"

#define PRIM_SIZE	(64 * MIB)	/* 27 units of data after sb + log */
#define SEC_SIZE	(256 * MIB)	/* more free space: new files go there first */

struct md {
	char *prim, *sec;
	struct famfs_fs *fs;
};

static int setup(void **state)
{
	struct md *m = calloc(1, sizeof(*m));

	tu_master();
	m->prim = tu_image(PRIM_SIZE);
	m->sec = tu_image(SEC_SIZE);
	setenv(FAMFS_DAXDEV_PATH_ENV, m->sec, 1);
	if (tu_mkfs_features(m->prim, 8 * MIB, FAMFS_SB_FEAT_RM) ||
	    famfs_fs_open(m->prim, FAMFS_FS_WRITE, &m->fs) ||
	    famfs_fs_devadd(m->fs, m->sec, false, NULL))
		return -1;
	*state = m;
	return 0;
}

static int teardown(void **state)
{
	struct md *m = *state;

	famfs_fs_close(m->fs);
	tu_unlink(m->prim);
	tu_unlink(m->sec);
	free(m);
	unsetenv(FAMFS_DAXDEV_PATH_ENV);
	tu_master();
	return 0;
}

static const struct famfs_node *mk(struct famfs_fs *fs, const char *p, uint64_t size,
				   unsigned int flags)
{
	const struct famfs_node *n = NULL;

	famfs_errclear();
	if (famfs_fs_creat_flags(fs, p, size, 0644, 0, 0, NULL, flags, &n))
		fail_msg("creat %s: %s", p, famfs_errmsg());
	return n;
}

static void no_report(void *ctx, enum famfs_fsck_sev sev, const char *msg)
{
	char *first = ctx;

	if (sev == FAMFS_FSCK_ERROR && !first[0])
		snprintf(first, 512, "%s", msg);
}

static void test_delete_reuse_second_device(void **state)
{
	struct md *m = *state;
	struct famfs_fs *fs = m->fs, *cl, *fs2;
	const struct famfs_node *f, *g, *n;
	struct famfs_fsck_result r;
	struct famfs_fs_space sp;
	char first[512] = "", name[16];
	uint64_t off, len, i;
	uint8_t *p, *p0;
	int rc;

	assert_true(fs->rm);
	assert_int_equal(fs->devtab.ndevs, 2);
	/* pad keeps f past the primary's log, so both devices have f's offset as data */
	n = mk(fs, "pad", 16 * MIB, 0);
	assert_int_equal(n->fmap->se[0].devindex, 1);
	f = mk(fs, "f", 4 * MIB, 0);
	assert_int_equal(f->fmap->se[0].devindex, 1);
	off = f->fmap->se[0].offset;
	assert_true(off >= 10 * MIB && off + 4 * MIB <= PRIM_SIZE);
	p = famfs_fs_addr(fs, f, 0, &len);
	assert_non_null(p);
	memset(p, 0xa5, 4 * MIB);

	/* A registered client that has not seen the delete holds f. */
	tu_client();
	assert_int_equal(famfs_fs_open(m->prim, 0, &cl), 0);
	assert_int_equal(famfs_fs_register(cl, FAMFS_HOST_PROCESS, 0), 0);
	tu_master();

	assert_int_equal(famfs_fs_delete(fs, "f", FAMFS_RM_FILE, 0), 0);
	/* pending on device 1 only */
	assert_int_equal(famfs_alloc_pending_bytes(&fs->alloc.dev[1]), 4 * MIB);
	assert_int_equal(famfs_alloc_pending_bytes(&fs->alloc.dev[0]), 0);
	assert_int_equal(famfs_fs_space(fs, &sp), 0);
	assert_int_equal(sp.pending, 4 * MIB);
	assert_int_equal(sp.capacity, PRIM_SIZE + SEC_SIZE);
	assert_int_equal(famfs_fsck(fs->dev, no_report, first, &r), 0);
	assert_int_equal(r.errors, 0);
	assert_int_equal(r.pending_bytes, 4 * MIB);
	assert_int_equal(r.devs[0].pending_bytes, 0);
	assert_int_equal(r.devs[1].pending_bytes, 4 * MIB);
	assert_int_equal(r.devs[1].used_bytes, 2 * MIB + 16 * MIB);

	/* Fill both devices: the held memory is not handed out. */
	for (i = 0; ; i++) {
		snprintf(name, sizeof(name), "x%llu", (unsigned long long)i);
		famfs_errclear();
		rc = famfs_fs_creat(fs, name, 2 * MIB, 0644, 0, 0, NULL, NULL);
		if (rc)
			break;
	}
	assert_int_equal(rc, -ENOSPC);
	assert_int_equal(famfs_allocset_free_bytes(&fs->alloc), 0);
	famfs_errclear();
	assert_int_equal(famfs_fs_creat(fs, "g", 4 * MIB, 0644, 0, 0, NULL, NULL), -ENOSPC);
	assert_non_null(strstr(famfs_errmsg(), "still held by a host"));

	/* The same offset of the primary is a live file's: it must keep its bytes. */
	p0 = fs->devs[0]->base + off;
	memset(p0, 0x3c, 4 * MIB);

	/* The client leaves: g gets exactly f's extent, on device 1, and reads zeros. */
	famfs_fs_close(cl);
	g = mk(fs, "g", 4 * MIB, FAMFS_CREAT_NOZERO);
	assert_int_equal(g->fmap->ext_type, FAMFS_EXT_SIMPLE);
	assert_int_equal(g->fmap->se[0].devindex, 1);
	assert_int_equal(g->fmap->se[0].offset, off);
	assert_int_equal(g->fmap->se[0].len, 4 * MIB);
	p = famfs_fs_addr(fs, g, 0, &len);
	assert_non_null(p);
	for (i = 0; i < 4 * MIB; i++)
		if (p[i])
			fail_msg("byte %llu of the reused file is 0x%02x", (unsigned long long)i,
				 p[i]);
	for (i = 0; i < 4 * MIB; i++)
		if (p0[i] != 0x3c)
			fail_msg("byte %llu at the same offset of the primary is 0x%02x: zeroed on "
				 "the wrong device", (unsigned long long)i, p0[i]);
	assert_int_equal(famfs_allocset_pending_bytes(&fs->alloc), 0);

	/* Another instance replays it all the same; fsck is clean. */
	assert_int_equal(famfs_fs_open(m->prim, 0, &fs2), 0);
	assert_int_equal(fs2->replay_err, 0);
	n = famfs_ns_resolve(fs2->ns, "g");
	assert_non_null(n);
	assert_int_equal(n->fmap->se[0].devindex, 1);
	assert_int_equal(n->fmap->se[0].offset, off);
	assert_int_equal(famfs_allocset_pending_bytes(&fs2->alloc), 0);
	assert_int_equal(fs2->alloc.dev[1].used, fs->alloc.dev[1].used);
	assert_int_equal(fs2->alloc.dev[0].used, fs->alloc.dev[0].used);
	famfs_fs_close(fs2);
	first[0] = '\0';
	assert_int_equal(famfs_fsck(fs->dev, no_report, first, &r), 0);
	if (r.errors)
		fail_msg("fsck: %s", first);
	assert_int_equal(r.pending_bytes, 0);
	assert_int_equal(r.deletes, 1);
}

/*
 * fsck names the file that owns a unit on the device the unit is on: a
 * clash on device 1 names the device-1 file there, not a file at the same
 * offset of device 0.
 */
static void test_fsck_owner_per_device(void **state)
{
	struct md *m = *state;
	struct famfs_fs *fs = m->fs;
	const struct famfs_node *s;
	struct famfs_omf_entry e;
	struct famfs_fsck_result r;
	char first[512] = "";
	uint64_t idx, off;

	mk(fs, "pad", 16 * MIB, 0);
	s = mk(fs, "s", 4 * MIB, 0);
	assert_int_equal(s->fmap->se[0].devindex, 1);
	off = s->fmap->se[0].offset;
	assert_true(off >= 10 * MIB && off + 2 * MIB <= PRIM_SIZE);
	/* p: device 0, same offset (free there); clash: device 1, over s */
	idx = tu_next_index(fs->dev);
	tu_file_entry(&e, idx, "p", 2 * MIB, off, 2 * MIB);
	tu_put_entry(fs->dev, idx, &e);
	tu_file_entry(&e, idx + 1, "clash", 2 * MIB, off, 2 * MIB);
	e.file.fmap.se[0].devindex = 1;
	tu_put_entry(fs->dev, idx + 1, &e);
	tu_set_next(fs->dev, idx + 2, idx + 2);
	assert_int_equal(famfs_fsck(fs->dev, no_report, first, &r), 0);
	assert_int_equal(r.collisions, 1);
	if (!strstr(first, "(clash) overlaps log entry") || !strstr(first, "(s) at 0x"))
		fail_msg("fsck's first error: %s", first);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_delete_reuse_second_device, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fsck_owner_per_device, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
