/* Safe listening levels: the A-weighting against the IEC 61672-1 table,
 * the governor holding a listener's 3 s A-weighted level under the limit
 * without touching what is under it and without clicks, and the sound
 * dose against ITU-T H.870's figures. Levels of the output are measured
 * here with fresh A-weighting filters of their own, not the governor's. */
#include "config.h"

#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "rt/safe_level.h"

#define PI 3.14159265358979323846

/* Response of the digital A-weighting at f, in dB: a sine in, the RMS
 * out over whole seconds after one second of settling. */
static double aweight_db(unsigned rate, double f)
{
	struct safe_aweight w;
	safe_aweight_init(&w, rate);
	double in = 0.0, out = 0.0;
	for (unsigned i = 0; i < 3 * rate; i++) {
		double x = sin(2.0 * PI * f * (double)i / (double)rate);
		double y = safe_aweight_step(&w, x);
		if (i >= rate) {
			in += x * x;
			out += y * y;
		}
	}
	return 10.0 * log10(out / in);
}

START_TEST(aweighting_matches_iec_table)
{
	static const struct { double f, db, tol; } table[] = {
		{ 31.5, -39.4, 0.5 }, { 100.0, -19.1, 0.5 }, { 1000.0, 0.0, 0.5 },
		{ 4000.0, 1.0, 0.5 }, { 10000.0, -2.5, 1.0 },
	};
	for (size_t k = 0; k < sizeof table / sizeof table[0]; k++) {
		double db = aweight_db(48000, table[k].f);
		printf("A-weighting at 48000 Hz, %g Hz: %.2f dB (IEC %.1f)\n", table[k].f, db, table[k].db);
		ck_assert_msg(fabs(db - table[k].db) <= table[k].tol, "%g Hz: %.2f dB, IEC %.1f", table[k].f, db,
			      table[k].db);
	}
	static const unsigned rates[] = { 44100, 96000 };
	for (int r = 0; r < 2; r++)
		for (int k = 1; k <= 2; k++) {
			double db = aweight_db(rates[r], table[k].f);
			printf("A-weighting at %u Hz, %g Hz: %.2f dB (IEC %.1f)\n", rates[r], table[k].f, db,
			       table[k].db);
			ck_assert_msg(fabs(db - table[k].db) <= 0.5, "%u Hz, %g Hz: %.2f dB", rates[r], table[k].f,
				      db);
		}
	/* The extreme rates stay sane at 1 kHz. */
	ck_assert(fabs(aweight_db(8000, 1000.0)) < 0.05);
	ck_assert(fabs(aweight_db(384000, 1000.0)) < 0.05);
}
END_TEST

/* White noise, uniform in -1..1, from a fixed seed. */
static float noise(uint64_t *rng)
{
	*rng = *rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return (float)((double)(*rng >> 11) / 9007199254740992.0 * 2.0 - 1.0);
}

/* The gain that puts that noise at level dB SPL (A) with the headphones
 * at spl dB SPL for 0 dBFS. */
static double noise_scale(unsigned rate, double spl, double level)
{
	struct safe_aweight w;
	safe_aweight_init(&w, rate);
	uint64_t rng = 99;
	double sum = 0.0;
	unsigned n = 4 * rate;
	for (unsigned i = 0; i < n; i++) {
		double y = safe_aweight_step(&w, noise(&rng));
		if (i >= rate / 2)
			sum += y * y;
	}
	double m = sum / (double)(n - rate / 2);
	double want = 0.5 * pow(10.0, (level - spl) / 10.0);
	return sqrt(want / m);
}

/* The louder ear's LAeq over a 3 s window sliding in 100 ms steps over
 * left/right: its largest value and the last one. */
static void laeq3(const float *left, const float *right, size_t n, unsigned rate, double spl, double *max_db,
		  double *last_db)
{
	struct safe_aweight w[2];
	safe_aweight_init(&w[0], rate);
	safe_aweight_init(&w[1], rate);
	size_t step = rate / 10, blocks = n / step;
	double(*e)[2] = calloc(blocks, sizeof *e);
	ck_assert_ptr_nonnull(e);
	for (size_t b = 0; b < blocks; b++)
		for (size_t i = b * step; i < (b + 1) * step; i++) {
			double l = safe_aweight_step(&w[0], left[i]), r = safe_aweight_step(&w[1], right[i]);
			e[b][0] += l * l;
			e[b][1] += r * r;
		}
	*max_db = -INFINITY;
	for (size_t end = 30; end <= blocks; end++) {
		double s[2] = { 0.0, 0.0 };
		for (size_t b = end - 30; b < end; b++) {
			s[0] += e[b][0];
			s[1] += e[b][1];
		}
		double m = fmax(s[0], s[1]) / (30.0 * (double)step);
		double db = spl + 10.0 * log10(2.0 * m);
		if (db > *max_db)
			*max_db = db;
		*last_db = db;
	}
	free(e);
}

/* Noise at 75 dB(A) for `before` seconds, then 24 dB louder (as
 * /master/gain 24 would make it) for `after` seconds, stereo, through a
 * governor for 100 dB SPL at 0 dBFS and 80 dB(A) at most. Returns the
 * input and output; with note_gain, the governor runs sample by
 * sample for the first second after the step and notes its gain. */
struct run {
	float *in[2], *out[2];
	size_t n, step_at;
	double max_gain_step;   /* largest relative change of the gain in one sample */
};

static void run_step(struct run *r, unsigned rate, double before, double after, int note_gain)
{
	const double spl = 100.0;
	double scale = noise_scale(rate, spl, 75.0);
	r->step_at = (size_t)(before * rate);
	r->n = r->step_at + (size_t)(after * rate);
	for (int c = 0; c < 2; c++) {
		r->in[c] = malloc(r->n * sizeof(float));
		r->out[c] = malloc(r->n * sizeof(float));
		ck_assert(r->in[c] && r->out[c]);
	}
	uint64_t rng[2] = { 1, 2 };
	const double jump = pow(10.0, 24.0 / 20.0);
	for (size_t i = 0; i < r->n; i++)
		for (int c = 0; c < 2; c++) {
			double g = i < r->step_at ? scale : scale * jump;
			r->out[c][i] = r->in[c][i] = (float)(noise(&rng[c]) * g);
		}
	struct safe_level s;
	safe_level_init(&s, rate, (float)spl, 80.0f);
	r->max_gain_step = 0.0;
	size_t i = 0;
	while (i < r->n) {
		int fine = note_gain && i >= r->step_at && i < r->step_at + rate;
		unsigned len = fine ? 1 : 128;
		if (i + len > r->n)
			len = (unsigned)(r->n - i);
		double g0 = s.gain;
		safe_level_process(&s, r->out[0] + i, r->out[1] + i, len);
		if (fine && fabs(s.gain - g0) / g0 > r->max_gain_step)
			r->max_gain_step = fabs(s.gain - g0) / g0;
		i += len;
	}
}

static void run_free(struct run *r)
{
	for (int c = 0; c < 2; c++) {
		free(r->in[c]);
		free(r->out[c]);
	}
}

START_TEST(under_limit_passes_untouched)
{
	struct run r;
	run_step(&r, 48000, 5.0, 0.0, 0);
	for (size_t i = 0; i < r.n; i++)
		for (int c = 0; c < 2; c++)
			ck_assert_msg(fabsf(r.out[c][i] - r.in[c][i]) <= 1e-6f, "frame %zu: %g, in %g", i,
				      r.out[c][i], r.in[c][i]);
	double max_db, last_db;
	laeq3(r.in[0], r.in[1], r.n, 48000, 100.0, &max_db, &last_db);
	printf("noise under the limit: LAeq,3s %.2f dB SPL, passed untouched\n", last_db);
	ck_assert(fabs(last_db - 75.0) < 0.5);
	run_free(&r);
}
END_TEST

START_TEST(step_of_24_db_held_under_limit)
{
	struct run r;
	run_step(&r, 48000, 5.0, 10.0, 1);
	double max_db, last_db;
	laeq3(r.out[0], r.out[1], r.n, 48000, 100.0, &max_db, &last_db);
	double in_max, in_last;
	laeq3(r.in[0], r.in[1], r.n, 48000, 100.0, &in_max, &in_last);
	printf("+24 dB step at 48000 Hz: input LAeq,3s %.2f dB; output at most %.2f dB, at the end %.2f dB\n",
	       in_last, max_db, last_db);
	/* No pumping: over the last 5 s of steady loud noise the gain (out
	 * over in) stays within a fraction of a dB. */
	double lo = INFINITY, hi = -INFINITY;
	for (size_t i = r.n - 5 * 48000; i < r.n; i++)
		if (fabsf(r.in[0][i]) > 0.05f) {
			double g = (double)r.out[0][i] / r.in[0][i];
			lo = fmin(lo, g);
			hi = fmax(hi, g);
		}
	printf("gain on steady noise: %.2f .. %.2f dB\n", 20.0 * log10(lo), 20.0 * log10(hi));
	ck_assert_msg(20.0 * log10(hi / lo) < 0.5, "gain swings %.2f dB", 20.0 * log10(hi / lo));
	ck_assert(in_last > 98.5);
	ck_assert_msg(max_db <= 81.0, "the 3 s level reached %.2f dB SPL", max_db);
	ck_assert_msg(last_db >= 79.0 && last_db <= 81.0, "settled at %.2f dB SPL", last_db);
	run_free(&r);
}
END_TEST

START_TEST(step_comes_without_click)
{
	struct run r;
	run_step(&r, 48000, 2.0, 3.0, 1);
	double dx = 0.0, dy = 0.0;
	for (size_t i = 1; i < r.n; i++)
		for (int c = 0; c < 2; c++) {
			dx = fmax(dx, fabs((double)r.in[c][i] - r.in[c][i - 1]));
			dy = fmax(dy, fabs((double)r.out[c][i] - r.out[c][i - 1]));
		}
	printf("gain step at most %.3f %% per sample; largest sample step out %.4f, in %.4f\n",
	       100.0 * r.max_gain_step, dy, dx);
	ck_assert_msg(r.max_gain_step < 0.005, "gain moved %.3f %% in one sample", 100.0 * r.max_gain_step);
	ck_assert(r.max_gain_step > 0.0);
	ck_assert_msg(dy <= dx, "output jumped %g, input at most %g", dy, dx);
	run_free(&r);
}
END_TEST

/* Taps 40 dB over the limit, 6 ms every half second, after a first
 * second of the same noise held down: the gaps do not let the gain back
 * up, so the taps stay under the limit. */
START_TEST(taps_stay_held)
{
	const unsigned rate = 48000;
	double a = noise_scale(rate, 100.0, 120.0);
	size_t n = 10 * rate;
	float *l = malloc(n * sizeof(float)), *r = malloc(n * sizeof(float));
	ck_assert(l && r);
	uint64_t rng[2] = { 7, 8 };
	for (size_t i = 0; i < n; i++) {
		int on = i < rate || i % (rate / 2) < rate * 6 / 1000;
		l[i] = on ? (float)(noise(&rng[0]) * a) : 0.0f;
		r[i] = on ? (float)(noise(&rng[1]) * a) : 0.0f;
	}
	struct safe_level s;
	safe_level_init(&s, rate, 100.0f, 80.0f);
	for (size_t i = 0; i < n; i += 128)
		safe_level_process(&s, l + i, r + i, 128);
	double max_db, last_db;
	laeq3(l + 4 * rate, r + 4 * rate, n - 4 * rate, rate, 100.0, &max_db, &last_db);
	printf("taps 40 dB over the limit: LAeq,3s at most %.2f dB, gain %.1f dB\n", max_db, safe_level_gain_db(&s));
	ck_assert_msg(max_db <= 81.0, "taps reached %.2f dB SPL", max_db);
	free(l);
	free(r);
}
END_TEST

START_TEST(other_rates_keep_the_limit)
{
	static const unsigned rates[] = { 44100, 96000 };
	for (int k = 0; k < 2; k++) {
		struct run r;
		run_step(&r, rates[k], 3.0, 6.0, 0);
		double max_db, last_db;
		laeq3(r.out[0], r.out[1], r.n, rates[k], 100.0, &max_db, &last_db);
		printf("+24 dB step at %u Hz: output at most %.2f dB, at the end %.2f dB\n", rates[k], max_db,
		       last_db);
		ck_assert_msg(max_db <= 81.0, "%u Hz: %.2f dB", rates[k], max_db);
		ck_assert_msg(last_db >= 79.0 && last_db <= 81.0, "%u Hz: %.2f dB", rates[k], last_db);
		run_free(&r);
	}
}
END_TEST

/* seconds of a 1 kHz sine at `level` dB SPL on both ears. */
static void tone(struct safe_level *s, unsigned rate, double spl, double level, double seconds, double *phase)
{
	float l[256], r[256];
	double a = sqrt(pow(10.0, (level - spl) / 10.0)); /* peak: a full-scale sine is spl */
	size_t n = (size_t)(seconds * rate);
	for (size_t i = 0; i < n; i += 256) {
		unsigned len = n - i < 256 ? (unsigned)(n - i) : 256;
		for (unsigned k = 0; k < len; k++) {
			l[k] = r[k] = (float)(a * sin(*phase));
			*phase += 2.0 * PI * 1000.0 / rate;
		}
		*phase = fmod(*phase, 2.0 * PI);
		safe_level_process(s, l, r, len);
	}
}

START_TEST(dose_of_one_pascal_for_a_minute)
{
	struct safe_level s;
	double phase = 0.0;
	safe_level_init(&s, 48000, 100.0f, INFINITY); /* no limit */
	tone(&s, 48000, 100.0, 94.0, 60.0, &phase);
	double dose = safe_level_dose_pa2h(&s), pct = safe_level_dose_percent(&s, 1);
	printf("94 dB SPL for 60 s: %.5f Pa^2 h (1/60 = %.5f), %.3f %% of mode 1, %.3f %% of mode 2\n", dose,
	       1.0 / 60.0, pct, safe_level_dose_percent(&s, 2));
	ck_assert(fabs(dose * 60.0 - 1.0) < 0.05);
	ck_assert(fabs(pct / (100.0 / 60.0 / 1.6) - 1.0) < 0.05);
	ck_assert(fabs(safe_level_dose_percent(&s, 2) / (100.0 / 60.0 / 0.51) - 1.0) < 0.05);
	ck_assert(safe_level_gain_db(&s) == 0.0f);
	safe_level_dose_reset(&s);
	ck_assert(safe_level_dose_pa2h(&s) == 0.0);
}
END_TEST

START_TEST(dose_rate_under_governor_is_that_of_the_limit)
{
	struct safe_level s;
	double phase = 0.0;
	safe_level_init(&s, 48000, 100.0f, 80.0f);
	tone(&s, 48000, 100.0, 95.0, 10.0, &phase);
	double d0 = safe_level_dose_pa2h(&s);
	tone(&s, 48000, 100.0, 95.0, 60.0, &phase);
	double rate = (safe_level_dose_pa2h(&s) - d0) * 60.0; /* Pa^2 h per hour */
	printf("95 dB tone held at 80 dB(A): %.4f Pa^2 h per hour (0.04 expected), gain %.2f dB\n", rate,
	       safe_level_gain_db(&s));
	ck_assert(fabs(rate / 0.04 - 1.0) < 0.05);
	ck_assert(fabs(safe_level_gain_db(&s) + 15.0f) < 0.3f);
}
END_TEST

START_TEST(off_and_live_changes)
{
	struct safe_level s;
	double phase = 0.0;
	safe_level_init(&s, 48000, 100.0f, INFINITY);
	tone(&s, 48000, 100.0, 99.0, 2.0, &phase);
	ck_assert(safe_level_gain_db(&s) == 0.0f);
	/* The limit comes on at 80, then drops to 70: the gain follows. */
	safe_level_set(&s, NAN, 80.0f);
	tone(&s, 48000, 100.0, 99.0, 2.0, &phase);
	ck_assert(fabs(safe_level_gain_db(&s) + 19.0f) < 0.3f);
	safe_level_set(&s, NAN, 70.0f);
	tone(&s, 48000, 100.0, 99.0, 2.0, &phase);
	ck_assert(fabs(safe_level_gain_db(&s) + 29.0f) < 0.3f);
	/* Quieter headphones: 10 dB less at the ear for the same signal. */
	safe_level_set(&s, 90.0f, NAN);
	tone(&s, 48000, 90.0, 89.0, 10.0, &phase);
	ck_assert(fabs(safe_level_gain_db(&s) + 19.0f) < 0.3f);
	/* Off again: the gain comes back to exactly 1. */
	safe_level_set(&s, NAN, INFINITY);
	tone(&s, 48000, 90.0, 89.0, 30.0, &phase);
	ck_assert(safe_level_gain_db(&s) == 0.0f);
	ck_assert(s.gain == 1.0);
	/* One buffer for both ears is governed once, like two equal ones. */
	struct safe_level one, two;
	safe_level_init(&one, 48000, 100.0f, 80.0f);
	safe_level_init(&two, 48000, 100.0f, 80.0f);
	float m[512], a[512], b[512];
	for (int blk = 0; blk < 200; blk++) {
		for (int i = 0; i < 512; i++)
			m[i] = a[i] = b[i] = 0.5f * sinf((float)(blk * 512 + i) * 0.13f);
		safe_level_process(&one, m, m, 512);
		safe_level_process(&two, a, b, 512);
		for (int i = 0; i < 512; i++)
			ck_assert(m[i] == a[i] && a[i] == b[i]);
	}
	ck_assert(safe_level_gain_db(&one) < -10.0f);
}
END_TEST

START_TEST(silence_leaves_no_denormals)
{
	struct safe_level s;
	double phase = 0.0;
	safe_level_init(&s, 48000, 100.0f, 80.0f);
	tone(&s, 48000, 100.0, 99.0, 1.0, &phase);
	float l[128] = { 0 }, r[128] = { 0 };
	for (int b = 0; b < 48000 * 10 / 128; b++)
		safe_level_process(&s, l, r, 128);
	for (int e = 0; e < 2; e++) {
		ck_assert(s.power[e] == 0.0);
		for (int k = 0; k < 3; k++)
			ck_assert(s.ear[e].sec[k].z1 == 0.0 && s.ear[e].sec[k].z2 == 0.0);
	}
	/* Nor do non-numbers stay: they are heard as silence. */
	l[0] = NAN;
	r[1] = INFINITY;
	safe_level_process(&s, l, r, 128);
	ck_assert(isfinite(s.gain) && isfinite(safe_level_dose_pa2h(&s)) && isfinite(s.power[0]));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("safe_level");
	TCase *a = tcase_create("AWeighting");
	tcase_add_test(a, aweighting_matches_iec_table);
	suite_add_tcase(s, a);
	TCase *g = tcase_create("Governor");
	tcase_set_timeout(g, 60);
	tcase_add_test(g, under_limit_passes_untouched);
	tcase_add_test(g, step_of_24_db_held_under_limit);
	tcase_add_test(g, step_comes_without_click);
	tcase_add_test(g, taps_stay_held);
	tcase_add_test(g, other_rates_keep_the_limit);
	tcase_add_test(g, off_and_live_changes);
	tcase_add_test(g, silence_leaves_no_denormals);
	suite_add_tcase(s, g);
	TCase *d = tcase_create("Dose");
	tcase_set_timeout(d, 60);
	tcase_add_test(d, dose_of_one_pascal_for_a_minute);
	tcase_add_test(d, dose_rate_under_governor_is_that_of_the_limit);
	suite_add_tcase(s, d);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
