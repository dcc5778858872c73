// SPDX-License-Identifier: Apache-2.0
/*
 * dev.c - the memory device: sizing a devdax char device or regular file,
 * and mapping it whole at a 2 MiB-aligned address. The CPU cache flush and
 * invalidate that make stores visible to other hosts are in cache.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "famfs/audit.h"
#include "famfs/dev.h"
#include "famfs/err.h"

#define DEV_ALIGN	(2ULL << 20)

/* Read a decimal byte count from the sysfs size file of char device @rdev. */
static int dev_sysfs_size(const char *path, dev_t rdev, uint64_t *size)
{
	char sysfs[128], buf[64];
	unsigned long long v;
	char *end;
	ssize_t n;
	int fd;

	snprintf(sysfs, sizeof(sysfs), "/sys/dev/char/%u:%u/size", major(rdev), minor(rdev));
	fd = open(sysfs, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return famfs_err(-ENODEV, "%s: char device %u:%u is not a devdax device (no %s)",
				 path, major(rdev), minor(rdev), sysfs);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return famfs_err(-ENODEV, "%s: cannot read %s", path, sysfs);
	buf[n] = '\0';
	errno = 0;
	v = strtoull(buf, &end, 10);
	if (errno || end == buf || (*end != '\n' && *end != '\0'))
		return famfs_err(-ENODEV, "%s: %s does not hold a byte count", path, sysfs);
	*size = v;
	return 0;
}

/* The size of the file @st describes (see famfs_dev_size). */
static int dev_stat_size(const char *path, const struct stat *st, uint64_t *size,
			 bool *is_daxdev)
{
	bool dax = false;
	int rc;

	if (S_ISCHR(st->st_mode)) {
		rc = dev_sysfs_size(path, st->st_rdev, size);
		if (rc)
			return rc;
		dax = true;
	} else if (S_ISREG(st->st_mode)) {
		*size = (uint64_t)st->st_size;
	} else {
		return famfs_err(-ENODEV, "%s: not a devdax device or regular file", path);
	}
	if (is_daxdev)
		*is_daxdev = dax;
	return 0;
}

int famfs_dev_size(const char *path, uint64_t *size, bool *is_daxdev)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return famfs_err(-errno, "%s: %s", path, strerror(errno));
	return dev_stat_size(path, &st, size, is_daxdev);
}

/*
 * Map @len bytes of @fd at a 2 MiB-aligned address: reserve len + 2 MiB of
 * PROT_NONE address space, map the device with MAP_FIXED at the first
 * aligned address inside it, and give back the slack on both sides.
 */
void *famfs_dev_map_aligned(int fd, uint64_t len, int prot)
{
	uint64_t resv_len = len + DEV_ALIGN;
	uint8_t *resv, *aligned, *p;
	uintptr_t a;

	resv = mmap(NULL, resv_len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		    -1, 0);
	if (resv == MAP_FAILED)
		return MAP_FAILED;
	a = ((uintptr_t)resv + DEV_ALIGN - 1) & ~(uintptr_t)(DEV_ALIGN - 1);
	aligned = (uint8_t *)a;
	p = mmap(aligned, len, prot, MAP_SHARED | MAP_FIXED, fd, 0);
	if (p == MAP_FAILED) {
		int e = errno;

		munmap(resv, resv_len);
		errno = e;
		return MAP_FAILED;
	}
	if (aligned > resv)
		munmap(resv, aligned - resv);
	if (aligned + len < resv + resv_len)
		munmap(aligned + len, (resv + resv_len) - (aligned + len));
	return p;
}

int famfs_dev_open(const char *path, bool writable, struct famfs_dev **out)
{
	struct famfs_dev *dev;
	struct stat st;
	uint64_t size = 0;
	bool dax = false;
	void *p;
	int rc, fd;

	*out = NULL;
	rc = famfs_cache_check();
	if (rc)
		return rc;
	if (strlen(path) >= sizeof(dev->path))
		return famfs_err(-ENAMETOOLONG, "device path is too long");
	/*
	 * Open first, then size what was opened (fstat): a path that names
	 * another file by the time of the open must not be mapped at the
	 * first file's size. O_NONBLOCK: opening a FIFO must not hang.
	 */
	fd = open(path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0 && errno == EISDIR)
		return famfs_err(-ENODEV, "%s: not a devdax device or regular file", path);
	if (fd < 0)
		return famfs_err(-errno, "%s: open: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0)
		rc = famfs_err(-errno, "%s: %s", path, strerror(errno));
	else
		rc = dev_stat_size(path, &st, &size, &dax);
	if (!rc && size < FAMFS_DEV_MIN_SIZE)
		rc = famfs_err(-EINVAL, "%s: size %" PRIu64 " is below 64 MiB; make a device "
			       "with: truncate -s 4G /dev/shm/famfs0", path, size);
	else if (!rc && size % DEV_ALIGN)
		rc = famfs_err(-EINVAL, "%s: size %" PRIu64 " is not a multiple of 2 MiB; "
			       "make a device with: truncate -s 4G /dev/shm/famfs0", path, size);
	if (rc) {
		close(fd);
		return rc;
	}
	p = famfs_dev_map_aligned(fd, size, writable ? PROT_READ | PROT_WRITE : PROT_READ);
	if (p == MAP_FAILED) {
		rc = -errno;
		close(fd);
		return famfs_err(rc, "%s: mmap of %" PRIu64 " bytes: %s", path, size,
				 strerror(-rc));
	}
	dev = calloc(1, sizeof(*dev));
	if (!dev) {
		munmap(p, size);
		close(fd);
		return famfs_err(-ENOMEM, "out of memory");
	}
	dev->fd = fd;
	dev->is_daxdev = dax;
	dev->writable = writable;
	dev->size = size;
	dev->base = p;
	snprintf(dev->path, sizeof(dev->path), "%s", path);
	famfs_audit_map(p, size, fd, 0);
	*out = dev;
	return 0;
}

void famfs_dev_close(struct famfs_dev *dev)
{
	if (!dev)
		return;
	if (dev->base) {
		famfs_audit_unmap(dev->base, dev->size);
		munmap(dev->base, dev->size);
	}
	if (dev->fd >= 0)
		close(dev->fd);
	free(dev);
}
