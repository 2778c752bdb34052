/* The tingle engine: everything heard, with no JACK, OSC or files in it.
 *
 * Drivers (the JACK client, tingle-render) call engine_process() once per
 * block from their audio thread. Control threads talk to it only through
 * queues: each opens its own single-producer queue and pushes commands;
 * the engine drains every queue at the top of a block and reports back
 * (meters, fade finished, dropped events) through one event queue that a
 * single control thread reads. DSP state for one sample rate, block size
 * and HRTF set lives in an engine_core, built off the audio thread and
 * handed over as one pointer; the old core comes back to be freed. */
#ifndef TINGLE_ENGINE_H
#define TINGLE_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hrtf_set;
struct engine;
struct engine_core;
struct engine_queue;

#define ENGINE_MAX_QUEUES 8
#define ENGINE_MIN_DISTANCE 0.1f    /* metres: nearer is pushed out to this */
#define ENGINE_MAX_DISTANCE 100.0f
#define ENGINE_NEAR_GAIN_DB 12.0f   /* default cap of 1/distance near the head */

enum engine_cmd_type {
	ENGINE_CMD_NONE = 0,
	ENGINE_CMD_SOURCE_PLACE,   /* target, flags ENGINE_PLACE_*, f[0] az, f[1] el, f[2] dist;
				    * i: milliseconds to glide there (0: at once) */
	ENGINE_CMD_SOURCE_GAIN,    /* target, f[0] dB; f[1]: seconds to ramp there (0: the
				    * usual short smoothing) */
	ENGINE_CMD_SOURCE_MUTE,    /* target, i 0/1; f[0]: seconds to ramp (0: short smoothing) */
	ENGINE_CMD_SOURCE_ACTIVE,  /* target, i 0/1: an inactive source costs nothing; flags
				    * ENGINE_ACTIVE_AT_ONCE: full gain from the first frame (a
				    * source only voices play into: they have envelopes of their own) */
	ENGINE_CMD_MASTER_GAIN,    /* f[0] dB */
	ENGINE_CMD_CEILING,        /* f[0] dBFS */
	ENGINE_CMD_FADE,           /* f[0] target gain 0..1, f[1] seconds; ENGINE_EV_FADE_DONE when reached */
	ENGINE_CMD_SCENE,          /* ptr: struct eng_scene to play from now on (NULL: none) */
	ENGINE_CMD_TRIGGER,        /* ptr scene, i sound, f[0] velocity 0..1, at offset */
	ENGINE_CMD_RELEASE,        /* ptr scene, i sound (-1: every sound), at offset */
	ENGINE_CMD_PANIC,          /* every voice out within 20 ms, without a click */
	ENGINE_CMD_MIDI,           /* i: bytes (status | d1 << 8 | d2 << 16), at offset: MIDI from a
				    * queue; target: how many bytes (0: as many as the status byte
				    * takes, and bytes past them must be 0). Malformed: ignored */
	ENGINE_CMD_SUSTAIN,        /* i 1/0: hold pedal. While on, releases (note-offs, RELEASE)
				    * of held and looping voices wait; off lets them go. A scene
				    * change turns it off. */
	ENGINE_CMD_MIDI_FORWARD,   /* which MIDI the engine reports (ENGINE_EV_MIDI) besides every
				    * control change and program change: target 0..127 a note
				    * (i 1: report its note-on/off, 0: not), target -1: every
				    * note while i is 1 (MIDI learn), target -2: no note at all */
	ENGINE_CMD_SOURCE_MOTION,  /* target; i: enum motion_kind (rt/motion.h), from the place it is
				    * at now: orbit f[0] deg/s; wander f[0] degrees, f[1] seconds;
				    * sweep f[0..2] azimuth, elevation, distance, f[3] seconds;
				    * none: it stays where it is */
	ENGINE_CMD_SOURCE_ROOM,    /* target, f[0]: room send in dB (-INFINITY or below -120: off) */
	ENGINE_CMD_LISTENER,       /* the head: i 0 reset, 1 yaw/pitch/roll f[0..2] degrees,
				    * 2 quaternion w x y z f[0..3] (normalised) */
	ENGINE_CMD_NEAR_GAIN,      /* f[0]: dB a source may gain over its level at 1 m near the head */
};

enum { ENGINE_ACTIVE_AT_ONCE = 1 };

enum {
	ENGINE_PLACE_AZ = 1 << 0,
	ENGINE_PLACE_EL = 1 << 1,
	ENGINE_PLACE_DIST = 1 << 2,
};

struct engine_cmd {
	uint16_t type;
	uint16_t flags;
	int32_t target;
	uint32_t offset;   /* frame within the next block where it applies */
	int32_t i;
	float f[4];
	void *ptr;
};

enum engine_event_type {
	ENGINE_EV_METER = 1,       /* f[0], f[1]: peak L, R (linear) since the last meter; f[2] lowest limiter gain */
	ENGINE_EV_FADE_DONE,       /* f[0]: the gain reached */
	ENGINE_EV_DROPPED,         /* count: events that did not fit the queue before this one */
	ENGINE_EV_SCENE_RELEASED,  /* ptr: a scene the engine no longer plays from (no voice left) */
	ENGINE_EV_VOICES,          /* count: voices sounding (with every meter) */
	ENGINE_EV_STALE,           /* count: triggers for a scene no longer playing, ignored */
	ENGINE_EV_MIDI,            /* count: the message (status | d1 << 8 | d2 << 16), frame: its
				    * exact frame; every well-formed control change and program
				    * change from any MIDI way in, in order, and the notes asked
				    * for with ENGINE_CMD_MIDI_FORWARD */
	ENGINE_EV_METER_INPUT,     /* count: source slot of a live input, f[0]: its peak (linear,
				    * after its gain and mute) since the last meter; with every
				    * ENGINE_EV_METER, for each active source fed by an input */
	ENGINE_EV_PLACE,           /* count: slot of an active source that a motion moves, f:
				    * where it is now (azimuth, elevation, distance, in the room);
				    * with every ENGINE_EV_METER, for up to ENGINE_PLACES_PER_METER
				    * such sources, in turn */
};

/* Places of moving sources reported with each meter, at most. */
#define ENGINE_PLACES_PER_METER 64

struct engine_event {
	uint16_t type;
	uint32_t count;
	uint64_t frame;            /* engine frame counter at the block it was made */
	float f[3];
	void *ptr;
};

struct engine_options {
	unsigned n_sources;        /* sources allocated up front (live inputs first) */
	float ceiling_db;          /* limiter ceiling, dBFS (-1) */
	float master_db;           /* master gain, dB */
	unsigned queue_size;       /* commands per control queue (default 1024, 8 a source above 128) */
	bool fft_measure;          /* FFTW_MEASURE plans (daemon) instead of FFTW_ESTIMATE (renders) */
	unsigned voices;           /* voices allocated up front (64) */
	uint64_t seed;             /* random choices (variants, gains, pitches, scatter) */
	float near_gain_db;        /* cap of the distance gain near the head, dB ... */
	bool near_gain_db_set;     /* ... when set (else ENGINE_NEAR_GAIN_DB) */
};

struct engine_midi {
	uint32_t frame;
	uint8_t size;
	uint8_t data[3];
};

/* MIDI read where a driver keeps it, with no copy and no limit on the
 * number of events: the engine calls get(ctx, k, &ev) for k = 0 .. count-1
 * on the audio thread, in order; get points ev->data at the event's bytes
 * (valid until get is called again) or returns false to skip it. It must
 * not allocate, lock or block. */
struct engine_midi_view {
	uint32_t frame;
	size_t size;
	const uint8_t *data;
};

struct engine_midi_reader {
	uint32_t count;
	bool (*get)(void *ctx, uint32_t k, struct engine_midi_view *ev);
	void *ctx;
};

/* ---- control threads ---------------------------------------------- */
struct engine *engine_new(const struct engine_options *opt);
void engine_free(struct engine *e);
unsigned engine_n_sources(const struct engine *e);

/* DSP state for one rate (the HRTF set's), block size and HRTF set.
 * Building takes time (FFTW plans, HRIR spectra): never on the audio thread. */
struct engine_core *engine_core_new(const struct engine *e, const struct hrtf_set *h, unsigned block);
/* The same in a few milliseconds, for a server that waits (or plays on
 * without it): FFTW plans measured only where this block size was measured
 * before in this process, else estimated (a little slower to run). */
struct engine_core *engine_core_new_quick(const struct engine *e, const struct hrtf_set *h, unsigned block);
void engine_core_free(struct engine_core *c);
/* Let a new core hear the engine's past now, off the audio thread, so that
 * the audio thread need not when it takes the core over at the next period
 * (as it does with a core handed over without this). Worth it where no
 * period runs meanwhile, as in JACK's buffer-size callback. False (nothing
 * done) when a period ran while it looked, or out of memory. */
bool engine_core_prime(struct engine *e, struct engine_core *c);
unsigned engine_core_block(const struct engine_core *c);
unsigned engine_core_rate(const struct engine_core *c);

/* Hand a core to the engine; it takes over at the next period, with every
 * voice, source, motion and fade as they were (they live in the engine;
 * at the same rate the room's tail rings on). A core that
 * was handed over but never used is freed here; a core the audio thread
 * let go of is freed by engine_collect(). */
void engine_set_core(struct engine *e, struct engine_core *c);
/* Free what the audio thread has let go of. Call from one control thread. */
void engine_collect(struct engine *e);

/* One queue per producing thread; at most ENGINE_MAX_QUEUES, opened before
 * the audio thread starts or while it runs. */
struct engine_queue *engine_queue_open(struct engine *e);
/* False when the queue is full (the command was not queued). */
bool engine_queue_push(struct engine_queue *q, const struct engine_cmd *cmd);
/* Commands that act together (an OSC bundle): after engine_queue_begin,
 * pushes are held back; engine_queue_commit hands them all to the engine
 * at once and it applies them in one block, however many; abort drops
 * them. A push that finds no room fails as usual (the caller aborts). */
void engine_queue_begin(struct engine_queue *q);
void engine_queue_commit(struct engine_queue *q);
void engine_queue_abort(struct engine_queue *q);
/* Read one event from the engine (one control thread only). */
bool engine_event_poll(struct engine *e, struct engine_event *ev);

/* ---- audio thread -------------------------------------------------- */
/* in[i] feeds source i (NULL or i >= n_in: silence). out[0], out[1]: left
 * and right, nframes each. nframes is the core's block size or a
 * multiple of it (rendered block by block, so a driver whose block size
 * grows plays on while the core for it is built); any other size (a
 * driver's block size shrank, and its core is not there yet) gives
 * silence, with every voice and source waiting where it is. A new core
 * first hears the last 1024 frames (ENGINE_HISTORY) of every source at the same
 * rate, so that what sounds goes on across it without a seam. midi:
 * events with frames inside the period, in order. Only complete, well-formed channel
 * messages act (see rt/midi.h); anything else is ignored. */
void engine_process(struct engine *e, const float *const *in, unsigned n_in, float *const out[2],
		    unsigned nframes, const struct engine_midi *midi, unsigned n_midi);
/* The same with MIDI taken through a reader (midi may be NULL): every
 * event the driver holds is handled, however many there are. */
void engine_process_reader(struct engine *e, const float *const *in, unsigned n_in,
			   float *const out[2], unsigned nframes, const struct engine_midi_reader *midi);

#endif
