/* [bind] lines, as tingled.conf (global controls: pedals) and scenes (a
 * scene's own page) write them: "CONTROL = ACTION [on=WHEN]".
 *
 *   CONTROL  osc /ADDRESS | midi note N [channel C] | midi cc N [channel C]
 *            | midi pc [channel C]
 *   ACTION   trigger SOUND | release SOUND | scene NAME|next|prev | scene
 *            | source NAME PARAM [RANGE] | input NAME PARAM [RANGE]
 *            | master gain [RANGE] | listener yaw|pitch|roll [RANGE]
 *            | source NAME xy | hold | panic
 *   RANGE    MIN MAX | raw [MIN MAX]
 *   WHEN     press | release | both | toggle
 *
 * Every action is one of tingle's commands (src/control/control.c) with its
 * arguments taken from the control's value: an OSC value 0..1, a MIDI
 * value or velocity 0..127, a program number. MIN MAX maps 0..1 (or
 * 0..127) onto that range; raw passes the value on as it comes, in the
 * parameter's own units (degrees, dB, metres; MIDI values 0..127 too),
 * refusing values outside the parameter's range or MIN..MAX. This file
 * only reads the line; which sounds and sources exist is checked where
 * they are known. */
#ifndef TINGLE_BINDING_H
#define TINGLE_BINDING_H

#include <stdbool.h>
#include <stddef.h>

#define BIND_TEXT_MAX 256
#define BIND_NAME_MAX 64

enum bind_way { BIND_OSC, BIND_NOTE, BIND_CC, BIND_PC };

enum bind_kind {
	BIND_TRIGGER,      /* /trigger/SOUND, velocity from the value; let go: release */
	BIND_RELEASE,      /* /release/SOUND */
	BIND_SCENE,        /* /scene NAME */
	BIND_SCENE_STEP,   /* /scene/next, /scene/prev */
	BIND_SCENE_INDEX,  /* /scene/index: the program number (or value) picks the scene */
	BIND_VALUE,        /* a parameter: the value mapped onto MIN..MAX */
	BIND_XY,           /* /source/NAME/xy from an XY pad */
	BIND_HOLD,         /* /hold: sustain */
	BIND_PANIC,        /* /panic */
};

/* When a switch-like control acts: on the press (value crossing the
 * middle upwards), the release, both, or every other press. */
enum bind_on { BIND_ON_PRESS, BIND_ON_RELEASE, BIND_ON_BOTH, BIND_ON_TOGGLE };

struct conf_bind {
	char control[128];           /* as written, e.g. "osc /1/push1", "midi cc 80" */
	char action[BIND_TEXT_MAX];  /* as written, e.g. "trigger tap", "scene next" */
	int line;

	/* What the line says, read by bind_parse. */
	enum bind_way way;
	char osc[128];               /* BIND_OSC: the address */
	int number;                  /* note or controller number */
	int channel;                 /* 0..15, -1: any channel */
	enum bind_kind kind;
	enum bind_on on;
	bool on_given;               /* on= was written */
	char target[BIND_NAME_MAX];  /* sound, scene, source or input it names ("" none) */
	bool target_input;           /* input NAME ...: the target must be a live input */
	char command[160];           /* the command it sends, e.g. "/input/harp/gain" */
	float min, max;              /* BIND_VALUE: the range the value is mapped onto (raw:
				      * the values let through, min < max) */
	bool raw;                    /* BIND_VALUE: the value as it comes, not mapped */
	bool toggle_param;           /* BIND_VALUE of an on/off parameter (mute) */
};

/* Read b->control and b->action into the rest of b. Returns 0, or -1
 * with err saying what is wrong and what was expected (without file and
 * line: the caller adds them). */
int bind_parse(struct conf_bind *b, char *err, size_t errlen);

/* The [bind] line of b as a user would write it ("midi cc 80 = scene next"). */
void bind_format(const struct conf_bind *b, char *out, size_t n);

/* A control value as 0..1: OSC values as they are (clamped), MIDI values
 * divided by 127. */
float bind_unit(const struct conf_bind *b, float value);

#endif
