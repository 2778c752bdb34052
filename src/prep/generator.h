/* Procedural ASMR sounds: tingle synthesises its own taps, scrapes,
 * brushes, crinkles, shushes and breaths, so a scene needs no sample
 * download. Each generator makes a set of distinct variants from a seed,
 * at scene load (control thread), as mono float buffers at the engine
 * rate. The models are described in generator.c. */
#ifndef TINGLE_GENERATOR_H
#define TINGLE_GENERATOR_H

#include <stddef.h>
#include <stdint.h>

enum gen_kind { GEN_NONE = 0, GEN_TAP, GEN_SCRAPE, GEN_BRUSH, GEN_CRINKLE, GEN_SHUSH, GEN_BREATH };

/* Parameters, each 0..1 unless said otherwise; which ones a kind uses is
 * given by gen_param_applies(). Defaults: gen_defaults(). */
struct gen_params {
	enum gen_kind kind;
	unsigned variants;   /* 1..32 */
	float length;        /* seconds of each variant, 0.01..30 (tap: at most; it rings out) */
	float brightness;    /* tap: material (0 soft wood .. 1 glass); shush, breath, brush: spectral tilt */
	float size;          /* tap: object size; crinkle: material thickness (louder, sparser clicks) */
	float speed;         /* scrape, brush: stroke speed */
	float roughness;     /* scrape: surface roughness */
	float density;       /* crinkle: clicks per second; brush: bristles */
	uint32_t seed;       /* 0 = derived from the sound's name by the caller */
};

enum gen_param {
	GEN_P_LENGTH, GEN_P_BRIGHTNESS, GEN_P_SIZE, GEN_P_SPEED, GEN_P_ROUGHNESS, GEN_P_DENSITY,
	GEN_P_COUNT
};

/* Name <-> kind ("tap", ...). gen_kind_from_name returns GEN_NONE if unknown. */
enum gen_kind gen_kind_from_name(const char *name);
const char *gen_kind_name(enum gen_kind k);
/* Parameter names as used in scene files: "length", "brightness", ... */
const char *gen_param_name(enum gen_param p);
/* True if kind k uses parameter p (a scene that sets an unused one is refused). */
int gen_param_applies(enum gen_kind k, enum gen_param p);
/* Fill *p with the defaults of kind k (variants 6, a length that suits it). */
void gen_defaults(struct gen_params *p, enum gen_kind k);

/* Synthesise variant v (0..variants-1) of p at rate: a new malloc()ed
 * buffer in *out (free() it), *frames long (length seconds; a tap rings
 * until it has fallen 60 dB, length at most), peak normalised to -6 dBFS,
 * starting and ending at zero (no click). Deterministic: the same params,
 * rate, seed and variant give the same samples. Returns 0, or -1 with err. */
int gen_render(const struct gen_params *p, unsigned rate, unsigned v, float **out, size_t *frames,
	       char *err, size_t errlen);

/* A fresh variant, beyond the numbered ones: the same object (seed)
 * touched anew, different for every serial (up to 2^27 of them), as
 * deterministic as gen_render. What the refill worker
 * (prep/gen_pool.h) makes so that no two triggers, and no two stretches
 * of a texture, sound alike. Breaths alternate exhale (even) and inhale.
 * norm (may be NULL): the gain the peak normalisation applied, so that
 * stretches of a texture can keep their own levels. */
int gen_render_fresh(const struct gen_params *p, unsigned rate, uint32_t serial, float **out, size_t *frames,
		     float *norm, char *err, size_t errlen);

/* Velocity's low-pass (the scene key velocity_brightness): its corner at
 * full velocity for p, Hz: well above what the sound has of its own (a
 * tap: three times the band its contact pulse excites), so that it only
 * darkens as the touch gets lighter. */
float gen_velocity_top_hz(const struct gen_params *p);

/* The stationary middle of a rendered variant of *p at rate, frames
 * [*from, *to): a loop inside it repeats no fade in or fade out. For
 * scrape, shush and crinkle the part between the stroke's (breath's,
 * handling's) fades; for tap, brush and breath, which have no steady
 * part, the whole buffer. p must have passed gen_render(). */
void gen_steady_range(const struct gen_params *p, unsigned rate, size_t *from, size_t *to);

#endif
