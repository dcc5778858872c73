// SPDX-License-Identifier: Apache-2.0
/*
 * ops_file.c - file data through the mount: open, read, write, release,
 * and the GET_FMAP / GET_DAXDEV ioctls that hand clients the V10 bytes.
 *
 * Files are opened direct_io: every read and write comes here and goes
 * straight to the device memory, so what another host wrote is what a
 * reader gets (no page cache to go stale). With -o cache=page, read-only
 * opens use the page cache instead (dropped at each open, so close-to-open
 * consistent), which is what makes mmap through the mount possible: libfuse
 * 3.14 cannot negotiate FUSE_DIRECT_IO_ALLOW_MMAP. Every copy runs inside
 * libfamfs's SIGBUS guard, which wraps the copy alone. Sizes never change:
 * a write at or past EOF is EFBIG and one that crosses EOF is cut there.
 *
 * CPU caches: a READ first drops the lines it reads (famfs_invalidate), a
 * WRITE is written back before it is answered (famfs_memcpy_flush), and
 * FSYNC writes back the lines of the whole file, which covers stores made
 * through direct mappings of the file on this host. Hosts whose caches
 * are not coherent with each other then see each other's data.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "famfs/audit.h"
#include "famfs/devmem.h"
#include "famfsd.h"

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct famfsd *fsd = famfsd_req(req);
	struct famfs_node *n;
	int err = 0;

	famfsd_count(fsd, FAMFS_OP_OPEN);
	if (famfsd_gone(fsd)) {
		famfsd_reply_err(req, EIO);
		return;
	}
	if (famfsd_meta_kind(fsd, ino)) {
		famfsd_meta_file_open(req, famfsd_meta_kind(fsd, ino), fi);
		return;
	}
	pthread_rwlock_rdlock(&fsd->ns_lock);
	n = famfsd_node(fsd, ino);
	if (!n)
		err = ENOENT;
	else if (S_ISDIR(n->mode))
		err = EISDIR;
	else
		err = -famfsd_node_health(fsd, n);
	if (!err && (fi->flags & O_ACCMODE) != O_RDONLY && fsd->readonly)
		err = EROFS;
	if (!err && (fi->flags & O_TRUNC))
		err = fsd->readonly ? EROFS : EPERM;
	/* Counted until RELEASE: a deleted file's memory waits for it (rm.c). */
	if (!err)
		err = -famfsd_rm_open(fsd, n);
	pthread_rwlock_unlock(&fsd->ns_lock);
	if (err) {
		famfsd_reply_err(req, err);
		return;
	}
	fi->fh = (uintptr_t)n;
	famfsd_bpf_open(fsd, n);
	fi->direct_io = !(fsd->cache_page && (fi->flags & O_ACCMODE) == O_RDONLY);
	fi->keep_cache = 0;
	/* FLUSH would do nothing here (no locks, no write-back): spare close(2) the round trip. */
	fi->noflush = 1;
	/* Interrupted: the kernel will send no RELEASE for it. */
	if (fuse_reply_open(req, fi))
		famfsd_rm_release(fsd, n);
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct famfsd *fsd = famfsd_req(req);

	famfsd_count(fsd, FAMFS_OP_RELEASE);
	if (fi->fh)
		famfsd_rm_release(fsd, (struct famfs_node *)(uintptr_t)fi->fh);
	fuse_reply_err(req, 0);
}

static void op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct famfsd *fsd = famfsd_req(req);

	famfsd_count(fsd, FAMFS_OP_FLUSH);
	fuse_reply_err(req, 0);
}

static void op_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset,
			 off_t length, struct fuse_file_info *fi)
{
	struct famfsd *fsd = famfsd_req(req);

	famfsd_count(fsd, FAMFS_OP_FALLOCATE);
	famfsd_reply_err(req, famfsd_gone(fsd) ? EIO : fsd->readonly ? EROFS : EOPNOTSUPP);
}

/*
 * A copy between a buffer and the bytes [off, off + len) of a file, or
 * with @sync, a write back of those bytes' cache lines.
 */
struct xfer {
	const struct famfs_node *n;
	uint64_t off;
	uint64_t len;
	uint8_t *buf;
	bool write;
	bool sync;
};

/*
 * Copy (or, for FSYNC, write back) run by run. Each run's address is found
 * outside the SIGBUS guard (famfs_fs_addr allocates); only the copy itself,
 * with its flush or invalidate, runs guarded (famfs_sigbus_write/read/flush).
 * A fault marks the device of the run it hit vanished, not the file's
 * other devices.
 */
static int xfer(struct famfsd *fsd, struct xfer *x)
{
	uint64_t done = 0, run;
	unsigned long faults;
	uint32_t dev = 0;
	uint8_t *p;
	int rc = famfsd_node_health(fsd, x->n);

	while (!rc && done < x->len) {
		run = 0;
		p = famfs_fs_addr_dev(fsd->fs, x->n, x->off + done, &run, &dev);
		if (!p || !run)
			return -EIO;
		if (run > x->len - done)
			run = x->len - done;
		faults = famfs_sigbus_caught_here();
		if (x->sync) {
			rc = famfs_sigbus_flush(p, run);
			if (!rc)
				famfs_audit_published(p, run, "famfsd FSYNC");
		} else if (x->write) {
			rc = famfs_sigbus_write(p, x->buf + done, run);
			if (!rc)
				famfs_audit_published(p, run, "famfsd WRITE");
		} else {
			rc = famfs_sigbus_read(x->buf + done, p, run);
			if (!rc)
				famfs_audit_read(p, run, "famfsd READ");
		}
		rc = famfsd_dev_check(fsd, dev, faults, rc);
		done += run;
	}
	return rc;
}

/* FSYNC: write back the cache lines of the whole file (see the top comment). */
static void op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync,
		     struct fuse_file_info *fi)
{
	struct famfsd *fsd = famfsd_req(req);
	const struct famfs_node *n = (const struct famfs_node *)(uintptr_t)fi->fh;
	struct xfer x = { .n = n, .off = 0, .len = n->size, .sync = true };
	int rc = 0;

	famfsd_count(fsd, FAMFS_OP_FSYNC);
	if (famfsd_gone(fsd)) {
		famfsd_reply_err(req, EIO);
		return;
	}
	if (x.len)
		rc = xfer(fsd, &x);
	if (rc)
		famfsd_reply_err(req, -rc);
	else
		fuse_reply_err(req, 0);
}

/*
 * Each worker thread keeps one read buffer, grown to the largest read it
 * served; the thread-specific key fsd->rbuf_key (made by famfsd_new) frees
 * it when libfuse retires the thread.
 */
struct rbuf {
	size_t len;
	uint8_t data[];
};

static uint8_t *rbuf_get(struct famfsd *fsd, size_t len)
{
	struct rbuf *b = pthread_getspecific(fsd->rbuf_key);

	if (b && b->len >= len)
		return b->data;
	free(b);
	pthread_setspecific(fsd->rbuf_key, NULL);
	b = malloc(sizeof(*b) + len);
	if (!b)
		return NULL;
	b->len = len;
	pthread_setspecific(fsd->rbuf_key, b);
	return b->data;
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct famfsd *fsd = famfsd_req(req);
	const struct famfs_node *n = (const struct famfs_node *)(uintptr_t)fi->fh;
	struct xfer x = { .n = n };
	int rc;

	famfsd_count(fsd, FAMFS_OP_READ);
	if (famfsd_gone(fsd)) {
		famfsd_reply_err(req, EIO);
		return;
	}
	if (!n) {	/* only .meta files are open without a node */
		famfsd_meta_file_read(req, famfsd_meta_kind(fsd, ino), size, off);
		return;
	}
	if (off < 0 || (uint64_t)off >= n->size || !size) {
		rc = famfsd_node_health(fsd, n);
		if (rc)
			famfsd_reply_err(req, -rc);
		else
			fuse_reply_buf(req, NULL, 0);
		return;
	}
	x.off = (uint64_t)off;
	x.len = n->size - x.off < size ? n->size - x.off : size;
	x.buf = rbuf_get(fsd, x.len);
	if (!x.buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	rc = xfer(fsd, &x);
	if (rc) {
		famfsd_reply_err(req, -rc);
		return;
	}
	famfsd_count_bytes(fsd, x.len, 0);
	fuse_reply_buf(req, (const char *)x.buf, x.len);
}

void famfsd_node_touch(struct famfs_node *n)
{
	uint64_t now, old, want, base;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	old = __atomic_load_n(&n->wtime_ns, __ATOMIC_RELAXED);
	do {
		/* Later than anything shown before, even if the clock went back. */
		base = old > n->time_ns ? old : n->time_ns;
		want = now > base ? now : base + 1;
	} while (!__atomic_compare_exchange_n(&n->wtime_ns, &old, want, false,
					      __ATOMIC_RELAXED, __ATOMIC_RELAXED));
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size,
		     off_t off, struct fuse_file_info *fi)
{
	struct famfsd *fsd = famfsd_req(req);
	const struct famfs_node *n = (const struct famfs_node *)(uintptr_t)fi->fh;
	struct xfer x = { .n = n, .buf = (uint8_t *)buf, .write = true };
	int rc;

	famfsd_count(fsd, FAMFS_OP_WRITE);
	if (famfsd_gone(fsd)) {
		famfsd_reply_err(req, EIO);
		return;
	}
	if (fsd->readonly) {
		fuse_reply_err(req, EROFS);
		return;
	}
	if (!n) {	/* a .meta file: never opened for writing */
		fuse_reply_err(req, EPERM);
		return;
	}
	rc = famfsd_node_health(fsd, n);
	if (rc) {
		famfsd_reply_err(req, -rc);
		return;
	}
	if (off < 0 || (uint64_t)off >= n->size) {
		fuse_reply_err(req, size ? EFBIG : 0);
		return;
	}
	x.off = (uint64_t)off;
	x.len = n->size - x.off < size ? n->size - x.off : size;
	rc = xfer(fsd, &x);
	if (rc) {
		famfsd_reply_err(req, -rc);
		return;
	}
	famfsd_count_bytes(fsd, 0, x.len);
	if (x.len)
		famfsd_node_touch((struct famfs_node *)n);
	fuse_reply_write(req, x.len);
}

/*
 * The V10 GET_FMAP reply for file @n into @buf (FAMFS_FMAP_MSG_MAX bytes):
 * its length, or a negative errno. The ioctl and the native opcode both
 * answer with this.
 */
ssize_t famfsd_fmap_reply(struct famfsd *fsd, const struct famfs_node *n, uint8_t *buf)
{
	struct famfs_omf_file of;
	struct famfs_fmap *fm;
	ssize_t len;
	int rc;

	if (famfsd_gone(fsd))
		return -EIO;
	if (!S_ISREG(n->mode))
		return -EISDIR;
	rc = famfsd_node_health(fsd, n);
	if (rc)
		return rc;
	fm = malloc(sizeof(*fm));
	if (!fm)
		return -ENOMEM;
	memset(&of, 0, sizeof(of));
	of.size = n->size;
	of.flags = FAMFS_FM_ALL_HOSTS_RW;
	of.uid = n->uid;
	of.gid = n->gid;
	of.mode = n->mode & 07777;
	memcpy(of.relpath, n->name, sizeof(of.relpath));
	of.fmap = *n->fmap;
	rc = famfs_fmap_from_omf(&of, fm);
	len = rc ? rc : famfs_fmap_encode(fm, buf, FAMFS_FMAP_MSG_MAX);
	free(fm);
	return len;
}

/* GET_FMAP: the V10 reply for file @n, exactly as the kernel would get it. */
static void ioc_get_fmap(fuse_req_t req, const struct famfs_node *n, size_t out_bufsz)
{
	struct famfsd *fsd = famfsd_req(req);
	uint8_t buf[FAMFS_FMAP_MSG_MAX];
	ssize_t len;

	famfsd_count(fsd, FAMFS_OP_GET_FMAP);
	len = famfsd_fmap_reply(fsd, n, buf);
	if (len < 0) {
		famfsd_reply_err(req, (int)-len);
		return;
	}
	if ((size_t)len > out_bufsz) {
		fuse_reply_err(req, E2BIG);
		return;
	}
	fuse_reply_ioctl(req, (int)len, buf, (size_t)len);
}

/* GET_DAXDEV: the index is the u16 at offset 0 of the 280-byte input. */
static void ioc_get_daxdev(fuse_req_t req, const void *in_buf, size_t in_bufsz,
			   size_t out_bufsz)
{
	struct famfsd *fsd = famfsd_req(req);
	uint8_t out[FAMFS_DAXDEV_OUT_SIZE];
	char name[FAMFS_DAXDEV_NAME_MAX];
	const uint8_t *in = in_buf;
	unsigned int idx;
	int rc;

	famfsd_count(fsd, FAMFS_OP_GET_DAXDEV);
	if (in_bufsz < 2 || out_bufsz < FAMFS_DAXDEV_OUT_SIZE) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	idx = (unsigned int)in[0] | (unsigned int)in[1] << 8;
	rc = famfsd_dax_name(fsd, idx, name);
	if (rc) {
		fuse_reply_err(req, -rc);
		return;
	}
	famfs_daxdev_out_encode((uint16_t)idx, name, out);
	fuse_reply_ioctl(req, 0, out, sizeof(out));
}

void famfsd_ioctl(fuse_req_t req, fuse_ino_t ino, unsigned int cmd, void *arg,
		  struct fuse_file_info *fi, unsigned int flags, const void *in_buf,
		  size_t in_bufsz, size_t out_bufsz)
{
	struct famfsd *fsd = famfsd_req(req);
	struct famfs_node *n;

	famfsd_count(fsd, FAMFS_OP_IOCTL);
	if (flags & FUSE_IOCTL_COMPAT) {
		fuse_reply_err(req, ENOTTY);
		return;
	}
	/* Once gone, only what famfs stats and famfs umount need still works. */
	if (famfsd_gone(fsd) && !(ino == FAMFS_ROOT_INO && (flags & FUSE_IOCTL_DIR) &&
			       (cmd == FAMFS_IOC_STATS || cmd == FAMFS_IOC_INFO))) {
		famfsd_reply_err(req, EIO);
		return;
	}
	pthread_rwlock_rdlock(&fsd->ns_lock);
	n = famfsd_node(fsd, ino);
	pthread_rwlock_unlock(&fsd->ns_lock);
	if (!n && famfsd_meta_kind(fsd, ino) && cmd == FAMFS_IOC_GET_FMAP) {
		famfsd_meta_get_fmap(req, famfsd_meta_kind(fsd, ino), out_bufsz);
		return;
	}
	if (!n && !famfsd_meta_kind(fsd, ino)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (cmd == FAMFS_IOC_GET_DAXDEV) {
		ioc_get_daxdev(req, in_buf, in_bufsz, out_bufsz);
		return;
	}
	if (cmd == FAMFS_IOC_GET_FMAP && n) {
		ioc_get_fmap(req, n, out_bufsz);
		return;
	}
	if (cmd == FAMFS_IOC_INFO || (ino == FAMFS_ROOT_INO && (flags & FUSE_IOCTL_DIR))) {
		famfsd_ctl_ioctl(req, cmd, in_buf, in_bufsz, out_bufsz);
		return;
	}
	fuse_reply_err(req, ENOTTY);
}

void famfsd_file_ops(struct fuse_lowlevel_ops *ops)
{
	ops->open = op_open;
	ops->release = op_release;
	ops->flush = op_flush;
	ops->fsync = op_fsync;
	ops->read = op_read;
	ops->write = op_write;
	ops->fallocate = op_fallocate;
	ops->ioctl = famfsd_ioctl;
}
