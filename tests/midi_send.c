/* midi_send: play MIDI messages into a JACK MIDI port at exact times.
 *   midi_send PORT EVENT...
 * EVENT is "SECONDS:HH HH [HH]" (bytes in hex), the time counted from the
 * first block after the connection is made. Exits 0 once every event was
 * written, 1 on failure. */
#include <jack/jack.h>
#include <jack/midiport.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_EVENTS 256

struct event {
	uint64_t frame;
	uint8_t data[3];
	size_t size;
};

static struct event events[MAX_EVENTS];
static size_t n_events;
static jack_port_t *out;
static atomic_int started;
static uint64_t clock_frames;
static atomic_size_t next;

static int process(jack_nframes_t n, void *arg)
{
	(void)arg;
	void *buf = jack_port_get_buffer(out, n);
	jack_midi_clear_buffer(buf);
	if (!atomic_load(&started))
		return 0;
	size_t k = atomic_load(&next);
	while (k < n_events && events[k].frame < clock_frames + n) {
		uint64_t at = events[k].frame < clock_frames ? 0 : events[k].frame - clock_frames;
		if (jack_midi_event_write(buf, (jack_nframes_t)at, events[k].data, events[k].size) != 0)
			break;
		k++;
	}
	atomic_store(&next, k);
	clock_frames += n;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: midi_send PORT SECONDS:HH HH [HH]...\n");
		return 2;
	}
	jack_client_t *c = jack_client_open("midi_send", JackNoStartServer, NULL);
	if (!c) {
		fprintf(stderr, "midi_send: no JACK server\n");
		return 1;
	}
	double rate = jack_get_sample_rate(c);
	for (int i = 2; i < argc && n_events < MAX_EVENTS; i++) {
		double t;
		unsigned b[3];
		int got = sscanf(argv[i], "%lf:%x %x %x", &t, &b[0], &b[1], &b[2]);
		if (got < 3) {
			fprintf(stderr, "midi_send: bad event '%s'\n", argv[i]);
			return 2;
		}
		struct event *e = &events[n_events++];
		e->frame = (uint64_t)(t * rate + 0.5);
		e->size = (size_t)(got - 1);
		for (size_t k = 0; k < e->size; k++)
			e->data[k] = (uint8_t)b[k];
		if (n_events > 1 && e->frame < events[n_events - 2].frame) {
			fprintf(stderr, "midi_send: events out of order\n");
			return 2;
		}
	}
	out = jack_port_register(c, "out", JACK_DEFAULT_MIDI_TYPE, JackPortIsOutput, 0);
	if (!out || jack_set_process_callback(c, process, NULL) || jack_activate(c)) {
		fprintf(stderr, "midi_send: cannot set up the client\n");
		return 1;
	}
	if (jack_connect(c, jack_port_name(out), argv[1]) != 0) {
		fprintf(stderr, "midi_send: cannot connect to %s\n", argv[1]);
		return 1;
	}
	atomic_store(&started, 1);
	for (int waited = 0; atomic_load(&next) < n_events; waited++) {
		if (waited > 60000) {
			fprintf(stderr, "midi_send: timed out\n");
			return 1;
		}
		usleep(1000);
	}
	usleep(100000); /* let the last block reach the port */
	jack_client_close(c);
	return 0;
}
