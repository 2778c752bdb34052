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
	char name[CONF_NAME_MAX];   /* "" = free slot */
	bool is_input;
	float azimuth, elevation, distance;
	float gain_db;
	bool mute;
};

struct control {
	pthread_mutex_t lock;
	struct engine *engine;
	unsigned n_slots;
	struct control_source *src;  /* one per engine source */
	float master_db;
	float ceiling_db;
};

struct control *control_new(struct engine *e);
void control_free(struct control *c);

/* Make a configuration current: master gain, ceiling, and the live inputs.
 * An input keeps its source slot across reloads (by name), new inputs take
 * free slots, inputs no longer configured are silenced and freed.
 * slots[i] receives the slot of conf->inputs[i]. Returns 0, or -1 with err. */
int control_apply_conf(struct control *c, struct engine_queue *q, const struct tingle_conf *conf,
		       int *slots, char *err, size_t errlen);

/* Slot of a named source or input, -1 if none. Takes the lock. */
int control_find_source(struct control *c, const char *name);

/* Carry out one command. offset: frame within the next block (render).
 * Returns 0 when done, 1 when done and *reply is to be sent back to the
 * sender, -1 when refused (err says why, naming the address). */
int control_dispatch(struct control *c, struct engine_queue *q, uint32_t offset, const char *path,
		     const struct ctl_arg *argv, int argc, struct ctl_reply *reply, char *err,
		     size_t errlen);

/* A number argument: 'f' or 'i' (TouchOSC sends floats for everything). */
bool ctl_number(const struct ctl_arg *a, float *out);

#endif
