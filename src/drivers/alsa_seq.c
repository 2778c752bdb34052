#include "config.h"
#include "drivers/alsa_seq.h"

#include <alsa/asoundlib.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/log.h"
#include "drivers/seqmidi.h"
#include "rt/engine.h"

struct alsa_seq {
	snd_seq_t *seq;
	int port;
	struct engine_queue *q;
	pthread_t thread;
	atomic_bool stop;
};

static void *reader(void *arg)
{
	struct alsa_seq *s = arg;
	int nfds = snd_seq_poll_descriptors_count(s->seq, POLLIN);
	struct pollfd fds[8];
	if (nfds > 8)
		nfds = 8;
	snd_seq_poll_descriptors(s->seq, fds, (unsigned)nfds, POLLIN);
	unsigned dropped = 0;
	while (!atomic_load(&s->stop)) {
		if (poll(fds, (nfds_t)nfds, 100) <= 0)
			continue;
		snd_seq_event_t *ev;
		while (snd_seq_event_input(s->seq, &ev) >= 0 && ev) {
			uint8_t b[3];
			int n = seqmidi_translate(ev, b);
			if (n <= 0)
				continue;
			struct engine_cmd cmd = { .type = ENGINE_CMD_MIDI, .i = b[0] | b[1] << 8 | b[2] << 16 };
			if (!engine_queue_push(s->q, &cmd))
				dropped++;
		}
		if (dropped) {
			log_warn("ALSA MIDI: %u events dropped (engine queue full)", dropped);
			dropped = 0;
		}
	}
	return NULL;
}

/* libasound prints its own errors to stderr; ours say it better, once. */
static void quiet(const char *file, int line, const char *function, int err, const char *fmt, ...)
{
	(void)file;
	(void)line;
	(void)function;
	(void)err;
	(void)fmt;
}

struct alsa_seq *alsa_seq_start(const char *client_name, struct engine_queue *q, char *err, size_t errlen)
{
	snd_lib_error_set_handler(quiet);
	struct alsa_seq *s = calloc(1, sizeof *s);
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	int rc = snd_seq_open(&s->seq, "default", SND_SEQ_OPEN_INPUT, SND_SEQ_NONBLOCK);
	if (rc < 0) {
		snprintf(err, errlen, "no ALSA sequencer (%s): MIDI over JACK only", snd_strerror(rc));
		free(s);
		return NULL;
	}
	snd_seq_set_client_name(s->seq, client_name);
	s->port = snd_seq_create_simple_port(s->seq, "midi_in",
					     SND_SEQ_PORT_CAP_WRITE | SND_SEQ_PORT_CAP_SUBS_WRITE,
					     SND_SEQ_PORT_TYPE_MIDI_GENERIC | SND_SEQ_PORT_TYPE_APPLICATION);
	if (s->port < 0) {
		snprintf(err, errlen, "cannot create the ALSA sequencer port: %s", snd_strerror(s->port));
		snd_seq_close(s->seq);
		free(s);
		return NULL;
	}
	s->q = q;
	atomic_init(&s->stop, false);
	if (pthread_create(&s->thread, NULL, reader, s)) {
		snprintf(err, errlen, "cannot start the ALSA MIDI thread");
		snd_seq_close(s->seq);
		free(s);
		return NULL;
	}
	return s;
}

void alsa_seq_stop(struct alsa_seq *s)
{
	if (!s)
		return;
	atomic_store(&s->stop, true);
	pthread_join(s->thread, NULL);
	snd_seq_close(s->seq);
	free(s);
}
