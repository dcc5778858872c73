// SPDX-License-Identifier: Apache-2.0
/*
 * test_fs_multidev.c - a famfs instance on several devices: adding a
 * device (and every refusal), files striped over two devices and their
 * data, finding the devices again by uuid at open ($FAMFS_DAXDEV_PATH, the
 * config file), a device that is not found (its files fail, the rest
 * works), catch-up of an added device by another instance, and the
 * secondary's superblock refused where a primary is needed.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <cmocka.h>

#include "famfs/devfind.h"
#include "famfs/err.h"
#include "famfs/fs.h"
#include "famfs/fsck.h"
#include "logfs_util.h"
#include "err_assert.h"

#define GIB	(1024 * MIB)

struct md {
	char *prim, *sec, *third, *conf;
	struct famfs_fs *fs;
};

/* Look for devices only where the test says (and /dev/dax*, /dev/pmem*). */
static void look_in(const char *a, const char *b)
{
	char buf[256];

	snprintf(buf, sizeof(buf), "%s%s%s", a ? a : "", b ? ":" : "", b ? b : "");
	setenv(FAMFS_DAXDEV_PATH_ENV, buf, 1);
}

static int setup(void **state)
{
	struct md *m = calloc(1, sizeof(*m));

	tu_master();
	m->prim = tu_image(2 * GIB);
	m->sec = tu_image(2 * GIB);
	m->third = tu_image(1 * GIB);
	look_in(m->sec, m->third);
	if (tu_mkfs(m->prim, 8 * MIB) || famfs_fs_open(m->prim, FAMFS_FS_WRITE, &m->fs))
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
	tu_unlink(m->third);
	tu_unlink(m->conf);
	free(m);
	unsetenv(FAMFS_DAXDEV_PATH_ENV);
	unsetenv(FAMFS_DAXDEV_CONF_ENV);
	tu_master();
	return 0;
}

/*
 * Walk file @n through famfs_fs_addr, whose byte i is (i * 7 + seed) & 0xff:
 * fill() stores the pattern, check() asserts it.
 */
static void pattern(struct famfs_fs *fs, const struct famfs_node *n, unsigned int seed,
		    bool store)
{
	uint64_t off = 0, len;
	uint8_t *p, want;

	while (off < n->size) {
		p = famfs_fs_addr(fs, n, off, &len);
		assert_non_null(p);
		if (len > n->size - off)
			len = n->size - off;
		for (uint64_t i = 0; i < len; i++) {
			want = (uint8_t)((off + i) * 7 + seed);
			if (store)
				p[i] = want;
			else if (p[i] != want)
				fail_msg("byte %llu differs", (unsigned long long)(off + i));
		}
		off += len;
	}
}

static void fill(struct famfs_fs *fs, const struct famfs_node *n, unsigned int seed)
{
	pattern(fs, n, seed, true);
}

static void check(struct famfs_fs *fs, const struct famfs_node *n, unsigned int seed)
{
	pattern(fs, n, seed, false);
}

static const struct famfs_node *striped(struct famfs_fs *fs, const char *name)
{
	struct famfs_interleave_param ip = { .nstrips = 2, .nbuckets = 1, .chunk_size = 2 * MIB };
	const struct famfs_node *n;

	assert_int_equal(famfs_fs_creat(fs, name, 9 * MIB + 5, 0644, 0, 0, &ip, &n), 0);
	assert_int_equal(n->fmap->ext_type, FAMFS_EXT_INTERLEAVE);
	assert_true(n->fmap->strips[0].devindex != n->fmap->strips[1].devindex);
	return n;
}

static void test_devadd_and_stripe(void **state)
{
	struct md *m = *state;
	const struct famfs_node *n, *s;
	struct famfs_omf_sb sb;
	struct famfs_fs *fs2;
	uint64_t size;
	uint32_t idx = 99;

	assert_int_equal(famfs_fs_devadd(m->fs, m->sec, false, &idx), 0);
	assert_int_equal(idx, 1);
	assert_int_equal(m->fs->devtab.ndevs, 2);
	assert_non_null(famfs_fs_dev(m->fs, 1));
	assert_int_equal(m->fs->alloc.ndevs, 2);
	assert_true(m->fs->alloc.usable[1]);
	/* the secondary's superblock: our fs uuid, the log's device uuid */
	assert_int_equal(famfs_devfind_read_sb(m->sec, &sb, &size), 0);
	assert_true(famfs_omf_sb_is_secondary(&sb));
	assert_memory_equal(sb.uuid, m->fs->log->sb.uuid, 16);
	assert_memory_equal(sb.dev_uuid, m->fs->devtab.dev[1].uuid, 16);
	assert_int_equal(sb.dev_size, 2 * GIB);

	n = striped(m->fs, "s");
	fill(m->fs, n, 3);
	assert_int_equal(famfs_fs_creat(m->fs, "plain", 5 * MIB, 0644, 0, 0, NULL, &s), 0);
	/* the secondary has more free space (no log): the simple file goes there */
	assert_int_equal(s->fmap->se[0].devindex, 1);
	fill(m->fs, s, 4);

	/* another instance finds the device by its uuid and reads the same bytes */
	assert_int_equal(famfs_fs_open(m->prim, 0, &fs2), 0);
	assert_int_equal(fs2->replay_err, 0);
	assert_non_null(famfs_fs_dev(fs2, 1));
	assert_string_equal(famfs_fs_dev(fs2, 1)->path, m->sec);
	n = famfs_ns_resolve(fs2->ns, "s");
	assert_non_null(n);
	assert_int_equal(famfs_fs_node_devs(fs2, n), 0);
	check(fs2, n, 3);
	check(fs2, famfs_ns_resolve(fs2->ns, "plain"), 4);
	famfs_fs_close(fs2);
}

/* Do all of @n's extents lie in [lo[d], hi[d]) of their device d? */
static bool extents_within(const struct famfs_node *n, const uint64_t lo[2],
			   const uint64_t hi[2])
{
	const struct famfs_omf_fmap *f = n->fmap;
	bool ilv = f->ext_type == FAMFS_EXT_INTERLEAVE;
	uint64_t cnt = ilv ? f->nstrips : f->nextents;

	for (uint64_t i = 0; i < cnt; i++) {
		const struct famfs_omf_extent *e = ilv ? &f->strips[i] : &f->se[i];

		if (e->devindex > 1 || e->offset < lo[e->devindex] ||
		    e->offset + e->len > hi[e->devindex])
			return false;
	}
	return true;
}

/* Every byte of @n's allocation (not only its size) reads @want. */
static void check_all(struct famfs_fs *fs, const struct famfs_node *n, uint8_t want)
{
	const struct famfs_omf_fmap *f = n->fmap;
	bool ilv = f->ext_type == FAMFS_EXT_INTERLEAVE;
	uint64_t cnt = ilv ? f->nstrips : f->nextents;

	for (uint64_t i = 0; i < cnt; i++) {
		const struct famfs_omf_extent *e = ilv ? &f->strips[i] : &f->se[i];
		const uint8_t *p = famfs_fs_dev(fs, (uint32_t)e->devindex)->base + e->offset;

		for (uint64_t b = 0; b < e->len; b++)
			if (p[b] != want)
				fail_msg("extent %llu (device %llu) byte %llu: %#x, not %#x",
					 (unsigned long long)i, (unsigned long long)e->devindex,
					 (unsigned long long)b, p[b], want);
	}
}

/*
 * New files never show a former file's bytes, on any device: the first
 * 64 MiB of data of both devices hold old bytes (0xa5), and new files,
 * simple and striped (as creat, cp and creat -r make them), read zeros,
 * on device 1 as on device 0. A --no-zero file shows the old bytes, so the
 * old bytes are really where files go.
 */
static void test_new_files_zeroed_on_every_device(void **state)
{
	struct md *m = *state;
	struct famfs_interleave_param ip = { .nstrips = 2, .nbuckets = 1, .chunk_size = 2 * MIB };
	const struct famfs_node *n;
	uint64_t lo[2], hi[2];
	bool on1 = false;
	struct famfs_dev *dev;

	assert_int_equal(famfs_fs_devadd(m->fs, m->sec, false, NULL), 0);
	for (uint32_t i = 0; i < 2; i++) {
		dev = famfs_fs_dev(m->fs, i);
		assert_non_null(dev);
		lo[i] = m->fs->devtab.span[i].data_start;
		hi[i] = lo[i] + 64 * MIB;
		memset(dev->base + lo[i], 0xa5, hi[i] - lo[i]);
	}
	assert_int_equal(famfs_fs_creat(m->fs, "first", 5 * MIB, 0644, 0, 0, NULL, &n), 0);
	assert_true(extents_within(n, lo, hi));
	on1 |= n->fmap->se[0].devindex == 1;
	check_all(m->fs, n, 0);
	assert_int_equal(famfs_fs_creat(m->fs, "second", 7 * MIB, 0644, 0, 0, NULL, &n), 0);
	assert_true(extents_within(n, lo, hi));
	on1 |= n->fmap->se[0].devindex == 1;
	check_all(m->fs, n, 0);
	/* one strip on each device */
	assert_int_equal(famfs_fs_creat(m->fs, "striped", 9 * MIB + 5, 0644, 0, 0, &ip, &n), 0);
	assert_true(n->fmap->strips[0].devindex != n->fmap->strips[1].devindex);
	assert_true(extents_within(n, lo, hi));
	check_all(m->fs, n, 0);
	assert_int_equal(famfs_fs_creat(m->fs, "striped2", 9 * MIB, 0644, 0, 0, &ip, &n), 0);
	assert_true(extents_within(n, lo, hi));
	check_all(m->fs, n, 0);
	assert_true(on1);
	assert_int_equal(famfs_fs_creat_flags(m->fs, "old", 3 * MIB, 0644, 0, 0, NULL,
					      FAMFS_CREAT_NOZERO, &n), 0);
	assert_true(extents_within(n, lo, hi));
	check_all(m->fs, n, 0xa5);
}

static void test_device_not_found(void **state)
{
	struct md *m = *state;
	const struct famfs_node *n, *p;
	struct famfs_fs *fs2;

	/* made before the second device: on device 0 */
	assert_int_equal(famfs_fs_creat(m->fs, "on0", 3 * MIB, 0644, 0, 0, NULL, &p), 0);
	assert_int_equal(famfs_fs_devadd(m->fs, m->sec, false, NULL), 0);
	n = striped(m->fs, "s");
	fill(m->fs, n, 5);

	/* Nowhere to look: device 1 is missing, its files fail, the rest works. */
	look_in("/nonexistent-famfs-dir/*", NULL);
	assert_int_equal(famfs_fs_open(m->prim, FAMFS_FS_WRITE, &fs2), 0);
	assert_int_equal(fs2->replay_err, 0);
	assert_null(famfs_fs_dev(fs2, 1));
	assert_non_null(strstr(fs2->dev_why[1], "no superblock with its uuid"));
	n = famfs_ns_resolve(fs2->ns, "s");
	assert_err(famfs_fs_node_devs(fs2, n), -ENODEV, "device 1 (uuid ");
	assert_null(famfs_fs_addr(fs2, n, 0, NULL));
	p = famfs_ns_resolve(fs2->ns, "on0");
	assert_int_equal(famfs_fs_node_devs(fs2, p), 0);
	assert_non_null(famfs_fs_addr(fs2, p, 0, NULL));
	/* new files go to the devices that are here */
	assert_false(fs2->alloc.usable[1]);
	if (famfs_fs_creat(fs2, "new", 3 * MIB, 0644, 0, 0, NULL, &p))
		fail_msg("%s", famfs_errmsg());
	assert_int_equal(p->fmap->se[0].devindex, 0);
	/* found later at a path the caller names */
	assert_int_equal(famfs_fs_find_devs(fs2, m->third), 0);	/* not it */
	assert_null(famfs_fs_dev(fs2, 1));
	assert_int_equal(famfs_fs_find_devs(fs2, m->sec), 1);
	assert_true(fs2->alloc.usable[1]);
	check(fs2, n, 5);
	famfs_fs_close(fs2);

	/* found through the config file when the variable is not set */
	unsetenv(FAMFS_DAXDEV_PATH_ENV);
	m->conf = tu_image(0);
	{
		FILE *f = fopen(m->conf, "w");

		assert_non_null(f);
		fprintf(f, "# famfs devices\n  /nonexistent-a* # not here\n%s:/nonexistent-b\n",
			m->sec);
		fclose(f);
	}
	setenv(FAMFS_DAXDEV_CONF_ENV, m->conf, 1);
	assert_int_equal(famfs_fs_open(m->prim, 0, &fs2), 0);
	assert_non_null(famfs_fs_dev(fs2, 1));
	famfs_fs_close(fs2);
	look_in(m->sec, m->third);
}

static void test_devadd_refusals(void **state)
{
	struct md *m = *state;
	struct famfs_dev *d;
	struct famfs_fs *other;
	uint8_t uuid[16];
	char *foreign = tu_image(1 * GIB);
	uint32_t idx;

	assert_int_equal(famfs_fs_devadd(m->fs, m->sec, false, NULL), 0);
	assert_err(famfs_fs_devadd(m->fs, m->sec, false, NULL), -EEXIST, "is device 1");
	assert_err(famfs_fs_devadd(m->fs, m->sec, true, NULL), -EEXIST, "is device 1");
	assert_err(famfs_fs_devadd(m->fs, m->prim, true, NULL), -EEXIST, "is device 0");
	/* another file system's device: only with force */
	assert_int_equal(tu_mkfs(foreign, 8 * MIB), 0);
	assert_err(famfs_fs_devadd(m->fs, foreign, false, NULL), -EEXIST, "use -f");
	assert_int_equal(famfs_fs_open(foreign, 0, &other), 0);	/* still intact */
	famfs_fs_close(other);
	assert_int_equal(famfs_fs_devadd(m->fs, foreign, true, &idx), 0);
	assert_int_equal(idx, 2);
	/* an add that stopped after the superblock: its uuid is taken as is */
	assert_int_equal(famfs_dev_open(m->third, true, &d), 0);
	uuid_generate(uuid);
	assert_int_equal(famfs_mkfs_secondary(d, &m->fs->log->sb, uuid), 0);
	famfs_dev_close(d);
	assert_int_equal(famfs_fs_devadd(m->fs, m->third, false, &idx), 0);
	assert_int_equal(idx, 3);
	assert_memory_equal(m->fs->devtab.dev[3].uuid, uuid, 16);
	/* a client may not add */
	tu_client();
	assert_int_equal(famfs_fs_open(m->prim, FAMFS_FS_WRITE, &other), 0);
	assert_int_equal(famfs_fs_devadd(other, m->third, true, NULL), -EPERM);
	famfs_fs_close(other);
	tu_master();
	tu_unlink(foreign);
}

/*
 * This program's mmap (libfamfs is linked in statically): when armed, the
 * next shared file mapping's file is truncated to nothing right after it
 * is mapped, so the first read of the mapping raises SIGBUS.
 */
static int truncate_next_map;

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	long p = syscall(SYS_mmap, addr, len, prot, flags, fd, off);

	if (p < 0 && p > -4096) {
		errno = (int)-p;
		return MAP_FAILED;
	}
	if (truncate_next_map && fd >= 0 && (flags & MAP_SHARED)) {
		truncate_next_map = 0;
		if (ftruncate(fd, 0))
			return MAP_FAILED;
	}
	return (void *)p;
}

/* famfsd's own mount point: what lies under it is never looked at. */
static void test_under(void **state)
{
	(void)state;
	assert_true(famfs_devfind_under("/mnt/f", "/mnt/f"));
	assert_true(famfs_devfind_under("/mnt/f/x", "/mnt/f"));
	assert_true(famfs_devfind_under("/mnt/f/*", "/mnt/f/"));
	assert_false(famfs_devfind_under("/mnt/fx", "/mnt/f"));
	assert_false(famfs_devfind_under("/mnt", "/mnt/f"));
	assert_false(famfs_devfind_under("/dev/shm/d1", "/mnt/f"));
	assert_true(famfs_devfind_under("/dev/shm/d1", "/"));
}

/* The superblock of a device being added is read under the SIGBUS guard. */
static void test_devadd_sigbus(void **state)
{
	struct md *m = *state;

	truncate_next_map = 1;
	assert_err(famfs_fs_devadd(m->fs, m->sec, false, NULL), -EIO, "SIGBUS");
	assert_int_equal(truncate_next_map, 0);
	assert_int_equal(m->fs->devtab.ndevs, 1);
	/* nothing was logged: the instance goes on */
	assert_int_equal(famfs_fs_devadd(m->fs, m->third, false, NULL), 0);
}

static void test_catchup_adds_device(void **state)
{
	struct md *m = *state;
	const struct famfs_node *n;
	struct famfs_fs *fs2;

	assert_int_equal(famfs_fs_open(m->prim, 0, &fs2), 0);
	assert_int_equal(fs2->devtab.ndevs, 1);
	assert_int_equal(famfs_fs_devadd(m->fs, m->sec, false, NULL), 0);
	n = striped(m->fs, "later");
	fill(m->fs, n, 9);
	assert_int_equal(famfs_fs_catchup(fs2), 2);
	assert_int_equal(fs2->devtab.ndevs, 2);
	assert_non_null(famfs_fs_dev(fs2, 1));
	check(fs2, famfs_ns_resolve(fs2->ns, "later"), 9);
	famfs_fs_close(fs2);
}

static void test_secondary_is_not_a_primary(void **state)
{
	struct md *m = *state;
	struct famfs_fs *fs2;
	char path[4096];
	char *copy;

	assert_int_equal(famfs_fs_devadd(m->fs, m->sec, false, NULL), 0);
	/* opening the secondary says what it is and where its primary is */
	look_in(m->sec, m->prim);
	assert_err(famfs_fs_open(m->sec, 0, &fs2), -EINVAL, "is a secondary device of famfs");
	assert_non_null(strstr(famfs_errmsg(), m->prim));
	assert_int_equal(famfs_devfind_primary(m->fs->log->sb.uuid, path, sizeof(path)), 0);
	assert_string_equal(path, m->prim);
	assert_int_equal(famfs_devfind_uuid(m->fs->log->sb.uuid, m->fs->devtab.dev[1].uuid,
					    path, sizeof(path)), 0);
	assert_string_equal(path, m->sec);
	/* two files claiming one uuid (a copied image): refused, never guessed */
	copy = tu_image(2 * GIB);
	{
		struct famfs_dev *a, *b;

		assert_int_equal(famfs_dev_open(m->sec, false, &a), 0);
		assert_int_equal(famfs_dev_open(copy, true, &b), 0);
		memcpy(b->base, a->base, FAMFS_SB_SIZE);
		famfs_dev_close(a);
		famfs_dev_close(b);
	}
	look_in(m->sec, copy);
	assert_err(famfs_devfind_uuid(NULL, m->fs->devtab.dev[1].uuid, path, sizeof(path)),
		   -ENOTUNIQ, "is on two devices");
	assert_int_equal(famfs_fs_open(m->prim, 0, &fs2), 0);
	assert_null(famfs_fs_dev(fs2, 1));
	assert_non_null(strstr(fs2->dev_why[1], "two devices claim it"));
	famfs_fs_close(fs2);
	tu_unlink(copy);
	look_in(m->sec, m->third);
}

static void no_report(void *ctx, enum famfs_fsck_sev sev, const char *msg)
{
	char *first = ctx;

	if (sev == FAMFS_FSCK_ERROR && !first[0])
		snprintf(first, 512, "%s", msg);
}

static void test_fsck_devices(void **state)
{
	struct md *m = *state;
	struct famfs_fsck_result r;
	struct famfs_omf_entry e;
	const struct famfs_node *n;
	char first[512] = "";
	uint64_t idx;

	assert_int_equal(famfs_fs_devadd(m->fs, m->sec, false, NULL), 0);
	n = striped(m->fs, "s");
	assert_int_equal(famfs_fsck(m->fs->dev, no_report, first, &r), 0);
	assert_int_equal(r.errors, 0);
	assert_int_equal(r.ndevs, 2);
	assert_true(r.devs[1].found);
	assert_string_equal(r.devs[1].path, m->sec);
	assert_int_equal(r.devs[1].size, 2 * GIB);
	/* device 1: 2 MiB superblock region plus the file's strip */
	assert_int_equal(r.devs[1].used_bytes, 2 * MIB + n->fmap->strips[0].len);
	assert_int_equal(r.dev_size, 4 * GIB);
	assert_int_equal(r.used_bytes, r.devs[0].used_bytes + r.devs[1].used_bytes);

	/* a second file over the first one's strip on device 1: a collision there */
	idx = tu_next_index(m->fs->dev);
	tu_file_entry(&e, idx, "clash", 2 * MIB, 0, 2 * MIB);
	e.file.fmap.se[0] = n->fmap->strips[n->fmap->strips[0].devindex ? 0 : 1];
	e.file.fmap.se[0].len = 2 * MIB;
	tu_put_entry(m->fs->dev, idx, &e);
	tu_set_next(m->fs->dev, idx + 1, idx + 1);
	assert_int_equal(famfs_fsck(m->fs->dev, no_report, first, &r), 0);
	assert_int_equal(r.collisions, 1);
	/* named, from the owners of device 1's units (not device 0's) */
	assert_non_null(strstr(first, "(clash) overlaps log entry"));
	assert_non_null(strstr(first, "(s) at 0x"));
	/* and one past the end of device 1 */
	e.file.fmap.se[0].offset = 2 * GIB;
	tu_put_entry(m->fs->dev, idx, &e);
	first[0] = '\0';
	assert_int_equal(famfs_fsck(m->fs->dev, no_report, first, &r), 0);
	assert_non_null(strstr(first, "of device 1"));
	tu_set_next(m->fs->dev, idx, idx);

	/* the device is gone: an error naming it */
	look_in("/nonexistent-famfs-dir/*", NULL);
	first[0] = '\0';
	assert_int_equal(famfs_fsck(m->fs->dev, no_report, first, &r), 0);
	assert_int_equal(r.errors, 1);
	assert_false(r.devs[1].found);
	assert_non_null(strstr(first, "device 1 (uuid "));
	assert_non_null(strstr(first, "not found"));
	look_in(m->sec, m->third);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_devadd_and_stripe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_device_not_found, setup, teardown),
		cmocka_unit_test_setup_teardown(test_new_files_zeroed_on_every_device, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_devadd_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_catchup_adds_device, setup, teardown),
		cmocka_unit_test_setup_teardown(test_devadd_sigbus, setup, teardown),
		cmocka_unit_test(test_under),
		cmocka_unit_test_setup_teardown(test_secondary_is_not_a_primary, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fsck_devices, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
