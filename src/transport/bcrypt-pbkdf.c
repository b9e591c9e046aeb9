/*
 * bcrypt_pbkdf: the key derivation of OpenSSH's encrypted private keys
 * (PROTOCOL.key; OpenSSH's openbsd-compat/bcrypt_pbkdf.c, after Ted
 * Unangst's design for OpenBSD).  It is PBKDF2 in shape with a bcrypt
 * based pseudo-random function instead of HMAC, and it stripes the
 * output blocks so that an attacker cannot stop after the first block.
 * Written from that description; see blowfish.h for the contract.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "common/err.h"
#include "common/mem.h"
#include "transport/blowfish.h"

#define BCRYPT_WORDS 8
#define BCRYPT_HASH_LEN (BCRYPT_WORDS * 4)      /* 32 */
#define BCRYPT_SHA512_LEN 64
#define BCRYPT_MAX_SALT (1u << 20)

/* OpenSSH's limit on the output: 32 blocks of 32 bytes. */
#define BCRYPT_MAX_KEY (BCRYPT_HASH_LEN * BCRYPT_HASH_LEN)

/*
 * The bcrypt hash of two SHA-512 digests: an EksBlowfish setup with cost
 * 64 (the salt and password expanded alternately 64 times after the
 * initial ExpandKey), then the 32-byte magic string encrypted 64 times in
 * ECB mode.  Unlike bcrypt's password hash, each output word is stored
 * little-endian (OpenSSH's "bcrypt_hash" byte-swaps them).
 */
static void
bcrypt_hash(const unsigned char sha2pass[BCRYPT_SHA512_LEN],
    const unsigned char sha2salt[BCRYPT_SHA512_LEN],
    unsigned char out[BCRYPT_HASH_LEN])
{
	static const char magic[BCRYPT_HASH_LEN + 1] =
	    "OxychromaticBlowfishSwatDynamite";
	struct blf_ctx st;
	uint32_t cdata[BCRYPT_WORDS];
	int i, j;

	blf_init(&st);
	blf_expand(&st, sha2salt, BCRYPT_SHA512_LEN, sha2pass,
	    BCRYPT_SHA512_LEN);
	for (i = 0; i < 64; i++) {
		blf_expand0(&st, sha2salt, BCRYPT_SHA512_LEN);
		blf_expand0(&st, sha2pass, BCRYPT_SHA512_LEN);
	}
	for (j = 0; j < BCRYPT_WORDS; j++)
		cdata[j] = (uint32_t)(unsigned char)magic[4 * j] << 24 |
		    (uint32_t)(unsigned char)magic[4 * j + 1] << 16 |
		    (uint32_t)(unsigned char)magic[4 * j + 2] << 8 |
		    (uint32_t)(unsigned char)magic[4 * j + 3];
	for (i = 0; i < 64; i++)
		for (j = 0; j < BCRYPT_WORDS; j += 2)
			blf_encrypt_block(&st, &cdata[j], &cdata[j + 1]);
	for (j = 0; j < BCRYPT_WORDS; j++) {
		out[4 * j] = (unsigned char)cdata[j];
		out[4 * j + 1] = (unsigned char)(cdata[j] >> 8);
		out[4 * j + 2] = (unsigned char)(cdata[j] >> 16);
		out[4 * j + 3] = (unsigned char)(cdata[j] >> 24);
	}
	mem_wipe(cdata, sizeof(cdata));
	mem_wipe(&st, sizeof(st));
}

int
bcrypt_pbkdf(const char *pass, size_t passlen, const unsigned char *salt,
    size_t saltlen, unsigned char *key, size_t keylen, unsigned int rounds)
{
	unsigned char sha2pass[BCRYPT_SHA512_LEN];
	unsigned char sha2salt[BCRYPT_SHA512_LEN];
	unsigned char tmp[BCRYPT_HASH_LEN], acc[BCRYPT_HASH_LEN];
	unsigned char cnt[4];
	crypto_hash_sha512_state hs;
	size_t stride, amt, left, i, dest;
	uint32_t count;
	unsigned int round;

	if (rounds < 1 || pass == NULL || passlen == 0 || salt == NULL ||
	    saltlen == 0 || saltlen > BCRYPT_MAX_SALT || key == NULL ||
	    keylen == 0 || keylen > BCRYPT_MAX_KEY)
		return ERR_INVALID_ARGUMENT;

	/*
	 * Output byte i of block k goes to key[i * stride + k - 1]: with
	 * stride blocks, each contributes amt bytes spread across the key.
	 */
	stride = (keylen + BCRYPT_HASH_LEN - 1) / BCRYPT_HASH_LEN;
	amt = (keylen + stride - 1) / stride;

	crypto_hash_sha512(sha2pass, (const unsigned char *)pass, passlen);
	left = keylen;
	for (count = 1; left > 0; count++) {
		cnt[0] = (unsigned char)(count >> 24);
		cnt[1] = (unsigned char)(count >> 16);
		cnt[2] = (unsigned char)(count >> 8);
		cnt[3] = (unsigned char)count;
		crypto_hash_sha512_init(&hs);
		crypto_hash_sha512_update(&hs, salt, saltlen);
		crypto_hash_sha512_update(&hs, cnt, sizeof(cnt));
		crypto_hash_sha512_final(&hs, sha2salt);

		bcrypt_hash(sha2pass, sha2salt, tmp);
		memcpy(acc, tmp, sizeof(acc));
		for (round = 1; round < rounds; round++) {
			crypto_hash_sha512(sha2salt, tmp, sizeof(tmp));
			bcrypt_hash(sha2pass, sha2salt, tmp);
			for (i = 0; i < sizeof(acc); i++)
				acc[i] ^= tmp[i];
		}

		if (amt > left)
			amt = left;
		for (i = 0; i < amt; i++) {
			dest = i * stride + (count - 1);
			if (dest >= keylen)
				break;
			key[dest] = acc[i];
		}
		left -= i;
	}
	mem_wipe(sha2pass, sizeof(sha2pass));
	mem_wipe(sha2salt, sizeof(sha2salt));
	mem_wipe(tmp, sizeof(tmp));
	mem_wipe(acc, sizeof(acc));
	mem_wipe(&hs, sizeof(hs));
	return ERR_OK;
}
