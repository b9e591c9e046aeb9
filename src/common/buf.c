#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/mem.h"

struct buf {
	unsigned char *data;
	size_t len;
	size_t cap;     /* allocated bytes, always >= len + 1 once allocated */
	size_t max;
	int secret;
};

static struct buf *
buf_alloc(size_t max, int secret)
{
	struct buf *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return NULL;
	b->max = max == 0 ? BUF_DEFAULT_MAX : max;
	b->secret = secret;
	return b;
}

struct buf *
buf_new(size_t max)
{
	return buf_alloc(max, 0);
}

struct buf *
buf_new_secret(size_t max)
{
	return buf_alloc(max, 1);
}

void
buf_free(struct buf *b)
{
	if (b == NULL)
		return;
	if (b->secret)
		mem_freezero(b->data, b->cap);
	else
		free(b->data);
	mem_wipe(b, sizeof(*b));
	free(b);
}

void
buf_reset(struct buf *b)
{
	if (b->secret)
		mem_wipe(b->data, b->len);
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

size_t
buf_len(const struct buf *b)
{
	return b->len;
}

const unsigned char *
buf_ptr(const struct buf *b)
{
	return b->data != NULL ? b->data : (const unsigned char *)"";
}

const char *
buf_cstr(const struct buf *b)
{
	return b->data != NULL ? (const char *)b->data : "";
}

char *
buf_dup_cstr(const struct buf *b)
{
	char *s = malloc(b->len + 1);

	if (s == NULL)
		return NULL;
	if (b->len > 0)
		memcpy(s, b->data, b->len);
	s[b->len] = '\0';
	return s;
}

/* Makes room for extra more bytes plus the terminating NUL. */
static int
buf_reserve(struct buf *b, size_t extra)
{
	size_t need, ncap;
	unsigned char *n;

	if (extra > b->max || b->len > b->max - extra)
		return ERR_TOO_LONG;
	need = b->len + extra + 1;
	if (need <= b->cap)
		return ERR_OK;
	ncap = b->cap < 64 ? 64 : b->cap;
	while (ncap < need)
		ncap = ncap > ((size_t)-1) / 2 ? need : ncap * 2;
	if (b->secret) {
		/* realloc could leave a copy of the secret behind */
		if ((n = malloc(ncap)) == NULL)
			return ERR_NOMEM;
		if (b->data != NULL)
			memcpy(n, b->data, b->len + 1);
		mem_freezero(b->data, b->cap);
	} else if ((n = realloc(b->data, ncap)) == NULL)
		return ERR_NOMEM;
	b->data = n;
	b->cap = ncap;
	return ERR_OK;
}

int
buf_put(struct buf *b, const void *data, size_t len)
{
	int r;

	if ((r = buf_reserve(b, len)) != ERR_OK)
		return r;
	if (len > 0)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return ERR_OK;
}

int
buf_put_u8(struct buf *b, unsigned char c)
{
	return buf_put(b, &c, 1);
}

int
buf_put_cstr(struct buf *b, const char *s)
{
	return buf_put(b, s, strlen(s));
}

int
buf_vputf(struct buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	int n, r;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return ERR_INTERNAL;
	if ((r = buf_reserve(b, (size_t)n)) != ERR_OK)
		return r;
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return ERR_OK;
}

int
buf_putf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = buf_vputf(b, fmt, ap);
	va_end(ap);
	return r;
}
