// SPDX-License-Identifier: Apache-2.0
/*
 * stats.c - famfsd's request counters (struct famfsd_stats): one atomic
 * counter per enum famfs_op, bytes served, EIO answers, catch-ups. Read by
 * FAMFS_IOC_STATS.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "famfsd.h"

#define ADD(v, n) __atomic_fetch_add(&(v), (n), __ATOMIC_RELAXED)
#define GET(v) __atomic_load_n(&(v), __ATOMIC_RELAXED)

uint64_t famfsd_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void famfsd_count(struct famfsd *fsd, enum famfs_op op)
{
	if ((unsigned int)op < FAMFS_OP__COUNT)
		ADD(fsd->stats.ops[op], 1);
}

void famfsd_count_bytes(struct famfsd *fsd, uint64_t rd, uint64_t wr)
{
	if (rd)
		ADD(fsd->stats.bytes_read, rd);
	if (wr)
		ADD(fsd->stats.bytes_written, wr);
}

void famfsd_count_eio(struct famfsd *fsd)
{
	ADD(fsd->stats.errors_eio, 1);
}

void famfsd_count_catchup(struct famfsd *fsd, uint64_t entries, uint64_t ns)
{
	ADD(fsd->stats.catchups, 1);
	ADD(fsd->stats.catchup_entries, entries);
	ADD(fsd->stats.catchup_ns, ns);
}

void famfsd_set_mount_replay(struct famfsd *fsd, uint64_t ns)
{
	__atomic_store_n(&fsd->stats.mount_replay_ns, ns, __ATOMIC_RELAXED);
}

/* Fill @w; log_next_index is the index famfsd has replayed up to. */
void famfsd_stats_fill(struct famfsd *fsd, struct famfs_stats_wire *w)
{
	unsigned int i;

	memset(w, 0, sizeof(*w));
	w->version = FAMFS_STATS_VERSION;
	w->nops = FAMFS_OP__COUNT;
	for (i = 0; i < FAMFS_OP__COUNT && i < FAMFS_STATS_MAX_OPS; i++)
		w->ops[i] = GET(fsd->stats.ops[i]);
	w->bytes_read = GET(fsd->stats.bytes_read);
	w->bytes_written = GET(fsd->stats.bytes_written);
	w->catchups = GET(fsd->stats.catchups);
	w->catchup_entries = GET(fsd->stats.catchup_entries);
	w->catchup_ns = GET(fsd->stats.catchup_ns);
	w->mount_replay_ns = GET(fsd->stats.mount_replay_ns);
	w->errors_eio = GET(fsd->stats.errors_eio);
	w->daxdev_failed = famfsd_dax_failed_mask(fsd);
	w->fuse_mode = famfsd_native_mode(fsd);
	famfsd_rm_stats(fsd, w);
}

void famfsd_reply_err(fuse_req_t req, int err)
{
	if (err == EIO || err == EHWPOISON)
		famfsd_count_eio(famfsd_req(req));
	fuse_reply_err(req, err);
}
