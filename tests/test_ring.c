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

int main(void)
{
	Suite *s = suite_create("ring");
	TCase *tc = tcase_create("Core");
	tcase_add_test(tc, fifo_and_full);
	suite_add_tcase(s, tc);
	TCase *tt = tcase_create("Threads");
	tcase_set_timeout(tt, 60);
	tcase_add_test(tt, two_threads_hammer);
	suite_add_tcase(s, tt);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
