// SPDX-License-Identifier: Apache-2.0
/*
 * daxtab.c - the per-process device table of the direct-access client:
 * device index -> device path, learned once with GET_DAXDEV or from the
 * BPF device map. It keeps names, not descriptors: each mapping operation
 * opens the devices it needs and closes them when done (map.c). One lock
 * guards it; fork handlers keep that lock usable in a child.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>

#include "famfs/err.h"
#include "famfs/ioctl.h"
#include "famfs/omf.h"
#include "map_int.h"

struct daxdev_slot {
	bool valid;
	char name[FAMFS_DAXDEV_NAME_MAX];
};

static pthread_mutex_t dax_lock = PTHREAD_MUTEX_INITIALIZER;
static struct daxdev_slot dax_table[FAMFS_MAX_DAXDEVS];
static pthread_once_t dax_once = PTHREAD_ONCE_INIT;

void famfs_daxtab_lock(void)
{
	pthread_mutex_lock(&dax_lock);
}

void famfs_daxtab_unlock(void)
{
	pthread_mutex_unlock(&dax_lock);
}

static void dax_init(void)
{
	pthread_atfork(famfs_daxtab_lock, famfs_daxtab_unlock, famfs_daxtab_unlock);
}

void famfs_daxtab_init(void)
{
	pthread_once(&dax_once, dax_init);
}

/* Fill slot @idx with @name unless it is known; caller holds dax_lock. */
static void slot_set(unsigned int idx, const char *name)
{
	if (!dax_table[idx].valid) {
		memcpy(dax_table[idx].name, name, sizeof(dax_table[idx].name));
		dax_table[idx].valid = true;
	}
}

void famfs_daxtab_set(unsigned int idx, const char *name)
{
	pthread_mutex_lock(&dax_lock);
	slot_set(idx, name);
	pthread_mutex_unlock(&dax_lock);
}

/*
 * Make sure slot @idx knows its device name, asking famfsd (GET_DAXDEV on
 * @fd) only when the slot is empty. Concurrent callers may both ask; the
 * first answer wins.
 */
int famfs_daxtab_learn(int fd, unsigned int idx)
{
	uint8_t buf[FAMFS_DAXDEV_OUT_SIZE];
	char name[FAMFS_DAXDEV_NAME_MAX];
	uint16_t got;
	bool known;
	long r;
	int err;

	if (idx >= FAMFS_MAX_DAXDEVS)
		return famfs_err(-EINVAL, "fmap: device index %u out of range", idx);
	pthread_mutex_lock(&dax_lock);
	known = dax_table[idx].valid;
	pthread_mutex_unlock(&dax_lock);
	if (known)
		return 0;

	memset(buf, 0, sizeof(buf));
	buf[0] = idx & 0xff;
	buf[1] = (idx >> 8) & 0xff;
	r = famfs_raw_ioctl(fd, FAMFS_IOC_GET_DAXDEV, buf);
	if (r < 0)
		return famfs_err((int)r, "GET_DAXDEV %u: %s", idx, strerror((int)-r));
	err = famfs_daxdev_out_decode(buf, sizeof(buf), &got, name);
	if (err)
		return famfs_err(err, "GET_DAXDEV %u: bad reply", idx);
	famfs_daxtab_set(idx, name);
	return 0;
}

int famfs_daxtab_devfd(void *ctx, uint64_t idx, bool writable, int *fdp)
{
	char name[FAMFS_DAXDEV_NAME_MAX];
	bool valid;
	int fd;

	(void)ctx;
	if (idx >= FAMFS_MAX_DAXDEVS)
		return famfs_err(-EINVAL, "fmap: device index %llu out of range",
				 (unsigned long long)idx);
	pthread_mutex_lock(&dax_lock);
	valid = dax_table[idx].valid;
	memcpy(name, dax_table[idx].name, sizeof(name));
	pthread_mutex_unlock(&dax_lock);
	if (!valid)
		return famfs_err(-ENODEV, "device %llu unknown", (unsigned long long)idx);
	fd = famfs_raw_open(name, writable ? O_RDWR : O_RDONLY);
	if (fd < 0)
		return famfs_err(fd, "device %s: %s", name, strerror(-fd));
	*fdp = fd;
	return 0;
}
