/* ALSA sequencer events as MIDI bytes: what tingle's ALSA sequencer port
 * (src/drivers/alsa_seq.c) hands to the engine. Kept apart from the
 * sequencer itself so that it is tested where no /dev/snd/seq exists. */
#ifndef TINGLE_SEQMIDI_H
#define TINGLE_SEQMIDI_H

#include <alsa/asoundlib.h>
#include <stdint.h>

/* Writes the MIDI message for ev into out[3]; returns its length (2 or 3),
 * or 0 for events tingle has no use for (clock, sysex, port messages...)
 * and for malformed ones (a channel above 15, a note, velocity, controller
 * or value outside 0..127, a bend outside -8192..8191): those are ignored,
 * not clamped or masked into a message that would play something else.
 * Note-on with velocity 0 stays a note-on with velocity 0 (a note-off, as
 * in MIDI). Pitch bend is given as its 14-bit value. */
int seqmidi_translate(const snd_seq_event_t *ev, uint8_t out[3]);

#endif
