// SPDX-License-Identifier: Apache-2.0
/*
 * cp_plan.c - famfs cp's plan: which directories and files to create, from
 * which sources, and whether all of it fits, decided before anything is
 * logged.
 *
 * Sources. An operand is followed if it is a symbolic link (as cp -H does:
 * the caller named it). Below a directory operand nothing is followed: the
 * tree is read through directory descriptors, every entry is looked at with
 * fstatat(AT_SYMLINK_NOFOLLOW) and opened with openat(O_NOFOLLOW), and its
 * mode and size come from fstat of that descriptor. Symbolic links are
 * skipped with a warning (the famfs log has no entry type for them). When
 * the bytes are copied later, the file is opened again the same way, one
 * component at a time from the operand's descriptor, and must still be the
 * same file (device and inode): a user who swaps a file or a directory in
 * the tree for a link to a file only root may read gets an error, never a
 * copy of that file.
 *
 * Space. A simple file needs one free run and interleaved files round up,
 * so comparing free bytes is not enough: the allocator itself is run on a
 * copy of the bitmap for every file, in order, under the log lock. A copy
 * that does not fit is refused before anything is logged, naming the file
 * that does not fit and the largest free run.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "famfs/err.h"
#include "famfs/meta.h"
#include "famfs/ns.h"
#include "famfs/path.h"
#include "cli.h"
#include "cp.h"

#define CP_MAX_DEPTH	64
#define CP_OPEN_FILE	(O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)
#define CP_OPEN_DIR	(O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

/* Add an item; @rel is the destination (may be too long: checked here). */
static int plan_add(struct cp_plan *p, const char *src, int top, const char *below,
		    const char *rel, const struct stat *st)
{
	bool dir = S_ISDIR(st->st_mode);
	struct cp_item *it;
	int rc;

	famfs_errclear();
	rc = famfs_path_check(rel);
	if (rc)
		return cli_fail(src, rc);
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;
		struct cp_item *ni = realloc(p->it, cap * sizeof(*ni));

		if (!ni)
			return cli_fail(src, -ENOMEM);
		p->it = ni;
		p->cap = cap;
	}
	it = &p->it[p->n];
	memset(it, 0, sizeof(*it));
	it->src = strdup(src);
	it->below = below ? strdup(below) : NULL;
	if (!it->src || (below && !it->below)) {
		free(it->src);
		free(it->below);
		return cli_fail(src, -ENOMEM);
	}
	snprintf(it->rel, sizeof(it->rel), "%s", rel);
	it->top = top;
	it->dir = dir;
	it->mode = dir || !p->mode_set ? (st->st_mode & 07777) : p->mode;
	it->size = dir ? 0 : (uint64_t)st->st_size;
	it->dev = st->st_dev;
	it->ino = st->st_ino;
	p->n++;
	return CLI_OK;
}

static int join(char *out, size_t len, const char *dir, const char *name)
{
	int n = snprintf(out, len, "%s%s%s", dir, *dir ? "/" : "", name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/*
 * openat(O_NOFOLLOW | O_DIRECTORY) of a link fails with ENOTDIR: tell a
 * link (-ELOOP) from a file (-ENOTDIR).
 */
static int open_dir_err(int dirfd, const char *name)
{
	struct stat st;
	int err = errno;

	if (err == ENOTDIR && !fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) &&
	    S_ISLNK(st.st_mode))
		return -ELOOP;
	return -err;
}

/* A regular file as opened and fstat'ed: refuse what famfs cannot hold. */
static int check_file(const char *src, const struct stat *st)
{
	if (!S_ISREG(st->st_mode))
		return cli_failf(src, "not a regular file; famfs cp copies regular files and "
				 "directories only");
	if (st->st_size == 0)
		return cli_failf(src, "empty file; famfs files cannot be empty (upstream famfs "
				 "refuses them too)");
	return CLI_OK;
}

static void skip_link(struct cp_plan *p, const char *src)
{
	cli_failf(src, "warning: symbolic link not copied (famfs has no symbolic links, and "
		  "cp follows none inside a tree)");
	p->links++;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in directory @dirfd but . and .., sorted. */
static int read_names(int dirfd, char ***out, size_t *count)
{
	struct dirent *d;
	char **v = NULL, **nv;
	size_t n = 0, cap = 0;
	int fd = dup(dirfd), rc = 0;
	DIR *dir;

	if (fd < 0)
		return -errno;
	dir = fdopendir(fd);
	if (!dir) {
		rc = -errno;
		close(fd);
		return rc;
	}
	rewinddir(dir);
	while ((errno = 0, d = readdir(dir))) {
		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				rc = -ENOMEM;
				break;
			}
			v = nv;
		}
		v[n] = strdup(d->d_name);
		if (!v[n]) {
			rc = -ENOMEM;
			break;
		}
		n++;
	}
	if (!rc && errno)
		rc = -errno;
	closedir(dir);
	if (rc) {
		while (n)
			free(v[--n]);
		free(v);
		return rc;
	}
	if (n)
		qsort(v, n, sizeof(*v), cmp_names);
	*out = v;
	*count = n;
	return 0;
}

static int plan_dir(struct cp_plan *p, int top, int dirfd, const char *src, const char *below,
		    const char *rel, int depth);

/* Plan entry @name of directory @dirfd, never following it. */
static int plan_entry(struct cp_plan *p, int top, int dirfd, const char *name, const char *csrc,
		      const char *cbelow, const char *crel, int depth)
{
	struct stat st;
	int fd, rc;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW))
		return cli_fail(csrc, -errno);
	if (S_ISLNK(st.st_mode)) {
		skip_link(p, csrc);
		return CLI_OK;
	}
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
		return check_file(csrc, &st);
	fd = openat(dirfd, name, S_ISDIR(st.st_mode) ? CP_OPEN_DIR : CP_OPEN_FILE);
	if (fd < 0)
		fd = S_ISDIR(st.st_mode) ? open_dir_err(dirfd, name) : -errno;
	if (fd == -ELOOP) {
		skip_link(p, csrc);	/* it became a link since the fstatat */
		return CLI_OK;
	}
	if (fd < 0)
		return cli_fail(csrc, fd);
	/* Mode, size and identity of what was opened, not of the name. */
	if (fstat(fd, &st)) {
		rc = cli_fail(csrc, -errno);
	} else if (S_ISDIR(st.st_mode)) {
		rc = plan_add(p, csrc, top, cbelow, crel, &st);
		if (!rc)
			rc = plan_dir(p, top, fd, csrc, cbelow, crel, depth + 1);
	} else {
		rc = check_file(csrc, &st);
		if (!rc)
			rc = plan_add(p, csrc, top, cbelow, crel, &st);
	}
	close(fd);
	return rc;
}

static int plan_dir(struct cp_plan *p, int top, int dirfd, const char *src, const char *below,
		    const char *rel, int depth)
{
	char csrc[PATH_MAX], cbelow[PATH_MAX], crel[PATH_MAX];
	char **names = NULL;
	size_t n = 0, i;
	int rc;

	if (depth > CP_MAX_DEPTH)
		return cli_failf(src, "directory tree too deep");
	rc = read_names(dirfd, &names, &n);
	if (rc)
		return cli_fail(src, rc);
	for (i = 0; i < n && !rc; i++) {
		if (join(csrc, sizeof(csrc), src, names[i]) ||
		    join(cbelow, sizeof(cbelow), below, names[i])) {
			rc = cli_fail(src, -ENAMETOOLONG);
			break;
		}
		if (join(crel, sizeof(crel), rel, names[i]) || strlen(crel) >= FAMFS_OMF_PATH_MAX) {
			rc = cli_failf(csrc, "destination path %s is longer than %d bytes", crel,
				       FAMFS_OMF_PATH_MAX - 1);
			break;
		}
		rc = plan_entry(p, top, dirfd, names[i], csrc, cbelow, crel, depth);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

int cp_plan_operand(struct cp_plan *p, const char *src, const char *rel)
{
	struct stat st;
	int fd, *nt, rc;

	if (stat(src, &st))
		return cli_fail(src, -errno);
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
		return check_file(src, &st);
	if (S_ISDIR(st.st_mode) && !p->recursive) {
		cli_failf(src, "is a directory; not copied (use -r)");
		p->omitted++;
		return CLI_OK;
	}
	fd = open(src, S_ISDIR(st.st_mode) ? O_RDONLY | O_DIRECTORY | O_CLOEXEC :
		  O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return cli_fail(src, -errno);
	if (fstat(fd, &st)) {
		rc = cli_fail(src, -errno);
		close(fd);
		return rc;
	}
	if (!S_ISDIR(st.st_mode)) {
		rc = check_file(src, &st);
		if (!rc)
			rc = plan_add(p, src, -1, NULL, rel, &st);
		close(fd);
		return rc;
	}
	/* The operand's descriptor stays open: the copy reopens files from it. */
	nt = realloc(p->tops, (p->ntops + 1) * sizeof(*nt));
	if (!nt) {
		close(fd);
		return cli_fail(src, -ENOMEM);
	}
	p->tops = nt;
	p->tops[p->ntops++] = fd;
	rc = plan_add(p, src, (int)p->ntops - 1, "", rel, &st);
	if (!rc)
		rc = plan_dir(p, (int)p->ntops - 1, fd, src, "", rel, 0);
	return rc;
}

/* The names: a directory that exists is kept, anything else that exists refuses. */
static int check_names(struct cp_plan *p, struct famfs_fs *fs)
{
	uint64_t au = fs->log->sb.alloc_unit, free_slots;
	struct famfs_node *n;

	p->entries = p->bytes = p->space = p->files = 0;
	for (size_t i = 0; i < p->n; i++) {
		struct cp_item *it = &p->it[i];

		if (cli_refuse_meta(it->src, it->rel))
			return CLI_FAIL;
		n = famfs_ns_resolve(fs->ns, it->rel);
		it->skip = n && it->dir && S_ISDIR(n->mode);
		it->existing = n && !it->dir && S_ISREG(n->mode) && n->size == it->size;
		if (it->skip)
			continue;
		if (it->existing) {
			/* upstream's restartable copy: the same file, copied again */
			it->node = n;
			p->bytes += it->size;
			continue;
		}
		if (n && !it->dir && S_ISREG(n->mode))
			return cli_failf(it->src, "destination %s exists with %" PRIu64 " bytes, "
					 "not %" PRIu64 " (famfs files never change size)", it->rel,
					 n->size, it->size);
		if (n)
			return cli_failf(it->src, "destination %s exists", it->rel);
		p->entries++;
		if (!it->dir) {
			p->files++;
			p->bytes += it->size;
			p->space += (it->size + au - 1) / au * au;
		}
	}
	free_slots = famfs_log_free_slots(fs->log);
	if (p->entries > free_slots)
		return cli_failf(p->n ? p->it[0].src : NULL, "log full: the copy needs %" PRIu64
				 " log entries, %" PRIu64 " are free", p->entries, free_slots);
	return CLI_OK;
}

int cp_plan_check(struct cp_plan *p, struct famfs_fs *fs,
		  const struct famfs_interleave_param *ip)
{
	uint64_t seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 16);
	struct famfs_allocset dry;
	char why[512];
	int rc;

	if (check_names(p, fs))
		return CLI_FAIL;
	/* Deleted memory no host holds any more is free for the copy too. */
	if (famfs_fs_reclaim(fs))
		famfs_errclear();
	famfs_errclear();
	rc = famfs_allocset_clone(&fs->alloc, &dry);
	if (rc)
		return cli_fail(p->n ? p->it[0].src : NULL, rc);
	for (size_t i = 0; i < p->n && !rc; i++) {
		struct cp_item *it = &p->it[i];

		if (it->skip || it->dir || it->existing)
			continue;
		rc = famfs_allocset_file(&dry, it->size, ip, seed, &it->fmap);
		if (!rc)
			continue;
		snprintf(why, sizeof(why), "%s", famfs_errmsg());
		if (rc == -ENOSPC)
			cli_failf(it->src, "device full: the copy needs %" PRIu64 " bytes in %"
				  PRIu64 " files; %s (%" PRIu64 " bytes) does not fit after the "
				  "files before it: %s; before the copy the largest free run was %"
				  PRIu64 " bytes (%" PRIu64 " bytes free); nothing was copied",
				  p->space, p->files, it->rel, it->size, why,
				  famfs_allocset_largest_free(&fs->alloc),
				  famfs_allocset_free_bytes(&fs->alloc));
		else
			cli_fail(it->src, rc);
	}
	famfs_allocset_fini(&dry);
	return rc ? CLI_FAIL : CLI_OK;
}

/* Open @below one component at a time from @topfd, following no link. */
static int open_below(int topfd, const char *below)
{
	char comp[PATH_MAX];
	const char *s = below, *slash;
	int fd = dup(topfd), nfd;
	size_t len;

	if (fd < 0)
		return -errno;
	while ((slash = strchr(s, '/'))) {
		len = (size_t)(slash - s);
		if (len >= sizeof(comp)) {
			close(fd);
			return -ENAMETOOLONG;
		}
		memcpy(comp, s, len);
		comp[len] = '\0';
		nfd = openat(fd, comp, CP_OPEN_DIR);
		if (nfd < 0)
			nfd = open_dir_err(fd, comp);
		close(fd);
		if (nfd < 0)
			return nfd;
		fd = nfd;
		s = slash + 1;
	}
	nfd = openat(fd, s, CP_OPEN_FILE);
	close(fd);
	return nfd < 0 ? -errno : nfd;
}

int cp_open_source(const struct cp_plan *p, const struct cp_item *it, uint64_t *size)
{
	struct stat st;
	int fd;

	if (it->top < 0) {
		fd = open(it->src, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
		if (fd < 0)
			fd = -errno;
	} else {
		fd = open_below(p->tops[it->top], it->below);
	}
	if (fd == -ELOOP)
		return famfs_err(-ELOOP, "it or a directory above it is now a symbolic link; "
				 "not copied (cp follows no link inside a tree)");
	if (fd < 0)
		return famfs_err(fd, "cannot open it again to copy: %s", strerror(-fd));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_dev != it->dev ||
	    st.st_ino != it->ino) {
		close(fd);
		return famfs_err(-ESTALE, "it was replaced by another file since the copy was "
				 "planned; not copied");
	}
	*size = (uint64_t)st.st_size;
	return fd;
}

void cp_plan_free(struct cp_plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->it[i].src);
		free(p->it[i].below);
	}
	for (size_t i = 0; i < p->ntops; i++)
		close(p->tops[i]);
	free(p->it);
	free(p->tops);
	memset(p, 0, sizeof(*p));
}
