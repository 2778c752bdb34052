/* Reading audio files (any format libsndfile reads) into memory at the
 * engine's rate, resampled with libsamplerate. Control threads only. */
#ifndef TINGLE_AUDIOFILE_H
#define TINGLE_AUDIOFILE_H

#include <stddef.h>

/* Reads path, mixes its channels down to one (their average) and
 * resamples it to rate. Returns 0 with *data (free() it) and *frames, or
 * -1 with err naming the file and what is wrong. Refused before anything
 * is decoded: a file that is not a regular file (a FIFO would hang), a
 * sample rate outside TINGLE_RATE_MIN..TINGLE_RATE_MAX, and a file that
 * lasts longer than TINGLE_SAMPLE_MAX_SECONDS (common/limits.h); so what
 * is held in memory is at most that long at rate. */
int audiofile_read_mono(const char *path, unsigned rate, float **data, size_t *frames, char *err,
			size_t errlen);

#endif
