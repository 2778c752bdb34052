/* Control threads: fresh generated sound for the pools of the scenes
 * (see gen_pool.h). */
#include "config.h"
#include "prep/gen_pool.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rt/scene_data.h"

/* The control side of one pool: how to make more. */
struct gen_pool {
	struct eng_pool *pool;
	struct gen_params p;
	unsigned rate;
	bool texture;
	uint32_t serial;          /* fresh variants made so far */
	float norm;               /* texture: the gain of every stretch (0: none made yet) */
	struct gen_pool *prev, *next;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct gen_pool *first, *last;

/* The worker looks every 5 ms while segments are being used up, backing
 * off to every 40 ms while none is (a quiet show wakes it 25 times a
 * second, not 200): a pool holds several fresh segments, so even a burst
 * of strikes after a quiet spell finds some ready. */
#define REFILL_PERIOD_NS (5 * 1000 * 1000)
#define REFILL_IDLE_NS (40 * 1000 * 1000)

unsigned gen_pool_size(bool texture, unsigned polyphony)
{
	/* The worker refills every few ms: a handful ahead is plenty. */
	unsigned n = polyphony + (texture ? 1u : 2u);
	unsigned lo = texture ? 3u : 4u, hi = texture ? 4u : 8u;
	return n < lo ? lo : n > hi ? hi : n;
}

/* One fresh segment into s (FREE, ours). */
static int make(struct gen_pool *g, struct eng_segment *s, char *err, size_t errlen)
{
	float *data = NULL, norm = 1.0f;
	size_t frames = 0;
	if (gen_render_fresh(&g->p, g->rate, g->serial++, &data, &frames, &norm, err, errlen) < 0)
		return -1;
	if (g->texture) {
		/* One gain for every stretch (the first one's), not each its own
		 * peak: a texture's swells carry on from stretch to stretch. */
		if (g->norm == 0.0f)
			g->norm = norm;
		float k = g->norm / norm;
		if (k > 2.0f) /* its peak at 0 dBFS at most */
			k = 2.0f;
		for (size_t i = 0; i < frames; i++)
			data[i] *= k;
		/* The steady middle: the voice's envelope, not the stroke's
		 * fades, shapes a texture. */
		size_t from = 0, to = frames;
		gen_steady_range(&g->p, g->rate, &from, &to);
		if (to > from && to <= frames && to - from >= frames / 4) {
			memmove(data, data + from, (to - from) * sizeof(float));
			frames = to - from;
		}
	}
	free(s->data);
	s->data = data;
	s->len = (uint32_t)frames;
	atomic_store_explicit(&s->state, SEG_FRESH, memory_order_release);
	return 0;
}

int gen_pool_init(struct eng_pool *pool, const struct gen_params *p, unsigned rate, bool texture, unsigned n,
		  float splice_s, size_t *bytes, char *err, size_t errlen)
{
	memset(pool, 0, sizeof *pool);
	struct gen_pool *g = calloc(1, sizeof *g);
	pool->seg = calloc(n ? n : 1, sizeof *pool->seg);
	if (!g || !pool->seg) {
		free(g);
		free(pool->seg);
		pool->seg = NULL;
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	g->pool = pool;
	g->p = *p;
	g->rate = rate;
	g->texture = texture;
	pool->n_seg = n;
	pool->splice = (uint32_t)(splice_s * (float)rate);
	for (unsigned k = 0; k < n; k++) {
		atomic_init(&pool->seg[k].state, SEG_FREE);
		if (make(g, &pool->seg[k], err, errlen) < 0) {
			for (unsigned j = 0; j < k; j++)
				free(pool->seg[j].data);
			free(pool->seg);
			free(g);
			memset(pool, 0, sizeof *pool);
			return -1;
		}
		*bytes += pool->seg[k].len * sizeof(float);
	}
	pool->refill = g;
	pthread_mutex_lock(&lock);
	g->prev = last;
	if (last)
		last->next = g;
	else
		first = g;
	last = g;
	pthread_mutex_unlock(&lock);
	return 0;
}

void gen_pool_free(struct eng_pool *pool)
{
	if (!pool)
		return;
	struct gen_pool *g = pool->refill;
	if (g) {
		pthread_mutex_lock(&lock);
		if (g->prev)
			g->prev->next = g->next;
		else
			first = g->next;
		if (g->next)
			g->next->prev = g->prev;
		else
			last = g->prev;
		pthread_mutex_unlock(&lock);
		free(g);
	}
	for (unsigned k = 0; k < pool->n_seg; k++)
		free(pool->seg[k].data);
	free(pool->seg);
	memset(pool, 0, sizeof *pool);
}

/* Set while the worker is asked to stop: a refill pass under way ends
 * after the segment it is making (a pass over many pools can take
 * seconds; SIGTERM must not wait for it). */
static atomic_bool stopping;

unsigned gen_pool_refill(void)
{
	unsigned made = 0;
	char err[256];
	pthread_mutex_lock(&lock);
	for (struct gen_pool *g = first; g && !atomic_load(&stopping); g = g->next)
		for (unsigned k = 0; k < g->pool->n_seg && !atomic_load(&stopping); k++) {
			struct eng_segment *s = &g->pool->seg[k];
			if (atomic_load_explicit(&s->state, memory_order_acquire) == SEG_FREE &&
			    make(g, s, err, sizeof err) == 0)
				made++;
		}
	pthread_mutex_unlock(&lock);
	return made;
}

static pthread_t worker;
static atomic_bool worker_run;
static bool worker_started;

static void *worker_main(void *arg)
{
	(void)arg;
	long period = REFILL_PERIOD_NS;
	while (atomic_load(&worker_run)) {
		if (gen_pool_refill())
			period = REFILL_PERIOD_NS;
		else if (period < REFILL_IDLE_NS)
			period *= 2;
		struct timespec ts = { 0, period };
		nanosleep(&ts, NULL);
	}
	return NULL;
}

int gen_pool_worker_start(void)
{
	if (worker_started)
		return 0;
	atomic_store(&worker_run, true);
	/* Signals stay the main thread's. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int rc = pthread_create(&worker, NULL, worker_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		atomic_store(&worker_run, false);
		return -1;
	}
	worker_started = true;
	return 0;
}

void gen_pool_worker_ask_stop(void)
{
	if (!worker_started)
		return;
	atomic_store(&stopping, true);
	atomic_store(&worker_run, false);
}

void gen_pool_worker_stop(void)
{
	if (!worker_started)
		return;
	atomic_store(&stopping, true);
	atomic_store(&worker_run, false);
	pthread_join(worker, NULL);
	atomic_store(&stopping, false);
	worker_started = false;
}
