// SPDX-License-Identifier: Apache-2.0
/*
 * cmd_cp.c - famfs cp: copy local files and trees into famfs. Everything is
 * planned and checked first (sources, names, log slots, space), then
 * created under one famfs_fs_begin/end, so a refused copy logs nothing and
 * a large copy takes the log lock once.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "famfs/audit.h"
#include "famfs/err.h"
#include "famfs/ns.h"
#include "famfs/path.h"
#include "cli.h"

static const char help[] =
"usage: famfs cp [-r] [-m MODE] [-u UID] [-g GID] [-N NSTRIPS] [-B NBUCKETS]\n"
"                [-C CHUNK] SRC... DEST\n"
"\n"
"Copy local files into famfs, like cp(1): into the directory DEST, or to\n"
"the new name DEST for a single SRC. Each file gets space of its own size,\n"
"is logged, filled from SRC and flushed from the CPU caches. All creates\n"
"share one hold of the log lock. Existing destination files, empty source\n"
"files (famfs files cannot be empty; upstream refuses them too) and sources\n"
"that are not regular files are refused before anything is created. A\n"
"progress bar is drawn on stderr when stdout is a terminal and the copy is\n"
"over 64 MiB. Symbolic links are followed, on the command line and inside\n"
"a tree alike; a directory is not copied into itself.\n"
"\n"
"  -r, --recursive        copy directories and everything below them\n"
"  -m, --mode MODE        octal permission bits of new files (default: the\n"
"                         source's)\n"
"  -u, --uid UID          owner (default: the caller)\n"
"  -g, --gid GID          group (default: the caller's group)\n"
"  -N, --nstrips N        interleave new files over N strips\n"
"  -B, --nbuckets N       interleave buckets\n"
"  -C, --chunksize SIZE   interleave chunk size\n"
"  -h, --help             this help\n"
"\n"
"Example:\n"
"  famfs cp -r ./dataset /mnt/famfs/\n"
"  famfs --device /dev/shm/famfs0 cp big.bin a/b/big.bin\n";

struct cp_item {
	char *src;
	char rel[FAMFS_OMF_PATH_MAX];
	bool dir;
	bool skip;		/* directory that exists already */
	uint64_t size;
	uint32_t mode;
};

struct cp_plan {
	struct cp_item *it;
	size_t n, cap;
	uint64_t bytes, space, entries;
	bool recursive;
	bool mode_set;
	uint32_t mode;
};

/* Add an item: @rel is the destination (may be too long: checked here). */
static int plan_add(struct cp_plan *p, const char *src, const char *rel, bool dir,
		    const struct stat *st)
{
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
	if (!it->src)
		return cli_fail(src, -ENOMEM);
	snprintf(it->rel, sizeof(it->rel), "%s", rel);
	it->dir = dir;
	it->mode = dir ? (st->st_mode & 07777) : p->mode_set ? p->mode : (st->st_mode & 07777);
	it->size = dir ? 0 : (uint64_t)st->st_size;
	p->n++;
	return CLI_OK;
}

static int join(char *out, size_t len, const char *dir, const char *name)
{
	int n = snprintf(out, len, "%s%s%s", dir, *dir ? "/" : "", name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int plan_source(struct cp_plan *p, const char *src, const char *rel,
		       const struct stat *st, int depth);

/* Would the copy of directory @src to @rel in the mount of @t land inside @src? */
static bool into_itself(const char *src, const struct cli_target *t, const char *rel)
{
	char real[PATH_MAX], dst[PATH_MAX * 2];
	size_t l;

	if (!t->mnt[0] || !realpath(src, real))
		return false;
	snprintf(dst, sizeof(dst), "%s/%s", strcmp(t->mnt, "/") ? t->mnt : "", rel);
	l = strlen(real);
	if (l == 1)
		return true;	/* the source is / */
	return !strncmp(dst, real, l) && (dst[l] == '/' || dst[l] == '\0');
}

static int plan_dir(struct cp_plan *p, const char *src, const char *rel,
		    const struct stat *st, int depth)
{
	struct dirent **ents = NULL;
	char csrc[PATH_MAX], crel[PATH_MAX];
	struct stat cst;
	int n, rc = CLI_OK;

	if (plan_add(p, src, rel, true, st))
		return CLI_FAIL;
	if (depth > 64)
		return cli_failf(src, "directory tree too deep");
	n = scandir(src, &ents, NULL, alphasort);
	if (n < 0)
		return cli_fail(src, -errno);
	for (int i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;

		if (rc || !strcmp(name, ".") || !strcmp(name, ".."))
			goto next;
		if (join(csrc, sizeof(csrc), src, name)) {
			rc = cli_fail(src, -ENAMETOOLONG);
			goto next;
		}
		if (join(crel, sizeof(crel), rel, name) || strlen(crel) >= FAMFS_OMF_PATH_MAX) {
			rc = cli_failf(csrc, "destination path %s is longer than %d bytes", crel,
				       FAMFS_OMF_PATH_MAX - 1);
			goto next;
		}
		/* a symlink is followed, as for a SRC named on the command line */
		if (stat(csrc, &cst)) {
			rc = cli_fail(csrc, -errno);
			goto next;
		}
		rc = plan_source(p, csrc, crel, &cst, depth + 1);
next:
		free(ents[i]);
	}
	free(ents);
	return rc;
}

static int plan_source(struct cp_plan *p, const char *src, const char *rel,
		       const struct stat *st, int depth)
{
	if (S_ISDIR(st->st_mode)) {
		if (!p->recursive)
			return cli_failf(src, "is a directory (use -r)");
		return plan_dir(p, src, rel, st, depth);
	}
	if (!S_ISREG(st->st_mode))
		return cli_failf(src, "not a regular file; famfs cp copies regular files and "
				 "directories only");
	if (st->st_size == 0)
		return cli_failf(src, "empty file; famfs files cannot be empty (upstream "
				 "famfs refuses them too)");
	return plan_add(p, src, rel, false, st);
}

/* Check the plan against the namespace, the log and the free space. */
static int plan_check(struct cp_plan *p, struct famfs_fs *fs)
{
	uint64_t au = fs->log->sb.alloc_unit, free_slots, free_bytes;
	struct famfs_node *n;

	p->entries = p->bytes = p->space = 0;
	for (size_t i = 0; i < p->n; i++) {
		struct cp_item *it = &p->it[i];

		n = famfs_ns_resolve(fs->ns, it->rel);
		if (n && it->dir && S_ISDIR(n->mode)) {
			it->skip = true;
			continue;
		}
		if (n)
			return cli_failf(it->src, "destination %s exists", it->rel);
		p->entries++;
		if (!it->dir) {
			p->bytes += it->size;
			p->space += (it->size + au - 1) / au * au;
		}
	}
	free_slots = famfs_log_free_slots(fs->log);
	if (p->entries > free_slots)
		return cli_failf(p->n ? p->it[0].src : NULL, "log full: the copy needs %" PRIu64
				 " log entries, %" PRIu64 " are free", p->entries, free_slots);
	free_bytes = famfs_alloc_free_bytes(&fs->alloc);
	if (p->space > free_bytes)
		return cli_failf(p->n ? p->it[0].src : NULL, "device full: the copy needs %"
				 PRIu64 " bytes, %" PRIu64 " are free", p->space, free_bytes);
	return CLI_OK;
}

struct copy_ctx {
	int fd;
	const char *src;
	struct cli_progress *prog;
};

static int copy_run(void *ctx, uint64_t off, uint8_t *p, uint64_t len)
{
	struct copy_ctx *c = ctx;
	uint64_t done = 0;
	ssize_t r;

	while (done < len) {
		size_t n = len - done > (8u << 20) ? (8u << 20) : (size_t)(len - done);

		r = pread(c->fd, p + done, n, (off_t)(off + done));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return famfs_err(-EIO, "file shrank while copying (EOF at %" PRIu64 ")",
					 off + done);
		famfs_flush(p + done, (size_t)r);
		famfs_audit_published(p + done, (size_t)r, "famfs cp");
		done += (uint64_t)r;
		cli_progress_add(c->prog, (uint64_t)r);
	}
	return 0;
}

static int run_plan(struct cp_plan *p, struct famfs_fs *fs, uint32_t uid, uint32_t gid,
		    const struct famfs_interleave_param *ipp)
{
	struct cli_progress prog;
	const struct famfs_node *n;
	struct copy_ctx cc;
	const char *what = NULL;
	int rc;

	cli_progress_init(&prog, p->bytes, isatty(STDOUT_FILENO) && p->bytes > (64ULL << 20));
	for (size_t i = 0; i < p->n; i++) {
		struct cp_item *it = &p->it[i];

		if (it->skip)
			continue;
		what = it->src;
		famfs_errclear();
		if (it->dir) {
			rc = famfs_fs_mkdir(fs, it->rel, it->mode, uid, gid, false);
			if (rc)
				goto fail;
			continue;
		}
		cc.fd = open(it->src, O_RDONLY | O_CLOEXEC);
		if (cc.fd < 0) {
			rc = -errno;
			goto fail;
		}
		rc = famfs_fs_creat(fs, it->rel, it->size, it->mode, uid, gid, ipp, &n);
		if (rc == 0) {
			cc.src = it->src;
			cc.prog = &prog;
			rc = cli_for_each_run(fs, n, copy_run, &cc);
		}
		close(cc.fd);
		if (rc)
			goto fail;
	}
	cli_progress_done(&prog);
	return CLI_OK;
fail:
	cli_progress_done(&prog);
	return cli_fail(what, rc);
}

int cmd_cp(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "recursive", no_argument, NULL, 'r' },
		{ "mode", required_argument, NULL, 'm' },
		{ "uid", required_argument, NULL, 'u' },
		{ "gid", required_argument, NULL, 'g' },
		{ "nstrips", required_argument, NULL, 'N' },
		{ "nbuckets", required_argument, NULL, 'B' },
		{ "chunksize", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct famfs_interleave_param ip = { 0 };
	const struct famfs_interleave_param *ipp;
	struct cp_plan plan = { 0 };
	uint32_t uid = getuid(), gid = getgid();
	char rel[PATH_MAX], base[PATH_MAX];
	const char *dest;
	struct cli_target t;
	struct famfs_fs *fs;
	struct famfs_node *dn;
	bool dest_dir;
	struct stat st;
	int c, rc, nsrc;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":rm:u:g:N:B:C:h", lopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			plan.recursive = true;
			break;
		case 'm':
			plan.mode_set = true;
			/* fall through */
		case 'u': case 'g':
			if (cli_parse_ids(c, optarg, &plan.mode, &uid, &gid))
				return CLI_USAGE;
			break;
		case 'N': case 'B': case 'C':
			if (cli_parse_interleave(c, optarg, &ip))
				return CLI_USAGE;
			break;
		case 'h':
			return cli_help(help);
		default:
			return cli_getopt_error(c, argv);
		}
	}
	nsrc = argc - optind - 1;
	if (nsrc < 1)
		return cli_usage(nsrc < 0 ? "missing SRC and DEST" : "missing DEST");
	dest = argv[argc - 1];
	if (cli_target(dest, &t))
		return CLI_FAIL;
	fs = cli_fs_open(&t, true, dest);
	if (!fs || cli_require_master(fs, dest) || cli_check_interleave(fs, dest, &ip, &ipp))
		return CLI_FAIL;
	famfs_errclear();
	rc = famfs_fs_begin(fs);
	if (rc)
		return cli_fail(dest, rc);
	dn = famfs_ns_resolve(fs->ns, t.rel);
	dest_dir = dn && S_ISDIR(dn->mode);
	rc = CLI_FAIL;
	if (nsrc > 1 && !dest_dir) {
		cli_failf(dest, dn ? "not a directory" : "no such directory");
		goto out;
	}
	for (int i = optind; i < argc - 1; i++) {
		const char *src = argv[i];

		if (stat(src, &st)) {
			cli_fail(src, -errno);
			goto out;
		}
		if (dest_dir) {
			snprintf(base, sizeof(base), "%s", src);
			for (size_t l = strlen(base); l > 1 && base[l - 1] == '/'; l--)
				base[l - 1] = '\0';
			if (join(rel, sizeof(rel), t.rel, basename(base)) ||
			    strlen(rel) >= FAMFS_OMF_PATH_MAX) {
				cli_failf(src, "destination path is longer than %d bytes",
					  FAMFS_OMF_PATH_MAX - 1);
				goto out;
			}
		} else {
			snprintf(rel, sizeof(rel), "%s", t.rel);
		}
		if (!rel[0]) {
			cli_failf(dest, "cannot copy onto the root directory");
			goto out;
		}
		if (S_ISDIR(st.st_mode) && into_itself(src, &t, rel)) {
			cli_failf(src, "cannot copy a directory into itself (%s)", dest);
			goto out;
		}
		if (plan_source(&plan, src, rel, &st, 0))
			goto out;
	}
	if (plan_check(&plan, fs))
		goto out;
	rc = run_plan(&plan, fs, uid, gid, ipp);
out:
	famfs_fs_end(fs);
	if (plan.entries)
		cli_kick_logplay(&t);
	for (size_t i = 0; i < plan.n; i++)
		free(plan.it[i].src);
	free(plan.it);
	return rc;
}
