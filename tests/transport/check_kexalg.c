/*
 * Key exchange methods (src/transport/kexalg.c, kex-dh.c, kex-ecdh.c,
 * kex-c25519.c): published vectors where there are some (RFC 7748, FIPS
 * 180-2), the RFC 3526 primes rebuilt from pi, both sides of every
 * exchange computed here, and every server value the RFCs tell a client
 * to refuse.  Expected values are computed independently of the code
 * under test: libsodium's SHA-2 for key derivation, OpenSSL BIGNUM and
 * EC_POINT arithmetic for DH and ECDH, and a hand-written mpint encoder.
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <sodium.h>

#include "common/buf.h"
#include "common/err.h"
#include "transport/kexalg.h"

/* ---- helpers */

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

/*
 * The SSH mpint of a big-endian magnitude (RFC 4251 section 5), written
 * by hand so that the expected values do not come from buf.c: four bytes
 * of length, a zero byte when the top bit is set, no leading zeros.
 */
static size_t
mpint_encode(const unsigned char *mag, size_t len, unsigned char *out)
{
	size_t n, pad;

	while (len > 0 && mag[0] == 0) {
		mag++;
		len--;
	}
	pad = len > 0 && (mag[0] & 0x80) != 0;
	n = len + pad;
	out[0] = (unsigned char)(n >> 24);
	out[1] = (unsigned char)(n >> 16);
	out[2] = (unsigned char)(n >> 8);
	out[3] = (unsigned char)n;
	if (pad)
		out[4] = 0;
	memcpy(out + 4 + pad, mag, len);
	return 4 + n;
}

static void
assert_buf_is_mpint(const struct buf *b, const unsigned char *mag,
    size_t len)
{
	unsigned char *want = malloc(len + 5);
	size_t wlen;

	ck_assert_ptr_nonnull(want);
	wlen = mpint_encode(mag, len, want);
	ck_assert_uint_eq(buf_len(b), wlen);
	ck_assert_mem_eq(buf_ptr(b), want, wlen);
	free(want);
}

static void
assert_buf_is_mpint_bn(const struct buf *b, const BIGNUM *v)
{
	int n = BN_num_bytes(v);
	unsigned char *mag = malloc(n > 0 ? (size_t)n : 1);

	ck_assert_ptr_nonnull(mag);
	ck_assert_int_eq(BN_bn2bin(v, mag), n);
	assert_buf_is_mpint(b, mag, (size_t)n);
	free(mag);
}

static BIGNUM *
bn_from_mag(const unsigned char *mag, size_t len)
{
	BIGNUM *v = BN_bin2bn(mag, (int)len, NULL);

	ck_assert_ptr_nonnull(v);
	return v;
}

static const struct kex_method *
method(const char *name)
{
	const struct kex_method *m = kex_method_by_name(name);

	ck_assert_msg(m != NULL, "no method %s", name);
	return m;
}

/* ---- the method table and hashes */

START_TEST(test_method_table)
{
	static const struct {
		const char *name;
		enum kex_family family;
		enum kex_hash hash;
		int group;
	} want[] = {
		{ "curve25519-sha256", KEX_FAMILY_C25519, KEX_HASH_SHA256, 0 },
		{ "curve25519-sha256@libssh.org", KEX_FAMILY_C25519,
		    KEX_HASH_SHA256, 0 },
		{ "ecdh-sha2-nistp256", KEX_FAMILY_ECDH, KEX_HASH_SHA256,
		    NID_X9_62_prime256v1 },
		{ "ecdh-sha2-nistp384", KEX_FAMILY_ECDH, KEX_HASH_SHA384,
		    NID_secp384r1 },
		{ "ecdh-sha2-nistp521", KEX_FAMILY_ECDH, KEX_HASH_SHA512,
		    NID_secp521r1 },
		{ "diffie-hellman-group-exchange-sha256", KEX_FAMILY_DH_GEX,
		    KEX_HASH_SHA256, 0 },
		{ "diffie-hellman-group14-sha256", KEX_FAMILY_DH,
		    KEX_HASH_SHA256, 14 },
		{ "diffie-hellman-group16-sha512", KEX_FAMILY_DH,
		    KEX_HASH_SHA512, 16 },
		{ "diffie-hellman-group18-sha512", KEX_FAMILY_DH,
		    KEX_HASH_SHA512, 18 },
	};
	static const char *const absent[] = {
		"diffie-hellman-group1-sha1", "diffie-hellman-group14-sha1",
		"diffie-hellman-group-exchange-sha1", "sntrup761x25519-sha512",
		"sntrup761x25519-sha512@openssh.com", "mlkem768x25519-sha256",
		"curve25519-sha256 ", "CURVE25519-SHA256", "", "ext-info-c",
		"kex-strict-c-v00@openssh.com",
	};
	const struct kex_method *m;
	size_t i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		m = kex_method_by_name(want[i].name);
		ck_assert_msg(m != NULL, "missing %s", want[i].name);
		ck_assert_str_eq(m->name, want[i].name);
		ck_assert_int_eq(m->family, want[i].family);
		ck_assert_int_eq(m->hash, want[i].hash);
		ck_assert_int_eq(m->group, want[i].group);
	}
	for (i = 0; i < sizeof(absent) / sizeof(absent[0]); i++)
		ck_assert_msg(kex_method_by_name(absent[i]) == NULL,
		    "unexpected %s", absent[i]);
	ck_assert_ptr_null(kex_method_by_name(NULL));
	ck_assert_uint_eq(kex_hash_len(KEX_HASH_SHA256), 32);
	ck_assert_uint_eq(kex_hash_len(KEX_HASH_SHA384), 48);
	ck_assert_uint_eq(kex_hash_len(KEX_HASH_SHA512), 64);
}
END_TEST

/* FIPS 180-2 appendix vectors for "abc" */
START_TEST(test_hash_digest)
{
	unsigned char out[64], want[64];

	ck_assert_int_eq(kex_hash_digest(KEX_HASH_SHA256, "abc", 3, out),
	    ERR_OK);
	hex_to_bin("ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad", want, 32);
	ck_assert_mem_eq(out, want, 32);
	ck_assert_int_eq(kex_hash_digest(KEX_HASH_SHA384, "abc", 3, out),
	    ERR_OK);
	hex_to_bin("cb00753f45a35e8bb5a03d699ac65007272c32ab0eded163"
	    "1a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7", want, 48);
	ck_assert_mem_eq(out, want, 48);
	ck_assert_int_eq(kex_hash_digest(KEX_HASH_SHA512, "abc", 3, out),
	    ERR_OK);
	hex_to_bin("ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee6"
	    "4b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9a"
	    "c94fa54ca49f", want, 64);
	ck_assert_mem_eq(out, want, 64);
	ck_assert_int_eq(kex_hash_digest((enum kex_hash)99, "abc", 3, out),
	    ERR_INVALID_ARGUMENT);
}
END_TEST

/* ---- key derivation (RFC 4253 section 7.2) */

/* One hash over up to four pieces, with libsodium (SHA-256, SHA-512) or
 * OpenSSL's one-shot EVP_Digest over a copy (SHA-384). */
static void
ref_hash(enum kex_hash h, const unsigned char *const *parts,
    const size_t *lens, size_t n, unsigned char *out)
{
	size_t i, total = 0, off = 0;
	unsigned char *all;

	if (h == KEX_HASH_SHA256) {
		crypto_hash_sha256_state st;

		crypto_hash_sha256_init(&st);
		for (i = 0; i < n; i++)
			crypto_hash_sha256_update(&st, parts[i], lens[i]);
		crypto_hash_sha256_final(&st, out);
		return;
	}
	if (h == KEX_HASH_SHA512) {
		crypto_hash_sha512_state st;

		crypto_hash_sha512_init(&st);
		for (i = 0; i < n; i++)
			crypto_hash_sha512_update(&st, parts[i], lens[i]);
		crypto_hash_sha512_final(&st, out);
		return;
	}
	for (i = 0; i < n; i++)
		total += lens[i];
	all = malloc(total + 1);
	ck_assert_ptr_nonnull(all);
	for (i = 0; i < n; i++) {
		memcpy(all + off, parts[i], lens[i]);
		off += lens[i];
	}
	ck_assert_int_eq(EVP_Digest(all, total, out, NULL, EVP_sha384(), NULL),
	    1);
	free(all);
}

/* The RFC's formula spelled out block by block: K1 from the letter and
 * session id, each later block from K, H and all blocks before it. */
static void
ref_derive(enum kex_hash h, const unsigned char *k, size_t klen,
    const unsigned char *hash, size_t hlen, char letter,
    const unsigned char *sid, size_t sidlen, unsigned char *out, size_t need)
{
	unsigned char blocks[512], c = (unsigned char)letter;
	size_t mdlen = kex_hash_len(h), have = 0;
	const unsigned char *parts[4];
	size_t lens[4];

	ck_assert_uint_le(need + mdlen, sizeof(blocks));
	parts[0] = k;
	lens[0] = klen;
	parts[1] = hash;
	lens[1] = hlen;
	parts[2] = &c;
	lens[2] = 1;
	parts[3] = sid;
	lens[3] = sidlen;
	ref_hash(h, parts, lens, 4, blocks);
	have = mdlen;
	while (have < need) {
		parts[2] = blocks;
		lens[2] = have;
		ref_hash(h, parts, lens, 3, blocks + have);
		have += mdlen;
	}
	memcpy(out, blocks, need);
}

START_TEST(test_derive_key)
{
	static const enum kex_hash hashes[] = {
		KEX_HASH_SHA256, KEX_HASH_SHA384, KEX_HASH_SHA512,
	};
	static const size_t needs[] = { 1, 16, 31, 32, 33, 48, 64, 65, 100,
	    128, 200 };
	unsigned char k[261], h[64], sid[64], got[256], want[256];
	unsigned char other[256];
	size_t i, j, hl;
	char letter;

	for (i = 0; i < sizeof(k); i++)
		k[i] = (unsigned char)(i * 7 + 1);
	/* K is an mpint: its length prefix is part of what is hashed */
	k[0] = 0;
	k[1] = 0;
	k[2] = 1;
	k[3] = 1;
	for (i = 0; i < sizeof(h); i++) {
		h[i] = (unsigned char)(0xa0 ^ i);
		sid[i] = (unsigned char)(0x55 + 3 * i);
	}
	for (i = 0; i < sizeof(hashes) / sizeof(hashes[0]); i++) {
		hl = kex_hash_len(hashes[i]);
		for (j = 0; j < sizeof(needs) / sizeof(needs[0]); j++) {
			for (letter = 'A'; letter <= 'F'; letter++) {
				memset(got, 0xee, sizeof(got));
				ck_assert_int_eq(kex_derive_key(hashes[i], k,
				    sizeof(k), h, hl, letter, sid, hl, got,
				    needs[j]), ERR_OK);
				ref_derive(hashes[i], k, sizeof(k), h, hl,
				    letter, sid, hl, want, needs[j]);
				ck_assert_mem_eq(got, want, needs[j]);
				/* nothing written past need */
				ck_assert_uint_eq(got[needs[j]], 0xee);
			}
		}
		/* a re-key: the session id is the first H, not this one */
		ck_assert_int_eq(kex_derive_key(hashes[i], k, sizeof(k), h, hl,
		    'C', sid, hl, got, 100), ERR_OK);
		ck_assert_int_eq(kex_derive_key(hashes[i], k, sizeof(k), h, hl,
		    'C', h, hl, other, 100), ERR_OK);
		ck_assert_mem_ne(got, other, 100);
		/* each letter its own key */
		ck_assert_int_eq(kex_derive_key(hashes[i], k, sizeof(k), h, hl,
		    'D', sid, hl, other, 100), ERR_OK);
		ck_assert_mem_ne(got, other, 32);
		ck_assert_mem_ne(got + 64, other + 64, 32);
	}
	/* the extension is not just hashing again: K2 covers K1 */
	ck_assert_int_eq(kex_derive_key(KEX_HASH_SHA256, k, sizeof(k), h, 32,
	    'A', sid, 32, got, 64), ERR_OK);
	ck_assert_mem_ne(got, got + 32, 32);
	/* need 0 writes nothing */
	memset(got, 0x11, 8);
	ck_assert_int_eq(kex_derive_key(KEX_HASH_SHA256, k, sizeof(k), h, 32,
	    'A', sid, 32, got, 0), ERR_OK);
	ck_assert_uint_eq(got[0], 0x11);
	ck_assert_int_eq(kex_derive_key((enum kex_hash)99, k, sizeof(k), h, 32,
	    'A', sid, 32, got, 16), ERR_INVALID_ARGUMENT);
}
END_TEST

/* ---- curve25519-sha256 (RFC 8731) */

static void
c25519_expect(const char *scalar_hex, const char *u_hex,
    const char *out_hex)
{
	unsigned char scalar[32], u[32], want[32];
	struct kex_client *k = NULL;
	struct buf *out = buf_new(0);

	ck_assert_ptr_nonnull(out);
	hex_to_bin(scalar_hex, scalar, 32);
	hex_to_bin(u_hex, u, 32);
	hex_to_bin(out_hex, want, 32);
	ck_assert_int_eq(kex_client_new_with_private(
	    method("curve25519-sha256"), scalar, 32, &k), ERR_OK);
	ck_assert_int_eq(kex_client_shared_secret(k, u, 32, out), ERR_OK);
	/* RFC 8731 section 3.1: the output bytes as a big-endian integer */
	assert_buf_is_mpint(out, want, 32);
	kex_client_free(k);
	buf_free(out);
}

/* RFC 7748 section 5.2: the two single-shot vectors (the second has the
 * u coordinate's top bit set, which X25519 must ignore), and one round
 * of the iterated test (k = u = 9). */
START_TEST(test_c25519_rfc7748_5_2)
{
	c25519_expect(
	    "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
	    "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
	    "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552");
	c25519_expect(
	    "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
	    "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
	    "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957");
	c25519_expect(
	    "0900000000000000000000000000000000000000000000000000000000000000",
	    "0900000000000000000000000000000000000000000000000000000000000000",
	    "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079");
}
END_TEST

/* RFC 7748 section 6.1: Alice and Bob, through both client contexts. */
START_TEST(test_c25519_rfc7748_6_1)
{
	unsigned char a_priv[32], b_priv[32], a_pub[32], b_pub[32], k[32];
	struct kex_client *alice = NULL, *bob = NULL;
	struct buf *ka = buf_new(0), *kb = buf_new(0);
	const unsigned char *pub;
	size_t len;

	ck_assert_ptr_nonnull(ka);
	ck_assert_ptr_nonnull(kb);
	hex_to_bin("77076d0a7318a57d3c16c17251b26645"
	    "df4c2f87ebc0992ab177fba51db92c2a", a_priv, 32);
	hex_to_bin("8520f0098930a754748b7ddcb43ef75a"
	    "0dbf3a0d26381af4eba4a98eaa9b4e6a", a_pub, 32);
	hex_to_bin("5dab087e624a8a4b79e17f8b83800ee6"
	    "6f3bb1292618b6fd1c2f8b27ff88e0eb", b_priv, 32);
	hex_to_bin("de9edb7d7b7dc1b4d35b61c2ece43537"
	    "3f8343c85b78674dadfc7e146f882b4f", b_pub, 32);
	hex_to_bin("4a5d9d5ba4ce2de1728e3bf480350f25"
	    "e07e21c947d19e3376f09b3c1e161742", k, 32);
	ck_assert_int_eq(kex_client_new_with_private(
	    method("curve25519-sha256@libssh.org"), a_priv, 32, &alice),
	    ERR_OK);
	ck_assert_int_eq(kex_client_new_with_private(
	    method("curve25519-sha256"), b_priv, 32, &bob), ERR_OK);
	ck_assert_int_eq(kex_client_public(alice, &pub, &len), ERR_OK);
	ck_assert_uint_eq(len, 32);
	ck_assert_mem_eq(pub, a_pub, 32);
	ck_assert_int_eq(kex_client_public(bob, &pub, &len), ERR_OK);
	ck_assert_uint_eq(len, 32);
	ck_assert_mem_eq(pub, b_pub, 32);
	ck_assert_int_eq(kex_client_shared_secret(alice, b_pub, 32, ka),
	    ERR_OK);
	ck_assert_int_eq(kex_client_shared_secret(bob, a_pub, 32, kb), ERR_OK);
	assert_buf_is_mpint(ka, k, 32);
	assert_buf_is_mpint(kb, k, 32);
	/* the family has no group */
	{
		const unsigned char *p, *g;
		size_t plen, glen;

		ck_assert_int_eq(kex_client_group(alice, &p, &plen, &g, &glen),
		    ERR_INVALID_ARGUMENT);
		ck_assert_ptr_null(p);
		ck_assert_uint_eq(plen, 0);
	}
	kex_client_free(alice);
	kex_client_free(bob);
	buf_free(ka);
	buf_free(kb);
}
END_TEST

/*
 * RFC 8731 section 3: an all-zero shared secret must be refused.  Every
 * point of small order gives one: zero, one, the two points of order 8,
 * p-1, and the non-canonical encodings p and p+1 of zero and one.
 */
START_TEST(test_c25519_small_order)
{
	static const char *const points[] = {
	    "0000000000000000000000000000000000000000000000000000000000000000",
	    "0100000000000000000000000000000000000000000000000000000000000000",
	    "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
	    "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
	    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	};
	unsigned char u[33];
	struct kex_client *k = NULL;
	struct buf *out = buf_new(0);
	size_t i;

	ck_assert_ptr_nonnull(out);
	ck_assert_int_eq(kex_client_new(method("curve25519-sha256"), &k),
	    ERR_OK);
	for (i = 0; i < sizeof(points) / sizeof(points[0]); i++) {
		hex_to_bin(points[i], u, 32);
		ck_assert_int_eq(kex_client_shared_secret(k, u, 32, out),
		    ERR_KEY_INVALID);
		ck_assert_uint_eq(buf_len(out), 0);
	}
	/* 32 bytes exactly */
	memset(u, 9, sizeof(u));
	ck_assert_int_eq(kex_client_shared_secret(k, u, 31, out),
	    ERR_KEY_INVALID);
	ck_assert_int_eq(kex_client_shared_secret(k, u, 33, out),
	    ERR_KEY_INVALID);
	ck_assert_int_eq(kex_client_shared_secret(k, u, 0, out),
	    ERR_KEY_INVALID);
	ck_assert_uint_eq(buf_len(out), 0);
	/* and the context still works for a good point */
	ck_assert_int_eq(kex_client_shared_secret(k, u, 32, out), ERR_OK);
	ck_assert_uint_gt(buf_len(out), 4);
	kex_client_free(k);
	buf_free(out);
}
END_TEST

/*
 * Both sides agree, and K follows the mpint rules for the outputs that
 * exercise them: a top bit set (a zero byte added) and a leading zero
 * byte (dropped).  Private keys come from a counter, so the run is
 * deterministic; the expected value is libsodium's own X25519 output.
 */
START_TEST(test_c25519_agree_mpint_shapes)
{
	unsigned char pa[32], pb[32], ua[32], ub[32], shared[32];
	struct kex_client *a = NULL, *b = NULL;
	struct buf *ka = NULL, *kb = NULL;
	const unsigned char *pub;
	int seen_top = 0, seen_zero = 0;
	uint32_t i;
	size_t len;

	for (i = 0; i < 20000 && !(seen_top && seen_zero); i++) {
		crypto_hash_sha256(pa, (const unsigned char *)&i, sizeof(i));
		crypto_hash_sha256(pb, pa, sizeof(pa));
		ck_assert_int_eq(kex_client_new_with_private(
		    method("curve25519-sha256"), pa, 32, &a), ERR_OK);
		ck_assert_int_eq(kex_client_new_with_private(
		    method("curve25519-sha256"), pb, 32, &b), ERR_OK);
		ck_assert_int_eq(kex_client_public(a, &pub, &len), ERR_OK);
		memcpy(ua, pub, 32);
		ck_assert_int_eq(crypto_scalarmult_curve25519_base(shared, pa),
		    0);
		ck_assert_mem_eq(ua, shared, 32);
		ck_assert_int_eq(kex_client_public(b, &pub, &len), ERR_OK);
		memcpy(ub, pub, 32);
		ck_assert_ptr_nonnull(ka = buf_new(0));
		ck_assert_ptr_nonnull(kb = buf_new(0));
		ck_assert_int_eq(kex_client_shared_secret(a, ub, 32, ka),
		    ERR_OK);
		ck_assert_int_eq(kex_client_shared_secret(b, ua, 32, kb),
		    ERR_OK);
		ck_assert_uint_eq(buf_len(ka), buf_len(kb));
		ck_assert_mem_eq(buf_ptr(ka), buf_ptr(kb), buf_len(ka));
		ck_assert_int_eq(crypto_scalarmult_curve25519(shared, pa, ub),
		    0);
		assert_buf_is_mpint(ka, shared, 32);
		if (shared[0] & 0x80) {
			seen_top = 1;
			ck_assert_uint_eq(buf_len(ka), 4 + 33);
			ck_assert_uint_eq(buf_ptr(ka)[4], 0);
		}
		if (shared[0] == 0 && (shared[1] & 0x80) == 0) {
			seen_zero = 1;
			ck_assert_uint_lt(buf_len(ka), 4 + 32);
			ck_assert_uint_ne(buf_ptr(ka)[4], 0);
		}
		kex_client_free(a);
		kex_client_free(b);
		buf_free(ka);
		buf_free(kb);
	}
	ck_assert(seen_top);
	ck_assert(seen_zero);
}
END_TEST

START_TEST(test_c25519_random_keys)
{
	struct kex_client *a = NULL, *b = NULL;
	const unsigned char *pa, *pb;
	unsigned char sa[32];
	struct buf *ka = buf_new(0), *kb = buf_new(0), *small = buf_new(8);
	size_t la, lb;

	ck_assert_ptr_nonnull(ka);
	ck_assert_ptr_nonnull(kb);
	ck_assert_ptr_nonnull(small);
	ck_assert_int_eq(kex_client_new(method("curve25519-sha256"), &a),
	    ERR_OK);
	ck_assert_int_eq(kex_client_new(method("curve25519-sha256"), &b),
	    ERR_OK);
	ck_assert_int_eq(kex_client_public(a, &pa, &la), ERR_OK);
	ck_assert_int_eq(kex_client_public(b, &pb, &lb), ERR_OK);
	ck_assert_uint_eq(la, 32);
	ck_assert_mem_ne(pa, pb, 32);
	memcpy(sa, pa, 32);
	ck_assert_int_eq(kex_client_shared_secret(a, pb, lb, ka), ERR_OK);
	ck_assert_int_eq(kex_client_shared_secret(b, sa, 32, kb), ERR_OK);
	ck_assert_uint_eq(buf_len(ka), buf_len(kb));
	ck_assert_mem_eq(buf_ptr(ka), buf_ptr(kb), buf_len(ka));
	/* an append that does not fit leaves out as it was */
	ck_assert_int_eq(kex_client_shared_secret(a, pb, lb, small),
	    ERR_TOO_LONG);
	ck_assert_uint_eq(buf_len(small), 0);
	/* the key pair is made once */
	ck_assert_int_eq(kex_client_generate(a), ERR_INVALID_ARGUMENT);
	/* a test private key must be 32 bytes */
	kex_client_free(b);
	b = NULL;
	ck_assert_int_eq(kex_client_new_with_private(
	    method("curve25519-sha256"), sa, 31, &b), ERR_KEY_INVALID);
	ck_assert_ptr_null(b);
	kex_client_free(a);
	buf_free(ka);
	buf_free(kb);
	buf_free(small);
}
END_TEST

/* ---- finite-field DH */

/* floor(2^bits / x^k ...): arctan(1/x) * 2^bits by its Taylor series,
 * the truncation of each term pushed below 2^-guard by the caller. */
static BIGNUM *
atan_inv_scaled(unsigned long x, int bits)
{
	BIGNUM *sum = BN_new(), *term = BN_new(), *t = BN_new();
	unsigned long k;

	ck_assert_ptr_nonnull(sum);
	ck_assert_ptr_nonnull(term);
	ck_assert_ptr_nonnull(t);
	BN_zero(sum);
	ck_assert(BN_set_bit(term, bits));
	ck_assert(BN_div_word(term, x) != (BN_ULONG)-1);
	for (k = 0; !BN_is_zero(term); k++) {
		ck_assert_ptr_nonnull(BN_copy(t, term));
		ck_assert(BN_div_word(t, 2 * k + 1) != (BN_ULONG)-1);
		if (k & 1)
			ck_assert(BN_sub(sum, sum, t));
		else
			ck_assert(BN_add(sum, sum, t));
		ck_assert(BN_div_word(term, x * x) != (BN_ULONG)-1);
	}
	BN_free(term);
	BN_free(t);
	return sum;
}

/* floor(pi * 2^bits), by Machin: pi = 16 atan(1/5) - 4 atan(1/239). */
static BIGNUM *
pi_scaled(int bits)
{
	const int guard = 64;
	BIGNUM *a = atan_inv_scaled(5, bits + guard);
	BIGNUM *b = atan_inv_scaled(239, bits + guard);

	ck_assert(BN_lshift(a, a, 4));
	ck_assert(BN_lshift(b, b, 2));
	ck_assert(BN_sub(a, a, b));
	ck_assert(BN_rshift(a, a, guard));
	BN_free(b);
	return a;
}

/* RFC 3526: p = 2^n - 2^(n-64) - 1 + 2^64 * (floor(2^(n-130) pi) + c) */
static BIGNUM *
rfc3526_prime(int n, unsigned long c)
{
	BIGNUM *p = pi_scaled(n - 130), *t = BN_new();

	ck_assert_ptr_nonnull(t);
	ck_assert(BN_add_word(p, c));
	ck_assert(BN_lshift(p, p, 64));
	BN_zero(t);
	ck_assert(BN_set_bit(t, n));
	ck_assert(BN_add(p, p, t));
	BN_zero(t);
	ck_assert(BN_set_bit(t, n - 64));
	ck_assert(BN_sub(p, p, t));
	ck_assert(BN_sub_word(p, 1));
	BN_free(t);
	return p;
}

static const struct {
	const char *name;
	int bits;
	unsigned long offset;
} dh_groups[] = {
	{ "diffie-hellman-group14-sha256", 2048, 124476 },
	{ "diffie-hellman-group16-sha512", 4096, 240904 },
	{ "diffie-hellman-group18-sha512", 8192, 4743158 },
};

START_TEST(test_dh_rfc3526_primes)
{
	struct kex_client *k = NULL;
	const unsigned char *p, *g;
	size_t plen, glen;
	BIGNUM *want, *got;

	ck_assert_int_eq(kex_client_new(method(dh_groups[_i].name), &k),
	    ERR_OK);
	ck_assert_int_eq(kex_client_group(k, &p, &plen, &g, &glen), ERR_OK);
	ck_assert_uint_eq(plen, (size_t)dh_groups[_i].bits / 8);
	ck_assert_uint_eq(glen, 1);
	ck_assert_uint_eq(g[0], 2);
	want = rfc3526_prime(dh_groups[_i].bits, dh_groups[_i].offset);
	got = bn_from_mag(p, plen);
	ck_assert_int_eq(BN_num_bits(want), dh_groups[_i].bits);
	ck_assert_msg(BN_cmp(want, got) == 0, "%s: p is not RFC 3526's",
	    dh_groups[_i].name);
	BN_free(want);
	BN_free(got);
	kex_client_free(k);
}
END_TEST

/* Both sides agree, e = 2^x mod p, and K = f^x mod p as computed here. */
START_TEST(test_dh_agree)
{
	static const char xhex[] =
	    "5c1e0f9a7d3b2a18c4e6f0a9b8d7c6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9"
	    "8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e";
	unsigned char x[64];
	struct kex_client *a = NULL, *b = NULL;
	const unsigned char *pa, *pb, *p, *g;
	size_t la, lb, plen, glen;
	struct buf *ka = buf_new(0), *kb = buf_new(0);
	BN_CTX *ctx = BN_CTX_new();
	BIGNUM *bp, *bx, *be, *bf, *want = BN_new(), *two = BN_new();
	unsigned char *fcopy;

	ck_assert_ptr_nonnull(ka);
	ck_assert_ptr_nonnull(kb);
	ck_assert_ptr_nonnull(ctx);
	ck_assert_ptr_nonnull(want);
	ck_assert_ptr_nonnull(two);
	ck_assert(BN_set_word(two, 2));
	hex_to_bin(xhex, x, sizeof(x));
	ck_assert_int_eq(kex_client_new_with_private(method(dh_groups[_i].name),
	    x, sizeof(x), &a), ERR_OK);
	ck_assert_int_eq(kex_client_new(method(dh_groups[_i].name), &b),
	    ERR_OK);
	ck_assert_int_eq(kex_client_group(a, &p, &plen, &g, &glen), ERR_OK);
	bp = bn_from_mag(p, plen);
	bx = bn_from_mag(x, sizeof(x));
	ck_assert_int_eq(kex_client_public(a, &pa, &la), ERR_OK);
	ck_assert_int_eq(kex_client_public(b, &pb, &lb), ERR_OK);
	/* e = 2^x mod p */
	be = bn_from_mag(pa, la);
	ck_assert(BN_mod_exp(want, two, bx, bp, ctx));
	ck_assert_int_eq(BN_cmp(be, want), 0);
	/* a random exponent: the public value is a full-size group element */
	bf = bn_from_mag(pb, lb);
	ck_assert_int_gt(BN_num_bits(bf), dh_groups[_i].bits - 64);
	ck_assert_int_lt(BN_cmp(bf, bp), 0);
	ck_assert_ptr_nonnull(fcopy = malloc(lb));
	memcpy(fcopy, pb, lb);
	ck_assert_int_eq(kex_client_shared_secret(a, fcopy, lb, ka), ERR_OK);
	ck_assert_int_eq(kex_client_shared_secret(b, pa, la, kb), ERR_OK);
	ck_assert_uint_eq(buf_len(ka), buf_len(kb));
	ck_assert_mem_eq(buf_ptr(ka), buf_ptr(kb), buf_len(ka));
	/* K = f^x mod p, as an mpint */
	ck_assert(BN_mod_exp(want, bf, bx, bp, ctx));
	assert_buf_is_mpint_bn(ka, want);
	free(fcopy);
	BN_free(bp);
	BN_free(bx);
	BN_free(be);
	BN_free(bf);
	BN_free(want);
	BN_free(two);
	BN_CTX_free(ctx);
	kex_client_free(a);
	kex_client_free(b);
	buf_free(ka);
	buf_free(kb);
}
END_TEST

static void
dh_expect_reject(struct kex_client *k, const BIGNUM *f, struct buf *out)
{
	int n = BN_num_bytes(f);
	unsigned char *mag = malloc(n > 0 ? (size_t)n : 1);
	char *hex = BN_bn2hex(f);

	ck_assert_ptr_nonnull(mag);
	ck_assert_int_eq(BN_bn2bin(f, mag), n);
	ck_assert_msg(kex_client_shared_secret(k, mag, (size_t)n, out) ==
	    ERR_KEY_INVALID, "f = %.40s... accepted", hex);
	ck_assert_uint_eq(buf_len(out), 0);
	OPENSSL_free(hex);
	free(mag);
}

static void
dh_expect_accept(struct kex_client *k, const BIGNUM *f, struct buf *out)
{
	int n = BN_num_bytes(f);
	unsigned char *mag = malloc((size_t)n);

	ck_assert_ptr_nonnull(mag);
	ck_assert_int_eq(BN_bn2bin(f, mag), n);
	ck_assert_int_eq(kex_client_shared_secret(k, mag, (size_t)n, out),
	    ERR_OK);
	ck_assert_uint_gt(buf_len(out), 4);
	buf_reset(out);
	free(mag);
}

/* RFC 4253 section 8 and OpenSSH's dh_pub_is_valid(): 1 < f < p-1, and
 * not a power of two or anything else with fewer than 4 bits set. */
START_TEST(test_dh_reject_f)
{
	struct kex_client *k = NULL;
	const unsigned char *p, *g;
	size_t plen, glen;
	struct buf *out = buf_new(0);
	BIGNUM *bp, *f = BN_new();
	unsigned char *longer;

	ck_assert_ptr_nonnull(out);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(kex_client_new(method(dh_groups[_i].name), &k),
	    ERR_OK);
	ck_assert_int_eq(kex_client_group(k, &p, &plen, &g, &glen), ERR_OK);
	bp = bn_from_mag(p, plen);

	BN_zero(f);                     /* the empty mpint */
	ck_assert_int_eq(kex_client_shared_secret(k, p, 0, out),
	    ERR_KEY_INVALID);
	dh_expect_reject(k, f, out);
	ck_assert(BN_set_word(f, 1));
	dh_expect_reject(k, f, out);
	ck_assert(BN_set_word(f, 2));
	dh_expect_reject(k, f, out);
	ck_assert(BN_set_word(f, 7));   /* three bits */
	dh_expect_reject(k, f, out);
	BN_zero(f);
	ck_assert(BN_set_bit(f, 1000));
	dh_expect_reject(k, f, out);
	ck_assert_ptr_nonnull(BN_copy(f, bp));
	ck_assert(BN_sub_word(f, 1));   /* p-1 */
	dh_expect_reject(k, f, out);
	ck_assert_ptr_nonnull(BN_copy(f, bp));       /* p */
	dh_expect_reject(k, f, out);
	ck_assert(BN_add_word(f, 1));   /* p+1 */
	dh_expect_reject(k, f, out);
	ck_assert(BN_lshift1(f, bp));   /* 2p */
	dh_expect_reject(k, f, out);
	/* longer than p, even with leading zeros */
	ck_assert_ptr_nonnull(longer = calloc(1, plen + 1));
	longer[plen] = 0x0f;
	ck_assert_int_eq(kex_client_shared_secret(k, longer, plen + 1, out),
	    ERR_KEY_INVALID);
	ck_assert_uint_eq(buf_len(out), 0);
	free(longer);

	/* the edges that are fine */
	ck_assert(BN_set_word(f, 15));  /* four bits set */
	dh_expect_accept(k, f, out);
	ck_assert_ptr_nonnull(BN_copy(f, bp));
	ck_assert(BN_sub_word(f, 2));   /* p-2 */
	dh_expect_accept(k, f, out);
	BN_free(bp);
	BN_free(f);
	kex_client_free(k);
	buf_free(out);
}
END_TEST

/* The test hook refuses exponents outside 1 < x < p-1, and ones whose e
 * would be refused by the other side (x = 2: e = 4 has one bit set). */
START_TEST(test_dh_private_bounds)
{
	const struct kex_method *m = method("diffie-hellman-group14-sha256");
	struct kex_client *k = NULL, *ref = NULL;
	const unsigned char *p, *g;
	size_t plen, glen;
	unsigned char small[1], big[257];

	ck_assert_int_eq(kex_client_new(m, &ref), ERR_OK);
	ck_assert_int_eq(kex_client_group(ref, &p, &plen, &g, &glen), ERR_OK);
	small[0] = 0;
	ck_assert_int_eq(kex_client_new_with_private(m, small, 1, &k),
	    ERR_KEY_INVALID);
	ck_assert_ptr_null(k);
	small[0] = 1;
	ck_assert_int_eq(kex_client_new_with_private(m, small, 1, &k),
	    ERR_KEY_INVALID);
	small[0] = 2;
	ck_assert_int_eq(kex_client_new_with_private(m, small, 1, &k),
	    ERR_KEY_INVALID);
	/* p - 1 and p */
	memcpy(big, p, plen);
	big[plen - 1] -= 1;
	ck_assert_int_eq(kex_client_new_with_private(m, big, plen, &k),
	    ERR_KEY_INVALID);
	memcpy(big, p, plen);
	ck_assert_int_eq(kex_client_new_with_private(m, big, plen, &k),
	    ERR_KEY_INVALID);
	/* p - 2 is an exponent like any other */
	big[plen - 1] -= 2;
	ck_assert_int_eq(kex_client_new_with_private(m, big, plen, &k),
	    ERR_OK);
	kex_client_free(k);
	ck_assert_int_eq(kex_client_new_with_private(m, NULL, 0, &k),
	    ERR_INVALID_ARGUMENT);
	kex_client_free(ref);
}
END_TEST

/* ---- DH group exchange (RFC 4419) */

static void
group14(unsigned char *p, size_t *plen)
{
	struct kex_client *k = NULL;
	const unsigned char *pp, *gg;
	size_t gl;

	ck_assert_int_eq(kex_client_new(method("diffie-hellman-group14-sha256"),
	    &k), ERR_OK);
	ck_assert_int_eq(kex_client_group(k, &pp, plen, &gg, &gl), ERR_OK);
	memcpy(p, pp, *plen);
	kex_client_free(k);
}

START_TEST(test_gex_order_of_calls)
{
	const struct kex_method *m =
	    method("diffie-hellman-group-exchange-sha256");
	struct kex_client *k = NULL;
	const unsigned char *pub, *gp, *gg;
	unsigned char p[256], g = 2;
	size_t plen, len, gpl, ggl;
	struct buf *out = buf_new(0);

	ck_assert_ptr_nonnull(out);
	group14(p, &plen);
	ck_assert_int_eq(kex_client_new(m, &k), ERR_OK);
	/* nothing before the group */
	ck_assert_int_eq(kex_client_public(k, &pub, &len),
	    ERR_INVALID_ARGUMENT);
	ck_assert_ptr_null(pub);
	ck_assert_int_eq(kex_client_generate(k), ERR_INVALID_ARGUMENT);
	ck_assert_int_eq(kex_client_group(k, &gp, &gpl, &gg, &ggl),
	    ERR_INVALID_ARGUMENT);
	ck_assert_int_eq(kex_client_shared_secret(k, p, plen, out),
	    ERR_INVALID_ARGUMENT);
	ck_assert_int_eq(kex_client_set_group(k, p, plen, &g, 1, 2048, 8192),
	    ERR_OK);
	/* one group per exchange */
	ck_assert_int_eq(kex_client_set_group(k, p, plen, &g, 1, 2048, 8192),
	    ERR_INVALID_ARGUMENT);
	ck_assert_int_eq(kex_client_public(k, &pub, &len),
	    ERR_INVALID_ARGUMENT);
	ck_assert_int_eq(kex_client_group(k, &gp, &gpl, &gg, &ggl), ERR_OK);
	ck_assert_uint_eq(gpl, plen);
	ck_assert_mem_eq(gp, p, plen);
	ck_assert_uint_eq(ggl, 1);
	ck_assert_uint_eq(gg[0], 2);
	ck_assert_int_eq(kex_client_generate(k), ERR_OK);
	ck_assert_int_eq(kex_client_generate(k), ERR_INVALID_ARGUMENT);
	ck_assert_int_eq(kex_client_set_group(k, p, plen, &g, 1, 2048, 8192),
	    ERR_INVALID_ARGUMENT);
	ck_assert_int_eq(kex_client_public(k, &pub, &len), ERR_OK);
	ck_assert_uint_gt(len, 200);
	kex_client_free(k);
	buf_free(out);
}
END_TEST

START_TEST(test_gex_reject_group)
{
	const struct kex_method *m =
	    method("diffie-hellman-group-exchange-sha256");
	struct kex_client *k = NULL;
	unsigned char p[256], q[256], g[257];
	size_t plen;

	group14(p, &plen);
	ck_assert_int_eq(kex_client_new(m, &k), ERR_OK);
	g[0] = 2;
	/* p's size against the request's bounds */
	ck_assert_int_eq(kex_client_set_group(k, p, plen, g, 1, 2049, 8192),
	    ERR_KEY_INVALID);
	ck_assert_int_eq(kex_client_set_group(k, p, plen, g, 1, 1024, 2047),
	    ERR_KEY_INVALID);
	/* g outside 1 < g < p-1 */
	ck_assert_int_eq(kex_client_set_group(k, p, plen, g, 0, 2048, 8192),
	    ERR_KEY_INVALID);
	g[0] = 1;
	ck_assert_int_eq(kex_client_set_group(k, p, plen, g, 1, 2048, 8192),
	    ERR_KEY_INVALID);
	memcpy(g, p, plen);
	g[plen - 1] -= 1;               /* p - 1 */
	ck_assert_int_eq(kex_client_set_group(k, p, plen, g, plen, 2048, 8192),
	    ERR_KEY_INVALID);
	g[plen - 1] += 1;               /* p */
	ck_assert_int_eq(kex_client_set_group(k, p, plen, g, plen, 2048, 8192),
	    ERR_KEY_INVALID);
	g[0] = 1;
	memcpy(g + 1, p, plen);         /* larger than p */
	ck_assert_int_eq(kex_client_set_group(k, p, plen, g, plen + 1, 2048,
	    8192), ERR_KEY_INVALID);
	/* an even modulus */
	memcpy(q, p, plen);
	q[plen - 1] ^= 1;
	g[0] = 2;
	ck_assert_int_eq(kex_client_set_group(k, q, plen, g, 1, 2048, 8192),
	    ERR_KEY_INVALID);
	/* the failures left no group behind: a good one still goes in */
	ck_assert_int_eq(kex_client_generate(k), ERR_INVALID_ARGUMENT);
	g[0] = 2;
	memcpy(g + 1, p, plen);
	g[plen] -= 2;                   /* g = p - 2: fine */
	ck_assert_int_eq(kex_client_set_group(k, p, plen, g + 1, plen, 2048,
	    2048), ERR_OK);
	ck_assert_int_eq(kex_client_generate(k), ERR_OK);
	kex_client_free(k);
	/* set_group is for DH-GEX only */
	ck_assert_int_eq(kex_client_new(method("diffie-hellman-group14-sha256"),
	    &k), ERR_OK);
	g[0] = 2;
	ck_assert_int_eq(kex_client_set_group(k, p, plen, g, 1, 2048, 8192),
	    ERR_INVALID_ARGUMENT);
	kex_client_free(k);
}
END_TEST

/* Both sides of a group exchange agree; with a generator other than 2,
 * e = g^x mod p and K = f^x mod p as computed here. */
START_TEST(test_gex_agree)
{
	const struct kex_method *m =
	    method("diffie-hellman-group-exchange-sha256");
	struct kex_client *a = NULL, *b = NULL;
	unsigned char p[256], g = 5, x[40];
	const unsigned char *pa, *pb;
	size_t plen, la, lb, i;
	struct buf *ka = buf_new(0), *kb = buf_new(0);
	BN_CTX *ctx = BN_CTX_new();
	BIGNUM *bp, *bg, *bx, *be, *bf, *want = BN_new();
	unsigned char *ecopy;

	ck_assert_ptr_nonnull(ka);
	ck_assert_ptr_nonnull(kb);
	ck_assert_ptr_nonnull(ctx);
	ck_assert_ptr_nonnull(want);
	for (i = 0; i < sizeof(x); i++)
		x[i] = (unsigned char)(0x93 * (i + 1));
	group14(p, &plen);
	ck_assert_int_eq(kex_client_new_with_private(m, x, sizeof(x), &a),
	    ERR_OK);
	ck_assert_int_eq(kex_client_new(m, &b), ERR_OK);
	/* the hook's key waits for the group */
	ck_assert_int_eq(kex_client_public(a, &pa, &la),
	    ERR_INVALID_ARGUMENT);
	ck_assert_int_eq(kex_client_set_group(a, p, plen, &g, 1, 1024, 8192),
	    ERR_OK);
	ck_assert_int_eq(kex_client_set_group(b, p, plen, &g, 1, 1024, 8192),
	    ERR_OK);
	ck_assert_int_eq(kex_client_generate(a), ERR_OK);
	ck_assert_int_eq(kex_client_generate(b), ERR_OK);
	ck_assert_int_eq(kex_client_public(a, &pa, &la), ERR_OK);
	ck_assert_int_eq(kex_client_public(b, &pb, &lb), ERR_OK);
	bp = bn_from_mag(p, plen);
	bg = bn_from_mag(&g, 1);
	bx = bn_from_mag(x, sizeof(x));
	be = bn_from_mag(pa, la);
	bf = bn_from_mag(pb, lb);
	ck_assert(BN_mod_exp(want, bg, bx, bp, ctx));
	ck_assert_int_eq(BN_cmp(be, want), 0);
	ck_assert_ptr_nonnull(ecopy = malloc(la));
	memcpy(ecopy, pa, la);
	ck_assert_int_eq(kex_client_shared_secret(a, pb, lb, ka), ERR_OK);
	ck_assert_int_eq(kex_client_shared_secret(b, ecopy, la, kb), ERR_OK);
	ck_assert_uint_eq(buf_len(ka), buf_len(kb));
	ck_assert_mem_eq(buf_ptr(ka), buf_ptr(kb), buf_len(ka));
	ck_assert(BN_mod_exp(want, bf, bx, bp, ctx));
	assert_buf_is_mpint_bn(ka, want);
	free(ecopy);
	BN_free(bp);
	BN_free(bg);
	BN_free(bx);
	BN_free(be);
	BN_free(bf);
	BN_free(want);
	BN_CTX_free(ctx);
	kex_client_free(a);
	kex_client_free(b);
	buf_free(ka);
	buf_free(kb);
}
END_TEST

/* ---- ECDH on the NIST curves (RFC 5656) */

static const struct {
	const char *name;
	int nid;
	size_t field;
} ec_curves[] = {
	{ "ecdh-sha2-nistp256", NID_X9_62_prime256v1, 32 },
	{ "ecdh-sha2-nistp384", NID_secp384r1, 48 },
	{ "ecdh-sha2-nistp521", NID_secp521r1, 66 },
};

/* A server key made by OpenSSL here: its uncompressed point. */
static EVP_PKEY *
ec_server_key(int nid, unsigned char *point, size_t *len)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", OBJ_nid2sn(nid));

	ck_assert_ptr_nonnull(key);
	ck_assert_int_eq(EVP_PKEY_get_octet_string_param(key,
	    OSSL_PKEY_PARAM_PUB_KEY, point, 200, len), 1);
	return key;
}

START_TEST(test_ecdh_agree)
{
	struct kex_client *a = NULL, *b = NULL;
	const unsigned char *pa, *pb;
	unsigned char sa[200];
	size_t la, lb, field = ec_curves[_i].field;
	struct buf *ka = buf_new(0), *kb = buf_new(0);
	const unsigned char *p, *g;
	size_t plen, glen;

	ck_assert_ptr_nonnull(ka);
	ck_assert_ptr_nonnull(kb);
	ck_assert_int_eq(kex_client_new(method(ec_curves[_i].name), &a),
	    ERR_OK);
	ck_assert_int_eq(kex_client_new(method(ec_curves[_i].name), &b),
	    ERR_OK);
	ck_assert_int_eq(kex_client_public(a, &pa, &la), ERR_OK);
	ck_assert_int_eq(kex_client_public(b, &pb, &lb), ERR_OK);
	/* RFC 5656 section 4: uncompressed points */
	ck_assert_uint_eq(la, 1 + 2 * field);
	ck_assert_uint_eq(lb, 1 + 2 * field);
	ck_assert_uint_eq(pa[0], 4);
	ck_assert_mem_ne(pa, pb, la);
	memcpy(sa, pa, la);
	ck_assert_int_eq(kex_client_shared_secret(a, pb, lb, ka), ERR_OK);
	ck_assert_int_eq(kex_client_shared_secret(b, sa, la, kb), ERR_OK);
	ck_assert_uint_eq(buf_len(ka), buf_len(kb));
	ck_assert_mem_eq(buf_ptr(ka), buf_ptr(kb), buf_len(ka));
	ck_assert_uint_le(buf_len(ka), 4 + field + 1);
	ck_assert_int_eq(kex_client_group(a, &p, &plen, &g, &glen),
	    ERR_INVALID_ARGUMENT);
	kex_client_free(a);
	kex_client_free(b);
	buf_free(ka);
	buf_free(kb);
}
END_TEST

/* With a known client scalar d: Q_C = d*G and K = x(d*Q_S), by EC_POINT
 * arithmetic here against a server key from OpenSSL's key generator. */
START_TEST(test_ecdh_independent)
{
	int nid = ec_curves[_i].nid;
	size_t field = ec_curves[_i].field, la, slen, i;
	EC_GROUP *group = EC_GROUP_new_by_curve_name(nid);
	BN_CTX *ctx = BN_CTX_new();
	EC_POINT *q = NULL, *qs = NULL, *r = NULL;
	BIGNUM *d = NULL, *x = BN_new();
	unsigned char dbytes[66], spoint[200], want[200], xbytes[66];
	EVP_PKEY *server;
	struct kex_client *k = NULL;
	const unsigned char *pa;
	struct buf *out = buf_new(0);

	ck_assert_ptr_nonnull(group);
	ck_assert_ptr_nonnull(ctx);
	ck_assert_ptr_nonnull(x);
	ck_assert_ptr_nonnull(out);
	/* a scalar below every order here: top byte small */
	for (i = 0; i < field; i++)
		dbytes[i] = (unsigned char)(0x3d + 17 * i);
	dbytes[0] = 0x01;
	ck_assert_int_eq(kex_client_new_with_private(method(ec_curves[_i].name),
	    dbytes, field, &k), ERR_OK);
	d = bn_from_mag(dbytes, field);
	ck_assert_ptr_nonnull(q = EC_POINT_new(group));
	ck_assert_int_eq(EC_POINT_mul(group, q, d, NULL, NULL, ctx), 1);
	ck_assert_uint_eq(EC_POINT_point2oct(group, q,
	    POINT_CONVERSION_UNCOMPRESSED, want, sizeof(want), ctx),
	    1 + 2 * field);
	ck_assert_int_eq(kex_client_public(k, &pa, &la), ERR_OK);
	ck_assert_uint_eq(la, 1 + 2 * field);
	ck_assert_mem_eq(pa, want, la);

	server = ec_server_key(nid, spoint, &slen);
	ck_assert_uint_eq(slen, 1 + 2 * field);
	ck_assert_ptr_nonnull(qs = EC_POINT_new(group));
	ck_assert_ptr_nonnull(r = EC_POINT_new(group));
	ck_assert_int_eq(EC_POINT_oct2point(group, qs, spoint, slen, ctx), 1);
	ck_assert_int_eq(EC_POINT_mul(group, r, NULL, qs, d, ctx), 1);
	ck_assert_int_eq(EC_POINT_get_affine_coordinates(group, r, x, NULL,
	    ctx), 1);
	ck_assert_int_eq(BN_bn2binpad(x, xbytes, (int)field), (int)field);
	ck_assert_int_eq(kex_client_shared_secret(k, spoint, slen, out),
	    ERR_OK);
	assert_buf_is_mpint(out, xbytes, field);

	EVP_PKEY_free(server);
	EC_POINT_free(q);
	EC_POINT_free(qs);
	EC_POINT_free(r);
	BN_free(d);
	BN_free(x);
	BN_CTX_free(ctx);
	EC_GROUP_free(group);
	kex_client_free(k);
	buf_free(out);
}
END_TEST

static void
ecdh_expect_reject(struct kex_client *k, const unsigned char *pt,
    size_t len, struct buf *out, const char *what)
{
	ck_assert_msg(kex_client_shared_secret(k, pt, len, out) ==
	    ERR_KEY_INVALID, "%s accepted", what);
	ck_assert_uint_eq(buf_len(out), 0);
}

/* RFC 5656 section 4: the server's point is checked before use. */
START_TEST(test_ecdh_reject_points)
{
	int nid = ec_curves[_i].nid;
	size_t field = ec_curves[_i].field, slen;
	unsigned char good[200], bad[200];
	struct kex_client *k = NULL;
	struct buf *out = buf_new(0);
	EC_GROUP *group = EC_GROUP_new_by_curve_name(nid);
	BN_CTX *ctx = BN_CTX_new();
	BIGNUM *bp = BN_new(), *y = BN_new();
	EVP_PKEY *server;

	ck_assert_ptr_nonnull(out);
	ck_assert_ptr_nonnull(group);
	ck_assert_ptr_nonnull(ctx);
	ck_assert_ptr_nonnull(bp);
	ck_assert_ptr_nonnull(y);
	ck_assert_int_eq(kex_client_new(method(ec_curves[_i].name), &k),
	    ERR_OK);
	server = ec_server_key(nid, good, &slen);

	/* off the curve: y changed in its last bit */
	memcpy(bad, good, slen);
	bad[slen - 1] ^= 1;
	ecdh_expect_reject(k, bad, slen, out, "off-curve point");
	/* off the curve: x changed */
	memcpy(bad, good, slen);
	bad[1 + field / 2] ^= 0x40;
	ecdh_expect_reject(k, bad, slen, out, "off-curve point (x)");
	/* compressed, hybrid and unknown forms */
	memcpy(bad, good, 1 + field);
	bad[0] = 2 + (good[slen - 1] & 1);
	ecdh_expect_reject(k, bad, 1 + field, out, "compressed point");
	memcpy(bad, good, slen);
	bad[0] = 6 + (good[slen - 1] & 1);
	ecdh_expect_reject(k, bad, slen, out, "hybrid point");
	bad[0] = 5;
	ecdh_expect_reject(k, bad, slen, out, "form 5");
	/* the point at infinity */
	bad[0] = 0;
	ecdh_expect_reject(k, bad, 1, out, "infinity");
	memset(bad, 0, slen);
	bad[0] = 4;
	ecdh_expect_reject(k, bad, slen, out, "(0, 0)");
	/* wrong lengths */
	ecdh_expect_reject(k, good, slen - 1, out, "short point");
	memcpy(bad, good, slen);
	bad[slen] = 0;
	ecdh_expect_reject(k, bad, slen + 1, out, "long point");
	ecdh_expect_reject(k, good, 0, out, "empty point");
	/* coordinates of all ones: >= p on every curve here */
	memcpy(bad, good, slen);
	memset(bad + 1, 0xff, field);
	ecdh_expect_reject(k, bad, slen, out, "x = 2^n - 1");
	memcpy(bad, good, slen);
	memset(bad + 1 + field, 0xff, field);
	ecdh_expect_reject(k, bad, slen, out, "y = 2^n - 1");
	/* x = p + x0 (not reduced): the same x mod p, but refused.  Only
	 * P-521's 66-byte field has room for it (p = 2^521 - 1). */
	ck_assert_int_eq(EC_GROUP_get_curve(group, bp, NULL, NULL, ctx), 1);
	{
		BIGNUM *x = bn_from_mag(good + 1, field);

		ck_assert(BN_add(x, x, bp));
		if (nid == NID_secp521r1) {
			memcpy(bad, good, slen);
			ck_assert_int_eq(BN_bn2binpad(x, bad + 1, (int)field),
			    (int)field);
			ecdh_expect_reject(k, bad, slen, out, "x >= p");
		}
		BN_free(x);
	}
	/* y = 2p - y0: the negated point's y, unreduced (P-521 again) */
	{
		BIGNUM *y0 = bn_from_mag(good + 1 + field, field);

		ck_assert(BN_sub(y, bp, y0));
		ck_assert(BN_add(y, y, bp));
		if (nid == NID_secp521r1) {
			memcpy(bad, good, slen);
			ck_assert_int_eq(BN_bn2binpad(y, bad + 1 + field,
			    (int)field), (int)field);
			ecdh_expect_reject(k, bad, slen, out, "y >= p");
		}
		BN_free(y0);
	}
	/* and the good point is fine */
	ck_assert_int_eq(kex_client_shared_secret(k, good, slen, out), ERR_OK);

	EVP_PKEY_free(server);
	BN_free(bp);
	BN_free(y);
	BN_CTX_free(ctx);
	EC_GROUP_free(group);
	kex_client_free(k);
	buf_free(out);
}
END_TEST

START_TEST(test_ecdh_private_bounds)
{
	const struct kex_method *m = method("ecdh-sha2-nistp256");
	EC_GROUP *group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
	struct kex_client *k = NULL;
	unsigned char d[32];

	ck_assert_ptr_nonnull(group);
	memset(d, 0, sizeof(d));
	ck_assert_int_eq(kex_client_new_with_private(m, d, sizeof(d), &k),
	    ERR_KEY_INVALID);
	ck_assert_ptr_null(k);
	ck_assert_int_eq(BN_bn2binpad(EC_GROUP_get0_order(group), d, 32), 32);
	ck_assert_int_eq(kex_client_new_with_private(m, d, sizeof(d), &k),
	    ERR_KEY_INVALID);
	d[31] -= 1;                     /* order - 1 */
	ck_assert_int_eq(kex_client_new_with_private(m, d, sizeof(d), &k),
	    ERR_OK);
	kex_client_free(k);
	d[0] = 1;
	ck_assert_int_eq(kex_client_new_with_private(m, d, 1, &k), ERR_OK);
	kex_client_free(k);
	EC_GROUP_free(group);
}
END_TEST

/* ---- the generic layer */

START_TEST(test_client_misuse)
{
	static const struct kex_method hybrid = {
		"sntrup761x25519-sha512", KEX_FAMILY_HYBRID, KEX_HASH_SHA512, 0
	};
	struct kex_client *k = (struct kex_client *)&k;
	unsigned char priv[32] = { 1 };

	ck_assert_int_eq(kex_client_new(NULL, &k), ERR_INVALID_ARGUMENT);
	ck_assert_ptr_null(k);
	ck_assert_int_eq(kex_client_new(&hybrid, &k), ERR_INVALID_ARGUMENT);
	ck_assert_ptr_null(k);
	ck_assert_int_eq(kex_client_new_with_private(&hybrid, priv, 32, &k),
	    ERR_INVALID_ARGUMENT);
	ck_assert_ptr_null(k);
	kex_client_free(NULL);
}
END_TEST

static Suite *
kexalg_suite(void)
{
	Suite *s = suite_create("kexalg");
	TCase *tc = tcase_create("core");
	TCase *dh = tcase_create("dh");

	tcase_add_test(tc, test_method_table);
	tcase_add_test(tc, test_hash_digest);
	tcase_add_test(tc, test_derive_key);
	tcase_add_test(tc, test_c25519_rfc7748_5_2);
	tcase_add_test(tc, test_c25519_rfc7748_6_1);
	tcase_add_test(tc, test_c25519_small_order);
	tcase_add_test(tc, test_c25519_agree_mpint_shapes);
	tcase_add_test(tc, test_c25519_random_keys);
	tcase_add_loop_test(tc, test_ecdh_agree, 0, 3);
	tcase_add_loop_test(tc, test_ecdh_independent, 0, 3);
	tcase_add_loop_test(tc, test_ecdh_reject_points, 0, 3);
	tcase_add_test(tc, test_ecdh_private_bounds);
	tcase_add_test(tc, test_client_misuse);
	suite_add_tcase(s, tc);
	/* 8192-bit arithmetic: slower under sanitizers */
	tcase_set_timeout(dh, 120);
	tcase_add_loop_test(dh, test_dh_rfc3526_primes, 0, 3);
	tcase_add_loop_test(dh, test_dh_agree, 0, 3);
	tcase_add_loop_test(dh, test_dh_reject_f, 0, 3);
	tcase_add_test(dh, test_dh_private_bounds);
	tcase_add_test(dh, test_gex_order_of_calls);
	tcase_add_test(dh, test_gex_reject_group);
	tcase_add_test(dh, test_gex_agree);
	suite_add_tcase(s, dh);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(kexalg_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
