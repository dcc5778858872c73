// SPDX-License-Identifier: Apache-2.0
/*
 * famfs_shimpriv.c - test tool: a root process under the preload shim
 * maps a famfs file, then drops privileges to a real unprivileged user.
 * Afterwards it must hold no descriptor of the memory device (through
 * which it could read every file's memory), while its open file keeps
 * working through the mapping it already has.
 *
 *   famfs_shimpriv FILE DEVICE UID
 *
 * Steps, as root: open FILE read-write and read it (the shim maps it,
 * which needs the device), open and close it once more, and mmap it. Then
 * setgroups(0), setgid(UID), setuid(UID), and:
 *   - no entry of /proc/self/fd may be DEVICE (by path or by dev/inode);
 *   - opening DEVICE must fail (proves the user really cannot);
 *   - pread of the open FILE still gives the bytes read as root, and the
 *     earlier mmap still shows them;
 *   - FILE opened again as the user reads the same bytes (through FUSE);
 *   - on a famfsd -o bpf mount, the BPF maps the shim keeps open (the
 *     mount's file and device maps) cannot be written through those
 *     descriptors: every other process under the shim on the host maps
 *     files by what they say.
 * Prints "ok: ..." per check, or "FAIL: ..."; exits 1 on any failure.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/bpf.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define LEN	4096

static int failed;

static void result(int ok, const char *what)
{
	printf("%s: %s\n", ok ? "ok" : "FAIL", what);
	failed |= !ok;
}

/* Whether /proc/self/fd has an fd for @dev (path or same file); prints it. */
static int has_device_fd(const char *dev, const struct stat *dst)
{
	char link[PATH_MAX], target[PATH_MAX];
	struct dirent *e;
	struct stat st;
	int found = 0;
	ssize_t n;
	DIR *d;

	d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || atoi(e->d_name) == dirfd(d))
			continue;
		snprintf(link, sizeof(link), "/proc/self/fd/%s", e->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		target[n < 0 ? 0 : n] = '\0';
		if (!strcmp(target, dev) ||
		    (fstat(atoi(e->d_name), &st) == 0 && st.st_dev == dst->st_dev &&
		     st.st_ino == dst->st_ino)) {
			printf("  fd %s is the device (%s)\n", e->d_name, target);
			found = 1;
		}
	}
	closedir(d);
	return found;
}

/* The number after "@name:" in /proc/self/fdinfo/@fd, or 0. */
static unsigned long fdinfo_num(int fd, const char *name)
{
	char path[64], line[256];
	unsigned long v = 0;
	size_t l = strlen(name);
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, l) && line[l] == ':')
			v = strtoul(line + l + 1, NULL, 10);
	fclose(f);
	return v;
}

static long map_op(int cmd, int fd, const void *key, void *val, void *next, uint64_t flags)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_fd = (uint32_t)fd;
	a.key = (uint64_t)(uintptr_t)key;
	if (next)
		a.next_key = (uint64_t)(uintptr_t)next;
	else
		a.value = (uint64_t)(uintptr_t)val;
	a.flags = flags;
	return syscall(SYS_bpf, cmd, &a, sizeof(a));
}

/*
 * For each BPF map this process holds: write its first entry back as it
 * is. Returns how many maps took the write (0 is what the caller wants),
 * or -1 when no map with an entry was found; *@maps counts those tried.
 */
static int writable_bpf_maps(int *maps)
{
	char link[PATH_MAX], target[PATH_MAX];
	unsigned long ks, vs;
	struct dirent *e;
	int fd, n = 0;
	ssize_t len;
	void *key, *val;
	DIR *d;

	*maps = 0;
	d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || atoi(e->d_name) == dirfd(d))
			continue;
		fd = atoi(e->d_name);
		snprintf(link, sizeof(link), "/proc/self/fd/%s", e->d_name);
		len = readlink(link, target, sizeof(target) - 1);
		target[len < 0 ? 0 : len] = '\0';
		if (strcmp(target, "anon_inode:bpf-map"))
			continue;
		ks = fdinfo_num(fd, "key_size");
		vs = fdinfo_num(fd, "value_size");
		key = calloc(1, ks ? ks : 1);
		val = calloc(1, vs ? vs : 1);
		if (key && val && ks && vs &&
		    map_op(BPF_MAP_GET_NEXT_KEY, fd, NULL, NULL, key, 0) == 0 &&
		    map_op(BPF_MAP_LOOKUP_ELEM, fd, key, val, NULL, 0) == 0) {
			(*maps)++;
			if (map_op(BPF_MAP_UPDATE_ELEM, fd, key, val, NULL, BPF_EXIST) == 0) {
				printf("  fd %d: a BPF map that takes writes\n", fd);
				n++;
			}
		}
		free(key);
		free(val);
	}
	closedir(d);
	return *maps ? n : -1;
}

int main(int argc, char **argv)
{
	static char before[LEN], after[LEN];
	const char *file, *dev;
	struct stat dst;
	uid_t uid;
	char *m;
	int fd, fd2;

	if (argc != 4) {
		fprintf(stderr, "usage: famfs_shimpriv FILE DEVICE UID\n");
		return 2;
	}
	file = argv[1];
	dev = argv[2];
	uid = (uid_t)atoi(argv[3]);
	if (stat(dev, &dst) < 0 || geteuid() != 0) {
		fprintf(stderr, "famfs_shimpriv: needs root and %s\n", dev);
		return 2;
	}
	fd = open(file, O_RDWR);
	if (fd < 0 || pread(fd, before, LEN, 8192) != LEN) {
		perror(file);
		return 1;
	}
	fd2 = open(file, O_RDONLY);
	if (fd2 >= 0)
		close(fd2);
	m = mmap(NULL, LEN, PROT_READ, MAP_SHARED, fd, 8192);
	result(m != MAP_FAILED, "root maps the file");
	result(has_device_fd(dev, &dst) == 0, "as root: no device fd left after open, "
	       "read and mmap");

	if (setgroups(0, NULL) || setgid(uid) || setuid(uid)) {
		perror("dropping privileges");
		return 1;
	}
	result(getuid() == uid && geteuid() == uid, "privileges dropped");
	result(has_device_fd(dev, &dst) == 0, "as the user: no device fd in /proc/self/fd");
	fd2 = open(dev, O_RDONLY);
	result(fd2 < 0 && errno == EACCES, "as the user: the device cannot be opened");
	if (fd2 >= 0)
		close(fd2);
	result(pread(fd, after, LEN, 8192) == LEN && !memcmp(before, after, LEN),
	       "as the user: the open file still reads the same bytes");
	result(m != MAP_FAILED && !memcmp(m, before, LEN),
	       "as the user: the earlier mmap still shows them");
	memset(after, 0, LEN);
	fd2 = open(file, O_RDONLY);
	result(fd2 >= 0 && pread(fd2, after, LEN, 8192) == LEN && !memcmp(before, after, LEN),
	       "as the user: a new open of the file reads them too");
	result(has_device_fd(dev, &dst) == 0, "as the user: still no device fd");
	if (getenv("FAMFS_SHIMPRIV_BPF")) {
		int maps, w = writable_bpf_maps(&maps);

		result(w == 0, "as the user: the shim's BPF maps of the mount take no write");
		printf("  (%d BPF maps with entries tried)\n", maps);
	}
	return failed;
}
