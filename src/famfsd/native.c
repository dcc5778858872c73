// SPDX-License-Identifier: Apache-2.0
/*
 * native.c - famfsd's native mode: the kernel's own famfs protocol on
 * Debian's libfuse 3.14, which knows neither the FUSE_DAX_FMAP flag nor the
 * GET_FMAP (54) and GET_DAXDEV (55) opcodes, without a fork of libfuse.
 *
 * fuse_session_custom_io() puts two hooks between libfuse and /dev/fuse:
 *   read:   INIT is noted (what the kernel offers) and passed on; GET_FMAP
 *           and GET_DAXDEV are answered here, with the encoder the ioctls
 *           use, and never reach libfuse; everything else is passed on.
 *   writev: the INIT reply gets FUSE_DAX_FMAP (when the kernel offered it
 *           and the device is a devdax char device) and
 *           FUSE_DIRECT_IO_ALLOW_MMAP (when offered: plain mmap then works
 *           under cache=direct on stock kernels) ORed into flags2.
 * The same famfsd thus serves a kernel with the famfs module natively and a
 * stock kernel with the ioctls and the preload shim. libfuse calls the read
 * hook only when it does not splice: FUSE_CAP_SPLICE_READ must stay off.
 * libfuse hands both hooks the session's userdata, famfsd's state; what
 * INIT negotiated is kept there (struct famfsd_native).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <unistd.h>

#include "famfs/le.h"
#include "famfsd.h"

#define FUSE_IN_HDR		40	/* fuse_in_header */
#define FUSE_OUT_HDR		16	/* fuse_out_header */
#define OP_INIT			26
#define OP_GET_FMAP		54
#define OP_GET_DAXDEV		55
#define INIT_EXT		(1ULL << 30)
#define DIRECT_IO_ALLOW_MMAP	(1ULL << 36)
#define DAX_FMAP		(1ULL << 43)
/* fuse_init_in: major, minor, max_readahead, flags, flags2 */
#define INIT_IN_FLAGS		12
#define INIT_IN_FLAGS2		16
/* fuse_init_out (64 bytes since 7.23): flags at 12, flags2 at 32 */
#define INIT_OUT_FLAGS		12
#define INIT_OUT_FLAGS2		32
#define INIT_OUT_SIZE		64

uint64_t famfsd_native_mode(struct famfsd *fsd)
{
	return __atomic_load_n(&fsd->native.mode, __ATOMIC_ACQUIRE);
}

/* Answer request @unique: error @err (positive) or @len bytes of @data. */
static void reply(struct famfsd *fsd, int fd, uint64_t unique, int err, const void *data,
		  size_t len)
{
	uint8_t hdr[FUSE_OUT_HDR];
	struct iovec iov[2] = { { hdr, sizeof(hdr) }, { (void *)data, err ? 0 : len } };

	famfs_put_le32(hdr, (uint32_t)(FUSE_OUT_HDR + iov[1].iov_len));
	famfs_put_le32(hdr + 4, (uint32_t)-err);
	famfs_put_le64(hdr + 8, unique);
	if (err == EIO || err == EHWPOISON)
		famfsd_count_eio(fsd);
	/* ENOENT: the request was interrupted meanwhile; nothing to do. */
	(void)!writev(fd, iov, err || !len ? 1 : 2);
}

/*
 * -o test_fmap=DIR: a file whose name is in DIR gets that file's bytes as
 * its GET_FMAP reply, whatever they are (check-vm feeds the kernel the
 * malformed maps of the fuzz corpus this way). *@len < 0: none there.
 */
static int test_fmap(struct famfsd *fsd, const struct famfs_node *n, uint8_t *buf,
		     size_t bufsz, ssize_t *len)
{
	char path[4200];
	int fd;

	*len = -1;
	if (!fsd->test_fmap_dir)
		return 0;
	snprintf(path, sizeof(path), "%s/%s", fsd->test_fmap_dir, n->name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	*len = read(fd, buf, bufsz);
	close(fd);
	return *len < 0 ? -EIO : 0;
}

static void get_fmap(struct famfsd *fsd, int fd, uint64_t unique, uint64_t ino)
{
	/* room for an oversized test reply: the kernel must refuse it */
	uint8_t buf[2 * FAMFS_FMAP_MSG_MAX];
	struct famfs_node *n;
	ssize_t len;

	famfsd_count(fsd, FAMFS_OP_FUSE_GET_FMAP);
	pthread_rwlock_rdlock(&fsd->ns_lock);
	n = famfsd_node(fsd, ino);
	pthread_rwlock_unlock(&fsd->ns_lock);
	if (!n && famfsd_meta_kind(fsd, ino)) {
		len = famfsd_meta_fmap(fsd, famfsd_meta_kind(fsd, ino), buf);	/* .meta files */
		reply(fsd, fd, unique, len < 0 ? (int)-len : 0, buf, len < 0 ? 0 : (size_t)len);
		return;
	}
	if (!n) {
		reply(fsd, fd, unique, ENOENT, NULL, 0);
		return;
	}
	if (test_fmap(fsd, n, buf, sizeof(buf), &len) || len < 0)
		len = famfsd_fmap_reply(fsd, n, buf);
	if (len < 0)
		reply(fsd, fd, unique, (int)-len, NULL, 0);
	else
		reply(fsd, fd, unique, 0, buf, (size_t)len);
}

/* GET_DAXDEV: the index travels in nodeid; the reply is exactly 280 bytes. */
static void get_daxdev(struct famfsd *fsd, int fd, uint64_t unique, uint64_t idx)
{
	uint8_t out[FAMFS_DAXDEV_OUT_SIZE];
	char name[FAMFS_DAXDEV_NAME_MAX];
	int rc;

	famfsd_count(fsd, FAMFS_OP_FUSE_GET_DAXDEV);
	rc = famfsd_dax_name(fsd, idx >= FAMFS_MAX_DAXDEVS ? FAMFS_MAX_DAXDEVS : (unsigned int)idx,
			     name);
	if (rc) {
		reply(fsd, fd, unique, -rc, NULL, 0);
		return;
	}
	famfs_daxdev_out_encode((uint16_t)idx, name, out);
	reply(fsd, fd, unique, 0, out, sizeof(out));
}

/* libfuse's read hook; @userdata is the session's, our state. */
static ssize_t hook_read(int fd, void *buf, size_t len, void *userdata)
{
	struct famfsd *fsd = userdata;
	const uint8_t *p = buf;
	ssize_t n;
	uint32_t op;

	for (;;) {
		n = read(fd, buf, len);
		if (n < FUSE_IN_HDR)
			return n;
		op = famfs_get_le32(p + 4);
		if (op == OP_GET_FMAP) {
			get_fmap(fsd, fd, famfs_get_le64(p + 8), famfs_get_le64(p + 16));
			continue;
		}
		if (op == OP_GET_DAXDEV) {
			get_daxdev(fsd, fd, famfs_get_le64(p + 8), famfs_get_le64(p + 16));
			continue;
		}
		if (op == OP_INIT && n >= FUSE_IN_HDR + INIT_IN_FLAGS2 + 4) {
			uint64_t f = famfs_get_le32(p + FUSE_IN_HDR + INIT_IN_FLAGS);

			if (f & INIT_EXT)
				f |= (uint64_t)famfs_get_le32(p + FUSE_IN_HDR + INIT_IN_FLAGS2) << 32;
			fsd->native.offered = f;
			__atomic_store_n(&fsd->native.init_unique, famfs_get_le64(p + 8),
					 __ATOMIC_RELEASE);
		}
		return n;
	}
}

/* ORs what famfsd accepts into the INIT reply; flattens it to do so. */
static ssize_t init_reply(struct famfsd_native *nat, int fd, struct iovec *iov, int count)
{
	uint8_t msg[FUSE_OUT_HDR + 256];
	size_t len = 0;
	uint64_t m = FAMFS_FUSE_MODE_INIT, f2, offered = nat->offered;
	int i;

	for (i = 0; i < count; i++) {
		if (len + iov[i].iov_len > sizeof(msg))
			return writev(fd, iov, count);
		memcpy(msg + len, iov[i].iov_base, iov[i].iov_len);
		len += iov[i].iov_len;
	}
	if (offered & DAX_FMAP)
		m |= FAMFS_FUSE_MODE_OFFERED;
	if (len >= FUSE_OUT_HDR + INIT_OUT_SIZE && !famfs_get_le32(msg + 4) &&
	    (offered & INIT_EXT)) {
		uint8_t *o = msg + FUSE_OUT_HDR;

		f2 = 0;
		if ((offered & DAX_FMAP) && nat->allow) {
			f2 |= DAX_FMAP >> 32;
			m |= FAMFS_FUSE_MODE_NATIVE;
		}
		if (offered & DIRECT_IO_ALLOW_MMAP) {
			f2 |= DIRECT_IO_ALLOW_MMAP >> 32;
			m |= FAMFS_FUSE_MODE_ALLOW_MMAP;
		}
		famfs_put_le32(o + INIT_OUT_FLAGS2,
			       famfs_get_le32(o + INIT_OUT_FLAGS2) | (uint32_t)f2);
		famfs_put_le32(o + INIT_OUT_FLAGS,
			       famfs_get_le32(o + INIT_OUT_FLAGS) | (uint32_t)INIT_EXT);
	}
	__atomic_store_n(&nat->mode, m, __ATOMIC_RELEASE);
	return write(fd, msg, len);
}

/* libfuse's writev hook; @userdata is the session's, our state. */
static ssize_t hook_writev(int fd, struct iovec *iov, int count, void *userdata)
{
	struct famfsd_native *nat = &((struct famfsd *)userdata)->native;
	uint64_t u = __atomic_load_n(&nat->init_unique, __ATOMIC_ACQUIRE);

	if (u && count > 0 && iov[0].iov_len >= FUSE_OUT_HDR &&
	    famfs_get_le64((const uint8_t *)iov[0].iov_base + 8) == u) {
		__atomic_store_n(&nat->init_unique, 0, __ATOMIC_RELEASE);
		return init_reply(nat, fd, iov, count);
	}
	return writev(fd, iov, count);
}

int famfsd_native_setup(struct famfsd *fsd, bool allow)
{
	static const struct fuse_custom_io io = {
		.read = hook_read,
		.writev = hook_writev,
	};

	fsd->native.allow = allow;
	return fuse_session_custom_io(fsd->se, &io, fuse_session_fd(fsd->se));
}

/*
 * The kernel's fusectl entry for our connection is named after the mount's
 * device number. AT_STATX_DONT_SYNC: no GETATTR to ourselves.
 */
int famfsd_native_poison(struct famfsd *fsd, unsigned int idx)
{
	struct statx stx;
	char path[128], val[16];
	int fd, rc = 0;

	if (!(famfsd_native_mode(fsd) & FAMFS_FUSE_MODE_NATIVE))
		return 0;
	if (statx(AT_FDCWD, fsd->mnt, AT_STATX_DONT_SYNC, STATX_BASIC_STATS, &stx))
		return -errno;
	snprintf(path, sizeof(path), "/sys/fs/fuse/connections/%u/famfs_poison",
		 (stx.stx_dev_major << 20) | stx.stx_dev_minor);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	snprintf(val, sizeof(val), "%u", idx);
	if (write(fd, val, strlen(val)) < 0 && errno != ENOENT)
		rc = -errno;
	close(fd);
	return rc;
}
