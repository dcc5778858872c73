/* SPDX-License-Identifier: Apache-2.0 */
/*
 * logfs_util.h - helpers shared by the dev/role/log/fs/fsck unit tests:
 * scratch images on /dev/shm, emulated hosts, and hand-crafted log entries
 * written straight into the log region (bypassing the commit protocol).
 */
#ifndef LOGFS_UTIL_H
#define LOGFS_UTIL_H

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "famfs/le.h"
#include "famfs/dev.h"
#include "famfs/log.h"
#include "famfs/omf.h"

#define MIB		(1ULL << 20)
#define MASTER_UUID	"11111111-2222-3333-4444-555555555555"
#define CLIENT_UUID	"99999999-8888-7777-6666-555555555555"

/* Create a sparse scratch file of @size bytes under /dev/shm; returns its path. */
static inline char *tu_image(uint64_t size)
{
	char *path = strdup("/dev/shm/famfs-unit-XXXXXX");
	int fd;

	if (!path)
		abort();
	fd = mkstemp(path);
	if (fd < 0 || ftruncate(fd, (off_t)size) < 0)
		abort();
	close(fd);
	return path;
}

static inline void tu_unlink(char *path)
{
	if (path) {
		unlink(path);
		free(path);
	}
}

static inline void tu_resize(const char *path, uint64_t size)
{
	if (truncate(path, (off_t)size) < 0)
		abort();
}

static inline void tu_master(void)
{
	setenv("FAMFS_SYSTEM_UUID", MASTER_UUID, 1);
}

static inline void tu_client(void)
{
	setenv("FAMFS_SYSTEM_UUID", CLIENT_UUID, 1);
}

/* mkfs @path as MASTER_UUID with a log of @log_len bytes and @features. */
static inline int tu_mkfs_features(const char *path, uint64_t log_len, uint32_t features)
{
	struct famfs_dev *dev;
	uint8_t sys[16];
	int rc;

	rc = famfs_dev_open(path, true, &dev);
	if (rc)
		return rc;
	uuid_parse(MASTER_UUID, sys);
	rc = famfs_mkfs_features(dev, log_len, sys, false, false, features);
	famfs_dev_close(dev);
	return rc;
}

/* mkfs @path as MASTER_UUID with a log of @log_len bytes; returns the mkfs result. */
static inline int tu_mkfs(const char *path, uint64_t log_len)
{
	return tu_mkfs_features(path, log_len, 0);
}

static inline uint8_t *tu_log(struct famfs_dev *dev)
{
	return dev->base + FAMFS_LOG_OFFSET;
}

/* Header words: next_seqnum at 32, next_index at 40. */
static inline void tu_set_next(struct famfs_dev *dev, uint64_t seq, uint64_t idx)
{
	famfs_put_le64(tu_log(dev) + 32, seq);
	famfs_put_le64(tu_log(dev) + 40, idx);
}

static inline uint64_t tu_next_index(struct famfs_dev *dev)
{
	return famfs_get_le64(tu_log(dev) + 40);
}

static inline uint8_t *tu_slot(struct famfs_dev *dev, uint64_t idx)
{
	return tu_log(dev) + FAMFS_LOG_HDR_SIZE + idx * FAMFS_LOG_ENTRY_SIZE;
}

/* Encode @e (its seqnum as given) straight into slot @idx. */
static inline void tu_put_entry(struct famfs_dev *dev, uint64_t idx,
				const struct famfs_omf_entry *e)
{
	famfs_omf_entry_encode(e, tu_slot(dev, idx));
}

static inline void tu_mkdir_entry(struct famfs_omf_entry *e, uint64_t seq, const char *path)
{
	memset(e, 0, sizeof(*e));
	e->seqnum = seq;
	e->type = FAMFS_LOG_MKDIR;
	e->mkdir.mode = 0755;
	snprintf(e->mkdir.relpath, sizeof(e->mkdir.relpath), "%s", path);
}

/* A FILE entry with one simple extent [off, off + len) of @size bytes. */
static inline void tu_file_entry(struct famfs_omf_entry *e, uint64_t seq, const char *path,
				 uint64_t size, uint64_t off, uint64_t len)
{
	memset(e, 0, sizeof(*e));
	e->seqnum = seq;
	e->type = FAMFS_LOG_FILE;
	e->file.size = size;
	e->file.flags = FAMFS_FM_ALL_HOSTS_RW;
	e->file.mode = 0644;
	snprintf(e->file.relpath, sizeof(e->file.relpath), "%s", path);
	e->file.fmap.ext_type = FAMFS_EXT_SIMPLE;
	e->file.fmap.nextents = 1;
	e->file.fmap.se[0].offset = off;
	e->file.fmap.se[0].len = len;
}

#endif
