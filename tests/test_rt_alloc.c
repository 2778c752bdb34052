/* The audio thread never allocates, locks or makes a system call: this
 * test binary puts its own allocator, mutex and system-call entry points
 * in front of the C library's, and each notes a call made while the test
 * runs engine_process. The engine plays the demo scenes while sources
 * move, the head turns, scenes switch, notes and triggers come and the
 * hold pedal goes down and up, generated sounds take fresh segments and
 * loops splice from one to the next; any call from inside a block fails the
 * test with the function's name. The safe-level governor is run the same
 * way on its own. (Sanitizer builds put their own
 * allocator in front: the test is skipped there.) */
#include "config.h"

#include <check.h>
#include <dlfcn.h>
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/ring.h"
#include "common/util.h"
#include "config/conf.h"
#include "control/control.h"
#include "control/setlist.h"
#include "prep/gen_pool.h"
#include "prep/scene_build.h"
#include "prep/hrtf.h"
#include "rt/engine.h"
#include "rt/safe_level.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif

#ifndef SANITIZED
/* volatile: the compiler knows what malloc may touch and would drop the
 * stores around a call it believes cannot read them. */
static __thread volatile int in_audio;
static atomic_int calls;
static const char *_Atomic first_call;

static void noted(const char *what)
{
	if (!in_audio)
		return;
	const char *none = NULL;
	atomic_compare_exchange_strong(&first_call, &none, what);
	atomic_fetch_add(&calls, 1);
}

/* The allocator: glibc's own entry points underneath. */
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
extern void *__libc_memalign(size_t, size_t);

void *malloc(size_t n) { noted("malloc"); return __libc_malloc(n); }
void *calloc(size_t a, size_t b) { noted("calloc"); return __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { noted("realloc"); return __libc_realloc(p, n); }
void free(void *p) { if (p) noted("free"); __libc_free(p); }
void *aligned_alloc(size_t a, size_t n) { noted("aligned_alloc"); return __libc_memalign(a, n); }
void *memalign(size_t a, size_t n);
void *memalign(size_t a, size_t n) { noted("memalign"); return __libc_memalign(a, n); }
int posix_memalign(void **p, size_t a, size_t n)
{
	noted("posix_memalign");
	*p = __libc_memalign(a, n);
	return *p ? 0 : ENOMEM;
}

/* Locks, waits and system calls, each passed on to the next definition
 * (the C library's), found once before the engine runs. */
#define PASS_ON(ret, name, params, args)                                     \
	ret name params                                                     \
	{                                                                   \
		static ret (*next) params;                                  \
		noted(#name);                                               \
		if (!next)                                                  \
			next = (ret (*) params)dlsym(RTLD_NEXT, #name);     \
		return next args;                                           \
	}
PASS_ON(int, pthread_mutex_lock, (pthread_mutex_t *m), (m))
PASS_ON(int, pthread_mutex_trylock, (pthread_mutex_t *m), (m))
PASS_ON(int, pthread_cond_wait, (pthread_cond_t *c, pthread_mutex_t *m), (c, m))
PASS_ON(int, pthread_rwlock_rdlock, (pthread_rwlock_t *l), (l))
PASS_ON(int, pthread_rwlock_wrlock, (pthread_rwlock_t *l), (l))
PASS_ON(int, sem_wait, (sem_t *s), (s))
PASS_ON(ssize_t, write, (int fd, const void *b, size_t n), (fd, b, n))
PASS_ON(ssize_t, read, (int fd, void *b, size_t n), (fd, b, n))
PASS_ON(int, nanosleep, (const struct timespec *a, struct timespec *b), (a, b))
PASS_ON(int, clock_nanosleep, (clockid_t c, int f, const struct timespec *a, struct timespec *b), (c, f, a, b))
PASS_ON(int, usleep, (useconds_t u), (u))
PASS_ON(int, poll, (struct pollfd *p, nfds_t n, int t), (p, n, t))
PASS_ON(ssize_t, sendto, (int fd, const void *b, size_t n, int fl, const struct sockaddr *a, socklen_t l),
	(fd, b, n, fl, a, l))
PASS_ON(ssize_t, recvfrom, (int fd, void *b, size_t n, int fl, struct sockaddr *a, socklen_t *l),
	(fd, b, n, fl, a, l))
PASS_ON(int, sched_yield, (void), ())
PASS_ON(FILE *, fopen, (const char *p, const char *m), (p, m))
long syscall(long number, ...)
{
	static long (*next)(long, ...);
	va_list ap;
	long a[6];
	noted("syscall");
	if (!next)
		next = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
	va_start(ap, number);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	return next(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}

/* Every interposed function found before the first block. */
static void warm_up(void)
{
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	pthread_mutex_lock(&m);
	pthread_mutex_trylock(&m);
	pthread_mutex_unlock(&m);
	struct timespec ts = { 0, 1 };
	nanosleep(&ts, NULL);
	sched_yield();
}

START_TEST(harness_notices)
{
	warm_up();
	in_audio = 1;
	void *volatile p = malloc(16); /* volatile: the pair may not be optimised away */
	in_audio = 0;
	free(p);
	ck_assert_int_eq(atomic_load(&calls), 1);
	ck_assert_str_eq(atomic_load(&first_call), "malloc");
	atomic_store(&calls, 0);
	atomic_store(&first_call, NULL);
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	in_audio = 1;
	pthread_mutex_lock(&m);
	in_audio = 0;
	pthread_mutex_unlock(&m);
	ck_assert_str_eq(atomic_load(&first_call), "pthread_mutex_lock");
	/* Calls from inside the library are seen too. */
	atomic_store(&calls, 0);
	atomic_store(&first_call, NULL);
	in_audio = 1;
	struct ring *r = ring_new(4, 8);
	in_audio = 0;
	ring_free(r);
	ck_assert_int_ge(atomic_load(&calls), 1);
}
END_TEST

/* A control-side command, as OSC would send it. */
static void cmd(struct control *c, struct engine_queue *q, const char *path, const char *types, ...)
{
	struct ctl_arg a[4];
	int n = 0;
	va_list ap;
	va_start(ap, types);
	for (; types[n]; n++) {
		a[n].type = types[n];
		if (types[n] == 'f')
			a[n].f = (float)va_arg(ap, double);
		else if (types[n] == 'i')
			a[n].i = va_arg(ap, int);
		else
			a[n].s = va_arg(ap, const char *);
	}
	va_end(ap);
	struct ctl_reply reply;
	char err[512];
	control_dispatch(c, q, 7, path, a, n, &reply, err, sizeof err); /* refusals are fine here */
}

START_TEST(engine_blocks_stay_clean)
{
	const char *sofa = getenv("DEFAULT_SOFA");
	if (!sofa || access(sofa, R_OK) != 0)
		sofa = "/usr/share/libmysofa/default.sofa";
	const char *top = getenv("top_srcdir");
	char err[1024], dir[4096];
	snprintf(dir, sizeof dir, "%s/scenes", top ? top : "..");
	struct tingle_conf *conf = calloc(1, sizeof *conf);
	conf_defaults(conf);
	char text[8192];
	snprintf(text, sizeof text,
		 "[engine]\nsources = 16\nvoices = 32\n[scenes]\ndir = %s\n"
		 "[input harp]\nazimuth = right\n[input bowl]\nazimuth = left\n"
		 "[bind]\nmidi cc 64 = hold\nmidi cc 80 = scene next\n", dir);
	ck_assert_msg(conf_parse_string(text, "alloc.conf", conf, err, sizeof err) == 0, "%s", err);
	struct hrtf_set *h = NULL;
	ck_assert_msg(hrtf_load(sofa, 48000, &h, err, sizeof err) == 0, "%s", err);
	struct engine_options eo = { .n_sources = 16, .voices = 32, .seed = 3 };
	struct engine *e = engine_new(&eo);
	struct engine_core *core = engine_core_new(e, h, 128);
	ck_assert_ptr_nonnull(core);
	engine_set_core(e, core);
	struct control *c = control_new(e);
	struct engine_queue *q = engine_queue_open(e);
	ck_assert_int_eq(control_apply_conf(c, q, conf, NULL, err, sizeof err), 0);
	struct setlist *sl = setlist_new(conf, c, q, 48000, 3, err, sizeof err);
	ck_assert_msg(sl && setlist_preload(sl, err, sizeof err) == 0, "%s", err);
	ck_assert_msg(setlist_switch(sl, NULL, false, 0, 0, err, sizeof err) == 0, "%s", err);

	float *in[16] = { NULL }, noise[2][256], outs[2][256];
	float *out[2] = { outs[0], outs[1] };
	uint64_t rng = 1;
	warm_up();
	atomic_store(&calls, 0);
	atomic_store(&first_call, NULL);
	for (unsigned block = 0; block < 3000; block++) {
		/* Control side, between blocks. */
		unsigned t = block % 500;
		if (t == 0)
			cmd(c, q, "/trigger", "s", sl->playing->desc.sounds[0].name);
		if (t == 10)
			cmd(c, q, "/trigger", "sf", sl->playing->desc.sounds[sl->playing->desc.n_sounds - 1].name, 0.8);
		if (t == 20) {
			struct engine_cmd m = { .type = ENGINE_CMD_MIDI, .i = 0x90 | 52 << 8 | 100 << 16 };
			engine_queue_push(q, &m);
			m.i = 0xb0 | 64 << 8 | 127 << 16; /* hold */
			engine_queue_push(q, &m);
			m.i = 0x80 | 52 << 8;
			engine_queue_push(q, &m);
		}
		if (t == 200) {
			struct engine_cmd m = { .type = ENGINE_CMD_MIDI, .i = 0xb0 | 64 << 8 };
			engine_queue_push(q, &m);
		}
		/* Every sound at a light touch (velocity's low-pass and soft
		 * attack; loops splicing fresh segments), then let go. */
		if (t == 30 || t == 130)
			for (size_t k = 0; k < sl->playing->desc.n_sounds; k++)
				cmd(c, q, "/trigger", "sf", sl->playing->desc.sounds[k].name, 0.4);
		if (t == 480)
			for (size_t k = 0; k < sl->playing->desc.n_sounds; k++)
				cmd(c, q, "/release", "s", sl->playing->desc.sounds[k].name);
		cmd(c, q, "/source/harp/position", "fff", (double)(block % 360) - 180.0, 10.0, 0.3 + (block % 50) * 0.05);
		cmd(c, q, "/listener/ypr", "fff", (double)(block % 180) - 90.0, 5.0, -3.0);
		if (t == 100)
			cmd(c, q, "/source/bowl/motion", "s", "orbit 90");
		if (t == 300)
			cmd(c, q, "/listener/quaternion", "ffff", 0.9, 0.0, 0.1, 0.3);
		if (t == 400) {
			ck_assert_msg(setlist_switch(sl, NULL, false, -1, 1, err, sizeof err) == 0, "%s", err);
		}
		/* JACK's block size changes: 128, then periods of two blocks
		 * before the core for 256 frames comes, then 64 frames (each new
		 * core hears the sources' history, the room changes hands), and
		 * once a period no core fits (silence, voices wait). */
		unsigned period = block < 1000 ? 128 : block < 1600 ? 256 : block == 2000 ? 100 : 64;
		if (block == 1200 || block == 1600) {
			struct engine_core *next = engine_core_new(e, h, block == 1200 ? 256 : 64);
			ck_assert_ptr_nonnull(next);
			engine_set_core(e, next);
		}
		for (int ch = 0; ch < 2; ch++)
			for (unsigned i = 0; i < period; i++) {
				rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
				noise[ch][i] = (float)((rng >> 40) & 0xffff) / 65536.0f * 0.2f - 0.1f;
			}
		in[0] = noise[0];
		in[1] = noise[1];
		/* The block, as the audio thread runs it. */
		in_audio = 1;
		engine_process(e, (const float *const *)in, 16, out, period, NULL, 0);
		in_audio = 0;
		/* The refill worker's work, between blocks (as tingle-render);
		 * every 50th block only, so that pools also run dry and voices
		 * fall back on the fixed variants. */
		if (block % 50 == 0)
			gen_pool_refill();
		engine_collect(e);
		struct engine_event ev;
		while (engine_event_poll(e, &ev))
			if (ev.type == ENGINE_EV_SCENE_RELEASED)
				setlist_released(sl, ev.ptr);
	}
	ck_assert_msg(atomic_load(&calls) == 0, "%d calls from the audio thread, the first: %s", atomic_load(&calls),
		      atomic_load(&first_call));
	engine_free(e);
	setlist_free(sl);
	control_free(c);
	hrtf_free(h);
	free(conf);
}
END_TEST
/* The safe-level governor on its own, as an output stage would run it:
 * quiet, then a loud jump it has to hold down, live changes of both
 * settings, switching it off and on, silence, and non-numbers. */
START_TEST(safe_level_blocks_stay_clean)
{
	struct safe_level *s = calloc(1, sizeof *s);
	safe_level_init(s, 48000, 100.0f, 80.0f);
	float l[256], r[256];
	uint64_t rng = 5;
	double sink = 0.0;
	warm_up();
	atomic_store(&calls, 0);
	atomic_store(&first_call, NULL);
	for (unsigned block = 0; block < 4000; block++) {
		float scale = block < 500 ? 0.01f : block < 3000 ? 0.5f : 0.0f;
		unsigned n = 64 + block % 193;
		for (unsigned i = 0; i < n; i++) {
			rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
			l[i] = ((float)((rng >> 40) & 0xffff) / 32768.0f - 1.0f) * scale;
			r[i] = -l[i] * 0.7f;
		}
		if (block == 3500)
			l[3] = NAN;
		in_audio = 1;
		if (block == 1000)
			safe_level_set(s, NAN, 70.0f);
		if (block == 1500)
			safe_level_set(s, 110.0f, NAN);
		if (block == 2000)
			safe_level_set(s, NAN, INFINITY);
		if (block == 2500)
			safe_level_set(s, 100.0f, 80.0f);
		safe_level_process(s, l, r, n);
		sink += safe_level_gain_db(s) + safe_level_dose_percent(s, 1) + safe_level_dose_percent(s, 2);
		if (block == 3800)
			safe_level_dose_reset(s);
		in_audio = 0;
	}
	ck_assert_msg(atomic_load(&calls) == 0, "%d calls from the audio thread, the first: %s", atomic_load(&calls),
		      atomic_load(&first_call));
	ck_assert(isfinite(sink));
	free(s);
}
END_TEST
#endif

int main(void)
{
#ifdef SANITIZED
	printf("skipped: a sanitizer's allocator is in front\n");
	return 77;
#else
	Suite *s = suite_create("rt_alloc");
	TCase *tc = tcase_create("AudioThread");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, harness_notices);
	tcase_add_test(tc, engine_blocks_stay_clean);
	tcase_add_test(tc, safe_level_blocks_stay_clean);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
#endif
}
