/*
 * Packet MACs: HMAC (RFC 2104) with SHA-1 and SHA-2 on OpenSSL's EVP_MAC,
 * in the encrypt-and-MAC form of RFC 4253 section 6.4 and OpenSSH's
 * encrypt-then-MAC "-etm@openssh.com" form (OpenSSH PROTOCOL section
 * 1.5).  The MAC itself is the same in both; only what the packet layer
 * feeds it differs.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/mem.h"
#include "transport/cipher.h"

#define MAC_MAX_LEN 64  /* SHA-512 */

/* As in cipher.c: the public part first, found again by address. */
struct mac_alg {
	struct mac_impl impl;
	const char *digest;  /* OpenSSL digest name */
};

struct mac_ctx {
	const struct mac_alg *alg;
	EVP_MAC_CTX *evp;  /* keyed once; holds (and cleanses) the key */
};

/* OpenSSH's order of preference.  umac-64/128 are left out on purpose:
 * OpenSSL has no UMAC, every OpenSSH server also offers the hmac-sha2
 * etm MACs, and the kex filters names we do not carry out of the
 * configured list (as ssh does for algorithms it was built without). */
static const struct mac_alg mac_algs[] = {
	{ { "hmac-sha2-256-etm@openssh.com", 32, 32, 1 }, "SHA2-256" },
	{ { "hmac-sha2-512-etm@openssh.com", 64, 64, 1 }, "SHA2-512" },
	{ { "hmac-sha1-etm@openssh.com", 20, 20, 1 }, "SHA1" },
	{ { "hmac-sha2-256", 32, 32, 0 }, "SHA2-256" },
	{ { "hmac-sha2-512", 64, 64, 0 }, "SHA2-512" },
	{ { "hmac-sha1", 20, 20, 0 }, "SHA1" },
};
#define N_MAC_ALGS (sizeof(mac_algs) / sizeof(mac_algs[0]))

const struct mac_impl *
mac_by_name(const char *name)
{
	size_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < N_MAC_ALGS; i++) {
		if (strcmp(mac_algs[i].impl.name, name) == 0)
			return &mac_algs[i].impl;
	}
	return NULL;
}

static const struct mac_alg *
mac_alg_of(const struct mac_impl *impl)
{
	size_t i;

	for (i = 0; i < N_MAC_ALGS; i++) {
		if (&mac_algs[i].impl == impl)
			return &mac_algs[i];
	}
	return NULL;
}

int
mac_init(struct mac_ctx **ctxp, const struct mac_impl *impl,
    const unsigned char *key, size_t key_len)
{
	struct mac_ctx *ctx = NULL;
	const struct mac_alg *alg;
	EVP_MAC *mac = NULL;
	OSSL_PARAM params[2];
	int r = ERR_INTERNAL;

	if (ctxp == NULL)
		return ERR_INVALID_ARGUMENT;
	*ctxp = NULL;
	/* HMAC takes any key length, but a length other than the one the
	 * key exchange derives for this MAC is a bug upstream. */
	if ((alg = mac_alg_of(impl)) == NULL || key == NULL ||
	    key_len != impl->key_len)
		return ERR_INVALID_ARGUMENT;
	if ((ctx = calloc(1, sizeof(*ctx))) == NULL)
		return ERR_NOMEM;
	ctx->alg = alg;
	if ((mac = EVP_MAC_fetch(NULL, OSSL_MAC_NAME_HMAC, NULL)) == NULL)
		goto out;
	if ((ctx->evp = EVP_MAC_CTX_new(mac)) == NULL) {
		r = ERR_NOMEM;
		goto out;
	}
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)alg->digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(ctx->evp, key, key_len, params) != 1)
		goto out;
	*ctxp = ctx;
	ctx = NULL;
	r = ERR_OK;
 out:
	EVP_MAC_free(mac);  /* the context keeps its own reference */
	mac_free(ctx);
	return r;
}

void
mac_free(struct mac_ctx *ctx)
{
	if (ctx == NULL)
		return;
	EVP_MAC_CTX_free(ctx->evp);
	mem_freezero(ctx, sizeof(*ctx));
}

const struct mac_impl *
mac_ctx_impl(const struct mac_ctx *ctx)
{
	return ctx == NULL ? NULL : &ctx->alg->impl;
}

int
mac_compute(struct mac_ctx *ctx, uint32_t seqnr,
    const unsigned char *data, size_t len, unsigned char *out)
{
	unsigned char seq[4];
	size_t outl = 0;

	if (ctx == NULL || out == NULL || (data == NULL && len != 0))
		return ERR_INVALID_ARGUMENT;
	buf_poke_u32_raw(seq, seqnr);
	/*
	 * EVP_MAC_init() without a key restarts HMAC from the inner state
	 * computed when the key was set: no re-keying per packet.  (OpenSSL
	 * 3.0 still allocates a digest context inside that restart; we
	 * allocate nothing.)
	 */
	if (EVP_MAC_init(ctx->evp, NULL, 0, NULL) != 1 ||
	    EVP_MAC_update(ctx->evp, seq, sizeof(seq)) != 1 ||
	    (len != 0 && EVP_MAC_update(ctx->evp, data, len) != 1) ||
	    EVP_MAC_final(ctx->evp, out, &outl,
	    ctx->alg->impl.mac_len) != 1 ||
	    outl != ctx->alg->impl.mac_len)
		return ERR_INTERNAL;
	return ERR_OK;
}

int
mac_check(struct mac_ctx *ctx, uint32_t seqnr, const unsigned char *data,
    size_t len, const unsigned char *expected)
{
	unsigned char computed[MAC_MAX_LEN];
	int r;

	if (expected == NULL)
		return ERR_INVALID_ARGUMENT;
	if ((r = mac_compute(ctx, seqnr, data, len, computed)) != ERR_OK)
		goto out;
	/* constant time: a timing oracle on the tag would let a forger
	 * learn it byte by byte */
	r = mem_equal_ct(computed, expected, ctx->alg->impl.mac_len) == 0 ?
	    ERR_OK : ERR_MAC_INVALID;
 out:
	mem_wipe(computed, sizeof(computed));
	return r;
}
