#include "config.h"
#include "config/conf.h"

#include "common/limits.h"
#include "common/log.h"
#include "common/util.h"
#include "config/inifile.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
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

/* The reading of lines, sections and keys, and the messages, are
 * inifile.c's; here are tingled.conf's sections and keys, what their
 * values may be, and the checks that need the whole file. */

enum sect {
	S_NONE = INI_SECT_NONE, S_JACK, S_OSC, S_MIDI, S_HRTF, S_ENGINE, S_SCENES, S_INPUT, S_BIND,
	S_BAD = INI_SECT_BAD
};

enum key {
	K_JACK_NAME, K_JACK_SERVER, K_JACK_AUTOCONNECT, K_JACK_OUTPUTS,
	K_OSC_PORT, K_OSC_ALLOW, K_OSC_FEEDBACK, K_OSC_SUBSCRIPTION,
	K_MIDI_JACK, K_MIDI_ALSA,
	K_HRTF_SOFA,
	K_ENGINE_VOICES, K_ENGINE_SOURCES, K_ENGINE_CEILING, K_ENGINE_MASTER, K_ENGINE_NEAR_GAIN,
	K_SCENES_DIR, K_SCENES_SETLIST, K_SCENES_START, K_SCENES_PRELOAD,
	K_INPUT_PORT, K_INPUT_GAIN, K_INPUT_MUTE, K_INPUT_AZIMUTH, K_INPUT_ELEVATION,
	K_INPUT_DISTANCE, K_INPUT_ROOM,
	K_COUNT
};
#define K_INPUT_FIRST K_INPUT_PORT
#define N_INPUT_KEYS (K_COUNT - K_INPUT_FIRST)

static const struct ini_key key_defs[K_COUNT] = {
	[K_JACK_NAME] = { S_JACK, "name", false, false },
	[K_JACK_SERVER] = { S_JACK, "server", false, false },
	[K_JACK_AUTOCONNECT] = { S_JACK, "autoconnect", false, false },
	[K_JACK_OUTPUTS] = { S_JACK, "outputs", false, false },
	[K_OSC_PORT] = { S_OSC, "port", false, false },
	[K_OSC_ALLOW] = { S_OSC, "allow", true, false },
	[K_OSC_FEEDBACK] = { S_OSC, "feedback", true, false },
	[K_OSC_SUBSCRIPTION] = { S_OSC, "subscription", false, false },
	[K_MIDI_JACK] = { S_MIDI, "jack", false, false },
	[K_MIDI_ALSA] = { S_MIDI, "alsa", false, false },
	[K_HRTF_SOFA] = { S_HRTF, "sofa", false, false },
	[K_ENGINE_VOICES] = { S_ENGINE, "voices", false, false },
	[K_ENGINE_SOURCES] = { S_ENGINE, "sources", false, false },
	[K_ENGINE_CEILING] = { S_ENGINE, "ceiling", false, false },
	[K_ENGINE_MASTER] = { S_ENGINE, "master", false, false },
	[K_ENGINE_NEAR_GAIN] = { S_ENGINE, "near_gain", false, false },
	[K_SCENES_DIR] = { S_SCENES, "dir", false, false },
	[K_SCENES_SETLIST] = { S_SCENES, "setlist", true, false },
	[K_SCENES_START] = { S_SCENES, "start", false, false },
	[K_SCENES_PRELOAD] = { S_SCENES, "preload", false, false },
	[K_INPUT_PORT] = { S_INPUT, "port", false, false },
	[K_INPUT_GAIN] = { S_INPUT, "gain", false, false },
	[K_INPUT_MUTE] = { S_INPUT, "mute", false, false },
	[K_INPUT_AZIMUTH] = { S_INPUT, "azimuth", false, false },
	[K_INPUT_ELEVATION] = { S_INPUT, "elevation", false, false },
	[K_INPUT_DISTANCE] = { S_INPUT, "distance", false, false },
	[K_INPUT_ROOM] = { S_INPUT, "room", false, false },
};

static const struct {
	const char *name;
	enum sect sect;
} sect_defs[] = {
	{ "jack", S_JACK }, { "osc", S_OSC }, { "midi", S_MIDI }, { "hrtf", S_HRTF },
	{ "engine", S_ENGINE }, { "scenes", S_SCENES }, { "bind", S_BIND },
};

struct parse {
	struct inifile ini;
	struct tingle_conf *c;
	struct conf_input *input;    /* the current [input NAME], if valid */
	size_t input_idx;
	int key_line[K_COUNT];       /* where each global key was set */
	int input_key_line[CONF_MAX_INPUTS][N_INPUT_KEYS];
};

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
	in->room_db = CONF_ROOM_OFF;
	in->line = line;
}

void conf_defaults(struct tingle_conf *c)
{
	memset(c, 0, sizeof *c);
	str_copy(c->jack_name, sizeof c->jack_name, "tingle");
	c->autoconnect = true;
	c->osc_port = 8000;
	c->osc_subscription_s = 60.0f;
	c->midi_jack = true;
	c->midi_alsa = true;
	str_copy(c->sofa, sizeof c->sofa, TINGLE_DEFAULT_SOFA);
	c->voices = 64;
	c->sources = 64;
	c->ceiling_db = -1.0f;
	c->master_gain_db = 0.0f;
	c->near_gain_db = 12.0f;
	c->preload = CONF_PRELOAD_ALL;
}

/* --------------------------------------------------------------------- */
/* Values */

/* A JACK port name: "client:port", no white space. */
static int set_port_name(struct parse *p, const char *v, char *dst, size_t n)
{
	if (strlen(v) >= n)
		return ini_bad(&p->ini, "port name too long", v, "a JACK port name such as system:capture_1");
	if (!strchr(v, ':') || v[0] == ':' || v[strlen(v) - 1] == ':')
		return ini_bad(&p->ini, "not a JACK port name", v, "client:port, such as system:capture_1");
	for (const char *s = v; *s; s++)
		if (isspace((unsigned char)*s) || iscntrl((unsigned char)*s))
			return ini_bad(&p->ini, "not a JACK port name", v, "client:port, such as system:capture_1");
	str_copy(dst, n, v);
	return 1;
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

/* An address, written canonically, a network (ADDRESS/BITS), a prefix
 * (lower case), or "any". */
static bool allow_entry(const char *s, char *out, size_t n)
{
	unsigned char addr[sizeof(struct in6_addr)];
	if (!strcasecmp(s, "any")) {
		str_copy(out, n, "any");
		return true;
	}
	const char *slash = strchr(s, '/');
	if (slash) {
		char a[64];
		long bits;
		size_t len = (size_t)(slash - s);
		if (len >= sizeof a || !parse_int(slash + 1, &bits) || bits < 0)
			return false;
		memcpy(a, s, len);
		a[len] = '\0';
		int family = inet_pton(AF_INET, a, addr) == 1 ? AF_INET : inet_pton(AF_INET6, a, addr) == 1 ? AF_INET6 : 0;
		if (!family || bits > (family == AF_INET ? 32 : 128) || !inet_ntop(family, addr, out, (socklen_t)n))
			return false;
		size_t used = strlen(out);
		return snprintf(out + used, n - used, "/%ld", bits) < (int)(n - used);
	}
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
	char buf[INI_LINE_MAX];
	char *w[CONF_MAX_SETLIST + 1];
	size_t nw;

	switch (k) {
	case K_OSC_ALLOW:
		if (!cont)
			c->n_osc_allow = 0;
		if (!ini_split_list(&p->ini, v, buf, sizeof buf, w, TINGLE_ARRAY_LEN(w), &nw, c->n_osc_allow,
				CONF_MAX_LIST))
			return 0;
		for (size_t i = 0; i < nw; i++)
			if (!allow_entry(w[i], c->osc_allow[c->n_osc_allow++], sizeof c->osc_allow[0]))
				return ini_bad(&p->ini, "not an IP address, network or prefix", w[i],
					   "addresses, networks or prefixes such as 127.0.0.1 192.168.1.0/24 192.168.1. ::1 "
					   "fd00::/8, or any");
		return 1;
	case K_OSC_FEEDBACK:
		if (!cont)
			c->n_osc_feedback = 0;
		if (!ini_split_list(&p->ini, v, buf, sizeof buf, w, TINGLE_ARRAY_LEN(w), &nw, c->n_osc_feedback,
				CONF_MAX_LIST))
			return 0;
		for (size_t i = 0; i < nw; i++) {
			if (strlen(w[i]) >= sizeof c->osc_feedback[0] || !feedback_entry(w[i]))
				return ini_bad(&p->ini, "not host:port", w[i],
					   "host:port with port 1..65535, such as 192.168.1.20:9000 or [::1]:9000");
			str_copy(c->osc_feedback[c->n_osc_feedback++], sizeof c->osc_feedback[0], w[i]);
		}
		return 1;
	case K_SCENES_SETLIST:
		if (!cont)
			c->n_setlist = 0;
		if (!ini_split_list(&p->ini, v, buf, sizeof buf, w, TINGLE_ARRAY_LEN(w), &nw, c->n_setlist,
				CONF_MAX_SETLIST))
			return 0;
		for (size_t i = 0; i < nw; i++) {
			if (!conf_valid_name(w[i]))
				return ini_bad(&p->ini, "not a scene name", w[i],
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
			return ini_bad(&p->ini, "':' is not allowed in a JACK client name", v, "a name such as tingle");
		return ini_set_text(&p->ini, v, c->jack_name, sizeof c->jack_name, false);
	case K_JACK_SERVER:
		return ini_set_text(&p->ini, v, c->jack_server, sizeof c->jack_server, true);
	case K_JACK_AUTOCONNECT:
		return ini_set_bool(&p->ini, v, &c->autoconnect);
	case K_JACK_OUTPUTS: {
		char buf[INI_LINE_MAX];
		char *w[3];
		str_copy(buf, sizeof buf, v);
		size_t nw = str_split(buf, w, TINGLE_ARRAY_LEN(w));
		if (nw == 0) {
			c->outputs[0][0] = c->outputs[1][0] = '\0';
			return 1;
		}
		if (nw != 2)
			return ini_bad(&p->ini, "not two port names", v,
				   "the left and the right playback port, such as system:playback_1 system:playback_2");
		for (size_t i = 0; i < 2; i++)
			if (!set_port_name(p, w[i], c->outputs[i], sizeof c->outputs[i]))
				return 0;
		return 1;
	}
	case K_OSC_PORT:
		return ini_set_int(&p->ini, v, 0, 65535, &c->osc_port);
	case K_OSC_SUBSCRIPTION:
		return ini_set_float(&p->ini, v, 1.0f, 3600.0f, &c->osc_subscription_s);
	case K_MIDI_JACK:
		return ini_set_bool(&p->ini, v, &c->midi_jack);
	case K_MIDI_ALSA:
		return ini_set_bool(&p->ini, v, &c->midi_alsa);
	case K_HRTF_SOFA:
		if (!*v)
			return ini_set_text(&p->ini, TINGLE_DEFAULT_SOFA, c->sofa, sizeof c->sofa, false);
		return ini_set_path(&p->ini, v, c->sofa, sizeof c->sofa);
	case K_ENGINE_VOICES:
		return ini_set_int(&p->ini, v, 1, CONF_MAX_VOICES, &c->voices);
	case K_ENGINE_SOURCES:
		return ini_set_int(&p->ini, v, 1, CONF_MAX_SOURCES, &c->sources);
	case K_ENGINE_CEILING:
		return ini_set_float(&p->ini, v, -40.0f, 0.0f, &c->ceiling_db);
	case K_ENGINE_MASTER:
		return ini_set_float(&p->ini, v, TINGLE_GAIN_DB_MIN, TINGLE_GAIN_DB_MAX, &c->master_gain_db);
	case K_ENGINE_NEAR_GAIN:
		return ini_set_float(&p->ini, v, 0.0f, 24.0f, &c->near_gain_db);
	case K_SCENES_DIR:
		c->scenes_dir_line = p->ini.line;
		if (!*v) {
			c->scenes_dir[0] = '\0';
			return 1;
		}
		return ini_set_path(&p->ini, v, c->scenes_dir, sizeof c->scenes_dir);
	case K_SCENES_START:
		if (*v && !conf_valid_name(v))
			return ini_bad(&p->ini, "not a scene name", v, "a scene name of letters, digits, '_' and '-'");
		str_copy(c->start, sizeof c->start, v);
		return 1;
	case K_SCENES_PRELOAD:
		if (!strcasecmp(v, "all"))
			c->preload = CONF_PRELOAD_ALL;
		else if (!strcasecmp(v, "next"))
			c->preload = CONF_PRELOAD_NEXT;
		else
			return ini_bad(&p->ini, "unknown preload mode", v, "all or next");
		return 1;
	case K_INPUT_PORT:
		if (!*v) {
			in->port[0] = '\0';
			return 1;
		}
		return set_port_name(p, v, in->port, sizeof in->port);
	case K_INPUT_GAIN:
		return ini_set_float(&p->ini, v, TINGLE_GAIN_DB_MIN, TINGLE_GAIN_DB_MAX, &in->gain_db);
	case K_INPUT_MUTE:
		return ini_set_bool(&p->ini, v, &in->mute);
	case K_INPUT_AZIMUTH:
		return ini_set_azimuth(&p->ini, v, &in->azimuth);
	case K_INPUT_ELEVATION:
		return ini_set_elevation(&p->ini, v, &in->elevation);
	case K_INPUT_DISTANCE:
		return ini_set_float(&p->ini, v, 0.1f, 100.0f, &in->distance);
	case K_INPUT_ROOM:
		return ini_set_db_or_off(&p->ini, v, TINGLE_GAIN_DB_MIN, TINGLE_SEND_DB_MAX, &in->room_db);
	default:
		return set_list(p, k, v, false);
	}
}

/* --------------------------------------------------------------------- */
/* Sections */

static void open_input(struct parse *p, const char *name)
{
	struct tingle_conf *c = p->c;
	struct inifile *ini = &p->ini;
	if (!ini_check_name(ini, "input", name))
		return;
	const struct conf_input *dup = conf_find_input(c, name);
	if (dup) {
		ini_fail(ini, ini->line, "%s: duplicate input (first defined on line %d)", ini->sect_label,
			 dup->line);
		return;
	}
	if (c->n_inputs == CONF_MAX_INPUTS) {
		ini_fail(ini, ini->line, "%s: too many inputs (expected at most %d)", ini->sect_label,
			 CONF_MAX_INPUTS);
		return;
	}
	p->input_idx = c->n_inputs++;
	p->input = &c->inputs[p->input_idx];
	input_defaults(p->input, name, ini->line);
	ini->sect = S_INPUT;
}

static void on_section(struct inifile *ini, char *name)
{
	struct parse *p = ini->user;
	p->input = NULL;
	const char *iname = ini_section_arg(ini, name, "input");
	if (iname) {
		open_input(p, iname);
		return;
	}
	for (size_t i = 0; i < TINGLE_ARRAY_LEN(sect_defs); i++)
		if (!strcmp(name, sect_defs[i].name))
			ini->sect = sect_defs[i].sect;
	ini->raw = ini->sect == S_BIND;
	if (ini->sect == S_BAD)
		ini_fail(ini, ini->line,
			 "%s: unknown section (expected jack, osc, midi, hrtf, engine, scenes, input NAME or bind)",
			 ini->sect_label);
}

static int on_value(struct inifile *ini, int k, char *v, bool cont)
{
	struct parse *p = ini->user;
	if (key_defs[k].list)
		return set_list(p, (enum key)k, v, cont);
	return set_value(p, (enum key)k, v);
}

static int on_bind(struct inifile *ini, const char *control, const char *action, bool cont)
{
	struct tingle_conf *c = ((struct parse *)ini->user)->c;
	return ini_set_bind(ini, control, action, cont, c->binds, &c->n_binds, CONF_MAX_BINDS);
}

static int *on_key_line(struct inifile *ini, int k)
{
	struct parse *p = ini->user;
	return k >= K_INPUT_FIRST ? &p->input_key_line[p->input_idx][k - K_INPUT_FIRST] : &p->key_line[k];
}

static const struct ini_format conf_format = {
	.keys = key_defs,
	.n_keys = K_COUNT,
	.section = on_section,
	.value = on_value,
	.raw = on_bind,
	.key_line = on_key_line,
};

/* Checks that need the whole file. */
static void finish(struct parse *p)
{
	struct tingle_conf *c = p->c;
	if (c->n_inputs > (size_t)c->sources) {
		const struct conf_input *in = &c->inputs[c->sources];
		ini_fail(&p->ini, in->line,
			 "[input %s]: more live inputs than [engine] sources (got %zu inputs, expected at most sources = %d)",
			 in->name, c->n_inputs, c->sources);
	}
	if (c->start[0] && c->n_setlist) {
		bool found = false;
		for (size_t i = 0; i < c->n_setlist && !found; i++)
			found = !strcmp(c->setlist[i], c->start);
		if (!found)
			ini_fail(&p->ini, p->key_line[K_SCENES_START],
				 "[scenes] start: not in the setlist (got '%s', expected one of the setlist's scenes)",
				 c->start);
	}
	if (!c->start[0] && c->n_setlist)
		str_copy(c->start, sizeof c->start, c->setlist[0]);
	for (size_t i = 0; i < c->n_binds; i++) {
		const struct conf_bind *b = &c->binds[i];
		if (b->target_input && !conf_find_input(c, b->target))
			ini_fail(&p->ini, b->line, "[bind] %s: no live input named '%s' (expected an [input NAME] of "
				 "this file)", b->control, b->target);
		if (b->kind == BIND_SCENE && c->n_setlist) {
			bool found = false;
			for (size_t k = 0; k < c->n_setlist && !found; k++)
				found = !strcmp(c->setlist[k], b->target);
			if (!found)
				ini_fail(&p->ini, b->line, "[bind] %s: scene '%s' is not in the setlist", b->control,
					 b->target);
		}
	}
}

static int run(struct parse *p, char *err, size_t errlen)
{
	if (ini_run(&p->ini, err, errlen) < 0)
		return -1;
	finish(p);
	if (ini_result(&p->ini, err, errlen) < 0)
		return -1;
	log_debug("config %s: %zu inputs, %zu bindings", p->ini.file, p->c->n_inputs, p->c->n_binds);
	return 0;
}

static struct parse *new_parse(struct tingle_conf *c, const char *file)
{
	struct parse *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	ini_init(&p->ini, &conf_format, p, file);
	p->c = c;
	return p;
}

int conf_load(const char *path, struct tingle_conf *c, char *err, size_t errlen)
{
	conf_defaults(c);
	FILE *f = ini_open(path, sizeof c->path, "config", err, errlen);
	if (!f)
		return -1;
	struct parse *p = new_parse(c, path);
	if (!p) {
		fclose(f);
		ini_set_err(err, errlen, "%s: %s", path, strerror(ENOMEM));
		return -1;
	}
	str_copy(c->path, sizeof c->path, path);
	p->ini.f = f;
	ini_base_dir(path, p->ini.base, sizeof p->ini.base);
	int ret = run(p, err, errlen);
	fclose(f);
	free(p);
	return ret;
}

int conf_parse_string(const char *text, const char *name, struct tingle_conf *c, char *err,
		      size_t errlen)
{
	conf_defaults(c);
	ini_set_err(err, errlen, "%s", "");
	if (!name)
		name = "(string)";
	struct parse *p = new_parse(c, name);
	if (!p) {
		ini_set_err(err, errlen, "%s: %s", name, strerror(ENOMEM));
		return -1;
	}
	str_copy(c->path, sizeof c->path, name);
	p->ini.text = text ? text : "";
	ini_base_dir(NULL, p->ini.base, sizeof p->ini.base);
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
