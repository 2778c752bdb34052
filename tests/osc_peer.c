/* osc_peer: OSC peers for the feedback tests, on plain UDP sockets so that
 * every byte in and out is counted.
 *   osc_peer echo PORTFILE SECONDS
 *     a peer that sends every datagram back where it came from (what a
 *     naive program, or tingled itself, does with feedback it is sent);
 *     writes its port to PORTFILE, and at the end prints
 *     "datagrams=N bytes=B seconds=S".
 *   osc_peer probe PORT STEP
 *     one step against tingled at PORT, printing KEY=VALUE lines:
 *     state     /state unanswered, then with its token
 *     reflect   /subscribe for another socket's port, 100 times
 *     confirm   /subscribe, the token answered: the state comes
 *     cap       five sockets of one host subscribe and confirm
 *     self      /subscribe for tingled's own port
 *     expire    a confirmed subscription not renewed, then one renewed
 *               (with [osc] subscription = 2)
 *     gone      a confirmed subscriber closes its socket */
#include <arpa/inet.h>
#include <errno.h>
#include <lo/lo.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int tingled_port;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int open_udp(int *port)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof a;
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
		perror("osc_peer: socket");
		exit(1);
	}
	if (port)
		*port = ntohs(a.sin_port);
	return fd;
}

/* Send PATH with int arguments (n of them) to tingled; the bytes sent. */
static size_t send_ints(int fd, const char *path, int n, const int32_t *v)
{
	lo_message m = lo_message_new();
	for (int i = 0; i < n; i++)
		lo_message_add_int32(m, v[i]);
	unsigned char buf[256];
	size_t len = sizeof buf;
	lo_message_serialise(m, path, buf, &len);
	lo_message_free(m);
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				  .sin_port = htons((uint16_t)tingled_port) };
	if (sendto(fd, buf, len, 0, (struct sockaddr *)&to, sizeof to) < 0)
		perror("osc_peer: sendto");
	return len;
}

struct got {
	size_t bytes, datagrams;
	int32_t token;          /* the last /token */
	char error[256];        /* the last /error's text */
	bool state;             /* a /scene/name came */
};

/* Everything that comes to fd for `seconds`. */
static void collect(int fd, double seconds, struct got *g)
{
	double end = now_s() + seconds;
	for (;;) {
		int wait = (int)((end - now_s()) * 1000.0);
		if (wait <= 0)
			return;
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		if (poll(&pf, 1, wait) <= 0)
			continue;
		unsigned char buf[2048];
		ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
		if (n <= 0)
			continue;
		g->bytes += (size_t)n;
		g->datagrams++;
		int res = 0;
		lo_message m = lo_message_deserialise(buf, (size_t)n, &res);
		if (!m)
			continue;
		const char *path = (const char *)buf;
		const char *types = lo_message_get_types(m);
		lo_arg **argv = lo_message_get_argv(m);
		if (!strcmp(path, "/token") && types[0] == 'i')
			memcpy(&g->token, argv[0], sizeof g->token);
		else if (!strcmp(path, "/error") && types[0] == 's')
			snprintf(g->error, sizeof g->error, "%s", (const char *)argv[0]);
		else if (!strcmp(path, "/scene/name"))
			g->state = true;
		lo_message_free(m);
	}
}

/* /subscribe from fd for its own port, the token answered. */
static struct got subscribe(int fd, int port)
{
	struct got g = { 0 };
	send_ints(fd, "/subscribe", 1, (int32_t[]){ port });
	collect(fd, 0.3, &g);
	if (g.token)
		send_ints(fd, "/subscribe", 2, (int32_t[]){ port, g.token });
	collect(fd, 0.3, &g);
	return g;
}

static int echo(const char *portfile, double seconds)
{
	int port, fd = open_udp(&port);
	FILE *f = fopen(portfile, "w");
	if (!f)
		return 1;
	fprintf(f, "%d\n", port);
	fclose(f);
	size_t datagrams = 0, bytes = 0;
	double t0 = now_s(), end = t0 + seconds;
	while (now_s() < end) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		if (poll(&pf, 1, 20) <= 0)
			continue;
		for (int k = 0; k < 64; k++) {
			unsigned char buf[65536];
			struct sockaddr_storage from;
			socklen_t len = sizeof from;
			ssize_t n = recvfrom(fd, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *)&from, &len);
			if (n < 0)
				break;
			datagrams++;
			bytes += (size_t)n;
			(void)sendto(fd, buf, (size_t)n, MSG_DONTWAIT, (struct sockaddr *)&from, len);
		}
	}
	printf("datagrams=%zu bytes=%zu seconds=%.2f\n", datagrams, bytes, now_s() - t0);
	return 0;
}

static int probe(const char *step)
{
	if (!strcmp(step, "state")) {
		int fd = open_udp(NULL);
		struct got g = { 0 }, full = { 0 };
		size_t in = send_ints(fd, "/state", 0, NULL);
		collect(fd, 0.5, &g);
		printf("state_in=%zu\nstate_out=%zu\nstate_whole=%d\n", in, g.bytes, (int)g.state);
		if (g.token) {
			size_t in2 = send_ints(fd, "/state", 1, (int32_t[]){ g.token });
			collect(fd, 0.5, &full);
			printf("token_state_in=%zu\ntoken_state_out=%zu\ntoken_state_whole=%d\n", in2, full.bytes,
			       (int)full.state);
		}
		struct got wrong = { 0 };
		send_ints(fd, "/state", 1, (int32_t[]){ g.token == 1 ? 2 : 1 });
		collect(fd, 0.5, &wrong);
		printf("wrong_token_whole=%d\n", (int)wrong.state);
		return 0;
	}
	if (!strcmp(step, "reflect")) {
		/* An attacker asks, a hundred times, for feedback to a victim. */
		int victim_port, victim = open_udp(&victim_port), attacker = open_udp(NULL);
		size_t in = 0;
		for (int k = 0; k < 100; k++)
			in += send_ints(attacker, "/subscribe", 1, (int32_t[]){ victim_port });
		struct got g = { 0 }, a = { 0 };
		collect(victim, 3.0, &g);
		collect(attacker, 0.01, &a);
		printf("reflect_in=%zu\nreflect_out=%zu\nreflect_datagrams=%zu\nreflect_attacker_out=%zu\n", in, g.bytes,
		       g.datagrams, a.bytes);
		return 0;
	}
	if (!strcmp(step, "confirm")) {
		int port, fd = open_udp(&port);
		struct got g = subscribe(fd, port);
		collect(fd, 1.0, &g);
		printf("confirm_token=%d\nconfirm_whole=%d\nconfirm_bytes=%zu\n", g.token != 0, (int)g.state, g.bytes);
		return 0;
	}
	if (!strcmp(step, "cap")) {
		int ok = 0, fds[5], ports[5];
		int32_t tokens[5];
		char last_error[256] = "";
		for (int k = 0; k < 5; k++) {
			/* The ones before are renewed: none ends meanwhile. */
			for (int j = 0; j < k; j++)
				send_ints(fds[j], "/subscribe", 2, (int32_t[]){ ports[j], tokens[j] });
			fds[k] = open_udp(&ports[k]);
			struct got g = subscribe(fds[k], ports[k]);
			tokens[k] = g.token;
			ok += g.state;
			if (g.error[0])
				snprintf(last_error, sizeof last_error, "%s", g.error);
		}
		printf("cap_confirmed=%d\ncap_error=%s\n", ok, last_error);
		return 0;
	}
	if (!strcmp(step, "self")) {
		int fd = open_udp(NULL);
		struct got g = { 0 };
		send_ints(fd, "/subscribe", 1, (int32_t[]){ tingled_port });
		collect(fd, 0.5, &g);
		printf("self_error=%s\n", g.error);
		return 0;
	}
	if (!strcmp(step, "expire")) {
		int port, fd = open_udp(&port);
		struct got g = subscribe(fd, port), late = { 0 };
		collect(fd, 2.5, &g);
		collect(fd, 1.5, &late);
		printf("expire_whole=%d\nexpire_late_bytes=%zu\n", (int)g.state, late.bytes);
		int port2, fd2 = open_udp(&port2);
		struct got r = subscribe(fd2, port2), rlate = { 0 };
		int32_t token = r.token;
		for (int k = 0; k < 4; k++) {
			collect(fd2, 1.0, &r);
			send_ints(fd2, "/subscribe", 2, (int32_t[]){ port2, token });
		}
		collect(fd2, 1.0, &rlate);
		printf("renewed_whole=%d\nrenewed_late_bytes=%zu\n", (int)r.state, rlate.bytes);
		return 0;
	}
	if (!strcmp(step, "gone")) {
		int port, fd = open_udp(&port);
		struct got g = subscribe(fd, port);
		printf("gone_port=%d\ngone_whole=%d\n", port, (int)g.state);
		close(fd);
		return 0;
	}
	fprintf(stderr, "osc_peer: unknown step %s\n", step);
	return 2;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "echo"))
		return echo(argv[2], atof(argv[3]));
	if (argc == 4 && !strcmp(argv[1], "probe")) {
		tingled_port = atoi(argv[2]);
		return probe(argv[3]);
	}
	fprintf(stderr, "usage: osc_peer echo PORTFILE SECONDS | osc_peer probe PORT STEP\n");
	return 2;
}
