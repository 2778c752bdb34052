/* Safety limiter on the output: stereo-linked, zero latency, instant
 * attack and smooth release, so that no sample ever leaves above the
 * ceiling, whatever comes in (NaN and infinities included: they become
 * silence). Runs on the audio thread. */
#ifndef TINGLE_LIMITER_H
#define TINGLE_LIMITER_H

struct limiter {
	float ceiling;   /* linear */
	float gain;      /* current gain, 0..1 */
	float release;   /* per-sample recovery coefficient */
	float min_gain;  /* lowest gain since the last read (for meters) */
};

void limiter_init(struct limiter *l, float ceiling_db, unsigned rate, float release_s);
void limiter_set_ceiling(struct limiter *l, float ceiling_db);
void limiter_process(struct limiter *l, float *left, float *right, unsigned n);

#endif
