/* Control threads: building, handing over and freeing engine state. */
#include "config.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "prep/hrtf.h"
#include "rt/engine_impl.h"

/* FFTW's planner is not thread-safe; cores may be built from the main
 * thread and from JACK's notification thread. */
static pthread_mutex_t plan_lock = PTHREAD_MUTEX_INITIALIZER;

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
	if (!e->src || !e->voice || !e->events || !e->retired) {
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
	}
	atomic_init(&e->n_queues, 0);
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
	free(e);
}

unsigned engine_n_sources(const struct engine *e) { return e->n_sources; }

struct binaural *binaural_new(const struct hrtf_set *h, unsigned block, unsigned n_sources,
			      unsigned fftw_flags)
{
	struct binaural *b = calloc(1, sizeof *b);
	if (!b)
		return NULL;
	const unsigned P = block, N = 2 * block;
	b->block = P;
	b->bins = P + 1;
	b->stride = (b->bins + 15u) & ~15u;
	b->parts = (h->length + P - 1) / P;
	b->n_dirs = h->n_dirs;
	b->n_sources = n_sources;
	const size_t st = b->stride;
	const size_t spec = (size_t)h->n_dirs * 2 * b->parts * st;

	b->h_re = fftwf_malloc(spec * sizeof(float));
	b->h_im = fftwf_malloc(spec * sizeof(float));
	b->t_in = fftwf_malloc(N * sizeof(float));
	b->t_out = fftwf_malloc(N * sizeof(float));
	b->x_re = fftwf_malloc(st * sizeof(float));
	b->x_im = fftwf_malloc(st * sizeof(float));
	b->fade_in = fftwf_malloc(P * sizeof(float));
	b->src = calloc(n_sources, sizeof *b->src);
	bool ok = b->h_re && b->h_im && b->t_in && b->t_out && b->x_re && b->x_im && b->fade_in && b->src;
	/* The inverse plan runs on every accumulator pair (new-array execute):
	 * FFTW requires the same alignment and the same distance between the
	 * real and imaginary parts as in the planning pair, so each pair is one
	 * allocation with im = re + stride. */
	for (int a = 0; ok && a < BIN_ACCS; a++)
		for (int ear = 0; ear < 2; ear++) {
			b->acc_re[a][ear] = fftwf_malloc(2 * st * sizeof(float));
			b->acc_im[a][ear] = b->acc_re[a][ear] ? b->acc_re[a][ear] + st : NULL;
			ok = ok && b->acc_re[a][ear];
		}
	for (unsigned s = 0; ok && s < n_sources; s++) {
		struct binaural_source *src = &b->src[s];
		src->hist = fftwf_malloc(P * sizeof(float));
		src->fdl_re = fftwf_malloc((size_t)b->parts * st * sizeof(float));
		src->fdl_im = fftwf_malloc((size_t)b->parts * st * sizeof(float));
		ok = src->hist && src->fdl_re && src->fdl_im;
	}
	if (!ok) {
		binaural_free(b);
		return NULL;
	}

	fftw_iodim dim = { .n = (int)N, .is = 1, .os = 1 };
	pthread_mutex_lock(&plan_lock);
	b->fwd = fftwf_plan_guru_split_dft_r2c(1, &dim, 0, NULL, b->t_in, b->x_re, b->x_im, fftw_flags);
	b->inv = fftwf_plan_guru_split_dft_c2r(1, &dim, 0, NULL, b->acc_re[0][0], b->acc_im[0][0],
					       b->t_out, fftw_flags);
	pthread_mutex_unlock(&plan_lock);
	if (!b->fwd || !b->inv) {
		binaural_free(b);
		return NULL;
	}

	/* HRIR spectra of every direction and partition, with the inverse
	 * FFT's 1/N folded in. Padding bins stay zero. */
	memset(b->h_re, 0, spec * sizeof(float));
	memset(b->h_im, 0, spec * sizeof(float));
	memset(b->x_re, 0, st * sizeof(float));
	memset(b->x_im, 0, st * sizeof(float));
	const float scale = 1.0f / (float)N;
	for (unsigned d = 0; d < h->n_dirs; d++)
		for (int ear = 0; ear < 2; ear++) {
			const float *ir = hrtf_ir(h, d, ear);
			for (unsigned k = 0; k < b->parts; k++) {
				memset(b->t_in, 0, N * sizeof(float));
				unsigned from = k * P;
				unsigned n = h->length - from < P ? h->length - from : P;
				for (unsigned i = 0; i < n; i++)
					b->t_in[i] = ir[from + i] * scale;
				fftwf_execute(b->fwd);
				size_t off = (((size_t)d * 2 + (size_t)ear) * b->parts + k) * st;
				memcpy(b->h_re + off, b->x_re, b->bins * sizeof(float));
				memcpy(b->h_im + off, b->x_im, b->bins * sizeof(float));
			}
		}
	for (unsigned i = 0; i < P; i++)
		b->fade_in[i] = 0.5f - 0.5f * cosf((float)M_PI * ((float)i + 0.5f) / (float)P);
	for (int a = 0; a < BIN_ACCS; a++)
		for (int ear = 0; ear < 2; ear++) {
			memset(b->acc_re[a][ear], 0, st * sizeof(float));
			memset(b->acc_im[a][ear], 0, st * sizeof(float));
		}
	for (unsigned s = 0; s < n_sources; s++)
		binaural_reset_source(b, s);
	return b;
}

void binaural_free(struct binaural *b)
{
	if (!b)
		return;
	pthread_mutex_lock(&plan_lock);
	if (b->fwd)
		fftwf_destroy_plan(b->fwd);
	if (b->inv)
		fftwf_destroy_plan(b->inv);
	pthread_mutex_unlock(&plan_lock);
	for (unsigned s = 0; b->src && s < b->n_sources; s++) {
		fftwf_free(b->src[s].hist);
		fftwf_free(b->src[s].fdl_re);
		fftwf_free(b->src[s].fdl_im);
	}
	free(b->src);
	for (int a = 0; a < BIN_ACCS; a++)
		for (int ear = 0; ear < 2; ear++)
			fftwf_free(b->acc_re[a][ear]); /* acc_im is part of it */
	fftwf_free(b->h_re);
	fftwf_free(b->h_im);
	fftwf_free(b->t_in);
	fftwf_free(b->t_out);
	fftwf_free(b->x_re);
	fftwf_free(b->x_im);
	fftwf_free(b->fade_in);
	free(b);
}

struct engine_core *engine_core_new(const struct engine *e, const struct hrtf_set *h, unsigned block)
{
	if (!h || block == 0 || block > 16384)
		return NULL;
	struct engine_core *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->rate = h->rate;
	c->block = block;
	c->bin = binaural_new(h, block, e->n_sources, e->fft_measure ? FFTW_MEASURE : FFTW_ESTIMATE);
	c->table = malloc(sizeof(uint32_t) * HRTF_GRID_AZ * HRTF_GRID_EL);
	c->srcbuf = fftwf_malloc((size_t)e->n_sources * block * sizeof(float));
	c->touched = calloc(e->n_sources, sizeof(bool));
	c->room = room_new(c->rate, block);
	c->room_bus = calloc(block, sizeof(float));
	if (!c->bin || !c->table || !c->srcbuf || !c->touched || !c->room || !c->room_bus) {
		engine_core_free(c);
		return NULL;
	}
	memcpy(c->table, h->table, sizeof(uint32_t) * HRTF_GRID_AZ * HRTF_GRID_EL);
	memset(c->srcbuf, 0, (size_t)e->n_sources * block * sizeof(float));
	/* Gains follow their targets with a 20 ms time constant. */
	c->smooth = 1.0f - expf(-(float)block / (0.02f * (float)c->rate));
	c->meter_period = c->rate / 15;
	return c;
}

void engine_core_free(struct engine_core *c)
{
	if (!c)
		return;
	binaural_free(c->bin);
	free(c->table);
	fftwf_free(c->srcbuf);
	free(c->touched);
	room_free(c->room);
	free(c->room_bus);
	free(c);
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
