/* bench_voices: how many voices one core sustains at 48 kHz, block 128,
 * the voices spread over 16 sources (each source convolved once).
 *   bench_voices [--hrtf FILE] [--sources N] [--blocks N]
 * Every voice loops a 2-second noise sample with a random pitch (so the
 * interpolating read path is measured). For a rising voice count it
 * prints the thread CPU time per block; "sustained" is the largest count
 * whose mean stays under 100% and whose 99th percentile stays under the
 * block period. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "prep/hrtf.h"
#include "config/scene.h"
#include "rt/engine.h"
#include "rt/scene_data.h"

static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Mean and p99 CPU seconds per block with n voices. */
static void measure(const struct hrtf_set *h, unsigned n_src, unsigned voices, unsigned blocks,
		    double *mean, double *p99)
{
	const unsigned block = 128;
	struct engine_options eo = { .n_sources = n_src, .ceiling_db = -1.0f, .fft_measure = true,
				     .voices = voices, .seed = 7 };
	struct engine *e = engine_new(&eo);
	engine_set_core(e, engine_core_new(e, h, block));
	struct engine_queue *q = engine_queue_open(e);

	struct eng_scene *sc = calloc(1, sizeof *sc);
	sc->rate = h->rate;
	sc->n_sounds = n_src;
	sc->sounds = calloc(n_src, sizeof *sc->sounds);
	uint64_t x = 88172645463325252ULL;
	for (unsigned s = 0; s < n_src; s++) {
		struct eng_sound *snd = &sc->sounds[s];
		snd->n_var = 1;
		snd->var = calloc(1, sizeof *snd->var);
		snd->var[0].len = 2 * h->rate;
		snd->var[0].data = malloc(snd->var[0].len * sizeof(float));
		for (uint32_t i = 0; i < snd->var[0].len; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			snd->var[0].data[i] = 0.001f * ((float)(x >> 40) / (float)(1u << 24) - 0.5f);
		}
		snd->mode = SOUND_LOOP;
		snd->gain = 1.0f;
		snd->velocity = 1.0f;
		snd->random_pitch_cents = 50.0f;
		snd->release = 4800;
		snd->choke = -1;
		snd->polyphony = voices;
		snd->source = (int)s;
		snd->last = -1;
		struct engine_cmd pl = { .type = ENGINE_CMD_SOURCE_PLACE, .target = (int)s, .flags = 7,
					 .f = { (float)s * 360.0f / (float)n_src - 180.0f, 0.0f, 1.0f } };
		struct engine_cmd on = { .type = ENGINE_CMD_SOURCE_ACTIVE, .target = (int)s, .i = 1 };
		engine_queue_push(q, &pl);
		engine_queue_push(q, &on);
	}
	struct engine_cmd scene = { .type = ENGINE_CMD_SCENE, .ptr = sc };
	engine_queue_push(q, &scene);
	float l[128], r[128];
	float *out[2] = { l, r };
	engine_process(e, NULL, 0, out, block, NULL, 0);
	for (unsigned v = 0; v < voices; v++) {
		struct engine_cmd t = { .type = ENGINE_CMD_TRIGGER, .ptr = sc, .i = (int)(v % n_src),
					.offset = v % block, .f = { 1.0f } };
		while (!engine_queue_push(q, &t))
			engine_process(e, NULL, 0, out, block, NULL, 0);
	}
	for (unsigned b = 0; b < 100; b++)
		engine_process(e, NULL, 0, out, block, NULL, 0);
	double *t = malloc(blocks * sizeof(double)), total = 0;
	for (unsigned b = 0; b < blocks; b++) {
		double t0 = cpu_now();
		engine_process(e, NULL, 0, out, block, NULL, 0);
		t[b] = cpu_now() - t0;
		total += t[b];
	}
	qsort(t, blocks, sizeof *t, cmp_double);
	*mean = total / blocks;
	*p99 = t[blocks * 99 / 100];
	free(t);
	engine_free(e);
	for (unsigned s = 0; s < n_src; s++) {
		free(sc->sounds[s].var[0].data);
		free(sc->sounds[s].var);
	}
	free(sc->sounds);
	free(sc);
}

int main(int argc, char **argv)
{
	const char *sofa = TINGLE_DEFAULT_SOFA;
	unsigned n_src = 16, blocks = 1000;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--hrtf"))
			sofa = argv[i + 1];
		else if (!strcmp(argv[i], "--sources"))
			n_src = (unsigned)atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--blocks"))
			blocks = (unsigned)atoi(argv[i + 1]);
	}
	char err[512];
	struct hrtf_set *h;
	if (hrtf_load(sofa, 48000, &h, err, sizeof err) < 0) {
		fprintf(stderr, "bench_voices: %s\n", err);
		return 1;
	}
	const double period = 128.0 / 48000.0;
	printf("48000 Hz, block 128 (%.3f ms), %u sources, looping voices with random pitch\n",
	       period * 1e3, n_src);
	printf("%8s %14s %14s %10s\n", "voices", "mean us/block", "p99 us/block", "% of block");
	unsigned sustained = 0;
	for (unsigned v = 64; v <= 65536; v *= 2) {
		double mean, p99;
		measure(h, n_src, v, blocks, &mean, &p99);
		printf("%8u %14.1f %14.1f %9.1f%%\n", v, mean * 1e6, p99 * 1e6, 100.0 * mean / period);
		fflush(stdout);
		if (mean < period && p99 < period)
			sustained = v;
		else
			break;
	}
	/* Between the last good count and twice it: bisect. */
	unsigned lo = sustained, hi = sustained * 2;
	while (hi - lo > lo / 32 + 1) {
		unsigned mid = (lo + hi) / 2;
		double mean, p99;
		measure(h, n_src, mid, blocks, &mean, &p99);
		if (mean < period && p99 < period)
			lo = mid;
		else
			hi = mid;
	}
	printf("sustained: %u voices on one core (mean and p99 CPU time per block below %.3f ms)\n", lo,
	       period * 1e3);
	hrtf_free(h);
	return 0;
}
