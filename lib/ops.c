// SPDX-License-Identifier: Apache-2.0
/*
 * ops.c - names of what famfsd reports: its request counters (enum
 * famfs_op), as they appear in `famfs stats` and its JSON keys, the FUSE
 * mode, and the states of a mount's devices.
 */
#include "famfs/ioctl.h"

static const char *const famfs_op_names[FAMFS_OP__COUNT] = {
	[FAMFS_OP_LOOKUP] = "lookup",
	[FAMFS_OP_FORGET] = "forget",
	[FAMFS_OP_GETATTR] = "getattr",
	[FAMFS_OP_SETATTR] = "setattr",
	[FAMFS_OP_OPENDIR] = "opendir",
	[FAMFS_OP_READDIR] = "readdir",
	[FAMFS_OP_READDIRPLUS] = "readdirplus",
	[FAMFS_OP_RELEASEDIR] = "releasedir",
	[FAMFS_OP_OPEN] = "open",
	[FAMFS_OP_READ] = "read",
	[FAMFS_OP_WRITE] = "write",
	[FAMFS_OP_FLUSH] = "flush",
	[FAMFS_OP_FSYNC] = "fsync",
	[FAMFS_OP_RELEASE] = "release",
	[FAMFS_OP_STATFS] = "statfs",
	[FAMFS_OP_GETXATTR] = "getxattr",
	[FAMFS_OP_LISTXATTR] = "listxattr",
	[FAMFS_OP_SETXATTR] = "setxattr",
	[FAMFS_OP_REMOVEXATTR] = "removexattr",
	[FAMFS_OP_ACCESS] = "access",
	[FAMFS_OP_CREATE] = "create",
	[FAMFS_OP_MKNOD] = "mknod",
	[FAMFS_OP_MKDIR] = "mkdir",
	[FAMFS_OP_UNLINK] = "unlink",
	[FAMFS_OP_RMDIR] = "rmdir",
	[FAMFS_OP_RENAME] = "rename",
	[FAMFS_OP_LINK] = "link",
	[FAMFS_OP_SYMLINK] = "symlink",
	[FAMFS_OP_READLINK] = "readlink",
	[FAMFS_OP_FALLOCATE] = "fallocate",
	[FAMFS_OP_IOCTL] = "ioctl",
	[FAMFS_OP_GET_FMAP] = "get_fmap",
	[FAMFS_OP_GET_DAXDEV] = "get_daxdev",
	[FAMFS_OP_FLOCK] = "flock",
	[FAMFS_OP_LSEEK] = "lseek",
	[FAMFS_OP_COPY_FILE_RANGE] = "copy_file_range",
	[FAMFS_OP_FUSE_GET_FMAP] = "fuse_get_fmap",
	[FAMFS_OP_FUSE_GET_DAXDEV] = "fuse_get_daxdev",
	[FAMFS_OP_CREAT] = "creat",
};

_Static_assert(FAMFS_OP__COUNT <= FAMFS_STATS_MAX_OPS, "too many ops for the stats wire");

const char *famfs_fuse_mode_name(uint64_t m)
{
	if (!(m & FAMFS_FUSE_MODE_INIT))
		return "unknown";
	return m & FAMFS_FUSE_MODE_NATIVE ? "native" : "ioctl";
}

const char *famfs_op_name(unsigned int op)
{
	return op < FAMFS_OP__COUNT ? famfs_op_names[op] : 0;
}

const char *famfs_daxdev_state_name(uint32_t state)
{
	switch (state) {
	case FAMFS_DAXDEV_OK: return "ok";
	case FAMFS_DAXDEV_MISSING: return "missing";
	case FAMFS_DAXDEV_POISONED: return "poisoned";
	case FAMFS_DAXDEV_FAILED: return "failed";
	default: return "unknown";
	}
}
