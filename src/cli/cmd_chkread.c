// SPDX-License-Identifier: Apache-2.0
/*
 * cmd_chkread.c - famfs chkread: check that read() of a file returns the
 * bytes that are in the device memory; with -s or -l, also that the file
 * is a valid superblock or log (upstream's checks of .meta/.superblock and
 * .meta/.log).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "famfs/err.h"
#include "famfs/meta.h"
#include "famfs/ns.h"
#include "famfs/omf.h"
#include "cli.h"

static const char help[] =
"usage: famfs chkread [-s|-l] [-q] [-v] FILE\n"
"\n"
"Read FILE with read(2) through the mount and compare it with the bytes in\n"
"the device memory. With --device, compare the device memory with pread(2)\n"
"of the device file (when it is a regular file).\n"
"\n"
"  -s, --superblock  FILE is a superblock (a mount's .meta/.superblock):\n"
"                    also check that it is a valid famfs superblock, and\n"
"                    print it\n"
"  -l, --log         FILE is a log (a mount's .meta/.log): also check its\n"
"                    header and every committed entry, and print a summary\n"
"  -q, --quiet       print nothing on success (also --silent)\n"
"  -v, --verbose     print each contiguous range compared\n"
"  -?, --help        this help\n"
"\n"
"Exit status: 0 equal (and valid), 1 a difference, an invalid superblock or\n"
"log, or an error, 2 bad usage.\n"
"\n"
"Example:\n"
"  famfs chkread /mnt/famfs/a/b/f\n"
"  famfs chkread -s /mnt/famfs/.meta/.superblock\n"
"  famfs chkread -l /mnt/famfs/.meta/.log\n";

struct chk_ctx {
	int fd;
	bool offline;
	const uint8_t *base;	/* device mapping, for offline offsets */
	uint8_t *buf;
	int64_t bad;
};

/* Compare [off, off + len) of the file, mapped at @p, with what read gives. */
static int chk_run(void *ctx, uint64_t off, uint8_t *p, uint64_t len)
{
	struct chk_ctx *c = ctx;
	uint64_t done = 0, pos;
	size_t n;
	ssize_t r;

	if (cli_verbose)
		cli_sayf(NULL, "comparing file bytes [%#" PRIx64 ", %#" PRIx64 ") at device "
			 "offset %#" PRIx64, off, off + len, (uint64_t)(p - c->base));
	famfs_invalidate(p, len);
	while (done < len) {
		n = len - done > (1 << 20) ? (1 << 20) : (size_t)(len - done);
		pos = c->offline ? (uint64_t)(p - c->base) + done : off + done;
		r = pread(c->fd, c->buf, n, (off_t)pos);
		if (r < 0)
			return -errno;
		if ((size_t)r != n)
			return famfs_err(-EIO, "short read at offset %" PRIu64 " (%zd of %zu)",
					 off + done, r, n);
		if (memcmp(c->buf, p + done, n)) {
			for (size_t i = 0; i < n; i++) {
				if (c->buf[i] != p[done + i]) {
					c->bad = (int64_t)(off + done + i);
					return 1;
				}
			}
		}
		done += n;
	}
	return 0;
}

/* -s: the (already compared) bytes of @n must be a valid superblock. */
static int check_super(struct famfs_fs *fs, const struct famfs_node *n, const char *path,
		       bool quiet)
{
	struct famfs_omf_sb sb;
	uint64_t len = 0;
	uint8_t *p = famfs_fs_addr(fs, n, 0, &len);
	char u[37], s[37];
	int rc;

	if (n->size != FAMFS_SB_REGION)
		return cli_failf(path, "not a superblock file: %" PRIu64 " bytes, not %llu",
				 n->size, (unsigned long long)FAMFS_SB_REGION);
	if (!p || len < FAMFS_SB_SIZE)
		return cli_fail(path, -EIO);
	famfs_errclear();
	rc = famfs_omf_sb_decode(p, FAMFS_SB_SIZE, &sb);
	if (rc)
		return cli_failf(path, "not a valid famfs superblock: %s", *famfs_errmsg() ?
				 famfs_errmsg() : strerror(-rc));
	if (quiet)
		return CLI_OK;
	uuid_unparse(sb.uuid, u);
	uuid_unparse(sb.system_uuid, s);
	cli_sayf(path, "valid superblock: version %" PRIu64 ", uuid %s, master %s, log %"
		 PRIu64 " bytes at %#" PRIx64 ", device %" PRIu64 " bytes", sb.version, u, s,
		 sb.log_len, sb.log_offset, sb.dev_size);
	return CLI_OK;
}

/* -l: the (already compared) bytes of @n must be a valid log. */
static int check_log(struct famfs_fs *fs, const struct famfs_node *n, const char *path,
		     bool quiet)
{
	uint64_t log_len = fs->log->sb.log_len, len = 0, bad = 0, first_bad = FAMFS_NO_INDEX;
	struct famfs_omf_log_hdr hdr;
	struct famfs_omf_entry e;
	uint8_t *p = famfs_fs_addr(fs, n, 0, &len);
	int rc;

	if (n->size != log_len)
		return cli_failf(path, "not this file system's log: %" PRIu64 " bytes, the "
				 "superblock says %" PRIu64, n->size, log_len);
	if (!p || len < log_len)
		return cli_fail(path, -EIO);
	famfs_errclear();
	rc = famfs_omf_log_hdr_decode(p, FAMFS_LOG_HDR_SIZE, log_len, &hdr);
	if (rc)
		return cli_failf(path, "not a valid famfs log: %s", *famfs_errmsg() ?
				 famfs_errmsg() : strerror(-rc));
	for (uint64_t i = 0; i < hdr.next_index; i++) {
		famfs_errclear();
		if (famfs_omf_entry_decode(p + FAMFS_LOG_HDR_SIZE + i * FAMFS_LOG_ENTRY_SIZE,
					   i, &e)) {
			bad++;
			if (first_bad == FAMFS_NO_INDEX)
				first_bad = i;
		}
	}
	if (bad)
		return cli_failf(path, "%" PRIu64 " bad log entries; the first is entry %"
				 PRIu64, bad, first_bad);
	if (!quiet)
		cli_sayf(path, "valid log: %" PRIu64 " of %" PRIu64 " entries used, every "
			 "entry's CRC and sequence number checked", hdr.next_index,
			 famfs_log_nslots(log_len));
	return CLI_OK;
}

int cmd_chkread(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "superblock", no_argument, NULL, 's' },
		{ "log", no_argument, NULL, 'l' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "silent", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct chk_ctx cc = { .fd = -1, .bad = -1 };
	bool quiet = false, is_sb = false, is_log = false;
	struct cli_target t;
	struct famfs_fs *fs;
	const struct famfs_node *n;
	const char *path;
	struct stat st;
	int c, rc;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":slqvh", lopts, NULL)) != -1) {
		switch (c) {
		case 's': is_sb = true; break;
		case 'l': is_log = true; break;
		case 'q': quiet = true; break;
		case 'v': cli_verbose++; break;
		case 'h': return cli_help(help);
		default: return cli_getopt_error(c, argv);
		}
	}
	if (is_sb && is_log)
		return cli_usage("-s and -l exclude each other");
	if (optind + 1 != argc)
		return cli_usage(optind >= argc ? "missing FILE" : "exactly one FILE expected");
	path = argv[optind];
	n = cli_open_file(path, &t, &fs, false);
	if (!n)
		return CLI_FAIL;
	cc.offline = !t.mnt[0];
	cc.base = fs->dev->base;
	if (cc.offline) {
		if (stat(t.dev, &st) || !S_ISREG(st.st_mode))
			return cli_failf(t.dev, "not a regular file; chkread --device compares "
					 "the mapping with pread of a device file");
		cc.fd = open(t.dev, O_RDONLY | O_CLOEXEC);
	} else {
		cc.fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (cc.fd < 0)
		return cli_fail(cc.offline ? t.dev : path, -errno);
	cc.buf = malloc(1 << 20);
	famfs_errclear();
	rc = cc.buf ? cli_for_each_run(fs, n, chk_run, &cc) : -ENOMEM;
	free(cc.buf);
	close(cc.fd);
	if (rc < 0)
		return cli_fail(path, rc);
	if (cc.bad >= 0)
		return cli_failf(path, "read() differs from the device memory at offset %"
				 PRId64, cc.bad);
	if (!quiet) {
		cli_fputs_esc(stdout, path);
		printf(": %" PRIu64 " bytes match\n", n->size);
	}
	if (is_sb)
		return check_super(fs, n, path, quiet);
	if (is_log)
		return check_log(fs, n, path, quiet);
	return CLI_OK;
}
