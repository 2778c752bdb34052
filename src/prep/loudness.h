/* Loudness after EBU R128 / ITU-R BS.1770, measured with libebur128:
 * what a scene's `loudness = LUFS` sets a sound's level by, what
 * tingle-render --loudness and tingled --check -v print. Control threads
 * only (libebur128 allocates). */
#ifndef TINGLE_LOUDNESS_H
#define TINGLE_LOUDNESS_H

#include <stdbool.h>
#include <stddef.h>

struct loudness {
	double integrated;     /* LUFS, gated; -HUGE_VAL when all is below the gate */
	double momentary_max;  /* LUFS: the loudest 400 ms */
	double short_term_max; /* LUFS: the loudest 3 s */
	double true_peak;      /* dBTP, the larger of the channels */
};

/* A running measure, fed block by block (tingle-render --loudness). */
struct loudness_meter;
struct loudness_meter *loudness_meter_new(unsigned channels, unsigned rate);
/* Adds frames (interleaved); 0, or -1 when libebur128 fails. */
int loudness_meter_add(struct loudness_meter *m, const float *x, size_t frames);
/* What was fed so far; a short sound's last windows are completed with
 * silence first (the meter takes no more after this). */
void loudness_meter_result(struct loudness_meter *m, struct loudness *out);
void loudness_meter_free(struct loudness_meter *m);

/* Measures channels (1 or 2) interleaved frames x[0 .. frames * channels)
 * at rate. Returns 0, or -1 with err (out of memory, bad rate). */
int loudness_measure(const float *x, size_t frames, unsigned channels, unsigned rate, struct loudness *out,
		     char *err, size_t errlen);

/* A sound's loudness, the figure `loudness = LUFS` sets (mono, at its
 * source, before distance and HRTFs, at full velocity):
 *  - a one-shot: the mean over its variants of each one's loudest 400 ms
 *    (momentary maximum), so a short tap and a long stroke compare as
 *    heard;
 *  - a held or looping sound: the integrated loudness of its variants
 *    played one after the other.
 * buf[i], len[i]: n variants (mono floats). Returns LUFS, or -HUGE_VAL
 * for silence (or when the measure fails: nothing to set a level by). */
double loudness_of_sound(const float *const *buf, const size_t *len, unsigned n, bool oneshot, unsigned rate);

#endif
