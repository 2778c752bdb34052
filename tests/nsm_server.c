/* nsm_server: a small session manager speaking the NSM API 1.1, enough
 * to test a client. It listens on a free UDP port and writes to LOG, a
 * line each: first "url osc.udp://127.0.0.1:PORT/", then what clients
 * say ("announce NAME CAPS EXE MAJOR MINOR PID", "reply METHOD MESSAGE",
 * "error METHOD CODE MESSAGE", "dirty", "clean", "other PATH").
 *   nsm_server LOG SESSION_PATH CLIENT_ID
 * Every announce is answered, logged with "client PORT" (the client's
 * NSM port), and followed by /nsm/client/open SESSION_PATH "test"
 * CLIENT_ID, NSM_OPEN_DELAY_MS (environment) later; SIGUSR1 sends
 * /nsm/client/save to the client that announced last. Runs until SIGTERM. */
#include <lo/lo.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static FILE *out;
static lo_server server;
static lo_address client;
static const char *session_path, *client_id;
static volatile sig_atomic_t want_save, stop;
static double open_at = -1.0; /* when the open is due, monotonic seconds */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		want_save = 1;
	else
		stop = 1;
}

static void say(const char *fmt, const char *path, const char *types, lo_arg **argv, int argc)
{
	fprintf(out, "%s", fmt);
	(void)path;
	for (int i = 0; i < argc; i++) {
		if (types[i] == 's')
			fprintf(out, " %s", (const char *)argv[i]);
		else if (types[i] == 'i') {
			int32_t v; /* liblo's arguments need not be aligned */
			memcpy(&v, argv[i], sizeof v);
			fprintf(out, " %d", v);
		}
	}
	fprintf(out, "\n");
	fflush(out);
}

static int on_msg(const char *path, const char *types, lo_arg **argv, int argc, lo_message m, void *u)
{
	(void)u;
	if (!strcmp(path, "/nsm/server/announce")) {
		say("announce", path, types, argv, argc);
		if (client)
			lo_address_free(client);
		lo_address from = lo_message_get_source(m);
		client = lo_address_new_with_proto(lo_address_get_protocol(from), lo_address_get_hostname(from),
						   lo_address_get_port(from));
		lo_send_from(client, server, LO_TT_IMMEDIATE, "/reply", "ssss", "/nsm/server/announce", "hello",
			     "test-nsm", ":server-control:");
		fprintf(out, "client %s\n", lo_address_get_port(client));
		fflush(out);
		const char *delay = getenv("NSM_OPEN_DELAY_MS");
		open_at = now_s() + (delay ? atof(delay) / 1000.0 : 0.0);
	} else if (!strcmp(path, "/reply")) {
		say("reply", path, types, argv, argc);
	} else if (!strcmp(path, "/error")) {
		say("error", path, types, argv, argc);
	} else if (!strcmp(path, "/nsm/client/is_dirty")) {
		say("dirty", path, types, argv, 0);
	} else if (!strcmp(path, "/nsm/client/is_clean")) {
		say("clean", path, types, argv, 0);
	} else {
		fprintf(out, "other %s\n", path);
		fflush(out);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: nsm_server LOG SESSION_PATH CLIENT_ID\n");
		return 2;
	}
	out = fopen(argv[1], "w");
	if (!out) {
		perror(argv[1]);
		return 1;
	}
	session_path = argv[2];
	client_id = argv[3];
	server = lo_server_new_with_proto(NULL, LO_UDP, NULL);
	if (!server)
		return 1;
	lo_server_add_method(server, NULL, NULL, on_msg, NULL);
	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	fprintf(out, "url osc.udp://127.0.0.1:%d/\n", lo_server_get_port(server));
	fflush(out);
	while (!stop) {
		lo_server_recv_noblock(server, 20);
		if (open_at >= 0.0 && now_s() >= open_at) {
			open_at = -1.0;
			lo_send_from(client, server, LO_TT_IMMEDIATE, "/nsm/client/open", "sss", session_path, "test",
				     client_id);
		}
		if (want_save) {
			want_save = 0;
			if (client)
				lo_send_from(client, server, LO_TT_IMMEDIATE, "/nsm/client/save", "");
		}
	}
	if (client)
		lo_address_free(client);
	lo_server_free(server);
	fclose(out);
	return 0;
}
