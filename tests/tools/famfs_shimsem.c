// SPDX-License-Identifier: Apache-2.0
/*
 * famfs_shimsem.c - test tool: the file semantics the preload shim must
 * keep, checked with plain libc calls on a famfs file of at least 16 KiB
 * that the test may scribble on. Run it under LD_PRELOAD.
 *
 *   famfs_shimsem FILE
 *
 * Besides offsets, EOF and access modes it checks that the shim's per-fd
 * state never leaks to an fd number reused after a close it did not see
 * (close_range, closefrom, syscall(SYS_close)), that fcntl copies and
 * O_APPEND changes are honoured, that an fd the shim never saw open is
 * adopted, and that munmap/MAP_FIXED keep its widened-mapping records
 * exact.
 *
 * Prints "FAIL: what" for each broken rule; exits 1 if any.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static int nfail;

#define CHECK(cond, ...)							\
	do {								\
		if (!(cond)) {						\
			printf("FAIL: line %d: ", __LINE__);		\
			printf(__VA_ARGS__);				\
			printf(" (errno %d %s)\n", errno, strerror(errno));	\
			nfail++;					\
		}							\
	} while (0)

static const char *path;

/* The bytes at @off of the famfs file, read through a fresh descriptor. */
static int byte_at(off_t off)
{
	int fd = open(path, O_RDONLY);
	unsigned char c;
	ssize_t n;

	if (fd < 0)
		return -1;
	n = pread(fd, &c, 1, off);
	close(fd);
	return n == 1 ? c : -1;
}

/* Store @c at @off of the famfs file through a fresh descriptor. */
static void put_byte(off_t off, char c)
{
	int fd = open(path, O_RDWR);

	CHECK(fd >= 0 && pwrite(fd, &c, 1, off) == 1, "store a byte at %lld", (long long)off);
	close(fd);
}

/*
 * @fd (a famfs fd, closed by the caller's method) has been reused by one
 * end of a socketpair or a pipe (non-blocking, so that a broken shim fails
 * rather than hangs): I/O on it must reach the socket or pipe,
 * never the famfs file.
 */
static void check_reuse(int fd, const char *how)
{
	int sv[2], pv[2], t, other;
	char buf[8];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) < 0) {
		CHECK(0, "%s: socketpair", how);
		return;
	}
	t = sv[0] == fd ? sv[0] : sv[1];
	other = sv[0] == fd ? sv[1] : sv[0];
	CHECK(t == fd, "%s: socketpair reused fd %d (got %d, %d)", how, fd, sv[0], sv[1]);
	errno = 0;
	CHECK(pwrite(t, "evil", 4, 0) == -1 && errno == ESPIPE,
	      "%s: pwrite on a reused socket fd is ESPIPE", how);
	CHECK(byte_at(0) != 'e', "%s: pwrite on the socket went into the famfs file", how);
	CHECK(write(t, "ping", 4) == 4, "%s: write on the socket", how);
	CHECK(read(other, buf, 4) == 4 && !memcmp(buf, "ping", 4), "%s: socket got it", how);
	CHECK(write(other, "pong", 4) == 4, "%s: write back", how);
	CHECK(read(t, buf, 4) == 4 && !memcmp(buf, "pong", 4), "%s: read from the socket", how);
	close(sv[0]);
	close(sv[1]);

	/* the same fd number as a pipe's read end */
	if (pipe2(pv, O_NONBLOCK) < 0) {
		CHECK(0, "%s: pipe", how);
		return;
	}
	CHECK(pv[0] == fd, "%s: pipe reused fd %d (got %d)", how, fd, pv[0]);
	CHECK(write(pv[1], "pipe", 4) == 4, "%s: write to pipe", how);
	CHECK(read(pv[0], buf, 4) == 4 && !memcmp(buf, "pipe", 4), "%s: read from pipe", how);
	close(pv[0]);
	close(pv[1]);
}

/* Closes the shim does not see as close(2) must not leave famfs state behind. */
static void test_fd_reuse(void)
{
	int fd;

	put_byte(0, '.');
	fd = open(path, O_RDWR);
	CHECK(fd >= 0 && close_range(fd, fd, 0) == 0, "close_range");
	check_reuse(fd, "close_range");

	fd = open(path, O_RDWR);
	CHECK(fd >= 0 && syscall(SYS_close, fd) == 0, "syscall(SYS_close)");
	check_reuse(fd, "SYS_close");

	fd = open(path, O_RDWR);
	CHECK(fd >= 0 && syscall(SYS_close_range, fd, fd, 0) == 0, "SYS_close_range");
	check_reuse(fd, "SYS_close_range");

	/* CLOSE_RANGE_CLOEXEC closes nothing: the fd keeps working */
	fd = open(path, O_RDWR);
	CHECK(close_range(fd, fd, CLOSE_RANGE_CLOEXEC) == 0, "close_range CLOEXEC");
	CHECK(pwrite(fd, "C", 1, 300) == 1 && byte_at(300) == 'C', "fd works after CLOEXEC");
	close(fd);

	/* closefrom closes every fd from @fd on: this one is the highest */
	fd = open(path, O_RDWR);
	closefrom(fd);
	check_reuse(fd, "closefrom");
}

/* fcntl: F_DUPFD copies, F_SETFL O_APPEND, and arguments passed through. */
static void test_fcntl(void)
{
	char tmpl[] = "/tmp/famfs_shimsem.XXXXXX";
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_len = 1 };
	int fd, d, t, t2;
	char buf[8], *m;

	fd = open(path, O_RDWR);
	d = fcntl(fd, F_DUPFD_CLOEXEC, 200);
	CHECK(d >= 200, "F_DUPFD_CLOEXEC");
	CHECK((fcntl(d, F_GETFD) & FD_CLOEXEC) != 0, "F_DUPFD_CLOEXEC sets FD_CLOEXEC");
	close(fd);
	CHECK(pwrite(d, "dupfd", 5, 400) == 5, "pwrite on an F_DUPFD copy");
	CHECK(lseek(d, 400, SEEK_SET) == 400 && read(d, buf, 5) == 5 && !memcmp(buf, "dupfd", 5),
	      "read on an F_DUPFD copy");
	m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, d, 0);
	CHECK(m != MAP_FAILED, "mmap of an F_DUPFD copy is direct");
	if (m != MAP_FAILED) {
		CHECK(!memcmp(m + 400, "dupfd", 5), "mmap of the copy sees the bytes");
		munmap(m, 4096);
	}

	/* O_APPEND set and cleared with F_SETFL: a famfs file never grows */
	CHECK(lseek(d, 500, SEEK_SET) == 500, "lseek");
	CHECK(fcntl(d, F_SETFL, O_APPEND) == 0, "F_SETFL O_APPEND");
	CHECK((fcntl(d, F_GETFL) & O_APPEND) != 0, "F_GETFL shows O_APPEND");
	errno = 0;
	CHECK(write(d, "A", 1) == -1 && errno == EFBIG, "write after F_SETFL O_APPEND is EFBIG");
	CHECK(byte_at(500) != 'A', "the O_APPEND write did not land at the offset");
	CHECK(fcntl(d, F_SETFL, 0) == 0, "F_SETFL 0");
	CHECK(write(d, "B", 1) == 1 && byte_at(500) == 'B', "write after clearing O_APPEND");
	close(d);

	/* a pointer argument reaches the kernel unchanged */
	t = mkstemp(tmpl);
	t2 = open(tmpl, O_RDWR);
	CHECK(t >= 0 && t2 >= 0 && write(t, "x", 1) == 1, "temp file");
	CHECK(fcntl(t, F_OFD_SETLK, &fl) == 0, "F_OFD_SETLK through the shim");
	fl.l_type = F_WRLCK;
	CHECK(fcntl(t2, F_OFD_GETLK, &fl) == 0 && fl.l_type == F_WRLCK && fl.l_pid == -1,
	      "F_OFD_GETLK sees the lock (pointer passed through)");
	close(t2);
	close(t);
	unlink(tmpl);
}

/* O_APPEND: pwrite appends (at EOF), so on a famfs file it is EFBIG. */
static void test_append(void)
{
	int w = open(path, O_RDWR), a = open(path, O_RDWR | O_APPEND);

	CHECK(a >= 0 && w >= 0, "open O_APPEND");
	CHECK(pwrite(w, "0", 1, 600) == 1, "setup");
	close(w);
	errno = 0;
	CHECK(pwrite(a, "q", 1, 600) == -1 && errno == EFBIG, "pwrite on O_APPEND is EFBIG");
	CHECK(byte_at(600) != 'q', "the O_APPEND pwrite did not land at its offset");
	errno = 0;
	CHECK(write(a, "q", 1) == -1 && errno == EFBIG, "write on O_APPEND is EFBIG");
	CHECK(pwrite(a, "q", 0, 600) == 0, "empty pwrite on O_APPEND");
	close(a);
}

/* An fd the shim never saw open (inherited, raw syscall) is adopted on use. */
static void test_adopt(void)
{
	int fd = syscall(SYS_openat, AT_FDCWD, path, O_RDWR);
	char buf[8], *m;

	CHECK(fd >= 0, "raw openat");
	CHECK(pwrite(fd, "adopt", 5, 700) == 5, "pwrite on an untracked fd");
	CHECK(lseek(fd, 700, SEEK_SET) == 700 && read(fd, buf, 5) == 5 &&
	      !memcmp(buf, "adopt", 5), "read on an untracked fd");
	CHECK(lseek(fd, 0, SEEK_CUR) == 705, "read moved the inherited offset");
	m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(m != MAP_FAILED, "mmap of an untracked fd is direct");
	if (m != MAP_FAILED) {
		CHECK(!memcmp(m + 700, "adopt", 5), "mmap of it sees the bytes");
		munmap(m, 4096);
	}
	syscall(SYS_close, fd);
}

/* msync fails with ENOMEM on an address with no mapping. */
static int mapped(void *p)
{
	return msync(p, 4096, MS_ASYNC) == 0;
}

/*
 * The shim widens a small mmap to a whole 2 MiB page and remembers it, so
 * that munmap of what the program got releases everything. Once part of it
 * is unmapped or replaced, the record must go: a later munmap of the same
 * address and length must unmap only that.
 */
static void test_spans(void)
{
	size_t mib = 1024 * 1024;
	int fd = open(path, O_RDONLY);
	char *m, *o;

	m = mmap(NULL, 8192, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(m != MAP_FAILED, "mmap 8 KiB");
	if (m == MAP_FAILED)
		goto out;
	CHECK(((unsigned long)m & (2 * mib - 1)) == 0 && mapped(m + mib),
	      "the shim widened the map to 2 MiB (test premise)");
	/* partial munmap, then the same address and length again */
	CHECK(munmap(m, 4096) == 0, "partial munmap");
	CHECK(munmap(m, 8192) == 0, "munmap of the original range");
	CHECK(mapped(m + mib), "a stale record unmapped the rest of the widened page");
	munmap(m, 2 * mib);

	/* MAP_FIXED over part of the widened page */
	m = mmap(NULL, 8192, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(m != MAP_FAILED, "mmap 8 KiB again");
	if (m == MAP_FAILED)
		goto out;
	o = mmap(m + mib, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
		 -1, 0);
	CHECK(o == m + mib, "MAP_FIXED anonymous map inside the widened page");
	CHECK(munmap(m, 8192) == 0, "munmap of the file range");
	CHECK(mapped(m + mib), "munmap removed a MAP_FIXED mapping it did not own");
	munmap(m, 2 * mib);
out:
	close(fd);
}

int main(int argc, char **argv)
{
	char buf[64], c;
	struct stat st;
	off_t s;
	char *m;
	int fd, ro, dfd;

	if (argc != 2) {
		fprintf(stderr, "usage: famfs_shimsem FILE\n");
		return 2;
	}
	fd = open(argv[1], O_RDWR);
	ro = open(argv[1], O_RDONLY);
	if (fd < 0 || ro < 0 || fstat(fd, &st) < 0 || st.st_size < 16384) {
		perror(argv[1]);
		return 1;
	}
	s = st.st_size;

	/* read moves the file offset; short at EOF, then 0 */
	CHECK(read(fd, buf, 10) == 10, "read 10");
	CHECK(lseek(fd, 0, SEEK_CUR) == 10, "offset after read");
	CHECK(lseek(fd, s - 3, SEEK_SET) == s - 3, "lseek");
	CHECK(read(fd, buf, 10) == 3, "read across EOF is short");
	CHECK(read(fd, buf, 10) == 0, "read at EOF is 0");
	CHECK(lseek(fd, 0, SEEK_CUR) == s, "offset at EOF");

	/* writes never grow the file */
	errno = 0;
	CHECK(write(fd, "x", 1) == -1 && errno == EFBIG, "write at EOF is EFBIG");
	errno = 0;
	CHECK(pwrite(fd, "x", 1, s + 100) == -1 && errno == EFBIG, "pwrite past EOF is EFBIG");
	CHECK(lseek(fd, s - 2, SEEK_SET) == s - 2, "lseek");
	CHECK(write(fd, "abcd", 4) == 2, "write across EOF is short");
	CHECK(lseek(fd, 0, SEEK_CUR) == s, "offset after short write");
	CHECK(pread(ro, buf, 4, s - 2) == 2 && !memcmp(buf, "ab", 2), "short write landed");
	CHECK(write(fd, buf, 0) == 0, "empty write");

	/* pwrite/pread at an offset, seen through another descriptor */
	CHECK(pwrite(fd, "hello", 5, 100) == 5, "pwrite");
	CHECK(pread(ro, buf, 5, 100) == 5 && !memcmp(buf, "hello", 5), "pread sees pwrite");
	errno = 0;
	CHECK(pread(ro, buf, 5, -1) == -1 && errno == EINVAL, "negative offset");

	/* access modes */
	errno = 0;
	CHECK(write(ro, "x", 1) == -1 && errno == EBADF, "write on O_RDONLY is EBADF");
	errno = 0;
	m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0);
	CHECK(m == MAP_FAILED && errno == EACCES, "PROT_WRITE on O_RDONLY is EACCES");
	errno = 0;
	m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, ro, 100);
	CHECK(m == MAP_FAILED && errno == EINVAL, "unaligned mmap offset is EINVAL");

	/* mmap at an offset; stores through a shared map are seen by pread */
	m = mmap(NULL, 8192, PROT_READ, MAP_SHARED, ro, 4096);
	CHECK(m != MAP_FAILED, "mmap at 4096");
	if (m != MAP_FAILED) {
		CHECK(pread(ro, buf, 16, 4096 + 50) == 16 && !memcmp(buf, m + 50, 16),
		      "mmap bytes equal pread bytes");
		munmap(m, 8192);
	}
	m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(m != MAP_FAILED, "rw mmap");
	if (m != MAP_FAILED) {
		m[200] = 'Z';
		CHECK(pread(ro, &c, 1, 200) == 1 && c == 'Z', "store through mmap seen by pread");
		munmap(m, 4096);
	}

	/* a dup keeps working after the original is closed */
	dfd = dup(ro);
	close(ro);
	CHECK(pread(dfd, buf, 5, 100) == 5 && !memcmp(buf, "hello", 5), "pread on a dup");
	close(dfd);
	close(fd);

	path = argv[1];
	test_append();
	test_fcntl();
	test_adopt();
	test_spans();
	test_fd_reuse();	/* last: closefrom closes every higher fd */
	printf("%d failed\n", nfail);
	return nfail != 0;
}
