#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"

#define ARENA_CHUNK (64u * 1024)
#define ARENA_ALIGN 16u

struct arena_chunk {
	struct arena_chunk *next;
	size_t used;
	size_t cap;
	/* data follows, aligned */
};

#define CHUNK_HEADER \
	((sizeof(struct arena_chunk) + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1))

void *
arena_alloc(struct arena *a, size_t n)
{
	struct arena_chunk *c = a->head;
	size_t need = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1), cap;
	void *p;

	if (need < n)
		return NULL;
	if (c == NULL || c->cap - c->used < need) {
		cap = need > ARENA_CHUNK ? need : ARENA_CHUNK;
		if (cap > SIZE_MAX - CHUNK_HEADER ||
		    (c = malloc(CHUNK_HEADER + cap)) == NULL)
			return NULL;
		c->used = 0;
		c->cap = cap;
		if (a->head != NULL && need > ARENA_CHUNK) {
			/* a big one-off: keep filling the current chunk */
			c->next = a->head->next;
			a->head->next = c;
		} else {
			c->next = a->head;
			a->head = c;
		}
	}
	p = (char *)c + CHUNK_HEADER + c->used;
	c->used += need;
	return p;
}

char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *d = arena_alloc(a, n + 1);

	if (d == NULL)
		return NULL;
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

void
arena_reset(struct arena *a)
{
	struct arena_chunk *keep = a->head, *c, *next;

	if (keep == NULL)
		return;
	for (c = keep->next; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	keep->next = NULL;
	keep->used = 0;
}

void
arena_free(struct arena *a)
{
	struct arena_chunk *c, *next;

	for (c = a->head; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	a->head = NULL;
}
