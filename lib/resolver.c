// SPDX-License-Identifier: Apache-2.0
/*
 * resolver.c - the resolver interface (famfs/resolver.h): iomap_begin over
 * the C resolver or the BPF program, the fault-order walk built on it, the
 * fmap <-> BPF value conversion, and the BPF maps and program runs over
 * raw bpf(2), so that clients (the shim) need no libbpf. Loading the
 * program is libfamfs-bpf's (lib/bpf/load.c), which links libbpf.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "famfs/err.h"
#include "famfs/resolver.h"

_Static_assert(FAMFS_BPF_MAX_EXT == FAMFS_FMAP_MAX_EXTENTS, "extent limit");
_Static_assert(FAMFS_BPF_MAX_EXT <= FAMFS_FMAP_MAX_STRIPS, "strip limit");
_Static_assert(FAMFS_BPF_MAX_DEVS == FAMFS_MAX_DAXDEVS, "device limit");
_Static_assert(FAMFS_BPF_NAME_MAX == FAMFS_DAXDEV_NAME_MAX, "device name limit");

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	long r = syscall(SYS_bpf, cmd, attr, sizeof(*attr));

	return r < 0 ? -errno : r;
}

static uint64_t ptr64(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

int famfs_bpf_run(int prog_fd, struct famfs_bpf_req *req)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.test.prog_fd = (uint32_t)prog_fd;
	a.test.ctx_in = ptr64(req);
	a.test.ctx_size_in = sizeof(*req);
	return (int)sys_bpf(BPF_PROG_RUN, &a);
}

int famfs_iomap_begin(const struct famfs_resolver *r, uint64_t pos, uint64_t len,
		      struct famfs_iomap *out)
{
	struct famfs_bpf_req q;
	int rc;

	if (!r || !out)
		return -EINVAL;
	if (r->kind == FAMFS_RESOLVER_C) {
		if (!r->fmap)
			return -EINVAL;
		return famfs_fmap_resolve(r->fmap, pos, len, out);
	}
	if (r->kind != FAMFS_RESOLVER_BPF || !r->bpf || r->bpf->prog_fd < 0)
		return -EINVAL;
	memset(&q, 0, sizeof(q));
	q.ino = r->ino;
	q.pos = pos;
	q.len = len;
	q.devindex = out->devindex;
	q.addr = out->addr;
	q.length = out->length;
	rc = famfs_bpf_run(r->bpf->prog_fd, &q);
	if (rc)
		return famfs_err(rc, "BPF_PROG_RUN of famfs_iomap_begin: %s", strerror(-rc));
	out->offset = pos;
	if (q.rc == -ENOENT)
		return famfs_err(-ENOENT, "BPF resolver: inode %llu is not in the map",
				 (unsigned long long)r->ino);
	out->devindex = q.devindex;
	out->addr = q.addr;
	out->length = q.length;
	return q.rc;
}

long famfs_resolver_walk(const struct famfs_resolver *r, uint64_t size, famfs_seg_fn fn,
			 void *ctx)
{
	uint64_t end = (size + FAMFS_PMD_SIZE - 1) & ~(FAMFS_PMD_SIZE - 1);
	struct famfs_seg cur = { 0 };
	struct famfs_iomap io;
	uint64_t pos = 0;
	bool have = false;
	long n = 0;
	int rc;

	if (end < size)
		return famfs_err(-EFBIG, "file size %#llx too large", (unsigned long long)size);
	while (pos < end) {
		memset(&io, 0, sizeof(io));
		rc = famfs_iomap_begin(r, pos, end - pos, &io);
		if (rc)
			return rc;
		if (!io.length)
			return famfs_err(-EIO, "resolver returned length 0 at %#llx",
					 (unsigned long long)pos);
		if (have && cur.devindex == io.devindex && cur.dev_off + cur.len == io.addr) {
			cur.len += io.length;
		} else {
			if (have) {
				rc = fn(ctx, &cur);
				if (rc)
					return rc;
				n++;
			}
			cur.file_off = pos;
			cur.devindex = io.devindex;
			cur.dev_off = io.addr;
			cur.len = io.length;
			have = true;
		}
		pos += io.length;
	}
	if (have) {
		rc = fn(ctx, &cur);
		if (rc)
			return rc;
		n++;
	}
	return n;
}

static void put_ext(struct famfs_bpf_ext *d, const struct famfs_fmap_ext *s)
{
	d->devindex = s->devindex;
	d->offset = s->offset;
	d->len = s->len;
}

int famfs_bpf_file_encode(const struct famfs_fmap *f, struct famfs_bpf_file *v)
{
	uint32_t i;

	memset(v, 0, sizeof(*v));
	v->ext_type = f->ext_type;
	v->file_size = f->file_size;
	if (f->ext_type != FAMFS_EXT_INTERLEAVE) {
		if (f->nextents > FAMFS_BPF_MAX_EXT)
			return famfs_err(-E2BIG, "fmap: %u extents do not fit the BPF value (max %d)",
					 f->nextents, FAMFS_BPF_MAX_EXT);
		v->nextents = f->nextents;
		for (i = 0; i < f->nextents; i++)
			put_ext(&v->ext[i], &f->se[i]);
		return 0;
	}
	if (f->nextents > 1)
		return famfs_err(-E2BIG, "fmap: %u interleaved extents do not fit the BPF value "
				 "(max 1)", f->nextents);
	v->nextents = f->nextents;
	if (!f->nextents)
		return 0;
	if (f->ie[0].nstrips > FAMFS_BPF_MAX_EXT ||
	    f->ie[0].first + f->ie[0].nstrips > FAMFS_FMAP_STRIP_POOL)
		return famfs_err(-E2BIG, "fmap: %llu strips do not fit the BPF value (max %d)",
				 (unsigned long long)f->ie[0].nstrips, FAMFS_BPF_MAX_EXT);
	v->nstrips = f->ie[0].nstrips;
	v->chunk_size = f->ie[0].chunk_size;
	v->nbytes = f->ie[0].nbytes;
	for (i = 0; i < v->nstrips; i++)
		put_ext(&v->ext[i], &f->strips[f->ie[0].first + i]);
	return 0;
}

static void get_ext(struct famfs_fmap *f, struct famfs_fmap_ext *d,
		    const struct famfs_bpf_ext *s)
{
	d->devindex = s->devindex;
	d->offset = s->offset;
	d->len = s->len;
	if (s->devindex < 64)
		f->dev_bitmap |= 1ULL << s->devindex;
}

void famfs_bpf_file_decode(const struct famfs_bpf_file *v, struct famfs_fmap *f)
{
	uint32_t i, n;

	memset(f, 0, sizeof(*f));
	f->file_type = FAMFS_FILE_REG;
	f->version = FAMFS_FMAP_VERSION;
	f->ext_type = v->ext_type;
	f->file_size = v->file_size;
	if (v->ext_type != FAMFS_EXT_INTERLEAVE) {
		n = v->nextents < FAMFS_BPF_MAX_EXT ? v->nextents : FAMFS_BPF_MAX_EXT;
		f->nextents = n;
		for (i = 0; i < n; i++)
			get_ext(f, &f->se[i], &v->ext[i]);
		return;
	}
	f->nextents = v->nextents ? 1 : 0;
	n = v->nstrips < FAMFS_BPF_MAX_EXT ? (uint32_t)v->nstrips : FAMFS_BPF_MAX_EXT;
	f->ie[0].nstrips = n;
	f->ie[0].chunk_size = v->chunk_size;
	f->ie[0].nbytes = v->nbytes;
	f->ie[0].first = 0;
	f->nstrips_total = n;
	for (i = 0; i < n; i++)
		get_ext(f, &f->strips[i], &v->ext[i]);
}

/* ---- maps over raw bpf(2) ---- */

/* BPF_OBJ_GET of @dir/@name; @flags BPF_F_RDONLY for a map only a reader needs. */
static int obj_get(const char *dir, const char *name, uint32_t flags, int *fd)
{
	char path[512];
	union bpf_attr a;
	long r;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	memset(&a, 0, sizeof(a));
	a.pathname = ptr64(path);
	a.file_flags = flags;
	r = sys_bpf(BPF_OBJ_GET, &a);
	if (r < 0)
		return famfs_err((int)r, "%s: %s", path, strerror((int)-r));
	*fd = (int)r;
	return 0;
}

/* Raw close(2): the shim interposes close() and must not see ours. */
static void raw_close(int fd)
{
	if (fd >= 0)
		syscall(SYS_close, fd);
}

void famfs_bpf_close(struct famfs_bpf *b)
{
	if (!b)
		return;
	raw_close(b->prog_fd);
	raw_close(b->bench_fd);
	raw_close(b->files_fd);
	raw_close(b->devs_fd);
	b->prog_fd = b->bench_fd = b->files_fd = b->devs_fd = -1;
}

/* Programs are opened read-write whatever @map_flags: the kernel wants that. */
static int open_pinned(const char *dir, uint32_t map_flags, struct famfs_bpf *b)
{
	int rc;

	b->prog_fd = b->bench_fd = b->files_fd = b->devs_fd = -1;
	rc = obj_get(dir, FAMFS_BPF_PIN_PROG, 0, &b->prog_fd);
	if (!rc)
		rc = obj_get(dir, FAMFS_BPF_PIN_FILES, map_flags, &b->files_fd);
	if (!rc)
		rc = obj_get(dir, FAMFS_BPF_PIN_DEVS, map_flags, &b->devs_fd);
	if (!rc)
		rc = obj_get(dir, FAMFS_BPF_PIN_BENCH, 0, &b->bench_fd);
	if (rc)
		famfs_bpf_close(b);
	return rc;
}

int famfs_bpf_open_pinned(const char *dir, struct famfs_bpf *b)
{
	return open_pinned(dir, 0, b);
}

int famfs_bpf_open_pinned_ro(const char *dir, struct famfs_bpf *b)
{
	return open_pinned(dir, BPF_F_RDONLY, b);
}

static int map_op(int cmd, int fd, const void *key, void *val, uint64_t flags)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_fd = (uint32_t)fd;
	a.key = ptr64(key);
	a.value = ptr64(val);
	a.flags = flags;
	return (int)sys_bpf(cmd, &a);
}

int famfs_bpf_set_file(const struct famfs_bpf *b, uint64_t ino, const struct famfs_fmap *f)
{
	struct famfs_bpf_file v;
	int rc = famfs_bpf_file_encode(f, &v);

	if (rc)
		return rc;
	rc = map_op(BPF_MAP_UPDATE_ELEM, b->files_fd, &ino, &v, BPF_ANY);
	if (rc)
		return famfs_err(rc, "BPF map update of inode %llu: %s",
				 (unsigned long long)ino, strerror(-rc));
	return 0;
}

int famfs_bpf_del_file(const struct famfs_bpf *b, uint64_t ino)
{
	return map_op(BPF_MAP_DELETE_ELEM, b->files_fd, &ino, NULL, 0);
}

int famfs_bpf_get_file(const struct famfs_bpf *b, uint64_t ino, struct famfs_bpf_file *v)
{
	return map_op(BPF_MAP_LOOKUP_ELEM, b->files_fd, &ino, v, 0);
}

int famfs_bpf_set_dev(const struct famfs_bpf *b, uint32_t idx, const char *name,
		      uint32_t state)
{
	struct famfs_bpf_dev d;

	if (idx >= FAMFS_BPF_MAX_DEVS)
		return -EINVAL;
	memset(&d, 0, sizeof(d));
	d.valid = name != NULL;
	d.state = state;
	if (name)
		snprintf(d.name, sizeof(d.name), "%s", name);
	return map_op(BPF_MAP_UPDATE_ELEM, b->devs_fd, &idx, &d, BPF_ANY);
}

int famfs_bpf_get_dev(const struct famfs_bpf *b, uint32_t idx, struct famfs_bpf_dev *d)
{
	if (idx >= FAMFS_BPF_MAX_DEVS)
		return -EINVAL;
	return map_op(BPF_MAP_LOOKUP_ELEM, b->devs_fd, &idx, d, 0);
}
