#include "config.h"

/* genwav: write every variant of a generator sound to WAV files, to
 * listen to them, and print what can be measured of each.
 *   genwav KIND OUT_PREFIX [param=value ...]
 * KIND is tap, scrape, brush, crinkle, shush or breath; params are the
 * generator's (length, brightness, size, speed, roughness, density) and
 * variants, seed (default 1) and rate (default 48000). Writes
 * OUT_PREFIX-1.wav ... (mono, 24 bit) and prints one line per variant:
 * peak and RMS (dBFS), spectral centroid (Hz), share of power in bands
 * (<300 Hz, 300-1k, 1k-3k, 3k-8k, >8k, per cent), time of the loudest
 * 10 ms, decay: time from there to 40 dB below it, clicks per second
 * (rises of the 0.5 ms peak envelope through -20 dB of
 * the loudest, see count_clicks), the slip rate from the envelope's autocorrelation, the
 * steadiness of the middle (std/mean of 50 ms RMS), the envelope in 10
 * steps (dB), and the largest cross-correlation with the variant before. */

#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prep/generator.h"

static double db(double x) { return x > 1e-12 ? 20.0 * log10(x) : -240.0; }

/* In-place iterative radix-2 FFT of n (a power of two) complex values. */
static void fft(double *re, double *im, size_t n)
{
	for (size_t i = 1, j = 0; i < n; i++) {
		size_t bit = n >> 1;
		for (; j & bit; bit >>= 1)
			j ^= bit;
		j ^= bit;
		if (i < j) {
			double t = re[i];
			re[i] = re[j];
			re[j] = t;
			t = im[i];
			im[i] = im[j];
			im[j] = t;
		}
	}
	for (size_t len = 2; len <= n; len <<= 1) {
		double a = -2.0 * M_PI / (double)len;
		for (size_t i = 0; i < n; i += len)
			for (size_t k = 0; k < len / 2; k++) {
				double wr = cos(a * (double)k), wi = sin(a * (double)k);
				double xr = re[i + k + len / 2] * wr - im[i + k + len / 2] * wi;
				double xi = re[i + k + len / 2] * wi + im[i + k + len / 2] * wr;
				re[i + k + len / 2] = re[i + k] - xr;
				im[i + k + len / 2] = im[i + k] - xi;
				re[i + k] += xr;
				im[i + k] += xi;
			}
	}
}

#define NFFT 2048

/* Average power spectrum (Hann, hop NFFT/4) into pw[NFFT/2]. */
static void spectrum(const float *x, size_t n, double *pw)
{
	static double re[NFFT], im[NFFT];
	memset(pw, 0, NFFT / 2 * sizeof *pw);
	for (size_t at = 0; at < n; at += NFFT / 4) {
		for (size_t i = 0; i < NFFT; i++) {
			double w = 0.5 - 0.5 * cos(2.0 * M_PI * (double)i / NFFT);
			re[i] = at + i < n ? w * x[at + i] : 0.0;
			im[i] = 0.0;
		}
		fft(re, im, NFFT);
		for (size_t k = 0; k < NFFT / 2; k++)
			pw[k] += re[k] * re[k] + im[k] * im[k];
	}
}

/* Power-weighted spectral mean (as used for fricatives). */
static double power_mean(const double *pw, double rate)
{
	double num = 0.0, den = 0.0;
	for (size_t k = 1; k < NFFT / 2; k++) {
		num += pw[k] * (double)k * rate / NFFT;
		den += pw[k];
	}
	return den > 0.0 ? num / den : 0.0;
}

static double centroid(const double *pw, double rate)
{
	double num = 0.0, den = 0.0;
	for (size_t k = 1; k < NFFT / 2; k++) {
		double m = sqrt(pw[k]);
		num += m * (double)k * rate / NFFT;
		den += m;
	}
	return den > 0.0 ? num / den : 0.0;
}

/* RMS of consecutive windows of w frames; returns the count. */
static size_t rms_env(const float *x, size_t n, size_t w, double **out)
{
	size_t m = (n + w - 1) / w;
	double *e = calloc(m, sizeof *e);
	for (size_t j = 0; j < m; j++) {
		double s = 0.0;
		size_t k = 0;
		for (size_t i = j * w; i < n && i < (j + 1) * w; i++, k++)
			s += (double)x[i] * x[i];
		e[j] = k ? sqrt(s / (double)k) : 0.0;
	}
	*out = e;
	return m;
}

/* Clicks: the 0.5 ms peak envelope rising through a threshold 20 dB under
 * the loudest peak (re-armed when it falls 6 dB under the threshold, at
 * least 5 ms apart). */
static size_t count_clicks(const float *x, size_t n, double rate)
{
	size_t w = (size_t)(0.0005 * rate), m = n / w, last = 0, count = 0;
	double top = 0.0;
	for (size_t i = 0; i < n; i++)
		top = fmax(top, fabs(x[i]));
	double thr = top * pow(10.0, -20.0 / 20.0);
	int armed = 1;
	for (size_t j = 0; j < m; j++) {
		double e = 0.0;
		for (size_t i = j * w; i < (j + 1) * w; i++)
			e = fmax(e, fabs(x[i]));
		if (armed && e > thr && (count == 0 || (double)(j - last) * w > 0.005 * rate)) {
			count++;
			last = j;
			armed = 0;
		} else if (e < thr * 0.5) {
			armed = 1;
		}
	}
	return count;
}

/* Impulse rate of a stick-slip train: autocorrelation of the rectified,
 * smoothed (0.3 ms) signal over [from, to), first strong peak between
 * 1.1 ms and 25 ms. */
static double slip_rate(const float *x, size_t from, size_t to, double rate)
{
	size_t n = to - from;
	double *e = malloc(n * sizeof *e), z = 0.0, a = 1.0 - exp(-1.0 / (0.0003 * rate)), mean = 0.0;
	for (size_t i = 0; i < n; i++) {
		z += a * (fabs(x[from + i]) - z);
		e[i] = z;
		mean += z;
	}
	mean /= (double)n;
	for (size_t i = 0; i < n; i++)
		e[i] -= mean;
	size_t lo = (size_t)(0.0011 * rate), hi = (size_t)(0.025 * rate);
	double *ac = calloc(hi + 2, sizeof *ac), best = 0.0;
	for (size_t l = lo - 1; l <= hi + 1 && l < n; l++)
		for (size_t i = 0; i + l < n; i++)
			ac[l] += e[i] * e[i + l];
	for (size_t l = lo; l <= hi; l++)
		best = fmax(best, ac[l]);
	double r = 0.0;
	for (size_t l = lo; l <= hi; l++)
		if (ac[l] > 0.6 * best && ac[l] >= ac[l - 1] && ac[l] >= ac[l + 1]) {
			r = rate / (double)l;
			break;
		}
	free(ac);
	free(e);
	return r;
}

static double max_xcorr(const float *a, size_t na, const float *b, size_t nb, size_t lags)
{
	size_t n = na < nb ? na : nb;
	double ea = 0.0, eb = 0.0, best = 0.0;
	for (size_t i = 0; i < n; i++) {
		ea += (double)a[i] * a[i];
		eb += (double)b[i] * b[i];
	}
	for (long l = -(long)lags; l <= (long)lags; l++) {
		double s = 0.0;
		for (size_t i = 0; i < n; i++) {
			long j = (long)i + l;
			if (j >= 0 && (size_t)j < n)
				s += (double)a[i] * b[j];
		}
		best = fmax(best, fabs(s) / sqrt(ea * eb));
	}
	return best;
}

static int set_param(struct gen_params *p, unsigned *rate, const char *arg)
{
	const char *eq = strchr(arg, '=');
	if (!eq)
		return -1;
	size_t k = (size_t)(eq - arg);
	double v = atof(eq + 1);
	if (!strncmp(arg, "variants", k))
		p->variants = (unsigned)v;
	else if (!strncmp(arg, "seed", k))
		p->seed = (uint32_t)strtoul(eq + 1, NULL, 0);
	else if (!strncmp(arg, "rate", k))
		*rate = (unsigned)v;
	else if (!strncmp(arg, "length", k))
		p->length = (float)v;
	else if (!strncmp(arg, "brightness", k))
		p->brightness = (float)v;
	else if (!strncmp(arg, "size", k))
		p->size = (float)v;
	else if (!strncmp(arg, "speed", k))
		p->speed = (float)v;
	else if (!strncmp(arg, "roughness", k))
		p->roughness = (float)v;
	else if (!strncmp(arg, "density", k))
		p->density = (float)v;
	else
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: genwav KIND OUT_PREFIX [param=value ...]\n");
		return 2;
	}
	enum gen_kind kind = gen_kind_from_name(argv[1]);
	if (kind == GEN_NONE) {
		fprintf(stderr, "genwav: unknown kind %s\n", argv[1]);
		return 2;
	}
	struct gen_params p;
	unsigned rate = 48000;
	gen_defaults(&p, kind);
	p.seed = 1;
	for (int i = 3; i < argc; i++)
		if (set_param(&p, &rate, argv[i]) < 0) {
			fprintf(stderr, "genwav: bad parameter %s\n", argv[i]);
			return 2;
		}
	float *prev = NULL;
	size_t prev_n = 0;
	int status = 0;
	for (unsigned v = 0; v < p.variants && !status; v++) {
		float *x;
		size_t n;
		char err[256];
		if (gen_render(&p, rate, v, &x, &n, err, sizeof err) < 0) {
			fprintf(stderr, "genwav: %s\n", err);
			free(prev);
			return 1;
		}
		char path[4096];
		snprintf(path, sizeof path, "%s-%u.wav", argv[2], v + 1);
		SF_INFO info = { .samplerate = (int)rate, .channels = 1, .format = SF_FORMAT_WAV | SF_FORMAT_PCM_24 };
		SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
		if (!sf || sf_writef_float(sf, x, (sf_count_t)n) != (sf_count_t)n) {
			fprintf(stderr, "genwav: %s: %s\n", path, sf_strerror(sf));
			status = 1;
		}
		if (sf)
			sf_close(sf);

		double peak = 0.0, sum = 0.0;
		for (size_t i = 0; i < n; i++) {
			peak = fmax(peak, fabs(x[i]));
			sum += (double)x[i] * x[i];
		}
		static double pw[NFFT / 2];
		spectrum(x, n, pw);
		static double pw0[NFFT / 2];
		spectrum(x, n < NFFT ? n : NFFT, pw0);
		double band[5] = { 0 }, edges[4] = { 300, 1000, 3000, 8000 }, tot = 0.0;
		for (size_t k = 1; k < NFFT / 2; k++) {
			double f = (double)k * rate / NFFT;
			int b = 0;
			while (b < 4 && f >= edges[b])
				b++;
			band[b] += pw[k];
			tot += pw[k];
		}
		double *e;
		size_t m = rms_env(x, n, rate / 100, &e), top = 0;
		for (size_t j = 0; j < m; j++)
			if (e[j] > e[top])
				top = j;
		size_t fall = top;
		while (fall < m && e[fall] > e[top] * 0.01)
			fall++;
		size_t from, to;
		gen_steady_range(&p, rate, &from, &to);
		double *e50;
		size_t m50 = rms_env(x + from, to - from, rate / 20, &e50);
		double mu = 0.0, var = 0.0;
		size_t k50 = m50 > 2 ? m50 - 1 : m50; /* the last window may be partial */
		for (size_t j = 0; j < k50; j++)
			mu += e50[j];
		mu /= (double)k50;
		for (size_t j = 0; j < k50; j++)
			var += (e50[j] - mu) * (e50[j] - mu);
		printf("%s v%u: peak=%.2f rms=%.1f centroid=%.0f pmean=%.0f bands%%=%.0f/%.0f/%.0f/%.0f/%.0f "
		       "c40ms=%.0f loudest=%.3fs decay40=%.3fs clicks/s=%.1f slips/s=%.0f steady_cv=%.2f",
		       argv[1], v + 1, db(peak), db(sqrt(sum / (double)n)), centroid(pw, rate), power_mean(pw, rate),
		       100 * band[0] / tot, 100 * band[1] / tot, 100 * band[2] / tot, 100 * band[3] / tot,
		       100 * band[4] / tot, centroid(pw0, rate), (double)top * 0.01, (double)(fall - top) * 0.01,
		       (double)count_clicks(x, n, rate) * rate / (double)n,
		       kind == GEN_SCRAPE ? slip_rate(x, from, to, rate) : 0.0, sqrt(var / (double)k50) / mu);
		printf(" env=");
		for (int s = 0; s < 10; s++) {
			size_t j = (size_t)s * m / 10;
			printf("%s%.0f", s ? "," : "", db(e[j]) - db(e[top]));
		}
		if (prev)
			printf(" xcorr_prev=%.2f", max_xcorr(prev, prev_n, x, n, rate / 1000));
		printf("\n");
		free(e);
		free(e50);
		free(prev);
		prev = x;
		prev_n = n;
	}
	free(prev);
	return status;
}
