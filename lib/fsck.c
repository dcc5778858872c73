// SPDX-License-Identifier: Apache-2.0
/*
 * fsck.c - a read-only check of a whole famfs image. Unlike replay, it
 * visits every committed slot, reports each problem with its entry index
 * through a callback, and rebuilds the allocation bitmap to find extents
 * allocated twice. It never writes to the device.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uuid/uuid.h>

#include "famfs/alloc.h"
#include "famfs/allocset.h"
#include "famfs/devfind.h"
#include "famfs/devtab.h"
#include "famfs/err.h"
#include "famfs/fsck.h"
#include "famfs/log.h"
#include "famfs/meta.h"
#include "famfs/ns.h"
#include "famfs/omf.h"
#include "famfs/path.h"
#include "fsck_rm.h"

struct fsck_ctx {
	famfs_fsck_fn fn;
	void *ctx;
	struct famfs_fsck_result *res;
	struct fsck_rm rm;
};

static void report(void *rc, enum famfs_fsck_sev sev, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void report(void *rc, enum famfs_fsck_sev sev, const char *fmt, ...)
{
	struct fsck_ctx *c = rc;
	char msg[640];
	va_list ap;

	if (sev == FAMFS_FSCK_ERROR)
		c->res->errors++;
	else if (sev == FAMFS_FSCK_WARN)
		c->res->warnings++;
	if (!c->fn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->fn(c->ctx, sev, msg);
}

/* The library detail of the last failure, or strerror when none was set. */
static const char *why(int rc)
{
	const char *m = famfs_errmsg();

	return m[0] ? m : strerror(-rc);
}

/* Report a fatal decode error of @part; the decoders' details name it already. */
static void report_part(struct fsck_ctx *c, const char *part, int rc)
{
	const char *w = why(rc);

	if (!strncmp(w, part, strlen(part)))
		report(c, FAMFS_FSCK_ERROR, "%s", w);
	else
		report(c, FAMFS_FSCK_ERROR, "%s: %s", part, w);
}

/* Decode slot @i of the log at @log, with one retry after an invalidate. */
static int fsck_read(const uint8_t *log, uint64_t i, struct famfs_omf_entry *e)
{
	const uint8_t *slot = log + FAMFS_LOG_HDR_SIZE + i * FAMFS_LOG_ENTRY_SIZE;
	uint8_t buf[FAMFS_LOG_ENTRY_SIZE];
	int rc = 0, tries;

	for (tries = 0; tries < 2; tries++) {
		famfs_invalidate(slot, sizeof(buf));
		memcpy(buf, slot, sizeof(buf));
		famfs_errclear();
		rc = famfs_omf_entry_decode(buf, i, e);
		if (!rc)
			break;
	}
	return rc;
}

/* An ADD_DAXDEV entry: a table slot and a bitmap, with upstream's rules. */
static void fsck_daxdev(struct fsck_ctx *c, struct famfs_devtab *t, struct famfs_allocset *a,
			uint64_t i, const struct famfs_omf_entry *e)
{
	int rc;

	famfs_errclear();
	rc = famfs_devtab_add(t, e, i);
	if (!rc) {
		rc = famfs_allocset_add(a, e->daxdev.size, t->alloc_unit,
					FAMFS_SECONDARY_DATA_START);
		if (rc)
			t->ndevs--;
	}
	if (rc) {
		const char *m = why(rc);

		if (!strncmp(m, "entry ", 6) && strstr(m, ": "))
			m = strstr(m, ": ") + 2;
		report(c, FAMFS_FSCK_ERROR, "log entry %" PRIu64 " (ADD_DAXDEV): %s", i, m);
		c->res->bad_entries++;
	}
}

/* Check one validated entry: path, map, collisions, then the namespace. */
static void fsck_entry(struct fsck_ctx *c, struct famfs_ns *ns, struct famfs_allocset *a,
		       struct famfs_devtab *t, uint64_t i, const struct famfs_omf_entry *e)
{
	const char *path = NULL;
	uint64_t coll = 0, named;
	int rc;

	if (e->type == FAMFS_LOG_DELETE) {
		fsck_rm_delete(&c->rm, ns, a, c->res, i, e);
		return;
	}
	if (e->type == FAMFS_LOG_FILE)
		path = e->file.relpath;
	else if (e->type == FAMFS_LOG_MKDIR)
		path = e->mkdir.relpath;

	if (path) {
		famfs_errclear();
		rc = famfs_path_check(path);
		if (rc) {
			report(c, FAMFS_FSCK_ERROR, "log entry %" PRIu64 ": %s", i, why(rc));
			c->res->bad_entries++;
			return;
		}
	}
	if (e->type == FAMFS_LOG_ADD_DAXDEV)
		fsck_daxdev(c, t, a, i, e);
	if (e->type == FAMFS_LOG_FILE) {
		famfs_errclear();
		rc = famfs_devtab_fmap_check(t, &e->file.fmap, e->file.size);
		if (rc) {
			report(c, FAMFS_FSCK_ERROR, "log entry %" PRIu64 " (%s): %s", i, path,
			       why(rc));
			c->res->bad_entries++;
			return;
		}
	}
	if (path && famfs_meta_reserved(path))
		report(c, FAMFS_FSCK_WARN, "log entry %" PRIu64 " (%s): %s is reserved for the "
		       "superblock and log files; mounts show their own and hide this entry",
		       i, path, FAMFS_META_DIRNAME);
	if (path && strchr(path, '/')) {
		char parent[FAMFS_OMF_PATH_MAX];

		famfs_path_split(path, parent);
		if (!famfs_ns_resolve(ns, parent))
			report(c, FAMFS_FSCK_WARN, "log entry %" PRIu64 " (%s): parent directory "
			       "'%s' was never logged", i, path, parent);
	}
	famfs_errclear();
	rc = famfs_ns_apply(ns, i, e);
	if (rc) {
		const char *m = why(rc);

		/* ns names the entry itself ("entry N: ..."); we already did. */
		if (strncmp(m, "entry ", 6) == 0 && strstr(m, ": "))
			m = strstr(m, ": ") + 2;
		report(c, FAMFS_FSCK_ERROR, "log entry %" PRIu64 " (%s): %s", i,
		       path ? path : "-", m);
		return;
	}
	if (e->type == FAMFS_LOG_MKDIR)
		c->res->dirs_logged++;
	if (e->type != FAMFS_LOG_FILE)
		return;
	/* Name each earlier file this one overlaps (and check the reuse rule). */
	named = fsck_rm_file(&c->rm, ns, a, i, e);
	c->res->file_bytes += e->file.size;
	famfs_errclear();
	rc = famfs_allocset_mark(a, &e->file.fmap, &coll);
	if (rc) {
		report(c, FAMFS_FSCK_ERROR, "log entry %" PRIu64 " (%s): %s", i, path, why(rc));
		return;
	}
	fsck_rm_own(&c->rm, a, i, &e->file.fmap);
	if (coll) {
		c->res->collisions += coll;
		if (!named)
			report(c, FAMFS_FSCK_ERROR, "log entry %" PRIu64 " (%s): %" PRIu64
			       " units already allocated", i, path, coll);
	}
}

/* Superblock and device-size checks. Returns 0 or a fatal negative errno. */
static int fsck_super(struct fsck_ctx *c, struct famfs_dev *dev, struct famfs_omf_sb *sb)
{
	char uuid[37], sys[37];
	int rc;

	famfs_invalidate(dev->base, FAMFS_SB_SIZE);
	famfs_errclear();
	rc = famfs_omf_sb_decode(dev->base, FAMFS_SB_SIZE, sb);
	if (rc) {
		report_part(c, "superblock", rc);
		return rc;
	}
	uuid_unparse(sb->uuid, uuid);
	uuid_unparse(sb->system_uuid, sys);
	report(c, FAMFS_FSCK_INFO, "superblock: version %" PRIu64 ", omf %u.%u, uuid %s, "
	       "master %s, alloc unit %" PRIu64, sb->version, sb->omf_major, sb->omf_minor,
	       uuid, sys, sb->alloc_unit);
	if (sb->dev_size > dev->size)
		report(c, FAMFS_FSCK_ERROR, "superblock says %" PRIu64 " bytes, device has %"
		       PRIu64, sb->dev_size, dev->size);
	else if (sb->dev_size < dev->size)
		report(c, FAMFS_FSCK_WARN, "device has %" PRIu64 " bytes, superblock uses %"
		       PRIu64, dev->size, sb->dev_size);
	if (sb->log_offset > dev->size || sb->log_len > dev->size - sb->log_offset) {
		report(c, FAMFS_FSCK_ERROR, "log [%#" PRIx64 ", +%#" PRIx64 ") is outside the "
		       "device (%" PRIu64 " bytes)", sb->log_offset, sb->log_len, dev->size);
		return -EINVAL;
	}
	return 0;
}

/* The log tail: none (upstream's mkfs) is fine, a damaged one a warning. */
static void fsck_tail(struct fsck_ctx *c, const uint8_t *log, const struct famfs_omf_sb *sb)
{
	uint64_t off = famfs_log_tail_off(sb->log_len);
	uint8_t buf[FAMFS_LOG_TAIL_SIZE];
	int rc;

	if (!off)
		return;
	famfs_invalidate(log + off, sizeof(buf));
	memcpy(buf, log + off, sizeof(buf));
	famfs_errclear();
	rc = famfs_omf_log_tail_decode(buf, sb->uuid, &c->res->mkfs_time);
	if (rc == -ENOENT)
		report(c, FAMFS_FSCK_INFO, "log tail: no mkfs time (times start at 1970)");
	else if (rc)
		report(c, FAMFS_FSCK_WARN, "%s; times start at 1970", why(rc));
	else
		report(c, FAMFS_FSCK_INFO, "log tail: made at %" PRIu32 " s since the epoch",
		       c->res->mkfs_time);
}

/* Find device @i of @t on this host and check its superblock. */
static void fsck_device(struct fsck_ctx *c, const struct famfs_devtab *t, uint32_t i)
{
	struct famfs_fsck_dev *d = &c->res->devs[i];
	struct famfs_omf_sb sb;
	char path[4096], u[37];
	uint64_t size = 0;
	int rc;

	uuid_unparse(t->dev[i].uuid, u);
	famfs_errclear();
	rc = famfs_devfind_uuid(t->fs_uuid, t->dev[i].uuid, path, sizeof(path));
	if (!rc)
		rc = famfs_devfind_read_sb(path, &sb, &size);
	if (rc) {
		report(c, FAMFS_FSCK_ERROR, "device %u (uuid %s, log entry %" PRIu64 "): %s", i,
		       u, t->dev[i].log_index, why(rc));
		return;
	}
	snprintf(d->path, sizeof(d->path), "%.255s", path);
	if (!famfs_omf_sb_is_secondary(&sb)) {
		report(c, FAMFS_FSCK_ERROR, "device %u (%s): its superblock is not a secondary's",
		       i, path);
		return;
	}
	if (sb.alloc_unit != t->alloc_unit)
		report(c, FAMFS_FSCK_ERROR, "device %u (%s): alloc unit %#" PRIx64 ", the file "
		       "system's is %#" PRIx64, i, path, sb.alloc_unit, t->alloc_unit);
	else if (size < t->span[i].size)
		report(c, FAMFS_FSCK_ERROR, "device %u (%s): %" PRIu64 " bytes, the log says %"
		       PRIu64, i, path, size, t->span[i].size);
	else if (sb.dev_size != t->span[i].size)
		report(c, FAMFS_FSCK_WARN, "device %u (%s): its superblock says %" PRIu64
		       " bytes, the log %" PRIu64, i, path, sb.dev_size, t->span[i].size);
	else
		d->found = true;
	report(c, FAMFS_FSCK_INFO, "device %u: uuid %s, %s, %" PRIu64 " bytes", i, u, path,
	       t->span[i].size);
}

/* The per-device part of the result, and the totals. */
static void fsck_devices(struct fsck_ctx *c, const struct famfs_devtab *t,
			 const struct famfs_allocset *a, const struct famfs_dev *dev)
{
	struct famfs_fsck_result *res = c->res;

	res->ndevs = t->ndevs;
	res->dev_size = 0;
	res->used_bytes = 0;
	for (uint32_t i = 0; i < t->ndevs && i < a->ndevs; i++) {
		struct famfs_fsck_dev *d = &res->devs[i];

		memcpy(d->uuid, t->dev[i].uuid, 16);
		d->log_index = t->dev[i].log_index;
		d->size = t->span[i].size;
		/* Deleted files' memory is pending (reusable or not), not used. */
		d->used_bytes = d->size - famfs_alloc_free_bytes(&a->dev[i]) -
				famfs_alloc_pending_bytes(&a->dev[i]);
		if (i == 0) {
			snprintf(d->path, sizeof(d->path), "%.255s", dev->path);
			d->found = true;
		} else {
			fsck_device(c, t, i);
		}
		res->dev_size += d->size;
		res->used_bytes += d->used_bytes;
	}
}

int famfs_fsck(struct famfs_dev *dev, famfs_fsck_fn fn, void *ctx,
	       struct famfs_fsck_result *res)
{
	return famfs_fsck_buckets(dev, 0, fn, ctx, res);
}

/* Units in use in each bucket of @a, as the interleaved allocator splits it. */
static void fsck_count_buckets(const struct famfs_alloc *a, unsigned int nbuckets,
			       struct famfs_fsck_result *res)
{
	res->nbuckets = nbuckets;
	res->bucket_units = nbuckets ? a->nbits / nbuckets : 0;
	for (unsigned int i = 0; i < nbuckets; i++)
		res->bucket_used[i] = famfs_alloc_used_units(a, i * res->bucket_units,
							     (i + 1) * res->bucket_units);
}

int famfs_fsck_buckets(struct famfs_dev *dev, unsigned int nbuckets, famfs_fsck_fn fn,
		       void *ctx, struct famfs_fsck_result *res)
{
	struct fsck_ctx c = { .fn = fn, .ctx = ctx, .res = res };
	struct famfs_omf_log_hdr hdr;
	struct famfs_omf_entry e;
	struct famfs_omf_sb sb;
	struct famfs_allocset *a;
	struct famfs_devtab *t;
	struct famfs_ns *ns;
	uint64_t i, end, data_end, first_bad = FAMFS_NO_INDEX, entries;
	const uint8_t *log;
	int rc;

	memset(res, 0, sizeof(*res));
	if (nbuckets > FAMFS_MAX_NBUCKETS)
		return famfs_err(-EINVAL, "%u buckets (1..%d)", nbuckets, FAMFS_MAX_NBUCKETS);
	rc = fsck_super(&c, dev, &sb);
	if (rc)
		return rc;
	res->dev_size = sb.dev_size;
	log = dev->base + sb.log_offset;
	famfs_invalidate(log, FAMFS_LOG_HDR_SIZE);
	famfs_errclear();
	rc = famfs_omf_log_hdr_decode(log, FAMFS_LOG_HDR_SIZE, sb.log_len, &hdr);
	if (rc) {
		report_part(&c, "log header", rc);
		return rc;
	}
	res->log_slots = famfs_log_nslots(sb.log_len);
	end = hdr.next_index;
	res->entries = end;
	res->log_free = res->log_slots - end;
	res->log_reserved = famfs_log_reserve(res->log_slots, FAMFS_LOG_RESERVE_PCT);
	fsck_tail(&c, log, &sb);
	if (hdr.next_seqnum != hdr.next_index)
		report(&c, FAMFS_FSCK_WARN, "interrupted append (next_seqnum %" PRIu64
		       ", next_index %" PRIu64 ")", hdr.next_seqnum, hdr.next_index);

	rc = famfs_ns_new(&ns);
	if (rc)
		return famfs_err(rc, "out of memory");
	famfs_ns_limit_implicit(ns, res->log_slots);
	/*
	 * Extents must lie in the capacity and in the device actually present.
	 * dev_size is outside the superblock CRC: never size the bitmap by it.
	 */
	data_end = sb.dev_size < dev->size ? sb.dev_size : dev->size;
	a = calloc(1, sizeof(*a));
	t = calloc(1, sizeof(*t));
	rc = a && t ? 0 : famfs_err(-ENOMEM, "out of memory");
	if (!rc) {
		famfs_devtab_init(t, &sb, data_end);
		rc = famfs_allocset_add(a, data_end, sb.alloc_unit, famfs_omf_sb_data_start(&sb));
	}
	if (rc) {
		free(a);
		free(t);
		famfs_ns_free(ns);
		return rc;
	}
	rc = fsck_rm_init(&c.rm, dev, &sb, report, &c);
	if (rc) {
		famfs_allocset_fini(a);
		free(a);
		free(t);
		famfs_ns_free(ns);
		return rc;
	}
	for (i = 0; i < end; i++) {
		rc = fsck_read(log, i, &e);
		if (rc) {
			const char *m = why(rc);

			/* omf's decode details already start with "log entry N:". */
			if (strncmp(m, "log entry", 9) == 0)
				report(&c, FAMFS_FSCK_ERROR, "%s", m);
			else
				report(&c, FAMFS_FSCK_ERROR, "log entry %" PRIu64 ": %s", i, m);
			res->bad_entries++;
			if (first_bad == FAMFS_NO_INDEX)
				first_bad = i;
			continue;
		}
		fsck_entry(&c, ns, a, t, i, &e);
	}
	if (first_bad != FAMFS_NO_INDEX)
		report(&c, FAMFS_FSCK_WARN, "replay stops at log entry %" PRIu64 ": later entries "
		       "are not visible on mounts", first_bad);

	famfs_ns_counts(ns, &res->files, &res->dirs, &entries);
	fsck_rm_finish(&c.rm, dev, &sb, a, end, res);
	fsck_devices(&c, t, a, dev);
	/* the bitmaps of every device; buckets: the primary's */
	res->bitmap_bytes = 0;
	for (uint32_t d = 0; d < a->ndevs; d++)
		res->bitmap_bytes += a->dev[d].nbits * a->dev[d].au;
	fsck_count_buckets(&a->dev[0], nbuckets, res);
	report(&c, FAMFS_FSCK_INFO, "log: %" PRIu64 " of %" PRIu64 " slots used, %" PRIu64
	       " bad entries", res->entries, res->log_slots, res->bad_entries);
	report(&c, FAMFS_FSCK_INFO, "namespace: %" PRIu64 " files, %" PRIu64 " directories",
	       res->files, res->dirs);
	report(&c, FAMFS_FSCK_INFO, "capacity %" PRIu64 " bytes, used %" PRIu64 " bytes, pending %"
	       PRIu64 " bytes, free %" PRIu64 " bytes", res->dev_size, res->used_bytes,
	       res->pending_bytes, res->dev_size - res->used_bytes - res->pending_bytes);
	if (res->collisions)
		report(&c, FAMFS_FSCK_ERROR, "%" PRIu64 " allocation collisions found",
		       res->collisions);
	fsck_rm_fini(&c.rm);
	famfs_allocset_fini(a);
	free(a);
	free(t);
	famfs_ns_free(ns);
	famfs_errclear();
	return 0;
}
