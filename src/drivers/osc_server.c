#include "config.h"
#include "drivers/osc_server.h"

#include <lo/lo.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "ctl/conf.h"
#include "ctl/control.h"

#define OSC_MAX_ARGS 8

struct osc_server {
	lo_server_thread thread;
	struct control *ctl;
	struct engine_queue *queue;
	int port;
	pthread_mutex_t allow_lock;
	char allow[CONF_MAX_LIST][64];
	size_t n_allow;
};

static void on_lo_error(int num, const char *msg, const char *where)
{
	log_warn("OSC: %s%s%s (%d)", msg ? msg : "error", where ? " at " : "", where ? where : "", num);
}

/* An [osc] allow entry is a whole address, or a prefix when it ends in
 * '.' or ':' ("192.168.1." admits the whole network). */
static bool allowed(struct osc_server *s, const char *host)
{
	if (host && !strncmp(host, "::ffff:", 7) && strchr(host + 7, '.'))
		host += 7; /* an IPv4 sender on an IPv6 socket */
	bool ok;
	pthread_mutex_lock(&s->allow_lock);
	ok = s->n_allow == 0;
	for (size_t i = 0; !ok && host && i < s->n_allow; i++) {
		const char *a = s->allow[i];
		size_t len = strlen(a);
		bool prefix = len && (a[len - 1] == '.' || a[len - 1] == ':');
		ok = prefix ? !strncmp(host, a, len) : !strcmp(host, a);
	}
	pthread_mutex_unlock(&s->allow_lock);
	return ok;
}

static void reply_error(lo_server srv, lo_address to, const char *text)
{
	lo_message m = lo_message_new();
	if (!m)
		return;
	lo_message_add_string(m, text);
	lo_send_message_from(to, srv, "/error", m);
	lo_message_free(m);
}

static int on_message(const char *path, const char *types, lo_arg **argv, int argc, lo_message msg,
		      void *user)
{
	struct osc_server *s = user;
	lo_address from = lo_message_get_source(msg);
	const char *host = from ? lo_address_get_hostname(from) : NULL;
	const char *port = from ? lo_address_get_port(from) : NULL;
	lo_server srv = lo_server_thread_get_server(s->thread);
	if (!allowed(s, host)) {
		log_debug("OSC %s from %s:%s ignored: sender not in [osc] allow", path, host ? host : "?",
			  port ? port : "?");
		return 0;
	}

	struct ctl_arg args[OSC_MAX_ARGS];
	char err[512];
	if (argc > OSC_MAX_ARGS) {
		snprintf(err, sizeof err, "%s: too many arguments (%d)", path, argc);
		goto refuse;
	}
	for (int i = 0; i < argc; i++) {
		struct ctl_arg *a = &args[i];
		memset(a, 0, sizeof *a);
		/* liblo's argument pointers point into the packet and need not be
		 * aligned for their type: copy the bytes out. */
		const void *raw = argv[i];
		float f;
		double dbl;
		int32_t i32;
		int64_t i64;
		switch (types[i]) {
		case LO_FLOAT: memcpy(&f, raw, sizeof f); a->type = 'f'; a->f = f; break;
		case LO_DOUBLE: memcpy(&dbl, raw, sizeof dbl); a->type = 'f'; a->f = (float)dbl; break;
		case LO_INT32: memcpy(&i32, raw, sizeof i32); a->type = 'i'; a->i = i32; break;
		case LO_INT64: memcpy(&i64, raw, sizeof i64); a->type = 'i'; a->i = (int32_t)i64; break;
		case LO_TRUE: a->type = 'f'; a->f = 1.0f; break;
		case LO_FALSE: a->type = 'f'; a->f = 0.0f; break;
		case LO_STRING:
		case LO_SYMBOL: a->type = 's'; a->s = (const char *)raw; break;
		default:
			snprintf(err, sizeof err, "%s: argument %d has unsupported type '%c'", path, i + 1,
				 types[i]);
			goto refuse;
		}
	}
	struct ctl_reply reply;
	int rc = control_dispatch(s->ctl, s->queue, 0, path, args, argc, &reply, err, sizeof err);
	if (rc < 0)
		goto refuse;
	if (rc == 1 && from) {
		lo_message m = lo_message_new();
		for (int i = 0; m && i < reply.argc; i++) {
			const struct ctl_arg *a = &reply.args[i];
			if (a->type == 'f')
				lo_message_add_float(m, a->f);
			else if (a->type == 'i')
				lo_message_add_int32(m, a->i);
			else
				lo_message_add_string(m, a->s);
		}
		if (m) {
			lo_send_message_from(from, srv, reply.path, m);
			lo_message_free(m);
		}
	}
	return 0;
refuse:
	log_warn("OSC from %s:%s: %s", host ? host : "?", port ? port : "?", err);
	if (from)
		reply_error(srv, from, err);
	return 0;
}

void osc_server_set_allow(struct osc_server *s, const struct tingle_conf *conf)
{
	pthread_mutex_lock(&s->allow_lock);
	s->n_allow = conf->n_osc_allow;
	for (size_t i = 0; i < s->n_allow; i++)
		str_copy(s->allow[i], sizeof s->allow[i], conf->osc_allow[i]);
	pthread_mutex_unlock(&s->allow_lock);
}

struct osc_server *osc_server_start(int port, struct control *ctl, struct engine_queue *q,
				    const struct tingle_conf *conf, char *err, size_t errlen)
{
	struct osc_server *s = calloc(1, sizeof *s);
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->ctl = ctl;
	s->queue = q;
	pthread_mutex_init(&s->allow_lock, NULL);
	osc_server_set_allow(s, conf);
	char pstr[16];
	snprintf(pstr, sizeof pstr, "%d", port);
	s->thread = lo_server_thread_new_with_proto(port ? pstr : NULL, LO_UDP, on_lo_error);
	if (!s->thread) {
		snprintf(err, errlen, "cannot listen for OSC on UDP port %d (in use?)", port);
		pthread_mutex_destroy(&s->allow_lock);
		free(s);
		return NULL;
	}
	s->port = lo_server_thread_get_port(s->thread);
	lo_server_thread_add_method(s->thread, NULL, NULL, on_message, s);
	if (lo_server_thread_start(s->thread) < 0) {
		snprintf(err, errlen, "cannot start the OSC server thread");
		lo_server_thread_free(s->thread);
		pthread_mutex_destroy(&s->allow_lock);
		free(s);
		return NULL;
	}
	return s;
}

int osc_server_port(const struct osc_server *s) { return s->port; }

void osc_server_stop(struct osc_server *s)
{
	if (!s)
		return;
	lo_server_thread_stop(s->thread);
	lo_server_thread_free(s->thread);
	pthread_mutex_destroy(&s->allow_lock);
	free(s);
}
