/* The binaural renderer, checked the way a listener would: the partitioned
 * convolver against an independent direct convolution (made-up sets with
 * no delays), a source between measured directions heard between them,
 * the file's fractional delays in the output, an orbiting tone without
 * clicks, and the near field and the air doing what a real sound does. */
#include "config.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "prep/hrtf.h"
#include "rt/binaural.h"

#ifndef TINGLE_DEFAULT_SOFA
#define TINGLE_DEFAULT_SOFA "/usr/share/libmysofa/default.sofa"
#endif

/* ------------------------------------------------------------------ */
/* Made-up sets: six directions (front, left, back, right, up, down) with
 * random decaying IRs and no delays, so the renderer is a plain
 * convolution with the IR of a measured direction. Length deliberately
 * not a multiple of blocks. */

#define N_DIRS 6
static const float fake_az[N_DIRS] = { 0, 90, 180, -90, 0, 0 };
static const float fake_el[N_DIRS] = { 0, 0, 0, 0, 90, -90 };

static struct hrtf_set *fake_set(unsigned length, unsigned seed)
{
	struct hrtf_set *h = calloc(1, sizeof *h);
	h->rate = 48000;
	h->n_dirs = N_DIRS;
	h->length = length;
	h->ir = calloc((size_t)N_DIRS * 2 * length, sizeof(float));
	h->delay = calloc((size_t)N_DIRS * 2, sizeof(float));
	h->table = calloc(HRTF_GRID_AZ * HRTF_GRID_EL, sizeof(uint32_t));
	h->azimuth = malloc(N_DIRS * sizeof(float));
	h->elevation = malloc(N_DIRS * sizeof(float));
	h->distance = malloc(N_DIRS * sizeof(float));
	for (int d = 0; d < N_DIRS; d++) {
		h->azimuth[d] = fake_az[d];
		h->elevation[d] = fake_el[d];
		h->distance[d] = 1.0f;
	}
	srand(seed);
	for (size_t i = 0; i < (size_t)N_DIRS * 2 * length; i++) {
		float t = (float)(i % length);
		h->ir[i] = ((float)rand() / (float)RAND_MAX - 0.5f) * expf(-t / 80.0f);
	}
	char err[256];
	ck_assert_msg(hrtf_mesh_build(h, err, sizeof err) == 0, "%s", err);
	return h;
}

static struct bin_place at(unsigned d)
{
	return (struct bin_place){ fake_az[d], fake_el[d], 1.0f };
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

/* Source 0 fed x (total samples, a whole number of blocks), its place
 * from place(block, ctx) each block (NULL: unchanged). */
typedef const struct bin_place *(*place_fn)(size_t block, void *ctx);

static void render(struct binaural *b, const float *x, size_t total, place_fn place, void *ctx,
		   float *l, float *r)
{
	const unsigned P = b->block;
	for (size_t t = 0, k = 0; t + P <= total; t += P, k++) {
		binaural_begin(b);
		binaural_add(b, 0, x ? x + t : NULL, place(k, ctx));
		binaural_end(b, l + t, r + t);
	}
}

static const struct bin_place *fixed(size_t block, void *ctx)
{
	(void)block;
	return ctx;
}

static const unsigned blocks[] = { 16, 32, 40, 64, 100, 128, 256, 512 };

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
	ck_assert(!b->delays);
	/* FFTW's new-array execute of the inverse plan needs every accumulator
	 * pair laid out like the pair it was planned with. */
	for (int a = 0; a < BIN_ACCS; a++)
		for (int ear = 0; ear < 2; ear++) {
			ck_assert(b->acc_im[a][ear] - b->acc_re[a][ear] == b->acc_im[0][0] - b->acc_re[0][0]);
			ck_assert_int_eq(fftwf_alignment_of(b->acc_re[a][ear]), fftwf_alignment_of(b->acc_re[0][0]));
		}
	for (unsigned a = 0; a < 2 * b->parts; a++) {
		ck_assert(b->y_im[a] - b->y_re[a] == b->acc_im[0][0] - b->acc_re[0][0]);
		ck_assert_int_eq(fftwf_alignment_of(b->y_re[a]), fftwf_alignment_of(b->acc_re[0][0]));
	}
	/* Long enough for the source to be summed into its direction's delay
	 * line, its own drained, and then some. */
	const size_t total = (size_t)P * (b->agg_after + 2 * b->parts + 8);
	float *x = noise(total, 3);
	float *l = malloc(total * sizeof(float)), *r = malloc(total * sizeof(float));
	struct bin_place p = at(2);
	size_t aggregated = 0;
	for (size_t t = 0; t < total; t += P) {
		binaural_begin(b);
		binaural_add(b, 1, x + t, &p);
		binaural_end(b, l + t, r + t);
		if (b->src[1].agg && !b->src[1].drain)
			aggregated++;
	}
	ck_assert_msg(aggregated >= 8, "block %u: aggregated for %zu blocks only", P, aggregated);
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
	hrtf_free(h);
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
	struct bin_place p0 = at(0), p1 = at(1);
	for (size_t t = 0; t < total; t += P) {
		binaural_begin(b);
		binaural_add(b, 0, x0 + t, &p0);
		binaural_add(b, 3, x1 + t, &p1);
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
	hrtf_free(h);
}
END_TEST

/* Steady sources sharing directions are summed into the directions'
 * delay lines: two at the front all along, one on the left in bursts,
 * asleep between them (its direction's line gets nothing for a while and
 * its stale slots are zeroed when it wakes). The output is still every
 * source's own convolution, summed. */
START_TEST(aggregated_sources_match_direct_convolution)
{
	const unsigned P = 64, L = 200;
	struct hrtf_set *h = fake_set(L, 31);
	struct binaural *b = binaural_new(h, P, 3, FFTW_ESTIMATE);
	const size_t blocks_n = b->agg_after + 330, total = P * blocks_n;
	float *x[3];
	for (int k = 0; k < 3; k++)
		x[k] = noise(total, 50 + (unsigned)k);
	/* Source 2: on, off long enough to sleep, on, off, on. */
	for (size_t t = 0; t < total; t++) {
		size_t blk = t / P, on_from = b->agg_after + 20;
		bool on = blk < on_from || (blk >= on_from + 40 && blk < on_from + 100) || blk >= on_from + 115;
		if (!on)
			x[2][t] = 0.0f;
	}
	float *l = malloc(total * sizeof(float)), *r = malloc(total * sizeof(float));
	const struct bin_place p[3] = { at(0), at(0), at(1) };
	unsigned agg[3] = { 0, 0, 0 }, woke_agg = 0;
	for (size_t t = 0, blk = 0; t < total; t += P, blk++) {
		bool was_asleep = b->src[2].asleep;
		binaural_begin(b);
		for (unsigned s = 0; s < 3; s++)
			binaural_add(b, s, x[s] + t, &p[s]);
		binaural_end(b, l + t, r + t);
		for (unsigned s = 0; s < 3; s++)
			agg[s] += b->src[s].agg;
		if (was_asleep && !b->src[2].asleep && b->src[2].agg)
			woke_agg++;
	}
	ck_assert_msg(agg[0] > 200 && agg[1] > 200 && agg[2] > 100, "aggregated for %u, %u, %u blocks",
		      agg[0], agg[1], agg[2]);
	ck_assert_msg(woke_agg >= 2, "source 2 woke aggregated %u times", woke_agg);
	double max_err = 0.0, max_ref = 0.0;
	for (size_t n = 0; n < total; n++)
		for (int ear = 0; ear < 2; ear++) {
			double ref = 0.0;
			for (unsigned s = 0; s < 3; s++)
				ref += direct(x[s], n, hrtf_ir(h, s == 2 ? 1 : 0, ear), L);
			max_err = fmax(max_err, fabs(ref - (ear ? r[n] : l[n])));
			max_ref = fmax(max_ref, fabs(ref));
		}
	ck_assert_msg(max_err < 1e-4 * fmax(max_ref, 1.0), "error %g (peak %g)", max_err, max_ref);
	for (int k = 0; k < 3; k++)
		free(x[k]);
	free(l);
	free(r);
	binaural_free(b);
	hrtf_free(h);
}
END_TEST

/* Half-way between front and left (an edge of the triangulation) the
 * filter is the two IRs at half weight each: the blend itself, exactly. */
START_TEST(between_two_directions_blends_their_filters)
{
	const unsigned P = 64, L = 200;
	struct hrtf_set *h = fake_set(L, 23);
	struct binaural *b = binaural_new(h, P, 1, FFTW_ESTIMATE);
	const size_t total = 64 * 20;
	float *x = noise(total, 8);
	float *l = malloc(total * sizeof(float)), *r = malloc(total * sizeof(float));
	struct bin_place p = { 45.0f, 0.0f, 1.0f };
	render(b, x, total, fixed, &p, l, r);
	uint32_t v[3];
	float w[3], dl[2];
	binaural_source_state(b, 0, v, w, dl);
	ck_assert_msg(v[2] == BIN_NO_VERTEX && w[2] == 0.0f, "a third vertex: %u %g", v[2], (double)w[2]);
	ck_assert((v[0] == 0 && v[1] == 1) || (v[0] == 1 && v[1] == 0));
	ck_assert_float_eq_tol(w[0], 0.5f, 1e-5f);
	ck_assert_float_eq_tol(w[1], 0.5f, 1e-5f);
	double max_err = 0.0;
	for (size_t n = 0; n < total; n++) {
		double rl = 0.5 * (direct(x, n, hrtf_ir(h, 0, 0), L) + direct(x, n, hrtf_ir(h, 1, 0), L));
		double rr = 0.5 * (direct(x, n, hrtf_ir(h, 0, 1), L) + direct(x, n, hrtf_ir(h, 1, 1), L));
		max_err = fmax(max_err, fmax(fabs(rl - l[n]), fabs(rr - r[n])));
	}
	ck_assert_msg(max_err < 1e-4, "error %g", max_err);
	free(x);
	free(l);
	free(r);
	binaural_free(b);
	hrtf_free(h);
}
END_TEST

/* A direction change fades the input out of the old filter and into the
 * new one over one block, with windows that sum to one: each sample is
 * heard through the blend its place in the block gives, and what came
 * before keeps its filter. No click, no level bump. */
struct change {
	size_t at_block;
	struct bin_place from, to;
};

static const struct bin_place *changing(size_t block, void *ctx)
{
	struct change *c = ctx;
	return block < c->at_block ? &c->from : &c->to;
}

START_TEST(direction_change_crossfades)
{
	const unsigned P = 128, L = 256;
	struct hrtf_set *h = fake_set(L, 13);
	struct binaural *b = binaural_new(h, P, 1, FFTW_ESTIMATE);
	const size_t total = P * 12, change = P * 6;
	float *x = noise(total, 9);
	float *l = malloc(total * sizeof(float)), *r = malloc(total * sizeof(float));
	struct change c = { change / P, at(0), at(1) };
	render(b, x, total, changing, &c, l, r);
	/* The input's share in the new filter: 0, the fade, 1. */
	float *xo = malloc(total * sizeof(float)), *xn = malloc(total * sizeof(float));
	for (size_t n = 0; n < total; n++) {
		double w = n < change ? 0.0 : n >= change + P ? 1.0 : b->fade_in[n - change];
		ck_assert(w >= 0.0 && w <= 1.0);
		xo[n] = (float)(1.0 - w) * x[n];
		xn[n] = (float)w * x[n];
	}
	double max_err = 0.0;
	for (size_t n = 0; n < total; n++) {
		double ref = direct(xo, n, hrtf_ir(h, 0, 0), L) + direct(xn, n, hrtf_ir(h, 1, 0), L);
		max_err = fmax(max_err, fabs(ref - l[n]));
	}
	ck_assert_msg(max_err < 1e-4, "error %g", max_err);
	free(xo);
	free(xn);
	for (unsigned i = 1; i < P; i++)
		ck_assert(b->fade_in[i] > b->fade_in[i - 1]);
	free(x);
	free(l);
	free(r);
	binaural_free(b);
	hrtf_free(h);
}
END_TEST

/* Small moves within a triangle (the old and the new blend share the
 * three directions, with other weights), then staying put: the output is
 * exactly each input sample heard through the blend of its moment, faded
 * from one blend to the next over the block of each change. */
START_TEST(small_moves_crossfade_between_blends)
{
	const unsigned P = 64, L = 200;
	struct hrtf_set *h = fake_set(L, 29);
	const struct bin_place p[3] = { { 20, 30, 1 }, { 25, 32, 1 }, { 27, 35, 1 } };
	/* The blends at the three places: all in the triangle front, left, up. */
	float wt[3][N_DIRS];
	for (int k = 0; k < 3; k++) {
		struct binaural *b = binaural_new(h, P, 1, FFTW_ESTIMATE);
		float one[64] = { 0 }, l[64], r[64];
		binaural_begin(b);
		binaural_add(b, 0, one, &p[k]);
		binaural_end(b, l, r);
		uint32_t v[3];
		float w[3], dl[2];
		binaural_source_state(b, 0, v, w, dl);
		memset(wt[k], 0, sizeof wt[k]);
		for (int i = 0; i < 3; i++) {
			ck_assert_msg(w[i] > 0.0f && (v[i] == 0 || v[i] == 1 || v[i] == 4), "vertex %u weight %g", v[i],
				      (double)w[i]);
			wt[k][v[i]] = w[i];
		}
		binaural_free(b);
	}
	struct binaural *b = binaural_new(h, P, 1, FFTW_ESTIMATE);
	const size_t total = P * 16, change[2] = { P * 5, P * 6 };
	float *x = noise(total, 12);
	float *l = malloc(total * sizeof(float)), *r = malloc(total * sizeof(float));
	for (size_t t = 0, k = 0; t < total; t += P, k++) {
		binaural_begin(b);
		binaural_add(b, 0, x + t, &p[t < change[0] ? 0 : t < change[1] ? 1 : 2]);
		binaural_end(b, l + t, r + t);
	}
	/* Each direction's share of each input sample. */
	float *xd[N_DIRS];
	for (int d = 0; d < N_DIRS; d++) {
		xd[d] = malloc(total * sizeof(float));
		for (size_t n = 0; n < total; n++) {
			double w;
			if (n < change[0])
				w = wt[0][d];
			else if (n < change[1])
				w = (1.0 - b->fade_in[n - change[0]]) * wt[0][d] + b->fade_in[n - change[0]] * wt[1][d];
			else if (n < change[1] + P)
				w = (1.0 - b->fade_in[n - change[1]]) * wt[1][d] + b->fade_in[n - change[1]] * wt[2][d];
			else
				w = wt[2][d];
			xd[d][n] = (float)w * x[n];
		}
	}
	double max_err = 0.0;
	for (size_t n = 0; n < total; n++)
		for (int ear = 0; ear < 2; ear++) {
			double ref = 0.0;
			for (int d = 0; d < N_DIRS; d++)
				ref += direct(xd[d], n, hrtf_ir(h, (unsigned)d, ear), L);
			max_err = fmax(max_err, fabs(ref - (ear ? r[n] : l[n])));
		}
	ck_assert_msg(max_err < 1e-4, "error %g", max_err);
	for (int d = 0; d < N_DIRS; d++)
		free(xd[d]);
	free(x);
	free(l);
	free(r);
	binaural_free(b);
	hrtf_free(h);
}
END_TEST

/* A source gliding a fraction of a degree a block keeps its filter until
 * it is BIN_FILTER_STEP_DEG from where the filter was made for, then
 * changes it (crossfaded); once it stops, it has exactly the blend of
 * where it stopped. */
START_TEST(slow_glide_steps_filters_and_settles)
{
	const unsigned P = 64, L = 200;
	struct hrtf_set *h = fake_set(L, 29);
	struct binaural *b = binaural_new(h, P, 1, FFTW_ESTIMATE);
	struct binaural *ref = binaural_new(h, P, 1, FFTW_ESTIMATE);
	float *x = noise(P, 3), l[64], r[64];
	uint32_t v[3], v0[3], rv[3];
	float w[3], w0[3], rw[3], dl[2], rdl[2];
	struct bin_place p = { 20, 30, 1 };
	binaural_begin(b);
	binaural_add(b, 0, x, &p);
	binaural_end(b, l, r);
	binaural_source_state(b, 0, v0, w0, dl);
	unsigned changes = 0;
	const float step = BIN_FILTER_STEP_DEG / 5.0f;
	for (int k = 1; k <= 20; k++) {
		p.azimuth = 20.0f + step * (float)k;
		binaural_begin(b);
		binaural_add(b, 0, x, &p);
		binaural_end(b, l, r);
		binaural_source_state(b, 0, v, w, dl);
		if (memcmp(w, w0, sizeof w) != 0 || memcmp(v, v0, sizeof v) != 0) {
			changes++;
			memcpy(v0, v, sizeof v);
			memcpy(w0, w, sizeof w);
		}
	}
	/* 20 blocks of a fifth of the step: a change every five blocks or so. */
	ck_assert_msg(changes >= 3 && changes <= 5, "%u filter changes in 20 blocks", changes);
	/* It stops: the next block has the exact blend of where it is. */
	binaural_begin(b);
	binaural_add(b, 0, x, &p);
	binaural_end(b, l, r);
	binaural_source_state(b, 0, v, w, dl);
	binaural_begin(ref);
	binaural_add(ref, 0, x, &p);
	binaural_end(ref, l, r);
	binaural_source_state(ref, 0, rv, rw, rdl);
	for (int i = 0; i < 3; i++) {
		ck_assert_uint_eq(v[i], rv[i]);
		ck_assert_msg(w[i] == rw[i], "weight %d: %g, at rest %g", i, (double)w[i], (double)rw[i]);
	}
	/* The delays follow every block, not the filter's steps. */
	ck_assert_msg(fabsf(dl[0] - rdl[0]) < 1e-4f && fabsf(dl[1] - rdl[1]) < 1e-4f, "delays %g %g, at rest %g %g",
		      (double)dl[0], (double)dl[1], (double)rdl[0], (double)rdl[1]);
	free(x);
	binaural_free(b);
	binaural_free(ref);
	hrtf_free(h);
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
	struct bin_place p = at(1);
	render(b, x, total, fixed, &p, l, r);
	for (size_t n = 0; n < total; n++) {
		size_t at_n = P * 2 + 5;
		float ref = n >= at_n && n - at_n < L ? hrtf_ir(h, 1, 1)[n - at_n] : 0.0f;
		ck_assert_msg(fabsf(r[n] - ref) < 1e-5f, "frame %zu: %g vs %g", n, r[n], ref);
	}
	ck_assert(b->src[0].asleep);
	free(x);
	free(l);
	free(r);
	binaural_free(b);
	hrtf_free(h);
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
				for (unsigned s = 0; s < counts[k]; s++) {
					struct bin_place p = { moving ? (float)(block * 17 + s) : 0.0f, 10.0f, 1.0f };
					binaural_add(b, s, x, &p);
				}
				binaural_end(b, l, r);
			}
			ck_assert_msg(b->inverse_ffts == (moving ? 4u : 2u), "%u sources%s: %u inverse FFTs",
				      counts[k], moving ? " moving" : "", b->inverse_ffts);
		}
	free(x);
	binaural_free(b);
	hrtf_free(h);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Real sets: what a listener hears. */

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

static struct hrtf_set *load(const char *path, unsigned rate)
{
	char err[512];
	struct hrtf_set *h = NULL;
	ck_assert_msg(hrtf_load(path, rate, &h, err, sizeof err) == 0, "%s", err);
	return h;
}

static struct hrtf_set *load_shared(const char *name, unsigned rate)
{
	char path[4200];
	const char *dir = shared_dir();
	ck_assert_ptr_nonnull(dir);
	snprintf(path, sizeof path, "%s/%s", dir, name);
	return load(path, rate);
}

static const char *default_sofa(void)
{
	const char *p = getenv("DEFAULT_SOFA");
	return p && *p ? p : TINGLE_DEFAULT_SOFA;
}

static double energy(const float *x, size_t from, size_t to)
{
	double e = 0.0;
	for (size_t i = from; i < to; i++)
		e += (double)x[i] * x[i];
	return e;
}

/* A 1.5 kHz linear-phase low-pass (the same on both ears, so no bias): the
 * interaural time difference is a low-frequency cue. */
static void lowpass(const float *x, size_t n, float *y)
{
	enum { H = 64 };
	double k[2 * H + 1], sum = 0.0, fc = 1500.0 / 48000.0;
	for (int j = -H; j <= H; j++) {
		double s = j ? sin(2 * M_PI * fc * j) / (M_PI * j) : 2 * fc;
		double w = 0.42 + 0.5 * cos(M_PI * j / H) + 0.08 * cos(2 * M_PI * j / H);
		k[j + H] = s * w;
		sum += k[j + H];
	}
	for (size_t i = 0; i < n; i++) {
		double acc = 0.0;
		for (int j = -H; j <= H; j++) {
			long at_i = (long)i - j;
			if (at_i >= 0 && (size_t)at_i < n)
				acc += k[j + H] / sum * x[at_i];
		}
		y[i] = (float)acc;
	}
}

/* How much later r is than l (samples; positive: the left ear first), from
 * the peak of their cross-correlation over [from, to), refined by a
 * parabola through the peak. */
static double lag_of(const float *l, const float *r, size_t from, size_t to, int maxlag)
{
	double best = -INFINITY, c[3] = { 0, 0, 0 };
	int bl = 0;
	double *cc = malloc((size_t)(2 * maxlag + 1) * sizeof *cc);
	for (int lag = -maxlag; lag <= maxlag; lag++) {
		double s = 0.0;
		for (size_t i = from; i < to; i++)
			s += (double)l[i] * r[(size_t)((long)i + lag)];
		cc[lag + maxlag] = s;
		if (s > best) {
			best = s;
			bl = lag;
		}
	}
	ck_assert(bl > -maxlag && bl < maxlag);
	c[0] = cc[bl + maxlag - 1];
	c[1] = cc[bl + maxlag];
	c[2] = cc[bl + maxlag + 1];
	free(cc);
	return bl + 0.5 * (c[0] - c[2]) / (c[0] - 2 * c[1] + c[2]);
}

struct ear_cues {
	double amp[2];   /* rms of each ear */
	double ild_db;   /* left over right, broadband */
	double itd;      /* samples the right ear lags the left (low-passed) */
};

static struct ear_cues cues_of(const struct hrtf_set *h, const float *x, size_t total,
			       struct bin_place p, uint32_t v[3], float w[3])
{
	struct binaural *b = binaural_new(h, 128, 1, FFTW_ESTIMATE);
	float *l = malloc(total * sizeof(float)), *r = malloc(total * sizeof(float));
	float *fl = malloc(total * sizeof(float)), *fr = malloc(total * sizeof(float));
	render(b, x, total, fixed, &p, l, r);
	float dl[2];
	binaural_source_state(b, 0, v, w, dl);
	struct ear_cues c;
	c.amp[0] = sqrt(energy(l, 4096, total) / (double)(total - 4096));
	c.amp[1] = sqrt(energy(r, 4096, total) / (double)(total - 4096));
	c.ild_db = 20.0 * log10(c.amp[0] / c.amp[1]);
	lowpass(l, total, fl);
	lowpass(r, total, fr);
	c.itd = lag_of(fl, fr, 4096, total - 128, 100);
	free(l);
	free(r);
	free(fl);
	free(fr);
	binaural_free(b);
	return c;
}

/* LISTEN 1002 is sparse (15 degrees apart on the horizon). Half-way
 * between two measured directions a source is heard half-way: its level
 * and time differences between the ears lie between its neighbours', in
 * the middle, not at either (as the nearest measurement would give).
 * The time difference is the blend of the neighbours' delays, so within
 * half a sample (10 us; listeners tell apart about 20 us) of their mean.
 * Barycentric weights blend amplitudes, so each ear's level is half-way
 * in amplitude, (a + b) / 2, not in dB: the middle is the level difference
 * of those. Blending loses 10 log10((1 + rho) / 2) of each ear's energy
 * to the pinna detail the neighbours do not share (rho, their correlation
 * once aligned, is about 0.85 for LISTEN 15 degrees apart: 0.35 dB), so
 * the level difference is within 0.4 dB of that middle. */
START_TEST(halfway_between_measured_directions)
{
	struct hrtf_set *h = load_shared("LISTEN_1002_IRC_1002_C_HRIR.sofa", 48000);
	const size_t total = 48000;
	float *x = noise(total, 31);
	static const float pairs[][2] = { { 0, 15 }, { 30, 45 }, { -45, -30 } };
	for (size_t k = 0; k < sizeof pairs / sizeof pairs[0]; k++) {
		uint32_t v[3];
		float w[3];
		struct ear_cues a = cues_of(h, x, total, (struct bin_place){ pairs[k][0], 0, 1 }, v, w);
		ck_assert(w[0] == 1.0f);
		struct ear_cues bb = cues_of(h, x, total, (struct bin_place){ pairs[k][1], 0, 1 }, v, w);
		ck_assert(w[0] == 1.0f);
		float mid_az = 0.5f * (pairs[k][0] + pairs[k][1]);
		struct ear_cues m = cues_of(h, x, total, (struct bin_place){ mid_az, 0, 1 }, v, w);
		double ild_mid = 20.0 * log10((a.amp[0] + bb.amp[0]) / (a.amp[1] + bb.amp[1]));
		double itd_mid = 0.5 * (a.itd + bb.itd);
		printf("LISTEN %g / %g / %g: ILD %.2f / %.2f (middle %.2f) / %.2f dB, ITD %.2f / %.2f "
		       "(middle %.2f) / %.2f samples (weights %.3f %.3f %.3f)\n", (double)pairs[k][0],
		       (double)mid_az, (double)pairs[k][1], a.ild_db, m.ild_db, ild_mid, bb.ild_db, a.itd,
		       m.itd, itd_mid, bb.itd, (double)w[0], (double)w[1], (double)w[2]);
		ck_assert(w[0] > 0.3f && w[1] > 0.3f);
		ck_assert_msg(fabs(m.itd - itd_mid) < 0.5, "ITD %g, middle %g", m.itd, itd_mid);
		ck_assert_msg(fabs(m.ild_db - ild_mid) < 0.4, "ILD %g, middle %g", m.ild_db, ild_mid);
		/* Neither neighbour's: between them, a good way from each. */
		double ild_lo = fmin(a.ild_db, bb.ild_db), ild_hi = fmax(a.ild_db, bb.ild_db);
		double itd_lo = fmin(a.itd, bb.itd), itd_hi = fmax(a.itd, bb.itd);
		if (ild_hi - ild_lo > 1.0)
			ck_assert(m.ild_db > ild_lo + 0.2 * (ild_hi - ild_lo) &&
				  m.ild_db < ild_hi - 0.2 * (ild_hi - ild_lo));
		ck_assert(itd_hi - itd_lo > 2.0);
		ck_assert(m.itd > itd_lo + 0.3 * (itd_hi - itd_lo) && m.itd < itd_hi - 0.3 * (itd_hi - itd_lo));
	}
	free(x);
	hrtf_free(h);
}
END_TEST

/* Correlation of out and ref at a fractional lag tau, from their spectra:
 * Re sum OUT conj(REF) e^{j w tau}. */
static double corr_at(const fftwf_complex *o, const fftwf_complex *f, unsigned N, double tau)
{
	double s = 0.0;
	for (unsigned k = 0; k <= N / 2; k++) {
		double w = 2.0 * M_PI * k / N;
		double re = o[k][0] * f[k][0] + o[k][1] * f[k][1];
		double im = o[k][1] * f[k][0] - o[k][0] * f[k][1];
		s += (k == 0 || k == N / 2 ? 1.0 : 2.0) * (re * cos(w * tau) - im * sin(w * tau));
	}
	return s;
}

/* Where ref (len samples) lies in out (N samples): the lag that maximises
 * their band-limited cross-correlation, to a thousandth of a sample. */
static double where(const float *out, const float *ref, unsigned len, unsigned N)
{
	float *a = fftwf_malloc(N * sizeof *a), *bf = fftwf_malloc(N * sizeof *bf);
	fftwf_complex *A = fftwf_malloc((N / 2 + 1) * sizeof *A), *B = fftwf_malloc((N / 2 + 1) * sizeof *B);
	fftwf_plan pa = fftwf_plan_dft_r2c_1d((int)N, a, A, FFTW_ESTIMATE);
	fftwf_plan pb = fftwf_plan_dft_r2c_1d((int)N, bf, B, FFTW_ESTIMATE);
	memcpy(a, out, N * sizeof *a);
	memset(bf, 0, N * sizeof *bf);
	memcpy(bf, ref, len * sizeof *bf);
	fftwf_execute(pa);
	fftwf_execute(pb);
	/* The lag with the most energy first, then the peak around it. */
	double best = -INFINITY, lag = 0.0;
	for (unsigned t = 0; t + len < N; t++) {
		double s = 0.0;
		for (unsigned i = 0; i < len; i++)
			s += (double)out[t + i] * ref[i];
		if (s > best) {
			best = s;
			lag = t;
		}
	}
	double lo = lag - 1.0, hi = lag + 1.0;
	for (int it = 0; it < 60; it++) {
		double m1 = lo + (hi - lo) / 3.0, m2 = hi - (hi - lo) / 3.0;
		if (corr_at(A, B, N, m1) < corr_at(A, B, N, m2))
			lo = m1;
		else
			hi = m2;
	}
	fftwf_destroy_plan(pa);
	fftwf_destroy_plan(pb);
	fftwf_free(a);
	fftwf_free(bf);
	fftwf_free(A);
	fftwf_free(B);
	return 0.5 * (lo + hi);
}

/* tester2.sofa keeps a Data.Delay per direction (left m, right -m samples
 * at 48 kHz for direction m). An impulse from a direction comes out of
 * each ear where the file says, to a tenth of a sample; at 44.1 kHz the
 * delays are fractional. Between directions the delay is the blend of
 * theirs. */
START_TEST(fractional_delays_from_the_file)
{
	static const unsigned rates[] = { 44100, 48000 };
	for (size_t ri = 0; ri < 2; ri++) {
		const unsigned rate = rates[ri];
		struct hrtf_set *h = load_shared("tester2.sofa", rate);
		const double scale = rate / 48000.0;
		const unsigned P = 64, N = 4096, t0 = 100;
		struct binaural *b = binaural_new(h, P, 1, FFTW_ESTIMATE);
		ck_assert_ptr_nonnull(b);
		const float offset = b->delay[0] - h->delay[0];
		ck_assert_float_eq_tol(offset, BIN_FD_TAPS / 2, 1e-3f);
		float *x = calloc(N, sizeof(float)), *l = malloc(N * sizeof(float)),
		      *r = malloc(N * sizeof(float)), *ref = malloc(h->length * sizeof(float));
		x[t0] = 1.0f;
		static const unsigned dirs[] = { 3, 101, 555, 900 };
		for (size_t k = 0; k < sizeof dirs / sizeof dirs[0] + 1; k++) {
			struct bin_place p;
			if (k < sizeof dirs / sizeof dirs[0])
				p = (struct bin_place){ h->azimuth[dirs[k]], h->elevation[dirs[k]], 1.0f };
			else
				p = (struct bin_place){ 33.3f, 12.3f, 1.0f }; /* between directions */
			binaural_reset_source(b, 0);
			render(b, x, N, fixed, &p, l, r);
			uint32_t v[3];
			float w[3], dl[2];
			binaural_source_state(b, 0, v, w, dl);
			for (int ear = 0; ear < 2; ear++) {
				/* What the file says: the blend of the directions'
				 * delays (scaled to the rate, moved later by 1249 as
				 * every negative delay is), and their responses. */
				double want = 0.0;
				memset(ref, 0, h->length * sizeof(float));
				for (int j = 0; j < 3 && w[j] > 0.0f; j++) {
					double file = (ear == 0 ? (double)v[j] : -(double)v[j]) * scale;
					want += w[j] * (file + 1249.0 * scale);
					for (unsigned i = 0; i < h->length; i++)
						ref[i] += w[j] * hrtf_ir(h, v[j], ear)[i];
				}
				double got = where(ear ? r : l, ref, h->length, N) - t0 - offset;
				printf("tester2 at %u Hz, %s ear, (%g, %g) weights %.3f %.3f %.3f: delay %.3f, "
				       "file %.3f\n", rate, ear ? "right" : "left", (double)p.azimuth,
				       (double)p.elevation, (double)w[0], (double)w[1], (double)w[2], got, want);
				ck_assert_msg(fabs(got - want) < 0.1, "%u Hz ear %d: %g, want %g", rate, ear, got, want);
			}
		}
		free(x);
		free(l);
		free(r);
		free(ref);
		binaural_free(b);
		hrtf_free(h);
	}
}
END_TEST

/* Amplitude and phase of the f Hz component of x[from..from+n). */
static void tone(const float *x, size_t from, size_t n, double f, double rate, double *amp, double *phase)
{
	double re = 0.0, im = 0.0;
	for (size_t i = 0; i < n; i++) {
		double a = 2.0 * M_PI * f * (double)(from + i) / rate;
		re += x[from + i] * cos(a);
		im -= x[from + i] * sin(a);
	}
	*amp = 2.0 * hypot(re, im) / (double)n;
	*phase = atan2(im, re);
}

/* Energy above f Hz against the energy below, in dB, over [from, to): a
 * Blackman-Harris window keeps a tone's own leakage out of the count. */
static double hf_ratio_db(const float *x, size_t from, size_t to, double f, double rate)
{
	size_t n = to - from, N = 1;
	while (N < n)
		N *= 2;
	float *a = fftwf_malloc(N * sizeof *a);
	fftwf_complex *A = fftwf_malloc((N / 2 + 1) * sizeof *A);
	fftwf_plan p = fftwf_plan_dft_r2c_1d((int)N, a, A, FFTW_ESTIMATE);
	memset(a, 0, N * sizeof *a);
	for (size_t i = 0; i < n; i++) {
		double t = 2.0 * M_PI * (double)i / (double)(n - 1);
		double w = 0.35875 - 0.48829 * cos(t) + 0.14128 * cos(2 * t) - 0.01168 * cos(3 * t);
		a[i] = (float)(w * x[from + i]);
	}
	fftwf_execute(p);
	double hi = 0.0, lo = 0.0;
	for (size_t k = 0; k <= N / 2; k++) {
		double e = (double)A[k][0] * A[k][0] + (double)A[k][1] * A[k][1];
		if ((double)k * rate / (double)N >= f)
			hi += e;
		else
			lo += e;
	}
	fftwf_destroy_plan(p);
	fftwf_free(a);
	fftwf_free(A);
	return 10.0 * log10(hi / lo + 1e-300);
}

struct orbit {
	double rate;
	unsigned block;
	double rev_per_s;
	double dist_from, dist_to; /* distance: from -> to -> from over the render */
	double seconds;
	struct bin_place p;
};

static const struct bin_place *orbiting(size_t block, void *ctx)
{
	struct orbit *o = ctx;
	double t = (double)(block * o->block) / o->rate;
	o->p.azimuth = (float)fmod(360.0 * o->rev_per_s * t, 360.0);
	o->p.elevation = 0.0f;
	double u = 0.5 - 0.5 * cos(2.0 * M_PI * t / o->seconds);
	o->p.distance = (float)(o->dist_from + (o->dist_to - o->dist_from) * u);
	return &o->p;
}

/* A 400 Hz tone orbiting the head once a second, its place new every
 * block: nothing but the tone and its neighbourhood comes out (energy
 * above 6 kHz 60 dB under it: a click or a zipper would spread there),
 * and the ears follow it round: at +90 the left ear louder and earlier, at
 * -90 the right. Then the same at 1 m -> 0.15 m -> 1 m, through the near
 * field. */
START_TEST(orbit_without_clicks)
{
	struct hrtf_set *h = load(default_sofa(), 48000);
	const double rate = 48000.0;
	const unsigned P = 128;
	const size_t total = (size_t)P * (size_t)(1.25 * rate / P);
	float *x = malloc(total * sizeof(float)), *l = malloc(total * sizeof(float)),
	      *r = malloc(total * sizeof(float));
	for (size_t i = 0; i < total; i++)
		x[i] = 0.5f * (float)sin(2.0 * M_PI * 400.0 * (double)i / rate);
	for (int near = 0; near < 2; near++) {
		struct binaural *b = binaural_new(h, P, 1, FFTW_ESTIMATE);
		struct orbit o = { rate, P, 1.0, 1.0, near ? 0.15 : 1.0, 1.0, { 0, 0, 1 } };
		render(b, x, total, orbiting, &o, l, r);
		const size_t from = (size_t)(0.05 * rate), to = (size_t)(1.2 * rate);
		double hl = hf_ratio_db(l, from, to, 6000.0, rate), hr = hf_ratio_db(r, from, to, 6000.0, rate);
		printf("orbit%s: energy above 6 kHz %.1f dB (left), %.1f dB (right) under the tone\n",
		       near ? " 1 m -> 0.15 m" : " at 1 m", -hl, -hr);
		ck_assert_msg(hl < -60.0 && hr < -60.0, "%g / %g dB", hl, hr);
		/* Around +90 (a quarter second) and -90 (three quarters). */
		for (int side = 0; side < 2; side++) {
			size_t c = (size_t)((side ? 0.75 : 0.25) * rate), n = 1200; /* 10 periods */
			double al, pl, ar, pr;
			tone(l, c - n / 2, n, 400.0, rate, &al, &pl);
			tone(r, c - n / 2, n, 400.0, rate, &ar, &pr);
			double ild = 20.0 * log10(al / ar);
			double lead = remainder(pl - pr, 2.0 * M_PI) / (2.0 * M_PI * 400.0) * 1e3; /* ms */
			printf("  at %s: left %.1f dB over right, left %.3f ms ahead\n", side ? "-90" : "+90",
			       ild, lead);
			if (side == 0)
				ck_assert_msg(ild > 3.0 && lead > 0.3, "+90: %g dB, %g ms", ild, lead);
			else
				ck_assert_msg(ild < -3.0 && lead < -0.3, "-90: %g dB, %g ms", ild, lead);
		}
		binaural_free(b);
	}
	free(x);
	free(l);
	free(r);
	hrtf_free(h);
}
END_TEST

/* A 400 Hz tone that stayed put long enough to be summed into its
 * directions' delay lines, then starts to orbit (its past stays there,
 * its new input goes to its own line again), or steps by 5 degrees now
 * and then (each step a crossfade, the steps apart long enough for it to
 * be summed in again between them: measured directions, one filter
 * each): no click, energy above 6 kHz 60 dB
 * under the tone around each change, as for orbit_without_clicks. */
struct still_then {
	size_t still;     /* blocks at the start */
	int steps;        /* 0: orbit after; else step every `every` blocks */
	size_t every;
	double rate;
	unsigned block;
	struct bin_place p;
};

static const struct bin_place *still_then_moving(size_t block, void *ctx)
{
	struct still_then *o = ctx;
	const float az0 = 30.0f;
	if (block < o->still) {
		o->p = (struct bin_place){ az0, 0.0f, 1.0f };
	} else if (!o->steps) {
		double t = (double)((block - o->still) * o->block) / o->rate;
		o->p.azimuth = (float)fmod(az0 + 360.0 * t, 360.0);
	} else {
		o->p.azimuth = az0 + 5.0f * (float)((block - o->still) / o->every + 1);
	}
	return &o->p;
}

START_TEST(aggregated_source_moves_without_clicks)
{
	struct hrtf_set *h = load(default_sofa(), 48000);
	const double rate = 48000.0;
	const unsigned P = 128;
	for (int steps = 0; steps < 2; steps++) {
		struct binaural *b = binaural_new(h, P, 1, FFTW_ESTIMATE);
		struct still_then o = { b->agg_after + 3 * b->parts + 10, steps, b->agg_after + 2 * b->parts + 5,
					rate, P, { 0, 0, 1 } };
		const size_t total = (size_t)P * (o.still + (steps ? 4 * o.every : (size_t)(0.6 * rate / P)));
		float *x = malloc(total * sizeof(float)), *l = malloc(total * sizeof(float)),
		      *r = malloc(total * sizeof(float));
		for (size_t i = 0; i < total; i++)
			x[i] = 0.5f * (float)sin(2.0 * M_PI * 400.0 * (double)i / rate);
		/* Up to the first change: summed in by then? */
		const size_t change = o.still * P;
		render(b, x, change, still_then_moving, &o, l, r);
		ck_assert_msg(b->src[0].agg && !b->src[0].drain, "not aggregated before it moves");
		for (size_t t = change, k = o.still; t + P <= total; t += P, k++) {
			binaural_begin(b);
			binaural_add(b, 0, x + t, still_then_moving(k, &o));
			binaural_end(b, l + t, r + t);
			if (steps && (k - o.still) % o.every == o.every - 1)
				ck_assert_msg(b->src[0].agg, "not aggregated again between steps");
		}
		/* Around the first change, and (steps) every one after it. */
		const size_t span = (size_t)(0.1 * rate);
		for (size_t c = change; c + span <= total; c += steps ? o.every * P : total) {
			double hl = hf_ratio_db(l, c - span, c + span, 6000.0, rate);
			double hr = hf_ratio_db(r, c - span, c + span, 6000.0, rate);
			printf("aggregated, then %s at %.3f s: energy above 6 kHz %.1f dB (left), %.1f dB (right) "
			       "under the tone\n", steps ? "a 5-degree step" : "orbiting", (double)c / rate, -hl, -hr);
			ck_assert_msg(hl < -60.0 && hr < -60.0, "%g / %g dB", hl, hr);
		}
		free(x);
		free(l);
		free(r);
		binaural_free(b);
	}
	hrtf_free(h);
}
END_TEST

/* Level of the f Hz tone at each ear after it settled, source at p. */
static void tone_at_ears(const struct hrtf_set *h, struct bin_place p, double f, double *al, double *ar)
{
	const unsigned P = 128;
	const size_t total = P * 200;
	float *x = malloc(total * sizeof(float)), *l = malloc(total * sizeof(float)),
	      *r = malloc(total * sizeof(float));
	for (size_t i = 0; i < total; i++)
		x[i] = 0.5f * (float)sin(2.0 * M_PI * f * (double)i / h->rate);
	struct binaural *b = binaural_new(h, P, 1, FFTW_ESTIMATE);
	render(b, x, total, fixed, &p, l, r);
	double ph;
	size_t n = (size_t)(round(f * 0.2) * h->rate / f); /* whole periods, 0.2 s */
	tone(l, total - n, n, f, h->rate, al, &ph);
	tone(r, total - n, n, f, h->rate, ar, &ph);
	binaural_free(b);
	free(x);
	free(l);
	free(r);
}

/* Near the head the ear on the source's side hears much more of the bass
 * than the other (Brungart & Rabinowitz 1999 measured 15-20 dB at
 * 0.12-0.25 m; far-field HRTFs give a few dB): at 0.15 m the level
 * difference at 200 Hz is at least 6 dB larger than at 1 m, mirrored on
 * the right, and the near ear's bass stands out against its highs
 * (proximity). How loud the source is overall is the engine's distance
 * gain (capped near the head), not in this: no ear gets louder at any
 * frequency. */
START_TEST(near_field_widens_bass_ild)
{
	struct hrtf_set *h = load(default_sofa(), 48000);
	double l1, r1, ln, rn, hl1, hr1, hln, hrn;
	tone_at_ears(h, (struct bin_place){ 90, 0, 1.0f }, 200.0, &l1, &r1);
	tone_at_ears(h, (struct bin_place){ 90, 0, 0.15f }, 200.0, &ln, &rn);
	tone_at_ears(h, (struct bin_place){ 90, 0, 1.0f }, 6000.0, &hl1, &hr1);
	tone_at_ears(h, (struct bin_place){ 90, 0, 0.15f }, 6000.0, &hln, &hrn);
	double ild1 = 20 * log10(l1 / r1), ildn = 20 * log10(ln / rn);
	double bass = 20 * log10(ln / l1), highs = 20 * log10(hln / hl1);
	printf("200 Hz from +90: ILD %.1f dB at 1 m, %.1f dB at 0.15 m; near ear %+.1f dB at 200 Hz, "
	       "%+.1f dB at 6 kHz; far ear %+.1f dB at 200 Hz, %+.1f dB at 6 kHz\n", ild1, ildn, bass, highs,
	       20 * log10(rn / r1), 20 * log10(hrn / hr1));
	ck_assert_msg(ildn >= ild1 + 6.0, "%g vs %g dB", ildn, ild1);
	ck_assert_msg(bass - highs > 1.5, "near ear: bass %+g dB, highs %+g dB", bass, highs);
	ck_assert(bass < 0.1 && highs < 0.1 && 20 * log10(rn / r1) < 0.1);
	/* Mirrored on the right. */
	tone_at_ears(h, (struct bin_place){ -90, 0, 0.15f }, 200.0, &ln, &rn);
	ck_assert(20 * log10(rn / ln) >= ild1 + 6.0);
	hrtf_free(h);
}
END_TEST

/* From 1 m out to 3 m the near-field model is flat and the air does
 * nothing yet: the same source renders to the same samples. Nearer, it
 * does not. */
START_TEST(far_field_unchanged_by_distance)
{
	struct hrtf_set *h = load(default_sofa(), 48000);
	const unsigned P = 128;
	const size_t total = P * 100;
	float *x = noise(total, 41);
	float *l[4], *r[4];
	static const float dist[4] = { 1.0f, 1.7f, 2.99f, 0.5f };
	for (int k = 0; k < 4; k++) {
		l[k] = malloc(total * sizeof(float));
		r[k] = malloc(total * sizeof(float));
		struct binaural *b = binaural_new(h, P, 1, FFTW_ESTIMATE);
		struct bin_place p = { 33.0f, 12.0f, dist[k] };
		render(b, x, total, fixed, &p, l[k], r[k]);
		binaural_free(b);
	}
	for (int k = 1; k < 3; k++)
		ck_assert_msg(memcmp(l[0], l[k], total * sizeof(float)) == 0 &&
			      memcmp(r[0], r[k], total * sizeof(float)) == 0, "%g m differs from 1 m",
			      (double)dist[k]);
	ck_assert(memcmp(l[0], l[3], total * sizeof(float)) != 0);
	for (int k = 0; k < 4; k++) {
		free(l[k]);
		free(r[k]);
	}
	free(x);
	hrtf_free(h);
}
END_TEST

/* Far away the air takes the highs (ISO 9613-1 at 20 C, 50 % humidity:
 * 0.105 dB/m at 8 kHz) and leaves the lows: 20 m against 3 m. */
START_TEST(air_absorbs_highs_far_away)
{
	struct hrtf_set *h = load(default_sofa(), 48000);
	double l3, r3, l20, r20, b3, b20;
	tone_at_ears(h, (struct bin_place){ 0, 0, 3.0f }, 8000.0, &l3, &r3);
	tone_at_ears(h, (struct bin_place){ 0, 0, 20.0f }, 8000.0, &l20, &r20);
	tone_at_ears(h, (struct bin_place){ 0, 0, 3.0f }, 500.0, &b3, &r3);
	tone_at_ears(h, (struct bin_place){ 0, 0, 20.0f }, 500.0, &b20, &r20);
	double hi = 20 * log10(l20 / l3), lo = 20 * log10(b20 / b3);
	printf("air, 3 m -> 20 m: %.2f dB at 8 kHz, %.2f dB at 500 Hz\n", hi, lo);
	ck_assert_msg(fabs(hi + 0.105 * 17.0) < 0.3, "%g dB at 8 kHz", hi);
	ck_assert_msg(fabs(lo) < 0.2, "%g dB at 500 Hz", lo);
	hrtf_free(h);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("binaural");
	TCase *tc = tcase_create("Convolution");
	tcase_add_loop_test(tc, static_source_matches_direct_convolution, 0,
			    2 * (int)(sizeof blocks / sizeof blocks[0]));
	tcase_add_test(tc, sources_sum_linearly);
	tcase_add_test(tc, aggregated_sources_match_direct_convolution);
	tcase_add_test(tc, between_two_directions_blends_their_filters);
	tcase_add_test(tc, silent_source_tail_is_complete);
	tcase_add_test(tc, inverse_ffts_do_not_grow_with_sources);
	suite_add_tcase(s, tc);
	TCase *tm = tcase_create("Movement");
	tcase_set_timeout(tm, 120);
	tcase_add_test(tm, direction_change_crossfades);
	tcase_add_test(tm, small_moves_crossfade_between_blends);
	tcase_add_test(tm, slow_glide_steps_filters_and_settles);
	tcase_add_test(tm, orbit_without_clicks);
	tcase_add_test(tm, aggregated_source_moves_without_clicks);
	suite_add_tcase(s, tm);
	TCase *td = tcase_create("Distance");
	tcase_set_timeout(td, 120);
	tcase_add_test(td, near_field_widens_bass_ild);
	tcase_add_test(td, far_field_unchanged_by_distance);
	tcase_add_test(td, air_absorbs_highs_far_away);
	suite_add_tcase(s, td);
	if (shared_dir()) {
		TCase *ti = tcase_create("Interpolation");
		tcase_set_timeout(ti, 120);
		tcase_add_test(ti, halfway_between_measured_directions);
		tcase_add_test(ti, fractional_delays_from_the_file);
		suite_add_tcase(s, ti);
	} else {
		printf("note: ../shared/sofa is absent: the tests with the shared SOFA sets are skipped\n");
	}
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
