/* bench_binaural: CPU time of one engine block for 1, 16, 64 and 256
 * static sources, each fed noise from its own direction.
 *   bench_binaural [--hrtf FILE] [--rate HZ] [--block N] [--blocks N] [--sources LIST]
 * Reports CPU time per block (thread CPU clock: mean, and the 99th
 * percentile) and what share of the block's real-time budget it uses. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "prep/hrtf.h"
#include "rt/engine.h"

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

int main(int argc, char **argv)
{
	const char *sofa = TINGLE_DEFAULT_SOFA;
	unsigned rate = 48000, block = 128, blocks = 3000;
	char list[256] = "1,16,64,256";
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--hrtf"))
			sofa = argv[i + 1];
		else if (!strcmp(argv[i], "--rate"))
			rate = (unsigned)atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--block"))
			block = (unsigned)atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--blocks"))
			blocks = (unsigned)atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--sources"))
			snprintf(list, sizeof list, "%s", argv[i + 1]);
		else {
			fprintf(stderr, "bench_binaural: unknown option %s\n", argv[i]);
			return 2;
		}
	}
	char err[512];
	struct hrtf_set *h;
	if (hrtf_load(sofa, rate, &h, err, sizeof err) < 0) {
		fprintf(stderr, "bench_binaural: %s\n", err);
		return 1;
	}
	double budget = (double)block / rate;
	printf("HRTF %s: %u directions, %u taps at %u Hz; block %u (%.3f ms)\n", sofa, h->n_dirs,
	       h->length, rate, block, budget * 1e3);
	printf("%8s %14s %14s %10s\n", "sources", "mean us/block", "p99 us/block", "% of block");
	for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
		unsigned n = (unsigned)atoi(tok);
		if (n == 0)
			continue;
		struct engine_options eo = { .n_sources = n, .ceiling_db = -1.0f, .fft_measure = true };
		struct engine *e = engine_new(&eo);
		struct engine_core *c = e ? engine_core_new(e, h, block) : NULL;
		if (!c) {
			fprintf(stderr, "bench_binaural: cannot build the engine for %u sources\n", n);
			return 1;
		}
		engine_set_core(e, c);
		struct engine_queue *q = engine_queue_open(e);
		float *in = malloc((size_t)n * block * sizeof(float));
		const float **ins = malloc(n * sizeof *ins);
		float *l = malloc(block * sizeof(float)), *r = malloc(block * sizeof(float));
		float *out[2] = { l, r };
		double *t = malloc(blocks * sizeof(double));
		srand(1);
		for (size_t i = 0; i < (size_t)n * block; i++)
			in[i] = 0.01f * ((float)rand() / (float)RAND_MAX - 0.5f);
		for (unsigned s = 0; s < n; s++) {
			ins[s] = in + (size_t)s * block;
			struct engine_cmd cmd = { .type = ENGINE_CMD_SOURCE_PLACE, .target = (int)s,
				.flags = ENGINE_PLACE_AZ | ENGINE_PLACE_EL | ENGINE_PLACE_DIST,
				.f = { (float)(s * 137 % 360) - 180.0f, (float)(s * 29 % 120) - 40.0f, 1.5f } };
			struct engine_cmd on = { .type = ENGINE_CMD_SOURCE_ACTIVE, .target = (int)s, .i = 1 };
			if (!engine_queue_push(q, &cmd) || !engine_queue_push(q, &on)) {
				/* queue full: let the engine drain it */
				engine_process(e, ins, n, out, block, NULL, 0);
				engine_queue_push(q, &cmd);
				engine_queue_push(q, &on);
			}
		}
		for (unsigned b = 0; b < 200; b++)
			engine_process(e, ins, n, out, block, NULL, 0);
		double total = 0;
		for (unsigned b = 0; b < blocks; b++) {
			double t0 = cpu_now();
			engine_process(e, ins, n, out, block, NULL, 0);
			t[b] = cpu_now() - t0;
			total += t[b];
		}
		qsort(t, blocks, sizeof *t, cmp_double);
		double mean = total / blocks;
		printf("%8u %14.1f %14.1f %9.1f%%\n", n, mean * 1e6, t[blocks * 99 / 100] * 1e6,
		       100.0 * mean / budget);
		fflush(stdout);
		free(t);
		free(l);
		free(r);
		free(ins);
		free(in);
		engine_free(e);
	}
	hrtf_free(h);
	return 0;
}
