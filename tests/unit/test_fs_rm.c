// SPDX-License-Identifier: Apache-2.0
/*
 * test_fs_rm.c - deletes and reuse in a famfs_fs (lib/fs_rm.c) on scratch
 * images: a delete and its refusals, reuse of exactly the deleted extents
 * reading zeros, a registered instance that blocks reuse until it leaves,
 * replay on another instance, space accounting, and the images replay must
 * refuse (a delete without the feature, a reuse that broke the rule, a
 * reuse of memory this host still holds).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "famfs/err.h"
#include "famfs/fs.h"
#include "logfs_util.h"

#define DEV_SIZE	(64 * MIB)	/* 27 units of data after sb + log */

struct img {
	char *path;
	struct famfs_fs *fs;
};

static int setup(void **state)
{
	struct img *m = calloc(1, sizeof(*m));

	tu_master();
	m->path = tu_image(DEV_SIZE);
	if (tu_mkfs_features(m->path, 8 * MIB, FAMFS_SB_FEAT_RM) ||
	    famfs_fs_open(m->path, FAMFS_FS_WRITE, &m->fs))
		return -1;
	*state = m;
	return 0;
}

static int teardown(void **state)
{
	struct img *m = *state;

	famfs_fs_close(m->fs);
	tu_unlink(m->path);
	free(m);
	tu_master();
	return 0;
}

static const struct famfs_node *mk(struct famfs_fs *fs, const char *p, uint64_t size)
{
	const struct famfs_node *n = NULL;

	famfs_errclear();
	if (famfs_fs_creat(fs, p, size, 0644, 0, 0, NULL, &n))
		fail_msg("creat %s: %s", p, famfs_errmsg());
	return n;
}

static void fill(struct famfs_fs *fs, const struct famfs_node *n, uint8_t v)
{
	uint64_t len;
	uint8_t *p = famfs_fs_addr(fs, n, 0, &len);

	assert_non_null(p);
	memset(p, v, n->fmap->se[0].len);
}

static void test_delete_and_reuse(void **state)
{
	struct img *m = *state;
	struct famfs_fs *fs = m->fs, *fs2;
	const struct famfs_node *a, *b, *c, *n;
	struct famfs_omf_fmap fa;
	struct famfs_fs_space sp;
	uint64_t len, i;
	uint8_t *p;

	assert_true(fs->rm);
	assert_int_equal(famfs_fs_mkdir(fs, "d", 0755, 0, 0, false), 0);
	a = mk(fs, "d/a", 3 * MIB);		/* two units */
	b = mk(fs, "b", 2 * MIB);
	fill(fs, a, 0xa5);
	fa = *a->fmap;

	/* Refusals: nothing logged. */
	assert_int_equal(famfs_fs_delete(fs, "", FAMFS_RM_ANY, 0), -EBUSY);
	assert_int_equal(famfs_fs_delete(fs, "nope", FAMFS_RM_ANY, 0), -ENOENT);
	assert_int_equal(famfs_fs_delete(fs, "d", FAMFS_RM_FILE, 0), -EISDIR);
	assert_int_equal(famfs_fs_delete(fs, "b", FAMFS_RM_DIR, 0), -ENOTDIR);
	assert_int_equal(famfs_fs_delete(fs, "d", FAMFS_RM_DIR, 0), -ENOTEMPTY);
	assert_int_equal(famfs_fs_delete(fs, "../b", FAMFS_RM_ANY, 0), -EINVAL);
	assert_int_equal(famfs_log_next_index(fs->log), 3);

	assert_int_equal(famfs_fs_delete(fs, "d/a", FAMFS_RM_FILE, 0), 0);
	assert_int_equal(fs->next, 4);
	assert_null(famfs_ns_resolve(fs->ns, "d/a"));
	assert_true(famfs_node_deleted(a));
	assert_int_equal(famfs_alloc_pending_bytes(&fs->alloc.dev[0]), 4 * MIB);
	assert_int_equal(famfs_fs_delete(fs, "d", FAMFS_RM_DIR, 0), 0);

	/* Nobody registered: reusable at once. The space accounting says so. */
	assert_int_equal(famfs_fs_space(fs, &sp), 0);
	assert_int_equal(sp.pending, 0);
	assert_int_equal(sp.hosts, 0);
	assert_int_equal(sp.free, DEV_SIZE - 10 * MIB - 2 * MIB);
	assert_int_equal(sp.used, 10 * MIB + 2 * MIB);

	/*
	 * The new file takes exactly a's extent, and reads zeros: even one
	 * logged unzeroed for its writer to fill (famfs cp), in case the
	 * writer dies before it does.
	 */
	fs->alloc.dev[0].cursor = 0;
	famfs_errclear();
	assert_int_equal(famfs_fs_creat_flags(fs, "c", 4 * MIB, 0644, 0, 0, NULL,
					      FAMFS_CREAT_NOZERO, &c), 0);
	assert_int_equal(c->fmap->se[0].offset, fa.se[0].offset);
	assert_int_equal(c->fmap->se[0].len, fa.se[0].len);
	p = famfs_fs_addr(fs, c, 0, &len);
	for (i = 0; i < 4 * MIB; i++)
		if (p[i])
			fail_msg("byte %llu of the reused file is 0x%02x", (unsigned long long)i, p[i]);
	assert_int_equal(famfs_alloc_pending_bytes(&fs->alloc.dev[0]), 0);
	(void)b;

	/* Another instance replays all of it the same way. */
	assert_int_equal(famfs_fs_open(m->path, 0, &fs2), 0);
	assert_int_equal(fs2->replay_err, 0);
	assert_int_equal(fs2->next, fs->next);
	assert_null(famfs_ns_resolve(fs2->ns, "d"));
	n = famfs_ns_resolve(fs2->ns, "c");
	assert_non_null(n);
	assert_int_equal(n->fmap->se[0].offset, fa.se[0].offset);
	assert_int_equal(famfs_alloc_pending_bytes(&fs2->alloc.dev[0]), 0);
	assert_int_equal(fs2->alloc.dev[0].used, fs->alloc.dev[0].used);
	famfs_fs_close(fs2);
}

/* A registered instance that has not replayed a delete blocks its reuse. */
static void test_registered_blocks(void **state)
{
	struct img *m = *state;
	struct famfs_fs *fs = m->fs, *cl;
	const struct famfs_node *f;
	struct famfs_fs_space sp;
	uint64_t off;
	int i;

	f = mk(fs, "f", 2 * MIB);
	off = f->fmap->se[0].offset;
	tu_client();
	assert_int_equal(famfs_fs_open(m->path, 0, &cl), 0);
	assert_int_equal(famfs_fs_register(cl, FAMFS_HOST_PROCESS, 0), 0);
	assert_int_equal(cl->hosts->me.replayed, 1);
	tu_master();

	/* Fill the device, then delete f. */
	for (i = 0; i < 100; i++) {
		char name[16];

		snprintf(name, sizeof(name), "x%d", i);
		if (famfs_fs_creat(fs, name, 2 * MIB, 0644, 0, 0, NULL, NULL))
			break;
	}
	assert_int_equal(famfs_alloc_free_bytes(&fs->alloc.dev[0]), 0);
	assert_int_equal(famfs_fs_delete(fs, "f", FAMFS_RM_FILE, 0), 0);
	assert_int_equal(famfs_fs_space(fs, &sp), 0);
	assert_int_equal(sp.pending, 2 * MIB);
	assert_int_equal(sp.free, 0);
	assert_int_equal(sp.hosts, 1);

	famfs_errclear();
	assert_int_equal(famfs_fs_creat(fs, "g", 2 * MIB, 0644, 0, 0, NULL, NULL), -ENOSPC);
	assert_non_null(strstr(famfs_errmsg(), "still held by a host"));

	/* The client leaves: now it is reusable. */
	famfs_fs_close(cl);
	assert_int_equal(famfs_fs_space(fs, &sp), 0);
	assert_int_equal(sp.pending, 0);
	assert_int_equal(sp.free, 2 * MIB);
	fs->alloc.dev[0].cursor = 0;
	assert_int_equal(famfs_fs_creat(fs, "g", 2 * MIB, 0644, 0, 0, NULL, &f), 0);
	assert_int_equal(f->fmap->se[0].offset, off);
}

static void test_no_feature(void **state)
{
	char *plain = tu_image(DEV_SIZE);
	struct famfs_omf_entry e;
	struct famfs_dev *dev;
	struct famfs_fs *fs;

	assert_int_equal(tu_mkfs(plain, 8 * MIB), 0);
	assert_int_equal(famfs_fs_open(plain, FAMFS_FS_WRITE, &fs), 0);
	assert_false(fs->rm);
	mk(fs, "a", MIB);
	famfs_errclear();
	assert_int_equal(famfs_fs_delete(fs, "a", FAMFS_RM_ANY, 0), -EOPNOTSUPP);
	assert_non_null(strstr(famfs_errmsg(), "famfs tune -O rm"));
	assert_int_equal(famfs_fs_register(fs, FAMFS_HOST_PROCESS, 0), 0);	/* no-op */
	assert_null(fs->hosts);
	/* The horizon field stays upstream's zero padding. */
	assert_int_equal(famfs_get_le32(tu_slot(fs->dev, 0) + 132), 0);
	famfs_fs_close(fs);

	/*
	 * A DELETE hand-written into such a log refuses the whole file system:
	 * the entries before it would show the file it deleted.
	 */
	assert_int_equal(famfs_dev_open(plain, true, &dev), 0);
	memset(&e, 0, sizeof(e));
	e.seqnum = 1;
	e.type = FAMFS_LOG_DELETE;
	e.del.target = 0;
	strcpy(e.del.relpath, "a");
	tu_put_entry(dev, 1, &e);
	tu_set_next(dev, 2, 2);
	famfs_dev_close(dev);
	famfs_errclear();
	assert_int_equal(famfs_fs_open(plain, 0, &fs), -EUCLEAN);
	assert_null(fs);
	assert_non_null(strstr(famfs_errmsg(), "rm flag is clear"));
	tu_unlink(plain);
}

/*
 * famfs tune -O rm on an image whose FILE entries have something in the
 * padding that is the horizon field on rm images: entries logged before
 * deletes were turned on are not read as horizons.
 */
static void test_padding_before_tune(void **state)
{
	char *img = tu_image(DEV_SIZE);
	struct famfs_omf_entry e;
	struct famfs_omf_sb sb;
	struct famfs_dev *dev;
	struct famfs_fs *fs;

	assert_int_equal(tu_mkfs(img, 8 * MIB), 0);
	assert_int_equal(famfs_fs_open(img, FAMFS_FS_WRITE, &fs), 0);
	mk(fs, "a", MIB);
	famfs_fs_close(fs);
	assert_int_equal(famfs_dev_open(img, true, &dev), 0);
	assert_int_equal(famfs_omf_entry_decode(tu_slot(dev, 0), 0, &e), 0);
	e.file.horizon = 7;		/* a foreign tool's padding */
	tu_put_entry(dev, 0, &e);
	assert_int_equal(famfs_omf_sb_decode(dev->base, FAMFS_SB_SIZE, &sb), 0);
	assert_int_equal(famfs_rm_enable(dev->base, &sb, 1), 0);
	famfs_dev_close(dev);
	assert_int_equal(famfs_fs_open(img, FAMFS_FS_WRITE, &fs), 0);
	assert_true(fs->rm);
	assert_int_equal(fs->replay_err, 0);
	assert_int_equal(fs->next, 1);
	assert_non_null(famfs_ns_resolve(fs->ns, "a"));
	famfs_fs_close(fs);
	tu_unlink(img);
}

/* A FILE over a deleted file's memory whose horizon does not pass the delete. */
static void test_broken_reuse(void **state)
{
	struct img *m = *state;
	struct famfs_omf_entry e;
	struct famfs_fs *fs2;
	const struct famfs_node *a;
	uint64_t off;

	a = mk(m->fs, "a", 2 * MIB);
	off = a->fmap->se[0].offset;
	assert_int_equal(famfs_fs_delete(m->fs, "a", FAMFS_RM_FILE, 0), 0);	/* entry 1 */
	/* Entry 2 takes a's unit with horizon 1: the delete (1) is not below it. */
	tu_file_entry(&e, 2, "b", MIB, off, 2 * MIB);
	e.file.horizon = 1;
	tu_put_entry(m->fs->dev, 2, &e);
	tu_set_next(m->fs->dev, 3, 3);
	famfs_errclear();
	assert_int_equal(famfs_fs_open(m->path, 0, &fs2), 0);
	assert_int_equal(fs2->replay_err, -EUCLEAN);
	assert_int_equal(fs2->next, 2);
	assert_null(famfs_ns_resolve(fs2->ns, "b"));
	assert_non_null(strstr(famfs_errmsg(), "deleted by log entry 1, which was not reusable"));
	famfs_fs_close(fs2);

	/* With horizon 2 the same entry is a valid reuse. */
	e.file.horizon = 2;
	tu_put_entry(m->fs->dev, 2, &e);
	assert_int_equal(famfs_fs_open(m->path, 0, &fs2), 0);
	assert_int_equal(fs2->replay_err, 0);
	assert_non_null(famfs_ns_resolve(fs2->ns, "b"));
	famfs_fs_close(fs2);

	/* A horizon past the entry itself is bad. */
	e.file.horizon = 3;
	tu_put_entry(m->fs->dev, 2, &e);
	assert_int_equal(famfs_fs_open(m->path, 0, &fs2), 0);
	assert_int_equal(fs2->replay_err, -EINVAL);
	famfs_fs_close(fs2);
}

static uint64_t held_at_1(void *ctx)
{
	return 1;
}

/* A host that still holds the deleted file refuses a reuse past it. */
static void test_held_refused(void **state)
{
	struct img *m = *state;
	struct famfs_omf_entry e;
	struct famfs_fs *fs2;
	const struct famfs_node *a;

	a = mk(m->fs, "a", 2 * MIB);
	assert_int_equal(famfs_fs_open(m->path, 0, &fs2), 0);
	fs2->held = held_at_1;
	assert_int_equal(famfs_fs_delete(m->fs, "a", FAMFS_RM_FILE, 0), 0);	/* entry 1 */
	tu_file_entry(&e, 2, "b", MIB, a->fmap->se[0].offset, 2 * MIB);
	e.file.horizon = 2;
	tu_put_entry(m->fs->dev, 2, &e);
	tu_set_next(m->fs->dev, 3, 3);
	famfs_errclear();
	assert_int_equal(famfs_fs_catchup(fs2), 1);	/* the delete, not the file */
	assert_int_equal(fs2->replay_err, -EUCLEAN);
	assert_non_null(strstr(famfs_errmsg(), "still holds the file deleted by log entry 1"));
	assert_null(famfs_ns_resolve(fs2->ns, "b"));
	famfs_fs_close(fs2);
}

/* Walk every byte of @n through famfs_fs_addr(): set them to @v, or check them. */
static void walk(struct famfs_fs *fs, const struct famfs_node *n, int set, uint8_t v)
{
	uint64_t off = 0, len, i;
	uint8_t *p;

	while (off < n->size) {
		p = famfs_fs_addr(fs, n, off, &len);
		assert_non_null(p);
		assert_true(len > 0);
		if (len > n->size - off)
			len = n->size - off;
		if (set)
			memset(p, v, len);
		else
			for (i = 0; i < len; i++)
				if (p[i] != v)
					fail_msg("byte %llu of %s is 0x%02x",
						 (unsigned long long)(off + i), n->name, p[i]);
		off += len;
	}
}

/*
 * An interleaved file: its strips lie in two buckets; after the delete a new
 * interleaved file of the same shape, logged unzeroed for its writer to fill,
 * takes the same strips and reads zeros through every chunk, not only the
 * first strip.
 */
static void test_interleaved_reuse(void **state)
{
	const struct famfs_interleave_param ip = {
		.nbuckets = 2, .nstrips = 2, .chunk_size = 2 * MIB,
	};
	struct famfs_fs *fs;
	const struct famfs_node *a, *c;
	struct famfs_omf_fmap fa;
	char *path;
	uint32_t i;

	(void)state;
	tu_master();
	path = tu_image(2048 * MIB);
	assert_int_equal(tu_mkfs_features(path, 8 * MIB, FAMFS_SB_FEAT_RM), 0);
	assert_int_equal(famfs_fs_open(path, FAMFS_FS_WRITE, &fs), 0);
	famfs_errclear();
	assert_int_equal(famfs_fs_creat(fs, "a", 8 * MIB, 0644, 0, 0, &ip, &a), 0);
	assert_int_equal(a->fmap->ext_type, FAMFS_EXT_INTERLEAVE);
	assert_int_equal(a->fmap->nstrips, 2);
	fa = *a->fmap;
	walk(fs, a, 1, 0x5a);
	walk(fs, a, 0, 0x5a);

	assert_int_equal(famfs_fs_delete(fs, "a", FAMFS_RM_FILE, 0), 0);
	assert_int_equal(famfs_alloc_pending_bytes(&fs->alloc.dev[0]), 8 * MIB);
	fs->alloc.dev[0].cursor = 0;
	assert_int_equal(famfs_fs_creat_flags(fs, "c", 8 * MIB, 0644, 0, 0, &ip,
					      FAMFS_CREAT_NOZERO, &c), 0);
	assert_int_equal(c->fmap->nstrips, 2);
	for (i = 0; i < 2; i++) {
		uint32_t j, hit = 0;

		for (j = 0; j < 2; j++)
			hit += c->fmap->strips[i].offset == fa.strips[j].offset;
		assert_int_equal(hit, 1);
	}
	walk(fs, c, 0, 0);
	assert_int_equal(famfs_alloc_pending_bytes(&fs->alloc.dev[0]), 0);
	famfs_fs_close(fs);
	tu_unlink(path);
	tu_master();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_delete_and_reuse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_registered_blocks, setup, teardown),
		cmocka_unit_test(test_no_feature),
		cmocka_unit_test(test_padding_before_tune),
		cmocka_unit_test_setup_teardown(test_broken_reuse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_held_refused, setup, teardown),
		cmocka_unit_test(test_interleaved_reuse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
