// SPDX-License-Identifier: Apache-2.0
/*
 * target.c - where a user path lives: on a device named with --device
 * (paths relative to the fs root), or inside a trusted famfs mount: the
 * mount the kernel says the path is on, which must be a fuse.famfs mount
 * made by root and, before its device is opened, confirmed by its famfsd
 * (famfs/trust.h). Also
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
#include "famfs/meta.h"
#include "famfs/mount.h"
#include "famfs/path.h"
#include "famfs/role.h"
#include "famfs/trust.h"
#include "cli.h"

/* What the CLI keeps of mount @m. */
static void take_mount(struct cli_target *t, const struct famfs_mnt *m)
{
	snprintf(t->mnt, sizeof(t->mnt), "%s", m->target);
	snprintf(t->dev, sizeof(t->dev), "%s", m->source);
	t->ro = m->ro;
	t->conn = minor(m->dev);
	t->mnt_id = m->id;
	t->st_dev = m->dev;
}

/*
 * The trusted famfs mount on the mount point @abs (text, not looked up).
 * -ENOENT when the topmost mount there is not fuse.famfs, -EPERM (with a
 * detail) when it is not trusted (famfs/trust.h).
 */
static int find_mount_at(const char *abs, struct cli_target *t)
{
	struct famfs_mnt m;
	int rc;

	rc = famfs_mnt_at(abs, &m);
	if (rc)
		return rc;
	if (strcmp(m.fstype, FAMFS_FSTYPE))
		return -ENOENT;
	famfs_errclear();
	rc = famfs_trust_mount(&m);
	if (rc)
		return rc;
	take_mount(t, &m);
	return 0;
}

int cli_find_mount_exact(const char *mnt, struct cli_target *t)
{
	char abs[PATH_MAX];

	if (!realpath(mnt, abs))
		return -errno;
	t->rel[0] = '\0';
	return find_mount_at(abs, t);
}

int cli_find_mount_text(const char *abs, struct cli_target *t)
{
	memset(t, 0, sizeof(*t));
	return find_mount_at(abs, t);
}

int cli_find_dev_mount(const char *dev, struct cli_target *t)
{
	struct famfs_mnt m;
	int rc;

	memset(t, 0, sizeof(*t));
	/* Trusted mounts only: a user's FUSE mount may claim any source. */
	rc = famfs_trust_mount_of_dev(dev, &m);
	if (rc)
		return rc;
	take_mount(t, &m);
	return 0;
}

/*
 * The mount the absolute path @abs lies on, as the kernel says: that of
 * @abs, or of its deepest existing ancestor. -ENXIO: not in this mount
 * namespace's table.
 */
static int mount_of(const char *abs, struct famfs_mnt *m)
{
	char p[PATH_MAX], *slash;
	int rc;

	if (snprintf(p, sizeof(p), "%s", abs) >= (int)sizeof(p))
		return -ENAMETOOLONG;
	for (;;) {
		rc = famfs_mnt_of_path(p, m);
		if (rc != -ENOENT && rc != -ENOTDIR)
			return rc;
		slash = strrchr(p, '/');
		if (!slash || slash == p) {
			if (!strcmp(p, "/"))
				return rc;
			strcpy(p, "/");
		} else {
			*slash = '\0';
		}
	}
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
	char abs[PATH_MAX], in_fs[PATH_MAX];
	const char *rest, *root;
	struct famfs_mnt m;
	size_t ml;
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
	rc = mount_of(abs, &m);
	if (rc == -ENXIO || (!rc && strcmp(m.fstype, FAMFS_FSTYPE)))
		return cli_failf(path, "not in a famfs mount (use --device DEV)");
	if (rc)
		return cli_fail(path, rc);
	famfs_errclear();
	if (famfs_trust_mount(&m))
		return cli_failf(path, "%s", famfs_errmsg());
	ml = strcmp(m.target, "/") ? strlen(m.target) : 0;
	if (strncmp(abs, m.target, ml) || (abs[ml] != '/' && abs[ml] != '\0'))
		return cli_failf(path, "lies on the famfs mount on %s, but not below it", m.target);
	take_mount(t, &m);
	/* A bind mount of a famfs directory: m.root names that directory. */
	rest = abs + ml;
	while (*rest == '/')
		rest++;
	root = m.root;
	while (*root == '/')
		root++;
	if (snprintf(in_fs, sizeof(in_fs), "%s%s%s", root, *root && *rest ? "/" : "", rest) >=
	    (int)sizeof(in_fs))
		return cli_fail(path, -ENAMETOOLONG);
	rc = famfs_path_normalize(in_fs, t->rel);
	if (rc)
		return cli_fail(path, rc);
	return CLI_OK;
}

int cli_confirm_mount(const struct cli_target *t, const char *what)
{
	static int confirmed = -1;	/* the mount id confirmed last */
	struct famfs_mnt m;
	struct statx stx;
	int fd, rc;

	if (!t->mnt[0] || t->mnt_id == confirmed)
		return CLI_OK;
	if (famfs_mnt_by_id(t->mnt_id, &m))
		return cli_failf(what, "the famfs mount on %s is gone", t->mnt);
	fd = cli_mount_root_fd(t->mnt);
	if (fd < 0)
		return cli_fail(t->mnt, fd);
	memset(&stx, 0, sizeof(stx));
	if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_MNT_ID, &stx) ||
	    (int)stx.stx_mnt_id != t->mnt_id) {
		close(fd);
		return cli_failf(what, "%s is no longer the famfs mount found there", t->mnt);
	}
	famfs_errclear();
	rc = famfs_trust_confirm(&m, fd, NULL, NULL);
	close(fd);
	if (rc)
		return cli_failf(what, "%s", *famfs_errmsg() ? famfs_errmsg() : strerror(-rc));
	confirmed = t->mnt_id;
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

/*
 * On a file system with deletes, a famfs command reads and writes file
 * memory directly, so it registers in the host table for its lifetime
 * (docs/rm.md, section 7): nothing deleted while it runs is reused under
 * it. A writer must; a reader that may not write the device goes on
 * unregistered (it can only misread a file deleted meanwhile).
 */
static int cli_register(struct famfs_fs *fs, const char *dev, bool write)
{
	int rc;

	if (!fs->rm || (fs->hosts && fs->hosts->slot >= 0))
		return 0;
	famfs_errclear();
	rc = famfs_fs_register(fs, FAMFS_HOST_PROCESS, 0);
	if (!rc)
		return 0;
	if (!write && (rc == -EACCES || rc == -EPERM || rc == -EROFS)) {
		famfs_errclear();
		return 0;
	}
	return cli_fail(dev, rc);
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
	if (cli_confirm_mount(t, what ? what : t->mnt))
		return NULL;
	if (cache.fs && !strcmp(cache.dev, t->dev) && (cache.write || !write)) {
		famfs_errclear();
		if (famfs_fs_catchup(cache.fs) < 0) {
			cli_fail(t->dev, cache.fs->replay_err ? cache.fs->replay_err : -EIO);
			return NULL;
		}
		note_replay(cache.fs, t->dev, write);
		if (cli_register(cache.fs, t->dev, write))
			return NULL;
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
	if (cli_register(cache.fs, t->dev, write))
		return NULL;
	return cache.fs;
}

const struct famfs_node *cli_meta_node(struct famfs_fs *fs, const struct cli_target *t)
{
	static struct famfs_node meta[FAMFS_META_NKINDS];
	static struct famfs_omf_fmap maps[FAMFS_META_NKINDS];
	enum famfs_meta_kind k = famfs_meta_kind(t->rel);
	struct famfs_node *n = &meta[k];
	struct famfs_omf_fmap *m = &maps[k];
	uint64_t off, len;

	if (!t->mnt[0] || (k != FAMFS_META_SB && k != FAMFS_META_LOG) ||
	    famfs_meta_extent(k, &fs->log->sb, &off, &len))
		return NULL;
	memset(n, 0, sizeof(*n));
	n->ino = FAMFS_META_INO + k;
	n->mode = S_IFREG | famfs_meta_mode(k);
	n->size = len;
	n->log_index = FAMFS_NO_INDEX;
	snprintf(n->name, sizeof(n->name), "%s", famfs_meta_name(k));
	memset(m, 0, sizeof(*m));
	m->ext_type = FAMFS_EXT_SIMPLE;
	m->nextents = 1;
	m->se[0].offset = off;
	m->se[0].len = len;
	n->fmap = m;
	return n;
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
	n = cli_meta_node(*fsp, t);
	if (!n)
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

void cli_kick_logplay_all(const struct cli_target *t, int n)
{
	for (int i = 0; i < n; i++) {
		bool seen = false;

		for (int j = 0; j < i; j++)
			seen |= !strcmp(t[j].mnt, t[i].mnt);
		if (!seen)
			cli_kick_logplay(&t[i]);
	}
}

int cli_dev_or_mount(const char *arg, char *dev, size_t len, bool *mnt)
{
	struct cli_target t;
	struct stat st;

	*mnt = false;
	if (stat(arg, &st) == 0 && S_ISDIR(st.st_mode)) {
		if (cli_target(arg, &t) || cli_confirm_mount(&t, arg))
			return CLI_FAIL;
		snprintf(dev, len, "%s", t.dev);
		*mnt = true;
		return CLI_OK;
	}
	snprintf(dev, len, "%s", arg);
	return CLI_OK;
}

struct famfs_fs *cli_open_targets(char **args, int n, const char *verb,
				  struct cli_target **out)
{
	struct cli_target *t = calloc((size_t)n, sizeof(*t));
	struct famfs_fs *fs = NULL;

	*out = t;
	if (!t) {
		cli_fail(NULL, -ENOMEM);
		return NULL;
	}
	for (int i = 0; i < n; i++) {
		if (cli_target(args[i], &t[i]))
			return NULL;
		if (strcmp(t[i].dev, t[0].dev)) {
			cli_failf(args[i], "is on %s, not on %s: one famfs %s works on one "
				  "file system", t[i].dev, t[0].dev, verb);
			return NULL;
		}
		fs = cli_fs_open(&t[i], true, args[i]);
		if (!fs)
			return NULL;
	}
	return fs;
}

int cli_require_master(struct famfs_fs *fs, const char *path)
{
	if (fs->log->role == FAMFS_ROLE_MASTER)
		return CLI_OK;
	return cli_failf(path, "this host is a client of this file system; only the master "
			 "host may create files or directories");
}

int cli_refuse_meta(const char *what, const char *rel)
{
	if (!famfs_meta_reserved(rel))
		return CLI_OK;
	return cli_failf(what, "%s is reserved for a mount's superblock and log files: "
			 "nothing is created or written in it", FAMFS_META_DIRNAME);
}

int cli_for_each_run(struct famfs_fs *fs, const struct famfs_node *n, cli_run_fn fn, void *ctx)
{
	uint64_t off = 0, len;
	uint8_t *p;
	int rc;

	/* a device this host did not find: say which, and why */
	rc = famfs_fs_node_devs(fs, n);
	if (rc)
		return rc;
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
