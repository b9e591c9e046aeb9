/*
 * Packet MACs (src/transport/mac.c): MAC(key, uint32 seqnr || data).
 *
 * Published HMAC vectors go through mac_compute() directly when their key
 * has the length the SSH algorithm uses (RFC 4868 for SHA-256/512, RFC
 * 2202 cases 1, 3 and 5 for SHA-1): the first four bytes of the vector's
 * data become the sequence number, big-endian, and the rest the data.
 * The other RFC 4231/2202 vectors check the reference used below, a
 * one-shot OpenSSL HMAC() over the concatenation seqnr || data.
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/err.h"
#include "transport/cipher.h"

#include "../common/unhex.h"

static const char *const all_macs[] = {
	"hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com",
	"hmac-sha1-etm@openssh.com", "hmac-sha2-256", "hmac-sha2-512",
	"hmac-sha1",
};
#define N_MACS (sizeof(all_macs) / sizeof(all_macs[0]))


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

static const struct mac_impl *
impl_named(const char *name)
{
	const struct mac_impl *impl = mac_by_name(name);

	ck_assert_msg(impl != NULL, "no mac %s", name);
	return impl;
}

static const EVP_MD *
md_of(const struct mac_impl *impl)
{
	if (strncmp(impl->name, "hmac-sha2-256", 13) == 0)
		return EVP_sha256();
	if (strncmp(impl->name, "hmac-sha2-512", 13) == 0)
		return EVP_sha512();
	return EVP_sha1();
}

/* The reference: one-shot HMAC over seqnr || data. */
static void
ref_mac(const EVP_MD *md, const unsigned char *key, size_t key_len,
    uint32_t seqnr, const unsigned char *data, size_t len,
    unsigned char *out)
{
	unsigned char *msg = malloc(4 + len + 1);
	unsigned int outl = 0;

	ck_assert_ptr_nonnull(msg);
	msg[0] = (unsigned char)(seqnr >> 24);
	msg[1] = (unsigned char)(seqnr >> 16);
	msg[2] = (unsigned char)(seqnr >> 8);
	msg[3] = (unsigned char)seqnr;
	if (len > 0)
		memcpy(msg + 4, data, len);
	ck_assert_ptr_nonnull(HMAC(md, key, (int)key_len, msg, 4 + len, out,
	    &outl));
	ck_assert_uint_eq(outl, (unsigned int)EVP_MD_get_size(md));
	free(msg);
}

/* A vector's message split into our sequence number and data. */
static uint32_t
split_seqnr(const unsigned char *msg)
{
	return (uint32_t)msg[0] << 24 | (uint32_t)msg[1] << 16 |
	    (uint32_t)msg[2] << 8 | msg[3];
}

START_TEST(test_table)
{
	static const struct {
		const char *name;
		size_t key, mac;
		int etm;
	} want[] = {
		{ "hmac-sha2-256-etm@openssh.com", 32, 32, 1 },
		{ "hmac-sha2-512-etm@openssh.com", 64, 64, 1 },
		{ "hmac-sha1-etm@openssh.com", 20, 20, 1 },
		{ "hmac-sha2-256", 32, 32, 0 },
		{ "hmac-sha2-512", 64, 64, 0 },
		{ "hmac-sha1", 20, 20, 0 },
	};
	static const char *const unknown[] = {
		"none", "", "hmac-md5", "hmac-sha1-96", "umac-64@openssh.com",
		"umac-128-etm@openssh.com", "HMAC-SHA1", "hmac-sha2-256-etm",
		"hmac-sha2-384",
	};
	size_t i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct mac_impl *impl = impl_named(want[i].name);

		ck_assert_str_eq(impl->name, want[i].name);
		ck_assert_uint_eq(impl->key_len, want[i].key);
		ck_assert_uint_eq(impl->mac_len, want[i].mac);
		ck_assert_int_eq(impl->etm, want[i].etm);
	}
	for (i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
		ck_assert_msg(mac_by_name(unknown[i]) == NULL,
		    "mac \"%s\" should be unknown", unknown[i]);
	ck_assert_ptr_null(mac_by_name(NULL));
	ck_assert_ptr_null(mac_ctx_impl(NULL));
	mac_free(NULL);
}
END_TEST

START_TEST(test_init_rejects)
{
	const struct mac_impl *impl = impl_named(all_macs[_i]);
	struct mac_impl copy = *impl;
	unsigned char key[65] = { 0 }, out[64];
	struct mac_ctx *ctx;
	int dummy;

#define EXPECT_REJECT(impl_, k, klen) do { \
	ctx = (struct mac_ctx *)&dummy; \
	ck_assert_int_eq(mac_init(&ctx, (impl_), (k), (klen)), \
	    ERR_INVALID_ARGUMENT); \
	ck_assert_ptr_null(ctx); \
} while (0)
	EXPECT_REJECT(impl, key, impl->key_len - 1);
	EXPECT_REJECT(impl, key, impl->key_len + 1);
	EXPECT_REJECT(impl, key, 0);
	EXPECT_REJECT(impl, NULL, impl->key_len);
	EXPECT_REJECT(&copy, key, impl->key_len);
	EXPECT_REJECT(NULL, key, impl->key_len);
#undef EXPECT_REJECT
	ck_assert_int_eq(mac_init(NULL, impl, key, impl->key_len),
	    ERR_INVALID_ARGUMENT);

	ck_assert_int_eq(mac_init(&ctx, impl, key, impl->key_len), ERR_OK);
	ck_assert_ptr_eq(mac_ctx_impl(ctx), impl);
	ck_assert_int_eq(mac_compute(ctx, 0, NULL, 1, out),
	    ERR_INVALID_ARGUMENT);
	ck_assert_int_eq(mac_compute(ctx, 0, key, 1, NULL),
	    ERR_INVALID_ARGUMENT);
	ck_assert_int_eq(mac_compute(NULL, 0, key, 1, out),
	    ERR_INVALID_ARGUMENT);
	ck_assert_int_eq(mac_check(ctx, 0, key, 1, NULL),
	    ERR_INVALID_ARGUMENT);
	ck_assert_int_eq(mac_check(NULL, 0, key, 1, out),
	    ERR_INVALID_ARGUMENT);
	/* an empty packet body is fine: the MAC covers the seqnr alone */
	ck_assert_int_eq(mac_compute(ctx, 0, NULL, 0, out), ERR_OK);
	mac_free(ctx);
}
END_TEST

/*
 * Published vectors whose key length is the SSH one, through
 * mac_compute() and mac_check() for both the plain and -etm names.
 * RFC 4868 section 2.7.2.1 (PRF-HMAC-SHA-256/512 test cases 1-3, keys of
 * 32/64 bytes) and RFC 2202 section 3 (HMAC-SHA-1 test cases 1, 3 and 5,
 * 20-byte keys; for case 5 the full 20-byte digest).
 */
static const struct {
	const char *mac, *key, *data, *digest;
} exact_vectors[] = {
	{ "hmac-sha2-256",
	  "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
	  "4869205468657265",
	  "198a607eb44bfbc69903a0f1cf2bbdc5ba0aa3f3d9ae3c1c7a3b1696a0b68cf7" },
	{ "hmac-sha2-256",
	  "4a6566654a6566654a6566654a6566654a6566654a6566654a6566654a656665",
	  "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
	  "167f928588c5cc2eef8e3093caa0e87c9ff566a14794aa61648d81621a2a40c6" },
	{ "hmac-sha2-256",
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	  "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
	  "dddddddddddddddddddddddddddddddddddd",
	  "cdcb1220d1ecccea91e53aba3092f962e549fe6ce9ed7fdc43191fbde45c30b0" },
	{ "hmac-sha2-512",
	  "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"
	  "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
	  "4869205468657265",
	  "637edc6e01dce7e6742a99451aae82df23da3e92439e590e43e761b33e910fb8"
	  "ac2878ebd5803f6f0b61dbce5e251ff8789a4722c1be65aea45fd464e89f8f5b" },
	{ "hmac-sha2-512",
	  "4a6566654a6566654a6566654a6566654a6566654a6566654a6566654a656665"
	  "4a6566654a6566654a6566654a6566654a6566654a6566654a6566654a656665",
	  "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
	  "cb370917ae8a7ce28cfd1d8f4705d6141c173b2a9362c15df235dfb251b15454"
	  "6aa334ae9fb9afc2184932d8695e397bfa0ffb93466cfcceaae38c833b7dba38" },
	{ "hmac-sha2-512",
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	  "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
	  "dddddddddddddddddddddddddddddddddddd",
	  "2ee7acd783624ca9398710f3ee05ae41b9f9b0510c87e49e586cc9bf961733d8"
	  "623c7b55cebefccf02d5581acc1c9d5fb1ff68a1de45509fbe4da9a433922655" },
	{ "hmac-sha1", "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
	  "4869205468657265",
	  "b617318655057264e28bc0b6fb378c8ef146be00" },
	{ "hmac-sha1", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	  "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
	  "dddddddddddddddddddddddddddddddddddd",
	  "125d7342b9ac11cd91a39af48aa17b4f63f175d3" },
	{ "hmac-sha1", "0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c",
	  "546573742057697468205472756e636174696f6e",
	  "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04" },
};
#define N_EXACT (sizeof(exact_vectors) / sizeof(exact_vectors[0]))

START_TEST(test_published_vectors)
{
	unsigned char key[64], data[64], want[64], out[64];
	size_t klen, dlen, mlen, etm;
	struct mac_ctx *ctx;

	klen = unhex_into(exact_vectors[_i].key, key, sizeof(key));
	dlen = unhex_into(exact_vectors[_i].data, data, sizeof(data));
	mlen = unhex_into(exact_vectors[_i].digest, want, sizeof(want));
	ck_assert_uint_ge(dlen, 4);
	for (etm = 0; etm < 2; etm++) {
		char name[64];
		const struct mac_impl *impl;

		snprintf(name, sizeof(name), "%s%s", exact_vectors[_i].mac,
		    etm ? "-etm@openssh.com" : "");
		impl = impl_named(name);
		ck_assert_uint_eq(impl->mac_len, mlen);
		ck_assert_int_eq(mac_init(&ctx, impl, key, klen), ERR_OK);
		memset(out, 0, sizeof(out));
		ck_assert_int_eq(mac_compute(ctx, split_seqnr(data), data + 4,
		    dlen - 4, out), ERR_OK);
		ck_assert_mem_eq(out, want, mlen);
		ck_assert_int_eq(mac_check(ctx, split_seqnr(data), data + 4,
		    dlen - 4, want), ERR_OK);
		mac_free(ctx);
	}
}
END_TEST

/* RFC 4231 section 4 (HMAC-SHA-256/512, test cases 1-4, 6, 7) and RFC
 * 2202 section 3 (HMAC-SHA-1, all seven) against the reference, whose
 * key lengths SSH never uses. */
START_TEST(test_reference_vectors)
{
	static const char big_key[] =
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaa";
	static const struct {
		const char *key, *data, *sha256, *sha512;
	} rfc4231[] = {
		{ "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "Hi There",
		  "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
		  "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
		  "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854" },
		{ "4a656665", "what do ya want for nothing?",
		  "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
		  "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
		  "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737" },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", NULL,
		  "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
		  "fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39"
		  "bf3e848279a722c806b485a47e67c807b946a337bee8942674278859e13292fb" },
		{ "0102030405060708090a0b0c0d0e0f10111213141516171819", NULL,
		  "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
		  "b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3db"
		  "a91ca5c11aa25eb4d679275cc5788063a5f19741120c4f2de2adebeb10a298dd" },
		{ big_key,
		  "Test Using Larger Than Block-Size Key - Hash Key First",
		  "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
		  "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352"
		  "6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598" },
		{ big_key,
		  "This is a test using a larger than block-size key and a larger "
		  "than block-size data. The key needs to be hashed before being "
		  "used by the HMAC algorithm.",
		  "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
		  "e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944"
		  "b6022cac3c4982b10d5eeb55c3e4de15134676fb6de0446065c97440fa8c6a58" },
	};
	static const struct {
		const char *key, *data, *sha1;
	} rfc2202[] = {
		{ "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "Hi There",
		  "b617318655057264e28bc0b6fb378c8ef146be00" },
		{ "4a656665", "what do ya want for nothing?",
		  "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79" },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", NULL,
		  "125d7342b9ac11cd91a39af48aa17b4f63f175d3" },
		{ "0102030405060708090a0b0c0d0e0f10111213141516171819", NULL,
		  "4c9007f4026250c6bc8414f9bf50c86c2d7235da" },
		{ "0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c",
		  "Test With Truncation",
		  "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04" },
		{ big_key, "Test Using Larger Than Block-Size Key - Hash Key First",
		  "aa4ae5e15272d00e95705637ce8a3b55ed402112" },
		{ big_key, "Test Using Larger Than Block-Size Key and Larger "
		  "Than One Block-Size Data",
		  "e8e99d0f45237d786d6bbaa7965c7808bbff1a91" },
	};
	unsigned char key[131], data[160], want[64], out[64];
	size_t i, klen, dlen;
	unsigned int outl;

	for (i = 0; i < sizeof(rfc4231) / sizeof(rfc4231[0]); i++) {
		klen = unhex_into(rfc4231[i].key, key, sizeof(key));
		if (rfc4231[i].data != NULL) {
			dlen = strlen(rfc4231[i].data);
			memcpy(data, rfc4231[i].data, dlen);
		} else {
			/* cases 3 and 4: 50 bytes of 0xdd / 0xcd */
			dlen = 50;
			memset(data, i == 2 ? 0xdd : 0xcd, dlen);
		}
		unhex_into(rfc4231[i].sha256, want, sizeof(want));
		ck_assert_ptr_nonnull(HMAC(EVP_sha256(), key, (int)klen, data,
		    dlen, out, &outl));
		ck_assert_mem_eq(out, want, 32);
		/* and through the seqnr split */
		ref_mac(EVP_sha256(), key, klen, split_seqnr(data), data + 4,
		    dlen - 4, out);
		ck_assert_mem_eq(out, want, 32);
		unhex_into(rfc4231[i].sha512, want, sizeof(want));
		ck_assert_ptr_nonnull(HMAC(EVP_sha512(), key, (int)klen, data,
		    dlen, out, &outl));
		ck_assert_mem_eq(out, want, 64);
	}
	for (i = 0; i < sizeof(rfc2202) / sizeof(rfc2202[0]); i++) {
		klen = unhex_into(rfc2202[i].key, key, sizeof(key));
		if (i >= 5)
			klen = 80;  /* cases 6 and 7: 80 bytes of 0xaa */
		if (rfc2202[i].data != NULL) {
			dlen = strlen(rfc2202[i].data);
			memcpy(data, rfc2202[i].data, dlen);
		} else {
			dlen = 50;
			memset(data, i == 2 ? 0xdd : 0xcd, dlen);
		}
		unhex_into(rfc2202[i].sha1, want, sizeof(want));
		ref_mac(EVP_sha1(), key, klen, split_seqnr(data), data + 4,
		    dlen - 4, out);
		ck_assert_mem_eq(out, want, 20);
	}
}
END_TEST

/* Every MAC against the reference: keys, sequence numbers and lengths
 * across the hash block boundaries, one context reused throughout. */
START_TEST(test_vs_reference)
{
	static const uint32_t seqnrs[] = { 0, 1, 3, 0x01020304, 0x7fffffff,
	    0xfffffffe, 0xffffffff };
	static const size_t lens[] = { 0, 1, 4, 51, 55, 56, 59, 60, 63, 64,
	    111, 112, 119, 120, 127, 128, 1000, 32768, 35000 };
	const struct mac_impl *impl = impl_named(all_macs[_i]);
	unsigned char key[64], *data, out[64], want[64];
	struct mac_ctx *ctx;
	size_t s, l;

	fill(key, sizeof(key), (uint32_t)_i);
	data = malloc(35000);
	ck_assert_ptr_nonnull(data);
	ck_assert_int_eq(mac_init(&ctx, impl, key, impl->key_len), ERR_OK);
	for (s = 0; s < sizeof(seqnrs) / sizeof(seqnrs[0]); s++) {
		for (l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
			fill(data, lens[l], (uint32_t)(s * 31 + l));
			ref_mac(md_of(impl), key, impl->key_len, seqnrs[s],
			    data, lens[l], want);
			memset(out, 0, sizeof(out));
			ck_assert_int_eq(mac_compute(ctx, seqnrs[s], data,
			    lens[l], out), ERR_OK);
			ck_assert_msg(memcmp(out, want, impl->mac_len) == 0,
			    "%s: seqnr %u len %zu", impl->name, seqnrs[s],
			    lens[l]);
			/* nothing written past mac_len */
			if (impl->mac_len < sizeof(out))
				ck_assert_uint_eq(out[impl->mac_len], 0);
			ck_assert_int_eq(mac_check(ctx, seqnrs[s], data,
			    lens[l], want), ERR_OK);
		}
	}
	mac_free(ctx);
	free(data);
}
END_TEST

/* Two contexts with different keys do not interfere, and the same input
 * gives the same MAC however many packets came between. */
START_TEST(test_context_reuse)
{
	const struct mac_impl *impl = impl_named(all_macs[_i]);
	unsigned char k1[64], k2[64], data[100], first[64], out[64];
	struct mac_ctx *a, *b;
	uint32_t seq;

	fill(k1, sizeof(k1), 1);
	fill(k2, sizeof(k2), 2);
	fill(data, sizeof(data), 3);
	ck_assert_int_eq(mac_init(&a, impl, k1, impl->key_len), ERR_OK);
	ck_assert_int_eq(mac_init(&b, impl, k2, impl->key_len), ERR_OK);
	ck_assert_int_eq(mac_compute(a, 9, data, sizeof(data), first), ERR_OK);
	for (seq = 0; seq < 50; seq++) {
		ck_assert_int_eq(mac_compute(a, seq, data, seq, out), ERR_OK);
		ck_assert_int_eq(mac_compute(b, seq, data, sizeof(data), out),
		    ERR_OK);
	}
	ck_assert_int_eq(mac_compute(b, 9, data, sizeof(data), out), ERR_OK);
	ck_assert(memcmp(out, first, impl->mac_len) != 0);
	ck_assert_int_eq(mac_compute(a, 9, data, sizeof(data), out), ERR_OK);
	ck_assert_mem_eq(out, first, impl->mac_len);
	mac_free(a);
	mac_free(b);
}
END_TEST

/* mac_check: every flipped bit of the MAC or the data, another sequence
 * number, or a shorter input is ERR_MAC_INVALID. */
START_TEST(test_check_rejects)
{
	const struct mac_impl *impl = impl_named(all_macs[_i]);
	unsigned char key[64], data[80], mac[64], bad[64];
	struct mac_ctx *ctx;
	size_t bit;

	fill(key, sizeof(key), 5);
	fill(data, sizeof(data), 6);
	ck_assert_int_eq(mac_init(&ctx, impl, key, impl->key_len), ERR_OK);
	ck_assert_int_eq(mac_compute(ctx, 1000, data, sizeof(data), mac),
	    ERR_OK);
	ck_assert_int_eq(mac_check(ctx, 1000, data, sizeof(data), mac), ERR_OK);
	for (bit = 0; bit < impl->mac_len * 8; bit++) {
		memcpy(bad, mac, impl->mac_len);
		bad[bit / 8] ^= (unsigned char)(1u << (bit % 8));
		ck_assert_int_eq(mac_check(ctx, 1000, data, sizeof(data), bad),
		    ERR_MAC_INVALID);
	}
	for (bit = 0; bit < sizeof(data) * 8; bit++) {
		data[bit / 8] ^= (unsigned char)(1u << (bit % 8));
		ck_assert_int_eq(mac_check(ctx, 1000, data, sizeof(data), mac),
		    ERR_MAC_INVALID);
		data[bit / 8] ^= (unsigned char)(1u << (bit % 8));
	}
	ck_assert_int_eq(mac_check(ctx, 1001, data, sizeof(data), mac),
	    ERR_MAC_INVALID);
	ck_assert_int_eq(mac_check(ctx, 1000 + (1u << 31), data, sizeof(data),
	    mac), ERR_MAC_INVALID);
	ck_assert_int_eq(mac_check(ctx, 1000, data, sizeof(data) - 1, mac),
	    ERR_MAC_INVALID);
	ck_assert_int_eq(mac_check(ctx, 1000, data, sizeof(data), mac), ERR_OK);
	mac_free(ctx);
}
END_TEST

static Suite *
mac_suite(void)
{
	Suite *s = suite_create("mac");
	TCase *tc = tcase_create("hmac");

	tcase_add_test(tc, test_table);
	tcase_add_loop_test(tc, test_init_rejects, 0, N_MACS);
	tcase_add_loop_test(tc, test_published_vectors, 0, N_EXACT);
	tcase_add_test(tc, test_reference_vectors);
	tcase_add_loop_test(tc, test_vs_reference, 0, N_MACS);
	tcase_add_loop_test(tc, test_context_reuse, 0, N_MACS);
	tcase_add_loop_test(tc, test_check_rejects, 0, N_MACS);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(mac_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
