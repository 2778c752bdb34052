/* A single-producer single-consumer queue of fixed-size records, lock-free
 * (C11 atomics). One control thread pushes, the audio thread pops, or the
 * other way round; neither side ever blocks. The memory is allocated and
 * touched up front so the audio thread takes no page fault on it. */
#ifndef TINGLE_RING_H
#define TINGLE_RING_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

struct ring {
	unsigned char *buf;
	size_t rec_size;
	size_t mask;          /* capacity - 1, capacity a power of two */
	_Alignas(64) atomic_size_t head;  /* written by the producer */
	_Alignas(64) atomic_size_t tail;  /* written by the consumer */
};

/* Capacity is rounded up to a power of two. Returns NULL on failure. */
struct ring *ring_new(size_t capacity, size_t rec_size);
void ring_free(struct ring *r);
bool ring_push(struct ring *r, const void *rec);  /* false when full */
bool ring_pop(struct ring *r, void *rec);         /* false when empty */
size_t ring_count(const struct ring *r);
size_t ring_capacity(const struct ring *r);

#endif
