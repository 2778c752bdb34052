#include "config.h"
#include "control/trackers.h"

#include <math.h>

#include "common/quat.h"
#include "rt/engine.h"

#define DEG (3.14159265358979323846 / 180.0)

/* Right-handed turns by deg degrees about x, y and z. */
static struct quat about_x(double deg) { return (struct quat){ cos(0.5 * DEG * deg), sin(0.5 * DEG * deg), 0, 0 }; }
static struct quat about_y(double deg) { return (struct quat){ cos(0.5 * DEG * deg), 0, sin(0.5 * DEG * deg), 0 }; }
static struct quat about_z(double deg) { return (struct quat){ cos(0.5 * DEG * deg), 0, 0, sin(0.5 * DEG * deg) }; }

static void put(struct quat a, struct head_quat *q)
{
	q->w = (float)a.w;
	q->x = (float)a.x;
	q->y = (float)a.y;
	q->z = (float)a.z;
}

/* A rotation of what is heard (sources, the scene) is the head turned
 * the other way: the conjugate. */
static void put_inverse(struct quat a, struct head_quat *q)
{
	put((struct quat){ a.w, -a.x, -a.y, -a.z }, q);
}

void head_from_ypr(float yaw, float pitch, float roll, struct head_quat *q)
{
	/* As listener_set_ypr: nose up is a negative turn about the left ear. */
	put(quat_mul(quat_mul(about_z(yaw), about_y(-(double)pitch)), about_x(roll)), q);
}

void head_to_ypr(const struct head_quat *q, float *yaw, float *pitch, float *roll)
{
	double w = q->w, x = q->x, y = q->y, z = q->z;
	/* q = about_z(Y) about_y(T) about_x(R), pitch = -T. */
	double s = 2.0 * (w * y - z * x);
	s = s > 1.0 ? 1.0 : s < -1.0 ? -1.0 : s;
	*yaw = (float)(atan2(2.0 * (w * z + x * y), 1.0 - 2.0 * (y * y + z * z)) / DEG);
	*pitch = (float)(-asin(s) / DEG);
	*roll = (float)(atan2(2.0 * (w * x + y * z), 1.0 - 2.0 * (x * x + y * y)) / DEG);
}

bool head_normalise(struct head_quat *q)
{
	if (!isfinite(q->w) || !isfinite(q->x) || !isfinite(q->y) || !isfinite(q->z))
		return false;
	double n = sqrt((double)q->w * q->w + (double)q->x * q->x + (double)q->y * q->y + (double)q->z * q->z);
	if (!(n > 1e-6) || !isfinite(n))
		return false;
	q->w = (float)(q->w / n);
	q->x = (float)(q->x / n);
	q->y = (float)(q->y / n);
	q->z = (float)(q->z / n);
	return true;
}

void head_from_sparta(float yaw, float pitch, float roll, struct head_quat *q)
{
	/* Sources are rendered at Rz^T Ry^T Rx^T v (trackers.h). */
	put_inverse(quat_mul(quat_mul(about_z(yaw), about_y(pitch)), about_x(roll)), q);
}

void head_from_iem(float yaw, float pitch, float roll, struct head_quat *q)
{
	/* The scene is turned by Rx Ry Rz: yaw first, about the room's axes. */
	put_inverse(quat_mul(quat_mul(about_x(roll), about_y(pitch)), about_z(yaw)), q);
}

bool head_from_iem_quaternion(float w, float x, float y, float z, struct head_quat *q)
{
	struct head_quat s = { w, x, y, z };
	if (!head_normalise(&s))
		return false;
	put_inverse((struct quat){ s.w, s.x, s.y, s.z }, q);
	return true;
}

float adm_distance_m(float dist)
{
	float d = dist > 1.0f ? 1.0f : dist > 0.0f ? dist : 0.0f;
	return ENGINE_MIN_DISTANCE + d * (ADM_SPHERE_M - ENGINE_MIN_DISTANCE);
}

void adm_xyz_to_aed(float x, float y, float z, float aed[3])
{
	/* ADM-OSC's x is to the right: tingle's left axis is -x. */
	double d = sqrt((double)x * x + (double)y * y + (double)z * z);
	aed[0] = d > 0.0 ? (float)(atan2(-(double)x, y) / DEG) : 0.0f;
	aed[1] = d > 0.0 ? (float)(atan2(z, hypot(x, y)) / DEG) : 0.0f;
	aed[2] = d > 1.0 ? 1.0f : (float)d;
}
