/*
 * Packet ciphers (src/transport/cipher.c, cipher-chachapoly.c).
 *
 * Expected values come from published vectors where a published vector
 * fits our packet shape (NIST SP 800-38A for CTR, McGrew and Viega's GCM
 * test cases for the GCM ciphertext, RFC 8439 appendix A.1 for the
 * ChaCha20 keystreams), and otherwise from an independent computation in
 * this file: OpenSSL's EVP GCM, ECB, ChaCha20 and Poly1305 driven step by
 * step, and libsodium's primitives driven step by step.
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <sodium.h>

#include "common/err.h"
#include "transport/cipher.h"

#include "../common/unhex.h"

#define CHACHAPOLY "chacha20-poly1305@openssh.com"
#define AES128GCM "aes128-gcm@openssh.com"
#define AES256GCM "aes256-gcm@openssh.com"

static const char *const all_ciphers[] = {
	CHACHAPOLY, AES128GCM, AES256GCM, "aes128-ctr", "aes192-ctr",
	"aes256-ctr",
};
#define N_ALL (sizeof(all_ciphers) / sizeof(all_ciphers[0]))
static const char *const aead_ciphers[] = { CHACHAPOLY, AES128GCM, AES256GCM };
#define N_AEAD (sizeof(aead_ciphers) / sizeof(aead_ciphers[0]))

/* ---- helpers */


/* Deterministic bytes that differ with seed. */
static void
fill(unsigned char *p, size_t n, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 0x9e3779b9u;
	size_t i;

	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (unsigned char)(x >> 11);
	}
}

static void
put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static int
all_bytes(const unsigned char *p, size_t n, unsigned char c)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] != c)
			return 0;
	}
	return 1;
}

static const struct cipher_impl *
impl_named(const char *name)
{
	const struct cipher_impl *impl = cipher_by_name(name);

	ck_assert_msg(impl != NULL, "no cipher %s", name);
	return impl;
}

/* An encrypting and a decrypting context under the same key and IV,
 * derived from seed. */
static void
make_pair(const char *name, uint32_t seed, struct cipher_ctx **enc,
    struct cipher_ctx **dec)
{
	const struct cipher_impl *impl = impl_named(name);
	unsigned char key[64], iv[16];

	fill(key, sizeof(key), seed);
	fill(iv, sizeof(iv), seed + 1000);
	ck_assert_int_eq(cipher_init(enc, impl, key, impl->key_len, iv,
	    impl->iv_len, 1), ERR_OK);
	ck_assert_int_eq(cipher_init(dec, impl, key, impl->key_len, iv,
	    impl->iv_len, 0), ERR_OK);
	ck_assert_ptr_eq(cipher_ctx_impl(*enc), impl);
}

/* ---- independent reference computations on OpenSSL */

/* AES-GCM with a 12-byte IV: ciphertext of len bytes and a 16-byte tag. */
static void
ref_gcm(const char *evp_name, const unsigned char *key,
    const unsigned char *iv, const unsigned char *aad, size_t aad_len,
    const unsigned char *pt, size_t len, unsigned char *ct,
    unsigned char *tag)
{
	EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, evp_name, NULL);
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	int outl = 0;

	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_nonnull(x);
	ck_assert_int_eq(EVP_EncryptInit_ex(x, c, NULL, NULL, NULL), 1);
	ck_assert_int_eq(EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_IVLEN, 12,
	    NULL), 1);
	ck_assert_int_eq(EVP_EncryptInit_ex(x, NULL, NULL, key, iv), 1);
	if (aad_len > 0)
		ck_assert_int_eq(EVP_EncryptUpdate(x, NULL, &outl, aad,
		    (int)aad_len), 1);
	if (len > 0) {
		ck_assert_int_eq(EVP_EncryptUpdate(x, ct, &outl, pt,
		    (int)len), 1);
		ck_assert_int_eq(outl, (int)len);
	}
	ck_assert_int_eq(EVP_EncryptFinal_ex(x, ct + len, &outl), 1);
	ck_assert_int_eq(EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_GET_TAG, 16,
	    tag), 1);
	EVP_CIPHER_CTX_free(x);
	EVP_CIPHER_free(c);
}

/* One AES block through ECB. */
static void
ref_aes_block(const char *evp_name, const unsigned char *key,
    const unsigned char in[16], unsigned char out[16])
{
	EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, evp_name, NULL);
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	int outl = 0;

	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(EVP_EncryptInit_ex(x, c, NULL, key, NULL), 1);
	EVP_CIPHER_CTX_set_padding(x, 0);
	ck_assert_int_eq(EVP_EncryptUpdate(x, out, &outl, in, 16), 1);
	ck_assert_int_eq(outl, 16);
	EVP_CIPHER_CTX_free(x);
	EVP_CIPHER_free(c);
}

/*
 * The original ChaCha20 (64-bit nonce, 64-bit counter) through OpenSSL's
 * RFC 8439 ChaCha20, whose 16-byte IV is state words 12-15: a 32-bit
 * little-endian counter then a 96-bit nonce.  Words 12-13 are djb's
 * 64-bit counter and 14-15 his nonce, so the IV is
 * counter (LE32) || 0 (the counter's high word) || nonce.
 */
static void
ref_chacha20(const unsigned char key[32], uint32_t counter,
    const unsigned char nonce[8], const unsigned char *in,
    unsigned char *out, size_t len)
{
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	unsigned char iv[16] = { 0 };
	int outl = 0;

	iv[0] = (unsigned char)counter;
	iv[1] = (unsigned char)(counter >> 8);
	iv[2] = (unsigned char)(counter >> 16);
	iv[3] = (unsigned char)(counter >> 24);
	memcpy(iv + 8, nonce, 8);
	ck_assert_int_eq(EVP_EncryptInit_ex(x, EVP_chacha20(), NULL, key, iv),
	    1);
	if (len > 0) {
		ck_assert_int_eq(EVP_EncryptUpdate(x, out, &outl, in,
		    (int)len), 1);
		ck_assert_int_eq(outl, (int)len);
	}
	EVP_CIPHER_CTX_free(x);
}

static void
ref_poly1305(const unsigned char key[32], const unsigned char *msg,
    size_t len, unsigned char tag[16])
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "POLY1305", NULL);
	EVP_MAC_CTX *x;
	size_t outl = 0;

	ck_assert_ptr_nonnull(mac);
	x = EVP_MAC_CTX_new(mac);
	ck_assert_int_eq(EVP_MAC_init(x, key, 32, NULL), 1);
	ck_assert_int_eq(EVP_MAC_update(x, msg, len), 1);
	ck_assert_int_eq(EVP_MAC_final(x, tag, &outl, 16), 1);
	ck_assert_uint_eq(outl, 16);
	EVP_MAC_CTX_free(x);
	EVP_MAC_free(mac);
}

/* chacha20-poly1305@openssh.com per PROTOCOL.chacha20poly1305, on
 * OpenSSL: ct gets len bytes and the 16-byte tag after them. */
static void
ref_chachapoly(const unsigned char key[64], uint32_t seqnr,
    const unsigned char *pt, size_t len, unsigned char *ct)
{
	unsigned char nonce[8] = { 0 }, zero[32] = { 0 }, poly_key[32];

	put_be32(nonce + 4, seqnr);
	ref_chacha20(key + 32, 0, nonce, pt, ct, 4);             /* K_1 */
	ref_chacha20(key, 0, nonce, zero, poly_key, 32);         /* K_2 */
	ref_chacha20(key, 1, nonce, pt + 4, ct + 4, len - 4);
	ref_poly1305(poly_key, ct, len, ct + len);
}

/* ---- the table and argument checks */

START_TEST(test_table)
{
	static const struct {
		const char *name;
		size_t block, key, iv, auth;
		int flags;
		uint64_t rekey;
	} want[] = {
		{ CHACHAPOLY, 8, 64, 0, 16, CIPHER_AEAD | CIPHER_CHACHAPOLY,
		    1ull << 30 },
		{ AES128GCM, 16, 16, 12, 16, CIPHER_AEAD, 1ull << 36 },
		{ AES256GCM, 16, 32, 12, 16, CIPHER_AEAD, 1ull << 36 },
		{ "aes128-ctr", 16, 16, 16, 0, 0, 1ull << 36 },
		{ "aes192-ctr", 16, 24, 16, 0, 0, 1ull << 36 },
		{ "aes256-ctr", 16, 32, 16, 0, 0, 1ull << 36 },
	};
	static const char *const unknown[] = {
		"none", "", "aes128-cbc", "3des-cbc", "AES128-CTR",
		"aes128-ctr ", "chacha20-poly1305", "aes128-gcm",
		"aes256-gcm@openssh.co", "rijndael-cbc@lysator.liu.se",
	};
	size_t i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct cipher_impl *impl = impl_named(want[i].name);

		ck_assert_str_eq(impl->name, want[i].name);
		ck_assert_uint_eq(impl->block_size, want[i].block);
		ck_assert_uint_eq(impl->key_len, want[i].key);
		ck_assert_uint_eq(impl->iv_len, want[i].iv);
		ck_assert_uint_eq(impl->auth_len, want[i].auth);
		ck_assert_int_eq(impl->flags, want[i].flags);
		ck_assert_uint_eq(impl->rekey_bytes, want[i].rekey);
	}
	for (i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
		ck_assert_msg(cipher_by_name(unknown[i]) == NULL,
		    "cipher \"%s\" should be unknown", unknown[i]);
	ck_assert_ptr_null(cipher_by_name(NULL));
	ck_assert_ptr_null(cipher_ctx_impl(NULL));
	cipher_free(NULL);
}
END_TEST

START_TEST(test_init_rejects)
{
	const struct cipher_impl *impl = impl_named(all_ciphers[_i]);
	struct cipher_impl copy = *impl;
	unsigned char key[65] = { 0 }, iv[17] = { 0 };
	struct cipher_ctx *ctx;
	int dummy;

#define EXPECT_REJECT(impl_, klen, ivlen) do { \
	ctx = (struct cipher_ctx *)&dummy; \
	ck_assert_int_eq(cipher_init(&ctx, (impl_), key, (klen), iv, \
	    (ivlen), 1), ERR_INVALID_ARGUMENT); \
	ck_assert_ptr_null(ctx); \
} while (0)
	EXPECT_REJECT(impl, impl->key_len - 1, impl->iv_len);
	EXPECT_REJECT(impl, impl->key_len + 1, impl->iv_len);
	EXPECT_REJECT(impl, 0, impl->iv_len);
	EXPECT_REJECT(impl, impl->key_len, impl->iv_len + 1);
	if (impl->iv_len > 0)
		EXPECT_REJECT(impl, impl->key_len, impl->iv_len - 1);
	/* only the table's own entries are accepted */
	EXPECT_REJECT(&copy, impl->key_len, impl->iv_len);
	EXPECT_REJECT(NULL, impl->key_len, impl->iv_len);
#undef EXPECT_REJECT
	ctx = (struct cipher_ctx *)&dummy;
	ck_assert_int_eq(cipher_init(&ctx, impl, NULL, impl->key_len, iv,
	    impl->iv_len, 1), ERR_INVALID_ARGUMENT);
	ck_assert_ptr_null(ctx);
	ck_assert_int_eq(cipher_init(NULL, impl, key, impl->key_len, iv,
	    impl->iv_len, 1), ERR_INVALID_ARGUMENT);

	ck_assert_int_eq(cipher_init(&ctx, impl, key, impl->key_len, iv,
	    impl->iv_len, 0), ERR_OK);
	ck_assert_ptr_nonnull(ctx);
	cipher_free(ctx);
}
END_TEST

START_TEST(test_crypt_rejects)
{
	const struct cipher_impl *impl = impl_named(all_ciphers[_i]);
	struct cipher_ctx *enc, *dec;
	unsigned char src[128] = { 0 }, dst[128];
	size_t bs = impl->block_size;
	uint32_t plen = 1;

	make_pair(all_ciphers[_i], 7, &enc, &dec);
	memset(dst, 0xa5, sizeof(dst));
	/* the body must be whole blocks */
	ck_assert_int_eq(cipher_crypt(enc, 0, dst, src, 4 + bs + 1, 4),
	    ERR_INVALID_ARGUMENT);
	ck_assert_int_eq(cipher_crypt(enc, 0, dst, src, 4 + bs - 1, 4),
	    ERR_INVALID_ARGUMENT);
	/* the AAD is the 4-byte length or nothing, and never past len */
	ck_assert_int_eq(cipher_crypt(enc, 0, dst, src, 5 + bs, 5),
	    ERR_INVALID_ARGUMENT);
	ck_assert_int_eq(cipher_crypt(enc, 0, dst, src, 3, 4),
	    ERR_INVALID_ARGUMENT);
	ck_assert_int_eq(cipher_crypt(enc, 0, NULL, src, 4 + bs, 4),
	    ERR_INVALID_ARGUMENT);
	ck_assert_int_eq(cipher_crypt(enc, 0, dst, NULL, 4 + bs, 4),
	    ERR_INVALID_ARGUMENT);
	ck_assert_int_eq(cipher_crypt(NULL, 0, dst, src, 4 + bs, 4),
	    ERR_INVALID_ARGUMENT);
	if (impl->flags & CIPHER_AEAD) {
		/* AEAD packets always carry the length as AAD */
		ck_assert_int_eq(cipher_crypt(enc, 0, dst, src, 2 * bs, 0),
		    ERR_INVALID_ARGUMENT);
		ck_assert_int_eq(cipher_crypt(dec, 0, dst, src, 2 * bs, 0),
		    ERR_INVALID_ARGUMENT);
	} else {
		ck_assert_int_eq(cipher_crypt(enc, 0, dst, src, 2 * bs + 4,
		    0), ERR_INVALID_ARGUMENT);
	}
	ck_assert(all_bytes(dst, sizeof(dst), 0xa5));

	if (impl->flags & CIPHER_CHACHAPOLY) {
		ck_assert_int_eq(cipher_decrypt_length(dec, 0, src, 3, &plen),
		    ERR_BUFFER_SHORT);
		ck_assert_int_eq(cipher_decrypt_length(dec, 0, src, 4, NULL),
		    ERR_INVALID_ARGUMENT);
	} else {
		ck_assert_int_eq(cipher_decrypt_length(dec, 0, src, 4, &plen),
		    ERR_INVALID_ARGUMENT);
	}
	ck_assert_uint_eq(plen, 0);
	ck_assert_int_eq(cipher_decrypt_length(NULL, 0, src, 4, &plen),
	    ERR_INVALID_ARGUMENT);
	cipher_free(enc);
	cipher_free(dec);
}
END_TEST

/* ---- AES-CTR */

static const char sp800_38a_pt[] =
    "6bc1bee22e409f96e93d7e117393172a" "ae2d8a571e03ac9c9eb76fac45af8e51"
    "30c81c46a35ce411e5fbc1191a0a52ef" "f69f2445df4f9b17ad2b417be66c3710";
static const char sp800_38a_ctr[] = "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";

/* NIST SP 800-38A appendix F.5.1, F.5.3, F.5.5 (CTR-AES*.Encrypt). */
static const struct {
	const char *cipher, *key, *ct;
} sp800_38a[] = {
	{ "aes128-ctr", "2b7e151628aed2a6abf7158809cf4f3c",
	  "874d6191b620e3261bef6864990db6ce" "9806f66b7970fdff8617187bb9fffdff"
	  "5ae4df3edbd5d35e5b4f09020db03eab" "1e031dda2fbe03d1792170a0f3009cee" },
	{ "aes192-ctr", "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b",
	  "1abc932417521ca24f2b0459fe7e6e0b" "090339ec0aa6faefd5ccc2c6f4ce8e94"
	  "1e36b26bd1ebc670d1bd1d665620abf7" "4f78a7f6d29809585a97daec58c6b050" },
	{ "aes256-ctr",
	  "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
	  "601ec313775789a5b7a7f504bbf3d228" "f443e3ca4d62b59aca84e990cacaf5c5"
	  "2b0930daa23de94ce87017ba2d84988d" "dfc9c58db67aada613c2dd08457941a6" },
};

START_TEST(test_ctr_sp800_38a)
{
	const struct cipher_impl *impl = impl_named(sp800_38a[_i].cipher);
	unsigned char key[32], iv[16], pt[64], want[64], out[64], back[64];
	struct cipher_ctx *one, *blocks, *dec;
	size_t klen, off;

	klen = unhex_into(sp800_38a[_i].key, key, sizeof(key));
	unhex_into(sp800_38a_ctr, iv, sizeof(iv));
	unhex_into(sp800_38a_pt, pt, sizeof(pt));
	unhex_into(sp800_38a[_i].ct, want, sizeof(want));

	ck_assert_int_eq(cipher_init(&one, impl, key, klen, iv, 16, 1), ERR_OK);
	ck_assert_int_eq(cipher_crypt(one, 0, out, pt, 64, 0), ERR_OK);
	ck_assert_mem_eq(out, want, 64);

	/* The counter carries on across packets: one block per call gives
	 * the same stream (and so does the -etm form with its clear 4
	 * bytes, checked in test_ctr_etm_clear_length). */
	ck_assert_int_eq(cipher_init(&blocks, impl, key, klen, iv, 16, 1),
	    ERR_OK);
	for (off = 0; off < 64; off += 16)
		ck_assert_int_eq(cipher_crypt(blocks, (uint32_t)off, out + off,
		    pt + off, 16, 0), ERR_OK);
	ck_assert_mem_eq(out, want, 64);

	/* F.5.2/4/6: decryption is the same operation, here in place */
	ck_assert_int_eq(cipher_init(&dec, impl, key, klen, iv, 16, 0), ERR_OK);
	memcpy(back, want, 64);
	ck_assert_int_eq(cipher_crypt(dec, 0, back, back, 64, 0), ERR_OK);
	ck_assert_mem_eq(back, pt, 64);
	cipher_free(one);
	cipher_free(blocks);
	cipher_free(dec);
}
END_TEST

/* RFC 4344 section 4: the whole 128-bit IV is one big-endian counter,
 * incremented modulo 2^128.  Checked against AES-ECB of the counter
 * values computed here, across the 32-, 64- and 128-bit carries. */
START_TEST(test_ctr_counter_carry)
{
	static const char *const ivs[] = {
		"000102030405060708090a0bfffffffe",
		"00010203fffffffffffffffffffffffe",
		"fffffffffffffffffffffffffffffffe",
	};
	static const char *const evp[] = { "AES-128-ECB", "AES-192-ECB",
	    "AES-256-ECB" };
	static const char *const ctrs[] = { "aes128-ctr", "aes192-ctr",
	    "aes256-ctr" };
	unsigned char key[32], iv[16], counter[16], zero[80] = { 0 };
	unsigned char out[80], want[80];
	struct cipher_ctx *ctx;
	size_t v, k, blk;
	int j;

	for (k = 0; k < 3; k++) {
		const struct cipher_impl *impl = impl_named(ctrs[k]);

		fill(key, sizeof(key), (uint32_t)k);
		for (v = 0; v < 3; v++) {
			unhex_into(ivs[v], iv, sizeof(iv));
			memcpy(counter, iv, 16);
			for (blk = 0; blk < 5; blk++) {
				ref_aes_block(evp[k], key, counter,
				    want + 16 * blk);
				for (j = 15; j >= 0 && ++counter[j] == 0; j--)
					;
			}
			ck_assert_int_eq(cipher_init(&ctx, impl, key,
			    impl->key_len, iv, 16, 1), ERR_OK);
			/* two packets: 1 block, then 4 */
			ck_assert_int_eq(cipher_crypt(ctx, 0, out, zero, 16, 0),
			    ERR_OK);
			ck_assert_int_eq(cipher_crypt(ctx, 1, out + 16, zero,
			    64, 0), ERR_OK);
			ck_assert_mem_eq(out, want, 80);
			cipher_free(ctx);
		}
	}
}
END_TEST

/* -etm: the 4 length bytes pass in the clear and take no keystream. */
START_TEST(test_ctr_etm_clear_length)
{
	const struct cipher_impl *impl = impl_named("aes128-ctr");
	unsigned char key[16], iv[16], pt[64], want[64], pkt[4 + 64];
	struct cipher_ctx *ctx;

	unhex_into(sp800_38a[0].key, key, sizeof(key));
	unhex_into(sp800_38a_ctr, iv, sizeof(iv));
	unhex_into(sp800_38a_pt, pt, sizeof(pt));
	unhex_into(sp800_38a[0].ct, want, sizeof(want));
	ck_assert_int_eq(cipher_init(&ctx, impl, key, 16, iv, 16, 1), ERR_OK);
	put_be32(pkt, 0x11223344);
	memcpy(pkt + 4, pt, 32);
	ck_assert_int_eq(cipher_crypt(ctx, 0, pkt, pkt, 4 + 32, 4), ERR_OK);
	ck_assert_mem_eq(pkt + 4, want, 32);
	ck_assert_uint_eq(pkt[0], 0x11);
	ck_assert_uint_eq(pkt[3], 0x44);
	put_be32(pkt, 0x55667788);
	memcpy(pkt + 4, pt + 32, 32);
	ck_assert_int_eq(cipher_crypt(ctx, 1, pkt, pkt, 4 + 32, 4), ERR_OK);
	ck_assert_mem_eq(pkt + 4, want + 32, 32);
	ck_assert_uint_eq(pkt[0], 0x55);
	ck_assert_uint_eq(pkt[3], 0x88);
	cipher_free(ctx);
}
END_TEST

/* ---- AES-GCM */

/* McGrew and Viega, "The Galois/Counter Mode of Operation", test cases
 * 3, 4 (AES-128) and 15, 16 (AES-256). */
static const char gcm_k128[] = "feffe9928665731c6d6a8f9467308308";
static const char gcm_k256[] = "feffe9928665731c6d6a8f9467308308"
    "feffe9928665731c6d6a8f9467308308";
static const char gcm_iv[] = "cafebabefacedbaddecaf888";
static const char gcm_pt[] =
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255";
static const char gcm_aad[] = "feedfacedeadbeeffeedfacedeadbeefabaddad2";
static const char gcm_ct128[] =
    "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
    "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985";
static const char gcm_ct256[] =
    "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
    "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad";

/* The reference itself against the published vectors, so that the
 * comparisons below rest on something checked. */
START_TEST(test_gcm_reference_vectors)
{
	static const struct {
		const char *evp, *key, *ct, *tag3, *tag4;
	} tc[] = {
		{ "AES-128-GCM", gcm_k128, gcm_ct128,
		    "4d5c2af327cd64a62cf35abd2ba6fab4",
		    "5bc94fbc3221a5db94fae95ae7121a47" },
		{ "AES-256-GCM", gcm_k256, gcm_ct256,
		    "b094dac5d93471bdec1a502270e3cc6c",
		    "76fc6ece0f4e1768cddf8853bb2d551b" },
	};
	unsigned char key[32], iv[12], pt[64], aad[20], want[64], tag[16];
	unsigned char ct[64], got_tag[16];
	size_t i;

	unhex_into(gcm_iv, iv, sizeof(iv));
	unhex_into(gcm_pt, pt, sizeof(pt));
	unhex_into(gcm_aad, aad, sizeof(aad));
	for (i = 0; i < 2; i++) {
		unhex_into(tc[i].key, key, sizeof(key));
		unhex_into(tc[i].ct, want, sizeof(want));
		/* test case 3/15: 64 bytes, no AAD */
		ref_gcm(tc[i].evp, key, iv, NULL, 0, pt, 64, ct, got_tag);
		unhex_into(tc[i].tag3, tag, sizeof(tag));
		ck_assert_mem_eq(ct, want, 64);
		ck_assert_mem_eq(got_tag, tag, 16);
		/* test case 4/16: 60 bytes, 20 bytes of AAD */
		ref_gcm(tc[i].evp, key, iv, aad, 20, pt, 60, ct, got_tag);
		unhex_into(tc[i].tag4, tag, sizeof(tag));
		ck_assert_mem_eq(ct, want, 60);
		ck_assert_mem_eq(got_tag, tag, 16);
	}
}
END_TEST

/*
 * Our packet shape has a 4-byte AAD, which no published vector uses.  GCM
 * ciphertext does not depend on the AAD, so the body must still be the
 * published test case 3/15 ciphertext byte for byte; the tag is checked
 * against the reference with the same 4-byte AAD.  The second packet
 * must use the IV with its invocation counter incremented.
 */
START_TEST(test_gcm_known_answer)
{
	const char *name = _i == 0 ? AES128GCM : AES256GCM;
	const char *evp = _i == 0 ? "AES-128-GCM" : "AES-256-GCM";
	const struct cipher_impl *impl = impl_named(name);
	unsigned char key[32], iv[12], iv2[12], pt[64], want[64];
	unsigned char pkt[4 + 64 + 16], out[4 + 64 + 16], ref_ct[64];
	unsigned char ref_tag[16], back[4 + 64];
	struct cipher_ctx *enc, *dec;
	size_t klen;

	klen = unhex_into(_i == 0 ? gcm_k128 : gcm_k256, key, sizeof(key));
	unhex_into(gcm_iv, iv, sizeof(iv));
	unhex_into(gcm_pt, pt, sizeof(pt));
	unhex_into(_i == 0 ? gcm_ct128 : gcm_ct256, want, sizeof(want));
	ck_assert_int_eq(cipher_init(&enc, impl, key, klen, iv, 12, 1),
	    ERR_OK);
	ck_assert_int_eq(cipher_init(&dec, impl, key, klen, iv, 12, 0),
	    ERR_OK);

	put_be32(pkt, 64);
	memcpy(pkt + 4, pt, 64);
	ck_assert_int_eq(cipher_crypt(enc, 0, out, pkt, 4 + 64, 4), ERR_OK);
	ck_assert_mem_eq(out, pkt, 4);          /* length in the clear */
	ck_assert_mem_eq(out + 4, want, 64);    /* published ciphertext */
	ref_gcm(evp, key, iv, pkt, 4, pt, 64, ref_ct, ref_tag);
	ck_assert_mem_eq(out + 4 + 64, ref_tag, 16);
	ck_assert_int_eq(cipher_crypt(dec, 0, back, out, 4 + 64, 4), ERR_OK);
	ck_assert_mem_eq(back, pkt, 4 + 64);

	/* packet 2: cafebabefacedbaddecaf889 */
	memcpy(iv2, iv, 12);
	iv2[11]++;
	ck_assert_int_eq(cipher_crypt(enc, 1, out, pkt, 4 + 64, 4), ERR_OK);
	ref_gcm(evp, key, iv2, pkt, 4, pt, 64, ref_ct, ref_tag);
	ck_assert_mem_eq(out + 4, ref_ct, 64);
	ck_assert_mem_eq(out + 4 + 64, ref_tag, 16);
	ck_assert_int_eq(cipher_crypt(dec, 1, back, out, 4 + 64, 4), ERR_OK);
	ck_assert_mem_eq(back, pkt, 4 + 64);
	cipher_free(enc);
	cipher_free(dec);
}
END_TEST

/* The invocation counter is the last 8 bytes, big-endian, carrying
 * between bytes and wrapping inside its 8 bytes (never into the fixed
 * field). */
START_TEST(test_gcm_counter_carry)
{
	static const struct {
		const char *iv, *next;
	} tc[] = {
		{ "0a0b0c0d00000000000000ff", "0a0b0c0d0000000000000100" },
		{ "0a0b0c0d00000000ffffffff", "0a0b0c0d0000000100000000" },
		{ "0a0b0c0dfffffffffffffffe", "0a0b0c0dffffffffffffffff" },
		{ "0a0b0c0dffffffffffffffff", "0a0b0c0d0000000000000000" },
	};
	const struct cipher_impl *impl = impl_named(AES128GCM);
	unsigned char key[16], iv[12], next[12], pkt[4 + 32];
	unsigned char out[4 + 32 + 16], ref[32 + 16];
	struct cipher_ctx *enc;
	size_t i;

	fill(key, sizeof(key), 99);
	fill(pkt, sizeof(pkt), 100);
	for (i = 0; i < sizeof(tc) / sizeof(tc[0]); i++) {
		unhex_into(tc[i].iv, iv, sizeof(iv));
		unhex_into(tc[i].next, next, sizeof(next));
		ck_assert_int_eq(cipher_init(&enc, impl, key, 16, iv, 12, 1),
		    ERR_OK);
		ck_assert_int_eq(cipher_crypt(enc, 0, out, pkt, sizeof(pkt),
		    4), ERR_OK);
		ref_gcm("AES-128-GCM", key, iv, pkt, 4, pkt + 4, 32, ref,
		    ref + 32);
		ck_assert_mem_eq(out + 4, ref, 32 + 16);
		ck_assert_int_eq(cipher_crypt(enc, 1, out, pkt, sizeof(pkt),
		    4), ERR_OK);
		ref_gcm("AES-128-GCM", key, next, pkt, 4, pkt + 4, 32, ref,
		    ref + 32);
		ck_assert_mem_eq(out + 4, ref, 32 + 16);
		cipher_free(enc);
	}
}
END_TEST

/*
 * Per packet, per direction: two identical plaintexts encrypt
 * differently; decryption succeeds only in order.  A packet that fails
 * leaves the decrypting context where it was, so the right packet still
 * decrypts afterwards.  The sequence number plays no part in GCM.
 */
START_TEST(test_gcm_counter_per_packet)
{
	const char *name = _i == 0 ? AES128GCM : AES256GCM;
	unsigned char pkt[4 + 48], c1[4 + 48 + 16], c2[4 + 48 + 16];
	unsigned char dst[4 + 48];
	struct cipher_ctx *enc, *dec;

	make_pair(name, 11, &enc, &dec);
	fill(pkt, sizeof(pkt), 12);
	ck_assert_int_eq(cipher_crypt(enc, 5, c1, pkt, sizeof(pkt), 4), ERR_OK);
	ck_assert_int_eq(cipher_crypt(enc, 5, c2, pkt, sizeof(pkt), 4), ERR_OK);
	ck_assert_mem_eq(c1, c2, 4);
	ck_assert(memcmp(c1 + 4, c2 + 4, 48) != 0);
	ck_assert(memcmp(c1 + 4 + 48, c2 + 4 + 48, 16) != 0);

	memset(dst, 0xa5, sizeof(dst));
	ck_assert_int_eq(cipher_crypt(dec, 0, dst, c2, sizeof(pkt), 4),
	    ERR_MAC_INVALID);
	ck_assert(all_bytes(dst, sizeof(dst), 0xa5));
	ck_assert_int_eq(cipher_crypt(dec, 0, dst, c1, sizeof(pkt), 4), ERR_OK);
	ck_assert_mem_eq(dst, pkt, sizeof(pkt));
	/* a replay of packet 1 in slot 2 fails too */
	memset(dst, 0xa5, sizeof(dst));
	ck_assert_int_eq(cipher_crypt(dec, 1, dst, c1, sizeof(pkt), 4),
	    ERR_MAC_INVALID);
	ck_assert(all_bytes(dst, sizeof(dst), 0xa5));
	ck_assert_int_eq(cipher_crypt(dec, 1, dst, c2, sizeof(pkt), 4), ERR_OK);
	ck_assert_mem_eq(dst, pkt, sizeof(pkt));
	cipher_free(enc);
	cipher_free(dec);
}
END_TEST

/* Decryption stages plaintext in a buffer that grows with the largest
 * packet seen; sizes up and down in any order must work (and ASan
 * watches the edges). */
START_TEST(test_gcm_varied_sizes)
{
	static const size_t bodies[] = { 16, 40000, 0, 16, 33792, 33808,
	    262144, 48, 262160 };
	unsigned char *pkt, *ct, *pt;
	struct cipher_ctx *enc, *dec;
	size_t i, max = 4 + 262160 + 16;

	make_pair(_i == 0 ? AES128GCM : AES256GCM, 21, &enc, &dec);
	pkt = malloc(max);
	ct = malloc(max);
	pt = malloc(max);
	ck_assert(pkt != NULL && ct != NULL && pt != NULL);
	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		size_t len = 4 + bodies[i];

		fill(pkt, len, (uint32_t)i);
		ck_assert_int_eq(cipher_crypt(enc, (uint32_t)i, ct, pkt, len,
		    4), ERR_OK);
		ck_assert_int_eq(cipher_crypt(dec, (uint32_t)i, pt, ct, len,
		    4), ERR_OK);
		ck_assert(memcmp(pt, pkt, len) == 0);
	}
	free(pkt);
	free(ct);
	free(pt);
	cipher_free(enc);
	cipher_free(dec);
}
END_TEST

/* ---- chacha20-poly1305@openssh.com */

/* RFC 8439 appendix A.1 ChaCha20 block function test vectors: all-zero
 * key and nonce at block counter 0 (#1) and 1 (#2); key 00..01 at
 * counter 1 (#3); all-zero key, nonce 00..02, counter 0 (#5). */
static const char rfc8439_a1_1[] =
    "76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7"
    "da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586";
static const char rfc8439_a1_2[] =
    "9f07e7be5551387a98ba977c732d080dcb0f29a048e3656912c6533e32ee7aed"
    "29b721769ce64e43d57133b074d839d531ed1f28510afb45ace10a1f4b794d6f";
static const char rfc8439_a1_3[] =
    "3aeb5224ecf849929b9d828db1ced4dd832025e8018b8160b82284f3c949aa5a"
    "8eca00bbb4a73bdad192b5c42f73f2fd4e273644c8b36125a64addeb006c13a0";
static const char rfc8439_a1_5[] =
    "c2c64d378cd536374ae204b9ef933fcd1a8b2288b3dfa49672ab765b54ee27c7"
    "8a970e0e955c14f3a88e741b97c286f75f8fc299e8148362fa198a39531bed6d";

/*
 * Known answers derived from RFC 8439 A.1.  The RFC's ChaCha20 has a
 * 32-bit counter (state word 12) and a 96-bit nonce (words 13-15);
 * OpenSSH's has a 64-bit counter (words 12-13) and a 64-bit nonce (words
 * 14-15).  With an all-zero RFC nonce the two coincide at counters 0 and
 * 1, and RFC nonce 00..02 is the 64-bit nonce 00 00 00 00 00 00 00 02,
 * i.e. our sequence number 2 in big-endian.
 *
 * Packet 1: all-zero 64-byte key, seqnr 0, an all-zero packet of 4 + 64
 * bytes.  The encrypted length is the first 4 bytes of block #1 (K_1 =
 * 0, counter 0); the body is block #2 (K_2 = 0, counter 1); the Poly1305
 * key is the first 32 bytes of block #1 (K_2, counter 0).  The tag,
 * Poly1305(that key, the 68 ciphertext bytes), was computed once with a
 * separate pure-Python Poly1305 (itself checked against RFC 8439 section
 * 2.5.2) and with `openssl mac POLY1305`; both gave the value below.
 */
START_TEST(test_chachapoly_known_answer)
{
	const struct cipher_impl *impl = impl_named(CHACHAPOLY);
	unsigned char key[64] = { 0 }, pkt[4 + 64] = { 0 }, out[4 + 64 + 16];
	unsigned char block[64], want[4 + 64], tag[16], back[4 + 64];
	unsigned char lenbytes[4];
	struct cipher_ctx *enc, *dec;
	uint32_t plen;

	/* packet 1 */
	ck_assert_int_eq(cipher_init(&enc, impl, key, 64, NULL, 0, 1), ERR_OK);
	ck_assert_int_eq(cipher_init(&dec, impl, key, 64, NULL, 0, 0), ERR_OK);
	ck_assert_int_eq(cipher_crypt(enc, 0, out, pkt, sizeof(pkt), 4),
	    ERR_OK);
	unhex_into(rfc8439_a1_1, block, sizeof(block));
	memcpy(want, block, 4);
	unhex_into(rfc8439_a1_2, want + 4, 64);
	ck_assert_mem_eq(out, want, sizeof(want));
	unhex_into("6fa656014e2b4de4ef53bcd706e1090d", tag, sizeof(tag));
	ck_assert_mem_eq(out + sizeof(pkt), tag, 16);
	ck_assert_int_eq(cipher_decrypt_length(dec, 0, out, 4, &plen), ERR_OK);
	ck_assert_uint_eq(plen, 0);
	ck_assert_int_eq(cipher_crypt(dec, 0, back, out, sizeof(pkt), 4),
	    ERR_OK);
	ck_assert(all_bytes(back, sizeof(back), 0));

	/* Sequence number 2 (block #5): the length key stream starts
	 * c2c64d37, so c2c64c37 is length 256; the Poly1305 key is the
	 * first half of block #5, checked with OpenSSL's Poly1305. */
	unhex_into(rfc8439_a1_5, block, sizeof(block));
	memcpy(lenbytes, block, 4);
	lenbytes[2] ^= 0x01;
	ck_assert_int_eq(cipher_decrypt_length(dec, 2, lenbytes, 4, &plen),
	    ERR_OK);
	ck_assert_uint_eq(plen, 256);
	ck_assert_int_eq(cipher_crypt(enc, 2, out, pkt, sizeof(pkt), 4),
	    ERR_OK);
	ck_assert_mem_eq(out, block, 4);
	ref_poly1305(block, out, sizeof(pkt), tag);
	ck_assert_mem_eq(out + sizeof(pkt), tag, 16);
	cipher_free(enc);
	cipher_free(dec);

	/* Which half is which: K_2 (first 32 bytes) = 00..01 and K_1 =
	 * 0 give the length from block #1 and the body from block #3. */
	key[31] = 1;
	ck_assert_int_eq(cipher_init(&enc, impl, key, 64, NULL, 0, 1), ERR_OK);
	ck_assert_int_eq(cipher_crypt(enc, 0, out, pkt, sizeof(pkt), 4),
	    ERR_OK);
	unhex_into(rfc8439_a1_1, block, sizeof(block));
	ck_assert_mem_eq(out, block, 4);
	unhex_into(rfc8439_a1_3, want + 4, 64);
	ck_assert_mem_eq(out + 4, want + 4, 64);
	cipher_free(enc);
}
END_TEST

static const uint32_t cp_seqnrs[] = { 0, 1, 2, 0x01020304, 0x7fffffff,
    0x80000000, 0xfffffffe, 0xffffffff };
static const size_t cp_bodies[] = { 0, 8, 56, 64, 72, 1024, 1032, 32768,
    32776 };

/* Against the construction computed independently on OpenSSL's ChaCha20
 * and Poly1305 (a different implementation of both primitives). */
START_TEST(test_chachapoly_vs_openssl)
{
	const struct cipher_impl *impl = impl_named(CHACHAPOLY);
	unsigned char key[64], *pkt, *out, *ref, *back;
	struct cipher_ctx *enc, *dec;
	size_t s, b, max = 4 + 32776 + 16;
	uint32_t plen;

	fill(key, sizeof(key), 31);
	ck_assert_int_eq(cipher_init(&enc, impl, key, 64, NULL, 0, 1), ERR_OK);
	ck_assert_int_eq(cipher_init(&dec, impl, key, 64, NULL, 0, 0), ERR_OK);
	pkt = malloc(max);
	out = malloc(max);
	ref = malloc(max);
	back = malloc(max);
	for (s = 0; s < sizeof(cp_seqnrs) / sizeof(cp_seqnrs[0]); s++) {
		for (b = 0; b < sizeof(cp_bodies) / sizeof(cp_bodies[0]); b++) {
			size_t len = 4 + cp_bodies[b];
			uint32_t seq = cp_seqnrs[s];

			fill(pkt, len, (uint32_t)(s * 100 + b));
			put_be32(pkt, (uint32_t)cp_bodies[b]);
			ref_chachapoly(key, seq, pkt, len, ref);
			ck_assert_int_eq(cipher_crypt(enc, seq, out, pkt, len,
			    4), ERR_OK);
			ck_assert_msg(memcmp(out, ref, len + 16) == 0,
			    "seqnr %u body %zu differs", seq, cp_bodies[b]);
			ck_assert_int_eq(cipher_decrypt_length(dec, seq, out,
			    len, &plen), ERR_OK);
			ck_assert_uint_eq(plen, cp_bodies[b]);
			ck_assert_int_eq(cipher_crypt(dec, seq, back, out, len,
			    4), ERR_OK);
			ck_assert(memcmp(back, pkt, len) == 0);
		}
	}
	free(pkt);
	free(out);
	free(ref);
	free(back);
	cipher_free(enc);
	cipher_free(dec);
}
END_TEST

/* The same construction spelled out with libsodium's primitives, step by
 * step as PROTOCOL.chacha20poly1305 describes it. */
START_TEST(test_chachapoly_vs_sodium_steps)
{
	const struct cipher_impl *impl = impl_named(CHACHAPOLY);
	unsigned char key[64], pkt[4 + 1024], out[4 + 1024 + 16];
	unsigned char want[4 + 1024 + 16], nonce[8] = { 0 }, poly_key[32];
	struct cipher_ctx *enc;
	size_t s;

	ck_assert_int_ge(sodium_init(), 0);
	fill(key, sizeof(key), 41);
	ck_assert_int_eq(cipher_init(&enc, impl, key, 64, NULL, 0, 1), ERR_OK);
	for (s = 0; s < sizeof(cp_seqnrs) / sizeof(cp_seqnrs[0]); s++) {
		fill(pkt, sizeof(pkt), (uint32_t)s);
		put_be32(nonce + 4, cp_seqnrs[s]);
		crypto_stream_chacha20(poly_key, 32, nonce, key);
		crypto_stream_chacha20_xor(want, pkt, 4, nonce, key + 32);
		crypto_stream_chacha20_xor_ic(want + 4, pkt + 4, 1024, nonce,
		    1, key);
		crypto_onetimeauth_poly1305(want + sizeof(pkt), want,
		    sizeof(pkt), poly_key);
		ck_assert_int_eq(cipher_crypt(enc, cp_seqnrs[s], out, pkt,
		    sizeof(pkt), 4), ERR_OK);
		ck_assert_mem_eq(out, want, sizeof(want));
	}
	cipher_free(enc);
}
END_TEST

/* The length can be read from the first 4 bytes alone, before the rest
 * of the packet (or its tag) has arrived; it depends on the seqnr. */
START_TEST(test_chachapoly_decrypt_length)
{
	unsigned char pkt[4 + 64], out[4 + 64 + 16];
	struct cipher_ctx *enc, *dec;
	uint32_t plen, seq;

	make_pair(CHACHAPOLY, 51, &enc, &dec);
	for (seq = 0; seq < 40; seq++) {
		fill(pkt, sizeof(pkt), seq);
		put_be32(pkt, 0x1234 + seq);
		ck_assert_int_eq(cipher_crypt(enc, seq, out, pkt, sizeof(pkt),
		    4), ERR_OK);
		ck_assert_int_eq(cipher_decrypt_length(dec, seq, out, 4,
		    &plen), ERR_OK);
		ck_assert_uint_eq(plen, 0x1234 + seq);
		ck_assert_int_eq(cipher_decrypt_length(dec, seq + 1, out, 4,
		    &plen), ERR_OK);
		ck_assert_uint_ne(plen, 0x1234 + seq);
		/* the tag still guards the whole packet */
		ck_assert_int_eq(cipher_crypt(dec, seq + 1, pkt, out,
		    sizeof(pkt), 4), ERR_MAC_INVALID);
		ck_assert_int_eq(cipher_crypt(dec, seq, pkt, out, sizeof(pkt),
		    4), ERR_OK);
		ck_assert_uint_eq(pkt[3], (0x1234 + seq) & 0xff);
	}
	cipher_free(enc);
	cipher_free(dec);
}
END_TEST

/* ---- every cipher */

/* Many lengths, a sequence number that wraps, in-place and
 * out-of-place, encrypt-and-MAC and -etm forms for CTR. */
START_TEST(test_roundtrip)
{
	const struct cipher_impl *impl = impl_named(all_ciphers[_i]);
	const size_t tag = impl->auth_len;
	static const size_t big[] = { 16384, 32768, 32768 + 16, 65536,
	    131072, 262144 };
	const size_t n_small = 2048 / impl->block_size;
	const size_t max = 4 + 262144 + 16;
	unsigned char *pkt, *ct, *pt;
	struct cipher_ctx *enc, *dec;
	uint32_t seq = 0xffffff80u;  /* wraps after 128 packets */
	size_t n;

	make_pair(all_ciphers[_i], (uint32_t)_i + 61, &enc, &dec);
	pkt = malloc(max);
	ct = malloc(max);
	pt = malloc(max);
	ck_assert(pkt != NULL && ct != NULL && pt != NULL);
	for (n = 0; n < n_small + sizeof(big) / sizeof(big[0]); n++, seq++) {
		size_t body = n < n_small ? n * impl->block_size :
		    big[n - n_small];
		size_t aad = (impl->flags & CIPHER_AEAD) || n % 2 ? 4 : 0;
		size_t len = aad + body;

		fill(pkt, len, (uint32_t)n);
		memset(ct, 0, len + tag);
		ck_assert_int_eq(cipher_crypt(enc, seq, ct, pkt, len, aad),
		    ERR_OK);
		if (body >= 16)
			ck_assert(memcmp(ct + aad, pkt + aad, body) != 0);
		if (aad != 0 && !(impl->flags & CIPHER_CHACHAPOLY))
			ck_assert_mem_eq(ct, pkt, 4);
		if (n % 3 == 0) {
			memcpy(pt, ct, len + tag);
			ck_assert_int_eq(cipher_crypt(dec, seq, pt, pt, len,
			    aad), ERR_OK);
		} else {
			memset(pt, 0xa5, len);
			ck_assert_int_eq(cipher_crypt(dec, seq, pt, ct, len,
			    aad), ERR_OK);
		}
		ck_assert_msg(memcmp(pt, pkt, len) == 0,
		    "%s: body %zu aad %zu differs", impl->name, body, aad);
	}
	free(pkt);
	free(ct);
	free(pt);
	cipher_free(enc);
	cipher_free(dec);
}
END_TEST

/* In-place encryption equals out-of-place encryption. */
START_TEST(test_in_place_encrypt)
{
	const struct cipher_impl *impl = impl_named(all_ciphers[_i]);
	unsigned char pkt[4 + 256], a[4 + 256 + 16], b[4 + 256 + 16];
	struct cipher_ctx *e1, *e2, *d1, *d2;
	uint32_t seq;

	make_pair(all_ciphers[_i], 71, &e1, &d1);
	make_pair(all_ciphers[_i], 71, &e2, &d2);
	for (seq = 0; seq < 8; seq++) {
		fill(pkt, sizeof(pkt), seq);
		memcpy(b, pkt, sizeof(pkt));
		ck_assert_int_eq(cipher_crypt(e1, seq, a, pkt, sizeof(pkt), 4),
		    ERR_OK);
		ck_assert_int_eq(cipher_crypt(e2, seq, b, b, sizeof(pkt), 4),
		    ERR_OK);
		ck_assert_mem_eq(a, b, sizeof(pkt) + impl->auth_len);
	}
	cipher_free(e1);
	cipher_free(e2);
	cipher_free(d1);
	cipher_free(d2);
}
END_TEST

/*
 * Every single-bit flip in the length, the body or the tag, and every
 * truncation by whole blocks, fails with ERR_MAC_INVALID and leaves dst
 * exactly as it was, both for a separate dst and in place.  Failed
 * attempts do not disturb the context: the genuine packet still
 * decrypts afterwards.
 */
START_TEST(test_aead_bit_flips)
{
	const struct cipher_impl *impl = impl_named(aead_ciphers[_i]);
	enum { BODY = 48, LEN = 4 + BODY, TOTAL = LEN + 16 };
	unsigned char pkt[LEN], ct[TOTAL], bad[TOTAL], dst[TOTAL];
	struct cipher_ctx *enc, *dec;
	const uint32_t seq = 77;
	size_t bit, cut;

	ck_assert_uint_eq(impl->auth_len, 16);
	make_pair(aead_ciphers[_i], 81, &enc, &dec);
	fill(pkt, sizeof(pkt), 82);
	ck_assert_int_eq(cipher_crypt(enc, seq, ct, pkt, LEN, 4), ERR_OK);

	for (bit = 0; bit < TOTAL * 8; bit++) {
		memcpy(bad, ct, TOTAL);
		bad[bit / 8] ^= (unsigned char)(1u << (bit % 8));
		memset(dst, 0xa5, sizeof(dst));
		ck_assert_msg(cipher_crypt(dec, seq, dst, bad, LEN, 4) ==
		    ERR_MAC_INVALID, "%s: bit %zu accepted", impl->name, bit);
		ck_assert_msg(all_bytes(dst, sizeof(dst), 0xa5),
		    "%s: bit %zu: dst written", impl->name, bit);
		memcpy(dst, bad, TOTAL);
		ck_assert_int_eq(cipher_crypt(dec, seq, dst, dst, LEN, 4),
		    ERR_MAC_INVALID);
		ck_assert_mem_eq(dst, bad, TOTAL);
	}
	for (cut = impl->block_size; cut <= BODY; cut += impl->block_size) {
		memset(dst, 0xa5, sizeof(dst));
		ck_assert_int_eq(cipher_crypt(dec, seq, dst, ct, LEN - cut, 4),
		    ERR_MAC_INVALID);
		ck_assert(all_bytes(dst, sizeof(dst), 0xa5));
	}
	if (impl->flags & CIPHER_CHACHAPOLY) {
		/* the sequence number is the nonce */
		ck_assert_int_eq(cipher_crypt(dec, seq + 1, dst, ct, LEN, 4),
		    ERR_MAC_INVALID);
		ck_assert_int_eq(cipher_crypt(dec, seq - 1, dst, ct, LEN, 4),
		    ERR_MAC_INVALID);
	}
	memset(dst, 0xa5, sizeof(dst));
	ck_assert_int_eq(cipher_crypt(dec, seq, dst, ct, LEN, 4), ERR_OK);
	ck_assert_mem_eq(dst, pkt, LEN);
	ck_assert(all_bytes(dst + LEN, 16, 0xa5));
	cipher_free(enc);
	cipher_free(dec);
}
END_TEST

/* A decrypting context refuses a packet made under another key. */
START_TEST(test_aead_wrong_key)
{
	unsigned char pkt[4 + 32], ct[4 + 32 + 16], dst[4 + 32];
	struct cipher_ctx *enc, *dec, *enc2, *dec2;

	make_pair(aead_ciphers[_i], 91, &enc, &dec);
	make_pair(aead_ciphers[_i], 92, &enc2, &dec2);
	fill(pkt, sizeof(pkt), 93);
	ck_assert_int_eq(cipher_crypt(enc, 0, ct, pkt, sizeof(pkt), 4), ERR_OK);
	memset(dst, 0xa5, sizeof(dst));
	ck_assert_int_eq(cipher_crypt(dec2, 0, dst, ct, sizeof(pkt), 4),
	    ERR_MAC_INVALID);
	ck_assert(all_bytes(dst, sizeof(dst), 0xa5));
	ck_assert_int_eq(cipher_crypt(dec, 0, dst, ct, sizeof(pkt), 4), ERR_OK);
	cipher_free(enc);
	cipher_free(dec);
	cipher_free(enc2);
	cipher_free(dec2);
}
END_TEST

static Suite *
cipher_suite(void)
{
	Suite *s = suite_create("cipher");
	TCase *tc;

	tc = tcase_create("table");
	tcase_add_test(tc, test_table);
	tcase_add_loop_test(tc, test_init_rejects, 0, N_ALL);
	tcase_add_loop_test(tc, test_crypt_rejects, 0, N_ALL);
	suite_add_tcase(s, tc);

	tc = tcase_create("ctr");
	tcase_add_loop_test(tc, test_ctr_sp800_38a, 0, 3);
	tcase_add_test(tc, test_ctr_counter_carry);
	tcase_add_test(tc, test_ctr_etm_clear_length);
	suite_add_tcase(s, tc);

	tc = tcase_create("gcm");
	tcase_add_test(tc, test_gcm_reference_vectors);
	tcase_add_loop_test(tc, test_gcm_known_answer, 0, 2);
	tcase_add_test(tc, test_gcm_counter_carry);
	tcase_add_loop_test(tc, test_gcm_counter_per_packet, 0, 2);
	tcase_add_loop_test(tc, test_gcm_varied_sizes, 0, 2);
	suite_add_tcase(s, tc);

	tc = tcase_create("chachapoly");
	tcase_add_test(tc, test_chachapoly_known_answer);
	tcase_add_test(tc, test_chachapoly_vs_openssl);
	tcase_add_test(tc, test_chachapoly_vs_sodium_steps);
	tcase_add_test(tc, test_chachapoly_decrypt_length);
	suite_add_tcase(s, tc);

	tc = tcase_create("all");
	tcase_add_loop_test(tc, test_roundtrip, 0, N_ALL);
	tcase_add_loop_test(tc, test_in_place_encrypt, 0, N_ALL);
	tcase_add_loop_test(tc, test_aead_bit_flips, 0, N_AEAD);
	tcase_add_loop_test(tc, test_aead_wrong_key, 0, N_AEAD);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(cipher_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
