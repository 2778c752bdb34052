#include "config.h"
#include "ctl/audiofile.h"

#include <math.h>
#include <samplerate.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int audiofile_read_mono(const char *path, unsigned rate, float **data, size_t *frames, char *err,
			size_t errlen)
{
	SF_INFO info = { 0 };
	SNDFILE *sf = sf_open(path, SFM_READ, &info);
	if (!sf) {
		snprintf(err, errlen, "%s: %s", path, sf_strerror(NULL));
		return -1;
	}
	if (info.frames <= 0 || info.channels <= 0 || info.samplerate <= 0 ||
	    info.frames > (sf_count_t)1 << 31) {
		snprintf(err, errlen, "%s: no audio in it (or too long)", path);
		sf_close(sf);
		return -1;
	}
	size_t n = (size_t)info.frames, ch = (size_t)info.channels;
	float *inter = malloc(n * ch * sizeof(float));
	float *mono = malloc(n * sizeof(float));
	if (!inter || !mono) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	sf_count_t got = sf_readf_float(sf, inter, info.frames);
	if (got <= 0) {
		snprintf(err, errlen, "%s: cannot decode: %s", path, sf_strerror(sf));
		goto fail;
	}
	n = (size_t)got;
	for (size_t i = 0; i < n; i++) {
		float s = 0.0f;
		for (size_t c = 0; c < ch; c++)
			s += inter[i * ch + c];
		mono[i] = s / (float)ch;
		if (!isfinite(mono[i])) {
			snprintf(err, errlen, "%s: non-finite sample at frame %zu", path, i);
			goto fail;
		}
	}
	free(inter);
	inter = NULL;
	sf_close(sf);
	sf = NULL;

	if ((unsigned)info.samplerate != rate) {
		double ratio = (double)rate / (double)info.samplerate;
		size_t out_n = (size_t)ceil((double)n * ratio) + 16;
		float *res = calloc(out_n, sizeof(float));
		if (!res) {
			snprintf(err, errlen, "%s: out of memory", path);
			goto fail;
		}
		SRC_DATA d = { .data_in = mono, .data_out = res, .input_frames = (long)n,
			       .output_frames = (long)out_n, .src_ratio = ratio };
		int e = src_simple(&d, SRC_SINC_MEDIUM_QUALITY, 1);
		if (e) {
			snprintf(err, errlen, "%s: resampling failed: %s", path, src_strerror(e));
			free(res);
			goto fail;
		}
		free(mono);
		mono = res;
		n = (size_t)d.output_frames_gen;
	}
	*data = mono;
	*frames = n;
	return 0;
fail:
	free(inter);
	free(mono);
	if (sf)
		sf_close(sf);
	return -1;
}
