// SPDX-License-Identifier: Apache-2.0
/*
 * cmd_daxdev.c - famfs daxdev list|resolve|refresh: the devices of a file
 * system, where this host finds them (by the uuids in their superblocks,
 * famfs/devfind.h), and asking a mount's famfsd to look again.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "famfs/devfind.h"
#include "famfs/err.h"
#include "famfs/ioctl.h"
#include "cli.h"

static const char help[] =
"usage: famfs daxdev list [--json] [MNT|DEV]\n"
"       famfs daxdev resolve UUID\n"
"       famfs daxdev refresh MNT [DEV]\n"
"\n"
"A famfs file system may span several memory devices: the primary, which\n"
"holds the log, and devices added with mkfs.famfs or famfs devadd. The log\n"
"names each one by its device uuid, never by a path, and every host finds\n"
"its devices itself by reading superblocks: those of /dev/dax*, /dev/pmem*\n"
"and the globs listed in $FAMFS_DAXDEV_PATH (colon-separated) or, when it\n"
"is not set, in /etc/famfs/daxdevs (one or more per line, '#' comments).\n"
"\n"
"  list MNT        the devices of the mount MNT as its famfsd sees them:\n"
"                  index, state (ok, missing, poisoned, failed), size, free\n"
"                  space, uuid and path (or why it is missing)\n"
"  list DEV        the same for the file system whose primary device is DEV\n"
"                  (also: famfs --device DEV daxdev list), found from here\n"
"  list            every famfs device this host finds: path, primary or\n"
"                  secondary, file system uuid, device uuid, size\n"
"  resolve UUID    print the path of the device with device uuid UUID\n"
"  refresh MNT     make famfsd on MNT look again for its missing devices\n"
"                  (at DEV first, when given); root only. Then list.\n"
"\n"
"  -j, --json      list as JSON\n"
"  -h, --help      this help\n"
"\n"
"Exit status: 0 done (list: also when devices are missing), 1 failure\n"
"(resolve: no such device; refresh: devices are still missing), 2 usage.\n"
"\n"
"Examples:\n"
"  famfs daxdev list /mnt/famfs\n"
"  famfs daxdev resolve 5b8c53a2-8b07-4c1e-a4e5-2d3c1b6f0a11\n"
"  FAMFS_DAXDEV_PATH=/dev/shm/famfs* famfs daxdev list\n";

/* ---- one table for MNT and DEV ---- */

static const char *role_of(uint32_t i)
{
	return i ? "secondary" : "primary";
}

static void print_list(const char *what, const struct famfs_daxdev_list *l)
{
	char u[37];

	cli_fputs_esc(stdout, what);
	printf(": %u device%s\n", l->ndevs, l->ndevs == 1 ? "" : "s");
	printf("  %-3s %-9s %-8s %14s %14s %-36s %s\n", "idx", "role", "state", "size", "free",
	       "uuid", "path");
	for (uint32_t i = 0; i < l->ndevs && i < FAMFS_MAX_DAXDEVS; i++) {
		const struct famfs_daxdev_wire *w = &l->dev[i];

		uuid_unparse(w->uuid, u);
		printf("  %-3u %-9s %-8s %14" PRIu64 " %14" PRIu64 " %-36s ", i, role_of(i),
		       famfs_daxdev_state_name(w->state), w->size, w->free, u);
		if (w->state == FAMFS_DAXDEV_MISSING) {
			fputs("- (", stdout);
			cli_fputs_esc(stdout, w->why);
			fputs(")\n", stdout);
		} else {
			cli_fputs_esc(stdout, w->path);
			putchar('\n');
		}
	}
}

static int json_list(const char *key, const char *what, const struct famfs_daxdev_list *l)
{
	json_t *o = json_object(), *a = json_array(), *e;
	bool bad = !o || !a;
	char u[37];

	bad = bad || cli_json_set_str(o, key, what) || cli_json_set_u64(o, "ndevs", l->ndevs);
	for (uint32_t i = 0; !bad && i < l->ndevs && i < FAMFS_MAX_DAXDEVS; i++) {
		const struct famfs_daxdev_wire *w = &l->dev[i];

		uuid_unparse(w->uuid, u);
		e = json_object();
		bad = !e || cli_json_set_u64(e, "index", i) ||
		      json_object_set_new(e, "role", json_string(role_of(i))) ||
		      json_object_set_new(e, "state",
					  json_string(famfs_daxdev_state_name(w->state))) ||
		      cli_json_set_u64(e, "size", w->size) || cli_json_set_u64(e, "free", w->free) ||
		      json_object_set_new(e, "uuid", json_string(u)) ||
		      (w->state == FAMFS_DAXDEV_MISSING ? cli_json_set_str(e, "why", w->why) :
		       cli_json_set_str(e, "path", w->path)) ||
		      json_array_append_new(a, e);
	}
	bad = bad || json_object_set(o, "devices", a);
	json_decref(a);
	if (bad) {
		json_decref(o);
		o = NULL;
	}
	return cli_json_print(o);
}

/* famfsd's table for the mount at @mnt (exactly a mount point). */
static int mount_list(const char *mnt, struct famfs_daxdev_list *l, struct cli_target *t)
{
	int fd, rc;

	rc = cli_find_mount_exact(mnt, t);
	if (rc == -ENOENT)
		return cli_failf(mnt, "not a famfs mount point");
	if (rc)
		return cli_fail(mnt, rc);
	fd = cli_mount_root_fd(t->mnt);
	if (fd < 0)
		return cli_fail(t->mnt, fd);
	rc = ioctl(fd, FAMFS_IOC_DAXDEVS, l);
	rc = rc < 0 ? errno : 0;
	close(fd);
	if (rc)
		return cli_failf(t->mnt, "%s", rc == ENOTTY ? "famfsd does not list devices "
				 "(an older famfsd)" : strerror(rc));
	return CLI_OK;
}

/* The table of the file system on device @dev, as found from this host. */
static int dev_list(const char *dev, struct famfs_daxdev_list *l)
{
	struct famfs_fs *fs;
	struct famfs_dev *d;
	int rc;

	famfs_errclear();
	rc = famfs_fs_open(dev, 0, &fs);
	if (rc)
		return cli_fail(dev, rc);
	memset(l, 0, sizeof(*l));
	l->version = FAMFS_DAXDEV_LIST_VERSION;
	l->ndevs = fs->devtab.ndevs;
	for (uint32_t i = 0; i < fs->devtab.ndevs; i++) {
		struct famfs_daxdev_wire *w = &l->dev[i];

		memcpy(w->uuid, fs->devtab.dev[i].uuid, 16);
		w->size = fs->devtab.span[i].size;
		w->free = famfs_alloc_free_bytes(&fs->alloc.dev[i]);
		w->log_index = fs->devtab.dev[i].log_index;
		d = famfs_fs_dev(fs, i);
		w->state = d ? FAMFS_DAXDEV_OK : FAMFS_DAXDEV_MISSING;
		if (d)
			snprintf(w->path, sizeof(w->path), "%.255s", d->path);
		else
			snprintf(w->why, sizeof(w->why), "%.159s", fs->dev_why[i]);
	}
	famfs_fs_close(fs);
	return CLI_OK;
}

/* ---- every famfs device of this host ---- */

struct scan_out {
	bool json;
	json_t *a;
	unsigned int n;
};

static int scan_one(void *ctx, const struct famfs_devfind_hit *h)
{
	struct scan_out *o = ctx;
	char fu[37], du[37];
	const char *role = famfs_omf_sb_is_secondary(h->sb) ? "secondary" : "primary";
	json_t *e;

	uuid_unparse(h->sb->uuid, fu);
	uuid_unparse(h->sb->dev_uuid, du);
	o->n++;
	if (!o->json) {
		printf("  %-9s %-36s %-36s %14" PRIu64 " ", role, fu, du, h->size);
		cli_fputs_esc(stdout, h->path);
		putchar('\n');
		return 0;
	}
	e = json_object();
	if (!e || cli_json_set_str(e, "path", h->path) ||
	    json_object_set_new(e, "role", json_string(role)) ||
	    json_object_set_new(e, "fs_uuid", json_string(fu)) ||
	    json_object_set_new(e, "uuid", json_string(du)) ||
	    cli_json_set_u64(e, "size", h->size) || json_array_append_new(o->a, e))
		return -ENOMEM;
	return 0;
}

static int scan_all(bool json)
{
	struct scan_out o = { .json = json };
	char where[1024];
	json_t *root = NULL;
	int rc;

	famfs_devfind_where(where, sizeof(where));
	if (json) {
		root = json_object();
		o.a = json_array();
		if (!root || !o.a || cli_json_set_str(root, "searched", where)) {
			json_decref(root);
			json_decref(o.a);
			return cli_json_print(NULL);
		}
	} else {
		printf("famfs devices in ");
		cli_fputs_esc(stdout, where);
		printf(":\n  %-9s %-36s %-36s %14s %s\n", "role", "file system", "device uuid",
		       "size", "path");
	}
	famfs_errclear();
	rc = famfs_devfind_scan(scan_one, &o, NULL);
	if (rc) {
		json_decref(root);
		json_decref(o.a);
		return cli_fail("scan", rc);
	}
	if (!json) {
		if (!o.n)
			printf("  (none)\n");
		return CLI_OK;
	}
	if (json_object_set_new(root, "devices", o.a)) {
		json_decref(root);
		root = NULL;
	}
	return cli_json_print(root);
}

/* ---- the sub-verbs ---- */

static int do_list(int argc, char **argv, bool json)
{
	struct famfs_daxdev_list *l;
	struct cli_target t;
	const char *arg = cli_device;
	struct stat st;
	bool is_mnt;
	int rc;

	if (argc > 1 || (cli_device && argc))
		return cli_usage("list takes at most one MNT or DEV");
	if (!arg && !argc)
		return scan_all(json);
	if (!arg)
		arg = argv[0];
	l = calloc(1, sizeof(*l));
	if (!l)
		return cli_fail(arg, -ENOMEM);
	is_mnt = !cli_device && !stat(arg, &st) && S_ISDIR(st.st_mode);
	rc = is_mnt ? mount_list(arg, l, &t) : dev_list(arg, l);
	if (rc == CLI_OK) {
		if (json)
			rc = json_list(is_mnt ? "mount" : "device", arg, l);
		else
			print_list(arg, l);
	}
	free(l);
	return rc;
}

static int do_resolve(int argc, char **argv)
{
	char path[PATH_MAX];
	uint8_t u[16];
	int rc;

	if (argc != 1)
		return cli_usage("resolve takes one UUID");
	if (uuid_parse(argv[0], u))
		return cli_usage("'%s' is not a uuid", argv[0]);
	famfs_errclear();
	rc = famfs_devfind_uuid(NULL, u, path, sizeof(path));
	if (rc)
		return cli_fail(argv[0], rc);
	cli_fputs_esc(stdout, path);
	putchar('\n');
	return CLI_OK;
}

static int do_refresh(int argc, char **argv, bool json)
{
	char hint[FAMFS_DAXDEV_NAME_MAX] = "", abs[PATH_MAX];
	struct famfs_daxdev_list *l;
	struct cli_target t;
	uint32_t missing = 0;
	int fd, rc, found;

	if (argc < 1 || argc > 2)
		return cli_usage("refresh takes MNT and an optional DEV");
	if (argc == 2) {
		if (!realpath(argv[1], abs))
			return cli_fail(argv[1], -errno);
		if (strlen(abs) >= sizeof(hint))
			return cli_fail(argv[1], -ENAMETOOLONG);
		memcpy(hint, abs, strlen(abs) + 1);
	}
	rc = cli_find_mount_exact(argv[0], &t);
	if (rc == -ENOENT)
		return cli_failf(argv[0], "not a famfs mount point");
	if (rc)
		return cli_fail(argv[0], rc);
	fd = cli_mount_root_fd(t.mnt);
	if (fd < 0)
		return cli_fail(t.mnt, fd);
	found = ioctl(fd, FAMFS_IOC_DAXDEV_REFRESH, hint);
	rc = found < 0 ? errno : 0;
	close(fd);
	if (rc)
		return cli_failf(t.mnt, "%s", rc == EPERM ? "only root may make famfsd look for "
				 "devices" : rc == ENOTTY ? "famfsd cannot look for devices (an "
				 "older famfsd)" : strerror(rc));
	l = calloc(1, sizeof(*l));
	if (!l)
		return cli_fail(t.mnt, -ENOMEM);
	rc = mount_list(t.mnt, l, &t);
	if (rc == CLI_OK) {
		if (!json)
			printf("found %d device%s\n", found, found == 1 ? "" : "s");
		rc = json ? json_list("mount", t.mnt, l) : (print_list(t.mnt, l), CLI_OK);
		for (uint32_t i = 0; i < l->ndevs && i < FAMFS_MAX_DAXDEVS; i++)
			missing += l->dev[i].state == FAMFS_DAXDEV_MISSING;
	}
	free(l);
	if (rc == CLI_OK && missing) {
		fflush(stdout);
		return cli_failf(t.mnt, "%u device%s still missing", missing,
				 missing == 1 ? " is" : "s are");
	}
	return rc;
}

int cmd_daxdev(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	bool json = false;
	const char *sub;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":jh", lopts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'h': return cli_help(help);
		default: return cli_getopt_error(c, argv);
		}
	}
	if (optind >= argc)
		return cli_usage("missing list, resolve or refresh");
	sub = argv[optind++];
	if (!strcmp(sub, "list"))
		return do_list(argc - optind, argv + optind, json);
	if (cli_device)
		return cli_usage("%s works without --device", sub);
	if (json && strcmp(sub, "refresh"))
		return cli_usage("--json goes with list and refresh");
	if (!strcmp(sub, "resolve"))
		return do_resolve(argc - optind, argv + optind);
	if (!strcmp(sub, "refresh"))
		return do_refresh(argc - optind, argv + optind, json);
	return cli_usage("'%s' is not list, resolve or refresh", sub);
}
