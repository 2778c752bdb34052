/* A scene as the audio thread sees it: sounds ready to play (decoded,
 * resampled, synthesised, loop points prepared) and a note map. Built by
 * src/prep/scene_build.c on a control thread, handed to the engine as one
 * pointer, never changed afterwards except for the round-robin counters,
 * which only the audio thread touches. */
#ifndef TINGLE_SCENE_DATA_H
#define TINGLE_SCENE_DATA_H

#include <stdbool.h>
#include <stdatomic.h>
#include <stdint.h>

#include "rt/room.h"

#define SCENE_NOTE_SOUNDS 8   /* sounds one MIDI note may trigger */

enum sound_mode { SOUND_ONESHOT, SOUND_HOLD, SOUND_LOOP };
enum sound_select { SOUND_ROUNDROBIN, SOUND_RANDOM };

struct eng_variant {
	float *data;         /* mono, engine rate */
	uint32_t len;        /* frames; for loops: the loop length (seamless) */
};

/* Fresh sound for a generated sound: segments synthesised ahead by the
 * refill worker (src/prep/gen_pool.c), each played once, so that no two
 * triggers and no two stretches of a texture are the same samples.
 * Ownership moves with state, one writer for each: the worker fills a
 * FREE segment and publishes it FRESH (release); the audio thread takes a
 * FRESH one (acquire) for a voice (TAKEN) and gives it back FREE
 * (release) when the voice is done with it. */
enum seg_state { SEG_FREE = 0, SEG_FRESH, SEG_TAKEN };

struct eng_segment {
	float *data;         /* mono, engine rate; the worker's while FREE */
	uint32_t len;
	atomic_uint state;   /* enum seg_state */
};

struct eng_pool {
	struct eng_segment *seg;
	unsigned n_seg;
	unsigned next;       /* audio thread: where the search for a fresh one starts */
	uint32_t splice;     /* texture: frames of the equal-power crossfade between segments */
	void *refill;        /* the control side's (struct gen_pool): how to make more */
};

struct eng_sound {
	struct eng_variant *var;
	unsigned n_var;
	/* A generated sound: fresh segments before the fixed variants (which
	 * play when the worker falls behind); NULL for samples. A looping
	 * generated sound is a texture: its voice splices from segment to
	 * segment, each entered at a random point. */
	struct eng_pool *pool;
	bool texture;
	/* Velocity also darkens (SFZ fil_veltrack): a per-voice low-pass whose
	 * corner falls from vel_top_hz (full velocity: off) by vel_cents at
	 * velocity 0, linearly in velocity; and softens the attack: a rise of
	 * up to vel_attack frames at velocity 0. */
	float vel_top_hz;
	float vel_cents;
	uint32_t vel_attack;
	uint8_t mode;        /* enum sound_mode */
	uint8_t select;      /* enum sound_select */
	float gain;          /* linear */
	float velocity;      /* sensitivity 0..1 */
	float random_gain_db;
	float random_pitch_cents;
	uint32_t attack;     /* frames */
	uint32_t release;    /* frames */
	int choke;           /* group index within the scene, -1 none */
	unsigned polyphony;
	int source;          /* engine source, -1: scatter */
	int *scatter;        /* engine sources a scattered sound takes in turn */
	unsigned n_scatter;
	unsigned scatter_next;  /* audio thread */
	unsigned rr;            /* audio thread: next round-robin variant */
	int last;               /* audio thread: last variant played */
};

struct eng_scene {
	unsigned rate;
	struct eng_sound *sounds;
	unsigned n_sounds;
	uint8_t note_count[128];
	uint16_t note_sound[128][SCENE_NOTE_SOUNDS];
	float fade;          /* seconds: voices of the scene this one replaces fade out over it */
	struct room_params room; /* its [room] (decay 0: none) */
	unsigned voices;     /* audio thread: voices playing from this scene */
};

#endif
