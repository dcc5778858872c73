// SPDX-License-Identifier: Apache-2.0
/*
 * map.c - direct access to famfs files: fetch the fmap once, learn the
 * devices into a per-process table, and map every segment of the file from
 * its device into one contiguous 2 MiB-aligned range (see famfs/map.h).
 * The table keeps device names, not descriptors: a device is opened only
 * while a mapping is made, so a process that drops privileges keeps no
 * way to read device memory beyond the mappings it already has.
 *
 * Every open/ioctl/mmap/munmap/close here is a raw system call, so that the
 * LD_PRELOAD shim (src/preload), which wraps libc's functions, never
 * recurses into itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "famfs/audit.h"
#include "famfs/dev.h"
#include "famfs/err.h"
#include "famfs/ioctl.h"
#include "famfs/map.h"
#include "famfs/omf.h"
#include "famfs/resolver.h"

/* Files needing more mappings than this get the max_map_count pre-check. */
#define MAP_CHECK_MIN_SEGS	16

#define PMD	FAMFS_PMD_SIZE

static uint64_t round_up_pmd(uint64_t v)
{
	return (v + PMD - 1) & ~(PMD - 1);
}

/* ---- raw system calls ---- */

static int sys_open(const char *path, int flags)
{
	long r = syscall(SYS_openat, AT_FDCWD, path, flags | O_CLOEXEC, 0);

	return r < 0 ? -errno : (int)r;
}

static void sys_close(int fd)
{
	syscall(SYS_close, fd);
}

static long sys_ioctl(int fd, unsigned long cmd, void *arg)
{
	long r = syscall(SYS_ioctl, fd, cmd, arg);

	return r < 0 ? -errno : r;
}

/* mmap(2); returns the address, or NULL with -errno in *err. */
static void *sys_mmap(void *addr, size_t len, int prot, int flags, int fd, uint64_t off,
		      int *err)
{
	long r = syscall(SYS_mmap, addr, len, prot, flags, fd, (long)off);

	if (r == -1) {
		*err = -errno;
		return NULL;
	}
	return (void *)r;
}

static void sys_munmap(void *addr, size_t len)
{
	if (addr && len) {
		famfs_audit_unmap(addr, len);
		syscall(SYS_munmap, addr, len);
	}
}

/* Read a small text file (sysfs/procfs) into @buf, NUL-terminated. */
static ssize_t read_small(const char *path, char *buf, size_t bufsz)
{
	int fd = sys_open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return fd;
	n = syscall(SYS_read, fd, buf, bufsz - 1);
	if (n < 0)
		n = -errno;
	sys_close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

/* Number of lines of /proc/self/maps, i.e. the process's mappings. */
static long count_maps(void)
{
	char buf[16384];
	long lines = 0;
	ssize_t n, i;
	int fd = sys_open("/proc/self/maps", O_RDONLY);

	if (fd < 0)
		return fd;
	while ((n = syscall(SYS_read, fd, buf, sizeof(buf))) > 0)
		for (i = 0; i < n; i++)
			lines += buf[i] == '\n';
	if (n < 0)
		lines = -errno;
	sys_close(fd);
	return lines;
}

static long max_map_count(void)
{
	char buf[64];

	if (read_small("/proc/sys/vm/max_map_count", buf, sizeof(buf)) <= 0)
		return -1;
	return strtol(buf, NULL, 10);
}

int famfs_map_check_count(long nsegs)
{
	long max = max_map_count();
	long cur;

	if (max <= 0)
		return 0;
	cur = count_maps();
	if (cur < 0)
		return 0;
	if (cur + nsegs > max - FAMFS_MAP_COUNT_MARGIN)
		return famfs_err(-ENOMEM, "mapping needs %ld mappings, the process has %ld, "
				 "vm.max_map_count is %ld (keeping %d free): raise "
				 "vm.max_map_count or use larger chunks", nsegs, cur, max,
				 FAMFS_MAP_COUNT_MARGIN);
	return 0;
}

/* An mmap that failed with ENOMEM: say why, in max_map_count terms. */
static int enomem_detail(long nsegs)
{
	return famfs_err(-ENOMEM, "mmap of %ld segments failed: out of memory or "
			 "vm.max_map_count (%ld) reached with %ld mappings", nsegs,
			 max_map_count(), count_maps());
}

/* ---- the per-process daxdev table ---- */

struct daxdev_slot {
	bool valid;
	char name[FAMFS_DAXDEV_NAME_MAX];
};

static pthread_mutex_t dax_lock = PTHREAD_MUTEX_INITIALIZER;
static struct daxdev_slot dax_table[FAMFS_MAX_DAXDEVS];
static pthread_once_t dax_once = PTHREAD_ONCE_INIT;

static void dax_prepare(void)
{
	pthread_mutex_lock(&dax_lock);
}

static void dax_release(void)
{
	pthread_mutex_unlock(&dax_lock);
}

static void dax_init(void)
{
	pthread_atfork(dax_prepare, dax_release, dax_release);
}

/*
 * Make sure slot @idx knows its device name, asking famfsd (GET_DAXDEV on
 * @fd) only when the slot is empty. Concurrent callers may both ask; the
 * first answer wins.
 */
static int dax_learn(int fd, unsigned int idx)
{
	uint8_t buf[FAMFS_DAXDEV_OUT_SIZE];
	char name[FAMFS_DAXDEV_NAME_MAX];
	uint16_t got;
	bool known;
	long r;
	int err;

	if (idx >= FAMFS_MAX_DAXDEVS)
		return famfs_err(-EINVAL, "fmap: device index %u out of range", idx);
	pthread_mutex_lock(&dax_lock);
	known = dax_table[idx].valid;
	pthread_mutex_unlock(&dax_lock);
	if (known)
		return 0;

	memset(buf, 0, sizeof(buf));
	buf[0] = idx & 0xff;
	buf[1] = (idx >> 8) & 0xff;
	r = sys_ioctl(fd, FAMFS_IOC_GET_DAXDEV, buf);
	if (r < 0)
		return famfs_err((int)r, "GET_DAXDEV %u: %s", idx, strerror((int)-r));
	err = famfs_daxdev_out_decode(buf, sizeof(buf), &got, name);
	if (err)
		return famfs_err(err, "GET_DAXDEV %u: bad reply", idx);

	pthread_mutex_lock(&dax_lock);
	if (!dax_table[idx].valid) {
		memcpy(dax_table[idx].name, name, sizeof(name));
		dax_table[idx].valid = true;
	}
	pthread_mutex_unlock(&dax_lock);
	return 0;
}

/*
 * famfs_map_devfd_fn over the daxdev table: a new descriptor each time,
 * which the mapping code closes once its mappings are made (devfds_close).
 */
static int dax_devfd(void *ctx, uint64_t idx, bool writable, int *fdp)
{
	char name[FAMFS_DAXDEV_NAME_MAX];
	bool valid;
	int fd;

	(void)ctx;
	if (idx >= FAMFS_MAX_DAXDEVS)
		return famfs_err(-EINVAL, "fmap: device index %llu out of range",
				 (unsigned long long)idx);
	pthread_mutex_lock(&dax_lock);
	valid = dax_table[idx].valid;
	memcpy(name, dax_table[idx].name, sizeof(name));
	pthread_mutex_unlock(&dax_lock);
	if (!valid)
		return famfs_err(-ENODEV, "device %llu unknown", (unsigned long long)idx);
	fd = sys_open(name, writable ? O_RDWR : O_RDONLY);
	if (fd < 0)
		return famfs_err(fd, "device %s: %s", name, strerror(-fd));
	*fdp = fd;
	return 0;
}

/*
 * The device descriptors of one mapping operation, by device index (-1:
 * not open yet). Each device is asked for once per operation; those from
 * the daxdev table are closed when it ends (the mappings keep their own
 * reference to the device), those of a famfs_map_build caller are its own.
 */
struct devfds {
	int fd[FAMFS_MAX_DAXDEVS];
};

static void devfds_init(struct devfds *d)
{
	unsigned int i;

	for (i = 0; i < FAMFS_MAX_DAXDEVS; i++)
		d->fd[i] = -1;
}

static int devfds_get(const struct famfs_map *m, struct devfds *d, uint64_t idx, int *fd)
{
	int err;

	if (idx >= FAMFS_MAX_DAXDEVS)
		return famfs_err(-EINVAL, "fmap: device index %llu out of range",
				 (unsigned long long)idx);
	if (d->fd[idx] < 0) {
		err = m->devfd(m->devctx, idx, m->writable, &d->fd[idx]);
		if (err) {
			d->fd[idx] = -1;
			return err;
		}
	}
	*fd = d->fd[idx];
	return 0;
}

static void devfds_close(const struct famfs_map *m, struct devfds *d)
{
	unsigned int i;

	for (i = 0; i < FAMFS_MAX_DAXDEVS; i++) {
		if (d->fd[i] >= 0 && m->devfd == dax_devfd)
			sys_close(d->fd[i]);
		d->fd[i] = -1;
	}
}

/* ---- mapping ---- */

struct map_ctx {
	const struct famfs_map *m;
	struct devfds *devfds;
	uint8_t *base;		/* where file offset @off lands */
	uint64_t off, end;	/* the file range to map */
	int prot;
	long nmapped;
	uint64_t devsize[FAMFS_MAX_DAXDEVS];	/* 0: not known yet */
};

static int count_seg(void *ctx, const struct famfs_seg *seg)
{
	struct map_ctx *c = ctx;

	if (seg->file_off < c->end && seg->file_off + seg->len > c->off)
		c->nmapped++;
	return 0;
}

/* Refuse a segment past the end of a device that is a regular file. */
static int check_dev_bounds(struct map_ctx *c, int fd, const struct famfs_seg *seg)
{
	struct stat st;
	uint64_t *sz = &c->devsize[seg->devindex];

	if (*sz == 0) {
		if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
			*sz = UINT64_MAX;
		else
			*sz = (uint64_t)st.st_size;
	}
	if (seg->dev_off > *sz || seg->len > *sz - seg->dev_off)
		return famfs_err(-EINVAL, "fmap: extent at device offset %#llx + %#llx is past "
				 "the end of device %llu (%#llx bytes)",
				 (unsigned long long)seg->dev_off, (unsigned long long)seg->len,
				 (unsigned long long)seg->devindex, (unsigned long long)*sz);
	return 0;
}

static int map_seg(void *ctx, const struct famfs_seg *seg)
{
	struct map_ctx *c = ctx;
	uint64_t s = seg->file_off, e = seg->file_off + seg->len;
	int fd, err;

	if (e <= c->off || s >= c->end)
		return 0;
	err = devfds_get(c->m, c->devfds, seg->devindex, &fd);
	if (err)
		return err;
	err = check_dev_bounds(c, fd, seg);
	if (err)
		return err;
	if (s < c->off)
		s = c->off;
	if (e > c->end)
		e = c->end;
	if (!sys_mmap(c->base + (s - c->off), e - s, c->prot, MAP_SHARED | MAP_FIXED, fd,
		      seg->dev_off + (s - seg->file_off), &err)) {
		if (err == -ENOMEM)
			return enomem_detail(c->nmapped);
		return famfs_err(err, "mmap of file offset %#llx from device %llu: %s",
				 (unsigned long long)s, (unsigned long long)seg->devindex,
				 strerror(-err));
	}
	famfs_audit_map(c->base + (s - c->off), e - s, fd, seg->dev_off + (s - seg->file_off));
	return 0;
}

/*
 * Reserve @len bytes of address space, PROT_NONE, such that the returned
 * address is congruent to @phase modulo 2 MiB (so device pages can be
 * mapped huge). With @fixed, @addr is taken as is.
 */
static uint8_t *reserve(void *addr, size_t len, uint64_t phase, bool fixed, int *err)
{
	const int fl = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
	uint8_t *p, *base;
	size_t big = len + 2 * PMD;

	if (fixed)
		return sys_mmap(addr, len, PROT_NONE, fl | MAP_FIXED, -1, 0, err);
	p = sys_mmap(addr, big, PROT_NONE, fl, -1, 0, err);
	if (!p)
		return NULL;
	base = (uint8_t *)round_up_pmd((uint64_t)(uintptr_t)p) + (phase & (PMD - 1));
	sys_munmap(p, base - p);
	sys_munmap(base + len, (p + big) - (base + len));
	return base;
}

/* Walk @m's segments: the BPF resolver in BPF mode, else the fmap. */
static long map_walk(const struct famfs_map *m, famfs_seg_fn fn, void *ctx)
{
	struct famfs_resolver r = { .kind = FAMFS_RESOLVER_BPF, .bpf = m->bpf, .ino = m->bpf_ino };

	if (m->bpf)
		return famfs_resolver_walk(&r, m->fmap.file_size, fn, ctx);
	return famfs_fmap_walk(&m->fmap, fn, ctx);
}

/*
 * Map file range [off, off + len) of @m at a new (or @fixed) address. Unless
 * @fixed, the mapping is widened to 2 MiB boundaries (devdax maps nothing
 * smaller); *@out is the address of @off inside it and *@span the whole.
 * Device descriptors come from (and stay in) @devfds.
 */
static int map_range(const struct famfs_map *m, struct devfds *devfds, void *addr, uint64_t off,
		     size_t len, int prot, bool fixed, void **out, struct famfs_map_span *span,
		     long *nsegs)
{
	uint64_t a_off = fixed ? off : off & ~(PMD - 1);
	uint64_t a_end = fixed ? off + len : round_up_pmd(off + len);
	size_t a_len = a_end - a_off;
	struct map_ctx *c;
	long n;
	int err = 0;

	if (a_end < off)
		return -EOVERFLOW;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->m = m;
	c->devfds = devfds;
	c->off = a_off;
	c->end = a_end;
	c->prot = prot;
	n = map_walk(m, count_seg, c);
	if (n < 0) {
		err = famfs_err((int)n, "fmap: walk failed");
		goto out;
	}
	if (c->nmapped > MAP_CHECK_MIN_SEGS) {
		err = famfs_map_check_count(c->nmapped);
		if (err)
			goto out;
	}
	c->base = reserve(addr, a_len, a_off, fixed, &err);
	if (!c->base) {
		if (err == -ENOMEM)
			err = enomem_detail(c->nmapped);
		goto out;
	}
	n = map_walk(m, map_seg, c);
	if (n < 0) {
		err = (int)n;
		sys_munmap(c->base, a_len);
		goto out;
	}
	*out = c->base + (off - a_off);
	if (span) {
		span->base = c->base;
		span->len = a_len;
	}
	if (nsegs)
		*nsegs = c->nmapped;
out:
	free(c);
	return err;
}

int famfs_map_mmap(const struct famfs_map *m, void *addr, size_t len, int prot, bool fixed,
		   uint64_t off, void **out, struct famfs_map_span *span)
{
	long pg = sysconf(_SC_PAGESIZE);
	struct devfds d;
	int err;

	if (!m || !out || len == 0)
		return -EINVAL;
	if (off & (pg - 1))
		return famfs_err(-EINVAL, "mmap offset %#llx is not page aligned",
				 (unsigned long long)off);
	if (fixed && ((uintptr_t)addr & (pg - 1)))
		return -EINVAL;
	if (off + len < off)
		return -EOVERFLOW;
	if ((prot & PROT_WRITE) && !m->writable)
		return -EACCES;
	devfds_init(&d);
	err = map_range(m, &d, addr, off, len, prot & (PROT_READ | PROT_WRITE | PROT_EXEC), fixed,
			out, span, NULL);
	devfds_close(m, &d);
	return err;
}

static int build(const struct famfs_fmap *f, int flags, famfs_map_devfd_fn devfd, void *ctx,
		 const struct famfs_bpf *bpf, uint64_t ino, struct famfs_map **out)
{
	struct famfs_map *m;
	struct devfds d;
	uint64_t bits;
	unsigned int i;
	int acc = flags & O_ACCMODE;
	int err, dfd;
	void *addr;

	if (!f || !devfd || !out || acc == (O_WRONLY | O_RDWR))
		return -EINVAL;
	err = famfs_cache_check();
	if (err)
		return err;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	devfds_init(&d);
	m->fmap = *f;
	m->fd = -1;
	m->writable = acc != O_RDONLY;
	m->devfd = devfd;
	m->devctx = ctx;
	m->bpf = bpf;
	m->bpf_ino = ino;
	m->len = f->file_size;
	m->maplen = round_up_pmd(f->file_size);
	if (m->len != f->file_size || m->maplen < m->len) {
		err = famfs_err(-EFBIG, "file size %#llx too large to map",
				(unsigned long long)f->file_size);
		goto fail;
	}
	/* Open every device before mapping anything: fail early and whole. */
	for (bits = f->dev_bitmap, i = 0; bits; bits >>= 1, i++) {
		if (!(bits & 1))
			continue;
		err = devfds_get(m, &d, i, &dfd);
		if (err)
			goto fail;
	}
	if (m->len) {
		int prot = PROT_READ | (m->writable ? PROT_WRITE : 0);

		err = map_range(m, &d, NULL, 0, m->maplen, prot, false, &addr, NULL, &m->nsegs);
		if (err)
			goto fail;
		m->addr = addr;
	}
	devfds_close(m, &d);
	*out = m;
	return 0;
fail:
	devfds_close(m, &d);
	free(m);
	return err;
}

int famfs_map_build(const struct famfs_fmap *f, int flags, famfs_map_devfd_fn devfd, void *ctx,
		    struct famfs_map **out)
{
	return build(f, flags, devfd, ctx, NULL, 0, out);
}

/* ---- BPF mode: the pinned maps of famfsd -o bpf instead of GET_FMAP ---- */

#define BPF_MOUNTS	16
#ifndef STATX_MNT_ID_UNIQUE
#define STATX_MNT_ID_UNIQUE	0x00004000U
#endif

/* What this process knows of one mount, keyed by mount id. */
struct bpf_mount {
	uint64_t mnt_id;
	bool used;
	bool has_bpf;
	struct famfs_bpf h;	/* never closed: live maps reference it */
};

static struct bpf_mount bpf_mounts[BPF_MOUNTS];

/* The mount's BPF handle, or NULL when it has none (cached per mount id). */
static const struct famfs_bpf *bpf_mount_get(uint64_t mnt_id, uint64_t dev)
{
	char dir[256];
	struct bpf_mount *bm = NULL;
	unsigned int i;

	pthread_mutex_lock(&dax_lock);
	for (i = 0; i < BPF_MOUNTS; i++) {
		if (bpf_mounts[i].used && bpf_mounts[i].mnt_id == mnt_id) {
			bm = &bpf_mounts[i];
			goto out;
		}
	}
	for (i = 0; i < BPF_MOUNTS && bpf_mounts[i].used; i++)
		;
	if (i == BPF_MOUNTS) {
		pthread_mutex_unlock(&dax_lock);
		return NULL;	/* table full: GET_FMAP */
	}
	bm = &bpf_mounts[i];
	bm->used = true;
	bm->mnt_id = mnt_id;
	famfs_bpf_pin_dir(dev, dir, sizeof(dir));
	bm->has_bpf = famfs_bpf_open_pinned(dir, &bm->h) == 0;
out:
	pthread_mutex_unlock(&dax_lock);
	return bm->has_bpf ? &bm->h : NULL;
}

/* Slot @idx from the pinned device map, standing in for GET_DAXDEV. */
static int dax_learn_bpf(const struct famfs_bpf *h, unsigned int idx)
{
	struct famfs_bpf_dev d;
	int rc;

	if (idx >= FAMFS_MAX_DAXDEVS)
		return famfs_err(-EINVAL, "fmap: device index %u out of range", idx);
	rc = famfs_bpf_get_dev(h, idx, &d);
	if (rc)
		return famfs_err(rc, "BPF device map, slot %u: %s", idx, strerror(-rc));
	if (!d.valid || !d.name[0])
		return famfs_err(-EINVAL, "BPF device map: no device %u", idx);
	if (d.state)
		return famfs_err(d.state == 1 ? -EHWPOISON : -EIO, "device %u (%s) has failed",
				 idx, d.name);
	d.name[sizeof(d.name) - 1] = '\0';
	pthread_mutex_lock(&dax_lock);
	if (!dax_table[idx].valid) {
		memcpy(dax_table[idx].name, d.name, sizeof(dax_table[idx].name));
		dax_table[idx].valid = true;
	}
	pthread_mutex_unlock(&dax_lock);
	return 0;
}

/*
 * Map @fd through the mount's pinned BPF maps. Returns -EAGAIN when this
 * is not a BPF-mode mount or the file is not in the map (use GET_FMAP).
 */
static int bpf_open(int fd, int flags, struct famfs_map **out)
{
	const struct famfs_bpf *h;
	struct famfs_bpf_file v;
	struct famfs_fmap *f;
	struct statx stx;
	uint8_t *buf = NULL;
	uint64_t bits, dev;
	unsigned int i;
	ssize_t n;
	int err;
	const char *no = getenv("FAMFS_NO_BPF");

	if (no && *no && *no != '0')
		return -EAGAIN;
	/* The unique mount id (6.8+): the legacy one is reused after unmount. */
	memset(&stx, 0, sizeof(stx));
	if (syscall(SYS_statx, fd, "", AT_EMPTY_PATH, STATX_INO | STATX_TYPE |
		    STATX_MNT_ID_UNIQUE, &stx) || !(stx.stx_mask & STATX_MNT_ID_UNIQUE) ||
	    !S_ISREG(stx.stx_mode))
		return -EAGAIN;
	dev = makedev(stx.stx_dev_major, stx.stx_dev_minor);
	h = bpf_mount_get(stx.stx_mnt_id, dev);
	if (!h || famfs_bpf_get_file(h, stx.stx_ino, &v))
		return -EAGAIN;
	f = malloc(sizeof(*f));
	buf = malloc(FAMFS_FMAP_MSG_MAX);
	if (!f || !buf) {
		err = -ENOMEM;
		goto out;
	}
	/* The kernel's fmap rules, exactly as a GET_FMAP reply would get them. */
	famfs_bpf_file_decode(&v, f);
	n = famfs_fmap_encode(f, buf, FAMFS_FMAP_MSG_MAX);
	err = n < 0 ? (int)n : famfs_fmap_decode(buf, (size_t)n, f);
	if (err) {
		if (!famfs_errmsg()[0])
			famfs_err(err, "BPF map entry of inode %llu is invalid",
				  (unsigned long long)stx.stx_ino);
		goto out;
	}
	for (bits = f->dev_bitmap, i = 0; bits; bits >>= 1, i++) {
		if (!(bits & 1))
			continue;
		err = dax_learn_bpf(h, i);
		if (err)
			goto out;
	}
	err = build(f, flags, dax_devfd, NULL, h, stx.stx_ino, out);
	if (!err)
		(*out)->fd = fd;
out:
	free(buf);
	free(f);
	return err;
}

int famfs_map_open_fd(int fd, int flags, struct famfs_map **out)
{
	uint8_t buf[FAMFS_FMAP_MSG_MAX];
	struct famfs_fmap *f;
	uint64_t bits;
	unsigned int i;
	long n;
	int err;

	if (fd < 0 || !out)
		return -EINVAL;
	pthread_once(&dax_once, dax_init);
	famfs_errclear();
	err = bpf_open(fd, flags, out);
	if (err != -EAGAIN)
		return err;
	famfs_errclear();
	n = sys_ioctl(fd, FAMFS_IOC_GET_FMAP, buf);
	if (n < 0)
		return famfs_err((int)n, "GET_FMAP: %s", strerror((int)-n));
	f = malloc(sizeof(*f));
	if (!f)
		return -ENOMEM;
	err = famfs_fmap_decode(buf, (size_t)n, f);
	if (err) {
		if (!famfs_errmsg()[0])
			famfs_err(err, "GET_FMAP reply of %ld bytes is invalid", n);
		goto out;
	}
	for (bits = f->dev_bitmap, i = 0; bits; bits >>= 1, i++) {
		if (!(bits & 1))
			continue;
		err = dax_learn(fd, i);
		if (err)
			goto out;
	}
	err = build(f, flags, dax_devfd, NULL, NULL, 0, out);
	if (!err)
		(*out)->fd = fd;
out:
	free(f);
	return err;
}

int famfs_map_open(const char *path, int flags, struct famfs_map **out)
{
	int acc = flags & O_ACCMODE;
	int fd, err;

	if (!path || !out)
		return -EINVAL;
	fd = sys_open(path, acc);
	if (fd < 0)
		return famfs_err(fd, "%s: %s", path, strerror(-fd));
	err = famfs_map_open_fd(fd, acc, out);
	if (err) {
		sys_close(fd);
		return err;
	}
	(*out)->own_fd = true;
	return 0;
}

void famfs_map_close(struct famfs_map *m)
{
	if (!m)
		return;
	sys_munmap(m->addr, m->maplen);
	if (m->own_fd && m->fd >= 0)
		sys_close(m->fd);
	free(m);
}
