/* Control thread: the triangulation of an HRTF set's measured directions,
 * so that the audio thread can blend the (up to) three measurements around
 * any direction with barycentric weights, as VBAP does for loudspeakers.
 *
 * The directions measured at one distance (a shell) are unit vectors on a
 * sphere; the convex hull of points on a sphere is their spherical
 * Delaunay triangulation, and the triangle whose cone (from the head
 * centre) holds a direction is the one to blend. The hull is built
 * incrementally: it starts from a tiny tetrahedron of helper points around
 * the centre, so that the centre is always inside and a point is located
 * by walking across the great circles of the edges. Where the measurements
 * surround the centre the helpers end up inside the hull and vanish; where
 * they do not (a set measured over a hemisphere only) triangles with a
 * helper remain, and the audio thread blends only the measured vertices of
 * those. A pole with no measurement within HRTF_POLE_GAP_DEG (KEMAR stops
 * at -40 degrees) gets a virtual vertex whose filter is the average of its
 * measured neighbours, so that the cap below the lowest ring is blended
 * from nearby directions instead of long thin triangles across it. */
#include "config.h"
#include "prep/hrtf.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RAD_PER_DEG (M_PI / 180.0)
#define HRTF_POLE_GAP_DEG 15.0
#define HELPER_RADIUS 1e-3
/* A point less than this above a face's plane (relative to the face's
 * size) does not see it: co-circular points stay on the kept face. */
#define VISIBLE_EPS 1e-12

struct face {
	uint32_t v[3];   /* counter-clockwise seen from outside */
	int32_t nb[3];   /* across the edge facing v[i] */
	uint32_t stamp;  /* visited in the current insertion */
	bool dead;
};

struct hull {
	double (*p)[3];  /* points: helpers, then the shell's vertices */
	uint32_t *id;    /* what each point is: HRTF_NO_VERTEX for helpers */
	unsigned n;
	struct face *f;
	unsigned nf, capf;
	uint32_t stamp;
	int32_t *from, *to; /* per point: new face whose horizon edge starts, ends there */
	int32_t *todo;      /* face stack */
	unsigned ntodo, captodo;
	int32_t *made;      /* new faces of one insertion */
	unsigned nmade, capmade;
	int32_t last;       /* where the next walk starts */
};

static double det3(const double a[3], const double b[3], const double c[3])
{
	return a[0] * (b[1] * c[2] - b[2] * c[1]) - a[1] * (b[0] * c[2] - b[2] * c[0]) +
	       a[2] * (b[0] * c[1] - b[1] * c[0]);
}

/* Height of q above the plane of face f, relative to the face's size
 * (positive: outside). */
static double height(const struct hull *H, const struct face *f, const double q[3])
{
	const double *a = H->p[f->v[0]], *b = H->p[f->v[1]], *c = H->p[f->v[2]];
	double u[3] = { b[0] - a[0], b[1] - a[1], b[2] - a[2] };
	double w[3] = { c[0] - a[0], c[1] - a[1], c[2] - a[2] };
	double n[3] = { u[1] * w[2] - u[2] * w[1], u[2] * w[0] - u[0] * w[2], u[0] * w[1] - u[1] * w[0] };
	double len = sqrt(n[0] * n[0] + n[1] * n[1] + n[2] * n[2]);
	if (!(len > 0.0))
		return 0.0;
	return (n[0] * (q[0] - a[0]) + n[1] * (q[1] - a[1]) + n[2] * (q[2] - a[2])) / len;
}

static int add_face(struct hull *H, uint32_t a, uint32_t b, uint32_t c)
{
	if (H->nf == H->capf) {
		unsigned cap = H->capf ? 2 * H->capf : 64;
		struct face *f = realloc(H->f, cap * sizeof *f);
		if (!f)
			return -1;
		H->f = f;
		H->capf = cap;
	}
	H->f[H->nf] = (struct face){ .v = { a, b, c }, .nb = { -1, -1, -1 } };
	return (int)H->nf++;
}

static bool push(int32_t **arr, unsigned *n, unsigned *cap, int32_t v)
{
	if (*n == *cap) {
		unsigned c = *cap ? 2 * *cap : 64;
		int32_t *a = realloc(*arr, c * sizeof *a);
		if (!a)
			return false;
		*arr = a;
		*cap = c;
	}
	(*arr)[(*n)++] = v;
	return true;
}

/* The live face whose cone holds q, walking from `from` across every edge
 * whose great circle has q on its far side. The centre is inside the
 * hull, so the faces' cones tile the sphere; the edge tried first turns
 * with each step, which keeps the walk from circling. */
static int32_t locate(const struct hull *H, int32_t from, const double q[3])
{
	int32_t f = from;
	unsigned limit = 4 * H->nf + 64;
	for (unsigned step = 0; step < limit; step++) {
		const struct face *F = &H->f[f];
		int32_t next = -1;
		for (unsigned k = 0; k < 3; k++) {
			unsigned i = (k + step) % 3;
			if (det3(H->p[F->v[(i + 1) % 3]], H->p[F->v[(i + 2) % 3]], q) < 0.0) {
				next = F->nb[i];
				break;
			}
		}
		if (next < 0)
			return f;
		f = next;
	}
	/* Rounding kept it circling between near-degenerate faces: the last
	 * one is as good as any of them. */
	return f;
}

/* Insert point pi. Returns 0, 1 when it was inside already (a repeat), or
 * -1 when out of memory. */
static int insert(struct hull *H, uint32_t pi)
{
	const double *q = H->p[pi];
	int32_t start = locate(H, H->last, q);
	if (height(H, &H->f[start], q) <= VISIBLE_EPS)
		return 1;
	/* Every face q sees: a connected patch around the one found. */
	uint32_t st = ++H->stamp;
	H->ntodo = 0;
	H->nmade = 0;
	if (!push(&H->todo, &H->ntodo, &H->captodo, start))
		return -1;
	H->f[start].stamp = st;
	unsigned seen = 0;
	int32_t *visible = NULL;
	unsigned nvis = 0, capvis = 0;
	while (seen < H->ntodo) {
		int32_t f = H->todo[seen++];
		if (!push(&visible, &nvis, &capvis, f)) {
			free(visible);
			return -1;
		}
		for (int i = 0; i < 3; i++) {
			int32_t g = H->f[f].nb[i];
			if (g < 0 || H->f[g].stamp == st)
				continue;
			if (height(H, &H->f[g], q) > VISIBLE_EPS) {
				H->f[g].stamp = st;
				if (!push(&H->todo, &H->ntodo, &H->captodo, g)) {
					free(visible);
					return -1;
				}
			}
		}
	}
	/* The horizon: edges between a visible face and a hidden one. Each
	 * gets a new face to q, linked to the hidden face and, through the
	 * edge's end points, to its two new neighbours. */
	for (unsigned k = 0; k < nvis; k++) {
		int32_t f = visible[k];
		for (int i = 0; i < 3; i++) {
			int32_t g = H->f[f].nb[i];
			if (g >= 0 && H->f[g].stamp == st)
				continue;
			uint32_t a = H->f[f].v[(i + 1) % 3], b = H->f[f].v[(i + 2) % 3];
			int nf = add_face(H, a, b, pi);
			if (nf < 0 || !push(&H->made, &H->nmade, &H->capmade, nf)) {
				free(visible);
				return -1;
			}
			H->f[nf].nb[2] = g;
			if (g >= 0)
				for (int j = 0; j < 3; j++)
					if (H->f[g].nb[j] == f)
						H->f[g].nb[j] = nf;
			H->from[a] = nf;
			H->to[b] = nf;
		}
	}
	for (unsigned k = 0; k < H->nmade; k++) {
		int32_t nf = H->made[k];
		struct face *F = &H->f[nf];
		F->nb[0] = H->from[F->v[1]]; /* across (b, q) */
		F->nb[1] = H->to[F->v[0]];   /* across (q, a) */
	}
	for (unsigned k = 0; k < H->nmade; k++) {
		struct face *F = &H->f[H->made[k]];
		H->from[F->v[0]] = H->to[F->v[1]] = -1;
	}
	for (unsigned k = 0; k < nvis; k++)
		H->f[visible[k]].dead = true;
	free(visible);
	H->last = H->made[0];
	return 0;
}

static void unit_of(double az_deg, double el_deg, double u[3])
{
	double az = az_deg * RAD_PER_DEG, el = el_deg * RAD_PER_DEG;
	u[0] = cos(el) * cos(az);
	u[1] = cos(el) * sin(az);
	u[2] = sin(el);
}

/* Weights = m q for q in the cone of (a, b, c): m is the inverse of the
 * matrix with a, b, c as columns. */
static void invert(const double *a, const double *b, const double *c, float m[9])
{
	double d = det3(a, b, c);
	if (!(fabs(d) > 1e-300)) {
		memset(m, 0, 9 * sizeof *m);
		return;
	}
	/* Rows of the inverse are the cross products of the other columns. */
	const double *col[3] = { a, b, c };
	for (int r = 0; r < 3; r++) {
		const double *x = col[(r + 1) % 3], *y = col[(r + 2) % 3];
		m[3 * r + 0] = (float)((x[1] * y[2] - x[2] * y[1]) / d);
		m[3 * r + 1] = (float)((x[2] * y[0] - x[0] * y[2]) / d);
		m[3 * r + 2] = (float)((x[0] * y[1] - x[1] * y[0]) / d);
	}
}

void hrtf_mesh_free(struct hrtf_mesh *m)
{
	if (!m)
		return;
	free(m->shell_distance);
	free(m->virt_start);
	free(m->virt_list);
	free(m->virt_unit);
	free(m->tri);
	free(m->cell);
	memset(m, 0, sizeof *m);
}

/* What is built for one shell, before it joins the mesh. */
struct shell_out {
	struct hrtf_tri *tri;
	unsigned n_tri;
	double (*virt)[3];        /* its virtual poles */
	uint32_t *virt_nb;        /* their measured neighbours */
	unsigned n_virt_nb[2];
	unsigned n_virt;
};

static void shell_out_free(struct shell_out *o)
{
	free(o->tri);
	free(o->virt);
	free(o->virt_nb);
}

static void hull_free(struct hull *H)
{
	free(H->p);
	free(H->id);
	free(H->f);
	free(H->from);
	free(H->to);
	free(H->todo);
	free(H->made);
}

/* The hull of the directions in dirs[0..n) (all at one distance), with
 * virtual poles numbered from virt_base. */
static int build_shell(const struct hrtf_set *h, const uint32_t *dirs, unsigned n, uint32_t virt_base,
		       struct shell_out *o)
{
	struct hull H;
	memset(&H, 0, sizeof H);
	memset(o, 0, sizeof *o);
	const unsigned max_pts = 4 + n + 2;
	H.p = calloc(max_pts, sizeof *H.p);
	H.id = calloc(max_pts, sizeof *H.id);
	H.from = malloc(max_pts * sizeof *H.from);
	H.to = malloc(max_pts * sizeof *H.to);
	o->virt = calloc(2, sizeof *o->virt);
	int ret = -1;
	if (!H.p || !H.id || !H.from || !H.to || !o->virt)
		goto out;
	for (unsigned i = 0; i < max_pts; i++)
		H.from[i] = H.to[i] = -1;

	/* Helpers: a regular tetrahedron around the centre. */
	static const double tet[4][3] = { { 1, 1, 1 }, { 1, -1, -1 }, { -1, 1, -1 }, { -1, -1, 1 } };
	for (int i = 0; i < 4; i++) {
		for (int k = 0; k < 3; k++)
			H.p[i][k] = tet[i][k] * HELPER_RADIUS / sqrt(3.0);
		H.id[i] = HRTF_NO_VERTEX;
	}
	H.n = 4;
	/* Counter-clockwise from outside. */
	static const int tf[4][3] = { { 0, 1, 2 }, { 0, 3, 1 }, { 0, 2, 3 }, { 1, 3, 2 } };
	for (int i = 0; i < 4; i++) {
		int f = add_face(&H, tf[i][0], tf[i][1], tf[i][2]);
		if (f < 0)
			goto out;
		if (height(&H, &H.f[f], (double[3]){ 0, 0, 0 }) > 0.0) {
			uint32_t t = H.f[f].v[1];
			H.f[f].v[1] = H.f[f].v[2];
			H.f[f].v[2] = t;
		}
	}
	/* Neighbours of the tetrahedron by shared edges. */
	for (int f = 0; f < 4; f++)
		for (int i = 0; i < 3; i++) {
			uint32_t a = H.f[f].v[(i + 1) % 3], b = H.f[f].v[(i + 2) % 3];
			for (int g = 0; g < 4; g++)
				for (int j = 0; g != f && j < 3; j++)
					if (H.f[g].v[(j + 1) % 3] == b && H.f[g].v[(j + 2) % 3] == a)
						H.f[f].nb[i] = g;
		}
	H.last = 0;

	/* Virtual poles where no measurement is near. */
	double top = -2.0, bottom = -2.0;
	for (unsigned i = 0; i < n; i++) {
		double u[3];
		unit_of(h->azimuth[dirs[i]], h->elevation[dirs[i]], u);
		top = fmax(top, u[2]);
		bottom = fmax(bottom, -u[2]);
	}
	const double gap = cos(HRTF_POLE_GAP_DEG * RAD_PER_DEG);
	bool need[2] = { top < gap, bottom < gap };

	for (unsigned i = 0; i < n; i++) {
		unit_of(h->azimuth[dirs[i]], h->elevation[dirs[i]], H.p[H.n]);
		H.id[H.n] = dirs[i];
		int r = insert(&H, H.n);
		if (r < 0)
			goto out;
		if (r == 0)
			H.n++;
	}
	for (int k = 0; k < 2; k++) {
		if (!need[k])
			continue;
		double *u = H.p[H.n];
		u[0] = u[1] = 0.0;
		u[2] = k == 0 ? 1.0 : -1.0;
		memcpy(o->virt[o->n_virt], u, sizeof o->virt[0]);
		H.id[H.n] = virt_base + o->n_virt;
		int r = insert(&H, H.n);
		if (r < 0)
			goto out;
		if (r == 0) {
			H.n++;
			o->n_virt++;
		}
	}

	/* The live faces become triangles; neighbours renumbered. */
	int32_t *renum = malloc(H.nf * sizeof *renum);
	if (!renum)
		goto out;
	unsigned nt = 0;
	for (unsigned f = 0; f < H.nf; f++)
		renum[f] = H.f[f].dead ? -1 : (int32_t)nt++;
	o->tri = calloc(nt ? nt : 1, sizeof *o->tri);
	o->virt_nb = malloc((size_t)(2 * n + 2) * sizeof *o->virt_nb);
	if (!o->tri || !o->virt_nb) {
		free(renum);
		goto out;
	}
	for (unsigned f = 0; f < H.nf; f++) {
		if (H.f[f].dead)
			continue;
		struct hrtf_tri *t = &o->tri[renum[f]];
		for (int i = 0; i < 3; i++) {
			t->v[i] = H.id[H.f[f].v[i]];
			t->nb[i] = H.f[f].nb[i] >= 0 ? renum[H.f[f].nb[i]] : -1;
		}
		invert(H.p[H.f[f].v[0]], H.p[H.f[f].v[1]], H.p[H.f[f].v[2]], t->m);
	}
	o->n_tri = nt;
	free(renum);
	/* Each virtual pole is the average of its measured neighbours. */
	unsigned used = 0;
	for (unsigned k = 0; k < o->n_virt; k++) {
		uint32_t vid = virt_base + k;
		unsigned first = used;
		for (unsigned t = 0; t < nt; t++) {
			const struct hrtf_tri *T = &o->tri[t];
			if (T->v[0] != vid && T->v[1] != vid && T->v[2] != vid)
				continue;
			for (int i = 0; i < 3; i++) {
				uint32_t v = T->v[i];
				if (v >= h->n_dirs)
					continue; /* itself, the other pole or a helper */
				bool dup = false;
				for (unsigned j = first; j < used; j++)
					dup |= o->virt_nb[j] == v;
				if (!dup && used < 2 * n + 2)
					o->virt_nb[used++] = v;
			}
		}
		if (used == first) {
			/* No measured neighbour (a set of one or two directions):
			 * the nearest measured direction stands in. */
			unsigned best = 0;
			double bd = -2.0;
			for (unsigned i = 0; i < n; i++) {
				double u[3];
				unit_of(h->azimuth[dirs[i]], h->elevation[dirs[i]], u);
				double d = u[0] * o->virt[k][0] + u[1] * o->virt[k][1] + u[2] * o->virt[k][2];
				if (d > bd) {
					bd = d;
					best = i;
				}
			}
			o->virt_nb[used++] = dirs[best];
		}
		o->n_virt_nb[k] = used - first;
	}
	ret = 0;
out:
	hull_free(&H);
	if (ret < 0) {
		shell_out_free(o);
		memset(o, 0, sizeof *o);
	}
	return ret;
}

/* The triangle whose cone holds q, walking over the finished mesh (one
 * shell of n_tri triangles) across the edges q is beyond. */
static uint32_t walk(const struct hrtf_mesh *m, uint32_t t, const double q[3], unsigned n_tri)
{
	unsigned limit = 4 * n_tri + 64;
	for (unsigned step = 0; step < limit; step++) {
		const struct hrtf_tri *T = &m->tri[t];
		double w[3];
		for (int r = 0; r < 3; r++)
			w[r] = T->m[3 * r] * q[0] + T->m[3 * r + 1] * q[1] + T->m[3 * r + 2] * q[2];
		int worst = -1;
		for (int k = 0; k < 3; k++) {
			int i = (k + (int)step) % 3;
			if (w[i] < -1e-7 && T->nb[i] >= 0) {
				worst = i;
				break;
			}
		}
		if (worst < 0)
			return t;
		t = (uint32_t)T->nb[worst];
	}
	return t;
}

int hrtf_mesh_build(struct hrtf_set *h, char *err, size_t errlen)
{
	struct hrtf_mesh *m = &h->mesh;
	hrtf_mesh_free(m);
	const unsigned M = h->n_dirs;
	uint32_t *order = malloc((size_t)M * sizeof *order);
	uint32_t *shell_of = malloc((size_t)M * sizeof *shell_of);
	float *dist = malloc((size_t)M * sizeof *dist);
	struct shell_out *outs = NULL;
	unsigned ns = 0;
	int ret = -1;
	if (!order || !shell_of || !dist)
		goto oom;

	/* Shells: distances within 1 % (and 1 mm) of each other are one. */
	for (unsigned i = 0; i < M; i++) {
		float d = h->distance ? h->distance[i] : 1.0f;
		unsigned s = 0;
		for (; s < ns; s++)
			if (fabsf(d - dist[s]) <= 0.01f * fmaxf(d, dist[s]) + 0.001f)
				break;
		if (s == ns)
			dist[ns++] = d;
		shell_of[i] = s;
	}
	/* Shells in ascending distance. */
	unsigned *rank = malloc(ns * sizeof *rank);
	if (!rank)
		goto oom;
	for (unsigned s = 0; s < ns; s++) {
		rank[s] = 0;
		for (unsigned t = 0; t < ns; t++)
			rank[s] += dist[t] < dist[s] || (dist[t] == dist[s] && t < s);
	}
	m->shell_distance = malloc(ns * sizeof *m->shell_distance);
	outs = calloc(ns, sizeof *outs);
	m->cell = malloc((size_t)ns * HRTF_GRID_EL * HRTF_GRID_AZ * sizeof *m->cell);
	if (!m->shell_distance || !outs || !m->cell) {
		free(rank);
		goto oom;
	}
	for (unsigned s = 0; s < ns; s++)
		m->shell_distance[rank[s]] = dist[s];
	for (unsigned i = 0; i < M; i++)
		shell_of[i] = rank[shell_of[i]];
	free(rank);
	m->n_shells = ns;

	uint32_t virt = M;
	for (unsigned s = 0; s < ns; s++) {
		unsigned n = 0;
		for (unsigned i = 0; i < M; i++)
			if (shell_of[i] == s)
				order[n++] = i;
		if (build_shell(h, order, n, virt, &outs[s]) < 0)
			goto oom;
		virt += outs[s].n_virt;
	}

	/* Join the shells. */
	m->n_virtual = virt - M;
	unsigned nt = 0, nvl = 0;
	for (unsigned s = 0; s < ns; s++) {
		nt += outs[s].n_tri;
		for (unsigned k = 0; k < outs[s].n_virt; k++)
			nvl += outs[s].n_virt_nb[k];
	}
	m->tri = malloc((nt ? nt : 1) * sizeof *m->tri);
	m->virt_start = malloc((m->n_virtual + 1) * sizeof *m->virt_start);
	m->virt_list = malloc((nvl ? nvl : 1) * sizeof *m->virt_list);
	m->virt_unit = malloc((m->n_virtual ? m->n_virtual : 1) * 3 * sizeof *m->virt_unit);
	if (!m->tri || !m->virt_start || !m->virt_list || !m->virt_unit)
		goto oom;
	m->n_tris = nt;
	unsigned t0 = 0, vi = 0, vl = 0;
	for (unsigned s = 0; s < ns; s++) {
		const struct shell_out *o = &outs[s];
		for (unsigned t = 0; t < o->n_tri; t++) {
			m->tri[t0 + t] = o->tri[t];
			for (int i = 0; i < 3; i++)
				if (o->tri[t].nb[i] >= 0)
					m->tri[t0 + t].nb[i] = (int32_t)(o->tri[t].nb[i] + (int32_t)t0);
		}
		unsigned from = 0;
		for (unsigned k = 0; k < o->n_virt; k++, vi++) {
			m->virt_start[vi] = vl;
			for (unsigned j = 0; j < o->n_virt_nb[k]; j++)
				m->virt_list[vl++] = o->virt_nb[from + j];
			from += o->n_virt_nb[k];
			for (int c = 0; c < 3; c++)
				m->virt_unit[3 * vi + c] = (float)o->virt[k][c];
		}
		/* Every grid direction's triangle, walking from the last. */
		uint32_t t = t0;
		uint32_t *cell = m->cell + (size_t)s * HRTF_GRID_EL * HRTF_GRID_AZ;
		for (int ei = 0; ei < HRTF_GRID_EL; ei++)
			for (int ai = 0; ai < HRTF_GRID_AZ; ai++) {
				/* At the poles every azimuth is one direction: the
				 * cells there hold the triangle a quarter degree
				 * off it, towards their azimuth, which is where the
				 * directions that round to them are. */
				double q[3];
				double el = ei == 0 ? -89.75 : ei == HRTF_GRID_EL - 1 ? 89.75 : ei - 90;
				unit_of(ai < 180 ? ai : ai - 360, el, q);
				t = walk(m, t, q, o->n_tri);
				cell[(size_t)ei * HRTF_GRID_AZ + (size_t)ai] = t;
			}
		t0 += o->n_tri;
	}
	m->virt_start[m->n_virtual] = vl;
	ret = 0;
	goto out;
oom:
	if (err && errlen)
		snprintf(err, errlen, "%s: out of memory triangulating the directions",
			 h->path ? h->path : "HRTF set");
	hrtf_mesh_free(m);
out:
	for (unsigned s = 0; outs && s < ns; s++)
		shell_out_free(&outs[s]);
	free(outs);
	free(order);
	free(shell_of);
	free(dist);
	return ret;
}

/* The shell nearest to distance d (metres). */
unsigned hrtf_mesh_shell(const struct hrtf_mesh *m, float d)
{
	unsigned best = 0;
	for (unsigned s = 1; s < m->n_shells; s++)
		if (fabsf(m->shell_distance[s] - d) < fabsf(m->shell_distance[best] - d))
			best = s;
	return best;
}
