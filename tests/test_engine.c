/* The whole engine, block by block, as a driver runs it: a static source
 * sounds exactly like its signal convolved with the HRIR pair of the
 * nearest measured direction; gains, distance, mute, master gain, fades,
 * the limiter and a change of block size do what a listener expects. */
#include "config.h"

#include <check.h>
#include <math.h>
#include <mysofa.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "ctl/hrtf.h"
#include "rt/engine.h"

#define RATE 48000
#define SETTLE 9600 /* frames of silence first: gains reach their targets */

static struct hrtf_set *hrtf;
static const char *sofa_path(void)
{
	const char *p = getenv("DEFAULT_SOFA");
	return p && *p ? p : TINGLE_DEFAULT_SOFA;
}

static void setup(void)
{
	char err[512];
	ck_assert_msg(hrtf_load(sofa_path(), RATE, &hrtf, err, sizeof err) == 0, "%s", err);
}

static void teardown(void) { hrtf_free(hrtf); }

static struct engine *make(unsigned block, struct engine_queue **q)
{
	struct engine_options eo = { .n_sources = 4, .ceiling_db = -1.0f };
	struct engine *e = engine_new(&eo);
	ck_assert_ptr_nonnull(e);
	struct engine_core *c = engine_core_new(e, hrtf, block);
	ck_assert_ptr_nonnull(c);
	engine_set_core(e, c);
	*q = engine_queue_open(e);
	return e;
}

static void cmd(struct engine_queue *q, struct engine_cmd c) { ck_assert(engine_queue_push(q, &c)); }

static void place(struct engine_queue *q, int s, float az, float el, float dist)
{
	cmd(q, (struct engine_cmd){ .type = ENGINE_CMD_SOURCE_PLACE, .target = s,
				    .flags = ENGINE_PLACE_AZ | ENGINE_PLACE_EL | ENGINE_PLACE_DIST,
				    .f = { az, el, dist } });
	cmd(q, (struct engine_cmd){ .type = ENGINE_CMD_SOURCE_ACTIVE, .target = s, .i = 1 });
}

static float *noise(size_t n, float amp, unsigned seed)
{
	float *x = calloc(n, sizeof(float));
	srand(seed);
	for (size_t i = SETTLE; i < n; i++)
		x[i] = amp * ((float)rand() / (float)RAND_MAX * 2.0f - 1.0f);
	return x;
}

/* Runs the engine over x fed to source s; out is stereo interleaved. */
static void render(struct engine *e, unsigned block, int s, const float *x, size_t n, float *out)
{
	float l[8192], r[8192];
	float *o[2] = { l, r };
	const float *in[4] = { NULL };
	for (size_t t = 0; t + block <= n; t += block) {
		in[s] = x + t;
		engine_process(e, in, 4, o, block, NULL, 0);
		for (unsigned i = 0; i < block; i++) {
			out[2 * (t + i)] = l[i];
			out[2 * (t + i) + 1] = r[i];
		}
		engine_collect(e);
	}
}

static double rms(const float *out, size_t from, size_t to, int ch)
{
	double s = 0;
	for (size_t i = from; i < to; i++)
		s += (double)out[2 * i + ch] * out[2 * i + ch];
	return sqrt(s / (double)(to - from));
}

static const unsigned blocks[] = { 32, 128, 512 };

START_TEST(static_source_is_direct_convolution_of_nearest_hrir)
{
	const unsigned B = blocks[_i];
	struct engine_queue *q;
	struct engine *e = make(B, &q);
	/* 32 and -13 are not measured: the nearest measurement is used. */
	const float az = 32.0f, el = -13.0f;
	place(q, 2, az, el, 1.0f);
	const size_t n = SETTLE + 9600;
	float *x = noise(n, 0.05f, 4);
	float *out = calloc(2 * n, sizeof(float));
	render(e, B, 2, x, n, out);

	/* Reference: libmysofa's own nearest measurement, convolved directly. */
	int len = 0, err = 0;
	struct MYSOFA_EASY *easy = mysofa_open(sofa_path(), RATE, &len, &err);
	ck_assert_ptr_nonnull(easy);
	float *hl = calloc((size_t)len, sizeof(float)), *hr = calloc((size_t)len, sizeof(float));
	float dl, dr;
	float dir[3] = { az, el, 1.0f };
	mysofa_s2c(dir);
	mysofa_getfilter_float_nointerp(easy, dir[0], dir[1], dir[2], hl, hr, &dl, &dr);
	double max_err = 0, peak = 0;
	for (size_t t = SETTLE; t < n / B * B; t++) {
		double yl = 0, yr = 0;
		for (int k = 0; k < len && (size_t)k <= t; k++) {
			yl += (double)x[t - (size_t)k] * hl[k];
			yr += (double)x[t - (size_t)k] * hr[k];
		}
		max_err = fmax(max_err, fmax(fabs(yl - out[2 * t]), fabs(yr - out[2 * t + 1])));
		peak = fmax(peak, fabs(yl));
	}
	ck_assert_msg(peak > 0.01, "reference too quiet: %g", peak);
	ck_assert_msg(max_err < 1e-4, "block %u: max error %g (reference peak %g)", B, max_err, peak);
	mysofa_close(easy);
	free(hl);
	free(hr);
	free(x);
	free(out);
	engine_free(e);
}
END_TEST

START_TEST(gain_distance_mute_master)
{
	struct engine_queue *q;
	const size_t n = SETTLE + 24000;
	float *x = noise(n, 0.05f, 5);
	float *ref = calloc(2 * n, sizeof(float)), *out = calloc(2 * n, sizeof(float));
	struct engine *e = make(128, &q);
	place(q, 0, 0, 0, 1.0f);
	render(e, 128, 0, x, n, ref);
	engine_free(e);
	double base = rms(ref, SETTLE, n, 0);

	struct { enum engine_cmd_type type; float f; int i; float dist; double expect_db; } cases[] = {
		{ ENGINE_CMD_SOURCE_GAIN, -6.0f, 0, 1.0f, -6.0 },
		{ ENGINE_CMD_SOURCE_GAIN, 0.0f, 0, 2.0f, -6.02 },  /* twice as far: half the pressure */
		{ ENGINE_CMD_SOURCE_GAIN, 0.0f, 0, 0.5f, +6.02 },
		{ ENGINE_CMD_MASTER_GAIN, -10.0f, 0, 1.0f, -10.0 },
		{ ENGINE_CMD_SOURCE_MUTE, 0.0f, 1, 1.0f, -240.0 },
	};
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		e = make(128, &q);
		place(q, 0, 0, 0, cases[k].dist);
		cmd(q, (struct engine_cmd){ .type = (uint16_t)cases[k].type, .target = 0, .i = cases[k].i,
					    .f = { cases[k].f } });
		render(e, 128, 0, x, n, out);
		double level = rms(out, SETTLE, n, 0);
		double db = level > 0 ? 20 * log10(level / base) : -240.0;
		ck_assert_msg(fabs(db - cases[k].expect_db) < 0.05, "case %zu: %g dB, expected %g", k, db,
			      cases[k].expect_db);
		engine_free(e);
	}
	free(x);
	free(ref);
	free(out);
}
END_TEST

/* A fader move is a ramp, not a step: no click. A click shows as a burst
 * in the second difference, which for a 200 Hz tone is tiny. */
START_TEST(gain_change_is_smooth)
{
	struct engine_queue *q;
	struct engine *e = make(128, &q);
	place(q, 0, 90, 0, 1.0f);
	const size_t n = 48000, change = 24064;
	float *x = calloc(n, sizeof(float));
	for (size_t i = 0; i < n; i++)
		x[i] = 0.1f * sinf(2.0f * (float)M_PI * 200.0f * (float)i / RATE);
	float *out = calloc(2 * n, sizeof(float));
	float l[128], r[128];
	float *o[2] = { l, r };
	const float *in[4] = { NULL };
	for (size_t t = 0; t + 128 <= n; t += 128) {
		if (t == change)
			cmd(q, (struct engine_cmd){ .type = ENGINE_CMD_SOURCE_GAIN, .target = 0, .f = { -20.0f } });
		in[0] = x + t;
		engine_process(e, in, 4, o, 128, NULL, 0);
		for (int i = 0; i < 128; i++) {
			out[2 * (t + i)] = l[i];
			out[2 * (t + i) + 1] = r[i];
		}
	}
	double before = rms(out, 12000, change, 0), after = rms(out, n - 12000, n, 0);
	ck_assert_msg(fabs(20 * log10(after / before) + 20.0) < 0.1, "%g dB", 20 * log10(after / before));
	double steady = 0, moving = 0;
	for (size_t i = 12000; i < n; i++) {
		double d2 = fabs(out[2 * i] - 2.0 * out[2 * (i - 1)] + out[2 * (i - 2)]);
		if (i < change)
			steady = fmax(steady, d2);
		else
			moving = fmax(moving, d2);
	}
	/* A hard step of the input gain would put a jump of ~0.09 through the
	 * HRIR, orders of magnitude above this bound. */
	ck_assert_msg(moving <= 4.0 * steady, "second difference %g while moving, %g steady", moving, steady);
	free(x);
	free(out);
	engine_free(e);
}
END_TEST

START_TEST(fade_reports_when_done)
{
	struct engine_queue *q;
	struct engine *e = make(128, &q);
	place(q, 0, 0, 0, 1.0f);
	cmd(q, (struct engine_cmd){ .type = ENGINE_CMD_FADE, .f = { 0.0f, 0.1f } });
	const size_t n = 48000;
	float *x = noise(n, 0.1f, 9), *out = calloc(2 * n, sizeof(float));
	render(e, 128, 0, x, n, out);
	struct engine_event ev;
	bool done = false;
	uint64_t at = 0;
	while (engine_event_poll(e, &ev))
		if (ev.type == ENGINE_EV_FADE_DONE) {
			done = true;
			at = ev.frame;
		}
	ck_assert(done);
	ck_assert_msg(at >= 4800 - 128 && at <= 4800 + 128, "fade ended at frame %lu", (unsigned long)at);
	for (size_t i = 4800 + 128; i < n; i++)
		ck_assert(out[2 * i] == 0.0f && out[2 * i + 1] == 0.0f);
	free(x);
	free(out);
	engine_free(e);
}
END_TEST

START_TEST(limiter_holds_ceiling_for_many_loud_sources)
{
	struct engine_queue *q;
	struct engine *e = make(128, &q);
	for (int s = 0; s < 4; s++)
		place(q, s, (float)(s * 90), 0, 0.1f); /* at the ears: +20 dB */
	const size_t n = 48000;
	float *x = noise(n, 1.0f, 10);
	float l[128], r[128];
	float *o[2] = { l, r };
	const float *in[4] = { x, x, x, x };
	float peak = 0;
	for (size_t t = 0; t + 128 <= n; t += 128) {
		for (int s = 0; s < 4; s++)
			in[s] = x + t;
		engine_process(e, in, 4, o, 128, NULL, 0);
		for (int i = 0; i < 128; i++)
			peak = fmaxf(peak, fmaxf(fabsf(l[i]), fabsf(r[i])));
	}
	ck_assert_float_le(peak, db_to_gain(-1.0f));
	ck_assert_float_gt(peak, db_to_gain(-2.0f)); /* it was hit, and it held */
	free(x);
	engine_free(e);
}
END_TEST

/* JACK changes its buffer size: a new core takes over, the sound goes on
 * at the same place and level. */
START_TEST(block_size_change_keeps_sound)
{
	struct engine_queue *q;
	struct engine *e = make(256, &q);
	place(q, 1, -90, 0, 1.0f);
	const size_t n = 96000;
	float *x = noise(n, 0.05f, 12);
	float *out = calloc(2 * n, sizeof(float));
	render(e, 256, 1, x, 48000, out);
	double before_r = rms(out, 24000, 48000, 1), before_l = rms(out, 24000, 48000, 0);
	engine_set_core(e, engine_core_new(e, hrtf, 64));
	render(e, 64, 1, x + 48000, 48000, out + 96000);
	double after_r = rms(out, 72000, 96000, 1), after_l = rms(out, 72000, 96000, 0);
	ck_assert_msg(fabs(20 * log10(after_r / before_r)) < 0.5, "%g vs %g", after_r, before_r);
	ck_assert(after_r > 3 * after_l && before_r > 3 * before_l);
	/* A block of the wrong size is silence, not garbage. */
	float l[100], r[100];
	float *o[2] = { l, r };
	const float *in[4] = { NULL, x, NULL, NULL };
	engine_process(e, in, 4, o, 100, NULL, 0);
	for (int i = 0; i < 100; i++)
		ck_assert(l[i] == 0.0f && r[i] == 0.0f);
	free(x);
	free(out);
	engine_free(e);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("engine");
	TCase *tc = tcase_create("Render");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, static_source_is_direct_convolution_of_nearest_hrir, 0,
			    (int)(sizeof blocks / sizeof blocks[0]));
	tcase_add_test(tc, gain_distance_mute_master);
	tcase_add_test(tc, gain_change_is_smooth);
	tcase_add_test(tc, fade_reports_when_done);
	tcase_add_test(tc, limiter_holds_ceiling_for_many_loud_sources);
	tcase_add_test(tc, block_size_change_keeps_sound);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
