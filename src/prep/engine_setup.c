/* Control threads: building, handing over and freeing engine state. */
#include "config.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "prep/hrtf.h"
#include "rt/engine_impl.h"

struct engine *engine_new(const struct engine_options *opt)
{
	struct engine *e = calloc(1, sizeof *e);
	if (!e)
		return NULL;
	e->n_sources = opt->n_sources ? opt->n_sources : 1;
	e->fft_measure = opt->fft_measure;
	/* Applying a configuration or switching scenes sends every source
	 * its place, gain, mute and state at once (4 commands; room is left
	 * for as many more): with 256 live inputs 1024 did not fit. */
	e->queue_size = opt->queue_size ? opt->queue_size
		      : e->n_sources > 128 ? 8 * e->n_sources : 1024;
	e->src = calloc(e->n_sources, sizeof *e->src);
	e->max_voices = opt->voices ? opt->voices : 64;
	e->n_voice_slots = 2 * e->max_voices;
	e->voice = calloc(e->n_voice_slots, sizeof *e->voice);
	e->rng = opt->seed * 0x9E3779B97F4A7C15ULL + 0x2545F4914F6CDD1DULL;
	if (!e->rng)
		e->rng = 1;
	e->events = ring_new(4096, sizeof(struct engine_event));
	e->retired = ring_new(16, sizeof(struct engine_core *));
	/* Touched now, so the audio thread never meets a fresh page. */
	e->hist = calloc((size_t)e->n_sources * ENGINE_HISTORY, sizeof(float));
	e->sub_in = calloc(e->n_sources, sizeof *e->sub_in);
	e->past.quiet = calloc(e->n_sources, sizeof *e->past.quiet);
	e->past.place = calloc(e->n_sources, sizeof *e->past.place);
	if (!e->src || !e->voice || !e->events || !e->retired || !e->hist || !e->sub_in || !e->past.quiet ||
	    !e->past.place) {
		engine_free(e);
		return NULL;
	}
	for (unsigned s = 0; s < e->n_sources; s++) {
		struct engine_source *src = &e->src[s];
		src->distance = 1.0f;
		src->near_cap = db_to_gain(opt->near_gain_db_set ? opt->near_gain_db : ENGINE_NEAR_GAIN_DB);
		src->level = (struct fader){ .cur = 1.0f, .to = 1.0f };
		src->unmuted = (struct fader){ .cur = 1.0f, .to = 1.0f };
		src->reset = true;
		src->place_dirty = true;
		src->quiet = ENGINE_HISTORY;
	}
	if (e->hist)
		memset(e->hist, 0, (size_t)e->n_sources * ENGINE_HISTORY * sizeof(float));
	atomic_init(&e->n_queues, 0);
	atomic_init(&e->seq, 0);
	atomic_init(&e->pending, NULL);
	listener_reset(&e->listener);
	e->master_db = opt->master_db;
	e->master_target = e->master_gain = db_to_gain(opt->master_db);
	e->fade_target = e->fade_gain = 1.0f;
	e->ceiling_db = opt->ceiling_db;
	limiter_init(&e->lim, opt->ceiling_db, 48000, 0.15f);
	return e;
}

void engine_free(struct engine *e)
{
	if (!e)
		return;
	engine_collect(e);
	engine_core_free(atomic_exchange(&e->pending, NULL));
	engine_core_free(e->waiting);
	engine_core_free(e->core);
	for (unsigned q = 0; q < ENGINE_MAX_QUEUES; q++)
		ring_free(e->queues[q].ring);
	ring_free(e->events);
	ring_free(e->retired);
	free(e->src);
	free(e->voice);
	free(e->hist);
	free(e->sub_in);
	free(e->past.quiet);
	free(e->past.place);
	free(e);
}

unsigned engine_n_sources(const struct engine *e) { return e->n_sources; }

/* binaural_new and binaural_free: src/prep/binaural_setup.c. */

static struct engine_core *core_new(const struct engine *e, const struct hrtf_set *h, unsigned block,
				    unsigned fftw_flags)
{
	if (!h || block == 0 || block > 16384)
		return NULL;
	struct engine_core *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->rate = h->rate;
	c->block = block;
	c->bin = binaural_new(h, block, e->n_sources, fftw_flags);
	c->srcbuf = fftwf_malloc((size_t)e->n_sources * block * sizeof(float));
	c->touched = calloc(e->n_sources, sizeof(bool));
	c->room = room_new(c->rate, block);
	c->room_bus = calloc(block, sizeof(float));
	c->scratch = calloc(3 * (size_t)block, sizeof(float));
	if (!c->bin || !c->srcbuf || !c->touched || !c->room || !c->room_bus || !c->scratch) {
		engine_core_free(c);
		return NULL;
	}
	memset(c->srcbuf, 0, (size_t)e->n_sources * block * sizeof(float));
	/* Gains follow their targets with a 20 ms time constant. */
	c->smooth = 1.0f - expf(-(float)block / (0.02f * (float)c->rate));
	c->meter_period = c->rate / 15;
	return c;
}

struct engine_core *engine_core_new(const struct engine *e, const struct hrtf_set *h, unsigned block)
{
	return core_new(e, h, block, e->fft_measure ? FFTW_MEASURE : FFTW_ESTIMATE);
}

struct engine_core *engine_core_new_quick(const struct engine *e, const struct hrtf_set *h, unsigned block)
{
	return core_new(e, h, block, e->fft_measure ? FFTW_MEASURE | FFTW_WISDOM_ONLY : FFTW_ESTIMATE);
}

void engine_core_free(struct engine_core *c)
{
	if (!c)
		return;
	binaural_free(c->bin);
	fftwf_free(c->srcbuf);
	free(c->touched);
	room_free(c->room);
	free(c->room_bus);
	free(c->scratch);
	free(c);
}

bool engine_core_prime(struct engine *e, struct engine_core *c)
{
	const unsigned n = e->n_sources;
	float *hist = malloc((size_t)n * ENGINE_HISTORY * sizeof(float));
	uint32_t *quiet = malloc(n * sizeof *quiet);
	struct bin_place *place = malloc(n * sizeof *place);
	c->primed = false;
	if (hist && quiet && place) {
		/* The audio thread's state, read between two periods: only when
		 * the sequence count is even and the same after the copy. */
		unsigned seq = atomic_load_explicit(&e->seq, memory_order_acquire);
		struct engine_past past = { .quiet = quiet, .place = place };
		if (!(seq & 1)) {
			memcpy(hist, e->hist, (size_t)n * ENGINE_HISTORY * sizeof(float));
			engine_past_of(e, &past);
			atomic_thread_fence(memory_order_acquire);
			c->primed = atomic_load_explicit(&e->seq, memory_order_relaxed) == seq;
		}
		if (c->primed) {
			past.hist = hist;
			for (unsigned s = 0; s < n; s++)
				binaural_reset_source(c->bin, s);
			engine_past_prime(c, n, &past);
			c->primed_seq = seq;
		}
	}
	free(hist);
	free(quiet);
	free(place);
	return c->primed;
}

unsigned engine_core_block(const struct engine_core *c) { return c->block; }
unsigned engine_core_rate(const struct engine_core *c) { return c->rate; }

void engine_set_core(struct engine *e, struct engine_core *c)
{
	engine_core_free(atomic_exchange(&e->pending, c));
}

void engine_collect(struct engine *e)
{
	struct engine_core *c;
	while (ring_pop(e->retired, &c))
		engine_core_free(c);
}

struct engine_queue *engine_queue_open(struct engine *e)
{
	unsigned n = atomic_load(&e->n_queues);
	if (n >= ENGINE_MAX_QUEUES)
		return NULL;
	struct engine_queue *q = &e->queues[n];
	q->ring = ring_new(e->queue_size, sizeof(struct engine_cmd));
	if (!q->ring)
		return NULL;
	atomic_store_explicit(&e->n_queues, n + 1, memory_order_release);
	return q;
}

bool engine_queue_push(struct engine_queue *q, const struct engine_cmd *cmd)
{
	return q && ring_push(q->ring, cmd);
}

void engine_queue_begin(struct engine_queue *q)
{
	if (q)
		ring_begin(q->ring);
}

void engine_queue_commit(struct engine_queue *q)
{
	if (q)
		ring_commit(q->ring);
}

void engine_queue_abort(struct engine_queue *q)
{
	if (q)
		ring_abort(q->ring);
}

bool engine_event_poll(struct engine *e, struct engine_event *ev)
{
	return ring_pop(e->events, ev);
}
