#include "config.h"
#include "ctl/conf.h"

#include "common/log.h"
#include "common/util.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef TINGLE_DEFAULT_SOFA
#define TINGLE_DEFAULT_SOFA "/usr/share/libmysofa/default.sofa"
#endif
#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

/* How parsing works: inih does the tokenising, but it is fed through our
 * own line reader (ini_parse_stream). The reader counts lines, so every
 * message carries the right line, and it sees section headers, which the
 * handler never does: that is where [input NAME] sections are opened
 * (with the header's line, even when the section has no keys) and where
 * unknown sections are reported. The reader classifies each line exactly
 * as inih r55 will (comment, continuation, section, key, syntax error);
 * inih's return value is still honoured as a fallback for syntax errors.
 * Of all the errors found, the one on the lowest line is reported. */

enum sect { S_NONE, S_JACK, S_OSC, S_MIDI, S_HRTF, S_ENGINE, S_SCENES, S_INPUT, S_BIND, S_BAD };

enum key {
	K_JACK_NAME, K_JACK_SERVER, K_JACK_AUTOCONNECT, K_JACK_OUTPUTS,
	K_OSC_PORT, K_OSC_ALLOW, K_OSC_FEEDBACK,
	K_MIDI_JACK, K_MIDI_ALSA,
	K_HRTF_SOFA,
	K_ENGINE_VOICES, K_ENGINE_SOURCES, K_ENGINE_CEILING, K_ENGINE_MASTER,
	K_SCENES_DIR, K_SCENES_SETLIST, K_SCENES_START, K_SCENES_PRELOAD,
	K_INPUT_PORT, K_INPUT_GAIN, K_INPUT_MUTE, K_INPUT_AZIMUTH, K_INPUT_ELEVATION,
	K_INPUT_DISTANCE,
	K_COUNT
};
#define K_INPUT_FIRST K_INPUT_PORT
#define N_INPUT_KEYS (K_COUNT - K_INPUT_FIRST)

static const struct {
	enum sect sect;
	const char *name;
	bool list; /* may continue on indented lines */
} key_defs[K_COUNT] = {
	[K_JACK_NAME] = { S_JACK, "name", false },
	[K_JACK_SERVER] = { S_JACK, "server", false },
	[K_JACK_AUTOCONNECT] = { S_JACK, "autoconnect", false },
	[K_JACK_OUTPUTS] = { S_JACK, "outputs", false },
	[K_OSC_PORT] = { S_OSC, "port", false },
	[K_OSC_ALLOW] = { S_OSC, "allow", true },
	[K_OSC_FEEDBACK] = { S_OSC, "feedback", true },
	[K_MIDI_JACK] = { S_MIDI, "jack", false },
	[K_MIDI_ALSA] = { S_MIDI, "alsa", false },
	[K_HRTF_SOFA] = { S_HRTF, "sofa", false },
	[K_ENGINE_VOICES] = { S_ENGINE, "voices", false },
	[K_ENGINE_SOURCES] = { S_ENGINE, "sources", false },
	[K_ENGINE_CEILING] = { S_ENGINE, "ceiling", false },
	[K_ENGINE_MASTER] = { S_ENGINE, "master", false },
	[K_SCENES_DIR] = { S_SCENES, "dir", false },
	[K_SCENES_SETLIST] = { S_SCENES, "setlist", true },
	[K_SCENES_START] = { S_SCENES, "start", false },
	[K_SCENES_PRELOAD] = { S_SCENES, "preload", false },
	[K_INPUT_PORT] = { S_INPUT, "port", false },
	[K_INPUT_GAIN] = { S_INPUT, "gain", false },
	[K_INPUT_MUTE] = { S_INPUT, "mute", false },
	[K_INPUT_AZIMUTH] = { S_INPUT, "azimuth", false },
	[K_INPUT_ELEVATION] = { S_INPUT, "elevation", false },
	[K_INPUT_DISTANCE] = { S_INPUT, "distance", false },
};

static const struct {
	const char *name;
	enum sect sect;
} sect_defs[] = {
	{ "jack", S_JACK }, { "osc", S_OSC }, { "midi", S_MIDI }, { "hrtf", S_HRTF },
	{ "engine", S_ENGINE }, { "scenes", S_SCENES }, { "bind", S_BIND },
};

#define LINE_TEXT_MAX 1024 /* longer than any line inih will take */

struct parse {
	struct tingle_conf *c;
	const char *file;            /* the name in messages */
	char base[PATH_MAX];         /* directory relative paths start from */

	/* line source: a file or text in memory */
	FILE *f;
	const char *text;
	char *buf;
	size_t cap;
	int read_errno;

	/* the current line, as the reader classified it */
	int line;
	bool cont;                   /* continues the value of key[] */
	enum sect sect;
	char sect_label[LINE_TEXT_MAX]; /* "[jack]", "[input harp]" */
	struct conf_input *input;    /* the current [input NAME], if valid */
	size_t input_idx;
	char key[LINE_TEXT_MAX];     /* last key, "" after a section header */
	const char *keyname;         /* key of the line being handled */

	int key_line[K_COUNT];       /* where each global key was set */
	int input_key_line[CONF_MAX_INPUTS][N_INPUT_KEYS];

	int err_line;                /* 0: no error yet */
	char err[PATH_MAX + 1024];
};

/* --------------------------------------------------------------------- */
/* Errors */

static int fail(struct parse *p, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Record an error unless one on an earlier (or the same) line is already
 * recorded. Returns 0, which is what the inih handler returns on error. */
static int fail(struct parse *p, int line, const char *fmt, ...)
{
	if (p->err_line && line >= p->err_line)
		return 0;
	p->err_line = line;
	int n = snprintf(p->err, sizeof p->err, "%s:%d: ", p->file, line);
	if (n < 0 || (size_t)n >= sizeof p->err)
		return 0;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->err + n, sizeof p->err - (size_t)n, fmt, ap);
	va_end(ap);
	return 0;
}

#define SHOW_MAX 60

/* "[section] key: what (got 'VALUE', expected EXPECTED)" */
static int bad(struct parse *p, const char *what, const char *value, const char *expected)
{
	size_t len = strlen(value);
	return fail(p, p->line, "%s %s: %s (got '%.*s%s', expected %s)", p->sect_label, p->keyname,
		    what, (int)(len > SHOW_MAX ? SHOW_MAX : len), value, len > SHOW_MAX ? "..." : "",
		    expected);
}

static void set_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || !errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* --------------------------------------------------------------------- */
/* Names */

bool conf_valid_name(const char *name)
{
	if (!name || !*name)
		return false;
	size_t len = 0;
	for (const char *s = name; *s; s++, len++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
			return false;
	return len < CONF_NAME_MAX;
}

const struct conf_input *conf_find_input(const struct tingle_conf *c, const char *name)
{
	if (!c || !name)
		return NULL;
	for (size_t i = 0; i < c->n_inputs; i++)
		if (!strcmp(c->inputs[i].name, name))
			return &c->inputs[i];
	return NULL;
}

/* --------------------------------------------------------------------- */
/* Defaults */

static void input_defaults(struct conf_input *in, const char *name, int line)
{
	memset(in, 0, sizeof *in);
	str_copy(in->name, sizeof in->name, name);
	in->gain_db = 0.0f;
	in->mute = false;
	in->azimuth = 0.0f;
	in->elevation = 0.0f;
	in->distance = 1.0f;
	in->line = line;
}

void conf_defaults(struct tingle_conf *c)
{
	memset(c, 0, sizeof *c);
	str_copy(c->jack_name, sizeof c->jack_name, "tingle");
	c->autoconnect = true;
	c->osc_port = 8000;
	c->midi_jack = true;
	c->midi_alsa = true;
	str_copy(c->sofa, sizeof c->sofa, TINGLE_DEFAULT_SOFA);
	c->voices = 64;
	c->sources = 64;
	c->ceiling_db = -1.0f;
	c->master_gain_db = 0.0f;
	c->preload = CONF_PRELOAD_ALL;
}

/* --------------------------------------------------------------------- */
/* Values */

static int set_int(struct parse *p, const char *v, long lo, long hi, int *out)
{
	char expected[64];
	long x;
	snprintf(expected, sizeof expected, "a whole number %ld..%ld", lo, hi);
	if (!parse_int(v, &x))
		return bad(p, "not a whole number", v, expected);
	if (x < lo || x > hi)
		return bad(p, "out of range", v, expected);
	*out = (int)x;
	return 1;
}

static int set_float(struct parse *p, const char *v, float lo, float hi, float *out)
{
	char expected[64];
	float x;
	snprintf(expected, sizeof expected, "a number %g..%g", (double)lo, (double)hi);
	if (!parse_float(v, &x))
		return bad(p, "not a number", v, expected);
	if (x < lo || x > hi)
		return bad(p, "out of range", v, expected);
	*out = x;
	return 1;
}

static int set_bool(struct parse *p, const char *v, bool *out)
{
	if (!parse_bool(v, out))
		return bad(p, "not yes or no", v, "yes/no, true/false, on/off or 1/0");
	return 1;
}

static int set_text(struct parse *p, const char *v, char *dst, size_t n, bool may_be_empty)
{
	char expected[64];
	snprintf(expected, sizeof expected, "1..%zu characters", n - 1);
	if (!*v && !may_be_empty)
		return bad(p, "empty", v, expected);
	if (strlen(v) >= n)
		return bad(p, "too long", v, expected);
	str_copy(dst, n, v);
	return 1;
}

/* A JACK port name: "client:port", no white space. */
static int set_port_name(struct parse *p, const char *v, char *dst, size_t n)
{
	if (strlen(v) >= n)
		return bad(p, "port name too long", v, "a JACK port name such as system:capture_1");
	if (!strchr(v, ':') || v[0] == ':' || v[strlen(v) - 1] == ':')
		return bad(p, "not a JACK port name", v, "client:port, such as system:capture_1");
	for (const char *s = v; *s; s++)
		if (isspace((unsigned char)*s) || iscntrl((unsigned char)*s))
			return bad(p, "not a JACK port name", v, "client:port, such as system:capture_1");
	str_copy(dst, n, v);
	return 1;
}

static int join_path(struct parse *p, const char *dir, const char *rel, const char *v, char *dst,
		     size_t n)
{
	size_t dlen = strlen(dir);
	const char *sep = dlen && dir[dlen - 1] == '/' ? "" : "/";
	int len = rel[0] ? snprintf(dst, n, "%s%s%s", dir, sep, rel) : snprintf(dst, n, "%s", dir);
	if (len < 0 || (size_t)len >= n) {
		dst[0] = '\0';
		return bad(p, "path too long", v, "a shorter path");
	}
	return 1;
}

/* Absolute paths as they are, "~" and "~/..." from $HOME, anything else
 * relative to the directory of the config file. */
static int set_path(struct parse *p, const char *v, char *dst, size_t n)
{
	if (v[0] == '/')
		return join_path(p, v, "", v, dst, n);
	if (v[0] == '~' && (v[1] == '\0' || v[1] == '/')) {
		const char *home = getenv("HOME");
		if (!home || !*home)
			return bad(p, "'~' but HOME is not set", v, "an absolute path");
		return join_path(p, home, v[1] ? v + 2 : "", v, dst, n);
	}
	return join_path(p, p->base, v, v, dst, n);
}

/* A scene or input name, or a list of them. */
static bool parse_list(struct parse *p, const char *v, char *buf, size_t bufn, char **words,
		       size_t max_words, size_t *nw, size_t have, size_t limit)
{
	str_copy(buf, bufn, v);
	*nw = str_split(buf, words, max_words);
	if (have + *nw > limit) {
		char expected[64];
		snprintf(expected, sizeof expected, "at most %zu entries", limit);
		bad(p, "too many entries", v, expected);
		return false;
	}
	return true;
}

static bool ipv4_prefix(const char *s)
{
	/* 1..3 complete octets, each followed by a dot: "10.", "192.168.1." */
	int octets = 0;
	while (*s) {
		size_t digits = 0;
		unsigned val = 0;
		while (isdigit((unsigned char)s[digits])) {
			val = val * 10 + (unsigned)(s[digits] - '0');
			if (++digits > 3)
				return false;
		}
		if (!digits || s[digits] != '.' || val > 255 || (digits > 1 && s[0] == '0'))
			return false;
		s += digits + 1;
		octets++;
	}
	return octets >= 1 && octets <= 3;
}

static bool ipv6_prefix(const char *s)
{
	/* 1..7 groups of hex digits, each followed by a colon: "fd00:", "2001:db8:" */
	int groups = 0;
	while (*s) {
		size_t digits = 0;
		while (isxdigit((unsigned char)s[digits]))
			if (++digits > 4)
				return false;
		if (!digits || s[digits] != ':')
			return false;
		s += digits + 1;
		groups++;
	}
	return groups >= 1 && groups <= 7;
}

/* An address, written canonically, or a prefix (lower case). */
static bool allow_entry(const char *s, char *out, size_t n)
{
	unsigned char addr[sizeof(struct in6_addr)];
	if (inet_pton(AF_INET, s, addr) == 1)
		return inet_ntop(AF_INET, addr, out, (socklen_t)n) != NULL;
	if (inet_pton(AF_INET6, s, addr) == 1)
		return inet_ntop(AF_INET6, addr, out, (socklen_t)n) != NULL;
	if (strlen(s) >= n || !(ipv4_prefix(s) || ipv6_prefix(s)))
		return false;
	for (size_t i = 0; s[i]; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	out[strlen(s)] = '\0';
	return true;
}

/* host:port, with an IPv6 host in brackets: [::1]:9000 */
static bool feedback_entry(const char *s)
{
	const char *colon;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close || close[1] != ':')
			return false;
		char host[64];
		unsigned char addr[sizeof(struct in6_addr)];
		size_t len = (size_t)(close - s - 1);
		if (len >= sizeof host)
			return false;
		memcpy(host, s + 1, len);
		host[len] = '\0';
		if (inet_pton(AF_INET6, host, addr) != 1)
			return false;
		colon = close + 1;
	} else {
		colon = strchr(s, ':');
		if (!colon || colon == s || strchr(colon + 1, ':'))
			return false;
		for (const char *h = s; h < colon; h++)
			if (!isalnum((unsigned char)*h) && *h != '.' && *h != '-' && *h != '_')
				return false;
	}
	const char *port = colon + 1;
	long v;
	if (!*port || strspn(port, "0123456789") != strlen(port) || !parse_int(port, &v))
		return false;
	return v >= 1 && v <= 65535;
}

static int set_list(struct parse *p, enum key k, const char *v, bool cont)
{
	struct tingle_conf *c = p->c;
	char buf[LINE_TEXT_MAX];
	char *w[CONF_MAX_SETLIST + 1];
	size_t nw;

	switch (k) {
	case K_OSC_ALLOW:
		if (!cont)
			c->n_osc_allow = 0;
		if (!parse_list(p, v, buf, sizeof buf, w, TINGLE_ARRAY_LEN(w), &nw, c->n_osc_allow,
				CONF_MAX_LIST))
			return 0;
		for (size_t i = 0; i < nw; i++)
			if (!allow_entry(w[i], c->osc_allow[c->n_osc_allow++], sizeof c->osc_allow[0]))
				return bad(p, "not an IP address or prefix", w[i],
					   "addresses or prefixes such as 127.0.0.1 192.168.1. ::1 fd00:");
		return 1;
	case K_OSC_FEEDBACK:
		if (!cont)
			c->n_osc_feedback = 0;
		if (!parse_list(p, v, buf, sizeof buf, w, TINGLE_ARRAY_LEN(w), &nw, c->n_osc_feedback,
				CONF_MAX_LIST))
			return 0;
		for (size_t i = 0; i < nw; i++) {
			if (strlen(w[i]) >= sizeof c->osc_feedback[0] || !feedback_entry(w[i]))
				return bad(p, "not host:port", w[i],
					   "host:port with port 1..65535, such as 192.168.1.20:9000 or [::1]:9000");
			str_copy(c->osc_feedback[c->n_osc_feedback++], sizeof c->osc_feedback[0], w[i]);
		}
		return 1;
	case K_SCENES_SETLIST:
		if (!cont)
			c->n_setlist = 0;
		if (!parse_list(p, v, buf, sizeof buf, w, TINGLE_ARRAY_LEN(w), &nw, c->n_setlist,
				CONF_MAX_SETLIST))
			return 0;
		for (size_t i = 0; i < nw; i++) {
			if (!conf_valid_name(w[i]))
				return bad(p, "not a scene name", w[i],
					   "scene names of letters, digits, '_' and '-'");
			str_copy(c->setlist[c->n_setlist++], sizeof c->setlist[0], w[i]);
		}
		return 1;
	default:
		return 0;
	}
}

static int set_value(struct parse *p, enum key k, const char *v)
{
	struct tingle_conf *c = p->c;
	struct conf_input *in = p->input;

	switch (k) {
	case K_JACK_NAME:
		if (strchr(v, ':'))
			return bad(p, "':' is not allowed in a JACK client name", v, "a name such as tingle");
		return set_text(p, v, c->jack_name, sizeof c->jack_name, false);
	case K_JACK_SERVER:
		return set_text(p, v, c->jack_server, sizeof c->jack_server, true);
	case K_JACK_AUTOCONNECT:
		return set_bool(p, v, &c->autoconnect);
	case K_JACK_OUTPUTS: {
		char buf[LINE_TEXT_MAX];
		char *w[3];
		str_copy(buf, sizeof buf, v);
		size_t nw = str_split(buf, w, TINGLE_ARRAY_LEN(w));
		if (nw == 0) {
			c->outputs[0][0] = c->outputs[1][0] = '\0';
			return 1;
		}
		if (nw != 2)
			return bad(p, "not two port names", v,
				   "the left and the right playback port, such as system:playback_1 system:playback_2");
		for (size_t i = 0; i < 2; i++)
			if (!set_port_name(p, w[i], c->outputs[i], sizeof c->outputs[i]))
				return 0;
		return 1;
	}
	case K_OSC_PORT:
		return set_int(p, v, 0, 65535, &c->osc_port);
	case K_MIDI_JACK:
		return set_bool(p, v, &c->midi_jack);
	case K_MIDI_ALSA:
		return set_bool(p, v, &c->midi_alsa);
	case K_HRTF_SOFA:
		if (!*v)
			return set_text(p, TINGLE_DEFAULT_SOFA, c->sofa, sizeof c->sofa, false);
		return set_path(p, v, c->sofa, sizeof c->sofa);
	case K_ENGINE_VOICES:
		return set_int(p, v, 1, 4096, &c->voices);
	case K_ENGINE_SOURCES:
		return set_int(p, v, 1, 1024, &c->sources);
	case K_ENGINE_CEILING:
		return set_float(p, v, -40.0f, 0.0f, &c->ceiling_db);
	case K_ENGINE_MASTER:
		return set_float(p, v, -120.0f, 24.0f, &c->master_gain_db);
	case K_SCENES_DIR:
		if (!*v) {
			c->scenes_dir[0] = '\0';
			return 1;
		}
		return set_path(p, v, c->scenes_dir, sizeof c->scenes_dir);
	case K_SCENES_START:
		if (*v && !conf_valid_name(v))
			return bad(p, "not a scene name", v, "a scene name of letters, digits, '_' and '-'");
		str_copy(c->start, sizeof c->start, v);
		return 1;
	case K_SCENES_PRELOAD:
		if (!strcasecmp(v, "all"))
			c->preload = CONF_PRELOAD_ALL;
		else if (!strcasecmp(v, "next"))
			c->preload = CONF_PRELOAD_NEXT;
		else
			return bad(p, "unknown preload mode", v, "all or next");
		return 1;
	case K_INPUT_PORT:
		if (!*v) {
			in->port[0] = '\0';
			return 1;
		}
		return set_port_name(p, v, in->port, sizeof in->port);
	case K_INPUT_GAIN:
		return set_float(p, v, -120.0f, 24.0f, &in->gain_db);
	case K_INPUT_MUTE:
		return set_bool(p, v, &in->mute);
	case K_INPUT_AZIMUTH: {
		float az;
		if (!parse_azimuth(v, &az))
			return bad(p, "not an azimuth", v, "degrees, or front, left, right or behind");
		in->azimuth = wrap_azimuth(az);
		return 1;
	}
	case K_INPUT_ELEVATION: {
		float el;
		if (parse_float(v, &el) && (el < -90.0f || el > 90.0f))
			return bad(p, "out of range", v, "degrees -90..90, or above, below or level");
		if (!parse_elevation(v, &el))
			return bad(p, "not an elevation", v, "degrees -90..90, or above, below or level");
		in->elevation = el;
		return 1;
	}
	case K_INPUT_DISTANCE:
		return set_float(p, v, 0.1f, 100.0f, &in->distance);
	default:
		return set_list(p, k, v, false);
	}
}

static int set_bind(struct parse *p, const char *control, const char *action)
{
	struct tingle_conf *c = p->c;
	char first[16] = "";
	char second[2] = "";
	/* First word and the start of the second. */
	sscanf(control, "%15s %1s", first, second);
	if (strcmp(first, "osc") && strcmp(first, "midi"))
		return bad(p, "not a control", control,
			   "osc /ADDRESS or midi ..., such as 'osc /1/push1' or 'midi cc 64'");
	if (!strcmp(first, "osc") && second[0] != '/')
		return bad(p, "no OSC address", control, "osc /ADDRESS, such as 'osc /1/push1'");
	if (!strcmp(first, "midi") && !second[0])
		return bad(p, "no MIDI message", control, "midi cc N, midi note N or midi pc");
	if (strlen(control) >= sizeof c->binds[0].control)
		return bad(p, "control too long", control, "a shorter control");
	if (!*action)
		return bad(p, "no action", action, "an action such as 'trigger tap' or 'scene next'");
	if (strlen(action) >= sizeof c->binds[0].action)
		return bad(p, "action too long", action, "a shorter action");
	if (c->n_binds == CONF_MAX_BINDS) {
		char expected[64];
		snprintf(expected, sizeof expected, "at most %d bindings", CONF_MAX_BINDS);
		return bad(p, "too many bindings", action, expected);
	}
	struct conf_bind *b = &c->binds[c->n_binds++];
	str_copy(b->control, sizeof b->control, control);
	str_copy(b->action, sizeof b->action, action);
	b->line = p->line;
	return 1;
}

/* --------------------------------------------------------------------- */
/* Lines and sections */

/* As inih does it: the first of chars, or an inline comment (';' after
 * white space), or the end. */
static const char *find_chars_or_comment(const char *s, const char *chars)
{
	bool was_space = false;
	while (*s && !strchr(chars, *s) && !(was_space && *s == ';')) {
		was_space = isspace((unsigned char)*s);
		s++;
	}
	return s;
}

static void strip_inline_comment(char *s)
{
	char *end = (char *)find_chars_or_comment(s, "");
	*end = '\0';
	str_trim(s);
}

static void open_input(struct parse *p, const char *name)
{
	struct tingle_conf *c = p->c;
	p->sect = S_BAD;
	if (!*name) {
		fail(p, p->line, "[input]: no input name (expected [input NAME])");
		return;
	}
	if (!conf_valid_name(name)) {
		size_t len = strlen(name);
		fail(p, p->line,
		     "%s: invalid input name (got '%.*s%s', expected 1..%d letters, digits, '_' or '-')",
		     p->sect_label, (int)(len > SHOW_MAX ? SHOW_MAX : len), name,
		     len > SHOW_MAX ? "..." : "", CONF_NAME_MAX - 1);
		return;
	}
	const struct conf_input *dup = conf_find_input(c, name);
	if (dup) {
		fail(p, p->line, "%s: duplicate input (first defined on line %d)", p->sect_label, dup->line);
		return;
	}
	if (c->n_inputs == CONF_MAX_INPUTS) {
		fail(p, p->line, "%s: too many inputs (expected at most %d)", p->sect_label,
		     CONF_MAX_INPUTS);
		return;
	}
	p->input_idx = c->n_inputs++;
	p->input = &c->inputs[p->input_idx];
	input_defaults(p->input, name, p->line);
	p->sect = S_INPUT;
}

/* s points at the '[' of a section header line. */
static void open_section(struct parse *p, const char *s)
{
	const char *end = find_chars_or_comment(s + 1, "]");
	if (*end != ']') {
		/* inih keeps the section it had */
		fail(p, p->line, "syntax error (no ']' to close the section name)");
		return;
	}
	p->key[0] = '\0';
	p->input = NULL;

	char name[LINE_TEXT_MAX];
	size_t len = (size_t)(end - s - 1);
	memcpy(name, s + 1, len);
	name[len] = '\0';
	char *n = str_trim(name);
	snprintf(p->sect_label, sizeof p->sect_label, "[%s]", n);

	if (!strncmp(n, "input", 5) && (n[5] == '\0' || isspace((unsigned char)n[5]))) {
		char *iname = str_trim(n + 5);
		snprintf(p->sect_label, sizeof p->sect_label, "[input %s]", iname);
		open_input(p, iname);
	} else {
		p->sect = S_BAD;
		for (size_t i = 0; i < TINGLE_ARRAY_LEN(sect_defs); i++)
			if (!strcmp(n, sect_defs[i].name))
				p->sect = sect_defs[i].sect;
		if (p->sect == S_BAD)
			fail(p, p->line,
			     "%s: unknown section (expected jack, osc, midi, hrtf, engine, scenes, input NAME or bind)",
			     p->sect_label);
	}

	const char *rest = end + 1;
	while (isspace((unsigned char)*rest))
		rest++;
	if (*rest && *rest != ';' && *rest != '#')
		fail(p, p->line, "%s: text after the section header (got '%s', expected a new line or a comment)",
		     p->sect_label, rest);
}

/* Classify a line exactly as inih will; line is the whole line, without
 * its line end. */
static void classify(struct parse *p, const char *line)
{
	const char *s = line;
	if (p->line == 1 && (unsigned char)s[0] == 0xEF && (unsigned char)s[1] == 0xBB &&
	    (unsigned char)s[2] == 0xBF)
		s += 3;
	while (isspace((unsigned char)*s))
		s++;
	if (!*s || *s == ';' || *s == '#')
		return; /* blank or comment */
	if (p->key[0] && s > line) {
		p->cont = true;
		return;
	}
	if (*s == '[') {
		open_section(p, s);
		return;
	}
	const char *end = find_chars_or_comment(s, "=:");
	if (*end != '=' && *end != ':') {
		size_t len = strlen(s);
		fail(p, p->line, "syntax error (got '%.*s%s', expected [section], key = value or a comment)",
		     (int)(len > SHOW_MAX ? SHOW_MAX : len), s, len > SHOW_MAX ? "..." : "");
	}
}

static const char *next_line(struct parse *p, size_t *len)
{
	if (p->f) {
		errno = 0;
		ssize_t n = getline(&p->buf, &p->cap, p->f);
		if (n < 0) {
			if (ferror(p->f))
				p->read_errno = errno ? errno : EIO;
			return NULL;
		}
		*len = (size_t)n;
		return p->buf;
	}
	if (!p->text || !*p->text)
		return NULL;
	const char *s = p->text;
	const char *nl = strchr(s, '\n');
	*len = nl ? (size_t)(nl - s) + 1 : strlen(s);
	p->text = s + *len;
	return s;
}

/* The ini_reader: one whole line a call, whatever num is. Lines that do
 * not fit are reported here and handed to inih as blank lines, so that
 * inih never splits a line (which would shift every line number after). */
static char *reader(char *str, int num, void *stream)
{
	struct parse *p = stream;
	size_t len;
	const char *s = next_line(p, &len);
	if (!s || num < 3)
		return NULL;
	p->line++;
	p->cont = false;
	if (len && s[len - 1] == '\n')
		len--;
	if (len && s[len - 1] == '\r')
		len--;

	size_t max = (size_t)num - 2; /* room for "\n\0" */
	if (max > LINE_TEXT_MAX - 1)
		max = LINE_TEXT_MAX - 1;
	if (memchr(s, '\0', len)) {
		fail(p, p->line, "the line contains a NUL byte (expected text)");
		len = 0;
	} else if (len > max) {
		fail(p, p->line,
		     "line too long (got %zu characters, expected at most %zu; a list may go on over indented lines)",
		     len, max);
		len = 0;
	}
	memcpy(str, s, len);
	str[len] = '\0';
	classify(p, str);
	str[len] = '\n';
	str[len + 1] = '\0';
	return str;
}

static int find_key(enum sect sect, const char *name)
{
	for (int k = 0; k < K_COUNT; k++)
		if (key_defs[k].sect == sect && !strcmp(key_defs[k].name, name))
			return k;
	return -1;
}

static int unknown_key(struct parse *p, const char *name)
{
	char known[256] = "";
	for (int k = 0; k < K_COUNT; k++) {
		if (key_defs[k].sect != p->sect)
			continue;
		size_t n = strlen(known);
		snprintf(known + n, sizeof known - n, "%s%s", n ? ", " : "", key_defs[k].name);
	}
	return fail(p, p->line, "%s %s: unknown key (expected %s)", p->sect_label, name, known);
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse *p = user;
	(void)section; /* ours is not truncated to 50 characters */
	char v[LINE_TEXT_MAX];

	if (!p->cont)
		str_copy(p->key, sizeof p->key, name);
	p->keyname = p->key;
	str_copy(v, sizeof v, value);
	if (p->cont)
		strip_inline_comment(v); /* inih leaves them on continuation lines */

	if (!p->key[0])
		return fail(p, p->line, "no key before '=' (expected key = value)");
	if (p->cont && v[0] == '[')
		return fail(p, p->line,
			    "%s %s: indented section header read as more of the value of %s (expected '[' at the start of the line)",
			    p->sect_label, p->key, p->key);
	switch (p->sect) {
	case S_NONE:
		return fail(p, p->line, "%s: key outside any section (expected a [section] line before it)",
			    p->key);
	case S_BAD:
		return 0; /* already reported */
	case S_BIND:
		if (p->cont)
			return fail(p, p->line,
				    "[bind] %s: indented line read as more of this binding's action (expected the line not indented)",
				    p->key);
		return set_bind(p, p->key, v);
	default:
		break;
	}

	int k = find_key(p->sect, p->key);
	if (k < 0)
		return unknown_key(p, p->key);
	if (p->cont && !key_defs[k].list)
		return fail(p, p->line,
			    "%s %s: indented line read as more of the value of %s, which takes one value (expected the line not indented)",
			    p->sect_label, p->key, p->key);
	if (!p->cont) {
		int *seen = k >= K_INPUT_FIRST ? &p->input_key_line[p->input_idx][k - K_INPUT_FIRST]
					       : &p->key_line[k];
		if (*seen)
			return fail(p, p->line, "%s %s: set twice (first on line %d)", p->sect_label,
				    p->key, *seen);
		*seen = p->line;
	}

	/* name = "tingle" is taken as name = tingle */
	size_t len = strlen(v);
	if (len >= 2 && v[0] == '"' && v[len - 1] == '"') {
		v[len - 1] = '\0';
		memmove(v, v + 1, len - 1);
	}
	if (key_defs[k].list)
		return set_list(p, (enum key)k, v, p->cont);
	return set_value(p, (enum key)k, v);
}

/* Checks that need the whole file. */
static void finish(struct parse *p)
{
	struct tingle_conf *c = p->c;
	if (c->n_inputs > (size_t)c->sources) {
		const struct conf_input *in = &c->inputs[c->sources];
		fail(p, in->line,
		     "[input %s]: more live inputs than [engine] sources (got %zu inputs, expected at most sources = %d)",
		     in->name, c->n_inputs, c->sources);
	}
	if (c->start[0] && c->n_setlist) {
		bool found = false;
		for (size_t i = 0; i < c->n_setlist && !found; i++)
			found = !strcmp(c->setlist[i], c->start);
		if (!found)
			fail(p, p->key_line[K_SCENES_START],
			     "[scenes] start: not in the setlist (got '%s', expected one of the setlist's scenes)",
			     c->start);
	}
	if (!c->start[0] && c->n_setlist)
		str_copy(c->start, sizeof c->start, c->setlist[0]);
}

static void base_dir(const char *path, char *out, size_t n)
{
	char dir[PATH_MAX] = "";
	const char *slash = path ? strrchr(path, '/') : NULL;
	if (slash) {
		size_t len = slash == path ? 1 : (size_t)(slash - path);
		if (len >= sizeof dir)
			len = sizeof dir - 1;
		memcpy(dir, path, len);
		dir[len] = '\0';
	}
	if (dir[0] == '/') {
		str_copy(out, n, dir);
		return;
	}
	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof cwd)) {
		str_copy(out, n, dir[0] ? dir : ".");
		return;
	}
	if (!dir[0])
		str_copy(out, n, cwd);
	else if (snprintf(out, n, "%s%s%s", cwd, strcmp(cwd, "/") ? "/" : "", dir) >= (int)n)
		str_copy(out, n, dir);
}

static int run(struct parse *p, char *err, size_t errlen)
{
	int ret = ini_parse_stream(reader, p, handler, p);
	free(p->buf);
	p->buf = NULL;
	if (p->read_errno) {
		set_err(err, errlen, "%s: %s", p->file, strerror(p->read_errno));
		return -1;
	}
	if (ret > 0)
		fail(p, ret, "syntax error");
	else if (ret < 0)
		fail(p, p->line ? p->line : 1, "out of memory");
	finish(p);
	if (p->err_line) {
		set_err(err, errlen, "%s", p->err);
		return -1;
	}
	log_debug("config %s: %zu inputs, %zu bindings", p->file, p->c->n_inputs, p->c->n_binds);
	return 0;
}

static struct parse *new_parse(struct tingle_conf *c, const char *file)
{
	struct parse *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->c = c;
	p->file = file;
	p->sect = S_NONE;
	return p;
}

int conf_load(const char *path, struct tingle_conf *c, char *err, size_t errlen)
{
	conf_defaults(c);
	set_err(err, errlen, "%s", "");
	if (!path || !*path) {
		set_err(err, errlen, "no config file name");
		return -1;
	}
	if (strlen(path) >= sizeof c->path) {
		set_err(err, errlen, "%s: %s", path, strerror(ENAMETOOLONG));
		return -1;
	}
	FILE *f = fopen(path, "r");
	if (!f) {
		set_err(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	struct parse *p = new_parse(c, path);
	if (!p) {
		fclose(f);
		set_err(err, errlen, "%s: %s", path, strerror(ENOMEM));
		return -1;
	}
	str_copy(c->path, sizeof c->path, path);
	p->f = f;
	base_dir(path, p->base, sizeof p->base);
	int ret = run(p, err, errlen);
	fclose(f);
	free(p);
	return ret;
}

int conf_parse_string(const char *text, const char *name, struct tingle_conf *c, char *err,
		      size_t errlen)
{
	conf_defaults(c);
	set_err(err, errlen, "%s", "");
	if (!name)
		name = "(string)";
	struct parse *p = new_parse(c, name);
	if (!p) {
		set_err(err, errlen, "%s: %s", name, strerror(ENOMEM));
		return -1;
	}
	str_copy(c->path, sizeof c->path, name);
	p->text = text ? text : "";
	base_dir(NULL, p->base, sizeof p->base);
	int ret = run(p, err, errlen);
	free(p);
	return ret;
}

bool conf_find(char *buf, size_t n)
{
	struct stat st;
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	int len = -1;
	if (!buf || !n)
		return false;
	/* The XDG spec: an empty or relative XDG_CONFIG_HOME is ignored. */
	if (xdg && xdg[0] == '/')
		len = snprintf(buf, n, "%s/tingle/tingled.conf", xdg);
	else if (home && *home)
		len = snprintf(buf, n, "%s/.config/tingle/tingled.conf", home);
	if (len > 0 && (size_t)len < n && stat(buf, &st) == 0)
		return true;
	len = snprintf(buf, n, "%s/tingle/tingled.conf", SYSCONFDIR);
	if (len > 0 && (size_t)len < n && stat(buf, &st) == 0)
		return true;
	buf[0] = '\0';
	return false;
}
