#include "config.h"
#include "ctl/control.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
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
	if (!engine_queue_push(q, cmd))
		return fail(err, n, "%s: engine queue full, command dropped", path);
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

static int send_source_all(struct control *c, struct engine_queue *q, int slot, char *err, size_t n)
{
	const struct control_source *s = &c->src[slot];
	struct engine_cmd cmds[] = {
		{ .type = ENGINE_CMD_SOURCE_PLACE, .target = slot,
		  .flags = ENGINE_PLACE_AZ | ENGINE_PLACE_EL | ENGINE_PLACE_DIST,
		  .f = { s->azimuth, s->elevation, s->distance } },
		{ .type = ENGINE_CMD_SOURCE_GAIN, .target = slot, .f = { s->gain_db } },
		{ .type = ENGINE_CMD_SOURCE_MUTE, .target = slot, .i = s->mute },
		{ .type = ENGINE_CMD_SOURCE_ACTIVE, .target = slot, .i = 1 },
	};
	for (size_t k = 0; k < TINGLE_ARRAY_LEN(cmds); k++)
		if (push(q, &cmds[k], s->name, err, n) < 0)
			return -1;
	return 0;
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
			if (!c->src[i].name[0])
				slot = (int)i;
		if (slot < 0) {
			rc = fail(err, errlen, "input %s: no free source (raise [engine] sources)", in->name);
			break;
		}
		struct control_source *s = &c->src[slot];
		str_copy(s->name, sizeof s->name, in->name);
		s->is_input = true;
		s->azimuth = wrap_azimuth(in->azimuth);
		s->elevation = in->elevation;
		s->distance = in->distance;
		s->gain_db = in->gain_db;
		s->mute = in->mute;
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
	char *part[6];
	size_t np = 0;
	char *save = NULL;
	for (char *p = strtok_r(buf, "/", &save); p; p = strtok_r(NULL, "/", &save)) {
		if (np == TINGLE_ARRAY_LEN(part))
			return fail(err, errlen, "unknown address %s", path);
		part[np++] = p;
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
	if (np == 2 && !strcmp(part[0], "master") && !strcmp(part[1], "gain")) {
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
