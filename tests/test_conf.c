#include "config.h"
#include "config/conf.h"

#include <check.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef TINGLE_DEFAULT_SOFA
#define TINGLE_DEFAULT_SOFA "/usr/share/libmysofa/default.sofa"
#endif

/* The shipped test data: $top_srcdir/tests/data/conf (make check sets
 * top_srcdir; by hand, run from the top of the source tree). */
static void data_path(char *buf, size_t n, const char *name)
{
	const char *top = getenv("top_srcdir");
	snprintf(buf, n, "%s/tests/data/conf/%s", top && *top ? top : ".", name);
}

static void make_tmpdir(char *buf, size_t n)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(buf, n, "%s/tingle-conf-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(buf));
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

/* Parse text that must be good. */
static struct tingle_conf *good(const char *text)
{
	static struct tingle_conf c;
	char err[1024] = "unset";
	int ret = conf_parse_string(text, "good.conf", &c, err, sizeof err);
	ck_assert_msg(ret == 0, "unexpected error: %s", err);
	ck_assert_str_eq(err, "");
	return &c;
}

/* ---------------------------------------------------------------------- */

START_TEST(test_defaults)
{
	static struct tingle_conf c;
	conf_defaults(&c);
	ck_assert_str_eq(c.path, "");
	ck_assert_str_eq(c.jack_name, "tingle");
	ck_assert_str_eq(c.jack_server, "");
	ck_assert(c.autoconnect);
	ck_assert_str_eq(c.outputs[0], "");
	ck_assert_str_eq(c.outputs[1], "");
	ck_assert_int_eq(c.osc_port, 8000);
	ck_assert_uint_eq(c.n_osc_allow, 0);
	ck_assert_uint_eq(c.n_osc_feedback, 0);
	ck_assert(c.midi_jack);
	ck_assert(c.midi_alsa);
	ck_assert_str_eq(c.sofa, TINGLE_DEFAULT_SOFA);
	ck_assert_int_eq(c.voices, 64);
	ck_assert_int_eq(c.sources, 64);
	ck_assert_float_eq(c.ceiling_db, -1.0f);
	ck_assert_float_eq(c.master_gain_db, 0.0f);
	ck_assert_float_eq(c.near_gain_db, 12.0f);
	ck_assert_str_eq(c.scenes_dir, "");
	ck_assert_uint_eq(c.n_setlist, 0);
	ck_assert_str_eq(c.start, "");
	ck_assert_int_eq(c.preload, CONF_PRELOAD_ALL);
	ck_assert_uint_eq(c.n_inputs, 0);
	ck_assert_uint_eq(c.n_binds, 0);
	ck_assert_ptr_null(conf_find_input(&c, "harp"));
}
END_TEST

START_TEST(test_empty_text_gives_defaults)
{
	static struct tingle_conf d;
	conf_defaults(&d);
	struct tingle_conf *c = good("");
	ck_assert_str_eq(c->path, "good.conf");
	ck_assert_str_eq(c->jack_name, d.jack_name);
	ck_assert_int_eq(c->osc_port, d.osc_port);
	ck_assert_str_eq(c->sofa, d.sofa);
	ck_assert_int_eq(c->voices, d.voices);
	ck_assert_uint_eq(c->n_inputs, 0);

	c = good("# only comments\n; and blank lines\n\n   \n");
	ck_assert_int_eq(c->sources, 64);
}
END_TEST

START_TEST(test_parse_starts_from_defaults)
{
	static struct tingle_conf c;
	char err[256];
	ck_assert_int_eq(conf_parse_string("[engine]\nvoices = 8\n", "a", &c, err, sizeof err), 0);
	ck_assert_int_eq(c.voices, 8);
	ck_assert_int_eq(conf_parse_string("[engine]\nsources = 8\n", "b", &c, err, sizeof err), 0);
	ck_assert_int_eq(c.voices, 64);
	ck_assert_int_eq(c.sources, 8);
}
END_TEST

START_TEST(test_valid_names)
{
	ck_assert(conf_valid_name("harp"));
	ck_assert(conf_valid_name("Voice_2-left"));
	ck_assert(conf_valid_name("x"));
	char name[CONF_NAME_MAX + 1];
	memset(name, 'a', sizeof name);
	name[CONF_NAME_MAX - 1] = '\0';
	ck_assert(conf_valid_name(name)); /* 63 characters */
	name[CONF_NAME_MAX - 1] = 'a';
	name[CONF_NAME_MAX] = '\0';
	ck_assert(!conf_valid_name(name)); /* 64 */
	ck_assert(!conf_valid_name(""));
	ck_assert(!conf_valid_name(NULL));
	ck_assert(!conf_valid_name("two words"));
	ck_assert(!conf_valid_name("../etc"));
	ck_assert(!conf_valid_name("a/b"));
	ck_assert(!conf_valid_name("rain.scene"));
	ck_assert(!conf_valid_name("harp!"));
}
END_TEST

/* ---------------------------------------------------------------------- */

START_TEST(test_full_file)
{
	static struct tingle_conf c;
	char path[PATH_MAX], err[1024];
	data_path(path, sizeof path, "full.conf");
	int ret = conf_load(path, &c, err, sizeof err);
	ck_assert_msg(ret == 0, "%s", err);
	ck_assert_str_eq(c.path, path);

	ck_assert_str_eq(c.jack_name, "tingle-test");
	ck_assert_str_eq(c.jack_server, "stage"); /* quotes removed */
	ck_assert(!c.autoconnect);
	ck_assert_str_eq(c.outputs[0], "system:playback_3");
	ck_assert_str_eq(c.outputs[1], "system:playback_4");

	ck_assert_int_eq(c.osc_port, 9001);
	ck_assert_uint_eq(c.n_osc_allow, 4); /* the list goes on over an indented line */
	ck_assert_str_eq(c.osc_allow[0], "127.0.0.1");
	ck_assert_str_eq(c.osc_allow[1], "192.168.1.");
	ck_assert_str_eq(c.osc_allow[2], "::1");
	ck_assert_str_eq(c.osc_allow[3], "fd00:");
	ck_assert_uint_eq(c.n_osc_feedback, 3);
	ck_assert_str_eq(c.osc_feedback[0], "192.168.1.20:9000");
	ck_assert_str_eq(c.osc_feedback[1], "[::1]:9001");
	ck_assert_str_eq(c.osc_feedback[2], "tablet.local:8001");

	ck_assert(c.midi_jack);
	ck_assert(!c.midi_alsa);

	ck_assert_int_eq(c.voices, 128);
	ck_assert_int_eq(c.sources, 16);
	ck_assert_float_eq_tol(c.ceiling_db, -3.5f, 1e-6f);
	ck_assert_float_eq_tol(c.master_gain_db, -6.0f, 1e-6f);
	ck_assert_float_eq_tol(c.near_gain_db, 18.0f, 1e-6f);

	ck_assert_uint_eq(c.n_setlist, 4);
	ck_assert_str_eq(c.setlist[0], "intro");
	ck_assert_str_eq(c.setlist[1], "rain");
	ck_assert_str_eq(c.setlist[2], "bowls");
	ck_assert_str_eq(c.setlist[3], "finale");
	ck_assert_str_eq(c.start, "rain");
	ck_assert_int_eq(c.preload, CONF_PRELOAD_NEXT);

	ck_assert_uint_eq(c.n_inputs, 3);
	const struct conf_input *harp = conf_find_input(&c, "harp");
	ck_assert_ptr_eq(harp, &c.inputs[0]);
	ck_assert_int_eq(harp->line, 39);
	ck_assert_str_eq(harp->port, "system:capture_1");
	ck_assert_float_eq_tol(harp->gain_db, -6.0f, 1e-6f);
	ck_assert(!harp->mute);
	ck_assert_float_eq_tol(harp->azimuth, 90.0f, 1e-6f); /* left */
	ck_assert_float_eq_tol(harp->elevation, 10.0f, 1e-6f);
	ck_assert_float_eq_tol(harp->distance, 0.5f, 1e-6f);
	ck_assert_float_eq_tol(harp->room_db, -12.0f, 1e-6f);

	const struct conf_input *whisper = conf_find_input(&c, "whisper");
	ck_assert_ptr_eq(whisper, &c.inputs[1]);
	ck_assert_int_eq(whisper->line, 47);
	ck_assert(whisper->mute);
	ck_assert_float_eq_tol(whisper->azimuth, -90.0f, 1e-4f); /* 270 wrapped */
	ck_assert_float_eq_tol(whisper->elevation, 90.0f, 1e-6f); /* above */
	ck_assert_float_eq_tol(whisper->gain_db, 0.0f, 1e-6f);
	ck_assert_float_eq_tol(whisper->distance, 1.0f, 1e-6f);
	ck_assert(isinf(whisper->room_db) && whisper->room_db < 0.0f); /* room = OFF */

	/* A section without keys still makes an input, with the defaults. */
	const struct conf_input *bowl = conf_find_input(&c, "bowl");
	ck_assert_ptr_eq(bowl, &c.inputs[2]);
	ck_assert_int_eq(bowl->line, 54);
	ck_assert_str_eq(bowl->port, "");
	ck_assert_float_eq_tol(bowl->distance, 1.0f, 1e-6f);
	ck_assert(isinf(bowl->room_db) && bowl->room_db < 0.0f); /* no room send by default */
	ck_assert(bowl->room_db == CONF_ROOM_OFF);
	ck_assert_ptr_null(conf_find_input(&c, "Harp"));

	ck_assert_uint_eq(c.n_binds, 3);
	ck_assert_str_eq(c.binds[0].control, "osc /1/push1");
	ck_assert_str_eq(c.binds[0].action, "trigger tap");
	ck_assert_int_eq(c.binds[0].line, 57);
	ck_assert_str_eq(c.binds[1].control, "midi cc 80");
	ck_assert_str_eq(c.binds[1].action, "scene next");
	ck_assert_int_eq(c.binds[1].line, 58);
	ck_assert_str_eq(c.binds[2].control, "osc /1/fader1");
	ck_assert_str_eq(c.binds[2].action, "input harp gain -40 0");
}
END_TEST

START_TEST(test_word_azimuths)
{
	static const struct { const char *text; float az; } cases[] = {
		{ "front", 0.0f }, { "left", 90.0f }, { "right", -90.0f }, { "behind", -180.0f },
		{ "Behind", -180.0f }, { "45", 45.0f }, { "-30.5", -30.5f }, { "180", -180.0f },
		{ "190", -170.0f }, { "-190", 170.0f }, { "720", 0.0f },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char text[128];
		snprintf(text, sizeof text, "[input v]\nazimuth = %s\n", cases[i].text);
		struct tingle_conf *c = good(text);
		ck_assert_msg(c->inputs[0].azimuth > cases[i].az - 1e-3f &&
				      c->inputs[0].azimuth < cases[i].az + 1e-3f,
			      "azimuth = %s gave %g, expected %g", cases[i].text,
			      (double)c->inputs[0].azimuth, (double)cases[i].az);
	}
	struct tingle_conf *c = good("[input v]\nelevation = below\n");
	ck_assert_float_eq_tol(c->inputs[0].elevation, -90.0f, 1e-6f);
	c = good("[input v]\nelevation = level\n");
	ck_assert_float_eq_tol(c->inputs[0].elevation, 0.0f, 1e-6f);
	c = good("[input v]\nelevation = -90\n");
	ck_assert_float_eq_tol(c->inputs[0].elevation, -90.0f, 1e-6f);
}
END_TEST

START_TEST(test_value_forms)
{
	/* Booleans in every spelling, white space, CRLF line ends, a BOM. */
	struct tingle_conf *c = good("\xEF\xBB\xBF[midi]\r\njack = off\r\nalsa = TRUE\r\n");
	ck_assert(!c->midi_jack);
	ck_assert(c->midi_alsa);
	c = good("[jack]\n  autoconnect   =   0  \n[midi]\njack=No\nalsa : 1\n");
	ck_assert(!c->autoconnect);
	ck_assert(!c->midi_jack);
	ck_assert(c->midi_alsa);

	/* Empty values that mean "the default". */
	c = good("[jack]\nserver =\noutputs = \"\"\n[hrtf]\nsofa =\n[scenes]\ndir =\n");
	ck_assert_str_eq(c->jack_server, "");
	ck_assert_str_eq(c->outputs[0], "");
	ck_assert_str_eq(c->sofa, TINGLE_DEFAULT_SOFA);
	ck_assert_str_eq(c->scenes_dir, "");

	/* Range ends are in the range. */
	c = good("[osc]\nport = 0\n[engine]\nvoices = 4096\nsources = 2\nceiling = -40\nmaster = 24\n"
		 "near_gain = 0\n"
		 "[input a]\ngain = -120\ndistance = 0.1\nroom = -120\n"
		 "[input b]\ndistance = 100\ngain = 24\nroom = 12\n");
	ck_assert_int_eq(c->osc_port, 0);
	ck_assert_int_eq(c->voices, 4096);
	ck_assert_float_eq_tol(c->ceiling_db, -40.0f, 1e-6f);
	ck_assert_float_eq_tol(c->near_gain_db, 0.0f, 1e-6f);
	ck_assert_float_eq_tol(c->inputs[0].distance, 0.1f, 1e-6f);
	ck_assert_float_eq_tol(c->inputs[0].room_db, -120.0f, 1e-6f);
	ck_assert_float_eq_tol(c->inputs[1].distance, 100.0f, 1e-6f);
	ck_assert_float_eq_tol(c->inputs[1].room_db, 12.0f, 1e-6f);
	c = good("[engine]\nsources = 4096\nnear_gain = 24\n[input a]\nroom = -6.5\n[input b]\nroom = off\n"
		 "[input c]\nroom = \"Off\"\n");
	ck_assert_int_eq(c->sources, 4096);
	ck_assert_float_eq_tol(c->near_gain_db, 24.0f, 1e-6f);
	ck_assert_float_eq_tol(c->inputs[0].room_db, -6.5f, 1e-6f);
	ck_assert(c->inputs[1].room_db == CONF_ROOM_OFF);
	ck_assert(c->inputs[2].room_db == CONF_ROOM_OFF);

	/* The setlist gives the start; allow lists are written canonically. */
	c = good("[scenes]\nsetlist = a,b , c\npreload = ALL\n[osc]\nallow = 10. FD00:0::1 fe80: 192.168.0.0/16 "
		 "FD00::/8 ANY\n");
	ck_assert_uint_eq(c->n_setlist, 3);
	ck_assert_str_eq(c->setlist[2], "c");
	ck_assert_str_eq(c->start, "a");
	ck_assert_int_eq(c->preload, CONF_PRELOAD_ALL);
	ck_assert_str_eq(c->osc_allow[0], "10.");
	ck_assert_str_eq(c->osc_allow[1], "fd00::1");
	ck_assert_str_eq(c->osc_allow[2], "fe80:");
	ck_assert_str_eq(c->osc_allow[3], "192.168.0.0/16");
	ck_assert_str_eq(c->osc_allow[4], "fd00::/8");
	ck_assert_str_eq(c->osc_allow[5], "any");

	/* Without a setlist any scene may start. */
	c = good("[scenes]\nstart = rain\n");
	ck_assert_str_eq(c->start, "rain");

	/* A section may come back; a long input name is not cut short. */
	c = good("[jack]\nname = a\n[engine]\nvoices = 2\n[jack]\nserver = s\n"
		 "[input a_rather_long_input_name_well_over_fifty_characters_long]\nmute = yes\n");
	ck_assert_str_eq(c->jack_name, "a");
	ck_assert_str_eq(c->jack_server, "s");
	ck_assert_str_eq(c->inputs[0].name, "a_rather_long_input_name_well_over_fifty_characters_long");
	ck_assert(c->inputs[0].mute);

	/* Bindings are stored as written. */
	c = good("[bind]\nmidi pc = scene\nmidi  cc 64 = hold ; sustain pedal\n");
	ck_assert_uint_eq(c->n_binds, 2);
	ck_assert_str_eq(c->binds[0].control, "midi pc");
	ck_assert_str_eq(c->binds[0].action, "scene");
	ck_assert_str_eq(c->binds[1].control, "midi  cc 64");
	ck_assert_str_eq(c->binds[1].action, "hold");
	ck_assert_int_eq(c->binds[1].line, 3);
}
END_TEST

/* ---------------------------------------------------------------------- */

static const struct {
	const char *text;
	int line;            /* expected in "bad.conf:LINE: " */
	const char *message; /* and this after it */
} errors[] = {
	/* unknown key, unknown section */
	{ "[jack]\nname = a\nnmae = b\n", 3,
	  "[jack] nmae: unknown key (expected name, server, autoconnect, outputs)" },
	{ "[engine]\nnear = 3\n", 2,
	  "[engine] near: unknown key (expected voices, sources, ceiling, master, near_gain)" },
	{ "[input harp]\nreverb = -3\n", 2,
	  "[input harp] reverb: unknown key (expected port, gain, mute, azimuth, elevation, distance, room)" },
	{ "[input harp]\nazimuth = 0\npan = 3\n", 3, "[input harp] pan: unknown key" },
	{ "[jack]\nName = a\n", 2, "[jack] Name: unknown key" },
	{ "\n[jak]\nname = a\n", 2, "[jak]: unknown section" },
	{ "[Jack]\n", 1, "[Jack]: unknown section" },
	{ "[inputs]\n", 1, "[inputs]: unknown section" },
	{ "voices = 3\n[engine]\n", 1, "voices: key outside any section" },
	/* bad number, out of range */
	{ "[engine]\nvoices = many\n", 2,
	  "[engine] voices: not a whole number (got 'many', expected a whole number 1..4096)" },
	{ "[engine]\nvoices = 12.5\n", 2, "[engine] voices: not a whole number (got '12.5'" },
	{ "[osc]\n\nport = 80a\n", 3, "[osc] port: not a whole number (got '80a'" },
	{ "[engine]\nceiling = -3 dB\n", 2,
	  "[engine] ceiling: not a number (got '-3 dB', expected a number -40..0)" },
	{ "[input harp]\ngain = loud\n", 2, "[input harp] gain: not a number (got 'loud'" },
	{ "[osc]\nport = 65536\n", 2,
	  "[osc] port: out of range (got '65536', expected a whole number 0..65535)" },
	{ "[engine]\nvoices = 0\n", 2, "[engine] voices: out of range (got '0'" },
	{ "[engine]\nsources = 4097\n", 2,
	  "[engine] sources: out of range (got '4097', expected a whole number 1..4096)" },
	{ "[engine]\nsources = 0\n", 2, "[engine] sources: out of range (got '0'" },
	{ "[engine]\nnear_gain = 25\n", 2,
	  "[engine] near_gain: out of range (got '25', expected a number 0..24)" },
	{ "[engine]\nnear_gain = -1\n", 2,
	  "[engine] near_gain: out of range (got '-1', expected a number 0..24)" },
	{ "[engine]\nnear_gain = 12 dB\n", 2,
	  "[engine] near_gain: not a number (got '12 dB', expected a number 0..24)" },
	{ "[engine]\nnear_gain = off\n", 2, "[engine] near_gain: not a number (got 'off'" },
	{ "[input harp]\nroom = 13\n", 2,
	  "[input harp] room: out of range (got '13', expected a number -120..12 (dB) or off)" },
	{ "[input harp]\nroom = -121\n", 2,
	  "[input harp] room: out of range (got '-121', expected a number -120..12 (dB) or off)" },
	{ "[input harp]\nroom = loud\n", 2,
	  "[input harp] room: not a number (got 'loud', expected a number -120..12 (dB) or off)" },
	{ "[input harp]\nroom = no\n", 2, "[input harp] room: not a number (got 'no'" },
	{ "[input harp]\nroom =\n", 2, "[input harp] room: not a number (got ''" },
	{ "[input harp]\nroom = -inf\n", 2, "[input harp] room: not a number (got '-inf'" },
	{ "[engine]\nceiling = 1\n", 2,
	  "[engine] ceiling: out of range (got '1', expected a number -40..0)" },
	{ "[engine]\nmaster = 30\n", 2, "[engine] master: out of range (got '30'" },
	{ "[input harp]\ndistance = 0\n", 2,
	  "[input harp] distance: out of range (got '0', expected a number 0.1..100)" },
	{ "[input harp]\nelevation = 95\n", 2, "[input harp] elevation: out of range (got '95'" },
	{ "[input harp]\nelevation = up\n", 2, "[input harp] elevation: not an elevation (got 'up'" },
	{ "[input harp]\nazimuth = upstage\n", 2, "[input harp] azimuth: not an azimuth (got 'upstage'" },
	/* bad bool */
	{ "[jack]\nautoconnect = maybe\n", 2,
	  "[jack] autoconnect: not yes or no (got 'maybe', expected yes/no" },
	{ "[input harp]\nmute = muted\n", 2, "[input harp] mute: not yes or no (got 'muted'" },
	{ "[midi]\nalsa =\n", 2, "[midi] alsa: not yes or no (got ''" },
	/* plain decimal numbers only: no hexadecimal, inf or nan, nothing a
	 * float cannot hold (0x10 was +16 dB, 1e39 an azimuth of NaN) */
	{ "[engine]\nmaster = 0x10\n", 2,
	  "[engine] master: not a number (got '0x10', expected a number -120..24)" },
	{ "[input harp]\ngain = 0x1p3\n", 2, "[input harp] gain: not a number (got '0x1p3'" },
	{ "[input harp]\nazimuth = 1e39\n", 2, "[input harp] azimuth: not an azimuth (got '1e39'" },
	{ "[input harp]\nazimuth = -0x10\n", 2, "[input harp] azimuth: not an azimuth (got '-0x10'" },
	{ "[input harp]\nazimuth = nan\n", 2, "[input harp] azimuth: not an azimuth (got 'nan'" },
	{ "[input harp]\nelevation = -1e39\n", 2,
	  "[input harp] elevation: not an elevation (got '-1e39'" },
	{ "[input harp]\ndistance = inf\n", 2, "[input harp] distance: not a number (got 'inf'" },
	{ "[input harp]\ndistance = 1e400\n", 2, "[input harp] distance: not a number (got '1e400'" },
	{ "[engine]\nceiling = -infinity\n", 2, "[engine] ceiling: not a number (got '-infinity'" },
	{ "[engine]\nvoices = 0x10\n", 2, "[engine] voices: not a whole number (got '0x10'" },
	{ "[osc]\nport = 8e3\n", 2, "[osc] port: not a whole number (got '8e3'" },
	/* inputs */
	{ "[input harp]\n[input bowl]\n\n[input harp]\ngain = 1\n", 4,
	  "[input harp]: duplicate input (first defined on line 1)" },
	{ "[input harp!]\n", 1, "[input harp!]: invalid input name (got 'harp!'" },
	{ "[input ../x]\n", 1, "[input ../x]: invalid input name" },
	{ "[input two words]\n", 1, "[input two words]: invalid input name (got 'two words'" },
	{ "[input]\n", 1, "[input]: no input name" },
	{ "[input a]\n[input b]\n[input c]\n[engine]\nsources = 2\n", 3,
	  "[input c]: more live inputs than [engine] sources (got 3 inputs, expected at most sources = 2)" },
	{ "[input a]\nport = capture_1\n", 2, "[input a] port: not a JACK port name (got 'capture_1'" },
	/* [osc] lists */
	{ "[osc]\nfeedback = 192.168.1.20\n", 2,
	  "[osc] feedback: not host:port (got '192.168.1.20', expected host:port with port 1..65535" },
	{ "[osc]\nfeedback = a:9000 b:0\n", 2, "[osc] feedback: not host:port (got 'b:0'" },
	{ "[osc]\nfeedback = h:65536\n", 2, "[osc] feedback: not host:port (got 'h:65536'" },
	{ "[osc]\nfeedback = ::1:9000\n", 2, "[osc] feedback: not host:port (got '::1:9000'" },
	{ "[osc]\nfeedback = [::1]\n", 2, "[osc] feedback: not host:port (got '[::1]'" },
	{ "[osc]\nfeedback = host:90x\n", 2, "[osc] feedback: not host:port (got 'host:90x'" },
	{ "[osc]\nfeedback = a:1\n   b:2 c\n", 3, "[osc] feedback: not host:port (got 'c'" },
	{ "[osc]\nallow = 192.168.1\n", 2, "[osc] allow: not an IP address, network or prefix (got '192.168.1'" },
	{ "[osc]\nallow = localhost\n", 2, "[osc] allow: not an IP address, network or prefix (got 'localhost'" },
	{ "[osc]\nallow = 192.168.300.\n", 2, "[osc] allow: not an IP address, network or prefix" },
	{ "[osc]\nallow = 10.0.0.0/33\n", 2, "[osc] allow: not an IP address, network or prefix (got '10.0.0.0/33'" },
	{ "[osc]\nallow = fe80::/129\n", 2, "[osc] allow: not an IP address, network or prefix (got 'fe80::/129'" },
	{ "[osc]\nallow = 10./8\n", 2, "[osc] allow: not an IP address, network or prefix (got '10./8'" },
	{ "[osc]\nallow = 1. 2. 3. 4. 5. 6. 7. 8. 9. 10. 11. 12. 13. 14. 15. 16. 17.\n", 2,
	  "[osc] allow: too many entries" },
	/* [bind] */
	{ "[bind]\nosc /a = trigger tap\npedal 1 = scene next\n", 3,
	  "[bind] pedal 1: not a control (got 'pedal 1', expected osc /ADDRESS or midi" },
	{ "[bind]\noscillator = scene next\n", 2, "[bind] oscillator: not a control" },
	{ "[bind]\nosc 1/push1 = trigger tap\n", 2, "[bind] osc 1/push1: no OSC address" },
	{ "[bind]\nmidi = scene next\n", 2, "[bind] midi: no MIDI message" },
	{ "[bind]\nosc /1/push1 =\n", 2, "[bind] osc /1/push1: no action" },
	/* other values */
	{ "[jack]\nname =\n", 2, "[jack] name: empty" },
	{ "[jack]\nname = a:b\n", 2, "[jack] name: ':' is not allowed" },
	{ "[jack]\noutputs = system:playback_1\n", 2, "[jack] outputs: not two port names" },
	{ "[jack]\noutputs = a:1 b:2 c:3\n", 2, "[jack] outputs: not two port names" },
	{ "[jack]\noutputs = a:1 playback_2\n", 2, "[jack] outputs: not a JACK port name (got 'playback_2'" },
	{ "[scenes]\nsetlist = intro ../../etc/passwd\n", 2,
	  "[scenes] setlist: not a scene name (got '../../etc/passwd'" },
	{ "[scenes]\npreload = some\n", 2, "[scenes] preload: unknown preload mode (got 'some', expected all or next)" },
	{ "[scenes]\nstart = outro\nsetlist = intro rain\n", 2,
	  "[scenes] start: not in the setlist (got 'outro'" },
	/* structure */
	{ "[engine]\nvoices = 8\nvoices = 9\n", 3, "[engine] voices: set twice (first on line 2)" },
	{ "[input a]\ngain = 1\n[input b]\ngain = 2\ngain = 3\n", 5,
	  "[input b] gain: set twice (first on line 4)" },
	{ "[input a]\nroom = -3\n[input b]\nroom = off\n\nroom = -6\n", 6,
	  "[input b] room: set twice (first on line 4)" },
	{ "[engine]\nnear_gain = 6\n[engine]\nnear_gain = 6\n", 4,
	  "[engine] near_gain: set twice (first on line 2)" },
	{ "[jack]\n  name = a\n  server = b\n", 3,
	  "[jack] name: indented line read as more of the value of name" },
	{ "[osc]\nallow = 127.0.0.1\n  [jack]\nname = x\n", 3,
	  "[osc] allow: indented section header read as more of the value of allow" },
	{ "[engine]\nvoices = 8\nthis is not a key\nvoices = 0\n", 3, "syntax error" },
	{ "[engine\nvoices = 8\n", 1, "syntax error" },
	{ "[jack] name = x\n", 1, "[jack]: text after the section header (got 'name = x'" },
	{ "[engine]\n= 8\n", 2, "no key before '='" },
	/* the first error is the one reported */
	{ "[engine]\nvoices = x\n[nope]\n", 2, "[engine] voices: not a whole number" },
	{ "[jack]\nname = a\n[jack]\nname = b\n[osc]\nport = -1\n", 4, "[jack] name: set twice (first on line 2)" },
};

START_TEST(test_error_line)
{
	const char *text = errors[_i].text;
	static struct tingle_conf c;
	char err[1024] = "";
	char prefix[64];
	int ret = conf_parse_string(text, "bad.conf", &c, err, sizeof err);
	ck_assert_msg(ret == -1, "no error for case %d:\n%s", _i, text);
	int n = snprintf(prefix, sizeof prefix, "bad.conf:%d: ", errors[_i].line);
	ck_assert_msg(!strncmp(err, prefix, (size_t)n), "case %d: expected '%s...', got '%s'", _i,
		      prefix, err);
	ck_assert_msg(!strncmp(err + n, errors[_i].message, strlen(errors[_i].message)),
		      "case %d: expected '%s%s...', got '%s'", _i, prefix, errors[_i].message, err);
}
END_TEST

START_TEST(test_error_in_file)
{
	char dir[PATH_MAX], path[PATH_MAX + 32], err[PATH_MAX + 256], want[PATH_MAX + 128];
	static struct tingle_conf c;
	make_tmpdir(dir, sizeof dir);
	snprintf(path, sizeof path, "%s/tingled.conf", dir);
	write_file(path, "# a comment\n[osc]\nport = 8000\n\n[midi]\njack = perhaps\n");
	ck_assert_int_eq(conf_load(path, &c, err, sizeof err), -1);
	snprintf(want, sizeof want, "%s:6: [midi] jack: not yes or no (got 'perhaps'", path);
	ck_assert_msg(!strncmp(err, want, strlen(want)), "got '%s'", err);
	unlink(path);
	rmdir(dir);
}
END_TEST

START_TEST(test_unreadable_files)
{
	char dir[PATH_MAX], path[PATH_MAX + 32], err[PATH_MAX + 256], want[PATH_MAX + 256];
	static struct tingle_conf c;
	make_tmpdir(dir, sizeof dir);
	snprintf(path, sizeof path, "%s/missing.conf", dir);
	ck_assert_int_eq(conf_load(path, &c, err, sizeof err), -1);
	snprintf(want, sizeof want, "%s: %s", path, strerror(ENOENT));
	ck_assert_str_eq(err, want);

	/* a directory opens, but does not read */
	ck_assert_int_eq(conf_load(dir, &c, err, sizeof err), -1);
	snprintf(want, sizeof want, "%s: %s", dir, strerror(EISDIR));
	ck_assert_str_eq(err, want);
	rmdir(dir);
}
END_TEST

START_TEST(test_long_lines)
{
	/* inih cuts lines at 200 bytes and counts the rest as a line of its
	 * own; here a long line is an error on its own line number, and the
	 * lines after keep theirs. */
	static struct tingle_conf c;
	char text[1024], err[1024];
	char pad[400];
	memset(pad, 'a', sizeof pad - 1);
	pad[sizeof pad - 1] = '\0';
	snprintf(text, sizeof text, "[jack]\nserver = %s\n", pad);
	ck_assert_int_eq(conf_parse_string(text, "long.conf", &c, err, sizeof err), -1);
	ck_assert_msg(!strncmp(err, "long.conf:2: line too long", 26), "got '%s'", err);

	/* A long list goes on over indented lines. */
	static const char *const text2 =
		"[osc]\n"
		"allow = 192.168.100.101 192.168.100.102 192.168.100.103 192.168.100.104\n"
		"        192.168.100.105 192.168.100.106 192.168.100.107 192.168.100.108\n"
		"        192.168.100.109 192.168.100.110 ; the stage network\n"
		"port = 9000\n";
	ck_assert_int_eq(conf_parse_string(text2, "long.conf", &c, err, sizeof err), 0);
	ck_assert_uint_eq(c.n_osc_allow, 10);
	ck_assert_str_eq(c.osc_allow[9], "192.168.100.110");
	ck_assert_int_eq(c.osc_port, 9000);
}
END_TEST

/* Files that are not text files a person wrote: a FIFO (no writer: it
 * used to hang --check and reload forever), devices (/dev/zero grew
 * memory without end), files larger than 1 MiB. Each refused at once,
 * named, with what it is. */
START_TEST(test_not_regular_files)
{
	char dir[PATH_MAX], path[PATH_MAX + 32], err[PATH_MAX + 256], want[PATH_MAX + 256];
	static struct tingle_conf c;
	make_tmpdir(dir, sizeof dir);
	snprintf(path, sizeof path, "%s/fifo.conf", dir);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	ck_assert_int_eq(conf_load(path, &c, err, sizeof err), -1);
	snprintf(want, sizeof want, "%s: not a regular file (got a FIFO, expected a config file)", path);
	ck_assert_str_eq(err, want);
	unlink(path);
	rmdir(dir);

	static const char *const devices[] = { "/dev/zero", "/dev/urandom", "/dev/null" };
	for (size_t i = 0; i < sizeof devices / sizeof devices[0]; i++) {
		ck_assert_int_eq(conf_load(devices[i], &c, err, sizeof err), -1);
		snprintf(want, sizeof want, "%s: not a regular file (got a character device, expected a config file)",
			 devices[i]);
		ck_assert_str_eq(err, want);
	}
}
END_TEST

START_TEST(test_file_size)
{
	char dir[PATH_MAX], path[PATH_MAX + 32], err[PATH_MAX + 256], want[PATH_MAX + 256];
	static struct tingle_conf c;
	make_tmpdir(dir, sizeof dir);
	snprintf(path, sizeof path, "%s/big.conf", dir);

	/* 1 MiB exactly, of comments and one key: taken. */
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	long n = fprintf(f, "[engine]\nvoices = 9\n");
	static char line[100];
	memset(line, '#', sizeof line - 1);
	line[sizeof line - 2] = '\n';
	for (; n + (long)sizeof line - 1 <= 1024L * 1024L; n += (long)sizeof line - 1)
		fputs(line, f);
	for (; n < 1024L * 1024L; n++)
		fputc('\n', f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_msg(conf_load(path, &c, err, sizeof err) == 0, "%s", err);
	ck_assert_int_eq(c.voices, 9);

	/* One byte more: refused, before reading, saying the limit. */
	f = fopen(path, "a");
	ck_assert_ptr_nonnull(f);
	fputc('\n', f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(conf_load(path, &c, err, sizeof err), -1);
	snprintf(want, sizeof want,
		 "%s: larger than 1 MiB (got 1048577 bytes, expected a config file of at most 1 MiB)", path);
	ck_assert_str_eq(err, want);
	unlink(path);
	rmdir(dir);
}
END_TEST

/* A read error is an error, not the end of the file: /proc/self/mem is a
 * regular file whose first bytes cannot be read (EIO). */
START_TEST(test_read_error)
{
	static struct tingle_conf c;
	char err[256], want[256];
	const char *path = "/proc/self/mem";
	if (access(path, R_OK) < 0)
		return;
	ck_assert_int_eq(conf_load(path, &c, err, sizeof err), -1);
	snprintf(want, sizeof want, "%s: %s", path, strerror(EIO));
	ck_assert_str_eq(err, want);
}
END_TEST

/* Over-long lines of a file (not text in memory), of every kind, are
 * "line too long" on their own line, whatever they are. */
START_TEST(test_long_lines_in_file)
{
	char dir[PATH_MAX], path[PATH_MAX + 32], err[PATH_MAX + 512], want[PATH_MAX + 128];
	static struct tingle_conf c;
	static char text[16384], pad[8000];
	static const struct {
		const char *before, *after; /* around the long text */
		int line;
	} forms[] = {
		{ "[osc]\nport = 9000\nallow = 127.0.0.1 ", "\n", 3 },
		{ "[osc]\nport = 9000\nallow = 127.0.0.1\n  ", "\n", 4 },
		{ "[bind]\nosc /a = trigger a\nosc /b = ", "\n", 3 },
		{ "[engine]\nvoices = 8\n# ", "\n", 3 },
		{ "[engine]\nvoices = 8\n[", "]\n", 3 },
		{ "[engine]\nvoices = 8\n", " = 1\r\n", 3 },
	};
	make_tmpdir(dir, sizeof dir);
	snprintf(path, sizeof path, "%s/long.conf", dir);
	for (size_t len = 250; len < sizeof pad; len *= 4) {
		memset(pad, 'x', len);
		pad[len] = '\0';
		for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
			snprintf(text, sizeof text, "%s%s%s", forms[i].before, pad, forms[i].after);
			strcat(text, "[jack]\nname = after\n");
			write_file(path, text);
			ck_assert_int_eq(conf_load(path, &c, err, sizeof err), -1);
			snprintf(want, sizeof want, "%s:%d: line too long (got ", path, forms[i].line);
			ck_assert_msg(!strncmp(err, want, strlen(want)), "form %zu, %zu: got '%s'", i, len, err);
		}
	}
	unlink(path);
	rmdir(dir);
}
END_TEST

START_TEST(test_limits)
{
	static struct tingle_conf c;
	static char text[CONF_MAX_INPUTS * 32 + 256];
	char err[1024];
	ck_assert_int_ge(CONF_MAX_INPUTS, 1024);
	size_t n = (size_t)snprintf(text, sizeof text, "[engine]\nsources = 4096\n");
	for (int i = 0; i < CONF_MAX_INPUTS; i++)
		n += (size_t)snprintf(text + n, sizeof text - n, "[input in%d]\n", i);
	ck_assert_int_eq(conf_parse_string(text, "many.conf", &c, err, sizeof err), 0);
	ck_assert_uint_eq(c.n_inputs, CONF_MAX_INPUTS);
	ck_assert_int_eq(c.inputs[CONF_MAX_INPUTS - 1].line, CONF_MAX_INPUTS + 2);

	snprintf(text + n, sizeof text - n, "[input one_more]\n");
	ck_assert_int_eq(conf_parse_string(text, "many.conf", &c, err, sizeof err), -1);
	char want[128];
	snprintf(want, sizeof want, "many.conf:%d: [input one_more]: too many inputs",
		 CONF_MAX_INPUTS + 3);
	ck_assert_msg(!strncmp(err, want, strlen(want)), "got '%s'", err);

	/* More inputs than [engine] sources (default 64) is the limit a
	 * configuration meets first. */
	ck_assert_int_eq(conf_parse_string("[engine]\nsources = 1\n[input a]\n", "s.conf", &c, err,
					   sizeof err), 0);
	n = 0;
	for (int i = 0; i < 65; i++)
		n += (size_t)snprintf(text + n, sizeof text - n, "[input in%d]\n", i);
	ck_assert_int_eq(conf_parse_string(text, "s.conf", &c, err, sizeof err), -1);
	ck_assert_str_eq(err, "s.conf:65: [input in64]: more live inputs than [engine] sources (got 65 inputs, "
			      "expected at most sources = 64)");
}
END_TEST

/* A stage with many microphones: 256 live inputs, each with its own
 * values, the text made here. */
START_TEST(test_many_inputs)
{
	static struct tingle_conf c;
	static char text[256 * 160 + 256];
	char err[1024];
	size_t n = (size_t)snprintf(text, sizeof text, "[engine]\nsources = 300\nnear_gain = 6\n");
	for (int i = 0; i < 256; i++)
		n += (size_t)snprintf(text + n, sizeof text - n,
				      "[input mic%03d]\nport = system:capture_%d\ngain = %d\nazimuth = %d\n"
				      "distance = %g\nroom = %s\n",
				      i, i + 1, -(i % 40), i - 128, 0.5 + i / 64.0,
				      i % 3 == 0 ? "off" : i % 3 == 1 ? "-12" : "-3.5");
	ck_assert_uint_lt(n, sizeof text - 1);
	int ret = conf_parse_string(text, "stage.conf", &c, err, sizeof err);
	ck_assert_msg(ret == 0, "%s", err);
	ck_assert_uint_eq(c.n_inputs, 256);
	ck_assert_int_eq(c.sources, 300);
	ck_assert_float_eq_tol(c.near_gain_db, 6.0f, 1e-6f);
	for (int i = 0; i < 256; i++) {
		char name[16], port[32];
		snprintf(name, sizeof name, "mic%03d", i);
		snprintf(port, sizeof port, "system:capture_%d", i + 1);
		const struct conf_input *in = conf_find_input(&c, name);
		ck_assert_msg(in == &c.inputs[i], "%s", name);
		ck_assert_int_eq(in->line, 4 + 6 * i);
		ck_assert_str_eq(in->port, port);
		ck_assert_float_eq_tol(in->gain_db, (float)-(i % 40), 1e-6f);
		ck_assert_float_eq_tol(in->azimuth, (float)(i - 128), 1e-4f);
		ck_assert_float_eq_tol(in->distance, 0.5f + (float)i / 64.0f, 1e-5f);
		if (i % 3 == 0)
			ck_assert(in->room_db == CONF_ROOM_OFF);
		else
			ck_assert_float_eq_tol(in->room_db, i % 3 == 1 ? -12.0f : -3.5f, 1e-6f);
	}
}
END_TEST

START_TEST(test_small_err_buffer)
{
	static struct tingle_conf c;
	char err[12];
	ck_assert_int_eq(conf_parse_string("[x]\n", "bad.conf", &c, err, sizeof err), -1);
	ck_assert_str_eq(err, "bad.conf:1:");
	ck_assert_int_eq(conf_parse_string("[x]\n", "bad.conf", &c, NULL, 0), -1);
}
END_TEST

/* ---------------------------------------------------------------------- */

START_TEST(test_relative_paths)
{
	char dir[PATH_MAX], sub[PATH_MAX + 16], path[PATH_MAX + 32], err[PATH_MAX + 256];
	char want[PATH_MAX + 64];
	static struct tingle_conf c;
	make_tmpdir(dir, sizeof dir);
	snprintf(sub, sizeof sub, "%s/tingle", dir);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	snprintf(path, sizeof path, "%s/tingled.conf", sub);
	write_file(path, "[hrtf]\nsofa = hrtf/kemar.sofa\n[scenes]\ndir = ../scenes\n");
	ck_assert_msg(conf_load(path, &c, err, sizeof err) == 0, "%s", err);
	snprintf(want, sizeof want, "%s/hrtf/kemar.sofa", sub);
	ck_assert_str_eq(c.sofa, want);
	snprintf(want, sizeof want, "%s/../scenes", sub);
	ck_assert_str_eq(c.scenes_dir, want);

	/* A config named relative to the current directory. */
	ck_assert_int_eq(chdir(dir), 0);
	ck_assert_msg(conf_load("tingle/tingled.conf", &c, err, sizeof err) == 0, "%s", err);
	char cwd[PATH_MAX];
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
	snprintf(want, sizeof want, "%s/tingle/hrtf/kemar.sofa", cwd);
	ck_assert_str_eq(c.sofa, want);

	/* Absolute paths and ~ */
	write_file(path, "[hrtf]\nsofa = /opt/hrtf/a.sofa\n[scenes]\ndir = ~/scenes\n");
	setenv("HOME", "/home/performer", 1);
	ck_assert_msg(conf_load(path, &c, err, sizeof err) == 0, "%s", err);
	ck_assert_str_eq(c.sofa, "/opt/hrtf/a.sofa");
	ck_assert_str_eq(c.scenes_dir, "/home/performer/scenes");

	/* Text in memory: relative to the current directory. */
	struct tingle_conf *m = good("[hrtf]\nsofa = x.sofa\n");
	snprintf(want, sizeof want, "%s/x.sofa", cwd);
	ck_assert_str_eq(m->sofa, want);

	unlink(path);
	rmdir(sub);
	rmdir(dir);
}
END_TEST

START_TEST(test_find_xdg)
{
	char dir[PATH_MAX], sub[PATH_MAX + 16], path[PATH_MAX + 32], buf[PATH_MAX];
	make_tmpdir(dir, sizeof dir);
	snprintf(sub, sizeof sub, "%s/tingle", dir);
	snprintf(path, sizeof path, "%s/tingled.conf", sub);

	setenv("XDG_CONFIG_HOME", dir, 1);
	setenv("HOME", "/nonexistent-tingle-home", 1);
	/* Not there yet: the system file or nothing, never the XDG one. */
	if (conf_find(buf, sizeof buf))
		ck_assert_str_ne(buf, path);
	else
		ck_assert_str_eq(buf, "");

	ck_assert_int_eq(mkdir(sub, 0700), 0);
	write_file(path, "[jack]\nname = xdg\n");
	ck_assert(conf_find(buf, sizeof buf));
	ck_assert_str_eq(buf, path);

	/* It comes first, and it loads. */
	static struct tingle_conf c;
	char err[PATH_MAX + 256];
	ck_assert_msg(conf_load(buf, &c, err, sizeof err) == 0, "%s", err);
	ck_assert_str_eq(c.jack_name, "xdg");

	/* Too small a buffer is no match. */
	char tiny[8];
	if (conf_find(tiny, sizeof tiny))
		ck_assert_str_ne(tiny, path);

	unlink(path);
	rmdir(sub);
	rmdir(dir);
}
END_TEST

START_TEST(test_find_home)
{
	char dir[PATH_MAX], sub[PATH_MAX + 32], path[PATH_MAX + 64], buf[PATH_MAX];
	make_tmpdir(dir, sizeof dir);
	snprintf(sub, sizeof sub, "%s/.config", dir);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	snprintf(sub, sizeof sub, "%s/.config/tingle", dir);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	snprintf(path, sizeof path, "%s/tingled.conf", sub);
	write_file(path, "");

	setenv("HOME", dir, 1);
	unsetenv("XDG_CONFIG_HOME");
	ck_assert(conf_find(buf, sizeof buf));
	ck_assert_str_eq(buf, path);

	/* Empty or relative XDG_CONFIG_HOME is ignored, as the XDG spec says. */
	setenv("XDG_CONFIG_HOME", "", 1);
	ck_assert(conf_find(buf, sizeof buf));
	ck_assert_str_eq(buf, path);
	setenv("XDG_CONFIG_HOME", "relative/dir", 1);
	ck_assert(conf_find(buf, sizeof buf));
	ck_assert_str_eq(buf, path);

	unlink(path);
	snprintf(path, sizeof path, "%s/.config/tingle", dir);
	rmdir(path);
	snprintf(path, sizeof path, "%s/.config", dir);
	rmdir(path);
	rmdir(dir);
}
END_TEST

/* ---------------------------------------------------------------------- */

static Suite *conf_suite(void)
{
	Suite *s = suite_create("conf");

	TCase *tc = tcase_create("Defaults");
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_empty_text_gives_defaults);
	tcase_add_test(tc, test_parse_starts_from_defaults);
	tcase_add_test(tc, test_valid_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("Values");
	tcase_add_test(tc, test_full_file);
	tcase_add_test(tc, test_word_azimuths);
	tcase_add_test(tc, test_value_forms);
	suite_add_tcase(s, tc);

	tc = tcase_create("Errors");
	tcase_add_loop_test(tc, test_error_line, 0, (int)(sizeof errors / sizeof errors[0]));
	tcase_add_test(tc, test_error_in_file);
	tcase_add_test(tc, test_unreadable_files);
	tcase_add_test(tc, test_long_lines);
	tcase_add_test(tc, test_long_lines_in_file);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_many_inputs);
	tcase_add_test(tc, test_not_regular_files);
	tcase_add_test(tc, test_file_size);
	tcase_add_test(tc, test_read_error);
	tcase_add_test(tc, test_small_err_buffer);
	suite_add_tcase(s, tc);

	tc = tcase_create("Paths");
	tcase_add_test(tc, test_relative_paths);
	suite_add_tcase(s, tc);

	tc = tcase_create("Find");
	tcase_add_test(tc, test_find_xdg);
	tcase_add_test(tc, test_find_home);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(conf_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
