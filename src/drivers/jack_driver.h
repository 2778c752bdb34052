/* The JACK driver: one JACK client whose process callback runs the engine.
 * Ports: out_L, out_R, midi_in, and in_NAME for every live input, each
 * feeding the engine source the control layer gave that input. */
#ifndef TINGLE_JACK_DRIVER_H
#define TINGLE_JACK_DRIVER_H

#include <stdbool.h>
#include <stddef.h>

struct engine;
struct tingle_conf;
struct jack_driver;

/* Opens the client (no server is started) under exactly this name.
 * Returns NULL with err set. No port is registered yet: see
 * jack_driver_activate. */
struct jack_driver *jack_driver_open(const char *name, const char *server, struct engine *e,
				     bool midi, char *err, size_t errlen);
void jack_driver_close(struct jack_driver *d);

unsigned jack_driver_rate(const struct jack_driver *d);
unsigned jack_driver_block(const struct jack_driver *d);
const char *jack_driver_client_name(const struct jack_driver *d);

/* Make the in_NAME ports match conf's inputs; slots[i] is the engine
 * source of conf->inputs[i]. Ports of inputs that are gone are taken out of
 * the process callback first, then unregistered. Returns the number of
 * ports that could not be registered. Before jack_driver_activate the
 * inputs are only noted, and registered there. */
int jack_driver_sync_inputs(struct jack_driver *d, const struct tingle_conf *conf, const int *slots);

/* Activates the client, then registers all its ports, so that no port is
 * ever seen on an inactive client (nothing can connect to those). */
int jack_driver_activate(struct jack_driver *d, char *err, size_t errlen);

/* Connect inputs to their capture ports and the outputs to conf's outputs
 * or the first two physical playback ports; with only_new, only the inputs
 * whose ports the last jack_driver_sync_inputs registered (connections are
 * the user's: what was removed stays removed). Failures are warnings. */
void jack_driver_connect(struct jack_driver *d, const struct tingle_conf *conf, bool only_new);

/* A new block size. JACK calls its buffer-size callback on a thread of
 * libjack's of its own (not the process thread, and not real-time): there
 * fn builds and hands the engine a core for `block` frames. jackd2 runs
 * no period until every client's callback has returned, so the first
 * period of the new size already finds its core. Set before activating. */
typedef void (*jack_driver_block_fn)(unsigned block, void *ctx);
void jack_driver_on_block(struct jack_driver *d, jack_driver_block_fn fn, void *ctx);

/* Set by JACK's callbacks, read (and cleared) by the main thread. */
bool jack_driver_server_lost(struct jack_driver *d);
bool jack_driver_take_block_change(struct jack_driver *d, unsigned *block);
bool jack_driver_take_rate_change(struct jack_driver *d, unsigned *rate);
unsigned jack_driver_take_xruns(struct jack_driver *d);

#endif
