/* How a source moves on its own: orbit, wander or sweep (DESIGN, Motion).
 *
 * The text form (scene files, OSC /source/NAME/motion) is read and written
 * on a control thread by src/config/motion_text.c; motion_start,
 * motion_step and motion_active run on the audio thread at block rate: no
 * allocation, no I/O.
 *
 * Places are in the coordinates of DESIGN: azimuth in degrees
 * counter-clockwise from the front (+90 left), elevation in degrees (+90
 * above), distance in metres. */
#ifndef TINGLE_MOTION_H
#define TINGLE_MOTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Ranges motion_parse accepts (and the texts its messages use). */
#define MOTION_ORBIT_MAX 3600.0f       /* degrees per second, either way */
#define MOTION_WANDER_SPAN_MAX 180.0f  /* degrees */
#define MOTION_WANDER_PERIOD_MIN 0.1f  /* seconds */
#define MOTION_WANDER_PERIOD_MAX 600.0f
#define MOTION_WANDER_PERIOD_DEFAULT 4.0f
#define MOTION_DIST_MIN 0.1f           /* metres */
#define MOTION_DIST_MAX 100.0f
#define MOTION_SECONDS_MAX 600.0f      /* sweep duration */

struct motion_spec {
	enum motion_kind { MOTION_NONE, MOTION_ORBIT, MOTION_WANDER, MOTION_SWEEP } kind;
	float rate;    /* orbit: degrees per second, positive = counter-clockwise (as azimuth) */
	float span;    /* wander: degrees of azimuth either side of the start */
	float period;  /* wander: seconds of its slowest swing (default 4) */
	float to[3];   /* sweep: azimuth [-180,180), elevation, distance */
	float seconds; /* sweep duration (0 = at once) */
};

struct motion {
	struct motion_spec spec;
	float az0, el0, dist0;  /* the place it started from */
	float az, el, dist;     /* the place now */
	double t;               /* seconds since the start (double: shows run for hours) */
	bool active;
	/* wander: three sinusoids each for azimuth and elevation */
	float w[2][3];          /* angular frequencies, rad/s */
	float phase[2][3];      /* radians */
	float el_span;          /* elevation share of the span, degrees */
};

/* Start moving from the place the source is at now; seed makes a wander
 * reproducible (same seed, same path). A NULL spec is none. Audio thread
 * (or before the engine runs). */
void motion_start(struct motion *m, const struct motion_spec *spec, float azimuth, float elevation,
		  float distance, uint64_t seed);

/* Advance dt seconds and write the place (azimuth wrapped to [-180,180)).
 * Writes nothing while the motion is not active, so that a place set from
 * outside after a sweep has ended, or with none, is left alone; the step
 * on which a sweep arrives writes exactly its target. Audio thread. */
void motion_step(struct motion *m, float dt, float *azimuth, float *elevation, float *distance);

/* Whether motion_step still moves the source: false for none, a finished
 * sweep, an orbit at 0 deg/s and a wander of 0 degrees. */
bool motion_active(const struct motion *m);

#endif
