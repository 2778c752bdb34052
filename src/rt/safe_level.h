/* Safe listening levels for one listener's headphones: an A-weighting
 * filter, a level governor that holds the listener's A-weighted level at
 * or under a maximum, and the sound dose the listener has taken in.
 *
 * Levels are those at the listener's eardrums, as the headphones make
 * them, so the module must be told how loud the headphones play:
 *
 *   spl_at_0dbfs  dB SPL, A-weighted, that a 1 kHz sine of peak amplitude
 *                 1.0 (0 dBFS) in a channel makes at that ear. A signal
 *                 whose A-weighted mean square is m then measures
 *                 spl_at_0dbfs + 10 log10(2 m) dB SPL at that ear (a
 *                 full-scale sine has m = 1/2).
 *   max_level     dB SPL, A-weighted: the highest short-term level
 *                 (LAeq over 3 s) the listener may hear. +INFINITY turns
 *                 the governor off (gain 1, the dose is still counted).
 *
 * Ears: every level and the dose are those of the louder ear. Averaging
 * the two ears' power would let a sound hard on one side reach that ear
 * 3 dB above the limit; the louder ear never does.
 *
 * The governor: each ear's A-weighted signal (taken before the gain) is
 * squared and smoothed with a 50 ms exponential time weighting, faster
 * than a sound level meter's Fast (125 ms) so that a sudden jump cannot
 * carry the 3 s level much over the limit before the gain has come down.
 * While the louder ear's smoothed level is at or under max_level the gain
 * is exactly 1: the sound passes untouched. Over it, the gain heads for
 * what brings that level back to max_level, falling with a 5 ms time
 * constant and rising at 6 dB a second (a 20 dB reduction takes over 3 s
 * to let go, so that taps with gaps between them stay held): no click,
 * no pumping on steady sound. A live change of either setting is
 * smoothed the same way.
 * There is no look-ahead (no added latency), and a gain that falls
 * faster than about 0.5 % a sample would click, so what a sudden jump
 * lets through in its first milliseconds is bounded by how far over the
 * limit it lands: noise jumping to 19 dB over the limit keeps the 3 s
 * level within 0.8 dB of it, 25 dB over within 1.8 dB, 31 dB over within
 * 4 dB (measured at 48 kHz). Once the gain is down, repeated taps stay
 * held: the 6 dB/s release wins back little in the gaps between them.
 *
 * The dose: the A-weighted sound exposure E = integral of p_A(t)^2 dt of
 * what leaves the governor, in Pa^2 h (p_ref 20 uPa), counted from init
 * or the last reset. The weekly allowances follow ITU-T H.870 (03/2022),
 * "Guidelines for safe listening devices/systems" (the WHO-ITU "Safe
 * listening devices and systems"), clause 7.1 "Operational modes", on
 * the equal-energy principle:
 *   mode 1 (adults) 1.6 Pa^2 h in 7 days, 80 dB(A) for 40 h. The figure
 *     is quoted in the summary of ITU-T H.871 (07/2019): "As defined in
 *     ITU-T H.870, the sound exposure should be limited to an accumulated
 *     dose (100 % calculated sound dose (CSD)) over 7 days of in total
 *     1.6 Pa2h which corresponds to 80 dBA for 40 hours".
 *   mode 2 (sensitive listeners, children) 75 dB(A) for 40 h, as the
 *     H.870 summaries give it. That is 0.506 Pa^2 h; 0.51 is taken to be
 *     H.870's rounding of it (the text of clause 7.1 was not at hand).
 * Keeping a rolling 7 days (storing, restoring) is the caller's work,
 * off the audio thread.
 *
 * Everything here runs on the audio thread that owns the struct: fixed
 * size, nothing allocated, locked, logged or blocked on; state decaying
 * to silence is flushed to zero (no denormals). Other threads learn the
 * gain and dose through the engine's event queue, not by reading the
 * struct. Engine rates 8000..384000 Hz (others are clamped to that). */
#ifndef TINGLE_SAFE_LEVEL_H
#define TINGLE_SAFE_LEVEL_H

#include "common/limits.h"

#define SAFE_LEVEL_MIN_RATE ((unsigned)TINGLE_RATE_MIN)
#define SAFE_LEVEL_MAX_RATE ((unsigned)TINGLE_RATE_MAX)
#define SAFE_LEVEL_WINDOW_S 3.0             /* the short-term level the limit is for */
#define SAFE_LEVEL_DETECT_S 0.050           /* time weighting of the level the gain follows */
#define SAFE_LEVEL_ATTACK_S 0.005
#define SAFE_LEVEL_RELEASE_DB_S 6.0         /* how fast the gain may come back up */
#define SAFE_LEVEL_ALLOWANCE_MODE1 1.6      /* Pa^2 h a week: 80 dB(A), 40 h */
#define SAFE_LEVEL_ALLOWANCE_MODE2 0.51     /* Pa^2 h a week: 75 dB(A), 40 h */
#define SAFE_LEVEL_DEFAULT_SPL 120.0f       /* dB SPL at 0 dBFS when not known: loud headphones */
#define SAFE_LEVEL_DEFAULT_MAX 80.0f        /* dB(A) when the maximum given is not a number */

/* The IEC 61672-1 A-weighting for one channel: analogue poles at 20.6,
 * 107.7, 737.9 and 12194 Hz, 0 dB at 1 kHz. The three low pole pairs are
 * made digital by the bilinear transform (they lie far below the Nyquist
 * frequency, where it is exact enough); the pair at
 * 12194 Hz, near Nyquist at the common rates, by matched poles and a
 * numerator fitted to the analogue magnitude at 0, fs/4 and fs/2 (after
 * Vicanek, "Matched second order digital filters", 2016), which the
 * bilinear transform would squash towards Nyquist (-1.2 dB at 10 kHz at
 * 48 kHz). Double precision: the 20.6 Hz poles sit within 1e-3 of z = 1
 * at the high rates. */
struct safe_biquad {
	double b0, b1, b2, a1, a2;
	double z1, z2;  /* transposed direct form II state */
};

struct safe_aweight {
	struct safe_biquad sec[3];
	double gain;    /* 0 dB at 1 kHz */
};

void safe_aweight_init(struct safe_aweight *w, unsigned rate);
void safe_aweight_reset(struct safe_aweight *w);   /* silence, same rate */
double safe_aweight_step(struct safe_aweight *w, double x);
void safe_aweight_flush(struct safe_aweight *w);   /* zero what has decayed below any hearing */

struct safe_level {
	struct safe_aweight ear[2];
	double power[2];        /* A-weighted mean square before the gain, 50 ms weighting */
	double gain;            /* applied now, 0..1 */
	double detect_k, attack_k, release_step;
	double limit_power;     /* mean square at max_level; INFINITY: off */
	double pa2_per_power;   /* Pa^2 of one unit of mean square */
	double hours_per_frame;
	double dose[2], dose_carry[2];  /* Pa^2 h per ear, compensated sums */
	float spl_at_0dbfs, max_level_db;
	unsigned rate;
};

/* Not-a-number settings at init take SAFE_LEVEL_DEFAULT_SPL and
 * SAFE_LEVEL_DEFAULT_MAX: an unknown pair of headphones is taken to be a
 * loud one, so the limit errs on the quiet side. */
void safe_level_init(struct safe_level *s, unsigned rate, float spl_at_0dbfs, float max_level_db);
/* A live change, smoothed by the gain's attack and release. Values that
 * are not numbers leave the setting as it was. */
void safe_level_set(struct safe_level *s, float spl_at_0dbfs, float max_level_db);
/* In place: left and right leave at the governed level (they may be
 * the same buffer, for a mono feed to both ears). */
void safe_level_process(struct safe_level *s, float *left, float *right, unsigned n);
/* The gain now in dB: 0 when the sound passes untouched, negative when
 * the governor holds it down (for meters). */
float safe_level_gain_db(const struct safe_level *s);
/* Sound exposure of the louder ear since init or the last reset. */
double safe_level_dose_pa2h(const struct safe_level *s);
/* The same as a percentage of the weekly allowance of mode 1 or 2
 * (anything else: mode 1, the adults'). */
double safe_level_dose_percent(const struct safe_level *s, int mode);
void safe_level_dose_reset(struct safe_level *s);

#endif
