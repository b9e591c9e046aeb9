/*
 * chacha20-poly1305@openssh.com, as OpenSSH's PROTOCOL.chacha20poly1305
 * defines it (OpenSSH: cipher-chachapoly.c).
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
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/mem.h"
#include "transport/cipher-int.h"

#define CHACHA_KEY_LEN   crypto_stream_chacha20_KEYBYTES    /* 32 */
#define CHACHA_NONCE_LEN crypto_stream_chacha20_NONCEBYTES  /* 8 */
#define POLY_KEY_LEN     crypto_onetimeauth_poly1305_KEYBYTES

struct chachapoly_ctx {
	unsigned char main_key[CHACHA_KEY_LEN];    /* K_2: body and poly key */
	unsigned char header_key[CHACHA_KEY_LEN];  /* K_1: length only */
};

int
chachapoly_init(struct chachapoly_ctx **cpp, const unsigned char *key,
    size_t key_len)
{
	struct chachapoly_ctx *cp;

	*cpp = NULL;
	if (key == NULL || key_len != CHACHAPOLY_KEY_LEN)
		return ERR_INVALID_ARGUMENT;
	/*
	 * sodium_init() picks the SIMD implementations of ChaCha20 and
	 * Poly1305 for this CPU (without it libsodium runs its portable
	 * code at a fraction of the speed).  It is idempotent and
	 * thread-safe; on Linux it reads no file (getrandom(2)).
	 */
	if (sodium_init() < 0)
		return ERR_INTERNAL;
	if ((cp = calloc(1, sizeof(*cp))) == NULL)
		return ERR_NOMEM;
	memcpy(cp->main_key, key, CHACHA_KEY_LEN);
	memcpy(cp->header_key, key + CHACHA_KEY_LEN, CHACHA_KEY_LEN);
	*cpp = cp;
	return ERR_OK;
}

void
chachapoly_free(struct chachapoly_ctx *cp)
{
	mem_freezero(cp, sizeof(*cp));
}

/* The 8-byte nonce: the sequence number as a big-endian uint64. */
static void
chachapoly_nonce(unsigned char nonce[CHACHA_NONCE_LEN], uint32_t seqnr)
{
	buf_poke_u32_raw(nonce, 0);
	buf_poke_u32_raw(nonce + 4, seqnr);
}

int
chachapoly_crypt(struct chachapoly_ctx *cp, uint32_t seqnr,
    unsigned char *dst, const unsigned char *src, size_t len, size_t aad_len,
    int encrypt)
{
	unsigned char nonce[CHACHA_NONCE_LEN];
	unsigned char poly_key[POLY_KEY_LEN];
	int r = ERR_INTERNAL;

	chachapoly_nonce(nonce, seqnr);
	/* Block 0 of K_2's keystream is the one-time Poly1305 key; the
	 * body starts at block 1 so that no keystream byte serves twice. */
	crypto_stream_chacha20(poly_key, sizeof(poly_key), nonce,
	    cp->main_key);

	/*
	 * Authenticate before decrypting: on a bad tag dst is never
	 * written, so no unauthenticated plaintext (not even the length)
	 * leaves this function.  The comparison is constant-time.
	 */
	if (!encrypt && crypto_onetimeauth_poly1305_verify(src + len, src,
	    len, poly_key) != 0) {
		r = ERR_MAC_INVALID;
		goto out;
	}

	crypto_stream_chacha20_xor(dst, src, aad_len, nonce, cp->header_key);
	crypto_stream_chacha20_xor_ic(dst + aad_len, src + aad_len,
	    len - aad_len, nonce, 1, cp->main_key);

	if (encrypt)
		crypto_onetimeauth_poly1305(dst + len, dst, len, poly_key);
	r = ERR_OK;
 out:
	mem_wipe(poly_key, sizeof(poly_key));
	return r;
}

int
chachapoly_get_length(struct chachapoly_ctx *cp, uint32_t seqnr,
    const unsigned char *src, size_t len, uint32_t *plenp)
{
	unsigned char nonce[CHACHA_NONCE_LEN], plain[4];

	*plenp = 0;
	if (len < sizeof(plain))
		return ERR_BUFFER_SHORT;
	chachapoly_nonce(nonce, seqnr);
	crypto_stream_chacha20_xor(plain, src, sizeof(plain), nonce,
	    cp->header_key);
	*plenp = buf_peek_u32_raw(plain);
	mem_wipe(plain, sizeof(plain));
	return ERR_OK;
}
