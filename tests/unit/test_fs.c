// SPDX-License-Identifier: Apache-2.0
/*
 * test_fs.c - famfs_fs: open + replay, mkdir/creat and their errors,
 * catch-up across two instances, damaged logs, addresses of file data.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <cmocka.h>

#include "famfs/err.h"
#include "famfs/fs.h"
#include "logfs_util.h"

#define DATA0	(10 * MIB)

struct img {
	char *path;
	struct famfs_fs *fs;
};

static int setup(void **state)
{
	struct img *m = calloc(1, sizeof(*m));

	tu_master();
	m->path = tu_image(128 * MIB);
	if (tu_mkfs(m->path, 8 * MIB) || famfs_fs_open(m->path, FAMFS_FS_WRITE, &m->fs))
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

static void test_open_empty(void **state)
{
	struct img *m = *state;
	struct famfs_fs *fs;

	assert_int_equal(m->fs->next, 0);
	assert_int_equal(m->fs->replay_err, 0);
	assert_int_equal(m->fs->alloc.dev[0].used * 2 * MIB, DATA0);
	assert_non_null(famfs_ns_resolve(m->fs->ns, ""));
	assert_int_equal(famfs_fs_catchup(m->fs), 0);

	assert_int_equal(famfs_fs_open("/dev/shm/famfs-unit-none", 0, &fs), -ENOENT);
	assert_null(fs);
}

static void test_mkdir(void **state)
{
	struct img *m = *state;
	struct famfs_fs *fs = m->fs;
	struct famfs_node *n;

	assert_int_equal(famfs_fs_mkdir(fs, "d", 0750, 12, 34, false), 0);
	n = famfs_ns_resolve(fs->ns, "d");
	assert_non_null(n);
	assert_true(S_ISDIR(n->mode));
	assert_int_equal(n->mode & 07777, 0750);
	assert_int_equal(n->uid, 12);
	assert_int_equal(n->gid, 34);
	assert_int_equal(n->log_index, 0);
	assert_int_equal(fs->next, 1);
	assert_int_equal(famfs_log_next_index(fs->log), 1);
	assert_false(fs->log->locked);

	assert_int_equal(famfs_fs_mkdir(fs, "d", 0755, 0, 0, false), -EEXIST);
	assert_non_null(strstr(famfs_errmsg(), "d"));
	assert_int_equal(famfs_fs_mkdir(fs, "d", 0755, 0, 0, true), 0);
	assert_int_equal(famfs_log_next_index(fs->log), 1);
	assert_int_equal(famfs_fs_mkdir(fs, "x/y", 0755, 0, 0, false), -ENOENT);
	assert_non_null(strstr(famfs_errmsg(), "x/y"));
	assert_int_equal(famfs_fs_mkdir(fs, "/abs", 0755, 0, 0, false), -EINVAL);
	assert_int_equal(famfs_fs_mkdir(fs, "", 0755, 0, 0, false), -EINVAL);
	assert_int_equal(famfs_log_next_index(fs->log), 1);

	/* mkdir -p creates every missing level, once. */
	assert_int_equal(famfs_fs_mkdir(fs, "p/q/r", 0755, 0, 0, true), 0);
	assert_non_null(famfs_ns_resolve(fs->ns, "p"));
	assert_non_null(famfs_ns_resolve(fs->ns, "p/q"));
	assert_non_null(famfs_ns_resolve(fs->ns, "p/q/r"));
	assert_int_equal(famfs_log_next_index(fs->log), 4);
	assert_int_equal(famfs_fs_mkdir(fs, "p/q/r", 0755, 0, 0, true), 0);
	assert_int_equal(famfs_fs_mkdir(fs, "d/e/f", 0755, 0, 0, true), 0);
	assert_int_equal(famfs_log_next_index(fs->log), 6);
}

static void test_creat(void **state)
{
	struct img *m = *state;
	struct famfs_fs *fs = m->fs;
	const struct famfs_node *f, *g;
	uint64_t len = 0, used;
	uint8_t *p;

	assert_int_equal(famfs_fs_mkdir(fs, "d", 0755, 0, 0, false), 0);
	used = fs->alloc.dev[0].used;
	assert_int_equal(famfs_fs_creat(fs, "d/f", 3 * MIB, 0640, 5, 6, NULL, &f), 0);
	assert_non_null(f);
	assert_true(S_ISREG(f->mode));
	assert_int_equal(f->mode & 07777, 0640);
	assert_int_equal(f->size, 3 * MIB);
	assert_int_equal(f->uid, 5);
	assert_int_equal(f->fmap->nextents, 1);
	assert_int_equal(f->fmap->se[0].len, 4 * MIB);
	assert_true(f->fmap->se[0].offset >= DATA0);
	assert_int_equal(fs->alloc.dev[0].used, used + 2);
	assert_ptr_equal(famfs_ns_resolve(fs->ns, "d/f"), f);

	/* Data addresses: the run is clipped to the extent. */
	p = famfs_fs_addr(fs, f, 0, &len);
	assert_ptr_equal(p, fs->dev->base + f->fmap->se[0].offset);
	assert_true(len >= 3 * MIB);
	p = famfs_fs_addr(fs, f, MIB + 5, &len);
	assert_ptr_equal(p, fs->dev->base + f->fmap->se[0].offset + MIB + 5);
	memcpy(p, "hello", 5);
	assert_null(famfs_fs_addr(fs, f, 3 * MIB, &len));
	assert_null(famfs_fs_addr(fs, famfs_ns_resolve(fs->ns, "d"), 0, &len));

	/* The log entry carries what upstream writes. */
	{
		struct famfs_omf_entry e;

		assert_int_equal(famfs_log_read(fs->log, 1, &e), 0);
		assert_int_equal(e.type, FAMFS_LOG_FILE);
		assert_int_equal(e.file.flags, FAMFS_FM_ALL_HOSTS_RW);
		assert_string_equal(e.file.relpath, "d/f");
		assert_int_equal(e.file.mode, 0640);
	}

	assert_int_equal(famfs_fs_creat(fs, "d/f", MIB, 0644, 0, 0, NULL, &g), -EEXIST);
	assert_int_equal(famfs_fs_creat(fs, "d", MIB, 0644, 0, 0, NULL, &g), -EEXIST);
	assert_int_equal(famfs_fs_creat(fs, "nope/f", MIB, 0644, 0, 0, NULL, &g), -ENOENT);
	assert_int_equal(famfs_fs_creat(fs, "d/f/g", MIB, 0644, 0, 0, NULL, &g), -ENOTDIR);
	assert_non_null(strstr(famfs_errmsg(), "not a directory"));
	assert_int_equal(famfs_fs_mkdir(fs, "d/f/g", 0755, 0, 0, false), -ENOTDIR);
	assert_int_equal(famfs_fs_mkdir(fs, "d/f/g", 0755, 0, 0, true), -ENOTDIR);
	assert_int_equal(famfs_fs_mkdir(fs, "d/f", 0755, 0, 0, true), -EEXIST);
	assert_int_equal(famfs_fs_creat(fs, "d/z", 0, 0644, 0, 0, NULL, &g), -EINVAL);
	assert_non_null(strstr(famfs_errmsg(), "empty file not allowed"));
	assert_int_equal(famfs_fs_creat(fs, "a/../b", MIB, 0644, 0, 0, NULL, &g), -EINVAL);
	assert_int_equal(famfs_log_next_index(fs->log), 2);
	assert_false(fs->log->locked);

	/* Device full: 128 MiB - 10 MiB reserved - 4 MiB used = 114 MiB free. */
	used = fs->alloc.dev[0].used;
	assert_int_equal(famfs_fs_creat(fs, "big", 115 * MIB, 0644, 0, 0, NULL, &g), -ENOSPC);
	assert_non_null(strstr(famfs_errmsg(), "device"));
	assert_int_equal(fs->alloc.dev[0].used, used);
	assert_int_equal(famfs_log_next_index(fs->log), 2);
	assert_int_equal(famfs_fs_creat(fs, "big", 114 * MIB, 0644, 0, 0, NULL, &g), 0);
	assert_int_equal(famfs_fs_creat(fs, "one", 1, 0644, 0, 0, NULL, &g), -ENOSPC);
	assert_non_null(strstr(famfs_errmsg(), "device"));

	/* Reopening read-only replays the same namespace and bitmap. */
	used = fs->alloc.dev[0].used;
	famfs_fs_close(fs);
	assert_int_equal(famfs_fs_open(m->path, 0, &m->fs), 0);
	fs = m->fs;
	assert_false(fs->dev->writable);
	assert_int_equal(fs->alloc.dev[0].used, used);
	f = famfs_ns_resolve(fs->ns, "d/f");
	assert_non_null(f);
	assert_memory_equal(famfs_fs_addr(fs, f, MIB + 5, &len), "hello", 5);
	assert_int_equal(fs->collisions, 0);
	assert_int_equal(fs->replay_err, 0);
}

/* A map planned by the caller (famfs cp's dry run) is logged as planned. */
static void test_creat_map(void **state)
{
	struct img *m = *state;
	struct famfs_fs *fs = m->fs;
	const struct famfs_node *f;
	struct famfs_omf_fmap plan, plan2;
	struct famfs_allocset dry;
	uint64_t used = fs->alloc.dev[0].used;

	assert_int_equal(famfs_fs_begin(fs), 0);
	assert_int_equal(famfs_allocset_clone(&fs->alloc, &dry), 0);
	assert_int_equal(famfs_allocset_file(&dry, 5 * MIB, NULL, 0, &plan), 0);
	assert_int_equal(famfs_allocset_file(&dry, 1, NULL, 0, &plan2), 0);
	famfs_allocset_fini(&dry);
	assert_int_equal(fs->alloc.dev[0].used, used);		/* the dry run marked nothing */
	assert_int_equal(famfs_fs_creat_map(fs, "p", 5 * MIB, 0600, 3, 4, &plan, &f), 0);
	assert_memory_equal(f->fmap, &plan, sizeof(plan));
	assert_int_equal(f->size, 5 * MIB);
	assert_int_equal(f->mode, S_IFREG | 0600);
	assert_int_equal(fs->alloc.dev[0].used, used + 3);
	/* the same memory twice: refused, nothing logged */
	assert_int_equal(famfs_fs_creat_map(fs, "q", 1, 0644, 0, 0, &plan, &f), -EBUSY);
	assert_non_null(strstr(famfs_errmsg(), "3 allocation units of the planned map are in use"));
	/* a map that does not hold the size: refused */
	assert_int_equal(famfs_fs_creat_map(fs, "q", 3 * MIB, 0644, 0, 0, &plan2, &f), -EINVAL);
	assert_int_equal(famfs_fs_creat_map(fs, "q", 0, 0644, 0, 0, &plan2, &f), -EINVAL);
	assert_int_equal(famfs_fs_creat_map(fs, "q", 1, 0644, 0, 0, NULL, &f), -EINVAL);
	assert_int_equal(famfs_log_next_index(fs->log), 1);
	assert_int_equal(famfs_fs_creat_map(fs, "q", 1, 0644, 0, 0, &plan2, &f), 0);
	famfs_fs_end(fs);
	assert_int_equal(famfs_log_next_index(fs->log), 2);
}

static void test_log_full(void **state)
{
	struct img *m = *state;
	struct famfs_fs *fs = m->fs;
	struct famfs_omf_entry e;
	const struct famfs_node *g;
	char name[16];
	uint64_t i;

	assert_int_equal(famfs_log_lock(fs->log), 0);
	for (i = 0; i < 15420; i++) {
		snprintf(name, sizeof(name), "d%llu", (unsigned long long)i);
		tu_mkdir_entry(&e, 0, name);
		assert_int_equal(famfs_log_append(fs->log, &e), 0);
	}
	famfs_log_unlock(fs->log);
	assert_int_equal(famfs_fs_catchup(fs), 15420);
	assert_int_equal(fs->replay_err, 0);
	assert_int_equal(famfs_fs_creat(fs, "f", MIB, 0644, 0, 0, NULL, &g), -ENOSPC);
	assert_non_null(strstr(famfs_errmsg(), "log full"));
	assert_int_equal(famfs_fs_mkdir(fs, "e", 0755, 0, 0, false), -ENOSPC);
	assert_non_null(strstr(famfs_errmsg(), "log full"));
}

/*
 * mkfs records its time in the log tail and every append records the
 * entry's; a second instance (another host, a remount) derives the same
 * node times from them.
 */
static void test_times(void **state)
{
	struct img *m = *state;
	struct famfs_omf_entry e;
	struct famfs_node *a, *b;
	struct famfs_fs *other;
	uint32_t t0, t1;

	t1 = (uint32_t)time(NULL);
	t0 = t1 - 600;		/* setup ran mkfs just before */
	assert_true(m->fs->log->mkfs_time >= t0 && m->fs->log->mkfs_time <= t1);
	assert_int_equal(famfs_ns_root(m->fs->ns)->time_ns,
			 (uint64_t)m->fs->log->mkfs_time * 1000000000ULL);
	assert_int_equal(famfs_fs_mkdir(m->fs, "a", 0755, 0, 0, false), 0);
	assert_int_equal(famfs_fs_mkdir(m->fs, "a/b", 0755, 0, 0, false), 0);
	t1 = (uint32_t)time(NULL);
	assert_int_equal(famfs_log_read(m->fs->log, 1, &e), 0);
	assert_true(e.time >= m->fs->log->mkfs_time && e.time <= t1);
	a = famfs_ns_resolve(m->fs->ns, "a");
	b = famfs_ns_resolve(m->fs->ns, "a/b");
	assert_int_equal(b->time_ns, (uint64_t)e.time * 1000000000ULL + 2);
	assert_int_equal(a->time_ns, b->time_ns);

	assert_int_equal(famfs_fs_open(m->path, 0, &other), 0);
	assert_int_equal(other->log->mkfs_time, m->fs->log->mkfs_time);
	assert_int_equal(famfs_ns_resolve(other->ns, "a")->time_ns, a->time_ns);
	assert_int_equal(famfs_ns_resolve(other->ns, "a/b")->time_ns, b->time_ns);
	assert_int_equal(famfs_ns_root(other->ns)->time_ns,
			 famfs_ns_root(m->fs->ns)->time_ns);
	famfs_fs_close(other);
}

/* The slots reserved for root: the default, and a mkdir that must keep them. */
static void test_reserve(void **state)
{
	struct img *m = *state;
	struct famfs_fs *fs = m->fs;
	uint64_t nfree;

	assert_int_equal(famfs_log_reserve(15420, FAMFS_LOG_RESERVE_PCT), 771);
	assert_int_equal(famfs_log_reserve(15420, 0), 0);
	assert_int_equal(famfs_log_reserve(15420, 1), 155);
	assert_int_equal(famfs_log_reserve(1000, 1), FAMFS_LOG_RESERVE_MIN);
	assert_int_equal(famfs_log_reserve(10, 5), 10);
	assert_int_equal(famfs_log_reserve(15420, 100), 15420);
	assert_int_equal(famfs_log_reserve(15420, 200), 15420);

	nfree = famfs_log_free_slots(fs->log);
	assert_int_equal(nfree, 15420);
	assert_int_equal(famfs_fs_mkdir_keep(fs, "u1", 0755, 1000, 1000, nfree - 1), 0);
	assert_int_equal(famfs_fs_mkdir_keep(fs, "u2", 0755, 1000, 1000, nfree - 1), -ENOSPC);
	assert_non_null(strstr(famfs_errmsg(), "reserved for root"));
	assert_null(famfs_ns_resolve(fs->ns, "u2"));
	assert_int_equal(famfs_log_free_slots(fs->log), nfree - 1);
	/* Root keeps nothing back. */
	assert_int_equal(famfs_fs_mkdir_keep(fs, "r", 0755, 0, 0, 0), 0);
	assert_int_equal(famfs_log_free_slots(fs->log), nfree - 2);
}

static void test_client(void **state)
{
	struct img *m = *state;
	const struct famfs_node *g;
	struct famfs_fs *fs;

	assert_int_equal(famfs_fs_mkdir(m->fs, "d", 0755, 0, 0, false), 0);
	tu_client();
	assert_int_equal(famfs_fs_open(m->path, FAMFS_FS_WRITE, &fs), 0);
	assert_int_equal(fs->log->role, FAMFS_ROLE_CLIENT);
	assert_non_null(famfs_ns_resolve(fs->ns, "d"));
	assert_int_equal(famfs_fs_mkdir(fs, "e", 0755, 0, 0, false), -EPERM);
	assert_non_null(strstr(famfs_errmsg(), "client"));
	assert_int_equal(famfs_fs_creat(fs, "f", MIB, 0644, 0, 0, NULL, &g), -EPERM);
	assert_int_equal(famfs_fs_begin(fs), -EPERM);
	assert_int_equal(fs->depth, 0);
	famfs_fs_close(fs);
}

static void test_catchup(void **state)
{
	struct img *m = *state;
	const struct famfs_node *f;
	struct famfs_fs *other;
	struct famfs_node *n;
	uint64_t len;

	assert_int_equal(famfs_fs_open(m->path, FAMFS_FS_WRITE, &other), 0);
	assert_int_equal(famfs_fs_mkdir(other, "o", 0755, 0, 0, false), 0);
	assert_int_equal(famfs_fs_creat(other, "o/f", 5 * MIB, 0644, 0, 0, NULL, &f), 0);
	memcpy(famfs_fs_addr(other, f, 0, &len), "shared", 6);

	assert_null(famfs_ns_resolve(m->fs->ns, "o"));
	assert_int_equal(famfs_fs_catchup(m->fs), 2);
	n = famfs_ns_resolve(m->fs->ns, "o/f");
	assert_non_null(n);
	assert_memory_equal(famfs_fs_addr(m->fs, n, 0, &len), "shared", 6);
	assert_int_equal(famfs_fs_catchup(m->fs), 0);

	/* Our next create catches up first, so it does not reuse their units. */
	assert_int_equal(famfs_fs_creat(m->fs, "mine", 2 * MIB, 0644, 0, 0, NULL, &f), 0);
	assert_true(f->fmap->se[0].offset >= n->fmap->se[0].offset + n->fmap->se[0].len);
	assert_int_equal(famfs_fs_catchup(other), 1);
	assert_int_equal(other->collisions, 0);
	assert_int_equal(m->fs->collisions, 0);
	famfs_fs_close(other);
}

static void test_begin_end(void **state)
{
	struct img *m = *state;
	struct famfs_fs *fs = m->fs;

	assert_int_equal(famfs_fs_begin(fs), 0);
	assert_int_equal(famfs_fs_begin(fs), 0);
	assert_int_equal(fs->depth, 2);
	assert_true(fs->log->locked);
	assert_int_equal(famfs_fs_mkdir(fs, "a", 0755, 0, 0, false), 0);
	assert_true(fs->log->locked);
	famfs_fs_end(fs);
	assert_true(fs->log->locked);
	famfs_fs_end(fs);
	assert_false(fs->log->locked);
	famfs_fs_end(fs);
	assert_int_equal(fs->depth, 0);
}

/*
 * A MKDIR logged after a file made its directory implicitly (another tool
 * logged the file first) gives the directory its mode and owner.
 */
static void test_mkdir_over_implicit(void **state)
{
	struct img *m = *state;
	struct famfs_dev *dev = m->fs->dev;
	struct famfs_omf_entry e;
	struct famfs_node *n;
	struct famfs_fs *fs;

	tu_file_entry(&e, 0, "x/y/f", 4096, 64 * MIB, 2 * MIB);
	tu_put_entry(dev, 0, &e);
	tu_mkdir_entry(&e, 1, "x");
	e.mkdir.mode = 0700;
	e.mkdir.uid = 1234;
	e.mkdir.gid = 5678;
	tu_put_entry(dev, 1, &e);
	tu_set_next(dev, 2, 2);
	assert_int_equal(famfs_fs_open(m->path, 0, &fs), 0);
	assert_int_equal(fs->replay_err, 0);
	n = famfs_ns_resolve(fs->ns, "x");
	assert_non_null(n);
	assert_int_equal(n->mode, S_IFDIR | 0700);
	assert_int_equal(n->uid, 1234);
	assert_int_equal(n->gid, 5678);
	assert_int_equal(n->log_index, 1);
	n = famfs_ns_resolve(fs->ns, "x/y");	/* still implicit */
	assert_int_equal(n->mode, S_IFDIR | 0755);
	assert_true(n->log_index == FAMFS_NO_INDEX);
	famfs_fs_close(fs);
}

static void test_damaged_log(void **state)
{
	struct img *m = *state;
	struct famfs_dev *dev = m->fs->dev;
	const struct famfs_node *g;
	struct famfs_fs *fs;

	assert_int_equal(famfs_fs_mkdir(m->fs, "a", 0755, 0, 0, false), 0);
	assert_int_equal(famfs_fs_mkdir(m->fs, "b", 0755, 0, 0, false), 0);
	assert_int_equal(famfs_fs_mkdir(m->fs, "c", 0755, 0, 0, false), 0);
	tu_slot(dev, 1)[30] ^= 0x10;

	assert_int_equal(famfs_fs_open(m->path, 0, &fs), 0);
	assert_int_equal(fs->replay_err, -EBADMSG);
	assert_non_null(strstr(famfs_errmsg(), "log entry 1"));
	assert_int_equal(fs->next, 1);
	assert_non_null(famfs_ns_resolve(fs->ns, "a"));
	assert_null(famfs_ns_resolve(fs->ns, "b"));
	assert_null(famfs_ns_resolve(fs->ns, "c"));
	assert_int_equal(famfs_fs_catchup(fs), 0);
	assert_int_equal(fs->replay_err, -EBADMSG);

	/* Appending after a damaged entry is refused: nobody would see it. */
	assert_int_equal(famfs_fs_catchup(m->fs), 0);
	assert_int_equal(m->fs->replay_err, 0);	/* it replayed before the damage */
	famfs_fs_close(m->fs);
	assert_int_equal(famfs_fs_open(m->path, FAMFS_FS_WRITE, &m->fs), 0);
	assert_int_equal(famfs_fs_mkdir(m->fs, "d", 0755, 0, 0, false), -EIO);
	assert_non_null(strstr(famfs_errmsg(), "log entry 1"));
	assert_int_equal(famfs_fs_creat(m->fs, "e", 1, 0644, 0, 0, NULL, &g), -EIO);

	/* Once the entry reads back whole, catch-up resumes from it. */
	tu_slot(m->fs->dev, 1)[30] ^= 0x10;
	assert_int_equal(famfs_fs_catchup(fs), 2);
	assert_int_equal(fs->replay_err, 0);
	assert_non_null(famfs_ns_resolve(fs->ns, "c"));
	famfs_fs_close(fs);
}

/*
 * An entry that validates but cannot be served stops the replay at its
 * index, as a damaged one does: the valid prefix is served, the detail
 * names the entry, and creates are refused until the log is repaired.
 */
static void test_replay_stops(void **state)
{
	static const struct {
		const char *name;
		uint64_t off, len;
		int err;
		const char *why;
	} bad[] = {
		{ "clone", DATA0 + 2 * MIB, 2 * MIB, -EUCLEAN, "already belong" },
		{ "f", DATA0 + 8 * MIB, 2 * MIB, -EEXIST, "exists" },		/* dup name */
		{ "oob", 126 * MIB, 4 * MIB, -ERANGE, "" },			/* past the end */
		{ "inlog", 2 * MIB, 2 * MIB, -ERANGE, "" },			/* over the log */
	};
	struct img *m = *state;
	struct famfs_omf_entry e;
	struct famfs_log *log = m->fs->log;
	const struct famfs_node *g;
	struct famfs_fs *fs;
	char want[64];
	uint8_t *slot;

	assert_int_equal(famfs_log_lock(log), 0);
	tu_file_entry(&e, 0, "f", 4 * MIB, DATA0, 4 * MIB);
	assert_int_equal(famfs_log_append(log, &e), 0);
	tu_file_entry(&e, 0, "placeholder", 2 * MIB, DATA0 + 16 * MIB, 2 * MIB);
	assert_int_equal(famfs_log_append(log, &e), 0);
	tu_mkdir_entry(&e, 0, "after");
	assert_int_equal(famfs_log_append(log, &e), 0);
	famfs_log_unlock(log);

	slot = tu_slot(m->fs->dev, 1);
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		tu_file_entry(&e, 1, bad[i].name, 2 * MIB, bad[i].off, bad[i].len);
		famfs_omf_entry_encode(&e, slot);
		assert_int_equal(famfs_fs_open(m->path, FAMFS_FS_WRITE, &fs), 0);
		assert_int_equal(fs->replay_err, bad[i].err);
		assert_int_equal(fs->next, 1);
		snprintf(want, sizeof(want), "log entry 1 (%s): ", bad[i].name);
		assert_non_null(strstr(famfs_errmsg(), want));
		assert_non_null(strstr(famfs_errmsg(), bad[i].why));
		assert_int_equal(fs->collisions, bad[i].err == -EUCLEAN ? 1 : 0);
		assert_int_equal(famfs_ns_resolve(fs->ns, "f")->size, 4 * MIB);
		assert_null(famfs_ns_resolve(fs->ns, "after"));
		if (strcmp(bad[i].name, "f"))
			assert_null(famfs_ns_resolve(fs->ns, bad[i].name));
		/* Nothing of the refused entry was marked: only sb + log + f. */
		assert_int_equal(fs->alloc.dev[0].used, 5 + 2);
		/* A repeated catch-up stays at the same entry and changes nothing. */
		assert_int_equal(famfs_fs_catchup(fs), 0);
		assert_int_equal(fs->next, 1);
		assert_int_equal(famfs_fs_creat(fs, "new", MIB, 0644, 0, 0, NULL, &g), -EIO);
		assert_non_null(strstr(famfs_errmsg(), "log entry 1 is damaged"));
		famfs_fs_close(fs);
	}
}

static void test_interleave(void **state)
{
	char *path = tu_image(4096 * MIB);
	struct famfs_interleave_param ip = { .nbuckets = 2, .nstrips = 2, .chunk_size = 2 * MIB };
	const struct famfs_node *f;
	struct famfs_fs *fs;
	uint8_t *a, *b;
	uint64_t la, lb;

	assert_int_equal(tu_mkfs(path, 8 * MIB), 0);
	assert_int_equal(famfs_fs_open(path, FAMFS_FS_WRITE, &fs), 0);
	assert_int_equal(famfs_fs_creat(fs, "s", 8 * MIB, 0644, 0, 0, &ip, &f), 0);
	assert_int_equal(f->fmap->ext_type, FAMFS_EXT_INTERLEAVE);
	assert_int_equal(f->fmap->nstrips, 2);
	a = famfs_fs_addr(fs, f, 0, &la);
	b = famfs_fs_addr(fs, f, 2 * MIB, &lb);
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(la, 2 * MIB);
	assert_int_equal(lb, 2 * MIB);
	assert_ptr_equal(a, fs->dev->base + f->fmap->strips[0].offset);
	assert_ptr_equal(b, fs->dev->base + f->fmap->strips[1].offset);
	famfs_fs_close(fs);
	tu_unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mkdir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_creat, setup, teardown),
		cmocka_unit_test_setup_teardown(test_creat_map, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_times, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reserve, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client, setup, teardown),
		cmocka_unit_test_setup_teardown(test_catchup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_begin_end, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damaged_log, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mkdir_over_implicit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replay_stops, setup, teardown),
		cmocka_unit_test(test_interleave),
	};

	tu_master();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
