#include "config.h"
#include "common/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

static atomic_int current_level = LOG_INFO;

void log_set_level(enum log_level level) { atomic_store(&current_level, level); }
enum log_level log_get_level(void) { return (enum log_level)atomic_load(&current_level); }

/* Text from outside (OSC addresses, sound names, file contents) reaches
 * log lines: a newline in it would forge a line of its own, an escape
 * sequence would steer the terminal. Control characters are written as
 * \n, \t, \r or \xHH; bytes from 0x80 up (UTF-8) pass. */
static void escape(char *dst, size_t n, const char *src)
{
	static const char hex[] = "0123456789abcdef";
	size_t k = 0;
	for (; *src && k + 1 < n; src++) {
		unsigned char c = (unsigned char)*src;
		if (c >= 0x20 && c != 0x7f) {
			dst[k++] = (char)c;
			continue;
		}
		char esc = c == '\n' ? 'n' : c == '\t' ? 't' : c == '\r' ? 'r' : 0;
		size_t need = esc ? 2 : 4;
		if (k + need + 1 > n)
			break;
		dst[k++] = '\\';
		if (esc) {
			dst[k++] = esc;
		} else {
			dst[k++] = 'x';
			dst[k++] = hex[c >> 4];
			dst[k++] = hex[c & 15];
		}
	}
	dst[k] = '\0';
}

static void vlog(enum log_level level, const char *fmt, va_list ap)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	char line[1024], safe[1024];
	vsnprintf(line, sizeof line, fmt, ap);
	escape(safe, sizeof safe, line);
	/* One write per line so lines from several threads do not interleave. */
	fprintf(stderr, "tingle: %s: %s\n", names[level], safe);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	if ((int)level > atomic_load(&current_level))
		return;
	va_list ap;
	va_start(ap, fmt);
	vlog(level, fmt, ap);
	va_end(ap);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void log_limited(struct log_limit *l, enum log_level level, const char *fmt, ...)
{
	if ((int)level > atomic_load(&current_level))
		return;
	va_list ap;
	va_start(ap, fmt);
	double now = now_s();
	if (now < l->next) {
		/* Held back: keep the newest line for the summary. */
		vsnprintf(l->last, sizeof l->last, fmt, ap);
		l->held++;
		l->level = level;
	} else {
		char line[1024];
		vsnprintf(line, sizeof line, fmt, ap);
		if (l->held)
			log_msg(level, "%s (and %u more like it before, held back)", line, l->held);
		else
			log_msg(level, "%s", line);
		l->held = 0;
		l->next = now + LOG_LIMIT_INTERVAL_S;
	}
	va_end(ap);
}

void log_limit_flush(struct log_limit *l)
{
	if (!l->held || now_s() < l->next)
		return;
	log_msg(l->level, "%u more like this in the last second, the last: %s", l->held, l->last);
	l->held = 0;
	l->next = now_s() + LOG_LIMIT_INTERVAL_S;
}
