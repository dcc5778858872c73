// SPDX-License-Identifier: Apache-2.0
/*
 * cmd_chkread.c - famfs chkread: check that read() of a file returns the
 * bytes that are in the device memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "famfs/err.h"
#include "famfs/ns.h"
#include "cli.h"

static const char help[] =
"usage: famfs chkread [-s] FILE\n"
"\n"
"Read FILE with read(2) through the mount and compare it with the bytes in\n"
"the device memory. With --device, compare the device memory with pread(2)\n"
"of the device file (when it is a regular file).\n"
"\n"
"  -s, --silent    print nothing on success\n"
"  -h, --help      this help\n"
"\n"
"Exit status: 0 equal, 1 a difference or an error, 2 bad usage.\n"
"\n"
"Example:\n"
"  famfs chkread /mnt/famfs/a/b/f\n";

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

int cmd_chkread(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "silent", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct chk_ctx cc = { .fd = -1, .bad = -1 };
	bool silent = false;
	struct cli_target t;
	struct famfs_fs *fs;
	const struct famfs_node *n;
	const char *path;
	struct stat st;
	int c, rc;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":sh", lopts, NULL)) != -1) {
		switch (c) {
		case 's': silent = true; break;
		case 'h': return cli_help(help);
		default: return cli_getopt_error(c, argv);
		}
	}
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
	if (!silent)
	{
		cli_fputs_esc(stdout, path);
		printf(": %" PRIu64 " bytes match\n", n->size);
	}
	return CLI_OK;
}
