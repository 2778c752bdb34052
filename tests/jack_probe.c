/* jack_probe: a small JACK client for the integration tests.
 *   jack_probe -S SERVER [options]
 *     --wait-port PORT SECONDS     wait until PORT exists (exit 1 on time-out)
 *     --tone PORT FREQ AMPLITUDE   play a sine into PORT while running
 *     --capture PORT_L PORT_R SECONDS OUT.wav
 *                                  record two ports into a stereo WAV
 *     --skip SECONDS               let this much pass before recording (0.2)
 * Everything real-time happens in the process callback; the main thread
 * only waits with a deadline and writes the file. */
#include <jack/jack.h>
#include <math.h>
#include <sndfile.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static jack_port_t *tone_port, *cap[2];
static double tone_freq, tone_amp, tone_phase;
static float *buf;
static size_t want, skip;
static atomic_size_t have, skipped;
static unsigned rate;

static int process(jack_nframes_t n, void *arg)
{
	(void)arg;
	if (tone_port) {
		float *o = jack_port_get_buffer(tone_port, n);
		for (jack_nframes_t i = 0; i < n; i++) {
			o[i] = (float)(tone_amp * sin(tone_phase));
			tone_phase += 2.0 * M_PI * tone_freq / rate;
			if (tone_phase > 2.0 * M_PI)
				tone_phase -= 2.0 * M_PI;
		}
	}
	if (cap[0]) {
		const float *l = jack_port_get_buffer(cap[0], n), *r = jack_port_get_buffer(cap[1], n);
		size_t s = atomic_load(&skipped);
		jack_nframes_t i = 0;
		for (; i < n && s < skip; i++)
			s++;
		atomic_store(&skipped, s);
		size_t h = atomic_load(&have);
		for (; i < n && h < want; i++, h++) {
			buf[2 * h] = l[i];
			buf[2 * h + 1] = r[i];
		}
		atomic_store(&have, h);
	}
	return 0;
}

static void pause_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

int main(int argc, char **argv)
{
	const char *server = NULL, *wait_port = NULL, *tone_to = NULL, *cap_from[2] = { 0 }, *out = NULL;
	double wait_s = 10, cap_s = 0, skip_s = 0.2;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-S") && i + 1 < argc)
			server = argv[++i];
		else if (!strcmp(argv[i], "--wait-port") && i + 2 < argc) {
			wait_port = argv[++i];
			wait_s = atof(argv[++i]);
		} else if (!strcmp(argv[i], "--tone") && i + 3 < argc) {
			tone_to = argv[++i];
			tone_freq = atof(argv[++i]);
			tone_amp = atof(argv[++i]);
		} else if (!strcmp(argv[i], "--capture") && i + 4 < argc) {
			cap_from[0] = argv[++i];
			cap_from[1] = argv[++i];
			cap_s = atof(argv[++i]);
			out = argv[++i];
		} else if (!strcmp(argv[i], "--skip") && i + 1 < argc) {
			skip_s = atof(argv[++i]);
		} else {
			fprintf(stderr, "jack_probe: bad argument %s\n", argv[i]);
			return 2;
		}
	}
	jack_status_t st;
	jack_client_t *c = server ? jack_client_open("probe", JackNoStartServer | JackServerName, &st, server)
				  : jack_client_open("probe", JackNoStartServer, &st);
	if (!c) {
		fprintf(stderr, "jack_probe: cannot open a client (status 0x%x)\n", (unsigned)st);
		return 2;
	}
	rate = jack_get_sample_rate(c);
	if (wait_port) {
		int ok = 0;
		for (double t = 0; t < wait_s && !ok; t += 0.02) {
			ok = jack_port_by_name(c, wait_port) != NULL;
			if (!ok)
				pause_ms(20);
		}
		if (!ok) {
			fprintf(stderr, "jack_probe: no port %s after %.1f s\n", wait_port, wait_s);
			jack_client_close(c);
			return 1;
		}
	}
	if (tone_to)
		tone_port = jack_port_register(c, "tone", JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
	if (out) {
		want = (size_t)(cap_s * rate);
		skip = (size_t)(skip_s * rate);
		buf = calloc(want * 2 + 2, sizeof(float));
		cap[0] = jack_port_register(c, "cap_L", JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
		cap[1] = jack_port_register(c, "cap_R", JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
	}
	jack_set_process_callback(c, process, NULL);
	if (jack_activate(c)) {
		fprintf(stderr, "jack_probe: cannot activate\n");
		return 2;
	}
	const char *me = jack_get_client_name(c);
	char name[256];
	if (tone_to) {
		snprintf(name, sizeof name, "%s:tone", me);
		if (jack_connect(c, name, tone_to)) {
			fprintf(stderr, "jack_probe: cannot connect %s to %s\n", name, tone_to);
			return 1;
		}
	}
	if (out) {
		for (int ch = 0; ch < 2; ch++) {
			snprintf(name, sizeof name, "%s:cap_%c", me, ch ? 'R' : 'L');
			if (jack_connect(c, cap_from[ch], name)) {
				fprintf(stderr, "jack_probe: cannot connect %s to %s\n", cap_from[ch], name);
				return 1;
			}
		}
		/* The dummy backend runs in real time: allow three times over. */
		double limit = 3.0 * (cap_s + skip_s) + 5.0;
		for (double t = 0; atomic_load(&have) < want && t < limit; t += 0.02)
			pause_ms(20);
		if (atomic_load(&have) < want) {
			fprintf(stderr, "jack_probe: captured %zu of %zu frames\n", atomic_load(&have), want);
			return 1;
		}
	}
	jack_deactivate(c);
	jack_client_close(c);
	if (out) {
		SF_INFO info = { .samplerate = (int)rate, .channels = 2, .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT };
		SNDFILE *sf = sf_open(out, SFM_WRITE, &info);
		if (!sf || sf_writef_float(sf, buf, (sf_count_t)want) != (sf_count_t)want) {
			fprintf(stderr, "jack_probe: %s: %s\n", out, sf_strerror(sf));
			return 1;
		}
		sf_close(sf);
	}
	free(buf);
	return 0;
}
