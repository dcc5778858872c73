// SPDX-License-Identifier: Apache-2.0
/*
 * creat.c - FAMFS_IOC_CREAT: famfs creat on a mounted file system, done by
 * famfsd, which holds the replayed namespace and allocator. A `famfs creat`
 * process of its own would open the device and replay the whole log first
 * (O(log) per file); asked here, a creation costs one request.
 *
 * It is the same creation as the CLI's (famfs_fs_creat_flags, over every
 * device of the file system by the allocset policy): the master only,
 * under the host-wide log lock (tried once, famfsd_append_trylock: a
 * worker thread never waits for it; when it is busy the answer is EAGAIN
 * and the CLI makes the file itself, waiting for the lock in its own
 * process, as offline), after a check that the device still holds the file
 * system we mounted, with the whole allocation zeroed before the file is
 * logged (FAMFS_CREAT_REQ_NOZERO: famfs creat --no-zero), the zeroing done
 * with famfsd's namespace lock dropped (creat_locked), each device's part
 * under a SIGBUS guard of its own. famfs creat -r
 * does not come here: it writes its pattern through the device itself.
 *
 * Who may: the same callers as offline. famfs creat needs the device open
 * read-write, so famfsd serves root, and anyone else only if the kernel
 * says that they could open the device read-write (may_write_dev). The
 * log slots reserved for root stay free for everyone else, as for a FUSE
 * mkdir. The answer carries the errno and the one-line detail the CLI
 * prints.
 *
 * The kernel learns of the new name at the next lookup (famfsd never
 * caches a negative one); the parent's attributes are dropped by the
 * catch-up thread, as after a replay.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "famfs/devmem.h"
#include "famfs/err.h"
#include "famfs/path.h"
#include "famfs/zero.h"
#include "famfsd.h"

/*
 * All of the caller's supplementary groups, into *@out (malloc'd, NULL for
 * none): their number, or -ENOMEM. The kernel keeps them sorted by gid, so
 * a cut list would drop the highest ones, the device's group maybe.
 * fuse_req_getgroups says how many there are; a list that grew between two
 * reads is read again. Groups it cannot learn (another pid namespace, an
 * error) count as none: never more than the caller has.
 */
static int caller_groups(fuse_req_t req, gid_t **out)
{
	int size = 64, n;
	gid_t *g;

	*out = NULL;
	for (;;) {
		g = malloc((size_t)size * sizeof(*g));
		if (!g)
			return -ENOMEM;
		n = fuse_req_getgroups(req, size, g);
		if (n <= 0) {
			free(g);
			return 0;
		}
		if (n <= size || size == NGROUPS_MAX) {
			*out = g;
			return n < size ? n : size;
		}
		free(g);
		size = n < NGROUPS_MAX ? n : NGROUPS_MAX;
	}
}

/* famfsd's own supplementary groups into *@out (malloc'd): their number or -errno. */
static int own_groups(gid_t **out)
{
	int n = getgroups(0, NULL);

	for (;;) {
		if (n < 0)
			return -errno;
		*out = malloc(((size_t)n + 1) * sizeof(**out));
		if (!*out)
			return -ENOMEM;
		n = getgroups(n + 1, *out);
		if (n >= 0 || errno != EINVAL)
			return n < 0 ? -errno : n;
		free(*out);
		*out = NULL;
		n = getgroups(0, NULL);
	}
}

/*
 * May the caller of @req open the device read-write, as `famfs --device`
 * would have to? Root may. For anyone else the kernel answers: this thread
 * takes the caller's fsuid, fsgid and groups (raw syscalls, which change
 * the calling thread only, where glibc's setgroups would change every
 * thread of famfsd), opens the device's path read-write as the caller (the
 * kernel's own check: permission bits, ACLs, LSMs, the directories on the
 * way; no access() emulation, which glibc does with the real uid, root's,
 * where faccessat2 is missing), checks that the file it opened is the
 * device famfsd has open (no second lookup of the path to race with),
 * closes it and takes its own credentials back. 0, -EACCES, or another negative errno.
 */
static int may_write_dev(struct famfsd *fsd, fuse_req_t req)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	gid_t *groups = NULL, *mine = NULL;
	struct stat want, st;
	int fd, n, nmine, rc;

	if (ctx->uid == 0)
		return 0;
	if (fstat(fsd->fs->dev->fd, &want))
		return -errno;
	n = caller_groups(req, &groups);
	nmine = own_groups(&mine);
	if (n < 0 || nmine < 0) {
		rc = n < 0 ? n : nmine;
		goto out;
	}
	if (syscall(SYS_setgroups, (size_t)n, groups)) {
		rc = -errno;
		goto out;
	}
	syscall(SYS_setfsgid, ctx->gid);
	syscall(SYS_setfsuid, ctx->uid);
	rc = 0;
	/* setfsuid(-1) changes nothing and says what it is: check both took. */
	if ((uid_t)syscall(SYS_setfsuid, -1) != ctx->uid ||
	    (gid_t)syscall(SYS_setfsgid, -1) != ctx->gid)
		rc = -EPERM;
	else {
		fd = open(fsd->fs->dev->path, O_RDWR | O_CLOEXEC | O_NOCTTY);
		if (fd < 0)
			rc = errno == EACCES || errno == EPERM || errno == ENOENT ?
				-EACCES : -errno;
		else if (fstat(fd, &st))
			rc = -errno;
		else if (st.st_dev != want.st_dev || st.st_ino != want.st_ino ||
			 st.st_rdev != want.st_rdev)
			rc = -EACCES;
		if (fd >= 0)
			close(fd);
	}
	syscall(SYS_setfsuid, geteuid());
	syscall(SYS_setfsgid, getegid());
	if (syscall(SYS_setgroups, (size_t)nmine, mine)) {
		/* This thread would go on with the caller's groups: never. */
		fprintf(stderr, "famfsd: cannot take its groups back after a creat "
			"check: %s\n", strerror(errno));
		abort();
	}
out:
	free(groups);
	free(mine);
	return rc;
}

/* Record @err (positive) and the detail @fmt in @r. */
static int creat_fail(struct famfs_creat_req *r, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int creat_fail(struct famfs_creat_req *r, int err, const char *fmt, ...)
{
	va_list ap;

	r->err = err;
	va_start(ap, fmt);
	vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
	va_end(ap);
	return err;
}

/* The library's error @rc (negative) with its detail, into @r. */
static int lib_fail(struct famfs_creat_req *r, int rc)
{
	const char *d = famfs_errmsg();

	return creat_fail(r, -rc, "%s", *d ? d : strerror(-rc));
}

struct zero_ctx {
	struct famfs_fs *fs;
	const struct famfs_omf_fmap *fmap;
	uint32_t dev;			/* zero the ranges on this device */
};

/* Store-only (or hole punching): a pure device copy, for the SIGBUS guard. */
static int zero_guarded(void *arg)
{
	struct zero_ctx *z = arg;

	return famfs_zero_tail_on(z->fs->devs, z->fs->devtab.ndevs, z->fmap, 0, z->dev);
}

/*
 * Under the log lock and ns_lock exclusive: take the memory, zero it with
 * ns_lock dropped, take ns_lock back and log the file. Zeroing a large
 * file on a device that cannot punch holes takes seconds (10 GB/s), and
 * every LOOKUP, OPEN, GETATTR and GET_FMAP of the mount needs ns_lock
 * meanwhile. Nothing changes the namespace or the allocator while
 * ns_lock is dropped: every append through famfsd holds mkdir_mtx, every
 * other process needs the log lock, and replay finds nothing new while we
 * hold it. The memory stays marked in use until the file is logged, so a
 * failed zeroing (a fault: EIO) leaves it unused until the next mount.
 */
static int creat_locked(struct famfsd *fsd, struct famfs_creat_req *r,
			const struct famfs_interleave_param *ipp, unsigned int flags,
			const struct famfs_node **n, unsigned long *faults)
{
	struct famfs_omf_fmap fmap;
	int rc;

	rc = famfs_fs_creat_take(fsd->fs, r->relpath, r->size, ipp, &fmap);
	if (rc)
		return rc;
	if (!(flags & FAMFS_CREAT_NOZERO)) {
		pthread_rwlock_unlock(&fsd->ns_lock);
		famfsd_test_pause("creat_zero");	/* test builds: zeroing under way */
		/*
		 * Guarded: memory that faults (poison in a former file's
		 * memory, a device file cut short) fails this creat with EIO
		 * and marks the device failed; famfsd serves on.
		 */
		for (uint32_t i = 0; !rc && i < fsd->fs->devtab.ndevs; i++)
			rc = famfsd_guarded(fsd, i, zero_guarded,
					    &(struct zero_ctx){ fsd->fs, &fmap, i });
		/* Faults in the zeroing failed their own device, not the log's. */
		*faults = famfs_sigbus_caught_here();
		pthread_rwlock_wrlock(&fsd->ns_lock);
		if (rc)
			return rc;
	}
	return famfs_fs_creat_log(fsd->fs, r->relpath, r->size, r->mode & 07777, r->uid,
				  r->gid, &fmap, flags, n);
}

static int creat_try(struct famfsd *fsd, struct famfs_creat_req *r,
		     const struct famfs_interleave_param *req_ip, unsigned int flags,
		     uint64_t keep);

/* Check and make the file @r asks for. */
static int do_creat(fuse_req_t req, struct famfs_creat_req *r)
{
	struct famfsd *fsd = famfsd_req(req);
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	struct famfs_interleave_param ip = {
		.nbuckets = r->nbuckets, .nstrips = r->nstrips, .chunk_size = r->chunk_size,
	};
	unsigned int flags = 0;
	uint64_t keep, passes, now;
	int rc;

	if (r->version != FAMFS_CREAT_REQ_VERSION)
		return creat_fail(r, EINVAL, "famfsd speaks creat request version %d, not %llu",
				  FAMFS_CREAT_REQ_VERSION, (unsigned long long)r->version);
	if (!memchr(r->relpath, '\0', sizeof(r->relpath)))
		return creat_fail(r, ENAMETOOLONG, "path of %zu bytes or more, with no end, "
				  "is too long for a famfs log entry", sizeof(r->relpath));
	famfs_errclear();
	rc = famfs_path_check(r->relpath);
	if (rc)
		return lib_fail(r, rc);
	if (famfsd_gone(fsd))
		return creat_fail(r, EIO, "the file system on the device changed under the "
				  "mount: unmount it");
	if (fsd->readonly)
		return creat_fail(r, EROFS, "read-only mount (%s was mounted with -r)", fsd->mnt);
	/*
	 * Evicted from the host table: other hosts may reuse memory this
	 * mount's opens hold, and our allocator would too (it reads the table).
	 */
	if (famfsd_rm_evicted(fsd))
		return creat_fail(r, EIO, "this mount was evicted from the host table: "
				  "unmount it");
	/*
	 * Not served here (EAGAIN: the caller makes the file itself, with its
	 * own rules and messages): a client's caller may find the file exists
	 * (upstream's no-op) or refuse it as a client; on an rm file system a
	 * --no-zero file still gets a deleted file's memory zeroed, which
	 * famfs_fs_creat_log does under ns_lock and outside the SIGBUS guard.
	 */
	if (!fsd->master || (fsd->fs->rm && (r->flags & FAMFS_CREAT_REQ_NOZERO)))
		return creat_fail(r, EAGAIN, "not served by famfsd: the caller makes the file");
	rc = may_write_dev(fsd, req);
	if (rc)
		return creat_fail(r, -rc, "creating a file needs read-write access to %s%s%s",
				  fsd->fs->dev->path, rc == -EACCES ? "" : ": ",
				  rc == -EACCES ? "" : strerror(-rc));
	rc = famfsd_dax_errno(fsd, 0);
	if (rc)
		return creat_fail(r, -rc, "device %s has failed", fsd->fs->dev->path);
	if (r->flags & ~FAMFS_CREAT_REQ_NOZERO)
		return creat_fail(r, EINVAL, "unknown creat request flags %#x", r->flags);
	if (r->flags & FAMFS_CREAT_REQ_NOZERO)
		flags |= FAMFS_CREAT_NOZERO;
	keep = ctx->uid == 0 ? 0 : fsd->reserve;
	famfsd_rm_waiting(fsd, &passes);
	rc = creat_try(fsd, r, &ip, flags, keep);
	/*
	 * Short of room while files deleted here (famfs rm, or a delete its
	 * own catch-up just replayed) wait for this host's cache pass: do it
	 * now (or wait for the thread doing it), and try once more, rather
	 * than fail for memory only we held. A pass that ended since our
	 * try began may have let go what it lacked: try again too.
	 */
	if (rc == ENOSPC && (famfsd_rm_waiting(fsd, &now) || now != passes)) {
		famfsd_rm_clean(fsd, true);
		r->err = 0;
		r->msg[0] = '\0';
		rc = creat_try(fsd, r, &ip, flags, keep);
	}
	return rc;
}

/*
 * Take the locks and make the file (interleaved as @req_ip asks); r->err
 * (returned) and r->msg say why not.
 */
static int creat_try(struct famfsd *fsd, struct famfs_creat_req *r,
		     const struct famfs_interleave_param *req_ip, unsigned int flags,
		     uint64_t keep)
{
	struct famfs_interleave_param ip = *req_ip;
	const struct famfs_interleave_param *ipp = NULL;
	const struct famfs_node *n = NULL;
	unsigned long faults;
	uint64_t from, nfree;
	int rc;

	rc = famfsd_append_trylock(fsd);
	if (rc == -EWOULDBLOCK)
		return creat_fail(r, EAGAIN, "the log lock of %s is held", fsd->fs->dev->path);
	if (rc)
		return creat_fail(r, -rc, "%s", strerror(-rc));
	pthread_rwlock_wrlock(&fsd->ns_lock);
	/* Never append to a log that is not the one we mounted. */
	rc = famfsd_ident_check(fsd);
	if (rc) {
		creat_fail(r, -rc, "the file system on the device changed under the mount");
		goto out;
	}
	/*
	 * The devices new files may go to (docs/multidev.md): a failed device
	 * (poisoned, or its memory gone) takes none, for good. Under ns_lock,
	 * as every use of the allocator.
	 */
	for (uint32_t i = 1; i < fsd->fs->alloc.ndevs; i++)
		if (famfsd_dax_errno(fsd, i) && famfs_fs_dev(fsd->fs, i))
			famfs_allocset_usable(&fsd->fs->alloc, i, false);
	if (famfs_interleave_enabled(&ip)) {
		/* The rules of every device this host can place files on (allocset.h). */
		famfs_allocset_interleave_fill(&fsd->fs->alloc, &ip);
		famfs_errclear();
		rc = famfs_allocset_interleave_check(&fsd->fs->alloc, &ip);
		if (rc) {
			lib_fail(r, rc);
			goto out;
		}
		ipp = &ip;
	}
	/* Every entry is a log slot for ever: leave root its reserve (@keep). */
	nfree = famfs_log_free_slots(fsd->fs->log);
	if (keep && nfree <= keep) {
		creat_fail(r, ENOSPC, "log full for this caller: the last %llu free slots are "
			   "reserved for root", (unsigned long long)nfree);
		goto out;
	}
	from = fsd->fs->next;
	famfs_errclear();
	/*
	 * Not inside a SIGBUS guard: it takes the log lock and allocates. Its
	 * device copies are guarded one by one.
	 */
	faults = famfs_sigbus_caught_here();
	rc = famfs_fs_begin(fsd->fs);
	if (!rc) {
		rc = creat_locked(fsd, r, ipp, flags, &n, &faults);
		famfs_fs_end(fsd->fs);
	}
	rc = famfsd_dev_check(fsd, 0, faults, rc);
	famfsd_seen_advance(fsd, fsd->fs->next);
	if (fsd->fs->next > from)
		famfsd_queue_parents(fsd, from, fsd->fs->next);
	if (rc)
		lib_fail(r, rc);
	else
		r->ino = n->ino;
out:
	pthread_rwlock_unlock(&fsd->ns_lock);
	famfsd_append_tryunlock(fsd);
	return r->err;
}

void famfsd_ioc_creat(fuse_req_t req, const void *in_buf, size_t in_bufsz, size_t out_bufsz)
{
	struct famfs_creat_req r;

	famfsd_count(famfsd_req(req), FAMFS_OP_CREAT);
	if (in_bufsz < sizeof(r) || out_bufsz < sizeof(r)) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	memcpy(&r, in_buf, sizeof(r));
	r.err = 0;
	r.ino = 0;
	r.msg[0] = '\0';
	do_creat(req, &r);
	fuse_reply_ioctl(req, 0, &r, sizeof(r));
}
