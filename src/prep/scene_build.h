/* Turning a scene description into sound the engine can play: samples
 * decoded and resampled, generators synthesised, loops made seamless,
 * sources given engine slots. Control threads only. */
#ifndef TINGLE_SCENE_BUILD_H
#define TINGLE_SCENE_BUILD_H

#include <stdbool.h>
#include <stdint.h>

#include "config/scene.h"

struct control;
struct eng_scene;

struct loaded_scene {
	struct scene_desc desc;          /* names and settings, as parsed */
	struct eng_scene *eng;           /* what the engine plays */
	unsigned rate;
	int source_slot[SCENE_MAX_SOURCES];  /* engine source of desc.sources[i] */
	int *scatter_slots;              /* engine sources of scattered sounds */
	unsigned n_scatter_slots;
	bool in_engine;                  /* handed to the engine, not yet given back */
	size_t bytes;                    /* audio held in memory */
};

/* Build desc (taken over: *desc is emptied) at rate. Slots for its
 * sources are reserved from ctl. seed: the session's seed, mixed with each
 * sound's name for its generator. Returns 0, or -1 with err naming the
 * file and what is wrong (a sample that cannot be decoded, no free
 * sources, ...); nothing is left reserved then. */
int scene_build(struct scene_desc *desc, unsigned rate, uint64_t seed, struct control *ctl,
		struct loaded_scene **out, char *err, size_t errlen);

/* Free a scene the engine does not hold (in_engine false), and its slots. */
void scene_unload(struct loaded_scene *ls, struct control *ctl);

/* Index of a sound by name, -1 if none. */
int scene_sound_index(const struct loaded_scene *ls, const char *name);

#endif
