/* Events files for tingle-render: one event a line, "SECONDS ADDRESS
 * [ARG...]" with the OSC commands of tingle (numbers are floats unless
 * they carry an 'i' suffix, other words are strings), or "SECONDS midi HH
 * HH [HH]" with raw MIDI bytes in hex. '#' starts a comment. */
#ifndef TINGLE_EVENTS_H
#define TINGLE_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "control/control.h"

#define EVENT_MAX_ARGS 8

struct tl_event {
	double time;           /* seconds */
	int line;
	int midi_size;         /* > 0: a MIDI event, bytes in midi[] */
	uint8_t midi[3];
	char path[128];
	int argc;
	struct ctl_arg args[EVENT_MAX_ARGS];   /* string args point into strs */
	char strs[EVENT_MAX_ARGS][64];
};

struct event_list {
	char name[256];
	struct tl_event *ev;   /* sorted by time, then line */
	size_t n;
};

/* Load path ("-" reads standard input). Returns 0, or -1 with err set to
 * "FILE:LINE: message". */
int events_load(const char *path, struct event_list *out, char *err, size_t errlen);
/* The same from text in memory. */
int events_parse(const char *text, const char *name, struct event_list *out, char *err, size_t errlen);
void events_free(struct event_list *l);

#endif
