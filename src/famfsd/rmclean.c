// SPDX-License-Identifier: Apache-2.0
/*
 * rmclean.c - the cache pass over a deleted file's memory: before this
 * host lets the memory go (docs/rm.md, section 5), every line of it that
 * this host's caches may hold is written back and dropped. A process here
 * may have stored into a mapping of the file and never synced: those dirty
 * lines, evicted later, would land in the next owner's data. Or it loaded
 * from it: those clean lines would be read by a later mapping of the next
 * file here instead of its zeros.
 *
 * Which lines can be cached depends on the device:
 * - a devdax character device (CXL memory), a file on hugetlbfs or on an
 *   fsdax file system: any line of it, whether or not famfsd ever touched
 *   it, so the pass covers the whole file. (mincore answers from famfsd's
 *   own page table there, not from what the host has resident.)
 * - a regular file on tmpfs (the embedded default): memory is this host's
 *   page cache, and a page that is not resident has no lines in any cache.
 *   Touching one would fault it in: on a sparse image a read fault on a
 *   hole allocates a page (a large deleted file that was never written
 *   would fill RAM), and on a tmpfs with no room left it raises SIGBUS. So
 *   only resident pages are passed over (mincore, 2 MiB at a time). If
 *   mincore fails (the range is not mapped in famfsd, which maps the device
 *   whole: it should not happen), that chunk is skipped and logged: famfsd
 *   cannot reach it anyway, and passing over it blind would fault holes.
 *
 * The pass is guarded against SIGBUS, and a fault stops little more than
 * the page it is in: the pass goes 2 MiB at a time, and a chunk that faults
 * is passed over again page by page, in the mapping's own page size (none
 * on hugetlbfs or a devdax with 2 MiB pages, where the chunk is the page),
 * so every page that does not fault is still written back (a poisoned page
 * of a large file must not leave the rest of it dirty). That redo is
 * bounded: once a whole chunk faulted on every page, or after
 * REDO_FAULTS_MAX faults, the memory faults throughout (gone, or a hole
 * with no room) and each further chunk is tried once, so memory that
 * faults everywhere costs one fault per 2 MiB, not one per page. A device
 * that famfsd marked unreachable stops the pass. The log names the pages
 * that faulted and the bytes not tried page by page or not tried at all.
 * A fault never fails the device by itself: memory that is really gone
 * holds no lines to write back and can be reused by nobody through this
 * host. The catch-up thread's periodic check of the superblock and log
 * (catchup.c) is what finds and marks a device that went away.
 *
 * A long pass keeps this mount's record in the host table beating
 * (famfsd_rm_beat between chunks): it may take seconds per 100 GiB, in an
 * unlink, a release or the catch-up thread, and a record that stops
 * beating is shown as not answering, a candidate for famfs host evict.
 *
 * Runs with no famfsd lock held: the file is deleted and this host still
 * holds its memory (rm.c publishes the hold until the pass is done), so
 * nothing can change or reuse it meanwhile.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "famfs/audit.h"
#include "famfs/devmem.h"
#include "famfsd.h"

#define CHUNK		(2UL << 20)	/* one mincore() or invalidate call */
#define CHUNK_PAGES_MAX	(CHUNK / 4096)
#define REDO_FAULTS_MAX	1024	/* page faults before no chunk is redone */

/* What one file's pass could not do, for its log line. */
struct clean_res {
	struct famfsd *fsd;
	unsigned int dev;		/* its index */
	const uint8_t *base;		/* the device being passed over */
	size_t psz;			/* the mapping's page size */
	uint64_t faulted, first, last;	/* pages that faulted; device offsets */
	uint64_t redo_faults;		/* faults in page-by-page redos */
	bool faults_all;		/* a redo faulted on every page: no more redos */
	uint64_t untried;		/* bytes of faulting chunks not redone */
	uint64_t stopped;		/* bytes not passed over: device unreachable */
	uint64_t unmapped;		/* bytes mincore() could not see (skipped) */
	const uint8_t *inject;		/* test builds: a page that "faults" */
	bool inject_all;		/* test builds: every page "faults" */
	bool slow;			/* test builds: 30 ms a chunk, as a huge device */
};

/* Write back and drop [p, p + len); false on a fault. */
static bool span_clean(struct clean_res *r, const uint8_t *p, size_t len)
{
	bool fault = r->inject_all || (r->inject && r->inject >= p && r->inject < p + len);

	if (fault || famfs_sigbus_invalidate(p, len)) {
		famfsd_rm_pass_fault(r->fsd);
		return false;
	}
	famfs_audit_published(p, len, "rm: deleted file clean on this host before its "
			      "memory is let go");
	return true;
}

/* @len bytes at @p faulted and were not passed over: for the log line. */
static void note_fault(struct clean_res *r, const uint8_t *p, uint64_t len)
{
	uint64_t pages = (len + r->psz - 1) / r->psz;

	if (!r->faulted)
		r->first = (uint64_t)(p - r->base);
	r->faulted += pages;
	r->last = (uint64_t)(p - r->base) + (pages - 1) * r->psz;
}

/* Redo a chunk that faulted page by page, unless the memory faults throughout. */
static void redo_chunk(struct clean_res *r, const uint8_t *p, uint64_t n)
{
	uint64_t pg, step, bad = 0;

	if (r->faults_all || r->redo_faults >= REDO_FAULTS_MAX || n <= r->psz) {
		/* No page of it to save apart from the others: one fault for all. */
		if (n > r->psz)
			r->untried += n;
		note_fault(r, p, n);
		return;
	}
	for (pg = 0; pg < n; pg += step) {
		step = n - pg < r->psz ? n - pg : r->psz;
		if (span_clean(r, p + pg, step))
			continue;
		note_fault(r, p + pg, step);
		bad++;
		r->redo_faults++;
	}
	if (bad == (n + r->psz - 1) / r->psz)
		r->faults_all = true;
}

/*
 * Write back and drop [p, p + len), a chunk at a time; a chunk that faults
 * page by page (redo_chunk), so that only the pages that fault are left
 * out. Between chunks: the heartbeat, and whether the device is gone.
 */
static void clean_run(struct clean_res *r, const uint8_t *p, uint64_t len)
{
	uint64_t off, n;

	for (off = 0; off < len; off += n) {
		n = len - off < CHUNK ? len - off : CHUNK;
		famfsd_rm_beat(r->fsd);
		if (r->slow)
			nanosleep(&(struct timespec){ 0, 30000000L }, NULL);
		if (famfsd_dax_unreachable(r->fsd, r->dev)) {
			r->stopped += len - off;
			return;
		}
		if (!span_clean(r, p + off, n))
			redo_chunk(r, p + off, n);
	}
}

/* The resident runs of [p, p + len) (page aligned), chunk by chunk. */
static void clean_resident(struct clean_res *r, const uint8_t *p, uint64_t len)
{
	unsigned char vec[CHUNK_PAGES_MAX];
	size_t pages, i, run;
	uint64_t off, n;

	for (off = 0; off < len; off += n) {
		n = len - off < CHUNK ? len - off : CHUNK;
		pages = (n + r->psz - 1) / r->psz;
		if (mincore((void *)(p + off), n, vec)) {
			r->unmapped += n;
			continue;
		}
		for (i = 0; i < pages; i += run) {
			for (run = 0; i + run < pages && (vec[i + run] & 1); run++)
				;
			if (run) {
				uint64_t at = i * r->psz, rlen = run * r->psz;

				if (at + rlen > n)
					rlen = n - at;
				clean_run(r, p + off + at, rlen);
			} else {
				run = 1;
			}
		}
	}
}

/*
 * Whether mincore() tells this host's residency of @d's pages: only on
 * tmpfs, where it looks up the shared page cache when famfsd's own page
 * table has no entry. On hugetlbfs it reports famfsd's own page table
 * only (pages that only applications touched look absent), and a file on
 * an fsdax file system has no page cache at all: both get the full pass.
 */
static bool resident_only(const struct famfs_dev *d)
{
	struct statfs st;

	return !d->is_daxdev && !fstatfs(d->fd, &st) && st.f_type == TMPFS_MAGIC;
}

/*
 * The page size of @d's mapping in famfsd: a fault is of one such page. A
 * devdax device maps in its alignment (sysfs "align"), a file on hugetlbfs
 * in huge pages (its f_bsize), anything else in base pages. Only sizes
 * that divide a chunk are used; else base pages.
 */
static size_t map_page_size(const struct famfs_dev *d)
{
	long base = sysconf(_SC_PAGESIZE);
	unsigned long long v = 0;
	char path[96];
	struct statfs sf;
	struct stat st;
	FILE *f;

	if (base < 4096 || CHUNK % (unsigned long)base)
		base = 4096;
	if (d->is_daxdev && !fstat(d->fd, &st)) {
		snprintf(path, sizeof(path), "/sys/dev/char/%u:%u/device/align",
			 major(st.st_rdev), minor(st.st_rdev));
		f = fopen(path, "re");
		if (f) {
			if (fscanf(f, "%llu", &v) != 1)
				v = 0;
			fclose(f);
		}
	} else if (!fstatfs(d->fd, &sf) && sf.f_type == HUGETLBFS_MAGIC) {
		v = (unsigned long long)sf.f_bsize;
	}
	if (v > (unsigned long long)base && v <= CHUNK && !(CHUNK % v))
		return (size_t)v;
	return (size_t)base;
}

/* The log lines for what @r's pass over extent @e of inode @ino left out. */
static void log_res(struct famfsd *fsd, const struct clean_res *r, uint64_t ino,
		    uint64_t devindex)
{
	unsigned long long i = (unsigned long long)ino, dv = (unsigned long long)devindex;

	if (r->faulted)
		syslog(LOG_WARNING, "famfsd %s: the cache pass over deleted inode %llu "
		       "faulted on %llu pages of %zu KiB of device %llu (offsets %#llx to %#llx), "
		       "%llu bytes of them in 2 MiB chunks not retried page by page (the "
		       "memory faults throughout): their lines were not written back; every "
		       "other page of it was", fsd->mnt, i, (unsigned long long)r->faulted,
		       r->psz >> 10, dv, (unsigned long long)r->first,
		       (unsigned long long)r->last, (unsigned long long)r->untried);
	if (r->stopped)
		syslog(LOG_WARNING, "famfsd %s: the cache pass over deleted inode %llu "
		       "stopped with %llu bytes of device %llu left: famfsd marked the device "
		       "unreachable", fsd->mnt, i, (unsigned long long)r->stopped, dv);
	if (r->unmapped)
		syslog(LOG_WARNING, "famfsd %s: the cache pass over deleted inode %llu "
		       "skipped %llu bytes of device %llu that famfsd has not mapped "
		       "(mincore failed)", fsd->mnt, i, (unsigned long long)r->unmapped, dv);
}

void famfsd_clean_file(struct famfsd *fsd, const struct famfs_node *n)
{
	const struct famfs_omf_fmap *f = n->fmap;
	const struct famfs_omf_extent *e;
	const struct famfs_dev *d;
	struct clean_res r;
	uint64_t cnt;

	if (!f)
		return;
	e = f->ext_type == FAMFS_EXT_INTERLEAVE ? f->strips : f->se;
	cnt = f->ext_type == FAMFS_EXT_INTERLEAVE ? f->nstrips : f->nextents;
	for (uint64_t i = 0; i < cnt; i++) {
		if (e[i].devindex >= FAMFS_MAX_DAXDEVS)
			continue;
		/*
		 * Each extent on its own device. One this host never mapped (not
		 * found here) has no lines of it in our caches.
		 */
		d = famfs_fs_dev(fsd->fs, (uint32_t)e[i].devindex);
		if (!d || !d->base || e[i].offset > d->size ||
		    e[i].len > d->size - e[i].offset || !e[i].len)
			continue;
		memset(&r, 0, sizeof(r));
		r.fsd = fsd;
		r.dev = (unsigned int)e[i].devindex;
		r.base = d->base;
		r.psz = map_page_size(d);
		/* Test builds: the page in the middle of the extent faults, or every page. */
		if (famfsd_test_flag("rm-clean-fault"))
			r.inject = d->base + e[i].offset + (e[i].len / 2 & ~(uint64_t)(r.psz - 1));
		r.inject_all = famfsd_test_flag("rm-clean-fault-all");
		r.slow = famfsd_test_flag("rm-clean-slow");
		famfsd_test_pause("rm-clean");	/* test builds: inside the pass */
		/* Test builds: "rm-clean-all" passes over every page (as on devdax). */
		if (resident_only(d) && !famfsd_test_flag("rm-clean-all"))
			clean_resident(&r, d->base + e[i].offset, e[i].len);
		else
			clean_run(&r, d->base + e[i].offset, e[i].len);
		log_res(fsd, &r, n->ino, e[i].devindex);
	}
}
