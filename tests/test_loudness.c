/* Loudness after EBU R128, through libebur128: the figures a sound's
 * `loudness =` and tingle-render --loudness stand on. */
#include "config.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>

#include "prep/loudness.h"

static float *sine(unsigned rate, double seconds, double hz, double dbfs, size_t *n)
{
	*n = (size_t)(seconds * rate);
	float *x = malloc(*n * sizeof *x);
	ck_assert_ptr_nonnull(x);
	double a = pow(10.0, dbfs / 20.0);
	for (size_t i = 0; i < *n; i++)
		x[i] = (float)(a * sin(2.0 * M_PI * hz * (double)i / rate));
	return x;
}

/* EBU Tech 3341's reference: a 1 kHz sine at -23 dBFS on both channels
 * of a stereo programme reads -23.0 LUFS (BS.1770's -0.691 dB offset
 * cancels the K-weighting's gain at 1 kHz). A mono sound counts as heard
 * on both ears (dual mono): at -20 dBFS it reads -20.0 LUFS. */
START_TEST(sine_reads_its_reference_level)
{
	size_t n;
	float *x = sine(48000, 10.0, 1000.0, -20.0, &n);
	char err[128];
	struct loudness l;
	ck_assert_int_eq(loudness_measure(x, n, 1, 48000, &l, err, sizeof err), 0);
	ck_assert_msg(fabs(l.integrated - -20.0) < 0.1, "integrated %.2f LUFS", l.integrated);
	ck_assert_msg(fabs(l.short_term_max - -20.0) < 0.1, "short-term max %.2f", l.short_term_max);
	ck_assert_msg(fabs(l.momentary_max - -20.0) < 0.1, "momentary max %.2f", l.momentary_max);
	ck_assert_msg(fabs(l.true_peak - -20.0) < 0.2, "true peak %.2f dBTP", l.true_peak);
	/* 6 dB less signal reads 6 LU less. */
	for (size_t i = 0; i < n; i++)
		x[i] *= 0.5f;
	ck_assert_int_eq(loudness_measure(x, n, 1, 48000, &l, err, sizeof err), 0);
	ck_assert_msg(fabs(l.integrated - -26.02) < 0.1, "integrated %.2f LUFS", l.integrated);
	free(x);
}
END_TEST

/* A short one-shot (100 ms) is judged by its loudest 400 ms, which the
 * meter sees whole even though the sound ends first; a loop by its
 * integrated level. Silence has no loudness. */
START_TEST(sound_loudness_by_mode)
{
	size_t n;
	float *tap = sine(48000, 0.1, 1000.0, -20.0, &n);
	const float *bufs[1] = { tap };
	size_t len[1] = { n };
	double one = loudness_of_sound(bufs, len, 1, true, 48000);
	/* 100 ms of -20 LUFS power in a 400 ms window: -20 - 6.02 dB. */
	ck_assert_msg(fabs(one - (-20.0 - 6.02)) < 0.3, "one-shot %.2f LUFS", one);
	free(tap);
	float *loop = sine(48000, 4.0, 1000.0, -26.0, &n);
	bufs[0] = loop;
	len[0] = n;
	double held = loudness_of_sound(bufs, len, 1, false, 48000);
	ck_assert_msg(fabs(held - -26.0) < 0.1, "loop %.2f LUFS", held);
	for (size_t i = 0; i < n; i++)
		loop[i] = 0.0f;
	ck_assert(isinf(loudness_of_sound(bufs, len, 1, false, 48000)));
	ck_assert(isinf(loudness_of_sound(bufs, len, 1, true, 48000)));
	free(loop);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("loudness");
	TCase *tc = tcase_create("R128");
	tcase_add_test(tc, sine_reads_its_reference_level);
	tcase_add_test(tc, sound_loudness_by_mode);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
