#include "config.h"

#include <check.h>
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

static Suite *
buf_suite(void)
{
	Suite *s = suite_create("buf");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_append_and_cstr);
	tcase_add_test(tc, test_maximum_enforced);
	tcase_add_test(tc, test_growth_and_secret);
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
