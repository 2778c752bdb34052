#include "config.h"
#include "rt/listener.h"

#include <math.h>

#include "common/quat.h"
#include "common/util.h"

#define DEG (3.14159265358979323846 / 180.0)

void listener_reset(struct listener *l)
{
	l->w = 1.0f;
	l->x = l->y = l->z = 0.0f;
}

void listener_set_ypr(struct listener *l, float yaw, float pitch, float roll)
{
	if (!isfinite(yaw) || !isfinite(pitch) || !isfinite(roll))
		return;
	double y = 0.5 * DEG * yaw, p = 0.5 * DEG * pitch, r = 0.5 * DEG * roll;
	struct quat qy = { cos(y), 0.0, 0.0, sin(y) };
	/* Nose up turns x towards z: about +y that is a negative angle. */
	struct quat qp = { cos(p), 0.0, -sin(p), 0.0 };
	/* Right ear (-y) down is y towards z: a positive angle about x. */
	struct quat qr = { cos(r), sin(r), 0.0, 0.0 };
	struct quat q = quat_mul(quat_mul(qy, qp), qr);
	l->w = (float)q.w;
	l->x = (float)q.x;
	l->y = (float)q.y;
	l->z = (float)q.z;
}

bool listener_set_quaternion(struct listener *l, float w, float x, float y, float z)
{
	if (!isfinite(w) || !isfinite(x) || !isfinite(y) || !isfinite(z))
		return false;
	/* In double: squares of large floats would overflow a float. */
	double n = sqrt((double)w * w + (double)x * x + (double)y * y + (double)z * z);
	if (!(n > 1e-12))
		return false;
	l->w = (float)(w / n);
	l->x = (float)(x / n);
	l->y = (float)(y / n);
	l->z = (float)(z / n);
	return true;
}

void listener_apply(const struct listener *l, float azimuth, float elevation, float *head_az,
		    float *head_el)
{
	if (l->w == 1.0f && l->x == 0.0f && l->y == 0.0f && l->z == 0.0f) {
		/* The head as it started (most of a show): the room as it is. */
		*head_az = wrap_azimuth(azimuth);
		*head_el = fminf(fmaxf(elevation, -90.0f), 90.0f);
		return;
	}
	double az = DEG * azimuth, el = DEG * elevation;
	double vx = cos(el) * cos(az), vy = cos(el) * sin(az), vz = sin(el);
	double w = l->w, x = l->x, y = l->y, z = l->z;
	/* The head's frame sees the room turned back: v' = R(q)^T v, the
	 * transpose of the rotation matrix of q. */
	double hx = (1.0 - 2.0 * (y * y + z * z)) * vx + 2.0 * (x * y + w * z) * vy +
		    2.0 * (x * z - w * y) * vz;
	double hy = 2.0 * (x * y - w * z) * vx + (1.0 - 2.0 * (x * x + z * z)) * vy +
		    2.0 * (y * z + w * x) * vz;
	double hz = 2.0 * (x * z + w * y) * vx + 2.0 * (y * z - w * x) * vy +
		    (1.0 - 2.0 * (x * x + y * y)) * vz;
	/* atan2 of both parts rather than asin: no NaN from a length that
	 * rounding left a hair above 1. */
	*head_az = wrap_azimuth((float)(atan2(hy, hx) / DEG));
	*head_el = fminf(fmaxf((float)(atan2(hz, hypot(hx, hy)) / DEG), -90.0f), 90.0f);
}
