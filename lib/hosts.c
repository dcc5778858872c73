// SPDX-License-Identifier: Apache-2.0
/*
 * hosts.c - the host table of a file system with the rm feature, in device
 * memory: turning the feature on, claiming a slot (a splitter), publishing,
 * leaving, reading the table, freeing this host's dead records under a
 * host-local lock, eviction, and the reclaim horizon. docs/rm.md sections
 * 6 to 8 say why each step is safe; famfs/hosts.h what each call promises.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "famfs/audit.h"
#include "famfs/dev.h"
#include "famfs/devmem.h"
#include "famfs/err.h"
#include "famfs/hosts.h"
#include "famfs/role.h"

#define READ_TRIES	4	/* a record read torn this often counts as bad */
#define FUSECTL_SUPER_MAGIC	0x65735543	/* fusectl, /sys/fs/fuse/connections */

/* ---- the rm block and turning the feature on ---- */

int famfs_rm_block_read(const uint8_t *base, const struct famfs_omf_sb *sb,
			struct famfs_rm_block *b)
{
	uint8_t buf[FAMFS_RM_BLOCK_SIZE];
	int rc;

	if (!(sb->flags & FAMFS_SB_FEAT_RM))
		return -ENOENT;
	if (famfs_sigbus_read(buf, base + FAMFS_RM_BLOCK_OFF, sizeof(buf)))
		return famfs_err(-EIO, "the rm block could not be read (device fault)");
	rc = famfs_rm_block_decode(buf, sb->uuid, b);
	if (rc == -ENOENT)
		return famfs_err(-EBADMSG, "superblock has the rm feature but no rm block at "
				 "0x%llx", FAMFS_RM_BLOCK_OFF);
	return rc;
}

bool famfs_rm_block_orphan(const uint8_t *base, const struct famfs_omf_sb *sb,
			   struct famfs_rm_block *b)
{
	uint8_t buf[FAMFS_RM_BLOCK_SIZE];

	if (sb->flags & FAMFS_SB_FEAT_RM)
		return false;
	if (famfs_sigbus_read(buf, base + FAMFS_RM_BLOCK_OFF, sizeof(buf)))
		return false;
	return famfs_rm_block_decode(buf, sb->uuid, b) == 0;
}

int famfs_rm_set_flag(uint8_t *base, const struct famfs_omf_sb *sb)
{
	uint32_t flags = htole32(sb->flags | FAMFS_SB_FEAT_RM);

	if (famfs_sigbus_write(base + FAMFS_SB_FLAGS_OFF, &flags, sizeof(flags)))
		return famfs_err(-EIO, "the superblock flags could not be written (device fault)");
	famfs_audit_published(base + FAMFS_SB_FLAGS_OFF, 4, "rm: superblock flag");
	return 0;
}

int famfs_rm_format(uint8_t *base, const struct famfs_omf_sb *sb, uint64_t since)
{
	static const uint8_t zero[FAMFS_HOST_SLOT_SIZE];
	uint8_t buf[FAMFS_RM_BLOCK_SIZE];
	struct famfs_rm_block b;
	uint8_t *table = base + FAMFS_HOSTS_OFF;
	size_t len = (size_t)FAMFS_HOSTS_NSLOTS * FAMFS_HOST_SLOT_SIZE;
	time_t now = time(NULL);
	int rc = 0;

	if (famfs_log_nslots(sb->log_len) >= UINT32_MAX)
		return famfs_err(-EINVAL, "a log of %llu bytes has too many entries for the rm "
				 "feature (its horizon field is 32 bits)",
				 (unsigned long long)sb->log_len);
	famfs_rm_block_default(&b, since, now > 0 && now < UINT32_MAX ? (uint32_t)now : 0);
	famfs_rm_block_encode(&b, sb->uuid, buf);
	for (size_t off = 0; !rc && off < len; off += sizeof(zero))
		rc = famfs_sigbus_write(table + off, zero, sizeof(zero));
	if (!rc) {
		famfs_audit_published(table, len, "rm: empty host table");
		rc = famfs_sigbus_write(base + FAMFS_RM_BLOCK_OFF, buf, sizeof(buf));
	}
	if (rc)
		return famfs_err(-EIO, "the host table could not be written (device fault)");
	famfs_audit_published(base + FAMFS_RM_BLOCK_OFF, sizeof(buf), "rm: rm block");
	return 0;
}

int famfs_rm_enable(uint8_t *base, const struct famfs_omf_sb *sb, uint64_t since)
{
	int rc = famfs_rm_format(base, sb, since);

	if (rc)
		return rc;
	/* The flag last: the feature exists only once its block does. */
	return famfs_rm_set_flag(base, sb);
}

/* ---- slot access: one writer per line, flush after writes, invalidate before reads ---- */

static uint8_t *slot_at(const struct famfs_hosts *h, unsigned int i)
{
	return h->base + h->blk.table_off + (uint64_t)i * h->blk.slot_size;
}

/*
 * Every access goes through famfs/devmem.h, each guarded on its own: a
 * fault (the device went away) sets the sticky h->fault, loads then read as
 * "taken by someone we cannot read", and the public calls below fail with
 * -EIO (famfs_hosts_horizon returns 0: nothing is reusable).
 */
static void word_store(struct famfs_hosts *h, uint8_t *p, uint64_t v)
{
	if (famfs_sigbus_store64((uint64_t *)(void *)p, htole64(v)) ||
	    famfs_sigbus_flush(p, 8))
		h->fault = -EIO;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	famfs_audit_published(p, 8, "host table: claim word");
}

static uint64_t word_load(struct famfs_hosts *h, const uint8_t *p)
{
	uint64_t v;

	/* famfs_sigbus_load64 invalidates first; the fence orders our stores before it. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (famfs_sigbus_load64((const uint64_t *)(const void *)p, &v)) {
		h->fault = -EIO;
		return UINT64_MAX;
	}
	return le64toh(v);
}

static void rec_store(struct famfs_hosts *h, unsigned int i, const struct famfs_host_rec *r)
{
	uint8_t buf[FAMFS_HOST_REC_SIZE], *p = slot_at(h, i) + FAMFS_HOST_REC_OFF;

	if (r)
		famfs_host_rec_encode(r, h->fs_uuid, buf);
	else
		memset(buf, 0, sizeof(buf));
	if (famfs_sigbus_write(p, buf, sizeof(buf)))
		h->fault = -EIO;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	famfs_audit_published(p, sizeof(buf), "host table: record");
}

/* Decode slot @i's record: 0, -ENOENT (none), -EIO (fault) or -EBADMSG/-EINVAL after retries. */
static int rec_load(struct famfs_hosts *h, unsigned int i, struct famfs_host_rec *r)
{
	const uint8_t *p = slot_at(h, i) + FAMFS_HOST_REC_OFF;
	uint8_t buf[FAMFS_HOST_REC_SIZE];
	int rc = 0;

	for (int t = 0; t < READ_TRIES; t++) {
		if (famfs_sigbus_read(buf, p, sizeof(buf))) {
			h->fault = -EIO;
			return -EIO;
		}
		rc = famfs_host_rec_decode(buf, h->fs_uuid, r);
		if (rc == 0 || rc == -ENOENT)
			return rc;
	}
	return rc;
}

/* ---- who we are, and whether a record's owner is alive ---- */

static void read_boot_id(uint8_t out[16])
{
	char buf[64] = "";
	int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	memset(out, 0, 16);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (uuid_parse(buf, out))
		memset(out, 0, 16);
}

/* This process's pid namespace: the inode of /proc/self/ns/pid (32 bits in proc), 0 unknown. */
static uint32_t read_pidns(void)
{
	struct stat st;

	if (stat("/proc/self/ns/pid", &st) || st.st_ino > UINT32_MAX)
		return 0;
	return (uint32_t)st.st_ino;
}

/* Start time of process @pid (clock ticks after boot, /proc/PID/stat field 22), 0 if gone. */
static uint64_t proc_start(uint32_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long v = 0;
	ssize_t n;
	int fd, field;

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')');	/* the command name may hold spaces */
	if (!p)
		return 0;
	for (field = 2; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p + 1, "%llu", &v) != 1)
		return 0;
	return v;
}

static bool uuid_zero(const uint8_t u[16])
{
	static const uint8_t z[16];

	return !memcmp(u, z, 16);
}

/*
 * Is the owner of this host's record @r gone for good, with every reference
 * it could have had? Sets *@why. Records of other hosts are never judged.
 */
static bool local_dead(const struct famfs_hosts *h, const struct famfs_host_rec *r,
		       const char **why)
{
	struct statfs sfs;
	struct stat st;
	char path[96];

	*why = "";
	if (uuid_zero(h->boot_id) || uuid_zero(r->boot_id))
		return false;
	if (memcmp(r->boot_id, h->boot_id, 16)) {
		*why = "the host rebooted since";
		return true;
	}
	/*
	 * A pid means something only in its own pid namespace: a process of
	 * another one (a container) is never judged by its pid here. A
	 * famfsd's connection is the host's, so that test still holds.
	 */
	if (r->pidns && h->pidns && r->pidns == h->pidns) {
		if (r->pid && proc_start(r->pid) == r->start)
			return false;		/* still running */
		if (r->kind == FAMFS_HOST_PROCESS) {
			*why = "the process is gone";
			return true;
		}
		/* famfsd publishes its connection as soon as it has mounted. */
		if (!r->conn) {
			*why = "famfsd died before it mounted";
			return true;
		}
	} else if (r->kind == FAMFS_HOST_PROCESS) {
		return false;
	}
	/*
	 * A famfsd's mount lives on while anything holds a file of it, and so
	 * does its connection in fusectl. Without fusectl mounted (an empty
	 * sysfs directory) we cannot tell: keep blocking.
	 */
	if (!r->conn || statfs("/sys/fs/fuse/connections", &sfs) ||
	    sfs.f_type != FUSECTL_SUPER_MAGIC)
		return false;
	snprintf(path, sizeof(path), "/sys/fs/fuse/connections/%u", r->conn);
	if (!stat(path, &st))
		return false;
	*why = "famfsd is gone and so is its mount";
	return true;
}

/* ---- open and close ---- */

int famfs_hosts_open(const char *dev_path, const struct famfs_omf_sb *sb, bool writable,
		     struct famfs_hosts **out)
{
	struct famfs_hosts *h;
	void *m;
	int rc;

	*out = NULL;
	if (!(sb->flags & FAMFS_SB_FEAT_RM))
		return famfs_err(-ENOENT, "%s: the file system does not have the rm feature "
				 "(famfs tune -O rm)", dev_path);
	h = calloc(1, sizeof(*h));
	if (!h)
		return famfs_err(-ENOMEM, "out of memory");
	h->slot = -1;
	h->writable = writable;
	memcpy(h->fs_uuid, sb->uuid, 16);
	h->fd = open(dev_path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (h->fd < 0) {
		rc = famfs_err(-errno, "%s: open for the host table: %s", dev_path,
			       strerror(errno));
		free(h);
		return rc;
	}
	/* 2 MiB aligned: a devdax device faults only whole aligned pages in. */
	m = famfs_dev_map_aligned(h->fd, FAMFS_SB_REGION, PROT_READ | (writable ? PROT_WRITE : 0));
	if (m == MAP_FAILED) {
		rc = famfs_err(-errno, "%s: map the host table: %s", dev_path, strerror(errno));
		close(h->fd);
		free(h);
		return rc;
	}
	h->base = m;
	famfs_audit_map(h->base, FAMFS_SB_REGION, h->fd, 0);
	rc = famfs_rm_block_read(h->base, sb, &h->blk);
	if (rc) {
		famfs_hosts_close(h);
		return rc;
	}
	/*
	 * Never created here (only mkfs does). Without one this host cannot
	 * tell its own records: it never judges any of them dead, so the dead
	 * ones wait for famfs host evict.
	 */
	if (famfs_system_uuid_find(h->host_uuid))
		memset(h->host_uuid, 0, 16);
	famfs_errclear();
	read_boot_id(h->boot_id);
	h->pidns = read_pidns();
	*out = h;
	return 0;
}

void famfs_hosts_close(struct famfs_hosts *h)
{
	if (!h)
		return;
	if (h->base) {
		famfs_audit_unmap(h->base, FAMFS_SB_REGION);
		munmap(h->base, FAMFS_SB_REGION);
	}
	if (h->fd >= 0)
		close(h->fd);
	free(h);
}

/* ---- this host's dead records ---- */

/*
 * Host-local lock (an OFD lock on one byte of the device file), never waited
 * for without a bound: any process that can read the device can take a read
 * lock on that byte and keep it, and the callers (the allocator under the
 * log lock, famfsd under its namespace lock, every registering command) must
 * not hang on it. Cleaning is optional: a dead record that stays only keeps
 * blocking reuse, which is safe. So a lock held by someone else is retried
 * for up to a second (cleaners hold it for a few loads and stores, but a
 * loaded machine can preempt them), once per handle: after that, only one
 * try each time. -EAGAIN then, and h->clean_busy says so.
 */
#define LOCK_WAIT_NS	1000000000LL

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int local_lock(struct famfs_hosts *h, short type)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET,
			    .l_start = (off_t)FAMFS_RM_BLOCK_OFF, .l_len = 1 };
	const struct timespec ms = { .tv_nsec = 1000000 };
	int64_t end = mono_ns() + (h->clean_busy ? 0 : LOCK_WAIT_NS);

	while (fcntl(h->fd, F_OFD_SETLK, &fl) < 0) {
		if (errno == EINTR)
			continue;
		if ((errno != EAGAIN && errno != EACCES) || mono_ns() >= end)
			return -errno;
		nanosleep(&ms, NULL);
	}
	return 0;
}

/*
 * Free slot @i if it still holds the dead record @r. Under the local lock,
 * so that two cleaners of this host never free a slot one of them saw
 * claimed again. Other hosts never touch a slot whose Y is set.
 */
static bool clean_dead(struct famfs_hosts *h, unsigned int i, const struct famfs_host_rec *r)
{
	struct famfs_host_rec now;
	const char *why;
	bool freed = false;
	int rc;

	if (!h->writable)
		return false;
	rc = local_lock(h, F_WRLCK);
	if (rc) {
		if (rc == -EAGAIN || rc == -EACCES)
			h->clean_busy = true;
		return false;
	}
	if (word_load(h, slot_at(h, i) + FAMFS_HOST_Y_OFF) && rec_load(h, i, &now) == 0 &&
	    now.nonce == r->nonce && local_dead(h, &now, &why)) {
		rec_store(h, i, NULL);
		word_store(h, slot_at(h, i) + FAMFS_HOST_Y_OFF, 0);
		freed = true;
	}
	local_lock(h, F_UNLCK);
	return freed;
}

/* ---- register, publish, leave ---- */

static uint64_t new_nonce(void)
{
	uint64_t v = 0;

	while (!v) {
		if (getrandom(&v, sizeof(v), 0) != sizeof(v))
			v = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^ (uintptr_t)&v;
	}
	return v;
}

/* Splitter on slot @i: true if we own it now (docs/rm.md, section 7). */
static bool claim(struct famfs_hosts *h, unsigned int i, uint64_t nonce)
{
	uint8_t *s = slot_at(h, i);

	if (word_load(h, s + FAMFS_HOST_Y_OFF))
		return false;
	word_store(h, s + FAMFS_HOST_X_OFF, nonce);
	if (word_load(h, s + FAMFS_HOST_Y_OFF))
		return false;
	word_store(h, s + FAMFS_HOST_Y_OFF, 1);
	return word_load(h, s + FAMFS_HOST_X_OFF) == nonce;
}

int famfs_hosts_register(struct famfs_hosts *h, enum famfs_host_kind kind, uint32_t conn,
			 bool master)
{
	struct famfs_host_rec *me = &h->me;
	struct famfs_host_slot s;
	unsigned int start, i, k;
	char name[256] = "";

	if (!h->writable)
		return famfs_err(-EROFS, "the host table is mapped read-only");
	if (h->slot >= 0)
		return 0;
	memset(me, 0, sizeof(*me));
	me->kind = (uint16_t)kind;
	me->flags = master ? FAMFS_HOST_FL_MASTER : 0;
	me->nonce = new_nonce();
	memcpy(me->host_uuid, h->host_uuid, 16);
	memcpy(me->boot_id, h->boot_id, 16);
	me->pid = (uint32_t)getpid();
	me->start = proc_start(me->pid);
	me->pidns = h->pidns;
	me->conn = conn;
	me->replayed = 0;		/* until the caller has replayed and published */
	me->hold = FAMFS_HOLD_NONE;
	me->beat_time = (uint64_t)time(NULL);
	gethostname(name, sizeof(name) - 1);
	/* For humans: a long host name is cut (the record was zeroed above). */
	memcpy(me->name, name, strnlen(name, sizeof(me->name) - 1));

	/* Free this host's dead records first: they would take slots for ever. */
	for (i = 0; i < h->blk.nslots; i++)
		if (famfs_hosts_read(h, i, &s) == 0 && s.dead)
			clean_dead(h, i, &s.rec);

	start = (unsigned int)((me->nonce ^ ((uint64_t)h->host_uuid[0] << 8 |
					     h->host_uuid[15])) % h->blk.nslots);
	for (k = 0; k < h->blk.nslots; k++) {
		i = (start + k) % h->blk.nslots;
		if (!claim(h, i, me->nonce))
			continue;
		h->slot = (int)i;
		rec_store(h, i, me);
		break;
	}
	if (h->fault) {
		h->slot = -1;
		return famfs_err(h->fault, "the host table faulted (the device went away?)");
	}
	if (h->slot >= 0)
		return 0;
	return famfs_err(-ENOSPC, "the host table is full (%u slots): free stale hosts with "
			 "famfs host evict", h->blk.nslots);
}

/* Is slot h->slot still ours: Y set and our record in it. */
static bool still_mine(struct famfs_hosts *h)
{
	struct famfs_host_rec r;

	return word_load(h, slot_at(h, (unsigned int)h->slot) + FAMFS_HOST_Y_OFF) &&
	       rec_load(h, (unsigned int)h->slot, &r) == 0 && r.nonce == h->me.nonce;
}

int famfs_hosts_publish(struct famfs_hosts *h, uint64_t replayed, uint64_t hold)
{
	if (h->slot < 0)
		return famfs_err(-EINVAL, "not registered in the host table");
	if (!h->evicted && !still_mine(h)) {
		if (h->fault)
			return famfs_err(h->fault, "the host table faulted (the device went "
					 "away?)");
		h->evicted = true;
	}
	if (h->evicted)
		return famfs_err(-ESTALE, "this instance was evicted from host table slot %d",
				 h->slot);
	h->me.replayed = replayed;
	h->me.hold = hold;
	h->me.beat++;
	h->me.beat_time = (uint64_t)time(NULL);
	rec_store(h, (unsigned int)h->slot, &h->me);
	if (h->fault)
		return famfs_err(h->fault, "the host table faulted (the device went away?)");
	return 0;
}

void famfs_hosts_leave(struct famfs_hosts *h)
{
	if (!h || h->slot < 0)
		return;
	if (!h->evicted && still_mine(h)) {
		rec_store(h, (unsigned int)h->slot, NULL);
		word_store(h, slot_at(h, (unsigned int)h->slot) + FAMFS_HOST_Y_OFF, 0);
	}
	h->slot = -1;
}

int famfs_hosts_set_owner(struct famfs_hosts *h, uint32_t conn)
{
	if (h->slot < 0)
		return famfs_err(-EINVAL, "not registered in the host table");
	h->me.pid = (uint32_t)getpid();
	h->me.start = proc_start(h->me.pid);
	h->me.pidns = h->pidns;
	h->me.conn = conn;
	return famfs_hosts_publish(h, h->me.replayed, h->me.hold);
}

void famfs_hosts_keep(struct famfs_hosts *h)
{
	if (h)
		h->slot = -1;
}

/* ---- reading the table ---- */

int famfs_hosts_read(struct famfs_hosts *h, unsigned int i, struct famfs_host_slot *s)
{
	int rc;

	memset(s, 0, sizeof(*s));
	s->why = "";
	if (i >= h->blk.nslots)
		return famfs_err(-EINVAL, "host table slot %u does not exist (%u slots)", i,
				 h->blk.nslots);
	s->index = i;
	s->claim = word_load(h, slot_at(h, i) + FAMFS_HOST_X_OFF);
	if (!word_load(h, slot_at(h, i) + FAMFS_HOST_Y_OFF))
		return 0;
	rc = rec_load(h, i, &s->rec);
	if (h->fault) {
		s->state = FAMFS_SLOT_BAD;
		return famfs_err(h->fault, "the host table faulted (the device went away?)");
	}
	if (rc == -ENOENT) {
		s->state = FAMFS_SLOT_CLAIMED;
		return 0;
	}
	famfs_errclear();
	if (rc) {
		s->state = FAMFS_SLOT_BAD;
		return 0;
	}
	s->state = FAMFS_SLOT_ACTIVE;
	s->mine = h->slot == (int)i && s->rec.nonce == h->me.nonce;
	s->local = !uuid_zero(h->host_uuid) && !memcmp(s->rec.host_uuid, h->host_uuid, 16);
	if (s->local && !s->mine)
		s->dead = local_dead(h, &s->rec, &s->why);
	return 0;
}

uint64_t famfs_hosts_horizon(struct famfs_hosts *h, uint64_t next, bool clean,
			     unsigned int *nactive)
{
	struct famfs_host_slot s;
	uint64_t hz = next, r;
	unsigned int n = 0;

	for (unsigned int i = 0; i < h->blk.nslots; i++) {
		famfs_hosts_read(h, i, &s);
		if (s.state == FAMFS_SLOT_BAD) {
			hz = 0;		/* someone is there and we cannot read them */
			continue;
		}
		if (s.state != FAMFS_SLOT_ACTIVE)
			continue;
		if (s.dead && clean && clean_dead(h, i, &s.rec))
			continue;
		n++;
		r = famfs_host_rec_horizon(&s.rec);
		if (r < hz)
			hz = r;
	}
	if (nactive)
		*nactive = n;
	return h->fault ? 0 : hz;	/* a fault: nothing is known to be reusable */
}

int famfs_hosts_evict(struct famfs_hosts *h, const struct famfs_host_slot *seen)
{
	struct famfs_host_slot now;
	unsigned int i = seen->index;
	int rc;

	if (!h->writable)
		return famfs_err(-EROFS, "the host table is mapped read-only");
	if (i >= h->blk.nslots)
		return famfs_err(-EINVAL, "host table slot %u does not exist (%u slots)", i,
				 h->blk.nslots);
	if (seen->state == FAMFS_SLOT_FREE)
		return famfs_err(-EINVAL, "host table slot %u was free", i);
	/*
	 * Compare, then clear: a slot whose owner left and that another
	 * instance claimed since it was shown is not the one to evict. (A
	 * claimer needs Y clear, which only the owner's leave, a cleaner or
	 * an evict makes, so the window between the two is that small.)
	 */
	rc = famfs_hosts_read(h, i, &now);
	if (rc)
		return rc;
	if (now.state != seen->state ||
	    (seen->state == FAMFS_SLOT_ACTIVE ? now.rec.nonce != seen->rec.nonce :
						now.claim != seen->claim))
		return famfs_err(-ESTALE, "host table slot %u changed since it was shown (its "
				 "owner left or another instance claimed it): not evicted", i);
	rec_store(h, i, NULL);
	word_store(h, slot_at(h, i) + FAMFS_HOST_Y_OFF, 0);
	if (h->fault)
		return famfs_err(h->fault, "the host table faulted (the device went away?)");
	return 0;
}

uint64_t famfs_host_age(const struct famfs_host_rec *r)
{
	uint64_t now = (uint64_t)time(NULL);

	return now > r->beat_time ? now - r->beat_time : 0;
}

bool famfs_host_stale(const struct famfs_host_slot *s)
{
	if (s->state != FAMFS_SLOT_ACTIVE)
		return false;
	if (s->dead)
		return true;
	return s->rec.kind == FAMFS_HOST_FAMFSD && famfs_host_age(&s->rec) > FAMFS_HOST_STALE_SEC;
}
