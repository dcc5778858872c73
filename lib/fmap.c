// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * fmap.c - file maps: built from log entries, encoded to and decoded from
 * the kernel's V10 GET_FMAP wire format with the kernel's validation rules
 * (famfs_fuse_meta_alloc), resolved per offset with the kernel's arithmetic
 * (famfs_fuse_iomap_begin), checked against the bounds the kernel module
 * adds (devices, strips), and walked as merged device segments for
 * mapping. Also the 280-byte fuse_daxdev_out. Pure: no I/O, no allocation.
 *
 * The same file is compiled into the kernel module (kernel/), so that the
 * validator the fuzzers exercise is the one the kernel runs; famfs/compat.h
 * supplies libc or the kernel.
 */
#include "famfs/compat.h"
#include "famfs/le.h"
#include "famfs/fmap.h"

/* fuse_famfs_fmap_header */
#define FAMFS_OFF_FH_FILE_TYPE		0
#define FAMFS_OFF_FH_RSVD		1
#define FAMFS_OFF_FH_VERSION		2
#define FAMFS_OFF_FH_EXT_TYPE		4
#define FAMFS_OFF_FH_NEXTENTS		8
#define FAMFS_OFF_FH_RSVD0		12
#define FAMFS_OFF_FH_FILE_SIZE		16
#define FAMFS_OFF_FH_RSVD1		24

/* fuse_famfs_simple_ext */
#define FAMFS_OFF_SE_DEVINDEX		0
#define FAMFS_OFF_SE_RSVD		4
#define FAMFS_OFF_SE_OFFSET		8
#define FAMFS_OFF_SE_LEN		16

/* fuse_famfs_iext */
#define FAMFS_OFF_IE_NSTRIPS		0
#define FAMFS_OFF_IE_CHUNK		4
#define FAMFS_OFF_IE_NBYTES		8
#define FAMFS_OFF_IE_RSVD		16

/* fuse_daxdev_out */
#define FAMFS_OFF_DD_INDEX		0
#define FAMFS_OFF_DD_RSVD		2
#define FAMFS_OFF_DD_RSVD2		4
#define FAMFS_OFF_DD_RSVD3		8
#define FAMFS_OFF_DD_RSVD4		16
#define FAMFS_OFF_DD_NAME		24

_Static_assert(FAMFS_OFF_FH_RSVD1 + 8 == FAMFS_FMAP_HDR_SIZE, "fmap header is 32 bytes");
_Static_assert(FAMFS_OFF_SE_LEN + 8 == FAMFS_FMAP_SIMPLE_EXT_SIZE, "simple_ext is 24 bytes");
_Static_assert(FAMFS_OFF_IE_RSVD + 8 == FAMFS_FMAP_IEXT_SIZE, "iext is 24 bytes");
_Static_assert(FAMFS_OFF_DD_NAME + FAMFS_DAXDEV_NAME_MAX == FAMFS_DAXDEV_OUT_SIZE,
	       "daxdev_out is 280 bytes");
/* The most strips one 4 KiB reply can carry: one iext plus 168 strips. */
_Static_assert(FAMFS_FMAP_HDR_SIZE + FAMFS_FMAP_IEXT_SIZE +
	       FAMFS_FMAP_STRIP_POOL * FAMFS_FMAP_SIMPLE_EXT_SIZE <= FAMFS_FMAP_MSG_MAX &&
	       FAMFS_FMAP_HDR_SIZE + FAMFS_FMAP_IEXT_SIZE +
	       (FAMFS_FMAP_STRIP_POOL + 1) * FAMFS_FMAP_SIMPLE_EXT_SIZE > FAMFS_FMAP_MSG_MAX,
	       "strip pool matches the 4 KiB message");

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* round_up(v, a) for a > 0, saturating instead of wrapping. */
static uint64_t round_up_sat(uint64_t v, uint64_t a)
{
	uint64_t r = v % a;

	if (!r)
		return v;
	return v > UINT64_MAX - (a - r) ? UINT64_MAX : v + (a - r);
}

static uint64_t pmd_round_up(uint64_t v)
{
	return round_up_sat(v, FAMFS_PMD_SIZE);
}

static void set_dev_bit(struct famfs_fmap *f, uint64_t devindex)
{
	if (devindex < 64)
		f->dev_bitmap |= 1ULL << devindex;
}

/* ---- from a log entry ---- */

int famfs_fmap_from_omf(const struct famfs_omf_file *f, struct famfs_fmap *out)
{
	const struct famfs_omf_fmap *m = &f->fmap;
	uint32_t i;

	memset(out, 0, sizeof(*out));
	out->file_type = FAMFS_FILE_REG;
	out->version = FAMFS_FMAP_VERSION;
	out->ext_type = m->ext_type;
	out->file_size = f->size;
	switch (m->ext_type) {
	case FAMFS_EXT_SIMPLE:
		if (m->nextents > FAMFS_OMF_MAX_SIMPLE_EXTENTS)
			return famfs_err(-EINVAL, "fmap: %u simple extents (max %d)",
					 m->nextents, FAMFS_OMF_MAX_SIMPLE_EXTENTS);
		out->nextents = m->nextents;
		for (i = 0; i < m->nextents; i++) {
			out->se[i].devindex = m->se[i].devindex;
			out->se[i].offset = m->se[i].offset;
			out->se[i].len = m->se[i].len;
			set_dev_bit(out, m->se[i].devindex);
		}
		return 0;
	case FAMFS_EXT_INTERLEAVE:
		if (m->nextents != 1 || m->nstrips > FAMFS_OMF_MAX_STRIPS)
			return famfs_err(-EINVAL, "fmap: %u interleaved extents of %llu strips "
					 "(need 1 of at most %d)", m->nextents,
					 (unsigned long long)m->nstrips, FAMFS_OMF_MAX_STRIPS);
		out->nextents = 1;
		out->ie[0].nstrips = m->nstrips;
		out->ie[0].chunk_size = m->chunk_size;
		out->ie[0].nbytes = f->size;
		out->ie[0].first = 0;
		out->nstrips_total = (uint32_t)m->nstrips;
		for (i = 0; i < m->nstrips; i++) {
			out->strips[i].devindex = m->strips[i].devindex;
			out->strips[i].offset = m->strips[i].offset;
			out->strips[i].len = m->strips[i].len;
			set_dev_bit(out, m->strips[i].devindex);
		}
		return 0;
	default:
		return famfs_err(-EINVAL, "fmap: ext_type %u (must be 0 or 1)", m->ext_type);
	}
}

/* ---- V10 wire encode ---- */

static int encode_ext(uint8_t *p, const struct famfs_fmap_ext *x, const char *what, uint32_t i)
{
	if (x->devindex > UINT32_MAX)
		return famfs_err(-EINVAL, "fmap encode: %s %u: devindex %llu does not fit u32",
				 what, i, (unsigned long long)x->devindex);
	if (p) {
		famfs_put_le32(p + FAMFS_OFF_SE_DEVINDEX, (uint32_t)x->devindex);
		famfs_put_le64(p + FAMFS_OFF_SE_OFFSET, x->offset);
		famfs_put_le64(p + FAMFS_OFF_SE_LEN, x->len);
	}
	return 0;
}

/*
 * Check @f against the wire limits and return the encoded size; with @buf,
 * also write it (the caller has zeroed that many bytes).
 */
static ssize_t encode_body(const struct famfs_fmap *f, uint8_t *buf)
{
	size_t off = FAMFS_FMAP_HDR_SIZE;
	uint32_t i, j;
	int rc;

	if (f->nextents < 1 || f->nextents > FAMFS_FMAP_MAX_EXTENTS)
		return famfs_err(-EINVAL, "fmap encode: nextents %u (must be 1..%d)",
				 f->nextents, FAMFS_FMAP_MAX_EXTENTS);
	if (f->ext_type == FAMFS_EXT_SIMPLE) {
		for (i = 0; i < f->nextents; i++, off += FAMFS_FMAP_SIMPLE_EXT_SIZE) {
			rc = encode_ext(buf ? buf + off : NULL, &f->se[i], "extent", i);
			if (rc)
				return rc;
		}
		return (ssize_t)off;
	}
	if (f->ext_type != FAMFS_EXT_INTERLEAVE)
		return famfs_err(-EINVAL, "fmap encode: ext_type %u (must be 0 or 1)",
				 f->ext_type);
	for (i = 0; i < f->nextents; i++) {
		const struct famfs_fmap_iext *ie = &f->ie[i];

		if (ie->nstrips < 1 || ie->nstrips > FAMFS_FMAP_MAX_STRIPS)
			return famfs_err(-EINVAL, "fmap encode: extent %u: nstrips %llu "
					 "(must be 1..%d)", i, (unsigned long long)ie->nstrips,
					 FAMFS_FMAP_MAX_STRIPS);
		if (ie->chunk_size > UINT32_MAX)
			return famfs_err(-EINVAL, "fmap encode: extent %u: chunk_size 0x%llx "
					 "does not fit u32", i,
					 (unsigned long long)ie->chunk_size);
		if ((uint64_t)ie->first + ie->nstrips > f->nstrips_total ||
		    (uint64_t)ie->first + ie->nstrips > FAMFS_FMAP_STRIP_POOL)
			return famfs_err(-EINVAL, "fmap encode: extent %u: strips [%u, +%llu) "
					 "outside the %u strips", i, ie->first,
					 (unsigned long long)ie->nstrips, f->nstrips_total);
		if (buf) {
			famfs_put_le32(buf + off + FAMFS_OFF_IE_NSTRIPS, (uint32_t)ie->nstrips);
			famfs_put_le32(buf + off + FAMFS_OFF_IE_CHUNK, (uint32_t)ie->chunk_size);
			famfs_put_le64(buf + off + FAMFS_OFF_IE_NBYTES, ie->nbytes);
		}
		off += FAMFS_FMAP_IEXT_SIZE;
		for (j = 0; j < ie->nstrips; j++, off += FAMFS_FMAP_SIMPLE_EXT_SIZE) {
			rc = encode_ext(buf ? buf + off : NULL, &f->strips[ie->first + j],
					"strip", ie->first + j);
			if (rc)
				return rc;
		}
	}
	return (ssize_t)off;
}

ssize_t famfs_fmap_encode(const struct famfs_fmap *f, uint8_t *buf, size_t bufsz)
{
	ssize_t need = encode_body(f, NULL);

	if (need < 0)
		return need;
	if ((size_t)need > bufsz || !buf)
		return famfs_err(-E2BIG, "fmap encode: %zd bytes do not fit in %zu", need, bufsz);
	memset(buf, 0, (size_t)need);
	buf[FAMFS_OFF_FH_FILE_TYPE] = f->file_type;
	famfs_put_le16(buf + FAMFS_OFF_FH_VERSION, FAMFS_FMAP_VERSION);
	famfs_put_le32(buf + FAMFS_OFF_FH_EXT_TYPE, f->ext_type);
	famfs_put_le32(buf + FAMFS_OFF_FH_NEXTENTS, f->nextents);
	famfs_put_le64(buf + FAMFS_OFF_FH_FILE_SIZE, f->file_size);
	return encode_body(f, buf);
}

/* ---- V10 wire decode, with the kernel's validation ---- */

/*
 * The kernel's per-extent alignment check, PMD-aligned, with one deviation:
 * V10 accepts device index 0 only; we accept every index of the daxdev
 * table (below FAMFS_MAX_DAXDEVS), because famfs files span devices.
 */
static int decode_ext(const uint8_t *p, struct famfs_fmap *f, struct famfs_fmap_ext *x,
		      const char *what, uint32_t i)
{
	x->devindex = famfs_get_le32(p + FAMFS_OFF_SE_DEVINDEX);
	x->offset = famfs_get_le64(p + FAMFS_OFF_SE_OFFSET);
	x->len = famfs_get_le64(p + FAMFS_OFF_SE_LEN);
	set_dev_bit(f, x->devindex);
	if (x->devindex >= FAMFS_MAX_DAXDEVS)
		return famfs_err(-EINVAL, "fmap: %s %u: devindex %llu (the daxdev table has "
				 "%d slots)", what, i, (unsigned long long)x->devindex,
				 FAMFS_MAX_DAXDEVS);
	if (x->offset % FAMFS_PMD_SIZE || x->len % FAMFS_PMD_SIZE)
		return famfs_err(-EINVAL, "fmap: %s %u: offset 0x%llx or len 0x%llx not "
				 "2 MiB-aligned", what, i, (unsigned long long)x->offset,
				 (unsigned long long)x->len);
	return 0;
}

/*
 * Chunk k of an interleaved extent lives at (k / nstrips) * chunk of strip
 * k % nstrips. Refuse the extent unless every chunk that holds file bytes
 * (the first @bytes of the extent) lies wholly inside its strip: each strip
 * is a whole number of chunks and strip j holds the chunks j, j + N, ...
 * The kernel's V10 rules only compare the sum of the strips with the file
 * size; a map whose chunk walk runs past a strip would resolve offsets into
 * memory that belongs to other files.
 */
static int check_strip_cover(const struct famfs_fmap *f, uint32_t i, uint64_t bytes)
{
	const struct famfs_fmap_iext *ie = &f->ie[i];
	uint64_t c = ie->chunk_size, ns = ie->nstrips;
	uint64_t nchunks = bytes / c + (bytes % c != 0);
	uint32_t j;

	for (j = 0; j < ns; j++) {
		const struct famfs_fmap_ext *s = &f->strips[ie->first + j];
		uint64_t need = nchunks / ns + (j < nchunks % ns);

		if (s->len % c)
			return famfs_err(-EINVAL, "fmap: interleaved extent %u: strip %u length "
					 "0x%llx is not a multiple of the chunk size 0x%llx", i,
					 j, (unsigned long long)s->len, (unsigned long long)c);
		if (s->len / c < need)
			return famfs_err(-EINVAL, "fmap: interleaved extent %u: strip %u holds "
					 "%llu chunks of 0x%llx, the file puts %llu there", i, j,
					 (unsigned long long)(s->len / c),
					 (unsigned long long)c, (unsigned long long)need);
	}
	return 0;
}

static int decode_interleave(const uint8_t *buf, size_t len, struct famfs_fmap *f,
			     uint64_t *total)
{
	int64_t remainder = (int64_t)f->file_size;
	size_t off = FAMFS_FMAP_HDR_SIZE;
	uint64_t base = 0, e;
	uint32_t i, j;
	int rc;

	for (i = 0; i < f->nextents; i++) {
		struct famfs_fmap_iext *ie = &f->ie[i];

		if (off + FAMFS_FMAP_IEXT_SIZE > len)
			return famfs_err(-EINVAL, "fmap: interleaved extent %u truncated at "
					 "byte %zu of %zu", i, off, len);
		ie->nstrips = famfs_get_le32(buf + off + FAMFS_OFF_IE_NSTRIPS);
		ie->chunk_size = famfs_get_le32(buf + off + FAMFS_OFF_IE_CHUNK);
		ie->nbytes = famfs_get_le64(buf + off + FAMFS_OFF_IE_NBYTES);
		ie->first = f->nstrips_total;
		off += FAMFS_FMAP_IEXT_SIZE;
		/* The kernel accepts chunk_size 0 here and divides by it later. */
		if (!ie->chunk_size || ie->chunk_size % FAMFS_PMD_SIZE)
			return famfs_err(-EINVAL, "fmap: interleaved extent %u: chunk_size "
					 "0x%llx not a non-zero multiple of 2 MiB", i,
					 (unsigned long long)ie->chunk_size);
		if (!ie->nbytes)
			return famfs_err(-EINVAL, "fmap: interleaved extent %u: nbytes is 0", i);
		if (off + ie->nstrips * FAMFS_FMAP_SIMPLE_EXT_SIZE > len)
			return famfs_err(-EINVAL, "fmap: interleaved extent %u: %llu strips "
					 "truncated at byte %zu of %zu", i,
					 (unsigned long long)ie->nstrips, off, len);
		if (ie->nstrips < 1 || ie->nstrips > FAMFS_FMAP_MAX_STRIPS)
			return famfs_err(-EINVAL, "fmap: interleaved extent %u: nstrips %llu "
					 "(must be 1..%d)", i, (unsigned long long)ie->nstrips,
					 FAMFS_FMAP_MAX_STRIPS);
		if (f->nstrips_total + ie->nstrips > FAMFS_FMAP_STRIP_POOL)
			return famfs_err(-EINVAL, "fmap: more than %d strips",
					 FAMFS_FMAP_STRIP_POOL);
		for (j = 0; j < ie->nstrips; j++, off += FAMFS_FMAP_SIMPLE_EXT_SIZE) {
			struct famfs_fmap_ext *s = &f->strips[f->nstrips_total];

			rc = decode_ext(buf + off, f, s, "strip", f->nstrips_total);
			if (rc)
				return rc;
			f->nstrips_total++;
			*total += s->len;
			/* s64 arithmetic that wraps, as in the kernel (no C UB). */
			remainder = (int64_t)((uint64_t)remainder - s->len);
		}
	}
	if (remainder > 0)
		return famfs_err(-EINVAL, "fmap: strips cover %lld bytes less than file size "
				 "0x%llx", (long long)remainder,
				 (unsigned long long)f->file_size);
	/* Beyond the kernel's rules: the resolver gives extent i [base, base + e). */
	for (i = 0; i < f->nextents; i++) {
		e = min_u64(f->ie[i].nbytes, f->file_size);
		rc = check_strip_cover(f, i, base < f->file_size ?
				       min_u64(e, f->file_size - base) : 0);
		if (rc)
			return rc;
		base = base + e < base ? UINT64_MAX : base + e;
	}
	/* Bytes no extent holds would be a hole inside EOF. */
	if (base < f->file_size)
		return famfs_err(-EINVAL, "fmap: interleaved extents hold 0x%llx bytes (nbytes), "
				 "file size is 0x%llx", (unsigned long long)base,
				 (unsigned long long)f->file_size);
	return 0;
}

int famfs_fmap_decode(const uint8_t *buf, size_t len, struct famfs_fmap *out)
{
	uint64_t total = 0;
	uint32_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	if (len > FAMFS_FMAP_MSG_MAX)
		return famfs_err(-EINVAL, "fmap: reply of %zu bytes, max %d", len,
				 FAMFS_FMAP_MSG_MAX);
	if (!buf || len < FAMFS_FMAP_HDR_SIZE)
		return famfs_err(-EINVAL, "fmap: reply of %zu bytes, header needs %d", len,
				 FAMFS_FMAP_HDR_SIZE);
	out->file_type = buf[FAMFS_OFF_FH_FILE_TYPE];
	out->version = famfs_get_le16(buf + FAMFS_OFF_FH_VERSION);
	out->ext_type = famfs_get_le32(buf + FAMFS_OFF_FH_EXT_TYPE);
	out->nextents = famfs_get_le32(buf + FAMFS_OFF_FH_NEXTENTS);
	out->file_size = famfs_get_le64(buf + FAMFS_OFF_FH_FILE_SIZE);

	if (out->nextents < 1 || out->nextents > FAMFS_FMAP_MAX_EXTENTS)
		return famfs_err(-ERANGE, "fmap: nextents %u (must be 1..%d)", out->nextents,
				 FAMFS_FMAP_MAX_EXTENTS);
	if (out->ext_type == FAMFS_EXT_SIMPLE) {
		if (FAMFS_FMAP_HDR_SIZE + (size_t)out->nextents * FAMFS_FMAP_SIMPLE_EXT_SIZE > len)
			return famfs_err(-EINVAL, "fmap: %u simple extents truncated at %zu bytes",
					 out->nextents, len);
		for (i = 0; i < out->nextents; i++) {
			rc = decode_ext(buf + FAMFS_FMAP_HDR_SIZE + i * FAMFS_FMAP_SIMPLE_EXT_SIZE,
					out, &out->se[i], "extent", i);
			if (rc)
				return rc;
			total += out->se[i].len;
		}
	} else if (out->ext_type == FAMFS_EXT_INTERLEAVE) {
		rc = decode_interleave(buf, len, out, &total);
		if (rc)
			return rc;
	} else {
		return famfs_err(-EINVAL, "fmap: ext_type %u (must be 0 or 1)", out->ext_type);
	}
	if (total < out->file_size)
		return famfs_err(-EINVAL, "fmap: extents cover 0x%llx bytes, file size is 0x%llx",
				 (unsigned long long)total, (unsigned long long)out->file_size);
	return 0;
}

/* ---- offset resolution ---- */

int famfs_fmap_resolve(const struct famfs_fmap *f, uint64_t pos, uint64_t len,
		       struct famfs_iomap *out)
{
	uint64_t local = pos;
	uint32_t i, n = f->nextents > FAMFS_FMAP_MAX_EXTENTS ? FAMFS_FMAP_MAX_EXTENTS :
		f->nextents;
	int past = 0;

	out->offset = pos;
	if (f->ext_type == FAMFS_EXT_SIMPLE) {
		for (i = 0; i < n; i++) {
			const struct famfs_fmap_ext *x = &f->se[i];

			if (local < x->len) {
				if (x->devindex >= FAMFS_MAX_DAXDEVS)
					goto eio;
				out->devindex = x->devindex;
				out->addr = x->offset + local;
				out->length = min_u64(len, x->len - local);
				return 0;
			}
			local -= x->len;
		}
		goto eio;
	}
	if (f->ext_type != FAMFS_EXT_INTERLEAVE)
		goto eio;
	for (i = 0; i < n; i++) {
		const struct famfs_fmap_iext *ie = &f->ie[i];
		uint64_t c = ie->chunk_size, ns = ie->nstrips;
		uint64_t e = min_u64(ie->nbytes, f->file_size);

		if (!c || c % FAMFS_PMD_SIZE)
			return famfs_err(-EINVAL, "fmap: interleaved extent %u: chunk_size 0x%llx "
					 "not a multiple of 2 MiB", i, (unsigned long long)c);
		if (!e)
			goto eio;
		if (local < e) {
			uint64_t chunk_num = local / c, chunk_off = local % c;
			uint64_t strip_num, strip_off;
			const struct famfs_fmap_ext *s;

			if (!ns || ie->first + ns > FAMFS_FMAP_STRIP_POOL)
				goto eio;
			strip_num = chunk_num % ns;
			strip_off = chunk_off + (chunk_num / ns) * c;
			s = &f->strips[ie->first + strip_num];
			if (s->devindex >= FAMFS_MAX_DAXDEVS)
				goto eio;
			/*
			 * The kernel does not check this; we never answer an
			 * address outside the strip (it is another file's).
			 */
			past = strip_off >= s->len;
			if (past)
				goto eio;
			out->devindex = s->devindex;
			out->addr = s->offset + strip_off;
			out->length = min_u64(min_u64(len, c - chunk_off), s->len - strip_off);
			return 0;
		}
		local -= e;
	}
eio:
	out->devindex = 0;
	out->addr = 0;
	out->length = 0;
	if (past)
		return famfs_err(-EIO, "fmap: offset 0x%llx is past the end of its strip",
				 (unsigned long long)pos);
	return famfs_err(-EIO, "fmap: no extent covers offset 0x%llx", (unsigned long long)pos);
}

/* ---- bounds beyond V10's validation ---- */

static int check_devices(const struct famfs_fmap *f, const uint64_t dev_size[FAMFS_MAX_DAXDEVS])
{
	int simple = f->ext_type == FAMFS_EXT_SIMPLE;
	const struct famfs_fmap_ext *x = simple ? f->se : f->strips;
	uint32_t i, n = simple ? f->nextents : f->nstrips_total;
	uint64_t ds;

	if (n > (simple ? FAMFS_FMAP_MAX_EXTENTS : FAMFS_FMAP_STRIP_POOL))
		return famfs_err(-EINVAL, "fmap: %u extents or strips", n);
	for (i = 0; i < n; i++) {
		ds = x[i].devindex < FAMFS_MAX_DAXDEVS ? dev_size[x[i].devindex] : 0;
		if (x[i].offset > ds || x[i].len > ds - x[i].offset)
			return famfs_err(-EINVAL, "fmap: %s %u [0x%llx, +0x%llx) is outside device "
					 "%llu (0x%llx bytes)", simple ? "extent" : "strip", i,
					 (unsigned long long)x[i].offset,
					 (unsigned long long)x[i].len,
					 (unsigned long long)x[i].devindex, (unsigned long long)ds);
	}
	return 0;
}

/*
 * The file bytes famfs_fmap_resolve() maps into interleaved extent @ie, at
 * @base of @reach reachable ones, are [0, span): whole chunks (a resolved
 * length runs to the end of its chunk), never past @reach. Chunk k is at
 * (k / N) * C of strip k % N; the last chunk of each strip must fit in it.
 */
static int check_strips(const struct famfs_fmap *f, uint32_t i, uint64_t e, uint64_t base,
			uint64_t reach)
{
	const struct famfs_fmap_iext *ie = &f->ie[i];
	uint64_t c = ie->chunk_size, ns = ie->nstrips, span, last, j, k, need;

	if (!c || !ns || ns > FAMFS_FMAP_MAX_STRIPS || ie->first + ns > FAMFS_FMAP_STRIP_POOL)
		return famfs_err(-EINVAL, "fmap: interleaved extent %u: bad chunk or strips", i);
	span = round_up_sat(e, c);
	if (span > reach - base)
		span = reach - base;
	last = (span - 1) / c;
	for (j = 0; j < ns && j <= last; j++) {
		k = j + (last - j) / ns * ns;
		need = (k / ns) * c + min_u64(c, span - k * c);
		if (need > f->strips[ie->first + j].len)
			return famfs_err(-EINVAL, "fmap: interleaved extent %u: chunk %llu needs "
					 "0x%llx bytes of strip %llu, which has 0x%llx", i,
					 (unsigned long long)k, (unsigned long long)need,
					 (unsigned long long)j,
					 (unsigned long long)f->strips[ie->first + j].len);
	}
	return 0;
}

int famfs_fmap_check_bounds(const struct famfs_fmap *f,
			    const uint64_t dev_size[FAMFS_MAX_DAXDEVS])
{
	uint64_t base = 0, reach = round_up_sat(f->file_size, FAMFS_FMAP_PAGE_SIZE), e;
	uint32_t i;
	int rc;

	rc = check_devices(f, dev_size);
	if (rc || f->ext_type != FAMFS_EXT_INTERLEAVE)
		return rc;
	if (f->nextents > FAMFS_FMAP_MAX_EXTENTS)
		return famfs_err(-EINVAL, "fmap: nextents %u (max %d)", f->nextents,
				 FAMFS_FMAP_MAX_EXTENTS);
	for (i = 0; i < f->nextents && base < reach; i++) {
		e = min_u64(f->ie[i].nbytes, f->file_size);
		if (!e)
			break;			/* the resolver fails from here on */
		rc = check_strips(f, i, e, base, reach);
		if (rc)
			return rc;
		base = e >= reach - base ? reach : base + e;
	}
	return 0;
}

/* ---- segment walk ---- */

struct walker {
	famfs_seg_fn fn;
	void *ctx;
	struct famfs_seg cur;
	int have;
	long count;
};

static int walk_flush(struct walker *w)
{
	int rc;

	if (!w->have)
		return 0;
	w->have = 0;
	w->count++;
	rc = w->fn(w->ctx, &w->cur);
	return rc;
}

/* Add a piece, merging it into the current segment when contiguous. */
static int walk_add(struct walker *w, uint64_t file_off, uint64_t dev, uint64_t dev_off,
		    uint64_t len)
{
	struct famfs_seg *c = &w->cur;
	int rc;

	if (!len)
		return 0;
	if (w->have && c->devindex == dev && c->file_off + c->len == file_off &&
	    c->dev_off + c->len == dev_off) {
		c->len += len;
		return 0;
	}
	rc = walk_flush(w);
	if (rc)
		return rc;
	*c = (struct famfs_seg){ .file_off = file_off, .devindex = dev, .dev_off = dev_off,
				 .len = len };
	w->have = 1;
	return 0;
}

static int walk_simple(const struct famfs_fmap *f, struct walker *w, uint64_t limit)
{
	uint64_t pos = 0, n;
	uint32_t i;
	int rc;

	for (i = 0; i < f->nextents && pos < limit; i++) {
		n = min_u64(f->se[i].len, limit - pos);
		rc = walk_add(w, pos, f->se[i].devindex, f->se[i].offset, n);
		if (rc)
			return rc;
		pos += n;
	}
	return 0;
}

/*
 * Chunk c of an interleaved extent lives on strip c % N at (c / N) * C.
 * The extent that reaches EOF extends to @limit (the PMD-rounded size). A
 * piece that would run past its strip's length fails the walk (-EIO):
 * mapping such a file would leave a hole inside EOF.
 */
static int walk_interleave(const struct famfs_fmap *f, struct walker *w, uint64_t limit)
{
	uint64_t base = 0;
	uint32_t i;
	int rc;

	for (i = 0; i < f->nextents && base < limit; i++) {
		const struct famfs_fmap_iext *ie = &f->ie[i];
		uint64_t c = ie->chunk_size, ns = ie->nstrips;
		uint64_t e = min_u64(ie->nbytes, f->file_size), end, k;

		if (!c || c % FAMFS_PMD_SIZE)
			return famfs_err(-EINVAL, "fmap: interleaved extent %u: chunk_size 0x%llx "
					 "not a multiple of 2 MiB", i, (unsigned long long)c);
		if (!ns || ns > FAMFS_FMAP_MAX_STRIPS ||
		    ie->first + ns > FAMFS_FMAP_STRIP_POOL)
			return famfs_err(-EINVAL, "fmap: interleaved extent %u: bad strips", i);
		if (!e)
			return famfs_err(-EIO, "fmap: interleaved extent %u holds no bytes", i);
		end = e >= f->file_size - base ? limit : base + e;
		for (k = 0; base + k * c < end; k++) {
			const struct famfs_fmap_ext *s = &f->strips[ie->first + k % ns];
			uint64_t foff = base + k * c, soff = (k / ns) * c;
			uint64_t n = min_u64(c, end - foff);

			/* No hole in the mapping, and no byte outside the strip. */
			if (soff >= s->len || n > s->len - soff)
				return famfs_err(-EIO, "fmap: interleaved extent %u: chunk %llu "
						 "runs past the end of strip %llu", i,
						 (unsigned long long)k,
						 (unsigned long long)(k % ns));
			rc = walk_add(w, foff, s->devindex, s->offset + soff, n);
			if (rc)
				return rc;
		}
		base = end;
	}
	return 0;
}

long famfs_fmap_walk(const struct famfs_fmap *f, famfs_seg_fn fn, void *ctx)
{
	struct walker w = { .fn = fn, .ctx = ctx };
	uint64_t limit = pmd_round_up(f->file_size);
	int rc;

	if (f->nextents > FAMFS_FMAP_MAX_EXTENTS)
		return famfs_err(-EINVAL, "fmap: nextents %u (max %d)", f->nextents,
				 FAMFS_FMAP_MAX_EXTENTS);
	if (f->ext_type == FAMFS_EXT_SIMPLE)
		rc = walk_simple(f, &w, limit);
	else if (f->ext_type == FAMFS_EXT_INTERLEAVE)
		rc = walk_interleave(f, &w, limit);
	else
		return famfs_err(-EINVAL, "fmap: ext_type %u (must be 0 or 1)", f->ext_type);
	if (!rc)
		rc = walk_flush(&w);
	return rc ? rc : w.count;
}

/* ---- fuse_daxdev_out ---- */

void famfs_daxdev_out_encode(uint16_t index, const char *name,
			     uint8_t out[FAMFS_DAXDEV_OUT_SIZE])
{
	memset(out, 0, FAMFS_DAXDEV_OUT_SIZE);
	famfs_put_le16(out + FAMFS_OFF_DD_INDEX, index);
	if (name)
		memcpy(out + FAMFS_OFF_DD_NAME, name,
		       strnlen(name, FAMFS_DAXDEV_NAME_MAX - 1));
}

int famfs_daxdev_out_decode(const uint8_t *buf, size_t len, uint16_t *index,
			    char name[FAMFS_DAXDEV_NAME_MAX])
{
	const uint8_t *p = buf + FAMFS_OFF_DD_NAME;

	name[0] = '\0';
	if (!buf || len != FAMFS_DAXDEV_OUT_SIZE)
		return famfs_err(-EINVAL, "daxdev reply: %zu bytes, must be %d", len,
				 FAMFS_DAXDEV_OUT_SIZE);
	if (!memchr(p, '\0', FAMFS_DAXDEV_NAME_MAX))
		return famfs_err(-EINVAL, "daxdev reply: name not NUL-terminated");
	if (!p[0])
		return famfs_err(-EINVAL, "daxdev reply: name is empty");
	*index = famfs_get_le16(buf + FAMFS_OFF_DD_INDEX);
	memcpy(name, p, FAMFS_DAXDEV_NAME_MAX);
	return 0;
}
