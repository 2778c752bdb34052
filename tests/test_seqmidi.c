/* ALSA sequencer events become the MIDI bytes the engine understands;
 * tested without any sequencer device. And what makes MIDI bytes a
 * message (rt/midi.h), wherever they come from, events files included. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "config/events.h"
#include "drivers/seqmidi.h"
#include "rt/midi.h"

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
	ck_assert(midi_message_ok(b, 3));
	ev.data.control.value = 300; /* out of range from a careless sender: ignored */
	ck_assert_int_eq(seqmidi_translate(&ev, b), 0);
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

START_TEST(malformed_ignored)
{
	uint8_t b[3];
	snd_seq_event_t ev = event(SND_SEQ_EVENT_NOTEON);
	ev.data.note.note = 176; /* not note 48 with its high bit lost, not note 127 */
	ev.data.note.velocity = 100;
	ck_assert_int_eq(seqmidi_translate(&ev, b), 0);
	ev.data.note.note = 48;
	ev.data.note.velocity = 200;
	ck_assert_int_eq(seqmidi_translate(&ev, b), 0);
	ev.data.note.velocity = 100;
	ev.data.note.channel = 16;
	ck_assert_int_eq(seqmidi_translate(&ev, b), 0);
	ev.data.note.channel = 15;
	ck_assert_int_eq(seqmidi_translate(&ev, b), 3);
	ck_assert(midi_message_ok(b, 3));
	ev = event(SND_SEQ_EVENT_NOTEOFF);
	ev.data.note.note = 200;
	ck_assert_int_eq(seqmidi_translate(&ev, b), 0);
	ev = event(SND_SEQ_EVENT_CONTROLLER);
	ev.data.control.param = 128;
	ck_assert_int_eq(seqmidi_translate(&ev, b), 0);
	ev = event(SND_SEQ_EVENT_PGMCHANGE);
	ev.data.control.value = -1;
	ck_assert_int_eq(seqmidi_translate(&ev, b), 0);
	ev.data.control.value = 127;
	ck_assert_int_eq(seqmidi_translate(&ev, b), 2);
	ck_assert(midi_message_ok(b, 2));
	ev = event(SND_SEQ_EVENT_PITCHBEND);
	ev.data.control.value = 8192;
	ck_assert_int_eq(seqmidi_translate(&ev, b), 0);
	ev.data.control.value = -8192;
	ck_assert_int_eq(seqmidi_translate(&ev, b), 3);
	ck_assert(midi_message_ok(b, 3));
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

START_TEST(message_shapes)
{
	static const struct { uint8_t b[3]; unsigned size; bool ok; } cases[] = {
		{ { 0x90, 0x30, 0x7f }, 3, true },
		{ { 0x9f, 0x00, 0x00 }, 3, true },   /* velocity 0: a note-off, but well formed */
		{ { 0x90, 0xb0, 0x7f }, 3, false },  /* data byte with the high bit */
		{ { 0x90, 0x30, 0x80 }, 3, false },
		{ { 0x80, 0xb0, 0x00 }, 3, false },
		{ { 0x90, 0x30, 0x7f }, 2, false },  /* one byte short */
		{ { 0x90, 0x30, 0x7f }, 1, false },
		{ { 0x30, 0x30, 0x7f }, 3, false },  /* no status byte */
		{ { 0xb0, 0x40, 0x7f }, 3, true },
		{ { 0xa0, 0x40, 0x7f }, 3, true },
		{ { 0xe0, 0x00, 0x40 }, 3, true },
		{ { 0xc0, 0x05, 0x00 }, 2, true },
		{ { 0xd0, 0x05, 0x00 }, 2, true },
		{ { 0xc0, 0x05, 0x00 }, 3, false },  /* program change, one byte too many */
		{ { 0xc0, 0x85, 0x00 }, 2, false },
		{ { 0xf8, 0x00, 0x00 }, 1, false },  /* real-time: not for the engine */
		{ { 0xf0, 0x7e, 0xf7 }, 3, false },  /* sysex */
		{ { 0xf2, 0x00, 0x00 }, 3, false },  /* system common */
		{ { 0x90, 0x30, 0x7f }, 0, false },
	};
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++)
		ck_assert_msg(midi_message_ok(cases[k].b, cases[k].size) == cases[k].ok, "%02x %02x %02x (%u bytes)",
			      cases[k].b[0], cases[k].b[1], cases[k].b[2], cases[k].size);
}
END_TEST

/* tingle-render's events files: a bad data byte, or a channel message
 * of the wrong length, is refused with its file and line. */
START_TEST(events_file_refuses_malformed)
{
	struct event_list l;
	char err[512];
	ck_assert_int_eq(events_parse("0 midi 90 30 7f\n1 midi c0 05\n2 midi f8 00\n", "ok.txt", &l, err, sizeof err),
			 0);
	ck_assert_uint_eq(l.n, 3);
	ck_assert_int_eq(l.ev[1].midi_size, 2);
	events_free(&l);
	static const struct { const char *text, *want; } bad[] = {
		{ "0 /ping\n1 midi 90 b0 7f\n", "bad.txt:2: MIDI data byte expected, got b0" },
		{ "1 midi 90 30 ff\n", "bad.txt:1: MIDI data byte expected, got ff" },
		{ "1 midi 80 b0 00\n", "bad.txt:1: MIDI data byte expected, got b0" },
		{ "\n1 midi 90 30\n", "bad.txt:2: MIDI status 90 takes 2 data bytes, got 1" },
		{ "1 midi c0 05 00\n", "bad.txt:1: MIDI status c0 takes 1 data byte, got 2" },
	};
	for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
		err[0] = '\0';
		ck_assert_int_eq(events_parse(bad[k].text, "bad.txt", &l, err, sizeof err), -1);
		ck_assert_msg(strstr(err, bad[k].want), "'%s' gave '%s'", bad[k].text, err);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("seqmidi");
	TCase *tc = tcase_create("Translate");
	tcase_add_test(tc, notes);
	tcase_add_test(tc, pedals_and_programs);
	tcase_add_test(tc, ignored);
	tcase_add_test(tc, malformed_ignored);
	tcase_add_test(tc, message_shapes);
	tcase_add_test(tc, events_file_refuses_malformed);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
