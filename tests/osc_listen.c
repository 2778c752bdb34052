/* osc_listen: receive OSC on a UDP port and print every message with the
 * time it came, optionally after sending one message from the same port
 * (so that a /subscribe or /state is answered here). A /token that comes
 * back is answered as a tablet does: the message again with the token
 * (/subscribe PORT TOKEN, PORT 0 when none was given; /state TOKEN),
 * unless --no-token.
 *   osc_listen [-p PORT] [-t SECONDS] [-o FILE] [--no-token] [--send DESTPORT PATH [TYPES [ARG...]]]
 * Prints "SECONDS PATH TYPES ARG..." a line each (to FILE when given, and
 * flushed), and first "port N" with the port it listens on. */
#include <lo/lo.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static FILE *out;
static double t0;
static int32_t token;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int on_msg(const char *path, const char *types, lo_arg **argv, int argc, lo_message m, void *u)
{
	(void)m;
	(void)u;
	if (!strcmp(path, "/token") && argc == 1 && types[0] == 'i')
		memcpy(&token, argv[0], sizeof token);
	fprintf(out, "%.3f %s %s", now_s() - t0, path, types);
	for (int i = 0; i < argc; i++) {
		switch (types[i]) {
		/* liblo's arguments need not be aligned for their type. */
		case 'f': { float f; memcpy(&f, argv[i], sizeof f); fprintf(out, " %g", f); break; }
		case 'i': { int32_t v; memcpy(&v, argv[i], sizeof v); fprintf(out, " %d", v); break; }
		case 's': fprintf(out, " %s", (const char *)argv[i]); break;
		default: fprintf(out, " ?"); break;
		}
	}
	fprintf(out, "\n");
	fflush(out);
	return 0;
}

int main(int argc, char **argv)
{
	const char *port = NULL, *file = NULL;
	double seconds = 2.0;
	int send_at = 0;
	bool answer_token = true;
	out = stdout;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-p") && i + 1 < argc)
			port = argv[++i];
		else if (!strcmp(argv[i], "-t") && i + 1 < argc)
			seconds = atof(argv[++i]);
		else if (!strcmp(argv[i], "-o") && i + 1 < argc)
			file = argv[++i];
		else if (!strcmp(argv[i], "--no-token"))
			answer_token = false;
		else if (!strcmp(argv[i], "--send") && i + 2 < argc) {
			send_at = i + 1;
			break;
		} else {
			fprintf(stderr, "usage: osc_listen [-p PORT] [-t SECONDS] [-o FILE] [--no-token] "
					"[--send DESTPORT PATH [TYPES [ARG...]]]\n");
			return 2;
		}
	}
	if (file && !(out = fopen(file, "w"))) {
		perror(file);
		return 1;
	}
	lo_server s = lo_server_new_with_proto(port, LO_UDP, NULL);
	if (!s) {
		fprintf(stderr, "osc_listen: cannot listen on %s\n", port ? port : "a free port");
		return 1;
	}
	lo_server_add_method(s, NULL, NULL, on_msg, NULL);
	fprintf(out, "port %d\n", lo_server_get_port(s));
	fflush(out);
	t0 = now_s();
	lo_address to = send_at ? lo_address_new("127.0.0.1", argv[send_at]) : NULL;
	const char *types = send_at && send_at + 2 < argc ? argv[send_at + 2] : "";
	/* The message, with the token tingled sent when it has one. */
	for (int round = 0; send_at && round < 2; round++) {
		lo_message m = lo_message_new();
		for (int k = 0; types[k]; k++) {
			const char *a = send_at + 3 + k < argc ? argv[send_at + 3 + k] : "0";
			if (types[k] == 'f')
				lo_message_add_float(m, (float)atof(a));
			else if (types[k] == 'i')
				lo_message_add_int32(m, atoi(a));
			else
				lo_message_add_string(m, a);
		}
		if (round == 1) {
			if (!strcmp(argv[send_at + 1], "/subscribe") && !types[0])
				lo_message_add_int32(m, 0);
			lo_message_add_int32(m, token);
		}
		lo_send_message_from(to, s, argv[send_at + 1], m);
		lo_message_free(m);
		if (round == 1 || !answer_token)
			break;
		/* The token comes at once or not at all. */
		while (!token && now_s() - t0 < seconds && now_s() - t0 < 1.0)
			lo_server_recv_noblock(s, 20);
		if (!token)
			break;
	}
	if (to)
		lo_address_free(to);
	while (now_s() - t0 < seconds)
		lo_server_recv_noblock(s, 20);
	lo_server_free(s);
	if (file)
		fclose(out);
	return 0;
}
