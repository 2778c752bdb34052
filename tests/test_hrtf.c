#include "config.h"
#include "common/limits.h"
#include "prep/hrtf.h"

#include <check.h>
#include <fftw3.h>
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

/* The stored responses are libmysofa's (mh, opened at the same rate)
 * moved earlier by their delays less the file's own Data.Delay (and less
 * delay_late): the worst difference over every direction and ear, in dB
 * against the response, in the samples kept and below 18 kHz (what is cut
 * with the samples long before an onset is mostly ripple at the Nyquist
 * frequency: LISTEN's responses start with it). The reference is moved by
 * an exact phase ramp on a zero-padded FFT, not by the loader's windowed
 * sinc. */
static double worst_alignment_error(const struct hrtf_set *h, const struct MYSOFA_HRTF *mh)
{
	ck_assert_uint_eq(mh->M, h->n_dirs);
	ck_assert_uint_le(mh->N, h->length);
	ck_assert_uint_le(h->length, mh->N + 9);
	unsigned N = 1024;
	while (N < 4 * h->length)
		N *= 2;
	fftwf_complex *a = fftwf_malloc(N * sizeof *a), *b = fftwf_malloc(N * sizeof *b);
	fftwf_plan fa = fftwf_plan_dft_1d((int)N, a, a, FFTW_FORWARD, FFTW_ESTIMATE);
	fftwf_plan fb = fftwf_plan_dft_1d((int)N, b, b, FFTW_FORWARD, FFTW_ESTIMATE);
	fftwf_plan ia = fftwf_plan_dft_1d((int)N, a, a, FFTW_BACKWARD, FFTW_ESTIMATE);
	fftwf_plan ib = fftwf_plan_dft_1d((int)N, b, b, FFTW_BACKWARD, FFTW_ESTIMATE);
	const unsigned nd = mh->DataDelay.values ? mh->DataDelay.elements : 0;
	const unsigned top = (unsigned)(18000.0 * N / h->rate);
	double worst = -400.0;
	for (unsigned d = 0; d < h->n_dirs; d++)
		for (int ear = 0; ear < 2; ear++) {
			const float *raw = mh->DataIR.values + ((size_t)d * 2 + (size_t)ear) * mh->N;
			const float *ir = hrtf_ir(h, d, ear);
			double own = nd == 2 ? mh->DataDelay.values[ear] : 0.0;
			double shift = h->delay[2 * d + (unsigned)ear] - own - h->delay_late;
			memset(a, 0, N * sizeof *a);
			memset(b, 0, N * sizeof *b);
			for (unsigned i = 0; i < mh->N; i++)
				a[i][0] = raw[i];
			for (unsigned i = 0; i < h->length; i++)
				b[i][0] = ir[i];
			fftwf_execute(fa);
			fftwf_execute(fb);
			for (unsigned k = 0; k < N; k++) {
				long f = k <= N / 2 ? (long)k : (long)k - (long)N;
				if (labs(f) > (long)top) {
					a[k][0] = a[k][1] = b[k][0] = b[k][1] = 0.0f;
					continue;
				}
				/* raw(i + shift): times e^{j w shift} */
				double w = 2.0 * M_PI * (double)f / N, c = cos(w * shift), sn = sin(w * shift);
				double re = a[k][0], im = a[k][1];
				a[k][0] = (float)(re * c - im * sn);
				a[k][1] = (float)(re * sn + im * c);
			}
			fftwf_execute(ia);
			fftwf_execute(ib);
			double e = 0.0, r = 0.0;
			for (unsigned i = 0; i < h->length; i++) {
				double dr = (a[i][0] - b[i][0]) / N;
				e += dr * dr;
				r += (double)a[i][0] / N * a[i][0] / N;
			}
			worst = fmax(worst, 10.0 * log10(e / r + 1e-40));
		}
	fftwf_destroy_plan(fa);
	fftwf_destroy_plan(fb);
	fftwf_destroy_plan(ia);
	fftwf_destroy_plan(ib);
	fftwf_free(a);
	fftwf_free(b);
	return worst;
}

/* Where |x| first reaches -20 dB below its peak, looked for on x
 * upsampled 32 times through an FFT (not the loader's interpolator). */
static double onset_20db(const float *x, unsigned n)
{
	const unsigned N = 2048, U = 32, M = N * U;
	ck_assert_uint_le(n, N / 2);
	fftwf_complex *a = fftwf_malloc(N * sizeof *a), *f = fftwf_malloc(M * sizeof *f),
		      *y = fftwf_malloc(M * sizeof *y);
	fftwf_plan fw = fftwf_plan_dft_1d((int)N, a, a, FFTW_FORWARD, FFTW_ESTIMATE);
	fftwf_plan bw = fftwf_plan_dft_1d((int)M, f, y, FFTW_BACKWARD, FFTW_ESTIMATE);
	memset(a, 0, N * sizeof *a);
	for (unsigned i = 0; i < n; i++)
		a[i][0] = x[i];
	fftwf_execute(fw);
	memset(f, 0, M * sizeof *f);
	for (unsigned k = 0; k < N / 2; k++) {
		f[k][0] = a[k][0];
		f[k][1] = a[k][1];
		if (k) {
			f[M - k][0] = a[N - k][0];
			f[M - k][1] = a[N - k][1];
		}
	}
	f[N / 2][0] = f[M - N / 2][0] = a[N / 2][0] / 2;
	fftwf_execute(bw);
	double pk = 0.0;
	for (unsigned i = 0; i < M; i++)
		pk = fmax(pk, fabs(y[i][0]));
	double t = pk * 0.1, on = 0.0;
	for (unsigned i = 1; i < M; i++)
		if (fabs(y[i][0]) >= t) {
			double lo = fabs(y[i - 1][0]), hi = fabs(y[i][0]);
			on = (i - 1 + (t - lo) / (hi - lo)) / U;
			break;
		}
	fftwf_destroy_plan(fw);
	fftwf_destroy_plan(bw);
	fftwf_free(a);
	fftwf_free(f);
	fftwf_free(y);
	return on;
}

/* The triangle of q (a unit vector) found as the renderer finds it: from
 * the cell of the nearest grid direction, across edges q is beyond.
 * w: barycentric weights (helpers included). */
static unsigned mesh_find(const struct hrtf_set *h, unsigned shell, double az, double el, double w[3])
{
	const struct hrtf_mesh *m = &h->mesh;
	double q[3];
	unit_vector(az, el, q);
	long ai = lround(az);
	ai = ((ai % 360) + 360) % 360;
	long ei = lround(el) + 90;
	unsigned t = m->cell[((size_t)shell * HRTF_GRID_EL + (size_t)ei) * HRTF_GRID_AZ + (size_t)ai];
	for (int step = 0; step < 8; step++) {
		const struct hrtf_tri *T = &m->tri[t];
		int worst = -1;
		double low = -1e-6;
		for (int r = 0; r < 3; r++) {
			w[r] = T->m[3 * r] * q[0] + T->m[3 * r + 1] * q[1] + T->m[3 * r + 2] * q[2];
			if (w[r] < low && T->nb[r] >= 0) {
				low = w[r];
				worst = r;
			}
		}
		if (worst < 0)
			break;
		t = (unsigned)T->nb[worst];
	}
	return t;
}

/* For a set measured all round the head: the triangles close a sphere
 * (Euler: 2 V - 4 of them, neighbours mutual, no helper left), every
 * distinct measured direction is a vertex, and any direction lies in the
 * triangle the renderer finds for it, at weights that give it back. */
static void check_mesh_closed(const struct hrtf_set *h, const char *name)
{
	const struct hrtf_mesh *m = &h->mesh;
	ck_assert_uint_eq(m->n_shells, 1);
	ck_assert_uint_gt(m->n_tris, 0);
	unsigned n_vert = h->n_dirs + m->n_virtual;
	bool *used = calloc(n_vert, sizeof *used);
	for (unsigned t = 0; t < m->n_tris; t++)
		for (int i = 0; i < 3; i++) {
			uint32_t v = m->tri[t].v[i];
			ck_assert_msg(v != HRTF_NO_VERTEX, "%s: triangle %u keeps a helper", name, t);
			ck_assert_uint_lt(v, n_vert);
			used[v] = true;
			int32_t nb = m->tri[t].nb[i];
			ck_assert(nb >= 0 && (unsigned)nb < m->n_tris);
			bool back = false;
			for (int j = 0; j < 3; j++)
				back |= m->tri[nb].nb[j] == (int32_t)t;
			ck_assert(back);
		}
	unsigned distinct = 0;
	for (unsigned v = 0; v < n_vert; v++) {
		bool repeat = false;
		for (unsigned u = 0; v < h->n_dirs && u < v && !repeat; u++)
			repeat = dir_angle(h, u, v) < 1e-3;
		if (repeat)
			continue;
		distinct++;
		ck_assert_msg(used[v], "%s: direction %u is no vertex", name, v);
	}
	ck_assert_uint_eq(m->n_tris, 2 * distinct - 4);
	free(used);
	srand(7);
	for (int k = 0; k < 20000; k++) {
		double az = rand() / (double)RAND_MAX * 360.0 - 180.0;
		double el = asin(rand() / (double)RAND_MAX * 2.0 - 1.0) * 180.0 / M_PI;
		double w[3], q[3], back[3] = { 0, 0, 0 }, sum = 0.0;
		const struct hrtf_tri *T = &m->tri[mesh_find(h, 0, az, el, w)];
		unit_vector(az, el, q);
		for (int r = 0; r < 3; r++) {
			if (w[r] < -1e-5)
				ck_abort_msg("%s: (%g, %g) is outside its triangle (weight %g)", name, az, el, w[r]);
			double u[3];
			if (T->v[r] < h->n_dirs)
				unit_vector(h->azimuth[T->v[r]], h->elevation[T->v[r]], u);
			else
				for (int c = 0; c < 3; c++)
					u[c] = m->virt_unit[3 * (T->v[r] - h->n_dirs) + (unsigned)c];
			for (int c = 0; c < 3; c++)
				back[c] += w[r] * u[c];
			sum += w[r];
		}
		for (int c = 0; c < 3; c++)
			if (fabs(back[c] - q[c]) > 1e-4)
				ck_abort_msg("%s: (%g, %g) weights give %g %g %g back", name, az, el, back[0],
					     back[1], back[2]);
		ck_assert(sum >= 1.0 - 1e-4);
	}
}

/* A set made by hand: directions only. */
static struct hrtf_set *made_set(unsigned n, const float *az, const float *el, const float *dist)
{
	struct hrtf_set *h = calloc(1, sizeof *h);
	h->n_dirs = n;
	h->azimuth = malloc(n * sizeof(float));
	h->elevation = malloc(n * sizeof(float));
	h->distance = malloc(n * sizeof(float));
	memcpy(h->azimuth, az, n * sizeof(float));
	memcpy(h->elevation, el, n * sizeof(float));
	memcpy(h->distance, dist, n * sizeof(float));
	char err[256];
	ck_assert_msg(hrtf_mesh_build(h, err, sizeof err) == 0, "%s", err);
	return h;
}

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
	/* No Data.Delay per direction: the onsets were measured and taken
	 * out, and the largest is max_delay. */
	ck_assert(h->delay_measured);
	float most = 0.0f;
	for (unsigned i = 0; i < 2 * h->n_dirs; i++) {
		ck_assert(h->delay[i] >= 0.0f && h->delay[i] <= h->max_delay);
		most = fmaxf(most, h->delay[i]);
	}
	ck_assert_float_eq(most, h->max_delay);
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
 * directions as mysofa_open gives, and the same filters once each is put
 * back at its delay (within -60 dB: the loader's 64-tap windowed sinc
 * against an exact phase ramp, and the few samples before each onset that
 * were cut). */
START_TEST(load_matches_mysofa_open)
{
	struct hrtf_set *h = load_ok(default_sofa(), RATE);
	int len = 0, e = 0;
	struct MYSOFA_EASY *easy = mysofa_open(default_sofa(), (float)RATE, &len, &e);
	ck_assert_ptr_nonnull(easy);
	struct MYSOFA_HRTF *mh = easy->hrtf;
	ck_assert_uint_eq(mh->M, h->n_dirs);
	ck_assert_uint_eq(mh->N, h->length);
	for (unsigned d = 0; d < h->n_dirs; d++) {
		const float *p = mh->SourcePosition.values + 3 * (size_t)d;
		double az = atan2(p[1], p[0]) * 180.0 / M_PI;
		double el = atan2(p[2], hypot(p[0], p[1])) * 180.0 / M_PI;
		ck_assert_msg(angle_deg(az, el, h->azimuth[d], h->elevation[d]) < 1e-3,
			      "direction %u: %g/%g vs %g/%g", d, az, el, (double)h->azimuth[d],
			      (double)h->elevation[d]);
	}
	double worst = worst_alignment_error(h, mh);
	printf("KEMAR: aligned responses put back at their delays differ from libmysofa's by %.1f dB "
	       "at worst\n", worst);
	ck_assert_msg(worst < -60.0, "%g dB", worst);
	mysofa_close(easy);
	hrtf_free(h);
}


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

/* tester2 has a Data.Delay per direction: the responses are kept exactly
 * as libmysofa gives them and the delays apart (negative delays move the
 * whole set later by the most negative one, 1249 samples). At the file's
 * rate they are whole samples. */
START_TEST(delay_kept_apart_integer)
{
	char path[4200];
	shared_file(path, sizeof path, "tester2.sofa");
	struct hrtf_set *h = load_ok(path, 48000);
	int len = 0, e = 0;
	struct MYSOFA_EASY *easy = mysofa_open(path, 48000.0f, &len, &e);
	ck_assert_ptr_nonnull(easy);
	const struct MYSOFA_HRTF *mh = easy->hrtf;
	ck_assert_uint_eq(h->n_dirs, mh->M);
	ck_assert_uint_eq(h->length, mh->N);
	ck_assert(!h->delay_measured);
	ck_assert(memcmp(h->ir, mh->DataIR.values, (size_t)mh->M * 2 * mh->N * sizeof *h->ir) == 0);
	for (unsigned m = 0; m < h->n_dirs; m++)
		for (int ear = 0; ear < 2; ear++) {
			float raw = mh->DataDelay.values[2 * m + (unsigned)ear];
			float want = ear == 0 ? (float)m + 1249.0f : 1249.0f - (float)m;
			ck_assert_float_eq_tol(raw + 1249.0f, want, 1e-3f);
			if (h->delay[2 * m + (unsigned)ear] != want)
				ck_abort_msg("direction %u ear %d: delay %g, want %g", m, ear,
					     (double)h->delay[2 * m + (unsigned)ear], (double)want);
		}
	mysofa_close(easy);
	hrtf_free(h);
}
END_TEST

/* At 44.1 kHz the delays are fractional: kept exactly, scaled to the
 * rate, and the responses untouched. */
START_TEST(delay_kept_apart_fractional)
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
	ck_assert_uint_eq(h->length, mh->N);
	ck_assert(memcmp(h->ir, mh->DataIR.values, (size_t)mh->M * 2 * mh->N * sizeof *h->ir) == 0);
	unsigned fractional = 0;
	for (unsigned m = 0; m < h->n_dirs; m++)
		for (int ear = 0; ear < 2; ear++) {
			double want = (ear == 0 ? 1249.0 + m : 1249.0 - m) * scale;
			double got = h->delay[2 * m + (unsigned)ear];
			if (fabs(got - want) > 2e-3)
				ck_abort_msg("direction %u ear %d: delay %g, want %g", m, ear, got, want);
			fractional += fabs(got - round(got)) > 0.01;
		}
	ck_assert_uint_gt(fractional, h->n_dirs);
	mysofa_close(easy);
	hrtf_free(h);
}
END_TEST

/* Pulse.sofa: a unit pulse at tap 100 in every direction, no delays: the
 * measured onset is taken out (whole samples: every pulse lands on the
 * same tap, unchanged) and comes back as the delay. */
START_TEST(delay_measured_pulse)
{
	char path[4200];
	shared_file(path, sizeof path, "Pulse.sofa");
	struct hrtf_set *h = load_ok(path, 48000);
	ck_assert_uint_eq(h->n_dirs, 1250);
	ck_assert_uint_eq(h->length, 256);
	ck_assert(h->delay_measured);
	for (unsigned d = 0; d < h->n_dirs; d++)
		for (int ear = 0; ear < 2; ear++) {
			const float *ir = hrtf_ir(h, d, ear);
			unsigned peak = 0;
			for (unsigned i = 1; i < h->length; i++)
				if (fabsf(ir[i]) > fabsf(ir[peak]))
					peak = i;
			float dl = h->delay[2 * d + (unsigned)ear];
			ck_assert_float_eq(dl, roundf(dl));
			ck_assert_uint_eq(peak + (unsigned)dl, 100);
			ck_assert_uint_le(peak, 10);
			ck_assert(energy(ir, h->length) == (double)ir[peak] * ir[peak]);
		}
	hrtf_free(h);
}
END_TEST

static double corr_lag(const float *a, const float *b, unsigned n, int lag)
{
	double s = 0.0, ea = 0.0, eb = 0.0;
	for (unsigned i = 0; i < n; i++) {
		ea += (double)a[i] * a[i];
		eb += (double)b[i] * b[i];
		long j = (long)i + lag;
		if (j >= 0 && j < (long)n)
			s += (double)a[i] * b[j];
	}
	return s / sqrt(ea * eb);
}

/* MIT KEMAR: the stored responses are in step: two neighbours (an edge of
 * the triangulation) correlate best with no lag between them, so blends
 * add up instead of comb-filtering; they start together (the -20 dB
 * onsets within a few samples: the threshold's onsets, moved to where
 * neighbours agree); and the delays taken out are what a listener hears
 * as the interaural time difference: about 0.6 ms, left ear first, for a
 * source at +90; mirrored at -90; none in front. */
START_TEST(onsets_aligned_itd_kept)
{
	ck_assert_ptr_nonnull(kemar);
	const struct hrtf_set *h = kemar;
	double lo = 1e9, hi = -1e9;
	for (unsigned d = 0; d < h->n_dirs; d++)
		for (int ear = 0; ear < 2; ear++) {
			double o = onset_20db(hrtf_ir(h, d, ear), h->length);
			lo = fmin(lo, o);
			hi = fmax(hi, o);
		}
	printf("KEMAR: aligned onsets %.3f .. %.3f\n", lo, hi);
	ck_assert_msg(hi - lo < 6.0, "onsets spread over %g samples", hi - lo);
	unsigned edges = 0, in_step = 0, off_by_one = 0;
	double worst = 1.0;
	for (unsigned t = 0; t < h->mesh.n_tris; t++)
		for (int i = 0; i < 3; i++) {
			uint32_t a = h->mesh.tri[t].v[i], b = h->mesh.tri[t].v[(i + 1) % 3];
			if (a >= h->n_dirs || b >= h->n_dirs || a > b)
				continue;
			for (int ear = 0; ear < 2; ear++) {
				const float *x = hrtf_ir(h, a, ear), *y = hrtf_ir(h, b, ear);
				int best = 0;
				for (int lag = -3; lag <= 3; lag++)
					if (corr_lag(x, y, h->length, lag) > corr_lag(x, y, h->length, best))
						best = lag;
				edges++;
				in_step += best == 0;
				/* Pairs that share little (the far ear low down) may
				 * peak anywhere. */
				off_by_one += abs(best) == 1 || corr_lag(x, y, h->length, best) < 0.5;
				worst = fmin(worst, corr_lag(x, y, h->length, 0));
			}
		}
	printf("KEMAR: %u of %u neighbour pairs correlate best in step, %u a sample off or unlike "
	       "(lowest %.3f)\n",
	       in_step, edges, off_by_one, worst);
	/* The rest: the far ear near the interaural axis (95 to 110 degrees
	 * off the front), where sound comes round both sides of the head and
	 * neighbours' responses peak twice. */
	ck_assert_uint_ge(in_step * 100, edges * 97);
	ck_assert_uint_le((edges - in_step - off_by_one) * 200, edges);
	unsigned l = hrtf_nearest(h, 90.0f, 0.0f), r = hrtf_nearest(h, -90.0f, 0.0f),
		 f = hrtf_nearest(h, 0.0f, 0.0f);
	double itd_l = h->delay[2 * l + 1] - h->delay[2 * l], itd_r = h->delay[2 * r + 1] - h->delay[2 * r];
	double itd_f = h->delay[2 * f + 1] - h->delay[2 * f];
	printf("KEMAR ITD: %.2f samples at +90, %.2f at -90, %.2f in front\n", itd_l, itd_r, itd_f);
	ck_assert(itd_l > 0.5e-3 * RATE && itd_l < 0.75e-3 * RATE);
	ck_assert(fabs(itd_l + itd_r) < 0.5);
	ck_assert(fabs(itd_f) < 0.5);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Triangulation */

START_TEST(mesh_default_set)
{
	ck_assert_ptr_nonnull(kemar);
	check_mesh_closed(kemar, "KEMAR");
	/* Measured from -40 degrees up: a virtual vertex below, none above
	 * (90 is measured). */
	ck_assert_uint_eq(kemar->mesh.n_virtual, 1);
	ck_assert_float_eq(kemar->mesh.virt_unit[2], -1.0f);
	unsigned n = kemar->mesh.virt_start[1] - kemar->mesh.virt_start[0];
	ck_assert_uint_gt(n, 20); /* the whole lowest ring */
	for (unsigned j = 0; j < n; j++)
		ck_assert_float_eq_tol(kemar->elevation[kemar->mesh.virt_list[j]], -40.0f, 0.01f);
	ck_assert_float_eq_tol(kemar->mesh.shell_distance[0], 1.4f, 0.01f);
}
END_TEST

/* Sets that do not surround the head: a hemisphere gets a virtual pole
 * below and closes; two directions leave helpers, and every direction
 * still finds a triangle with a measured vertex. */
START_TEST(mesh_partial_sets)
{
	float az[64], el[64], dist[64];
	unsigned n = 0;
	for (int e = 0; e <= 60; e += 30)
		for (int a = -180; a < 180; a += 30) {
			az[n] = (float)a;
			el[n] = (float)e;
			dist[n++] = 1.0f;
		}
	az[n] = 0.0f;
	el[n] = 90.0f;
	dist[n++] = 1.0f;
	struct hrtf_set *h = made_set(n, az, el, dist);
	ck_assert_uint_eq(h->mesh.n_virtual, 1);
	check_mesh_closed(h, "upper hemisphere");
	hrtf_free(h);

	const float a2[2] = { 90.0f, -90.0f }, e2[2] = { 0.0f, 0.0f }, d2[2] = { 1.0f, 1.0f };
	h = made_set(2, a2, e2, d2);
	ck_assert_uint_eq(h->mesh.n_virtual, 2);
	for (int ei = 0; ei < HRTF_GRID_EL; ei += 5)
		for (int ai = 0; ai < HRTF_GRID_AZ; ai += 5) {
			double w[3];
			const struct hrtf_tri *T = &h->mesh.tri[mesh_find(h, 0, grid_az(ai), ei - 90, w)];
			bool measured = false;
			for (int r = 0; r < 3; r++)
				measured |= T->v[r] != HRTF_NO_VERTEX;
			ck_assert(measured);
		}
	hrtf_free(h);
}
END_TEST

/* Directions measured at two distances: a triangulation each, shells in
 * ascending distance, and no triangle mixes them. */
START_TEST(mesh_two_shells)
{
	float az[80], el[80], dist[80];
	unsigned n = 0;
	for (int s = 0; s < 2; s++)
		for (int e = -60; e <= 60; e += 30)
			for (int a = -180; a < 180; a += 45) {
				az[n] = (float)a;
				el[n] = (float)e;
				dist[n++] = s ? 0.25f : 1.5f;
			}
	struct hrtf_set *h = made_set(n, az, el, dist);
	const struct hrtf_mesh *m = &h->mesh;
	ck_assert_uint_eq(m->n_shells, 2);
	ck_assert_float_eq(m->shell_distance[0], 0.25f);
	ck_assert_float_eq(m->shell_distance[1], 1.5f);
	ck_assert_uint_eq(hrtf_mesh_shell(m, 0.1f), 0);
	ck_assert_uint_eq(hrtf_mesh_shell(m, 0.8f), 0);
	ck_assert_uint_eq(hrtf_mesh_shell(m, 1.0f), 1);
	for (unsigned t = 0; t < m->n_tris; t++) {
		int shell = -1;
		for (int i = 0; i < 3; i++) {
			uint32_t v = m->tri[t].v[i];
			ck_assert(v != HRTF_NO_VERTEX);
			if (v >= h->n_dirs)
				continue;
			int sv = h->distance[v] < 1.0f ? 0 : 1;
			ck_assert(shell < 0 || shell == sv);
			shell = sv;
		}
	}
	for (unsigned s = 0; s < 2; s++) {
		double w[3];
		const struct hrtf_tri *T = &m->tri[mesh_find(h, s, 10.0, 5.0, w)];
		for (int i = 0; i < 3; i++)
			ck_assert(T->v[i] >= h->n_dirs || (h->distance[T->v[i]] < 1.0f) == (s == 0));
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
		check_mesh_closed(h, sets[i].name);
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

/* One sample-rate range for all of tingle (common/limits.h): HRTF sets,
 * which tingled prepares at the JACK server's rate, are refused just
 * outside it with the range tingle-render -r gives (tests/render_cli.sh
 * checks that side, and a render at TINGLE_RATE_MAX). */
START_TEST(refuse_rates_beyond_limits)
{
	char err[512], range[64];
	snprintf(range, sizeof range, "(supported: %d to %d Hz)", TINGLE_RATE_MIN, TINGLE_RATE_MAX);
	const unsigned bad[] = { TINGLE_RATE_MAX + 1u, TINGLE_RATE_MIN - 1u, 768000u };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct hrtf_set *h = (struct hrtf_set *)1;
		err[0] = '\0';
		ck_assert_int_lt(hrtf_load(default_sofa(), bad[i], &h, err, sizeof err), 0);
		ck_assert_ptr_null(h);
		char want[128];
		snprintf(want, sizeof want, "cannot prepare HRTFs for %u Hz %s", bad[i], range);
		ck_assert_msg(strstr(err, want), "%u Hz: '%s', expected '%s'", bad[i], err, want);
	}
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

/* Through the child, the set is what libmysofa gives in-process: the same
 * IRs once put back at their delays (as load_matches_mysofa_open), and the
 * same table as libmysofa's own k-d tree (mysofa_open's) gives for each
 * grid point. */
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
		/* IRCAM's LISTEN responses are raw measurements: low-level noise
		 * and ripple long before the direct sound, which the alignment
		 * cuts (about -35 dB of the response at worst). */
		double worst = worst_alignment_error(h, mh);
		double limit = strstr(names[i], "LISTEN") ? -30.0 : -60.0;
		printf("%s: aligned responses differ from libmysofa's by %.1f dB at worst\n", names[i], worst);
		ck_assert_msg(worst < limit, "%s: %g dB", names[i], worst);
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
	tcase_add_test(tc, onsets_aligned_itd_kept);
	suite_add_tcase(s, tc);

	tc = tcase_create("Triangulation");
	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, kemar_setup, kemar_teardown);
	tcase_add_test(tc, mesh_default_set);
	tcase_add_test(tc, mesh_partial_sets);
	tcase_add_test(tc, mesh_two_shells);
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
		tcase_add_test(tc, delay_kept_apart_integer);
		tcase_add_test(tc, delay_kept_apart_fractional);
		tcase_add_test(tc, delay_measured_pulse);
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
	tcase_add_test(tc, refuse_rates_beyond_limits);
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
