/* A Jot feedback delay network; see room.h for the signal flow. */
#include "config.h"
#include "rt/room.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/limits.h"
#include "common/util.h"

#define LINES 16                /* a power of two: the Hadamard matrix */
#define DIFFUSERS 4
#define QUIET 1e-6f             /* -120 dBFS: a tail below this is over */
#define SOUND_SPEED 343.0
#define MIN_SIZE 1.0f
#define MAX_SIZE 50.0f
#define MIN_DECAY 0.05f
#define MAX_DECAY 60.0f
#define MAX_PREDELAY_MS 200.0f
#define SHELF_HZ 2000.0         /* above this the damping shortens the decay */
#define DAMP_RATIO 8.0          /* damping 1: the top decays 8 times faster */
#define T_SEND 0.005f           /* s: a network's send fades in or out */
#define T_GAIN 0.010f           /* s: output gain glide (level, forced fade) */
#define T_COEF 0.020f           /* s: absorption filter glide (decay, damping) */
#define T_PREDELAY 0.020f       /* s: crossfade between two predelay taps */

/* Left and right: rows 2 and 3 of the Sylvester Hadamard matrix. They are
 * orthogonal, and their product is row 1 (+-+-...), which pairs lines of
 * neighbouring lengths: the lines' energies differ (a longer line loses
 * more per pass) but neighbours' nearly cancel in what the ears share. */
#define OUT_L 2
#define OUT_R 3

/* Send into the lines: signs with no Walsh pattern, energy 1 in all. */
static const float in_gain_vec[LINES] = {
	0.25f, -0.25f, 0.25f, 0.25f, -0.25f, 0.25f, -0.25f, -0.25f,
	0.25f, 0.25f, -0.25f, -0.25f, -0.25f, 0.25f, 0.25f, -0.25f,
};

/* Diffusers: milliseconds (rounded to distinct primes) and gains. */
static const float diff_ms[DIFFUSERS] = { 1.3f, 2.1f, 3.4f, 5.5f };
static const float diff_g[DIFFUSERS] = { 0.7f, 0.7f, 0.6f, 0.6f };

enum net_state {
	NET_IDLE,     /* silent: not run, adds nothing */
	NET_LIVE,     /* run: fed by the send or ringing out */
	NET_FADING,   /* run while its output fades, then cleared */
};

struct net {
	enum net_state state;
	unsigned len[LINES], pos[LINES];
	float *line[LINES];           /* capacity: the lengths for the largest size */
	float y1[LINES], f1[LINES];   /* absorption filter: last input and output */
	float b0[LINES], b1[LINES];   /* its zeros now, gliding to: */
	float b0_to[LINES], b1_to[LINES];
	float norm;                   /* output gain for 0 dB */
	float send;                   /* gain of the send into it, 0..1 */
	float gain, fade_from;        /* output gain now; at the start of a forced fade */
	unsigned quiet;               /* samples its lines have read below QUIET */
};

struct allpass {
	float *buf;
	unsigned len, pos;
	float g;
};

struct room {
	unsigned rate, max_block;
	struct room_params p;         /* sanitised */
	float t60;                    /* last decay > 0: a tail rings on with it */
	float level;                  /* linear */
	float pole;                   /* of the absorption shelves */
	float spread[LINES];          /* line length / mean free time */
	unsigned cap[LINES];
	unsigned want[LINES];         /* lengths for p.size */
	bool pending;                 /* want is not the live network's */
	struct net net[2];
	unsigned live;                /* the network the send feeds */
	unsigned char *composite;     /* sieve for the prime lengths */
	unsigned sieve_n;
	float *pd;                    /* predelay ring, a power of two */
	unsigned pd_mask, pd_pos, pd_max;
	unsigned pd_to, pd_cur, pd_from, pd_fade, pd_fade_len;
	struct allpass ap[DIFFUSERS];
	unsigned fe_quiet, fe_hold;   /* the predelay and diffusers are empty when
				       * fe_quiet >= fe_hold */
	bool was_quiet;               /* the last block's send was below QUIET */
	float *send;                  /* max_block: the diffused send */
	float *mem;
};

/* ---- lengths (room_new and room_set) -------------------------------- */

static unsigned next_prime(const struct room *r, unsigned m)
{
	while (m < r->sieve_n && r->composite[m])
		m++;
	return m;
}

/* Line lengths for a room of this size: the mean free path 4V/S of a
 * shoebox with sides 1 : 0.7 : 0.45 of its longest is 0.43 of it; the
 * lines spread 0.55..1.75 times that path's time (no shorter than for
 * a 2 m room, where a network gets too sparse), rounded up to rising
 * primes, so that the lengths are mutually prime. */
static void lengths_for(const struct room *r, float size, unsigned *len)
{
	double t = fmax(0.43 * size / SOUND_SPEED, 0.0025);
	unsigned prev = 1;
	for (unsigned i = 0; i < LINES; i++) {
		unsigned m = (unsigned)lround(t * r->spread[i] * r->rate);
		if (m <= prev)
			m = prev + 1;
		m = next_prime(r, m);
		if (r->cap[i] && m > r->cap[i])
			m = r->cap[i]; /* not reached: lengths grow with size */
		len[i] = m;
		prev = m;
	}
}

/* ---- control thread ------------------------------------------------ */

struct room *room_new(unsigned rate, unsigned max_block)
{
	if (rate < TINGLE_RATE_MIN || rate > TINGLE_RATE_MAX || max_block == 0 || max_block > (1u << 20))
		return NULL;
	struct room *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->rate = rate;
	r->max_block = max_block;
	for (unsigned i = 0; i < LINES; i++)
		r->spread[i] = (float)(0.55 * pow(1.75 / 0.55, (double)i / (LINES - 1)));

	/* Sieve past the longest line of the largest room (prime gaps there
	 * are far below 10 %). */
	r->sieve_n = (unsigned)(0.43 * MAX_SIZE / SOUND_SPEED * 1.75 * rate * 1.1) + 64;
	r->composite = calloc(r->sieve_n, 1);
	if (!r->composite)
		goto fail;
	r->composite[0] = r->composite[1] = 1;
	for (unsigned i = 2; (unsigned long)i * i < r->sieve_n; i++)
		if (!r->composite[i])
			for (unsigned j = i * i; j < r->sieve_n; j += i)
				r->composite[j] = 1;
	lengths_for(r, MAX_SIZE, r->cap);

	r->pd_max = (unsigned)lroundf(MAX_PREDELAY_MS * 0.001f * (float)rate);
	unsigned pd_size = 1;
	while (pd_size <= r->pd_max)
		pd_size <<= 1;
	r->pd_mask = pd_size - 1;
	r->pd_fade_len = (unsigned)(T_PREDELAY * (float)rate);

	size_t total = (size_t)pd_size + max_block;
	for (unsigned i = 0; i < LINES; i++)
		total += 2 * (size_t)r->cap[i];
	unsigned prev = 1, ap_total = 0;
	for (unsigned k = 0; k < DIFFUSERS; k++) {
		unsigned m = (unsigned)lroundf(diff_ms[k] * 0.001f * (float)rate);
		m = next_prime(r, m > prev ? m : prev + 1);
		r->ap[k].len = m;
		r->ap[k].g = diff_g[k];
		prev = m;
		ap_total += m;
		total += m;
	}
	r->mem = calloc(total, sizeof(float));
	if (!r->mem)
		goto fail;
	/* Touch every page here, not on the audio thread's first block
	 * (calloc maps zero pages lazily). */
	volatile float *touch = r->mem;
	for (size_t i = 0; i < total; i += 512)
		touch[i] = 0.0f;
	float *m = r->mem;
	r->pd = m;
	m += pd_size;
	r->send = m;
	m += max_block;
	for (unsigned k = 0; k < DIFFUSERS; k++) {
		r->ap[k].buf = m;
		m += r->ap[k].len;
	}
	for (unsigned n = 0; n < 2; n++)
		for (unsigned i = 0; i < LINES; i++) {
			r->net[n].line[i] = m;
			m += r->cap[i];
		}
	/* A tail in the predelay and the diffusers has left when the send
	 * has been quiet for this long (an allpass that reads quiet over its
	 * length holds less than QUIET / (1 - g^2)). */
	r->fe_hold = r->pd_max + 1 + 2 * ap_total;
	r->fe_quiet = r->fe_hold;

	double fc = fmin(SHELF_HZ, 0.2 * rate);
	r->pole = (float)exp(-2.0 * M_PI * fc / rate);

	struct room_params p = { .decay = 0.0f, .size = 10.0f, .damping = 0.5f, .level = 0.0f,
				 .predelay = 0.0f };
	r->p = p;
	r->t60 = 1.0f;
	room_set(r, &p);
	room_clear(r);
	return r;
fail:
	room_free(r);
	return NULL;
}

void room_free(struct room *r)
{
	if (!r)
		return;
	free(r->mem);
	free(r->composite);
	free(r);
}

/* ---- audio thread -------------------------------------------------- */

/* Jot's absorption per line: a first-order shelf with gain g0 below the
 * shelf and g0 * r at the top, g0 = 10^(-3 len / (rate T60)) so every
 * line (and every path through the matrix) loses 60 dB in T60 at low
 * frequencies, and r the same for a T60 DAMP_RATIO^damping times
 * shorter at the top. The pole sits at SHELF_HZ, so mid frequencies keep
 * the set decay however strong the damping (Jot's one-pole lowpass puts
 * its corner wherever g0 and r send it). The output gain keeps the
 * energy of the tail at the level, whatever the decay: the lines give
 * back g^2 / (1 - g^2) of the energy sent in, g^2 the mean of g0^2. */
static void net_targets(const struct room *r, struct net *n)
{
	const double t60 = r->t60, p = r->pole;
	const double steeper = pow(DAMP_RATIO, r->p.damping) - 1.0;
	double g2 = 0.0;
	for (unsigned i = 0; i < LINES; i++) {
		double e = -3.0 * n->len[i] / (r->rate * t60);
		double g0 = pow(10.0, e), top = pow(10.0, e * steeper);
		n->b0_to[i] = (float)(g0 * ((1.0 - p) + top * (1.0 + p)) * 0.5);
		n->b1_to[i] = (float)(g0 * ((1.0 - p) - top * (1.0 + p)) * 0.5);
		g2 += g0 * g0;
	}
	g2 /= LINES;
	n->norm = (float)sqrt((1.0 - g2) / g2);
}

static unsigned longest(const struct net *n)
{
	return n->len[LINES - 1];
}

/* A silent network takes new lengths in place. */
static void net_start(struct room *r, struct net *n, const unsigned *len)
{
	memcpy(n->len, len, sizeof(n->len));
	memset(n->pos, 0, sizeof(n->pos));
	memset(n->y1, 0, sizeof(n->y1));
	memset(n->f1, 0, sizeof(n->f1));
	net_targets(r, n);
	memcpy(n->b0, n->b0_to, sizeof(n->b0));
	memcpy(n->b1, n->b1_to, sizeof(n->b1));
	n->gain = r->level * n->norm;
	n->quiet = 0;
	n->state = NET_IDLE;
}

static void net_clear(struct net *n)
{
	for (unsigned i = 0; i < LINES; i++)
		memset(n->line[i], 0, n->len[i] * sizeof(float));
	memset(n->y1, 0, sizeof(n->y1));
	memset(n->f1, 0, sizeof(n->f1));
	n->quiet = 0;
	n->state = NET_IDLE;
}

void room_set(struct room *r, const struct room_params *p)
{
	struct room_params q = r->p;
	if (p->decay > 0.0f)
		q.decay = fminf(fmaxf(p->decay, MIN_DECAY), MAX_DECAY);
	else if (p->decay <= 0.0f)
		q.decay = 0.0f;
	if (isfinite(p->size))
		q.size = fminf(fmaxf(p->size, MIN_SIZE), MAX_SIZE);
	if (isfinite(p->damping))
		q.damping = fminf(fmaxf(p->damping, 0.0f), 1.0f);
	if (p->level == p->level)
		q.level = fminf(p->level, 24.0f);
	if (isfinite(p->predelay))
		q.predelay = fminf(fmaxf(p->predelay, 0.0f), MAX_PREDELAY_MS);
	r->p = q;
	if (q.decay > 0.0f)
		r->t60 = q.decay;
	r->level = db_to_gain(q.level);
	unsigned d = (unsigned)lroundf(q.predelay * 0.001f * (float)r->rate);
	r->pd_to = d < r->pd_max ? d : r->pd_max;

	lengths_for(r, q.size, r->want);
	r->pending = memcmp(r->want, r->net[r->live].len, sizeof(r->want)) != 0;
	for (unsigned k = 0; k < 2; k++)
		net_targets(r, &r->net[k]);
}

void room_clear(struct room *r)
{
	memset(r->pd, 0, (r->pd_mask + 1) * sizeof(float));
	for (unsigned k = 0; k < DIFFUSERS; k++)
		memset(r->ap[k].buf, 0, r->ap[k].len * sizeof(float));
	r->pd_cur = r->pd_to;
	r->pd_fade = 0;
	r->fe_quiet = r->fe_hold;
	r->was_quiet = true;
	for (unsigned k = 0; k < 2; k++) {
		struct net *n = &r->net[k];
		net_clear(n);
		if (k == r->live && r->pending) {
			net_start(r, n, r->want);
			r->pending = false;
		}
		net_targets(r, n);
		memcpy(n->b0, n->b0_to, sizeof(n->b0));
		memcpy(n->b1, n->b1_to, sizeof(n->b1));
		n->gain = r->level * n->norm;
		n->send = (k == r->live && r->p.decay > 0.0f) ? 1.0f : 0.0f;
	}
}

/* One block's step of a glide: from x towards `to`, snapping when within
 * `snap` (a jump that small is far below hearing). */
static float glide(float x, float to, float a, float snap)
{
	float y = x + (to - x) * a;
	return fabsf(y - to) <= snap ? to : y;
}

/* In-place unnormalised fast Walsh-Hadamard transform (Sylvester order). */
static inline void fwht16(float *v)
{
	for (unsigned h = 1; h < LINES; h <<= 1)
		for (unsigned i = 0; i < LINES; i += 2 * h)
			for (unsigned j = i; j < i + h; j++) {
				float a = v[j], b = v[j + h];
				v[j] = a + b;
				v[j + h] = a - b;
			}
}

/* Predelay and input diffusion of the block into r->send; returns the
 * peak of what came out. */
static float run_front(struct room *r, const float *in, unsigned n)
{
	float *pd = r->pd, *send = r->send;
	const unsigned mask = r->pd_mask;
	unsigned w = r->pd_pos;
	for (unsigned j = 0; j < n; j++) {
		float x = in[j];
		if (!(fabsf(x) <= 1e6f))
			x = 0.0f; /* NaN or infinity would ring forever */
		pd[w] = x;
		float d = pd[(w - r->pd_cur) & mask];
		if (r->pd_fade) {
			float t = (float)r->pd_fade / (float)r->pd_fade_len;
			d += (pd[(w - r->pd_from) & mask] - d) * t;
			r->pd_fade--;
		}
		send[j] = d;
		w = (w + 1) & mask;
	}
	r->pd_pos = w;
	float peak = 0.0f;
	for (unsigned k = 0; k < DIFFUSERS; k++) {
		struct allpass *a = &r->ap[k];
		float *buf = a->buf;
		const float g = a->g;
		unsigned pos = a->pos;
		const unsigned len = a->len;
		for (unsigned j = 0; j < n; j++) {
			float old = buf[pos];
			float v = send[j] + g * old;
			buf[pos] = v;
			send[j] = old - g * v;
			if (++pos == len)
				pos = 0;
		}
		a->pos = pos;
	}
	for (unsigned j = 0; j < n; j++)
		peak = fmaxf(peak, fabsf(send[j]));
	return peak;
}

/* One network over the block; returns the peak energy its lines read. */
static float run_net(struct room *r, struct net *nt, float send_to, float gain_to, unsigned n,
		     float *out_l, float *out_r)
{
	const float fn = (float)n, rate = (float)r->rate;
	const float a_send = 1.0f - expf(-fn / (T_SEND * rate));
	const float a_gain = 1.0f - expf(-fn / (T_GAIN * rate));
	const float a_coef = 1.0f - expf(-fn / (T_COEF * rate));

	float s = nt->send, s_end = glide(s, send_to, a_send, 1e-4f);
	float g = nt->gain, g_end = glide(g, gain_to, a_gain, 1e-4f * gain_to);
	if (nt->state == NET_FADING && g_end <= 1e-3f * nt->fade_from)
		g_end = 0.0f; /* -60 dB under the fading tail, under the new room */
	const float ds = (s_end - s) / fn, dg = (g_end - g) / fn;

	/* Locals, so that the compiler keeps them out of memory. */
	float b0[LINES], b1[LINES], db0[LINES], db1[LINES], y1[LINES], f1[LINES];
	unsigned pos[LINES], len[LINES];
	float *line[LINES];
	for (unsigned i = 0; i < LINES; i++) {
		b0[i] = nt->b0[i];
		b1[i] = nt->b1[i];
		db0[i] = (nt->b0_to[i] - b0[i]) * a_coef / fn;
		db1[i] = (nt->b1_to[i] - b1[i]) * a_coef / fn;
		y1[i] = nt->y1[i];
		f1[i] = nt->f1[i];
		pos[i] = nt->pos[i];
		len[i] = nt->len[i];
		line[i] = nt->line[i];
	}
	const float pole = r->pole;
	const float *send = r->send;
	float peak = 0.0f;
	for (unsigned j = 0; j < n; j++) {
		const float x = send[j] * s;
		float v[LINES], e = 0.0f;
		for (unsigned i = 0; i < LINES; i++) {
			float y = line[i][pos[i]];
			float f = b0[i] * y + b1[i] * y1[i] + pole * f1[i];
			y1[i] = y;
			f1[i] = f;
			v[i] = f;
			e += f * f;
			b0[i] += db0[i];
			b1[i] += db1[i];
		}
		peak = fmaxf(peak, e);
		fwht16(v);
		out_l[j] += g * v[OUT_L];
		out_r[j] += g * v[OUT_R];
		for (unsigned i = 0; i < LINES; i++) {
			line[i][pos[i]] = 0.25f * v[i] + in_gain_vec[i] * x;
			if (++pos[i] == len[i])
				pos[i] = 0;
		}
		s += ds;
		g += dg;
	}
	for (unsigned i = 0; i < LINES; i++) {
		nt->b0[i] = b0[i];
		nt->b1[i] = b1[i];
		nt->y1[i] = y1[i];
		nt->f1[i] = f1[i];
		nt->pos[i] = pos[i];
	}
	nt->send = s_end;
	nt->gain = g_end;
	return peak;
}

static void process_block(struct room *r, const float *in, float *out_l, float *out_r, unsigned n)
{
	struct net *live = &r->net[r->live], *other = &r->net[!r->live];

	/* A new size: a silent network takes it in place; else the other
	 * network starts with it and takes the send, and the old one rings
	 * out. If the other is still ringing from an earlier change, its
	 * tail fades out first. */
	if (r->pending) {
		if (live->state == NET_IDLE) {
			net_start(r, live, r->want);
			r->pending = false;
		} else if (other->state == NET_IDLE) {
			net_start(r, other, r->want);
			other->send = 0.0f;
			r->live = !r->live;
			live = &r->net[r->live];
			other = &r->net[!r->live];
			r->pending = false;
		} else if (other->state == NET_LIVE) {
			other->state = NET_FADING;
			other->fade_from = other->gain;
		}
	}

	const float live_send = r->p.decay > 0.0f ? 1.0f : 0.0f;
	float in_peak = 0.0f;
	for (unsigned j = 0; j < n; j++)
		in_peak = fmaxf(in_peak, fabsf(in[j])); /* NaN counts as quiet */
	bool fe_empty = r->fe_quiet >= r->fe_hold;
	/* The send fades in when the room is turned on (or a new network
	 * takes over) while something plays; into silence it opens at once,
	 * so that the first sound after it is not faded. */
	if (live_send > live->send && live->state == NET_IDLE && fe_empty && r->was_quiet)
		live->send = live_send;
	r->was_quiet = in_peak < QUIET;
	bool feeding = live_send > 0.0f || r->net[0].send > 0.0f || r->net[1].send > 0.0f;
	if (!feeding || (fe_empty && in_peak < QUIET)) {
		/* Nothing to send: what the front holds is forgotten (it is
		 * silent, or the room was turned off and it must not come back
		 * when it is turned on again). */
		if (!fe_empty) {
			memset(r->pd, 0, (r->pd_mask + 1) * sizeof(float));
			for (unsigned k = 0; k < DIFFUSERS; k++)
				memset(r->ap[k].buf, 0, r->ap[k].len * sizeof(float));
			r->fe_quiet = r->fe_hold;
			fe_empty = true;
		}
		r->pd_cur = r->pd_to;
		r->pd_fade = 0;
		memset(r->send, 0, n * sizeof(float));
	} else {
		if (fe_empty) {
			r->pd_cur = r->pd_to; /* it holds nothing: no crossfade */
			r->pd_fade = 0;
		} else if (!r->pd_fade && r->pd_to != r->pd_cur) {
			r->pd_from = r->pd_cur;
			r->pd_cur = r->pd_to;
			r->pd_fade = r->pd_fade_len;
		}
		float out_peak = run_front(r, in, n);
		if (in_peak < QUIET && out_peak < QUIET) {
			if (r->fe_quiet < r->fe_hold)
				r->fe_quiet += n;
		} else {
			r->fe_quiet = 0;
		}
		fe_empty = r->fe_quiet >= r->fe_hold;
		if (live->state == NET_IDLE && live_send > 0.0f)
			live->state = NET_LIVE;
	}

	for (unsigned k = 0; k < 2; k++) {
		struct net *nt = &r->net[k];
		if (nt->state == NET_IDLE)
			continue;
		float send_to = nt == live ? live_send : 0.0f;
		float gain_to = nt->state == NET_FADING ? 0.0f : r->level * nt->norm;
		float peak = run_net(r, nt, send_to, gain_to, n, out_l, out_r);
		bool no_input = (nt->send == 0.0f && send_to == 0.0f) || fe_empty;
		if (peak < QUIET * QUIET && no_input)
			nt->quiet += n;
		else
			nt->quiet = 0;
		if (nt->state == NET_FADING && nt->gain == 0.0f)
			net_clear(nt);
		else if (nt->quiet > longest(nt))
			nt->state = NET_IDLE; /* every line holds less than QUIET */
	}
}

void room_process(struct room *r, const float *in, float *out_l, float *out_r, unsigned n)
{
	while (n) {
		unsigned m = n < r->max_block ? n : r->max_block;
		process_block(r, in, out_l, out_r, m);
		in += m;
		out_l += m;
		out_r += m;
		n -= m;
	}
}
