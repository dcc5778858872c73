// SPDX-License-Identifier: Apache-2.0
/*
 * test_role.c - system uuid sources (env, file, creation) and roles.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "famfs/err.h"
#include "famfs/role.h"
#include "logfs_util.h"

static char tmpdir[64];

static int setup(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/dev/shm/famfs-role-XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

static void test_env(void **state)
{
	uint8_t u[16], want[16];

	uuid_parse(MASTER_UUID, want);
	setenv("FAMFS_SYSTEM_UUID", MASTER_UUID, 1);
	assert_int_equal(famfs_system_uuid(u), 0);
	assert_memory_equal(u, want, 16);

	setenv("FAMFS_SYSTEM_UUID", "not-a-uuid", 1);
	assert_int_equal(famfs_system_uuid(u), -EINVAL);
	assert_non_null(strstr(famfs_errmsg(), "FAMFS_SYSTEM_UUID"));
	assert_non_null(strstr(famfs_errmsg(), "not-a-uuid"));

	setenv("FAMFS_SYSTEM_UUID", "", 1);
	assert_int_equal(famfs_system_uuid(u), -EINVAL);
	unsetenv("FAMFS_SYSTEM_UUID");
}

static void test_file_created(void **state)
{
	char path[128], text[128];
	uint8_t u[16], again[16], parsed[16];
	struct stat st;
	int fd;

	unsetenv("FAMFS_SYSTEM_UUID");
	snprintf(path, sizeof(path), "%s/opt/famfs/system_uuid", tmpdir);
	setenv("FAMFS_SYSTEM_UUID_FILE", path, 1);
	assert_int_equal(famfs_system_uuid(u), 0);

	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0444);
	assert_int_equal(st.st_size, 37);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, text, sizeof(text)), 37);
	close(fd);
	assert_int_equal(text[36], '\0');
	assert_int_equal(uuid_parse(text, parsed), 0);
	assert_memory_equal(parsed, u, 16);
	snprintf(text, sizeof(text), "%s/opt/famfs", tmpdir);
	assert_int_equal(stat(text, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);

	/* Stable across calls: read back, not regenerated. */
	assert_int_equal(famfs_system_uuid(again), 0);
	assert_memory_equal(again, u, 16);
	unsetenv("FAMFS_SYSTEM_UUID_FILE");
}

/* find never creates; the created file appears whole, with no leftovers. */
static void test_find_and_atomic_create(void **state)
{
	char dir[128], path[160];
	uint8_t u[16], again[16];
	struct dirent *de;
	int entries = 0;
	DIR *d;

	unsetenv("FAMFS_SYSTEM_UUID");
	snprintf(dir, sizeof(dir), "%s/atomic", tmpdir);
	snprintf(path, sizeof(path), "%s/system_uuid", dir);
	setenv("FAMFS_SYSTEM_UUID_FILE", path, 1);
	assert_int_equal(famfs_system_uuid_find(u), -ENOENT);
	assert_int_equal(access(dir, F_OK), -1);	/* not even the directory */
	assert_int_equal(famfs_system_uuid(u), 0);
	assert_int_equal(famfs_system_uuid_find(again), 0);
	assert_memory_equal(again, u, 16);
	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			entries++;
	closedir(d);
	assert_int_equal(entries, 1);			/* no temporary file left */
	unsetenv("FAMFS_SYSTEM_UUID_FILE");
}

static void test_file_contents(void **state)
{
	char path[128];
	uint8_t u[16], want[16];

	unsetenv("FAMFS_SYSTEM_UUID");
	snprintf(path, sizeof(path), "%s/uuid", tmpdir);
	setenv("FAMFS_SYSTEM_UUID_FILE", path, 1);
	uuid_parse(CLIENT_UUID, want);

	write_file(path, CLIENT_UUID "\n", 37);
	assert_int_equal(famfs_system_uuid(u), 0);
	assert_memory_equal(u, want, 16);

	write_file(path, "garbage\n", 8);
	assert_int_equal(famfs_system_uuid(u), -EINVAL);
	assert_non_null(strstr(famfs_errmsg(), path));

	write_file(path, "", 0);
	assert_int_equal(famfs_system_uuid(u), -EINVAL);

	/* A directory where the file should be cannot be read. */
	unlink(path);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_true(famfs_system_uuid(u) < 0);
	rmdir(path);
	unsetenv("FAMFS_SYSTEM_UUID_FILE");
}

static void test_role_of(void **state)
{
	struct famfs_omf_sb sb;
	uint8_t a[16], b[16];

	memset(&sb, 0, sizeof(sb));
	uuid_parse(MASTER_UUID, a);
	uuid_parse(CLIENT_UUID, b);
	memcpy(sb.system_uuid, a, 16);
	assert_int_equal(famfs_role_of(&sb, a), FAMFS_ROLE_MASTER);
	assert_int_equal(famfs_role_of(&sb, b), FAMFS_ROLE_CLIENT);
	assert_string_equal(famfs_role_name(FAMFS_ROLE_MASTER), "master");
	assert_string_equal(famfs_role_name(FAMFS_ROLE_CLIENT), "client");
	assert_string_equal(famfs_role_name((enum famfs_role)7), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_env),
		cmocka_unit_test(test_file_created),
		cmocka_unit_test(test_find_and_atomic_create),
		cmocka_unit_test(test_file_contents),
		cmocka_unit_test(test_role_of),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
