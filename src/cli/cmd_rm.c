// SPDX-License-Identifier: Apache-2.0
/*
 * cmd_rm.c - famfs rm and famfs rmdir: log deletes (file systems with the
 * rm feature, docs/rm.md). Every PATH is checked and the whole plan (with
 * -r, each tree children first) made under the log lock before anything is
 * logged, so a bad PATH or a log too full for the plan deletes nothing.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "famfs/err.h"
#include "famfs/meta.h"
#include "famfs/ns.h"
#include "cli.h"

static const char rm_help[] =
"usage: famfs rm [-r] [-f] [-v] PATH...\n"
"       famfs --device DEV rm [-r] [-f] [-v] PATH...\n"
"\n"
"Delete files (and with -r, directories with everything in them) from a\n"
"file system made with mkfs.famfs -O rm (or famfs tune -O rm). Only the\n"
"master host may delete. A name goes away on every host within a catch-up\n"
"(about 100 ms); a process that has the file open or mapped keeps using it\n"
"until it closes or unmaps it, and its memory is reused only once no\n"
"registered host can still touch it (famfs host list). Each delete takes\n"
"one log entry. All PATHs are checked first: one bad PATH deletes nothing.\n"
"\n"
"famfs rm is the administrator's tool: it deletes any file for whoever can\n"
"write the device, without checking owners, modes or sticky directories.\n"
"Users delete with rm(1) and rmdir(1) through the master's mount, where the\n"
"kernel checks their permissions as on any file system.\n"
"\n"
"  -r, --recursive   delete directories and their contents\n"
"  -f, --force       ignore PATHs that do not exist\n"
"  -v, --verbose     say what was deleted\n"
"  -h, --help        this help\n"
"\n"
"Example:\n"
"  famfs rm /mnt/famfs/data/old\n"
"  famfs --device /dev/dax0.0 rm -r data\n";

static const char rmdir_help[] =
"usage: famfs rmdir [-v] DIR...\n"
"       famfs --device DEV rmdir [-v] DIR...\n"
"\n"
"Delete empty directories from a file system made with mkfs.famfs -O rm.\n"
"Only the master host may delete; each directory takes one log entry.\n"
"\n"
"  -v, --verbose     say what was deleted\n"
"  -h, --help        this help\n";

/* The nodes to delete, in order (children before their directory). */
struct rm_plan {
	struct {
		char rel[FAMFS_OMF_PATH_MAX];
		bool dir;
	} *v;
	size_t n, cap;
};

static bool planned(const struct rm_plan *p, const char *rel)
{
	for (size_t i = 0; i < p->n; i++)
		if (!strcmp(p->v[i].rel, rel))
			return true;
	return false;
}

static int plan_push(struct rm_plan *p, const struct famfs_node *n)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 32;
		void *nv = realloc(p->v, cap * sizeof(*p->v));

		if (!nv)
			return -ENOMEM;
		p->v = nv;
		p->cap = cap;
	}
	if (famfs_ns_path(n, p->v[p->n].rel, sizeof(p->v[p->n].rel)))
		return -ENAMETOOLONG;
	p->v[p->n].dir = S_ISDIR(n->mode);
	if (!planned(p, p->v[p->n].rel))
		p->n++;
	return 0;
}

/* Add the tree under @n, children first. */
static int plan_tree(struct rm_plan *p, const struct famfs_node *n)
{
	int rc;

	for (const struct famfs_node *c = n->first_child; c; c = c->next_sibling) {
		if (famfs_node_deleted(c))
			continue;
		rc = S_ISDIR(c->mode) ? plan_tree(p, c) : plan_push(p, c);
		if (rc)
			return rc;
	}
	return plan_push(p, n);
}

/* What deleting @rel (given as @arg) adds to the plan, or why not. */
static int plan_one(struct rm_plan *p, struct famfs_fs *fs, const char *arg, const char *rel,
		    bool rmdir, bool rec, bool force)
{
	struct famfs_node *n;

	if (!rel[0])
		return cli_failf(arg, "is the root directory; it cannot be deleted");
	if (famfs_meta_reserved(rel))
		return cli_failf(arg, "%s is reserved: every mount shows the superblock and log "
				 "files there, and they cannot be deleted", FAMFS_META_DIRNAME);
	n = famfs_ns_resolve(fs->ns, rel);
	if (!n) {
		if (force || planned(p, rel))
			return CLI_OK;
		return cli_failf(arg, "no such file or directory");
	}
	if (rmdir && !S_ISDIR(n->mode))
		return cli_failf(arg, "not a directory");
	if (S_ISDIR(n->mode) && !rmdir && !rec)
		return cli_failf(arg, "is a directory (use -r, or famfs rmdir)");
	if (S_ISDIR(n->mode) && rec)
		return plan_tree(p, n) ? cli_fail(arg, -ENOMEM) : CLI_OK;
	if (S_ISDIR(n->mode) && n->nchildren)
		return cli_failf(arg, "directory not empty");
	return plan_push(p, n) ? cli_fail(arg, -ENOMEM) : CLI_OK;
}

static int do_rm(int argc, char **argv, bool rmdir)
{
	static const struct option lopts[] = {
		{ "recursive", no_argument, NULL, 'r' },
		{ "force", no_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	bool rec = false, force = false, verbose = false;
	struct rm_plan plan = { 0 };
	struct cli_target *t = NULL;
	struct famfs_fs *fs = NULL;
	uint64_t free_slots;
	int c, rc = CLI_FAIL, ntgt;

	opterr = 0;
	while ((c = getopt_long(argc, argv, rmdir ? ":vh" : ":rRfvh", lopts, NULL)) != -1) {
		switch (c) {
		case 'r': case 'R': rec = true; break;
		case 'f': force = true; break;
		case 'v': verbose = true; break;
		case 'h': return cli_help(rmdir ? rmdir_help : rm_help);
		default: return cli_getopt_error(c, argv);
		}
	}
	if (optind >= argc)
		return force ? CLI_OK : cli_usage(rmdir ? "missing DIR" : "missing PATH");
	ntgt = argc - optind;
	fs = cli_open_targets(argv + optind, ntgt, rmdir ? "rmdir" : "rm", &t);
	if (!fs)
		goto out_free;
	if (fs->log->role != FAMFS_ROLE_MASTER) {
		cli_failf(argv[optind], "this host is a client of this file system; only the "
			  "master host may delete");
		goto out_free;
	}
	if (!fs->rm) {
		cli_failf(argv[optind], "%s does not have the rm feature (famfs tune -O rm, see "
			  "famfs(1))", t[0].dev);
		goto out_free;
	}
	famfs_errclear();
	c = famfs_fs_begin(fs);
	if (c) {
		cli_fail(argv[optind], c);
		goto out_free;
	}
	for (int i = 0; i < ntgt; i++)
		if (plan_one(&plan, fs, argv[optind + i], t[i].rel, rmdir, rec, force))
			goto out_end;
	free_slots = famfs_log_free_slots(fs->log);
	if (plan.n > free_slots) {
		cli_failf(argv[optind], "log full: %zu deletes to log, %" PRIu64 " log entries "
			  "free", plan.n, free_slots);
		goto out_end;
	}
	rc = CLI_OK;
	for (size_t i = 0; i < plan.n; i++) {
		famfs_errclear();
		c = famfs_fs_delete(fs, plan.v[i].rel, plan.v[i].dir ? FAMFS_RM_DIR : FAMFS_RM_FILE,
				    0);
		if (c) {
			rc = cli_fail(plan.v[i].rel, c);
			break;
		}
		if (verbose) {
			printf("removed %s'", plan.v[i].dir ? "directory " : "");
			cli_fputs_esc(stdout, plan.v[i].rel);
			printf("'\n");
		}
	}
out_end:
	famfs_fs_end(fs);
	if (plan.n)
		cli_kick_logplay_all(t, ntgt);
out_free:
	free(plan.v);
	free(t);
	return rc;
}

int cmd_rm(int argc, char **argv)
{
	return do_rm(argc, argv, false);
}

int cmd_rmdir(int argc, char **argv)
{
	return do_rm(argc, argv, true);
}
