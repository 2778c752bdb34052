/* Audio thread: sources heard from their places, by partitioned
 * convolution with interpolated HRIRs (see binaural.h for the scheme). */
#include "config.h"
#include "rt/binaural.h"

#include "common/limits.h"

#include <limits.h>
#include <math.h>
#include <string.h>

/* The complex multiply-accumulates and the filter blends are the inner
 * loops of the whole renderer; let the compiler vectorise them. */
#pragma GCC optimize("O3", "fp-contract=fast")

#define DEG (float)(M_PI / 180.0)

/* The inner loops again, for processors with AVX2 and FMA (chosen when the
 * program starts): the build itself targets any x86-64. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 11 && \
	!defined(__SANITIZE_ADDRESS__)
#define HOT __attribute__((target_clones("default", "arch=x86-64-v3")))
#else
#define HOT
#endif

/* Eight floats as one value: the compiler maps them to whatever the
 * processor has (two SSE registers, one AVX one). vu: unaligned. */
typedef float v8 __attribute__((vector_size(32)));
typedef float v8u __attribute__((vector_size(32), aligned(4)));
typedef int v8i __attribute__((vector_size(32)));
typedef unsigned v8ui __attribute__((vector_size(32)));

/* ------------------------------------------------------------------ */
/* Where things are in a source's part of the arena. */

static inline float *ring_of(const struct binaural_source *src) { return src->mem; }

static inline float *hist_of(const struct binaural *b, const struct binaural_source *src, int ear)
{
	return src->mem + b->off_hist + (size_t)ear * b->block;
}

/* Spectra are laid out chunk by chunk, so that the products read them in
 * order: [ear][chunk of 16 bins][partition][16 re, 16 im]. */
static inline size_t spec_at(const struct binaural *b, int ear, unsigned chunk, unsigned part)
{
	return (((size_t)ear * (b->row / 16) + chunk) * b->parts + part) * 32;
}

/* One ear's frequency-domain delay line (K spectra, slots in the layout's
 * partition place). */
static inline float *fdl_of(const struct binaural *b, const struct binaural_source *src)
{
	return src->mem + b->off_fdl;
}

/* A filter: both ears, every partition, as one HRTF direction in b->h. */
static inline float *filter_of(const struct binaural *b, const struct binaural_source *src)
{
	return src->mem + b->off_filt;
}

static inline const float *hrtf_of(const struct binaural *b, uint32_t f)
{
	return b->h + (size_t)f * b->filt_size;
}

/* A direction's input this block (both ears, [ear][chunk][16 re, 16 im]):
 * what the sources on the directions' lines sent it. */
static inline float *dir_in_of(const struct binaural *b, uint32_t f)
{
	return b->dir_in + (size_t)f * 4 * b->row;
}

/* ------------------------------------------------------------------ */
/* Where a place is heard from: the blend, the delays, the near field and
 * the air. */

struct target {
	uint32_t v[3];
	float wt[3];
	float delay[2];
	struct bin_fo near[2];
	float air;
	float q[3];               /* the place's direction, a unit vector */
	unsigned shell;
	bool kept;                /* v, wt: the source's blend kept, not the place's */
};

static struct bin_place place_clean(const struct bin_place *p)
{
	struct bin_place c = *p;
	if (!isfinite(c.azimuth) || fabsf(c.azimuth) > 1e7f)
		c.azimuth = 0.0f;
	if (c.azimuth >= 540.0f || c.azimuth < -540.0f)
		c.azimuth = fmodf(c.azimuth, 360.0f);
	if (c.azimuth >= 180.0f)
		c.azimuth -= 360.0f;
	else if (c.azimuth < -180.0f)
		c.azimuth += 360.0f;
	if (isnan(c.elevation))
		c.elevation = 0.0f;
	c.elevation = fminf(fmaxf(c.elevation, -90.0f), 90.0f);
	if (isnan(c.distance))
		c.distance = 1.0f;
	c.distance = fminf(fmaxf(c.distance, BIN_MIN_DISTANCE), 1e5f);
	return c;
}

static unsigned shell_for(const struct binaural *b, float d)
{
	unsigned best = 0;
	for (unsigned s = 1; s < b->n_shells; s++)
		if (fabsf(b->shell_distance[s] - d) < fabsf(b->shell_distance[best] - d))
			best = s;
	return best;
}

/* The triangle around q and its barycentric weights. The per-degree table
 * gives a triangle for the nearest grid direction; q is at most 0.7
 * degrees from it, so a step or two across an edge reaches q's own. */
static void locate(const struct binaural *b, unsigned shell, float az, float el, const float q[3],
		   struct target *t)
{
	long ai = lroundf(az);
	ai = ((ai % 360) + 360) % 360;
	long ei = lroundf(el) + 90;
	uint32_t k = b->cell[((size_t)shell * HRTF_GRID_EL + (size_t)ei) * HRTF_GRID_AZ + (size_t)ai];
	float w[3];
	for (int step = 0; step < 8; step++) {
		const struct bin_tri *T = &b->tri[k];
		int worst = -1;
		float low = -1e-6f;
		for (int r = 0; r < 3; r++) {
			w[r] = T->m[3 * r] * q[0] + T->m[3 * r + 1] * q[1] + T->m[3 * r + 2] * q[2];
			if (w[r] < low && T->nb[r] >= 0) {
				low = w[r];
				worst = r;
			}
		}
		if (worst < 0)
			break;
		k = (uint32_t)b->tri[k].nb[worst];
	}
	const struct bin_tri *T = &b->tri[k];
	/* Helpers near the head centre carry no filter: where the set does
	 * not surround the head, the measured vertices share the blend. */
	float sum = 0.0f, best = -INFINITY;
	int besti = 0;
	for (int r = 0; r < 3; r++) {
		if (T->v[r] == BIN_NO_VERTEX) {
			w[r] = 0.0f;
			continue;
		}
		if (w[r] > best) {
			best = w[r];
			besti = r;
		}
		w[r] = fmaxf(w[r], 0.0f);
		sum += w[r];
	}
	if (!(sum > 0.0f)) {
		w[0] = w[1] = w[2] = 0.0f;
		w[besti] = 1.0f;
		sum = 1.0f;
	}
	/* Weights next to nothing are dropped, so a measured direction is
	 * rendered with its own filter exactly. */
	float kept = 0.0f;
	for (int r = 0; r < 3; r++) {
		w[r] /= sum;
		if (w[r] < 1e-5f)
			w[r] = 0.0f;
		kept += w[r];
	}
	int n = 0;
	for (int r = 0; r < 3; r++)
		if (w[r] > 0.0f) {
			t->v[n] = T->v[r];
			t->wt[n] = w[r] / kept;
			n++;
		}
	for (; n < 3; n++) {
		t->v[n] = BIN_NO_VERTEX;
		t->wt[n] = 0.0f;
	}
}

/* Near-field shelf parameters at (rho, angle to the ear), interpolated on
 * the grid binaural_new made from Spagnol et al.'s fit. */
static void near_params(const struct binaural *b, float rho, float angle, float p[3])
{
	float x = logf(fmaxf(rho, BIN_NEAR_RHO_MIN) / BIN_NEAR_RHO_MIN) / b->near_log_rho_step;
	x = fminf(fmaxf(x, 0.0f), (float)(BIN_NEAR_RHO_STEPS - 1) - 1e-3f);
	float y = fminf(fmaxf(angle / 10.0f, 0.0f), (float)(BIN_NEAR_ANGLES - 1) - 1e-3f);
	int xi = (int)x, yi = (int)y;
	float fx = x - (float)xi, fy = y - (float)yi;
	const float *g = b->near_grid;
	for (int c = 0; c < 3; c++) {
		float a = g[((size_t)yi * BIN_NEAR_RHO_STEPS + (size_t)xi) * 3 + (size_t)c];
		float bb = g[((size_t)yi * BIN_NEAR_RHO_STEPS + (size_t)xi + 1) * 3 + (size_t)c];
		float cc = g[((size_t)(yi + 1) * BIN_NEAR_RHO_STEPS + (size_t)xi) * 3 + (size_t)c];
		float d = g[((size_t)(yi + 1) * BIN_NEAR_RHO_STEPS + (size_t)xi + 1) * 3 + (size_t)c];
		p[c] = (a + (bb - a) * fx) * (1.0f - fy) + (cc + (d - cc) * fx) * fy;
	}
}

static const struct bin_fo near_flat = { 1.0f, 0.0f, 0.0f };

static bool fo_flat(const struct bin_fo *f)
{
	return f->b0 == 1.0f && f->b1 == 0.0f && f->a1 == 0.0f;
}

/* The near-field shelves of both ears: the source at distance r against
 * the set's own distance s (both at most BIN_NEAR_TO, where the model is as
 * good as flat), with the angles between the source and each ear's axis.
 * Each ear's gains at DC and at high frequencies change by the differences
 * of the model's, its corner is the model's at r, in the first-order shelf
 * of Spagnol et al. (eqs. 9-12). Then both ears are lowered by the most
 * either gained at any frequency: the engine's distance gain (capped near
 * the head, so that a source dragged to the ear does not blast it) sets
 * how loud a source is, the near field what it sounds like there. The near
 * ear keeps its bass and loses a little of its highs (proximity: the bass
 * stands out), the far ear loses what the head shadows, more in the highs:
 * the level difference between the ears grows, most of all in the bass. */
static void near_filters(const struct binaural *b, float r, float s, const float angle[2], struct bin_fo f[2])
{
	float g0[2], ginf[2], fc[2];
	for (int ear = 0; ear < 2; ear++) {
		float pr[3], ps[3];
		near_params(b, r / BIN_HEAD_RADIUS, angle[ear], pr);
		near_params(b, s / BIN_HEAD_RADIUS, angle[ear], ps);
		g0[ear] = pr[0] - ps[0];
		ginf[ear] = pr[1] - ps[1];
		fc[ear] = fminf(pr[2], 0.45f * (float)b->rate);
	}
	const float top = fmaxf(fmaxf(g0[0], g0[0] + ginf[0]), fmaxf(g0[1], g0[1] + ginf[1]));
	for (int ear = 0; ear < 2; ear++) {
		float g = expf((g0[ear] - top) * (float)(M_LN10 / 20.0));
		float v0 = expf(ginf[ear] * (float)(M_LN10 / 20.0));
		float tn = tanf((float)M_PI * fc[ear] / (float)b->rate);
		float ac = (v0 * tn - 1.0f) / (v0 * tn + 1.0f);
		float v = (v0 - 1.0f) * 0.5f;
		f[ear] = (struct bin_fo){ g * (1.0f + v - v * ac), g * (v * ac - v + ac), ac };
	}
}

/* Pole of the one-pole low-pass y = (1 - p) x + p y[-1] whose power gain at
 * BIN_AIR_REF_HZ is ISO 9613-1's over the path beyond BIN_AIR_FROM. */
static float air_pole(const struct binaural *b, float d)
{
	if (d <= BIN_AIR_FROM)
		return 0.0f;
	float g2 = expf(-b->air_db_per_m * (d - BIN_AIR_FROM) * (float)(M_LN10 / 10.0));
	float one = 1.0f - g2;
	if (one < 1e-7f)
		return 0.0f;
	float c = b->air_cos, u = 1.0f - g2 * c;
	float p = (u - sqrtf(fmaxf(u * u - one * one, 0.0f))) / one;
	return fminf(fmaxf(p, 0.0f), 0.999f);
}

static void target_of(const struct binaural *b, const struct bin_place *p, struct target *t)
{
	float ca = cosf(p->azimuth * DEG), sa = sinf(p->azimuth * DEG);
	float ce = cosf(p->elevation * DEG), se = sinf(p->elevation * DEG);
	float q[3] = { ce * ca, ce * sa, se };
	unsigned shell = shell_for(b, p->distance);
	locate(b, shell, p->azimuth, p->elevation, q, t);
	for (int k = 0; k < 3; k++)
		t->q[k] = q[k];
	t->shell = shell;
	t->kept = false;
	for (int ear = 0; ear < 2; ear++) {
		float d = 0.0f;
		for (int k = 0; k < 3; k++)
			if (t->wt[k] > 0.0f)
				d += t->wt[k] * b->delay[(size_t)t->v[k] * 2 + (size_t)ear];
		t->delay[ear] = d;
	}
	float r = fminf(p->distance, BIN_NEAR_TO);
	float s = fminf(b->shell_distance[shell], BIN_NEAR_TO);
	if (r == s) {
		t->near[0] = t->near[1] = near_flat;
	} else {
		/* The angle between the source and each ear's axis (+y is left). */
		float left = acosf(fminf(fmaxf(q[1], -1.0f), 1.0f)) / DEG;
		const float angle[2] = { left, 180.0f - left };
		near_filters(b, r, s, angle, t->near);
	}
	t->air = air_pole(b, p->distance);
}

static bool same_blend(const struct binaural_source *src, const struct target *t)
{
	for (int k = 0; k < 3; k++)
		if (src->v[k] != t->v[k] || src->wt[k] != t->wt[k])
			return false;
	return true;
}

/* ------------------------------------------------------------------ */
/* Filters. */

/* What the next source will read, asked for a chunk at a time while this
 * one is worked on: with thousands of sources none of it is in the cache,
 * and every block would otherwise wait for memory source by source. Into
 * the L2 cache, so that this source's data stays in L1. */
struct ahead {
	const char *p[2];  /* spectra to come, one ear: its delay line and its filter slot */
	unsigned n;
};

static inline void prefetch_chunk(const struct ahead *a, unsigned c, unsigned K)
{
	const size_t at = (size_t)c * K * 128, n = (size_t)K * 128;
	for (unsigned i = 0; i < a->n; i++)
		for (size_t o = 0; o < n; o += 64)
			__builtin_prefetch(a->p[i] + at + o, 0, 1);
}

/* acc += sum over k of x[slot k] h[k] for one ear (complex; spectra in the
 * chunk layout, x's slots in the order slot[k]) for partitions 0 .. K - 1,
 * 16 bins at a time with the partitions summed in registers: everything
 * is read in order, the accumulator once. */
HOT static void mac_parts(float *restrict ar, float *restrict ai, const float *restrict x,
			  const float *restrict h, const unsigned *slot, unsigned K,
			  unsigned chunks, const struct ahead *next)
{
	for (unsigned c = 0; c < chunks; c++) {
		prefetch_chunk(next, c, K);
		float *a = ar + 16 * c, *m = ai + 16 * c;
		v8 r0 = *(const v8 *)a, r1 = *(const v8 *)(a + 8);
		v8 m0 = *(const v8 *)m, m1 = *(const v8 *)(m + 8);
		const float *xc = x + (size_t)c * K * 32, *hk = h + (size_t)c * K * 32;
		for (unsigned k = 0; k < K; k++, hk += 32) {
			const float *xk = xc + slot[k] * 32;
			v8 xr0 = *(const v8 *)xk, xr1 = *(const v8 *)(xk + 8);
			v8 xi0 = *(const v8 *)(xk + 16), xi1 = *(const v8 *)(xk + 24);
			v8 hr0 = *(const v8 *)hk, hr1 = *(const v8 *)(hk + 8);
			v8 hi0 = *(const v8 *)(hk + 16), hi1 = *(const v8 *)(hk + 24);
			r0 += xr0 * hr0 - xi0 * hi0;
			r1 += xr1 * hr1 - xi1 * hi1;
			m0 += xr0 * hi0 + xi0 * hr0;
			m1 += xr1 * hi1 + xi1 * hr1;
		}
		*(v8 *)a = r0;
		*(v8 *)(a + 8) = r1;
		*(v8 *)m = m0;
		*(v8 *)(m + 8) = m1;
	}
}

/* A filter as the audio thread finds it: the weighted sum of up to three
 * spectra (HRTF directions, or the source's own stored filter at weight
 * 1), already offset to one ear. */
struct blend {
	const float *h[3];
	float w[3];
	unsigned n;
};

/* acc += x * blend bl for one ear; when store, the blend is also written
 * there. Eight bins at a time (half a chunk), all K partitions summed in
 * registers: the spectra are read once, in order. */
HOT static void mac_blend(float *restrict ar, float *restrict ai, const struct blend *bl,
			  float *restrict store, const float *restrict x, const unsigned *slot, unsigned K,
			  unsigned chunks, const struct ahead *next)
{
	const unsigned n = bl->n;
	const float *p0 = bl->h[0], *p1 = bl->h[n > 1], *p2 = bl->h[n > 2 ? 2 : 0];
	const float u0 = bl->w[0], u1 = bl->w[1], u2 = bl->w[2];
	for (unsigned c = 0; c < 2 * chunks; c++) {
		if (c % 2 == 0)
			prefetch_chunk(next, c / 2, K);
		const size_t at = (size_t)(c / 2) * K * 32 + 8 * (c % 2);
		float *a = ar + 8 * c, *m = ai + 8 * c;
		v8 re = *(const v8 *)a, im = *(const v8 *)m;
		for (unsigned k = 0; k < K; k++) {
			const size_t o = at + (size_t)k * 32;
			const float *xk = x + at + slot[k] * 32;
			const v8 xr = *(const v8 *)xk, xi = *(const v8 *)(xk + 16);
			v8 hr = u0 * *(const v8 *)(p0 + o), hi = u0 * *(const v8 *)(p0 + o + 16);
			if (n > 1) {
				hr += u1 * *(const v8 *)(p1 + o);
				hi += u1 * *(const v8 *)(p1 + o + 16);
			}
			if (n > 2) {
				hr += u2 * *(const v8 *)(p2 + o);
				hi += u2 * *(const v8 *)(p2 + o + 16);
			}
			if (store) {
				*(v8 *)(store + o) = hr;
				*(v8 *)(store + o + 16) = hi;
			}
			re += xr * hr - xi * hi;
			im += xr * hi + xi * hr;
		}
		*(v8 *)a = re;
		*(v8 *)m = im;
	}
}

/* Bin 0 of a blend's partition k: DC (re) and Nyquist (im, offset 16). */
static inline float blend_at(const struct blend *bl, size_t o)
{
	float v = 0.0f;
	for (unsigned i = 0; i < bl->n; i++)
		v += bl->w[i] * bl->h[i][o];
	return v;
}

static void blend_of(const struct binaural *b, const uint32_t v[3], const float wt[3], size_t ear_at,
		     struct blend *bl)
{
	bl->n = 0;
	for (unsigned i = 0; i < 3; i++) {
		bl->h[i] = NULL;
		bl->w[i] = 0.0f;
		if (wt[i] > 0.0f) {
			bl->h[bl->n] = hrtf_of(b, v[i]) + ear_at;
			bl->w[bl->n++] = wt[i];
		}
	}
	if (!bl->n) { /* cannot happen: locate always keeps a vertex */
		bl->h[0] = hrtf_of(b, 0) + ear_at;
		bl->w[0] = 0.0f;
		bl->n = 1;
	}
}

/* Both ears' products of the source's own line into acc, with blend
 * (v, w) or, when from_slot, the source's stored filter. store: also
 * write blend (v, w) into the source's slot. */
static void accumulate_blend(struct binaural *b, const struct binaural_source *src, int acc, bool from_slot,
			     const uint32_t v[3], const float w[3], bool store)
{
	/* The engine adds sources in order: the next one is read next. */
	const struct binaural_source *next = src + 1 < b->src + b->n_sources ? src + 1 : NULL;
	if (next && (next->asleep || (next->agg && !next->drain)))
		next = NULL;
	const unsigned K = b->parts, chunks = b->row / 16;
	unsigned *slot = b->slot;
	for (unsigned k = 0; k < K; k++)
		slot[k] = (b->pos + K - k) % K;
	const float *x = fdl_of(b, src);
	float *filter = filter_of(b, src);
	for (int ear = 0; ear < 2; ear++) {
		const size_t e = spec_at(b, ear, 0, 0);
		struct blend bl;
		if (from_slot)
			bl = (struct blend){ { filter + e, NULL, NULL }, { 1.0f, 0.0f, 0.0f }, 1 };
		else
			blend_of(b, v, w, e, &bl);
		float *ar = b->acc_re[acc][ear], *ai = b->acc_im[acc][ear];
		float dc = ar[0], ny = ai[0];
		/* Bin 0: DC and Nyquist, real each, multiply apart (the products'
		 * sums there are overwritten). */
		const float *xe = x + e;
		for (unsigned k = 0; k < K; k++) {
			dc += xe[slot[k] * 32] * blend_at(&bl, k * 32);
			ny += xe[slot[k] * 32 + 16] * blend_at(&bl, k * 32 + 16);
		}
		/* The next source's spectra, and its filter slot when it is
		 * steady. */
		struct ahead ah = { .n = 0 };
		if (next) {
			ah.p[ah.n++] = (const char *)(fdl_of(b, next) + e);
			if (next->filter_ok)
				ah.p[ah.n++] = (const char *)(filter_of(b, next) + e);
		}
		if (from_slot)
			mac_parts(ar, ai, x + e, filter + e, slot, K, chunks, &ah);
		else
			mac_blend(ar, ai, &bl, store ? filter + e : NULL, x + e, slot, K, chunks, &ah);
		ar[0] = dc;
		ai[0] = ny;
	}
}

static void clear_acc(struct binaural *b, int a)
{
	size_t bytes = b->acc_stride * sizeof(float);
	for (int ear = 0; ear < 2; ear++) {
		memset(b->acc_re[a][ear], 0, bytes);
		memset(b->acc_im[a][ear], 0, bytes);
	}
}

/* ------------------------------------------------------------------ */
/* Steady sources, summed by direction. */

/* Slot i of a delay line pair (a source's or a direction's): zeros. */
static void zero_slot(const struct binaural *b, float *x, unsigned i)
{
	for (int ear = 0; ear < 2; ear++)
		for (unsigned c = 0; c < b->row / 16; c++)
			memset(x + spec_at(b, ear, c, i), 0, 32 * sizeof *x);
}

/* What a source sends to the directions' lines this block: to each
 * direction, spectra F times a plus spectra G times c. */
struct sends {
	uint32_t d[6];
	float a[6], c[6];
	unsigned n;
};

/* Direction d's share: a of F, c of G (added to any it has). */
static void send_to(struct sends *o, uint32_t d, float a, float c)
{
	unsigned j = 0;
	while (j < o->n && o->d[j] != d)
		j++;
	if (j == o->n) {
		o->d[o->n++] = d;
		o->a[j] = o->c[j] = 0.0f;
	}
	o->a[j] += a;
	o->c[j] += c;
}

/* Spectra F and G (both ears, [ear][chunk][16 re, 16 im]; G unused when
 * every c is 0), weighted, into each direction's input of this block. The
 * first source to reach a direction in a block sets it (and lists the
 * direction); the others add to it. */
HOT static void to_directions(struct binaural *b, const float *F, const float *G, const struct sends *o)
{
	const unsigned chunks = b->row / 16;
	const uint64_t n = b->n;
	for (unsigned i = 0; i < o->n; i++) {
		const uint32_t d = o->d[i];
		float *restrict D = dir_in_of(b, d);
		const bool first = b->dir_last[d] != n;
		if (first) {
			b->dir_on[b->n_on++] = d;
			b->dir_last[d] = n;
		}
		const float a = o->a[i], c = o->c[i];
		const float *restrict f = F, *restrict g = G;
		for (unsigned ch = 0; ch < 2 * chunks; ch++, f += 32, g += 32) {
			/* Chunk ch of both ears in turn: the right ear's come after
			 * all of the left ear's. */
			float *q = D + (size_t)ch * 32;
			for (int j = 0; j < 32; j += 8) {
				v8 y = a * *(const v8 *)(f + j);
				if (c != 0.0f)
					y += c * *(const v8 *)(g + j);
				if (first)
					*(v8 *)(q + j) = y;
				else
					*(v8 *)(q + j) += y;
			}
		}
	}
}

/* Up to BIN_DIR_GROUP directions' inputs (x[j], one ear) times all K
 * partitions of their spectra (h[j], that ear), into the K accumulators
 * of the blocks they sound in (y_re/y_im[k]: block n + k), 8 bins at a
 * time: the inputs stay in registers across the partitions, each
 * accumulator is read and written once for the group, and the spectra
 * are read once, in order. */
HOT static void group_mac(float *const *y_re, float *const *y_im, const float *const *x, const float *const *h,
			 unsigned nd, unsigned K, unsigned chunks)
{
	for (unsigned c = 0; c < 2 * chunks; c++) {
		const size_t xo = (size_t)(c / 2) * 32 + 8 * (c % 2), ho = (size_t)(c / 2) * K * 32 + 8 * (c % 2);
		v8 xr[BIN_DIR_GROUP], xi[BIN_DIR_GROUP];
		for (unsigned j = 0; j < nd; j++) {
			xr[j] = *(const v8 *)(x[j] + xo);
			xi[j] = *(const v8 *)(x[j] + xo + 16);
		}
		for (unsigned k = 0; k < K; k++) {
			float *ar = y_re[k] + 8 * c, *ai = y_im[k] + 8 * c;
			v8 re = *(const v8 *)ar, im = *(const v8 *)ai;
			for (unsigned j = 0; j < nd; j++) {
				const float *hk = h[j] + ho + (size_t)k * 32;
				const v8 hr = *(const v8 *)hk, hi = *(const v8 *)(hk + 16);
				re += xr[j] * hr - xi[j] * hi;
				im += xr[j] * hi + xi[j] * hr;
			}
			*(v8 *)ar = re;
			*(v8 *)ai = im;
		}
	}
}

/* The directions written this block, each multiplied once with its
 * spectra from the table (transposed: this block's input times partition
 * k goes to the output of block n + k), a few at a time. A direction
 * nobody sends anything costs nothing: what it was sent before is in the
 * accumulators already. */
static void directions_mac(struct binaural *b)
{
	const unsigned K = b->parts, chunks = b->row / 16;
	float **y_re = b->yk_re, **y_im = b->yk_im, *dc = b->dc_k, *ny = b->ny_k;
	for (unsigned i = 0; i < b->n_on; i += BIN_DIR_GROUP) {
		const unsigned nd = b->n_on - i < BIN_DIR_GROUP ? b->n_on - i : BIN_DIR_GROUP;
		if (i + nd < b->n_on) /* the next group's first spectra */
			for (unsigned j = 0; j < nd && i + nd + j < b->n_on; j++)
				__builtin_prefetch(hrtf_of(b, b->dir_on[i + nd + j]), 0, 1);
		for (int ear = 0; ear < 2; ear++) {
			const size_t e = spec_at(b, ear, 0, 0);
			const float *x[BIN_DIR_GROUP], *h[BIN_DIR_GROUP];
			for (unsigned j = 0; j < nd; j++) {
				x[j] = dir_in_of(b, b->dir_on[i + j]) + (size_t)ear * 2 * b->row;
				h[j] = hrtf_of(b, b->dir_on[i + j]) + e;
			}
			for (unsigned k = 0; k < K; k++) {
				const unsigned a = (b->pos + k) % K;
				y_re[k] = b->y_re[2 * a + (unsigned)ear];
				y_im[k] = b->y_im[2 * a + (unsigned)ear];
				/* Bin 0: DC and Nyquist, real each, multiply apart (the
				 * products' sums there are overwritten). */
				dc[k] = y_re[k][0];
				ny[k] = y_im[k][0];
				for (unsigned j = 0; j < nd; j++) {
					dc[k] += x[j][0] * h[j][k * 32];
					ny[k] += x[j][16] * h[j][k * 32 + 16];
				}
			}
			group_mac(y_re, y_im, x, h, nd, K, chunks);
			for (unsigned k = 0; k < K; k++) {
				y_re[k][0] = dc[k];
				y_im[k][0] = ny[k];
			}
		}
	}
	if (b->n_on)
		for (unsigned k = 0; k < K; k++)
			b->y_live[(b->pos + k) % K] = true;
	b->n_on = 0;
}

/* ------------------------------------------------------------------ */
/* Time domain: air, delay lines, near field. */

/* The input, through the air low-pass (pole moving linearly from p0 to p1),
 * into dst[0..P) and, when the delay lines are in use, into the source's
 * line (kept twice over, so that any read of up to R samples is one
 * contiguous run). */
static void take_input(const struct binaural *b, struct binaural_source *src, const float *x, float p0,
		       float p1, float *dst)
{
	const unsigned P = b->block;
	if (p0 == 0.0f && p1 == 0.0f) {
		if (x)
			memcpy(dst, x, P * sizeof *dst);
		else
			memset(dst, 0, P * sizeof *dst);
	} else {
		/* Silence in still lets the low-pass ring out. */
		float step = (p1 - p0) / (float)P, p = p0, y = src->air_y1;
		for (unsigned i = 0; i < P; i++) {
			p += step;
			y = (1.0f - p) * (x ? x[i] : 0.0f) + p * y;
			dst[i] = y;
		}
	}
	src->air_y1 = dst[P - 1];
	if (!b->delays)
		return;
	const unsigned R = b->ring, mask = R - 1;
	float *r = ring_of(src);
	unsigned w = src->w;
	for (unsigned i = 0; i < P;) {
		unsigned at = (w + i) & mask, n = P - i < R - at ? P - i : R - at;
		memcpy(r + at, dst + i, n * sizeof *dst);
		memcpy(r + at + R, dst + i, n * sizeof *dst);
		i += n;
	}
	src->w = (w + P) & mask;
}

/* out[j] = the sum of p[j]'s eight lanes: pairwise sums across the vectors
 * (AVX's horizontal adds) instead of eight separate reductions. (A macro:
 * a function returning eight floats would change the calling convention
 * between the processor variants.) */
#define HADD8(a, b) (__builtin_shufflevector((a), (b), 0, 2, 8, 10, 4, 6, 12, 14) + \
		     __builtin_shufflevector((a), (b), 1, 3, 9, 11, 5, 7, 13, 15))
#define OUT_SUMS(p, out)                                                                      \
	do {                                                                                  \
		v8 u0_ = HADD8(HADD8((p)[0], (p)[1]), HADD8((p)[2], (p)[3]));                   \
		v8 u1_ = HADD8(HADD8((p)[4], (p)[5]), HADD8((p)[6], (p)[7]));                   \
		v8 sum_ = __builtin_shufflevector(u0_, u1_, 0, 1, 2, 3, 8, 9, 10, 11) +          \
			  __builtin_shufflevector(u0_, u1_, 4, 5, 6, 7, 12, 13, 14, 15);         \
		memcpy((out), &sum_, sizeof sum_);                                            \
	} while (0)

/* Samples [from, from + n) of the block, the line read d samples back,
 * one fraction for them all: a plain FIR, eight samples at a time. */
HOT static void read_fixed(const struct binaural *b, const float *ring, unsigned w0, float d, unsigned from,
			   unsigned n, float *restrict out)
{
	const unsigned mask = b->ring - 1;
	const int before = BIN_FD_TAPS / 2 - 1;
	int k = (int)floorf(-d);
	float u = (-d - (float)k) * BIN_FD_PHASES;
	unsigned row = (unsigned)u;
	if (row >= BIN_FD_PHASES)
		row = BIN_FD_PHASES - 1;
	const float t = u - (float)row, *r = b->fd + (size_t)row * BIN_FD_ROW;
	float c[BIN_FD_TAPS];
	for (int j = 0; j < BIN_FD_TAPS; j++)
		c[j] = r[j] + t * r[16 + j];
	/* The line is kept twice over: any run of up to R samples is
	 * contiguous. */
	const float *restrict x = ring + (((unsigned)((int)w0 + k - before)) & mask) + from;
	out += from;
	unsigned i = 0;
	for (; i + 8 <= n; i += 8) {
		v8 acc = c[0] * *(const v8u *)(x + i);
		for (int j = 1; j < BIN_FD_TAPS; j++)
			acc += c[j] * *(const v8u *)(x + i + (unsigned)j);
		memcpy(out + i, &acc, sizeof acc);
	}
	for (; i < n; i++) {
		float acc = 0.0f;
		for (int j = 0; j < BIN_FD_TAPS; j++)
			acc += c[j] * x[i + (unsigned)j];
		out[i] = acc;
	}
}

/* One ear's signal: the line read d0 .. d1 samples back (linearly across
 * the block, reaching d1 at its last sample) through the windowed-sinc
 * table. w0: where the block's first sample went. tmp: P floats. */
HOT static void read_delayed(const struct binaural *b, const struct binaural_source *src, unsigned w0,
			     float d0, float d1, float *restrict out, float *restrict tmp)
{
	const unsigned P = b->block, R = b->ring, mask = R - 1;
	const int before = BIN_FD_TAPS / 2 - 1;
	const float *ring = ring_of(src);
	if (d0 == d1) {
		read_fixed(b, ring, w0, d0, 0, P, out);
		return;
	}
	/* A glide: the block in m equal spans, each read at the delays of
	 * both its ends and crossfaded across it (two plain FIRs instead of a
	 * kernel per sample), m the fewest that keep each span's two reads
	 * within BIN_FD_GLIDE_XFADE samples of each other: half way through a
	 * span their sum dips by cos(pi f D / rate) at f, about half a dB at
	 * 20 kHz, nothing below. A source moving at the speed of a hand needs
	 * one span; spans shorter than 16 samples (a delay racing by more
	 * than P / 64 samples a block) are read sample by sample below. */
	const float glide = fabsf(d1 - d0), per = (d1 - d0) / (float)P;
	unsigned m = 1;
	while ((float)m * BIN_FD_GLIDE_XFADE < glide && P / (2 * m) >= 16 && P % (2 * m) == 0)
		m *= 2;
	if ((float)m * BIN_FD_GLIDE_XFADE >= glide) {
		const unsigned L = P / m;
		const float w = 1.0f / (float)L;
		for (unsigned j = 0; j < m; j++) {
			const unsigned at = j * L;
			read_fixed(b, ring, w0, d0 + per * (float)at, at, L, out);
			read_fixed(b, ring, w0, d0 + per * (float)(at + L), at, L, tmp);
			for (unsigned i = at; i < at + L; i++)
				out[i] += (tmp[i] - out[i]) * (w * (float)(i - at + 1));
		}
		return;
	}
	/* The read position moves by (1 - step) a sample: each output sample
	 * has its own taps (16, the last four zero) and start. R is added so
	 * that truncation rounds down. Eight samples at a time, their eight
	 * dot products summed across in a tree. */
	const float step = (d1 - d0) / (float)P, base = (float)R - d0 - step;
	const v8 lane = { 0, 1, 2, 3, 4, 5, 6, 7 };
	unsigned i = 0;
	for (; i < P; i += 8) {
		/* Positions, taps rows and fractions of eight samples at once. */
		const v8 pos = base + ((float)i + lane) * (1.0f - step);
		const v8i ip = __builtin_convertvector(pos, v8i);
		const v8 u = (pos - __builtin_convertvector(ip, v8)) * (float)BIN_FD_PHASES;
		v8i row = __builtin_convertvector(u, v8i);
		row += row >= BIN_FD_PHASES; /* a fraction that rounded up to 1: -1 where true */
		const v8 t = u - __builtin_convertvector(row, v8);
		const v8ui at = ((v8ui)ip + (w0 - (unsigned)before)) & mask;
		v8 p[8];
		for (int j = 0; j < 8; j++) {
			const v8 *r = (const v8 *)(b->fd + (size_t)row[j] * BIN_FD_ROW);
			const float *x = ring + at[j];
			p[j] = (r[0] + t[j] * r[2]) * *(const v8u *)x + (r[1] + t[j] * r[3]) * *(const v8u *)(x + 8);
		}
		if (i + 8 <= P) {
			OUT_SUMS(p, out + i);
		} else {
			for (unsigned j = 0; i + j < P; j++)
				out[i + j] = p[j][0] + p[j][1] + p[j][2] + p[j][3] + p[j][4] + p[j][5] + p[j][6] + p[j][7];
		}
	}
}

/* Both ears' 2P samples, [first | second] halves (f[ear], s[ear]: P
 * each), through one complex FFT (left real, right imaginary), separated
 * into dst: with Z the transform, left = Z[k] + conj Z[N-k], right = -j
 * (Z[k] - conj Z[N-k]) (twice the spectra: the filters are scaled for
 * it). A source's own line takes [previous block | this block] (overlap-
 * save), the directions' lines [zeros | this block] (overlap-add). dst is
 * the newest slot of the left ear's delay line, chunk 0, chunks cs floats
 * apart (the source's line: K * 32), the right ear's after the left's. */
HOT static void transform(struct binaural *b, const float *const f[2], const float *const s[2], float *dst,
			  size_t cs)
{
	const unsigned P = b->block, N = 2 * P;
	float *restrict in = b->cin;
	const float *hl = f[0], *hr = f[1];
	const float *yl = s[0], *yr = s[1];
	const bool vec = P % 16 == 0;
	if (vec) {
		for (unsigned i = 0; i < P; i += 8) {
			const v8 l = *(const v8u *)(hl + i), r = *(const v8u *)(hr + i);
			const v8 l2 = *(const v8u *)(yl + i), r2 = *(const v8u *)(yr + i);
			/* Interleaved: left real, right imaginary. */
			*(v8u *)(in + 2 * i) = __builtin_shufflevector(l, r, 0, 8, 1, 9, 2, 10, 3, 11);
			*(v8u *)(in + 2 * i + 8) = __builtin_shufflevector(l, r, 4, 12, 5, 13, 6, 14, 7, 15);
			*(v8u *)(in + 2 * (P + i)) = __builtin_shufflevector(l2, r2, 0, 8, 1, 9, 2, 10, 3, 11);
			*(v8u *)(in + 2 * (P + i) + 8) = __builtin_shufflevector(l2, r2, 4, 12, 5, 13, 6, 14, 7, 15);
		}
	} else {
		for (unsigned i = 0; i < P; i++) {
			in[2 * i] = hl[i];
			in[2 * i + 1] = hr[i];
			in[2 * (P + i)] = yl[i];
			in[2 * (P + i) + 1] = yr[i];
		}
	}
	fftwf_execute(b->fwd);
	float *restrict z = b->cout;
	z[2 * N] = z[0]; /* Z[N] = Z[0]: the mirrored reads run on past the end */
	z[2 * N + 1] = z[1];
	const size_t ear_at = (size_t)(b->row / 16) * cs;
	if (vec) {
		for (unsigned c = 0; c < P / 16; c++) {
			float *restrict l = dst + c * cs, *restrict r = dst + ear_at + c * cs;
			/* Bins 16c .. 16c + 15 and their mirrors N - 16c - 15 .. N - 16c. */
			const float *zk = z + 32 * c, *zm = z + 2 * (N - 16 * c - 15);
			for (int h = 0; h < 2; h++) {
				const v8 a0 = *(const v8u *)(zk + 16 * h), a1 = *(const v8u *)(zk + 16 * h + 8);
				const v8 ka = __builtin_shufflevector(a0, a1, 0, 2, 4, 6, 8, 10, 12, 14);
				const v8 kb = __builtin_shufflevector(a0, a1, 1, 3, 5, 7, 9, 11, 13, 15);
				/* The mirror of bins 8h .. 8h + 7 is mirrored block 1 - h, reversed. */
				const v8 m0 = *(const v8u *)(zm + 16 * (1 - h)), m1 = *(const v8u *)(zm + 16 * (1 - h) + 8);
				/* Even and odd elements, each in reverse order. */
				const v8 mc = __builtin_shufflevector(m0, m1, 14, 12, 10, 8, 6, 4, 2, 0);
				const v8 md = __builtin_shufflevector(m0, m1, 15, 13, 11, 9, 7, 5, 3, 1);
				*(v8 *)(l + 8 * h) = ka + mc;
				*(v8 *)(l + 16 + 8 * h) = kb - md;
				*(v8 *)(r + 8 * h) = kb + md;
				*(v8 *)(r + 16 + 8 * h) = mc - ka;
			}
		}
	} else {
		for (unsigned c = 0; c * 16 < P; c++) {
			float *restrict l = dst + c * cs, *restrict r = dst + ear_at + c * cs;
			const unsigned n = P - c * 16 < 16 ? P - c * 16 : 16;
			for (unsigned o = 0; o < n; o++) {
				const unsigned k = c * 16 + o, m = N - k;
				const float a = z[2 * k], bb = z[2 * k + 1], cc = z[2 * m], d = z[2 * m + 1];
				l[o] = a + cc;
				l[16 + o] = bb - d;
				r[o] = bb + d;
				r[16 + o] = cc - a;
			}
		}
	}
	/* DC and Nyquist are real: packed together in bin 0. */
	float *l0 = dst, *r0 = dst + ear_at;
	l0[0] = 2.0f * z[0];
	r0[0] = 2.0f * z[1];
	l0[16] = 2.0f * z[2 * P];
	r0[16] = 2.0f * z[2 * P + 1];
}

/* The near-field section, its coefficients moving linearly from f0 to f1
 * across the block (each end is stable, so is every step between). */
static void near_run(float *y, unsigned P, struct bin_fo f0, struct bin_fo f1, float *x1, float *y1)
{
	if (fo_flat(&f0) && fo_flat(&f1)) {
		*x1 = *y1 = y[P - 1];
		return;
	}
	const float s0 = (f1.b0 - f0.b0) / (float)P, s1 = (f1.b1 - f0.b1) / (float)P,
		    s2 = (f1.a1 - f0.a1) / (float)P;
	float b0 = f0.b0, b1 = f0.b1, a1 = f0.a1, xp = *x1, yp = *y1;
	for (unsigned i = 0; i < P; i++) {
		b0 += s0;
		b1 += s1;
		a1 += s2;
		float x = y[i];
		yp = b0 * x + b1 * xp - a1 * yp;
		xp = x;
		y[i] = yp;
	}
	*x1 = xp;
	*y1 = yp;
}

/* ------------------------------------------------------------------ */

void binaural_begin(struct binaural *b)
{
	clear_acc(b, BIN_STEADY);
	b->n++;
	b->pos = (unsigned)(b->n % b->parts);
}

/* A steady source counted in (add 1) or out (-1) of its directions'
 * users. */
static void count_users(struct binaural *b, struct binaural_source *src, int add)
{
	for (int i = 0; i < 3; i++)
		if (src->wt[i] > 0.0f) {
			uint32_t *u = &b->dir_users[src->v[i]];
			if (add > 0 && (*u)++ == 0)
				b->n_used++;
			else if (add < 0 && --*u == 0)
				b->n_used--;
		}
	if (add > 0)
		b->n_steady++;
	else
		b->n_steady--;
	src->counted = add > 0;
}

/* A steady source's share of its directions' products: each costs one
 * product, shared by the steady sources that blend it. */
static float dir_share(const struct binaural *b, const struct binaural_source *src)
{
	float share = 0.0f;
	for (int i = 0; i < 3; i++)
		if (src->wt[i] > 0.0f)
			share += 1.0f / (float)b->dir_users[src->v[i]];
	return share;
}

static void clear_history(struct binaural *b, struct binaural_source *src)
{
	if (src->counted)
		count_users(b, src, -1);
	/* Line, history and spectra; a drained aggregated source's spectra are
	 * zeros already. */
	const size_t upto = src->agg && !src->drain ? b->off_fdl : b->off_filt;
	memset(src->mem, 0, upto * sizeof(float));
	src->drain = 0;
	src->w = 0;
	src->near_x1[0] = src->near_x1[1] = src->near_y1[0] = src->near_y1[1] = 0.0f;
	src->air_y1 = 0.0f;
}

void binaural_reset_source(struct binaural *b, unsigned s)
{
	struct binaural_source *src = &b->src[s];
	clear_history(b, src);
	src->silent = b->sleep_after;
	src->asleep = true;
}

/* A new blend while nothing sounds: its slot no longer holds it, and its
 * spectra go to its own line again. */
static void new_blend(struct binaural_source *src)
{
	src->filter_ok = false;
	src->agg = false;
	src->steady = 0;
}

static void take_target(struct binaural_source *src, const struct target *t)
{
	for (int k = 0; k < 3; k++) {
		src->v[k] = t->v[k];
		src->wt[k] = t->wt[k];
	}
	if (!t->kept) {
		/* The blend is the place's own: where it was made for. */
		for (int k = 0; k < 3; k++)
			src->fq[k] = t->q[k];
		src->fshell = t->shell;
	}
	src->behind = t->kept;
	for (int ear = 0; ear < 2; ear++) {
		src->delay[ear] = t->delay[ear];
		src->near[ear] = t->near[ear];
	}
	src->air = t->air;
}

/* The first things the next source touches (its delay line where this
 * block goes, its history, where its new spectra go), asked for before
 * this one is worked on; its spectra and filter follow during the
 * products (prefetch_chunk). */
static void prefetch_start(const struct binaural *b, unsigned s)
{
	if (s >= b->n_sources || b->src[s].asleep)
		return;
	const struct binaural_source *src = &b->src[s];
	const char *m = (const char *)src->mem;
	if (b->delays) {
		const unsigned R = b->ring, from = (src->w + R - 64) & (R - 1);
		for (unsigned o = 0; o < b->block + 64; o += 16) {
			__builtin_prefetch(m + ((from + o) & (R - 1)) * sizeof(float), 1, 1);
			__builtin_prefetch(m + (((from + o) & (R - 1)) + R) * sizeof(float), 1, 1);
		}
	}
	if (!src->agg) /* on the directions' lines its history is zeros, unread */
		for (size_t o = b->off_hist * sizeof(float); o < b->off_fdl * sizeof(float); o += 64)
			__builtin_prefetch(m + o, 1, 1);
	if (src->agg) {
		/* Its directions' newest slots. */
		for (int i = 0; i < 3 && src->wt[i] > 0.0f; i++) {
			const char *at = (const char *)dir_in_of(b, src->v[i]);
			for (size_t o = 0; o < 4 * b->row * sizeof(float); o += 64)
				__builtin_prefetch(at + o, 1, 1);
		}
		if (!src->drain)
			return;
	}
	/* The slot its new spectra (or a drained one's zeros) go to. */
	for (int ear = 0; ear < 2; ear++)
		for (unsigned c = 0; c < b->row / 16; c++) {
			const char *at = (const char *)(fdl_of(b, src) + spec_at(b, ear, c, b->pos));
			__builtin_prefetch(at, 1, 1);
			__builtin_prefetch(at + 64, 1, 1);
		}
}

/* Blocks the source was not added in (the engine skips sources that are
 * off): time went on for the slot position, so the slots of those blocks
 * still hold spectra from K blocks before. They are silence. */
static void skipped(struct binaural *b, struct binaural_source *src, uint64_t gap)
{
	const unsigned K = b->parts;
	if (src->agg && !src->drain)
		return;
	for (uint64_t m = b->n - (gap < K ? gap : K); m < b->n; m++)
		zero_slot(b, fdl_of(b, src), (unsigned)(m % K));
	if (src->agg)
		src->drain = src->drain > gap ? src->drain - (unsigned)gap : 0;
}

void binaural_add(struct binaural *b, unsigned s, const float *x, const struct bin_place *place)
{
	struct binaural_source *src = &b->src[s];
	const unsigned P = b->block, K = b->parts;
	prefetch_start(b, s + 1);
	if (b->n - src->last > 1 && !src->asleep)
		skipped(b, src, b->n - src->last - 1);
	src->last = b->n;
	bool silent = true;
	for (unsigned i = 0; x && i < P; i++)
		if (x[i] != 0.0f) {
			silent = false;
			break;
		}

	bool moved = false;
	struct target t;
	if (place) {
		struct bin_place p = place_clean(place);
		if (memcmp(&p, &src->place, sizeof p) != 0) {
			src->place = p;
			moved = true;
			target_of(b, &p, &t);
		}
	}
	bool settle = false;
	if (!moved && src->behind) {
		/* It has stopped with its filter a step behind: now the place's
		 * own, crossfaded like any other move. */
		moved = settle = true;
		target_of(b, &src->place, &t);
	}

	if (silent) {
		/* Once the line, the history and the K spectra hold only silence
		 * the source adds nothing (nor is anything of it left in its
		 * directions' lines): skip it, and let it move at once. */
		if (src->silent >= b->sleep_after) {
			if (!src->asleep) {
				clear_history(b, src);
				src->asleep = true;
			}
			if (moved) {
				if (!same_blend(src, &t))
					new_blend(src);
				take_target(src, &t);
			}
			return;
		}
		src->silent++;
		x = NULL;
	} else {
		src->silent = 0;
		if (src->asleep) {
			/* Waking: nothing sounds from before, so whatever changed
			 * takes effect at once. */
			src->asleep = false;
			if (moved) {
				if (!same_blend(src, &t))
					new_blend(src);
				take_target(src, &t);
				moved = false;
			}
		}
	}
	if (!moved) {
		for (int k = 0; k < 3; k++) {
			t.v[k] = src->v[k];
			t.wt[k] = src->wt[k];
			t.q[k] = src->fq[k];
		}
		t.shell = src->fshell;
		t.kept = false;
		for (int ear = 0; ear < 2; ear++) {
			t.delay[ear] = src->delay[ear];
			t.near[ear] = src->near[ear];
		}
		t.air = src->air;
	}
	if (moved && !settle && t.shell == src->fshell && !same_blend(src, &t) &&
	    src->fq[0] * t.q[0] + src->fq[1] * t.q[1] + src->fq[2] * t.q[2] > b->step_cos) {
		/* On the move, but less than BIN_FILTER_STEP_DEG from where its
		 * filter was made for: the filter stays (delays, near field and
		 * air follow every block), so a source gliding a fraction of a
		 * degree a block changes filter every few blocks, each change
		 * crossfaded, not every block. */
		for (int k = 0; k < 3; k++) {
			t.v[k] = src->v[k];
			t.wt[k] = src->wt[k];
		}
		t.kept = true;
	}
	const bool reblend = moved && !same_blend(src, &t);
	bool join = false;
	if (reblend) {
		if (src->counted)
			count_users(b, src, -1);
		src->steady = 0;
		/* On the move (a source waking takes its new place at once,
		 * above): to the directions' lines, where a change of blend
		 * costs a transform and no products. */
		if (!src->agg)
			src->agg = join = true;
	} else if (src->steady >= b->agg_after) {
		if (!src->counted)
			count_users(b, src, 1);
		/* Summed in when the steady sources share few directions
		 * between them, or this one's are shared by many, or it has
		 * only one (which costs no more than its own product). Back
		 * to its own line when they are not, once it has drained (or
		 * while its stored filter is still its blend). */
		const float share = dir_share(b, src);
		const unsigned used = b->n_used, steady = b->n_steady;
		const bool one = !(src->wt[1] > 0.0f);
		if (!src->agg && src->filter_ok && (4 * used <= 3 * steady || share <= 0.5f || one))
			src->agg = join = true;
		else if (src->agg && (src->filter_ok || !src->drain) && 20 * used > 17 * steady && share > 0.6f &&
			 !one)
			src->agg = false; /* its own line: zeros, or its older spectra with this filter */
	}

	/* The two ears hear the source at different delays, and through
	 * different near-field filters: each gets its own input signal, hence
	 * its own transform and frequency-domain delay line. */
	const unsigned w0 = src->w;
	take_input(b, src, x, src->air, t.air, b->scratch);
	for (int ear = 0; ear < 2; ear++) {
		float *y = b->y[ear];
		if (b->delays)
			read_delayed(b, src, w0, src->delay[ear], t.delay[ear], y, b->fd_tmp);
		else
			memcpy(y, b->scratch, P * sizeof *y);
		near_run(y, P, src->near[ear], t.near[ear], &src->near_x1[ear], &src->near_y1[ear]);
	}
	float *hist[2] = { hist_of(b, src, 0), hist_of(b, src, 1) };
	const float *const zeros[2] = { b->zeros, b->zeros }, *const ys[2] = { b->y[0], b->y[1] };
	float *own = fdl_of(b, src) + (size_t)b->pos * 32;
	if (src->agg) {
		if (join) {
			/* Its own line's newest slot: the end of the last block
			 * (which rings on into this one), heard with the filter it
			 * had; that filter stays in the slot while the line drains.
			 * From now on the history is zeros, ready for a return. */
			transform(b, (const float *const *)hist, zeros, own, (size_t)K * 32);
			memset(hist[0], 0, P * sizeof(float));
			memset(hist[1], 0, P * sizeof(float));
			accumulate_blend(b, src, BIN_STEADY, src->filter_ok, src->v, src->wt, !src->filter_ok);
			src->filter_ok = true;
			src->drain = K;
		} else if (src->drain) {
			/* Draining: zeros in, its older spectra still multiplied
			 * with its stored filter until the last of them has left. */
			zero_slot(b, fdl_of(b, src), b->pos);
			if (src->drain > 1)
				accumulate_blend(b, src, BIN_STEADY, true, NULL, NULL, false);
			src->drain--;
		}
		/* The block, and when the blend changes the block faded in
		 * (G): it fades out of the old directions and into the new
		 * ones on the way in, each sample heard through the blend of
		 * the two its place in the block gives, what came before
		 * keeping its place. The old blend's share, F (1 - fade_in),
		 * is F - G. */
		struct sends o = { .n = 0 };
		float *F = b->spec, *G = b->spec + 4 * (size_t)b->row;
		transform(b, zeros, ys, F, 32);
		if (reblend) {
			const float *fi = b->fade_in;
			for (int ear = 0; ear < 2; ear++)
				for (unsigned i = 0; i < P; i++)
					b->yx[ear][i] = b->y[ear][i] * fi[i];
			transform(b, zeros, (const float *const *)b->yx, G, 32);
			for (int k = 0; k < 3; k++)
				if (src->wt[k] > 0.0f)
					send_to(&o, src->v[k], src->wt[k], -src->wt[k]);
			for (int k = 0; k < 3; k++)
				if (t.wt[k] > 0.0f)
					send_to(&o, t.v[k], 0.0f, t.wt[k]);
			src->filter_ok = false;
		} else {
			for (int k = 0; k < 3; k++)
				if (t.wt[k] > 0.0f)
					send_to(&o, t.v[k], t.wt[k], 0.0f);
		}
		to_directions(b, F, G, &o);
	} else {
		transform(b, (const float *const *)hist, ys, own, (size_t)K * 32);
		memcpy(hist[0], b->y[0], P * sizeof(float));
		memcpy(hist[1], b->y[1], P * sizeof(float));
		if (src->filter_ok) {
			accumulate_blend(b, src, BIN_STEADY, true, NULL, NULL, false);
		} else {
			/* The first sound since it was placed: the blend goes into
			 * the source's slot, which the next blocks use alone. */
			accumulate_blend(b, src, BIN_STEADY, false, t.v, t.wt, true);
			src->filter_ok = true;
		}
	}
	if (!reblend && src->steady < UINT_MAX)
		src->steady++;
	take_target(src, &t);
}

/* Spread the packed bin 0 back into DC and Nyquist, and transform (the
 * accumulator is garbage after). */
static void inverse(struct binaural *b, float *re, float *im)
{
	const unsigned P = b->block;
	re[P] = im[0];
	im[0] = 0.0f;
	im[P] = 0.0f;
	fftwf_execute_split_dft_c2r(b->inv, re, im, b->t_out);
}

void binaural_end(struct binaural *b, float *left, float *right)
{
	const unsigned P = b->block;
	float *out[2] = { left, right };
	directions_mac(b);
	const unsigned a = b->pos;
	const bool products = b->y_live[a];
	b->inverse_ffts = products ? 4 : 2;
	for (int ear = 0; ear < 2; ear++) {
		float *o = out[ear], *tail = b->tail[ear];
		inverse(b, b->acc_re[BIN_STEADY][ear], b->acc_im[BIN_STEADY][ear]);
		memcpy(o, b->t_out + P, P * sizeof(float));
		if (products) {
			/* Overlap-add: this block, and what rings on into the
			 * next (the first half: [zeros | block] was transformed).
			 * The accumulator is then the one of block n + K. */
			float *re = b->y_re[2 * a + (unsigned)ear], *im = b->y_im[2 * a + (unsigned)ear];
			inverse(b, re, im);
			for (unsigned i = 0; i < P; i++)
				o[i] += b->t_out[P + i] + tail[i];
			memcpy(tail, b->t_out, P * sizeof(float));
			memset(re, 0, b->acc_stride * sizeof(float));
			memset(im, 0, b->acc_stride * sizeof(float));
		} else if (b->tail_live) {
			for (unsigned i = 0; i < P; i++)
				o[i] += tail[i];
			memset(tail, 0, P * sizeof(float));
		}
	}
	b->tail_live = products;
	b->y_live[a] = false;
}

void binaural_init_sources(struct binaural *b)
{
	const struct bin_place front = { 0.0f, 0.0f, 1.0f };
	struct target t;
	target_of(b, &front, &t);
	memset(b->dir_users, 0, b->n_filters * sizeof *b->dir_users);
	b->n_used = b->n_steady = 0;
	for (unsigned s = 0; s < b->n_sources; s++) {
		struct binaural_source *src = &b->src[s];
		src->place = front;
		src->last = b->n;
		src->counted = false;
		take_target(src, &t);
		new_blend(src);
		binaural_reset_source(b, s);
	}
}

void binaural_source_state(const struct binaural *b, unsigned s, uint32_t v[3], float w[3],
			   float delay[2])
{
	const struct binaural_source *src = &b->src[s];
	for (int k = 0; k < 3; k++) {
		v[k] = src->v[k];
		w[k] = src->wt[k];
	}
	delay[0] = src->delay[0];
	delay[1] = src->delay[1];
}
