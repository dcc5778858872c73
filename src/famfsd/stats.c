// SPDX-License-Identifier: Apache-2.0
/*
 * stats.c - famfsd's request counters: one atomic counter per enum famfs_op,
 * bytes served, EIO answers, catch-ups. Read by FAMFS_IOC_STATS.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "famfsd.h"

static uint64_t ops[FAMFS_OP__COUNT];
static uint64_t bytes_read, bytes_written, errors_eio;
static uint64_t catchups, catchup_entries, catchup_ns, mount_replay_ns;

#define ADD(v, n) __atomic_fetch_add(&(v), (n), __ATOMIC_RELAXED)
#define GET(v) __atomic_load_n(&(v), __ATOMIC_RELAXED)

uint64_t famfsd_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void famfsd_count(enum famfs_op op)
{
	if ((unsigned int)op < FAMFS_OP__COUNT)
		ADD(ops[op], 1);
}

void famfsd_count_bytes(uint64_t rd, uint64_t wr)
{
	if (rd)
		ADD(bytes_read, rd);
	if (wr)
		ADD(bytes_written, wr);
}

void famfsd_count_eio(void)
{
	ADD(errors_eio, 1);
}

void famfsd_count_catchup(uint64_t entries, uint64_t ns)
{
	ADD(catchups, 1);
	ADD(catchup_entries, entries);
	ADD(catchup_ns, ns);
}

void famfsd_set_mount_replay(uint64_t ns)
{
	__atomic_store_n(&mount_replay_ns, ns, __ATOMIC_RELAXED);
}

/* Fill @w; log_next_index is the index famfsd has replayed up to. */
void famfsd_stats_fill(struct famfs_stats_wire *w)
{
	unsigned int i;

	memset(w, 0, sizeof(*w));
	w->version = FAMFS_STATS_VERSION;
	w->nops = FAMFS_OP__COUNT;
	for (i = 0; i < FAMFS_OP__COUNT && i < FAMFS_STATS_MAX_OPS; i++)
		w->ops[i] = GET(ops[i]);
	w->bytes_read = GET(bytes_read);
	w->bytes_written = GET(bytes_written);
	w->catchups = GET(catchups);
	w->catchup_entries = GET(catchup_entries);
	w->catchup_ns = GET(catchup_ns);
	w->mount_replay_ns = GET(mount_replay_ns);
	w->errors_eio = GET(errors_eio);
	w->daxdev_failed = famfsd_dax_failed_mask();
	w->fuse_mode = famfsd_native_mode();
}

void famfsd_reply_err(fuse_req_t req, int err)
{
	if (err == EIO || err == EHWPOISON)
		famfsd_count_eio();
	fuse_reply_err(req, err);
}
