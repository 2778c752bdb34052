/* Head trackers and object panners that speak their own OSC, read in
 * their own conventions and turned into tingle's (DESIGN "Coordinates",
 * rt/listener.h: x front, y left, z up; the head's rotation as a unit
 * quaternion w x y z; yaw + = head turned left, pitch + = nose up, roll +
 * = right ear down, applied yaw, then pitch, then roll about the head's
 * own axes). Plain arithmetic, called from the control threads.
 *
 * Where each convention comes from (the senders' own code, which is what
 * a tracker set up for that receiver has been tuned against):
 *
 * SPARTA (Leo McCormack's plug-ins: sparta_binauraliser, sparta_rotator;
 * /ypr f f f, /yaw, /pitch, /roll, degrees). Their rotation is
 * Spatial_Audio_Framework's yawPitchRoll2Rzyx (saf_utility_geometry.c:
 * R = Rx(roll) Ry(pitch) Rz(yaw) with Rz = [c s 0; -s c 0; 0 0 1] and so
 * on), applied to every source direction as a row vector (binauraliser.c:
 * dirs_rot = dirs R). So a source at direction v is rendered at
 *   Rz(yaw)^T Ry(pitch)^T Rx(roll)^T v,
 * the right-handed rotations by +yaw about z, +pitch about y, +roll about
 * x: yaw +30 renders a front source at azimuth +30 (the head turned 30
 * degrees to the right), pitch + renders it below (nose up), roll +
 * renders a source on the right below (left ear down). Their "flip"
 * switches, off by default, negate an angle; tingle follows the default.
 *
 * IEM Plug-in Suite SceneRotator (/SceneRotator/ypr f f f, /yaw, /pitch,
 * /roll in degrees, /SceneRotator/quaternions w x y z; IEM's OSC
 * interface is /PLUGIN/PARAMETER). SceneRotator/PluginProcessor.cpp turns
 * the scene by the matrix of "yaw -> pitch -> roll (extrinsic rotations)"
 * (its default sequence) in the Ambisonic frame x front, y left, z up:
 *   Rx(roll) Ry(pitch) Rz(yaw), right-handed,
 * and its quaternion is that same rotation of the scene (updateQuaternions
 * builds qx(roll) qy(pitch) qz(yaw)). Single angles then mean what
 * SPARTA's do (yaw + turns the scene to the left, i.e. the head to the
 * right); the order of the three differs. Its invert switches (off by
 * default) are not followed.
 *
 * ADM-OSC (immersive-audio-live/ADM-OSC, docs/adm-osc-quick-reference.md,
 * v1.0): /adm/lis/ypr f f f is the listener's orientation in degrees,
 * "yaw positive = left, pitch positive = up, roll positive = tilt right":
 * tingle's own signs. The specification names no order; tingle's is used.
 * /adm/obj/N/azim (degrees, 0 front, positive left: as tingle), /elev
 * (degrees, + up), /dist (normalised 0..1, 1 = on the reference sphere),
 * /aed (the three), /xyz (normalised -1..1, x right, y front, z up).
 * Out-of-range values are clamped, as its receiver checklist asks. */
#ifndef TINGLE_TRACKERS_H
#define TINGLE_TRACKERS_H

#include <stdbool.h>

/* The head's rotation, as rt/listener.h and ENGINE_CMD_LISTENER take it. */
struct head_quat {
	float w, x, y, z;
};

/* tingle's own yaw, pitch, roll (degrees) as a quaternion. */
void head_from_ypr(float yaw, float pitch, float roll, struct head_quat *q);
/* And back: yaw and roll in (-180, 180], pitch in [-90, 90]. */
void head_to_ypr(const struct head_quat *q, float *yaw, float *pitch, float *roll);
/* A quaternion made unit length; false for a zero or non-finite one. */
bool head_normalise(struct head_quat *q);

/* SPARTA's /ypr: yaw, pitch, roll in degrees, as above. */
void head_from_sparta(float yaw, float pitch, float roll, struct head_quat *q);
/* IEM SceneRotator's /SceneRotator/ypr. */
void head_from_iem(float yaw, float pitch, float roll, struct head_quat *q);
/* IEM SceneRotator's /SceneRotator/quaternions w x y z (the scene's
 * rotation): the head's. False for a zero or non-finite one. */
bool head_from_iem_quaternion(float w, float x, float y, float z, struct head_quat *q);

/* ADM-OSC's normalised distance 0..1 (clamped) in metres: 0 is as near as
 * a source comes (ENGINE_MIN_DISTANCE), 1 the reference sphere at
 * ADM_SPHERE_M, linear between (the edge of an XY pad is as far). */
#define ADM_SPHERE_M 2.0f
float adm_distance_m(float dist);
/* ADM-OSC's normalised x y z (x right, y front, z up) as azimuth,
 * elevation (degrees) and normalised distance (at most 1). */
void adm_xyz_to_aed(float x, float y, float z, float aed[3]);

#endif
