// SPDX-License-Identifier: Apache-2.0
/*
 * cmd_ls.c - famfs ls: the namespace as replayed from the log (not as the
 * kernel sees it), with famfs inode numbers.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "famfs/err.h"
#include "famfs/ns.h"
#include "cli.h"

static const char help[] =
"usage: famfs ls [-l] [-R] [-v] [--json] [PATH]\n"
"\n"
"List the directory PATH (default: the root with --device, else the\n"
"current directory) as replayed from the log. A file lists itself.\n"
"\n"
"  -l, --long       print mode, uid, gid, size, inode number and name\n"
"  -R, --recursive  list the whole tree below PATH, with relative paths\n"
"  -j, --json       print JSON: {\"path\": ..., \"entries\": [...]}; a name\n"
"                   that is not UTF-8 also gets \"name_hex\" (see famfs(1))\n"
"  -v, --verbose    end with the number of files and directories listed\n"
"  -?, --help       this help\n"
"\n"
"Example:\n"
"  famfs --device /dev/shm/famfs0 ls -lR\n"
"  famfs ls -l /mnt/famfs/a\n";

struct ls_opts {
	bool lng, rec, json;
	json_t *entries;		/* --json: the array being built */
	bool oom;			/* --json: an allocation failed */
	uint64_t files, dirs;		/* listed */
};

static void mode_str(uint32_t mode, char out[11])
{
	static const char rwx[] = "rwxrwxrwx";

	out[0] = S_ISDIR(mode) ? 'd' : '-';
	for (int i = 0; i < 9; i++)
		out[i + 1] = (mode & (0400 >> i)) ? rwx[i] : '-';
	if (mode & S_ISUID)
		out[3] = (mode & 0100) ? 's' : 'S';
	if (mode & S_ISGID)
		out[6] = (mode & 0010) ? 's' : 'S';
	if (mode & S_ISVTX)
		out[9] = (mode & 0001) ? 't' : 'T';
	out[10] = '\0';
}

static void print_one(struct ls_opts *o, const struct famfs_node *n, const char *name)
{
	char ms[11];

	if (o->json) {
		json_t *e = json_object();

		snprintf(ms, sizeof(ms), "%04o", n->mode & 07777);
		if (!e || cli_json_set_str(e, "name", name) ||
		    json_object_set_new(e, "type", json_string(S_ISDIR(n->mode) ? "dir" : "file")) ||
		    json_object_set_new(e, "mode", json_string(ms)) ||
		    cli_json_set_u64(e, "uid", n->uid) || cli_json_set_u64(e, "gid", n->gid) ||
		    cli_json_set_u64(e, "size", n->size) || cli_json_set_u64(e, "ino", n->ino) ||
		    json_array_append_new(o->entries, e))
			o->oom = true;
		return;
	}
	if (S_ISDIR(n->mode))
		o->dirs++;
	else
		o->files++;
	if (o->lng) {
		mode_str(n->mode, ms);
		printf("%s %5u %5u %12" PRIu64 " %8" PRIu64 " ", ms, n->uid, n->gid,
		       n->size, n->ino);
	}
	cli_fputs_esc(stdout, name);
	printf("%s\n", S_ISDIR(n->mode) ? "/" : "");
}

/* List the children of @dir; names are prefixed with @prefix. */
static int list_dir(struct ls_opts *o, const struct famfs_node *dir, const char *prefix)
{
	char name[FAMFS_OMF_PATH_MAX * 2];

	for (const struct famfs_node *c = dir->first_child; c; c = c->next_sibling) {
		if (famfs_node_deleted(c))
			continue;
		snprintf(name, sizeof(name), "%s%s", prefix, c->name);
		print_one(o, c, name);
		if (o->rec && S_ISDIR(c->mode)) {
			strncat(name, "/", sizeof(name) - strlen(name) - 1);
			list_dir(o, c, name);
		}
	}
	return 0;
}

int cmd_ls(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "long", no_argument, NULL, 'l' },
		{ "recursive", no_argument, NULL, 'R' },
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct ls_opts o = { 0 };
	json_t *root = NULL;
	const char *path;
	struct cli_target t;
	struct famfs_fs *fs;
	struct famfs_node *n;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":lRjvh", lopts, NULL)) != -1) {
		switch (c) {
		case 'v': cli_verbose++; break;
		case 'l': o.lng = true; break;
		case 'R': o.rec = true; break;
		case 'j': o.json = true; break;
		case 'h': return cli_help(help);
		default: return cli_getopt_error(c, argv);
		}
	}
	if (optind + 1 < argc)
		return cli_usage("at most one PATH expected");
	path = optind < argc ? argv[optind] : ".";
	if (cli_target(path, &t))
		return CLI_FAIL;
	fs = cli_fs_open(&t, false, path);
	if (!fs)
		return CLI_FAIL;
	n = famfs_ns_resolve(fs->ns, t.rel);
	if (!n)
		return cli_fail(path, -ENOENT);
	if (o.json) {
		root = json_object();
		o.entries = json_array();
		if (!root || !o.entries || cli_json_set_str(root, "path", t.rel) ||
		    json_object_set(root, "entries", o.entries))
			o.oom = true;
		json_decref(o.entries);
	}
	if (!o.oom) {
		if (S_ISDIR(n->mode))
			list_dir(&o, n, "");
		else
			print_one(&o, n, n->name);
	}
	if (o.json) {
		if (o.oom) {
			json_decref(root);
			root = NULL;
		}
		return cli_json_print(root);
	}
	if (cli_verbose)
		printf("%" PRIu64 " files, %" PRIu64 " directories\n", o.files, o.dirs);
	return CLI_OK;
}
