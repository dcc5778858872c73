// SPDX-License-Identifier: Apache-2.0
/*
 * test_audit.c - the flush audit itself (built with FAMFS_FLUSH_AUDIT):
 * a store is "dirty" until the cache code writes its lines back, whichever
 * mapping of the same device bytes it goes through; a publication of a
 * dirty range and a read without an invalidate kill the process and leave
 * a line in DIR/failures; and the library's own commits (mkfs, log append,
 * creat) publish only written-back bytes. With famfs_flush compiled to
 * `return;` these tests fail.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "famfs/audit.h"
#include "famfs/fs.h"
#include "famfs/map.h"
#include "../unit/logfs_util.h"

static char audit_dir[] = "/dev/shm/famfs-audit-XXXXXX";

/* A scratch device of @size bytes and its (all zero) shadow. */
static char *audited_image(uint64_t size)
{
	char *path = tu_image(size), shadow[512];
	struct stat st;
	int fd;

	assert_int_equal(stat(path, &st), 0);
	snprintf(shadow, sizeof(shadow), "%s/dev-%llu-ino-%llu", audit_dir,
		 (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
	fd = open(shadow, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	close(fd);
	return path;
}

static int group_setup(void **state)
{
	if (!mkdtemp(audit_dir))
		return -1;
	setenv("FAMFS_FLUSH_AUDIT", audit_dir, 1);
	tu_master();
	return 0;
}

static int group_teardown(void **state)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", audit_dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Lines of the audit's DIR/@file that contain @needle. */
static int count_lines(const char *file, const char *needle)
{
	char path[512], line[1024];
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", audit_dir, file);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		n += strstr(line, needle) != NULL;
	fclose(f);
	return n;
}

static void test_store_dirty_until_written_back(void **state)
{
	char *path = audited_image(64 * MIB);
	struct famfs_dev *dev;
	uint8_t *p, big[5000];
	size_t at;

	assert_int_equal(famfs_dev_open(path, true, &dev), 0);
	assert_true(famfs_audit_tracked(dev->base));
	assert_true(count_lines("active", "dev-") >= 1);
	p = dev->base + 40 * MIB + 3;
	assert_false(famfs_audit_dirty(p, 200, NULL));

	memcpy(p, "famfs-audit", 12);
	assert_true(famfs_audit_dirty(p, 200, &at));
	assert_int_equal(at, 0);
	famfs_flush(p, 12);
	assert_false(famfs_audit_dirty(p, 200, NULL));

	/* a write back covers whole lines, and only those */
	memset(p, 0x11, 200);
	famfs_flush(p, 1);		/* the line of p: bytes p .. p + 60 */
	assert_true(famfs_audit_dirty(p, 200, &at));
	assert_int_equal(at, 61);
	famfs_invalidate(p + 61, 139);	/* x86 invalidates write back dirty lines */
	assert_false(famfs_audit_dirty(p, 200, NULL));

	/* the non-temporal copy is written back as a whole */
	memset(big, 0x5c, sizeof(big));
	famfs_memcpy_flush(p + 1000, big, sizeof(big));
	assert_false(famfs_audit_dirty(p, 8000, NULL));
	memset(big, 0x6d, sizeof(big));
	memcpy(p + 1000, big, sizeof(big));
	assert_true(famfs_audit_dirty(p, 8000, NULL));
	famfs_flush(p + 1000, sizeof(big));
	assert_false(famfs_audit_dirty(p, 8000, NULL));

	famfs_dev_close(dev);
	tu_unlink(path);
}

static int devfd_of(void *ctx, uint64_t idx, bool writable, int *fd)
{
	*fd = *(int *)ctx;
	return idx == 0 ? 0 : -ENODEV;
}

/* A direct mapping and the device map alias the same bytes: either writes back. */
static void test_aliases_by_device_offset(void **state)
{
	char *path = audited_image(64 * MIB);
	struct famfs_fmap f = { 0 };
	struct famfs_dev *dev;
	struct famfs_map *m;
	uint8_t *q;
	int fd;

	assert_int_equal(famfs_dev_open(path, true, &dev), 0);
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	f.ext_type = FAMFS_EXT_SIMPLE;
	f.nextents = 1;
	f.file_size = 4 * MIB;
	f.dev_bitmap = 1;
	f.se[0] = (struct famfs_fmap_ext){ 0, 20 * MIB, 4 * MIB };
	assert_int_equal(famfs_map_build(&f, O_RDWR, devfd_of, &fd, &m), 0);
	assert_true(famfs_audit_tracked(m->addr));

	q = (uint8_t *)m->addr + MIB + 5;
	memcpy(q, "through the file map", 21);
	assert_true(famfs_audit_dirty(dev->base + 21 * MIB + 5, 21, NULL));
	famfs_flush(dev->base + 21 * MIB + 5, 21);	/* the other alias */
	assert_false(famfs_audit_dirty(q, 21, NULL));

	famfs_map_close(m);
	assert_false(famfs_audit_tracked(q));
	close(fd);
	famfs_dev_close(dev);
	tu_unlink(path);
}

/* In a child: store at a device address, then publish it (@flush: written back first). */
static int child_publish(const char *path, bool flush, bool read, const char *what)
{
	struct famfs_dev *dev;
	uint8_t *p, buf[64];
	int st;
	pid_t pid = fork();

	if (pid == 0) {
		if (famfs_dev_open(path, true, &dev))
			_exit(3);
		p = dev->base + 30 * MIB;
		if (read) {
			if (flush)
				famfs_invalidate(p, sizeof(buf));
			memcpy(buf, p, sizeof(buf));
			famfs_audit_read(p, sizeof(buf), what);
		} else {
			memset(p, 0x42, 100);
			if (flush)
				famfs_flush(p, 100);
			famfs_audit_published(p, 100, what);
		}
		_exit(0);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return st;
}

static void test_publication_checks_abort(void **state)
{
	char *path = audited_image(64 * MIB);
	int st;

	st = child_publish(path, false, false, "unit: store not written back");
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
	assert_int_equal(count_lines("failures", "unit: store not written back"), 1);
	st = child_publish(path, true, false, "unit: store written back");
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(count_lines("failures", "unit: store written back"), 0);

	st = child_publish(path, false, true, "unit: read without invalidate");
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
	assert_int_equal(count_lines("failures", "unit: read without invalidate"), 1);
	st = child_publish(path, true, true, "unit: read after invalidate");
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	tu_unlink(path);
}

/*
 * mkfs, log appends and creates publish through famfs_audit_published
 * (which aborts on a dirty byte); afterwards the whole metadata region
 * and the file data written back by the caller are clean.
 */
static void test_library_commits(void **state)
{
	char *path = audited_image(256 * MIB);
	const struct famfs_node *n;
	struct famfs_fs *fs;
	uint64_t len = 0;
	uint8_t *p;
	int i;

	assert_int_equal(tu_mkfs(path, 8 * MIB), 0);
	assert_int_equal(famfs_fs_open(path, FAMFS_FS_WRITE, &fs), 0);
	for (i = 0; i < 20; i++) {
		char name[32];

		snprintf(name, sizeof(name), "d%d", i);
		assert_int_equal(famfs_fs_mkdir(fs, name, 0755, 0, 0, false), 0);
	}
	assert_int_equal(famfs_fs_creat(fs, "d3/f", 3 * MIB, 0644, 0, 0, NULL, &n), 0);
	assert_false(famfs_audit_dirty(fs->dev->base, FAMFS_LOG_OFFSET + 8 * MIB, NULL));
	p = famfs_fs_addr(fs, n, 0, &len);
	assert_non_null(p);
	memset(p, 0x33, len);
	assert_true(famfs_audit_dirty(p, len, NULL));
	famfs_flush(p, len);
	assert_false(famfs_audit_dirty(p, len, NULL));
	famfs_fs_close(fs);
	assert_int_equal(count_lines("failures", "log append"), 0);
	assert_int_equal(count_lines("failures", "mkfs"), 0);
	tu_unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_store_dirty_until_written_back),
		cmocka_unit_test(test_aliases_by_device_offset),
		cmocka_unit_test(test_publication_checks_abort),
		cmocka_unit_test(test_library_commits),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
