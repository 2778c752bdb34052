/* Audio thread: rendering one voice into its source's buffer. */
#include "config.h"
#include "rt/voice.h"

#include <math.h>
#include <stdatomic.h>
#include <stddef.h>

#include "rt/scene_data.h"


void voice_release(struct voice *v, uint32_t at, uint32_t frames, bool fade)
{
	if (v->stage == VOICE_OFF)
		return;
	float step = 1.0f / (float)(frames ? frames : 1); /* full level to silence in `frames` */
	uint8_t stage = fade ? VOICE_FADE : VOICE_RELEASE;
	if (at < v->start)
		at = v->start;
	/* Falling already (a release under way when a scene fades it, say):
	 * the slower of the two never takes over. */
	bool falling = v->stage == VOICE_RELEASE || v->stage == VOICE_FADE;
	if (falling) {
		step = fmaxf(step, -v->env_step);
		if (v->stage == VOICE_FADE)
			stage = VOICE_FADE;
	}
	/* One event per block: merged, it starts at the earlier frame and
	 * falls at the faster rate, so neither is heard later or slower. */
	if (v->event_at >= 0) {
		step = fmaxf(step, v->event_step);
		if (v->event_stage == VOICE_FADE)
			stage = VOICE_FADE;
		if ((uint32_t)v->event_at < at)
			at = (uint32_t)v->event_at;
	} else if (falling && stage == v->stage && step == -v->env_step) {
		return; /* nothing changes */
	}
	v->event_at = (int32_t)at;
	v->event_stage = stage;
	v->event_step = step;
}

struct eng_segment *voice_pool_take(struct eng_pool *pool)
{
	if (!pool)
		return NULL;
	for (unsigned k = 0; k < pool->n_seg; k++) {
		unsigned i = (pool->next + k) % pool->n_seg;
		struct eng_segment *s = &pool->seg[i];
		if (atomic_load_explicit(&s->state, memory_order_acquire) == SEG_FRESH) {
			atomic_store_explicit(&s->state, SEG_TAKEN, memory_order_relaxed);
			pool->next = i + 1;
			return s;
		}
	}
	return NULL;
}

static void give(struct eng_segment *s)
{
	if (s)
		atomic_store_explicit(&s->state, SEG_FREE, memory_order_release);
}

void voice_give_back(struct voice *v)
{
	if (v->splicing && v->next_seg != v->seg)
		give(v->next_seg);
	give(v->seg);
	v->seg = v->next_seg = NULL;
	v->splicing = false;
}

static uint32_t voice_rand(struct voice *v)
{
	uint32_t x = v->rng ? v->rng : 0x9e3779b9u;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	v->rng = x;
	return x;
}

/* A random point in the first half of a buffer of len frames that leaves
 * room for a splice after it. */
static double entry_point(struct voice *v, uint32_t len)
{
	double room = (double)len * 0.5;
	double need = (double)len - 3.0 * (double)v->splice * v->step;
	if (need < room)
		room = need;
	if (room < 1.0)
		return 0.0;
	return (double)(voice_rand(v) >> 8) * (1.0 / 16777216.0) * room;
}

void voice_enter_texture(struct voice *v)
{
	v->pos = entry_point(v, v->len);
}

void voice_set_lowpass(struct voice *v, float top_hz, float cents, float vel, float rate)
{
	float down = cents * (1.0f - vel);
	float hz = top_hz * exp2f(-down / 1200.0f);
	v->lp_on = down > 0.0f && hz < 0.45f * rate;
	if (!v->lp_on)
		return;
	/* RBJ cookbook low-pass, Q 1/sqrt(2). */
	float w = 2.0f * (float)M_PI * hz / rate, cw = cosf(w), alpha = sinf(w) * (float)M_SQRT1_2;
	float a0 = 1.0f + alpha;
	v->lp_b0 = v->lp_b2 = (1.0f - cw) / 2.0f / a0;
	v->lp_b1 = (1.0f - cw) / a0;
	v->lp_a1 = -2.0f * cw / a0;
	v->lp_a2 = (1.0f - alpha) / a0;
	v->lp_z1 = v->lp_z2 = 0.0f;
}

static inline float read_once(const float *d, uint32_t len, double pos)
{
	uint32_t i = (uint32_t)pos;
	if (i >= len)
		return 0.0f;
	float frac = (float)(pos - (double)i);
	float b = i + 1 < len ? d[i + 1] : 0.0f;
	return d[i] + (b - d[i]) * frac;
}

/* Into the next segment: a fresh one, or this one again elsewhere. */
static void splice_begin(struct voice *v)
{
	struct eng_segment *s = voice_pool_take(v->sound ? v->sound->pool : NULL);
	if (s) {
		v->next_seg = s;
		v->next_data = s->data;
		v->next_len = s->len;
	} else {
		v->next_seg = v->seg;
		v->next_data = v->data;
		v->next_len = v->len;
	}
	v->next_pos = entry_point(v, v->next_len);
	v->splicing = true;
	v->xf = 0;
}

static void splice_end(struct voice *v)
{
	if (v->seg != v->next_seg)
		give(v->seg);
	v->seg = v->next_seg;
	v->next_seg = NULL;
	v->data = v->next_data;
	v->len = v->next_len;
	v->pos = v->next_pos;
	v->splicing = false;
}

static inline float texture_next(struct voice *v)
{
	if (!v->splicing && v->pos + (double)v->splice * v->step >= (double)v->len)
		splice_begin(v);
	float y = read_once(v->data, v->len, v->pos);
	v->pos += v->step;
	if (v->splicing) {
		/* equal power: the two stretches are not correlated */
		float t = ((float)v->xf + 0.5f) / (float)v->splice * (float)M_PI_2;
		y = y * cosf(t) + read_once(v->next_data, v->next_len, v->next_pos) * sinf(t);
		v->next_pos += v->step;
		if (++v->xf >= v->splice)
			splice_end(v);
	}
	return y;
}

static inline float sample_at(const struct voice *v, double pos)
{
	uint32_t i = (uint32_t)pos;
	float frac = (float)(pos - (double)i);
	uint32_t j = i + 1;
	if (v->loop) {
		i %= v->len;
		j %= v->len;
	} else if (j >= v->len) {
		return i < v->len ? v->data[i] * (1.0f - frac) : 0.0f;
	}
	return v->data[i] + (v->data[j] - v->data[i]) * frac;
}

void voice_render(struct voice *v, float *buf, unsigned n)
{
	for (unsigned f = v->start; f < n && v->stage != VOICE_OFF; f++) {
		if (v->event_at >= 0 && f >= (unsigned)v->event_at) {
			v->stage = v->event_stage;
			v->env_step = -v->event_step;
			v->event_at = -1;
		}
		switch (v->stage) {
		case VOICE_ATTACK:
			v->env += v->env_step;
			if (v->env >= 1.0f) {
				v->env = 1.0f;
				v->stage = VOICE_SUSTAIN;
			}
			break;
		case VOICE_RELEASE:
		case VOICE_FADE:
			v->env += v->env_step;
			if (v->env <= 0.0f) {
				v->env = 0.0f;
				v->stage = VOICE_OFF;
				continue;
			}
			break;
		default:
			break;
		}
		float x;
		bool done = false;
		if (v->texture) {
			x = texture_next(v);
		} else {
			x = sample_at(v, v->pos);
			v->pos += v->step;
			if (v->loop) {
				if (v->pos >= (double)v->len)
					v->pos -= (double)v->len;
			} else if (v->pos >= (double)v->len) {
				done = true;
			}
		}
		if (v->lp_on) {
			float y = v->lp_b0 * x + v->lp_z1;
			v->lp_z1 = v->lp_b1 * x - v->lp_a1 * y + v->lp_z2;
			v->lp_z2 = v->lp_b2 * x - v->lp_a2 * y;
			x = y;
		}
		buf[f] += x * v->gain * v->env;
		if (done)
			v->stage = VOICE_OFF;
	}
	v->start = 0;
	if (v->event_at >= 0) /* the voice ended before it: nothing left to do */
		v->event_at = -1;
}

float voice_score(const struct voice *v, uint64_t now, float rate)
{
	if (v->stage == VOICE_OFF)
		return -2.0f;
	if (v->stage == VOICE_FADE)
		return -1.0f + v->env * 0.5f;
	float level = v->env * v->gain;
	float s = level;
	if (v->stage == VOICE_RELEASE)
		s *= 0.25f;
	/* Older voices matter a little less than new ones. */
	float age = (float)(now - v->born) / rate;
	return s / (1.0f + age);
}
