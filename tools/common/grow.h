/*
 * Growing arrays, for the tools' readers and models: an array, its element
 * count and its capacity, grown by doubling. Shared by the analysis core,
 * the workload file and its extraction from a trace, and schedtop's frames.
 */
#ifndef TOOLS_GROW_H
#define TOOLS_GROW_H

#include <stdbool.h>
#include <stddef.h>

/* Makes *p (an array of elements of size bytes, *cap of them allocated)
 * hold at least need elements: reallocates it to a capacity doubled from
 * 8 as often as needed, and updates *cap. What the array held is kept.
 * Returns false, leaving *p and *cap as they were, when out of memory or
 * when the size would overflow. */
bool tg_reserve(void **p, size_t *cap, size_t need, size_t size);

/* Room for element n (n+1 elements), the common case when appending. */
#define TG_ROOM(arr, n, cap)                                                   \
	tg_reserve((void **)&(arr), &(cap), (size_t)(n) + 1, sizeof(*(arr)))

#endif /* TOOLS_GROW_H */
