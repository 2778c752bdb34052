/* Binaural rendering: every source heard from its place around the head,
 * by uniformly partitioned convolution with the HRIR pair
 * interpolated for that place.
 *
 * Per source and block of P samples:
 *  - air absorption beyond BIN_AIR_FROM metres (a one-pole low-pass fitted
 *    to ISO 9613-1 at 20 C, 50 % relative humidity), then the input goes
 *    into a time-domain delay line;
 *  - each ear reads the line at its own fractional delay (the onset delay
 *    of the HRIRs, interpolated like the filters), moving linearly across
 *    the block from the old to the new value, through a 12-tap
 *    Kaiser-windowed sinc (a gliding delay is read in spans, each at the
 *    delays of both its ends and crossfaded, the spans short enough that
 *    the two differ by at most BIN_FD_GLIDE_XFADE samples; a delay racing
 *    faster than spans of 16 samples allow, with a kernel per sample);
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
 *    barycentric weights into the source's own filter slot, so a source
 *    that stays put costs only the products with its own filter.
 * Products are summed per ear in the frequency domain: a block costs two
 * inverse FFTs whatever the number of sources (four with the directions'
 * lines below).
 *
 * Sources share the work by direction. By linearity,
 * sum_k X_s(n-k) sum_d w_sd H_d(k) = sum_d sum_k [sum_s w_sd X_s(n-k)] H_d(k):
 * a source on the directions' lines adds its newest spectra, weighted by
 * its blend, into the input of this block of each of its directions
 * (measured or virtual) instead of its own line, and at binaural_end each
 * direction written this block is multiplied with all K partitions of its
 * spectra from the table, once, a few directions at a time (transposed:
 * this block's input times partition k goes into the accumulator of block
 * n + k, one of K that rotate). A direction nobody sends anything to costs
 * nothing, and no direction keeps a delay line: per block, the table's
 * spectra of the directions in use are read once and nothing else of
 * theirs but their input. These products are overlap-add ([zeros | block]
 * transformed, the half that rings into the next block kept), so each
 * input block goes in with the blend of its own moment: what a source
 * sent keeps its place when it moves.
 *
 * A source whose blend changes goes to the directions' lines, and the
 * change costs a second transform and no products: the block fades out of
 * the old blend and into the new one on the way in (its input times
 * fade_out to the old directions, times fade_in to the new; the windows
 * sum to one), so each sample is heard through the blend of the two its
 * place in the block gives. A source that glides changes blend once it is
 * BIN_FILTER_STEP_DEG from where its blend was made for, and when it
 * stops (its delays, near field and air follow every block).
 *
 * A source whose blend has not changed for BIN_AGG_SECONDS stays on the
 * directions' lines, or goes there from its own, while that pays: each
 * direction costs one product, as a source does. Steady sources are
 * summed in while all of them (awake, blend unchanged that long) blend at
 * most 3/4 as many directions as there are of them, or when a source's
 * own directions are shared enough (the sum over them of 1 / the steady
 * sources blending each is 1/2 at most), or when it blends one direction
 * only (a measured one: no dearer than its own product). They go back to
 * their own lines past 0.85 and 0.6. On the way there, its own line
 * drains: its newest slot takes the end of the last block (which rings on
 * into this one), its stored filter the blend it had, and for K blocks
 * zeros go in while its older spectra still meet that filter; after that
 * the source's block touches only its delay line, and the directions'
 * inputs and the table (a few MB) stay in the cache where
 * thousands of per-source lines and filters would stream from memory. Its
 * history is kept at zeros meanwhile, so that a return to its own line
 * starts clean. A source reset (binaural_reset_source) forgets what is in
 * its own line; what it sent to the directions rings out within K blocks.
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

/* The accumulator of the sources on their own lines (overlap-save); the
 * directions' products have K of their own (y_re, y_im). */
enum { BIN_STEADY = 0, BIN_ACCS = 1 };
/* Directions multiplied together (their inputs held in registers). */
#define BIN_DIR_GROUP 4

/* How long a source's blend must stay the same before it is counted as
 * steady, and goes to its directions' inputs or back to its own
 * line as sharing pays (at least K blocks). */
#define BIN_AGG_SECONDS 0.1

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
/* A gliding delay is read in spans over which it moves by at most this
 * many samples, each read at both ends and crossfaded. */
#define BIN_FD_GLIDE_XFADE 0.25f

/* A moving source changes filter once its place is this far (degrees)
 * from where its filter was made for, and when it stops. */
#define BIN_FILTER_STEP_DEG 0.5f

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
	unsigned silent;          /* consecutive all-zero input blocks */
	bool filter_ok;           /* its filter slot holds the blend of (v, wt) */
	bool asleep;              /* silent long enough: history cleared, skipped */
	bool agg;                 /* its spectra go to its directions' inputs */
	unsigned drain;           /* agg: blocks its own line still takes zeros (K at first) */
	unsigned steady;          /* blocks since its blend last changed (saturates) */
	float fq[3];              /* the direction its blend was made for (unit vector) */
	unsigned fshell;          /* and the distance shell */
	bool behind;              /* its blend kept while it moved on: the place's own is due */
	bool counted;             /* awake and steady: counted in its directions' dir_users */
	uint64_t last;            /* the block it was last added in */
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
	float step_cos;           /* cos BIN_FILTER_STEP_DEG */
	float air_db_per_m;       /* ISO 9613-1 absorption at BIN_AIR_REF_HZ */
	float air_cos;            /* cos(2 pi BIN_AIR_REF_HZ / rate) */
	/* Arena: each source's delay line (2R), per-ear history (2P), frequency-domain
	 * delay lines (2 ears x K x 2 rows) and filter slot (2 ears x K x 2 rows). */
	float *arena;
	size_t per_source;        /* floats */
	size_t off_hist, off_fdl, off_filt, filt_size;
	/* Steady sources, summed by direction. */
	uint64_t n;               /* blocks begun, from K on (so that K blocks before 0 exist) */
	unsigned pos;             /* n % K: every source line's slot of the newest spectra, and the
				   * directions' accumulator of this block */
	unsigned agg_after;       /* blocks of the same blend before a source is aggregated */
	float *dir_in;            /* [filter]: its input this block, both ears (4 row floats) */
	uint64_t *dir_last;       /* [filter]: the block it was last written in (0: never) */
	uint32_t *dir_users;      /* [filter]: awake steady sources that blend it ... */
	unsigned n_used;          /* ... the filters with any */
	unsigned n_steady;        /* awake steady sources */
	uint32_t *dir_on;         /* the filters written this block ... */
	unsigned n_on;            /* ... and how many */
	float **y_re, **y_im;     /* [K * 2]: the directions' products for block n + k, at
				   * [(n + k) % K][ear] (accumulator pairs, as acc_re/acc_im) */
	bool *y_live;             /* [K]: which hold products */
	float **yk_re, **yk_im;   /* K: scratch, the accumulators from block n on */
	float *dc_k, *ny_k;       /* K: scratch, their bin 0 */
	float *spec;              /* a source's newest spectra for the directions' lines, [ear][chunk]
				   * [16 re, 16 im], then the same faded in */
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
	float *fd_tmp;            /* P: the second read of a short glide */
	float *fade_in;           /* P: rises 0..1, fade_out = 1 - fade_in */
	float *zeros;             /* P zeros */
	float *yx[2];             /* P each: this block of each ear, faded */
	float *tail[2];           /* P each: the directions' products' overlap into the next block */
	bool tail_live;           /* tail holds sound */
	unsigned inverse_ffts;    /* in the last block (2, or 4 with directions' products) */
	struct binaural_source *src;
};

/* Control thread. flags: FFTW planner flags (FFTW_ESTIMATE for
 * bit-identical offline renders, FFTW_MEASURE for the daemon; with
 * FFTW_WISDOM_ONLY added, measured plans where FFTW measured the size
 * before in this process, else estimated ones: made in milliseconds). Sources
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

/* Blocks of a source's past that still sound at the output: a renderer
 * fed that many blocks of a source's past sounds as if it had always been
 * playing it. */
static inline unsigned binaural_memory_blocks(const struct binaural *b) { return b->sleep_after; }

/* What source s is rendered with now (for tests): the filters blended and
 * their weights (BIN_NO_VERTEX and 0 where unused), and the per-ear
 * delays in samples. */
void binaural_source_state(const struct binaural *b, unsigned s, uint32_t v[3], float w[3],
			   float delay[2]);

#endif
