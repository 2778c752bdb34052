#include "config.h"
#include "drivers/osc_packet.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static const char *lo_error_text(int code)
{
	switch (code) {
	case LO_ENOPATH:
	case LO_EINVALIDPATH: return "bad address";
	case LO_ENOTYPE:
	case LO_EINVALIDTYPE: return "bad type tag string";
	case LO_EBADTYPE: return "unknown argument type";
	case LO_ESIZE: return "wrong size";
	case LO_EINVALIDARG: return "bad argument";
	case LO_ETERM: return "string not terminated";
	case LO_EPAD: return "bad padding";
	case LO_EALLOC: return "out of memory";
	default: return "malformed";
	}
}

static uint32_t be32(const unsigned char *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static int walk(struct osc_packet *p, const unsigned char *d, size_t size, int depth, char *err,
		size_t errlen)
{
	if (size >= 8 && !memcmp(d, "#bundle", 8)) {
		if (depth >= OSC_PACKET_MAX_DEPTH) {
			snprintf(err, errlen, "bundles nested deeper than %d", OSC_PACKET_MAX_DEPTH);
			return -1;
		}
		if (size < 16) {
			snprintf(err, errlen, "bundle of %zu bytes: no time tag", size);
			return -1;
		}
		p->bundled = 1;
		size_t at = 16; /* "#bundle\0", then the time tag: acted on now */
		while (at < size) {
			if (size - at < 4) {
				snprintf(err, errlen, "bundle element at byte %zu: no size", at);
				return -1;
			}
			uint32_t len = be32(d + at);
			at += 4;
			if (len == 0 || len % 4 || len > size - at) {
				snprintf(err, errlen, "bundle element at byte %zu: size %u does not fit", at - 4,
					 (unsigned)len);
				return -1;
			}
			if (walk(p, d + at, len, depth + 1, err, errlen) < 0)
				return -1;
			at += len;
		}
		return 0;
	}
	if (size == 0 || d[0] != '/') {
		snprintf(err, errlen, "neither a message nor a bundle");
		return -1;
	}
	if (p->n == OSC_PACKET_MAX_MESSAGES) {
		snprintf(err, errlen, "more than %d messages in one datagram", OSC_PACKET_MAX_MESSAGES);
		return -1;
	}
	int result = 0;
	lo_message m = lo_message_deserialise((void *)d, size, &result);
	if (!m) {
		snprintf(err, errlen, "%s (liblo error %d)", lo_error_text(result), result);
		return -1;
	}
	/* liblo checked that the address is terminated within the message. */
	p->path[p->n] = (const char *)d;
	p->msg[p->n++] = m;
	return 0;
}

void osc_packet_clear(struct osc_packet *p)
{
	for (size_t k = 0; k < p->n; k++)
		lo_message_free(p->msg[k]);
	p->n = 0;
	p->bundled = 0;
}

int osc_packet_parse(struct osc_packet *p, const void *data, size_t size, char *err, size_t errlen)
{
	p->n = 0;
	p->bundled = 0;
	if (size % 4) {
		snprintf(err, errlen, "%zu bytes, not a multiple of 4", size);
		return -1;
	}
	if (walk(p, data, size, 0, err, errlen) < 0) {
		osc_packet_clear(p);
		return -1;
	}
	return 0;
}
