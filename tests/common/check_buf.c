#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"

START_TEST(test_append_and_cstr)
{
	struct buf *b = buf_new(0);

	ck_assert_ptr_nonnull(b);
	ck_assert_str_eq(buf_cstr(b), "");
	ck_assert_int_eq(buf_put_cstr(b, "host"), ERR_OK);
	ck_assert_int_eq(buf_put_u8(b, ' '), ERR_OK);
	ck_assert_int_eq(buf_putf(b, "%d", 22), ERR_OK);
	ck_assert_str_eq(buf_cstr(b), "host 22");
	ck_assert_uint_eq(buf_len(b), 7);
	buf_reset(b);
	ck_assert_uint_eq(buf_len(b), 0);
	ck_assert_str_eq(buf_cstr(b), "");
	buf_free(b);
}
END_TEST

START_TEST(test_maximum_enforced)
{
	struct buf *b = buf_new(8);
	char *s;

	ck_assert_int_eq(buf_put(b, "12345678", 8), ERR_OK);
	ck_assert_int_eq(buf_put_u8(b, '9'), ERR_TOO_LONG);
	ck_assert_int_eq(buf_putf(b, "%s", "x"), ERR_TOO_LONG);
	/* a failed append leaves the contents unchanged */
	ck_assert_str_eq(buf_cstr(b), "12345678");
	s = buf_dup_cstr(b);
	ck_assert_str_eq(s, "12345678");
	free(s);
	buf_free(b);
}
END_TEST

START_TEST(test_growth_and_secret)
{
	struct buf *b = buf_new_secret(0);
	size_t i;

	for (i = 0; i < 10000; i++)
		ck_assert_int_eq(buf_put_u8(b, (unsigned char)('a' + i % 26)), ERR_OK);
	ck_assert_uint_eq(buf_len(b), 10000);
	ck_assert_int_eq(buf_cstr(b)[9999], 'a' + 9999 % 26);
	buf_free(b);
	buf_free(NULL);
}
END_TEST


START_TEST(test_ssh_roundtrip)
{
	struct buf *b = buf_new(0), *v = NULL;
	const unsigned char mag[] = { 0x00, 0x80, 0x01 }, *p;
	unsigned char c, *str;
	uint32_t u32;
	uint64_t u64;
	size_t len;
	char *cs;
	int flag;

	ck_assert_int_eq(buf_put_u8(b, 7), ERR_OK);
	ck_assert_int_eq(buf_put_bool(b, 42), ERR_OK);
	ck_assert_int_eq(buf_put_u32(b, 0xdeadbeef), ERR_OK);
	ck_assert_int_eq(buf_put_u64(b, 0x0102030405060708ULL), ERR_OK);
	ck_assert_int_eq(buf_put_string(b, "ab\0c", 4), ERR_OK);
	ck_assert_int_eq(buf_put_cstring(b, "ssh-userauth"), ERR_OK);
	ck_assert_int_eq(buf_put_bignum_bytes(b, mag, sizeof(mag)), ERR_OK);
	ck_assert_int_eq(buf_put_bignum_bytes(b, mag, 1), ERR_OK);
	ck_assert_int_eq(buf_put_cstring(b, "inner"), ERR_OK);

	ck_assert_int_eq(buf_get_u8(b, &c), ERR_OK);
	ck_assert_int_eq(c, 7);
	ck_assert_int_eq(buf_get_bool(b, &flag), ERR_OK);
	ck_assert_int_eq(flag, 1);
	ck_assert_int_eq(buf_get_u32(b, &u32), ERR_OK);
	ck_assert_uint_eq(u32, 0xdeadbeef);
	ck_assert_int_eq(buf_get_u64(b, &u64), ERR_OK);
	ck_assert(u64 == 0x0102030405060708ULL);
	/* a string holding a NUL is a string, but not a C string */
	ck_assert_int_eq(buf_get_cstring(b, &cs, &len), ERR_INVALID_FORMAT);
	ck_assert_ptr_null(cs);
	ck_assert_int_eq(buf_get_string(b, &str, &len), ERR_OK);
	ck_assert_uint_eq(len, 4);
	ck_assert_mem_eq(str, "ab\0c", 4);
	free(str);
	ck_assert_int_eq(buf_get_cstring(b, &cs, &len), ERR_OK);
	ck_assert_str_eq(cs, "ssh-userauth");
	free(cs);
	/* 0x0080 01: the top bit forces a leading zero byte on the wire */
	ck_assert_int_eq(buf_peek_string_direct(b, &p, &len), ERR_OK);
	ck_assert_uint_eq(len, 3);
	ck_assert_int_eq(p[0], 0);
	ck_assert_int_eq(buf_get_bignum_bytes_direct(b, &p, &len), ERR_OK);
	ck_assert_uint_eq(len, 2);
	ck_assert_int_eq(p[0], 0x80);
	/* zero is the empty string */
	ck_assert_int_eq(buf_peek_string_direct(b, &p, &len), ERR_OK);
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(buf_get_bignum_bytes_direct(b, &p, &len), ERR_OK);
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(buf_get_view(b, &v), ERR_OK);
	ck_assert_uint_eq(buf_len(v), 5);
	ck_assert_mem_eq(buf_ptr(v), "inner", 5);
	ck_assert_int_eq(buf_put_u8(v, 1), ERR_READ_ONLY);
	buf_free(v);
	ck_assert_uint_eq(buf_len(b), 0);
	ck_assert_int_eq(buf_get_u8(b, &c), ERR_BUFFER_SHORT);
	buf_free(b);
}
END_TEST

/* Every truncation of a valid encoding fails cleanly, consuming nothing. */
START_TEST(test_ssh_truncations)
{
	struct buf *full = buf_new(0), *t;
	unsigned char *str;
	uint32_t u32;
	uint64_t u64;
	size_t cut, len;

	ck_assert_int_eq(buf_put_string(full, "0123456789", 10), ERR_OK);
	for (cut = 0; cut < buf_len(full); cut++) {
		t = buf_new_view(buf_ptr(full), cut);
		ck_assert_int_eq(buf_get_string(t, &str, &len), ERR_BUFFER_SHORT);
		ck_assert_ptr_null(str);
		ck_assert_uint_eq(buf_len(t), cut);
		buf_free(t);
	}
	for (cut = 0; cut < 8; cut++) {
		t = buf_new_view("\1\2\3\4\5\6\7\10", cut);
		if (cut < 4)
			ck_assert_int_eq(buf_get_u32(t, &u32), ERR_BUFFER_SHORT);
		ck_assert_int_eq(buf_get_u64(t, &u64), ERR_BUFFER_SHORT);
		buf_free(t);
	}
	buf_free(full);
}
END_TEST

START_TEST(test_ssh_hostile_lengths)
{
	static const unsigned char huge[] = { 0xff, 0xff, 0xff, 0xff, 'x' };
	static const unsigned char over[] = { 0x00, 0x04, 0x00, 0x01, 'x' };
	static const unsigned char neg[] = { 0, 0, 0, 1, 0x80 };
	static const unsigned char pad[] = { 0, 0, 0, 2, 0x00, 0x7f };
	const unsigned char *p;
	struct buf *t;
	size_t len;

	t = buf_new_view(huge, sizeof(huge));
	ck_assert_int_eq(buf_get_string_direct(t, &p, &len), ERR_INVALID_FORMAT);
	buf_free(t);
	t = buf_new_view(over, sizeof(over));
	ck_assert_int_eq(buf_get_string_direct(t, &p, &len), ERR_INVALID_FORMAT);
	buf_free(t);
	t = buf_new_view(neg, sizeof(neg));
	ck_assert_int_eq(buf_get_bignum_bytes_direct(t, &p, &len),
	    ERR_INVALID_FORMAT);
	buf_free(t);
	t = buf_new_view(pad, sizeof(pad));
	ck_assert_int_eq(buf_get_bignum_bytes_direct(t, &p, &len),
	    ERR_INVALID_FORMAT);
	buf_free(t);
}
END_TEST

/* Consumed bytes are reclaimed: a long stream through a small buffer
 * never needs more than its maximum. */
START_TEST(test_stream_reuse)
{
	struct buf *b = buf_new(64);
	unsigned char out[48];
	int i;

	for (i = 0; i < 10000; i++) {
		ck_assert_int_eq(buf_put(b, "0123456789abcdef0123456789abcdef"
		    "0123456789abcdef", 48), ERR_OK);
		ck_assert_int_eq(buf_get(b, out, 40), ERR_OK);
		ck_assert_int_eq(buf_consume(b, 8), ERR_OK);
	}
	ck_assert_int_eq(buf_consume_end(b, 1), ERR_BUFFER_SHORT);
	buf_free(b);
}
END_TEST

static Suite *
buf_suite(void)
{
	Suite *s = suite_create("buf");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_append_and_cstr);
	tcase_add_test(tc, test_maximum_enforced);
	tcase_add_test(tc, test_growth_and_secret);
	tcase_add_test(tc, test_ssh_roundtrip);
	tcase_add_test(tc, test_ssh_truncations);
	tcase_add_test(tc, test_ssh_hostile_lengths);
	tcase_add_test(tc, test_stream_reuse);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(buf_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
