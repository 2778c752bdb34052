/* The scenes of a show: the setlist of the configuration, loaded ahead
 * ([scenes] preload), switched on request (OSC /scene, pedals, events),
 * handed to the engine and freed when the engine has let go of them.
 * Used by the main thread of tingled and by tingle-render. */
#ifndef TINGLE_SETLIST_H
#define TINGLE_SETLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/conf.h"

struct control;
struct engine_queue;
struct loaded_scene;

#define SETLIST_MAX_LOADED 64

struct setlist {
	struct control *ctl;
	struct engine_queue *q;
	unsigned rate;
	uint64_t seed;
	char dir[PATH_MAX];                  /* [scenes] dir ("" = bundled) */
	char bundled[PATH_MAX];              /* the bundled scenes' folder (tingle_datadir()) */
	char (*names)[CONF_NAME_MAX];        /* the setlist, in order */
	size_t n_names;
	enum conf_preload preload;
	const struct tingle_conf *conf;      /* inputs a scene may name */
	struct loaded_scene *loaded[SETLIST_MAX_LOADED];
	char loaded_path[SETLIST_MAX_LOADED][PATH_MAX];
	size_t n_loaded;
	int current;                         /* index in names, -1: none or not in the setlist */
	struct loaded_scene *playing;
	bool preload_elsewhere;              /* a switch leaves preloading to the caller's loader
					      * thread (setlist_wanted) instead of loading at once */
};

/* The setlist of conf: [scenes] setlist, or, when it is empty, every
 * NAME.scene in the scenes folder in name order. NULL with err when the
 * configured [scenes] dir does not exist, is not a directory or cannot be
 * read ("CONF:LINE: [scenes] dir: does not exist (got 'DIR', ...)"); an
 * empty folder is a setlist without scenes. */
struct setlist *setlist_new(const struct tingle_conf *conf, struct control *ctl, struct engine_queue *q,
			    unsigned rate, uint64_t seed, char *err, size_t errlen);
/* Frees every scene: call when the engine holds none of them
 * (setlist_in_engine() is 0, or the engine is stopped). */
void setlist_free(struct setlist *sl);

/* Load what the preload policy says should be ready; errors name the file
 * and line of the first scene that fails. */
int setlist_preload(struct setlist *sl, char *err, size_t errlen);

/* Switch: to a scene name or file (name_or_file non-NULL and non-empty;
 * files only when allow_files), a setlist index (index >= 0) or a step
 * (+1 next, -1 previous, wrapping). The running scene keeps playing when
 * the new one cannot be loaded (err says why). */
int setlist_switch(struct setlist *sl, const char *name_or_file, bool allow_files, int index, int step,
		   char *err, size_t errlen);

/* Load the scene setlist_switch would switch to with these arguments,
 * without switching (on a loader thread, so that the switch is quick). */
int setlist_prepare(struct setlist *sl, const char *name_or_file, bool allow_files, int index, int step,
		    char *err, size_t errlen);

/* Where a switch with these arguments would go: *path; 1 when that
 * scene is loaded (setlist_switch is then quick), 0 when it must be
 * loaded first (setlist_load on a loader thread, then setlist_adopt), -1
 * with err when there is no such scene. */
int setlist_target(struct setlist *sl, const char *name_or_file, bool allow_files, int index, int step,
		   char *path, size_t n, char *err, size_t errlen);
/* Load and build one scene file: safe on a loader thread (it touches no
 * setlist; sources are reserved through ctl, under its lock). */
struct loaded_scene *setlist_load(const char *path, const struct tingle_conf *conf, unsigned rate,
				  uint64_t seed, struct control *ctl, char *err, size_t errlen);
/* Take a scene setlist_load made for path into the setlist. False (and
 * ls is unloaded) when path is loaded already or no room is left. */
bool setlist_adopt(struct setlist *sl, const char *path, struct loaded_scene *ls);
/* A scene the preload policy wants ready and that is not loaded: its file
 * in path. */
bool setlist_wanted(struct setlist *sl, char *path, size_t n);

/* The engine gave back this scene (ENGINE_EV_SCENE_RELEASED). True when it
 * belonged to this setlist. */
bool setlist_released(struct setlist *sl, const void *eng_scene);

/* A replaced setlist: unload every scene the engine does not hold, so
 * that only the ones still ringing keep memory and sources. */
void setlist_drop_idle(struct setlist *sl);

/* Scenes the engine still holds. */
size_t setlist_in_engine(const struct setlist *sl);

const char *setlist_playing_name(const struct setlist *sl);
/* The file of the scene playing ("" when none): to find it again after a
 * reload even when its [scene] name differs from its file name. */
const char *setlist_playing_path(const struct setlist *sl);

/* For --check: parse and build every scene of the setlist (and extra, if
 * given), reporting the first error; *count receives how many were checked. */
int setlist_check(const struct tingle_conf *conf, const char *extra, unsigned rate, struct control *ctl,
		  size_t *count, char *err, size_t errlen);

#endif
