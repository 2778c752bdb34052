#include "config.h"
#include "drivers/nsm.h"

#include <lo/lo.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"

#define NSM_API_MAJOR 1
#define NSM_API_MINOR 1

/* The numeric addresses the manager's host name stands for. */
#define NSM_MAX_HOSTS 8

struct nsm {
	lo_server server;
	lo_address manager;
	char manager_hosts[NSM_MAX_HOSTS][64];
	size_t n_manager_hosts;
	char manager_port[16];
	struct log_limit lim_stranger;
	bool open_pending;
	char path[4096];
	char client_id[256];
	bool save_pending;
	bool dirty_known, dirty;
};

/* An IPv4 address as the dual-stack socket shows it ("::ffff:1.2.3.4")
 * compared as itself. */
static const char *plain_host(const char *h)
{
	return !strncmp(h, "::ffff:", 7) && strchr(h + 7, '.') ? h + 7 : h;
}

static bool is_loopback(const char *h)
{
	return !strncmp(h, "127.", 4) || !strcmp(h, "::1");
}

/* Is msg from the session manager? Only the NSM_URL server (its address
 * and its port) may open a session, ask for a save or answer: anybody else
 * on the machine could otherwise pick the session folder, the state file
 * and the JACK name, or make tingled write at will. A loopback manager may
 * answer from any loopback address (127.0.0.1 and 127.0.1.1 are one
 * machine), never from another port. */
static bool from_manager(struct nsm *m, lo_message msg, const char *path)
{
	lo_address src = msg ? lo_message_get_source(msg) : NULL;
	const char *host = src ? lo_address_get_hostname(src) : NULL;
	const char *port = src ? lo_address_get_port(src) : NULL;
	if (host && port && !strcmp(port, m->manager_port)) {
		const char *h = plain_host(host);
		for (size_t i = 0; i < m->n_manager_hosts; i++) {
			const char *mh = m->manager_hosts[i];
			if (!strcmp(h, mh) || (is_loopback(h) && is_loopback(mh)))
				return true;
		}
	}
	log_limited(&m->lim_stranger, LOG_WARN, "session manager: %s from %s:%s ignored: not the manager at %s",
		    path, host ? host : "?", port ? port : "?", m->manager_port);
	return false;
}

/* The manager's host name, resolved once: the addresses its answers may
 * come from. */
static bool resolve_manager(struct nsm *m)
{
	const char *host = lo_address_get_hostname(m->manager);
	const char *port = lo_address_get_port(m->manager);
	if (!host || !port)
		return false;
	str_copy(m->manager_port, sizeof m->manager_port, port);
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *res = NULL;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return false;
	for (struct addrinfo *a = res; a && m->n_manager_hosts < NSM_MAX_HOSTS; a = a->ai_next) {
		char h[64];
		if (getnameinfo(a->ai_addr, a->ai_addrlen, h, sizeof h, NULL, 0, NI_NUMERICHOST) == 0)
			str_copy(m->manager_hosts[m->n_manager_hosts++], sizeof m->manager_hosts[0], plain_host(h));
	}
	freeaddrinfo(res);
	return m->n_manager_hosts > 0;
}

static int on_open(const char *path, const char *types, lo_arg **argv, int argc, lo_message msg, void *u)
{
	struct nsm *m = u;
	(void)types;
	(void)argc;
	if (!from_manager(m, msg, path))
		return 0;
	str_copy(m->path, sizeof m->path, (const char *)argv[0]);
	str_copy(m->client_id, sizeof m->client_id, (const char *)argv[2]);
	m->open_pending = true;
	return 0;
}

static int on_save(const char *path, const char *types, lo_arg **argv, int argc, lo_message msg, void *u)
{
	(void)types;
	(void)argv;
	(void)argc;
	if (from_manager(u, msg, path))
		((struct nsm *)u)->save_pending = true;
	return 0;
}

static int on_reply(const char *path, const char *types, lo_arg **argv, int argc, lo_message msg, void *u)
{
	if (!from_manager(u, msg, path))
		return 0;
	if (argc >= 3 && types[0] == 's' && !strcmp((const char *)argv[0], "/nsm/server/announce") && types[2] == 's')
		log_info("session manager %s: %s", (const char *)argv[2], types[1] == 's' ? (const char *)argv[1] : "");
	return 0;
}

static int on_error(const char *path, const char *types, lo_arg **argv, int argc, lo_message msg, void *u)
{
	if (!from_manager(u, msg, path))
		return 0;
	if (argc >= 3 && types[0] == 's' && types[1] == 'i' && types[2] == 's') {
		int32_t code; /* liblo's arguments need not be aligned */
		memcpy(&code, argv[1], sizeof code);
		log_error("session manager: %s failed (%d): %s", (const char *)argv[0], code, (const char *)argv[2]);
	}
	return 0;
}

static int on_other(const char *path, const char *types, lo_arg **argv, int argc, lo_message msg, void *u)
{
	(void)types;
	(void)argv;
	(void)argc;
	if (from_manager(u, msg, path))
		log_debug("session manager: %s ignored", path);
	return 0;
}

struct nsm *nsm_start(const char *url, const char *argv0, char *err, size_t errlen)
{
	struct nsm *m = calloc(1, sizeof *m);
	if (!m) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	m->manager = lo_address_new_from_url(url);
	int proto = m->manager ? lo_address_get_protocol(m->manager) : -1;
	m->server = m->manager && resolve_manager(m) ? lo_server_new_with_proto(NULL, proto, NULL) : NULL;
	if (!m->server) {
		snprintf(err, errlen, "NSM_URL '%s': not a session manager's OSC address", url);
		nsm_stop(m);
		return NULL;
	}
	lo_server_add_method(m->server, "/nsm/client/open", "sss", on_open, m);
	lo_server_add_method(m->server, "/nsm/client/save", "", on_save, m);
	lo_server_add_method(m->server, "/reply", NULL, on_reply, m);
	lo_server_add_method(m->server, "/error", NULL, on_error, m);
	lo_server_add_method(m->server, NULL, NULL, on_other, m);
	const char *exe = strrchr(argv0, '/');
	if (lo_send_from(m->manager, m->server, LO_TT_IMMEDIATE, "/nsm/server/announce", "sssiii", "tingle",
			 ":dirty:", exe ? exe + 1 : argv0, NSM_API_MAJOR, NSM_API_MINOR, (int)getpid()) < 0) {
		snprintf(err, errlen, "NSM_URL '%s': cannot reach the session manager", url);
		nsm_stop(m);
		return NULL;
	}
	return m;
}

void nsm_stop(struct nsm *m)
{
	if (!m)
		return;
	if (m->server)
		lo_server_free(m->server);
	if (m->manager)
		lo_address_free(m->manager);
	free(m);
}

void nsm_poll(struct nsm *m)
{
	while (lo_server_recv_noblock(m->server, 0) > 0)
		;
	log_limit_flush(&m->lim_stranger);
}

bool nsm_take_open(struct nsm *m, char *path, size_t pathlen, char *client_id, size_t idlen)
{
	if (!m->open_pending)
		return false;
	m->open_pending = false;
	str_copy(path, pathlen, m->path);
	str_copy(client_id, idlen, m->client_id);
	return true;
}

bool nsm_take_save(struct nsm *m)
{
	bool s = m->save_pending;
	m->save_pending = false;
	return s;
}

void nsm_reply(struct nsm *m, const char *method, const char *message)
{
	lo_send_from(m->manager, m->server, LO_TT_IMMEDIATE, "/reply", "ss", method, message);
}

void nsm_error(struct nsm *m, const char *method, int code, const char *message)
{
	lo_send_from(m->manager, m->server, LO_TT_IMMEDIATE, "/error", "sis", method, code, message);
}

void nsm_set_dirty(struct nsm *m, bool dirty)
{
	if (m->dirty_known && m->dirty == dirty)
		return;
	m->dirty_known = true;
	m->dirty = dirty;
	lo_send_from(m->manager, m->server, LO_TT_IMMEDIATE, dirty ? "/nsm/client/is_dirty" : "/nsm/client/is_clean",
		     "");
}
