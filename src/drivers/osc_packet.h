/* OSC datagrams taken apart: a message, or a bundle of messages and
 * bundles. Every message is checked by liblo (lo_message_deserialise);
 * the bundle structure is checked here. Bundles act on arrival: their
 * time tags are read and ignored, nothing is queued for later. */
#ifndef TINGLE_OSC_PACKET_H
#define TINGLE_OSC_PACKET_H

#include <lo/lo.h>
#include <stddef.h>

/* Messages one datagram may carry, and how deep bundles may nest. */
#define OSC_PACKET_MAX_MESSAGES 1024
#define OSC_PACKET_MAX_DEPTH 8

struct osc_packet {
	size_t n;
	const char *path[OSC_PACKET_MAX_MESSAGES];  /* into the datagram */
	lo_message msg[OSC_PACKET_MAX_MESSAGES];
	int bundled;                                /* it was a bundle */
};

/* Parse the whole datagram before anything acts on it: 0 with every
 * message in p, or -1 with err saying what is wrong (p is then empty). */
int osc_packet_parse(struct osc_packet *p, const void *data, size_t size, char *err, size_t errlen);
void osc_packet_clear(struct osc_packet *p);

#endif
