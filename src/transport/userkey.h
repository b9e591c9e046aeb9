/*
 * The user's keys (internal to src/transport): private key files in
 * OpenSSH's own format (unencrypted, or encrypted with bcrypt_pbkdf and
 * aes256-ctr or aes256-gcm@openssh.com) and in PEM/PKCS#8 through OpenSSL,
 * public keys in the one-line ".pub" form, and signatures for user
 * authentication.  No file I/O: the caller reads the files (and checks
 * their permissions) and hands the bytes in.  Private key material lives
 * only in memory that is wiped when the key is freed.
 */
#ifndef SSHBROKER_TRANSPORT_USERKEY_H
#define SSHBROKER_TRANSPORT_USERKEY_H

#include <stddef.h>

struct buf;
struct userkey;

/*
 * Parses a private key file's contents.  passphrase may be NULL.
 * ERR_OK: *kp holds the key (caller frees with userkey_free()).
 * ERR_PASSPHRASE_NEEDED: the file is encrypted and passphrase is NULL or
 * empty; ERR_PASSPHRASE_WRONG: it did not decrypt (the check bytes did
 * not match, the GCM tag did not verify, OpenSSL could not decrypt a
 * PKCS#8 or PEM file with it); ERR_KEY_TYPE_UNKNOWN (also for a cipher
 * or KDF we do not implement); ERR_KEY_INVALID for a key whose public
 * part hostkey_from_blob() refuses (RSA under 1024 bits, a point off the
 * curve) or whose private part does not match it; ERR_INVALID_FORMAT;
 * ERR_NOMEM.  *kp is NULL on every error.
 * Supported: ed25519, ecdsa-sha2-nistp256/384/521, ssh-rsa.  OpenSSH
 * files may use the ciphers none, aes128/192/256-ctr, aes128/192/256-cbc
 * and aes128/256-gcm@openssh.com with the bcrypt KDF; the KDF's round
 * count is not bounded, as OpenSSH does not bound it.  Files starting
 * "-----BEGIN OPENSSH PRIVATE KEY-----" are OpenSSH's format; anything
 * else with a "-----BEGIN " line goes to OpenSSL's PEM decoders
 * (PKCS#8, encrypted PKCS#8, "RSA PRIVATE KEY", "EC PRIVATE KEY"), which
 * never prompt.  PEM files carry no comment: userkey_comment() is "".
 */
int userkey_parse_private(const unsigned char *data, size_t len,
    const char *passphrase, struct userkey **kp);

/* Parses "type base64 [comment]" (a .pub file or an authorized_keys
 * line without options), also for certificates (*-cert-v01@openssh.com).
 * The key has no private part.  The line ends at len or its first line
 * break; the type named on the line must be the blob's.  A certificate
 * is checked for shape and its key as a public key, not its CA
 * signature or constraints (the server judges those).  ERR_OK (caller
 * frees *kp with userkey_free()), ERR_KEY_TYPE_UNKNOWN, ERR_KEY_INVALID,
 * ERR_INVALID_FORMAT, ERR_NOMEM. */
int userkey_parse_public(const char *line, size_t len, struct userkey **kp);

void userkey_free(struct userkey *k);

/* "ssh-ed25519", "ecdsa-sha2-nistp256", ..., "ssh-rsa", or the
 * certificate type name. */
const char *userkey_type_name(const struct userkey *k);
/* 1 when the key holds its private part. */
int userkey_has_private(const struct userkey *k);
/* 1 for a certificate. */
int userkey_is_certificate(const struct userkey *k);
/* The public key blob (the certificate blob for certificates); valid
 * while k lives. */
void userkey_public_blob(const struct userkey *k, const unsigned char **blobp,
    size_t *lenp);
/* The plain public key blob: for a certificate the blob of the key it
 * certifies (what hostkey_from_blob() takes and what fingerprints hash),
 * otherwise the same as userkey_public_blob().  Valid while k lives. */
void userkey_plain_blob(const struct userkey *k, const unsigned char **blobp,
    size_t *lenp);
/* The comment stored in the private key or .pub file ("" if none). */
const char *userkey_comment(const struct userkey *k);
/* "SHA256:..." as ssh-keygen -l prints it (for a certificate, of the key
 * it certifies, as ssh-keygen does); caller frees; NULL when out of
 * memory. */
char *userkey_fingerprint(const struct userkey *k);

/*
 * Signs data as SSH user authentication needs: appends the signature
 * blob (string alg, string sig) to out.  alg is the signature algorithm:
 * "ssh-ed25519", "ecdsa-sha2-nistp256", ..., and for RSA keys
 * "rsa-sha2-256", "rsa-sha2-512" or "ssh-rsa".  ERR_INVALID_ARGUMENT when
 * alg does not fit the key or the key has no private part.  On error out
 * is unchanged (ERR_NOMEM, ERR_INTERNAL, or the append's error).
 */
int userkey_sign(const struct userkey *k, const char *alg,
    const unsigned char *data, size_t datalen, struct buf *out);

#endif
