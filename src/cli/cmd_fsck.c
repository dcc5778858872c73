// SPDX-License-Identifier: Apache-2.0
/*
 * cmd_fsck.c - famfs fsck: a read-only check of an image (superblock, log,
 * allocations, namespace) with a capacity summary, as text or JSON.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <uuid/uuid.h>

#include "famfs/dev.h"
#include "famfs/devperm.h"
#include "famfs/err.h"
#include "famfs/fsck.h"
#include "famfs/log.h"
#include "famfs/role.h"
#include "cli.h"

static const char help[] =
"usage: famfs fsck [-v] [--json] [DEV|MNT]\n"
"       famfs --device DEV fsck [-v] [--json]\n"
"\n"
"Check a famfs image without changing it: the superblock, the log header,\n"
"every log entry (sequence number, CRC, type, path), extent alignment and\n"
"bounds, space allocated twice, and the namespace. Each problem is printed,\n"
"then a summary (superblock, log entries used and free, the slots reserved\n"
"for root, files, directories, capacity, used and free space). A mount\n"
"point names its device, and its famfsd says how many slots it reserves\n"
"(famfsd -o reserve=); for a device fsck shows the default, 5% of the log.\n"
"\n"
"  -v, --verbose   also print informational notes\n"
"  -j, --json      print the problems and the summary as JSON\n"
"  -h, --help      this help\n"
"\n"
"Exit status: 0 clean, 1 any error (including a bad entry CRC) or the image\n"
"cannot be checked, 2 bad usage.\n"
"\n"
"Example:\n"
"  famfs fsck /dev/shm/famfs0\n"
"  famfs fsck --json /mnt/famfs\n";

struct problem {
	enum famfs_fsck_sev sev;
	char *msg;
};

struct fsck_ctx {
	bool verbose, json;
	struct problem *p;
	size_t n, cap;
	char first_error[512];
};

static const char *sev_name(enum famfs_fsck_sev s)
{
	return s == FAMFS_FSCK_ERROR ? "error" : s == FAMFS_FSCK_WARN ? "warning" : "info";
}

static void on_problem(void *ctx, enum famfs_fsck_sev sev, const char *msg)
{
	struct fsck_ctx *c = ctx;

	if (sev == FAMFS_FSCK_ERROR && !c->first_error[0])
		snprintf(c->first_error, sizeof(c->first_error), "%s", msg);
	if (!c->json) {
		if (sev != FAMFS_FSCK_INFO || c->verbose) {
			printf("%s: ", sev_name(sev));
			cli_fputs_esc(stdout, msg);
			putchar('\n');
		}
		return;
	}
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		struct problem *np = realloc(c->p, cap * sizeof(*np));

		if (!np)
			return;
		c->p = np;
		c->cap = cap;
	}
	c->p[c->n].sev = sev;
	c->p[c->n].msg = strdup(msg ? msg : "");
	if (c->p[c->n].msg)
		c->n++;
}

/*
 * The log slots a mount's famfsd reserves for root (-o reserve=), which
 * may differ from the default that fsck of a device assumes. True if read.
 */
static bool mount_reserve(const char *mnt, uint64_t *out)
{
	char buf[32], *end;
	ssize_t n;

	n = getxattr(mnt, "user.famfs.reserve", buf, sizeof(buf) - 1);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	errno = 0;
	*out = strtoull(buf, &end, 10);
	return !errno && end != buf && !*end;
}

/* Free space: neither live files nor deleted memory still held. */
static uint64_t fsck_free(const struct famfs_fsck_result *r)
{
	return r->dev_size - r->used_bytes - r->pending_bytes;
}

/* Free log slots that callers other than root may take. */
static uint64_t user_free(const struct famfs_fsck_result *r)
{
	return r->log_free > r->log_reserved ? r->log_free - r->log_reserved : 0;
}

static void print_text(const char *dev, const struct famfs_log *log,
		       const struct famfs_fsck_result *r, const char *rsv_by)
{
	char u[37], s[37];

	fputs("famfs superblock on ", stdout);
	cli_fputs_esc(stdout, dev);
	putchar('\n');
	if (log) {
		uuid_unparse(log->sb.uuid, u);
		uuid_unparse(log->sb.system_uuid, s);
		printf("  uuid:          %s\n", u);
		printf("  master system: %s (this host: %s)\n", s, famfs_role_name(log->role));
		printf("  version:       %" PRIu64 " (omf %u.%u)\n", log->sb.version,
		       log->sb.omf_major, log->sb.omf_minor);
		printf("  log:           offset %#" PRIx64 " length %#" PRIx64 "\n",
		       log->sb.log_offset, log->sb.log_len);
	}
	printf("  log entries:   %" PRIu64 " used, %" PRIu64 " free, %" PRIu64 " slots\n",
	       r->entries, r->log_free, r->log_slots);
	printf("  log reserve:   %" PRIu64 " slots for root (%s), %" PRIu64
	       " free to other users\n", r->log_reserved,
	       strcmp(rsv_by, "mount") ? "the default" : "the mount's", user_free(r));
	printf("  files:         %" PRIu64 "\n", r->files);
	printf("  directories:   %" PRIu64 "\n", r->dirs);
	printf("  capacity:      %" PRIu64 " (%.2f GiB)\n", r->dev_size,
	       r->dev_size / 1073741824.0);
	printf("  used:          %" PRIu64 " (%.2f GiB)\n", r->used_bytes,
	       r->used_bytes / 1073741824.0);
	if (r->rm)
		printf("  pending:       %" PRIu64 " (%.2f GiB): deleted, not yet reusable\n",
		       r->pending_bytes, r->pending_bytes / 1073741824.0);
	printf("  free:          %" PRIu64 " (%.2f GiB)\n", fsck_free(r),
	       fsck_free(r) / 1073741824.0);
	if (r->rm)
		printf("  rm:            %" PRIu64 " deletes; %u hosts registered, %u not "
		       "answering\n", r->deletes, r->hosts, r->stale_hosts);
	printf("  collisions:    %" PRIu64 "\n", r->collisions);
	printf("  bad entries:   %" PRIu64 "\n", r->bad_entries);
	printf("  result:        %" PRIu64 " errors, %" PRIu64 " warnings\n", r->errors,
	       r->warnings);
}

/* [{"severity", "message"}...] of the problems found; NULL on no memory. */
static json_t *problems_json(const struct fsck_ctx *c)
{
	json_t *a = json_array(), *e;

	for (size_t i = 0; a && i < c->n; i++) {
		e = json_object();
		if (!e || json_object_set_new(e, "severity", json_string(sev_name(c->p[i].sev))) ||
		    cli_json_set_str(e, "message", c->p[i].msg) || json_array_append_new(a, e)) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/* Set @o[@key] to the new value @v (stolen); true when anything failed. */
static bool set_new(json_t *o, const char *key, json_t *v)
{
	return !o || !v || json_object_set_new(o, key, v);
}

static int print_json(const char *dev, const struct famfs_log *log,
		      const struct famfs_fsck_result *r, const struct fsck_ctx *c,
		      const char *rsv_by)
{
	json_t *o = json_object(), *sb, *lg;
	char u[37], s[37];
	bool bad = !o;

	bad = bad || cli_json_set_str(o, "device", dev) ||
	      set_new(o, "clean", json_boolean(!r->errors));
	if (log && !bad) {
		uuid_unparse(log->sb.uuid, u);
		uuid_unparse(log->sb.system_uuid, s);
		sb = json_object();
		bad = set_new(sb, "uuid", json_string(u)) ||
		      set_new(sb, "system_uuid", json_string(s)) ||
		      set_new(sb, "role", json_string(famfs_role_name(log->role))) ||
		      cli_json_set_u64(sb, "version", log->sb.version) ||
		      cli_json_set_u64(sb, "log_offset", log->sb.log_offset) ||
		      cli_json_set_u64(sb, "log_len", log->sb.log_len) ||
		      set_new(o, "superblock", sb);
	}
	if (!bad) {
		lg = json_object();
		bad = !lg || cli_json_set_u64(lg, "slots", r->log_slots) ||
		      cli_json_set_u64(lg, "used", r->entries) ||
		      cli_json_set_u64(lg, "free", r->log_free) ||
		      cli_json_set_u64(lg, "reserved", r->log_reserved) ||
		      set_new(lg, "reserved_by", json_string(rsv_by)) ||
		      cli_json_set_u64(lg, "user_free", user_free(r)) ||
		      cli_json_set_u64(lg, "bad_entries", r->bad_entries) ||
		      set_new(o, "log", lg);
	}
	bad = bad || cli_json_set_u64(o, "files", r->files) ||
	      cli_json_set_u64(o, "dirs", r->dirs) ||
	      cli_json_set_u64(o, "capacity", r->dev_size) ||
	      cli_json_set_u64(o, "used", r->used_bytes) ||
	      cli_json_set_u64(o, "pending", r->pending_bytes) ||
	      cli_json_set_u64(o, "free", fsck_free(r));
	if (r->rm && !bad) {
		json_t *rm = json_object();

		bad = !rm || cli_json_set_u64(rm, "deletes", r->deletes) ||
		      cli_json_set_u64(rm, "hosts", r->hosts) ||
		      cli_json_set_u64(rm, "stale_hosts", r->stale_hosts) ||
		      set_new(o, "rm", rm);
	}
	bad = bad || cli_json_set_u64(o, "collisions", r->collisions) ||
	      cli_json_set_u64(o, "errors", r->errors) ||
	      cli_json_set_u64(o, "warnings", r->warnings) ||
	      set_new(o, "problems", problems_json(c));
	if (bad) {
		json_decref(o);
		o = NULL;
	}
	return cli_json_print(o);
}

/*
 * The image cannot be checked: with --json print an object saying why (and
 * any problems found so far); always the one-line error on stderr.
 */
static int fsck_fatal(const char *dev, int rc, const struct fsck_ctx *c)
{
	const char *m = famfs_errmsg();
	char msg[1024];

	snprintf(msg, sizeof(msg), "%s", m && *m ? m : strerror(-rc));
	if (c->json) {
		json_t *o = json_object();

		if (!o || cli_json_set_str(o, "device", dev) ||
		    set_new(o, "clean", json_boolean(false)) ||
		    cli_json_set_str(o, "error", msg) || set_new(o, "problems", problems_json(c))) {
			json_decref(o);
			o = NULL;
		}
		cli_json_print(o);
	}
	famfs_errclear();
	return cli_failf(dev, "%s", msg);
}

int cmd_fsck(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "verbose", no_argument, NULL, 'v' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct fsck_ctx fc = { 0 };
	struct famfs_fsck_result res = { 0 };
	struct famfs_log *log = NULL;
	struct famfs_dev *dev = NULL;
	char devpath[4096], pmsg[512];
	const char *rsv_by = "default";
	bool is_mnt = false;
	int c, rc, ret;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":vjh", lopts, NULL)) != -1) {
		switch (c) {
		case 'v': fc.verbose = true; break;
		case 'j': fc.json = true; break;
		case 'h': return cli_help(help);
		default: return cli_getopt_error(c, argv);
		}
	}
	if (cli_device) {
		if (optind != argc)
			return cli_usage("no DEV|MNT argument with --device");
		snprintf(devpath, sizeof(devpath), "%s", cli_device);
	} else {
		if (optind + 1 != argc)
			return cli_usage(optind >= argc ? "missing DEV or MNT" :
					 "exactly one DEV or MNT expected");
		if (cli_dev_or_mount(argv[optind], devpath, sizeof(devpath), &is_mnt))
			return CLI_FAIL;
	}
	famfs_errclear();
	rc = famfs_dev_open(devpath, false, &dev);
	if (rc)
		return fsck_fatal(devpath, rc, &fc);
	famfs_errclear();
	rc = famfs_fsck(dev, on_problem, &fc, &res);
	if (!rc && famfs_dev_check_perms(devpath, pmsg, sizeof(pmsg)) == FAMFS_DEVPERM_WARN) {
		res.warnings++;
		on_problem(&fc, FAMFS_FSCK_WARN, pmsg);
	}
	if (rc) {
		ret = fsck_fatal(devpath, rc, &fc);
		goto out;
	}
	famfs_errclear();
	if (famfs_log_open(dev, &log))
		log = NULL;
	famfs_errclear();
	if (is_mnt && mount_reserve(argv[optind], &res.log_reserved))
		rsv_by = "mount";
	if (fc.json) {
		ret = print_json(devpath, log, &res, &fc, rsv_by);
	} else {
		print_text(devpath, log, &res, rsv_by);
		ret = CLI_OK;
	}
	if (ret == CLI_OK && res.errors) {
		fflush(stdout);
		ret = cli_failf(devpath, "%" PRIu64 " error%s; first: %s", res.errors,
				res.errors == 1 ? "" : "s",
				fc.first_error[0] ? fc.first_error : "(none reported)");
	}
out:
	if (log)
		famfs_log_close(log);
	famfs_dev_close(dev);
	for (size_t i = 0; i < fc.n; i++)
		free(fc.p[i].msg);
	free(fc.p);
	return ret;
}
