/*
 * The packet cipher table and its dispatch, with AES-CTR and AES-GCM on
 * OpenSSL's EVP interface (chacha20-poly1305 is in cipher-chachapoly.c).
 *
 * Every context is set up once per key (cipher_init) and then reused for
 * every packet: the per-packet path allocates nothing (but for the GCM
 * decryption buffer, once, see gcm_crypt) and only resets what the mode
 * needs (the GCM nonce), since this is the hot path of every byte the
 * transport moves.
 */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "common/err.h"
#include "common/mem.h"
#include "transport/cipher.h"
#include "transport/cipher-int.h"

#define GCM_IV_LEN  12  /* RFC 5647 section 7.1: 4 fixed + 8 invocation */
#define GCM_TAG_LEN 16
#define AEAD_AAD_LEN 4  /* the packet length, sent in the clear (or, for
                         * chacha20-poly1305, under its own key) */
/* EVP takes int lengths; no SSH packet comes near this. */
#define CIPHER_MAX_LEN ((size_t)INT_MAX - 64)
/* GCM decryption stages plaintext in a per-context buffer, grown in steps
 * of this size: a first packet of up to 32 KiB allocates it once. */
#define GCM_SCRATCH_STEP (32u * 1024 + 1024)

/*
 * Rekey limits (SECURITY.md rule 8; OpenSSH cipher.c/packet.c): a cipher
 * with 16-byte blocks may process 2^(128/4) = 2^32 blocks under one key,
 * i.e. 64 GiB; chacha20-poly1305 is held to 1 GiB as OpenSSH does.
 */
#define REKEY_AES  (((uint64_t)1 << 32) * 16)
#define REKEY_CHACHAPOLY ((uint64_t)1 << 30)

struct cipher_ctx;

/* What differs between the cipher families. */
struct cipher_ops {
	int (*init)(struct cipher_ctx *ctx, const unsigned char *key,
	    const unsigned char *iv);
	/* lengths already checked by cipher_crypt() */
	int (*crypt)(struct cipher_ctx *ctx, uint32_t seqnr,
	    unsigned char *dst, const unsigned char *src, size_t len,
	    size_t aad_len);
	/* NULL: the length is not encrypted separately */
	int (*decrypt_length)(struct cipher_ctx *ctx, uint32_t seqnr,
	    const unsigned char *cp, size_t len, uint32_t *plenp);
};

/*
 * One table entry.  The public part comes first: cipher_by_name() hands
 * out &alg->impl, and cipher_alg_of() maps it back by finding it in the
 * table, which also refuses an impl that is not one of ours.
 */
struct cipher_alg {
	struct cipher_impl impl;
	const struct cipher_ops *ops;
	const char *evp_name;  /* OpenSSL algorithm, NULL for chacha */
};

struct cipher_ctx {
	const struct cipher_alg *alg;
	int encrypt;
	EVP_CIPHER_CTX *evp;                /* AES: holds the key schedule */
	unsigned char gcm_iv[GCM_IV_LEN];   /* fixed || invocation counter */
	unsigned char *scratch;             /* GCM decryption, see gcm_crypt */
	size_t scratch_size;
	struct chachapoly_ctx *cp;
};

static int ctr_init(struct cipher_ctx *, const unsigned char *,
    const unsigned char *);
static int ctr_crypt(struct cipher_ctx *, uint32_t, unsigned char *,
    const unsigned char *, size_t, size_t);
static int gcm_init(struct cipher_ctx *, const unsigned char *,
    const unsigned char *);
static int gcm_crypt(struct cipher_ctx *, uint32_t, unsigned char *,
    const unsigned char *, size_t, size_t);
static int cp_init(struct cipher_ctx *, const unsigned char *,
    const unsigned char *);
static int cp_crypt(struct cipher_ctx *, uint32_t, unsigned char *,
    const unsigned char *, size_t, size_t);
static int cp_decrypt_length(struct cipher_ctx *, uint32_t,
    const unsigned char *, size_t, uint32_t *);

static const struct cipher_ops ctr_ops = {
	.init = ctr_init,
	.crypt = ctr_crypt,
};
static const struct cipher_ops gcm_ops = {
	.init = gcm_init,
	.crypt = gcm_crypt,
};
static const struct cipher_ops chachapoly_ops = {
	.init = cp_init,
	.crypt = cp_crypt,
	.decrypt_length = cp_decrypt_length,
};

/* In OpenSSH's order of preference.  "none" is deliberately absent: no
 * name can select an unencrypted transport. */
static const struct cipher_alg cipher_algs[] = {
	{
		.impl = {
			.name = "chacha20-poly1305@openssh.com",
			.block_size = 8,
			.key_len = CHACHAPOLY_KEY_LEN,
			.iv_len = 0,
			.auth_len = CHACHAPOLY_TAG_LEN,
			.flags = CIPHER_AEAD | CIPHER_CHACHAPOLY,
			.rekey_bytes = REKEY_CHACHAPOLY,
		},
		.ops = &chachapoly_ops,
	},
	{
		.impl = {
			.name = "aes128-gcm@openssh.com",
			.block_size = 16, .key_len = 16, .iv_len = GCM_IV_LEN,
			.auth_len = GCM_TAG_LEN, .flags = CIPHER_AEAD,
			.rekey_bytes = REKEY_AES,
		},
		.ops = &gcm_ops, .evp_name = "AES-128-GCM",
	},
	{
		.impl = {
			.name = "aes256-gcm@openssh.com",
			.block_size = 16, .key_len = 32, .iv_len = GCM_IV_LEN,
			.auth_len = GCM_TAG_LEN, .flags = CIPHER_AEAD,
			.rekey_bytes = REKEY_AES,
		},
		.ops = &gcm_ops, .evp_name = "AES-256-GCM",
	},
	{
		.impl = {
			.name = "aes128-ctr",
			.block_size = 16, .key_len = 16, .iv_len = 16,
			.rekey_bytes = REKEY_AES,
		},
		.ops = &ctr_ops, .evp_name = "AES-128-CTR",
	},
	{
		.impl = {
			.name = "aes192-ctr",
			.block_size = 16, .key_len = 24, .iv_len = 16,
			.rekey_bytes = REKEY_AES,
		},
		.ops = &ctr_ops, .evp_name = "AES-192-CTR",
	},
	{
		.impl = {
			.name = "aes256-ctr",
			.block_size = 16, .key_len = 32, .iv_len = 16,
			.rekey_bytes = REKEY_AES,
		},
		.ops = &ctr_ops, .evp_name = "AES-256-CTR",
	},
};
#define N_CIPHER_ALGS (sizeof(cipher_algs) / sizeof(cipher_algs[0]))

const struct cipher_impl *
cipher_by_name(const char *name)
{
	size_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < N_CIPHER_ALGS; i++) {
		if (strcmp(cipher_algs[i].impl.name, name) == 0)
			return &cipher_algs[i].impl;
	}
	return NULL;
}

static const struct cipher_alg *
cipher_alg_of(const struct cipher_impl *impl)
{
	size_t i;

	for (i = 0; i < N_CIPHER_ALGS; i++) {
		if (&cipher_algs[i].impl == impl)
			return &cipher_algs[i];
	}
	return NULL;
}

int
cipher_init(struct cipher_ctx **ctxp, const struct cipher_impl *impl,
    const unsigned char *key, size_t key_len,
    const unsigned char *iv, size_t iv_len, int encrypt)
{
	struct cipher_ctx *ctx = NULL;
	const struct cipher_alg *alg;
	int r = ERR_INTERNAL;

	if (ctxp == NULL)
		return ERR_INVALID_ARGUMENT;
	*ctxp = NULL;
	if ((alg = cipher_alg_of(impl)) == NULL ||
	    key_len != impl->key_len || iv_len != impl->iv_len ||
	    (key == NULL && key_len != 0) || (iv == NULL && iv_len != 0))
		return ERR_INVALID_ARGUMENT;
	if ((ctx = calloc(1, sizeof(*ctx))) == NULL)
		return ERR_NOMEM;
	ctx->alg = alg;
	ctx->encrypt = encrypt != 0;
	if ((r = alg->ops->init(ctx, key, iv)) != ERR_OK)
		goto out;
	*ctxp = ctx;
	ctx = NULL;
	r = ERR_OK;
 out:
	cipher_free(ctx);
	return r;
}

void
cipher_free(struct cipher_ctx *ctx)
{
	if (ctx == NULL)
		return;
	/* EVP_CIPHER_CTX_free() cleanses the key schedule it holds. */
	EVP_CIPHER_CTX_free(ctx->evp);
	chachapoly_free(ctx->cp);
	mem_freezero(ctx->scratch, ctx->scratch_size);
	mem_freezero(ctx, sizeof(*ctx));
}

const struct cipher_impl *
cipher_ctx_impl(const struct cipher_ctx *ctx)
{
	return ctx == NULL ? NULL : &ctx->alg->impl;
}

int
cipher_crypt(struct cipher_ctx *ctx, uint32_t seqnr, unsigned char *dst,
    const unsigned char *src, size_t len, size_t aad_len)
{
	const struct cipher_impl *impl;

	if (ctx == NULL || dst == NULL || src == NULL)
		return ERR_INVALID_ARGUMENT;
	impl = &ctx->alg->impl;
	/* The AAD is the 4-byte length, or nothing (encrypt-and-MAC). */
	if ((aad_len != 0 && aad_len != AEAD_AAD_LEN) ||
	    ((impl->flags & CIPHER_AEAD) && aad_len != AEAD_AAD_LEN) ||
	    len < aad_len || len > CIPHER_MAX_LEN ||
	    (len - aad_len) % impl->block_size != 0)
		return ERR_INVALID_ARGUMENT;
	return ctx->alg->ops->crypt(ctx, seqnr, dst, src, len, aad_len);
}

int
cipher_decrypt_length(struct cipher_ctx *ctx, uint32_t seqnr,
    const unsigned char *cp, size_t len, uint32_t *plenp)
{
	if (plenp != NULL)
		*plenp = 0;
	if (ctx == NULL || cp == NULL || plenp == NULL ||
	    ctx->alg->ops->decrypt_length == NULL)
		return ERR_INVALID_ARGUMENT;
	return ctx->alg->ops->decrypt_length(ctx, seqnr, cp, len, plenp);
}

/* ---- AES on EVP */

/* Fetches the algorithm and keys the context; iv may be NULL (GCM sets
 * its nonce per packet). */
static int
evp_init(struct cipher_ctx *ctx, const unsigned char *key,
    const unsigned char *iv)
{
	EVP_CIPHER *cipher = NULL;
	int r = ERR_INTERNAL;

	if ((ctx->evp = EVP_CIPHER_CTX_new()) == NULL) {
		r = ERR_NOMEM;
		goto out;
	}
	if ((cipher = EVP_CIPHER_fetch(NULL, ctx->alg->evp_name, NULL)) == NULL)
		goto out;
	/* The context takes its own reference to cipher. */
	if (EVP_CipherInit_ex(ctx->evp, cipher, NULL, key, iv,
	    ctx->encrypt) != 1)
		goto out;
	r = ERR_OK;
 out:
	EVP_CIPHER_free(cipher);
	return r;
}

/*
 * AES-CTR (RFC 4344): the IV is a 128-bit big-endian counter that carries
 * on from packet to packet, which is exactly the state EVP keeps between
 * updates.  Encryption and decryption are the same operation.
 */
static int
ctr_init(struct cipher_ctx *ctx, const unsigned char *key,
    const unsigned char *iv)
{
	return evp_init(ctx, key, iv);
}

static int
ctr_crypt(struct cipher_ctx *ctx, uint32_t seqnr, unsigned char *dst,
    const unsigned char *src, size_t len, size_t aad_len)
{
	int outl = 0;

	/* -etm: the length field stays in the clear */
	if (aad_len != 0 && dst != src)
		memmove(dst, src, aad_len);
	if (len == aad_len)
		return ERR_OK;
	if (EVP_CipherUpdate(ctx->evp, dst + aad_len, &outl, src + aad_len,
	    (int)(len - aad_len)) != 1 || (size_t)outl != len - aad_len)
		return ERR_INTERNAL;
	return ERR_OK;
}

/*
 * AES-GCM as RFC 5647 and OpenSSH use it: the 12-byte nonce is the IV
 * from key derivation, whose last 8 bytes (the invocation counter) are
 * incremented as a big-endian number after every packet (RFC 5647
 * section 7.1; OpenSSH does this with EVP_CTRL_GCM_IV_GEN).  We keep the
 * counter ourselves so that it only moves when a packet was processed.
 */
static int
gcm_init(struct cipher_ctx *ctx, const unsigned char *key,
    const unsigned char *iv)
{
	int r;

	if ((r = evp_init(ctx, key, NULL)) != ERR_OK)
		return r;
	memcpy(ctx->gcm_iv, iv, GCM_IV_LEN);
	return ERR_OK;
}

static void
gcm_iv_increment(unsigned char iv[GCM_IV_LEN])
{
	size_t i;

	for (i = GCM_IV_LEN; i > GCM_IV_LEN - 8; i--) {
		if (++iv[i - 1] != 0)
			break;
	}
}

static int
gcm_crypt(struct cipher_ctx *ctx, uint32_t seqnr, unsigned char *dst,
    const unsigned char *src, size_t len, size_t aad_len)
{
	const size_t body_len = len - aad_len;
	unsigned char tag[GCM_TAG_LEN], sink[GCM_TAG_LEN], *p;
	int outl = 0, r = ERR_INTERNAL;

	/*
	 * Decryption must not write unauthenticated plaintext to dst, but
	 * GCM only knows the tag once all the ciphertext went through.  So
	 * the plaintext goes to a per-context scratch buffer, reused from
	 * packet to packet, and is copied to dst once the tag matched.  The
	 * copy is far cheaper than a second pass to check the tag first.
	 */
	if (!ctx->encrypt && body_len > ctx->scratch_size) {
		size_t size = (body_len + GCM_SCRATCH_STEP - 1) /
		    GCM_SCRATCH_STEP * GCM_SCRATCH_STEP;

		mem_freezero(ctx->scratch, ctx->scratch_size);
		ctx->scratch_size = 0;
		if ((ctx->scratch = malloc(size)) == NULL)
			return ERR_NOMEM;
		ctx->scratch_size = size;
	}
	p = ctx->encrypt ? dst + aad_len : ctx->scratch;

	/* A new nonce, same key schedule (-1: direction unchanged). */
	if (EVP_CipherInit_ex(ctx->evp, NULL, NULL, NULL, ctx->gcm_iv,
	    -1) != 1)
		goto out;
	/* the length is additional authenticated data */
	if (EVP_CipherUpdate(ctx->evp, NULL, &outl, src, (int)aad_len) != 1)
		goto out;
	if (!ctx->encrypt) {
		memcpy(tag, src + len, sizeof(tag));
		if (EVP_CIPHER_CTX_ctrl(ctx->evp, EVP_CTRL_AEAD_SET_TAG,
		    (int)sizeof(tag), tag) != 1)
			goto out;
	}
	if (body_len > 0 && (EVP_CipherUpdate(ctx->evp, p, &outl,
	    src + aad_len, (int)body_len) != 1 || (size_t)outl != body_len))
		goto out;
	/* GCM's final step outputs nothing (p may be NULL if body_len is
	 * 0), hence the sink */
	if (EVP_CipherFinal_ex(ctx->evp, sink, &outl) != 1) {
		/* Only decryption can fail here, and only on the tag. */
		if (!ctx->encrypt) {
			r = ERR_MAC_INVALID;
			mem_wipe(p, body_len);
		}
		goto out;
	}
	if (ctx->encrypt) {
		if (EVP_CIPHER_CTX_ctrl(ctx->evp, EVP_CTRL_AEAD_GET_TAG,
		    GCM_TAG_LEN, dst + len) != 1)
			goto out;
		if (dst != src)
			memmove(dst, src, aad_len);
	} else {
		if (dst != src)
			memmove(dst, src, aad_len);
		if (body_len > 0)
			memcpy(dst + aad_len, p, body_len);
	}
	gcm_iv_increment(ctx->gcm_iv);
	r = ERR_OK;
 out:
	return r;
}

/* ---- chacha20-poly1305@openssh.com: see cipher-chachapoly.c */

static int
cp_init(struct cipher_ctx *ctx, const unsigned char *key,
    const unsigned char *iv)
{
	return chachapoly_init(&ctx->cp, key, CHACHAPOLY_KEY_LEN);
}

static int
cp_crypt(struct cipher_ctx *ctx, uint32_t seqnr, unsigned char *dst,
    const unsigned char *src, size_t len, size_t aad_len)
{
	return chachapoly_crypt(ctx->cp, seqnr, dst, src, len, aad_len,
	    ctx->encrypt);
}

static int
cp_decrypt_length(struct cipher_ctx *ctx, uint32_t seqnr,
    const unsigned char *cp, size_t len, uint32_t *plenp)
{
	return chachapoly_get_length(ctx->cp, seqnr, cp, len, plenp);
}
