#include "config.h"
#include "rt/safe_level.h"

#include <math.h>

#define SAFE_PI 3.14159265358979323846
#define P_REF 20e-6   /* Pa: 0 dB SPL */
/* Below this a state is 600 dB under full scale: zero it before it
 * becomes a denormal and makes every sample slow. */
#define FLUSH_BELOW 1e-30

/* IEC 61672-1 pole frequencies, Hz. */
static const double F1 = 20.598997, F2 = 107.65265, F3 = 737.86223, F4 = 12194.217;

static unsigned clamp_rate(unsigned rate)
{
	return rate < SAFE_LEVEL_MIN_RATE ? SAFE_LEVEL_MIN_RATE : rate > SAFE_LEVEL_MAX_RATE ? SAFE_LEVEL_MAX_RATE : rate;
}

/* (B0 s^2 + B1 s + B2) / (A0 s^2 + A1 s + A2) by s = k (1 - 1/z) / (1 + 1/z). */
static void bilinear(struct safe_biquad *q, const double B[3], const double A[3], double k)
{
	double k2 = k * k;
	double a0 = A[0] * k2 + A[1] * k + A[2];
	q->b0 = (B[0] * k2 + B[1] * k + B[2]) / a0;
	q->b1 = (2.0 * B[2] - 2.0 * B[0] * k2) / a0;
	q->b2 = (B[0] * k2 - B[1] * k + B[2]) / a0;
	q->a1 = (2.0 * A[2] - 2.0 * A[0] * k2) / a0;
	q->a2 = (A[0] * k2 - A[1] * k + A[2]) / a0;
}

/* w^2 / (s + w)^2 with the poles where sampling the impulse response
 * puts them and a numerator whose magnitude matches the analogue one at
 * 0, fs/4 and fs/2. With |B|^2 = (b1 + S c)^2 + D^2 (1 - c^2), c = cos
 * omega, S = b0 + b2, D = b0 - b2, the three points give b1, S and D. */
static void matched_lowpass2(struct safe_biquad *q, double w, double rate)
{
	double a = exp(-w / rate);
	q->a1 = -2.0 * a;
	q->a2 = a * a;
	double wq = 2.0 * SAFE_PI * rate / 4.0, wn = 2.0 * SAFE_PI * rate / 2.0;
	double h_dc = 1.0;
	double h_q = w * w / (wq * wq + w * w);
	double h_n = w * w / (wn * wn + w * w);
	/* |A| at the three points: (1 - a)^2, 1 + a^2, (1 + a)^2. */
	double r0 = h_dc * (1.0 - a) * (1.0 - a);
	double rn = h_n * (1.0 + a) * (1.0 + a);
	double rq = h_q * (1.0 + a * a);
	double b1 = 0.5 * (r0 - rn), S = 0.5 * (r0 + rn);
	double d2 = rq * rq - b1 * b1;
	double D = d2 > 0.0 ? sqrt(d2) : 0.0; /* same sign as S: minimum phase */
	q->b0 = 0.5 * (S + D);
	q->b1 = b1;
	q->b2 = 0.5 * (S - D);
}

static double biquad_mag(const struct safe_biquad *q, double omega)
{
	double c = cos(omega), s = sin(omega), c2 = cos(2.0 * omega), s2 = sin(2.0 * omega);
	double nr = q->b0 + q->b1 * c + q->b2 * c2, ni = -(q->b1 * s + q->b2 * s2);
	double dr = 1.0 + q->a1 * c + q->a2 * c2, di = -(q->a1 * s + q->a2 * s2);
	return sqrt((nr * nr + ni * ni) / (dr * dr + di * di));
}

void safe_aweight_init(struct safe_aweight *w, unsigned rate)
{
	double fs = (double)clamp_rate(rate);
	double w1 = 2.0 * SAFE_PI * F1, w2 = 2.0 * SAFE_PI * F2, w3 = 2.0 * SAFE_PI * F3, w4 = 2.0 * SAFE_PI * F4;
	/* Not pre-warped: the bilinear transform is exact towards 0 Hz,
	 * where these sections do their work; pre-warping at 1 kHz would
	 * move the low poles and cost 1 dB at 31.5 Hz at 8 kHz. */
	double k = 2.0 * fs;
	const double hp2[3] = { 1.0, 0.0, 0.0 };
	const double p1[3] = { 1.0, 2.0 * w1, w1 * w1 };
	const double p23[3] = { 1.0, w2 + w3, w2 * w3 };
	bilinear(&w->sec[0], hp2, p1, k);
	bilinear(&w->sec[1], hp2, p23, k);
	matched_lowpass2(&w->sec[2], w4, fs);
	double om = 2.0 * SAFE_PI * 1000.0 / fs, m = 1.0;
	for (int i = 0; i < 3; i++)
		m *= biquad_mag(&w->sec[i], om);
	w->gain = 1.0 / m;
	safe_aweight_reset(w);
}

void safe_aweight_reset(struct safe_aweight *w)
{
	for (int i = 0; i < 3; i++)
		w->sec[i].z1 = w->sec[i].z2 = 0.0;
}

double safe_aweight_step(struct safe_aweight *w, double x)
{
	x *= w->gain;
	for (int i = 0; i < 3; i++) {
		struct safe_biquad *q = &w->sec[i];
		double y = q->b0 * x + q->z1;
		q->z1 = q->b1 * x - q->a1 * y + q->z2;
		q->z2 = q->b2 * x - q->a2 * y;
		x = y;
	}
	return x;
}

void safe_aweight_flush(struct safe_aweight *w)
{
	for (int i = 0; i < 3; i++) {
		if (fabs(w->sec[i].z1) < FLUSH_BELOW)
			w->sec[i].z1 = 0.0;
		if (fabs(w->sec[i].z2) < FLUSH_BELOW)
			w->sec[i].z2 = 0.0;
	}
}

static double time_coefficient(double seconds, unsigned rate)
{
	return 1.0 - exp(-1.0 / (seconds * (double)rate));
}

void safe_level_init(struct safe_level *s, unsigned rate, float spl_at_0dbfs, float max_level_db)
{
	s->rate = clamp_rate(rate);
	for (int e = 0; e < 2; e++) {
		safe_aweight_init(&s->ear[e], s->rate);
		s->power[e] = 0.0;
	}
	s->gain = 1.0;
	s->detect_k = time_coefficient(SAFE_LEVEL_DETECT_S, s->rate);
	s->attack_k = time_coefficient(SAFE_LEVEL_ATTACK_S, s->rate);
	s->release_step = pow(10.0, SAFE_LEVEL_RELEASE_DB_S / 20.0 / (double)s->rate);
	s->hours_per_frame = 1.0 / ((double)s->rate * 3600.0);
	s->spl_at_0dbfs = SAFE_LEVEL_DEFAULT_SPL;
	s->max_level_db = SAFE_LEVEL_DEFAULT_MAX;
	safe_level_set(s, spl_at_0dbfs, max_level_db);
	safe_level_dose_reset(s);
}

void safe_level_set(struct safe_level *s, float spl_at_0dbfs, float max_level_db)
{
	if (!isnan(spl_at_0dbfs))
		s->spl_at_0dbfs = spl_at_0dbfs;
	if (!isnan(max_level_db))
		s->max_level_db = max_level_db;
	/* A mean square m is heard at spl + 10 log10(2 m): a full-scale sine
	 * (m = 1/2) at spl. */
	double spl = (double)s->spl_at_0dbfs;
	s->pa2_per_power = 2.0 * P_REF * P_REF * pow(10.0, spl / 10.0);
	if (s->max_level_db == INFINITY)
		s->limit_power = INFINITY;
	else
		s->limit_power = 0.5 * pow(10.0, ((double)s->max_level_db - spl) / 10.0);
}

/* The gain that brings the louder ear's level back to the limit. */
static double target_gain(const struct safe_level *s)
{
	double p = s->power[0] > s->power[1] ? s->power[0] : s->power[1];
	if (!(p > s->limit_power))
		return 1.0;
	return sqrt(s->limit_power / p);
}

void safe_level_process(struct safe_level *s, float *left, float *right, unsigned n)
{
	float *ch[2] = { left, right };
	double g = s->gain, heard[2] = { 0.0, 0.0 };
	const double dk = s->detect_k, ak = s->attack_k, up = s->release_step;
	for (unsigned i = 0; i < n; i++) {
		double sq[2];
		for (int e = 0; e < 2; e++) {
			double x = ch[e][i];
			/* NaN or infinities would stay in the filter for good; the
			 * limiter after us silences them on the way out. */
			if (!isfinite(x))
				x = 0.0;
			double y = safe_aweight_step(&s->ear[e], x);
			sq[e] = y * y;
			s->power[e] += (sq[e] - s->power[e]) * dk;
		}
		double t = target_gain(s);
		/* Down exponentially, up at a steady rate in dB, landing on
		 * the target exactly (so exactly 1 under the limit). A release
		 * exponential in gain or in dB would win back most of a deep
		 * reduction in the first few hundred ms: taps loud enough to
		 * need 40 dB would then come through every gap at nearly full
		 * level. */
		if (t < g)
			g += (t - g) * ak;
		else
			g = fmin(t, g * up);
		double g2 = g * g;
		heard[0] += sq[0] * g2;
		heard[1] += sq[1] * g2;
		if (g != 1.0) {
			left[i] = (float)(left[i] * g);
			if (right != left) /* one buffer for both ears: once */
				right[i] = (float)(right[i] * g);
		}
	}
	s->gain = g;
	for (int e = 0; e < 2; e++) {
		safe_aweight_flush(&s->ear[e]);
		if (s->power[e] < FLUSH_BELOW)
			s->power[e] = 0.0;
		/* Kahan: a week of blocks adds small numbers to a large one. */
		double add = heard[e] * s->pa2_per_power * s->hours_per_frame - s->dose_carry[e];
		double sum = s->dose[e] + add;
		s->dose_carry[e] = (sum - s->dose[e]) - add;
		s->dose[e] = sum;
	}
}

float safe_level_gain_db(const struct safe_level *s)
{
	return s->gain >= 1.0 ? 0.0f : s->gain <= 1e-6 ? -120.0f : (float)(20.0 * log10(s->gain));
}

double safe_level_dose_pa2h(const struct safe_level *s)
{
	return s->dose[0] > s->dose[1] ? s->dose[0] : s->dose[1];
}

double safe_level_dose_percent(const struct safe_level *s, int mode)
{
	double allowance = mode == 2 ? SAFE_LEVEL_ALLOWANCE_MODE2 : SAFE_LEVEL_ALLOWANCE_MODE1;
	return 100.0 * safe_level_dose_pa2h(s) / allowance;
}

void safe_level_dose_reset(struct safe_level *s)
{
	for (int e = 0; e < 2; e++)
		s->dose[e] = s->dose_carry[e] = 0.0;
}
