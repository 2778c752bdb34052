/* The command language of tingle: one table of commands {address
 * pattern, arguments, handler} that every way in resolves to: OSC
 * messages, the lines of a tingle-render events file, [bind] lines (OSC
 * controls, MIDI notes, controllers and program changes) and MIDI learn.
 * Called from control threads (the OSC server, the main thread,
 * tingle-render); each caller passes its own engine queue. Named sources,
 * their current values, the bindings and what tablets are told (feedback)
 * live here, under a lock the audio thread never touches. */
#ifndef TINGLE_CONTROL_H
#define TINGLE_CONTROL_H

#include <pthread.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <stddef.h>
#include <stdint.h>

#include "config/conf.h"
#include "common/log.h"
#include "config/binding.h"
#include "rt/motion.h"

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

/* Who sent a command (an OSC sender's address), so that an answer or an
 * error can go back to it later. */
struct ctl_sender {
	struct sockaddr_storage addr;
	socklen_t len;
};

/* Where answers and feedback go: set by the driver that has a transport
 * (tingled's OSC server). send with to == NULL goes to every subscriber
 * and [osc] feedback target. Called with the control lock held, from the
 * OSC thread and the main thread: must not block or call back. */
enum ctl_subscribed {
	CTL_SUB_ASKED = 1,    /* a token went to where feedback would go: nothing more now */
	CTL_SUB_NEW = 2,      /* confirmed now: the whole state goes to *where */
	CTL_SUB_RENEWED = 3,  /* confirmed before, and renewed */
};
struct ctl_sink {
	void *ctx;
	void (*send)(void *ctx, const struct ctl_reply *m, const struct ctl_sender *to);
	/* from asks for feedback at its address, at port (0: the port it
	 * sent from), with the token it was sent (0: none yet). A
	 * subscription streams only once confirmed by its token, so that
	 * nobody can have feedback sent to an address that did not ask.
	 * CTL_SUB_*, or -1 with err. */
	int (*subscribe)(void *ctx, const struct ctl_sender *from, int port, int32_t token,
			 struct ctl_sender *where, char *err, size_t n);
	void (*unsubscribe)(void *ctx, const struct ctl_sender *from);
	/* May an answer much larger than its question (the whole state) go to
	 * from? True when from proved it receives there (token, or it is a
	 * subscriber); otherwise a token is sent to it and false. NULL: yes. */
	bool (*confirmed)(void *ctx, const struct ctl_sender *from, int32_t token);
	/* True when anybody listens (no need to build feedback otherwise). */
	bool (*listening)(void *ctx);
};

/* A control's state for bindings: the switch position accepted last,
 * when, and the toggle. */
struct bind_state {
	bool down;
	bool toggled;
	bool raw_down;       /* the position last seen, accepted or not */
	double last_edge;    /* seconds, MIDI time: when the last change was accepted */
	int last_program;    /* program changes: the last one acted on */
};

#define CONTROL_MAX_LEARNED 64

struct control_source {
	char name[CONF_NAME_MAX];   /* name OSC knows it by; "" = none */
	bool reserved;              /* held by a loaded scene (named only while it plays) */
	bool is_input;
	unsigned conf_index;        /* inputs: its place among the configuration's [input]s */
	struct conf_input defaults; /* inputs: the configuration's values */
	float azimuth, elevation, distance;
	float gain_db;
	bool mute;
	float room_db;              /* room send, -INFINITY off */
	struct motion_spec motion;  /* how it moves of its own */
};

struct loaded_scene;

struct control {
	pthread_mutex_t lock;
	struct engine *engine;
	unsigned n_slots;
	struct control_source *src;  /* one per engine source */
	float master_db;
	float yaw, pitch, roll;      /* the listener's head, degrees */
	/* The angles head trackers sent last in their own conventions
	 * (control/trackers.h), for their one-angle messages. */
	float sparta_ypr[3], iem_ypr[3];
	float ceiling_db;
	struct loaded_scene *scene;  /* the scene triggers go to */
	/* A scene change asked for over OSC or an event, carried out by the
	 * driver's scene manager (loading may take time): the latest wins. */
	bool scene_req;
	char scene_req_name[CONF_NAME_MAX];  /* "" with index/step */
	int scene_req_index;                 /* -1 unless by index */
	int scene_req_step;                  /* +1 next, -1 prev, 0 */
	bool scene_req_has_from;
	struct ctl_sender scene_req_from;    /* told when the switch fails */
	bool inflight_has_from;              /* the request taken last */
	struct ctl_sender inflight_from;
	int scene_index;                     /* setlist index of the scene playing, -1 none */
	const char *scene_name;              /* its name, "" none */

	struct ctl_sink sink;
	/* Bindings: the configuration's (pedals), the playing scene's, and
	 * those learned while the show runs (newest first in effect). */
	struct conf_bind global[CONF_MAX_BINDS];
	size_t n_global;
	struct bind_state global_state[CONF_MAX_BINDS];
	const struct conf_bind *scene_binds;
	size_t n_scene_binds;
	struct bind_state scene_state[CONF_MAX_BINDS];
	struct conf_bind learned[CONTROL_MAX_LEARNED];
	size_t n_learned;
	struct bind_state learned_state[CONTROL_MAX_LEARNED];
	bool learning;                       /* the next MIDI control is bound to learn_action */
	char learn_action[BIND_TEXT_MAX];
	bool learn_has_from;
	struct ctl_sender learn_from;
	bool notes_forwarded[128];           /* what the engine was asked to report */
	bool forwarding_all;
	struct log_limit lim_bind;           /* MIDI bindings that fail */
	bool sustain;
	unsigned voices;                     /* last count from the engine */
	double midi_now;                     /* seconds: the newest MIDI time seen */
	bool dirty;                          /* changed since the last session save */
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
/* The same from a known sender (answers and errors that come later, such
 * as a scene that fails to load, go to it). */
int control_dispatch_from(struct control *c, struct engine_queue *q, uint32_t offset, const char *path,
			  const struct ctl_arg *argv, int argc, const struct ctl_sender *from,
			  struct ctl_reply *reply, char *err, size_t errlen);

/* Set where answers and feedback go (see struct ctl_sink). */
void control_set_sink(struct control *c, const struct ctl_sink *sink);
/* No more answers through the sink with this ctx (it is going away). */
void control_detach_sink(struct control *c, void *ctx);

/* A MIDI message the engine reported (ENGINE_EV_MIDI), at time t in
 * seconds (its frame over the rate): bindings and MIDI learn act on it.
 * q: the calling thread's queue. */
void control_midi(struct control *c, struct engine_queue *q, uint32_t msg, double t);
/* Add a binding as if learned (a saved session's); one for the same
 * control is replaced. */
void control_add_learned(struct control *c, struct engine_queue *q, const struct conf_bind *b);
/* Let time pass (t as for control_midi): a pedal change held back by the
 * debounce is carried out once it has lasted. */
void control_tick(struct control *c, struct engine_queue *q, double t);

/* Feedback, to every subscriber and [osc] feedback target (or only `to`):
 * the whole state (/state, /subscribe), what a scene change changes
 * (the scene, its places and every bound control's value), meters. */
void control_send_state(struct control *c, const struct ctl_sender *to);
void control_send_scene(struct control *c);
void control_send_meters(struct control *c, float peak_l, float peak_r);
void control_send_input_meter(struct control *c, int slot, float peak);
/* Where a motion has taken source slot (azimuth, elevation, distance),
 * to the listeners: /source/NAME/position and /xy. The place it was set
 * to (what /state, sessions and bindings use) stays. */
void control_send_moving_place(struct control *c, int slot, const float where[3]);
void control_set_voices(struct control *c, unsigned voices);
/* The scene request in flight failed: tell its sender. */
void control_scene_failed(struct control *c, const char *why);
/* Changed since the last save (scene, places, gains, learned bindings)?
 * clean: and count from now. */
bool control_take_dirty(struct control *c, bool clean);
/* The setlist made a scene current: its index (-1 when not in the
 * setlist), for feedback. */
void control_set_scene_index(struct control *c, int index);

/* A number argument: 'f' or 'i' (TouchOSC sends floats for everything). */
bool ctl_number(const struct ctl_arg *a, float *out);

#endif
