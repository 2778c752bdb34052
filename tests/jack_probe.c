/* jack_probe: a small JACK client for the integration tests.
 *   jack_probe [options]
 *     --wait-port PORT SECONDS     wait until PORT exists (exit 1 on time-out)
 *     --tone PORT FREQ AMPLITUDE   play a sine into PORT while running
 *     --capture PORT_L PORT_R SECONDS OUT.wav
 *                                  record two ports into a stereo WAV
 *     --skip SECONDS               let this much pass before recording (0.2)
 *     --midi PORT NOTE             while recording, send NOTE (velocity 100)
 *                                  into the JACK MIDI port PORT twice: 0.1 s and
 *                                  0.9 s into the recording, at frames 17 and 93
 *                                  of their blocks; prints "midi FRAME" for each
 *                                  (the recording frame it was sent at)
 *     --flood PORT NOTE N          while recording, into the JACK MIDI port
 *                                  PORT: a note-on of NOTE 0.1 s in, then 0.5 s
 *                                  in, all in ONE block, N controller messages
 *                                  (CC 1) and last the note-off of NOTE; prints
 *                                  "flood FRAME WRITTEN" (the recording frame of
 *                                  the note-off, the events that block took,
 *                                  note-off included) and "midi_buffer BYTES"
 *                                  (JACK's MIDI port buffer size); exit 1 when
 *                                  the block could not take them all
 *     --osc UDPPORT SOUND          0.5 s into the recording, at the end of a
 *                                  block, send the OSC message /trigger SOUND
 *                                  to 127.0.0.1:UDPPORT; prints "osc FRAME"
 *                                  (the recording frame where that block ends)
 *                                  (a test tool may send from its process
 *                                  callback; tingle never would)
 *     --watch CLIENT N SECONDS     watch the server until N ports of CLIENT
 *                                  have been registered: as each appears, at
 *                                  once connect it to a port of ours and
 *                                  disconnect again; prints "ready" when
 *                                  watching, then "port NAME connected" or
 *                                  "port NAME not connectable" for each;
 *                                  exit 1 when one was not connectable or
 *                                  fewer than N came in time (a client's
 *                                  ports cannot be connected while it is
 *                                  inactive, so this sees ports that show
 *                                  before their client is active)
 *     --for SECONDS                without --capture: run this long (a
 *                                  tone alone, from a client of its own, so
 *                                  that nothing the recording hears goes
 *                                  round a loop back to the probe)
 *     --blocks                     while recording, note each change of
 *                                  JACK's block size: prints "block FRAME
 *                                  SIZE" (the recording frame where the
 *                                  first period of SIZE frames begins), and
 *                                  at the end "glitches N" (the xruns and
 *                                  lost cycles --strict would count)
 *     --strict                     exit 3 when an xrun or a lost cycle fell in
 *                                  the recording (the dummy backend drops
 *                                  cycles on a loaded machine: such a
 *                                  recording cannot measure timing or level;
 *                                  the tests' probe_strict runs it again)
 * The server is the default one (JACK_DEFAULT_SERVER) unless -S NAME. All
 * real-time work happens in the process callback; the main thread waits
 * with deadlines and writes the file. */
#include <jack/jack.h>
#include <jack/midiport.h>
#include <lo/lo.h>
#include <math.h>
#include <sndfile.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static jack_client_t *client;
static jack_port_t *tone_port, *cap[2], *midi_port;
static double tone_freq, tone_amp, tone_phase;
static float *buf;
static size_t want, skip;
static atomic_size_t have, skipped;
static unsigned rate;
static int midi_note = -1;
static size_t midi_at[2];
static atomic_int midi_sent;
static atomic_bool rec_started;
static int flood_note = -1, flood_n;
static atomic_int flood_stage;   /* 0 nothing sent, 1 note-on sent, 2 flood sent */
static size_t flood_at;
static int flood_written;
static lo_address osc_to;
static const char *osc_sound;
static atomic_bool osc_sent;
static size_t osc_at;
static atomic_int glitches;         /* xruns and lost cycles while recording */
static jack_nframes_t last_cycle;
static bool last_cycle_set;
static bool strict;
static bool note_blocks;
#define MAX_BLOCK_CHANGES 16
static size_t block_at[MAX_BLOCK_CHANGES];
static jack_nframes_t block_size[MAX_BLOCK_CHANGES], last_n;
static atomic_int n_block_changes;

static int on_xrun(void *arg)
{
	(void)arg;
	if (atomic_load(&rec_started) && atomic_load(&have) < want)
		atomic_fetch_add(&glitches, 1);
	return 0;
}

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
	void *mb = midi_port ? jack_port_get_buffer(midi_port, n) : NULL;
	if (mb)
		jack_midi_clear_buffer(mb);
	jack_nframes_t now = jack_last_frame_time(client);
	/* A new block size restarts the server's cycle: that is no lost cycle. */
	if (last_cycle_set && n == last_n && now - last_cycle != n && atomic_load(&rec_started) &&
	    atomic_load(&have) < want)
		atomic_fetch_add(&glitches, 1);
	int nb = atomic_load(&n_block_changes);
	if (note_blocks && last_cycle_set && n != last_n && atomic_load(&rec_started) && nb < MAX_BLOCK_CHANGES &&
	    atomic_load(&have) < want) {
		block_at[nb] = atomic_load(&have);
		block_size[nb] = n;
		atomic_store(&n_block_changes, nb + 1);
	}
	last_n = n;
	last_cycle = now;
	last_cycle_set = true;
	if (!cap[0])
		return 0;
	const float *l = jack_port_get_buffer(cap[0], n), *r = jack_port_get_buffer(cap[1], n);
	size_t s = atomic_load(&skipped);
	jack_nframes_t i = 0;
	while (i < n && s < skip) {
		i++;
		s++;
	}
	atomic_store(&skipped, s);
	if (i == n)
		return 0;
	size_t h = atomic_load(&have);
	atomic_store(&rec_started, true);
	int k = atomic_load(&midi_sent);
	if (mb && midi_note >= 0 && k < 2) {
		size_t due = k == 0 ? rate / 10 : (size_t)rate * 9 / 10;
		jack_nframes_t off = k == 0 ? 17 : 93;
		if (off < i)
			off = i;
		if (off < n && h + (off - i) >= due) {
			uint8_t on[3] = { 0x90, (uint8_t)midi_note, 100 };
			uint8_t offm[3] = { 0x80, (uint8_t)midi_note, 0 };
			jack_midi_event_write(mb, off, on, 3);
			if (off + 1 < n)
				jack_midi_event_write(mb, off + 1, offm, 3);
			midi_at[k] = h + (off - i);
			atomic_store(&midi_sent, k + 1);
		}
	}
	int fs = atomic_load(&flood_stage);
	if (mb && flood_note >= 0 && fs == 0 && h >= rate / 10) {
		uint8_t on[3] = { 0x90, (uint8_t)flood_note, 100 };
		jack_midi_event_write(mb, i, on, 3);
		atomic_store(&flood_stage, 1);
	} else if (mb && flood_note >= 0 && fs == 1 && h >= rate / 2) {
		/* Spread over the block, in time order; the note-off last. */
		int w = 0;
		for (int j = 0; j < flood_n; j++) {
			uint8_t cc[3] = { 0xb0, 1, (uint8_t)(j & 0x7f) };
			jack_nframes_t t = i + (jack_nframes_t)((uint64_t)j * (n - 1 - i) / (uint64_t)flood_n);
			if (jack_midi_event_write(mb, t, cc, 3) == 0)
				w++;
		}
		uint8_t offm[3] = { 0x80, (uint8_t)flood_note, 0 };
		if (jack_midi_event_write(mb, n - 1, offm, 3) == 0)
			w++;
		flood_written = w;
		flood_at = h + (n - 1 - i);
		atomic_store(&flood_stage, 2);
	}
	for (; i < n && h < want; i++, h++) {
		buf[2 * h] = l[i];
		buf[2 * h + 1] = r[i];
	}
	atomic_store(&have, h);
	if (osc_to && !atomic_load(&osc_sent) && h >= rate / 2) {
		lo_send(osc_to, "/trigger", "s", osc_sound);
		osc_at = h;
		atomic_store(&osc_sent, true);
	}
	return 0;
}

static void pause_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* --watch: the way a patchbay sees the graph: jack_get_ports, polled every
 * millisecond (JACK2 announces the ports of a client to port registration
 * callbacks only once it is active, but lists them from registration on). */
static int watch(const char *who, int want_n, double seconds)
{
	/* One port of ours for every kind of port CLIENT may have. */
	jack_port_t *ours[2][2] = {
		{ jack_port_register(client, "w_audio_in", JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0),
		  jack_port_register(client, "w_audio_out", JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0) },
		{ jack_port_register(client, "w_midi_in", JACK_DEFAULT_MIDI_TYPE, JackPortIsInput, 0),
		  jack_port_register(client, "w_midi_out", JACK_DEFAULT_MIDI_TYPE, JackPortIsOutput, 0) },
	};
	if (!ours[0][0] || !ours[0][1] || !ours[1][0] || !ours[1][1]) {
		fprintf(stderr, "jack_probe: cannot register the watch ports\n");
		return 2;
	}
	jack_set_process_callback(client, process, NULL);
	if (jack_activate(client)) {
		fprintf(stderr, "jack_probe: cannot activate\n");
		return 2;
	}
	printf("ready\n");
	fflush(stdout);
	char pattern[256];
	snprintf(pattern, sizeof pattern, "^%s:", who);
	char seen_names[64][256];
	int seen = 0, bad = 0;
	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (now = t0; seen < want_n && seen < 64 &&
		       (double)(now.tv_sec - t0.tv_sec) + (double)(now.tv_nsec - t0.tv_nsec) * 1e-9 < seconds;
	     clock_gettime(CLOCK_MONOTONIC, &now)) {
		const char **names = jack_get_ports(client, pattern, NULL, 0);
		for (size_t k = 0; names && names[k] && seen < want_n && seen < 64; k++) {
			bool old = false;
			for (int j = 0; j < seen && !old; j++)
				old = !strcmp(seen_names[j], names[k]);
			if (old)
				continue;
			snprintf(seen_names[seen++], sizeof seen_names[0], "%s", names[k]);
			jack_port_t *p = jack_port_by_name(client, names[k]);
			if (!p)
				continue;
			bool midi = !strcmp(jack_port_type(p), JACK_DEFAULT_MIDI_TYPE);
			bool out = (jack_port_flags(p) & JackPortIsOutput) != 0;
			const char *mine = jack_port_name(ours[midi][!out]);
			const char *src = out ? names[k] : mine, *dst = out ? mine : names[k];
			int rc = jack_connect(client, src, dst);
			printf("port %s %s\n", names[k], rc == 0 ? "connected" : "not connectable");
			fflush(stdout);
			if (rc == 0)
				jack_disconnect(client, src, dst);
			else
				bad++;
		}
		if (names)
			jack_free(names);
		pause_ms(1);
	}
	jack_deactivate(client);
	jack_client_close(client);
	if (seen < want_n) {
		fprintf(stderr, "jack_probe: %d of %d ports of %s seen in %.0f s\n", seen, want_n, who, seconds);
		return 1;
	}
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	const char *server = NULL, *wait_port = NULL, *tone_to = NULL, *cap_from[2] = { 0 }, *out = NULL;
	const char *midi_to = NULL, *osc_port = NULL, *watch_who = NULL;
	int watch_n_want = 0;
	double watch_s = 0;
	double wait_s = 10, cap_s = 0, skip_s = 0.2, run_s = 0;
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
		} else if (!strcmp(argv[i], "--midi") && i + 2 < argc) {
			midi_to = argv[++i];
			midi_note = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--flood") && i + 3 < argc) {
			midi_to = argv[++i];
			flood_note = atoi(argv[++i]);
			flood_n = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--osc") && i + 2 < argc) {
			osc_port = argv[++i];
			osc_sound = argv[++i];
		} else if (!strcmp(argv[i], "--for") && i + 1 < argc) {
			run_s = atof(argv[++i]);
		} else if (!strcmp(argv[i], "--blocks")) {
			note_blocks = true;
		} else if (!strcmp(argv[i], "--strict")) {
			strict = true;
		} else if (!strcmp(argv[i], "--watch") && i + 3 < argc) {
			watch_who = argv[++i];
			watch_n_want = atoi(argv[++i]);
			watch_s = atof(argv[++i]);
		} else {
			fprintf(stderr, "jack_probe: bad argument %s\n", argv[i]);
			return 2;
		}
	}
	if ((midi_to || osc_port) && !out) {
		fprintf(stderr, "jack_probe: --midi, --flood and --osc need --capture\n");
		return 2;
	}
	jack_status_t st;
	client = server ? jack_client_open("probe", JackNoStartServer | JackServerName, &st, server)
			: jack_client_open("probe", JackNoStartServer, &st);
	if (!client) {
		fprintf(stderr, "jack_probe: cannot open a client (status 0x%x)\n", (unsigned)st);
		return 2;
	}
	rate = jack_get_sample_rate(client);
	if (watch_who)
		return watch(watch_who, watch_n_want, watch_s);
	if (wait_port) {
		int ok = 0;
		for (double t = 0; t < wait_s && !ok; t += 0.02) {
			ok = jack_port_by_name(client, wait_port) != NULL;
			if (!ok)
				pause_ms(20);
		}
		if (!ok) {
			fprintf(stderr, "jack_probe: no port %s after %.1f s\n", wait_port, wait_s);
			jack_client_close(client);
			return 1;
		}
	}
	if (tone_to)
		tone_port = jack_port_register(client, "tone", JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
	if (midi_to)
		midi_port = jack_port_register(client, "midi", JACK_DEFAULT_MIDI_TYPE, JackPortIsOutput, 0);
	if (out) {
		want = (size_t)(cap_s * rate);
		skip = (size_t)(skip_s * rate);
		buf = calloc(want * 2 + 2, sizeof(float));
		cap[0] = jack_port_register(client, "cap_L", JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
		cap[1] = jack_port_register(client, "cap_R", JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
	}
	if (osc_port)
		osc_to = lo_address_new("127.0.0.1", osc_port);
	jack_set_process_callback(client, process, NULL);
	jack_set_xrun_callback(client, on_xrun, NULL);
	if (jack_activate(client)) {
		fprintf(stderr, "jack_probe: cannot activate\n");
		return 2;
	}
	const char *me = jack_get_client_name(client);
	char name[256];
	const char *ours[2] = { tone_to ? "tone" : NULL, midi_to ? "midi" : NULL };
	const char *theirs[2] = { tone_to, midi_to };
	for (int k = 0; k < 2; k++) {
		if (!ours[k])
			continue;
		snprintf(name, sizeof name, "%s:%s", me, ours[k]);
		if (jack_connect(client, name, theirs[k])) {
			fprintf(stderr, "jack_probe: cannot connect %s to %s\n", name, theirs[k]);
			return 1;
		}
	}
	if (!out && run_s > 0)
		pause_ms((int)(run_s * 1000));
	if (out) {
		for (int ch = 0; ch < 2; ch++) {
			snprintf(name, sizeof name, "%s:cap_%c", me, ch ? 'R' : 'L');
			if (jack_connect(client, cap_from[ch], name)) {
				fprintf(stderr, "jack_probe: cannot connect %s to %s\n", cap_from[ch], name);
				return 1;
			}
		}
		/* The dummy backend runs in real time: allow three times over. */
		double limit = 3.0 * (cap_s + skip_s) + 5.0, t = 0;
		for (; atomic_load(&have) < want && t < limit; t += 0.02)
			pause_ms(20);
		if (atomic_load(&have) < want) {
			fprintf(stderr, "jack_probe: captured %zu of %zu frames\n", atomic_load(&have), want);
			return 1;
		}
		if (strict && atomic_load(&glitches) > 0) {
			fprintf(stderr, "jack_probe: %d xruns or lost cycles during the recording\n",
				atomic_load(&glitches));
			return 3;
		}
		for (int k = 0; k < atomic_load(&midi_sent); k++)
			printf("midi %zu\n", midi_at[k]);
		for (int k = 0; k < atomic_load(&n_block_changes); k++)
			printf("block %zu %u\n", block_at[k], (unsigned)block_size[k]);
		if (note_blocks)
			printf("glitches %d\n", atomic_load(&glitches));
		if (atomic_load(&osc_sent))
			printf("osc %zu\n", osc_at);
		if (flood_note >= 0) {
			printf("midi_buffer %zu\n", jack_port_type_get_buffer_size(client, JACK_DEFAULT_MIDI_TYPE));
			if (atomic_load(&flood_stage) < 2) {
				fprintf(stderr, "jack_probe: the flood was not sent\n");
				return 1;
			}
			printf("flood %zu %d\n", flood_at, flood_written);
			if (flood_written != flood_n + 1) {
				fprintf(stderr, "jack_probe: one block took %d of %d MIDI events\n", flood_written,
					flood_n + 1);
				return 1;
			}
		}
	}
	jack_deactivate(client);
	jack_client_close(client);
	if (out) {
		SF_INFO info = { .samplerate = (int)rate, .channels = 2, .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT };
		SNDFILE *sf = sf_open(out, SFM_WRITE, &info);
		if (!sf || sf_writef_float(sf, buf, (sf_count_t)want) != (sf_count_t)want) {
			fprintf(stderr, "jack_probe: %s: %s\n", out, sf_strerror(sf));
			return 1;
		}
		sf_close(sf);
	}
	if (osc_to)
		lo_address_free(osc_to);
	free(buf);
	return 0;
}
