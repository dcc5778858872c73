// SPDX-License-Identifier: Apache-2.0
/*
 * famfs_logcraft.c - test tool: fill the empty log of a fresh famfs image
 * with crafted, valid entries that make replay hold as much memory as the
 * log allows, for the memory-bound test and its measurements.
 *
 *   famfs_logcraft IMG deep [N]    N FILE entries (default: every slot),
 *                                  each 39 levels deep with a top directory
 *                                  of its own ("0Ab/a/a/.../a/f"): 38
 *                                  implicit directories per entry, none
 *                                  shared (issue 18's hostile log)
 *   famfs_logcraft IMG worst [N]   the most nodes replay accepts: deep
 *                                  entries until the implicit directories
 *                                  reach the cap (one per log slot), then
 *                                  FILE entries at the root
 *
 * Every file is 2 MiB at its own extent, one after the other from the start
 * of the data area: the device must hold N x 2 MiB after the log (a sparse
 * file costs nothing). The log header is updated last, with a valid CRC.
 * Prints "entries N implicit M". Exit: 0 done, 1 error, 2 usage.
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "famfs/err.h"
#include "famfs/omf.h"

#define DEPTH_DIRS	38	/* implicit directories of one deep path */

static const char b62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

static int die(const char *what, const char *why)
{
	fprintf(stderr, "famfs_logcraft: %s: %s\n", what, why);
	return 1;
}

/* "XYZ/a/a/.../a/f": a top directory of its own, then 37 more and a file. */
static void deep_path(uint64_t i, char out[FAMFS_OMF_PATH_MAX])
{
	int n = snprintf(out, FAMFS_OMF_PATH_MAX, "%c%c%c", b62[i / 3844 % 62],
			 b62[i / 62 % 62], b62[i % 62]);

	for (int k = 0; k < DEPTH_DIRS - 1; k++)
		n += snprintf(out + n, FAMFS_OMF_PATH_MAX - n, "/a");
	snprintf(out + n, FAMFS_OMF_PATH_MAX - n, "/f");
}

int main(int argc, char **argv)
{
	uint8_t sbb[FAMFS_SB_SIZE], hb[FAMFS_LOG_HDR_SIZE];
	struct famfs_omf_log_hdr hdr;
	struct famfs_omf_entry e;
	struct famfs_omf_sb sb;
	uint64_t nslots, n, ndeep, implicit, data, i;
	uint8_t *buf;
	bool worst;
	struct stat st;
	int fd;

	if (argc < 3 || argc > 4 || (strcmp(argv[2], "deep") && strcmp(argv[2], "worst"))) {
		fprintf(stderr, "usage: famfs_logcraft IMG deep|worst [N]\n");
		return 2;
	}
	worst = !strcmp(argv[2], "worst");
	fd = open(argv[1], O_RDWR);
	if (fd < 0 || fstat(fd, &st) < 0)
		return die(argv[1], strerror(errno));
	if (pread(fd, sbb, sizeof(sbb), 0) != (ssize_t)sizeof(sbb) ||
	    famfs_omf_sb_decode(sbb, sizeof(sbb), &sb))
		return die(argv[1], "no valid superblock");
	if (pread(fd, hb, sizeof(hb), (off_t)sb.log_offset) != (ssize_t)sizeof(hb) ||
	    famfs_omf_log_hdr_decode(hb, sizeof(hb), sb.log_len, &hdr))
		return die(argv[1], "no valid log header");
	if (hdr.next_index)
		return die(argv[1], "the log is not empty");
	nslots = famfs_log_nslots(sb.log_len);
	n = argc == 4 ? strtoull(argv[3], NULL, 0) : nslots;
	if (n > nslots || n > 62ULL * 62 * 62)
		return die(argv[1], "more entries than the log (or 238328) holds");
	data = sb.log_offset + sb.log_len;
	if (data + n * FAMFS_ALLOC_UNIT > sb.dev_size || data + n * FAMFS_ALLOC_UNIT >
	    (uint64_t)st.st_size)
		return die(argv[1], "the device is too small for that many 2 MiB files");
	/* The cap is one implicit directory per log slot (lib/ns.c). */
	ndeep = worst ? nslots / DEPTH_DIRS : n;
	if (ndeep > n)
		ndeep = n;
	buf = calloc(n, FAMFS_LOG_ENTRY_SIZE);
	if (!buf)
		return die(argv[1], "out of memory");
	for (i = 0; i < n; i++) {
		memset(&e, 0, sizeof(e));
		e.seqnum = i;
		e.type = FAMFS_LOG_FILE;
		e.file.size = FAMFS_ALLOC_UNIT;
		e.file.flags = FAMFS_FM_ALL_HOSTS_RW;
		e.file.mode = 0644;
		if (i < ndeep)
			deep_path(i, e.file.relpath);
		else
			snprintf(e.file.relpath, sizeof(e.file.relpath), "w%llu",
				 (unsigned long long)i);
		e.file.fmap.ext_type = FAMFS_EXT_SIMPLE;
		e.file.fmap.nextents = 1;
		e.file.fmap.se[0].offset = data + i * FAMFS_ALLOC_UNIT;
		e.file.fmap.se[0].len = FAMFS_ALLOC_UNIT;
		famfs_omf_entry_encode(&e, buf + i * FAMFS_LOG_ENTRY_SIZE);
	}
	if (pwrite(fd, buf, n * FAMFS_LOG_ENTRY_SIZE,
		   (off_t)(sb.log_offset + FAMFS_LOG_HDR_SIZE)) != (ssize_t)(n * FAMFS_LOG_ENTRY_SIZE))
		return die(argv[1], strerror(errno));
	hdr.next_index = hdr.next_seqnum = n;
	famfs_omf_log_hdr_encode(&hdr, hb);
	if (pwrite(fd, hb, sizeof(hb), (off_t)sb.log_offset) != (ssize_t)sizeof(hb) || fsync(fd))
		return die(argv[1], strerror(errno));
	implicit = ndeep * DEPTH_DIRS;
	printf("entries %llu implicit %llu\n", (unsigned long long)n,
	       (unsigned long long)implicit);
	free(buf);
	return close(fd) ? die(argv[1], strerror(errno)) : 0;
}
