/*
 * Finite-field Diffie-Hellman: diffie-hellman-group14-sha256,
 * group16-sha512 and group18-sha512 (RFC 4253 section 8, RFC 8268) over
 * the RFC 3526 MODP groups with generator 2, and
 * diffie-hellman-group-exchange-sha256 (RFC 4419), where the server
 * sends the group.  Plain OpenSSL BIGNUM arithmetic: the exponent is set
 * BN_FLG_CONSTTIME and raised with BN_mod_exp_mont_consttime().
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/mem.h"
#include "transport/kexalg-int.h"
#include "transport/kexalg.h"

struct kex_dh {
	const struct kex_method *method;
	BIGNUM *p;                      /* NULL until the group is known */
	BIGNUM *g;
	BIGNUM *x;                      /* our secret exponent */
	unsigned char *p_bytes, *g_bytes, *e_bytes;
	size_t p_len, g_len, e_len;
};

/* RFC 3526's primes, which OpenSSL carries; the tests rebuild them from
 * the RFC's formula with pi to check. */
static BIGNUM *
dh_fixed_prime(int group)
{
	switch (group) {
	case 14:
		return BN_get_rfc3526_prime_2048(NULL);
	case 16:
		return BN_get_rfc3526_prime_4096(NULL);
	case 18:
		return BN_get_rfc3526_prime_8192(NULL);
	}
	return NULL;
}

/* A malloc'ed big-endian copy of a non-secret number. */
static int
dh_bn_bytes(const BIGNUM *n, unsigned char **bytesp, size_t *lenp)
{
	int len = BN_num_bytes(n);

	*bytesp = NULL;
	*lenp = 0;
	if ((*bytesp = malloc(len > 0 ? (size_t)len : 1)) == NULL)
		return ERR_NOMEM;
	if (BN_bn2bin(n, *bytesp) != len) {
		free(*bytesp);
		*bytesp = NULL;
		return ERR_INTERNAL;
	}
	*lenp = (size_t)len;
	return ERR_OK;
}

/*
 * 1 when v is an acceptable public value in the group of p: 1 < v < p-1
 * and at least 4 bits set, as OpenSSH's dh_pub_is_valid() requires (with
 * g = 2, a value with one bit set gives its discrete log away, and then
 * anyone who sees e computes K).
 */
static int
dh_pub_is_valid(const BIGNUM *v, const BIGNUM *p)
{
	BIGNUM *pm1 = NULL;
	int bits = BN_num_bits(v), set = 0, i, ok = 0;

	if (BN_is_negative(v) || BN_cmp(v, BN_value_one()) <= 0)
		return 0;
	if ((pm1 = BN_dup(p)) == NULL || !BN_sub_word(pm1, 1))
		goto out;
	if (BN_cmp(v, pm1) >= 0)
		goto out;
	for (i = 0; i < bits; i++)
		if (BN_is_bit_set(v, i))
			set++;
	ok = set >= 4;
 out:
	BN_free(pm1);
	return ok;
}

/*
 * Bits of the secret exponent.  OpenSSH's dh_gen_key() takes twice the
 * bits of key material the ciphers need, never fewer than 2 * 256, below
 * the size of p.  The ciphers are not known here, so we take twice the
 * exchange hash's size (no derived key is stronger than the hash): 512
 * bits for the SHA-256 methods, 1024 for group16/18-sha512.  That is at
 * least twice the strength of the groups themselves (NIST SP 800-57's
 * table, which OpenSSH's dh_estimate() follows: 112 bits for a 2048-bit
 * p, 128 for 3072, 192 for 7680, so under 256 for 8192).
 */
static int
dh_exponent_bits(const struct kex_dh *dh)
{
	int bits = (int)(2 * 8 * kex_hash_len(dh->method->hash));
	int pbits = BN_num_bits(dh->p);

	if (bits < 512)
		bits = 512;
	if (bits > pbits - 1)
		bits = pbits - 1;
	return bits;
}

static void
dh_state_free(void *st)
{
	struct kex_dh *dh = st;

	if (dh == NULL)
		return;
	BN_free(dh->p);
	BN_free(dh->g);
	BN_clear_free(dh->x);
	free(dh->p_bytes);
	free(dh->g_bytes);
	free(dh->e_bytes);
	mem_freezero(dh, sizeof(*dh));
}

static int
dh_state_new(const struct kex_method *m, void **stp)
{
	struct kex_dh *dh;
	int r = ERR_INTERNAL;

	*stp = NULL;
	if ((dh = calloc(1, sizeof(*dh))) == NULL)
		return ERR_NOMEM;
	dh->method = m;
	if (m->family == KEX_FAMILY_DH) {
		if ((dh->p = dh_fixed_prime(m->group)) == NULL) {
			r = m->group == 14 || m->group == 16 || m->group == 18 ?
			    ERR_NOMEM : ERR_INVALID_ARGUMENT;
			goto out;
		}
		if ((dh->g = BN_new()) == NULL || !BN_set_word(dh->g, 2)) {
			r = ERR_NOMEM;
			goto out;
		}
		r = dh_bn_bytes(dh->p, &dh->p_bytes, &dh->p_len);
		if (r == ERR_OK)
			r = dh_bn_bytes(dh->g, &dh->g_bytes, &dh->g_len);
		if (r != ERR_OK)
			goto out;
	}
	*stp = dh;
	dh = NULL;
	r = ERR_OK;
 out:
	if (dh != NULL)
		dh_state_free(dh);
	return r;
}

/*
 * RFC 4419 section 3: the client checks the group it is given.  Like
 * OpenSSH's client (kexgexc.c) we bound the size of p and do not test its
 * primality (seconds of work for 8192 bits): a server that wants to
 * weaken the exchange can reveal K anyway.  We do refuse the cheap
 * nonsense: an even p, g outside 1 < g < p-1.
 */
static int
dh_set_group(void *st, const unsigned char *p, size_t plen,
    const unsigned char *g, size_t glen, unsigned int min_bits,
    unsigned int max_bits)
{
	struct kex_dh *dh = st;
	BIGNUM *bp = NULL, *bg = NULL, *pm1 = NULL;
	int r = ERR_INTERNAL, pbits;

	if (dh->p != NULL)
		return ERR_INVALID_ARGUMENT;
	if (p == NULL || g == NULL || plen > BUF_MAX_STRING ||
	    glen > BUF_MAX_STRING)
		return ERR_KEY_INVALID;
	if ((bp = BN_bin2bn(p, (int)plen, NULL)) == NULL ||
	    (bg = BN_bin2bn(g, (int)glen, NULL)) == NULL ||
	    (pm1 = BN_dup(bp)) == NULL) {
		r = ERR_NOMEM;
		goto out;
	}
	pbits = BN_num_bits(bp);
	if (pbits < 3 || (unsigned int)pbits < min_bits ||
	    (unsigned int)pbits > max_bits || !BN_is_odd(bp)) {
		r = ERR_KEY_INVALID;
		goto out;
	}
	if (!BN_sub_word(pm1, 1))
		goto out;
	if (BN_cmp(bg, BN_value_one()) <= 0 || BN_cmp(bg, pm1) >= 0) {
		r = ERR_KEY_INVALID;
		goto out;
	}
	if ((r = dh_bn_bytes(bp, &dh->p_bytes, &dh->p_len)) != ERR_OK ||
	    (r = dh_bn_bytes(bg, &dh->g_bytes, &dh->g_len)) != ERR_OK)
		goto out;
	dh->p = bp;
	dh->g = bg;
	bp = bg = NULL;
	r = ERR_OK;
 out:
	if (r != ERR_OK) {
		free(dh->p_bytes);
		free(dh->g_bytes);
		dh->p_bytes = dh->g_bytes = NULL;
		dh->p_len = dh->g_len = 0;
	}
	BN_free(bp);
	BN_free(bg);
	BN_free(pm1);
	return r;
}

static int
dh_generate(void *st, const unsigned char *priv, size_t privlen)
{
	struct kex_dh *dh = st;
	BN_CTX *ctx = NULL;
	BIGNUM *x = NULL, *e = NULL, *pm1 = NULL;
	int r = ERR_INTERNAL, tries;

	if (dh->p == NULL)
		return ERR_INVALID_ARGUMENT;    /* DH-GEX without a group */
	if ((ctx = BN_CTX_secure_new()) == NULL ||
	    (x = BN_secure_new()) == NULL || (e = BN_new()) == NULL ||
	    (pm1 = BN_dup(dh->p)) == NULL || !BN_sub_word(pm1, 1)) {
		r = ERR_NOMEM;
		goto out;
	}
	BN_set_flags(x, BN_FLG_CONSTTIME);
	/* a random exponent gives an invalid e with negligible odds; ten
	 * tries as OpenSSH's dh_gen_key() allows */
	for (tries = 0; tries < 10; tries++) {
		if (priv != NULL) {
			if (BN_bin2bn(priv, (int)privlen, x) == NULL)
				goto out;
			if (BN_cmp(x, BN_value_one()) <= 0 ||
			    BN_cmp(x, pm1) >= 0) {
				r = ERR_KEY_INVALID;
				goto out;
			}
		} else if (!BN_priv_rand(x, dh_exponent_bits(dh),
		    BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY))
			goto out;
		if (!BN_mod_exp_mont_consttime(e, dh->g, x, dh->p, ctx, NULL))
			goto out;
		if (dh_pub_is_valid(e, dh->p))
			break;
		if (priv != NULL) {
			r = ERR_KEY_INVALID;
			goto out;
		}
	}
	if (tries == 10)
		goto out;
	if ((r = dh_bn_bytes(e, &dh->e_bytes, &dh->e_len)) != ERR_OK)
		goto out;
	dh->x = x;
	x = NULL;
	r = ERR_OK;
 out:
	BN_clear_free(x);
	BN_free(e);
	BN_free(pm1);
	BN_CTX_free(ctx);
	return r;
}

static int
dh_public_value(const void *st, const unsigned char **pubp, size_t *lenp)
{
	const struct kex_dh *dh = st;

	*pubp = dh->e_bytes;
	*lenp = dh->e_len;
	return ERR_OK;
}

/* K = f^x mod p, appended as an mpint (RFC 4253 section 8). */
static int
dh_shared_secret(void *st, const unsigned char *peer, size_t peerlen,
    struct buf *out)
{
	struct kex_dh *dh = st;
	BN_CTX *ctx = NULL;
	BIGNUM *f = NULL, *k = NULL;
	unsigned char *kbytes = NULL;
	size_t klen = dh->p_len;
	int r = ERR_INTERNAL;

	if (peerlen > dh->p_len)
		return ERR_KEY_INVALID;         /* f >= p for certain */
	if ((ctx = BN_CTX_secure_new()) == NULL ||
	    (f = BN_bin2bn(peer, (int)peerlen, NULL)) == NULL ||
	    (k = BN_secure_new()) == NULL ||
	    (kbytes = malloc(klen)) == NULL) {
		r = ERR_NOMEM;
		goto out;
	}
	if (!dh_pub_is_valid(f, dh->p)) {
		r = ERR_KEY_INVALID;
		goto out;
	}
	if (!BN_mod_exp_mont_consttime(k, f, dh->x, dh->p, ctx, NULL))
		goto out;
	/* only a composite p (DH-GEX from a hostile server) can get here */
	if (BN_is_zero(k) || BN_is_one(k)) {
		r = ERR_KEY_INVALID;
		goto out;
	}
	if (BN_bn2binpad(k, kbytes, (int)klen) != (int)klen)
		goto out;
	r = buf_put_bignum_bytes(out, kbytes, klen);
 out:
	mem_freezero(kbytes, klen);
	BN_clear_free(k);
	BN_free(f);
	BN_CTX_free(ctx);
	return r;
}

static int
dh_group(const void *st, const unsigned char **pp, size_t *plen,
    const unsigned char **gp, size_t *glen)
{
	const struct kex_dh *dh = st;

	if (dh->p == NULL)
		return ERR_INVALID_ARGUMENT;
	*pp = dh->p_bytes;
	*plen = dh->p_len;
	*gp = dh->g_bytes;
	*glen = dh->g_len;
	return ERR_OK;
}

const struct kex_family_ops kex_dh_ops = {
	.family = KEX_FAMILY_DH,
	.state_new = dh_state_new,
	.state_free = dh_state_free,
	.set_group = NULL,
	.generate = dh_generate,
	.public_value = dh_public_value,
	.shared_secret = dh_shared_secret,
	.group = dh_group,
};

const struct kex_family_ops kex_dh_gex_ops = {
	.family = KEX_FAMILY_DH_GEX,
	.state_new = dh_state_new,
	.state_free = dh_state_free,
	.set_group = dh_set_group,
	.generate = dh_generate,
	.public_value = dh_public_value,
	.shared_secret = dh_shared_secret,
	.group = dh_group,
};
