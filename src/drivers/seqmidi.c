#include "config.h"
#include "drivers/seqmidi.h"

#include <stdbool.h>

/* A value a MIDI data byte can carry; anything else makes the event
 * malformed: it is ignored, never clamped or masked into another note. */
static bool d7(int v) { return v >= 0 && v <= 127; }

int seqmidi_translate(const snd_seq_event_t *ev, uint8_t out[3])
{
	switch (ev->type) {
	case SND_SEQ_EVENT_NOTEON:
	case SND_SEQ_EVENT_NOTEOFF:
	case SND_SEQ_EVENT_KEYPRESS: {
		int vel = ev->type == SND_SEQ_EVENT_NOTEOFF ? ev->data.note.off_velocity : ev->data.note.velocity;
		if (ev->data.note.channel > 15 || !d7(ev->data.note.note) || !d7(vel))
			return 0;
		out[0] = (uint8_t)((ev->type == SND_SEQ_EVENT_NOTEON ? 0x90
				    : ev->type == SND_SEQ_EVENT_NOTEOFF ? 0x80 : 0xa0) | ev->data.note.channel);
		out[1] = ev->data.note.note;
		out[2] = (uint8_t)vel;
		return 3;
	}
	case SND_SEQ_EVENT_CONTROLLER:
		if (ev->data.control.channel > 15 || ev->data.control.param > 127 || !d7(ev->data.control.value))
			return 0;
		out[0] = (uint8_t)(0xb0 | ev->data.control.channel);
		out[1] = (uint8_t)ev->data.control.param;
		out[2] = (uint8_t)ev->data.control.value;
		return 3;
	case SND_SEQ_EVENT_PGMCHANGE:
	case SND_SEQ_EVENT_CHANPRESS:
		if (ev->data.control.channel > 15 || !d7(ev->data.control.value))
			return 0;
		out[0] = (uint8_t)((ev->type == SND_SEQ_EVENT_PGMCHANGE ? 0xc0 : 0xd0) | ev->data.control.channel);
		out[1] = (uint8_t)ev->data.control.value;
		out[2] = 0;
		return 2;
	case SND_SEQ_EVENT_PITCHBEND: {
		int v = ev->data.control.value + 8192; /* ALSA: -8192..8191 */
		if (ev->data.control.channel > 15 || v < 0 || v > 16383)
			return 0;
		out[0] = (uint8_t)(0xe0 | ev->data.control.channel);
		out[1] = (uint8_t)(v & 0x7f);
		out[2] = (uint8_t)(v >> 7);
		return 3;
	}
	default:
		return 0;
	}
}
