/* Denormal numbers make filters and reverbs crawl when a signal decays to
 * silence. Flush-to-zero and denormals-are-zero are per-thread CPU state,
 * so the audio thread sets them itself at the top of every block. */
#ifndef TINGLE_FPU_H
#define TINGLE_FPU_H

#if defined(__SSE__) || defined(__x86_64__)
#include <xmmintrin.h>
static inline void fpu_flush_denormals(void)
{
	_mm_setcsr(_mm_getcsr() | 0x8040); /* FTZ (bit 15) | DAZ (bit 6) */
}
#elif defined(__aarch64__)
static inline void fpu_flush_denormals(void)
{
	unsigned long fpcr;
	__asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
	__asm__ volatile("msr fpcr, %0" : : "r"(fpcr | (1UL << 24)));
}
#else
static inline void fpu_flush_denormals(void) {}
#endif

#endif
