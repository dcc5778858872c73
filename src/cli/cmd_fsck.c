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
#include "famfs/devfind.h"
#include "famfs/devperm.h"
#include "famfs/err.h"
#include "famfs/fsck.h"
#include "famfs/log.h"
#include "famfs/omf.h"
#include "famfs/role.h"
#include "cli.h"

static const char help[] =
"usage: famfs fsck [-v] [-h] [-B NBUCKETS] [-f] [--json] DEV|MNT\n"
"       famfs --device DEV fsck [-v] [-h] [-B NBUCKETS] [--json]\n"
"\n"
"Check a famfs image without changing it: the superblock, the log header,\n"
"every log entry (sequence number, CRC, type, path), extent alignment and\n"
"bounds, space allocated twice, and the namespace. Each problem is printed,\n"
"then a summary in upstream famfs's layout (Famfs Superblock:, Log stats:,\n"
"Capacity:, Famfs log:, and with -v Verbose:), with the log slots reserved\n"
"for root added to Log stats. A mount point names its device, and its\n"
"famfsd says how many slots it reserves (famfsd -o reserve=); for a device\n"
"fsck shows the default, 5% of the log. A DEV that is mounted on this\n"
"machine is refused (check the mount point instead), unless -f.\n"
"\n"
"A file system of several devices is checked whole: each device is found\n"
"on this host by its uuid (see famfs daxdev), its superblock checked, and\n"
"the summary lists each device's size and use. Given a secondary device,\n"
"fsck finds its primary (which holds the log) and checks that.\n"
"\n"
"  -v, --verbose        also print the Verbose: section and informational\n"
"                       notes (repeatable)\n"
"  -h, --human          sizes in GiB in the Capacity: section\n"
"  -B, --nbuckets N     also print how full each of N buckets is (1..64),\n"
"                       the buckets interleaved allocation uses\n"
"  -f, --force          check DEV even though it is mounted\n"
"  -j, --json           print the problems and the summary as JSON\n"
"      --fuse           accepted: famfs mounts are always FUSE here\n"
"  -F, --nofuse         upstream's standalone kernel famfs: refused unless\n"
"                       this kernel has the famfs module (docs/kernel.md)\n"
"  -?, --help           this help\n"
"\n"
"Exit status: 0 clean, 1 any error (including a bad entry CRC), the image\n"
"cannot be checked or DEV is mounted, 2 bad usage.\n"
"\n"
"Example:\n"
"  famfs fsck /dev/shm/famfs0\n"
"  famfs fsck -v -h /mnt/famfs\n"
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

/* Each device of a file system of several: where, how big, how full. */
static void print_devices(const struct famfs_fsck_result *r)
{
	char u[37];

	if (r->ndevs < 2)
		return;
	printf("\nDevices:\n");
	printf("  devices:       %u\n", r->ndevs);
	for (uint32_t i = 0; i < r->ndevs; i++) {
		const struct famfs_fsck_dev *d = &r->devs[i];

		uuid_unparse(d->uuid, u);
		printf("    device %-2u    %s %" PRIu64 " bytes, used %" PRIu64 " (%.2f GiB), ",
		       i, i ? "secondary" : "primary  ", d->size, d->used_bytes,
		       d->used_bytes / 1073741824.0);
		if (r->rm)
			printf("pending %" PRIu64 ", ", d->pending_bytes);
		printf("free %" PRIu64 ", uuid %s, ", d->size - d->used_bytes - d->pending_bytes, u);
		if (d->found)
			cli_fputs_esc(stdout, d->path);
		else
			fputs(d->path[0] ? "not usable" : "not found", stdout);
		putchar('\n');
	}
}

/* [{index, uuid, path, size, used, pending, free, found}...]; NULL on no memory. */
static json_t *devices_json(const struct famfs_fsck_result *r)
{
	json_t *a = json_array(), *e;
	char u[37];

	for (uint32_t i = 0; a && i < r->ndevs; i++) {
		const struct famfs_fsck_dev *d = &r->devs[i];

		uuid_unparse(d->uuid, u);
		e = json_object();
		if (!e || cli_json_set_u64(e, "index", i) ||
		    json_object_set_new(e, "uuid", json_string(u)) ||
		    cli_json_set_str(e, "path", d->path) ||
		    cli_json_set_u64(e, "size", d->size) ||
		    cli_json_set_u64(e, "used", d->used_bytes) ||
		    cli_json_set_u64(e, "pending", d->pending_bytes) ||
		    cli_json_set_u64(e, "free", d->size - d->used_bytes - d->pending_bytes) ||
		    json_object_set_new(e, "found", json_boolean(d->found)) ||
		    json_array_append_new(a, e)) {
			json_decref(e);
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/* A byte count as upstream prints it: bytes, or GiB with -h. */
static void print_size(const char *label, uint64_t v, bool human)
{
	if (human)
		printf("  %-24s%0.2fG\n", label, v / 1073741824.0);
	else
		printf("  %-24s%" PRIu64 "\n", label, v);
}

/*
 * The summary, in upstream famfs's layout and labels (scripts grep them),
 * with our extra lines added where they break nothing.
 */
static void print_text(const char *dev, const struct famfs_log *log,
		       const struct famfs_fsck_result *r, const char *rsv_by, bool human,
		       int verbose)
{
	/* allocated: every unit in the bitmap not free, deleted ones included */
	uint64_t alloc = r->bitmap_bytes - fsck_free(r);
	char u[37];

	if (r->bitmap_bytes < fsck_free(r))
		alloc = 0;
	printf("Famfs Superblock:\n");
	if (log) {
		const struct famfs_omf_sb *sb = &log->sb;

		uuid_unparse(sb->uuid, u);
		printf("  Filesystem UUID:   %s\n", u);
		uuid_unparse(sb->dev_uuid, u);
		printf("  Device UUID:       %s\n", u);
		uuid_unparse(sb->system_uuid, u);
		printf("  System UUID:       %s\n", u);
		printf("  role of this node: %s\n",
		       log->role == FAMFS_ROLE_MASTER ? "Owner" : "Client");
		printf("  alloc_unit:        %#" PRIx64 "\n", sb->alloc_unit);
		printf("  OMF major version: %u\n", sb->omf_major);
		printf("  OMF minor version: %u\n", sb->omf_minor);
		printf("  sizeof superblock: %d\n", FAMFS_SB_SIZE);
		printf("  log size (bytes):  %" PRIu64 "\n", sb->log_len);
		fputs("  primary: ", stdout);
		cli_fputs_esc(stdout, sb->daxdev);
		printf("   %" PRIu64 "\n", sb->dev_size);
		fputs("  checked device:    ", stdout);
		cli_fputs_esc(stdout, dev);
		putchar('\n');
	}
	printf("\nLog stats:\n");
	printf("  # of log entries in use: %" PRIu64 " of %" PRIu64 "\n", r->entries,
	       r->log_slots);
	printf("  Log size in use:          %" PRIu64 "\n",
	       (uint64_t)FAMFS_LOG_HDR_SIZE + r->entries * FAMFS_LOG_ENTRY_SIZE);
	if (log)
		printf("  Log size (total bytes)    %" PRIu64 "\n", log->sb.log_len);
	printf("  Log slots reserved:       %" PRIu64 " for root (%s), %" PRIu64
	       " free to other users\n", r->log_reserved,
	       strcmp(rsv_by, "mount") ? "the default" : "the mount's", user_free(r));
	if (r->collisions)
		printf("ERROR: %" PRIu64 " ALLOCATION COLLISIONS FOUND\n", r->collisions);
	else
		printf("  No allocation errors found\n");
	printf("\nCapacity:\n");
	print_size("Device capacity:", r->dev_size, human);
	print_size("Bitmap capacity:", r->bitmap_bytes, human);
	print_size("Sum of file sizes:", r->file_bytes, human);
	print_size(human ? "Allocated space:" : "Allocated bytes:", alloc, human);
	print_size("Free space:", r->bitmap_bytes - alloc, human);
	if (r->rm)
		print_size("Pending (deleted):", r->pending_bytes, human);
	printf("  Space amplification:     %0.2f\n",
	       r->file_bytes ? (double)alloc / (double)r->file_bytes : 0.0);
	printf("  Percent used:            %.1f%%\n",
	       r->bitmap_bytes ? 100.0 * (double)alloc / (double)r->bitmap_bytes : 0.0);
	for (unsigned int i = 0; i < r->nbuckets; i++) {
		if (!i)
			printf("  Buckets (%u of %" PRIu64 " bytes):\n", r->nbuckets,
			       r->bucket_units * (uint64_t)(log ? log->sb.alloc_unit : FAMFS_ALLOC_UNIT));
		printf("    bucket %2u: %5.1f%% used (%" PRIu64 " of %" PRIu64 " units)\n", i,
		       r->bucket_units ? 100.0 * (double)r->bucket_used[i] /
		       (double)r->bucket_units : 0.0, r->bucket_used[i], r->bucket_units);
	}
	print_devices(r);
	printf("\nFamfs log:\n");
	printf("  %" PRIu64 " of %" PRIu64 " entries used\n", r->entries, r->log_slots);
	printf("  %" PRIu64 " bad log entries detected\n", r->bad_entries);
	printf("  %" PRIu64 " files\n", r->files);
	printf("  %" PRIu64 " directories\n", r->dirs_logged);
	if (r->rm)
		printf("  %" PRIu64 " deletes; %u hosts registered, %u not answering\n",
		       r->deletes, r->hosts, r->stale_hosts);
	printf("  result: %" PRIu64 " errors, %" PRIu64 " warnings\n\n", r->errors,
	       r->warnings);
	if (verbose && log) {
		printf("Verbose:\n");
		printf("  log_offset:        %" PRIu64 "\n", log->sb.log_offset);
		printf("  log_len:           %" PRIu64 "\n", log->sb.log_len);
		printf("  sizeof(log header) %d\n", FAMFS_LOG_HDR_SIZE);
		printf("  sizeof(log_entry)  %d\n", FAMFS_LOG_ENTRY_SIZE);
		printf("  last_log_index:    %" PRIu64 "\n", r->log_slots - 1);
		printf("  usable log size:   %" PRIu64 "\n",
		       (uint64_t)FAMFS_LOG_HDR_SIZE + r->log_slots * FAMFS_LOG_ENTRY_SIZE);
		printf("  version:           %" PRIu64 "\n", log->sb.version);
		printf("  mkfs time:         %" PRIu32 "\n", r->mkfs_time);
		printf("\n");
	}
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
	      cli_json_set_u64(o, "free", fsck_free(r)) ||
	      set_new(o, "devices", devices_json(r));
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
	/* the library's detail often starts with the path already */
	if (!strncmp(msg, dev, strlen(dev)) && msg[strlen(dev)] == ':')
		return cli_failf(NULL, "%s", msg);
	return cli_failf(dev, "%s", msg);
}

/*
 * A secondary device names its file system, whose log is on the primary:
 * find the primary on this host and check that (in @dev on return).
 */
static int to_primary(char *dev, size_t len, bool json)
{
	char primary[4096], u[37];
	struct famfs_omf_sb sb;
	uint64_t size;
	int rc;

	famfs_errclear();
	if (famfs_devfind_read_sb(dev, &sb, &size) || !famfs_omf_sb_is_secondary(&sb)) {
		famfs_errclear();
		return CLI_OK;		/* not a secondary: checked as it is */
	}
	uuid_unparse(sb.uuid, u);
	rc = famfs_devfind_primary(sb.uuid, primary, sizeof(primary));
	if (rc)
		return cli_failf(dev, "a secondary device of famfs %s, whose primary is not "
				 "found here: %s", u, famfs_errmsg());
	if (!json) {
		cli_fputs_esc(stdout, dev);
		printf(": a secondary device of famfs %s; checking its primary ", u);
		cli_fputs_esc(stdout, primary);
		printf("\n");
	}
	snprintf(dev, len, "%s", primary);
	return CLI_OK;
}
#define OPT_FUSE	256

int cmd_fsck(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "verbose", no_argument, NULL, 'v' },
		{ "human", no_argument, NULL, 'h' },
		{ "nbuckets", required_argument, NULL, 'B' },
		{ "force", no_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "fuse", no_argument, NULL, OPT_FUSE },
		{ "nofuse", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'H' },
		{ 0 }
	};
	struct fsck_ctx fc = { 0 };
	struct famfs_fsck_result res = { 0 };
	struct famfs_log *log = NULL;
	struct famfs_dev *dev = NULL;
	struct cli_target t;
	char devpath[4096], pmsg[512];
	const char *rsv_by = "default";
	bool is_mnt = false, human = false, force = false;
	unsigned int nbuckets = 0;
	uint64_t v;
	int c, rc, ret;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":vhB:fjF", lopts, NULL)) != -1) {
		switch (c) {
		case 'v': fc.verbose = true; cli_verbose++; break;
		case 'h': human = true; break;
		case 'B':
			if (cli_parse_uint(optarg, FAMFS_MAX_NBUCKETS, &v) || !v)
				return cli_usage("bad bucket count '%s' (1..%d)", optarg,
						 FAMFS_MAX_NBUCKETS);
			nbuckets = (unsigned int)v;
			break;
		case 'f': force = true; break;
		case 'j': fc.json = true; break;
		case OPT_FUSE:
		case 'F':
			if (cli_mode_flag(c == 'F'))
				return CLI_FAIL;
			break;
		case 'H': return cli_help(help);
		default: return cli_getopt_error(c, argv);
		}
	}
	if (cli_device) {
		if (optind != argc)
			return cli_usage("no DEV|MNT argument with --device");
		snprintf(devpath, sizeof(devpath), "%s", cli_device);
		if (to_primary(devpath, sizeof(devpath), fc.json))
			return CLI_FAIL;
	} else {
		if (optind + 1 != argc)
			return cli_usage(optind >= argc ? "missing DEV or MNT" :
					 "exactly one DEV or MNT expected");
		if (cli_dev_or_mount(argv[optind], devpath, sizeof(devpath), &is_mnt))
			return CLI_FAIL;
		/* A secondary device: its primary, then mounted or not as any. */
		if (!is_mnt && to_primary(devpath, sizeof(devpath), fc.json))
			return CLI_FAIL;
		/* As upstream: a mounted device is checked through its mount. */
		if (!is_mnt && !force && cli_find_dev_mount(devpath, &t) == 0)
			return cli_failf(devpath, "is mounted at %s; check the mount point "
					 "(famfs fsck %s), or use -f", t.mnt, t.mnt);
	}
	famfs_errclear();
	rc = famfs_dev_open(devpath, false, &dev);
	if (rc)
		return fsck_fatal(devpath, rc, &fc);
	famfs_errclear();
	rc = famfs_fsck_buckets(dev, nbuckets, on_problem, &fc, &res);
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
		print_text(devpath, log, &res, rsv_by, human, cli_verbose);
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
