/* An ALSA sequencer client with a writable port midi_in, for MIDI gear
 * and programs that speak ALSA rather than JACK MIDI. Its events reach the
 * engine through their own queue, at the start of the next block. */
#ifndef TINGLE_ALSA_SEQ_H
#define TINGLE_ALSA_SEQ_H

#include <stddef.h>

struct engine_queue;
struct alsa_seq;

/* NULL with err set when there is no sequencer (no /dev/snd/seq). */
struct alsa_seq *alsa_seq_start(const char *client_name, struct engine_queue *q, char *err, size_t errlen);
void alsa_seq_stop(struct alsa_seq *s);

#endif
