/* SPDX-License-Identifier: Apache-2.0 */
/*
 * preload.h - internals of libfamfs-preload.so: the libc functions it
 * wraps (found with dlsym(RTLD_NEXT)), the per-fd state shared by
 * preload.c (open, close, dup), rw.c (read, write), mmap.c (mmap, munmap)
 * and sync.c (fsync, msync and the other write backs), and small helpers.
 */
#ifndef FAMFS_PRELOAD_H
#define FAMFS_PRELOAD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

struct famfs_map;

struct real_fns {
	int (*open)(const char *, int, ...);
	int (*open64)(const char *, int, ...);
	int (*openat)(int, const char *, int, ...);
	int (*openat64)(int, const char *, int, ...);
	int (*__open_2)(const char *, int);
	int (*__open64_2)(const char *, int);
	int (*__openat_2)(int, const char *, int);
	int (*__openat64_2)(int, const char *, int);
	int (*close)(int);
	int (*fcntl)(int, int, ...);
	int (*fcntl64)(int, int, ...);
	int (*close_range)(unsigned int, unsigned int, int);
	void (*closefrom)(int);
	int (*fsync)(int);
	int (*fdatasync)(int);
	int (*sync_file_range)(int, off64_t, off64_t, unsigned int);
	int (*msync)(void *, size_t, int);
	ssize_t (*read)(int, void *, size_t);
	ssize_t (*pread)(int, void *, size_t, off_t);
	ssize_t (*pread64)(int, void *, size_t, off_t);
	ssize_t (*write)(int, const void *, size_t);
	ssize_t (*pwrite)(int, const void *, size_t, off_t);
	ssize_t (*pwrite64)(int, const void *, size_t, off_t);
	void *(*mmap)(void *, size_t, int, int, int, off_t);
	void *(*mmap64)(void *, size_t, int, int, int, off_t);
	int (*munmap)(void *, size_t);
	void *(*mremap)(void *, size_t, size_t, int, ...);
	int (*dup)(int);
	int (*dup2)(int, int);
	int (*dup3)(int, int, int);
	int (*fclose)(FILE *);
	FILE *(*fopen)(const char *, const char *);
	FILE *(*fopen64)(const char *, const char *);
	FILE *(*freopen)(const char *, const char *, FILE *);
	FILE *(*freopen64)(const char *, const char *, FILE *);
};

/* glibc's fortify entry points, which its headers do not declare. */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);

/*
 * What the shim knows about one famfs file descriptor. Shared by dup'ed
 * descriptors (one open file description) and by the shim's records of
 * mmaps of the file (sync.c); recycled, never freed. dev_major/dev_minor/
 * ino identify the file it was made for: before each use the fd is checked
 * to still be that file (see preload_state_use). When the last reference
 * goes, the mapping is unmapped at once and @map itself is freed when the
 * state is reused: dropping a reference never locks or frees, so it is
 * async-signal-safe.
 */
struct fdstate {
	atomic_long ref;		/* 0: free (on the free list) */
	struct famfs_map *map;
	int accmode;			/* O_RDONLY, O_WRONLY or O_RDWR */
	atomic_bool append;		/* O_APPEND */
	uint32_t dev_major, dev_minor;
	uint64_t ino;
	struct fdstate *next_free;
};

/* The real libc functions; valid after preload_init(). */
extern struct real_fns real;

/*
 * Set while this thread runs shim code that takes a lock or allocates:
 * mapping a file (libfamfs), making or recycling a state, the mmap
 * records. A call that comes back into the shim meanwhile (libfamfs's own
 * libc calls, or a signal handler that interrupted that code) goes
 * straight to libc, through FUSE, and so can never wait on a lock its own
 * thread holds. Read, write, pread, pwrite, fsync and close allocate
 * nothing. Read and write take no lock; the last close of a file takes
 * one lock, libfamfs's mount table (to let go of the mount's log mapping),
 * and only outside that code and with preload_in_lib set itself, so
 * handlers may use them at any other time: the lock can then be held only
 * by another thread, never by the one the handler interrupted, and a
 * handler interrupting that close defers its own release to it.
 */
extern __thread int preload_in_lib __attribute__((tls_model("initial-exec")));

/* Resolve the real functions and read the environment, once. */
void preload_init(void);

/* After a successful open of @fd with @flags: map it if it is famfs. */
void preload_after_open(int fd, int flags);

/*
 * A counted reference to @fd's famfs state, for one read, write or mmap,
 * or NULL (pass the call through). The state is checked first to still
 * describe the file @fd refers to now; a stale one is dropped. Release
 * with preload_state_put().
 */
struct fdstate *preload_state_use(int fd);
void preload_state_put(struct fdstate *s);
/*
 * The end of the shim's locked code (preload_in_lib--): when that was the
 * outermost, let go of the mounts of the states dropped inside it, which
 * could not then (see preload_state_put). Every in_lib section ends here.
 */
void preload_lib_leave(void);

/* Another reference to @s, which the caller holds a reference to. */
void preload_state_hold(struct fdstate *s);

/* fork(2) handlers for mmap.c's and sync.c's locks (see fork_prepare in preload.c). */
void preload_spans_lock(void);
void preload_spans_unlock(void);
void preload_maps_lock(void);
void preload_maps_unlock(void);

/*
 * sync.c's records of the shim's direct mmaps, for msync: [@addr, @addr +
 * @len) maps file bytes from @off of @s's file (a new reference to @s is
 * kept). _forget drops whatever part of a range is unmapped or replaced;
 * _moved follows a successful mremap (@keep_old: the old range stays
 * mapped). Call them with preload_in_lib set.
 */
void preload_maps_add(void *addr, size_t len, struct fdstate *s, uint64_t off);
void preload_maps_forget(void *addr, size_t len);
void preload_maps_moved(void *old, size_t old_len, void *p, size_t new_len, bool keep_old);

/* One line on stderr when FAMFS_PRELOAD_DEBUG=1. */
void preload_dbg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
