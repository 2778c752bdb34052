#include "config.h"
#include "config/motion_text.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"

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
