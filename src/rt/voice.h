/* Voices: one playing instance of a sound, allocated up front in a pool.
 * Audio thread only. */
#ifndef TINGLE_VOICE_H
#define TINGLE_VOICE_H

#include <stdbool.h>
#include <stdint.h>

struct eng_scene;
struct eng_sound;
struct eng_pool;
struct eng_segment;

enum voice_stage { VOICE_OFF = 0, VOICE_ATTACK, VOICE_SUSTAIN, VOICE_RELEASE, VOICE_FADE };

#define VOICE_NO_NOTE 0xff

struct voice {
	uint8_t stage;
	uint8_t note;          /* MIDI note that started it, VOICE_NO_NOTE for OSC */
	bool loop;
	struct eng_scene *scene;
	struct eng_sound *sound;
	unsigned sound_index;
	const float *data;
	uint32_t len;
	double pos;            /* read position, frames */
	double step;           /* frames per output frame (pitch) */
	float gain;            /* sound gain x velocity x random gain */
	float env;             /* envelope, 0..1 */
	float env_step;        /* per frame, during attack, release and fade */
	int source;
	uint32_t start;        /* frame of the current block where it begins */
	int32_t event_at;      /* frame of the current block where a release or fade begins, -1 none */
	uint8_t event_stage;   /* VOICE_RELEASE or VOICE_FADE */
	float event_step;      /* envelope fall per frame from then on */
	uint64_t born;         /* engine frame counter at its start */
	bool held;             /* released while the hold pedal was down: let go when it comes up */
	struct eng_segment *seg; /* the fresh pool segment it plays (given back at its end), or NULL */
	/* A texture (a looping generated sound) splices from segment to
	 * segment instead of looping: near the end of one it crossfades
	 * (equal power, `splice` frames) into a fresh one, entered at a
	 * random point; with none fresh, into its own at another point. */
	bool texture;
	bool splicing;
	uint32_t splice;
	uint32_t xf;           /* frames of the splice under way done */
	const float *next_data;
	uint32_t next_len;
	double next_pos;
	struct eng_segment *next_seg;
	uint32_t rng;          /* its own random state (xorshift32, never 0) */
	/* Velocity's low-pass (a 12 dB/octave biquad), when lp_on. */
	bool lp_on;
	float lp_b0, lp_b1, lp_b2, lp_a1, lp_a2, lp_z1, lp_z2;
};

/* A fresh segment of pool for a new voice (FRESH -> TAKEN), or NULL when
 * the worker has not made one yet. */
struct eng_segment *voice_pool_take(struct eng_pool *pool);
/* Segments it holds go back to their pool (voice ended). */
void voice_give_back(struct voice *v);
/* Velocity: the low-pass for velocity vel of a sound whose corner falls
 * from top_hz (full velocity) by cents at velocity 0, linearly in
 * velocity; off at full velocity or cents 0. */
void voice_set_lowpass(struct voice *v, float top_hz, float cents, float vel, float rate);
/* A texture voice's first segment, entered at a random point. */
void voice_enter_texture(struct voice *v);

/* Renders frames [v->start, n) of v into buf (added), moving its
 * envelope; the voice ends itself (stage OFF) when done. */
void voice_render(struct voice *v, float *buf, unsigned n);

/* Begin a release (or a fade, for stealing, chokes, panic and scene
 * changes) at frame `at` of the current block, falling at a rate that
 * takes full level to silence in `frames` frames. A voice already
 * falling, or due to this block, never falls slower or later for it:
 * the faster rate and the earlier frame win, and a fade stays a fade. */
void voice_release(struct voice *v, uint32_t at, uint32_t frames, bool fade);

/* How much the voice still matters, for stealing: lower goes first.
 * Released and fading voices score lowest, then quiet ones, then old ones. */
float voice_score(const struct voice *v, uint64_t now, float rate);

#endif
