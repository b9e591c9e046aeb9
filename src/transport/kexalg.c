/*
 * Key exchange methods: the table of names, the hashes, key derivation
 * (RFC 4253 section 7.2) and the family-independent half of struct
 * kex_client, which checks the order of calls and hands the mathematics
 * to kex-dh.c, kex-ecdh.c or kex-c25519.c through struct kex_family_ops.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <sodium.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/mem.h"
#include "transport/kexalg-int.h"
#include "transport/kexalg.h"

/*
 * Every method we implement.  Not here: the SHA-1 methods (gone from
 * OpenSSH's defaults), sntrup761x25519-sha512 (libsodium has no
 * Streamlined NTRU Prime) and mlkem768x25519-sha256 (OpenSSL 3.0 has no
 * ML-KEM); kex_method_by_name() returns NULL for them so negotiation
 * never picks them.
 */
static const struct kex_method kex_methods[] = {
	{ "curve25519-sha256", KEX_FAMILY_C25519, KEX_HASH_SHA256, 0 },
	{ "curve25519-sha256@libssh.org", KEX_FAMILY_C25519, KEX_HASH_SHA256,
	    0 },
	{ "ecdh-sha2-nistp256", KEX_FAMILY_ECDH, KEX_HASH_SHA256,
	    NID_X9_62_prime256v1 },
	{ "ecdh-sha2-nistp384", KEX_FAMILY_ECDH, KEX_HASH_SHA384,
	    NID_secp384r1 },
	{ "ecdh-sha2-nistp521", KEX_FAMILY_ECDH, KEX_HASH_SHA512,
	    NID_secp521r1 },
	{ "diffie-hellman-group-exchange-sha256", KEX_FAMILY_DH_GEX,
	    KEX_HASH_SHA256, 0 },
	{ "diffie-hellman-group16-sha512", KEX_FAMILY_DH, KEX_HASH_SHA512, 16 },
	{ "diffie-hellman-group18-sha512", KEX_FAMILY_DH, KEX_HASH_SHA512, 18 },
	{ "diffie-hellman-group14-sha256", KEX_FAMILY_DH, KEX_HASH_SHA256, 14 },
};

static const struct kex_family_ops *const kex_families[] = {
	&kex_dh_ops,
	&kex_dh_gex_ops,
	&kex_ecdh_ops,
	&kex_c25519_ops,
};

struct kex_client {
	const struct kex_method *method;
	const struct kex_family_ops *ops;
	void *st;
	int generated;
	/* the test hook's private key, kept for DH-GEX's later generate */
	unsigned char *fixed_priv;
	size_t fixed_priv_len;
};

const struct kex_method *
kex_method_by_name(const char *name)
{
	size_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < sizeof(kex_methods) / sizeof(kex_methods[0]); i++)
		if (strcmp(kex_methods[i].name, name) == 0)
			return &kex_methods[i];
	return NULL;
}

static const EVP_MD *
kex_hash_md(enum kex_hash h)
{
	switch (h) {
	case KEX_HASH_SHA256:
		return EVP_sha256();
	case KEX_HASH_SHA384:
		return EVP_sha384();
	case KEX_HASH_SHA512:
		return EVP_sha512();
	}
	return NULL;
}

size_t
kex_hash_len(enum kex_hash h)
{
	switch (h) {
	case KEX_HASH_SHA256:
		return 32;
	case KEX_HASH_SHA384:
		return 48;
	case KEX_HASH_SHA512:
		return 64;
	}
	return 0;
}

int
kex_hash_digest(enum kex_hash h, const void *data, size_t len,
    unsigned char *out)
{
	const EVP_MD *md = kex_hash_md(h);

	if (md == NULL)
		return ERR_INVALID_ARGUMENT;
	if (EVP_Digest(data, len, out, NULL, md, NULL) != 1)
		return ERR_INTERNAL;
	return ERR_OK;
}

/*
 * RFC 4253 section 7.2:
 *   K1 = HASH(K || H || letter || session_id)
 *   K2 = HASH(K || H || K1)
 *   Kn = HASH(K || H || K1 || ... || K(n-1))
 * and the key is the first need bytes of K1 || K2 || ...  Every block but
 * the last is whole, so out[0..have) is exactly K1 || ... || Kn when the
 * next block is computed.
 */
int
kex_derive_key(enum kex_hash h, const unsigned char *k, size_t klen,
    const unsigned char *hash, size_t hlen, char letter,
    const unsigned char *session_id, size_t sid_len,
    unsigned char *out, size_t need)
{
	const EVP_MD *md = kex_hash_md(h);
	unsigned char block[EVP_MAX_MD_SIZE];
	unsigned char c = (unsigned char)letter;
	size_t mdlen = kex_hash_len(h), have = 0, n;
	EVP_MD_CTX *ctx = NULL;
	int r = ERR_INTERNAL;

	if (md == NULL)
		return ERR_INVALID_ARGUMENT;
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return ERR_NOMEM;
	while (have < need) {
		if (EVP_DigestInit_ex(ctx, md, NULL) != 1 ||
		    EVP_DigestUpdate(ctx, k, klen) != 1 ||
		    EVP_DigestUpdate(ctx, hash, hlen) != 1)
			goto out;
		if (have == 0) {
			if (EVP_DigestUpdate(ctx, &c, 1) != 1 ||
			    EVP_DigestUpdate(ctx, session_id, sid_len) != 1)
				goto out;
		} else if (EVP_DigestUpdate(ctx, out, have) != 1)
			goto out;
		if (EVP_DigestFinal_ex(ctx, block, NULL) != 1)
			goto out;
		n = need - have < mdlen ? need - have : mdlen;
		memcpy(out + have, block, n);
		have += n;
	}
	r = ERR_OK;
 out:
	mem_wipe(block, sizeof(block));
	EVP_MD_CTX_free(ctx);
	if (r != ERR_OK && need > 0)
		mem_wipe(out, need);
	return r;
}

int
kex_sodium_init(void)
{
	/* 0: initialised now, 1: already; safe to call from any thread */
	return sodium_init() < 0 ? ERR_INTERNAL : ERR_OK;
}

static int
kex_client_alloc(const struct kex_method *m, struct kex_client **kp)
{
	struct kex_client *k = NULL;
	size_t i;
	int r;

	*kp = NULL;
	if (m == NULL)
		return ERR_INVALID_ARGUMENT;
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return ERR_NOMEM;
	k->method = m;
	for (i = 0; i < sizeof(kex_families) / sizeof(kex_families[0]); i++)
		if (kex_families[i]->family == m->family)
			k->ops = kex_families[i];
	if (k->ops == NULL) {
		free(k);
		return ERR_INVALID_ARGUMENT;
	}
	if ((r = k->ops->state_new(m, &k->st)) != ERR_OK) {
		free(k);
		return r;
	}
	*kp = k;
	return ERR_OK;
}

int
kex_client_new(const struct kex_method *m, struct kex_client **kp)
{
	struct kex_client *k = NULL;
	int r;

	*kp = NULL;
	if ((r = kex_client_alloc(m, &k)) != ERR_OK)
		return r;
	if (m->family != KEX_FAMILY_DH_GEX &&
	    (r = kex_client_generate(k)) != ERR_OK) {
		kex_client_free(k);
		return r;
	}
	*kp = k;
	return ERR_OK;
}

int
kex_client_new_with_private(const struct kex_method *m,
    const unsigned char *priv, size_t privlen, struct kex_client **kp)
{
	struct kex_client *k = NULL;
	int r = ERR_INTERNAL;

	*kp = NULL;
	if (priv == NULL || privlen == 0)
		return ERR_INVALID_ARGUMENT;
	if ((r = kex_client_alloc(m, &k)) != ERR_OK)
		return r;
	if ((k->fixed_priv = malloc(privlen)) == NULL) {
		r = ERR_NOMEM;
		goto out;
	}
	memcpy(k->fixed_priv, priv, privlen);
	k->fixed_priv_len = privlen;
	if (m->family != KEX_FAMILY_DH_GEX &&
	    (r = kex_client_generate(k)) != ERR_OK)
		goto out;
	*kp = k;
	k = NULL;
	r = ERR_OK;
 out:
	kex_client_free(k);
	return r;
}

void
kex_client_free(struct kex_client *k)
{
	if (k == NULL)
		return;
	if (k->ops != NULL)
		k->ops->state_free(k->st);
	mem_freezero(k->fixed_priv, k->fixed_priv_len);
	mem_freezero(k, sizeof(*k));
}

int
kex_client_set_group(struct kex_client *k, const unsigned char *p,
    size_t plen, const unsigned char *g, size_t glen, unsigned int min_bits,
    unsigned int max_bits)
{
	if (k->ops->set_group == NULL || k->generated)
		return ERR_INVALID_ARGUMENT;
	return k->ops->set_group(k->st, p, plen, g, glen, min_bits, max_bits);
}

int
kex_client_generate(struct kex_client *k)
{
	int r;

	if (k->generated)
		return ERR_INVALID_ARGUMENT;
	if ((r = k->ops->generate(k->st, k->fixed_priv,
	    k->fixed_priv_len)) != ERR_OK)
		return r;
	k->generated = 1;
	return ERR_OK;
}

int
kex_client_public(const struct kex_client *k, const unsigned char **pubp,
    size_t *lenp)
{
	*pubp = NULL;
	*lenp = 0;
	if (!k->generated)
		return ERR_INVALID_ARGUMENT;
	return k->ops->public_value(k->st, pubp, lenp);
}

int
kex_client_shared_secret(struct kex_client *k,
    const unsigned char *server_pub, size_t server_pub_len, struct buf *out)
{
	if (!k->generated)
		return ERR_INVALID_ARGUMENT;
	if (server_pub == NULL && server_pub_len != 0)
		return ERR_INVALID_ARGUMENT;
	return k->ops->shared_secret(k->st, server_pub, server_pub_len, out);
}

int
kex_client_group(const struct kex_client *k, const unsigned char **pp,
    size_t *plen, const unsigned char **gp, size_t *glen)
{
	*pp = *gp = NULL;
	*plen = *glen = 0;
	if (k->ops->group == NULL)
		return ERR_INVALID_ARGUMENT;
	return k->ops->group(k->st, pp, plen, gp, glen);
}
