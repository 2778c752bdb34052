/* The OSC server reads its own UDP socket: the sender is checked against
 * [osc] allow before anything of a datagram is parsed, bundles act on
 * arrival (liblo's server would queue future-timetagged bundles without
 * bound), and every malformed datagram is known with its sender. liblo
 * does the parsing and writing of messages. */
#include "config.h"
#include "drivers/osc_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "config/conf.h"
#include "control/control.h"
#include "drivers/osc_packet.h"
#include "rt/engine.h"

#define OSC_MAX_ARGS 8
/* Datagrams read in one go before the limiters get a look in. */
#define OSC_BURST 64
#define OSC_POLL_MS 250
/* Tablets that asked for feedback (/subscribe); the oldest goes when
 * more come. */
#define OSC_MAX_SUBSCRIBERS 16
/* /error answers a second, in all: a flood of bad commands cannot make
 * tingled a flood of answers. */
#define OSC_ERRORS_PER_S 100

struct sender {
	struct sockaddr_storage addr;
	socklen_t len;
	char host[INET6_ADDRSTRLEN];
	char port[8];
};

struct osc_server {
	int fd;
	int wake[2];                 /* a byte written here stops the thread */
	pthread_t thread;
	bool running;
	struct control *ctl;
	struct engine_queue *queue;
	int port;
	pthread_mutex_t allow_lock;
	char allow[CONF_MAX_LIST][64];
	size_t n_allow;
	/* Owned by the server thread: what a sender can repeat at will is
	 * logged at most once a second per cause. */
	struct log_limit lim_denied, lim_malformed, lim_refused, lim_full;
	/* Where feedback goes: subscribers and [osc] feedback targets. Used
	 * from the OSC thread and the main thread. */
	pthread_mutex_t feed_lock;
	struct sender subs[OSC_MAX_SUBSCRIBERS];
	size_t n_subs;
	struct sender targets[CONF_MAX_LIST];
	size_t n_targets;
	double error_window;         /* start of the second /error answers are counted in */
	unsigned errors_sent;
	struct osc_packet packet;
	unsigned char buf[65536];
};

/* An [osc] allow entry is a whole address, or a prefix when it ends in
 * '.' or ':' ("192.168.1." admits the whole network). */
static bool allowed(struct osc_server *s, const char *host)
{
	bool ok;
	pthread_mutex_lock(&s->allow_lock);
	ok = s->n_allow == 0;
	for (size_t i = 0; !ok && i < s->n_allow; i++) {
		const char *a = s->allow[i];
		size_t len = strlen(a);
		bool prefix = len && (a[len - 1] == '.' || a[len - 1] == ':');
		ok = prefix ? !strncmp(host, a, len) : !strcmp(host, a);
	}
	pthread_mutex_unlock(&s->allow_lock);
	return ok;
}

static void sender_name(struct sender *from)
{
	if (getnameinfo((const struct sockaddr *)&from->addr, from->len, from->host, sizeof from->host,
			from->port, sizeof from->port, NI_NUMERICHOST | NI_NUMERICSERV)) {
		str_copy(from->host, sizeof from->host, "?");
		str_copy(from->port, sizeof from->port, "?");
	}
	/* An IPv4 sender on the dual-stack socket. */
	if (!strncmp(from->host, "::ffff:", 7) && strchr(from->host + 7, '.'))
		memmove(from->host, from->host + 7, strlen(from->host + 7) + 1);
}

static void send_to(struct osc_server *s, const struct sender *to, const char *path, lo_message m)
{
	unsigned char out[1024];
	size_t len = lo_message_length(m, path);
	if (s->fd < 0 || len == 0 || len > sizeof out)
		return;
	lo_message_serialise(m, path, out, &len);
	/* Best effort: a sender that cannot be answered is not our problem. */
	(void)sendto(s->fd, out, len, MSG_DONTWAIT, (const struct sockaddr *)&to->addr, to->len);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void reply_error(struct osc_server *s, const struct sender *to, const char *text)
{
	double now = now_s();
	if (now - s->error_window >= 1.0) {
		s->error_window = now;
		s->errors_sent = 0;
	}
	if (s->errors_sent++ >= OSC_ERRORS_PER_S)
		return;
	lo_message m = lo_message_new();
	if (!m)
		return;
	lo_message_add_string(m, text);
	send_to(s, to, "/error", m);
	lo_message_free(m);
}

static lo_message reply_message(const struct ctl_reply *reply)
{
	lo_message m = lo_message_new();
	if (!m)
		return NULL;
	for (int i = 0; i < reply->argc; i++) {
		const struct ctl_arg *a = &reply->args[i];
		if (a->type == 'f')
			lo_message_add_float(m, a->f);
		else if (a->type == 'i')
			lo_message_add_int32(m, a->i);
		else
			lo_message_add_string(m, a->s ? a->s : "");
	}
	return m;
}

static void send_reply(struct osc_server *s, const struct sender *to, const struct ctl_reply *reply)
{
	lo_message m = reply_message(reply);
	if (!m)
		return;
	send_to(s, to, reply->path, m);
	lo_message_free(m);
}

/* ---- feedback: the control side's sink ---- */

static void to_sender(const struct ctl_sender *in, struct sender *out)
{
	memset(out, 0, sizeof *out);
	out->len = in->len <= sizeof out->addr ? in->len : sizeof out->addr;
	memcpy(&out->addr, &in->addr, out->len);
}

static void set_port(struct sockaddr_storage *a, int port)
{
	if (a->ss_family == AF_INET6)
		((struct sockaddr_in6 *)a)->sin6_port = htons((uint16_t)port);
	else if (a->ss_family == AF_INET)
		((struct sockaddr_in *)a)->sin_port = htons((uint16_t)port);
}

/* Same host (and port, when ports count). */
static bool same_place(const struct sender *a, const struct sender *b, bool ports)
{
	if (a->addr.ss_family != b->addr.ss_family)
		return false;
	if (a->addr.ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)&a->addr, *y = (const void *)&b->addr;
		return !memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) &&
		       (!ports || x->sin6_port == y->sin6_port);
	}
	const struct sockaddr_in *x = (const void *)&a->addr, *y = (const void *)&b->addr;
	return x->sin_addr.s_addr == y->sin_addr.s_addr && (!ports || x->sin_port == y->sin_port);
}

static void feed_send(void *ctx, const struct ctl_reply *reply, const struct ctl_sender *to)
{
	struct osc_server *s = ctx;
	lo_message m = reply_message(reply);
	if (!m)
		return;
	if (to) {
		struct sender one;
		to_sender(to, &one);
		send_to(s, &one, reply->path, m);
	} else {
		pthread_mutex_lock(&s->feed_lock);
		for (size_t k = 0; k < s->n_subs; k++)
			send_to(s, &s->subs[k], reply->path, m);
		for (size_t k = 0; k < s->n_targets; k++)
			send_to(s, &s->targets[k], reply->path, m);
		pthread_mutex_unlock(&s->feed_lock);
	}
	lo_message_free(m);
}

static int feed_subscribe(void *ctx, const struct ctl_sender *from, int port, struct ctl_sender *where,
			  char *err, size_t n)
{
	struct osc_server *s = ctx;
	struct sender sub;
	(void)err;
	(void)n;
	to_sender(from, &sub);
	if (port > 0)
		set_port(&sub.addr, port);
	sender_name(&sub);
	pthread_mutex_lock(&s->feed_lock);
	size_t k = 0;
	while (k < s->n_subs && !same_place(&s->subs[k], &sub, true))
		k++;
	if (k == s->n_subs) {
		if (s->n_subs == OSC_MAX_SUBSCRIBERS) {
			memmove(s->subs, s->subs + 1, (OSC_MAX_SUBSCRIBERS - 1) * sizeof sub);
			s->n_subs--;
		}
		s->subs[s->n_subs++] = sub;
		log_info("OSC feedback to %s:%s", sub.host, sub.port);
	}
	pthread_mutex_unlock(&s->feed_lock);
	memset(where, 0, sizeof *where);
	memcpy(&where->addr, &sub.addr, sub.len);
	where->len = sub.len;
	return 0;
}

static void feed_unsubscribe(void *ctx, const struct ctl_sender *from)
{
	struct osc_server *s = ctx;
	struct sender who;
	to_sender(from, &who);
	pthread_mutex_lock(&s->feed_lock);
	size_t kept = 0;
	for (size_t k = 0; k < s->n_subs; k++)
		if (!same_place(&s->subs[k], &who, false))
			s->subs[kept++] = s->subs[k];
	s->n_subs = kept;
	pthread_mutex_unlock(&s->feed_lock);
}

static bool feed_listening(void *ctx)
{
	struct osc_server *s = ctx;
	pthread_mutex_lock(&s->feed_lock);
	bool any = s->n_subs + s->n_targets > 0;
	pthread_mutex_unlock(&s->feed_lock);
	return any;
}

/* liblo's arguments as tingle's; refuses what the commands cannot take
 * without changing its value. */
static int take_args(const char *path, lo_message msg, struct ctl_arg *args, int *argc_out, char *err,
		     size_t errlen)
{
	int argc = lo_message_get_argc(msg);
	const char *types = lo_message_get_types(msg);
	lo_arg **argv = lo_message_get_argv(msg);
	if (argc > OSC_MAX_ARGS) {
		snprintf(err, errlen, "%s: too many arguments (%d)", path, argc);
		return -1;
	}
	for (int i = 0; i < argc; i++) {
		struct ctl_arg *a = &args[i];
		memset(a, 0, sizeof *a);
		/* liblo's argument pointers need not be aligned for their type:
		 * copy the bytes out. */
		const void *raw = argv[i];
		float f;
		double dbl;
		int32_t i32;
		int64_t i64;
		switch (types[i]) {
		case LO_FLOAT: memcpy(&f, raw, sizeof f); a->type = 'f'; a->f = f; break;
		case LO_DOUBLE:
			memcpy(&dbl, raw, sizeof dbl);
			a->type = 'f';
			a->f = (float)dbl;
			if (isfinite(dbl) && !isfinite(a->f)) {
				snprintf(err, errlen, "%s: argument %d (%g) is out of range", path, i + 1, dbl);
				return -1;
			}
			break;
		case LO_INT32: memcpy(&i32, raw, sizeof i32); a->type = 'i'; a->i = i32; break;
		case LO_INT64:
			memcpy(&i64, raw, sizeof i64);
			if (i64 < INT32_MIN || i64 > INT32_MAX) {
				snprintf(err, errlen, "%s: argument %d (%lld) is out of the 32-bit range", path,
					 i + 1, (long long)i64);
				return -1;
			}
			a->type = 'i';
			a->i = (int32_t)i64;
			break;
		case LO_TRUE: a->type = 'f'; a->f = 1.0f; break;
		case LO_FALSE: a->type = 'f'; a->f = 0.0f; break;
		case LO_STRING:
		case LO_SYMBOL: a->type = 's'; a->s = (const char *)raw; break;
		default:
			snprintf(err, errlen, "%s: argument %d has unsupported type '%c'", path, i + 1, types[i]);
			return -1;
		}
	}
	*argc_out = argc;
	return 0;
}

static int one_message(struct osc_server *s, const struct sender *from, const char *path, lo_message msg)
{
	struct ctl_arg args[OSC_MAX_ARGS];
	struct ctl_reply reply;
	char err[512];
	int argc = 0;
	struct ctl_sender sender = { .len = from->len };
	memcpy(&sender.addr, &from->addr, from->len);
	int rc = take_args(path, msg, args, &argc, err, sizeof err);
	if (rc == 0)
		rc = control_dispatch_from(s->ctl, s->queue, 0, path, args, argc, &sender, &reply, err, sizeof err);
	if (rc == 1)
		send_reply(s, from, &reply);
	if (rc >= 0)
		return rc;
	if (rc == CONTROL_QUEUE_FULL)
		log_limited(&s->lim_full, LOG_WARN, "OSC from %s:%s: %s", from->host, from->port, err);
	else
		log_limited(&s->lim_refused, LOG_WARN, "OSC from %s:%s: %s", from->host, from->port, err);
	reply_error(s, from, err);
	return rc;
}

void osc_server_datagram(struct osc_server *s, const void *data, size_t size, const struct sockaddr *addr,
			 socklen_t addrlen)
{
	struct sender from = { .len = addrlen };
	if (addrlen > sizeof from.addr)
		return;
	memcpy(&from.addr, addr, addrlen);
	sender_name(&from);
	if (!allowed(s, from.host)) {
		log_limited(&s->lim_denied, LOG_DEBUG, "OSC from %s:%s ignored: sender not in [osc] allow",
			    from.host, from.port);
		return;
	}
	char err[256];
	if (osc_packet_parse(&s->packet, data, size, err, sizeof err) < 0) {
		log_limited(&s->lim_malformed, LOG_WARN, "OSC from %s:%s: malformed datagram of %zu bytes: %s",
			    from.host, from.port, size, err);
		return;
	}
	/* A bundle's commands reach the engine together, in one block. */
	if (s->packet.bundled)
		engine_queue_begin(s->queue);
	bool full = false;
	for (size_t k = 0; k < s->packet.n; k++)
		full |= one_message(s, &from, s->packet.path[k], s->packet.msg[k]) == CONTROL_QUEUE_FULL;
	if (s->packet.bundled && full) {
		engine_queue_abort(s->queue);
		reply_error(s, &from, "bundle dropped whole: more commands than the engine queue had room for");
	} else if (s->packet.bundled) {
		engine_queue_commit(s->queue);
	}
	osc_packet_clear(&s->packet);
}

static void flush_limits(struct osc_server *s)
{
	log_limit_flush(&s->lim_denied);
	log_limit_flush(&s->lim_malformed);
	log_limit_flush(&s->lim_refused);
	log_limit_flush(&s->lim_full);
}

static void *serve(void *arg)
{
	struct osc_server *s = arg;
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL); /* signals are the main thread's */
	for (;;) {
		struct pollfd pf[2] = { { .fd = s->fd, .events = POLLIN }, { .fd = s->wake[0], .events = POLLIN } };
		int r = poll(pf, 2, OSC_POLL_MS);
		flush_limits(s);
		if (r < 0 && errno != EINTR)
			break;
		if (r <= 0)
			continue;
		if (pf[1].revents)
			break;
		for (int k = 0; k < OSC_BURST; k++) {
			struct sockaddr_storage addr;
			socklen_t len = sizeof addr;
			ssize_t n = recvfrom(s->fd, s->buf, sizeof s->buf, MSG_DONTWAIT | MSG_TRUNC,
					     (struct sockaddr *)&addr, &len);
			if (n < 0)
				break;
			if ((size_t)n > sizeof s->buf)
				continue; /* cannot be a datagram: UDP carries less */
			osc_server_datagram(s, s->buf, (size_t)n, (struct sockaddr *)&addr, len);
		}
	}
	return NULL;
}

/* An [osc] feedback entry, host:port ([v6 address]:port), resolved. */
static bool resolve_target(const char *entry, struct sender *out)
{
	char host[128];
	const char *colon = strrchr(entry, ':');
	if (!colon || (size_t)(colon - entry) >= sizeof host)
		return false;
	memcpy(host, entry, (size_t)(colon - entry));
	host[colon - entry] = '\0';
	char *h = host;
	if (h[0] == '[' && h[strlen(h) - 1] == ']') {
		h[strlen(h) - 1] = '\0';
		h++;
	}
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM, .ai_flags = AI_V4MAPPED | AI_ADDRCONFIG,
				  .ai_family = AF_INET6 }, *res = NULL;
	if (getaddrinfo(h, colon + 1, &hints, &res) != 0 || !res) {
		hints.ai_family = AF_UNSPEC;
		hints.ai_flags = 0;
		if (getaddrinfo(h, colon + 1, &hints, &res) != 0 || !res)
			return false;
	}
	memset(out, 0, sizeof *out);
	out->len = res->ai_addrlen <= sizeof out->addr ? res->ai_addrlen : sizeof out->addr;
	memcpy(&out->addr, res->ai_addr, out->len);
	freeaddrinfo(res);
	sender_name(out);
	return true;
}

void osc_server_set_allow(struct osc_server *s, const struct tingle_conf *conf)
{
	pthread_mutex_lock(&s->allow_lock);
	s->n_allow = conf->n_osc_allow;
	for (size_t i = 0; i < s->n_allow; i++)
		str_copy(s->allow[i], sizeof s->allow[i], conf->osc_allow[i]);
	pthread_mutex_unlock(&s->allow_lock);
	struct sender targets[CONF_MAX_LIST];
	size_t n = 0;
	for (size_t i = 0; i < conf->n_osc_feedback && n < CONF_MAX_LIST; i++) {
		if (resolve_target(conf->osc_feedback[i], &targets[n]))
			n++;
		else
			log_warn("[osc] feedback: cannot find %s; no feedback goes there", conf->osc_feedback[i]);
	}
	pthread_mutex_lock(&s->feed_lock);
	memcpy(s->targets, targets, n * sizeof targets[0]);
	s->n_targets = n;
	pthread_mutex_unlock(&s->feed_lock);
}

void osc_server_attach(struct osc_server *s)
{
	struct ctl_sink sink = { .ctx = s, .send = feed_send, .subscribe = feed_subscribe,
				 .unsubscribe = feed_unsubscribe, .listening = feed_listening };
	control_set_sink(s->ctl, &sink);
}

/* A UDP socket on port (0: any free one), IPv6 with IPv4 mapped in where
 * the machine has IPv6, IPv4 alone otherwise. */
static int open_socket(int port)
{
	int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		int off = 0;
		struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_addr = in6addr_any,
					   .sin6_port = htons((uint16_t)port) };
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off) == 0 &&
		    bind(fd, (struct sockaddr *)&a6, sizeof a6) == 0)
			return fd;
		close(fd);
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_in a4 = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_ANY),
				  .sin_port = htons((uint16_t)port) };
	if (bind(fd, (struct sockaddr *)&a4, sizeof a4) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int bound_port(int fd)
{
	struct sockaddr_storage a;
	socklen_t len = sizeof a;
	if (getsockname(fd, (struct sockaddr *)&a, &len) < 0)
		return -1;
	if (a.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&a)->sin6_port);
	return ntohs(((struct sockaddr_in *)&a)->sin_port);
}

struct osc_server *osc_server_new(int port, struct control *ctl, struct engine_queue *q,
				  const struct tingle_conf *conf, char *err, size_t errlen)
{
	struct osc_server *s = calloc(1, sizeof *s);
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->fd = -1;
	s->wake[0] = s->wake[1] = -1;
	s->ctl = ctl;
	s->queue = q;
	pthread_mutex_init(&s->allow_lock, NULL);
	pthread_mutex_init(&s->feed_lock, NULL);
	osc_server_set_allow(s, conf);
	if (port >= 0) {
		s->fd = open_socket(port);
		if (s->fd < 0) {
			if (errno == EADDRINUSE)
				snprintf(err, errlen,
					 "OSC port %d is in use by another program; choose another with -p PORT or [osc] port",
					 port);
			else
				snprintf(err, errlen, "cannot listen for OSC on UDP port %d: %s", port, strerror(errno));
			osc_server_stop(s);
			return NULL;
		}
		s->port = bound_port(s->fd);
	}
	return s;
}

struct osc_server *osc_server_start(int port, struct control *ctl, struct engine_queue *q,
				    const struct tingle_conf *conf, char *err, size_t errlen)
{
	struct osc_server *s = osc_server_new(port, ctl, q, conf, err, errlen);
	if (!s)
		return NULL;
	if (pipe2(s->wake, O_CLOEXEC) < 0 || pthread_create(&s->thread, NULL, serve, s) != 0) {
		snprintf(err, errlen, "cannot start the OSC server thread");
		osc_server_stop(s);
		return NULL;
	}
	s->running = true;
	return s;
}

int osc_server_port(const struct osc_server *s) { return s->port; }

void osc_server_stop(struct osc_server *s)
{
	if (!s)
		return;
	if (s->ctl)
		control_detach_sink(s->ctl, s);
	if (s->running) {
		char c = 0;
		if (write(s->wake[1], &c, 1) == 1)
			pthread_join(s->thread, NULL);
		else
			pthread_cancel(s->thread);
	}
	for (int k = 0; k < 2; k++)
		if (s->wake[k] >= 0)
			close(s->wake[k]);
	if (s->fd >= 0)
		close(s->fd);
	pthread_mutex_destroy(&s->allow_lock);
	pthread_mutex_destroy(&s->feed_lock);
	free(s);
}
