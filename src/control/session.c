#include "config.h"
#include "control/session.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/limits.h"
#include "common/log.h"
#include "common/util.h"
#include "config/inifile.h"

/* The room send as the file says it: dB, or "off". */
static void format_room(float db, char *out, size_t n)
{
	if (isfinite(db))
		snprintf(out, n, "%.2f", (double)db);
	else
		str_copy(out, n, "off");
}

int session_write(struct control *c, const char *path, const char *scene, char *err, size_t errlen)
{
	/* A fresh temporary of our own in the session folder (mkstemp: created
	 * exclusively, never through a link someone planted there), written,
	 * synced and renamed over the state, so that a crash never leaves half
	 * a file and nothing outside the session is ever written. */
	char tmp[PATH_MAX + 16];
	if (snprintf(tmp, sizeof tmp, "%s.XXXXXX", path) >= (int)sizeof tmp) {
		snprintf(err, errlen, "%s: file name too long", path);
		return -1;
	}
	int fd = mkstemp(tmp);
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot create a temporary file beside it: %s", path, strerror(errno));
		return -1;
	}
	/* Readable as a file saved by the user would be (mkstemp gives 0600). */
	mode_t mask = umask(0);
	umask(mask);
	(void)fchmod(fd, 0666 & ~mask);
	FILE *f = fdopen(fd, "w");
	if (!f) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		return -1;
	}
	pthread_mutex_lock(&c->lock);
	fprintf(f, "# tingle session state, written by tingled: the scene, places and gains\n"
		   "# as they were when the session was saved, and bindings learned with /learn.\n"
		   "[state]\nscene = %s\nmaster = %.2f\n", scene, (double)c->master_db);
	for (unsigned i = 0; i < c->n_slots; i++) {
		const struct control_source *s = &c->src[i];
		char room[32];
		if (!s->name[0])
			continue;
		format_room(s->room_db, room, sizeof room);
		fprintf(f, "\n[%s %s]\nazimuth = %.2f\nelevation = %.2f\ndistance = %.3f\ngain = %.2f\nmute = %s\n"
			   "room = %s\n",
			s->is_input ? "input" : "source", s->name, (double)s->azimuth, (double)s->elevation,
			(double)s->distance, (double)s->gain_db, s->mute ? "yes" : "no", room);
	}
	if (c->n_learned) {
		fprintf(f, "\n[bind]\n");
		for (size_t k = 0; k < c->n_learned; k++)
			fprintf(f, "%s = %s\n", c->learned[k].control, c->learned[k].action);
	}
	pthread_mutex_unlock(&c->lock);
	bool ok = !ferror(f);
	ok &= fflush(f) == 0 && fsync(fileno(f)) == 0;
	ok &= fclose(f) == 0;
	if (!ok || rename(tmp, path) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	/* The rename itself lasts once the folder is synced. */
	char dir[PATH_MAX];
	str_copy(dir, sizeof dir, path);
	char *slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	int dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	return 0;
}

static int bad(char *err, size_t n, const char *path, int line, const char *what, const char *got)
{
	snprintf(err, n, "%s:%d: %s (got '%.60s')", path, line, what, got);
	return -1;
}

int session_read(const char *path, struct session *s, char *err, size_t errlen)
{
	memset(s, 0, sizeof *s);
	if (access(path, F_OK) < 0 && errno == ENOENT)
		return 1;
	FILE *f = ini_open(path, PATH_MAX, "session state", err, errlen);
	if (!f)
		return -1;
	char line[1024];
	int lineno = 0, rc = 0;
	enum { NONE, STATE, SOURCE, BIND } sect = NONE;
	struct session_source *cur = NULL;
	while (rc == 0 && fgets(line, sizeof line, f)) {
		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			rc = bad(err, errlen, path, lineno, "line too long", line);
			break;
		}
		char *t = str_trim(line);
		if (!*t || *t == '#' || *t == ';')
			continue;
		if (*t == '[') {
			char *end = strchr(t, ']');
			if (!end || end[1]) {
				rc = bad(err, errlen, path, lineno, "not a section header", t);
				break;
			}
			*end = '\0';
			char *name = str_trim(t + 1);
			bool input = !strncmp(name, "input ", 6);
			if (!strcmp(name, "state")) {
				sect = STATE;
			} else if (!strcmp(name, "bind")) {
				sect = BIND;
			} else if (input || !strncmp(name, "source ", 7)) {
				char *n = str_trim(name + (input ? 6 : 7));
				if (!conf_valid_name(n)) {
					rc = bad(err, errlen, path, lineno, "not a source name", n);
					break;
				}
				if (s->n_src == SESSION_MAX_SOURCES) {
					rc = bad(err, errlen, path, lineno, "too many sources", n);
					break;
				}
				cur = &s->src[s->n_src++];
				str_copy(cur->name, sizeof cur->name, n);
				cur->input = input;
				cur->distance = 1.0f;
				cur->room_db = -INFINITY;
				cur->line = lineno;
				sect = SOURCE;
			} else {
				rc = bad(err, errlen, path, lineno, "unknown section (expected state, source NAME, input NAME or bind)",
					 name);
			}
			continue;
		}
		char *eq = strchr(t, '=');
		if (!eq) {
			rc = bad(err, errlen, path, lineno, "expected KEY = VALUE", t);
			break;
		}
		*eq = '\0';
		char *key = str_trim(t), *val = str_trim(eq + 1);
		float v = 0.0f;
		if (sect == BIND) {
			if (s->n_learned == CONTROL_MAX_LEARNED)
				continue;
			struct conf_bind *b = &s->learned[s->n_learned];
			memset(b, 0, sizeof *b);
			str_copy(b->control, sizeof b->control, key);
			str_copy(b->action, sizeof b->action, val);
			b->line = lineno;
			char why[400];
			if (bind_parse(b, why, sizeof why) < 0) {
				snprintf(err, errlen, "%s:%d: [bind] %s: %s", path, lineno, key, why);
				rc = -1;
				break;
			}
			s->n_learned++;
		} else if (sect == STATE && !strcmp(key, "scene")) {
			str_copy(s->scene, sizeof s->scene, val);
		} else if (sect == STATE && !strcmp(key, "master")) {
			if (!parse_float(val, &s->master_db) || s->master_db < TINGLE_GAIN_DB_MIN || s->master_db > TINGLE_GAIN_DB_MAX)
				rc = bad(err, errlen, path, lineno, "master: not a gain -120..24 dB", val);
			s->has_master = true;
		} else if (sect == SOURCE && !strcmp(key, "room")) {
			if (!strcmp(val, "off")) {
				cur->room_db = -INFINITY;
			} else if (!parse_float(val, &cur->room_db) || cur->room_db < TINGLE_GAIN_DB_MIN ||
				   cur->room_db > TINGLE_SEND_DB_MAX) {
				rc = bad(err, errlen, path, lineno, "room: not a send -120..12 dB or off", val);
				break;
			}
			cur->has_room = true;
		} else if (sect == SOURCE && !strcmp(key, "mute")) {
			if (strcmp(val, "yes") && strcmp(val, "no"))
				rc = bad(err, errlen, path, lineno, "mute: expected yes or no", val);
			cur->mute = !strcmp(val, "yes");
		} else if (sect == SOURCE && (!strcmp(key, "azimuth") || !strcmp(key, "elevation") ||
					      !strcmp(key, "distance") || !strcmp(key, "gain"))) {
			static const struct { char key; float lo, hi; } range[] = {
				{ 'a', -360.0f, 360.0f }, { 'e', -90.0f, 90.0f }, { 'd', 0.0f, 100.0f }, { 'g', TINGLE_GAIN_DB_MIN, TINGLE_GAIN_DB_MAX },
			};
			size_t r = 0;
			while (range[r].key != key[0])
				r++;
			if (!parse_float(val, &v) || v < range[r].lo || v > range[r].hi) {
				rc = bad(err, errlen, path, lineno, "value out of range", val);
				break;
			}
			float *dst = key[0] == 'a' ? &cur->azimuth : key[0] == 'e' ? &cur->elevation
				   : key[0] == 'd' ? &cur->distance : &cur->gain_db;
			*dst = v;
		} else {
			rc = bad(err, errlen, path, lineno, "unknown key here", key);
		}
	}
	if (rc == 0 && ferror(f)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		rc = -1;
	}
	fclose(f);
	return rc;
}

/* One command through the table; what fails is said. */
static void apply_one(struct control *c, struct engine_queue *q, const char *file, int line, const char *path,
		      const char *types, const float *v)
{
	struct ctl_arg a[3];
	int n = 0;
	for (; types[n]; n++)
		a[n] = (struct ctl_arg){ .type = 'f', .f = v[n] };
	struct ctl_reply reply;
	char err[512];
	if (control_dispatch(c, q, 0, path, a, n, &reply, err, sizeof err) < 0)
		log_warn("%s:%d: %s; left as it is", file, line, err);
}

void session_apply(struct control *c, struct engine_queue *q, const struct session *s, const char *file)
{
	char path[CONF_NAME_MAX + 32];
	if (s->has_master)
		apply_one(c, q, file, 0, "/master/gain", "f", &s->master_db);
	for (size_t k = 0; k < s->n_src; k++) {
		const struct session_source *src = &s->src[k];
		float place[3] = { src->azimuth, src->elevation, src->distance }, mute = src->mute ? 1.0f : 0.0f;
		snprintf(path, sizeof path, "/source/%s/position", src->name);
		apply_one(c, q, file, src->line, path, "fff", place);
		snprintf(path, sizeof path, "/%s/%s/gain", src->input ? "input" : "source", src->name);
		apply_one(c, q, file, src->line, path, "f", &src->gain_db);
		snprintf(path, sizeof path, "/%s/%s/mute", src->input ? "input" : "source", src->name);
		apply_one(c, q, file, src->line, path, "f", &mute);
		if (src->has_room) {
			/* Below the range is off, as the command reads it. */
			float room = isfinite(src->room_db) ? src->room_db : TINGLE_GAIN_DB_MIN - 1.0f;
			snprintf(path, sizeof path, "/%s/%s/room", src->input ? "input" : "source", src->name);
			apply_one(c, q, file, src->line, path, "f", &room);
		}
	}
	for (size_t k = 0; k < s->n_learned; k++)
		control_add_learned(c, q, &s->learned[k]);
}
