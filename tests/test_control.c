/* The command language: OSC addresses and event-file lines become the
 * right engine commands, and bad ones are refused with a clear reason. */
#include "config.h"

#include <check.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "config/conf.h"
#include "control/control.h"
#include "config/events.h"
#include "prep/scene_build.h"
#include "rt/engine_impl.h"
#include "rt/listener.h"

static struct engine *engine;
static struct control *ctl;
static struct engine_queue *q;
static struct tingle_conf conf;
static char err[512];

static void setup(void)
{
	struct engine_options eo = { .n_sources = 8 };
	engine = engine_new(&eo);
	ctl = control_new(engine);
	q = engine_queue_open(engine);
	conf_defaults(&conf);
	ck_assert_int_eq(conf_parse_string("[input harp]\nport = system:capture_1\nazimuth = 30\n"
					   "[input bowl]\nazimuth = right\ngain = -6\n",
					   "test.conf", &conf, err, sizeof err), 0);
	ck_assert_int_eq(control_apply_conf(ctl, q, &conf, NULL, err, sizeof err), 0);
	struct engine_cmd c;
	while (ring_pop(q->ring, &c))
		;
}

static void teardown(void)
{
	control_free(ctl);
	engine_free(engine);
}

static int run(const char *path, const char *types, ...)
{
	struct ctl_arg args[8];
	int n = 0;
	va_list ap;
	va_start(ap, types);
	for (; types[n]; n++) {
		args[n].type = types[n];
		if (types[n] == 'f')
			args[n].f = (float)va_arg(ap, double);
		else if (types[n] == 'i')
			args[n].i = va_arg(ap, int);
		else
			args[n].s = va_arg(ap, const char *);
	}
	va_end(ap);
	struct ctl_reply reply;
	err[0] = '\0';
	return control_dispatch(ctl, q, 0, path, args, n, &reply, err, sizeof err);
}

static struct engine_cmd pop(void)
{
	struct engine_cmd c = { 0 };
	ck_assert_msg(ring_pop(q->ring, &c), "no command queued");
	return c;
}

START_TEST(conf_inputs_become_sources)
{
	int harp = control_find_source(ctl, "harp"), bowl = control_find_source(ctl, "bowl");
	ck_assert_int_ge(harp, 0);
	ck_assert_int_ge(bowl, 0);
	ck_assert_int_ne(harp, bowl);
	ck_assert_float_eq(ctl->src[bowl].azimuth, -90.0f);
	ck_assert_float_eq(ctl->src[bowl].gain_db, -6.0f);
	/* A reload keeps slots by name, frees what is gone. */
	static struct tingle_conf c2; /* about 0.5 MB: not on the stack */
	conf_defaults(&c2);
	ck_assert_int_eq(conf_parse_string("[input voice]\n[input bowl]\n", "t2.conf", &c2, err, sizeof err), 0);
	int slots[2];
	ck_assert_int_eq(control_apply_conf(ctl, q, &c2, slots, err, sizeof err), 0);
	ck_assert_int_eq(slots[1], bowl);
	ck_assert_int_eq(control_find_source(ctl, "harp"), -1);
	ck_assert_int_eq(slots[0], harp); /* the freed slot is reused */
}
END_TEST

START_TEST(positions_and_gains)
{
	int harp = control_find_source(ctl, "harp");
	ck_assert_int_eq(run("/source/harp/position", "fff", -45.0, 10.0, 0.3), 0);
	struct engine_cmd c = pop();
	ck_assert_int_eq(c.type, ENGINE_CMD_SOURCE_PLACE);
	ck_assert_int_eq(c.target, harp);
	ck_assert_float_eq(c.f[0], -45.0f);
	ck_assert_float_eq(c.f[1], 10.0f);
	ck_assert_float_eq_tol(c.f[2], 0.3f, 1e-6f);
	/* TouchOSC sends floats, other senders ints: both are numbers. */
	ck_assert_int_eq(run("/source/harp/azimuth", "i", 270), 0);
	c = pop();
	ck_assert_int_eq(c.flags, ENGINE_PLACE_AZ);
	ck_assert_float_eq(c.f[0], -90.0f);
	ck_assert_int_eq(run("/input/bowl/gain", "f", -12.0), 0);
	c = pop();
	ck_assert_int_eq(c.type, ENGINE_CMD_SOURCE_GAIN);
	ck_assert_float_eq(c.f[0], -12.0f);
	ck_assert_int_eq(run("/input/bowl/mute", "i", 1), 0);
	c = pop();
	ck_assert_int_eq(c.type, ENGINE_CMD_SOURCE_MUTE);
	ck_assert_int_eq(c.i, 1);
	ck_assert_int_eq(run("/master/gain", "f", -3.0), 0);
	c = pop();
	ck_assert_int_eq(c.type, ENGINE_CMD_MASTER_GAIN);
	/* XY pad: right edge, middle row = 90 degrees to the right, 2 m. */
	ck_assert_int_eq(run("/source/harp/xy", "ff", 1.0, 0.5), 0);
	c = pop();
	ck_assert_float_eq_tol(c.f[0], -90.0f, 1e-3f);
	ck_assert_float_eq_tol(c.f[2], 2.0f, 1e-5f);
	/* The centre of the head is pushed out to the minimum distance. */
	ck_assert_int_eq(run("/source/harp/distance", "f", 0.0), 0);
	c = pop();
	ck_assert_float_eq(c.f[2], ENGINE_MIN_DISTANCE);
}
END_TEST

START_TEST(ping_replies_pong)
{
	struct ctl_reply reply;
	ck_assert_int_eq(control_dispatch(ctl, q, 0, "/ping", NULL, 0, &reply, err, sizeof err), 1);
	ck_assert_str_eq(reply.path, "/pong");
}
END_TEST

START_TEST(bad_commands_are_refused)
{
	ck_assert_int_eq(run("/nothing/here", ""), -1);
	ck_assert_ptr_nonnull(strstr(err, "unknown address /nothing/here"));
	ck_assert_int_eq(run("/input/cello/gain", "f", 0.0), -1);
	ck_assert_ptr_nonnull(strstr(err, "no input named 'cello'"));
	ck_assert_int_eq(run("/input/harp/gain", "s", "loud"), -1);
	ck_assert_ptr_nonnull(strstr(err, "expected one number (dB), got s"));
	ck_assert_int_eq(run("/input/harp/gain", ""), -1);
	ck_assert_ptr_nonnull(strstr(err, "got nothing"));
	ck_assert_int_eq(run("/input/harp/gain", "f", 99.0), -1);
	ck_assert_ptr_nonnull(strstr(err, "out of range"));
	ck_assert_int_eq(run("/source/harp/position", "ff", 1.0, 2.0), -1);
	ck_assert_int_eq(run("/source/harp/elevation", "f", 120.0), -1);
	ck_assert_int_eq(run("/input/harp/azimuth", "f", 10.0), -1); /* inputs: gain and mute only */
	ck_assert_int_eq(run("/ping", "i", 3), -1);
	struct engine_cmd c;
	ck_assert(!ring_pop(q->ring, &c)); /* nothing reached the engine */
}
END_TEST

START_TEST(full_queue_is_reported)
{
	int ok = 0, refused = 0;
	for (int i = 0; i < 5000; i++) {
		if (run("/master/gain", "f", -1.0) == 0)
			ok++;
		else
			refused++;
	}
	ck_assert_int_eq(ok, 1024);
	ck_assert_int_eq(refused, 5000 - 1024);
	ck_assert_ptr_nonnull(strstr(err, "queue full"));
}
END_TEST

START_TEST(triggers_and_scene_requests)
{
	/* No scene yet: a trigger is refused with a reason. */
	ck_assert_int_eq(run("/trigger", "s", "tap"), -1);
	ck_assert_ptr_nonnull(strstr(err, "no scene is playing"));

	static struct loaded_scene ls;
	static struct eng_scene eng;
	memset(&ls, 0, sizeof ls);
	ls.eng = &eng;
	str_copy(ls.desc.name, sizeof ls.desc.name, "test");
	str_copy(ls.desc.sounds[0].name, CONF_NAME_MAX, "tap");
	str_copy(ls.desc.sounds[1].name, CONF_NAME_MAX, "rain");
	ls.desc.n_sounds = 2;
	for (size_t i = 0; i < SCENE_MAX_SOURCES; i++)
		ls.source_slot[i] = -1;
	ck_assert_int_eq(control_set_scene(ctl, q, &ls, err, sizeof err), 0);
	struct engine_cmd c;
	bool scene_sent = false;
	while (ring_pop(q->ring, &c))
		scene_sent |= c.type == ENGINE_CMD_SCENE && c.ptr == &eng;
	ck_assert(scene_sent);

	ck_assert_int_eq(run("/trigger", "s", "rain"), 0);
	c = pop();
	ck_assert_int_eq(c.type, ENGINE_CMD_TRIGGER);
	ck_assert_int_eq(c.i, 1);
	ck_assert_float_eq(c.f[0], 1.0f);
	ck_assert(c.ptr == &eng);
	ck_assert_int_eq(run("/trigger", "si", "tap", 64), 0);  /* MIDI-style velocity */
	c = pop();
	ck_assert_float_eq_tol(c.f[0], 64.0f / 127.0f, 1e-6f);
	ck_assert_int_eq(run("/trigger", "sf", "tap", 0.0), 0); /* a button let go */
	c = pop();
	ck_assert_int_eq(c.type, ENGINE_CMD_RELEASE);
	ck_assert_int_eq(run("/release", "s", "rain"), 0);
	c = pop();
	ck_assert_int_eq(c.type, ENGINE_CMD_RELEASE);
	ck_assert_int_eq(c.i, 1);
	ck_assert_int_eq(run("/trigger", "s", "thunder"), -1);
	ck_assert_ptr_nonnull(strstr(err, "no sound named 'thunder' in scene test"));
	ck_assert_int_eq(run("/trigger", "sf", "tap", 1.5), -1);
	ck_assert_int_eq(run("/trigger", "f", 1.0), -1);

	/* /panic and /scene/next as tablet buttons: act on press, not release. */
	ck_assert_int_eq(run("/panic", "f", 1.0), 0);
	ck_assert_int_eq(pop().type, ENGINE_CMD_PANIC);
	ck_assert_int_eq(run("/panic", "f", 0.0), 0);
	ck_assert(!ring_pop(q->ring, &c));
	char name[CONF_NAME_MAX];
	int index, step;
	ck_assert_int_eq(run("/scene/next", "f", 0.0), 0);
	ck_assert(!control_take_scene_request(ctl, name, sizeof name, &index, &step));
	ck_assert_int_eq(run("/scene/next", "f", 1.0), 0);
	ck_assert(control_take_scene_request(ctl, name, sizeof name, &index, &step));
	ck_assert_int_eq(step, 1);
	/* Only the latest request counts. */
	ck_assert_int_eq(run("/scene/prev", ""), 0);
	ck_assert_int_eq(run("/scene", "i", 2), 0);
	ck_assert_int_eq(run("/scene", "s", "rain-room"), 0);
	ck_assert(control_take_scene_request(ctl, name, sizeof name, &index, &step));
	ck_assert_str_eq(name, "rain-room");
	ck_assert(!control_take_scene_request(ctl, name, sizeof name, &index, &step));
	ck_assert_int_eq(run("/scene", "s", "../../etc/passwd"), -1);
	ck_assert_ptr_nonnull(strstr(err, "not a scene name"));
	ck_assert(!control_take_scene_request(ctl, name, sizeof name, &index, &step));
	ck_assert_int_eq(run("/scene", "f", 1.5), -1);
	control_set_scene(ctl, q, NULL, err, sizeof err);
}
END_TEST

START_TEST(events_file_lines)
{
	struct event_list l;
	const char *text = "# a comment\n"
			   "1.5 /source/harp/position 30 0 1.5\n"
			   "0.25 /trigger tap 100i   # velocity as an int\n"
			   "\n"
			   "0.5 midi 90 3c 7f\n";
	ck_assert_int_eq(events_parse(text, "ev.txt", &l, err, sizeof err), 0);
	ck_assert_uint_eq(l.n, 3);
	ck_assert(l.ev[0].time == 0.25 && l.ev[0].line == 3);
	ck_assert_str_eq(l.ev[0].path, "/trigger");
	ck_assert_int_eq(l.ev[0].argc, 2);
	ck_assert_int_eq(l.ev[0].args[0].type, 's');
	ck_assert_str_eq(l.ev[0].args[0].s, "tap");
	ck_assert_int_eq(l.ev[0].args[1].type, 'i');
	ck_assert_int_eq(l.ev[0].args[1].i, 100);
	ck_assert_int_eq(l.ev[1].midi_size, 3);
	ck_assert_uint_eq(l.ev[1].midi[1], 0x3c);
	ck_assert_int_eq(l.ev[2].args[2].type, 'f');
	ck_assert_float_eq(l.ev[2].args[2].f, 1.5f);
	events_free(&l);

	ck_assert_int_eq(events_parse("0 /ping\nsoon /ping\n", "bad.txt", &l, err, sizeof err), -1);
	ck_assert_str_eq(err, "bad.txt:2: 'soon' is not a time in seconds");
	ck_assert_int_eq(events_parse("1 ping\n", "bad.txt", &l, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "bad.txt:1:"));
	ck_assert_int_eq(events_parse("\n\n1 midi zz 10\n", "bad.txt", &l, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "bad.txt:3: 'zz' is not a hex byte"));
	ck_assert_int_eq(events_parse("1 midi 10 10\n", "bad.txt", &l, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "status byte"));
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Bindings, MIDI and feedback */

static const char *bind_conf =
	"[input harp]\n"
	"[bind]\n"
	"osc /1/fader1 = input harp gain -40 0\n"
	"osc /1/toggle1 = input harp mute\n"
	"osc /1/xy1 = source harp xy\n"
	"osc /1/push1 = scene next\n"
	"midi cc 80 = scene next\n"
	"midi cc 81 = scene prev on=release\n"
	"midi pc = scene\n"
	"midi cc 64 = hold\n"
	"midi note 36 channel 10 = panic\n";

static void bind_setup(void)
{
	struct engine_options eo = { .n_sources = 8 };
	engine = engine_new(&eo);
	ctl = control_new(engine);
	q = engine_queue_open(engine);
	conf_defaults(&conf);
	ck_assert_msg(conf_parse_string(bind_conf, "bind.conf", &conf, err, sizeof err) == 0, "%s", err);
	ck_assert_int_eq(control_apply_conf(ctl, q, &conf, NULL, err, sizeof err), 0);
	struct engine_cmd c;
	while (ring_pop(q->ring, &c))
		;
}

/* The next command of a type, skipping others. */
static bool next_of(enum engine_cmd_type type, struct engine_cmd *out)
{
	struct engine_cmd c;
	while (ring_pop(q->ring, &c))
		if (c.type == type) {
			*out = c;
			return true;
		}
	return false;
}

static int scene_steps(void)
{
	char name[CONF_NAME_MAX];
	int index, step;
	if (!control_take_scene_request(ctl, name, sizeof name, &index, &step))
		return 0;
	return step ? step : 100 + index;
}

#define CC(n, v) (0xb0u | (uint32_t)(n) << 8 | (uint32_t)(v) << 16)

START_TEST(osc_fader_maps_onto_its_range)
{
	int harp = control_find_source(ctl, "harp");
	struct engine_cmd c;
	ck_assert_int_eq(run("/1/fader1", "f", 0.5), 0);
	ck_assert(next_of(ENGINE_CMD_SOURCE_GAIN, &c));
	ck_assert_int_eq(c.target, harp);
	ck_assert_float_eq_tol(c.f[0], -20.0f, 1e-4f);
	ck_assert_int_eq(run("/1/fader1", "f", 1.0), 0);
	ck_assert(next_of(ENGINE_CMD_SOURCE_GAIN, &c));
	ck_assert_float_eq_tol(c.f[0], 0.0f, 1e-4f);
	ck_assert_int_eq(run("/1/fader1", "i", 0), 0); /* an int is a number too */
	ck_assert(next_of(ENGINE_CMD_SOURCE_GAIN, &c));
	ck_assert_float_eq_tol(c.f[0], -40.0f, 1e-4f);
	ck_assert_int_eq(run("/1/toggle1", "f", 1.0), 0);
	ck_assert(next_of(ENGINE_CMD_SOURCE_MUTE, &c));
	ck_assert_int_eq(c.i, 1);
	ck_assert_int_eq(run("/1/xy1", "ff", 0.0, 0.5), 0); /* left edge */
	ck_assert(next_of(ENGINE_CMD_SOURCE_PLACE, &c));
	ck_assert_float_eq_tol(c.f[0], 90.0f, 1e-3f);
	/* A button: press acts, release does not. */
	ck_assert_int_eq(run("/1/push1", "f", 1.0), 0);
	ck_assert_int_eq(scene_steps(), 1);
	ck_assert_int_eq(run("/1/push1", "f", 0.0), 0);
	ck_assert_int_eq(scene_steps(), 0);
	ck_assert_int_eq(run("/1/fader1", "s", "loud"), -1);
	ck_assert_ptr_nonnull(strstr(err, "/1/fader1 (bound to input harp gain -40 0): expected numbers"));
}
END_TEST

START_TEST(pedal_presses_and_bounces)
{
	/* 127, 0, 127, 0 a tenth of a second apart: two presses. */
	int steps = 0;
	double t = 1.0;
	for (int k = 0; k < 4; k++, t += 0.1) {
		control_midi(ctl, q, CC(80, k % 2 ? 0 : 127), t);
		steps += scene_steps();
	}
	ck_assert_int_eq(steps, 2);
	/* A contact that bounces within 20 ms: one press. */
	t += 1.0;
	control_midi(ctl, q, CC(80, 127), t);
	control_midi(ctl, q, CC(80, 0), t + 0.005);
	control_midi(ctl, q, CC(80, 127), t + 0.010);
	control_midi(ctl, q, CC(80, 0), t + 0.015);
	control_midi(ctl, q, CC(80, 127), t + 0.020);
	ck_assert_int_eq(scene_steps(), 1);
	/* It settles down: still pressed; the release a moment later counts,
	 * and the next press too. */
	control_tick(ctl, q, t + 0.1);
	ck_assert_int_eq(scene_steps(), 0);
	control_midi(ctl, q, CC(80, 0), t + 0.5);
	control_midi(ctl, q, CC(80, 127), t + 0.6);
	ck_assert_int_eq(scene_steps(), 1);
	/* A tap shorter than the debounce: its release is carried out by the
	 * tick, so the next press is not lost. */
	t += 2.0;
	control_midi(ctl, q, CC(80, 0), t);
	control_midi(ctl, q, CC(80, 127), t + 0.2);
	control_midi(ctl, q, CC(80, 0), t + 0.22);
	ck_assert_int_eq(scene_steps(), 1);
	control_tick(ctl, q, t + 0.3);
	control_midi(ctl, q, CC(80, 127), t + 0.4);
	ck_assert_int_eq(scene_steps(), 1);
	/* on=release: the step comes when the pedal is let go. */
	control_midi(ctl, q, CC(81, 127), t + 1.0);
	ck_assert_int_eq(scene_steps(), 0);
	control_midi(ctl, q, CC(81, 0), t + 1.2);
	ck_assert_int_eq(scene_steps(), -1);
	/* Another channel's CC 80 is the same pedal (no channel given). */
	control_midi(ctl, q, CC(80, 0) | 0x3u, t + 1.9);
	control_midi(ctl, q, CC(80, 127) | 0x3u, t + 2.0);
	ck_assert_int_eq(scene_steps(), 1);
}
END_TEST

START_TEST(program_change_hold_and_notes)
{
	struct engine_cmd c;
	control_midi(ctl, q, 0xc0u | 2u << 8, 1.0);
	ck_assert_int_eq(scene_steps(), 102);
	control_midi(ctl, q, 0xc0u | 2u << 8, 1.01); /* the same at once: a repeat */
	ck_assert_int_eq(scene_steps(), 0);
	control_midi(ctl, q, 0xc0u | 0u << 8, 1.02);
	ck_assert_int_eq(scene_steps(), 100);
	control_midi(ctl, q, CC(64, 127), 2.0);
	ck_assert(next_of(ENGINE_CMD_SUSTAIN, &c));
	ck_assert_int_eq(c.i, 1);
	control_midi(ctl, q, CC(64, 0), 3.0);
	ck_assert(next_of(ENGINE_CMD_SUSTAIN, &c));
	ck_assert_int_eq(c.i, 0);
	/* Note 36 on channel 10 only. */
	control_midi(ctl, q, 0x90u | 36u << 8 | 100u << 16, 4.0);
	ck_assert(!next_of(ENGINE_CMD_PANIC, &c));
	control_midi(ctl, q, 0x99u | 36u << 8 | 100u << 16, 4.1);
	ck_assert(next_of(ENGINE_CMD_PANIC, &c));
}
END_TEST

START_TEST(notes_bound_are_forwarded)
{
	/* The engine is asked to report note 36, which a binding uses. */
	struct engine_options eo = { .n_sources = 8 };
	struct engine *e2 = engine_new(&eo);
	struct control *c2 = control_new(e2);
	struct engine_queue *q2 = engine_queue_open(e2);
	ck_assert_int_eq(control_apply_conf(c2, q2, &conf, NULL, err, sizeof err), 0);
	struct engine_cmd c;
	bool note36 = false;
	while (ring_pop(q2->ring, &c))
		if (c.type == ENGINE_CMD_MIDI_FORWARD) {
			ck_assert_int_eq(c.target, 36);
			note36 = c.i == 1;
		}
	ck_assert(note36);
	control_free(c2);
	engine_free(e2);
}
END_TEST

/* A sink that keeps what it is given, as "PATH ARGS" lines. */
static char said[64][160];
static int n_said;
static bool subscribed;

static void sink_send(void *ctx, const struct ctl_reply *m, const struct ctl_sender *to)
{
	(void)ctx;
	(void)to;
	if (n_said == 64)
		return;
	size_t len = (size_t)snprintf(said[n_said], sizeof said[0], "%s", m->path);
	for (int i = 0; i < m->argc && len < sizeof said[0]; i++) {
		const struct ctl_arg *a = &m->args[i];
		char *p = said[n_said] + len;
		size_t room = sizeof said[0] - len;
		if (a->type == 'f')
			len += (size_t)snprintf(p, room, " %.3f", (double)a->f);
		else if (a->type == 'i')
			len += (size_t)snprintf(p, room, " %d", a->i);
		else
			len += (size_t)snprintf(p, room, " %s", a->s);
	}
	n_said++;
}

static int sink_subscribe(void *ctx, const struct ctl_sender *from, int port, int32_t token,
			  struct ctl_sender *where, char *e, size_t n)
{
	(void)ctx;
	(void)port;
	(void)token;
	(void)e;
	(void)n;
	*where = *from;
	subscribed = true;
	return CTL_SUB_NEW;
}

static bool sink_listening(void *ctx)
{
	(void)ctx;
	return subscribed;
}

static bool was_said(const char *line)
{
	for (int i = 0; i < n_said; i++)
		if (!strcmp(said[i], line))
			return true;
	return false;
}

START_TEST(feedback_and_learn)
{
	struct ctl_sink sink = { .send = sink_send, .subscribe = sink_subscribe, .listening = sink_listening };
	control_set_sink(ctl, &sink);
	n_said = 0;
	subscribed = false;
	ck_assert_int_eq(run("/input/harp/gain", "f", -10.0), 0);
	ck_assert_int_eq(n_said, 0); /* nobody listens */
	struct ctl_sender from = { .len = 1 };
	struct ctl_reply reply;
	/* /state answers its sender in full, bound controls too, with
	 * nobody subscribed. */
	ck_assert_int_eq(control_dispatch_from(ctl, q, 0, "/state", NULL, 0, &from, &reply, err, sizeof err), 0);
	ck_assert(was_said("/input/harp/gain -10.000"));
	ck_assert(was_said("/1/fader1 0.750"));
	ck_assert(was_said("/scene/index -1"));
	n_said = 0;
	ck_assert_int_eq(control_dispatch_from(ctl, q, 0, "/subscribe", NULL, 0, &from, &reply, err, sizeof err), 0);
	/* The whole state, bound controls at their own addresses in their range. */
	ck_assert(was_said("/input/harp/gain -10.000"));
	ck_assert(was_said("/1/fader1 0.750"));
	ck_assert(was_said("/1/toggle1 0.000"));
	ck_assert(was_said("/scene/index -1"));
	ck_assert(was_said("/master/gain 0.000"));
	/* A change made one way shows on the control bound to it. */
	n_said = 0;
	ck_assert_int_eq(run("/input/harp/gain", "f", -20.0), 0);
	ck_assert(was_said("/1/fader1 0.500"));
	ck_assert(was_said("/input/harp/gain -20.000"));
	control_send_meters(ctl, 0.5f, 0.0f);
	ck_assert(was_said("/meter/out -6.021 -120.000"));
	/* A place shows on the XY pads too: 2 m to the right is the right
	 * edge's middle, 0.1 m in front near the centre. */
	n_said = 0;
	ck_assert_int_eq(run("/source/harp/position", "fff", -90.0, 0.0, 2.0), 0);
	ck_assert(was_said("/source/harp/position -90.000 0.000 2.000"));
	ck_assert(was_said("/source/harp/xy 1.000 0.500"));
	n_said = 0;
	ck_assert_int_eq(run("/source/harp/xy", "ff", 0.25, 0.9), 0);
	ck_assert(was_said("/source/harp/xy 0.250 0.900"));
	/* Where a motion has taken it, as the engine reports it: said, and
	 * the place it was set to stays what /state says. */
	n_said = 0;
	control_send_moving_place(ctl, control_find_source(ctl, "harp"), (const float[3]){ 90.0f, 0.0f, 2.0f });
	ck_assert(was_said("/source/harp/position 90.000 0.000 2.000"));
	ck_assert(was_said("/source/harp/xy 0.000 0.500"));
	n_said = 0;
	ck_assert_int_eq(control_dispatch_from(ctl, q, 0, "/state", NULL, 0, &from, &reply, err, sizeof err), 0);
	ck_assert(!was_said("/source/harp/position 90.000 0.000 2.000"));
	/* Without a sender these are refused. */
	ck_assert_int_eq(run("/state", ""), -1);
	ck_assert_ptr_nonnull(strstr(err, "only over OSC"));

	/* MIDI learn: the next control is bound, and the line is said. */
	ck_assert_int_eq(run("/learn", "s", "scene nowhere-at-all prev"), -1);
	ck_assert_ptr_nonnull(strstr(err, "/learn: 'scene nowhere-at-all prev'"));
	struct ctl_arg words[2] = { { .type = 's', .s = "scene" }, { .type = 's', .s = "prev" } };
	ck_assert_int_eq(control_dispatch_from(ctl, q, 0, "/learn", words, 2, &from, &reply, err, sizeof err), 0);
	n_said = 0;
	control_midi(ctl, q, CC(20, 127) | 0x2u, 10.0);
	ck_assert_int_eq(scene_steps(), 0); /* learning does not act */
	ck_assert(was_said("/learned midi cc 20 channel 3 = scene prev"));
	control_midi(ctl, q, CC(20, 0) | 0x2u, 10.5);
	control_midi(ctl, q, CC(20, 127) | 0x2u, 11.0);
	ck_assert_int_eq(scene_steps(), -1);
	control_midi(ctl, q, CC(20, 0) | 0x1u, 11.5); /* channel 2: not this binding */
	control_midi(ctl, q, CC(20, 127) | 0x1u, 12.0);
	ck_assert_int_eq(scene_steps(), 0);
	control_set_sink(ctl, NULL);
}
END_TEST

START_TEST(string_free_forms)
{
	static struct loaded_scene ls;
	static struct eng_scene eng;
	memset(&ls, 0, sizeof ls);
	ls.eng = &eng;
	str_copy(ls.desc.name, sizeof ls.desc.name, "test");
	str_copy(ls.desc.sounds[0].name, CONF_NAME_MAX, "tap");
	ls.desc.n_sounds = 1;
	ls.desc.fade = 3.0f;
	for (size_t i = 0; i < SCENE_MAX_SOURCES; i++)
		ls.source_slot[i] = -1;
	ck_assert_int_eq(control_set_scene(ctl, q, &ls, err, sizeof err), 0);
	/* The live input moves to the scene's values over its fade. */
	struct engine_cmd c;
	ck_assert(next_of(ENGINE_CMD_SOURCE_GAIN, &c));
	ck_assert_float_eq(c.f[1], 3.0f);
	while (ring_pop(q->ring, &c))
		;
	ck_assert_int_eq(run("/trigger/tap", "f", 1.0), 0);
	ck_assert(next_of(ENGINE_CMD_TRIGGER, &c));
	ck_assert_float_eq(c.f[0], 1.0f);
	ck_assert_int_eq(run("/trigger/tap", ""), 0);
	ck_assert(next_of(ENGINE_CMD_TRIGGER, &c));
	ck_assert_int_eq(run("/trigger/tap", "f", 0.0), 0);
	ck_assert(next_of(ENGINE_CMD_RELEASE, &c));
	ck_assert_int_eq(run("/release/tap", ""), 0);
	ck_assert(next_of(ENGINE_CMD_RELEASE, &c));
	ck_assert_int_eq(run("/trigger/nothing", "f", 1.0), -1);
	ck_assert_ptr_nonnull(strstr(err, "no sound named 'nothing' in scene test"));
	ck_assert_int_eq(run("/trigger/tap", "s", "x"), -1);
	ck_assert_ptr_nonnull(strstr(err, "/trigger/tap: expected nothing or a velocity"));
	ck_assert_int_eq(run("/scene/index", "f", 2.0), 0);
	ck_assert_int_eq(scene_steps(), 102);
	ck_assert_int_eq(run("/scene/index", "f", 2.5), -1);
	ck_assert_int_eq(run("/hold", "f", 1.0), 0);
	ck_assert(next_of(ENGINE_CMD_SUSTAIN, &c));
	ck_assert_int_eq(c.i, 1);
	control_set_scene(ctl, q, NULL, err, sizeof err);
}
END_TEST

START_TEST(raw_bindings_pass_own_units)
{
	static struct tingle_conf rc; /* about 0.5 MB: not on the stack */
	conf_defaults(&rc);
	ck_assert_msg(conf_parse_string("[input harp]\n[input bowl]\n[bind]\n"
					"osc /head/yaw = listener yaw raw\n"
					"osc /2/gain = input harp gain raw -40 6\n"
					"osc /2/far = source bowl distance raw\n"
					"midi cc 7 = master gain raw\n",
					"raw.conf", &rc, err, sizeof err) == 0, "%s", err);
	ck_assert_int_eq(control_apply_conf(ctl, q, &rc, NULL, err, sizeof err), 0);
	struct engine_cmd c;
	while (ring_pop(q->ring, &c))
		;
	/* Degrees, dB and metres as they come, not 0..1 mapped. */
	ck_assert_int_eq(run("/head/yaw", "f", 135.0), 0);
	c = pop();
	ck_assert_int_eq(c.type, ENGINE_CMD_LISTENER);
	ck_assert_int_eq(c.i, 1);
	ck_assert_float_eq(c.f[0], 135.0f);
	ck_assert_int_eq(run("/2/gain", "f", -12.5), 0);
	c = pop();
	ck_assert_int_eq(c.type, ENGINE_CMD_SOURCE_GAIN);
	ck_assert_float_eq(c.f[0], -12.5f);
	ck_assert_int_eq(run("/2/gain", "i", 6), 0);
	ck_assert_float_eq(pop().f[0], 6.0f);
	ck_assert_int_eq(run("/2/far", "f", 0.25), 0);
	ck_assert_float_eq(pop().f[2], 0.25f);
	/* Outside the line's range, or the parameter's own: refused, the
	 * sender told why. */
	ck_assert_int_eq(run("/2/gain", "f", -50.0), -1);
	ck_assert_str_eq(err, "osc /2/gain (bound to input harp gain raw -40 6): -50 out of range -40..6");
	ck_assert_int_eq(run("/head/yaw", "f", 200.0), -1);
	ck_assert_ptr_nonnull(strstr(err, "200 out of range -180..180"));
	ck_assert_int_eq(run("/2/far", "f", 0.0), -1);
	ck_assert(!ring_pop(q->ring, &c));
	/* MIDI: the value 0..127 as it is. */
	control_midi(ctl, q, CC(7, 3), 1.0);
	c = pop();
	ck_assert_int_eq(c.type, ENGINE_CMD_MASTER_GAIN);
	ck_assert_float_eq(c.f[0], 3.0f);
	control_midi(ctl, q, CC(7, 100), 2.0); /* +100 dB: refused */
	ck_assert(!ring_pop(q->ring, &c));
	/* Feedback in the same units. */
	struct ctl_sink sink = { .send = sink_send, .subscribe = sink_subscribe, .listening = sink_listening };
	control_set_sink(ctl, &sink);
	struct ctl_sender from = { .len = 1 };
	struct ctl_reply reply;
	n_said = 0;
	ck_assert_int_eq(control_dispatch_from(ctl, q, 0, "/state", NULL, 0, &from, &reply, err, sizeof err), 0);
	ck_assert(was_said("/2/gain 6.000"));
	ck_assert(was_said("/head/yaw 135.000"));
	ck_assert(was_said("/2/far 0.250"));
	/* A head control shows the head however it was turned: here by a
	 * SPARTA tracker (yaw 30 is tingle's -30). */
	subscribed = true;
	n_said = 0;
	ck_assert_int_eq(run("/ypr", "fff", 30.0, 0.0, 0.0), 0);
	ck_assert(was_said("/head/yaw -30.000"));
	/* And an ADM-OSC panner's object 1, the harp, shows where it is. */
	n_said = 0;
	ck_assert_int_eq(run("/adm/obj/1/aed", "fff", 90.0, 0.0, 1.0), 0);
	ck_assert(was_said("/source/harp/position 90.000 0.000 2.000"));
	ck_assert(was_said("/source/harp/xy 0.000 0.500"));
	subscribed = false;
	control_set_sink(ctl, NULL);

	/* At load: a range outside the parameter's, a switch, stray words. */
	static const char *const bad[][2] = {
		{ "osc /a = input harp gain raw -200 0", "'input harp gain raw -200 0': range -200 0 out of bounds" },
		{ "osc /a = input harp mute raw", "mute is on or off and takes no range (and no raw)" },
		{ "osc /a = listener yaw raw 10", "expected nothing more or the values let through, MIN MAX after raw" },
		{ "osc /a = master gain raw 0 0", "out of bounds" },
	};
	for (size_t i = 0; i < TINGLE_ARRAY_LEN(bad); i++) {
		char text[256];
		snprintf(text, sizeof text, "[input harp]\n[bind]\n%s\n", bad[i][0]);
		conf_defaults(&rc);
		ck_assert_int_eq(conf_parse_string(text, "raw.conf", &rc, err, sizeof err), -1);
		ck_assert_msg(strstr(err, "raw.conf:3") && strstr(err, bad[i][1]), "%s: %s", bad[i][0], err);
	}
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Head trackers and panners in their own conventions */

/* The head the last listener command turns to, as the engine takes it. */
static struct listener last_head(void)
{
	struct engine_cmd c, got = { .type = ENGINE_CMD_LISTENER, .i = 0 };
	bool found = false;
	while (ring_pop(q->ring, &c))
		if (c.type == ENGINE_CMD_LISTENER) {
			got = c;
			found = true;
		}
	ck_assert_msg(found, "no listener command queued");
	struct listener l;
	listener_reset(&l);
	if (got.i == 1)
		listener_set_ypr(&l, got.f[0], got.f[1], got.f[2]);
	else if (got.i == 2)
		ck_assert(listener_set_quaternion(&l, got.f[0], got.f[1], got.f[2], got.f[3]));
	return l;
}

/* Where a source in the room is heard after the command. */
static void heard_after(const char *path, const char *types, float a0, float a1, float a2, float a3,
			float az, float el, float out[2])
{
	int rc;
	if (!strcmp(types, "nnnn"))
		rc = run(path, "ffff", (double)a0, (double)a1, (double)a2, (double)a3);
	else if (!strcmp(types, "nnn"))
		rc = run(path, "fff", (double)a0, (double)a1, (double)a2);
	else
		rc = run(path, "f", (double)a0);
	ck_assert_msg(rc == 0, "%s refused: %s", path, err);
	struct listener l = last_head();
	listener_apply(&l, az, el, &out[0], &out[1]);
}

/* v turned right-handedly by deg degrees about axis 0 (x front), 1 (y
 * left) or 2 (z up): the senders' own matrices, written out. */
static void turn(double v[3], int axis, double deg)
{
	double a = deg * M_PI / 180.0, c = cos(a), s = sin(a);
	int i = (axis + 1) % 3, j = (axis + 2) % 3;
	double vi = v[i], vj = v[j];
	v[i] = c * vi - s * vj;
	v[j] = s * vi + c * vj;
}

static void to_dir(const double v[3], float out[2])
{
	out[0] = (float)(atan2(v[1], v[0]) * 180.0 / M_PI);
	out[1] = (float)(atan2(v[2], hypot(v[0], v[1])) * 180.0 / M_PI);
}

static void from_dir(float az, float el, double v[3])
{
	double a = az * M_PI / 180.0, e = el * M_PI / 180.0;
	v[0] = cos(e) * cos(a);
	v[1] = cos(e) * sin(a);
	v[2] = sin(e);
}

#define ck_dir(h, az, el) do { \
	ck_assert_float_eq_tol((h)[0], (az), 0.05f); \
	ck_assert_float_eq_tol((h)[1], (el), 0.05f); \
} while (0)

START_TEST(sparta_head_tracking_signs)
{
	float h[2], want[2];
	/* tingle's own: yaw -30 is the head turned right, a front source
	 * heard 30 degrees to the left. */
	heard_after("/listener/ypr", "nnn", -30, 0, 0, 0, 0, 0, want);
	ck_dir(want, 30.0f, 0.0f);
	/* SPARTA renders a front source at +yaw: /ypr 30 is that head. */
	heard_after("/ypr", "nnn", 30, 0, 0, 0, 0, 0, h);
	ck_dir(h, want[0], want[1]);
	ck_assert_float_eq_tol(ctl->yaw, -30.0f, 0.01f);
	/* Pitch + is nose up (a source ahead heard below), roll + the left
	 * ear down (a source on the right heard below). */
	run("/listener/reset", "");
	heard_after("/pitch", "n", 20, 0, 0, 0, 0, 0, h);
	ck_dir(h, 0.0f, -20.0f);
	ck_assert_float_eq_tol(ctl->pitch, 20.0f, 0.01f);
	run("/listener/reset", "");
	heard_after("/roll", "n", 10, 0, 0, 0, -90, 0, h);
	ck_dir(h, -90.0f, -10.0f);
	ck_assert_float_eq_tol(ctl->roll, -10.0f, 0.01f);
	/* All three: SAF's Rz(yaw)^T Ry(pitch)^T Rx(roll)^T applied to the
	 * direction, written out here. /yaw alone keeps the pitch and roll
	 * sent before. */
	run("/listener/reset", "");
	ck_assert_int_eq(run("/ypr", "fff", 0.0, 20.0, 10.0), 0);
	heard_after("/yaw", "n", 40, 0, 0, 0, 60, 15, h);
	double v[3];
	from_dir(60, 15, v);
	turn(v, 0, 10);
	turn(v, 1, 20);
	turn(v, 2, 40);
	to_dir(v, want);
	ck_dir(h, want[0], want[1]);
	/* Integers are numbers too; reset forgets SPARTA's angles. */
	run("/listener/reset", "");
	ck_assert_int_eq(run("/yaw", "i", 90), 0);
	struct listener l = last_head();
	listener_apply(&l, 0, 0, &h[0], &h[1]);
	ck_dir(h, 90.0f, 0.0f);
	ck_assert_int_eq(run("/ypr", "ff", 1.0, 2.0), -1);
	ck_assert_ptr_nonnull(strstr(err, "/ypr: expected three numbers"));
}
END_TEST

START_TEST(iem_scene_rotator_signs)
{
	float h[2], want[2];
	/* SceneRotator turns the scene: yaw +30 puts a front source 30
	 * degrees to the left, as tingle's head yaw -30 does. */
	heard_after("/SceneRotator/ypr", "nnn", 30, 0, 0, 0, 0, 0, h);
	ck_dir(h, 30.0f, 0.0f);
	ck_assert_float_eq_tol(ctl->yaw, -30.0f, 0.01f);
	/* Its order: yaw, then pitch, then roll about the room's axes:
	 * Rx(roll) Ry(pitch) Rz(yaw) v. */
	heard_after("/SceneRotator/ypr", "nnn", 40, 20, 10, 0, 60, 15, h);
	double v[3];
	from_dir(60, 15, v);
	turn(v, 2, 40);
	turn(v, 1, 20);
	turn(v, 0, 10);
	to_dir(v, want);
	ck_dir(h, want[0], want[1]);
	/* One angle changes that one of its last three. */
	heard_after("/SceneRotator/yaw", "n", 40, 0, 0, 0, 60, 15, h);
	ck_dir(h, want[0], want[1]);
	/* Its quaternion is the scene's rotation in the same frame: the
	 * turn by 30 degrees about z puts the front source to the left. */
	heard_after("/SceneRotator/quaternions", "nnnn", 0.96592583f, 0, 0, 0.25881905f, 0, 0, h);
	ck_dir(h, 30.0f, 0.0f);
	ck_assert_int_eq(run("/SceneRotator/quaternions", "iiii", 1, 0, 0, 0), 0);
	struct listener l = last_head();
	listener_apply(&l, 45, 10, &h[0], &h[1]);
	ck_dir(h, 45.0f, 10.0f);
	ck_assert_int_eq(run("/SceneRotator/quaternions", "ffff", 0.0, 0.0, 0.0, 0.0), -1);
	ck_assert_ptr_nonnull(strstr(err, "/SceneRotator/quaternions: not a rotation"));
}
END_TEST

START_TEST(adm_listener_signs)
{
	float h[2], want[2];
	/* ADM-OSC: yaw positive left, pitch up, roll tilting right: tingle's. */
	heard_after("/adm/lis/ypr", "nnn", 30, 0, 0, 0, 0, 0, h);
	ck_dir(h, -30.0f, 0.0f);
	heard_after("/listener/ypr", "nnn", 40, 20, 10, 0, 60, 15, want);
	heard_after("/adm/lis/ypr", "nnn", 40, 20, 10, 0, 60, 15, h);
	ck_dir(h, want[0], want[1]);
	ck_assert_float_eq_tol(ctl->yaw, 40.0f, 0.01f);
	ck_assert_float_eq_tol(ctl->pitch, 20.0f, 0.01f);
	ck_assert_float_eq_tol(ctl->roll, 10.0f, 0.01f);
	/* Tilted right: a source on the right is heard above. */
	heard_after("/adm/lis/ypr", "nnn", 0, 0, 30, 0, -90, 0, h);
	ck_dir(h, -90.0f, 30.0f);
}
END_TEST

START_TEST(adm_objects_are_inputs_then_scene_sources)
{
	int harp = control_find_source(ctl, "harp"), bowl = control_find_source(ctl, "bowl");
	struct engine_cmd c;
	/* Object 1 is the first [input] of the configuration. */
	ck_assert_int_eq(run("/adm/obj/1/azim", "f", 90.0), 0);
	c = pop();
	ck_assert_int_eq(c.type, ENGINE_CMD_SOURCE_PLACE);
	ck_assert_int_eq(c.target, harp);
	ck_assert_int_eq(c.flags, ENGINE_PLACE_AZ);
	ck_assert_float_eq(c.f[0], 90.0f);
	ck_assert_int_eq(run("/adm/obj/2/aed", "ifi", -45, 10.0, 1), 0);
	c = pop();
	ck_assert_int_eq(c.target, bowl);
	ck_assert_int_eq(c.flags, ENGINE_PLACE_AZ | ENGINE_PLACE_EL | ENGINE_PLACE_DIST);
	ck_assert_float_eq(c.f[0], -45.0f);
	ck_assert_float_eq(c.f[1], 10.0f);
	ck_assert_float_eq_tol(c.f[2], 2.0f, 1e-5f); /* 1: the reference sphere, 2 m */
	/* Normalised distance: 0 is the nearest place, 0.5 half way out;
	 * beyond 1 clamped, as ADM-OSC receivers do. */
	ck_assert_int_eq(run("/adm/obj/2/dist", "f", 0.5), 0);
	ck_assert_float_eq_tol(pop().f[2], 1.05f, 1e-5f);
	ck_assert_int_eq(run("/adm/obj/2/dist", "f", 3.0), 0);
	ck_assert_float_eq_tol(pop().f[2], 2.0f, 1e-5f);
	ck_assert_int_eq(run("/adm/obj/2/elev", "f", 120.0), 0);
	ck_assert_float_eq(pop().f[1], 90.0f);
	/* Cartesian: x right, y front. */
	ck_assert_int_eq(run("/adm/obj/1/xyz", "fff", 1.0, 0.0, 0.0), 0);
	c = pop();
	ck_assert_float_eq_tol(c.f[0], -90.0f, 1e-4f);
	ck_assert_float_eq_tol(c.f[2], 2.0f, 1e-5f);
	ck_assert_float_eq_tol(ctl->src[harp].azimuth, -90.0f, 1e-4f);
	/* No scene plays: two objects only. */
	ck_assert_int_eq(run("/adm/obj/3/azim", "f", 0.0), -1);
	ck_assert_ptr_nonnull(strstr(err, "/adm/obj/3/azim: no object 3 (objects 1..2: the 2 live inputs"));
	ck_assert_int_eq(run("/adm/obj/first/azim", "f", 0.0), -1);
	ck_assert_int_eq(run("/adm/obj/0/azim", "f", 0.0), -1);
	ck_assert_int_eq(run("/adm/obj/1/azim", "s", "left"), -1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("control");
	TCase *tc = tcase_create("Commands");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, conf_inputs_become_sources);
	tcase_add_test(tc, positions_and_gains);
	tcase_add_test(tc, ping_replies_pong);
	tcase_add_test(tc, bad_commands_are_refused);
	tcase_add_test(tc, full_queue_is_reported);
	tcase_add_test(tc, triggers_and_scene_requests);
	suite_add_tcase(s, tc);
	TCase *tt = tcase_create("Trackers");
	tcase_add_checked_fixture(tt, setup, teardown);
	tcase_add_test(tt, sparta_head_tracking_signs);
	tcase_add_test(tt, iem_scene_rotator_signs);
	tcase_add_test(tt, adm_listener_signs);
	tcase_add_test(tt, adm_objects_are_inputs_then_scene_sources);
	suite_add_tcase(s, tt);
	TCase *te = tcase_create("EventsFile");
	tcase_add_test(te, events_file_lines);
	suite_add_tcase(s, te);
	TCase *tb = tcase_create("Bindings");
	tcase_add_checked_fixture(tb, bind_setup, teardown);
	tcase_add_test(tb, osc_fader_maps_onto_its_range);
	tcase_add_test(tb, pedal_presses_and_bounces);
	tcase_add_test(tb, program_change_hold_and_notes);
	tcase_add_test(tb, notes_bound_are_forwarded);
	tcase_add_test(tb, feedback_and_learn);
	tcase_add_test(tb, string_free_forms);
	tcase_add_test(tb, raw_bindings_pass_own_units);
	suite_add_tcase(s, tb);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
