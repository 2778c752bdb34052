#include "config.h"
#include "rt/motion.h"

#include <math.h>
#include <string.h>

#include "common/util.h"

#define TWO_PI 6.283185307179586

/* ---- moving (audio thread) ---- */

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static float unit(uint64_t *x)
{
	return (float)(splitmix64(x) >> 40) * (1.0f / 16777216.0f);
}

/* 0 at x <= 0, 1 at x >= 1, zero slope at both ends. */
static double smoothstep(double x)
{
	if (x <= 0.0)
		return 0.0;
	if (x >= 1.0)
		return 1.0;
	return x * x * (3.0 - 2.0 * x);
}

/* Wander: three sinusoids per axis, amplitudes summing to 1 so that the
 * drift never leaves the span; frequencies spread by irrational ratios
 * (jittered by the seed) so that the path does not repeat audibly. */
static const float wander_amp[3] = { 0.5f, 0.3f, 0.2f };
static const float wander_ratio[2][3] = { { 1.0f, 1.618f, 2.414f }, { 0.786f, 1.272f, 2.058f } };
/* Elevation drifts by this share of the span: heads hear up and down less
 * sharply than left and right, and a small share keeps it believable. */
#define WANDER_EL_SHARE 0.25f

void motion_start(struct motion *m, const struct motion_spec *spec, float azimuth, float elevation,
		  float distance, uint64_t seed)
{
	memset(m, 0, sizeof *m);
	if (spec)
		m->spec = *spec;
	else
		m->spec.kind = MOTION_NONE;
	if (!isfinite(azimuth))
		azimuth = 0.0f;
	if (!isfinite(elevation))
		elevation = 0.0f;
	if (!isfinite(distance))
		distance = 1.0f;
	m->az = m->az0 = wrap_azimuth(azimuth);
	m->el = m->el0 = fminf(fmaxf(elevation, -90.0f), 90.0f);
	m->dist = m->dist0 = distance;

	struct motion_spec *s = &m->spec;
	switch (s->kind) {
	case MOTION_ORBIT:
		m->active = isfinite(s->rate) && s->rate != 0.0f;
		break;
	case MOTION_WANDER: {
		if (!(s->period >= MOTION_WANDER_PERIOD_MIN && s->period <= MOTION_WANDER_PERIOD_MAX))
			s->period = MOTION_WANDER_PERIOD_DEFAULT;
		m->active = isfinite(s->span) && s->span > 0.0f;
		if (!m->active)
			break;
		s->span = fminf(s->span, MOTION_WANDER_SPAN_MAX);
		/* The elevation share shrinks near the poles, so that the path
		 * stays inside -90..90 without a clamp (which would break the
		 * smooth slope). */
		m->el_span = fminf(s->span * WANDER_EL_SHARE, 90.0f - fabsf(m->el0));
		uint64_t x = seed ^ 0x6d6f74696f6e0000ull; /* "motion" */
		const float w0 = (float)TWO_PI / s->period;
		for (int a = 0; a < 2; a++)
			for (int i = 0; i < 3; i++) {
				m->w[a][i] = w0 * wander_ratio[a][i] * (0.9f + 0.2f * unit(&x));
				m->phase[a][i] = (float)TWO_PI * unit(&x);
			}
		break;
	}
	case MOTION_SWEEP:
		if (!(s->seconds >= 0.0f && s->seconds <= MOTION_SECONDS_MAX))
			s->seconds = 0.0f;
		m->active = isfinite(s->to[0]) && isfinite(s->to[1]) && isfinite(s->to[2]);
		break;
	default:
		s->kind = MOTION_NONE;
		m->active = false;
		break;
	}
}

/* Sum of one axis's sinusoids at time t, in -1..1. */
static double wander_sum(const struct motion *m, int axis, double t)
{
	double v = 0.0;
	for (int i = 0; i < 3; i++)
		v += wander_amp[i] * sin((double)m->w[axis][i] * t + (double)m->phase[axis][i]);
	return v;
}

void motion_step(struct motion *m, float dt, float *azimuth, float *elevation, float *distance)
{
	if (!m->active)
		return;
	if (!(dt >= 0.0f) || !isfinite(dt))
		dt = 0.0f;
	m->t += dt;
	const struct motion_spec *s = &m->spec;
	switch (s->kind) {
	case MOTION_ORBIT:
		/* From the start and the time, not by adding up steps: no drift
		 * after hours of small float increments. */
		m->az = wrap_azimuth((float)fmod((double)m->az0 + (double)s->rate * m->t, 360.0));
		break;
	case MOTION_WANDER: {
		/* Faded in over the first period from the start place at rest,
		 * so the source does not jump or lurch when the wander begins;
		 * value and slope stay continuous throughout. */
		double g = smoothstep(m->t / (double)s->period);
		double daz = (double)s->span * g * wander_sum(m, 0, m->t);
		double del = (double)m->el_span * g * wander_sum(m, 1, m->t);
		m->az = wrap_azimuth((float)((double)m->az0 + daz));
		m->el = fminf(fmaxf((float)((double)m->el0 + del), -90.0f), 90.0f);
		break;
	}
	case MOTION_SWEEP:
		/* A microsecond early counts as there: block times added up
		 * (128/48000 is no exact float) would otherwise miss the end
		 * by a rounding error and leave one more block to go. */
		if (m->t >= (double)s->seconds - 1e-6) {
			m->az = s->to[0];
			m->el = s->to[1];
			m->dist = s->to[2];
			m->active = false;
		} else {
			double e = smoothstep(m->t / (double)s->seconds);
			/* The shorter way round (exactly opposite goes clockwise). */
			double daz = wrap_azimuth(s->to[0] - m->az0);
			m->az = wrap_azimuth((float)((double)m->az0 + daz * e));
			m->el = (float)((double)m->el0 + ((double)s->to[1] - m->el0) * e);
			/* Distance on a log scale: the level (1/distance) then
			 * changes evenly in dB, as an ear expects of a source
			 * coming closer. */
			if (m->dist0 > 0.0f && s->to[2] > 0.0f)
				m->dist = (float)((double)m->dist0 * pow((double)s->to[2] / m->dist0, e));
			else
				m->dist = (float)((double)m->dist0 + ((double)s->to[2] - m->dist0) * e);
		}
		break;
	default:
		return;
	}
	*azimuth = m->az;
	*elevation = m->el;
	*distance = m->dist;
}

bool motion_active(const struct motion *m)
{
	return m->active;
}
