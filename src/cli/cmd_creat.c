// SPDX-License-Identifier: Apache-2.0
/*
 * cmd_creat.c - famfs creat: allocate and log one file, zeroed (unless
 * --no-zero) or filled with the seeded pattern that famfs verify checks.
 * On a mount, the mount's famfsd makes the file (creat_famfsd.c): no log
 * replay here, one request. With --device, with -r (whose pattern this
 * process writes through the device), or with a famfsd too old for that,
 * this process replays the log and makes the file itself.
 */
#include <errno.h>
#include <getopt.h>
#include <sys/stat.h>
#include <unistd.h>

#include "famfs/audit.h"
#include "famfs/err.h"
#include "cli.h"

static const char help[] =
"usage: famfs creat -s SIZE [-r] [-S SEED] [--no-zero] [-N NSTRIPS] [-B NBUCKETS]\n"
"                   [-C CHUNK] [-m MODE] [-u UID] [-g GID] FILE\n"
"\n"
"Allocate SIZE bytes of the device for a new file FILE and log it. The size\n"
"never changes afterwards. Only the master host may create files. The new\n"
"file reads zeros: its memory is zeroed (and flushed) before it is logged.\n"
"\n"
"  -s, --size SIZE        file size in bytes; K, M, G, T suffixes (powers of\n"
"                         1024). Required, must be > 0\n"
"  -r, --randomize        fill the file with a pseudo-random pattern and\n"
"                         flush it from the CPU caches\n"
"  -S, --seed SEED        pattern seed for -r (default 1); check with verify\n"
"      --no-zero          do not zero the memory: the file shows whatever it\n"
"                         held before (a former file's bytes after mkfs -f),\n"
"                         for callers that write the whole file anyway\n"
"  -N, --nstrips N        interleave over N strips (1..16)\n"
"  -B, --nbuckets N       split the device into N buckets (1..64)\n"
"  -C, --chunksize SIZE   interleave chunk size (power of 2, multiple of 2M)\n"
"  -m, --mode MODE        octal permission bits (default 0644)\n"
"  -u, --uid UID          owner (default: the caller)\n"
"  -g, --gid GID          group (default: the caller's group)\n"
"  -h, --help             this help\n"
"\n"
"Example:\n"
"  famfs creat -s 10M -r -S 7 /mnt/famfs/f\n"
"  famfs --device /dev/shm/famfs0 creat -s 1G -N 4 -B 8 -C 2M big\n";

struct fill_ctx {
	uint64_t seed;
};

static int fill_run(void *ctx, uint64_t off, uint8_t *p, uint64_t len)
{
	struct fill_ctx *c = ctx;

	cli_pattern_fill(c->seed, off, p, len);
	famfs_flush(p, len);
	famfs_audit_published(p, len, "famfs creat -r");
	return 0;
}

int cmd_creat(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "size", required_argument, NULL, 's' },
		{ "randomize", no_argument, NULL, 'r' },
		{ "seed", required_argument, NULL, 'S' },
		{ "no-zero", no_argument, NULL, 'Z' },
		{ "nstrips", required_argument, NULL, 'N' },
		{ "nbuckets", required_argument, NULL, 'B' },
		{ "chunksize", required_argument, NULL, 'C' },
		{ "mode", required_argument, NULL, 'm' },
		{ "uid", required_argument, NULL, 'u' },
		{ "gid", required_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct famfs_interleave_param ip = { 0 };
	const struct famfs_interleave_param *ipp;
	uint32_t mode = 0644, uid = getuid(), gid = getgid();
	uint64_t size = 0, seed = 1;
	bool have_size = false, randomize = false, zero = true;
	const struct famfs_node *n;
	struct cli_target t;
	struct famfs_fs *fs;
	struct fill_ctx fc;
	const char *path;
	int c, rc;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":s:rS:N:B:C:m:u:g:h", lopts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (cli_parse_size(optarg, &size))
				return cli_usage("bad size '%s'", optarg);
			have_size = true;
			break;
		case 'r':
			randomize = true;
			break;
		case 'Z':
			zero = false;
			break;
		case 'S':
			if (cli_parse_uint(optarg, UINT64_MAX, &seed))
				return cli_usage("bad seed '%s'", optarg);
			break;
		case 'N': case 'B': case 'C':
			if (cli_parse_interleave(c, optarg, &ip))
				return CLI_USAGE;
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
	if (!have_size)
		return cli_usage("missing -s SIZE");
	if (optind + 1 != argc)
		return cli_usage(optind >= argc ? "missing FILE" : "exactly one FILE expected");
	path = argv[optind];
	if (size == 0)
		return cli_failf(path, "size 0: famfs files cannot be empty");
	if (cli_target(path, &t))
		return CLI_FAIL;
	if (!t.rel[0])
		return cli_failf(path, "is the root directory");
	if (t.mnt[0] && !randomize) {
		struct cli_creat_args a = {
			.size = size, .mode = mode, .uid = uid, .gid = gid,
			.ip = famfs_interleave_enabled(&ip) ? &ip : NULL, .zero = zero,
		};

		/* famfsd has the file system replayed: it makes the file. */
		rc = cli_creat_famfsd(&t, path, &a);
		if (rc != CLI_NOT_SERVED)
			return rc;
	}
	fs = cli_fs_open(&t, true, path);
	if (!fs)
		return CLI_FAIL;
	if (cli_require_master(fs, path) || cli_check_interleave(fs, path, &ip, &ipp))
		return CLI_FAIL;
	famfs_errclear();
	/*
	 * -r writes every byte of the file once it is logged: zeroed first all
	 * the same, since it may be read from the commit on.
	 */
	rc = famfs_fs_creat_flags(fs, t.rel, size, mode, uid, gid, ipp,
				  zero ? 0 : FAMFS_CREAT_NOZERO, &n);
	if (rc)
		return cli_fail(path, rc);
	if (randomize) {
		fc.seed = seed;
		rc = cli_for_each_run(fs, n, fill_run, &fc);
	}
	cli_kick_logplay(&t);
	return rc ? cli_fail(path, rc) : CLI_OK;
}
