/* Fresh generated sound, made ahead of the audio thread. A generated
 * sound keeps a pool of segments (rt/scene_data.h, struct eng_pool):
 * each a new variant of its generator (gen_render_fresh), played once by
 * one voice and given back; this module makes new ones in their place.
 * One-shots and held sounds: every trigger a variant never heard before.
 * Loops (textures): stretches of the sound's steady middle that a voice
 * splices together, so that a held texture never repeats.
 *
 * Control threads only. Pools are registered while their scene exists;
 * gen_pool_refill() refills every registered pool, in the order they
 * were made, from the thread that calls it: tingled's refill worker
 * (gen_pool_worker_start), or tingle-render between blocks, so that an
 * offline render stays deterministic. */
#ifndef TINGLE_GEN_POOL_H
#define TINGLE_GEN_POOL_H

#include <stdbool.h>
#include <stddef.h>

#include "prep/generator.h"

struct eng_pool;

/* Segments a pool holds: one-shots polyphony + 2 (4..8), textures
 * polyphony + 1 (3..4). */
unsigned gen_pool_size(bool texture, unsigned polyphony);

/* Fill *pool with n segments of p (its seed set) at rate, synthesised
 * now, and register it. texture: each segment is the steady middle of a
 * fresh variant (gen_steady_range), spliced with splice_s seconds of
 * crossfade. Adds the memory taken to *bytes. Returns 0, or -1 with err
 * (nothing registered, *pool empty). */
int gen_pool_init(struct eng_pool *pool, const struct gen_params *p, unsigned rate, bool texture, unsigned n,
		  float splice_s, size_t *bytes, char *err, size_t errlen);

/* Unregister (waiting for a refill under way) and free the segments.
 * The audio thread must no longer play from it. */
void gen_pool_free(struct eng_pool *pool);

/* Every registered pool: each segment given back (FREE) made anew and
 * published (FRESH). Returns how many were made. */
unsigned gen_pool_refill(void);

/* tingled: a thread that calls gen_pool_refill() every 5 to 40 ms (more
 * often while segments are being used up).
 * Returns 0, or -1 when the thread cannot start (pools then fall back on
 * their fixed variants once used up). */
int gen_pool_worker_start(void);
/* Ask the worker to stop after the segment it is making, without
 * waiting (gen_pool_worker_stop then only joins it). */
void gen_pool_worker_ask_stop(void);
void gen_pool_worker_stop(void);

#endif
