// SPDX-License-Identifier: Apache-2.0
/*
 * vmfuse.c - a minimal FUSE server on raw /dev/fuse, for the edges of the
 * famfs kernel module's protocol that famfsd never exercises (make
 * check-vm, native scenario). Runs as root in the guest.
 *
 *   vmfuse init MNT keep|drop
 *       Mount MNT (root-owned, so the kernel offers FUSE_DAX_FMAP), then
 *       answer INIT accepting it; with "drop", first give up CAP_SYS_RAWIO,
 *       as mount.fuse3 -o drop_privileges does for its server. Prints the
 *       errno that writing "99" to the connection's fusectl famfs_poison
 *       file gets: EINVAL (22) when famfs was negotiated (99 is no device
 *       slot), EOPNOTSUPP (95) when it was not.
 *
 *   vmfuse file MNT DEVOFF NAME new|old
 *       Serve a file system of one 2 MiB file at DEVOFF of the devdax
 *       device NAME (the GET_DAXDEV reply): "new", which only CREATE
 *       makes, or "old", which LOOKUP finds. A child opens MNT/new with
 *       O_CREAT (or MNT/old) from /dev as its working directory, reads
 *       4 KiB and compares them with /dev/dax0.0 at DEVOFF, where it stored
 *       a pattern first. Prints "open=E match=M read=N get_fmap=G": the
 *       open's errno, whether the bytes read are the device's, the READ
 *       requests the server saw and the GET_FMAPs.
 *
 * Exit codes: 0 ran (the caller judges what was printed), 1 error, 2 usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/fuse.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define DAX_FMAP	(1ULL << 43)
#define OP_GET_FMAP	54
#define OP_GET_DAXDEV	55
#define FILE_SIZE	(2UL << 20)
#define BUFSZ		(1 << 20)

static uint8_t rq[BUFSZ + 4096];
static int nread, nfmap;

static int die(const char *what)
{
	fprintf(stderr, "vmfuse: %s: %s\n", what, strerror(errno));
	return 1;
}

/* Mount MNT on a fresh /dev/fuse, owned by root; returns the fd. */
static int fuse_mount(const char *mnt)
{
	char opts[128];
	int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -1;
	snprintf(opts, sizeof(opts), "fd=%d,rootmode=40755,user_id=0,group_id=0,allow_other",
		 fd);
	if (mount("vmfuse", mnt, "fuse.vmfuse", MS_NOSUID | MS_NODEV, opts)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int reply(int fd, uint64_t unique, int err, const void *data, size_t len)
{
	struct fuse_out_header oh = {
		.len = (uint32_t)(sizeof(oh) + (err ? 0 : len)),
		.error = -err,
		.unique = unique,
	};
	uint8_t buf[sizeof(oh) + 4096];

	memcpy(buf, &oh, sizeof(oh));
	if (!err && len)
		memcpy(buf + sizeof(oh), data, len);
	return write(fd, buf, oh.len) == (ssize_t)oh.len ? 0 : -1;
}

/* Read one request; answer INIT accepting FUSE_DAX_FMAP. */
static int serve_init(int fd)
{
	struct fuse_in_header *ih = (void *)rq;
	struct fuse_init_in *in = (void *)(rq + sizeof(*ih));
	struct fuse_init_out out;
	ssize_t n = read(fd, rq, sizeof(rq));

	if (n < (ssize_t)(sizeof(*ih) + sizeof(*in)) || ih->opcode != FUSE_INIT) {
		errno = EPROTO;
		return -1;
	}
	memset(&out, 0, sizeof(out));
	out.major = FUSE_KERNEL_VERSION;
	out.minor = in->minor < FUSE_KERNEL_MINOR_VERSION ? in->minor : FUSE_KERNEL_MINOR_VERSION;
	out.max_readahead = in->max_readahead;
	out.flags = FUSE_INIT_EXT;
	out.flags2 = (uint32_t)(DAX_FMAP >> 32);
	out.max_write = 65536;
	out.max_background = 16;
	out.congestion_threshold = 12;
	return reply(fd, ih->unique, 0, &out, sizeof(out));
}

/* Give up CAP_SYS_RAWIO (effective and permitted), keep everything else. */
static int drop_rawio(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -1;
	d[CAP_SYS_RAWIO / 32].effective &= ~(1U << (CAP_SYS_RAWIO % 32));
	d[CAP_SYS_RAWIO / 32].permitted &= ~(1U << (CAP_SYS_RAWIO % 32));
	d[CAP_SYS_RAWIO / 32].inheritable &= ~(1U << (CAP_SYS_RAWIO % 32));
	return (int)syscall(SYS_capset, &h, d);
}

/* The errno of writing @what to MNT's fusectl famfs_poison, 0 if none. */
static int poison_errno(const char *mnt, const char *what)
{
	struct statx stx;
	char path[128];
	int fd, err = 0;

	if (statx(AT_FDCWD, mnt, AT_STATX_DONT_SYNC, STATX_BASIC_STATS, &stx))
		return errno;
	snprintf(path, sizeof(path), "/sys/fs/fuse/connections/%u/famfs_poison",
		 (stx.stx_dev_major << 20) | stx.stx_dev_minor);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	if (write(fd, what, strlen(what)) < 0)
		err = errno;
	close(fd);
	return err;
}

static int cmd_init(const char *mnt, int drop)
{
	int fd = fuse_mount(mnt), err;

	if (fd < 0)
		return die("mount");
	if (drop && drop_rawio())
		return die("capset");
	if (serve_init(fd))
		return die("INIT");
	err = poison_errno(mnt, "99");
	umount2(mnt, MNT_DETACH);
	close(fd);
	printf("%d\n", err);
	return 0;
}

static void attr_of(struct fuse_attr *a, uint64_t ino, uint32_t mode, uint64_t size)
{
	memset(a, 0, sizeof(*a));
	a->ino = ino;
	a->mode = mode;
	a->nlink = S_ISDIR(mode) ? 2 : 1;
	a->size = size;
	a->blocks = (size + 511) / 512;
	a->blksize = 4096;
}

/* One simple extent: FILE_SIZE bytes at @devoff of device 0. */
static size_t fmap_of(uint8_t *b, uint64_t devoff)
{
	uint32_t one = 1;
	uint16_t v = 1;
	uint64_t size = FILE_SIZE;

	memset(b, 0, 56);
	memcpy(b + 2, &v, 2);			/* fmap_version */
	memcpy(b + 8, &one, 4);			/* nextents; ext_type 0 (simple) */
	memcpy(b + 16, &size, 8);		/* file_size */
	memcpy(b + 32 + 8, &devoff, 8);		/* se_offset; se_devindex 0 */
	memcpy(b + 32 + 16, &size, 8);		/* se_len */
	return 56;
}

/* Answer requests until the connection goes away (the client unmounts). */
static void serve(int fd, uint64_t devoff, const char *name)
{
	struct fuse_in_header *ih = (void *)rq;
	uint8_t out[4096];
	ssize_t n;

	for (;;) {
		n = read(fd, rq, sizeof(rq));
		if (n < 0 && (errno == EINTR || errno == ENOENT))
			continue;
		if (n < (ssize_t)sizeof(*ih))
			return;
		memset(out, 0, sizeof(out));
		switch (ih->opcode) {
		case FUSE_LOOKUP: {
			struct fuse_entry_out *e = (void *)out;

			if (strcmp((const char *)(ih + 1), "old")) {
				reply(fd, ih->unique, ENOENT, NULL, 0);
				break;
			}
			e->nodeid = 3;
			e->generation = 1;
			attr_of(&e->attr, 3, S_IFREG | 0644, FILE_SIZE);
			reply(fd, ih->unique, 0, e, sizeof(*e));
			break;
		}
		case FUSE_OPEN: {
			struct fuse_open_out *o = (void *)out;

			o->fh = 1;
			reply(fd, ih->unique, 0, o, sizeof(*o));
			break;
		}
		case FUSE_GETATTR: {
			struct fuse_attr_out *a = (void *)out;

			attr_of(&a->attr, ih->nodeid, ih->nodeid == FUSE_ROOT_ID ?
				S_IFDIR | 0755 : S_IFREG | 0644, ih->nodeid == FUSE_ROOT_ID ?
				0 : FILE_SIZE);
			reply(fd, ih->unique, 0, a, sizeof(*a));
			break;
		}
		case FUSE_CREATE: {
			struct fuse_entry_out *e = (void *)out;
			struct fuse_open_out *o = (void *)(out + sizeof(*e));

			e->nodeid = 2;
			e->generation = 1;
			attr_of(&e->attr, 2, S_IFREG | 0644, FILE_SIZE);
			o->fh = 1;
			reply(fd, ih->unique, 0, out, sizeof(*e) + sizeof(*o));
			break;
		}
		case OP_GET_FMAP:
			nfmap++;
			reply(fd, ih->unique, 0, out, fmap_of(out, devoff));
			break;
		case OP_GET_DAXDEV:
			snprintf((char *)out + 24, 256, "%s", name);
			reply(fd, ih->unique, 0, out, 280);
			break;
		case FUSE_READ:
			nread++;
			reply(fd, ih->unique, EIO, NULL, 0);
			break;
		case FUSE_FORGET:
		case FUSE_BATCH_FORGET:
			break;
		case FUSE_FLUSH:
		case FUSE_RELEASE:
			reply(fd, ih->unique, 0, NULL, 0);
			break;
		default:
			reply(fd, ih->unique, ENOSYS, NULL, 0);
		}
	}
}

/* The client: store a pattern at @devoff of /dev/dax0.0, open, read, compare. */
static int client(const char *mnt, uint64_t devoff, int create)
{
	char path[4096], buf[4096];
	volatile uint8_t *dax;
	int fd, i, match = 0, err = 0;

	fd = open("/dev/dax0.0", O_RDWR);
	dax = fd < 0 ? MAP_FAILED : mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
					  fd, (off_t)devoff);
	if (dax == MAP_FAILED)
		return die("mmap /dev/dax0.0");
	close(fd);
	for (i = 0; i < 4096; i++)
		dax[i] = (uint8_t)(i * 7 + 3);
	snprintf(path, sizeof(path), "%s/%s", mnt, create ? "new" : "old");
	if (chdir("/dev"))
		return die("chdir /dev");
	fd = create ? open(path, O_CREAT | O_RDWR, 0644) : open(path, O_RDONLY);
	if (fd < 0) {
		err = errno;
	} else {
		if (pread(fd, buf, sizeof(buf), 0) == (ssize_t)sizeof(buf))
			match = !memcmp(buf, (const void *)dax, sizeof(buf));
		close(fd);
	}
	umount2(mnt, MNT_DETACH);
	printf("open=%d match=%d ", err, match);
	fflush(stdout);
	return 0;
}

static int cmd_file(const char *mnt, uint64_t devoff, const char *name, int create)
{
	int fd = fuse_mount(mnt), st;
	pid_t pid;

	if (fd < 0)
		return die("mount");
	if (serve_init(fd))
		return die("INIT");
	pid = fork();
	if (pid < 0)
		return die("fork");
	if (!pid) {
		close(fd);
		_exit(client(mnt, devoff, create));
	}
	serve(fd, devoff, name);
	close(fd);
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
		return die("client");
	printf("read=%d get_fmap=%d\n", nread, nfmap);
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	if (!strcmp(cmd, "init") && argc == 4 && (!strcmp(argv[3], "keep") ||
						   !strcmp(argv[3], "drop")))
		return cmd_init(argv[2], !strcmp(argv[3], "drop"));
	if (!strcmp(cmd, "file") && argc == 6 && (!strcmp(argv[5], "new") ||
						   !strcmp(argv[5], "old")))
		return cmd_file(argv[2], strtoull(argv[3], NULL, 0), argv[4],
				!strcmp(argv[5], "new"));
	fprintf(stderr, "usage: vmfuse init MNT keep|drop | file MNT DEVOFF NAME new|old\n");
	return 2;
}
