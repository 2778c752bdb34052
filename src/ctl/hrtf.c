#include "config.h"
#include "ctl/hrtf.h"

#include "common/log.h"
#include "common/util.h"

#include <math.h>
#include <mysofa.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Limits of what tingle accepts. */
#define ENGINE_RATE_MIN 8000u       /* libmysofa does not resample below */
#define ENGINE_RATE_MAX 768000u
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

static void fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fail(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || !errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

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
	free(h->table);
	free(h);
}

/* What a load holds until it succeeds or fails; freed in one place. */
struct loader {
	const char *path;
	unsigned rate;
	char *err;
	size_t errlen;
	struct MYSOFA_HRTF *mh;
	struct MYSOFA_LOOKUP *lookup;
	struct hrtf_set *h;
	double file_rate;
	unsigned M, N;          /* directions, taps at the file's rate */
	float *delays;          /* per (direction, ear), samples at rate, >= 0 */
	double max_delay;
	float *unit;            /* unit vectors of the directions */
};

static int out_of_memory(const struct loader *L)
{
	fail(L->err, L->errlen, "%s: out of memory", L->path);
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
		fail(err, errlen, "%s: has %u receivers; an HRTF set needs exactly 2 (the two ears)", path, R);
		return -1;
	}
	if (M < 2) {
		fail(err, errlen, "%s: has %u measured direction%s; at least 2 are needed", path, M,
		     M == 1 ? "" : "s");
		return -1;
	}
	if (N == 0) {
		fail(err, errlen, "%s: the impulse responses are empty (filter length 0)", path);
		return -1;
	}
	if (mh->C != 3) {
		fail(err, errlen, "%s: coordinates have %u components, not 3", path, mh->C);
		return -1;
	}
	if ((uint64_t)M * R * N > UINT32_MAX / 2) {
		fail(err, errlen, "%s: the set is too large (%u directions of %u taps)", path, M, N);
		return -1;
	}
	if (!mh->DataIR.values || mh->DataIR.elements != M * R * N) {
		fail(err, errlen, "%s: Data.IR holds %u values, but %u directions x %u ears x %u taps "
		     "need %u", path, mh->DataIR.elements, M, R, N, M * R * N);
		return -1;
	}
	if (!mh->SourcePosition.values || mh->SourcePosition.elements != M * 3) {
		fail(err, errlen, "%s: SourcePosition holds %u values; %u directions need %u", path,
		     mh->SourcePosition.elements, M, M * 3);
		return -1;
	}
	if (!mh->DataSamplingRate.values || mh->DataSamplingRate.elements < 1) {
		fail(err, errlen, "%s: has no sampling rate (Data.SamplingRate)", path);
		return -1;
	}
	if (mh->DataSamplingRate.elements != 1) {
		fail(err, errlen, "%s: has %u sampling rates; one for all measurements is needed", path,
		     mh->DataSamplingRate.elements);
		return -1;
	}
	const double file_rate = mh->DataSamplingRate.values[0];
	if (!isfinite(file_rate) || file_rate <= 0.0) {
		fail(err, errlen, "%s: invalid sampling rate %g Hz", path, file_rate);
		return -1;
	}
	if (file_rate < FILE_RATE_MIN || file_rate > FILE_RATE_MAX) {
		fail(err, errlen, "%s: implausible sampling rate %g Hz (accepted: %g to %g Hz)", path,
		     file_rate, FILE_RATE_MIN, FILE_RATE_MAX);
		return -1;
	}
	if (!all_finite(mh->DataIR.values, mh->DataIR.elements)) {
		fail(err, errlen, "%s: the impulse responses contain non-finite samples (NaN or infinity)", path);
		return -1;
	}
	if (!all_finite(mh->SourcePosition.values, mh->SourcePosition.elements)) {
		fail(err, errlen, "%s: a source position is not finite (NaN or infinity)", path);
		return -1;
	}
	if ((double)N > MAX_IR_SECONDS * file_rate) {
		fail(err, errlen, "%s: impulse responses of %u taps (%.2f s) are too long for an HRTF set",
		     path, N, N / file_rate);
		return -1;
	}
	const double new_n = ceil((double)N * L->rate / file_rate);
	if (new_n > MAX_IR_SECONDS * L->rate || new_n * M * R > (double)(UINT32_MAX / 2)) {
		fail(err, errlen, "%s: resampled from %g to %u Hz, the impulse responses would be too long",
		     path, file_rate, L->rate);
		return -1;
	}
	double energy = 0.0;
	for (size_t i = 0; i < mh->DataIR.elements; i++)
		energy += (double)mh->DataIR.values[i] * (double)mh->DataIR.values[i];
	if (!(energy > 0.0)) {
		fail(err, errlen, "%s: all impulse responses are silent", path);
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
		fail(L->err, L->errlen, "%s: Data.Delay holds %u values; expected %u (one pair) or %u (a pair "
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
				fail(L->err, L->errlen, "%s: Data.Delay of direction %u, ear %u is not finite",
				     path, m, ear);
				return -1;
			}
			if (fabs(raw) > MAX_DELAY_SECONDS * L->file_rate) {
				fail(L->err, L->errlen, "%s: Data.Delay of direction %u, ear %u is %g samples "
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
			L->delays[i] = (float)((double)L->delays[i] - dmin);
		dmax -= dmin;
		log_info("%s: Data.Delay has negative values; all delays moved later by %.2f samples",
			 path, -dmin);
	}
	if (dmax > MAX_DELAY_SECONDS * L->rate) {
		fail(L->err, L->errlen, "%s: the delays in Data.Delay span %.3f s; more than %g s is not "
		     "plausible", path, dmax / L->rate, MAX_DELAY_SECONDS);
		return -1;
	}
	L->max_delay = dmax;
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

	L->mh = mysofa_load(path, &e);
	if (!L->mh) {
		if (e == MYSOFA_OK)
			e = MYSOFA_INTERNAL_ERROR;
		fail(L->err, L->errlen, "%s: cannot load HRTF set: %s", path,
		     mysofa_strerror(e, ebuf, sizeof ebuf));
		return -1;
	}
	if (check_raw(L) < 0 || read_delays(L) < 0)
		return -1;
	struct MYSOFA_HRTF *mh = L->mh;
	e = mysofa_check(mh);
	if (e != MYSOFA_OK) {
		fail(L->err, L->errlen, "%s: %s", path, mysofa_strerror(e, ebuf, sizeof ebuf));
		return -1;
	}
	e = mysofa_resample(mh, (float)L->rate);
	if (e != MYSOFA_OK) {
		fail(L->err, L->errlen, "%s: resampling from %g to %u Hz failed: %s", path, L->file_rate,
		     L->rate, mysofa_strerror(e, ebuf, sizeof ebuf));
		return -1;
	}
	if (mh->N == 0 || mh->M != L->M || mh->R != 2 || !mh->DataIR.values ||
	    mh->DataIR.elements != mh->M * mh->R * mh->N) {
		fail(L->err, L->errlen, "%s: resampling from %g to %u Hz gave inconsistent data", path,
		     L->file_rate, L->rate);
		return -1;
	}
	mysofa_loudness(mh);
	if (!all_finite(mh->DataIR.values, mh->DataIR.elements)) {
		fail(L->err, L->errlen, "%s: loudness normalisation failed (the frontal impulse response "
		     "is silent?)", path);
		return -1;
	}
	mysofa_tocartesian(mh);
	if (!mh->SourcePosition.values || mh->SourcePosition.elements != L->M * 3 ||
	    !all_finite(mh->SourcePosition.values, mh->SourcePosition.elements)) {
		fail(L->err, L->errlen, "%s: the source positions cannot be converted to Cartesian "
		     "coordinates", path);
		return -1;
	}
	L->lookup = mysofa_lookup_init(mh);
	if (!L->lookup) {
		fail(L->err, L->errlen, "%s: libmysofa cannot build its direction lookup (source positions "
		     "are neither Cartesian nor spherical, or out of memory)", path);
		return -1;
	}
	return 0;
}

/* Directions, IRs with the delays baked in, and the table, into plain
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
			fail(L->err, L->errlen, "%s: measurement %u has its source at the centre of the head, "
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

	bool any_delay = false, any_frac = false;
	for (size_t i = 0; i < (size_t)M * 2; i++) {
		double d = L->delays[i];
		if (d > 0.0)
			any_delay = true;
		double f = d - floor(d);
		if (f >= FD_EPS && f <= 1.0 - FD_EPS)
			any_frac = true;
	}
	h->max_delay = any_delay ? (float)L->max_delay : 0.0f;
	size_t length = taps;
	if (any_delay)
		length += (size_t)ceil(L->max_delay) + (any_frac ? FD_HALF : 0);
	if ((uint64_t)M * 2 * length > UINT32_MAX) {
		fail(L->err, L->errlen, "%s: the set is too large with its delays", path);
		return -1;
	}
	h->length = (unsigned)length;
	h->ir = calloc((size_t)M * 2 * length, sizeof *h->ir);
	if (!h->ir)
		return out_of_memory(L);
	for (unsigned m = 0; m < M; m++)
		for (unsigned ear = 0; ear < 2; ear++) {
			const float *src = mh->DataIR.values + ((size_t)m * mh->R + ear) * taps;
			float *dst = h->ir + ((size_t)m * 2 + ear) * length;
			if (any_delay)
				hrtf_fractional_delay(dst, length, src, taps, L->delays[(size_t)m * 2 + ear]);
			else
				memcpy(dst, src, taps * sizeof *dst);
		}
	if (!all_finite(h->ir, (size_t)M * 2 * length)) {
		fail(L->err, L->errlen, "%s: non-finite samples after applying Data.Delay", path);
		return -1;
	}
	build_table(h, L->lookup, L->unit);
	return 0;
}

int hrtf_load(const char *path, unsigned rate, struct hrtf_set **out, char *err, size_t errlen)
{
	if (err && errlen)
		err[0] = '\0';
	if (out)
		*out = NULL;
	if (!path || !*path) {
		fail(err, errlen, "no HRTF (SOFA) file given");
		return -1;
	}
	if (!out) {
		fail(err, errlen, "%s: internal error: nowhere to put the HRTF set", path);
		return -1;
	}
	if (rate < ENGINE_RATE_MIN || rate > ENGINE_RATE_MAX) {
		fail(err, errlen, "%s: cannot prepare HRTFs for %u Hz (supported: %u to %u Hz)", path,
		     rate, ENGINE_RATE_MIN, ENGINE_RATE_MAX);
		return -1;
	}

	struct loader L = { .path = path, .rate = rate, .err = err, .errlen = errlen };
	int ret = run_libmysofa(&L) < 0 || copy_out(&L) < 0 ? -1 : 0;
	if (ret == 0) {
		log_debug("%s: %u directions, %u taps at %u Hz (file: %g Hz, %u taps), largest delay "
			  "%.2f samples", path, L.M, L.h->length, rate, L.file_rate, L.N,
			  (double)L.h->max_delay);
		*out = L.h;
		L.h = NULL;
	}
	hrtf_free(L.h);
	free(L.unit);
	free(L.delays);
	if (L.lookup)
		mysofa_lookup_free(L.lookup);
	if (L.mh)
		mysofa_free(L.mh);
	return ret;
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
