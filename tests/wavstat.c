/* wavstat: what a listener would check in a stereo WAV file, as numbers.
 *   wavstat FILE [FROM_S [TO_S]]
 * prints key=value lines: frames, rate, peak_db (both channels), rms_l_db,
 * rms_r_db, ild_db (right minus left), itd_ms (how much earlier the right
 * ear hears it; negative: the left ear is earlier), from the broadband
 * cross-correlation within +-1.5 ms, max_step (largest sample-to-sample
 * jump), finite (1 if every sample is a number), onset_l, onset_r (first
 * frame of the range above -60 dBFS, counted from the start of the file),
 * max_step2 (largest second difference: a click stands out of a tone's
 * curve by far more than its steps), gap_ms (the longest run of 1 ms
 * windows where either ear is more than 6 dB below its median 1 ms RMS
 * over the range: a drop-out; 0 when there is none). */
#include <math.h>
#include <stdbool.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* The longest run of 1 ms windows of [from, to) in which either channel's
 * RMS is below half (-6 dB) its median over the range, in ms. */
static double longest_gap_ms(const float *x, size_t from, size_t to, int rate)
{
	size_t w = (size_t)rate / 1000, n = (to - from) / w;
	if (!w || !n)
		return 0.0;
	double *win = malloc(2 * n * sizeof(double)), *sorted = malloc(n * sizeof(double));
	for (size_t k = 0; k < n; k++)
		for (int c = 0; c < 2; c++) {
			double s = 0;
			for (size_t i = from + k * w; i < from + (k + 1) * w; i++)
				s += (double)x[2 * i + c] * x[2 * i + c];
			win[2 * k + c] = sqrt(s / (double)w);
		}
	double median[2];
	for (int c = 0; c < 2; c++) {
		for (size_t k = 0; k < n; k++)
			sorted[k] = win[2 * k + c];
		qsort(sorted, n, sizeof(double), by_value);
		median[c] = sorted[n / 2];
	}
	size_t run = 0, longest = 0;
	for (size_t k = 0; k < n; k++) {
		bool low = win[2 * k] < 0.5 * median[0] || win[2 * k + 1] < 0.5 * median[1];
		run = low ? run + 1 : 0;
		if (run > longest)
			longest = run;
	}
	free(win);
	free(sorted);
	return (double)longest * (double)w * 1000.0 / rate;
}

static double db(double x) { return x > 1e-12 ? 20.0 * log10(x) : -240.0; }

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: wavstat FILE [FROM_S [TO_S]]\n");
		return 2;
	}
	SF_INFO info = { 0 };
	SNDFILE *sf = sf_open(argv[1], SFM_READ, &info);
	if (!sf) {
		fprintf(stderr, "wavstat: %s: %s\n", argv[1], sf_strerror(NULL));
		return 2;
	}
	if (info.channels != 2) {
		fprintf(stderr, "wavstat: %s: %d channels, expected 2\n", argv[1], info.channels);
		return 2;
	}
	size_t n = (size_t)info.frames;
	float *x = malloc(n * 2 * sizeof(float));
	if (!x || sf_readf_float(sf, x, info.frames) != info.frames) {
		fprintf(stderr, "wavstat: %s: cannot read\n", argv[1]);
		return 2;
	}
	sf_close(sf);
	size_t from = argc > 2 ? (size_t)(atof(argv[2]) * info.samplerate) : 0;
	size_t to = argc > 3 ? (size_t)(atof(argv[3]) * info.samplerate) : n;
	if (to > n)
		to = n;
	if (from >= to) {
		fprintf(stderr, "wavstat: empty range\n");
		return 2;
	}
	double sl = 0, sr = 0, peak = 0, step = 0, step2 = 0;
	int finite = 1;
	long onset[2] = { -1, -1 };
	for (size_t i = 0; i < n; i++)
		for (int c = 0; c < 2; c++) {
			float v = x[2 * i + c];
			if (!isfinite(v))
				finite = 0;
			if (i >= from && i < to && onset[c] < 0 && fabsf(v) > 0.001f)
				onset[c] = (long)i;
		}
	for (size_t i = from; i < to; i++) {
		double l = x[2 * i], r = x[2 * i + 1];
		sl += l * l;
		sr += r * r;
		peak = fmax(peak, fmax(fabs(l), fabs(r)));
		if (i > from)
			step = fmax(step, fmax(fabs(l - x[2 * (i - 1)]), fabs(r - x[2 * (i - 1) + 1])));
		if (i > from + 1)
			for (int c = 0; c < 2; c++)
				step2 = fmax(step2, fabs((double)x[2 * i + c] - 2.0 * x[2 * (i - 1) + c] +
							 x[2 * (i - 2) + c]));
	}
	size_t m = to - from;
	int maxlag = (int)(0.0015 * info.samplerate);
	double best = -1e300;
	int best_lag = 0;
	double *cc = calloc((size_t)(2 * maxlag + 1), sizeof(double));
	for (int lag = -maxlag; lag <= maxlag; lag++) {
		/* c(lag) = sum L[i] R[i - lag]: peaks at lag = d when the left
		 * ear hears d frames after the right ear. */
		double c = 0;
		for (size_t i = from; i < to; i++) {
			long j = (long)i - lag;
			if (j < (long)from || j >= (long)to)
				continue;
			c += (double)x[2 * i] * (double)x[2 * j + 1];
		}
		cc[lag + maxlag] = c;
		if (c > best) {
			best = c;
			best_lag = lag;
		}
	}
	double frac = 0.0;
	if (best_lag > -maxlag && best_lag < maxlag) {
		double a = cc[best_lag + maxlag - 1], b = cc[best_lag + maxlag], c = cc[best_lag + maxlag + 1];
		double den = a - 2 * b + c;
		if (den != 0.0)
			frac = 0.5 * (a - c) / den;
	}
	printf("frames=%zu\nrate=%d\n", n, info.samplerate);
	printf("peak_db=%.3f\n", db(peak));
	printf("rms_l_db=%.3f\nrms_r_db=%.3f\n", db(sqrt(sl / m)), db(sqrt(sr / m)));
	printf("ild_db=%.3f\n", db(sqrt(sr / m)) - db(sqrt(sl / m)));
	printf("itd_ms=%.4f\n", 1000.0 * ((double)best_lag + frac) / info.samplerate);
	printf("max_step=%.6f\nfinite=%d\n", step, finite);
	printf("onset_l=%ld\nonset_r=%ld\n", onset[0], onset[1]);
	printf("max_step2=%.6f\n", step2);
	printf("gap_ms=%.1f\n", longest_gap_ms(x, from, to, info.samplerate));
	free(cc);
	free(x);
	return 0;
}
