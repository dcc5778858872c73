// SPDX-License-Identifier: Apache-2.0
/*
 * famfs_logstress.c - concurrency test driver: a master that appends many
 * entries, and readers that replay the log in a tight loop meanwhile.
 *
 *   famfs_logstress append DEV N
 *       append N entries via famfs_fs_mkdir/creat: pairs of "dI" and
 *       "dI/f" (4 KiB files), one lock per entry, as separate creats do.
 *   famfs_logstress read DEV UNTIL SECONDS
 *       print "ready" once the device is open (the test starts the master
 *       only then), and loop until next_index >= UNTIL (or SECONDS pass):
 *       read every newly committed entry with famfs_log_read, count any
 *       that fail to validate (torn/invalid) or that differ from what the
 *       master writes at that index (type, path, size, mode: "wrong"),
 *       remember each file entry's size and first extent, and on every
 *       pass re-read a sample of older entries and check they never
 *       changed. A famfs_fs instance catches up in the same loop and its
 *       namespace must agree. Counts the passes that saw the log part
 *       written (0 < next_index < UNTIL). Prints one summary line; exit 1
 *       if anything was torn, invalid, wrong or changed, or if no pass saw
 *       a partly written log (the reader did not run alongside the master).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "famfs/err.h"
#include "famfs/fs.h"
#include "famfs/log.h"

struct seen {
	uint64_t size;
	uint64_t off;
	uint32_t type;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Entry @i as do_append() writes it: an even index is mkdir "dI" (0755),
 * an odd one creat "dI-1/f" of 4096 + I bytes (0644). Returns 0 when @e
 * matches; otherwise 1 with a description in @why.
 */
static int known_entry(uint64_t i, const struct famfs_omf_entry *e, char *why, size_t len)
{
	char want[64];

	if (i % 2 == 0) {
		snprintf(want, sizeof(want), "d%" PRIu64, i);
		if (e->type != FAMFS_LOG_MKDIR || strcmp(e->mkdir.relpath, want) ||
		    e->mkdir.mode != 0755) {
			snprintf(why, len, "entry %" PRIu64 ": want mkdir %s 0755, got type %u "
				 "path '%.80s' mode %o", i, want, e->type, e->mkdir.relpath,
				 e->mkdir.mode);
			return 1;
		}
		return 0;
	}
	snprintf(want, sizeof(want), "d%" PRIu64 "/f", i - 1);
	if (e->type != FAMFS_LOG_FILE || strcmp(e->file.relpath, want) ||
	    e->file.size != 4096 + i || e->file.mode != 0644) {
		snprintf(why, len, "entry %" PRIu64 ": want file %s of %" PRIu64 " bytes 0644, "
			 "got type %u path '%.80s' size %" PRIu64 " mode %o", i, want, 4096 + i,
			 e->type, e->file.relpath, e->file.size, e->file.mode);
		return 1;
	}
	return 0;
}

static int do_append(const char *dev, uint64_t n)
{
	struct famfs_fs *fs;
	char path[64];
	uint64_t i;
	int rc;

	rc = famfs_fs_open(dev, FAMFS_FS_WRITE, &fs);
	if (rc) {
		fprintf(stderr, "append: %s\n", famfs_errmsg());
		return 1;
	}
	for (i = 0; i < n; i++) {
		if (i % 2 == 0) {
			snprintf(path, sizeof(path), "d%" PRIu64, i);
			rc = famfs_fs_mkdir(fs, path, 0755, 0, 0, false);
		} else {
			snprintf(path, sizeof(path), "d%" PRIu64 "/f", i - 1);
			rc = famfs_fs_creat(fs, path, 4096 + i, 0644, 0, 0, NULL, NULL);
		}
		if (rc) {
			fprintf(stderr, "append %s: %s\n", path, famfs_errmsg());
			famfs_fs_close(fs);
			return 1;
		}
	}
	famfs_fs_close(fs);
	printf("appended %" PRIu64 " entries\n", n);
	return 0;
}

static int do_read(const char *dev, uint64_t until, double secs)
{
	struct famfs_omf_entry e;
	struct famfs_fs *fs;
	struct seen *seen;
	uint64_t have = 0, next, i, passes = 0, reads = 0, bad = 0, changed = 0, nsbad = 0;
	uint64_t wrong = 0, partial = 0;
	char why[256];
	double end = now() + secs;
	int rc;

	rc = famfs_fs_open(dev, 0, &fs);
	if (rc) {
		fprintf(stderr, "read: %s\n", famfs_errmsg());
		return 1;
	}
	seen = calloc(fs->log->nslots, sizeof(*seen));
	if (!seen)
		return 1;
	printf("ready\n");
	fflush(stdout);
	while (have < until && now() < end) {
		passes++;
		next = famfs_log_next_index(fs->log);
		if (next > 0 && next < until)
			partial++;
		for (i = have; i < next; i++) {
			reads++;
			if (famfs_log_read(fs->log, i, &e)) {
				bad++;
				fprintf(stderr, "torn/invalid: %s\n", famfs_errmsg());
				continue;
			}
			if (known_entry(i, &e, why, sizeof(why))) {
				if (wrong++ < 5)
					fprintf(stderr, "wrong: %s\n", why);
			}
			seen[i].type = e.type;
			if (e.type == FAMFS_LOG_FILE) {
				seen[i].size = e.file.size;
				seen[i].off = e.file.fmap.se[0].offset;
			}
		}
		have = next;
		/* Re-read a sample of older entries: committed means immutable. */
		for (i = passes % 7; i < have; i += 97) {
			reads++;
			if (famfs_log_read(fs->log, i, &e)) {
				bad++;
				continue;
			}
			if (e.type != seen[i].type || (e.type == FAMFS_LOG_FILE &&
			    (e.file.size != seen[i].size || e.file.fmap.se[0].offset != seen[i].off)))
				changed++;
		}
		if (famfs_fs_catchup(fs) < 0 || fs->replay_err)
			nsbad++;
	}
	/* The namespace must hold every file exactly as the raw reads saw it. */
	famfs_fs_catchup(fs);
	for (i = 0; i < have; i++) {
		struct famfs_node *n = famfs_ns_by_ino(fs->ns, i + 2);

		if (!n || (seen[i].type == FAMFS_LOG_FILE &&
			   (n->size != seen[i].size || n->fmap->se[0].offset != seen[i].off)))
			nsbad++;
	}
	printf("reader: %" PRIu64 " passes (%" PRIu64 " while the log was partly written), "
	       "%" PRIu64 " entry reads, %" PRIu64 " entries, %" PRIu64 " torn/invalid, "
	       "%" PRIu64 " wrong, %" PRIu64 " changed, %" PRIu64 " namespace errors\n",
	       passes, partial, reads, have, bad, wrong, changed, nsbad);
	free(seen);
	famfs_fs_close(fs);
	if (have < until) {
		fprintf(stderr, "reader: saw only %" PRIu64 " of %" PRIu64 " entries\n", have, until);
		return 1;
	}
	if (!partial) {
		fprintf(stderr, "reader: no pass saw 0 < next_index < %" PRIu64
			": it never ran alongside the master\n", until);
		return 1;
	}
	return bad || wrong || changed || nsbad ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "append"))
		return do_append(argv[2], strtoull(argv[3], NULL, 0));
	if (argc == 5 && !strcmp(argv[1], "read"))
		return do_read(argv[2], strtoull(argv[3], NULL, 0), strtod(argv[4], NULL));
	fprintf(stderr, "usage: famfs_logstress append DEV N | read DEV UNTIL SECONDS\n");
	return 2;
}
