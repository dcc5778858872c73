// SPDX-License-Identifier: Apache-2.0
/*
 * vmnative.c - the in-guest helper of make check-vm's native scenario (the
 * famfs kernel module): position-dependent test data, and checks of it
 * through read(2) and through a plain mmap(2) of the mount, with no
 * preload shim.
 *
 *   vmnative gen OUT SIZE SEED        write SIZE bytes of the pattern to OUT
 *   vmnative check FILE OFF LEN SEED read|mmap
 *                                     the pattern at [OFF, OFF+LEN) of FILE
 *   vmnative faults FILE SEED         map FILE, read every 4 KiB page and check
 *                                     the pattern; print "pages=N faults=M"
 *                                     (minor faults: a 2 MiB fault maps 512 pages)
 *   vmnative poke FILE OFF SEED       store the pattern word at OFF through a
 *                                     shared mapping (a write fault)
 *   vmnative openerr FILE             print the errno of open(FILE, O_RDONLY), 0 if none
 *   vmnative readafter FILE READY GO  open FILE, create READY, wait (up to 60 s)
 *                                     for GO, then pread 4 KiB from the open fd and
 *                                     print its errno, 0 if none
 *   vmnative hold FILE SEED READY GO [lazy]
 *                                     map FILE, check its first half (lazy: touch
 *                                     nothing), create READY, wait (up to 60 s)
 *                                     for GO to exist, then check all of it
 *                                     (faulting the rest in) and store into it
 *   vmnative nsopen FILE SEED         in a mount namespace of its own where
 *                                     /dev/null is bound over /dev/dax0.0, as
 *                                     nobody: open FILE and check its first
 *                                     4 KiB; print the open's errno, 0 if none
 *   vmnative edges FILE SEED          the edges of a file of at least 2 MiB +
 *                                     16 KiB: reads at and past EOF, writes at
 *                                     and across EOF, a read-only open that
 *                                     cannot write (write(2), shared mmap,
 *                                     mprotect), a private writable mapping
 *                                     whose stores never reach the file, and
 *                                     SIGBUS past EOF in a mapping; prints each
 *                                     failed check
 *
 * The pattern's 8-byte word at offset o is (o / 8) * K ^ SEED: every word
 * names its own offset, so bytes from the wrong place never pass.
 * Exit codes: 0 ok, 1 error or mismatch, 2 usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define K 0x9E3779B97F4A7C15ULL

static uint64_t word(uint64_t off, uint64_t seed)
{
	return (off / 8) * K ^ seed;
}

static uint8_t byte_at(uint64_t off, uint64_t seed)
{
	return (uint8_t)(word(off & ~7ULL, seed) >> (8 * (off & 7)));
}

static uint64_t num(const char *s)
{
	return strtoull(s, NULL, 0);
}

static int die(const char *what, const char *path)
{
	fprintf(stderr, "vmnative: %s %s: %s\n", what, path, strerror(errno));
	return 1;
}

/* Compare @len bytes at @p (file offset @off) with the pattern. */
static int cmp_pat(const volatile uint8_t *p, uint64_t off, uint64_t len, uint64_t seed,
		   const char *what)
{
	uint64_t i;

	for (i = 0; i < len; i++) {
		if (p[i] != byte_at(off + i, seed)) {
			fprintf(stderr, "vmnative: %s: byte at offset %#" PRIx64 " is %#x, "
				"expected %#x\n", what, off + i, p[i], byte_at(off + i, seed));
			return 1;
		}
	}
	return 0;
}

static volatile uint8_t *map(const char *path, int writable, size_t *size)
{
	struct stat st;
	void *p;
	int fd = open(path, writable ? O_RDWR : O_RDONLY);

	if (fd < 0 || fstat(fd, &st)) {
		die("open", path);
		return NULL;
	}
	*size = (size_t)st.st_size;
	p = mmap(NULL, *size, PROT_READ | (writable ? PROT_WRITE : 0), MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		die("mmap", path);
		return NULL;
	}
	return p;
}

static int cmd_gen(const char *out, uint64_t size, uint64_t seed)
{
	static uint8_t buf[1 << 16];
	uint64_t off, i, n;
	FILE *f = fopen(out, "w");

	if (!f)
		return die("create", out);
	for (off = 0; off < size; off += n) {
		n = size - off < sizeof(buf) ? size - off : sizeof(buf);
		for (i = 0; i < n; i++)
			buf[i] = byte_at(off + i, seed);
		if (fwrite(buf, 1, n, f) != n)
			return die("write", out);
	}
	return fclose(f) ? die("close", out) : 0;
}

static int cmd_check(const char *path, uint64_t off, uint64_t len, uint64_t seed,
		     const char *how)
{
	volatile uint8_t *p;
	uint8_t *buf;
	size_t size;
	ssize_t n;
	int fd, rc;

	if (!strcmp(how, "mmap")) {
		p = map(path, 0, &size);
		if (!p)
			return 1;
		if (off > size || len > size - off) {
			fprintf(stderr, "vmnative: [%#" PRIx64 ", +%#" PRIx64 ") is past EOF\n",
				off, len);
			return 1;
		}
		return cmp_pat(p + off, off, len, seed, "mmap");
	}
	buf = malloc(len ? len : 1);
	fd = open(path, O_RDONLY);
	if (!buf || fd < 0)
		return die("open", path);
	n = pread(fd, buf, len, (off_t)off);
	close(fd);
	if (n != (ssize_t)len) {
		fprintf(stderr, "vmnative: pread %s at %#" PRIx64 ": got %zd of %" PRIu64 " (%s)\n",
			path, off, n, len, n < 0 ? strerror(errno) : "short");
		return 1;
	}
	rc = cmp_pat(buf, off, len, seed, "read");
	free(buf);
	return rc;
}

static long minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

static int cmd_faults(const char *path, uint64_t seed)
{
	volatile uint8_t *p;
	size_t size, off;
	long f0, f1;

	p = map(path, 0, &size);
	if (!p)
		return 1;
	f0 = minflt();
	for (off = 0; off < size; off += 4096)
		if (p[off] != byte_at(off, seed))
			return cmp_pat(p + off, off, 1, seed, "fault");
	f1 = minflt();
	printf("pages=%zu faults=%ld\n", (size + 4095) / 4096, f1 - f0);
	return cmp_pat(p, 0, size, seed, "mmap");
}

static int cmd_poke(const char *path, uint64_t off, uint64_t seed)
{
	volatile uint8_t *p;
	size_t size;

	p = map(path, 1, &size);
	if (!p)
		return 1;
	if (off + 8 > size)
		return 1;
	*(volatile uint64_t *)(p + (off & ~7ULL)) = word(off & ~7ULL, seed);
	return msync((void *)((uintptr_t)p), size, MS_SYNC) ? die("msync", path) : 0;
}

/* Wait up to 60 s for @go to exist, after creating @ready. */
static int handshake(const char *ready, const char *go)
{
	struct timespec ts = { 0, 10000000 };
	int i, fd = open(ready, O_CREAT | O_WRONLY, 0644);

	if (fd < 0)
		return die("create", ready);
	close(fd);
	for (i = 0; i < 6000 && access(go, F_OK); i++)
		nanosleep(&ts, NULL);
	if (access(go, F_OK)) {
		fprintf(stderr, "vmnative: %s never appeared\n", go);
		return 1;
	}
	return 0;
}

static int cmd_readafter(const char *path, const char *ready, const char *go)
{
	char buf[4096];
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return die("open", path);
	if (handshake(ready, go))
		return 1;
	printf("%d\n", pread(fd, buf, sizeof(buf), 0) < 0 ? errno : 0);
	return 0;
}

static int cmd_hold(const char *path, uint64_t seed, const char *ready, const char *go,
		    int lazy)
{
	volatile uint8_t *p;
	size_t size;

	p = map(path, 1, &size);
	if (!p || (!lazy && cmp_pat(p, 0, size / 2, seed, "mapping before")))
		return 1;
	if (handshake(ready, go))
		return 1;
	if (cmp_pat(p, 0, size, seed, "mapping after"))
		return 1;
	/* stores and faults still work: the kernel needs no famfsd for them */
	*(volatile uint64_t *)(p + size - 8) = word(size - 8, seed);
	printf("held %zu bytes: still readable and writable\n", size);
	return 0;
}

/*
 * The kernel resolves GET_DAXDEV's name as famfsd sees it: not in the
 * opener's mount namespace, where /dev/dax0.0 is here /dev/null.
 */
static int cmd_nsopen(const char *path, uint64_t seed)
{
	uint8_t buf[4096];
	int fd;

	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("/dev/null", "/dev/dax0.0", NULL, MS_BIND, NULL))
		return die("private mount namespace for", path);
	if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
	    setresuid(65534, 65534, 65534))
		return die("become nobody for", path);
	fd = open(path, O_RDONLY);
	printf("%d\n", fd < 0 ? errno : 0);
	if (fd < 0)
		return 0;
	if (pread(fd, buf, sizeof(buf), 0) != (ssize_t)sizeof(buf))
		return die("pread", path);
	close(fd);
	return cmp_pat(buf, 0, sizeof(buf), seed, "read");
}

static int edge_fails;

static void edge(int ok, const char *what)
{
	if (!ok) {
		printf("FAILED: %s (errno %d)\n", what, errno);
		edge_fails++;
	}
}

/* Touch @p in a child: did it die of SIGBUS? */
static int sigbus_at(volatile uint8_t *p)
{
	int st;
	pid_t pid = fork();

	if (!pid) {
		(void)*p;
		_exit(0);
	}
	return pid > 0 && waitpid(pid, &st, 0) == pid && WIFSIGNALED(st) &&
		WTERMSIG(st) == SIGBUS;
}

static int cmd_edges(const char *path, uint64_t seed)
{
	const size_t pmd = 2 << 20, pg = 4096;
	const size_t at[4] = { 0, 16 * pg, pmd + 3 * pg, pmd + 2 * pg };
	uint8_t buf[4096], b8[8], not0;
	volatile uint8_t *p, *q;
	struct stat st;
	size_t size, len, i, k;
	uint64_t w;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0 || fstat(fd, &st))
		return die("open", path);
	size = (size_t)st.st_size;
	if (size < pmd + 4 * pg)
		return die("too small:", path);
	len = (size + pg - 1) / pg * pg;

	/* read(2) at, across and far past EOF */
	edge(pread(fd, buf, sizeof(buf), (off_t)size) == 0, "pread at EOF returns 0");
	edge(pread(fd, buf, sizeof(buf), (off_t)size - 1) == 1 &&
	     buf[0] == byte_at(size - 1, seed), "pread across EOF returns the last byte");
	edge(pread(fd, buf, 64, INT64_MAX - 100) == 0, "pread ending at 2^63 - 36 returns 0");
	/* a read-only open cannot write: write(2), shared mmap, mprotect */
	edge(pwrite(fd, buf, 1, 0) < 0 && errno == EBADF, "pwrite on O_RDONLY is EBADF");
	edge(mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED &&
	     errno == EACCES, "writable shared mmap of O_RDONLY is EACCES");
	p = mmap(NULL, len + pg, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return die("mmap", path);
	edge(mprotect((void *)p, len, PROT_READ | PROT_WRITE) < 0 && errno == EACCES,
	     "mprotect(PROT_WRITE) of an O_RDONLY shared mapping is EACCES");
	/*
	 * A private writable mapping: stores are copied, the file keeps its
	 * bytes. Two stores land where a read faulted first (the copy is made
	 * from the mapped device page), two in pages nothing touched (the
	 * fault handler itself sees a private write), each in the 2 MiB-mapped
	 * first piece and in the 4 KiB-mapped tail.
	 */
	q = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (q == MAP_FAILED)
		return die("private mmap", path);
	edge(q[0] == byte_at(0, seed) && q[pmd + 3 * pg] == byte_at(pmd + 3 * pg, seed),
	     "a private mapping reads the file");
	for (k = 0; k < 4; k++) {
		for (i = 0; i < 8; i++)
			q[at[k] + i] = (uint8_t)~byte_at(at[k] + i, seed);
		not0 = (uint8_t)~byte_at(at[k], seed);
		edge(q[at[k]] == not0, "a private mapping sees its own stores");
	}
	for (k = 0; k < 4; k++) {
		edge(!cmp_pat(p + at[k], at[k], 8, seed, "shared mapping after private stores"),
		     "private stores never reach the device (shared mapping)");
		edge(pread(fd, buf, 8, (off_t)at[k]) == 8 &&
		     !cmp_pat(buf, at[k], 8, seed, "read after private stores"),
		     "private stores never reach the device (read)");
	}
	munmap((void *)q, len);
	/* past EOF in a mapping: the page after the last one is SIGBUS */
	edge(sigbus_at(p + len), "a load past EOF in a mapping is SIGBUS");
	munmap((void *)p, len + pg);
	close(fd);
	/* writes at and across EOF, with the bytes the file already holds */
	fd = open(path, O_RDWR);
	if (fd < 0)
		return die("open O_RDWR", path);
	for (i = 0; i < 8; i++)
		b8[i] = byte_at(size - 4 + i, seed);
	edge(pwrite(fd, b8, 8, (off_t)size) < 0 && errno == EFBIG, "pwrite at EOF is EFBIG");
	edge(pwrite(fd, b8, 8, (off_t)size - 4) == 4, "pwrite across EOF is cut at EOF");
	w = 0;
	edge(pread(fd, &w, 4, (off_t)size - 4) == 4 && !cmp_pat((uint8_t *)&w, size - 4, 4,
								 seed, "after pwrite"),
	     "the bytes before EOF are the ones written");
	close(fd);
	printf("%d failed\n", edge_fails);
	return edge_fails ? 1 : 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";
	int fd;

	if (!strcmp(cmd, "gen") && argc == 5)
		return cmd_gen(argv[2], num(argv[3]), num(argv[4]));
	if (!strcmp(cmd, "check") && argc == 7)
		return cmd_check(argv[2], num(argv[3]), num(argv[4]), num(argv[5]), argv[6]);
	if (!strcmp(cmd, "faults") && argc == 4)
		return cmd_faults(argv[2], num(argv[3]));
	if (!strcmp(cmd, "poke") && argc == 5)
		return cmd_poke(argv[2], num(argv[3]), num(argv[4]));
	if (!strcmp(cmd, "hold") && (argc == 6 || (argc == 7 && !strcmp(argv[6], "lazy"))))
		return cmd_hold(argv[2], num(argv[3]), argv[4], argv[5], argc == 7);
	if (!strcmp(cmd, "nsopen") && argc == 4)
		return cmd_nsopen(argv[2], num(argv[3]));
	if (!strcmp(cmd, "edges") && argc == 4)
		return cmd_edges(argv[2], num(argv[3]));
	if (!strcmp(cmd, "readafter") && argc == 5)
		return cmd_readafter(argv[2], argv[3], argv[4]);
	if (!strcmp(cmd, "openerr") && argc == 3) {
		fd = open(argv[2], O_RDONLY);
		printf("%d\n", fd < 0 ? errno : 0);
		if (fd >= 0)
			close(fd);
		return 0;
	}
	fprintf(stderr, "usage: vmnative gen OUT SIZE SEED | check FILE OFF LEN SEED read|mmap |\n"
		"                faults FILE SEED | poke FILE OFF SEED | openerr FILE |\n"
		"                readafter FILE READY GO |\n"
		"                hold FILE SEED READY GO [lazy] | nsopen FILE SEED |\n"
		"                edges FILE SEED\n");
	return 2;
}
