/* The safety limiter: nothing above the ceiling, ever; transparent below. */
#include "config.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>

#include "common/util.h"
#include "rt/limiter.h"

START_TEST(never_above_ceiling)
{
	struct limiter l;
	limiter_init(&l, -1.0f, 48000, 0.15f);
	const float c = db_to_gain(-1.0f);
	float a[512], b[512];
	srand(1);
	for (int block = 0; block < 2000; block++) {
		/* Noise, bursts up to +40 dBFS, single spikes, DC. */
		float scale = powf(10.0f, (float)(rand() % 80 - 40) / 20.0f);
		for (int i = 0; i < 512; i++) {
			a[i] = ((float)rand() / (float)RAND_MAX * 2.0f - 1.0f) * scale;
			b[i] = (block % 7 == 0) ? scale : -a[i] * 0.5f;
		}
		if (block % 13 == 0)
			a[rand() % 512] = 1e30f;
		limiter_process(&l, a, b, 512);
		for (int i = 0; i < 512; i++) {
			ck_assert_msg(fabsf(a[i]) <= c && fabsf(b[i]) <= c, "block %d frame %d: %g %g", block,
				      i, a[i], b[i]);
		}
	}
}
END_TEST

START_TEST(non_finite_becomes_silence)
{
	struct limiter l;
	limiter_init(&l, -1.0f, 48000, 0.15f);
	float a[4] = { NAN, INFINITY, -INFINITY, 0.25f }, b[4] = { 0.1f, NAN, 0.0f, 0.25f };
	limiter_process(&l, a, b, 4);
	ck_assert(a[0] == 0.0f && a[1] == 0.0f && a[2] == 0.0f && b[1] == 0.0f);
	ck_assert(isfinite(l.gain) && l.gain > 0.99f);
	ck_assert_float_eq_tol(a[3], 0.25f, 1e-6f);
}
END_TEST

START_TEST(transparent_below_ceiling)
{
	struct limiter l;
	limiter_init(&l, -1.0f, 48000, 0.15f);
	float a[1024], b[1024], ra[1024], rb[1024];
	for (int i = 0; i < 1024; i++) {
		ra[i] = a[i] = 0.8f * sinf((float)i * 0.05f);
		rb[i] = b[i] = -0.8f * sinf((float)i * 0.03f);
	}
	limiter_process(&l, a, b, 1024);
	for (int i = 0; i < 1024; i++) {
		ck_assert_float_eq(a[i], ra[i]);
		ck_assert_float_eq(b[i], rb[i]);
	}
}
END_TEST

START_TEST(recovers_after_a_peak)
{
	struct limiter l;
	limiter_init(&l, -1.0f, 48000, 0.15f);
	float a[48000], b[48000];
	for (int i = 0; i < 48000; i++)
		a[i] = b[i] = 0.0f;
	a[0] = 8.0f; /* one loud spike, then silence for a second */
	limiter_process(&l, a, b, 48000);
	ck_assert_float_eq_tol(a[0], db_to_gain(-1.0f), 1e-6f);
	/* 1 s after the spike (more than six release time constants): back to unity. */
	ck_assert_msg(l.gain > 0.99f, "gain %g", l.gain);
	/* Stereo link: the quiet channel was turned down with the loud one. */
	float x = 0.5f, y = 0.5f;
	l.gain = 1.0f;
	float big = 4.0f;
	limiter_process(&l, &big, &y, 1);
	ck_assert_float_lt(y, x * 0.3f);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("limiter");
	TCase *tc = tcase_create("Ceiling");
	tcase_add_test(tc, never_above_ceiling);
	tcase_add_test(tc, non_finite_becomes_silence);
	suite_add_tcase(s, tc);
	TCase *tt = tcase_create("Transparency");
	tcase_add_test(tt, transparent_below_ceiling);
	tcase_add_test(tt, recovers_after_a_peak);
	suite_add_tcase(s, tt);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
