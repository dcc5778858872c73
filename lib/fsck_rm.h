/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fsck_rm.h - private to libfamfs: what fsck (lib/fsck.c) checks of the rm
 * feature and of who owns each allocation unit (lib/fsck_rm.c).
 */
#ifndef FAMFS_FSCK_RM_PRIV_H
#define FAMFS_FSCK_RM_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "famfs/alloc.h"
#include "famfs/allocset.h"
#include "famfs/dev.h"
#include "famfs/fsck.h"
#include "famfs/ns.h"
#include "famfs/omf.h"

/* fsck.c's reporter: one problem, counted in the result. */
typedef void (*fsck_report_fn)(void *rc, enum famfs_fsck_sev sev, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

struct fsck_rm {
	bool rm;			/* the superblock has the feature */
	uint64_t since;			/* deletes are valid from this index */
	uint64_t horizon;		/* the largest FILE horizon replayed */
	uint64_t au;
	/* per device, per unit: 1 + the index of the FILE entry (NULL until used) */
	uint64_t *owner[FAMFS_MAX_DAXDEVS];
	fsck_report_fn report;
	void *rc;
};

/* Read the rm block (a damaged one is an error); -ENOMEM. */
int fsck_rm_init(struct fsck_rm *r, struct famfs_dev *dev, const struct famfs_omf_sb *sb,
		 fsck_report_fn report, void *rc);
void fsck_rm_fini(struct fsck_rm *r);

/* A DELETE entry: its checks, and its file's memory made pending. */
void fsck_rm_delete(struct fsck_rm *r, struct famfs_ns *ns, struct famfs_allocset *a,
		    struct famfs_fsck_result *res, uint64_t i, const struct famfs_omf_entry *e);

/*
 * A FILE entry about to be marked: its horizon (reclaiming what it
 * passes), and each earlier file whose memory it overlaps, named: a live
 * one (a collision) or a deleted one that was not reusable yet (a broken
 * reuse). Returns the units reported.
 */
uint64_t fsck_rm_file(struct fsck_rm *r, struct famfs_ns *ns, struct famfs_allocset *a,
		      uint64_t i, const struct famfs_omf_entry *e);

/* FILE entry @i now owns its units, each on its own device. */
void fsck_rm_own(struct fsck_rm *r, const struct famfs_allocset *a, uint64_t i,
		 const struct famfs_omf_fmap *f);

/*
 * The end: pending and reusable space (in total and per device, in
 * res->devs[]), and hosts that block reuse.
 */
void fsck_rm_finish(struct fsck_rm *r, struct famfs_dev *dev, const struct famfs_omf_sb *sb,
		    const struct famfs_allocset *a, uint64_t next, struct famfs_fsck_result *res);

#endif
