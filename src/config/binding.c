#include "config.h"
#include "config/binding.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/limits.h"
#include "common/util.h"
#include "config/conf.h"

#define ACTIONS_EXPECTED \
	"trigger SOUND, release SOUND, scene NAME|next|prev, scene, source NAME PARAM [RANGE], " \
	"input NAME PARAM [RANGE], master gain [RANGE], listener yaw|pitch|roll [RANGE] " \
	"(RANGE: MIN MAX, raw or raw MIN MAX), source NAME xy, hold or panic"

/* A parameter a binding may set, with the range its command takes and
 * the range a control covers when the line gives none. */
struct param {
	const char *name;
	float lo, hi;
	float def_min, def_max;
	bool toggle;    /* on/off: no range */
	bool input_own; /* an input's own command (/input/NAME/...) rather than its source's */
};

static const struct param params[] = {
	{ "gain", TINGLE_GAIN_DB_MIN, TINGLE_GAIN_DB_MAX, -60.0f, 0.0f, false, true },
	{ "mute", 0.0f, 1.0f, 0.0f, 1.0f, true, true },
	{ "azimuth", -180.0f, 180.0f, -180.0f, 180.0f, false, false },
	{ "elevation", -90.0f, 90.0f, -90.0f, 90.0f, false, false },
	{ "distance", 0.1f, 100.0f, 0.1f, 3.0f, false, false },
	{ "room", TINGLE_GAIN_DB_MIN, TINGLE_SEND_DB_MAX, -60.0f, 0.0f, false, false },
};

/* The listener's head: a head tracker's angles. */
static const struct param head_params[] = {
	{ "yaw", -180.0f, 180.0f, -180.0f, 180.0f, false, false },
	{ "pitch", -90.0f, 90.0f, -90.0f, 90.0f, false, false },
	{ "roll", -180.0f, 180.0f, -180.0f, 180.0f, false, false },
};

static const struct param *find_param(const char *name)
{
	for (size_t k = 0; k < TINGLE_ARRAY_LEN(params); k++)
		if (!strcmp(params[k].name, name))
			return &params[k];
	return NULL;
}

/* A whole number lo..hi. */
static bool int_in(const char *s, long lo, long hi, int *out)
{
	long v;
	if (!parse_int(s, &v) || v < lo || v > hi)
		return false;
	*out = (int)v;
	return true;
}

/* An OSC address a control can send: "/" then parts of printable
 * characters, none empty, none of the pattern characters. */
static bool osc_address_ok(const char *a)
{
	if (a[0] != '/' || strlen(a) < 2)
		return false;
	for (const char *p = a; *p; p++) {
		if (*p <= ' ' || *p > '~' || strchr("#*,?[]{}", *p))
			return false;
		if (*p == '/' && (p[1] == '/' || p[1] == '\0'))
			return false;
	}
	return true;
}

static int parse_control(struct conf_bind *b, char *err, size_t n)
{
	char buf[sizeof b->control];
	char *w[8];
	str_copy(buf, sizeof buf, b->control);
	size_t nw = str_split(buf, w, TINGLE_ARRAY_LEN(w));
	b->channel = -1;
	b->number = -1;
	if (nw >= 1 && !strcmp(w[0], "osc")) {
		if (nw != 2 || !osc_address_ok(w[1]))
			return tingle_err(err, n, "'%s' is not an OSC control (expected osc /ADDRESS, such as 'osc /1/push1')",
				    b->control);
		b->way = BIND_OSC;
		str_copy(b->osc, sizeof b->osc, w[1]);
		return 0;
	}
	if (nw < 2 || strcmp(w[0], "midi"))
		return tingle_err(err, n, "'%s' is not a control (expected osc /ADDRESS, midi note N, midi cc N or "
			    "midi pc, each MIDI one with an optional channel C)", b->control);
	size_t k = 2;
	if (!strcmp(w[1], "note") || !strcmp(w[1], "cc")) {
		b->way = w[1][0] == 'n' ? BIND_NOTE : BIND_CC;
		if (nw < 3 || !int_in(w[2], 0, 127, &b->number))
			return tingle_err(err, n, "'%s': %s number missing or out of range (expected 0..127)", b->control,
				    b->way == BIND_NOTE ? "note" : "controller");
		k = 3;
	} else if (!strcmp(w[1], "pc")) {
		b->way = BIND_PC;
	} else {
		return tingle_err(err, n, "'%s': unknown MIDI message '%s' (expected note N, cc N or pc)", b->control, w[1]);
	}
	if (k < nw) {
		int ch;
		if (strcmp(w[k], "channel") || k + 2 != nw || !int_in(w[k + 1], 1, 16, &ch))
			return tingle_err(err, n, "'%s': expected nothing more or 'channel C' with C 1..16 after '%s'",
				    b->control, w[k - 1]);
		b->channel = ch - 1;
	}
	return 0;
}

static int parse_range(struct conf_bind *b, const struct param *p, char **w, size_t nw, char *err, size_t n)
{
	b->min = p->def_min;
	b->max = p->def_max;
	b->raw = false;
	if (nw == 0)
		return 0;
	if (p->toggle)
		return tingle_err(err, n, "'%s': %s is on or off and takes no range (and no raw)", b->action, p->name);
	if (!strcmp(w[0], "raw")) {
		/* The value as it comes, in the parameter's own units: what
		 * gets through is the parameter's range, or the one given. */
		b->raw = true;
		b->min = p->lo;
		b->max = p->hi;
		w++;
		nw--;
		if (nw == 0)
			return 0;
	}
	if (nw != 2 || !parse_float(w[0], &b->min) || !parse_float(w[1], &b->max))
		return tingle_err(err, n, "'%s': expected %s after %s", b->action,
			    b->raw ? "nothing more or the values let through, MIN MAX" :
				     "a range MIN MAX of two numbers, raw, or raw MIN MAX", b->raw ? "raw" : p->name);
	if (b->min < p->lo || b->min > p->hi || b->max < p->lo || b->max > p->hi || b->min == b->max)
		return tingle_err(err, n, "'%s': range %g %g out of bounds (expected two different values within %g..%g)",
			    b->action, (double)b->min, (double)b->max, (double)p->lo, (double)p->hi);
	if (b->raw && b->min > b->max) {
		float t = b->min;
		b->min = b->max;
		b->max = t;
	}
	return 0;
}

static int parse_action(struct conf_bind *b, char *err, size_t n)
{
	char buf[sizeof b->action];
	char *w[12];
	str_copy(buf, sizeof buf, b->action);
	size_t nw = str_split(buf, w, TINGLE_ARRAY_LEN(w));
	if (nw == TINGLE_ARRAY_LEN(w))
		return tingle_err(err, n, "'%s': too many words (expected %s)", b->action, ACTIONS_EXPECTED);

	/* "on=WHEN" or "on WHEN" at the end. */
	b->on = BIND_ON_PRESS;
	b->on_given = false;
	const char *when = NULL;
	if (nw >= 1 && !strncmp(w[nw - 1], "on=", 3)) {
		when = w[nw - 1] + 3;
		nw--;
	} else if (nw >= 2 && !strcmp(w[nw - 2], "on")) {
		when = w[nw - 1];
		nw -= 2;
	} else if (nw >= 3 && !strcmp(w[nw - 3], "on") && !strcmp(w[nw - 2], "=")) {
		when = w[nw - 1];
		nw -= 3;
	}
	if (when) {
		static const char *const names[] = { "press", "release", "both", "toggle" };
		size_t k = 0;
		while (k < TINGLE_ARRAY_LEN(names) && strcmp(when, names[k]))
			k++;
		if (k == TINGLE_ARRAY_LEN(names))
			return tingle_err(err, n, "'%s': on=%s (expected on=press, on=release, on=both or on=toggle)",
				    b->action, when);
		b->on = (enum bind_on)k;
		b->on_given = true;
	}
	if (nw == 0)
		return tingle_err(err, n, "no action (expected %s)", ACTIONS_EXPECTED);

	const char *verb = w[0];
	b->target[0] = '\0';
	b->target_input = false;
	b->toggle_param = false;
	b->raw = false;
	if (!strcmp(verb, "trigger") || !strcmp(verb, "release")) {
		if (nw != 2 || !conf_valid_name(w[1]))
			return tingle_err(err, n, "'%s': expected %s SOUND with one sound name", b->action, verb);
		b->kind = verb[0] == 't' ? BIND_TRIGGER : BIND_RELEASE;
		str_copy(b->target, sizeof b->target, w[1]);
		snprintf(b->command, sizeof b->command, "/%s/%s", verb, w[1]);
		/* A trigger lets go of held and looping sounds when its
		 * control does, unless the line says otherwise. */
		if (b->kind == BIND_TRIGGER && !b->on_given)
			b->on = BIND_ON_BOTH;
	} else if (!strcmp(verb, "scene")) {
		if (nw == 1) {
			b->kind = BIND_SCENE_INDEX;
			str_copy(b->command, sizeof b->command, "/scene/index");
			if (b->way == BIND_NOTE)
				return tingle_err(err, n, "'%s': a note cannot choose a scene by number (expected scene NAME, "
					    "next or prev)", b->action);
		} else if (nw == 2 && (!strcmp(w[1], "next") || !strcmp(w[1], "prev"))) {
			b->kind = BIND_SCENE_STEP;
			snprintf(b->command, sizeof b->command, "/scene/%s", w[1]);
		} else if (nw == 2 && conf_valid_name(w[1])) {
			b->kind = BIND_SCENE;
			str_copy(b->target, sizeof b->target, w[1]);
			str_copy(b->command, sizeof b->command, "/scene");
		} else {
			return tingle_err(err, n, "'%s': expected scene NAME, scene next, scene prev or scene alone", b->action);
		}
	} else if (!strcmp(verb, "source") || !strcmp(verb, "input")) {
		bool input = verb[0] == 'i';
		if (nw < 3 || !conf_valid_name(w[1]))
			return tingle_err(err, n, "'%s': expected %s NAME PARAM [MIN MAX]", b->action, verb);
		str_copy(b->target, sizeof b->target, w[1]);
		b->target_input = input;
		if (!input && !strcmp(w[2], "xy")) {
			if (nw != 3)
				return tingle_err(err, n, "'%s': xy takes no range (x and y 0..1 cover the pad)", b->action);
			if (b->way != BIND_OSC)
				return tingle_err(err, n, "'%s': xy needs an OSC XY pad (two values), not a MIDI control", b->action);
			b->kind = BIND_XY;
			snprintf(b->command, sizeof b->command, "/source/%s/xy", w[1]);
		} else {
			const struct param *p = find_param(w[2]);
			if (!p)
				return tingle_err(err, n, "'%s': unknown parameter '%s' (expected gain, mute, azimuth, elevation, "
					    "distance, room%s)", b->action, w[2], input ? "" : " or xy");
			if (parse_range(b, p, w + 3, nw - 3, err, n) < 0)
				return -1;
			b->kind = BIND_VALUE;
			b->toggle_param = p->toggle;
			snprintf(b->command, sizeof b->command, "/%s/%s/%s", input && p->input_own ? "input" : "source",
				 w[1], p->name);
		}
	} else if (!strcmp(verb, "listener")) {
		const struct param *p = NULL;
		for (size_t k = 0; nw >= 2 && k < TINGLE_ARRAY_LEN(head_params); k++)
			if (!strcmp(head_params[k].name, w[1]))
				p = &head_params[k];
		if (!p)
			return tingle_err(err, n, "'%s': expected listener yaw|pitch|roll [MIN MAX]", b->action);
		if (parse_range(b, p, w + 2, nw - 2, err, n) < 0)
			return -1;
		b->kind = BIND_VALUE;
		snprintf(b->command, sizeof b->command, "/listener/%s", p->name);
	} else if (!strcmp(verb, "master")) {
		if (nw < 2 || strcmp(w[1], "gain"))
			return tingle_err(err, n, "'%s': expected master gain [MIN MAX]", b->action);
		static const struct param master = { "gain", TINGLE_GAIN_DB_MIN, TINGLE_GAIN_DB_MAX, -60.0f, 0.0f, false, false };
		if (parse_range(b, &master, w + 2, nw - 2, err, n) < 0)
			return -1;
		b->kind = BIND_VALUE;
		str_copy(b->command, sizeof b->command, "/master/gain");
	} else if (!strcmp(verb, "hold") || !strcmp(verb, "panic")) {
		if (nw != 1)
			return tingle_err(err, n, "'%s': %s takes nothing more", b->action, verb);
		b->kind = verb[0] == 'h' ? BIND_HOLD : BIND_PANIC;
		/* The hold pedal follows the pedal: down holds, up lets go. */
		if (b->kind == BIND_HOLD && !b->on_given)
			b->on = BIND_ON_BOTH;
		snprintf(b->command, sizeof b->command, "/%s", verb);
	} else {
		return tingle_err(err, n, "unknown action '%s' (expected %s)", verb, ACTIONS_EXPECTED);
	}
	if (b->on_given && (b->kind == BIND_VALUE || b->kind == BIND_XY || b->kind == BIND_SCENE_INDEX))
		return tingle_err(err, n, "'%s': on= is for switches; %s follows the control's value", b->action, verb);
	return 0;
}

int bind_parse(struct conf_bind *b, char *err, size_t errlen)
{
	if (parse_control(b, err, errlen) < 0)
		return -1;
	return parse_action(b, err, errlen);
}

void bind_format(const struct conf_bind *b, char *out, size_t n)
{
	snprintf(out, n, "%s = %s", b->control, b->action);
}

float bind_unit(const struct conf_bind *b, float value)
{
	float u = b->way == BIND_OSC ? value : value / 127.0f;
	if (!(u >= 0.0f))
		return 0.0f;
	return u > 1.0f ? 1.0f : u;
}
