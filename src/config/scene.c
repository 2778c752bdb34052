#include "config.h"
#include "config/scene.h"

#include "common/limits.h"
#include "common/log.h"
#include "common/util.h"
#include "config/inifile.h"
#include "config/motion_text.h"

#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>


/* Lines, sections, keys and messages are inifile.c's, as for
 * tingled.conf. What needs more than one line (a generator's parameters
 * may come before its "generator =" line, a source may be used before its
 * [source] section) is checked in finish(), at the line of the key
 * concerned, so the error on the lowest line is still the one reported. */

enum sect {
	S_NONE = INI_SECT_NONE, S_SCENE, S_SOUND, S_SOURCE, S_INPUT, S_ROOM, S_BIND,
	S_BAD = INI_SECT_BAD
};

enum key {
	K_SCENE_NAME, K_SCENE_FADE,
	K_SOUND_SAMPLES, K_SOUND_GENERATOR,
	/* the generator's parameters, in the order of enum gen_param */
	K_SOUND_LENGTH, K_SOUND_BRIGHTNESS, K_SOUND_SIZE, K_SOUND_SPEED, K_SOUND_ROUGHNESS,
	K_SOUND_DENSITY,
	K_SOUND_VARIANTS, K_SOUND_SEED,
	K_SOUND_NOTE, K_SOUND_MODE, K_SOUND_GAIN, K_SOUND_VELOCITY, K_SOUND_SELECT,
	K_SOUND_RANDOM_GAIN, K_SOUND_RANDOM_PITCH, K_SOUND_ATTACK, K_SOUND_RELEASE, K_SOUND_CHOKE,
	K_SOUND_POLYPHONY, K_SOUND_SOURCE, K_SOUND_SCATTER, K_SOUND_LOUDNESS,
	K_SOUND_VELOCITY_BRIGHTNESS,
	K_SOURCE_AZIMUTH, K_SOURCE_ELEVATION, K_SOURCE_DISTANCE, K_SOURCE_MOTION, K_SOURCE_ROOM,
	K_INPUT_GAIN, K_INPUT_MUTE, K_INPUT_AZIMUTH, K_INPUT_ELEVATION, K_INPUT_DISTANCE, K_INPUT_ROOM,
	K_INPUT_MOTION,
	K_ROOM_DECAY, K_ROOM_SIZE, K_ROOM_DAMPING, K_ROOM_LEVEL, K_ROOM_PREDELAY,
	K_COUNT
};
#define K_SOUND_FIRST K_SOUND_SAMPLES
#define K_SOURCE_FIRST K_SOURCE_AZIMUTH
#define K_INPUT_FIRST K_INPUT_GAIN
#define K_ROOM_FIRST K_ROOM_DECAY
#define N_SCENE_KEYS K_SOUND_FIRST
#define N_SOUND_KEYS (K_SOURCE_FIRST - K_SOUND_FIRST)
#define N_SOURCE_KEYS (K_INPUT_FIRST - K_SOURCE_FIRST)
#define N_INPUT_KEYS (K_ROOM_FIRST - K_INPUT_FIRST)
#define N_ROOM_KEYS (K_COUNT - K_ROOM_FIRST)
#define K_PARAM(p) (K_SOUND_LENGTH + (int)(p))

static const struct ini_key key_defs[K_COUNT] = {
	[K_SCENE_NAME] = { S_SCENE, "name", false, false },
	[K_SCENE_FADE] = { S_SCENE, "fade", false, false },
	[K_SOUND_SAMPLES] = { S_SOUND, "samples", true, false },
	[K_SOUND_GENERATOR] = { S_SOUND, "generator", false, false },
	[K_SOUND_LENGTH] = { S_SOUND, "length", false, false },
	[K_SOUND_BRIGHTNESS] = { S_SOUND, "brightness", false, false },
	[K_SOUND_SIZE] = { S_SOUND, "size", false, false },
	[K_SOUND_SPEED] = { S_SOUND, "speed", false, false },
	[K_SOUND_ROUGHNESS] = { S_SOUND, "roughness", false, false },
	[K_SOUND_DENSITY] = { S_SOUND, "density", false, false },
	[K_SOUND_VARIANTS] = { S_SOUND, "variants", false, false },
	[K_SOUND_SEED] = { S_SOUND, "seed", false, false },
	[K_SOUND_NOTE] = { S_SOUND, "note", false, false },
	[K_SOUND_MODE] = { S_SOUND, "mode", false, false },
	[K_SOUND_GAIN] = { S_SOUND, "gain", false, false },
	[K_SOUND_VELOCITY] = { S_SOUND, "velocity", false, false },
	[K_SOUND_SELECT] = { S_SOUND, "select", false, false },
	[K_SOUND_RANDOM_GAIN] = { S_SOUND, "random_gain", false, false },
	[K_SOUND_RANDOM_PITCH] = { S_SOUND, "random_pitch", false, false },
	[K_SOUND_ATTACK] = { S_SOUND, "attack", false, false },
	[K_SOUND_RELEASE] = { S_SOUND, "release", false, false },
	[K_SOUND_CHOKE] = { S_SOUND, "choke", false, false },
	[K_SOUND_POLYPHONY] = { S_SOUND, "polyphony", false, false },
	[K_SOUND_SOURCE] = { S_SOUND, "source", false, false },
	[K_SOUND_SCATTER] = { S_SOUND, "scatter", false, false },
	[K_SOUND_LOUDNESS] = { S_SOUND, "loudness", false, false },
	[K_SOUND_VELOCITY_BRIGHTNESS] = { S_SOUND, "velocity_brightness", false, false },
	[K_SOURCE_AZIMUTH] = { S_SOURCE, "azimuth", false, false },
	[K_SOURCE_ELEVATION] = { S_SOURCE, "elevation", false, false },
	[K_SOURCE_DISTANCE] = { S_SOURCE, "distance", false, false },
	[K_SOURCE_MOTION] = { S_SOURCE, "motion", false, false },
	[K_SOURCE_ROOM] = { S_SOURCE, "room", false, false },
	[K_INPUT_GAIN] = { S_INPUT, "gain", false, false },
	[K_INPUT_MUTE] = { S_INPUT, "mute", false, false },
	[K_INPUT_AZIMUTH] = { S_INPUT, "azimuth", false, false },
	[K_INPUT_ELEVATION] = { S_INPUT, "elevation", false, false },
	[K_INPUT_DISTANCE] = { S_INPUT, "distance", false, false },
	[K_INPUT_ROOM] = { S_INPUT, "room", false, false },
	[K_INPUT_MOTION] = { S_INPUT, "motion", false, false },
	[K_ROOM_DECAY] = { S_ROOM, "decay", false, false },
	[K_ROOM_SIZE] = { S_ROOM, "size", false, false },
	[K_ROOM_DAMPING] = { S_ROOM, "damping", false, false },
	[K_ROOM_LEVEL] = { S_ROOM, "level", false, false },
	[K_ROOM_PREDELAY] = { S_ROOM, "predelay", false, false },
};

/* What a [sound] needs beyond its sound_desc while the file is read. */
struct sound_state {
	int key_line[N_SOUND_KEYS];
	float param[GEN_P_COUNT];
	unsigned variants;
	uint32_t seed;
	size_t n_patterns;
	struct {
		dev_t dev;
		ino_t ino;
	} ids[SCENE_MAX_FILES];          /* of files[], so that no file is in twice */
};

struct parse {
	struct inifile ini;
	struct scene_desc *d;
	const struct tingle_conf *conf;
	size_t cur;                      /* the current sound, source or input */
	int scene_key_line[N_SCENE_KEYS];
	struct sound_state sounds[SCENE_MAX_SOUNDS];
	int source_key_line[SCENE_MAX_SOURCES][N_SOURCE_KEYS];
	int input_key_line[SCENE_MAX_INPUTS][N_INPUT_KEYS];
	int room_key_line[N_ROOM_KEYS];
};

#define SOUND_LINE(st, k) ((st)->key_line[(k) - K_SOUND_FIRST])

/* --------------------------------------------------------------------- */
/* Names */

/* "a, b or c", cut short with "..." to fit n. */
static void join_names(char *out, size_t n, const char *const *names, size_t count)
{
	size_t len = 0;
	out[0] = '\0';
	for (size_t i = 0; i < count; i++) {
		const char *sep = i == 0 ? "" : i + 1 == count ? " or " : ", ";
		size_t need = strlen(sep) + strlen(names[i]);
		if (len + need + 5 >= n) {
			snprintf(out + len, n - len, "%s...", i ? ", " : "");
			return;
		}
		len += (size_t)snprintf(out + len, n - len, "%s%s", sep, names[i]);
	}
}

/* The live inputs a scene may name: the configuration's, or without one
 * the scene's own [input] sections. */
static size_t live_inputs(const struct parse *p, const char **names, size_t max)
{
	size_t n = 0;
	if (p->conf)
		for (size_t i = 0; i < p->conf->n_inputs && n < max; i++)
			names[n++] = p->conf->inputs[i].name;
	else
		for (size_t i = 0; i < p->d->n_inputs && n < max; i++)
			names[n++] = p->d->inputs[i].name;
	return n;
}

static bool is_live_input(const struct parse *p, const char *name)
{
	if (p->conf)
		return conf_find_input(p->conf, name) != NULL;
	for (size_t i = 0; i < p->d->n_inputs; i++)
		if (!strcmp(p->d->inputs[i].name, name))
			return true;
	return false;
}

static const struct source_desc *find_source(const struct scene_desc *d, const char *name)
{
	for (size_t i = 0; i < d->n_sources; i++)
		if (!strcmp(d->sources[i].name, name))
			return &d->sources[i];
	return NULL;
}

/* --------------------------------------------------------------------- */
/* Notes */

/* One note at *sp, a number or a name such as C4, F#3 or Db-1; *sp is
 * moved past it. Out-of-range notes are returned as they are. */
static bool note_at(const char **sp, long *out)
{
	/* semitones above C of A, B, C, D, E, F, G */
	static const int semitone[7] = { 9, 11, 0, 2, 4, 5, 7 };
	const char *s = *sp;
	if (isdigit((unsigned char)*s) || (*s == '-' && isdigit((unsigned char)s[1]))) {
		char *end;
		errno = 0;
		long v = strtol(s, &end, 10);
		*out = errno == ERANGE ? LONG_MAX : v;
		*sp = end;
		return true;
	}
	int letter = toupper((unsigned char)*s);
	if (letter < 'A' || letter > 'G')
		return false;
	long v = semitone[letter - 'A'];
	s++;
	if (*s == '#') {
		v++;
		s++;
	} else if (*s == 'b') {
		v--;
		s++;
	}
	bool negative = *s == '-';
	if (negative)
		s++;
	if (!isdigit((unsigned char)*s))
		return false;
	long octave = 0;
	for (; isdigit((unsigned char)*s); s++)
		if (octave < 1000)
			octave = octave * 10 + (*s - '0');
	if (negative)
		octave = -octave;
	*out = (octave + 1) * 12 + v;
	*sp = s;
	return true;
}

#define NOTE_EXPECTED \
	"a MIDI note 0..127 or a note name C-1..G9 such as C4 (60), F#3 or Db4, or a range such as 60-64 or C4-E4"

static int set_note(struct inifile *ini, const char *v, struct sound_desc *sd)
{
	const char *s = v;
	long lo, hi;
	if (!note_at(&s, &lo))
		return ini_bad(ini, "not a note", v, NOTE_EXPECTED);
	hi = lo;
	while (isspace((unsigned char)*s))
		s++;
	if (*s == '-') {
		s++;
		while (isspace((unsigned char)*s))
			s++;
		if (!note_at(&s, &hi))
			return ini_bad(ini, "not a note", v, NOTE_EXPECTED);
		while (isspace((unsigned char)*s))
			s++;
	}
	if (*s)
		return ini_bad(ini, "not a note", v, NOTE_EXPECTED);
	if (lo < 0 || lo > 127 || hi < 0 || hi > 127)
		return ini_bad(ini, "out of range", v, NOTE_EXPECTED);
	if (lo > hi)
		return ini_bad(ini, "the range goes down", v, "the lower note first, such as 60-64");
	sd->note_lo = (int)lo;
	sd->note_hi = (int)hi;
	return 1;
}

/* --------------------------------------------------------------------- */
/* Sample files */

/* dst = src with the characters glob(3) treats specially escaped. */
static bool glob_escape(char *dst, size_t n, const char *src)
{
	size_t j = 0;
	for (; *src; src++) {
		if (strchr("\\*?[", *src)) {
			if (j + 1 >= n)
				return false;
			dst[j++] = '\\';
		}
		if (j + 1 >= n)
			return false;
		dst[j++] = *src;
	}
	dst[j] = '\0';
	return true;
}

/* Drops "." components and doubled slashes: "/a/./b//c" is "/a/b/c". */
static void clean_path(char *s)
{
	char *out = s;
	const char *in = s;
	while (*in) {
		if (in[0] == '/' && (in[1] == '/' || (in[1] == '.' && (in[2] == '/' || !in[2])))) {
			in += in[1] == '/' ? 1 : 2;
			continue;
		}
		*out++ = *in++;
	}
	if (out == s)
		*out++ = '/';
	*out = '\0';
}

/* The next white-space separated word of *sp into word (a backslash keeps
 * the character after it, so "a\ b.wav" is one word; the backslash stays,
 * for glob). */
static bool next_word(const char **sp, char *word, size_t n)
{
	const char *s = *sp;
	while (isspace((unsigned char)*s))
		s++;
	if (!*s)
		return false;
	size_t j = 0;
	while (*s && !isspace((unsigned char)*s)) {
		if (*s == '\\' && s[1]) {
			if (j + 1 < n)
				word[j++] = *s;
			s++;
		}
		if (j + 1 < n)
			word[j++] = *s;
		s++;
	}
	word[j] = '\0';
	*sp = s;
	return true;
}

static int add_file(struct parse *p, struct sound_desc *sd, struct sound_state *st, const char *path,
		    const struct stat *sb)
{
	for (size_t i = 0; i < sd->n_files; i++)
		if (st->ids[i].dev == sb->st_dev && st->ids[i].ino == sb->st_ino)
			return 1; /* named twice */
	if (sd->n_files == SCENE_MAX_FILES)
		return ini_fail(&p->ini, p->ini.line, "%s %s: too many files (expected at most %d)",
				p->ini.sect_label, p->ini.keyname, SCENE_MAX_FILES);
	if (strlen(path) >= PATH_MAX)
		return ini_bad(&p->ini, "path too long", path, "a shorter path");
	char(*files)[PATH_MAX] = realloc(sd->files, (sd->n_files + 1) * sizeof *files);
	if (!files)
		return ini_fail(&p->ini, p->ini.line, "out of memory");
	sd->files = files;
	str_copy(files[sd->n_files], PATH_MAX, path);
	clean_path(files[sd->n_files]);
	st->ids[sd->n_files].dev = sb->st_dev;
	st->ids[sd->n_files].ino = sb->st_ino;
	sd->n_files++;
	return 1;
}

/* One pattern, as written: relative to the scene's folder, "~/" from
 * $HOME, or absolute. It must match at least one regular file. */
static int add_pattern(struct parse *p, struct sound_desc *sd, struct sound_state *st, const char *word)
{
	struct inifile *ini = &p->ini;
	char dir[PATH_MAX * 2] = "";
	const char *rel = word;
	if (word[0] == '~' && (word[1] == '\0' || word[1] == '/')) {
		const char *home = getenv("HOME");
		if (!home || !*home)
			return ini_bad(ini, "'~' but HOME is not set", word, "an absolute path");
		if (!glob_escape(dir, sizeof dir, home))
			return ini_bad(ini, "path too long", word, "a shorter path");
		rel = word[1] ? word + 2 : "";
	} else if (word[0] != '/' && !glob_escape(dir, sizeof dir, ini->base)) {
		return ini_bad(ini, "path too long", word, "a shorter path");
	}
	char pattern[PATH_MAX * 2];
	if (!ini_join_path(ini, dir, rel, word, pattern, sizeof pattern))
		return 0;

	glob_t g;
	int rc = glob(pattern, 0, NULL, &g);
	if (rc == GLOB_NOSPACE) {
		globfree(&g);
		return ini_fail(ini, ini->line, "out of memory");
	}
	size_t matched = 0;
	int ok = 1;
	unsigned special = 0; /* st_mode of the first match that is neither file nor folder */
	for (size_t i = 0; rc == 0 && ok && i < g.gl_pathc; i++) {
		struct stat sb;
		if (stat(g.gl_pathv[i], &sb) < 0)
			continue;
		if (!S_ISREG(sb.st_mode)) {
			if (!S_ISDIR(sb.st_mode) && !special)
				special = (unsigned)sb.st_mode;
			continue; /* never opened: a FIFO would hang the loader */
		}
		matched++;
		ok = add_file(p, sd, st, g.gl_pathv[i], &sb);
	}
	globfree(&g);
	if (!ok)
		return 0;
	if (!matched && special)
		return ini_fail(ini, ini->line,
				"%s %s: not a regular file (got %s matching '%s', expected a sound file)",
				ini->sect_label, ini->keyname, file_type_name(special), word);
	if (!matched) {
		if (word[0] == '/')
			return ini_fail(ini, ini->line, "%s %s: no file matches '%s'", ini->sect_label,
					ini->keyname, word);
		return ini_fail(ini, ini->line, "%s %s: no file matches '%s' (paths are relative to %s)",
				ini->sect_label, ini->keyname, word, word[0] == '~' ? "$HOME" : ini->base);
	}
	return 1;
}

static int set_samples(struct parse *p, struct sound_desc *sd, struct sound_state *st, const char *v)
{
	char word[INI_LINE_MAX];
	const char *s = v;
	while (next_word(&s, word, sizeof word)) {
		st->n_patterns++;
		if (!add_pattern(p, sd, st, word))
			return 0;
	}
	return 1;
}

static int cmp_path(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* --------------------------------------------------------------------- */
/* Values */

static int set_word(struct inifile *ini, const char *v, const char *const *words, size_t n, int *out,
		    const char *what, const char *expected)
{
	for (size_t i = 0; i < n; i++)
		if (!strcasecmp(v, words[i])) {
			*out = (int)i;
			return 1;
		}
	return ini_bad(ini, what, v, expected);
}

static int set_generator(struct inifile *ini, const char *v, struct sound_desc *sd)
{
	char name[32];
	size_t len = strlen(v);
	enum gen_kind k = GEN_NONE;
	if (len < sizeof name) {
		for (size_t i = 0; i <= len; i++)
			name[i] = (char)tolower((unsigned char)v[i]);
		k = gen_kind_from_name(name);
	}
	if (k == GEN_NONE) {
		char expected[256];
		const char *kinds[GEN_BREATH];
		for (int i = GEN_TAP; i <= GEN_BREATH; i++)
			kinds[i - GEN_TAP] = gen_kind_name((enum gen_kind)i);
		join_names(expected, sizeof expected, kinds, TINGLE_ARRAY_LEN(kinds));
		return ini_bad(ini, "unknown generator", v, expected);
	}
	sd->gen.kind = k;
	return 1;
}

static int set_name_ref(struct inifile *ini, const char *v, char *dst, size_t n, const char *what,
			const char *expected)
{
	if (!conf_valid_name(v))
		return ini_bad(ini, what, v, expected);
	str_copy(dst, n, v);
	return 1;
}

static int set_sound(struct parse *p, enum key k, const char *v)
{
	static const char *const modes[] = { [SOUND_ONESHOT] = "oneshot", [SOUND_HOLD] = "hold",
					     [SOUND_LOOP] = "loop" };
	static const char *const selects[] = { [SOUND_ROUNDROBIN] = "roundrobin",
					       [SOUND_RANDOM] = "random" };
	struct inifile *ini = &p->ini;
	struct sound_desc *sd = &p->d->sounds[p->cur];
	struct sound_state *st = &p->sounds[p->cur];
	long x = 0;
	int w = 0;

	switch (k) {
	case K_SOUND_SAMPLES:
		return set_samples(p, sd, st, v);
	case K_SOUND_GENERATOR:
		return set_generator(ini, v, sd);
	case K_SOUND_LENGTH:
		return ini_set_float(ini, v, 0.01f, 30.0f, &st->param[GEN_P_LENGTH]);
	case K_SOUND_BRIGHTNESS:
	case K_SOUND_SIZE:
	case K_SOUND_SPEED:
	case K_SOUND_ROUGHNESS:
	case K_SOUND_DENSITY:
		return ini_set_float(ini, v, 0.0f, 1.0f, &st->param[k - K_SOUND_LENGTH]);
	case K_SOUND_VARIANTS:
		if (!ini_set_long(ini, v, 1, 32, &x))
			return 0;
		st->variants = (unsigned)x;
		return 1;
	case K_SOUND_SEED:
		if (!ini_set_long(ini, v, 0, 4294967295L, &x))
			return 0;
		st->seed = (uint32_t)x;
		return 1;
	case K_SOUND_NOTE:
		return set_note(ini, v, sd);
	case K_SOUND_MODE:
		if (!set_word(ini, v, modes, TINGLE_ARRAY_LEN(modes), &w, "unknown mode",
			      "oneshot, hold or loop"))
			return 0;
		sd->mode = (enum sound_mode)w;
		return 1;
	case K_SOUND_GAIN:
		return ini_set_float(ini, v, TINGLE_GAIN_DB_MIN, TINGLE_GAIN_DB_MAX, &sd->gain_db);
	case K_SOUND_VELOCITY:
		return ini_set_float(ini, v, 0.0f, 1.0f, &sd->velocity);
	case K_SOUND_SELECT:
		if (!set_word(ini, v, selects, TINGLE_ARRAY_LEN(selects), &w, "unknown selection",
			      "roundrobin or random"))
			return 0;
		sd->select = (enum sound_select)w;
		return 1;
	case K_SOUND_RANDOM_GAIN:
		return ini_set_float(ini, v, 0.0f, 24.0f, &sd->random_gain_db);
	case K_SOUND_RANDOM_PITCH:
		return ini_set_float(ini, v, 0.0f, 1200.0f, &sd->random_pitch_cents);
	case K_SOUND_ATTACK:
		return ini_set_float(ini, v, 0.0f, 10.0f, &sd->attack);
	case K_SOUND_RELEASE:
		return ini_set_float(ini, v, 0.001f, 30.0f, &sd->release);
	case K_SOUND_CHOKE:
		if (!*v) {
			sd->choke[0] = '\0';
			return 1;
		}
		return set_name_ref(ini, v, sd->choke, sizeof sd->choke, "not a group name",
				    "a name of letters, digits, '_' and '-'");
	case K_SOUND_POLYPHONY:
		return ini_set_int(ini, v, 1, 256, &sd->polyphony);
	case K_SOUND_LOUDNESS:
		return ini_set_float(ini, v, -70.0f, 0.0f, &sd->loudness);
	case K_SOUND_VELOCITY_BRIGHTNESS:
		return ini_set_float(ini, v, 0.0f, 9600.0f, &sd->velocity_brightness);
	case K_SOUND_SOURCE:
		return set_name_ref(ini, v, sd->source, sizeof sd->source, "not a source name",
				    "the name of a [source] of this scene or of a live input");
	case K_SOUND_SCATTER:
		return ini_set_bool(ini, v, &sd->scatter);
	default:
		return 0;
	}
}

/* motion = orbit DEG_PER_S | wander DEG [SECONDS] | sweep AZ EL DIST SECONDS | none */
static int set_motion(struct inifile *ini, const char *v, struct motion_spec *out)
{
	char why[256];
	if (motion_parse(v, out, why, sizeof why) < 0)
		return ini_fail(ini, ini->line, "%s %s: %s", ini->sect_label, ini->keyname, why);
	return 1;
}

static int set_value(struct parse *p, enum key k, const char *v)
{
	struct inifile *ini = &p->ini;
	struct scene_desc *d = p->d;

	if (k >= K_SOUND_FIRST && k < K_SOURCE_FIRST)
		return set_sound(p, k, v);
	struct source_desc *src = &d->sources[p->cur];
	struct scene_input *in = &d->inputs[p->cur];
	switch (k) {
	case K_SCENE_NAME:
		return ini_set_text(ini, v, d->name, sizeof d->name, false);
	case K_SCENE_FADE:
		return ini_set_float(ini, v, 0.0f, 60.0f, &d->fade);
	case K_SOURCE_AZIMUTH:
		return ini_set_azimuth(ini, v, &src->azimuth);
	case K_SOURCE_ELEVATION:
		return ini_set_elevation(ini, v, &src->elevation);
	case K_SOURCE_DISTANCE:
		return ini_set_float(ini, v, 0.1f, 100.0f, &src->distance);
	case K_SOURCE_ROOM:
		return ini_set_db_or_off(ini, v, TINGLE_GAIN_DB_MIN, TINGLE_SEND_DB_MAX, &src->room_db);
	case K_SOURCE_MOTION:
		return set_motion(ini, v, &src->motion);
	case K_INPUT_GAIN:
		in->has_gain = true;
		return ini_set_float(ini, v, TINGLE_GAIN_DB_MIN, TINGLE_GAIN_DB_MAX, &in->gain_db);
	case K_INPUT_MUTE:
		in->has_mute = true;
		return ini_set_bool(ini, v, &in->mute);
	case K_INPUT_AZIMUTH:
		in->has_azimuth = true;
		return ini_set_azimuth(ini, v, &in->azimuth);
	case K_INPUT_ELEVATION:
		in->has_elevation = true;
		return ini_set_elevation(ini, v, &in->elevation);
	case K_INPUT_DISTANCE:
		in->has_distance = true;
		return ini_set_float(ini, v, 0.1f, 100.0f, &in->distance);
	case K_INPUT_ROOM:
		in->has_room = true;
		return ini_set_db_or_off(ini, v, TINGLE_GAIN_DB_MIN, TINGLE_SEND_DB_MAX, &in->room_db);
	case K_INPUT_MOTION:
		in->has_motion = true;
		return set_motion(ini, v, &in->motion);
	case K_ROOM_DECAY:
		return ini_set_float(ini, v, 0.0f, 20.0f, &d->room.decay);
	case K_ROOM_SIZE:
		return ini_set_float(ini, v, 1.0f, 50.0f, &d->room.size);
	case K_ROOM_DAMPING:
		return ini_set_float(ini, v, 0.0f, 1.0f, &d->room.damping);
	case K_ROOM_LEVEL:
		return ini_set_float(ini, v, -60.0f, 12.0f, &d->room.level);
	case K_ROOM_PREDELAY:
		return ini_set_float(ini, v, 0.0f, 200.0f, &d->room.predelay);
	default:
		return 0;
	}
}

/* --------------------------------------------------------------------- */
/* Sections */

static void sound_defaults(struct sound_desc *sd, const char *name, int line)
{
	memset(sd, 0, sizeof *sd);
	str_copy(sd->name, sizeof sd->name, name);
	sd->line = line;
	sd->gen.kind = GEN_NONE;
	sd->note_lo = sd->note_hi = -1;
	sd->mode = SOUND_ONESHOT;
	sd->gain_db = 0.0f;
	sd->velocity = 1.0f;
	sd->select = SOUND_ROUNDROBIN;
	sd->attack = 0.0f; /* a tap keeps its transient; loops and holds may set one */
	sd->release = 0.05f;
	sd->polyphony = 8;
	sd->loudness = NAN;              /* the level is gain's */
	sd->velocity_brightness = -1.0f; /* the generator kind's own */
}

/* Common to [sound], [source] and [input]: a valid name, not used before
 * (dup_line is the line of one that has it, or 0), and room for one more. */
static bool open_named(struct parse *p, const char *kind, const char *name, int dup_line, size_t n,
		       size_t max)
{
	struct inifile *ini = &p->ini;
	if (!ini_check_name(ini, kind, name))
		return false;
	if (dup_line) {
		ini_fail(ini, ini->line, "%s: duplicate %s (first defined on line %d)", ini->sect_label,
			 kind, dup_line);
		return false;
	}
	if (n == max) {
		ini_fail(ini, ini->line, "%s: too many %ss (expected at most %zu)", ini->sect_label, kind,
			 max);
		return false;
	}
	return true;
}

static void open_sound(struct parse *p, const char *name)
{
	struct scene_desc *d = p->d;
	int dup = 0;
	for (size_t i = 0; i < d->n_sounds && !dup; i++)
		if (!strcmp(d->sounds[i].name, name))
			dup = d->sounds[i].line;
	if (!open_named(p, "sound", name, dup, d->n_sounds, SCENE_MAX_SOUNDS))
		return;
	p->cur = d->n_sounds++;
	sound_defaults(&d->sounds[p->cur], name, p->ini.line);
	p->ini.sect = S_SOUND;
}

static void open_source(struct parse *p, const char *name)
{
	struct scene_desc *d = p->d;
	struct inifile *ini = &p->ini;
	const struct source_desc *dup = find_source(d, name);
	if (!open_named(p, "source", name, dup ? dup->line : 0, d->n_sources, SCENE_MAX_SOURCES))
		return;
	if (p->conf && conf_find_input(p->conf, name)) {
		ini_fail(ini, ini->line,
			 "%s: a live input of the configuration has this name (expected another name; a sound may use the input itself as its source)",
			 ini->sect_label);
		return;
	}
	p->cur = d->n_sources++;
	struct source_desc *src = &d->sources[p->cur];
	memset(src, 0, sizeof *src);
	str_copy(src->name, sizeof src->name, name);
	src->line = ini->line;
	src->distance = 1.0f;
	src->room_db = CONF_ROOM_OFF;
	ini->sect = S_SOURCE;
}

static void open_input(struct parse *p, const char *name)
{
	struct scene_desc *d = p->d;
	struct inifile *ini = &p->ini;
	int dup = 0;
	for (size_t i = 0; i < d->n_inputs && !dup; i++)
		if (!strcmp(d->inputs[i].name, name))
			dup = d->inputs[i].line;
	if (!open_named(p, "input", name, dup, d->n_inputs, SCENE_MAX_INPUTS))
		return;
	const struct conf_input *ci = p->conf ? conf_find_input(p->conf, name) : NULL;
	if (p->conf && !ci) {
		/* Scenes travel between rigs: an input this one lacks is said,
		 * read (so its keys are still checked) and left unused. */
		const char **names = calloc(CONF_MAX_INPUTS, sizeof *names); /* not on the stack: 8 kB */
		char list[256] = "none";
		size_t n = names ? live_inputs(p, names, CONF_MAX_INPUTS) : 0;
		if (n)
			join_names(list, sizeof list, names, n);
		free(names);
		/* With no live inputs at all (tingle-render without a
		 * configuration, say) there is nothing to get wrong: said at
		 * verbose level only. */
		if (n)
			log_warn("%s:%d: %s: not an input of the configuration (it has %s); this scene's "
				 "settings for it are not used", ini->file, ini->line, ini->sect_label, list);
		else
			log_debug("%s:%d: %s: the configuration has no live inputs; this scene's settings "
				  "for it are not used", ini->file, ini->line, ini->sect_label);
	}
	p->cur = d->n_inputs++;
	struct scene_input *in = &d->inputs[p->cur];
	memset(in, 0, sizeof *in);
	str_copy(in->name, sizeof in->name, name);
	in->line = ini->line;
	/* Values the scene does not set are the configuration's. */
	in->gain_db = ci ? ci->gain_db : 0.0f;
	in->mute = ci ? ci->mute : false;
	in->azimuth = ci ? ci->azimuth : 0.0f;
	in->elevation = ci ? ci->elevation : 0.0f;
	in->distance = ci ? ci->distance : 1.0f;
	in->room_db = ci ? ci->room_db : CONF_ROOM_OFF;
	ini->sect = S_INPUT;
}

/* [room]: one a scene, with no name. */
static void open_room(struct parse *p, const char *arg)
{
	struct scene_desc *d = p->d;
	struct inifile *ini = &p->ini;
	if (*arg) {
		ini_fail(ini, ini->line, "%s: a room has no name (expected [room])", ini->sect_label);
		return;
	}
	if (d->has_room) {
		ini_fail(ini, ini->line, "[room]: duplicate room (first defined on line %d; a scene has one room)",
			 d->room.line);
		return;
	}
	d->has_room = true;
	d->room.line = ini->line;
	ini->sect = S_ROOM;
}

static void on_section(struct inifile *ini, char *name)
{
	struct parse *p = ini->user;
	const char *arg;
	if ((arg = ini_section_arg(ini, name, "sound")))
		open_sound(p, arg);
	else if ((arg = ini_section_arg(ini, name, "source")))
		open_source(p, arg);
	else if ((arg = ini_section_arg(ini, name, "input")))
		open_input(p, arg);
	else if (!strcmp(name, "scene"))
		ini->sect = S_SCENE;
	else if ((arg = ini_section_arg(ini, name, "room")))
		open_room(p, arg);
	else if (!strcmp(name, "bind"))
		ini->sect = S_BIND;
	else
		ini_fail(ini, ini->line,
			 "%s: unknown section (expected scene, sound NAME, source NAME, input NAME, room or bind)",
			 ini->sect_label);
	ini->raw = ini->sect == S_BIND;
}

static int on_value(struct inifile *ini, int k, char *v, bool cont)
{
	struct parse *p = ini->user;
	(void)cont; /* only samples continues, and adds to what it has */
	return set_value(p, (enum key)k, v);
}

static int on_bind(struct inifile *ini, const char *control, const char *action, bool cont)
{
	struct scene_desc *d = ((struct parse *)ini->user)->d;
	return ini_set_bind(ini, control, action, cont, d->binds, &d->n_binds, CONF_MAX_BINDS);
}

static int *on_key_line(struct inifile *ini, int k)
{
	struct parse *p = ini->user;
	if (k < K_SOUND_FIRST)
		return &p->scene_key_line[k];
	if (k < K_SOURCE_FIRST)
		return &p->sounds[p->cur].key_line[k - K_SOUND_FIRST];
	if (k < K_INPUT_FIRST)
		return &p->source_key_line[p->cur][k - K_SOURCE_FIRST];
	if (k < K_ROOM_FIRST)
		return &p->input_key_line[p->cur][k - K_INPUT_FIRST];
	return &p->room_key_line[k - K_ROOM_FIRST];
}

static const struct ini_format scene_format = {
	.keys = key_defs,
	.n_keys = K_COUNT,
	.section = on_section,
	.value = on_value,
	.raw = on_bind,
	.key_line = on_key_line,
};

/* --------------------------------------------------------------------- */
/* Whole-file checks */

/* Of two keys that may not both be set: the later one is the error. */
static void not_both(struct parse *p, const struct sound_desc *sd, int line_a, enum key a, int line_b,
		     enum key b, const char *rule)
{
	if (!line_a || !line_b)
		return;
	bool b_later = line_b > line_a;
	ini_fail(&p->ini, b_later ? line_b : line_a, "[sound %s] %s: %s (%s is set on line %d)", sd->name,
		 key_defs[b_later ? b : a].name, rule, key_defs[b_later ? a : b].name,
		 b_later ? line_a : line_b);
}

static void finish_generator(struct parse *p, struct sound_desc *sd, const struct sound_state *st)
{
	int line_gen = SOUND_LINE(st, K_SOUND_GENERATOR);
	struct gen_params g;
	bool have_gen = line_gen && sd->gen.kind != GEN_NONE;
	if (have_gen)
		gen_defaults(&g, sd->gen.kind);

	char takes[256] = "";
	if (have_gen) {
		const char *names[GEN_P_COUNT] = { NULL };
		size_t n = 0;
		for (int i = 0; i < GEN_P_COUNT; i++)
			if (gen_param_applies(sd->gen.kind, (enum gen_param)i))
				names[n++] = gen_param_name((enum gen_param)i);
		join_names(takes, sizeof takes, names, n);
	}
	for (int i = 0; i < GEN_P_COUNT; i++) {
		int line = SOUND_LINE(st, K_PARAM(i));
		if (!line)
			continue;
		const char *pname = key_defs[K_PARAM(i)].name;
		if (!line_gen)
			ini_fail(&p->ini, line,
				 "[sound %s] %s: a generator's parameter, but the sound has no generator (expected generator = KIND)",
				 sd->name, pname);
		else if (!have_gen)
			continue; /* the generator line is the error */
		else if (!gen_param_applies(sd->gen.kind, (enum gen_param)i))
			ini_fail(&p->ini, line,
				 "[sound %s] %s: generator %s does not take %s (expected %s)",
				 sd->name, pname, gen_kind_name(sd->gen.kind), pname, takes);
		else if (i == GEN_P_LENGTH)
			g.length = st->param[i];
		else if (i == GEN_P_BRIGHTNESS)
			g.brightness = st->param[i];
		else if (i == GEN_P_SIZE)
			g.size = st->param[i];
		else if (i == GEN_P_SPEED)
			g.speed = st->param[i];
		else if (i == GEN_P_ROUGHNESS)
			g.roughness = st->param[i];
		else
			g.density = st->param[i];
	}
	static const enum key always[] = { K_SOUND_VARIANTS, K_SOUND_SEED };
	for (size_t i = 0; i < TINGLE_ARRAY_LEN(always); i++) {
		int line = SOUND_LINE(st, always[i]);
		if (line && !line_gen)
			ini_fail(&p->ini, line,
				 "[sound %s] %s: a generator's parameter, but the sound has no generator (expected generator = KIND)",
				 sd->name, key_defs[always[i]].name);
	}
	if (!have_gen)
		return;
	if (SOUND_LINE(st, K_SOUND_VARIANTS))
		g.variants = st->variants;
	if (SOUND_LINE(st, K_SOUND_SEED))
		g.seed = st->seed;
	g.kind = sd->gen.kind;
	sd->gen = g;
}

static void finish_sound(struct parse *p, struct sound_desc *sd, const struct sound_state *st)
{
	struct inifile *ini = &p->ini;
	int line_samples = SOUND_LINE(st, K_SOUND_SAMPLES);
	int line_gen = SOUND_LINE(st, K_SOUND_GENERATOR);
	int line_source = SOUND_LINE(st, K_SOUND_SOURCE);
	int line_scatter = sd->scatter ? SOUND_LINE(st, K_SOUND_SCATTER) : 0;

	if (!line_samples && !line_gen)
		ini_fail(ini, sd->line,
			 "[sound %s]: no samples or generator (expected samples = FILES or generator = KIND)",
			 sd->name);
	not_both(p, sd, line_samples, K_SOUND_SAMPLES, line_gen, K_SOUND_GENERATOR,
		 "a sound has samples or a generator, not both");
	if (line_samples && !st->n_patterns)
		ini_fail(ini, line_samples, "[sound %s] samples: no files (expected one or more files or patterns)",
			 sd->name);
	finish_generator(p, sd, st);
	not_both(p, sd, SOUND_LINE(st, K_SOUND_GAIN), K_SOUND_GAIN, SOUND_LINE(st, K_SOUND_LOUDNESS),
		 K_SOUND_LOUDNESS, "loudness sets the sound's level by its measured loudness; gain sets it directly: one of them");

	if (!line_source && !line_scatter)
		ini_fail(ini, sd->line,
			 "[sound %s]: nowhere to sound (expected source = NAME or scatter = yes)", sd->name);
	not_both(p, sd, line_source, K_SOUND_SOURCE, line_scatter, K_SOUND_SCATTER,
		 "a sound has source = NAME or scatter = yes, not both");
	if (line_source && !find_source(p->d, sd->source) && !is_live_input(p, sd->source)) {
		/* not on the stack: 16 kB */
		const char **names = calloc(SCENE_MAX_SOURCES + CONF_MAX_INPUTS, sizeof *names);
		size_t n = 0;
		if (names) {
			for (size_t i = 0; i < p->d->n_sources; i++)
				names[n++] = p->d->sources[i].name;
			n += live_inputs(p, names + n, CONF_MAX_INPUTS);
		}
		char list[256] = "";
		if (n)
			join_names(list, sizeof list, names, n);
		free(names);
		if (n)
			ini_fail(ini, line_source,
				 "[sound %s] source: no [source] or live input named '%s' (expected %s)",
				 sd->name, sd->source, list);
		else
			ini_fail(ini, line_source,
				 "[sound %s] source: no [source] or live input named '%s' (the scene has no [source] sections%s)",
				 sd->name, sd->source, p->conf ? " and the configuration no inputs" : "");
	}
	if (sd->n_files > 1)
		qsort(sd->files, sd->n_files, sizeof *sd->files, cmp_path);
}

static bool has_sound(const struct scene_desc *d, const char *name)
{
	for (size_t i = 0; i < d->n_sounds; i++)
		if (!strcmp(d->sounds[i].name, name))
			return true;
	return false;
}

static bool has_scene_input(const struct scene_desc *d, const char *name)
{
	for (size_t i = 0; i < d->n_inputs; i++)
		if (!strcmp(d->inputs[i].name, name))
			return true;
	return false;
}

/* What a [bind] line names must be in the scene (or a live input). */
static void finish_binds(struct parse *p)
{
	struct scene_desc *d = p->d;
	for (size_t i = 0; i < d->n_binds; i++) {
		const struct conf_bind *b = &d->binds[i];
		if ((b->kind == BIND_TRIGGER || b->kind == BIND_RELEASE) && !has_sound(d, b->target))
			ini_fail(&p->ini, b->line, "[bind] %s: no sound named '%s' in this scene", b->control,
				 b->target);
		if (!b->target[0] || (b->kind != BIND_VALUE && b->kind != BIND_XY))
			continue;
		bool input = is_live_input(p, b->target);
		if (b->target_input && !input) {
			/* An input the scene has an [input] section for travels
			 * with it: on a rig without it, said and left unused. */
			if (p->conf && p->conf->n_inputs && !has_scene_input(d, b->target))
				ini_fail(&p->ini, b->line, "[bind] %s: no live input named '%s'", b->control, b->target);
			else
				log_warn("%s:%d: [bind] %s: no live input named '%s' here; the binding does nothing",
					 p->ini.file, b->line, b->control, b->target);
		} else if (!b->target_input && !input && !find_source(d, b->target)) {
			ini_fail(&p->ini, b->line, "[bind] %s: no [source] or live input named '%s'", b->control,
				 b->target);
		}
	}
}

/* A send to a room the scene does not have does nothing: said, not refused
 * (the room may have been taken out for a while). */
static void finish_sends(struct parse *p)
{
	const struct scene_desc *d = p->d;
	if (d->has_room || p->ini.err_line)
		return; /* a file with errors is refused: no warnings on top */
	for (size_t i = 0; i < d->n_sources; i++) {
		int line = p->source_key_line[i][K_SOURCE_ROOM - K_SOURCE_FIRST];
		if (line && !isinf(d->sources[i].room_db))
			log_warn("%s:%d: [source %s] room: the scene has no [room]; the send does nothing",
				 p->ini.file, line, d->sources[i].name);
	}
	for (size_t i = 0; i < d->n_inputs; i++) {
		int line = p->input_key_line[i][K_INPUT_ROOM - K_INPUT_FIRST];
		if (line && !isinf(d->inputs[i].room_db))
			log_warn("%s:%d: [input %s] room: the scene has no [room]; the send does nothing",
				 p->ini.file, line, d->inputs[i].name);
	}
}

static void finish(struct parse *p)
{
	struct scene_desc *d = p->d;
	for (size_t i = 0; i < d->n_sounds; i++)
		finish_sound(p, &d->sounds[i], &p->sounds[i]);
	finish_binds(p);
	/* With a configuration this was checked at the [source] line. */
	if (!p->conf)
		for (size_t i = 0; i < d->n_sources; i++)
			if (is_live_input(p, d->sources[i].name))
				ini_fail(&p->ini, d->sources[i].line,
					 "[source %s]: an [input] of this scene has this name (expected another name; a sound may use the input itself as its source)",
					 d->sources[i].name);
	finish_sends(p);
}

/* --------------------------------------------------------------------- */

static void default_name(const char *path, char *name, size_t n)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	size_t len = strlen(base);
	if (len > 6 && !strcmp(base + len - 6, ".scene"))
		len -= 6;
	if (len >= n)
		len = n - 1;
	memcpy(name, base, len);
	name[len] = '\0';
}

int scene_parse(const char *path, const struct tingle_conf *conf, struct scene_desc *d, char *err,
		size_t errlen)
{
	memset(d, 0, sizeof *d);
	FILE *f = ini_open(path, sizeof d->path, "scene", err, errlen);
	if (!f)
		return -1;
	struct parse *p = calloc(1, sizeof *p);
	if (!p) {
		fclose(f);
		ini_set_err(err, errlen, "%s: %s", path, strerror(ENOMEM));
		return -1;
	}
	str_copy(d->path, sizeof d->path, path);
	default_name(path, d->name, sizeof d->name);
	d->fade = 2.0f;
	/* [room] keys not set, and the scene without a [room]: no room */
	d->room = (struct scene_room){ .decay = 0.0f, .size = 8.0f, .damping = 0.5f, .level = -6.0f,
				       .predelay = 10.0f, .line = 0 };
	p->d = d;
	p->conf = conf;
	ini_init(&p->ini, &scene_format, p, path);
	p->ini.f = f;
	ini_base_dir(path, p->ini.base, sizeof p->ini.base);

	int rc = ini_run(&p->ini, err, errlen);
	if (rc == 0) {
		finish(p);
		rc = ini_result(&p->ini, err, errlen);
	}
	fclose(f);
	free(p);
	if (rc < 0) {
		scene_desc_free(d);
		return -1;
	}
	log_debug("scene %s (%s): %zu sounds, %zu sources, %zu inputs, %zu bindings", d->name, path,
		  d->n_sounds, d->n_sources, d->n_inputs, d->n_binds);
	return 0;
}

void scene_desc_free(struct scene_desc *d)
{
	if (!d)
		return;
	size_t n = d->n_sounds < SCENE_MAX_SOUNDS ? d->n_sounds : SCENE_MAX_SOUNDS;
	for (size_t i = 0; i < n; i++) {
		free(d->sounds[i].files);
		d->sounds[i].files = NULL;
		d->sounds[i].n_files = 0;
	}
}

/* --------------------------------------------------------------------- */

static bool has_scene_suffix(const char *s)
{
	size_t len = strlen(s);
	return len > 6 && !strcmp(s + len - 6, ".scene") && s[len - 7] != '/';
}

bool scene_resolve(const char *name_or_file, const char *dir, char *path, size_t n, char *err,
		   size_t errlen)
{
	struct stat sb;
	ini_set_err(err, errlen, "%s", "");
	if (path && n)
		path[0] = '\0';
	if (!path || !n)
		return false;
	if (!name_or_file || !*name_or_file) {
		ini_set_err(err, errlen, "no scene name");
		return false;
	}
	const char *what = name_or_file;
	if (strchr(what, '/') || has_scene_suffix(what)) {
		/* A file, taken as it is; only a .scene file, so that a
		 * mistyped option does not read some other file as a scene. */
		if (!has_scene_suffix(what)) {
			ini_set_err(err, errlen,
				    "scene '%s': not a scene name nor a .scene file (expected a name of letters, digits, '_' and '-', or a file NAME.scene)",
				    what);
			return false;
		}
		if (strlen(what) >= n) {
			ini_set_err(err, errlen, "%s: %s", what, strerror(ENAMETOOLONG));
			return false;
		}
		if (stat(what, &sb) < 0) {
			ini_set_err(err, errlen, "%s: %s", what, strerror(errno));
			return false;
		}
		if (S_ISDIR(sb.st_mode)) {
			ini_set_err(err, errlen, "%s: %s", what, strerror(EISDIR));
			return false;
		}
		if (!S_ISREG(sb.st_mode)) {
			ini_set_err(err, errlen, "%s: not a regular file (got %s, expected a scene file)", what,
				    file_type_name(sb.st_mode));
			return false;
		}
		str_copy(path, n, what);
		return true;
	}
	if (!conf_valid_name(what)) {
		ini_set_err(err, errlen,
			    "scene '%s': invalid scene name (expected 1..%d letters, digits, '_' or '-', or a file NAME.scene)",
			    what, CONF_NAME_MAX - 1);
		return false;
	}
	char bundled[PATH_MAX];
	snprintf(bundled, sizeof bundled, "%s/scenes", tingle_datadir());
	const char *folder = dir && *dir ? dir : bundled;
	size_t flen = strlen(folder);
	int len = snprintf(path, n, "%s%s%s.scene", folder, folder[flen - 1] == '/' ? "" : "/", what);
	if (len < 0 || (size_t)len >= n) {
		path[0] = '\0';
		ini_set_err(err, errlen, "scene '%s': %s/%s.scene: %s", what, folder, what,
			    strerror(ENAMETOOLONG));
		return false;
	}
	int e = stat(path, &sb) < 0 ? errno : S_ISREG(sb.st_mode) ? 0 : S_ISDIR(sb.st_mode) ? EISDIR : -1;
	if (e) {
		if (e < 0)
			ini_set_err(err, errlen, "no scene '%s' (looked for %s: not a regular file, got %s)", what,
				    path, file_type_name(sb.st_mode));
		else
			ini_set_err(err, errlen, "no scene '%s' (looked for %s: %s)", what, path, strerror(e));
		path[0] = '\0';
		return false;
	}
	return true;
}
