// SPDX-License-Identifier: GPL-2.0
/*
 * famfs_iomap.bpf.c - the famfs resolver (V10 famfs_fuse_iomap_begin
 * arithmetic) as BPF_PROG_TYPE_SYSCALL programs, over a hash map of file
 * extents keyed by inode number (layout: include/famfs/resolver.h).
 *
 *   famfs_iomap_begin  one lookup + one resolve, ctx = struct famfs_bpf_req
 *   famfs_iomap_bench  @loops lookups + resolves (only lookups when len is 1)
 *                      in a bpf_loop, timed with
 *                      bpf_ktime_get_ns (BPF_PROG_RUN of a syscall program
 *                      refuses repeat/duration, so the program times itself)
 *
 * Every loop is bounded (32 extents or strips) for the verifier. All
 * arithmetic is u64, as in the kernel.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "famfs/resolver.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FAMFS_BPF_MAX_FILES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, struct famfs_bpf_file);
} famfs_files SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FAMFS_BPF_MAX_DEVS);
	__type(key, __u32);
	__type(value, struct famfs_bpf_dev);
} famfs_devs SEC(".maps");

struct iomap_out {
	__u64 devindex;
	__u64 addr;
	__u64 length;
};

static __always_inline __u64 min_u64(__u64 a, __u64 b)
{
	return a < b ? a : b;
}

/* Nothing covers pos: -EIO with the iomap zeroed, as the kernel. */
static __always_inline int eio(struct iomap_out *o)
{
	o->devindex = 0;
	o->addr = 0;
	o->length = 0;
	return -FAMFS_BPF_EIO;
}

static __noinline int resolve_simple(const struct famfs_bpf_file *f, __u64 pos, __u64 len,
				     struct iomap_out *o)
{
	__u32 n = f->nextents;
	__u64 local = pos;
	__u32 i;

	if (n > FAMFS_BPF_MAX_EXT)
		n = FAMFS_BPF_MAX_EXT;
	for (i = 0; i < FAMFS_BPF_MAX_EXT; i++) {
		const struct famfs_bpf_ext *x = &f->ext[i];

		if (i >= n)
			break;
		if (local < x->len) {
			if (x->devindex >= FAMFS_BPF_MAX_DEVS)
				return eio(o);
			o->devindex = x->devindex;
			o->addr = x->offset + local;
			o->length = min_u64(len, x->len - local);
			return 0;
		}
		local -= x->len;
	}
	return eio(o);
}

static __noinline int resolve_interleave(const struct famfs_bpf_file *f, __u64 pos, __u64 len,
					 struct iomap_out *o)
{
	__u64 c = f->chunk_size, ns = f->nstrips;
	__u64 e = min_u64(f->nbytes, f->file_size);
	__u64 chunk_num, chunk_off, strip_num, strip_off;
	const struct famfs_bpf_ext *s;

	if (f->nextents == 0)
		return eio(o);
	if (c == 0 || (c & (FAMFS_BPF_PMD - 1)))
		return -FAMFS_BPF_EINVAL;
	if (e == 0 || pos >= e)
		return eio(o);
	if (ns == 0 || ns > FAMFS_BPF_MAX_EXT)
		return eio(o);
	chunk_num = pos / c;
	chunk_off = pos % c;
	strip_num = chunk_num % ns;
	strip_off = chunk_off + (chunk_num / ns) * c;
	barrier_var(strip_num);		/* keep the bound check for the verifier */
	if (strip_num >= FAMFS_BPF_MAX_EXT)
		return eio(o);
	s = &f->ext[strip_num];
	if (s->devindex >= FAMFS_BPF_MAX_DEVS)
		return eio(o);
	/* Unlike the kernel: never an address past the strip (another file's). */
	if (strip_off >= s->len)
		return eio(o);
	o->devindex = s->devindex;
	o->addr = s->offset + strip_off;
	o->length = min_u64(min_u64(len, c - chunk_off), s->len - strip_off);
	return 0;
}

/* Look @ino up and resolve; -ENOENT when the file is not in the map. */
static __always_inline int iomap_begin(__u64 ino, __u64 pos, __u64 len, struct iomap_out *o)
{
	const struct famfs_bpf_file *f = bpf_map_lookup_elem(&famfs_files, &ino);

	if (!f)
		return -FAMFS_BPF_ENOENT;
	if (f->ext_type == 0)
		return resolve_simple(f, pos, len, o);
	if (f->ext_type == 1)
		return resolve_interleave(f, pos, len, o);
	return eio(o);
}

SEC("syscall")
int famfs_iomap_begin(struct famfs_bpf_req *req)
{
	struct iomap_out o = {
		.devindex = req->devindex, .addr = req->addr, .length = req->length,
	};

	req->rc = iomap_begin(req->ino, req->pos, req->len, &o);
	req->devindex = o.devindex;
	req->addr = o.addr;
	req->length = o.length;
	return 0;
}

struct bench_ctx {
	__u64 ino;
	__u64 lookup_only;
	__u64 span;
	__u64 x;
	__u64 ok;
	__u64 sum;
};

static long bench_one(__u64 i, void *data)
{
	struct bench_ctx *b = data;
	struct iomap_out o = {};
	__u64 x = b->x;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	b->x = x;
	if (b->lookup_only) {
		const struct famfs_bpf_file *f = bpf_map_lookup_elem(&famfs_files, &b->ino);

		if (f) {
			b->ok++;
			b->sum += f->file_size + (b->span ? x % b->span : 0);
		}
		return 0;
	}
	if (iomap_begin(b->ino, b->span ? x % b->span : 0, 4096, &o) == 0) {
		b->ok++;
		b->sum += o.addr + o.length;
	}
	return 0;
}

SEC("syscall")
int famfs_iomap_bench(struct famfs_bpf_req *req)
{
	struct bench_ctx b = {
		.ino = req->ino, .span = req->span, .x = req->seed | 1, .lookup_only = req->len == 1,
	};
	__u64 t0, t1;

	t0 = bpf_ktime_get_ns();
	bpf_loop(req->loops, bench_one, &b, 0);
	t1 = bpf_ktime_get_ns();
	req->ns = t1 - t0;
	req->ok = b.ok;
	req->sum = b.sum;
	req->rc = 0;
	return 0;
}
