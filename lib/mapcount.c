// SPDX-License-Identifier: Apache-2.0
/*
 * mapcount.c - the mapping budget of the direct-access client: a file of
 * many segments needs one mapping (VMA) each, and a process may hold at
 * most vm.max_map_count. Checked before a large file is mapped, and used
 * to explain an mmap that failed with ENOMEM.
 *
 * The check reads /proc/self/maps, whose cost grows with the mappings the
 * process has, so map.c makes it only for files of more segments than a
 * sixteenth of vm.max_map_count (4095 by default: an 8 GiB file of 2 MiB
 * chunks); a smaller file that does not fit fails its mmap with ENOMEM,
 * explained the same way. vm.max_map_count itself is read once per
 * process for that threshold.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "famfs/err.h"
#include "famfs/map.h"
#include "map_int.h"

/* Number of lines of /proc/self/maps, i.e. the process's mappings. */
static long count_maps(void)
{
	char buf[16384];
	long lines = 0;
	ssize_t n, i;
	int fd = famfs_raw_open("/proc/self/maps", O_RDONLY);

	if (fd < 0)
		return fd;
	while ((n = syscall(SYS_read, fd, buf, sizeof(buf))) > 0)
		for (i = 0; i < n; i++)
			lines += buf[i] == '\n';
	if (n < 0)
		lines = -errno;
	famfs_raw_close(fd);
	return lines;
}

static long max_map_count(void)
{
	char buf[64];

	if (famfs_raw_read_small("/proc/sys/vm/max_map_count", buf, sizeof(buf)) <= 0)
		return -1;
	return strtol(buf, NULL, 10);
}

long famfs_map_check_min(void)
{
	static atomic_long min;
	long v = atomic_load_explicit(&min, memory_order_relaxed);

	if (!v) {
		v = max_map_count() / 16;
		if (v < 16)
			v = 16;
		atomic_store_explicit(&min, v, memory_order_relaxed);
	}
	return v;
}

int famfs_map_check_count(long nsegs)
{
	long max = max_map_count();
	long cur;

	if (max <= 0)
		return 0;
	cur = count_maps();
	if (cur < 0)
		return 0;
	if (cur + nsegs > max - FAMFS_MAP_COUNT_MARGIN)
		return famfs_err(-ENOMEM, "mapping needs %ld mappings, the process has %ld, "
				 "vm.max_map_count is %ld (keeping %d free): raise "
				 "vm.max_map_count or use larger chunks", nsegs, cur, max,
				 FAMFS_MAP_COUNT_MARGIN);
	return 0;
}

int famfs_map_enomem(long nsegs)
{
	return famfs_err(-ENOMEM, "mmap of %ld segments failed: out of memory or "
			 "vm.max_map_count (%ld) reached with %ld mappings", nsegs,
			 max_map_count(), count_maps());
}
