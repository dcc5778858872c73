// SPDX-License-Identifier: Apache-2.0
/*
 * cmd_mkdir.c - famfs mkdir: log directories. Every DIR is checked first
 * (path, parents, existing names, free log entries) under the log lock,
 * then all are logged in that one hold, so bad input logs nothing.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <getopt.h>
#include <sys/stat.h>
#include <unistd.h>

#include "famfs/err.h"
#include "famfs/meta.h"
#include "famfs/ns.h"
#include "famfs/path.h"
#include "cli.h"

static const char help[] =
"usage: famfs mkdir [-p] [-m MODE] [-u UID] [-g GID] [-v] DIR...\n"
"\n"
"Log new directories. Only the master host may create directories. All\n"
"DIRs are checked before any is logged: one bad DIR logs nothing.\n"
"\n"
"  -p, --parents      create missing parents; an existing directory is fine\n"
"  -m, --mode MODE    octal permission bits (default 0755)\n"
"  -u, --uid UID      owner (default: the caller)\n"
"  -g, --gid GID      group (default: the caller's group)\n"
"  -v, --verbose      print each directory created\n"
"  -?, --help         this help\n"
"\n"
"Example:\n"
"  famfs mkdir -p /mnt/famfs/a/b\n"
"  famfs --device /dev/shm/famfs0 mkdir -p -m 0700 a/b\n";

/* The directories to log, in order (parents before children). */
struct mk_plan {
	char (*rel)[FAMFS_OMF_PATH_MAX];
	size_t n, cap;
};

/* Is @rel a directory now or after the plan? 1 dir, 0 missing, -1 not a dir. */
static int plan_state(const struct mk_plan *p, struct famfs_fs *fs, const char *rel)
{
	struct famfs_node *n;

	if (!rel[0])
		return 1;
	n = famfs_ns_resolve(fs->ns, rel);
	if (n)
		return S_ISDIR(n->mode) ? 1 : -1;
	for (size_t i = 0; i < p->n; i++)
		if (!strcmp(p->rel[i], rel))
			return 1;
	return 0;
}

static int plan_push(struct mk_plan *p, const char *rel)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		void *nr = realloc(p->rel, cap * sizeof(*p->rel));

		if (!nr)
			return -ENOMEM;
		p->rel = nr;
		p->cap = cap;
	}
	snprintf(p->rel[p->n++], FAMFS_OMF_PATH_MAX, "%s", rel);
	return 0;
}

/* Add what `mkdir [-p] @rel` needs to the plan, or print why not. */
static int plan_one(struct mk_plan *p, struct famfs_fs *fs, const char *arg, const char *rel,
		    bool parents)
{
	char pre[FAMFS_OMF_PATH_MAX];
	int st;

	if (!rel[0])
		return parents ? CLI_OK : cli_failf(arg, "is the root directory; it exists");
	if (parents && !strcmp(rel, FAMFS_META_DIRNAME))
		return CLI_OK;	/* it exists in every mount */
	if (cli_refuse_meta(arg, rel))
		return CLI_FAIL;
	for (size_t i = 0; rel[i]; i++) {
		if (rel[i] != '/')
			continue;
		memcpy(pre, rel, i);
		pre[i] = '\0';
		st = plan_state(p, fs, pre);
		if (st < 0)
			return cli_failf(arg, "'%s' is not a directory", pre);
		if (st == 0 && !parents)
			return cli_failf(arg, "no such directory '%s' (use -p)", pre);
		if (st == 0 && plan_push(p, pre))
			return cli_fail(arg, -ENOMEM);
	}
	st = plan_state(p, fs, rel);
	if (st == 1 && parents)
		return CLI_OK;
	if (st)
		return cli_failf(arg, "%s exists", rel);
	return plan_push(p, rel) ? cli_fail(arg, -ENOMEM) : CLI_OK;
}

int cmd_mkdir(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "parents", no_argument, NULL, 'p' },
		{ "mode", required_argument, NULL, 'm' },
		{ "uid", required_argument, NULL, 'u' },
		{ "gid", required_argument, NULL, 'g' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	uint32_t mode = 0755, uid = getuid(), gid = getgid();
	bool parents = false;
	struct mk_plan plan = { 0 };
	struct cli_target *t = NULL;
	struct famfs_fs *fs = NULL;
	uint64_t free_slots;
	int c, rc = CLI_FAIL, ntgt;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":pm:u:g:vh", lopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			parents = true;
			break;
		case 'v':
			cli_verbose++;
			break;
		case 'm': case 'u': case 'g':
			if (cli_parse_ids(c, optarg, &mode, &uid, &gid))
				return CLI_USAGE;
			break;
		case 'h':
			return cli_help(help);
		default:
			return cli_getopt_error(c, argv);
		}
	}
	if (optind >= argc)
		return cli_usage("missing DIR");
	ntgt = argc - optind;
	fs = cli_open_targets(argv + optind, ntgt, "mkdir", &t);
	if (!fs || cli_require_master(fs, argv[optind]))
		goto out_free;
	famfs_errclear();
	c = famfs_fs_begin(fs);
	if (c) {
		cli_fail(argv[optind], c);
		goto out_free;
	}
	for (int i = 0; i < ntgt; i++)
		if (plan_one(&plan, fs, argv[optind + i], t[i].rel, parents))
			goto out_end;
	free_slots = famfs_log_free_slots(fs->log);
	if (plan.n > free_slots) {
		cli_failf(argv[optind], "log full: %zu directories to log, %" PRIu64
			  " log entries free", plan.n, free_slots);
		goto out_end;
	}
	rc = CLI_OK;
	for (size_t i = 0; i < plan.n; i++) {
		famfs_errclear();
		c = famfs_fs_mkdir(fs, plan.rel[i], mode, uid, gid, false);
		if (c) {
			rc = cli_fail(plan.rel[i], c);
			break;
		}
		if (cli_verbose)
			cli_sayf(plan.rel[i], "created directory (mode %04o)", mode);
	}
out_end:
	famfs_fs_end(fs);
	if (plan.n)
		cli_kick_logplay_all(t, ntgt);
out_free:
	free(plan.rel);
	free(t);
	return rc;
}
