/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ioctl.h - how famfs clients talk to famfsd on a stock kernel.
 *
 * The kernel patches add FUSE opcodes GET_FMAP (54) and GET_DAXDEV (55). A
 * stock kernel has neither, so the same V10 bytes travel as restricted FUSE
 * ioctls on an open famfs file (the kernel sizes the buffers from the
 * command number and forwards them to famfsd as FUSE_IOCTL):
 *
 *   FAMFS_IOC_GET_FMAP     on a file: out = the GET_FMAP reply (header and
 *                          extents); the ioctl returns its length in bytes.
 *   FAMFS_IOC_GET_DAXDEV   on any famfs fd: in = fuse_daxdev_out whose first
 *                          u16 is the device index; out = the exact 280-byte
 *                          fuse_daxdev_out. Returns 0.
 *
 * Control ioctls go to the mount's root directory (open it O_RDONLY):
 *   FAMFS_IOC_STATS        out = struct famfs_stats_wire
 *   FAMFS_IOC_POISON       in  = u32 device index: mark it failed (sticky)
 *   FAMFS_IOC_LOGPLAY      catch up with the log now; returns new entries
 *   FAMFS_IOC_INFO         out = struct famfs_mount_info (also answered on
 *                          any file of the mount, for the direct-access
 *                          client's trust check)
 *   FAMFS_IOC_CREAT        in/out = struct famfs_creat_req: famfsd allocates,
 *                          zeroes and logs a new file (famfs creat on a
 *                          mounted file system); the ioctl returns 0 and
 *                          the outcome is in the struct's err and msg
 *   FAMFS_IOC_DAXDEVS      out = struct famfs_daxdev_list: the devices of the
 *                          file system and where this host found them
 *   FAMFS_IOC_DAXDEV_REFRESH  in = an absolute path or "" (root only): look
 *                          again for the devices not found, at the path
 *                          first, then by scanning; returns how many were
 *                          found now
 */
#ifndef FAMFS_IOCTL_H
#define FAMFS_IOCTL_H

#include <stdint.h>
#include <sys/ioctl.h>

#include "famfs/fmap.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FAMFS_IOC_MAGIC		0xFA

#define FAMFS_IOC_GET_FMAP	_IOR(FAMFS_IOC_MAGIC, 54, uint8_t[FAMFS_FMAP_MSG_MAX])
#define FAMFS_IOC_GET_DAXDEV	_IOWR(FAMFS_IOC_MAGIC, 55, uint8_t[FAMFS_DAXDEV_OUT_SIZE])
#define FAMFS_IOC_STATS		_IOR(FAMFS_IOC_MAGIC, 0x40, struct famfs_stats_wire)
#define FAMFS_IOC_POISON	_IOW(FAMFS_IOC_MAGIC, 0x41, uint32_t)
#define FAMFS_IOC_LOGPLAY	_IO(FAMFS_IOC_MAGIC, 0x42)
#define FAMFS_IOC_INFO		_IOR(FAMFS_IOC_MAGIC, 0x43, struct famfs_mount_info)
#define FAMFS_IOC_CREAT		_IOWR(FAMFS_IOC_MAGIC, 0x48, struct famfs_creat_req)
#define FAMFS_IOC_DAXDEVS	_IOR(FAMFS_IOC_MAGIC, 0x49, struct famfs_daxdev_list)
#define FAMFS_IOC_DAXDEV_REFRESH _IOW(FAMFS_IOC_MAGIC, 0x4a, char[FAMFS_DAXDEV_NAME_MAX])

/* famfsd request counters, by operation. Names: famfs_op_name(). */
enum famfs_op {
	FAMFS_OP_LOOKUP,
	FAMFS_OP_FORGET,
	FAMFS_OP_GETATTR,
	FAMFS_OP_SETATTR,
	FAMFS_OP_OPENDIR,
	FAMFS_OP_READDIR,
	FAMFS_OP_READDIRPLUS,
	FAMFS_OP_RELEASEDIR,
	FAMFS_OP_OPEN,
	FAMFS_OP_READ,
	FAMFS_OP_WRITE,
	FAMFS_OP_FLUSH,
	FAMFS_OP_FSYNC,
	FAMFS_OP_RELEASE,
	FAMFS_OP_STATFS,
	FAMFS_OP_GETXATTR,
	FAMFS_OP_LISTXATTR,
	FAMFS_OP_SETXATTR,
	FAMFS_OP_REMOVEXATTR,
	FAMFS_OP_ACCESS,
	FAMFS_OP_CREATE,
	FAMFS_OP_MKNOD,
	FAMFS_OP_MKDIR,
	FAMFS_OP_UNLINK,
	FAMFS_OP_RMDIR,
	FAMFS_OP_RENAME,
	FAMFS_OP_LINK,
	FAMFS_OP_SYMLINK,
	FAMFS_OP_READLINK,
	FAMFS_OP_FALLOCATE,
	FAMFS_OP_IOCTL,
	FAMFS_OP_GET_FMAP,
	FAMFS_OP_GET_DAXDEV,
	FAMFS_OP_FLOCK,
	FAMFS_OP_LSEEK,
	FAMFS_OP_COPY_FILE_RANGE,
	FAMFS_OP_FUSE_GET_FMAP,		/* the kernel's GET_FMAP opcode (native) */
	FAMFS_OP_FUSE_GET_DAXDEV,	/* the kernel's GET_DAXDEV opcode (native) */
	FAMFS_OP_CREAT,			/* FAMFS_IOC_CREAT */
	FAMFS_OP__COUNT
};

#define FAMFS_STATS_MAX_OPS	64

/* struct famfs_stats_wire.fuse_mode: what famfsd and the kernel agreed. */
#define FAMFS_FUSE_MODE_OFFERED		1	/* the kernel offered FUSE_DAX_FMAP */
#define FAMFS_FUSE_MODE_NATIVE		2	/* native: the kernel maps files itself */
#define FAMFS_FUSE_MODE_ALLOW_MMAP	4	/* FUSE_DIRECT_IO_ALLOW_MMAP: plain mmap */
#define FAMFS_FUSE_MODE_INIT		8	/* INIT is done: the bits above are final */
#define FAMFS_STATS_VERSION	1

/* struct famfs_stats_wire.rm_flags */
#define FAMFS_STATS_RM_ON		1	/* the file system has the rm feature */
#define FAMFS_STATS_RM_EVICTED		2	/* this mount was evicted from the host table */

struct famfs_stats_wire {
	uint64_t version;		/* FAMFS_STATS_VERSION */
	uint64_t nops;			/* FAMFS_OP__COUNT */
	uint64_t ops[FAMFS_STATS_MAX_OPS];
	uint64_t bytes_read;
	uint64_t bytes_written;
	uint64_t catchups;		/* catch-ups that found new entries */
	uint64_t catchup_entries;	/* entries replayed after mount */
	uint64_t catchup_ns;		/* total time spent in those catch-ups */
	uint64_t mount_replay_ns;	/* time to replay the log at mount */
	uint64_t log_next_index;
	uint64_t errors_eio;		/* requests answered EIO/EHWPOISON */
	uint64_t daxdev_failed;		/* bitmap of failed devices */
	uint64_t fuse_mode;		/* FAMFS_FUSE_MODE_* */
	/* the rm feature (docs/rm.md); all 0 without it */
	uint64_t rm_flags;		/* FAMFS_STATS_RM_* */
	uint64_t rm_held;		/* deleted files this mount still holds open */
	uint64_t rm_pending;		/* bytes deleted, not yet reusable */
	uint64_t rm_hosts;		/* instances in the host table */
	uint64_t rm_stale;		/* of which not answering */
	uint64_t rm_pass_faults;	/* faults the cache passes over deleted files met */
};

#define FAMFS_MOUNT_INFO_VERSION	2

/*
 * Who serves a mount. mount_id is drawn at random by famfsd when it starts
 * and names this mount for as long as it lives: the kernel's unique mount
 * id (statx STATX_MNT_ID_UNIQUE) exists only from Linux 6.8, and the older
 * id and st_dev are reused once a mount is gone. BPF pins carry it.
 */
struct famfs_mount_info {
	uint64_t version;		/* FAMFS_MOUNT_INFO_VERSION */
	uint32_t role;			/* enum famfs_role */
	uint32_t ndevs;
	uint64_t dev_size;
	uint64_t pid;			/* famfsd */
	char devpath[4096];		/* the device famfsd serves */
	uint8_t fs_uuid[16];		/* its superblock's file system uuid */
	uint8_t mount_id[16];		/* this mount, never reused */
};

#define FAMFS_CREAT_REQ_VERSION		1
/* famfs_creat_req.flags */
#define FAMFS_CREAT_REQ_NOZERO		1	/* zero nothing (famfs creat --no-zero) */

/*
 * FAMFS_IOC_CREAT: a new file of @size bytes at @relpath (from the file
 * system's root), as famfs_fs_creat_flags() makes it, done by the famfsd
 * of the master's mount under the log lock. The caller must be root or
 * allowed to open the device read-write (what famfs creat needs offline);
 * callers other than root leave the log's root reserve free.
 * famfsd answers with @err 0 and the new file's @ino, or an errno in @err
 * and a one-line detail in @msg.
 */
struct famfs_creat_req {
	uint64_t version;		/* FAMFS_CREAT_REQ_VERSION */
	uint64_t size;
	uint32_t mode;			/* permission bits */
	uint32_t uid;
	uint32_t gid;
	uint32_t flags;			/* FAMFS_CREAT_REQ_* */
	uint64_t nstrips;		/* interleave: all three 0 for contiguous */
	uint64_t nbuckets;
	uint64_t chunk_size;
	char relpath[FAMFS_OMF_PATH_MAX];
	/* out */
	int32_t err;			/* 0, or a positive errno */
	uint32_t rsvd;
	uint64_t ino;			/* the new file's inode */
	char msg[256];			/* why it failed */
};

/* struct famfs_daxdev_wire.state */
#define FAMFS_DAXDEV_OK		0
#define FAMFS_DAXDEV_MISSING	1	/* in the log, not found on this host */
#define FAMFS_DAXDEV_POISONED	2
#define FAMFS_DAXDEV_FAILED	3	/* its memory went away (SIGBUS) */
#define FAMFS_DAXDEV_LIST_VERSION	1

/* One device of a mount, index = its place in the list. */
struct famfs_daxdev_wire {
	uint8_t uuid[16];		/* device uuid */
	uint64_t size;			/* capacity, bytes */
	uint64_t free;			/* bytes free on it */
	uint64_t log_index;		/* its ADD_DAXDEV entry; UINT64_MAX: the primary */
	uint32_t state;			/* FAMFS_DAXDEV_* */
	uint32_t rsvd;
	char path[FAMFS_DAXDEV_NAME_MAX];	/* where famfsd found it, "" if missing */
	char why[160];			/* why it is missing */
};

struct famfs_daxdev_list {
	uint64_t version;		/* FAMFS_DAXDEV_LIST_VERSION */
	uint32_t ndevs;
	uint32_t rsvd;
	struct famfs_daxdev_wire dev[FAMFS_MAX_DAXDEVS];
};

/* Lower-case name of a FAMFS_DAXDEV_* state ("ok", "missing", ...). */
const char *famfs_daxdev_state_name(uint32_t state);

/* Lower-case name of an op ("lookup", "get_fmap"), or NULL. */
const char *famfs_op_name(unsigned int op);

/*
 * How file data is reached on a mount, from famfs_stats_wire.fuse_mode:
 * "native" (the kernel maps files itself), "ioctl" (FUSE I/O, the ioctls
 * and the preload shim) or "unknown" (INIT not answered yet).
 */
const char *famfs_fuse_mode_name(uint64_t fuse_mode);

#ifdef __cplusplus
}
#endif
#endif
