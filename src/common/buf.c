#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/mem.h"

struct buf {
	unsigned char *data;
	size_t off;     /* read position */
	size_t len;     /* end of written bytes; off <= len */
	size_t cap;     /* allocated bytes, >= len + 1 once allocated */
	size_t max;     /* most unread bytes the buffer may hold */
	int secret;
	int readonly;   /* a view: data belongs to someone else */
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

struct buf *
buf_new_view(const void *data, size_t len)
{
	struct buf *b = buf_alloc(len, 0);

	if (b == NULL)
		return NULL;
	/* never written through: readonly is checked before every write */
	b->data = (unsigned char *)(uintptr_t)data;
	b->len = len;
	b->readonly = 1;
	return b;
}

void
buf_free(struct buf *b)
{
	if (b == NULL)
		return;
	if (!b->readonly) {
		if (b->secret)
			mem_freezero(b->data, b->cap);
		else
			free(b->data);
	}
	mem_wipe(b, sizeof(*b));
	free(b);
}

void
buf_trim(struct buf *b)
{
	/* only an empty buffer: what is unread stays where it is */
	if (b == NULL || b->readonly || b->data == NULL || b->off != b->len)
		return;
	if (b->secret)
		mem_freezero(b->data, b->cap);
	else
		free(b->data);
	b->data = NULL;
	b->cap = 0;
	b->off = b->len = 0;
}

void
buf_reset(struct buf *b)
{
	if (b->readonly) {
		b->off = b->len;
		return;
	}
	if (b->secret)
		mem_wipe(b->data, b->len);
	b->off = b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

size_t
buf_len(const struct buf *b)
{
	return b->len - b->off;
}

const unsigned char *
buf_ptr(const struct buf *b)
{
	return b->data != NULL ? b->data + b->off : (const unsigned char *)"";
}

const char *
buf_cstr(const struct buf *b)
{
	return b->data != NULL && !b->readonly ?
	    (const char *)b->data + b->off : "";
}

char *
buf_dup_cstr(const struct buf *b)
{
	size_t n = buf_len(b);
	char *s = malloc(n + 1);

	if (s == NULL)
		return NULL;
	if (n > 0)
		memcpy(s, buf_ptr(b), n);
	s[n] = '\0';
	return s;
}

/* Makes room for extra more bytes plus the terminating NUL. */
static int
buf_make_room(struct buf *b, size_t extra)
{
	size_t need, ncap, unread;
	unsigned char *n;

	if (b->readonly)
		return ERR_READ_ONLY;
	unread = b->len - b->off;
	if (extra > b->max || unread > b->max - extra)
		return ERR_TOO_LONG;
	if (b->off > 0 && (b->len + extra + 1 > b->cap || b->off >= b->cap / 2)) {
		/* reclaim the consumed front before growing */
		memmove(b->data, b->data + b->off, unread);
		if (b->secret)
			mem_wipe(b->data + unread, b->off);
		b->len = unread;
		b->off = 0;
		b->data[b->len] = '\0';
	}
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
buf_reserve(struct buf *b, size_t len, unsigned char **dstp)
{
	int r;

	*dstp = NULL;
	if ((r = buf_make_room(b, len)) != ERR_OK)
		return r;
	*dstp = b->data + b->len;
	b->len += len;
	b->data[b->len] = '\0';
	return ERR_OK;
}

int
buf_put(struct buf *b, const void *data, size_t len)
{
	unsigned char *dst;
	int r;

	if ((r = buf_reserve(b, len, &dst)) != ERR_OK)
		return r;
	if (len > 0)
		memcpy(dst, data, len);
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
	if ((r = buf_make_room(b, (size_t)n)) != ERR_OK)
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

uint32_t
buf_peek_u32_raw(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

void
buf_poke_u32_raw(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

int
buf_put_bool(struct buf *b, int v)
{
	return buf_put_u8(b, v ? 1 : 0);
}

int
buf_put_u32(struct buf *b, uint32_t v)
{
	unsigned char d[4];

	buf_poke_u32_raw(d, v);
	return buf_put(b, d, sizeof(d));
}

int
buf_put_u64(struct buf *b, uint64_t v)
{
	unsigned char d[8];

	buf_poke_u32_raw(d, (uint32_t)(v >> 32));
	buf_poke_u32_raw(d + 4, (uint32_t)v);
	return buf_put(b, d, sizeof(d));
}

int
buf_put_string(struct buf *b, const void *data, size_t len)
{
	unsigned char *dst;
	int r;

	if (len > UINT32_MAX)
		return ERR_TOO_LONG;
	if ((r = buf_reserve(b, 4 + len, &dst)) != ERR_OK)
		return r;
	buf_poke_u32_raw(dst, (uint32_t)len);
	if (len > 0)
		memcpy(dst + 4, data, len);
	return ERR_OK;
}

int
buf_put_cstring(struct buf *b, const char *s)
{
	return buf_put_string(b, s, s == NULL ? 0 : strlen(s));
}

int
buf_put_stringb(struct buf *b, const struct buf *src)
{
	return buf_put_string(b, buf_ptr(src), buf_len(src));
}

int
buf_put_bignum_bytes(struct buf *b, const unsigned char *mag, size_t len)
{
	unsigned char *dst;
	size_t prepend;
	int r;

	while (len > 0 && mag[0] == 0) {
		mag++;
		len--;
	}
	prepend = len > 0 && (mag[0] & 0x80) != 0;
	if (len + prepend > UINT32_MAX)
		return ERR_TOO_LONG;
	if ((r = buf_reserve(b, 4 + prepend + len, &dst)) != ERR_OK)
		return r;
	buf_poke_u32_raw(dst, (uint32_t)(len + prepend));
	if (prepend)
		dst[4] = 0;
	if (len > 0)
		memcpy(dst + 4 + prepend, mag, len);
	return ERR_OK;
}

int
buf_consume(struct buf *b, size_t len)
{
	if (len > buf_len(b))
		return ERR_BUFFER_SHORT;
	b->off += len;
	if (b->off == b->len && !b->readonly) {
		b->off = b->len = 0;
		if (b->data != NULL)
			b->data[0] = '\0';
	}
	return ERR_OK;
}

int
buf_consume_end(struct buf *b, size_t len)
{
	if (len > buf_len(b))
		return ERR_BUFFER_SHORT;
	if (len == 0)
		return ERR_OK;
	if (b->secret)
		mem_wipe(b->data + b->len - len, len);
	b->len -= len;
	if (!b->readonly && b->data != NULL)
		b->data[b->len] = '\0';
	return ERR_OK;
}

int
buf_get(struct buf *b, void *dst, size_t len)
{
	if (len > buf_len(b))
		return ERR_BUFFER_SHORT;
	if (dst != NULL && len > 0)
		memcpy(dst, buf_ptr(b), len);
	return buf_consume(b, len);
}

int
buf_get_u8(struct buf *b, unsigned char *v)
{
	return buf_get(b, v, 1);
}

int
buf_get_bool(struct buf *b, int *v)
{
	unsigned char c;
	int r;

	if ((r = buf_get_u8(b, &c)) != ERR_OK)
		return r;
	if (v != NULL)
		*v = c != 0;
	return ERR_OK;
}

int
buf_get_u32(struct buf *b, uint32_t *v)
{
	if (buf_len(b) < 4)
		return ERR_BUFFER_SHORT;
	if (v != NULL)
		*v = buf_peek_u32_raw(buf_ptr(b));
	return buf_consume(b, 4);
}

int
buf_get_u64(struct buf *b, uint64_t *v)
{
	const unsigned char *p = buf_ptr(b);

	if (buf_len(b) < 8)
		return ERR_BUFFER_SHORT;
	if (v != NULL)
		*v = (uint64_t)buf_peek_u32_raw(p) << 32 | buf_peek_u32_raw(p + 4);
	return buf_consume(b, 8);
}

int
buf_peek_string_direct(const struct buf *b, const unsigned char **valp,
    size_t *lenp)
{
	uint32_t len;

	if (valp != NULL)
		*valp = NULL;
	if (lenp != NULL)
		*lenp = 0;
	if (buf_len(b) < 4)
		return ERR_BUFFER_SHORT;
	len = buf_peek_u32_raw(buf_ptr(b));
	if (len > BUF_MAX_STRING)
		return ERR_INVALID_FORMAT;
	if (buf_len(b) - 4 < len)
		return ERR_BUFFER_SHORT;
	if (valp != NULL)
		*valp = buf_ptr(b) + 4;
	if (lenp != NULL)
		*lenp = len;
	return ERR_OK;
}

int
buf_get_string_direct(struct buf *b, const unsigned char **valp,
    size_t *lenp)
{
	const unsigned char *p;
	size_t len;
	int r;

	if ((r = buf_peek_string_direct(b, &p, &len)) != ERR_OK)
		return r;
	if (valp != NULL)
		*valp = p;
	if (lenp != NULL)
		*lenp = len;
	return buf_consume(b, 4 + len);
}

int
buf_get_string(struct buf *b, unsigned char **valp, size_t *lenp)
{
	const unsigned char *p;
	unsigned char *copy = NULL;
	size_t len;
	int r;

	if (valp != NULL)
		*valp = NULL;
	if (lenp != NULL)
		*lenp = 0;
	if ((r = buf_peek_string_direct(b, &p, &len)) != ERR_OK)
		return r;
	if (valp != NULL) {
		if ((copy = malloc(len + 1)) == NULL)
			return ERR_NOMEM;
		if (len > 0)
			memcpy(copy, p, len);
		copy[len] = '\0';
	}
	if ((r = buf_consume(b, 4 + len)) != ERR_OK) {
		free(copy);
		return r;
	}
	if (valp != NULL)
		*valp = copy;
	if (lenp != NULL)
		*lenp = len;
	return ERR_OK;
}

int
buf_get_cstring(struct buf *b, char **valp, size_t *lenp)
{
	const unsigned char *p;
	size_t len;
	int r;

	if (valp != NULL)
		*valp = NULL;
	if ((r = buf_peek_string_direct(b, &p, &len)) != ERR_OK)
		return r;
	if (len > 0 && memchr(p, '\0', len) != NULL)
		return ERR_INVALID_FORMAT;
	return buf_get_string(b, (unsigned char **)valp, lenp);
}

int
buf_get_view(struct buf *b, struct buf **viewp)
{
	const unsigned char *p;
	struct buf *v;
	size_t len;
	int r;

	*viewp = NULL;
	if ((r = buf_peek_string_direct(b, &p, &len)) != ERR_OK)
		return r;
	if ((v = buf_new_view(p, len)) == NULL)
		return ERR_NOMEM;
	if ((r = buf_consume(b, 4 + len)) != ERR_OK) {
		buf_free(v);
		return r;
	}
	*viewp = v;
	return ERR_OK;
}

int
buf_get_bignum_bytes_direct(struct buf *b, const unsigned char **valp,
    size_t *lenp)
{
	const unsigned char *p;
	size_t len;
	int r;

	if (valp != NULL)
		*valp = NULL;
	if (lenp != NULL)
		*lenp = 0;
	if ((r = buf_peek_string_direct(b, &p, &len)) != ERR_OK)
		return r;
	/* negative numbers and needless leading zeros are refused, as
	 * RFC 4251 section 5 defines the encoding as minimal */
	if (len > 0 && (p[0] & 0x80) != 0)
		return ERR_INVALID_FORMAT;
	/* zero is the empty string; a leading zero only before a top bit */
	if (len > 0 && p[0] == 0 && (len == 1 || (p[1] & 0x80) == 0))
		return ERR_INVALID_FORMAT;
	if ((r = buf_consume(b, 4 + len)) != ERR_OK)
		return r;
	while (len > 0 && *p == 0) {
		p++;
		len--;
	}
	if (valp != NULL)
		*valp = p;
	if (lenp != NULL)
		*lenp = len;
	return ERR_OK;
}
