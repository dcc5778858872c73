// SPDX-License-Identifier: Apache-2.0
/*
 * load.c - libfamfs-bpf, the optional part of libfamfs that loads the BPF
 * resolver with libbpf: find the object (famfs_iomap.bpf.o), open, verify
 * and load it, and pin its maps and programs under bpffs. Only famfsd -o
 * bpf (and the tests and benchmarks of the resolver) link it; libfamfs
 * itself, libfamfs.so and the preload shim do not, so no preloaded process
 * maps libbpf, libelf and zlib. Everything a client does with the pinned
 * maps (open them, look a file up, run the program) is raw bpf(2) in the
 * core library (lib/resolver.c), and naming and removing the pins is plain
 * file work (lib/bpfpins.c).
 *
 * A loaded resolver is handed back as plain descriptors, dup'd from the
 * libbpf object, which is then closed: it is the same kind of handle as
 * one opened from pins, and famfs_bpf_close() closes either.
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

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "famfs/err.h"
#include "famfs/resolver.h"

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif

static bool readable(const char *p)
{
	return access(p, R_OK) == 0;
}

/*
 * Where to look, relative to the directory of the running program: the
 * build tree (the object is built into bin/, unit tests run from tests/),
 * then the installed layout, from the directory famfsd is installed in to
 * $libdir/famfs (CMake computes it, "../lib/x86_64-linux-gnu/famfs" for
 * Debian's /usr/sbin), so that a tree installed under DESTDIR or
 * dpkg --root finds its own object.
 */
static const char *const rel[] = {
	"",
	"/../bin",
#ifdef FAMFS_BPF_OBJ_RELDIR
	"/" FAMFS_BPF_OBJ_RELDIR,
#endif
};

int famfs_bpf_find_obj(char *out, size_t outsz)
{
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

/* A descriptor of our own for the program @name of @obj, or -1. */
static int prog_dup(struct bpf_object *obj, const char *name)
{
	struct bpf_program *p = bpf_object__find_program_by_name(obj, name);
	int fd = p ? bpf_program__fd(p) : -1;

	return fd < 0 ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, 0);
}

/* A descriptor of our own for the map @name of @obj, or -1. */
static int map_dup(struct bpf_object *obj, const char *name)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, name);
	int fd = m ? bpf_map__fd(m) : -1;

	return fd < 0 ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, 0);
}

int famfs_bpf_load(const char *path, struct famfs_bpf *b)
{
	char found[PATH_MAX];
	struct bpf_object *obj;
	int rc;

	b->prog_fd = b->bench_fd = b->files_fd = b->devs_fd = -1;
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
	/* Our descriptors keep the programs and maps loaded; the object goes. */
	b->prog_fd = prog_dup(obj, "famfs_iomap_begin");
	b->bench_fd = prog_dup(obj, "famfs_iomap_bench");
	b->files_fd = map_dup(obj, "famfs_files");
	b->devs_fd = map_dup(obj, "famfs_devs");
	bpf_object__close(obj);
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
