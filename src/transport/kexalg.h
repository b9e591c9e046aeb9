/*
 * Key exchange methods and host keys: the mathematics, without the
 * message flow (internal to src/transport; kex.c drives the messages).
 */
#ifndef SSHBROKER_TRANSPORT_KEXALG_H
#define SSHBROKER_TRANSPORT_KEXALG_H

#include <stddef.h>
#include <stdint.h>

struct buf;

enum kex_hash {
	KEX_HASH_SHA256,
	KEX_HASH_SHA384,
	KEX_HASH_SHA512,
};

enum kex_family {
	KEX_FAMILY_DH,        /* fixed group, mpint e and f */
	KEX_FAMILY_DH_GEX,    /* group exchange (RFC 4419) */
	KEX_FAMILY_ECDH,      /* NIST curves, string Q_C and Q_S */
	KEX_FAMILY_C25519,    /* RFC 8731 */
	KEX_FAMILY_HYBRID,    /* sntrup761x25519 / mlkem768x25519: K is a
	                       * string, not an mpint */
};

struct kex_method {
	const char *name;
	enum kex_family family;
	enum kex_hash hash;
	int group;            /* DH: 14, 16 or 18; ECDH: the OpenSSL NID */
};

/* The method with this name, or NULL. */
const struct kex_method *kex_method_by_name(const char *name);
/* Digest length of a hash in bytes. */
size_t kex_hash_len(enum kex_hash h);
/* One-shot hash of data into out (kex_hash_len bytes). */
int kex_hash_digest(enum kex_hash h, const void *data, size_t len,
    unsigned char *out);

/*
 * The client side of one exchange.  kex_client_new() makes the ephemeral
 * key pair; kex_client_public() gives what goes in the client's message
 * (the mpint e for DH, the raw point/key otherwise, as bytes: the caller
 * encodes it as the family requires).  For DH-GEX, the group comes from
 * the server first: kex_client_set_group() then kex_client_generate().
 * kex_client_shared_secret() takes the server's public value and appends
 * the shared secret K to out, already SSH-encoded as it enters the
 * exchange hash and key derivation (mpint, or string for HYBRID).
 * It rejects invalid server values (out-of-range DH f, points not on the
 * curve, an all-zero X25519 result) with ERR_KEY_INVALID.
 * Secrets are wiped when the context is freed.
 */
struct kex_client;

/* ERR_OK and a new context in *kp (caller frees with kex_client_free());
 * ERR_INVALID_ARGUMENT for a method of a family we do not implement
 * (HYBRID), ERR_NOMEM, ERR_INTERNAL when the crypto library fails. */
int kex_client_new(const struct kex_method *m, struct kex_client **kp);
/*
 * TEST ONLY: as kex_client_new(), but the ephemeral key pair is made from
 * the given private key instead of a random one, so that tests can use
 * published vectors (RFC 7748 section 6.1) and compute the other side.
 * priv is the 32-byte X25519 scalar (clamped as X25519 does), the
 * big-endian ECDH scalar (0 < d < order), or the big-endian DH exponent
 * x (1 < x < p-1; for DH-GEX kept until kex_client_generate()).  A copy
 * is kept and wiped on free.  ERR_KEY_INVALID for an unusable value.
 * Never call this outside tests: a fixed key makes K predictable.
 */
int kex_client_new_with_private(const struct kex_method *m,
    const unsigned char *priv, size_t privlen, struct kex_client **kp);
/* Wipes and frees k; accepts NULL. */
void kex_client_free(struct kex_client *k);
/* DH-GEX: p and g are big-endian magnitudes from the server's group
 * message; ERR_KEY_INVALID when p is smaller than min_bits or larger than
 * max_bits, or g is not in 1 < g < p-1. */
int kex_client_set_group(struct kex_client *k, const unsigned char *p,
    size_t plen, const unsigned char *g, size_t glen, unsigned int min_bits,
    unsigned int max_bits);
/* Makes the ephemeral key pair (done by kex_client_new() except for
 * DH-GEX, which needs the group first).  ERR_INVALID_ARGUMENT when the
 * pair exists already or the DH-GEX group is not set yet. */
int kex_client_generate(struct kex_client *k);
/* The client's public value; valid while k lives.  For DH and DH-GEX the
 * big-endian magnitude of e; for ECDH the uncompressed point (0x04, x,
 * y); for curve25519 the 32 raw bytes.  ERR_INVALID_ARGUMENT before the
 * key pair exists. */
int kex_client_public(const struct kex_client *k, const unsigned char **pubp,
    size_t *lenp);
/* server_pub: for DH and DH-GEX the big-endian magnitude of f (as
 * buf_get_bignum_bytes_direct() gives it), otherwise the string's bytes.
 * ERR_OK, ERR_KEY_INVALID (out unchanged), ERR_INVALID_ARGUMENT before
 * the key pair exists, or the append's error.  The DH checks are
 * OpenSSH's dh_pub_is_valid(): 1 < f < p-1 and at least 4 bits set. */
int kex_client_shared_secret(struct kex_client *k,
    const unsigned char *server_pub, size_t server_pub_len, struct buf *out);
/* DH-GEX (and fixed-group DH): the group's p and g as big-endian
 * magnitudes (for the hash), valid while k lives.  ERR_INVALID_ARGUMENT
 * for other families or before kex_client_set_group(). */
int kex_client_group(const struct kex_client *k, const unsigned char **pp,
    size_t *plen, const unsigned char **gp, size_t *glen);

/*
 * Key derivation (RFC 4253 section 7.2): fills out with need bytes of
 * HASH(K || H || letter || session_id) extended as the RFC says.  K is
 * the SSH-encoded shared secret, H the exchange hash.  ERR_OK;
 * ERR_INVALID_ARGUMENT for an unknown hash; ERR_NOMEM or ERR_INTERNAL,
 * with out wiped.
 */
int kex_derive_key(enum kex_hash h, const unsigned char *k, size_t klen,
    const unsigned char *hash, size_t hlen, char letter,
    const unsigned char *session_id, size_t sid_len,
    unsigned char *out, size_t need);

/* ---- host keys: public key blobs and signatures */

enum hostkey_type {
	HOSTKEY_ED25519,
	HOSTKEY_ECDSA_P256,
	HOSTKEY_ECDSA_P384,
	HOSTKEY_ECDSA_P521,
	HOSTKEY_RSA,
};

struct hostkey;

/* Parses a public key blob (the string K_S, or a known_hosts key after
 * base64 decoding).  ERR_KEY_TYPE_UNKNOWN for other types,
 * ERR_KEY_INVALID for malformed keys (truncated or trailing bytes, an
 * ECDSA curve name that is not the type's, points off the curve or not
 * uncompressed, RSA moduli under 1024 bits or over 16384, even n or e).
 * On success the caller frees *kp with hostkey_free(); the key keeps its
 * own copy of the blob. */
int hostkey_from_blob(const unsigned char *blob, size_t len,
    struct hostkey **kp);
/* Accepts NULL. */
void hostkey_free(struct hostkey *k);
enum hostkey_type hostkey_type(const struct hostkey *k);
/* "ssh-ed25519", "ecdsa-sha2-nistp256", ..., "ssh-rsa" */
const char *hostkey_type_name(const struct hostkey *k);
/* RSA modulus bits, curve bits, or 256 for ed25519. */
unsigned int hostkey_bits(const struct hostkey *k);
/* The blob the key was parsed from; valid while k lives. */
void hostkey_blob(const struct hostkey *k, const unsigned char **blobp,
    size_t *lenp);
/* 1 when a and b are the same key. */
int hostkey_equal(const struct hostkey *a, const struct hostkey *b);
/* "SHA256:" followed by unpadded base64, as ssh-keygen -l prints it;
 * caller frees; NULL when out of memory. */
char *hostkey_fingerprint_sha256(const struct hostkey *k);
/* The same fingerprint over any public key blob (user keys use it on the
 * plain key a certificate certifies). */
char *fingerprint_sha256_blob(const unsigned char *blob, size_t len);

/*
 * Verifies an SSH signature blob (string alg, string sig) over data.
 * alg_name is the negotiated host key algorithm ("rsa-sha2-256",
 * "ssh-ed25519", ...): the signature's own algorithm must match it, and
 * for RSA decides the hash (ssh-rsa means SHA-1, accepted only when
 * alg_name is "ssh-rsa").  Returns ERR_OK, ERR_SIGNATURE_INVALID (also
 * when alg_name is unknown or not an algorithm of k's type), or
 * ERR_INVALID_FORMAT for a malformed blob (truncated, trailing bytes,
 * an Ed25519 signature not 64 bytes long, a malformed ECDSA r/s pair);
 * ERR_NOMEM or ERR_INTERNAL when memory or the crypto library fails.
 */
int hostkey_verify(const struct hostkey *k, const char *alg_name,
    const unsigned char *sig, size_t siglen,
    const unsigned char *data, size_t datalen);

/* The key type a host key algorithm name uses ("rsa-sha2-512" -> RSA),
 * or -1 for names we do not support. */
int hostkey_type_for_alg(const char *alg_name);

#endif
