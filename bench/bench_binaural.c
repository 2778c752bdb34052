/* bench_binaural: CPU time of one engine block for 1, 16, 64, 256, 1000 and
 * 2000 sources, each fed noise from its own place.
 *   bench_binaural [--hrtf FILE] [--rate HZ] [--block N] [--blocks N] [--sources LIST] [--moving]
 * --moving: every source moves every block (a new place each block, so its
 * blend changes, its block fading from the old one into the new one, and
 * its delays glide), as when
 * everything orbits at once. Reports CPU time per block (thread CPU clock:
 * mean, and the 99th percentile) and what share of the block's real-time
 * budget the mean uses. */
#include "config.h"

#include <math.h>
#include <stdbool.h>
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

/* Where source s is in block b: spread over the sphere, 1.5 m away;
 * moving, each turns 2 degrees a block (750 degrees a second at 48 kHz
 * and 128 frames). */
static void place_of(unsigned s, unsigned b, bool moving, float f[3])
{
	f[0] = (float)(s * 137 % 360) - 180.0f + (moving ? 2.0f * (float)(b % 180) : 0.0f);
	f[1] = (float)(s * 29 % 120) - 40.0f;
	f[2] = 1.5f;
}

static void send_places(struct engine_queue *q, unsigned n, unsigned b, bool moving)
{
	engine_queue_begin(q);
	for (unsigned s = 0; s < n; s++) {
		struct engine_cmd cmd = { .type = ENGINE_CMD_SOURCE_PLACE, .target = (int)s,
			.flags = ENGINE_PLACE_AZ | ENGINE_PLACE_EL | ENGINE_PLACE_DIST };
		place_of(s, b, moving, cmd.f);
		if (!engine_queue_push(q, &cmd))
			break;
	}
	engine_queue_commit(q);
}

int main(int argc, char **argv)
{
	const char *sofa = TINGLE_DEFAULT_SOFA;
	unsigned rate = 48000, block = 128, blocks = 3000;
	bool moving = false;
	char list[256] = "1,16,64,256,1000,2000";
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--moving")) {
			moving = true;
			continue;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "bench_binaural: %s needs a value\n", argv[i]);
			return 2;
		}
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
		i++;
	}
	if (blocks < 1 || block < 1) {
		fprintf(stderr, "bench_binaural: --blocks and --block must be at least 1\n");
		return 2;
	}
	char err[512];
	struct hrtf_set *h;
	if (hrtf_load(sofa, rate, &h, err, sizeof err) < 0) {
		fprintf(stderr, "bench_binaural: %s\n", err);
		return 1;
	}
	double budget = (double)block / rate;
	printf("HRTF %s: %u directions, %u taps at %u Hz; block %u (%.3f ms); %s\n", sofa, h->n_dirs,
	       h->length, rate, block, budget * 1e3,
	       moving ? "MOVING sources: every source has a new place every block (blends faded "
			"into the new ones on the way in, delays gliding)"
		      : "static sources");
	printf("%8s %14s %14s %10s\n", "sources", "mean us/block", "p99 us/block", "% of block");
	for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
		unsigned n = (unsigned)atoi(tok);
		if (n == 0)
			continue;
		struct engine_options eo = { .n_sources = n, .ceiling_db = -1.0f, .fft_measure = true,
					     .queue_size = 4 * n + 64 };
		struct engine *e = engine_new(&eo);
		struct engine_core *c = e ? engine_core_new(e, h, block) : NULL;
		struct engine_queue *q = e ? engine_queue_open(e) : NULL;
		if (!c || !q) {
			fprintf(stderr, "bench_binaural: cannot build the engine for %u sources\n", n);
			return 1;
		}
		engine_set_core(e, c);
		float *in = malloc((size_t)n * block * sizeof(float));
		const float **ins = malloc(n * sizeof *ins);
		float *l = malloc(block * sizeof(float)), *r = malloc(block * sizeof(float));
		float *out[2] = { l, r };
		double *t = malloc(blocks * sizeof(double));
		srand(1);
		for (size_t i = 0; i < (size_t)n * block; i++)
			in[i] = 0.01f * ((float)rand() / (float)RAND_MAX - 0.5f);
		engine_queue_begin(q);
		for (unsigned s = 0; s < n; s++) {
			ins[s] = in + (size_t)s * block;
			struct engine_cmd on = { .type = ENGINE_CMD_SOURCE_ACTIVE, .target = (int)s, .i = 1 };
			engine_queue_push(q, &on);
		}
		engine_queue_commit(q);
		send_places(q, n, 0, false);
		for (unsigned b = 0; b < 200; b++) {
			if (moving)
				send_places(q, n, b, true);
			engine_process(e, ins, n, out, block, NULL, 0);
		}
		double total = 0;
		for (unsigned b = 0; b < blocks; b++) {
			if (moving)
				send_places(q, n, 200 + b, true);
			double t0 = cpu_now();
			engine_process(e, ins, n, out, block, NULL, 0);
			t[b] = cpu_now() - t0;
			total += t[b];
		}
		qsort(t, blocks, sizeof *t, cmp_double);
		double mean = total / blocks;
		printf("%8u %14.1f %14.1f %9.1f%%\n", n, mean * 1e6, t[(size_t)blocks * 99 / 100] * 1e6,
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
