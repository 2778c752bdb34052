#include "config.h"
#include "common/util.h"

#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* Length of the plain decimal number at s (optional sign, digits with an
 * optional fraction, optional decimal exponent), 0 when there is none.
 * Hexadecimal (0x10), inf and nan are not plain decimal numbers, though
 * strtod() takes them. */
static size_t decimal_len(const char *s)
{
	size_t i = 0, digits = 0;
	if (s[i] == '+' || s[i] == '-')
		i++;
	while (isdigit((unsigned char)s[i]))
		i++, digits++;
	if (s[i] == '.') {
		i++;
		while (isdigit((unsigned char)s[i]))
			i++, digits++;
	}
	if (!digits)
		return 0;
	if (s[i] == 'e' || s[i] == 'E') {
		size_t j = i + 1;
		if (s[j] == '+' || s[j] == '-')
			j++;
		if (isdigit((unsigned char)s[j])) {
			while (isdigit((unsigned char)s[j]))
				j++;
			i = j;
		}
	}
	return i;
}

bool parse_float(const char *s, float *out)
{
	if (!s)
		return false;
	while (isspace((unsigned char)*s))
		s++;
	size_t len = decimal_len(s);
	if (!len)
		return false;
	const char *end = s + len;
	while (isspace((unsigned char)*end))
		end++;
	if (*end)
		return false;
	/* The text is a plain decimal number, which strtod() reads whole
	 * (tingle never changes LC_NUMERIC from "C"). Too small for a float
	 * is 0; too large for a float (1e39, 1e400) is no number. */
	double v = strtod(s, NULL);
	if (!isfinite(v) || fabs(v) > FLT_MAX)
		return false;
	*out = (float)v;
	return true;
}

bool parse_int(const char *s, long *out)
{
	if (!s)
		return false;
	while (isspace((unsigned char)*s))
		s++;
	if (!*s)
		return false;
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	while (isspace((unsigned char)*end))
		end++;
	if (*end || errno == ERANGE)
		return false;
	*out = v;
	return true;
}

bool parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	if (!s)
		return false;
	for (size_t i = 0; i < TINGLE_ARRAY_LEN(yes); i++) {
		if (!strcasecmp(s, yes[i])) {
			*out = true;
			return true;
		}
		if (!strcasecmp(s, no[i])) {
			*out = false;
			return true;
		}
	}
	return false;
}

bool parse_azimuth(const char *s, float *out)
{
	static const struct { const char *word; float az; } words[] = {
		{ "front", 0.0f }, { "left", 90.0f }, { "right", -90.0f }, { "behind", 180.0f },
	};
	for (size_t i = 0; s && i < TINGLE_ARRAY_LEN(words); i++)
		if (!strcasecmp(s, words[i].word)) {
			*out = words[i].az;
			return true;
		}
	return parse_float(s, out);
}

bool parse_elevation(const char *s, float *out)
{
	static const struct { const char *word; float el; } words[] = {
		{ "above", 90.0f }, { "below", -90.0f }, { "level", 0.0f },
	};
	for (size_t i = 0; s && i < TINGLE_ARRAY_LEN(words); i++)
		if (!strcasecmp(s, words[i].word)) {
			*out = words[i].el;
			return true;
		}
	float v;
	if (!parse_float(s, &v) || v < -90.0f || v > 90.0f)
		return false;
	*out = v;
	return true;
}

float wrap_azimuth(float az)
{
	float a = fmodf(az + 180.0f, 360.0f);
	if (a < 0.0f)
		a += 360.0f;
	return a - 180.0f;
}

#ifndef PKGDATADIR
#define PKGDATADIR "/usr/local/share/tingle"
#endif

const char *tingle_datadir(void)
{
	const char *d = getenv("TINGLE_DATADIR");
	return d && *d ? d : PKGDATADIR;
}

double bessel_i0(double x)
{
	double sum = 1.0, term = 1.0;
	for (int k = 1; k < 64 && term > 1e-17 * sum; k++) {
		double y = x / (2.0 * k);
		term *= y * y;
		sum += term;
	}
	return sum;
}

const char *file_type_name(unsigned mode)
{
	mode_t m = (mode_t)mode;
	if (S_ISREG(m))
		return "a regular file";
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	if (S_ISSOCK(m))
		return "a socket";
	return "a special file";
}

void str_copy(char *dst, size_t n, const char *src)
{
	if (!n)
		return;
	size_t len = strlen(src);
	if (len >= n)
		len = n - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

char *str_trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t len = strlen(s);
	while (len && isspace((unsigned char)s[len - 1]))
		s[--len] = '\0';
	return s;
}

size_t str_split(char *buf, char **words, size_t max)
{
	size_t n = 0;
	char *save = NULL;
	for (char *w = strtok_r(buf, " \t,", &save); w && n < max; w = strtok_r(NULL, " \t,", &save))
		words[n++] = w;
	return n;
}

int tingle_err(char *err, size_t n, const char *fmt, ...)
{
	if (err && n) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, n, fmt, ap);
		va_end(ap);
	}
	return -1;
}
