// SPDX-License-Identifier: Apache-2.0
/*
 * cmd_stats.c - famfs stats and famfs poison: famfsd's control ioctls on
 * the mount root.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "famfs/err.h"
#include "famfs/ioctl.h"
#include "cli.h"

static const char stats_help[] =
"usage: famfs stats [--json] [-v] MNT\n"
"\n"
"Print famfsd's counters for the mount MNT: requests by operation, bytes\n"
"read and written through FUSE, log catch-ups (count, entries, time), the\n"
"time to replay the log at mount, the log's next index and EIO replies.\n"
"\n"
"  -j, --json      print JSON; operation counts are under \"ops\", keyed by\n"
"                  lower-case name (\"lookup\", \"get_fmap\", ...)\n"
"  -v, --verbose   also list the operations that were never asked for\n"
"  -?, --help      this help\n"
"\n"
"Example:\n"
"  famfs stats --json /mnt/famfs\n";

static const char poison_help[] =
"usage: famfs poison [-v] MNT DEVINDEX\n"
"\n"
"Mark device DEVINDEX of the mount MNT as failed, as after a memory error.\n"
"From then on every access to its files fails (EIO or EHWPOISON). The mark\n"
"lasts until famfsd exits. For testing error handling.\n"
"\n"
"  -v, --verbose   also name the device the mount serves\n"
"  -?, --help      this help\n"
"\n"
"Example:\n"
"  famfs poison /mnt/famfs 0\n";

/*
 * Open the root of the mount holding @path and run @cmd; 0, or 1 after
 * printing the error. @einval says what EINVAL means for @cmd (or NULL).
 */
static int root_ioctl(const char *path, unsigned long cmd, void *arg, struct cli_target *t,
		      const char *einval)
{
	int fd, rc;

	if (cli_target(path, t))
		return 1;
	fd = cli_mount_root_fd(t->mnt);
	if (fd < 0) {
		cli_fail(t->mnt, fd);
		return 1;
	}
	rc = ioctl(fd, cmd, arg);
	if (rc < 0) {
		rc = errno;
		close(fd);
		cli_failf(t->mnt, "%s", rc == ENOTTY ? "famfsd does not support this ioctl" :
			  rc == EINVAL && einval ? einval : strerror(rc));
		return 1;
	}
	close(fd);
	return 0;
}

static int simple_opts(int argc, char **argv, const char *help, int *ret)
{
	static const struct option lopts[] = {
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":vh", lopts, NULL)) != -1) {
		if (c == 'v') {
			cli_verbose++;
			continue;
		}
		*ret = c == 'h' ? cli_help(help) : cli_getopt_error(c, argv);
		return 1;
	}
	if (cli_device) {
		*ret = cli_usage("works on a mount, not with --device");
		return 1;
	}
	return 0;
}

/* The --json object: mount, version, ops by name, then the totals. */
static json_t *stats_json(const struct cli_target *t, const struct famfs_stats_wire *s,
			  uint64_t nops)
{
	json_t *o = json_object(), *ops = json_object();
	bool bad = !o || !ops;

	bad = bad || cli_json_set_str(o, "mount", t->mnt) ||
	      cli_json_set_u64(o, "version", s->version);
	for (uint64_t i = 0; !bad && i < nops; i++) {
		const char *name = famfs_op_name((unsigned int)i);

		if (name)
			bad = cli_json_set_u64(ops, name, s->ops[i]);
	}
	bad = bad || json_object_set(o, "ops", ops) ||
	      cli_json_set_u64(o, "bytes_read", s->bytes_read) ||
	      cli_json_set_u64(o, "bytes_written", s->bytes_written) ||
	      cli_json_set_u64(o, "catchups", s->catchups) ||
	      cli_json_set_u64(o, "catchup_entries", s->catchup_entries) ||
	      json_object_set_new(o, "catchup_ms", json_real(s->catchup_ns / 1e6)) ||
	      json_object_set_new(o, "mount_replay_ms", json_real(s->mount_replay_ns / 1e6)) ||
	      cli_json_set_u64(o, "log_next_index", s->log_next_index) ||
	      cli_json_set_u64(o, "errors_eio", s->errors_eio) ||
	      cli_json_set_u64(o, "daxdev_failed", s->daxdev_failed);
	if (!bad && (s->rm_flags & FAMFS_STATS_RM_ON)) {
		json_t *rm = json_object();

		bad = !rm || cli_json_set_u64(rm, "held", s->rm_held) ||
		      cli_json_set_u64(rm, "pending", s->rm_pending) ||
		      cli_json_set_u64(rm, "hosts", s->rm_hosts) ||
		      cli_json_set_u64(rm, "not_answering", s->rm_stale) ||
		      cli_json_set_u64(rm, "pass_faults", s->rm_pass_faults) ||
		      json_object_set_new(rm, "evicted",
					  json_boolean(s->rm_flags & FAMFS_STATS_RM_EVICTED)) ||
		      json_object_set_new(o, "rm", rm);
	}
	bad = bad || json_object_set_new(o, "fuse_mode",
				  json_string(famfs_fuse_mode_name(s->fuse_mode))) ||
	      json_object_set_new(o, "kernel_offered_native",
				  json_boolean(s->fuse_mode & FAMFS_FUSE_MODE_OFFERED)) ||
	      json_object_set_new(o, "allow_mmap",
				  json_boolean(s->fuse_mode & FAMFS_FUSE_MODE_ALLOW_MMAP));
	json_decref(ops);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int cmd_stats(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct famfs_stats_wire s;
	struct cli_target t;
	bool json = false;
	uint64_t nops;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":jvh", lopts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'v': cli_verbose++; break;
		case 'h': return cli_help(stats_help);
		default: return cli_getopt_error(c, argv);
		}
	}
	if (cli_device)
		return cli_usage("works on a mount, not with --device");
	if (optind + 1 != argc)
		return cli_usage("expected MNT");
	memset(&s, 0, sizeof(s));
	if (root_ioctl(argv[optind], FAMFS_IOC_STATS, &s, &t, NULL))
		return CLI_FAIL;
	nops = s.nops < FAMFS_STATS_MAX_OPS ? s.nops : FAMFS_STATS_MAX_OPS;
	if (json)
		return cli_json_print(stats_json(&t, &s, nops));
	fputs("famfsd statistics for ", stdout);
	cli_fputs_esc(stdout, t.mnt);
	putchar('\n');
	printf("  %-20s %14s\n", "operation", "count");
	for (uint64_t i = 0; i < nops; i++) {
		const char *name = famfs_op_name((unsigned int)i);

		if (name && (s.ops[i] || cli_verbose))
			printf("  %-20s %14" PRIu64 "\n", name, s.ops[i]);
	}
	printf("  %-20s %14" PRIu64 "\n", "bytes_read", s.bytes_read);
	printf("  %-20s %14" PRIu64 "\n", "bytes_written", s.bytes_written);
	printf("  %-20s %14" PRIu64 "\n", "catchups", s.catchups);
	printf("  %-20s %14" PRIu64 "\n", "catchup_entries", s.catchup_entries);
	printf("  %-20s %14.3f\n", "catchup_ms", s.catchup_ns / 1e6);
	printf("  %-20s %14.3f\n", "mount_replay_ms", s.mount_replay_ns / 1e6);
	printf("  %-20s %14" PRIu64 "\n", "log_next_index", s.log_next_index);
	printf("  %-20s %14" PRIu64 "\n", "errors_eio", s.errors_eio);
	printf("  %-20s %#14" PRIx64 "\n", "daxdev_failed", s.daxdev_failed);
	printf("  %-20s %14s\n", "fuse_mode", famfs_fuse_mode_name(s.fuse_mode));
	printf("  %-20s %14s\n", "allow_mmap",
	       s.fuse_mode & FAMFS_FUSE_MODE_ALLOW_MMAP ? "yes" : "no");
	if (s.rm_flags & FAMFS_STATS_RM_ON) {
		printf("  %-20s %14" PRIu64 "\n", "rm_held", s.rm_held);
		printf("  %-20s %14" PRIu64 "\n", "rm_pending_bytes", s.rm_pending);
		printf("  %-20s %14" PRIu64 "\n", "rm_hosts", s.rm_hosts);
		printf("  %-20s %14" PRIu64 "%s\n", "rm_not_answering", s.rm_stale,
		       s.rm_stale ? "  (they block reuse: famfs host list)" : "");
		printf("  %-20s %14" PRIu64 "\n", "rm_pass_faults", s.rm_pass_faults);
		if (s.rm_flags & FAMFS_STATS_RM_EVICTED)
			printf("  %-20s %14s\n", "rm_evicted", "yes (remount)");
	}
	return CLI_OK;
}

int cmd_poison(int argc, char **argv)
{
	struct cli_target t;
	char why[64];
	uint32_t idx;
	uint64_t v;
	int ret;

	if (simple_opts(argc, argv, poison_help, &ret))
		return ret;
	if (optind + 2 != argc)
		return cli_usage("expected MNT and DEVINDEX");
	if (cli_parse_uint(argv[optind + 1], 23, &v))
		return cli_usage("bad device index '%s' (0..23)", argv[optind + 1]);
	idx = (uint32_t)v;
	snprintf(why, sizeof(why), "device %u is not in the table", idx);
	if (root_ioctl(argv[optind], FAMFS_IOC_POISON, &idx, &t, why))
		return CLI_FAIL;
	cli_fputs_esc(stdout, t.mnt);
	printf(": device %u marked failed\n", idx);
	if (cli_verbose)
		cli_sayf(t.mnt, "served from %s; accesses to the device's files now fail",
			 t.dev);
	return CLI_OK;
}
