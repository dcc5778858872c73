// SPDX-License-Identifier: Apache-2.0
/*
 * preload.c - libfamfs-preload.so: direct access to famfs files for
 * unmodified programs (LD_PRELOAD).
 *
 * On every successful open the shim makes one fstatfs(2); only for a
 * regular file on a FUSE mount does it try famfs_map_open_fd(), which maps
 * the file (one GET_FMAP, GET_DAXDEV for unknown devices). From then on:
 *   read/pread/write/pwrite   memcpy on the mapping, within [0, size):
 *                             reads are short at EOF and 0 at/after it,
 *                             writes are short at EOF and EFBIG at/after
 *                             it; read/write use and move the file offset
 *                             (lseek SEEK_CUR/SEEK_SET: no upcall).
 *   mmap(MAP_SHARED)          a new direct mapping of [off, off + len).
 *   close/fclose/dup*         drop or share the per-fd state.
 * Everything else (MAP_PRIVATE, readv, sendfile, stdio's own reads, files
 * that are not famfs) passes through to libc and so to famfsd.
 *
 * Per-fd state lives in an array of atomic pointers (fd < 65536). State
 * objects are never freed, only recycled, so a reader may always touch the
 * refcount of an object it loaded: it takes a reference only if the count
 * is not zero and the slot still holds the object.
 *
 * Environment: FAMFS_PRELOAD_DISABLE=1 passes everything through;
 * FAMFS_PRELOAD_DEBUG=1 says on stderr what the shim does.
 */
/* Define open and open64 (etc.) as separate symbols, without redirection. */
#undef _FILE_OFFSET_BITS
#undef _FORTIFY_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "famfs/err.h"
#include "famfs/map.h"
#include "preload.h"

#define FUSE_SUPER_MAGIC	0x65735546
#define FD_MAX			65536

struct fdstate {
	atomic_long ref;		/* 0: free (on the free list) */
	struct famfs_map *map;
	int accmode;			/* O_RDONLY, O_WRONLY or O_RDWR */
	bool append;
	pthread_mutex_t pos_lock;	/* serialises read/write at the offset */
	struct fdstate *next_free;
};

struct real_fns real;

static _Atomic(struct fdstate *) fdtab[FD_MAX];
static pthread_mutex_t free_lock = PTHREAD_MUTEX_INITIALIZER;
static struct fdstate *free_list;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int disabled;
static int debug;

/* Set while the shim calls into libfamfs: its own calls go to libc. */
static __thread int in_lib __attribute__((tls_model("initial-exec")));

static void init(void)
{
	const char *e;

#define RESOLVE(name) real.name = dlsym(RTLD_NEXT, #name)
	RESOLVE(open);
	RESOLVE(open64);
	RESOLVE(openat);
	RESOLVE(openat64);
	RESOLVE(__open_2);
	RESOLVE(__open64_2);
	RESOLVE(__openat_2);
	RESOLVE(__openat64_2);
	RESOLVE(close);
	RESOLVE(read);
	RESOLVE(pread);
	RESOLVE(pread64);
	RESOLVE(write);
	RESOLVE(pwrite);
	RESOLVE(pwrite64);
	RESOLVE(mmap);
	RESOLVE(mmap64);
	RESOLVE(munmap);
	RESOLVE(dup);
	RESOLVE(dup2);
	RESOLVE(dup3);
	RESOLVE(fclose);
#undef RESOLVE
	e = getenv("FAMFS_PRELOAD_DISABLE");
	disabled = e && *e && strcmp(e, "0");
	e = getenv("FAMFS_PRELOAD_DEBUG");
	debug = e && *e && strcmp(e, "0");
}

void preload_init(void)
{
	pthread_once(&init_once, init);
}

__attribute__((constructor)) static void preload_ctor(void)
{
	preload_init();
}

void preload_dbg(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	if (!debug)
		return;
	n = snprintf(buf, sizeof(buf), "famfs-preload[%d]: ", getpid());
	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(buf))
		n = sizeof(buf) - 1;
	buf[n++] = '\n';
	if (real.write)
		real.write(2, buf, n);
}

/* ---- per-fd state ---- */

static struct fdstate *state_alloc(void)
{
	struct fdstate *s;

	pthread_mutex_lock(&free_lock);
	s = free_list;
	if (s)
		free_list = s->next_free;
	pthread_mutex_unlock(&free_lock);
	if (!s) {
		s = calloc(1, sizeof(*s));
		if (!s)
			return NULL;
		pthread_mutex_init(&s->pos_lock, NULL);
	}
	s->next_free = NULL;
	atomic_store(&s->ref, 1);
	return s;
}

static void state_put(struct fdstate *s)
{
	struct famfs_map *m;

	if (atomic_fetch_sub(&s->ref, 1) != 1)
		return;
	m = s->map;
	s->map = NULL;
	in_lib++;
	famfs_map_close(m);
	in_lib--;
	pthread_mutex_lock(&free_lock);
	s->next_free = free_list;
	free_list = s;
	pthread_mutex_unlock(&free_lock);
}

/* A counted reference to @fd's famfs state, or NULL (not a famfs fd). */
static struct fdstate *state_get(int fd)
{
	struct fdstate *s;
	long r;

	if (fd < 0 || fd >= FD_MAX || in_lib)
		return NULL;
	for (;;) {
		s = atomic_load_explicit(&fdtab[fd], memory_order_acquire);
		if (!s)
			return NULL;
		r = atomic_load(&s->ref);
		do {
			if (r == 0)
				goto again;
		} while (!atomic_compare_exchange_weak(&s->ref, &r, r + 1));
		if (atomic_load_explicit(&fdtab[fd], memory_order_acquire) == s)
			return s;
		state_put(s);
again:
		if (atomic_load_explicit(&fdtab[fd], memory_order_acquire) == s)
			return NULL;	/* being freed by close: pass through */
	}
}

/* Put @s (already referenced for the slot, or NULL) in @fd's slot. */
static void state_set(int fd, struct fdstate *s)
{
	struct fdstate *old;

	if (fd < 0 || fd >= FD_MAX) {
		if (s)
			state_put(s);
		return;
	}
	old = atomic_exchange_explicit(&fdtab[fd], s, memory_order_acq_rel);
	if (old)
		state_put(old);
}

void preload_after_open(int fd, int flags)
{
	struct famfs_map *m;
	struct fdstate *s;
	struct statfs sfs;
	struct stat st;
	int saved = errno, err;

	if (fd < 0 || in_lib)
		return;
	state_set(fd, NULL);	/* whatever an fd closed behind our back left */
	if (disabled || (flags & O_PATH) || fd >= FD_MAX)
		goto out;
	if (fstatfs(fd, &sfs) < 0 || sfs.f_type != FUSE_SUPER_MAGIC)
		goto out;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		goto out;
	in_lib++;
	err = famfs_map_open_fd(fd, flags & O_ACCMODE, &m);
	in_lib--;
	if (err) {
		preload_dbg("fd %d: not mapped, passing through: %s (%s)", fd, strerror(-err),
			    famfs_errmsg());
		goto out;
	}
	s = state_alloc();
	if (!s) {
		in_lib++;
		famfs_map_close(m);
		in_lib--;
		goto out;
	}
	s->map = m;
	s->accmode = flags & O_ACCMODE;
	s->append = flags & O_APPEND;
	state_set(fd, s);
	preload_dbg("fd %d: mapped %zu bytes at %p (%ld segments, %s)", fd, m->len, m->addr,
		    m->nsegs, m->writable ? "rw" : "ro");
out:
	errno = saved;
}

/* ---- open ---- */

#define MODE_ARG(flags, mode)						\
	do {								\
		if ((flags) & (O_CREAT | __O_TMPFILE)) {		\
			va_list ap;					\
			va_start(ap, flags);				\
			mode = va_arg(ap, mode_t);			\
			va_end(ap);					\
		}							\
	} while (0)

int open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	int fd;

	MODE_ARG(flags, mode);
	preload_init();
	fd = real.open(path, flags, mode);
	preload_after_open(fd, flags);
	return fd;
}

int open64(const char *path, int flags, ...)
{
	mode_t mode = 0;
	int fd;

	MODE_ARG(flags, mode);
	preload_init();
	fd = real.open64(path, flags, mode);
	preload_after_open(fd, flags);
	return fd;
}

int openat(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;
	int fd;

	MODE_ARG(flags, mode);
	preload_init();
	fd = real.openat(dirfd, path, flags, mode);
	preload_after_open(fd, flags);
	return fd;
}

int openat64(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;
	int fd;

	MODE_ARG(flags, mode);
	preload_init();
	fd = real.openat64(dirfd, path, flags, mode);
	preload_after_open(fd, flags);
	return fd;
}

int __open_2(const char *path, int flags)
{
	int fd;

	preload_init();
	fd = real.__open_2(path, flags);
	preload_after_open(fd, flags);
	return fd;
}

int __open64_2(const char *path, int flags)
{
	int fd;

	preload_init();
	fd = real.__open64_2(path, flags);
	preload_after_open(fd, flags);
	return fd;
}

int __openat_2(int dirfd, const char *path, int flags)
{
	int fd;

	preload_init();
	fd = real.__openat_2(dirfd, path, flags);
	preload_after_open(fd, flags);
	return fd;
}

int __openat64_2(int dirfd, const char *path, int flags)
{
	int fd;

	preload_init();
	fd = real.__openat64_2(dirfd, path, flags);
	preload_after_open(fd, flags);
	return fd;
}

/* ---- close and dup ---- */

int close(int fd)
{
	preload_init();
	if (!in_lib && fd >= 0 && fd < FD_MAX)
		state_set(fd, NULL);
	return real.close(fd);
}

int fclose(FILE *f)
{
	int fd;

	preload_init();
	fd = f ? fileno(f) : -1;
	if (!in_lib && fd >= 0 && fd < FD_MAX)
		state_set(fd, NULL);
	return real.fclose(f);
}

/* @newfd now refers to @oldfd's open file: share its state (or none). */
static void dup_state(int oldfd, int newfd)
{
	struct fdstate *s;

	if (newfd < 0 || in_lib)
		return;
	s = state_get(oldfd);	/* the reference becomes the new slot's */
	state_set(newfd, s);
}

int dup(int oldfd)
{
	int fd;

	preload_init();
	fd = real.dup(oldfd);
	dup_state(oldfd, fd);
	return fd;
}

int dup2(int oldfd, int newfd)
{
	int fd;

	preload_init();
	fd = real.dup2(oldfd, newfd);
	if (fd >= 0 && oldfd != newfd)
		dup_state(oldfd, fd);
	return fd;
}

int dup3(int oldfd, int newfd, int flags)
{
	int fd;

	preload_init();
	fd = real.dup3(oldfd, newfd, flags);
	dup_state(oldfd, fd);
	return fd;
}

/* ---- read and write ---- */

/* Bytes of a @count-byte access at @pos that lie inside a @size-byte file. */
static size_t clip(uint64_t pos, size_t count, uint64_t size)
{
	if (pos >= size)
		return 0;
	return count < size - pos ? count : (size_t)(size - pos);
}

static ssize_t do_pread(struct fdstate *s, void *buf, size_t count, off_t off)
{
	size_t n;

	if (s->accmode == O_WRONLY) {
		errno = EBADF;
		return -1;
	}
	if (off < 0) {
		errno = EINVAL;
		return -1;
	}
	n = clip((uint64_t)off, count, s->map->len);
	if (n)
		memcpy(buf, (const uint8_t *)s->map->addr + off, n);
	return (ssize_t)n;
}

static ssize_t do_pwrite(struct fdstate *s, const void *buf, size_t count, off_t off)
{
	size_t n;

	if (s->accmode == O_RDONLY) {
		errno = EBADF;
		return -1;
	}
	if (off < 0) {
		errno = EINVAL;
		return -1;
	}
	if (count == 0)
		return 0;
	n = clip((uint64_t)off, count, s->map->len);
	if (n == 0) {
		errno = EFBIG;	/* famfs files never grow */
		return -1;
	}
	memcpy((uint8_t *)s->map->addr + off, buf, n);
	return (ssize_t)n;
}

/* read(2)/write(2) at the file offset, moving it by what was done. */
static ssize_t do_at_offset(struct fdstate *s, int fd, void *rbuf, const void *wbuf,
			    size_t count)
{
	ssize_t n;
	off_t pos;

	pthread_mutex_lock(&s->pos_lock);
	pos = lseek(fd, 0, SEEK_CUR);
	if (pos < 0) {
		n = -1;
		goto out;
	}
	if (wbuf && s->append && s->accmode != O_RDONLY)
		pos = (off_t)s->map->len;
	n = wbuf ? do_pwrite(s, wbuf, count, pos) : do_pread(s, rbuf, count, pos);
	if (n > 0 && lseek(fd, pos + n, SEEK_SET) < 0)
		n = -1;
out:
	pthread_mutex_unlock(&s->pos_lock);
	return n;
}

ssize_t read(int fd, void *buf, size_t count)
{
	struct fdstate *s = state_get(fd);
	ssize_t n;

	if (!s) {
		preload_init();
		return real.read(fd, buf, count);
	}
	n = do_at_offset(s, fd, buf, NULL, count);
	state_put(s);
	return n;
}

ssize_t write(int fd, const void *buf, size_t count)
{
	struct fdstate *s = state_get(fd);
	ssize_t n;

	if (!s) {
		preload_init();
		return real.write(fd, buf, count);
	}
	n = do_at_offset(s, fd, NULL, buf, count);
	state_put(s);
	return n;
}

ssize_t pread(int fd, void *buf, size_t count, off_t off)
{
	struct fdstate *s = state_get(fd);
	ssize_t n;

	if (!s) {
		preload_init();
		return real.pread(fd, buf, count, off);
	}
	n = do_pread(s, buf, count, off);
	state_put(s);
	return n;
}

ssize_t pread64(int fd, void *buf, size_t count, off_t off)
{
	struct fdstate *s = state_get(fd);
	ssize_t n;

	if (!s) {
		preload_init();
		return real.pread64(fd, buf, count, off);
	}
	n = do_pread(s, buf, count, off);
	state_put(s);
	return n;
}

ssize_t pwrite(int fd, const void *buf, size_t count, off_t off)
{
	struct fdstate *s = state_get(fd);
	ssize_t n;

	if (!s) {
		preload_init();
		return real.pwrite(fd, buf, count, off);
	}
	n = do_pwrite(s, buf, count, off);
	state_put(s);
	return n;
}

ssize_t pwrite64(int fd, const void *buf, size_t count, off_t off)
{
	struct fdstate *s = state_get(fd);
	ssize_t n;

	if (!s) {
		preload_init();
		return real.pwrite64(fd, buf, count, off);
	}
	n = do_pwrite(s, buf, count, off);
	state_put(s);
	return n;
}

/* ---- mmap ---- */

/*
 * Direct mappings made for mmap(2) are widened to whole 2 MiB pages (a
 * devdax device maps nothing smaller, see famfs_map_mmap()). Each widened
 * one is remembered here, so that munmap() of what the program was given
 * releases the whole mapping: on devdax, unmapping part of a 2 MiB page
 * fails with EINVAL. mmap and munmap are not hot, so a list and a mutex do.
 */
struct span_rec {
	struct span_rec *next;
	void *user;
	size_t user_len;
	struct famfs_map_span span;
};

static struct span_rec *spans;
static pthread_mutex_t spans_lock = PTHREAD_MUTEX_INITIALIZER;

static size_t page_round(size_t len)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);

	return (len + pg - 1) & ~(pg - 1);
}

static void span_add(void *user, size_t len, const struct famfs_map_span *span)
{
	struct span_rec *r;

	if (span->base == user && span->len == page_round(len))
		return;
	r = malloc(sizeof(*r));
	if (!r)
		return;		/* munmap then works as on a regular file */
	r->user = user;
	r->user_len = page_round(len);
	r->span = *span;
	pthread_mutex_lock(&spans_lock);
	r->next = spans;
	spans = r;
	pthread_mutex_unlock(&spans_lock);
}

/* If [addr, addr + len) is exactly a widened mapping, take its record. */
static struct span_rec *span_take(void *addr, size_t len)
{
	struct span_rec **pp, *r = NULL;

	pthread_mutex_lock(&spans_lock);
	for (pp = &spans; *pp; pp = &(*pp)->next) {
		if ((*pp)->user == addr && (*pp)->user_len == page_round(len)) {
			r = *pp;
			*pp = r->next;
			break;
		}
	}
	pthread_mutex_unlock(&spans_lock);
	return r;
}

static void *do_mmap(struct fdstate *s, void *addr, size_t len, int prot, int flags, off_t off)
{
	struct famfs_map_span span;
	void *p = NULL;
	int err;

	if (s->accmode == O_WRONLY || ((prot & PROT_WRITE) && s->accmode == O_RDONLY)) {
		errno = EACCES;
		return MAP_FAILED;
	}
	if (off < 0) {
		errno = EINVAL;
		return MAP_FAILED;
	}
	in_lib++;
	err = famfs_map_mmap(s->map, addr, len, prot, flags & MAP_FIXED, (uint64_t)off, &p,
			     &span);
	in_lib--;
	if (err) {
		preload_dbg("mmap of %zu at %lld: %s (%s)", len, (long long)off, strerror(-err),
			    famfs_errmsg());
		errno = -err;
		return MAP_FAILED;
	}
	if ((flags & MAP_FIXED_NOREPLACE) && !(flags & MAP_FIXED) && addr && p != addr) {
		real.munmap(span.base, span.len);
		errno = EEXIST;
		return MAP_FAILED;
	}
	span_add(p, len, &span);
	if (flags & MAP_POPULATE)
		madvise(p, len, (prot & PROT_WRITE) ? MADV_POPULATE_WRITE : MADV_POPULATE_READ);
	if (flags & MAP_LOCKED)
		mlock(p, len);
	preload_dbg("mmap of %zu bytes at file offset %lld: direct at %p", len, (long long)off,
		    p);
	return p;
}

static bool famfs_mmap_wanted(int flags, int fd)
{
	int type = flags & MAP_TYPE;

	return !(flags & MAP_ANONYMOUS) && fd >= 0 &&
	       (type == MAP_SHARED || type == MAP_SHARED_VALIDATE);
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	struct fdstate *s = famfs_mmap_wanted(flags, fd) ? state_get(fd) : NULL;
	void *p;

	if (!s) {
		preload_init();
		return real.mmap(addr, len, prot, flags, fd, off);
	}
	p = do_mmap(s, addr, len, prot, flags, off);
	state_put(s);
	return p;
}

void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	struct fdstate *s = famfs_mmap_wanted(flags, fd) ? state_get(fd) : NULL;
	void *p;

	if (!s) {
		preload_init();
		return real.mmap64(addr, len, prot, flags, fd, off);
	}
	p = do_mmap(s, addr, len, prot, flags, off);
	state_put(s);
	return p;
}

int munmap(void *addr, size_t len)
{
	struct span_rec *r;
	int rc;

	preload_init();
	r = in_lib ? NULL : span_take(addr, len);
	if (!r)
		return real.munmap(addr, len);
	rc = real.munmap(r->span.base, r->span.len);
	preload_dbg("munmap of %zu at %p: whole direct mapping of %zu at %p", len, addr,
		    r->span.len, r->span.base);
	free(r);
	return rc;
}
