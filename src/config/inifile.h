/* The INI reading shared by tingled.conf and the scene files: inih does
 * the tokenising, fed through our own line reader, so that every message
 * carries the right line, section headers are seen at their own line
 * (inih never reports them), overlong lines are errors instead of being
 * split, and of all the errors in a file the one on the lowest line is
 * the one reported, as "FILE:LINE: [section] key: problem (got 'VALUE',
 * expected ...)".
 *
 * A format (conf.c, scene.c) describes its keys in a table and gives
 * three callbacks: one for each section header, one for each value of a
 * known key, and one for the lines of free-form sections such as [bind].
 * Unknown keys, keys outside any section, keys set twice and indented
 * lines that are not the continuation of a list are reported here. */
#ifndef TINGLE_INIFILE_H
#define TINGLE_INIFILE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "common/limits.h"

struct conf_bind;

#define INI_LINE_MAX TINGLE_LINE_MAX /* longer than any line inih will take */
#define INI_SHOW_MAX 60        /* values longer than this are cut in messages */

/* Section kinds are the format's own numbers, with these two reserved. */
#define INI_SECT_NONE 0        /* before the first section header */
#define INI_SECT_BAD (-1)      /* a section already reported: its keys are ignored */

struct ini_key {
	int sect;                  /* the section kind it belongs to */
	const char *name;
	bool list;                 /* may continue on indented lines */
	bool hidden;               /* known (handed to value()), but not listed as expected */
};

struct inifile;

struct ini_format {
	const struct ini_key *keys;
	int n_keys;
	/* A section header. name is the trimmed text between the brackets,
	 * ini->sect_label is "[name]"; the callback sets ini->sect (it is
	 * INI_SECT_BAD on entry) and ini->raw, may change the label, and
	 * reports what is wrong with ini_fail(). */
	void (*section)(struct inifile *ini, char *name);
	/* The value of keys[key] in the current section, quotes removed.
	 * cont: an indented line continuing a list key. Returns 1, or 0
	 * after reporting. */
	int (*value)(struct inifile *ini, int key, char *value, bool cont);
	/* A line of a section whose keys are free-form (ini->raw set). */
	int (*raw)(struct inifile *ini, const char *key, const char *value, bool cont);
	/* Where the line that set keys[key] in the current section is kept
	 * (0 while unset), for "set twice"; NULL (or a NULL result) means
	 * no such check. */
	int *(*key_line)(struct inifile *ini, int key);
};

struct inifile {
	const struct ini_format *fmt;
	void *user;                  /* the format's parse state */
	const char *file;            /* the name in messages */
	char base[PATH_MAX];         /* directory relative paths start from */

	/* line source: a file or text in memory */
	FILE *f;
	const char *text;
	char buf[INI_LINE_MAX + 1];  /* the start of the current line */
	long bytes;                  /* read from f so far */
	int read_errno;
	bool too_big;                /* f had more than TINGLE_TEXT_FILE_MAX_BYTES */

	/* the current line, as the reader classified it */
	int line;
	bool cont;                   /* continues the value of key[] */
	bool value_lost;             /* too long: only its key was kept */
	int sect;                    /* INI_SECT_NONE, INI_SECT_BAD or the format's kind */
	bool raw;                    /* free-form keys: handed to fmt->raw */
	char sect_label[INI_LINE_MAX]; /* "[jack]", "[input harp]" */
	char key[INI_LINE_MAX];      /* last key, "" after a section header */
	const char *keyname;         /* key of the line being handled */

	int err_line;                /* 0: no error yet */
	char err[PATH_MAX + 1024];
};

/* Set up *ini (zeroed first) to read for fmt; file names the source in
 * messages. Then set ini->f or ini->text, and ini->base. */
void ini_init(struct inifile *ini, const struct ini_format *fmt, void *user, const char *file);
/* The absolute directory of path (the current directory when path is
 * NULL or has no '/'). */
void ini_base_dir(const char *path, char *out, size_t n);

/* Open a file to parse: NULL with err "no WHAT file name", "PATH: File
 * name too long" (longer than max_len - 1), "PATH: strerror", "PATH: not
 * a regular file (got a FIFO, expected a WHAT file)" (or a character
 * device, ...; a folder is "PATH: Is a directory") or "PATH: larger than
 * 1 MiB (got N bytes, ...)". Only regular files are opened, and the open
 * never blocks (a FIFO with no writer would hang it). */
FILE *ini_open(const char *path, size_t max_len, const char *what, char *err, size_t errlen);

/* Read every line. Returns -1 with err = "FILE: strerror" when the source
 * could not be read (a read error is never taken for the end of the
 * file), or "FILE: larger than 1 MiB ..." when it grew past that while
 * being read; 0 otherwise, with the errors found recorded. */
int ini_run(struct inifile *ini, char *err, size_t errlen);
/* After the format's own whole-file checks: 0, or -1 with err set to the
 * error on the lowest line. Frees nothing; ini may be dropped after. */
int ini_result(const struct inifile *ini, char *err, size_t errlen);

/* Record an error unless one on an earlier (or the same) line is already
 * recorded; the message is prefixed with "FILE:LINE: ". Returns 0. */
int ini_fail(struct inifile *ini, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* On the current line: "[section] key: what (got 'VALUE', expected EXPECTED)". Returns 0. */
int ini_bad(struct inifile *ini, const char *what, const char *value, const char *expected);
/* snprintf into err, when there is one. */
void ini_set_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* For "[kind NAME]" sections: when name is kind, alone or followed by
 * white space, sets the label to "[kind NAME]" (or "[kind]") and returns
 * NAME trimmed (maybe ""); NULL otherwise. */
char *ini_section_arg(struct inifile *ini, char *name, const char *kind);
/* Checks the NAME of a "[kind NAME]" section with conf_valid_name();
 * reports and returns false when it is missing or invalid. */
bool ini_check_name(struct inifile *ini, const char *kind, const char *name);

/* Value setters for the current line. Each returns 1, or 0 after
 * reporting what is wrong (*out then untouched). */
int ini_set_int(struct inifile *ini, const char *v, long lo, long hi, int *out);
int ini_set_long(struct inifile *ini, const char *v, long lo, long hi, long *out);
int ini_set_float(struct inifile *ini, const char *v, float lo, float hi, float *out);
int ini_set_bool(struct inifile *ini, const char *v, bool *out);
/* A level in dB, lo..hi, or the word off (any case) for -INFINITY: no
 * signal at all, such as a room send that is not there. */
int ini_set_db_or_off(struct inifile *ini, const char *v, float lo, float hi, float *out);
int ini_set_text(struct inifile *ini, const char *v, char *dst, size_t n, bool may_be_empty);
/* Degrees or front/left/right/behind, wrapped to [-180, 180). */
int ini_set_azimuth(struct inifile *ini, const char *v, float *out);
/* Degrees -90..90 or above/below/level. */
int ini_set_elevation(struct inifile *ini, const char *v, float *out);
/* dir "/" rel (or dir alone when rel is ""); v is the value shown when too long. */
int ini_join_path(struct inifile *ini, const char *dir, const char *rel, const char *v, char *dst,
		  size_t n);
/* Absolute paths as they are, "~" and "~/..." from $HOME, anything else
 * relative to ini->base. */
int ini_set_path(struct inifile *ini, const char *v, char *dst, size_t n);
/* Split a list (spaces or commas) of v into words[] (pointers into buf);
 * false, reported, when have + the number of words would pass limit. */
bool ini_split_list(struct inifile *ini, const char *v, char *buf, size_t bufn, char **words,
		    size_t max_words, size_t *nw, size_t have, size_t limit);

/* A [bind] line, "control = action", as tingled.conf and scenes have it:
 * the control is "osc /ADDRESS" or "midi ..."; stored as written in
 * binds[*n] (at most max). */
int ini_set_bind(struct inifile *ini, const char *control, const char *action, bool cont,
		 struct conf_bind *binds, size_t *n, size_t max);

#endif
