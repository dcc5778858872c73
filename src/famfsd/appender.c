// SPDX-License-Identifier: Apache-2.0
/*
 * appender.c - the locks of an append through the mount (mkdir, unlink,
 * rmdir, FAMFS_IOC_CREAT) and the appender thread that waits for them.
 *
 * The log lock is a host-wide flock that any process able to open the
 * device read-only can take and keep: a famfs cp zeroing a large file, a
 * stopped famfs command, flock(1). A FUSE worker thread that waits for it
 * serves nothing else meanwhile, and libfuse has a bounded number of them
 * (-o max_threads): a dozen unlinks while the lock is held would take them
 * all and stop every lookup on the mount. So a worker never waits: it tries
 * the locks once, and when they are taken it hands the request to the one
 * appender thread and returns to serve others. The appender polls for the
 * log lock, runs the queued requests one by one under it and replies to
 * each itself (libfuse lets any thread reply).
 *
 * An INTERRUPT for a queued request (its caller got a signal) marks it;
 * the appender answers EINTR at its next poll. At exit, what is still
 * queued is answered ENOTCONN, the errno of a mount whose server is gone.
 *
 * Locking: the queue's mutex (fsd->ap.mtx) is taken after a request's own
 * libfuse lock (an interrupt callback runs under it), and no libfuse
 * call is made while it is held. A queued request is not touched by the
 * appender before the worker that queued it has registered its interrupt
 * callback ("ready"): until then libfuse holds the request's lock, and a
 * reply would free the request under it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "famfsd.h"

/* Poll for the log lock every 0.1 ms at first, doubling up to 20 ms. */
#define POLL_FIRST_NS	100000L
#define POLL_MAX_NS	20000000L

int famfsd_append_trylock(struct famfsd *fsd)
{
	int rc;

	if (famfsd_gone(fsd))
		return -EIO;
	if (pthread_mutex_trylock(&fsd->mkdir_mtx))
		return -EWOULDBLOCK;
	rc = famfs_log_trylock(fsd->fs->log);
	if (rc)
		pthread_mutex_unlock(&fsd->mkdir_mtx);
	return rc;
}

void famfsd_append_tryunlock(struct famfsd *fsd)
{
	famfs_log_unlock(fsd->fs->log);
	pthread_mutex_unlock(&fsd->mkdir_mtx);
}

struct famfsd_append *famfsd_append_new(fuse_req_t req, famfsd_append_fn run,
					fuse_ino_t parent, const char *name, unsigned int arg)
{
	size_t len = strlen(name);
	struct famfsd_append *a = calloc(1, sizeof(*a) + len + 1);

	if (!a)
		return NULL;
	a->req = req;
	a->run = run;
	a->parent = parent;
	a->arg = arg;
	memcpy(a->name, name, len + 1);
	return a;
}

/*
 * Run @a holding the locks the append needs; @a->run replies, or leaves
 * that to @a->done, which runs with none of them held (an unlink's cache
 * pass over the file it deleted).
 */
static void run_locked(struct famfsd *fsd, struct famfsd_append *a)
{
	pthread_rwlock_wrlock(&fsd->ns_lock);
	a->run(fsd, a);
	pthread_rwlock_unlock(&fsd->ns_lock);
	famfsd_append_tryunlock(fsd);
	if (a->done)
		a->done(fsd, a);
	free(a);
}

/* Unlink and return the queued request that @pred picks; ap.mtx held. */
static struct famfsd_append *take_locked(struct famfsd *fsd,
					 bool (*pred)(const struct famfsd_append *a))
{
	struct famfsd_append **pp, *a;

	for (pp = &fsd->ap.head; (a = *pp); pp = &a->next) {
		if (!pred(a))
			continue;
		*pp = a->next;
		if (fsd->ap.tail == &a->next)
			fsd->ap.tail = pp;
		a->next = NULL;
		return a;
	}
	return NULL;
}

static bool is_ready(const struct famfsd_append *a)
{
	return a->ready;
}

static bool is_ready_interrupted(const struct famfsd_append *a)
{
	return a->ready && a->interrupted;
}

static bool is_any(const struct famfsd_append *a)
{
	return true;
}

static struct famfsd_append *take(struct famfsd *fsd,
				  bool (*pred)(const struct famfsd_append *a))
{
	struct famfsd_append *a;

	pthread_mutex_lock(&fsd->ap.mtx);
	a = take_locked(fsd, pred);
	pthread_mutex_unlock(&fsd->ap.mtx);
	return a;
}

/* libfuse: an INTERRUPT for @req arrived (or had arrived at registration). */
static void on_interrupt(fuse_req_t req, void *data)
{
	struct famfsd *fsd = data;
	struct famfsd_append *a;

	pthread_mutex_lock(&fsd->ap.mtx);
	for (a = fsd->ap.head; a; a = a->next)
		if (a->req == req)
			a->interrupted = true;
	pthread_mutex_unlock(&fsd->ap.mtx);
}

void famfsd_append_submit(fuse_req_t req, struct famfsd_append *a)
{
	struct famfsd *fsd = famfsd_req(req);
	bool idle;
	int rc;

	if (!a) {
		famfsd_reply_err(req, ENOMEM);
		return;
	}
	/* Free locks and nothing queued before us: no need for the appender. */
	pthread_mutex_lock(&fsd->ap.mtx);
	idle = !fsd->ap.head;
	pthread_mutex_unlock(&fsd->ap.mtx);
	if (idle) {
		rc = famfsd_append_trylock(fsd);
		if (!rc) {
			run_locked(fsd, a);
			return;
		}
		if (rc != -EWOULDBLOCK) {
			famfsd_reply_err(req, -rc);
			free(a);
			return;
		}
	}
	if (!fsd->ap.started) {
		famfsd_reply_err(req, EAGAIN);	/* not serving yet, or exiting */
		free(a);
		return;
	}
	pthread_mutex_lock(&fsd->ap.mtx);
	*fsd->ap.tail = a;
	fsd->ap.tail = &a->next;
	pthread_mutex_unlock(&fsd->ap.mtx);
	/* Called at once if the INTERRUPT came first: @a is queued to be marked. */
	fuse_req_interrupt_func(req, on_interrupt, fsd);
	pthread_mutex_lock(&fsd->ap.mtx);
	a->ready = true;
	pthread_cond_signal(&fsd->ap.cond);
	pthread_mutex_unlock(&fsd->ap.mtx);
}

/* A request the appender may take; ap.mtx held. */
static bool any_ready_locked(struct famfsd *fsd)
{
	for (struct famfsd_append *a = fsd->ap.head; a; a = a->next)
		if (a->ready)
			return true;
	return false;
}

static void *appender_thread(void *arg)
{
	struct famfsd *fsd = arg;
	struct timespec ts = { 0, POLL_FIRST_NS };
	struct famfsd_append *a;
	bool stop;
	int rc;

	for (;;) {
		pthread_mutex_lock(&fsd->ap.mtx);
		while (!fsd->ap.stop && !any_ready_locked(fsd))
			pthread_cond_wait(&fsd->ap.cond, &fsd->ap.mtx);
		stop = fsd->ap.stop;
		pthread_mutex_unlock(&fsd->ap.mtx);
		if (stop)
			break;
		while ((a = take(fsd, is_ready_interrupted))) {
			fuse_reply_err(a->req, EINTR);
			free(a);
		}
		rc = famfsd_append_trylock(fsd);
		if (rc == -EWOULDBLOCK) {
			/* The only sleep in famfsd (tests/system/lib.sh looks for it). */
			nanosleep(&ts, NULL);
			if (ts.tv_nsec < POLL_MAX_NS)
				ts.tv_nsec *= 2;
			continue;
		}
		ts.tv_nsec = POLL_FIRST_NS;
		a = take(fsd, is_ready);
		if (a && !rc) {
			run_locked(fsd, a);
			continue;
		}
		if (!rc)
			famfsd_append_tryunlock(fsd);	/* all were interrupted */
		if (a) {
			famfsd_reply_err(a->req, -rc);	/* -EIO: the file system is gone */
			free(a);
		}
	}
	return NULL;
}

int famfsd_appender_start(struct famfsd *fsd)
{
	int rc;

	rc = pthread_create(&fsd->ap.thread, NULL, appender_thread, fsd);
	if (rc)
		return -rc;
	fsd->ap.started = true;
	return 0;
}

void famfsd_appender_stop(struct famfsd *fsd)
{
	struct famfsd_append *a;

	if (!fsd->ap.started)
		return;
	pthread_mutex_lock(&fsd->ap.mtx);
	fsd->ap.stop = true;
	pthread_cond_signal(&fsd->ap.cond);
	pthread_mutex_unlock(&fsd->ap.mtx);
	pthread_join(fsd->ap.thread, NULL);
	fsd->ap.started = false;
	/* The session loop has ended: every worker is done queueing. */
	while ((a = take(fsd, is_any))) {
		fuse_reply_err(a->req, ENOTCONN);
		free(a);
	}
}
