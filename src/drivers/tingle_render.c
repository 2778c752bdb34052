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

#include "common/log.h"
#include "common/util.h"
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
		"  -V, --version          print the version and exit\n"
		"  -h, --help             print this help and exit\n");
}

int main(int argc, char **argv)
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
	const char *conf_path = NULL, *scene = NULL, *hrtf_path = NULL, *events_path = NULL;
	const char *out_path = NULL;
	long rate = 48000, block = 128, seed = 0;
	float duration = -1.0f;
	bool want_loudness = false, quiet = false;
	struct feed feeds[CONF_MAX_INPUTS];
	size_t n_feeds = 0;
	int opt;
	while ((opt = getopt_long(argc, argv, "c:s:e:o:r:b:d:vqVh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': conf_path = optarg; break;
		case 's': scene = optarg; break;
		case OPT_HRTF: hrtf_path = optarg; break;
		case 'e': events_path = optarg; break;
		case 'o': out_path = optarg; break;
		case 'r':
			if (!parse_int(optarg, &rate) || rate < 8000 || rate > 384000) {
				log_error("--rate: '%s' is not a sample rate (8000..384000)", optarg);
				return 2;
			}
			break;
		case 'b':
			if (!parse_int(optarg, &block) || block < 16 || block > 8192) {
				log_error("--block: '%s' is not a block size (16..8192)", optarg);
				return 2;
			}
			break;
		case 'd':
			if (!parse_float(optarg, &duration) || duration <= 0.0f || duration > 86400.0f) {
				log_error("--duration: '%s' is not a duration in seconds", optarg);
				return 2;
			}
			break;
		case OPT_INPUT: {
			char *eq = strchr(optarg, '=');
			if (!eq || eq == optarg || !eq[1] || n_feeds == CONF_MAX_INPUTS) {
				log_error("--input: expected NAME=FILE, got '%s'", optarg);
				return 2;
			}
			*eq = '\0';
			feeds[n_feeds++] = (struct feed){ .name = optarg, .file = eq + 1, .slot = -1 };
			break;
		}
		case OPT_SEED:
			if (!parse_int(optarg, &seed)) {
				log_error("--seed: '%s' is not a number", optarg);
				return 2;
			}
			break;
		case 'v': log_set_level(LOG_DEBUG); break;
		case 'q':
			log_set_level(LOG_ERROR);
			quiet = true;
			break;
		case OPT_LOUDNESS: want_loudness = true; break;
		case 'V': printf("tingle-render %s\n", PACKAGE_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		log_error("unexpected argument '%s'", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (!out_path) {
		log_error("no output file: give -o FILE.wav");
		return 2;
	}

	int status = 2;
	char err[1024];
	struct tingle_conf *conf = calloc(1, sizeof *conf);
	struct event_list events = { 0 };
	struct hrtf_set *hrtf = NULL;
	struct engine *engine = NULL;
	struct control *ctl = NULL;
	struct setlist *sl = NULL;
	SNDFILE *out = NULL;
	float *bufs = NULL;
	struct loudness_meter *meter = NULL;
	if (!conf)
		goto done;
	conf_defaults(conf);
	if (conf_path && conf_load(conf_path, conf, err, sizeof err) < 0) {
		log_error("%s", err);
		goto done;
	}
	if (hrtf_path)
		str_copy(conf->sofa, sizeof conf->sofa, hrtf_path);
	if (events_path && events_load(events_path, &events, err, sizeof err) < 0) {
		log_error("%s", err);
		goto done;
	}
	for (size_t i = 0; i < n_feeds; i++)
		if (!conf_find_input(conf, feeds[i].name)) {
			log_error("--input %s: no [input %s] in %s", feeds[i].name, feeds[i].name,
				  conf->path[0] ? conf->path : "the configuration");
			goto done;
		}
	for (size_t i = 0; i < n_feeds; i++)
		if (audiofile_read_mono(feeds[i].file, (unsigned)rate, &feeds[i].data, &feeds[i].frames,
					err, sizeof err) < 0) {
			log_error("--input %s: %s", feeds[i].name, err);
			goto done;
		}

	status = 1;
	if (hrtf_load(conf->sofa, (unsigned)rate, &hrtf, err, sizeof err) < 0) {
		log_error("%s", err);
		status = 2;
		goto done;
	}
	struct engine_options eo = { .n_sources = (unsigned)conf->sources, .ceiling_db = conf->ceiling_db,
				     .master_db = conf->master_gain_db, .voices = (unsigned)conf->voices,
				     .seed = (uint64_t)seed };
	engine = engine_new(&eo);
	struct engine_core *core = engine ? engine_core_new(engine, hrtf, (unsigned)block) : NULL;
	if (!core) {
		log_error("cannot set up the engine (out of memory?)");
		goto done;
	}
	engine_set_core(engine, core);
	ctl = control_new(engine);
	struct engine_queue *q = ctl ? engine_queue_open(engine) : NULL;
	int slots[CONF_MAX_INPUTS];
	if (!q || control_apply_conf(ctl, q, conf, slots, err, sizeof err) < 0) {
		log_error("%s", q ? err : "cannot set up the engine");
		goto done;
	}
	for (size_t i = 0; i < n_feeds; i++)
		feeds[i].slot = control_find_source(ctl, feeds[i].name);

	sl = setlist_new(conf, ctl, q, (unsigned)rate, (uint64_t)seed, err, sizeof err);
	int rc = sl ? 0 : -1;
	if (rc == 0 && scene)
		rc = setlist_switch(sl, scene, true, -1, 0, err, sizeof err);
	else if (rc == 0 && conf->start[0])
		rc = setlist_switch(sl, conf->start, false, -1, 0, err, sizeof err);
	else if (rc == 0 && sl->n_names)
		rc = setlist_switch(sl, NULL, false, 0, 0, err, sizeof err);
	if (rc < 0) {
		log_error("%s", err);
		status = 2;
		goto done;
	}

	size_t total;
	if (duration > 0.0f) {
		total = (size_t)llround((double)duration * (double)rate);
	} else {
		double last = events.n ? events.ev[events.n - 1].time : 0.0;
		size_t longest = (size_t)ceil(last * (double)rate);
		for (size_t i = 0; i < n_feeds; i++)
			if (feeds[i].frames > longest)
				longest = feeds[i].frames;
		total = longest + (size_t)rate;
	}

	SF_INFO info = { .samplerate = (int)rate, .channels = 2, .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT };
	out = sf_open(out_path, SFM_WRITE, &info);
	if (!out) {
		log_error("%s: %s", out_path, sf_strerror(NULL));
		goto done;
	}
	/* The PEAK chunk carries a time stamp: without it, the same render
	 * gives the same bytes. */
	sf_command(out, SFC_SET_ADD_PEAK_CHUNK, NULL, SF_FALSE);
	unsigned nsrc = engine_n_sources(engine);
	size_t B = (size_t)block;
	bufs = calloc((nsrc + 2) * B, sizeof(float));
	const float **in = calloc(nsrc, sizeof *in);
	/* Room for every MIDI event of the file in one block: none is dropped. */
	size_t max_midi = 1;
	for (size_t k = 0; k < events.n; k++)
		max_midi += events.ev[k].midi_size > 0;
	struct engine_midi *midi = calloc(max_midi, sizeof *midi);
	float *inter = malloc(2 * B * sizeof(float));
	if (!bufs || !in || !midi || !inter) {
		free(in);
		free(midi);
		free(inter);
		log_error("out of memory");
		goto done;
	}
	float *outs[2] = { bufs + nsrc * B, bufs + (nsrc + 1) * B };
	if (want_loudness && !(meter = loudness_meter_new(2, (unsigned)rate))) {
		free(in);
		free(midi);
		free(inter);
		log_error("--loudness: cannot set up the meter (out of memory?)");
		goto done;
	}
	/* A render of more than a few seconds shows how far it is, on a
	 * terminal. */
	const bool progress = !quiet && isatty(STDERR_FILENO) && total > 10 * (size_t)rate;
	struct timespec shown = { 0, 0 };
	size_t next_ev = 0;
	status = 0;
	for (size_t t0 = 0; t0 < total && status == 0; t0 += B) {
		if (progress && t0 % (64 * B) == 0) {
			struct timespec now;
			clock_gettime(CLOCK_MONOTONIC, &now);
			if ((double)(now.tv_sec - shown.tv_sec) + (double)(now.tv_nsec - shown.tv_nsec) * 1e-9 > 0.25) {
				shown = now;
				fprintf(stderr, "\rrendering %.1f of %.1f s (%d %%)", (double)t0 / (double)rate,
					(double)total / (double)rate, (int)(100.0 * (double)t0 / (double)total));
				fflush(stderr);
			}
		}
		unsigned n_midi = 0;
		/* Events whose frame falls in this block, at their exact frame. */
		while (next_ev < events.n) {
			const struct tl_event *ev = &events.ev[next_ev];
			size_t frame = (size_t)llround(ev->time * (double)rate);
			if (frame >= t0 + B)
				break;
			uint32_t offset = frame > t0 ? (uint32_t)(frame - t0) : 0;
			if (ev->midi_size) {
				midi[n_midi++] = (struct engine_midi){ .frame = offset,
					.size = (uint8_t)ev->midi_size,
					.data = { ev->midi[0], ev->midi[1], ev->midi[2] } };
			} else {
				struct ctl_reply reply;
				char cerr[512];
				char want[CONF_NAME_MAX];
				int index, step;
				if (control_dispatch(ctl, q, offset, ev->path, ev->args, ev->argc, &reply,
						     cerr, sizeof cerr) < 0 ||
				    (control_take_scene_request(ctl, want, sizeof want, &index, &step) &&
				     setlist_switch(sl, want, false, index, step, cerr, sizeof cerr) < 0)) {
					log_error("%s:%d: %s", events.name, ev->line, cerr);
					status = 2;
					break;
				}
			}
			next_ev++;
		}
		for (unsigned s = 0; s < nsrc; s++)
			in[s] = NULL;
		for (size_t i = 0; i < n_feeds; i++) {
			float *dst = bufs + (size_t)feeds[i].slot * B;
			memset(dst, 0, B * sizeof(float));
			if (t0 < feeds[i].frames) {
				size_t n = feeds[i].frames - t0 < B ? feeds[i].frames - t0 : B;
				memcpy(dst, feeds[i].data + t0, n * sizeof(float));
			}
			in[feeds[i].slot] = dst;
		}
		engine_process(engine, in, nsrc, outs, (unsigned)B, midi, n_midi);
		gen_pool_refill(); /* tingled's refill worker, here in step: deterministic */
		engine_collect(engine);
		struct engine_event ev;
		while (engine_event_poll(engine, &ev)) {
			if (ev.type == ENGINE_EV_SCENE_RELEASED)
				setlist_released(sl, ev.ptr);
			/* MIDI controls of [bind] lines act as in tingled (from the
			 * next block on). */
			if (ev.type == ENGINE_EV_MIDI)
				control_midi(ctl, q, ev.count, (double)ev.frame / (double)rate);
		}
		control_tick(ctl, q, (double)(t0 + B) / (double)rate);
		char want[CONF_NAME_MAX], cerr[512];
		int index, step;
		if (control_take_scene_request(ctl, want, sizeof want, &index, &step) &&
		    setlist_switch(sl, want, false, index, step, cerr, sizeof cerr) < 0)
			log_error("scene: %s; the scene playing goes on", cerr);
		size_t n = total - t0 < B ? total - t0 : B;
		for (size_t i = 0; i < n; i++) {
			inter[2 * i] = outs[0][i];
			inter[2 * i + 1] = outs[1][i];
		}
		if (meter && loudness_meter_add(meter, inter, n) < 0) {
			log_error("--loudness: the measure failed");
			status = 1;
		}
		if (sf_writef_float(out, inter, (sf_count_t)n) != (sf_count_t)n) {
			log_error("%s: write failed: %s", out_path, sf_strerror(out));
			status = 1;
		}
	}
	free(inter);
	free(in);
	free(midi);
	if (progress)
		fprintf(stderr, "\r%*s\r", 40, "");
	if (status == 0)
		log_info("rendered %.3f s to %s", (double)total / (double)rate, out_path);
	if (status == 0 && meter) {
		struct loudness l;
		loudness_meter_result(meter, &l);
		printf("loudness: integrated %.1f LUFS, short-term max %.1f LUFS, momentary max %.1f LUFS, "
		       "true peak %.1f dBTP\n",
		       l.integrated, l.short_term_max, l.momentary_max,
		       l.true_peak);
	}
done:
	if (out && sf_close(out) != 0 && status == 0) {
		log_error("%s: cannot finish the file", out_path);
		status = 1;
	}
	free(bufs);
	loudness_meter_free(meter);
	engine_free(engine); /* first: then no scene is in use */
	setlist_free(sl);
	control_free(ctl);
	hrtf_free(hrtf);
	events_free(&events);
	for (size_t i = 0; i < n_feeds; i++)
		free(feeds[i].data);
	free(conf);
	return status;
}
