// SPDX-License-Identifier: Apache-2.0
/*
 * ctl.c - control ioctls on the mount's root directory: STATS (counters),
 * POISON (mark a device failed, as the kernel's notify_failure does; root
 * only), LOGPLAY (catch up with the log now) and INFO (who serves this
 * mount: the device, its file system uuid and the mount id, for the
 * trusted-mount check; INFO is answered on any file of the mount too),
 * DAXDEVS (the devices and where this host found them) and DAXDEV_REFRESH
 * (look again for the missing ones; root only).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "famfsd.h"

static void ctl_stats(fuse_req_t req, size_t out_bufsz)
{
	struct famfsd *fsd = famfsd_req(req);
	struct famfs_stats_wire w;

	famfsd_stats_fill(fsd, &w);
	pthread_rwlock_rdlock(&fsd->ns_lock);
	w.log_next_index = fsd->fs->next;
	pthread_rwlock_unlock(&fsd->ns_lock);
	if (out_bufsz < sizeof(w)) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	fuse_reply_ioctl(req, 0, &w, sizeof(w));
}

static void ctl_poison(fuse_req_t req, const void *in_buf, size_t in_bufsz)
{
	struct famfsd *fsd = famfsd_req(req);
	const uint8_t *in = in_buf;
	uint32_t idx;
	int rc;

	if (fuse_req_ctx(req)->uid != 0) {
		fuse_reply_err(req, EPERM);
		return;
	}
	if (in_bufsz < 4) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	idx = (uint32_t)in[0] | (uint32_t)in[1] << 8 | (uint32_t)in[2] << 16 |
	      (uint32_t)in[3] << 24;
	if (famfsd_dax_fail(fsd, idx, FAMFSD_DAX_POISONED)) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	fprintf(stderr, "famfsd: daxdev %u marked failed (poison)\n", idx);
	/* Native: the kernel serves the data, so it must block the device too. */
	rc = famfsd_native_poison(fsd, idx);
	if (rc) {
		fprintf(stderr, "famfsd: cannot tell the kernel daxdev %u is poisoned: %s\n",
			idx, strerror(-rc));
		fuse_reply_err(req, -rc);
		return;
	}
	fuse_reply_ioctl(req, 0, NULL, 0);
}

static void ctl_logplay(fuse_req_t req)
{
	struct famfsd *fsd = famfsd_req(req);
	long n = famfsd_catchup_now(fsd);

	if (n < 0) {
		famfsd_reply_err(req, (int)-n);
		return;
	}
	fuse_reply_ioctl(req, n > 0x7fffffff ? 0x7fffffff : (int)n, NULL, 0);
}

static void ctl_info(fuse_req_t req, size_t out_bufsz)
{
	struct famfsd *fsd = famfsd_req(req);
	struct famfs_mount_info mi;

	if (out_bufsz < sizeof(mi)) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	memset(&mi, 0, sizeof(mi));
	mi.version = FAMFS_MOUNT_INFO_VERSION;
	mi.role = fsd->master ? FAMFS_ROLE_MASTER : FAMFS_ROLE_CLIENT;
	mi.ndevs = famfsd_dax_count(fsd);
	mi.dev_size = fsd->fs->dev->size;
	mi.pid = (uint64_t)getpid();
	snprintf(mi.devpath, sizeof(mi.devpath), "%s", fsd->fs->dev->path);
	memcpy(mi.fs_uuid, fsd->fs->log->sb.uuid, sizeof(mi.fs_uuid));
	memcpy(mi.mount_id, fsd->mount_id, sizeof(mi.mount_id));
	fuse_reply_ioctl(req, 0, &mi, sizeof(mi));
}

static void ctl_daxdevs(fuse_req_t req, size_t out_bufsz)
{
	struct famfsd *fsd = famfsd_req(req);
	struct famfs_daxdev_list *l;

	if (out_bufsz < sizeof(*l)) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	l = malloc(sizeof(*l));
	if (!l) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	pthread_rwlock_rdlock(&fsd->ns_lock);
	famfsd_dax_list(fsd, l);
	pthread_rwlock_unlock(&fsd->ns_lock);
	fuse_reply_ioctl(req, 0, l, sizeof(*l));
	free(l);
}

/*
 * Look again for the devices not found. Root only: famfsd opens the path it
 * is given (and every device it scans) with its own privileges.
 */
static void ctl_daxdev_refresh(fuse_req_t req, const void *in_buf, size_t in_bufsz)
{
	struct famfsd *fsd = famfsd_req(req);
	char hint[FAMFS_DAXDEV_NAME_MAX] = "";
	int n;

	if (fuse_req_ctx(req)->uid != 0) {
		fuse_reply_err(req, EPERM);
		return;
	}
	if (in_bufsz) {
		snprintf(hint, sizeof(hint), "%.*s", (int)(in_bufsz < sizeof(hint) ?
							   in_bufsz : sizeof(hint) - 1),
			 (const char *)in_buf);
		if (hint[0] && hint[0] != '/') {
			fuse_reply_err(req, EINVAL);
			return;
		}
	}
	/* Pick up devices the log added since (a devadd), then look. */
	famfsd_catchup_now(fsd);
	n = famfsd_find_devs(fsd, hint[0] ? hint : NULL);
	if (n > 0)
		fprintf(stderr, "famfsd: found %d more device%s\n", n, n == 1 ? "" : "s");
	fuse_reply_ioctl(req, n < 0 ? 0 : n, NULL, 0);
}

void famfsd_ctl_ioctl(fuse_req_t req, unsigned int cmd, const void *in_buf,
		      size_t in_bufsz, size_t out_bufsz)
{
	switch (cmd) {
	case FAMFS_IOC_STATS:
		ctl_stats(req, out_bufsz);
		break;
	case FAMFS_IOC_POISON:
		ctl_poison(req, in_buf, in_bufsz);
		break;
	case FAMFS_IOC_LOGPLAY:
		ctl_logplay(req);
		break;
	case FAMFS_IOC_INFO:
		ctl_info(req, out_bufsz);
		break;
	case FAMFS_IOC_CREAT:
		famfsd_ioc_creat(req, in_buf, in_bufsz, out_bufsz);
		break;
	case FAMFS_IOC_DAXDEVS:
		ctl_daxdevs(req, out_bufsz);
		break;
	case FAMFS_IOC_DAXDEV_REFRESH:
		ctl_daxdev_refresh(req, in_buf, in_bufsz);
		break;
	default:
		fuse_reply_err(req, ENOTTY);
	}
}
