#include "config.h"
#include "config/inifile.h"

#include "config/conf.h"
#include "common/util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* How it works: inih is fed through reader(), which hands it one whole
 * line at a time and classifies that line exactly as inih r55 will
 * (comment, continuation, section, key, syntax error). So the line number
 * is always known, section headers are opened at their own line (even
 * when the section has no keys), and overlong lines are reported on their
 * own line. inih's return value is still honoured as a fallback for
 * syntax errors. */

/* --------------------------------------------------------------------- */
/* Errors */

int ini_fail(struct inifile *ini, int line, const char *fmt, ...)
{
	if (ini->err_line && line >= ini->err_line)
		return 0;
	ini->err_line = line;
	int n = snprintf(ini->err, sizeof ini->err, "%s:%d: ", ini->file, line);
	if (n < 0 || (size_t)n >= sizeof ini->err)
		return 0;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ini->err + n, sizeof ini->err - (size_t)n, fmt, ap);
	va_end(ap);
	return 0;
}

int ini_bad(struct inifile *ini, const char *what, const char *value, const char *expected)
{
	size_t len = strlen(value);
	return ini_fail(ini, ini->line, "%s %s: %s (got '%.*s%s', expected %s)", ini->sect_label,
			ini->keyname, what, (int)(len > INI_SHOW_MAX ? INI_SHOW_MAX : len), value,
			len > INI_SHOW_MAX ? "..." : "", expected);
}

void ini_set_err(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || !errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* --------------------------------------------------------------------- */
/* Sections with names */

char *ini_section_arg(struct inifile *ini, char *name, const char *kind)
{
	size_t len = strlen(kind);
	if (strncmp(name, kind, len) || (name[len] != '\0' && !isspace((unsigned char)name[len])))
		return NULL;
	char *arg = str_trim(name + len);
	if (*arg)
		snprintf(ini->sect_label, sizeof ini->sect_label, "[%s %s]", kind, arg);
	else
		snprintf(ini->sect_label, sizeof ini->sect_label, "[%s]", kind);
	return arg;
}

bool ini_check_name(struct inifile *ini, const char *kind, const char *name)
{
	if (!*name) {
		ini_fail(ini, ini->line, "[%s]: no %s name (expected [%s NAME])", kind, kind, kind);
		return false;
	}
	if (!conf_valid_name(name)) {
		size_t len = strlen(name);
		ini_fail(ini, ini->line,
			 "%s: invalid %s name (got '%.*s%s', expected 1..%d letters, digits, '_' or '-')",
			 ini->sect_label, kind, (int)(len > INI_SHOW_MAX ? INI_SHOW_MAX : len), name,
			 len > INI_SHOW_MAX ? "..." : "", CONF_NAME_MAX - 1);
		return false;
	}
	return true;
}

/* --------------------------------------------------------------------- */
/* Values */

int ini_set_long(struct inifile *ini, const char *v, long lo, long hi, long *out)
{
	char expected[64];
	long x;
	snprintf(expected, sizeof expected, "a whole number %ld..%ld", lo, hi);
	if (!parse_int(v, &x))
		return ini_bad(ini, "not a whole number", v, expected);
	if (x < lo || x > hi)
		return ini_bad(ini, "out of range", v, expected);
	*out = x;
	return 1;
}

int ini_set_int(struct inifile *ini, const char *v, long lo, long hi, int *out)
{
	long x = 0;
	if (!ini_set_long(ini, v, lo, hi, &x))
		return 0;
	*out = (int)x;
	return 1;
}

int ini_set_float(struct inifile *ini, const char *v, float lo, float hi, float *out)
{
	char expected[64];
	float x;
	snprintf(expected, sizeof expected, "a number %g..%g", (double)lo, (double)hi);
	if (!parse_float(v, &x))
		return ini_bad(ini, "not a number", v, expected);
	if (x < lo || x > hi)
		return ini_bad(ini, "out of range", v, expected);
	*out = x;
	return 1;
}

int ini_set_db_or_off(struct inifile *ini, const char *v, float lo, float hi, float *out)
{
	char expected[64];
	float x;
	if (!strcasecmp(v, "off")) {
		*out = -INFINITY;
		return 1;
	}
	snprintf(expected, sizeof expected, "a number %g..%g (dB) or off", (double)lo, (double)hi);
	if (!parse_float(v, &x))
		return ini_bad(ini, "not a number", v, expected);
	if (x < lo || x > hi)
		return ini_bad(ini, "out of range", v, expected);
	*out = x;
	return 1;
}

int ini_set_bool(struct inifile *ini, const char *v, bool *out)
{
	if (!parse_bool(v, out))
		return ini_bad(ini, "not yes or no", v, "yes/no, true/false, on/off or 1/0");
	return 1;
}

int ini_set_text(struct inifile *ini, const char *v, char *dst, size_t n, bool may_be_empty)
{
	char expected[64];
	snprintf(expected, sizeof expected, "1..%zu characters", n - 1);
	if (!*v && !may_be_empty)
		return ini_bad(ini, "empty", v, expected);
	if (strlen(v) >= n)
		return ini_bad(ini, "too long", v, expected);
	str_copy(dst, n, v);
	return 1;
}

int ini_set_azimuth(struct inifile *ini, const char *v, float *out)
{
	float az;
	if (!parse_azimuth(v, &az))
		return ini_bad(ini, "not an azimuth", v, "degrees, or front, left, right or behind");
	*out = wrap_azimuth(az);
	return 1;
}

int ini_set_elevation(struct inifile *ini, const char *v, float *out)
{
	float el;
	if (parse_float(v, &el) && (el < -90.0f || el > 90.0f))
		return ini_bad(ini, "out of range", v, "degrees -90..90, or above, below or level");
	if (!parse_elevation(v, &el))
		return ini_bad(ini, "not an elevation", v, "degrees -90..90, or above, below or level");
	*out = el;
	return 1;
}

int ini_join_path(struct inifile *ini, const char *dir, const char *rel, const char *v, char *dst,
		  size_t n)
{
	size_t dlen = strlen(dir);
	const char *sep = dlen && dir[dlen - 1] == '/' ? "" : "/";
	int len = rel[0] ? snprintf(dst, n, "%s%s%s", dir, sep, rel) : snprintf(dst, n, "%s", dir);
	if (len < 0 || (size_t)len >= n) {
		dst[0] = '\0';
		return ini_bad(ini, "path too long", v, "a shorter path");
	}
	return 1;
}

int ini_set_path(struct inifile *ini, const char *v, char *dst, size_t n)
{
	if (v[0] == '/')
		return ini_join_path(ini, v, "", v, dst, n);
	if (v[0] == '~' && (v[1] == '\0' || v[1] == '/')) {
		const char *home = getenv("HOME");
		if (!home || !*home)
			return ini_bad(ini, "'~' but HOME is not set", v, "an absolute path");
		return ini_join_path(ini, home, v[1] ? v + 2 : "", v, dst, n);
	}
	return ini_join_path(ini, ini->base, v, v, dst, n);
}

bool ini_split_list(struct inifile *ini, const char *v, char *buf, size_t bufn, char **words,
		    size_t max_words, size_t *nw, size_t have, size_t limit)
{
	str_copy(buf, bufn, v);
	*nw = str_split(buf, words, max_words);
	if (have + *nw > limit) {
		char expected[64];
		snprintf(expected, sizeof expected, "at most %zu entries", limit);
		ini_bad(ini, "too many entries", v, expected);
		return false;
	}
	return true;
}

int ini_set_bind(struct inifile *ini, const char *control, const char *action, bool cont,
		 struct conf_bind *binds, size_t *n, size_t max)
{
	if (cont)
		return ini_fail(ini, ini->line,
				"%s %s: indented line read as more of this binding's action (expected the line not indented)",
				ini->sect_label, control);
	char first[16] = "";
	char second[2] = "";
	/* First word and the start of the second. */
	sscanf(control, "%15s %1s", first, second);
	if (strcmp(first, "osc") && strcmp(first, "midi"))
		return ini_bad(ini, "not a control", control,
			       "osc /ADDRESS or midi ..., such as 'osc /1/push1' or 'midi cc 64'");
	if (!strcmp(first, "osc") && second[0] != '/')
		return ini_bad(ini, "no OSC address", control, "osc /ADDRESS, such as 'osc /1/push1'");
	if (!strcmp(first, "midi") && !second[0])
		return ini_bad(ini, "no MIDI message", control, "midi cc N, midi note N or midi pc");
	if (strlen(control) >= sizeof binds[0].control)
		return ini_bad(ini, "control too long", control, "a shorter control");
	if (!*action)
		return ini_bad(ini, "no action", action, "an action such as 'trigger tap' or 'scene next'");
	if (strlen(action) >= sizeof binds[0].action)
		return ini_bad(ini, "action too long", action, "a shorter action");
	if (*n >= max) {
		char expected[64];
		snprintf(expected, sizeof expected, "at most %zu bindings", max);
		return ini_bad(ini, "too many bindings", action, expected);
	}
	struct conf_bind *b = &binds[*n];
	memset(b, 0, sizeof *b);
	str_copy(b->control, sizeof b->control, control);
	str_copy(b->action, sizeof b->action, action);
	b->line = ini->line;
	char why[512];
	if (bind_parse(b, why, sizeof why) < 0)
		return ini_fail(ini, ini->line, "%s %s: %s", ini->sect_label, control, why);
	(*n)++;
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

/* s points at the '[' of a section header line. */
static void open_section(struct inifile *ini, const char *s)
{
	const char *end = find_chars_or_comment(s + 1, "]");
	if (*end != ']') {
		/* inih keeps the section it had */
		ini_fail(ini, ini->line, "syntax error (no ']' to close the section name)");
		return;
	}
	ini->key[0] = '\0';

	char name[INI_LINE_MAX];
	size_t len = (size_t)(end - s - 1);
	memcpy(name, s + 1, len);
	name[len] = '\0';
	char *n = str_trim(name);
	snprintf(ini->sect_label, sizeof ini->sect_label, "[%s]", n);
	ini->sect = INI_SECT_BAD;
	ini->raw = false;
	ini->fmt->section(ini, n);

	const char *rest = end + 1;
	while (isspace((unsigned char)*rest))
		rest++;
	if (*rest && *rest != ';' && *rest != '#')
		ini_fail(ini, ini->line,
			 "%s: text after the section header (got '%s', expected a new line or a comment)",
			 ini->sect_label, rest);
}

/* Classify a line exactly as inih will; line is the whole line, without
 * its line end. */
static void classify(struct inifile *ini, const char *line)
{
	const char *s = line;
	if (ini->line == 1 && (unsigned char)s[0] == 0xEF && (unsigned char)s[1] == 0xBB &&
	    (unsigned char)s[2] == 0xBF)
		s += 3;
	while (isspace((unsigned char)*s))
		s++;
	if (!*s || *s == ';' || *s == '#')
		return; /* blank or comment */
	if (ini->key[0] && s > line) {
		ini->cont = true;
		return;
	}
	if (*s == '[') {
		open_section(ini, s);
		return;
	}
	const char *end = find_chars_or_comment(s, "=:");
	if (*end != '=' && *end != ':') {
		size_t len = strlen(s);
		ini_fail(ini, ini->line,
			 "syntax error (got '%.*s%s', expected [section], key = value or a comment)",
			 (int)(len > INI_SHOW_MAX ? INI_SHOW_MAX : len), s, len > INI_SHOW_MAX ? "..." : "");
	}
}

/* The next line into ini->buf, NUL-terminated, without its line end (LF
 * or CR LF): *len is its whole length, of which at most INI_LINE_MAX
 * bytes are kept (the rest of a longer line is read and dropped, so no
 * line, however long, takes more memory). NULL at the end, on a read
 * error (ini->read_errno: never taken for the end) and when a file has
 * more bytes than a config or scene file may have (ini->too_big). */
static const char *next_line(struct inifile *ini, size_t *len)
{
	size_t n = 0;
	bool cr = false;
	if (ini->f) {
		int c = EOF;
		errno = 0;
		while ((c = getc(ini->f)) != EOF) {
			if (++ini->bytes > TINGLE_TEXT_FILE_MAX_BYTES) {
				ini->too_big = true;
				return NULL;
			}
			if (c == '\n')
				break;
			if (n < INI_LINE_MAX)
				ini->buf[n] = (char)c;
			n++;
			cr = c == '\r';
		}
		if (c == EOF) {
			if (ferror(ini->f)) {
				ini->read_errno = errno ? errno : EIO;
				return NULL;
			}
			if (!n)
				return NULL;
		}
	} else {
		if (!ini->text || !*ini->text)
			return NULL;
		const char *nl = strchr(ini->text, '\n');
		n = nl ? (size_t)(nl - ini->text) : strlen(ini->text);
		memcpy(ini->buf, ini->text, n < INI_LINE_MAX ? n : INI_LINE_MAX);
		cr = n && ini->text[n - 1] == '\r';
		ini->text += nl ? n + 1 : n;
	}
	if (cr)
		n--; /* a CR LF line end */
	ini->buf[n < INI_LINE_MAX ? n : INI_LINE_MAX] = '\0';
	*len = n;
	return ini->buf;
}

/* Of an overlong line, what inih is handed instead: "key =" when it is a
 * key line whose key fits, so that the key counts as set (and no "no
 * samples" or "missing key" is reported for it elsewhere), else nothing.
 * Returns the length of that start of s. */
static size_t key_part(const struct inifile *ini, const char *s, size_t max)
{
	const char *p = s;
	if (ini->line == 1 && (unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB &&
	    (unsigned char)p[2] == 0xBF)
		p += 3;
	if (!*p || isspace((unsigned char)*p) || *p == ';' || *p == '#' || *p == '[')
		return 0; /* indented (more of a list), a comment or a section */
	const char *end = find_chars_or_comment(p, "=:");
	if ((*end != '=' && *end != ':') || (size_t)(end - s) + 1 > max)
		return 0;
	return (size_t)(end - s) + 1;
}

/* The ini_reader: one whole line a call, whatever num is. Lines that do
 * not fit are reported here and handed to inih as their key alone (see
 * key_part) or as blank lines, so that inih never splits a line (which
 * would shift every line number after). */
static char *reader(char *str, int num, void *stream)
{
	struct inifile *ini = stream;
	size_t len;
	const char *s = next_line(ini, &len);
	if (!s || num < 3)
		return NULL;
	ini->line++;
	ini->cont = false;
	ini->value_lost = false;

	size_t max = (size_t)num - 2; /* room for "\n\0" */
	if (max > INI_LINE_MAX - 1)
		max = INI_LINE_MAX - 1;
	if (len > max) {
		ini_fail(ini, ini->line,
			 "line too long (got %zu characters, expected at most %zu; a list may go on over indented lines)",
			 len, max);
		len = key_part(ini, s, max);
		ini->value_lost = true;
	} else if (memchr(s, '\0', len)) {
		ini_fail(ini, ini->line, "the line contains a NUL byte (expected text)");
		len = 0;
	}
	memcpy(str, s, len);
	str[len] = '\0';
	classify(ini, str);
	str[len] = '\n';
	str[len + 1] = '\0';
	return str;
}

static int find_key(const struct inifile *ini, const char *name)
{
	for (int k = 0; k < ini->fmt->n_keys; k++)
		if (ini->fmt->keys[k].sect == ini->sect && !strcmp(ini->fmt->keys[k].name, name))
			return k;
	return -1;
}

static int unknown_key(struct inifile *ini, const char *name)
{
	char known[512] = "";
	for (int k = 0; k < ini->fmt->n_keys; k++) {
		const struct ini_key *def = &ini->fmt->keys[k];
		if (def->sect != ini->sect || def->hidden)
			continue;
		size_t n = strlen(known);
		snprintf(known + n, sizeof known - n, "%s%s", n ? ", " : "", def->name);
	}
	return ini_fail(ini, ini->line, "%s %s: unknown key (expected %s)", ini->sect_label, name, known);
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct inifile *ini = user;
	(void)section; /* ours is not truncated to 50 characters */
	char v[INI_LINE_MAX];

	if (!ini->cont)
		str_copy(ini->key, sizeof ini->key, name);
	ini->keyname = ini->key;
	str_copy(v, sizeof v, value);
	if (ini->cont)
		strip_inline_comment(v); /* inih leaves them on continuation lines */

	if (!ini->key[0])
		return ini_fail(ini, ini->line, "no key before '=' (expected key = value)");
	if (ini->cont && v[0] == '[')
		return ini_fail(ini, ini->line,
				"%s %s: indented section header read as more of the value of %s (expected '[' at the start of the line)",
				ini->sect_label, ini->key, ini->key);
	if (ini->sect == INI_SECT_NONE)
		return ini_fail(ini, ini->line,
				"%s: key outside any section (expected a [section] line before it)", ini->key);
	if (ini->sect == INI_SECT_BAD)
		return 0; /* already reported */
	if (ini->raw && ini->value_lost)
		return 0; /* the line is reported as too long */
	if (ini->raw)
		return ini->fmt->raw(ini, ini->key, v, ini->cont);

	int k = find_key(ini, ini->key);
	if (k < 0)
		return unknown_key(ini, ini->key);
	if (ini->cont && !ini->fmt->keys[k].list)
		return ini_fail(ini, ini->line,
				"%s %s: indented line read as more of the value of %s, which takes one value (expected the line not indented)",
				ini->sect_label, ini->key, ini->key);
	if (!ini->cont && ini->fmt->key_line) {
		int *seen = ini->fmt->key_line(ini, k);
		if (seen && *seen)
			return ini_fail(ini, ini->line, "%s %s: set twice (first on line %d)",
					ini->sect_label, ini->key, *seen);
		if (seen)
			*seen = ini->line;
	}
	if (ini->value_lost)
		return 0; /* the key is set, the line reported as too long */

	/* name = "tingle" is taken as name = tingle */
	size_t len = strlen(v);
	if (len >= 2 && v[0] == '"' && v[len - 1] == '"') {
		v[len - 1] = '\0';
		memmove(v, v + 1, len - 1);
	}
	return ini->fmt->value(ini, k, v, ini->cont);
}

/* --------------------------------------------------------------------- */

void ini_init(struct inifile *ini, const struct ini_format *fmt, void *user, const char *file)
{
	memset(ini, 0, sizeof *ini);
	ini->fmt = fmt;
	ini->user = user;
	ini->file = file;
	ini->sect = INI_SECT_NONE;
}

FILE *ini_open(const char *path, size_t max_len, const char *what, char *err, size_t errlen)
{
	ini_set_err(err, errlen, "%s", "");
	if (!path || !*path) {
		ini_set_err(err, errlen, "no %s file name", what);
		return NULL;
	}
	if (strlen(path) >= max_len) {
		ini_set_err(err, errlen, "%s: %s", path, strerror(ENAMETOOLONG));
		return NULL;
	}
	/* O_NONBLOCK: opening a FIFO for reading waits for a writer; fstat
	 * then says what it is before anything is read. */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	struct stat sb;
	if (fd < 0) {
		int e = errno;
		if (e == ENXIO && stat(path, &sb) == 0 && !S_ISREG(sb.st_mode))
			ini_set_err(err, errlen, "%s: not a regular file (got %s, expected a %s file)", path,
				    file_type_name(sb.st_mode), what);
		else
			ini_set_err(err, errlen, "%s: %s", path, strerror(e));
		return NULL;
	}
	if (fstat(fd, &sb) < 0) {
		ini_set_err(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	if (S_ISDIR(sb.st_mode)) {
		ini_set_err(err, errlen, "%s: %s", path, strerror(EISDIR));
		close(fd);
		return NULL;
	}
	if (!S_ISREG(sb.st_mode)) {
		ini_set_err(err, errlen, "%s: not a regular file (got %s, expected a %s file)", path,
			    file_type_name(sb.st_mode), what);
		close(fd);
		return NULL;
	}
	if (sb.st_size > TINGLE_TEXT_FILE_MAX_BYTES) {
		ini_set_err(err, errlen, "%s: larger than %s (got %lld bytes, expected a %s file of at most %s)",
			    path, TINGLE_TEXT_FILE_MAX_TEXT, (long long)sb.st_size, what,
			    TINGLE_TEXT_FILE_MAX_TEXT);
		close(fd);
		return NULL;
	}
	int flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
		ini_set_err(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	FILE *f = fdopen(fd, "r");
	if (!f) {
		ini_set_err(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
	}
	return f;
}

void ini_base_dir(const char *path, char *out, size_t n)
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

int ini_run(struct inifile *ini, char *err, size_t errlen)
{
	int ret = ini_parse_stream(reader, ini, handler, ini);
	if (ini->read_errno) {
		ini_set_err(err, errlen, "%s: %s", ini->file, strerror(ini->read_errno));
		return -1;
	}
	if (ini->too_big) {
		ini_set_err(err, errlen, "%s: larger than %s (more than %ld bytes to read)",
			    ini->file, TINGLE_TEXT_FILE_MAX_TEXT, (long)TINGLE_TEXT_FILE_MAX_BYTES);
		return -1;
	}
	if (ret > 0)
		ini_fail(ini, ret, "syntax error");
	else if (ret < 0)
		ini_fail(ini, ini->line ? ini->line : 1, "out of memory");
	return 0;
}

int ini_result(const struct inifile *ini, char *err, size_t errlen)
{
	if (ini->err_line) {
		ini_set_err(err, errlen, "%s", ini->err);
		return -1;
	}
	return 0;
}
