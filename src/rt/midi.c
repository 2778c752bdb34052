#include "config.h"
#include "rt/midi.h"

unsigned midi_channel_size(uint8_t status)
{
	switch (status & 0xf0) {
	case 0x80: /* note off */
	case 0x90: /* note on */
	case 0xa0: /* poly pressure */
	case 0xb0: /* control change */
	case 0xe0: /* pitch bend */
		return 3;
	case 0xc0: /* program change */
	case 0xd0: /* channel pressure */
		return 2;
	default:   /* a data byte, or a system message (0xf0..0xff) */
		return 0;
	}
}

bool midi_message_ok(const uint8_t *b, unsigned size)
{
	if (!b || size == 0 || size != midi_channel_size(b[0]))
		return false;
	for (unsigned i = 1; i < size; i++)
		if (b[i] & 0x80)
			return false;
	return true;
}
