/* The OSC server's door: who may send commands ([osc] allow: by default
 * this machine and the private networks), and what is never obeyed (an
 * echo of tingled's own feedback, addresses it only sends). Datagrams are
 * handed to the server as its thread does; what it obeyed is what reaches
 * the engine queue. */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <lo/lo.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "config/conf.h"
#include "control/control.h"
#include "drivers/osc_server.h"
#include "rt/engine_impl.h"

static struct engine *engine;
static struct control *ctl;
static struct engine_queue *q;
static struct tingle_conf conf;
static struct osc_server *server;
static char err[512];

static void start(const char *text)
{
	struct engine_options eo = { .n_sources = 8 };
	engine = engine_new(&eo);
	ctl = control_new(engine);
	q = engine_queue_open(engine);
	conf_defaults(&conf);
	ck_assert_int_eq(conf_parse_string(text, "test.conf", &conf, err, sizeof err), 0);
	ck_assert_int_eq(control_apply_conf(ctl, q, &conf, NULL, err, sizeof err), 0);
	server = osc_server_new(-1, ctl, q, &conf, err, sizeof err);
	ck_assert_ptr_nonnull(server);
	osc_server_attach(server);
	struct engine_cmd c;
	while (ring_pop(q->ring, &c))
		;
}

static void teardown(void)
{
	osc_server_stop(server);
	control_free(ctl);
	engine_free(engine);
}

static void from_addr(const char *host, int port, struct sockaddr_storage *a, socklen_t *len)
{
	memset(a, 0, sizeof *a);
	struct sockaddr_in *v4 = (struct sockaddr_in *)a;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)a;
	if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)port);
		*len = sizeof *v4;
	} else {
		ck_assert_int_eq(inet_pton(AF_INET6, host, &v6->sin6_addr), 1);
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		*len = sizeof *v6;
	}
}

/* /master/gain DB from host:port: was it obeyed? */
static bool obeyed(const char *host, int port, float db)
{
	lo_message m = lo_message_new();
	lo_message_add_float(m, db);
	unsigned char buf[64];
	size_t len = sizeof buf;
	lo_message_serialise(m, "/master/gain", buf, &len);
	lo_message_free(m);
	struct sockaddr_storage a;
	socklen_t alen;
	from_addr(host, port, &a, &alen);
	osc_server_datagram(server, buf, len, (struct sockaddr *)&a, alen);
	bool got = false;
	struct engine_cmd c;
	while (ring_pop(q->ring, &c))
		got |= c.type == ENGINE_CMD_MASTER_GAIN;
	return got;
}

START_TEST(default_allow_is_this_machine_and_private_networks)
{
	start("");
	static const char *const in[] = { "127.0.0.1", "127.3.4.5", "::1", "10.1.2.3", "172.16.0.1", "172.31.255.9",
					  "192.168.1.20", "169.254.7.7", "fd00::5", "fe80::1", "::ffff:192.168.0.9" };
	static const char *const out[] = { "203.0.113.5", "8.8.8.8", "172.32.0.1", "172.15.255.255", "192.169.0.1",
					   "2001:db8::1", "::ffff:203.0.113.5" };
	for (size_t i = 0; i < sizeof in / sizeof in[0]; i++)
		ck_assert_msg(obeyed(in[i], 9000, -6.0f), "%s was refused", in[i]);
	for (size_t i = 0; i < sizeof out / sizeof out[0]; i++)
		ck_assert_msg(!obeyed(out[i], 9000, -6.0f), "%s was obeyed", out[i]);
}
END_TEST

START_TEST(allow_takes_networks_prefixes_and_any)
{
	start("[osc]\nallow = 192.168.1.0/24 10.7. 2001:db8::/32\n");
	ck_assert(obeyed("192.168.1.99", 9000, -3.0f));
	ck_assert(!obeyed("192.168.2.99", 9000, -3.0f));
	ck_assert(obeyed("10.7.1.1", 9000, -3.0f));
	ck_assert(!obeyed("10.70.1.1", 9000, -3.0f));
	ck_assert(obeyed("2001:db8:1::2", 9000, -3.0f));
	ck_assert(!obeyed("127.0.0.1", 9000, -3.0f)); /* a list of its own: only what it says */
	teardown();
	start("[osc]\nallow = any\n");
	ck_assert(obeyed("203.0.113.5", 9000, -3.0f));
	ck_assert(obeyed("2001:db8::1", 9000, -3.0f));
}
END_TEST

START_TEST(an_echo_of_feedback_is_not_a_command)
{
	start("[osc]\nfeedback = 127.0.0.1:9999\n");
	/* tingled tells its target the master gain is -6 ... */
	struct ctl_arg a = { .type = 'f', .f = -6.0f };
	struct ctl_reply reply;
	ck_assert_int_eq(control_dispatch(ctl, q, 0, "/master/gain", &a, 1, &reply, err, sizeof err), 0);
	struct engine_cmd c;
	while (ring_pop(q->ring, &c))
		;
	/* ... and the same message coming back from there is an echo. */
	ck_assert(!obeyed("127.0.0.1", 9999, -6.0f));
	/* Another value from there, or the same from elsewhere, is a command. */
	ck_assert(obeyed("127.0.0.1", 9999, -7.0f));
	ck_assert(obeyed("127.0.0.1", 9998, -7.0f));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("osc");
	TCase *tc = tcase_create("Door");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, default_allow_is_this_machine_and_private_networks);
	tcase_add_test(tc, allow_takes_networks_prefixes_and_any);
	tcase_add_test(tc, an_echo_of_feedback_is_not_a_command);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
