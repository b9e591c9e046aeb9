/*
 * Private to the cipher implementation (cipher.c and cipher-*.c): the
 * chacha20-poly1305@openssh.com construction that cipher.c dispatches to.
 * Nothing outside those files includes this; the packet layer uses
 * cipher.h only.
 */
#ifndef SSHBROKER_TRANSPORT_CIPHER_INT_H
#define SSHBROKER_TRANSPORT_CIPHER_INT_H

#include <stddef.h>
#include <stdint.h>

#define CHACHAPOLY_KEY_LEN 64   /* K_2 (payload) || K_1 (length) */
#define CHACHAPOLY_TAG_LEN 16

struct chachapoly_ctx;

/* A context holding copies of both keys (wiped by chachapoly_free()).
 * ERR_INVALID_ARGUMENT unless key_len is CHACHAPOLY_KEY_LEN; ERR_NOMEM;
 * ERR_INTERNAL when libsodium cannot initialise. */
int chachapoly_init(struct chachapoly_ctx **cpp, const unsigned char *key,
    size_t key_len);
/* Wipes and frees; accepts NULL. */
void chachapoly_free(struct chachapoly_ctx *cp);

/*
 * One packet of len bytes, the first aad_len of which (the length field)
 * are encrypted with K_1 and the rest with K_2; the tag is written at
 * dst + len (encrypt) or checked at src + len (decrypt) before anything is
 * written to dst.  Returns ERR_OK or ERR_MAC_INVALID.  The caller has
 * checked the lengths.
 */
int chachapoly_crypt(struct chachapoly_ctx *cp, uint32_t seqnr,
    unsigned char *dst, const unsigned char *src, size_t len, size_t aad_len,
    int encrypt);

/* Decrypts the 4-byte length at src (unauthenticated).  ERR_BUFFER_SHORT
 * when len < 4. */
int chachapoly_get_length(struct chachapoly_ctx *cp, uint32_t seqnr,
    const unsigned char *src, size_t len, uint32_t *plenp);

#endif
