#include "config.h"
#include "ctl/seqmidi.h"

static uint8_t d7(int v) { return (uint8_t)(v < 0 ? 0 : v > 127 ? 127 : v); }

int seqmidi_translate(const snd_seq_event_t *ev, uint8_t out[3])
{
	uint8_t ch;
	switch (ev->type) {
	case SND_SEQ_EVENT_NOTEON:
	case SND_SEQ_EVENT_NOTEOFF:
	case SND_SEQ_EVENT_KEYPRESS:
		ch = ev->data.note.channel & 0x0f;
		out[0] = (uint8_t)((ev->type == SND_SEQ_EVENT_NOTEON ? 0x90
				    : ev->type == SND_SEQ_EVENT_NOTEOFF ? 0x80 : 0xa0) | ch);
		out[1] = d7(ev->data.note.note);
		out[2] = d7(ev->type == SND_SEQ_EVENT_NOTEOFF ? ev->data.note.off_velocity : ev->data.note.velocity);
		return 3;
	case SND_SEQ_EVENT_CONTROLLER:
		out[0] = (uint8_t)(0xb0 | (ev->data.control.channel & 0x0f));
		out[1] = d7((int)ev->data.control.param);
		out[2] = d7(ev->data.control.value);
		return 3;
	case SND_SEQ_EVENT_PGMCHANGE:
		out[0] = (uint8_t)(0xc0 | (ev->data.control.channel & 0x0f));
		out[1] = d7(ev->data.control.value);
		out[2] = 0;
		return 2;
	case SND_SEQ_EVENT_CHANPRESS:
		out[0] = (uint8_t)(0xd0 | (ev->data.control.channel & 0x0f));
		out[1] = d7(ev->data.control.value);
		out[2] = 0;
		return 2;
	case SND_SEQ_EVENT_PITCHBEND: {
		int v = ev->data.control.value + 8192; /* ALSA: -8192..8191 */
		v = v < 0 ? 0 : v > 16383 ? 16383 : v;
		out[0] = (uint8_t)(0xe0 | (ev->data.control.channel & 0x0f));
		out[1] = (uint8_t)(v & 0x7f);
		out[2] = (uint8_t)(v >> 7);
		return 3;
	}
	default:
		return 0;
	}
}
