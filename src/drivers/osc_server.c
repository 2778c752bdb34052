/* The OSC server reads its own UDP socket: the sender is checked against
 * [osc] allow before anything of a datagram is parsed, bundles act on
 * arrival (liblo's server would queue future-timetagged bundles without
 * bound), and every malformed datagram is known with its sender. liblo
 * does the parsing and writing of messages.
 *
 * UDP senders can be forged, so nothing much larger than a question goes
 * to an address that has not shown it receives there: /subscribe and
 * /state are answered with a small /token first, and only the answer that
 * carries it (which a forger never sees) starts a subscription or gets
 * the whole state. Subscriptions end unless renewed, are capped per host,
 * and end at once when the network says nobody listens there (ICMP). And
 * feedback never loops: what tingled only sends is never taken as a
 * command, an echo of its own feedback is ignored, and it never subscribes
 * itself. */
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
#include <ifaddrs.h>
#include <linux/errqueue.h>
#include <sys/random.h>
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
/* Subscriptions: at most 16, at most 4 from one host; each lasts [osc]
 * subscription seconds (a minute) unless renewed (a /subscribe with its
 * token again). */
#define OSC_MAX_SUBSCRIBERS 16
#define OSC_SUBS_PER_HOST 4
/* Addresses sent a token that have not answered yet: what a forger can
 * fill is this table, never the subscribers'. */
#define OSC_MAX_PENDING 64
#define OSC_PENDING_PER_HOST 4
#define OSC_PENDING_LIFETIME_S 30.0
/* A token goes to one address at most twice a second, to all at most 50
 * times a second; after 8 wrong answers an address gets a new one. */
#define OSC_TOKEN_REPEAT_S 0.5
#define OSC_TOKENS_PER_S 50
#define OSC_TOKEN_TRIES 8
/* /error answers a second, in all: a flood of bad commands cannot make
 * tingled a flood of answers. */
#define OSC_ERRORS_PER_S 100
/* The last feedback message sent at each address (by a hash of it), for
 * two seconds: the same message coming back from where feedback goes is
 * an echo, not a command. */
#define OSC_ECHO_SLOTS 512
#define OSC_ECHO_S 2.0

struct sender {
	struct sockaddr_storage addr;
	socklen_t len;
	char host[INET6_ADDRSTRLEN];
	char port[8];
};

/* Where feedback may go: a subscriber, or an address sent a token. */
struct dest {
	struct sender to;
	int32_t token;
	double expires;              /* monotonic seconds */
	double last_token;           /* when the token was last sent there */
	unsigned wrong;              /* answers with another token */
};

struct echo {
	uint64_t path, msg;          /* hashes of the address and the whole message */
	double t;
};

/* An [osc] allow entry: a whole address or a network (CIDR), or a text
 * prefix ("192.168.1."). */
struct allow_rule {
	bool any;
	bool text;
	char prefix[64];
	int family;                  /* AF_INET or AF_INET6 */
	unsigned char net[16];
	unsigned bits;
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
	struct allow_rule allow[CONF_MAX_LIST];
	size_t n_allow;
	/* Owned by the server thread: what a sender can repeat at will is
	 * logged at most once a second per cause. */
	struct log_limit lim_denied, lim_malformed, lim_refused, lim_full, lim_ignored;
	/* Where feedback goes: subscribers and [osc] feedback targets, the
	 * addresses sent a token, the echoes. Used from the OSC thread and the
	 * main thread. */
	pthread_mutex_t feed_lock;
	struct dest subs[OSC_MAX_SUBSCRIBERS];
	size_t n_subs;
	double lifetime;             /* [osc] subscription, seconds */
	struct dest pending[OSC_MAX_PENDING];
	size_t n_pending;
	double token_window;         /* start of the second tokens are counted in */
	unsigned tokens_sent;
	struct sender targets[CONF_MAX_LIST];
	size_t n_targets;
	struct echo echo[OSC_ECHO_SLOTS];
	double error_window;         /* start of the second /error answers are counted in */
	unsigned errors_sent;
	struct osc_packet packet;
	unsigned char buf[65536];
};

/* An address as family and bytes, IPv4 in IPv6 ("::ffff:a.b.c.d") as
 * IPv4. */
static int addr_bytes(const struct sockaddr_storage *a, unsigned char out[16])
{
	if (a->ss_family == AF_INET) {
		memcpy(out, &((const struct sockaddr_in *)a)->sin_addr, 4);
		return AF_INET;
	}
	if (a->ss_family == AF_INET6) {
		const struct in6_addr *x = &((const struct sockaddr_in6 *)a)->sin6_addr;
		if (IN6_IS_ADDR_V4MAPPED(x)) {
			memcpy(out, x->s6_addr + 12, 4);
			return AF_INET;
		}
		memcpy(out, x->s6_addr, 16);
		return AF_INET6;
	}
	return -1;
}

static int addr_port(const struct sockaddr_storage *a)
{
	if (a->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)a)->sin6_port);
	if (a->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)a)->sin_port);
	return -1;
}

static bool in_network(const unsigned char *a, const unsigned char *net, unsigned bits)
{
	unsigned whole = bits / 8, rest = bits % 8;
	if (memcmp(a, net, whole))
		return false;
	return !rest || ((a[whole] ^ net[whole]) & (0xff00u >> rest) & 0xffu) == 0;
}

/* Is the sender in [osc] allow? */
static bool allowed(struct osc_server *s, const struct sender *from)
{
	unsigned char a[16];
	int family = addr_bytes(&from->addr, a);
	bool ok;
	pthread_mutex_lock(&s->allow_lock);
	ok = s->n_allow == 0;
	for (size_t i = 0; !ok && i < s->n_allow; i++) {
		const struct allow_rule *r = &s->allow[i];
		if (r->any)
			ok = true;
		else if (r->text)
			ok = !strncmp(from->host, r->prefix, strlen(r->prefix));
		else
			ok = family == r->family && in_network(a, r->net, r->bits);
	}
	pthread_mutex_unlock(&s->allow_lock);
	return ok;
}

/* An entry as the configuration keeps it (conf.c checked it): "any", an
 * address, ADDRESS/BITS, or a text prefix ending in '.' or ':'. */
static bool allow_rule_parse(const char *entry, struct allow_rule *r)
{
	memset(r, 0, sizeof *r);
	if (!strcmp(entry, "any")) {
		r->any = true;
		return true;
	}
	char addr[64];
	str_copy(addr, sizeof addr, entry);
	char *slash = strchr(addr, '/');
	long bits = -1;
	if (slash) {
		*slash = '\0';
		if (!parse_int(slash + 1, &bits))
			return false;
	}
	if (inet_pton(AF_INET, addr, r->net) == 1) {
		r->family = AF_INET;
		r->bits = bits < 0 ? 32 : (unsigned)bits;
		return bits <= 32;
	}
	if (inet_pton(AF_INET6, addr, r->net) == 1) {
		r->family = AF_INET6;
		r->bits = bits < 0 ? 128 : (unsigned)bits;
		/* An IPv4 network written as IPv6 (::ffff:10.0.0.0/104) is
		 * matched as the IPv4 one it is. */
		if (IN6_IS_ADDR_V4MAPPED((struct in6_addr *)r->net) && r->bits >= 96) {
			memmove(r->net, r->net + 12, 4);
			r->family = AF_INET;
			r->bits -= 96;
		}
		return bits <= 128;
	}
	if (slash)
		return false;
	r->text = true;
	str_copy(r->prefix, sizeof r->prefix, entry);
	return true;
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

/* An error an earlier datagram's ICMP answer left on the socket
 * (IP_RECVERR): the next call on the socket reports it once. */
static bool icmp_reported(int err)
{
	return err == ECONNREFUSED || err == EHOSTUNREACH || err == ENETUNREACH || err == EHOSTDOWN;
}

/* Best effort: a sender that cannot be answered is not our problem. A
 * call that only reported an earlier datagram's ICMP error sent nothing:
 * this one goes again (the error itself is read from the error queue). */
static void send_bytes(struct osc_server *s, const struct sender *to, const void *bytes, size_t len)
{
	for (int k = 0; s->fd >= 0 && k < 2; k++)
		if (sendto(s->fd, bytes, len, MSG_DONTWAIT, (const struct sockaddr *)&to->addr, to->len) >= 0 ||
		    !icmp_reported(errno))
			break;
}

/* m at path as bytes (at most 1024: nothing tingled sends is larger);
 * 0 when it does not fit. */
static size_t serialise(lo_message m, const char *path, unsigned char out[1024])
{
	size_t len = lo_message_length(m, path);
	if (len == 0 || len > 1024)
		return 0;
	lo_message_serialise(m, path, out, &len);
	return len;
}

static void send_to(struct osc_server *s, const struct sender *to, const char *path, lo_message m)
{
	unsigned char out[1024];
	size_t len = serialise(m, path, out);
	if (len)
		send_bytes(s, to, out, len);
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

static void from_sender(const struct sender *in, struct ctl_sender *out)
{
	memset(out, 0, sizeof *out);
	memcpy(&out->addr, &in->addr, in->len);
	out->len = in->len;
}

static void set_port(struct sockaddr_storage *a, int port)
{
	if (a->ss_family == AF_INET6)
		((struct sockaddr_in6 *)a)->sin6_port = htons((uint16_t)port);
	else if (a->ss_family == AF_INET)
		((struct sockaddr_in *)a)->sin_port = htons((uint16_t)port);
}

/* Same host (and port, when ports count); IPv4 alike however written. */
static bool same_place(const struct sender *a, const struct sender *b, bool ports)
{
	unsigned char x[16], y[16];
	int fx = addr_bytes(&a->addr, x), fy = addr_bytes(&b->addr, y);
	if (fx < 0 || fx != fy || memcmp(x, y, fx == AF_INET ? 4 : 16))
		return false;
	return !ports || addr_port(&a->addr) == addr_port(&b->addr);
}

/* Is this address one of this machine's (loopback, unspecified, or an
 * interface's)? */
static bool local_host(const struct sender *a)
{
	unsigned char x[16];
	int family = addr_bytes(&a->addr, x);
	static const unsigned char zero[16];
	if (family == AF_INET && (x[0] == 127 || !memcmp(x, zero, 4)))
		return true;
	if (family == AF_INET6 && (!memcmp(x, zero, 16) || IN6_IS_ADDR_LOOPBACK((struct in6_addr *)x)))
		return true;
	struct ifaddrs *ifs = NULL;
	bool local = false;
	if (getifaddrs(&ifs) < 0)
		return false;
	for (struct ifaddrs *i = ifs; i && !local; i = i->ifa_next) {
		struct sender me = { .len = sizeof me.addr };
		unsigned char y[16];
		if (!i->ifa_addr || (i->ifa_addr->sa_family != AF_INET && i->ifa_addr->sa_family != AF_INET6))
			continue;
		memcpy(&me.addr, i->ifa_addr,
		       i->ifa_addr->sa_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
		local = addr_bytes(&me.addr, y) == family && !memcmp(x, y, family == AF_INET ? 4 : 16);
	}
	freeifaddrs(ifs);
	return local;
}

/* tingled's own OSC socket: feedback there would come straight back. */
static bool is_self(const struct osc_server *s, const struct sender *a)
{
	return s->port > 0 && addr_port(&a->addr) == s->port && local_host(a);
}

static uint64_t fnv1a(const void *data, size_t n)
{
	const unsigned char *p = data;
	uint64_t h = 14695981039346656037ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return h;
}

/* Remember a feedback message (its bytes) as sent now. Feed lock held. */
static void echo_note(struct osc_server *s, const char *path, const void *bytes, size_t len)
{
	uint64_t ph = fnv1a(path, strlen(path));
	struct echo *e = &s->echo[ph % OSC_ECHO_SLOTS];
	e->path = ph;
	e->msg = fnv1a(bytes, len);
	e->t = now_s();
}

/* Is the message, come from `from`, the feedback tingled sent last at its
 * address, coming back from where feedback goes? Feed lock held. */
static bool echo_of_feedback(struct osc_server *s, const struct sender *from, const char *path, lo_message m)
{
	bool dest = false;
	for (size_t k = 0; !dest && k < s->n_subs; k++)
		dest = same_place(&s->subs[k].to, from, true);
	for (size_t k = 0; !dest && k < s->n_targets; k++)
		dest = same_place(&s->targets[k], from, true);
	if (!dest)
		return false;
	unsigned char bytes[1024];
	size_t len = serialise(m, path, bytes);
	if (!len)
		return false; /* larger than any feedback */
	uint64_t ph = fnv1a(path, strlen(path));
	const struct echo *e = &s->echo[ph % OSC_ECHO_SLOTS];
	return e->path == ph && e->msg == fnv1a(bytes, len) && now_s() - e->t < OSC_ECHO_S;
}

/* Addresses tingled only sends, never obeys: from anybody they are
 * dropped without a word (an /error to an /error is how two programs
 * flood each other). */
static bool feedback_only(const char *path)
{
	static const char *const only[] = { "/error", "/pong", "/token", "/learned", "/voices", "/scene/name" };
	for (size_t i = 0; i < TINGLE_ARRAY_LEN(only); i++)
		if (!strcmp(path, only[i]))
			return true;
	return !strncmp(path, "/meter/", 7);
}

static int32_t new_token(void)
{
	uint32_t r = 0;
	if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		r = (uint32_t)fnv1a(&ts, sizeof ts);
	}
	/* 1..2^24: exact as a float, which is what tablets send. */
	return (int32_t)(r % 16777216u) + 1;
}

/* Send d its token (16 bytes), unless it had it a moment ago or the
 * second's allowance is spent. Feed lock held. */
static void send_token(struct osc_server *s, struct dest *d, double now)
{
	if (now - d->last_token < OSC_TOKEN_REPEAT_S)
		return;
	if (now - s->token_window >= 1.0) {
		s->token_window = now;
		s->tokens_sent = 0;
	}
	if (s->tokens_sent >= OSC_TOKENS_PER_S)
		return;
	s->tokens_sent++;
	d->last_token = now;
	lo_message m = lo_message_new();
	if (!m)
		return;
	lo_message_add_int32(m, d->token);
	send_to(s, &d->to, "/token", m);
	lo_message_free(m);
}

static size_t count_host(const struct dest *list, size_t n, const struct sender *a)
{
	size_t c = 0;
	for (size_t k = 0; k < n; k++)
		c += same_place(&list[k].to, a, false);
	return c;
}

static void dest_remove(struct dest *list, size_t *n, size_t k)
{
	memmove(list + k, list + k + 1, (*n - k - 1) * sizeof list[0]);
	(*n)--;
}

static size_t dest_find(const struct dest *list, size_t n, const struct sender *a)
{
	size_t k = 0;
	while (k < n && !same_place(&list[k].to, a, true))
		k++;
	return k;
}

/* Subscriptions not renewed, tokens not answered: gone. Feed lock held. */
static void prune(struct osc_server *s, double now)
{
	for (size_t k = 0; k < s->n_subs;) {
		if (s->subs[k].expires > now) {
			k++;
			continue;
		}
		log_info("OSC feedback to %s:%s ended: not renewed within %.0f s", s->subs[k].to.host,
			 s->subs[k].to.port, s->lifetime);
		dest_remove(s->subs, &s->n_subs, k);
	}
	for (size_t k = 0; k < s->n_pending;) {
		if (s->pending[k].expires > now)
			k++;
		else
			dest_remove(s->pending, &s->n_pending, k);
	}
}

/* The address sent a token (found, or added in place of the oldest of
 * its host, or the oldest of all). Feed lock held. */
static struct dest *pending_for(struct osc_server *s, const struct sender *to, double now)
{
	size_t k = dest_find(s->pending, s->n_pending, to);
	if (k < s->n_pending)
		return &s->pending[k];
	bool host_full = count_host(s->pending, s->n_pending, to) >= OSC_PENDING_PER_HOST;
	if (host_full || s->n_pending == OSC_MAX_PENDING) {
		size_t oldest = s->n_pending;
		for (size_t i = 0; i < s->n_pending; i++)
			if ((!host_full || same_place(&s->pending[i].to, to, false)) &&
			    (oldest == s->n_pending || s->pending[i].expires < s->pending[oldest].expires))
				oldest = i;
		dest_remove(s->pending, &s->n_pending, oldest);
	}
	struct dest *d = &s->pending[s->n_pending++];
	*d = (struct dest){ .to = *to, .token = new_token(), .expires = now + OSC_PENDING_LIFETIME_S,
			    .last_token = -1e9 };
	return d;
}

/* An answer with a wrong token: after a few, the address gets a new one
 * (guessing is hopeless). */
static void wrong_token(struct dest *d)
{
	if (++d->wrong >= OSC_TOKEN_TRIES) {
		d->token = new_token();
		d->wrong = 0;
	}
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
		/* Made into bytes once, for every destination and the echoes. */
		unsigned char bytes[1024];
		size_t len = serialise(m, reply->path, bytes);
		pthread_mutex_lock(&s->feed_lock);
		if (len) {
			echo_note(s, reply->path, bytes, len);
			double now = now_s();
			for (size_t k = 0; k < s->n_subs; k++)
				if (s->subs[k].expires > now)
					send_bytes(s, &s->subs[k].to, bytes, len);
			for (size_t k = 0; k < s->n_targets; k++)
				send_bytes(s, &s->targets[k], bytes, len);
		}
		pthread_mutex_unlock(&s->feed_lock);
	}
	lo_message_free(m);
}

static int feed_subscribe(void *ctx, const struct ctl_sender *from, int port, int32_t token,
			  struct ctl_sender *where, char *err, size_t n)
{
	struct osc_server *s = ctx;
	struct sender to;
	to_sender(from, &to);
	if (port > 0)
		set_port(&to.addr, port);
	sender_name(&to);
	if (is_self(s, &to))
		return tingle_err(err, n, "/subscribe: %s:%s is tingled's own OSC port (feedback there would loop)",
				  to.host, to.port);
	int rc = CTL_SUB_ASKED;
	double now = now_s();
	pthread_mutex_lock(&s->feed_lock);
	prune(s, now);
	size_t k = dest_find(s->subs, s->n_subs, &to);
	if (k < s->n_subs) {
		struct dest *d = &s->subs[k];
		if (token && token == d->token) {
			d->expires = now + s->lifetime;
			rc = CTL_SUB_RENEWED;
		} else {
			if (token)
				wrong_token(d);
			send_token(s, d, now); /* a subscriber that lost its token */
		}
		goto out;
	}
	struct dest *d = pending_for(s, &to, now);
	if (!token || token != d->token) {
		if (token)
			wrong_token(d);
		send_token(s, d, now);
		goto out;
	}
	if (s->n_subs == OSC_MAX_SUBSCRIBERS) {
		rc = tingle_err(err, n, "/subscribe: %d subscribers already; one must end first (/unsubscribe, or "
				"not renewed within %.0f s)", OSC_MAX_SUBSCRIBERS, s->lifetime);
		goto out;
	}
	if (count_host(s->subs, s->n_subs, &to) >= OSC_SUBS_PER_HOST) {
		rc = tingle_err(err, n, "/subscribe: %s has %d subscriptions already", to.host, OSC_SUBS_PER_HOST);
		goto out;
	}
	struct dest sub = *d;
	sub.expires = now + s->lifetime;
	sub.wrong = 0;
	dest_remove(s->pending, &s->n_pending, (size_t)(d - s->pending));
	s->subs[s->n_subs++] = sub;
	log_info("OSC feedback to %s:%s", to.host, to.port);
	rc = CTL_SUB_NEW;
out:
	pthread_mutex_unlock(&s->feed_lock);
	from_sender(&to, where);
	return rc;
}

static bool feed_confirmed(void *ctx, const struct ctl_sender *from, int32_t token)
{
	struct osc_server *s = ctx;
	struct sender who;
	to_sender(from, &who);
	sender_name(&who);
	double now = now_s();
	bool ok;
	pthread_mutex_lock(&s->feed_lock);
	prune(s, now);
	ok = dest_find(s->subs, s->n_subs, &who) < s->n_subs;
	if (!ok && !is_self(s, &who)) {
		struct dest *d = pending_for(s, &who, now);
		ok = token && token == d->token;
		if (ok) {
			d->expires = now + OSC_PENDING_LIFETIME_S;
		} else {
			if (token)
				wrong_token(d);
			send_token(s, d, now);
		}
	}
	pthread_mutex_unlock(&s->feed_lock);
	return ok;
}

static void feed_unsubscribe(void *ctx, const struct ctl_sender *from)
{
	struct osc_server *s = ctx;
	struct sender who;
	to_sender(from, &who);
	pthread_mutex_lock(&s->feed_lock);
	for (size_t k = 0; k < s->n_subs;) {
		if (same_place(&s->subs[k].to, &who, false))
			dest_remove(s->subs, &s->n_subs, k);
		else
			k++;
	}
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

/* ICMP errors for what the socket sent (IP_RECVERR): a subscriber or an
 * address sent a token where nobody listens (port unreachable), or that
 * cannot be reached, gets nothing more. */
static void take_errors(struct osc_server *s)
{
	for (int k = 0; k < OSC_BURST; k++) {
		struct sockaddr_storage addr;
		unsigned char data[64], ctrl[512];
		struct iovec iov = { .iov_base = data, .iov_len = sizeof data };
		struct msghdr mh = { .msg_name = &addr, .msg_namelen = sizeof addr, .msg_iov = &iov, .msg_iovlen = 1,
				     .msg_control = ctrl, .msg_controllen = sizeof ctrl };
		if (recvmsg(s->fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
			return;
		int why = 0;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) ||
			    (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR)) {
				struct sock_extended_err ee;
				memcpy(&ee, CMSG_DATA(c), sizeof ee);
				if (ee.ee_origin == SO_EE_ORIGIN_ICMP || ee.ee_origin == SO_EE_ORIGIN_ICMP6)
					why = (int)ee.ee_errno;
			}
		}
		if (!why || mh.msg_namelen == 0 || mh.msg_namelen > sizeof addr)
			continue;
		struct sender gone = { .len = mh.msg_namelen };
		memcpy(&gone.addr, &addr, mh.msg_namelen);
		sender_name(&gone);
		pthread_mutex_lock(&s->feed_lock);
		size_t i = dest_find(s->subs, s->n_subs, &gone);
		if (i < s->n_subs) {
			log_info("OSC feedback to %s:%s ended: %s", gone.host, gone.port, strerror(why));
			dest_remove(s->subs, &s->n_subs, i);
		}
		i = dest_find(s->pending, s->n_pending, &gone);
		if (i < s->n_pending)
			dest_remove(s->pending, &s->n_pending, i);
		pthread_mutex_unlock(&s->feed_lock);
	}
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
	if (feedback_only(path)) {
		log_limited(&s->lim_ignored, LOG_DEBUG, "OSC from %s:%s: %s ignored (tingled only sends it)", from->host,
			    from->port, path);
		return 0;
	}
	pthread_mutex_lock(&s->feed_lock);
	bool echo = echo_of_feedback(s, from, path, msg);
	pthread_mutex_unlock(&s->feed_lock);
	if (echo) {
		log_limited(&s->lim_ignored, LOG_DEBUG, "OSC from %s:%s: %s ignored (an echo of tingled's feedback)",
			    from->host, from->port, path);
		return 0;
	}
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
	if (!allowed(s, &from)) {
		log_limited(&s->lim_denied, LOG_DEBUG, "OSC from %s:%s ignored: sender not in [osc] allow",
			    from.host, from.port);
		return;
	}
	/* From tingled's own socket: its feedback come back (or a forgery). */
	if (is_self(s, &from)) {
		log_limited(&s->lim_ignored, LOG_DEBUG, "OSC from %s:%s ignored: tingled's own port", from.host,
			    from.port);
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
	log_limit_flush(&s->lim_ignored);
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
		pthread_mutex_lock(&s->feed_lock);
		prune(s, now_s());
		pthread_mutex_unlock(&s->feed_lock);
		if (r < 0 && errno != EINTR)
			break;
		if (r <= 0)
			continue;
		if (pf[1].revents)
			break;
		if (pf[0].revents & POLLERR)
			take_errors(s);
		for (int k = 0; k < OSC_BURST; k++) {
			struct sockaddr_storage addr;
			socklen_t len = sizeof addr;
			ssize_t n = recvfrom(s->fd, s->buf, sizeof s->buf, MSG_DONTWAIT | MSG_TRUNC,
					     (struct sockaddr *)&addr, &len);
			if (n < 0 && icmp_reported(errno))
				continue; /* an ICMP error for something sent, told here once */
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
	struct allow_rule rules[CONF_MAX_LIST];
	size_t n_rules = 0;
	for (size_t i = 0; i < conf->n_osc_allow && n_rules < CONF_MAX_LIST; i++) {
		if (allow_rule_parse(conf->osc_allow[i], &rules[n_rules]))
			n_rules++;
		else
			log_warn("[osc] allow: '%s' is not an address, network or prefix; left out", conf->osc_allow[i]);
	}
	if (conf->n_osc_allow == 0) { /* this machine and the private networks */
		char list[] = CONF_OSC_ALLOW_DEFAULT, *save = NULL;
		for (char *w = strtok_r(list, " ", &save); w && n_rules < CONF_MAX_LIST; w = strtok_r(NULL, " ", &save))
			if (allow_rule_parse(w, &rules[n_rules]))
				n_rules++;
	}
	pthread_mutex_lock(&s->allow_lock);
	memcpy(s->allow, rules, n_rules * sizeof rules[0]);
	s->n_allow = n_rules;
	pthread_mutex_unlock(&s->allow_lock);
	struct sender targets[CONF_MAX_LIST];
	size_t n = 0;
	for (size_t i = 0; i < conf->n_osc_feedback && n < CONF_MAX_LIST; i++) {
		if (!resolve_target(conf->osc_feedback[i], &targets[n]))
			log_warn("[osc] feedback: cannot find %s; no feedback goes there", conf->osc_feedback[i]);
		else if (is_self(s, &targets[n]))
			log_warn("[osc] feedback: %s is tingled's own OSC port (feedback there would loop); none goes there",
				 conf->osc_feedback[i]);
		else
			n++;
	}
	pthread_mutex_lock(&s->feed_lock);
	memcpy(s->targets, targets, n * sizeof targets[0]);
	s->n_targets = n;
	s->lifetime = conf->osc_subscription_s > 0.0f ? conf->osc_subscription_s : 60.0;
	pthread_mutex_unlock(&s->feed_lock);
}

void osc_server_attach(struct osc_server *s)
{
	struct ctl_sink sink = { .ctx = s, .send = feed_send, .subscribe = feed_subscribe,
				 .unsubscribe = feed_unsubscribe, .confirmed = feed_confirmed,
				 .listening = feed_listening };
	control_set_sink(s->ctl, &sink);
}

/* ICMP errors for what the socket sends come back on its error queue
 * (a subscriber whose port closed is dropped at once). */
static void want_errors(int fd, int family)
{
	int on = 1;
	(void)setsockopt(fd, IPPROTO_IP, IP_RECVERR, &on, sizeof on);
	if (family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &on, sizeof on);
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
		    bind(fd, (struct sockaddr *)&a6, sizeof a6) == 0) {
			want_errors(fd, AF_INET6);
			return fd;
		}
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
	want_errors(fd, AF_INET);
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
	osc_server_set_allow(s, conf); /* once the port is known: no feedback to it */
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
