/* Binaural rendering: uniformly partitioned overlap-save convolution of
 * every source with the HRIR pair of its direction.
 *
 * Partition = block size P, FFT size 2P. Each source keeps a frequency
 * domain delay line of its last K input spectra (one forward FFT per source
 * per block). Products with the HRIR partitions are summed per ear in the
 * frequency domain, so a block costs two inverse FFTs whatever the number
 * of sources. When a source changes direction, the block is rendered with
 * the old and the new filter into two more accumulators and the two are
 * crossfaded with amplitude-complementary windows: at most six inverse
 * FFTs per block, however many sources move.
 *
 * binaural_new/free run on a control thread (src/prep/engine_setup.c);
 * everything else here runs on the audio thread. */
#ifndef TINGLE_BINAURAL_H
#define TINGLE_BINAURAL_H

#include <fftw3.h>
#include <stdbool.h>
#include <stdint.h>

struct hrtf_set;

enum { BIN_STEADY = 0, BIN_OLD = 1, BIN_NEW = 2, BIN_ACCS = 3 };

struct binaural_source {
	float *hist;              /* previous input block, P samples */
	float *fdl_re, *fdl_im;   /* K spectra, stride floats each */
	unsigned pos;             /* slot of the newest spectrum */
	unsigned silent;          /* consecutive all-zero input blocks */
	int dir;                  /* direction of the current filter, -1 = none yet */
};

struct binaural {
	unsigned block;           /* P */
	unsigned bins;            /* P + 1 */
	unsigned stride;          /* bins rounded up for alignment */
	unsigned parts;           /* K = ceil(HRIR length / P) */
	unsigned n_dirs;
	unsigned n_sources;
	float *h_re, *h_im;       /* HRIR spectra, [dir][ear][part][stride], scaled 1/(2P) */
	fftwf_plan fwd, inv;
	float *t_in;              /* 2P: [previous block | current block] */
	float *x_re, *x_im;       /* spectrum of t_in */
	float *acc_re[BIN_ACCS][2], *acc_im[BIN_ACCS][2];
	float *t_out;             /* 2P */
	float *fade_in;           /* P: rises 0..1, fade_out = 1 - fade_in */
	bool changed;             /* a source changed filter this block */
	unsigned inverse_ffts;    /* in the last block (2, or 6 when a filter changed) */
	struct binaural_source *src;
};

/* Control thread. flags: FFTW planner flags (FFTW_ESTIMATE for
 * bit-identical offline renders, FFTW_MEASURE for the daemon). */
struct binaural *binaural_new(const struct hrtf_set *h, unsigned block, unsigned n_sources,
			      unsigned fftw_flags);
void binaural_free(struct binaural *b);

/* Audio thread. */
void binaural_begin(struct binaural *b);
/* Adds source s with input block x (P samples, gain already applied),
 * heard from direction dir. x may be NULL for silence. */
void binaural_add(struct binaural *b, unsigned s, const float *x, unsigned dir);
/* Writes the block's left and right output (P samples each). */
void binaural_end(struct binaural *b, float *left, float *right);
/* Forget a source's history (it was reassigned or reactivated). */
void binaural_reset_source(struct binaural *b, unsigned s);

#endif
