/* Logging to stderr with levels. Never call from the audio thread: the
 * engine reports through its event queue and the main thread logs.
 * Control characters in a line (from text that came from outside) are
 * escaped, so nothing logged can forge a line. */
#ifndef TINGLE_LOG_H
#define TINGLE_LOG_H

enum log_level { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The level is checked before the line is formatted. */
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) do { if (log_get_level() >= LOG_WARN) log_msg(LOG_WARN, __VA_ARGS__); } while (0)
#define log_info(...) do { if (log_get_level() >= LOG_INFO) log_msg(LOG_INFO, __VA_ARGS__); } while (0)
#define log_debug(...) do { if (log_get_level() >= LOG_DEBUG) log_msg(LOG_DEBUG, __VA_ARGS__); } while (0)

/* One cause of log lines that a sender can repeat at will (refused OSC
 * commands, malformed datagrams, a full queue): at most one line a second;
 * the lines held back are counted and summed up in the next line, or by
 * log_limit_flush once the second is over. One per cause, owned by one
 * thread; zero-initialised. */
#define LOG_LIMIT_INTERVAL_S 1.0
struct log_limit {
	double next;        /* monotonic time the next line may go out */
	unsigned held;      /* lines held back since the last one */
	enum log_level level;
	char last[512];     /* the newest line held back */
};
void log_limited(struct log_limit *l, enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Call now and then (at least once a second) from the owning thread. */
void log_limit_flush(struct log_limit *l);

#endif
