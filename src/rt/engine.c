/* Audio thread: one block of the engine. Nothing in this file allocates,
 * locks, logs or does I/O. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "common/util.h"
#include "rt/engine_impl.h"
#include "rt/fpu.h"
#include "rt/midi.h"
#include "rt/motion.h"
#include "rt/listener.h"
#include "common/limits.h"

/* Commands drained per queue per block, so a flood cannot stall a block. */
#define MAX_CMDS_PER_BLOCK 256

/* The room while no scene plays: none (decay 0). */
static const struct room_params no_room = { .size = 8.0f };

static float engine_rate(const struct engine *e) { return (float)(e->core ? e->core->rate : 48000); }

/* The part of a source's gain its place and activity make. */
static float space_target(const struct engine_source *s)
{
	if (!s->active)
		return 0.0f;
	float d = s->distance < ENGINE_MIN_DISTANCE ? ENGINE_MIN_DISTANCE : s->distance;
	/* Unity at 1 m; near the head no louder than the cap ([engine]
	 * near_gain), so nothing dragged through the head blasts the ear. */
	float g = 1.0f / d;
	return g < s->near_cap ? g : s->near_cap;
}

static float source_gain_now(const struct engine_source *s)
{
	return s->level.cur * s->unmuted.cur * s->space.cur;
}

/* Towards `to` in `secs` seconds, linearly from where it is now; 0 (or
 * nonsense) leaves it to the short smoothing. */
static void fader_set(struct fader *f, float to, float secs, float rate)
{
	f->to = to;
	float frames = isfinite(secs) && secs > 0.0f ? secs * rate : 0.0f;
	f->step = frames >= 1.0f ? fabsf(to - f->cur) / frames : 0.0f;
}

static void fader_snap(struct fader *f)
{
	f->cur = f->to;
	f->step = 0.0f;
}

/* While the rest of the source's gain is 0 nothing of this one is heard:
 * an untimed change needs no smoothing (muted before it ever sounds, a
 * source stays silent). */
static void fader_unheard(struct fader *f, float others)
{
	if (others == 0.0f && f->step == 0.0f)
		f->cur = f->to;
}

/* Every gain of the source at its target from now on. */
static void source_snap(struct engine_source *s)
{
	fader_snap(&s->level);
	fader_snap(&s->unmuted);
	s->space.to = space_target(s);
	fader_snap(&s->space);
	s->gain = source_gain_now(s);
}

static void emit_at(struct engine *e, struct engine_event *ev, uint64_t frame)
{
	ev->frame = frame;
	if (e->dropped) {
		struct engine_event d = { .type = ENGINE_EV_DROPPED, .count = e->dropped, .frame = e->frames };
		if (!ring_push(e->events, &d)) {
			e->dropped++;
			return;
		}
		e->dropped = 0;
	}
	if (!ring_push(e->events, ev))
		e->dropped++;
}

static void emit(struct engine *e, struct engine_event *ev) { emit_at(e, ev, e->frames); }


/* ---- voices ------------------------------------------------------ */

/* Choke, panic and stealing fades: short enough to get out of the way,
 * long enough not to click. */
#define FADE_MS 5.0f
#define PANIC_MS 15.0f

static uint64_t rng_next(struct engine *e)
{
	/* xorshift64*: cheap, no state outside the engine, deterministic. */
	uint64_t x = e->rng;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	e->rng = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static float rng_uniform(struct engine *e) /* [0, 1) */
{
	return (float)(rng_next(e) >> 40) / (float)(1u << 24);
}

static uint32_t ms_frames(const struct engine *e, float ms)
{
	return (uint32_t)(ms * 0.001f * engine_rate(e));
}

/* Forget a scene the engine no longer plays from once its last voice is
 * gone: the main thread may then free or keep it. */
static void hand_back(struct engine *e, struct eng_scene *sc);

static void scene_unref(struct engine *e, struct eng_scene *sc)
{
	if (--sc->voices || sc == e->scene)
		return;
	for (unsigned k = 0; k < ENGINE_MAX_OLD_SCENES; k++)
		if (e->old[k] == sc) {
			e->old[k] = NULL;
			hand_back(e, sc);
		}
}

/* The main thread frees a scene only when the engine says it let go of
 * it: that word must not be lost to a full event ring. */
static void hand_back(struct engine *e, struct eng_scene *sc)
{
	struct engine_event ev = { .type = ENGINE_EV_SCENE_RELEASED, .ptr = sc, .frame = e->frames };
	if (ring_push(e->events, &ev))
		return;
	if (e->n_unreported < TINGLE_ARRAY_LEN(e->unreported))
		e->unreported[e->n_unreported++] = sc;
}

static void hand_back_retry(struct engine *e)
{
	unsigned kept = 0;
	for (unsigned k = 0; k < e->n_unreported; k++) {
		struct engine_event ev = { .type = ENGINE_EV_SCENE_RELEASED, .ptr = e->unreported[k],
					   .frame = e->frames };
		if (!ring_push(e->events, &ev))
			e->unreported[kept++] = e->unreported[k];
	}
	e->n_unreported = kept;
}

static void voice_end(struct engine *e, struct voice *v)
{
	voice_give_back(v);
	if (v->scene)
		scene_unref(e, v->scene);
	v->scene = NULL;
	v->sound = NULL;
	v->stage = VOICE_OFF;
	v->held = false;
}

static unsigned count_sounding(const struct engine *e, const struct eng_sound *snd)
{
	unsigned n = 0;
	for (unsigned k = 0; k < e->n_voice_slots; k++) {
		const struct voice *v = &e->voice[k];
		if (v->stage != VOICE_OFF && v->stage != VOICE_FADE && v->event_stage != VOICE_FADE &&
		    (!snd || v->sound == snd))
			n++;
	}
	return n;
}

/* Make room for one more voice of snd at frame `at`: fade out the voice
 * that matters least (of the sound when it is at its polyphony, of all
 * when the pool is at its size). */
static void steal(struct engine *e, const struct eng_sound *snd, uint32_t at)
{
	struct voice *victim = NULL;
	float best = 1e30f;
	for (unsigned k = 0; k < e->n_voice_slots; k++) {
		struct voice *v = &e->voice[k];
		if (v->stage == VOICE_OFF || v->stage == VOICE_FADE || v->event_stage == VOICE_FADE)
			continue;
		if (snd && v->sound != snd)
			continue;
		float sc = voice_score(v, e->frames, engine_rate(e));
		if (sc < best) {
			best = sc;
			victim = v;
		}
	}
	if (victim)
		voice_release(victim, at, ms_frames(e, FADE_MS), true);
}

static struct voice *free_slot(struct engine *e)
{
	struct voice *quietest = NULL;
	for (unsigned k = 0; k < e->n_voice_slots; k++) {
		struct voice *v = &e->voice[k];
		if (v->stage == VOICE_OFF)
			return v;
		if (v->stage == VOICE_FADE && (!quietest || v->env < quietest->env))
			quietest = v;
	}
	/* Every slot busy, half of them fading: take over the quietest fade. */
	if (quietest)
		voice_end(e, quietest);
	return quietest;
}

static void trigger(struct engine *e, struct eng_scene *sc, unsigned sound, float vel, uint8_t note,
		    uint32_t at)
{
	if (sound >= sc->n_sounds)
		return;
	struct eng_sound *snd = &sc->sounds[sound];
	if (!snd->n_var)
		return;
	if (snd->choke >= 0)
		for (unsigned k = 0; k < e->n_voice_slots; k++) {
			struct voice *v = &e->voice[k];
			if (v->stage != VOICE_OFF && v->scene == sc && v->sound->choke == snd->choke)
				voice_release(v, at, ms_frames(e, FADE_MS), true);
		}
	if (count_sounding(e, snd) >= snd->polyphony)
		steal(e, snd, at);
	if (count_sounding(e, NULL) >= e->max_voices)
		steal(e, NULL, at);
	struct voice *v = free_slot(e);
	if (!v)
		return;

	/* A generated sound plays a fresh segment when the worker has one
	 * ready; its fixed variants are what it falls back on. */
	struct eng_segment *seg = voice_pool_take(snd->pool);
	unsigned var;
	if (seg) {
		var = 0;
	} else if (snd->n_var == 1) {
		var = 0;
	} else if (snd->select == SOUND_RANDOM) {
		/* Random, but never the same variant twice in a row. */
		var = (unsigned)(rng_next(e) % (snd->n_var - 1));
		if ((int)var >= snd->last)
			var++;
	} else {
		var = snd->rr % snd->n_var;
		snd->rr = var + 1;
	}
	if (!seg)
		snd->last = (int)var;

	vel = fminf(fmaxf(vel, 0.0f), 1.0f);
	float g = snd->gain * (1.0f - snd->velocity * (1.0f - vel));
	if (snd->random_gain_db > 0.0f)
		g *= db_to_gain((2.0f * rng_uniform(e) - 1.0f) * snd->random_gain_db);
	double step = 1.0;
	if (snd->random_pitch_cents > 0.0f)
		step = exp2((double)((2.0f * rng_uniform(e) - 1.0f) * snd->random_pitch_cents) / 1200.0);

	int source = snd->source;
	if (source < 0 && snd->n_scatter) {
		/* A fresh place around the head: anywhere in azimuth, from a
		 * little below to well above the ears, from the ear to arm's length. */
		source = snd->scatter[snd->scatter_next++ % snd->n_scatter];
		struct engine_source *src = &e->src[source];
		src->azimuth = rng_uniform(e) * 360.0f - 180.0f;
		src->elevation = rng_uniform(e) * 65.0f - 20.0f;
		src->distance = 0.3f + rng_uniform(e) * 0.9f;
		for (int k = 0; k < 3; k++)
			src->glide[k].left = 0;
		src->place_dirty = true;
		if (!src->active) {
			src->active = true;
			src->reset = true;
		}
		/* Only voices play here, and they bring their own envelope. */
		source_snap(src);
	}
	if (source < 0 || (unsigned)source >= e->n_sources) {
		if (seg) /* not played: still fresh */
			atomic_store_explicit(&seg->state, SEG_FRESH, memory_order_relaxed);
		return;
	}

	/* A soft touch rises a little more slowly. */
	uint32_t attack = snd->attack;
	uint32_t soft = (uint32_t)((float)snd->vel_attack * (1.0f - vel));
	if (soft > attack)
		attack = soft;
	*v = (struct voice){
		.stage = attack ? VOICE_ATTACK : VOICE_SUSTAIN,
		.note = note,
		.loop = snd->mode == SOUND_LOOP,
		.scene = sc,
		.sound = snd,
		.sound_index = sound,
		.data = seg ? seg->data : snd->var[var].data,
		.len = seg ? seg->len : snd->var[var].len,
		.step = step,
		.gain = g,
		.env = attack ? 0.0f : 1.0f,
		.env_step = attack ? 1.0f / (float)attack : 0.0f,
		.source = source,
		.start = at,
		.event_at = -1,
		.born = e->frames + at,
		.seg = seg,
		.texture = snd->texture && snd->mode == SOUND_LOOP,
		.splice = snd->pool && snd->pool->splice ? snd->pool->splice : 1,
		.rng = snd->texture ? (uint32_t)(rng_next(e) >> 32) | 1u : 1u,
	};
	if (v->texture)
		voice_enter_texture(v);
	if (snd->vel_cents > 0.0f)
		voice_set_lowpass(v, snd->vel_top_hz, snd->vel_cents, vel, engine_rate(e));
	sc->voices++;
}

static void release_sound(struct engine *e, struct eng_scene *sc, int sound, int note, uint32_t at)
{
	for (unsigned k = 0; k < e->n_voice_slots; k++) {
		struct voice *v = &e->voice[k];
		if (v->stage == VOICE_OFF || v->sound->mode == SOUND_ONESHOT)
			continue;
		if (sc && v->scene != sc)
			continue;
		if (sound >= 0 && v->sound_index != (unsigned)sound)
			continue;
		if (note >= 0 && v->note != note)
			continue;
		if (e->sustain) {
			v->held = true; /* the pedal comes up first */
			continue;
		}
		voice_release(v, at, v->sound->release, false);
	}
}

/* Hold pedal up: what it held goes, each with its own release. */
static void sustain_off(struct engine *e, uint32_t at)
{
	e->sustain = false;
	for (unsigned k = 0; k < e->n_voice_slots; k++) {
		struct voice *v = &e->voice[k];
		if (!v->held)
			continue;
		v->held = false;
		if (v->stage != VOICE_OFF)
			voice_release(v, at, v->sound->release, false);
	}
}

static void fade_all(struct engine *e, struct eng_scene *only, uint32_t at, uint32_t frames,
		     bool oneshots_too)
{
	for (unsigned k = 0; k < e->n_voice_slots; k++) {
		struct voice *v = &e->voice[k];
		if (v->stage == VOICE_OFF || (only && v->scene != only))
			continue;
		if (!oneshots_too && v->sound->mode == SOUND_ONESHOT)
			continue;
		voice_release(v, at, frames, true);
	}
}

static void set_scene(struct engine *e, struct eng_scene *sc)
{
	struct eng_scene *prev = e->scene;
	if (prev == sc)
		return;
	/* Nothing held sticks across a switch. */
	sustain_off(e, 0);
	e->scene = sc;
	/* The new scene's room (the old one's tail changes with it, without
	 * a click). */
	if (e->core)
		room_set(e->core->room, sc ? &sc->room : &no_room);
	if (!prev)
		return;
	/* The old scene's held and looping sounds fade out over the new
	 * scene's fade; its one-shots ring out. It is handed back when its
	 * last voice ends. */
	float secs = sc ? sc->fade : 0.05f;
	fade_all(e, prev, 0, (uint32_t)(fmaxf(secs, 0.005f) * engine_rate(e)), false);
	if (prev->voices == 0) {
		hand_back(e, prev);
		return;
	}
	for (unsigned k = 0; k < ENGINE_MAX_OLD_SCENES; k++)
		if (!e->old[k]) {
			e->old[k] = prev;
			return;
		}
	/* Scene after scene, faster than they ring out: the oldest still
	 * ringing stops now (its last voices end, it is handed back) to make
	 * room. Only a flood of switches gets here. */
	struct eng_scene *oldest = e->old[0];
	for (unsigned k = 0; k < e->n_voice_slots; k++)
		if (e->voice[k].stage != VOICE_OFF && e->voice[k].scene == oldest)
			voice_end(e, &e->voice[k]);
	for (unsigned k = 0; k < ENGINE_MAX_OLD_SCENES; k++)
		if (!e->old[k]) {
			e->old[k] = prev;
			return;
		}
}

/* Every MIDI message, from JACK, a queue or a file, comes in here. A
 * malformed one (see rt/midi.h) is ignored whole: a data byte with its
 * high bit set is never masked into a note. */
static void midi_event(struct engine *e, const uint8_t *b, unsigned size, uint32_t at)
{
	if (!midi_message_ok(b, size))
		return;
	uint8_t kind = b[0] & 0xf0;
	/* The control side learns and maps controllers and programs; notes
	 * only when it asked for them. */
	if (kind == 0xb0 || kind == 0xc0 ||
	    ((kind == 0x80 || kind == 0x90) && (e->midi_fwd_all || e->midi_fwd[b[1]]))) {
		struct engine_event ev = { .type = ENGINE_EV_MIDI, .count = b[0] | (uint32_t)b[1] << 8 };
		if (size == 3)
			ev.count |= (uint32_t)b[2] << 16;
		emit_at(e, &ev, e->frames + at);
	}
	/* Two-byte messages (program change, channel pressure) change
	 * nothing here. */
	if (size != 3)
		return;
	uint8_t note = b[1], vel = b[2];
	if (kind == 0x90 && vel > 0) {
		struct eng_scene *sc = e->scene;
		if (!sc)
			return;
		for (unsigned k = 0; k < sc->note_count[note]; k++)
			trigger(e, sc, sc->note_sound[note][k], (float)vel / 127.0f, note, at);
	} else if (kind == 0x80 || kind == 0x90) {
		release_sound(e, NULL, -1, note, at);
	} else if (kind == 0xb0 && (b[1] == 120 || b[1] == 123)) {
		/* All Sound Off / All Notes Off */
		fade_all(e, NULL, at, ms_frames(e, PANIC_MS), b[1] == 120);
	}
}

static bool scene_known(const struct engine *e, const struct eng_scene *sc)
{
	if (sc == e->scene)
		return true;
	for (unsigned k = 0; k < ENGINE_MAX_OLD_SCENES; k++)
		if (e->old[k] == sc)
			return true;
	return false;
}

static void apply(struct engine *e, const struct engine_cmd *c)
{
	struct engine_source *s = NULL;
	if (c->type >= ENGINE_CMD_SOURCE_PLACE && c->type <= ENGINE_CMD_SOURCE_ACTIVE) {
		if (c->target < 0 || (unsigned)c->target >= e->n_sources)
			return;
		s = &e->src[c->target];
	}
	switch ((enum engine_cmd_type)c->type) {
	case ENGINE_CMD_SOURCE_PLACE: {
		/* Each coordinate given glides from where it is now; the others
		 * go on as they were. Azimuth goes the shorter way round. */
		float ms = c->i > 0 ? (float)c->i : 0.0f;
		uint32_t frames = (uint32_t)fminf(ms * 0.001f * engine_rate(e), 4e9f); /* ~23 h at 48 kHz */
		float to[3] = { 0 };
		if (c->flags & ENGINE_PLACE_AZ)
			to[0] = s->azimuth + wrap_azimuth(wrap_azimuth(c->f[0]) - s->azimuth);
		if (c->flags & ENGINE_PLACE_EL)
			to[1] = fminf(fmaxf(c->f[1], -90.0f), 90.0f);
		if (c->flags & ENGINE_PLACE_DIST)
			to[2] = fminf(fmaxf(c->f[2], ENGINE_MIN_DISTANCE), ENGINE_MAX_DISTANCE);
		float *now[3] = { &s->azimuth, &s->elevation, &s->distance };
		for (int k = 0; k < 3; k++) {
			if (!(c->flags & (ENGINE_PLACE_AZ << k)) || isnan(to[k]))
				continue; /* not given, or NaN */
			s->glide[k] = (struct glide){ .to = to[k], .left = frames };
			if (!frames)
				*now[k] = to[k];
		}
		s->azimuth = s->glide[0].left ? s->azimuth : wrap_azimuth(s->azimuth);
		s->place_dirty = true;
		s->space.to = space_target(s);
		/* A motion goes on from the place set (an orbit round the new
		 * azimuth, a wander about it). */
		if (motion_active(&s->motion)) {
			struct motion_spec spec = s->motion.spec;
			for (int k = 0; k < 3; k++)
				if (s->glide[k].left) {
					*now[k] = s->glide[k].to;
					s->glide[k].left = 0;
				}
			s->azimuth = wrap_azimuth(s->azimuth);
			motion_start(&s->motion, &spec, s->azimuth, s->elevation, s->distance, rng_next(e));
		}
		break;
	}
	case ENGINE_CMD_SOURCE_GAIN:
		s->gain_db = c->f[0];
		fader_set(&s->level, db_to_gain(c->f[0]), c->f[1], engine_rate(e));
		fader_unheard(&s->level, s->unmuted.cur * s->space.cur);
		break;
	case ENGINE_CMD_SOURCE_MUTE:
		s->mute = c->i != 0;
		fader_set(&s->unmuted, s->mute ? 0.0f : 1.0f, c->f[0], engine_rate(e));
		fader_unheard(&s->unmuted, s->level.cur * s->space.cur);
		break;
	case ENGINE_CMD_SOURCE_ACTIVE: {
		bool starting = c->i && !s->active;
		if (starting) {
			s->reset = true;
			s->space.cur = 0.0f; /* fades in from silence */
			fader_unheard(&s->level, 0.0f);
			fader_unheard(&s->unmuted, 0.0f);
		}
		s->active = c->i != 0;
		fader_set(&s->space, space_target(s), 0.0f, engine_rate(e));
		if (starting && (c->flags & ENGINE_ACTIVE_AT_ONCE))
			source_snap(s);
		s->gain = source_gain_now(s);
		break;
	}
	case ENGINE_CMD_NEAR_GAIN: {
		float cap = db_to_gain(fminf(fmaxf(c->f[0], 0.0f), 40.0f));
		for (unsigned k = 0; k < e->n_sources; k++) {
			e->src[k].near_cap = cap;
			e->src[k].space.to = space_target(&e->src[k]);
		}
		break;
	}
	case ENGINE_CMD_SOURCE_ROOM:
		if (c->target >= 0 && (unsigned)c->target < e->n_sources)
			e->src[c->target].room_send = c->f[0] >= TINGLE_GAIN_DB_MIN ? db_to_gain(fminf(c->f[0], TINGLE_SEND_DB_MAX)) : 0.0f;
		break;
	case ENGINE_CMD_SOURCE_MOTION: {
		if (c->target < 0 || (unsigned)c->target >= e->n_sources)
			break;
		struct engine_source *m = &e->src[c->target];
		struct motion_spec spec = { .kind = (enum motion_kind)c->i };
		if (spec.kind == MOTION_ORBIT) {
			spec.rate = c->f[0];
		} else if (spec.kind == MOTION_WANDER) {
			spec.span = c->f[0];
			spec.period = c->f[1];
		} else if (spec.kind == MOTION_SWEEP) {
			memcpy(spec.to, c->f, sizeof spec.to);
			spec.seconds = c->f[3];
		} else {
			spec.kind = MOTION_NONE;
		}
		/* From where it is going: a glide under way (a scene's new
		 * place) ends there at once, and the motion starts from it. */
		float *now[3] = { &m->azimuth, &m->elevation, &m->distance };
		for (int k = 0; k < 3; k++)
			if (m->glide[k].left) {
				*now[k] = m->glide[k].to;
				m->glide[k].left = 0;
			}
		m->azimuth = wrap_azimuth(m->azimuth);
		m->space.to = space_target(m);
		m->place_dirty = true;
		motion_start(&m->motion, &spec, m->azimuth, m->elevation, m->distance, rng_next(e));
		break;
	}
	case ENGINE_CMD_LISTENER:
		if (c->i == 1)
			listener_set_ypr(&e->listener, c->f[0], c->f[1], c->f[2]);
		else if (c->i == 2)
			listener_set_quaternion(&e->listener, c->f[0], c->f[1], c->f[2], c->f[3]);
		else
			listener_reset(&e->listener);
		/* Every direction is heard anew. */
		for (unsigned k = 0; k < e->n_sources; k++)
			e->src[k].place_dirty = true;
		break;
	case ENGINE_CMD_MASTER_GAIN:
		e->master_db = c->f[0];
		e->master_target = db_to_gain(c->f[0]);
		break;
	case ENGINE_CMD_CEILING:
		e->ceiling_db = c->f[0];
		limiter_set_ceiling(&e->lim, c->f[0]);
		break;
	case ENGINE_CMD_FADE: {
		float secs = c->f[1] > 0.0f ? c->f[1] : 0.0f;
		e->fade_target = fminf(fmaxf(c->f[0], 0.0f), 1.0f);
		float frames = e->core ? secs * (float)e->core->rate : 0.0f;
		float dist = fabsf(e->fade_target - e->fade_gain);
		e->fade_step = frames >= 1.0f ? dist / frames : dist;
		e->fade_pending = true;
		break;
	}
	case ENGINE_CMD_SCENE:
		set_scene(e, c->ptr);
		break;
	case ENGINE_CMD_TRIGGER:
		/* Resolved by name against the scene the control side saw; a
		 * trigger that crossed a scene change on the way is dropped. */
		if (c->ptr && c->ptr == e->scene)
			trigger(e, c->ptr, (unsigned)c->i, c->f[0], VOICE_NO_NOTE, c->offset);
		else
			e->stale++;
		break;
	case ENGINE_CMD_RELEASE:
		if (c->ptr && scene_known(e, c->ptr))
			release_sound(e, c->ptr, c->i, VOICE_NO_NOTE, c->offset);
		break;
	case ENGINE_CMD_PANIC:
		fade_all(e, NULL, c->offset, ms_frames(e, PANIC_MS), true);
		break;
	case ENGINE_CMD_MIDI: {
		uint32_t w = (uint32_t)c->i;
		uint8_t b[3] = { (uint8_t)(w & 0xff), (uint8_t)((w >> 8) & 0xff), (uint8_t)((w >> 16) & 0xff) };
		unsigned size = c->target > 0 ? (unsigned)c->target : midi_channel_size(b[0]);
		/* Bytes past the message (or past the third) make it malformed. */
		if (size > 3 || (w >> (8 * size)) != 0)
			break;
		midi_event(e, b, size, c->offset);
		break;
	}
	case ENGINE_CMD_SUSTAIN:
		if (c->i)
			e->sustain = true;
		else if (e->sustain)
			sustain_off(e, c->offset);
		break;
	case ENGINE_CMD_MIDI_FORWARD:
		if (c->target >= 0 && c->target < 128) {
			e->midi_fwd[c->target] = c->i != 0;
		} else if (c->target == -1) {
			e->midi_fwd_all = c->i != 0;
		} else if (c->target == -2) {
			memset(e->midi_fwd, 0, sizeof e->midi_fwd);
			e->midi_fwd_all = false;
		}
		break;
	case ENGINE_CMD_NONE:
		break;
	}
}

/* A queue gives up to MAX_CMDS_PER_BLOCK a block, but a committed group
 * acts in one block, however long: the limit only stops between groups
 * (a single push is a group of one). */
static void drain(struct engine *e, unsigned nframes)
{
	unsigned nq = atomic_load_explicit(&e->n_queues, memory_order_acquire);
	struct engine_cmd c;
	for (unsigned q = 0; q < nq; q++) {
		bool more = false;
		for (unsigned k = 0; (k < MAX_CMDS_PER_BLOCK || more) &&
				     ring_pop_group(e->queues[q].ring, &c, &more); k++) {
			if (c.offset >= nframes)
				c.offset = nframes ? nframes - 1 : 0;
			apply(e, &c);
		}
	}
}

static void take_core(struct engine *e)
{
	struct engine_core *c = e->waiting;
	if (!c)
		c = atomic_exchange_explicit(&e->pending, NULL, memory_order_acq_rel);
	if (!c)
		return;
	struct engine_core *old = e->core;
	if (old && !ring_push(e->retired, &old)) {
		/* No room to give the old core back yet: try again next block. */
		e->waiting = c;
		return;
	}
	e->waiting = NULL;
	e->core = c;
	e->lim.release = 1.0f - expf(-1.0f / (0.15f * (float)c->rate));
	if (!e->lim_ready) {
		limiter_init(&e->lim, e->ceiling_db, c->rate, 0.15f);
		e->lim_ready = true;
	}
	/* At the same rate the sounds of the history are the new core's too:
	 * it hears them first (a new block size, a new HRTF set): its builder
	 * had it hear them when nothing played meanwhile (this is the first
	 * period since it looked), else it hears them now. The room rings on
	 * (room_process takes any number of frames); the old core is only
	 * freed off this thread, so its room may change hands. */
	bool same_rate = old && old->rate == c->rate;
	bool primed = same_rate && c->primed && c->primed_seq + 1 == atomic_load_explicit(&e->seq, memory_order_relaxed);
	for (unsigned s = 0; s < e->n_sources; s++) {
		e->src[s].reset |= !primed;
		e->src[s].place_dirty = true;
	}
	e->prime = same_rate && !primed;
	if (same_rate) {
		struct room *r = c->room;
		c->room = old->room;
		old->room = r;
		return;
	}
	/* The new core's room is the playing scene's. */
	room_set(c->room, e->scene ? &e->scene->room : &no_room);
}

/* n frames source s played (NULL: silence) join its history. */
static void history_write(struct engine *e, unsigned s, const float *x, unsigned n)
{
	struct engine_source *src = &e->src[s];
	if (!x && src->quiet >= ENGINE_HISTORY)
		return; /* silence already, all of it */
	float *h = e->hist + (size_t)s * ENGINE_HISTORY;
	for (unsigned done = 0; done < n;) {
		unsigned at = (e->hist_pos + done) % ENGINE_HISTORY;
		unsigned k = ENGINE_HISTORY - at < n - done ? ENGINE_HISTORY - at : n - done;
		if (x)
			memcpy(h + at, x + done, k * sizeof(float));
		else
			memset(h + at, 0, k * sizeof(float));
		done += k;
	}
	if (x)
		src->quiet = 0;
	else if (src->quiet < ENGINE_HISTORY)
		src->quiet = src->quiet + n < ENGINE_HISTORY ? src->quiet + n : ENGINE_HISTORY;
}

/* The frames of a history ring (pos: where the next frame goes) from
 * `back` frames ago, n of them, into x (the ring may wrap within them). */
static void history_read(const float *h, unsigned pos, unsigned back, unsigned n, float *x)
{
	unsigned from = (pos + ENGINE_HISTORY - back) % ENGINE_HISTORY;
	unsigned first = ENGINE_HISTORY - from < n ? ENGINE_HISTORY - from : n;
	memcpy(x, h + from, first * sizeof(float));
	memcpy(x + first, h, (n - first) * sizeof(float));
}

void engine_past_prime(struct engine_core *c, unsigned n_sources, const struct engine_past *past)
{
	const unsigned P = c->block;
	unsigned m = binaural_memory_blocks(c->bin);
	if (m > ENGINE_HISTORY / P)
		m = ENGINE_HISTORY / P;
	float *x = c->scratch, *left = c->scratch + P, *right = c->scratch + 2 * P;
	for (unsigned j = 0; j < m; j++) {
		const unsigned back = (m - j) * P;
		binaural_begin(c->bin);
		for (unsigned s = 0; s < n_sources; s++) {
			if (past->quiet[s] >= back)
				continue; /* silent all through this block */
			history_read(past->hist + (size_t)s * ENGINE_HISTORY, past->pos, back, P, x);
			binaural_add(c->bin, s, x, &past->place[s]);
		}
		binaural_end(c->bin, left, right);
	}
}

/* Where source s is heard from now, turned against the head. */
static void heard_place(const struct engine *e, const struct engine_source *src, struct bin_place *p)
{
	listener_apply(&e->listener, src->azimuth, src->elevation, &p->azimuth, &p->elevation);
	p->distance = src->distance;
}

void engine_past_of(const struct engine *e, struct engine_past *past)
{
	past->hist = e->hist;
	past->pos = e->hist_pos;
	for (unsigned s = 0; s < e->n_sources; s++) {
		past->quiet[s] = e->src[s].quiet;
		heard_place(e, &e->src[s], &past->place[s]);
	}
}

/* A new core that its builder could not start from the engine's past (it
 * played on meanwhile) hears that past here, once, its output thrown
 * away: its convolutions, delay lines and filters are then where the old
 * core's were, and the first block it plays goes on from the old core's
 * last without a seam. Sources whose history is silence cost nothing. */
static void prime_core(struct engine *e, struct engine_core *c)
{
	e->prime = false;
	for (unsigned s = 0; s < e->n_sources; s++)
		if (e->src[s].reset) {
			binaural_reset_source(c->bin, s);
			e->src[s].reset = false;
		}
	engine_past_of(e, &e->past);
	engine_past_prime(c, e->n_sources, &e->past);
}

/* Gain ramps linearly over the block towards a one-pole smoothed target,
 * so fader moves and mutes never click. */
static void ramp(float *x, unsigned n, float from, float to)
{
	if (from == to) {
		if (to == 1.0f)
			return;
		for (unsigned i = 0; i < n; i++)
			x[i] *= to;
		return;
	}
	float step = (to - from) / (float)n;
	for (unsigned i = 0; i < n; i++)
		x[i] *= from + step * (float)(i + 1);
}

static float approach(float cur, float target, float coef)
{
	float next = cur + (target - cur) * coef;
	if (fabsf(next - target) < 1e-5f)
		next = target;
	return next;
}

/* One block of a fader: a timed ramp moves by its step, anything else
 * is smoothed. */
static float fader_next(struct fader *f, unsigned n, float coef)
{
	if (f->step > 0.0f) {
		float d = f->step * (float)n;
		if (fabsf(f->to - f->cur) <= d) {
			f->cur = f->to;
			f->step = 0.0f;
		} else {
			f->cur += f->cur < f->to ? d : -d;
		}
	} else {
		f->cur = approach(f->cur, f->to, coef);
	}
	return f->cur;
}

/* One block of a glide; true when the coordinate moved. */
static bool glide_next(float *v, struct glide *g, unsigned n)
{
	if (!g->left)
		return false;
	if (g->left <= n) {
		*v = g->to;
		g->left = 0;
	} else {
		*v += (g->to - *v) * (float)n / (float)g->left;
		g->left -= n;
	}
	return true;
}

/* Glides move at block rate: each block is heard from where the source
 * is at its start, and a new direction crossfades as any move does. */
static void source_move(struct engine_source *s, unsigned n, float rate)
{
	if (motion_active(&s->motion)) {
		/* A motion of its own (orbit, wander, sweep) places it, at block
		 * rate like a glide. */
		motion_step(&s->motion, (float)n / rate, &s->azimuth, &s->elevation, &s->distance);
		s->space.to = space_target(s);
		s->place_dirty = true;
		return;
	}
	bool moved = glide_next(&s->azimuth, &s->glide[0], n);
	if (moved && !s->glide[0].left)
		s->azimuth = wrap_azimuth(s->azimuth);
	moved |= glide_next(&s->elevation, &s->glide[1], n);
	if (glide_next(&s->distance, &s->glide[2], n)) {
		s->space.to = space_target(s);
		moved = true;
	}
	if (moved)
		s->place_dirty = true;
}

static float peak_of(const float *x, unsigned n, float peak)
{
	for (unsigned i = 0; i < n; i++) {
		float a = fabsf(x[i]);
		if (a > peak)
			peak = a;
	}
	return peak;
}

struct midi_array {
	const struct engine_midi *ev;
	unsigned n;
};

static bool midi_array_get(void *ctx, uint32_t k, struct engine_midi_view *ev)
{
	const struct engine_midi *m = &((const struct midi_array *)ctx)->ev[k];
	ev->frame = m->frame;
	ev->size = m->size <= sizeof m->data ? m->size : 0; /* past data[]: malformed */
	ev->data = m->data;
	return true;
}

void engine_process(struct engine *e, const float *const *in, unsigned n_in, float *const out[2],
		    unsigned nframes, const struct engine_midi *midi, unsigned n_midi)
{
	struct midi_array a = { midi, midi ? n_midi : 0 };
	struct engine_midi_reader r = { .count = a.n, .get = midi_array_get, .ctx = &a };
	engine_process_reader(e, in, n_in, out, nframes, &r);
}

/* Voices sum into their sources: ten taps at one place cost one
 * convolution. Returns how many still sound. */
static unsigned render_voices(struct engine *e, struct engine_core *c, unsigned nframes)
{
	memset(c->touched, 0, e->n_sources * sizeof(bool));
	unsigned sounding = 0;
	for (unsigned k = 0; k < e->n_voice_slots; k++) {
		struct voice *v = &e->voice[k];
		if (v->stage == VOICE_OFF)
			continue;
		float *buf = c->srcbuf + (size_t)v->source * nframes;
		if (!c->touched[v->source]) {
			memset(buf, 0, nframes * sizeof(float));
			c->touched[v->source] = true;
		}
		voice_render(v, buf, nframes);
		if (v->stage == VOICE_OFF)
			voice_end(e, v);
		else
			sounding++;
	}
	return sounding;
}

/* Every source heard from its place (and sent to the room), summed into
 * out. */
static void add_sources(struct engine *e, struct engine_core *c, const float *const *in, unsigned n_in,
			float *const out[2], unsigned nframes)
{
	struct binaural *b = c->bin;
	binaural_begin(b);
	memset(c->room_bus, 0, nframes * sizeof(float));
	for (unsigned s = 0; s < e->n_sources; s++) {
		struct engine_source *src = &e->src[s];
		const float *x = s < n_in ? in[s] : NULL;
		src->fed = x != NULL;
		if (src->reset) {
			binaural_reset_source(b, s);
			src->reset = false;
		}
		source_move(src, nframes, (float)c->rate);
		/* Ramps keep time while the source is off. */
		float next = fader_next(&src->level, nframes, c->smooth) *
			     fader_next(&src->unmuted, nframes, c->smooth) *
			     fader_next(&src->space, nframes, c->smooth);
		if (!src->active && src->gain == 0.0f && next == 0.0f) {
			history_write(e, s, NULL, nframes);
			continue; /* a new place waits (place_dirty) until it sounds */
		}
		struct bin_place place, *moved = NULL; /* NULL: where it was */
		if (src->place_dirty) {
			/* Heard from where it is in the room, turned against the head. */
			listener_apply(&e->listener, src->azimuth, src->elevation, &place.azimuth,
				       &place.elevation);
			place.distance = src->distance;
			moved = &place;
			src->place_dirty = false;
		}
		if ((x || c->touched[s]) && (src->gain != 0.0f || next != 0.0f)) {
			float *buf = c->srcbuf + (size_t)s * nframes;
			if (c->touched[s] && x)
				for (unsigned i = 0; i < nframes; i++)
					buf[i] += x[i];
			else if (x)
				memcpy(buf, x, nframes * sizeof(float));
			if (src->room_send > 0.0f) {
				/* The room hears the source at its own level, whatever
				 * its distance: a far sound is mostly room. */
				float g = src->room_send * src->level.cur * src->unmuted.cur *
					  (src->active ? 1.0f : 0.0f);
				for (unsigned i = 0; i < nframes; i++)
					c->room_bus[i] += g * buf[i];
			}
			ramp(buf, nframes, src->gain, next);
			if (x)
				src->in_peak = peak_of(buf, nframes, src->in_peak);
			history_write(e, s, buf, nframes);
			binaural_add(b, s, buf, moved);
		} else {
			history_write(e, s, NULL, nframes);
			binaural_add(b, s, NULL, moved);
		}
		src->gain = next;
	}
	e->hist_pos = (e->hist_pos + nframes) % ENGINE_HISTORY;
	binaural_end(b, out[0], out[1]);
	/* The room adds to the direct sound, with no delay to it. */
	room_process(c->room, c->room_bus, out[0], out[1], nframes);
}

/* Output stage: master gain, fade (shutdown, scene), safety limiter. */
static void output_stage(struct engine *e, struct engine_core *c, float *const out[2], unsigned nframes)
{
	float mnext = approach(e->master_gain, e->master_target, c->smooth);
	float fnext = e->fade_gain;
	if (fnext < e->fade_target)
		fnext = fminf(fnext + e->fade_step * (float)nframes, e->fade_target);
	else if (fnext > e->fade_target)
		fnext = fmaxf(fnext - e->fade_step * (float)nframes, e->fade_target);
	ramp(out[0], nframes, e->master_gain * e->fade_gain, mnext * fnext);
	ramp(out[1], nframes, e->master_gain * e->fade_gain, mnext * fnext);
	e->master_gain = mnext;
	e->fade_gain = fnext;
	if (e->fade_pending && fnext == e->fade_target) {
		e->fade_pending = false;
		struct engine_event ev = { .type = ENGINE_EV_FADE_DONE, .f = { fnext } };
		emit(e, &ev);
	}
	limiter_process(&e->lim, out[0], out[1], nframes);
}

/* Where the sources that motions move are now, for feedback: a few at a
 * time, in turn. */
static void report_places(struct engine *e)
{
	unsigned sent = 0, s = e->place_next;
	for (unsigned k = 0; k < e->n_sources && sent < ENGINE_PLACES_PER_METER; k++) {
		s = (e->place_next + k) % e->n_sources;
		const struct engine_source *src = &e->src[s];
		if (!src->active || !motion_active(&src->motion))
			continue;
		struct engine_event ev = { .type = ENGINE_EV_PLACE, .count = s,
					   .f = { src->azimuth, src->elevation, src->distance } };
		emit(e, &ev);
		sent++;
	}
	if (e->n_sources)
		e->place_next = (s + 1) % e->n_sources;
}

/* Peaks, and about 15 times a second the meters, the voice count, each
 * fed input's peak and the places of moving sources, for the control
 * side. */
static void report_meters(struct engine *e, struct engine_core *c, float *const out[2], unsigned nframes,
			  unsigned sounding)
{
	for (int ch = 0; ch < 2; ch++)
		e->peak[ch] = peak_of(out[ch], nframes, e->peak[ch]);
	e->meter_count += nframes;
	if (e->meter_count >= c->meter_period) {
		struct engine_event ev = { .type = ENGINE_EV_METER,
					   .f = { e->peak[0], e->peak[1], e->lim.min_gain } };
		emit(e, &ev);
		struct engine_event vc = { .type = ENGINE_EV_VOICES, .count = sounding };
		emit(e, &vc);
		for (unsigned s = 0; s < e->n_sources; s++) {
			struct engine_source *src = &e->src[s];
			if (src->active && src->fed) {
				struct engine_event mi = { .type = ENGINE_EV_METER_INPUT, .count = s,
							   .f = { src->in_peak } };
				emit(e, &mi);
			}
			src->in_peak = 0.0f;
		}
		report_places(e);
		if (e->stale) {
			struct engine_event st = { .type = ENGINE_EV_STALE, .count = e->stale };
			emit(e, &st);
			e->stale = 0;
		}
		e->peak[0] = e->peak[1] = 0.0f;
		e->lim.min_gain = 1.0f;
		e->meter_count = 0;
	}
}

/* MIDI events from k on with frames before `end` (of the period), at
 * their frame within the block that starts at `start`. Returns the first
 * event left for a later block. */
static uint32_t midi_block(struct engine *e, const struct engine_midi_reader *midi, uint32_t k,
			   unsigned start, unsigned end, bool last)
{
	for (; midi && midi->get && k < midi->count; k++) {
		struct engine_midi_view ev;
		if (!midi->get(midi->ctx, k, &ev))
			continue;
		if (ev.frame >= end && !last)
			break;
		if (ev.size > 3) /* sysex, not for us */
			continue;
		unsigned at = ev.frame > start ? ev.frame - start : 0;
		midi_event(e, ev.data, (unsigned)ev.size, at < end - start ? at : end - start - 1);
	}
	return k;
}

/* One block of the core's size. */
static void process_block(struct engine *e, struct engine_core *c, const float *const *in, unsigned n_in,
			  float *const out[2])
{
	const unsigned n = c->block;
	const unsigned sounding = render_voices(e, c, n);
	add_sources(e, c, in, n_in, out, n);
	output_stage(e, c, out, n);
	report_meters(e, c, out, n, sounding);
	e->frames += n;
}

static void periods_end(struct engine *e);

void engine_process_reader(struct engine *e, const float *const *in, unsigned n_in,
			   float *const out[2], unsigned nframes, const struct engine_midi_reader *midi)
{
	/* Odd while a period runs: a core's builder reads the engine's past
	 * only between periods (engine_core_prime). */
	atomic_store_explicit(&e->seq, atomic_load_explicit(&e->seq, memory_order_relaxed) + 1,
			      memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	fpu_flush_denormals();
	take_core(e);
	if (e->n_unreported)
		hand_back_retry(e);
	if (n_in > e->n_sources)
		n_in = e->n_sources;

	struct engine_core *c = e->core;
	if (!c || !nframes || nframes % c->block) {
		/* No core for this period yet (its driver changes the block size
		 * and the core for it is on its way): silence, and everything
		 * waits where it is, voices at their place in their sounds. */
		drain(e, nframes);
		midi_block(e, midi, 0, 0, nframes ? nframes : 1, true);
		memset(out[0], 0, nframes * sizeof(float));
		memset(out[1], 0, nframes * sizeof(float));
		e->frames += nframes;
		periods_end(e);
		return;
	}
	if (e->prime)
		prime_core(e, c);
	/* A period of several blocks (the driver's block size grew, or is
	 * larger than the core's): block by block, commands and MIDI at their
	 * frame. */
	uint32_t k = 0;
	for (unsigned at = 0; at < nframes; at += c->block) {
		const float *const *x = in;
		if (at) {
			for (unsigned s = 0; s < n_in; s++)
				e->sub_in[s] = in[s] ? in[s] + at : NULL;
			x = e->sub_in;
		}
		float *const y[2] = { out[0] + at, out[1] + at };
		drain(e, c->block);
		k = midi_block(e, midi, k, at, at + c->block, at + c->block >= nframes);
		process_block(e, c, x, n_in, y);
	}
	periods_end(e);
}

static void periods_end(struct engine *e)
{
	atomic_store_explicit(&e->seq, atomic_load_explicit(&e->seq, memory_order_relaxed) + 1,
			      memory_order_release);
}
