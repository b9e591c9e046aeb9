/*
 * Host keys: public key blobs (RFC 4253 section 6.6, RFC 5656 section
 * 3.1, RFC 8709 section 4) and the signatures made with them (RFC 8332
 * for rsa-sha2-*, RFC 5656 section 3.1.2, RFC 8709 section 6).  Two
 * tables: the key types, each with its parser and verifier, and the
 * signature algorithms, each naming its key type and hash.  The public
 * key lives in libsodium's raw form (Ed25519) or an OpenSSL EVP_PKEY.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <sodium.h>

#include "common/base64.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/mem.h"
#include "transport/kexalg-int.h"
#include "transport/kexalg.h"

/* RSA moduli we accept, in bits: OpenSSH's SSH_RSA_MINIMUM_MODULUS_SIZE
 * and its largest bignum (SSHBUF_MAX_BIGNUM * 8). */
#define HOSTKEY_RSA_MIN_BITS 1024
#define HOSTKEY_RSA_MAX_BITS 16384
#define HOSTKEY_ED25519_LEN 32
#define HOSTKEY_ED25519_SIG_LEN 64

struct hostkey;
struct hostkey_sigalg;

struct hostkey_impl {
	const char *name;               /* the blob's key type */
	enum hostkey_type type;
	const char *curve;              /* ECDSA: the blob's curve name */
	int nid;                        /* ECDSA: OpenSSL's curve */
	/* Parses what follows the type name; ERR_KEY_INVALID or ERR_NOMEM. */
	int (*parse)(struct hostkey *k, struct buf *b);
	/* Checks the inner signature bytes: ERR_OK, ERR_SIGNATURE_INVALID,
	 * ERR_INVALID_FORMAT, ERR_NOMEM. */
	int (*verify)(const struct hostkey *k, const struct hostkey_sigalg *sa,
	    const unsigned char *sig, size_t siglen,
	    const unsigned char *data, size_t datalen);
};

struct hostkey_sigalg {
	const char *name;
	enum hostkey_type type;
	const EVP_MD *(*md)(void);      /* NULL: Ed25519 hashes itself */
};

struct hostkey {
	const struct hostkey_impl *impl;
	unsigned char *blob;
	size_t blob_len;
	unsigned int bits;
	unsigned char ed25519[HOSTKEY_ED25519_LEN];
	EVP_PKEY *pkey;                 /* ECDSA and RSA */
	size_t rsa_len;                 /* RSA: modulus bytes */
	size_t ec_order_len;            /* ECDSA: bytes of the group order */
};

static int hostkey_parse_ed25519(struct hostkey *, struct buf *);
static int hostkey_parse_ecdsa(struct hostkey *, struct buf *);
static int hostkey_parse_rsa(struct hostkey *, struct buf *);
static int hostkey_verify_ed25519(const struct hostkey *,
    const struct hostkey_sigalg *, const unsigned char *, size_t,
    const unsigned char *, size_t);
static int hostkey_verify_ecdsa(const struct hostkey *,
    const struct hostkey_sigalg *, const unsigned char *, size_t,
    const unsigned char *, size_t);
static int hostkey_verify_rsa(const struct hostkey *,
    const struct hostkey_sigalg *, const unsigned char *, size_t,
    const unsigned char *, size_t);

static const struct hostkey_impl hostkey_impls[] = {
	{ "ssh-ed25519", HOSTKEY_ED25519, NULL, 0,
	    hostkey_parse_ed25519, hostkey_verify_ed25519 },
	{ "ecdsa-sha2-nistp256", HOSTKEY_ECDSA_P256, "nistp256",
	    NID_X9_62_prime256v1, hostkey_parse_ecdsa, hostkey_verify_ecdsa },
	{ "ecdsa-sha2-nistp384", HOSTKEY_ECDSA_P384, "nistp384",
	    NID_secp384r1, hostkey_parse_ecdsa, hostkey_verify_ecdsa },
	{ "ecdsa-sha2-nistp521", HOSTKEY_ECDSA_P521, "nistp521",
	    NID_secp521r1, hostkey_parse_ecdsa, hostkey_verify_ecdsa },
	{ "ssh-rsa", HOSTKEY_RSA, NULL, 0,
	    hostkey_parse_rsa, hostkey_verify_rsa },
};

/* ECDSA hashes follow the curve size (RFC 5656 section 6.2.1). */
static const struct hostkey_sigalg hostkey_sigalgs[] = {
	{ "ssh-ed25519", HOSTKEY_ED25519, NULL },
	{ "ecdsa-sha2-nistp256", HOSTKEY_ECDSA_P256, EVP_sha256 },
	{ "ecdsa-sha2-nistp384", HOSTKEY_ECDSA_P384, EVP_sha384 },
	{ "ecdsa-sha2-nistp521", HOSTKEY_ECDSA_P521, EVP_sha512 },
	{ "rsa-sha2-512", HOSTKEY_RSA, EVP_sha512 },
	{ "rsa-sha2-256", HOSTKEY_RSA, EVP_sha256 },
	{ "ssh-rsa", HOSTKEY_RSA, EVP_sha1 },
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const struct hostkey_sigalg *
hostkey_sigalg_by_name(const char *name)
{
	size_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < NELEM(hostkey_sigalgs); i++)
		if (strcmp(hostkey_sigalgs[i].name, name) == 0)
			return &hostkey_sigalgs[i];
	return NULL;
}

/* 1 when the len bytes at s are exactly the C string name. */
static int
hostkey_name_is(const unsigned char *s, size_t len, const char *name)
{
	return strlen(name) == len && memcmp(s, name, len) == 0;
}

/* ---- Ed25519 (RFC 8709): string key, 32 bytes */

static int
hostkey_parse_ed25519(struct hostkey *k, struct buf *b)
{
	const unsigned char *pk;
	size_t len;

	if (buf_get_string_direct(b, &pk, &len) != ERR_OK ||
	    len != HOSTKEY_ED25519_LEN)
		return ERR_KEY_INVALID;
	memcpy(k->ed25519, pk, len);
	k->bits = 256;
	return ERR_OK;
}

static int
hostkey_verify_ed25519(const struct hostkey *k,
    const struct hostkey_sigalg *sa, const unsigned char *sig, size_t siglen,
    const unsigned char *data, size_t datalen)
{
	int r;

	if (siglen != HOSTKEY_ED25519_SIG_LEN)
		return ERR_INVALID_FORMAT;
	if ((r = kex_sodium_init()) != ERR_OK)
		return r;
	/* libsodium refuses non-canonical S and small-order keys too */
	if (crypto_sign_verify_detached(sig, data, datalen, k->ed25519) != 0)
		return ERR_SIGNATURE_INVALID;
	return ERR_OK;
}

/* ---- ECDSA (RFC 5656 section 3.1): string curve, string Q */

/*
 * The checks of OpenSSH's sshkey_ec_validate_public() (after SEC 1
 * section 3.2.2.1): a point on the curve, not infinity, of the group's
 * order, with coordinates that are neither tiny (under half the order's
 * bits) nor at least order-1.  Only the uncompressed encoding is taken,
 * as OpenSSH's sshbuf_get_ec() does.
 */
static int
hostkey_ec_point_check(const EC_GROUP *group, const unsigned char *q,
    size_t qlen)
{
	const BIGNUM *order = EC_GROUP_get0_order(group);
	size_t field_len = ((size_t)EC_GROUP_get_degree(group) + 7) / 8;
	EC_POINT *pt = NULL, *nq = NULL;
	BIGNUM *x = NULL, *y = NULL, *om1 = NULL;
	BN_CTX *ctx = NULL;
	int r = ERR_KEY_INVALID, half = BN_num_bits(order) / 2;

	if (qlen != 1 + 2 * field_len || q[0] != POINT_CONVERSION_UNCOMPRESSED)
		return ERR_KEY_INVALID;
	if ((ctx = BN_CTX_new()) == NULL ||
	    (pt = EC_POINT_new(group)) == NULL ||
	    (nq = EC_POINT_new(group)) == NULL || (x = BN_new()) == NULL ||
	    (y = BN_new()) == NULL || (om1 = BN_dup(order)) == NULL ||
	    !BN_sub_word(om1, 1)) {
		r = ERR_NOMEM;
		goto out;
	}
	/* oct2point refuses points off the curve and coordinates >= p */
	if (EC_POINT_oct2point(group, pt, q, qlen, ctx) != 1 ||
	    EC_POINT_is_at_infinity(group, pt) ||
	    EC_POINT_is_on_curve(group, pt, ctx) != 1 ||
	    EC_POINT_get_affine_coordinates(group, pt, x, y, ctx) != 1)
		goto out;
	if (BN_num_bits(x) <= half || BN_num_bits(y) <= half ||
	    BN_cmp(x, om1) >= 0 || BN_cmp(y, om1) >= 0)
		goto out;
	if (EC_POINT_mul(group, nq, NULL, pt, order, ctx) != 1 ||
	    !EC_POINT_is_at_infinity(group, nq))
		goto out;
	r = ERR_OK;
 out:
	EC_POINT_free(pt);
	EC_POINT_free(nq);
	BN_free(x);
	BN_free(y);
	BN_free(om1);
	BN_CTX_free(ctx);
	return r;
}

/* An EVP_PKEY from OSSL_PARAMs; ERR_KEY_INVALID when OpenSSL refuses. */
static int
hostkey_pkey_fromdata(const char *type, OSSL_PARAM_BLD *bld, EVP_PKEY **pkeyp)
{
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	int r = ERR_NOMEM;

	*pkeyp = NULL;
	if ((params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1)
		goto out;
	if (EVP_PKEY_fromdata(ctx, pkeyp, EVP_PKEY_PUBLIC_KEY, params) != 1) {
		*pkeyp = NULL;
		r = ERR_KEY_INVALID;
		goto out;
	}
	r = ERR_OK;
 out:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return r;
}

static int
hostkey_parse_ecdsa(struct hostkey *k, struct buf *b)
{
	const unsigned char *curve, *q;
	size_t curve_len, qlen;
	EC_GROUP *group = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	int r = ERR_KEY_INVALID;

	if (buf_get_string_direct(b, &curve, &curve_len) != ERR_OK ||
	    !hostkey_name_is(curve, curve_len, k->impl->curve) ||
	    buf_get_string_direct(b, &q, &qlen) != ERR_OK)
		return ERR_KEY_INVALID;
	if ((group = EC_GROUP_new_by_curve_name(k->impl->nid)) == NULL)
		return ERR_NOMEM;
	if ((r = hostkey_ec_point_check(group, q, qlen)) != ERR_OK)
		goto out;
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
	    OBJ_nid2sn(k->impl->nid), 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, q,
	    qlen)) {
		r = ERR_NOMEM;
		goto out;
	}
	if ((r = hostkey_pkey_fromdata("EC", bld, &k->pkey)) != ERR_OK)
		goto out;
	k->bits = (unsigned int)EC_GROUP_get_degree(group);
	k->ec_order_len =
	    ((size_t)BN_num_bits(EC_GROUP_get0_order(group)) + 7) / 8;
 out:
	OSSL_PARAM_BLD_free(bld);
	EC_GROUP_free(group);
	return r;
}

/*
 * The signature is string(mpint r || mpint s) (RFC 5656 section 3.1.2);
 * OpenSSL wants it DER-encoded.
 */
static int
hostkey_verify_ecdsa(const struct hostkey *k,
    const struct hostkey_sigalg *sa, const unsigned char *sig, size_t siglen,
    const unsigned char *data, size_t datalen)
{
	struct buf *b = NULL;
	const unsigned char *rb, *sb;
	size_t rlen, slen;
	ECDSA_SIG *esig = NULL;
	BIGNUM *br = NULL, *bs = NULL;
	unsigned char *der = NULL;
	EVP_MD_CTX *md = NULL;
	int r = ERR_INTERNAL, derlen;

	if ((b = buf_new_view(sig, siglen)) == NULL)
		return ERR_NOMEM;
	if (buf_get_bignum_bytes_direct(b, &rb, &rlen) != ERR_OK ||
	    buf_get_bignum_bytes_direct(b, &sb, &slen) != ERR_OK ||
	    buf_len(b) != 0) {
		r = ERR_INVALID_FORMAT;
		goto out;
	}
	/* r and s are in [1, order-1]: never longer than the order */
	if (rlen == 0 || slen == 0 || rlen > k->ec_order_len ||
	    slen > k->ec_order_len) {
		r = ERR_SIGNATURE_INVALID;
		goto out;
	}
	if ((esig = ECDSA_SIG_new()) == NULL ||
	    (br = BN_bin2bn(rb, (int)rlen, NULL)) == NULL ||
	    (bs = BN_bin2bn(sb, (int)slen, NULL)) == NULL) {
		r = ERR_NOMEM;
		goto out;
	}
	if (!ECDSA_SIG_set0(esig, br, bs))
		goto out;
	br = bs = NULL;                 /* owned by esig now */
	if ((derlen = i2d_ECDSA_SIG(esig, &der)) <= 0 ||
	    (md = EVP_MD_CTX_new()) == NULL) {
		r = ERR_NOMEM;
		goto out;
	}
	if (EVP_DigestVerifyInit(md, NULL, sa->md(), NULL, k->pkey) != 1)
		goto out;
	r = EVP_DigestVerify(md, der, (size_t)derlen, data, datalen) == 1 ?
	    ERR_OK : ERR_SIGNATURE_INVALID;
 out:
	EVP_MD_CTX_free(md);
	OPENSSL_free(der);
	BN_free(br);
	BN_free(bs);
	ECDSA_SIG_free(esig);
	buf_free(b);
	return r;
}

/* ---- RSA (RFC 4253 section 6.6): mpint e, mpint n */

static unsigned int
hostkey_mag_bits(const unsigned char *mag, size_t len)
{
	unsigned int bits;
	unsigned char top;

	if (len == 0)
		return 0;
	bits = (unsigned int)(len - 1) * 8;
	for (top = mag[0]; top != 0; top >>= 1)
		bits++;
	return bits;
}

/*
 * Besides the size bounds: n and e odd (an even modulus is no RSA
 * modulus, an even exponent no RSA exponent) and 1 < e < n.  OpenSSL
 * refuses at verify time exponents over 64 bits with moduli over 3072.
 */
static int
hostkey_parse_rsa(struct hostkey *k, struct buf *b)
{
	const unsigned char *e, *n;
	size_t elen, nlen;
	BIGNUM *be = NULL, *bn = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	unsigned int bits;
	int r = ERR_KEY_INVALID;

	if (buf_get_bignum_bytes_direct(b, &e, &elen) != ERR_OK ||
	    buf_get_bignum_bytes_direct(b, &n, &nlen) != ERR_OK)
		return ERR_KEY_INVALID;
	bits = hostkey_mag_bits(n, nlen);
	if (bits < HOSTKEY_RSA_MIN_BITS || bits > HOSTKEY_RSA_MAX_BITS)
		return ERR_KEY_INVALID;
	if ((n[nlen - 1] & 1) == 0 || elen == 0 || (e[elen - 1] & 1) == 0 ||
	    (elen == 1 && e[0] == 1) || elen > nlen)
		return ERR_KEY_INVALID;
	if ((be = BN_bin2bn(e, (int)elen, NULL)) == NULL ||
	    (bn = BN_bin2bn(n, (int)nlen, NULL)) == NULL) {
		r = ERR_NOMEM;
		goto out;
	}
	if (BN_cmp(be, bn) >= 0) {
		r = ERR_KEY_INVALID;
		goto out;
	}
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be)) {
		r = ERR_NOMEM;
		goto out;
	}
	if ((r = hostkey_pkey_fromdata("RSA", bld, &k->pkey)) != ERR_OK)
		goto out;
	k->bits = bits;
	k->rsa_len = nlen;
 out:
	OSSL_PARAM_BLD_free(bld);
	BN_free(be);
	BN_free(bn);
	return r;
}

/*
 * PKCS #1 v1.5 (RFC 8332 section 3).  A signature shorter than the
 * modulus is left-padded with zeros first, as OpenSSH's ssh_rsa_verify()
 * does for signers that strip leading zero bytes; a longer one is wrong.
 */
static int
hostkey_verify_rsa(const struct hostkey *k, const struct hostkey_sigalg *sa,
    const unsigned char *sig, size_t siglen,
    const unsigned char *data, size_t datalen)
{
	unsigned char *padded = NULL;
	EVP_MD_CTX *md = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	int r = ERR_INTERNAL;

	if (siglen == 0 || siglen > k->rsa_len)
		return ERR_SIGNATURE_INVALID;
	if ((padded = calloc(1, k->rsa_len)) == NULL ||
	    (md = EVP_MD_CTX_new()) == NULL) {
		r = ERR_NOMEM;
		goto out;
	}
	memcpy(padded + (k->rsa_len - siglen), sig, siglen);
	if (EVP_DigestVerifyInit(md, &pctx, sa->md(), NULL, k->pkey) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1)
		goto out;
	r = EVP_DigestVerify(md, padded, k->rsa_len, data, datalen) == 1 ?
	    ERR_OK : ERR_SIGNATURE_INVALID;
 out:
	EVP_MD_CTX_free(md);
	free(padded);
	return r;
}

/* ---- the public functions */

int
hostkey_from_blob(const unsigned char *blob, size_t len, struct hostkey **kp)
{
	struct buf *b = NULL;
	struct hostkey *k = NULL;
	const unsigned char *name;
	size_t name_len, i;
	int r = ERR_INTERNAL;

	*kp = NULL;
	if (blob == NULL && len != 0)
		return ERR_INVALID_ARGUMENT;
	if ((b = buf_new_view(blob, len)) == NULL)
		return ERR_NOMEM;
	if (buf_get_string_direct(b, &name, &name_len) != ERR_OK) {
		r = ERR_KEY_INVALID;
		goto out;
	}
	if ((k = calloc(1, sizeof(*k))) == NULL) {
		r = ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < NELEM(hostkey_impls); i++)
		if (hostkey_name_is(name, name_len, hostkey_impls[i].name))
			k->impl = &hostkey_impls[i];
	if (k->impl == NULL) {
		r = ERR_KEY_TYPE_UNKNOWN;
		goto out;
	}
	if ((r = k->impl->parse(k, b)) != ERR_OK)
		goto out;
	/* a key has one encoding: nothing may follow it */
	if (buf_len(b) != 0) {
		r = ERR_KEY_INVALID;
		goto out;
	}
	if ((k->blob = malloc(len)) == NULL) {
		r = ERR_NOMEM;
		goto out;
	}
	memcpy(k->blob, blob, len);
	k->blob_len = len;
	*kp = k;
	k = NULL;
	r = ERR_OK;
 out:
	hostkey_free(k);
	buf_free(b);
	return r;
}

void
hostkey_free(struct hostkey *k)
{
	if (k == NULL)
		return;
	EVP_PKEY_free(k->pkey);
	free(k->blob);
	free(k);
}

enum hostkey_type
hostkey_type(const struct hostkey *k)
{
	return k->impl->type;
}

const char *
hostkey_type_name(const struct hostkey *k)
{
	return k->impl->name;
}

unsigned int
hostkey_bits(const struct hostkey *k)
{
	return k->bits;
}

void
hostkey_blob(const struct hostkey *k, const unsigned char **blobp,
    size_t *lenp)
{
	*blobp = k->blob;
	*lenp = k->blob_len;
}

/* Every key has exactly one blob (mpints are minimal, nothing trails),
 * so equal blobs are equal keys. */
int
hostkey_equal(const struct hostkey *a, const struct hostkey *b)
{
	if (a == NULL || b == NULL)
		return 0;
	return a->impl == b->impl && a->blob_len == b->blob_len &&
	    memcmp(a->blob, b->blob, a->blob_len) == 0;
}

/* OpenSSH's sshkey_fingerprint() with SSH_FP_DEFAULT: the hash name, a
 * colon, and base64 without padding. */
char *
fingerprint_sha256_blob(const unsigned char *blob, size_t len)
{
	unsigned char digest[32];
	struct buf *b = NULL;
	char *fp = NULL;

	if (EVP_Digest(blob, len, digest, NULL, EVP_sha256(), NULL) != 1)
		return NULL;
	if ((b = buf_new(0)) == NULL)
		return NULL;
	if (buf_put_cstr(b, "SHA256:") == ERR_OK &&
	    base64_encode(digest, sizeof(digest), b, 0) == ERR_OK)
		fp = buf_dup_cstr(b);
	buf_free(b);
	return fp;
}

char *
hostkey_fingerprint_sha256(const struct hostkey *k)
{
	return fingerprint_sha256_blob(k->blob, k->blob_len);
}

int
hostkey_verify(const struct hostkey *k, const char *alg_name,
    const unsigned char *sig, size_t siglen,
    const unsigned char *data, size_t datalen)
{
	const struct hostkey_sigalg *sa = hostkey_sigalg_by_name(alg_name);
	const unsigned char *name, *inner;
	size_t name_len, inner_len;
	struct buf *b = NULL;
	int r = ERR_INTERNAL;

	/* the negotiated algorithm must be one for this key's type */
	if (sa == NULL || sa->type != k->impl->type)
		return ERR_SIGNATURE_INVALID;
	if (sig == NULL && siglen != 0)
		return ERR_INVALID_FORMAT;
	if ((b = buf_new_view(sig, siglen)) == NULL)
		return ERR_NOMEM;
	if (buf_get_string_direct(b, &name, &name_len) != ERR_OK ||
	    buf_get_string_direct(b, &inner, &inner_len) != ERR_OK ||
	    buf_len(b) != 0) {
		r = ERR_INVALID_FORMAT;
		goto out;
	}
	/*
	 * The signature names its own algorithm; it must be the negotiated
	 * one, so a server cannot fall back to ssh-rsa (SHA-1) under a
	 * negotiated rsa-sha2-*, nor the other way round (OpenSSH's
	 * ssh_rsa_verify() with alg set).
	 */
	if (!hostkey_name_is(name, name_len, alg_name)) {
		r = ERR_SIGNATURE_INVALID;
		goto out;
	}
	r = k->impl->verify(k, sa, inner, inner_len, data, datalen);
 out:
	buf_free(b);
	return r;
}

int
hostkey_type_for_alg(const char *alg_name)
{
	const struct hostkey_sigalg *sa = hostkey_sigalg_by_name(alg_name);

	return sa == NULL ? -1 : (int)sa->type;
}
