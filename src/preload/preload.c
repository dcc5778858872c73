// SPDX-License-Identifier: Apache-2.0
/*
 * preload.c - libfamfs-preload.so: direct access to famfs files for
 * unmodified programs (LD_PRELOAD). This file owns the per-fd state and
 * the calls that create, copy and drop it; rw.c does read/write, mmap.c
 * mmap/munmap, sync.c fsync/msync and the other write backs.
 * docs/direct-access.md says the same for users.
 *
 * Intercepted (libc symbols; a call the program makes through libc):
 *   open*, __open*_2      for a regular file, famfs_map_open_fd maps the
 *                         file if its mount is a trusted famfs mount
 *                         (famfs/trust.h: made by root, confirmed by its
 *                         famfsd; the verdict is kept per mount, famfs or
 *                         not, found by statx's mount id with no upcall)
 *                         and its device a dax or pmem device or the
 *                         mount's own source: the fmap comes from the
 *                         mount's log in memory (or one GET_FMAP), a
 *                         second open of a mapped file shares its mapping.
 *                         Anything else passes through.
 *   read/pread/write/pwrite (and *64)  a copy on the mapping, within
 *                         [0, size): reads short at EOF and 0 at/after it,
 *                         writes short at EOF and EFBIG at/after it, and
 *                         on an O_APPEND fd always EFBIG (famfs files never
 *                         grow; FUSE answers the same). read/write use and
 *                         move the file offset with lseek (no upcall).
 *                         Reads invalidate and writes write back the cache
 *                         lines they cover, as famfsd does (rw.c).
 *   mmap(MAP_SHARED)      a new direct mapping, widened to 2 MiB pages.
 *   munmap, mremap        undo the widening (mmap.c).
 *   fsync, fdatasync, sync_file_range, msync  write back the cache lines
 *                         of the file or mapped range (sync.c).
 *   close, fclose, close_range, closefrom, dup, dup2, dup3,
 *   fcntl(F_DUPFD, F_DUPFD_CLOEXEC, F_SETFL)  drop, share or update state.
 *   fopen, freopen        forget the fd number's old state (stdio itself
 *                         reads through FUSE).
 * Not intercepted, so served by famfsd through FUSE and still correct:
 * readv/writev/preadv/pwritev, sendfile, splice, copy_file_range, io_uring,
 * aio, stdio's own reads and writes, MAP_PRIVATE maps, and every call made
 * by a raw syscall or inside libc.
 *
 * Staleness. An fd closed where the shim cannot see it (syscall(SYS_close),
 * a close inside libc) may be reused for another file. Each state records
 * the file's st_dev/st_ino, and every read/write/mmap first checks the fd
 * with statx(AT_STATX_DONT_SYNC), which FUSE answers from the inode with
 * no GETATTR upcall (one syscall, ~0.6-1 us here); a mismatch drops the
 * state and the call passes through. Limit: if the number is reused for
 * the same famfs file by an open the shim does not see, the old access
 * mode and O_APPEND flag still apply.
 *
 * Adoption. An fd the shim did not see open (inherited across exec, as in
 * `cat < file`, or opened by a raw syscall) is probed on its first read,
 * write or mmap: F_GETFL, statx and, on a famfs mount, the map. The answer,
 * famfs or not, is kept for that fd number until the shim sees it closed,
 * so a pipe or socket pays one probe, not one per read.
 *
 * Faults. The mapping covers the file rounded up to 2 MiB: a load or store
 * past EOF but inside the last 2 MiB page touches the file's own
 * allocation; past that page it gets SIGSEGV (the kernel famfs client
 * would send SIGBUS). If the device memory goes away (devdax unbound,
 * backing file truncated, poison) an access gets SIGBUS, which kills the
 * program unless it handles it; programs built against libfamfs can use
 * famfs_sigbus_try() (famfs/sigbus.h).
 *
 * fork. The shim's global locks have pthread_atfork handlers. read and
 * write take no lock: the kernel serialises the file offset (rw.c).
 *
 * Signals. See preload_in_lib in preload.h: a call that re-enters the shim
 * while its thread holds one of the shim's locks goes through FUSE, and
 * dropping a state (close) never frees, and locks only when its thread
 * holds none of the shim's or libfamfs's locks.
 *
 * Per-fd state lives in an array of atomic pointers (fd < 65536; higher
 * fds pass through). State objects are never freed, only recycled, so a
 * reader may always touch the refcount of an object it loaded: it takes a
 * reference only if the count is not zero and the slot still holds it.
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
#include <sys/syscall.h>
#include <unistd.h>

#include "famfs/err.h"
#include "famfs/map.h"
#include "preload.h"

#define FD_MAX			65536

struct real_fns real;

static _Atomic(struct fdstate *) fdtab[FD_MAX];
/*
 * 1 when the shim has seen @fd's open (or probed it) and fdtab says all
 * it knows: a NULL slot then means "not famfs". 0: an fd the shim never
 * saw open (inherited, from a raw syscall): its first read, write or mmap
 * probes it once (see adopt()).
 */
static atomic_uchar fdseen[FD_MAX];
/*
 * The state whose map owns the descriptor, for the descriptors the shim
 * keeps itself: each mapped file's own duplicate (libfamfs makes it high),
 * which holds the file open (and so, on a file system with deletes, its
 * memory from reuse) for as long as any mapping of it lives. A close,
 * close_range or closefrom of the program skips them; a dup2 or dup3 onto
 * one moves it first (move_private).
 */
static _Atomic(struct fdstate *) fdpriv[FD_MAX];
/*
 * Recycled states: pushed without a lock (from any context, signal
 * handlers included), popped under free_lock, so a pop never sees the
 * head it read popped and pushed back meanwhile (no ABA).
 */
static pthread_mutex_t free_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic(struct fdstate *) free_list;
/*
 * States dropped inside the shim's locked code (in_lib), whose maps still
 * use their mounts (see preload_state_put): pushed without a lock, taken
 * all at once by preload_lib_leave, which releases them and only then puts
 * them on the free list. Never touched under free_lock.
 */
static _Atomic(struct fdstate *) unreleased;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int disabled;
static int debug;

__thread int preload_in_lib __attribute__((tls_model("initial-exec")));
#define in_lib preload_in_lib

/*
 * fork(2) while another thread holds one of the shim's global locks would
 * leave it locked forever in the child: take them all around fork.
 */
static void fork_prepare(void)
{
	pthread_mutex_lock(&free_lock);
	preload_spans_lock();
	preload_maps_lock();
}

static void fork_release(void)
{
	preload_maps_unlock();
	preload_spans_unlock();
	pthread_mutex_unlock(&free_lock);
}

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
	RESOLVE(close_range);
	RESOLVE(fcntl);
	RESOLVE(fcntl64);
	RESOLVE(closefrom);
	RESOLVE(fsync);
	RESOLVE(fdatasync);
	RESOLVE(sync_file_range);
	RESOLVE(msync);
	RESOLVE(read);
	RESOLVE(pread);
	RESOLVE(pread64);
	RESOLVE(write);
	RESOLVE(pwrite);
	RESOLVE(pwrite64);
	RESOLVE(mmap);
	RESOLVE(mmap64);
	RESOLVE(munmap);
	RESOLVE(mremap);
	RESOLVE(dup);
	RESOLVE(dup2);
	RESOLVE(dup3);
	RESOLVE(fclose);
	RESOLVE(fopen);
	RESOLVE(fopen64);
	RESOLVE(freopen);
	RESOLVE(freopen64);
#undef RESOLVE
	pthread_atfork(fork_prepare, fork_release, fork_release);
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

/* A state with one reference; the caller has preload_in_lib set. */
static struct fdstate *state_alloc(void)
{
	struct fdstate *s;

	pthread_mutex_lock(&free_lock);
	s = atomic_load(&free_list);
	while (s && !atomic_compare_exchange_weak(&free_list, &s, s->next_free))
		;
	pthread_mutex_unlock(&free_lock);
	if (s) {
		famfs_map_close(s->map);	/* unmapped already: frees the struct */
		s->map = NULL;
	} else {
		s = calloc(1, sizeof(*s));
		if (!s)
			return NULL;
	}
	s->next_free = NULL;
	atomic_store(&s->ref, 1);
	return s;
}

void preload_state_hold(struct fdstate *s)
{
	atomic_fetch_add(&s->ref, 1);
}

/* Push @s (its next_free free) on the lock-free stack @list. */
static void state_push(_Atomic(struct fdstate *) *list, struct fdstate *s)
{
	struct fdstate *head = atomic_load(list);

	do
		s->next_free = head;
	while (!atomic_compare_exchange_weak(list, &head, s));
}

/*
 * Let go of the mounts of the states dropped in_lib (unreleased), then
 * recycle them. Only outside the shim's locked code: famfs_map_release_mount
 * takes libfamfs's mount table lock, and this thread then holds none of the
 * shim's or libfamfs's locks, which are only taken in_lib. The release runs
 * in_lib itself, so a signal handler interrupting it that drops a state
 * only pushes it on the list (taking the lock would deadlock), and the
 * loop comes back for it. free_lock is never held meanwhile: fork's
 * handlers take libfamfs's lock before it. No list walk races state_alloc:
 * the states taken are on no list until released.
 */
static void release_unreleased(void)
{
	struct fdstate *s, *next;

	while (!in_lib && atomic_load_explicit(&unreleased, memory_order_relaxed)) {
		in_lib++;
		for (s = atomic_exchange(&unreleased, NULL); s; s = next) {
			next = s->next_free;
			famfs_map_release_mount(s->map);
			state_push(&free_list, s);
		}
		in_lib--;
	}
}

void preload_lib_leave(void)
{
	in_lib--;
	release_unreleased();
}

/*
 * Drop a reference. The last one unmaps the file now and closes the
 * descriptor the map kept (munmap and close are async-signal-safe): from
 * then on famfsd may see RELEASE, and a deleted file's memory may be
 * reused. Then it lets go of the mount (the last map of a mount unmaps the
 * device's superblock and log: no mapping of the device outlives the last
 * close) and pushes the state on the free list, both in_lib and without
 * the shim's locks. Inside the shim's locked code (already in_lib) the
 * state goes on the unreleased list instead, for the preload_lib_leave
 * that ends that code. The map struct is freed when the state is reused
 * (state_alloc). Non-last drops touch nothing but the count.
 */
void preload_state_put(struct fdstate *s)
{
	struct famfs_map *m;

	if (atomic_fetch_sub(&s->ref, 1) != 1)
		return;
	m = s->map;
	if (m)
		famfs_map_unmap(m);	/* a mapping shared with other opens stays */
	if (m && m->own_fd && m->fd >= 0) {
		if (m->fd < FD_MAX)
			atomic_store(&fdpriv[m->fd], NULL);
		syscall(SYS_close, m->fd);
		m->fd = -1;
	}
	if (m && in_lib) {
		state_push(&unreleased, s);
		return;
	}
	in_lib++;
	famfs_map_release_mount(m);
	state_push(&free_list, s);
	preload_lib_leave();	/* what a handler dropped meanwhile */
}

/* A counted reference to @fd's famfs state, or NULL (not a famfs fd). */
static struct fdstate *state_get(int fd)
{
	struct fdstate *s;
	long r;

	if (fd < 0 || fd >= FD_MAX)
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
		preload_state_put(s);
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
			preload_state_put(s);
		return;
	}
	old = atomic_exchange_explicit(&fdtab[fd], s, memory_order_acq_rel);
	if (old)
		preload_state_put(old);
}

/* Where a file is, as statx sees it without asking the FUSE server. */
static int fd_ident(int fd, struct statx *stx)
{
	return statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_TYPE | STATX_INO, stx);
}

/*
 * Whether @fd still refers to the file @s was made for. One statx with
 * AT_STATX_DONT_SYNC: FUSE answers it from the inode, with no GETATTR.
 * Preserves errno.
 */
static bool state_valid(const struct fdstate *s, int fd)
{
	struct statx stx;
	int saved = errno;
	bool ok;

	ok = fd_ident(fd, &stx) == 0 && stx.stx_ino == s->ino &&
	     stx.stx_dev_major == s->dev_major && stx.stx_dev_minor == s->dev_minor;
	errno = saved;
	return ok;
}

/* Drop @fd's slot if it still holds @s (a stale state). */
static void state_drop(int fd, struct fdstate *s)
{
	struct fdstate *want = s;

	if (atomic_compare_exchange_strong(&fdtab[fd], &want, NULL))
		preload_state_put(s);
}

static struct fdstate *adopt(int fd);

struct fdstate *preload_state_use(int fd)
{
	struct fdstate *s;

	if (in_lib)
		return NULL;
	s = state_get(fd);
	if (s) {
		if (state_valid(s, fd))
			return s;
		preload_dbg("fd %d: no longer the file the shim mapped (closed behind its "
			    "back): dropping its state", fd);
		state_drop(fd, s);
		preload_state_put(s);
		atomic_store_explicit(&fdseen[fd], 0, memory_order_relaxed);
	}
	if (fd < 0 || fd >= FD_MAX || atomic_load_explicit(&fdseen[fd], memory_order_relaxed))
		return NULL;
	return adopt(fd);
}

/*
 * A new state (one reference) for @fd, open with @flags, if it is a
 * regular file on a famfs mount that maps; NULL otherwise. Preserves errno.
 */
static struct fdstate *state_make(int fd, int flags)
{
	struct famfs_map *m;
	struct fdstate *s = NULL;
	struct statx stx;
	int saved = errno, err;

	if (disabled || (flags & O_PATH) || fd < 0 || fd >= FD_MAX)
		goto out;
	/*
	 * No fstatfs here: on FUSE it is a STATFS round trip per open. The
	 * library tells a famfs mount by its mount id (statx), remembering
	 * each mount's verdict, famfs or not.
	 */
	if (fd_ident(fd, &stx) < 0 || !S_ISREG(stx.stx_mode))
		goto out;
	/* FUSE files have an anonymous st_dev (major 0): this one is no famfs file. */
	if (stx.stx_dev_major != 0)
		goto out;
	in_lib++;
	err = famfs_map_open_fd(fd, flags & O_ACCMODE, &m);
	if (err) {
		preload_lib_leave();
		preload_dbg("fd %d: not mapped, passing through: %s (%s)", fd, strerror(-err),
			    famfs_errmsg());
		goto out;
	}
	s = state_alloc();
	if (!s) {
		famfs_map_close(m);
		preload_lib_leave();
		goto out;
	}
	preload_lib_leave();
	s->map = m;
	if (m->fd >= 0 && m->fd < FD_MAX)
		atomic_store(&fdpriv[m->fd], s);
	s->accmode = flags & O_ACCMODE;
	atomic_store(&s->append, (flags & O_APPEND) != 0);
	s->dev_major = stx.stx_dev_major;
	s->dev_minor = stx.stx_dev_minor;
	s->ino = stx.stx_ino;
	preload_dbg("fd %d: mapped %zu bytes at %p (%ld segments, %s)", fd, m->len, m->addr,
		    m->nsegs, m->writable ? "rw" : "ro");
out:
	errno = saved;
	return s;
}

/* @fd is closed or replaced: forget its state; probe its next user. */
static void forget_fd(int fd)
{
	if (fd < 0 || fd >= FD_MAX)
		return;
	state_set(fd, NULL);
	atomic_store_explicit(&fdseen[fd], 0, memory_order_relaxed);
}

/*
 * Inside the shim's locked code (in_lib) a new fd is only forgotten: its
 * first read, write or mmap outside probes it (adopt).
 */
void preload_after_open(int fd, int flags)
{
	if (fd < 0)
		return;
	if (in_lib) {
		forget_fd(fd);
		return;
	}
	state_set(fd, NULL);	/* whatever an fd closed behind our back left */
	state_set(fd, state_make(fd, flags));
	if (fd < FD_MAX)
		atomic_store_explicit(&fdseen[fd], 1, memory_order_relaxed);
}

/*
 * @fd was not opened through the shim (inherited across exec, opened by a
 * raw syscall or inside libc): map it now if it is a famfs file. Called
 * once per such fd; the answer "not famfs" is remembered in fdseen, so a
 * pipe or socket pays one fcntl and one statx, not one per read.
 */
static struct fdstate *adopt(int fd)
{
	struct fdstate *s, *none = NULL;
	int flags, saved = errno;

	preload_init();
	atomic_store_explicit(&fdseen[fd], 1, memory_order_relaxed);
	if (disabled)
		return NULL;
	flags = real.fcntl(fd, F_GETFL);
	errno = saved;
	if (flags < 0)
		return NULL;
	preload_dbg("fd %d: not opened through the shim: probing it", fd);
	s = state_make(fd, flags);
	if (!s)
		return NULL;
	if (!atomic_compare_exchange_strong(&fdtab[fd], &none, s)) {
		preload_state_put(s);	/* another thread adopted it first */
		return state_get(fd);
	}
	preload_dbg("fd %d: adopted", fd);
	return state_get(fd);
}

/* Forget the state of every fd in [@first, @last]: they are being closed. */
static void forget_range(unsigned int first, unsigned int last)
{
	unsigned int fd;

	for (fd = first; fd < FD_MAX && fd <= last; fd++) {
		if (atomic_load_explicit(&fdtab[fd], memory_order_relaxed))
			state_set((int)fd, NULL);
		if (atomic_load_explicit(&fdseen[fd], memory_order_relaxed))
			atomic_store_explicit(&fdseen[fd], 0, memory_order_relaxed);
	}
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

/* Is @fd one the shim keeps for a mapped file (not the program's)? */
static bool fd_private(unsigned int fd)
{
	return fd < FD_MAX && atomic_load(&fdpriv[fd]);
}

/*
 * The program is about to dup2/dup3 onto @fd, which the shim keeps for a
 * mapped file (the program cannot know it is taken): move the shim's
 * duplicate to another number first, so the mapping keeps holding the file
 * and the shim never closes the program's new descriptor later. 1 when it
 * moved it, 0 when @fd is not the shim's, -1 with errno EMFILE when no
 * descriptor is left (the dup2 then fails too).
 */
static int move_private(int fd)
{
	struct fdstate *s;
	long nfd;

	if (fd < 0 || fd >= FD_MAX)
		return 0;
	s = atomic_exchange(&fdpriv[fd], NULL);
	if (!s)
		return 0;
	nfd = syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, fd + 1);
	if (nfd < 0 || nfd >= FD_MAX) {
		if (nfd >= 0)
			syscall(SYS_close, nfd);
		atomic_store(&fdpriv[fd], s);
		errno = EMFILE;
		return -1;
	}
	atomic_store(&fdpriv[nfd], s);
	s->map->fd = (int)nfd;
	preload_dbg("fd %d: the shim's own descriptor moved to %ld (dup2 onto it)", fd, nfd);
	return 1;
}

/*
 * After the program's dup2/dup3 onto @fd, which move_private() moved the
 * shim's descriptor away from (@moved): a call that failed (a bad oldfd,
 * bad flags) did not replace @fd, so the shim's old descriptor is still
 * open there, known to nobody: close it, or it would hold the file (and
 * a deleted file's memory) until the process exits. Returns @rc, errno
 * kept.
 */
static int moved_private_done(int fd, int moved, int rc)
{
	int err = errno;

	if (moved > 0 && rc < 0) {
		syscall(SYS_close, fd);
		errno = err;
	}
	return rc;
}

int close(int fd)
{
	preload_init();
	if (fd >= 0 && fd_private((unsigned int)fd)) {
		errno = EBADF;		/* not the program's descriptor */
		return -1;
	}
	forget_fd(fd);
	return real.close(fd);
}

/* close_range(2) over [first, last], skipping the shim's own descriptors. */
static int close_range_skip(unsigned int first, unsigned int last, int flags)
{
	unsigned int a = first, b;
	int rc = 0;

	while (a <= last) {
		while (a <= last && a < FD_MAX && fd_private(a))
			a++;
		if (a > last)
			break;
		for (b = a; b < last && b + 1 < FD_MAX && !fd_private(b + 1); b++)
			;
		if (b + 1 >= FD_MAX)
			b = last;
		if (real.close_range)
			rc |= real.close_range(a, b, flags);
		else
			rc |= (int)syscall(SYS_close_range, a, b, flags);
		if (b == last)
			break;
		a = b + 1;
	}
	return rc ? -1 : 0;
}

int fclose(FILE *f)
{
	int fd;

	preload_init();
	fd = f ? fileno(f) : -1;
	forget_fd(fd);
	return real.fclose(f);
}

int close_range(unsigned int first, unsigned int last, int flags)
{
	preload_init();
	if (!(flags & CLOSE_RANGE_CLOEXEC))
		forget_range(first, last);
	return close_range_skip(first, last, flags);
}

void closefrom(int lowfd)
{
	preload_init();
	if (lowfd < 0)
		return;
	forget_range((unsigned int)lowfd, ~0u);
	close_range_skip((unsigned int)lowfd, ~0u, 0);
}

/*
 * stdio opens its files inside libc, where the shim does not see them;
 * stdio's own reads and writes go through FUSE. Forget whatever state
 * the fd number had, so that it never applies to the new file.
 */
static FILE *after_fopen(FILE *f)
{
	int fd, saved = errno;

	fd = f ? fileno(f) : -1;
	forget_fd(fd);
	errno = saved;
	return f;
}

FILE *fopen(const char *path, const char *mode)
{
	preload_init();
	return after_fopen(real.fopen(path, mode));
}

FILE *fopen64(const char *path, const char *mode)
{
	preload_init();
	return after_fopen(real.fopen64 ? real.fopen64(path, mode) : real.fopen(path, mode));
}

FILE *freopen(const char *path, const char *mode, FILE *f)
{
	preload_init();
	return after_fopen(real.freopen(path, mode, f));
}

FILE *freopen64(const char *path, const char *mode, FILE *f)
{
	preload_init();
	return after_fopen(real.freopen64 ? real.freopen64(path, mode, f) :
			   real.freopen(path, mode, f));
}

/* @newfd now refers to @oldfd's open file: share its state (or none). */
static void dup_state(int oldfd, int newfd)
{
	struct fdstate *s;

	if (newfd < 0 || newfd >= FD_MAX)
		return;
	if (in_lib) {
		forget_fd(newfd);
		return;
	}
	s = preload_state_use(oldfd);	/* the reference becomes the new slot's */
	state_set(newfd, s);
	atomic_store_explicit(&fdseen[newfd], 1, memory_order_relaxed);
}

/* What fcntl(@fd, @cmd, @arg) that returned @ret changed for the shim. */
static void after_fcntl(int fd, int cmd, void *arg, int ret)
{
	struct fdstate *s;

	if (ret < 0)
		return;
	switch (cmd) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		dup_state(fd, ret);
		break;
	case F_SETFL:
		s = state_get(fd);
		if (s && state_valid(s, fd))
			atomic_store(&s->append, ((int)(long)arg & O_APPEND) != 0);
		if (s)
			preload_state_put(s);
		break;
	}
}

/*
 * fcntl's third argument is an int or a pointer, as @cmd says; like libc,
 * take it as a pointer-sized word and hand it on unchanged.
 */
int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;
	int ret, saved;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	preload_init();
	ret = real.fcntl(fd, cmd, arg);
	saved = errno;
	after_fcntl(fd, cmd, arg, ret);
	errno = saved;
	return ret;
}

int fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;
	int ret, saved;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	preload_init();
	ret = real.fcntl64 ? real.fcntl64(fd, cmd, arg) : real.fcntl(fd, cmd, arg);
	saved = errno;
	after_fcntl(fd, cmd, arg, ret);
	errno = saved;
	return ret;
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
	int fd, moved = 0;

	preload_init();
	if (oldfd != newfd && fd_private((unsigned int)newfd)) {
		moved = move_private(newfd);
		if (moved < 0)
			return -1;
	}
	fd = moved_private_done(newfd, moved, real.dup2(oldfd, newfd));
	if (fd >= 0 && oldfd != newfd)
		dup_state(oldfd, fd);
	return fd;
}

int dup3(int oldfd, int newfd, int flags)
{
	int fd, moved = 0;

	preload_init();
	if (oldfd != newfd && fd_private((unsigned int)newfd)) {
		moved = move_private(newfd);
		if (moved < 0)
			return -1;
	}
	fd = moved_private_done(newfd, moved, real.dup3(oldfd, newfd, flags));
	dup_state(oldfd, fd);
	return fd;
}
