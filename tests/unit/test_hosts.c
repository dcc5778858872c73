// SPDX-License-Identifier: Apache-2.0
/*
 * test_hosts.c - the host table (lib/hosts.c) on a scratch image: mkfs -O
 * rm, registering, publishing, the reclaim horizon, leaving, eviction,
 * this host's dead records (a process that died, a rebooted host), records
 * we cannot read, a full table, and many instances racing for the last
 * free slots (no slot ever has two owners).
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "famfs/err.h"
#include "famfs/hosts.h"
#include "logfs_util.h"

struct img {
	char *path;
	struct famfs_dev *dev;
	struct famfs_omf_sb sb;
};

static int setup(void **state)
{
	struct img *m = calloc(1, sizeof(*m));

	tu_master();
	m->path = tu_image(128 * MIB);
	if (tu_mkfs_features(m->path, 8 * MIB, FAMFS_SB_FEAT_RM) ||
	    famfs_dev_open(m->path, true, &m->dev) ||
	    famfs_omf_sb_decode(m->dev->base, FAMFS_SB_SIZE, &m->sb))
		return -1;
	*state = m;
	return 0;
}

static int teardown(void **state)
{
	struct img *m = *state;

	famfs_dev_close(m->dev);
	tu_unlink(m->path);
	free(m);
	tu_master();
	return 0;
}

static struct famfs_hosts *hopen(struct img *m)
{
	struct famfs_hosts *h = NULL;

	assert_int_equal(famfs_hosts_open(m->path, &m->sb, true, &h), 0);
	return h;
}

static uint8_t *slot_base(struct img *m, unsigned int i)
{
	return m->dev->base + FAMFS_HOSTS_OFF + (uint64_t)i * FAMFS_HOST_SLOT_SIZE;
}

static void test_format(void **state)
{
	struct img *m = *state;
	struct famfs_rm_block b;
	struct famfs_hosts *h;
	char *plain = tu_image(128 * MIB);
	struct famfs_dev *d;
	struct famfs_omf_sb sb;

	assert_int_equal(m->sb.flags, FAMFS_SB_FEAT_RM);
	assert_int_equal(famfs_rm_block_read(m->dev->base, &m->sb, &b), 0);
	assert_int_equal(b.since, 0);
	assert_int_equal(b.nslots, FAMFS_HOSTS_NSLOTS);
	for (size_t i = 0; i < FAMFS_HOSTS_NSLOTS * FAMFS_HOST_SLOT_SIZE; i++)
		assert_int_equal(m->dev->base[FAMFS_HOSTS_OFF + i], 0);

	/* Without the feature: no block, nothing past the superblock written. */
	assert_int_equal(tu_mkfs(plain, 8 * MIB), 0);
	assert_int_equal(famfs_dev_open(plain, true, &d), 0);
	assert_int_equal(famfs_omf_sb_decode(d->base, FAMFS_SB_SIZE, &sb), 0);
	assert_int_equal(sb.flags, 0);
	for (size_t i = FAMFS_SB_SIZE; i < FAMFS_SB_REGION; i++)
		if (d->base[i])
			fail_msg("byte %zu of the superblock region is 0x%02x", i, d->base[i]);
	assert_int_equal(famfs_hosts_open(plain, &sb, true, &h), -ENOENT);
	assert_int_equal(famfs_rm_block_read(d->base, &sb, &b), -ENOENT);

	/* tune: the block, then the flag. */
	assert_int_equal(famfs_rm_enable(d->base, &sb, 5), 0);
	assert_int_equal(famfs_omf_sb_decode(d->base, FAMFS_SB_SIZE, &sb), 0);
	assert_int_equal(sb.flags, FAMFS_SB_FEAT_RM);
	assert_int_equal(famfs_rm_block_read(d->base, &sb, &b), 0);
	assert_int_equal(b.since, 5);
	/* The flag without a valid block is an error, not "no feature". */
	d->base[FAMFS_RM_BLOCK_OFF + 9] ^= 1;
	assert_int_equal(famfs_rm_block_read(d->base, &sb, &b), -EBADMSG);
	memset(d->base + FAMFS_RM_BLOCK_OFF, 0, FAMFS_RM_BLOCK_SIZE);
	famfs_errclear();
	assert_int_equal(famfs_rm_block_read(d->base, &sb, &b), -EBADMSG);
	assert_non_null(strstr(famfs_errmsg(), "no rm block"));
	famfs_dev_close(d);
	tu_unlink(plain);
}

static void test_register_publish_horizon(void **state)
{
	struct img *m = *state;
	struct famfs_hosts *a = hopen(m), *b = hopen(m);
	struct famfs_host_slot s;
	unsigned int n;

	assert_int_equal(famfs_hosts_horizon(a, 42, false, &n), 42);
	assert_int_equal(n, 0);
	assert_int_equal(famfs_hosts_register(a, FAMFS_HOST_FAMFSD, 7, true), 0);
	assert_true(a->slot >= 0);
	/* Just registered: replayed 0 blocks every delete. */
	assert_int_equal(famfs_hosts_horizon(b, 42, false, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(famfs_hosts_publish(a, 10, FAMFS_HOLD_NONE), 0);
	assert_int_equal(famfs_hosts_horizon(b, 42, false, NULL), 10);

	assert_int_equal(famfs_hosts_register(b, FAMFS_HOST_PROCESS, 0, false), 0);
	assert_true(b->slot >= 0 && b->slot != a->slot);
	assert_int_equal(famfs_hosts_publish(b, 12, 4), 0);
	assert_int_equal(famfs_hosts_horizon(a, 42, false, &n), 4);
	assert_int_equal(n, 2);

	assert_int_equal(famfs_hosts_read(a, (unsigned int)a->slot, &s), 0);
	assert_int_equal(s.state, FAMFS_SLOT_ACTIVE);
	assert_true(s.mine && s.local && !s.dead);
	assert_int_equal(s.rec.kind, FAMFS_HOST_FAMFSD);
	assert_int_equal(s.rec.conn, 7);
	assert_int_equal(s.rec.flags, FAMFS_HOST_FL_MASTER);
	assert_int_equal(s.rec.replayed, 10);
	assert_int_equal(s.rec.beat, 1);
	assert_int_equal(famfs_hosts_read(a, (unsigned int)b->slot, &s), 0);
	assert_true(!s.mine && s.local && !s.dead);	/* alive: our own pid */
	assert_false(famfs_host_stale(&s));

	/* b leaves: its slot is free again, the horizon is a's. */
	famfs_hosts_leave(b);
	assert_int_equal(famfs_hosts_horizon(a, 42, false, &n), 10);
	assert_int_equal(n, 1);

	/* Evict a: its next publish finds out, and it never writes again. */
	famfs_hosts_close(b);
	b = hopen(m);
	assert_int_equal(famfs_hosts_read(b, (unsigned int)a->slot, &s), 0);
	assert_int_equal(famfs_hosts_evict(b, &s), 0);
	assert_int_equal(famfs_hosts_horizon(b, 42, false, &n), 42);
	assert_int_equal(famfs_hosts_publish(a, 11, FAMFS_HOLD_NONE), -ESTALE);
	assert_true(a->evicted);
	assert_int_equal(famfs_hosts_horizon(b, 42, false, &n), 42);
	assert_int_equal(n, 0);
	famfs_hosts_leave(a);
	famfs_hosts_close(a);
	famfs_hosts_close(b);
}

/* A process of this host that died while registered. */
/*
 * famfs host evict frees what it showed, not whatever is in the slot when
 * the administrator answers: an owner that left and a new instance that
 * claimed the slot meanwhile (injected here by hand) keep their record.
 */
static void test_evict_compares(void **state)
{
	struct img *m = *state;
	struct famfs_hosts *a = hopen(m), *adm = hopen(m);
	struct famfs_host_slot seen, now;
	struct famfs_host_rec r;
	unsigned int i;
	uint8_t *sl;

	assert_int_equal(famfs_hosts_register(a, FAMFS_HOST_PROCESS, 0, false), 0);
	i = (unsigned int)a->slot;
	sl = slot_base(m, i);
	assert_int_equal(famfs_hosts_read(adm, i, &seen), 0);
	assert_int_equal(seen.state, FAMFS_SLOT_ACTIVE);
	/* a leaves; another instance claims slot i and writes its record. */
	r = a->me;
	famfs_hosts_leave(a);
	r.nonce ^= 0x5a5a;
	famfs_put_le64(sl + FAMFS_HOST_X_OFF, r.nonce);
	famfs_put_le64(sl + FAMFS_HOST_Y_OFF, 1);
	famfs_host_rec_encode(&r, m->sb.uuid, sl + FAMFS_HOST_REC_OFF);
	assert_int_equal(famfs_hosts_evict(adm, &seen), -ESTALE);
	assert_int_equal(famfs_hosts_read(adm, i, &now), 0);
	assert_int_equal(now.state, FAMFS_SLOT_ACTIVE);
	assert_true(now.rec.nonce == r.nonce);
	/* Shown again, it is evicted. */
	assert_int_equal(famfs_hosts_read(adm, i, &seen), 0);
	assert_int_equal(famfs_hosts_evict(adm, &seen), 0);
	assert_int_equal(famfs_hosts_read(adm, i, &now), 0);
	assert_int_equal(now.state, FAMFS_SLOT_FREE);

	/* A claimed slot without a record: the claim word must not have changed. */
	famfs_put_le64(sl + FAMFS_HOST_X_OFF, 1111);
	famfs_put_le64(sl + FAMFS_HOST_Y_OFF, 1);
	assert_int_equal(famfs_hosts_read(adm, i, &seen), 0);
	assert_int_equal(seen.state, FAMFS_SLOT_CLAIMED);
	famfs_put_le64(sl + FAMFS_HOST_X_OFF, 2222);
	assert_int_equal(famfs_hosts_evict(adm, &seen), -ESTALE);
	assert_int_equal(famfs_hosts_read(adm, i, &now), 0);
	assert_int_equal(now.state, FAMFS_SLOT_CLAIMED);
	assert_int_equal(famfs_hosts_read(adm, i, &seen), 0);
	assert_int_equal(famfs_hosts_evict(adm, &seen), 0);
	/* A slot shown free is not evicted. */
	assert_int_equal(famfs_hosts_read(adm, i, &seen), 0);
	assert_int_equal(famfs_hosts_evict(adm, &seen), -EINVAL);
	famfs_hosts_close(a);
	famfs_hosts_close(adm);
}

static void test_dead_process(void **state)
{
	struct img *m = *state;
	struct famfs_hosts *h = hopen(m);
	struct famfs_host_slot s;
	int st, slot = -1;
	pid_t pid;
	int pfd[2];

	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	if (pid == 0) {
		struct famfs_hosts *c = NULL;

		if (famfs_hosts_open(m->path, &m->sb, true, &c) ||
		    famfs_hosts_register(c, FAMFS_HOST_PROCESS, 0, false) ||
		    famfs_hosts_publish(c, 3, FAMFS_HOLD_NONE))
			_exit(1);
		if (write(pfd[1], &c->slot, sizeof(c->slot)) != sizeof(c->slot))
			_exit(1);
		_exit(0);	/* dies registered */
	}
	assert_true(pid > 0);
	assert_int_equal(read(pfd[0], &slot, sizeof(slot)), sizeof(slot));
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(pfd[0]);
	close(pfd[1]);

	assert_int_equal(famfs_hosts_read(h, (unsigned int)slot, &s), 0);
	assert_int_equal(s.state, FAMFS_SLOT_ACTIVE);
	assert_true(s.local && s.dead);
	assert_string_equal(s.why, "the process is gone");
	assert_true(famfs_host_stale(&s));
	/* Without cleaning it blocks; with cleaning it goes. */
	assert_int_equal(famfs_hosts_horizon(h, 42, false, NULL), 3);
	assert_int_equal(famfs_hosts_horizon(h, 42, true, NULL), 42);
	assert_int_equal(famfs_hosts_read(h, (unsigned int)slot, &s), 0);
	assert_int_equal(s.state, FAMFS_SLOT_FREE);
	famfs_hosts_close(h);
}

/* Records of another host are never judged; a rebooted one of ours is dead. */
static void test_other_and_rebooted(void **state)
{
	struct img *m = *state;
	struct famfs_hosts *c, *h;
	struct famfs_host_slot s;
	struct famfs_host_rec r;
	unsigned int f;
	uint8_t *sl;

	tu_client();
	c = hopen(m);
	assert_int_equal(famfs_hosts_register(c, FAMFS_HOST_PROCESS, 0, false), 0);
	assert_int_equal(famfs_hosts_publish(c, 6, FAMFS_HOLD_NONE), 0);
	tu_master();
	h = hopen(m);
	assert_int_equal(famfs_hosts_read(h, (unsigned int)c->slot, &s), 0);
	assert_true(!s.local && !s.dead);
	assert_int_equal(famfs_hosts_horizon(h, 42, true, NULL), 6);

	/* Forge a record of this host from an earlier boot in slot 200 (or 201:
	 * the client took a slot that depends on its random nonce). */
	f = c->slot == 200 ? 201 : 200;
	r = c->me;
	memcpy(r.host_uuid, h->host_uuid, 16);
	r.boot_id[0] ^= 0xff;
	r.nonce = 99;
	r.replayed = 1;
	sl = slot_base(m, f);
	famfs_host_rec_encode(&r, m->sb.uuid, sl + FAMFS_HOST_REC_OFF);
	famfs_put_le64(sl + FAMFS_HOST_Y_OFF, 1);
	assert_int_equal(famfs_hosts_read(h, f, &s), 0);
	assert_true(s.local && s.dead);
	assert_string_equal(s.why, "the host rebooted since");
	assert_int_equal(famfs_hosts_horizon(h, 42, true, NULL), 6);
	assert_int_equal(famfs_hosts_read(h, f, &s), 0);
	assert_int_equal(s.state, FAMFS_SLOT_FREE);

	/* Y set, no record: a claim in progress (or lost): ignored. */
	famfs_put_le64(sl + FAMFS_HOST_Y_OFF, 1);
	assert_int_equal(famfs_hosts_read(h, f, &s), 0);
	assert_int_equal(s.state, FAMFS_SLOT_CLAIMED);
	assert_int_equal(famfs_hosts_horizon(h, 42, true, NULL), 6);
	/* Y set, a record that does not validate: blocks everything. */
	famfs_host_rec_encode(&r, m->sb.uuid, sl + FAMFS_HOST_REC_OFF);
	sl[FAMFS_HOST_REC_OFF + 70] ^= 1;
	assert_int_equal(famfs_hosts_read(h, f, &s), 0);
	assert_int_equal(s.state, FAMFS_SLOT_BAD);
	assert_int_equal(famfs_hosts_horizon(h, 42, true, NULL), 0);
	assert_int_equal(famfs_hosts_evict(h, &s), 0);
	assert_int_equal(famfs_hosts_horizon(h, 42, true, NULL), 6);
	s.index = 256;
	assert_int_equal(famfs_hosts_evict(h, &s), -EINVAL);

	famfs_hosts_leave(c);
	famfs_hosts_close(c);
	famfs_hosts_close(h);
}

static void test_full(void **state)
{
	struct img *m = *state;
	struct famfs_hosts *hs[FAMFS_HOSTS_NSLOTS + 1];

	for (int i = 0; i <= FAMFS_HOSTS_NSLOTS; i++)
		hs[i] = hopen(m);
	for (int i = 0; i < FAMFS_HOSTS_NSLOTS; i++)
		assert_int_equal(famfs_hosts_register(hs[i], FAMFS_HOST_PROCESS, 0, false), 0);
	famfs_errclear();
	assert_int_equal(famfs_hosts_register(hs[FAMFS_HOSTS_NSLOTS], FAMFS_HOST_PROCESS, 0,
					      false), -ENOSPC);
	assert_non_null(strstr(famfs_errmsg(), "famfs host evict"));
	for (int i = 0; i <= FAMFS_HOSTS_NSLOTS; i++) {
		famfs_hosts_leave(hs[i]);
		famfs_hosts_close(hs[i]);
	}
}

#define RACERS	8
struct racer {
	struct famfs_hosts *h;
	pthread_barrier_t *bar;
	int rc;
};

static void *race(void *arg)
{
	struct racer *r = arg;

	pthread_barrier_wait(r->bar);
	r->rc = famfs_hosts_register(r->h, FAMFS_HOST_PROCESS, 0, false);
	return NULL;
}

/*
 * All but two slots taken; eight instances race for them, many times. At
 * most two win each round, never two the same slot, and each winner finds
 * its own record there.
 */
static void test_claim_race(void **state)
{
	struct img *m = *state;
	struct famfs_hosts *fill[FAMFS_HOSTS_NSLOTS];
	struct racer rs[RACERS];
	pthread_t th[RACERS];
	pthread_barrier_t bar;
	struct famfs_host_slot s;
	int nfill = 0, won_total = 0;

	for (int i = 0; i < FAMFS_HOSTS_NSLOTS - 2; i++) {
		fill[nfill] = hopen(m);
		assert_int_equal(famfs_hosts_register(fill[nfill], FAMFS_HOST_PROCESS, 0, false), 0);
		nfill++;
	}
	for (int round = 0; round < 50; round++) {
		int won = 0, slots[RACERS];

		pthread_barrier_init(&bar, NULL, RACERS);
		for (int i = 0; i < RACERS; i++) {
			rs[i] = (struct racer){ .h = hopen(m), .bar = &bar };
			pthread_create(&th[i], NULL, race, &rs[i]);
		}
		for (int i = 0; i < RACERS; i++)
			pthread_join(th[i], NULL);
		pthread_barrier_destroy(&bar);
		for (int i = 0; i < RACERS; i++) {
			if (rs[i].rc) {
				assert_int_equal(rs[i].rc, -ENOSPC);
				continue;
			}
			for (int j = 0; j < won; j++)
				assert_int_not_equal(slots[j], rs[i].h->slot);
			slots[won++] = rs[i].h->slot;
			assert_int_equal(famfs_hosts_read(rs[i].h, (unsigned int)rs[i].h->slot,
							  &s), 0);
			assert_true(s.mine);
			assert_int_equal(famfs_hosts_publish(rs[i].h, 1, FAMFS_HOLD_NONE), 0);
		}
		assert_true(won <= 2);
		won_total += won;
		for (int i = 0; i < RACERS; i++) {
			famfs_hosts_leave(rs[i].h);
			famfs_hosts_close(rs[i].h);
		}
		/* A lost claim leaves Y set with no record: free it for the next round. */
		for (unsigned int i = 0; i < FAMFS_HOSTS_NSLOTS; i++) {
			famfs_hosts_read(fill[0], i, &s);
			if (s.state == FAMFS_SLOT_CLAIMED)
				famfs_hosts_evict(fill[0], &s);
		}
	}
	print_message("claim race: %d winners in 50 rounds of %d racers for 2 slots\n",
		      won_total, RACERS);
	assert_true(won_total > 0);
	for (int i = 0; i < nfill; i++) {
		famfs_hosts_leave(fill[i]);
		famfs_hosts_close(fill[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_format, setup, teardown),
		cmocka_unit_test_setup_teardown(test_register_publish_horizon, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dead_process, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_and_rebooted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_evict_compares, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_claim_race, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
