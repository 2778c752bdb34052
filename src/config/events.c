#include "config.h"
#include "config/events.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "rt/midi.h"

static int parse_line(char *line, int lineno, const char *name, struct tl_event *ev, char *err,
		      size_t n)
{
	char *words[EVENT_MAX_ARGS + 2]; /* time, address, arguments */
	size_t nw = 0;
	char *save = NULL;
	for (char *w = strtok_r(line, " \t\r\n", &save); w; w = strtok_r(NULL, " \t\r\n", &save)) {
		if (nw == TINGLE_ARRAY_LEN(words)) {
			snprintf(err, n, "%s:%d: too many arguments (at most %d)", name, lineno,
				 EVENT_MAX_ARGS);
			return -1;
		}
		words[nw++] = w;
	}
	memset(ev, 0, sizeof *ev);
	ev->line = lineno;
	float t;
	if (!parse_float(words[0], &t) || t < 0.0f) {
		snprintf(err, n, "%s:%d: '%s' is not a time in seconds", name, lineno, words[0]);
		return -1;
	}
	ev->time = strtod(words[0], NULL);
	if (nw < 2) {
		snprintf(err, n, "%s:%d: an address must follow the time", name, lineno);
		return -1;
	}
	if (!strcmp(words[1], "midi")) {
		if (nw < 4 || nw > 5) {
			snprintf(err, n, "%s:%d: midi takes two or three hex bytes", name, lineno);
			return -1;
		}
		for (size_t i = 2; i < nw; i++) {
			char *end;
			long b = strtol(words[i], &end, 16);
			if (*end || b < 0 || b > 255 || end == words[i]) {
				snprintf(err, n, "%s:%d: '%s' is not a hex byte", name, lineno, words[i]);
				return -1;
			}
			ev->midi[i - 2] = (uint8_t)b;
		}
		if (!(ev->midi[0] & 0x80)) {
			snprintf(err, n, "%s:%d: MIDI status byte expected first, got %02x", name, lineno,
				 ev->midi[0]);
			return -1;
		}
		ev->midi_size = (int)nw - 2;
		for (int i = 1; i < ev->midi_size; i++)
			if (ev->midi[i] & 0x80) {
				snprintf(err, n, "%s:%d: MIDI data byte expected, got %02x (a status byte)", name,
					 lineno, ev->midi[i]);
				return -1;
			}
		/* Channel messages have one right length; system messages
		 * (F0..FF) are taken and ignored, as from a MIDI port. */
		unsigned want = midi_channel_size(ev->midi[0]);
		if (want && (unsigned)ev->midi_size != want) {
			snprintf(err, n, "%s:%d: MIDI status %02x takes %u data byte%s, got %d", name, lineno,
				 ev->midi[0], want - 1, want == 2 ? "" : "s", ev->midi_size - 1);
			return -1;
		}
		return 0;
	}
	if (words[1][0] != '/' || strlen(words[1]) >= sizeof ev->path) {
		snprintf(err, n, "%s:%d: '%s' is not an OSC address", name, lineno, words[1]);
		return -1;
	}
	str_copy(ev->path, sizeof ev->path, words[1]);
	for (size_t i = 2; i < nw; i++) {
		struct ctl_arg *a = &ev->args[ev->argc];
		const char *w = words[i];
		size_t len = strlen(w);
		long iv;
		float fv;
		char num[64];
		if (len > 1 && len < sizeof num && w[len - 1] == 'i') {
			memcpy(num, w, len - 1);
			num[len - 1] = '\0';
			if (parse_int(num, &iv)) {
				a->type = 'i';
				a->i = (int32_t)iv;
				ev->argc++;
				continue;
			}
		}
		if (parse_float(w, &fv)) {
			a->type = 'f';
			a->f = fv;
		} else {
			if (len >= sizeof ev->strs[0]) {
				snprintf(err, n, "%s:%d: word too long: %s", name, lineno, w);
				return -1;
			}
			a->type = 's';
			str_copy(ev->strs[ev->argc], sizeof ev->strs[0], w);
		}
		ev->argc++;
	}
	return 0;
}

static int by_time(const void *a, const void *b)
{
	const struct tl_event *x = a, *y = b;
	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	return x->line - y->line;
}

int events_parse(const char *text, const char *name, struct event_list *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	str_copy(out->name, sizeof out->name, name);
	size_t cap = 0;
	int lineno = 0;
	const char *p = text;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char line[1024];
		lineno++;
		if (len >= sizeof line) {
			snprintf(err, errlen, "%s:%d: line too long", name, lineno);
			events_free(out);
			return -1;
		}
		memcpy(line, p, len);
		line[len] = '\0';
		p += len + (nl ? 1 : 0);
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		char *t = str_trim(line);
		if (!*t)
			continue;
		if (out->n == cap) {
			cap = cap ? cap * 2 : 64;
			struct tl_event *nev = realloc(out->ev, cap * sizeof *nev);
			if (!nev) {
				snprintf(err, errlen, "%s: out of memory", name);
				events_free(out);
				return -1;
			}
			out->ev = nev;
		}
		if (parse_line(t, lineno, name, &out->ev[out->n], err, errlen) < 0) {
			events_free(out);
			return -1;
		}
		out->n++;
	}
	if (out->n)
		qsort(out->ev, out->n, sizeof *out->ev, by_time);
	/* The array no longer moves: string arguments can point into it. */
	for (size_t k = 0; k < out->n; k++)
		for (int i = 0; i < out->ev[k].argc; i++)
			if (out->ev[k].args[i].type == 's')
				out->ev[k].args[i].s = out->ev[k].strs[i];
	return 0;
}

int events_load(const char *path, struct event_list *out, char *err, size_t errlen)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	const char *name = strcmp(path, "-") ? path : "(stdin)";
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	size_t cap = 4096, len = 0;
	char *text = malloc(cap);
	size_t got;
	while (text && (got = fread(text + len, 1, cap - len - 1, f)) > 0) {
		len += got;
		if (cap - len < 2) {
			char *t = realloc(text, cap * 2);
			if (!t) {
				free(text);
				text = NULL;
				break;
			}
			text = t;
			cap *= 2;
		}
	}
	bool bad = ferror(f);
	if (f != stdin)
		fclose(f);
	if (!text || bad) {
		free(text);
		snprintf(err, errlen, "%s: cannot read", name);
		return -1;
	}
	text[len] = '\0';
	int rc = events_parse(text, name, out, err, errlen);
	free(text);
	return rc;
}

void events_free(struct event_list *l)
{
	free(l->ev);
	l->ev = NULL;
	l->n = 0;
}
