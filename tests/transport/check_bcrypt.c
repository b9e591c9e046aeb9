/*
 * Blowfish and bcrypt_pbkdf (src/transport/blowfish.c, bcrypt-pbkdf.c).
 * Blowfish through Eric Young's published ECB vectors (the fixed-key set
 * and the variable-key-length set over one plaintext); bcrypt_pbkdf
 * through the known answers shared by several implementations' test
 * suites.  The end-to-end check against files that ssh-keygen encrypts
 * lives in check_userkey.c.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "transport/blowfish.h"

static void
hex_to_bin(const char *hex, unsigned char *out, size_t len)
{
	size_t i;
	unsigned int v;

	ck_assert_uint_eq(strlen(hex), 2 * len);
	for (i = 0; i < len; i++) {
		ck_assert_int_eq(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (unsigned char)v;
	}
}

static void
assert_hex(const unsigned char *got, size_t len, const char *want)
{
	unsigned char w[256];

	ck_assert_uint_le(len, sizeof(w));
	hex_to_bin(want, w, len);
	if (memcmp(got, w, len) != 0) {
		char buf[2 * 256 + 1];
		size_t i;

		for (i = 0; i < len; i++)
			snprintf(buf + 2 * i, 3, "%02x", got[i]);
		ck_abort_msg("got %s, want %s", buf, want);
	}
}

/* ---- Blowfish: Eric Young's ECB vectors (key, plaintext, ciphertext) */

static const struct {
	const char *key, *pt, *ct;
} ecb_vectors[] = {
	{ "0000000000000000", "0000000000000000", "4ef997456198dd78" },
	{ "ffffffffffffffff", "ffffffffffffffff", "51866fd5b85ecb8a" },
	{ "3000000000000000", "1000000000000001", "7d856f9a613063f2" },
	{ "1111111111111111", "1111111111111111", "2466dd878b963c9d" },
	{ "0123456789abcdef", "1111111111111111", "61f9c3802281b096" },
	{ "1111111111111111", "0123456789abcdef", "7d0cc630afda1ec7" },
	{ "fedcba9876543210", "0123456789abcdef", "0aceab0fc6a0a28d" },
	{ "7ca110454a1a6e57", "01a1d6d039776742", "59c68245eb05282b" },
	/* from the variable-key-length set: 8, 16 and 24 key bytes */
	{ "f0e1d2c3b4a59687", "fedcba9876543210", "e87a244e2cc85e82" },
	{ "f0e1d2c3b4a5968778695a4b3c2d1e0f", "fedcba9876543210",
	    "93142887ee3be15c" },
	{ "f0e1d2c3b4a5968778695a4b3c2d1e0f0011223344556677",
	    "fedcba9876543210", "05044b62fa52d080" },
};

START_TEST(test_blowfish_ecb)
{
	struct blf_ctx c;
	unsigned char key[BLF_MAX_KEY_LEN], block[8];
	size_t klen = strlen(ecb_vectors[_i].key) / 2;

	hex_to_bin(ecb_vectors[_i].key, key, klen);
	hex_to_bin(ecb_vectors[_i].pt, block, 8);
	blf_set_key(&c, key, klen);
	blf_ecb_encrypt(&c, block, 8);
	assert_hex(block, 8, ecb_vectors[_i].ct);
	blf_ecb_decrypt(&c, block, 8);
	assert_hex(block, 8, ecb_vectors[_i].pt);
}
END_TEST

/* Several blocks at once, and a trailing partial block left alone. */
START_TEST(test_blowfish_multiblock)
{
	struct blf_ctx c;
	unsigned char key[8], data[8 * 4 + 3], orig[sizeof(data)];
	unsigned char one[8];
	size_t i;

	hex_to_bin("0123456789abcdef", key, 8);
	blf_set_key(&c, key, 8);
	for (i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 37 + 1);
	memcpy(orig, data, sizeof(data));
	blf_ecb_encrypt(&c, data, sizeof(data));
	for (i = 0; i < 4; i++) {
		memcpy(one, orig + 8 * i, 8);
		blf_ecb_encrypt(&c, one, 8);
		ck_assert_mem_eq(one, data + 8 * i, 8);
	}
	ck_assert_mem_eq(data + 32, orig + 32, 3);
	blf_ecb_decrypt(&c, data, sizeof(data));
	ck_assert_mem_eq(data, orig, sizeof(data));
}
END_TEST

/* The initial state is pi: its first and last words are well known. */
START_TEST(test_blowfish_pi)
{
	struct blf_ctx c;

	blf_init(&c);
	ck_assert_uint_eq(c.p[0], 0x243f6a88u);
	ck_assert_uint_eq(c.p[17], 0x8979fb1bu);
	ck_assert_uint_eq(c.s[0][0], 0xd1310ba6u);
	ck_assert_uint_eq(c.s[3][255], 0x3ac372e6u);
}
END_TEST

/* ---- bcrypt_pbkdf known answers */

static const struct {
	const char *pass;
	size_t passlen;
	const char *salt;
	size_t saltlen;
	unsigned int rounds;
	size_t keylen;
	const char *key;
} kdf_vectors[] = {
	{ "password", 8, "salt", 4, 4, 32,
	    "5bbf0cc293587f1c3635555c27796598d47e579071bf427e9d8fbe842aba34d9" },
	{ "password", 8, "\0", 1, 4, 16,
	    "c12b566235eee04c212598970a579a67" },
	/* 64 bytes: two blocks, striped */
	{ "password", 8, "salt", 4, 8, 64,
	    "e1367ec5151a33faac4cc1c144cd23fa15d5548493ecc99b9b5d9c0d3b27bec7"
	    "6227ea66088b849b20ab7aa478010246e74bba51723fefa9f9474d6508845e8d" },
	{ "password", 8, "salt", 4, 42, 16,
	    "833cf0dcf56db65608e8f0dc0ce882bd" },
};

START_TEST(test_bcrypt_pbkdf_kat)
{
	unsigned char key[128];

	ck_assert_int_eq(bcrypt_pbkdf(kdf_vectors[_i].pass,
	    kdf_vectors[_i].passlen, (const unsigned char *)kdf_vectors[_i].salt,
	    kdf_vectors[_i].saltlen, key, kdf_vectors[_i].keylen,
	    kdf_vectors[_i].rounds), ERR_OK);
	assert_hex(key, kdf_vectors[_i].keylen, kdf_vectors[_i].key);
}
END_TEST

/* Striping: a 48-byte key (aes256-ctr's key and IV) is two blocks, and
 * its even bytes are the first block of the 64-byte answer above. */
START_TEST(test_bcrypt_pbkdf_stripe)
{
	unsigned char k48[48], k64[64], k1[1];
	size_t i;

	ck_assert_int_eq(bcrypt_pbkdf("password", 8,
	    (const unsigned char *)"salt", 4, k64, sizeof(k64), 8), ERR_OK);
	ck_assert_int_eq(bcrypt_pbkdf("password", 8,
	    (const unsigned char *)"salt", 4, k48, sizeof(k48), 8), ERR_OK);
	for (i = 0; i < 24; i++)
		ck_assert_uint_eq(k48[2 * i], k64[2 * i]);
	ck_assert_int_eq(bcrypt_pbkdf("password", 8,
	    (const unsigned char *)"salt", 4, k1, 1, 8), ERR_OK);
	ck_assert_uint_eq(k1[0], k64[0]);
}
END_TEST

START_TEST(test_bcrypt_pbkdf_args)
{
	unsigned char key[1025], salt[1] = { 1 };

	memset(key, 0xaa, sizeof(key));
	ck_assert_int_eq(bcrypt_pbkdf("p", 1, salt, 1, key, 16, 0),
	    ERR_INVALID_ARGUMENT);
	ck_assert_int_eq(bcrypt_pbkdf("p", 0, salt, 1, key, 16, 1),
	    ERR_INVALID_ARGUMENT);
	ck_assert_int_eq(bcrypt_pbkdf(NULL, 1, salt, 1, key, 16, 1),
	    ERR_INVALID_ARGUMENT);
	ck_assert_int_eq(bcrypt_pbkdf("p", 1, salt, 0, key, 16, 1),
	    ERR_INVALID_ARGUMENT);
	ck_assert_int_eq(bcrypt_pbkdf("p", 1, salt, 1, key, 0, 1),
	    ERR_INVALID_ARGUMENT);
	ck_assert_int_eq(bcrypt_pbkdf("p", 1, salt, 1, key, 1025, 1),
	    ERR_INVALID_ARGUMENT);
	ck_assert_uint_eq(key[0], 0xaa);
	ck_assert_int_eq(bcrypt_pbkdf("p", 1, salt, 1, key, 1024, 1), ERR_OK);
	ck_assert_uint_eq(key[1024], 0xaa);
}
END_TEST

Suite *bcrypt_suite(void);

Suite *
bcrypt_suite(void)
{
	Suite *s = suite_create("bcrypt");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_blowfish_ecb, 0,
	    sizeof(ecb_vectors) / sizeof(ecb_vectors[0]));
	tcase_add_test(tc, test_blowfish_multiblock);
	tcase_add_test(tc, test_blowfish_pi);
	tcase_add_loop_test(tc, test_bcrypt_pbkdf_kat, 0,
	    sizeof(kdf_vectors) / sizeof(kdf_vectors[0]));
	tcase_add_test(tc, test_bcrypt_pbkdf_stripe);
	tcase_add_test(tc, test_bcrypt_pbkdf_args);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(bcrypt_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
