/* Head tracking: where the listener's head points, and from where the head
 * then hears a source that sits still in the room.
 *
 * Frame (SOFA, DESIGN "Coordinates"): x front, y left, z up; azimuth
 * counter-clockwise from the front (+90 left), elevation +90 above.
 * The quaternion is the head's rotation in that frame: it carries the
 * head's own axes (nose, left ear, crown) to where they point in the room.
 *
 * Yaw, pitch and roll, in degrees, are applied in this order, each about
 * the head's axes as the previous one left them (intrinsic z-y'-x''):
 *   yaw   Y about z (up):        + = head turned left (counter-clockwise
 *                                seen from above, like azimuth);
 *   pitch P about y' (left ear): + = nose up, which is a rotation about
 *                                the left axis by -P (a positive rotation
 *                                about y turns the nose down);
 *   roll  R about x'' (nose):    + = right ear down, a positive rotation
 *                                about x (the left ear goes up).
 *   q = (cos Y/2, 0, 0, sin Y/2) * (cos P/2, 0, -sin P/2, 0) * (cos R/2, sin R/2, 0, 0)
 *
 * What the head hears (listener_apply, the inverse rotation):
 *   yaw +90:   a source at azimuth 0 is heard at azimuth -90 (right ear);
 *   pitch +30: a source ahead at elevation 0 is heard at elevation -30;
 *   roll +90:  a source at azimuth -90 (right) is heard at elevation +90
 *              (above: the crown now points to the room's right) and one
 *              at azimuth +90 (left) from below.
 *
 * Everything here is plain arithmetic, fit for the audio thread. */
#ifndef TINGLE_LISTENER_H
#define TINGLE_LISTENER_H

#include <stdbool.h>

struct listener {
	float w, x, y, z;  /* unit quaternion, the head's rotation in the SOFA frame */
};

/* Facing the front, level: the identity (1, 0, 0, 0). */
void listener_reset(struct listener *l);

/* Yaw, pitch, roll in degrees as above. A non-finite angle leaves the
 * listener unchanged. */
void listener_set_ypr(struct listener *l, float yaw, float pitch, float roll);

/* Any non-zero quaternion, normalised here (q and -q are the same turn).
 * Returns false, leaving the listener unchanged, for a zero or non-finite
 * one. */
bool listener_set_quaternion(struct listener *l, float w, float x, float y, float z);

/* A source's direction in the room (degrees) -> the direction the head
 * hears it from: azimuth in [-180, 180), elevation in [-90, 90]. */
void listener_apply(const struct listener *l, float azimuth, float elevation, float *head_az,
		    float *head_el);

#endif
