// SPDX-License-Identifier: Apache-2.0
/*
 * logpeek.c - a file's fmap straight from the mount's log in device
 * memory, instead of a GET_FMAP round trip to famfsd.
 *
 * famfs keeps its metadata in the memory it serves: the node of log entry
 * i has inode i + 2 (famfs/ns.h), and a committed entry is never rewritten.
 * So once a process has the mount's superblock and log mapped (read-only,
 * while it has maps of the mount or is opening one: famfs_mctx_use; the
 * mapping is of the mount's own source device, whose superblock carries
 * the uuid famfsd reported), the map of an open file is its entry, decoded and validated
 * like any log read (CRC, sequence number, type), checked against the
 * file's size, built into the V10 message famfsd would send
 * (famfs_fmap_from_omf, famfs_fmap_encode) and then decoded with the
 * kernel's rules by the caller, exactly as a GET_FMAP reply.
 *
 * It is only ever asked after famfsd answered OPEN for the file: famfsd
 * knows the inode (it replayed and checked that entry), the file is not
 * deleted, its device has not failed and the file system is still the one
 * it mounted. Anything the log cannot say for sure (an inode that is not a
 * log index, an uncommitted or damaged slot, another size, a superblock
 * whose uuid is no longer the mount's: mkfs -f under a live mount) returns
 * 0, and the caller asks famfsd.
 *
 * Loads follow the log's reader protocol (famfs/log.h): invalidate the
 * lines, read the commit index with an acquire load, then the entry.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "famfs/devmem.h"
#include "famfs/err.h"
#include "famfs/fmap.h"
#include "famfs/omf.h"
#include "famfs/trust.h"
#include "map_int.h"

#define LOG_HDR_OFF_NEXT_INDEX	40	/* the commit point (famfs/omf.h) */

void famfs_logpeek_attach(struct famfs_mctx *c, const char *source)
{
	uint8_t sbbuf[FAMFS_SB_SIZE];
	struct famfs_omf_sb sb;
	uint64_t len;
	void *p;
	int fd, err = 0;

	fd = famfs_trust_open_dev(source, O_RDONLY, &c->src);
	if (fd < 0)
		goto out;
	p = famfs_raw_mmap(NULL, FAMFS_SB_REGION, PROT_READ, MAP_SHARED, fd, 0, &err);
	if (!p)
		goto out;
	err = famfs_sigbus_read(sbbuf, p, sizeof(sbbuf));
	famfs_raw_munmap(p, FAMFS_SB_REGION);
	if (err || famfs_omf_sb_decode(sbbuf, sizeof(sbbuf), &sb))
		goto out;
	if (memcmp(sb.uuid, c->fs_uuid, sizeof(sb.uuid))) {
		/* Re-made since the mount was trusted: never serve its cache. */
		c->fs_changed = true;
		goto out;
	}
	len = sb.log_offset + sb.log_len;
	/* A devdax device maps whole 2 MiB pages only. */
	if (sb.log_offset < FAMFS_SB_REGION || len < sb.log_offset ||
	    (len & (FAMFS_PMD_SIZE - 1)) || len > SIZE_MAX)
		goto out;
	p = famfs_raw_mmap(NULL, (size_t)len, PROT_READ, MAP_SHARED, fd, 0, &err);
	if (!p)
		goto out;
	c->meta = p;
	c->meta_len = (size_t)len;
	c->log_off = sb.log_offset;
	c->log_nslots = famfs_log_nslots(sb.log_len);
out:
	if (fd >= 0)
		famfs_raw_close(fd);
	famfs_errclear();	/* best effort: GET_FMAP serves without it */
}

void famfs_logpeek_detach(struct famfs_mctx *c)
{
	if (c->meta)
		famfs_raw_munmap((void *)c->meta, c->meta_len);
	c->meta = NULL;
	c->meta_len = 0;
}

/* Is the device's superblock still the one of the file system @c mounted? */
static bool same_fs(const struct famfs_mctx *c)
{
	uint8_t uuid[16];

	return !famfs_sigbus_read(uuid, c->meta + FAMFS_SB_UUID_OFFSET, sizeof(uuid)) &&
	       !memcmp(uuid, c->fs_uuid, sizeof(uuid));
}

size_t famfs_logpeek_fmap(struct famfs_mctx *c, uint64_t ino, uint64_t size, uint8_t *buf)
{
	const uint8_t *log = c->meta + c->log_off;
	struct famfs_omf_entry *e = NULL;
	struct famfs_fmap *f = NULL;
	uint64_t idx = ino - 2, next;
	ssize_t n = 0;

	if (!c->meta || ino < 2 || idx >= c->log_nslots)
		return 0;
	if (famfs_sigbus_load64((const uint64_t *)(log + LOG_HDR_OFF_NEXT_INDEX), &next) ||
	    idx >= le64toh(next))
		return 0;
	e = malloc(sizeof(*e));
	f = malloc(sizeof(*f));
	if (!e || !f)
		goto out;
	if (famfs_sigbus_read(buf, log + FAMFS_LOG_HDR_SIZE + idx * FAMFS_LOG_ENTRY_SIZE,
			      FAMFS_LOG_ENTRY_SIZE) ||
	    famfs_omf_entry_decode(buf, idx, e) || e->type != FAMFS_LOG_FILE ||
	    e->file.size != size || famfs_fmap_from_omf(&e->file, f))
		goto out;
	/* Read the entry, then check the superblock: a re-made device fails here. */
	if (!same_fs(c))
		goto out;
	n = famfs_fmap_encode(f, buf, FAMFS_FMAP_MSG_MAX);
out:
	free(e);
	free(f);
	famfs_errclear();
	return n > 0 ? (size_t)n : 0;
}

bool famfs_logpeek_same_fs(const struct famfs_mctx *c)
{
	if (c->fs_changed)
		return false;
	return !c->meta || same_fs(c);
}
