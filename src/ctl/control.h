/* The command language of tingle: OSC messages and the lines of a
 * tingle-render events file are the same commands, handled here and
 * turned into engine commands. Called from control threads (the OSC
 * server, the main thread, tingle-render); each caller passes its own
 * engine queue. Named sources and their current values live here, under
 * a lock the audio thread never touches. */
#ifndef TINGLE_CONTROL_H
#define TINGLE_CONTROL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctl/conf.h"

struct engine;
struct engine_queue;

struct ctl_arg {
	char type;       /* 'f', 'i' or 's' */
	float f;
	int32_t i;
	const char *s;
};

#define CTL_REPLY_MAX_ARGS 4
struct ctl_reply {
	char path[128];
	int argc;
	struct ctl_arg args[CTL_REPLY_MAX_ARGS];
};

struct control_source {
	char name[CONF_NAME_MAX];   /* name OSC knows it by; "" = none */
	bool reserved;              /* held by a loaded scene (named only while it plays) */
	bool is_input;
	struct conf_input defaults; /* inputs: the configuration's values */
	float azimuth, elevation, distance;
	float gain_db;
	bool mute;
};

struct loaded_scene;

struct control {
	pthread_mutex_t lock;
	struct engine *engine;
	unsigned n_slots;
	struct control_source *src;  /* one per engine source */
	float master_db;
	float ceiling_db;
	struct loaded_scene *scene;  /* the scene triggers go to */
	/* A scene change asked for over OSC or an event, carried out by the
	 * driver's scene manager (loading may take time): the latest wins. */
	bool scene_req;
	char scene_req_name[CONF_NAME_MAX];  /* "" with index/step */
	int scene_req_index;                 /* -1 unless by index */
	int scene_req_step;                  /* +1 next, -1 prev, 0 */
};

struct control *control_new(struct engine *e);
void control_free(struct control *c);

/* Make a configuration current: master gain, ceiling, and the live inputs.
 * An input keeps its source slot across reloads (by name), new inputs take
 * free slots, inputs no longer configured are silenced and freed.
 * slots[i] receives the slot of conf->inputs[i]. Returns 0, or -1 with err. */
int control_apply_conf(struct control *c, struct engine_queue *q, const struct tingle_conf *conf,
		       int *slots, char *err, size_t errlen);

/* Reserve n free engine sources for a scene (all or none). */
int control_reserve_slots(struct control *c, int *slots, unsigned n);
void control_release_slots(struct control *c, const int *slots, unsigned n);

/* Make ls the scene that plays: its sources take their names and places,
 * the live inputs take its settings (or the configuration's), and the
 * engine is told. Returns 0 or -1 with err. */
int control_set_scene(struct control *c, struct engine_queue *q, struct loaded_scene *ls, char *err,
		      size_t errlen);
/* The engine let go of ls (it no longer plays from it): silence its sources
 * unless it plays again. */
void control_scene_released(struct control *c, struct engine_queue *q, struct loaded_scene *ls);
/* Take the pending scene request, if any (see struct control). */
bool control_take_scene_request(struct control *c, char *name, size_t n, int *index, int *step);

/* Slot of a named source or input, -1 if none. Takes the lock. */
int control_find_source(struct control *c, const char *name);

/* Carry out one command. offset: frame within the next block (render).
 * Returns 0 when done, 1 when done and *reply is to be sent back to the
 * sender, -1 when refused (err says why, naming the address), or
 * CONTROL_QUEUE_FULL when the engine queue had no room for it. */
#define CONTROL_QUEUE_FULL (-2)
int control_dispatch(struct control *c, struct engine_queue *q, uint32_t offset, const char *path,
		     const struct ctl_arg *argv, int argc, struct ctl_reply *reply, char *err,
		     size_t errlen);

/* A number argument: 'f' or 'i' (TouchOSC sends floats for everything). */
bool ctl_number(const struct ctl_arg *a, float *out);

#endif
