// SPDX-License-Identifier: Apache-2.0
/*
 * test_map.c - the direct-mapping logic of lib/map.c, with a /dev/shm file
 * standing in for the device: bytes at many file offsets must equal the
 * device bytes famfs_fmap_resolve() names, for simple, interleaved and
 * odd-sized files; read-only maps must refuse stores; errors must leave
 * nothing mapped.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "famfs/err.h"
#include "famfs/fmap.h"
#include "famfs/map.h"

#define MIB		(1024ULL * 1024)
#define DEV_SIZE	(96 * MIB)

struct dev {
	char path[64];
	int fd_ro, fd_rw;
	int opens;		/* callback calls */
	int fail_with;		/* callback returns this when non-zero */
};

static struct dev dev;

/* The device's byte at offset @d: distinct for each word of each page. */
static uint8_t dev_byte(uint64_t d)
{
	uint64_t w = (d >> 3) * 0x9e3779b97f4a7c15ULL;

	return (uint8_t)(w >> (56 - 8 * (d & 7)));
}

static int setup(void **state)
{
	uint8_t *buf;
	uint64_t off, i;

	snprintf(dev.path, sizeof(dev.path), "/dev/shm/famfs-test-map.%d", getpid());
	dev.fd_rw = open(dev.path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (dev.fd_rw < 0)
		return -1;
	buf = malloc(MIB);
	for (off = 0; off < DEV_SIZE; off += MIB) {
		for (i = 0; i < MIB; i++)
			buf[i] = dev_byte(off + i);
		if (pwrite(dev.fd_rw, buf, MIB, off) != (ssize_t)MIB)
			return -1;
	}
	free(buf);
	dev.fd_ro = open(dev.path, O_RDONLY);
	return dev.fd_ro < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	close(dev.fd_ro);
	close(dev.fd_rw);
	unlink(dev.path);
	return 0;
}

static int devfd(void *ctx, uint64_t idx, bool writable, int *fd)
{
	struct dev *d = ctx;

	d->opens++;
	if (d->fail_with)
		return d->fail_with;
	if (idx != 0)
		return -ENODEV;
	*fd = writable ? d->fd_rw : d->fd_ro;
	return 0;
}

/* Make @f canonical the way a client gets it: encode, then decode. */
static void canon(struct famfs_fmap *f)
{
	uint8_t buf[FAMFS_FMAP_MSG_MAX];
	ssize_t n = famfs_fmap_encode(f, buf, sizeof(buf));

	assert_true(n > 0);
	memset(f, 0xee, sizeof(*f));
	assert_int_equal(famfs_fmap_decode(buf, (size_t)n, f), 0);
}

static void simple_fmap(struct famfs_fmap *f, uint64_t size)
{
	memset(f, 0, sizeof(*f));
	f->ext_type = FAMFS_EXT_SIMPLE;
	f->nextents = 3;
	f->file_size = size;
	f->se[0] = (struct famfs_fmap_ext){ 0, 40 * MIB, 4 * MIB };
	f->se[1] = (struct famfs_fmap_ext){ 0, 10 * MIB, 2 * MIB };
	f->se[2] = (struct famfs_fmap_ext){ 0, 70 * MIB, 6 * MIB };
	canon(f);
}

/* One interleaved extent: @n strips of @slen bytes, chunk @chunk. */
static void ilv_fmap(struct famfs_fmap *f, uint64_t size, uint32_t n, uint64_t chunk,
		     uint64_t slen, const uint64_t *offs)
{
	uint32_t i;

	memset(f, 0, sizeof(*f));
	f->ext_type = FAMFS_EXT_INTERLEAVE;
	f->nextents = 1;
	f->file_size = size;
	f->ie[0].nstrips = n;
	f->ie[0].chunk_size = chunk;
	f->ie[0].nbytes = size;
	f->ie[0].first = 0;
	f->nstrips_total = n;
	for (i = 0; i < n; i++)
		f->strips[i] = (struct famfs_fmap_ext){ 0, offs[i], slen };
	canon(f);
}

static const uint64_t ilv_offs[4] = { 8 * MIB, 30 * MIB, 50 * MIB, 80 * MIB };

/* Every byte we sample in the map equals the device byte resolve names. */
static void check_bytes(const struct famfs_map *m)
{
	const uint8_t *p = m->addr;
	struct famfs_iomap io;
	uint64_t pos, step;
	unsigned int seed = 7;

	for (pos = 0; pos < m->len; pos += step) {
		assert_int_equal(famfs_fmap_resolve(&m->fmap, pos, 1, &io), 0);
		if (p[pos] != dev_byte(io.addr))
			fail_msg("file offset %#llx: got %#x want %#x (dev %#llx)",
				 (unsigned long long)pos, p[pos], dev_byte(io.addr),
				 (unsigned long long)io.addr);
		step = 1 + (rand_r(&seed) % 40000);
	}
	/* the edges: first, last, and both sides of every MiB boundary */
	for (pos = MIB; pos < m->len; pos += MIB) {
		assert_int_equal(famfs_fmap_resolve(&m->fmap, pos - 1, 1, &io), 0);
		assert_int_equal(p[pos - 1], dev_byte(io.addr));
		assert_int_equal(famfs_fmap_resolve(&m->fmap, pos, 1, &io), 0);
		assert_int_equal(p[pos], dev_byte(io.addr));
	}
	assert_int_equal(famfs_fmap_resolve(&m->fmap, m->len - 1, 1, &io), 0);
	assert_int_equal(p[m->len - 1], dev_byte(io.addr));
}

static void test_simple(void **state)
{
	static const uint64_t sizes[] = { 1, 4097, 2 * MIB + 1, 5 * MIB + 17, 12 * MIB };
	struct famfs_fmap f;
	struct famfs_map *m;
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		simple_fmap(&f, sizes[i]);
		assert_int_equal(famfs_map_build(&f, O_RDONLY, devfd, &dev, &m), 0);
		assert_int_equal(m->len, sizes[i]);
		assert_int_equal(m->maplen, (sizes[i] + 2 * MIB - 1) & ~(2 * MIB - 1));
		assert_int_equal((uintptr_t)m->addr & (2 * MIB - 1), 0);
		assert_int_equal(m->fd, -1);
		assert_false(m->writable);
		check_bytes(m);
		famfs_map_close(m);
	}
}

static void test_interleave(void **state)
{
	static const uint64_t sizes[] = { 1, 4097, 2 * MIB + 1, 29 * MIB + 4097, 32 * MIB };
	struct famfs_fmap f;
	struct famfs_map *m;
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		ilv_fmap(&f, sizes[i], 4, 2 * MIB, 8 * MIB, ilv_offs);
		assert_int_equal(famfs_map_build(&f, O_RDWR, devfd, &dev, &m), 0);
		assert_true(m->writable);
		/* 4 strips far apart: one segment per chunk */
		assert_int_equal(m->nsegs, (long)(m->maplen / (2 * MIB)));
		check_bytes(m);
		famfs_map_close(m);
	}
}

/* The kernel's worked example: 2 MiB chunks, 4 strips, 15 MiB. */
static void test_kernel_example(void **state)
{
	struct famfs_fmap f;
	struct famfs_iomap io;
	struct famfs_map *m;
	const uint8_t *p;

	ilv_fmap(&f, 32 * MIB, 4, 2 * MIB, 8 * MIB, ilv_offs);
	assert_int_equal(famfs_fmap_resolve(&f, 15 * MIB, 4096, &io), 0);
	assert_int_equal(io.addr, ilv_offs[3] + 3 * MIB);
	assert_int_equal(io.length, 4096);
	assert_int_equal(famfs_map_build(&f, O_RDONLY, devfd, &dev, &m), 0);
	p = m->addr;
	assert_int_equal(p[15 * MIB], dev_byte(ilv_offs[3] + 3 * MIB));
	assert_int_equal(p[15 * MIB + 12345], dev_byte(ilv_offs[3] + 3 * MIB + 12345));
	famfs_map_close(m);
}

/* Chunks contiguous on the device become one mapping. */
static void test_merge(void **state)
{
	static const uint64_t one[1] = { 20 * MIB };
	static const uint64_t adj[2] = { 20 * MIB, 22 * MIB };
	struct famfs_fmap f;
	struct famfs_map *m;

	ilv_fmap(&f, 16 * MIB, 1, 2 * MIB, 16 * MIB, one);
	assert_int_equal(famfs_map_build(&f, O_RDONLY, devfd, &dev, &m), 0);
	assert_int_equal(m->nsegs, 1);
	check_bytes(m);
	famfs_map_close(m);

	/* strip 1 follows strip 0's first chunk: chunks 0,1 merge */
	ilv_fmap(&f, 4 * MIB, 2, 2 * MIB, 2 * MIB, adj);
	assert_int_equal(famfs_map_build(&f, O_RDONLY, devfd, &dev, &m), 0);
	assert_int_equal(m->nsegs, 1);
	check_bytes(m);
	famfs_map_close(m);
}

/* A store into a read-only map must kill the process with SIGSEGV. */
static void test_readonly(void **state)
{
	struct famfs_fmap f;
	struct famfs_map *m;
	char line[512], want[32];
	FILE *maps;
	bool found = false;
	int status;
	pid_t pid;

	simple_fmap(&f, 4 * MIB);
	assert_int_equal(famfs_map_build(&f, O_RDONLY, devfd, &dev, &m), 0);
	snprintf(want, sizeof(want), "%lx-", (unsigned long)(uintptr_t)m->addr);
	maps = fopen("/proc/self/maps", "r");
	assert_non_null(maps);
	while (fgets(line, sizeof(line), maps))
		if (!strncmp(line, want, strlen(want))) {
			found = true;
			assert_memory_equal(strchr(line, ' ') + 1, "r--s", 4);
		}
	fclose(maps);
	assert_true(found);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		signal(SIGSEGV, SIG_DFL);	/* cmocka catches it otherwise */
		((volatile uint8_t *)m->addr)[100] = 1;
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGSEGV);
	famfs_map_close(m);
}

/* A store through a read-write map lands in the device at the resolved place. */
static void test_readwrite(void **state)
{
	struct famfs_fmap f;
	struct famfs_iomap io;
	struct famfs_map *m;
	uint8_t b, *p;

	ilv_fmap(&f, 32 * MIB, 4, 2 * MIB, 8 * MIB, ilv_offs);
	assert_int_equal(famfs_map_build(&f, O_RDWR, devfd, &dev, &m), 0);
	p = m->addr;
	assert_int_equal(famfs_fmap_resolve(&f, 13 * MIB + 5, 1, &io), 0);
	p[13 * MIB + 5] = (uint8_t)~dev_byte(io.addr);
	assert_int_equal(pread(dev.fd_ro, &b, 1, io.addr), 1);
	assert_int_equal(b, (uint8_t)~dev_byte(io.addr));
	b = dev_byte(io.addr);
	assert_int_equal(pwrite(dev.fd_rw, &b, 1, io.addr), 1);
	assert_int_equal(p[13 * MIB + 5], b);
	famfs_map_close(m);
}

/* famfs_map_mmap: a sub-range, as mmap(2) of the file at an offset. */
static void test_mmap_range(void **state)
{
	struct famfs_fmap f;
	struct famfs_iomap io;
	struct famfs_map *m, *rw;
	struct famfs_map_span span;
	uint8_t *q, *fixed;
	void *p;
	uint64_t off = 6 * MIB + 4096, i;

	ilv_fmap(&f, 29 * MIB + 4097, 4, 2 * MIB, 8 * MIB, ilv_offs);
	assert_int_equal(famfs_map_build(&f, O_RDONLY, devfd, &dev, &m), 0);
	assert_int_equal(famfs_map_mmap(m, NULL, 9 * MIB, PROT_READ, false, off, &p, &span), 0);
	/* widened to whole 2 MiB pages, as a devdax device needs */
	assert_int_equal((uintptr_t)span.base % (2 * MIB), 0);
	assert_int_equal(span.len % (2 * MIB), 0);
	assert_ptr_equal((uint8_t *)span.base + (off - 6 * MIB), p);
	assert_int_equal(span.len, 10 * MIB);
	q = p;
	for (i = 0; i < 9 * MIB; i += 4093) {
		assert_int_equal(famfs_fmap_resolve(&f, off + i, 1, &io), 0);
		assert_int_equal(q[i], dev_byte(io.addr));
	}
	/* the mapping outlives the map */
	famfs_map_close(m);
	assert_int_equal(famfs_fmap_resolve(&f, off + 3 * MIB, 1, &io), 0);
	assert_int_equal(q[3 * MIB], dev_byte(io.addr));
	/* the widened head is the file's own bytes too */
	assert_int_equal(famfs_fmap_resolve(&f, 6 * MIB, 1, &io), 0);
	assert_int_equal(((uint8_t *)span.base)[0], dev_byte(io.addr));
	munmap(span.base, span.len);

	assert_int_equal(famfs_map_build(&f, O_RDONLY, devfd, &dev, &m), 0);
	assert_int_equal(famfs_map_mmap(m, NULL, 4096, PROT_READ, false, 100, &p, NULL), -EINVAL);
	assert_non_null(strstr(famfs_errmsg(), "not page aligned"));
	assert_int_equal(famfs_map_mmap(m, NULL, 4096, PROT_READ | PROT_WRITE, false, 0, &p, NULL),
			 -EACCES);
	assert_int_equal(famfs_map_mmap(m, NULL, 0, PROT_READ, false, 0, &p, NULL), -EINVAL);

	/* MAP_FIXED at a caller's address */
	fixed = mmap(NULL, 4 * MIB, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(fixed != MAP_FAILED);
	assert_int_equal(famfs_map_mmap(m, fixed, 4 * MIB, PROT_READ, true, 2 * MIB, &p, NULL), 0);
	assert_ptr_equal(p, fixed);
	assert_int_equal(famfs_fmap_resolve(&f, 2 * MIB + 77, 1, &io), 0);
	assert_int_equal(fixed[77], dev_byte(io.addr));
	munmap(fixed, 4 * MIB);
	famfs_map_close(m);

	assert_int_equal(famfs_map_build(&f, O_RDWR, devfd, &dev, &rw), 0);
	assert_int_equal(famfs_map_mmap(rw, NULL, 4096, PROT_READ | PROT_WRITE, false, 0, &p, NULL),
			 0);
	munmap(p, 4096);
	famfs_map_close(rw);
}

static void test_size_zero(void **state)
{
	struct famfs_fmap f;
	struct famfs_map *m;

	simple_fmap(&f, 0);
	assert_int_equal(famfs_map_build(&f, O_RDONLY, devfd, &dev, &m), 0);
	assert_null(m->addr);
	assert_int_equal(m->len, 0);
	assert_int_equal(m->maplen, 0);
	famfs_map_close(m);
}

/* An extent past the end of a regular-file device is refused, not SIGBUS. */
static void test_past_device_end(void **state)
{
	struct famfs_fmap f;
	struct famfs_map *m = NULL;

	memset(&f, 0, sizeof(f));
	f.ext_type = FAMFS_EXT_SIMPLE;
	f.nextents = 2;
	f.file_size = 6 * MIB;
	f.se[0] = (struct famfs_fmap_ext){ 0, 0, 2 * MIB };
	f.se[1] = (struct famfs_fmap_ext){ 0, DEV_SIZE - 2 * MIB, 4 * MIB };
	canon(&f);
	assert_int_equal(famfs_map_build(&f, O_RDONLY, devfd, &dev, &m), -EINVAL);
	assert_null(m);
	assert_non_null(strstr(famfs_errmsg(), "past the end of device"));
}

/*
 * Issue 18's hostile map (2 MiB strips, 8 MiB chunks) is refused by the
 * validator; built anyway (famfs_map_build does not validate), the walk
 * refuses it too: no hole inside EOF that would SIGSEGV, no byte from
 * outside a strip.
 */
static void test_chunks_past_strips(void **state)
{
	static const uint64_t offs[4] = { 8 * MIB, 10 * MIB, 12 * MIB, 14 * MIB };
	uint8_t buf[FAMFS_FMAP_MSG_MAX];
	struct famfs_fmap f, d;
	struct famfs_map *m = NULL;
	ssize_t n;

	memset(&f, 0, sizeof(f));
	f.ext_type = FAMFS_EXT_INTERLEAVE;
	f.nextents = 1;
	f.file_size = 8 * MIB;
	f.dev_bitmap = 1;
	f.ie[0] = (struct famfs_fmap_iext){ 4, 8 * MIB, 8 * MIB, 0 };
	f.nstrips_total = 4;
	for (int i = 0; i < 4; i++)
		f.strips[i] = (struct famfs_fmap_ext){ 0, offs[i], 2 * MIB };
	n = famfs_fmap_encode(&f, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(famfs_fmap_decode(buf, (size_t)n, &d), -EINVAL);
	assert_non_null(strstr(famfs_errmsg(), "not a multiple of the chunk size"));
	assert_int_equal(famfs_map_build(&f, O_RDONLY, devfd, &dev, &m), -EIO);
	assert_null(m);
}

static void test_errors(void **state)
{
	struct famfs_fmap f;
	struct famfs_map *m = NULL;

	simple_fmap(&f, 4 * MIB);
	assert_int_equal(famfs_map_build(&f, O_WRONLY | O_RDWR, devfd, &dev, &m), -EINVAL);
	assert_int_equal(famfs_map_build(NULL, O_RDONLY, devfd, &dev, &m), -EINVAL);
	assert_int_equal(famfs_map_build(&f, O_RDONLY, NULL, &dev, &m), -EINVAL);
	dev.fail_with = -EACCES;
	dev.opens = 0;
	assert_int_equal(famfs_map_build(&f, O_RDONLY, devfd, &dev, &m), -EACCES);
	assert_true(dev.opens >= 1);
	dev.fail_with = 0;
	assert_null(m);

	/* a device index the callback does not know */
	f.dev_bitmap = 2;
	assert_int_equal(famfs_map_build(&f, O_RDONLY, devfd, &dev, &m), -ENODEV);
	assert_null(m);

	/* not a famfs file: a plain file is not on a famfs mount (no GET_FMAP sent) */
	assert_int_equal(famfs_map_open(dev.path, O_RDONLY, &m), -ENOTTY);
	assert_non_null(strstr(famfs_errmsg(), "not a famfs file"));
	assert_int_equal(famfs_map_open("/nonexistent/famfs", O_RDONLY, &m), -ENOENT);
	assert_int_equal(famfs_map_open_fd(-1, O_RDONLY, &m), -EINVAL);
	famfs_map_close(NULL);
}

static void test_map_count(void **state)
{
	assert_int_equal(famfs_map_check_count(1), 0);
	famfs_errclear();
	assert_int_equal(famfs_map_check_count(1L << 40), -ENOMEM);
	assert_non_null(strstr(famfs_errmsg(), "vm.max_map_count"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple),
		cmocka_unit_test(test_interleave),
		cmocka_unit_test(test_kernel_example),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_readonly),
		cmocka_unit_test(test_readwrite),
		cmocka_unit_test(test_mmap_range),
		cmocka_unit_test(test_size_zero),
		cmocka_unit_test(test_past_device_end),
		cmocka_unit_test(test_chunks_past_strips),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_map_count),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
