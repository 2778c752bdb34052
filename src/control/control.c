#include "config.h"
#include "control/control.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/limits.h"
#include "common/log.h"
#include "common/util.h"
#include "prep/scene_build.h"
#include "rt/engine.h"
#include "config/motion_text.h"
#include "control/trackers.h"
#include "rt/motion.h"

/* Edge of a TouchOSC XY pad, in metres from the head. */
#define XY_PAD_RADIUS 2.0f
/* How long a place set over OSC takes to reach (a tablet sends a dragged
 * control 30 to 60 times a second). */
#define PLACE_GLIDE_MS 20

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
	c->scene_index = -1;
	c->scene_name = "";
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

static bool is_command(const char *path);

static int push(struct engine_queue *q, const struct engine_cmd *cmd, const char *path, char *err,
		size_t n)
{
	if (!engine_queue_push(q, cmd)) {
		tingle_err(err, n, "%s: engine queue full, command dropped", path);
		return CONTROL_QUEUE_FULL;
	}
	return 0;
}

static int send_place(struct control *c, struct engine_queue *q, uint32_t offset, int slot,
		      unsigned flags, const char *path, char *err, size_t n)
{
	const struct control_source *s = &c->src[slot];
	/* A place set from outside glides there over a few milliseconds, so
	 * a fader or XY pad dragged in steps never zips. */
	struct engine_cmd cmd = { .type = ENGINE_CMD_SOURCE_PLACE, .flags = (uint16_t)flags,
				  .target = slot, .offset = offset, .i = PLACE_GLIDE_MS,
				  .f = { s->azimuth, s->elevation, s->distance } };
	return push(q, &cmd, path, err, n);
}

/* Everything about a source. ramp: seconds over which a source already
 * sounding moves to these values (a scene's fade), 0 at once. */
/* Arguments as the words of one text ("scene next", "orbit 30"). */
static int join_words(const struct ctl_arg *argv, int argc, char *out, size_t n)
{
	size_t len = 0;
	out[0] = '\0';
	for (int i = 0; i < argc; i++) {
		char word[64];
		const struct ctl_arg *a = &argv[i];
		if (a->type == 's')
			str_copy(word, sizeof word, a->s);
		else if (a->type == 'i')
			snprintf(word, sizeof word, "%d", (int)a->i);
		else
			snprintf(word, sizeof word, "%g", (double)a->f);
		int w = snprintf(out + len, n - len, "%s%s", i ? " " : "", word);
		if (w < 0 || (size_t)w >= n - len)
			return -1;
		len += (size_t)w;
	}
	return 0;
}

/* A motion of the source's own, from the place it is at. */
static int send_motion(struct engine_queue *q, uint32_t offset, int slot, const struct motion_spec *m,
		       const char *path, char *err, size_t n)
{
	struct engine_cmd cmd = { .type = ENGINE_CMD_SOURCE_MOTION, .target = slot, .offset = offset,
				  .i = (int32_t)m->kind };
	if (m->kind == MOTION_ORBIT) {
		cmd.f[0] = m->rate;
	} else if (m->kind == MOTION_WANDER) {
		cmd.f[0] = m->span;
		cmd.f[1] = m->period;
	} else if (m->kind == MOTION_SWEEP) {
		memcpy(cmd.f, m->to, sizeof m->to);
		cmd.f[3] = m->seconds;
	}
	return push(q, &cmd, path, err, n);
}

static int send_source(struct control *c, struct engine_queue *q, int slot, bool at_once, float ramp,
		       char *err, size_t n)
{
	const struct control_source *s = &c->src[slot];
	struct engine_cmd cmds[] = {
		{ .type = ENGINE_CMD_SOURCE_PLACE, .target = slot,
		  .flags = ENGINE_PLACE_AZ | ENGINE_PLACE_EL | ENGINE_PLACE_DIST,
		  .f = { s->azimuth, s->elevation, s->distance }, .i = (int32_t)lroundf(ramp * 1000.0f) },
		{ .type = ENGINE_CMD_SOURCE_GAIN, .target = slot, .f = { s->gain_db, ramp } },
		{ .type = ENGINE_CMD_SOURCE_MUTE, .target = slot, .i = s->mute, .f = { ramp } },
		{ .type = ENGINE_CMD_SOURCE_ROOM, .target = slot, .f = { s->room_db } },
		{ .type = ENGINE_CMD_SOURCE_ACTIVE, .target = slot, .i = 1,
		  .flags = at_once ? ENGINE_ACTIVE_AT_ONCE : 0 },
	};
	for (size_t k = 0; k < TINGLE_ARRAY_LEN(cmds); k++)
		if (push(q, &cmds[k], s->name, err, n) < 0)
			return -1;
	/* After the place: a motion starts from it. */
	return send_motion(q, 0, slot, &s->motion, s->name, err, n);
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
	s->room_db = in->room_db;
	s->motion = (struct motion_spec){ .kind = MOTION_NONE };
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
		if (si->has_room)
			s->room_db = si->room_db;
		if (si->has_motion)
			s->motion = si->motion;
	}
}

/* Live inputs fade in (a microphone is already sounding) and move to new
 * values over ramp seconds. */
static int send_source_all(struct control *c, struct engine_queue *q, int slot, float ramp, char *err,
			   size_t n)
{
	return send_source(c, q, slot, false, ramp, err, n);
}

static void update_forwards(struct control *c, struct engine_queue *q);

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
			return tingle_err(err, errlen, "input %s: a source of that name exists", conf->inputs[k].name);
		}
	}
	if (needed > free_slots) {
		pthread_mutex_unlock(&c->lock);
		return tingle_err(err, errlen, "%zu inputs need more sources than the engine has free (%u); "
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
			rc = tingle_err(err, errlen, "input %s: a source of that name exists", in->name);
			break;
		}
		for (unsigned i = 0; slot < 0 && i < c->n_slots; i++)
			if (!c->src[i].name[0] && !c->src[i].reserved)
				slot = (int)i;
		if (slot < 0) {
			rc = tingle_err(err, errlen, "input %s: no free source (raise [engine] sources)", in->name);
			break;
		}
		struct control_source *s = &c->src[slot];
		str_copy(s->name, sizeof s->name, in->name);
		s->is_input = true;
		s->conf_index = (unsigned)k;
		s->defaults = *in;
		input_effective(c, s);
		if (slots)
			slots[k] = slot;
		rc = send_source_all(c, q, slot, 0.0f, err, errlen);
	}
	if (rc == 0) {
		/* The configuration's bindings (pedals), fresh. An OSC control
		 * at one of tingled's own addresses takes it over: said. */
		for (size_t i = 0; i < conf->n_binds; i++)
			if (conf->binds[i].way == BIND_OSC && is_command(conf->binds[i].osc))
				log_warn("%s:%d: [bind] osc %s: this is also a command of tingled; the binding "
					 "takes it, and the command is not heard at this address",
					 conf->path[0] ? conf->path : "(config)", conf->binds[i].line,
					 conf->binds[i].osc);
		c->n_global = conf->n_binds;
		memcpy(c->global, conf->binds, conf->n_binds * sizeof conf->binds[0]);
		memset(c->global_state, 0, sizeof c->global_state);
		update_forwards(c, q);
		c->master_db = conf->master_gain_db;
		c->ceiling_db = conf->ceiling_db;
		struct engine_cmd m = { .type = ENGINE_CMD_MASTER_GAIN, .f = { c->master_db } };
		struct engine_cmd l = { .type = ENGINE_CMD_CEILING, .f = { c->ceiling_db } };
		struct engine_cmd ng = { .type = ENGINE_CMD_NEAR_GAIN, .f = { conf->near_gain_db } };
		if (push(q, &m, "/master/gain", err, errlen) < 0 || push(q, &l, "ceiling", err, errlen) < 0 ||
		    push(q, &ng, "near_gain", err, errlen) < 0)
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
			s->room_db = d->sources[k].room_db;
			s->motion = d->sources[k].motion;
			rc = send_source(c, q, ls->source_slot[k], true, 0.0f, err, errlen);
		}
		for (unsigned k = 0; k < ls->n_scatter_slots && rc == 0; k++) {
			struct engine_cmd g = { .type = ENGINE_CMD_SOURCE_GAIN, .target = ls->scatter_slots[k] };
			struct engine_cmd m = { .type = ENGINE_CMD_SOURCE_MUTE, .target = ls->scatter_slots[k] };
			rc = push(q, &g, d->path, err, errlen);
			if (rc == 0)
				rc = push(q, &m, d->path, err, errlen);
		}
	}
	/* Live inputs move to the new scene's values over its fade. */
	float ramp = ls ? ls->desc.fade : 0.0f;
	for (unsigned i = 0; i < c->n_slots && rc == 0; i++) {
		struct control_source *s = &c->src[i];
		if (!s->is_input)
			continue;
		input_effective(c, s);
		rc = send_source_all(c, q, (int)i, ramp, err, errlen);
	}
	if (rc == 0) {
		struct engine_cmd cmd = { .type = ENGINE_CMD_SCENE, .ptr = ls ? ls->eng : NULL };
		rc = push(q, &cmd, "scene", err, errlen);
		if (rc == 0 && ls)
			ls->in_engine = true;
	}
	/* The scene's page of bindings; the engine lets go of the hold
	 * pedal at a switch, so that nothing sticks. */
	c->scene_binds = ls ? ls->desc.binds : NULL;
	c->n_scene_binds = ls ? ls->desc.n_binds : 0;
	memset(c->scene_state, 0, sizeof c->scene_state);
	/* Toggles start again with the scene: what they turned on is gone
	 * (the old scene fades, the hold pedal is let go). Switch positions
	 * stay: a pedal held down is still down. */
	for (size_t k = 0; k < CONF_MAX_BINDS; k++)
		c->global_state[k].toggled = false;
	for (size_t k = 0; k < CONTROL_MAX_LEARNED; k++)
		c->learned_state[k].toggled = false;
	c->sustain = false;
	c->scene_name = ls ? ls->desc.name : "";
	update_forwards(c, q);
	c->dirty = true;
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
		/* Its sender hears if it fails. */
		c->inflight_has_from = c->scene_req_has_from;
		c->inflight_from = c->scene_req_from;
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
		return tingle_err(err, n, "%s: expected %s, got %s", path, what,
			    type_list(argv, argc, types, sizeof types));
	return 0;
}

static int check_gain(const char *path, float db, char *err, size_t n)
{
	if (db < TINGLE_GAIN_DB_MIN || db > TINGLE_GAIN_DB_MAX)
		return tingle_err(err, n, "%s: gain %g dB out of range %g..%g", path, db,
			    (double)TINGLE_GAIN_DB_MIN, (double)TINGLE_GAIN_DB_MAX);
	return 0;
}

static void send_bound_values(struct control *c, const struct ctl_sender *to, const char *command);
static void control_send_state_locked(struct control *c, const struct ctl_sender *to);
static bool listening(struct control *c);
static void say(struct control *c, const struct ctl_sender *to, const char *path, const char *types, ...);
static void send_place_feedback(struct control *c, int slot);
static void send_gain_feedback(struct control *c, int slot);
static void send_room_feedback(struct control *c, int slot);

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
			return tingle_err(err, n, "%s: elevation %g out of range -90..90", path, v[1]);
		if (v[2] < 0.0f || v[2] > ENGINE_MAX_DISTANCE)
			return tingle_err(err, n, "%s: distance %g out of range 0..100 m", path, v[2]);
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
			return tingle_err(err, n, "%s: elevation %g out of range -90..90", path, v[0]);
		s->elevation = v[0];
		return send_place(c, q, offset, slot, ENGINE_PLACE_EL, path, err, n);
	}
	if (!strcmp(prop, "distance")) {
		if (numbers(path, argv, argc, 1, v, "one number (metres)", err, n) < 0)
			return -1;
		if (v[0] < 0.0f || v[0] > ENGINE_MAX_DISTANCE)
			return tingle_err(err, n, "%s: distance %g out of range 0..100 m", path, v[0]);
		s->distance = fmaxf(v[0], ENGINE_MIN_DISTANCE);
		return send_place(c, q, offset, slot, ENGINE_PLACE_DIST, path, err, n);
	}
	if (!strcmp(prop, "xy")) {
		if (numbers(path, argv, argc, 2, v, "two numbers 0..1 (x, y)", err, n) < 0)
			return -1;
		if (v[0] < 0.0f || v[0] > 1.0f || v[1] < 0.0f || v[1] > 1.0f)
			return tingle_err(err, n, "%s: x and y must be 0..1", path);
		/* Centre of the pad is the head, x = 1 right, y = 1 front. */
		float dx = 2.0f * v[0] - 1.0f, dy = 2.0f * v[1] - 1.0f;
		s->azimuth = wrap_azimuth(atan2f(-dx, dy) * 180.0f / (float)M_PI);
		/* The centre is as near as a source comes, never through the
		 * head: the pad's radius spans the minimum distance to its edge. */
		float r = fminf(hypotf(dx, dy), 1.0f);
		s->distance = ENGINE_MIN_DISTANCE + r * (XY_PAD_RADIUS - ENGINE_MIN_DISTANCE);
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
	if (!strcmp(prop, "motion")) {
		struct motion_spec m;
		char text[256], why[256];
		/* One string ("orbit 30"), or its words one by one (as an
		 * events file writes them: orbit 30). */
		if (argc < 1 || argv[0].type != 's' || join_words(argv, argc, text, sizeof text) < 0)
			return tingle_err(err, n, "%s: expected a motion (orbit DEG_PER_S, wander DEG [SECONDS], "
				    "sweep AZ EL DIST SECONDS or none)", path);
		if (motion_parse(text, &m, why, sizeof why) < 0)
			return tingle_err(err, n, "%s: %s", path, why);
		return send_motion(q, offset, slot, &m, path, err, n);
	}
	if (!strcmp(prop, "room")) {
		if (numbers(path, argv, argc, 1, v, "one number (the room send in dB, below -120 off)", err, n) < 0)
			return -1;
		if (v[0] > TINGLE_SEND_DB_MAX)
			return tingle_err(err, n, "%s: room send %g dB out of range (-120..12, lower is off)", path, v[0]);
		s->room_db = v[0] < TINGLE_GAIN_DB_MIN ? -INFINITY : v[0];
		struct engine_cmd cmd = { .type = ENGINE_CMD_SOURCE_ROOM, .target = slot, .offset = offset,
					  .f = { s->room_db } };
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
	return tingle_err(err, n, "unknown address %s", path);
}

/* --------------------------------------------------------------------- */
/* The command table: every way in ends here. */

struct call {
	struct control *c;
	struct engine_queue *q;
	uint32_t offset;
	const char *path;
	const char *name;                /* the part '*' matched */
	const char *last;                /* the last part */
	const struct ctl_arg *argv;
	int argc;
	const struct ctl_sender *from;
	struct ctl_reply *reply;
	char *err;
	size_t n;
};

struct command {
	const char *pattern;  /* "/source/" "*" "/gain": '*' stands for one name */
	const char *forms;    /* argument lists taken, '|' between them: s a string, n a number
			       * (f or i), '*' anything after (maybe nothing) */
	const char *expect;   /* the same in words */
	int (*fn)(struct call *k);
};

#define BUTTON "nothing or a number (a button: acts when >= 0.5)"

static bool button_pressed(const struct call *k)
{
	float v = 1.0f;
	return k->argc == 0 || (ctl_number(&k->argv[0], &v) && v >= 0.5f);
}

static int cmd_ping(struct call *k)
{
	str_copy(k->reply->path, sizeof k->reply->path, "/pong");
	k->reply->argc = 0;
	return 1;
}

static int play_sound(struct call *k, const char *sound, float vel, bool release)
{
	struct control *c = k->c;
	int index;
	if (!c->scene)
		return tingle_err(k->err, k->n, "%s %s: no scene is playing", k->path, sound);
	if ((index = scene_sound_index(c->scene, sound)) < 0)
		return tingle_err(k->err, k->n, "%s: no sound named '%s' in scene %s", k->path, sound, c->scene->desc.name);
	if (!(vel >= 0.0f && vel <= 1.0f))
		return tingle_err(k->err, k->n, "%s: velocity %g out of range (0..1 or 0..127i)", k->path, vel);
	/* Velocity 0 lets go, as a note-on with velocity 0 does (a TouchOSC
	 * button sends 0 when released). */
	release = release || vel == 0.0f;
	struct engine_cmd cmd = { .type = release ? ENGINE_CMD_RELEASE : ENGINE_CMD_TRIGGER,
				  .ptr = c->scene->eng, .i = index, .offset = k->offset, .f = { vel } };
	return push(k->q, &cmd, k->path, k->err, k->n);
}

/* A velocity: 0..1 as a float, MIDI-style 0..127 as an integer. */
static float velocity_arg(const struct ctl_arg *a)
{
	float v = 0.0f;
	ctl_number(a, &v);
	return a->type == 'i' ? v / 127.0f : v;
}

static int cmd_trigger_named(struct call *k)
{
	return play_sound(k, k->argv[0].s, k->argc == 2 ? velocity_arg(&k->argv[1]) : 1.0f, false);
}

static int cmd_release_named(struct call *k) { return play_sound(k, k->argv[0].s, 1.0f, true); }

static int cmd_trigger(struct call *k)
{
	return play_sound(k, k->name, k->argc ? velocity_arg(&k->argv[0]) : 1.0f, false);
}

static int cmd_release(struct call *k)
{
	return button_pressed(k) ? play_sound(k, k->name, 1.0f, true) : 0;
}

static int cmd_panic(struct call *k)
{
	if (!button_pressed(k))
		return 0;
	struct engine_cmd cmd = { .type = ENGINE_CMD_PANIC, .offset = k->offset };
	return push(k->q, &cmd, k->path, k->err, k->n);
}

static int cmd_hold(struct call *k)
{
	float v = 0.0f;
	ctl_number(&k->argv[0], &v);
	struct engine_cmd cmd = { .type = ENGINE_CMD_SUSTAIN, .offset = k->offset, .i = v >= 0.5f };
	int rc = push(k->q, &cmd, k->path, k->err, k->n);
	if (rc == 0) {
		k->c->sustain = v >= 0.5f;
		if (listening(k->c))
			say(k->c, NULL, "/hold", "i", (int)k->c->sustain);
	}
	return rc;
}

/* The driver's scene manager carries it out (loading may take time):
 * the latest request wins. */
static void scene_request(struct call *k, const char *name, int index, int step)
{
	struct control *c = k->c;
	str_copy(c->scene_req_name, sizeof c->scene_req_name, name ? name : "");
	c->scene_req_index = index;
	c->scene_req_step = step;
	c->scene_req_has_from = k->from != NULL;
	if (k->from)
		c->scene_req_from = *k->from;
	c->scene_req = true;
}

static bool index_arg(const struct ctl_arg *a, int *out)
{
	float v;
	if (!ctl_number(a, &v) || v < 0.0f || v >= 1000.0f || v != floorf(v))
		return false;
	*out = (int)v;
	return true;
}

static int cmd_scene(struct call *k)
{
	int index;
	if (k->argv[0].type == 's') {
		if (!conf_valid_name(k->argv[0].s))
			return tingle_err(k->err, k->n, "%s: '%s' is not a scene name", k->path, k->argv[0].s);
		scene_request(k, k->argv[0].s, -1, 0);
		return 0;
	}
	if (!index_arg(&k->argv[0], &index))
		return tingle_err(k->err, k->n, "%s: expected a scene name or a setlist index", k->path);
	scene_request(k, NULL, index, 0);
	return 0;
}

static int cmd_scene_index(struct call *k)
{
	int index;
	if (!index_arg(&k->argv[0], &index))
		return tingle_err(k->err, k->n, "%s: expected a setlist index 0..999 (0 is the first scene)", k->path);
	scene_request(k, NULL, index, 0);
	return 0;
}

static int cmd_scene_step(struct call *k)
{
	if (button_pressed(k))
		scene_request(k, NULL, -1, !strcmp(k->last, "next") ? 1 : -1);
	return 0;
}

static int cmd_master_gain(struct call *k)
{
	float v;
	if (numbers(k->path, k->argv, k->argc, 1, &v, "one number (dB)", k->err, k->n) < 0 ||
	    check_gain(k->path, v, k->err, k->n) < 0)
		return -1;
	k->c->master_db = v;
	struct engine_cmd cmd = { .type = ENGINE_CMD_MASTER_GAIN, .offset = k->offset, .f = { v } };
	int rc = push(k->q, &cmd, k->path, k->err, k->n);
	if (rc == 0 && listening(k->c))
		say(k->c, NULL, "/master/gain", "f", (double)v);
	return rc;
}

static int cmd_source(struct call *k)
{
	bool input = k->path[1] == 'i';
	int slot = find_locked(k->c, k->name);
	if (slot < 0 || (input && !k->c->src[slot].is_input))
		return tingle_err(k->err, k->n, "%s: no %s named '%s'", k->path, input ? "input" : "source", k->name);
	int rc = source_command(k->c, k->q, k->offset, k->path, slot, k->last, k->argv, k->argc, k->err, k->n);
	if (rc == 0) {
		if (!strcmp(k->last, "gain") || !strcmp(k->last, "mute"))
			send_gain_feedback(k->c, slot);
		else if (!strcmp(k->last, "room"))
			send_room_feedback(k->c, slot);
		else
			send_place_feedback(k->c, slot);
	}
	return rc;
}

/* The head turned to q (unit length): the angles kept in tingle's own
 * convention (one-angle commands change one of them, bound controls show
 * them), the engine told the rotation itself. */
static int head_to(struct call *k, const struct head_quat *q)
{
	struct control *c = k->c;
	head_to_ypr(q, &c->yaw, &c->pitch, &c->roll);
	struct engine_cmd cmd = { .type = ENGINE_CMD_LISTENER, .offset = k->offset, .i = 2,
				  .f = { q->w, q->x, q->y, q->z } };
	return push(k->q, &cmd, k->path, k->err, k->n);
}

/* Head tracking: yaw, pitch and roll in degrees (each alone changes that
 * angle of the last three), or a quaternion, or back to facing front. */
static int cmd_listener(struct call *k)
{
	struct control *c = k->c;
	struct engine_cmd cmd = { .type = ENGINE_CMD_LISTENER, .offset = k->offset };
	float v[4] = { 0.0f, 0.0f, 0.0f, 0.0f };
	for (int i = 0; i < k->argc && i < 4; i++)
		ctl_number(&k->argv[i], &v[i]);
	if (!strcmp(k->last, "reset")) {
		if (!button_pressed(k))
			return 0;
		c->yaw = c->pitch = c->roll = 0.0f;
		memset(c->sparta_ypr, 0, sizeof c->sparta_ypr);
		memset(c->iem_ypr, 0, sizeof c->iem_ypr);
		cmd.i = 0;
	} else if (!strcmp(k->last, "quaternion")) {
		struct head_quat q = { v[0], v[1], v[2], v[3] };
		if (!head_normalise(&q))
			return tingle_err(k->err, k->n, "%s: not a rotation (w x y z all 0 or too large)", k->path);
		return head_to(k, &q);
	} else {
		float ypr[3] = { c->yaw, c->pitch, c->roll };
		if (!strcmp(k->last, "ypr"))
			memcpy(ypr, v, sizeof ypr);
		else
			ypr[k->last[0] == 'y' ? 0 : k->last[0] == 'p' ? 1 : 2] = v[0];
		if (ypr[1] < -90.0f || ypr[1] > 90.0f)
			return tingle_err(k->err, k->n, "%s: pitch %g out of range -90..90", k->path, ypr[1]);
		c->yaw = wrap_azimuth(ypr[0]);
		c->pitch = ypr[1];
		c->roll = wrap_azimuth(ypr[2]);
		cmd.i = 1;
		cmd.f[0] = c->yaw;
		cmd.f[1] = c->pitch;
		cmd.f[2] = c->roll;
	}
	return push(k->q, &cmd, k->path, k->err, k->n);
}

/* A head tracker's yaw, pitch and roll in its own convention
 * (control/trackers.h): all three (ypr), or one of the last three. */
static void tracker_angles(struct call *k, float ypr[3])
{
	float v[3] = { 0.0f, 0.0f, 0.0f };
	for (int i = 0; i < k->argc && i < 3; i++)
		ctl_number(&k->argv[i], &v[i]);
	if (!strcmp(k->last, "ypr"))
		memcpy(ypr, v, sizeof v);
	else
		ypr[k->last[0] == 'y' ? 0 : k->last[0] == 'p' ? 1 : 2] = v[0];
}

/* SPARTA's binauraliser and rotator: /ypr, /yaw, /pitch, /roll. */
static int cmd_sparta(struct call *k)
{
	struct head_quat q;
	tracker_angles(k, k->c->sparta_ypr);
	head_from_sparta(k->c->sparta_ypr[0], k->c->sparta_ypr[1], k->c->sparta_ypr[2], &q);
	return head_to(k, &q);
}

/* IEM's SceneRotator: /SceneRotator/ypr, /yaw, /pitch, /roll,
 * /quaternions. */
static int cmd_iem(struct call *k)
{
	struct head_quat q;
	if (!strcmp(k->last, "quaternions")) {
		float v[4];
		for (int i = 0; i < 4; i++)
			ctl_number(&k->argv[i], &v[i]);
		if (!head_from_iem_quaternion(v[0], v[1], v[2], v[3], &q))
			return tingle_err(k->err, k->n, "%s: not a rotation (w x y z all 0 or too large)", k->path);
		return head_to(k, &q);
	}
	tracker_angles(k, k->c->iem_ypr);
	head_from_iem(k->c->iem_ypr[0], k->c->iem_ypr[1], k->c->iem_ypr[2], &q);
	return head_to(k, &q);
}

/* ADM-OSC's listener: /adm/lis/ypr, tingle's own signs; any angle is
 * taken (ADM-OSC receivers clamp rather than refuse). */
static int cmd_adm_listener(struct call *k)
{
	float v[3];
	struct head_quat q;
	for (int i = 0; i < 3; i++)
		ctl_number(&k->argv[i], &v[i]);
	head_from_ypr(v[0], v[1], v[2], &q);
	return head_to(k, &q);
}

/* ADM-OSC object N (1-based): the live inputs first, in the order the
 * configuration lists them (they are the same in every scene, as a
 * desk's channels are), then the playing scene's [source]s in the order
 * its file lists them. -1 when there is no such object. */
static int adm_object_slot(struct control *c, long n, unsigned *n_inputs)
{
	unsigned inputs = 0;
	int slot = -1;
	for (unsigned i = 0; i < c->n_slots; i++)
		if (c->src[i].is_input) {
			if ((long)c->src[i].conf_index == n - 1)
				slot = (int)i;
			inputs++;
		}
	*n_inputs = inputs;
	if (n >= 1 && n <= (long)inputs)
		return slot;
	long k = n - 1 - (long)inputs;
	if (c->scene && k >= 0 && k < (long)c->scene->desc.n_sources)
		return c->scene->source_slot[k];
	return -1;
}

static int cmd_adm_object(struct call *k)
{
	struct control *c = k->c;
	long n = 0;
	unsigned inputs;
	if (!parse_int(k->name, &n))
		n = 0;
	int slot = adm_object_slot(c, n, &inputs);
	if (slot < 0) {
		size_t sources = c->scene ? c->scene->desc.n_sources : 0;
		return tingle_err(k->err, k->n, "%s: no object %s (objects 1..%zu: the %u live inputs, then the "
			    "%zu sources of the scene playing)", k->path, k->name, inputs + sources, inputs, sources);
	}
	struct control_source *s = &c->src[slot];
	float v[3] = { 0.0f, 0.0f, 0.0f };
	for (int i = 0; i < k->argc && i < 3; i++)
		ctl_number(&k->argv[i], &v[i]);
	unsigned flags = 0;
	if (!strcmp(k->last, "xyz")) {
		float aed[3];
		adm_xyz_to_aed(v[0], v[1], v[2], aed);
		memcpy(v, aed, sizeof aed);
	}
	bool all = !strcmp(k->last, "aed") || !strcmp(k->last, "xyz");
	if (all || !strcmp(k->last, "azim")) {
		s->azimuth = wrap_azimuth(v[0]);
		flags |= ENGINE_PLACE_AZ;
	}
	if (all || !strcmp(k->last, "elev")) {
		s->elevation = fminf(fmaxf(all ? v[1] : v[0], -90.0f), 90.0f);
		flags |= ENGINE_PLACE_EL;
	}
	if (all || !strcmp(k->last, "dist")) {
		s->distance = adm_distance_m(all ? v[2] : v[0]);
		flags |= ENGINE_PLACE_DIST;
	}
	int rc = send_place(c, k->q, k->offset, slot, flags, k->path, k->err, k->n);
	if (rc == 0) {
		char as[CONF_NAME_MAX + 32];
		snprintf(as, sizeof as, "/source/%s/position", s->name);
		send_place_feedback(c, slot);
		send_bound_values(c, NULL, as);
	}
	return rc;
}

/* A token argument: a whole number 1..2^24 (exact as a float too, since
 * tablets send floats). */
static bool token_arg(const struct ctl_arg *a, int32_t *out)
{
	float v;
	if (!ctl_number(a, &v) || v < 1.0f || v > 16777216.0f || v != floorf(v))
		return false;
	*out = (int32_t)v;
	return true;
}

/* /subscribe [port [token]]: the first asks, the answer with the token
 * tingled sent confirms (and renews) it. */
static int cmd_subscribe(struct call *k)
{
	struct control *c = k->c;
	int port = 0;
	int32_t token = 0;
	if (k->argc >= 1) {
		float v = 0.0f;
		ctl_number(&k->argv[0], &v);
		if (v < (k->argc == 2 ? 0.0f : 1.0f) || v > 65535.0f || v != floorf(v))
			return tingle_err(k->err, k->n, "%s: %g is not a UDP port (1..65535%s)", k->path, v,
					  k->argc == 2 ? ", or 0 for the port it comes from" : "");
		port = (int)v;
	}
	if (k->argc == 2 && !token_arg(&k->argv[1], &token))
		return tingle_err(k->err, k->n, "%s: not a token (the number tingled sent with /token)", k->path);
	if (!k->from || !c->sink.subscribe)
		return tingle_err(k->err, k->n, "%s: only over OSC", k->path);
	struct ctl_sender where;
	int rc = c->sink.subscribe(c->sink.ctx, k->from, port, token, &where, k->err, k->n);
	if (rc < 0)
		return -1;
	if (rc == CTL_SUB_NEW)
		control_send_state_locked(c, &where);
	return 0;
}

static int cmd_unsubscribe(struct call *k)
{
	if (!k->from || !k->c->sink.unsubscribe)
		return tingle_err(k->err, k->n, "%s: only over OSC", k->path);
	k->c->sink.unsubscribe(k->c->sink.ctx, k->from);
	return 0;
}

/* /state [token]: the whole state, to a sender that proved it receives
 * there (else only a token goes back, no larger than the question). */
static int cmd_state(struct call *k)
{
	int32_t token = 0;
	if (k->argc == 1 && !token_arg(&k->argv[0], &token))
		return tingle_err(k->err, k->n, "%s: not a token (the number tingled sent with /token)", k->path);
	if (!k->from || !k->c->sink.send)
		return tingle_err(k->err, k->n, "%s: only over OSC", k->path);
	if (k->c->sink.confirmed && !k->c->sink.confirmed(k->c->sink.ctx, k->from, token))
		return 0;
	control_send_state_locked(k->c, k->from);
	return 0;
}

static int cmd_learn(struct call *k)
{
	struct control *c = k->c;
	char action[BIND_TEXT_MAX] = "";
	if (join_words(k->argv, k->argc, action, sizeof action) < 0)
		return tingle_err(k->err, k->n, "%s: action too long", k->path);
	/* Checked now, so that a typo is answered at once. */
	struct conf_bind b = { .control = "midi cc 0" };
	str_copy(b.action, sizeof b.action, action);
	char why[384];
	if (bind_parse(&b, why, sizeof why) < 0)
		return tingle_err(k->err, k->n, "%s: %s", k->path, why);
	str_copy(c->learn_action, sizeof c->learn_action, action);
	c->learning = true;
	c->learn_has_from = k->from != NULL;
	if (k->from)
		c->learn_from = *k->from;
	update_forwards(c, k->q);
	return 0;
}

static const struct command commands[] = {
	{ "/ping", "", "no arguments", cmd_ping },
	{ "/trigger", "s|sn", "a sound name and an optional velocity (0..1 or 0..127)", cmd_trigger_named },
	{ "/release", "s", "a sound name", cmd_release_named },
	{ "/trigger/*", "|n", "nothing or a velocity (1 or more than 0 triggers, 0 releases)", cmd_trigger },
	{ "/release/*", "|n", BUTTON, cmd_release },
	{ "/panic", "|n", BUTTON, cmd_panic },
	{ "/hold", "n", "one number (1 holds, 0 lets go)", cmd_hold },
	{ "/scene", "s|n", "a scene name or a setlist index", cmd_scene },
	{ "/scene/index", "n", "a setlist index (0 is the first scene)", cmd_scene_index },
	{ "/scene/next", "|n", BUTTON, cmd_scene_step },
	{ "/scene/prev", "|n", BUTTON, cmd_scene_step },
	{ "/master/gain", "n", "one number (dB)", cmd_master_gain },
	{ "/source/*/position", "nnn", "three numbers (azimuth, elevation, distance)", cmd_source },
	{ "/source/*/azimuth", "n", "one number (degrees)", cmd_source },
	{ "/source/*/elevation", "n", "one number (degrees)", cmd_source },
	{ "/source/*/distance", "n", "one number (metres)", cmd_source },
	{ "/source/*/xy", "nn", "two numbers 0..1 (x, y)", cmd_source },
	{ "/source/*/gain", "n", "one number (dB)", cmd_source },
	{ "/source/*/mute", "n", "one number (1 mutes, 0 unmutes)", cmd_source },
	{ "/source/*/room", "n", "one number (the room send in dB, below -120 off)", cmd_source },
	{ "/source/*/motion", "s*", "a motion (orbit DEG_PER_S, wander DEG [SECONDS], sweep AZ EL DIST SECONDS "
				   "or none)", cmd_source },
	{ "/listener/ypr", "nnn", "three numbers (yaw, pitch, roll in degrees)", cmd_listener },
	{ "/listener/yaw", "n", "one number (degrees, positive: head turned left)", cmd_listener },
	{ "/listener/pitch", "n", "one number (degrees, positive: nose up)", cmd_listener },
	{ "/listener/roll", "n", "one number (degrees, positive: right ear down)", cmd_listener },
	{ "/listener/quaternion", "nnnn", "four numbers (w, x, y, z: the head's rotation)", cmd_listener },
	{ "/listener/reset", "|n", BUTTON, cmd_listener },
	/* Head trackers and panners in their own conventions (control/trackers.h). */
	{ "/ypr", "nnn", "three numbers (SPARTA: yaw, pitch, roll in degrees)", cmd_sparta },
	{ "/yaw", "n", "one number (SPARTA: degrees)", cmd_sparta },
	{ "/pitch", "n", "one number (SPARTA: degrees)", cmd_sparta },
	{ "/roll", "n", "one number (SPARTA: degrees)", cmd_sparta },
	{ "/SceneRotator/ypr", "nnn", "three numbers (yaw, pitch, roll in degrees)", cmd_iem },
	{ "/SceneRotator/yaw", "n", "one number (degrees)", cmd_iem },
	{ "/SceneRotator/pitch", "n", "one number (degrees)", cmd_iem },
	{ "/SceneRotator/roll", "n", "one number (degrees)", cmd_iem },
	{ "/SceneRotator/quaternions", "nnnn", "four numbers (w, x, y, z: the scene's rotation)", cmd_iem },
	{ "/adm/lis/ypr", "nnn", "three numbers (yaw, pitch, roll in degrees)", cmd_adm_listener },
	{ "/adm/obj/*/azim", "n", "one number (degrees, positive left)", cmd_adm_object },
	{ "/adm/obj/*/elev", "n", "one number (degrees)", cmd_adm_object },
	{ "/adm/obj/*/dist", "n", "one number (0..1, 1 on the reference sphere)", cmd_adm_object },
	{ "/adm/obj/*/aed", "nnn", "three numbers (azimuth, elevation, distance 0..1)", cmd_adm_object },
	{ "/adm/obj/*/xyz", "nnn", "three numbers -1..1 (x right, y front, z up)", cmd_adm_object },
	{ "/input/*/gain", "n", "one number (dB)", cmd_source },
	{ "/input/*/mute", "n", "one number (1 mutes, 0 unmutes)", cmd_source },
	{ "/input/*/room", "n", "one number (the room send in dB, below -120 off)", cmd_source },
	{ "/subscribe", "|n|nn", "nothing, the UDP port feedback goes to, or the port and the token tingled sent",
	  cmd_subscribe },
	{ "/unsubscribe", "", "no arguments", cmd_unsubscribe },
	{ "/state", "|n", "nothing or the token tingled sent", cmd_state },
	{ "/learn", "s*", "the action the next MIDI control is bound to, such as 'scene next'", cmd_learn },
};

/* Does the address match the pattern? *name receives the part '*' stood
 * for (written into buf). */
static bool pattern_match(const char *pattern, const char *path, char *name, size_t n)
{
	name[0] = '\0';
	while (*pattern && *path) {
		if (*pattern == '*') {
			const char *end = strchr(path, '/');
			size_t len = end ? (size_t)(end - path) : strlen(path);
			if (len == 0 || len >= n)
				return false;
			memcpy(name, path, len);
			name[len] = '\0';
			path += len;
			pattern++;
			continue;
		}
		if (*pattern != *path)
			return false;
		pattern++;
		path++;
	}
	return !*pattern && !*path;
}

/* Is the address one of the command table's? */
static bool is_command(const char *path)
{
	char name[CONF_NAME_MAX * 2];
	for (size_t i = 0; i < TINGLE_ARRAY_LEN(commands); i++)
		if (pattern_match(commands[i].pattern, path, name, sizeof name))
			return true;
	return false;
}

static bool form_fits(const char *form, size_t len, const struct ctl_arg *argv, int argc)
{
	float v;
	int i = 0;
	for (size_t k = 0; k < len; k++) {
		if (form[k] == '*')
			return true;
		if (i >= argc)
			return false;
		if (form[k] == 's' ? argv[i].type != 's' : !ctl_number(&argv[i], &v))
			return false;
		i++;
	}
	return i == argc;
}

static bool forms_fit(const char *forms, const struct ctl_arg *argv, int argc)
{
	for (const char *f = forms;;) {
		const char *bar = strchr(f, '|');
		size_t len = bar ? (size_t)(bar - f) : strlen(f);
		if (form_fits(f, len, argv, argc))
			return true;
		if (!bar)
			return false;
		f = bar + 1;
	}
}

/* One command from the table, the lock held. */
static int run_command(struct control *c, struct engine_queue *q, uint32_t offset, const char *path,
		       const struct ctl_arg *argv, int argc, const struct ctl_sender *from,
		       struct ctl_reply *reply, char *err, size_t errlen)
{
	char name[CONF_NAME_MAX * 2], types[16];
	const char *last = strrchr(path, '/') + 1;
	for (size_t i = 0; i < TINGLE_ARRAY_LEN(commands); i++) {
		const struct command *cmd = &commands[i];
		if (!pattern_match(cmd->pattern, path, name, sizeof name))
			continue;
		if (!forms_fit(cmd->forms, argv, argc))
			return tingle_err(err, errlen, "%s: expected %s, got %s", path, cmd->expect,
				    type_list(argv, argc, types, sizeof types));
		struct call k = { c, q, offset, path, name, last, argv, argc, from, reply, err, errlen };
		return cmd->fn(&k);
	}
	return tingle_err(err, errlen, "unknown address %s", path);
}

/* --------------------------------------------------------------------- */
/* Bindings */

/* Edges closer together than this are a bouncing contact. */
#define DEBOUNCE_S 0.05

/* What a control did: a value (OSC 0..1; MIDI 0..127), a second one (XY
 * pads), a program number, and whether it is now down. */
struct stroke {
	float value, value2;
	int nvalues;
	bool down;
	bool is_pc;
	bool midi;
	double t;
};

static int bound_command(struct control *c, struct engine_queue *q, const struct conf_bind *b,
			 const struct ctl_arg *argv, int argc, const struct ctl_sender *from, char *err,
			 size_t errlen)
{
	struct ctl_reply reply;
	int rc = run_command(c, q, 0, b->command, argv, argc, from, &reply, err, errlen);
	if (rc == 1 && from && c->sink.send)
		c->sink.send(c->sink.ctx, &reply, from);
	if (rc == 0)
		send_bound_values(c, NULL, b->command);
	return rc;
}

/* A switch-like action fires: on (pressed, or toggled on) or off. */
static int fire(struct control *c, struct engine_queue *q, const struct conf_bind *b, const struct stroke *s,
		bool on, const struct ctl_sender *from, char *err, size_t n)
{
	struct ctl_arg a[1];
	switch (b->kind) {
	case BIND_TRIGGER: {
		float vel = 1.0f;
		if (on && s->midi && !s->is_pc)
			vel = fmaxf(s->value, 1.0f) / 127.0f;
		else if (on && !s->midi && s->nvalues && s->value > 0.0f)
			vel = fminf(s->value, 1.0f);
		a[0] = (struct ctl_arg){ .type = 'f', .f = on ? vel : 0.0f };
		return bound_command(c, q, b, a, 1, from, err, n);
	}
	case BIND_HOLD:
		a[0] = (struct ctl_arg){ .type = 'f', .f = on ? 1.0f : 0.0f };
		return bound_command(c, q, b, a, 1, from, err, n);
	case BIND_SCENE:
		if (!on)
			return 0;
		a[0] = (struct ctl_arg){ .type = 's', .s = b->target };
		return bound_command(c, q, b, a, 1, from, err, n);
	case BIND_RELEASE:
	case BIND_SCENE_STEP:
	case BIND_PANIC:
		return on ? bound_command(c, q, b, NULL, 0, from, err, n) : 0;
	default:
		return 0;
	}
}

static bool is_switch(const struct conf_bind *b)
{
	return b->kind != BIND_VALUE && b->kind != BIND_XY && b->kind != BIND_SCENE_INDEX;
}

/* A switch changed to down (accepted): act as the binding's on= says. */
static int edge(struct control *c, struct engine_queue *q, const struct conf_bind *b, struct bind_state *st,
		const struct stroke *s, bool down, const struct ctl_sender *from, char *err, size_t n)
{
	st->down = down;
	st->last_edge = s->t;
	switch (b->on) {
	case BIND_ON_PRESS: return down ? fire(c, q, b, s, true, from, err, n) : 0;
	case BIND_ON_RELEASE: return down ? 0 : fire(c, q, b, s, true, from, err, n);
	case BIND_ON_BOTH: return fire(c, q, b, s, down, from, err, n);
	case BIND_ON_TOGGLE:
		if (!down)
			return 0;
		st->toggled = !st->toggled;
		return fire(c, q, b, s, st->toggled, from, err, n);
	}
	return 0;
}

static int run_binding(struct control *c, struct engine_queue *q, const struct conf_bind *b,
		       struct bind_state *st, const struct stroke *s, const struct ctl_sender *from, char *err,
		       size_t n)
{
	struct ctl_arg a[2];
	if (b->kind == BIND_VALUE) {
		if (!s->nvalues)
			return tingle_err(err, n, "%s (bound to %s): expected a value", b->control, b->action);
		float v;
		if (b->raw) {
			/* In the action's own units, as sent (MIDI: 0..127). */
			v = s->value;
			if (!(v >= b->min && v <= b->max))
				return tingle_err(err, n, "%s (bound to %s): %g out of range %g..%g", b->control,
					    b->action, (double)v, (double)b->min, (double)b->max);
		} else {
			float u = bind_unit(b, s->value);
			v = b->toggle_param ? (u >= 0.5f ? 1.0f : 0.0f) : b->min + u * (b->max - b->min);
		}
		a[0] = (struct ctl_arg){ .type = 'f', .f = v };
		return bound_command(c, q, b, a, 1, from, err, n);
	}
	if (b->kind == BIND_XY) {
		if (s->nvalues != 2)
			return tingle_err(err, n, "%s (bound to %s): expected two values x y 0..1 (an XY pad)", b->control,
				    b->action);
		a[0] = (struct ctl_arg){ .type = 'f', .f = fminf(fmaxf(s->value, 0.0f), 1.0f) };
		a[1] = (struct ctl_arg){ .type = 'f', .f = fminf(fmaxf(s->value2, 0.0f), 1.0f) };
		return bound_command(c, q, b, a, 2, from, err, n);
	}
	if (b->kind == BIND_SCENE_INDEX) {
		if (!s->nvalues)
			return tingle_err(err, n, "%s (bound to %s): expected a value", b->control, b->action);
		a[0] = (struct ctl_arg){ .type = 'i', .i = (int32_t)lroundf(fmaxf(s->value, 0.0f)) };
		if (s->midi && !s->is_pc && b->way == BIND_CC)
			a[0].i = (int32_t)s->value;
		if (s->is_pc && st->last_program == a[0].i + 1 && s->t - st->last_edge < DEBOUNCE_S)
			return 0; /* the same program again at once: a repeat */
		st->last_program = a[0].i + 1;
		st->last_edge = s->t;
		return bound_command(c, q, b, a, 1, from, err, n);
	}
	/* Switches. A program change is a press and a release at once. */
	if (s->is_pc) {
		if (s->t - st->last_edge < DEBOUNCE_S && st->last_program == (int)s->value + 1)
			return 0;
		st->last_program = (int)s->value + 1;
		int rc = edge(c, q, b, st, s, true, from, err, n);
		st->down = false;
		st->raw_down = false;
		if (b->on == BIND_ON_RELEASE || b->on == BIND_ON_BOTH)
			rc = edge(c, q, b, st, s, false, from, err, n);
		return rc;
	}
	st->raw_down = s->down;
	if (s->down == st->down)
		return 0;
	/* A contact that bounces: a change within 50 ms of the last one
	 * waits (control_tick carries it out if it lasts). */
	if (s->midi && st->last_edge > 0.0 && s->t - st->last_edge < DEBOUNCE_S)
		return 0;
	return edge(c, q, b, st, s, s->down, from, err, n);
}

static bool midi_matches(const struct conf_bind *b, uint8_t kind, uint8_t ch, uint8_t d1)
{
	if (b->channel >= 0 && b->channel != ch)
		return false;
	switch (b->way) {
	case BIND_NOTE: return (kind == 0x90 || kind == 0x80) && b->number == d1;
	case BIND_CC: return kind == 0xb0 && b->number == d1;
	case BIND_PC: return kind == 0xc0;
	default: return false;
	}
}

/* The bindings in effect, newest page first: learned, the scene's, the
 * configuration's. The first list with a binding for a control has it. */
struct bind_list {
	const struct conf_bind *b;
	struct bind_state *st;
	size_t n;
};

static size_t bind_lists(struct control *c, struct bind_list l[3])
{
	l[0] = (struct bind_list){ c->learned, c->learned_state, c->n_learned };
	l[1] = (struct bind_list){ c->scene_binds, c->scene_state, c->scene_binds ? c->n_scene_binds : 0 };
	l[2] = (struct bind_list){ c->global, c->global_state, c->n_global };
	return 3;
}

/* An OSC address a [bind] line names: 1 when bound (rc in *rc). */
static bool osc_bound(struct control *c, struct engine_queue *q, const char *path, const struct ctl_arg *argv,
		      int argc, const struct ctl_sender *from, int *rc, char *err, size_t n)
{
	struct bind_list l[3];
	size_t nl = bind_lists(c, l);
	for (size_t i = 0; i < nl; i++) {
		bool found = false;
		*rc = 0;
		for (size_t k = 0; k < l[i].n; k++) {
			const struct conf_bind *b = &l[i].b[k];
			if (b->way != BIND_OSC || strcmp(b->osc, path))
				continue;
			found = true;
			struct stroke s = { .down = argc == 0 };
			float v[2] = { 0.0f, 0.0f };
			for (int a = 0; a < argc && a < 2; a++) {
				if (!ctl_number(&argv[a], &v[a])) {
					*rc = tingle_err(err, n, "%s (bound to %s): expected numbers, got a string", path, b->action);
					return true;
				}
			}
			if (argc > 2) {
				*rc = tingle_err(err, n, "%s (bound to %s): expected one or two numbers", path, b->action);
				return true;
			}
			s.nvalues = argc;
			s.value = argc > 0 ? v[0] : 1.0f;
			s.value2 = argc > 1 ? v[1] : 0.0f;
			s.down = argc == 0 || v[0] >= 0.5f;
			int r = run_binding(c, q, b, &l[i].st[k], &s, from, err, n);
			if (argc == 0 && is_switch(b) && r >= 0) /* a bare message: pressed and let go */
				r = run_binding(c, q, b, &l[i].st[k], &(struct stroke){ .down = false }, from, err, n);
			if (r < 0 && *rc == 0)
				*rc = r;
		}
		if (found)
			return true;
	}
	return false;
}

static void learn(struct control *c, struct engine_queue *q, uint8_t kind, uint8_t ch, uint8_t d1)
{
	struct conf_bind b = { 0 };
	if (kind == 0xb0)
		snprintf(b.control, sizeof b.control, "midi cc %u channel %u", d1, ch + 1u);
	else if (kind == 0x90)
		snprintf(b.control, sizeof b.control, "midi note %u channel %u", d1, ch + 1u);
	else
		snprintf(b.control, sizeof b.control, "midi pc channel %u", ch + 1u);
	str_copy(b.action, sizeof b.action, c->learn_action);
	char why[384], line[600];
	struct ctl_reply m = { .argc = 1 };
	c->learning = false;
	update_forwards(c, q);
	if (bind_parse(&b, why, sizeof why) < 0) {
		str_copy(m.path, sizeof m.path, "/error");
		snprintf(line, sizeof line, "/learn %s: %s", b.control, why);
		log_warn("%s", line);
	} else {
		size_t at = c->n_learned;
		for (size_t k = 0; k < c->n_learned; k++)
			if (!strcmp(c->learned[k].control, b.control))
				at = k;
		if (at == CONTROL_MAX_LEARNED) { /* full: the oldest goes */
			memmove(c->learned, c->learned + 1, (CONTROL_MAX_LEARNED - 1) * sizeof b);
			at = CONTROL_MAX_LEARNED - 1;
		}
		c->learned[at] = b;
		memset(&c->learned_state[at], 0, sizeof c->learned_state[at]);
		if (at == c->n_learned)
			c->n_learned++;
		update_forwards(c, q);
		c->dirty = true;
		str_copy(m.path, sizeof m.path, "/learned");
		bind_format(&b, line, sizeof line);
		log_info("learned: %s (add it to a [bind] section to keep it)", line);
	}
	m.args[0] = (struct ctl_arg){ .type = 's', .s = line };
	if (c->sink.send)
		c->sink.send(c->sink.ctx, &m, c->learn_has_from ? &c->learn_from : NULL);
}

void control_add_learned(struct control *c, struct engine_queue *q, const struct conf_bind *b)
{
	pthread_mutex_lock(&c->lock);
	size_t at = c->n_learned;
	for (size_t k = 0; k < c->n_learned; k++)
		if (!strcmp(c->learned[k].control, b->control))
			at = k;
	if (at < CONTROL_MAX_LEARNED) {
		c->learned[at] = *b;
		memset(&c->learned_state[at], 0, sizeof c->learned_state[at]);
		if (at == c->n_learned)
			c->n_learned++;
		update_forwards(c, q);
	}
	pthread_mutex_unlock(&c->lock);
}

void control_midi(struct control *c, struct engine_queue *q, uint32_t msg, double t)
{
	uint8_t status = msg & 0xff, d1 = (msg >> 8) & 0x7f, d2 = (msg >> 16) & 0x7f;
	uint8_t kind = status & 0xf0, ch = status & 0x0f;
	if (kind == 0x90 && d2 == 0)
		kind = 0x80;
	pthread_mutex_lock(&c->lock);
	c->midi_now = t;
	if (c->learning && (kind == 0xb0 || kind == 0x90 || kind == 0xc0)) {
		learn(c, q, kind, ch, d1);
		pthread_mutex_unlock(&c->lock);
		return;
	}
	struct stroke s = { .midi = true, .t = t, .nvalues = 1 };
	switch (kind) {
	case 0x90: s.value = d2; s.down = true; break;
	case 0x80: s.value = 0; s.down = false; break;
	case 0xb0: s.value = d2; s.down = d2 >= 64; break;
	case 0xc0: s.value = d1; s.is_pc = true; break;
	default: pthread_mutex_unlock(&c->lock); return;
	}
	struct bind_list l[3];
	size_t nl = bind_lists(c, l);
	char err[512];
	for (size_t i = 0; i < nl; i++) {
		bool found = false;
		for (size_t k = 0; k < l[i].n; k++) {
			const struct conf_bind *b = &l[i].b[k];
			if (!midi_matches(b, kind, ch, d1))
				continue;
			found = true;
			int rc = run_binding(c, q, b, &l[i].st[k], &s, NULL, err, sizeof err);
			if (rc < 0)
				log_limited(&c->lim_bind, LOG_WARN, "MIDI %s: %s", b->control, err);
		}
		if (found)
			break;
	}
	pthread_mutex_unlock(&c->lock);
}

void control_tick(struct control *c, struct engine_queue *q, double t)
{
	struct bind_list l[3];
	char err[512];
	pthread_mutex_lock(&c->lock);
	if (t > c->midi_now)
		c->midi_now = t;
	size_t nl = bind_lists(c, l);
	for (size_t i = 0; i < nl; i++)
		for (size_t k = 0; k < l[i].n; k++) {
			const struct conf_bind *b = &l[i].b[k];
			struct bind_state *st = &l[i].st[k];
			if (b->way == BIND_OSC || b->way == BIND_PC || !is_switch(b) || st->raw_down == st->down ||
			    t - st->last_edge < DEBOUNCE_S)
				continue;
			/* A change held back by the debounce has lasted: it was real. */
			struct stroke s = { .midi = true, .t = t, .nvalues = 1, .value = st->raw_down ? 127 : 0,
					    .down = st->raw_down };
			if (edge(c, q, b, st, &s, st->raw_down, NULL, err, sizeof err) < 0)
				log_limited(&c->lim_bind, LOG_WARN, "MIDI %s: %s", b->control, err);
		}
	log_limit_flush(&c->lim_bind);
	pthread_mutex_unlock(&c->lock);
}

/* Ask the engine to report the notes bindings use (and every note while
 * learning). */
static void update_forwards(struct control *c, struct engine_queue *q)
{
	bool want[128] = { false };
	struct bind_list l[3];
	size_t nl = bind_lists(c, l);
	for (size_t i = 0; i < nl; i++)
		for (size_t k = 0; k < l[i].n; k++)
			if (l[i].b[k].way == BIND_NOTE && l[i].b[k].number >= 0 && l[i].b[k].number < 128)
				want[l[i].b[k].number] = true;
	for (int note = 0; note < 128; note++) {
		if (want[note] == c->notes_forwarded[note])
			continue;
		struct engine_cmd cmd = { .type = ENGINE_CMD_MIDI_FORWARD, .target = note, .i = want[note] };
		if (engine_queue_push(q, &cmd))
			c->notes_forwarded[note] = want[note];
	}
	if (c->learning != c->forwarding_all) {
		struct engine_cmd cmd = { .type = ENGINE_CMD_MIDI_FORWARD, .target = -1, .i = c->learning };
		if (engine_queue_push(q, &cmd))
			c->forwarding_all = c->learning;
	}
}

int control_dispatch_from(struct control *c, struct engine_queue *q, uint32_t offset, const char *path,
			  const struct ctl_arg *argv, int argc, const struct ctl_sender *from,
			  struct ctl_reply *reply, char *err, size_t errlen)
{
	if (!path || path[0] != '/' || strlen(path) >= 256)
		return tingle_err(err, errlen, "bad address %s", path ? path : "(none)");
	/* An empty part ("//trigger", "/trigger/") names nothing. */
	for (const char *p = path; *p; p++)
		if (*p == '/' && (p[1] == '/' || p[1] == '\0'))
			return tingle_err(err, errlen, "bad address %s: an empty part", path);
	int rc;
	pthread_mutex_lock(&c->lock);
	if (!osc_bound(c, q, path, argv, argc, from, &rc, err, errlen)) {
		rc = run_command(c, q, offset, path, argv, argc, from, reply, err, errlen);
		if (rc == 0)
			send_bound_values(c, NULL, path); /* tablet controls bound to it follow */
	}
	if (rc == 0)
		c->dirty = true;
	pthread_mutex_unlock(&c->lock);
	return rc;
}

int control_dispatch(struct control *c, struct engine_queue *q, uint32_t offset, const char *path,
		     const struct ctl_arg *argv, int argc, struct ctl_reply *reply, char *err,
		     size_t errlen)
{
	return control_dispatch_from(c, q, offset, path, argv, argc, NULL, reply, err, errlen);
}

void control_set_sink(struct control *c, const struct ctl_sink *sink)
{
	pthread_mutex_lock(&c->lock);
	if (sink)
		c->sink = *sink;
	else
		memset(&c->sink, 0, sizeof c->sink);
	pthread_mutex_unlock(&c->lock);
}

void control_detach_sink(struct control *c, void *ctx)
{
	pthread_mutex_lock(&c->lock);
	if (c->sink.ctx == ctx)
		memset(&c->sink, 0, sizeof c->sink);
	pthread_mutex_unlock(&c->lock);
}

/* --------------------------------------------------------------------- */
/* Feedback */

static bool listening(struct control *c)
{
	return c->sink.send && (!c->sink.listening || c->sink.listening(c->sink.ctx));
}

static void say(struct control *c, const struct ctl_sender *to, const char *path, const char *types, ...)
{
	struct ctl_reply m = { .argc = 0 };
	str_copy(m.path, sizeof m.path, path);
	va_list ap;
	va_start(ap, types);
	for (; types[m.argc] && m.argc < CTL_REPLY_MAX_ARGS; m.argc++) {
		struct ctl_arg *a = &m.args[m.argc];
		a->type = types[m.argc];
		if (a->type == 'f')
			a->f = (float)va_arg(ap, double);
		else if (a->type == 'i')
			a->i = va_arg(ap, int);
		else
			a->s = va_arg(ap, const char *);
	}
	va_end(ap);
	c->sink.send(c->sink.ctx, &m, to);
}

static void say_place(struct control *c, const struct ctl_sender *to, const char *name, float azimuth,
		      float elevation, float distance)
{
	char path[160];
	snprintf(path, sizeof path, "/source/%s/position", name);
	say(c, to, path, "fff", (double)azimuth, (double)elevation, (double)distance);
	/* And where it is on an XY pad (as /source/NAME/xy reads one), so
	 * pads follow. */
	float r = (distance - ENGINE_MIN_DISTANCE) / (XY_PAD_RADIUS - ENGINE_MIN_DISTANCE);
	r = fminf(fmaxf(r, 0.0f), 1.0f);
	const float az = azimuth * (float)M_PI / 180.0f;
	snprintf(path, sizeof path, "/source/%s/xy", name);
	say(c, to, path, "ff", (double)(0.5f - 0.5f * r * sinf(az)), (double)(0.5f + 0.5f * r * cosf(az)));
}

static void send_place_feedback_to(struct control *c, const struct ctl_sender *to, int slot)
{
	const struct control_source *s = &c->src[slot];
	say_place(c, to, s->name, s->azimuth, s->elevation, s->distance);
}

static void send_gain_feedback_to(struct control *c, const struct ctl_sender *to, int slot)
{
	const struct control_source *s = &c->src[slot];
	char path[160];
	if (!s->is_input)
		return;
	snprintf(path, sizeof path, "/input/%s/gain", s->name);
	say(c, to, path, "f", (double)s->gain_db);
	snprintf(path, sizeof path, "/input/%s/mute", s->name);
	say(c, to, path, "i", (int)s->mute);
}

static void send_place_feedback(struct control *c, int slot)
{
	if (listening(c) && c->src[slot].name[0])
		send_place_feedback_to(c, NULL, slot);
}

static void send_gain_feedback(struct control *c, int slot)
{
	if (listening(c) && c->src[slot].name[0])
		send_gain_feedback_to(c, NULL, slot);
}

/* The room send, at the address that sets it (off as the lowest send). */
static void send_room_feedback(struct control *c, int slot)
{
	const struct control_source *s = &c->src[slot];
	char path[160];
	if (!listening(c) || !s->name[0])
		return;
	snprintf(path, sizeof path, "/%s/%s/room", s->is_input ? "input" : "source", s->name);
	say(c, NULL, path, "f", isfinite(s->room_db) ? (double)s->room_db : (double)TINGLE_GAIN_DB_MIN);
}

/* A bound control's value, in its own range: 0..1 for a fader (raw: the
 * parameter's own units), x y for an XY pad. False for controls that
 * have none (buttons). */
static bool bound_value(struct control *c, const struct conf_bind *b, float v[2], int *nv)
{
	*nv = 1;
	if (b->kind == BIND_HOLD) {
		v[0] = c->sustain ? 1.0f : 0.0f;
		return true;
	}
	if (b->kind != BIND_VALUE && b->kind != BIND_XY)
		return false;
	float now;
	const char *param = strrchr(b->command, '/') + 1;
	if (!strcmp(b->command, "/master/gain")) {
		now = c->master_db;
	} else if (!strncmp(b->command, "/listener/", 10)) {
		now = param[0] == 'y' ? c->yaw : param[0] == 'p' ? c->pitch : c->roll;
	} else {
		int slot = find_locked(c, b->target);
		if (slot < 0)
			return false;
		const struct control_source *s = &c->src[slot];
		if (b->kind == BIND_XY) {
			float r = fminf(fmaxf((s->distance - ENGINE_MIN_DISTANCE) /
					      (XY_PAD_RADIUS - ENGINE_MIN_DISTANCE), 0.0f), 1.0f);
			float a = s->azimuth * (float)M_PI / 180.0f;
			v[0] = 0.5f * (1.0f - r * sinf(a));
			v[1] = 0.5f * (1.0f + r * cosf(a));
			*nv = 2;
			return true;
		}
		if (!strcmp(param, "gain"))
			now = s->gain_db;
		else if (!strcmp(param, "mute"))
			now = s->mute ? 1.0f : 0.0f;
		else if (!strcmp(param, "azimuth"))
			now = s->azimuth;
		else if (!strcmp(param, "elevation"))
			now = s->elevation;
		else if (!strcmp(param, "room"))
			now = isfinite(s->room_db) ? s->room_db : TINGLE_GAIN_DB_MIN;
		else
			now = s->distance;
	}
	if (b->toggle_param || b->raw) {
		v[0] = now; /* raw: in its own units, as the control sends it */
		return true;
	}
	float u = (now - b->min) / (b->max - b->min);
	v[0] = fminf(fmaxf(u, 0.0f), 1.0f);
	if (b->way != BIND_OSC)
		v[0] *= 127.0f;
	return true;
}

/* Does command set what b shows? The same command, the same source (a
 * place set one way shows on an XY pad and on an azimuth fader), or the
 * head (its angles are one state, whoever turns it). */
static bool changes_head(const char *command)
{
	return !strncmp(command, "/listener/", 10) || !strcmp(command, "/ypr") || !strcmp(command, "/yaw") ||
	       !strcmp(command, "/pitch") || !strcmp(command, "/roll") ||
	       !strncmp(command, "/SceneRotator/", 14) || !strncmp(command, "/adm/lis/", 9);
}

static bool same_control(const char *command, const struct conf_bind *b)
{
	if (!strcmp(command, b->command))
		return true;
	/* Any way the head turns shows on every bound head control. */
	if (changes_head(command) && !strncmp(b->command, "/listener/", 10))
		return true;
	const char *name = NULL;
	if (!strncmp(command, "/source/", 8))
		name = command + 8;
	else if (!strncmp(command, "/input/", 7))
		name = command + 7;
	size_t len = strlen(b->target);
	return name && len && !strncmp(name, b->target, len) && name[len] == '/';
}

/* Every bound OSC control's value (only those command changes, when
 * given). */
static void send_bound_values(struct control *c, const struct ctl_sender *to, const char *command)
{
	if (!to && !listening(c))
		return;
	struct bind_list l[3];
	size_t nl = bind_lists(c, l);
	for (size_t i = 0; i < nl; i++)
		for (size_t k = 0; k < l[i].n; k++) {
			const struct conf_bind *b = &l[i].b[k];
			float v[2];
			int nv;
			if (b->way != BIND_OSC || (command && !same_control(command, b)))
				continue;
			if (!bound_value(c, b, v, &nv))
				continue;
			if (nv == 2)
				say(c, to, b->osc, "ff", (double)v[0], (double)v[1]);
			else
				say(c, to, b->osc, "f", (double)v[0]);
		}
}

static void send_scene_locked(struct control *c, const struct ctl_sender *to)
{
	say(c, to, "/scene/name", "s", c->scene_name);
	say(c, to, "/scene/index", "i", c->scene_index);
	for (unsigned i = 0; i < c->n_slots; i++)
		if (c->src[i].name[0]) {
			send_place_feedback_to(c, to, (int)i);
			send_gain_feedback_to(c, to, (int)i);
		}
	send_bound_values(c, to, NULL);
}

static void control_send_state_locked(struct control *c, const struct ctl_sender *to)
{
	if (!c->sink.send)
		return;
	send_scene_locked(c, to);
	say(c, to, "/master/gain", "f", (double)c->master_db);
	say(c, to, "/hold", "i", (int)c->sustain);
	say(c, to, "/voices", "i", (int)c->voices);
}

void control_send_state(struct control *c, const struct ctl_sender *to)
{
	pthread_mutex_lock(&c->lock);
	control_send_state_locked(c, to);
	pthread_mutex_unlock(&c->lock);
}

void control_send_scene(struct control *c)
{
	pthread_mutex_lock(&c->lock);
	if (listening(c))
		send_scene_locked(c, NULL);
	pthread_mutex_unlock(&c->lock);
}

static double peak_db(float peak)
{
	return peak > 1e-6f ? 20.0 * log10((double)peak) : -120.0;
}

void control_send_meters(struct control *c, float peak_l, float peak_r)
{
	pthread_mutex_lock(&c->lock);
	if (listening(c))
		say(c, NULL, "/meter/out", "ff", peak_db(peak_l), peak_db(peak_r));
	pthread_mutex_unlock(&c->lock);
}

void control_send_input_meter(struct control *c, int slot, float peak)
{
	pthread_mutex_lock(&c->lock);
	if (listening(c) && slot >= 0 && (unsigned)slot < c->n_slots && c->src[slot].is_input) {
		char path[160];
		snprintf(path, sizeof path, "/meter/input/%s", c->src[slot].name);
		say(c, NULL, path, "f", peak_db(peak));
	}
	pthread_mutex_unlock(&c->lock);
}

void control_send_moving_place(struct control *c, int slot, const float where[3])
{
	pthread_mutex_lock(&c->lock);
	if (listening(c) && slot >= 0 && (unsigned)slot < c->n_slots && c->src[slot].name[0])
		say_place(c, NULL, c->src[slot].name, where[0], where[1], where[2]);
	pthread_mutex_unlock(&c->lock);
}

void control_set_voices(struct control *c, unsigned voices)
{
	pthread_mutex_lock(&c->lock);
	if (voices != c->voices && listening(c))
		say(c, NULL, "/voices", "i", (int)voices);
	c->voices = voices;
	pthread_mutex_unlock(&c->lock);
}

void control_scene_failed(struct control *c, const char *why)
{
	pthread_mutex_lock(&c->lock);
	if (c->inflight_has_from && c->sink.send)
		say(c, &c->inflight_from, "/error", "s", why);
	c->inflight_has_from = false;
	pthread_mutex_unlock(&c->lock);
}

bool control_take_dirty(struct control *c, bool clean)
{
	pthread_mutex_lock(&c->lock);
	bool d = c->dirty;
	if (clean)
		c->dirty = false;
	pthread_mutex_unlock(&c->lock);
	return d;
}

void control_set_scene_index(struct control *c, int index)
{
	pthread_mutex_lock(&c->lock);
	c->scene_index = index;
	pthread_mutex_unlock(&c->lock);
}
