// SPDX-License-Identifier: Apache-2.0
/*
 * fsck_rm.c - fsck's view of who owns each allocation unit (so a
 * collision names both files) and of the rm feature (docs/rm.md): the rm
 * block, DELETE entries, the reclaim horizons of FILE entries and the
 * reuse rule, space pending reuse, and hosts in the table that block it.
 * Read-only: it never writes the device.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <uuid/uuid.h>

#include "famfs/err.h"
#include "famfs/hosts.h"
#include "fsck_rm.h"

int fsck_rm_init(struct fsck_rm *r, struct famfs_dev *dev, const struct famfs_omf_sb *sb,
		 fsck_report_fn report, void *rc)
{
	struct famfs_rm_block b;
	int err;

	memset(r, 0, sizeof(*r));
	r->report = report;
	r->rc = rc;
	r->au = sb->alloc_unit;
	famfs_errclear();
	err = famfs_rm_block_read(dev->base, sb, &b);
	if (err == -ENOENT) {
		famfs_errclear();
		if (famfs_rm_block_orphan(dev->base, sb, &b))
			report(rc, FAMFS_FSCK_ERROR, "the rm flag is clear, but the file system's "
			       "rm block is there (deletes since log entry %" PRIu64 "): "
			       "famfs refuses it until famfs tune -O rm sets the flag again",
			       b.since);
		return 0;
	}
	r->rm = true;
	if (err) {
		report(rc, FAMFS_FSCK_ERROR, "%s; deletes are checked as if made at mkfs",
		       famfs_errmsg());
		return 0;
	}
	r->since = b.since;
	report(rc, FAMFS_FSCK_INFO, "rm feature: deletes since log entry %" PRIu64 ", host "
	       "table of %u slots", b.since, b.nslots);
	return 0;
}

void fsck_rm_fini(struct fsck_rm *r)
{
	for (unsigned int d = 0; d < FAMFS_MAX_DAXDEVS; d++) {
		free(r->owner[d]);
		r->owner[d] = NULL;
	}
}

/*
 * The owners of device @d's units (made when first needed), or NULL when
 * @d is not a device of the set or memory is short (overlaps are then
 * counted without names).
 */
static uint64_t *owners(struct fsck_rm *r, const struct famfs_allocset *a, uint64_t d)
{
	if (d >= a->ndevs)
		return NULL;
	if (!r->owner[d])
		r->owner[d] = calloc(a->dev[d].nbits ? a->dev[d].nbits : 1, sizeof(uint64_t));
	return r->owner[d];
}

/* The path of the node log entry @index made, for messages. */
static const char *entry_path(struct famfs_ns *ns, uint64_t index, char *buf, size_t len)
{
	struct famfs_node *n = index < FAMFS_INO_IMPLICIT - 2 ? famfs_ns_by_ino(ns, index + 2) :
			       NULL;

	if (!n || famfs_ns_path(n, buf, len))
		snprintf(buf, len, "?");
	return buf;
}

void fsck_rm_delete(struct fsck_rm *r, struct famfs_ns *ns, struct famfs_allocset *a,
		    struct famfs_fsck_result *res, uint64_t i, const struct famfs_omf_entry *e)
{
	const struct famfs_omf_delete *d = &e->del;
	struct famfs_node *n = NULL;
	const char *m;
	int rc;

	if (!r->rm || i < r->since) {
		r->report(r->rc, FAMFS_FSCK_ERROR, "log entry %" PRIu64 " (%s): a delete %s", i,
			  d->relpath, r->rm ? "before the rm feature was turned on" :
			  "on a file system without the rm feature");
		res->bad_entries++;
		return;
	}
	if (d->target != FAMFS_DELETE_IMPLICIT && d->target < FAMFS_INO_IMPLICIT - 2)
		n = famfs_ns_by_ino(ns, d->target + 2);
	famfs_errclear();
	rc = famfs_ns_apply(ns, i, e);
	if (rc) {
		m = famfs_errmsg()[0] ? famfs_errmsg() : strerror(-rc);
		if (!strncmp(m, "entry ", 6) && strstr(m, ": "))
			m = strstr(m, ": ") + 2;
		r->report(r->rc, FAMFS_FSCK_ERROR, "log entry %" PRIu64 " (%s): %s", i,
			  d->relpath, m);
		return;
	}
	res->deletes++;
	if (!n || !S_ISREG(n->mode))
		return;
	famfs_errclear();
	rc = famfs_allocset_delete(a, n->fmap, i);
	if (!rc)
		res->file_bytes -= n->size < res->file_bytes ? n->size : res->file_bytes;
	else
		r->report(r->rc, FAMFS_FSCK_ERROR, "log entry %" PRIu64 " (%s): %s", i, d->relpath,
			  famfs_errmsg()[0] ? famfs_errmsg() : strerror(-rc));
}

/* The extents (or strips) of @f, clipped to the device. */
static uint64_t fmap_list(const struct famfs_omf_fmap *f, const struct famfs_omf_extent **x)
{
	if (f->ext_type == FAMFS_EXT_INTERLEAVE) {
		*x = f->strips;
		return f->nstrips > FAMFS_OMF_MAX_STRIPS ? FAMFS_OMF_MAX_STRIPS : f->nstrips;
	}
	*x = f->se;
	return f->nextents > FAMFS_OMF_MAX_SIMPLE_EXTENTS ? FAMFS_OMF_MAX_SIMPLE_EXTENTS :
	       f->nextents;
}

uint64_t fsck_rm_file(struct fsck_rm *r, struct famfs_ns *ns, struct famfs_allocset *a,
		      uint64_t i, const struct famfs_omf_entry *e)
{
	const struct famfs_omf_extent *x;
	uint64_t h = e->file.horizon, n, bad = 0, last = 0, units = 0;
	char mine[FAMFS_OMF_PATH_MAX], other[FAMFS_OMF_PATH_MAX];
	bool pend = false, grp = false;

	snprintf(mine, sizeof(mine), "%s", e->file.relpath);
	if (r->rm && i < r->since)
		h = 0;		/* logged before deletes: padding, not a horizon (as replay) */
	if (!r->rm && h)
		r->report(r->rc, FAMFS_FSCK_WARN, "log entry %" PRIu64 " (%s): the padding after "
			  "fmap_nextents is 0x%" PRIx64 " (zero without the rm feature)", i, mine, h);
	if (r->rm && h > i)
		r->report(r->rc, FAMFS_FSCK_ERROR, "log entry %" PRIu64 " (%s): reclaim horizon %"
			  PRIu64 " is past the entry itself", i, mine, h);
	else if (r->rm && h > r->horizon) {
		famfs_allocset_reclaim(a, h);
		r->horizon = h;
	}
	n = fmap_list(&e->file.fmap, &x);
	for (uint64_t k = 0; k < n; k++) {
		uint64_t s = x[k].offset / r->au, c = x[k].len / r->au;
		uint64_t *own = owners(r, a, x[k].devindex);
		const struct famfs_alloc *da;

		if (!own)
			continue;
		da = &a->dev[x[k].devindex];
		for (uint64_t u = s; u < s + c && u < da->nbits; u++) {
			uint64_t owner = own[u];
			bool used = (da->bits[u >> 6] >> (u & 63)) & 1;
			bool p = da->pend && ((da->pend[u >> 6] >> (u & 63)) & 1);

			if (!used)
				continue;
			if (grp && owner == last && p == pend) {
				units++;
				continue;
			}
			bad += units;
			grp = true;
			last = owner;
			pend = p;
			units = 1;
			entry_path(ns, owner - 1, other, sizeof(other));
			if (!owner)
				r->report(r->rc, FAMFS_FSCK_ERROR, "log entry %" PRIu64 " (%s): memory "
					  "at 0x%" PRIx64 " is the superblock's or the log's", i, mine,
					  u * r->au);
			else if (p)
				r->report(r->rc, FAMFS_FSCK_ERROR, "log entry %" PRIu64 " (%s) reuses "
					  "memory of log entry %" PRIu64 " (%s), deleted but not "
					  "reusable yet (horizon %" PRIu64 "): a reuse that broke the "
					  "rule", i, mine, owner - 1, other, h);
			else
				r->report(r->rc, FAMFS_FSCK_ERROR, "log entry %" PRIu64 " (%s) "
					  "overlaps log entry %" PRIu64 " (%s) at 0x%" PRIx64, i, mine,
					  owner - 1, other, u * r->au);
		}
	}
	return bad + units;
}

void fsck_rm_own(struct fsck_rm *r, const struct famfs_allocset *a, uint64_t i,
		 const struct famfs_omf_fmap *f)
{
	const struct famfs_omf_extent *x;
	uint64_t n = fmap_list(f, &x);

	for (uint64_t k = 0; k < n; k++) {
		uint64_t s = x[k].offset / r->au, c = x[k].len / r->au;
		uint64_t *own = owners(r, a, x[k].devindex);

		for (uint64_t u = s; own && u < s + c && u < a->dev[x[k].devindex].nbits; u++)
			own[u] = i + 1;
	}
}

void fsck_rm_finish(struct fsck_rm *r, struct famfs_dev *dev, const struct famfs_omf_sb *sb,
		    const struct famfs_allocset *a, uint64_t next, struct famfs_fsck_result *res)
{
	struct famfs_hosts *h = NULL;
	struct famfs_host_slot s;
	uint64_t hz = 0, reusable = 0, below;
	char u[37];

	res->rm = r->rm;
	res->pending_bytes = famfs_allocset_pending_bytes(a);
	for (uint32_t d = 0; d < a->ndevs && d < FAMFS_MAX_DAXDEVS; d++)
		res->devs[d].pending_bytes = famfs_alloc_pending_bytes(&a->dev[d]);
	if (!r->rm)
		return;
	famfs_errclear();
	if (famfs_hosts_open(dev->path, sb, false, &h)) {
		r->report(r->rc, FAMFS_FSCK_WARN, "host table: %s; deleted memory counted as "
			  "pending", famfs_errmsg());
		famfs_errclear();
	} else {
		hz = famfs_hosts_horizon(h, next, false, NULL);
		for (unsigned int i = 0; i < h->blk.nslots; i++) {
			if (famfs_hosts_read(h, i, &s) || s.state == FAMFS_SLOT_FREE)
				continue;
			if (s.state == FAMFS_SLOT_BAD) {
				r->report(r->rc, FAMFS_FSCK_WARN, "host table slot %u: damaged record: "
					  "blocks reuse of deleted memory until evicted", i);
				res->stale_hosts++;
				continue;
			}
			if (s.state != FAMFS_SLOT_ACTIVE)
				continue;
			res->hosts++;
			if (!famfs_host_stale(&s))
				continue;
			res->stale_hosts++;
			uuid_unparse(s.rec.host_uuid, u);
			r->report(r->rc, FAMFS_FSCK_WARN, "host table slot %u: %s of host %s (%s, "
				  "pid %u) not answering (%s%slast seen %" PRIu64 " s ago, replayed %"
				  PRIu64 "): it blocks reuse of deleted memory (famfs host evict)",
				  i, s.rec.kind == FAMFS_HOST_FAMFSD ? "famfsd" : "a famfs command",
				  u, s.rec.name, s.rec.pid, s.why, s.why[0] ? ", " : "",
				  famfs_host_age(&s.rec), s.rec.replayed);
		}
		famfs_hosts_close(h);
	}
	if (hz > next)
		hz = next;
	/* Per device: a deleted extent is reusable only where it lies. */
	for (uint32_t d = 0; d < a->ndevs && d < FAMFS_MAX_DAXDEVS; d++) {
		below = famfs_alloc_pending_below(&a->dev[d], hz);
		res->devs[d].pending_bytes -= below;
		reusable += below;
	}
	res->pending_bytes -= reusable;
	r->report(r->rc, FAMFS_FSCK_INFO, "rm: %" PRIu64 " deletes, %" PRIu64 " bytes deleted and "
		  "not yet reusable, %" PRIu64 " reusable now (reclaim horizon %" PRIu64 ", %u "
		  "hosts registered)", res->deletes, res->pending_bytes, reusable, hz, res->hosts);
}
