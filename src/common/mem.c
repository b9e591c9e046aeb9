#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/mem.h"

void
mem_wipe(void *p, size_t len)
{
	if (p != NULL && len > 0)
		OPENSSL_cleanse(p, len);
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
	return CRYPTO_memcmp(a, b, len);
}
