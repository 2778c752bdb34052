/* A single-producer single-consumer queue of fixed-size records, lock-free
 * (C11 atomics). One control thread pushes, the audio thread pops, or the
 * other way round; neither side ever blocks. The memory is allocated and
 * touched up front so the audio thread takes no page fault on it.
 *
 * The producer may stage a group of records (ring_begin): they are
 * written but stay invisible until ring_commit publishes them all at
 * once, or ring_abort forgets them. The consumer can tell where a group
 * ends (ring_pop_group), so it never has to stop inside one. */
#ifndef TINGLE_RING_H
#define TINGLE_RING_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

struct ring {
	unsigned char *buf;
	unsigned char *more;  /* per slot: the record's group goes on after it */
	size_t rec_size;
	size_t mask;          /* capacity - 1, capacity a power of two */
	_Alignas(64) atomic_size_t head;  /* written by the producer */
	size_t staged;        /* producer only: end of the staged records */
	bool staging;         /* producer only: between begin and commit/abort */
	_Alignas(64) atomic_size_t tail;  /* written by the consumer */
};

/* Capacity is rounded up to a power of two. Returns NULL on failure. */
struct ring *ring_new(size_t capacity, size_t rec_size);
void ring_free(struct ring *r);
bool ring_push(struct ring *r, const void *rec);  /* false when full (staged records count) */
bool ring_pop(struct ring *r, void *rec);         /* false when empty */
/* As ring_pop; *more: the record is not the last of its group (the rest
 * of the group is already there to pop). */
bool ring_pop_group(struct ring *r, void *rec, bool *more);
size_t ring_count(const struct ring *r);          /* published records */
size_t ring_capacity(const struct ring *r);

/* Producer side: stage the pushes that follow, publish them together,
 * or drop them. Begin while staging keeps what is staged. */
void ring_begin(struct ring *r);
void ring_commit(struct ring *r);
void ring_abort(struct ring *r);

#endif
