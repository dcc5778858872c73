// SPDX-License-Identifier: Apache-2.0
/*
 * map.c - direct access to famfs files: find the file's mount and check
 * that it is trusted (mntctx.c), fetch the fmap once, learn its devices
 * into the mount's device table, and map every segment of the file from
 * its device into one contiguous 2 MiB-aligned range (see famfs/map.h).
 * The BPF mode's lookup lives in bpfmount.c, the system calls in
 * rawsys.c, the max_map_count check in mapcount.c.
 *
 * The device table keeps device names, not descriptors: a device is opened
 * only while a mapping is made (struct devfds), so a process that drops
 * privileges keeps no way to read device memory beyond the mappings it
 * already has.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "famfs/audit.h"
#include "famfs/dev.h"
#include "famfs/err.h"
#include "famfs/ioctl.h"
#include "famfs/map.h"
#include "famfs/omf.h"
#include "famfs/resolver.h"
#include "map_int.h"

#define PMD	FAMFS_PMD_SIZE

static uint64_t round_up_pmd(uint64_t v)
{
	return (v + PMD - 1) & ~(PMD - 1);
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
		if (d->fd[i] >= 0 && m->devfd == famfs_mctx_devfd)
			famfs_raw_close(d->fd[i]);
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
	struct famfs_seg first;			/* the first segment in range */
	uint64_t devsize[FAMFS_MAX_DAXDEVS];	/* 0: not known yet */
};

static int count_seg(void *ctx, const struct famfs_seg *seg)
{
	struct map_ctx *c = ctx;

	if (seg->file_off < c->end && seg->file_off + seg->len > c->off) {
		if (!c->nmapped)
			c->first = *seg;
		c->nmapped++;
	}
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
	if (!famfs_raw_mmap(c->base + (s - c->off), e - s, c->prot, MAP_SHARED | MAP_FIXED, fd,
		      seg->dev_off + (s - seg->file_off), &err)) {
		if (err == -ENOMEM)
			return famfs_map_enomem(c->nmapped);
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
		return famfs_raw_mmap(addr, len, PROT_NONE, fl | MAP_FIXED, -1, 0, err);
	p = famfs_raw_mmap(addr, big, PROT_NONE, fl, -1, 0, err);
	if (!p)
		return NULL;
	base = (uint8_t *)round_up_pmd((uint64_t)(uintptr_t)p) + (phase & (PMD - 1));
	famfs_raw_munmap(p, base - p);
	famfs_raw_munmap(base + len, (p + big) - (base + len));
	return base;
}

/*
 * Where the device of @m's segment @seg maps 2 MiB-aligned by itself (a
 * devdax device, hugetlbfs, a tmpfs with huge pages: the kernel aligns a
 * mapping to the device's page size), so that one mmap does the work of
 * reserve() and map_seg(). Remembered per device slot of the mount, as
 * "no" after the first unaligned answer.
 */
static bool *no_align_of(const struct famfs_map *m, uint64_t devindex)
{
	struct famfs_mctx *mc = m->devctx;

	if (m->devfd != famfs_mctx_devfd || devindex >= FAMFS_MAX_DAXDEVS)
		return NULL;
	return &mc->dax[devindex].no_align;
}

/*
 * Map the one segment c->first, which covers [c->off, c->end), with one
 * mmap where the kernel places it 2 MiB-aligned. -EAGAIN: use reserve().
 */
static int map_one(struct map_ctx *c)
{
	const struct famfs_seg *seg = &c->first;
	bool *no_align = no_align_of(c->m, seg->devindex);
	uint64_t dev_off = seg->dev_off + (c->off - seg->file_off);
	uint8_t *p;
	int fd, err;

	if (!no_align || *no_align || seg->file_off > c->off ||
	    seg->file_off + seg->len < c->end)
		return -EAGAIN;
	err = devfds_get(c->m, c->devfds, seg->devindex, &fd);
	if (!err)
		err = check_dev_bounds(c, fd, seg);
	if (err)
		return err;
	p = famfs_raw_mmap(NULL, c->end - c->off, c->prot, MAP_SHARED, fd, dev_off, &err);
	if (!p)
		return -EAGAIN;
	if ((uintptr_t)p & (PMD - 1)) {
		famfs_raw_munmap(p, c->end - c->off);
		*no_align = true;
		return -EAGAIN;
	}
	famfs_audit_map(p, c->end - c->off, fd, dev_off);
	c->base = p;
	return 0;
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
	if (c->nmapped > famfs_map_check_min()) {
		err = famfs_map_check_count(c->nmapped);
		if (err)
			goto out;
	}
	if (!fixed && !addr && c->nmapped == 1 && !m->bpf) {
		err = map_one(c);
		if (!err)
			goto mapped;
		if (err != -EAGAIN)
			goto out;
		err = 0;
	}
	c->base = reserve(addr, a_len, a_off, fixed, &err);
	if (!c->base) {
		if (err == -ENOMEM)
			err = famfs_map_enomem(c->nmapped);
		goto out;
	}
	n = map_walk(m, map_seg, c);
	if (n < 0) {
		err = (int)n;
		famfs_raw_munmap(c->base, a_len);
		goto out;
	}
mapped:
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

int famfs_map_build_mctx(const struct famfs_fmap *f, int flags, struct famfs_mctx *c,
			 const struct famfs_bpf *bpf, uint64_t ino, struct famfs_map **out)
{
	int err = build(f, flags, famfs_mctx_devfd, c, bpf, ino, out);

	if (!err) {
		famfs_mctx_hold(c);
		famfs_mctx_use(c);
		(*out)->devput = famfs_mctx_map_put;
	}
	return err;
}

/* FAMFS_NO_FMAP_CACHE=1: every fmap comes from GET_FMAP (tests, benchmarks). */
static bool fmap_ask_only(void)
{
	static int ask_only = -1;

	if (ask_only < 0) {
		const char *e = getenv("FAMFS_NO_FMAP_CACHE");

		ask_only = e && *e && strcmp(e, "0");
	}
	return ask_only;
}

/*
 * The V10 fmap message of @fd's file (inode @fid->ino of mount @c) into
 * @buf: from this process's cache, else from the mount's log in device
 * memory, else with GET_FMAP (one round trip to famfsd). Its length, or a
 * negative errno; *@cached tells whether it came from the cache.
 */
static long fmap_msg(struct famfs_mctx *c, int fd, const struct famfs_fid *fid, uint8_t *buf,
		     bool *cached)
{
	long n;

	*cached = false;
	if (fmap_ask_only())
		goto ask;
	/*
	 * Both caches are of one file system. A device re-made under the
	 * mount (mkfs -f) is seen here before famfsd may have noticed it, and
	 * no map of the old namespace is handed out, not even by famfsd.
	 */
	if (!famfs_logpeek_same_fs(c))
		return famfs_err(-EIO, "the file system on the device changed under the mount: "
				 "unmount it");
	n = (long)famfs_fmc_get(c, fid->ino, buf);
	*cached = n > 0;
	if (n > 0)
		return n;
	n = (long)famfs_logpeek_fmap(c, fid->ino, fid->size, buf);
	if (n > 0)
		return n;
ask:
	n = famfs_raw_ioctl(fd, FAMFS_IOC_GET_FMAP, buf);
	if (n < 0)
		return famfs_err((int)n, "GET_FMAP: %s", strerror((int)-n));
	return n;
}

/* The validated fmap of @fd's file into @f (see fmap_msg). */
static int get_fmap(struct famfs_mctx *c, int fd, const struct famfs_fid *fid,
		    struct famfs_fmap *f)
{
	uint8_t buf[FAMFS_FMAP_MSG_MAX];
	bool cached;
	long n;
	int err;

	n = fmap_msg(c, fd, fid, buf, &cached);
	if (n < 0)
		return (int)n;
	err = famfs_fmap_decode(buf, (size_t)n, f);
	if (err && !famfs_errmsg()[0])
		famfs_err(err, "GET_FMAP reply of %ld bytes is invalid", n);
	if (!err && !cached && S_ISREG(fid->mode) && !fmap_ask_only())
		famfs_fmc_put(c, fid->ino, buf, (size_t)n);
	return err;
}

/*
 * A map of @f that shares the live mapping @s of the same file (whose
 * reference it takes over) instead of mapping it again.
 */
static int map_shared(const struct famfs_fmap *f, int flags, struct famfs_mctx *c,
		      struct famfs_mshare *s, struct famfs_map **out)
{
	struct famfs_map *m = calloc(1, sizeof(*m));

	if (!m) {
		famfs_mshare_drop(s);
		return -ENOMEM;
	}
	m->fmap = *f;
	m->fd = -1;
	m->writable = (flags & O_ACCMODE) != O_RDONLY;
	m->devfd = famfs_mctx_devfd;
	m->devctx = c;
	m->len = f->file_size;
	famfs_mshare_use(m, s);
	famfs_mctx_hold(c);
	famfs_mctx_use(c);
	m->devput = famfs_mctx_map_put;
	*out = m;
	return 0;
}

static int map_open_fd(int fd, int flags, struct famfs_map **out);

/*
 * The map keeps its own descriptor of the file: famfsd counts the file as
 * open, and so as held, until the map is closed (docs/rm.md, section 5).
 */
int famfs_map_open_fd(int fd, int flags, struct famfs_map **out)
{
	int dup, err, fl, acc = flags & O_ACCMODE;

	if (fd < 0 || !out)
		return -EINVAL;
	/*
	 * Only a descriptor famfsd saw opened holds the file: an O_PATH one
	 * sends no FUSE OPEN (and needs no permission on the file), yet the
	 * BPF resolver could map it. And the map may grant no more access
	 * than the descriptor has.
	 */
	fl = famfs_raw_getfl(fd);
	if (fl < 0)
		return famfs_err(fl, "fcntl(F_GETFL): %s", strerror(-fl));
	if (fl & O_PATH)
		return famfs_err(-EBADF, "an O_PATH descriptor cannot be mapped (the file is not "
				 "open)");
	if ((acc != O_WRONLY && (fl & O_ACCMODE) == O_WRONLY) ||
	    (acc != O_RDONLY && (fl & O_ACCMODE) == O_RDONLY))
		return famfs_err(-EACCES, "the descriptor is open %s, the map was asked %s",
				 (fl & O_ACCMODE) == O_WRONLY ? "write-only" : "read-only",
				 acc == O_RDWR ? "read-write" : acc == O_WRONLY ? "write-only" :
				 "read-only");
	dup = famfs_raw_dupfd(fd);
	if (dup < 0)
		return famfs_err(dup, "duplicate the famfs file descriptor: %s", strerror(-dup));
	err = map_open_fd(dup, flags, out);
	if (err) {
		famfs_raw_close(dup);
		return err;
	}
	(*out)->own_fd = true;
	return 0;
}

static int map_open_fd(int fd, int flags, struct famfs_map **out)
{
	struct famfs_mctx *c;
	struct famfs_fmap *f = NULL;
	struct famfs_mshare *s;
	struct famfs_fid fid;
	uint64_t bits;
	unsigned int i;
	bool writable = (flags & O_ACCMODE) != O_RDONLY;
	int err;

	famfs_mctx_init();
	famfs_errclear();
	err = famfs_mctx_get(fd, &c, &fid);
	if (err)
		return err;
	if (!c->trusted) {
		err = famfs_err(c->err, "%s", c->why);
		goto out;
	}
	famfs_mctx_use(c);	/* the log mapping, for this open */
	err = famfs_bpf_map_open(c, fd, flags, out);
	if (err != -EAGAIN)
		goto done;
	famfs_errclear();
	f = malloc(sizeof(*f));
	if (!f) {
		err = -ENOMEM;
		goto done;
	}
	err = get_fmap(c, fd, &fid, f);
	if (err)
		goto done;
	for (bits = f->dev_bitmap, i = 0; bits; bits >>= 1, i++) {
		if (!(bits & 1))
			continue;
		err = famfs_mctx_learn(c, fd, i);
		if (err)
			goto done;
	}
	s = f->file_size ? famfs_mshare_get(c, fid.ino, writable, round_up_pmd(f->file_size)) :
			   NULL;
	if (s) {
		err = map_shared(f, flags, c, s, out);
	} else {
		err = famfs_map_build_mctx(f, flags, c, NULL, 0, out);
		if (!err)
			famfs_mshare_add(c, fid.ino, *out);
	}
	if (!err)
		(*out)->fd = fd;
done:
	famfs_mctx_unuse(c);
out:
	free(f);
	famfs_mctx_put(c);
	return err;
}

int famfs_map_open(const char *path, int flags, struct famfs_map **out)
{
	int acc = flags & O_ACCMODE;
	int fd, err;

	if (!path || !out)
		return -EINVAL;
	fd = famfs_raw_open(path, acc);
	if (fd < 0)
		return famfs_err(fd, "%s: %s", path, strerror(-fd));
	err = map_open_fd(fd, acc, out);
	if (err) {
		famfs_raw_close(fd);
		return err;
	}
	(*out)->own_fd = true;
	return 0;
}

void famfs_map_unmap(struct famfs_map *m)
{
	struct famfs_mshare *s;
	void *addr;
	size_t len;

	if (!m)
		return;
	s = m->share;
	addr = m->addr;
	len = m->maplen;
	m->share = NULL;
	m->addr = NULL;
	m->maplen = 0;
	if (s)
		famfs_mshare_put(s, addr, len);
	else
		famfs_raw_munmap(addr, len);
}

void famfs_map_release_mount(struct famfs_map *m)
{
	if (!m || m->devput != famfs_mctx_map_put)
		return;
	famfs_mctx_unuse(m->devctx);
	m->devput = famfs_mctx_put;	/* the context itself stays until famfs_map_close */
}

void famfs_map_close(struct famfs_map *m)
{
	if (!m)
		return;
	famfs_map_unmap(m);
	if (m->own_fd && m->fd >= 0)
		famfs_raw_close(m->fd);
	if (m->devput)
		m->devput(m->devctx);
	free(m);
}
