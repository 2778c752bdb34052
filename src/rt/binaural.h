/* Binaural rendering: every source heard from its place around the head,
 * by uniformly partitioned overlap-save convolution with the HRIR pair
 * interpolated for that place.
 *
 * Per source and block of P samples:
 *  - air absorption beyond BIN_AIR_FROM metres (a one-pole low-pass fitted
 *    to ISO 9613-1 at 20 C, 50 % relative humidity), then the input goes
 *    into a time-domain delay line;
 *  - each ear reads the line at its own fractional delay (the onset delay
 *    of the HRIRs, interpolated like the filters), moving linearly across
 *    the block from the old to the new value, through a 12-tap
 *    Kaiser-windowed sinc;
 *  - below 1 m, a near-field filter per ear (Spagnol, Tavazzi & Avanzini
 *    2017: the distance variation function of a rigid sphere, a first-order
 *    high shelf per ear indexed by distance and the angle to that ear),
 *    relative to the shell the HRIRs were measured at, so it is flat at
 *    1 m and beyond;
 *  - the two ears now hear different signals, so each has its own
 *    transform (partition P, FFT 2P: the two real blocks go through one
 *    complex FFT, left as real part, right as imaginary part, and are
 *    separated after) and its own frequency-domain delay line of K
 *    spectra;
 *  - the HRIR spectra (delays removed, so neighbours blend without comb
 *    filtering) of the (up to) three measured directions around the place
 *    (the triangle of the set's triangulation that holds it, found through
 *    a per-degree table and a step or two across edges) are summed with
 *    barycentric weights into the source's own filter slot, so a steady
 *    source costs only the products with its own filter.
 * Products are summed per ear in the frequency domain: a block costs two
 * inverse FFTs whatever the number of sources. When a source's filter
 * changes, the block is rendered with the old and the new filter into two
 * more accumulators, crossfaded with amplitude-complementary windows: at
 * most six inverse FFTs per block, however many sources move. While a
 * source moves, both filters are blended where they are multiplied (from
 * the directions' spectra, which stay in the cache), and the slot is
 * written in the first block it stays put.
 *
 * Memory is laid out for thousands of sources: each source's delay line,
 * history, spectra and filter are one contiguous run of an arena in huge
 * pages, spectra are stored 16 bins at a time across the partitions (the
 * products read them in order), and the next source's data is asked for
 * while one is worked on (sources are added in order).
 *
 * The engine applies the distance gain (1/distance, capped) to the input.
 *
 * binaural_new/free run on a control thread (src/prep/binaural_setup.c);
 * everything else here runs on the audio thread, which it never makes
 * allocate, lock, log or do I/O. */
#ifndef TINGLE_BINAURAL_H
#define TINGLE_BINAURAL_H

#include <fftw3.h>
#include <stdbool.h>
#include <stdint.h>

struct hrtf_set;

/* Where a source is, relative to the head. */
struct bin_place {
	float azimuth;    /* degrees, counter-clockwise from the front: +90 left */
	float elevation;  /* degrees, +90 above */
	float distance;   /* metres from the centre of the head */
};

enum { BIN_STEADY = 0, BIN_OLD = 1, BIN_NEW = 2, BIN_ACCS = 3 };

#define BIN_MIN_DISTANCE 0.1f   /* metres: nearer sources are pushed out to this */
#define BIN_NEAR_TO 1.0f        /* metres: the near-field filter is flat from here on */
#define BIN_AIR_FROM 3.0f       /* metres: air absorption over the path beyond this */
#define BIN_AIR_REF_HZ 8000.0   /* the air low-pass matches ISO 9613-1 here */

/* Fractional delay: BIN_FD_TAPS-tap windowed sinc, tabulated at
 * BIN_FD_PHASES fractions of a sample and interpolated linearly between
 * them (the kernel is smooth: within -80 dB); a row holds the taps, padded
 * to 16, then the differences to the next row. The table fits the L1
 * cache. Reads need BIN_FD_TAPS / 2 samples of delay at least. */
#define BIN_FD_TAPS 12
#define BIN_FD_ROW 32
#define BIN_FD_PHASES 128

/* Near-field shelf parameters on a grid: distance / head radius on a
 * logarithmic axis, the angle to the ear in 10-degree steps. */
#define BIN_HEAD_RADIUS 0.0875f /* metres: the model's reference head */
#define BIN_NEAR_RHO_MIN 1.25f  /* the model's fit starts here (0.11 m) */
#define BIN_NEAR_RHO_STEPS 128
#define BIN_NEAR_ANGLES 19

#define BIN_NO_VERTEX UINT32_MAX

/* A triangle of the HRTF set's directions (struct hrtf_tri, copied). */
struct bin_tri {
	float m[9];      /* weights = m q for the unit vector q */
	uint32_t v[3];   /* filters (measured or virtual directions), or BIN_NO_VERTEX */
	int32_t nb[3];   /* triangle across the edge facing v[i] */
};

/* First-order section y = b0 x + b1 x[-1] - a1 y[-1]. */
struct bin_fo {
	float b0, b1, a1;
};

struct binaural_source {
	float *mem;               /* its part of the arena (layout: struct binaural's offsets) */
	unsigned w;               /* delay line: where the next input sample goes */
	unsigned pos;             /* frequency-domain delay lines: slot of the newest spectra */
	unsigned silent;          /* consecutive all-zero input blocks */
	bool filter_ok;           /* its filter slot holds the blend of (v, wt) */
	bool fresh;               /* nothing sounds from before: a new filter needs no crossfade */
	bool asleep;              /* silent long enough: history cleared, skipped */
	struct bin_place place;   /* the last place given */
	uint32_t v[3];            /* the blend: filters ... */
	float wt[3];              /* ... and weights (0 for unused) */
	float delay[2];           /* per ear, samples, reached at the end of the last block */
	struct bin_fo near[2];    /* per ear, reached */
	float near_x1[2], near_y1[2];
	float air;                /* pole of the air absorption low-pass, reached */
	float air_y1;
};

struct binaural {
	unsigned block;           /* P */
	unsigned rate;
	unsigned row;             /* bins per spectrum: P packed (the Nyquist bin's real part in
				   * the imaginary part of DC), rounded up to 16 */
	unsigned acc_stride;      /* P + 1 rounded up to 16: what the inverse FFT reads */
	unsigned parts;           /* K = ceil(HRIR length / P) */
	unsigned n_dirs;          /* measured directions */
	unsigned n_filters;       /* measured and virtual directions */
	unsigned n_sources;
	float *h;                 /* spectra [filter][ear][chunk of 16 bins][part][16 re, 16 im],
				   * scaled 1/(4P): 1/(2P) for the inverse FFT, 1/2 for the
				   * two-for-one forward one */
	float *delay;             /* [filter][ear]: onset delays, samples, offset included */
	bool delays;              /* some delay is not zero: the delay lines are in use */
	/* Geometry. */
	unsigned n_shells;
	float *shell_distance;    /* metres, ascending */
	struct bin_tri *tri;
	uint32_t *cell;           /* [shell][el + 90][az 0..359]: a triangle to start from */
	/* Delay lines, near field, air. */
	unsigned ring;            /* delay line length R (power of two); stored twice over */
	unsigned sleep_after;     /* silent blocks after which a source is silent at the output */
	float *fd;                /* [BIN_FD_PHASES][16 taps, 16 differences] */
	float *near_grid;         /* [angle][rho][3]: gain at DC (dB), at high frequencies
				   * relative to DC (dB), corner (Hz) */
	float near_log_rho_step;
	float air_db_per_m;       /* ISO 9613-1 absorption at BIN_AIR_REF_HZ */
	float air_cos;            /* cos(2 pi BIN_AIR_REF_HZ / rate) */
	/* Arena: each source's delay line (2R), per-ear history (2P), frequency-domain
	 * delay lines (2 ears x K x 2 rows) and filter slot (2 ears x K x 2 rows). */
	float *arena;
	size_t per_source;        /* floats */
	size_t off_hist, off_fdl, off_filt, filt_size;
	/* Scratch. */
	fftwf_plan fwd, inv;
	float *cin;               /* 2P complex: [previous block | this block], left ear in the
				   * real parts, right ear in the imaginary parts */
	float *cout;              /* 2P complex: its transform */
	float *y[2];              /* P each: this block of each ear */
	unsigned *slot;           /* K: the slot of partition k's spectra (while accumulating) */
	float *acc_re[BIN_ACCS][2], *acc_im[BIN_ACCS][2];
	float *t_out;             /* 2P */
	float *scratch;           /* P: the block's input after the air */
	float *fade_in;           /* P: rises 0..1, fade_out = 1 - fade_in */
	bool changed;             /* a source changed filter this block */
	unsigned inverse_ffts;    /* in the last block (2, or 6 when a filter changed) */
	struct binaural_source *src;
};

/* Control thread. flags: FFTW planner flags (FFTW_ESTIMATE for
 * bit-identical offline renders, FFTW_MEASURE for the daemon). Sources
 * start in front at 1 m. NULL when out of memory or h has no
 * triangulation (hrtf_mesh_build). */
struct binaural *binaural_new(const struct hrtf_set *h, unsigned block, unsigned n_sources,
			      unsigned fftw_flags);
void binaural_free(struct binaural *b);

/* binaural_new's last step: every source in front at 1 m, silent. */
void binaural_init_sources(struct binaural *b);

/* Audio thread. */
void binaural_begin(struct binaural *b);
/* Adds source s with input block x (P samples, distance gain already
 * applied; NULL for silence), heard from place (NULL: where it was). The
 * place may change every block: filters, delays and the near field move
 * there within the block, without clicks. */
void binaural_add(struct binaural *b, unsigned s, const float *x, const struct bin_place *place);
/* Writes the block's left and right output (P samples each). */
void binaural_end(struct binaural *b, float *left, float *right);
/* Forget a source's sound (it was reassigned or reactivated); its place
 * is kept. */
void binaural_reset_source(struct binaural *b, unsigned s);

/* What source s is rendered with now (for tests): the filters blended and
 * their weights (BIN_NO_VERTEX and 0 where unused), and the per-ear
 * delays in samples. */
void binaural_source_state(const struct binaural *b, unsigned s, uint32_t v[3], float w[3],
			   float delay[2]);

#endif
