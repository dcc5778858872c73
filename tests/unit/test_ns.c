// SPDX-License-Identifier: Apache-2.0
/*
 * test_ns.c - the namespace built from log entries (lib/ns.c): inode
 * numbers, implicit directories, errors that leave the tree unchanged,
 * lookups, child order, path round trips, a full-log replay, and names
 * chosen to collide in the hash table.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "famfs/err.h"
#include "famfs/ns.h"

static struct famfs_omf_entry file_entry(const char *path, uint64_t size, uint32_t mode)
{
	struct famfs_omf_entry e;

	memset(&e, 0, sizeof(e));
	e.type = FAMFS_LOG_FILE;
	e.file.size = size;
	e.file.uid = 1000;
	e.file.gid = 100;
	e.file.mode = mode;
	snprintf(e.file.relpath, sizeof(e.file.relpath), "%s", path);
	e.file.fmap.ext_type = FAMFS_EXT_SIMPLE;
	e.file.fmap.nextents = 1;
	e.file.fmap.se[0].offset = 0xa00000;
	e.file.fmap.se[0].len = (size + 0x1fffff) & ~0x1fffffULL;
	return e;
}

static struct famfs_omf_entry dir_entry(const char *path, uint32_t mode)
{
	struct famfs_omf_entry e;

	memset(&e, 0, sizeof(e));
	e.type = FAMFS_LOG_MKDIR;
	e.mkdir.uid = 7;
	e.mkdir.gid = 8;
	e.mkdir.mode = mode;
	snprintf(e.mkdir.relpath, sizeof(e.mkdir.relpath), "%s", path);
	return e;
}

static void expect_counts(struct famfs_ns *ns, uint64_t files, uint64_t dirs, uint64_t entries)
{
	uint64_t f = 99, d = 99, n = 99;

	famfs_ns_counts(ns, &f, &d, &n);
	assert_int_equal(f, files);
	assert_int_equal(d, dirs);
	assert_int_equal(n, entries);
}

static void test_root(void **state)
{
	struct famfs_ns *ns;
	struct famfs_node *r;
	char buf[8] = "xxxxxxx";

	assert_int_equal(famfs_ns_new(&ns), 0);
	r = famfs_ns_root(ns);
	assert_non_null(r);
	assert_int_equal(r->ino, FAMFS_ROOT_INO);
	assert_int_equal(r->mode, S_IFDIR | 0755);
	assert_int_equal(r->uid, 0);
	assert_int_equal(r->log_index, FAMFS_NO_INDEX);
	assert_string_equal(r->name, "");
	assert_ptr_equal(r->parent, r);
	assert_null(r->first_child);
	assert_ptr_equal(famfs_ns_by_ino(ns, 1), r);
	assert_null(famfs_ns_by_ino(ns, 2));
	assert_ptr_equal(famfs_ns_resolve(ns, ""), r);
	assert_null(famfs_ns_resolve(ns, "a"));
	assert_null(famfs_ns_resolve(ns, NULL));
	assert_int_equal(famfs_ns_path(r, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	expect_counts(ns, 0, 1, 0);
	famfs_ns_counts(ns, NULL, NULL, NULL);
	famfs_ns_free(ns);
	famfs_ns_free(NULL);
}

static void test_apply(void **state)
{
	struct famfs_omf_entry e, fe;
	struct famfs_node *d, *f;
	struct famfs_ns *ns;

	assert_int_equal(famfs_ns_new(&ns), 0);
	e = dir_entry("a", 0100750);	/* type bits in the log are ignored */
	assert_int_equal(famfs_ns_apply(ns, 0, &e), 0);
	e = file_entry("a/f", 12345, 0170644 | 04000);
	e.file.fmap.se[0].offset = 0x1400000;
	fe = e;
	assert_int_equal(famfs_ns_apply(ns, 1, &e), 0);
	e = dir_entry("b", 0700);
	assert_int_equal(famfs_ns_apply(ns, 2, &e), 0);
	e.type = FAMFS_LOG_ADD_DAXDEV;
	assert_int_equal(famfs_ns_apply(ns, 3, &e), 0);
	expect_counts(ns, 1, 3, 4);

	d = famfs_ns_lookup(ns, famfs_ns_root(ns), "a");
	assert_non_null(d);
	assert_int_equal(d->ino, 2);
	assert_int_equal(d->mode, S_IFDIR | 0750);
	assert_int_equal(d->uid, 7);
	assert_int_equal(d->gid, 8);
	assert_int_equal(d->size, 0);
	assert_int_equal(d->log_index, 0);
	assert_ptr_equal(d->parent, famfs_ns_root(ns));
	assert_int_equal(d->nchildren, 1);

	f = famfs_ns_lookup(ns, d, "f");
	assert_non_null(f);
	assert_int_equal(f->ino, 3);
	assert_int_equal(f->mode, S_IFREG | 04644);
	assert_int_equal(f->uid, 1000);
	assert_int_equal(f->gid, 100);
	assert_int_equal(f->size, 12345);
	assert_int_equal(f->log_index, 1);
	assert_string_equal(f->name, "f");
	assert_ptr_equal(f->parent, d);
	assert_memory_equal(f->fmap, &fe.file.fmap, sizeof(*f->fmap));
	assert_int_equal(f->fmap->ext_type, FAMFS_EXT_SIMPLE);
	assert_int_equal(f->fmap->nextents, 1);
	assert_int_equal(f->fmap->se[0].offset, 0x1400000);
	assert_int_equal(f->fmap->se[0].len, 0x200000);

	assert_ptr_equal(famfs_ns_resolve(ns, "a/f"), f);
	assert_ptr_equal(famfs_ns_resolve(ns, "a"), d);
	assert_ptr_equal(famfs_ns_by_ino(ns, 3), f);
	assert_int_equal(famfs_ns_by_ino(ns, 4)->mode, S_IFDIR | 0700);
	assert_null(famfs_ns_by_ino(ns, 5));	/* ADD_DAXDEV makes no node */
	assert_null(famfs_ns_lookup(ns, d, "g"));
	assert_null(famfs_ns_lookup(ns, f, "x"));	/* not a directory */
	assert_null(famfs_ns_lookup(ns, NULL, "a"));
	assert_null(famfs_ns_lookup(ns, d, ""));
	assert_null(famfs_ns_resolve(ns, "a/f/x"));
	assert_null(famfs_ns_resolve(ns, "a/"));
	assert_null(famfs_ns_resolve(ns, "a//f"));
	assert_null(famfs_ns_resolve(ns, "/a"));
	famfs_ns_free(ns);
}

static void test_implicit(void **state)
{
	struct famfs_omf_entry e;
	struct famfs_node *x, *y, *z, *q;
	struct famfs_ns *ns;

	assert_int_equal(famfs_ns_new(&ns), 0);
	e = file_entry("x/y/z", 1, 0644);
	e.file.uid = 11;
	e.file.gid = 12;
	assert_int_equal(famfs_ns_apply(ns, 5, &e), 0);
	x = famfs_ns_resolve(ns, "x");
	y = famfs_ns_resolve(ns, "x/y");
	z = famfs_ns_resolve(ns, "x/y/z");
	assert_non_null(x);
	assert_non_null(y);
	assert_non_null(z);
	assert_int_equal(x->ino, FAMFS_INO_IMPLICIT);
	assert_int_equal(y->ino, FAMFS_INO_IMPLICIT + 1);
	assert_int_equal(z->ino, 7);
	assert_int_equal(x->mode, S_IFDIR | 0755);
	assert_int_equal(y->mode, S_IFDIR | 0755);
	assert_int_equal(x->uid, 11);
	assert_int_equal(y->gid, 12);
	assert_int_equal(x->log_index, FAMFS_NO_INDEX);
	assert_ptr_equal(famfs_ns_by_ino(ns, FAMFS_INO_IMPLICIT + 1), y);
	expect_counts(ns, 1, 3, 1);

	/* A MKDIR with missing parents also gets implicit ones; numbering goes on. */
	e = dir_entry("x/q/r", 0711);
	assert_int_equal(famfs_ns_apply(ns, 6, &e), 0);
	q = famfs_ns_resolve(ns, "x/q");
	assert_non_null(q);
	assert_int_equal(q->ino, FAMFS_INO_IMPLICIT + 2);
	assert_int_equal(q->uid, 7);
	assert_int_equal(famfs_ns_resolve(ns, "x/q/r")->ino, 8);
	assert_int_equal(famfs_ns_resolve(ns, "x/q/r")->mode, S_IFDIR | 0711);
	assert_int_equal(x->nchildren, 2);
	expect_counts(ns, 1, 5, 2);

	/* MKDIR over an implicit directory is -EEXIST, like any directory. */
	e = dir_entry("x/y", 0755);
	assert_int_equal(famfs_ns_apply(ns, 7, &e), -EEXIST);
	famfs_ns_free(ns);
}

static void test_errors(void **state)
{
	struct famfs_omf_entry e;
	struct famfs_ns *ns;

	assert_int_equal(famfs_ns_new(&ns), 0);
	e = dir_entry("a", 0755);
	assert_int_equal(famfs_ns_apply(ns, 0, &e), 0);
	e = file_entry("a/f", 10, 0644);
	assert_int_equal(famfs_ns_apply(ns, 1, &e), 0);
	expect_counts(ns, 1, 2, 2);

	/* -EEXIST: directory again, file again, directory over a file. */
	e = dir_entry("a", 0755);
	assert_int_equal(famfs_ns_apply(ns, 2, &e), -EEXIST);
	assert_non_null(strstr(famfs_errmsg(), "already exists"));
	e = file_entry("a/f", 10, 0644);
	assert_int_equal(famfs_ns_apply(ns, 2, &e), -EEXIST);
	e = dir_entry("a/f", 0755);
	assert_int_equal(famfs_ns_apply(ns, 2, &e), -EEXIST);
	e = file_entry("a", 10, 0644);
	assert_int_equal(famfs_ns_apply(ns, 2, &e), -EEXIST);
	/* The same log index twice. */
	e = file_entry("other", 10, 0644);
	assert_int_equal(famfs_ns_apply(ns, 1, &e), -EEXIST);
	assert_non_null(strstr(famfs_errmsg(), "already applied"));
	assert_null(famfs_ns_resolve(ns, "other"));

	/* -ENOTDIR, also when deeper parents would have been implicit. */
	e = file_entry("a/f/g", 10, 0644);
	assert_int_equal(famfs_ns_apply(ns, 2, &e), -ENOTDIR);
	assert_non_null(strstr(famfs_errmsg(), "is a file"));
	e = dir_entry("a/f/g/h/i", 0755);
	assert_int_equal(famfs_ns_apply(ns, 2, &e), -ENOTDIR);

	/* Bad paths. */
	static const char *const bad[] = {
		"", "/a", "a/", "a//b", "./a", "a/./b", "a/..", "..", "a/\001b",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e = file_entry(bad[i], 10, 0644);
		assert_int_equal(famfs_ns_apply(ns, 2, &e), -EINVAL);
		e = dir_entry(bad[i], 0755);
		assert_int_equal(famfs_ns_apply(ns, 2, &e), -EINVAL);
	}
	/* 80 bytes with no NUL, and 79 bytes that is fine. */
	e = file_entry("", 10, 0644);
	memset(e.file.relpath, 'n', sizeof(e.file.relpath));
	assert_int_equal(famfs_ns_apply(ns, 2, &e), -ENAMETOOLONG);
	e.file.relpath[79] = '\0';
	assert_int_equal(famfs_ns_apply(ns, 2, &e), 0);
	assert_non_null(famfs_ns_resolve(ns, e.file.relpath));

	/* Types that cannot be applied. */
	e = file_entry("t", 10, 0644);
	e.type = FAMFS_LOG_DELETE;	/* of entry 0, which made another name */
	assert_int_equal(famfs_ns_apply(ns, 3, &e), -ENOENT);
	e.type = FAMFS_LOG_INVALID;
	assert_int_equal(famfs_ns_apply(ns, 3, &e), -EINVAL);
	e.type = 99;
	assert_int_equal(famfs_ns_apply(ns, 3, &e), -EINVAL);
	e.type = FAMFS_LOG_FILE;
	assert_int_equal(famfs_ns_apply(ns, FAMFS_INO_IMPLICIT, &e), -EINVAL);

	/* Nothing above changed the tree: no node, no implicit number used. */
	expect_counts(ns, 2, 2, 3);
	assert_null(famfs_ns_by_ino(ns, FAMFS_INO_IMPLICIT));
	assert_int_equal(famfs_ns_lookup(ns, famfs_ns_root(ns), "a")->nchildren, 1);
	e = file_entry("new/file", 10, 0644);
	assert_int_equal(famfs_ns_apply(ns, 3, &e), 0);
	assert_int_equal(famfs_ns_resolve(ns, "new")->ino, FAMFS_INO_IMPLICIT);
	famfs_ns_free(ns);
}

static void test_children_order_and_path(void **state)
{
	static const char *const names[] = { "zeta", "alpha", "mid", "beta", "omega" };
	struct famfs_omf_entry e;
	struct famfs_node *d, *c, *n;
	struct famfs_ns *ns;
	char path[FAMFS_OMF_PATH_MAX], buf[FAMFS_OMF_PATH_MAX];
	uint64_t idx = 0;
	int i = 0;

	assert_int_equal(famfs_ns_new(&ns), 0);
	e = dir_entry("dir", 0755);
	assert_int_equal(famfs_ns_apply(ns, idx++, &e), 0);
	for (i = 0; i < 5; i++) {
		snprintf(path, sizeof(path), "dir/%s", names[i]);
		e = i % 2 ? dir_entry(path, 0755) : file_entry(path, 1, 0600);
		assert_int_equal(famfs_ns_apply(ns, idx++, &e), 0);
	}
	d = famfs_ns_resolve(ns, "dir");
	assert_int_equal(d->nchildren, 5);
	i = 0;
	for (c = d->first_child; c; c = c->next_sibling)
		assert_string_equal(c->name, names[i++]);
	assert_int_equal(i, 5);
	assert_string_equal(d->last_child->name, "omega");

	/* Path round trip, deep implicit and explicit nodes. */
	e = file_entry("dir/alpha/p/q/r/s", 1, 0600);
	assert_int_equal(famfs_ns_apply(ns, idx++, &e), 0);
	n = famfs_ns_resolve(ns, "dir/alpha/p/q/r/s");
	assert_non_null(n);
	assert_int_equal(famfs_ns_path(n, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "dir/alpha/p/q/r/s");
	for (uint64_t ino = 2; ino < idx + 2; ino++) {
		n = famfs_ns_by_ino(ns, ino);
		assert_non_null(n);
		assert_int_equal(famfs_ns_path(n, buf, sizeof(buf)), 0);
		assert_ptr_equal(famfs_ns_resolve(ns, buf), n);
	}
	n = famfs_ns_resolve(ns, "dir/alpha/p");
	assert_int_equal(famfs_ns_path(n, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "dir/alpha/p");
	/* Exactly big enough, and one byte short. */
	assert_int_equal(famfs_ns_path(n, buf, 12), 0);
	assert_int_equal(famfs_ns_path(n, buf, 11), -ENAMETOOLONG);
	assert_int_equal(famfs_ns_path(NULL, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(famfs_ns_path(n, buf, 0), -EINVAL);
	famfs_ns_free(ns);
}

/* A full 8 MiB log: 15,420 entries, 60 directories of files, some implicit. */
/*
 * Times are a pure function of the log: recorded seconds carried forward
 * (never back), the entry index + 1 as nanoseconds, directories moved by
 * each entry created in them, the root starting at the mkfs time.
 */
static void test_times(void **state)
{
	const uint64_t S = 1000000000ULL;
	struct famfs_omf_entry es[5];
	struct famfs_ns *ns, *again;
	struct famfs_node *root, *d, *x;
	unsigned int i;

	es[0] = dir_entry("d", 0755);
	es[0].time = 2000;
	es[1] = file_entry("d/f", 10, 0644);	/* not recorded: upstream */
	es[2] = file_entry("d/g", 10, 0644);
	es[2].time = 1500;			/* the master's clock went back */
	es[3] = file_entry("x/y/z", 10, 0644);	/* implicit x and x/y */
	es[3].time = 3000;
	es[4] = dir_entry("e", 0755);
	es[4].time = 3000;

	assert_int_equal(famfs_ns_new(&ns), 0);
	root = famfs_ns_root(ns);
	assert_int_equal(root->time_ns, 0);
	famfs_ns_set_epoch(ns, 1000);
	assert_int_equal(root->time_ns, 1000 * S);
	assert_int_equal(famfs_ns_apply(ns, 0, &es[0]), 0);
	d = famfs_ns_resolve(ns, "d");
	assert_int_equal(d->time_ns, 2000 * S + 1);
	assert_int_equal(root->time_ns, 2000 * S + 1);
	assert_int_equal(famfs_ns_apply(ns, 1, &es[1]), 0);
	assert_int_equal(famfs_ns_resolve(ns, "d/f")->time_ns, 2000 * S + 2);
	assert_int_equal(d->time_ns, 2000 * S + 2);
	assert_int_equal(root->time_ns, 2000 * S + 1);
	assert_int_equal(famfs_ns_apply(ns, 2, &es[2]), 0);
	assert_int_equal(famfs_ns_resolve(ns, "d/g")->time_ns, 2000 * S + 3);
	assert_int_equal(d->time_ns, 2000 * S + 3);
	assert_int_equal(famfs_ns_apply(ns, 3, &es[3]), 0);
	x = famfs_ns_resolve(ns, "x");
	assert_int_equal(x->time_ns, 3000 * S + 4);
	assert_int_equal(famfs_ns_resolve(ns, "x/y")->time_ns, 3000 * S + 4);
	assert_int_equal(famfs_ns_resolve(ns, "x/y/z")->time_ns, 3000 * S + 4);
	assert_int_equal(root->time_ns, 3000 * S + 4);
	/* The same second: log order still shows. */
	assert_int_equal(famfs_ns_apply(ns, 4, &es[4]), 0);
	assert_int_equal(famfs_ns_resolve(ns, "e")->time_ns, 3000 * S + 5);
	assert_int_equal(root->time_ns, 3000 * S + 5);
	assert_int_equal(d->time_ns, 2000 * S + 3);

	/* Another host, or a remount, replays the same times. */
	assert_int_equal(famfs_ns_new(&again), 0);
	famfs_ns_set_epoch(again, 1000);
	for (i = 0; i < 5; i++)
		assert_int_equal(famfs_ns_apply(again, i, &es[i]), 0);
	for (i = 0; i < 5; i++)
		assert_int_equal(famfs_ns_by_ino(again, i + 2)->time_ns,
				 famfs_ns_by_ino(ns, i + 2)->time_ns);
	assert_int_equal(famfs_ns_root(again)->time_ns, root->time_ns);
	famfs_ns_free(again);
	famfs_ns_free(ns);

	/* Nothing recorded at all: 1970, in log order. */
	assert_int_equal(famfs_ns_new(&ns), 0);
	es[1] = file_entry("f", 10, 0644);
	assert_int_equal(famfs_ns_apply(ns, 0, &es[1]), 0);
	assert_int_equal(famfs_ns_resolve(ns, "f")->time_ns, 1);
	assert_int_equal(famfs_ns_root(ns)->time_ns, 1);
	famfs_ns_free(ns);
}

static void test_big_replay(void **state)
{
	const uint64_t nentries = 15420, ndirs = 60;
	struct famfs_omf_entry e;
	struct famfs_ns *ns;
	char path[FAMFS_OMF_PATH_MAX];
	uint64_t files = 0, dirs = 1, in_d007 = 0;

	assert_int_equal(famfs_ns_new(&ns), 0);
	for (uint64_t i = 0; i < nentries; i++) {
		if (i < ndirs) {
			snprintf(path, sizeof(path), "d%03llu", (unsigned long long)i);
			e = dir_entry(path, 0755);
			dirs++;
		} else if (i % 1000 == 0) {
			/* A file in a directory never logged: one implicit parent. */
			snprintf(path, sizeof(path), "imp%llu/f", (unsigned long long)i);
			e = file_entry(path, i, 0644);
			files++;
			dirs++;
		} else {
			snprintf(path, sizeof(path), "d%03llu/file-%llu",
				 (unsigned long long)(i % ndirs), (unsigned long long)i);
			e = file_entry(path, i, 0644);
			files++;
			in_d007 += i % ndirs == 7;
		}
		assert_int_equal(famfs_ns_apply(ns, i, &e), 0);
	}
	expect_counts(ns, files, dirs, nentries);

	for (uint64_t i = ndirs; i < nentries; i++) {
		struct famfs_node *n = famfs_ns_by_ino(ns, i + 2), *d;

		assert_non_null(n);
		assert_int_equal(n->size, i);
		assert_int_equal(n->log_index, i);
		if (i % 1000 == 0)
			continue;
		snprintf(path, sizeof(path), "d%03llu", (unsigned long long)(i % ndirs));
		d = famfs_ns_resolve(ns, path);
		assert_non_null(d);
		snprintf(path, sizeof(path), "file-%llu", (unsigned long long)i);
		assert_ptr_equal(famfs_ns_lookup(ns, d, path), n);
	}
	assert_non_null(famfs_ns_resolve(ns, "imp15000/f"));
	assert_int_equal(famfs_ns_resolve(ns, "imp1000")->ino, FAMFS_INO_IMPLICIT);
	assert_int_equal(famfs_ns_resolve(ns, "imp15000")->ino, FAMFS_INO_IMPLICIT + 14);
	assert_int_equal(famfs_ns_resolve(ns, "d007")->nchildren, in_d007);
	assert_true(in_d007 > 250);
	assert_null(famfs_ns_by_ino(ns, nentries + 2));
	famfs_ns_free(ns);
}

/*
 * Memory bounded by the log (issue 18): a directory node carries no file
 * map, implicit directories stop at the limit (the entry is refused and
 * the tree is unchanged), and a log of deep paths costs at most the stated
 * FAMFS_NS_*_COST per node.
 */
static void test_memory_bound(void **state)
{
	struct famfs_omf_entry e;
	struct famfs_ns *ns;
	struct famfs_node *d, *f;
	char path[FAMFS_OMF_PATH_MAX];
	uint64_t i, limit = 1000, base;

	assert_int_equal(famfs_ns_new(&ns), 0);
	assert_int_equal(famfs_ns_implicit(ns), 0);
	base = famfs_ns_bytes(ns);
	famfs_ns_limit_implicit(ns, limit);
	/* A deep path: 38 implicit directories, none with a map. */
	for (i = 0; ; i++) {
		int n = snprintf(path, sizeof(path), "%03llu", (unsigned long long)i);

		for (int k = 0; k < 37; k++)
			n += snprintf(path + n, sizeof(path) - n, "/a");
		snprintf(path + n, sizeof(path) - n, "/f");
		e = file_entry(path, 4096, 0644);
		famfs_errclear();
		if (famfs_ns_apply(ns, i, &e))
			break;
		assert_int_equal(famfs_ns_implicit(ns), 38 * (i + 1));
	}
	/* 26 x 38 = 988: the 27th would make 1026 > 1000 */
	assert_int_equal(i, 26);
	assert_int_equal(famfs_ns_apply(ns, i, &e), -EUCLEAN);
	assert_non_null(strstr(famfs_errmsg(), "needs 38 implicit directories; 988 of at most "
				"1000 exist"));
	assert_int_equal(famfs_ns_implicit(ns), 988);
	expect_counts(ns, 26, 1 + 988, 26);
	assert_null(famfs_ns_resolve(ns, path));
	path[3] = '\0';
	assert_null(famfs_ns_resolve(ns, path));	/* nothing of it was linked */
	/* An entry that needs no new directory still applies. */
	e = file_entry("000/a/g", 4096, 0644);
	assert_int_equal(famfs_ns_apply(ns, 100, &e), 0);
	d = famfs_ns_resolve(ns, "000/a");
	f = famfs_ns_resolve(ns, "000/a/g");
	assert_non_null(d);
	assert_non_null(f);
	assert_null(d->fmap);
	assert_null(famfs_ns_root(ns)->fmap);
	assert_non_null(f->fmap);
	assert_int_equal(f->fmap->se[0].offset, 0xa00000);
	/* The stated cost: every node within FAMFS_NS_*_COST, slab slack aside. */
	assert_true(famfs_ns_bytes(ns) - base <=
		    988 * (uint64_t)FAMFS_NS_DIR_COST + 27 * (uint64_t)FAMFS_NS_FILE_COST +
		    2 * 1024 * 1024);
	/* MKDIR entries are capped the same way. */
	e = dir_entry("zz/y/x", 0755);
	famfs_ns_limit_implicit(ns, 989);
	assert_int_equal(famfs_ns_apply(ns, 101, &e), -EUCLEAN);
	famfs_ns_limit_implicit(ns, 990);
	assert_int_equal(famfs_ns_apply(ns, 101, &e), 0);
	assert_null(famfs_ns_resolve(ns, "zz/y/x")->fmap);
	famfs_ns_free(ns);
}

/*
 * The name hash as it was before it took a key: FNV-1a of the name, mixed
 * with the parent's inode. Public, so a crafted log could pick names that
 * all fall into one bucket, and every lookup of a replay walked all of
 * them (15,420 such names in the root: 1.1 s to replay, against 4 ms).
 */
static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t unkeyed_hash(uint64_t parent_ino, const char *name)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *name; name++) {
		h ^= (unsigned char)*name;
		h *= 0x100000001b3ULL;
	}
	return mix64(h ^ mix64(parent_ino));
}

/*
 * 2000 directories in the root whose names all share the low 12 bits of
 * the unkeyed hash (the table has 4096 buckets by then, and 1024 or 2048
 * before): with a key the log cannot know, they spread like any names.
 */
static void test_hash_flood(void **state)
{
	enum { N = 2000 };
	const uint64_t mask = 4095;
	uint64_t target = unkeyed_hash(FAMFS_ROOT_INO, "seed") & mask, k = 0;
	static char names[N][24];
	struct famfs_omf_entry e;
	struct famfs_ns *ns;
	int got = 0, i;

	(void)state;
	while (got < N) {
		snprintf(names[got], sizeof(names[got]), "n%llx", (unsigned long long)k++);
		if ((unkeyed_hash(FAMFS_ROOT_INO, names[got]) & mask) == target)
			got++;
	}
	assert_int_equal(famfs_ns_new(&ns), 0);
	for (i = 0; i < N; i++) {
		char name[sizeof(names[0])];

		memcpy(name, names[i], sizeof(name));
		e = dir_entry(name, 0755);
		assert_int_equal(famfs_ns_apply(ns, (uint64_t)i, &e), 0);
	}
	for (i = 0; i < N; i++)
		assert_non_null(famfs_ns_resolve(ns, names[i]));
	assert_true(famfs_ns_longest_chain(ns) < 32);
	famfs_ns_free(ns);
}

static struct famfs_omf_entry del_entry(uint64_t target, uint32_t type, const char *path,
				       uint32_t time)
{
	struct famfs_omf_entry e;

	memset(&e, 0, sizeof(e));
	e.type = FAMFS_LOG_DELETE;
	e.time = time;
	e.del.target = target;
	e.del.target_type = type;
	snprintf(e.del.relpath, sizeof(e.del.relpath), "%s", path);
	return e;
}

/* DELETE: names go, nodes stay for open handles, checks leave no trace. */
static void test_delete(void **state)
{
	struct famfs_omf_entry e;
	struct famfs_node *d, *f, *g, *c, *r;
	struct famfs_ns *ns;
	uint64_t old_t;
	int nlisted;

	assert_int_equal(famfs_ns_new(&ns), 0);
	r = famfs_ns_root(ns);
	e = dir_entry("d", 0755);
	assert_int_equal(famfs_ns_apply(ns, 0, &e), 0);		/* ino 2 */
	e = file_entry("d/f", 10, 0644);
	assert_int_equal(famfs_ns_apply(ns, 1, &e), 0);		/* ino 3 */
	e = file_entry("d/g", 10, 0644);
	assert_int_equal(famfs_ns_apply(ns, 2, &e), 0);		/* ino 4 */
	e = file_entry("old/x", 10, 0644);	/* makes the implicit "old" */
	assert_int_equal(famfs_ns_apply(ns, 3, &e), 0);
	d = famfs_ns_resolve(ns, "d");
	f = famfs_ns_resolve(ns, "d/f");
	g = famfs_ns_resolve(ns, "d/g");
	assert_false(famfs_node_deleted(f));
	expect_counts(ns, 3, 3, 4);

	/* Refusals change nothing. */
	e = del_entry(0, FAMFS_LOG_MKDIR, "d", 0);
	assert_int_equal(famfs_ns_apply(ns, 4, &e), -ENOTEMPTY);
	e = del_entry(1, FAMFS_LOG_FILE, "d/g", 0);		/* entry 1 made d/f */
	assert_int_equal(famfs_ns_apply(ns, 4, &e), -ENOENT);
	e = del_entry(1, FAMFS_LOG_MKDIR, "d/f", 0);		/* a file, not a dir */
	assert_int_equal(famfs_ns_apply(ns, 4, &e), -ENOENT);
	e = del_entry(9, FAMFS_LOG_FILE, "d/f", 0);		/* nothing made by 9 */
	assert_int_equal(famfs_ns_apply(ns, 10, &e), -ENOENT);
	e = del_entry(FAMFS_DELETE_IMPLICIT, FAMFS_LOG_MKDIR, "d", 0);	/* logged */
	assert_int_equal(famfs_ns_apply(ns, 4, &e), -ENOENT);
	e = del_entry(FAMFS_DELETE_IMPLICIT, FAMFS_LOG_MKDIR, "old", 0);	/* not empty */
	assert_int_equal(famfs_ns_apply(ns, 4, &e), -ENOTEMPTY);
	expect_counts(ns, 3, 3, 4);
	assert_int_equal(d->nchildren, 2);

	/* Delete d/f: gone by name, still there by inode, marked. */
	old_t = d->time_ns;
	e = del_entry(1, FAMFS_LOG_FILE, "d/f", 2000000000);
	assert_int_equal(famfs_ns_apply(ns, 4, &e), 0);
	assert_null(famfs_ns_resolve(ns, "d/f"));
	assert_null(famfs_ns_lookup(ns, d, "f"));
	assert_ptr_equal(famfs_ns_by_ino(ns, 3), f);
	assert_true(famfs_node_deleted(f));
	assert_int_equal(f->del_index, 4);
	assert_int_equal(d->nchildren, 1);
	assert_true(d->time_ns > old_t);
	expect_counts(ns, 2, 3, 5);
	/* The child list keeps it, in its place (listings skip it). */
	nlisted = 0;
	for (c = d->first_child; c; c = c->next_sibling)
		nlisted++;
	assert_int_equal(nlisted, 2);
	assert_ptr_equal(d->first_child, f);
	/* Twice is refused. */
	assert_int_equal(famfs_ns_apply(ns, 5, &e), -ENOENT);

	/* The name can be used again: a new node, a new inode. */
	e = file_entry("d/f", 20, 0600);
	assert_int_equal(famfs_ns_apply(ns, 5, &e), 0);
	assert_int_equal(famfs_ns_resolve(ns, "d/f")->ino, 7);
	assert_int_equal(famfs_ns_by_ino(ns, 3)->size, 10);
	assert_int_equal(d->nchildren, 2);

	/* Empty the directory, then delete it; the implicit one by path. */
	e = del_entry(2, FAMFS_LOG_FILE, "d/g", 0);
	assert_int_equal(famfs_ns_apply(ns, 6, &e), 0);
	assert_true(famfs_node_deleted(g));
	e = del_entry(5, FAMFS_LOG_FILE, "d/f", 0);
	assert_int_equal(famfs_ns_apply(ns, 7, &e), 0);
	e = del_entry(0, FAMFS_LOG_MKDIR, "d", 0);
	assert_int_equal(famfs_ns_apply(ns, 8, &e), 0);
	assert_null(famfs_ns_resolve(ns, "d"));
	e = del_entry(3, FAMFS_LOG_FILE, "old/x", 0);
	assert_int_equal(famfs_ns_apply(ns, 9, &e), 0);
	e = del_entry(FAMFS_DELETE_IMPLICIT, FAMFS_LOG_MKDIR, "old", 0);
	assert_int_equal(famfs_ns_apply(ns, 10, &e), 0);
	assert_null(famfs_ns_resolve(ns, "old"));
	assert_int_equal(r->nchildren, 0);
	expect_counts(ns, 0, 1, 11);
	/* A directory of the same name again. */
	e = dir_entry("d", 0700);
	assert_int_equal(famfs_ns_apply(ns, 11, &e), 0);
	assert_int_equal(famfs_ns_resolve(ns, "d")->ino, 13);
	famfs_ns_free(ns);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_root),
		cmocka_unit_test(test_apply),
		cmocka_unit_test(test_implicit),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_children_order_and_path),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_big_replay),
		cmocka_unit_test(test_memory_bound),
		cmocka_unit_test(test_hash_flood),
		cmocka_unit_test(test_delete),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
