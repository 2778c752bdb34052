/* osc_attack: what a careless or hostile sender can throw at tingled's OSC
 * port, for the hardening tests.
 *   osc_attack PORT future-bundles N BYTES   N bundles time-tagged an hour
 *                                            ahead, each about BYTES long
 *   osc_attack PORT garbage N                N malformed datagrams of
 *                                            several kinds
 *   osc_attack PORT flood N PATH             N messages PATH f:0.0
 *   osc_attack PORT bundle-ping              /ping in a bundle time-tagged
 *                                            a minute ahead; prints the
 *                                            reply, exits 0 if one came
 *   osc_attack PORT bundle-pair SOUND N      one bundle: /trigger SOUND,
 *                                            N x /master/gain 0, /trigger
 *                                            SOUND again
 * Sends from 127.0.0.1 as fast as the socket takes it. */
#include <arpa/inet.h>
#include <lo/lo.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int sock;
static struct sockaddr_in to;

static void put(const void *data, size_t len)
{
	/* A full socket buffer: wait for room rather than lose datagrams. */
	while (sendto(sock, data, len, 0, (struct sockaddr *)&to, sizeof to) < 0) {
		struct timespec ts = { 0, 100000 };
		nanosleep(&ts, NULL);
	}
}

static size_t bundle(unsigned char *out, size_t cap, lo_message m, const char *path, double ahead_s)
{
	lo_timetag tt;
	lo_timetag_now(&tt);
	tt.sec += (uint32_t)ahead_s;
	lo_bundle b = lo_bundle_new(tt);
	lo_bundle_add_message(b, path, m);
	size_t len = lo_bundle_length(b);
	if (len > cap)
		len = 0;
	else
		lo_bundle_serialise(b, out, &len);
	lo_bundle_free(b);
	return len;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: osc_attack PORT MODE ARGS...\n");
		return 2;
	}
	sock = socket(AF_INET, SOCK_DGRAM, 0);
	to.sin_family = AF_INET;
	to.sin_port = htons((uint16_t)atoi(argv[1]));
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	struct sockaddr_in me = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (sock < 0 || bind(sock, (struct sockaddr *)&me, sizeof me) < 0) {
		perror("osc_attack: socket");
		return 2;
	}
	static unsigned char buf[65536];
	const char *mode = argv[2];
	if (!strcmp(mode, "future-bundles") && argc == 5) {
		long n = atol(argv[3]);
		size_t bytes = (size_t)atol(argv[4]);
		char *text = calloc(bytes + 1, 1);
		memset(text, 'x', bytes > 64 ? bytes - 64 : 1);
		lo_message m = lo_message_new();
		lo_message_add_string(m, text);
		size_t len = bundle(buf, sizeof buf, m, "/master/gain", 3600);
		for (long k = 0; k < n && len; k++)
			put(buf, len);
		lo_message_free(m);
		free(text);
		return len ? 0 : 2;
	}
	if (!strcmp(mode, "garbage") && argc == 4) {
		static const unsigned char kinds[][16] = {
			{ 'n', 'o', 's', 'l', 'a', 's', 'h', 0 },                   /* no address */
			{ '/', 'a', 0, 0, ',', 'z', 'z', 0 },                      /* unknown types */
			{ '/', 'a', 0, 0, ',', 'i', 0, 0 },                        /* argument missing */
			{ '#', 'b', 'u', 'n', 'd', 'l', 'e', 0, 0, 0, 0, 0, 0, 0, 0, 1 }, /* bundle, then nothing */
			{ '/', 'a', 'b', 'c', 'd', 'e', 'f', 'g' },                /* unterminated */
		};
		static const size_t lens[] = { 8, 8, 8, 16, 8 };
		long n = atol(argv[3]);
		for (long k = 0; k < n; k++)
			put(kinds[k % 5], lens[k % 5]);
		put("/abc", 3); /* not a multiple of four */
		return 0;
	}
	if (!strcmp(mode, "flood") && argc == 5) {
		long n = atol(argv[3]);
		lo_message m = lo_message_new();
		lo_message_add_float(m, 0.0f);
		size_t len = sizeof buf;
		lo_message_serialise(m, argv[4], buf, &len);
		for (long k = 0; k < n; k++)
			put(buf, len);
		lo_message_free(m);
		return 0;
	}
	if (!strcmp(mode, "bundle-ping") && argc == 3) {
		lo_message m = lo_message_new();
		size_t len = bundle(buf, sizeof buf, m, "/ping", 60);
		lo_message_free(m);
		put(buf, len);
		struct pollfd pf = { .fd = sock, .events = POLLIN };
		if (poll(&pf, 1, 1000) <= 0)
			return 1;
		ssize_t got = recv(sock, buf, sizeof buf, 0);
		if (got > 0)
			printf("%s\n", (const char *)buf);
		return got > 0 ? 0 : 1;
	}
	if (!strcmp(mode, "bundle-pair") && argc == 5) {
		/* /trigger SOUND, N x /master/gain 0, /trigger SOUND: one bundle,
		 * time-tagged "now" (0x1). */
		long n = atol(argv[4]);
		lo_message t = lo_message_new(), g = lo_message_new();
		lo_message_add_string(t, argv[3]);
		lo_message_add_float(g, 0.0f);
		static const unsigned char head[16] = { '#', 'b', 'u', 'n', 'd', 'l', 'e', 0, 0, 0, 0, 0, 0, 0, 0, 1 };
		memcpy(buf, head, sizeof head);
		size_t len = sizeof head;
		for (long k = 0; k < n + 2; k++) {
			lo_message m = k == 0 || k == n + 1 ? t : g;
			const char *path = m == t ? "/trigger" : "/master/gain";
			size_t size = lo_message_length(m, path);
			if (len + 4 + size > sizeof buf)
				return 2;
			uint32_t be = htonl((uint32_t)size);
			memcpy(buf + len, &be, 4);
			lo_message_serialise(m, path, buf + len + 4, &size);
			len += 4 + size;
		}
		lo_message_free(t);
		lo_message_free(g);
		put(buf, len);
		return 0;
	}
	fprintf(stderr, "osc_attack: bad mode or arguments\n");
	return 2;
}
