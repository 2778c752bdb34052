/* Audio thread: rendering one voice into its source's buffer. */
#include "config.h"
#include "rt/voice.h"

#include <math.h>


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
		buf[f] += sample_at(v, v->pos) * v->gain * v->env;
		v->pos += v->step;
		if (v->loop) {
			if (v->pos >= (double)v->len)
				v->pos -= (double)v->len;
		} else if (v->pos >= (double)v->len) {
			v->stage = VOICE_OFF;
		}
	}
	v->start = 0;
	if (v->event_at >= 0) /* the voice ended before it: nothing left to do */
		v->event_at = -1;
}

float voice_score(const struct voice *v, uint64_t now)
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
	float age = (float)(now - v->born) / 48000.0f;
	return s / (1.0f + age);
}
