// SPDX-License-Identifier: Apache-2.0
/*
 * role.c - this host's system uuid (FAMFS_SYSTEM_UUID, else the text file
 * /opt/famfs/system_uuid, created by mkfs when missing, never by a reader)
 * and master/client roles. FAMFS_SYSTEM_UUID_FILE overrides the file's
 * path, for tests.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "famfs/err.h"
#include "famfs/role.h"

#define UUID_TEXT_LEN	36

/* mkdir -p of the directory part of @path, each level 0755. */
static int role_mkdirs(const char *path)
{
	char dir[4096];
	char *slash;
	size_t i;

	if (strlen(path) >= sizeof(dir))
		return -ENAMETOOLONG;
	strcpy(dir, path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	for (i = 1; dir[i]; i++) {
		if (dir[i] != '/')
			continue;
		dir[i] = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return -errno;
		dir[i] = '/';
	}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/*
 * Move the complete file @tmp to @path unless @path exists: 0, 1 when
 * another creator got there first (theirs stays), or -errno.
 */
static int role_publish(const char *tmp, const char *path)
{
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno == EEXIST)
		return 1;
	if (errno != EINVAL && errno != ENOSYS)
		return -errno;
	/* No RENAME_NOREPLACE here: link(2) never replaces either. */
	if (link(tmp, path) == 0)
		return 0;
	return errno == EEXIST ? 1 : -errno;
}

/*
 * Create @path holding a fresh random uuid (37 bytes with the NUL, mode
 * 0444), atomically: the uuid is written and synced to a temporary file in
 * the same directory, which then takes the name only if nobody else's file
 * did meanwhile. A crash leaves no file or a whole one, never an empty one.
 * Returns 0, 1 after losing the race (read theirs), or -errno.
 */
static int role_create(const char *path, uint8_t uuid[16])
{
	char text[UUID_TEXT_LEN + 1], tmp[4200];
	ssize_t n;
	int fd, rc;

	rc = role_mkdirs(path);
	if (rc)
		return famfs_err(rc, "%s: cannot create its directory: %s", path, strerror(-rc));
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >= sizeof(tmp))
		return famfs_err(-ENAMETOOLONG, "%s: path too long", path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return famfs_err(-errno, "%s: cannot create: %s", path, strerror(errno));
	uuid_generate(uuid);
	uuid_unparse(uuid, text);
	n = write(fd, text, sizeof(text));
	rc = (n == (ssize_t)sizeof(text)) ? 0 : (n < 0 ? -errno : -EIO);
	if (!rc && (fchmod(fd, 0444) < 0 || fsync(fd) < 0))
		rc = -errno;
	if (close(fd) < 0 && !rc)
		rc = -errno;
	if (!rc)
		rc = role_publish(tmp, path);
	unlink(tmp);
	if (rc < 0)
		return famfs_err(rc, "%s: cannot write: %s", path, strerror(-rc));
	return rc;
}

static int role_read(const char *path, uint8_t uuid[16])
{
	char text[64];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n < 0)
		return famfs_err(-errno, "%s: cannot read: %s", path, strerror(errno));
	text[n] = '\0';
	/* Accept the upstream form (NUL-terminated) and a trailing newline. */
	text[strcspn(text, "\n")] = '\0';
	if (uuid_parse(text, uuid) < 0)
		return famfs_err(-EINVAL, "%s: does not hold a valid uuid", path);
	return 0;
}

/* Read the uuid, creating the file first when @create and it is missing. */
static int system_uuid(uint8_t uuid[16], bool create)
{
	const char *env = getenv("FAMFS_SYSTEM_UUID");
	const char *path;
	int rc, tries;

	if (env) {
		if (uuid_parse(env, uuid) < 0)
			return famfs_err(-EINVAL, "FAMFS_SYSTEM_UUID='%.64s' is not a valid uuid",
					 env);
		return 0;
	}
	path = getenv("FAMFS_SYSTEM_UUID_FILE");
	if (!path || !*path)
		path = FAMFS_SYSTEM_UUID_PATH;
	for (tries = 0; tries < 2; tries++) {
		rc = role_read(path, uuid);
		if (rc != -ENOENT || !create)
			break;
		rc = role_create(path, uuid);
		if (rc <= 0)
			return rc;
	}
	if (rc == -ENOENT || rc == -EACCES || rc == -EPERM)
		return famfs_err(rc, "%s: %s", path, strerror(-rc));
	return rc;
}

int famfs_system_uuid(uint8_t uuid[16])
{
	return system_uuid(uuid, true);
}

int famfs_system_uuid_find(uint8_t uuid[16])
{
	return system_uuid(uuid, false);
}

enum famfs_role famfs_role_of(const struct famfs_omf_sb *sb, const uint8_t sys_uuid[16])
{
	return memcmp(sb->system_uuid, sys_uuid, 16) == 0 ? FAMFS_ROLE_MASTER : FAMFS_ROLE_CLIENT;
}

const char *famfs_role_name(enum famfs_role role)
{
	switch (role) {
	case FAMFS_ROLE_MASTER:
		return "master";
	case FAMFS_ROLE_CLIENT:
		return "client";
	}
	return "unknown";
}
