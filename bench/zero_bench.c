// SPDX-License-Identifier: Apache-2.0
/*
 * zero_bench.c - the store path of zeroing new files (what a devdax device
 * gets): famfs_zero_mem (non-temporal stores and a fence) against memset
 * followed by famfs_flush (write back every line), on the same populated
 * memory, side by side in each round. Prints the medians in GB/s and their
 * ratio.
 *
 *   zero_bench [MIB] [ROUNDS]     (default 256 MiB, 7 rounds)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "famfs/dev.h"
#include "famfs/zero.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 256, len = mib << 20;
	int rounds = argc > 2 ? atoi(argv[2]) : 7, r;
	double nt[64], ms[64], t;
	uint8_t *p;

	if (!mib || rounds < 1 || rounds > 64) {
		fprintf(stderr, "usage: zero_bench [MIB] [ROUNDS<=64]\n");
		return 2;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
		 -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	memset(p, 0xa5, len);
	for (r = 0; r < rounds; r++) {
		/* alternate which goes first */
		if (r % 2) {
			t = now_s(); memset(p, 0, len); famfs_flush(p, len); ms[r] = now_s() - t;
			memset(p, 0xa5, len);
			t = now_s(); famfs_zero_mem(p, len); nt[r] = now_s() - t;
		} else {
			t = now_s(); famfs_zero_mem(p, len); nt[r] = now_s() - t;
			memset(p, 0xa5, len);
			t = now_s(); memset(p, 0, len); famfs_flush(p, len); ms[r] = now_s() - t;
		}
		memset(p, 0xa5, len);
	}
	qsort(nt, (size_t)rounds, sizeof(double), cmp_double);
	qsort(ms, (size_t)rounds, sizeof(double), cmp_double);
	printf("zero %zu MiB, %d rounds, medians:\n", mib, rounds);
	printf("  famfs_zero_mem (non-temporal + sfence): %6.2f GB/s\n", len / nt[rounds / 2] / 1e9);
	printf("  memset + famfs_flush:                   %6.2f GB/s\n", len / ms[rounds / 2] / 1e9);
	printf("  ratio (time memset+flush / time nt):    %6.2f\n", ms[rounds / 2] / nt[rounds / 2]);
	printf("{\"zero_mib\": %zu, \"nt_GB_s\": %.2f, \"memset_flush_GB_s\": %.2f}\n", mib,
	       len / nt[rounds / 2] / 1e9, len / ms[rounds / 2] / 1e9);
	return 0;
}
