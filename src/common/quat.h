/* Rotations as unit quaternions (w x y z), in double precision: one
 * product for the listener's head (rt/listener.c, on the audio thread)
 * and the head trackers' conventions (control/trackers.c). Header only:
 * nothing here allocates or locks. */
#ifndef TINGLE_QUAT_H
#define TINGLE_QUAT_H

struct quat {
	double w, x, y, z;
};

/* Hamilton product a*b: the turn b, then a (for intrinsic axes: a, then b
 * about the axes a left). */
static inline struct quat quat_mul(struct quat a, struct quat b)
{
	return (struct quat){
		a.w * b.w - a.x * b.x - a.y * b.y - a.z * b.z,
		a.w * b.x + a.x * b.w + a.y * b.z - a.z * b.y,
		a.w * b.y - a.x * b.z + a.y * b.w + a.z * b.x,
		a.w * b.z + a.x * b.y - a.y * b.x + a.z * b.w,
	};
}

#endif
