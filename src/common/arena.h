/*
 * A region allocator: many small allocations that live and die together
 * (the parsed lines of one config file), with one free for all of them.
 */
#ifndef SSHBROKER_COMMON_ARENA_H
#define SSHBROKER_COMMON_ARENA_H

#include <stddef.h>

struct arena_chunk;

struct arena {
	struct arena_chunk *head;
};

/* n bytes aligned for any type, valid until arena_free(); NULL when out
 * of memory.  An arena starts zeroed: struct arena a = { 0 }. */
void *arena_alloc(struct arena *a, size_t n);
/* A copy of the n bytes at s plus a NUL. */
char *arena_strndup(struct arena *a, const char *s, size_t n);
/* Forgets every allocation but keeps one chunk for reuse. */
void arena_reset(struct arena *a);
/* Frees everything allocated from a and empties it. */
void arena_free(struct arena *a);

#endif
