/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ns.h - the namespace: directories and files built by replaying the log.
 *
 * Every host builds the same tree from the same log, so inode numbers are a
 * pure function of the log: the root is 1, and the node created by log entry
 * i has inode i + 2. A file whose parent directory was never logged (images
 * from older tools) gets implicit parent directories, numbered
 * FAMFS_INO_IMPLICIT + n in replay order, which is also deterministic.
 * Nodes are never freed, so a node pointer stays valid for the life of
 * the namespace, and directory children keep their order (readdir offsets
 * are stable while entries are appended). A DELETE entry (file systems with
 * the rm feature, docs/rm.md) takes a node's name away: lookups and
 * resolves no longer find it and its parent no longer counts it, but the
 * node stays in its parent's child list (marked, so listings skip it and
 * keep their offsets) and is still found by inode, for handles that are
 * still open. A deleted node's inode number is never given to another.
 *
 * Times are a pure function of the log too, so every host and every
 * remount shows the same ones. Entry i's time is its recorded seconds
 * (entry.time, see omf.h), carried forward from the entries before it when
 * it has none or when it is earlier (so times never go back), starting from
 * the mkfs time (famfs_ns_set_epoch), or 0 (1970) when neither exists; its
 * nanoseconds are i + 1, so that entries logged in the same second still
 * come in log order. A file's time is its entry's; a directory's is that of
 * the latest entry that created it or a child in it (implicit directories
 * take the time of the entry that made them); the root starts at the mkfs
 * time with nanoseconds 0.
 *
 * Memory is bounded by the log, not by what its entries name: a directory
 * node carries no file map (FAMFS_NS_DIR_COST bytes with its share of the
 * hash tables), a file node FAMFS_NS_FILE_COST, and implicit directories
 * are capped (famfs_ns_limit_implicit(); one per log slot when the fs layer
 * opens a log). So a log of N slots costs at most N x (FILE_COST +
 * DIR_COST) bytes of nodes: about 21 MB for the default 8 MiB log.
 *
 * Not thread-safe: famfsd serialises apply against lookups itself.
 */
#ifndef FAMFS_NS_H
#define FAMFS_NS_H

#include <stdbool.h>
#include <stdint.h>

#include "famfs/omf.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FAMFS_ROOT_INO		1ULL
#define FAMFS_INO_IMPLICIT	(1ULL << 48)
#define FAMFS_NO_INDEX		UINT64_MAX
/* Implicit directories a new namespace accepts: one per slot of the default log. */
#define FAMFS_NS_IMPLICIT_DEFAULT	15420ULL
/* Bytes a node costs, hash-table share included (an upper bound, tested). */
#define FAMFS_NS_DIR_COST	272
#define FAMFS_NS_FILE_COST	(FAMFS_NS_DIR_COST + 800)

struct famfs_node {
	uint64_t ino;
	uint32_t mode;			/* S_IFDIR or S_IFREG | permission bits */
	uint32_t uid;
	uint32_t gid;
	uint32_t opens;			/* never set here: famfsd's open handles (atomic) */
	uint64_t size;			/* files: the logged size; dirs: 0 */
	uint64_t log_index;		/* creating entry, or FAMFS_NO_INDEX */
	uint64_t time_ns;		/* from the log (above), ns since the epoch */
	uint64_t wtime_ns;		/* never set here: famfsd's last write through
					   its own mount, 0 for none (atomic) */
	uint64_t del_index;		/* the DELETE entry that removed it; 0: live
					   (no DELETE can be entry 0) */
	char name[FAMFS_OMF_PATH_MAX];	/* last component; "" for the root */
	const struct famfs_omf_fmap *fmap;	/* files: the map; directories: NULL */
	struct famfs_node *parent;	/* root: itself */
	struct famfs_node *first_child;	/* in creation order */
	struct famfs_node *last_child;
	struct famfs_node *next_sibling;
	uint64_t nchildren;		/* live children */
	struct famfs_node *hnext;	/* private: hash chain */
	struct famfs_node *inext;	/* private: inode hash chain */
};

struct famfs_ns;

/*
 * An empty namespace holding only the root (mode S_IFDIR | 0755, uid 0),
 * accepting FAMFS_NS_IMPLICIT_DEFAULT implicit directories.
 */
int famfs_ns_new(struct famfs_ns **out);
void famfs_ns_free(struct famfs_ns *ns);

/*
 * Set the time the file system was made, in seconds since the epoch (the
 * log tail's): the root's time and the base of entry times. Call it before
 * applying any entry.
 */
void famfs_ns_set_epoch(struct famfs_ns *ns, uint32_t mkfs_time);

/*
 * Accept at most @max implicit directories in all (the fs layer and fsck
 * pass the log's slot count: a log can name no more directories it never
 * made than it has slots, whatever its entries say).
 */
void famfs_ns_limit_implicit(struct famfs_ns *ns, uint64_t max);

/*
 * Apply log entry @index. FILE and MKDIR add a node; DELETE removes the
 * name of the node e->del.target made (or of the implicit directory at
 * e->del.relpath); ADD_DAXDEV is counted and ignored. Errors leave the
 * namespace unchanged: -EINVAL (bad path), -EEXIST (the name exists; for
 * MKDIR over an existing directory too), -ENOTDIR (a parent is a file),
 * -EUCLEAN (the entry needs implicit directories past the limit), -ENOMEM;
 * for DELETE -ENOENT (no such live node, or not at that path or of that
 * type) and -ENOTEMPTY (a directory with live children). Whether the file
 * system allows DELETE is the caller's business.
 */
int famfs_ns_apply(struct famfs_ns *ns, uint64_t index,
		   const struct famfs_omf_entry *e);

struct famfs_node *famfs_ns_root(struct famfs_ns *ns);

/* The child @name of directory @dir, or NULL. */
struct famfs_node *famfs_ns_lookup(struct famfs_ns *ns, const struct famfs_node *dir,
				   const char *name);

/* The node at normalised @relpath ("" is the root), or NULL. */
struct famfs_node *famfs_ns_resolve(struct famfs_ns *ns, const char *relpath);

/* The node with inode @ino (deleted ones too), or NULL. */
struct famfs_node *famfs_ns_by_ino(struct famfs_ns *ns, uint64_t ino);

/* Write the path of @n relative to the root into @buf ("" for the root). */
int famfs_ns_path(const struct famfs_node *n, char *buf, size_t bufsz);

static inline bool famfs_node_deleted(const struct famfs_node *n)
{
	return n->del_index != 0;
}

/* Totals: live files, live directories (root included), applied entries. */
void famfs_ns_counts(const struct famfs_ns *ns, uint64_t *files, uint64_t *dirs,
		     uint64_t *entries);

/* Implicit directories made so far, and bytes the namespace holds. */
uint64_t famfs_ns_implicit(const struct famfs_ns *ns);
uint64_t famfs_ns_bytes(const struct famfs_ns *ns);

/* The most nodes in one bucket of the name table (for tests). */
uint64_t famfs_ns_longest_chain(const struct famfs_ns *ns);

#ifdef __cplusplus
}
#endif
#endif
