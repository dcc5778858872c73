/* SPDX-License-Identifier: Apache-2.0 */
/*
 * resolver.h - iomap_begin(file, pos, len) -> (devindex, device offset,
 * length) or an error, with two implementations:
 *
 *  - C: famfs_fmap_resolve() over a decoded fmap (the kernel's V10
 *    famfs_fuse_iomap_begin() arithmetic);
 *  - BPF: bpf/famfs_iomap.bpf.c, a BPF_PROG_TYPE_SYSCALL program run with
 *    BPF_PROG_RUN. It looks the file up by inode number in a BPF hash map
 *    ("famfs_files") whose value is a struct famfs_bpf_file, and resolves
 *    with the same arithmetic. Device names live in a BPF array map
 *    ("famfs_devs", 24 slots of struct famfs_bpf_dev), standing in for
 *    GET_DAXDEV.
 *
 * The first part of this header is the ABI shared with the BPF program,
 * which includes it with __bpf__ defined: fixed-size values, inline arrays,
 * explicit widths, no padding (checked below).
 *
 * In famfsd's BPF mode (famfsd -o bpf) the maps and programs are pinned in
 * FAMFS_BPF_PIN_ROOT/dev-MAJ:MIN-ID/ (MAJ:MIN = st_dev of the mount, ID =
 * the random mount id famfsd reports with FAMFS_IOC_INFO, in hex), named
 * FAMFS_BPF_PIN_{FILES,DEVS,PROG,BENCH}; famfsd fills the file's value when
 * it handles OPEN and removes the directory at unmount. st_dev alone would
 * not do: the kernel gives it to the next mount as soon as this one is
 * gone, while the pins of a famfsd that died stay.
 */
#ifndef FAMFS_RESOLVER_H
#define FAMFS_RESOLVER_H

#include <linux/types.h>

#define FAMFS_BPF_MAX_EXT	32	/* simple extents, or strips */
#define FAMFS_BPF_MAX_DEVS	24	/* FAMFS_MAX_DAXDEVS */
#define FAMFS_BPF_NAME_MAX	256
#define FAMFS_BPF_MAX_FILES	65536	/* entries of the hash map */
#define FAMFS_BPF_PMD		0x200000ULL

/* Error codes the program stores in famfs_bpf_req.rc (negative errno). */
#define FAMFS_BPF_EIO		5
#define FAMFS_BPF_ENOENT	2
#define FAMFS_BPF_EINVAL	22

struct famfs_bpf_ext {
	__u64 devindex;
	__u64 offset;		/* byte offset in the device */
	__u64 len;
};

/* Value of famfs_files, key __u64 inode number (= FUSE nodeid). */
struct famfs_bpf_file {
	__u32 ext_type;		/* 0 simple, 1 interleave (others: -EIO) */
	__u32 nextents;		/* simple: extents in ext[]; interleave: 0 or 1 */
	__u64 file_size;
	__u64 nstrips;		/* interleave: strips in ext[] */
	__u64 chunk_size;	/* interleave */
	__u64 nbytes;		/* interleave: bytes of the file it holds */
	struct famfs_bpf_ext ext[FAMFS_BPF_MAX_EXT];
};

/* Value of famfs_devs, key __u32 device index. */
struct famfs_bpf_dev {
	__u32 valid;
	__u32 state;		/* 0 healthy, 1 poisoned (EHWPOISON), 2 vanished (EIO) */
	char name[FAMFS_BPF_NAME_MAX];
};

/*
 * The program's context (ctx_in, copied back by the kernel).
 * famfs_iomap_begin: in ino, pos, len and the current devindex/addr/length;
 * out rc and, on success, devindex/addr/length (on -EIO they are zeroed, on
 * -EINVAL left as they came, as famfs_fmap_resolve does).
 * famfs_iomap_bench: in ino, loops, seed, span; resolves @loops offsets
 * xorshift64(seed) % span (len = 4096) in a bpf_loop, looking the file up in
 * the hash map each time (len = 1 on input: only the lookup, no resolve);
 * out ns (bpf_ktime_get_ns around the loop), ok
 * (calls that returned 0) and sum (of addr + length, keeps the work live).
 */
struct famfs_bpf_req {
	__u64 ino;
	__u64 pos;
	__u64 len;
	__u64 devindex;
	__u64 addr;
	__u64 length;
	__s32 rc;
	__u32 loops;
	__u64 seed;
	__u64 span;
	__u64 ns;
	__u64 ok;
	__u64 sum;
};

#define FAMFS_BPF_PIN_ROOT	"/sys/fs/bpf/famfs"
#define FAMFS_BPF_PIN_FILES	"files"
#define FAMFS_BPF_PIN_DEVS	"devs"
#define FAMFS_BPF_PIN_PROG	"iomap_begin"
#define FAMFS_BPF_PIN_BENCH	"iomap_bench"
#define FAMFS_BPF_OBJ_NAME	"famfs_iomap.bpf.o"

#ifndef __bpf__

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "famfs/fmap.h"

#ifdef __cplusplus
extern "C" {
#endif

_Static_assert(sizeof(struct famfs_bpf_ext) == 24, "famfs_bpf_ext layout");
_Static_assert(sizeof(struct famfs_bpf_file) == 40 + 32 * 24, "famfs_bpf_file layout");
_Static_assert(sizeof(struct famfs_bpf_dev) == 264, "famfs_bpf_dev layout");
_Static_assert(sizeof(struct famfs_bpf_req) == 96, "famfs_bpf_req layout");

/*
 * A loaded or opened set of BPF objects: descriptors, -1 when absent. A
 * set loaded here and one opened from pins are alike: famfs_bpf_close()
 * closes either.
 */
struct famfs_bpf {
	int prog_fd;		/* famfs_iomap_begin */
	int bench_fd;		/* famfs_iomap_bench */
	int files_fd;		/* famfs_files hash map */
	int devs_fd;		/* famfs_devs array map */
};

/* Which implementation a resolver uses. */
enum famfs_resolver_kind {
	FAMFS_RESOLVER_C = 0,
	FAMFS_RESOLVER_BPF = 1,
};

/* One file, seen through one implementation. */
struct famfs_resolver {
	int kind;				/* enum famfs_resolver_kind */
	const struct famfs_fmap *fmap;		/* C */
	const struct famfs_bpf *bpf;		/* BPF */
	uint64_t ino;				/* BPF: key in famfs_files */
};

/*
 * iomap_begin: resolve @pos for an access of @len bytes with @r. Returns
 * 0, -EIO (nothing covers @pos), -EINVAL (chunk not PMD-aligned), or for
 * BPF -ENOENT (inode not in the map) or the bpf(2) error. @out follows
 * famfs_fmap_resolve()'s rules in both implementations.
 */
int famfs_iomap_begin(const struct famfs_resolver *r, uint64_t pos, uint64_t len,
		      struct famfs_iomap *out);

/*
 * Walk @r's file as the kernel would fault it: iomap_begin at 0, then at
 * each returned end, up to round_up(@size, 2 MiB), calling @fn for each run
 * contiguous on one device (merged as famfs_fmap_walk() merges). Returns
 * the number of segments or the first error.
 */
long famfs_resolver_walk(const struct famfs_resolver *r, uint64_t size, famfs_seg_fn fn,
			 void *ctx);

/*
 * Fill @v from @f: -E2BIG if @f has more than 32 extents or strips or more
 * than one interleaved extent (the BPF value cannot hold it).
 */
int famfs_bpf_file_encode(const struct famfs_fmap *f, struct famfs_bpf_file *v);

/* The fmap a famfs_bpf_file stands for (dev_bitmap recomputed). */
void famfs_bpf_file_decode(const struct famfs_bpf_file *v, struct famfs_fmap *f);

/* ---- the maps, over raw bpf(2) (libfamfs; no libbpf needed) ---- */

/* Open the objects pinned in @dir. Errors: bpf(2)'s (-ENOENT: not pinned). */
int famfs_bpf_open_pinned(const char *dir, struct famfs_bpf *b);

/*
 * The same with the maps read-only (BPF_F_RDONLY): what a client that only
 * looks files and devices up holds, for as long as it lives. A process
 * that opened the pins as root and then dropped privileges keeps these
 * descriptors, and must not be able to rewrite the maps that famfsd fills
 * and every other client on the host maps files by.
 */
int famfs_bpf_open_pinned_ro(const char *dir, struct famfs_bpf *b);
/* Close @b's descriptors (with the raw syscall: the shim interposes close). */
void famfs_bpf_close(struct famfs_bpf *b);
/* famfs_files[ino] = @f (-E2BIG when it does not fit), or delete it. */
int famfs_bpf_set_file(const struct famfs_bpf *b, uint64_t ino, const struct famfs_fmap *f);
int famfs_bpf_del_file(const struct famfs_bpf *b, uint64_t ino);
int famfs_bpf_get_file(const struct famfs_bpf *b, uint64_t ino, struct famfs_bpf_file *v);
/* famfs_devs[idx]. */
int famfs_bpf_set_dev(const struct famfs_bpf *b, uint32_t idx, const char *name,
		      uint32_t state);
int famfs_bpf_get_dev(const struct famfs_bpf *b, uint32_t idx, struct famfs_bpf_dev *d);
/* Run famfs_iomap_bench once (@req in/out); returns 0 or bpf(2)'s error. */
int famfs_bpf_run(int prog_fd, struct famfs_bpf_req *req);

/*
 * ---- loading: libfamfs-bpf (lib/bpf/load.c), the optional part that
 * links libbpf; only famfsd -o bpf and the resolver's tests use it ----
 */

/*
 * Find the BPF object: $FAMFS_BPF_OBJ, else FAMFS_BPF_OBJ_NAME next to
 * /proc/self/exe, in ../bin from there (the build tree), in the installed
 * $libdir/famfs relative to the program's installed directory (so that a
 * relocated tree, DESTDIR or dpkg --root, finds its own), or at last in the
 * build-time absolute $libdir/famfs. Returns 0 with the path in @out, or
 * -ENOENT.
 */
int famfs_bpf_find_obj(char *out, size_t outsz);

/*
 * Open, verify and load the object at @path (NULL: famfs_bpf_find_obj)
 * into @b. Errors are negative errno with a famfs_err() detail (the
 * verifier's complaint, a missing object, no privilege: -EPERM).
 */
int famfs_bpf_load(const char *path, struct famfs_bpf *b);

/*
 * Pin @b's maps and programs into @dir (created, and bpffs mounted at
 * /sys/fs/bpf when it is not). Stale pins there are replaced.
 */
int famfs_bpf_pin(const struct famfs_bpf *b, const char *dir);

/* ---- pins (libfamfs, lib/bpfpins.c: plain file operations) ---- */

/* Remove the pins in @dir and the directory; missing ones are fine. */
void famfs_bpf_unpin(const char *dir);

/*
 * FAMFS_BPF_PIN_ROOT "/dev-MAJ:MIN-ID" for a mount whose st_dev is @dev and
 * whose famfsd mount id (FAMFS_IOC_INFO) is @id, in hex.
 */
void famfs_bpf_pin_dir(uint64_t dev, const uint8_t id[16], char *out, size_t outsz);

/*
 * Remove every pin directory of st_dev @dev except the one of mount id
 * @keep (NULL: all of them). Only one live mount has a given st_dev, so
 * when that mount is known, pins of another id are stale: left by a
 * famfsd that died, under an st_dev the kernel has since given to another
 * mount. Returns how many were removed, or -errno (-EACCES unless root).
 */
int famfs_bpf_unpin_dev(uint64_t dev, const uint8_t keep[16]);

#ifdef __cplusplus
}
#endif
#endif /* !__bpf__ */
#endif
