/*
 * The user's keys (userkey.h).  Three ways in: OpenSSH's own private key
 * format (PROTOCOL.key: "openssh-key-v1", optionally encrypted with
 * bcrypt_pbkdf and an AES mode), PEM and PKCS#8 files decoded by OpenSSL,
 * and one-line public keys and certificates (PROTOCOL.certkeys).  One
 * table of key types, each with its parsers and signer, and one of
 * signature algorithms, as in hostkey.c; every public key we build is
 * checked by hostkey_from_blob(), so weak or malformed public parts are
 * refused the same way host keys are.
 *
 * Secrets: the decoded file, the decrypted section and the derived key
 * and IV live in wiped buffers; Ed25519 keys are kept as libsodium's
 * 64-byte secret key inside struct userkey (wiped on free); ECDSA and RSA
 * keys are OpenSSL EVP_PKEYs, which OpenSSL clears when they are freed.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <sodium.h>

#include "common/base64.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/mem.h"
#include "transport/blowfish.h"
#include "transport/kexalg-int.h"
#include "transport/kexalg.h"
#include "transport/userkey.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* No key file we accept is this large (an RSA-16384 key is ~12 KiB). */
#define USERKEY_MAX_FILE (1024u * 1024)
#define USERKEY_ED25519_PK 32
#define USERKEY_ED25519_SK 64
#define USERKEY_ED25519_SEED 32
#define USERKEY_ED25519_SIG 64

#define OPENSSH_MARK_BEGIN "-----BEGIN OPENSSH PRIVATE KEY-----"
#define OPENSSH_MARK_END "-----END OPENSSH PRIVATE KEY-----"
#define OPENSSH_MAGIC "openssh-key-v1"      /* with its NUL: 15 bytes */

struct userkey;
struct userkey_sigalg;

struct userkey_impl {
	const char *name;               /* the plain key type */
	const char *cert_name;          /* its certificate type */
	enum hostkey_type type;
	const char *curve;              /* ECDSA: the blob's curve name */
	int nid;                        /* ECDSA: OpenSSL's curve */
	int pub_fields;                 /* strings/mpints after the name */
	/* The private fields of an OpenSSH key (after the type name):
	 * sets the private part of k and appends the public blob to pub.
	 * ERR_INVALID_FORMAT, ERR_KEY_INVALID, ERR_NOMEM. */
	int (*parse_private)(struct userkey *k, struct buf *b,
	    struct buf *pub);
	/* The same from a key OpenSSL decoded; takes ownership of pkey on
	 * success. */
	int (*from_pkey)(struct userkey *k, EVP_PKEY *pkey, struct buf *pub);
	/* Appends the inner signature (what goes in the "string sig"). */
	int (*sign)(const struct userkey *k, const struct userkey_sigalg *sa,
	    const unsigned char *data, size_t datalen, struct buf *out);
};

struct userkey_sigalg {
	const char *name;
	enum hostkey_type type;
	const EVP_MD *(*md)(void);      /* NULL: Ed25519 hashes itself */
};

struct userkey {
	const struct userkey_impl *impl;
	int is_cert;
	int has_private;
	unsigned char *blob;            /* the public or certificate blob */
	size_t blob_len;
	unsigned char *plain;           /* the plain public key blob */
	size_t plain_len;
	char *comment;
	unsigned char ed25519_sk[USERKEY_ED25519_SK];
	EVP_PKEY *pkey;                 /* ECDSA and RSA */
};

struct userkey_cipher {
	const char *name;
	const EVP_CIPHER *(*evp)(void); /* NULL: "none" */
	size_t key_len;
	size_t iv_len;
	size_t block_len;
	size_t tag_len;                 /* GCM: the tag after the section */
};

/* The ciphers ssh-keygen -Z can write that OpenSSL gives us cheaply;
 * OpenSSH's cipher_by_name() key, IV and block lengths. */
static const struct userkey_cipher userkey_ciphers[] = {
	{ "none", NULL, 0, 0, 8, 0 },
	{ "aes128-ctr", EVP_aes_128_ctr, 16, 16, 16, 0 },
	{ "aes192-ctr", EVP_aes_192_ctr, 24, 16, 16, 0 },
	{ "aes256-ctr", EVP_aes_256_ctr, 32, 16, 16, 0 },
	{ "aes128-cbc", EVP_aes_128_cbc, 16, 16, 16, 0 },
	{ "aes192-cbc", EVP_aes_192_cbc, 24, 16, 16, 0 },
	{ "aes256-cbc", EVP_aes_256_cbc, 32, 16, 16, 0 },
	{ "aes128-gcm@openssh.com", EVP_aes_128_gcm, 16, 12, 16, 16 },
	{ "aes256-gcm@openssh.com", EVP_aes_256_gcm, 32, 12, 16, 16 },
};

static int userkey_ed25519_private(struct userkey *, struct buf *,
    struct buf *);
static int userkey_ecdsa_private(struct userkey *, struct buf *,
    struct buf *);
static int userkey_rsa_private(struct userkey *, struct buf *, struct buf *);
static int userkey_ed25519_from_pkey(struct userkey *, EVP_PKEY *,
    struct buf *);
static int userkey_ecdsa_from_pkey(struct userkey *, EVP_PKEY *,
    struct buf *);
static int userkey_rsa_from_pkey(struct userkey *, EVP_PKEY *, struct buf *);
static int userkey_ed25519_sign(const struct userkey *,
    const struct userkey_sigalg *, const unsigned char *, size_t,
    struct buf *);
static int userkey_ecdsa_sign(const struct userkey *,
    const struct userkey_sigalg *, const unsigned char *, size_t,
    struct buf *);
static int userkey_rsa_sign(const struct userkey *,
    const struct userkey_sigalg *, const unsigned char *, size_t,
    struct buf *);

static const struct userkey_impl userkey_impls[] = {
	{ "ssh-ed25519", "ssh-ed25519-cert-v01@openssh.com", HOSTKEY_ED25519,
	    NULL, 0, 1, userkey_ed25519_private, userkey_ed25519_from_pkey,
	    userkey_ed25519_sign },
	{ "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256-cert-v01@openssh.com",
	    HOSTKEY_ECDSA_P256, "nistp256", NID_X9_62_prime256v1, 2,
	    userkey_ecdsa_private, userkey_ecdsa_from_pkey,
	    userkey_ecdsa_sign },
	{ "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384-cert-v01@openssh.com",
	    HOSTKEY_ECDSA_P384, "nistp384", NID_secp384r1, 2,
	    userkey_ecdsa_private, userkey_ecdsa_from_pkey,
	    userkey_ecdsa_sign },
	{ "ecdsa-sha2-nistp521", "ecdsa-sha2-nistp521-cert-v01@openssh.com",
	    HOSTKEY_ECDSA_P521, "nistp521", NID_secp521r1, 2,
	    userkey_ecdsa_private, userkey_ecdsa_from_pkey,
	    userkey_ecdsa_sign },
	{ "ssh-rsa", "ssh-rsa-cert-v01@openssh.com", HOSTKEY_RSA, NULL, 0, 2,
	    userkey_rsa_private, userkey_rsa_from_pkey, userkey_rsa_sign },
};

/* ECDSA hashes follow the curve (RFC 5656 section 6.2.1); RSA's follow
 * the algorithm name (RFC 8332 section 3). */
static const struct userkey_sigalg userkey_sigalgs[] = {
	{ "ssh-ed25519", HOSTKEY_ED25519, NULL },
	{ "ecdsa-sha2-nistp256", HOSTKEY_ECDSA_P256, EVP_sha256 },
	{ "ecdsa-sha2-nistp384", HOSTKEY_ECDSA_P384, EVP_sha384 },
	{ "ecdsa-sha2-nistp521", HOSTKEY_ECDSA_P521, EVP_sha512 },
	{ "rsa-sha2-256", HOSTKEY_RSA, EVP_sha256 },
	{ "rsa-sha2-512", HOSTKEY_RSA, EVP_sha512 },
	{ "ssh-rsa", HOSTKEY_RSA, EVP_sha1 },
};

/* 1 when the len bytes at s are exactly the C string name. */
static int
userkey_name_is(const unsigned char *s, size_t len, const char *name)
{
	return strlen(name) == len && memcmp(s, name, len) == 0;
}

/* The key type whose plain (cert 0) or certificate (cert 1) name this is. */
static const struct userkey_impl *
userkey_impl_by_name(const unsigned char *s, size_t len, int cert)
{
	size_t i;

	for (i = 0; i < NELEM(userkey_impls); i++)
		if (userkey_name_is(s, len, cert ? userkey_impls[i].cert_name :
		    userkey_impls[i].name))
			return &userkey_impls[i];
	return NULL;
}

static struct userkey *
userkey_new(const struct userkey_impl *impl)
{
	struct userkey *k = calloc(1, sizeof(*k));

	if (k != NULL)
		k->impl = impl;
	return k;
}

/* A BIGNUM as an mpint; ERR_NOMEM when the bytes cannot be had.  The
 * magnitude may be secret, so its copy is wiped. */
static int
userkey_put_bn(struct buf *b, const BIGNUM *v)
{
	int n = BN_num_bytes(v), r;
	unsigned char *mag;

	if ((mag = malloc(n > 0 ? (size_t)n : 1)) == NULL)
		return ERR_NOMEM;
	if (BN_bn2bin(v, mag) != n) {
		free(mag);
		return ERR_INTERNAL;
	}
	r = buf_put_bignum_bytes(b, mag, (size_t)n);
	mem_freezero(mag, n > 0 ? (size_t)n : 1);
	return r;
}

/*
 * Checks the public blob with hostkey_from_blob() (point checks, RSA size
 * bounds, ...) and keeps a copy as k's plain and (for a plain key) main
 * blob.  ERR_KEY_INVALID, ERR_KEY_TYPE_UNKNOWN or ERR_NOMEM.
 */
static int
userkey_set_plain(struct userkey *k, const unsigned char *blob, size_t len)
{
	struct hostkey *hk = NULL;
	int r;

	if ((r = hostkey_from_blob(blob, len, &hk)) != ERR_OK)
		return r == ERR_NOMEM ? r : r == ERR_KEY_TYPE_UNKNOWN ?
		    ERR_INVALID_FORMAT : ERR_KEY_INVALID;
	hostkey_free(hk);
	if ((k->plain = malloc(len)) == NULL)
		return ERR_NOMEM;
	memcpy(k->plain, blob, len);
	k->plain_len = len;
	return ERR_OK;
}

/* ---- Ed25519: OpenSSH stores string pk (32), string sk (64 = seed||pk) */

/* Recomputes the key pair from the seed and compares it with pk; the
 * secret key is left in k only when they agree. */
static int
userkey_ed25519_set(struct userkey *k, const unsigned char *seed,
    const unsigned char *pk, struct buf *pub)
{
	unsigned char derived_pk[USERKEY_ED25519_PK];
	int r;

	if ((r = kex_sodium_init()) != ERR_OK)
		return r;
	if (crypto_sign_seed_keypair(derived_pk, k->ed25519_sk, seed) != 0) {
		mem_wipe(k->ed25519_sk, sizeof(k->ed25519_sk));
		return ERR_INTERNAL;
	}
	if (sodium_memcmp(derived_pk, pk, sizeof(derived_pk)) != 0) {
		mem_wipe(k->ed25519_sk, sizeof(k->ed25519_sk));
		return ERR_KEY_INVALID;
	}
	if ((r = buf_put_cstring(pub, k->impl->name)) != ERR_OK ||
	    (r = buf_put_string(pub, pk, USERKEY_ED25519_PK)) != ERR_OK)
		return r;
	k->has_private = 1;
	return ERR_OK;
}

static int
userkey_ed25519_private(struct userkey *k, struct buf *b, struct buf *pub)
{
	const unsigned char *pk, *sk;
	size_t pklen, sklen;

	if (buf_get_string_direct(b, &pk, &pklen) != ERR_OK ||
	    buf_get_string_direct(b, &sk, &sklen) != ERR_OK)
		return ERR_INVALID_FORMAT;
	if (pklen != USERKEY_ED25519_PK || sklen != USERKEY_ED25519_SK)
		return ERR_KEY_INVALID;
	/* the second half of sk repeats pk */
	if (memcmp(sk + USERKEY_ED25519_SEED, pk, USERKEY_ED25519_PK) != 0)
		return ERR_KEY_INVALID;
	return userkey_ed25519_set(k, sk, pk, pub);
}

static int
userkey_ed25519_from_pkey(struct userkey *k, EVP_PKEY *pkey, struct buf *pub)
{
	unsigned char seed[USERKEY_ED25519_SEED], pk[USERKEY_ED25519_PK];
	size_t seedlen = sizeof(seed), pklen = sizeof(pk);
	int r;

	if (EVP_PKEY_get_raw_private_key(pkey, seed, &seedlen) != 1 ||
	    seedlen != sizeof(seed) ||
	    EVP_PKEY_get_raw_public_key(pkey, pk, &pklen) != 1 ||
	    pklen != sizeof(pk)) {
		r = ERR_KEY_INVALID;
		goto out;
	}
	if ((r = userkey_ed25519_set(k, seed, pk, pub)) != ERR_OK)
		goto out;
	/* libsodium signs from here on: the OpenSSL copy is not kept */
	EVP_PKEY_free(pkey);
 out:
	mem_wipe(seed, sizeof(seed));
	return r;
}

static int
userkey_ed25519_sign(const struct userkey *k, const struct userkey_sigalg *sa,
    const unsigned char *data, size_t datalen, struct buf *out)
{
	unsigned char sig[USERKEY_ED25519_SIG];
	int r;

	(void)sa;
	if ((r = kex_sodium_init()) != ERR_OK)
		return r;
	if (crypto_sign_detached(sig, NULL, data, datalen, k->ed25519_sk) != 0)
		return ERR_INTERNAL;
	return buf_put(out, sig, sizeof(sig));
}

/* ---- ECDSA: string curve, string Q, mpint d */

/*
 * Builds an EC key pair from the public point and the private scalar,
 * and checks that they belong together (d*G == Q, OpenSSL's pairwise
 * check) and that 0 < d < order.
 */
static int
userkey_ec_pkey(int nid, const unsigned char *q, size_t qlen,
    const unsigned char *d, size_t dlen, EVP_PKEY **pkeyp)
{
	EC_GROUP *group = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL, *cctx = NULL;
	EVP_PKEY *pkey = NULL;
	BIGNUM *bd = NULL;
	int r = ERR_NOMEM;

	*pkeyp = NULL;
	if ((group = EC_GROUP_new_by_curve_name(nid)) == NULL ||
	    (bd = BN_secure_new()) == NULL)
		goto out;
	if (dlen == 0 || BN_bin2bn(d, (int)dlen, bd) == NULL) {
		r = dlen == 0 ? ERR_KEY_INVALID : ERR_NOMEM;
		goto out;
	}
	if (BN_cmp(bd, EC_GROUP_get0_order(group)) >= 0) {
		r = ERR_KEY_INVALID;
		goto out;
	}
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
	    OBJ_nid2sn(nid), 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, q,
	    qlen) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, bd) ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1)
		goto out;
	if (EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_KEYPAIR, params) != 1) {
		pkey = NULL;
		r = ERR_KEY_INVALID;
		goto out;
	}
	if ((cctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL)) == NULL)
		goto out;
	if (EVP_PKEY_pairwise_check(cctx) != 1) {
		r = ERR_KEY_INVALID;
		goto out;
	}
	*pkeyp = pkey;
	pkey = NULL;
	r = ERR_OK;
 out:
	ERR_clear_error();
	EVP_PKEY_CTX_free(cctx);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_clear_free(bd);
	EC_GROUP_free(group);
	return r;
}

static int
userkey_ecdsa_put_pub(const struct userkey *k, const unsigned char *q,
    size_t qlen, struct buf *pub)
{
	int r;

	if ((r = buf_put_cstring(pub, k->impl->name)) != ERR_OK ||
	    (r = buf_put_cstring(pub, k->impl->curve)) != ERR_OK ||
	    (r = buf_put_string(pub, q, qlen)) != ERR_OK)
		return r;
	return ERR_OK;
}

static int
userkey_ecdsa_private(struct userkey *k, struct buf *b, struct buf *pub)
{
	const unsigned char *curve, *q, *d;
	size_t curve_len, qlen, dlen;
	int r;

	if (buf_get_string_direct(b, &curve, &curve_len) != ERR_OK ||
	    buf_get_string_direct(b, &q, &qlen) != ERR_OK ||
	    buf_get_bignum_bytes_direct(b, &d, &dlen) != ERR_OK)
		return ERR_INVALID_FORMAT;
	if (!userkey_name_is(curve, curve_len, k->impl->curve))
		return ERR_KEY_INVALID;
	/* the point itself is checked with the blob, by hostkey_from_blob() */
	if ((r = userkey_ecdsa_put_pub(k, q, qlen, pub)) != ERR_OK)
		return r;
	if ((r = userkey_ec_pkey(k->impl->nid, q, qlen, d, dlen, &k->pkey)) !=
	    ERR_OK)
		return r;
	k->has_private = 1;
	return ERR_OK;
}

/* The uncompressed point of an OpenSSL EC key, whatever form the file
 * used, from its affine coordinates. */
static int
userkey_ecdsa_from_pkey(struct userkey *k, EVP_PKEY *pkey, struct buf *pub)
{
	char group[64];
	BIGNUM *x = NULL, *y = NULL;
	EC_GROUP *g = NULL;
	EVP_PKEY_CTX *cctx = NULL;
	unsigned char *q = NULL;
	size_t flen, qlen;
	int r = ERR_KEY_INVALID;

	if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME,
	    group, sizeof(group), NULL) != 1 ||
	    OBJ_sn2nid(group) != k->impl->nid)
		goto out;
	if ((g = EC_GROUP_new_by_curve_name(k->impl->nid)) == NULL) {
		r = ERR_NOMEM;
		goto out;
	}
	flen = ((size_t)EC_GROUP_get_degree(g) + 7) / 8;
	qlen = 1 + 2 * flen;
	if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_X, &x) != 1 ||
	    EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &y) != 1)
		goto out;
	if ((q = malloc(qlen)) == NULL) {
		r = ERR_NOMEM;
		goto out;
	}
	q[0] = POINT_CONVERSION_UNCOMPRESSED;
	if (BN_bn2binpad(x, q + 1, (int)flen) < 0 ||
	    BN_bn2binpad(y, q + 1 + flen, (int)flen) < 0)
		goto out;
	if ((cctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL)) == NULL) {
		r = ERR_NOMEM;
		goto out;
	}
	if (EVP_PKEY_pairwise_check(cctx) != 1)
		goto out;
	if ((r = userkey_ecdsa_put_pub(k, q, qlen, pub)) != ERR_OK)
		goto out;
	k->pkey = pkey;
	k->has_private = 1;
	r = ERR_OK;
 out:
	ERR_clear_error();
	EVP_PKEY_CTX_free(cctx);
	EC_GROUP_free(g);
	free(q);
	BN_free(x);
	BN_free(y);
	return r;
}

/* OpenSSL's DER signature as the SSH pair mpint r, mpint s (RFC 5656
 * section 3.1.2). */
static int
userkey_ecdsa_sign(const struct userkey *k, const struct userkey_sigalg *sa,
    const unsigned char *data, size_t datalen, struct buf *out)
{
	EVP_MD_CTX *md = NULL;
	unsigned char *der = NULL;
	const unsigned char *p;
	size_t derlen = 0;
	ECDSA_SIG *esig = NULL;
	const BIGNUM *br, *bs;
	int r = ERR_INTERNAL;

	if ((md = EVP_MD_CTX_new()) == NULL) {
		r = ERR_NOMEM;
		goto out;
	}
	if (EVP_DigestSignInit(md, NULL, sa->md(), NULL, k->pkey) != 1 ||
	    EVP_DigestSign(md, NULL, &derlen, data, datalen) != 1)
		goto out;
	if ((der = malloc(derlen)) == NULL) {
		r = ERR_NOMEM;
		goto out;
	}
	if (EVP_DigestSign(md, der, &derlen, data, datalen) != 1)
		goto out;
	p = der;
	if ((esig = d2i_ECDSA_SIG(NULL, &p, (long)derlen)) == NULL)
		goto out;
	ECDSA_SIG_get0(esig, &br, &bs);
	if ((r = userkey_put_bn(out, br)) != ERR_OK ||
	    (r = userkey_put_bn(out, bs)) != ERR_OK)
		goto out;
	r = ERR_OK;
 out:
	ERR_clear_error();
	ECDSA_SIG_free(esig);
	free(der);
	EVP_MD_CTX_free(md);
	return r;
}

/* ---- RSA: OpenSSH stores mpint n, e, d, iqmp, p, q */

struct userkey_rsa_parts {
	BIGNUM *n, *e, *d, *iqmp, *p, *q;
};

static void
userkey_rsa_parts_free(struct userkey_rsa_parts *rp)
{
	BN_free(rp->n);
	BN_free(rp->e);
	BN_clear_free(rp->d);
	BN_clear_free(rp->iqmp);
	BN_clear_free(rp->p);
	BN_clear_free(rp->q);
	memset(rp, 0, sizeof(*rp));
}

/*
 * The consistency OpenSSH's ssh_rsa_complete_crt_parameters() relies on,
 * checked cheaply (no primality tests): n = p*q, e*d = 1 modulo p-1 and
 * q-1, iqmp*q = 1 modulo p.  Then, when pkeyp is not NULL, the CRT
 * exponents are computed and the key handed to OpenSSL.  The public part
 * (size, parity) is checked with the blob.  The private values are in
 * secure BIGNUMs (BN_secure_new()), so OSSL_PARAM_BLD_to_param() copies
 * them to OpenSSL's secure heap, which OSSL_PARAM_free() clears.
 */
static int
userkey_rsa_build(const struct userkey_rsa_parts *rp, EVP_PKEY **pkeyp)
{
	BN_CTX *ctx = NULL;
	BIGNUM *t = NULL, *pm1 = NULL, *qm1 = NULL, *dmp1 = NULL, *dmq1 = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	EVP_PKEY *pkey = NULL;
	int r = ERR_NOMEM;

	if (pkeyp != NULL)
		*pkeyp = NULL;
	if (BN_is_zero(rp->p) || BN_is_zero(rp->q) || BN_is_zero(rp->d) ||
	    BN_is_one(rp->p) || BN_is_one(rp->q))
		return ERR_KEY_INVALID;
	if ((ctx = BN_CTX_secure_new()) == NULL || (t = BN_secure_new()) == NULL ||
	    (pm1 = BN_secure_new()) == NULL || (qm1 = BN_secure_new()) == NULL ||
	    (dmp1 = BN_secure_new()) == NULL || (dmq1 = BN_secure_new()) == NULL)
		goto out;
	r = ERR_KEY_INVALID;
	if (!BN_mul(t, rp->p, rp->q, ctx) || BN_cmp(t, rp->n) != 0)
		goto out;
	if (!BN_sub(pm1, rp->p, BN_value_one()) ||
	    !BN_sub(qm1, rp->q, BN_value_one()) ||
	    !BN_mod(dmp1, rp->d, pm1, ctx) || !BN_mod(dmq1, rp->d, qm1, ctx))
		goto out;
	if (!BN_mod_mul(t, rp->e, rp->d, pm1, ctx) || !BN_is_one(t) ||
	    !BN_mod_mul(t, rp->e, rp->d, qm1, ctx) || !BN_is_one(t) ||
	    !BN_mod_mul(t, rp->iqmp, rp->q, rp->p, ctx) || !BN_is_one(t))
		goto out;
	if (pkeyp == NULL) {
		r = ERR_OK;
		goto out;
	}
	r = ERR_NOMEM;
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, rp->n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, rp->e) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_D, rp->d) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_FACTOR1, rp->p) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_FACTOR2, rp->q) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_EXPONENT1, dmp1) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_EXPONENT2, dmq1) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
	    rp->iqmp) ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (pctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(pctx) != 1)
		goto out;
	if (EVP_PKEY_fromdata(pctx, &pkey, EVP_PKEY_KEYPAIR, params) != 1) {
		pkey = NULL;
		r = ERR_KEY_INVALID;
		goto out;
	}
	*pkeyp = pkey;
	pkey = NULL;
	r = ERR_OK;
 out:
	ERR_clear_error();
	EVP_PKEY_free(pkey);
	EVP_PKEY_CTX_free(pctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_clear_free(t);
	BN_clear_free(pm1);
	BN_clear_free(qm1);
	BN_clear_free(dmp1);
	BN_clear_free(dmq1);
	BN_CTX_free(ctx);
	return r;
}

static int
userkey_rsa_put_pub(const struct userkey *k, const struct userkey_rsa_parts *rp,
    struct buf *pub)
{
	int r;

	if ((r = buf_put_cstring(pub, k->impl->name)) != ERR_OK ||
	    (r = userkey_put_bn(pub, rp->e)) != ERR_OK ||
	    (r = userkey_put_bn(pub, rp->n)) != ERR_OK)
		return r;
	return ERR_OK;
}

static int
userkey_get_bn(struct buf *b, BIGNUM **vp)
{
	const unsigned char *mag;
	size_t len;

	if (buf_get_bignum_bytes_direct(b, &mag, &len) != ERR_OK)
		return ERR_INVALID_FORMAT;
	if (len > 16384 / 8 + 1)
		return ERR_KEY_INVALID;
	if ((*vp = BN_secure_new()) == NULL)
		return ERR_NOMEM;
	if (BN_bin2bn(mag, (int)len, *vp) == NULL)
		return ERR_NOMEM;
	return ERR_OK;
}

static int
userkey_rsa_private(struct userkey *k, struct buf *b, struct buf *pub)
{
	struct userkey_rsa_parts rp = { 0 };
	int r;

	if ((r = userkey_get_bn(b, &rp.n)) != ERR_OK ||
	    (r = userkey_get_bn(b, &rp.e)) != ERR_OK ||
	    (r = userkey_get_bn(b, &rp.d)) != ERR_OK ||
	    (r = userkey_get_bn(b, &rp.iqmp)) != ERR_OK ||
	    (r = userkey_get_bn(b, &rp.p)) != ERR_OK ||
	    (r = userkey_get_bn(b, &rp.q)) != ERR_OK)
		goto out;
	if ((r = userkey_rsa_put_pub(k, &rp, pub)) != ERR_OK ||
	    (r = userkey_rsa_build(&rp, &k->pkey)) != ERR_OK)
		goto out;
	k->has_private = 1;
 out:
	userkey_rsa_parts_free(&rp);
	return r;
}

static int
userkey_rsa_from_pkey(struct userkey *k, EVP_PKEY *pkey, struct buf *pub)
{
	struct userkey_rsa_parts rp = { 0 };
	int r = ERR_KEY_INVALID;

	if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &rp.n) != 1 ||
	    EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &rp.e) != 1 ||
	    EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_D, &rp.d) != 1 ||
	    EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_FACTOR1,
	    &rp.p) != 1 ||
	    EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_FACTOR2,
	    &rp.q) != 1 ||
	    EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
	    &rp.iqmp) != 1)
		goto out;
	/* the same checks as for OpenSSH's format; the decoded key is kept */
	if ((r = userkey_rsa_put_pub(k, &rp, pub)) != ERR_OK ||
	    (r = userkey_rsa_build(&rp, NULL)) != ERR_OK)
		goto out;
	k->pkey = pkey;
	k->has_private = 1;
 out:
	ERR_clear_error();
	userkey_rsa_parts_free(&rp);
	return r;
}

/* PKCS #1 v1.5 (RFC 8332 section 3); the signature is as long as the
 * modulus, which OpenSSL guarantees. */
static int
userkey_rsa_sign(const struct userkey *k, const struct userkey_sigalg *sa,
    const unsigned char *data, size_t datalen, struct buf *out)
{
	EVP_MD_CTX *md = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	unsigned char *sig = NULL;
	size_t siglen = 0;
	int r = ERR_INTERNAL;

	if ((md = EVP_MD_CTX_new()) == NULL) {
		r = ERR_NOMEM;
		goto out;
	}
	if (EVP_DigestSignInit(md, &pctx, sa->md(), NULL, k->pkey) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1 ||
	    EVP_DigestSign(md, NULL, &siglen, data, datalen) != 1)
		goto out;
	if ((sig = malloc(siglen)) == NULL) {
		r = ERR_NOMEM;
		goto out;
	}
	if (EVP_DigestSign(md, sig, &siglen, data, datalen) != 1)
		goto out;
	r = buf_put(out, sig, siglen);
 out:
	ERR_clear_error();
	free(sig);
	EVP_MD_CTX_free(md);
	return r;
}

/* ---- OpenSSH's private key format (PROTOCOL.key) */

/*
 * The base64 between the markers, decoded into a secret buffer.  As
 * OpenSSH's private2_uudecode(): the file must start with the begin
 * marker, line breaks are dropped, anything else must be base64; after
 * the end marker only whitespace may follow.
 */
static int
userkey_openssh_unarmor(const unsigned char *data, size_t len,
    struct buf **outp)
{
	const size_t blen = sizeof(OPENSSH_MARK_BEGIN) - 1;
	const size_t elen = sizeof(OPENSSH_MARK_END) - 1;
	struct buf *text = NULL, *out = NULL;
	size_t i, end;
	int r = ERR_INVALID_FORMAT;

	*outp = NULL;
	if (len < blen || memcmp(data, OPENSSH_MARK_BEGIN, blen) != 0)
		return ERR_INVALID_FORMAT;
	if ((text = buf_new_secret(USERKEY_MAX_FILE)) == NULL ||
	    (out = buf_new_secret(USERKEY_MAX_FILE)) == NULL) {
		r = ERR_NOMEM;
		goto out;
	}
	for (i = blen; i < len; i++) {
		if (len - i >= elen && memcmp(data + i, OPENSSH_MARK_END,
		    elen) == 0)
			break;
		if (data[i] == '\n' || data[i] == '\r')
			continue;
		if ((r = buf_put_u8(text, data[i])) != ERR_OK)
			goto out;
	}
	if (i == len) {
		r = ERR_INVALID_FORMAT;
		goto out;
	}
	for (end = i + elen; end < len; end++)
		if (data[end] != '\n' && data[end] != '\r' &&
		    data[end] != ' ' && data[end] != '\t') {
			r = ERR_INVALID_FORMAT;
			goto out;
		}
	if ((r = base64_decode((const char *)buf_ptr(text), buf_len(text),
	    out)) != ERR_OK) {
		r = r == ERR_NOMEM ? r : ERR_INVALID_FORMAT;
		goto out;
	}
	*outp = out;
	out = NULL;
	r = ERR_OK;
 out:
	buf_free(text);
	buf_free(out);
	return r;
}

static const struct userkey_cipher *
userkey_cipher_by_name(const char *name)
{
	size_t i;

	for (i = 0; i < NELEM(userkey_ciphers); i++)
		if (strcmp(userkey_ciphers[i].name, name) == 0)
			return &userkey_ciphers[i];
	return NULL;
}

/*
 * Decrypts the private section (len bytes at enc, followed by the tag
 * for GCM) into the secret buffer out.  The KDF output is the key then
 * the IV (OpenSSH's private2_decrypt()); GCM uses no additional data.
 * ERR_PASSPHRASE_WRONG when the GCM tag does not verify.
 */
static int
userkey_decrypt(const struct userkey_cipher *c, const unsigned char *kdfout,
    const unsigned char *enc, size_t len, struct buf *out)
{
	EVP_CIPHER_CTX *ctx = NULL;
	unsigned char *dst;
	int r = ERR_INTERNAL, outl, finl;

	if (len > INT32_MAX)
		return ERR_INVALID_FORMAT;
	if ((r = buf_reserve(out, len, &dst)) != ERR_OK)
		return r;
	r = ERR_INTERNAL;
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL) {
		r = ERR_NOMEM;
		goto out;
	}
	if (EVP_DecryptInit_ex(ctx, c->evp(), NULL, NULL, NULL) != 1 ||
	    (c->tag_len != 0 && EVP_CIPHER_CTX_ctrl(ctx,
	    EVP_CTRL_GCM_SET_IVLEN, (int)c->iv_len, NULL) != 1) ||
	    EVP_DecryptInit_ex(ctx, NULL, NULL, kdfout,
	    kdfout + c->key_len) != 1 ||
	    EVP_CIPHER_CTX_set_padding(ctx, 0) != 1)
		goto out;
	if (EVP_DecryptUpdate(ctx, dst, &outl, enc, (int)len) != 1 ||
	    (size_t)outl != len)
		goto out;
	if (c->tag_len != 0 && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG,
	    (int)c->tag_len, (void *)(enc + len)) != 1)
		goto out;
	if (EVP_DecryptFinal_ex(ctx, dst + len, &finl) != 1) {
		r = c->tag_len != 0 ? ERR_PASSPHRASE_WRONG : ERR_INTERNAL;
		goto out;
	}
	r = ERR_OK;
 out:
	ERR_clear_error();
	EVP_CIPHER_CTX_free(ctx);
	if (r != ERR_OK)
		buf_reset(out);         /* secret: wiped */
	return r;
}

/*
 * The KDF: the passphrase and the options (string salt, uint32 rounds)
 * give key_len + iv_len bytes.  The number of rounds is not bounded,
 * as OpenSSH does not bound it: the file is the user's own.
 */
static int
userkey_kdf(const char *kdfname, const unsigned char *opts, size_t optslen,
    const char *passphrase, unsigned char *out, size_t outlen)
{
	struct buf *b = NULL;
	const unsigned char *salt;
	size_t saltlen;
	uint32_t rounds;
	int r = ERR_INVALID_FORMAT;

	if (strcmp(kdfname, "bcrypt") != 0)
		return ERR_KEY_TYPE_UNKNOWN;
	if ((b = buf_new_view(opts, optslen)) == NULL)
		return ERR_NOMEM;
	if (buf_get_string_direct(b, &salt, &saltlen) != ERR_OK ||
	    buf_get_u32(b, &rounds) != ERR_OK || buf_len(b) != 0)
		goto out;
	if (bcrypt_pbkdf(passphrase, strlen(passphrase), salt, saltlen, out,
	    outlen, rounds) != ERR_OK)
		goto out;                   /* no rounds, an empty salt */
	r = ERR_OK;
 out:
	buf_free(b);
	return r;
}

/* Padding 1, 2, 3, ... after the last key (OpenSSH's
 * private2_check_padding()); never a whole block of it. */
static int
userkey_check_padding(struct buf *b, size_t block_len)
{
	unsigned char pad;
	size_t i = 0;

	if (buf_len(b) >= block_len)
		return ERR_INVALID_FORMAT;
	while (buf_len(b) > 0) {
		if (buf_get_u8(b, &pad) != ERR_OK || pad != (unsigned char)++i)
			return ERR_INVALID_FORMAT;
	}
	return ERR_OK;
}

static int
userkey_parse_openssh(const unsigned char *data, size_t len,
    const char *passphrase, struct userkey **kp)
{
	static const char magic[] = OPENSSH_MAGIC;
	struct buf *raw = NULL, *dec = NULL, *pub = NULL;
	struct userkey *k = NULL;
	const struct userkey_cipher *c;
	const struct userkey_impl *impl;
	unsigned char got_magic[sizeof(magic)], kdfout[64];
	const unsigned char *kdfopts, *hdrpub, *name;
	size_t kdfopts_len, hdrpub_len, name_len;
	char *ciphername = NULL, *kdfname = NULL;
	uint32_t nkeys, enclen, check1, check2;
	int r = ERR_INTERNAL;

	if ((r = userkey_openssh_unarmor(data, len, &raw)) != ERR_OK)
		goto out;
	if (buf_get(raw, got_magic, sizeof(got_magic)) != ERR_OK ||
	    memcmp(got_magic, magic, sizeof(magic)) != 0 ||
	    buf_get_cstring(raw, &ciphername, NULL) != ERR_OK ||
	    buf_get_cstring(raw, &kdfname, NULL) != ERR_OK ||
	    buf_get_string_direct(raw, &kdfopts, &kdfopts_len) != ERR_OK ||
	    buf_get_u32(raw, &nkeys) != ERR_OK || nkeys != 1 ||
	    buf_get_string_direct(raw, &hdrpub, &hdrpub_len) != ERR_OK ||
	    buf_get_u32(raw, &enclen) != ERR_OK) {
		r = ERR_INVALID_FORMAT;
		goto out;
	}
	if ((c = userkey_cipher_by_name(ciphername)) == NULL ||
	    (strcmp(kdfname, "none") != 0 && strcmp(kdfname, "bcrypt") != 0)) {
		r = ERR_KEY_TYPE_UNKNOWN;
		goto out;
	}
	/* no cipher goes with no KDF and no KDF options, and only with them */
	if ((c->evp == NULL) != (strcmp(kdfname, "none") == 0) ||
	    (c->evp == NULL && kdfopts_len != 0)) {
		r = ERR_INVALID_FORMAT;
		goto out;
	}
	/* whole blocks, then the tag, then nothing */
	if (enclen < c->block_len || enclen % c->block_len != 0 ||
	    buf_len(raw) != (size_t)enclen + c->tag_len) {
		r = ERR_INVALID_FORMAT;
		goto out;
	}
	if ((dec = buf_new_secret(USERKEY_MAX_FILE)) == NULL ||
	    (pub = buf_new(0)) == NULL) {
		r = ERR_NOMEM;
		goto out;
	}
	if (c->evp == NULL) {
		if ((r = buf_put(dec, buf_ptr(raw), enclen)) != ERR_OK)
			goto out;
	} else {
		if (passphrase == NULL || *passphrase == '\0') {
			r = ERR_PASSPHRASE_NEEDED;
			goto out;
		}
		if ((r = userkey_kdf(kdfname, kdfopts, kdfopts_len, passphrase,
		    kdfout, c->key_len + c->iv_len)) != ERR_OK ||
		    (r = userkey_decrypt(c, kdfout, buf_ptr(raw), enclen,
		    dec)) != ERR_OK)
			goto out;
	}
	if (buf_get_u32(dec, &check1) != ERR_OK ||
	    buf_get_u32(dec, &check2) != ERR_OK) {
		r = ERR_INVALID_FORMAT;
		goto out;
	}
	/* the check bytes are how a wrong passphrase shows with CTR and CBC */
	if (check1 != check2) {
		r = c->evp != NULL ? ERR_PASSPHRASE_WRONG : ERR_INVALID_FORMAT;
		goto out;
	}
	if (buf_get_string_direct(dec, &name, &name_len) != ERR_OK) {
		r = ERR_INVALID_FORMAT;
		goto out;
	}
	if ((impl = userkey_impl_by_name(name, name_len, 0)) == NULL) {
		r = ERR_KEY_TYPE_UNKNOWN;
		goto out;
	}
	if ((k = userkey_new(impl)) == NULL) {
		r = ERR_NOMEM;
		goto out;
	}
	if ((r = impl->parse_private(k, dec, pub)) != ERR_OK)
		goto out;
	if (buf_get_cstring(dec, &k->comment, NULL) != ERR_OK ||
	    userkey_check_padding(dec, c->block_len) != ERR_OK) {
		r = ERR_INVALID_FORMAT;
		goto out;
	}
	if ((r = userkey_set_plain(k, buf_ptr(pub), buf_len(pub))) != ERR_OK)
		goto out;
	/* the clear public key in the header must be the private key's
	 * (OpenSSH's sshkey_parse_private2() compares them too) */
	if (hdrpub_len != k->plain_len ||
	    memcmp(hdrpub, k->plain, hdrpub_len) != 0) {
		r = ERR_INVALID_FORMAT;
		goto out;
	}
	*kp = k;
	k = NULL;
	r = ERR_OK;
 out:
	mem_wipe(kdfout, sizeof(kdfout));
	userkey_free(k);
	free(ciphername);
	free(kdfname);
	buf_free(pub);
	buf_free(dec);
	buf_free(raw);
	return r;
}

/* ---- PEM and PKCS#8, through OpenSSL */

struct userkey_pem_pass {
	const char *passphrase;
	int asked;
};

/* OpenSSL's passphrase callback: hands over the caller's passphrase and
 * records that one was wanted; never prompts. */
static int
userkey_pem_passphrase(char *out, int size, int rwflag, void *arg)
{
	struct userkey_pem_pass *pp = arg;
	size_t len;

	(void)rwflag;
	pp->asked = 1;
	if (pp->passphrase == NULL || *pp->passphrase == '\0')
		return -1;
	len = strlen(pp->passphrase);
	if (size < 0 || len > (size_t)size)
		return -1;
	memcpy(out, pp->passphrase, len);
	return (int)len;
}

static int
userkey_parse_pem(const unsigned char *data, size_t len,
    const char *passphrase, struct userkey **kp)
{
	struct userkey_pem_pass pp = { passphrase, 0 };
	const struct userkey_impl *impl = NULL;
	struct userkey *k = NULL;
	struct buf *pub = NULL;
	EVP_PKEY *pkey = NULL;
	BIO *bio = NULL;
	int r = ERR_INTERNAL;

	if ((bio = BIO_new_mem_buf(data, (int)len)) == NULL) {
		r = ERR_NOMEM;
		goto out;
	}
	if ((pkey = PEM_read_bio_PrivateKey_ex(bio, NULL,
	    userkey_pem_passphrase, &pp, NULL, NULL)) == NULL) {
		if (!pp.asked)
			r = ERR_INVALID_FORMAT;
		else if (passphrase == NULL || *passphrase == '\0')
			r = ERR_PASSPHRASE_NEEDED;
		else
			r = ERR_PASSPHRASE_WRONG;
		goto out;
	}
	switch (EVP_PKEY_get_base_id(pkey)) {
	case EVP_PKEY_ED25519:
		impl = &userkey_impls[0];
		break;
	case EVP_PKEY_EC: {
		char group[64];
		int nid;
		size_t i;

		if (EVP_PKEY_get_utf8_string_param(pkey,
		    OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
		    NULL) != 1) {
			r = ERR_KEY_TYPE_UNKNOWN;
			goto out;
		}
		nid = OBJ_sn2nid(group);
		for (i = 0; i < NELEM(userkey_impls); i++)
			if (userkey_impls[i].curve != NULL &&
			    userkey_impls[i].nid == nid)
				impl = &userkey_impls[i];
		break;
	}
	case EVP_PKEY_RSA:
		impl = &userkey_impls[NELEM(userkey_impls) - 1];
		break;
	default:
		break;
	}
	if (impl == NULL) {
		r = ERR_KEY_TYPE_UNKNOWN;
		goto out;
	}
	if ((k = userkey_new(impl)) == NULL || (pub = buf_new(0)) == NULL ||
	    (k->comment = strdup("")) == NULL) {
		r = ERR_NOMEM;
		goto out;
	}
	if ((r = impl->from_pkey(k, pkey, pub)) != ERR_OK)
		goto out;
	pkey = NULL;                    /* k's now (or freed) */
	if ((r = userkey_set_plain(k, buf_ptr(pub), buf_len(pub))) != ERR_OK)
		goto out;
	*kp = k;
	k = NULL;
	r = ERR_OK;
 out:
	ERR_clear_error();
	EVP_PKEY_free(pkey);
	BIO_free(bio);
	buf_free(pub);
	userkey_free(k);
	return r;
}

/* ---- public functions */

static int
userkey_finish(struct userkey *k)
{
	if (k->blob != NULL)
		return ERR_OK;
	/* a plain key: its blob is the plain blob */
	if ((k->blob = malloc(k->plain_len)) == NULL)
		return ERR_NOMEM;
	memcpy(k->blob, k->plain, k->plain_len);
	k->blob_len = k->plain_len;
	return ERR_OK;
}

int
userkey_parse_private(const unsigned char *data, size_t len,
    const char *passphrase, struct userkey **kp)
{
	static const char pem_begin[] = "-----BEGIN ";
	struct userkey *k = NULL;
	int r;

	if (kp == NULL)
		return ERR_INVALID_ARGUMENT;
	*kp = NULL;
	if (data == NULL && len != 0)
		return ERR_INVALID_ARGUMENT;
	if (len > USERKEY_MAX_FILE)
		return ERR_INVALID_FORMAT;
	if (len >= sizeof(OPENSSH_MARK_BEGIN) - 1 &&
	    memcmp(data, OPENSSH_MARK_BEGIN,
	    sizeof(OPENSSH_MARK_BEGIN) - 1) == 0)
		r = userkey_parse_openssh(data, len, passphrase, &k);
	else if (len >= sizeof(pem_begin) - 1 &&
	    memmem(data, len, pem_begin, sizeof(pem_begin) - 1) != NULL)
		r = userkey_parse_pem(data, len, passphrase, &k);
	else
		r = ERR_INVALID_FORMAT;
	if (r == ERR_OK && (r = userkey_finish(k)) == ERR_OK) {
		*kp = k;
		k = NULL;
	}
	userkey_free(k);
	return r;
}

/*
 * A certificate blob (PROTOCOL.certkeys): string type, string nonce, the
 * key's public fields, uint64 serial, uint32 type, string key id, string
 * principals, uint64 valid after, uint64 valid before, string critical
 * options, string extensions, string reserved, string signature key,
 * string signature.  Checked for shape only, and the embedded key as a
 * public key: the server judges the CA's signature and the constraints.
 */
static int
userkey_parse_cert(struct userkey *k, const unsigned char *blob, size_t len)
{
	struct buf *b = NULL, *plain = NULL;
	const unsigned char *start, *end;
	uint32_t cert_type;
	int r = ERR_INVALID_FORMAT, i;

	if ((b = buf_new_view(blob, len)) == NULL ||
	    (plain = buf_new(0)) == NULL) {
		r = ERR_NOMEM;
		goto out;
	}
	if (buf_get_string_direct(b, NULL, NULL) != ERR_OK ||
	    buf_get_string_direct(b, NULL, NULL) != ERR_OK)
		goto out;
	start = buf_ptr(b);
	for (i = 0; i < k->impl->pub_fields; i++)
		if (buf_get_string_direct(b, NULL, NULL) != ERR_OK)
			goto out;
	end = buf_ptr(b);
	if (buf_get_u64(b, NULL) != ERR_OK ||
	    buf_get_u32(b, &cert_type) != ERR_OK ||
	    buf_get_string_direct(b, NULL, NULL) != ERR_OK ||
	    buf_get_string_direct(b, NULL, NULL) != ERR_OK ||
	    buf_get_u64(b, NULL) != ERR_OK ||
	    buf_get_u64(b, NULL) != ERR_OK ||
	    buf_get_string_direct(b, NULL, NULL) != ERR_OK ||
	    buf_get_string_direct(b, NULL, NULL) != ERR_OK ||
	    buf_get_string_direct(b, NULL, NULL) != ERR_OK ||
	    buf_get_string_direct(b, NULL, NULL) != ERR_OK ||
	    buf_get_string_direct(b, NULL, NULL) != ERR_OK ||
	    buf_len(b) != 0)
		goto out;
	if ((r = buf_put_cstring(plain, k->impl->name)) != ERR_OK ||
	    (r = buf_put(plain, start, (size_t)(end - start))) != ERR_OK)
		goto out;
	r = userkey_set_plain(k, buf_ptr(plain), buf_len(plain));
 out:
	buf_free(plain);
	buf_free(b);
	return r;
}

static int
userkey_is_space(char c)
{
	return c == ' ' || c == '\t';
}

int
userkey_parse_public(const char *line, size_t len, struct userkey **kp)
{
	struct userkey *k = NULL;
	struct buf *blob = NULL;
	const struct userkey_impl *impl;
	const char *type, *b64, *comment;
	size_t type_len, b64_len, comment_len, i = 0, name_len;
	const unsigned char *name;
	int cert = 0, r = ERR_INVALID_FORMAT;

	if (kp == NULL)
		return ERR_INVALID_ARGUMENT;
	*kp = NULL;
	if (line == NULL)
		return len != 0 ? ERR_INVALID_ARGUMENT : ERR_INVALID_FORMAT;
	if (memchr(line, '\0', len) != NULL)
		return ERR_INVALID_FORMAT;
	/* the line ends at its first line break */
	for (i = 0; i < len; i++)
		if (line[i] == '\n' || line[i] == '\r')
			break;
	len = i;
	for (i = 0; i < len && userkey_is_space(line[i]); i++)
		;
	type = line + i;
	for (; i < len && !userkey_is_space(line[i]); i++)
		;
	type_len = (size_t)(line + i - type);
	for (; i < len && userkey_is_space(line[i]); i++)
		;
	b64 = line + i;
	for (; i < len && !userkey_is_space(line[i]); i++)
		;
	b64_len = (size_t)(line + i - b64);
	for (; i < len && userkey_is_space(line[i]); i++)
		;
	comment = line + i;
	comment_len = len - i;
	while (comment_len > 0 && userkey_is_space(comment[comment_len - 1]))
		comment_len--;
	if (type_len == 0 || b64_len == 0)
		return ERR_INVALID_FORMAT;

	if ((impl = userkey_impl_by_name((const unsigned char *)type,
	    type_len, 0)) == NULL) {
		if ((impl = userkey_impl_by_name((const unsigned char *)type,
		    type_len, 1)) == NULL)
			return ERR_KEY_TYPE_UNKNOWN;
		cert = 1;
	}
	if ((blob = buf_new(0)) == NULL || (k = userkey_new(impl)) == NULL) {
		r = ERR_NOMEM;
		goto out;
	}
	k->is_cert = cert;
	if ((r = base64_decode(b64, b64_len, blob)) != ERR_OK) {
		r = r == ERR_NOMEM ? r : ERR_INVALID_FORMAT;
		goto out;
	}
	/* the blob names its own type: it must be the line's */
	if (buf_peek_string_direct(blob, &name, &name_len) != ERR_OK ||
	    !userkey_name_is(name, name_len, cert ? impl->cert_name :
	    impl->name)) {
		r = ERR_INVALID_FORMAT;
		goto out;
	}
	if (cert)
		r = userkey_parse_cert(k, buf_ptr(blob), buf_len(blob));
	else
		r = userkey_set_plain(k, buf_ptr(blob), buf_len(blob));
	if (r != ERR_OK)
		goto out;
	if ((k->blob = malloc(buf_len(blob))) == NULL ||
	    (k->comment = malloc(comment_len + 1)) == NULL) {
		r = ERR_NOMEM;
		goto out;
	}
	memcpy(k->blob, buf_ptr(blob), buf_len(blob));
	k->blob_len = buf_len(blob);
	memcpy(k->comment, comment, comment_len);
	k->comment[comment_len] = '\0';
	*kp = k;
	k = NULL;
	r = ERR_OK;
 out:
	buf_free(blob);
	userkey_free(k);
	return r;
}

void
userkey_free(struct userkey *k)
{
	if (k == NULL)
		return;
	EVP_PKEY_free(k->pkey);
	free(k->blob);
	free(k->plain);
	free(k->comment);
	mem_freezero(k, sizeof(*k));
}

const char *
userkey_type_name(const struct userkey *k)
{
	return k->is_cert ? k->impl->cert_name : k->impl->name;
}

int
userkey_has_private(const struct userkey *k)
{
	return k->has_private;
}

int
userkey_is_certificate(const struct userkey *k)
{
	return k->is_cert;
}

void
userkey_public_blob(const struct userkey *k, const unsigned char **blobp,
    size_t *lenp)
{
	*blobp = k->blob;
	*lenp = k->blob_len;
}

void
userkey_plain_blob(const struct userkey *k, const unsigned char **blobp,
    size_t *lenp)
{
	*blobp = k->plain;
	*lenp = k->plain_len;
}

const char *
userkey_comment(const struct userkey *k)
{
	return k->comment != NULL ? k->comment : "";
}

/* OpenSSH's sshkey_fingerprint() hashes a certificate's key, not the
 * certificate (to_blob() with force_plain). */
char *
userkey_fingerprint(const struct userkey *k)
{
	return fingerprint_sha256_blob(k->plain, k->plain_len);
}

int
userkey_sign(const struct userkey *k, const char *alg,
    const unsigned char *data, size_t datalen, struct buf *out)
{
	const struct userkey_sigalg *sa = NULL;
	struct buf *inner = NULL, *sig = NULL;
	size_t i;
	int r = ERR_INTERNAL;

	if (k == NULL || alg == NULL || out == NULL ||
	    (data == NULL && datalen != 0))
		return ERR_INVALID_ARGUMENT;
	for (i = 0; i < NELEM(userkey_sigalgs); i++)
		if (strcmp(userkey_sigalgs[i].name, alg) == 0)
			sa = &userkey_sigalgs[i];
	if (sa == NULL || sa->type != k->impl->type || !k->has_private)
		return ERR_INVALID_ARGUMENT;
	/* built aside so that out is unchanged on error */
	if ((inner = buf_new(0)) == NULL || (sig = buf_new(0)) == NULL) {
		r = ERR_NOMEM;
		goto out;
	}
	if ((r = k->impl->sign(k, sa, data, datalen, inner)) != ERR_OK ||
	    (r = buf_put_cstring(sig, sa->name)) != ERR_OK ||
	    (r = buf_put_stringb(sig, inner)) != ERR_OK ||
	    (r = buf_put(out, buf_ptr(sig), buf_len(sig))) != ERR_OK)
		goto out;
	r = ERR_OK;
 out:
	buf_free(inner);
	buf_free(sig);
	return r;
}
