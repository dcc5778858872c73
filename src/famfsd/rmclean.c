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
 *   only resident pages are passed over (mincore, 2 MiB at a time).
 *
 * The pass is guarded against SIGBUS, but a fault here never fails the
 * device by itself: the pass only drops caches, and memory that is really
 * gone holds no lines to write back and can be reused by nobody through
 * this host. The catch-up thread's periodic check of the superblock and
 * log (catchup.c) is what finds and marks a device that went away.
 *
 * Runs with no famfsd lock held: the file is deleted and this host still
 * holds its memory (rm.c publishes the hold until the pass is done), so
 * nothing can change or reuse it meanwhile.
 */
#include <stdint.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/vfs.h>
#include <syslog.h>
#include <unistd.h>

#include "famfs/audit.h"
#include "famfs/devmem.h"
#include "famfsd.h"

#define CHUNK		(2UL << 20)	/* one mincore() call */
#define CHUNK_PAGES_MAX	(CHUNK / 4096)

/* Write back and drop [p, p + len); false on a fault. */
static bool clean_run(const struct famfsd *fsd, uint8_t *p, size_t len)
{
	if (famfs_sigbus_invalidate(p, len)) {
		syslog(LOG_WARNING, "famfsd %s: a deleted file's memory faulted in the cache "
		       "pass; nothing of it is left to write back", fsd->mnt);
		return false;
	}
	famfs_audit_published(p, len, "rm: deleted file clean on this host before its "
			      "memory is let go");
	return true;
}

/*
 * The resident runs of [p, p + len) (page aligned), chunk by chunk. A
 * mincore that fails (it should not: the device is mapped whole) counts
 * every page as resident: a pass too many never loses a line.
 */
static void clean_resident(const struct famfsd *fsd, uint8_t *p, uint64_t len)
{
	long psz = sysconf(_SC_PAGESIZE);
	unsigned char vec[CHUNK_PAGES_MAX];
	size_t pages, i, run;
	uint64_t off, n;

	if (psz < 4096 || CHUNK % (unsigned long)psz) {
		clean_run(fsd, p, len);		/* a page size we cannot chunk: all of it */
		return;
	}
	for (off = 0; off < len; off += n) {
		n = len - off < CHUNK ? len - off : CHUNK;
		pages = (n + (uint64_t)psz - 1) / (uint64_t)psz;
		if (mincore(p + off, n, vec))
			memset(vec, 1, pages);
		for (i = 0; i < pages; i += run) {
			for (run = 0; i + run < pages && (vec[i + run] & 1); run++)
				;
			if (run) {
				uint64_t at = i * (uint64_t)psz, rlen = run * (uint64_t)psz;

				if (at + rlen > n)
					rlen = n - at;
				if (!clean_run(fsd, p + off + at, rlen))
					return;
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

void famfsd_clean_file(struct famfsd *fsd, const struct famfs_node *n)
{
	const struct famfs_omf_fmap *f = n->fmap;
	const struct famfs_omf_extent *e;
	const struct famfs_dev *d;
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
		famfsd_test_pause("rm-clean");	/* test builds: inside the pass */
		/* Test builds: "rm-clean-all" passes over every page (as on devdax). */
		if (resident_only(d) && !famfsd_test_flag("rm-clean-all"))
			clean_resident(fsd, d->base + e[i].offset, e[i].len);
		else
			clean_run(fsd, d->base + e[i].offset, e[i].len);
	}
}
