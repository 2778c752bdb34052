/* The whole engine, block by block, as a driver runs it: a static source
 * at a measured direction sounds like its signal convolved with that
 * direction's HRIR pair; gains, distance, mute, master gain, fades, the
 * limiter and a change of block size do what a listener expects. */
#include "config.h"

#include <check.h>
#include <math.h>
#include <mysofa.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "prep/hrtf.h"
#include "rt/engine.h"
#include "rt/motion.h"
#include "rt/scene_data.h"

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

/* The renderer keeps each HRIR's onset delay apart from it (the samples
 * more than 8 before the onset, 60 dB down, are dropped) and applies it
 * with a fractional-delay filter: at a measured direction the source
 * sounds like the measurement to -50 dB. (Before, every place sounded
 * exactly like the nearest measurement; now places between measurements
 * are interpolated, see test_binaural.) */
START_TEST(static_source_at_measured_direction_is_direct_convolution_of_its_hrir)
{
	const unsigned B = blocks[_i];
	struct engine_queue *q;
	struct engine *e = make(B, &q);
	/* Measured in MIT KEMAR (every 5 degrees at -10). */
	const float az = 30.0f, el = -10.0f;
	place(q, 2, az, el, 1.0f);
	const size_t n = SETTLE + 9600;
	float *x = noise(n, 0.05f, 4);
	float *out = calloc(2 * n, sizeof(float));
	render(e, B, 2, x, n, out);

	/* Reference: libmysofa's own measurement, convolved directly. */
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
	ck_assert_msg(max_err < 3e-3 * peak, "block %u: max error %g (reference peak %g)", B, max_err, peak);
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

	/* Nearer than 1 m the near-field filter (rt/binaural.h) also shapes the
	 * sound: in front, both ears lose up to a dB of highs at 0.5 m. */
	struct { enum engine_cmd_type type; float f; int i; float dist; double expect_db, tol; } cases[] = {
		{ ENGINE_CMD_SOURCE_GAIN, -6.0f, 0, 1.0f, -6.0, 0.05 },
		{ ENGINE_CMD_SOURCE_GAIN, 0.0f, 0, 2.0f, -6.02, 0.05 },  /* twice as far: half the pressure */
		{ ENGINE_CMD_SOURCE_GAIN, 0.0f, 0, 0.5f, +6.02 - 0.55, 0.25 },
		{ ENGINE_CMD_MASTER_GAIN, -10.0f, 0, 1.0f, -10.0, 0.05 },
		{ ENGINE_CMD_SOURCE_MUTE, 0.0f, 1, 1.0f, -240.0, 0.05 },
	};
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		e = make(128, &q);
		place(q, 0, 0, 0, cases[k].dist);
		cmd(q, (struct engine_cmd){ .type = (uint16_t)cases[k].type, .target = 0, .i = cases[k].i,
					    .f = { cases[k].f } });
		render(e, 128, 0, x, n, out);
		double level = rms(out, SETTLE, n, 0);
		double db = level > 0 ? 20 * log10(level / base) : -240.0;
		ck_assert_msg(fabs(db - cases[k].expect_db) < cases[k].tol, "case %zu: %g dB, expected %g", k,
			      db, cases[k].expect_db);
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

/* A looping tone (750 Hz, 64 frames a period, 75 periods a loop: no seam)
 * at 45 degrees left, as a scene's one sound; source 1 is a live input fed
 * a 3 kHz tone from 30 degrees right; the scene has a room, and both send
 * to it. */
struct held {
	struct engine *e;
	struct engine_queue *q;
	struct eng_scene sc;
	struct eng_sound snd;
	struct eng_variant var;
	float loop[4800];
	size_t t;              /* frames rendered */
	float *out;            /* stereo, interleaved */
};

static void held_start(struct held *h, unsigned block, size_t n)
{
	memset(h, 0, sizeof *h);
	h->e = make(block, &h->q);
	for (unsigned i = 0; i < 4800; i++)
		h->loop[i] = 0.2f * sinf(2.0f * (float)M_PI * (float)i / 64.0f);
	h->var = (struct eng_variant){ .data = h->loop, .len = 4800 };
	h->snd = (struct eng_sound){ .var = &h->var, .n_var = 1, .mode = SOUND_LOOP, .gain = 1.0f,
				     .velocity = 0.0f, .release = RATE / 10, .choke = -1, .polyphony = 4,
				     .source = 0, .last = -1 };
	h->sc = (struct eng_scene){ .rate = RATE, .sounds = &h->snd, .n_sounds = 1,
				    .room = { .decay = 1.2f, .size = 8.0f, .damping = 0.4f, .level = -12.0f } };
	place(h->q, 0, 45, 0, 1.0f);
	place(h->q, 1, -30, 0, 1.0f);
	/* Both in a room whose tail is longer than the test. */
	cmd(h->q, (struct engine_cmd){ .type = ENGINE_CMD_SOURCE_ROOM, .target = 0, .f = { -6.0f } });
	cmd(h->q, (struct engine_cmd){ .type = ENGINE_CMD_SOURCE_ROOM, .target = 1, .f = { -6.0f } });
	cmd(h->q, (struct engine_cmd){ .type = ENGINE_CMD_SCENE, .ptr = &h->sc });
	cmd(h->q, (struct engine_cmd){ .type = ENGINE_CMD_TRIGGER, .ptr = &h->sc, .i = 0, .f = { 1.0f } });
	h->out = calloc(2 * n, sizeof(float));
}

/* n frames in periods of `period` frames, source 1 fed its tone. */
static void held_run(struct held *h, unsigned period, size_t n)
{
	float l[1024], r[1024], x[1024];
	float *o[2] = { l, r };
	const float *in[4] = { NULL, x, NULL, NULL };
	for (size_t end = h->t + n; h->t + period <= end; h->t += period) {
		for (unsigned i = 0; i < period; i++)
			x[i] = 0.1f * sinf(2.0f * (float)M_PI * 3000.0f * (float)(h->t + i) / RATE);
		engine_process(h->e, in, 4, o, period, NULL, 0);
		for (unsigned i = 0; i < period; i++) {
			h->out[2 * (h->t + i)] = l[i];
			h->out[2 * (h->t + i) + 1] = r[i];
		}
		engine_collect(h->e);
		struct engine_event ev;
		while (engine_event_poll(h->e, &ev))
			;
	}
}

/* The largest difference between two renders over [from, to), both ears. */
static double worst_diff(const float *a, const float *b, size_t from, size_t to)
{
	double w = 0;
	for (size_t i = 2 * from; i < 2 * to; i++)
		w = fmax(w, fabs((double)a[i] - b[i]));
	return w;
}

/* JACK changes its block size 128 -> 256 -> 64 under a looping sound and
 * a live input. The first change reaches the engine as a period of two
 * blocks before its new core (a server that calls the buffer-size callback
 * late): rendered block by block. Then each core is handed over before its
 * first period (as tingled does from the callback), the first to hear the
 * past on the audio thread, the second before, from its builder (as
 * tingled's callback has it). Through it all the
 * output is what it would have been at 128 frames from start to end: the
 * loop goes on at its place in the sound, the input never drops out, the
 * room rings on, and the new cores start their convolutions from what
 * sounded before them. */
START_TEST(held_voice_and_input_go_on_through_block_size_changes)
{
	const size_t n = 4 * 24000;
	struct held ref, h;
	held_start(&ref, 128, n);
	held_run(&ref, 128, n);

	held_start(&h, 128, n);
	held_run(&h, 128, 24000);
	held_run(&h, 256, 6144);                     /* the old core, two blocks a period */
	engine_set_core(h.e, engine_core_new(h.e, hrtf, 256));
	held_run(&h, 256, 24000 + 24000 - h.t);
	/* This one hears the past off the audio thread, between periods. */
	struct engine_core *c64 = engine_core_new(h.e, hrtf, 64);
	ck_assert(engine_core_prime(h.e, c64));
	engine_set_core(h.e, c64);
	held_run(&h, 64, n - h.t);
	ck_assert_uint_eq(h.t, n);

	double level = rms(ref.out, 12000, 24000, 0);
	ck_assert_msg(level > 0.01, "the loop does not sound (%g)", level);
	for (int k = 1; k < 4; k++) {
		double l = rms(h.out, 24000 * (size_t)k + 2400, 24000 * (size_t)k + 24000, 0);
		double r = rms(h.out, 24000 * (size_t)k + 2400, 24000 * (size_t)k + 24000, 1);
		double lr = rms(ref.out, 24000 * (size_t)k + 2400, 24000 * (size_t)k + 24000, 0);
		double rr = rms(ref.out, 24000 * (size_t)k + 2400, 24000 * (size_t)k + 24000, 1);
		ck_assert_msg(fabs(20 * log10(l / lr)) < 0.1 && fabs(20 * log10(r / rr)) < 0.1,
			      "quarter %d: left %g (%g), right %g (%g)", k, l, lr, r, rr);
	}
	/* Sample for sample, around each change and after it. */
	double w = worst_diff(h.out, ref.out, 0, n);
	ck_assert_msg(w < 1e-5, "the render differs from one at 128 frames by %g (peak %g)", w,
		      sqrt(2.0) * level);
	free(ref.out);
	free(h.out);
	engine_free(ref.e);
	engine_free(h.e);
}
END_TEST

/* A server that plays a smaller period before the core for it is there
 * (PipeWire calls the buffer-size callback from another thread): those
 * periods are silent and the loop waits where it was; with its core it
 * goes on at its level. */
START_TEST(smaller_period_before_its_core_is_silent_and_voices_wait)
{
	const size_t n = 48000;
	struct held h;
	held_start(&h, 256, n);
	held_run(&h, 256, 24064);
	size_t gap = h.t;
	held_run(&h, 64, 640);                   /* ten periods with no core for them */
	double quiet = rms(h.out, gap, h.t, 0) + rms(h.out, gap, h.t, 1);
	ck_assert_msg(quiet == 0.0, "not silent: %g", quiet);
	engine_set_core(h.e, engine_core_new(h.e, hrtf, 64));
	held_run(&h, 64, n - h.t);
	double before = rms(h.out, 12000, 24000, 0), after = rms(h.out, 36000, 48000, 0);
	ck_assert_msg(fabs(20 * log10(after / before)) < 0.1, "the loop at %g, was %g", after, before);
	free(h.out);
	engine_free(h.e);
}
END_TEST

/* A period of four blocks is four blocks: the same output as the engine
 * called four times as often. */
START_TEST(period_of_several_blocks_is_those_blocks)
{
	const size_t n = 48000;
	struct held a, b;
	held_start(&a, 64, n);
	held_run(&a, 64, n);
	held_start(&b, 64, n);
	held_run(&b, 256, n);
	double w = worst_diff(a.out, b.out, 0, b.t);
	ck_assert_msg(b.t > n - 256 && w == 0.0, "differs by %g over %zu frames", w, b.t);
	free(a.out);
	free(b.out);
	engine_free(a.e);
	engine_free(b.e);
}
END_TEST

/* A tone of exactly two periods per 128-frame block: the rms of each
 * output block measures the gain of that block, nothing else. */
static float *tone(size_t n, float amp)
{
	float *x = calloc(n, sizeof(float));
	for (size_t i = 0; i < n; i++)
		x[i] = amp * sinf(2.0f * (float)M_PI * 750.0f * (float)i / RATE);
	return x;
}

/* One block of the engine with source 0 fed x + t; its left channel
 * into out + t (mono). */
static void block_left(struct engine *e, const float *x, size_t t, float *out)
{
	float l[128], r[128];
	float *o[2] = { l, r };
	const float *in[4] = { x + t, NULL, NULL, NULL };
	engine_process(e, in, 4, o, 128, NULL, 0);
	memcpy(out + t, l, sizeof l);
	struct engine_event ev;
	while (engine_event_poll(e, &ev))
		;
}

static double block_rms(const float *mono, size_t t)
{
	double s = 0;
	for (size_t i = t; i < t + 128; i++)
		s += (double)mono[i] * mono[i];
	return sqrt(s / 128.0);
}

/* A gain ramp of 2 s from 0 dB to -20 dB moves linearly in gain: half way
 * (0.55) after 1 s, at -20 dB after it, and never faster than the ramp. */
START_TEST(gain_ramp_is_linear_over_its_time)
{
	struct engine_queue *q;
	struct engine *e = make(128, &q);
	place(q, 0, 90, 0, 1.0f);
	cmd(q, (struct engine_cmd){ .type = ENGINE_CMD_SOURCE_GAIN, .target = 0, .f = { 0.0f } });
	const size_t change = 24064, n = change + 2 * RATE + RATE / 5;
	float *x = tone(n, 0.1f), *out = calloc(n, sizeof(float));
	for (size_t t = 0; t + 128 <= n; t += 128) {
		if (t == change)
			cmd(q, (struct engine_cmd){ .type = ENGINE_CMD_SOURCE_GAIN, .target = 0,
						    .f = { -20.0f, 2.0f } });
		block_left(e, x, t, out);
	}
	double base = block_rms(out, change - 128);
	ck_assert(base > 0.01);
	double half = block_rms(out, change + RATE) / base;
	ck_assert_msg(fabs(half - 0.55) < 0.01, "after 1 s: gain %g, expected 0.55", half);
	double end_db = 20 * log10(block_rms(out, change + 2 * RATE + RATE / 10) / base);
	ck_assert_msg(fabs(end_db + 20.0) < 0.05, "after 2.1 s: %g dB", end_db);
	/* The ramp falls 0.9 in 750 blocks: 0.0012 a block. */
	double worst = 0;
	for (size_t t = change - 1280; t + 256 <= n; t += 128)
		worst = fmax(worst, fabs(block_rms(out, t + 128) - block_rms(out, t)) / base);
	ck_assert_msg(worst < 1.5 * 0.9 / 750.0, "a step of %g between blocks", worst);
	free(x);
	free(out);
	engine_free(e);
}
END_TEST

/* Mute over 1 s and unmute over 0.5 s: linear both ways, silent once muted. */
START_TEST(mute_ramp_fades_over_its_time)
{
	struct engine_queue *q;
	struct engine *e = make(128, &q);
	place(q, 0, -90, 0, 1.0f);
	const size_t mute_at = 24064, unmute_at = mute_at + 2 * RATE, n = unmute_at + RATE;
	float *x = tone(n, 0.1f), *out = calloc(n, sizeof(float));
	for (size_t t = 0; t + 128 <= n; t += 128) {
		if (t == mute_at)
			cmd(q, (struct engine_cmd){ .type = ENGINE_CMD_SOURCE_MUTE, .target = 0, .i = 1,
						    .f = { 1.0f } });
		if (t == unmute_at)
			cmd(q, (struct engine_cmd){ .type = ENGINE_CMD_SOURCE_MUTE, .target = 0, .i = 0,
						    .f = { 0.5f } });
		block_left(e, x, t, out);
	}
	double base = block_rms(out, mute_at - 128);
	ck_assert(base > 1e-3);
	double half = block_rms(out, mute_at + RATE / 2) / base;
	ck_assert_msg(fabs(half - 0.5) < 0.01, "0.5 s into the mute: gain %g", half);
	for (size_t t = mute_at + RATE + RATE / 10; t < unmute_at; t += 128)
		ck_assert_msg(block_rms(out, t) < 1e-6 * base, "sound at %zu while muted", t);
	double up = block_rms(out, unmute_at + RATE / 4) / base;
	ck_assert_msg(fabs(up - 0.5) < 0.01, "0.25 s into the unmute: gain %g", up);
	double back = block_rms(out, unmute_at + RATE * 6 / 10) / base;
	ck_assert_msg(fabs(back - 1.0) < 1e-3, "unmuted: gain %g", back);
	free(x);
	free(out);
	engine_free(e);
}
END_TEST

/* Relative rms difference of a and b (stereo) over [from, to). */
static double rel_diff(const float *a, const float *b, size_t from, size_t to)
{
	double d = 0, r = 0;
	for (size_t i = 2 * from; i < 2 * to; i++) {
		d += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
		r += (double)b[i] * b[i];
	}
	return sqrt(d / r);
}

/* A glide of 1.2 s from (100, 0, 1 m) to (-140, 40, 3 m): half way through,
 * the source sounds exactly as a static one at (160, 20, 2 m), having gone
 * the shorter way round (through the back), not at (-20, 20, 2 m) (the
 * longer way) nor at its end. */
START_TEST(place_glides_the_shorter_way)
{
	const size_t G = SETTLE, glide = RATE * 12 / 10;
	const size_t mid = G + glide / 2 - 128; /* the block heard from the midpoint */
	const size_t n = mid + 128;
	float *x = noise(n, 0.05f, 21);
	float *out = calloc(2 * n, sizeof(float));
	struct engine_queue *q;
	struct engine *e = make(128, &q);
	place(q, 0, 100, 0, 1.0f);
	render(e, 128, 0, x, G, out);
	cmd(q, (struct engine_cmd){ .type = ENGINE_CMD_SOURCE_PLACE, .target = 0,
				    .flags = ENGINE_PLACE_AZ | ENGINE_PLACE_EL | ENGINE_PLACE_DIST,
				    .f = { -140.0f, 40.0f, 3.0f }, .i = 1200 });
	float *o2 = calloc(2 * (n - G), sizeof(float));
	render(e, 128, 0, x + G, n - G, o2);
	memcpy(out + 2 * G, o2, 2 * (n - G) * sizeof(float));
	free(o2);
	engine_free(e);

	const float refs[3][3] = { { 160, 20, 2 }, { -20, 20, 2 }, { -140, 40, 3 } };
	double err[3];
	float *ref = calloc(2 * n, sizeof(float));
	for (int k = 0; k < 3; k++) {
		e = make(128, &q);
		place(q, 0, refs[k][0], refs[k][1], refs[k][2]);
		render(e, 128, 0, x, n, ref);
		err[k] = rel_diff(out, ref, mid, mid + 128);
		engine_free(e);
	}
	ck_assert_msg(err[0] < 0.05, "half way it is not at (160, 20, 2): %g", err[0]);
	ck_assert_msg(err[1] > 0.3, "it went the long way round: %g", err[1]);
	ck_assert_msg(err[2] > 0.3, "it jumped: %g", err[2]);
	free(ref);
	free(x);
	free(out);
}
END_TEST

/* With every meter, one ENGINE_EV_METER_INPUT per active source an input
 * feeds: its peak after gain and mute. */
START_TEST(input_meter_reports_each_fed_source)
{
	struct engine_queue *q;
	struct engine *e = make(128, &q);
	place(q, 0, 90, 0, 1.0f);
	place(q, 1, -90, 0, 1.0f);
	place(q, 3, 0, 0, 1.0f);
	cmd(q, (struct engine_cmd){ .type = ENGINE_CMD_SOURCE_GAIN, .target = 0, .f = { -6.0206f } });
	const size_t n = RATE;
	float *x = tone(n, 0.5f); /* 64 frames a period: its peak is a sample */
	float l[128], r[128];
	float *o[2] = { l, r };
	unsigned meters = 0, inputs = 0, muted_from = 0;
	float last = -1;
	for (size_t t = 0; t + 128 <= n; t += 128) {
		if (t == 187 * 128) {
			cmd(q, (struct engine_cmd){ .type = ENGINE_CMD_SOURCE_MUTE, .target = 0, .i = 1 });
			muted_from = meters;
		}
		/* 1: active, no input; 2: input, inactive; 3: past n_in. */
		const float *in[4] = { x + t, NULL, x + t, x + t };
		engine_process(e, in, 3, o, 128, NULL, 0);
		struct engine_event ev;
		while (engine_event_poll(e, &ev)) {
			if (ev.type == ENGINE_EV_METER) {
				meters++;
			} else if (ev.type == ENGINE_EV_METER_INPUT) {
				ck_assert_uint_eq(ev.count, 0);
				inputs++;
				ck_assert_uint_eq(inputs, meters); /* with its meter */
				last = ev.f[0];
				if (meters >= 3 && meters < muted_from)
					ck_assert_msg(fabsf(ev.f[0] - 0.25f) < 1e-3, "peak %g, expected 0.25", ev.f[0]);
			}
		}
	}
	ck_assert_uint_ge(meters, 14);
	ck_assert_uint_eq(inputs, meters);
	ck_assert_msg(last == 0.0f, "muted, still metered at %g", last);
	free(x);
	engine_free(e);
}
END_TEST

/* With every meter, where the sources that motions move are now: an
 * orbit of 90 degrees a second is reported about 6 degrees further each
 * time; a source that stays put is not reported. */
START_TEST(moving_places_are_reported)
{
	struct engine_queue *q;
	struct engine *e = make(128, &q);
	place(q, 0, 30, 0, 1.0f);
	place(q, 1, 0, 10, 1.5f);
	cmd(q, (struct engine_cmd){ .type = ENGINE_CMD_SOURCE_MOTION, .target = 1, .i = MOTION_ORBIT,
				    .f = { 90.0f } });
	float l[128], r[128];
	float *o[2] = { l, r };
	unsigned meters = 0, places = 0;
	float prev = NAN;
	for (size_t t = 0; t + 128 <= RATE; t += 128) {
		engine_process(e, NULL, 0, o, 128, NULL, 0);
		struct engine_event ev;
		while (engine_event_poll(e, &ev)) {
			if (ev.type == ENGINE_EV_METER)
				meters++;
			if (ev.type != ENGINE_EV_PLACE)
				continue;
			ck_assert_uint_eq(ev.count, 1);
			ck_assert_float_eq_tol(ev.f[1], 10.0f, 1e-4f);
			ck_assert_float_eq_tol(ev.f[2], 1.5f, 1e-4f);
			if (!isnan(prev)) {
				float step = fmodf(ev.f[0] - prev + 540.0f, 360.0f) - 180.0f;
				ck_assert_msg(step > 4.0f && step < 8.0f, "orbit reported %g degrees on", step);
			}
			prev = ev.f[0];
			places++;
		}
	}
	ck_assert_uint_ge(meters, 14);
	ck_assert_uint_eq(places, meters);
	engine_free(e);
}
END_TEST

/* One engine: sources 0 (left) and 1 (right) fed noise; at block `at` the
 * gains of both go to -20 dB. group: 600 commands in one committed group,
 * the first for source 1, the last for source 0, filler between. */
static float *group_render(bool group, size_t n, size_t at, const float *x)
{
	struct engine_queue *q;
	struct engine *e = make(128, &q);
	place(q, 0, 90, 0, 1.0f);
	place(q, 1, -90, 0, 1.0f);
	float *out = calloc(2 * n, sizeof(float));
	float l[128], r[128];
	float *o[2] = { l, r };
	for (size_t t = 0; t + 128 <= n; t += 128) {
		if (t == at) {
			struct engine_cmd g1 = { .type = ENGINE_CMD_SOURCE_GAIN, .target = 1, .f = { -20.0f } };
			struct engine_cmd g0 = { .type = ENGINE_CMD_SOURCE_GAIN, .target = 0, .f = { -20.0f } };
			struct engine_cmd fill = { .type = ENGINE_CMD_SOURCE_GAIN, .target = 2, .f = { -3.0f } };
			if (group)
				engine_queue_begin(q);
			cmd(q, g1);
			for (int k = 0; group && k < 598; k++)
				cmd(q, fill);
			cmd(q, g0);
			if (group)
				engine_queue_commit(q);
		}
		const float *in[4] = { x + t, x + t, NULL, NULL };
		engine_process(e, in, 4, o, 128, NULL, 0);
		for (int i = 0; i < 128; i++) {
			out[2 * (t + i)] = l[i];
			out[2 * (t + i) + 1] = r[i];
		}
	}
	engine_free(e);
	return out;
}

START_TEST(command_group_applies_in_one_block)
{
	const size_t n = SETTLE + RATE / 2, at = SETTLE + 1280;
	float *x = noise(n, 0.05f, 31);
	float *grouped = group_render(true, n, at, x), *plain = group_render(false, n, at, x);
	double worst = 0;
	for (size_t i = 0; i < 2 * n; i++)
		worst = fmax(worst, fabs(grouped[i] - plain[i]));
	ck_assert_msg(worst < 1e-7, "600 grouped commands did not act together: %g", worst);
	ck_assert(rms(plain, n - 4800, n, 0) < 0.2 * rms(plain, at - 4800, at, 0)); /* they acted */
	free(x);
	free(grouped);
	free(plain);
}
END_TEST

/* Staged commands wait for the commit; aborted ones never act; a push
 * that finds the queue full while staging fails. */
START_TEST(command_group_commit_abort_full)
{
	struct engine_options eo = { .n_sources = 4, .ceiling_db = -1.0f, .queue_size = 64 };
	struct engine *e = engine_new(&eo);
	engine_set_core(e, engine_core_new(e, hrtf, 128));
	struct engine_queue *q = engine_queue_open(e);
	place(q, 0, 90, 0, 1.0f);
	const size_t step = 96 * 128, n = 6 * step; /* a quarter second, in whole blocks */
	float *x = tone(n, 0.1f), *out = calloc(n, sizeof(float));
	struct engine_cmd quiet = { .type = ENGINE_CMD_SOURCE_GAIN, .target = 0, .f = { -20.0f } };
	double level[6];
	for (size_t t = 0; t + 128 <= n; t += 128) {
		if (t == step) {
			engine_queue_begin(q);
			cmd(q, quiet);
		} else if (t == 2 * step) {
			engine_queue_abort(q);
		} else if (t == 3 * step) {
			engine_queue_begin(q);
			for (int k = 0; k < 64; k++)
				cmd(q, quiet);
			ck_assert_msg(!engine_queue_push(q, &quiet), "a push found room in a full queue");
			engine_queue_abort(q);
			engine_queue_begin(q);
			cmd(q, quiet); /* the room is back */
		} else if (t == 4 * step) {
			engine_queue_commit(q);
		}
		block_left(e, x, t, out);
		if ((t + 128) % step == 0)
			level[t / step] = block_rms(out, t);
	}
	ck_assert(level[0] > 1e-3);
	for (int k = 1; k < 4; k++)
		ck_assert_msg(fabs(20 * log10(level[k] / level[0])) < 0.01, "a staged or aborted command acted by %d",
			      k);
	ck_assert_msg(fabs(20 * log10(level[5] / level[0]) + 20.0) < 0.05, "the committed command did not act");
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
	tcase_add_loop_test(tc, static_source_at_measured_direction_is_direct_convolution_of_its_hrir, 0,
			    (int)(sizeof blocks / sizeof blocks[0]));
	tcase_add_test(tc, gain_distance_mute_master);
	tcase_add_test(tc, gain_change_is_smooth);
	tcase_add_test(tc, fade_reports_when_done);
	tcase_add_test(tc, limiter_holds_ceiling_for_many_loud_sources);
	tcase_add_test(tc, block_size_change_keeps_sound);
	tcase_add_test(tc, held_voice_and_input_go_on_through_block_size_changes);
	tcase_add_test(tc, period_of_several_blocks_is_those_blocks);
	tcase_add_test(tc, smaller_period_before_its_core_is_silent_and_voices_wait);
	tcase_add_test(tc, gain_ramp_is_linear_over_its_time);
	tcase_add_test(tc, mute_ramp_fades_over_its_time);
	tcase_add_test(tc, place_glides_the_shorter_way);
	tcase_add_test(tc, input_meter_reports_each_fed_source);
	tcase_add_test(tc, command_group_applies_in_one_block);
	tcase_add_test(tc, moving_places_are_reported);
	tcase_add_test(tc, command_group_commit_abort_full);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
