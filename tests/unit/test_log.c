// SPDX-License-Identifier: Apache-2.0
/*
 * test_log.c - mkfs, log open, the commit protocol, replay and torn logs.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "famfs/err.h"
#include "famfs/log.h"
#include "logfs_util.h"

struct img {
	char *path;
	struct famfs_dev *dev;
	struct famfs_log *log;
};

/* A fresh 128 MiB image, mkfs'd with an 8 MiB log, opened as the master. */
static int setup(void **state)
{
	struct img *m = calloc(1, sizeof(*m));

	tu_master();
	m->path = tu_image(128 * MIB);
	if (tu_mkfs(m->path, 8 * MIB) || famfs_dev_open(m->path, true, &m->dev) ||
	    famfs_log_open(m->dev, &m->log))
		return -1;
	*state = m;
	return 0;
}

static int teardown(void **state)
{
	struct img *m = *state;

	famfs_log_close(m->log);
	famfs_dev_close(m->dev);
	tu_unlink(m->path);
	free(m);
	tu_master();
	return 0;
}

static void test_mkfs_open(void **state)
{
	struct img *m = *state;
	struct famfs_log *log = m->log;
	uint8_t sys[16];

	uuid_parse(MASTER_UUID, sys);
	assert_int_equal(log->sb.magic, FAMFS_SUPER_MAGIC);
	assert_int_equal(log->sb.version, 48);
	assert_int_equal(log->sb.log_offset, 2 * MIB);
	assert_int_equal(log->sb.log_len, 8 * MIB);
	assert_int_equal(log->sb.alloc_unit, 2 * MIB);
	assert_int_equal(log->sb.omf_major, 2);
	assert_int_equal(log->sb.omf_minor, 2);
	assert_int_equal(log->sb.flags, 0);
	assert_int_equal(log->sb.dev_size, 128 * MIB);
	assert_memory_equal(log->sb.system_uuid, sys, 16);
	assert_memory_not_equal(log->sb.uuid, log->sb.dev_uuid, 16);
	assert_string_equal(log->sb.daxdev, m->path);
	assert_int_equal(log->nslots, 15420);
	assert_ptr_equal(log->base, m->dev->base + 2 * MIB);
	assert_int_equal(log->role, FAMFS_ROLE_MASTER);
	assert_int_equal(famfs_log_next_index(log), 0);
	assert_int_equal(famfs_log_free_slots(log), 15420);
	/* Header words as upstream writes them. */
	assert_int_equal(famfs_get_le64(tu_log(m->dev)), FAMFS_LOG_MAGIC);
	assert_int_equal(famfs_get_le64(tu_log(m->dev) + 16), 15419);
}

static void test_mkfs_log_len(void **state)
{
	struct img *m = *state;
	uint8_t sys[16];

	uuid_parse(MASTER_UUID, sys);
	assert_int_equal(famfs_mkfs(m->dev, 12 * MIB, sys, true, false), -EINVAL);
	assert_non_null(strstr(famfs_errmsg(), "power of 2"));
	assert_int_equal(famfs_mkfs(m->dev, 4 * MIB, sys, true, false), -EINVAL);
	assert_int_equal(famfs_mkfs(m->dev, 128 * MIB, sys, true, false), -EINVAL);
	assert_non_null(strstr(famfs_errmsg(), "no room"));
	assert_int_equal(famfs_mkfs(m->dev, 0, sys, true, false), -EINVAL);
	/* A refused mkfs leaves the old file system intact. */
	assert_int_equal(famfs_get_le64(m->dev->base), FAMFS_SUPER_MAGIC);
	/* 64 MiB log on 128 MiB: fits (2 + 64 + data). */
	assert_int_equal(famfs_mkfs(m->dev, 64 * MIB, sys, true, false), 0);
	famfs_log_close(m->log);
	assert_int_equal(famfs_log_open(m->dev, &m->log), 0);
	assert_int_equal(m->log->nslots, (64 * MIB - 48) / 544);
}

static void test_mkfs_existing(void **state)
{
	struct img *m = *state;
	uint8_t sys[16], other[16], fsuuid[16];
	struct famfs_dev *ro;
	struct famfs_log *log;

	uuid_parse(MASTER_UUID, sys);
	uuid_parse(CLIENT_UUID, other);
	memcpy(fsuuid, m->log->sb.uuid, 16);

	assert_int_equal(famfs_mkfs(m->dev, 8 * MIB, sys, false, false), -EEXIST);
	assert_non_null(strstr(famfs_errmsg(), "famfs superblock exists; use -f"));
	assert_int_equal(famfs_mkfs(m->dev, 8 * MIB, other, false, false), -EPERM);
	assert_non_null(strstr(famfs_errmsg(), "another host"));
	assert_int_equal(famfs_mkfs(m->dev, 8 * MIB, sys, false, true), -EEXIST);

	/* Read-only device. */
	assert_int_equal(famfs_dev_open(m->path, false, &ro), 0);
	assert_int_equal(famfs_mkfs(ro, 8 * MIB, sys, true, false), -EROFS);
	famfs_dev_close(ro);

	/* -f by another host takes over: new fs uuid, new master. */
	assert_int_equal(famfs_mkfs(m->dev, 8 * MIB, other, true, false), 0);
	assert_int_equal(famfs_log_open(m->dev, &log), 0);
	assert_memory_not_equal(log->sb.uuid, fsuuid, 16);
	assert_memory_equal(log->sb.system_uuid, other, 16);
	assert_int_equal(log->role, FAMFS_ROLE_CLIENT);
	famfs_log_close(log);

	/* -f -k kills the superblock. */
	assert_int_equal(famfs_mkfs(m->dev, 8 * MIB, sys, true, true), 0);
	assert_int_equal(famfs_get_le64(m->dev->base), 0);
	assert_int_equal(famfs_log_open(m->dev, &log), -EINVAL);
	assert_non_null(strstr(famfs_errmsg(), "superblock"));
	/* And after that mkfs needs no force. */
	assert_int_equal(famfs_mkfs(m->dev, 8 * MIB, sys, false, false), 0);
	assert_int_equal(famfs_log_open(m->dev, &log), 0);
	famfs_log_close(log);
}

static void test_open_errors(void **state)
{
	char *path = tu_image(256 * MIB);
	struct famfs_dev *dev;
	struct famfs_log *log;

	assert_int_equal(famfs_dev_open(path, false, &dev), 0);
	assert_int_equal(famfs_log_open(dev, &log), -EINVAL);
	assert_null(log);
	famfs_dev_close(dev);

	assert_int_equal(tu_mkfs(path, 8 * MIB), 0);
	tu_resize(path, 128 * MIB);
	assert_int_equal(famfs_dev_open(path, false, &dev), 0);
	assert_int_equal(famfs_log_open(dev, &log), -EINVAL);
	assert_non_null(strstr(famfs_errmsg(), "superblock says 268435456 bytes, "
			       "device has 134217728"));
	famfs_dev_close(dev);
	tu_unlink(path);
}

static void test_mkfs_long_path(void **state)
{
	char path[128];
	struct famfs_dev *dev;
	struct famfs_log *log;
	int fd;

	memset(path, 'p', sizeof(path));
	memcpy(path, "/dev/shm/famfs-unit-", 20);
	path[100] = '\0';
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 64 * MIB), 0);
	close(fd);
	assert_int_equal(tu_mkfs(path, 8 * MIB), 0);
	assert_int_equal(famfs_dev_open(path, false, &dev), 0);
	assert_int_equal(famfs_log_open(dev, &log), 0);
	assert_int_equal(strlen(log->sb.daxdev), 64);
	assert_memory_equal(log->sb.daxdev, path, 64);
	/* The 64-byte field has no NUL on media: byte 136 + 64 is past the sb. */
	assert_int_equal(dev->base[136 + 63], 'p');
	famfs_log_close(log);
	famfs_dev_close(dev);
	unlink(path);
}

static void test_open_bad_header(void **state)
{
	struct img *m = *state;
	struct famfs_log *log;

	tu_log(m->dev)[8] ^= 1;		/* log len, CRC-covered */
	assert_int_equal(famfs_log_open(m->dev, &log), -EBADMSG);
	assert_non_null(strstr(famfs_errmsg(), "log header"));
	tu_log(m->dev)[8] ^= 1;

	setenv("FAMFS_SYSTEM_UUID", "zzz", 1);
	assert_int_equal(famfs_log_open(m->dev, &log), -EINVAL);
	assert_non_null(strstr(famfs_errmsg(), "FAMFS_SYSTEM_UUID"));
}

struct seen {
	uint64_t n;
	uint64_t idx[16];
	uint32_t type[16];
	int stop_at;
};

static int collect(void *ctx, uint64_t index, const struct famfs_omf_entry *e)
{
	struct seen *s = ctx;

	if (s->stop_at >= 0 && (uint64_t)s->stop_at == index)
		return -ECANCELED;
	if (s->n < 16) {
		s->idx[s->n] = index;
		s->type[s->n] = e->type;
	}
	s->n++;
	return 0;
}

static void append_some(struct famfs_log *log, int n)
{
	struct famfs_omf_entry e;
	char name[16];
	int i;

	assert_int_equal(famfs_log_lock(log), 0);
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "d%d", i);
		if (i % 2)
			tu_file_entry(&e, 999, name, 5000, 64 * MIB + i * 2 * MIB, 2 * MIB);
		else
			tu_mkdir_entry(&e, 999, name);
		assert_int_equal(famfs_log_append(log, &e), 0);
	}
	famfs_log_unlock(log);
}

static void test_append_replay(void **state)
{
	struct img *m = *state;
	struct seen s = { .stop_at = -1 };
	struct famfs_omf_entry e;
	uint64_t next = 77;

	append_some(m->log, 3);
	assert_int_equal(famfs_log_next_index(m->log), 3);
	assert_int_equal(famfs_log_free_slots(m->log), 15417);
	assert_int_equal(famfs_get_le64(tu_log(m->dev) + 32), 3);	/* next_seqnum */
	assert_int_equal(famfs_log_replay(m->log, 0, &next, collect, &s), 0);
	assert_int_equal(next, 3);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.idx[2], 2);
	assert_int_equal(s.type[0], FAMFS_LOG_MKDIR);
	assert_int_equal(s.type[1], FAMFS_LOG_FILE);

	assert_int_equal(famfs_log_read(m->log, 1, &e), 0);
	assert_int_equal(e.seqnum, 1);
	assert_string_equal(e.file.relpath, "d1");
	assert_int_equal(e.file.size, 5000);
	assert_int_equal(e.file.fmap.se[0].offset, 66 * MIB);

	/* From the middle, from the end, from past the end. */
	memset(&s, 0, sizeof(s));
	s.stop_at = -1;
	assert_int_equal(famfs_log_replay(m->log, 2, &next, collect, &s), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(next, 3);
	assert_int_equal(famfs_log_replay(m->log, 3, &next, collect, &s), 0);
	assert_int_equal(next, 3);
	assert_int_equal(s.n, 1);

	/* A callback error stops the replay at its entry. */
	memset(&s, 0, sizeof(s));
	s.stop_at = 1;
	assert_int_equal(famfs_log_replay(m->log, 0, &next, collect, &s), -ECANCELED);
	assert_int_equal(next, 1);
	assert_int_equal(s.n, 1);

	assert_int_equal(famfs_log_read(m->log, 15420, &e), -EINVAL);
	/* Uncommitted slots are zero and do not decode as entry 5 (seqnum 0). */
	assert_int_not_equal(famfs_log_read(m->log, 5, &e), 0);
}

static void test_append_errors(void **state)
{
	struct img *m = *state;
	struct famfs_omf_entry e;
	struct famfs_dev *ro;
	struct famfs_log *log;

	tu_mkdir_entry(&e, 0, "x");
	assert_int_equal(famfs_log_append(m->log, &e), -ENOLCK);

	/* An entry that would not decode is refused and nothing is committed. */
	assert_int_equal(famfs_log_lock(m->log), 0);
	assert_int_equal(famfs_log_lock(m->log), 0);	/* already held */
	e.type = FAMFS_LOG_INVALID;
	assert_int_equal(famfs_log_append(m->log, &e), -EINVAL);
	assert_non_null(strstr(famfs_errmsg(), "would not decode"));
	tu_file_entry(&e, 0, "f", 1, 64 * MIB, 2 * MIB);
	e.file.fmap.nextents = 0;
	assert_int_equal(famfs_log_append(m->log, &e), -EINVAL);
	assert_int_equal(famfs_log_next_index(m->log), 0);
	famfs_log_unlock(m->log);
	famfs_log_unlock(m->log);

	/* Client: no lock, no append. */
	tu_client();
	assert_int_equal(famfs_log_open(m->dev, &log), 0);
	assert_int_equal(log->role, FAMFS_ROLE_CLIENT);
	assert_int_equal(famfs_log_lock(log), -EPERM);
	assert_non_null(strstr(famfs_errmsg(), "this host is a client (system uuid "
			       CLIENT_UUID ", master is " MASTER_UUID ")"));
	tu_mkdir_entry(&e, 0, "x");
	assert_int_equal(famfs_log_append(log, &e), -EPERM);
	famfs_log_close(log);
	tu_master();

	/* Read-only mapping: the lock works, the append is refused. */
	assert_int_equal(famfs_dev_open(m->path, false, &ro), 0);
	assert_int_equal(famfs_log_open(ro, &log), 0);
	assert_int_equal(famfs_log_lock(log), 0);
	assert_int_equal(famfs_log_append(log, &e), -EROFS);
	famfs_log_close(log);
	famfs_dev_close(ro);
	assert_int_equal(famfs_log_next_index(m->log), 0);
}

static void test_log_full(void **state)
{
	struct img *m = *state;
	uint8_t hdr[FAMFS_LOG_HDR_SIZE];
	struct famfs_omf_entry e;
	uint64_t i, next;
	struct seen s = { .stop_at = -1 };

	assert_int_equal(famfs_log_lock(m->log), 0);
	for (i = 0; i < 15420; i++) {
		tu_mkdir_entry(&e, 0, "d");
		if (famfs_log_append(m->log, &e) != 0)
			fail_msg("append %lu: %s", (unsigned long)i, famfs_errmsg());
	}
	assert_int_equal(famfs_log_free_slots(m->log), 0);
	memcpy(hdr, tu_log(m->dev), sizeof(hdr));
	assert_int_equal(famfs_log_append(m->log, &e), -ENOSPC);
	assert_non_null(strstr(famfs_errmsg(), "log full (15420 entries)"));
	assert_memory_equal(hdr, tu_log(m->dev), sizeof(hdr));
	famfs_log_unlock(m->log);

	assert_int_equal(famfs_log_replay(m->log, 0, &next, collect, &s), 0);
	assert_int_equal(next, 15420);
	assert_int_equal(s.n, 15420);
	/* The last slot ends inside the log region. */
	assert_true(tu_slot(m->dev, 15420) <= tu_log(m->dev) + 8 * MIB);
}

static void test_torn_uncommitted(void **state)
{
	struct img *m = *state;
	struct seen s = { .stop_at = -1 };
	struct famfs_omf_entry e;
	uint64_t next;

	append_some(m->log, 2);
	/* A crash after writing slot 2 but before the commit point. */
	tu_mkdir_entry(&e, 2, "torn");
	tu_put_entry(m->dev, 2, &e);
	assert_int_equal(famfs_log_next_index(m->log), 2);
	assert_int_equal(famfs_log_replay(m->log, 0, &next, collect, &s), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(next, 2);

	/* The next append overwrites it. */
	assert_int_equal(famfs_log_lock(m->log), 0);
	tu_mkdir_entry(&e, 0, "real");
	assert_int_equal(famfs_log_append(m->log, &e), 0);
	assert_int_equal(e.seqnum, 2);
	famfs_log_unlock(m->log);
	assert_int_equal(famfs_log_read(m->log, 2, &e), 0);
	assert_string_equal(e.mkdir.relpath, "real");

	/* A header claiming more than the log holds is clamped. */
	tu_set_next(m->dev, 99999, 99999);
	assert_int_equal(famfs_log_next_index(m->log), 15420);
	assert_int_equal(famfs_log_free_slots(m->log), 0);
}

static void test_torn_committed(void **state)
{
	struct img *m = *state;
	struct seen s = { .stop_at = -1 };
	uint64_t next = 0;

	append_some(m->log, 4);
	tu_slot(m->dev, 1)[50] ^= 0x40;
	assert_int_equal(famfs_log_replay(m->log, 0, &next, collect, &s), -EBADMSG);
	assert_int_equal(next, 1);
	assert_int_equal(s.n, 1);
	assert_non_null(strstr(famfs_errmsg(), "log entry 1"));
	assert_null(strstr(famfs_errmsg(), "log entry 1: log entry"));

	/* Once the writer completes it, replay continues from there. */
	tu_slot(m->dev, 1)[50] ^= 0x40;
	assert_int_equal(famfs_log_replay(m->log, next, &next, collect, &s), 0);
	assert_int_equal(next, 4);
	assert_int_equal(s.n, 4);

	/* A committed entry with the wrong seqnum stops replay too. */
	famfs_put_le64(tu_slot(m->dev, 3), 7);
	memset(&s, 0, sizeof(s));
	s.stop_at = -1;
	assert_int_equal(famfs_log_replay(m->log, 0, &next, collect, &s), -EBADMSG);
	assert_int_equal(next, 3);
	assert_int_equal(s.n, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_mkfs_open, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mkfs_log_len, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mkfs_existing, setup, teardown),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_mkfs_long_path),
		cmocka_unit_test_setup_teardown(test_open_bad_header, setup, teardown),
		cmocka_unit_test_setup_teardown(test_append_replay, setup, teardown),
		cmocka_unit_test_setup_teardown(test_append_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_torn_uncommitted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_torn_committed, setup, teardown),
	};

	tu_master();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
