/* rename_shim: LD_PRELOAD'ed into tingled, it makes libjack behave as
 * PipeWire's does with a second client of a name: the client opens under
 * NAME-63 (JackUseExactName or not) and the open succeeds. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <jack/jack.h>
#include <stdarg.h>
#include <stdio.h>

jack_client_t *jack_client_open(const char *name, jack_options_t options, jack_status_t *status, ...)
{
	typedef jack_client_t *(*open_fn)(const char *, jack_options_t, jack_status_t *, ...);
	open_fn real = (open_fn)dlsym(RTLD_NEXT, "jack_client_open");
	char renamed[64];
	snprintf(renamed, sizeof renamed, "%s-63", name);
	options &= ~JackUseExactName;
	if (options & JackServerName) {
		va_list ap;
		va_start(ap, status);
		const char *server = va_arg(ap, const char *);
		va_end(ap);
		return real(renamed, options, status, server);
	}
	return real(renamed, options, status);
}
