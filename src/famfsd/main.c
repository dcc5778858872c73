// SPDX-License-Identifier: Apache-2.0
/*
 * main.c - famfsd [-r] [-t TIMEOUT] [-d] [-o OPTS] DEV MNT, famfsd -h|--help
 *
 * A usage error prints one line with a hint and exits 2; --help prints the
 * full usage on stdout and exits 0; every other failure exits 1.
 *
 * Parses the command line and creates the libfuse session first (opts.c),
 * so that any bad option, famfsd's or libfuse's, fails before the device
 * is touched. Then checks privilege (root or CAP_SYS_RAWIO, as the
 * kernel's famfs mount), opens and replays the file system before anything
 * is mounted (so a bad image fails with one line and leaves no mount),
 * mounts, then detaches: the parent exits only once the mount exists.
 * Serves until unmounted or signalled, then tears down in order.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "famfs/devperm.h"
#include "famfs/err.h"
#include "famfs/sigbus.h"
#include "famfsd.h"

struct famfsd *famfsd_new(void)
{
	struct famfsd *fsd = calloc(1, sizeof(*fsd));

	if (!fsd)
		return NULL;
	/* Each worker thread's read buffer is freed when libfuse ends the thread. */
	if (pthread_key_create(&fsd->rbuf_key, free)) {
		free(fsd);
		return NULL;
	}
	pthread_rwlock_init(&fsd->ns_lock, NULL);
	pthread_mutex_init(&fsd->cu_mtx, NULL);
	pthread_cond_init(&fsd->cu_cond, NULL);
	pthread_mutex_init(&fsd->mkdir_mtx, NULL);
	pthread_mutex_init(&fsd->rm.mtx, NULL);
	pthread_mutex_init(&fsd->rm.gone_mtx, NULL);
	pthread_cond_init(&fsd->rm.dirty_done, NULL);
	pthread_mutex_init(&fsd->ap.mtx, NULL);
	pthread_cond_init(&fsd->ap.cond, NULL);
	fsd->ap.tail = &fsd->ap.head;
	fsd->reserve_pct = FAMFS_LOG_RESERVE_PCT;
	fsd->timeout = 60.0;
	fsd->poll_ms = FAMFSD_POLL_MS;
	fsd->hostlock_fd = -1;
	return fsd;
}

void famfsd_free(struct famfsd *fsd)
{
	if (!fsd)
		return;
	pthread_key_delete(fsd->rbuf_key);
	pthread_rwlock_destroy(&fsd->ns_lock);
	pthread_mutex_destroy(&fsd->cu_mtx);
	pthread_cond_destroy(&fsd->cu_cond);
	pthread_mutex_destroy(&fsd->mkdir_mtx);
	pthread_mutex_destroy(&fsd->rm.mtx);
	pthread_mutex_destroy(&fsd->rm.gone_mtx);
	pthread_cond_destroy(&fsd->rm.dirty_done);
	pthread_mutex_destroy(&fsd->ap.mtx);
	pthread_cond_destroy(&fsd->ap.cond);
	free(fsd->rm.held);
	free(fsd->rm.dirty);
	free(fsd->rm.gone);
	free(fsd->test_fmap_dir);
	free(fsd->alloc_cfg);
	free(fsd->alloc_cfg_path);
	free(fsd);
}

/* True if we are root or hold CAP_SYS_RAWIO in the effective set. */
static bool privileged(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	if (geteuid() == 0)
		return true;
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data))
		return false;
	return data[CAP_SYS_RAWIO / 32].effective & (1U << (CAP_SYS_RAWIO % 32));
}

/* Say which devices of the file system this host does not have. */
static void warn_missing(struct famfsd *fsd)
{
	struct famfs_fs *fs = fsd->fs;
	char u[37];

	for (uint32_t i = 1; i < fs->devtab.ndevs; i++) {
		if (famfs_fs_dev(fs, i))
			continue;
		uuid_unparse(fs->devtab.dev[i].uuid, u);
		fprintf(stderr, "famfsd: device %u (uuid %s) not found: %s; its files fail "
			"with ENODEV until famfs daxdev refresh finds it\n", i, u,
			fs->dev_why[i]);
	}
}

/* Is every device found a devdax char device (what native mode maps)? */
static bool all_daxdev(struct famfsd *fsd)
{
	struct famfs_dev *d;

	for (uint32_t i = 0; i < fsd->fs->devtab.ndevs; i++) {
		d = famfs_fs_dev(fsd->fs, i);
		if (d && !d->is_daxdev)
			return false;
	}
	return true;
}

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	/* Let large reads and writes travel in one request (1 MiB). */
	conn->max_write = 1U << 20;
	conn->max_readahead = 1U << 20;
}

static void op_destroy(void *userdata)
{
}

int main(int argc, char **argv)
{
	struct fuse_lowlevel_ops ops;
	struct famfsd_cmdline cl;
	struct fuse_loop_config *lc;
	struct famfsd *fsd;
	char pmsg[512];
	struct statx stx;
	struct stat st;
	uint64_t t0;
	int rc, ret = 1;

	memset(&cl, 0, sizeof(cl));
	fsd = famfsd_new();
	if (!fsd) {
		fprintf(stderr, "famfsd: out of memory\n");
		return 1;
	}
	rc = famfsd_cmdline_parse(fsd, argc, argv, &cl);
	if (rc >= 0) {
		ret = rc;
		goto out_cmdline;
	}
	/* libfuse's own options are checked here, before the device is touched. */
	famfsd_init_ops(&ops);
	ops.init = op_init;
	ops.destroy = op_destroy;
	fsd->se = famfsd_session_new(fsd, &cl, &ops, &ret);
	if (!fsd->se)
		goto out_cmdline;
	ret = 1;

	if (!privileged()) {
		fprintf(stderr, "famfsd: need root or CAP_SYS_RAWIO\n");
		goto out_session;
	}
	/* Opt in: libfamfs's device copies turn a SIGBUS into -EIO from here on. */
	if (famfs_sigbus_install()) {
		fprintf(stderr, "famfsd: cannot install SIGBUS handler: %s\n", famfs_errmsg());
		goto out_session;
	}

	t0 = famfsd_now_ns();
	famfs_errclear();
	rc = famfs_fs_open(cl.dev, fsd->readonly ? 0 : FAMFS_FS_WRITE, &fsd->fs);
	if (rc < 0) {
		fprintf(stderr, "famfsd: %s: %s\n", cl.dev,
			*famfs_errmsg() ? famfs_errmsg() : strerror(-rc));
		goto out_session;
	}
	famfsd_set_mount_replay(fsd, famfsd_now_ns() - t0);
	if (famfsd_meta_check_cfg(fsd))
		goto out_fs;
	if (famfsd_hostlock(fsd, cl.dev, cl.mnt))
		goto out_fs;
	/* Mounted, catch-ups hold ns_lock: devices are then looked for unlocked. */
	fsd->fs->defer_search = true;
	if (fsd->fs->replay_err)
		fprintf(stderr, "famfsd: %s: log replay stopped at entry %llu (%s); "
			"serving the valid prefix\n", cl.dev, (unsigned long long)fsd->fs->next,
			strerror(-fsd->fs->replay_err));
	if (famfs_dev_check_perms(cl.dev, pmsg, sizeof(pmsg)) == FAMFS_DEVPERM_WARN)
		fprintf(stderr, "famfsd: warning: %s\n", pmsg);
	fsd->master = fsd->fs->log->role == FAMFS_ROLE_MASTER;
	if (fsd->reserve_pct >= 0) {
		fsd->reserve = famfs_log_reserve(fsd->fs->log->nslots,
						 (unsigned int)fsd->reserve_pct);
	} else if (fsd->reserve > fsd->fs->log->nslots) {
		ret = famfsd_usage_err("reserve=%llu is more than the %llu slots of the log",
				       (unsigned long long)fsd->reserve,
				       (unsigned long long)fsd->fs->log->nslots);
		goto out_fs;
	}
	if (getrandom(fsd->mount_id, sizeof(fsd->mount_id), 0) !=
	    (ssize_t)sizeof(fsd->mount_id)) {
		fprintf(stderr, "famfsd: cannot draw a mount id: %s\n", strerror(errno));
		goto out_fs;
	}
	famfsd_dax_sync(fsd);
	warn_missing(fsd);
	/* With deletes: join the host table before anything is served. */
	rc = famfsd_rm_start(fsd);
	if (rc < 0) {
		fprintf(stderr, "famfsd: %s: host table: %s\n", cl.dev,
			*famfs_errmsg() ? famfs_errmsg() : strerror(-rc));
		goto out_fs;
	}
	famfsd_test_pause("rm-started");	/* test builds: registered, not mounted */
	famfsd_seen_advance(fsd, fsd->fs->next);
	rc = famfsd_ident_init(fsd);
	if (rc < 0) {
		fprintf(stderr, "famfsd: %s: %s\n", cl.dev, rc == -ESTALE ?
			"the superblock changed while it was being read; retry" : strerror(-rc));
		goto out_fs;
	}
	if (fsd->bpf && famfsd_bpf_load(fsd))
		goto out_fs;

	if (fuse_set_signal_handlers(fsd->se)) {
		fprintf(stderr, "famfsd: cannot set signal handlers\n");
		goto out_fs;
	}
	if (fuse_session_mount(fsd->se, cl.mnt)) {
		fprintf(stderr, "famfsd: cannot mount %s on %s\n", cl.dev, cl.mnt);
		goto out_signals;
	}
	if (!realpath(cl.mnt, fsd->mnt))
		snprintf(fsd->mnt, sizeof(fsd->mnt), "%s", cl.mnt);
	/*
	 * fusectl names our connection after the mount's device number.
	 * Published now, before fuse_daemonize changes our pid: a record
	 * without a connection then means a famfsd that never mounted, and
	 * with its pid gone it can be cleaned (lib/hosts.c).
	 */
	if (!statx(AT_FDCWD, fsd->mnt, AT_STATX_DONT_SYNC, STATX_BASIC_STATS, &stx))
		famfsd_rm_mounted(fsd, (stx.stx_dev_major << 20) | stx.stx_dev_minor);
	/* Native mode needs devdax char devices: the kernel maps them itself. */
	rc = famfsd_native_setup(fsd, !fsd->nonative && stat(cl.dev, &st) == 0 &&
				 S_ISCHR(st.st_mode) && all_daxdev(fsd));
	if (rc) {
		fprintf(stderr, "famfsd: cannot hook the FUSE session: %s\n", strerror(-rc));
		goto out_unmount;
	}
	if (fsd->bpf ? famfsd_bpf_pin(fsd, cl.mnt) : (famfsd_bpf_clear_stale(cl.mnt), 0))
		goto out_unmount;
	/* The parent returns once we are mounted and detached. */
	if (fuse_daemonize(cl.co.foreground)) {
		fprintf(stderr, "famfsd: cannot daemonize\n");
		goto out_unmount;
	}
	famfsd_hostlock_owner(fsd);
	/* Again, with the pid that serves (ours now, not our parent's). */
	if (!statx(AT_FDCWD, fsd->mnt, AT_STATX_DONT_SYNC, STATX_BASIC_STATS, &stx))
		famfsd_rm_mounted(fsd, (stx.stx_dev_major << 20) | stx.stx_dev_minor);
	if (famfsd_catchup_start(fsd)) {
		fprintf(stderr, "famfsd: cannot start the catch-up thread\n");
		goto out_unmount;
	}
	if (famfsd_appender_start(fsd)) {
		fprintf(stderr, "famfsd: cannot start the appender thread\n");
		goto out_catchup;
	}

	if (cl.co.singlethread) {
		ret = fuse_session_loop(fsd->se) ? 1 : 0;
		goto out_catchup;
	}
	lc = fuse_loop_cfg_create();
	if (!lc)
		goto out_catchup;
	fuse_loop_cfg_set_clone_fd(lc, (unsigned int)cl.co.clone_fd);
	fuse_loop_cfg_set_idle_threads(lc, cl.co.max_idle_threads);
	fuse_loop_cfg_set_max_threads(lc, cl.co.max_threads);
	ret = fuse_session_loop_mt(fsd->se, lc) ? 1 : 0;
	fuse_loop_cfg_destroy(lc);
out_catchup:
	/* Before the unmount: what is queued is answered on the connection. */
	famfsd_appender_stop(fsd);
	famfsd_catchup_stop(fsd);
out_unmount:
	fuse_session_unmount(fsd->se);
	famfsd_bpf_stop(fsd);
out_signals:
	fuse_remove_signal_handlers(fsd->se);
out_fs:
	famfsd_bpf_stop(fsd);
	famfsd_rm_stop(fsd);
	famfs_fs_close(fsd->fs);
	famfsd_hostunlock(fsd);
out_session:
	fuse_session_destroy(fsd->se);
out_cmdline:
	famfsd_cmdline_free(&cl);
	famfsd_free(fsd);
	return ret;
}
