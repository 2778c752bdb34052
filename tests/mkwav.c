/* mkwav: test signals as audio files.
 *   mkwav OUT noise|sine|click|silence SECONDS [RATE [AMPLITUDE [FREQ|SEED]]]
 * The format follows OUT's extension: .wav (32-bit float), .flac (16 bit),
 * .ogg (Vorbis). With MKWAV_CHANNELS=2 the signal is written to both
 * channels of a stereo file. */
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: mkwav OUT.wav noise|sine|click|silence SECONDS [RATE [AMPLITUDE [FREQ|SEED]]]\n");
		return 2;
	}
	double secs = atof(argv[3]);
	int rate = argc > 4 ? atoi(argv[4]) : 48000;
	double amp = argc > 5 ? atof(argv[5]) : 0.25;
	double param = argc > 6 ? atof(argv[6]) : (strcmp(argv[2], "sine") ? 1.0 : 440.0);
	size_t n = (size_t)(secs * rate);
	float *x = calloc(n ? n : 1, sizeof(float));
	unsigned long s = (unsigned long)param * 2654435761ul + 1;
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(argv[2], "noise")) {
			s = s * 6364136223846793005ul + 1442695040888963407ul;
			x[i] = (float)(amp * ((double)(s >> 11) / (double)(1ul << 53) * 2.0 - 1.0));
		} else if (!strcmp(argv[2], "click")) {
			x[i] = i == 0 ? (float)amp : 0.0f;
		} else if (!strcmp(argv[2], "sine")) {
			x[i] = (float)(amp * sin(2.0 * M_PI * param * (double)i / rate));
		}
	}
	const char *ext = strrchr(argv[1], '.');
	int format = SF_FORMAT_WAV | SF_FORMAT_FLOAT;
	if (ext && !strcmp(ext, ".flac"))
		format = SF_FORMAT_FLAC | SF_FORMAT_PCM_16;
	else if (ext && !strcmp(ext, ".ogg"))
		format = SF_FORMAT_OGG | SF_FORMAT_VORBIS;
	const char *chs = getenv("MKWAV_CHANNELS");
	int channels = chs && !strcmp(chs, "2") ? 2 : 1;
	float *frames = calloc((n ? n : 1) * (size_t)channels, sizeof(float));
	for (size_t i = 0; i < n; i++)
		for (int c = 0; c < channels; c++)
			frames[i * (size_t)channels + (size_t)c] = x[i];
	SF_INFO info = { .samplerate = rate, .channels = channels, .format = format };
	SNDFILE *sf = sf_open(argv[1], SFM_WRITE, &info);
	if (!sf || sf_writef_float(sf, frames, (sf_count_t)n) != (sf_count_t)n) {
		fprintf(stderr, "mkwav: %s: %s\n", argv[1], sf_strerror(sf));
		return 1;
	}
	sf_close(sf);
	free(frames);
	free(x);
	return 0;
}
