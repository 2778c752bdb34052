/* What makes a MIDI message one the engine acts on. Every way MIDI comes
 * in (JACK MIDI, the engine's command queues, tingle-render's events
 * files) goes through midi_message_ok(), so a malformed message is
 * ignored the same way everywhere and never half-read. Safe on the audio
 * thread. */
#ifndef TINGLE_MIDI_H
#define TINGLE_MIDI_H

#include <stdbool.h>
#include <stdint.h>

/* Bytes in a channel message with this status byte (status included):
 * 3 for note off/on, poly pressure, control change and pitch bend, 2 for
 * program change and channel pressure; 0 for anything that is not a
 * channel status byte (data bytes, sysex, system common and real-time). */
unsigned midi_channel_size(uint8_t status);

/* True when b[0..size) is one complete, well-formed channel message: a
 * channel status byte, exactly as many bytes as it takes, and data bytes
 * without their high bit. Everything else (sysex, real-time, a short or
 * long message, a data byte >= 0x80) is false, never masked into shape. */
bool midi_message_ok(const uint8_t *b, unsigned size);

#endif
