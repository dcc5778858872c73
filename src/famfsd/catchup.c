// SPDX-License-Identifier: Apache-2.0
/*
 * catchup.c - keeping the namespace in step with the log.
 *
 * Every millisecond a thread loads the log's commit index (one cache line
 * of the log header, invalidated first, read under the SIGBUS guard) and,
 * when the log moved past what we have seen, replays the new entries under
 * the namespace write lock, then tells the kernel to drop its cached
 * attributes and listings of the directories that gained children: a file
 * made on another host shows here within a few milliseconds with no
 * lookup to ask for it. Idle, a poll costs a wake-up and one load (famfsd
 * idle CPU: bench/README.md). lookup and readdir make the same cheap
 * check, so a name created on another host is found at once, timer or
 * not. Every 100 ms, and before every replay, the check also reads the
 * superblock and the whole log header in one guarded pass and asks
 * ident.c whether they are still the ones we mounted.
 *
 * Invalidations are only ever sent from the thread, never from inside a
 * request handler, so a handler can never wait on the kernel for an inode
 * the kernel holds locked for that same request.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "famfs/devmem.h"
#include "famfsd.h"

/* Queue the parent of every node created by entries [from, to). */
void famfsd_queue_parents(struct famfsd *fsd, uint64_t from, uint64_t to)
{
	struct famfs_node *n;
	uint64_t i, ino;
	unsigned int k;

	pthread_mutex_lock(&fsd->cu_mtx);
	for (i = from; i < to && !fsd->inval_all; i++) {
		n = famfs_ns_by_ino(fsd->fs->ns, i + 2);
		if (!n) {
			/* A MKDIR that gave an implicit directory its mode and owner. */
			fsd->inval_all = true;
			break;
		}
		if (!n->parent)
			continue;
		ino = n->parent->ino;
		if (ino >= FAMFS_INO_IMPLICIT) {
			fsd->inval_all = true;
			break;
		}
		for (k = 0; k < fsd->ninval; k++)
			if (fsd->inval[k] == ino)
				break;
		if (k < fsd->ninval)
			continue;
		if (fsd->ninval == sizeof(fsd->inval) / sizeof(fsd->inval[0]))
			fsd->inval_all = true;
		else
			fsd->inval[fsd->ninval++] = ino;
	}
	pthread_cond_signal(&fsd->cu_cond);
	pthread_mutex_unlock(&fsd->cu_mtx);
}

/*
 * Read the log's commit index inside a guard, checking on the way that the
 * device still holds our file system; false if it failed or was replaced.
 */
static bool log_next(struct famfsd *fsd, uint64_t *next)
{
	struct famfsd_meta m;

	if (famfsd_meta_read(fsd, &m))
		return false;
	famfsd_test_pause("meta");	/* test builds: hold the race window open */
	if (!famfsd_meta_check(fsd, &m))
		return false;
	*next = m.next;
	return true;
}

/* Replay new entries; the caller holds ns_lock exclusive. */
static long catchup_locked(struct famfsd *fsd)
{
	uint64_t from = fsd->fs->next, t0 = famfsd_now_ns();
	unsigned long faults = famfs_sigbus_caught_here();
	struct famfsd_meta m;
	long n;
	int rc;

	rc = famfsd_meta_read(fsd, &m);
	if (rc)
		return rc;
	if (!famfsd_meta_check(fsd, &m))
		return -EIO;
	famfsd_seen_advance(fsd, m.next);
	/* Not guarded as a whole: it allocates; its device reads are guarded. */
	n = famfs_fs_catchup(fsd->fs);
	rc = famfsd_dev_check(fsd, 0, faults, 0);
	famfsd_dax_sync(fsd);	/* devices the log added */
	if (n > 0) {
		famfsd_count_catchup(fsd, (uint64_t)n, famfsd_now_ns() - t0);
		famfsd_queue_parents(fsd, from, fsd->fs->next);
		famfsd_rm_replayed(fsd);
	}
	return rc ? rc : n;
}

long famfsd_catchup_now(struct famfsd *fsd)
{
	bool search;
	long rc;

	pthread_rwlock_wrlock(&fsd->ns_lock);
	rc = catchup_locked(fsd);
	search = fsd->fs->unresolved;
	pthread_rwlock_unlock(&fsd->ns_lock);
	/* Devices the log added: looked for without the lock (famfsd_find_devs). */
	if (search)
		famfsd_find_devs(fsd, NULL);
	return rc;
}

/*
 * The request-path check: replay only when the log index moved since our
 * last attempt, so a bad entry that stops the replay is not retried on
 * every lookup (the timer retries it).
 */
void famfsd_catchup_maybe(struct famfsd *fsd)
{
	uint64_t next, seen;
	bool search;

	if (!log_next(fsd, &next))
		return;
	seen = famfsd_seen_load(fsd);
	if (next <= seen)
		return;
	pthread_rwlock_wrlock(&fsd->ns_lock);
	if (famfsd_seen_load(fsd) < next)
		catchup_locked(fsd);
	search = fsd->fs->unresolved;
	pthread_rwlock_unlock(&fsd->ns_lock);
	if (search)
		famfsd_find_devs(fsd, NULL);
}

void famfsd_catchup_kick_clean(struct famfsd *fsd)
{
	pthread_mutex_lock(&fsd->cu_mtx);
	fsd->cu_clean = true;
	pthread_cond_signal(&fsd->cu_cond);
	pthread_mutex_unlock(&fsd->cu_mtx);
}

static void send_invals(struct famfsd *fsd)
{
	uint64_t inos[64];
	unsigned int n, i;
	bool all, gone;

	pthread_mutex_lock(&fsd->cu_mtx);
	gone = fsd->inval_gone;
	fsd->inval_gone = false;
	n = fsd->ninval;
	memcpy(inos, fsd->inval, n * sizeof(inos[0]));
	all = fsd->inval_all;
	fsd->ninval = 0;
	fsd->inval_all = false;
	pthread_mutex_unlock(&fsd->cu_mtx);
	if (gone)
		famfsd_gone_invalidate(fsd);
	famfsd_rm_notify(fsd);
	if (all) {
		/* Too many to name: the root is what lists and lookups start at. */
		n = 1;
		inos[0] = FAMFS_ROOT_INO;
	}
	for (i = 0; i < n; i++)
		fuse_lowlevel_notify_inval_inode(fsd->se, inos[i], -1, 0);
}

#define FULL_NS		100000000L	/* the whole check, every 100 ms */

static int load_next(void *ctx)
{
	struct famfsd *fsd = ctx;

	fsd->cu_next = famfs_log_next_index(fsd->fs->log);
	return 0;
}

/*
 * The cheap poll: has the log's commit index moved past what we have seen?
 * A fault says yes, so that the whole check that follows marks the device.
 */
static bool log_moved(struct famfsd *fsd)
{
	if (famfsd_dax_errno(fsd, 0))
		return false;
	if (famfsd_guarded(fsd, 0, load_next, fsd))
		return true;
	return fsd->cu_next > famfsd_seen_load(fsd);
}

static void *catchup_thread(void *arg)
{
	struct famfsd *fsd = arg;
	long poll_ns = (long)fsd->poll_ms * 1000000L;
	long full_every = FULL_NS / poll_ns > 1 ? FULL_NS / poll_ns : 1;
	long polls = 0;
	struct timespec ts;
	uint64_t next;
	bool moved, clean;

	pthread_mutex_lock(&fsd->cu_mtx);
	while (!fsd->cu_stop) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += poll_ns;
		ts.tv_sec += ts.tv_nsec / 1000000000L;
		ts.tv_nsec %= 1000000000L;
		if (!fsd->ninval && !fsd->inval_all && !fsd->inval_gone && !fsd->cu_clean)
			pthread_cond_timedwait(&fsd->cu_cond, &fsd->cu_mtx, &ts);
		if (fsd->cu_stop)
			break;
		clean = fsd->cu_clean;
		fsd->cu_clean = false;
		pthread_mutex_unlock(&fsd->cu_mtx);

		if (++polls < full_every && !log_moved(fsd)) {
			send_invals(fsd);
			if (clean)
				famfsd_rm_clean(fsd, false);
			pthread_mutex_lock(&fsd->cu_mtx);
			continue;
		}
		polls = 0;
		if (log_next(fsd, &next)) {
			pthread_rwlock_rdlock(&fsd->ns_lock);
			/* or a create's catch-up met a device it left to us */
			moved = next != fsd->fs->next || fsd->fs->unresolved;
			pthread_rwlock_unlock(&fsd->ns_lock);
			if (moved)
				famfsd_catchup_now(fsd);
		}
		send_invals(fsd);
		/* After the replay (no lock held), before the heartbeat publishes. */
		famfsd_rm_clean(fsd, false);
		famfsd_rm_tick(fsd);
		pthread_mutex_lock(&fsd->cu_mtx);
	}
	pthread_mutex_unlock(&fsd->cu_mtx);
	/* What was deleted last is let go clean, before the record leaves the table. */
	famfsd_rm_clean(fsd, false);
	return NULL;
}

int famfsd_catchup_start(struct famfsd *fsd)
{
	int rc;

	famfsd_seen_advance(fsd, fsd->fs->next);
	rc = pthread_create(&fsd->cu_thread, NULL, catchup_thread, fsd);
	if (rc)
		return -rc;
	fsd->cu_started = true;
	return 0;
}

void famfsd_catchup_stop(struct famfsd *fsd)
{
	if (!fsd->cu_started)
		return;
	pthread_mutex_lock(&fsd->cu_mtx);
	fsd->cu_stop = true;
	pthread_cond_signal(&fsd->cu_cond);
	pthread_mutex_unlock(&fsd->cu_mtx);
	pthread_join(fsd->cu_thread, NULL);
	fsd->cu_started = false;
}
