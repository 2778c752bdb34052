/* The lock-free queue between control threads and the audio thread. */
#include "config.h"

#include <check.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>

#include "common/ring.h"

struct rec {
	uint64_t seq;
	uint64_t check;
};

START_TEST(fifo_and_full)
{
	struct ring *r = ring_new(5, sizeof(struct rec));
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(ring_capacity(r), 8);
	struct rec x;
	ck_assert(!ring_pop(r, &x));
	for (uint64_t i = 0; i < 8; i++)
		ck_assert(ring_push(r, &(struct rec){ i, ~i }));
	ck_assert(!ring_push(r, &(struct rec){ 99, 0 }));
	ck_assert_uint_eq(ring_count(r), 8);
	for (uint64_t i = 0; i < 8; i++) {
		ck_assert(ring_pop(r, &x));
		ck_assert_uint_eq(x.seq, i);
		ck_assert_uint_eq(x.check, ~i);
	}
	ck_assert(!ring_pop(r, &x));
	ring_free(r);
}
END_TEST

/* A staged group is invisible until commit, then all there at once,
 * its end marked; single pushes are groups of one. */
START_TEST(staged_group_invisible_until_commit)
{
	struct ring *r = ring_new(8, sizeof(struct rec));
	struct rec x;
	bool more = true;
	ck_assert(ring_push(r, &(struct rec){ 1, 0 }));
	ring_begin(r);
	for (uint64_t i = 10; i < 13; i++)
		ck_assert(ring_push(r, &(struct rec){ i, 0 }));
	ck_assert_uint_eq(ring_count(r), 1);
	ck_assert(ring_pop_group(r, &x, &more));
	ck_assert_uint_eq(x.seq, 1);
	ck_assert(!more);
	ck_assert(!ring_pop(r, &x)); /* staged: not there yet */
	ring_commit(r);
	ck_assert_uint_eq(ring_count(r), 3);
	for (uint64_t i = 10; i < 13; i++) {
		ck_assert(ring_pop_group(r, &x, &more));
		ck_assert_uint_eq(x.seq, i);
		ck_assert(more == (i < 12));
	}
	ck_assert(!ring_pop(r, &x));
	/* An empty group publishes nothing. */
	ring_begin(r);
	ring_commit(r);
	ck_assert_uint_eq(ring_count(r), 0);
	ring_free(r);
}
END_TEST

START_TEST(abort_forgets_staged)
{
	struct ring *r = ring_new(8, sizeof(struct rec));
	struct rec x;
	bool more = true;
	ring_begin(r);
	for (uint64_t i = 0; i < 5; i++)
		ck_assert(ring_push(r, &(struct rec){ 100 + i, 0 }));
	ring_abort(r);
	ck_assert_uint_eq(ring_count(r), 0);
	ck_assert(!ring_pop(r, &x));
	ring_commit(r); /* nothing staged any more: changes nothing */
	ck_assert(!ring_pop(r, &x));
	/* The room the aborted records took is free again. */
	for (uint64_t i = 0; i < 8; i++)
		ck_assert(ring_push(r, &(struct rec){ i, 0 }));
	for (uint64_t i = 0; i < 8; i++) {
		ck_assert(ring_pop_group(r, &x, &more));
		ck_assert_uint_eq(x.seq, i);
		ck_assert(!more);
	}
	ring_free(r);
}
END_TEST

/* Staged records take room: a push that finds none fails, published or
 * staged alike, and nothing published is touched. */
START_TEST(staged_push_finds_ring_full)
{
	struct ring *r = ring_new(8, sizeof(struct rec));
	struct rec x;
	for (uint64_t i = 0; i < 5; i++)
		ck_assert(ring_push(r, &(struct rec){ i, 0 }));
	ring_begin(r);
	for (uint64_t i = 5; i < 8; i++)
		ck_assert(ring_push(r, &(struct rec){ i, 0 }));
	ck_assert(!ring_push(r, &(struct rec){ 99, 0 }));
	ck_assert(ring_pop(r, &x)); /* the consumer makes room meanwhile */
	ck_assert_uint_eq(x.seq, 0);
	ck_assert(ring_push(r, &(struct rec){ 8, 0 }));
	ck_assert(!ring_push(r, &(struct rec){ 99, 0 }));
	ring_commit(r);
	ck_assert_uint_eq(ring_count(r), 8);
	for (uint64_t i = 1; i <= 8; i++) {
		ck_assert(ring_pop(r, &x));
		ck_assert_uint_eq(x.seq, i);
	}
	ring_free(r);
}
END_TEST

#define HAMMER 2000000

static void *producer(void *arg)
{
	struct ring *r = arg;
	for (uint64_t i = 0; i < HAMMER;) {
		struct rec x = { i, i * 2654435761u };
		if (ring_push(r, &x))
			i++;
		else
			sched_yield(); /* two cores, other work: let the consumer run */
	}
	return NULL;
}

/* Two threads, millions of records: every one arrives, once, in order,
 * intact. */
START_TEST(two_threads_hammer)
{
	struct ring *r = ring_new(64, sizeof(struct rec));
	pthread_t t;
	pthread_create(&t, NULL, producer, r);
	uint64_t next = 0;
	while (next < HAMMER) {
		struct rec x;
		if (!ring_pop(r, &x)) {
			sched_yield();
			continue;
		}
		ck_assert_uint_eq(x.seq, next);
		ck_assert_uint_eq(x.check, next * 2654435761u);
		next++;
	}
	pthread_join(t, NULL);
	ck_assert_uint_eq(ring_count(r), 0);
	ring_free(r);
}
END_TEST

/* Groups across threads: records carry their place in their group; the
 * consumer sees every committed group whole (once its first record is
 * there, so is the rest), never an aborted one. */
#define GROUPS 100000

static void *group_producer(void *arg)
{
	struct ring *r = arg;
	uint64_t seq = 0, rnd = 88172645463325252ULL;
	for (uint64_t g = 0; g < GROUPS; g++) {
		rnd ^= rnd << 13;
		rnd ^= rnd >> 7;
		rnd ^= rnd << 17;
		uint64_t len = 1 + rnd % 24;
		bool drop = rnd % 7 == 0;
		for (;;) {
			ring_begin(r);
			uint64_t k = 0;
			while (k < len && ring_push(r, &(struct rec){ seq + k, drop ? ~0ULL : len - 1 - k }))
				k++;
			if (k == len && !drop) {
				ring_commit(r);
				seq += len;
				break;
			}
			ring_abort(r);
			if (drop)
				break;
			sched_yield(); /* no room for the whole group yet */
		}
	}
	while (!ring_push(r, &(struct rec){ UINT64_MAX, 0 })) /* the end */
		sched_yield();
	return NULL;
}

START_TEST(two_threads_groups)
{
	struct ring *r = ring_new(64, sizeof(struct rec));
	pthread_t t;
	pthread_create(&t, NULL, group_producer, r);
	uint64_t next = 0;
	bool in_group = false;
	for (;;) {
		struct rec x;
		bool more;
		if (!ring_pop_group(r, &x, &more)) {
			ck_assert_msg(!in_group, "a group arrived in part");
			sched_yield();
			continue;
		}
		if (x.seq == UINT64_MAX)
			break;
		ck_assert_uint_eq(x.seq, next);
		ck_assert_msg(x.check != ~0ULL, "an aborted record arrived");
		ck_assert(more == (x.check != 0));
		in_group = more;
		next++;
	}
	pthread_join(t, NULL);
	ck_assert(!in_group);
	ring_free(r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ring");
	TCase *tc = tcase_create("Core");
	tcase_add_test(tc, fifo_and_full);
	tcase_add_test(tc, staged_group_invisible_until_commit);
	tcase_add_test(tc, abort_forgets_staged);
	tcase_add_test(tc, staged_push_finds_ring_full);
	suite_add_tcase(s, tc);
	TCase *tt = tcase_create("Threads");
	tcase_set_timeout(tt, 60);
	tcase_add_test(tt, two_threads_hammer);
	tcase_add_test(tt, two_threads_groups);
	suite_add_tcase(s, tt);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
