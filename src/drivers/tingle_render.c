/* tingle-render: the engine without JACK. Renders a configuration (its
 * live inputs fed from files) and a timed list of events to a WAV file,
 * block by block exactly as the daemon would, deterministically. */
#include "config.h"

#include <getopt.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/limits.h"
#include "common/log.h"
#include "common/util.h"
#include "common/version.h"
#include "prep/audiofile.h"
#include "prep/gen_pool.h"
#include "config/conf.h"
#include "control/control.h"
#include "config/events.h"
#include "prep/hrtf.h"
#include "prep/loudness.h"
#include "control/setlist.h"
#include "rt/engine.h"


struct feed {
	const char *name;
	const char *file;
	float *data;
	size_t frames;
	int slot;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: tingle-render [OPTION]... -o FILE.wav\n"
		"Render tingle's engine offline, without JACK.\n\n"
		"  -c, --config FILE      configuration (default: built-in defaults)\n"
		"  -s, --scene NAME|FILE  scene to render\n"
		"      --hrtf FILE.sofa   HRTF set (overrides [hrtf] sofa)\n"
		"  -e, --events FILE      timed events, '-' for standard input\n"
		"  -o, --output FILE.wav  where to write (32-bit float WAV)\n"
		"  -r, --rate HZ          sample rate (48000)\n"
		"  -b, --block FRAMES     block size (128)\n"
		"  -d, --duration SECONDS length (default: the last event or input, plus 1 s)\n"
		"      --input NAME=FILE  feed live input NAME from an audio file\n"
		"      --seed N           seed for random choices (0)\n"
		"      --loudness         print the render's loudness (EBU R128): integrated,\n"
		"                         largest short-term and momentary, true peak\n"
		"  -v, --verbose          more messages\n"
		"  -q, --quiet            errors only\n"
		"  -V, --version          print the version, copyright and licence, and exit\n"
		"  -h, --help             print this help and exit\n");
}

/* What the command line asks for. */
struct options {
	const char *conf_path, *scene, *hrtf_path, *events_path, *out_path;
	long rate, block, seed;
	float duration;            /* seconds, or -1: from the events and inputs */
	bool loudness, quiet;
	struct feed feeds[CONF_MAX_INPUTS];
	size_t n_feeds;
};

/* Reads the command line into o. Returns -1 to go on, else the exit
 * status (0 after --help or --version, 2 for a usage error). */
static int parse_options(int argc, char **argv, struct options *o)
{
	enum { OPT_HRTF = 256, OPT_INPUT, OPT_SEED, OPT_LOUDNESS };
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "scene", required_argument, NULL, 's' },
		{ "hrtf", required_argument, NULL, OPT_HRTF },
		{ "events", required_argument, NULL, 'e' },
		{ "output", required_argument, NULL, 'o' },
		{ "rate", required_argument, NULL, 'r' },
		{ "block", required_argument, NULL, 'b' },
		{ "duration", required_argument, NULL, 'd' },
		{ "input", required_argument, NULL, OPT_INPUT },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "loudness", no_argument, NULL, OPT_LOUDNESS },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	o->rate = 48000;
	o->block = 128;
	o->duration = -1.0f;
	int opt;
	while ((opt = getopt_long(argc, argv, "c:s:e:o:r:b:d:vqVh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': o->conf_path = optarg; break;
		case 's': o->scene = optarg; break;
		case OPT_HRTF: o->hrtf_path = optarg; break;
		case 'e': o->events_path = optarg; break;
		case 'o': o->out_path = optarg; break;
		case 'r':
			if (!parse_int(optarg, &o->rate) || o->rate < TINGLE_RATE_MIN || o->rate > TINGLE_RATE_MAX) {
				log_error("--rate: cannot render at '%s' Hz (supported: %d to %d Hz)",
					  optarg, TINGLE_RATE_MIN, TINGLE_RATE_MAX);
				return 2;
			}
			break;
		case 'b':
			if (!parse_int(optarg, &o->block) || o->block < 16 || o->block > 8192) {
				log_error("--block: '%s' is not a block size (16..8192)", optarg);
				return 2;
			}
			break;
		case 'd':
			if (!parse_float(optarg, &o->duration) || o->duration <= 0.0f || o->duration > 86400.0f) {
				log_error("--duration: '%s' is not a duration in seconds", optarg);
				return 2;
			}
			break;
		case OPT_INPUT: {
			char *eq = strchr(optarg, '=');
			if (!eq || eq == optarg || !eq[1] || o->n_feeds == CONF_MAX_INPUTS) {
				log_error("--input: expected NAME=FILE, got '%s'", optarg);
				return 2;
			}
			*eq = '\0';
			o->feeds[o->n_feeds++] = (struct feed){ .name = optarg, .file = eq + 1, .slot = -1 };
			break;
		}
		case OPT_SEED:
			if (!parse_int(optarg, &o->seed)) {
				log_error("--seed: '%s' is not a number", optarg);
				return 2;
			}
			break;
		case 'v': log_set_level(LOG_DEBUG); break;
		case 'q':
			log_set_level(LOG_ERROR);
			o->quiet = true;
			break;
		case OPT_LOUDNESS: o->loudness = true; break;
		case 'V': fputs(TINGLE_VERSION_TEXT("tingle-render"), stdout); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		log_error("unexpected argument '%s'", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (!o->out_path) {
		log_error("no output file: give -o FILE.wav");
		return 2;
	}
	return -1;
}

/* A render: what it reads, the engine and its control side, the file. */
struct render {
	struct options *o;
	struct tingle_conf *conf;
	struct event_list events;
	struct hrtf_set *hrtf;
	struct engine *engine;
	struct control *ctl;
	struct engine_queue *q;
	struct setlist *sl;
	size_t total;              /* frames to render */
	SNDFILE *out;
	/* Per block. */
	float *bufs;               /* the inputs' blocks, then the two outputs */
	const float **in;
	float *outs[2];
	struct engine_midi *midi;
	float *inter;              /* the output interleaved */
	struct loudness_meter *meter;
	size_t next_ev;
};

/* The configuration, events, inputs, HRTF set, engine and first scene.
 * Returns 0, or the exit status: 2 for what the user gave, 1 else. */
static int set_up(struct render *r)
{
	struct options *o = r->o;
	char err[1024];
	r->conf = calloc(1, sizeof *r->conf);
	if (!r->conf)
		return 2;
	conf_defaults(r->conf);
	if (o->conf_path && conf_load(o->conf_path, r->conf, err, sizeof err) < 0) {
		log_error("%s", err);
		return 2;
	}
	if (o->hrtf_path)
		str_copy(r->conf->sofa, sizeof r->conf->sofa, o->hrtf_path);
	if (o->events_path && events_load(o->events_path, &r->events, err, sizeof err) < 0) {
		log_error("%s", err);
		return 2;
	}
	for (size_t i = 0; i < o->n_feeds; i++)
		if (!conf_find_input(r->conf, o->feeds[i].name)) {
			log_error("--input %s: no [input %s] in %s", o->feeds[i].name, o->feeds[i].name,
				  r->conf->path[0] ? r->conf->path : "the configuration");
			return 2;
		}
	for (size_t i = 0; i < o->n_feeds; i++)
		if (audiofile_read_mono(o->feeds[i].file, (unsigned)o->rate, &o->feeds[i].data, &o->feeds[i].frames,
					err, sizeof err) < 0) {
			log_error("--input %s: %s", o->feeds[i].name, err);
			return 2;
		}

	if (hrtf_load(r->conf->sofa, (unsigned)o->rate, &r->hrtf, err, sizeof err) < 0) {
		log_error("%s", err);
		return 2;
	}
	struct engine_options eo = { .n_sources = (unsigned)r->conf->sources, .ceiling_db = r->conf->ceiling_db,
				     .master_db = r->conf->master_gain_db, .voices = (unsigned)r->conf->voices,
				     .seed = (uint64_t)o->seed };
	r->engine = engine_new(&eo);
	struct engine_core *core = r->engine ? engine_core_new(r->engine, r->hrtf, (unsigned)o->block) : NULL;
	if (!core) {
		log_error("cannot set up the engine (out of memory?)");
		return 1;
	}
	engine_set_core(r->engine, core);
	r->ctl = control_new(r->engine);
	r->q = r->ctl ? engine_queue_open(r->engine) : NULL;
	int slots[CONF_MAX_INPUTS];
	if (!r->q || control_apply_conf(r->ctl, r->q, r->conf, slots, err, sizeof err) < 0) {
		log_error("%s", r->q ? err : "cannot set up the engine");
		return 1;
	}
	for (size_t i = 0; i < o->n_feeds; i++)
		o->feeds[i].slot = control_find_source(r->ctl, o->feeds[i].name);

	r->sl = setlist_new(r->conf, r->ctl, r->q, (unsigned)o->rate, (uint64_t)o->seed, err, sizeof err);
	int rc = r->sl ? 0 : -1;
	if (rc == 0 && o->scene)
		rc = setlist_switch(r->sl, o->scene, true, -1, 0, err, sizeof err);
	else if (rc == 0 && r->conf->start[0])
		rc = setlist_switch(r->sl, r->conf->start, false, -1, 0, err, sizeof err);
	else if (rc == 0 && r->sl->n_names)
		rc = setlist_switch(r->sl, NULL, false, 0, 0, err, sizeof err);
	if (rc < 0) {
		log_error("%s", err);
		return 2;
	}
	return 0;
}

/* How long: --duration, else the last event or input, plus a second. */
static size_t render_length(const struct render *r)
{
	const struct options *o = r->o;
	if (o->duration > 0.0f)
		return (size_t)llround((double)o->duration * (double)o->rate);
	double last = r->events.n ? r->events.ev[r->events.n - 1].time : 0.0;
	size_t longest = (size_t)ceil(last * (double)o->rate);
	for (size_t i = 0; i < o->n_feeds; i++)
		if (o->feeds[i].frames > longest)
			longest = o->feeds[i].frames;
	return longest + (size_t)o->rate;
}

/* The output file and the buffers of a block. Returns 0 or 1. */
static int open_output(struct render *r)
{
	const struct options *o = r->o;
	SF_INFO info = { .samplerate = (int)o->rate, .channels = 2, .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT };
	r->out = sf_open(o->out_path, SFM_WRITE, &info);
	if (!r->out) {
		log_error("%s: %s", o->out_path, sf_strerror(NULL));
		return 1;
	}
	/* The PEAK chunk carries a time stamp: without it, the same render
	 * gives the same bytes. */
	sf_command(r->out, SFC_SET_ADD_PEAK_CHUNK, NULL, SF_FALSE);
	const unsigned nsrc = engine_n_sources(r->engine);
	const size_t B = (size_t)o->block;
	r->bufs = calloc((nsrc + 2) * B, sizeof(float));
	r->in = calloc(nsrc, sizeof *r->in);
	/* Room for every MIDI event of the file in one block: none is dropped. */
	size_t max_midi = 1;
	for (size_t k = 0; k < r->events.n; k++)
		max_midi += r->events.ev[k].midi_size > 0;
	r->midi = calloc(max_midi, sizeof *r->midi);
	r->inter = malloc(2 * B * sizeof(float));
	if (!r->bufs || !r->in || !r->midi || !r->inter) {
		log_error("out of memory");
		return 1;
	}
	r->outs[0] = r->bufs + nsrc * B;
	r->outs[1] = r->bufs + (nsrc + 1) * B;
	if (o->loudness && !(r->meter = loudness_meter_new(2, (unsigned)o->rate))) {
		log_error("--loudness: cannot set up the meter (out of memory?)");
		return 1;
	}
	return 0;
}

/* The scene a command asked for, if any, switched to. -1 when it cannot
 * be (cerr says why). */
static int switch_requested(struct render *r, char *cerr, size_t n)
{
	char want[CONF_NAME_MAX];
	int index, step;
	if (!control_take_scene_request(r->ctl, want, sizeof want, &index, &step))
		return 0;
	return setlist_switch(r->sl, want, false, index, step, cerr, n);
}

/* The events whose frame falls in the block from t0: commands carried
 * out at their frame, MIDI handed to the engine at its frame. Returns
 * how many MIDI events, or -1 when a command fails. */
static int block_events(struct render *r, size_t t0)
{
	const size_t B = (size_t)r->o->block;
	int n_midi = 0;
	for (; r->next_ev < r->events.n; r->next_ev++) {
		const struct tl_event *ev = &r->events.ev[r->next_ev];
		size_t frame = (size_t)llround(ev->time * (double)r->o->rate);
		if (frame >= t0 + B)
			break;
		uint32_t offset = frame > t0 ? (uint32_t)(frame - t0) : 0;
		if (ev->midi_size) {
			r->midi[n_midi++] = (struct engine_midi){ .frame = offset, .size = (uint8_t)ev->midi_size,
				.data = { ev->midi[0], ev->midi[1], ev->midi[2] } };
			continue;
		}
		struct ctl_reply reply;
		char cerr[512];
		if (control_dispatch(r->ctl, r->q, offset, ev->path, ev->args, ev->argc, &reply, cerr, sizeof cerr) < 0 ||
		    switch_requested(r, cerr, sizeof cerr) < 0) {
			log_error("%s:%d: %s", r->events.name, ev->line, cerr);
			return -1;
		}
	}
	return n_midi;
}

/* The live inputs' files, block t0 (silence past their end). */
static void feed_inputs(struct render *r, size_t t0)
{
	const struct options *o = r->o;
	const size_t B = (size_t)o->block;
	for (unsigned s = 0; s < engine_n_sources(r->engine); s++)
		r->in[s] = NULL;
	for (size_t i = 0; i < o->n_feeds; i++) {
		const struct feed *f = &o->feeds[i];
		float *dst = r->bufs + (size_t)f->slot * B;
		memset(dst, 0, B * sizeof(float));
		if (t0 < f->frames) {
			size_t n = f->frames - t0 < B ? f->frames - t0 : B;
			memcpy(dst, f->data + t0, n * sizeof(float));
		}
		r->in[f->slot] = dst;
	}
}

/* After the engine's block: what tingled's main loop does between
 * blocks (refills, events back from the engine, MIDI bindings, scene
 * switches), here in step, so a render is deterministic. */
static void between_blocks(struct render *r, size_t t0)
{
	const double rate = (double)r->o->rate;
	gen_pool_refill();
	engine_collect(r->engine);
	struct engine_event ev;
	while (engine_event_poll(r->engine, &ev)) {
		if (ev.type == ENGINE_EV_SCENE_RELEASED)
			setlist_released(r->sl, ev.ptr);
		/* MIDI controls of [bind] lines act as in tingled (from the
		 * next block on). */
		if (ev.type == ENGINE_EV_MIDI)
			control_midi(r->ctl, r->q, ev.count, (double)ev.frame / rate);
	}
	control_tick(r->ctl, r->q, (double)(t0 + (size_t)r->o->block) / rate);
	char cerr[512];
	if (switch_requested(r, cerr, sizeof cerr) < 0)
		log_error("scene: %s; the scene playing goes on", cerr);
}

/* n frames of the block's output to the file (and the meter). Returns 0
 * or 1. */
static int write_block(struct render *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		r->inter[2 * i] = r->outs[0][i];
		r->inter[2 * i + 1] = r->outs[1][i];
	}
	if (r->meter && loudness_meter_add(r->meter, r->inter, n) < 0) {
		log_error("--loudness: the measure failed");
		return 1;
	}
	if (sf_writef_float(r->out, r->inter, (sf_count_t)n) != (sf_count_t)n) {
		log_error("%s: write failed: %s", r->o->out_path, sf_strerror(r->out));
		return 1;
	}
	return 0;
}

/* Every block, as the daemon would play it. Returns the exit status. */
static int render_blocks(struct render *r)
{
	const struct options *o = r->o;
	const size_t B = (size_t)o->block, total = r->total;
	/* A render of more than a few seconds shows how far it is, on a
	 * terminal. */
	const bool progress = !o->quiet && isatty(STDERR_FILENO) && total > 10 * (size_t)o->rate;
	struct timespec shown = { 0, 0 };
	int status = 0;
	for (size_t t0 = 0; t0 < total && status == 0; t0 += B) {
		if (progress && t0 % (64 * B) == 0) {
			struct timespec now;
			clock_gettime(CLOCK_MONOTONIC, &now);
			if ((double)(now.tv_sec - shown.tv_sec) + (double)(now.tv_nsec - shown.tv_nsec) * 1e-9 > 0.25) {
				shown = now;
				fprintf(stderr, "\rrendering %.1f of %.1f s (%d %%)", (double)t0 / (double)o->rate,
					(double)total / (double)o->rate, (int)(100.0 * (double)t0 / (double)total));
				fflush(stderr);
			}
		}
		const int n_midi = block_events(r, t0);
		if (n_midi < 0) {
			status = 2;
			break;
		}
		feed_inputs(r, t0);
		engine_process(r->engine, r->in, engine_n_sources(r->engine), r->outs, (unsigned)B, r->midi,
			       (unsigned)n_midi);
		between_blocks(r, t0);
		status = write_block(r, total - t0 < B ? total - t0 : B);
	}
	if (progress)
		fprintf(stderr, "\r%*s\r", 40, "");
	return status;
}

static void tear_down(struct render *r, int *status)
{
	if (r->out && sf_close(r->out) != 0 && *status == 0) {
		log_error("%s: cannot finish the file", r->o->out_path);
		*status = 1;
	}
	free(r->bufs);
	free(r->in);
	free(r->midi);
	free(r->inter);
	loudness_meter_free(r->meter);
	engine_free(r->engine); /* first: then no scene is in use */
	setlist_free(r->sl);
	control_free(r->ctl);
	hrtf_free(r->hrtf);
	events_free(&r->events);
	for (size_t i = 0; i < r->o->n_feeds; i++)
		free(r->o->feeds[i].data);
	free(r->conf);
}

int main(int argc, char **argv)
{
	static struct options o; /* zeroed; its feeds (tens of kB) off the stack */
	int status = parse_options(argc, argv, &o);
	if (status >= 0)
		return status;
	struct render r = { .o = &o };
	status = set_up(&r);
	if (status == 0) {
		r.total = render_length(&r);
		status = open_output(&r);
	}
	if (status == 0)
		status = render_blocks(&r);
	if (status == 0)
		log_info("rendered %.3f s to %s", (double)r.total / (double)o.rate, o.out_path);
	if (status == 0 && r.meter) {
		struct loudness l;
		loudness_meter_result(r.meter, &l);
		printf("loudness: integrated %.1f LUFS, short-term max %.1f LUFS, momentary max %.1f LUFS, "
		       "true peak %.1f dBTP\n",
		       l.integrated, l.short_term_max, l.momentary_max, l.true_peak);
	}
	tear_down(&r, &status);
	return status;
}
