#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/base64.h"
#include "common/buf.h"
#include "common/err.h"

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* RFC 4648 section 10 */
static const struct {
	const char *plain, *enc;
} vectors[] = {
	{ "", "" },
	{ "f", "Zg==" },
	{ "fo", "Zm8=" },
	{ "foo", "Zm9v" },
	{ "foob", "Zm9vYg==" },
	{ "fooba", "Zm9vYmE=" },
	{ "foobar", "Zm9vYmFy" },
};

/* Decodes s (of length len) into a fresh buffer; returns the result code
 * and leaves the buffer in *outp (caller frees). */
static int
decode(const char *s, size_t len, struct buf **outp)
{
	struct buf *b = buf_new(0);

	ck_assert_ptr_nonnull(b);
	*outp = b;
	return base64_decode(s, len, b);
}

static int
decode_ok(const char *s)
{
	struct buf *b;
	int r = decode(s, strlen(s), &b);

	buf_free(b);
	return r;
}

/* A deterministic byte stream for the sweeps. */
static void
fill(unsigned char *p, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (unsigned char)(seed >> 16);
	}
}

START_TEST(test_rfc4648_encode)
{
	size_t i;

	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		struct buf *b = buf_new(0);
		char want[16];
		size_t n;

		ck_assert_ptr_nonnull(b);
		ck_assert_int_eq(base64_encode((const unsigned char *)
		    vectors[i].plain, strlen(vectors[i].plain), b, 1), ERR_OK);
		ck_assert_uint_eq(buf_len(b), strlen(vectors[i].enc));
		ck_assert_str_eq(buf_cstr(b), vectors[i].enc);
		ck_assert_uint_eq(base64_encoded_len(strlen(vectors[i].plain),
		    1), strlen(vectors[i].enc));
		/* unpadded: the same text without its '=' */
		buf_reset(b);
		ck_assert_int_eq(base64_encode((const unsigned char *)
		    vectors[i].plain, strlen(vectors[i].plain), b, 0), ERR_OK);
		snprintf(want, sizeof(want), "%s", vectors[i].enc);
		n = strcspn(want, "=");
		want[n] = '\0';
		ck_assert_str_eq(buf_cstr(b), want);
		ck_assert_uint_eq(base64_encoded_len(strlen(vectors[i].plain),
		    0), n);
		buf_free(b);
	}
}
END_TEST

START_TEST(test_rfc4648_decode)
{
	size_t i;

	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		struct buf *b;
		char unpadded[16];
		size_t plen = strlen(vectors[i].plain);

		ck_assert_int_eq(decode(vectors[i].enc, strlen(vectors[i].enc),
		    &b), ERR_OK);
		ck_assert_uint_eq(buf_len(b), plen);
		ck_assert_mem_eq(buf_ptr(b), vectors[i].plain, plen);
		buf_free(b);
		/* the same without padding */
		snprintf(unpadded, sizeof(unpadded), "%s", vectors[i].enc);
		unpadded[strcspn(unpadded, "=")] = '\0';
		ck_assert_int_eq(decode(unpadded, strlen(unpadded), &b), ERR_OK);
		ck_assert_uint_eq(buf_len(b), plen);
		ck_assert_mem_eq(buf_ptr(b), vectors[i].plain, plen);
		buf_free(b);
	}
}
END_TEST

/* Output is appended after what the buffer already holds, and an error
 * leaves the buffer as it was. */
START_TEST(test_append_and_unchanged_on_error)
{
	struct buf *b = buf_new(0);

	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(buf_put_cstr(b, "x:"), ERR_OK);
	ck_assert_int_eq(base64_encode((const unsigned char *)"foo", 3, b, 1),
	    ERR_OK);
	ck_assert_str_eq(buf_cstr(b), "x:Zm9v");
	ck_assert_int_eq(base64_decode("Zm9vYmFy", 8, b), ERR_OK);
	ck_assert_uint_eq(buf_len(b), 12);
	ck_assert_mem_eq(buf_ptr(b), "x:Zm9vfoobar", 12);
	ck_assert_int_eq(base64_decode("Zm9vYmF!", 8, b), ERR_INVALID_FORMAT);
	ck_assert_uint_eq(buf_len(b), 12);
	ck_assert_mem_eq(buf_ptr(b), "x:Zm9vfoobar", 12);
	/* the error is found in the last group, after three bytes were
	 * written: they are taken back */
	ck_assert_int_eq(base64_decode("Zm9vYh==", 8, b), ERR_INVALID_FORMAT);
	ck_assert_uint_eq(buf_len(b), 12);
	buf_free(b);
}
END_TEST

START_TEST(test_invalid_inputs)
{
	static const char *bad[] = {
		"Z", "Zm9vY", "Zg=", "Zg===", "Zm8==", "Zm9v=", "=", "==",
		"====", "=Zm9", "Z=g=", "Zg==Zg==", "Zg==Z", "Zm9v====",
		"Zh==",         /* low bits set: 'h' leaves 0x1 after 'Z' */
		"Zm9=",         /* '9' leaves 0x1 */
		"Zh", "Zm9",    /* the same without padding */
		"Zm 9v", " Zm9v", "Zm9v ", "Zm9v\n", "Zm9v\r\n", "Zm\t9v",
		"Zm-_", "Zm9v_A==", "Zm9v-A==", "Zm.v", "Zm9v*", "\x80Zm9",
		"Zm9\xff", "Zm9\xc3\xa9",
	};
	struct buf *b;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(decode(bad[i], strlen(bad[i]), &b) ==
		    ERR_INVALID_FORMAT, "accepted \"%s\"", bad[i]);
		ck_assert_uint_eq(buf_len(b), 0);
		buf_free(b);
	}
	/* a NUL inside the given length is a bad character, not an end */
	ck_assert_int_eq(decode("Zm9v\0mFy", 8, &b), ERR_INVALID_FORMAT);
	buf_free(b);
	ck_assert_int_eq(decode("Zm\0=", 4, &b), ERR_INVALID_FORMAT);
	buf_free(b);
	/* but the length, not a NUL, ends the input */
	ck_assert_int_eq(decode("Zm9vXXXX", 4, &b), ERR_OK);
	ck_assert_uint_eq(buf_len(b), 3);
	buf_free(b);
	/* the empty input is valid */
	ck_assert_int_eq(decode_ok(""), ERR_OK);
}
END_TEST

/* Every byte value in every position of a group: accepted exactly when
 * it is in the alphabet, or is the '=' that pads the last position. */
START_TEST(test_every_character)
{
	char s[5];
	int c, pos;

	for (pos = 0; pos < 4; pos++) {
		for (c = 0; c < 256; c++) {
			struct buf *b;
			int want, r;

			memcpy(s, "AAAA", 5);
			s[pos] = (char)c;
			want = c != 0 && strchr(alphabet, c) != NULL;
			r = decode(s, 4, &b);
			if (c == '=' && pos == 3) {
				/* "AAA=" is padding, not a bad character */
				ck_assert_int_eq(r, ERR_OK);
				ck_assert_uint_eq(buf_len(b), 2);
				ck_assert_mem_eq(buf_ptr(b), "\0\0", 2);
				buf_free(b);
				continue;
			}
			ck_assert_msg(r == (want ? ERR_OK : ERR_INVALID_FORMAT),
			    "byte 0x%02x at %d: %d", c, pos, r);
			if (want) {
				unsigned int v = (unsigned int)(strchr(alphabet,
				    c) - alphabet);
				unsigned int w = v << (6 * (3 - pos));

				ck_assert_uint_eq(buf_len(b), 3);
				ck_assert_uint_eq(buf_ptr(b)[0], (w >> 16) & 0xff);
				ck_assert_uint_eq(buf_ptr(b)[1], (w >> 8) & 0xff);
				ck_assert_uint_eq(buf_ptr(b)[2], w & 0xff);
			}
			buf_free(b);
		}
	}
}
END_TEST

/* Encode and decode every length up to a few hundred bytes, both ways. */
START_TEST(test_round_trip)
{
	unsigned char data[300];
	size_t len;
	int pad;

	for (len = 0; len <= sizeof(data); len++) {
		fill(data, len, (unsigned int)len);
		for (pad = 0; pad <= 1; pad++) {
			struct buf *e = buf_new(0), *d = buf_new(0);
			size_t i;

			ck_assert_ptr_nonnull(e);
			ck_assert_ptr_nonnull(d);
			ck_assert_int_eq(base64_encode(data, len, e, pad), ERR_OK);
			ck_assert_uint_eq(buf_len(e), base64_encoded_len(len, pad));
			for (i = 0; i < buf_len(e); i++)
				ck_assert(buf_ptr(e)[i] == '=' ||
				    strchr(alphabet, buf_ptr(e)[i]) != NULL);
			if (pad)
				ck_assert_uint_eq(buf_len(e) % 4, 0);
			ck_assert_int_eq(base64_decode(buf_cstr(e), buf_len(e), d),
			    ERR_OK);
			ck_assert_uint_eq(buf_len(d), len);
			if (len > 0)
				ck_assert_mem_eq(buf_ptr(d), data, len);
			buf_free(e);
			buf_free(d);
		}
	}
}
END_TEST

/*
 * Every truncation of a padded encoding: the expected answer comes from
 * the alphabet string, not from the code under test.  A cut inside the
 * padding is bad; a cut leaving one character of a group is bad; a cut
 * leaving two or three is good when the last character's unused bits are
 * zero, and then gives a prefix of the data.
 */
START_TEST(test_every_truncation)
{
	unsigned char data[64];
	size_t len, k;

	for (len = 1; len <= sizeof(data); len++) {
		struct buf *e = buf_new(0);
		const char *t;

		ck_assert_ptr_nonnull(e);
		fill(data, len, 7u + (unsigned int)len);
		ck_assert_int_eq(base64_encode(data, len, e, 1), ERR_OK);
		t = buf_cstr(e);
		for (k = 0; k <= buf_len(e); k++) {
			struct buf *d;
			unsigned int last;
			int want, r;

			if (k > 0 && t[k - 1] == '=')
				want = k % 4 == 0;
			else if (k % 4 == 1)
				want = 0;
			else if (k % 4 == 0)
				want = 1;
			else {
				last = (unsigned int)(strchr(alphabet, t[k - 1]) -
				    alphabet);
				want = (last & (k % 4 == 2 ? 0xf : 0x3)) == 0;
			}
			r = decode(t, k, &d);
			ck_assert_msg(r == (want ? ERR_OK : ERR_INVALID_FORMAT),
			    "len %zu cut %zu: %d", len, k, r);
			if (want) {
				size_t n = buf_len(d);

				ck_assert_uint_eq(n, (k - (k > 0 && t[k - 1] == '=') -
				    (k > 1 && t[k - 2] == '=')) * 3 / 4);
				ck_assert_uint_le(n, len);
				if (n > 0)
					ck_assert_mem_eq(buf_ptr(d), data, n);
			} else
				ck_assert_uint_eq(buf_len(d), 0);
			buf_free(d);
		}
		buf_free(e);
	}
}
END_TEST

/* Every single-bit flip of an encoding is either rejected or decodes to
 * bytes whose canonical encoding is the flipped text: there is one
 * encoding per byte string. */
START_TEST(test_every_bit_flip)
{
	unsigned char data[40];
	size_t len, i;
	int bit, pad;

	for (len = 1; len <= sizeof(data); len++) {
		for (pad = 0; pad <= 1; pad++) {
			struct buf *e = buf_new(0);
			char *t;

			ck_assert_ptr_nonnull(e);
			fill(data, len, 99u + (unsigned int)len);
			ck_assert_int_eq(base64_encode(data, len, e, pad), ERR_OK);
			t = buf_dup_cstr(e);
			ck_assert_ptr_nonnull(t);
			for (i = 0; i < buf_len(e); i++) {
				for (bit = 0; bit < 8; bit++) {
					struct buf *d, *re = buf_new(0);

					ck_assert_ptr_nonnull(re);
					t[i] ^= (char)(1 << bit);
					if (decode(t, buf_len(e), &d) == ERR_OK) {
						ck_assert_int_eq(base64_encode(buf_ptr(d),
						    buf_len(d), re, pad), ERR_OK);
						ck_assert_uint_eq(buf_len(re), buf_len(e));
						ck_assert_mem_eq(buf_ptr(re), t, buf_len(e));
					} else
						ck_assert_uint_eq(buf_len(d), 0);
					t[i] ^= (char)(1 << bit);
					buf_free(d);
					buf_free(re);
				}
			}
			free(t);
			buf_free(e);
		}
	}
}
END_TEST

/* Append errors come back, and leave the buffer alone. */
START_TEST(test_buffer_limits)
{
	struct buf *small = buf_new(7), *view, *sec;
	unsigned char nine[9] = "123456789";

	ck_assert_ptr_nonnull(small);
	ck_assert_int_eq(buf_put_cstr(small, "ab"), ERR_OK);
	/* 4 more characters fit, 8 do not */
	ck_assert_int_eq(base64_encode(nine, 3, small, 1), ERR_OK);
	ck_assert_int_eq(base64_encode(nine, 6, small, 1), ERR_TOO_LONG);
	ck_assert_uint_eq(buf_len(small), 6);
	ck_assert_int_eq(base64_decode("Zm9vYmFy", 8, small), ERR_TOO_LONG);
	ck_assert_uint_eq(buf_len(small), 6);
	ck_assert_int_eq(base64_decode("Zg", 2, small), ERR_OK);
	ck_assert_uint_eq(buf_len(small), 7);
	buf_free(small);

	view = buf_new_view("abc", 3);
	ck_assert_ptr_nonnull(view);
	ck_assert_int_eq(base64_encode(nine, 3, view, 1), ERR_READ_ONLY);
	ck_assert_int_eq(base64_decode("Zm9v", 4, view), ERR_READ_ONLY);
	ck_assert_uint_eq(buf_len(view), 3);
	buf_free(view);

	/* a secret buffer takes decoded bytes like any other */
	sec = buf_new_secret(0);
	ck_assert_ptr_nonnull(sec);
	ck_assert_int_eq(base64_decode("Zm9vYmFy", 8, sec), ERR_OK);
	ck_assert_int_eq(base64_decode("Zm9vYmF=", 8, sec), ERR_INVALID_FORMAT);
	ck_assert_uint_eq(buf_len(sec), 6);
	ck_assert_mem_eq(buf_ptr(sec), "foobar", 6);
	buf_free(sec);

	/* an input too long to encode in a size_t is refused, not wrapped */
	ck_assert_uint_eq(base64_encoded_len((size_t)-1, 1), 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("base64");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_rfc4648_encode);
	tcase_add_test(tc, test_rfc4648_decode);
	tcase_add_test(tc, test_append_and_unchanged_on_error);
	tcase_add_test(tc, test_invalid_inputs);
	tcase_add_test(tc, test_every_character);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_every_truncation);
	tcase_add_test(tc, test_every_bit_flip);
	tcase_add_test(tc, test_buffer_limits);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
