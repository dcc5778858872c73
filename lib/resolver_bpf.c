// SPDX-License-Identifier: Apache-2.0
/*
 * resolver_bpf.c - loading the BPF resolver with libbpf: find the object
 * (bpf/famfs_iomap.bpf.o), open, verify and load it, pin its maps and
 * programs under bpffs (bpfpins.c names and removes them), close. Built without libbpf (no
 * FAMFS_HAVE_LIBBPF), loading answers -ENOTSUP and the rest still works.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#ifdef FAMFS_HAVE_LIBBPF
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#endif

#include "famfs/err.h"
#include "famfs/resolver.h"

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif

static bool readable(const char *p)
{
	return access(p, R_OK) == 0;
}

int famfs_bpf_find_obj(char *out, size_t outsz)
{
	static const char *const rel[] = { "", "/../bin", "/../lib/famfs" };
	char self[PATH_MAX], dir[PATH_MAX], cand[PATH_MAX + 64];
	const char *env = getenv("FAMFS_BPF_OBJ");
	ssize_t n;
	size_t i;

	if (env && *env) {
		if (!readable(env))
			return famfs_err(-ENOENT, "FAMFS_BPF_OBJ=%s: not readable", env);
		snprintf(out, outsz, "%s", env);
		return 0;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		snprintf(dir, sizeof(dir), "%s", dirname(self));
		for (i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
			snprintf(cand, sizeof(cand), "%s%s/%s", dir, rel[i], FAMFS_BPF_OBJ_NAME);
			if (readable(cand)) {
				snprintf(out, outsz, "%s", cand);
				return 0;
			}
		}
	}
#ifdef FAMFS_BPF_OBJ_DIR
	snprintf(cand, sizeof(cand), "%s/%s", FAMFS_BPF_OBJ_DIR, FAMFS_BPF_OBJ_NAME);
	if (readable(cand)) {
		snprintf(out, outsz, "%s", cand);
		return 0;
	}
#endif
	return famfs_err(-ENOENT, "%s not found (set FAMFS_BPF_OBJ, or install it next to "
			 "the program)", FAMFS_BPF_OBJ_NAME);
}

#ifdef FAMFS_HAVE_LIBBPF
/* mkdir -p for @dir (mode 0700). */
static int mkdirs(const char *dir)
{
	char p[PATH_MAX];
	size_t i;

	snprintf(p, sizeof(p), "%s", dir);
	for (i = 1; p[i]; i++) {
		if (p[i] != '/')
			continue;
		p[i] = '\0';
		if (mkdir(p, 0700) && errno != EEXIST)
			return -errno;
		p[i] = '/';
	}
	if (mkdir(p, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

/* Mount bpffs at /sys/fs/bpf unless a bpffs is there already. */
static int ensure_bpffs(void)
{
	struct statfs sf;

	if (statfs("/sys/fs/bpf", &sf) == 0 && (unsigned long)sf.f_type == BPF_FS_MAGIC)
		return 0;
	if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700"))
		return famfs_err(-errno, "cannot mount bpffs on /sys/fs/bpf: %s",
				 strerror(errno));
	return 0;
}

#endif

void famfs_bpf_close(struct famfs_bpf *b)
{
	if (!b)
		return;
	if (b->prog_fd >= 0 && !b->obj)
		close(b->prog_fd);
	if (b->bench_fd >= 0 && !b->obj)
		close(b->bench_fd);
	if (b->files_fd >= 0 && !b->obj)
		close(b->files_fd);
	if (b->devs_fd >= 0 && !b->obj)
		close(b->devs_fd);
#ifdef FAMFS_HAVE_LIBBPF
	if (b->obj)
		bpf_object__close(b->obj);	/* owns the descriptors */
#endif
	b->prog_fd = b->bench_fd = b->files_fd = b->devs_fd = -1;
	b->obj = NULL;
}

#ifdef FAMFS_HAVE_LIBBPF

/*
 * libbpf's warnings are never printed; the verifier's complaint (the line
 * before "processed N insns" in the load log) is kept for the error detail.
 */
static __thread char last_warn[256] __attribute__((tls_model("initial-exec")));

static int quiet_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char *buf, *end, *p, *q;
	int n;

	if (level != LIBBPF_WARN || last_warn[0])
		return 0;
	n = vasprintf(&buf, fmt, ap);
	if (n < 0)
		return 0;
	end = strstr(buf, "\nprocessed ");
	if (end) {
		*end = '\0';
		p = strrchr(buf, '\n');
		p = p ? p + 1 : buf;
		for (q = p; *q && *q != '\n'; q++)
			;
		*q = '\0';
		snprintf(last_warn, sizeof(last_warn), "verifier: %s", p);
	}
	free(buf);
	return 0;
}

int famfs_bpf_load(const char *path, struct famfs_bpf *b)
{
	char found[PATH_MAX];
	struct bpf_object *obj;
	struct bpf_program *p;
	struct bpf_map *m;
	int rc;

	b->prog_fd = b->bench_fd = b->files_fd = b->devs_fd = -1;
	b->obj = NULL;
	if (!path) {
		rc = famfs_bpf_find_obj(found, sizeof(found));
		if (rc)
			return rc;
		path = found;
	}
	libbpf_set_print(quiet_print);
	last_warn[0] = '\0';
	obj = bpf_object__open_file(path, NULL);
	if (!obj) {
		rc = -errno;
		return famfs_err(rc ? rc : -EINVAL, "%s: cannot open BPF object: %s", path,
				 strerror(rc ? -rc : EINVAL));
	}
	rc = bpf_object__load(obj);
	if (rc) {
		bpf_object__close(obj);
		return famfs_err(rc, "%s: load failed: %s%s%s", path, strerror(-rc),
				 last_warn[0] ? ": " : "", last_warn);
	}
	p = bpf_object__find_program_by_name(obj, "famfs_iomap_begin");
	b->prog_fd = p ? bpf_program__fd(p) : -1;
	p = bpf_object__find_program_by_name(obj, "famfs_iomap_bench");
	b->bench_fd = p ? bpf_program__fd(p) : -1;
	m = bpf_object__find_map_by_name(obj, "famfs_files");
	b->files_fd = m ? bpf_map__fd(m) : -1;
	m = bpf_object__find_map_by_name(obj, "famfs_devs");
	b->devs_fd = m ? bpf_map__fd(m) : -1;
	b->obj = obj;
	if (b->prog_fd < 0 || b->bench_fd < 0 || b->files_fd < 0 || b->devs_fd < 0) {
		famfs_bpf_close(b);
		return famfs_err(-ENOENT, "%s: missing a famfs program or map", path);
	}
	return 0;
}

static int pin_one(int fd, const char *dir, const char *name)
{
	char p[PATH_MAX + 32];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	unlink(p);
	if (bpf_obj_pin(fd, p))
		return famfs_err(-errno, "cannot pin %s: %s", p, strerror(errno));
	return 0;
}

int famfs_bpf_pin(const struct famfs_bpf *b, const char *dir)
{
	int rc = ensure_bpffs();

	if (rc)
		return rc;
	rc = mkdirs(dir);
	if (rc)
		return famfs_err(rc, "cannot create %s: %s", dir, strerror(-rc));
	rc = pin_one(b->prog_fd, dir, FAMFS_BPF_PIN_PROG);
	if (!rc)
		rc = pin_one(b->bench_fd, dir, FAMFS_BPF_PIN_BENCH);
	if (!rc)
		rc = pin_one(b->files_fd, dir, FAMFS_BPF_PIN_FILES);
	if (!rc)
		rc = pin_one(b->devs_fd, dir, FAMFS_BPF_PIN_DEVS);
	if (rc)
		famfs_bpf_unpin(dir);
	return rc;
}

#else /* !FAMFS_HAVE_LIBBPF */

int famfs_bpf_load(const char *path, struct famfs_bpf *b)
{
	b->prog_fd = b->bench_fd = b->files_fd = b->devs_fd = -1;
	b->obj = NULL;
	return famfs_err(-ENOTSUP, "libfamfs was built without libbpf (FAMFS_HAVE_LIBBPF)");
}

int famfs_bpf_pin(const struct famfs_bpf *b, const char *dir)
{
	return famfs_err(-ENOTSUP, "libfamfs was built without libbpf (FAMFS_HAVE_LIBBPF)");
}

#endif
