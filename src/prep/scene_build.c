/* Control thread: a parsed scene becomes sound. */
#include "config.h"
#include "prep/scene_build.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "prep/audiofile.h"
#include "control/control.h"
#include "common/log.h"
#include "prep/gen_pool.h"
#include "prep/generator.h"
#include "prep/loudness.h"
#include "rt/scene_data.h"

/* Loops: the tail crossfades into the head over this long (or a quarter
 * of the sound, when shorter), with equal-power windows: the two ends of
 * a texture are not correlated, so their powers add. */
#define LOOP_XFADE_S 0.05f

/* Velocity and the touched kinds (tap, brush, scrape): how far the
 * low-pass falls at velocity 0 (two octaves, unless velocity_brightness
 * says), and the attack a touch at velocity 0 takes (2 ms: the contact
 * of a fingertip rather than a nail). */
#define VEL_BRIGHTNESS_CENTS 2400.0f
#define VEL_ATTACK_S 0.002f

static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

/* Make a buffer seamless for looping: the last x frames are blended into
 * the first x, and the loop is len - x long. */
static uint32_t make_loop(float *d, uint32_t len, unsigned rate)
{
	uint32_t x = (uint32_t)(LOOP_XFADE_S * (float)rate);
	if (x > len / 4)
		x = len / 4;
	if (x < 2)
		return len;
	uint32_t loop = len - x;
	for (uint32_t i = 0; i < x; i++) {
		float t = ((float)i + 0.5f) / (float)x;
		float in = sinf(t * (float)M_PI_2), out = cosf(t * (float)M_PI_2);
		d[i] = d[i] * in + d[loop + i] * out;
	}
	return loop;
}

static void free_eng(struct eng_scene *sc)
{
	if (!sc)
		return;
	for (unsigned s = 0; s < sc->n_sounds; s++) {
		struct eng_sound *snd = &sc->sounds[s];
		for (unsigned v = 0; v < snd->n_var; v++)
			free(snd->var[v].data);
		free(snd->var);
		gen_pool_free(snd->pool);
		free(snd->pool);
	}
	free(sc->sounds);
	free(sc);
}

int scene_sound_index(const struct loaded_scene *ls, const char *name)
{
	for (size_t i = 0; i < ls->desc.n_sounds; i++)
		if (!strcmp(ls->desc.sounds[i].name, name))
			return (int)i;
	return -1;
}

static int load_sound(const struct sound_desc *sd, unsigned rate, uint64_t seed, struct eng_sound *snd,
		      size_t *bytes, char *err, size_t errlen)
{
	unsigned n = sd->gen.kind != GEN_NONE ? sd->gen.variants : (unsigned)sd->n_files;
	snd->var = calloc(n ? n : 1, sizeof *snd->var);
	if (!snd->var) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (unsigned v = 0; v < n; v++) {
		float *data = NULL;
		size_t frames = 0;
		char why[768];
		if (sd->gen.kind != GEN_NONE) {
			struct gen_params p = sd->gen;
			if (!p.seed)
				p.seed = name_hash(sd->name) ^ (uint32_t)seed ^ (uint32_t)(seed >> 32);
			if (gen_render(&p, rate, v, &data, &frames, why, sizeof why) < 0) {
				snprintf(err, errlen, "[sound %s]: generator %s: %s", sd->name,
					 gen_kind_name(p.kind), why);
				return -1;
			}
		} else if (audiofile_read_mono(sd->files[v], rate, &data, &frames, why, sizeof why) < 0) {
			snprintf(err, errlen, "[sound %s]: %s", sd->name, why);
			return -1;
		}
		if (frames == 0 || frames > UINT32_MAX / 2) {
			free(data);
			snprintf(err, errlen, "[sound %s]: variant %u is empty or too long", sd->name, v + 1);
			return -1;
		}
		if (sd->mode == SOUND_LOOP && sd->gen.kind != GEN_NONE) {
			/* Loop the steady middle of a synthesised stroke, not its
			 * fades: the voice's attack and release shape it instead. */
			size_t from = 0, to = frames;
			gen_steady_range(&sd->gen, rate, &from, &to);
			if (to > from && to <= frames && to - from >= frames / 4) {
				memmove(data, data + from, (to - from) * sizeof(float));
				frames = to - from;
			}
		}
		snd->var[v].data = data;
		snd->var[v].len = (uint32_t)frames;
		if (sd->mode == SOUND_LOOP)
			snd->var[v].len = make_loop(data, (uint32_t)frames, rate);
		snd->n_var = v + 1;
		*bytes += frames * sizeof(float);
	}
	if (sd->gen.kind != GEN_NONE) {
		/* Fresh variants, made ahead: every trigger, every stretch of a
		 * texture, a new one (the fixed ones above when the worker lags). */
		struct gen_params p = sd->gen;
		if (!p.seed)
			p.seed = name_hash(sd->name) ^ (uint32_t)seed ^ (uint32_t)(seed >> 32);
		bool texture = sd->mode == SOUND_LOOP;
		snd->texture = texture;
		snd->pool = calloc(1, sizeof *snd->pool);
		char why[512] = "out of memory";
		if (!snd->pool || gen_pool_init(snd->pool, &p, rate, texture,
						gen_pool_size(texture, (unsigned)sd->polyphony), LOOP_XFADE_S,
						bytes, why, sizeof why) < 0) {
			free(snd->pool);
			snd->pool = NULL;
			snprintf(err, errlen, "[sound %s]: generator %s: %s", sd->name, gen_kind_name(p.kind), why);
			return -1;
		}
		/* Struck, stroked and scraped things sound darker and softer
		 * when touched lightly. */
		bool touched = p.kind == GEN_TAP || p.kind == GEN_BRUSH || p.kind == GEN_SCRAPE;
		snd->vel_cents = sd->velocity_brightness >= 0.0f ? sd->velocity_brightness
								  : touched ? VEL_BRIGHTNESS_CENTS : 0.0f;
		snd->vel_attack = touched ? (uint32_t)(VEL_ATTACK_S * (float)rate) : 0;
		snd->vel_top_hz = gen_velocity_top_hz(&p);
	} else if (sd->velocity_brightness > 0.0f) {
		snd->vel_cents = sd->velocity_brightness; /* samples: from the top of hearing */
		snd->vel_top_hz = 16000.0f;
	}
	return 0;
}

/* A sound's loudness as made (loudness_of_sound: a one-shot's loudest
 * 400 ms, a held or looping sound's integrated level), measured over its
 * fixed variants or its fresh segments; -HUGE_VAL when silent. */
static double sound_lufs(const struct sound_desc *sd, const struct eng_sound *snd, unsigned rate)
{
	const struct eng_pool *pool = snd->pool;
	unsigned n = pool ? pool->n_seg : snd->n_var;
	const float *buf[32];
	size_t len[32];
	if (n > 32)
		n = 32;
	for (unsigned k = 0; k < n; k++) {
		buf[k] = pool ? pool->seg[k].data : snd->var[k].data;
		len[k] = pool ? pool->seg[k].len : snd->var[k].len;
	}
	return loudness_of_sound(buf, len, n, sd->mode == SOUND_ONESHOT, rate);
}

/* The sound's gain in dB: gain = dB, or what brings its measured loudness
 * to `loudness = LUFS`. Verbose (tingled --check -v) says each sound's
 * loudness. */
static float sound_gain_db(const struct scene_desc *d, const struct sound_desc *sd, const struct eng_sound *snd,
			   unsigned rate)
{
	const bool by_loudness = !isnan(sd->loudness);
	if (!by_loudness && log_get_level() < LOG_DEBUG)
		return sd->gain_db;
	double lufs = sound_lufs(sd, snd, rate);
	float gain_db = sd->gain_db;
	if (by_loudness && !isfinite(lufs))
		log_warn("%s:%d: [sound %s]: its loudness cannot be measured (silent?): loudness = %g ignored, gain 0 dB",
			 d->path, sd->line, sd->name, (double)sd->loudness);
	else if (by_loudness)
		gain_db = (float)((double)sd->loudness - lufs);
	log_debug("%s:%d: [sound %s]: %.1f LUFS as made (%s), gain %+.1f dB: %.1f LUFS at its source", d->path,
		  sd->line, sd->name, lufs, sd->mode == SOUND_ONESHOT ? "its loudest 400 ms" : "held, integrated",
		  (double)gain_db, lufs + gain_db);
	return gain_db;
}

int scene_build(struct scene_desc *desc, unsigned rate, uint64_t seed, struct control *ctl,
		struct loaded_scene **out, char *err, size_t errlen)
{
	char why[1024];
	struct loaded_scene *ls = calloc(1, sizeof *ls);
	if (!ls) {
		snprintf(err, errlen, "%s: out of memory", desc->path);
		return -1;
	}
	ls->desc = *desc;
	memset(desc, 0, sizeof *desc); /* the files arrays are ours now */
	ls->rate = rate;
	const struct scene_desc *d = &ls->desc;
	struct eng_scene *sc = calloc(1, sizeof *sc);
	ls->eng = sc;
	if (!sc || !(sc->sounds = calloc(d->n_sounds ? d->n_sounds : 1, sizeof *sc->sounds))) {
		snprintf(err, errlen, "%s: out of memory", d->path);
		goto fail;
	}
	sc->rate = rate;
	sc->fade = d->fade;
	if (d->has_room)
		sc->room = (struct room_params){ .decay = d->room.decay, .size = d->room.size,
						 .damping = d->room.damping, .level = d->room.level,
						 .predelay = d->room.predelay };
	for (size_t i = 0; i < SCENE_MAX_SOURCES; i++)
		ls->source_slot[i] = -1;

	/* Places: every [source] and every scattered voice gets an engine source. */
	unsigned scatter = 0;
	for (size_t i = 0; i < d->n_sounds; i++)
		if (d->sounds[i].scatter)
			scatter += d->sounds[i].polyphony < 8 ? (unsigned)d->sounds[i].polyphony : 8;
	if (d->n_sources && control_reserve_slots(ctl, ls->source_slot, (unsigned)d->n_sources) < 0) {
		snprintf(err, errlen, "%s: no free sources for its %zu [source]s (raise [engine] sources)",
			 d->path, d->n_sources);
		goto fail;
	}
	if (scatter) {
		ls->scatter_slots = calloc(scatter, sizeof(int));
		if (!ls->scatter_slots || control_reserve_slots(ctl, ls->scatter_slots, scatter) < 0) {
			free(ls->scatter_slots);
			ls->scatter_slots = NULL;
			snprintf(err, errlen, "%s: no free sources for %u scattered voices (raise [engine] sources)",
				 d->path, scatter);
			goto fail;
		}
		ls->n_scatter_slots = scatter;
	}

	unsigned next_scatter = 0;
	char chokes[SCENE_MAX_SOUNDS][CONF_NAME_MAX];
	int n_chokes = 0;
	for (size_t i = 0; i < d->n_sounds; i++) {
		const struct sound_desc *sd = &d->sounds[i];
		struct eng_sound *snd = &sc->sounds[i];
		sc->n_sounds = (unsigned)i + 1;
		if (load_sound(sd, rate, seed, snd, &ls->bytes, why, sizeof why) < 0) {
			snprintf(err, errlen, "%s:%d: %s", d->path, sd->line, why);
			goto fail;
		}
		snd->mode = (uint8_t)sd->mode;
		snd->select = (uint8_t)sd->select;
		snd->gain = db_to_gain(sound_gain_db(d, sd, snd, rate));
		snd->velocity = sd->velocity;
		snd->random_gain_db = sd->random_gain_db;
		snd->random_pitch_cents = sd->random_pitch_cents;
		snd->attack = (uint32_t)(sd->attack * (float)rate);
		snd->release = (uint32_t)fmaxf(sd->release * (float)rate, 1.0f);
		snd->polyphony = (unsigned)sd->polyphony;
		snd->last = -1;
		snd->choke = -1;
		if (sd->choke[0]) {
			int g = 0;
			while (g < n_chokes && strcmp(chokes[g], sd->choke))
				g++;
			if (g == n_chokes)
				str_copy(chokes[n_chokes++], CONF_NAME_MAX, sd->choke);
			snd->choke = g;
		}
		snd->source = -1;
		if (sd->scatter) {
			snd->n_scatter = sd->polyphony < 8 ? (unsigned)sd->polyphony : 8;
			snd->scatter = ls->scatter_slots + next_scatter;
			next_scatter += snd->n_scatter;
		} else {
			for (size_t k = 0; k < d->n_sources; k++)
				if (!strcmp(d->sources[k].name, sd->source))
					snd->source = ls->source_slot[k];
			if (snd->source < 0)
				snd->source = control_find_source(ctl, sd->source); /* a live input */
			if (snd->source < 0) {
				snprintf(err, errlen, "%s:%d: [sound %s]: no source or input named '%s'", d->path,
					 sd->line, sd->name, sd->source);
				goto fail;
			}
		}
		if (sd->note_lo >= 0)
			for (int note = sd->note_lo; note <= sd->note_hi && note < 128; note++) {
				if (sc->note_count[note] == SCENE_NOTE_SOUNDS) {
					snprintf(err, errlen, "%s:%d: [sound %s]: more than %d sounds on note %d",
						 d->path, sd->line, sd->name, SCENE_NOTE_SOUNDS, note);
					goto fail;
				}
				sc->note_sound[note][sc->note_count[note]++] = (uint16_t)i;
			}
	}
	*out = ls;
	return 0;
fail:
	scene_unload(ls, ctl);
	return -1;
}

void scene_unload(struct loaded_scene *ls, struct control *ctl)
{
	if (!ls)
		return;
	for (size_t i = 0; i < SCENE_MAX_SOURCES; i++)
		if (ls->source_slot[i] >= 0)
			control_release_slots(ctl, &ls->source_slot[i], 1);
	if (ls->scatter_slots)
		control_release_slots(ctl, ls->scatter_slots, ls->n_scatter_slots);
	free(ls->scatter_slots);
	free_eng(ls->eng);
	scene_desc_free(&ls->desc);
	free(ls);
}
