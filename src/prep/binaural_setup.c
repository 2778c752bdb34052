/* Control threads: building and freeing the binaural renderer (the audio
 * thread's side is src/rt/binaural.c): HRIR spectra, the triangulation
 * copied from the HRTF set, the fractional-delay table, the near-field
 * model's parameter grid and the air absorption, every source's memory
 * and the directions' delay lines, all allocated here. */
#include "config.h"
#include "common/util.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "common/limits.h"
#include "prep/hrtf.h"
#include "rt/binaural.h"

/* FFTW's planner is not thread-safe; cores may be built from the main
 * thread and from JACK's notification thread. */
static pthread_mutex_t plan_lock = PTHREAD_MUTEX_INITIALIZER;

/* The fractional-delay kernel: sinc under a Kaiser window that is zero at
 * +-BIN_FD_TAPS/2, so that the row for a fraction of 1 is the row for 0
 * moved by a tap. Flat within 0.07 dB to 18 kHz at 48 kHz whatever the
 * fraction, 1.1 dB down at 20 kHz at worst. */
#define FD_BETA 4.0

/* Spagnol, Tavazzi & Avanzini, "Distance rendering and perception of
 * nearby virtual sound sources with a near-field filter model", Applied
 * Acoustics 115 (2017) 61-73, Table 1: the rational functions of rho
 * (distance / head radius, 1.25 to 16) fitted to the distance variation
 * function of a rigid sphere (Duda & Martens 1998) per 10 degrees of angle
 * between the source and the ear. Per angle: DC gain in dB (eq. 8:
 * (p11 rho + p21) / (rho^2 + q11 rho + q21)), high-frequency gain relative
 * to it in dB (eq. 13, same form with p12, p22, q12, q22) and the corner
 * (eq. 14: (p13 rho^2 + p23 rho + p33) / (rho^2 + q13 rho + q23), times
 * c / (2 pi a) Hz). */
static const double dvf_fit[BIN_NEAR_ANGLES][13] = {
	/* p11, p21, q11, q21, p12, p22, q12, q22, p13, p23, p33, q13, q23 */
	{ 12.97, -9.69, -1.14, 0.219, -4.39, 2.123, -0.55, -0.06, 0.457, -0.67, 0.174, -1.75, 0.699 }, /* 0 */
	{ 13.19, 234.2, 18.48, -8.5, -4.31, -2.78, 0.59, -0.17, 0.455, 0.142, -0.11, -0.01, -0.35 }, /* 10 */
	{ 12.13, -11.2, -1.25, 0.346, -4.18, 4.224, -1.01, -0.02, -0.87, 3404., -1699., 7354., -5350. }, /* 20 */
	{ 11.19, -9.03, -1.02, 0.336, -4.01, 3.039, -0.56, -0.32, 0.465, -0.91, 0.437, -2.18, 1.188 }, /* 30 */
	{ 9.91, -7.87, -0.83, 0.379, -3.87, -0.57, 0.665, -1.13, 0.494, -0.67, 0.658, -1.2, 0.256 }, /* 40 */
	{ 8.328, -7.42, -0.67, 0.421, -4.1, -34.7, 11.39, -8.3, 0.549, -1.21, 2.02, -1.59, 0.816 }, /* 50 */
	{ 6.493, -7.31, -0.5, 0.423, -3.87, 3.271, -1.57, 0.637, 0.663, -1.76, 6.815, -1.23, 1.166 }, /* 60 */
	{ 4.455, -7.28, -0.32, 0.382, -5.02, 0.023, -0.87, 0.325, 0.691, 4.655, 0.614, -0.89, 0.76 }, /* 70 */
	{ 2.274, -7.29, -0.11, 0.314, -6.72, -8.96, 0.37, -0.08, 3.507, 55.09, 589.3, 29.23, 59.51 }, /* 80 */
	{ 0.018, -7.48, -0.13, 0.24, -8.69, -58.4, 5.446, -1.19, -27.4, 10336., 16818., 1945., 1707. }, /* 90 */
	{ -2.24, -8.04, 0.395, 0.177, -11.2, 11.47, -1.13, 0.103, 6.371, 1.735, -9.39, -0.06, -1.12 }, /* 100 */
	{ -4.43, -9.23, 0.699, 0.132, -12.1, 8.716, -0.63, -0.12, 7.032, 40.88, -44.1, 5.635, -6.18 }, /* 110 */
	{ -6.49, -11.6, 1.084, 0.113, -11.1, 21.8, -2.01, 0.098, 7.092, 23.86, -23.6, 3.308, -3.39 }, /* 120 */
	{ -8.34, -17.4, 1.757, 0.142, -11.1, 1.91, 0.15, -0.4, 7.463, 102.8, -92.3, 13.88, -12.7 }, /* 130 */
	{ -9.93, -48.4, 4.764, 0.462, -9.72, -0.04, 0.243, -0.41, 7.453, -6.14, -1.81, -0.88, -0.19 }, /* 140 */
	{ -11.3, 9.149, -0.64, -0.14, -8.42, -0.66, 0.147, -0.34, 8.101, -18.1, 10.54, -2.23, 1.295 }, /* 150 */
	{ -12.2, 1.905, 0.109, -0.08, -7.44, 0.395, -0.18, -0.18, 8.702, -9.05, 0.532, -0.96, -0.02 }, /* 160 */
	{ -12.8, -0.75, 0.386, -0.06, -6.78, 2.662, -0.67, 0.05, 8.925, -9.03, 0.285, -0.9, -0.08 }, /* 170 */
	{ -13.0, -1.32, 0.45, -0.05, -6.58, 3.387, -0.84, 0.131, 9.317, -6.89, -2.08, -0.57, -0.4 }, /* 180 */
};

static void dvf_eval(int angle, double rho, double out[3])
{
	const double *c = dvf_fit[angle], r2 = rho * rho;
	out[0] = (c[0] * rho + c[1]) / (r2 + c[2] * rho + c[3]);
	out[1] = (c[4] * rho + c[5]) / (r2 + c[6] * rho + c[7]);
	out[2] = (c[8] * r2 + c[9] * rho + c[10]) / (r2 + c[11] * rho + c[12]) * 343.0 /
		 (2.0 * M_PI * BIN_HEAD_RADIUS);
}

static double median3(double a, double b, double c)
{
	return fmax(fmin(a, b), fmin(fmax(a, b), c));
}

/* The grid the audio thread interpolates. Some of the fit's functions have
 * a pole right next to a zero (120 degrees: at rho = 1.96): a spike a few
 * thousandths of rho wide, which the median of three points 1 % apart
 * removes. */
static void near_grid(struct binaural *b)
{
	const double lo = BIN_NEAR_RHO_MIN, hi = 1.05 * BIN_NEAR_TO / BIN_HEAD_RADIUS;
	const double step = log(hi / lo) / (BIN_NEAR_RHO_STEPS - 1);
	b->near_log_rho_step = (float)step;
	for (int a = 0; a < BIN_NEAR_ANGLES; a++)
		for (int k = 0; k < BIN_NEAR_RHO_STEPS; k++) {
			double rho = lo * exp(step * k), p[3][3];
			dvf_eval(a, rho * 0.99, p[0]);
			dvf_eval(a, rho, p[1]);
			dvf_eval(a, rho * 1.01, p[2]);
			float *g = b->near_grid + ((size_t)a * BIN_NEAR_RHO_STEPS + (size_t)k) * 3;
			for (int c = 0; c < 3; c++) {
				double v = median3(p[0][c], p[1][c], p[2][c]);
				if (!isfinite(v))
					v = c == 2 ? 1000.0 : 0.0;
				g[c] = (float)(c == 2 ? fmin(fmax(v, 20.0), 20000.0) : fmin(fmax(v, -40.0), 40.0));
			}
		}
}

/* ISO 9613-1 pure-tone absorption of air, dB per metre, at 20 C, 50 %
 * relative humidity and 101.325 kPa. */
static double air_absorption(double f)
{
	const double T = 293.15, T0 = 293.15, T01 = 273.16, hr = 50.0, pa = 1.0;
	double psat = pow(10.0, -6.8346 * pow(T01 / T, 1.261) + 4.6151);
	double h = hr * psat / pa;
	double fr_o = pa * (24.0 + 4.04e4 * h * (0.02 + h) / (0.391 + h));
	double fr_n = pa * pow(T / T0, -0.5) * (9.0 + 280.0 * h * exp(-4.170 * (pow(T / T0, -1.0 / 3.0) - 1.0)));
	return 8.686 * f * f *
	       (1.84e-11 / pa * sqrt(T / T0) +
		pow(T / T0, -2.5) * (0.01275 * exp(-2239.1 / T) / (fr_o + f * f / fr_o) +
				     0.1068 * exp(-3352.0 / T) / (fr_n + f * f / fr_n)));
}

static void fd_table(float *fd)
{
	const int before = BIN_FD_TAPS / 2 - 1;
	const double half = BIN_FD_TAPS / 2.0, i0b = bessel_i0(FD_BETA);
	double c[BIN_FD_PHASES + 1][BIN_FD_TAPS];
	for (int r = 0; r <= BIN_FD_PHASES; r++) {
		double f = (double)r / BIN_FD_PHASES, sum = 0.0;
		for (int j = 0; j < BIN_FD_TAPS; j++) {
			double t = (double)(j - before) - f, u = t / half;
			double win = fabs(u) >= 1.0 ? 0.0 : (bessel_i0(FD_BETA * sqrt(1.0 - u * u)) - 1.0) / (i0b - 1.0);
			double s = fabs(t) < 1e-12 ? 1.0 : sin(M_PI * t) / (M_PI * t);
			c[r][j] = s * win;
			sum += c[r][j];
		}
		for (int j = 0; j < BIN_FD_TAPS; j++)
			c[r][j] /= sum;
	}
	for (int r = 0; r < BIN_FD_PHASES; r++) {
		float *row = fd + (size_t)r * BIN_FD_ROW;
		memset(row, 0, BIN_FD_ROW * sizeof *row);
		for (int j = 0; j < BIN_FD_TAPS; j++) {
			row[j] = (float)c[r][j];
			row[16 + j] = (float)(c[r + 1][j] - c[r][j]);
		}
	}
}

static size_t round16(size_t n) { return (n + 15) & ~(size_t)15; }

/* Memory every block streams through (all sources' spectra and filters,
 * tens of MB): in huge pages where the kernel has them, so that walking
 * it does not also walk the page tables. Freed with free(). */
static void *big_alloc(size_t bytes)
{
	const size_t huge = (size_t)2 << 20;
	void *p = NULL;
	if (bytes < 2 * huge)
		return posix_memalign(&p, 64, bytes) == 0 ? p : NULL;
	/* Whole huge pages, every one touched now: the kernel may merge
	 * small pages into huge ones at any time later, and a merge must not
	 * make the daemon grow (nor fault on the audio thread). */
	const size_t size = (bytes + huge - 1) & ~(huge - 1);
	if (posix_memalign(&p, huge, size) != 0)
		return NULL;
#ifdef MADV_HUGEPAGE
	(void)madvise(p, size, MADV_HUGEPAGE); /* a hint */
#endif
	memset(p, 0, size);
	return p;
}

struct binaural *binaural_new(const struct hrtf_set *h, unsigned block, unsigned n_sources,
			      unsigned fftw_flags)
{
	const struct hrtf_mesh *mesh = &h->mesh;
	if (block == 0 || n_sources == 0 || h->n_dirs == 0 || h->length == 0 || !mesh->n_tris ||
	    !mesh->tri || !mesh->cell || !h->delay)
		return NULL;
	struct binaural *b = calloc(1, sizeof *b);
	if (!b)
		return NULL;
	const unsigned P = block, N = 2 * block;
	b->block = P;
	b->rate = h->rate;
	b->row = (unsigned)round16(P);
	b->acc_stride = (unsigned)round16(P + 1);
	b->parts = (h->length + P - 1) / P;
	b->step_cos = cosf(BIN_FILTER_STEP_DEG * (float)(M_PI / 180.0));
	b->n_dirs = h->n_dirs;
	b->n_filters = h->n_dirs + mesh->n_virtual;
	b->n_sources = n_sources;
	b->n_shells = mesh->n_shells;
	const unsigned K = b->parts, row = b->row;
	b->filt_size = (size_t)2 * K * 2 * row;

	/* Delays: every read of a line needs BIN_FD_TAPS / 2 samples of
	 * delay; a set whose delays come nearer gets the difference on all of
	 * them (a set with none at all is convolved directly). */
	float dmin = INFINITY, dmax = 0.0f;
	for (size_t i = 0; i < (size_t)h->n_dirs * 2; i++) {
		dmin = fminf(dmin, h->delay[i]);
		dmax = fmaxf(dmax, h->delay[i]);
	}
	b->delays = dmax > 0.0f;
	const float offset = b->delays ? fmaxf(0.0f, BIN_FD_TAPS / 2 - dmin) : 0.0f;
	const double longest = b->delays ? ceil((double)dmax + offset) : 0.0;
	unsigned R = 0;
	if (b->delays) {
		R = 16;
		while (R < P + longest + BIN_FD_TAPS + 2)
			R *= 2;
	}
	b->ring = R;
	b->sleep_after = K + (unsigned)ceil((longest + BIN_FD_TAPS) / P) + 2;

	/* A source's memory, in the order one block reads it. */
	b->off_hist = round16((size_t)2 * R);
	b->off_fdl = b->off_hist + round16((size_t)2 * P);
	b->off_filt = b->off_fdl + (size_t)2 * K * 2 * row;
	b->per_source = b->off_filt + b->filt_size;

	const size_t spec = (size_t)b->n_filters * b->filt_size;
	b->h = big_alloc(spec * sizeof(float));
	b->delay = malloc((size_t)b->n_filters * 2 * sizeof *b->delay);
	b->shell_distance = malloc(b->n_shells * sizeof *b->shell_distance);
	b->tri = malloc((size_t)mesh->n_tris * sizeof *b->tri);
	b->cell = malloc((size_t)b->n_shells * HRTF_GRID_EL * HRTF_GRID_AZ * sizeof *b->cell);
	b->fd = fftwf_malloc((size_t)BIN_FD_PHASES * BIN_FD_ROW * sizeof(float));
	b->near_grid = malloc((size_t)BIN_NEAR_ANGLES * BIN_NEAR_RHO_STEPS * 3 * sizeof(float));
	b->arena = big_alloc((size_t)n_sources * b->per_source * sizeof(float));
	b->dir_in = big_alloc((size_t)b->n_filters * 4 * row * sizeof(float));
	b->dir_last = calloc(b->n_filters, sizeof *b->dir_last);
	b->dir_users = calloc(b->n_filters, sizeof *b->dir_users);
	b->dir_on = malloc(b->n_filters * sizeof *b->dir_on);
	b->spec = big_alloc((size_t)2 * 2 * 2 * row * sizeof(float));
	b->cin = fftwf_malloc(2 * N * sizeof(float));
	b->cout = fftwf_malloc((2 * N + 2) * sizeof(float)); /* one bin more: Z[N] = Z[0] */
	b->y[0] = fftwf_malloc(P * sizeof(float));
	b->y[1] = fftwf_malloc(P * sizeof(float));
	b->slot = malloc(K * sizeof *b->slot);
	b->t_out = fftwf_malloc(N * sizeof(float));
	b->scratch = fftwf_malloc(P * sizeof(float));
	b->fd_tmp = fftwf_malloc(P * sizeof(float));
	b->fade_in = fftwf_malloc(P * sizeof(float));
	b->zeros = fftwf_malloc(5 * P * sizeof(float));
	if (b->zeros) {
		b->yx[0] = b->zeros + P;
		b->yx[1] = b->zeros + 2 * P;
		b->tail[0] = b->zeros + 3 * P;
		b->tail[1] = b->zeros + 4 * P;
	}
	b->src = calloc(n_sources, sizeof *b->src);
	bool ok = b->h && b->delay && b->shell_distance && b->tri && b->cell && b->fd && b->near_grid &&
		  b->arena && b->dir_in && b->dir_last && b->dir_users && b->dir_on && b->spec && b->cin && b->cout &&
		  b->y[0] && b->y[1] && b->slot && b->t_out && b->scratch && b->fd_tmp && b->fade_in && b->zeros && b->src;
	/* The inverse plan runs on every accumulator pair (new-array execute):
	 * FFTW requires the same alignment and the same distance between the
	 * real and imaginary parts as in the planning pair, so each pair is one
	 * allocation with im = re + stride. */
	for (int a = 0; ok && a < BIN_ACCS; a++)
		for (int ear = 0; ear < 2; ear++) {
			b->acc_re[a][ear] = fftwf_malloc(2 * b->acc_stride * sizeof(float));
			b->acc_im[a][ear] = b->acc_re[a][ear] ? b->acc_re[a][ear] + b->acc_stride : NULL;
			ok = ok && b->acc_re[a][ear];
		}
	/* The directions' products: an accumulator pair per ear for each of
	 * the K blocks they reach into, laid out as the others. */
	b->y_re = ok ? calloc(2 * (size_t)K, sizeof *b->y_re) : NULL;
	b->y_im = ok ? calloc(2 * (size_t)K, sizeof *b->y_im) : NULL;
	b->y_live = ok ? calloc(K, sizeof *b->y_live) : NULL;
	b->yk_re = ok ? calloc(K, sizeof *b->yk_re) : NULL;
	b->yk_im = ok ? calloc(K, sizeof *b->yk_im) : NULL;
	b->dc_k = ok ? calloc(K, sizeof *b->dc_k) : NULL;
	b->ny_k = ok ? calloc(K, sizeof *b->ny_k) : NULL;
	ok = ok && b->y_re && b->y_im && b->y_live && b->yk_re && b->yk_im && b->dc_k && b->ny_k;
	for (size_t a = 0; ok && a < 2 * (size_t)K; a++) {
		b->y_re[a] = fftwf_malloc(2 * b->acc_stride * sizeof(float));
		b->y_im[a] = b->y_re[a] ? b->y_re[a] + b->acc_stride : NULL;
		ok = b->y_re[a] != NULL;
		if (ok)
			memset(b->y_re[a], 0, 2 * b->acc_stride * sizeof(float));
	}
	if (!ok) {
		binaural_free(b);
		return NULL;
	}

	/* Interleaved complex transforms: FFTW's are faster than its split
	 * real ones. The HRIRs are transformed once, here. */
	fftw_iodim dim = { .n = (int)N, .is = 1, .os = 1 };
	float *ir_in = fftwf_malloc(N * sizeof(float));
	fftwf_complex *ir_out = fftwf_malloc((P + 1) * sizeof *ir_out);
	fftwf_plan ir_plan = NULL;
	pthread_mutex_lock(&plan_lock);
	b->fwd = fftwf_plan_dft_1d((int)N, (fftwf_complex *)b->cin, (fftwf_complex *)b->cout, FFTW_FORWARD,
				   fftw_flags);
	b->inv = fftwf_plan_guru_split_dft_c2r(1, &dim, 0, NULL, b->acc_re[0][0], b->acc_im[0][0],
					       b->t_out, fftw_flags);
	if ((fftw_flags & FFTW_WISDOM_ONLY) && (!b->fwd || !b->inv)) {
		/* Not measured before at this size: estimated plans, made at once. */
		if (b->fwd)
			fftwf_destroy_plan(b->fwd);
		if (b->inv)
			fftwf_destroy_plan(b->inv);
		b->fwd = fftwf_plan_dft_1d((int)N, (fftwf_complex *)b->cin, (fftwf_complex *)b->cout, FFTW_FORWARD,
					   FFTW_ESTIMATE);
		b->inv = fftwf_plan_guru_split_dft_c2r(1, &dim, 0, NULL, b->acc_re[0][0], b->acc_im[0][0],
						       b->t_out, FFTW_ESTIMATE);
	}
	if (ir_in && ir_out)
		ir_plan = fftwf_plan_dft_r2c_1d((int)N, ir_in, ir_out, FFTW_ESTIMATE);
	pthread_mutex_unlock(&plan_lock);
	if (!b->fwd || !b->inv || !ir_plan) {
		pthread_mutex_lock(&plan_lock);
		if (ir_plan)
			fftwf_destroy_plan(ir_plan);
		pthread_mutex_unlock(&plan_lock);
		fftwf_free(ir_in);
		fftwf_free(ir_out);
		binaural_free(b);
		return NULL;
	}

	/* HRIR spectra of every measured direction and partition, with the
	 * inverse FFT's 1/N and the forward two-for-one's 1/2 folded in,
	 * packed as the sources' spectra are. Padding bins stay zero. */
	memset(b->h, 0, spec * sizeof(float));
	const float scale = 0.5f / (float)N;
	for (unsigned d = 0; d < h->n_dirs; d++)
		for (int ear = 0; ear < 2; ear++) {
			const float *ir = hrtf_ir(h, d, ear);
			for (unsigned k = 0; k < K; k++) {
				memset(ir_in, 0, N * sizeof(float));
				unsigned from = k * P;
				unsigned n = h->length - from < P ? h->length - from : P;
				for (unsigned i = 0; i < n; i++)
					ir_in[i] = ir[from + i] * scale;
				fftwf_execute(ir_plan);
				/* [ear][chunk][part][16 re, 16 im] */
				float *o = b->h + (size_t)d * b->filt_size;
				for (unsigned i = 0; i < P; i++) {
					size_t at = (((size_t)ear * (row / 16) + i / 16) * K + k) * 32 + i % 16;
					o[at] = ir_out[i][0];
					o[at + 16] = ir_out[i][1];
				}
				o[(((size_t)ear * (row / 16)) * K + k) * 32 + 16] = ir_out[P][0];
			}
		}
	pthread_mutex_lock(&plan_lock);
	fftwf_destroy_plan(ir_plan);
	pthread_mutex_unlock(&plan_lock);
	fftwf_free(ir_in);
	fftwf_free(ir_out);
	for (size_t i = 0; i < (size_t)h->n_dirs * 2; i++)
		b->delay[i] = h->delay[i] + offset;
	/* Virtual directions: the average of their measured neighbours. */
	for (unsigned v = 0; v < mesh->n_virtual; v++) {
		float *o = b->h + (size_t)(h->n_dirs + v) * b->filt_size;
		unsigned first = mesh->virt_start[v], n = mesh->virt_start[v + 1] - first;
		float dl[2] = { 0.0f, 0.0f };
		for (unsigned j = 0; j < n; j++) {
			uint32_t d = mesh->virt_list[first + j];
			const float *src = b->h + (size_t)d * b->filt_size;
			for (size_t i = 0; i < b->filt_size; i++)
				o[i] += src[i] / (float)n;
			dl[0] += b->delay[(size_t)d * 2] / (float)n;
			dl[1] += b->delay[(size_t)d * 2 + 1] / (float)n;
		}
		b->delay[(size_t)(h->n_dirs + v) * 2] = n ? dl[0] : offset;
		b->delay[(size_t)(h->n_dirs + v) * 2 + 1] = n ? dl[1] : offset;
	}

	/* Geometry, as the set has it. */
	memcpy(b->shell_distance, mesh->shell_distance, b->n_shells * sizeof *b->shell_distance);
	for (unsigned t = 0; t < mesh->n_tris; t++) {
		memcpy(b->tri[t].m, mesh->tri[t].m, sizeof b->tri[t].m);
		for (int i = 0; i < 3; i++) {
			uint32_t v = mesh->tri[t].v[i];
			b->tri[t].v[i] = v == HRTF_NO_VERTEX || v >= b->n_filters ? BIN_NO_VERTEX : v;
			b->tri[t].nb[i] = mesh->tri[t].nb[i];
		}
	}
	memcpy(b->cell, mesh->cell, (size_t)b->n_shells * HRTF_GRID_EL * HRTF_GRID_AZ * sizeof *b->cell);

	fd_table(b->fd);
	near_grid(b);
	double ref = fmin(BIN_AIR_REF_HZ, 0.4 * h->rate);
	b->air_db_per_m = (float)air_absorption(ref);
	b->air_cos = (float)cos(2.0 * M_PI * ref / h->rate);

	for (unsigned i = 0; i < P; i++)
		b->fade_in[i] = 0.5f - 0.5f * cosf((float)M_PI * ((float)i + 0.5f) / (float)P);
	for (int a = 0; a < BIN_ACCS; a++)
		for (int ear = 0; ear < 2; ear++)
			memset(b->acc_re[a][ear], 0, 2 * b->acc_stride * sizeof(float));
	/* Every page of the arena touched now, not on the audio thread. */
	memset(b->arena, 0, (size_t)n_sources * b->per_source * sizeof(float));
	memset(b->dir_in, 0, (size_t)b->n_filters * 4 * row * sizeof(float));
	memset(b->spec, 0, (size_t)2 * 2 * 2 * row * sizeof(float));
	memset(b->zeros, 0, 5 * P * sizeof(float));
	b->tail_live = false;
	b->n = K; /* no direction was written within the last K blocks (dir_last 0) */
	b->pos = 0;
	b->n_on = 0;
	b->agg_after = (unsigned)ceil(BIN_AGG_SECONDS * h->rate / P);
	if (b->agg_after < K)
		b->agg_after = K;
	for (unsigned s = 0; s < n_sources; s++)
		b->src[s].mem = b->arena + (size_t)s * b->per_source;
	binaural_init_sources(b);
	return b;
}

void binaural_free(struct binaural *b)
{
	if (!b)
		return;
	pthread_mutex_lock(&plan_lock);
	if (b->fwd)
		fftwf_destroy_plan(b->fwd);
	if (b->inv)
		fftwf_destroy_plan(b->inv);
	pthread_mutex_unlock(&plan_lock);
	for (int a = 0; a < BIN_ACCS; a++)
		for (int ear = 0; ear < 2; ear++)
			fftwf_free(b->acc_re[a][ear]); /* acc_im is part of it */
	free(b->h);
	free(b->delay);
	free(b->shell_distance);
	free(b->tri);
	free(b->cell);
	fftwf_free(b->fd);
	free(b->near_grid);
	free(b->arena);
	free(b->dir_in);
	if (b->y_re)
		for (size_t a = 0; a < 2 * (size_t)b->parts; a++)
			fftwf_free(b->y_re[a]); /* y_im is part of it */
	free(b->y_re);
	free(b->y_im);
	free(b->y_live);
	free(b->yk_re);
	free(b->yk_im);
	free(b->dc_k);
	free(b->ny_k);
	free(b->dir_last);
	free(b->dir_users);
	free(b->dir_on);
	free(b->spec);
	fftwf_free(b->cin);
	fftwf_free(b->cout);
	fftwf_free(b->y[0]);
	fftwf_free(b->y[1]);
	free(b->slot);
	fftwf_free(b->t_out);
	fftwf_free(b->scratch);
	fftwf_free(b->fd_tmp);
	fftwf_free(b->fade_in);
	fftwf_free(b->zeros); /* yx and tail are part of it */
	free(b->src);
	free(b);
}
