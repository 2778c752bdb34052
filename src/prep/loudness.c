/* Loudness with libebur128 (EBU R128 / ITU-R BS.1770-4): the K-weighted,
 * gated measures, not a meter of our own. */
#include "config.h"
#include "prep/loudness.h"

#include "common/limits.h"

#include <ebur128.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

struct loudness_meter {
	ebur128_state *st;
	unsigned channels;
	size_t hop, in_hop;   /* the maxima are read every 100 ms (EBU Tech 3341) */
	double momentary_max, short_term_max;
	int failed;
};

struct loudness_meter *loudness_meter_new(unsigned channels, unsigned rate)
{
	if (channels < 1 || channels > 2 || rate < TINGLE_RATE_MIN || rate > TINGLE_RATE_MAX)
		return NULL;
	struct loudness_meter *m = calloc(1, sizeof *m);
	if (!m)
		return NULL;
	m->st = ebur128_init(channels, rate, EBUR128_MODE_I | EBUR128_MODE_S | EBUR128_MODE_TRUE_PEAK);
	if (!m->st) {
		free(m);
		return NULL;
	}
	/* One channel is a mono sound heard on both ears: BS.1770's dual mono
	 * (3 dB above the same signal on one loudspeaker). */
	if (channels == 1)
		ebur128_set_channel(m->st, 0, EBUR128_DUAL_MONO);
	m->channels = channels;
	m->hop = rate / 10;
	m->momentary_max = m->short_term_max = -HUGE_VAL;
	return m;
}

static void read_maxima(struct loudness_meter *m)
{
	double v;
	if (ebur128_loudness_momentary(m->st, &v) == EBUR128_SUCCESS && v > m->momentary_max)
		m->momentary_max = v;
	if (ebur128_loudness_shortterm(m->st, &v) == EBUR128_SUCCESS && v > m->short_term_max)
		m->short_term_max = v;
}

int loudness_meter_add(struct loudness_meter *m, const float *x, size_t frames)
{
	while (frames > 0 && !m->failed) {
		size_t n = m->hop - m->in_hop < frames ? m->hop - m->in_hop : frames;
		if (ebur128_add_frames_float(m->st, x, n) != EBUR128_SUCCESS) {
			m->failed = 1;
			break;
		}
		x += n * m->channels;
		frames -= n;
		m->in_hop += n;
		if (m->in_hop == m->hop) {
			m->in_hop = 0;
			read_maxima(m);
		}
	}
	return m->failed ? -1 : 0;
}

void loudness_meter_result(struct loudness_meter *m, struct loudness *out)
{
	out->integrated = out->momentary_max = out->short_term_max = out->true_peak = -HUGE_VAL;
	if (m->failed)
		return;
	/* Integrated loudness and true peak of what was fed, before the
	 * silence below. */
	double tp = 0.0;
	for (unsigned c = 0; c < m->channels; c++) {
		double p;
		if (ebur128_true_peak(m->st, c, &p) == EBUR128_SUCCESS && p > tp)
			tp = p;
	}
	out->true_peak = tp > 0.0 ? 20.0 * log10(tp) : -HUGE_VAL;
	if (ebur128_loudness_global(m->st, &out->integrated) != EBUR128_SUCCESS || !isfinite(out->integrated))
		out->integrated = -HUGE_VAL;
	/* The windows still open see the end, then half a second of silence
	 * (a short sound's loudest 400 ms end after it does). */
	static const float zeros[2 * 480];
	for (size_t left = m->hop * 5; left > 0 && !m->failed;) {
		size_t n = left < 480 ? left : 480;
		loudness_meter_add(m, zeros, n);
		left -= n;
	}
	out->momentary_max = m->momentary_max;
	out->short_term_max = m->short_term_max;
	m->failed = 1; /* no more */
}

void loudness_meter_free(struct loudness_meter *m)
{
	if (!m)
		return;
	ebur128_destroy(&m->st);
	free(m);
}

int loudness_measure(const float *x, size_t frames, unsigned channels, unsigned rate, struct loudness *out,
		     char *err, size_t errlen)
{
	out->integrated = out->momentary_max = out->short_term_max = out->true_peak = -HUGE_VAL;
	struct loudness_meter *m = loudness_meter_new(channels, rate);
	if (!m) {
		snprintf(err, errlen, "loudness: cannot measure %u channels at %u Hz (out of memory?)", channels,
			 rate);
		return -1;
	}
	int rc = loudness_meter_add(m, x, frames);
	if (rc == 0)
		loudness_meter_result(m, out);
	loudness_meter_free(m);
	if (rc < 0) {
		snprintf(err, errlen, "loudness: libebur128 failed");
		return -1;
	}
	return 0;
}

double loudness_of_sound(const float *const *buf, const size_t *len, unsigned n, bool oneshot, unsigned rate)
{
	char err[128];
	struct loudness l;
	if (n == 0)
		return -HUGE_VAL;
	if (oneshot) {
		/* The mean, in power, of each variant's loudest 400 ms. */
		double sum = 0.0;
		unsigned counted = 0;
		for (unsigned i = 0; i < n; i++) {
			if (loudness_measure(buf[i], len[i], 1, rate, &l, err, sizeof err) < 0)
				return -HUGE_VAL;
			if (isfinite(l.momentary_max)) {
				sum += pow(10.0, l.momentary_max / 10.0);
				counted++;
			}
		}
		return counted ? 10.0 * log10(sum / counted) : -HUGE_VAL;
	}
	/* Held and looping sounds: the variants one after the other, as a
	 * held note plays them, integrated (gated). */
	struct loudness_meter *m = loudness_meter_new(1, rate);
	if (!m)
		return -HUGE_VAL;
	int rc = 0;
	for (unsigned i = 0; i < n && rc == 0; i++)
		rc = loudness_meter_add(m, buf[i], len[i]);
	if (rc == 0)
		loudness_meter_result(m, &l);
	loudness_meter_free(m);
	return rc == 0 && isfinite(l.integrated) ? l.integrated : -HUGE_VAL;
}
