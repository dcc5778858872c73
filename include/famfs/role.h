/* SPDX-License-Identifier: Apache-2.0 */
/*
 * role.h - who may write: the master is the host whose system uuid equals
 * the superblock's; every other host is a client and never appends.
 *
 * The system uuid is the text uuid in /opt/famfs/system_uuid (created by
 * mkfs with a random uuid, mode 0444, if missing, as upstream does; a host
 * without the file is a client of every file system), overridden by the
 * FAMFS_SYSTEM_UUID environment variable so that tests can run several
 * emulated hosts on one machine.
 */
#ifndef FAMFS_ROLE_H
#define FAMFS_ROLE_H

#include <stdint.h>

#include "famfs/omf.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FAMFS_SYSTEM_UUID_PATH	"/opt/famfs/system_uuid"

enum famfs_role {
	FAMFS_ROLE_CLIENT = 0,
	FAMFS_ROLE_MASTER = 1,
};

/*
 * This host's system uuid, creating the file (atomically: a temporary file
 * renamed into place, never replacing another's) when it is missing; for
 * mkfs. -EINVAL if FAMFS_SYSTEM_UUID or the file does not hold a valid
 * uuid; -errno if the file cannot be read or created.
 */
int famfs_system_uuid(uint8_t uuid[16]);

/* The same without creating anything: -ENOENT when the file is missing. */
int famfs_system_uuid_find(uint8_t uuid[16]);

enum famfs_role famfs_role_of(const struct famfs_omf_sb *sb, const uint8_t sys_uuid[16]);

const char *famfs_role_name(enum famfs_role role);

#ifdef __cplusplus
}
#endif
#endif
