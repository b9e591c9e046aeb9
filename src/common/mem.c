#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/mem.h"

void
mem_wipe(void *p, size_t len)
{
	/* explicit_bzero is documented never to be optimised away */
	if (p != NULL && len > 0)
		explicit_bzero(p, len);
}

void
mem_freezero(void *p, size_t len)
{
	if (p == NULL)
		return;
	mem_wipe(p, len);
	free(p);
}

int
mem_equal_ct(const void *a, const void *b, size_t len)
{
	const volatile unsigned char *x = a, *y = b;
	unsigned char diff = 0;
	size_t i;

	for (i = 0; i < len; i++)
		diff |= x[i] ^ y[i];
	return diff != 0;
}
