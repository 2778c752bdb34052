/* ALSA sequencer events become the MIDI bytes the engine understands;
 * tested without any sequencer device. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/seqmidi.h"

static snd_seq_event_t event(snd_seq_event_type_t type)
{
	snd_seq_event_t ev;
	memset(&ev, 0, sizeof ev);
	ev.type = type;
	return ev;
}

START_TEST(notes)
{
	uint8_t b[3];
	snd_seq_event_t ev = event(SND_SEQ_EVENT_NOTEON);
	ev.data.note.channel = 9;
	ev.data.note.note = 60;
	ev.data.note.velocity = 100;
	ck_assert_int_eq(seqmidi_translate(&ev, b), 3);
	ck_assert_uint_eq(b[0], 0x99);
	ck_assert_uint_eq(b[1], 60);
	ck_assert_uint_eq(b[2], 100);
	ev.data.note.velocity = 0; /* a note-off in disguise: stays one */
	ck_assert_int_eq(seqmidi_translate(&ev, b), 3);
	ck_assert_uint_eq(b[0], 0x99);
	ck_assert_uint_eq(b[2], 0);
	ev = event(SND_SEQ_EVENT_NOTEOFF);
	ev.data.note.note = 61;
	ev.data.note.off_velocity = 64;
	ck_assert_int_eq(seqmidi_translate(&ev, b), 3);
	ck_assert_uint_eq(b[0], 0x80);
	ck_assert_uint_eq(b[1], 61);
	ck_assert_uint_eq(b[2], 64);
}
END_TEST

START_TEST(pedals_and_programs)
{
	uint8_t b[3];
	snd_seq_event_t ev = event(SND_SEQ_EVENT_CONTROLLER);
	ev.data.control.channel = 0;
	ev.data.control.param = 64;
	ev.data.control.value = 127;
	ck_assert_int_eq(seqmidi_translate(&ev, b), 3);
	ck_assert_uint_eq(b[0], 0xb0);
	ck_assert_uint_eq(b[1], 64);
	ck_assert_uint_eq(b[2], 127);
	ev.data.control.value = 300; /* out of range from a careless sender: clamped */
	seqmidi_translate(&ev, b);
	ck_assert_uint_eq(b[2], 127);
	ev = event(SND_SEQ_EVENT_PGMCHANGE);
	ev.data.control.channel = 2;
	ev.data.control.value = 5;
	ck_assert_int_eq(seqmidi_translate(&ev, b), 2);
	ck_assert_uint_eq(b[0], 0xc2);
	ck_assert_uint_eq(b[1], 5);
	ev = event(SND_SEQ_EVENT_PITCHBEND);
	ev.data.control.value = 0;
	ck_assert_int_eq(seqmidi_translate(&ev, b), 3);
	ck_assert_uint_eq(b[1] | b[2] << 7, 8192);
}
END_TEST

START_TEST(ignored)
{
	uint8_t b[3];
	snd_seq_event_t ev = event(SND_SEQ_EVENT_CLOCK);
	ck_assert_int_eq(seqmidi_translate(&ev, b), 0);
	ev = event(SND_SEQ_EVENT_SYSEX);
	ck_assert_int_eq(seqmidi_translate(&ev, b), 0);
	ev = event(SND_SEQ_EVENT_PORT_SUBSCRIBED);
	ck_assert_int_eq(seqmidi_translate(&ev, b), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("seqmidi");
	TCase *tc = tcase_create("Translate");
	tcase_add_test(tc, notes);
	tcase_add_test(tc, pedals_and_programs);
	tcase_add_test(tc, ignored);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
