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
 * not match); ERR_KEY_TYPE_UNKNOWN; ERR_INVALID_FORMAT.
 * Supported: ed25519, ecdsa-sha2-nistp256/384/521, ssh-rsa.
 */
int userkey_parse_private(const unsigned char *data, size_t len,
    const char *passphrase, struct userkey **kp);

/* Parses "type base64 [comment]" (a .pub file or an authorized_keys
 * line without options), also for certificates (*-cert-v01@openssh.com).
 * The key has no private part. */
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
/* The comment stored in the private key or .pub file ("" if none). */
const char *userkey_comment(const struct userkey *k);
/* "SHA256:..." as ssh-keygen -l prints it; caller frees. */
char *userkey_fingerprint(const struct userkey *k);

/*
 * Signs data as SSH user authentication needs: appends the signature
 * blob (string alg, string sig) to out.  alg is the signature algorithm:
 * "ssh-ed25519", "ecdsa-sha2-nistp256", ..., and for RSA keys
 * "rsa-sha2-256", "rsa-sha2-512" or "ssh-rsa".  ERR_INVALID_ARGUMENT when
 * alg does not fit the key or the key has no private part.
 */
int userkey_sign(const struct userkey *k, const char *alg,
    const unsigned char *data, size_t datalen, struct buf *out);

#endif
