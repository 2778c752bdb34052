/* Triggered sounds in the engine, offline: sample-accurate onsets,
 * round robin and random variants, velocity, hold and release, loops,
 * choke groups, polyphony, panic and a flood of triggers. */
#include "config.h"

#include <check.h>
#include <stdatomic.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "prep/hrtf.h"
#include "config/scene.h"
#include "rt/engine.h"
#include "rt/engine_impl.h" /* the engine's frame counter */
#include "rt/scene_data.h"

#define RATE 48000
#define BLOCK 128

static struct hrtf_set *hrtf;
static struct engine *e;
static struct engine_queue *q;
static struct eng_scene *sc;

static const char *sofa_path(void)
{
	const char *p = getenv("DEFAULT_SOFA");
	return p && *p ? p : TINGLE_DEFAULT_SOFA;
}

static uint64_t lcg = 12345;
static float noise1(void)
{
	lcg = lcg * 6364136223846793005ULL + 1442695040888963407ULL;
	return (float)(lcg >> 40) / (float)(1u << 24) * 2.0f - 1.0f;
}

/* Sound k of the test scene: n variants of len frames, made by fill. */
enum fill { IMPULSE, NOISE, DC, SINE };
static struct eng_sound *sound(unsigned k, unsigned n, uint32_t len, enum fill fill, uint8_t mode)
{
	struct eng_sound *s = &sc->sounds[k];
	s->var = calloc(n, sizeof *s->var);
	s->n_var = n;
	for (unsigned v = 0; v < n; v++) {
		s->var[v].data = calloc(len, sizeof(float));
		s->var[v].len = len;
		for (uint32_t i = 0; i < len; i++)
			s->var[v].data[i] = fill == IMPULSE ? (i == 0 ? 0.5f : 0.0f)
					  : fill == DC	  ? 0.1f
					  : fill == SINE  ? 0.1f * sinf(2.0f * (float)M_PI * 200.0f * (float)i / RATE)
							  : 0.1f * noise1();
	}
	s->mode = mode;
	s->select = SOUND_ROUNDROBIN;
	s->gain = 1.0f;
	s->velocity = 1.0f;
	s->release = RATE / 10;
	s->choke = -1;
	s->polyphony = 8;
	s->source = 0;
	s->last = -1;
	if (k >= sc->n_sounds)
		sc->n_sounds = k + 1;
	return s;
}

static void setup(void)
{
	char err[256];
	ck_assert_msg(hrtf_load(sofa_path(), RATE, &hrtf, err, sizeof err) == 0, "%s", err);
	struct engine_options eo = { .n_sources = 4, .ceiling_db = -1.0f, .voices = 16, .seed = 1 };
	e = engine_new(&eo);
	engine_set_core(e, engine_core_new(e, hrtf, BLOCK));
	q = engine_queue_open(e);
	sc = calloc(1, sizeof *sc);
	sc->sounds = calloc(8, sizeof *sc->sounds);
	sc->rate = RATE;
	struct engine_cmd cmds[] = {
		{ .type = ENGINE_CMD_SOURCE_PLACE, .target = 0, .flags = 7, .f = { 0, 0, 1 } },
		{ .type = ENGINE_CMD_SOURCE_ACTIVE, .target = 0, .i = 1 },
		{ .type = ENGINE_CMD_SOURCE_PLACE, .target = 1, .flags = 7, .f = { 90, 0, 1 } },
		{ .type = ENGINE_CMD_SOURCE_ACTIVE, .target = 1, .i = 1 },
		{ .type = ENGINE_CMD_SCENE, .ptr = sc },
	};
	for (size_t k = 0; k < sizeof cmds / sizeof cmds[0]; k++)
		ck_assert(engine_queue_push(q, &cmds[k]));
	/* Let the sources' gains reach their targets before anything plays. */
	float l[BLOCK], r[BLOCK];
	float *o[2] = { l, r };
	for (int k = 0; k < 200; k++)
		engine_process(e, NULL, 0, o, BLOCK, NULL, 0);
	struct engine_event ev;
	while (engine_event_poll(e, &ev))
		;
}

static void teardown(void)
{
	engine_free(e);
	for (unsigned k = 0; k < sc->n_sounds; k++) {
		for (unsigned v = 0; v < sc->sounds[k].n_var; v++)
			free(sc->sounds[k].var[v].data);
		free(sc->sounds[k].var);
	}
	free(sc->sounds);
	free(sc);
	hrtf_free(hrtf);
}

struct ev {
	size_t frame;
	uint16_t type;
	int sound;         /* i */
	float vel;
};

/* The scene ENGINE_CMD_SCENE events in run() switch to. */
static struct eng_scene *switch_to;

/* Renders n frames (left, right interleaved) with events at their frames,
 * exactly as tingle-render does: each goes to the block holding its frame,
 * with its offset in it. */
static float *run(const struct ev *evs, size_t n_ev, size_t n)
{
	float *out = calloc(2 * n, sizeof(float));
	float l[BLOCK], r[BLOCK];
	float *o[2] = { l, r };
	size_t k = 0;
	for (size_t t = 0; t + BLOCK <= n; t += BLOCK) {
		for (; k < n_ev && evs[k].frame < t + BLOCK; k++) {
			struct engine_cmd c = { .type = evs[k].type,
						.ptr = evs[k].type == ENGINE_CMD_SCENE ? switch_to : sc,
						.i = evs[k].sound,
						.offset = (uint32_t)(evs[k].frame - t), .f = { evs[k].vel } };
			ck_assert(engine_queue_push(q, &c));
		}
		engine_process(e, NULL, 0, o, BLOCK, NULL, 0);
		for (int i = 0; i < BLOCK; i++) {
			out[2 * (t + i)] = l[i];
			out[2 * (t + i) + 1] = r[i];
		}
		struct engine_event ev;
		while (engine_event_poll(e, &ev))
			;
	}
	return out;
}

static long onset(const float *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fabsf(out[2 * i]) > 1e-6f || fabsf(out[2 * i + 1]) > 1e-6f)
			return (long)i;
	return -1;
}

static double rms(const float *out, size_t from, size_t to)
{
	double s = 0;
	for (size_t i = from; i < to; i++)
		s += (double)out[2 * i] * out[2 * i] + (double)out[2 * i + 1] * out[2 * i + 1];
	return sqrt(s / (double)(2 * (to - from)));
}

START_TEST(onset_at_exact_frame)
{
	sound(0, 1, 64, IMPULSE, SOUND_ONESHOT);
	const size_t frames[] = { 0, 1, 127, 128, 1000, 12345, 47999 };
	long base = -1;
	for (size_t k = 0; k < sizeof frames / sizeof frames[0]; k++) {
		struct ev ev = { frames[k], ENGINE_CMD_TRIGGER, 0, 1.0f };
		float *out = run(&ev, 1, 49152);
		long at = onset(out, 49152);
		free(out);
		ck_assert_int_ge(at, 0);
		if (k == 0)
			base = at; /* the HRIR's own onset */
		ck_assert_msg(at - base == (long)frames[k], "trigger at %zu sounded at %ld (HRIR onset %ld)",
			      frames[k], at, base);
		/* Fresh engine state for the next one. */
		struct engine_cmd p = { .type = ENGINE_CMD_PANIC };
		engine_queue_push(q, &p);
		float *flush = run(NULL, 0, 9600);
		free(flush);
	}
}
END_TEST

START_TEST(round_robin_variants_differ)
{
	sound(0, 3, 4800, NOISE, SOUND_ONESHOT);
	struct ev evs[] = { { 0, ENGINE_CMD_TRIGGER, 0, 1 }, { 9600, ENGINE_CMD_TRIGGER, 0, 1 },
			    { 19200, ENGINE_CMD_TRIGGER, 0, 1 }, { 28800, ENGINE_CMD_TRIGGER, 0, 1 } };
	float *out = run(evs, 4, 38400);
	double diff01 = 0, diff03 = 0, e0 = 0;
	for (size_t i = 0; i < 9600; i++) {
		double a = out[2 * i], b = out[2 * (i + 9600)], d = out[2 * (i + 28800)];
		diff01 += (a - b) * (a - b);
		diff03 += (a - d) * (a - d);
		e0 += a * a;
	}
	ck_assert_msg(e0 > 1e-3, "silent");
	ck_assert_msg(diff01 > 0.5 * e0, "two consecutive triggers sound the same");
	ck_assert_msg(diff03 < 1e-9 * e0 + 1e-12, "round robin did not come back to the first variant");
	free(out);
}
END_TEST

START_TEST(random_never_repeats)
{
	struct eng_sound *s = sound(0, 4, 256, NOISE, SOUND_ONESHOT);
	s->select = SOUND_RANDOM;
	int last = -1, seen[4] = { 0 };
	for (int k = 0; k < 200; k++) {
		struct ev ev = { 0, ENGINE_CMD_TRIGGER, 0, 1 };
		float *out = run(&ev, 1, BLOCK);
		free(out);
		ck_assert_int_ne(s->last, last);
		last = s->last;
		seen[last]++;
	}
	for (int v = 0; v < 4; v++)
		ck_assert_msg(seen[v] > 20, "variant %d chosen %d times in 200", v, seen[v]);
}
END_TEST

START_TEST(velocity_follows_curve)
{
	struct eng_sound *s = sound(0, 1, 9600, NOISE, SOUND_ONESHOT);
	const float sens[] = { 1.0f, 0.5f, 0.0f };
	for (size_t k = 0; k < 3; k++) {
		s->velocity = sens[k];
		struct ev a = { 0, ENGINE_CMD_TRIGGER, 0, 1.0f }, b = { 0, ENGINE_CMD_TRIGGER, 0, 0.5f };
		float *full = run(&a, 1, 9600);
		float *half = run(&b, 1, 9600);
		double db = 20 * log10(rms(half, 1000, 9000) / rms(full, 1000, 9000)); /* past the last one's tail */
		double want = 20 * log10(1.0 - sens[k] * 0.5);
		ck_assert_msg(fabs(db - want) < 0.01, "sensitivity %g: %g dB, expected %g", sens[k], db, want);
		free(full);
		free(half);
	}
}
END_TEST

START_TEST(hold_until_release_then_decays)
{
	struct eng_sound *s = sound(0, 1, RATE * 3, NOISE, SOUND_HOLD);
	s->release = RATE / 20; /* 50 ms */
	struct ev evs[] = { { 0, ENGINE_CMD_TRIGGER, 0, 1 }, { 48000, ENGINE_CMD_RELEASE, 0, 0 } };
	float *out = run(evs, 2, 96000);
	double held = rms(out, 38400, 48000);
	ck_assert_msg(held > 1e-3, "silent while held");
	/* Release time, plus the HRIR's length, later: silence. */
	size_t quiet = 48000 + 2400 + hrtf->length;
	/* (Rounding noise of the FFTs aside: far below hearing.) */
	ck_assert_msg(rms(out, quiet, 96000) < 1e-7, "still sounding after the release: %g",
		      rms(out, quiet, 96000));
	ck_assert_msg(rms(out, 48000 + 1200, 48000 + 1400) < 0.7 * held, "no decay during the release");
	free(out);
}
END_TEST

START_TEST(loop_plays_past_its_end_without_click)
{
	sound(0, 1, 4800, DC, SOUND_LOOP); /* 100 ms of a constant: any seam shows */
	struct ev evs[] = { { 0, ENGINE_CMD_TRIGGER, 0, 1 }, { 38400, ENGINE_CMD_RELEASE, 0, 0 } };
	float *out = run(evs, 2, 57600);
	double late = rms(out, 28800, 38400); /* 6 loops in */
	ck_assert_msg(late > 1e-4, "loop stopped");
	double jump = 0;
	for (size_t i = 9600; i < 38400; i++)
		jump = fmax(jump, fabs(out[2 * i] - out[2 * (i - 1)]));
	ck_assert_msg(jump < 1e-4, "a seam in the loop: step %g", jump);
	free(out);
}
END_TEST

/* A choke group cuts the previous voice with a short fade: bounded
 * sample-to-sample jump, and it is gone within the fade. */
/* A pool of n segments of len frames, every one FRESH, each a level of DC
 * (the seams then show as steps). */
static struct eng_pool *pool_of(unsigned n, uint32_t len, uint32_t splice)
{
	struct eng_pool *p = calloc(1, sizeof *p);
	p->seg = calloc(n, sizeof *p->seg);
	p->n_seg = n;
	p->splice = splice;
	for (unsigned k = 0; k < n; k++) {
		p->seg[k].data = calloc(len, sizeof(float));
		p->seg[k].len = len;
		for (uint32_t i = 0; i < len; i++)
			p->seg[k].data[i] = 0.05f + 0.02f * (float)k;
		atomic_init(&p->seg[k].state, SEG_FRESH);
	}
	return p;
}

static void pool_drop(struct eng_pool *p)
{
	for (unsigned k = 0; k < p->n_seg; k++)
		free(p->seg[k].data);
	free(p->seg);
	free(p);
}

static unsigned pool_count(const struct eng_pool *p, unsigned state)
{
	unsigned n = 0;
	for (unsigned k = 0; k < p->n_seg; k++)
		n += atomic_load(&p->seg[k].state) == state;
	return n;
}

/* A texture (a looping generated sound) held for 1.5 s: it splices
 * through its three fresh 0.2 s segments, giving each back, then (no
 * worker here) through its own at random points; no seam is a step, and
 * when it has been released every segment is back in the pool. */
START_TEST(texture_splices_fresh_segments)
{
	struct eng_sound *s = sound(0, 1, 9600, DC, SOUND_LOOP);
	s->pool = pool_of(3, 9600, 2400);
	s->texture = true;
	s->attack = RATE / 100;
	size_t n = 2 * RATE;
	struct ev evs[] = { { 0, ENGINE_CMD_TRIGGER, 0, 1.0f }, { 3 * RATE / 2, ENGINE_CMD_RELEASE, 0, 0.0f } };
	float *out = run(evs, 2, n);
	ck_assert_msg(pool_count(s->pool, SEG_FRESH) == 0, "%u segments never played", pool_count(s->pool, SEG_FRESH));
	ck_assert_msg(pool_count(s->pool, SEG_FREE) == 3, "%u segments given back", pool_count(s->pool, SEG_FREE));
	double late = rms(out, RATE * 5 / 4, RATE * 7 / 5);
	ck_assert_msg(late > 1e-3, "the texture stopped when the pool ran dry (%g)", late);
	double jump = 0.0;
	for (size_t i = RATE / 10; i < 3 * RATE / 2; i++)
		jump = fmax(jump, fabs((double)out[2 * i] - out[2 * (i - 1)]));
	ck_assert_msg(jump < 2e-3, "a seam between segments: step %g", jump);
	free(out);
	pool_drop(s->pool);
	s->pool = NULL;
}
END_TEST

/* Generated one-shots: each trigger takes a fresh segment, never one
 * another voice took, and gives it back when it ends; with none fresh,
 * the fixed variants play. */
START_TEST(oneshot_takes_fresh_segments)
{
	struct eng_sound *s = sound(0, 1, 4800, NOISE, SOUND_ONESHOT);
	s->pool = pool_of(2, 4800, 0);
	struct ev evs[] = { { 0, ENGINE_CMD_TRIGGER, 0, 1.0f },
			    { 100, ENGINE_CMD_TRIGGER, 0, 1.0f },
			    { 200, ENGINE_CMD_TRIGGER, 0, 1.0f } };
	float *out = run(evs, 3, 2400);
	ck_assert_uint_eq(pool_count(s->pool, SEG_TAKEN), 2);
	ck_assert_uint_eq(e->voice[0].seg == e->voice[1].seg, 0);
	free(out);
	out = run(NULL, 0, RATE / 5);
	ck_assert_uint_eq(pool_count(s->pool, SEG_FREE), 2);
	free(out);
	pool_drop(s->pool);
	s->pool = NULL;
}
END_TEST

/* Velocity's low-pass: a light touch of a sound with vel_cents is
 * darker (less of its high frequencies) than a full one, level aside. */
START_TEST(light_touch_is_darker)
{
	struct eng_sound *s = sound(0, 1, RATE / 5, NOISE, SOUND_ONESHOT);
	s->vel_cents = 2400.0f;
	s->vel_top_hz = 8000.0f;
	s->velocity = 0.0f; /* level does not follow velocity: only brightness */
	double hf[2], all[2];
	for (int k = 0; k < 2; k++) {
		struct ev evs[] = { { 0, ENGINE_CMD_TRIGGER, 0, k ? 1.0f : 0.2f } };
		float *out = run(evs, 1, RATE / 5);
		double d = 0.0, a = 0.0;
		for (size_t i = 1; i < RATE / 5; i++) { /* first difference: high frequencies */
			d += pow((double)out[2 * i] - out[2 * (i - 1)], 2.0);
			a += (double)out[2 * i] * out[2 * i];
		}
		hf[k] = d;
		all[k] = a;
		free(out);
		free(run(NULL, 0, RATE / 10));
	}
	ck_assert_msg(hf[0] / all[0] < 0.5 * hf[1] / all[1], "high share %.4f (0.2) vs %.4f (1.0)", hf[0] / all[0],
		      hf[1] / all[1]);
}
END_TEST

START_TEST(choke_cuts_without_click)
{
	struct eng_sound *a = sound(0, 1, RATE, SINE, SOUND_ONESHOT);
	struct eng_sound *b = sound(1, 1, 64, IMPULSE, SOUND_ONESHOT);
	a->choke = b->choke = 0;
	b->gain = 0.0f; /* B itself is silent: what we hear is A being cut */
	struct ev evs[] = { { 0, ENGINE_CMD_TRIGGER, 0, 1 }, { 24000, ENGINE_CMD_TRIGGER, 1, 1 } };
	float *out = run(evs, 2, 38400);
	ck_assert(rms(out, 12000, 24000) > 1e-3);
	/* A click is a burst in the second difference; a 200 Hz tone has a
	 * tiny one. A hard cut would put the tone's full step through the HRIR. */
	double steady = 0, cut = 0;
	for (size_t i = 12000; i < 38400; i++) {
		double d2 = fabs(out[2 * i] - 2.0 * out[2 * (i - 1)] + out[2 * (i - 2)]);
		if (i < 24000)
			steady = fmax(steady, d2);
		else
			cut = fmax(cut, d2);
	}
	ck_assert_msg(cut <= 4.0 * steady, "second difference %g at the cut, %g steady", cut, steady);
	ck_assert_msg(rms(out, 24000 + 240 + hrtf->length + 6 * BLOCK, 38400) < 1e-7, "not cut within 5 ms");
	free(out);
}
END_TEST

START_TEST(polyphony_limits_voices)
{
	struct eng_sound *s = sound(0, 1, RATE, NOISE, SOUND_ONESHOT);
	s->polyphony = 2;
	struct ev evs[5];
	for (int k = 0; k < 5; k++)
		evs[k] = (struct ev){ (size_t)k * 1000, ENGINE_CMD_TRIGGER, 0, 1 };
	float *out = run(evs, 5, 9600);
	free(out);
	/* The engine's own count, reported with the meters. */
	unsigned sounding = 0;
	float l[BLOCK], r[BLOCK];
	float *o[2] = { l, r };
	for (int k = 0; k < 8000 / BLOCK + 1; k++)
		engine_process(e, NULL, 0, o, BLOCK, NULL, 0);
	struct engine_event ev;
	while (engine_event_poll(e, &ev))
		if (ev.type == ENGINE_EV_VOICES)
			sounding = ev.count;
	ck_assert_uint_eq(sounding, 2);
}
END_TEST

START_TEST(panic_silences_within_20ms)
{
	sound(0, 1, RATE * 2, NOISE, SOUND_LOOP);
	sound(1, 1, RATE * 2, NOISE, SOUND_ONESHOT);
	struct ev evs[] = { { 0, ENGINE_CMD_TRIGGER, 0, 1 }, { 10, ENGINE_CMD_TRIGGER, 1, 1 },
			    { 24000, ENGINE_CMD_PANIC, 0, 0 } };
	float *out = run(evs, 3, 48000);
	ck_assert(rms(out, 20000, 24000) > 1e-3);
	ck_assert_msg(rms(out, 24000 + 960 + hrtf->length + 6 * BLOCK, 48000) < 1e-7, "sound after panic + 20 ms");
	double jump = 0, steady = 0;
	for (size_t i = 12000; i < 24000; i++)
		steady = fmax(steady, fabs(out[2 * i] - out[2 * (i - 1)]));
	for (size_t i = 24000; i < 26000; i++)
		jump = fmax(jump, fabs(out[2 * i] - out[2 * (i - 1)]));
	ck_assert_msg(jump <= steady, "panic clicked: %g vs %g", jump, steady);
	free(out);
}
END_TEST

START_TEST(flood_stays_finite_and_below_ceiling)
{
	for (unsigned k = 0; k < 4; k++) {
		struct eng_sound *s = sound(k, 3, RATE / 2, NOISE, k == 3 ? SOUND_LOOP : SOUND_ONESHOT);
		s->gain = 30.0f; /* far too loud on purpose */
		s->source = (int)(k % 2);
		s->polyphony = 16;
		s->random_pitch_cents = 100;
		s->random_gain_db = 6;
	}
	const size_t n_ev = 10000;
	struct ev *evs = calloc(n_ev, sizeof *evs);
	for (size_t k = 0; k < n_ev; k++)
		evs[k] = (struct ev){ k * RATE / n_ev, ENGINE_CMD_TRIGGER, (int)(k % 4), 1.0f };
	float *out = run(evs, n_ev, RATE + RATE / 2);
	float ceiling = db_to_gain(-1.0f);
	for (size_t i = 0; i < 2 * (size_t)(RATE + RATE / 2); i++) {
		ck_assert(isfinite(out[i]));
		ck_assert_msg(fabsf(out[i]) <= ceiling, "sample %zu: %g", i, out[i]);
	}
	ck_assert(rms(out, 0, RATE) > 0.1);
	free(evs);
	free(out);
}
END_TEST

/* MIDI in engine_process's own array: events at absolute frames, each
 * handed to the block that holds it. */
struct mev {
	size_t frame;
	uint8_t size;
	uint8_t b[3];
};

/* ENGINE_EV_MIDI as reported: the message and its frame. */
struct got {
	uint32_t msg;
	uint64_t frame;
};

static size_t n_got;
static struct got got[64];

static float *run_midi(const struct mev *m, size_t n_m, size_t n)
{
	float *out = calloc(2 * n, sizeof(float));
	float l[BLOCK], r[BLOCK];
	float *o[2] = { l, r };
	struct engine_midi blk[16];
	size_t k = 0;
	for (size_t t = 0; t + BLOCK <= n; t += BLOCK) {
		unsigned nb = 0;
		for (; k < n_m && m[k].frame < t + BLOCK && nb < 16; k++)
			blk[nb++] = (struct engine_midi){ .frame = (uint32_t)(m[k].frame - t), .size = m[k].size,
							  .data = { m[k].b[0], m[k].b[1], m[k].b[2] } };
		engine_process(e, NULL, 0, o, BLOCK, blk, nb);
		for (int i = 0; i < BLOCK; i++) {
			out[2 * (t + i)] = l[i];
			out[2 * (t + i) + 1] = r[i];
		}
		struct engine_event ev;
		while (engine_event_poll(e, &ev))
			if (ev.type == ENGINE_EV_MIDI && n_got < sizeof got / sizeof got[0])
				got[n_got++] = (struct got){ ev.count, ev.frame };
	}
	return out;
}

static void map_note(uint8_t note, unsigned sound)
{
	sc->note_sound[note][sc->note_count[note]++] = (uint16_t)sound;
}

static void quiet_engine(void)
{
	struct engine_cmd p = { .type = ENGINE_CMD_PANIC };
	ck_assert(engine_queue_push(q, &p));
	free(run_midi(NULL, 0, 9600));
}

/* 90 B0 7F is not note 48 with its high bit lost: it is no message at
 * all. Nor is a note-on one byte short. 90 30 7F is note 48. */
START_TEST(malformed_note_on_plays_nothing)
{
	sound(0, 1, RATE, NOISE, SOUND_ONESHOT);
	map_note(48, 0);
	const struct mev bad[] = {
		{ 100, 3, { 0x90, 0xb0, 0x7f } },  /* data byte with the high bit */
		{ 200, 3, { 0x90, 0x30, 0xff } },  /* velocity with the high bit */
		{ 300, 2, { 0x90, 0x30, 0x7f } },  /* note-on, two bytes */
		{ 400, 3, { 0x30, 0x30, 0x7f } },  /* no status byte */
		{ 500, 3, { 0xc0, 0x30, 0x7f } },  /* program change, three bytes */
		{ 600, 1, { 0xf8, 0, 0 } },        /* clock: real-time, not for us */
	};
	float *out = run_midi(bad, sizeof bad / sizeof bad[0], 9600);
	ck_assert_msg(rms(out, 0, 9600) == 0.0, "a malformed note-on sounded: rms %g", rms(out, 0, 9600));
	free(out);

	/* The same through a command queue, as the ALSA sequencer sends it. */
	struct engine_cmd c = { .type = ENGINE_CMD_MIDI, .i = 0x90 | 0xb0 << 8 | 0x7f << 16 };
	ck_assert(engine_queue_push(q, &c));
	c = (struct engine_cmd){ .type = ENGINE_CMD_MIDI, .i = 0x90 | 0x30 << 8 | 0x7f << 16, .target = 2 };
	ck_assert(engine_queue_push(q, &c));
	out = run_midi(NULL, 0, 9600);
	ck_assert_msg(rms(out, 0, 9600) == 0.0, "a malformed queued note-on sounded");
	free(out);

	const struct mev good = { 100, 3, { 0x90, 0x30, 0x7f } };
	out = run_midi(&good, 1, 9600);
	ck_assert_msg(rms(out, 0, 9600) > 1e-3, "note 48 did not sound");
	free(out);
	quiet_engine();
	c = (struct engine_cmd){ .type = ENGINE_CMD_MIDI, .i = 0x90 | 0x30 << 8 | 0x7f << 16 };
	ck_assert(engine_queue_push(q, &c));
	out = run_midi(NULL, 0, 9600);
	ck_assert_msg(rms(out, 0, 9600) > 1e-3, "a queued note 48 did not sound");
	free(out);
}
END_TEST

/* A note-off (or a note-on of velocity 0) with a bad data byte releases
 * nothing; the real one does. */
START_TEST(malformed_note_off_releases_nothing)
{
	struct eng_sound *s = sound(0, 1, RATE * 3, NOISE, SOUND_HOLD);
	s->release = RATE / 20;
	map_note(48, 0);
	const struct mev evs[] = {
		{ 0, 3, { 0x90, 0x30, 0x7f } },
		{ 4800, 3, { 0x80, 0xb0, 0x00 } },  /* note-off of "48" with the high bit */
		{ 4900, 3, { 0x90, 0xb0, 0x00 } },  /* the same as a note-on, velocity 0 */
		{ 5000, 3, { 0x80, 0x30, 0x80 } },  /* release velocity with the high bit */
		{ 5100, 2, { 0x80, 0x30, 0x00 } },  /* one byte short */
		{ 24000, 3, { 0x80, 0x30, 0x00 } }, /* the real one */
	};
	float *out = run_midi(evs, sizeof evs / sizeof evs[0], 48000);
	double before = rms(out, 1000, 4800);
	ck_assert_msg(before > 1e-3, "note 48 did not sound");
	ck_assert_msg(rms(out, 19200, 24000) > 0.5 * before, "a malformed note-off released the note: %g vs %g",
		      rms(out, 19200, 24000), before);
	size_t quiet = 24000 + 2400 + hrtf->length;
	ck_assert_msg(rms(out, quiet, 48000) < 1e-7, "the real note-off did not release it");
	free(out);
}
END_TEST

/* MIDI through a reader: every event is handled, however many in a block. */
/* The main thread frees a scene only when the engine says it let go of it:
 * that word must get through even when the event ring is full (a main
 * thread held up for a while), or the scene stays in memory for ever. */
START_TEST(every_scene_handed_back_past_a_full_event_ring)
{
	enum { N = 4100 }; /* more than the event ring holds */
	struct eng_scene *many = calloc(N, sizeof *many);
	ck_assert_ptr_nonnull(many);
	float l[BLOCK], r[BLOCK];
	float *o[2] = { l, r };
	for (size_t k = 0; k < N; k++) {
		many[k].rate = RATE;
		struct engine_cmd c = { .type = ENGINE_CMD_SCENE, .ptr = &many[k] };
		ck_assert(engine_queue_push(q, &c));
		if (k % 100 == 99)
			engine_process(e, NULL, 0, o, BLOCK, NULL, 0); /* events are not read meanwhile */
	}
	struct engine_cmd back = { .type = ENGINE_CMD_SCENE, .ptr = sc };
	ck_assert(engine_queue_push(q, &back));
	engine_process(e, NULL, 0, o, BLOCK, NULL, 0);
	size_t released = 0, dropped = 0;
	for (int k = 0; k < 10; k++) {
		struct engine_event ev;
		while (engine_event_poll(e, &ev)) {
			if (ev.type == ENGINE_EV_SCENE_RELEASED)
				released++;
			else if (ev.type == ENGINE_EV_DROPPED)
				dropped += ev.count;
		}
		engine_process(e, NULL, 0, o, BLOCK, NULL, 0);
	}
	/* sc at the first switch, each of the N when the next (or sc) came. */
	ck_assert_msg(released == N + 1, "%zu of %d scenes reported handed back (%zu events dropped)", released,
		      N + 1, dropped);
	free(many);
}
END_TEST

static bool flood_get(void *ctx, uint32_t k, struct engine_midi_view *ev)
{
	static uint8_t cc[3] = { 0xb0, 1, 64 }, off[3] = { 0x80, 0x30, 0 };
	uint32_t n = *(const uint32_t *)ctx;
	ev->frame = (uint32_t)((uint64_t)k * BLOCK / n);
	ev->size = 3;
	ev->data = k + 1 == n ? off : cc;
	return true;
}

START_TEST(reader_takes_every_event)
{
	struct eng_sound *s = sound(0, 1, 4800, NOISE, SOUND_LOOP);
	s->release = RATE / 20;
	map_note(48, 0);
	const struct mev on = { 0, 3, { 0x90, 0x30, 0x7f } };
	float *out = run_midi(&on, 1, 9600);
	ck_assert(rms(out, 4800, 9600) > 1e-3);
	free(out);
	/* 5000 controllers, then the note-off, all in one block. */
	uint32_t n = 5001;
	struct engine_midi_reader r = { .count = n, .get = flood_get, .ctx = &n };
	float l[BLOCK], rr[BLOCK];
	float *o[2] = { l, rr };
	engine_process_reader(e, NULL, 0, o, BLOCK, &r);
	out = run_midi(NULL, 0, 9600);
	ck_assert_msg(rms(out, 2400 + hrtf->length, 9600) < 1e-7, "the loop was not released");
	free(out);
}
END_TEST

static double peak(const float *out, size_t from, size_t to)
{
	double p = 0;
	for (size_t i = 2 * from; i < 2 * to; i++)
		p = fmax(p, fabs(out[i]));
	return p;
}

/* Another scene with the test scene's sounds and notes, fading the one it
 * replaces over `fade` seconds. */
static struct eng_scene *second_scene(float fade)
{
	struct eng_scene *s2 = calloc(1, sizeof *s2);
	*s2 = *sc;
	s2->voices = 0;
	s2->fade = fade;
	switch_to = s2;
	return s2;
}

/* A loop released at 3 s with a 0.6 s release, then a switch to a scene
 * fading over 5 s: the release goes on at its own pace (silent shortly
 * after 3.6 s), whether the switch comes later (0) or in the same block
 * (1); a faster fade (panic, 2) still takes over. */
START_TEST(release_under_way_not_slowed_by_scene_fade)
{
	struct eng_sound *s = sound(0, 1, 4800, NOISE, SOUND_LOOP);
	s->release = RATE * 6 / 10;
	struct eng_scene *s2 = second_scene(5.0f);
	const size_t rel = 3 * RATE + 50, n = 4 * RATE;
	struct ev evs[3] = { { 0, ENGINE_CMD_TRIGGER, 0, 1 }, { rel, ENGINE_CMD_RELEASE, 0, 0 }, { 0, 0, 0, 0 } };
	size_t silent_from = rel + s->release;
	if (_i == 0) {
		evs[2] = (struct ev){ rel + RATE / 10, ENGINE_CMD_SCENE, 0, 0 };
	} else if (_i == 1) {
		evs[2] = (struct ev){ rel + 20, ENGINE_CMD_SCENE, 0, 0 };
	} else {
		evs[2] = (struct ev){ rel + RATE / 10, ENGINE_CMD_PANIC, 0, 0 };
		silent_from = rel + RATE / 10 + RATE / 50;
	}
	float *out = run(evs, 3, n);
	ck_assert_msg(rms(out, 2 * RATE, rel) > 1e-3, "the loop did not sound");
	size_t quiet = silent_from + hrtf->length + 2 * BLOCK;
	ck_assert_msg(peak(out, quiet, n) < 1e-4, "case %d: %g (%.1f dBFS) at %.2f s, after the release", _i,
		      peak(out, quiet, n), 20 * log10(peak(out, quiet, n)), (double)quiet / RATE);
	free(out);
	free(s2);
}
END_TEST

#define MIDI3(a, b, c) ((a) | (b) << 8 | (c) << 16)

/* Hold pedal: note-offs, note-ons of velocity 0 and RELEASE wait while it
 * is down, and go with their own release when it comes up. */
START_TEST(sustain_holds_releases_until_pedal_up)
{
	struct eng_sound *h = sound(0, 1, RATE * 3, NOISE, SOUND_HOLD);
	h->release = RATE / 20;
	struct eng_sound *l = sound(1, 1, 4800, NOISE, SOUND_LOOP);
	l->release = RATE / 20;
	l->source = 1;
	map_note(48, 0);
	map_note(50, 0);
	const size_t up = 72000, n = 96000;
	struct ev evs[] = {
		{ 0, ENGINE_CMD_MIDI, MIDI3(0x90, 48, 100), 0 },
		{ 0, ENGINE_CMD_MIDI, MIDI3(0x91, 50, 100), 0 },
		{ 0, ENGINE_CMD_TRIGGER, 1, 1 },
		{ 4800, ENGINE_CMD_SUSTAIN, 1, 0 },
		{ 9600, ENGINE_CMD_MIDI, MIDI3(0x80, 48, 0), 0 },
		{ 9600, ENGINE_CMD_MIDI, MIDI3(0x91, 50, 0), 0 },
		{ 9600, ENGINE_CMD_RELEASE, 1, 0 },
		{ up, ENGINE_CMD_SUSTAIN, 0, 0 },
	};
	float *out = run(evs, sizeof evs / sizeof evs[0], n);
	double before = rms(out, 1000, 4800);
	ck_assert(before > 1e-3);
	double later = rms(out, 9600 + RATE / 2, 9600 + RATE / 2 + 4800);
	ck_assert_msg(later > 0.7 * before, "0.5 s after the note-offs: %g, before %g", later, before);
	ck_assert_msg(rms(out, up - 4800, up) > 0.7 * before, "not held until the pedal came up");
	size_t quiet = up + h->release + hrtf->length + 2 * BLOCK;
	ck_assert_msg(rms(out, quiet, n) < 1e-7, "still sounding after the pedal came up: %g", rms(out, quiet, n));
	ck_assert_msg(rms(out, up + 1200, up + 1400) < 0.7 * before, "no release when the pedal came up");
	free(out);
}
END_TEST

/* Panic is never held back by the pedal. */
START_TEST(sustain_does_not_hold_back_panic)
{
	struct eng_sound *h = sound(0, 1, RATE * 3, NOISE, SOUND_HOLD);
	h->release = RATE;
	map_note(48, 0);
	struct ev evs[] = {
		{ 0, ENGINE_CMD_SUSTAIN, 1, 0 },
		{ 0, ENGINE_CMD_MIDI, MIDI3(0x90, 48, 100), 0 },
		{ 4800, ENGINE_CMD_MIDI, MIDI3(0x80, 48, 0), 0 },
		{ 24000, ENGINE_CMD_PANIC, 0, 0 },
	};
	float *out = run(evs, sizeof evs / sizeof evs[0], 48000);
	ck_assert(rms(out, 19200, 24000) > 1e-3);
	ck_assert_msg(rms(out, 24000 + 960 + hrtf->length + 6 * BLOCK, 48000) < 1e-7, "held past a panic");
	free(out);
}
END_TEST

/* A scene change lets go of what the pedal held (each with its own
 * release, not the new scene's long fade) and turns the pedal off. */
START_TEST(scene_change_ends_sustain)
{
	struct eng_sound *h = sound(0, 1, RATE * 3, NOISE, SOUND_HOLD);
	h->release = RATE / 20;
	map_note(48, 0);
	struct eng_scene *s2 = second_scene(5.0f);
	const size_t sw = 24000, again = 48000, n = 96000;
	struct ev evs[] = {
		{ 0, ENGINE_CMD_MIDI, MIDI3(0x90, 48, 100), 0 },
		{ 4800, ENGINE_CMD_SUSTAIN, 1, 0 },
		{ 9600, ENGINE_CMD_MIDI, MIDI3(0x80, 48, 0), 0 },
		{ sw, ENGINE_CMD_SCENE, 0, 0 },
		{ again, ENGINE_CMD_MIDI, MIDI3(0x90, 48, 100), 0 },
		{ again + 4800, ENGINE_CMD_MIDI, MIDI3(0x80, 48, 0), 0 },
	};
	float *out = run(evs, sizeof evs / sizeof evs[0], n);
	double before = rms(out, 1000, 4800);
	ck_assert(before > 1e-3);
	ck_assert_msg(rms(out, sw - 4800, sw) > 0.7 * before, "not held before the switch");
	size_t quiet = sw + h->release + hrtf->length + 2 * BLOCK;
	ck_assert_msg(rms(out, quiet, again) < 1e-7, "a held voice stuck across the switch: %g",
		      rms(out, quiet, again));
	ck_assert_msg(rms(out, again + 1000, again + 4800) > 0.7 * before, "the new scene's note did not sound");
	quiet = again + 4800 + h->release + hrtf->length + 2 * BLOCK;
	ck_assert_msg(rms(out, quiet, n) < 1e-7, "the pedal still held after the switch: %g", rms(out, quiet, n));
	free(out);
	free(s2);
}
END_TEST

/* Every well-formed control change and program change, from JACK MIDI
 * and from a queue, is reported in order at its exact frame; nothing
 * malformed, no other message, no note not asked for. CC 123 still
 * releases the notes. */
START_TEST(midi_controls_and_programs_reported)
{
	struct eng_sound *h = sound(0, 1, RATE * 3, NOISE, SOUND_HOLD);
	h->release = RATE;
	map_note(48, 0);
	const struct mev m[] = {
		{ 100, 3, { 0xb0, 7, 100 } },     /* reported */
		{ 130, 3, { 0xb3, 64, 127 } },    /* reported */
		{ 140, 3, { 0xb0, 0x87, 1 } },    /* data byte with its high bit */
		{ 300, 2, { 0xc5, 12, 0 } },      /* reported */
		{ 301, 3, { 0xc5, 12, 0 } },      /* program change, three bytes */
		{ 302, 2, { 0xb0, 7, 0 } },       /* control change, two bytes */
		{ 303, 1, { 0xc0, 0, 0 } },       /* program change, one byte */
		{ 400, 2, { 0xd0, 0x40, 0 } },    /* channel pressure: not reported */
		{ 401, 3, { 0xe0, 0, 64 } },      /* pitch bend: not reported */
		{ 500, 3, { 0x90, 48, 100 } },    /* a note not asked for */
		{ 600, 1, { 0xf8, 0, 0 } },       /* clock */
		{ 5000, 3, { 0xbf, 123, 0 } },    /* reported, and all notes off */
	};
	n_got = 0;
	uint64_t base = e->frames;
	float *out = run_midi(m, sizeof m / sizeof m[0], 19200);
	const struct got want[] = {
		{ MIDI3(0xb0, 7, 100), base + 100 },
		{ MIDI3(0xb3, 64, 127), base + 130 },
		{ MIDI3(0xc5, 12, 0), base + 300 },
		{ MIDI3(0xbf, 123, 0), base + 5000 },
	};
	ck_assert_uint_eq(n_got, 4);
	for (size_t k = 0; k < 4; k++) {
		ck_assert_msg(got[k].msg == want[k].msg, "event %zu: %06x, expected %06x", k, got[k].msg,
			      want[k].msg);
		ck_assert_msg(got[k].frame == want[k].frame, "event %zu at %lu, expected %lu", k,
			      (unsigned long)got[k].frame, (unsigned long)want[k].frame);
	}
	ck_assert_msg(rms(out, 1000, 4800) > 1e-3, "note 48 did not sound");
	ck_assert_msg(rms(out, 5000 + 720 + hrtf->length + 6 * BLOCK, 19200) < 1e-7, "CC 123 did not release it");
	free(out);

	/* From a queue, at its offset in the block. */
	struct engine_cmd c[] = {
		{ .type = ENGINE_CMD_MIDI, .i = MIDI3(0xb1, 1, 5), .offset = 17 },
		{ .type = ENGINE_CMD_MIDI, .i = MIDI3(0xc2, 3, 0), .offset = 18 },
		{ .type = ENGINE_CMD_MIDI, .i = MIDI3(0xc2, 3, 1), .offset = 19 },            /* a third byte */
		{ .type = ENGINE_CMD_MIDI, .i = MIDI3(0xb1, 1, 5), .target = 2, .offset = 20 }, /* too short */
		{ .type = ENGINE_CMD_MIDI, .i = MIDI3(0xb1, 1, 0x85), .offset = 21 },         /* high bit */
		{ .type = ENGINE_CMD_MIDI, .i = MIDI3(0xc2, 4, 0), .target = 2, .offset = 22 },
	};
	for (size_t k = 0; k < sizeof c / sizeof c[0]; k++)
		ck_assert(engine_queue_push(q, &c[k]));
	n_got = 0;
	base = e->frames;
	free(run_midi(NULL, 0, BLOCK));
	ck_assert_uint_eq(n_got, 3);
	ck_assert_uint_eq(got[0].msg, MIDI3(0xb1, 1, 5));
	ck_assert_uint_eq(got[0].frame, base + 17);
	ck_assert_uint_eq(got[1].msg, MIDI3(0xc2, 3, 0));
	ck_assert_uint_eq(got[1].frame, base + 18);
	ck_assert_uint_eq(got[2].msg, MIDI3(0xc2, 4, 0));
	ck_assert_uint_eq(got[2].frame, base + 22);
}
END_TEST

static void forward(int target, int on)
{
	struct engine_cmd c = { .type = ENGINE_CMD_MIDI_FORWARD, .target = target, .i = on };
	ck_assert(engine_queue_push(q, &c));
}

/* Notes are reported only as ENGINE_CMD_MIDI_FORWARD asks: one by one,
 * all (-1), none (-2). */
START_TEST(midi_notes_reported_only_when_forwarded)
{
	const struct mev notes[] = {
		{ 10, 3, { 0x90, 48, 100 } },
		{ 11, 3, { 0x90, 50, 100 } },
		{ 12, 3, { 0xa0, 48, 30 } },      /* poly pressure: never */
		{ 13, 3, { 0x80, 48, 0 } },
		{ 14, 3, { 0x91, 48, 0 } },       /* note-on velocity 0 */
		{ 15, 3, { 0x80, 50, 0 } },
		{ 16, 3, { 0x90, 0xb0, 100 } },   /* malformed "48" */
	};
	const size_t nn = sizeof notes / sizeof notes[0];
	struct {
		int target, on;
		unsigned n;
		uint32_t first;
	} steps[] = {
		{ 0, -3, 0, 0 },           /* nothing asked for yet */
		{ 48, 1, 3, MIDI3(0x90, 48, 100) },
		{ -1, 1, 5, MIDI3(0x90, 48, 100) },
		{ -1, 0, 3, MIDI3(0x90, 48, 100) }, /* 48 still asked for */
		{ -2, 0, 0, 0 },
		{ 50, 1, 2, MIDI3(0x90, 50, 100) },
		{ 50, 0, 0, 0 },
	};
	for (size_t k = 0; k < sizeof steps / sizeof steps[0]; k++) {
		if (steps[k].on >= 0)
			forward(steps[k].target, steps[k].on);
		n_got = 0;
		uint64_t base = e->frames;
		free(run_midi(notes, nn, BLOCK));
		ck_assert_msg(n_got == steps[k].n, "step %zu: %zu notes reported, expected %u", k, n_got, steps[k].n);
		if (n_got) {
			ck_assert_uint_eq(got[0].msg, steps[k].first);
			ck_assert_uint_eq(got[0].frame, base + (got[0].msg == MIDI3(0x90, 48, 100) ? 10 : 11));
		}
		for (size_t i = 0; i < n_got; i++)
			ck_assert_msg(((got[i].msg & 0xf0) == 0x80 || (got[i].msg & 0xf0) == 0x90) &&
					      ((got[i].msg >> 8) & 0xff) < 0x80,
				      "step %zu: %06x reported", k, got[i].msg);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("voices");
	TCase *tc = tcase_create("Triggers");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, onset_at_exact_frame);
	tcase_add_test(tc, round_robin_variants_differ);
	tcase_add_test(tc, texture_splices_fresh_segments);
	tcase_add_test(tc, oneshot_takes_fresh_segments);
	tcase_add_test(tc, light_touch_is_darker);
	tcase_add_test(tc, random_never_repeats);
	tcase_add_test(tc, velocity_follows_curve);
	tcase_add_test(tc, hold_until_release_then_decays);
	tcase_add_test(tc, loop_plays_past_its_end_without_click);
	tcase_add_test(tc, choke_cuts_without_click);
	tcase_add_test(tc, polyphony_limits_voices);
	tcase_add_test(tc, panic_silences_within_20ms);
	tcase_add_test(tc, flood_stays_finite_and_below_ceiling);
	tcase_add_test(tc, malformed_note_on_plays_nothing);
	tcase_add_test(tc, malformed_note_off_releases_nothing);
	tcase_add_test(tc, reader_takes_every_event);
	tcase_add_test(tc, every_scene_handed_back_past_a_full_event_ring);
	tcase_add_loop_test(tc, release_under_way_not_slowed_by_scene_fade, 0, 3);
	tcase_add_test(tc, sustain_holds_releases_until_pedal_up);
	tcase_add_test(tc, sustain_does_not_hold_back_panic);
	tcase_add_test(tc, scene_change_ends_sustain);
	tcase_add_test(tc, midi_controls_and_programs_reported);
	tcase_add_test(tc, midi_notes_reported_only_when_forwarded);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
