#include "config.h"
#include "common/util.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

bool parse_float(const char *s, float *out)
{
	if (!s)
		return false;
	while (isspace((unsigned char)*s))
		s++;
	if (!*s)
		return false;
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	while (isspace((unsigned char)*end))
		end++;
	if (*end || errno == ERANGE || !isfinite(v))
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
