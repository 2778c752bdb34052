#include "config.h"
#include "common/limits.h"
#include "prep/hrtf.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <mysofa.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef TINGLE_DEFAULT_SOFA
#define TINGLE_DEFAULT_SOFA "/usr/share/libmysofa/default.sofa"
#endif

#define RATE 48000u

/* ------------------------------------------------------------------ */
/* Helpers */

static const char *default_sofa(void)
{
	const char *p = getenv("DEFAULT_SOFA");
	return p && *p ? p : TINGLE_DEFAULT_SOFA;
}

/* ../shared/sofa beside the project root, or NULL when it is absent. */
static const char *shared_dir(void)
{
	static char dir[4096];
	if (!dir[0]) {
		const char *top = getenv("top_srcdir");
		snprintf(dir, sizeof dir, "%s/../shared/sofa", top && *top ? top : ".");
	}
	struct stat st;
	return stat(dir, &st) == 0 && S_ISDIR(st.st_mode) ? dir : NULL;
}

static void shared_file(char *buf, size_t n, const char *name)
{
	const char *dir = shared_dir();
	ck_assert_ptr_nonnull(dir);
	snprintf(buf, n, "%s/%s", dir, name);
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static struct hrtf_set *load_ok(const char *path, unsigned rate)
{
	char err[512] = "untouched";
	struct hrtf_set *h = (struct hrtf_set *)1;
	double t0 = now();
	int r = hrtf_load(path, rate, &h, err, sizeof err);
	double t1 = now();
	ck_assert_msg(r == 0, "hrtf_load(%s) failed: %s", path, err);
	ck_assert_ptr_nonnull(h);
	ck_assert_str_eq(err, "");
	printf("loaded %s at %u Hz in %.3f s: %u directions, %u taps, max delay %.2f\n", path, rate,
	       t1 - t0, h->n_dirs, h->length, (double)h->max_delay);
	return h;
}

static double angle_deg(double az1, double el1, double az2, double el2)
{
	const double k = M_PI / 180.0;
	double c = sin(el1 * k) * sin(el2 * k) + cos(el1 * k) * cos(el2 * k) * cos((az1 - az2) * k);
	if (c > 1.0)
		c = 1.0;
	if (c < -1.0)
		c = -1.0;
	return acos(c) / k;
}

static void unit_vector(double az, double el, double u[3])
{
	const double k = M_PI / 180.0;
	u[0] = cos(el * k) * cos(az * k);
	u[1] = cos(el * k) * sin(az * k);
	u[2] = sin(el * k);
}

static double dir_angle(const struct hrtf_set *h, unsigned a, unsigned b)
{
	return angle_deg(h->azimuth[a], h->elevation[a], h->azimuth[b], h->elevation[b]);
}

static double energy(const float *x, size_t n)
{
	double e = 0.0;
	for (size_t i = 0; i < n; i++)
		e += (double)x[i] * x[i];
	return e;
}

static bool all_of_table_valid(const struct hrtf_set *h)
{
	for (size_t i = 0; i < (size_t)HRTF_GRID_EL * HRTF_GRID_AZ; i++)
		if (h->table[i] >= h->n_dirs)
			return false;
	return true;
}

/* Check's assertions write to a pipe each time: loops over samples count
 * and assert once. */
static bool all_finite(const float *x, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isfinite(x[i]))
			return false;
	return true;
}

static double grid_az(int ai) { return ai < 180 ? ai : ai - 360; }

/* Set loaded once per test case (before Check forks): the default set at
 * 48 kHz. */
static struct hrtf_set *kemar;

static void kemar_setup(void)
{
	char err[512];
	if (hrtf_load(default_sofa(), RATE, &kemar, err, sizeof err) < 0) {
		fprintf(stderr, "cannot load the default set: %s\n", err);
		kemar = NULL;
	}
}

static void kemar_teardown(void)
{
	hrtf_free(kemar);
	kemar = NULL;
}

/* ------------------------------------------------------------------ */
/* Load: the default set */

START_TEST(load_default_set)
{
	struct hrtf_set *h = load_ok(default_sofa(), RATE);
	int len = 0, e = 0;
	struct MYSOFA_EASY *easy = mysofa_open(default_sofa(), (float)RATE, &len, &e);
	ck_assert_ptr_nonnull(easy);
	ck_assert_uint_eq(h->n_dirs, 710);
	ck_assert_uint_eq(h->rate, RATE);
	ck_assert_uint_eq(h->file_rate, 44100);
	ck_assert_uint_eq(h->length, (unsigned)len);
	ck_assert_uint_eq(h->length, (unsigned)ceil(512.0 * RATE / 44100.0));
	ck_assert_float_eq(h->max_delay, 0.0f);
	ck_assert_str_eq(h->path, default_sofa());
	ck_assert(all_finite(h->ir, (size_t)h->n_dirs * 2 * h->length));
	for (unsigned d = 0; d < h->n_dirs; d++) {
		ck_assert(h->azimuth[d] >= -180.0f && h->azimuth[d] < 180.0f);
		ck_assert(h->elevation[d] >= -90.0f && h->elevation[d] <= 90.0f);
		ck_assert_float_eq_tol(h->distance[d], 1.4f, 0.01f);
		ck_assert(energy(hrtf_ir(h, d, 0), h->length) > 0.0);
		ck_assert(energy(hrtf_ir(h, d, 1), h->length) > 0.0);
	}
	mysofa_close(easy);
	hrtf_free(h);
}
END_TEST

/* tingle takes mysofa_open's steps one by one: the result must be the same
 * filters and directions as mysofa_open gives. */
START_TEST(load_matches_mysofa_open)
{
	struct hrtf_set *h = load_ok(default_sofa(), RATE);
	int len = 0, e = 0;
	struct MYSOFA_EASY *easy = mysofa_open(default_sofa(), (float)RATE, &len, &e);
	ck_assert_ptr_nonnull(easy);
	struct MYSOFA_HRTF *mh = easy->hrtf;
	ck_assert_uint_eq(mh->M, h->n_dirs);
	ck_assert_uint_eq(mh->N, h->length);
	double diff = 0.0;
	for (unsigned d = 0; d < h->n_dirs; d++) {
		for (int ear = 0; ear < 2; ear++) {
			const float *a = hrtf_ir(h, d, ear);
			const float *b = mh->DataIR.values + ((size_t)d * 2 + (size_t)ear) * mh->N;
			for (unsigned i = 0; i < h->length; i++)
				diff = fmax(diff, fabs((double)a[i] - b[i]));
		}
		const float *p = mh->SourcePosition.values + 3 * (size_t)d;
		double az = atan2(p[1], p[0]) * 180.0 / M_PI;
		double el = atan2(p[2], hypot(p[0], p[1])) * 180.0 / M_PI;
		ck_assert_msg(angle_deg(az, el, h->azimuth[d], h->elevation[d]) < 1e-3,
			      "direction %u: %g/%g vs %g/%g", d, az, el, (double)h->azimuth[d],
			      (double)h->elevation[d]);
	}
	ck_assert_msg(diff <= 1e-7, "IRs differ from mysofa_open's by up to %g", diff);
	mysofa_close(easy);
	hrtf_free(h);
}
END_TEST

START_TEST(load_at_other_rates)
{
	static const unsigned rates[] = { 44100, 96000, 22050 };
	for (size_t i = 0; i < sizeof rates / sizeof rates[0]; i++) {
		struct hrtf_set *h = load_ok(default_sofa(), rates[i]);
		int len = 0, e = 0;
		struct MYSOFA_EASY *easy = mysofa_open(default_sofa(), (float)rates[i], &len, &e);
		ck_assert_ptr_nonnull(easy);
		ck_assert_uint_eq(h->rate, rates[i]);
		ck_assert_uint_eq(h->file_rate, 44100);
		ck_assert_uint_eq(h->length, (unsigned)len);
		ck_assert_uint_eq(h->length, (unsigned)ceil(512.0 * rates[i] / 44100.0));
		mysofa_close(easy);
		hrtf_free(h);
	}
}
END_TEST

/* Ear 0 is the left ear: louder for a source on the left (+90). */
START_TEST(load_left_ear_first)
{
	ck_assert_ptr_nonnull(kemar);
	unsigned l = hrtf_nearest(kemar, 90.0f, 0.0f);
	unsigned r = hrtf_nearest(kemar, -90.0f, 0.0f);
	ck_assert_float_eq_tol(kemar->azimuth[l], 90.0f, 0.01f);
	ck_assert_float_eq_tol(kemar->azimuth[r], -90.0f, 0.01f);
	double ll = energy(hrtf_ir(kemar, l, 0), kemar->length);
	double lr = energy(hrtf_ir(kemar, l, 1), kemar->length);
	double rl = energy(hrtf_ir(kemar, r, 0), kemar->length);
	double rr = energy(hrtf_ir(kemar, r, 1), kemar->length);
	ck_assert_msg(ll > 4.0 * lr, "left source: left %g, right %g", ll, lr);
	ck_assert_msg(rr > 4.0 * rl, "right source: left %g, right %g", rl, rr);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Lookup */

START_TEST(lookup_measured_direction_exact)
{
	ck_assert_ptr_nonnull(kemar);
	for (unsigned d = 0; d < kemar->n_dirs; d++) {
		unsigned n = hrtf_nearest(kemar, kemar->azimuth[d], kemar->elevation[d]);
		ck_assert_msg(n == d || dir_angle(kemar, n, d) < 1e-3,
			      "direction %u (%g, %g) gave %u (%g, %g)", d, (double)kemar->azimuth[d],
			      (double)kemar->elevation[d], n, (double)kemar->azimuth[n],
			      (double)kemar->elevation[n]);
	}
}
END_TEST

/* The table (k-d tree) against brute force over all directions, on every
 * grid point. */
START_TEST(lookup_matches_brute_force)
{
	const struct hrtf_set *h = kemar;
	ck_assert_ptr_nonnull(h);
	double worst = 0.0, worst_covered = 0.0;
	float lowest = 90.0f;
	for (unsigned d = 0; d < h->n_dirs; d++)
		if (h->elevation[d] < lowest)
			lowest = h->elevation[d];
	double *uv = malloc((size_t)h->n_dirs * 3 * sizeof *uv);
	ck_assert_ptr_nonnull(uv);
	for (unsigned d = 0; d < h->n_dirs; d++)
		unit_vector(h->azimuth[d], h->elevation[d], uv + 3 * (size_t)d);
	for (int ei = 0; ei < HRTF_GRID_EL; ei++)
		for (int ai = 0; ai < HRTF_GRID_AZ; ai++) {
			double az = grid_az(ai), el = ei - 90;
			unsigned got = hrtf_nearest(h, (float)az, (float)el);
			if (got != h->table[(size_t)ei * HRTF_GRID_AZ + (size_t)ai] || got >= h->n_dirs)
				ck_abort_msg("grid (%g, %g): hrtf_nearest gives %u", az, el, got);
			double q[3], best_dot = -2.0;
			unit_vector(az, el, q);
			for (unsigned d = 0; d < h->n_dirs; d++) {
				const double *u = uv + 3 * (size_t)d;
				double dot = q[0] * u[0] + q[1] * u[1] + q[2] * u[2];
				if (dot > best_dot)
					best_dot = dot;
			}
			double best = acos(fmin(1.0, best_dot)) * 180.0 / M_PI;
			double a = angle_deg(az, el, h->azimuth[got], h->elevation[got]);
			if (a > best + 0.01)
				ck_abort_msg("grid (%g, %g): table gives %u at %g deg, best is %g deg", az, el,
					     got, a, best);
			if (a > worst)
				worst = a;
			if (el >= lowest && a > worst_covered)
				worst_covered = a;
		}
	free(uv);
	printf("lookup: farthest grid point %.2f deg from its direction (%.2f deg where measured, "
	       "lowest elevation %g)\n", worst, worst_covered, (double)lowest);
	/* Where KEMAR was measured (down to -40), every grid point has a
	 * direction within a few degrees. */
	ck_assert_msg(worst_covered < 6.0, "%g deg", worst_covered);
}
END_TEST

START_TEST(lookup_wraps_and_clamps)
{
	const struct hrtf_set *h = kemar;
	ck_assert_ptr_nonnull(h);
	ck_assert_uint_eq(hrtf_nearest(h, 30.0f, 10.0f), hrtf_nearest(h, 390.0f, 10.0f));
	ck_assert_uint_eq(hrtf_nearest(h, 30.0f, 10.0f), hrtf_nearest(h, -330.0f, 10.0f));
	ck_assert_uint_eq(hrtf_nearest(h, 30.0f, 10.0f), hrtf_nearest(h, 30.0f + 3600.0f, 10.0f));
	ck_assert_uint_eq(hrtf_nearest(h, 180.0f, 0.0f), hrtf_nearest(h, -180.0f, 0.0f));
	ck_assert_uint_eq(hrtf_nearest(h, 179.7f, 0.0f), hrtf_nearest(h, -180.0f, 0.0f));
	ck_assert_uint_eq(hrtf_nearest(h, 0.0f, 135.0f), hrtf_nearest(h, 0.0f, 90.0f));
	ck_assert_uint_eq(hrtf_nearest(h, 0.0f, -1e6f), hrtf_nearest(h, 0.0f, -90.0f));
	ck_assert_uint_eq(hrtf_nearest(h, 0.0f, 90.0f), hrtf_nearest(h, 123.0f, 90.0f));
	ck_assert_float_eq_tol(h->elevation[hrtf_nearest(h, 0.0f, 90.0f)], 90.0f, 0.01f);
	ck_assert_uint_lt(hrtf_nearest(h, NAN, NAN), h->n_dirs);
	ck_assert_uint_lt(hrtf_nearest(h, INFINITY, -INFINITY), h->n_dirs);
	ck_assert_uint_lt(hrtf_nearest(h, -1e30f, 1e30f), h->n_dirs);
	/* Straight ahead, behind, left. */
	ck_assert(fabsf(h->azimuth[hrtf_nearest(h, 0.4f, 0.0f)]) < 0.01f);
	ck_assert(fabsf(fabsf(h->azimuth[hrtf_nearest(h, 180.0f, 0.0f)]) - 180.0f) < 0.01f);
	ck_assert_float_eq_tol(h->azimuth[hrtf_nearest(h, 450.0f, 0.0f)], 90.0f, 0.01f);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Delays */

START_TEST(delay_integer_moves_unchanged)
{
	float src[64], dst[128];
	for (int i = 0; i < 64; i++)
		src[i] = (float)sin(0.3 * i) * (float)(64 - i);
	memset(dst, 0, sizeof dst);
	hrtf_fractional_delay(dst, 128, src, 64, 17.0);
	for (int i = 0; i < 128; i++)
		ck_assert_float_eq(dst[i], i >= 17 && i < 17 + 64 ? src[i - 17] : 0.0f);
	/* Cut at the end of dst; a delay past the end adds nothing. */
	memset(dst, 0, sizeof dst);
	hrtf_fractional_delay(dst, 70, src, 64, 10.0);
	ck_assert_float_eq(dst[69], src[59]);
	hrtf_fractional_delay(dst, 70, src, 64, 500.0);
	hrtf_fractional_delay(dst, 70, src, 64, NAN);
	ck_assert_float_eq(dst[0], src[0]);
}
END_TEST

START_TEST(delay_fractional_impulse)
{
	static const double delays[] = { 20.25, 20.5, 33.9, 0.5, 3.3 };
	for (size_t t = 0; t < sizeof delays / sizeof delays[0]; t++) {
		double dl = delays[t];
		float src[1] = { 1.0f };
		float dst[80];
		memset(dst, 0, sizeof dst);
		hrtf_fractional_delay(dst, 80, src, 1, dl);
		double sum = 0.0, moment = 0.0;
		unsigned peak = 0;
		for (unsigned i = 0; i < 80; i++) {
			sum += dst[i];
			moment += dst[i] * (double)i;
			if (fabsf(dst[i]) > fabsf(dst[peak]))
				peak = i;
		}
		ck_assert_uint_eq(peak, (unsigned)lround(dl - 1e-9));
		if (dl >= 16.0) {
			/* Whole kernel inside dst: unit DC gain, centre at the delay. */
			ck_assert_msg(fabs(sum - 1.0) < 1e-5, "delay %g: sum %g", dl, sum);
			ck_assert_msg(fabs(moment / sum - dl) < 0.01, "delay %g: centroid %g", dl, moment / sum);
		}
	}
}
END_TEST

/* A sine in the passband comes out delayed by the exact fraction. */
START_TEST(delay_fractional_sine)
{
	enum { N = 512 };
	static float src[N], dst[N + 64];
	const double f = 0.05, dl = 7.37; /* cycles per sample; 2.4 kHz at 48 kHz */
	for (int i = 0; i < N; i++)
		src[i] = (float)sin(2.0 * M_PI * f * i);
	memset(dst, 0, sizeof dst);
	hrtf_fractional_delay(dst, N + 64, src, N, dl);
	double worst = 0.0;
	for (int i = 64; i < N - 32; i++) {
		double want = sin(2.0 * M_PI * f * (i - dl));
		double e = fabs(dst[i] - want);
		if (e > worst)
			worst = e;
	}
	ck_assert_msg(worst < 2e-3, "largest error %g", worst);
}
END_TEST

/* Delays read by libmysofa are in samples at the file's rate; its
 * mysofa_resample (1.3) scales them to the requested rate, and so does
 * tingle (whatever the libmysofa version). tester2.sofa is 48 kHz with
 * Data.Delay (direction m: left m, right -m samples). */
START_TEST(delay_units_follow_rate)
{
	char path[4200];
	shared_file(path, sizeof path, "tester2.sofa");
	int len48 = 0, len96 = 0, e = 0;
	struct MYSOFA_EASY *a = mysofa_open(path, 48000.0f, &len48, &e);
	ck_assert_ptr_nonnull(a);
	struct MYSOFA_EASY *b = mysofa_open(path, 96000.0f, &len96, &e);
	ck_assert_ptr_nonnull(b);
	ck_assert_uint_eq(a->hrtf->DataDelay.elements, 2 * a->hrtf->M);
	ck_assert_uint_eq(b->hrtf->DataDelay.elements, a->hrtf->DataDelay.elements);
	unsigned nonzero = 0;
	float diff = 0.0f;
	for (unsigned i = 0; i < a->hrtf->DataDelay.elements; i++) {
		float d48 = a->hrtf->DataDelay.values[i], d96 = b->hrtf->DataDelay.values[i];
		diff = fmaxf(diff, fabsf(d96 - 2.0f * d48));
		nonzero += d48 != 0.0f;
	}
	ck_assert_msg(diff < 1e-3f, "delays at 96 kHz differ from twice those at 48 kHz by %g", (double)diff);
	ck_assert_uint_gt(nonzero, 0);
	printf("libmysofa: tester2 delay of direction 100 (left) is %g at 48 kHz, %g at 96 kHz\n",
	       (double)a->hrtf->DataDelay.values[200], (double)b->hrtf->DataDelay.values[200]);
	mysofa_close(a);
	mysofa_close(b);

	struct hrtf_set *h48 = load_ok(path, 48000);
	struct hrtf_set *h96 = load_ok(path, 96000);
	ck_assert_float_eq_tol(h48->max_delay, 2498.0f, 1e-3f);
	ck_assert_float_eq_tol(h96->max_delay, 2.0f * h48->max_delay, 1e-3f);
	hrtf_free(h48);
	hrtf_free(h96);
}
END_TEST

/* At the file's rate tester2's delays are whole samples: the baked IR is
 * the original moved by the delay (negative delays move the whole set
 * later by the most negative one, 1249 samples). */
START_TEST(delay_baked_integer)
{
	char path[4200];
	shared_file(path, sizeof path, "tester2.sofa");
	struct hrtf_set *h = load_ok(path, 48000);
	int len = 0, e = 0;
	struct MYSOFA_EASY *easy = mysofa_open(path, 48000.0f, &len, &e);
	ck_assert_ptr_nonnull(easy);
	const struct MYSOFA_HRTF *mh = easy->hrtf;
	ck_assert_uint_eq(h->n_dirs, mh->M);
	ck_assert_uint_eq(h->length, mh->N + 2498);
	static const unsigned dirs[] = { 0, 1, 17, 300, 624, 1000, 1249 };
	for (size_t t = 0; t < sizeof dirs / sizeof dirs[0]; t++) {
		unsigned m = dirs[t];
		for (int ear = 0; ear < 2; ear++) {
			float raw = mh->DataDelay.values[2 * m + (unsigned)ear];
			unsigned dl = (unsigned)lroundf(raw + 1249.0f);
			ck_assert_uint_eq(dl, ear == 0 ? m + 1249 : 1249 - m);
			const float *ir = hrtf_ir(h, m, ear);
			const float *orig = mh->DataIR.values + ((size_t)m * 2 + (size_t)ear) * mh->N;
			for (unsigned i = 0; i < h->length; i++) {
				float want = i >= dl && i < dl + mh->N ? orig[i - dl] : 0.0f;
				if (ir[i] != want)
					ck_abort_msg("direction %u ear %d tap %u: %g, want %g", m, ear, i,
						     (double)ir[i], (double)want);
			}
		}
	}
	mysofa_close(easy);
	hrtf_free(h);
}
END_TEST

/* At 44.1 kHz the delays are fractional: the baked IR matches the
 * resampled original best at the delay (cross-correlation), its energy is
 * kept, and nothing comes before the delay but the interpolator's taps. */
START_TEST(delay_baked_fractional)
{
	char path[4200];
	shared_file(path, sizeof path, "tester2.sofa");
	const unsigned rate = 44100;
	struct hrtf_set *h = load_ok(path, rate);
	int len = 0, e = 0;
	struct MYSOFA_EASY *easy = mysofa_open(path, (float)rate, &len, &e);
	ck_assert_ptr_nonnull(easy);
	const struct MYSOFA_HRTF *mh = easy->hrtf;
	const double scale = rate / 48000.0;
	ck_assert_float_eq_tol(h->max_delay, 2498.0 * scale, 1e-2);
	ck_assert_uint_eq(h->length, mh->N + (unsigned)ceil(2498.0 * scale) + 16);
	static const unsigned dirs[] = { 3, 101, 555, 1111 };
	for (size_t t = 0; t < sizeof dirs / sizeof dirs[0]; t++) {
		unsigned m = dirs[t];
		for (int ear = 0; ear < 2; ear++) {
			double dl = (ear == 0 ? 1249.0 + m : 1249.0 - m) * scale;
			const float *ir = hrtf_ir(h, m, ear);
			const float *orig = mh->DataIR.values + ((size_t)m * 2 + (size_t)ear) * mh->N;
			unsigned best = 0;
			double best_c = -1e30;
			for (unsigned lag = 0; lag + mh->N <= h->length; lag++) {
				double c = 0.0;
				for (unsigned i = 0; i < mh->N; i++)
					c += (double)ir[lag + i] * orig[i];
				if (c > best_c) {
					best_c = c;
					best = lag;
				}
			}
			ck_assert_msg(fabs(best - dl) <= 1.0, "direction %u ear %d: best lag %u, delay %g", m,
				      ear, best, dl);
			double eo = energy(orig, mh->N), eb = energy(ir, h->length);
			ck_assert_msg(fabs(eb / eo - 1.0) < 0.05, "energy %g vs %g", eb, eo);
			unsigned first = (unsigned)floor(dl) - 15;
			ck_assert(energy(ir, first) == 0.0);
		}
	}
	mysofa_close(easy);
	hrtf_free(h);
}
END_TEST

/* Pulse.sofa: a unit pulse at tap 100 in every direction, no delays. */
START_TEST(delay_none_pulse)
{
	char path[4200];
	shared_file(path, sizeof path, "Pulse.sofa");
	struct hrtf_set *h = load_ok(path, 48000);
	ck_assert_uint_eq(h->n_dirs, 1250);
	ck_assert_uint_eq(h->length, 256);
	ck_assert_float_eq(h->max_delay, 0.0f);
	for (unsigned d = 0; d < h->n_dirs; d++)
		for (int ear = 0; ear < 2; ear++) {
			const float *ir = hrtf_ir(h, d, ear);
			unsigned peak = 0;
			for (unsigned i = 1; i < h->length; i++)
				if (fabsf(ir[i]) > fabsf(ir[peak]))
					peak = i;
			ck_assert_uint_eq(peak, 100);
		}
	hrtf_free(h);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Shared sets */

START_TEST(shared_sets_load)
{
	static const struct { const char *name; unsigned dirs, file_rate, taps; } sets[] = {
		{ "Pulse.sofa", 1250, 48000, 256 },
		{ "LISTEN_1002_IRC_1002_C_HRIR.sofa", 187, 48000, 512 },
		{ "MIT_KEMAR_large_pinna.sofa", 710, 44100, 512 },
		{ "tester2.sofa", 1250, 48000, 256 },
	};
	for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
		char path[4200];
		shared_file(path, sizeof path, sets[i].name);
		struct hrtf_set *h = load_ok(path, RATE);
		ck_assert_uint_eq(h->n_dirs, sets[i].dirs);
		ck_assert_uint_eq(h->file_rate, sets[i].file_rate);
		ck_assert_uint_ge(h->length, (unsigned)ceil((double)sets[i].taps * RATE / sets[i].file_rate));
		ck_assert(all_of_table_valid(h));
		ck_assert(all_finite(h->ir, (size_t)h->n_dirs * 2 * h->length));
		/* Every measured direction is found exactly. */
		for (unsigned d = 0; d < h->n_dirs; d++) {
			unsigned got = hrtf_nearest(h, h->azimuth[d], h->elevation[d]);
			ck_assert_msg(got == d || dir_angle(h, got, d) < 1.0, "%s: direction %u gave %u",
				      sets[i].name, d, got);
		}
		hrtf_free(h);
	}
}
END_TEST

/* ------------------------------------------------------------------ */
/* Refuse */

START_TEST(refuse_every_bad_file)
{
	char dir[4200];
	shared_file(dir, sizeof dir, "bad");
	DIR *dp = opendir(dir);
	ck_assert_ptr_nonnull(dp);
	unsigned count = 0;
	struct dirent *de;
	while ((de = readdir(dp))) {
		if (de->d_name[0] == '.')
			continue;
		char path[8500];
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		struct stat st;
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		char err[1024] = "";
		struct hrtf_set *h = (struct hrtf_set *)1;
		int r = hrtf_load(path, RATE, &h, err, sizeof err);
		printf("refused %s: %s\n", de->d_name, err);
		ck_assert_msg(r < 0, "%s was accepted", de->d_name);
		ck_assert_ptr_null(h);
		ck_assert_msg(err[0] != '\0', "%s: empty message", de->d_name);
		ck_assert_msg(strstr(err, de->d_name) != NULL, "%s: message does not name the file: %s",
			      de->d_name, err);
		count++;
	}
	closedir(dp);
	ck_assert_uint_gt(count, 0);
}
END_TEST

START_TEST(refuse_filter_length_zero)
{
	char path[4200];
	shared_file(path, sizeof path, "bad/fail-issue-173.sofa");
	char err[512] = "";
	struct hrtf_set *h = NULL;
	ck_assert_int_lt(hrtf_load(path, RATE, &h, err, sizeof err), 0);
	ck_assert_ptr_null(h);
	ck_assert_msg(strstr(err, "filter length 0") != NULL, "%s", err);
	ck_assert_msg(strstr(err, "fail-issue-173.sofa") != NULL, "%s", err);
}
END_TEST

START_TEST(refuse_missing_file)
{
	char err[512] = "";
	struct hrtf_set *h = NULL;
	ck_assert_int_lt(hrtf_load("/nonexistent/dir/missing.sofa", RATE, &h, err, sizeof err), 0);
	ck_assert_ptr_null(h);
	ck_assert_msg(strstr(err, "missing.sofa") && strstr(err, "No such file"), "%s", err);
}
END_TEST

START_TEST(refuse_not_sofa)
{
	char path[] = "/tmp/tingle-test-hrtf-XXXXXX.sofa";
	int fd = mkstemps(path, 5);
	ck_assert_int_ge(fd, 0);
	static const char text[] = "[scene]\nname = not an HRTF set\n";
	ck_assert_int_eq(write(fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
	close(fd);
	char err[512] = "";
	struct hrtf_set *h = NULL;
	int r = hrtf_load(path, RATE, &h, err, sizeof err);
	unlink(path);
	ck_assert_int_lt(r, 0);
	ck_assert_ptr_null(h);
	ck_assert_msg(strstr(err, path) && strstr(err, "not a SOFA file"), "%s", err);
	/* A directory is not one either. */
	ck_assert_int_lt(hrtf_load("/tmp", RATE, &h, err, sizeof err), 0);
	ck_assert_ptr_null(h);
	ck_assert_msg(strstr(err, "/tmp"), "%s", err);
}
END_TEST

START_TEST(refuse_bad_arguments)
{
	char err[512] = "";
	struct hrtf_set *h = (struct hrtf_set *)1;
	ck_assert_int_lt(hrtf_load(default_sofa(), 0, &h, err, sizeof err), 0);
	ck_assert_ptr_null(h);
	ck_assert_msg(strstr(err, default_sofa()) && strstr(err, "Hz"), "%s", err);
	ck_assert_int_lt(hrtf_load(default_sofa(), 4000000, &h, err, sizeof err), 0);
	ck_assert_int_lt(hrtf_load(NULL, RATE, &h, err, sizeof err), 0);
	ck_assert(err[0] != '\0');
	ck_assert_int_lt(hrtf_load("", RATE, &h, err, sizeof err), 0);
	ck_assert_int_lt(hrtf_load(default_sofa(), RATE, NULL, err, sizeof err), 0);
	/* No room for the message, or a short one: no overflow, terminated. */
	ck_assert_int_lt(hrtf_load("/nonexistent.sofa", RATE, &h, NULL, 0), 0);
	char tiny[8];
	memset(tiny, 'x', sizeof tiny);
	ck_assert_int_lt(hrtf_load("/nonexistent.sofa", RATE, &h, tiny, sizeof tiny), 0);
	ck_assert_uint_eq(strlen(tiny), sizeof tiny - 1);
	hrtf_free(NULL);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Limits: what libmysofa is given, how long it may take, and a loader
 * that dies. libmysofa runs in a child process; the caller regains
 * control whatever the child does. */

/* True when the test process has no child left (none running, none
 * unreaped). */
static bool no_children(void)
{
	errno = 0;
	return waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD;
}

static void expect_refused(const char *path, const char *what, double max_s)
{
	char err[1024] = "";
	struct hrtf_set *h = (struct hrtf_set *)1;
	double t0 = now();
	int r = hrtf_load(path, RATE, &h, err, sizeof err);
	double t = now() - t0;
	printf("refused %s in %.4f s: %s\n", path, t, err);
	ck_assert_int_lt(r, 0);
	ck_assert_ptr_null(h);
	ck_assert_msg(strstr(err, path) && strstr(err, what), "%s", err);
	ck_assert_msg(t < max_s, "%s: took %g s", path, t);
	ck_assert(no_children());
}

/* Before: libmysofa opened the FIFO and waited for a writer forever. */
START_TEST(limit_fifo_refused)
{
	char dir[] = "/tmp/tingle-test-hrtf-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char path[64];
	snprintf(path, sizeof path, "%s/fifo.sofa", dir);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	char err[512] = "";
	struct hrtf_set *h = NULL;
	double t0 = now();
	int r = hrtf_load_limited(path, RATE, 5.0, NULL, &h, err, sizeof err);
	double t = now() - t0;
	unlink(path);
	rmdir(dir);
	ck_assert_int_eq(r, HRTF_LOAD_ERROR);
	ck_assert_ptr_null(h);
	ck_assert_msg(strstr(err, path) && strstr(err, "not a regular file (a FIFO)"), "%s", err);
	ck_assert_msg(t < 0.5, "%g s", t);
	expect_refused("/dev/null", "not a regular file (a character device)", 0.5);
}
END_TEST

START_TEST(limit_devices_refused)
{
	expect_refused("/dev/urandom", "not a regular file (a character device)", 0.5);
	expect_refused("/dev/zero", "not a regular file (a character device)", 0.5);
	expect_refused("/tmp", "not a regular file (a directory)", 0.5);
}
END_TEST

/* A (sparse) file one byte over the limit is refused before it is read:
 * before, libmysofa read its gigabyte of zeros. */
START_TEST(limit_size_refused)
{
	char path[] = "/tmp/tingle-test-hrtf-XXXXXX.sofa";
	int fd = mkstemps(path, 5);
	ck_assert_int_ge(fd, 0);
	int t = ftruncate(fd, (off_t)TINGLE_SOFA_FILE_MAX_BYTES + 1);
	close(fd);
	if (t != 0) {
		unlink(path);
		ck_abort_msg("cannot make a sparse file of %lld bytes", TINGLE_SOFA_FILE_MAX_BYTES + 1);
	}
	char err[512] = "";
	struct hrtf_set *h = NULL;
	double t0 = now();
	int r = hrtf_load(path, RATE, &h, err, sizeof err);
	double el = now() - t0;
	unlink(path);
	ck_assert_int_eq(r, HRTF_LOAD_ERROR);
	ck_assert_ptr_null(h);
	ck_assert_msg(strstr(err, path) && strstr(err, "larger than " TINGLE_SOFA_FILE_MAX_TEXT), "%s", err);
	ck_assert_msg(el < 0.5, "%g s", el);
}
END_TEST

/* A load that outlasts its limit is given up on at the limit: the child
 * is killed and reaped. */
START_TEST(limit_time)
{
	char err[512] = "";
	struct hrtf_set *h = (struct hrtf_set *)1;
	double t0 = now();
	int r = hrtf_load_limited(default_sofa(), 96000, 0.001, NULL, &h, err, sizeof err);
	double t = now() - t0;
	printf("time limit: %s (%.4f s)\n", err, t);
	ck_assert_int_eq(r, HRTF_LOAD_TIMEOUT);
	ck_assert_ptr_null(h);
	ck_assert_msg(strstr(err, default_sofa()) && strstr(err, "took longer than 0.001 s"), "%s", err);
	ck_assert_msg(t < 0.3, "%g s", t);
	ck_assert(no_children());
	/* A generous limit loads as before. */
	r = hrtf_load_limited(default_sofa(), RATE, 60.0, NULL, &h, err, sizeof err);
	ck_assert_msg(r == 0, "%s", err);
	ck_assert_uint_eq(h->n_dirs, 710);
	hrtf_free(h);
	ck_assert(no_children());
}
END_TEST

START_TEST(limit_cancelled_before)
{
	atomic_int cancel = 1;
	char err[512] = "";
	struct hrtf_set *h = (struct hrtf_set *)1;
	double t0 = now();
	int r = hrtf_load_limited(default_sofa(), RATE, 0.0, &cancel, &h, err, sizeof err);
	double t = now() - t0;
	ck_assert_int_eq(r, HRTF_LOAD_CANCELLED);
	ck_assert_ptr_null(h);
	ck_assert_msg(strstr(err, default_sofa()) && strstr(err, "cancelled"), "%s", err);
	ck_assert_msg(t < 0.1, "%g s", t);
	ck_assert(no_children());
}
END_TEST

/* The flag is set by a signal handler during the load, as tingled's
 * SIGTERM handler sets its flag: the load ends within one 50 ms slice. */
static atomic_int cancel_flag;
static double cancel_time;

static void set_cancel(int sig)
{
	(void)sig;
	atomic_store(&cancel_flag, 1);
}

START_TEST(limit_cancelled_during)
{
	struct sigaction sa, old;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = set_cancel;
	sigemptyset(&sa.sa_mask);
	ck_assert_int_eq(sigaction(SIGALRM, &sa, &old), 0);
	atomic_store(&cancel_flag, 0);
	struct itimerval it = { .it_value = { .tv_sec = 0, .tv_usec = 40000 } };
	char err[512] = "";
	struct hrtf_set *h = (struct hrtf_set *)1;
	double t0 = now();
	ck_assert_int_eq(setitimer(ITIMER_REAL, &it, NULL), 0);
	int r = hrtf_load_limited(default_sofa(), 96000, 0.0, &cancel_flag, &h, err, sizeof err);
	cancel_time = now() - t0;
	sigaction(SIGALRM, &old, NULL);
	printf("cancelled after %.3f s: %s\n", cancel_time, err);
	ck_assert_msg(r == HRTF_LOAD_CANCELLED, "%d: %s", r, err);
	ck_assert_ptr_null(h);
	ck_assert_msg(strstr(err, "cancelled"), "%s", err);
	ck_assert_msg(cancel_time < 0.04 + 0.3, "%g s", cancel_time);
	ck_assert(no_children());
}
END_TEST

/* A child that crashes (here a SIGSEGV from outside, as libmysofa's own
 * crashes on crafted files used to end the whole program) is an error
 * message; the caller lives on. */
static void *segv_child(void *arg)
{
	pid_t self = getpid();
	pid_t *victim = arg;
	double t0 = now();
	while (now() - t0 < 5.0 && !*victim) {
		DIR *dp = opendir("/proc");
		struct dirent *de;
		while (dp && (de = readdir(dp))) {
			char path[300], buf[512];
			snprintf(path, sizeof path, "/proc/%s/stat", de->d_name);
			FILE *f = de->d_name[0] >= '1' && de->d_name[0] <= '9' ? fopen(path, "r") : NULL;
			if (!f)
				continue;
			size_t n = fread(buf, 1, sizeof buf - 1, f);
			fclose(f);
			buf[n] = '\0';
			const char *p = strrchr(buf, ')');
			int ppid = 0;
			if (p && sscanf(p + 1, " %*c %d", &ppid) == 1 && ppid == self) {
				pid_t pid = (pid_t)atoi(de->d_name);
				if (kill(pid, SIGSEGV) == 0)
					*victim = pid;
				break;
			}
		}
		if (dp)
			closedir(dp);
		if (!*victim)
			usleep(1000);
	}
	return NULL;
}

START_TEST(limit_child_crash)
{
	char err[512] = "";
	int r = 0;
	for (int attempt = 0; attempt < 3 && r == 0; attempt++) {
		volatile pid_t victim = 0;
		pthread_t th;
		struct hrtf_set *h = NULL;
		ck_assert_int_eq(pthread_create(&th, NULL, segv_child, (void *)&victim), 0);
		r = hrtf_load_limited(default_sofa(), 96000, 0.0, NULL, &h, err, sizeof err);
		pthread_join(th, NULL);
		hrtf_free(h); /* the load won the race: try again */
	}
	printf("crashed child: %s\n", err);
	ck_assert_int_eq(r, HRTF_LOAD_ERROR);
	ck_assert_msg(strstr(err, default_sofa()) && strstr(err, "libmysofa crashed reading it"), "%s", err);
	ck_assert(no_children());
}
END_TEST

/* Through the child, the set is exactly what libmysofa gives in-process:
 * the same IRs bit for bit, and the same table as libmysofa's own k-d
 * tree (mysofa_open's) gives for each grid point. */
START_TEST(limit_child_same_as_in_process)
{
	const char *names[4] = { default_sofa(), NULL, NULL, NULL };
	char paths[3][4200];
	if (shared_dir()) {
		shared_file(paths[0], sizeof paths[0], "Pulse.sofa");
		shared_file(paths[1], sizeof paths[1], "LISTEN_1002_IRC_1002_C_HRIR.sofa");
		shared_file(paths[2], sizeof paths[2], "MIT_KEMAR_large_pinna.sofa");
		for (int i = 0; i < 3; i++)
			names[i + 1] = paths[i];
	}
	for (int i = 0; i < 4 && names[i]; i++) {
		struct hrtf_set *h = load_ok(names[i], RATE);
		int len = 0, e = 0;
		struct MYSOFA_EASY *easy = mysofa_open(names[i], (float)RATE, &len, &e);
		ck_assert_ptr_nonnull(easy);
		const struct MYSOFA_HRTF *mh = easy->hrtf;
		ck_assert_uint_eq(h->n_dirs, mh->M);
		ck_assert_uint_eq(h->length, mh->N);
		ck_assert_uint_eq(h->length, (unsigned)len);
		ck_assert(memcmp(h->ir, mh->DataIR.values, (size_t)mh->M * 2 * mh->N * sizeof *h->ir) == 0);
		float radius = 0.0f;
		for (unsigned d = 0; d < h->n_dirs; d++)
			radius = fmaxf(radius, h->distance[d]);
		unsigned differ = 0, looked_up = 0;
		for (int ei = 0; ei < HRTF_GRID_EL; ei++)
			for (int ai = 0; ai < HRTF_GRID_AZ; ai++) {
				double el = (ei - 90) * M_PI / 180.0, az = grid_az(ai) * M_PI / 180.0;
				float c[3] = { (float)(cos(el) * cos(az) * radius), (float)(cos(el) * sin(az) * radius),
					       (float)(sin(el) * radius) };
				int idx = mysofa_lookup(easy->lookup, c);
				if (idx < 0)
					continue;
				looked_up++;
				differ += h->table[(size_t)ei * HRTF_GRID_AZ + (size_t)ai] != (uint32_t)idx;
			}
		ck_assert_uint_eq(differ, 0);
		ck_assert_uint_gt(looked_up, HRTF_GRID_EL * HRTF_GRID_AZ / 2);
		mysofa_close(easy);
		hrtf_free(h);
	}
	ck_assert(no_children());
}
END_TEST

/* ------------------------------------------------------------------ */

static Suite *hrtf_suite(void)
{
	Suite *s = suite_create("hrtf");
	const bool shared = shared_dir() != NULL;
	if (!shared)
		printf("note: %s/../shared/sofa is absent: tests of the shared SOFA sets skipped\n",
		       getenv("top_srcdir") ? getenv("top_srcdir") : ".");

	TCase *tc = tcase_create("Load");
	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, kemar_setup, kemar_teardown);
	tcase_add_test(tc, load_default_set);
	tcase_add_test(tc, load_matches_mysofa_open);
	tcase_add_test(tc, load_at_other_rates);
	tcase_add_test(tc, load_left_ear_first);
	suite_add_tcase(s, tc);

	tc = tcase_create("Lookup");
	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, kemar_setup, kemar_teardown);
	tcase_add_test(tc, lookup_measured_direction_exact);
	tcase_add_test(tc, lookup_matches_brute_force);
	tcase_add_test(tc, lookup_wraps_and_clamps);
	suite_add_tcase(s, tc);

	tc = tcase_create("Delays");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, delay_integer_moves_unchanged);
	tcase_add_test(tc, delay_fractional_impulse);
	tcase_add_test(tc, delay_fractional_sine);
	if (shared) {
		tcase_add_test(tc, delay_units_follow_rate);
		tcase_add_test(tc, delay_baked_integer);
		tcase_add_test(tc, delay_baked_fractional);
		tcase_add_test(tc, delay_none_pulse);
	}
	suite_add_tcase(s, tc);

	if (shared) {
		tc = tcase_create("SharedSets");
		tcase_set_timeout(tc, 120);
		tcase_add_test(tc, shared_sets_load);
		suite_add_tcase(s, tc);
	}

	tc = tcase_create("Refuse");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, refuse_missing_file);
	tcase_add_test(tc, refuse_not_sofa);
	tcase_add_test(tc, refuse_bad_arguments);
	if (shared) {
		tcase_add_test(tc, refuse_every_bad_file);
		tcase_add_test(tc, refuse_filter_length_zero);
	}
	suite_add_tcase(s, tc);

	tc = tcase_create("Limits");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, limit_fifo_refused);
	tcase_add_test(tc, limit_devices_refused);
	tcase_add_test(tc, limit_size_refused);
	tcase_add_test(tc, limit_time);
	tcase_add_test(tc, limit_cancelled_before);
	tcase_add_test(tc, limit_cancelled_during);
	tcase_add_test(tc, limit_child_crash);
	tcase_add_test(tc, limit_child_same_as_in_process);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(hrtf_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
