// SPDX-License-Identifier: Apache-2.0
/*
 * test_trust.c - unit tests of lib/mounts.c (the mount table through
 * libmount) and of the parts of lib/trust.c that need no famfsd: which
 * mounts the table check trusts, and which device paths may be opened.
 * tests/system/test_trust.sh covers the rest with real FUSE servers.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "famfs/err.h"
#include "famfs/le.h"
#include "famfs/omf.h"
#include "famfs/mount.h"
#include "famfs/trust.h"

static char reg[64], other[64], fifo[64];

static int setup(void **state)
{
	int fd;

	snprintf(reg, sizeof(reg), "/dev/shm/famfs-trust-%d", (int)getpid());
	snprintf(other, sizeof(other), "/dev/shm/famfs-trust-%d-b", (int)getpid());
	snprintf(fifo, sizeof(fifo), "/dev/shm/famfs-trust-%d-fifo", (int)getpid());
	fd = open(reg, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return -1;
	close(fd);
	fd = open(other, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return -1;
	close(fd);
	return mkfifo(fifo, 0600);
}

static int teardown(void **state)
{
	unlink(reg);
	unlink(other);
	unlink(fifo);
	return 0;
}

static void test_table_root(void **state)
{
	struct famfs_mnt m, n;

	assert_int_equal(famfs_mnt_of_path("/", &m), 0);
	assert_string_equal(m.target, "/");
	assert_true(m.id > 0);
	assert_int_equal(famfs_mnt_by_id(m.id, &n), 0);
	assert_string_equal(n.target, "/");
	assert_int_equal(n.dev, m.dev);
	assert_int_equal(famfs_mnt_at("/", &n), 0);
	assert_int_equal(famfs_mnt_by_id(-7, &n), -ENOENT);
	assert_int_equal(famfs_mnt_at("/no/such/mount/point", &n), -ENOENT);
	assert_int_equal(famfs_mnt_of_path("/no/such/file", &n), -ENOENT);
}

/* /proc is mounted in every test environment, with its own id. */
static void test_table_proc(void **state)
{
	struct famfs_mnt m;

	assert_int_equal(famfs_mnt_of_path("/proc/self", &m), 0);
	assert_string_equal(m.fstype, "proc");
	assert_string_equal(m.target, "/proc");
	assert_int_equal(m.user_id, -1);
}

static void test_has_opt(void **state)
{
	assert_true(famfs_mnt_has_opt("rw,user_id=0,allow_other", "allow_other"));
	assert_true(famfs_mnt_has_opt("rw,user_id=0,allow_other", "user_id"));
	assert_false(famfs_mnt_has_opt("rw,user_id=0,allow_other", "user"));
	assert_false(famfs_mnt_has_opt("rw,nosuid", "ro"));
	assert_true(famfs_mnt_has_opt("ro,nosuid", "ro"));
	assert_false(famfs_mnt_has_opt(NULL, "ro"));
}

static void mnt(struct famfs_mnt *m, const char *type, long uid)
{
	memset(m, 0, sizeof(*m));
	snprintf(m->fstype, sizeof(m->fstype), "%s", type);
	snprintf(m->target, sizeof(m->target), "/mnt/x");
	m->user_id = uid;
}

static void test_trust_mount(void **state)
{
	struct famfs_mnt m;

	mnt(&m, "fuse.famfs", 0);
	assert_int_equal(famfs_trust_mount(&m), 0);
	mnt(&m, "fuse.famfs", 1000);
	famfs_errclear();
	assert_int_equal(famfs_trust_mount(&m), -EPERM);
	assert_non_null(strstr(famfs_errmsg(), "mounted by uid 1000, not by root"));
	mnt(&m, "fuse.famfs", -1);
	assert_int_equal(famfs_trust_mount(&m), -EPERM);
	assert_non_null(strstr(famfs_errmsg(), "no user_id"));
	mnt(&m, "fuse.sshfs", 0);
	assert_int_equal(famfs_trust_mount(&m), -EPERM);
	assert_non_null(strstr(famfs_errmsg(), "not a famfs mount"));
	mnt(&m, "tmpfs", -1);
	assert_int_equal(famfs_trust_mount(&m), -EPERM);
}

static void test_dev_policy(void **state)
{
	struct stat sr, so, sn;

	assert_int_equal(stat(reg, &sr), 0);
	assert_int_equal(stat(other, &so), 0);
	assert_int_equal(stat("/dev/null", &sn), 0);
	assert_true(famfs_trust_dev_ok(&sr, &sr));
	assert_false(famfs_trust_dev_ok(&so, &sr));
	assert_false(famfs_trust_dev_ok(&sr, NULL));
	/* a character device that is not devdax */
	assert_false(famfs_trust_dev_ok(&sn, &sr));
	assert_false(famfs_trust_dev_ok(&sn, NULL));
	assert_true(famfs_trust_dev_ok(&sn, &sn));
}

static void test_open_dev(void **state)
{
	struct stat sr;
	int fd;

	assert_int_equal(stat(reg, &sr), 0);
	fd = famfs_trust_open_dev(reg, O_RDWR, &sr);
	assert_true(fd >= 0);
	close(fd);
	famfs_errclear();
	assert_int_equal(famfs_trust_open_dev(other, O_RDONLY, &sr), -EPERM);
	assert_non_null(strstr(famfs_errmsg(), "not a dax or pmem device"));
	/* Refused without opening it: a FIFO with no writer would block. */
	assert_int_equal(famfs_trust_open_dev(fifo, O_RDONLY, &sr), -EPERM);
	assert_int_equal(famfs_trust_open_dev("/dev/null", O_RDONLY, &sr), -EPERM);
	assert_int_equal(famfs_trust_open_dev("/no/such/dev", O_RDONLY, &sr), -ENOENT);
}

/*
 * A regular file holding a secondary superblock of our file system is a
 * member only if root (or we) own it and no one else may write it: anyone
 * can plant such a file where a device glob looks (/dev/shm).
 */
static void test_open_member_owner(void **state)
{
	static const uint8_t fs_uuid[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
	uint8_t buf[FAMFS_SB_SIZE] = { 0 };
	int fd;

	famfs_put_le64(buf, FAMFS_SUPER_MAGIC);
	famfs_put_le32(buf + FAMFS_SB_FLAGS_OFFSET, FAMFS_SB_FLAG_SECONDARY);
	memcpy(buf + FAMFS_SB_UUID_OFFSET, fs_uuid, 16);
	fd = open(other, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
	close(fd);
	fd = famfs_trust_open_member(other, O_RDWR, NULL, fs_uuid);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(chmod(other, 0666), 0);
	famfs_errclear();
	assert_int_equal(famfs_trust_open_member(other, O_RDONLY, NULL, fs_uuid), -EPERM);
	assert_non_null(strstr(famfs_errmsg(), "world-writable (mode 0666): not a famfs device"));
	assert_int_equal(chmod(other, 0620), 0);
	assert_int_equal(famfs_trust_open_member(other, O_RDONLY, NULL, fs_uuid), -EPERM);
	assert_int_equal(chmod(other, 0600), 0);
	if (geteuid() == 0) {
		/* a file of another user, mode 0600 */
		assert_int_equal(chown(other, 65534, 65534), 0);
		famfs_errclear();
		assert_int_equal(famfs_trust_open_member(other, O_RDONLY, NULL, fs_uuid),
				 -EPERM);
		assert_non_null(strstr(famfs_errmsg(), "owned by uid 65534, not root"));
		assert_int_equal(chown(other, 0, 0), 0);
	}
	fd = famfs_trust_open_member(other, O_RDONLY, NULL, fs_uuid);
	assert_true(fd >= 0);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_root),
		cmocka_unit_test(test_table_proc),
		cmocka_unit_test(test_has_opt),
		cmocka_unit_test(test_trust_mount),
		cmocka_unit_test(test_dev_policy),
		cmocka_unit_test(test_open_dev),
		cmocka_unit_test(test_open_member_owner),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
