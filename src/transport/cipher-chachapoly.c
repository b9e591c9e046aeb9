/*
 * chacha20-poly1305@openssh.com, as OpenSSH's PROTOCOL.chacha20poly1305
 * defines it, on OpenSSL 3's ChaCha20 cipher and Poly1305 EVP_MAC.
 *
 * The 64 bytes of derived key are two ChaCha20 keys: K_2, the first 32
 * bytes, encrypts the packet body; K_1, the last 32, encrypts only the
 * 4-byte packet length, so that a reader can learn how much to wait for
 * without the length being malleable or in the clear.  Both use the
 * original ChaCha20 (64-bit nonce, 64-bit block counter) with the packet
 * sequence number as the nonce, big-endian in 8 bytes.
 *
 *   length:   ChaCha20(K_1, nonce, block 0) XOR the 4 length bytes
 *   poly key: the first 32 bytes of ChaCha20(K_2, nonce, block 0)
 *   body:     ChaCha20(K_2, nonce, blocks 1...) XOR the body
 *   tag:      Poly1305(poly key, encrypted length || encrypted body)
 *
 * The sequence number never repeats under one key (the packet layer
 * re-keys long before it could wrap), so neither does a nonce.
 *
 * Mapping onto OpenSSL's ChaCha20.  OpenSSL implements RFC 8439's
 * variant: its 16-byte IV is state words 12-15, a 32-bit little-endian
 * block counter (word 12) then a 96-bit nonce (words 13-15).  The
 * original ChaCha20 that OpenSSH uses fills the same four words with a
 * 64-bit little-endian block counter (words 12-13) then the 64-bit nonce
 * (words 14-15).  So as long as the block counter stays below 2^32, its
 * high word (13) is zero and the two layouts hold the same state when
 * the IV is
 *
 *   counter (LE32) || 00 00 00 00 || seqnr as 8 bytes big-endian
 *
 * i.e. the 96-bit IETF nonce is 4 zero bytes then the 8-byte big-endian
 * sequence number (itself 4 zero bytes then the 32-bit seqnr).  A packet
 * stays far below 2^32 blocks (256 GiB): cipher_crypt() refuses more
 * than INT_MAX bytes (< 2^25 blocks), and we check again below.
 *
 * Cost per packet.  Everything OpenSSL allocates is set up once per key
 * in chachapoly_init(): the two algorithms are fetched there (explicitly,
 * which is EVP_chacha20()'s algorithm without the implicit fetch that
 * the legacy getter costs on every EVP_CipherInit_ex() that names it),
 * each ChaCha20 context is keyed once, and one Poly1305 EVP_MAC context
 * is kept.  A packet then only sets a new IV on each ChaCha20 context
 * (no key schedule to redo for ChaCha20) and re-initialises the Poly1305
 * context with that packet's one-time key.  None of these steps
 * allocates (counted on OpenSSL 3.0.22 by interposing malloc).
 */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/mem.h"
#include "transport/cipher-int.h"

#define CHACHA_KEY_LEN   32
#define CHACHA_BLOCK_LEN 64
#define CHACHA_IV_LEN    16  /* OpenSSL: counter (LE32) || 96-bit nonce */
#define POLY_KEY_LEN     32

/* The longest body we let through one IV: the 32-bit counter must not
 * wrap (see above; block 0 is the Poly1305 key).  EVP takes int lengths,
 * which is already far stricter. */
#define CHACHAPOLY_MAX_LEN ((size_t)INT_MAX)

struct chachapoly_ctx {
	EVP_CIPHER_CTX *main_evp;    /* K_2: poly key and body */
	EVP_CIPHER_CTX *header_evp;  /* K_1: length only */
	EVP_MAC_CTX *poly;           /* re-keyed for every packet */
};

/* A ChaCha20 context keyed with key; the IV is set per packet. */
static int
chacha_ctx_new(EVP_CIPHER_CTX **evpp, EVP_CIPHER *chacha,
    const unsigned char *key)
{
	if ((*evpp = EVP_CIPHER_CTX_new()) == NULL)
		return ERR_NOMEM;
	/* Encryption and decryption are the same XOR; always "encrypt". */
	if (EVP_EncryptInit_ex(*evpp, chacha, NULL, key, NULL) != 1)
		return ERR_INTERNAL;
	return ERR_OK;
}

int
chachapoly_init(struct chachapoly_ctx **cpp, const unsigned char *key,
    size_t key_len)
{
	struct chachapoly_ctx *cp = NULL;
	EVP_CIPHER *chacha = NULL;
	EVP_MAC *poly = NULL;
	int r = ERR_INTERNAL;

	*cpp = NULL;
	if (key == NULL || key_len != CHACHAPOLY_KEY_LEN)
		return ERR_INVALID_ARGUMENT;
	if ((cp = calloc(1, sizeof(*cp))) == NULL)
		return ERR_NOMEM;
	if ((chacha = EVP_CIPHER_fetch(NULL, "ChaCha20", NULL)) == NULL ||
	    (poly = EVP_MAC_fetch(NULL, OSSL_MAC_NAME_POLY1305, NULL)) == NULL)
		goto out;
	if (EVP_CIPHER_get_key_length(chacha) != CHACHA_KEY_LEN ||
	    EVP_CIPHER_get_iv_length(chacha) != CHACHA_IV_LEN)
		goto out;
	/* The contexts take their own references to the algorithms. */
	if ((r = chacha_ctx_new(&cp->main_evp, chacha, key)) != ERR_OK ||
	    (r = chacha_ctx_new(&cp->header_evp, chacha,
	    key + CHACHA_KEY_LEN)) != ERR_OK)
		goto out;
	if ((cp->poly = EVP_MAC_CTX_new(poly)) == NULL) {
		r = ERR_NOMEM;
		goto out;
	}
	*cpp = cp;
	cp = NULL;
	r = ERR_OK;
 out:
	EVP_CIPHER_free(chacha);
	EVP_MAC_free(poly);
	chachapoly_free(cp);
	return r;
}

void
chachapoly_free(struct chachapoly_ctx *cp)
{
	if (cp == NULL)
		return;
	/* These free functions cleanse the key material they hold. */
	EVP_CIPHER_CTX_free(cp->main_evp);
	EVP_CIPHER_CTX_free(cp->header_evp);
	EVP_MAC_CTX_free(cp->poly);
	mem_freezero(cp, sizeof(*cp));
}

/*
 * Points evp at block 0 of the keystream for this sequence number:
 * IV = block counter 0 (LE32) || 00 00 00 00 || 00 00 00 00 || seqnr
 * (BE32), as the comment at the top explains.  The key stays.
 */
static int
chacha_set_nonce(EVP_CIPHER_CTX *evp, uint32_t seqnr)
{
	unsigned char iv[CHACHA_IV_LEN] = { 0 };

	buf_poke_u32_raw(iv + 12, seqnr);
	return EVP_EncryptInit_ex(evp, NULL, NULL, NULL, iv) == 1 ?
	    ERR_OK : ERR_INTERNAL;
}

/* XORs len bytes of evp's keystream, from where it stands, into dst. */
static int
chacha_xor(EVP_CIPHER_CTX *evp, unsigned char *dst, const unsigned char *src,
    size_t len)
{
	int outl = 0;

	if (len == 0)
		return ERR_OK;
	if (len > CHACHAPOLY_MAX_LEN ||
	    EVP_EncryptUpdate(evp, dst, &outl, src, (int)len) != 1 ||
	    (size_t)outl != len)
		return ERR_INTERNAL;
	return ERR_OK;
}

/* Poly1305 of len bytes at msg under the one-time key. */
static int
poly1305(EVP_MAC_CTX *poly, const unsigned char key[POLY_KEY_LEN],
    const unsigned char *msg, size_t len,
    unsigned char tag[CHACHAPOLY_TAG_LEN])
{
	size_t outl = 0;

	if (EVP_MAC_init(poly, key, POLY_KEY_LEN, NULL) != 1 ||
	    EVP_MAC_update(poly, msg, len) != 1 ||
	    EVP_MAC_final(poly, tag, &outl, CHACHAPOLY_TAG_LEN) != 1 ||
	    outl != CHACHAPOLY_TAG_LEN)
		return ERR_INTERNAL;
	return ERR_OK;
}

int
chachapoly_crypt(struct chachapoly_ctx *cp, uint32_t seqnr,
    unsigned char *dst, const unsigned char *src, size_t len, size_t aad_len,
    int encrypt)
{
	static const unsigned char zero[CHACHA_BLOCK_LEN];
	unsigned char block0[CHACHA_BLOCK_LEN], tag[CHACHAPOLY_TAG_LEN];
	int r;

	if (aad_len > len || len - aad_len > CHACHAPOLY_MAX_LEN)
		return ERR_INVALID_ARGUMENT;

	/*
	 * Block 0 of K_2's keystream: its first half is the one-time
	 * Poly1305 key (the second half is discarded).  Taking a whole
	 * block leaves the context at block 1, where the body starts, so
	 * that no keystream byte serves twice.
	 */
	if ((r = chacha_set_nonce(cp->main_evp, seqnr)) != ERR_OK ||
	    (r = chacha_xor(cp->main_evp, block0, zero, sizeof(block0))) !=
	    ERR_OK)
		goto out;

	/*
	 * Authenticate before decrypting: on a bad tag dst is never
	 * written, so no unauthenticated plaintext (not even the length)
	 * leaves this function.  The comparison is constant-time.
	 */
	if (!encrypt) {
		if ((r = poly1305(cp->poly, block0, src, len, tag)) != ERR_OK)
			goto out;
		if (CRYPTO_memcmp(tag, src + len, sizeof(tag)) != 0) {
			r = ERR_MAC_INVALID;
			goto out;
		}
	}

	if ((r = chacha_set_nonce(cp->header_evp, seqnr)) != ERR_OK ||
	    (r = chacha_xor(cp->header_evp, dst, src, aad_len)) != ERR_OK ||
	    (r = chacha_xor(cp->main_evp, dst + aad_len, src + aad_len,
	    len - aad_len)) != ERR_OK)
		goto out;

	if (encrypt && (r = poly1305(cp->poly, block0, dst, len,
	    dst + len)) != ERR_OK)
		goto out;
	r = ERR_OK;
 out:
	mem_wipe(block0, sizeof(block0));
	return r;
}

int
chachapoly_get_length(struct chachapoly_ctx *cp, uint32_t seqnr,
    const unsigned char *src, size_t len, uint32_t *plenp)
{
	unsigned char plain[4];
	int r;

	*plenp = 0;
	if (len < sizeof(plain))
		return ERR_BUFFER_SHORT;
	if ((r = chacha_set_nonce(cp->header_evp, seqnr)) != ERR_OK ||
	    (r = chacha_xor(cp->header_evp, plain, src, sizeof(plain))) !=
	    ERR_OK)
		goto out;
	*plenp = buf_peek_u32_raw(plain);
 out:
	mem_wipe(plain, sizeof(plain));
	return r;
}
