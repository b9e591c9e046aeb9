/*
 * Base64 (RFC 4648 section 4), as SSH uses it in key files, known_hosts
 * and fingerprints.
 *
 * Both functions append to out and leave it unchanged on error.  The
 * character mapping does no table lookups and takes no branches on the
 * data, so decoding a private key does not leak it through the cache.
 */
#ifndef SSHBROKER_COMMON_BASE64_H
#define SSHBROKER_COMMON_BASE64_H

#include <stddef.h>

struct buf;

/* The encoded length of len bytes, with or without '=' padding; 0 when
 * it would not fit in a size_t. */
size_t base64_encoded_len(size_t len, int pad);

/*
 * Appends the base64 encoding of the len bytes at src to out, with '='
 * padding when pad is non-zero and without it (as SHA256 fingerprints are
 * printed, see OpenSSH's sshkey_fingerprint()) when pad is 0.  No line
 * breaks, no NUL.  ERR_OK, or the error of the append (ERR_TOO_LONG,
 * ERR_READ_ONLY, ERR_NOMEM).
 */
int base64_encode(const unsigned char *src, size_t len, struct buf *out,
    int pad);

/*
 * Appends the bytes that the len characters at src encode to out.
 * Strict: every character must be in the RFC 4648 alphabet (no
 * whitespace, no URL-safe alphabet, no NUL), padding must be complete
 * ("Zg==", never "Zg=" or "Zg==="), nothing may follow it, and the unused
 * low bits of the last character must be zero, as OpenSSH's b64_pton()
 * requires.  Unlike b64_pton(), input without padding is also accepted
 * when its length is not 1 modulo 4; callers that must match OpenSSH
 * exactly (known_hosts) check the length themselves.  The empty input
 * decodes to nothing.  ERR_OK; ERR_INVALID_FORMAT for bad input; or the
 * error of the append.
 */
int base64_decode(const char *src, size_t len, struct buf *out);

#endif
