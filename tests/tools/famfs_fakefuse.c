// SPDX-License-Identifier: Apache-2.0
/*
 * famfs_fakefuse.c - test tool: a FUSE server that pretends to be famfsd,
 * for the trusted-mount tests. Anyone can run it: as an unprivileged user
 * libfuse mounts through fusermount3, like any user FUSE file system
 * (/dev/fuse must be open to users, as Debian's udev rule makes it: 0666).
 *
 *   famfs_fakefuse [options] MNT
 *     -o OPTS          extra mount options (fsname=DEV, allow_other, ...);
 *                      subtype=famfs is always added, so the mount is
 *                      "fuse.famfs" in the mount table
 *     --daxdev PATH    GET_DAXDEV answers PATH for device 0
 *     --size N         the size of the file "f" (default 2 MiB)
 *     --info DEV       answer FAMFS_IOC_INFO as famfsd would, naming DEV
 *     --uuid UUID      ... with this file system uuid (default all zero)
 *     --hold FILE      a READ of f at or past --hold-from BYTES (default 0)
 *                      waits while FILE exists (at most 120 s), after
 *                      creating FILE.held: a reader stopped mid-file
 *
 * It serves a root directory holding one regular file "f" (mode 0666).
 * A FUSE read of f returns 'F' bytes; a write is accepted and dropped.
 * GET_FMAP on f answers one extent: device 0, offset 0, the file's size
 * rounded up to 2 MiB. Runs in the foreground until unmounted; exit 0.
 */
#define FUSE_USE_VERSION 314

#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "famfs/fmap.h"
#include "famfs/ioctl.h"

#define FILE_INO	2

static const char *daxdev = "/dev/dax0.0";
static const char *info_dev;
static uuid_t info_uuid;
static uint64_t fsize = FAMFS_PMD_SIZE;
static const char *hold;
static uint64_t hold_from;

static void fill(fuse_ino_t ino, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_uid = getuid();
	st->st_gid = getgid();
	if (ino == FUSE_ROOT_ID) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
	} else {
		st->st_mode = S_IFREG | 0666;
		st->st_nlink = 1;
		st->st_size = (off_t)fsize;
	}
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e;

	if (parent != FUSE_ROOT_ID || strcmp(name, "f")) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	memset(&e, 0, sizeof(e));
	e.ino = FILE_INO;
	fill(FILE_INO, &e.attr);
	fuse_reply_entry(req, &e);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct stat st;

	if (ino != FUSE_ROOT_ID && ino != FILE_INO) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	fill(ino, &st);
	fuse_reply_attr(req, &st, 0);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	static const char *const names[] = { ".", "..", "f" };
	char buf[512];
	struct stat st;
	size_t len = 0, n;
	off_t i;

	for (i = off; i < 3; i++) {
		fill(i == 2 ? FILE_INO : FUSE_ROOT_ID, &st);
		n = fuse_add_direntry(req, buf + len, sizeof(buf) - len, names[i], &st, i + 1);
		if (len + n > size || len + n > sizeof(buf))
			break;
		len += n;
	}
	fuse_reply_buf(req, buf, len);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	fi->direct_io = 1;
	fuse_reply_open(req, fi);
}

/* --hold: wait while the file @hold exists, saying so in @hold.held. */
static void hold_read(void)
{
	struct timespec ts = { 0, 1000000 };
	char mark[4096];
	int fd, i;

	snprintf(mark, sizeof(mark), "%s.held", hold);
	fd = open(mark, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0)
		close(fd);
	for (i = 0; i < 120000 && !access(hold, F_OK); i++)
		nanosleep(&ts, NULL);
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	char *buf;

	if (hold && (uint64_t)off >= hold_from)
		hold_read();

	if ((uint64_t)off >= fsize)
		size = 0;
	else if (size > fsize - (uint64_t)off)
		size = fsize - (uint64_t)off;
	buf = malloc(size + 1);
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	memset(buf, 'F', size);
	fuse_reply_buf(req, buf, size);
	free(buf);
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	fuse_reply_write(req, size);
}

static void reply_fmap(fuse_req_t req, size_t out_bufsz)
{
	struct famfs_fmap *f = calloc(1, sizeof(*f));
	uint8_t buf[FAMFS_FMAP_MSG_MAX];
	ssize_t n;

	if (!f) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	f->ext_type = FAMFS_EXT_SIMPLE;
	f->nextents = 1;
	f->file_size = fsize;
	f->dev_bitmap = 1;
	f->se[0].devindex = 0;
	f->se[0].offset = 0;
	f->se[0].len = (fsize + FAMFS_PMD_SIZE - 1) & ~(FAMFS_PMD_SIZE - 1);
	n = famfs_fmap_encode(f, buf, sizeof(buf));
	free(f);
	if (n < 0 || (size_t)n > out_bufsz) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	fuse_reply_ioctl(req, (int)n, buf, (size_t)n);
}

static void reply_info(fuse_req_t req, size_t out_bufsz)
{
	struct famfs_mount_info mi;

	if (!info_dev || out_bufsz < sizeof(mi)) {
		fuse_reply_err(req, ENOTTY);
		return;
	}
	memset(&mi, 0, sizeof(mi));
	mi.version = FAMFS_MOUNT_INFO_VERSION;
	mi.ndevs = 1;
	mi.pid = (uint64_t)getpid();
	snprintf(mi.devpath, sizeof(mi.devpath), "%s", info_dev);
	memcpy(mi.fs_uuid, info_uuid, sizeof(mi.fs_uuid));
	memset(mi.mount_id, 0x5a, sizeof(mi.mount_id));
	fuse_reply_ioctl(req, 0, &mi, sizeof(mi));
}

static void op_ioctl(fuse_req_t req, fuse_ino_t ino, unsigned int cmd, void *arg,
		     struct fuse_file_info *fi, unsigned int flags, const void *in_buf,
		     size_t in_bufsz, size_t out_bufsz)
{
	uint8_t out[FAMFS_DAXDEV_OUT_SIZE];

	if (cmd == FAMFS_IOC_GET_FMAP && ino == FILE_INO) {
		reply_fmap(req, out_bufsz);
	} else if (cmd == FAMFS_IOC_GET_DAXDEV && out_bufsz >= sizeof(out)) {
		famfs_daxdev_out_encode(0, daxdev, out);
		fuse_reply_ioctl(req, 0, out, sizeof(out));
	} else if (cmd == FAMFS_IOC_INFO) {
		reply_info(req, out_bufsz);
	} else {
		fuse_reply_err(req, ENOTTY);
	}
}

static const struct fuse_lowlevel_ops ops = {
	.lookup = op_lookup,
	.getattr = op_getattr,
	.readdir = op_readdir,
	.open = op_open,
	.read = op_read,
	.write = op_write,
	.ioctl = op_ioctl,
};

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "daxdev", required_argument, NULL, 'D' },
		{ "size", required_argument, NULL, 's' },
		{ "info", required_argument, NULL, 'I' },
		{ "uuid", required_argument, NULL, 'U' },
		{ "hold", required_argument, NULL, 'H' },
		{ "hold-from", required_argument, NULL, 'F' },
		{ 0 }
	};
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	char opts[4096] = "subtype=famfs";
	struct fuse_session *se;
	int c, rc = 1;

	while ((c = getopt_long(argc, argv, "o:", lopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			snprintf(opts + strlen(opts), sizeof(opts) - strlen(opts), ",%s", optarg);
			break;
		case 'D': daxdev = optarg; break;
		case 's': fsize = strtoull(optarg, NULL, 0); break;
		case 'I': info_dev = optarg; break;
		case 'H': hold = optarg; break;
		case 'F': hold_from = strtoull(optarg, NULL, 0); break;
		case 'U':
			if (uuid_parse(optarg, info_uuid)) {
				fprintf(stderr, "famfs_fakefuse: bad uuid %s\n", optarg);
				return 2;
			}
			break;
		default:
			return 2;
		}
	}
	if (optind + 1 != argc || fsize == 0) {
		fprintf(stderr, "usage: famfs_fakefuse [-o OPTS] [--daxdev PATH] [--size N] "
			"[--info DEV [--uuid UUID]] [--hold FILE [--hold-from N]] MNT\n");
		return 2;
	}
	if (fuse_opt_add_arg(&args, "famfs_fakefuse") || fuse_opt_add_arg(&args, "-o") ||
	    fuse_opt_add_arg(&args, opts))
		return 1;
	se = fuse_session_new(&args, &ops, sizeof(ops), NULL);
	if (!se)
		goto out;
	if (fuse_session_mount(se, argv[optind])) {
		fprintf(stderr, "famfs_fakefuse: cannot mount %s\n", argv[optind]);
		goto out_se;
	}
	rc = fuse_session_loop(se) ? 1 : 0;
	fuse_session_unmount(se);
out_se:
	fuse_session_destroy(se);
out:
	fuse_opt_free_args(&args);
	return rc;
}
