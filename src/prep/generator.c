#include "config.h"

/* Procedural ASMR sounds. Every sound is a small physical model driven by
 * seeded noise; the models aim at what a listener recognises at the ear,
 * not at exact physics. All filters are our own: RBJ-cookbook biquads,
 * one-pole low-passes, two-pole resonators; the noise is PCG32.
 *
 * Randomness. Two kinds of draws: those of the object (from the seed
 * alone, shared by all variants: the struck object's modes, the scraped
 * object's resonances) and those of one variant (seed and variant index:
 * where it is struck, the noise, the timing of clicks). So the variants
 * of a sound are the same object touched differently, and the same seed,
 * variant, parameters and rate always give the same samples.
 *
 * tap — modal synthesis of a struck object. A contact force pulse (a
 * raised cosine a few hundred microseconds to ~1.2 ms long, with a little
 * contact noise in it) drives ten two-pole resonators, the object's
 * modes. The modes' frequency ratios are those of a free circular plate
 * (1, 1.73, 2.33, 3.91 ...) or of a free bar (1, 2.76, 5.40, 8.93 ...);
 * the object (seed) picks one and detunes each mode by a few per cent.
 *   size: the fundamental, 2.5 kHz (0, a small object) .. 150 Hz (1).
 *   brightness: the material. Its quality factor Q of the fundamental
 *     goes from 12 (0: soft wood, the ring dies in tens of ms) to 2000
 *     (1: glass, a chime rings for seconds), as 12 x (2000/12)^(b^1.5);
 *     higher modes decay faster by
 *     ratio^-p, p from 1 (wood: internal friction, constant Q) to 0.5
 *     (glass). Hard materials also shorten the contact pulse (1.2 ms ..
 *     0.15 ms), which is what excites the high modes: a fingertip on
 *     wood is a dull knock, a nail on glass a bright tick.
 *   variant: the strike point (mode amplitudes and signs follow a
 *     mode-shape-like pattern of a random position, times a random
 *     +-3.5 dB), +-1.5 % on the fundamental (where it is held), +-2 %
 *     detuning of the upper modes, +-20 % damping (the finger lifts off or
 *     rests), the contact pulse's length x0.6..1.65 (strike force and
 *     angle) and its noise. The sound lasts as long as it rings: until
 *     it has fallen 60 dB below its peak (the last tenth, -54..-60 dB,
 *     fades to zero); length is an upper bound (default 4 s), and a ring
 *     it cuts short is faded out over its last fifth.
 *   Above the first modes a real object's modes crowd and overlap; they
 *   are added as a residual: a noise burst above 1.5 x the fundamental,
 *   band-limited by the contact pulse, decaying like a high mode (1.5 ..
 *   15 ms), louder for soft materials. It is the knock of a knock, and it
 *   differs with every strike.
 *
 * scrape — friction. A nail or stick dragged over a surface sticks and
 * slips: each slip is an impulse. The impulse train, plus a little
 * broadband noise (grit), excites four band-pass resonances of the
 * scraped object (seed: 400 Hz..4.5 kHz, Q 4..18) and reaches the ear
 * directly through a high-pass and a brightness low-pass. The stroke's
 * velocity (fade in, sustain with a slow 1..3 Hz wobble, fade out) sets
 * the loudness and the slip rate.
 *   speed: slip rate 50..800 per second (geometric); low is a slow
 *     creak-like scratch, high a fast hiss-like scrape.
 *   roughness: timing jitter of the slips (3 %..83 % of a period) and
 *     spread of their strength (lognormal sigma 0.05..0.95), and the grit
 *     noise. 0 is a smooth surface (periodic: squeaky), 1 sandpaper.
 *   brightness: shifts the resonances by -+half an octave and sets the
 *     direct path's low-pass (2.5..14 kHz).
 *   The middle, between the stroke's fade in and fade out, is stationary:
 *   gen_steady_range() tells where, for looping.
 *
 * brush — many bristles. Each bristle leaving a surface flicks: a tiny
 * click. A stroke is a Poisson stream of clicks whose rate follows the
 * stroke's velocity, plus friction noise of the same velocity, both
 * high-passed and low-passed (12 dB/octave) at a cut-off that rises with
 * velocity (the swish). After the stroke a few last bristles flick off.
 *   speed: a fast stroke is shorter (100 % .. 60 % of the length, the
 *     rest is the flick tail), peaks earlier and more sharply.
 *   density: bristles: 300..6000 clicks per second at full velocity; few
 *     bristles are sparse loud crackle, many a smooth swish (the clicks
 *     carry the same power as the noise at every density).
 *   brightness: spectral tilt: high-pass 500..2000 Hz, low-pass
 *     1.8..14 kHz at full velocity (half that as the stroke starts and
 *     ends).
 *
 * crinkle — sparse filtered clicks. Crumpled foil or plastic sounds as
 * creases snap: a Poisson process of clicks, its rate modulated by the
 * hand's gestures (a slow 2.5 Hz random modulation, 0.4..1.6), each
 * click a decaying burst of high-passed noise through a random resonance
 * (its gain equalised over frequency and Q), with Pareto (heavy-tailed)
 * strengths, capped at 3x; 40 % of the snaps set off one to three more
 * within 2..15 ms. Under them, a quiet dense micro-crackle of small
 * creases, as busy as the snapping.
 *   density: clicks per second, 5..80 (geometric) at medium thickness.
 *   The first snap comes within 10 ms, so a trigger is answered at once.
 *   size: thickness. Thick material (1) gives fewer (x0.5), stronger
 *     (Pareto exponent 1.5), longer (~4 ms) clicks with lower resonances
 *     (2..5 kHz) and little micro-crackle; thin material (0) more (x1.5),
 *     even (exponent 3), short (~1 ms) clicks at 3.5..8 kHz over more
 *     micro-crackle (cellophane).
 *
 * shush — the fricative "shhh" as a source-filter model (Stevens,
 * Acoustic Phonetics, ch. 8): turbulence noise at the constriction (the
 * source) through the front cavity's resonance fc (a band-pass) and a
 * weaker one at 1.75 fc, with a high-pass below 0.55 fc (a "sh" has
 * little low energy), a low-pass at 2 fc, and a touch of low breath
 * noise. What makes it a person and not a hiss is the control, each a
 * smoothed random process (Catmull-Rom through random knots): the air
 * flow swells by up to +-5 dB at 0.35..0.7 Hz with +-1.3 dB of
 * unsteadiness at 2.5..4.5 Hz; the cavity's length moves fc +-18 % at
 * 0.25..0.6 Hz, and more flow brightens it (fc ~ flow^0.2); the lips'
 * rounding lets the upper resonance through by -9..+9 dB; the channel's
 * width changes the bandwidth (Q x0.74..1.35). Under a smooth envelope
 * (rise, sustain, fall) fc sinks a little as the breath runs out.
 *   brightness: fc from 2 kHz (0, dark "shh") to 6 kHz (1, towards "sss").
 *   The middle is stationary (gen_steady_range()).
 *
 * breath — a source-filter model of breathing, in phases: an exhale
 * (even variants) or an inhale (odd variants; a held breath alternates).
 * Turbulent noise (the source, its strength the air flow) through the
 * vocal tract's first three formants (about 550, 1250, 2600 Hz, broad),
 * some direct air noise, and the body of a breath close to a microphone:
 * noise below 300 Hz (a band at 110..180 Hz) and a puff below ~100 Hz,
 * both growing with the flow squared (the breath's pressure on the
 * diaphragm), strong on an exhale, faint on an inhale. The flow follows
 * the phase (it rises slowly and falls; an exhale peaks early, 30 %, and
 * is warm, an inhale later, 55 %, airier and brighter) and is unsteady,
 * +-2.5 dB at 1..2.5 Hz with a quicker flutter; the jaw and the tongue
 * move the first and second formants +-8 % each on their own, slowly
 * (smoothed random processes), while the whole glides down (exhale) or
 * up (inhale).
 *   brightness: scales the formants x0.75 .. x1.35 (a closed, dark
 *     breath .. an open, bright one).
 *
 * Every sound then has DC removed (20 Hz), starts and ends with a short
 * raised-cosine fade at exactly zero, and is peak-normalised to -6 dBFS. */

#include "prep/generator.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/limits.h"
#include "common/util.h"

#define GEN_PEAK_DB -6.0f

/* ---- names ---- */

static const char *const kind_names[] = {
	[GEN_NONE] = "none", [GEN_TAP] = "tap", [GEN_SCRAPE] = "scrape", [GEN_BRUSH] = "brush",
	[GEN_CRINKLE] = "crinkle", [GEN_SHUSH] = "shush", [GEN_BREATH] = "breath",
};

static const char *const param_names[GEN_P_COUNT] = {
	[GEN_P_LENGTH] = "length", [GEN_P_BRIGHTNESS] = "brightness", [GEN_P_SIZE] = "size",
	[GEN_P_SPEED] = "speed", [GEN_P_ROUGHNESS] = "roughness", [GEN_P_DENSITY] = "density",
};

enum gen_kind gen_kind_from_name(const char *name)
{
	if (!name)
		return GEN_NONE;
	for (int k = GEN_TAP; k <= GEN_BREATH; k++)
		if (!strcmp(name, kind_names[k]))
			return (enum gen_kind)k;
	return GEN_NONE;
}

const char *gen_kind_name(enum gen_kind k)
{
	if ((int)k < GEN_NONE || (int)k > GEN_BREATH)
		return "none";
	return kind_names[k];
}

const char *gen_param_name(enum gen_param p)
{
	if ((int)p < 0 || p >= GEN_P_COUNT)
		return "?";
	return param_names[p];
}

int gen_param_applies(enum gen_kind k, enum gen_param p)
{
	static const unsigned char uses[GEN_BREATH + 1] = {
		[GEN_TAP] = 1u << GEN_P_LENGTH | 1u << GEN_P_BRIGHTNESS | 1u << GEN_P_SIZE,
		[GEN_SCRAPE] = 1u << GEN_P_LENGTH | 1u << GEN_P_SPEED | 1u << GEN_P_ROUGHNESS |
			       1u << GEN_P_BRIGHTNESS,
		[GEN_BRUSH] = 1u << GEN_P_LENGTH | 1u << GEN_P_SPEED | 1u << GEN_P_DENSITY |
			      1u << GEN_P_BRIGHTNESS,
		[GEN_CRINKLE] = 1u << GEN_P_LENGTH | 1u << GEN_P_DENSITY | 1u << GEN_P_SIZE,
		[GEN_SHUSH] = 1u << GEN_P_LENGTH | 1u << GEN_P_BRIGHTNESS,
		[GEN_BREATH] = 1u << GEN_P_LENGTH | 1u << GEN_P_BRIGHTNESS,
	};
	if ((int)k <= GEN_NONE || (int)k > GEN_BREATH || (int)p < 0 || p >= GEN_P_COUNT)
		return 0;
	return (uses[k] >> p) & 1u;
}

void gen_defaults(struct gen_params *p, enum gen_kind k)
{
	static const float lengths[GEN_BREATH + 1] = {
		[GEN_NONE] = 1.0f, [GEN_TAP] = 4.0f, [GEN_SCRAPE] = 1.2f, [GEN_BRUSH] = 0.8f,
		[GEN_CRINKLE] = 1.5f, [GEN_SHUSH] = 1.5f, [GEN_BREATH] = 2.0f,
	};
	memset(p, 0, sizeof *p);
	p->kind = k;
	p->variants = 6;
	p->length = ((int)k >= GEN_NONE && (int)k <= GEN_BREATH) ? lengths[k] : 1.0f;
	p->brightness = 0.5f;
	p->size = 0.5f;
	p->speed = 0.5f;
	p->roughness = 0.5f;
	p->density = 0.5f;
	p->seed = 0;
}

/* ---- randomness: PCG32 (XSH-RR), streams seeded through splitmix64 ---- */

struct rng {
	uint64_t state, inc;
};

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint32_t rng_u32(struct rng *r)
{
	uint64_t old = r->state;
	r->state = old * 6364136223846793005ull + r->inc;
	uint32_t xs = (uint32_t)(((old >> 18) ^ old) >> 27);
	uint32_t rot = (uint32_t)(old >> 59);
	return (xs >> rot) | (xs << ((32u - rot) & 31u));
}

/* Object streams use stream numbers from OBJECT_STREAM, variant v the
 * numbers v * 16 + purpose. */
#define OBJECT_STREAM 0x80000000u
enum { S_NOISE, S_MOD, S_EVENTS, S_SHAPE };

static void rng_init(struct rng *r, uint32_t seed, enum gen_kind kind, uint32_t stream)
{
	/* (seed, stream) packed without overlap; the kind scrambles the key */
	uint64_t key = ((uint64_t)seed << 32 | stream) ^ (uint64_t)kind * 0xd1b54a32d192ed03ull;
	uint64_t a = splitmix64(&key), b = splitmix64(&key);
	r->state = 0;
	r->inc = (b << 1) | 1u;
	rng_u32(r);
	r->state += a;
	rng_u32(r);
}

static void rng_variant(struct rng *r, const struct gen_params *p, unsigned v, unsigned purpose)
{
	rng_init(r, p->seed, p->kind, (uint32_t)v * 16u + purpose);
}

/* [0, 1) */
static double rng_uniform(struct rng *r) { return (double)rng_u32(r) * (1.0 / 4294967296.0); }
/* [-1, 1) */
static double rng_bipolar(struct rng *r) { return 2.0 * rng_uniform(r) - 1.0; }
static double rng_range(struct rng *r, double lo, double hi) { return lo + (hi - lo) * rng_uniform(r); }
static double rng_logrange(struct rng *r, double lo, double hi)
{
	return lo * exp(log(hi / lo) * rng_uniform(r));
}

/* Standard normal (Box-Muller, one value per call). */
static double rng_gauss(struct rng *r)
{
	double u = 1.0 - rng_uniform(r); /* (0, 1] */
	double w = rng_uniform(r);
	return sqrt(-2.0 * log(u)) * cos(2.0 * M_PI * w);
}

/* White noise of unit variance (uniform: cheaper than Gaussian, and the
 * ear cannot tell the difference after any filter). */
static double rng_noise(struct rng *r) { return 1.7320508075688772 * rng_bipolar(r); }

/* ---- smooth random modulation: Catmull-Rom through random knots ---- */

struct smooth {
	double k0, k1, k2, k3, pos, step;
};

static void smooth_init(struct smooth *s, struct rng *r, double hz, double rate)
{
	s->k0 = rng_bipolar(r);
	s->k1 = rng_bipolar(r);
	s->k2 = rng_bipolar(r);
	s->k3 = rng_bipolar(r);
	s->pos = rng_uniform(r);
	s->step = hz / rate;
}

/* The next value, about -1..1, changing at about hz. */
static double smooth_next(struct smooth *s, struct rng *r)
{
	double t = s->pos;
	double v = 0.5 * (2.0 * s->k1 + (s->k2 - s->k0) * t +
			  (2.0 * s->k0 - 5.0 * s->k1 + 4.0 * s->k2 - s->k3) * t * t +
			  (3.0 * s->k1 - s->k0 - 3.0 * s->k2 + s->k3) * t * t * t);
	s->pos += s->step;
	while (s->pos >= 1.0) {
		s->pos -= 1.0;
		s->k0 = s->k1;
		s->k1 = s->k2;
		s->k2 = s->k3;
		s->k3 = rng_bipolar(r);
	}
	return v < -1.0 ? -1.0 : v > 1.0 ? 1.0 : v;
}

/* ---- filters ---- */

static double clampd(double x, double lo, double hi) { return x < lo ? lo : x > hi ? hi : x; }

/* Highest frequency a filter or mode may be put at. */
static double fmax_at(double rate) { return fmin(0.45 * rate, 20000.0); }

struct biquad {
	double b0, b1, b2, a1, a2, z1, z2;
};

enum bq_type { BQ_LOWPASS, BQ_HIGHPASS, BQ_BANDPASS };

/* RBJ cookbook; the band-pass has 0 dB gain at its centre. Coefficients
 * only: the state is kept, so a filter can glide. */
static void bq_set(struct biquad *f, enum bq_type type, double hz, double q, double rate)
{
	double w = 2.0 * M_PI * clampd(hz, 10.0, fmax_at(rate)) / rate;
	double cw = cos(w), alpha = sin(w) / (2.0 * q);
	double a0 = 1.0 + alpha;
	switch (type) {
	case BQ_LOWPASS:
		f->b0 = f->b2 = (1.0 - cw) / 2.0 / a0;
		f->b1 = (1.0 - cw) / a0;
		break;
	case BQ_HIGHPASS:
		f->b0 = f->b2 = (1.0 + cw) / 2.0 / a0;
		f->b1 = -(1.0 + cw) / a0;
		break;
	case BQ_BANDPASS:
		f->b0 = alpha / a0;
		f->b1 = 0.0;
		f->b2 = -alpha / a0;
		break;
	}
	f->a1 = -2.0 * cw / a0;
	f->a2 = (1.0 - alpha) / a0;
}

static void bq_init(struct biquad *f, enum bq_type type, double hz, double q, double rate)
{
	f->z1 = f->z2 = 0.0;
	bq_set(f, type, hz, q, rate);
}

/* Transposed direct form II. */
static inline double bq_run(struct biquad *f, double x)
{
	double y = f->b0 * x + f->z1;
	f->z1 = f->b1 * x - f->a1 * y + f->z2;
	f->z2 = f->b2 * x - f->a2 * y;
	return y;
}

struct onepole {
	double a, z;
};

static void op_set(struct onepole *f, double hz, double rate)
{
	f->a = 1.0 - exp(-2.0 * M_PI * clampd(hz, 1.0, fmax_at(rate)) / rate);
}

static void op_init(struct onepole *f, double hz, double rate)
{
	f->z = 0.0;
	op_set(f, hz, rate);
}

static inline double op_lp(struct onepole *f, double x) { return f->z += f->a * (x - f->z); }
static inline double op_hp(struct onepole *f, double x) { return x - op_lp(f, x); }

/* A two-pole resonator whose impulse response is amp * r^n * sin(w (n+1)):
 * one mode of a vibrating object, decaying with time constant tau. */
struct mode {
	double c1, c2, g, z1, z2;
};

static void mode_init(struct mode *m, double hz, double tau, double amp, double rate)
{
	double w = 2.0 * M_PI * hz / rate, r = exp(-1.0 / (tau * rate));
	m->c1 = 2.0 * r * cos(w);
	m->c2 = -r * r;
	m->g = amp * sin(w);
	m->z1 = m->z2 = 0.0;
}

static inline double mode_run(struct mode *m, double x)
{
	double y = m->g * x + m->c1 * m->z1 + m->c2 * m->z2;
	m->z2 = m->z1;
	m->z1 = y;
	return y;
}

/* ---- envelopes ---- */

/* Raised cosine 0..1 over x in 0..1. */
static double ramp(double x)
{
	x = clampd(x, 0.0, 1.0);
	return 0.5 - 0.5 * cos(M_PI * x);
}

/* 1 between att and n - rel, raised-cosine edges down to 0 at both ends. */
static double edge_env(size_t i, size_t n, size_t att, size_t rel)
{
	double e = 1.0;
	if (att && i < att)
		e = ramp((double)i / (double)att);
	if (rel && i + rel >= n)
		e = fmin(e, ramp((double)(n - 1 - i) / (double)rel));
	return e;
}

/* An asymmetric bump over u in 0..1: 0 at both ends, 1 at u = peak,
 * sharper with larger power. Used for strokes and breaths. */
static double bump(double u, double peak, double power)
{
	if (u <= 0.0 || u >= 1.0)
		return 0.0;
	double c = log(0.5) / log(peak);
	return pow(sin(M_PI * pow(u, c)), power);
}

static size_t secs(double s, double rate) { return (size_t)(s * rate + 0.5); }

/* The stationary middle of the sounds that have one: fade-in and fade-out
 * lengths of the sustained kinds. The other kinds have none (0, 0). */
static void steady_edges(const struct gen_params *p, double rate, size_t n, size_t *att, size_t *rel)
{
	double len = (double)n / rate;
	*att = *rel = 0;
	switch (p->kind) {
	case GEN_SCRAPE:
		*att = secs(clampd(0.12 * len, 0.002, 0.15), rate);
		*rel = secs(clampd(0.15 * len, 0.002, 0.2), rate);
		break;
	case GEN_SHUSH:
		*att = secs(clampd(0.15 * len, 0.002, 0.3), rate);
		*rel = secs(clampd(0.3 * len, 0.002, 0.6), rate);
		break;
	case GEN_CRINKLE:
		*att = secs(clampd(0.1 * len, 0.001, 0.015), rate);
		*rel = secs(clampd(0.15 * len, 0.001, 0.03), rate);
		break;
	default:
		break;
	}
}

/* ---- the models ---- */

#define TAP_MODES 10

static size_t render_tap(const struct gen_params *p, double rate, uint32_t v, float *out, size_t n)
{
	static const double plate[TAP_MODES] = { 1.0, 1.73, 2.33, 3.91, 4.11, 6.30, 6.71, 7.34, 8.75, 9.76 };
	static const double bar[TAP_MODES] = { 1.0,   2.756, 5.404, 8.933, 13.344,
					       18.64, 24.81, 31.87, 39.81, 48.63 };
	struct rng obj, var;
	rng_init(&obj, p->seed, p->kind, OBJECT_STREAM + S_SHAPE);
	rng_variant(&var, p, v, S_SHAPE);
	double b = p->brightness;

	/* The object. */
	const double *family = rng_uniform(&obj) < 0.65 ? plate : bar;
	double ratio[TAP_MODES], base[TAP_MODES], phase[TAP_MODES];
	for (int k = 0; k < TAP_MODES; k++) {
		ratio[k] = family[k] * (k ? exp(0.03 * rng_bipolar(&obj)) : 1.0);
		base[k] = exp(0.25 * rng_gauss(&obj));
		phase[k] = M_PI * rng_uniform(&obj);
	}
	double f1 = 2500.0 * pow(150.0 / 2500.0, p->size);
	/* Q from soft wood to glass: a wine glass or a chime rings for
	 * seconds (Q in the thousands), so hard materials climb steeply. */
	double q1 = 12.0 * pow(2000.0 / 12.0, pow(b, 1.5));
	double decay_slope = 1.0 - 0.5 * b;

	/* This strike. */
	double where = rng_range(&var, 0.05, 0.95);
	double f1v = f1 * exp(0.015 * rng_bipolar(&var)); /* where the hand holds it */
	double tau1 = q1 / (M_PI * f1v) * exp(0.35 * rng_bipolar(&var)); /* finger lifts or rests */
	struct mode modes[TAP_MODES];
	int nm = 0;
	for (int k = 0; k < TAP_MODES; k++) {
		double r = ratio[k] * (k ? exp(0.02 * rng_bipolar(&var)) : 1.0);
		/* The mode shape at the strike point: its size and its sign
		 * (a mode struck on the other side of a node swings the other
		 * way), so strikes at different points differ in waveform. */
		double shape = sin(M_PI * (k + 1) * where + phase[k]);
		double amp = base[k] * copysign(0.1 + 0.9 * fabs(shape), shape) * exp(0.6 * rng_gauss(&var));
		double hz = f1v * r;
		if (hz >= fmax_at(rate))
			continue;
		double tau = clampd(tau1 * pow(r, -decay_slope), 0.0015, 4.0);
		mode_init(&modes[nm++], hz, tau, amp, rate);
	}
	double contact = 1.2e-3 * pow(0.125, b) * exp(0.5 * rng_bipolar(&var));
	double nc = fmax(2.0, contact * rate);
	double grit = rng_range(&var, 0.15, 0.35);

	/* The ring lasts as long as the object rings: synthesis stops once
	 * every mode has stayed 70 dB down for 40 ms. */
	double peak = 0.0;
	size_t quiet = 0, hush = secs(0.04, rate), end = n;
	for (size_t i = 0; i < n; i++) {
		double x = 0.0;
		if ((double)i < nc)
			x = ramp(2.0 * (double)i / nc) * ramp(2.0 * (nc - (double)i) / nc) *
			    (1.0 - grit + grit * rng_gauss(&var));
		double y = 0.0;
		for (int k = 0; k < nm; k++)
			y += mode_run(&modes[k], x);
		out[i] = (float)y;
		peak = fmax(peak, fabs(y));
		quiet = fabs(y) < 3e-4 * peak ? quiet + 1 : 0;
		if ((double)i > nc && quiet > hush) {
			end = i + 1;
			break;
		}
	}
	n = end;

	/* The residual: above the first few modes they crowd and overlap, and
	 * sound as a short burst of noise, band-limited by the contact pulse
	 * and damped like the high modes. It is the knock in a knock, and it
	 * differs with every strike. */
	double lo = fmin(1.5 * f1v, 0.3 * rate), hi = fmin(1.5 / contact, fmax_at(rate));
	if (hi < 1.5 * lo)
		hi = fmin(1.5 * lo, fmax_at(rate));
	struct biquad hp, lp;
	bq_init(&hp, BQ_HIGHPASS, lo, M_SQRT1_2, rate);
	bq_init(&lp, BQ_LOWPASS, hi, M_SQRT1_2, rate);
	double tau_r = clampd(tau1 * 0.5 * pow(12.0, -0.5 * decay_slope), 0.0015, 0.015);
	double fall = exp(-1.0 / (tau_r * rate));
	double level = peak * (0.15 + 0.55 * (1.0 - b)) * exp(0.3 * rng_gauss(&var)) /
		       sqrt(fmax(hi - lo, 100.0) / (0.5 * rate));
	double e = level;
	for (size_t i = 0; i < n && e > level * 1e-4; i++) {
		double rise = (double)i < nc ? ramp((double)i / nc) : 1.0;
		out[i] += (float)(rise * e * bq_run(&lp, bq_run(&hp, rng_noise(&var))));
		if ((double)i >= nc)
			e *= fall;
	}

	/* Where it has fallen 60 dB below its peak for good. */
	double top = 0.0;
	for (size_t i = 0; i < n; i++)
		top = fmax(top, fabs(out[i]));
	size_t last = n;
	while (last > 1 && fabs(out[last - 1]) < 1e-3 * top)
		last--;
	return last < n ? last + 1 : n;
}

#define SCRAPE_RES 4

static void render_scrape(const struct gen_params *p, double rate, unsigned v, float *out, size_t n)
{
	struct rng obj, noise, mod, ev;
	rng_init(&obj, p->seed, p->kind, OBJECT_STREAM + S_SHAPE);
	rng_variant(&noise, p, v, S_NOISE);
	rng_variant(&mod, p, v, S_MOD);
	rng_variant(&ev, p, v, S_EVENTS);
	double b = p->brightness, rough = p->roughness;

	struct biquad res[SCRAPE_RES], hp;
	double res_gain[SCRAPE_RES];
	double shift = pow(2.0, b - 0.5);
	for (int k = 0; k < SCRAPE_RES; k++) {
		double hz = rng_logrange(&obj, 400.0, 4500.0) * shift;
		bq_init(&res[k], BQ_BANDPASS, hz, rng_logrange(&obj, 4.0, 18.0), rate);
		res_gain[k] = rng_range(&obj, 0.5, 1.0);
	}
	bq_init(&hp, BQ_HIGHPASS, 700.0, M_SQRT1_2, rate);
	struct biquad lp;
	bq_init(&lp, BQ_LOWPASS, 2500.0 * pow(14000.0 / 2500.0, b), M_SQRT1_2, rate);

	double slip_rate = 50.0 * pow(16.0, p->speed);
	double jitter = 0.03 + 0.8 * rough, spread = 0.05 + 0.9 * rough;
	double grit = 0.04 + 0.5 * rough;
	size_t att, rel;
	steady_edges(p, rate, n, &att, &rel);
	struct smooth wobble, drift;
	smooth_init(&wobble, &mod, rng_range(&mod, 1.2, 3.0), rate);
	smooth_init(&drift, &mod, rng_range(&mod, 0.7, 1.5), rate);

	double next = rng_uniform(&ev) * rate / slip_rate;
	for (size_t i = 0; i < n; i++) {
		double env = edge_env(i, n, att, rel);
		double vel = env * (1.0 + 0.18 * smooth_next(&wobble, &mod));
		double now_rate = slip_rate * (0.35 + 0.65 * env) * (1.0 + 0.12 * smooth_next(&drift, &mod));
		double x = 0.0;
		if ((double)i >= next) {
			/* clipped, so that one grain cannot dwarf the stroke */
			x = exp(spread * clampd(rng_gauss(&ev), -2.2, 2.2) - 0.5 * spread * spread);
			double period = rate / now_rate * fmax(0.15, 1.0 + jitter * rng_bipolar(&ev));
			next += period;
		}
		x += grit * sqrt(now_rate / rate) * rng_noise(&noise);
		double y = 0.0;
		for (int k = 0; k < SCRAPE_RES; k++)
			y += res_gain[k] * bq_run(&res[k], x);
		y = 0.7 * y + 0.4 * bq_run(&lp, bq_run(&hp, x));
		out[i] = (float)(y * vel);
	}
}

#define BRUSH_FLICKS 8

static void render_brush(const struct gen_params *p, double rate, unsigned v, float *out, size_t n)
{
	struct rng noise, mod, ev;
	rng_variant(&noise, p, v, S_NOISE);
	rng_variant(&mod, p, v, S_MOD);
	rng_variant(&ev, p, v, S_EVENTS);
	double b = p->brightness, sp = p->speed;

	size_t stroke = (size_t)((double)n * (1.0 - 0.4 * sp) * rng_range(&mod, 0.94, 1.0));
	double peak = (0.5 - 0.3 * sp) * rng_range(&mod, 0.85, 1.15);
	double power = 1.0 + 1.5 * sp;
	double clicks = 300.0 * pow(20.0, p->density);
	double click_amp = sqrt(rate / clicks); /* clicks as loud as the noise */
	double lp_hz = 1800.0 * pow(8.0, b);
	struct biquad hp, lp;
	bq_init(&hp, BQ_HIGHPASS, 500.0 * pow(4.0, b), M_SQRT1_2, rate);
	bq_init(&lp, BQ_LOWPASS, lp_hz, 0.6, rate);
	struct smooth tex;
	smooth_init(&tex, &mod, rng_range(&mod, 4.0, 8.0), rate);

	/* The last bristles flicking off after the stroke. */
	size_t flick_at[BRUSH_FLICKS];
	double flick_amp[BRUSH_FLICKS];
	int nflicks = 2 + (int)(rng_uniform(&ev) * (BRUSH_FLICKS - 2));
	double t = (double)stroke;
	for (int k = 0; k < nflicks; k++) {
		t += -log(1.0 - rng_uniform(&ev)) * 0.012 * rate;
		flick_at[k] = (size_t)t;
		flick_amp[k] = click_amp * rng_range(&ev, 0.5, 1.2) * exp(-0.4 * k);
	}
	int fk = 0;

	for (size_t i = 0; i < n; i++) {
		double vel = i < stroke ? bump((double)i / (double)stroke, peak, power) : 0.0;
		vel *= 1.0 + 0.15 * smooth_next(&tex, &mod);
		double x = vel * rng_noise(&noise);
		if (vel > 0.0 && rng_uniform(&ev) < clicks * vel / rate)
			x += click_amp * (0.5 + 0.5 * vel) * exp(0.5 * rng_gauss(&ev)) * (rng_uniform(&ev) < 0.5 ? -1 : 1);
		while (fk < nflicks && flick_at[fk] <= i)
			x += flick_amp[fk++];
		if ((i & 15) == 0)
			bq_set(&lp, BQ_LOWPASS, lp_hz * (0.5 + 0.5 * fmax(vel, 0.0)), 0.6, rate);
		out[i] = (float)bq_run(&lp, bq_run(&hp, x));
	}
}

/* One crease snapping: a decaying noise burst through a resonance, added
 * into out from frame at. */
static void crinkle_click(float *out, size_t n, size_t at, double amp, double size, double rate,
			  struct rng *ev)
{
	double lo = fmin(2000.0 * pow(1.75, 1.0 - size), 0.3 * rate);
	double hi = fmin(5000.0 * pow(1.6, 1.0 - size), 0.42 * rate);
	/* A band-pass passes noise power in proportion to f/Q: equalise it, so
	 * that the Pareto draw alone decides how loud a snap is. */
	double f = rng_logrange(ev, lo, hi), q = rng_range(ev, 3.0, 8.0);
	double eq = sqrt(q / 5.0 * 4000.0 / f);
	struct biquad res;
	bq_init(&res, BQ_BANDPASS, f, q, rate);
	struct onepole hp;
	op_init(&hp, 1500.0, rate);
	struct biquad lp;
	bq_init(&lp, BQ_LOWPASS, 8000.0 * (1.25 - 0.5 * size), M_SQRT1_2, rate);
	double dur = (0.8e-3 + 3.0e-3 * size) * exp(0.4 * clampd(rng_gauss(ev), -2.5, 2.5));
	double decay = exp(-1.0 / (dur / 1.5 * rate));
	size_t len = secs(2.5 * dur + 0.003, rate);
	double e = amp;
	for (size_t j = 0; j < len && at + j < n; j++) {
		double x = op_hp(&hp, e * rng_noise(ev));
		out[at + j] += (float)bq_run(&lp, 0.8 * eq * bq_run(&res, x) + 0.2 * x);
		e *= decay;
	}
}

static void render_crinkle(const struct gen_params *p, double rate, unsigned v, float *out, size_t n)
{
	struct rng mod, ev, micro;
	rng_variant(&mod, p, v, S_MOD);
	rng_variant(&ev, p, v, S_EVENTS);
	rng_variant(&micro, p, v, S_NOISE);
	double size = p->size;
	double click_rate = 5.0 * pow(16.0, p->density) * (1.5 - size);
	double tail = 1.5 + 1.5 * (1.0 - size);
	double loud = 0.6 + 0.8 * size;
	double micro_rate = 25.0 * click_rate * (1.3 - size), micro_amp = 0.07 * (1.3 - size);
	size_t att, rel;
	steady_edges(p, rate, n, &att, &rel);
	struct smooth hand;
	smooth_init(&hand, &mod, rng_range(&mod, 1.8, 3.2), rate);
	struct biquad micro_bp;
	bq_init(&micro_bp, BQ_BANDPASS, 4500.0 * pow(1.4, 0.5 - size), 0.8, rate);
	/* A trigger is answered at once: the first snap comes within 10 ms
	 * (and even the shortest crinkle has one). */
	size_t first = att + (size_t)(rng_uniform(&ev) * fmin(0.01 * rate, (double)(n - att - rel) / 2.0));

	for (size_t i = 0; i < n; i++) {
		double m = (1.0 + 0.6 * smooth_next(&hand, &mod)) * edge_env(i, n, att, rel);
		if (i == first || rng_uniform(&ev) < click_rate * m / rate) {
			double amp = loud * fmin(pow(1.0 - rng_uniform(&ev), -1.0 / tail), 3.0);
			crinkle_click(out, n, i, amp, size, rate, &ev);
			if (rng_uniform(&ev) < 0.4) { /* creases that snap in a chain */
				int more = 1 + (int)(rng_uniform(&ev) * 3.0);
				size_t at = i;
				for (int k = 0; k < more; k++) {
					at += secs(rng_range(&ev, 0.002, 0.015), rate);
					crinkle_click(out, n, at, amp * rng_range(&ev, 0.2, 0.6), size, rate, &ev);
				}
			}
		}
		double x = 0.0;
		if (rng_uniform(&micro) < micro_rate * m / rate)
			x = micro_amp * exp(0.5 * rng_gauss(&micro)) * (rng_uniform(&micro) < 0.5 ? -1 : 1);
		out[i] += (float)bq_run(&micro_bp, x);
	}
}

static void render_shush(const struct gen_params *p, double rate, unsigned v, float *out, size_t n)
{
	struct rng noise, mod;
	rng_variant(&noise, p, v, S_NOISE);
	rng_variant(&mod, p, v, S_MOD);
	double fc = 2000.0 * pow(3.0, p->brightness) * exp(0.06 * rng_bipolar(&mod));
	size_t att, rel;
	steady_edges(p, rate, n, &att, &rel);
	/* The speaker's control: the air flow (slow swells, a quicker
	 * unsteadiness), the front cavity's length (fc), the lips' rounding
	 * (how much of the upper resonance passes) and the channel's width
	 * (the resonance's bandwidth), each a smoothed random process. */
	struct smooth swell, shake, cavity, lips, width;
	smooth_init(&swell, &mod, rng_range(&mod, 0.35, 0.7), rate);
	smooth_init(&shake, &mod, rng_range(&mod, 2.5, 4.5), rate);
	smooth_init(&cavity, &mod, rng_range(&mod, 0.25, 0.6), rate);
	smooth_init(&lips, &mod, rng_range(&mod, 0.3, 0.8), rate);
	smooth_init(&width, &mod, rng_range(&mod, 0.4, 0.9), rate);
	struct biquad bp1, bp2, hp1, hp2, lp;
	bq_init(&bp1, BQ_BANDPASS, fc, 1.3, rate);
	bq_init(&bp2, BQ_BANDPASS, 1.75 * fc, 2.0, rate);
	bq_init(&hp1, BQ_HIGHPASS, 0.55 * fc, M_SQRT1_2, rate);
	bq_init(&hp2, BQ_HIGHPASS, 0.55 * fc, M_SQRT1_2, rate);
	bq_init(&lp, BQ_LOWPASS, 2.0 * fc, M_SQRT1_2, rate);
	struct onepole breath;
	op_init(&breath, 900.0, rate);

	double upper = 0.35;
	for (size_t i = 0; i < n; i++) {
		double env = edge_env(i, n, att, rel);
		/* flow: about +-4 dB of swell, +-1 dB of unsteadiness */
		double flow = exp(0.55 * smooth_next(&swell, &mod) + 0.15 * smooth_next(&shake, &mod));
		double cav = smooth_next(&cavity, &mod), lip = smooth_next(&lips, &mod);
		double wid = smooth_next(&width, &mod);
		if ((i & 31) == 0) {
			/* more flow, a brighter hiss; the cavity moves +-18 % */
			double f = fc * (0.92 + 0.08 * env) * exp(0.18 * cav) * pow(flow, 0.2);
			double q = 1.3 * exp(0.3 * wid);
			bq_set(&bp1, BQ_BANDPASS, f, q, rate);
			bq_set(&bp2, BQ_BANDPASS, 1.75 * f, 2.0, rate);
			bq_set(&hp1, BQ_HIGHPASS, 0.55 * f, M_SQRT1_2, rate);
			bq_set(&hp2, BQ_HIGHPASS, 0.55 * f, M_SQRT1_2, rate);
			bq_set(&lp, BQ_LOWPASS, 2.0 * f, M_SQRT1_2, rate);
			upper = 0.35 * exp(lip);
		}
		double x = rng_noise(&noise);
		double y = bq_run(&lp, bq_run(&hp2, bq_run(&hp1, bq_run(&bp1, x) + upper * bq_run(&bp2, x))));
		y += 0.25 * op_lp(&breath, x);
		out[i] = (float)(env * flow * y);
	}
}

static void render_breath(const struct gen_params *p, double rate, unsigned v, float *out, size_t n)
{
	struct rng noise, mod;
	rng_variant(&noise, p, v, S_NOISE);
	rng_variant(&mod, p, v, S_MOD);
	int exhale = (v % 2) == 0;
	double scale = 0.75 * pow(1.8, p->brightness) * exp(0.05 * rng_bipolar(&mod));
	static const double formant[3] = { 550.0, 1250.0, 2600.0 }, fq[3] = { 2.0, 2.5, 3.0 };
	double gain[3] = { 1.0, 0.7, 0.35 };
	double air_hz = (exhale ? 2000.0 : 3500.0) * scale, air = exhale ? 0.3 : 0.5;
	double puff = exhale ? rng_range(&mod, 0.25, 0.4) : rng_range(&mod, 0.05, 0.12);
	/* the body: breath pressure on a close microphone, below 300 Hz */
	double body = exhale ? rng_range(&mod, 0.15, 0.25) : rng_range(&mod, 0.04, 0.08);
	double glide = exhale ? -0.08 : 0.08;
	if (!exhale) {
		gain[0] = 0.6;
		gain[2] = 0.6;
	}
	double peak = (exhale ? 0.3 : 0.55) * rng_range(&mod, 0.85, 1.15);
	struct biquad f[3];
	for (int k = 0; k < 3; k++)
		bq_init(&f[k], BQ_BANDPASS, formant[k] * scale, fq[k], rate);
	struct biquad airlp, top, body_bp, body_lp;
	bq_init(&airlp, BQ_LOWPASS, air_hz, M_SQRT1_2, rate);
	bq_init(&top, BQ_LOWPASS, (exhale ? 4500.0 : 6000.0) * scale, M_SQRT1_2, rate);
	bq_init(&body_bp, BQ_BANDPASS, rng_range(&mod, 110.0, 180.0), 0.8, rate);
	bq_init(&body_lp, BQ_LOWPASS, 300.0, M_SQRT1_2, rate);
	/* The flow is unsteady (+-2.5 dB at 1..2.5 Hz, a quicker flutter),
	 * the jaw and tongue move the first two formants on their own. */
	struct smooth unsteady, flutter, jaw, tongue, low;
	smooth_init(&unsteady, &mod, rng_range(&mod, 1.0, 2.5), rate);
	smooth_init(&flutter, &mod, rng_range(&mod, 5.0, 8.0), rate);
	smooth_init(&jaw, &mod, rng_range(&mod, 0.3, 0.6), rate);
	smooth_init(&tongue, &mod, rng_range(&mod, 0.4, 0.8), rate);
	smooth_init(&low, &noise, rng_range(&noise, 60.0, 90.0), rate);
	double body_gain = 1.0 / sqrt(150.0 / 0.8 / (0.5 * rate)); /* as loud as white noise */

	for (size_t i = 0; i < n; i++) {
		double u = (double)i / (double)(n - 1);
		double env = bump(u, peak, 1.5);
		double flow = env * exp(0.3 * smooth_next(&unsteady, &mod) + 0.06 * smooth_next(&flutter, &mod));
		double j = smooth_next(&jaw, &mod), t = smooth_next(&tongue, &mod);
		if ((i & 31) == 0) {
			double s = scale * (1.0 + glide * (u - 0.5));
			double move[3] = { exp(0.08 * j), exp(0.08 * t), exp(0.04 * (j + t)) };
			for (int k = 0; k < 3; k++)
				bq_set(&f[k], BQ_BANDPASS, formant[k] * s * move[k], fq[k], rate);
		}
		double x = rng_noise(&noise);
		double y = air * bq_run(&airlp, x);
		for (int k = 0; k < 3; k++)
			y += gain[k] * bq_run(&f[k], x);
		double b = body * body_gain * bq_run(&body_lp, bq_run(&body_bp, x));
		y = flow * bq_run(&top, y) + flow * flow * (b + puff * smooth_next(&low, &noise));
		out[i] = (float)y;
	}
}

/* ---- rendering ---- */

static int check_params(const struct gen_params *p, unsigned rate, unsigned v, char *err, size_t errlen)
{
	if ((int)p->kind <= GEN_NONE || (int)p->kind > GEN_BREATH)
		return tingle_err(err, errlen, "unknown generator kind %d", (int)p->kind);
	if (p->variants < 1 || p->variants > 32)
		return tingle_err(err, errlen, "variants %u is out of range (1..32)", p->variants);
	if (v >= p->variants)
		return tingle_err(err, errlen, "variant %u does not exist (there are %u)", v + 1, p->variants);
	if (!(p->length >= 0.01f && p->length <= 30.0f))
		return tingle_err(err, errlen, "length %g s is out of range (0.01..30)", (double)p->length);
	if (rate < TINGLE_RATE_MIN || rate > TINGLE_RATE_MAX)
		return tingle_err(err, errlen, "rate %u Hz is out of range (supported: %d to %d Hz)", rate,
				  TINGLE_RATE_MIN, TINGLE_RATE_MAX);
	const struct {
		enum gen_param id;
		float value;
	} unit[] = {
		{ GEN_P_BRIGHTNESS, p->brightness }, { GEN_P_SIZE, p->size },
		{ GEN_P_SPEED, p->speed },	     { GEN_P_ROUGHNESS, p->roughness },
		{ GEN_P_DENSITY, p->density },
	};
	for (size_t i = 0; i < TINGLE_ARRAY_LEN(unit); i++)
		if (!(unit[i].value >= 0.0f && unit[i].value <= 1.0f))
			return tingle_err(err, errlen, "%s %g is out of range (0..1)", gen_param_name(unit[i].id),
				    (double)unit[i].value);
	return 0;
}

static size_t frames_of(const struct gen_params *p, unsigned rate)
{
	size_t n = (size_t)((double)p->length * rate + 0.5);
	return n < 4 ? 4 : n;
}

float gen_velocity_top_hz(const struct gen_params *p)
{
	double b = p->brightness, hz = 16000.0;
	switch (p->kind) {
	case GEN_TAP: {
		double contact = 1.2e-3 * pow(0.125, b); /* as render_tap */
		double f1 = 2500.0 * pow(150.0 / 2500.0, p->size);
		hz = fmax(3.0 * 1.5 / contact, 4.0 * f1);
		break;
	}
	case GEN_BRUSH:
		hz = 2.0 * 1800.0 * pow(8.0, b);
		break;
	case GEN_SCRAPE:
		hz = 2.0 * 2500.0 * pow(14000.0 / 2500.0, b);
		break;
	default:
		break;
	}
	return (float)clampd(hz, 2000.0, 16000.0);
}

void gen_steady_range(const struct gen_params *p, unsigned rate, size_t *from, size_t *to)
{
	size_t n = frames_of(p, rate), att, rel;
	steady_edges(p, (double)rate, n, &att, &rel);
	*from = att;
	*to = n - rel;
}

/* Variant numbers are stream numbers below OBJECT_STREAM / 16. */
#define SERIAL_SPAN 0x08000000u

static int render_any(const struct gen_params *p, unsigned rate, uint32_t v, float **out, size_t *frames,
		      float *norm, char *err, size_t errlen)
{
	size_t n = frames_of(p, rate);
	float *buf = calloc(n, sizeof *buf);
	if (!buf)
		return tingle_err(err, errlen, "out of memory for %zu frames", n);
	double r = (double)rate;
	size_t fade_in = secs(0.005, r), fade_out = secs(0.010, r);
	v %= SERIAL_SPAN;
	switch (p->kind) {
	case GEN_TAP: {
		size_t bound = n;
		n = render_tap(p, r, v, buf, n);
		fade_in = 0; /* the contact pulse starts at zero: keep the attack sharp */
		/* Rung out (60 dB down): the last tenth only takes the last
		 * -54..-60 dB to zero. Cut short by length: a longer fade. */
		fade_out = (size_t)((double)n * (n < bound ? 0.1 : 0.2));
		break;
	}
	case GEN_SCRAPE:
		render_scrape(p, r, v, buf, n);
		break;
	case GEN_BRUSH:
		render_brush(p, r, v, buf, n);
		break;
	case GEN_CRINKLE:
		render_crinkle(p, r, v, buf, n);
		break;
	case GEN_SHUSH:
		render_shush(p, r, v, buf, n);
		break;
	case GEN_BREATH:
		render_breath(p, r, v, buf, n);
		break;
	default:
		break;
	}
	if (fade_in > n / 2)
		fade_in = n / 2;
	if (fade_out > n / 2)
		fade_out = n / 2;

	/* DC blocker (20 Hz), edges, peak. */
	double dc_r = exp(-2.0 * M_PI * 20.0 / r), px = 0.0, py = 0.0, peak = 0.0;
	for (size_t i = 0; i < n; i++) {
		double x = buf[i];
		py = x - px + dc_r * py;
		px = x;
		double y = py * edge_env(i, n, fade_in, fade_out);
		if (!isfinite(y)) {
			free(buf);
			return tingle_err(err, errlen, "%s: synthesis diverged", gen_kind_name(p->kind));
		}
		buf[i] = (float)y;
		if (fabs(y) > peak)
			peak = fabs(y);
	}
	buf[0] = buf[n - 1] = 0.0f;
	if (n < frames_of(p, rate)) { /* give back what a short ring did not use */
		float *shorter = realloc(buf, n * sizeof *buf);
		if (shorter)
			buf = shorter;
	}
	if (!(peak > 1e-20)) {
		free(buf);
		return tingle_err(err, errlen, "%s: synthesis produced silence", gen_kind_name(p->kind));
	}
	float g = (float)(db_to_gain(GEN_PEAK_DB) / peak);
	for (size_t i = 0; i < n; i++)
		buf[i] *= g;
	if (norm)
		*norm = g;
	*out = buf;
	*frames = n;
	return 0;
}

int gen_render(const struct gen_params *p, unsigned rate, unsigned v, float **out, size_t *frames,
	       char *err, size_t errlen)
{
	if (!p || !out || !frames)
		return tingle_err(err, errlen, "no parameters or no place for the result");
	if (check_params(p, rate, v, err, errlen) < 0)
		return -1;
	return render_any(p, rate, v, out, frames, NULL, err, errlen);
}

int gen_render_fresh(const struct gen_params *p, unsigned rate, uint32_t serial, float **out, size_t *frames,
		     float *norm, char *err, size_t errlen)
{
	if (!p || !out || !frames)
		return tingle_err(err, errlen, "no parameters or no place for the result");
	if (check_params(p, rate, 0, err, errlen) < 0)
		return -1;
	return render_any(p, rate, p->variants + serial % (SERIAL_SPAN - 32u), out, frames, norm, err, errlen);
}
