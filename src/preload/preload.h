/* SPDX-License-Identifier: Apache-2.0 */
/*
 * preload.h - internals of libfamfs-preload.so: the libc functions it
 * wraps (found with dlsym(RTLD_NEXT)) and its small helpers.
 */
#ifndef FAMFS_PRELOAD_H
#define FAMFS_PRELOAD_H

#include <stdio.h>
#include <sys/types.h>

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
	ssize_t (*read)(int, void *, size_t);
	ssize_t (*pread)(int, void *, size_t, off_t);
	ssize_t (*pread64)(int, void *, size_t, off_t);
	ssize_t (*write)(int, const void *, size_t);
	ssize_t (*pwrite)(int, const void *, size_t, off_t);
	ssize_t (*pwrite64)(int, const void *, size_t, off_t);
	void *(*mmap)(void *, size_t, int, int, int, off_t);
	void *(*mmap64)(void *, size_t, int, int, int, off_t);
	int (*munmap)(void *, size_t);
	int (*dup)(int);
	int (*dup2)(int, int);
	int (*dup3)(int, int, int);
	int (*fclose)(FILE *);
};

/* glibc's fortify entry points, which its headers do not declare. */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);

/* The real libc functions; valid after preload_init(). */
extern struct real_fns real;

/* Resolve the real functions and read the environment, once. */
void preload_init(void);

/* After a successful open of @fd with @flags: map it if it is famfs. */
void preload_after_open(int fd, int flags);

/* One line on stderr when FAMFS_PRELOAD_DEBUG=1. */
void preload_dbg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
