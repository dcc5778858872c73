/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fs.h - a mounted-or-not famfs: device + log + namespace + allocator,
 * kept in step by replaying the log. This is what the CLI and famfsd use to
 * read the namespace and, on the master, to create files and directories.
 *
 * Creating anything follows one pattern: take the log lock, catch up with
 * the log (another process may have appended), check the name, allocate,
 * append, release. famfs_fs_begin()/end() hold the lock across many
 * operations, as `famfs cp -r` does.
 *
 * With the rm feature (docs/rm.md) names can be deleted, and a deleted
 * file's memory is reused once the host table says no host can touch it:
 * famfs_fs_register() puts an instance in the table, famfs_fs_delete()
 * logs a delete, and creat reclaims and zeroes what it reuses.
 */
#ifndef FAMFS_FS_H
#define FAMFS_FS_H

#include <stdbool.h>
#include <stdint.h>

#include "famfs/alloc.h"
#include "famfs/allocset.h"
#include "famfs/dev.h"
#include "famfs/hosts.h"
#include "famfs/devtab.h"
#include "famfs/log.h"
#include "famfs/ns.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FAMFS_FS_WRITE	0x1	/* map the device read-write */

/* Why a device of the file system has no famfs_dev on this host. */
#define FAMFS_FS_WHY_LEN	320

struct famfs_fs {
	struct famfs_dev *dev;		/* the primary: devs[0] */
	struct famfs_log *log;
	struct famfs_ns *ns;
	struct famfs_allocset alloc;	/* a bitmap per device */
	struct famfs_devtab devtab;	/* the devices, as the log names them */
	/*
	 * Each device as found on this host (fs_dev.c), NULL while it is not:
	 * its files then fail with -ENODEV and dev_why[i] says why. A slot is
	 * set once (atomically, for famfsd's threads) and kept until close.
	 */
	struct famfs_dev *devs[FAMFS_MAX_DAXDEVS];
	char dev_why[FAMFS_MAX_DAXDEVS][FAMFS_FS_WHY_LEN];
	unsigned int open_flags;	/* FAMFS_FS_WRITE: how devices are mapped */
	uint32_t unresolved;		/* devices added by replay, not yet looked for */
	bool defer_search;		/* catch-up leaves them to the caller (famfsd) */
	uint64_t next;			/* next log index to replay */
	uint64_t collisions;		/* units of the entry that stopped replay
					   that belonged to an earlier file */
	int replay_err;			/* error of the first bad entry, or 0 */
	unsigned int depth;		/* famfs_fs_begin nesting */
	/* the rm feature */
	bool rm;			/* the file system has it */
	uint64_t rm_since;		/* the log index it was turned on at */
	int rm_refused;			/* a delete it may not have: never serve it */
	uint64_t horizon;		/* deletes below it were freed in alloc */
	struct famfs_hosts *hosts;	/* the host table, once opened */
	/*
	 * famfsd: the oldest delete whose file it still holds (FAMFS_HOLD_NONE
	 * for none). Replay refuses a file whose horizon passes it: only a
	 * master that broke the reuse rule logs one.
	 */
	uint64_t (*held)(void *ctx);
	void *held_ctx;
	/* famfsd: called (with held_ctx) when a DELETE takes node @n's name away. */
	void (*on_delete)(void *ctx, struct famfs_node *n);
};

/*
 * Open the device at @path, validate it and replay the whole log. The first
 * entry that is damaged or cannot be served (bad map, memory that belongs to
 * an earlier file, an existing name) stops the replay: the valid prefix is
 * served, replay_err records why (famfs_errmsg has the detail "log entry N
 * (path): ..."), and creates are refused until the log is repaired.
 * Superblock or header errors fail.
 */
int famfs_fs_open(const char *path, unsigned int flags, struct famfs_fs **out);
void famfs_fs_close(struct famfs_fs *fs);

/* Replay entries committed since the last call; returns how many (>= 0). */
long famfs_fs_catchup(struct famfs_fs *fs);

/* Hold the log lock (and catch up) across several creates. */
int famfs_fs_begin(struct famfs_fs *fs);
void famfs_fs_end(struct famfs_fs *fs);

/*
 * Log a directory. @parents: create missing parents and accept an existing
 * directory (mkdir -p). -EEXIST, -ENOENT (missing parent), -ENOTDIR,
 * -EPERM (client), -ENOSPC (log full), -EINVAL/-ENAMETOOLONG (path).
 */
int famfs_fs_mkdir(struct famfs_fs *fs, const char *relpath, uint32_t mode,
		   uint32_t uid, uint32_t gid, bool parents);

/*
 * famfs_fs_mkdir without @parents, for a caller that must leave @keep log
 * slots free (the slots reserved for root): -ENOSPC, with a detail that
 * says so, when the log has @keep or fewer free slots, checked under the
 * log lock. @keep 0 is famfs_fs_mkdir.
 */
int famfs_fs_mkdir_keep(struct famfs_fs *fs, const char *relpath, uint32_t mode,
			uint32_t uid, uint32_t gid, uint64_t keep);

/*
 * Allocate and log a file of @size bytes. @ip is NULL for contiguous.
 * -EINVAL for a size of 0, -EEXIST, -ENOENT, -ENOTDIR, -EPERM, -ENOSPC
 * (log or device full: the detail says which). *@out is the new node.
 * The whole allocation is zeroed (non-temporal stores, flushed) before the
 * file is logged, so a new file reads zeros, never a former file's bytes.
 */
int famfs_fs_creat(struct famfs_fs *fs, const char *relpath, uint64_t size,
		   uint32_t mode, uint32_t uid, uint32_t gid,
		   const struct famfs_interleave_param *ip,
		   const struct famfs_node **out);

/*
 * Log a file of @size bytes with the map @fmap the caller planned, e.g. by
 * a dry run of famfs_alloc_file() on a famfs_alloc_clone() of fs->alloc
 * under the same famfs_fs_begin() (as famfs cp does, so that a copy that
 * does not fit logs nothing). The map must pass famfs_omf_fmap_check() and
 * be free in fs->alloc (-EBUSY otherwise); it is marked in use. Other
 * errors as famfs_fs_creat(). The memory is zeroed before the file is
 * logged, as by famfs_fs_creat(): the caller writes the file next.
 */
int famfs_fs_creat_map(struct famfs_fs *fs, const char *relpath, uint64_t size,
		       uint32_t mode, uint32_t uid, uint32_t gid,
		       const struct famfs_omf_fmap *fmap, const struct famfs_node **out);

/*
 * famfs_fs_creat with @flags. FAMFS_CREAT_NOZERO skips the zeroing
 * (famfs creat --no-zero): readers see whatever the memory held before, up
 * to whatever the caller writes. A caller that writes the file right after
 * it is logged (famfs cp, creat -r) still wants the zeroing: from the log
 * commit on anyone may read the file, while it is written or after the
 * writer died.
 */
#define FAMFS_CREAT_NOZERO	0x1
int famfs_fs_creat_flags(struct famfs_fs *fs, const char *relpath, uint64_t size,
			 uint32_t mode, uint32_t uid, uint32_t gid,
			 const struct famfs_interleave_param *ip, unsigned int flags,
			 const struct famfs_node **out);

/* What famfs_fs_delete() may delete. */
enum famfs_rm_what {
	FAMFS_RM_FILE = 1,		/* a file; a directory is -EISDIR */
	FAMFS_RM_DIR = 2,		/* an empty directory; a file is -ENOTDIR */
	FAMFS_RM_ANY = 3,
};

/*
 * Log the delete of @relpath (docs/rm.md): -EOPNOTSUPP without the rm
 * feature, -ENOENT, -EISDIR/-ENOTDIR (per @what), -ENOTEMPTY, -EBUSY for
 * the root, -EPERM (client), -ENOSPC (log full, or only @keep or fewer free
 * slots: those are root's), -EIO (damaged log). The file's memory stays
 * pending until the host table lets it go.
 */
int famfs_fs_delete(struct famfs_fs *fs, const char *relpath, enum famfs_rm_what what,
		    uint64_t keep);

/*
 * Open the host table (read-write if @writable) if not yet: -ENOENT
 * without the rm feature. fs->hosts is then set.
 */
int famfs_fs_hosts(struct famfs_fs *fs, bool writable);

/*
 * Register this instance in the host table (rm file systems; a no-op
 * returning 0 on others), then catch up with the log and publish how far
 * it got: from then on no memory this instance can see is reused under it.
 * A famfsd (@kind FAMFS_HOST_FAMFSD, its FUSE connection @conn) publishes
 * again itself (famfs_fs_publish); a process stays at what it replayed
 * now until famfs_fs_close() frees its slot.
 */
int famfs_fs_register(struct famfs_fs *fs, enum famfs_host_kind kind, uint32_t conn);

/*
 * Free now, in this instance's bitmap, the deleted memory the host table
 * lets go (rm file systems; nothing elsewhere), as creat does before it
 * allocates: a caller that plans space under famfs_fs_begin() calls it
 * first, so that famfs_alloc_free_bytes() counts reusable memory as free.
 * 0, or -errno when the host table cannot be read.
 */
int famfs_fs_reclaim(struct famfs_fs *fs);

/* Publish fs->next and @hold in our record: 0, or -ESTALE once evicted. */
int famfs_fs_publish(struct famfs_fs *fs, uint64_t hold);

/*
 * The reclaim horizon now (fs->next when nothing is registered); what
 * famfs_fs_space() counts as reusable. Needs the host table.
 */
struct famfs_fs_space {
	uint64_t capacity;		/* bytes of every device */
	uint64_t used;			/* live files, superblock and log */
	uint64_t pending;		/* deleted, not yet reusable */
	uint64_t free;			/* free now (reusable deletes included) */
	uint64_t avail;			/* of which on devices found here (new files) */
	uint64_t horizon;		/* deletes below it are reusable */
	unsigned int hosts;		/* registered instances */
	unsigned int stale;		/* of which not answering */
};
int famfs_fs_space(struct famfs_fs *fs, struct famfs_fs_space *sp);

/*
 * famfs_fs_creat_flags in two halves, for a caller that zeroes the memory
 * itself between them (famfsd: with no lock of its own held, so that the
 * zeroing stalls no lookup). Both under one famfs_fs_begin(), with nothing
 * else appending in between (the log lock keeps other processes out; the
 * caller keeps its own threads out). famfs_fs_creat_take checks @relpath
 * and the log, and allocates @size bytes: *@fmap, marked in use.
 * famfs_fs_creat_log logs the file with that map, zeroed unless @flags has
 * FAMFS_CREAT_NOZERO. Memory taken but never logged stays marked in this
 * process only. Errors as famfs_fs_creat();
 * -EINVAL outside famfs_fs_begin().
 */
int famfs_fs_creat_take(struct famfs_fs *fs, const char *relpath, uint64_t size,
			const struct famfs_interleave_param *ip, struct famfs_omf_fmap *fmap);
int famfs_fs_creat_log(struct famfs_fs *fs, const char *relpath, uint64_t size,
		       uint32_t mode, uint32_t uid, uint32_t gid,
		       const struct famfs_omf_fmap *fmap, unsigned int flags,
		       const struct famfs_node **out);

/* Device address of file offset @off of @n (a contiguous run of *@len). */
/*
 * Device address of file offset @off of @n (a contiguous run of *@len), or
 * NULL when @off is past the file or its device is not found here.
 */
uint8_t *famfs_fs_addr(struct famfs_fs *fs, const struct famfs_node *n, uint64_t off,
		       uint64_t *len);
/* The same, with the device index of the run in *@devindex (if not NULL). */
uint8_t *famfs_fs_addr_dev(struct famfs_fs *fs, const struct famfs_node *n, uint64_t off,
			   uint64_t *len, uint32_t *devindex);

/* ---- several devices (lib/fs_dev.c, docs/multidev.md) ---- */

/* Device @i as found on this host (acquire load), or NULL. */
struct famfs_dev *famfs_fs_dev(const struct famfs_fs *fs, uint32_t i);

/*
 * 0 when every device file @n has extents on is found on this host, else
 * -ENODEV with a detail naming the device, its uuid and why.
 */
int famfs_fs_node_devs(const struct famfs_fs *fs, const struct famfs_node *n);

/*
 * Look again for the devices not found on this host: first at @hint (a
 * path, or NULL), then with a scan (famfs/devfind.h). Returns how many
 * were found now (>= 0); the others keep their reason in dev_why.
 */
int famfs_fs_find_devs(struct famfs_fs *fs, const char *hint);

/*
 * famfs_fs_find_devs in three steps, for a daemon that serves the file
 * system under a lock: a device path may lead into a FUSE mount (its own),
 * so it must not hold that lock while it looks. begin (lock held) copies
 * what the search needs, *@out NULL when no device is missing; run (no
 * lock: it scans and opens devices) looks at @hint and the candidates; end
 * (lock held) publishes what run found and frees the search, returning
 * how many devices were found.
 */
struct famfs_devsearch;
int famfs_fs_search_begin(struct famfs_fs *fs, struct famfs_devsearch **out);
/* run looks at nothing under the directory @dir (famfsd: its mount point). */
void famfs_devsearch_skip(struct famfs_devsearch *s, const char *dir);
void famfs_devsearch_run(struct famfs_devsearch *s, const char *hint);
int famfs_fs_search_end(struct famfs_fs *fs, struct famfs_devsearch *s);

/*
 * What famfs devadd and mkfs.famfs say when a file system gets its first
 * secondary: upstream's phase-1 allocator skips our multi-device files
 * (their CRC tag), so as master it would allocate over their strips on
 * device 0 (docs/multidev.md, section 2).
 */
#define FAMFS_UPSTREAM_MASTER_WARNING							\
	"warning: this file system now has several devices: upstream famfs must never be "	\
	"its master (its allocator does not see the files that use several devices)\n"

/*
 * Add the device at @path to the file system (famfs devadd, mkfs.famfs
 * with several devices): write a secondary superblock on it (its own
 * device uuid, this file system's uuid), then log ADD_DAXDEV with the next
 * index. Master only, under the log lock. A device that already holds a
 * famfs superblock is refused (-EEXIST) unless @force, except a secondary
 * of this file system that the log does not name (an interrupted add);
 * a device of the file system already, or the same file as one, is always
 * refused (-EEXIST). -ENOSPC when the file system has FAMFS_MAX_DAXDEVS
 * devices. *@index (if not NULL) is the new device's index.
 */
int famfs_fs_devadd(struct famfs_fs *fs, const char *path, bool force, uint32_t *index);

/*
 * Write a secondary superblock for file system @primary on @dev: device
 * uuid @dev_uuid, size dev->size. The magic goes last, as in mkfs.
 */
int famfs_mkfs_secondary(struct famfs_dev *dev, const struct famfs_omf_sb *primary,
			 const uint8_t dev_uuid[16]);

#ifdef __cplusplus
}
#endif
#endif
