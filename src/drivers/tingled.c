/* tingled: the tingle daemon. The main thread loads files, builds engine
 * cores, watches signals and JACK, and frees what the audio thread let go
 * of; the OSC server has its own thread; JACK runs the engine. */
#include "config.h"

#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "common/version.h"
#include "config/conf.h"
#include "config/events.h"
#include "control/control.h"
#include "prep/hrtf.h"
#include "prep/gen_pool.h"
#include "prep/scene_build.h"
#include "control/setlist.h"
#include "drivers/alsa_seq.h"
#include "drivers/default_conf.h"
#include "drivers/jack_driver.h"
#include "drivers/nsm.h"
#include "control/session.h"
#include "drivers/osc_server.h"
#include "rt/engine.h"

/* Fades: in at start, out on SIGTERM/SIGINT. */
#define FADE_IN_S 0.05f
#define FADE_OUT_S 0.2f
#define RECONNECT_S 1.0

static atomic_int got_term, got_hup;
/* Set with got_term and never cleared: loads under way give up. */
static atomic_int cancel_loads;
/* Signals that would end the daemon by default but mean nothing to it
 * (SIGUSR1, SIGALRM...): one bit each, for the log. */
static atomic_ullong got_other;

static void on_signal(int sig)
{
	if (sig == SIGHUP) {
		atomic_store(&got_hup, 1);
	} else if (sig == SIGTERM || sig == SIGINT || sig == SIGQUIT) {
		atomic_store(&cancel_loads, 1);
		atomic_store(&got_term, 1);
	} else if (sig > 0 && sig < 64) {
		atomic_fetch_or(&got_other, 1ull << sig);
	}
}

/* Every signal whose default is to end the process is handled: SIGTERM,
 * SIGINT and SIGQUIT fade out and stop, SIGHUP reloads, the others are
 * noted in the log and change nothing (a stray kill -USR1, a timer, a CPU
 * limit must not end a show with no fade and no save). SIGPIPE is
 * ignored. Signals that mean a bug (SIGSEGV, SIGBUS, SIGFPE, SIGILL,
 * SIGABRT, SIGTRAP, SIGSYS) keep their default.
 *
 * They are blocked in every thread (threads made later, JACK's among
 * them, inherit the mask) and taken by one thread of their own with
 * sigwaitinfo: a signal never interrupts a system call elsewhere, where
 * libjack would take an interrupted read of its server socket for a
 * server gone away. */
static sigset_t handled_set;

static void *signal_thread(void *arg)
{
	(void)arg;
	for (;;) {
		int sig = sigwaitinfo(&handled_set, NULL);
		if (sig > 0)
			on_signal(sig);
	}
	return NULL;
}

static bool signals_install(void)
{
	static const int handled[] = {
		SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2, SIGALRM, SIGVTALRM, SIGPROF, SIGIO,
		SIGPWR, SIGSTKFLT, SIGXCPU, SIGXFSZ,
	};
	sigemptyset(&handled_set);
	for (size_t i = 0; i < TINGLE_ARRAY_LEN(handled); i++)
		sigaddset(&handled_set, handled[i]);
	for (int sig = SIGRTMIN; sig <= SIGRTMAX; sig++)
		sigaddset(&handled_set, sig);
	signal(SIGPIPE, SIG_IGN);
	/* Writing to a terminal from the background goes on. */
	signal(SIGTTOU, SIG_IGN);
	signal(SIGTTIN, SIG_IGN);
	pthread_sigmask(SIG_BLOCK, &handled_set, NULL);
	pthread_t t;
	if (pthread_create(&t, NULL, signal_thread, NULL) != 0)
		return false;
	pthread_detach(t);
	return true;
}

/* Signals that change nothing: each said once it came. */
static void signals_note(void)
{
	unsigned long long got = atomic_exchange(&got_other, 0);
	for (int sig = 1; sig < 64; sig++)
		if (got & (1ull << sig))
			log_info("signal %d (%s) ignored: SIGHUP reloads, SIGTERM or SIGINT stops", sig, strsignal(sig));
}

struct options {
	const char *config;
	const char *scene;
	const char *name;
	const char *server;
	const char *hrtf;
	int osc_port;      /* -1: from the config */
	bool no_connect;
	bool check;
	const char *tour; /* --tour: an events file played in real time */
};

struct daemon {
	struct options opt;
	struct tingle_conf *conf;
	struct hrtf_set *hrtf;
	struct engine *engine;
	struct control *ctl;
	struct engine_queue *main_q;
	struct engine_queue *osc_q;
	struct jack_driver *jack;
	struct osc_server *osc;
	struct alsa_seq *seq;
	int slots[CONF_MAX_INPUTS];
	/* Cores are built on the main thread (start, a new HRTF set or rate)
	 * and in JACK's buffer-size callback: one at a time, under core_lock,
	 * which also guards hrtf and block while a client is open. */
	pthread_mutex_t core_lock;
	unsigned block;    /* block size of the newest core */
	unsigned block_said; /* the block size last logged (main thread's) */
	struct setlist *setlist;          /* the scenes of the show */
	struct retired *retiring;         /* replaced setlists the engine still plays from */
	size_t n_retiring;
	unsigned scenes_rate;             /* rate the scenes were built at */
	struct load_job *job;             /* a load under way on the loader thread */
	bool rescene;                     /* the scenes again at a new rate, when the loader is free */
	/* A scene switch waiting for its scene to load (the latest request). */
	bool want;
	char want_name[CONF_NAME_MAX];
	int want_index, want_step;
	char preload_failed[PATH_MAX];    /* a scene that would not load: not tried again */
	struct log_limit lim_queue;       /* main queue full */
	/* Under a session manager (NSM_URL set). */
	struct nsm *nsm;
	char client_id[CONF_NAME_MAX];
	char state_file[PATH_MAX];
	struct session *session;          /* what was saved, applied once the scenes play */
	bool session_open;                /* /nsm/client/open answered */
	bool said_no_connect;             /* logged that a session makes no connections */
	bool start_required;              /* the next load's start scene must load */
	/* --tour: its events, the next one due, and when the first scene
	 * began to play (seconds, monotonic clock). */
	struct event_list tour;
	size_t tour_next;
	double tour_t0;
};

/* A setlist that was replaced while the engine still plays from it: freed
 * only when the engine has handed back every scene of it, however fast
 * reloads come. */
struct retired {
	struct setlist *sl;
	struct retired *next;
};

/* Reloads wait (and collapse into one) while this many replaced setlists
 * still ring out, so a burst of SIGHUPs cannot pile up scenes in memory. */
#define RETIRING_MAX 8

/* A load on the loader thread: the configuration (on SIGHUP), the HRTF
 * set when its file changed, and the scenes with the one to start on.
 * Reading files and building scenes takes time; the main thread stays
 * free to fade out on SIGTERM, take scene requests and free what the
 * engine hands back, and makes the result current when it is done. */
struct load_job {
	pthread_t thread;
	atomic_int done;
	/* In */
	bool read_conf;                  /* false: the scenes of conf_in again */
	bool one_scene;                  /* only the scene file in `start`, for the setlist playing */
	uint64_t seed;
	struct options opt;
	const struct tingle_conf *conf_in;
	char sofa_now[PATH_MAX];         /* the set playing: loaded again only if it changes */
	unsigned rate;
	char start[PATH_MAX];            /* scene to start on ("" = the start rule) */
	bool start_is_arg;               /* start may be a file */
	bool start_required;             /* no start rule when start fails (-s) */
	struct control *ctl;
	struct engine_queue *q;
	/* Out */
	struct loaded_scene *scene;      /* one_scene: built, not yet in the setlist */
	struct tingle_conf *conf;        /* read_conf: the new configuration */
	struct hrtf_set *hrtf;           /* a new set, when the file changed */
	struct setlist *setlist;         /* loaded, not yet switched */
	int rc;
	char err[1024];
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: tingled [OPTION]...\n"
		"tingle's daemon: a JACK client that places sounds and live inputs around the\n"
		"listener's head (binaural, for headphones), played over OSC and MIDI.\n\n"
		"  -c, --config FILE      configuration file\n"
		"  -s, --scene NAME|FILE  first scene\n"
		"  -n, --name NAME        JACK client name (tingle)\n"
		"  -S, --server NAME      JACK server name\n"
		"  -p, --osc-port PORT    OSC UDP port (8000; 0 = any free port)\n"
		"      --hrtf FILE.sofa   HRTF set\n"
		"      --no-connect       do not connect any ports\n"
		"      --check            load and check the configuration and HRTF, print a\n"
		"                         summary, exit 0 (good) or 2 (not good)\n"
		"      --tour FILE        play an events file (as tingle-render -e reads) in\n"
		"                         real time from when the first scene plays, then go\n"
		"                         on live\n"
		"  -v, --verbose          more messages\n"
		"  -q, --quiet            errors only\n"
		"  -V, --version          print the version, copyright and licence, and exit\n"
		"  -h, --help             print this help and exit\n\n"
		"Without -c: $XDG_CONFIG_HOME/tingle/tingled.conf (~/.config/tingle/tingled.conf),\n"
		"then %s/tingle/tingled.conf, then built-in defaults.\n",
		SYSCONFDIR);
}

/* Load the configuration the options name and apply the options over it. */
static int load_conf(const struct options *o, struct tingle_conf *c, char *err, size_t n)
{
	conf_defaults(c);
	char found[PATH_MAX];
	const char *path = o->config;
	if (!path && conf_find(found, sizeof found))
		path = found;
	if (path && conf_load(path, c, err, n) < 0)
		return -1;
	/* No file: the shipped tingled.conf, as compiled in. */
	if (!path && conf_parse_string(default_conf, "built-in defaults", c, err, n) < 0)
		return -1;
	if (o->name)
		str_copy(c->jack_name, sizeof c->jack_name, o->name);
	if (o->server)
		str_copy(c->jack_server, sizeof c->jack_server, o->server);
	if (o->hrtf)
		str_copy(c->sofa, sizeof c->sofa, o->hrtf);
	if (o->osc_port >= 0)
		c->osc_port = o->osc_port;
	if (o->no_connect)
		c->autoconnect = false;
	return 0;
}

static int check(const struct options *o)
{
	struct tingle_conf *c = calloc(1, sizeof *c);
	char err[1024];
	int status = 2;
	struct hrtf_set *h = NULL;
	if (!c)
		return 1;
	if (load_conf(o, c, err, sizeof err) < 0) {
		log_error("%s", err);
		goto out;
	}
	printf("config: %s\n", c->path[0] ? c->path : "(built-in defaults)");
	printf("jack: client %s%s%s, %s\n", c->jack_name, c->jack_server[0] ? " on server " : "",
	       c->jack_server, c->autoconnect ? "autoconnect" : "no autoconnect");
	printf("osc: UDP port %d\n", c->osc_port);
	printf("engine: %d sources, %d voices, ceiling %.1f dBFS, master %.1f dB\n", c->sources,
	       c->voices, (double)c->ceiling_db, (double)c->master_gain_db);
	for (size_t i = 0; i < c->n_inputs; i++) {
		const struct conf_input *in = &c->inputs[i];
		printf("input %s: port %s, gain %.1f dB%s, azimuth %.1f, elevation %.1f, distance %.2f m\n",
		       in->name, in->port[0] ? in->port : "(none)", (double)in->gain_db,
		       in->mute ? " (muted)" : "", (double)in->azimuth, (double)in->elevation,
		       (double)in->distance);
	}
	if (hrtf_load_limited(c->sofa, 48000, HRTF_LOAD_TIMEOUT_S, &cancel_loads, &h, err, sizeof err) < 0) {
		log_error("%s", err);
		goto out;
	}
	printf("hrtf: %s: %u directions, %u taps at 48000 Hz (file rate %u Hz)\n", c->sofa, h->n_dirs,
	       h->length, h->file_rate);
	{
		struct engine_options eo = { .n_sources = (unsigned)c->sources, .voices = (unsigned)c->voices };
		struct engine *e = engine_new(&eo);
		struct control *ctl = e ? control_new(e) : NULL;
		struct engine_queue *q = ctl ? engine_queue_open(e) : NULL;
		size_t n = 0;
		int rc = q ? control_apply_conf(ctl, q, c, NULL, err, sizeof err) : -1;
		if (rc == 0)
			rc = setlist_check(c, o->scene, 48000, ctl, &n, err, sizeof err);
		control_free(ctl);
		engine_free(e);
		if (rc < 0) {
			log_error("%s", q ? err : "out of memory");
			goto out;
		}
		printf("scenes: %zu checked (samples decoded, generators synthesised)\n", n);
	}
	if (o->tour) {
		struct event_list tour;
		if (events_load(o->tour, &tour, err, sizeof err) < 0) {
			log_error("--tour: %s", err);
			goto out;
		}
		printf("tour: %s: %zu events over %.1f s\n", o->tour, tour.n,
		       tour.n ? tour.ev[tour.n - 1].time : 0.0);
		events_free(&tour);
	}
	printf("ok\n");
	status = 0;
out:
	hrtf_free(h);
	free(c);
	return status;
}

/* A core for block (through d->hrtf) handed to the engine, under
 * core_lock: false when it cannot be built. */
static bool core_install(struct daemon *d, unsigned block)
{
	struct engine_core *core = engine_core_new(d->engine, d->hrtf, block);
	if (!core) {
		log_error("cannot build the engine for block size %u (out of memory?)", block);
		return false;
	}
	engine_set_core(d->engine, core);
	d->block = block;
	return true;
}

/* Play through a new HRTF set h (at the JACK rate): a new core takes over.
 * On failure h is freed and the old set stays. */
static int use_hrtf(struct daemon *d, struct hrtf_set *h)
{
	pthread_mutex_lock(&d->core_lock);
	struct hrtf_set *old = d->hrtf;
	d->hrtf = h;
	bool ok = core_install(d, jack_driver_block(d->jack));
	if (!ok)
		d->hrtf = old;
	pthread_mutex_unlock(&d->core_lock);
	/* A core holds its own copy of what it needs of a set. */
	hrtf_free(ok ? old : h);
	return ok ? 0 : -1;
}

/* JACK's block size changes (libjack's thread; JACK waits): the core for
 * it, before the first period of that size. The voices, sources and
 * inputs go on in the engine; the new core starts from what they played. */
static void block_changed(unsigned block, void *arg)
{
	struct daemon *d = arg;
	pthread_mutex_lock(&d->core_lock);
	if (block != d->block) {
		/* Quick: the whole server waits (jackd2), or plays this client's
		 * smaller periods silent until the core is there (PipeWire). */
		struct engine_core *core = engine_core_new_quick(d->engine, d->hrtf, block);
		if (!core)
			log_error("cannot build the engine for block size %u (out of memory?)", block);
		if (core) {
			/* No period runs now (jackd2 waits for this callback):
			 * the core hears what sounded here, not on the audio
			 * thread. Elsewhere the audio thread does it. */
			engine_core_prime(d->engine, core);
			engine_set_core(d->engine, core);
			d->block = block;
		}
	}
	pthread_mutex_unlock(&d->core_lock);
}

/* Open the JACK client and bring it to where the engine is. */
static int jack_start(struct daemon *d, char *err, size_t n)
{
	d->jack = jack_driver_open(d->conf->jack_name, d->conf->jack_server, d->engine,
				   d->conf->midi_jack, err, n);
	if (!d->jack)
		return -1;
	/* A server may give another name than the one asked for (PipeWire
	 * runs a second "tingle" as "tingle-63"): from here on every line and
	 * the ALSA client say the one it has. */
	if (strcmp(jack_driver_client_name(d->jack), d->conf->jack_name))
		log_warn("the JACK server named the client %s (asked for %s): its ports are %s:out_L and so on",
			 jack_driver_client_name(d->jack), d->conf->jack_name, jack_driver_client_name(d->jack));
	unsigned rate = jack_driver_rate(d->jack), block = jack_driver_block(d->jack);
	if (!d->hrtf || d->hrtf->rate != rate) {
		struct hrtf_set *h;
		if (hrtf_load_limited(d->conf->sofa, rate, HRTF_LOAD_TIMEOUT_S, &cancel_loads, &h, err, n) < 0) {
			jack_driver_close(d->jack);
			d->jack = NULL;
			return -2;
		}
		hrtf_free(d->hrtf);
		d->hrtf = h;
		log_info("HRTF %s: %u directions, %u taps at %u Hz", d->conf->sofa, h->n_dirs, h->length, rate);
	}
	pthread_mutex_lock(&d->core_lock);
	bool built = core_install(d, block);
	pthread_mutex_unlock(&d->core_lock);
	if (!built) {
		snprintf(err, n, "cannot build the engine");
		jack_driver_close(d->jack);
		d->jack = NULL;
		return -1;
	}
	d->block_said = block;
	jack_driver_on_block(d->jack, block_changed, d);
	jack_driver_sync_inputs(d->jack, d->conf, d->slots);
	if (jack_driver_activate(d->jack, err, n) < 0) {
		jack_driver_close(d->jack);
		d->jack = NULL;
		return -1;
	}
	/* Connections belong to the user (and to a patchbay or the session
	 * manager's jackpatch, which restores them): made once, here, at the
	 * first start. When the server went away and came back, the old
	 * connections went with it, so they are made again. */
	if (d->conf->autoconnect && d->nsm && !d->said_no_connect) {
		log_info("under a session manager: no automatic connections (the session restores them)");
		d->said_no_connect = true;
	}
	if (d->conf->autoconnect && !d->nsm)
		jack_driver_connect(d->jack, d->conf, false);
	log_info("JACK client %s running at %u Hz, %u frames per block", jack_driver_client_name(d->jack),
		 rate, block);
	return 0;
}

/* The scene a new setlist starts on: `start` (a name, or a file when
 * start_is_arg), else [scenes] start, else the first of the setlist. */
static int start_scene(struct setlist *sl, const struct tingle_conf *conf, const char *start,
		       bool start_is_arg, bool do_switch, char *err, size_t n)
{
	int (*fn)(struct setlist *, const char *, bool, int, int, char *, size_t) =
		do_switch ? setlist_switch : setlist_prepare;
	if (start && *start)
		return fn(sl, start, start_is_arg, -1, 0, err, n);
	if (conf->start[0])
		return fn(sl, conf->start, false, -1, 0, err, n);
	if (sl->n_names)
		return fn(sl, NULL, false, 0, 0, err, n);
	return 0;
}

/* Loader thread: everything that reads files. */
static void *load_run(void *arg)
{
	struct load_job *j = arg;
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL); /* signals are the main thread's */
	const struct tingle_conf *conf = j->conf_in;
	j->rc = -1;
	if (j->one_scene) {
		j->scene = setlist_load(j->start, conf, j->rate, j->seed, j->ctl, j->err, sizeof j->err);
		j->rc = j->scene ? 0 : -1;
		goto out;
	}
	if (j->read_conf) {
		j->conf = calloc(1, sizeof *j->conf);
		if (!j->conf) {
			snprintf(j->err, sizeof j->err, "out of memory");
			goto out;
		}
		if (load_conf(&j->opt, j->conf, j->err, sizeof j->err) < 0)
			goto out;
		conf = j->conf;
		/* Checked now even without a server, so a bad file is refused. */
		if (strcmp(conf->sofa, j->sofa_now) &&
		    hrtf_load_limited(conf->sofa, j->rate, HRTF_LOAD_TIMEOUT_S, &cancel_loads, &j->hrtf, j->err,
				      sizeof j->err) < 0)
			goto out;
	}
	j->setlist = setlist_new(conf, j->ctl, j->q, j->rate, 0, j->err, sizeof j->err);
	if (!j->setlist || setlist_preload(j->setlist, j->err, sizeof j->err) < 0)
		goto out;
	/* Once playing, scenes load here too, never on the main thread. */
	j->setlist->preload_elsewhere = true;
	/* The scene asked for; when it was only the one playing, the start
	 * rule if it no longer loads. */
	j->rc = start_scene(j->setlist, conf, j->start, j->start_is_arg, false, j->err, sizeof j->err);
	if (j->rc < 0 && j->start[0] && !j->start_required) {
		j->start[0] = '\0';
		j->rc = start_scene(j->setlist, conf, NULL, false, false, j->err, sizeof j->err);
	}
out:
	atomic_store(&j->done, 1);
	return NULL;
}

static void job_free(struct load_job *j)
{
	if (!j)
		return;
	if (j->scene)
		scene_unload(j->scene, j->ctl); /* never adopted */
	setlist_free(j->setlist); /* never handed to the engine */
	hrtf_free(j->hrtf);
	free(j->conf);
	free(j);
}

/* Start a load: the configuration again (read_conf) or the scenes of the
 * running one at rate. start: the scene to start on, if it still loads. */
static int job_launch(struct daemon *d, bool read_conf, unsigned rate, const char *start, bool start_is_arg,
		      bool one_scene)
{
	struct load_job *j = calloc(1, sizeof *j);
	if (!j) {
		log_error("out of memory: no load");
		return -1;
	}
	j->one_scene = one_scene;
	j->start_required = d->start_required; /* set before the thread reads it */
	d->start_required = false;
	j->seed = d->setlist ? d->setlist->seed : 0;
	j->read_conf = read_conf;
	j->opt = d->opt;
	j->conf_in = d->conf;
	str_copy(j->sofa_now, sizeof j->sofa_now, d->conf->sofa);
	j->rate = rate;
	str_copy(j->start, sizeof j->start, start ? start : "");
	j->start_is_arg = start_is_arg;
	j->ctl = d->ctl;
	j->q = d->main_q;
	if (pthread_create(&j->thread, NULL, load_run, j) != 0) {
		log_error("cannot start the loader thread");
		free(j);
		return -1;
	}
	d->job = j;
	return 0;
}

static int job_start(struct daemon *d, bool read_conf, unsigned rate, const char *start, bool start_is_arg)
{
	return job_launch(d, read_conf, rate, start, start_is_arg, false);
}

/* Load one scene file for the setlist playing. */
static int job_start_scene(struct daemon *d, const char *path)
{
	return job_launch(d, false, d->setlist->rate, path, true, true);
}

/* A finished job, joined; NULL while it runs. */
static struct load_job *job_take(struct daemon *d)
{
	struct load_job *j = d->job;
	if (!j || !atomic_load(&j->done))
		return NULL;
	pthread_join(j->thread, NULL);
	d->job = NULL;
	return j;
}

static void retire(struct daemon *d, struct setlist *sl)
{
	if (!sl)
		return;
	sl->conf = NULL; /* it loads nothing more */
	setlist_drop_idle(sl);
	if (setlist_in_engine(sl) == 0) {
		setlist_free(sl);
		return;
	}
	struct retired *r = malloc(sizeof *r);
	if (!r) {
		/* Never free what the engine plays from: keep it, lost. */
		log_error("out of memory: a replaced setlist stays in memory");
		return;
	}
	r->sl = sl;
	r->next = d->retiring;
	d->retiring = r;
	d->n_retiring++;
}

/* Make the job's setlist the show: switch to its start scene, retire the
 * old setlist. */
static int scenes_take(struct daemon *d, struct load_job *j, const struct tingle_conf *conf, char *err,
		       size_t n)
{
	if (start_scene(j->setlist, conf, j->start, j->start_is_arg, true, err, n) < 0)
		return -1;
	retire(d, d->setlist);
	d->setlist = j->setlist;
	j->setlist = NULL;
	d->scenes_rate = j->rate;
	if (!d->setlist->playing)
		log_info("no scene: %s has no scenes", d->setlist->dir[0] ? d->setlist->dir : "the scenes folder");
	return 0;
}

static void scene_released(struct daemon *d, const void *eng)
{
	if (d->setlist && setlist_released(d->setlist, eng))
		return;
	for (struct retired **p = &d->retiring; *p; p = &(*p)->next) {
		struct retired *r = *p;
		if (!setlist_released(r->sl, eng))
			continue;
		if (setlist_in_engine(r->sl) == 0) {
			setlist_free(r->sl);
			*p = r->next;
			free(r);
			d->n_retiring--;
		}
		return;
	}
}

/* A reload job is done: make its configuration, HRTF set and scenes
 * current, or keep the running ones and say why. */
static void reload_finish(struct daemon *d, struct load_job *j)
{
	char err[1024];
	struct tingle_conf *nc = j->conf;
	if (j->rc < 0 || !nc) {
		log_error("reload: %s; keeping the running configuration", j->err);
		return;
	}
	int slots[CONF_MAX_INPUTS];
	if (control_apply_conf(d->ctl, d->main_q, nc, slots, err, sizeof err) < 0) {
		log_error("reload: %s", err);
		return;
	}
	struct hrtf_set *nh = j->hrtf;
	j->hrtf = NULL;
	if (nh && !d->jack) {
		/* No server: the new set is used when it comes back. */
		hrtf_free(d->hrtf);
		d->hrtf = nh;
	} else if (nh) {
		if (use_hrtf(d, nh) == 0)
			log_info("HRTF %s: %u directions", d->hrtf->path, d->hrtf->n_dirs);
		else
			str_copy(nc->sofa, sizeof nc->sofa, d->conf->sofa); /* still the old set */
	}
	unsigned rate = d->jack ? jack_driver_rate(d->jack) : d->scenes_rate;
	/* The scene playing now, which may not be the one when the job began. */
	const char *playing = d->setlist ? setlist_playing_path(d->setlist) : "";
	if (playing[0]) {
		str_copy(j->start, sizeof j->start, playing);
		j->start_is_arg = true;
	}
	if (d->setlist && scenes_take(d, j, nc, err, sizeof err) < 0)
		log_error("reload: %s; the scenes stay as they were", err);
	if (d->setlist)
		d->setlist->conf = nc; /* the old one is about to be freed */
	if (rate != d->scenes_rate)
		d->rescene = true;
	if (strcmp(nc->jack_name, d->conf->jack_name) || strcmp(nc->jack_server, d->conf->jack_server))
		log_warn("reload: the JACK client name and server change at the next start");
	memcpy(d->slots, slots, sizeof slots);
	if (d->jack) {
		jack_driver_sync_inputs(d->jack, nc, d->slots);
		/* Only the ports this reload made (a new [input]): what the user
		 * connected or took apart stays so. */
		if (nc->autoconnect && !d->nsm)
			jack_driver_connect(d->jack, nc, true);
	}
	if (d->osc && nc->osc_port != d->conf->osc_port) {
		struct osc_server *s = osc_server_start(nc->osc_port, d->ctl, d->osc_q, nc, err, sizeof err);
		if (s) {
			osc_server_stop(d->osc);
			d->osc = s;
			osc_server_attach(s);
			log_info("listening for OSC on UDP port %d", osc_server_port(s));
		} else {
			log_error("reload: %s; OSC stays on port %d", err, osc_server_port(d->osc));
			nc->osc_port = d->conf->osc_port;
		}
	} else if (d->osc) {
		osc_server_set_allow(d->osc, nc);
	}
	free(d->conf);
	d->conf = nc;
	j->conf = NULL;
	log_info("reloaded %s", nc->path[0] ? nc->path : "the built-in defaults");
	control_send_state(d->ctl, NULL); /* tablets follow */
}

/* The scenes again at a new rate are ready. */
static void rescene_finish(struct daemon *d, struct load_job *j)
{
	char err[1024];
	unsigned rate = d->jack ? jack_driver_rate(d->jack) : j->rate;
	if (j->rc == 0 && rate == j->rate) {
		const char *playing = d->setlist ? setlist_playing_path(d->setlist) : "";
		if (playing[0]) {
			str_copy(j->start, sizeof j->start, playing);
			j->start_is_arg = true;
		}
		if (scenes_take(d, j, d->conf, err, sizeof err) < 0)
			log_error("scenes at %u Hz: %s", j->rate, err);
	} else if (j->rc < 0) {
		log_error("scenes at %u Hz: %s", j->rate, j->err);
	}
	if (rate != d->scenes_rate)
		d->rescene = true;
}

/* Start what is waiting when the loader is free: a reload (SIGHUP, any
 * number of them since the last one: they collapse into one) once the
 * engine has let go of enough replaced setlists, else the scenes at a new
 * rate. */
static void loads_next(struct daemon *d)
{
	if (d->job)
		return;
	if (atomic_load(&got_hup) && d->n_retiring < RETIRING_MAX) {
		atomic_store(&got_hup, 0);
		unsigned rate = d->jack ? jack_driver_rate(d->jack) : d->scenes_rate;
		job_start(d, true, rate, d->setlist ? setlist_playing_path(d->setlist) : "", true);
		return;
	}
	if (d->rescene && d->jack) {
		d->rescene = false;
		job_start(d, false, jack_driver_rate(d->jack),
			  d->setlist ? setlist_playing_path(d->setlist) : "", true);
		return;
	}
	/* A scene a switch waits for, else one the preload policy wants. */
	char path[PATH_MAX], err[1024];
	if (d->want && d->setlist &&
	    setlist_target(d->setlist, d->want_name, false, d->want_index, d->want_step, path, sizeof path, err,
			   sizeof err) == 0) {
		job_start_scene(d, path);
		return;
	}
	if (d->setlist && setlist_wanted(d->setlist, path, sizeof path) && strcmp(path, d->preload_failed))
		job_start_scene(d, path);
}

/* The scene a switch waits for is loaded, or there is none to switch to. */
static void scene_switch(struct daemon *d)
{
	char path[PATH_MAX], err[1024];
	if (!d->want || !d->setlist)
		return;
	int r = setlist_target(d->setlist, d->want_name, false, d->want_index, d->want_step, path, sizeof path,
			       err, sizeof err);
	if (r == 0)
		return; /* loading */
	d->want = false;
	if (r < 0 || setlist_switch(d->setlist, d->want_name, false, d->want_index, d->want_step, err,
				    sizeof err) < 0) {
		log_error("scene: %s; the scene playing goes on", err);
		control_scene_failed(d->ctl, err);
		return;
	}
	control_send_scene(d->ctl);
}

/* A scene loaded on the loader thread joins the setlist; a switch that
 * waited for it fails if it would not load. */
static void scene_loaded(struct daemon *d, struct load_job *j)
{
	if (j->rc < 0) {
		char path[PATH_MAX], err[1024];
		if (d->want && d->setlist &&
		    setlist_target(d->setlist, d->want_name, false, d->want_index, d->want_step, path, sizeof path,
				   err, sizeof err) == 0 &&
		    !strcmp(path, j->start)) {
			d->want = false;
			log_error("scene: %s; the scene playing goes on", j->err);
			control_scene_failed(d->ctl, j->err);
		} else {
			log_error("preloading: %s", j->err);
			str_copy(d->preload_failed, sizeof d->preload_failed, j->start);
		}
		return;
	}
	if (d->setlist && d->setlist->rate == j->rate)
		setlist_adopt(d->setlist, j->start, j->scene);
	else
		scene_unload(j->scene, d->ctl);
	j->scene = NULL;
}

static void loads_done(struct daemon *d)
{
	struct load_job *j = job_take(d);
	if (!j)
		return;
	if (j->one_scene)
		scene_loaded(d, j);
	else if (j->read_conf)
		reload_finish(d, j);
	else
		rescene_finish(d, j);
	if (!j->one_scene)
		d->preload_failed[0] = '\0'; /* new scenes or files: try again */
	job_free(j);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void send_cmd(struct daemon *d, struct engine_cmd cmd)
{
	if (!engine_queue_push(d->main_q, &cmd))
		log_limited(&d->lim_queue, LOG_WARN, "engine queue full: a command from the main thread was dropped");
}

/* ---- the tour (--tour) ---- */

/* An event as its line reads, for the log. */
static void tour_text(const struct tl_event *ev, char *buf, size_t n)
{
	size_t len;
	if (ev->midi_size) {
		len = (size_t)snprintf(buf, n, "midi");
		for (int i = 0; i < ev->midi_size && len < n; i++)
			len += (size_t)snprintf(buf + len, n - len, " %02x", ev->midi[i]);
		return;
	}
	len = (size_t)snprintf(buf, n, "%s", ev->path);
	for (int i = 0; i < ev->argc && len < n; i++) {
		const struct ctl_arg *a = &ev->args[i];
		if (a->type == 'i')
			len += (size_t)snprintf(buf + len, n - len, " %di", (int)a->i);
		else if (a->type == 'f')
			len += (size_t)snprintf(buf + len, n - len, " %g", (double)a->f);
		else
			len += (size_t)snprintf(buf + len, n - len, " %s", a->s);
	}
}

/* The tour's events that are due: each through the command table, as an
 * OSC command would go (a MIDI line as if from a MIDI port), and logged.
 * A refused one is logged and the tour goes on. */
static void tour_play(struct daemon *d)
{
	if (d->tour_next >= d->tour.n)
		return;
	double t = now_s() - d->tour_t0;
	while (d->tour_next < d->tour.n && d->tour.ev[d->tour_next].time <= t) {
		const struct tl_event *ev = &d->tour.ev[d->tour_next++];
		char text[512], err[512];
		struct ctl_reply reply;
		tour_text(ev, text, sizeof text);
		if (ev->midi_size) {
			send_cmd(d, (struct engine_cmd){ .type = ENGINE_CMD_MIDI, .target = ev->midi_size,
							 .i = ev->midi[0] | ev->midi[1] << 8 | ev->midi[2] << 16 });
		} else if (control_dispatch(d->ctl, d->main_q, 0, ev->path, ev->args, ev->argc, &reply, err,
					    sizeof err) < 0) {
			log_warn("tour %.1f s: %s: %s (%s:%d)", ev->time, text, err, d->tour.name, ev->line);
			continue;
		}
		log_info("tour %.1f s: %s", ev->time, text);
	}
	if (d->tour_next == d->tour.n)
		log_info("tour: done; playing on for OSC and MIDI");
}

/* ---- sessions (NSM) ---- */

/* Announce, and wait to be told which session to open: its client id
 * names the JACK client, its path holds the state. 0, or the exit status. */
static int nsm_open(struct daemon *d, const char *url, const char *argv0)
{
	char err[PATH_MAX + 256], path[PATH_MAX - 16], id[256];
	d->nsm = nsm_start(url, argv0, err, sizeof err);
	if (!d->nsm) {
		log_error("%s", err);
		return 1;
	}
	log_info("waiting for the session manager to open a session");
	while (!nsm_take_open(d->nsm, path, sizeof path, id, sizeof id)) {
		if (atomic_load(&got_term))
			return 0;
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
		nsm_poll(d->nsm);
	}
	/* A JACK client name: the id as the manager gave it, if it is one. */
	if (!*id || strlen(id) >= sizeof d->client_id || strchr(id, ':')) {
		nsm_error(d->nsm, "/nsm/client/open", -1, "client id is not a JACK client name");
		return 1;
	}
	str_copy(d->client_id, sizeof d->client_id, id);
	d->opt.name = d->client_id;
	if (mkdir(path, 0777) < 0 && errno != EEXIST) {
		snprintf(err, sizeof err, "%s: %s", path, strerror(errno));
		log_error("session: %s", err);
		nsm_error(d->nsm, "/nsm/client/open", -1, err);
		return 1;
	}
	snprintf(d->state_file, sizeof d->state_file, "%s/state.ini", path);
	d->session = calloc(1, sizeof *d->session);
	if (!d->session)
		return 1;
	int rc = session_read(d->state_file, d->session, err, sizeof err);
	if (rc < 0) {
		/* A damaged state: say so, and start from the configuration. */
		log_error("session: %s; starting from the configuration", err);
		memset(d->session, 0, sizeof *d->session);
	} else if (rc == 0 && d->session->scene[0]) {
		d->opt.scene = d->session->scene;
	}
	log_info("session %s: JACK client %s, state in %s%s", path, id, d->state_file,
		 rc == 1 ? " (new)" : "");
	return 0;
}

/* The scenes play: what was saved becomes current, and the manager hears
 * that the session is open. */
static void session_opened(struct daemon *d)
{
	session_apply(d->ctl, d->main_q, d->session, d->state_file);
	control_take_dirty(d->ctl, true);
	nsm_set_dirty(d->nsm, false);
	nsm_reply(d->nsm, "/nsm/client/open", "ok");
	d->session_open = true;
}

/* The scene to play again: its setlist name, else its file. */
static const char *session_scene(struct daemon *d)
{
	if (!d->setlist)
		return "";
	if (d->setlist->current >= 0)
		return d->setlist->names[d->setlist->current];
	return setlist_playing_path(d->setlist);
}

static void session_poll(struct daemon *d)
{
	char err[1024];
	nsm_poll(d->nsm);
	if (!d->session_open)
		return;
	if (nsm_take_save(d->nsm)) {
		if (session_write(d->ctl, d->state_file, session_scene(d), err, sizeof err) < 0) {
			log_error("session: cannot save: %s", err);
			nsm_error(d->nsm, "/nsm/client/save", -4, err);
		} else {
			control_take_dirty(d->ctl, true);
			nsm_set_dirty(d->nsm, false);
			nsm_reply(d->nsm, "/nsm/client/save", "saved");
			log_info("session saved to %s", d->state_file);
		}
	}
	char path[PATH_MAX], id[8];
	if (nsm_take_open(d->nsm, path, sizeof path, id, sizeof id))
		nsm_error(d->nsm, "/nsm/client/open", -1, "tingled opens one session per start; restart it");
	if (control_take_dirty(d->ctl, false))
		nsm_set_dirty(d->nsm, true);
}

static int run(struct daemon *d)
{
	char err[1024];
	struct engine_options eo = { .n_sources = (unsigned)d->conf->sources, .ceiling_db = d->conf->ceiling_db,
				     .master_db = d->conf->master_gain_db, .fft_measure = true,
				     .voices = (unsigned)d->conf->voices };
	d->engine = engine_new(&eo);
	d->ctl = d->engine ? control_new(d->engine) : NULL;
	d->main_q = d->ctl ? engine_queue_open(d->engine) : NULL;
	d->osc_q = d->main_q ? engine_queue_open(d->engine) : NULL;
	if (!d->osc_q) {
		log_error("out of memory");
		return 1;
	}
	if (control_apply_conf(d->ctl, d->main_q, d->conf, d->slots, err, sizeof err) < 0) {
		log_error("%s", err);
		return 2;
	}
	/* Start silent and fade in, so the first block cannot click. */
	send_cmd(d, (struct engine_cmd){ .type = ENGINE_CMD_FADE, .f = { 0.0f, 0.0f } });
	send_cmd(d, (struct engine_cmd){ .type = ENGINE_CMD_FADE, .f = { 1.0f, FADE_IN_S } });
	int rc = jack_start(d, err, sizeof err);
	if (rc < 0 && atomic_load(&got_term))
		return 0; /* stopped while the HRTF set loaded */
	if (rc < 0) {
		log_error("%s", err);
		return rc == -2 ? 2 : 1;
	}
	/* The first scenes load on the loader thread too, so that SIGTERM
	 * ends a start that takes long. */
	/* -s must load; a saved session's scene may have gone: then the
	 * start rule. */
	d->start_required = !(d->session && d->opt.scene == d->session->scene);
	if (job_start(d, false, jack_driver_rate(d->jack), d->opt.scene, true) < 0)
		return 1;

	struct load_job *first;
	while (!(first = job_take(d))) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
		if (atomic_load(&got_term))
			return 0; /* the loader is left behind: see main() */
	}
	if (first->rc < 0 || scenes_take(d, first, d->conf, err, sizeof err) < 0) {
		log_error("%s", first->rc < 0 ? first->err : err);
		job_free(first);
		return 2;
	}
	job_free(first);
	d->osc = osc_server_start(d->conf->osc_port, d->ctl, d->osc_q, d->conf, err, sizeof err);
	if (!d->osc) {
		log_error("%s", err);
		return 1;
	}
	osc_server_attach(d->osc);
	log_info("listening for OSC on UDP port %d", osc_server_port(d->osc));
	if (d->nsm)
		session_opened(d);
	control_send_state(d->ctl, NULL); /* to the [osc] feedback targets */
	if (d->conf->midi_alsa) {
		struct engine_queue *sq = engine_queue_open(d->engine);
		/* Named as the JACK client is, whatever the server made of the
		 * name asked for. */
		const char *name = d->jack ? jack_driver_client_name(d->jack) : d->conf->jack_name;
		d->seq = sq ? alsa_seq_start(name, sq, err, sizeof err) : NULL;
		if (d->seq)
			log_info("ALSA sequencer port %s:midi_in", name);
		else
			log_warn("%s", sq ? err : "no engine queue left for ALSA MIDI");
	}
	/* The tour's clock starts now: the first scene plays. */
	d->tour_t0 = now_s();
	if (d->tour.n)
		log_info("tour: %s, %zu events over %.1f s", d->tour.name, d->tour.n,
			 d->tour.ev[d->tour.n - 1].time);

	double fade_deadline = 0.0, next_try = 0.0;
	double midi_now = 0.0; /* engine time of the newest event, seconds */
	bool stopping = false;
	for (;;) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);

		struct engine_event ev;
		bool faded = false;
		double ev_rate = d->jack ? (double)jack_driver_rate(d->jack) : 48000.0;
		while (engine_event_poll(d->engine, &ev)) {
			midi_now = (double)ev.frame / ev_rate;
			if (ev.type == ENGINE_EV_FADE_DONE && ev.f[0] == 0.0f && stopping)
				faded = true;
			else if (ev.type == ENGINE_EV_MIDI)
				control_midi(d->ctl, d->main_q, ev.count, midi_now);
			else if (ev.type == ENGINE_EV_METER)
				control_send_meters(d->ctl, ev.f[0], ev.f[1]);
			else if (ev.type == ENGINE_EV_METER_INPUT)
				control_send_input_meter(d->ctl, (int)ev.count, ev.f[0]);
			else if (ev.type == ENGINE_EV_PLACE)
				control_send_moving_place(d->ctl, (int)ev.count, ev.f);
			else if (ev.type == ENGINE_EV_VOICES)
				control_set_voices(d->ctl, ev.count);
			else if (ev.type == ENGINE_EV_DROPPED)
				log_warn("%u engine events were dropped", ev.count);
			else if (ev.type == ENGINE_EV_SCENE_RELEASED)
				scene_released(d, ev.ptr);
			else if (ev.type == ENGINE_EV_STALE)
				log_debug("%u triggers arrived after their scene stopped playing", ev.count);
		}
		engine_collect(d->engine);
		control_tick(d->ctl, d->main_q, midi_now);
		if (!stopping)
			tour_play(d);

		if (atomic_exchange(&got_term, 0) && !stopping) {
			stopping = true;
			log_info("stopping");
			gen_pool_worker_ask_stop(); /* it stops while the sound fades */
			send_cmd(d, (struct engine_cmd){ .type = ENGINE_CMD_FADE, .f = { 0.0f, FADE_OUT_S } });
			fade_deadline = now_s() + FADE_OUT_S + 0.3;
		}
		if (stopping && (faded || now_s() > fade_deadline || !d->jack))
			break;
		/* Scene requests: the latest wins; one whose scene is not
		 * loaded waits for the loader thread. */
		if (control_take_scene_request(d->ctl, d->want_name, sizeof d->want_name, &d->want_index,
					       &d->want_step))
			d->want = true;
		loads_done(d);
		scene_switch(d);
		loads_next(d);

		if (d->jack && jack_driver_server_lost(d->jack)) {
			log_error("the JACK server went away; tingle keeps its state and reconnects when it is back");
			jack_driver_close(d->jack);
			d->jack = NULL;
			next_try = now_s() + RECONNECT_S;
		}
		if (!d->jack && now_s() >= next_try) {
			next_try = now_s() + RECONNECT_S;
			if (jack_start(d, err, sizeof err) == 0) {
				log_info("reconnected to the JACK server");
				if (d->setlist && jack_driver_rate(d->jack) != d->scenes_rate)
					d->rescene = true;
			} else {
				log_debug("reconnect: %s", err);
			}
		}
		unsigned block, rate;
		if (d->jack && jack_driver_take_rate_change(d->jack, &rate)) {
			/* The HRIRs are resampled to the new rate: load the set again. */
			struct hrtf_set *h;
			if (hrtf_load_limited(d->conf->sofa, rate, HRTF_LOAD_TIMEOUT_S, &cancel_loads, &h, err,
					      sizeof err) < 0) {
				log_error("sample rate now %u Hz: %s", rate, err);
			} else if (use_hrtf(d, h) == 0) {
				log_info("sample rate now %u Hz", rate);
				if (d->setlist)
					d->rescene = true;
			}
		}
		if (d->jack && jack_driver_take_block_change(d->jack, &block)) {
			/* Its core came in the callback; when it could not be built
			 * there, the engine plays on in blocks of the old size if
			 * they fit, and here is another try. */
			block_changed(block, d);
			pthread_mutex_lock(&d->core_lock);
			bool ok = d->block == block;
			pthread_mutex_unlock(&d->core_lock);
			if (ok && block != d->block_said)
				log_info("block size now %u frames", block);
			if (ok)
				d->block_said = block;
		}
		unsigned xruns = d->jack ? jack_driver_take_xruns(d->jack) : 0;
		if (xruns)
			log_debug("%u xruns", xruns);
		log_limit_flush(&d->lim_queue);
		signals_note();
		if (d->nsm)
			session_poll(d);
	}
	return 0;
}

int main(int argc, char **argv)
{
	enum { OPT_HRTF = 256, OPT_NO_CONNECT, OPT_CHECK, OPT_TOUR };
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "scene", required_argument, NULL, 's' },
		{ "name", required_argument, NULL, 'n' },
		{ "server", required_argument, NULL, 'S' },
		{ "osc-port", required_argument, NULL, 'p' },
		{ "hrtf", required_argument, NULL, OPT_HRTF },
		{ "no-connect", no_argument, NULL, OPT_NO_CONNECT },
		{ "check", no_argument, NULL, OPT_CHECK },
		{ "tour", required_argument, NULL, OPT_TOUR },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct daemon d = { .opt = { .osc_port = -1 }, .core_lock = PTHREAD_MUTEX_INITIALIZER };
	int opt;
	long port;
	while ((opt = getopt_long(argc, argv, "c:s:n:S:p:vqVh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': d.opt.config = optarg; break;
		case 's': d.opt.scene = optarg; break;
		case 'n':
			if (!*optarg) {
				log_error("--name: empty client name");
				return 2;
			}
			d.opt.name = optarg;
			break;
		case 'S': d.opt.server = optarg; break;
		case 'p':
			if (!parse_int(optarg, &port) || port < 0 || port > 65535) {
				log_error("--osc-port: '%s' is not a UDP port (0..65535)", optarg);
				return 2;
			}
			d.opt.osc_port = (int)port;
			break;
		case OPT_HRTF: d.opt.hrtf = optarg; break;
		case OPT_NO_CONNECT: d.opt.no_connect = true; break;
		case OPT_CHECK: d.opt.check = true; break;
		case OPT_TOUR: d.opt.tour = optarg; break;
		case 'v': log_set_level(LOG_DEBUG); break;
		case 'q': log_set_level(LOG_ERROR); break;
		case 'V': fputs(TINGLE_VERSION_TEXT("tingled"), stdout); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		log_error("unexpected argument '%s'", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (d.opt.check)
		return check(&d.opt);

	char err[1024];
	if (!signals_install()) {
		log_error("cannot start the signal thread");
		return 1;
	}

	const char *nsm_url = getenv("NSM_URL");
	if (nsm_url && *nsm_url) {
		int rc = nsm_open(&d, nsm_url, argv[0]);
		if (rc != 0 || atomic_load(&got_term)) {
			nsm_stop(d.nsm);
			free(d.session);
			return rc;
		}
	}

	d.conf = calloc(1, sizeof *d.conf);
	if (!d.conf)
		return 1;
	if (load_conf(&d.opt, d.conf, err, sizeof err) < 0) {
		log_error("%s", err);
		if (d.nsm)
			nsm_error(d.nsm, "/nsm/client/open", -1, err);
		free(d.conf);
		return 2;
	}
	log_info("configuration: %s", d.conf->path[0] ? d.conf->path : "built-in defaults");
	if (d.opt.tour && events_load(d.opt.tour, &d.tour, err, sizeof err) < 0) {
		log_error("--tour: %s", err);
		if (d.nsm)
			nsm_error(d.nsm, "/nsm/client/open", -1, err);
		nsm_stop(d.nsm);
		free(d.session);
		free(d.conf);
		return 2;
	}

	if (gen_pool_worker_start() < 0) /* fresh generated sound, made ahead */
		log_warn("cannot start the refill thread: generated sounds repeat their variants");
	int status = run(&d);
	gen_pool_worker_stop();
	if (d.nsm && status != 0)
		nsm_error(d.nsm, "/nsm/client/open", -1, "tingled could not start; see its log");
	nsm_stop(d.nsm);
	free(d.session);

	osc_server_stop(d.osc);
	alsa_seq_stop(d.seq);
	jack_driver_close(d.jack);
	if (d.job) {
		/* A load under way gives up at its next HRTF step; scenes being
		 * built are bounded but may take a while: leave them behind
		 * rather than keep the daemon running. */
		for (int k = 0; k < 10 && !atomic_load(&d.job->done); k++) {
			struct timespec ts = { 0, 10 * 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
		struct load_job *j = job_take(&d);
		if (!j) {
			log_info("stopped (a load under way was abandoned)");
			fflush(NULL);
			_exit(status);
		}
		job_free(j);
	}
	setlist_free(d.setlist);
	while (d.retiring) {
		struct retired *r = d.retiring;
		d.retiring = r->next;
		setlist_free(r->sl);
		free(r);
	}
	control_free(d.ctl);
	engine_free(d.engine);
	hrtf_free(d.hrtf);
	free(d.conf);
	events_free(&d.tour);
	if (status == 0)
		log_info("stopped");
	return status;
}
