/* Small helpers shared by the control side and the engine. */
#ifndef TINGLE_UTIL_H
#define TINGLE_UTIL_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>

#define TINGLE_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static inline float db_to_gain(float db) { return db <= -120.0f ? 0.0f : powf(10.0f, db / 20.0f); }
static inline float gain_to_db(float g) { return g <= 1e-6f ? -120.0f : 20.0f * log10f(g); }

/* Parsing of config/scene/OSC values. Each returns false when the text is
 * not a value of that kind; *out is untouched then. White space around
 * the value is allowed. parse_float takes plain decimal numbers only
 * (optional sign, digits with an optional fraction, optional decimal
 * exponent: -3, 1.5, .5, 2e-1), finite as a float: not 0x10, inf, nan or
 * 1e39. parse_int takes decimal whole numbers (optional sign, digits)
 * that fit a long. */
bool parse_float(const char *s, float *out);
bool parse_int(const char *s, long *out);
bool parse_bool(const char *s, bool *out);
/* Azimuth in degrees or one of the words front, left, right, behind;
 * elevation in degrees or above, below, level. */
bool parse_azimuth(const char *s, float *out);
bool parse_elevation(const char *s, float *out);

/* An error message, formatted into err (n bytes; nothing when err is NULL
 * or n is 0). Returns -1, so that "return tingle_err(err, n, ...);" reports
 * and fails at once. */
int tingle_err(char *err, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Azimuth wrapped into [-180, 180). */
float wrap_azimuth(float az);

/* What a file of this st_mode is, for "not a regular file (got a FIFO,
 * ...)": "a FIFO", "a character device", "a block device", "a socket",
 * "a directory", "a regular file", or "a special file". */
const char *file_type_name(unsigned mode);

/* Where the installed demo scenes and layout are: $TINGLE_DATADIR when
 * set and not empty (to run a build that is not installed, with the
 * source tree's scenes/), else the compiled-in PKGDATADIR. */
const char *tingle_datadir(void);

/* The modified Bessel function of the first kind, order 0 (Kaiser
 * windows), to double precision. */
double bessel_i0(double x);

/* Copy with truncation, always terminated. */
void str_copy(char *dst, size_t n, const char *src);
/* Trim leading and trailing white space in place; returns s. */
char *str_trim(char *s);
/* Split a white-space separated list; returns the number of words written
 * into words[] (each a pointer into buf, which is modified). */
size_t str_split(char *buf, char **words, size_t max);

#endif
