#include "config.h"
#include "rt/limiter.h"

#include <math.h>

#include "common/util.h"

void limiter_init(struct limiter *l, float ceiling_db, unsigned rate, float release_s)
{
	limiter_set_ceiling(l, ceiling_db);
	l->gain = 1.0f;
	l->min_gain = 1.0f;
	l->release = 1.0f - expf(-1.0f / (release_s * (float)rate));
}

void limiter_set_ceiling(struct limiter *l, float ceiling_db)
{
	if (!(ceiling_db <= 0.0f))
		ceiling_db = 0.0f;
	l->ceiling = db_to_gain(ceiling_db);
}

void limiter_process(struct limiter *l, float *left, float *right, unsigned n)
{
	const float c = l->ceiling;
	float g = l->gain, low = l->min_gain;
	for (unsigned i = 0; i < n; i++) {
		float a = left[i], b = right[i];
		if (!isfinite(a))
			a = 0.0f;
		if (!isfinite(b))
			b = 0.0f;
		float peak = fmaxf(fabsf(a), fabsf(b));
		g += (1.0f - g) * l->release;
		if (peak * g > c)
			g = c / peak;
		if (g < low)
			low = g;
		/* The clamp only catches rounding: g already keeps peak*g <= c. */
		left[i] = fminf(fmaxf(a * g, -c), c);
		right[i] = fminf(fmaxf(b * g, -c), c);
	}
	l->gain = g;
	l->min_gain = low;
}
