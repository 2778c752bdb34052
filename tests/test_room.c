/* The room: what a listener would check. Its decay time is the one set,
 * its ears differ, it never touches the first frame of a sound, damping
 * darkens it, off is off, changes do not click, and the audio thread's
 * calls never allocate. Prints the measurements and the cost of a block. */
#include "config.h"

#include <check.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rt/fpu.h"
#include "common/limits.h"
#include "rt/room.h"

#define RATE 48000
#define BLOCK 128

/* The link wraps the allocator (-Wl,--wrap in Makefile.am): every call
 * from the room's code, and from this file, is counted here. */
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t m);
void *__wrap_realloc(void *p, size_t n);
void __wrap_free(void *p);
static volatile unsigned alloc_calls;
void *__wrap_malloc(size_t n)
{
	alloc_calls++;
	return __real_malloc(n);
}
void *__wrap_calloc(size_t n, size_t m)
{
	alloc_calls++;
	return __real_calloc(n, m);
}
void *__wrap_realloc(void *p, size_t n)
{
	alloc_calls++;
	return __real_realloc(p, n);
}
void __wrap_free(void *p)
{
	alloc_calls++;
	__real_free(p);
}

static struct room_params params(float decay, float size, float damping, float predelay)
{
	struct room_params p = { .decay = decay, .size = size, .damping = damping, .level = 0.0f,
				 .predelay = predelay };
	return p;
}

/* Runs in[0..n) through a new room with p, in blocks; l and r are added to. */
static void render(const struct room_params *p, const float *in, float *l, float *r, size_t n)
{
	fpu_flush_denormals();
	struct room *rm = room_new(RATE, BLOCK);
	ck_assert_ptr_nonnull(rm);
	room_set(rm, p);
	for (size_t i = 0; i < n; i += BLOCK) {
		unsigned m = n - i < BLOCK ? (unsigned)(n - i) : BLOCK;
		room_process(rm, in + i, l + i, r + i, m);
	}
	room_free(rm);
}

/* Impulse response of a room, both ears (caller frees). */
static void impulse_response(const struct room_params *p, size_t n, float **l, float **r)
{
	float *in = calloc(n, sizeof(float));
	*l = calloc(n, sizeof(float));
	*r = calloc(n, sizeof(float));
	ck_assert(in && *l && *r);
	in[0] = 1.0f;
	render(p, in, *l, *r, n);
	free(in);
}

/* RT60 from the Schroeder backward integral of e[0..n): least-squares line
 * through the decay curve between -5 and -35 dB (T30), times two. */
static double t30(const double *e, size_t n)
{
	double *edc = malloc(n * sizeof(double));
	ck_assert_ptr_nonnull(edc);
	double acc = 0.0;
	for (size_t i = n; i-- > 0;) {
		acc += e[i];
		edc[i] = acc;
	}
	double sx = 0, sy = 0, sxx = 0, sxy = 0, k = 0;
	for (size_t i = 0; i < n; i++) {
		double db = 10.0 * log10(edc[i] / edc[0] + 1e-300);
		if (db > -5.0)
			continue;
		if (db < -35.0)
			break;
		double t = (double)i / RATE;
		sx += t;
		sy += db;
		sxx += t * t;
		sxy += t * db;
		k++;
	}
	free(edc);
	ck_assert(k > 10);
	double slope = (k * sxy - sx * sy) / (k * sxx - sx * sx);
	return -60.0 / slope;
}

static double t30_of(const float *l, const float *r, size_t n)
{
	double *e = malloc(n * sizeof(double));
	ck_assert_ptr_nonnull(e);
	for (size_t i = 0; i < n; i++)
		e[i] = (double)l[i] * l[i] + (double)r[i] * r[i];
	double t = t30(e, n);
	free(e);
	return t;
}

/* RBJ biquad, used twice: a 4th-order band edge. */
static void biquad(float *x, size_t n, double f, bool high)
{
	double w = 2.0 * M_PI * f / RATE, c = cos(w), al = sin(w) / (2.0 * M_SQRT1_2);
	double b0 = high ? (1 + c) / 2 : (1 - c) / 2, b1 = high ? -(1 + c) : 1 - c, b2 = b0;
	double a0 = 1 + al, a1 = -2 * c, a2 = 1 - al;
	double x1 = 0, x2 = 0, y1 = 0, y2 = 0;
	for (size_t i = 0; i < n; i++) {
		double y = (b0 * x[i] + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2) / a0;
		x2 = x1;
		x1 = x[i];
		y2 = y1;
		y1 = y;
		x[i] = (float)y;
	}
}

static double band_t30(const float *l, const float *r, size_t n, double f, bool high)
{
	float *a = malloc(n * sizeof(float)), *b = malloc(n * sizeof(float));
	ck_assert(a && b);
	memcpy(a, l, n * sizeof(float));
	memcpy(b, r, n * sizeof(float));
	for (int k = 0; k < 2; k++) {
		biquad(a, n, f, high);
		biquad(b, n, f, high);
	}
	double t = t30_of(a, b, n);
	free(a);
	free(b);
	return t;
}

static const float decays[] = { 0.5f, 1.5f, 4.0f };
static const float sizes[] = { 3.0f, 20.0f };

START_TEST(rt60_is_the_decay)
{
	float decay = decays[_i % 3], size = sizes[_i / 3];
	struct room_params p = params(decay, size, 0.0f, 0.0f);
	p.level = size > 10.0f ? -6.0f : 0.0f;
	size_t n = (size_t)((1.6f * decay + 0.5f) * RATE);
	float *l, *r;
	impulse_response(&p, n, &l, &r);
	double t = t30_of(l, r, n);
	double el = 0, er = 0;
	for (size_t i = 0; i < n; i++) {
		el += (double)l[i] * l[i];
		er += (double)r[i] * r[i];
	}
	printf("room: decay %.1f s size %2.0f m: measured RT60 (T30) %.3f s (%+.1f %%); tail energy "
	       "L %+.2f dB R %+.2f dB (level %+.0f dB)\n",
	       decay, size, t, 100.0 * (t / decay - 1.0), 10 * log10(el), 10 * log10(er), p.level);
	ck_assert_msg(fabs(t / decay - 1.0) < 0.25, "decay %g size %g: RT60 %g", decay, size, t);
	/* The level is the tail's energy in each ear against the impulse's. */
	ck_assert_msg(fabs(10 * log10(el) - p.level) < 1.0 && fabs(10 * log10(er) - p.level) < 1.0,
		      "energy %g %g", el, er);
	free(l);
	free(r);
}
END_TEST

/* Normalised cross-correlation of a and b at lag k (b shifted by k). */
static double xcorr(const float *a, const float *b, size_t n, int k)
{
	double ab = 0, aa = 0, bb = 0;
	for (size_t i = 0; i < n; i++) {
		aa += (double)a[i] * a[i];
		bb += (double)b[i] * b[i];
		long j = (long)i + k;
		if (j >= 0 && j < (long)n)
			ab += (double)a[i] * b[j];
	}
	return ab / sqrt(aa * bb);
}

START_TEST(ears_are_decorrelated)
{
	float size = _i == 0 ? 3.0f : _i == 1 ? 10.0f : 30.0f;
	struct room_params p = params(1.5f, size, 0.5f, 0.0f);
	size_t n = 2 * RATE, skip = RATE / 20; /* after the first 50 ms */
	float *l, *r;
	impulse_response(&p, n, &l, &r);
	double c0 = xcorr(l + skip, r + skip, n - skip, 0), worst = 0;
	for (int k = -RATE / 1000; k <= RATE / 1000; k++) {
		double c = fabs(xcorr(l + skip, r + skip, n - skip, k));
		worst = c > worst ? c : worst;
	}
	printf("room: size %2.0f m: left/right correlation at lag 0 %+.3f, largest within +-1 ms %.3f\n",
	       size, c0, worst);
	ck_assert_msg(fabs(c0) < 0.3, "lag 0: %g", c0);
	ck_assert_msg(worst < 0.5, "+-1 ms: %g", worst);
	free(l);
	free(r);
}
END_TEST

/* A direct sound mixed with the room keeps its first frame: the room adds
 * nothing until the shortest path (and the predelay) has passed. */
START_TEST(first_frame_untouched)
{
	float predelay = _i == 0 ? 0.0f : 20.0f;
	struct room_params p = params(1.5f, _i == 0 ? 1.0f : 10.0f, 0.5f, predelay);
	size_t n = RATE / 2;
	float *in = malloc(n * sizeof(float)), *l = malloc(n * sizeof(float)),
	      *r = malloc(n * sizeof(float));
	ck_assert(in && l && r);
	srand(3);
	for (size_t i = 0; i < n; i++)
		in[i] = l[i] = r[i] = (float)rand() / (float)RAND_MAX - 0.5f;
	render(&p, in, l, r, n);
	size_t first = n;
	for (size_t i = 0; i < n; i++)
		if (l[i] != in[i] || r[i] != in[i]) {
			first = i;
			break;
		}
	printf("room: predelay %2.0f ms: first frame changed at %zu (%.2f ms)\n", predelay, first,
	       1000.0 * first / RATE);
	ck_assert(l[0] == in[0] && r[0] == in[0]);
	ck_assert_uint_ge(first, 1);
	ck_assert_uint_ge(first, (size_t)(predelay * RATE / 1000));
	ck_assert_uint_lt(first, n / 4); /* and then the room is heard */
	free(in);
	free(l);
	free(r);
}
END_TEST

START_TEST(damping_darkens)
{
	size_t n = 4 * RATE;
	float *l0, *r0, *l1, *r1;
	struct room_params p0 = params(2.0f, 10.0f, 0.0f, 0.0f), p1 = params(2.0f, 10.0f, 1.0f, 0.0f);
	impulse_response(&p0, n, &l0, &r0);
	impulse_response(&p1, n, &l1, &r1);
	double hi0 = band_t30(l0, r0, n, 4000.0, true), hi1 = band_t30(l1, r1, n, 4000.0, true);
	double lo0 = band_t30(l0, r0, n, 500.0, false), lo1 = band_t30(l1, r1, n, 500.0, false);
	printf("room: decay 2 s: above 4 kHz RT60 %.3f s (damping 0) vs %.3f s (damping 1); below 500 Hz "
	       "%.3f vs %.3f s\n",
	       hi0, hi1, lo0, lo1);
	ck_assert_msg(hi1 < 0.5 * hi0, "highs %g vs %g", hi1, hi0);
	/* The set decay is the low one, whatever the damping. */
	ck_assert_msg(fabs(lo1 / 2.0 - 1.0) < 0.25 && fabs(lo0 / 2.0 - 1.0) < 0.25, "lows %g %g", lo0, lo1);
	free(l0);
	free(r0);
	free(l1);
	free(r1);
}
END_TEST

START_TEST(off_adds_nothing)
{
	fpu_flush_denormals();
	struct room *rm = room_new(RATE, BLOCK);
	ck_assert_ptr_nonnull(rm);
	float in[BLOCK], l[BLOCK], r[BLOCK];
	srand(5);
	/* A new room is off; decay 0 set explicitly too. */
	for (int b = 0; b < 2 * RATE / BLOCK; b++) {
		if (b == RATE / BLOCK) {
			struct room_params p = params(0.0f, 10.0f, 0.5f, 30.0f);
			room_set(rm, &p);
		}
		for (int i = 0; i < BLOCK; i++) {
			in[i] = (float)rand() / (float)RAND_MAX - 0.5f;
			l[i] = r[i] = 0.0f;
		}
		room_process(rm, in, l, r, BLOCK);
		for (int i = 0; i < BLOCK; i++)
			ck_assert(l[i] == 0.0f && r[i] == 0.0f);
	}
	/* On, then off while the send goes on: the tail rings out, then
	 * nothing at all is added. */
	struct room_params on = params(1.0f, 10.0f, 0.5f, 30.0f), off = on;
	off.decay = 0.0f;
	room_set(rm, &on);
	int last_heard = -1, off_at = 2 * RATE / BLOCK;
	for (int b = 0; b < 8 * RATE / BLOCK; b++) {
		if (b == off_at)
			room_set(rm, &off);
		for (int i = 0; i < BLOCK; i++) {
			in[i] = (float)rand() / (float)RAND_MAX - 0.5f;
			l[i] = r[i] = 0.0f;
		}
		room_process(rm, in, l, r, BLOCK);
		for (int i = 0; i < BLOCK; i++)
			if (l[i] != 0.0f || r[i] != 0.0f)
				last_heard = b;
	}
	printf("room: decay 1 s turned off: nothing added from %.2f s after\n",
	       (double)(last_heard + 1 - off_at) * BLOCK / RATE);
	ck_assert_int_gt(last_heard, off_at);
	ck_assert_int_lt(last_heard, off_at + 3 * RATE / BLOCK);
	/* And room_clear silences a ringing room at once. */
	room_set(rm, &on);
	for (int i = 0; i < BLOCK; i++)
		l[i] = r[i] = 0.0f;
	room_process(rm, in, l, r, BLOCK);
	room_process(rm, in, l, r, BLOCK);
	room_clear(rm);
	memset(in, 0, sizeof(in));
	for (int b = 0; b < 10; b++) {
		for (int i = 0; i < BLOCK; i++)
			l[i] = r[i] = 0.0f;
		room_process(rm, in, l, r, BLOCK);
		for (int i = 0; i < BLOCK; i++)
			ck_assert(l[i] == 0.0f && r[i] == 0.0f);
	}
	room_free(rm);
}
END_TEST

/* A 150 Hz sine (faded in) through the room while every parameter moves:
 * no sample may jump further from the last than a smooth signal of the
 * level around it could (a click jumps by about its own height). A sine
 * steps by 2 pi f / rate = 0.0196 of its peak; the room stays below 0.035
 * (cutting a tail instead of fading it gives 1, switching the predelay
 * or the send without a fade 0.05 and 0.09). */
START_TEST(changes_do_not_click)
{
	fpu_flush_denormals();
	const size_t n = 7 * RATE;
	float *in = malloc(n * sizeof(float)), *l = calloc(n, sizeof(float)), *r = calloc(n, sizeof(float));
	ck_assert(in && l && r);
	for (size_t i = 0; i < n; i++) {
		float fade = i < RATE / 20 ? (float)i / (RATE / 20) : 1.0f;
		in[i] = 0.5f * fade * sinf(2.0f * (float)M_PI * 150.0f * (float)i / RATE);
	}
	struct room *rm = room_new(RATE, BLOCK);
	ck_assert_ptr_nonnull(rm);
	struct room_params p = params(1.5f, 10.0f, 0.0f, 0.0f);
	room_set(rm, &p);
	for (size_t i = 0; i < n; i += BLOCK) {
		double t = (double)i / RATE;
		struct room_params q = p;
		/* At 1 s a second network takes over; at 1.5 s the first one
		 * still rings and fades out for a third size; at 4.5 s a knob
		 * turns the size up, block by block; off at 5.5 s, on at 6. */
		q.size = t < 1.0 ? 10.0f : t < 1.5 ? 25.0f : 5.0f;
		if (t >= 4.5)
			q.size = 5.0f + 35.0f * (float)fmin((t - 4.5) / 0.3, 1.0);
		q.decay = t < 2.0 ? 1.5f : t < 5.5 ? 0.4f : t < 6.0 ? 0.0f : 2.0f;
		q.level = t >= 2.5 && t < 3.0 ? -15.0f : 0.0f;
		q.damping = t < 3.0 ? 0.0f : 1.0f;
		q.predelay = t < 3.5 ? 0.0f : t < 4.0 ? 150.0f : 10.0f;
		room_set(rm, &q);
		room_process(rm, in + i, l + i, r + i, BLOCK);
	}
	room_free(rm);
	/* Envelope: the peak of each 5 ms, and the largest of its neighbours
	 * within 10 ms. */
	const size_t w = RATE / 200, nw = n / w;
	float *pk = calloc(nw, sizeof(float));
	ck_assert_ptr_nonnull(pk);
	for (size_t i = 0; i < nw * w; i++)
		pk[i / w] = fmaxf(pk[i / w], fmaxf(fabsf(l[i]), fabsf(r[i])));
	double worst = 0, steady = 0, worst_t = 0;
	for (size_t i = w; i < nw * w; i++) {
		size_t k = i / w;
		float env = pk[k];
		for (size_t j = k > 2 ? k - 2 : 0; j <= k + 2 && j < nw; j++)
			env = fmaxf(env, pk[j]);
		if (env < 1e-4f)
			continue;
		double jump = fmax(fabs(l[i] - l[i - 1]), fabs(r[i] - r[i - 1])) / env;
		if (i > RATE / 2 && i < RATE && jump > steady)
			steady = jump;
		if (jump > worst) {
			worst = jump;
			worst_t = (double)i / RATE;
		}
	}
	printf("room: largest sample-to-sample step / local peak: %.4f steady, %.4f while changing (at "
	       "%.3f s); a 150 Hz sine gives %.4f\n",
	       steady, worst, worst_t, 2 * M_PI * 150 / RATE);
	ck_assert_msg(worst < 0.035, "a step of %g of the level at %g s", worst, worst_t);
	for (size_t i = 0; i < n; i++)
		ck_assert(isfinite(l[i]) && isfinite(r[i]));
	free(pk);
	free(in);
	free(l);
	free(r);
}
END_TEST

START_TEST(bad_input_does_not_stick)
{
	fpu_flush_denormals();
	struct room *rm = room_new(RATE, BLOCK);
	ck_assert_ptr_nonnull(rm);
	struct room_params p = params(1.0f, 8.0f, 0.3f, 5.0f);
	room_set(rm, &p);
	struct room_params bad = { NAN, INFINITY, -3.0f, NAN, 1e9f };
	room_set(rm, &bad); /* ignored or clamped */
	float in[BLOCK] = { NAN, INFINITY, -INFINITY, 1e30f, 0.5f }, l[BLOCK] = { 0 }, r[BLOCK] = { 0 };
	float peak = 0.0f;
	for (int b = 0; b < RATE / BLOCK; b++) {
		room_process(rm, in, l, r, BLOCK);
		for (int i = 0; i < BLOCK; i++) {
			ck_assert(isfinite(l[i]) && isfinite(r[i]));
			peak = fmaxf(peak, fabsf(l[i]));
			l[i] = r[i] = 0.0f;
		}
		memset(in, 0, sizeof(in));
	}
	ck_assert_float_gt(peak, 0.0f); /* the 0.5 was heard */
	/* Blocks longer than max_block are split. */
	float big_in[3 * BLOCK + 5] = { 1.0f }, big_l[3 * BLOCK + 5] = { 0 }, big_r[3 * BLOCK + 5] = { 0 };
	room_process(rm, big_in, big_l, big_r, 3 * BLOCK + 5);
	room_free(rm);
}
END_TEST

/* Everything is allocated in room_new: room_set, room_process and
 * room_clear make no allocator call at all, whatever they are asked. */
/* The engine's sample-rate range, the same as every other part's. */
START_TEST(rates_are_the_engines)
{
	struct room *rm = room_new(TINGLE_RATE_MAX, 128);
	ck_assert_ptr_nonnull(rm);
	room_free(rm);
	rm = room_new(TINGLE_RATE_MIN, 128);
	ck_assert_ptr_nonnull(rm);
	room_free(rm);
	ck_assert_ptr_null(room_new(TINGLE_RATE_MAX + 1, 128));
	ck_assert_ptr_null(room_new(768000, 128));
	ck_assert_ptr_null(room_new(TINGLE_RATE_MIN - 1, 128));
}
END_TEST

START_TEST(audio_thread_never_allocates)
{
	fpu_flush_denormals();
	unsigned before = alloc_calls;
	struct room *rm = room_new(RATE, BLOCK);
	ck_assert_ptr_nonnull(rm);
	ck_assert_uint_gt(alloc_calls, before); /* the wrap does count */
	static float in[BLOCK], l[BLOCK], r[BLOCK];
	for (int i = 0; i < BLOCK; i++)
		in[i] = sinf((float)i);
	before = alloc_calls;
	for (int b = 0; b < 4 * RATE / BLOCK; b++) {
		struct room_params p = params((float)(b % 97) * 0.05f, 1.0f + (float)(b % 53),
					      (float)(b % 11) / 10.0f, (float)(b % 23) * 9.0f);
		p.level = (float)(b % 7) * -3.0f;
		if (b % 5 == 0)
			room_set(rm, &p);
		if (b % 301 == 0)
			room_clear(rm);
		room_process(rm, in, l, r, b % 3 ? BLOCK : BLOCK / 3);
	}
	unsigned during = alloc_calls - before;
	room_free(rm);
	ck_assert_uint_eq(during, 0);
}
END_TEST

/* Cost of a 128-frame block at 48 kHz, 16 lines, the send playing. */
START_TEST(bench)
{
	fpu_flush_denormals();
	struct room *rm = room_new(RATE, BLOCK);
	ck_assert_ptr_nonnull(rm);
	struct room_params p = params(2.0f, 12.0f, 0.5f, 10.0f);
	room_set(rm, &p);
	float in[BLOCK], l[BLOCK], r[BLOCK];
	srand(9);
	for (int i = 0; i < BLOCK; i++)
		in[i] = (float)rand() / (float)RAND_MAX - 0.5f;
	const int blocks = 20000;
	struct timespec a, b;
	for (int k = 0; k < 500; k++)
		room_process(rm, in, l, r, BLOCK);
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int k = 0; k < blocks; k++)
		room_process(rm, in, l, r, BLOCK);
	clock_gettime(CLOCK_MONOTONIC, &b);
	double us = ((double)(b.tv_sec - a.tv_sec) * 1e6 + (double)(b.tv_nsec - a.tv_nsec) / 1e3) / blocks;
	printf("room: %.2f us per %d-frame block at %d Hz (%.2f %% of the block's %.0f us)\n", us, BLOCK,
	       RATE, 100.0 * us / (1e6 * BLOCK / RATE), 1e6 * BLOCK / RATE);
	room_free(rm);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("room");
	TCase *tc = tcase_create("Decay");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, rt60_is_the_decay, 0, 6);
	tcase_add_test(tc, damping_darkens);
	suite_add_tcase(s, tc);
	TCase *te = tcase_create("Ears");
	tcase_set_timeout(te, 60);
	tcase_add_loop_test(te, ears_are_decorrelated, 0, 3);
	tcase_add_loop_test(te, first_frame_untouched, 0, 2);
	suite_add_tcase(s, te);
	TCase *tp = tcase_create("Playing");
	tcase_set_timeout(tp, 60);
	tcase_add_test(tp, off_adds_nothing);
	tcase_add_test(tp, changes_do_not_click);
	tcase_add_test(tp, bad_input_does_not_stick);
	tcase_add_test(tp, rates_are_the_engines);
	tcase_add_test(tp, audio_thread_never_allocates);
	tcase_add_test(tp, bench);
	suite_add_tcase(s, tp);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
