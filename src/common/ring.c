#include "config.h"
#include "common/ring.h"

#include <stdlib.h>
#include <string.h>

struct ring *ring_new(size_t capacity, size_t rec_size)
{
	if (capacity < 2 || rec_size == 0)
		return NULL;
	size_t cap = 2;
	while (cap < capacity)
		cap <<= 1;
	struct ring *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->buf = malloc(cap * rec_size);
	r->more = calloc(cap, 1);
	if (!r->buf || !r->more) {
		ring_free(r);
		return NULL;
	}
	memset(r->buf, 0, cap * rec_size);  /* touch every page now */
	r->rec_size = rec_size;
	r->mask = cap - 1;
	atomic_init(&r->head, 0);
	atomic_init(&r->tail, 0);
	r->staged = 0;
	r->staging = false;
	return r;
}

void ring_free(struct ring *r)
{
	if (!r)
		return;
	free(r->buf);
	free(r->more);
	free(r);
}

bool ring_push(struct ring *r, const void *rec)
{
	size_t head = r->staging ? r->staged : atomic_load_explicit(&r->head, memory_order_relaxed);
	size_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
	if (head - tail > r->mask)
		return false;
	memcpy(r->buf + (head & r->mask) * r->rec_size, rec, r->rec_size);
	/* Staged: the group goes on until commit marks its last record. */
	r->more[head & r->mask] = r->staging;
	if (r->staging)
		r->staged = head + 1;
	else
		atomic_store_explicit(&r->head, head + 1, memory_order_release);
	return true;
}

bool ring_pop_group(struct ring *r, void *rec, bool *more)
{
	size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	size_t head = atomic_load_explicit(&r->head, memory_order_acquire);
	if (head == tail)
		return false;
	memcpy(rec, r->buf + (tail & r->mask) * r->rec_size, r->rec_size);
	if (more)
		*more = r->more[tail & r->mask] != 0;
	atomic_store_explicit(&r->tail, tail + 1, memory_order_release);
	return true;
}

bool ring_pop(struct ring *r, void *rec) { return ring_pop_group(r, rec, NULL); }

size_t ring_count(const struct ring *r)
{
	return atomic_load_explicit(&r->head, memory_order_acquire) -
	       atomic_load_explicit(&r->tail, memory_order_acquire);
}

size_t ring_capacity(const struct ring *r) { return r->mask + 1; }

void ring_begin(struct ring *r)
{
	if (r->staging)
		return;
	r->staged = atomic_load_explicit(&r->head, memory_order_relaxed);
	r->staging = true;
}

void ring_commit(struct ring *r)
{
	if (!r->staging)
		return;
	size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	if (r->staged != head)
		r->more[(r->staged - 1) & r->mask] = 0; /* the group ends here */
	r->staging = false;
	/* One store makes the whole group visible: the consumer sees all of
	 * it or none. */
	atomic_store_explicit(&r->head, r->staged, memory_order_release);
}

void ring_abort(struct ring *r)
{
	/* The staged records were never published: the consumer never saw
	 * them, and the next pushes write over them. */
	r->staging = false;
	r->staged = atomic_load_explicit(&r->head, memory_order_relaxed);
}
