// SPDX-License-Identifier: Apache-2.0
/*
 * rm.c - famfsd and deletes (the rm feature, docs/rm.md): this mount's
 * record in the host table, the open counts that say which deleted files
 * it still holds, unlink and rmdir through the master's mount, and telling
 * the kernel that a name another host deleted is gone.
 *
 * What this mount holds: every OPEN it accepted and has not seen RELEASEd.
 * That covers FUSE I/O, mmap through the mount and native mode (a mapping
 * holds the kernel's struct file, so RELEASE comes after the last munmap),
 * and the shim and libfamfs, which keep the famfs fd open while a mapping
 * lives. A deleted node with opens is "held" under its DELETE's index; the
 * record publishes the smallest such index.
 *
 * Locking: the namespace lock, then fsd->rm.mtx (the held list and
 * publishing).
 * A delete is applied under the namespace lock held exclusive, an OPEN
 * checks and counts under it held shared, so an OPEN is either counted
 * before the delete sees it or refused after.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>

#include "famfs/devmem.h"
#include "famfs/err.h"
#include "famfsd.h"

static bool rm_on(struct famfsd *fsd)
{
	return fsd->fs->rm && fsd->fs->hosts && fsd->fs->hosts->slot >= 0;
}

/*
 * The oldest delete this mount still holds: files open here, and files
 * waiting for their cache pass. fsd->rm.mtx held.
 */
static uint64_t hold_locked(struct famfsd *fsd)
{
	uint64_t h = FAMFS_HOLD_NONE;

	for (size_t i = 0; i < fsd->rm.nheld; i++)
		if (fsd->rm.held[i]->del_index < h)
			h = fsd->rm.held[i]->del_index;
	for (size_t i = 0; i < fsd->rm.ndirty; i++)
		if (fsd->rm.dirty[i].n->del_index < h)
			h = fsd->rm.dirty[i].n->del_index;
	return h;
}

static uint64_t held_cb(void *ctx)
{
	struct famfsd *fsd = ctx;
	uint64_t h;

	pthread_mutex_lock(&fsd->rm.mtx);
	h = hold_locked(fsd);
	pthread_mutex_unlock(&fsd->rm.mtx);
	return h;
}

/*
 * Publish our record; the caller holds the namespace lock (either way) and
 * fsd->rm.mtx.
 */
static void publish_locked(struct famfsd *fsd)
{
	unsigned long faults;
	int rc;

	if (!rm_on(fsd) || __atomic_load_n(&fsd->rm.evicted, __ATOMIC_RELAXED))
		return;
	/* The host table's device accesses are guarded one by one (lib/hosts.c). */
	faults = famfs_sigbus_caught_here();
	rc = famfs_fs_publish(fsd->fs, hold_locked(fsd));
	rc = famfsd_dev_check(fsd, 0, faults, rc);
	if (rc == -ESTALE) {
		__atomic_store_n(&fsd->rm.evicted, true, __ATOMIC_RELAXED);
		syslog(LOG_ERR, "famfsd %s: evicted from the host table: what this mount maps "
		       "is no longer protected from reuse; new opens fail until it is remounted",
		       fsd->mnt);
		fprintf(stderr, "famfsd: %s: evicted from the host table; new opens fail (EIO) "
			"until remounted\n", fsd->mnt);
	}
	__atomic_store_n(&fsd->rm.last_beat_ns, famfsd_now_ns(), __ATOMIC_RELAXED);
}

/* Add @n to a node list; false when out of memory. fsd->rm.mtx held. */
static bool list_add(struct famfs_node ***list, size_t *nr, size_t *cap, struct famfs_node *n)
{
	struct famfs_node **nl;

	if (*nr == *cap) {
		nl = realloc(*list, (*cap ? *cap * 2 : 16) * sizeof(**list));
		if (!nl)
			return false;
		*list = nl;
		*cap = *cap ? *cap * 2 : 16;
	}
	(*list)[(*nr)++] = n;
	return true;
}

static bool dirty_add(struct famfsd *fsd, struct famfs_node *n)
{
	struct famfsd_rm_dirty *nl;
	size_t cap = fsd->rm.capdirty ? fsd->rm.capdirty * 2 : 16;

	/* Test builds: "rm-nomem" makes the list full and memory short. */
	if (fsd->rm.ndirty == fsd->rm.capdirty || famfsd_test_flag("rm-nomem")) {
		if (famfsd_test_flag("rm-nomem"))
			return false;
		nl = realloc(fsd->rm.dirty, cap * sizeof(*nl));
		if (!nl)
			return false;
		fsd->rm.dirty = nl;
		fsd->rm.capdirty = cap;
	}
	fsd->rm.dirty[fsd->rm.ndirty++] = (struct famfsd_rm_dirty){ .n = n };
	return true;
}

/* @n's index on the dirty list, or -1; fsd->rm.mtx held. */
static ssize_t dirty_find(struct famfsd *fsd, const struct famfs_node *n)
{
	for (size_t i = 0; i < fsd->rm.ndirty; i++)
		if (fsd->rm.dirty[i].n == n)
			return (ssize_t)i;
	return -1;
}

static void held_remove(struct famfsd *fsd, struct famfs_node *n)
{
	for (size_t i = 0; i < fsd->rm.nheld; i++) {
		if (fsd->rm.held[i] == n) {
			fsd->rm.held[i] = fsd->rm.held[--fsd->rm.nheld];
			return;
		}
	}
}

/*
 * fs->on_delete: under the namespace lock held exclusive. A deleted file is
 * held by this mount until its memory may go: while it is open here, and
 * then until the cache pass over its memory (rmclean.c) is done, which
 * runs with no lock held: for a file nothing has open, in the unlink that
 * deleted it (before it replies), or else in the catch-up thread
 * (famfsd_rm_clean). Until then every publish keeps the hold, so the
 * catch-up's `replayed` and the master's unlink never let it go early.
 */
static void on_delete(void *ctx, struct famfs_node *n)
{
	struct famfsd *fsd = ctx;
	struct famfsd_rm_gone *g, *ng;
	struct famfsd_rm_capture *capt;
	bool open, noted, captured;

	if (S_ISREG(n->mode)) {
		open = __atomic_load_n(&n->opens, __ATOMIC_SEQ_CST);
		if (!open)
			famfsd_bpf_forget(fsd, n);
		pthread_mutex_lock(&fsd->rm.mtx);
		noted = open ? list_add(&fsd->rm.held, &fsd->rm.nheld, &fsd->rm.capheld, n) :
			dirty_add(fsd, n);
		/*
		 * Out of memory we cannot note an open file's hold: then hold
		 * everything from here on (never publish past this delete).
		 */
		if (!noted && open)
			__atomic_store_n(&fsd->rm.evicted, true, __ATOMIC_RELAXED);
		/* The unlink that deleted it passes over it itself. */
		capt = fsd->rm.capture;
		captured = !open && noted && capt && capt->nr < FAMFSD_RM_CAPTURE_MAX;
		if (captured)
			capt->n[capt->nr++] = n;
		pthread_mutex_unlock(&fsd->rm.mtx);
		/*
		 * Nothing has it open and we cannot list it: pass over it here,
		 * under the namespace lock (slow, but only out of memory), before
		 * anything publishes past its delete.
		 */
		if (!open && !noted)
			famfsd_clean_file(fsd, n);
		else if (!open && !captured)
			famfsd_catchup_kick_clean(fsd);
	}
	/*
	 * The name the master's own unlink or rmdir removes: the kernel drops
	 * its entry when we reply, and holds the directory locked until then,
	 * so a notification of it would block the catch-up thread (and its
	 * heartbeat) for as long as that unlink's pass runs.
	 */
	capt = fsd->rm.capture;
	if (capt && n->parent == capt->dir && !strcmp(n->name, capt->name))
		return;
	pthread_mutex_lock(&fsd->rm.gone_mtx);
	if (fsd->rm.ngone == fsd->rm.capgone) {
		size_t cap = fsd->rm.capgone ? fsd->rm.capgone * 2 : 64;

		ng = realloc(fsd->rm.gone, cap * sizeof(*fsd->rm.gone));
		if (ng) {
			fsd->rm.gone = ng;
			fsd->rm.capgone = cap;
		}
	}
	if (fsd->rm.ngone < fsd->rm.capgone) {
		g = &fsd->rm.gone[fsd->rm.ngone++];
		g->parent = n->parent->ino;
		g->child = n->ino;
		snprintf(g->name, sizeof(g->name), "%s", n->name);
	}
	pthread_mutex_unlock(&fsd->rm.gone_mtx);
}

/*
 * The pass over dirty node @n, which the caller marked busy; no lock held.
 * Then @n is let go: off the list, and published.
 */
static void pass_busy(struct famfsd *fsd, struct famfs_node *n)
{
	ssize_t i;

	famfsd_clean_file(fsd, n);
	pthread_rwlock_rdlock(&fsd->ns_lock);
	pthread_mutex_lock(&fsd->rm.mtx);
	i = dirty_find(fsd, n);
	if (i >= 0)
		fsd->rm.dirty[i] = fsd->rm.dirty[--fsd->rm.ndirty];
	fsd->rm.passes++;
	publish_locked(fsd);
	pthread_cond_broadcast(&fsd->rm.dirty_done);
	pthread_mutex_unlock(&fsd->rm.mtx);
	pthread_rwlock_unlock(&fsd->ns_lock);
}

/*
 * An unlink's own pass over what it deleted, with no lock held, so that it
 * returns only once the memory is let go by this host (a creat right after
 * it can have it). If another thread is passing over @n, wait for it.
 */
static void rm_clean_node(struct famfsd *fsd, struct famfs_node *n)
{
	ssize_t i;

	pthread_mutex_lock(&fsd->rm.mtx);
	while ((i = dirty_find(fsd, n)) >= 0 && fsd->rm.dirty[i].busy)
		pthread_cond_wait(&fsd->rm.dirty_done, &fsd->rm.mtx);
	if (i >= 0)
		fsd->rm.dirty[i].busy = true;
	pthread_mutex_unlock(&fsd->rm.mtx);
	if (i >= 0)
		pass_busy(fsd, n);
}

void famfsd_rm_clean(struct famfsd *fsd, bool wait)
{
	struct famfs_node *n;
	size_t todo, i;

	/*
	 * Only what is listed now (a stream of deletes does not keep us here),
	 * each published as soon as its pass is done. A wait for another
	 * thread's pass counts as one of them.
	 */
	pthread_mutex_lock(&fsd->rm.mtx);
	for (todo = fsd->rm.ndirty; todo; todo--) {
		for (i = 0; i < fsd->rm.ndirty && fsd->rm.dirty[i].busy; i++)
			;
		if (i == fsd->rm.ndirty) {
			if (!wait || !fsd->rm.ndirty)
				break;
			pthread_cond_wait(&fsd->rm.dirty_done, &fsd->rm.mtx);
			continue;
		}
		fsd->rm.dirty[i].busy = true;
		n = fsd->rm.dirty[i].n;
		pthread_mutex_unlock(&fsd->rm.mtx);
		pass_busy(fsd, n);
		pthread_mutex_lock(&fsd->rm.mtx);
	}
	pthread_mutex_unlock(&fsd->rm.mtx);
}

size_t famfsd_rm_waiting(struct famfsd *fsd, uint64_t *passes)
{
	size_t nr;

	pthread_mutex_lock(&fsd->rm.mtx);
	nr = fsd->rm.ndirty;
	*passes = fsd->rm.passes;
	pthread_mutex_unlock(&fsd->rm.mtx);
	return nr;
}

int famfsd_rm_start(struct famfsd *fsd)
{
	struct famfs_fs *fs = fsd->fs;
	int rc;

	fs->held = held_cb;
	fs->on_delete = on_delete;
	fs->held_ctx = fsd;
	if (!fs->rm)
		return 0;
	famfs_errclear();
	famfsd_test_pause("rm-start");	/* test builds: opened, not registered */
	/*
	 * Register, then catch up, then publish (with the hold of what that
	 * catch-up deleted: held_cb): before anything is served. Then the
	 * pass over those files, which publishes them let go.
	 */
	rc = famfs_fs_register(fs, FAMFS_HOST_FAMFSD, 0);
	if (rc)
		return rc;
	__atomic_store_n(&fsd->rm.last_beat_ns, famfsd_now_ns(), __ATOMIC_RELAXED);
	famfsd_rm_clean(fsd, false);
	return 0;
}

void famfsd_rm_mounted(struct famfsd *fsd, uint32_t conn)
{
	unsigned long faults;
	int rc;

	if (!rm_on(fsd))
		return;
	pthread_rwlock_rdlock(&fsd->ns_lock);
	pthread_mutex_lock(&fsd->rm.mtx);
	/* After fuse_daemonize: the pid that serves is ours, not our parent's. */
	faults = famfs_sigbus_caught_here();
	rc = famfs_hosts_set_owner(fsd->fs->hosts, conn);
	if (famfsd_dev_check(fsd, 0, faults, rc) == -ESTALE)
		__atomic_store_n(&fsd->rm.evicted, true, __ATOMIC_RELAXED);
	__atomic_store_n(&fsd->rm.last_beat_ns, famfsd_now_ns(), __ATOMIC_RELAXED);
	pthread_mutex_unlock(&fsd->rm.mtx);
	pthread_rwlock_unlock(&fsd->ns_lock);
}

void famfsd_rm_replayed(struct famfsd *fsd)
{
	pthread_mutex_lock(&fsd->rm.mtx);
	publish_locked(fsd);
	pthread_mutex_unlock(&fsd->rm.mtx);
}

void famfsd_rm_tick(struct famfsd *fsd)
{
	if (!rm_on(fsd) || famfsd_now_ns() - __atomic_load_n(&fsd->rm.last_beat_ns,
							     __ATOMIC_RELAXED) < 1000000000ULL)
		return;
	pthread_rwlock_rdlock(&fsd->ns_lock);
	pthread_mutex_lock(&fsd->rm.mtx);
	publish_locked(fsd);
	pthread_mutex_unlock(&fsd->rm.mtx);
	pthread_rwlock_unlock(&fsd->ns_lock);
}

void famfsd_rm_pass_fault(struct famfsd *fsd)
{
	__atomic_fetch_add(&fsd->rm.pass_faults, 1, __ATOMIC_RELAXED);
}

/*
 * The heartbeat from inside a long cache pass (rmclean.c), which may hold
 * up the catch-up thread's own (an unlink's pass blocks it in the kernel
 * on the unlink's directory; its own passes). Never waits for the
 * namespace lock, so it is safe under it too (the pass of a delete noted
 * out of memory runs with it held exclusive): then the beat is skipped.
 */
void famfsd_rm_beat(struct famfsd *fsd)
{
	if (!rm_on(fsd) || famfsd_now_ns() - __atomic_load_n(&fsd->rm.last_beat_ns,
							     __ATOMIC_RELAXED) < 1000000000ULL)
		return;
	if (pthread_rwlock_tryrdlock(&fsd->ns_lock))
		return;
	pthread_mutex_lock(&fsd->rm.mtx);
	publish_locked(fsd);
	pthread_mutex_unlock(&fsd->rm.mtx);
	pthread_rwlock_unlock(&fsd->ns_lock);
}

int famfsd_rm_open(struct famfsd *fsd, struct famfs_node *n)
{
	if (famfs_node_deleted(n))
		return -ENOENT;
	if (fsd->fs->rm && __atomic_load_n(&fsd->rm.evicted, __ATOMIC_RELAXED))
		return -EIO;
	/* A delete the superblock does not allow turned up (lib/fs_rm.c): serve nothing. */
	if (fsd->fs->rm_refused)
		return -EIO;
	__atomic_fetch_add(&n->opens, 1, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&fsd->rm.opens_total, 1, __ATOMIC_RELAXED);
	return 0;
}

void famfsd_rm_release(struct famfsd *fsd, struct famfs_node *n)
{
	bool last;

	/* Against a delete (exclusive): exactly one of the two sees the last open go. */
	pthread_rwlock_rdlock(&fsd->ns_lock);
	__atomic_fetch_sub(&fsd->rm.opens_total, 1, __ATOMIC_RELAXED);
	last = __atomic_sub_fetch(&n->opens, 1, __ATOMIC_SEQ_CST) == 0 && famfs_node_deleted(n);
	pthread_rwlock_unlock(&fsd->ns_lock);
	if (!last)
		return;
	/*
	 * The last reference to a deleted file: its memory may go. The
	 * resolver's entry goes first, so that no map of it outlives the
	 * hold on this host; the cache pass runs with no lock held (the
	 * node stays on the held list, and so held, until it is done).
	 */
	famfsd_bpf_forget(fsd, n);
	famfsd_test_pause("rm-release");	/* test builds: between the two */
	famfsd_clean_file(fsd, n);
	pthread_rwlock_rdlock(&fsd->ns_lock);
	pthread_mutex_lock(&fsd->rm.mtx);
	held_remove(fsd, n);
	publish_locked(fsd);
	pthread_mutex_unlock(&fsd->rm.mtx);
	pthread_rwlock_unlock(&fsd->ns_lock);
}

void famfsd_rm_notify(struct famfsd *fsd)
{
	struct famfsd_rm_gone *g;
	size_t n;

	pthread_mutex_lock(&fsd->rm.gone_mtx);
	g = fsd->rm.gone;
	n = fsd->rm.ngone;
	fsd->rm.gone = NULL;
	fsd->rm.ngone = fsd->rm.capgone = 0;
	pthread_mutex_unlock(&fsd->rm.gone_mtx);
	for (size_t i = 0; i < n; i++) {
		/* The kernel drops the name and marks its inode as unlinked. */
		if (fuse_lowlevel_notify_delete(fsd->se, g[i].parent, g[i].child, g[i].name,
						strlen(g[i].name)) == -ENOSYS)
			fuse_lowlevel_notify_inval_entry(fsd->se, g[i].parent, g[i].name,
							 strlen(g[i].name));
	}
	free(g);
}

void famfsd_rm_stop(struct famfsd *fsd)
{
	struct famfs_hosts *h = fsd->fs ? fsd->fs->hosts : NULL;

	if (!h || h->slot < 0)
		return;
	if (__atomic_load_n(&fsd->rm.opens_total, __ATOMIC_RELAXED)) {
		/* An aborted connection: what is still open never sends RELEASE. */
		fprintf(stderr, "famfsd: %s: %" PRIu64 " files still open: this mount's host "
			"record stays and keeps deleted memory from reuse until the mount is "
			"gone\n", fsd->mnt, __atomic_load_n(&fsd->rm.opens_total, __ATOMIC_RELAXED));
		famfs_hosts_keep(h);
	}
}

bool famfsd_rm_evicted(struct famfsd *fsd)
{
	return __atomic_load_n(&fsd->rm.evicted, __ATOMIC_RELAXED);
}

void famfsd_rm_stats(struct famfsd *fsd, struct famfs_stats_wire *w)
{
	struct famfs_fs_space sp;

	if (!fsd->fs->rm)
		return;
	w->rm_flags = FAMFS_STATS_RM_ON | (famfsd_rm_evicted(fsd) ? FAMFS_STATS_RM_EVICTED : 0);
	pthread_rwlock_rdlock(&fsd->ns_lock);
	pthread_mutex_lock(&fsd->rm.mtx);
	w->rm_held = fsd->rm.nheld + fsd->rm.ndirty;
	w->rm_pass_faults = __atomic_load_n(&fsd->rm.pass_faults, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&fsd->rm.mtx);
	if (famfs_fs_space(fsd->fs, &sp) == 0) {
		w->rm_pending = sp.pending;
		w->rm_hosts = sp.hosts;
		w->rm_stale = sp.stale;
	}
	famfs_errclear();
	pthread_rwlock_unlock(&fsd->ns_lock);
}

/* ---- unlink and rmdir through the master's mount ---- */

/* The errno an unlink or rmdir through this mount gets before anything is tried. */
static int delete_refusal(struct famfsd *fsd)
{
	if (famfsd_gone(fsd))
		return EIO;
	if (fsd->readonly)
		return EROFS;
	if (!fsd->master)
		return EPERM;
	if (!fsd->fs->rm)
		return EOPNOTSUPP;
	if (famfsd_dax_errno(fsd, 0))
		return -famfsd_dax_errno(fsd, 0);
	return 0;
}

/*
 * The kernel checked the sticky bit against the inode it had looked up, but
 * famfsd deletes by name: a famfs rm and creat of the same name on the
 * master in between (they need only the log lock) put another node there,
 * which the caller may not own. So the sticky rule is checked again, on the
 * node the name has now, under the log lock (caught up first: nothing can
 * change it until the delete is logged).
 */
static int sticky_refusal(struct famfsd *fsd, const struct famfs_node *dir, const char *path,
			  uid_t uid)
{
	const struct famfs_node *n;

	if (uid == 0 || !(dir->mode & S_ISVTX) || dir->uid == uid)
		return 0;
	famfs_fs_catchup(fsd->fs);
	n = famfs_ns_resolve(fsd->fs->ns, path);
	if (n && n->uid != uid)
		return EPERM;
	return 0;
}

/*
 * The locked half of unlink and rmdir, in a worker or the appender thread
 * (appender.c): mkdir_mtx, the log lock and ns_lock (exclusive) are held.
 * Replies.
 */
static void delete_locked(struct famfsd *fsd, struct famfsd_append *a)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(a->req);
	char path[FAMFS_OMF_PATH_MAX + 1];
	struct famfs_node *dir;
	unsigned long faults;
	uint64_t keep;
	int err, rc;

	/* Every delete is a log slot for ever: callers other than root leave root's reserve. */
	keep = ctx->uid == 0 ? 0 : fsd->reserve;
	err = famfsd_child_path(fsd, a->parent, a->name, path, &dir);
	if (!err)
		err = sticky_refusal(fsd, dir, path, ctx->uid);
	if (err)
		goto out;
	/* Not guarded as a whole: it locks and allocates; its device copies are guarded. */
	faults = famfs_sigbus_caught_here();
	a->cap.dir = dir;
	a->cap.name = a->name;
	fsd->rm.capture = &a->cap;
	rc = famfs_fs_delete(fsd->fs, path, (enum famfs_rm_what)a->arg, keep);
	fsd->rm.capture = NULL;
	rc = famfsd_dev_check(fsd, 0, faults, rc);
	if (rc < 0) {
		err = -rc;
		goto out;
	}
	famfsd_seen_advance(fsd, fsd->fs->next);
	pthread_mutex_lock(&fsd->rm.mtx);
	publish_locked(fsd);
	pthread_mutex_unlock(&fsd->rm.mtx);
out:
	a->err = err;
}

/*
 * The unlocked half: the pass over the files the delete let go, then the
 * reply. So rm(1) returns once this host let the memory go, as it did when
 * the pass ran under the locks, and a creat right after it finds the
 * memory free (if no other host holds it).
 */
static void delete_done(struct famfsd *fsd, struct famfsd_append *a)
{
	for (unsigned int i = 0; i < a->cap.nr; i++)
		rm_clean_node(fsd, a->cap.n[i]);
	famfsd_reply_err(a->req, a->err);
}

/* As mkdir: the append waits for the log lock in the appender thread, never here. */
static void op_delete(fuse_req_t req, fuse_ino_t parent, const char *name,
		      enum famfs_rm_what what)
{
	struct famfsd *fsd = famfsd_req(req);
	struct famfsd_append *a;
	int err;

	err = delete_refusal(fsd);
	/* .meta and its files are the device's superblock and log, read-only. */
	if (!err && (famfsd_meta_kind(fsd, parent) ||
		     (parent == FAMFS_ROOT_INO && !strcmp(name, FAMFS_META_DIRNAME))))
		err = EPERM;
	if (err) {
		famfsd_reply_err(req, err);
		return;
	}
	famfsd_test_pause("unlink");	/* test builds: after the kernel's checks */
	a = famfsd_append_new(req, delete_locked, parent, name, (unsigned int)what);
	if (a)
		a->done = delete_done;
	famfsd_append_submit(req, a);
}

void famfsd_op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	famfsd_count(famfsd_req(req), FAMFS_OP_UNLINK);
	op_delete(req, parent, name, FAMFS_RM_FILE);
}

void famfsd_op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	famfsd_count(famfsd_req(req), FAMFS_OP_RMDIR);
	op_delete(req, parent, name, FAMFS_RM_DIR);
}
