// SPDX-License-Identifier: Apache-2.0
/*
 * ns.c - the namespace tree built by replaying log entries: nodes, inode
 * numbers, implicit parent directories (capped), deletes, and two hash
 * tables (one keyed by parent inode and name, one by inode) so that a full
 * log replays in linear time and memory linear in the log's entries.
 *
 * Pure code: no I/O. Nodes come from anonymous-memory slabs (see below)
 * and are never freed before famfs_ns_free(), so node pointers stay valid.
 *
 * The name table's hash takes a random key per namespace: names come from
 * the log, and with a hash anyone can compute, a crafted log could pick
 * names that all fall into one bucket and make every replay quadratic
 * (15,420 such names in the root of an 8 MiB log: 1.1 s instead of 4 ms,
 * and four times that per doubling of the log). Nothing depends on where
 * a name hashes to: inode numbers and child order come from the log.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>

#include "famfs/err.h"
#include "famfs/ns.h"
#include "famfs/path.h"

#define NS_HASH_INIT	1024	/* buckets, a power of 2 */
#define NS_MAX_DEPTH	(FAMFS_OMF_PATH_MAX / 2)
#define NS_SLAB_MIN	(64 * 1024)
#define NS_SLAB_MAX	(2 * 1024 * 1024)	/* a huge page where THP allows */
#define NS_PER_SEC	1000000000ULL

/*
 * What a node costs: the node, its file map if it is a file, and its share
 * of the two hash tables (8 bytes each, at most 4 buckets per node since
 * they double when half full). ns.h states these as the per-entry cost.
 */
_Static_assert(sizeof(struct famfs_node) + 2 * 4 * sizeof(void *) <= FAMFS_NS_DIR_COST,
	       "FAMFS_NS_DIR_COST is the cost of a directory node");
_Static_assert(sizeof(struct famfs_omf_fmap) <= FAMFS_NS_FILE_COST - FAMFS_NS_DIR_COST,
	       "FAMFS_NS_FILE_COST is the cost of a file node");

/*
 * Nodes (and, right after a file's node, its map) are carved from slabs
 * that are never freed before the namespace, so node pointers stay valid.
 * Taking a full log in 2 MiB huge pages, not 4 KiB faults, keeps a full
 * replay within a few milliseconds.
 */
struct ns_slab {
	struct ns_slab *next;
	size_t bytes;			/* mapped */
	size_t used;			/* bytes of data[] handed out */
	_Alignas(16) unsigned char data[];
};

struct famfs_ns {
	struct famfs_node root;
	struct famfs_node **by_name;	/* chained through hnext */
	struct famfs_node **by_ino;	/* chained through inext */
	uint64_t key;			/* random: the name hash's key */
	uint64_t nbuckets;		/* size of both tables */
	uint64_t nnodes;		/* in the tables, root included */
	uint64_t files;
	uint64_t dirs;
	uint64_t entries;
	uint64_t implicit;		/* implicit directories created so far */
	uint64_t max_implicit;		/* ... and how many are accepted */
	uint32_t time_sec;		/* seconds of the latest entry applied */
	uint64_t slab_bytes;		/* mapped by all slabs */
	struct ns_slab *slab;		/* newest first */
	size_t next_slab;		/* bytes of the next slab */
};

/*
 * Map @bytes of zeroed memory, aligned to its size when that is a huge page
 * so that transparent huge pages can back it (a hint; 4 KiB pages work too).
 */
static void *slab_map(size_t bytes)
{
	size_t len = bytes == NS_SLAB_MAX ? 2 * bytes : bytes;
	uintptr_t p, a;
	void *m;

	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	if (len == bytes)
		return m;
	p = (uintptr_t)m;
	a = (p + bytes - 1) & ~(uintptr_t)(bytes - 1);
	if (a > p)
		munmap(m, a - p);
	if (a + bytes < p + len)
		munmap((void *)(a + bytes), p + len - (a + bytes));
	madvise((void *)a, bytes, MADV_HUGEPAGE);
	return (void *)a;
}

static size_t round8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

/*
 * Make sure the newest slab has @need free bytes (@need is at most
 * NS_MAX_DEPTH + 1 nodes and a map, far below NS_SLAB_MIN). Returns false,
 * changing nothing, when memory runs out.
 */
static bool slab_reserve(struct famfs_ns *ns, size_t need)
{
	size_t bytes = ns->next_slab ? ns->next_slab : NS_SLAB_MIN;
	struct ns_slab *sl;

	if (ns->slab && ns->slab->bytes - sizeof(*sl) - ns->slab->used >= need)
		return true;
	sl = slab_map(bytes);
	if (!sl)
		return false;
	sl->next = ns->slab;
	sl->bytes = bytes;
	sl->used = 0;
	ns->slab = sl;
	ns->slab_bytes += bytes;
	ns->next_slab = bytes * 2 > NS_SLAB_MAX ? NS_SLAB_MAX : bytes * 2;
	return true;
}

/*
 * @size zeroed bytes from the newest slab (fresh mappings are zero and
 * nothing is reused); slab_reserve() said there is room.
 */
static void *slab_take(struct famfs_ns *ns, size_t size)
{
	void *p = ns->slab->data + ns->slab->used;

	ns->slab->used += round8(size);
	return p;
}

static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/*
 * FNV-1a over @len bytes of @name, started from the key instead of FNV's
 * public offset basis, mixed with the parent inode.
 */
static uint64_t name_hash(uint64_t key, uint64_t parent_ino, const char *name, size_t len)
{
	uint64_t h = key;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)name[i];
		h *= 0x100000001b3ULL;
	}
	return mix64(h ^ mix64(parent_ino));
}

/*
 * Log inodes are dense (index + 2), so they hash to themselves and a replay
 * walks the table in order; implicit ones (2^48 + n) are moved elsewhere.
 */
static uint64_t ino_hash(uint64_t ino)
{
	return ino ^ ((ino >> 32) * 0x9e3779b97f4a7c15ULL);
}

static void insert_name(struct famfs_node **by_name, uint64_t key, uint64_t mask,
			struct famfs_node *n)
{
	uint64_t h = name_hash(key, n->parent->ino, n->name, strlen(n->name)) & mask;

	n->hnext = by_name[h];
	by_name[h] = n;
}

static void insert_ino(struct famfs_node **by_ino, uint64_t mask, struct famfs_node *n)
{
	uint64_t h = ino_hash(n->ino) & mask;

	n->inext = by_ino[h];
	by_ino[h] = n;
}

/*
 * Double both tables when they are more than half full. A failure to
 * grow is not an error: the chains just get longer.
 */
static void hash_maybe_grow(struct famfs_ns *ns, uint64_t adding)
{
	uint64_t nb = ns->nbuckets;
	struct famfs_node **bn, **bi;

	while (2 * (ns->nnodes + adding) > nb)
		nb *= 2;
	if (nb == ns->nbuckets)
		return;
	bn = calloc(nb, sizeof(*bn));
	bi = calloc(nb, sizeof(*bi));
	if (!bn || !bi) {
		free(bn);
		free(bi);
		return;
	}
	for (uint64_t i = 0; i < ns->nbuckets; i++) {
		struct famfs_node *n, *next;

		for (n = ns->by_name[i]; n; n = next) {
			next = n->hnext;
			insert_name(bn, ns->key, nb - 1, n);
		}
		for (n = ns->by_ino[i]; n; n = next) {
			next = n->inext;
			insert_ino(bi, nb - 1, n);
		}
	}
	free(ns->by_name);
	free(ns->by_ino);
	ns->by_name = bn;
	ns->by_ino = bi;
	ns->nbuckets = nb;
}

static struct famfs_node *lookup_len(struct famfs_ns *ns, const struct famfs_node *dir,
				     const char *name, size_t len)
{
	uint64_t h = name_hash(ns->key, dir->ino, name, len) & (ns->nbuckets - 1);

	for (struct famfs_node *n = ns->by_name[h]; n; n = n->hnext)
		if (n->parent == dir && strncmp(n->name, name, len) == 0 && n->name[len] == '\0')
			return n;
	return NULL;
}

/* A key no log can know: the kernel's random bytes, else the clock and ASLR. */
static uint64_t hash_key(const void *salt)
{
	struct timespec ts;
	uint64_t k;

	if (getrandom(&k, sizeof(k), GRND_NONBLOCK) == (ssize_t)sizeof(k))
		return k;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return mix64((uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^ (uintptr_t)salt);
}

int famfs_ns_new(struct famfs_ns **out)
{
	struct famfs_ns *ns = calloc(1, sizeof(*ns));

	*out = NULL;
	if (!ns)
		return famfs_err(-ENOMEM, "namespace: out of memory");
	ns->key = hash_key(ns);
	ns->nbuckets = NS_HASH_INIT;
	ns->max_implicit = FAMFS_NS_IMPLICIT_DEFAULT;
	ns->by_name = calloc(ns->nbuckets, sizeof(*ns->by_name));
	ns->by_ino = calloc(ns->nbuckets, sizeof(*ns->by_ino));
	if (!ns->by_name || !ns->by_ino) {
		famfs_ns_free(ns);
		return famfs_err(-ENOMEM, "namespace: out of memory");
	}
	ns->root.ino = FAMFS_ROOT_INO;
	ns->root.mode = S_IFDIR | 0755;
	ns->root.log_index = FAMFS_NO_INDEX;
	ns->root.parent = &ns->root;
	insert_ino(ns->by_ino, ns->nbuckets - 1, &ns->root);
	ns->nnodes = 1;
	ns->dirs = 1;
	*out = ns;
	return 0;
}

void famfs_ns_free(struct famfs_ns *ns)
{
	if (!ns)
		return;
	while (ns->slab) {
		struct ns_slab *next = ns->slab->next;

		munmap(ns->slab, ns->slab->bytes);
		ns->slab = next;
	}
	free(ns->by_name);
	free(ns->by_ino);
	free(ns);
}

void famfs_ns_set_epoch(struct famfs_ns *ns, uint32_t mkfs_time)
{
	uint64_t t = (uint64_t)mkfs_time * NS_PER_SEC;

	if (mkfs_time > ns->time_sec)
		ns->time_sec = mkfs_time;
	if (t > ns->root.time_ns)
		ns->root.time_ns = t;
}

/* The time, in ns since the epoch, that entry @index gives (ns.h). */
static uint64_t entry_time(const struct famfs_ns *ns, uint64_t index,
			   const struct famfs_omf_entry *e)
{
	uint32_t sec = e->time > ns->time_sec ? e->time : ns->time_sec;
	uint64_t nsec = index + 1 < NS_PER_SEC ? index + 1 : NS_PER_SEC - 1;

	return (uint64_t)sec * NS_PER_SEC + nsec;
}

void famfs_ns_limit_implicit(struct famfs_ns *ns, uint64_t max)
{
	ns->max_implicit = max;
}

/* Link @n (fully set up, parent included) into its parent and the tables. */
static void ns_link(struct famfs_ns *ns, struct famfs_node *n)
{
	struct famfs_node *p = n->parent;

	/* A directory changes when it gains an entry. */
	if (n->time_ns > p->time_ns)
		p->time_ns = n->time_ns;
	if (p->last_child)
		p->last_child->next_sibling = n;
	else
		p->first_child = n;
	p->last_child = n;
	p->nchildren++;
	insert_name(ns->by_name, ns->key, ns->nbuckets - 1, n);
	insert_ino(ns->by_ino, ns->nbuckets - 1, n);
	ns->nnodes++;
	if (S_ISDIR(n->mode))
		ns->dirs++;
	else
		ns->files++;
}

/*
 * Apply a FILE or MKDIR entry. The path is checked and walked completely,
 * and every node that will be needed is allocated, before anything is
 * linked, so that a failure leaves the namespace as it was.
 */
static int ns_add(struct famfs_ns *ns, uint64_t index, const struct famfs_omf_entry *e)
{
	bool is_file = e->type == FAMFS_LOG_FILE;
	const char *path = is_file ? e->file.relpath : e->mkdir.relpath;
	uint32_t uid = is_file ? e->file.uid : e->mkdir.uid;
	uint32_t gid = is_file ? e->file.gid : e->mkdir.gid;
	uint32_t mode = is_file ? e->file.mode : e->mkdir.mode;
	struct famfs_node *newn[NS_MAX_DEPTH + 1];
	const char *comp[NS_MAX_DEPTH + 1];
	size_t clen[NS_MAX_DEPTH + 1];
	char parent[FAMFS_OMF_PATH_MAX];
	struct famfs_node *dir = &ns->root, *leaf;
	uint64_t t = entry_time(ns, index, e);
	struct famfs_omf_fmap *fmap = NULL;
	unsigned int ncomp = 0, first_missing, nnew;
	size_t need;
	const char *name, *s;
	int rc;

	if (memchr(path, '\0', FAMFS_OMF_PATH_MAX) == NULL)
		return famfs_err(-ENAMETOOLONG, "entry %llu: path is not NUL-terminated",
				 (unsigned long long)index);
	rc = famfs_path_check(path);
	if (rc)
		return famfs_err(rc, "entry %llu: bad path \"%s\"", (unsigned long long)index,
				 path);
	if (index >= FAMFS_INO_IMPLICIT - 2)
		return famfs_err(-EINVAL, "entry %llu: index out of range",
				 (unsigned long long)index);
	if (famfs_ns_by_ino(ns, index + 2))
		return famfs_err(-EEXIST, "entry %llu: already applied",
				 (unsigned long long)index);

	name = famfs_path_split(path, parent);
	for (s = parent; *s && ncomp < NS_MAX_DEPTH; ) {
		const char *slash = strchr(s, '/');
		size_t len = slash ? (size_t)(slash - s) : strlen(s);

		comp[ncomp] = s;
		clen[ncomp++] = len;
		s += len + (slash != NULL);
	}
	/* Walk the existing part of the parent path. */
	for (first_missing = 0; first_missing < ncomp; first_missing++) {
		struct famfs_node *n = lookup_len(ns, dir, comp[first_missing],
						  clen[first_missing]);

		if (!n)
			break;
		if (!S_ISDIR(n->mode))
			return famfs_err(-ENOTDIR, "entry %llu: \"%.*s\" in \"%s\" is a file",
					 (unsigned long long)index, (int)clen[first_missing],
					 comp[first_missing], path);
		dir = n;
	}
	if (first_missing == ncomp && lookup_len(ns, dir, name, strlen(name)))
		return famfs_err(-EEXIST, "entry %llu: \"%s\" already exists",
				 (unsigned long long)index, path);

	nnew = ncomp - first_missing + 1;
	if (ns->implicit + (nnew - 1) > ns->max_implicit)
		return famfs_err(-EUCLEAN, "entry %llu: needs %u implicit directories; "
				 "%llu of at most %llu exist (one per log slot)",
				 (unsigned long long)index, nnew - 1,
				 (unsigned long long)ns->implicit,
				 (unsigned long long)ns->max_implicit);
	need = nnew * round8(sizeof(struct famfs_node)) +
	       (is_file ? round8(sizeof(struct famfs_omf_fmap)) : 0);
	if (!slab_reserve(ns, need))
		return famfs_err(-ENOMEM, "entry %llu: out of memory",
				 (unsigned long long)index);
	for (unsigned int i = 0; i < nnew; i++)
		newn[i] = slab_take(ns, sizeof(struct famfs_node));
	if (is_file)
		fmap = slab_take(ns, sizeof(*fmap));
	hash_maybe_grow(ns, nnew);

	/* Nothing can fail from here on. */
	for (unsigned int i = 0; i + 1 < nnew; i++) {
		struct famfs_node *n = newn[i];
		size_t len = clen[first_missing + i];

		n->ino = FAMFS_INO_IMPLICIT + ns->implicit++;
		n->mode = S_IFDIR | 0755;
		n->uid = uid;
		n->gid = gid;
		n->log_index = FAMFS_NO_INDEX;
		n->time_ns = t;
		memcpy(n->name, comp[first_missing + i], len);
		n->name[len] = '\0';
		n->parent = dir;
		ns_link(ns, n);
		dir = n;
	}
	leaf = newn[nnew - 1];
	leaf->ino = index + 2;
	leaf->mode = (is_file ? S_IFREG : S_IFDIR) | (mode & 07777);
	leaf->uid = uid;
	leaf->gid = gid;
	leaf->log_index = index;
	leaf->time_ns = t;
	strcpy(leaf->name, name);
	leaf->parent = dir;
	if (is_file) {
		leaf->size = e->file.size;
		*fmap = e->file.fmap;
		leaf->fmap = fmap;
	}
	ns_link(ns, leaf);
	return 0;
}

/* Take @n out of the name hash (it stays in by_ino and the child list). */
static void remove_name(struct famfs_ns *ns, struct famfs_node *n)
{
	uint64_t h = name_hash(ns->key, n->parent->ino, n->name, strlen(n->name)) & (ns->nbuckets - 1);
	struct famfs_node **pp;

	for (pp = &ns->by_name[h]; *pp; pp = &(*pp)->hnext) {
		if (*pp == n) {
			*pp = n->hnext;
			n->hnext = NULL;
			return;
		}
	}
}

/*
 * Apply a DELETE: find the live node the entry names, check that it is the
 * one its target entry made, at that path, of that type, and (a directory)
 * empty; then take its name away. Nothing changes on a failure.
 */
static int ns_delete(struct famfs_ns *ns, uint64_t index, const struct famfs_omf_entry *e)
{
	const struct famfs_omf_delete *d = &e->del;
	unsigned long long idx = index;
	char path[FAMFS_OMF_PATH_MAX];
	struct famfs_node *n, *p;
	uint64_t t = entry_time(ns, index, e);
	bool dir = d->target_type == FAMFS_LOG_MKDIR;

	if (!memchr(d->relpath, '\0', FAMFS_OMF_PATH_MAX))
		return famfs_err(-ENAMETOOLONG, "entry %llu: path is not NUL-terminated", idx);
	if (d->target == FAMFS_DELETE_IMPLICIT) {
		n = famfs_ns_resolve(ns, d->relpath);
		if (!n || n == &ns->root || !S_ISDIR(n->mode) || n->log_index != FAMFS_NO_INDEX)
			return famfs_err(-ENOENT, "entry %llu: no implicit directory \"%s\" to "
					 "delete", idx, d->relpath);
	} else {
		n = d->target < FAMFS_INO_IMPLICIT - 2 ? famfs_ns_by_ino(ns, d->target + 2) : NULL;
		if (!n || n->log_index != d->target)
			return famfs_err(-ENOENT, "entry %llu: entry %llu made nothing to delete",
					 idx, (unsigned long long)d->target);
		if (famfs_node_deleted(n))
			return famfs_err(-ENOENT, "entry %llu: \"%s\" (entry %llu) was already "
					 "deleted by entry %llu", idx, d->relpath,
					 (unsigned long long)d->target,
					 (unsigned long long)n->del_index);
		if (famfs_ns_path(n, path, sizeof(path)) || strcmp(path, d->relpath))
			return famfs_err(-ENOENT, "entry %llu: entry %llu made \"%s\", not \"%s\"",
					 idx, (unsigned long long)d->target, path, d->relpath);
	}
	if (!!S_ISDIR(n->mode) != dir)
		return famfs_err(-ENOENT, "entry %llu: \"%s\" is a %s, not a %s", idx, d->relpath,
				 S_ISDIR(n->mode) ? "directory" : "file",
				 dir ? "directory" : "file");
	if (dir && n->nchildren)
		return famfs_err(-ENOTEMPTY, "entry %llu: directory \"%s\" is not empty (%llu "
				 "entries)", idx, d->relpath, (unsigned long long)n->nchildren);

	/* Nothing can fail from here on. */
	remove_name(ns, n);
	n->del_index = index;
	p = n->parent;
	p->nchildren--;
	if (t > p->time_ns)
		p->time_ns = t;		/* a directory changes when it loses an entry */
	if (dir)
		ns->dirs--;
	else
		ns->files--;
	return 0;
}

int famfs_ns_apply(struct famfs_ns *ns, uint64_t index, const struct famfs_omf_entry *e)
{
	int rc;

	switch (e->type) {
	case FAMFS_LOG_FILE:
	case FAMFS_LOG_MKDIR:
		rc = ns_add(ns, index, e);
		break;
	case FAMFS_LOG_DELETE:
		rc = ns_delete(ns, index, e);
		break;
	case FAMFS_LOG_ADD_DAXDEV:
		rc = 0;
		break;
	default:
		return famfs_err(-EINVAL, "entry %llu: type %u cannot be applied",
				 (unsigned long long)index, e->type);
	}
	/* Later entries are never older than this one, applied or not. */
	if (e->time > ns->time_sec)
		ns->time_sec = e->time;
	if (rc == 0)
		ns->entries++;
	return rc;
}

struct famfs_node *famfs_ns_root(struct famfs_ns *ns)
{
	return &ns->root;
}

struct famfs_node *famfs_ns_lookup(struct famfs_ns *ns, const struct famfs_node *dir,
				   const char *name)
{
	size_t len;

	if (!dir || !name || !S_ISDIR(dir->mode))
		return NULL;
	len = strlen(name);
	if (len == 0 || len >= FAMFS_OMF_PATH_MAX)
		return NULL;
	return lookup_len(ns, dir, name, len);
}

struct famfs_node *famfs_ns_resolve(struct famfs_ns *ns, const char *relpath)
{
	struct famfs_node *n = &ns->root;
	const char *s = relpath;

	if (!relpath)
		return NULL;
	while (*s) {
		const char *slash = strchr(s, '/');
		size_t len = slash ? (size_t)(slash - s) : strlen(s);

		if (len == 0 || len >= FAMFS_OMF_PATH_MAX || !S_ISDIR(n->mode))
			return NULL;
		n = lookup_len(ns, n, s, len);
		if (!n)
			return NULL;
		s += len + (slash != NULL);
		if (slash && !*s)
			return NULL;	/* trailing slash: not normalised */
	}
	return n;
}

struct famfs_node *famfs_ns_by_ino(struct famfs_ns *ns, uint64_t ino)
{
	for (struct famfs_node *n = ns->by_ino[ino_hash(ino) & (ns->nbuckets - 1)]; n; n = n->inext)
		if (n->ino == ino)
			return n;
	return NULL;
}

int famfs_ns_path(const struct famfs_node *n, char *buf, size_t bufsz)
{
	size_t total = 0, pos;

	if (!n || !buf || bufsz == 0)
		return famfs_err(-EINVAL, "namespace: no node or buffer for a path");
	for (const struct famfs_node *p = n; p->parent != p; p = p->parent)
		total += strlen(p->name) + (total ? 1 : 0);
	if (total + 1 > bufsz)
		return famfs_err(-ENAMETOOLONG, "namespace: path of inode %llu needs %zu bytes",
				 (unsigned long long)n->ino, total + 1);
	buf[total] = '\0';
	pos = total;
	for (const struct famfs_node *p = n; p->parent != p; p = p->parent) {
		size_t len = strlen(p->name);

		if (pos != total)
			buf[--pos] = '/';
		pos -= len;
		memcpy(buf + pos, p->name, len);
	}
	return 0;
}

void famfs_ns_counts(const struct famfs_ns *ns, uint64_t *files, uint64_t *dirs,
		     uint64_t *entries)
{
	if (files)
		*files = ns->files;
	if (dirs)
		*dirs = ns->dirs;
	if (entries)
		*entries = ns->entries;
}

uint64_t famfs_ns_implicit(const struct famfs_ns *ns)
{
	return ns->implicit;
}

uint64_t famfs_ns_bytes(const struct famfs_ns *ns)
{
	return sizeof(*ns) + ns->slab_bytes + 2 * ns->nbuckets * sizeof(struct famfs_node *);
}

uint64_t famfs_ns_longest_chain(const struct famfs_ns *ns)
{
	uint64_t best = 0, len;

	for (uint64_t i = 0; i < ns->nbuckets; i++) {
		len = 0;
		for (const struct famfs_node *n = ns->by_name[i]; n; n = n->hnext)
			len++;
		if (len > best)
			best = len;
	}
	return best;
}
