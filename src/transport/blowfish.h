/*
 * Blowfish (Schneier, "Description of a New Variable-Length Key, 64-Bit
 * Block Cipher", 1993), the expensive key schedule of Provos and
 * Mazières' "A Future-Adaptable Password Scheme" (1999), and
 * bcrypt_pbkdf() as OpenSSH uses it to encrypt private key files
 * (PROTOCOL.key; OpenSSH's openbsd-compat/bcrypt_pbkdf.c).
 *
 * Internal to src/transport: only userkey.c and the tests include this.
 * Nothing here allocates; callers wipe a struct blf_ctx they no longer
 * need with mem_wipe() (bcrypt_pbkdf() wipes its own).
 */
#ifndef SSHBROKER_TRANSPORT_BLOWFISH_H
#define SSHBROKER_TRANSPORT_BLOWFISH_H

#include <stddef.h>
#include <stdint.h>

#define BLF_P_WORDS 18          /* 16 rounds + 2 */
#define BLF_BLOCK_LEN 8
#define BLF_MAX_KEY_LEN 56      /* Schneier's limit; bcrypt goes to 72 */

struct blf_ctx {
	uint32_t s[4][256];
	uint32_t p[BLF_P_WORDS];
};

/* The initial state: P-array and S-boxes from the hex digits of pi. */
void blf_init(struct blf_ctx *c);
/*
 * Blowfish's key schedule applied to the current state: the key's bytes,
 * repeated cyclically, are XORed into P, then the all-zero block is
 * encrypted repeatedly to replace P and the S-boxes.  keylen must be
 * non-zero.  ("Blowfish_expand0state" in the bcrypt paper's terms.)
 */
void blf_expand0(struct blf_ctx *c, const unsigned char *key, size_t keylen);
/*
 * EksBlowfish's ExpandKey(state, salt, key): as blf_expand0(), but each
 * block is XORed with the next 8 bytes of data (cyclically) before it is
 * encrypted.  keylen and datalen must be non-zero.
 */
void blf_expand(struct blf_ctx *c, const unsigned char *data, size_t datalen,
    const unsigned char *key, size_t keylen);
/* blf_init() then blf_expand0(): a plain Blowfish key (1..56 bytes). */
void blf_set_key(struct blf_ctx *c, const unsigned char *key, size_t keylen);

/* One 64-bit block as two big-endian halves, in place. */
void blf_encrypt_block(const struct blf_ctx *c, uint32_t *xl, uint32_t *xr);
void blf_decrypt_block(const struct blf_ctx *c, uint32_t *xl, uint32_t *xr);
/* ECB over len bytes (a multiple of 8; the rest is left alone), in place,
 * with the bytes of each block read as two big-endian words. */
void blf_ecb_encrypt(const struct blf_ctx *c, unsigned char *data,
    size_t len);
void blf_ecb_decrypt(const struct blf_ctx *c, unsigned char *data,
    size_t len);

/*
 * bcrypt_pbkdf (OpenSSH's construction, PROTOCOL.key section 1): fills
 * key[0..keylen) from the password and salt with the given number of
 * rounds.  Each 32-byte output block k (counting from 1) is the XOR of
 * `rounds` iterations of the bcrypt hash of SHA-512(pass) with
 * SHA-512(salt || be32(k)), then SHA-512 of the previous iteration's
 * output; the blocks are interleaved byte by byte ("striped") so every
 * output byte depends on the whole computation.
 *
 * ERR_OK; ERR_INVALID_ARGUMENT for rounds < 1, an empty password or
 * salt, a salt over 1 MiB, or keylen of 0 or over 1024 (OpenSSH's
 * limits), with key untouched.  Every intermediate value is wiped.
 */
int bcrypt_pbkdf(const char *pass, size_t passlen, const unsigned char *salt,
    size_t saltlen, unsigned char *key, size_t keylen, unsigned int rounds);

#endif
