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

struct eng_sound {
	struct eng_variant *var;
	unsigned n_var;
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
