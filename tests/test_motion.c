/* Motion of sources (orbit, wander, sweep) and head tracking: the texts,
 * the paths, and the sign conventions of DESIGN "Coordinates". */
#include "config.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "rt/listener.h"
#include "config/motion_text.h"
#include "rt/motion.h"

#define DT (128.0f / 48000.0f) /* one block at 48 kHz */
#define PI 3.14159265358979323846

/* Signed difference a - b of two azimuths, in [-180, 180). */
static float az_diff(float a, float b)
{
	return wrap_azimuth(a - b);
}

/* ---- parsing and formatting ---- */

static void round_trip(const char *text, const char *formatted)
{
	struct motion_spec a, b;
	char err[256] = "", out[128];
	ck_assert_msg(motion_parse(text, &a, err, sizeof err) == 0, "'%s': %s", text, err);
	motion_format(&a, out, sizeof out);
	ck_assert_msg(!strcmp(out, formatted), "'%s' formats as '%s', not '%s'", text, out, formatted);
	ck_assert_msg(motion_parse(out, &b, err, sizeof err) == 0, "'%s': %s", out, err);
	ck_assert_msg(a.kind == b.kind && a.rate == b.rate && a.span == b.span && a.period == b.period &&
			      a.to[0] == b.to[0] && a.to[1] == b.to[1] && a.to[2] == b.to[2] &&
			      a.seconds == b.seconds,
		      "'%s' -> '%s' reads back differently", text, out);
}

START_TEST(parse_format_round_trip)
{
	round_trip("none", "none");
	round_trip("NONE", "none");
	round_trip("orbit 90", "orbit 90");
	round_trip("  Orbit   -12.5  ", "orbit -12.5");
	round_trip("orbit 3600", "orbit 3600");
	round_trip("orbit -3600", "orbit -3600");
	round_trip("orbit 0.1", "orbit 0.1");
	round_trip("orbit 1e-7", "orbit 0.0000001");
	round_trip("wander 30", "wander 30");
	round_trip("wander 30 4", "wander 30");
	round_trip("wander 30 8.5", "wander 30 8.5");
	round_trip("wander 0 0.1", "wander 0 0.1");
	round_trip("wander 180 600", "wander 180 600");
	round_trip("sweep 90 45 0.5 3", "sweep 90 45 0.5 3");
	round_trip("sweep -180 -90 100 600", "sweep -180 -90 100 600");
	round_trip("sweep 0 0 0.1 0", "sweep 0 0 0.1 0");
	/* Words for places, as in scene files; azimuth wrapped. */
	round_trip("sweep left above 2 3", "sweep 90 90 2 3");
	round_trip("sweep Behind below 1 1", "sweep -180 -90 1 1");
	round_trip("sweep right level 1.5 0.25", "sweep -90 0 1.5 0.25");
	round_trip("sweep front 10 1 1", "sweep 0 10 1 1");
	round_trip("sweep 270 0 1 1", "sweep -90 0 1 1");

	struct motion_spec s;
	ck_assert_int_eq(motion_parse("wander 20", &s, NULL, 0), 0);
	ck_assert(s.kind == MOTION_WANDER && s.span == 20.0f && s.period == 4.0f);
	ck_assert_int_eq(motion_parse("sweep left below 0.5 2", &s, NULL, 0), 0);
	ck_assert(s.kind == MOTION_SWEEP && s.to[0] == 90.0f && s.to[1] == -90.0f && s.to[2] == 0.5f &&
		  s.seconds == 2.0f);
	ck_assert_int_eq(motion_parse("orbit -45", &s, NULL, 0), 0);
	ck_assert(s.kind == MOTION_ORBIT && s.rate == -45.0f);

	char out[8];
	struct motion_spec w = { .kind = MOTION_WANDER, .span = 30.0f, .period = 12.0f };
	motion_format(&w, out, sizeof out); /* truncated, terminated */
	ck_assert_str_eq(out, "wander ");
	motion_format(NULL, out, sizeof out);
	ck_assert_str_eq(out, "none");
}
END_TEST

static void refused(const char *text, const char *want)
{
	struct motion_spec s, before;
	memset(&s, 0x5a, sizeof s);
	before = s;
	char err[256] = "";
	ck_assert_msg(motion_parse(text, &s, err, sizeof err) == -1, "'%s' accepted", text);
	ck_assert_msg(strstr(err, want), "'%s': message '%s' lacks '%s'", text, err, want);
	ck_assert_msg(!memcmp(&s, &before, sizeof s), "'%s' changed the spec", text);
	ck_assert_msg(strstr(err, "(expected "), "'%s': message '%s' says nothing expected", text, err);
}

START_TEST(parse_errors)
{
	struct motion_spec s;
	char err[256];
	ck_assert_int_eq(motion_parse("wobble 3", &s, err, sizeof err), -1);
	ck_assert_str_eq(err, "'wobble 3': unknown motion (expected orbit DEG_PER_S, wander DEG [SECONDS], "
			      "sweep AZ EL DIST SECONDS or none)");
	ck_assert_int_eq(motion_parse("orbit 5000", &s, err, sizeof err), -1);
	ck_assert_str_eq(err, "'orbit 5000': 5000 is out of range (expected orbit DEG_PER_S, DEG_PER_S in "
			      "-3600..3600)");
	ck_assert_int_eq(motion_parse("sweep up 0 1 1", &s, err, sizeof err), -1);
	ck_assert_str_eq(err, "'sweep up 0 1 1': 'up' is not an azimuth (expected sweep AZ EL DIST SECONDS, "
			      "AZ in degrees, or front, left, right or behind)");

	refused("", "'': no motion");
	refused("   ", "no motion");
	refused(NULL, "no motion");
	refused("orbiting 3", "unknown motion");
	refused("3 orbit", "unknown motion");
	refused("none 1", "none takes no arguments");

	refused("orbit", "'orbit': orbit takes one number (expected orbit DEG_PER_S)");
	refused("orbit 1 2", "orbit takes one number");
	refused("orbit fast", "'fast' is not a number (expected orbit DEG_PER_S, DEG_PER_S in -3600..3600)");
	refused("orbit 0x10", "'0x10' is not a number");
	refused("orbit nan", "'nan' is not a number");
	refused("orbit inf", "'inf' is not a number");
	refused("orbit 1e39", "'1e39' is not a number");
	refused("orbit 3600.5", "3600.5 is out of range");
	refused("orbit -3601", "-3601 is out of range");

	refused("wander", "wander takes one or two numbers (expected wander DEG [SECONDS])");
	refused("wander 1 2 3", "wander takes one or two numbers");
	refused("wander wide", "'wide' is not a number (expected wander DEG [SECONDS], DEG in 0..180)");
	refused("wander -1", "-1 is out of range (expected wander DEG [SECONDS], DEG in 0..180)");
	refused("wander 181", "181 is out of range");
	refused("wander 10 slow", "'slow' is not a number (expected wander DEG [SECONDS], SECONDS in 0.1..600)");
	refused("wander 10 0.05", "0.05 is out of range (expected wander DEG [SECONDS], SECONDS in 0.1..600)");
	refused("wander 10 601", "601 is out of range");
	refused("wander 10 0", "0 is out of range");

	refused("sweep", "sweep takes four values (expected sweep AZ EL DIST SECONDS)");
	refused("sweep 1 2 3", "sweep takes four values");
	refused("sweep 1 2 3 4 5", "sweep takes four values");
	refused("sweep nowhere 0 1 1", "'nowhere' is not an azimuth");
	refused("sweep above 0 1 1", "'above' is not an azimuth");
	refused("sweep 0 91 1 1", "91 is out of range (expected sweep AZ EL DIST SECONDS, EL in degrees "
				  "-90..90, or above, below or level)");
	refused("sweep 0 -90.5 1 1", "-90.5 is out of range");
	refused("sweep 0 high 1 1", "'high' is not an elevation");
	refused("sweep 0 left 1 1", "'left' is not an elevation");
	refused("sweep 0 0 near 1", "'near' is not a number (expected sweep AZ EL DIST SECONDS, DIST in "
				    "0.1..100 metres)");
	refused("sweep 0 0 0.05 1", "0.05 is out of range");
	refused("sweep 0 0 101 1", "101 is out of range");
	refused("sweep 0 0 1 soon", "'soon' is not a number (expected sweep AZ EL DIST SECONDS, SECONDS in "
				    "0..600)");
	refused("sweep 0 0 1 -1", "-1 is out of range");
	refused("sweep 0 0 1 601", "601 is out of range");

	char longtext[600];
	memset(longtext, 'x', sizeof longtext - 1);
	longtext[sizeof longtext - 1] = '\0';
	refused(longtext, "too long");

	/* No room for a message is fine, and a short buffer is terminated. */
	ck_assert_int_eq(motion_parse("orbit x", &s, NULL, 0), -1);
	char tiny[6];
	ck_assert_int_eq(motion_parse("orbit x", &s, tiny, sizeof tiny), -1);
	ck_assert_str_eq(tiny, "'orbi");
}
END_TEST

/* ---- orbit ---- */

START_TEST(orbit_turns_and_wraps)
{
	struct motion_spec spec;
	ck_assert_int_eq(motion_parse("orbit 90", &spec, NULL, 0), 0);
	struct motion m;
	float az = 0.0f, el = 20.0f, dist = 1.5f;
	motion_start(&m, &spec, az, el, dist, 1);
	ck_assert(motion_active(&m));
	float prev = az;
	for (int i = 0; i < 375; i++) { /* 375 blocks of 128 at 48 kHz: 1 s */
		motion_step(&m, DT, &az, &el, &dist);
		/* Counter-clockwise: azimuth grows, by rate * dt a block. */
		ck_assert_float_eq_tol(az_diff(az, prev), 90.0f * DT, 1e-4f);
		prev = az;
	}
	ck_assert_float_eq_tol(az, 90.0f, 1e-3f); /* from the front to the left */
	ck_assert_float_eq(el, 20.0f);
	ck_assert_float_eq(dist, 1.5f);
	for (int i = 0; i < 375; i++)
		motion_step(&m, DT, &az, &el, &dist);
	/* 180 is written as -180: [-180, 180). */
	ck_assert_float_eq_tol(az, -180.0f, 1e-3f);
	for (int i = 0; i < 3 * 375; i++) {
		motion_step(&m, DT, &az, &el, &dist);
		ck_assert(az >= -180.0f && az < 180.0f);
	}
	ck_assert_float_eq_tol(az_diff(az, 90.0f), 0.0f, 1e-3f); /* 5 s: once round and a quarter */

	/* Clockwise, from where the source is. */
	ck_assert_int_eq(motion_parse("orbit -90", &spec, NULL, 0), 0);
	az = 170.0f;
	motion_start(&m, &spec, az, 0.0f, 1.0f, 1);
	motion_step(&m, 1.0f, &az, &el, &dist);
	ck_assert_float_eq_tol(az, 80.0f, 1e-3f);

	/* No drift after an hour of blocks at an odd rate. */
	ck_assert_int_eq(motion_parse("orbit 7.3", &spec, NULL, 0), 0);
	az = 0.0f;
	motion_start(&m, &spec, az, 0.0f, 1.0f, 1);
	for (long i = 0; i < 3600L * 375L; i++)
		motion_step(&m, DT, &az, &el, &dist);
	ck_assert_float_eq_tol(az_diff(az, wrap_azimuth(fmodf(7.3f * 3600.0f, 360.0f))), 0.0f, 0.05f);
}
END_TEST

START_TEST(none_and_still)
{
	struct motion m;
	float az = 10.0f, el = 5.0f, dist = 2.0f;
	motion_start(&m, NULL, az, el, dist, 1);
	ck_assert(!motion_active(&m));
	az = 33.0f; /* set from outside: a motion of none leaves it */
	motion_step(&m, DT, &az, &el, &dist);
	ck_assert(az == 33.0f && el == 5.0f && dist == 2.0f);

	struct motion_spec spec;
	ck_assert_int_eq(motion_parse("orbit 0", &spec, NULL, 0), 0);
	motion_start(&m, &spec, az, el, dist, 1);
	ck_assert(!motion_active(&m));
	ck_assert_int_eq(motion_parse("wander 0", &spec, NULL, 0), 0);
	motion_start(&m, &spec, az, el, dist, 1);
	ck_assert(!motion_active(&m));

	/* A bad dt is no time at all. */
	ck_assert_int_eq(motion_parse("orbit 90", &spec, NULL, 0), 0);
	motion_start(&m, &spec, 0.0f, el, dist, 1);
	az = 0.0f;
	motion_step(&m, NAN, &az, &el, &dist);
	motion_step(&m, -1.0f, &az, &el, &dist);
	motion_step(&m, INFINITY, &az, &el, &dist);
	ck_assert_float_eq(az, 0.0f);
}
END_TEST

/* ---- wander ---- */

static void wander_path(uint64_t seed, float start_az, float start_el, float *az_out, float *el_out,
			int n)
{
	struct motion_spec spec;
	ck_assert_int_eq(motion_parse("wander 30 4", &spec, NULL, 0), 0);
	struct motion m;
	float az = start_az, el = start_el, dist = 1.0f;
	motion_start(&m, &spec, az, el, dist, seed);
	for (int i = 0; i < n; i++) {
		motion_step(&m, DT, &az, &el, &dist);
		az_out[i] = az;
		el_out[i] = el;
	}
}

START_TEST(wander_stays_and_is_smooth)
{
	const float span = 30.0f, period = 4.0f;
	const int n = (int)(600.0f / DT); /* ten minutes */
	float *az = malloc(sizeof(float) * (size_t)n), *el = malloc(sizeof(float) * (size_t)n);
	ck_assert(az && el);
	/* Near the back, so the drift crosses the wrap at 180. */
	wander_path(7, 170.0f, 10.0f, az, el, n);
	/* Steepest the sum of sinusoids can be (frequencies up to 2.7 per
	 * period, weighted) plus the fade-in: about 1.9 * 2 pi / period. */
	const float w = 2.0f * (float)PI / period;
	const float max_step = span * DT * w * 2.0f;
	const float max_bend = span * DT * DT * w * w * 6.0f;
	float far = 0.0f, far_el = 0.0f, crossed = 0.0f;
	float prev = 170.0f, prev_el = 10.0f, prev_step = 0.0f;
	for (int i = 0; i < n; i++) {
		float off = az_diff(az[i], 170.0f);
		ck_assert_msg(fabsf(off) <= span + 1e-3f, "block %d: %g off", i, off);
		ck_assert_msg(fabsf(el[i] - 10.0f) <= span * 0.25f + 1e-3f, "block %d: el %g", i, el[i]);
		ck_assert(az[i] >= -180.0f && az[i] < 180.0f);
		float step = az_diff(az[i], prev);
		ck_assert_msg(fabsf(step) <= max_step, "block %d: jump %g > %g", i, step, max_step);
		ck_assert_msg(fabsf(el[i] - prev_el) <= max_step, "block %d: el jump", i);
		/* Continuous slope: the step changes little from block to block. */
		ck_assert_msg(fabsf(step - prev_step) <= max_bend, "block %d: bend %g > %g", i,
			      step - prev_step, max_bend);
		far = fmaxf(far, fabsf(off));
		far_el = fmaxf(far_el, fabsf(el[i] - 10.0f));
		if (az[i] < 0.0f)
			crossed = 1.0f;
		prev = az[i];
		prev_el = el[i];
		prev_step = step;
	}
	/* It starts where the source was, at rest... */
	ck_assert_float_lt(fabsf(az_diff(az[0], 170.0f)), 1e-3f);
	/* ...and really wanders: most of the span, some elevation, over 180. */
	ck_assert_msg(far > span * 0.6f, "only %g degrees", far);
	ck_assert_msg(far_el > 1.0f, "only %g degrees up or down", far_el);
	ck_assert(crossed);
	free(az);
	free(el);
}
END_TEST

START_TEST(wander_per_seed)
{
	enum { N = 20000 };
	static float a1[N], e1[N], a2[N], e2[N], a3[N], e3[N];
	wander_path(42, -20.0f, 0.0f, a1, e1, N);
	wander_path(42, -20.0f, 0.0f, a2, e2, N);
	wander_path(43, -20.0f, 0.0f, a3, e3, N);
	ck_assert(!memcmp(a1, a2, sizeof a1) && !memcmp(e1, e2, sizeof e1));
	float most = 0.0f;
	for (int i = 0; i < N; i++)
		most = fmaxf(most, fabsf(az_diff(a1[i], a3[i])));
	ck_assert_msg(most > 5.0f, "seeds 42 and 43 differ by %g degrees at most", most);
}
END_TEST

START_TEST(wander_near_a_pole)
{
	struct motion_spec spec;
	ck_assert_int_eq(motion_parse("wander 180 1", &spec, NULL, 0), 0);
	struct motion m;
	float az = 0.0f, el = 85.0f, dist = 1.0f, prev = el;
	motion_start(&m, &spec, az, el, dist, 5);
	for (int i = 0; i < 100000; i++) {
		motion_step(&m, DT, &az, &el, &dist);
		ck_assert(el >= 80.0f - 1e-3f && el <= 90.0f);
		ck_assert(fabsf(el - prev) < 0.2f);
		prev = el;
	}
}
END_TEST

/* ---- sweep ---- */

START_TEST(sweep_eases_to_the_target)
{
	struct motion_spec spec;
	/* From 170 to -170: the shorter way is 20 degrees over the back. */
	ck_assert_int_eq(motion_parse("sweep -170 30 0.5 2", &spec, NULL, 0), 0);
	struct motion m;
	float az = 170.0f, el = 0.0f, dist = 2.0f;
	motion_start(&m, &spec, az, el, dist, 1);
	const int n = (int)lroundf(2.0f / DT); /* 750 blocks */
	float prev = 0.0f;
	for (int i = 0; i < n; i++) {
		motion_step(&m, DT, &az, &el, &dist);
		float done = az_diff(az, 170.0f);
		ck_assert_msg(done >= prev - 1e-4f && done <= 20.0f + 1e-4f, "block %d: %g", i, done);
		if (i == 0) /* eased: the first block moves far less than 20 * dt / 2 */
			ck_assert_float_lt(done, 20.0f * DT / 2.0f * 0.05f);
		if (i == n / 2 - 1) { /* half way: at the back, half up, 1 m (log scale) */
			ck_assert_float_eq_tol(fabsf(az), 180.0f, 1e-2f);
			ck_assert_float_eq_tol(el, 15.0f, 1e-2f);
			ck_assert_float_eq_tol(dist, 1.0f, 1e-3f);
			/* Fastest in the middle: 1.5 times the mean speed. */
			ck_assert_float_eq_tol(done - prev, 1.5f * 20.0f * DT / 2.0f, 1e-3f);
		}
		if (i == n - 2) /* eased: the last step is short as well */
			ck_assert_float_lt(done - prev, 20.0f * DT / 2.0f * 0.05f);
		prev = done;
	}
	/* At the end exactly there, and still. */
	ck_assert(az == -170.0f && el == 30.0f && dist == 0.5f);
	ck_assert(!motion_active(&m));
	motion_step(&m, DT, &az, &el, &dist);
	ck_assert(az == -170.0f && el == 30.0f && dist == 0.5f);
	/* Once there, a place set from outside is left alone. */
	az = 12.0f;
	motion_step(&m, 1.0f, &az, &el, &dist);
	ck_assert(az == 12.0f);

	/* Overshooting the end in one step lands on the target. */
	ck_assert_int_eq(motion_parse("sweep left 0 1 1", &spec, NULL, 0), 0);
	az = 0.0f;
	motion_start(&m, &spec, az, 0.0f, 3.0f, 1);
	motion_step(&m, 0.6f, &az, &el, &dist);
	ck_assert(az > 0.0f && az < 90.0f && motion_active(&m));
	motion_step(&m, 0.6f, &az, &el, &dist);
	ck_assert(az == 90.0f && dist == 1.0f && !motion_active(&m));

	/* No time: straight there. */
	ck_assert_int_eq(motion_parse("sweep behind below 4 0", &spec, NULL, 0), 0);
	motion_start(&m, &spec, 0.0f, 0.0f, 1.0f, 1);
	motion_step(&m, DT, &az, &el, &dist);
	ck_assert(az == -180.0f && el == -90.0f && dist == 4.0f);

	/* Exactly opposite: no shorter way; it goes clockwise (right). */
	ck_assert_int_eq(motion_parse("sweep behind 0 1 2", &spec, NULL, 0), 0);
	motion_start(&m, &spec, 0.0f, 0.0f, 1.0f, 1);
	motion_step(&m, 1.0f, &az, &el, &dist);
	ck_assert_float_eq_tol(az, -90.0f, 1e-3f);
}
END_TEST

/* ---- listener ---- */

static void direction(float az, float el, double v[3])
{
	double a = az * PI / 180.0, e = el * PI / 180.0;
	v[0] = cos(e) * cos(a);
	v[1] = cos(e) * sin(a);
	v[2] = sin(e);
}

/* Angle between two directions, degrees (well defined at the poles, where
 * azimuth is not). */
static double angle_between(float az1, float el1, float az2, float el2)
{
	double a[3], b[3];
	direction(az1, el1, a);
	direction(az2, el2, b);
	double cx = a[1] * b[2] - a[2] * b[1], cy = a[2] * b[0] - a[0] * b[2], cz = a[0] * b[1] - a[1] * b[0];
	double dot = a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
	return atan2(sqrt(cx * cx + cy * cy + cz * cz), dot) * 180.0 / PI;
}

static void heard(const struct listener *l, float az, float el, float want_az, float want_el)
{
	float haz, hel;
	listener_apply(l, az, el, &haz, &hel);
	ck_assert_msg(angle_between(haz, hel, want_az, want_el) < 1e-3,
		      "(%g, %g) heard at (%g, %g), not (%g, %g)", az, el, haz, hel, want_az, want_el);
	ck_assert(haz >= -180.0f && haz < 180.0f && hel >= -90.0f && hel <= 90.0f);
}

START_TEST(listener_yaw)
{
	struct listener l;
	listener_reset(&l);
	ck_assert(l.w == 1.0f && l.x == 0.0f && l.y == 0.0f && l.z == 0.0f);
	for (float az = -180.0f; az < 180.0f; az += 15.0f)
		for (float el = -75.0f; el <= 75.0f; el += 15.0f) {
			float haz, hel;
			listener_apply(&l, az, el, &haz, &hel);
			ck_assert_float_eq_tol(az_diff(haz, az), 0.0f, 1e-4f);
			ck_assert_float_eq_tol(hel, el, 1e-4f);
		}

	/* Head turned left: the front is now at the right ear, the left in front. */
	listener_set_ypr(&l, 90.0f, 0.0f, 0.0f);
	float haz, hel;
	listener_apply(&l, 0.0f, 0.0f, &haz, &hel);
	ck_assert_float_eq_tol(haz, -90.0f, 1e-4f);
	ck_assert_float_eq_tol(hel, 0.0f, 1e-4f);
	heard(&l, 90.0f, 0.0f, 0.0f, 0.0f);
	heard(&l, 0.0f, 40.0f, -90.0f, 40.0f); /* yaw leaves elevation */
	/* The quaternion of yaw Y is (cos Y/2, 0, 0, sin Y/2). */
	ck_assert_float_eq_tol(l.w, cosf((float)PI / 4.0f), 1e-6f);
	ck_assert_float_eq_tol(l.z, sinf((float)PI / 4.0f), 1e-6f);
	ck_assert_float_eq_tol(l.x, 0.0f, 1e-7f);
	ck_assert_float_eq_tol(l.y, 0.0f, 1e-7f);

	listener_set_ypr(&l, -90.0f, 0.0f, 0.0f);
	listener_apply(&l, 0.0f, 0.0f, &haz, &hel);
	ck_assert_float_eq_tol(haz, 90.0f, 1e-4f);
	listener_set_ypr(&l, 30.0f, 0.0f, 0.0f);
	heard(&l, 0.0f, 0.0f, -30.0f, 0.0f); /* a source at azimuth 0 is heard at -yaw */
	listener_set_ypr(&l, 180.0f, 0.0f, 0.0f);
	listener_apply(&l, 0.0f, 0.0f, &haz, &hel);
	ck_assert_float_eq_tol(fabsf(haz), 180.0f, 1e-3f);
	ck_assert(haz < 180.0f);
}
END_TEST

START_TEST(listener_pitch_and_roll)
{
	struct listener l;
	/* Nose up 30: what was ahead is now below the nose. */
	listener_set_ypr(&l, 0.0f, 30.0f, 0.0f);
	heard(&l, 0.0f, 0.0f, 0.0f, -30.0f);
	heard(&l, 0.0f, 30.0f, 0.0f, 0.0f);
	heard(&l, 90.0f, 0.0f, 90.0f, 0.0f); /* the ears stay where they were */
	heard(&l, 0.0f, 90.0f, 0.0f, 60.0f); /* overhead comes nearer the nose */
	listener_set_ypr(&l, 0.0f, -30.0f, 0.0f);
	heard(&l, 0.0f, 0.0f, 0.0f, 30.0f);
	listener_set_ypr(&l, 0.0f, 90.0f, 0.0f);
	heard(&l, 0.0f, 0.0f, 0.0f, -90.0f);

	/* Right ear down 90: the crown points to the room's right, so a
	 * source on the right is heard from above, one on the left from
	 * below; the front stays in front. */
	listener_set_ypr(&l, 0.0f, 0.0f, 90.0f);
	heard(&l, -90.0f, 0.0f, 0.0f, 90.0f);
	heard(&l, 90.0f, 0.0f, 0.0f, -90.0f);
	heard(&l, 0.0f, 0.0f, 0.0f, 0.0f);
	heard(&l, 0.0f, 90.0f, 90.0f, 0.0f); /* overhead is at the left ear */
	listener_set_ypr(&l, 0.0f, 0.0f, 30.0f);
	heard(&l, -90.0f, 0.0f, -90.0f, 30.0f);
	listener_set_ypr(&l, 0.0f, 0.0f, -30.0f);
	heard(&l, -90.0f, 0.0f, -90.0f, -30.0f);

	/* The order: yaw, then pitch about the turned head's ear axis, then
	 * roll about its nose. Turned left 90 and nose up 30, the head looks
	 * at (90, 30); a roll about the nose leaves that straight ahead. */
	listener_set_ypr(&l, 90.0f, 30.0f, 0.0f);
	heard(&l, 90.0f, 30.0f, 0.0f, 0.0f);
	heard(&l, 0.0f, 0.0f, -90.0f, 0.0f); /* the old front still at the right ear */
	listener_set_ypr(&l, 90.0f, 30.0f, 40.0f);
	heard(&l, 90.0f, 30.0f, 0.0f, 0.0f);
	heard(&l, 0.0f, 0.0f, -90.0f, 40.0f); /* right ear down 40: the right is above it */

	/* A non-finite angle changes nothing. */
	struct listener before = l;
	listener_set_ypr(&l, NAN, 0.0f, 0.0f);
	listener_set_ypr(&l, 0.0f, INFINITY, 0.0f);
	ck_assert(!memcmp(&l, &before, sizeof l));
}
END_TEST

static float rand_range(float lo, float hi)
{
	return lo + (hi - lo) * (float)rand() / (float)RAND_MAX;
}

START_TEST(listener_quaternion_agrees_with_ypr)
{
	struct listener q, e;
	const float c = cosf((float)PI / 4.0f), s = sinf((float)PI / 4.0f);
	ck_assert(listener_set_quaternion(&q, c, 0.0f, 0.0f, s));
	listener_set_ypr(&e, 90.0f, 0.0f, 0.0f);
	srand(3);
	for (int i = 0; i < 2000; i++) {
		float az = rand_range(-180.0f, 180.0f), el = rand_range(-90.0f, 90.0f);
		float qa, qe, ea, ee;
		listener_apply(&q, az, el, &qa, &qe);
		listener_apply(&e, az, el, &ea, &ee);
		ck_assert_msg(angle_between(qa, qe, ea, ee) < 0.01, "(%g, %g): (%g, %g) vs (%g, %g)", az,
			      el, qa, qe, ea, ee);
		if (fabsf(ee) < 89.0f)
			ck_assert_float_eq_tol(az_diff(qa, ea), 0.0f, 0.01f);
		ck_assert_float_eq_tol(qe, ee, 0.01f);
	}

	/* Any scale, and either sign, is the same turn. */
	ck_assert(listener_set_quaternion(&q, -3.0f * c, 0.0f, 0.0f, -3.0f * s));
	ck_assert_float_eq_tol(q.w * q.w + q.x * q.x + q.y * q.y + q.z * q.z, 1.0f, 1e-6f);
	heard(&q, 0.0f, 0.0f, -90.0f, 0.0f);

	/* Yaw, pitch and roll are the product written in listener.h. */
	for (int i = 0; i < 200; i++) {
		float y = rand_range(-180.0f, 180.0f), p = rand_range(-90.0f, 90.0f),
		      r = rand_range(-180.0f, 180.0f);
		double hy = y * PI / 360.0, hp = p * PI / 360.0, hr = r * PI / 360.0;
		/* (cy,0,0,sy) * (cp,0,-sp,0) = (cy cp, sy sp, -cy sp, sy cp), then * (cr,sr,0,0) */
		double a[4] = { cos(hy) * cos(hp), sin(hy) * sin(hp), -cos(hy) * sin(hp), sin(hy) * cos(hp) };
		double cr = cos(hr), sr = sin(hr);
		double w = a[0] * cr - a[1] * sr, x = a[0] * sr + a[1] * cr, yy = a[2] * cr + a[3] * sr,
		       z = a[3] * cr - a[2] * sr;
		ck_assert(listener_set_quaternion(&q, (float)w, (float)x, (float)yy, (float)z));
		listener_set_ypr(&e, y, p, r);
		for (int k = 0; k < 10; k++) {
			float az = rand_range(-180.0f, 180.0f), el = rand_range(-90.0f, 90.0f);
			float qa, qe, ea, ee;
			listener_apply(&q, az, el, &qa, &qe);
			listener_apply(&e, az, el, &ea, &ee);
			ck_assert(angle_between(qa, qe, ea, ee) < 0.01);
		}
	}
}
END_TEST

START_TEST(listener_refuses_bad_quaternions)
{
	struct listener l;
	listener_set_ypr(&l, 20.0f, 10.0f, 5.0f);
	struct listener before = l;
	ck_assert(!listener_set_quaternion(&l, 0.0f, 0.0f, 0.0f, 0.0f));
	ck_assert(!listener_set_quaternion(&l, NAN, 0.0f, 0.0f, 1.0f));
	ck_assert(!listener_set_quaternion(&l, 1.0f, INFINITY, 0.0f, 0.0f));
	ck_assert(!listener_set_quaternion(&l, 1.0f, 0.0f, 0.0f, -INFINITY));
	ck_assert(!memcmp(&l, &before, sizeof l));
	/* Huge and tiny ones are fine: only the direction counts. */
	ck_assert(listener_set_quaternion(&l, 3e38f, 0.0f, 0.0f, 3e38f));
	heard(&l, 0.0f, 0.0f, -90.0f, 0.0f);
	ck_assert(listener_set_quaternion(&l, 1e-10f, 0.0f, 0.0f, 0.0f));
	ck_assert(l.w == 1.0f);
	listener_reset(&l);
	ck_assert(l.w == 1.0f && l.x == 0.0f && l.y == 0.0f && l.z == 0.0f);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("motion");
	TCase *tp = tcase_create("Text");
	tcase_add_test(tp, parse_format_round_trip);
	tcase_add_test(tp, parse_errors);
	suite_add_tcase(s, tp);
	TCase *tm = tcase_create("Motion");
	tcase_set_timeout(tm, 60);
	tcase_add_test(tm, orbit_turns_and_wraps);
	tcase_add_test(tm, none_and_still);
	tcase_add_test(tm, wander_stays_and_is_smooth);
	tcase_add_test(tm, wander_per_seed);
	tcase_add_test(tm, wander_near_a_pole);
	tcase_add_test(tm, sweep_eases_to_the_target);
	suite_add_tcase(s, tm);
	TCase *tl = tcase_create("Listener");
	tcase_add_test(tl, listener_yaw);
	tcase_add_test(tl, listener_pitch_and_roll);
	tcase_add_test(tl, listener_quaternion_agrees_with_ypr);
	tcase_add_test(tl, listener_refuses_bad_quaternions);
	suite_add_tcase(s, tl);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
