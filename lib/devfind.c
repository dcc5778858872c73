// SPDX-License-Identifier: Apache-2.0
/*
 * devfind.c - find a file system's devices on this host by the uuids in
 * their superblocks (see famfs/devfind.h): list the candidate paths, read
 * each one's superblock, and match.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <linux/fs.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "famfs/dev.h"
#include "famfs/devmem.h"
#include "famfs/devfind.h"
#include "famfs/err.h"
#include "famfs/trust.h"

#define CONF_MAX	16384	/* bytes of /etc/famfs/daxdevs read */

/* Read the superblock bytes of the device open as @fd (stat @st). */
static int read_sb_bytes(int fd, const struct stat *st, const char *path,
			 uint8_t buf[FAMFS_SB_SIZE])
{
	ssize_t n;
	void *p;
	int rc;

	if (S_ISCHR(st->st_mode)) {
		/* devdax supports only mmap, of whole 2 MiB pages */
		p = mmap(NULL, FAMFS_SB_REGION, PROT_READ, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED)
			return famfs_err(-errno, "%s: cannot map the superblock: %s", path,
					 strerror(errno));
		/* any device of the host: a poisoned page must not kill us */
		rc = famfs_sigbus_fetch(buf, p, FAMFS_SB_SIZE);
		munmap(p, FAMFS_SB_REGION);
		return rc;
	}
	n = pread(fd, buf, FAMFS_SB_SIZE, 0);
	if (n < 0)
		return famfs_err(-errno, "%s: read: %s", path, strerror(errno));
	if (n != FAMFS_SB_SIZE)
		return famfs_err(-EINVAL, "%s: %zd bytes, too small for a famfs superblock",
				 path, n);
	return 0;
}

/* The size of the device open as @fd (stat @st). */
static int dev_bytes(int fd, const struct stat *st, const char *path, uint64_t *size)
{
	uint64_t v = 0;

	if (S_ISREG(st->st_mode)) {
		*size = (uint64_t)st->st_size;
		return 0;
	}
	if (S_ISBLK(st->st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, &v))
			return famfs_err(-errno, "%s: BLKGETSIZE64: %s", path, strerror(errno));
		*size = v;
		return 0;
	}
	return famfs_dev_size(path, size, NULL);
}

#ifndef FUSE_SUPER_MAGIC
#define FUSE_SUPER_MAGIC	0x65735546
#endif

int famfs_devfind_not_fuse(const char *path)
{
	struct statfs sfs;

	if (statfs(path, &sfs))
		return famfs_err(-errno, "%s: %s", path, strerror(errno));
	if (sfs.f_type == FUSE_SUPER_MAGIC)
		return famfs_err(-EPERM, "%s is on a FUSE file system: not a famfs device", path);
	return 0;
}

int famfs_devfind_read_sb(const char *path, struct famfs_omf_sb *sb, uint64_t *size)
{
	uint8_t buf[FAMFS_SB_SIZE];
	struct stat st;
	int fd, rc;

	rc = famfs_devfind_not_fuse(path);
	if (rc)
		return rc;
	if (stat(path, &st))
		return famfs_err(-errno, "%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode) && !famfs_trust_dev_ok(&st, NULL))
		return famfs_err(-EPERM, "%s: not a devdax or pmem device or a regular file",
				 path);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return famfs_err(-errno, "%s: open: %s", path, strerror(errno));
	/* What was opened, not what the path named before. */
	if (fstat(fd, &st))
		rc = famfs_err(-errno, "%s: %s", path, strerror(errno));
	else if (!S_ISREG(st.st_mode) && !famfs_trust_dev_ok(&st, NULL))
		rc = famfs_err(-EPERM, "%s: changed while it was opened", path);
	else if ((rc = famfs_trust_file_owner(&st, path)) != 0)
		;
	else
		rc = dev_bytes(fd, &st, path, size);
	if (!rc)
		rc = read_sb_bytes(fd, &st, path, buf);
	close(fd);
	if (rc)
		return rc;
	return famfs_omf_sb_decode(buf, sizeof(buf), sb);
}

/* ---- the candidates ---- */

struct seen {
	struct stat *st;
	size_t n, cap;
	bool nomem;
};

/* True the first time the file @st names is met. */
static bool seen_first(struct seen *s, const struct stat *st)
{
	struct stat *p;

	for (size_t i = 0; i < s->n; i++)
		if (famfs_trust_same_file(&s->st[i], st))
			return false;
	if (s->n == s->cap) {
		p = realloc(s->st, (s->cap ? s->cap * 2 : 16) * sizeof(*p));
		if (!p) {
			s->nomem = true;
			return false;
		}
		s->st = p;
		s->cap = s->cap ? s->cap * 2 : 16;
	}
	s->st[s->n++] = *st;
	return true;
}

struct scan {
	famfs_devfind_fn fn;
	void *ctx;
	const char *skip;
	struct seen seen;
	unsigned int scanned;
	int rc;
};

static void scan_path(struct scan *s, const char *path)
{
	struct famfs_devfind_hit hit;
	struct famfs_omf_sb sb;
	struct stat st;
	uint64_t size = 0;

	if (s->rc || (s->skip && famfs_devfind_under(path, s->skip)) || stat(path, &st) ||
	    !seen_first(&s->seen, &st))
		return;
	s->scanned++;
	if (famfs_devfind_read_sb(path, &sb, &size) == 0) {
		hit = (struct famfs_devfind_hit){ .path = path, .sb = &sb, .size = size };
		s->rc = s->fn(s->ctx, &hit);
	}
	famfs_errclear();
}

static void scan_glob(struct scan *s, const char *pattern)
{
	glob_t g;

	if (!*pattern || s->rc || (s->skip && famfs_devfind_under(pattern, s->skip)))
		return;
	if (glob(pattern, 0, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc; i++)
			scan_path(s, g.gl_pathv[i]);
	}
	globfree(&g);
}

/*
 * Call @fn(@ctx, glob) for each user glob: those of $FAMFS_DAXDEV_PATH when
 * it is set, else those of /etc/famfs/daxdevs. Separators: ':', spaces,
 * new lines; '#' comments out the rest of its line.
 */
static void each_user_glob(void (*fn)(void *ctx, const char *glob), void *ctx)
{
	const char *env = getenv(FAMFS_DAXDEV_PATH_ENV), *conf;
	char *text, *p, *tok, *save = NULL;
	ssize_t n = 0;
	int fd;

	if (env) {
		text = strdup(env);
	} else {
		conf = getenv(FAMFS_DAXDEV_CONF_ENV);
		text = malloc(CONF_MAX + 1);
		fd = open(conf && *conf ? conf : FAMFS_DAXDEV_CONF, O_RDONLY | O_CLOEXEC);
		if (text && fd >= 0)
			n = read(fd, text, CONF_MAX);
		if (fd >= 0)
			close(fd);
		if (text)
			text[n > 0 ? n : 0] = '\0';
		/* comments run to the end of their line */
		for (p = text; p && (p = strchr(p, '#'));)
			while (*p && *p != '\n')
				*p++ = ' ';
	}
	if (!text)
		return;
	for (tok = strtok_r(text, ": \t\r\n", &save); tok; tok = strtok_r(NULL, ": \t\r\n", &save))
		fn(ctx, tok);
	free(text);
}

static void scan_user_glob(void *ctx, const char *glob)
{
	scan_glob(ctx, glob);
}

bool famfs_devfind_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	if (n == 1 && dir[0] == '/')
		return path[0] == '/';
	return !strncmp(path, dir, n) && (path[n] == '/' || path[n] == '\0');
}

int famfs_devfind_scan(famfs_devfind_fn fn, void *ctx, unsigned int *nscanned)
{
	return famfs_devfind_scan_skip(fn, ctx, nscanned, NULL);
}

int famfs_devfind_scan_skip(famfs_devfind_fn fn, void *ctx, unsigned int *nscanned,
			    const char *skip)
{
	struct scan s = { .fn = fn, .ctx = ctx, .skip = skip && *skip ? skip : NULL };

	scan_glob(&s, "/dev/dax*");
	scan_glob(&s, "/dev/pmem*");
	each_user_glob(scan_user_glob, &s);
	free(s.seen.st);
	if (nscanned)
		*nscanned = s.scanned;
	if (!s.rc && s.seen.nomem)
		return famfs_err(-ENOMEM, "out of memory scanning for famfs devices");
	return s.rc;
}

struct where {
	char *buf;
	size_t len;
};

static void where_add(void *ctx, const char *glob)
{
	struct where *w = ctx;
	size_t at = strlen(w->buf);

	snprintf(w->buf + at, w->len - at, ":%s", glob);
}

void famfs_devfind_where(char *buf, size_t len)
{
	struct where w = { buf, len };

	snprintf(buf, len, "/dev/dax*:/dev/pmem*");
	each_user_glob(where_add, &w);
}

/* ---- matching ---- */

struct match {
	const uint8_t *fs_uuid;		/* NULL: any */
	const uint8_t *dev_uuid;	/* NULL: the primary */
	char *path;
	size_t len;
	unsigned int found;
	char other[4096];
};

static int match_one(void *ctx, const struct famfs_devfind_hit *hit)
{
	struct match *m = ctx;

	if (m->fs_uuid && memcmp(hit->sb->uuid, m->fs_uuid, 16))
		return 0;
	if (m->dev_uuid ? memcmp(hit->sb->dev_uuid, m->dev_uuid, 16) :
	    famfs_omf_sb_is_secondary(hit->sb))
		return 0;
	if (m->found++)
		snprintf(m->other, sizeof(m->other), "%s", hit->path);
	else
		snprintf(m->path, m->len, "%s", hit->path);
	return 0;
}

static int find(struct match *m, const char *what)
{
	char where[1024];
	unsigned int n = 0;
	int rc;

	m->path[0] = '\0';
	rc = famfs_devfind_scan(match_one, m, &n);
	if (rc)
		return rc;
	if (m->found > 1)
		return famfs_err(-ENOTUNIQ, "%s is on two devices, %s and %s: remove one (a "
				 "copied image keeps its uuids)", what, m->path, m->other);
	if (!m->found) {
		famfs_devfind_where(where, sizeof(where));
		return famfs_err(-ENODEV, "%s not found (looked at %u devices in %s; list "
				 "more in $%s or %s)", what, n, where, FAMFS_DAXDEV_PATH_ENV,
				 FAMFS_DAXDEV_CONF);
	}
	return 0;
}

int famfs_devfind_uuid(const uint8_t *fs_uuid, const uint8_t dev_uuid[16], char *path,
		       size_t len)
{
	struct match m = { .fs_uuid = fs_uuid, .dev_uuid = dev_uuid, .path = path, .len = len };
	char u[37], what[64];

	uuid_unparse(dev_uuid, u);
	snprintf(what, sizeof(what), "device %s", u);
	return find(&m, what);
}

int famfs_devfind_primary(const uint8_t fs_uuid[16], char *path, size_t len)
{
	struct match m = { .fs_uuid = fs_uuid, .path = path, .len = len };
	char u[37], what[96];

	uuid_unparse(fs_uuid, u);
	snprintf(what, sizeof(what), "the primary device of file system %s", u);
	return find(&m, what);
}

