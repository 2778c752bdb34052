/* The OSC server: a liblo UDP server thread that turns messages into
 * tingle commands (src/ctl/control.c) on its own engine queue, answers
 * /ping, and sends /error to the sender of a refused command. */
#ifndef TINGLE_OSC_SERVER_H
#define TINGLE_OSC_SERVER_H

#include <stddef.h>

struct control;
struct engine_queue;
struct tingle_conf;
struct osc_server;

/* port 0: any free port. allow: addresses or prefixes that may send
 * commands (n_allow 0: everybody). */
struct osc_server *osc_server_start(int port, struct control *ctl, struct engine_queue *q,
				    const struct tingle_conf *conf, char *err, size_t errlen);
int osc_server_port(const struct osc_server *s);
/* Replace the allow list (after a reload). */
void osc_server_set_allow(struct osc_server *s, const struct tingle_conf *conf);
void osc_server_stop(struct osc_server *s);

#endif
