/* The room: the reverberant sound of the mono room send, added to both
 * ears. A feedback delay network after Jot (Jot & Chaigne 1991):
 *
 *   send -> predelay -> 4 Schroeder allpasses (input diffusion)
 *        -> 16 delay lines, mutually prime lengths from the room's mean
 *           free path, each with an absorption filter set from the RT60
 *        -> 16x16 Hadamard feedback matrix (lossless) back into the lines
 *   left and right ears: two orthogonal rows of that matrix (output gain
 *   vectors whose product sums to zero: decorrelated ears, after
 *   Schlecht & Habets)
 *
 * Nothing is added at the frame a sound comes in: the reverberant sound
 * starts after the predelay and the shortest line, and the direct sound
 * is the engine's, untouched.
 *
 * room_new/room_free run on a control thread and allocate everything any
 * parameters need; room_set, room_process and room_clear run on the audio
 * thread and never allocate, lock or block. */
#ifndef TINGLE_ROOM_H
#define TINGLE_ROOM_H

struct room_params {
	float decay;     /* RT60 in s below about 1 kHz; 0 = off (the tail rings out) */
	float size;      /* metres, 1..50: the longest side of the room */
	float damping;   /* 0..1: how much faster the highs die (1: 8 times at the top) */
	float level;     /* dB of the reverberant sound: the energy of an impulse's tail
			  * in each ear against the impulse's (at damping 0) */
	float predelay;  /* ms, 0..200 */
};

struct room;

/* Control thread. NULL when out of memory or rate/max_block are unusable.
 * A new room is off (decay 0) until room_set. */
struct room *room_new(unsigned rate, unsigned max_block);
void room_free(struct room *r);

/* Audio thread. Values out of range are clamped, NaN and infinite ones
 * ignored (but a level of -inf dB, like one below -120, is silence).
 * Gains and filters glide; a new size starts a second network whose send
 * fades in while the old one's fades out and its tail rings out. */
void room_set(struct room *r, const struct room_params *p);
/* Adds the reverberant sound of in[0..n) to out_l and out_r. Adds nothing
 * at all while decay is 0 and the tail has died (below -120 dBFS). */
void room_process(struct room *r, const float *in, float *out_l, float *out_r, unsigned n);
/* Silence at once: every line, the predelay and the diffusers. */
void room_clear(struct room *r);

#endif
