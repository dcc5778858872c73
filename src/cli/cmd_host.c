// SPDX-License-Identifier: Apache-2.0
/*
 * cmd_host.c - famfs host list and famfs host evict: the host table of a
 * file system with the rm feature (docs/rm.md, sections 7 and 8), the
 * reclaim horizon and the space it leaves pending, and the administrator's
 * way out when a host stops answering.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <uuid/uuid.h>

#include "famfs/err.h"
#include "famfs/fs.h"
#include "famfs/hosts.h"
#include "cli.h"

static const char help[] =
"usage: famfs host list [-j] DEV|MNT\n"
"       famfs host evict [-y] DEV|MNT UUID|SLOT...\n"
"       famfs --device DEV host list|evict ...\n"
"\n"
"The host table of a file system made with -O rm: every famfsd mount and\n"
"running famfs command, on any host, that can touch file memory. Memory of\n"
"a deleted file is reused only once every one of them has replayed past the\n"
"delete and no longer holds the file.\n"
"\n"
"list   one line per slot in use: slot, kind (famfsd or process), host uuid\n"
"       and name, pid, log entries replayed, the oldest delete still held,\n"
"       seconds since it last published, and its state. A famfsd silent\n"
"       for more than 10 s, or a record of this host whose owner is gone, is\n"
"       'not answering': it blocks reuse until it comes back (a remount on\n"
"       its host cleans its own dead records) or is evicted.\n"
"evict  free the slots of host UUID (every one of them) or the slot SLOT.\n"
"       THE ADMINISTRATOR'S RISK: if that host is alive and still maps a\n"
"       deleted file, its memory can be reused under it and the two files\n"
"       overwrite each other. An evicted famfsd refuses new opens (EIO)\n"
"       until it is remounted.\n"
"\n"
"  -j, --json      list as JSON\n"
"  -y, --yes       evict without asking\n"
"  -h, --help      this help\n";

static const char *kind_name(uint16_t k)
{
	return k == FAMFS_HOST_FAMFSD ? "famfsd" : k == FAMFS_HOST_PROCESS ? "process" : "?";
}

static const char *state_of(const struct famfs_host_slot *s)
{
	switch (s->state) {
	case FAMFS_SLOT_CLAIMED:
		return "claimed, no record";
	case FAMFS_SLOT_BAD:
		return "damaged record (blocks reuse)";
	default:
		return famfs_host_stale(s) ? "not answering" : "ok";
	}
}

/*
 * The path of the file deleted by log entry @index (a record's hold), so
 * that an administrator can find and stop the holder instead of evicting
 * the whole host; "" when the entry is not a committed DELETE.
 */
static const char *hold_path(struct famfs_fs *fs, uint64_t index,
			     char buf[FAMFS_OMF_PATH_MAX])
{
	struct famfs_omf_entry e;

	buf[0] = '\0';
	if (index == FAMFS_HOLD_NONE || index >= fs->next || famfs_log_read(fs->log, index, &e) ||
	    e.type != FAMFS_LOG_DELETE) {
		famfs_errclear();
		return buf;
	}
	snprintf(buf, FAMFS_OMF_PATH_MAX, "%s", e.del.relpath);
	return buf;
}

/* {"slot", "state", ...} of slot @s; NULL on no memory. */
static json_t *slot_json(struct famfs_fs *fs, const struct famfs_host_slot *s)
{
	const struct famfs_host_rec *r = &s->rec;
	json_t *o = json_object();
	char u[37] = "", path[FAMFS_OMF_PATH_MAX];
	bool bad;

	bad = !o || cli_json_set_u64(o, "slot", s->index) ||
	      json_object_set_new(o, "state", json_string(
			s->state == FAMFS_SLOT_ACTIVE ? (famfs_host_stale(s) ? "not answering" : "ok") :
			s->state == FAMFS_SLOT_CLAIMED ? "claimed" : "damaged"));
	if (!bad && s->state == FAMFS_SLOT_ACTIVE) {
		uuid_unparse(r->host_uuid, u);
		bad = json_object_set_new(o, "kind", json_string(kind_name(r->kind))) ||
		      json_object_set_new(o, "host_uuid", json_string(u)) ||
		      cli_json_set_str(o, "name", r->name) ||
		      cli_json_set_u64(o, "pid", r->pid) ||
		      cli_json_set_u64(o, "conn", r->conn) ||
		      json_object_set_new(o, "master",
					  json_boolean(r->flags & FAMFS_HOST_FL_MASTER)) ||
		      json_object_set_new(o, "this_host", json_boolean(s->local)) ||
		      cli_json_set_u64(o, "replayed", r->replayed) ||
		      (r->hold == FAMFS_HOLD_NONE ? json_object_set_new(o, "hold", json_null()) :
		       cli_json_set_u64(o, "hold", r->hold)) ||
		      (r->hold == FAMFS_HOLD_NONE ?
		       json_object_set_new(o, "hold_path", json_null()) :
		       cli_json_set_str(o, "hold_path", hold_path(fs, r->hold, path))) ||
		      cli_json_set_u64(o, "age", famfs_host_age(r)) ||
		      cli_json_set_str(o, "why", s->why);
	}
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static void print_slot(struct famfs_fs *fs, const struct famfs_host_slot *s)
{
	const struct famfs_host_rec *r = &s->rec;
	char u[37] = "", path[FAMFS_OMF_PATH_MAX];

	if (s->state == FAMFS_SLOT_ACTIVE)
		uuid_unparse(r->host_uuid, u);
	printf("%4u  ", s->index);
	if (s->state != FAMFS_SLOT_ACTIVE) {
		printf("%-7s  %-36s  %-12s %7s %9s %7s %6s  %s\n", "-", "-", "-", "-", "-", "-",
		       "-", state_of(s));
		return;
	}
	printf("%-7s  %-36s  %-12.12s %7u %9" PRIu64 " ", kind_name(r->kind), u, r->name,
	       r->pid, r->replayed);
	if (r->hold == FAMFS_HOLD_NONE)
		printf("%7s", "-");
	else
		printf("%7" PRIu64, r->hold);
	printf(" %5" PRIu64 "s  %s%s%s%s%s", famfs_host_age(r), state_of(s),
	       (r->flags & FAMFS_HOST_FL_MASTER) ? ", master" : "",
	       s->local ? ", this host" : "", s->why[0] ? ": " : "", s->why);
	if (r->hold != FAMFS_HOLD_NONE && hold_path(fs, r->hold, path)[0]) {
		fputs("; holds deleted ", stdout);
		cli_fputs_esc(stdout, path);
	}
	putchar('\n');
}

static int host_list(struct famfs_fs *fs, const char *dev, bool json)
{
	struct famfs_fs_space sp;
	struct famfs_host_slot s;
	json_t *o = NULL, *a = NULL;
	bool bad = false;
	int rc;

	famfs_errclear();
	rc = famfs_fs_space(fs, &sp);
	if (rc)
		return cli_fail(dev, rc);
	if (json) {
		o = json_object();
		a = json_array();
		bad = !o || !a || cli_json_set_str(o, "device", dev) ||
		      cli_json_set_u64(o, "slots", fs->hosts->blk.nslots) ||
		      cli_json_set_u64(o, "next_index", fs->next) ||
		      cli_json_set_u64(o, "horizon", sp.horizon) ||
		      cli_json_set_u64(o, "used", sp.used) ||
		      cli_json_set_u64(o, "pending", sp.pending) ||
		      cli_json_set_u64(o, "free", sp.free);
	} else {
		fputs("host table of ", stdout);
		cli_fputs_esc(stdout, dev);
		printf(": %u slots, %u in use (%u not answering); log next index %" PRIu64
		       ", reclaim horizon %" PRIu64 "\n", fs->hosts->blk.nslots, sp.hosts, sp.stale,
		       fs->next, sp.horizon);
		printf("space: used %" PRIu64 ", pending %" PRIu64 " (deleted, not yet reusable), "
		       "free %" PRIu64 "\n", sp.used, sp.pending, sp.free);
		printf("SLOT  KIND     HOST                                  NAME         "
		       "    PID  REPLAYED    HOLD    AGE  STATE\n");
	}
	for (unsigned int i = 0; i < fs->hosts->blk.nslots; i++) {
		if (famfs_hosts_read(fs->hosts, i, &s) || s.state == FAMFS_SLOT_FREE)
			continue;
		if (!json)
			print_slot(fs, &s);
		else if (!bad)
			bad = json_array_append_new(a, slot_json(fs, &s));
	}
	if (!json)
		return CLI_OK;
	bad = bad || json_object_set(o, "hosts", a);
	json_decref(a);
	if (bad) {
		json_decref(o);
		o = NULL;
	}
	return cli_json_print(o);
}

/* Slots that @id (a host uuid, or a slot number) names; 0 if none. */
static unsigned int pick(struct famfs_hosts *h, const char *id, bool *sel)
{
	struct famfs_host_slot s;
	uint8_t u[16];
	uint64_t slot;
	unsigned int n = 0;

	if (!uuid_parse(id, u)) {
		for (unsigned int i = 0; i < h->blk.nslots; i++) {
			if (famfs_hosts_read(h, i, &s) || s.state != FAMFS_SLOT_ACTIVE ||
			    memcmp(s.rec.host_uuid, u, 16))
				continue;
			sel[i] = true;
			n++;
		}
		return n;
	}
	if (cli_parse_uint(id, h->blk.nslots - 1, &slot))
		return 0;
	if (famfs_hosts_read(h, (unsigned int)slot, &s) || s.state == FAMFS_SLOT_FREE)
		return 0;
	sel[slot] = true;
	return 1;
}

static int host_evict(struct famfs_fs *fs, const char *dev, char **ids, int nids, bool yes)
{
	bool sel[FAMFS_HOSTS_NSLOTS] = { false };
	struct famfs_host_slot seen[FAMFS_HOSTS_NSLOTS];
	unsigned int n = 0, i, done = 0, skipped = 0;
	int rc;

	famfs_errclear();
	rc = famfs_fs_hosts(fs, true);
	if (rc)
		return cli_fail(dev, rc);
	for (int k = 0; k < nids; k++) {
		unsigned int got = pick(fs->hosts, ids[k], sel);

		if (!got)
			return cli_failf(ids[k], "no such host uuid or slot in use in the host table "
					 "of %s", dev);
		n += got;
	}
	printf("to evict from the host table of %s:\n", dev);
	/* What is shown is what gets evicted: famfs_hosts_evict compares. */
	for (i = 0; i < fs->hosts->blk.nslots; i++) {
		if (sel[i] && (famfs_hosts_read(fs->hosts, i, &seen[i]) ||
			       seen[i].state == FAMFS_SLOT_FREE)) {
			sel[i] = false;
			n--;
		}
		if (sel[i])
			print_slot(fs, &seen[i]);
	}
	if (!n)
		return cli_failf(dev, "the hosts named left the host table meanwhile");
	printf("If a host evicted here is alive and still maps a deleted file, that memory can\n"
	       "be reused under it. This is your decision and your risk.\n");
	fflush(stdout);
	if (!cli_confirm("evict these records", yes))
		return CLI_FAIL;
	for (i = 0; i < fs->hosts->blk.nslots; i++) {
		if (!sel[i])
			continue;
		famfs_errclear();
		rc = famfs_hosts_evict(fs->hosts, &seen[i]);
		if (rc == -ESTALE) {
			fprintf(stderr, "famfs host: %s\n", famfs_errmsg());
			skipped++;
			continue;
		}
		if (rc)
			return cli_fail(dev, rc);
		done++;
	}
	printf("evicted %u record%s\n", done, done == 1 ? "" : "s");
	return skipped ? CLI_FAIL : CLI_OK;
}

int cmd_host(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "yes", no_argument, NULL, 'y' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	bool json = false, yes = false, list, is_mnt;
	struct famfs_fs *fs = NULL;
	char dev[4096];
	const char *sub;
	int c, rc, first;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:jyh", lopts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'y': yes = true; break;
		case 'h': return cli_help(help);
		default: return cli_getopt_error(c, argv);
		}
	}
	if (optind >= argc)
		return cli_usage("missing list or evict");
	sub = argv[optind++];
	if (strcmp(sub, "list") && strcmp(sub, "evict"))
		return cli_usage("unknown host command '%s' (list or evict)", sub);
	list = !strcmp(sub, "list");
	while ((c = getopt_long(argc, argv, ":jyh", lopts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'y': yes = true; break;
		case 'h': return cli_help(help);
		default: return cli_getopt_error(c, argv);
		}
	}
	if (cli_device) {
		snprintf(dev, sizeof(dev), "%s", cli_device);
		first = optind;
	} else {
		if (optind >= argc)
			return cli_usage("missing DEV or MNT");
		if (cli_dev_or_mount(argv[optind], dev, sizeof(dev), &is_mnt))
			return CLI_FAIL;
		first = optind + 1;
	}
	if (list && first != argc)
		return cli_usage("host list takes one DEV or MNT");
	if (!list && first >= argc)
		return cli_usage("missing UUID or SLOT to evict");
	famfs_errclear();
	rc = famfs_fs_open(dev, 0, &fs);
	if (rc)
		return cli_fail(dev, rc);
	if (!fs->rm) {
		rc = cli_failf(dev, "this file system does not have the rm feature: it has no host "
			       "table");
	} else {
		rc = list ? host_list(fs, dev, json) : host_evict(fs, dev, argv + first, argc - first,
								  yes);
	}
	famfs_fs_close(fs);
	return rc;
}
