#include "config.h"

#include <stdint.h>

#include "common/base64.h"
#include "common/buf.h"
#include "common/err.h"

/*
 * The mappings between 6-bit values and characters are computed with
 * masks rather than looked up, so that neither the value nor the
 * character picks a cache line (after the constant-time codecs in
 * libsodium and BoringSSL; the arithmetic here is our own).  range_mask()
 * is all ones when lo <= x <= hi and zero otherwise: both differences are
 * negative only inside the range, and every operand is far below 2^15, so
 * the shift brings the sign bit down.
 */
static int
range_mask(int x, int lo, int hi)
{
	return ((lo - 1 - x) & (x - hi - 1)) >> 15;
}

/* 0..63 to 'A'..'Z', 'a'..'z', '0'..'9', '+', '/'. */
static unsigned char
b64_char(unsigned int v)
{
	int x = (int)v, c;

	c = 'A' + x;
	c += range_mask(x, 26, 63) & ('a' - 26 - 'A');
	c += range_mask(x, 52, 63) & ('0' - 52 - ('a' - 26));
	c += range_mask(x, 62, 63) & ('+' - 62 - ('0' - 52));
	c += range_mask(x, 63, 63) & ('/' - '+' - 1);
	return (unsigned char)c;
}

/* The value of character c, or -1 when c is not in the alphabet. */
static int
b64_value(unsigned char ch)
{
	int c = ch, v = -1;

	/* Each term adds (value + 1) inside its range and 0 outside. */
	v += range_mask(c, 'A', 'Z') & (c - 'A' + 1);
	v += range_mask(c, 'a', 'z') & (c - 'a' + 26 + 1);
	v += range_mask(c, '0', '9') & (c - '0' + 52 + 1);
	v += range_mask(c, '+', '+') & (62 + 1);
	v += range_mask(c, '/', '/') & (63 + 1);
	return v;
}

size_t
base64_encoded_len(size_t len, int pad)
{
	size_t full = len / 3, rest = len % 3;

	if (full > (SIZE_MAX - 4) / 4)
		return 0;
	if (rest == 0)
		return full * 4;
	return full * 4 + (pad ? 4 : rest + 1);
}

int
base64_encode(const unsigned char *src, size_t len, struct buf *out,
    int pad)
{
	unsigned char *dst;
	size_t olen, i, o = 0;
	uint32_t w;
	int r;

	if ((olen = base64_encoded_len(len, pad)) == 0 && len != 0)
		return ERR_TOO_LONG;
	if ((r = buf_reserve(out, olen, &dst)) != ERR_OK)
		return r;
	for (i = 0; i + 3 <= len; i += 3) {
		w = (uint32_t)src[i] << 16 | (uint32_t)src[i + 1] << 8 |
		    src[i + 2];
		dst[o++] = b64_char(w >> 18);
		dst[o++] = b64_char((w >> 12) & 0x3f);
		dst[o++] = b64_char((w >> 6) & 0x3f);
		dst[o++] = b64_char(w & 0x3f);
	}
	if (len - i == 1) {
		w = (uint32_t)src[i] << 16;
		dst[o++] = b64_char(w >> 18);
		dst[o++] = b64_char((w >> 12) & 0x3f);
		if (pad) {
			dst[o++] = '=';
			dst[o++] = '=';
		}
	} else if (len - i == 2) {
		w = (uint32_t)src[i] << 16 | (uint32_t)src[i + 1] << 8;
		dst[o++] = b64_char(w >> 18);
		dst[o++] = b64_char((w >> 12) & 0x3f);
		dst[o++] = b64_char((w >> 6) & 0x3f);
		if (pad)
			dst[o++] = '=';
	}
	return ERR_OK;
}

int
base64_decode(const char *src, size_t len, struct buf *out)
{
	const unsigned char *s = (const unsigned char *)src;
	unsigned char *dst;
	size_t dlen = len, olen, tail, i, o = 0;
	uint32_t w;
	int bad = 0, v[4], r;

	/* Padding: one or two '=' closing a group of four. */
	if (len > 0 && s[len - 1] == '=') {
		if (len % 4 != 0)
			return ERR_INVALID_FORMAT;
		dlen = len - 1;
		if (s[dlen - 1] == '=')
			dlen--;
	}
	/* A lone character in the last group cannot carry a whole byte. */
	if ((tail = dlen % 4) == 1)
		return ERR_INVALID_FORMAT;
	olen = dlen / 4 * 3 + (tail == 0 ? 0 : tail - 1);
	if ((r = buf_reserve(out, olen, &dst)) != ERR_OK)
		return r;

	/* A stray '=' inside the data is not in the alphabet: b64_value()
	 * rejects it like any other character. */
	for (i = 0; i + 4 <= dlen; i += 4) {
		v[0] = b64_value(s[i]);
		v[1] = b64_value(s[i + 1]);
		v[2] = b64_value(s[i + 2]);
		v[3] = b64_value(s[i + 3]);
		bad |= v[0] | v[1] | v[2] | v[3];
		w = (uint32_t)(v[0] & 0x3f) << 18 | (uint32_t)(v[1] & 0x3f) << 12 |
		    (uint32_t)(v[2] & 0x3f) << 6 | (uint32_t)(v[3] & 0x3f);
		dst[o++] = (unsigned char)(w >> 16);
		dst[o++] = (unsigned char)(w >> 8);
		dst[o++] = (unsigned char)w;
	}
	if (tail >= 2) {
		v[0] = b64_value(s[i]);
		v[1] = b64_value(s[i + 1]);
		v[2] = tail == 3 ? b64_value(s[i + 2]) : 0;
		bad |= v[0] | v[1] | v[2];
		w = (uint32_t)(v[0] & 0x3f) << 18 | (uint32_t)(v[1] & 0x3f) << 12 |
		    (uint32_t)(v[2] & 0x3f) << 6;
		dst[o++] = (unsigned char)(w >> 16);
		if (tail == 3)
			dst[o++] = (unsigned char)(w >> 8);
		/* The bits below the last whole byte must be zero, so that
		 * each byte string has one encoding (b64_pton() checks the
		 * same). */
		if ((tail == 2 ? (w & 0xffff) : (w & 0xff)) != 0)
			bad = -1;
	}
	if (bad < 0) {
		/* Take back what we wrote; a secret buffer wipes it. */
		buf_consume_end(out, olen);
		return ERR_INVALID_FORMAT;
	}
	return ERR_OK;
}
