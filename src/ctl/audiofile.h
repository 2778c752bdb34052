/* Reading audio files (any format libsndfile reads) into memory at the
 * engine's rate, resampled with libsamplerate. Control threads only. */
#ifndef TINGLE_AUDIOFILE_H
#define TINGLE_AUDIOFILE_H

#include <stddef.h>

/* Reads path, mixes its channels down to one (their average) and
 * resamples it to rate. Returns 0 with *data (free() it) and *frames, or
 * -1 with err naming the file and what is wrong. */
int audiofile_read_mono(const char *path, unsigned rate, float **data, size_t *frames, char *err,
			size_t errlen);

#endif
