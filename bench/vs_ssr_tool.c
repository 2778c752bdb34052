/* vs_ssr_tool: the JACK and network helpers of bench/vs-ssr, which
 * compares the CPU time of tingled and of the SoundScape Renderer's
 * binaural renderer (ssr-binaural) rendering the same moving live inputs.
 * The JACK server is JACK_DEFAULT_SERVER.
 *
 *   vs_ssr_tool noise CLIENT LEVEL_DB
 *       a JACK client CLIENT with one output port, out: white noise at
 *       LEVEL_DB dBFS RMS, until SIGTERM or SIGINT
 *   vs_ssr_tool connect SOURCE_PORT REGEX
 *       connect SOURCE_PORT to every JACK input port matching REGEX; prints
 *       how many input ports match and are now connected to it
 *   vs_ssr_tool meter SECONDS PORT...
 *       record each PORT for SECONDS (after 0.3 s) and print "PORT DB" for
 *       each: its RMS level in dBFS (-200 for silence)
 *   vs_ssr_tool control [options] <COMMANDS
 *       moves N sources for tingled over OSC and for the SSR over its XML
 *       server, as told by commands on stdin, one a line:
 *         load FILE.asd  the SSR loads the scene FILE.asd (an absolute path)
 *         still DEG      every source at azimuth DEG
 *         circle         source i (0-based) at azimuth 360 i / N + SPEED t
 *         idle           no position updates
 *         stats          print "stats ticks T late L osc_sent O ssr_sent S
 *                        ssr_position_updates U" since the last still,
 *                        circle or idle (late: ticks that started more
 *                        than one period behind; U: position changes the
 *                        SSR reported back)
 *         quit
 *       While still or circle, RATE times a second every source gets one
 *       position update (elevation 0, distance DIST) from each renderer
 *       given:
 *         --osc UDPPORT    tingled: /source/PREFIXi/position az el dist
 *                          (i from 1) to 127.0.0.1:UDPPORT, one message each
 *         --ssr TCPPORT    ssr-binaural's XML server at 127.0.0.1:TCPPORT:
 *                          <request><source id="i"><position x=".." y=".."/>
 *                          </source></request> and a zero byte, each; the
 *                          SSR's <update> messages are read and counted
 *         --sources N (16)  --prefix PREFIX (in)  --rate HZ (50)
 *         --speed DEG_PER_S (90)  --distance M (2)
 *       Prints "ready" when connected, "ok COMMAND" for each still, circle
 *       and idle.
 *       The SSR 0.6 sends a new client the scene as XML, and throws (and
 *       dies) on that when the scene has live-input sources; so connect
 *       once, to an empty scene, and load the scene over the connection. */
#include "config.h"

#include <errno.h>
#include <jack/jack.h>
#include <lo/lo.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_METER 8

static volatile sig_atomic_t stop;
static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void die(const char *msg)
{
	fprintf(stderr, "vs_ssr_tool: %s\n", msg);
	exit(1);
}

static jack_client_t *open_client(const char *name)
{
	jack_status_t st;
	jack_client_t *c = jack_client_open(name, JackNoStartServer, &st);
	if (!c) {
		fprintf(stderr, "vs_ssr_tool: cannot open JACK client %s (status 0x%x)\n", name,
			(unsigned)st);
		exit(1);
	}
	return c;
}

/* ---- noise ---------------------------------------------------------- */
static jack_port_t *noise_port;
static uint64_t noise_state = 0x9E3779B97F4A7C15ull;
static float noise_scale;

static int noise_process(jack_nframes_t n, void *arg)
{
	(void)arg;
	float *out = jack_port_get_buffer(noise_port, n);
	uint64_t s = noise_state;
	for (jack_nframes_t i = 0; i < n; i++) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		/* uniform in [-1, 1): RMS 1/sqrt(3) */
		out[i] = noise_scale * ((float)(s >> 40) * (1.0f / 8388608.0f) - 1.0f);
	}
	noise_state = s;
	return 0;
}

static int cmd_noise(int argc, char **argv)
{
	if (argc != 2)
		die("usage: noise CLIENT LEVEL_DB");
	noise_scale = sqrtf(3.0f) * powf(10.0f, (float)atof(argv[1]) / 20.0f);
	jack_client_t *c = open_client(argv[0]);
	noise_port = jack_port_register(c, "out", JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
	if (!noise_port)
		die("cannot register the noise port");
	jack_set_process_callback(c, noise_process, NULL);
	if (jack_activate(c))
		die("cannot activate the noise client");
	while (!stop)
		pause();
	jack_client_close(c);
	return 0;
}

/* ---- connect -------------------------------------------------------- */
static int cmd_connect(int argc, char **argv)
{
	if (argc != 2)
		die("usage: connect SOURCE_PORT REGEX");
	jack_client_t *c = open_client("vs_ssr_connect");
	const char **ports = jack_get_ports(c, argv[1], JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput);
	jack_port_t *src = jack_port_by_name(c, argv[0]);
	if (!src)
		die("no such source port");
	int n = 0;
	for (int i = 0; ports && ports[i]; i++) {
		int r = jack_connect(c, argv[0], ports[i]);
		if (r == 0 || r == EEXIST)
			n++;
		else
			fprintf(stderr, "vs_ssr_tool: cannot connect %s to %s\n", argv[0], ports[i]);
	}
	jack_free(ports);
	/* count again, from the server's view */
	int connected = 0;
	ports = jack_get_ports(c, argv[1], JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput);
	for (int i = 0; ports && ports[i]; i++)
		if (jack_port_connected_to(src, ports[i]))
			connected++;
	jack_free(ports);
	jack_client_close(c);
	printf("%d\n", connected < n ? connected : n);
	return 0;
}

/* ---- meter ---------------------------------------------------------- */
static jack_port_t *meter_ports[MAX_METER];
static int meter_n;
static double meter_sum[MAX_METER];
static volatile uint64_t meter_frames, meter_skip, meter_want;

static int meter_process(jack_nframes_t n, void *arg)
{
	(void)arg;
	if (meter_skip > 0) {
		meter_skip = meter_skip > n ? meter_skip - n : 0;
		return 0;
	}
	if (meter_frames >= meter_want)
		return 0;
	for (int p = 0; p < meter_n; p++) {
		const float *in = jack_port_get_buffer(meter_ports[p], n);
		double s = 0;
		for (jack_nframes_t i = 0; i < n; i++)
			s += (double)in[i] * in[i];
		meter_sum[p] += s;
	}
	meter_frames += n;
	return 0;
}

static int cmd_meter(int argc, char **argv)
{
	if (argc < 2 || argc - 1 > MAX_METER)
		die("usage: meter SECONDS PORT... (at most 8 ports)");
	double seconds = atof(argv[0]);
	meter_n = argc - 1;
	jack_client_t *c = open_client("vs_ssr_meter");
	double rate = jack_get_sample_rate(c);
	meter_skip = (uint64_t)(0.3 * rate);
	meter_want = (uint64_t)(seconds * rate);
	for (int p = 0; p < meter_n; p++) {
		char name[32];
		snprintf(name, sizeof name, "in_%d", p + 1);
		meter_ports[p] = jack_port_register(c, name, JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
		if (!meter_ports[p])
			die("cannot register a meter port");
	}
	jack_set_process_callback(c, meter_process, NULL);
	if (jack_activate(c))
		die("cannot activate the meter client");
	for (int p = 0; p < meter_n; p++)
		if (jack_connect(c, argv[p + 1], jack_port_name(meter_ports[p]))) {
			fprintf(stderr, "vs_ssr_tool: cannot connect %s\n", argv[p + 1]);
			exit(1);
		}
	/* wait for the frames, with a wall-clock limit for a stalled server */
	double waited = 0;
	while (meter_frames < meter_want && waited < seconds + 10 && !stop) {
		usleep(20000);
		waited += 0.02;
	}
	jack_deactivate(c);
	if (meter_frames < meter_want)
		die("the JACK server did not run the meter");
	for (int p = 0; p < meter_n; p++) {
		double ms = meter_sum[p] / (double)meter_frames;
		printf("%s %.1f\n", argv[p + 1], ms > 1e-20 ? 10.0 * log10(ms) : -200.0);
	}
	jack_client_close(c);
	return 0;
}

/* ---- move ----------------------------------------------------------- */
struct ssr_conn {
	int fd;
	char buf[65536];
	size_t len;
	unsigned long position_updates;
};

static int ssr_open(int port)
{
	struct sockaddr_in a;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (int tries = 0; tries < 200; tries++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0)
			die("socket");
		if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0) {
			int one = 1;
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
			return fd;
		}
		close(fd);
		usleep(50000);
	}
	die("cannot connect to the SSR's XML server");
	return -1;
}

/* Read whatever SSR has sent, without waiting; count position updates. */
static void ssr_drain(struct ssr_conn *s)
{
	for (;;) {
		ssize_t r = recv(s->fd, s->buf + s->len, sizeof s->buf - 1 - s->len, MSG_DONTWAIT);
		if (r <= 0) {
			if (r == 0)
				die("the SSR closed the connection");
			if (errno == EINTR)
				continue;
			return;
		}
		s->len += (size_t)r;
		size_t start = 0;
		for (size_t i = 0; i < s->len; i++)
			if (s->buf[i] == '\0') {
				if (strstr(s->buf + start, "<position x="))
					s->position_updates++;
				start = i + 1;
			}
		memmove(s->buf, s->buf + start, s->len - start);
		s->len -= start;
		if (s->len >= sizeof s->buf - 1)
			s->len = 0; /* a message this long is not one we count */
	}
}

static void ssr_send(struct ssr_conn *s, const char *msg, size_t len)
{
	size_t off = 0;
	while (off < len) {
		ssize_t w = send(s->fd, msg + off, len - off, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				ssr_drain(s);
				continue;
			}
			die("cannot send to the SSR");
		}
		off += (size_t)w;
	}
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* One line of commands from stdin, if there is one; 0 at end of file. */
struct line_in {
	char buf[4096];
	size_t len;
};

static int read_command(struct line_in *in, char *cmd, size_t size)
{
	for (;;) {
		char *nl = memchr(in->buf, '\n', in->len);
		if (nl) {
			size_t n = (size_t)(nl - in->buf);
			snprintf(cmd, size, "%.*s", (int)n, in->buf);
			memmove(in->buf, nl + 1, in->len - n - 1);
			in->len -= n + 1;
			return 1;
		}
		struct pollfd p = { .fd = 0, .events = POLLIN };
		if (poll(&p, 1, 0) <= 0)
			return -1;
		ssize_t r = read(0, in->buf + in->len, sizeof in->buf - in->len);
		if (r == 0)
			return 0;
		if (r < 0)
			return errno == EINTR ? -1 : 0;
		in->len += (size_t)r;
		if (in->len == sizeof in->buf)
			in->len = 0; /* no line is this long */
	}
}

static int cmd_control(int argc, char **argv)
{
	const char *osc_port = NULL, *prefix = "in";
	int ssr_port = 0, n = 16;
	double rate = 50, speed = 90, dist = 2;
	for (int i = 0; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			die("an option without its value");
		i++;
		if (!strcmp(o, "--osc"))
			osc_port = v;
		else if (!strcmp(o, "--ssr"))
			ssr_port = atoi(v);
		else if (!strcmp(o, "--sources"))
			n = atoi(v);
		else if (!strcmp(o, "--prefix"))
			prefix = v;
		else if (!strcmp(o, "--rate"))
			rate = atof(v);
		else if (!strcmp(o, "--speed"))
			speed = atof(v);
		else if (!strcmp(o, "--distance"))
			dist = atof(v);
		else
			die("unknown control option");
	}
	if (n < 1 || rate <= 0)
		die("bad --sources or --rate");

	lo_address osc = osc_port ? lo_address_new("127.0.0.1", osc_port) : NULL;
	struct ssr_conn *ssr = NULL;
	if (ssr_port) {
		ssr = calloc(1, sizeof *ssr);
		if (!ssr)
			die("out of memory");
		ssr->fd = ssr_open(ssr_port);
	}
	char (*paths)[96] = calloc((size_t)n, sizeof *paths);
	if (!paths)
		die("out of memory");
	for (int i = 0; i < n; i++)
		snprintf(paths[i], sizeof paths[i], "/source/%s%d/position", prefix, i + 1);
	printf("ready\n");

	enum { IDLE, STILL, CIRCLE } mode = IDLE;
	double still_az = 0;
	unsigned long ticks = 0, late = 0, osc_sent = 0, ssr_sent = 0;
	double period = 1.0 / rate, t0 = now_s();
	struct timespec next;
	clock_gettime(CLOCK_MONOTONIC, &next);
	struct line_in in = { .len = 0 };
	while (!stop) {
		char cmd[4096];
		int r;
		while ((r = read_command(&in, cmd, sizeof cmd)) > 0) {
			if (!strncmp(cmd, "load ", 5)) {
				if (!ssr)
					die("load without --ssr");
				char msg[4400];
				int len = snprintf(msg, sizeof msg,
						   "<request><scene load=\"%s\"/></request>", cmd + 5);
				ssr_send(ssr, msg, (size_t)len + 1);
				printf("loading\n");
				continue;
			}
			if (!strcmp(cmd, "stats")) {
				if (ssr) {
					usleep(100000);
					ssr_drain(ssr);
				}
				printf("stats ticks %lu late %lu osc_sent %lu ssr_sent %lu "
				       "ssr_position_updates %lu\n",
				       ticks, late, osc_sent, ssr_sent, ssr ? ssr->position_updates : 0UL);
				continue;
			}
			if (!strcmp(cmd, "quit")) {
				stop = 1;
				break;
			}
			if (!strncmp(cmd, "still ", 6)) {
				mode = STILL;
				still_az = atof(cmd + 6);
			} else if (!strcmp(cmd, "circle"))
				mode = CIRCLE;
			else if (!strcmp(cmd, "idle"))
				mode = IDLE;
			else {
				fprintf(stderr, "vs_ssr_tool: unknown command: %s\n", cmd);
				continue;
			}
			/* a new phase: its own counts and clock */
			ticks = late = osc_sent = ssr_sent = 0;
			if (ssr) {
				ssr_drain(ssr);
				ssr->position_updates = 0;
			}
			clock_gettime(CLOCK_MONOTONIC, &next);
			t0 = now_s();
			printf("ok %s\n", cmd);
		}
		if (r == 0 || stop)
			break;

		double t = (double)ticks * period;
		if (mode != IDLE) {
			if (now_s() - t0 - t > period)
				late++;
			for (int i = 0; i < n; i++) {
				double az = mode == STILL ? still_az : 360.0 * i / n + speed * t;
				az = fmod(az + 180.0, 360.0);
				if (az < 0)
					az += 360.0;
				az -= 180.0;
				if (osc && lo_send(osc, paths[i], "fff", (float)az, 0.0f, (float)dist) >= 0)
					osc_sent++;
				if (ssr) {
					/* SSR: the listener at the origin looks along
					 * +y (azimuth 90); a source at azimuth az
					 * (counter-clockwise from the front) is at
					 * 90 + az. */
					double a = (90.0 + az) * M_PI / 180.0;
					char msg[160];
					int len = snprintf(msg, sizeof msg,
							   "<request><source id=\"%d\"><position x=\"%.4f\" "
							   "y=\"%.4f\"/></source></request>",
							   i + 1, dist * cos(a), dist * sin(a));
					ssr_send(ssr, msg, (size_t)len + 1); /* with the zero byte */
					ssr_sent++;
				}
			}
		}
		if (ssr)
			ssr_drain(ssr);
		ticks++;
		long ns = next.tv_nsec + (long)(period * 1e9);
		next.tv_sec += ns / 1000000000L;
		next.tv_nsec = ns % 1000000000L;
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR && !stop)
			;
	}
	if (ssr)
		close(ssr->fd);
	if (osc)
		lo_address_free(osc);
	free(paths);
	free(ssr);
	return 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		die("usage: vs_ssr_tool noise|connect|meter|control ...");
	if (!strcmp(argv[1], "noise"))
		return cmd_noise(argc - 2, argv + 2);
	if (!strcmp(argv[1], "connect"))
		return cmd_connect(argc - 2, argv + 2);
	if (!strcmp(argv[1], "meter"))
		return cmd_meter(argc - 2, argv + 2);
	if (!strcmp(argv[1], "control"))
		return cmd_control(argc - 2, argv + 2);
	die("unknown command");
	return 1;
}
