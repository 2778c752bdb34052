#include "config.h"
#include "prep/audiofile.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <samplerate.h>
#include <sndfile.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/limits.h"
#include "common/util.h"

/* Decoded this many samples (all channels) at a time: the interleaved
 * buffer stays small whatever the channel count, and only the result, at
 * the engine's rate, is ever held whole. */
#define CHUNK_SAMPLES 16384
/* libsndfile's own limit (SF_MAX_CHANNELS). */
#define MAX_CHANNELS 1024

/* Opens path for reading when it is a regular file; -1 with err
 * otherwise. O_NONBLOCK, so that a FIFO (no writer) cannot hang us. */
static int open_regular(const char *path, char *err, size_t errlen)
{
	struct stat sb;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		int e = errno;
		if (e == ENXIO && stat(path, &sb) == 0 && !S_ISREG(sb.st_mode))
			snprintf(err, errlen, "%s: not a regular file (got %s, expected a sound file)", path,
				 file_type_name(sb.st_mode));
		else
			snprintf(err, errlen, "%s: %s", path, strerror(e));
		return -1;
	}
	if (fstat(fd, &sb) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file (got %s, expected a sound file)", path,
			 file_type_name(sb.st_mode));
		close(fd);
		return -1;
	}
	int flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* What the header says, checked before anything is decoded: the rate in
 * range, some audio, and no longer than a sample may last. */
static int check_header(const char *path, const SF_INFO *info, char *err, size_t errlen)
{
	if (info->channels <= 0 || info->channels > MAX_CHANNELS) {
		snprintf(err, errlen, "%s: %d channels (expected 1..%d)", path, info->channels, MAX_CHANNELS);
		return -1;
	}
	if (info->samplerate < TINGLE_RATE_MIN || info->samplerate > TINGLE_RATE_MAX) {
		snprintf(err, errlen, "%s: sample rate %d Hz is out of range (expected %d..%d Hz)", path,
			 info->samplerate, TINGLE_RATE_MIN, TINGLE_RATE_MAX);
		return -1;
	}
	if (info->frames <= 0) {
		snprintf(err, errlen, "%s: no audio in it", path);
		return -1;
	}
	if (info->frames > (sf_count_t)TINGLE_SAMPLE_MAX_SECONDS * info->samplerate) {
		snprintf(err, errlen, "%s: %.0f s long (%lld frames at %d Hz), more than the %d s a sample may last",
			 path, (double)info->frames / info->samplerate, (long long)info->frames,
			 info->samplerate, TINGLE_SAMPLE_MAX_SECONDS);
		return -1;
	}
	return 0;
}

/* Feeds n frames of in to the resampler, appending to out[*n_out..cap).
 * last: the end of the input; the resampler is drained. Returns 0, a
 * libsamplerate error, or -1 when out would overflow. */
static int resample(SRC_STATE *st, double ratio, const float *in, long n, bool last, float *out,
		    size_t cap, size_t *n_out)
{
	SRC_DATA d = { .data_in = in, .input_frames = n, .src_ratio = ratio, .end_of_input = last };
	for (;;) {
		if (*n_out >= cap)
			return -1;
		d.data_out = out + *n_out;
		d.output_frames = (long)(cap - *n_out);
		int e = src_process(st, &d);
		if (e)
			return e;
		*n_out += (size_t)d.output_frames_gen;
		d.data_in += d.input_frames_used;
		d.input_frames -= d.input_frames_used;
		if (d.input_frames_used == 0 && d.output_frames_gen == 0)
			return 0; /* nothing more comes out */
		if (d.input_frames == 0 && !last)
			return 0;
	}
}

int audiofile_read_mono(const char *path, unsigned rate, float **data, size_t *frames, char *err,
			size_t errlen)
{
	if (rate < TINGLE_RATE_MIN || rate > TINGLE_RATE_MAX) {
		snprintf(err, errlen, "%s: engine rate %u Hz is out of range (expected %d..%d Hz)", path, rate,
			 TINGLE_RATE_MIN, TINGLE_RATE_MAX);
		return -1;
	}
	int fd = open_regular(path, err, errlen);
	if (fd < 0)
		return -1;
	SF_INFO info = { 0 };
	SNDFILE *sf = sf_open_fd(fd, SFM_READ, &info, SF_FALSE);
	if (!sf) {
		snprintf(err, errlen, "%s: %s", path, sf_strerror(NULL));
		close(fd);
		return -1;
	}
	float *inter = NULL, *mono = NULL, *out = NULL;
	SRC_STATE *src = NULL;
	if (check_header(path, &info, err, errlen) < 0)
		goto fail;

	/* The whole result, sized from the header: at most
	 * TINGLE_SAMPLE_MAX_SECONDS at rate (plus the resampler's slack), so
	 * the size cannot overflow. */
	const bool same_rate = (unsigned)info.samplerate == rate;
	const double ratio = (double)rate / (double)info.samplerate;
	const double want = ceil((double)info.frames * ratio) + 64.0;
	if (want > (double)(SIZE_MAX / sizeof(float))) {
		snprintf(err, errlen, "%s: too long to hold in memory", path);
		goto fail;
	}
	const size_t cap = (size_t)want;
	const size_t ch = (size_t)info.channels;
	const size_t chunk = CHUNK_SAMPLES / ch; /* >= 16 */
	inter = malloc(chunk * ch * sizeof(float));
	mono = malloc(chunk * sizeof(float));
	out = malloc(cap * sizeof(float));
	if (!inter || !mono || !out) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	int e = 0;
	if (!same_rate && !(src = src_new(SRC_SINC_MEDIUM_QUALITY, 1, &e))) {
		snprintf(err, errlen, "%s: resampling failed: %s", path, src_strerror(e));
		goto fail;
	}

	size_t total = 0, n_out = 0;
	for (;;) {
		sf_count_t got = sf_readf_float(sf, inter, (sf_count_t)chunk);
		if (got <= 0)
			break;
		size_t n = (size_t)got;
		for (size_t i = 0; i < n; i++) {
			float s = 0.0f;
			for (size_t c = 0; c < ch; c++)
				s += inter[i * ch + c];
			mono[i] = s / (float)ch;
			if (!isfinite(mono[i])) {
				snprintf(err, errlen, "%s: non-finite sample at frame %zu", path, total + i);
				goto fail;
			}
		}
		total += n;
		if (same_rate) {
			if (n > cap - n_out) {
				e = -1;
				break;
			}
			memcpy(out + n_out, mono, n * sizeof(float));
			n_out += n;
		} else if ((e = resample(src, ratio, mono, (long)n, false, out, cap, &n_out))) {
			break;
		}
	}
	if (!e && total == 0) {
		snprintf(err, errlen, "%s: cannot decode: %s", path, sf_strerror(sf));
		goto fail;
	}
	if (!e && src)
		e = resample(src, ratio, mono, 0, true, out, cap, &n_out);
	if (e) {
		if (e < 0)
			snprintf(err, errlen, "%s: more audio in it than its header says", path);
		else
			snprintf(err, errlen, "%s: resampling failed: %s", path, src_strerror(e));
		goto fail;
	}
	if (n_out == 0) {
		snprintf(err, errlen, "%s: no audio in it", path);
		goto fail;
	}
	free(inter);
	free(mono);
	if (src)
		src_delete(src);
	sf_close(sf);
	close(fd);
	float *shrunk = realloc(out, n_out * sizeof(float));
	*data = shrunk ? shrunk : out;
	*frames = n_out;
	return 0;
fail:
	free(inter);
	free(mono);
	free(out);
	if (src)
		src_delete(src);
	sf_close(sf);
	close(fd);
	return -1;
}
