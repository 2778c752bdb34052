/* Audio thread: partitioned convolution of the sources with their HRIRs
 * (see binaural.h for the scheme). */
#include "config.h"
#include "rt/binaural.h"

#include <string.h>

/* The complex multiply-accumulate over all bins is the inner loop of the
 * whole renderer; let the compiler vectorise it. */
#pragma GCC optimize("O3")

static void mac(float *restrict ar, float *restrict ai, const float *restrict xr,
		const float *restrict xi, const float *restrict hr, const float *restrict hi,
		unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		ar[i] += xr[i] * hr[i] - xi[i] * hi[i];
		ai[i] += xr[i] * hi[i] + xi[i] * hr[i];
	}
}

static void accumulate(struct binaural *b, int acc, const struct binaural_source *src, unsigned dir)
{
	const unsigned K = b->parts, st = b->stride;
	for (unsigned k = 0; k < K; k++) {
		unsigned slot = (src->pos + K - k) % K;
		const float *xr = src->fdl_re + (size_t)slot * st;
		const float *xi = src->fdl_im + (size_t)slot * st;
		for (int ear = 0; ear < 2; ear++) {
			size_t off = (((size_t)dir * 2 + (size_t)ear) * K + k) * st;
			mac(b->acc_re[acc][ear], b->acc_im[acc][ear], xr, xi, b->h_re + off,
			    b->h_im + off, st);
		}
	}
}

void binaural_begin(struct binaural *b)
{
	size_t bytes = b->stride * sizeof(float);
	int sets = b->changed ? BIN_ACCS : 1;
	for (int a = 0; a < sets; a++)
		for (int ear = 0; ear < 2; ear++) {
			memset(b->acc_re[a][ear], 0, bytes);
			memset(b->acc_im[a][ear], 0, bytes);
		}
	b->changed = false;
}

void binaural_reset_source(struct binaural *b, unsigned s)
{
	struct binaural_source *src = &b->src[s];
	memset(src->hist, 0, b->block * sizeof(float));
	memset(src->fdl_re, 0, (size_t)b->parts * b->stride * sizeof(float));
	memset(src->fdl_im, 0, (size_t)b->parts * b->stride * sizeof(float));
	src->pos = 0;
	src->silent = b->parts + 1;
	src->dir = -1;
}

void binaural_add(struct binaural *b, unsigned s, const float *x, unsigned dir)
{
	struct binaural_source *src = &b->src[s];
	const unsigned P = b->block;
	bool silent = true;
	for (unsigned i = 0; x && i < P; i++)
		if (x[i] != 0.0f) {
			silent = false;
			break;
		}
	if (silent) {
		/* Once the last K spectra are all of silence the source adds
		 * nothing: skip it, and move its filter without a crossfade. */
		if (src->silent > b->parts) {
			src->dir = (int)dir;
			return;
		}
		src->silent++;
	} else {
		src->silent = 0;
	}

	memcpy(b->t_in, src->hist, P * sizeof(float));
	if (silent) {
		memset(b->t_in + P, 0, P * sizeof(float));
		memset(src->hist, 0, P * sizeof(float));
	} else {
		memcpy(b->t_in + P, x, P * sizeof(float));
		memcpy(src->hist, x, P * sizeof(float));
	}
	fftwf_execute(b->fwd);
	src->pos = (src->pos + 1) % b->parts;
	memcpy(src->fdl_re + (size_t)src->pos * b->stride, b->x_re, b->stride * sizeof(float));
	memcpy(src->fdl_im + (size_t)src->pos * b->stride, b->x_im, b->stride * sizeof(float));

	if (src->dir < 0)
		src->dir = (int)dir;
	if ((unsigned)src->dir == dir) {
		accumulate(b, BIN_STEADY, src, dir);
	} else {
		if (!b->changed) {
			/* First mover this block: the crossfade sets start empty. */
			size_t bytes = b->stride * sizeof(float);
			for (int a = BIN_OLD; a <= BIN_NEW; a++)
				for (int ear = 0; ear < 2; ear++) {
					memset(b->acc_re[a][ear], 0, bytes);
					memset(b->acc_im[a][ear], 0, bytes);
				}
			b->changed = true;
		}
		accumulate(b, BIN_OLD, src, (unsigned)src->dir);
		accumulate(b, BIN_NEW, src, dir);
		src->dir = (int)dir;
	}
}

void binaural_end(struct binaural *b, float *left, float *right)
{
	const unsigned P = b->block;
	float *out[2] = { left, right };
	b->inverse_ffts = b->changed ? 6 : 2;
	for (int ear = 0; ear < 2; ear++) {
		float *o = out[ear];
		fftwf_execute_split_dft_c2r(b->inv, b->acc_re[BIN_STEADY][ear],
					    b->acc_im[BIN_STEADY][ear], b->t_out);
		memcpy(o, b->t_out + P, P * sizeof(float));
		if (!b->changed)
			continue;
		fftwf_execute_split_dft_c2r(b->inv, b->acc_re[BIN_OLD][ear], b->acc_im[BIN_OLD][ear],
					    b->t_out);
		for (unsigned i = 0; i < P; i++)
			o[i] += (1.0f - b->fade_in[i]) * b->t_out[P + i];
		fftwf_execute_split_dft_c2r(b->inv, b->acc_re[BIN_NEW][ear], b->acc_im[BIN_NEW][ear],
					    b->t_out);
		for (unsigned i = 0; i < P; i++)
			o[i] += b->fade_in[i] * b->t_out[P + i];
	}
}
