/* Engine internals shared by the audio-thread code (src/rt/engine.c) and
 * its set-up on control threads (src/prep/engine_setup.c). */
#ifndef TINGLE_ENGINE_IMPL_H
#define TINGLE_ENGINE_IMPL_H

#include <stdatomic.h>

#include "common/ring.h"
#include "rt/binaural.h"
#include "rt/engine.h"
#include "rt/limiter.h"
#include "rt/room.h"
#include "rt/listener.h"
#include "rt/motion.h"
#include "rt/scene_data.h"
#include "rt/voice.h"

#define ENGINE_MAX_OLD_SCENES 16

/* Frames of every source's sound kept for a new core to hear first: a
 * core of another block size starts its convolution from them, so what
 * sounds goes on through a change of block size without a gap or a click.
 * At least the HRIR's length and its delays (a set of 900 taps and less
 * is carried whole). */
#define ENGINE_HISTORY 1024

struct engine_queue {
	struct ring *ring;
};

/* A gain on its way to `to`: linearly by `step` per frame when a ramp
 * time was given, else by the short one-pole smoothing (step 0). */
struct fader {
	float cur;         /* reached at the end of the last block */
	float to;
	float step;
};

/* A coordinate gliding linearly to `to`, `left` frames from there. */
struct glide {
	float to;
	uint32_t left;
};

/* What a source should sound like, as commanded. Lives in the engine, so
 * it survives a change of core. */
struct engine_source {
	float azimuth, elevation, distance;  /* where it is now (on the way, in a glide) */
	struct glide glide[3];  /* azimuth (unwrapped: the shorter way), elevation, distance */
	float gain_db;
	bool mute;
	bool active;
	bool reset;        /* history to be cleared before next use */
	bool place_dirty;  /* direction to be looked up again */
	bool fed;          /* an input fed it in the last block */
	struct fader level;    /* the gain set (linear) */
	struct fader unmuted;  /* 1 heard, 0 muted */
	struct fader space;    /* 1/distance (capped at near_cap) while active, 0 while not */
	float near_cap;        /* the most 1/distance may give (linear) */
	float room_send;       /* linear, 0: nothing to the room */
	struct motion motion;  /* orbit, wander or sweep of its own */
	float gain;        /* linear gain reached at the end of the last block (the product) */
	float in_peak;     /* peak of what it played since the last meter */
	uint32_t quiet;    /* frames of silence at the end of its history (ENGINE_HISTORY: all) */
};

/* What the sources played lately and where they are heard from: what a
 * new core hears before its first block (engine_past_prime). */
struct engine_past {
	const float *hist;       /* ENGINE_HISTORY frames a source, a ring ... */
	unsigned pos;            /* ... whose next frame goes here */
	uint32_t *quiet;         /* per source: frames of silence at its end */
	struct bin_place *place; /* per source */
};

struct engine_core {
	unsigned rate;
	unsigned block;
	struct binaural *bin;
	float *srcbuf;       /* one block per source: what its voices and input play */
	bool *touched;       /* per source: srcbuf holds sound this block */
	struct room *room;   /* the playing scene's room */
	float *room_bus;     /* one block: what the sources send to the room */
	float *scratch;      /* three blocks: a source's history, and the output of a new
			      * core's first hearing of it, thrown away */
	bool primed;         /* its builder had it hear the engine's past ... */
	unsigned primed_seq; /* ... as it was after the period that left seq here */
	float smooth;        /* per-block coefficient of the gain smoothing */
	unsigned meter_period;
};

struct engine {
	unsigned n_sources;
	bool fft_measure;
	struct engine_source *src;

	struct engine_queue queues[ENGINE_MAX_QUEUES];
	atomic_uint n_queues;
	unsigned queue_size;
	struct ring *events;     /* engine -> control */
	struct ring *retired;    /* cores let go of by the audio thread */

	_Atomic(struct engine_core *) pending;
	struct engine_core *core;  /* audio thread's own */
	struct engine_core *waiting; /* taken over, waiting for room to retire the old one */
	bool prime;                /* new core: hears the sources' history first */
	/* What every source played (into the binaural renderer) over the last
	 * ENGINE_HISTORY frames: source s at s * ENGINE_HISTORY, a ring
	 * written at hist_pos. */
	float *hist;
	unsigned hist_pos;
	struct engine_past past;   /* the audio thread's own, for prime_core */
	const float **sub_in;      /* a period's inputs, sub-block by sub-block */
	/* Periods begun plus periods ended: odd while one runs. A control
	 * thread that copies the past between two reads of the same even
	 * value copied it whole (a sequence lock; the audio thread never waits). */
	atomic_uint seq;

	struct listener listener;  /* the head's orientation: sources are heard turned against it */
	float master_db;
	float master_target, master_gain;
	float fade_target, fade_gain, fade_step;
	bool fade_pending;
	float ceiling_db;
	struct limiter lim;
	bool lim_ready;

	/* Voices: `voices` may sound at once; as many again may be fading out
	 * after being stolen, so that stealing never has to cut one. */
	struct voice *voice;
	unsigned n_voice_slots;
	unsigned max_voices;
	struct eng_scene *scene;                      /* triggers and notes go here */
	struct eng_scene *old[ENGINE_MAX_OLD_SCENES]; /* replaced, voices still ringing */
	bool sustain;                                 /* hold pedal down: releases wait */
	bool midi_fwd[128];                           /* notes reported as ENGINE_EV_MIDI */
	bool midi_fwd_all;                            /* every note reported (MIDI learn) */
	uint64_t rng;
	unsigned stale;

	float peak[2];
	unsigned meter_count;
	unsigned place_next;       /* the source to report the place of first, next meter */
	unsigned dropped;          /* events lost since the last that got through */
	/* Scenes handed back while the event ring was full: the main thread
	 * frees a scene only when told, so these are told again each block
	 * until they get through. The main thread switches scenes only
	 * between reading events, so no more than the scenes the engine can
	 * hold at once wait here. */
	struct eng_scene *unreported[ENGINE_MAX_OLD_SCENES + 1];
	unsigned n_unreported;
	uint64_t frames;
};

/* Audio thread (or a core no thread plays through yet): core c hears the
 * past, block by block, its output thrown away. */
void engine_past_prime(struct engine_core *c, unsigned n_sources, const struct engine_past *past);
/* The engine's past as it is (points into the engine: copy it to keep it). */
void engine_past_of(const struct engine *e, struct engine_past *past);

#endif
