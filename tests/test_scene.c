#include "config.h"
#include "config/scene.h"

#include "prep/audiofile.h"
#include "control/setlist.h"

#include <check.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef PKGDATADIR
#define PKGDATADIR "/usr/local/share/tingle"
#endif

/* The shipped test data: $top_srcdir/tests/data/scenes (make check sets
 * top_srcdir; by hand, run from the top of the source tree). */
static void data_path(char *buf, size_t n, const char *name)
{
	const char *top = getenv("top_srcdir");
	snprintf(buf, n, "%s/tests/data/scenes/%s", top && *top ? top : ".", name);
}

static void make_tmpdir(char *buf, size_t n)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(buf, n, "%s/tingle-scene-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(buf));
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

/* A short real sound file: a decaying tone. */
static void write_wav(const char *path, int channels)
{
	SF_INFO info = { .samplerate = 48000, .channels = channels,
			 .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16 };
	SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
	ck_assert_msg(sf != NULL, "%s: %s", path, sf_strerror(NULL));
	float buf[2 * 96];
	for (int i = 0; i < 96; i++)
		for (int c = 0; c < channels; c++)
			buf[i * channels + c] = 0.5f * expf(-(float)i / 20.0f) * sinf(0.3f * (float)i);
	ck_assert_int_eq(sf_writef_float(sf, buf, 96), 96);
	ck_assert_int_eq(sf_close(sf), 0);
}

static void join(char *out, size_t n, const char *dir, const char *name)
{
	int len = snprintf(out, n, "%s/%s", dir, name);
	ck_assert(len > 0 && (size_t)len < n);
}

static int remove_one(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	return type == FTW_DP ? rmdir(path) : unlink(path);
}

/* Removes what a test made: a tree of files and folders. */
static void remove_tree(const char *path)
{
	ck_assert_int_eq(nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS), 0);
}

/* The configuration the scenes are read with: two live inputs. */
static const struct tingle_conf *test_conf(void)
{
	static struct tingle_conf c;
	char err[512];
	int rc = conf_parse_string("[input harp]\nazimuth = 45\n[input bowl]\nazimuth = right\ndistance = 2\n",
				   "test.conf", &c, err, sizeof err);
	ck_assert_msg(rc == 0, "%s", err);
	return &c;
}

static struct scene_desc *new_desc(void)
{
	struct scene_desc *d = calloc(1, sizeof *d);
	ck_assert_ptr_nonnull(d);
	return d;
}

static void free_desc(struct scene_desc *d)
{
	scene_desc_free(d);
	free(d);
}

/* Write text to dir/name and parse it; must be good. */
static struct scene_desc *good(const char *dir, const char *name, const char *text,
			       const struct tingle_conf *conf)
{
	char path[PATH_MAX];
	char err[PATH_MAX + 512] = "unset";
	join(path, sizeof path, dir, name);
	write_file(path, text);
	struct scene_desc *d = new_desc();
	int rc = scene_parse(path, conf, d, err, sizeof err);
	ck_assert_msg(rc == 0, "unexpected error: %s\n%s", err, text);
	ck_assert_str_eq(err, "");
	return d;
}

/* Write text to dir/name and parse it; must fail. err receives the message. */
static void bad(const char *dir, const char *name, const char *text, const struct tingle_conf *conf,
		char *err, size_t errlen)
{
	char path[PATH_MAX];
	join(path, sizeof path, dir, name);
	write_file(path, text);
	struct scene_desc *d = new_desc();
	int rc = scene_parse(path, conf, d, err, errlen);
	ck_assert_msg(rc == -1, "no error for:\n%s", text);
	for (size_t i = 0; i < SCENE_MAX_SOUNDS; i++)
		ck_assert_ptr_null(d->sounds[i].files); /* nothing left to free */
	free_desc(d);
}

#define ck_assert_feq(a, b) ck_assert_float_eq_tol((a), (b), 1e-5f)

/* ---------------------------------------------------------------------- */
/* Parse */

START_TEST(test_full_scene)
{
	char path[PATH_MAX], err[PATH_MAX + 512];
	data_path(path, sizeof path, "full.scene");
	struct scene_desc *d = new_desc();
	int rc = scene_parse(path, test_conf(), d, err, sizeof err);
	ck_assert_msg(rc == 0, "%s", err);

	ck_assert_str_eq(d->path, path);
	ck_assert_str_eq(d->name, "full-test");
	ck_assert_feq(d->fade, 3.5f);

	ck_assert_uint_eq(d->n_sources, 2);
	const struct source_desc *src = &d->sources[0];
	ck_assert_str_eq(src->name, "close_left");
	ck_assert_int_eq(src->line, 9);
	ck_assert_feq(src->azimuth, 90.0f);
	ck_assert_feq(src->elevation, 10.0f);
	ck_assert_feq(src->distance, 0.3f);
	ck_assert(src->room_db == CONF_ROOM_OFF); /* no send unless one is set */
	src = &d->sources[1];
	ck_assert_str_eq(src->name, "behind");
	ck_assert_feq(src->azimuth, -160.0f); /* 200 wrapped */
	ck_assert_feq(src->elevation, -90.0f);
	ck_assert_feq(src->distance, 2.0f);
	ck_assert_feq(src->room_db, -8.0f);

	ck_assert_uint_eq(d->n_sounds, 4);
	const struct sound_desc *s = &d->sounds[0];
	ck_assert_str_eq(s->name, "taps");
	ck_assert_int_eq(s->line, 14);
	ck_assert_int_eq(s->gen.kind, GEN_NONE);
	ck_assert_uint_eq(s->n_files, 3); /* tap1.wav named twice, taken once */
	for (size_t i = 0; i < 3; i++) {
		char want[PATH_MAX], tail[64];
		snprintf(tail, sizeof tail, "/samples/tap%zu.wav", i + 1);
		ck_assert_msg(s->files[i][0] == '/', "not absolute: %s", s->files[i]);
		size_t len = strlen(s->files[i]);
		ck_assert(len > strlen(tail));
		ck_assert_str_eq(s->files[i] + len - strlen(tail), tail);
		/* the same file as the one next to the scene */
		struct stat a, b;
		snprintf(want, sizeof want, "%.*s", (int)(strlen(path) - strlen("full.scene")), path);
		strncat(want, tail + 1, sizeof want - strlen(want) - 1);
		ck_assert_int_eq(stat(s->files[i], &a), 0);
		ck_assert_int_eq(stat(want, &b), 0);
		ck_assert(a.st_ino == b.st_ino && a.st_dev == b.st_dev);
	}
	ck_assert_int_eq(s->note_lo, 60);
	ck_assert_int_eq(s->note_hi, 62);
	ck_assert_int_eq(s->mode, SOUND_ONESHOT);
	ck_assert_feq(s->gain_db, -3.0f);
	ck_assert_feq(s->velocity, 0.5f);
	ck_assert_int_eq(s->select, SOUND_RANDOM);
	ck_assert_feq(s->random_gain_db, 2.0f);
	ck_assert_feq(s->random_pitch_cents, 50.0f);
	ck_assert_feq(s->attack, 0.001f);
	ck_assert_feq(s->release, 0.2f);
	ck_assert_str_eq(s->choke, "hands");
	ck_assert_int_eq(s->polyphony, 4);
	ck_assert_str_eq(s->source, "close_left");
	ck_assert(!s->scatter);

	s = &d->sounds[1];
	ck_assert_str_eq(s->name, "brush");
	ck_assert_uint_eq(s->n_files, 0);
	ck_assert_ptr_null(s->files);
	ck_assert_int_eq(s->gen.kind, GEN_BRUSH);
	ck_assert_feq(s->gen.speed, 0.7f);
	ck_assert_feq(s->gen.brightness, 0.25f);
	ck_assert_feq(s->gen.density, 0.9f);
	ck_assert_feq(s->gen.length, 1.5f);
	ck_assert_uint_eq(s->gen.variants, 3);
	ck_assert_uint_eq(s->gen.seed, 42);
	ck_assert_int_eq(s->note_lo, 61);
	ck_assert_int_eq(s->note_hi, 61);
	ck_assert_int_eq(s->mode, SOUND_LOOP);
	ck_assert(s->scatter);
	ck_assert_str_eq(s->source, "");
	/* not set: the defaults */
	ck_assert_feq(s->gain_db, 0.0f);
	ck_assert_feq(s->velocity, 1.0f);
	ck_assert_int_eq(s->select, SOUND_ROUNDROBIN);
	ck_assert_feq(s->attack, 0.0f);
	ck_assert_feq(s->release, 0.05f);
	ck_assert_int_eq(s->polyphony, 8);
	ck_assert_str_eq(s->choke, "");

	s = &d->sounds[2];
	ck_assert_str_eq(s->name, "scrape");
	struct gen_params def;
	gen_defaults(&def, GEN_SCRAPE);
	ck_assert_int_eq(s->gen.kind, GEN_SCRAPE);
	ck_assert_feq(s->gen.roughness, 0.8f);
	ck_assert_feq(s->gen.length, def.length); /* the generator's defaults */
	ck_assert_feq(s->gen.speed, def.speed);
	ck_assert_uint_eq(s->gen.variants, def.variants);
	ck_assert_uint_eq(s->gen.seed, 0);
	ck_assert_int_eq(s->note_lo, 1); /* Db-1 */
	ck_assert_int_eq(s->note_hi, 127);
	ck_assert_int_eq(s->mode, SOUND_HOLD);
	ck_assert_str_eq(s->source, "harp"); /* a live input */

	s = &d->sounds[3];
	ck_assert_str_eq(s->name, "air");
	ck_assert_uint_eq(s->n_files, 1);
	ck_assert_str_eq(s->files[0] + strlen(s->files[0]) - strlen("/samples/air_stereo.wav"),
			 "/samples/air_stereo.wav");
	ck_assert_int_eq(s->note_lo, -1); /* no note: OSC and bindings only */
	ck_assert_str_eq(s->source, "behind"); /* defined further down */
	ck_assert(!s->scatter);

	ck_assert_uint_eq(d->n_inputs, 2);
	const struct scene_input *in = &d->inputs[0];
	ck_assert_str_eq(in->name, "harp");
	ck_assert(in->has_gain && in->has_mute && in->has_azimuth && in->has_elevation &&
		  in->has_distance && in->has_room);
	ck_assert_feq(in->gain_db, -6.0f);
	ck_assert(in->mute);
	ck_assert_feq(in->azimuth, 30.0f);
	ck_assert_feq(in->elevation, -10.0f);
	ck_assert_feq(in->distance, 1.5f);
	ck_assert_feq(in->room_db, -14.0f);
	in = &d->inputs[1];
	ck_assert_str_eq(in->name, "bowl");
	ck_assert(in->has_mute && !in->mute);
	ck_assert(in->has_room && in->room_db == CONF_ROOM_OFF);
	ck_assert(!in->has_gain && !in->has_azimuth && !in->has_elevation && !in->has_distance);
	ck_assert_feq(in->azimuth, -90.0f); /* what it does not set is the configuration's */
	ck_assert_feq(in->distance, 2.0f);

	ck_assert(d->has_room);
	ck_assert_int_eq(d->room.line, 79);
	ck_assert_feq(d->room.decay, 2.5f);
	ck_assert_feq(d->room.size, 12.0f);
	ck_assert_feq(d->room.damping, 0.3f);
	ck_assert_feq(d->room.level, -9.0f);
	ck_assert_feq(d->room.predelay, 25.0f);

	ck_assert_uint_eq(d->n_binds, 2);
	ck_assert_str_eq(d->binds[0].control, "osc /1/push1");
	ck_assert_str_eq(d->binds[0].action, "trigger taps");
	ck_assert_str_eq(d->binds[1].control, "midi cc 80");
	ck_assert_str_eq(d->binds[1].action, "scene next");
	ck_assert_int_eq(d->binds[1].line, 76);

	scene_desc_free(d);
	ck_assert_ptr_null(d->sounds[0].files);
	ck_assert_uint_eq(d->sounds[0].n_files, 0);
	scene_desc_free(d); /* twice is harmless */
	free(d);
}
END_TEST

START_TEST(test_defaults)
{
	char dir[PATH_MAX];
	make_tmpdir(dir, sizeof dir);
	struct scene_desc *d =
		good(dir, "quiet-room.scene", "[sound a]\ngenerator = tap\nscatter = yes\n", test_conf());
	ck_assert_str_eq(d->name, "quiet-room"); /* the file name */
	ck_assert_feq(d->fade, 2.0f);
	ck_assert_uint_eq(d->n_sources, 0);
	ck_assert_uint_eq(d->n_inputs, 0);
	ck_assert_uint_eq(d->n_binds, 0);
	/* no [room]: the room's defaults, with decay 0, no room */
	ck_assert(!d->has_room);
	ck_assert_int_eq(d->room.line, 0);
	ck_assert_feq(d->room.decay, 0.0f);
	ck_assert_feq(d->room.size, 8.0f);
	ck_assert_feq(d->room.damping, 0.5f);
	ck_assert_feq(d->room.level, -6.0f);
	ck_assert_feq(d->room.predelay, 10.0f);
	const struct sound_desc *s = &d->sounds[0];
	struct gen_params def;
	gen_defaults(&def, GEN_TAP);
	ck_assert_int_eq(s->gen.kind, GEN_TAP);
	ck_assert_uint_eq(s->gen.variants, def.variants);
	ck_assert_feq(s->gen.length, def.length);
	ck_assert_feq(s->gen.brightness, def.brightness);
	ck_assert_feq(s->gen.size, def.size);
	ck_assert_uint_eq(s->gen.seed, def.seed);
	ck_assert_int_eq(s->note_lo, -1);
	ck_assert_int_eq(s->note_hi, -1);
	ck_assert_int_eq(s->mode, SOUND_ONESHOT);
	ck_assert_feq(s->gain_db, 0.0f);
	ck_assert_feq(s->velocity, 1.0f);
	ck_assert_int_eq(s->select, SOUND_ROUNDROBIN);
	ck_assert_feq(s->random_gain_db, 0.0f);
	ck_assert_feq(s->random_pitch_cents, 0.0f);
	ck_assert_feq(s->attack, 0.0f);
	ck_assert_feq(s->release, 0.05f);
	ck_assert_str_eq(s->choke, "");
	ck_assert_int_eq(s->polyphony, 8);
	free_desc(d);

	/* A [source] with no keys: in front, 1 m away. A file not called
	 * .scene keeps its whole name. */
	d = good(dir, "other", "[source s]\n[sound a]\ngenerator = shush\nsource = s\n", NULL);
	ck_assert_str_eq(d->name, "other");
	ck_assert_feq(d->sources[0].azimuth, 0.0f);
	ck_assert_feq(d->sources[0].elevation, 0.0f);
	ck_assert_feq(d->sources[0].distance, 1.0f);
	free_desc(d);

	/* Range ends, words in any case, a [scene] that comes back. */
	d = good(dir, "ends.scene",
		 "[scene]\nfade = 0\n[sound a]\ngenerator = breath\nscatter = on\nmode = LOOP\nselect = Random\n"
		 "gain = -120\nvelocity = 0\nrandom_gain = 24\nrandom_pitch = 1200\nattack = 10\n"
		 "release = 0.001\npolyphony = 256\nvariants = 32\nseed = 4294967295\nlength = 30\n"
		 "[scene]\nname = Ends and \"words\"\n",
		 NULL);
	ck_assert_str_eq(d->name, "Ends and \"words\"");
	ck_assert_feq(d->fade, 0.0f);
	s = &d->sounds[0];
	ck_assert_int_eq(s->mode, SOUND_LOOP);
	ck_assert_int_eq(s->select, SOUND_RANDOM);
	ck_assert_feq(s->gain_db, -120.0f);
	ck_assert_int_eq(s->polyphony, 256);
	ck_assert_uint_eq(s->gen.variants, 32);
	ck_assert_uint_eq(s->gen.seed, 4294967295u);
	ck_assert_feq(s->gen.length, 30.0f);
	free_desc(d);
	remove_tree(dir);
}
END_TEST

START_TEST(test_note_names)
{
	static const struct {
		const char *text;
		int lo, hi;
	} cases[] = {
		{ "60", 60, 60 }, { "0", 0, 0 }, { "127", 127, 127 }, { "C4", 60, 60 },
		{ "c4", 60, 60 }, { "C-1", 0, 0 }, { "G9", 127, 127 }, { "C#4", 61, 61 },
		{ "Db4", 61, 61 }, { "A4", 69, 69 }, { "Bb3", 58, 58 }, { "B#3", 60, 60 },
		{ "Cb4", 59, 59 }, { "F#-1", 6, 6 }, { "60-64", 60, 64 }, { "60 - 64", 60, 64 },
		{ "C4-E4", 60, 64 }, { "C-1-C0", 0, 12 }, { "36-C3", 36, 48 }, { "E2 - 40", 40, 40 },
	};
	char dir[PATH_MAX];
	make_tmpdir(dir, sizeof dir);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char text[256];
		snprintf(text, sizeof text, "[sound a]\ngenerator = tap\nscatter = yes\nnote = %s\n",
			 cases[i].text);
		struct scene_desc *d = good(dir, "n.scene", text, NULL);
		ck_assert_msg(d->sounds[0].note_lo == cases[i].lo && d->sounds[0].note_hi == cases[i].hi,
			      "note = %s gave %d-%d, expected %d-%d", cases[i].text, d->sounds[0].note_lo,
			      d->sounds[0].note_hi, cases[i].lo, cases[i].hi);
		free_desc(d);
	}
	/* Sounds may share notes. */
	struct scene_desc *d = good(dir, "n.scene",
				    "[sound a]\ngenerator = tap\nscatter = yes\nnote = 60-62\n"
				    "[sound b]\ngenerator = brush\nscatter = yes\nnote = 61\n",
				    NULL);
	ck_assert_int_eq(d->sounds[1].note_lo, 61);
	free_desc(d);
	remove_tree(dir);
}
END_TEST

/* Every parameter name of generator.h is a key, taken by exactly the
 * generators that use it. */
START_TEST(test_generator_parameters)
{
	char dir[PATH_MAX];
	make_tmpdir(dir, sizeof dir);
	for (int k = GEN_TAP; k <= GEN_BREATH; k++)
		for (int p = 0; p < GEN_P_COUNT; p++) {
			char text[256], err[PATH_MAX + 512];
			snprintf(text, sizeof text, "[sound a]\ngenerator = %s\nscatter = yes\n%s = 0.5\n",
				 gen_kind_name((enum gen_kind)k), gen_param_name((enum gen_param)p));
			if (gen_param_applies((enum gen_kind)k, (enum gen_param)p)) {
				struct scene_desc *d = good(dir, "g.scene", text, NULL);
				free_desc(d);
				continue;
			}
			bad(dir, "g.scene", text, NULL, err, sizeof err);
			char want[128];
			snprintf(want, sizeof want, ":4: [sound a] %s: generator %s does not take %s (",
				 gen_param_name((enum gen_param)p), gen_kind_name((enum gen_kind)k),
				 gen_param_name((enum gen_param)p));
			ck_assert_msg(strstr(err, want), "got '%s', expected '...%s'", err, want);
		}
	remove_tree(dir);
}
END_TEST

/* Without a configuration, the scene's own [input] sections are the live
 * inputs a sound may sound from. */
START_TEST(test_no_conf)
{
	char dir[PATH_MAX], err[PATH_MAX + 512];
	make_tmpdir(dir, sizeof dir);
	struct scene_desc *d = good(dir, "a.scene",
				    "[sound a]\ngenerator = tap\nsource = voice\n[input voice]\ngain = -3\n",
				    NULL);
	ck_assert_str_eq(d->sounds[0].source, "voice");
	ck_assert(d->inputs[0].has_gain);
	ck_assert_feq(d->inputs[0].distance, 1.0f);
	free_desc(d);

	bad(dir, "a.scene", "[sound a]\ngenerator = tap\nsource = harp\n", NULL, err, sizeof err);
	ck_assert_msg(strstr(err, ":3: [sound a] source: no [source] or live input named 'harp'"), "%s", err);
	bad(dir, "a.scene", "[input v]\n[source v]\n", NULL, err, sizeof err);
	ck_assert_msg(strstr(err, ":2: [source v]: an [input] of this scene has this name"), "%s", err);
	remove_tree(dir);
}
END_TEST

/* Scenes travel between rigs: an [input] the configuration lacks is a
 * warning, and the scene loads; its bindings are read as written. */
START_TEST(test_foreign_input_and_binds)
{
	char dir[PATH_MAX];
	make_tmpdir(dir, sizeof dir);
	struct scene_desc *d = good(dir, "a.scene",
				    "[source s]\n[sound tap]\ngenerator = tap\nsource = s\n"
				    "[input drum]\ngain = -3\n"
				    "[bind]\nosc /1/push1 = trigger tap\n"
				    "osc /1/fader1 = input harp gain -40 0\n"
				    "midi cc 64 = hold\n"
				    "midi cc 80 channel 2 = scene next on=release\n"
				    "midi pc = scene\n"
				    "osc /1/xy1 = source s xy\n"
				    /* the drum travels with the scene: said, unused */
				    "osc /1/fader2 = input drum gain -40 0\n",
				    test_conf());
	ck_assert_uint_eq(d->n_binds, 7);
	const struct conf_bind *b = d->binds;
	ck_assert_int_eq(b[0].way, BIND_OSC);
	ck_assert_str_eq(b[0].osc, "/1/push1");
	ck_assert_int_eq(b[0].kind, BIND_TRIGGER);
	ck_assert_str_eq(b[0].command, "/trigger/tap");
	ck_assert_int_eq(b[0].on, BIND_ON_BOTH);
	ck_assert_int_eq(b[1].kind, BIND_VALUE);
	ck_assert_str_eq(b[1].command, "/input/harp/gain");
	ck_assert_feq(b[1].min, -40.0f);
	ck_assert_feq(b[1].max, 0.0f);
	ck_assert_int_eq(b[2].way, BIND_CC);
	ck_assert_int_eq(b[2].number, 64);
	ck_assert_int_eq(b[2].channel, -1);
	ck_assert_int_eq(b[2].kind, BIND_HOLD);
	ck_assert_int_eq(b[3].channel, 1);
	ck_assert_int_eq(b[3].kind, BIND_SCENE_STEP);
	ck_assert_str_eq(b[3].command, "/scene/next");
	ck_assert_int_eq(b[3].on, BIND_ON_RELEASE);
	ck_assert_int_eq(b[4].way, BIND_PC);
	ck_assert_int_eq(b[4].kind, BIND_SCENE_INDEX);
	ck_assert_int_eq(b[5].kind, BIND_XY);
	ck_assert_str_eq(b[5].command, "/source/s/xy");
	free_desc(d);
	remove_tree(dir);
}
END_TEST

/* [room] and the room sends of sources and inputs. */
START_TEST(test_room)
{
	char dir[PATH_MAX];
	char err[512];
	make_tmpdir(dir, sizeof dir);
	/* Range ends, a [room] with some keys (the others their defaults),
	 * before the sections that send to it. */
	struct scene_desc *d = good(dir, "r.scene",
				    "[room]\ndecay = 20\nsize = 1\n"
				    "[source near]\nroom = 12\n"
				    "[source far]\nroom = -120\n"
				    "[source dry]\nroom = OFF\n"
				    "[source plain]\n"
				    "[sound a]\ngenerator = tap\nsource = near\n",
				    test_conf());
	ck_assert(d->has_room);
	ck_assert_int_eq(d->room.line, 1);
	ck_assert_feq(d->room.decay, 20.0f);
	ck_assert_feq(d->room.size, 1.0f);
	ck_assert_feq(d->room.damping, 0.5f);
	ck_assert_feq(d->room.level, -6.0f);
	ck_assert_feq(d->room.predelay, 10.0f);
	ck_assert_uint_eq(d->n_sources, 4);
	ck_assert_feq(d->sources[0].room_db, 12.0f);
	ck_assert_feq(d->sources[1].room_db, -120.0f);
	ck_assert(d->sources[2].room_db == CONF_ROOM_OFF);
	ck_assert(isinf(d->sources[3].room_db) && d->sources[3].room_db < 0.0f);
	free_desc(d);

	/* The other ends; decay = 0 is a room that is off. */
	d = good(dir, "r.scene",
		 "[sound a]\ngenerator = tap\nscatter = yes\n"
		 "[room]\ndecay = 0\nsize = 50\ndamping = 0\nlevel = -60\npredelay = 0\n",
		 NULL);
	ck_assert(d->has_room);
	ck_assert_int_eq(d->room.line, 4);
	ck_assert_feq(d->room.decay, 0.0f);
	ck_assert_feq(d->room.size, 50.0f);
	ck_assert_feq(d->room.damping, 0.0f);
	ck_assert_feq(d->room.level, -60.0f);
	ck_assert_feq(d->room.predelay, 0.0f);
	free_desc(d);
	d = good(dir, "r.scene",
		 "[room]\ndamping = 1\nlevel = 12\npredelay = 200\n[sound a]\ngenerator = tap\nscatter = yes\n",
		 NULL);
	ck_assert_feq(d->room.damping, 1.0f);
	ck_assert_feq(d->room.level, 12.0f);
	ck_assert_feq(d->room.predelay, 200.0f);
	ck_assert_feq(d->room.decay, 0.0f);
	free_desc(d);

	/* An empty [room] is the defaults. */
	d = good(dir, "r.scene", "[room]\n[sound a]\ngenerator = tap\nscatter = yes\n", NULL);
	ck_assert(d->has_room);
	ck_assert_feq(d->room.decay, 0.0f);
	ck_assert_feq(d->room.size, 8.0f);
	free_desc(d);

	/* A scene's [input] overrides the configuration's room send as it
	 * does its gain: set here, or the configuration's (off unless it
	 * says otherwise). */
	static struct tingle_conf c;
	ck_assert_msg(conf_parse_string("[input harp]\nroom = -12\n[input bowl]\n[input voice]\nroom = -20\n",
					"room.conf", &c, err, sizeof err) == 0, "%s", err);
	d = good(dir, "r.scene",
		 "[room]\ndecay = 1.5\n"
		 "[input harp]\ngain = -3\n"
		 "[input bowl]\nroom = -6\n"
		 "[input voice]\nroom = off\n"
		 "[sound a]\ngenerator = tap\nsource = harp\n",
		 &c);
	ck_assert_uint_eq(d->n_inputs, 3);
	ck_assert(!d->inputs[0].has_room);
	ck_assert_feq(d->inputs[0].room_db, -12.0f);
	ck_assert(d->inputs[1].has_room);
	ck_assert_feq(d->inputs[1].room_db, -6.0f);
	ck_assert(d->inputs[2].has_room);
	ck_assert(d->inputs[2].room_db == CONF_ROOM_OFF);
	free_desc(d);
	/* Without a configuration: off unless set. */
	d = good(dir, "r.scene", "[input v]\n[input w]\nroom = -1\n[sound a]\ngenerator = tap\nsource = v\n",
		 NULL);
	ck_assert(!d->inputs[0].has_room);
	ck_assert(d->inputs[0].room_db == CONF_ROOM_OFF);
	ck_assert_feq(d->inputs[1].room_db, -1.0f);
	free_desc(d);

	/* Sends in a scene without a [room] do nothing: a warning, not an
	 * error. */
	d = good(dir, "r.scene",
		 "[source s]\nroom = -6\n[input harp]\nroom = -3\n[sound a]\ngenerator = tap\nsource = s\n",
		 test_conf());
	ck_assert(!d->has_room);
	ck_assert_feq(d->sources[0].room_db, -6.0f);
	ck_assert_feq(d->inputs[0].room_db, -3.0f);
	free_desc(d);

	/* motion on a [source] and a scene's [input]. */
	d = good(dir, "m.scene",
		 "[source s]\nmotion = orbit -30\n[input harp]\nmotion = sweep left 10 0.3 4\n"
		 "[sound a]\ngenerator = tap\nsource = s\n",
		 test_conf());
	ck_assert_int_eq(d->sources[0].motion.kind, MOTION_ORBIT);
	ck_assert_feq(d->sources[0].motion.rate, -30.0f);
	ck_assert(d->inputs[0].has_motion);
	ck_assert_int_eq(d->inputs[0].motion.kind, MOTION_SWEEP);
	ck_assert_feq(d->inputs[0].motion.to[0], 90.0f);
	ck_assert_feq(d->inputs[0].motion.seconds, 4.0f);
	free_desc(d);
	bad(dir, "r.scene", "[source s]\nroom = -6\nmotion = wobble 10\n", NULL, err, sizeof err);
	ck_assert_msg(strstr(err, ":3: [source s] motion: 'wobble 10': unknown motion (expected orbit DEG_PER_S"), "%s",
		      err);
	remove_tree(dir);
}
END_TEST

/* A stage with 256 live inputs in the configuration (its text made
 * here), and a scene that sets every one of them and plays a sound from
 * each. */
START_TEST(test_many_inputs)
{
	enum { N = 256 };
	char dir[PATH_MAX], err[1024];
	static struct tingle_conf c;
	static char text[N * 200 + 256];
	make_tmpdir(dir, sizeof dir);

	size_t n = (size_t)snprintf(text, sizeof text, "[engine]\nsources = %d\n", N + 64);
	for (int i = 0; i < N; i++)
		n += (size_t)snprintf(text + n, sizeof text - n, "[input mic%03d]\nport = system:capture_%d\n"
				      "azimuth = %d\nroom = -%d\n", i, i + 1, i - 128, 10 + i % 20);
	ck_assert_uint_lt(n, sizeof text - 1);
	ck_assert_msg(conf_parse_string(text, "stage.conf", &c, err, sizeof err) == 0, "%s", err);
	ck_assert_uint_eq(c.n_inputs, N);

	n = (size_t)snprintf(text, sizeof text, "[room]\ndecay = 1.2\n");
	for (int i = 0; i < N; i++) {
		n += (size_t)snprintf(text + n, sizeof text - n, "[input mic%03d]\ngain = -%d\n", i, i % 30);
		if (i % 2)
			n += (size_t)snprintf(text + n, sizeof text - n, "room = %s\n", i % 4 == 1 ? "off" : "-2");
	}
	/* 64 sounds, the most a scene has, on inputs across the stage; the
	 * last one names the last input. */
	for (int i = 0; i < SCENE_MAX_SOUNDS; i++)
		n += (size_t)snprintf(text + n, sizeof text - n, "[sound s%d]\ngenerator = tap\nsource = mic%03d\n",
				      i, i == SCENE_MAX_SOUNDS - 1 ? N - 1 : i * 4);
	n += (size_t)snprintf(text + n, sizeof text - n, "[bind]\nosc /fader = input mic%03d gain\n", N - 1);
	ck_assert_uint_lt(n, sizeof text - 1);

	struct scene_desc *d = good(dir, "stage.scene", text, &c);
	ck_assert_uint_eq(d->n_inputs, N);
	ck_assert_uint_eq(d->n_sounds, SCENE_MAX_SOUNDS);
	for (int i = 0; i < N; i++) {
		const struct scene_input *in = &d->inputs[i];
		char name[16];
		snprintf(name, sizeof name, "mic%03d", i);
		ck_assert_str_eq(in->name, name);
		ck_assert(in->has_gain && !in->has_azimuth);
		ck_assert_feq(in->gain_db, (float)-(i % 30));
		ck_assert_feq(in->azimuth, (float)(i - 128)); /* the configuration's */
		ck_assert(in->has_room == (i % 2 == 1));
		if (i % 2 == 0)
			ck_assert_feq(in->room_db, (float)-(10 + i % 20)); /* the configuration's */
		else if (i % 4 == 1)
			ck_assert(in->room_db == CONF_ROOM_OFF);
		else
			ck_assert_feq(in->room_db, -2.0f);
	}
	ck_assert_str_eq(d->sounds[SCENE_MAX_SOUNDS - 1].source, "mic255");
	free_desc(d);

	/* An input beyond the configuration's is still refused as a source. */
	bad(dir, "stage.scene", "[sound a]\ngenerator = tap\nsource = mic256\n", &c, err, sizeof err);
	ck_assert_msg(strstr(err, ":3: [sound a] source: no [source] or live input named 'mic256' (expected "
				  "mic000, mic001, "), "%s", err);
	remove_tree(dir);
}
END_TEST

/* As many [source] and [input] sections as a scene may have. */
START_TEST(test_scene_limits)
{
	char dir[PATH_MAX], err[1024];
	static char text[(SCENE_MAX_SOURCES + SCENE_MAX_INPUTS) * 24 + 256];
	make_tmpdir(dir, sizeof dir);
	ck_assert_int_ge(SCENE_MAX_INPUTS, 1024);
	ck_assert_int_ge(SCENE_MAX_SOURCES, 1024);
	size_t n = 0;
	for (int i = 0; i < SCENE_MAX_SOURCES; i++)
		n += (size_t)snprintf(text + n, sizeof text - n, "[source s%d]\n", i);
	for (int i = 0; i < SCENE_MAX_INPUTS; i++)
		n += (size_t)snprintf(text + n, sizeof text - n, "[input i%d]\n", i);
	n += (size_t)snprintf(text + n, sizeof text - n, "[sound a]\ngenerator = tap\nsource = i%d\n",
			      SCENE_MAX_INPUTS - 1);
	struct scene_desc *d = good(dir, "many.scene", text, NULL);
	ck_assert_uint_eq(d->n_sources, SCENE_MAX_SOURCES);
	ck_assert_uint_eq(d->n_inputs, SCENE_MAX_INPUTS);
	free_desc(d);

	char want[128];
	snprintf(text + n, sizeof text - n, "[source one_more]\n");
	bad(dir, "many.scene", text, NULL, err, sizeof err);
	snprintf(want, sizeof want, ":%d: [source one_more]: too many sources (expected at most %d)",
		 SCENE_MAX_SOURCES + SCENE_MAX_INPUTS + 4, SCENE_MAX_SOURCES);
	ck_assert_msg(strstr(err, want), "%s", err);
	snprintf(text + n, sizeof text - n, "[input one_more]\n");
	bad(dir, "many.scene", text, NULL, err, sizeof err);
	snprintf(want, sizeof want, ":%d: [input one_more]: too many inputs (expected at most %d)",
		 SCENE_MAX_SOURCES + SCENE_MAX_INPUTS + 4, SCENE_MAX_INPUTS);
	ck_assert_msg(strstr(err, want), "%s", err);
	remove_tree(dir);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Errors */

#define SOUND "[sound a]\ngenerator = tap\nscatter = yes\n"

/* 12 x "samples/tap1.wav " = 204 characters: longer than inih takes. */
#define LONG_LIST4 "samples/tap1.wav samples/tap1.wav samples/tap1.wav samples/tap1.wav "
#define LONG_LIST LONG_LIST4 LONG_LIST4 LONG_LIST4

static const struct {
	const char *text;
	int line;            /* expected in "FILE:LINE: " */
	const char *message; /* and this after it */
} errors[] = {
	/* unknown keys and sections */
	{ SOUND "pich = 3\n", 4,
	  "[sound a] pich: unknown key (expected samples, generator, length, brightness, size, speed, roughness, density, variants, seed, note, mode, gain, velocity, select, random_gain, random_pitch, attack, release, choke, polyphony, source, scatter, loudness, velocity_brightness)" },
	{ "[scene]\nname = x\ntempo = 3\n", 3, "[scene] tempo: unknown key (expected name, fade)" },
	/* loudness sets the level, as gain does: one of them */
	{ SOUND "gain = -6\nloudness = -30\n", 5,
	  "[sound a] loudness: loudness sets the sound's level by its measured loudness; gain sets it directly: one of them (gain is set on line 4)" },
	{ SOUND "loudness = 3\n", 4, "[sound a] loudness: " },
	{ SOUND "velocity_brightness = -5\n", 4, "[sound a] velocity_brightness: " },
	{ "[input harp]\npan = 3\n", 2,
	  "[input harp] pan: unknown key (expected gain, mute, azimuth, elevation, distance, room, motion)" },
	{ "[source s]\npan = 3\n", 2,
	  "[source s] pan: unknown key (expected azimuth, elevation, distance, motion, room)" },
	{ "[room]\ndecay = 1\nreverb = 3\n", 3,
	  "[room] reverb: unknown key (expected decay, size, damping, level, predelay)" },
	{ "[scene]\n[sounds]\n", 2,
	  "[sounds]: unknown section (expected scene, sound NAME, source NAME, input NAME, room or bind)" },
	{ "[rooms]\n", 1, "[rooms]: unknown section" },
	{ "[Room]\n", 1, "[Room]: unknown section" },
	{ "[Scene]\n", 1, "[Scene]: unknown section" },
	{ "fade = 3\n", 1, "fade: key outside any section" },
	{ "[source s]\nazimuth = 10\nmotion = orbit 5000\n", 3,
	  "[source s] motion: 'orbit 5000': 5000 is out of range" },
	{ "[input harp]\nmotion = sweep 0 0 1\n", 2, "[input harp] motion: 'sweep 0 0 1': sweep takes four values" },
	/* [room]: one, without a name */
	{ "[room]\ndecay = 2\n[sound a]\ngenerator = tap\nscatter = yes\n\n[room]\nsize = 3\n", 7,
	  "[room]: duplicate room (first defined on line 1; a scene has one room)" },
	{ "[scene]\n[room]\n[room]\n", 3, "[room]: duplicate room (first defined on line 2" },
	{ "[room hall]\ndecay = 2\n", 1, "[room hall]: a room has no name (expected [room])" },
	{ "[room]\ndecay = 2\nsize = 3\ndecay = 3\n", 4, "[room] decay: set twice (first on line 2)" },
	/* [room] values */
	{ "[room]\ndecay = 21\n", 2, "[room] decay: out of range (got '21', expected a number 0..20)" },
	{ "[room]\ndecay = -0.5\n", 2, "[room] decay: out of range (got '-0.5', expected a number 0..20)" },
	{ "[room]\ndecay = long\n", 2, "[room] decay: not a number (got 'long', expected a number 0..20)" },
	{ "[room]\ndecay = off\n", 2, "[room] decay: not a number (got 'off'" },
	{ "[room]\nsize = 0.5\n", 2, "[room] size: out of range (got '0.5', expected a number 1..50)" },
	{ "[room]\nsize = 51\n", 2, "[room] size: out of range (got '51', expected a number 1..50)" },
	{ "[room]\nsize = 8m\n", 2, "[room] size: not a number (got '8m', expected a number 1..50)" },
	{ "[room]\ndamping = 1.1\n", 2, "[room] damping: out of range (got '1.1', expected a number 0..1)" },
	{ "[room]\ndamping = -0.1\n", 2, "[room] damping: out of range (got '-0.1', expected a number 0..1)" },
	{ "[room]\nlevel = -61\n", 2, "[room] level: out of range (got '-61', expected a number -60..12)" },
	{ "[room]\nlevel = 13\n", 2, "[room] level: out of range (got '13', expected a number -60..12)" },
	{ "[room]\nlevel = off\n", 2, "[room] level: not a number (got 'off', expected a number -60..12)" },
	{ "[room]\npredelay = 201\n", 2, "[room] predelay: out of range (got '201', expected a number 0..200)" },
	{ "[room]\npredelay = -1\n", 2, "[room] predelay: out of range (got '-1', expected a number 0..200)" },
	{ "[room]\npredelay = 10ms\n", 2, "[room] predelay: not a number (got '10ms', expected a number 0..200)" },
	/* room sends */
	{ "[source s]\nroom = 13\n", 2,
	  "[source s] room: out of range (got '13', expected a number -120..12 (dB) or off)" },
	{ "[source s]\nroom = -121\n", 2,
	  "[source s] room: out of range (got '-121', expected a number -120..12 (dB) or off)" },
	{ "[source s]\nroom = wet\n", 2,
	  "[source s] room: not a number (got 'wet', expected a number -120..12 (dB) or off)" },
	{ "[source s]\nroom = no\n", 2, "[source s] room: not a number (got 'no'" },
	{ "[source s]\nroom =\n", 2, "[source s] room: not a number (got ''" },
	{ "[source s]\nroom = off\nroom = -3\n", 3, "[source s] room: set twice (first on line 2)" },
	{ "[input harp]\nroom = 12.5\n", 2,
	  "[input harp] room: out of range (got '12.5', expected a number -120..12 (dB) or off)" },
	{ "[input harp]\nroom = -200\n", 2, "[input harp] room: out of range (got '-200'" },
	{ "[input bowl]\nroom = none\n", 2,
	  "[input bowl] room: not a number (got 'none', expected a number -120..12 (dB) or off)" },
	{ "[input drum]\nroom = 20\n", 2, "[input drum] room: out of range" },
	/* values */
	{ SOUND "mode = toggle\n", 4,
	  "[sound a] mode: unknown mode (got 'toggle', expected oneshot, hold or loop)" },
	{ SOUND "select = shuffle\n", 4, "[sound a] select: unknown selection (got 'shuffle'" },
	{ SOUND "note = 128\n", 4, "[sound a] note: out of range (got '128', expected a MIDI note 0..127" },
	{ SOUND "note = C10\n", 4, "[sound a] note: out of range (got 'C10'" },
	{ SOUND "note = G#9\n", 4, "[sound a] note: out of range (got 'G#9'" },
	{ SOUND "note = Cb-1\n", 4, "[sound a] note: out of range (got 'Cb-1'" },
	{ SOUND "note = -1\n", 4, "[sound a] note: out of range (got '-1'" },
	{ SOUND "note = 60-128\n", 4, "[sound a] note: out of range (got '60-128'" },
	{ SOUND "note = H4\n", 4, "[sound a] note: not a note (got 'H4'" },
	{ SOUND "note = C\n", 4, "[sound a] note: not a note (got 'C'" },
	{ SOUND "note = 60.5\n", 4, "[sound a] note: not a note (got '60.5'" },
	{ SOUND "note = 60-\n", 4, "[sound a] note: not a note (got '60-'" },
	{ SOUND "note =\n", 4, "[sound a] note: not a note (got ''" },
	{ SOUND "note = 64-60\n", 4, "[sound a] note: the range goes down (got '64-60'" },
	{ SOUND "gain = 30\n", 4, "[sound a] gain: out of range (got '30', expected a number -120..24)" },
	{ SOUND "velocity = 1.5\n", 4, "[sound a] velocity: out of range (got '1.5', expected a number 0..1)" },
	{ SOUND "release = 0\n", 4, "[sound a] release: out of range (got '0', expected a number 0.001..30)" },
	{ SOUND "polyphony = 0\n", 4, "[sound a] polyphony: out of range (got '0', expected a whole number 1..256)" },
	{ SOUND "random_pitch = 1201\n", 4, "[sound a] random_pitch: out of range" },
	{ SOUND "choke = two words\n", 4, "[sound a] choke: not a group name (got 'two words'" },
	{ SOUND "variants = 33\n", 4, "[sound a] variants: out of range (got '33', expected a whole number 1..32)" },
	{ SOUND "seed = -1\n", 4, "[sound a] seed: out of range (got '-1', expected a whole number 0..4294967295)" },
	{ SOUND "length = 0\n", 4, "[sound a] length: out of range (got '0', expected a number 0.01..30)" },
	{ SOUND "size = 2\n", 4, "[sound a] size: out of range (got '2', expected a number 0..1)" },
	{ "[sound a]\ngenerator = rain\nscatter = yes\n", 2,
	  "[sound a] generator: unknown generator (got 'rain', expected tap, scrape, brush, crinkle, shush or breath)" },
	{ "[scene]\nfade = 61\n", 2, "[scene] fade: out of range (got '61', expected a number 0..60)" },
	{ "[scene]\nname =\n", 2, "[scene] name: empty" },
	{ "[source s]\ndistance = 0\n", 2, "[source s] distance: out of range (got '0', expected a number 0.1..100)" },
	{ "[source s]\nelevation = 91\n", 2, "[source s] elevation: out of range (got '91'" },
	{ "[source s]\nazimuth = up\n", 2, "[source s] azimuth: not an azimuth (got 'up'" },
	{ "[input harp]\nmute = perhaps\n", 2, "[input harp] mute: not yes or no (got 'perhaps'" },
	{ "[input harp]\ngain = 25\n", 2, "[input harp] gain: out of range" },
	/* generators */
	{ "[sound a]\nroughness = 0.5\nsource = harp\ngenerator = shush\n", 2,
	  "[sound a] roughness: generator shush does not take roughness (expected " },
	{ "[sound a]\nsamples = samples/tap1.wav\nscatter = yes\nlength = 1\n", 4,
	  "[sound a] length: a generator's parameter, but the sound has no generator" },
	{ "[sound a]\nsamples = samples/tap1.wav\nscatter = yes\nvariants = 3\n", 4,
	  "[sound a] variants: a generator's parameter, but the sound has no generator" },
	/* samples or generator */
	{ "[sound a]\nsamples = samples/tap1.wav\nscatter = yes\ngenerator = tap\n", 4,
	  "[sound a] generator: a sound has samples or a generator, not both (samples is set on line 2)" },
	{ "[sound a]\ngenerator = tap\nsamples = samples/tap1.wav\nscatter = yes\n", 3,
	  "[sound a] samples: a sound has samples or a generator, not both (generator is set on line 2)" },
	{ "[scene]\n\n[sound a]\nscatter = yes\nnote = 60\n", 3,
	  "[sound a]: no samples or generator (expected samples = FILES or generator = KIND)" },
	{ "[sound a]\nsamples =\nscatter = yes\n", 2, "[sound a] samples: no files" },
	/* sample files */
	{ "[sound a]\nscatter = yes\nsamples = samples/tap1.wav samples/tap9.wav\n", 3,
	  "[sound a] samples: no file matches 'samples/tap9.wav'" },
	{ "[sound a]\nscatter = yes\nsamples = samples/*.flac\n", 3,
	  "[sound a] samples: no file matches 'samples/*.flac'" },
	{ "[sound a]\nscatter = yes\nsamples = samples/tap1.wav\n   samples/x*\n", 4,
	  "[sound a] samples: no file matches 'samples/x*'" },
	{ "[sound a]\nscatter = yes\nsamples = samples\n", 3, "[sound a] samples: no file matches 'samples'" },
	{ "[sound a]\nscatter = yes\nsamples = /nonexistent/tingle/*.wav\n", 3,
	  "[sound a] samples: no file matches '/nonexistent/tingle/*.wav'" },
	/* over-long lines are reported as such, on their line, and not as
	 * what goes missing with them ("no samples or generator") */
	{ "[sound a]\nscatter = yes\nsamples = " LONG_LIST "\n", 3,
	  "line too long (got 214 characters, expected at most " },
	{ "[sound a]\nscatter = yes\nsamples = samples/tap1.wav\n  " LONG_LIST "\n", 4, "line too long" },
	{ "[sound a]\nscatter = yes\ngenerator = tap " LONG_LIST "\n", 3, "line too long" },
	{ "[scene]\nname = " LONG_LIST "\n[sound a]\nscatter = yes\n", 2, "line too long" },
	{ "[bind]\nosc /a = trigger " LONG_LIST "\n", 2, "line too long" },
	{ "[sound a]\n" LONG_LIST " = 1\nscatter = yes\ngenerator = tap\n", 2, "line too long" },
	/* where a sound sounds */
	{ "[sound a]\ngenerator = tap\nsource = nowhere\n", 3,
	  "[sound a] source: no [source] or live input named 'nowhere' (expected harp or bowl)" },
	{ "[source s]\n[sound a]\ngenerator = tap\nsource = nowhere\n", 4,
	  "[sound a] source: no [source] or live input named 'nowhere' (expected s, harp or bowl)" },
	{ SOUND "source = ../x\n", 4, "[sound a] source: not a source name (got '../x'" },
	{ "[sound a]\ngenerator = tap\n", 1, "[sound a]: nowhere to sound (expected source = NAME or scatter = yes)" },
	{ "[sound a]\ngenerator = tap\nscatter = no\n", 1, "[sound a]: nowhere to sound" },
	{ SOUND "source = harp\n", 4,
	  "[sound a] source: a sound has source = NAME or scatter = yes, not both (scatter is set on line 3)" },
	/* names */
	{ SOUND "\n[sound a]\ngenerator = brush\n", 5, "[sound a]: duplicate sound (first defined on line 1)" },
	{ "[source s]\n[source s]\n", 2, "[source s]: duplicate source (first defined on line 1)" },
	{ "[input harp]\n[input harp]\n", 2, "[input harp]: duplicate input (first defined on line 1)" },
	{ "[sound ../x]\n", 1, "[sound ../x]: invalid sound name (got '../x', expected 1..63 letters, digits, '_' or '-')" },
	{ "[sound]\n", 1, "[sound]: no sound name (expected [sound NAME])" },
	{ "[source two words]\n", 1, "[source two words]: invalid source name" },
	{ "[input drum]\ngain = 300\n", 2, "[input drum] gain: out of range" },
	{ "[source harp]\n", 1, "[source harp]: a live input of the configuration has this name" },
	/* [bind] */
	{ "[bind]\npedal = scene next\n", 2, "[bind] pedal: not a control (got 'pedal'" },
	{ "[bind]\nosc /x =\n", 2, "[bind] osc /x: no action" },
	{ "[bind]\nmidi cc 80 = scne next\n", 2, "[bind] midi cc 80: unknown action 'scne' (expected trigger SOUND" },
	{ SOUND "[bind]\nosc /1/push1 = trigger thunder\n", 5, "[bind] osc /1/push1: no sound named 'thunder' in this scene" },
	{ "[bind]\nosc /1/f = input harp gain -40 40\n", 2,
	  "[bind] osc /1/f: 'input harp gain -40 40': range -40 40 out of bounds (expected two different values within -120..24)" },
	{ "[bind]\nosc /1/f = input harp gain -40\n", 2, "[bind] osc /1/f: 'input harp gain -40': expected a range MIN MAX" },
	{ "[source s]\n[bind]\nmidi cc 1 = source s xy\n", 3, "[bind] midi cc 1: 'source s xy': xy needs an OSC XY pad" },
	{ "[bind]\nmidi cc 64 = hold on=sometimes\n", 2, "[bind] midi cc 64: 'hold on=sometimes': on=sometimes (expected on=press" },
	{ "[bind]\nosc /x = source nowhere gain\n", 2, "[bind] osc /x: no [source] or live input named 'nowhere'" },
	{ "[bind]\nosc /x = input drum gain\n", 2, "[bind] osc /x: no live input named 'drum'" },
	{ "[bind]\nosc /x = source harp loudness\n", 2, "[bind] osc /x: 'source harp loudness': unknown parameter 'loudness'" },
	{ "[bind]\nmidi cc 200 = panic\n", 2, "[bind] midi cc 200: 'midi cc 200': controller number missing or out of range" },
	{ "[bind]\nmidi cc 1 channel 17 = panic\n", 2, "[bind] midi cc 1 channel 17: 'midi cc 1 channel 17': expected nothing more or 'channel C' with C 1..16" },
	{ "[bind]\nmidi note 60 = scene\n", 2, "[bind] midi note 60: 'scene': a note cannot choose a scene by number" },
	{ "[bind]\nosc /a/*/b = panic\n", 2, "[bind] osc /a/*/b: 'osc /a/*/b' is not an OSC control" },
	{ "[bind]\nosc /f = master gain 0 0\n", 2, "[bind] osc /f: 'master gain 0 0': range 0 0 out of bounds" },
	{ "[bind]\nosc /f = master gain on=toggle\n", 2, "[bind] osc /f: 'master gain on=toggle': on= is for switches" },
	/* structure */
	{ SOUND "note = 60\nnote = 61\n", 5, "[sound a] note: set twice (first on line 4)" },
	{ "[scene]\nfade = 1\n[scene]\nfade = 2\n", 4, "[scene] fade: set twice (first on line 2)" },
	{ SOUND "  note = 60\n", 4, "[sound a] scatter: indented line read as more of the value of scatter" },
	{ "[scene\n", 1, "syntax error" },
	/* the first error is the one reported */
	{ "[sound a]\nroughness = 2\ngenerator = tap\nscatter = yes\npich = 3\n", 2,
	  "[sound a] roughness: out of range" },
	{ "[sound a]\nsize = 0.5\nscatter = yes\ngenerator = shush\npich = 3\n", 2,
	  "[sound a] size: generator shush does not take size" },
	{ "[sound a]\nscatter = yes\n[sound b]\ngenerator = tap\nscatter = yes\n[room]\n", 1,
	  "[sound a]: no samples or generator" },
};

START_TEST(test_error_line)
{
	static char dir[PATH_MAX];
	char err[PATH_MAX + 1024] = "", prefix[PATH_MAX + 64], path[PATH_MAX + 64];
	make_tmpdir(dir, sizeof dir);
	join(path, sizeof path, dir, "samples");
	ck_assert_int_eq(mkdir(path, 0700), 0);
	join(path, sizeof path, dir, "samples/tap1.wav");
	write_wav(path, 1);

	bad(dir, "bad.scene", errors[_i].text, test_conf(), err, sizeof err);
	int n = snprintf(prefix, sizeof prefix, "%s/bad.scene:%d: ", dir, errors[_i].line);
	ck_assert_msg(!strncmp(err, prefix, (size_t)n), "case %d: expected '%s...', got '%s'", _i, prefix,
		      err);
	ck_assert_msg(!strncmp(err + n, errors[_i].message, strlen(errors[_i].message)),
		      "case %d: expected '%s%s...', got '%s'", _i, prefix, errors[_i].message, err);
	remove_tree(dir);
}
END_TEST

START_TEST(test_unreadable)
{
	char dir[PATH_MAX], path[PATH_MAX + 32], err[PATH_MAX + 256], want[PATH_MAX + 256];
	make_tmpdir(dir, sizeof dir);
	struct scene_desc *d = new_desc();
	join(path, sizeof path, dir, "missing.scene");
	ck_assert_int_eq(scene_parse(path, NULL, d, err, sizeof err), -1);
	snprintf(want, sizeof want, "%s: %s", path, strerror(ENOENT));
	ck_assert_str_eq(err, want);

	ck_assert_int_eq(scene_parse(dir, NULL, d, err, sizeof err), -1);
	snprintf(want, sizeof want, "%s: %s", dir, strerror(EISDIR));
	ck_assert_str_eq(err, want);

	/* A small buffer is cut short, never overrun. */
	char small[12];
	join(path, sizeof path, dir, "x.scene");
	write_file(path, "[x]\n");
	ck_assert_int_eq(scene_parse(path, NULL, d, small, sizeof small), -1);
	ck_assert_uint_eq(strlen(small), sizeof small - 1);
	ck_assert_int_eq(scene_parse(path, NULL, d, NULL, 0), -1);
	free_desc(d);
	remove_tree(dir);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Files */

START_TEST(test_globs)
{
	char top[PATH_MAX], dir[PATH_MAX], path[PATH_MAX + 64], err[PATH_MAX + 512];
	make_tmpdir(top, sizeof top);
	/* A folder whose name glob would read as a pattern. */
	join(dir, sizeof dir, top, "show [1]*");
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	join(path, sizeof path, dir, "snd");
	ck_assert_int_eq(mkdir(path, 0700), 0);
	static const char *const names[] = { "snd/x2.wav", "snd/x10.wav", "snd/x1.wav", "snd/with space.wav",
					     "snd/stereo.wav" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		join(path, sizeof path, dir, names[i]);
		write_wav(path, strstr(names[i], "stereo") ? 2 : 1);
	}
	join(path, sizeof path, dir, "snd/notes.txt");
	write_file(path, "not a sound\n");
	join(path, sizeof path, dir, "snd/folder.wav"); /* a folder is no file */
	ck_assert_int_eq(mkdir(path, 0700), 0);

	/* Relative to the scene's folder, not the current one. */
	ck_assert_int_eq(chdir("/"), 0);
	struct scene_desc *d =
		good(dir, "s.scene",
		     "[sound a]\nscatter = yes\nsamples = snd/x*.wav ./snd/x1.wav snd//x2.wav\n"
		     "[sound b]\nscatter = yes\nsamples = snd/with\\ space.wav snd/stereo.wav\n",
		     NULL);
	const struct sound_desc *s = &d->sounds[0];
	ck_assert_uint_eq(s->n_files, 3); /* sorted, each once, absolute, clean */
	char want[PATH_MAX + 64];
	join(want, sizeof want, dir, "snd/x1.wav");
	ck_assert_str_eq(s->files[0], want);
	join(want, sizeof want, dir, "snd/x10.wav");
	ck_assert_str_eq(s->files[1], want);
	join(want, sizeof want, dir, "snd/x2.wav");
	ck_assert_str_eq(s->files[2], want);
	s = &d->sounds[1];
	ck_assert_uint_eq(s->n_files, 2);
	join(want, sizeof want, dir, "snd/stereo.wav");
	ck_assert_str_eq(s->files[0], want);
	join(want, sizeof want, dir, "snd/with space.wav");
	ck_assert_str_eq(s->files[1], want);
	free_desc(d);

	/* A scene named relative to the current directory. */
	ck_assert_int_eq(chdir(top), 0);
	d = new_desc();
	int rc = scene_parse("show [1]*/s.scene", NULL, d, err, sizeof err);
	ck_assert_msg(rc == 0, "%s", err);
	ck_assert_str_eq(d->path, "show [1]*/s.scene");
	join(want, sizeof want, dir, "snd/x1.wav");
	ck_assert_str_eq(d->sounds[0].files[0], want);
	free_desc(d);

	/* Absolute patterns are taken as they are; a folder matched by a
	 * pattern is skipped, and a pattern that matches only folders matches
	 * nothing. */
	char plain[PATH_MAX + 16], text[PATH_MAX * 2];
	join(plain, sizeof plain, top, "plain");
	ck_assert_int_eq(mkdir(plain, 0700), 0);
	join(path, sizeof path, plain, "p.wav");
	write_wav(path, 1);
	snprintf(text, sizeof text, "[sound a]\nscatter = yes\nsamples = %s/*.wav\n", plain);
	d = good(dir, "s.scene", text, NULL);
	ck_assert_str_eq(d->sounds[0].files[0], path);
	free_desc(d);
	d = good(dir, "s.scene", "[sound a]\nscatter = yes\nsamples = snd/*.wav\n", NULL);
	ck_assert_uint_eq(d->sounds[0].n_files, 5); /* not folder.wav */
	free_desc(d);
	bad(dir, "s.scene", "[sound a]\nscatter = yes\nsamples = snd/folder*\n", NULL, err, sizeof err);
	ck_assert_msg(strstr(err, ":3: [sound a] samples: no file matches 'snd/folder*' (paths are relative to "),
		      "%s", err);

	ck_assert_int_eq(chdir("/"), 0);
	remove_tree(top);
}
END_TEST

START_TEST(test_too_many_files)
{
	char dir[PATH_MAX], path[PATH_MAX + 64], err[PATH_MAX + 512];
	make_tmpdir(dir, sizeof dir);
	for (int i = 0; i < SCENE_MAX_FILES; i++) {
		char name[32];
		snprintf(name, sizeof name, "m%03d.wav", i);
		join(path, sizeof path, dir, name);
		write_wav(path, 1);
	}
	struct scene_desc *d = good(dir, "m.scene", "[sound a]\nscatter = yes\nsamples = m*.wav\n", NULL);
	ck_assert_uint_eq(d->sounds[0].n_files, SCENE_MAX_FILES);
	free_desc(d);

	join(path, sizeof path, dir, "one-more.wav");
	write_wav(path, 1);
	bad(dir, "m.scene", "[sound a]\nscatter = yes\nsamples = m*.wav\n  one-more.wav\n", NULL, err,
	    sizeof err);
	char want[64];
	snprintf(want, sizeof want, ":4: [sound a] samples: too many files (expected at most %d)",
		 SCENE_MAX_FILES);
	ck_assert_msg(strstr(err, want), "%s", err);
	remove_tree(dir);
}
END_TEST

START_TEST(test_home)
{
	char dir[PATH_MAX], path[PATH_MAX + 64];
	make_tmpdir(dir, sizeof dir);
	join(path, sizeof path, dir, "h.wav");
	write_wav(path, 1);
	setenv("HOME", dir, 1);
	struct scene_desc *d = good(dir, "h.scene", "[sound a]\nscatter = yes\nsamples = ~/h*.wav\n", NULL);
	ck_assert_str_eq(d->sounds[0].files[0], path);
	free_desc(d);
	remove_tree(dir);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Resolve */

START_TEST(test_resolve)
{
	char dir[PATH_MAX], file[PATH_MAX + 32], path[PATH_MAX], err[PATH_MAX + 256], want[PATH_MAX + 256];
	make_tmpdir(dir, sizeof dir);
	join(file, sizeof file, dir, "rain.scene");
	write_file(file, "[scene]\n");

	/* NAME is NAME.scene in the folder. */
	ck_assert(scene_resolve("rain", dir, path, sizeof path, err, sizeof err));
	ck_assert_str_eq(path, file);
	ck_assert_str_eq(err, "");
	char slash[PATH_MAX + 2];
	snprintf(slash, sizeof slash, "%s/", dir);
	ck_assert(scene_resolve("rain", slash, path, sizeof path, err, sizeof err));
	ck_assert_str_eq(path, file);

	ck_assert(!scene_resolve("snow", dir, path, sizeof path, err, sizeof err));
	snprintf(want, sizeof want, "no scene 'snow' (looked for %s/snow.scene: %s)", dir, strerror(ENOENT));
	ck_assert_str_eq(err, want);
	ck_assert_str_eq(path, "");

	/* Never outside the folder. */
	static const char *const refused[] = { "../etc/passwd", "/etc/passwd", "..", ".", "a b", "rain!",
					       "rain.scene.bak", ".scene", "x/.scene" };
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
		err[0] = '\0';
		ck_assert_msg(!scene_resolve(refused[i], dir, path, sizeof path, err, sizeof err),
			      "'%s' accepted as %s", refused[i], path);
		snprintf(want, sizeof want, "scene '%s': ", refused[i]);
		ck_assert_msg(!strncmp(err, want, strlen(want)), "'%s': %s", refused[i], err);
	}
	ck_assert(!scene_resolve("", dir, path, sizeof path, err, sizeof err));
	ck_assert_str_eq(err, "no scene name");
	ck_assert(!scene_resolve(NULL, dir, path, sizeof path, err, sizeof err));

	/* A file is taken as it is. */
	ck_assert(scene_resolve(file, "", path, sizeof path, err, sizeof err));
	ck_assert_str_eq(path, file);
	ck_assert_int_eq(chdir(dir), 0);
	ck_assert(scene_resolve("rain.scene", "/nonexistent", path, sizeof path, err, sizeof err));
	ck_assert_str_eq(path, "rain.scene");
	ck_assert(scene_resolve("./rain.scene", NULL, path, sizeof path, err, sizeof err));
	ck_assert_str_eq(path, "./rain.scene");
	ck_assert(!scene_resolve("fog.scene", NULL, path, sizeof path, err, sizeof err));
	snprintf(want, sizeof want, "fog.scene: %s", strerror(ENOENT));
	ck_assert_str_eq(err, want);
	ck_assert_int_eq(mkdir("dir.scene", 0700), 0);
	ck_assert(!scene_resolve("dir.scene", NULL, path, sizeof path, err, sizeof err));
	snprintf(want, sizeof want, "dir.scene: %s", strerror(EISDIR));
	ck_assert_str_eq(err, want);

	/* Without a folder: the bundled scenes. */
	ck_assert(!scene_resolve("no-such-scene", "", path, sizeof path, err, sizeof err));
	ck_assert_msg(strstr(err, "(looked for " PKGDATADIR "/scenes/no-such-scene.scene: "), "%s", err);

	/* Too small a buffer. */
	char tiny[8];
	ck_assert(!scene_resolve("rain", dir, tiny, sizeof tiny, err, sizeof err));
	ck_assert_str_eq(tiny, "");

	ck_assert_int_eq(chdir("/"), 0);
	remove_tree(dir);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Files that are not files */

/* A FIFO with no writer blocks whoever opens it for reading: as a scene,
 * as a sample, it hung --check and reloads forever. */
START_TEST(test_fifo_scene)
{
	char dir[PATH_MAX], path[PATH_MAX + 64], err[PATH_MAX + 512], want[PATH_MAX + 512];
	make_tmpdir(dir, sizeof dir);
	struct scene_desc *d = new_desc();

	join(path, sizeof path, dir, "pipe.scene");
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	ck_assert_int_eq(scene_parse(path, NULL, d, err, sizeof err), -1);
	snprintf(want, sizeof want, "%s: not a regular file (got a FIFO, expected a scene file)", path);
	ck_assert_str_eq(err, want);
	ck_assert_int_eq(scene_parse("/dev/zero", NULL, d, err, sizeof err), -1);
	ck_assert_str_eq(err, "/dev/zero: not a regular file (got a character device, expected a scene file)");

	/* Asked for by file or by name. */
	char found[PATH_MAX];
	ck_assert(!scene_resolve(path, NULL, found, sizeof found, err, sizeof err));
	ck_assert_str_eq(err, want);
	ck_assert(!scene_resolve("pipe", dir, found, sizeof found, err, sizeof err));
	snprintf(want, sizeof want, "no scene 'pipe' (looked for %s: not a regular file, got a FIFO)", path);
	ck_assert_str_eq(err, want);

	/* A FIFO named as a sample. */
	join(path, sizeof path, dir, "tap.wav");
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	bad(dir, "s.scene", "[sound a]\nscatter = yes\nsamples = tap.wav\n", NULL, err, sizeof err);
	snprintf(want, sizeof want,
		 "%s/s.scene:3: [sound a] samples: not a regular file (got a FIFO matching 'tap.wav', expected a sound file)",
		 dir);
	ck_assert_str_eq(err, want);
	free_desc(d);
	remove_tree(dir);
}
END_TEST

/* A sound file with these properties; frames of a 1 kHz sine at half
 * scale (or silence), written a block at a time. */
static void write_sound(const char *path, int format, int rate, int channels, long frames, bool sine)
{
	SF_INFO info = { .samplerate = rate, .channels = channels, .format = format };
	SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
	ck_assert_msg(sf != NULL, "%s: %s", path, sf_strerror(NULL));
	static float buf[4096 * 4];
	ck_assert_int_le(channels, 4);
	for (long done = 0; done < frames;) {
		long n = frames - done < 4096 ? frames - done : 4096;
		for (long i = 0; i < n; i++)
			for (int c = 0; c < channels; c++)
				buf[i * channels + c] =
					sine ? 0.5f * sinf(2.0f * (float)M_PI * 1000.0f * (float)(done + i) / (float)rate)
					     : 0.0f;
		ck_assert_int_eq(sf_writef_float(sf, buf, n), n);
		done += n;
	}
	ck_assert_int_eq(sf_close(sf), 0);
}

START_TEST(test_audio_not_files)
{
	char dir[PATH_MAX], path[PATH_MAX + 64], err[PATH_MAX + 256], want[PATH_MAX + 256];
	float *data = NULL;
	size_t frames = 0;
	make_tmpdir(dir, sizeof dir);
	/* The scene found a file there, the loader finds a FIFO: refused at
	 * once, not waited on. */
	join(path, sizeof path, dir, "tap.wav");
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	ck_assert_int_eq(audiofile_read_mono(path, 48000, &data, &frames, err, sizeof err), -1);
	snprintf(want, sizeof want, "%s: not a regular file (got a FIFO, expected a sound file)", path);
	ck_assert_str_eq(err, want);
	ck_assert_int_eq(audiofile_read_mono("/dev/zero", 48000, &data, &frames, err, sizeof err), -1);
	ck_assert_str_eq(err, "/dev/zero: not a regular file (got a character device, expected a sound file)");
	ck_assert_int_eq(audiofile_read_mono(dir, 48000, &data, &frames, err, sizeof err), -1);
	snprintf(want, sizeof want, "%s: not a regular file (got a directory, expected a sound file)", dir);
	ck_assert_str_eq(err, want);
	ck_assert_ptr_null(data);
	remove_tree(dir);
}
END_TEST

/* A 4 MB WAV whose header says 200 Hz took 84 s and 1.9 GB to resample
 * to 48 kHz. Absurd rates are refused from the header, before decoding. */
START_TEST(test_audio_rates)
{
	char dir[PATH_MAX], path[PATH_MAX + 64], err[PATH_MAX + 256], want[PATH_MAX + 256];
	float *data = NULL;
	size_t frames = 0;
	make_tmpdir(dir, sizeof dir);
	join(path, sizeof path, dir, "slow.wav");
	write_sound(path, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 200, 1, 2000000, false);
	ck_assert_int_eq(audiofile_read_mono(path, 48000, &data, &frames, err, sizeof err), -1);
	snprintf(want, sizeof want, "%s: sample rate 200 Hz is out of range (expected 8000..384000 Hz)", path);
	ck_assert_str_eq(err, want);

	static const struct {
		int rate;
		bool ok;
	} rates[] = { { 7999, false }, { 8000, true }, { 44100, true }, { 384000, true }, { 384001, false } };
	for (size_t i = 0; i < sizeof rates / sizeof rates[0]; i++) {
		join(path, sizeof path, dir, "r.wav");
		write_sound(path, SF_FORMAT_WAV | SF_FORMAT_PCM_16, rates[i].rate, 1, rates[i].rate / 10, true);
		data = NULL;
		int rc = audiofile_read_mono(path, 48000, &data, &frames, err, sizeof err);
		if (!rates[i].ok) {
			ck_assert_msg(rc == -1, "%d Hz taken", rates[i].rate);
			snprintf(want, sizeof want, "%s: sample rate %d Hz is out of range (expected 8000..384000 Hz)",
				 path, rates[i].rate);
			ck_assert_str_eq(err, want);
			continue;
		}
		ck_assert_msg(rc == 0, "%d Hz: %s", rates[i].rate, err);
		/* 0.1 s at 48 kHz, the sine's level kept */
		ck_assert_msg(frames >= 4790 && frames <= 4810, "%d Hz: %zu frames", rates[i].rate, frames);
		double sum = 0.0;
		for (size_t k = 500; k < frames - 500; k++)
			sum += (double)data[k] * data[k];
		ck_assert_double_eq_tol(sqrt(sum / (double)(frames - 1000)), 0.5 / sqrt(2.0), 0.01);
		free(data);
	}
	remove_tree(dir);
}
END_TEST

/* How long a sample may last is known from the header: more than 600 s
 * is refused before anything is decoded or allocated. */
START_TEST(test_audio_length)
{
	char dir[PATH_MAX], path[PATH_MAX + 64], err[PATH_MAX + 256], want[PATH_MAX + 256];
	float *data = NULL;
	size_t frames = 0;
	make_tmpdir(dir, sizeof dir);
	join(path, sizeof path, dir, "long.wav");
	write_sound(path, SF_FORMAT_WAV | SF_FORMAT_PCM_U8, 8000, 1, 601L * 8000, false);
	ck_assert_int_eq(audiofile_read_mono(path, 8000, &data, &frames, err, sizeof err), -1);
	snprintf(want, sizeof want,
		 "%s: 601 s long (4808000 frames at 8000 Hz), more than the 600 s a sample may last", path);
	ck_assert_str_eq(err, want);

	/* 600 s is still a sample. */
	write_sound(path, SF_FORMAT_WAV | SF_FORMAT_PCM_U8, 8000, 1, 600L * 8000, false);
	ck_assert_msg(audiofile_read_mono(path, 8000, &data, &frames, err, sizeof err) == 0, "%s", err);
	ck_assert_uint_eq(frames, 600 * 8000);
	free(data);
	remove_tree(dir);
}
END_TEST

/* Channels are averaged, decoded a block at a time, and a rate change
 * keeps the length. */
START_TEST(test_audio_channels)
{
	char dir[PATH_MAX], path[PATH_MAX + 64], err[PATH_MAX + 256];
	float *data = NULL;
	size_t frames = 0;
	make_tmpdir(dir, sizeof dir);
	join(path, sizeof path, dir, "quad.wav");
	SF_INFO info = { .samplerate = 48000, .channels = 4, .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT };
	SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
	ck_assert_ptr_nonnull(sf);
	static float buf[10000 * 4];
	for (int i = 0; i < 10000; i++) {
		buf[i * 4 + 0] = 0.1f;
		buf[i * 4 + 1] = 0.2f;
		buf[i * 4 + 2] = 0.3f;
		buf[i * 4 + 3] = (float)i / 10000.0f;
	}
	ck_assert_int_eq(sf_writef_float(sf, buf, 10000), 10000);
	ck_assert_int_eq(sf_close(sf), 0);
	ck_assert_msg(audiofile_read_mono(path, 48000, &data, &frames, err, sizeof err) == 0, "%s", err);
	ck_assert_uint_eq(frames, 10000);
	for (size_t i = 0; i < frames; i++)
		ck_assert_float_eq_tol(data[i], (0.6f + (float)i / 10000.0f) / 4.0f, 1e-6f);
	free(data);

	/* 3 s at 44.1 kHz, 2 channels: 3 s at 48 kHz. */
	join(path, sizeof path, dir, "stereo.wav");
	write_sound(path, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 44100, 2, 3 * 44100, true);
	ck_assert_msg(audiofile_read_mono(path, 48000, &data, &frames, err, sizeof err) == 0, "%s", err);
	ck_assert_msg(frames >= 3 * 48000 - 2 && frames <= 3 * 48000 + 2, "%zu frames", frames);
	free(data);
	remove_tree(dir);
}
END_TEST

/* A [scenes] dir that is not there is an error naming the config file and
 * the line of dir; an empty one is a show without scenes. */
START_TEST(test_setlist_dir)
{
	char dir[PATH_MAX], path[PATH_MAX + 64], text[2 * PATH_MAX], err[3 * PATH_MAX], want[3 * PATH_MAX];
	static struct tingle_conf c;
	make_tmpdir(dir, sizeof dir);
	join(path, sizeof path, dir, "t.conf");

	write_file(path, "[engine]\nvoices = 8\n[scenes]\ndir = no-such-folder\n");
	ck_assert_int_eq(conf_load(path, &c, err, sizeof err), 0);
	ck_assert_ptr_null(setlist_new(&c, NULL, NULL, 48000, 0, err, sizeof err));
	snprintf(want, sizeof want,
		 "%s:4: [scenes] dir: does not exist (got '%s/no-such-folder', expected a directory of NAME.scene files)",
		 path, dir);
	ck_assert_str_eq(err, want);
	size_t n = 99;
	ck_assert_int_eq(setlist_check(&c, NULL, 48000, NULL, &n, err, sizeof err), -1);
	ck_assert_str_eq(err, want);

	/* With a setlist too. */
	write_file(path, "[scenes]\nsetlist = a b\ndir = no-such-folder\n");
	ck_assert_int_eq(conf_load(path, &c, err, sizeof err), 0);
	ck_assert_ptr_null(setlist_new(&c, NULL, NULL, 48000, 0, err, sizeof err));
	snprintf(want, sizeof want, "%s:3: [scenes] dir: does not exist", path);
	ck_assert_msg(!strncmp(err, want, strlen(want)), "%s", err);

	/* A file is no folder. */
	snprintf(text, sizeof text, "[scenes]\ndir = %s\n", path);
	write_file(path, text);
	ck_assert_int_eq(conf_load(path, &c, err, sizeof err), 0);
	ck_assert_ptr_null(setlist_new(&c, NULL, NULL, 48000, 0, err, sizeof err));
	snprintf(want, sizeof want,
		 "%s:2: [scenes] dir: not a directory (got '%s', expected a directory of NAME.scene files)", path,
		 path);
	ck_assert_str_eq(err, want);

	/* An empty folder: no scenes, no error. */
	join(text, sizeof text, dir, "empty");
	ck_assert_int_eq(mkdir(text, 0700), 0);
	write_file(path, "[scenes]\ndir = empty\n");
	ck_assert_int_eq(conf_load(path, &c, err, sizeof err), 0);
	struct setlist *sl = setlist_new(&c, NULL, NULL, 48000, 0, err, sizeof err);
	ck_assert_msg(sl != NULL, "%s", err);
	ck_assert_uint_eq(sl->n_names, 0);
	setlist_free(sl);
	ck_assert_int_eq(setlist_check(&c, NULL, 48000, NULL, &n, err, sizeof err), 0);
	ck_assert_uint_eq(n, 0);
	remove_tree(dir);
}
END_TEST

/* ---------------------------------------------------------------------- */

static Suite *scene_suite(void)
{
	Suite *s = suite_create("scene");

	TCase *tc = tcase_create("Parse");
	tcase_add_test(tc, test_full_scene);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_note_names);
	tcase_add_test(tc, test_generator_parameters);
	tcase_add_test(tc, test_no_conf);
	tcase_add_test(tc, test_foreign_input_and_binds);
	tcase_add_test(tc, test_room);
	tcase_add_test(tc, test_many_inputs);
	tcase_add_test(tc, test_scene_limits);
	suite_add_tcase(s, tc);

	tc = tcase_create("Errors");
	tcase_add_loop_test(tc, test_error_line, 0, (int)(sizeof errors / sizeof errors[0]));
	tcase_add_test(tc, test_unreadable);
	suite_add_tcase(s, tc);

	tc = tcase_create("Files");
	tcase_add_test(tc, test_globs);
	tcase_add_test(tc, test_too_many_files);
	tcase_add_test(tc, test_home);
	suite_add_tcase(s, tc);

	tc = tcase_create("Resolve");
	tcase_add_test(tc, test_resolve);
	suite_add_tcase(s, tc);

	/* Each of these used to hang or take minutes: the timeout matters. */
	tc = tcase_create("Not files");
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_fifo_scene);
	tcase_add_test(tc, test_audio_not_files);
	tcase_add_test(tc, test_audio_rates);
	tcase_add_test(tc, test_audio_length);
	tcase_add_test(tc, test_audio_channels);
	tcase_add_test(tc, test_setlist_dir);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(scene_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
