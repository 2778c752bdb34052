/* Scene files (scenes/NAME.scene, INI parsed with inih): what one part of
 * a performance needs — sounds (samples or generators) and the places they
 * sound from, and this scene's settings for the live inputs. This module
 * parses and checks a file into a description; src/prep/scene_build.c turns
 * a description into audio for the engine. See man/tingle-scene.5. */
#ifndef TINGLE_SCENE_H
#define TINGLE_SCENE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "rt/motion.h"
#include "config/conf.h"
#include "prep/generator.h"
#include "rt/scene_data.h" /* enum sound_mode, enum sound_select */

#define SCENE_MAX_SOUNDS 64
/* [source] sections of one scene. Each loaded scene also takes an engine
 * source for each of them, from the [engine] sources of the configuration
 * (at most CONF_MAX_SOURCES, 4096, shared with the inputs and the other
 * loaded scenes): that, not this, is the limit a show meets. */
#define SCENE_MAX_SOURCES 1024
#define SCENE_MAX_INPUTS CONF_MAX_INPUTS  /* [input] sections: 1024, one per live input */
#define SCENE_MAX_FILES 64


struct sound_desc {
	char name[CONF_NAME_MAX];
	int line;                     /* line of the [sound NAME] header */
	/* Exactly one of samples / generator. */
	char (*files)[PATH_MAX];      /* samples = FILES: globs expanded, absolute, sorted; malloc()ed */
	size_t n_files;
	struct gen_params gen;        /* generator = KIND and its parameters; kind GEN_NONE for samples */
	int note_lo, note_hi;         /* note = 60, note = 60-64 or note = C4 / C#4-E4; -1 = none */
	enum sound_mode mode;         /* mode = oneshot (default) | hold | loop */
	float gain_db;                /* gain = 0, -120..24 */
	float velocity;               /* velocity = 1: sensitivity 0..1 (0: velocity ignored) */
	enum sound_select select;     /* select = roundrobin (default) | random */
	float random_gain_db;         /* random_gain = 0: +- dB per trigger, 0..24 */
	float random_pitch_cents;     /* random_pitch = 0: +- cents per trigger, 0..1200 */
	float attack;                 /* attack = 0 s, 0..10 */
	float release;                /* release = 0.05 s (hold/loop: after release), 0.001..30 */
	char choke[CONF_NAME_MAX];    /* choke = GROUP: a trigger silences the group's other voices; "" none */
	int polyphony;                /* polyphony = 8, 1..256 */
	char source[CONF_NAME_MAX];   /* source = NAME ([source] or live input); "" when scatter */
	bool scatter;                 /* scatter = yes: a fresh random place for every trigger */
	float loudness;               /* loudness = LUFS, -70..0: the level set at load by the
				       * sound's measured loudness (EBU R128); NAN: gain sets it */
	float velocity_brightness;    /* velocity_brightness = CENTS, 0..9600: how far below full
				       * velocity's the low-pass corner lies at velocity 0 (as SFZ's
				       * fil_veltrack); -1: the generator kind's default */
};

struct source_desc {
	char name[CONF_NAME_MAX];
	int line;
	float azimuth, elevation, distance;  /* 0, 0, 1 by default; same words as tingled.conf */
	float room_db;                /* room = off (default, CONF_ROOM_OFF: no send) or the send to
				       * the scene's [room], -120..12 dB */
	struct motion_spec motion;    /* motion = none (default): orbit, wander or sweep from its place */
};

/* [input NAME] in a scene: overrides of the config's defaults for a live
 * input while this scene plays. */
struct scene_input {
	char name[CONF_NAME_MAX];
	int line;
	bool has_gain, has_mute, has_azimuth, has_elevation, has_distance, has_room;
	float gain_db;
	bool mute;
	float azimuth, elevation, distance;
	float room_db;                /* room = off (CONF_ROOM_OFF) or -120..12 dB: the send to the
				       * scene's [room]; when not set (has_room false) the
				       * configuration's [input] room, itself off by default */
	bool has_motion;
	struct motion_spec motion;    /* motion = none: how it moves while this scene plays */
};

/* [room]: the scene's room, a small feedback-delay network that every
 * source and live input with a room send feeds. At most one per scene. */
struct scene_room {
	float decay;                  /* decay = 0: RT60 in seconds, 0..20; 0 = no room at all */
	float size;                   /* size = 8: metres, 1..50 (the delays, the early echoes' spacing) */
	float damping;                /* damping = 0.5: 0..1, how much quicker the highs die away */
	float level;                  /* level = -6: dB, -60..12, of the room's output in the mix */
	float predelay;               /* predelay = 10: ms, 0..200, before the room answers */
	int line;                     /* line of the [room] header, 0 without one */
};

struct scene_desc {
	char path[PATH_MAX];
	char name[CONF_NAME_MAX];     /* [scene] name = file name without .scene by default */
	float fade;                   /* [scene] fade = 2 s, 0..60: crossfade into this scene */
	struct sound_desc sounds[SCENE_MAX_SOUNDS];
	size_t n_sounds;
	struct source_desc sources[SCENE_MAX_SOURCES];
	size_t n_sources;
	struct scene_input inputs[SCENE_MAX_INPUTS];
	size_t n_inputs;
	bool has_room;                /* the scene has a [room] section */
	struct scene_room room;       /* its values; the defaults above (decay 0: off) without one */
	struct conf_bind binds[CONF_MAX_BINDS];
	size_t n_binds;
	/* About 300 kB in all (SCENE_MAX_SOURCES and SCENE_MAX_INPUTS of
	 * about 100 bytes each): calloc() it, never put it on a stack. */
};

/* Parse and check path. conf (may be NULL) gives the live inputs a sound's
 * source or an [input] section may name. Returns 0, or -1 with err set to
 * "FILE:LINE: message" naming the key and what is wrong: unknown section
 * or key, bad value, missing sample file (each glob must match at least
 * one file), note out of 0..127, a sound with both or neither of samples
 * and generator, a source name that is neither a [source] nor an input,
 * duplicate names, a second [room] section. Also refused: the [source]
 * a generator parameter the generator
 * does not use, a [source] named like a live input. An [input] the
 * configuration does not have, and a room send in a scene without a
 * [room], are warnings only. Of several errors, the one on the
 * lowest line is reported; a file that cannot be read gives
 * "FILE: strerror", one that is not a regular file or is larger than
 * 1 MiB says so (see ini_open). An over-long line is reported as such,
 * never as the key it held going missing.
 * d is overwritten, not freed first; after a failure it holds nothing to
 * free. An [input]'s values the scene does not set (has_* false) are the
 * configuration's. Without conf, the scene's own [input] sections are the
 * live inputs (and are not checked). Sample files are found, not opened. */
int scene_parse(const char *path, const struct tingle_conf *conf, struct scene_desc *d, char *err,
		size_t errlen);
void scene_desc_free(struct scene_desc *d);  /* frees the files arrays; d stays usable */

/* The file for a scene given as NAME or FILE: a path (contains '/' or ends
 * in .scene) is taken as it is; a bare NAME is looked up as NAME.scene in
 * dir (the [scenes] dir, or the bundled scenes when dir is ""). A bare
 * name can never reach outside that folder. Returns false (err set) when
 * the name is not a valid scene name or no file exists. A file must end
 * in .scene ("../etc/passwd" is refused whether it exists or not) and be
 * a regular file; it is returned as given (relative stays relative). */
bool scene_resolve(const char *name_or_file, const char *dir, char *path, size_t n, char *err,
		   size_t errlen);

#endif
