#include "config.h"
#include "rt/motion.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"

#define TWO_PI 6.283185307179586

/* ---- parsing and formatting (control thread) ---- */

#define EXPECT_ANY "orbit DEG_PER_S, wander DEG [SECONDS], sweep AZ EL DIST SECONDS or none"
#define EXPECT_ORBIT "orbit DEG_PER_S"
#define EXPECT_WANDER "wander DEG [SECONDS]"
#define EXPECT_SWEEP "sweep AZ EL DIST SECONDS"

__attribute__((format(printf, 5, 6))) static int fail(char *err, size_t errlen, const char *text,
							const char *expect, const char *fmt, ...)
{
	if (err && errlen) {
		char what[160];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(what, sizeof what, fmt, ap);
		va_end(ap);
		snprintf(err, errlen, "'%s': %s (expected %s)", text, what, expect);
	}
	return -1;
}

/* One number of a motion within lo..hi; range names the unit and range for
 * the message, e.g. "DEG_PER_S in -3600..3600". */
static bool number(const char *word, float lo, float hi, float *out, char *err, size_t errlen,
		   const char *text, const char *usage, const char *range)
{
	char expect[160];
	snprintf(expect, sizeof expect, "%s, %s", usage, range);
	float v;
	if (!parse_float(word, &v)) {
		fail(err, errlen, text, expect, "'%s' is not a number", word);
		return false;
	}
	if (v < lo || v > hi) {
		fail(err, errlen, text, expect, "%s is out of range", word);
		return false;
	}
	*out = v;
	return true;
}

int motion_parse(const char *text, struct motion_spec *out, char *err, size_t errlen)
{
	char quoted[256], buf[256];
	char *words[6];
	if (!text)
		text = "";
	if (strlen(text) >= sizeof buf) {
		char head[40];
		str_copy(head, sizeof head, text);
		char t[48];
		snprintf(t, sizeof t, "%s...", head);
		return fail(err, errlen, t, EXPECT_ANY, "too long");
	}
	str_copy(buf, sizeof buf, text);
	str_copy(quoted, sizeof quoted, str_trim(buf));
	str_copy(buf, sizeof buf, quoted);
	/* Room for one word more than the longest form, to tell "too many". */
	size_t n = str_split(buf, words, TINGLE_ARRAY_LEN(words));
	if (n == 0)
		return fail(err, errlen, quoted, EXPECT_ANY, "no motion");

	struct motion_spec s;
	memset(&s, 0, sizeof s);
	s.period = MOTION_WANDER_PERIOD_DEFAULT;
	if (!strcasecmp(words[0], "none")) {
		if (n != 1)
			return fail(err, errlen, quoted, "none", "none takes no arguments");
		s.kind = MOTION_NONE;
	} else if (!strcasecmp(words[0], "orbit")) {
		if (n != 2)
			return fail(err, errlen, quoted, EXPECT_ORBIT, "orbit takes one number");
		s.kind = MOTION_ORBIT;
		if (!number(words[1], -MOTION_ORBIT_MAX, MOTION_ORBIT_MAX, &s.rate, err, errlen, quoted,
			    EXPECT_ORBIT, "DEG_PER_S in -3600..3600"))
			return -1;
	} else if (!strcasecmp(words[0], "wander")) {
		if (n != 2 && n != 3)
			return fail(err, errlen, quoted, EXPECT_WANDER, "wander takes one or two numbers");
		s.kind = MOTION_WANDER;
		if (!number(words[1], 0.0f, MOTION_WANDER_SPAN_MAX, &s.span, err, errlen, quoted,
			    EXPECT_WANDER, "DEG in 0..180"))
			return -1;
		if (n == 3 && !number(words[2], MOTION_WANDER_PERIOD_MIN, MOTION_WANDER_PERIOD_MAX,
				      &s.period, err, errlen, quoted, EXPECT_WANDER, "SECONDS in 0.1..600"))
			return -1;
	} else if (!strcasecmp(words[0], "sweep")) {
		if (n != 5)
			return fail(err, errlen, quoted, EXPECT_SWEEP, "sweep takes four values");
		s.kind = MOTION_SWEEP;
		float az, el;
		if (!parse_azimuth(words[1], &az))
			return fail(err, errlen, quoted,
				    EXPECT_SWEEP ", AZ in degrees, or front, left, right or behind",
				    "'%s' is not an azimuth", words[1]);
		/* Same order of checks as ini_set_elevation: a number out of
		 * range says so, anything else is not an elevation. */
		if (parse_float(words[2], &el) && (el < -90.0f || el > 90.0f))
			return fail(err, errlen, quoted,
				    EXPECT_SWEEP ", EL in degrees -90..90, or above, below or level",
				    "%s is out of range", words[2]);
		if (!parse_elevation(words[2], &el))
			return fail(err, errlen, quoted,
				    EXPECT_SWEEP ", EL in degrees -90..90, or above, below or level",
				    "'%s' is not an elevation", words[2]);
		s.to[0] = wrap_azimuth(az);
		s.to[1] = el;
		if (!number(words[3], MOTION_DIST_MIN, MOTION_DIST_MAX, &s.to[2], err, errlen, quoted,
			    EXPECT_SWEEP, "DIST in 0.1..100 metres"))
			return -1;
		if (!number(words[4], 0.0f, MOTION_SECONDS_MAX, &s.seconds, err, errlen, quoted,
			    EXPECT_SWEEP, "SECONDS in 0..600"))
			return -1;
	} else {
		return fail(err, errlen, quoted, EXPECT_ANY, "unknown motion");
	}
	*out = s;
	return 0;
}

/* The shortest plain decimal that parse_float reads back as v: a value
 * sent back to a tablet or written to a session reads as it was set,
 * without 0.100000001. */
static void format_number(char *out, size_t n, float v)
{
	char buf[48];
	float back;
	if (fabsf(v) < 1e7f)
		for (int d = 0; d <= 9; d++) {
			snprintf(buf, sizeof buf, "%.*f", d, (double)v);
			if (parse_float(buf, &back) && back == v) {
				str_copy(out, n, buf);
				return;
			}
		}
	snprintf(buf, sizeof buf, "%.9g", (double)v);
	str_copy(out, n, buf);
}

void motion_format(const struct motion_spec *m, char *out, size_t n)
{
	char a[48], b[48], c[48], d[48];
	if (!out || !n)
		return;
	switch (m ? m->kind : MOTION_NONE) {
	case MOTION_ORBIT:
		format_number(a, sizeof a, m->rate);
		snprintf(out, n, "orbit %s", a);
		break;
	case MOTION_WANDER:
		format_number(a, sizeof a, m->span);
		if (m->period == MOTION_WANDER_PERIOD_DEFAULT) {
			snprintf(out, n, "wander %s", a);
		} else {
			format_number(b, sizeof b, m->period);
			snprintf(out, n, "wander %s %s", a, b);
		}
		break;
	case MOTION_SWEEP:
		format_number(a, sizeof a, m->to[0]);
		format_number(b, sizeof b, m->to[1]);
		format_number(c, sizeof c, m->to[2]);
		format_number(d, sizeof d, m->seconds);
		snprintf(out, n, "sweep %s %s %s %s", a, b, c, d);
		break;
	default:
		snprintf(out, n, "none");
		break;
	}
}

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
