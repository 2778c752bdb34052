/* libFuzzer target: the OSC command path. Each input is one UDP datagram
 * from 127.0.0.1, handed to the OSC server's datagram handler as its
 * thread does: packet parsing (liblo), bundles, argument conversion and
 * every command of control_dispatch, against a playing scene with a
 * generated sound and a live input. The engine drains its queue after
 * every input. */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "config/conf.h"
#include "control/control.h"
#include "config/scene.h"
#include "prep/scene_build.h"
#include "drivers/osc_server.h"
#include "rt/engine.h"

static const char rig[] = "[input harp]\nazimuth = 30\n";
static const char scene_text[] =
	"[scene]\nname = fuzz\n[source front]\nazimuth = 0\n"
	"[sound tap]\ngenerator = tap\nnote = 60\nsource = front\n"
	"[sound hiss]\ngenerator = shush\nmode = loop\nnote = 62\nscatter = yes\n";

static struct engine *engine;
static struct control *ctl;
static struct engine_queue *queue;
static struct osc_server *server;
static struct tingle_conf conf;

static void setup(void)
{
	char err[1024];
	struct engine_options eo = { .n_sources = 16, .voices = 16 };
	engine = engine_new(&eo);
	ctl = engine ? control_new(engine) : NULL;
	queue = ctl ? engine_queue_open(engine) : NULL;
	conf_defaults(&conf);
	if (!queue || conf_parse_string(rig, "rig", &conf, err, sizeof err) < 0 ||
	    control_apply_conf(ctl, queue, &conf, NULL, err, sizeof err) < 0)
		abort();
	char path[] = "/tmp/fuzz-osc-XXXXXX.scene";
	int fd = mkstemps(path, 6);
	if (fd < 0 || write(fd, scene_text, sizeof scene_text - 1) != (ssize_t)(sizeof scene_text - 1))
		abort();
	close(fd);
	struct scene_desc *d = calloc(1, sizeof *d);
	struct loaded_scene *ls;
	if (!d || scene_parse(path, &conf, d, err, sizeof err) < 0 ||
	    scene_build(d, 48000, 1, ctl, &ls, err, sizeof err) < 0) {
		fprintf(stderr, "fuzz_osc: %s\n", err);
		abort();
	}
	free(d);
	unlink(path);
	if (control_set_scene(ctl, queue, ls, err, sizeof err) < 0)
		abort();
	server = osc_server_new(-1, ctl, queue, &conf, err, sizeof err);
	if (!server)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static float l[128], r[128];
	if (!server)
		setup();
	struct sockaddr_in from = { .sin_family = AF_INET, .sin_port = htons(9000),
				    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	osc_server_datagram(server, data, size, (const struct sockaddr *)&from, sizeof from);
	float *out[2] = { l, r };
	engine_process(engine, NULL, 0, out, 128, NULL, 0); /* drains the queue */
	return 0;
}
