/*
 * libFuzzer target: the SSH wire decoders of src/common/buf.h on
 * arbitrary bytes (buf_get_string, buf_get_cstring,
 * buf_get_string_direct, buf_peek_string_direct,
 * buf_get_bignum_bytes_direct, buf_get_view and the fixed-size reads).
 *
 * Input layout: byte 0 = n (mod 16) operation bytes follow; then the
 * bytes to decode.  The operations are applied in turn, round after
 * round, until the bytes are used up or a round consumes nothing; an
 * operation byte's low 4 bits pick the decoder, bit 4 whether the
 * decoded string is decoded further as a nested view.  The same run
 * goes once over a read-only view of the bytes and once over a
 * writable buffer holding a copy.
 *
 * Oracles, besides the sanitizers (each decoder against the encoding
 * RFC 4251 section 5 defines and buf.h's contract):
 *   - a failure is ERR_BUFFER_SHORT or ERR_INVALID_FORMAT and consumes
 *     nothing;
 *   - a success consumes exactly uint32 + length bytes, never more than
 *     BUF_MAX_STRING of string, and returns the bytes that were there
 *     (copies NUL-terminated; C strings without a NUL inside);
 *   - peek and get agree, and peek consumes nothing;
 *   - an mpint decodes only when non-negative and minimal, so encoding
 *     the magnitude again with buf_put_bignum_bytes() gives back the
 *     exact bytes consumed;
 *   - a view holds the string's bytes, refuses writes, and outlives
 *     nothing (it is freed before its parent).
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ROUNDS 64

/* An oracle that failed names itself before the crash. */
#define check(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "fuzz_buf.c:%d: check failed: %s\n", \
		    __LINE__, #cond); \
		abort(); \
	} \
} while (0)

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* What a string at the front of b should decode to: 1 and its bytes when
 * it is well formed, else 0 and the error. */
static int
expect_string(const struct buf *b, const unsigned char **valp, size_t *lenp,
    int *errp)
{
	const unsigned char *p = buf_ptr(b);
	size_t have = buf_len(b);
	uint32_t len;

	*valp = NULL;
	*lenp = 0;
	if (have < 4) {
		*errp = ERR_BUFFER_SHORT;
		return 0;
	}
	len = be32(p);
	if (len > BUF_MAX_STRING) {
		*errp = ERR_INVALID_FORMAT;
		return 0;
	}
	if (have - 4 < len) {
		*errp = ERR_BUFFER_SHORT;
		return 0;
	}
	*valp = p + 4;
	*lenp = len;
	*errp = ERR_OK;
	return 1;
}

static void decode(struct buf *b, unsigned int op, int depth);

static void
decode_view(struct buf *b, unsigned int op, int depth)
{
	const unsigned char *want;
	size_t wlen, before = buf_len(b);
	struct buf *v = NULL;
	int err, r, ok;

	ok = expect_string(b, &want, &wlen, &err);
	r = buf_get_view(b, &v);
	if (!ok) {
		check(r == err && v == NULL && buf_len(b) == before);
		return;
	}
	check(r == ERR_OK && v != NULL);
	check(buf_len(b) == before - 4 - wlen);
	check(buf_len(v) == wlen);
	check(wlen == 0 || memcmp(buf_ptr(v), want, wlen) == 0);
	check(buf_put_u8(v, 'x') == ERR_READ_ONLY);
	check(buf_len(v) == wlen);
	/* read the inside too, with the next decoder */
	if (depth < 4)
		decode(v, op + 1, depth + 1);
	buf_free(v);
}

static void
decode(struct buf *b, unsigned int op, int depth)
{
	const unsigned char *want, *got, *got2;
	unsigned char *copy = NULL;
	char *cs = NULL;
	size_t wlen, glen, glen2, before = buf_len(b);
	struct buf *re;
	uint32_t u32, want32;
	uint64_t u64;
	unsigned char u8;
	int err, r, ok, bv;

	ok = expect_string(b, &want, &wlen, &err);
	switch (op & 0x0f) {
	case 0:
		r = buf_get_string(b, &copy, &glen);
		if (!ok) {
			check(r == err && copy == NULL && glen == 0);
			break;
		}
		check(r == ERR_OK && copy != NULL && glen == wlen);
		check(memcmp(copy, want, wlen) == 0 && copy[wlen] == '\0');
		free(copy);
		break;
	case 1:
		r = buf_get_cstring(b, &cs, &glen);
		if (ok && memchr(want, '\0', wlen) != NULL) {
			ok = 0;
			err = ERR_INVALID_FORMAT;
		}
		if (!ok) {
			check(r == err && cs == NULL);
			break;
		}
		check(r == ERR_OK && cs != NULL && glen == wlen);
		check(strlen(cs) == wlen && memcmp(cs, want, wlen) == 0);
		free(cs);
		break;
	case 2:
	case 3:
		r = buf_peek_string_direct(b, &got, &glen);
		check(buf_len(b) == before);
		check(ok ? r == ERR_OK && got == want && glen == wlen :
		    r == err && got == NULL && glen == 0);
		if ((op & 0x0f) == 3)
			break;
		r = buf_get_string_direct(b, &got2, &glen2);
		check(ok ? r == ERR_OK && got2 == want && glen2 == wlen :
		    r == err);
		break;
	case 4:
	case 5:
		/* RFC 4251: two's complement, no needless leading byte, and
		 * zero as the empty string; we take only non-negative ones */
		if (ok && wlen > 0 && ((want[0] & 0x80) != 0 ||
		    (want[0] == 0 && (wlen == 1 || (want[1] & 0x80) == 0)))) {
			ok = 0;
			err = ERR_INVALID_FORMAT;
		}
		r = buf_get_bignum_bytes_direct(b, &got, &glen);
		if (!ok) {
			if (r == ERR_OK)
				fprintf(stderr, "fuzz_buf: a negative or "
				    "non-minimal mpint of %zu bytes was "
				    "accepted\n", wlen);
			check(r == err && buf_len(b) == before);
			break;
		}
		check(r == ERR_OK && buf_len(b) == before - 4 - wlen);
		check(glen <= wlen && (glen == 0 || got[0] != 0));
		check(got + glen == want + wlen);
		/* minimal: encoding the value again gives the same bytes */
		if ((re = buf_new(0)) == NULL)
			abort();
		check(buf_put_bignum_bytes(re, got, glen) == ERR_OK);
		check(buf_len(re) == 4 + wlen &&
		    memcmp(buf_ptr(re) + 4, want, wlen) == 0);
		buf_free(re);
		break;
	case 6:
		decode_view(b, op, depth);
		break;
	case 7:
		want32 = before >= 4 ? be32(buf_ptr(b)) : 0;
		r = buf_get_u32(b, &u32);
		check(before >= 4 ? r == ERR_OK && u32 == want32 &&
		    buf_len(b) == before - 4 :
		    r == ERR_BUFFER_SHORT && buf_len(b) == before);
		break;
	case 8:
		r = buf_get_u64(b, &u64);
		check(before >= 8 ? r == ERR_OK && buf_len(b) == before - 8 :
		    r == ERR_BUFFER_SHORT && buf_len(b) == before);
		break;
	case 9:
		r = buf_get_bool(b, &bv);
		check(before >= 1 ? r == ERR_OK && (bv == 0 || bv == 1) :
		    r == ERR_BUFFER_SHORT);
		break;
	case 10:
		r = buf_get_u8(b, &u8);
		check(before >= 1 ? r == ERR_OK : r == ERR_BUFFER_SHORT);
		break;
	case 11:
		/* skip a string without looking */
		r = buf_get_string(b, NULL, NULL);
		check(ok ? r == ERR_OK && buf_len(b) == before - 4 - wlen :
		    r == err && buf_len(b) == before);
		break;
	default:
		decode_view(b, op, depth);
		break;
	}
	if ((op & 0x10) != 0 && depth < 4 && buf_len(b) > 0)
		decode_view(b, op >> 1, depth + 1);
}

static void
run(struct buf *b, const uint8_t *ops, size_t nops)
{
	size_t round, i, before;

	if (nops == 0)
		return;
	for (round = 0; round < MAX_ROUNDS && buf_len(b) > 0; round++) {
		before = buf_len(b);
		for (i = 0; i < nops && buf_len(b) > 0; i++)
			decode(b, ops[i], 0);
		if (buf_len(b) == before)
			break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf *view, *copy;
	size_t nops;

	if (size < 1)
		return 0;
	nops = data[0] % 16;
	if (nops + 1 > size)
		return 0;
	if ((view = buf_new_view(data + 1 + nops, size - 1 - nops)) == NULL ||
	    (copy = buf_new(0)) == NULL)
		abort();
	check(buf_put(copy, data + 1 + nops, size - 1 - nops) == ERR_OK);
	run(view, data + 1, nops);
	run(copy, data + 1, nops);
	buf_free(view);
	buf_free(copy);
	return 0;
}
