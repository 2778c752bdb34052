/* The partitioned convolver against an independent direct convolution. */
#include "config.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "prep/hrtf.h"
#include "rt/binaural.h"

#define N_DIRS 3

/* A made-up HRTF set: random decaying IRs, every direction in the table
 * pointing at direction 0. Length deliberately not a multiple of blocks. */
static struct hrtf_set *fake_set(unsigned length, unsigned seed)
{
	struct hrtf_set *h = calloc(1, sizeof *h);
	h->rate = 48000;
	h->n_dirs = N_DIRS;
	h->length = length;
	h->ir = calloc((size_t)N_DIRS * 2 * length, sizeof(float));
	h->table = calloc(HRTF_GRID_AZ * HRTF_GRID_EL, sizeof(uint32_t));
	srand(seed);
	for (size_t i = 0; i < (size_t)N_DIRS * 2 * length; i++) {
		float t = (float)(i % length);
		h->ir[i] = ((float)rand() / (float)RAND_MAX - 0.5f) * expf(-t / 80.0f);
	}
	return h;
}

static void free_set(struct hrtf_set *h)
{
	free(h->ir);
	free(h->table);
	free(h);
}

static float *noise(size_t n, unsigned seed)
{
	float *x = malloc(n * sizeof(float));
	srand(seed);
	for (size_t i = 0; i < n; i++)
		x[i] = (float)rand() / (float)RAND_MAX - 0.5f;
	return x;
}

/* y[n] = sum_k x[n-k] h[k], in double. */
static double direct(const float *x, size_t n, const float *h, unsigned len)
{
	double acc = 0.0;
	for (unsigned k = 0; k < len && k <= n; k++)
		acc += (double)x[n - k] * (double)h[k];
	return acc;
}

static const unsigned blocks[] = { 16, 32, 64, 128, 256, 512 };

/* The daemon plans with FFTW_MEASURE, renders with FFTW_ESTIMATE: both
 * must give the same result (FFTW's new-array execute has conditions). */
START_TEST(static_source_matches_direct_convolution)
{
	const unsigned P = blocks[_i / 2];
	const unsigned flags = _i % 2 ? FFTW_MEASURE : FFTW_ESTIMATE;
	const unsigned L = 300;
	struct hrtf_set *h = fake_set(L, 7);
	struct binaural *b = binaural_new(h, P, 2, flags);
	ck_assert_ptr_nonnull(b);
	/* FFTW's new-array execute of the inverse plan needs every accumulator
	 * pair laid out like the pair it was planned with. */
	for (int a = 0; a < BIN_ACCS; a++)
		for (int ear = 0; ear < 2; ear++) {
			ck_assert(b->acc_im[a][ear] - b->acc_re[a][ear] == b->acc_im[0][0] - b->acc_re[0][0]);
			ck_assert_int_eq(fftwf_alignment_of(b->acc_re[a][ear]), fftwf_alignment_of(b->acc_re[0][0]));
		}
	const size_t total = (size_t)P * ((2048 + P - 1) / P);
	float *x = noise(total, 3);
	float *l = malloc(total * sizeof(float)), *r = malloc(total * sizeof(float));
	for (size_t t = 0; t < total; t += P) {
		binaural_begin(b);
		binaural_add(b, 1, x + t, 2);
		binaural_end(b, l + t, r + t);
	}
	double max_err = 0.0, max_ref = 0.0;
	for (size_t n = 0; n < total; n++) {
		double rl = direct(x, n, hrtf_ir(h, 2, 0), L), rr = direct(x, n, hrtf_ir(h, 2, 1), L);
		max_err = fmax(max_err, fmax(fabs(rl - l[n]), fabs(rr - r[n])));
		max_ref = fmax(max_ref, fabs(rl));
	}
	ck_assert_msg(max_ref > 0.1, "reference is silent");
	ck_assert_msg(max_err < 1e-3 * max_ref, "block %u, %s: error %g (peak %g)", P,
		      flags == FFTW_MEASURE ? "FFTW_MEASURE" : "FFTW_ESTIMATE", max_err, max_ref);
	free(x);
	free(l);
	free(r);
	binaural_free(b);
	free_set(h);
}
END_TEST

START_TEST(sources_sum_linearly)
{
	const unsigned P = 64, L = 200;
	struct hrtf_set *h = fake_set(L, 11);
	struct binaural *b = binaural_new(h, P, 4, FFTW_ESTIMATE);
	const size_t total = 64 * 20;
	float *x0 = noise(total, 5), *x1 = noise(total, 6);
	float *l = malloc(total * sizeof(float)), *r = malloc(total * sizeof(float));
	for (size_t t = 0; t < total; t += P) {
		binaural_begin(b);
		binaural_add(b, 0, x0 + t, 0);
		binaural_add(b, 3, x1 + t, 1);
		binaural_end(b, l + t, r + t);
	}
	double max_err = 0.0;
	for (size_t n = 0; n < total; n++) {
		double rl = direct(x0, n, hrtf_ir(h, 0, 0), L) + direct(x1, n, hrtf_ir(h, 1, 0), L);
		double rr = direct(x0, n, hrtf_ir(h, 0, 1), L) + direct(x1, n, hrtf_ir(h, 1, 1), L);
		max_err = fmax(max_err, fmax(fabs(rl - l[n]), fabs(rr - r[n])));
	}
	ck_assert_msg(max_err < 1e-4, "error %g", max_err);
	free(x0);
	free(x1);
	free(l);
	free(r);
	binaural_free(b);
	free_set(h);
}
END_TEST

/* A direction change crossfades old and new filter output over one block
 * with windows that sum to one: no click, no level bump. */
START_TEST(direction_change_crossfades)
{
	const unsigned P = 128, L = 256;
	struct hrtf_set *h = fake_set(L, 13);
	struct binaural *b = binaural_new(h, P, 1, FFTW_ESTIMATE);
	const size_t total = P * 12, change = P * 6;
	float *x = noise(total, 9);
	float *l = malloc(total * sizeof(float)), *r = malloc(total * sizeof(float));
	for (size_t t = 0; t < total; t += P) {
		binaural_begin(b);
		binaural_add(b, 0, x + t, t < change ? 0 : 1);
		binaural_end(b, l + t, r + t);
	}
	double max_err = 0.0;
	for (size_t n = 0; n < total; n++) {
		double old = direct(x, n, hrtf_ir(h, 0, 0), L), nw = direct(x, n, hrtf_ir(h, 1, 0), L);
		double ref;
		if (n < change)
			ref = old;
		else if (n >= change + P)
			ref = nw;
		else {
			double w = b->fade_in[n - change];
			ck_assert(w >= 0.0 && w <= 1.0);
			ref = (1.0 - w) * old + w * nw;
		}
		max_err = fmax(max_err, fabs(ref - l[n]));
	}
	ck_assert_msg(max_err < 1e-4, "error %g", max_err);
	for (unsigned i = 1; i < P; i++)
		ck_assert(b->fade_in[i] > b->fade_in[i - 1]);
	free(x);
	free(l);
	free(r);
	binaural_free(b);
	free_set(h);
}
END_TEST

/* Silence in gives exact silence out, and a source that falls silent
 * stops costing anything without cutting its tail short. */
START_TEST(silent_source_tail_is_complete)
{
	const unsigned P = 32, L = 300;
	struct hrtf_set *h = fake_set(L, 17);
	struct binaural *b = binaural_new(h, P, 1, FFTW_ESTIMATE);
	const size_t total = P * 40;
	float *x = calloc(total, sizeof(float));
	float *l = malloc(total * sizeof(float)), *r = malloc(total * sizeof(float));
	x[P * 2 + 5] = 1.0f; /* one impulse */
	for (size_t t = 0; t < total; t += P) {
		binaural_begin(b);
		binaural_add(b, 0, x + t, 1);
		binaural_end(b, l + t, r + t);
	}
	for (size_t n = 0; n < total; n++) {
		size_t at = P * 2 + 5;
		float ref = n >= at && n - at < L ? hrtf_ir(h, 1, 1)[n - at] : 0.0f;
		ck_assert_msg(fabsf(r[n] - ref) < 1e-5f, "frame %zu: %g vs %g", n, r[n], ref);
	}
	free(x);
	free(l);
	free(r);
	binaural_free(b);
	free_set(h);
}
END_TEST

/* Source spectra are summed per ear before the inverse FFT: a block costs
 * the same number of inverse FFTs for 1 source as for 64, moving or not. */
START_TEST(inverse_ffts_do_not_grow_with_sources)
{
	const unsigned P = 64;
	struct hrtf_set *h = fake_set(200, 19);
	struct binaural *b = binaural_new(h, P, 64, FFTW_ESTIMATE);
	float *x = noise(P, 21), l[64], r[64];
	const unsigned counts[] = { 1, 64 };
	for (int moving = 0; moving < 2; moving++)
		for (size_t k = 0; k < 2; k++) {
			for (int block = 0; block < 3; block++) {
				binaural_begin(b);
				for (unsigned s = 0; s < counts[k]; s++)
					binaural_add(b, s, x, moving ? (unsigned)(block % 3) : 0);
				binaural_end(b, l, r);
			}
			ck_assert_msg(b->inverse_ffts == (moving ? 6u : 2u), "%u sources%s: %u inverse FFTs",
				      counts[k], moving ? " moving" : "", b->inverse_ffts);
		}
	free(x);
	binaural_free(b);
	free_set(h);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("binaural");
	TCase *tc = tcase_create("Convolution");
	tcase_add_loop_test(tc, static_source_matches_direct_convolution, 0,
			    2 * (int)(sizeof blocks / sizeof blocks[0]));
	tcase_add_test(tc, sources_sum_linearly);
	tcase_add_test(tc, silent_source_tail_is_complete);
	tcase_add_test(tc, inverse_ffts_do_not_grow_with_sources);
	suite_add_tcase(s, tc);
	TCase *tm = tcase_create("Movement");
	tcase_add_test(tm, direction_change_crossfades);
	suite_add_tcase(s, tm);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
