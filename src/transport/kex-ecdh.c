/*
 * Elliptic-curve Diffie-Hellman on the NIST curves: ecdh-sha2-nistp256,
 * -nistp384 and -nistp521 (RFC 5656 section 4).  Points travel as
 * uncompressed octet strings (SEC 1 section 2.3.3: 0x04, x, y); K is the
 * mpint of the shared point's x coordinate (RFC 5656 section 4, SEC 1
 * section 3.3.1).  Keys live in OpenSSL 3 EVP_PKEYs; the EC_GROUP and
 * EC_POINT calls only check the server's point before it reaches them.
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

#include "common/buf.h"
#include "common/err.h"
#include "common/mem.h"
#include "transport/kexalg-int.h"
#include "transport/kexalg.h"

struct kex_ecdh {
	const char *group_name;         /* OpenSSL's short name */
	EC_GROUP *group;
	size_t field_len;               /* bytes of one coordinate */
	EVP_PKEY *key;                  /* our ephemeral key pair */
	unsigned char *pub;             /* its uncompressed point */
	size_t pub_len;
};

static int
ecdh_state_new(const struct kex_method *m, void **stp)
{
	struct kex_ecdh *ec;

	*stp = NULL;
	if ((ec = calloc(1, sizeof(*ec))) == NULL)
		return ERR_NOMEM;
	if ((ec->group_name = OBJ_nid2sn(m->group)) == NULL ||
	    (ec->group = EC_GROUP_new_by_curve_name(m->group)) == NULL) {
		free(ec);
		return ERR_INVALID_ARGUMENT;
	}
	ec->field_len = ((size_t)EC_GROUP_get_degree(ec->group) + 7) / 8;
	*stp = ec;
	return ERR_OK;
}

static void
ecdh_state_free(void *st)
{
	struct kex_ecdh *ec = st;

	if (ec == NULL)
		return;
	EC_GROUP_free(ec->group);
	EVP_PKEY_free(ec->key);
	free(ec->pub);
	mem_freezero(ec, sizeof(*ec));
}

/*
 * The key with the given public point and, when priv is not NULL, the
 * private scalar.  OpenSSL decodes the point itself and refuses one off
 * the curve.
 */
static int
ecdh_pkey_from(const struct kex_ecdh *ec, const BIGNUM *priv,
    const unsigned char *point, size_t point_len, EVP_PKEY **pkeyp)
{
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	int r = ERR_INTERNAL;

	*pkeyp = NULL;
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
	    ec->group_name, 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
	    point, point_len) ||
	    (priv != NULL &&
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv)) ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1) {
		r = ERR_NOMEM;
		goto out;
	}
	if (EVP_PKEY_fromdata(ctx, pkeyp, priv != NULL ? EVP_PKEY_KEYPAIR :
	    EVP_PKEY_PUBLIC_KEY, params) != 1) {
		*pkeyp = NULL;
		r = ERR_KEY_INVALID;
		goto out;
	}
	r = ERR_OK;
 out:
	EVP_PKEY_CTX_free(ctx);
	/* a secure BIGNUM (the test hook's scalar) lands in the params'
	 * secure block, which OSSL_PARAM_free() clears */
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	return r;
}

/* The test hook: the key pair of scalar d, 0 < d < order. */
static int
ecdh_key_from_scalar(struct kex_ecdh *ec, const unsigned char *priv,
    size_t privlen, EVP_PKEY **pkeyp)
{
	BN_CTX *ctx = NULL;
	BIGNUM *d = NULL;
	EC_POINT *q = NULL;
	unsigned char *point = NULL;
	size_t point_len = 1 + 2 * ec->field_len;
	int r = ERR_INTERNAL;

	*pkeyp = NULL;
	if ((ctx = BN_CTX_new()) == NULL || (d = BN_secure_new()) == NULL ||
	    (q = EC_POINT_new(ec->group)) == NULL ||
	    (point = malloc(point_len)) == NULL) {
		r = ERR_NOMEM;
		goto out;
	}
	BN_set_flags(d, BN_FLG_CONSTTIME);
	if (BN_bin2bn(priv, (int)privlen, d) == NULL)
		goto out;
	if (BN_is_zero(d) || BN_cmp(d, EC_GROUP_get0_order(ec->group)) >= 0) {
		r = ERR_KEY_INVALID;
		goto out;
	}
	if (EC_POINT_mul(ec->group, q, d, NULL, NULL, ctx) != 1 ||
	    EC_POINT_point2oct(ec->group, q, POINT_CONVERSION_UNCOMPRESSED,
	    point, point_len, ctx) != point_len)
		goto out;
	r = ecdh_pkey_from(ec, d, point, point_len, pkeyp);
 out:
	free(point);
	EC_POINT_free(q);
	BN_clear_free(d);
	BN_CTX_free(ctx);
	return r;
}

static int
ecdh_generate(void *st, const unsigned char *priv, size_t privlen)
{
	struct kex_ecdh *ec = st;
	EVP_PKEY *key = NULL;
	unsigned char *pub = NULL;
	size_t len = 0, want = 1 + 2 * ec->field_len;
	int r = ERR_INTERNAL;

	if (priv != NULL) {
		if ((r = ecdh_key_from_scalar(ec, priv, privlen, &key)) !=
		    ERR_OK)
			goto out;
	} else if ((key = EVP_PKEY_Q_keygen(NULL, NULL, "EC",
	    ec->group_name)) == NULL)
		goto out;
	/* OpenSSL encodes EC public keys uncompressed unless told not to;
	 * check rather than trust it */
	if (EVP_PKEY_get_octet_string_param(key,
	    OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, NULL, 0, &len) != 1 ||
	    len != want)
		goto out;
	if ((pub = malloc(len)) == NULL) {
		r = ERR_NOMEM;
		goto out;
	}
	if (EVP_PKEY_get_octet_string_param(key,
	    OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pub, len, &len) != 1 ||
	    len != want || pub[0] != POINT_CONVERSION_UNCOMPRESSED)
		goto out;
	ec->key = key;
	ec->pub = pub;
	ec->pub_len = len;
	key = NULL;
	pub = NULL;
	r = ERR_OK;
 out:
	free(pub);
	EVP_PKEY_free(key);
	return r;
}

static int
ecdh_public_value(const void *st, const unsigned char **pubp, size_t *lenp)
{
	const struct kex_ecdh *ec = st;

	*pubp = ec->pub;
	*lenp = ec->pub_len;
	return ERR_OK;
}

/*
 * RFC 5656 section 4: the client must check that Q_S is a valid point
 * (SEC 1 section 3.2.2.1).  The curves have cofactor 1, so a point on the
 * curve other than infinity is in the group.  We accept only the
 * uncompressed form, as OpenSSH's sshbuf_get_ec() does.
 */
static int
ecdh_check_point(const struct kex_ecdh *ec, const unsigned char *peer,
    size_t peerlen)
{
	EC_POINT *q = NULL;
	BN_CTX *ctx = NULL;
	int r = ERR_KEY_INVALID;

	if (peerlen != 1 + 2 * ec->field_len ||
	    peer[0] != POINT_CONVERSION_UNCOMPRESSED)
		return ERR_KEY_INVALID;
	if ((ctx = BN_CTX_new()) == NULL ||
	    (q = EC_POINT_new(ec->group)) == NULL) {
		r = ERR_NOMEM;
		goto out;
	}
	/* oct2point refuses coordinates >= p and points off the curve */
	if (EC_POINT_oct2point(ec->group, q, peer, peerlen, ctx) != 1 ||
	    EC_POINT_is_at_infinity(ec->group, q) ||
	    EC_POINT_is_on_curve(ec->group, q, ctx) != 1)
		goto out;
	r = ERR_OK;
 out:
	EC_POINT_free(q);
	BN_CTX_free(ctx);
	return r;
}

static int
ecdh_shared_secret(void *st, const unsigned char *peer, size_t peerlen,
    struct buf *out)
{
	struct kex_ecdh *ec = st;
	EVP_PKEY *peerkey = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	unsigned char *x = NULL;
	size_t xlen = ec->field_len;
	int r = ERR_INTERNAL;

	if ((r = ecdh_check_point(ec, peer, peerlen)) != ERR_OK ||
	    (r = ecdh_pkey_from(ec, NULL, peer, peerlen, &peerkey)) != ERR_OK)
		goto out;
	if ((x = malloc(xlen)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_pkey(NULL, ec->key, NULL)) == NULL) {
		r = ERR_NOMEM;
		goto out;
	}
	r = ERR_INTERNAL;
	if (EVP_PKEY_derive_init(ctx) != 1)
		goto out;
	/* validate_peer = 1: OpenSSL's public key check once more */
	if (EVP_PKEY_derive_set_peer_ex(ctx, peerkey, 1) != 1) {
		r = ERR_KEY_INVALID;
		goto out;
	}
	/* the x coordinate, left-padded to the field size */
	if (EVP_PKEY_derive(ctx, x, &xlen) != 1 || xlen != ec->field_len)
		goto out;
	r = buf_put_bignum_bytes(out, x, xlen);
 out:
	mem_freezero(x, ec->field_len);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(peerkey);
	return r;
}

const struct kex_family_ops kex_ecdh_ops = {
	.family = KEX_FAMILY_ECDH,
	.state_new = ecdh_state_new,
	.state_free = ecdh_state_free,
	.set_group = NULL,
	.generate = ecdh_generate,
	.public_value = ecdh_public_value,
	.shared_secret = ecdh_shared_secret,
	.group = NULL,
};
