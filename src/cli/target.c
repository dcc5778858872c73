// SPDX-License-Identifier: Apache-2.0
/*
 * target.c - where a user path lives: on a device named with --device
 * (paths relative to the fs root), or inside a fuse.famfs mount found in
 * /proc/self/mountinfo (longest mount-point prefix of the realpath). Also
 * keeps the open file systems of this process and pokes famfsd to catch
 * up after we create something.
 */
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "famfs/err.h"
#include "famfs/ioctl.h"
#include "famfs/path.h"
#include "famfs/role.h"
#include "cli.h"

/* Undo mountinfo's octal escapes (\040 for space etc.) in place. */
static void unescape(char *s)
{
	char *o = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 4;
		} else {
			*o++ = *s++;
		}
	}
	*o = '\0';
}

/* True if the comma-separated option list @opts holds "ro". */
static bool has_ro(const char *opts)
{
	size_t l;

	while (opts && *opts) {
		l = strcspn(opts, ",");
		if (l == 2 && !strncmp(opts, "ro", 2))
			return true;
		opts += l;
		if (*opts == ',')
			opts++;
	}
	return false;
}

/*
 * Find the fuse.famfs mount with the longest mount point that is a prefix
 * (at a component boundary) of the absolute path @abs, or equal to it when
 * @exact. Returns 0 and fills t->mnt, t->dev, t->ro and t->conn, or -ENOENT.
 * Reads only /proc/self/mountinfo: it never touches the mount itself.
 */
static int find_mount(const char *abs, bool exact, struct cli_target *t)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	char line[8192];
	size_t best = 0;
	bool found = false;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *fields[12], *save = NULL, *tok, *sep;
		int n = 0;
		size_t ml;

		sep = strstr(line, " - ");
		if (!sep)
			continue;
		*sep = '\0';
		for (tok = strtok_r(line, " ", &save); tok && n < 12;
		     tok = strtok_r(NULL, " ", &save))
			fields[n++] = tok;
		if (n < 5)
			continue;
		save = NULL;
		char *fstype = strtok_r(sep + 3, " ", &save);
		char *source = strtok_r(NULL, " ", &save);
		char *sopts = strtok_r(NULL, " \n", &save);
		unsigned int maj = 0, min = 0;

		if (!fstype || !source || strcmp(fstype, "fuse.famfs"))
			continue;
		unescape(fields[4]);
		unescape(source);
		ml = strlen(fields[4]);
		if (exact) {
			if (strcmp(fields[4], abs))
				continue;
		} else if (strcmp(fields[4], "/") != 0) {
			if (strncmp(abs, fields[4], ml) || (abs[ml] != '/' && abs[ml] != '\0'))
				continue;
		} else {
			ml = 0;
		}
		if (!found || ml >= best) {
			best = ml;
			found = true;
			snprintf(t->mnt, sizeof(t->mnt), "%s", fields[4]);
			snprintf(t->dev, sizeof(t->dev), "%s", source);
			t->ro = (n > 5 && has_ro(fields[5])) || has_ro(sopts);
			t->conn = sscanf(fields[2], "%u:%u", &maj, &min) == 2 ? min : 0;
		}
	}
	fclose(f);
	return found ? 0 : -ENOENT;
}

int cli_find_mount_exact(const char *mnt, struct cli_target *t)
{
	char abs[PATH_MAX];

	if (!realpath(mnt, abs))
		return -errno;
	t->rel[0] = '\0';
	return find_mount(abs, true, t);
}

int cli_find_mount_text(const char *abs, struct cli_target *t)
{
	memset(t, 0, sizeof(*t));
	return find_mount(abs, true, t);
}

/*
 * realpath of @path; for a path that does not exist yet, realpath of its
 * deepest existing ancestor plus the remaining components as written (a
 * ".." among them is kept, and refused later by famfs_path_normalize).
 */
static int resolve_abs(const char *path, char *abs)
{
	char tmp[PATH_MAX], *slash;
	size_t l;
	int rc;

	if (realpath(path, abs))
		return 0;
	if (errno != ENOENT)
		return -errno;
	if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	for (l = strlen(tmp); l > 1 && tmp[l - 1] == '/'; l--)
		tmp[l - 1] = '\0';
	slash = strrchr(tmp, '/');
	if (!slash) {
		rc = resolve_abs(".", abs);
		slash = tmp - 1;
	} else if (slash == tmp) {
		strcpy(abs, "/");
		rc = 0;
	} else {
		*slash = '\0';
		rc = resolve_abs(tmp, abs);
	}
	if (rc)
		return rc;
	if (strlen(abs) + strlen(slash + 1) + 2 > PATH_MAX)
		return -ENAMETOOLONG;
	if (strcmp(abs, "/"))
		strcat(abs, "/");
	strcat(abs, slash + 1);
	return 0;
}

int cli_target(const char *path, struct cli_target *t)
{
	char abs[PATH_MAX];
	const char *rest;
	int rc;

	memset(t, 0, sizeof(*t));
	famfs_errclear();
	if (cli_device) {
		if (path[0] == '/')
			return cli_failf(path, "path must be relative to the file system root "
					 "with --device");
		snprintf(t->dev, sizeof(t->dev), "%s", cli_device);
		if (!*path)
			return cli_failf("''", "empty path");
		rc = famfs_path_normalize(path, t->rel);
		if (rc)
			return cli_fail(path, rc);
		return CLI_OK;
	}
	if (!*path)
		return cli_failf("''", "empty path");
	rc = resolve_abs(path, abs);
	if (rc)
		return cli_fail(path, rc);
	if (find_mount(abs, false, t))
		return cli_failf(path, "not in a famfs mount (use --device DEV)");
	rest = abs + strlen(t->mnt);
	while (*rest == '/')
		rest++;
	rc = famfs_path_normalize(rest, t->rel);
	if (rc)
		return cli_fail(path, rc);
	return CLI_OK;
}

/* One open file system per device per process. */
static struct {
	char dev[4096];
	bool write;
	struct famfs_fs *fs;
} cache;

bool cli_log_damaged;

/*
 * A replay that stopped at a bad entry serves the valid prefix. Readers say
 * so once, on one line, and the verb then exits 1 (famfs.c); writers need
 * no warning, since every create fails and says why.
 */
static void note_replay(const struct famfs_fs *fs, const char *dev, bool write)
{
	if (!fs->replay_err || cli_log_damaged)
		return;
	cli_log_damaged = true;
	if (!write)
		cli_failf(dev, "%s; using the %" PRIu64 " entries before it",
			  *famfs_errmsg() ? famfs_errmsg() : "log replay stopped at a bad entry",
			  fs->next);
}

struct famfs_fs *cli_fs_open(const struct cli_target *t, bool write, const char *what)
{
	int rc;

	/* We write the device directly: the kernel's ro flag would not stop us. */
	if (write && t->ro) {
		cli_failf(what ? what : t->mnt, "read-only mount (%s was mounted with -r)",
			  t->mnt);
		return NULL;
	}
	if (cache.fs && !strcmp(cache.dev, t->dev) && (cache.write || !write)) {
		famfs_errclear();
		if (famfs_fs_catchup(cache.fs) < 0) {
			cli_fail(t->dev, cache.fs->replay_err ? cache.fs->replay_err : -EIO);
			return NULL;
		}
		note_replay(cache.fs, t->dev, write);
		return cache.fs;
	}
	cli_fs_close_all();
	famfs_errclear();
	rc = famfs_fs_open(t->dev, write ? FAMFS_FS_WRITE : 0, &cache.fs);
	if (rc) {
		cache.fs = NULL;
		cli_fail(t->dev, rc);
		return NULL;
	}
	snprintf(cache.dev, sizeof(cache.dev), "%s", t->dev);
	cache.write = write;
	note_replay(cache.fs, t->dev, write);
	return cache.fs;
}

const struct famfs_node *cli_open_file(const char *path, struct cli_target *t,
				       struct famfs_fs **fsp, bool quiet)
{
	const struct famfs_node *n;

	if (cli_target(path, t))
		return NULL;
	*fsp = cli_fs_open(t, false, path);
	if (!*fsp)
		return NULL;
	n = famfs_ns_resolve((*fsp)->ns, t->rel);
	if (!n) {
		if (!quiet)
			cli_fail(path, -ENOENT);
		return NULL;
	}
	if (!S_ISREG(n->mode)) {
		if (!quiet)
			cli_failf(path, "not a regular file");
		return NULL;
	}
	return n;
}

void cli_fs_close_all(void)
{
	if (cache.fs)
		famfs_fs_close(cache.fs);
	cache.fs = NULL;
}

int cli_mount_root_fd(const char *mnt)
{
	int fd = open(mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

void cli_kick_logplay(const struct cli_target *t)
{
	int fd;

	if (!t->mnt[0])
		return;
	fd = cli_mount_root_fd(t->mnt);
	if (fd < 0)
		return;
	(void)ioctl(fd, FAMFS_IOC_LOGPLAY);	/* ENOTTY: an older famfsd */
	close(fd);
}

int cli_require_master(struct famfs_fs *fs, const char *path)
{
	if (fs->log->role == FAMFS_ROLE_MASTER)
		return CLI_OK;
	return cli_failf(path, "this host is a client of this file system; only the master "
			 "host may create files or directories");
}

int cli_for_each_run(struct famfs_fs *fs, const struct famfs_node *n, cli_run_fn fn, void *ctx)
{
	uint64_t off = 0, len;
	uint8_t *p;
	int rc;

	while (off < n->size) {
		len = 0;
		p = famfs_fs_addr(fs, n, off, &len);
		if (!p || !len)
			return famfs_err(-EIO, "no device mapping for file offset %#llx",
					 (unsigned long long)off);
		if (len > n->size - off)
			len = n->size - off;
		rc = fn(ctx, off, p, len);
		if (rc)
			return rc;
		off += len;
	}
	return 0;
}
