#include "config.h"

/* The procedural sounds, measured: what a listener would notice (level,
 * clicks at the edges, variants that repeat, parameters that do nothing)
 * as numbers. */

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "prep/generator.h"

static const enum gen_kind kinds[] = { GEN_TAP, GEN_SCRAPE, GEN_BRUSH, GEN_CRINKLE, GEN_SHUSH, GEN_BREATH };
#define N_KINDS (sizeof kinds / sizeof kinds[0])
#define SEED 12345u

static float *render(const struct gen_params *p, unsigned rate, unsigned v, size_t *n)
{
	float *x = NULL;
	char err[256] = "";
	int r = gen_render(p, rate, v, &x, n, err, sizeof err);
	ck_assert_msg(r == 0, "%s v%u at %u Hz: %s", gen_kind_name(p->kind), v, rate, err);
	ck_assert_ptr_nonnull(x);
	return x;
}

static struct gen_params params_of(enum gen_kind k)
{
	struct gen_params p;
	gen_defaults(&p, k);
	p.seed = SEED;
	return p;
}

static double db(double x) { return x > 1e-15 ? 20.0 * log10(x) : -300.0; }

/* ---- measurements ---- */

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
				size_t h = i + k + len / 2;
				double wr = cos(a * (double)k), wi = sin(a * (double)k);
				double xr = re[h] * wr - im[h] * wi, xi = re[h] * wi + im[h] * wr;
				re[h] = re[i + k] - xr;
				im[h] = im[i + k] - xi;
				re[i + k] += xr;
				im[i + k] += xi;
			}
	}
}

#define NFFT 2048

/* Spectral centroid of the average power spectrum: weighted by magnitude
 * (brightness), or by power (the spectral mean, which follows the
 * strongest partials: the pitch of a struck object). */
static double centroid(const float *x, size_t n, double rate, int by_power)
{
	static double re[NFFT], im[NFFT], pw[NFFT / 2];
	memset(pw, 0, sizeof pw);
	for (size_t at = 0; at < n; at += NFFT / 2) {
		for (size_t i = 0; i < NFFT; i++) {
			double w = 0.5 - 0.5 * cos(2.0 * M_PI * (double)i / NFFT);
			re[i] = at + i < n ? w * x[at + i] : 0.0;
			im[i] = 0.0;
		}
		fft(re, im, NFFT);
		for (size_t k = 0; k < NFFT / 2; k++)
			pw[k] += re[k] * re[k] + im[k] * im[k];
	}
	double num = 0.0, den = 0.0;
	for (size_t k = 1; k < NFFT / 2; k++) {
		double m = by_power ? pw[k] : sqrt(pw[k]);
		num += m * (double)k * rate / NFFT;
		den += m;
	}
	return num / den;
}

/* Seconds from the loudest 5 ms to the first 5 ms 40 dB below it. */
static double decay40(const float *x, size_t n, double rate)
{
	size_t w = (size_t)(0.005 * rate), m = n / w, top = 0;
	double *e = calloc(m, sizeof *e);
	for (size_t j = 0; j < m; j++) {
		for (size_t i = j * w; i < (j + 1) * w; i++)
			e[j] += (double)x[i] * x[i];
		if (e[j] > e[top])
			top = j;
	}
	size_t j = top;
	while (j < m && e[j] > e[top] * 1e-4)
		j++;
	free(e);
	return (double)(j - top) * 0.005;
}

/* Clicks: rises of the 0.5 ms peak envelope through 20 dB under the
 * loudest peak, re-armed 6 dB below that, at least 5 ms apart. */
static size_t count_clicks(const float *x, size_t n, double rate)
{
	size_t w = (size_t)(0.0005 * rate), m = n / w, last = 0, count = 0;
	double top = 0.0;
	for (size_t i = 0; i < n; i++)
		top = fmax(top, fabs(x[i]));
	double thr = top * 0.1;
	int armed = 1;
	for (size_t j = 0; j < m; j++) {
		double e = 0.0;
		for (size_t i = j * w; i < (j + 1) * w; i++)
			e = fmax(e, fabs(x[i]));
		if (armed && e > thr && (count == 0 || (double)((j - last) * w) > 0.005 * rate)) {
			count++;
			last = j;
			armed = 0;
		} else if (e < thr * 0.5) {
			armed = 1;
		}
	}
	return count;
}

/* Impulses per second of a (periodic) impulse train under resonances:
 * the first strong peak of the autocorrelation of the rectified and
 * smoothed (0.3 ms) signal, lags 1.1..25 ms, over [from, to). */
static double impulse_rate(const float *x, size_t from, size_t to, double rate)
{
	size_t n = to - from, lo = (size_t)(0.0011 * rate), hi = (size_t)(0.025 * rate);
	double *e = malloc(n * sizeof *e), *ac = calloc(hi + 2, sizeof *ac);
	double z = 0.0, a = 1.0 - exp(-1.0 / (0.0003 * rate)), mean = 0.0, best = 0.0, r = 0.0;
	for (size_t i = 0; i < n; i++) {
		z += a * (fabs(x[from + i]) - z);
		mean += e[i] = z;
	}
	mean /= (double)n;
	for (size_t i = 0; i < n; i++)
		e[i] -= mean;
	for (size_t l = lo - 1; l <= hi + 1; l++)
		for (size_t i = 0; i + l < n; i++)
			ac[l] += e[i] * e[i + l];
	for (size_t l = lo; l <= hi; l++)
		best = fmax(best, ac[l]);
	for (size_t l = lo; l <= hi; l++)
		if (ac[l] > 0.6 * best && ac[l] >= ac[l - 1] && ac[l] >= ac[l + 1]) {
			r = rate / (double)l;
			break;
		}
	free(ac);
	free(e);
	return r;
}

/* Largest normalised cross-correlation within +-lags frames. */
static double max_xcorr(const float *a, size_t na, const float *b, size_t nb, long lags)
{
	size_t n = na < nb ? na : nb;
	double ea = 0.0, eb = 0.0, best = 0.0;
	for (size_t i = 0; i < n; i++) {
		ea += (double)a[i] * a[i];
		eb += (double)b[i] * b[i];
	}
	for (long l = -lags; l <= lags; l++) {
		double s = 0.0;
		size_t i0 = l < 0 ? (size_t)-l : 0, i1 = l > 0 ? n - (size_t)l : n;
		for (size_t i = i0; i < i1; i++)
			s += (double)a[i] * b[(size_t)((long)i + l)];
		best = fmax(best, fabs(s) / sqrt(ea * eb));
	}
	return best;
}

/* ---- Names ---- */

START_TEST(names_round_trip)
{
	for (size_t k = 0; k < N_KINDS; k++)
		ck_assert_int_eq(gen_kind_from_name(gen_kind_name(kinds[k])), kinds[k]);
	ck_assert_int_eq(gen_kind_from_name("tap"), GEN_TAP);
	ck_assert_int_eq(gen_kind_from_name("breath"), GEN_BREATH);
	ck_assert_int_eq(gen_kind_from_name("sample"), GEN_NONE);
	ck_assert_int_eq(gen_kind_from_name("Tap"), GEN_NONE);
	ck_assert_int_eq(gen_kind_from_name(NULL), GEN_NONE);
	ck_assert_str_eq(gen_param_name(GEN_P_LENGTH), "length");
	ck_assert_str_eq(gen_param_name(GEN_P_DENSITY), "density");
	ck_assert_str_eq(gen_param_name(GEN_P_ROUGHNESS), "roughness");
}
END_TEST

START_TEST(params_that_apply)
{
	for (size_t k = 0; k < N_KINDS; k++) {
		ck_assert(gen_param_applies(kinds[k], GEN_P_LENGTH));
		ck_assert(!gen_param_applies(kinds[k], GEN_P_COUNT));
	}
	ck_assert(gen_param_applies(GEN_TAP, GEN_P_SIZE) && gen_param_applies(GEN_TAP, GEN_P_BRIGHTNESS));
	ck_assert(!gen_param_applies(GEN_TAP, GEN_P_SPEED));
	ck_assert(gen_param_applies(GEN_SCRAPE, GEN_P_ROUGHNESS) && gen_param_applies(GEN_SCRAPE, GEN_P_SPEED));
	ck_assert(!gen_param_applies(GEN_SCRAPE, GEN_P_DENSITY));
	ck_assert(gen_param_applies(GEN_BRUSH, GEN_P_DENSITY) && !gen_param_applies(GEN_BRUSH, GEN_P_SIZE));
	ck_assert(gen_param_applies(GEN_CRINKLE, GEN_P_SIZE) && !gen_param_applies(GEN_CRINKLE, GEN_P_BRIGHTNESS));
	ck_assert(!gen_param_applies(GEN_SHUSH, GEN_P_SIZE) && gen_param_applies(GEN_SHUSH, GEN_P_BRIGHTNESS));
	ck_assert(!gen_param_applies(GEN_BREATH, GEN_P_SPEED));
	ck_assert(!gen_param_applies(GEN_NONE, GEN_P_LENGTH));

	struct gen_params p;
	gen_defaults(&p, GEN_TAP);
	ck_assert_int_eq(p.kind, GEN_TAP);
	ck_assert_uint_eq(p.variants, 6);
	ck_assert(p.length >= 2.0f && p.length <= 5.0f); /* an upper bound: a tap rings out */
	gen_defaults(&p, GEN_BREATH);
	ck_assert(p.length >= 1.0f);
	ck_assert_uint_eq(p.seed, 0);
}
END_TEST

/* ---- Shape: level, edges, finiteness, at two rates ---- */

START_TEST(every_kind_is_a_clean_sound)
{
	static const unsigned rates[] = { 44100, 48000 };
	unsigned rate = rates[_i];
	for (size_t k = 0; k < N_KINDS; k++) {
		struct gen_params p = params_of(kinds[k]);
		for (unsigned v = 0; v < p.variants; v++) {
			size_t n;
			float *x = render(&p, rate, v, &n);
			const char *name = gen_kind_name(p.kind);
			if (p.kind == GEN_TAP) /* as long as it rings, length at most */
				ck_assert(n > rate / 100 && n <= (size_t)lround((double)p.length * rate));
			else
				ck_assert_uint_eq(n, (size_t)lround((double)p.length * rate));
			double peak = 0.0, sum = 0.0;
			size_t bad = 0, jumps = 0;
			for (size_t i = 0; i < n; i++) {
				bad += !isfinite(x[i]);
				peak = fmax(peak, fabs(x[i]));
				sum += (double)x[i] * x[i];
			}
			/* No step at the start: the first millisecond rises gently. */
			for (size_t i = 1; i < rate / 1000; i++)
				jumps += fabs(x[i] - x[i - 1]) >= 0.25f;
			/* (one assertion per render: Check records every passing one) */
			ck_assert_msg(bad == 0, "%s v%u: %zu samples not finite", name, v, bad);
			ck_assert_msg(jumps == 0, "%s v%u: %zu jumps in the first ms", name, v, jumps);
			double rms = db(sqrt(sum / (double)n));
			ck_assert_msg(fabs(db(peak) + 6.0) < 0.1, "%s v%u: peak %.2f dBFS", name, v, db(peak));
			ck_assert_msg(rms > -40.0, "%s v%u: RMS %.1f dBFS", name, v, rms);
			ck_assert_msg(fabs(x[0]) < 1e-6f && fabs(x[n - 1]) < 1e-6f, "%s v%u: edges %g %g", name, v,
				      (double)x[0], (double)x[n - 1]);
			free(x);
		}
	}
}
END_TEST

START_TEST(extremes_render)
{
	/* Shortest and longest-ish, lowest rate, all parameters at 0 and 1. */
	for (size_t k = 0; k < N_KINDS; k++)
		for (int corner = 0; corner < 2; corner++) {
			struct gen_params p = params_of(kinds[k]);
			p.variants = 1;
			p.brightness = p.size = p.speed = p.roughness = p.density = (float)corner;
			p.length = corner ? 3.0f : 0.01f;
			size_t n;
			float *x = render(&p, corner ? 96000 : 8000, 0, &n);
			double peak = 0.0;
			size_t bad = 0;
			for (size_t i = 0; i < n; i++) {
				bad += !isfinite(x[i]);
				peak = fmax(peak, fabs(x[i]));
			}
			ck_assert_uint_eq(bad, 0);
			ck_assert_msg(fabs(db(peak) + 6.0) < 0.1, "%s corner %d: peak %.2f", gen_kind_name(p.kind),
				      corner, db(peak));
			ck_assert(x[0] == 0.0f && x[n - 1] == 0.0f);
			free(x);
		}
}
END_TEST

START_TEST(steady_middle_for_loops)
{
	struct gen_params p = params_of(GEN_SCRAPE);
	size_t n, from, to;
	float *x = render(&p, 48000, 0, &n);
	gen_steady_range(&p, 48000, &from, &to);
	ck_assert(from > 0 && to < n && to - from > n / 2);
	/* The middle's 100 ms windows stay within 6 dB of their mean. */
	size_t w = 4800, m = (to - from) / w;
	double e[64], mean = 0.0;
	ck_assert(m >= 4 && m <= 64);
	for (size_t j = 0; j < m; j++) {
		double s = 0.0;
		for (size_t i = from + j * w; i < from + (j + 1) * w; i++)
			s += (double)x[i] * x[i];
		e[j] = sqrt(s / (double)w);
		mean += e[j] / (double)m;
	}
	for (size_t j = 0; j < m; j++)
		ck_assert_msg(fabs(db(e[j] / mean)) < 6.0, "window %zu: %.1f dB", j, db(e[j] / mean));
	free(x);
	p = params_of(GEN_TAP);
	gen_steady_range(&p, 48000, &from, &to);
	ck_assert_uint_eq(from, 0);
	ck_assert_uint_eq(to, (size_t)lround((double)p.length * 48000));
}
END_TEST

/* ---- Variants: distinct, repeatable ---- */

START_TEST(variants_differ)
{
	struct gen_params p = params_of(kinds[_i]);
	float *x[32];
	size_t n[32];
	for (unsigned v = 0; v < p.variants; v++)
		x[v] = render(&p, 48000, v, &n[v]);
	for (unsigned a = 0; a < p.variants; a++)
		for (unsigned b = a + 1; b < p.variants; b++) {
			double c = max_xcorr(x[a], n[a], x[b], n[b], 48);
			ck_assert_msg(c < 0.95, "%s: variants %u and %u correlate %.3f", gen_kind_name(p.kind), a, b, c);
		}
	for (unsigned v = 0; v < p.variants; v++)
		free(x[v]);
}
END_TEST

START_TEST(wood_taps_differ)
{
	/* Wood damps all but the fundamental, the hardest case for variety:
	 * like real knocks on one table, two strikes may be close, but their
	 * difference stays audible (above -15 dB) and most pairs are apart. */
	struct gen_params p = params_of(GEN_TAP);
	p.brightness = 0.0f;
	p.size = (float)_i * 0.4f + 0.1f;
	float *x[6];
	size_t n[6];
	double sum = 0.0;
	for (unsigned v = 0; v < 6; v++)
		x[v] = render(&p, 48000, v, &n[v]);
	for (unsigned a = 0; a < 6; a++)
		for (unsigned b = a + 1; b < 6; b++) {
			double c = max_xcorr(x[a], n[a], x[b], n[b], 48);
			ck_assert_msg(10.0 * log10(2.0 - 2.0 * c) > -15.0, "size %.1f: %u %u correlate %.3f",
				      (double)p.size, a, b, c);
			sum += c / 15.0;
		}
	ck_assert_msg(sum < 0.9, "size %.1f: mean correlation %.3f", (double)p.size, sum);
	for (unsigned v = 0; v < 6; v++)
		free(x[v]);
}
END_TEST

/* Fresh variants (gen_render_fresh, what every trigger plays): no two of
 * 24 strikes of one wooden object alike (max normalised cross-correlation
 * 0.9), and the numbered variants are not among them. */
START_TEST(fresh_taps_differ)
{
	struct gen_params p = params_of(GEN_TAP);
	p.brightness = 0.3f;
	p.size = 0.35f;
	p.variants = 8;
	enum { N = 24 };
	float *x[N];
	size_t n[N];
	char err[256];
	for (unsigned k = 0; k < N; k++)
		ck_assert_msg(gen_render_fresh(&p, 48000, k, &x[k], &n[k], NULL, err, sizeof err) == 0, "%s", err);
	double worst = 0.0;
	for (unsigned a = 0; a < N; a++)
		for (unsigned b = a + 1; b < N; b++)
			worst = fmax(worst, max_xcorr(x[a], n[a], x[b], n[b], 96));
	size_t m;
	float *v0 = render(&p, 48000, 0, &m);
	double fixed = max_xcorr(v0, m, x[0], n[0], 96);
	ck_assert_msg(worst < 0.9, "two of 24 fresh taps correlate %.3f", worst);
	ck_assert_msg(fixed < 0.999, "fresh tap 0 is variant 0 (%.4f)", fixed);
	for (unsigned k = 0; k < N; k++)
		free(x[k]);
	free(v0);
}
END_TEST

START_TEST(same_seed_same_samples)
{
	struct gen_params p = params_of(kinds[_i]);
	size_t n1, n2, n3;
	float *a = render(&p, 48000, 3, &n1);
	float *b = render(&p, 48000, 3, &n2);
	ck_assert_uint_eq(n1, n2);
	ck_assert(memcmp(a, b, n1 * sizeof *a) == 0);
	p.seed = SEED + 1;
	float *c = render(&p, 48000, 3, &n3);
	ck_assert(max_xcorr(a, n1, c, n3, 0) < 0.95);
	free(a);
	free(b);
	free(c);
}
END_TEST

/* ---- Params: each one does what its name says ---- */

static double mean_centroid(struct gen_params p, unsigned variants, int by_power)
{
	double sum = 0.0;
	for (unsigned v = 0; v < variants; v++) {
		size_t n;
		float *x = render(&p, 48000, v, &n);
		sum += centroid(x, n, 48000.0, by_power);
		free(x);
	}
	return sum / variants;
}

START_TEST(tap_size_sets_pitch)
{
	struct gen_params p = params_of(GEN_TAP);
	p.size = 0.1f;
	double small = mean_centroid(p, 6, 1), small_m = mean_centroid(p, 6, 0);
	p.size = 0.9f;
	double big = mean_centroid(p, 6, 1), big_m = mean_centroid(p, 6, 0);
	ck_assert_msg(small > 2.5 * big, "spectral mean small %.0f Hz, big %.0f Hz", small, big);
	ck_assert_msg(small_m > 1.25 * big_m, "centroid small %.0f Hz, big %.0f Hz", small_m, big_m);
}
END_TEST

START_TEST(tap_brightness_sets_ring)
{
	struct gen_params p = params_of(GEN_TAP);
	p.length = 1.0f;
	double t[2];
	for (int b = 0; b < 2; b++) {
		p.brightness = (float)b;
		t[b] = 0.0;
		for (unsigned v = 0; v < 6; v++) {
			size_t n;
			float *x = render(&p, 48000, v, &n);
			t[b] += decay40(x, n, 48000.0) / 6.0;
			free(x);
		}
	}
	ck_assert_msg(t[0] < 0.1 && t[1] > 0.3 && t[1] > 4.0 * t[0], "wood %.3f s, glass %.3f s", t[0], t[1]);
}
END_TEST

START_TEST(crinkle_density_sets_clicks)
{
	struct gen_params p = params_of(GEN_CRINKLE);
	size_t count[2] = { 0, 0 };
	for (int d = 0; d < 2; d++) {
		p.density = d ? 0.9f : 0.1f;
		for (unsigned v = 0; v < 6; v++) {
			size_t n;
			float *x = render(&p, 48000, v, &n);
			count[d] += count_clicks(x, n, 48000.0);
			free(x);
		}
	}
	/* 6 x 1.5 s: about 6.6 vs 60 nominal clicks per second. */
	ck_assert_msg(count[1] > 3 * count[0] && count[0] >= 6, "density 0.1: %zu clicks, 0.9: %zu", count[0],
		      count[1]);
}
END_TEST

START_TEST(crinkle_thickness_lowers_resonance)
{
	struct gen_params p = params_of(GEN_CRINKLE);
	p.size = 0.0f;
	double thin = mean_centroid(p, 4, 1);
	p.size = 1.0f;
	double thick = mean_centroid(p, 4, 1);
	ck_assert_msg(thin > thick * 1.3, "thin %.0f Hz, thick %.0f Hz", thin, thick);
}
END_TEST

START_TEST(scrape_speed_sets_slip_rate)
{
	struct gen_params p = params_of(GEN_SCRAPE);
	p.roughness = 0.0f; /* periodic slips, so the rate can be measured */
	static const float speeds[] = { 0.2f, 0.8f };
	for (int s = 0; s < 2; s++) {
		p.speed = speeds[s];
		double want = 50.0 * pow(16.0, (double)speeds[s]);
		for (unsigned v = 0; v < 3; v++) {
			size_t n, from, to;
			float *x = render(&p, 48000, v, &n);
			gen_steady_range(&p, 48000, &from, &to);
			double got = impulse_rate(x, from, to, 48000.0);
			ck_assert_msg(fabs(got / want - 1.0) < 0.15, "speed %.1f v%u: %.0f slips/s, want ~%.0f",
				      (double)speeds[s], v, got, want);
			free(x);
		}
	}
}
END_TEST

START_TEST(brightness_tilts_noises)
{
	static const enum gen_kind k[] = { GEN_SHUSH, GEN_BREATH, GEN_BRUSH, GEN_SCRAPE };
	for (size_t i = 0; i < 4; i++) {
		struct gen_params p = params_of(k[i]);
		p.brightness = 0.0f;
		double dark = mean_centroid(p, 2, 0);
		p.brightness = 1.0f;
		double bright = mean_centroid(p, 2, 0);
		ck_assert_msg(bright > 1.3 * dark, "%s: %.0f vs %.0f Hz", gen_kind_name(k[i]), dark, bright);
	}
}
END_TEST

/* Air sounds alive: a shush's level moves like a voice's (the 100 ms
 * RMS over its steady middle varies by more than 12 %; a filtered noise
 * burst stays near 3 %), and a close exhale has body (over 15 % of its
 * power below 300 Hz). */
START_TEST(air_sounds_move_and_have_body)
{
	struct gen_params p = params_of(GEN_SHUSH);
	p.length = 8.0f;
	double cv = 0.0;
	for (unsigned v = 0; v < 3; v++) {
		size_t n, from, to;
		float *x = render(&p, 48000, v, &n);
		gen_steady_range(&p, 48000, &from, &to);
		double s1 = 0.0, s2 = 0.0;
		size_t w = 4800, nw = (to - from) / w;
		for (size_t j = 0; j < nw; j++) {
			double e = 0.0;
			for (size_t i = 0; i < w; i++)
				e += (double)x[from + j * w + i] * x[from + j * w + i];
			e = sqrt(e / (double)w);
			s1 += e;
			s2 += e * e;
		}
		double m = s1 / (double)nw;
		cv += sqrt(fmax(s2 / (double)nw - m * m, 0.0)) / m / 3.0;
		free(x);
	}
	ck_assert_msg(cv > 0.12, "shush level moves %.3f (std/mean of 100 ms RMS)", cv);

	p = params_of(GEN_BREATH);
	p.length = 3.0f;
	size_t n;
	float *x = render(&p, 48000, 0, &n); /* an exhale */
	/* power below 300 Hz: a fourth-order low-pass (two one-poles twice) */
	double a = 1.0 - exp(-2.0 * M_PI * 300.0 / 48000.0), z[4] = { 0 }, low = 0.0, all = 0.0;
	for (size_t i = 0; i < n; i++) {
		double y = x[i];
		for (int k = 0; k < 4; k++)
			y = z[k] += a * (y - z[k]);
		low += y * y;
		all += (double)x[i] * x[i];
	}
	ck_assert_msg(low / all > 0.15, "an exhale has %.1f %% of its power below 300 Hz", 100.0 * low / all);
	free(x);
}
END_TEST

/* ---- Errors ---- */

static void refused(const struct gen_params *p, unsigned rate, unsigned v, const char *word)
{
	float *x = NULL;
	size_t n = 7;
	char err[256] = "";
	ck_assert_int_eq(gen_render(p, rate, v, &x, &n, err, sizeof err), -1);
	ck_assert_ptr_null(x);
	ck_assert_uint_eq(n, 7);
	ck_assert_msg(strstr(err, word) != NULL, "message \"%s\" lacks \"%s\"", err, word);
}

START_TEST(bad_params_refused)
{
	struct gen_params p = params_of(GEN_TAP);
	p.length = 0.0f;
	refused(&p, 48000, 0, "length");
	p.length = 31.0f;
	refused(&p, 48000, 0, "length");
	p.length = NAN;
	refused(&p, 48000, 0, "length");
	p = params_of(GEN_TAP);
	p.variants = 0;
	refused(&p, 48000, 0, "variants");
	p.variants = 33;
	refused(&p, 48000, 0, "variants");
	p = params_of(GEN_TAP);
	refused(&p, 48000, 6, "variant");
	p.brightness = 2.0f;
	refused(&p, 48000, 0, "brightness");
	p = params_of(GEN_SCRAPE);
	p.roughness = -0.1f;
	refused(&p, 48000, 0, "roughness");
	p = params_of(GEN_CRINKLE);
	p.density = NAN;
	refused(&p, 48000, 0, "density");
	p = params_of(GEN_BRUSH);
	p.speed = 1.5f; /* every 0..1 parameter is checked, used or not */
	p.kind = GEN_SHUSH;
	refused(&p, 48000, 0, "speed");
	p = params_of(GEN_TAP);
	p.kind = GEN_NONE;
	refused(&p, 48000, 0, "kind");
	p.kind = (enum gen_kind)99;
	refused(&p, 48000, 0, "kind");
	p = params_of(GEN_TAP);
	refused(&p, 4000, 0, "rate");
	refused(&p, 400000, 0, "rate");
	ck_assert_int_eq(gen_render(NULL, 48000, 0, NULL, NULL, NULL, 0), -1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("generator");
	TCase *tc = tcase_create("Names");
	tcase_add_test(tc, names_round_trip);
	tcase_add_test(tc, params_that_apply);
	suite_add_tcase(s, tc);

	tc = tcase_create("Shape");
	tcase_add_loop_test(tc, every_kind_is_a_clean_sound, 0, 2);
	tcase_add_test(tc, extremes_render);
	tcase_add_test(tc, steady_middle_for_loops);
	suite_add_tcase(s, tc);

	tc = tcase_create("Variants");
	tcase_add_loop_test(tc, variants_differ, 0, (int)N_KINDS);
	tcase_add_loop_test(tc, wood_taps_differ, 0, 3);
	tcase_add_loop_test(tc, same_seed_same_samples, 0, (int)N_KINDS);
	tcase_add_test(tc, fresh_taps_differ);
	suite_add_tcase(s, tc);

	tc = tcase_create("Params");
	tcase_add_test(tc, tap_size_sets_pitch);
	tcase_add_test(tc, tap_brightness_sets_ring);
	tcase_add_test(tc, crinkle_density_sets_clicks);
	tcase_add_test(tc, crinkle_thickness_lowers_resonance);
	tcase_add_test(tc, scrape_speed_sets_slip_rate);
	tcase_add_test(tc, brightness_tilts_noises);
	tcase_add_test(tc, air_sounds_move_and_have_body);
	suite_add_tcase(s, tc);

	tc = tcase_create("Errors");
	tcase_add_test(tc, bad_params_refused);
	suite_add_tcase(s, tc);

	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
