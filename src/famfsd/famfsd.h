/* SPDX-License-Identifier: Apache-2.0 */
/*
 * famfsd.h - state shared by the parts of famfsd, the libfuse3 low-level
 * server that serves one famfs device on one mount point.
 *
 * All of it is one struct famfsd, made by main.c and given to libfuse as
 * the session's userdata: a request handler finds it with famfsd_req(req),
 * the native-mode I/O hooks get it as their userdata, the catch-up thread
 * as its argument, and every other function takes it as its first
 * argument. famfsd has no global state of its own.
 *
 * Locking: the namespace (fs->ns, fs->alloc, fs->next) is read under
 * ns_lock held shared and changed (catch-up, mkdir, unlink, rmdir) under
 * it held exclusive. Nodes are never freed (a deleted node only loses its
 * name), so a node pointer taken under the lock stays valid after it is
 * dropped. The daxdev table and the counters are atomics and need no lock.
 * An append through the mount (mkdir, unlink, rmdir) also takes the
 * host-wide log lock (flock), always before ns_lock and never while
 * holding it: its holder may be another process that keeps it for long.
 * Only the appender thread (appender.c) waits for it, never a worker.
 * rm.c's fsd->rm.mtx nests inside ns_lock.
 */
#ifndef FAMFSD_H
#define FAMFSD_H

#define FUSE_USE_VERSION 314

#include <fuse_lowlevel.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "famfs/fmap.h"
#include "famfs/fs.h"
#include "famfs/ioctl.h"
#include "famfs/meta.h"

#define FAMFSD_BLKSIZE		(2U << 20)	/* st_blksize: one allocation unit */
#define FAMFSD_NAMEMAX		(FAMFS_OMF_PATH_MAX - 1)

/* Why a device is failed; 0 means healthy. */
enum famfsd_dax_state {
	FAMFSD_DAX_OK = 0,
	FAMFSD_DAX_POISONED = 1,	/* famfs poison: EHWPOISON, as notify_failure */
	FAMFSD_DAX_VANISHED = 2,	/* SIGBUS on access: EIO */
	FAMFSD_DAX_MISSING = 3,		/* in the log, not found on this host: ENODEV,
					   until famfs daxdev refresh finds it */
};

/*
 * One slot per device of the file system (index = the log's device
 * index). valid is set once, after the rest; name is written only while
 * the state is MISSING or before valid, and read once the state is not.
 */
struct famfsd_daxdev {
	bool valid;			/* atomic */
	int state;			/* enum famfsd_dax_state, atomic */
	char name[FAMFS_DAXDEV_NAME_MAX];
};

/* stats.c: request counters, atomics (FAMFS_IOC_STATS reads them) */
struct famfsd_stats {
	uint64_t ops[FAMFS_OP__COUNT];
	uint64_t bytes_read, bytes_written, errors_eio;
	uint64_t catchups, catchup_entries, catchup_ns, mount_replay_ns;
};

/* native.c: what the kernel offered at INIT and what famfsd accepted */
struct famfsd_native {
	bool allow;			/* DEV is a devdax char device, no -o nonative */
	uint64_t offered;		/* INIT flags the kernel offered */
	uint64_t init_unique;		/* the INIT request until answered, atomic */
	uint64_t mode;			/* FAMFS_FUSE_MODE_*, atomic */
};

struct famfsd_bpf;			/* bpf.c: the loaded BPF resolver */

/* rm.c: what this mount holds of deleted files, and its host table record */
struct famfsd_rm_gone {
	uint64_t parent, child;
	char name[FAMFS_OMF_PATH_MAX];
};

struct famfsd_rm_dirty {
	struct famfs_node *n;
	bool busy;
};

/* The deleted files an unlink put on the dirty list, for its own pass. */
#define FAMFSD_RM_CAPTURE_MAX	4
struct famfsd_rm_capture {
	struct famfs_node *n[FAMFSD_RM_CAPTURE_MAX];
	unsigned int nr;
	/* the unlink's own name: the kernel drops its entry on our reply */
	const struct famfs_node *dir;
	const char *name;
};

struct famfsd_rm {
	pthread_mutex_t mtx;		/* the held list and publishing; after ns_lock */
	struct famfs_node **held;	/* deleted nodes with opens */
	size_t nheld, capheld;
	/*
	 * deleted nodes nothing here has open, held until the cache pass over
	 * their memory: the unlink's own (rm.c), or the
	 * catch-up thread's (famfsd_rm_clean). busy: a thread is passing over
	 * it; dirty_done is signalled when a pass is done.
	 */
	struct famfsd_rm_dirty *dirty;
	size_t ndirty, capdirty;
	pthread_cond_t dirty_done;
	uint64_t passes;		/* passes done (dirty list), for creat */
	struct famfsd_rm_capture *capture;	/* the unlink running (ns_lock excl.) */
	uint64_t opens_total;		/* atomic: OPENs not RELEASEd yet */
	uint64_t pass_faults;		/* atomic: faults the cache passes met */
	bool evicted;			/* atomic */
	uint64_t last_beat_ns;
	/* names deleted since the catch-up thread last told the kernel */
	pthread_mutex_t gone_mtx;
	struct famfsd_rm_gone *gone;
	size_t ngone, capgone;
};

/* appender.c: an append (mkdir, unlink, rmdir) waiting for the log lock */
struct famfsd;
struct famfsd_append;
typedef void (*famfsd_append_fn)(struct famfsd *fsd, struct famfsd_append *a);

struct famfsd_append {
	struct famfsd_append *next;
	fuse_req_t req;
	famfsd_append_fn run;
	famfsd_append_fn done;		/* after the locks are dropped: replies */
	int err;			/* run's errno for done */
	struct famfsd_rm_capture cap;	/* unlink: what done passes over */
	fuse_ino_t parent;
	unsigned int arg;		/* mkdir: the mode; unlink, rmdir: enum famfs_rm_what */
	bool ready;			/* its interrupt callback is registered (ap.mtx) */
	bool interrupted;		/* its caller was interrupted (ap.mtx) */
	char name[];
};

struct famfsd_appender {
	pthread_mutex_t mtx;		/* the queue; after a libfuse request's lock */
	pthread_cond_t cond;
	struct famfsd_append *head, **tail;
	pthread_t thread;
	bool started;
	bool stop;			/* ap.mtx */
};

/* The catch-up thread's default period (-o poll_ms=), ms. */
#define FAMFSD_POLL_MS	4

struct famfsd {
	struct famfs_fs *fs;
	struct fuse_session *se;
	pthread_rwlock_t ns_lock;
	double timeout;			/* entry and attr timeout, seconds */
	bool readonly;
	bool cache_page;		/* -o cache=page: read-only opens use the page cache */
	bool bpf;			/* -o bpf: the BPF resolver maps are pinned */
	bool nonative;			/* -o nonative: never accept FUSE_DAX_FMAP */
	char *test_fmap_dir;		/* -o test_fmap=DIR: answer GET_FMAP from files */
	char mnt[4096];			/* the mount point, absolute */
	char bpf_dir[256];		/* where (empty when not pinned) */
	bool master;
	bool user_mkdir;		/* -o user_mkdir: callers other than root may mkdir */
	int reserve_pct;		/* -o reserve=P%, or -1 for reserve=N */
	uint64_t reserve;		/* log slots only root may use (from the above) */
	uint8_t mount_id[16];		/* random: names this mount (FAMFS_IOC_INFO) */
	uint64_t seen_next;		/* atomic, only grows: the highest log next_index
					   known committed (catch-up try or our own
					   append); see famfsd_seen_* in ident.c */
	struct famfsd_daxdev dax[FAMFS_MAX_DAXDEVS];
	struct famfsd_stats stats;
	struct famfsd_native native;
	struct famfsd_bpf *bpfr;	/* -o bpf: the resolver, NULL until loaded */
	pthread_mutex_t mkdir_mtx;	/* our own appends: a flock does not keep them apart */
	pthread_key_t rbuf_key;		/* ops_file.c: each thread's read buffer */
	struct famfsd_rm rm;
	struct famfsd_appender ap;	/* appender.c */
	char *alloc_cfg;		/* meta.c: -o alloc_cfg=FILE's bytes, or NULL */
	size_t alloc_cfg_len;
	char *alloc_cfg_path;		/* meta.c: FILE, for messages */
	int hostlock_fd;		/* hostlock.c: held until exit, or -1 */
	char hostlock_file[256];	/* its path */

	/* catch-up thread */
	pthread_t cu_thread;
	bool cu_started;
	bool cu_stop;
	uint64_t cu_next;		/* the catch-up thread's last poll of the index */
	unsigned int poll_ms;		/* -o poll_ms=N: its period */
	pthread_mutex_t cu_mtx;
	pthread_cond_t cu_cond;
	uint64_t inval[64];		/* directories to invalidate */
	unsigned int ninval;
	bool inval_all;
	bool inval_gone;		/* drop everything the kernel caches */
	bool cu_clean;			/* deleted files wait for their cache pass */

	/* ident.c: what the device held at mount */
	int gone;			/* atomic: the file system was replaced */
	uint8_t sb_snap[FAMFS_SB_SIZE];
	uint8_t hdr_snap[32];
};

/* The device's metadata as read by one guarded pass. */
struct famfsd_meta {
	uint64_t seen;			/* seen_next, loaded before the device read */
	uint8_t sb[FAMFS_SB_SIZE];
	uint8_t hdr[FAMFS_LOG_HDR_SIZE];
	uint64_t next;			/* famfs_log_next_index (clamped) */
};

/* The state of the mount @req came from: the session's userdata. */
static inline struct famfsd *famfsd_req(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

/* main.c: a new state with famfsd's defaults; NULL if out of memory. */
struct famfsd *famfsd_new(void);
void famfsd_free(struct famfsd *fsd);

/* opts.c: the command line, and the libfuse session it asks for */
#define EXIT_USAGE	2

struct famfsd_cmdline {
	const char *dev;		/* absolute when it resolves */
	const char *mnt;
	bool debug;			/* -d */
	char **fuse_opts;		/* the -o options left to libfuse, in order */
	unsigned int nfuse_opts;
	struct fuse_cmdline_opts co;	/* what libfuse's fuse_parse_cmdline took */
	char devbuf[4096];
};

/*
 * Parse argv into @fsd (famfsd's options) and @cl. Returns -1 to go on, or
 * the exit status: 0 after --help, EXIT_USAGE after one line.
 */
int famfsd_cmdline_parse(struct famfsd *fsd, int argc, char **argv,
			 struct famfsd_cmdline *cl);
/*
 * The session for @ops, with @fsd as its userdata: libfuse parses its own
 * options here. NULL after one line, *@status the exit status.
 */
struct fuse_session *famfsd_session_new(struct famfsd *fsd, struct famfsd_cmdline *cl,
					const struct fuse_lowlevel_ops *ops, int *status);
void famfsd_cmdline_free(struct famfsd_cmdline *cl);
/* Print "famfsd: MESSAGE (try 'famfsd --help')"; returns EXIT_USAGE. */
int famfsd_usage_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ops_dir.c / ops_file.c / ctl.c: the low-level operation table */
void famfsd_init_ops(struct fuse_lowlevel_ops *ops);
void famfsd_op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name);
void famfsd_fill_attr(const struct famfs_node *n, struct stat *st);
void famfsd_node_entry(struct famfsd *fsd, const struct famfs_node *n,
		       struct fuse_entry_param *e);
struct timespec famfsd_node_time(const struct famfs_node *n);
void famfsd_node_touch(struct famfs_node *n);	/* a write through this mount */
/* The node of @ino, or NULL; the caller holds ns_lock. */
struct famfs_node *famfsd_node(struct famfsd *fsd, fuse_ino_t ino);
/*
 * The log path of @name in directory @parent, for logging a change there
 * (mkdir, unlink, rmdir): 0, or ENOENT (no such live directory),
 * ENAMETOOLONG, or the errno of a device that is no longer ours. The
 * caller holds ns_lock exclusive.
 */
int famfsd_child_path(struct famfsd *fsd, fuse_ino_t parent, const char *name,
		      char path[FAMFS_OMF_PATH_MAX + 1], struct famfs_node **dirp);
/*
 * appender.c: the locks for an append through the mount (mkdir, unlink,
 * rmdir, FAMFS_IOC_CREAT), tried once and never waited for in a worker
 * thread: a worker that waits for the host-wide lock (which anyone who can
 * read the device can hold) is a thread that serves no other request, and
 * a dozen of them hang the mount. -EWOULDBLOCK when another process or
 * another append holds them, -EIO when the file system is gone. On 0 the
 * caller holds mkdir_mtx and the log lock, and not ns_lock;
 * famfsd_append_tryunlock drops both. FAMFS_IOC_CREAT answers EAGAIN and
 * the CLI waits in its own process; mkdir, unlink and rmdir are handed to
 * the appender thread with famfsd_append_submit.
 */
int famfsd_append_trylock(struct famfsd *fsd);
void famfsd_append_tryunlock(struct famfsd *fsd);
/*
 * A new request for the appender: @run does the append and replies to
 * @req; it is called with mkdir_mtx, the log lock and ns_lock (exclusive)
 * held, in the worker when the locks are free, else in the appender
 * thread. @name is copied. NULL if out of memory.
 */
struct famfsd_append *famfsd_append_new(fuse_req_t req, famfsd_append_fn run,
					fuse_ino_t parent, const char *name,
					unsigned int arg);
/*
 * Run @a now if the locks are free, else queue it for the appender (which
 * answers EINTR if the caller is interrupted meanwhile); @a NULL answers
 * ENOMEM. Either way @req is answered, now or later, and @a freed.
 */
void famfsd_append_submit(fuse_req_t req, struct famfsd_append *a);
int famfsd_appender_start(struct famfsd *fsd);
/* After the session loop: stop the thread, answer what is queued ENOTCONN. */
void famfsd_appender_stop(struct famfsd *fsd);
void famfsd_file_ops(struct fuse_lowlevel_ops *ops);
void famfsd_ioctl(fuse_req_t req, fuse_ino_t ino, unsigned int cmd, void *arg,
		  struct fuse_file_info *fi, unsigned int flags, const void *in_buf,
		  size_t in_bufsz, size_t out_bufsz);
void famfsd_ctl_ioctl(fuse_req_t req, unsigned int cmd, const void *in_buf,
		      size_t in_bufsz, size_t out_bufsz);

/*
 * hostlock.c: a host mounts a device once. Take the lock of @dev for this
 * host's system uuid, held until famfsd exits; -1 (printed, naming the
 * mount that holds it) when another famfsd of this host serves @dev.
 */
int famfsd_hostlock(struct famfsd *fsd, const char *dev, const char *mnt);
void famfsd_hostunlock(struct famfsd *fsd);	/* at exit: unlink the lock file */
/* After fuse_daemonize(): name this process (not the parent) in the lock file. */
void famfsd_hostlock_owner(struct famfsd *fsd);

/* meta.c: the .meta directory (famfs/meta.h) */
/* -o alloc_cfg=FILE: read and check FILE into @fsd; 0, or -1 after one line. */
int famfsd_meta_load_cfg(struct famfsd *fsd, const char *path);
const char *famfsd_meta_cfg(struct famfsd *fsd, size_t *len);	/* its bytes, or NULL */
/*
 * Once the device is open: the alloc_cfg's values must be ones the
 * allocator takes for this device, or every creat and cp would fail. 0, or
 * -1 after one line naming FILE.
 */
int famfsd_meta_check_cfg(struct famfsd *fsd);
/* FAMFS_META_NONE: not a .meta inode (of this mount) */
enum famfs_meta_kind famfsd_meta_kind(struct famfsd *fsd, fuse_ino_t ino);
void famfsd_meta_attr(struct famfsd *fsd, enum famfs_meta_kind k, struct stat *st);
void famfsd_meta_entry(struct famfsd *fsd, enum famfs_meta_kind k, struct fuse_entry_param *e);
/* Reply if @parent/@name is .meta or in it; false: not ours. */
bool famfsd_meta_lookup(fuse_req_t req, fuse_ino_t parent, const char *name);
/* The .meta entry of the root's listing (at ordinal 2). */
size_t famfsd_meta_dirent(fuse_req_t req, char *buf, size_t size, enum famfs_meta_kind k,
			  off_t next, bool plus);
void famfsd_meta_readdir(fuse_req_t req, size_t size, off_t off, bool plus);
void famfsd_meta_file_open(fuse_req_t req, enum famfs_meta_kind k, struct fuse_file_info *fi);
void famfsd_meta_file_read(fuse_req_t req, enum famfs_meta_kind k, size_t size, off_t off);
/* The GET_FMAP reply of a .meta file into @buf: its length or -errno. */
ssize_t famfsd_meta_fmap(struct famfsd *fsd, enum famfs_meta_kind k, uint8_t *buf);
void famfsd_meta_get_fmap(fuse_req_t req, enum famfs_meta_kind k, size_t out_bufsz);

/* catchup.c */
int famfsd_catchup_start(struct famfsd *fsd);
void famfsd_catchup_stop(struct famfsd *fsd);
/* Cheap check plus catch-up if the log moved; caller holds no lock. */
void famfsd_catchup_maybe(struct famfsd *fsd);
/* Catch up now; returns entries replayed or a negative errno. */
long famfsd_catchup_now(struct famfsd *fsd);
/*
 * Tell the kernel, from the catch-up thread, that the directories holding
 * the nodes of log entries [@from, @to) changed (their attributes and
 * listings). Any thread; the caller holds ns_lock.
 */
void famfsd_queue_parents(struct famfsd *fsd, uint64_t from, uint64_t to);
/* Wake the catch-up thread for famfsd_rm_clean; any thread, any lock. */
void famfsd_catchup_kick_clean(struct famfsd *fsd);

/* creat.c: FAMFS_IOC_CREAT, famfs creat on a mounted file system */
void famfsd_ioc_creat(fuse_req_t req, const void *in_buf, size_t in_bufsz, size_t out_bufsz);

/* ident.c: is the device still the file system we mounted? */
int famfsd_ident_init(struct famfsd *fsd);	/* snapshot; after famfs_fs_open */
/*
 * Read the superblock and log header (guarded); 0 or the device's errno.
 * seen_next is loaded first, so the index read from the device is never
 * older than m->seen: another thread that appends or catches up meanwhile
 * only raises seen_next past what this read can know about.
 */
int famfsd_meta_read(struct famfsd *fsd, struct famfsd_meta *m);
/* Compare @m with the snapshot; on a change mark gone. True if still ours. */
bool famfsd_meta_check(struct famfsd *fsd, const struct famfsd_meta *m);
/* Read and check; 0, -EIO once gone, or the device's errno. */
int famfsd_ident_check(struct famfsd *fsd);
bool famfsd_gone(struct famfsd *fsd);
void famfsd_gone_invalidate(struct famfsd *fsd);	/* catch-up thread only */
uint64_t famfsd_seen_load(struct famfsd *fsd);
/* Raise seen_next to @next if higher. */
void famfsd_seen_advance(struct famfsd *fsd, uint64_t next);

/*
 * Test builds only (-DFAMFSD_TEST_HOOKS, the famfsd the race tests mount):
 * famfsd_test_pause(@where) stops the calling thread while the file
 * $FAMFSD_TEST_PAUSE_DIR/@where exists, after creating .../@where.paused,
 * so that a test can run something inside a race window. One thread at a
 * time pauses. A release build has no hook: the call compiles to nothing.
 */
#ifdef FAMFSD_TEST_HOOKS
void famfsd_test_pause(const char *where);
/* Test builds: does $FAMFSD_TEST_PAUSE_DIR/@name exist? */
bool famfsd_test_flag(const char *name);
#else
static inline void famfsd_test_pause(const char *where) { (void)where; }
static inline bool famfsd_test_flag(const char *name) { (void)name; return false; }
#endif

/* daxdev.c */
/*
 * Bring the table in step with the file system's devices (after mount, a
 * catch-up or a refresh); caller holds ns_lock exclusive, or is alone.
 */
void famfsd_dax_sync(struct famfsd *fsd);
/*
 * Look for the devices not found, at @hint (or NULL) and with a scan. The
 * caller holds no lock: ns_lock is taken only to copy what the search
 * needs and to publish what it found, never while it opens a path, which
 * may lead into our own mount. Returns how many were found, or -errno.
 */
int famfsd_find_devs(struct famfsd *fsd, const char *hint);
/* 0 if every device @n uses is healthy, else -EHWPOISON, -EIO or -ENODEV. */
int famfsd_node_health(struct famfsd *fsd, const struct famfs_node *n);
int famfsd_dax_errno(struct famfsd *fsd, unsigned int idx);
/* Device @idx is marked vanished or missing: its memory cannot be reached. */
bool famfsd_dax_unreachable(struct famfsd *fsd, unsigned int idx);
int famfsd_dax_fail(struct famfsd *fsd, unsigned int idx, int why);
uint64_t famfsd_dax_failed_mask(struct famfsd *fsd);
unsigned int famfsd_dax_count(struct famfsd *fsd);
/* The name GET_DAXDEV answers for @idx: 0, -EINVAL (no such slot), -ENODEV (missing). */
int famfsd_dax_name(struct famfsd *fsd, unsigned int idx, char name[FAMFS_DAXDEV_NAME_MAX]);
/* FAMFS_IOC_DAXDEVS: the table as clients see it; caller holds ns_lock. */
void famfsd_dax_list(struct famfsd *fsd, struct famfs_daxdev_list *l);

/*
 * SIGBUS (libfamfs's guard, famfs/sigbus.h and famfs/devmem.h, installed at
 * start): the guard wraps only device memory copies, never code that locks
 * or allocates.
 * famfsd_guarded runs the pure copy @fn(@ctx) guarded; famfsd_dev_check
 * ends a library call (catch-up, mkdir) whose own device copies are
 * guarded, given famfs_sigbus_caught_here() from before it. Either marks
 * device @devidx vanished after a fault and returns -EIO; else @rc.
 */
int famfsd_guarded(struct famfsd *fsd, unsigned int devidx, int (*fn)(void *ctx),
		   void *ctx);
int famfsd_dev_check(struct famfsd *fsd, unsigned int devidx, unsigned long before,
		     int rc);

/* bpf.c: -o bpf (see famfs/resolver.h) */
int famfsd_bpf_load(struct famfsd *fsd);		/* before mount; prints why it fails */
int famfsd_bpf_pin(struct famfsd *fsd, const char *mnt);	/* after mount, before serving */
void famfsd_bpf_clear_stale(const char *mnt);	/* any mode: drop a dead famfsd's pins */
/* OPEN: store the extents of @n */
void famfsd_bpf_open(struct famfsd *fsd, const struct famfs_node *n);
/* A deleted file, released: drop its extents */
void famfsd_bpf_forget(struct famfsd *fsd, const struct famfs_node *n);
void famfsd_bpf_dev_failed(struct famfsd *fsd, unsigned int idx);
void famfsd_bpf_stop(struct famfsd *fsd);

ssize_t famfsd_fmap_reply(struct famfsd *fsd, const struct famfs_node *n, uint8_t *buf);

/*
 * native.c: the kernel's own famfs protocol (FUSE_DAX_FMAP, GET_FMAP 54,
 * GET_DAXDEV 55) through libfuse's custom I/O hooks. Call after
 * fuse_session_mount, before serving.
 */
int famfsd_native_setup(struct famfsd *fsd, bool allow_native);
uint64_t famfsd_native_mode(struct famfsd *fsd);	/* FAMFS_FUSE_MODE_* */
/* Tell the kernel (native mode) that device @idx is poisoned. */
int famfsd_native_poison(struct famfsd *fsd, unsigned int idx);

/* rm.c: deletes (the rm feature, docs/rm.md) */
int famfsd_rm_start(struct famfsd *fsd);	/* before mount: join the host table */
void famfsd_rm_mounted(struct famfsd *fsd, uint32_t conn);	/* after mount: our connection */
void famfsd_rm_replayed(struct famfsd *fsd);	/* a catch-up moved; ns_lock held exclusive */
void famfsd_rm_tick(struct famfsd *fsd);	/* catch-up thread: heartbeat */
void famfsd_rm_beat(struct famfsd *fsd);	/* a long pass: heartbeat, never waits */
void famfsd_rm_pass_fault(struct famfsd *fsd);	/* a cache pass met a fault (stats) */
void famfsd_rm_notify(struct famfsd *fsd);	/* catch-up thread: deleted names to the kernel */
/*
 * No lock held: the cache pass over the deleted files nothing here had
 * open that are on the dirty list now, publishing each one let go. The
 * catch-up thread skips those another thread is passing over; @wait (a
 * creat short of room) waits for those too, a bounded number of times.
 */
void famfsd_rm_clean(struct famfsd *fsd, bool wait);
/*
 * Deleted files nothing here has open that wait for their pass; *@passes:
 * how many such passes were done so far.
 */
size_t famfsd_rm_waiting(struct famfsd *fsd, uint64_t *passes);
/*
 * rmclean.c: write back and drop this host's cache lines of deleted @n's
 * memory (only the resident pages of a regular-file device). No lock held;
 * this host still holds @n. A fault is logged, never a device failure.
 */
void famfsd_clean_file(struct famfsd *fsd, const struct famfs_node *n);
/* OPEN; ns_lock held: 0 or -errno */
int famfsd_rm_open(struct famfsd *fsd, struct famfs_node *n);
/* RELEASE of an OPEN counted */
void famfsd_rm_release(struct famfsd *fsd, struct famfs_node *n);
void famfsd_rm_stop(struct famfsd *fsd);	/* at exit: leave the table if nothing is open */
bool famfsd_rm_evicted(struct famfsd *fsd);
void famfsd_rm_stats(struct famfsd *fsd, struct famfs_stats_wire *w);
void famfsd_op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name);
void famfsd_op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name);

/* stats.c */
void famfsd_count(struct famfsd *fsd, enum famfs_op op);
void famfsd_count_bytes(struct famfsd *fsd, uint64_t rd, uint64_t wr);
void famfsd_count_eio(struct famfsd *fsd);
void famfsd_count_catchup(struct famfsd *fsd, uint64_t entries, uint64_t ns);
void famfsd_set_mount_replay(struct famfsd *fsd, uint64_t ns);
void famfsd_stats_fill(struct famfsd *fsd, struct famfs_stats_wire *w);
uint64_t famfsd_now_ns(void);

/* Reply with error @err (positive), counting EIO/EHWPOISON. */
void famfsd_reply_err(fuse_req_t req, int err);

#endif
