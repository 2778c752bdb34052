/* tingled.conf: the daemon's configuration (INI, parsed with inih).
 * See man/tingled.conf.5 for every key, its default and its range. */
#ifndef TINGLE_CONF_H
#define TINGLE_CONF_H

#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/limits.h"
#include "config/binding.h"

#define CONF_NAME_MAX 64
#define CONF_PORT_MAX 256             /* a full JACK port name ("client:port") */
#define CONF_MAX_INPUTS TINGLE_INPUTS_MAX   /* [input NAME] sections: 1024 */
#define CONF_MAX_SOURCES TINGLE_SOURCES_MAX /* [engine] sources: 1..4096 */
#define CONF_MAX_VOICES TINGLE_VOICES_MAX   /* [engine] voices: 1..4096 */
/* Who may send OSC commands when [osc] allow says nothing: this machine
 * and the private networks a stage or a therapy room runs on (never the
 * internet). "any" in allow admits everybody. */
#define CONF_OSC_ALLOW_DEFAULT \
	"127.0.0.0/8 ::1 10.0.0.0/8 172.16.0.0/12 192.168.0.0/16 169.254.0.0/16 fc00::/7 fe80::/10"

#define CONF_MAX_LIST 16
#define CONF_MAX_BINDS 128
#define CONF_MAX_SETLIST 64

/* A room send ("room = dB" of an [input] here and of a scene's [source]
 * and [input]) that is off: no send at all, the default. A send is
 * otherwise -120..12 dB; db_to_gain(CONF_ROOM_OFF) is 0, and
 * isinf(room_db) tells off from on. */
#define CONF_ROOM_OFF (-INFINITY)

enum conf_preload { CONF_PRELOAD_ALL, CONF_PRELOAD_NEXT };

struct conf_input {
	char name[CONF_NAME_MAX];    /* [input NAME]: letters, digits, '_' and '-' */
	char port[CONF_PORT_MAX];    /* capture port to connect, "" = none */
	float gain_db;               /* default 0, range -120..24 */
	bool mute;                   /* default no */
	float azimuth;               /* degrees, default 0, wrapped to [-180,180) */
	float elevation;             /* degrees, default 0, range -90..90 */
	float distance;              /* metres, default 1, range 0.1..100 */
	float room_db;               /* room = off (CONF_ROOM_OFF) or a send to the scene's room, -120..12 dB */
	int line;                    /* line of the section header */
};

struct tingle_conf {
	char path[PATH_MAX];         /* file it came from, "" for built-in defaults */

	/* [jack] */
	char jack_name[CONF_NAME_MAX];      /* name = tingle */
	char jack_server[CONF_NAME_MAX];    /* server = "" (default server) */
	bool autoconnect;                   /* autoconnect = yes */
	char outputs[2][CONF_PORT_MAX];     /* outputs = PORT_L PORT_R; "" = first two physical playback ports */

	/* [osc] */
	int osc_port;                       /* port = 8000; 0 = any free port */
	char osc_allow[CONF_MAX_LIST][64];  /* allow = addresses, networks (ADDR/BITS), prefixes (192.168.1.)
					     * or "any"; none = CONF_OSC_ALLOW_DEFAULT */
	size_t n_osc_allow;
	char osc_feedback[CONF_MAX_LIST][128]; /* feedback = host:port list */
	float osc_subscription_s;           /* subscription = 60: seconds a /subscribe lasts unless renewed */
	size_t n_osc_feedback;

	/* [midi] */
	bool midi_jack;                     /* jack = yes */
	bool midi_alsa;                     /* alsa = yes */

	/* [hrtf] */
	char sofa[PATH_MAX];                /* sofa = TINGLE_DEFAULT_SOFA; relative paths are relative to the config file */

	/* [engine] */
	int voices;                         /* voices = 64, 1..CONF_MAX_VOICES (4096) */
	int sources;                        /* sources = 64, 1..CONF_MAX_SOURCES (4096), live inputs included */
	float ceiling_db;                   /* ceiling = -1, -40..0 dBFS */
	float master_gain_db;               /* master = 0, -120..24 dB */
	float near_gain_db;                 /* near_gain = 12, 0..24 dB: distance gain is 1/distance
					     * (unity at 1 m), capped at this near the head */

	/* [scenes] */
	char scenes_dir[PATH_MAX];          /* dir = "" (the bundled scenes); relative to the config file */
	int scenes_dir_line;                /* the line of dir, 0 when not set */
	char setlist[CONF_MAX_SETLIST][CONF_NAME_MAX];
	size_t n_setlist;
	char start[CONF_NAME_MAX];          /* start = first of the setlist */
	enum conf_preload preload;          /* preload = all|next, default all */

	/* CONF_MAX_INPUTS of about 350 bytes each: a struct tingle_conf is
	 * about 0.5 MB, so it lives on the heap (or is static), never on a
	 * thread's stack. */
	struct conf_input inputs[CONF_MAX_INPUTS];
	size_t n_inputs;

	struct conf_bind binds[CONF_MAX_BINDS];
	size_t n_binds;
};

/* Built-in defaults (no inputs). */
void conf_defaults(struct tingle_conf *c);

/* Parse a file over the defaults. Returns 0, or -1 with err set to
 * "FILE:LINE: message" (message names the key and what was wrong);
 * c is then unspecified. -1 also when the file cannot be opened
 * ("FILE: strerror"). */
int conf_load(const char *path, struct tingle_conf *c, char *err, size_t errlen);

/* The same over text in memory; name stands for the file in messages and
 * relative paths are resolved against the current directory. */
int conf_parse_string(const char *text, const char *name, struct tingle_conf *c,
		      char *err, size_t errlen);

/* The config file to use when -c is absent: $XDG_CONFIG_HOME/tingle/tingled.conf
 * (or ~/.config/...), then SYSCONFDIR/tingle/tingled.conf. Returns false when
 * neither exists (use the built-in defaults). */
bool conf_find(char *buf, size_t n);

const struct conf_input *conf_find_input(const struct tingle_conf *c, const char *name);

/* True when name is usable as an input/source name (port and OSC address part). */
bool conf_valid_name(const char *name);

#endif
