// SPDX-License-Identifier: Apache-2.0
/*
 * target.c - where a user path lives: on a device named with --device
 * (paths relative to the fs root), or inside a fuse.famfs mount found in
 * the mount table (longest mount-point prefix of the realpath). Also
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
#include <sys/sysmacros.h>
#include <unistd.h>

#include "famfs/err.h"
#include "famfs/ioctl.h"
#include "famfs/mount.h"
#include "famfs/path.h"
#include "famfs/role.h"
#include "cli.h"

struct find_ctx {
	const char *abs;
	bool exact;
	bool found;
	size_t best;
	struct cli_target *t;
};

/* Keep @m if it is a fuse.famfs mount holding c->abs deeper than the best so far. */
static int find_one(void *ctx, const struct famfs_mnt *m)
{
	struct find_ctx *c = ctx;
	size_t ml = strlen(m->target);

	if (strcmp(m->fstype, "fuse.famfs"))
		return 0;
	if (c->exact) {
		if (strcmp(m->target, c->abs))
			return 0;
	} else if (strcmp(m->target, "/") != 0) {
		if (strncmp(c->abs, m->target, ml) || (c->abs[ml] != '/' && c->abs[ml] != '\0'))
			return 0;
	} else {
		ml = 0;
	}
	if (!c->found || ml >= c->best) {
		c->best = ml;
		c->found = true;
		snprintf(c->t->mnt, sizeof(c->t->mnt), "%s", m->target);
		snprintf(c->t->dev, sizeof(c->t->dev), "%s", m->source);
		c->t->ro = m->ro;
		c->t->conn = minor(m->dev);
	}
	return 0;
}

/*
 * Find the fuse.famfs mount with the longest mount point that is a prefix
 * (at a component boundary) of the absolute path @abs, or equal to it when
 * @exact. Returns 0 and fills t->mnt, t->dev, t->ro and t->conn, or -ENOENT.
 * Reads only the mount table: it never touches the mount itself.
 */
static int find_mount(const char *abs, bool exact, struct cli_target *t)
{
	struct find_ctx c = { .abs = abs, .exact = exact, .t = t };
	int rc = famfs_mnt_each(find_one, &c);

	if (rc < 0)
		return rc;
	return c.found ? 0 : -ENOENT;
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
