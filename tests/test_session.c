/* Session state (what a session manager keeps): written without ever
 * following a link planted in the session folder, read back whole (room
 * sends too), and the room send shown to tablets as itself. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/conf.h"
#include "control/control.h"
#include "control/session.h"
#include "rt/engine_impl.h"

static struct engine *engine;
static struct control *ctl;
static struct engine_queue *q;
static struct tingle_conf conf;
static char err[512];
static char dir[PATH_MAX];

static void drain(void)
{
	struct engine_cmd c;
	while (ring_pop(q->ring, &c))
		;
}

static void setup(void)
{
	struct engine_options eo = { .n_sources = 8 };
	engine = engine_new(&eo);
	ctl = control_new(engine);
	q = engine_queue_open(engine);
	conf_defaults(&conf);
	ck_assert_int_eq(conf_parse_string("[input harp]\nazimuth = 30\n", "test.conf", &conf, err, sizeof err), 0);
	ck_assert_int_eq(control_apply_conf(ctl, q, &conf, NULL, err, sizeof err), 0);
	drain();
	snprintf(dir, sizeof dir, "%s/tingle-session.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
	control_free(ctl);
	engine_free(engine);
}

static int run(const char *path, float v)
{
	struct ctl_arg a = { .type = 'f', .f = v };
	struct ctl_reply reply;
	return control_dispatch(ctl, q, 0, path, &a, 1, &reply, err, sizeof err);
}

static void read_file(const char *path, char *buf, size_t n)
{
	FILE *f = fopen(path, "r");
	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	size_t len = fread(buf, 1, n - 1, f);
	buf[len] = '\0';
	fclose(f);
}

START_TEST(save_never_follows_a_planted_link)
{
	char victim[PATH_MAX + 16], state[PATH_MAX + 16], link_new[PATH_MAX + 32], buf[4096];
	snprintf(victim, sizeof victim, "%s/victim", dir);
	snprintf(state, sizeof state, "%s/state.ini", dir);
	snprintf(link_new, sizeof link_new, "%s/state.ini.new", dir);
	FILE *f = fopen(victim, "w");
	ck_assert_ptr_nonnull(f);
	fputs("precious\n", f);
	fclose(f);
	/* The name the old save used, and the state itself, point outside. */
	ck_assert_int_eq(symlink(victim, link_new), 0);
	ck_assert_int_eq(session_write(ctl, state, "clicks", err, sizeof err), 0);
	read_file(victim, buf, sizeof buf);
	ck_assert_str_eq(buf, "precious\n");
	struct stat st;
	ck_assert_int_eq(lstat(state, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	read_file(state, buf, sizeof buf);
	ck_assert_ptr_nonnull(strstr(buf, "scene = clicks"));
	ck_assert_ptr_nonnull(strstr(buf, "[input harp]"));
	/* A link planted at the state's own name is replaced, not followed. */
	ck_assert_int_eq(unlink(state), 0);
	ck_assert_int_eq(symlink(victim, state), 0);
	ck_assert_int_eq(session_write(ctl, state, "clicks", err, sizeof err), 0);
	read_file(victim, buf, sizeof buf);
	ck_assert_str_eq(buf, "precious\n");
	ck_assert_int_eq(lstat(state, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	/* Nothing is left behind but the state, the victim and the old link. */
	char cmd[PATH_MAX + 64];
	snprintf(cmd, sizeof cmd, "test $(ls -A '%s' | wc -l) -eq 3", dir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

START_TEST(save_fails_clearly_where_it_cannot_write)
{
	char state[PATH_MAX + 32];
	snprintf(state, sizeof state, "%s/no-such-folder/state.ini", dir);
	ck_assert_int_eq(session_write(ctl, state, "clicks", err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "no-such-folder/state.ini"));
	ck_assert_ptr_nonnull(strstr(err, "No such file"));
}
END_TEST

START_TEST(room_sends_are_saved_and_restored)
{
	char state[PATH_MAX + 16];
	snprintf(state, sizeof state, "%s/state.ini", dir);
	ck_assert_int_eq(run("/input/harp/room", -6.5f), 0);
	ck_assert_int_eq(session_write(ctl, state, "clicks", err, sizeof err), 0);
	struct session *s = calloc(1, sizeof *s);
	ck_assert_int_eq(session_read(state, s, err, sizeof err), 0);
	ck_assert_uint_eq(s->n_src, 1);
	ck_assert(s->src[0].has_room);
	ck_assert_float_eq_tol(s->src[0].room_db, -6.5f, 0.01f);
	/* Applied to a show where the send was turned off: it comes back. */
	ck_assert_int_eq(run("/input/harp/room", -200.0f), 0);
	int harp = control_find_source(ctl, "harp");
	ck_assert(isinf(ctl->src[harp].room_db));
	drain();
	session_apply(ctl, q, s, state);
	ck_assert_float_eq_tol(ctl->src[harp].room_db, -6.5f, 0.01f);
	/* And off stays off. */
	ck_assert_int_eq(run("/input/harp/room", -200.0f), 0);
	ck_assert_int_eq(session_write(ctl, state, "clicks", err, sizeof err), 0);
	ck_assert_int_eq(session_read(state, s, err, sizeof err), 0);
	ck_assert(s->src[0].has_room && isinf(s->src[0].room_db));
	ck_assert_int_eq(run("/input/harp/room", 0.0f), 0);
	session_apply(ctl, q, s, state);
	ck_assert(isinf(ctl->src[harp].room_db));
	free(s);
}
END_TEST

START_TEST(bad_room_in_state_names_file_and_line)
{
	char state[PATH_MAX + 16];
	snprintf(state, sizeof state, "%s/state.ini", dir);
	FILE *f = fopen(state, "w");
	ck_assert_ptr_nonnull(f);
	fputs("[state]\nscene = clicks\n\n[input harp]\nroom = loud\n", f);
	fclose(f);
	struct session *s = calloc(1, sizeof *s);
	ck_assert_int_eq(session_read(state, s, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "state.ini:5: room"));
	free(s);
}
END_TEST

static char said[16][160];
static int n_said;

static void sink_send(void *ctx, const struct ctl_reply *m, const struct ctl_sender *to)
{
	(void)ctx;
	(void)to;
	if (n_said == 16)
		return;
	size_t len = (size_t)snprintf(said[n_said], sizeof said[0], "%s", m->path);
	for (int i = 0; i < m->argc && len < sizeof said[0]; i++)
		if (m->args[i].type == 'f')
			len += (size_t)snprintf(said[n_said] + len, sizeof said[0] - len, " %.1f", (double)m->args[i].f);
	n_said++;
}

static bool sink_listening(void *ctx)
{
	(void)ctx;
	return true;
}

START_TEST(room_change_is_fed_back_as_the_room)
{
	struct ctl_sink sink = { .send = sink_send, .listening = sink_listening };
	control_set_sink(ctl, &sink);
	n_said = 0;
	ck_assert_int_eq(run("/input/harp/room", -9.0f), 0);
	ck_assert_int_ge(n_said, 1);
	ck_assert_str_eq(said[0], "/input/harp/room -9.0");
	for (int i = 0; i < n_said; i++)
		ck_assert_msg(!strstr(said[i], "position"), "a room change said %s", said[i]);
	n_said = 0;
	ck_assert_int_eq(run("/source/harp/room", -500.0f), 0);
	ck_assert_str_eq(said[0], "/input/harp/room -120.0");
	control_set_sink(ctl, NULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("session");
	TCase *tc = tcase_create("State");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, save_never_follows_a_planted_link);
	tcase_add_test(tc, save_fails_clearly_where_it_cannot_write);
	tcase_add_test(tc, room_sends_are_saved_and_restored);
	tcase_add_test(tc, bad_room_in_state_names_file_and_line);
	tcase_add_test(tc, room_change_is_fed_back_as_the_room);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
