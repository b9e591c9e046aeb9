#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/sha1.h"

static void
hex(const unsigned char *d, char out[41])
{
	int i;

	for (i = 0; i < SHA1_DIGEST_LEN; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void
check_vector(const char *msg, size_t repeat, const char *want)
{
	struct sha1_ctx c;
	unsigned char d[SHA1_DIGEST_LEN];
	char got[41];
	size_t i;

	sha1_init(&c);
	for (i = 0; i < repeat; i++)
		sha1_update(&c, msg, strlen(msg));
	sha1_final(&c, d);
	hex(d, got);
	ck_assert_str_eq(got, want);
}

/* FIPS 180-2 appendix A test vectors */
START_TEST(test_fips_vectors)
{
	check_vector("abc", 1, "a9993e364706816aba3e25717850c26c9cd0d89d");
	check_vector("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	    1, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
	check_vector("a", 1000000, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
	check_vector("", 1, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
}
END_TEST

/* Feeding a message in pieces of every size gives the same digest. */
START_TEST(test_split_updates)
{
	const char *msg = "The quick brown fox jumps over the lazy dog, "
	    "then runs across more than one sixty-four byte block.";
	unsigned char whole[SHA1_DIGEST_LEN], split[SHA1_DIGEST_LEN];
	struct sha1_ctx c;
	size_t len = strlen(msg), step, off;

	sha1_init(&c);
	sha1_update(&c, msg, len);
	sha1_final(&c, whole);
	for (step = 1; step <= len; step++) {
		sha1_init(&c);
		for (off = 0; off < len; off += step)
			sha1_update(&c, msg + off, off + step > len ? len - off : step);
		sha1_final(&c, split);
		ck_assert_mem_eq(whole, split, SHA1_DIGEST_LEN);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("sha1");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_fips_vectors);
	tcase_add_test(tc, test_split_updates);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
