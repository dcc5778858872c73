// SPDX-License-Identifier: Apache-2.0
/*
 * audit.c - the flush audit (see famfs/audit.h): a shadow copy of each
 * device that only cache write backs update, the table of which addresses
 * map which device bytes, and the checks at publication and read points.
 * Compiled only in the audit build (FAMFS_FLUSH_AUDIT).
 *
 * It runs inside famfsd, the CLI, test programs and the preload shim, so
 * it makes its system calls raw (the shim wraps libc's open and mmap) and
 * keeps no per-call allocation outside its lock.
 */
#ifdef FAMFS_FLUSH_AUDIT

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "famfs/audit.h"

#define LINE		64
#define MAX_SHADOWS	16

struct shadow {
	char name[64];
	uint8_t *base;
	uint64_t len;
};

/* [start, end) of this process maps the bytes at shadow[0..] of a device. */
struct rec {
	uintptr_t start, end;
	uint8_t *shadow;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct shadow shadows[MAX_SHADOWS];
static unsigned int nshadows;
static struct rec *recs;
static size_t nrecs, caprecs;

/* The range this thread invalidated last, for famfs_audit_read. */
static __thread uintptr_t inv_start __attribute__((tls_model("initial-exec")));
static __thread uintptr_t inv_end __attribute__((tls_model("initial-exec")));

static int raw_open(const char *path, int flags)
{
	long r = syscall(SYS_openat, AT_FDCWD, path, flags | O_CLOEXEC, 0600);

	return r < 0 ? -1 : (int)r;
}

/* Append @line to DIR/@file (one write(2) with O_APPEND: lines do not mix). */
static void append_line(const char *file, const char *line)
{
	const char *dir = getenv("FAMFS_FLUSH_AUDIT");
	char path[4096];
	int fd;

	if (!dir)
		return;
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = raw_open(path, O_WRONLY | O_CREAT | O_APPEND);
	if (fd < 0)
		return;
	if (syscall(SYS_write, fd, line, strlen(line)) < 0)
		(void)0;
	syscall(SYS_close, fd);
}

static const char *comm(void)
{
	static char name[32];
	char buf[32];
	ssize_t n;
	int fd;

	if (name[0])
		return name;
	fd = raw_open("/proc/self/comm", O_RDONLY);
	n = fd < 0 ? -1 : syscall(SYS_read, fd, buf, sizeof(buf) - 1);
	if (fd >= 0)
		syscall(SYS_close, fd);
	if (n <= 0)
		n = snprintf(buf, sizeof(buf), "?");
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	memcpy(name, buf, sizeof(name));
	return name;
}

/* The shadow of the device open as @fd, mapped on first use; NULL: not audited. */
static struct shadow *shadow_of(int fd)
{
	const char *dir = getenv("FAMFS_FLUSH_AUDIT");
	char name[64], path[4096], line[256];
	struct shadow *sh;
	struct stat st;
	unsigned int i;
	void *p;
	int sfd;

	if (!dir || !*dir || fstat(fd, &st) < 0)
		return NULL;
	if (S_ISCHR(st.st_mode))
		snprintf(name, sizeof(name), "rdev-%u:%u", major(st.st_rdev), minor(st.st_rdev));
	else
		snprintf(name, sizeof(name), "dev-%llu-ino-%llu", (unsigned long long)st.st_dev,
			 (unsigned long long)st.st_ino);
	for (i = 0; i < nshadows; i++)
		if (!strcmp(shadows[i].name, name))
			return &shadows[i];
	if (nshadows == MAX_SHADOWS)
		return NULL;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	sfd = raw_open(path, O_RDWR);
	if (sfd < 0)
		return NULL;
	if (fstat(sfd, &st) < 0 || st.st_size <= 0) {
		syscall(SYS_close, sfd);
		return NULL;
	}
	p = (void *)syscall(SYS_mmap, NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE,
			    MAP_SHARED, sfd, 0);
	syscall(SYS_close, sfd);
	if (p == MAP_FAILED)
		return NULL;
	sh = &shadows[nshadows++];
	snprintf(sh->name, sizeof(sh->name), "%s", name);
	sh->base = p;
	sh->len = (uint64_t)st.st_size;
	snprintf(line, sizeof(line), "%s %d %s\n", comm(), getpid(), name);
	append_line("active", line);
	return sh;
}

/* Forget [s, e): records that overlap it keep only what lies outside. */
static void carve(uintptr_t s, uintptr_t e)
{
	size_t i = 0;
	struct rec r;

	while (i < nrecs) {
		r = recs[i];
		if (r.end <= s || r.start >= e) {
			i++;
			continue;
		}
		if (r.start < s && r.end > e && nrecs < caprecs) {
			/* the hole is in the middle: keep both sides */
			recs[nrecs++] = (struct rec){ e, r.end, r.shadow + (e - r.start) };
			recs[i].end = s;
			i++;
		} else if (r.start < s) {
			recs[i++].end = s;
		} else if (r.end > e) {
			recs[i].shadow += e - r.start;
			recs[i++].start = e;
		} else {
			recs[i] = recs[--nrecs];
		}
	}
}

/* Room for @more records (a split adds one); best effort. */
static void grow(size_t more)
{
	struct rec *n;

	if (nrecs + more <= caprecs)
		return;
	n = realloc(recs, (caprecs * 2 + 16) * sizeof(*recs));
	if (n) {
		recs = n;
		caprecs = caprecs * 2 + 16;
	}
}

void famfs_audit_map(const void *addr, size_t len, int fd, uint64_t dev_off)
{
	uintptr_t s = (uintptr_t)addr;
	struct shadow *sh;

	if (!addr || !len)
		return;
	pthread_mutex_lock(&lock);
	grow(2);
	carve(s, s + len);
	sh = shadow_of(fd);
	if (sh && dev_off < sh->len && nrecs < caprecs) {
		if (len > sh->len - dev_off)
			len = sh->len - dev_off;
		recs[nrecs++] = (struct rec){ s, s + len, sh->base + dev_off };
	}
	pthread_mutex_unlock(&lock);
}

void famfs_audit_unmap(const void *addr, size_t len)
{
	uintptr_t s = (uintptr_t)addr;

	if (!len)
		return;
	pthread_mutex_lock(&lock);
	grow(1);
	carve(s, s + len < s ? UINTPTR_MAX : s + len);
	pthread_mutex_unlock(&lock);
}

/* Copy the whole lines around [p, p + len) into their shadows. */
static void write_back(const void *p, size_t len)
{
	uintptr_t s = (uintptr_t)p & ~(uintptr_t)(LINE - 1);
	uintptr_t e = ((uintptr_t)p + len + LINE - 1) & ~(uintptr_t)(LINE - 1);
	uintptr_t a, b;
	size_t i;

	pthread_mutex_lock(&lock);
	for (i = 0; i < nrecs; i++) {
		a = recs[i].start > s ? recs[i].start : s;
		b = recs[i].end < e ? recs[i].end : e;
		if (a < b)
			memcpy(recs[i].shadow + (a - recs[i].start), (const void *)a, b - a);
	}
	pthread_mutex_unlock(&lock);
}

void famfs_audit_flushed(const void *p, size_t len)
{
	if (len)
		write_back(p, len);
}

void famfs_audit_invalidated(const void *p, size_t len)
{
	if (!len)
		return;
	write_back(p, len);
	inv_start = (uintptr_t)p;
	inv_end = (uintptr_t)p + len;
}

/* The first byte of [p, p + len) whose shadow differs; -1: none; -2: not audited. */
static long long first_dirty(const void *p, size_t len)
{
	uintptr_t s = (uintptr_t)p, e = s + len, a, b, x;
	long long found = -2;
	const uint8_t *sh;
	size_t i;

	pthread_mutex_lock(&lock);
	for (i = 0; i < nrecs; i++) {
		a = recs[i].start > s ? recs[i].start : s;
		b = recs[i].end < e ? recs[i].end : e;
		if (a >= b)
			continue;
		if (found == -2)
			found = -1;
		sh = recs[i].shadow + (a - recs[i].start);
		if (!memcmp(sh, (const void *)a, b - a))
			continue;
		for (x = a; x < b && *(const uint8_t *)x == sh[x - a]; x++)
			;
		if (found < 0 || (long long)(x - s) < found)
			found = (long long)(x - s);
	}
	pthread_mutex_unlock(&lock);
	return found;
}

static void audit_fail(const char *what, const char *detail)
{
	char line[512];

	snprintf(line, sizeof(line), "famfs flush audit: %s (pid %d, %s): %s\n", what, getpid(),
		 comm(), detail);
	append_line("failures", line);
	if (syscall(SYS_write, 2, line, strlen(line)) < 0)
		(void)0;
	abort();
}

void famfs_audit_published(const void *p, size_t len, const char *what)
{
	char detail[256];
	long long at;

	if (!len)
		return;
	at = first_dirty(p, len);
	if (at < 0)
		return;
	snprintf(detail, sizeof(detail), "byte %lld of the %zu at %p was stored but never "
		 "written back from the CPU cache", at, len, p);
	audit_fail(what, detail);
}

void famfs_audit_read(const void *p, size_t len, const char *what)
{
	uintptr_t s = (uintptr_t)p;
	char detail[256];

	if (!len || !famfs_audit_tracked(p))
		return;
	if (s < inv_start || s + len > inv_end) {
		snprintf(detail, sizeof(detail), "%zu bytes at %p read without invalidating "
			 "their cache lines first", len, p);
		audit_fail(what, detail);
	}
	inv_start = inv_end = 0;
}

bool famfs_audit_dirty(const void *p, size_t len, size_t *at)
{
	long long x = first_dirty(p, len);

	if (x < 0)
		return false;
	if (at)
		*at = (size_t)x;
	return true;
}

bool famfs_audit_tracked(const void *p)
{
	uintptr_t a = (uintptr_t)p;
	bool found = false;
	size_t i;

	pthread_mutex_lock(&lock);
	for (i = 0; i < nrecs && !found; i++)
		found = a >= recs[i].start && a < recs[i].end;
	pthread_mutex_unlock(&lock);
	return found;
}

#endif /* FAMFS_FLUSH_AUDIT */
