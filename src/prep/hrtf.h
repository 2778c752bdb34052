/* HRTF sets: a SOFA file read with libmysofa in a child process, checked,
 * resampled to the engine rate, with each impulse response's onset delay
 * kept apart from it (Data.Delay where the file has per-direction delays,
 * else the onset measured in each response, which is then removed: the
 * stored responses are aligned, so that blending neighbours does not
 * comb-filter), a triangulation of the measured directions for
 * interpolation (src/prep/hrtf_mesh.c) and a table that maps any direction
 * to the nearest measured one, so that the audio thread never calls
 * libmysofa. */
#ifndef TINGLE_HRTF_H
#define TINGLE_HRTF_H

#include "common/limits.h"
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Direction table: one entry per degree of azimuth and elevation. */

/* A vertex that is no direction: one of the helpers near the head centre
 * the triangulation starts from, left on the hull where the measurements
 * do not surround the head. */
#define HRTF_NO_VERTEX UINT32_MAX

/* A triangle of measured (or virtual) directions. A direction q (unit
 * vector) lies in its cone when every weight m q is >= 0; the weights,
 * divided by their sum, are its barycentric weights. */
struct hrtf_tri {
	float m[9];             /* inverse of the matrix with the vertices' unit vectors as columns,
				 * row-major */
	uint32_t v[3];          /* direction, virtual vertex (>= n_dirs) or HRTF_NO_VERTEX */
	int32_t nb[3];          /* the triangle across the edge facing v[i] */
};

/* The triangulation, one per measured distance (shell); most sets have
 * one. Virtual vertices n_dirs .. n_dirs + n_virtual - 1 stand at poles
 * nothing was measured near: each is the average of the measured
 * directions virt_list[virt_start[k] .. virt_start[k + 1]). */
struct hrtf_mesh {
	unsigned n_shells;
	float *shell_distance;  /* metres, ascending */
	unsigned n_virtual;
	uint32_t *virt_start;   /* n_virtual + 1 */
	uint32_t *virt_list;
	float *virt_unit;       /* unit vectors of the virtual vertices, 3 each */
	unsigned n_tris;
	struct hrtf_tri *tri;   /* shell by shell; nb[] index this array */
	uint32_t *cell;         /* [shell][el + 90][az index]: a triangle whose cone holds the
				 * grid direction (same grid as table) */
};

struct hrtf_set {
	char *path;
	unsigned rate;          /* sample rate of ir[] (the engine's) */
	unsigned file_rate;     /* the file's own rate */
	unsigned n_dirs;        /* measured directions */
	unsigned length;        /* taps per ear (onset delays removed) */
	float *azimuth;         /* per direction, degrees, [-180,180), SOFA convention */
	float *elevation;       /* per direction, degrees */
	float *distance;        /* per direction, metres */
	float *ir;              /* [dir][ear: 0 left, 1 right][tap], n_dirs*2*length, aligned */
	float *delay;           /* [dir][ear]: what comes before ir, samples at rate (>= 0) */
	bool delay_measured;    /* delay is the measured onset (the file has no per-direction
				 * Data.Delay) */
	float delay_late;       /* samples in every measured delay that are not in the file:
				 * responses that start too early are moved later to keep a
				 * few samples before their onset (ir[i] = file's ir(i + delay
				 * - Data.Delay - delay_late)) */
	uint32_t *table;        /* [el + 90][az index], HRTF_GRID_EL*HRTF_GRID_AZ: nearest */
	float max_delay;        /* largest delay, samples at rate */
	struct hrtf_mesh mesh;
};

/* How long hrtf_load lets a load take (the 41,527-direction sets take a
 * few seconds). */
#define HRTF_LOAD_TIMEOUT_S 30.0

/* What hrtf_load_limited returns on failure. */
#define HRTF_LOAD_ERROR (-1)     /* the file or the arguments are bad */
#define HRTF_LOAD_TIMEOUT (-2)   /* the time limit passed */
#define HRTF_LOAD_CANCELLED (-3) /* *cancel became non-zero */

/* Load and check path at rate. Returns 0, or a negative value with err set
 * to a message that names the file and says what is wrong (not a regular
 * file; larger than TINGLE_SOFA_FILE_MAX_BYTES; libmysofa's error in words;
 * filter length 0; non-finite samples; fewer than 2 directions; not two
 * receivers; ...). Nothing leaks on failure.
 *
 * All libmysofa work runs in a child process (fork, no exec), which sends
 * the finished set back through a pipe; the calling thread never calls
 * libmysofa, so a crash inside libmysofa is an error message, and the
 * caller regains control within 50 ms of the time limit (timeout_s; 0,
 * negative or NaN means HRTF_LOAD_TIMEOUT_S, INFINITY none) passing or
 * *cancel (may be NULL) becoming non-zero: the child is then killed and
 * reaped. Blocks the calling thread (a control or loader thread, never the
 * audio thread) for the whole load. fork() write-protects the caller's
 * memory: every page another thread writes afterwards costs one minor page
 * fault (once per load). */
int hrtf_load_limited(const char *path, unsigned rate, double timeout_s, const atomic_int *cancel,
		      struct hrtf_set **out, char *err, size_t errlen);
/* hrtf_load_limited with HRTF_LOAD_TIMEOUT_S and no cancel flag. */
int hrtf_load(const char *path, unsigned rate, struct hrtf_set **out, char *err, size_t errlen);
void hrtf_free(struct hrtf_set *h);

/* Nearest measured direction to (azimuth, elevation) in degrees, from the
 * table: no allocation, no libmysofa, safe on the audio thread. Azimuth is
 * wrapped, elevation clamped. */
unsigned hrtf_nearest(const struct hrtf_set *h, float azimuth, float elevation);

/* The triangulation of h's directions into h->mesh (replacing any), with
 * its cell table. Control thread. Returns 0, or -1 with err set (out of
 * memory). hrtf_load does this; tests that make sets by hand call it. */
int hrtf_mesh_build(struct hrtf_set *h, char *err, size_t errlen);
void hrtf_mesh_free(struct hrtf_mesh *m);
/* The shell whose distance is nearest to d metres. */
unsigned hrtf_mesh_shell(const struct hrtf_mesh *m, float d);

/* Add src (n samples) delayed by delay samples (>= 0, fractional allowed)
 * into dst (dst_len samples, which the caller zeroes first). A fraction is
 * applied with a 32-tap Blackman-windowed sinc normalised to unit DC gain;
 * an integer delay moves the samples unchanged. Taps that would fall
 * before dst[0] or past dst_len are dropped, so dst_len = n + ceil(delay)
 * + 16 keeps the whole result. Control thread (uses libm). */
void hrtf_fractional_delay(float *dst, size_t dst_len, const float *src, size_t n, double delay);

static inline const float *hrtf_ir(const struct hrtf_set *h, unsigned dir, int ear)
{
	return h->ir + ((size_t)dir * 2 + (size_t)ear) * h->length;
}

#endif
