/* texstat: what makes a generated sound sound real or canned, as numbers,
 * from a WAV file (its left channel, or the mono sum with -m).
 *   texstat autocorr FILE FROM TO LAG_LO LAG_HI
 *       max_autocorr: the largest normalised autocorrelation of
 *       [FROM, TO) s over lags LAG_LO..LAG_HI s (1: a stretch that
 *       repeats bit for bit), and at_lag (s).
 *   texstat hits FILE T0 DT N WIN
 *       N hits at T0 + k DT, each WIN s long from its onset: max_xcorr, the
 *       largest normalised cross-correlation (at any lag) between any two,
 *       and the pair.
 *   texstat centroid FILE FROM TO
 *       centroid_hz: the power-weighted mean frequency of [FROM, TO).
 *   texstat ring FILE FROM TO
 *       From the loudest 10 ms of [FROM, TO): ring_s, how long until the
 *       10 ms RMS envelope stays 40 dB below it; max_fall_db, the largest
 *       drop from one 10 ms window to the next while above -50 dB (a ring
 *       that stops dead falls tens of dB at once).
 *   texstat movement FILE FROM TO
 *       level_cv: std/mean of the 100 ms RMS over [FROM, TO) (how much
 *       the level moves), centroid_cv: the same of the 100 ms centroid. */
#include "config.h"

#include <fftw3.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int rate;

static float *load(const char *path, size_t *n)
{
	SF_INFO info = { 0 };
	SNDFILE *sf = sf_open(path, SFM_READ, &info);
	if (!sf) {
		fprintf(stderr, "texstat: %s: %s\n", path, sf_strerror(NULL));
		exit(2);
	}
	float *all = malloc((size_t)info.frames * (size_t)info.channels * sizeof(float));
	float *x = malloc(((size_t)info.frames + 1) * sizeof(float));
	if (!all || !x || sf_readf_float(sf, all, info.frames) != info.frames) {
		fprintf(stderr, "texstat: %s: cannot read\n", path);
		exit(2);
	}
	sf_close(sf);
	for (sf_count_t i = 0; i < info.frames; i++)
		x[i] = all[(size_t)i * (size_t)info.channels];
	free(all);
	rate = info.samplerate;
	*n = (size_t)info.frames;
	return x;
}

static size_t at(double s, size_t n)
{
	double f = s * rate;
	if (f < 0.0)
		f = 0.0;
	return f > (double)n ? n : (size_t)f;
}

static size_t pow2(size_t n)
{
	size_t m = 1;
	while (m < n)
		m <<= 1;
	return m;
}

/* Linear cross-correlation c[k] = sum a[i] b[i + k], k in -(nb-1)..na-1
 * (stored circularly in out, m long). */
static void xcorr(const float *a, size_t na, const float *b, size_t nb, float *out, size_t m)
{
	float *ta = fftwf_malloc(m * sizeof(float)), *tb = fftwf_malloc(m * sizeof(float));
	fftwf_complex *fa = fftwf_malloc((m / 2 + 1) * sizeof(fftwf_complex));
	fftwf_complex *fb = fftwf_malloc((m / 2 + 1) * sizeof(fftwf_complex));
	memset(ta, 0, m * sizeof(float));
	memset(tb, 0, m * sizeof(float));
	for (size_t i = 0; i < na; i++)
		ta[i] = a[i];
	for (size_t i = 0; i < nb; i++)
		tb[i] = b[i];
	fftwf_plan pa = fftwf_plan_dft_r2c_1d((int)m, ta, fa, FFTW_ESTIMATE);
	fftwf_plan pb = fftwf_plan_dft_r2c_1d((int)m, tb, fb, FFTW_ESTIMATE);
	fftwf_execute(pa);
	fftwf_execute(pb);
	for (size_t k = 0; k <= m / 2; k++) { /* conj(A) B */
		float re = fa[k][0] * fb[k][0] + fa[k][1] * fb[k][1];
		float im = fa[k][0] * fb[k][1] - fa[k][1] * fb[k][0];
		fa[k][0] = re / (float)m;
		fa[k][1] = im / (float)m;
	}
	fftwf_plan pi = fftwf_plan_dft_c2r_1d((int)m, fa, out, FFTW_ESTIMATE);
	fftwf_execute(pi);
	fftwf_destroy_plan(pa);
	fftwf_destroy_plan(pb);
	fftwf_destroy_plan(pi);
	fftwf_free(ta);
	fftwf_free(tb);
	fftwf_free(fa);
	fftwf_free(fb);
}

static int autocorr(const float *x, size_t n, char **a)
{
	size_t from = at(atof(a[0]), n), to = at(atof(a[1]), n);
	size_t lo = (size_t)(atof(a[2]) * rate), hi = (size_t)(atof(a[3]) * rate);
	const float *s = x + from;
	size_t len = to - from;
	if (hi >= len)
		hi = len - 1;
	size_t m = pow2(2 * len);
	float *c = fftwf_malloc(m * sizeof(float));
	xcorr(s, len, s, len, c, m);
	/* energy of s[0 .. len-k) and of s[k .. len) */
	double *cum = malloc((len + 1) * sizeof(double));
	cum[0] = 0.0;
	for (size_t i = 0; i < len; i++)
		cum[i + 1] = cum[i] + (double)s[i] * s[i];
	double best = -1.0;
	size_t best_k = lo;
	for (size_t k = lo; k <= hi; k++) {
		double e1 = cum[len - k], e2 = cum[len] - cum[k];
		if (e1 <= 0.0 || e2 <= 0.0)
			continue;
		double r = (double)c[k] / sqrt(e1 * e2);
		if (r > best) {
			best = r;
			best_k = k;
		}
	}
	printf("max_autocorr=%.4f\nat_lag=%.4f\n", best, (double)best_k / rate);
	free(cum);
	fftwf_free(c);
	return 0;
}

static int hits(const float *x, size_t n, char **a)
{
	double t0 = atof(a[0]), dt = atof(a[1]), win = atof(a[3]);
	int nh = atoi(a[2]);
	size_t w = (size_t)(win * rate);
	size_t m = pow2(2 * w);
	float *c = fftwf_malloc(m * sizeof(float));
	double best = 0.0;
	int bi = 0, bj = 0;
	for (int i = 0; i < nh; i++)
		for (int j = i + 1; j < nh; j++) {
			size_t ai = at(t0 + i * dt, n), aj = at(t0 + j * dt, n);
			if (ai + w > n || aj + w > n) {
				fprintf(stderr, "texstat: hit %d or %d past the end\n", i, j);
				fftwf_free(c);
				return 2;
			}
			xcorr(x + ai, w, x + aj, w, c, m);
			double ei = 0.0, ej = 0.0;
			for (size_t k = 0; k < w; k++) {
				ei += (double)x[ai + k] * x[ai + k];
				ej += (double)x[aj + k] * x[aj + k];
			}
			double mx = 0.0;
			for (size_t k = 0; k < m; k++)
				mx = fmax(mx, fabs((double)c[k]));
			double r = mx / sqrt(ei * ej + 1e-30);
			if (r > best) {
				best = r;
				bi = i;
				bj = j;
			}
		}
	printf("max_xcorr=%.4f\npair=%d,%d\n", best, bi, bj);
	fftwf_free(c);
	return 0;
}

static double centroid_of(const float *s, size_t len)
{
	size_t m = pow2(len);
	float *t = fftwf_malloc(m * sizeof(float));
	fftwf_complex *f = fftwf_malloc((m / 2 + 1) * sizeof(fftwf_complex));
	memset(t, 0, m * sizeof(float));
	for (size_t i = 0; i < len; i++) /* Hann */
		t[i] = (float)(s[i] * (0.5 - 0.5 * cos(2.0 * M_PI * (double)i / (double)len)));
	fftwf_plan p = fftwf_plan_dft_r2c_1d((int)m, t, f, FFTW_ESTIMATE);
	fftwf_execute(p);
	double num = 0.0, den = 0.0;
	for (size_t k = 1; k <= m / 2; k++) {
		double pw = (double)f[k][0] * f[k][0] + (double)f[k][1] * f[k][1];
		num += pw * (double)k * rate / (double)m;
		den += pw;
	}
	fftwf_destroy_plan(p);
	fftwf_free(t);
	fftwf_free(f);
	return den > 0.0 ? num / den : 0.0;
}

static int centroid(const float *x, size_t n, char **a)
{
	size_t from = at(atof(a[0]), n), to = at(atof(a[1]), n);
	printf("centroid_hz=%.1f\n", centroid_of(x + from, to - from));
	return 0;
}

static double db(double x) { return x > 1e-15 ? 20.0 * log10(x) : -300.0; }

static int ring(const float *x, size_t n, char **a)
{
	size_t from = at(atof(a[0]), n), to = at(atof(a[1]), n);
	size_t w = (size_t)(0.01 * rate), nw = (to - from) / w;
	double *e = malloc((nw + 1) * sizeof(double));
	size_t top = 0;
	for (size_t j = 0; j < nw; j++) {
		double s = 0.0;
		for (size_t i = 0; i < w; i++)
			s += (double)x[from + j * w + i] * x[from + j * w + i];
		e[j] = db(sqrt(s / (double)w));
		if (e[j] > e[top])
			top = j;
	}
	size_t end = top;
	for (size_t j = top; j < nw; j++)
		if (e[j] > e[top] - 40.0)
			end = j;
	double fall = 0.0;
	for (size_t j = top + 1; j < nw && e[j - 1] > e[top] - 50.0; j++)
		fall = fmax(fall, e[j - 1] - e[j]);
	printf("ring_s=%.3f\nmax_fall_db=%.2f\n", (double)(end + 1 - top) * 0.01, fall);
	free(e);
	return 0;
}

static int movement(const float *x, size_t n, char **a)
{
	size_t from = at(atof(a[0]), n), to = at(atof(a[1]), n);
	size_t w = (size_t)(0.1 * rate), nw = (to - from) / w;
	double s1 = 0, s2 = 0, c1 = 0, c2 = 0;
	for (size_t j = 0; j < nw; j++) {
		double s = 0.0;
		for (size_t i = 0; i < w; i++)
			s += (double)x[from + j * w + i] * x[from + j * w + i];
		double r = sqrt(s / (double)w), c = centroid_of(x + from + j * w, w);
		s1 += r;
		s2 += r * r;
		c1 += c;
		c2 += c * c;
	}
	double k = (double)nw, mr = s1 / k, mc = c1 / k;
	printf("level_cv=%.4f\ncentroid_cv=%.4f\n", sqrt(fmax(s2 / k - mr * mr, 0.0)) / mr,
	       sqrt(fmax(c2 / k - mc * mc, 0.0)) / mc);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int args;
		int (*fn)(const float *, size_t, char **);
	} cmds[] = { { "autocorr", 4, autocorr }, { "hits", 4, hits }, { "centroid", 2, centroid },
		     { "ring", 2, ring }, { "movement", 2, movement } };
	for (size_t c = 0; argc >= 3 && c < sizeof cmds / sizeof cmds[0]; c++)
		if (!strcmp(argv[1], cmds[c].name) && argc == 3 + cmds[c].args) {
			size_t n;
			float *x = load(argv[2], &n);
			int rc = cmds[c].fn(x, n, argv + 3);
			free(x);
			fftwf_cleanup();
			return rc;
		}
	fprintf(stderr, "usage: texstat autocorr|hits|centroid|ring|movement FILE ARGS (see tests/texstat.c)\n");
	return 2;
}
