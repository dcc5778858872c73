/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cp.h - what famfs cp's two files share: the plan (cp_plan.c: sources
 * walked without following links, names, log slots and a dry run of the
 * allocator) and its execution (cmd_cp.c: commit under the log lock, copy
 * outside it).
 */
#ifndef FAMFS_CLI_CP_H
#define FAMFS_CLI_CP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "famfs/alloc.h"
#include "famfs/fs.h"
#include "famfs/omf.h"

/* One thing to create: a directory, or a file and where its bytes come from. */
struct cp_item {
	char *src;			/* the source path, for messages */
	int top;			/* cp_plan.tops[] it lies below, or -1: an operand */
	char *below;			/* its path below that directory (top >= 0) */
	char rel[FAMFS_OMF_PATH_MAX];	/* the destination, relative to the root */
	bool dir;
	bool skip;			/* a directory that exists already */
	bool existing;			/* a file that exists with this size: copied
					   again (upstream's restartable copy), not logged */
	uint64_t size;			/* from fstat of the opened source */
	uint32_t mode;
	dev_t dev;			/* the source's identity when it was planned */
	ino_t ino;
	struct famfs_omf_fmap fmap;	/* files: the memory the dry run found */
	const struct famfs_node *node;	/* files: once logged */
};

struct cp_plan {
	struct cp_item *it;
	size_t n, cap;
	int *tops;			/* descriptors of the directory operands, held open */
	size_t ntops;
	uint64_t bytes, space, entries, files, links;
	uint64_t omitted;		/* directory operands not copied (no -r) */
	bool recursive;
	bool mode_set;
	uint32_t mode;
};

/*
 * Plan the operand @src (followed if it is a link, as cp -H does) to the
 * destination @rel. A directory is walked (with -r) without following any
 * link below it: links are reported and skipped, every other entry is
 * opened with O_NOFOLLOW and described by fstat of that descriptor. A
 * directory operand without -r is reported and left out (p->omitted), as
 * upstream does for wildcard sources: the rest is copied, and cp fails.
 * Prints the error and returns CLI_FAIL when the copy must be refused.
 */
int cp_plan_operand(struct cp_plan *p, const char *src, const char *rel);

/*
 * With the log lock held: check every destination name (a file that exists
 * with the source's size is copied again, as upstream's restartable copies
 * are; any other existing name refuses) and the free log slots, then
 * dry-run the allocator on a copy of the bitmap for every file
 * in plan order (filling each item's fmap). Prints the error and returns
 * CLI_FAIL when the copy does not fit; nothing is logged then.
 */
int cp_plan_check(struct cp_plan *p, struct famfs_fs *fs,
		  const struct famfs_interleave_param *ip);

/*
 * Open the source of file item @it for copying, with no link followed
 * below its operand, and check that it is still the file that was planned.
 * Returns the descriptor and its current size in *@size, or a negative
 * errno with a detail (famfs_err).
 */
int cp_open_source(const struct cp_plan *p, const struct cp_item *it, uint64_t *size);

void cp_plan_free(struct cp_plan *p);

#endif
