/* libFuzzer target: the config and scene reader. Each input is written to
 * an in-memory file and read as a tingled.conf and as a scene; any crash,
 * hang, leak or undefined behaviour is a finding. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config/conf.h"
#include "config/scene.h"

static const char rig[] =
	"[input harp]\nport = system:capture_1\nazimuth = 30\n"
	"[input bowl]\nazimuth = -45\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	static struct tingle_conf base;
	char err[1024];
	if (fd < 0) {
		fd = memfd_create("fuzz.ini", MFD_CLOEXEC);
		if (fd < 0)
			abort();
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
		conf_defaults(&base);
		if (conf_parse_string(rig, "rig", &base, err, sizeof err) < 0)
			abort();
	}
	if (ftruncate(fd, 0) < 0 || (size && pwrite(fd, data, size, 0) != (ssize_t)size))
		abort();

	struct tingle_conf *c = calloc(1, sizeof *c);
	if (!c)
		return 0;
	conf_defaults(c);
	(void)conf_load(path, c, err, sizeof err);
	free(c);

	struct scene_desc *d = calloc(1, sizeof *d);
	if (!d)
		return 0;
	(void)scene_parse(path, &base, d, err, sizeof err);
	scene_desc_free(d);
	free(d);
	return 0;
}
