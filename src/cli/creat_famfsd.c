// SPDX-License-Identifier: Apache-2.0
/*
 * creat_famfsd.c - famfs creat on a mounted file system: famfsd allocates,
 * zeroes and logs the file (FAMFS_IOC_CREAT on the mount's root, see
 * src/famfsd/creat.c), so this process neither opens the device nor
 * replays the log, and a creation costs the same at the 10,000th file as
 * at the first. The mount is checked first, as for every online verb: a
 * trusted famfs mount, confirmed by its famfsd (cli_confirm_mount).
 * famfsd checks that the caller could have opened the device read-write,
 * which is what making the file here would take.
 *
 * A famfsd that predates the ioctl answers ENOTTY: the caller then makes
 * the file itself, as before (cli_creat_famfsd returns CLI_NOT_SERVED).
 * So it does when famfsd answers EAGAIN: the log lock is held (by another
 * process, or famfsd is making another file), and famfsd never waits for
 * it in a thread that serves the mount; this process waits for it instead.
 * famfsd also answers EAGAIN for what it leaves to the caller: a creat on
 * a client mount, and --no-zero on a file system with deletes.
 * And when the path exists already: creat of an existing file is
 * upstream's no-op (or an error for another size or type), which the
 * caller decides from the replayed log.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "famfs/err.h"
#include "famfs/ioctl.h"
#include "cli.h"

int cli_creat_famfsd(const struct cli_target *t, const char *path,
		     const struct cli_creat_args *a)
{
	struct famfs_creat_req r;
	int fd, rc;

	if (t->ro)
		return cli_failf(path, "read-only mount (%s was mounted with -r)", t->mnt);
	if (cli_confirm_mount(t, path))
		return CLI_FAIL;
	memset(&r, 0, sizeof(r));
	r.version = FAMFS_CREAT_REQ_VERSION;
	r.size = a->size;
	r.mode = a->mode;
	r.uid = a->uid;
	r.gid = a->gid;
	if (!a->zero)
		r.flags = FAMFS_CREAT_REQ_NOZERO;
	if (a->ip) {
		r.nstrips = a->ip->nstrips;
		r.nbuckets = a->ip->nbuckets;
		r.chunk_size = a->ip->chunk_size;
	}
	if (strlen(t->rel) >= sizeof(r.relpath))
		return cli_failf(path, "path too long for a famfs log entry");
	memcpy(r.relpath, t->rel, strlen(t->rel) + 1);
	fd = cli_mount_root_fd(t->mnt);
	if (fd < 0)
		return cli_fail(t->mnt, fd);
	rc = ioctl(fd, FAMFS_IOC_CREAT, &r) ? -errno : 0;
	close(fd);
	if (rc == -ENOTTY)
		return CLI_NOT_SERVED;
	if (rc)
		return cli_failf(path, "famfsd: %s", strerror(-rc));
	if (r.err == EAGAIN || r.err == EEXIST)
		return CLI_NOT_SERVED;
	if (r.err) {
		r.msg[sizeof(r.msg) - 1] = '\0';
		famfs_err(-r.err, "%s", r.msg[0] ? r.msg : strerror(r.err));
		return cli_fail(path, -r.err);
	}
	return CLI_OK;
}
