/* HRTF sets: a SOFA file read with libmysofa in a child process, checked,
 * resampled to the engine rate, with per-direction delays (Data.Delay)
 * baked into the impulse responses as fractional delays, and a table that
 * maps any direction to the nearest measured one, so that the audio thread
 * never calls libmysofa. */
#ifndef TINGLE_HRTF_H
#define TINGLE_HRTF_H

#include "common/limits.h"
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* Direction table: one entry per degree of azimuth and elevation. */

struct hrtf_set {
	char *path;
	unsigned rate;          /* sample rate of ir[] (the engine's) */
	unsigned file_rate;     /* the file's own rate */
	unsigned n_dirs;        /* measured directions */
	unsigned length;        /* taps per ear, delays included */
	float *azimuth;         /* per direction, degrees, [-180,180), SOFA convention */
	float *elevation;       /* per direction, degrees */
	float *distance;        /* per direction, metres */
	float *ir;              /* [dir][ear: 0 left, 1 right][tap], n_dirs*2*length */
	uint32_t *table;        /* [el + 90][az index], HRTF_GRID_EL*HRTF_GRID_AZ */
	float max_delay;        /* largest Data.Delay, samples at rate (0 if none) */
};

/* How long hrtf_load lets a load take (the 41,527-direction sets take a
 * few seconds). */
#define HRTF_LOAD_TIMEOUT_S 30.0

/* What hrtf_load_limited returns on failure. */
#define HRTF_LOAD_ERROR (-1)     /* the file or the arguments are bad */
#define HRTF_LOAD_TIMEOUT (-2)   /* the time limit passed */
#define HRTF_LOAD_CANCELLED (-3) /* *cancel became non-zero */

/* Load and check path at rate. Returns 0, or a negative value with err set
 * to a message that names the file and says what is wrong (not a regular
 * file; larger than TINGLE_SOFA_FILE_MAX_BYTES; libmysofa's error in words;
 * filter length 0; non-finite samples; fewer than 2 directions; not two
 * receivers; ...). Nothing leaks on failure.
 *
 * All libmysofa work runs in a child process (fork, no exec), which sends
 * the finished set back through a pipe; the calling thread never calls
 * libmysofa, so a crash inside libmysofa is an error message, and the
 * caller regains control within 50 ms of the time limit (timeout_s; 0,
 * negative or NaN means HRTF_LOAD_TIMEOUT_S, INFINITY none) passing or
 * *cancel (may be NULL) becoming non-zero: the child is then killed and
 * reaped. Blocks the calling thread (a control or loader thread, never the
 * audio thread) for the whole load. fork() write-protects the caller's
 * memory: every page another thread writes afterwards costs one minor page
 * fault (once per load). */
int hrtf_load_limited(const char *path, unsigned rate, double timeout_s, const atomic_int *cancel,
		      struct hrtf_set **out, char *err, size_t errlen);
/* hrtf_load_limited with HRTF_LOAD_TIMEOUT_S and no cancel flag. */
int hrtf_load(const char *path, unsigned rate, struct hrtf_set **out, char *err, size_t errlen);
void hrtf_free(struct hrtf_set *h);

/* Nearest measured direction to (azimuth, elevation) in degrees, from the
 * table: no allocation, no libmysofa, safe on the audio thread. Azimuth is
 * wrapped, elevation clamped. */
unsigned hrtf_nearest(const struct hrtf_set *h, float azimuth, float elevation);

/* Add src (n samples) delayed by delay samples (>= 0, fractional allowed)
 * into dst (dst_len samples, which the caller zeroes first). A fraction is
 * applied with a 32-tap Blackman-windowed sinc normalised to unit DC gain;
 * an integer delay moves the samples unchanged. Taps that would fall
 * before dst[0] or past dst_len are dropped, so dst_len = n + ceil(delay)
 * + 16 keeps the whole result. Control thread (uses libm). */
void hrtf_fractional_delay(float *dst, size_t dst_len, const float *src, size_t n, double delay);

static inline const float *hrtf_ir(const struct hrtf_set *h, unsigned dir, int ear)
{
	return h->ir + ((size_t)dir * 2 + (size_t)ear) * h->length;
}

#endif
