// SPDX-License-Identifier: Apache-2.0
/*
 * test_dev_open.c - famfs_dev_open maps the file it opened, at that file's
 * size: the device path is swapped for a smaller file at the moment of the
 * open (this test's open() replaces the path first, then opens), and the
 * mapping must be the new file's size, not the size the path had before.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <cmocka.h>

#include "famfs/dev.h"

#define MIB (1ULL << 20)

static char dev_path[64], swap_path[64];
static int swap_armed;

/* Interposes libc's open for this program (libfamfs is linked in statically). */
int open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	if (swap_armed && !strcmp(path, dev_path)) {
		swap_armed = 0;
		if (rename(swap_path, dev_path))
			return -1;
	}
	return (int)syscall(SYS_openat, AT_FDCWD, path, flags, mode);
}

static void make_file(const char *path, uint64_t size)
{
	int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDWR | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	close(fd);
}

static void test_size_of_what_was_opened(void **state)
{
	struct famfs_dev *dev;
	struct stat st;

	snprintf(dev_path, sizeof(dev_path), "/dev/shm/famfs-devopen-%d", (int)getpid());
	snprintf(swap_path, sizeof(swap_path), "/dev/shm/famfs-devopen-%d.new", (int)getpid());
	make_file(dev_path, 256 * MIB);
	make_file(swap_path, 64 * MIB);
	swap_armed = 1;
	assert_int_equal(famfs_dev_open(dev_path, true, &dev), 0);
	assert_int_equal(swap_armed, 0);		/* the swap happened */
	assert_int_equal(fstat(dev->fd, &st), 0);
	assert_int_equal(st.st_size, 64 * MIB);
	assert_int_equal(dev->size, 64 * MIB);		/* not the 256 MiB stat saw */
	dev->base[dev->size - 1] = 1;			/* the last byte is there */
	famfs_dev_close(dev);
	unlink(dev_path);
}

/* A directory, a FIFO and a non-dax char device are refused with one line. */
static void test_not_a_device(void **state)
{
	char fifo[64];
	struct famfs_dev *dev;

	assert_int_equal(famfs_dev_open("/tmp", true, &dev), -ENODEV);
	assert_int_equal(famfs_dev_open("/tmp", false, &dev), -ENODEV);
	snprintf(fifo, sizeof(fifo), "/tmp/famfs-devopen-fifo-%d", (int)getpid());
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(famfs_dev_open(fifo, false, &dev), -ENODEV);	/* no hang */
	unlink(fifo);
	assert_int_equal(famfs_dev_open("/dev/null", false, &dev), -ENODEV);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_size_of_what_was_opened),
		cmocka_unit_test(test_not_a_device),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
