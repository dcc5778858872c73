// SPDX-License-Identifier: Apache-2.0
/*
 * zero.c - zeroing a new file's memory (see famfs/zero.h): which device
 * ranges of a file map lie past a file offset (pure arithmetic), and the
 * zeroing of them: non-temporal stores on a devdax device, holes punched
 * on a device that is a file.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>

#if defined(__x86_64__)
#include <emmintrin.h>
#endif

#include "famfs/audit.h"
#include "famfs/err.h"
#include "famfs/zero.h"

void famfs_zero_mem(void *p, size_t len)
{
	uint8_t *c = p;
#if defined(__x86_64__)
	size_t head = (size_t)(-(uintptr_t)c & 15), body;
	__m128i z = _mm_setzero_si128();

	if (head > len)
		head = len;
	/* The unaligned head and tail go through the cache: store and flush. */
	memset(c, 0, head);
	famfs_flush(c, head);
	c += head;
	len -= head;
	body = len & ~(size_t)63;
	for (size_t i = 0; i < body; i += 64) {
		_mm_stream_si128((__m128i *)(void *)(c + i), z);
		_mm_stream_si128((__m128i *)(void *)(c + i + 16), z);
		_mm_stream_si128((__m128i *)(void *)(c + i + 32), z);
		_mm_stream_si128((__m128i *)(void *)(c + i + 48), z);
	}
	memset(c + body, 0, len - body);
	famfs_flush(c + body, len - body);
	/* Non-temporal stores are weakly ordered: fence before anyone is told. */
	_mm_sfence();
	/* They went to memory, not to the cache: as good as written back. */
	famfs_audit_flushed(p, len + (size_t)(c - (uint8_t *)p));
#else
	memset(c, 0, len);
	famfs_flush(c, len);
#endif
}

/* The range of extent @e from byte @skip on, if any. */
static int extent_from(const struct famfs_omf_extent *e, uint64_t skip, famfs_range_fn fn,
		       void *ctx)
{
	if (skip >= e->len)
		return 0;
	return fn(ctx, e->devindex, e->offset + skip, e->len - skip);
}

/*
 * Bytes at the start of strip @s that hold file bytes below @from: file
 * chunk k of the file lives in strip k % n, at strip chunk k / n.
 */
static uint64_t strip_used(uint64_t from, uint64_t n, uint64_t chunk, uint64_t s)
{
	uint64_t k = from / chunk, r = from % chunk, full;

	/* file chunks 0..k-1 are whole; chunk k holds r bytes */
	full = k / n + (k % n > s ? 1 : 0);	/* whole chunks of strip s below k */
	if (k % n == s)
		return full * chunk + r;
	return full * chunk;
}

int famfs_fmap_tail(const struct famfs_omf_fmap *f, uint64_t from, famfs_range_fn fn,
		    void *ctx)
{
	uint64_t i, n, used;
	int rc;

	if (f->ext_type == FAMFS_EXT_INTERLEAVE) {
		n = f->nstrips < FAMFS_OMF_MAX_STRIPS ? f->nstrips : FAMFS_OMF_MAX_STRIPS;
		for (i = 0; i < n; i++) {
			used = f->chunk_size ? strip_used(from, n, f->chunk_size, i) : 0;
			rc = extent_from(&f->strips[i], used, fn, ctx);
			if (rc)
				return rc;
		}
		return 0;
	}
	n = f->nextents < FAMFS_OMF_MAX_SIMPLE_EXTENTS ? f->nextents :
		FAMFS_OMF_MAX_SIMPLE_EXTENTS;
	for (i = 0; i < n; i++) {
		used = from < f->se[i].len ? from : f->se[i].len;
		rc = extent_from(&f->se[i], used, fn, ctx);
		if (rc)
			return rc;
		from -= used;
	}
	return 0;
}

/*
 * A device that is a file (tmpfs, hugetlbfs): punch the whole blocks of
 * the range out of the file instead of storing zeros (they read as zeros,
 * in every mapping, and give their memory back), and store zeros only in
 * the partial blocks at its ends. -1 when the file system cannot punch or
 * the range holds no whole block: the caller stores zeros.
 */
static int zero_punch(struct famfs_dev *dev, uint64_t off, uint64_t len)
{
	uint64_t blk, a, b;
	struct stat st;

	if (dev->is_daxdev || fstat(dev->fd, &st) || st.st_blksize <= 0)
		return -1;
	blk = (uint64_t)st.st_blksize;
	a = (off + blk - 1) / blk * blk;
	b = (off + len) / blk * blk;
	if (a >= b || fallocate(dev->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				(off_t)a, (off_t)(b - a)))
		return -1;
	/* The punched blocks read as zeros in memory: as good as written back. */
	famfs_audit_flushed(dev->base + a, (size_t)(b - a));
	famfs_zero_mem(dev->base + off, (size_t)(a - off));
	famfs_zero_mem(dev->base + b, (size_t)(off + len - b));
	return 0;
}

struct zero_devs {
	struct famfs_dev *const *devs;
	uint32_t ndevs;
	int64_t only;			/* the one device to zero, or -1: all */
};

static int zero_range(void *ctx, uint64_t devindex, uint64_t off, uint64_t len)
{
	const struct zero_devs *z = ctx;
	struct famfs_dev *dev = devindex < z->ndevs ?
		__atomic_load_n(&z->devs[devindex], __ATOMIC_ACQUIRE) : NULL;

	if (z->only >= 0 && devindex != (uint64_t)z->only)
		return 0;
	if (!dev)
		return famfs_err(-ENODEV, "cannot zero %" PRIu64 " bytes at %#" PRIx64
				 " of device %" PRIu64 ": the device is not found on this host",
				 len, off, devindex);
	if (!dev->writable)
		return famfs_err(-EROFS, "%s: device is mapped read-only", dev->path);
	if (off > dev->size || len > dev->size - off)
		return famfs_err(-EIO, "cannot zero %" PRIu64 " bytes at %#" PRIx64
				 " of device %" PRIu64 ": not on %s", len, off, devindex,
				 dev->path);
	if (zero_punch(dev, off, len))
		famfs_zero_mem(dev->base + off, (size_t)len);
	return 0;
}

int famfs_zero_tail_devs(struct famfs_dev *const *devs, uint32_t ndevs,
			 const struct famfs_omf_fmap *f, uint64_t from)
{
	struct zero_devs z = { devs, ndevs, -1 };

	return famfs_fmap_tail(f, from, zero_range, &z);
}

int famfs_zero_tail_on(struct famfs_dev *const *devs, uint32_t ndevs,
		       const struct famfs_omf_fmap *f, uint64_t from, uint32_t devindex)
{
	struct zero_devs z = { devs, ndevs, devindex };

	return famfs_fmap_tail(f, from, zero_range, &z);
}

int famfs_zero_tail(struct famfs_dev *dev, const struct famfs_omf_fmap *f, uint64_t from)
{
	if (!dev->writable)
		return famfs_err(-EROFS, "%s: device is mapped read-only", dev->path);
	return famfs_zero_tail_devs(&dev, 1, f, from);
}
