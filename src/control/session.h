/* A show's running state, kept by a session manager (NSM): the scene
 * playing, every named source's place, gain and room send, the live
 * inputs' gain, mute and room send, the master gain, and the bindings learned while it ran.
 * Written as a small INI file; read back and applied through the command
 * table, like any other way in. */
#ifndef TINGLE_SESSION_H
#define TINGLE_SESSION_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "control/control.h"

#define SESSION_MAX_SOURCES CONF_MAX_SOURCES /* every named source of the engine: 4096 */

struct session_source {
	char name[CONF_NAME_MAX];
	bool input;
	float azimuth, elevation, distance, gain_db;
	bool mute;
	bool has_room;                      /* saved by a tingled that kept it */
	float room_db;                      /* room send, -INFINITY off */
	int line;
};

struct session {
	char scene[PATH_MAX];               /* a scene name of the setlist, or a file */
	bool has_master;
	float master_db;
	struct session_source src[SESSION_MAX_SOURCES];
	size_t n_src;
	struct conf_bind learned[CONTROL_MAX_LEARNED];
	size_t n_learned;
};

/* Write the state of c to path through a temporary file of its own in the
 * same folder, synced and renamed over it: a crash never leaves half a
 * file, and a link planted in the folder is never followed. scene: what
 * to play again. 0, or -1 with err. */
int session_write(struct control *c, const char *path, const char *scene, char *err, size_t errlen);

/* Read path into s. 0; 1 when there is no such file (nothing was saved
 * yet); -1 with err "FILE:LINE: ..." when it cannot be read or is wrong. */
int session_read(const char *path, struct session *s, char *err, size_t errlen);

/* Make the saved values current (the scene is the caller's: it is the
 * one to start on): places, gains, mutes, master, learned bindings. What
 * no longer exists (a source the scene lost) is said in the log and left
 * out. q: the calling thread's engine queue. */
void session_apply(struct control *c, struct engine_queue *q, const struct session *s, const char *path);

#endif
