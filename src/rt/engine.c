/* Audio thread: one block of the engine. Nothing in this file allocates,
 * locks, logs or does I/O. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "common/util.h"
#include "rt/engine_impl.h"
#include "rt/fpu.h"
#include "ctl/hrtf.h"

/* Commands drained per queue per block, so a flood cannot stall a block. */
#define MAX_CMDS_PER_BLOCK 256

static float source_target(const struct engine_source *s)
{
	if (s->mute || !s->active)
		return 0.0f;
	float d = s->distance < ENGINE_MIN_DISTANCE ? ENGINE_MIN_DISTANCE : s->distance;
	return db_to_gain(s->gain_db) / d; /* unity at 1 m */
}

static void emit(struct engine *e, struct engine_event *ev)
{
	ev->frame = e->frames;
	if (e->dropped) {
		struct engine_event d = { .type = ENGINE_EV_DROPPED, .count = e->dropped, .frame = e->frames };
		if (!ring_push(e->events, &d)) {
			e->dropped++;
			return;
		}
		e->dropped = 0;
	}
	if (!ring_push(e->events, ev))
		e->dropped++;
}

static void apply(struct engine *e, const struct engine_cmd *c)
{
	struct engine_source *s = NULL;
	if (c->type >= ENGINE_CMD_SOURCE_PLACE && c->type <= ENGINE_CMD_SOURCE_ACTIVE) {
		if (c->target < 0 || (unsigned)c->target >= e->n_sources)
			return;
		s = &e->src[c->target];
	}
	switch ((enum engine_cmd_type)c->type) {
	case ENGINE_CMD_SOURCE_PLACE:
		if (c->flags & ENGINE_PLACE_AZ)
			s->azimuth = wrap_azimuth(c->f[0]);
		if (c->flags & ENGINE_PLACE_EL)
			s->elevation = fminf(fmaxf(c->f[1], -90.0f), 90.0f);
		if (c->flags & ENGINE_PLACE_DIST)
			s->distance = fminf(fmaxf(c->f[2], ENGINE_MIN_DISTANCE), ENGINE_MAX_DISTANCE);
		s->place_dirty = true;
		s->target = source_target(s);
		break;
	case ENGINE_CMD_SOURCE_GAIN:
		s->gain_db = c->f[0];
		s->target = source_target(s);
		break;
	case ENGINE_CMD_SOURCE_MUTE:
		s->mute = c->i != 0;
		s->target = source_target(s);
		break;
	case ENGINE_CMD_SOURCE_ACTIVE:
		if (c->i && !s->active) {
			s->reset = true;
			s->gain = 0.0f;
		}
		s->active = c->i != 0;
		s->target = source_target(s);
		break;
	case ENGINE_CMD_MASTER_GAIN:
		e->master_db = c->f[0];
		e->master_target = db_to_gain(c->f[0]);
		break;
	case ENGINE_CMD_CEILING:
		e->ceiling_db = c->f[0];
		limiter_set_ceiling(&e->lim, c->f[0]);
		break;
	case ENGINE_CMD_FADE: {
		float secs = c->f[1] > 0.0f ? c->f[1] : 0.0f;
		e->fade_target = fminf(fmaxf(c->f[0], 0.0f), 1.0f);
		float frames = e->core ? secs * (float)e->core->rate : 0.0f;
		float dist = fabsf(e->fade_target - e->fade_gain);
		e->fade_step = frames >= 1.0f ? dist / frames : dist;
		e->fade_pending = true;
		break;
	}
	case ENGINE_CMD_NONE:
		break;
	}
}

static void drain(struct engine *e)
{
	unsigned nq = atomic_load_explicit(&e->n_queues, memory_order_acquire);
	struct engine_cmd c;
	for (unsigned q = 0; q < nq; q++)
		for (unsigned k = 0; k < MAX_CMDS_PER_BLOCK && ring_pop(e->queues[q].ring, &c); k++)
			apply(e, &c);
}

static void take_core(struct engine *e)
{
	struct engine_core *c = atomic_exchange_explicit(&e->pending, NULL, memory_order_acq_rel);
	if (!c)
		return;
	if (e->core && !ring_push(e->retired, &e->core)) {
		/* No room to give the old core back: keep it, try again later. */
		atomic_store(&e->pending, c);
		return;
	}
	e->core = c;
	e->lim.release = 1.0f - expf(-1.0f / (0.15f * (float)c->rate));
	if (!e->lim_ready) {
		limiter_init(&e->lim, e->ceiling_db, c->rate, 0.15f);
		e->lim_ready = true;
	}
	for (unsigned s = 0; s < e->n_sources; s++) {
		e->src[s].reset = true;
		e->src[s].place_dirty = true;
	}
}

static unsigned lookup_dir(const struct engine_core *c, float az, float el)
{
	long a = lroundf(az);
	a = ((a % 360) + 360) % 360;
	long ei = lroundf(el) + 90;
	if (ei < 0)
		ei = 0;
	if (ei > 180)
		ei = 180;
	return c->table[(size_t)ei * HRTF_GRID_AZ + (size_t)a];
}

/* Gain ramps linearly over the block towards a one-pole smoothed target,
 * so fader moves and mutes never click. */
static void ramp(float *x, unsigned n, float from, float to)
{
	if (from == to) {
		if (to == 1.0f)
			return;
		for (unsigned i = 0; i < n; i++)
			x[i] *= to;
		return;
	}
	float step = (to - from) / (float)n;
	for (unsigned i = 0; i < n; i++)
		x[i] *= from + step * (float)(i + 1);
}

static float approach(float cur, float target, float coef)
{
	float next = cur + (target - cur) * coef;
	if (fabsf(next - target) < 1e-5f)
		next = target;
	return next;
}

void engine_process(struct engine *e, const float *const *in, unsigned n_in, float *const out[2],
		    unsigned nframes, const struct engine_midi *midi, unsigned n_midi)
{
	(void)midi;
	(void)n_midi;
	fpu_flush_denormals();
	take_core(e);
	drain(e);

	struct engine_core *c = e->core;
	if (!c || nframes != c->block) {
		memset(out[0], 0, nframes * sizeof(float));
		memset(out[1], 0, nframes * sizeof(float));
		e->frames += nframes;
		return;
	}

	struct binaural *b = c->bin;
	binaural_begin(b);
	for (unsigned s = 0; s < e->n_sources; s++) {
		struct engine_source *src = &e->src[s];
		if (src->reset) {
			binaural_reset_source(b, s);
			src->reset = false;
		}
		if (src->place_dirty) {
			src->dir = lookup_dir(c, src->azimuth, src->elevation);
			src->place_dirty = false;
		}
		if (!src->active && src->gain == 0.0f)
			continue;
		const float *x = s < n_in ? in[s] : NULL;
		float next = approach(src->gain, src->target, c->smooth);
		if (x && (src->gain != 0.0f || next != 0.0f)) {
			memcpy(c->scratch, x, nframes * sizeof(float));
			ramp(c->scratch, nframes, src->gain, next);
			binaural_add(b, s, c->scratch, src->dir);
		} else {
			binaural_add(b, s, NULL, src->dir);
		}
		src->gain = next;
	}
	binaural_end(b, out[0], out[1]);

	/* Output stage: master gain, fade (shutdown, scene), safety limiter. */
	float mnext = approach(e->master_gain, e->master_target, c->smooth);
	float fnext = e->fade_gain;
	if (fnext < e->fade_target)
		fnext = fminf(fnext + e->fade_step * (float)nframes, e->fade_target);
	else if (fnext > e->fade_target)
		fnext = fmaxf(fnext - e->fade_step * (float)nframes, e->fade_target);
	ramp(out[0], nframes, e->master_gain * e->fade_gain, mnext * fnext);
	ramp(out[1], nframes, e->master_gain * e->fade_gain, mnext * fnext);
	e->master_gain = mnext;
	e->fade_gain = fnext;
	if (e->fade_pending && fnext == e->fade_target) {
		e->fade_pending = false;
		struct engine_event ev = { .type = ENGINE_EV_FADE_DONE, .f = { fnext } };
		emit(e, &ev);
	}
	limiter_process(&e->lim, out[0], out[1], nframes);

	for (int ch = 0; ch < 2; ch++)
		for (unsigned i = 0; i < nframes; i++) {
			float a = fabsf(out[ch][i]);
			if (a > e->peak[ch])
				e->peak[ch] = a;
		}
	e->meter_count += nframes;
	if (e->meter_count >= c->meter_period) {
		struct engine_event ev = { .type = ENGINE_EV_METER,
					   .f = { e->peak[0], e->peak[1], e->lim.min_gain } };
		emit(e, &ev);
		e->peak[0] = e->peak[1] = 0.0f;
		e->lim.min_gain = 1.0f;
		e->meter_count = 0;
	}
	e->frames += nframes;
}
