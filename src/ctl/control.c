#include "config.h"
#include "ctl/control.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "ctl/scene_build.h"
#include "rt/engine.h"

/* Edge of a TouchOSC XY pad, in metres from the head. */
#define XY_PAD_RADIUS 2.0f

struct control *control_new(struct engine *e)
{
	struct control *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->engine = e;
	c->n_slots = engine_n_sources(e);
	c->src = calloc(c->n_slots, sizeof *c->src);
	if (!c->src) {
		free(c);
		return NULL;
	}
	pthread_mutex_init(&c->lock, NULL);
	c->ceiling_db = -1.0f;
	return c;
}

void control_free(struct control *c)
{
	if (!c)
		return;
	pthread_mutex_destroy(&c->lock);
	free(c->src);
	free(c);
}

bool ctl_number(const struct ctl_arg *a, float *out)
{
	if (a->type == 'f' && isfinite(a->f)) {
		*out = a->f;
		return true;
	}
	if (a->type == 'i') {
		*out = (float)a->i;
		return true;
	}
	return false;
}

static int fail(char *err, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, n, fmt, ap);
	va_end(ap);
	return -1;
}

static int push(struct engine_queue *q, const struct engine_cmd *cmd, const char *path, char *err,
		size_t n)
{
	if (!engine_queue_push(q, cmd)) {
		fail(err, n, "%s: engine queue full, command dropped", path);
		return CONTROL_QUEUE_FULL;
	}
	return 0;
}

static int send_place(struct control *c, struct engine_queue *q, uint32_t offset, int slot,
		      unsigned flags, const char *path, char *err, size_t n)
{
	const struct control_source *s = &c->src[slot];
	struct engine_cmd cmd = { .type = ENGINE_CMD_SOURCE_PLACE, .flags = (uint16_t)flags,
				  .target = slot, .offset = offset,
				  .f = { s->azimuth, s->elevation, s->distance } };
	return push(q, &cmd, path, err, n);
}

static int send_source(struct control *c, struct engine_queue *q, int slot, bool at_once, char *err,
		       size_t n)
{
	const struct control_source *s = &c->src[slot];
	struct engine_cmd cmds[] = {
		{ .type = ENGINE_CMD_SOURCE_PLACE, .target = slot,
		  .flags = ENGINE_PLACE_AZ | ENGINE_PLACE_EL | ENGINE_PLACE_DIST,
		  .f = { s->azimuth, s->elevation, s->distance } },
		{ .type = ENGINE_CMD_SOURCE_GAIN, .target = slot, .f = { s->gain_db } },
		{ .type = ENGINE_CMD_SOURCE_MUTE, .target = slot, .i = s->mute },
		{ .type = ENGINE_CMD_SOURCE_ACTIVE, .target = slot, .i = 1,
		  .flags = at_once ? ENGINE_ACTIVE_AT_ONCE : 0 },
	};
	for (size_t k = 0; k < TINGLE_ARRAY_LEN(cmds); k++)
		if (push(q, &cmds[k], s->name, err, n) < 0)
			return -1;
	return 0;
}

/* A live input's values: the configuration's, overridden by the playing
 * scene's [input] section. */
static void input_effective(const struct control *c, struct control_source *s)
{
	const struct conf_input *in = &s->defaults;
	s->azimuth = wrap_azimuth(in->azimuth);
	s->elevation = in->elevation;
	s->distance = in->distance;
	s->gain_db = in->gain_db;
	s->mute = in->mute;
	if (!c->scene)
		return;
	const struct scene_desc *d = &c->scene->desc;
	for (size_t k = 0; k < d->n_inputs; k++) {
		const struct scene_input *si = &d->inputs[k];
		if (strcmp(si->name, s->name))
			continue;
		if (si->has_gain)
			s->gain_db = si->gain_db;
		if (si->has_mute)
			s->mute = si->mute;
		if (si->has_azimuth)
			s->azimuth = wrap_azimuth(si->azimuth);
		if (si->has_elevation)
			s->elevation = si->elevation;
		if (si->has_distance)
			s->distance = si->distance;
	}
}

/* Live inputs fade in (a microphone is already sounding). */
static int send_source_all(struct control *c, struct engine_queue *q, int slot, char *err, size_t n)
{
	return send_source(c, q, slot, false, err, n);
}

static int find_locked(const struct control *c, const char *name)
{
	for (unsigned i = 0; i < c->n_slots; i++)
		if (c->src[i].name[0] && !strcmp(c->src[i].name, name))
			return (int)i;
	return -1;
}

int control_find_source(struct control *c, const char *name)
{
	pthread_mutex_lock(&c->lock);
	int slot = find_locked(c, name);
	pthread_mutex_unlock(&c->lock);
	return slot;
}

int control_apply_conf(struct control *c, struct engine_queue *q, const struct tingle_conf *conf,
		       int *slots, char *err, size_t errlen)
{
	int rc = 0;
	pthread_mutex_lock(&c->lock);
	/* Enough room for the new inputs? Check before changing anything. */
	unsigned free_slots = 0, needed = 0;
	for (unsigned i = 0; i < c->n_slots; i++) {
		const struct control_source *s = &c->src[i];
		if ((!s->name[0] && !s->reserved) || (s->is_input && !conf_find_input(conf, s->name)))
			free_slots++;
	}
	for (size_t k = 0; k < conf->n_inputs; k++) {
		int slot = find_locked(c, conf->inputs[k].name);
		if (slot < 0)
			needed++;
		else if (!c->src[slot].is_input) {
			pthread_mutex_unlock(&c->lock);
			return fail(err, errlen, "input %s: a source of that name exists", conf->inputs[k].name);
		}
	}
	if (needed > free_slots) {
		pthread_mutex_unlock(&c->lock);
		return fail(err, errlen, "%zu inputs need more sources than the engine has free (%u); "
			    "[engine] sources changes at the next start", conf->n_inputs, free_slots);
	}
	/* Free the inputs that are gone. */
	for (unsigned i = 0; i < c->n_slots; i++) {
		struct control_source *s = &c->src[i];
		if (!s->is_input || conf_find_input(conf, s->name))
			continue;
		struct engine_cmd off = { .type = ENGINE_CMD_SOURCE_ACTIVE, .target = (int)i, .i = 0 };
		if (push(q, &off, s->name, err, errlen) < 0)
			rc = -1;
		memset(s, 0, sizeof *s);
	}
	for (size_t k = 0; k < conf->n_inputs && rc == 0; k++) {
		const struct conf_input *in = &conf->inputs[k];
		int slot = find_locked(c, in->name);
		if (slot >= 0 && !c->src[slot].is_input) {
			rc = fail(err, errlen, "input %s: a source of that name exists", in->name);
			break;
		}
		for (unsigned i = 0; slot < 0 && i < c->n_slots; i++)
			if (!c->src[i].name[0] && !c->src[i].reserved)
				slot = (int)i;
		if (slot < 0) {
			rc = fail(err, errlen, "input %s: no free source (raise [engine] sources)", in->name);
			break;
		}
		struct control_source *s = &c->src[slot];
		str_copy(s->name, sizeof s->name, in->name);
		s->is_input = true;
		s->defaults = *in;
		input_effective(c, s);
		if (slots)
			slots[k] = slot;
		rc = send_source_all(c, q, slot, err, errlen);
	}
	if (rc == 0) {
		c->master_db = conf->master_gain_db;
		c->ceiling_db = conf->ceiling_db;
		struct engine_cmd m = { .type = ENGINE_CMD_MASTER_GAIN, .f = { c->master_db } };
		struct engine_cmd l = { .type = ENGINE_CMD_CEILING, .f = { c->ceiling_db } };
		if (push(q, &m, "/master/gain", err, errlen) < 0 || push(q, &l, "ceiling", err, errlen) < 0)
			rc = -1;
	}
	pthread_mutex_unlock(&c->lock);
	return rc;
}

int control_reserve_slots(struct control *c, int *slots, unsigned n)
{
	pthread_mutex_lock(&c->lock);
	unsigned got = 0;
	for (unsigned i = 0; i < c->n_slots && got < n; i++)
		if (!c->src[i].name[0] && !c->src[i].reserved)
			slots[got++] = (int)i;
	if (got < n) {
		for (unsigned k = 0; k < got; k++)
			slots[k] = -1;
		pthread_mutex_unlock(&c->lock);
		return -1;
	}
	for (unsigned k = 0; k < n; k++) {
		memset(&c->src[slots[k]], 0, sizeof c->src[slots[k]]);
		c->src[slots[k]].reserved = true;
	}
	pthread_mutex_unlock(&c->lock);
	return 0;
}

void control_release_slots(struct control *c, const int *slots, unsigned n)
{
	pthread_mutex_lock(&c->lock);
	for (unsigned k = 0; k < n; k++)
		if (slots[k] >= 0 && (unsigned)slots[k] < c->n_slots && c->src[slots[k]].reserved)
			memset(&c->src[slots[k]], 0, sizeof c->src[slots[k]]);
	pthread_mutex_unlock(&c->lock);
}

int control_set_scene(struct control *c, struct engine_queue *q, struct loaded_scene *ls, char *err,
		      size_t errlen)
{
	int rc = 0;
	pthread_mutex_lock(&c->lock);
	/* The old scene's sources lose their names (they ring on, unnamed). */
	for (unsigned i = 0; i < c->n_slots; i++)
		if (c->src[i].reserved)
			c->src[i].name[0] = '\0';
	c->scene = ls;
	if (ls) {
		const struct scene_desc *d = &ls->desc;
		for (size_t k = 0; k < d->n_sources && rc == 0; k++) {
			struct control_source *s = &c->src[ls->source_slot[k]];
			str_copy(s->name, sizeof s->name, d->sources[k].name);
			s->azimuth = wrap_azimuth(d->sources[k].azimuth);
			s->elevation = d->sources[k].elevation;
			s->distance = d->sources[k].distance;
			s->gain_db = 0.0f;
			s->mute = false;
			rc = send_source(c, q, ls->source_slot[k], true, err, errlen);
		}
		for (unsigned k = 0; k < ls->n_scatter_slots && rc == 0; k++) {
			struct engine_cmd g = { .type = ENGINE_CMD_SOURCE_GAIN, .target = ls->scatter_slots[k] };
			struct engine_cmd m = { .type = ENGINE_CMD_SOURCE_MUTE, .target = ls->scatter_slots[k] };
			rc = push(q, &g, d->path, err, errlen);
			if (rc == 0)
				rc = push(q, &m, d->path, err, errlen);
		}
	}
	for (unsigned i = 0; i < c->n_slots && rc == 0; i++) {
		struct control_source *s = &c->src[i];
		if (!s->is_input)
			continue;
		input_effective(c, s);
		rc = send_source_all(c, q, (int)i, err, errlen);
	}
	if (rc == 0) {
		struct engine_cmd cmd = { .type = ENGINE_CMD_SCENE, .ptr = ls ? ls->eng : NULL };
		rc = push(q, &cmd, "scene", err, errlen);
		if (rc == 0 && ls)
			ls->in_engine = true;
	}
	pthread_mutex_unlock(&c->lock);
	return rc;
}

void control_scene_released(struct control *c, struct engine_queue *q, struct loaded_scene *ls)
{
	pthread_mutex_lock(&c->lock);
	ls->in_engine = false;
	if (c->scene != ls) {
		struct engine_cmd off = { .type = ENGINE_CMD_SOURCE_ACTIVE, .i = 0 };
		for (size_t k = 0; k < ls->desc.n_sources; k++) {
			off.target = ls->source_slot[k];
			engine_queue_push(q, &off);
		}
		for (unsigned k = 0; k < ls->n_scatter_slots; k++) {
			off.target = ls->scatter_slots[k];
			engine_queue_push(q, &off);
		}
	}
	pthread_mutex_unlock(&c->lock);
}

bool control_take_scene_request(struct control *c, char *name, size_t n, int *index, int *step)
{
	pthread_mutex_lock(&c->lock);
	bool got = c->scene_req;
	if (got) {
		str_copy(name, n, c->scene_req_name);
		*index = c->scene_req_index;
		*step = c->scene_req_step;
		c->scene_req = false;
	}
	pthread_mutex_unlock(&c->lock);
	return got;
}

static const char *type_list(const struct ctl_arg *argv, int argc, char *buf, size_t n)
{
	size_t k = 0;
	for (int i = 0; i < argc && k + 1 < n; i++)
		buf[k++] = argv[i].type;
	buf[k] = '\0';
	return k ? buf : "nothing";
}

/* Reads argc numbers into v[], or says what was expected. */
static int numbers(const char *path, const struct ctl_arg *argv, int argc, int want, float *v,
		   const char *what, char *err, size_t n)
{
	char types[16];
	bool ok = argc == want;
	for (int i = 0; ok && i < want; i++)
		ok = ctl_number(&argv[i], &v[i]);
	if (!ok)
		return fail(err, n, "%s: expected %s, got %s", path, what,
			    type_list(argv, argc, types, sizeof types));
	return 0;
}

static int check_gain(const char *path, float db, char *err, size_t n)
{
	if (db < -120.0f || db > 24.0f)
		return fail(err, n, "%s: gain %g dB out of range -120..24", path, db);
	return 0;
}

static int source_command(struct control *c, struct engine_queue *q, uint32_t offset,
			  const char *path, int slot, const char *prop, const struct ctl_arg *argv,
			  int argc, char *err, size_t n)
{
	struct control_source *s = &c->src[slot];
	float v[3];
	if (!strcmp(prop, "position")) {
		if (numbers(path, argv, argc, 3, v, "three numbers (azimuth, elevation, distance)", err, n) < 0)
			return -1;
		if (v[1] < -90.0f || v[1] > 90.0f)
			return fail(err, n, "%s: elevation %g out of range -90..90", path, v[1]);
		if (v[2] < 0.0f || v[2] > ENGINE_MAX_DISTANCE)
			return fail(err, n, "%s: distance %g out of range 0..100 m", path, v[2]);
		s->azimuth = wrap_azimuth(v[0]);
		s->elevation = v[1];
		s->distance = fmaxf(v[2], ENGINE_MIN_DISTANCE);
		return send_place(c, q, offset, slot, ENGINE_PLACE_AZ | ENGINE_PLACE_EL | ENGINE_PLACE_DIST,
				  path, err, n);
	}
	if (!strcmp(prop, "azimuth")) {
		if (numbers(path, argv, argc, 1, v, "one number (degrees)", err, n) < 0)
			return -1;
		s->azimuth = wrap_azimuth(v[0]);
		return send_place(c, q, offset, slot, ENGINE_PLACE_AZ, path, err, n);
	}
	if (!strcmp(prop, "elevation")) {
		if (numbers(path, argv, argc, 1, v, "one number (degrees)", err, n) < 0)
			return -1;
		if (v[0] < -90.0f || v[0] > 90.0f)
			return fail(err, n, "%s: elevation %g out of range -90..90", path, v[0]);
		s->elevation = v[0];
		return send_place(c, q, offset, slot, ENGINE_PLACE_EL, path, err, n);
	}
	if (!strcmp(prop, "distance")) {
		if (numbers(path, argv, argc, 1, v, "one number (metres)", err, n) < 0)
			return -1;
		if (v[0] < 0.0f || v[0] > ENGINE_MAX_DISTANCE)
			return fail(err, n, "%s: distance %g out of range 0..100 m", path, v[0]);
		s->distance = fmaxf(v[0], ENGINE_MIN_DISTANCE);
		return send_place(c, q, offset, slot, ENGINE_PLACE_DIST, path, err, n);
	}
	if (!strcmp(prop, "xy")) {
		if (numbers(path, argv, argc, 2, v, "two numbers 0..1 (x, y)", err, n) < 0)
			return -1;
		if (v[0] < 0.0f || v[0] > 1.0f || v[1] < 0.0f || v[1] > 1.0f)
			return fail(err, n, "%s: x and y must be 0..1", path);
		/* Centre of the pad is the head, x = 1 right, y = 1 front. */
		float dx = 2.0f * v[0] - 1.0f, dy = 2.0f * v[1] - 1.0f;
		s->azimuth = wrap_azimuth(atan2f(-dx, dy) * 180.0f / (float)M_PI);
		s->distance = fmaxf(hypotf(dx, dy) * XY_PAD_RADIUS, ENGINE_MIN_DISTANCE);
		return send_place(c, q, offset, slot, ENGINE_PLACE_AZ | ENGINE_PLACE_DIST, path, err, n);
	}
	if (!strcmp(prop, "gain")) {
		if (numbers(path, argv, argc, 1, v, "one number (dB)", err, n) < 0 ||
		    check_gain(path, v[0], err, n) < 0)
			return -1;
		s->gain_db = v[0];
		struct engine_cmd cmd = { .type = ENGINE_CMD_SOURCE_GAIN, .target = slot,
					  .offset = offset, .f = { v[0] } };
		return push(q, &cmd, path, err, n);
	}
	if (!strcmp(prop, "mute")) {
		if (numbers(path, argv, argc, 1, v, "one number (1 mutes, 0 unmutes)", err, n) < 0)
			return -1;
		s->mute = v[0] >= 0.5f;
		struct engine_cmd cmd = { .type = ENGINE_CMD_SOURCE_MUTE, .target = slot,
					  .offset = offset, .i = s->mute };
		return push(q, &cmd, path, err, n);
	}
	return fail(err, n, "unknown address %s", path);
}

int control_dispatch(struct control *c, struct engine_queue *q, uint32_t offset, const char *path,
		     const struct ctl_arg *argv, int argc, struct ctl_reply *reply, char *err,
		     size_t errlen)
{
	char buf[256], types[16];
	if (!path || path[0] != '/' || strlen(path) >= sizeof buf)
		return fail(err, errlen, "bad address %s", path ? path : "(none)");
	str_copy(buf, sizeof buf, path);
	/* The parts between slashes; an empty one ("//trigger", "/trigger/")
	 * names nothing. */
	char *part[6];
	size_t np = 0;
	for (char *p = buf + 1;; p++) {
		char *end = strchr(p, '/');
		if (end)
			*end = '\0';
		if (!*p)
			return fail(err, errlen, "bad address %s: an empty part", path);
		if (np == TINGLE_ARRAY_LEN(part))
			return fail(err, errlen, "unknown address %s", path);
		part[np++] = p;
		if (!end)
			break;
		p = end;
	}

	if (np == 1 && !strcmp(part[0], "ping")) {
		if (argc)
			return fail(err, errlen, "%s: expected no arguments, got %s", path,
				    type_list(argv, argc, types, sizeof types));
		str_copy(reply->path, sizeof reply->path, "/pong");
		reply->argc = 0;
		return 1;
	}

	int rc;
	pthread_mutex_lock(&c->lock);
	if (np == 1 && (!strcmp(part[0], "trigger") || !strcmp(part[0], "release"))) {
		bool trig = part[0][0] == 't';
		float vel = 1.0f;
		int sound = -1;
		if (argc < 1 || argc > (trig ? 2 : 1) || argv[0].type != 's' ||
		    (argc == 2 && !ctl_number(&argv[1], &vel)))
			rc = fail(err, errlen, "%s: expected %s, got %s", path,
				  trig ? "a sound name and an optional velocity (0..1 or 0..127)" : "a sound name",
				  type_list(argv, argc, types, sizeof types));
		else if (!c->scene)
			rc = fail(err, errlen, "%s %s: no scene is playing", path, argv[0].s);
		else if ((sound = scene_sound_index(c->scene, argv[0].s)) < 0)
			rc = fail(err, errlen, "%s: no sound named '%s' in scene %s", path, argv[0].s,
				  c->scene->desc.name);
		else {
			if (argc == 2 && argv[1].type == 'i')
				vel = (float)argv[1].i / 127.0f; /* MIDI-style 0..127 */
			if (vel < 0.0f || vel > 1.0f) {
				rc = fail(err, errlen, "%s: velocity %g out of range (0..1 or 0..127i)", path, vel);
			} else {
				/* Velocity 0 lets go, as a note-on with velocity 0 does
				 * (a TouchOSC button sends 0 when released). */
				bool release = !trig || vel == 0.0f;
				struct engine_cmd cmd = { .type = release ? ENGINE_CMD_RELEASE : ENGINE_CMD_TRIGGER,
							  .ptr = c->scene->eng, .i = sound, .offset = offset,
							  .f = { vel } };
				rc = push(q, &cmd, path, err, errlen);
			}
		}
	} else if ((np == 1 && !strcmp(part[0], "panic")) ||
		   (np == 2 && !strcmp(part[0], "scene") && (!strcmp(part[1], "next") || !strcmp(part[1], "prev")))) {
		/* Also a tablet button: it sends 1 when pressed and 0 when let go;
		 * act on the press only. */
		float v = 1.0f;
		if (argc > 1 || (argc == 1 && !ctl_number(&argv[0], &v)))
			rc = fail(err, errlen, "%s: expected nothing or a number (a button: acts when >= 0.5), got %s",
				  path, type_list(argv, argc, types, sizeof types));
		else if (v < 0.5f)
			rc = 0;
		else if (part[0][0] == 'p') {
			struct engine_cmd cmd = { .type = ENGINE_CMD_PANIC, .offset = offset };
			rc = push(q, &cmd, path, err, errlen);
		} else {
			c->scene_req_name[0] = '\0';
			c->scene_req_index = -1;
			c->scene_req_step = part[1][0] == 'n' ? 1 : -1;
			c->scene_req = true;
			rc = 0;
		}
	} else if (np == 1 && !strcmp(part[0], "scene")) {
		float idx;
		rc = 0;
		if (argc == 1 && argv[0].type == 's' && conf_valid_name(argv[0].s)) {
			str_copy(c->scene_req_name, sizeof c->scene_req_name, argv[0].s);
			c->scene_req_index = -1;
			c->scene_req_step = 0;
		} else if (argc == 1 && ctl_number(&argv[0], &idx) && idx >= 0 && idx < 1000 &&
			   idx == floorf(idx)) {
			c->scene_req_name[0] = '\0';
			c->scene_req_index = (int)idx;
			c->scene_req_step = 0;
		} else if (argc == 1 && argv[0].type == 's') {
			rc = fail(err, errlen, "%s: '%s' is not a scene name", path, argv[0].s);
		} else {
			rc = fail(err, errlen, "%s: expected a scene name or a setlist index", path);
		}
		if (rc == 0)
			c->scene_req = true;
	} else if (np == 2 && !strcmp(part[0], "master") && !strcmp(part[1], "gain")) {
		float v;
		rc = numbers(path, argv, argc, 1, &v, "one number (dB)", err, errlen);
		if (rc == 0)
			rc = check_gain(path, v, err, errlen);
		if (rc == 0) {
			c->master_db = v;
			struct engine_cmd cmd = { .type = ENGINE_CMD_MASTER_GAIN, .offset = offset, .f = { v } };
			rc = push(q, &cmd, path, err, errlen);
		}
	} else if (np == 3 && (!strcmp(part[0], "input") || !strcmp(part[0], "source"))) {
		bool input = part[0][0] == 'i';
		int slot = find_locked(c, part[1]);
		if (slot < 0 || (input && !c->src[slot].is_input))
			rc = fail(err, errlen, "%s: no %s named '%s'", path, input ? "input" : "source",
				  part[1]);
		else if (input && strcmp(part[2], "gain") && strcmp(part[2], "mute"))
			rc = fail(err, errlen, "unknown address %s", path);
		else
			rc = source_command(c, q, offset, path, slot, part[2], argv, argc, err, errlen);
	} else {
		rc = fail(err, errlen, "unknown address %s", path);
	}
	pthread_mutex_unlock(&c->lock);
	return rc;
}
