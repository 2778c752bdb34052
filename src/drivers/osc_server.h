/* The OSC server: a thread reading a UDP socket, turning messages into
 * tingle commands (src/control/control.c) on its own engine queue, answering
 * /ping, and sending /error to the sender of a refused command. */
#ifndef TINGLE_OSC_SERVER_H
#define TINGLE_OSC_SERVER_H

#include <stddef.h>
#include <sys/socket.h>

struct control;
struct engine_queue;
struct tingle_conf;
struct osc_server;

/* port 0: any free port. [osc] allow of conf: addresses or prefixes that
 * may send commands (none: everybody). */
struct osc_server *osc_server_start(int port, struct control *ctl, struct engine_queue *q,
				    const struct tingle_conf *conf, char *err, size_t errlen);
int osc_server_port(const struct osc_server *s);
/* Replace the allow list and the [osc] feedback targets (after a reload). */
void osc_server_set_allow(struct osc_server *s, const struct tingle_conf *conf);
/* Make this server where the control side's answers and feedback go
 * (subscribers, [osc] feedback targets, /error for a failed scene). */
void osc_server_attach(struct osc_server *s);
void osc_server_stop(struct osc_server *s);

/* Without a thread (port -1: no socket either; replies go nowhere): for
 * tests and fuzzing, which hand datagrams to osc_server_datagram as the
 * thread does. */
struct osc_server *osc_server_new(int port, struct control *ctl, struct engine_queue *q,
				  const struct tingle_conf *conf, char *err, size_t errlen);
void osc_server_datagram(struct osc_server *s, const void *data, size_t size, const struct sockaddr *from,
			 socklen_t fromlen);

#endif
