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
	if (!r->buf) {
		free(r);
		return NULL;
	}
	memset(r->buf, 0, cap * rec_size);  /* touch every page now */
	r->rec_size = rec_size;
	r->mask = cap - 1;
	atomic_init(&r->head, 0);
	atomic_init(&r->tail, 0);
	return r;
}

void ring_free(struct ring *r)
{
	if (!r)
		return;
	free(r->buf);
	free(r);
}

bool ring_push(struct ring *r, const void *rec)
{
	size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	size_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
	if (head - tail > r->mask)
		return false;
	memcpy(r->buf + (head & r->mask) * r->rec_size, rec, r->rec_size);
	atomic_store_explicit(&r->head, head + 1, memory_order_release);
	return true;
}

bool ring_pop(struct ring *r, void *rec)
{
	size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	size_t head = atomic_load_explicit(&r->head, memory_order_acquire);
	if (head == tail)
		return false;
	memcpy(rec, r->buf + (tail & r->mask) * r->rec_size, r->rec_size);
	atomic_store_explicit(&r->tail, tail + 1, memory_order_release);
	return true;
}

size_t ring_count(const struct ring *r)
{
	return atomic_load_explicit(&r->head, memory_order_acquire) -
	       atomic_load_explicit(&r->tail, memory_order_acquire);
}

size_t ring_capacity(const struct ring *r) { return r->mask + 1; }
