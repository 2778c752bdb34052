#include "config.h"
#include "drivers/jack_driver.h"

#include <errno.h>
#include <jack/jack.h>
#include <jack/metadata.h>
#include <jack/uuid.h>
#include <jack/midiport.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "common/util.h"
#include "config/conf.h"
#include "rt/engine.h"

struct in_port {
	_Atomic(jack_port_t *) port;   /* read by the process callback */
	char name[CONF_NAME_MAX];
	bool fresh;                    /* registered by the last sync (or activation), not yet connected */
};

struct jack_driver {
	jack_client_t *client;
	struct engine *engine;
	jack_port_t *out[2];
	jack_port_t *midi_in;
	bool want_midi;
	unsigned n_slots;
	struct in_port *in;            /* one per engine source */
	const float **in_bufs;         /* process callback's own */
	bool active;                   /* main thread's */
	atomic_bool ready;             /* the ports above are registered */
	atomic_uint cycles;
	atomic_uint xruns;
	atomic_bool lost;
	atomic_uint new_block;         /* 0 = no change */
	jack_driver_block_fn block_fn; /* called from the buffer-size callback */
	void *block_ctx;
	atomic_uint new_rate;          /* 0 = no change */
	unsigned rate;
};

/* The engine reads JACK MIDI straight from the port buffer, every event
 * of the block, whatever their number: nothing is copied, so nothing is
 * dropped. Sysex and broken events are the engine's to ignore. */
static bool midi_get(void *buf, uint32_t k, struct engine_midi_view *v)
{
	jack_midi_event_t ev;
	if (jack_midi_event_get(&ev, buf, k) != 0)
		return false;
	v->frame = ev.time;
	v->size = ev.size;
	v->data = ev.buffer;
	return true;
}

static int process(jack_nframes_t nframes, void *arg)
{
	struct jack_driver *d = arg;
	unsigned n_in = 0;
	if (!atomic_load_explicit(&d->ready, memory_order_acquire)) {
		/* Active, but the ports are still being registered. */
		atomic_fetch_add_explicit(&d->cycles, 1, memory_order_release);
		return 0;
	}
	for (unsigned s = 0; s < d->n_slots; s++) {
		jack_port_t *p = atomic_load_explicit(&d->in[s].port, memory_order_acquire);
		d->in_bufs[s] = p ? jack_port_get_buffer(p, nframes) : NULL;
		if (p)
			n_in = s + 1;
	}
	float *out[2] = { jack_port_get_buffer(d->out[0], nframes),
			  jack_port_get_buffer(d->out[1], nframes) };
	struct engine_midi_reader midi = { .get = midi_get };
	if (d->midi_in) {
		midi.ctx = jack_port_get_buffer(d->midi_in, nframes);
		midi.count = midi.ctx ? jack_midi_get_event_count(midi.ctx) : 0;
	}
	engine_process_reader(d->engine, d->in_bufs, n_in, out, nframes, &midi);
	atomic_fetch_add_explicit(&d->cycles, 1, memory_order_release);
	return 0;
}

/* Not the process thread: building a core (allocation, FFTW plans) is
 * fine here, and JACK waits for it. */
static int on_block(jack_nframes_t nframes, void *arg)
{
	struct jack_driver *d = arg;
	if (d->block_fn)
		d->block_fn(nframes, d->block_ctx);
	atomic_store(&d->new_block, nframes);
	return 0;
}

static int on_rate(jack_nframes_t rate, void *arg)
{
	struct jack_driver *d = arg;
	if (rate != d->rate)
		atomic_store(&d->new_rate, rate);
	return 0;
}

static int on_xrun(void *arg)
{
	struct jack_driver *d = arg;
	atomic_fetch_add(&d->xruns, 1);
	return 0;
}

static void on_shutdown(void *arg)
{
	struct jack_driver *d = arg;
	atomic_store(&d->lost, true);
}

/* While a client is being opened, libjack's own lines ("Client name = ...
 * conflits with another running client", "Cannot connect to server
 * socket", shared memory clean-up) are debug messages: tingled says in one
 * line what went wrong. Otherwise they go to stderr, as libjack's do. */
static atomic_bool opening;

static void jack_said(const char *msg)
{
	if (atomic_load(&opening))
		log_debug("JACK: %s", msg);
	else
		fprintf(stderr, "%s\n", msg);
}

static jack_client_t *client_open(const char *name, const char *server, jack_options_t extra,
				  jack_status_t *status)
{
	jack_options_t options = JackNoStartServer | extra;
	if (server && *server)
		return jack_client_open(name, options | JackServerName, status, server);
	return jack_client_open(name, options, status);
}

/* JACK2 answers a name in use with the same status as any other failure
 * (JackFailure | JackServerError): ask the server whether the name is
 * taken by opening a client that may be renamed, and closing it. */
static bool name_taken(const char *name, const char *server)
{
	jack_status_t status = 0;
	jack_client_t *c = client_open(name, server, 0, &status);
	if (!c)
		return false;
	bool taken = (status & JackNameNotUnique) || strcmp(jack_get_client_name(c), name) != 0;
	jack_client_close(c);
	return taken;
}

struct jack_driver *jack_driver_open(const char *name, const char *server, struct engine *e,
				     bool midi, char *err, size_t errlen)
{
	struct jack_driver *d = calloc(1, sizeof *d);
	if (!d) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	d->engine = e;
	d->n_slots = engine_n_sources(e);
	d->in = calloc(d->n_slots, sizeof *d->in);
	d->in_bufs = calloc(d->n_slots, sizeof *d->in_bufs);
	if (!d->in || !d->in_bufs) {
		snprintf(err, errlen, "out of memory");
		jack_driver_close(d);
		return NULL;
	}
	for (unsigned s = 0; s < d->n_slots; s++)
		atomic_init(&d->in[s].port, NULL);

	jack_status_t status = 0;
	jack_set_error_function(jack_said);
	atomic_store(&opening, true);
	d->client = client_open(name, server, JackUseExactName, &status);
	bool taken = !d->client &&
		     ((status & JackNameNotUnique) || (!(status & JackServerFailed) && name_taken(name, server)));
	atomic_store(&opening, false);
	if (!d->client) {
		if (taken)
			snprintf(err, errlen,
				 "a JACK client named '%s' already runs on this server; choose another name with -n NAME or [jack] name",
				 name);
		else if (status & JackServerFailed)
			snprintf(err, errlen, "cannot connect to the JACK server%s%s: is it running?",
				 server && *server ? " " : "", server && *server ? server : "");
		else
			snprintf(err, errlen, "cannot open a JACK client (status 0x%x)", (unsigned)status);
		jack_driver_close(d);
		return NULL;
	}
	d->rate = jack_get_sample_rate(d->client);
	d->want_midi = midi;
	jack_set_process_callback(d->client, process, d);
	jack_set_buffer_size_callback(d->client, on_block, d);
	jack_set_sample_rate_callback(d->client, on_rate, d);
	jack_set_xrun_callback(d->client, on_xrun, d);
	jack_on_shutdown(d->client, on_shutdown, d);
	return d;
}

void jack_driver_on_block(struct jack_driver *d, jack_driver_block_fn fn, void *ctx)
{
	d->block_fn = fn;
	d->block_ctx = ctx;
}

void jack_driver_close(struct jack_driver *d)
{
	if (!d)
		return;
	if (d->client) {
		jack_deactivate(d->client);
		jack_client_close(d->client);
	}
	free(d->in);
	free(d->in_bufs);
	free(d);
}

unsigned jack_driver_rate(const struct jack_driver *d) { return d->rate; }
unsigned jack_driver_block(const struct jack_driver *d) { return jack_get_buffer_size(d->client); }
const char *jack_driver_client_name(const struct jack_driver *d) { return jack_get_client_name(d->client); }

/* The name a patchbay shows for a port (JACK metadata). A server without
 * metadata (or one that refuses) costs nothing but the nicer name. */
static void pretty_name(struct jack_driver *d, jack_port_t *p, const char *pretty)
{
	jack_uuid_t id = jack_port_uuid(p);
	if (jack_uuid_empty(id) || jack_set_property(d->client, id, JACK_METADATA_PRETTY_NAME, pretty, "text/plain"))
		log_debug("JACK: no pretty name for %s", jack_port_short_name(p));
}

/* Wait until the process callback has surely stopped looking at a port. */
static void wait_cycles(struct jack_driver *d, unsigned n)
{
	unsigned start = atomic_load(&d->cycles);
	for (int k = 0; k < 200 && atomic_load(&d->cycles) - start < n; k++) {
		struct timespec ts = { 0, 2 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
}

/* Registers in_NAME for engine source s and hands it to the process callback. */
static int register_input(struct jack_driver *d, unsigned s, const char *name)
{
	char pname[CONF_NAME_MAX + 16];
	snprintf(pname, sizeof pname, "in_%s", name);
	jack_port_t *p = jack_port_register(d->client, pname, JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
	if (!p) {
		log_error("cannot register JACK port %s", pname);
		return -1;
	}
	snprintf(pname, sizeof pname, "%s (live input)", name);
	pretty_name(d, p, pname);
	str_copy(d->in[s].name, sizeof d->in[s].name, name);
	d->in[s].fresh = true;
	atomic_store_explicit(&d->in[s].port, p, memory_order_release);
	return 0;
}

int jack_driver_sync_inputs(struct jack_driver *d, const struct tingle_conf *conf, const int *slots)
{
	if (!d->active) {
		/* Only noted: jack_driver_activate registers the ports. */
		for (unsigned s = 0; s < d->n_slots; s++)
			d->in[s].name[0] = '\0';
		for (size_t k = 0; k < conf->n_inputs; k++)
			if (slots[k] >= 0 && (unsigned)slots[k] < d->n_slots)
				str_copy(d->in[slots[k]].name, sizeof d->in[0].name, conf->inputs[k].name);
		return 0;
	}
	int failures = 0;
	bool removed = false;
	for (unsigned s = 0; s < d->n_slots; s++)
		d->in[s].fresh = false; /* new: the ports registered now */
	jack_port_t *gone[CONF_MAX_INPUTS];
	size_t n_gone = 0;
	for (unsigned s = 0; s < d->n_slots; s++) {
		jack_port_t *p = atomic_load(&d->in[s].port);
		if (!p)
			continue;
		bool keep = false;
		for (size_t k = 0; k < conf->n_inputs; k++)
			if (slots[k] == (int)s && !strcmp(conf->inputs[k].name, d->in[s].name))
				keep = true;
		if (!keep) {
			atomic_store(&d->in[s].port, NULL);
			if (n_gone < CONF_MAX_INPUTS)
				gone[n_gone++] = p;
			d->in[s].name[0] = '\0';
			removed = true;
		}
	}
	if (removed) {
		wait_cycles(d, 2);
		for (size_t k = 0; k < n_gone; k++) {
			jack_remove_properties(d->client, jack_port_uuid(gone[k]));
			jack_port_unregister(d->client, gone[k]);
		}
	}
	for (size_t k = 0; k < conf->n_inputs; k++) {
		int s = slots[k];
		if (s < 0 || (unsigned)s >= d->n_slots || atomic_load(&d->in[s].port))
			continue;
		if (register_input(d, (unsigned)s, conf->inputs[k].name) < 0)
			failures++;
	}
	return failures;
}

/* The ports are registered only once the client is active: a patchbay
 * that lists a port of an inactive client cannot connect to it. Until
 * they all are, the process callback leaves the engine alone. */
int jack_driver_activate(struct jack_driver *d, char *err, size_t errlen)
{
	if (jack_activate(d->client)) {
		snprintf(err, errlen, "cannot activate the JACK client");
		return -1;
	}
	d->active = true;
	d->out[0] = jack_port_register(d->client, "out_L", JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
	d->out[1] = jack_port_register(d->client, "out_R", JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
	if (d->want_midi)
		d->midi_in = jack_port_register(d->client, "midi_in", JACK_DEFAULT_MIDI_TYPE, JackPortIsInput, 0);
	if (!d->out[0] || !d->out[1] || (d->want_midi && !d->midi_in)) {
		snprintf(err, errlen, "cannot register the JACK ports");
		return -1;
	}
	pretty_name(d, d->out[0], "Headphones left");
	pretty_name(d, d->out[1], "Headphones right");
	if (d->midi_in)
		pretty_name(d, d->midi_in, "MIDI in");
	atomic_store_explicit(&d->ready, true, memory_order_release);
	for (unsigned s = 0; s < d->n_slots; s++) {
		char name[CONF_NAME_MAX];
		if (!d->in[s].name[0] || atomic_load(&d->in[s].port))
			continue;
		str_copy(name, sizeof name, d->in[s].name);
		d->in[s].name[0] = '\0';
		register_input(d, s, name);
	}
	return 0;
}

static void connect_ports(struct jack_driver *d, const char *from, const char *to)
{
	int rc = jack_connect(d->client, from, to);
	if (rc == 0)
		log_info("connected %s to %s", from, to);
	else if (rc != EEXIST)
		log_warn("cannot connect %s to %s (no such port?)", from, to);
}

/* Whether conf's input `name` has a port the last jack_driver_sync_inputs
 * (or the activation) registered and no connect has seen yet. */
static bool input_fresh(const struct jack_driver *d, const char *name)
{
	for (unsigned s = 0; s < d->n_slots; s++)
		if (d->in[s].fresh && !strcmp(d->in[s].name, name) && atomic_load(&d->in[s].port))
			return true;
	return false;
}

void jack_driver_connect(struct jack_driver *d, const struct tingle_conf *conf, bool only_new)
{
	const char *me = jack_get_client_name(d->client);
	char full[CONF_PORT_MAX + CONF_NAME_MAX + 8];
	for (size_t k = 0; k < conf->n_inputs; k++) {
		if (!conf->inputs[k].port[0] || (only_new && !input_fresh(d, conf->inputs[k].name)))
			continue;
		snprintf(full, sizeof full, "%s:in_%s", me, conf->inputs[k].name);
		connect_ports(d, conf->inputs[k].port, full);
	}
	for (unsigned s = 0; s < d->n_slots; s++)
		d->in[s].fresh = false;
	if (only_new)
		return;
	const char **physical = NULL;
	const char *dest[2] = { conf->outputs[0][0] ? conf->outputs[0] : NULL,
				conf->outputs[1][0] ? conf->outputs[1] : NULL };
	if (!dest[0] || !dest[1]) {
		physical = jack_get_ports(d->client, NULL, JACK_DEFAULT_AUDIO_TYPE,
					  JackPortIsPhysical | JackPortIsInput);
		for (int ch = 0; ch < 2; ch++)
			if (!dest[ch] && physical && physical[0])
				dest[ch] = physical[1] && ch == 1 ? physical[1] : physical[0];
	}
	for (int ch = 0; ch < 2; ch++) {
		if (!dest[ch]) {
			log_warn("no playback port to connect out_%c to", ch ? 'R' : 'L');
			continue;
		}
		snprintf(full, sizeof full, "%s:out_%c", me, ch ? 'R' : 'L');
		connect_ports(d, full, dest[ch]);
	}
	if (physical)
		jack_free(physical);
}

bool jack_driver_server_lost(struct jack_driver *d) { return atomic_load(&d->lost); }

bool jack_driver_take_block_change(struct jack_driver *d, unsigned *block)
{
	unsigned b = atomic_exchange(&d->new_block, 0);
	if (!b)
		return false;
	*block = b;
	return true;
}

bool jack_driver_take_rate_change(struct jack_driver *d, unsigned *rate)
{
	unsigned r = atomic_exchange(&d->new_rate, 0);
	if (!r)
		return false;
	d->rate = r;
	*rate = r;
	return true;
}

unsigned jack_driver_take_xruns(struct jack_driver *d) { return atomic_exchange(&d->xruns, 0); }
