/* osc_ask: send one OSC message over UDP and print what comes back.
 *   osc_ask PORT PATH [TYPES [ARG...]] [-t TIMEOUT_MS]
 * TYPES like "fff", "s", "h" (64-bit integer) or "d" (double); prints each reply as "PATH TYPES ARG..." and
 * exits 0 if a reply came, 1 on time-out. A wait of 0 sends only. */
#include <lo/lo.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int got;

static int on_reply(const char *path, const char *types, lo_arg **argv, int argc, lo_message m, void *u)
{
	(void)m;
	(void)u;
	printf("%s %s", path, types);
	for (int i = 0; i < argc; i++) {
		switch (types[i]) {
		/* liblo's arguments need not be aligned for their type. */
		case 'f': { float f; memcpy(&f, argv[i], sizeof f); printf(" %g", f); break; }
		case 'i': { int32_t v; memcpy(&v, argv[i], sizeof v); printf(" %d", v); break; }
		case 's': printf(" %s", (const char *)argv[i]); break;
		default: printf(" ?"); break;
		}
	}
	printf("\n");
	fflush(stdout);
	got++;
	return 0;
}

int main(int argc, char **argv)
{
	int timeout = 1000;
	if (argc > 2 && !strcmp(argv[argc - 2], "-t")) {
		timeout = atoi(argv[argc - 1]);
		argc -= 2;
	}
	if (argc < 3) {
		fprintf(stderr, "usage: osc_ask PORT PATH [TYPES [ARG...]] [-t TIMEOUT_MS]\n");
		return 2;
	}
	lo_server s = lo_server_new(NULL, NULL);
	lo_server_add_method(s, NULL, NULL, on_reply, NULL);
	lo_address to = lo_address_new("127.0.0.1", argv[1]);
	lo_message m = lo_message_new();
	const char *types = argc > 3 ? argv[3] : "";
	if ((int)strlen(types) != argc - 4 && argc > 3) {
		fprintf(stderr, "osc_ask: %zu types but %d arguments\n", strlen(types), argc - 4);
		return 2;
	}
	for (int i = 0; types[i]; i++) {
		const char *a = argv[4 + i];
		switch (types[i]) {
		case 'f': lo_message_add_float(m, (float)atof(a)); break;
		case 'i': lo_message_add_int32(m, atoi(a)); break;
		case 's': lo_message_add_string(m, a); break;
		case 'h': lo_message_add_int64(m, strtoll(a, NULL, 10)); break;
		case 'd': lo_message_add_double(m, strtod(a, NULL)); break;
		default: fprintf(stderr, "osc_ask: type %c not supported\n", types[i]); return 2;
		}
	}
	if (lo_send_message_from(to, s, argv[2], m) < 0) {
		fprintf(stderr, "osc_ask: send failed\n");
		return 2;
	}
	lo_message_free(m);
	if (timeout == 0)
		return 0;
	int waited = 0;
	while (waited < timeout) {
		if (lo_server_recv_noblock(s, 50) > 0)
			while (lo_server_recv_noblock(s, 50) > 0)
				;
		waited += 50;
		if (got)
			break;
	}
	lo_address_free(to);
	lo_server_free(s);
	return got ? 0 : 1;
}
