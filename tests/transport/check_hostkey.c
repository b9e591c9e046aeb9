/*
 * Host key blobs and signatures (src/transport/hostkey.c).  Ed25519
 * through the RFC 8032 section 7.1 vectors wrapped in SSH blobs; ECDSA
 * and RSA keys made and signatures made by OpenSSL here, encoded with
 * buf, and verified through hostkey_verify(); every truncation and every
 * bit flip of the blobs; fingerprints compared with what `ssh-keygen -l`
 * prints for a key file written at test time.
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <sodium.h>

#include "common/buf.h"
#include "common/err.h"
#include "transport/kexalg.h"

static const unsigned char exchange_hash[] =
    "an exchange hash stands in here: any bytes will do";
#define DATA exchange_hash
#define DATALEN (sizeof(exchange_hash) - 1)

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

static struct buf *
new_buf(void)
{
	struct buf *b = buf_new(0);

	ck_assert_ptr_nonnull(b);
	return b;
}

static void
put_bn(struct buf *b, const BIGNUM *v)
{
	int n = BN_num_bytes(v);
	unsigned char *mag = malloc(n > 0 ? (size_t)n : 1);

	ck_assert_ptr_nonnull(mag);
	ck_assert_int_eq(BN_bn2bin(v, mag), n);
	ck_assert_int_eq(buf_put_bignum_bytes(b, mag, (size_t)n), ERR_OK);
	free(mag);
}

/* string name, string inner: the outer shape of every signature */
static struct buf *
sig_blob(const char *name, const unsigned char *inner, size_t len)
{
	struct buf *b = new_buf();

	ck_assert_int_eq(buf_put_cstring(b, name), ERR_OK);
	ck_assert_int_eq(buf_put_string(b, inner, len), ERR_OK);
	return b;
}

static struct hostkey *
parse_ok(const struct buf *blob)
{
	struct hostkey *k = NULL;

	ck_assert_int_eq(hostkey_from_blob(buf_ptr(blob), buf_len(blob), &k),
	    ERR_OK);
	ck_assert_ptr_nonnull(k);
	return k;
}

static int
parse_err(const unsigned char *blob, size_t len)
{
	struct hostkey *k = (struct hostkey *)&k;
	int r = hostkey_from_blob(blob, len, &k);

	if (r != ERR_OK)
		ck_assert_ptr_null(k);
	hostkey_free(r == ERR_OK ? k : NULL);
	return r;
}

static int
verify(const struct hostkey *k, const char *alg, const struct buf *sig)
{
	return hostkey_verify(k, alg, buf_ptr(sig), buf_len(sig), DATA,
	    DATALEN);
}

/* sig with one extra byte after it */
static struct buf *
with_trailing(const struct buf *b)
{
	struct buf *t = new_buf();

	ck_assert_int_eq(buf_put(t, buf_ptr(b), buf_len(b)), ERR_OK);
	ck_assert_int_eq(buf_put_u8(t, 0), ERR_OK);
	return t;
}

/*
 * Every prefix of the key blob is refused; every prefix of the signature
 * blob fails to verify; every single-bit change of the signature blob
 * fails; every single-bit change of the key blob either is refused or
 * gives another key under which the signature fails.
 */
static void
sweep(const struct buf *blob, const char *alg, const struct buf *sig)
{
	const unsigned char *kb = buf_ptr(blob), *sb = buf_ptr(sig);
	size_t klen = buf_len(blob), slen = buf_len(sig), i;
	unsigned char *copy;
	struct hostkey *k = parse_ok(blob), *k2;
	int r;

	ck_assert_int_eq(verify(k, alg, sig), ERR_OK);
	for (i = 0; i < klen; i++)
		ck_assert_msg(parse_err(kb, i) != ERR_OK,
		    "key prefix of %zu/%zu bytes parsed", i, klen);
	for (i = 0; i < slen; i++)
		ck_assert_msg(hostkey_verify(k, alg, sb, i, DATA, DATALEN) !=
		    ERR_OK, "signature prefix of %zu/%zu bytes verified", i,
		    slen);
	ck_assert_ptr_nonnull(copy = malloc(slen > klen ? slen : klen));
	memcpy(copy, sb, slen);
	for (i = 0; i < 8 * slen; i++) {
		copy[i / 8] ^= (unsigned char)(1u << (i % 8));
		ck_assert_msg(hostkey_verify(k, alg, copy, slen, DATA,
		    DATALEN) != ERR_OK, "signature with bit %zu flipped "
		    "verified", i);
		copy[i / 8] ^= (unsigned char)(1u << (i % 8));
	}
	memcpy(copy, kb, klen);
	for (i = 0; i < 8 * klen; i++) {
		copy[i / 8] ^= (unsigned char)(1u << (i % 8));
		k2 = NULL;
		r = hostkey_from_blob(copy, klen, &k2);
		if (r == ERR_OK) {
			ck_assert_int_eq(hostkey_equal(k, k2), 0);
			ck_assert_msg(verify(k2, alg, sig) != ERR_OK,
			    "key with bit %zu flipped verified", i);
			hostkey_free(k2);
		} else
			ck_assert_ptr_null(k2);
		copy[i / 8] ^= (unsigned char)(1u << (i % 8));
	}
	free(copy);
	hostkey_free(k);
}

/* ---- Ed25519: RFC 8032 section 7.1, TEST 1 to 3 */

static const struct {
	const char *secret, *public, *message, *signature;
} rfc8032[] = {
	{ "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
	  "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
	  "",
	  "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
	  "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b" },
	{ "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
	  "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
	  "72",
	  "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
	  "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00" },
	{ "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
	  "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
	  "af82",
	  "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
	  "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a" },
};

static struct buf *
ed25519_blob(const unsigned char *pk, size_t len)
{
	struct buf *b = new_buf();

	ck_assert_int_eq(buf_put_cstring(b, "ssh-ed25519"), ERR_OK);
	ck_assert_int_eq(buf_put_string(b, pk, len), ERR_OK);
	return b;
}

START_TEST(test_ed25519_rfc8032)
{
	unsigned char pk[32], sig[64], msg[2], seed[32], pk2[32], sk[64];
	size_t mlen = strlen(rfc8032[_i].message) / 2;
	struct buf *blob, *sb, *t;
	struct hostkey *k;
	const unsigned char *bp;
	size_t blen;

	hex_to_bin(rfc8032[_i].public, pk, 32);
	hex_to_bin(rfc8032[_i].signature, sig, 64);
	hex_to_bin(rfc8032[_i].message, msg, mlen);
	/* the vector is self-consistent: the secret gives the public key */
	hex_to_bin(rfc8032[_i].secret, seed, 32);
	ck_assert_int_eq(crypto_sign_seed_keypair(pk2, sk, seed), 0);
	ck_assert_mem_eq(pk, pk2, 32);

	blob = ed25519_blob(pk, 32);
	k = parse_ok(blob);
	ck_assert_int_eq(hostkey_type(k), HOSTKEY_ED25519);
	ck_assert_str_eq(hostkey_type_name(k), "ssh-ed25519");
	ck_assert_uint_eq(hostkey_bits(k), 256);
	hostkey_blob(k, &bp, &blen);
	ck_assert_uint_eq(blen, buf_len(blob));
	ck_assert_mem_eq(bp, buf_ptr(blob), blen);

	sb = sig_blob("ssh-ed25519", sig, 64);
	ck_assert_int_eq(hostkey_verify(k, "ssh-ed25519", buf_ptr(sb),
	    buf_len(sb), msg, mlen), ERR_OK);
	/* another message */
	ck_assert_int_eq(hostkey_verify(k, "ssh-ed25519", buf_ptr(sb),
	    buf_len(sb), (const unsigned char *)"x", 1),
	    ERR_SIGNATURE_INVALID);
	/* the signature's last bit */
	sig[63] ^= 0x80;
	t = sig_blob("ssh-ed25519", sig, 64);
	ck_assert_int_eq(hostkey_verify(k, "ssh-ed25519", buf_ptr(t),
	    buf_len(t), msg, mlen), ERR_SIGNATURE_INVALID);
	buf_free(t);
	sig[63] ^= 0x80;
	/* 64 bytes exactly */
	t = sig_blob("ssh-ed25519", sig, 63);
	ck_assert_int_eq(hostkey_verify(k, "ssh-ed25519", buf_ptr(t),
	    buf_len(t), msg, mlen), ERR_INVALID_FORMAT);
	buf_free(t);
	{
		unsigned char longer[65];

		memcpy(longer, sig, 64);
		longer[64] = 0;
		t = sig_blob("ssh-ed25519", longer, 65);
		ck_assert_int_eq(hostkey_verify(k, "ssh-ed25519", buf_ptr(t),
		    buf_len(t), msg, mlen), ERR_INVALID_FORMAT);
		buf_free(t);
	}
	/* nothing after the signature */
	t = with_trailing(sb);
	ck_assert_int_eq(hostkey_verify(k, "ssh-ed25519", buf_ptr(t),
	    buf_len(t), msg, mlen), ERR_INVALID_FORMAT);
	buf_free(t);
	/* algorithm names: the negotiated one must be Ed25519's, and the
	 * signature must name it */
	ck_assert_int_eq(hostkey_verify(k, "rsa-sha2-256", buf_ptr(sb),
	    buf_len(sb), msg, mlen), ERR_SIGNATURE_INVALID);
	ck_assert_int_eq(hostkey_verify(k, "ecdsa-sha2-nistp256", buf_ptr(sb),
	    buf_len(sb), msg, mlen), ERR_SIGNATURE_INVALID);
	ck_assert_int_eq(hostkey_verify(k, NULL, buf_ptr(sb), buf_len(sb),
	    msg, mlen), ERR_SIGNATURE_INVALID);
	ck_assert_int_eq(hostkey_verify(k, "ssh-ed448", buf_ptr(sb),
	    buf_len(sb), msg, mlen), ERR_SIGNATURE_INVALID);
	/* a good Ed25519 signature under another type's name: the name
	 * decides nothing about which verifier runs */
	t = sig_blob("rsa-sha2-256", sig, 64);
	ck_assert_int_eq(hostkey_verify(k, "rsa-sha2-256", buf_ptr(t),
	    buf_len(t), msg, mlen), ERR_SIGNATURE_INVALID);
	buf_free(t);
	t = sig_blob("ecdsa-sha2-nistp256", sig, 64);
	ck_assert_int_eq(hostkey_verify(k, "ecdsa-sha2-nistp256", buf_ptr(t),
	    buf_len(t), msg, mlen), ERR_SIGNATURE_INVALID);
	buf_free(t);
	t = sig_blob("ssh-ed25519-cert-v01@openssh.com", sig, 64);
	ck_assert_int_eq(hostkey_verify(k, "ssh-ed25519", buf_ptr(t),
	    buf_len(t), msg, mlen), ERR_SIGNATURE_INVALID);
	buf_free(t);
	buf_free(sb);
	hostkey_free(k);
	buf_free(blob);
}
END_TEST

START_TEST(test_ed25519_bad_keys)
{
	unsigned char pk[33];
	struct buf *b, *t;

	memset(pk, 0x42, sizeof(pk));
	b = ed25519_blob(pk, 31);
	ck_assert_int_eq(parse_err(buf_ptr(b), buf_len(b)), ERR_KEY_INVALID);
	buf_free(b);
	b = ed25519_blob(pk, 33);
	ck_assert_int_eq(parse_err(buf_ptr(b), buf_len(b)), ERR_KEY_INVALID);
	buf_free(b);
	b = ed25519_blob(pk, 32);
	t = with_trailing(b);
	ck_assert_int_eq(parse_err(buf_ptr(t), buf_len(t)), ERR_KEY_INVALID);
	ck_assert_int_eq(parse_err(buf_ptr(b), buf_len(b)), ERR_OK);
	buf_free(t);
	buf_free(b);
}
END_TEST

START_TEST(test_ed25519_sweep)
{
	unsigned char pk[32], sk[64], sig[64];
	unsigned long long slen;
	struct buf *blob, *sb;

	/* a key and signature over DATA, made by libsodium */
	crypto_sign_keypair(pk, sk);
	ck_assert_int_eq(crypto_sign_detached(sig, &slen, DATA, DATALEN, sk),
	    0);
	blob = ed25519_blob(pk, 32);
	sb = sig_blob("ssh-ed25519", sig, 64);
	sweep(blob, "ssh-ed25519", sb);
	buf_free(blob);
	buf_free(sb);
}
END_TEST

/* ---- ECDSA (RFC 5656) */

static const struct {
	const char *name, *curve;
	int nid;
	const EVP_MD *(*md)(void);
	unsigned int bits;
	enum hostkey_type type;
} ecdsa[] = {
	{ "ecdsa-sha2-nistp256", "nistp256", NID_X9_62_prime256v1,
	    EVP_sha256, 256, HOSTKEY_ECDSA_P256 },
	{ "ecdsa-sha2-nistp384", "nistp384", NID_secp384r1, EVP_sha384,
	    384, HOSTKEY_ECDSA_P384 },
	{ "ecdsa-sha2-nistp521", "nistp521", NID_secp521r1, EVP_sha512,
	    521, HOSTKEY_ECDSA_P521 },
};

static EVP_PKEY *
ec_key(int nid)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", OBJ_nid2sn(nid));

	ck_assert_ptr_nonnull(key);
	return key;
}

static size_t
ec_point(EVP_PKEY *key, unsigned char *point, size_t max)
{
	size_t len = 0;

	ck_assert_int_eq(EVP_PKEY_get_octet_string_param(key,
	    OSSL_PKEY_PARAM_PUB_KEY, point, max, &len), 1);
	return len;
}

static struct buf *
ecdsa_blob_raw(const char *name, const char *curve,
    const unsigned char *point, size_t len)
{
	struct buf *b = new_buf();

	ck_assert_int_eq(buf_put_cstring(b, name), ERR_OK);
	ck_assert_int_eq(buf_put_cstring(b, curve), ERR_OK);
	ck_assert_int_eq(buf_put_string(b, point, len), ERR_OK);
	return b;
}

static struct buf *
ecdsa_blob(EVP_PKEY *key, int i)
{
	unsigned char point[200];
	size_t len = ec_point(key, point, sizeof(point));

	return ecdsa_blob_raw(ecdsa[i].name, ecdsa[i].curve, point, len);
}

/* OpenSSL signs (DER); we re-encode r and s as RFC 5656 wants. */
static void
ecdsa_sign_rs(EVP_PKEY *key, const EVP_MD *md, const unsigned char *data,
    size_t len, BIGNUM **r, BIGNUM **s)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char der[256];
	const unsigned char *p = der;
	size_t derlen = sizeof(der);
	ECDSA_SIG *es;

	ck_assert_ptr_nonnull(ctx);
	ck_assert_int_eq(EVP_DigestSignInit(ctx, NULL, md, NULL, key), 1);
	ck_assert_int_eq(EVP_DigestSign(ctx, der, &derlen, data, len), 1);
	ck_assert_ptr_nonnull(es = d2i_ECDSA_SIG(NULL, &p, (long)derlen));
	*r = BN_dup(ECDSA_SIG_get0_r(es));
	*s = BN_dup(ECDSA_SIG_get0_s(es));
	ck_assert_ptr_nonnull(*r);
	ck_assert_ptr_nonnull(*s);
	ECDSA_SIG_free(es);
	EVP_MD_CTX_free(ctx);
}

static struct buf *
ecdsa_sig_from_rs(const char *name, const BIGNUM *r, const BIGNUM *s)
{
	struct buf *inner = new_buf(), *b;

	put_bn(inner, r);
	put_bn(inner, s);
	b = sig_blob(name, buf_ptr(inner), buf_len(inner));
	buf_free(inner);
	return b;
}

static struct buf *
ecdsa_sign(EVP_PKEY *key, const EVP_MD *md, const char *name)
{
	BIGNUM *r, *s;
	struct buf *b;

	ecdsa_sign_rs(key, md, DATA, DATALEN, &r, &s);
	b = ecdsa_sig_from_rs(name, r, s);
	BN_free(r);
	BN_free(s);
	return b;
}

START_TEST(test_ecdsa_verify)
{
	EVP_PKEY *key = ec_key(ecdsa[_i].nid), *other = ec_key(ecdsa[_i].nid);
	struct buf *blob = ecdsa_blob(key, _i), *sb, *t;
	struct hostkey *k = parse_ok(blob), *k2;
	const unsigned char *bp;
	size_t blen, j;
	BIGNUM *r, *s, *order, *zero;
	EC_GROUP *group = EC_GROUP_new_by_curve_name(ecdsa[_i].nid);

	ck_assert_ptr_nonnull(group);
	ck_assert_int_eq(hostkey_type(k), ecdsa[_i].type);
	ck_assert_str_eq(hostkey_type_name(k), ecdsa[_i].name);
	ck_assert_uint_eq(hostkey_bits(k), ecdsa[_i].bits);
	ck_assert_int_eq(hostkey_type_for_alg(ecdsa[_i].name),
	    (int)ecdsa[_i].type);
	hostkey_blob(k, &bp, &blen);
	ck_assert_uint_eq(blen, buf_len(blob));
	ck_assert_mem_eq(bp, buf_ptr(blob), blen);

	sb = ecdsa_sign(key, ecdsa[_i].md(), ecdsa[_i].name);
	ck_assert_int_eq(verify(k, ecdsa[_i].name, sb), ERR_OK);
	ck_assert_int_eq(hostkey_verify(k, ecdsa[_i].name, buf_ptr(sb),
	    buf_len(sb), DATA, DATALEN - 1), ERR_SIGNATURE_INVALID);
	/* another key of the same curve */
	k2 = NULL;
	t = ecdsa_blob(other, _i);
	k2 = parse_ok(t);
	ck_assert_int_eq(hostkey_equal(k, k2), 0);
	ck_assert_int_eq(verify(k2, ecdsa[_i].name, sb), ERR_SIGNATURE_INVALID);
	hostkey_free(k2);
	buf_free(t);
	/* the other ECDSA names and the other key types' names */
	for (j = 0; j < 3; j++) {
		if (j == (size_t)_i)
			continue;
		ck_assert_int_eq(verify(k, ecdsa[j].name, sb),
		    ERR_SIGNATURE_INVALID);
		t = ecdsa_sign(key, ecdsa[_i].md(), ecdsa[j].name);
		ck_assert_int_eq(verify(k, ecdsa[_i].name, t),
		    ERR_SIGNATURE_INVALID);
		ck_assert_int_eq(verify(k, ecdsa[j].name, t),
		    ERR_SIGNATURE_INVALID);
		buf_free(t);
		/* the hash goes with the curve: signed with another one */
		t = ecdsa_sign(key, ecdsa[j].md(), ecdsa[_i].name);
		ck_assert_int_eq(verify(k, ecdsa[_i].name, t),
		    ERR_SIGNATURE_INVALID);
		buf_free(t);
	}
	ck_assert_int_eq(verify(k, "ssh-ed25519", sb), ERR_SIGNATURE_INVALID);
	ck_assert_int_eq(verify(k, "rsa-sha2-256", sb), ERR_SIGNATURE_INVALID);
	/* trailing bytes, outside and inside */
	t = with_trailing(sb);
	ck_assert_int_eq(verify(k, ecdsa[_i].name, t), ERR_INVALID_FORMAT);
	buf_free(t);
	ecdsa_sign_rs(key, ecdsa[_i].md(), DATA, DATALEN, &r, &s);
	{
		struct buf *inner = new_buf();

		put_bn(inner, r);
		put_bn(inner, s);
		ck_assert_int_eq(buf_put_u8(inner, 0), ERR_OK);
		t = sig_blob(ecdsa[_i].name, buf_ptr(inner), buf_len(inner));
		ck_assert_int_eq(verify(k, ecdsa[_i].name, t),
		    ERR_INVALID_FORMAT);
		buf_free(t);
		buf_free(inner);
		/* r alone */
		inner = new_buf();
		put_bn(inner, r);
		t = sig_blob(ecdsa[_i].name, buf_ptr(inner), buf_len(inner));
		ck_assert_int_eq(verify(k, ecdsa[_i].name, t),
		    ERR_INVALID_FORMAT);
		buf_free(t);
		buf_free(inner);
	}
	/* s swapped for r, r + order, zero */
	t = ecdsa_sig_from_rs(ecdsa[_i].name, s, r);
	ck_assert_int_eq(verify(k, ecdsa[_i].name, t), ERR_SIGNATURE_INVALID);
	buf_free(t);
	ck_assert_ptr_nonnull(order = BN_dup(EC_GROUP_get0_order(group)));
	ck_assert(BN_add(order, order, r));
	t = ecdsa_sig_from_rs(ecdsa[_i].name, order, s);
	ck_assert_int_eq(verify(k, ecdsa[_i].name, t), ERR_SIGNATURE_INVALID);
	buf_free(t);
	ck_assert_ptr_nonnull(zero = BN_new());
	BN_zero(zero);
	t = ecdsa_sig_from_rs(ecdsa[_i].name, zero, s);
	ck_assert_int_eq(verify(k, ecdsa[_i].name, t), ERR_SIGNATURE_INVALID);
	buf_free(t);
	t = ecdsa_sig_from_rs(ecdsa[_i].name, r, zero);
	ck_assert_int_eq(verify(k, ecdsa[_i].name, t), ERR_SIGNATURE_INVALID);
	buf_free(t);
	/* and r, s themselves, once more, are fine */
	t = ecdsa_sig_from_rs(ecdsa[_i].name, r, s);
	ck_assert_int_eq(verify(k, ecdsa[_i].name, t), ERR_OK);
	buf_free(t);

	BN_free(r);
	BN_free(s);
	BN_free(order);
	BN_free(zero);
	EC_GROUP_free(group);
	buf_free(sb);
	hostkey_free(k);
	buf_free(blob);
	EVP_PKEY_free(key);
	EVP_PKEY_free(other);
}
END_TEST

START_TEST(test_ecdsa_bad_keys)
{
	EVP_PKEY *key = ec_key(ecdsa[_i].nid);
	unsigned char point[200], bad[200];
	size_t len = ec_point(key, point, sizeof(point)), field = (len - 1) / 2;
	size_t j;
	struct buf *b, *t;

	ck_assert_uint_eq(point[0], 4);
	/* the curve name must be the type's */
	for (j = 0; j < 3; j++) {
		if (j == (size_t)_i)
			continue;
		b = ecdsa_blob_raw(ecdsa[_i].name, ecdsa[j].curve, point, len);
		ck_assert_int_eq(parse_err(buf_ptr(b), buf_len(b)),
		    ERR_KEY_INVALID);
		buf_free(b);
		b = ecdsa_blob_raw(ecdsa[j].name, ecdsa[_i].curve, point, len);
		ck_assert_int_eq(parse_err(buf_ptr(b), buf_len(b)),
		    ERR_KEY_INVALID);
		buf_free(b);
	}
	b = ecdsa_blob_raw(ecdsa[_i].name, "", point, len);
	ck_assert_int_eq(parse_err(buf_ptr(b), buf_len(b)), ERR_KEY_INVALID);
	buf_free(b);
	/* off the curve */
	memcpy(bad, point, len);
	bad[len - 1] ^= 1;
	b = ecdsa_blob_raw(ecdsa[_i].name, ecdsa[_i].curve, bad, len);
	ck_assert_int_eq(parse_err(buf_ptr(b), buf_len(b)), ERR_KEY_INVALID);
	buf_free(b);
	/* compressed */
	memcpy(bad, point, 1 + field);
	bad[0] = 2 + (point[len - 1] & 1);
	b = ecdsa_blob_raw(ecdsa[_i].name, ecdsa[_i].curve, bad, 1 + field);
	ck_assert_int_eq(parse_err(buf_ptr(b), buf_len(b)), ERR_KEY_INVALID);
	buf_free(b);
	/* infinity, (0, 0), empty, short */
	bad[0] = 0;
	b = ecdsa_blob_raw(ecdsa[_i].name, ecdsa[_i].curve, bad, 1);
	ck_assert_int_eq(parse_err(buf_ptr(b), buf_len(b)), ERR_KEY_INVALID);
	buf_free(b);
	memset(bad, 0, len);
	bad[0] = 4;
	b = ecdsa_blob_raw(ecdsa[_i].name, ecdsa[_i].curve, bad, len);
	ck_assert_int_eq(parse_err(buf_ptr(b), buf_len(b)), ERR_KEY_INVALID);
	buf_free(b);
	b = ecdsa_blob_raw(ecdsa[_i].name, ecdsa[_i].curve, bad, 0);
	ck_assert_int_eq(parse_err(buf_ptr(b), buf_len(b)), ERR_KEY_INVALID);
	buf_free(b);
	b = ecdsa_blob_raw(ecdsa[_i].name, ecdsa[_i].curve, point, len - 1);
	ck_assert_int_eq(parse_err(buf_ptr(b), buf_len(b)), ERR_KEY_INVALID);
	buf_free(b);
	/* trailing bytes after the point's string */
	b = ecdsa_blob_raw(ecdsa[_i].name, ecdsa[_i].curve, point, len);
	ck_assert_int_eq(parse_err(buf_ptr(b), buf_len(b)), ERR_OK);
	t = with_trailing(b);
	ck_assert_int_eq(parse_err(buf_ptr(t), buf_len(t)), ERR_KEY_INVALID);
	buf_free(t);
	buf_free(b);
	EVP_PKEY_free(key);
}
END_TEST

START_TEST(test_ecdsa_sweep)
{
	EVP_PKEY *key = ec_key(ecdsa[_i].nid);
	struct buf *blob = ecdsa_blob(key, _i);
	struct buf *sb = ecdsa_sign(key, ecdsa[_i].md(), ecdsa[_i].name);

	sweep(blob, ecdsa[_i].name, sb);
	buf_free(blob);
	buf_free(sb);
	EVP_PKEY_free(key);
}
END_TEST

/* ---- RSA (RFC 4253 section 6.6, RFC 8332) */

static EVP_PKEY *rsa2048;

static void
rsa_setup(void)
{
	rsa2048 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
}

static void
rsa_teardown(void)
{
	EVP_PKEY_free(rsa2048);
	rsa2048 = NULL;
}

static struct buf *
rsa_blob_bn(const BIGNUM *e, const BIGNUM *n)
{
	struct buf *b = new_buf();

	ck_assert_int_eq(buf_put_cstring(b, "ssh-rsa"), ERR_OK);
	put_bn(b, e);
	put_bn(b, n);
	return b;
}

static struct buf *
rsa_blob(EVP_PKEY *key)
{
	BIGNUM *e = NULL, *n = NULL;
	struct buf *b;

	ck_assert_int_eq(EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e),
	    1);
	ck_assert_int_eq(EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n),
	    1);
	b = rsa_blob_bn(e, n);
	BN_free(e);
	BN_free(n);
	return b;
}

static size_t
rsa_sign_raw(EVP_PKEY *key, const EVP_MD *md, const unsigned char *data,
    size_t len, unsigned char *sig, size_t max)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t slen = max;

	ck_assert_ptr_nonnull(ctx);
	ck_assert_int_eq(EVP_DigestSignInit(ctx, NULL, md, NULL, key), 1);
	ck_assert_int_eq(EVP_DigestSign(ctx, sig, &slen, data, len), 1);
	EVP_MD_CTX_free(ctx);
	return slen;
}

static struct buf *
rsa_sign(EVP_PKEY *key, const EVP_MD *md, const char *name)
{
	unsigned char sig[1024];
	size_t len = rsa_sign_raw(key, md, DATA, DATALEN, sig, sizeof(sig));

	return sig_blob(name, sig, len);
}

static const struct {
	const char *name;
	const EVP_MD *(*md)(void);
} rsa_algs[] = {
	{ "rsa-sha2-256", EVP_sha256 },
	{ "rsa-sha2-512", EVP_sha512 },
	{ "ssh-rsa", EVP_sha1 },
};

START_TEST(test_rsa_verify)
{
	struct buf *blob, *sig[3][3], *t;
	struct hostkey *k;
	size_t a, b, h;
	int want;

	ck_assert_ptr_nonnull(rsa2048);
	blob = rsa_blob(rsa2048);
	k = parse_ok(blob);
	ck_assert_int_eq(hostkey_type(k), HOSTKEY_RSA);
	ck_assert_str_eq(hostkey_type_name(k), "ssh-rsa");
	ck_assert_uint_eq(hostkey_bits(k), 2048);
	/* sig[h][a]: hashed with rsa_algs[h]'s hash, named rsa_algs[a] */
	for (h = 0; h < 3; h++)
		for (a = 0; a < 3; a++)
			sig[h][a] = rsa_sign(rsa2048, rsa_algs[h].md(),
			    rsa_algs[a].name);
	/*
	 * Negotiated b: only the signature named b and hashed as b
	 * verifies.  In particular ssh-rsa (SHA-1) never passes under a
	 * negotiated rsa-sha2-*, nor rsa-sha2-* under ssh-rsa.
	 */
	for (b = 0; b < 3; b++)
		for (h = 0; h < 3; h++)
			for (a = 0; a < 3; a++) {
				want = h == b && a == b ? ERR_OK :
				    ERR_SIGNATURE_INVALID;
				ck_assert_msg(verify(k, rsa_algs[b].name,
				    sig[h][a]) == want,
				    "negotiated %s, hash of %s, named %s",
				    rsa_algs[b].name, rsa_algs[h].name,
				    rsa_algs[a].name);
			}
	ck_assert_int_eq(verify(k, "ssh-ed25519", sig[0][0]),
	    ERR_SIGNATURE_INVALID);
	ck_assert_int_eq(verify(k, "rsa-sha2-384", sig[0][0]),
	    ERR_SIGNATURE_INVALID);
	ck_assert_int_eq(verify(k, "ssh-rsa-cert-v01@openssh.com", sig[0][0]),
	    ERR_SIGNATURE_INVALID);
	ck_assert_int_eq(hostkey_verify(k, "rsa-sha2-256", buf_ptr(sig[0][0]),
	    buf_len(sig[0][0]), DATA, DATALEN - 1), ERR_SIGNATURE_INVALID);
	t = with_trailing(sig[1][1]);
	ck_assert_int_eq(verify(k, "rsa-sha2-512", t), ERR_INVALID_FORMAT);
	buf_free(t);
	/* longer than the modulus, even by a leading zero */
	{
		unsigned char s[257];

		s[0] = 0;
		ck_assert_uint_eq(rsa_sign_raw(rsa2048, EVP_sha256(), DATA,
		    DATALEN, s + 1, 256), 256);
		t = sig_blob("rsa-sha2-256", s + 1, 256);
		ck_assert_int_eq(verify(k, "rsa-sha2-256", t), ERR_OK);
		buf_free(t);
		t = sig_blob("rsa-sha2-256", s, 257);
		ck_assert_int_eq(verify(k, "rsa-sha2-256", t),
		    ERR_SIGNATURE_INVALID);
		buf_free(t);
		t = sig_blob("rsa-sha2-256", s, 0);
		ck_assert_int_eq(verify(k, "rsa-sha2-256", t),
		    ERR_SIGNATURE_INVALID);
		buf_free(t);
	}
	for (h = 0; h < 3; h++)
		for (a = 0; a < 3; a++)
			buf_free(sig[h][a]);
	hostkey_free(k);
	buf_free(blob);
}
END_TEST

/*
 * Some signers drop a signature's leading zero bytes; OpenSSH's
 * ssh_rsa_verify() pads them back.  Find a message whose signature
 * starts with a zero byte (about one in 256) and send it shortened.
 */
START_TEST(test_rsa_short_signature)
{
	unsigned char sig[256], msg[4];
	struct buf *blob, *t;
	struct hostkey *k;
	uint32_t i;
	int found = 0;

	ck_assert_ptr_nonnull(rsa2048);
	blob = rsa_blob(rsa2048);
	k = parse_ok(blob);
	for (i = 0; i < 20000 && !found; i++) {
		memcpy(msg, &i, sizeof(msg));
		ck_assert_uint_eq(rsa_sign_raw(rsa2048, EVP_sha512(), msg,
		    sizeof(msg), sig, sizeof(sig)), 256);
		if (sig[0] != 0)
			continue;
		found = 1;
		t = sig_blob("rsa-sha2-512", sig + 1, 255);
		ck_assert_int_eq(hostkey_verify(k, "rsa-sha2-512", buf_ptr(t),
		    buf_len(t), msg, sizeof(msg)), ERR_OK);
		buf_free(t);
		/* a zero dropped from anywhere else is a different number */
		sig[0] = sig[1];
		sig[1] = 0;
		t = sig_blob("rsa-sha2-512", sig, 255);
		ck_assert_int_eq(hostkey_verify(k, "rsa-sha2-512", buf_ptr(t),
		    buf_len(t), msg, sizeof(msg)), ERR_SIGNATURE_INVALID);
		buf_free(t);
	}
	ck_assert(found);
	hostkey_free(k);
	buf_free(blob);
}
END_TEST

START_TEST(test_rsa_sweep)
{
	struct buf *blob, *sb;

	ck_assert_ptr_nonnull(rsa2048);
	blob = rsa_blob(rsa2048);
	sb = rsa_sign(rsa2048, EVP_sha256(), "rsa-sha2-256");
	sweep(blob, "rsa-sha2-256", sb);
	buf_free(blob);
	buf_free(sb);
}
END_TEST

/* An odd number of exactly bits bits (no RSA modulus, but the parser
 * only looks at its size and parity). */
static BIGNUM *
odd_of_bits(int bits)
{
	BIGNUM *n = BN_new();

	ck_assert_ptr_nonnull(n);
	ck_assert(BN_rand(n, bits, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ODD));
	ck_assert_int_eq(BN_num_bits(n), bits);
	return n;
}

START_TEST(test_rsa_bad_keys)
{
	BIGNUM *e = BN_new(), *n, *t;
	EVP_PKEY *small;
	struct buf *b, *tb;
	struct hostkey *k;

	ck_assert_ptr_nonnull(e);
	ck_assert(BN_set_word(e, 65537));
	/* the size bounds: 1024 and 16384 bits in, one bit less or more
	 * out */
	n = odd_of_bits(1024);
	b = rsa_blob_bn(e, n);
	k = parse_ok(b);
	ck_assert_uint_eq(hostkey_bits(k), 1024);
	hostkey_free(k);
	buf_free(b);
	BN_free(n);
	n = odd_of_bits(1023);
	b = rsa_blob_bn(e, n);
	ck_assert_int_eq(parse_err(buf_ptr(b), buf_len(b)), ERR_KEY_INVALID);
	buf_free(b);
	BN_free(n);
	n = odd_of_bits(16384);
	b = rsa_blob_bn(e, n);
	k = parse_ok(b);
	ck_assert_uint_eq(hostkey_bits(k), 16384);
	hostkey_free(k);
	buf_free(b);
	BN_free(n);
	n = odd_of_bits(16385);
	b = rsa_blob_bn(e, n);
	ck_assert_int_eq(parse_err(buf_ptr(b), buf_len(b)), ERR_KEY_INVALID);
	buf_free(b);
	BN_free(n);
	/* a real key under the bound */
	ck_assert_ptr_nonnull(small = EVP_PKEY_Q_keygen(NULL, NULL, "RSA",
	    (size_t)768));
	b = rsa_blob(small);
	ck_assert_int_eq(parse_err(buf_ptr(b), buf_len(b)), ERR_KEY_INVALID);
	buf_free(b);
	EVP_PKEY_free(small);

	n = odd_of_bits(2048);
	/* even n */
	ck_assert_ptr_nonnull(t = BN_dup(n));
	ck_assert(BN_sub_word(t, 1));
	b = rsa_blob_bn(e, t);
	ck_assert_int_eq(parse_err(buf_ptr(b), buf_len(b)), ERR_KEY_INVALID);
	buf_free(b);
	/* e even, 1, 0, and not below n */
	ck_assert(BN_set_word(t, 65536));
	b = rsa_blob_bn(t, n);
	ck_assert_int_eq(parse_err(buf_ptr(b), buf_len(b)), ERR_KEY_INVALID);
	buf_free(b);
	ck_assert(BN_set_word(t, 1));
	b = rsa_blob_bn(t, n);
	ck_assert_int_eq(parse_err(buf_ptr(b), buf_len(b)), ERR_KEY_INVALID);
	buf_free(b);
	BN_zero(t);
	b = rsa_blob_bn(t, n);
	ck_assert_int_eq(parse_err(buf_ptr(b), buf_len(b)), ERR_KEY_INVALID);
	buf_free(b);
	b = rsa_blob_bn(n, n);
	ck_assert_int_eq(parse_err(buf_ptr(b), buf_len(b)), ERR_KEY_INVALID);
	buf_free(b);
	ck_assert(BN_set_word(t, 3));   /* the smallest good e */
	b = rsa_blob_bn(t, n);
	ck_assert_int_eq(parse_err(buf_ptr(b), buf_len(b)), ERR_OK);
	/* trailing bytes */
	tb = with_trailing(b);
	ck_assert_int_eq(parse_err(buf_ptr(tb), buf_len(tb)), ERR_KEY_INVALID);
	buf_free(tb);
	buf_free(b);
	/* a negative or padded mpint */
	b = new_buf();
	ck_assert_int_eq(buf_put_cstring(b, "ssh-rsa"), ERR_OK);
	ck_assert_int_eq(buf_put_string(b, "\x01\x00\x01", 3), ERR_OK);
	ck_assert_int_eq(buf_put_string(b, "\x80\x01", 2), ERR_OK);
	ck_assert_int_eq(parse_err(buf_ptr(b), buf_len(b)), ERR_KEY_INVALID);
	buf_free(b);
	b = new_buf();
	ck_assert_int_eq(buf_put_cstring(b, "ssh-rsa"), ERR_OK);
	ck_assert_int_eq(buf_put_string(b, "\x00\x01\x00\x01", 4), ERR_OK);
	put_bn(b, n);
	ck_assert_int_eq(parse_err(buf_ptr(b), buf_len(b)), ERR_KEY_INVALID);
	buf_free(b);
	BN_free(t);
	BN_free(n);
	BN_free(e);
}
END_TEST

/* ---- names, types, equality */

START_TEST(test_unknown_types)
{
	static const char *const names[] = {
		"ssh-dss", "ssh-ed448", "ssh-ed25519-cert-v01@openssh.com",
		"sk-ssh-ed25519@openssh.com", "rsa-sha2-256",
		"ecdsa-sha2-nistp224",
		"SSH-ED25519", "ssh-ed25519 ", "",
	};
	unsigned char pk[32] = { 9 };
	struct buf *b;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		b = new_buf();
		ck_assert_int_eq(buf_put_cstring(b, names[i]), ERR_OK);
		ck_assert_int_eq(buf_put_string(b, pk, 32), ERR_OK);
		ck_assert_msg(parse_err(buf_ptr(b), buf_len(b)) ==
		    ERR_KEY_TYPE_UNKNOWN, "%s", names[i]);
		buf_free(b);
	}
	/* a NUL inside the name */
	b = new_buf();
	ck_assert_int_eq(buf_put_string(b, "ssh-ed25519\0", 12), ERR_OK);
	ck_assert_int_eq(buf_put_string(b, pk, 32), ERR_OK);
	ck_assert_int_eq(parse_err(buf_ptr(b), buf_len(b)),
	    ERR_KEY_TYPE_UNKNOWN);
	buf_free(b);
	/* no name at all */
	ck_assert_int_eq(parse_err((const unsigned char *)"", 0),
	    ERR_KEY_INVALID);
	ck_assert_int_eq(parse_err((const unsigned char *)"\0\0\0\x20", 4),
	    ERR_KEY_INVALID);
	ck_assert_int_eq(parse_err((const unsigned char *)"\xff\xff\xff\xff",
	    4), ERR_KEY_INVALID);
}
END_TEST

START_TEST(test_type_for_alg)
{
	ck_assert_int_eq(hostkey_type_for_alg("ssh-ed25519"), HOSTKEY_ED25519);
	ck_assert_int_eq(hostkey_type_for_alg("ecdsa-sha2-nistp256"),
	    HOSTKEY_ECDSA_P256);
	ck_assert_int_eq(hostkey_type_for_alg("ecdsa-sha2-nistp384"),
	    HOSTKEY_ECDSA_P384);
	ck_assert_int_eq(hostkey_type_for_alg("ecdsa-sha2-nistp521"),
	    HOSTKEY_ECDSA_P521);
	ck_assert_int_eq(hostkey_type_for_alg("rsa-sha2-256"), HOSTKEY_RSA);
	ck_assert_int_eq(hostkey_type_for_alg("rsa-sha2-512"), HOSTKEY_RSA);
	ck_assert_int_eq(hostkey_type_for_alg("ssh-rsa"), HOSTKEY_RSA);
	ck_assert_int_eq(hostkey_type_for_alg("ssh-dss"), -1);
	ck_assert_int_eq(hostkey_type_for_alg(
	    "ssh-ed25519-cert-v01@openssh.com"), -1);
	ck_assert_int_eq(hostkey_type_for_alg(
	    "rsa-sha2-256-cert-v01@openssh.com"), -1);
	ck_assert_int_eq(hostkey_type_for_alg(
	    "sk-ssh-ed25519@openssh.com"), -1);
	ck_assert_int_eq(hostkey_type_for_alg(""), -1);
	ck_assert_int_eq(hostkey_type_for_alg(NULL), -1);
}
END_TEST

START_TEST(test_equal)
{
	unsigned char pk[32];
	struct buf *b1, *b2;
	struct hostkey *a, *a2, *c;

	hex_to_bin(rfc8032[0].public, pk, 32);
	b1 = ed25519_blob(pk, 32);
	hex_to_bin(rfc8032[1].public, pk, 32);
	b2 = ed25519_blob(pk, 32);
	a = parse_ok(b1);
	a2 = parse_ok(b1);
	c = parse_ok(b2);
	ck_assert_int_eq(hostkey_equal(a, a2), 1);
	ck_assert_int_eq(hostkey_equal(a, a), 1);
	ck_assert_int_eq(hostkey_equal(a, c), 0);
	ck_assert_int_eq(hostkey_equal(a, NULL), 0);
	ck_assert_int_eq(hostkey_equal(NULL, a), 0);
	hostkey_free(a);
	hostkey_free(a2);
	hostkey_free(c);
	hostkey_free(NULL);
	buf_free(b1);
	buf_free(b2);
}
END_TEST

/* ---- fingerprints against ssh-keygen */

/* Runs `ssh-keygen -lf` on a public key file holding blob and returns
 * its output line (caller frees). */
static char *
ssh_keygen_l(const char *type, const struct buf *blob)
{
	char path[] = "/tmp/check_hostkey.XXXXXX", cmd[128], line[512];
	unsigned char *b64;
	size_t n = buf_len(blob);
	FILE *f, *p;
	int fd, status;

	ck_assert_ptr_nonnull(b64 = malloc(4 * ((n + 2) / 3) + 1));
	/* OpenSSL's encoder, not the one under test */
	ck_assert_int_eq(EVP_EncodeBlock(b64, buf_ptr(blob), (int)n),
	    (int)(4 * ((n + 2) / 3)));
	ck_assert_int_ge(fd = mkstemp(path), 0);
	ck_assert_ptr_nonnull(f = fdopen(fd, "w"));
	ck_assert_int_gt(fprintf(f, "%s %s check_hostkey\n", type, b64), 0);
	ck_assert_int_eq(fclose(f), 0);
	free(b64);
	snprintf(cmd, sizeof(cmd), "ssh-keygen -lf %s 2>&1", path);
	ck_assert_ptr_nonnull(p = popen(cmd, "r"));
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), p));
	status = pclose(p);
	unlink(path);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "ssh-keygen failed: %s", line);
	return strdup(line);
}

/* "BITS SHA256:xxx comment (TYPE)" */
static void
compare_fingerprint(const struct buf *blob)
{
	struct hostkey *k = parse_ok(blob);
	char *line = ssh_keygen_l(hostkey_type_name(k), blob), *fp, want[128];
	unsigned int bits;

	ck_assert_ptr_nonnull(line);
	ck_assert_msg(sscanf(line, "%u %127s", &bits, want) == 2,
	    "unexpected ssh-keygen output: %s", line);
	ck_assert_ptr_nonnull(fp = hostkey_fingerprint_sha256(k));
	ck_assert_str_eq(fp, want);
	ck_assert_uint_eq(bits, hostkey_bits(k));
	/* SHA256: and 43 characters, no padding */
	ck_assert_uint_eq(strlen(fp), 7 + 43);
	ck_assert_ptr_null(strchr(fp, '='));
	free(fp);
	free(line);
	hostkey_free(k);
}

START_TEST(test_fingerprint_ssh_keygen)
{
	unsigned char pk[32];
	struct buf *b;
	EVP_PKEY *key;
	int i;

	for (i = 0; i < 3; i++) {
		hex_to_bin(rfc8032[i].public, pk, 32);
		b = ed25519_blob(pk, 32);
		compare_fingerprint(b);
		buf_free(b);
	}
	for (i = 0; i < 3; i++) {
		key = ec_key(ecdsa[i].nid);
		b = ecdsa_blob(key, i);
		compare_fingerprint(b);
		buf_free(b);
		EVP_PKEY_free(key);
	}
	ck_assert_ptr_nonnull(rsa2048);
	b = rsa_blob(rsa2048);
	compare_fingerprint(b);
	buf_free(b);
}
END_TEST

static Suite *
hostkey_suite(void)
{
	Suite *s = suite_create("hostkey");
	TCase *tc = tcase_create("core");
	TCase *sw = tcase_create("sweeps");

	tcase_add_unchecked_fixture(tc, rsa_setup, rsa_teardown);
	tcase_add_loop_test(tc, test_ed25519_rfc8032, 0, 3);
	tcase_add_test(tc, test_ed25519_bad_keys);
	tcase_add_loop_test(tc, test_ecdsa_verify, 0, 3);
	tcase_add_loop_test(tc, test_ecdsa_bad_keys, 0, 3);
	tcase_add_test(tc, test_rsa_verify);
	tcase_add_test(tc, test_rsa_short_signature);
	tcase_add_test(tc, test_rsa_bad_keys);
	tcase_add_test(tc, test_unknown_types);
	tcase_add_test(tc, test_type_for_alg);
	tcase_add_test(tc, test_equal);
	tcase_add_test(tc, test_fingerprint_ssh_keygen);
	suite_add_tcase(s, tc);
	/* thousands of parses and verifications each: slow under ASan */
	tcase_add_unchecked_fixture(sw, rsa_setup, rsa_teardown);
	tcase_set_timeout(sw, 300);
	tcase_add_test(sw, test_ed25519_sweep);
	tcase_add_loop_test(sw, test_ecdsa_sweep, 0, 3);
	tcase_add_test(sw, test_rsa_sweep);
	suite_add_tcase(s, sw);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(hostkey_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
