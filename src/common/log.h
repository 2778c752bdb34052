/* Logging to stderr with levels. Never call from the audio thread: the
 * engine reports through its event queue and the main thread logs. */
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

#endif
