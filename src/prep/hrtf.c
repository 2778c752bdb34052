#include "config.h"
#include "prep/hrtf.h"

#include "common/limits.h"
#include "common/log.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <mysofa.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Limits of what tingle accepts. */
#define FILE_RATE_MIN 1000.0
#define FILE_RATE_MAX 1000000.0
#define MAX_IR_SECONDS 1.0          /* longer is not an HRIR */
#define MAX_DELAY_SECONDS 0.1       /* Data.Delay beyond this is absurd */

/* Fractional delay: windowed sinc of 2 * FD_HALF taps (Blackman window).
 * Fractions closer than FD_EPS to an integer are taken as that integer, so
 * integer delays move the IR without touching it. */
#define FD_HALF 16
#define FD_EPS 1e-4

#define RAD_PER_DEG (M_PI / 180.0)
#define DEG_PER_RAD (180.0 / M_PI)

/* Onsets, where the file gives no per-direction delay: first the point
 * where |ir| reaches ONSET_DB below its peak, looked for between samples.
 * A threshold is robust for HRIRs where a cross-correlation of the two
 * ears is not (it jumps between peaks of the pinna's response; on MIT
 * KEMAR the -20 dB onsets give an ITD that is smooth and monotonic in
 * azimuth); then each onset is moved, by a few samples at most, to where
 * its response is in step with its neighbours' (refine_onsets), which is
 * what blending them needs. Every response keeps about ONSET_LEAD samples
 * before its onset (the rise into it). */
#define ONSET_DB (-20.0)
#define ONSET_LEAD 8.0

/* Aligning responses moves them by fractions of a sample: a Kaiser-windowed
 * sinc of 2 * ALIGN_HALF taps, flat within 0.01 dB to 0.42 of the rate, as
 * this happens once per load. */
#define ALIGN_HALF 32
#define ALIGN_BETA 9.0

/* libmysofa's error codes in words. Its reader also hands back errno
 * values (ENOENT for a missing file, EINVAL, ...). */
static const char *mysofa_strerror(int code, char *buf, size_t n)
{
	switch (code) {
	case MYSOFA_OK:
		return "no error";
	case MYSOFA_INTERNAL_ERROR:
		return "internal error in libmysofa";
	case MYSOFA_INVALID_FORMAT:
		return "not a SOFA file libmysofa can read (libmysofa error 10000, "
		       "\"invalid format\"; it reads only SOFA files of the "
		       "SimpleFreeFieldHRIR convention with FIR data measured in a free field, "
		       "and many real files fail this way)";
	case MYSOFA_UNSUPPORTED_FORMAT:
		return "unsupported format (libmysofa error 10001)";
	case MYSOFA_NO_MEMORY:
		return "out of memory (libmysofa error 10002)";
	case MYSOFA_READ_ERROR:
		return "read error: the file is truncated or damaged (libmysofa error 10003)";
	case MYSOFA_INVALID_ATTRIBUTES:
		return "missing or invalid SOFA attributes (libmysofa error 10004)";
	case MYSOFA_INVALID_DIMENSIONS:
		return "invalid dimensions (libmysofa error 10005)";
	case MYSOFA_INVALID_DIMENSION_LIST:
		return "a variable has an invalid dimension list (libmysofa error 10006)";
	case MYSOFA_INVALID_COORDINATE_TYPE:
		return "invalid coordinate type (libmysofa error 10007)";
	case MYSOFA_ONLY_EMITTER_WITH_ECI_SUPPORTED:
		return "only one emitter at the source position is supported (libmysofa error 10008)";
	case MYSOFA_ONLY_DELAYS_WITH_IR_OR_MR_SUPPORTED:
		return "Data.Delay must hold one pair or one pair per measurement (libmysofa error 10009)";
	case MYSOFA_ONLY_THE_SAME_SAMPLING_RATE_SUPPORTED:
		return "only one sampling rate for all measurements is supported (libmysofa error 10010)";
	case MYSOFA_RECEIVERS_WITH_RCI_SUPPORTED:
		return "receiver positions must have dimensions R,C,I (libmysofa error 10011)";
	case MYSOFA_RECEIVERS_WITH_CARTESIAN_SUPPORTED:
		return "receiver positions must be Cartesian (libmysofa error 10012)";
	case MYSOFA_INVALID_RECEIVER_POSITIONS:
		return "invalid receiver positions: the two ears must sit left and right of the "
		       "head centre (libmysofa error 10013)";
	case MYSOFA_ONLY_SOURCES_WITH_MC_SUPPORTED:
		return "source positions must have dimensions M,C (libmysofa error 10014)";
	default:
		break;
	}
	if (code > 0 && code < MYSOFA_INVALID_FORMAT) {
		char tmp[128];
		const char *s = strerror_r(code, tmp, sizeof tmp);
		snprintf(buf, n, "%s (error %d)", s, code);
	} else {
		snprintf(buf, n, "unknown libmysofa error %d", code);
	}
	return buf;
}

static bool all_finite(const float *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isfinite(v[i]))
			return false;
	return true;
}

/* Blackman window on [-FD_HALF, FD_HALF], zero at both ends. */
static double fd_window(double t)
{
	double x = M_PI * t / FD_HALF;
	return 0.42 + 0.5 * cos(x) + 0.08 * cos(2.0 * x);
}

void hrtf_fractional_delay(float *dst, size_t dst_len, const float *src, size_t n, double delay)
{
	if (!(delay >= 0.0) || !isfinite(delay))
		delay = 0.0;
	double whole = floor(delay);
	double frac = delay - whole;
	if (frac > 1.0 - FD_EPS) {
		whole += 1.0;
		frac = 0.0;
	}
	if (whole >= (double)dst_len)
		return;
	size_t d = (size_t)whole;
	if (frac < FD_EPS) {
		for (size_t k = 0; k < n && d + k < dst_len; k++)
			dst[d + k] += src[k];
		return;
	}
	/* Tap j (j = 1 - FD_HALF .. FD_HALF) carries src[k] to dst[d + k + j]:
	 * the kernel is sinc(j - frac) under the window, normalised to unit
	 * gain at DC. Taps that would land before dst[0] are dropped (the
	 * pre-ringing of delays shorter than FD_HALF). */
	double h[2 * FD_HALF];
	double sum = 0.0;
	for (int j = 1 - FD_HALF; j <= FD_HALF; j++) {
		double t = (double)j - frac;
		double v = sin(M_PI * t) / (M_PI * t) * fd_window(t);
		h[j + FD_HALF - 1] = v;
		sum += v;
	}
	for (int i = 0; i < 2 * FD_HALF; i++)
		h[i] /= sum;
	for (int j = 1 - FD_HALF; j <= FD_HALF; j++) {
		float w = (float)h[j + FD_HALF - 1];
		/* dst index d + k + j, for k in [0, n). */
		long long first = (long long)d + j;
		size_t k0 = first < 0 ? (size_t)(-first) : 0;
		for (size_t k = k0; k < n; k++) {
			size_t o = (size_t)(first + (long long)k);
			if (o >= dst_len)
				break;
			dst[o] += w * src[k];
		}
	}
}

/* dst[i] = src(i + shift) for i in [0, n), shift >= 0: the response moved
 * earlier by shift samples, band-limited interpolation between samples.
 * What would come from past the end of src is zero. */
static void advance_ir(float *dst, const float *src, unsigned n, double shift)
{
	double whole = floor(shift), frac = shift - whole;
	if (frac > 1.0 - 1e-6) {
		whole += 1.0;
		frac = 0.0;
	}
	size_t d = (size_t)whole;
	if (frac < 1e-6) {
		for (size_t i = 0; i < n; i++)
			dst[i] = i + d < n ? src[i + d] : 0.0f;
		return;
	}
	/* src(m + frac) = sum over j of src[m + j] k(j - frac), j = 1 - ALIGN_HALF
	 * .. ALIGN_HALF; the window is zero at its ends. */
	double k[2 * ALIGN_HALF], sum = 0.0, i0b = bessel_i0(ALIGN_BETA);
	for (int j = 1 - ALIGN_HALF; j <= ALIGN_HALF; j++) {
		double t = (double)j - frac, u = t / ALIGN_HALF;
		double win = fabs(u) >= 1.0 ? 0.0 : (bessel_i0(ALIGN_BETA * sqrt(1.0 - u * u)) - 1.0) / (i0b - 1.0);
		double v = sin(M_PI * t) / (M_PI * t) * win;
		k[j + ALIGN_HALF - 1] = v;
		sum += v;
	}
	for (size_t i = 0; i < n; i++) {
		double acc = 0.0;
		long long m = (long long)(i + d);
		for (int j = 1 - ALIGN_HALF; j <= ALIGN_HALF; j++) {
			long long at = m + j;
			if (at >= 0 && at < (long long)n)
				acc += k[j + ALIGN_HALF - 1] * (double)src[at];
		}
		dst[i] = (float)(acc / sum);
	}
}

/* The same kernel tabulated at ALIGN_PHASES fractions of a sample, for
 * looking at a response between its samples. */
#define ALIGN_PHASES 64

struct lookbetween {
	double k[ALIGN_PHASES + 1][2 * ALIGN_HALF];
};

static void lookbetween_init(struct lookbetween *L)
{
	const double i0b = bessel_i0(ALIGN_BETA);
	for (int p = 0; p <= ALIGN_PHASES; p++) {
		double frac = (double)p / ALIGN_PHASES, sum = 0.0;
		for (int j = 1 - ALIGN_HALF; j <= ALIGN_HALF; j++) {
			double t = (double)j - frac, u = t / ALIGN_HALF;
			double win = fabs(u) >= 1.0 ? 0.0 : (bessel_i0(ALIGN_BETA * sqrt(1.0 - u * u)) - 1.0) / (i0b - 1.0);
			double v = fabs(t) < 1e-12 ? 1.0 : sin(M_PI * t) / (M_PI * t) * win;
			L->k[p][j + ALIGN_HALF - 1] = v;
			sum += v;
		}
		for (int j = 0; j < 2 * ALIGN_HALF; j++)
			L->k[p][j] /= sum;
	}
}

/* |ir(t)|, t in samples, to the nearest 1/ALIGN_PHASES. */
static double abs_at(const struct lookbetween *L, const float *ir, unsigned n, double t)
{
	double fl = floor(t);
	int p = (int)lround((t - fl) * ALIGN_PHASES);
	long long m = (long long)fl;
	double acc = 0.0;
	for (int j = 1 - ALIGN_HALF; j <= ALIGN_HALF; j++) {
		long long at = m + j;
		if (at >= 0 && at < (long long)n)
			acc += L->k[p][j + ALIGN_HALF - 1] * (double)ir[at];
	}
	return fabs(acc);
}

/* Where |ir| first reaches ONSET_DB below its peak, in samples, looked for
 * between the samples (the samples alone would put the same response, a
 * fraction of a sample later, at an onset up to a quarter sample off);
 * -1 for a silent response. */
static double onset_of(const struct lookbetween *L, const float *ir, unsigned n)
{
	unsigned ip = 0;
	for (unsigned i = 1; i < n; i++)
		if (fabsf(ir[i]) > fabsf(ir[ip]))
			ip = i;
	double peak = fabs((double)ir[ip]);
	if (!(peak > 0.0))
		return -1.0;
	for (int k = -16; k <= 16; k++)
		peak = fmax(peak, abs_at(L, ir, n, ip + k / 16.0));
	const double thr = peak * pow(10.0, ONSET_DB / 20.0);
	unsigned i = 0;
	while (i < ip && fabs((double)ir[i]) < thr)
		i++;
	double prev_t = (double)i - 2.0, prev = abs_at(L, ir, n, prev_t);
	if (prev >= thr)
		return fmax(prev_t, 0.0);
	for (int k = 1; k <= 2 * ALIGN_PHASES; k++) {
		double t = (double)i - 2.0 + (double)k / ALIGN_PHASES, v = abs_at(L, ir, n, t);
		if (v >= thr)
			return fmax(prev_t + (t - prev_t) * (thr - prev) / (v - prev), 0.0);
		prev_t = t;
		prev = v;
	}
	return (double)i;
}

/* The measured directions each shares a triangle with, from the
 * triangulation (hrtf_mesh.c): start[d] .. start[d + 1] in list. */
static int mesh_neighbours(const struct hrtf_set *h, uint32_t **start_out, uint32_t **list_out)
{
	const struct hrtf_mesh *m = &h->mesh;
	const unsigned M = h->n_dirs;
	uint32_t *start = calloc((size_t)M + 1, sizeof *start);
	uint32_t *list = malloc(((size_t)m->n_tris * 6 + 1) * sizeof *list);
	if (!start || !list) {
		free(start);
		free(list);
		return -1;
	}
	/* Each edge is in two triangles: count both, keep one. */
	for (int pass = 0; pass < 2; pass++) {
		uint32_t *fill = pass ? calloc((size_t)M, sizeof *fill) : NULL;
		if (pass && !fill) {
			free(start);
			free(list);
			return -1;
		}
		for (unsigned t = 0; t < m->n_tris; t++)
			for (int i = 0; i < 3; i++) {
				uint32_t a = m->tri[t].v[i], b = m->tri[t].v[(i + 1) % 3];
				if (a >= M || b >= M)
					continue;
				for (int k = 0; k < 2; k++) {
					uint32_t from = k ? b : a, to = k ? a : b;
					if (!pass) {
						start[from + 1]++;
						continue;
					}
					bool seen = false;
					for (uint32_t j = start[from]; j < start[from] + fill[from]; j++)
						seen |= list[j] == to;
					if (!seen)
						list[start[from] + fill[from]++] = to;
				}
			}
		if (!pass) {
			for (unsigned d = 0; d < M; d++)
				start[d + 1] += start[d];
		} else {
			/* Close the gaps the repeated edges left. */
			uint32_t out = 0;
			for (unsigned d = 0; d < M; d++) {
				uint32_t from = start[d];
				start[d] = out;
				for (uint32_t j = 0; j < fill[d]; j++)
					list[out++] = list[from + j];
			}
			start[M] = out;
			free(fill);
		}
	}
	*start_out = start;
	*list_out = list;
	return 0;
}

/* sum over t of a[t] b[t + lag] */
static double xcorr_at(const float *a, const float *b, unsigned n, long lag)
{
	double acc = 0.0;
	for (long t = lag < 0 ? -lag : 0; t < (long)n && t + lag < (long)n; t++)
		acc += (double)a[t] * (double)b[t + lag];
	return acc;
}

/* Onsets refined against the neighbours. A threshold finds where each
 * response starts, but not always the same feature of it (a slow swing
 * before the direct sound crosses it in some responses and not in their
 * neighbours': LISTEN's do), and blending needs neighbours in step. So
 * for every pair of neighbours (the triangulation's edges) the lag at
 * which they correlate best is found, within REFINE_REACH samples of what
 * the thresholds say, and the onsets are then the least-squares fit to
 * all those lags (each weighted by how alike the pair is), held loosely to
 * the thresholds' (REFINE_HOLD) so the set does not drift as a whole.
 * on[dir * 2 + ear], responses raw[(dir * 2 + ear) * taps]. */
#define REFINE_REACH 3
#define REFINE_STEPS 16 /* per sample, where the peak is looked for */
#define REFINE_HOLD 0.01
#define REFINE_ROUNDS 200

/* The lag (fractional) at which b correlates best with a, near `near`;
 * *how_alike: the normalised correlation there. */
static double best_lag(const float *a, const float *b, unsigned n, double ea, double eb, double near,
		       double *how_alike)
{
	enum { LAGS = 2 * REFINE_REACH + 5 };
	const long l0 = lround(near) - LAGS / 2;
	double r[LAGS], norm = 1.0 / sqrt(ea * eb);
	for (int l = 0; l < LAGS; l++)
		r[l] = norm * xcorr_at(a, b, n, l0 + l);
	double best = -INFINITY, at = near;
	for (int s = -REFINE_REACH * REFINE_STEPS; s <= REFINE_REACH * REFINE_STEPS; s++) {
		double lag = near + (double)s / REFINE_STEPS, x = lag - (double)l0;
		/* Cubic (4-point Lagrange) between the integer lags. */
		int q = (int)floor(x) - 1;
		q = q < 0 ? 0 : q > LAGS - 4 ? LAGS - 4 : q;
		double f = x - q, v = 0.0;
		for (int i = 0; i < 4; i++) {
			double c = 1.0;
			for (int j = 0; j < 4; j++)
				if (j != i)
					c *= (f - j) / (i - j);
			v += c * r[q + i];
		}
		if (v > best) {
			best = v;
			at = lag;
		}
	}
	*how_alike = best;
	return at;
}

static void refine_onsets(const float *raw, unsigned taps, unsigned M, const uint32_t *start,
			  const uint32_t *list, double *on)
{
	const size_t E = start[M];
	double *held = malloc((size_t)M * 2 * sizeof *held), *energy = malloc((size_t)M * 2 * sizeof *energy);
	double *lag = malloc((E + 1) * sizeof *lag), *weight = malloc((E + 1) * sizeof *weight);
	if (!held || !energy || !lag || !weight)
		goto out; /* the thresholds' onsets stand */
	for (size_t i = 0; i < (size_t)M * 2; i++) {
		held[i] = on[i];
		energy[i] = xcorr_at(raw + i * taps, raw + i * taps, taps, 0);
	}
	for (unsigned ear = 0; ear < 2; ear++) {
		/* Each edge once (d < j), then its mirror. */
		for (unsigned d = 0; d < M; d++)
			for (uint32_t k = start[d]; k < start[d + 1]; k++) {
				unsigned j = list[k];
				size_t a = (size_t)d * 2 + ear, b = (size_t)j * 2 + ear;
				weight[k] = 0.0;
				lag[k] = held[b] - held[a];
				if (j < d || !(energy[a] > 0.0) || !(energy[b] > 0.0))
					continue;
				double alike;
				lag[k] = best_lag(raw + a * taps, raw + b * taps, taps, energy[a], energy[b],
						  held[b] - held[a], &alike);
				weight[k] = alike > 0.0 ? alike * alike : 0.0;
			}
		for (unsigned d = 0; d < M; d++)
			for (uint32_t k = start[d]; k < start[d + 1]; k++) {
				unsigned j = list[k];
				if (j >= d)
					continue;
				for (uint32_t m = start[j]; m < start[j + 1]; m++)
					if (list[m] == d) {
						lag[k] = -lag[m];
						weight[k] = weight[m];
					}
			}
		/* on[b] - on[a] = lag, for every edge a-b, in the least-squares
		 * sense (Gauss-Seidel on the graph). */
		for (int round = 0; round < REFINE_ROUNDS; round++)
			for (unsigned d = 0; d < M; d++) {
				size_t a = (size_t)d * 2 + ear;
				double num = REFINE_HOLD * held[a], den = REFINE_HOLD;
				for (uint32_t k = start[d]; k < start[d + 1]; k++) {
					num += weight[k] * (on[(size_t)list[k] * 2 + ear] - lag[k]);
					den += weight[k];
				}
				on[a] = fmin(fmax(num / den, held[a] - REFINE_REACH), held[a] + REFINE_REACH);
			}
	}
out:
	free(held);
	free(energy);
	free(lag);
	free(weight);
}

/* Great-circle nearest by brute force; used where the k-d tree gives no
 * answer. */
static unsigned nearest_brute(const float *unit, unsigned n, const double q[3])
{
	unsigned best = 0;
	double best_dot = -2.0;
	for (unsigned i = 0; i < n; i++) {
		const float *u = unit + 3 * (size_t)i;
		double dot = q[0] * (double)u[0] + q[1] * (double)u[1] + q[2] * (double)u[2];
		if (dot > best_dot) {
			best_dot = dot;
			best = i;
		}
	}
	return best;
}

/* The table: for every degree of azimuth and elevation the measured
 * direction nearest to it, found with libmysofa's k-d tree at the set's
 * (largest) measurement radius. */
static void build_table(struct hrtf_set *h, struct MYSOFA_LOOKUP *lookup, const float *unit)
{
	float radius = 0.0f;
	for (unsigned i = 0; i < h->n_dirs; i++)
		if (h->distance[i] > radius)
			radius = h->distance[i];
	for (int ei = 0; ei < HRTF_GRID_EL; ei++) {
		double el = (double)(ei - 90) * RAD_PER_DEG;
		for (int ai = 0; ai < HRTF_GRID_AZ; ai++) {
			double az = (double)(ai < 180 ? ai : ai - 360) * RAD_PER_DEG;
			double q[3] = { cos(el) * cos(az), cos(el) * sin(az), sin(el) };
			/* mysofa_lookup rescales the vector it is given. */
			float c[3] = { (float)(q[0] * (double)radius), (float)(q[1] * (double)radius),
				       (float)(q[2] * (double)radius) };
			int idx = lookup ? mysofa_lookup(lookup, c) : -1;
			if (idx < 0 || (unsigned)idx >= h->n_dirs)
				idx = (int)nearest_brute(unit, h->n_dirs, q);
			h->table[(size_t)ei * HRTF_GRID_AZ + (size_t)ai] = (uint32_t)idx;
		}
	}
}

void hrtf_free(struct hrtf_set *h)
{
	if (!h)
		return;
	free(h->path);
	free(h->azimuth);
	free(h->elevation);
	free(h->distance);
	free(h->ir);
	free(h->delay);
	free(h->table);
	hrtf_mesh_free(&h->mesh);
	free(h);
}

/* What a load holds until it succeeds or fails; freed in one place. */
struct loader {
	const char *path;       /* for messages */
	const char *open_path;  /* what libmysofa opens */
	unsigned rate;
	char *err;
	size_t errlen;
	struct MYSOFA_HRTF *mh;
	struct MYSOFA_LOOKUP *lookup;
	struct hrtf_set *h;
	double file_rate;
	unsigned M, N;          /* directions, taps at the file's rate */
	float *delays;          /* per (direction, ear), samples at rate, >= 0 */
	bool delays_vary;       /* Data.Delay differs between directions */
	double max_delay;
	double delay_shift;     /* how much later negative delays moved the set */
	float *unit;            /* unit vectors of the directions */
};

static int out_of_memory(const struct loader *L)
{
	tingle_err(L->err, L->errlen, "%s: out of memory", L->path);
	return -1;
}

/* The raw file, before libmysofa touches it: dimensions first (mysofa_check
 * and the later steps index the arrays by them), then rate and samples. */
static int check_raw(struct loader *L)
{
	const struct MYSOFA_HRTF *mh = L->mh;
	const char *path = L->path;
	char *err = L->err;
	size_t errlen = L->errlen;
	const unsigned M = mh->M, R = mh->R, N = mh->N;

	if (R != 2) {
		tingle_err(err, errlen, "%s: has %u receivers; an HRTF set needs exactly 2 (the two ears)", path, R);
		return -1;
	}
	if (M < 2) {
		tingle_err(err, errlen, "%s: has %u measured direction%s; at least 2 are needed", path, M,
		     M == 1 ? "" : "s");
		return -1;
	}
	if (N == 0) {
		tingle_err(err, errlen, "%s: the impulse responses are empty (filter length 0)", path);
		return -1;
	}
	if (mh->C != 3) {
		tingle_err(err, errlen, "%s: coordinates have %u components, not 3", path, mh->C);
		return -1;
	}
	if ((uint64_t)M * R * N > UINT32_MAX / 2) {
		tingle_err(err, errlen, "%s: the set is too large (%u directions of %u taps)", path, M, N);
		return -1;
	}
	if (!mh->DataIR.values || mh->DataIR.elements != M * R * N) {
		tingle_err(err, errlen, "%s: Data.IR holds %u values, but %u directions x %u ears x %u taps "
		     "need %u", path, mh->DataIR.elements, M, R, N, M * R * N);
		return -1;
	}
	if (!mh->SourcePosition.values || mh->SourcePosition.elements != M * 3) {
		tingle_err(err, errlen, "%s: SourcePosition holds %u values; %u directions need %u", path,
		     mh->SourcePosition.elements, M, M * 3);
		return -1;
	}
	if (!mh->DataSamplingRate.values || mh->DataSamplingRate.elements < 1) {
		tingle_err(err, errlen, "%s: has no sampling rate (Data.SamplingRate)", path);
		return -1;
	}
	if (mh->DataSamplingRate.elements != 1) {
		tingle_err(err, errlen, "%s: has %u sampling rates; one for all measurements is needed", path,
		     mh->DataSamplingRate.elements);
		return -1;
	}
	const double file_rate = mh->DataSamplingRate.values[0];
	if (!isfinite(file_rate) || file_rate <= 0.0) {
		tingle_err(err, errlen, "%s: invalid sampling rate %g Hz", path, file_rate);
		return -1;
	}
	if (file_rate < FILE_RATE_MIN || file_rate > FILE_RATE_MAX) {
		tingle_err(err, errlen, "%s: implausible sampling rate %g Hz (accepted: %g to %g Hz)", path,
		     file_rate, FILE_RATE_MIN, FILE_RATE_MAX);
		return -1;
	}
	if (!all_finite(mh->DataIR.values, mh->DataIR.elements)) {
		tingle_err(err, errlen, "%s: the impulse responses contain non-finite samples (NaN or infinity)", path);
		return -1;
	}
	if (!all_finite(mh->SourcePosition.values, mh->SourcePosition.elements)) {
		tingle_err(err, errlen, "%s: a source position is not finite (NaN or infinity)", path);
		return -1;
	}
	if ((double)N > MAX_IR_SECONDS * file_rate) {
		tingle_err(err, errlen, "%s: impulse responses of %u taps (%.2f s) are too long for an HRTF set",
		     path, N, N / file_rate);
		return -1;
	}
	const double new_n = ceil((double)N * L->rate / file_rate);
	if (new_n > MAX_IR_SECONDS * L->rate || new_n * M * R > (double)(UINT32_MAX / 2)) {
		tingle_err(err, errlen, "%s: resampled from %g to %u Hz, the impulse responses would be too long",
		     path, file_rate, L->rate);
		return -1;
	}
	double energy = 0.0;
	for (size_t i = 0; i < mh->DataIR.elements; i++)
		energy += (double)mh->DataIR.values[i] * (double)mh->DataIR.values[i];
	if (!(energy > 0.0)) {
		tingle_err(err, errlen, "%s: all impulse responses are silent", path);
		return -1;
	}
	L->file_rate = file_rate;
	L->M = M;
	L->N = N;
	return 0;
}

/* Data.Delay: none, one pair for all directions, or a pair each; in
 * samples at the file's rate (SOFA), converted here to samples at the
 * engine rate. (libmysofa 1.3's mysofa_resample scales them the same way,
 * older versions left them at the file's rate; tingle reads them before
 * resampling, so the version does not matter.) */
static int read_delays(struct loader *L)
{
	const struct MYSOFA_HRTF *mh = L->mh;
	const char *path = L->path;
	const unsigned M = L->M, R = mh->R;
	const unsigned nd = mh->DataDelay.values ? mh->DataDelay.elements : 0;
	const double factor = (double)L->rate / L->file_rate;

	if (nd != 0 && nd != R && nd != M * R) {
		tingle_err(L->err, L->errlen, "%s: Data.Delay holds %u values; expected %u (one pair) or %u (a pair "
		     "per direction)", path, nd, R, M * R);
		return -1;
	}
	L->delays = calloc((size_t)M * 2, sizeof *L->delays);
	if (!L->delays)
		return out_of_memory(L);
	double dmin = 0.0, dmax = 0.0;
	for (unsigned m = 0; m < M && nd; m++)
		for (unsigned ear = 0; ear < 2; ear++) {
			double raw = mh->DataDelay.values[nd == R ? ear : m * R + ear];
			if (!isfinite(raw)) {
				tingle_err(L->err, L->errlen, "%s: Data.Delay of direction %u, ear %u is not finite",
				     path, m, ear);
				return -1;
			}
			if (fabs(raw) > MAX_DELAY_SECONDS * L->file_rate) {
				tingle_err(L->err, L->errlen, "%s: Data.Delay of direction %u, ear %u is %g samples "
				     "(%.3f s); more than %g s is not plausible", path, m, ear, raw,
				     raw / L->file_rate, MAX_DELAY_SECONDS);
				return -1;
			}
			double d = raw * factor;
			L->delays[(size_t)m * 2 + ear] = (float)d;
			if (d < dmin)
				dmin = d;
			if (d > dmax)
				dmax = d;
		}
	/* Negative delays cannot be applied causally: the whole set is moved
	 * later by the most negative one, which keeps every interaural and
	 * inter-direction difference. */
	if (dmin < 0.0) {
		for (size_t i = 0; i < (size_t)M * 2; i++)
			L->delays[i] = fmaxf((float)((double)L->delays[i] - dmin), 0.0f);
		dmax -= dmin;
		L->delay_shift = -dmin; /* logged by the parent */
	}
	if (dmax > MAX_DELAY_SECONDS * L->rate) {
		tingle_err(L->err, L->errlen, "%s: the delays in Data.Delay span %.3f s; more than %g s is not "
		     "plausible", path, dmax / L->rate, MAX_DELAY_SECONDS);
		return -1;
	}
	L->max_delay = dmax;
	for (unsigned m = 1; nd == M * R && m < M; m++)
		for (unsigned ear = 0; ear < 2; ear++)
			if (L->delays[(size_t)m * 2 + ear] != L->delays[ear])
				L->delays_vary = true;
	return 0;
}

/* The steps of mysofa_open(), taken one by one so that tingle checks the
 * raw data before libmysofa resamples it, knows the file's own rate and
 * delays, and can say which step failed. (mysofa_open also builds a
 * neighbour table, which serves only its own interpolation.) */
static int run_libmysofa(struct loader *L)
{
	char ebuf[256];
	const char *path = L->path;
	int e = 0;

	L->mh = mysofa_load(L->open_path, &e);
	if (!L->mh) {
		if (e == MYSOFA_OK)
			e = MYSOFA_INTERNAL_ERROR;
		tingle_err(L->err, L->errlen, "%s: cannot load HRTF set: %s", path,
		     mysofa_strerror(e, ebuf, sizeof ebuf));
		return -1;
	}
	if (check_raw(L) < 0 || read_delays(L) < 0)
		return -1;
	struct MYSOFA_HRTF *mh = L->mh;
	e = mysofa_check(mh);
	if (e != MYSOFA_OK) {
		tingle_err(L->err, L->errlen, "%s: %s", path, mysofa_strerror(e, ebuf, sizeof ebuf));
		return -1;
	}
	e = mysofa_resample(mh, (float)L->rate);
	if (e != MYSOFA_OK) {
		tingle_err(L->err, L->errlen, "%s: resampling from %g to %u Hz failed: %s", path, L->file_rate,
		     L->rate, mysofa_strerror(e, ebuf, sizeof ebuf));
		return -1;
	}
	if (mh->N == 0 || mh->M != L->M || mh->R != 2 || !mh->DataIR.values ||
	    mh->DataIR.elements != mh->M * mh->R * mh->N) {
		tingle_err(L->err, L->errlen, "%s: resampling from %g to %u Hz gave inconsistent data", path,
		     L->file_rate, L->rate);
		return -1;
	}
	mysofa_loudness(mh);
	if (!all_finite(mh->DataIR.values, mh->DataIR.elements)) {
		tingle_err(L->err, L->errlen, "%s: loudness normalisation failed (the frontal impulse response "
		     "is silent?)", path);
		return -1;
	}
	mysofa_tocartesian(mh);
	if (!mh->SourcePosition.values || mh->SourcePosition.elements != L->M * 3 ||
	    !all_finite(mh->SourcePosition.values, mh->SourcePosition.elements)) {
		tingle_err(L->err, L->errlen, "%s: the source positions cannot be converted to Cartesian "
		     "coordinates", path);
		return -1;
	}
	L->lookup = mysofa_lookup_init(mh);
	if (!L->lookup) {
		tingle_err(L->err, L->errlen, "%s: libmysofa cannot build its direction lookup (source positions "
		     "are neither Cartesian nor spherical, or out of memory)", path);
		return -1;
	}
	return 0;
}

/* Directions, aligned IRs and their delays, and the table, into plain
 * arrays. */
static int copy_out(struct loader *L)
{
	const struct MYSOFA_HRTF *mh = L->mh;
	const char *path = L->path;
	const unsigned M = L->M, taps = mh->N;

	struct hrtf_set *h = L->h = calloc(1, sizeof *h);
	if (!h)
		return out_of_memory(L);
	h->rate = L->rate;
	h->file_rate = (unsigned)lround(L->file_rate);
	h->n_dirs = M;
	h->path = strdup(path);
	h->azimuth = malloc((size_t)M * sizeof *h->azimuth);
	h->elevation = malloc((size_t)M * sizeof *h->elevation);
	h->distance = malloc((size_t)M * sizeof *h->distance);
	h->table = malloc((size_t)HRTF_GRID_EL * HRTF_GRID_AZ * sizeof *h->table);
	L->unit = malloc((size_t)M * 3 * sizeof *L->unit);
	if (!h->path || !h->azimuth || !h->elevation || !h->distance || !h->table || !L->unit)
		return out_of_memory(L);

	for (unsigned m = 0; m < M; m++) {
		const float *p = mh->SourcePosition.values + (size_t)m * 3;
		double x = p[0], y = p[1], z = p[2];
		double r = sqrt(x * x + y * y + z * z);
		if (!(r > 0.0) || !isfinite(r)) {
			tingle_err(L->err, L->errlen, "%s: measurement %u has its source at the centre of the head, "
			     "which is no direction", path, m);
			return -1;
		}
		h->azimuth[m] = wrap_azimuth((float)(atan2(y, x) * DEG_PER_RAD));
		h->elevation[m] = (float)(atan2(z, hypot(x, y)) * DEG_PER_RAD);
		h->distance[m] = (float)r;
		L->unit[(size_t)m * 3 + 0] = (float)(x / r);
		L->unit[(size_t)m * 3 + 1] = (float)(y / r);
		L->unit[(size_t)m * 3 + 2] = (float)(z / r);
	}

	/* The responses keep their length (a few samples more where one starts
	 * too early to keep ONSET_LEAD before it); their onset delays go apart. */
	const float *raw = mh->DataIR.values; /* [direction][ear][tap], R == 2 */
	size_t total = (size_t)M * 2 * taps;
	h->delay = malloc((size_t)M * 2 * sizeof *h->delay);
	if (!h->delay)
		return out_of_memory(L);
	if (L->delays_vary) {
		/* The file's own delays: its responses are aligned already. */
		h->length = taps;
		h->ir = malloc(total * sizeof *h->ir);
		if (!h->ir)
			return out_of_memory(L);
		memcpy(h->ir, raw, total * sizeof *h->ir);
		for (size_t i = 0; i < (size_t)M * 2; i++)
			h->delay[i] = L->delays[i];
	} else {
		h->delay_measured = true;
		double *onset = malloc((size_t)M * 2 * sizeof *onset);
		struct lookbetween *look = malloc(sizeof *look);
		if (!onset || !look) {
			free(onset);
			free(look);
			return out_of_memory(L);
		}
		lookbetween_init(look);
		double lo = INFINITY, sum = 0.0;
		unsigned counted = 0;
		for (size_t i = 0; i < (size_t)M * 2; i++) {
			onset[i] = onset_of(look, raw + i * taps, taps);
			if (onset[i] >= 0.0) {
				sum += onset[i];
				counted++;
			}
		}
		free(look);
		/* check_raw made sure some response is not silent; a silent one
		 * gets the mean onset, so that it does not pull the delays of
		 * blends off. */
		const double mean = counted ? sum / counted : 0.0;
		for (size_t i = 0; i < (size_t)M * 2; i++)
			if (onset[i] < 0.0)
				onset[i] = mean;
		/* Neighbours from the triangulation (built again, from the checked
		 * directions, by the parent). */
		uint32_t *nb_start = NULL, *nb_list = NULL;
		if (hrtf_mesh_build(h, NULL, 0) == 0 && mesh_neighbours(h, &nb_start, &nb_list) == 0)
			refine_onsets(raw, taps, M, nb_start, nb_list, onset);
		free(nb_start);
		free(nb_list);
		hrtf_mesh_free(&h->mesh);
		for (size_t i = 0; i < (size_t)M * 2; i++)
			lo = fmin(lo, onset[i]);
		/* Every onset lands at `lead`, which is chosen so that the
		 * earliest response moves by whole samples (a set of pulses
		 * stays pulses); responses that start earlier than that move
		 * later, by `late` at most. */
		const double lead = ONSET_LEAD + (lo - floor(lo));
		const double late = fmax(lead - lo, 0.0);
		const size_t extra = (size_t)ceil(late);
		h->delay_late = (float)late;
		h->length = taps + (unsigned)extra;
		total = (size_t)M * 2 * h->length;
		h->ir = malloc(total * sizeof *h->ir);
		float *tmp = malloc(h->length * sizeof *tmp);
		if (!h->ir || !tmp) {
			free(onset);
			free(tmp);
			return out_of_memory(L);
		}
		for (size_t i = 0; i < (size_t)M * 2; i++) {
			double shift = onset[i] - lead;
			float *dst = h->ir + i * h->length;
			/* Moved later first by `extra` (whole samples), then
			 * earlier by shift + extra >= 0. */
			memset(tmp, 0, h->length * sizeof *tmp);
			memcpy(tmp + extra, raw + i * taps, taps * sizeof *tmp);
			advance_ir(dst, tmp, h->length, shift + (double)extra);
			h->delay[i] = (float)((double)L->delays[i] + shift + late);
		}
		free(tmp);
		free(onset);
	}
	h->max_delay = 0.0f;
	for (size_t i = 0; i < (size_t)M * 2; i++)
		h->max_delay = fmaxf(h->max_delay, h->delay[i]);
	if (!all_finite(h->ir, total) || !all_finite(h->delay, (size_t)M * 2)) {
		tingle_err(L->err, L->errlen, "%s: non-finite samples after aligning the responses", path);
		return -1;
	}
	build_table(h, L->lookup, L->unit);
	return 0;
}

/* ------------------------------------------------------------------ */
/* The load itself, as one process: run only in the loader child. On
 * success *out holds the set. */
static int load_here(struct loader *L, struct hrtf_set **out)
{
	int ret = run_libmysofa(L) < 0 || copy_out(L) < 0 ? -1 : 0;
	if (ret == 0) {
		*out = L->h;
		L->h = NULL;
	}
	hrtf_free(L->h);
	free(L->unit);
	free(L->delays);
	if (L->lookup)
		mysofa_lookup_free(L->lookup);
	if (L->mh)
		mysofa_free(L->mh);
	return ret;
}

/* What the child sends through the pipe: this header, then either err_len
 * bytes of message (ok == 0) or azimuth, elevation, distance (n_dirs
 * floats each), ir (n_dirs * 2 * length floats), delay (n_dirs * 2 floats)
 * and table (HRTF_GRID_EL * HRTF_GRID_AZ uint32). Both ends are the same
 * binary. */
#define WIRE_MAGIC 0x31465254u /* "TRF1" */
#define WIRE_ERR_MAX 4096

struct wire_head {
	uint32_t magic;
	uint32_t ok;
	uint32_t err_len;
	uint32_t rate, file_rate, n_dirs, length, file_taps;
	float max_delay;
	uint32_t delay_measured;
	double file_rate_exact;
	double delay_late;
	double delay_shift;
};

static bool write_all(int fd, const void *buf, size_t n)
{
	const unsigned char *p = buf;
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		p += w;
		n -= (size_t)w;
	}
	return true;
}

/* Close every descriptor from 3 up, except a and b. */
static void close_others(int a, int b)
{
#ifdef SYS_close_range
	int keep[2] = { a < b ? a : b, a < b ? b : a };
	unsigned first = 3;
	for (int i = 0; i < 2; i++) {
		if (keep[i] < 3 || (unsigned)keep[i] < first)
			continue;
		if ((unsigned)keep[i] > first)
			syscall(SYS_close_range, first, (unsigned)keep[i] - 1, 0);
		first = (unsigned)keep[i] + 1;
	}
	syscall(SYS_close_range, first, ~0u, 0);
#else
	(void)a;
	(void)b;
#endif
}

/* The child: forked from a process that may run JACK, OSC and audio
 * threads. It inherits only the calling thread, so it touches nothing but
 * its own work: libmysofa, malloc (fork-safe in glibc) and the pipe; no
 * stdio, no logging, no locks of the parent's, and _exit (no atexit
 * handlers, no stdio flush, no leak check). */
static _Noreturn void child_main(int wfd, int rfd, int file_fd, pid_t parent, const char *path,
				 unsigned rate)
{
	/* Default dispositions and nothing blocked: the parent's handlers
	 * (which set its flags) mean nothing here, a crash must end the child
	 * with its signal, and ^C on the terminal ends it with the parent. */
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &sa, NULL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* Die with the thread that waits for us. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(126);
	/* A real-time calling thread must not make a real-time loader. */
	int policy = sched_getscheduler(0);
	if (policy == SCHED_FIFO || policy == SCHED_RR) {
		struct sched_param sp = { .sched_priority = 0 };
		sched_setscheduler(0, SCHED_OTHER, &sp);
	}
	/* The parent's sockets, devices and other loaders' pipes stay closed
	 * here. */
	close(rfd);
	close_others(wfd, file_fd);

	/* libmysofa opens the descriptor checked by the parent, so the path
	 * cannot be swapped for a FIFO in between (and "-" is not stdin). */
	char proc_path[64];
	snprintf(proc_path, sizeof proc_path, "/proc/self/fd/%d", file_fd);
	const char *open_path = proc_path;
	if (access(proc_path, R_OK) != 0)
		open_path = strcmp(path, "-") == 0 ? "./-" : path;

	static char msg[WIRE_ERR_MAX];
	struct loader L = { .path = path, .open_path = open_path, .rate = rate, .err = msg,
			    .errlen = sizeof msg };
	struct hrtf_set *h = NULL;
	struct wire_head head;
	memset(&head, 0, sizeof head);
	head.magic = WIRE_MAGIC;
	bool sent;
	if (load_here(&L, &h) == 0) {
		head.ok = 1;
		head.rate = h->rate;
		head.file_rate = h->file_rate;
		head.n_dirs = h->n_dirs;
		head.length = h->length;
		head.file_taps = L.N;
		head.max_delay = h->max_delay;
		head.delay_measured = h->delay_measured;
		head.delay_late = h->delay_late;
		head.file_rate_exact = L.file_rate;
		head.delay_shift = L.delay_shift;
		const size_t n = h->n_dirs;
		sent = write_all(wfd, &head, sizeof head) &&
		       write_all(wfd, h->azimuth, n * sizeof *h->azimuth) &&
		       write_all(wfd, h->elevation, n * sizeof *h->elevation) &&
		       write_all(wfd, h->distance, n * sizeof *h->distance) &&
		       write_all(wfd, h->ir, n * 2 * h->length * sizeof *h->ir) &&
		       write_all(wfd, h->delay, n * 2 * sizeof *h->delay) &&
		       write_all(wfd, h->table, (size_t)HRTF_GRID_EL * HRTF_GRID_AZ * sizeof *h->table);
	} else {
		if (!msg[0])
			snprintf(msg, sizeof msg, "%s: cannot load HRTF set", path);
		head.err_len = (uint32_t)strlen(msg);
		sent = write_all(wfd, &head, sizeof head) && write_all(wfd, msg, head.err_len);
	}
	_exit(sent ? 0 : 1);
}

/* ------------------------------------------------------------------ */
/* The parent: reads what the child sends, trusting nothing. */

struct reading {
	unsigned rate;          /* asked for */
	struct wire_head head;
	struct hrtf_set *h;
	char msg[WIRE_ERR_MAX];
	struct {
		void *p;
		size_t n;
	} seg[7];
	unsigned nseg, cur;
	size_t got;             /* bytes of seg[cur] so far */
	bool done;
	char why[160];          /* what was malformed */
};

enum { RD_MORE, RD_EOF, RD_BAD, RD_NOMEM };

static int malformed(struct reading *R, const char *why)
{
	snprintf(R->why, sizeof R->why, "%s", why);
	return RD_BAD;
}

/* The header is in: check every size before allocating for what follows. */
static int expect_body(struct reading *R)
{
	const struct wire_head *w = &R->head;
	if (w->magic != WIRE_MAGIC)
		return malformed(R, "bad header");
	if (w->ok == 0) {
		if (w->err_len == 0 || w->err_len >= WIRE_ERR_MAX)
			return malformed(R, "bad message length");
		R->seg[1].p = R->msg;
		R->seg[1].n = w->err_len;
		R->nseg = 2;
		return RD_MORE;
	}
	if (w->ok != 1)
		return malformed(R, "bad header");
	const double rate = R->rate;
	/* The longest IR copy_out can make: check_raw's bound, the largest
	 * plausible delay and the interpolator's taps, with some slack. */
	const double max_length = ceil(MAX_IR_SECONDS * rate) + 64;
	if (w->rate != R->rate)
		return malformed(R, "wrong rate");
	if (w->n_dirs < 2 || w->length < 1 || (double)w->length > max_length ||
	    (uint64_t)w->n_dirs * 2 * w->length > UINT32_MAX)
		return malformed(R, "bad dimensions");
	if (!isfinite(w->file_rate_exact) || w->file_rate_exact < FILE_RATE_MIN ||
	    w->file_rate_exact > FILE_RATE_MAX || w->file_rate != (uint32_t)lround(w->file_rate_exact) ||
	    w->file_taps < 1 || (double)w->file_taps > MAX_IR_SECONDS * w->file_rate_exact)
		return malformed(R, "bad file rate or length");
	if (!isfinite(w->max_delay) || w->max_delay < 0.0f || w->delay_measured > 1 ||
	    !(w->delay_late >= 0.0 && w->delay_late <= ONSET_LEAD + 1.0) ||
	    (double)w->max_delay > MAX_DELAY_SECONDS * rate + max_length || !isfinite(w->delay_shift) ||
	    w->delay_shift < 0.0 || w->delay_shift > MAX_DELAY_SECONDS * FILE_RATE_MAX)
		return malformed(R, "bad delays");

	struct hrtf_set *h = R->h = calloc(1, sizeof *h);
	if (!h)
		return RD_NOMEM;
	const size_t n = w->n_dirs, taps = (size_t)n * 2 * w->length,
		     cells = (size_t)HRTF_GRID_EL * HRTF_GRID_AZ;
	h->rate = w->rate;
	h->file_rate = w->file_rate;
	h->n_dirs = w->n_dirs;
	h->length = w->length;
	h->max_delay = w->max_delay;
	h->delay_measured = w->delay_measured != 0;
	h->delay_late = (float)w->delay_late;
	h->azimuth = malloc(n * sizeof *h->azimuth);
	h->elevation = malloc(n * sizeof *h->elevation);
	h->distance = malloc(n * sizeof *h->distance);
	h->ir = malloc(taps * sizeof *h->ir);
	h->delay = malloc(n * 2 * sizeof *h->delay);
	h->table = malloc(cells * sizeof *h->table);
	if (!h->azimuth || !h->elevation || !h->distance || !h->ir || !h->delay || !h->table)
		return RD_NOMEM;
	R->seg[1].p = h->azimuth;
	R->seg[1].n = n * sizeof *h->azimuth;
	R->seg[2].p = h->elevation;
	R->seg[2].n = n * sizeof *h->elevation;
	R->seg[3].p = h->distance;
	R->seg[3].n = n * sizeof *h->distance;
	R->seg[4].p = h->ir;
	R->seg[4].n = taps * sizeof *h->ir;
	R->seg[5].p = h->delay;
	R->seg[5].n = n * 2 * sizeof *h->delay;
	R->seg[6].p = h->table;
	R->seg[6].n = cells * sizeof *h->table;
	R->nseg = 7;
	return RD_MORE;
}

/* Read what the pipe holds (at most 16 MiB, so that the caller checks its
 * clock and cancel flag often). */
static int read_some(int fd, struct reading *R)
{
	size_t budget = (size_t)16 << 20;
	while (!R->done && budget) {
		size_t want = R->seg[R->cur].n - R->got;
		if (want > budget)
			want = budget;
		ssize_t r = read(fd, (unsigned char *)R->seg[R->cur].p + R->got, want);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return RD_MORE;
			return malformed(R, "read error");
		}
		if (r == 0)
			return RD_EOF;
		R->got += (size_t)r;
		budget -= (size_t)r;
		if (R->got < R->seg[R->cur].n)
			continue;
		R->got = 0;
		if (R->cur == 0) {
			int v = expect_body(R);
			if (v != RD_MORE)
				return v;
		}
		if (++R->cur == R->nseg)
			R->done = true;
	}
	return RD_MORE;
}

/* The arrays are in: directions, samples, delays and table entries in
 * range. */
static bool body_valid(const struct hrtf_set *h)
{
	for (unsigned m = 0; m < h->n_dirs; m++) {
		float az = h->azimuth[m], el = h->elevation[m], d = h->distance[m];
		if (!(az >= -180.0f && az <= 180.0f) || !(el >= -90.0f && el <= 90.0f) ||
		    !(d > 0.0f) || !isfinite(d))
			return false;
	}
	if (!all_finite(h->ir, (size_t)h->n_dirs * 2 * h->length))
		return false;
	for (size_t i = 0; i < (size_t)h->n_dirs * 2; i++)
		if (!(h->delay[i] >= 0.0f && h->delay[i] <= h->max_delay))
			return false;
	for (size_t i = 0; i < (size_t)HRTF_GRID_EL * HRTF_GRID_AZ; i++)
		if (h->table[i] >= h->n_dirs)
			return false;
	return true;
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* SIGKILL, then wait for the child. A process in uninterruptible sleep (a
 * hung network file system) dies only when its I/O returns: after 2 s it
 * is left to become a zombie rather than block the caller. */
static void kill_and_reap(pid_t pid)
{
	kill(pid, SIGKILL);
	for (int i = 0; i < 2000; i++) {
		pid_t w = waitpid(pid, NULL, WNOHANG);
		if (w == pid || (w < 0 && errno != EINTR))
			return;
		poll(NULL, 0, 1);
	}
}

static void child_failed(const char *path, bool known, int status, char *err, size_t errlen)
{
	if (known && WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);
		switch (sig) {
		case SIGSEGV: case SIGBUS: case SIGILL: case SIGFPE: case SIGABRT: case SIGSYS: case SIGTRAP:
			tingle_err(err, errlen, "%s: libmysofa crashed reading it (signal %d)", path, sig);
			break;
		default:
			tingle_err(err, errlen, "%s: the loader process was killed (signal %d%s)", path, sig,
			     sig == SIGKILL ? "; out of memory?" : "");
			break;
		}
	} else if (known && WIFEXITED(status)) {
		tingle_err(err, errlen, "%s: libmysofa crashed reading it (the loader process exited with "
		     "status %d before sending the set)", path, WEXITSTATUS(status));
	} else {
		tingle_err(err, errlen, "%s: the loader process ended before sending the set", path);
	}
}

/* Only a regular file of bounded size goes to libmysofa: a FIFO or a
 * device would block it or feed it forever. Checked by name (so that
 * nothing else is even opened) and again on the open descriptor, which
 * is what the child reads. Returns the descriptor or -1. */
static int open_sofa(const char *path, char *err, size_t errlen)
{
	char ebuf[256];
	struct stat st;
	int fd = -1;
	if (stat(path, &st) < 0)
		goto failed;
	if (!S_ISREG(st.st_mode))
		goto not_regular;
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0)
		goto failed;
	if (!S_ISREG(st.st_mode))
		goto not_regular;
	if ((long long)st.st_size > TINGLE_SOFA_FILE_MAX_BYTES) {
		tingle_err(err, errlen, "%s: larger than %s (%lld MiB); not an HRTF set", path,
		     TINGLE_SOFA_FILE_MAX_TEXT, (long long)(st.st_size >> 20));
		close(fd);
		return -1;
	}
	return fd;
failed:
	tingle_err(err, errlen, "%s: cannot load HRTF set: %s", path, mysofa_strerror(errno, ebuf, sizeof ebuf));
	if (fd >= 0)
		close(fd);
	return -1;
not_regular:
	tingle_err(err, errlen, "%s: not a regular file (%s)", path, file_type_name(st.st_mode));
	if (fd >= 0)
		close(fd);
	return -1;
}

int hrtf_load_limited(const char *path, unsigned rate, double timeout_s, const atomic_int *cancel,
		      struct hrtf_set **out, char *err, size_t errlen)
{
	if (err && errlen)
		err[0] = '\0';
	if (out)
		*out = NULL;
	if (!path || !*path) {
		tingle_err(err, errlen, "no HRTF (SOFA) file given");
		return HRTF_LOAD_ERROR;
	}
	if (!out) {
		tingle_err(err, errlen, "%s: internal error: nowhere to put the HRTF set", path);
		return HRTF_LOAD_ERROR;
	}
	if (rate < TINGLE_RATE_MIN || rate > TINGLE_RATE_MAX) {
		tingle_err(err, errlen, "%s: cannot prepare HRTFs for %u Hz (supported: %d to %d Hz)", path,
		     rate, TINGLE_RATE_MIN, TINGLE_RATE_MAX);
		return HRTF_LOAD_ERROR;
	}
	if (!(timeout_s > 0.0))
		timeout_s = HRTF_LOAD_TIMEOUT_S;
	if (cancel && atomic_load(cancel)) {
		tingle_err(err, errlen, "%s: loading cancelled", path);
		return HRTF_LOAD_CANCELLED;
	}
	int fd = open_sofa(path, err, errlen);
	if (fd < 0)
		return HRTF_LOAD_ERROR;

	char ebuf[256];
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		tingle_err(err, errlen, "%s: cannot create a pipe for the loader: %s", path,
		     mysofa_strerror(errno, ebuf, sizeof ebuf));
		close(fd);
		return HRTF_LOAD_ERROR;
	}
	(void)fcntl(pfd[0], F_SETPIPE_SZ, 1 << 20); /* fewer wake-ups; best effort */
	(void)fcntl(pfd[0], F_SETFL, fcntl(pfd[0], F_GETFL) | O_NONBLOCK);
	const double t0 = now_s();
	const pid_t parent = getpid();
	const pid_t pid = fork();
	if (pid == 0)
		child_main(pfd[1], pfd[0], fd, parent, path, rate);
	int fork_errno = errno;
	close(pfd[1]);
	close(fd);
	if (pid < 0) {
		close(pfd[0]);
		tingle_err(err, errlen, "%s: cannot start the loader process: %s", path,
		     mysofa_strerror(fork_errno, ebuf, sizeof ebuf));
		return HRTF_LOAD_ERROR;
	}

	struct reading *R = calloc(1, sizeof *R);
	if (!R) {
		close(pfd[0]);
		kill_and_reap(pid);
		tingle_err(err, errlen, "%s: out of memory", path);
		return HRTF_LOAD_ERROR;
	}
	R->rate = rate;
	R->seg[0].p = &R->head;
	R->seg[0].n = sizeof R->head;
	R->nseg = 1;

	const double deadline = t0 + timeout_s; /* INFINITY: none */
	bool eof = false, child_done = false, status_known = false;
	int status = 0, ret = 0;
	for (;;) {
		if (cancel && atomic_load(cancel)) {
			tingle_err(err, errlen, "%s: loading cancelled", path);
			ret = HRTF_LOAD_CANCELLED;
			break;
		}
		double left = deadline - now_s();
		if (!(left > 0.0)) {
			if (R->done)
				break; /* all in, the child just has not ended yet */
			tingle_err(err, errlen, "%s: loading took longer than %g s; gave up", path, timeout_s);
			ret = HRTF_LOAD_TIMEOUT;
			break;
		}
		int ms = left >= 0.05 ? 50 : (int)ceil(left * 1000.0);
		int r = RD_MORE;
		if (!R->done && !eof) {
			struct pollfd p = { .fd = pfd[0], .events = POLLIN };
			int n = poll(&p, 1, ms);
			if (n < 0 && errno != EINTR) {
				tingle_err(err, errlen, "%s: waiting for the loader failed: %s", path,
				     mysofa_strerror(errno, ebuf, sizeof ebuf));
				ret = HRTF_LOAD_ERROR;
				break;
			}
			if (n > 0)
				r = read_some(pfd[0], R);
		} else if (!child_done) {
			poll(NULL, 0, ms < 5 ? ms : 5);
		}
		if (!child_done) {
			pid_t w = waitpid(pid, &status, WNOHANG);
			if (w == pid)
				child_done = status_known = true;
			else if (w < 0 && errno == ECHILD)
				child_done = true; /* reaped by someone else (SIGCHLD ignored?) */
			/* What it wrote before ending is in the pipe. */
			if (child_done && r == RD_MORE && !R->done && !eof)
				r = read_some(pfd[0], R);
		}
		if (r == RD_EOF)
			eof = true;
		if (r == RD_BAD) {
			tingle_err(err, errlen, "%s: the loader process sent malformed data (%s)", path, R->why);
			ret = HRTF_LOAD_ERROR;
			break;
		}
		if (r == RD_NOMEM) {
			tingle_err(err, errlen, "%s: out of memory", path);
			ret = HRTF_LOAD_ERROR;
			break;
		}
		if (child_done) {
			if (!R->done) {
				child_failed(path, status_known, status, err, errlen);
				ret = HRTF_LOAD_ERROR;
			}
			break;
		}
	}
	close(pfd[0]);
	if (!child_done)
		kill_and_reap(pid);
	const double t1 = now_s();

	if (ret == 0 && R->head.ok != 1) {
		/* The child's own message: it names the file already. */
		R->msg[R->head.err_len] = '\0';
		tingle_err(err, errlen, "%s", R->msg);
		ret = HRTF_LOAD_ERROR;
	}
	if (ret == 0 && !body_valid(R->h)) {
		tingle_err(err, errlen, "%s: the loader process sent malformed data (values out of range)", path);
		ret = HRTF_LOAD_ERROR;
	}
	if (ret == 0 && !(R->h->path = strdup(path))) {
		tingle_err(err, errlen, "%s: out of memory", path);
		ret = HRTF_LOAD_ERROR;
	}
	/* The triangulation is built here, from the checked directions, rather
	 * than trusted from the child. */
	if (ret == 0 && hrtf_mesh_build(R->h, err, errlen) < 0)
		ret = HRTF_LOAD_ERROR;
	if (ret == 0) {
		const struct wire_head *w = &R->head;
		if (w->delay_shift > 0.0)
			log_info("%s: Data.Delay has negative values; all delays moved later by %.2f samples",
				 path, w->delay_shift);
		log_debug("%s: %u directions, %u taps at %u Hz (file: %g Hz, %u taps), largest delay "
			  "%.2f samples (%s); %u triangles, %u virtual poles; loaded in %.3f s", path,
			  w->n_dirs, w->length, rate, w->file_rate_exact, w->file_taps,
			  (double)w->max_delay, w->delay_measured ? "measured onsets" : "Data.Delay",
			  R->h->mesh.n_tris, R->h->mesh.n_virtual, t1 - t0);
		*out = R->h;
		R->h = NULL;
	}
	hrtf_free(R->h);
	free(R);
	return ret;
}

int hrtf_load(const char *path, unsigned rate, struct hrtf_set **out, char *err, size_t errlen)
{
	return hrtf_load_limited(path, rate, HRTF_LOAD_TIMEOUT_S, NULL, out, err, errlen);
}

unsigned hrtf_nearest(const struct hrtf_set *h, float azimuth, float elevation)
{
	if (isnan(azimuth) || azimuth > 1e9f || azimuth < -1e9f)
		azimuth = 0.0f;
	if (isnan(elevation))
		elevation = 0.0f;
	else if (elevation > 90.0f)
		elevation = 90.0f;
	else if (elevation < -90.0f)
		elevation = -90.0f;
	long ai = lroundf(fmodf(azimuth, 360.0f));
	ai = (ai % HRTF_GRID_AZ + HRTF_GRID_AZ) % HRTF_GRID_AZ;
	long ei = lroundf(elevation) + 90;
	return h->table[(size_t)ei * HRTF_GRID_AZ + (size_t)ai];
}
