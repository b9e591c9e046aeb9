/*
 * Packet ciphers and MACs of the SSH transport (internal to src/transport).
 *
 * The packet layer (packet.c) drives these per packet.  Three shapes:
 *  - plain block/stream ciphers (aes*-ctr) with a separate MAC, either
 *    encrypt-and-MAC (MAC over seqnr || plaintext packet) or
 *    encrypt-then-MAC ("-etm@openssh.com": the 4-byte length stays in the
 *    clear, MAC over seqnr || length || ciphertext);
 *  - AES-GCM (aes128/256-gcm@openssh.com, RFC 5647 as OpenSSH does it): the
 *    4-byte length is additional authenticated data sent in the clear, the
 *    16-byte tag follows the ciphertext, the 12-byte nonce is a 4-byte
 *    fixed field and an 8-byte invocation counter incremented per packet;
 *  - chacha20-poly1305@openssh.com (PROTOCOL.chacha20poly1305): two keys,
 *    the length encrypted with its own key, nonce = sequence number.
 */
#ifndef SSHBROKER_TRANSPORT_CIPHER_H
#define SSHBROKER_TRANSPORT_CIPHER_H

#include <stddef.h>
#include <stdint.h>

#define CIPHER_AEAD        0x01  /* has its own tag; no MAC is negotiated */
#define CIPHER_CHACHAPOLY  0x02  /* the length is encrypted separately */

struct cipher_impl {
	const char *name;
	size_t block_size;  /* padding multiple: 16 for AES, 8 for chacha */
	size_t key_len;     /* bytes of key material to derive */
	size_t iv_len;      /* bytes of IV to derive (0 for chacha) */
	size_t auth_len;    /* tag bytes after the packet (AEAD) */
	int flags;
	/* Blocks this cipher may process under one key before we re-key:
	 * 2^(blocksize_bits/4) blocks for AES, 1 GiB for chacha20-poly1305
	 * as OpenSSH uses. */
	uint64_t rekey_bytes;
};

struct cipher_ctx;

/* The cipher with this name, or NULL. */
const struct cipher_impl *cipher_by_name(const char *name);

/* A context for one direction.  key and iv are copied (and wiped when the
 * context is freed).  Returns ERR_OK, ERR_INVALID_ARGUMENT for wrong
 * lengths, ERR_NOMEM, or ERR_INTERNAL if the library refuses. */
int cipher_init(struct cipher_ctx **ctxp, const struct cipher_impl *impl,
    const unsigned char *key, size_t key_len,
    const unsigned char *iv, size_t iv_len, int encrypt);
void cipher_free(struct cipher_ctx *ctx);
const struct cipher_impl *cipher_ctx_impl(const struct cipher_ctx *ctx);

/*
 * Processes one packet of len bytes from src to dst (which may be the
 * same).  The first aad_len bytes (4 for AEAD and for -etm MACs, else 0)
 * are copied unencrypted except for chacha20-poly1305, which encrypts them
 * with its length key.  For AEAD ciphers, when encrypting, auth_len tag
 * bytes are written at dst + len; when decrypting, the tag at src + len is
 * checked first, and ERR_MAC_INVALID is returned (dst untouched) on a
 * mismatch.  len - aad_len must be a multiple of block_size.
 *
 * Only chacha20-poly1305 uses seqnr (as its nonce); AES-GCM advances its
 * own invocation counter after each successful call, and a failed call
 * leaves the context as it was.  AES-GCM decryption stages plaintext in a
 * per-context buffer sized to the largest body seen, allocated on first
 * need.  Returns ERR_OK, ERR_MAC_INVALID, ERR_INVALID_ARGUMENT (bad
 * lengths: aad_len not 0 or 4, or not 4 for AEAD; len < aad_len; a
 * partial block), ERR_NOMEM, or ERR_INTERNAL if the library fails.
 */
int cipher_crypt(struct cipher_ctx *ctx, uint32_t seqnr, unsigned char *dst,
    const unsigned char *src, size_t len, size_t aad_len);

/*
 * chacha20-poly1305 only: decrypts the 4-byte packet length at cp without
 * authenticating it (the tag is checked by cipher_crypt once the whole
 * packet is in).  ERR_BUFFER_SHORT when len < 4.  For other ciphers,
 * ERR_INVALID_ARGUMENT.
 */
int cipher_decrypt_length(struct cipher_ctx *ctx, uint32_t seqnr,
    const unsigned char *cp, size_t len, uint32_t *plenp);

struct mac_impl {
	const char *name;
	size_t key_len;     /* bytes of key material to derive */
	size_t mac_len;     /* bytes on the wire */
	int etm;            /* encrypt-then-MAC */
};

struct mac_ctx;

/* The MAC with this name, or NULL. */
const struct mac_impl *mac_by_name(const char *name);
/* As cipher_init(): key is copied and wiped on mac_free(); key_len must be
 * impl->key_len (else ERR_INVALID_ARGUMENT). */
int mac_init(struct mac_ctx **ctxp, const struct mac_impl *impl,
    const unsigned char *key, size_t key_len);
void mac_free(struct mac_ctx *ctx);
const struct mac_impl *mac_ctx_impl(const struct mac_ctx *ctx);
/* Writes mac_len bytes: MAC(key, uint32 seqnr || data).  ERR_OK,
 * ERR_INVALID_ARGUMENT, or ERR_INTERNAL if the library fails. */
int mac_compute(struct mac_ctx *ctx, uint32_t seqnr,
    const unsigned char *data, size_t len, unsigned char *out);
/* ERR_OK when the mac_len bytes at expected match, compared in constant
 * time; ERR_MAC_INVALID otherwise. */
int mac_check(struct mac_ctx *ctx, uint32_t seqnr, const unsigned char *data,
    size_t len, const unsigned char *expected);

#endif
