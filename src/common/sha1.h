/*
 * SHA-1, for identifiers only: OpenSSH's %C token is a SHA-1 of the
 * connection's parameters, used to name ControlPath sockets.  Nothing that
 * needs collision resistance may use this; the transport takes its hashes
 * from OpenSSL.  Kept here so that resolving a config does not have to
 * load and initialise libcrypto.
 */
#ifndef SSHBROKER_COMMON_SHA1_H
#define SSHBROKER_COMMON_SHA1_H

#include <stddef.h>
#include <stdint.h>

#define SHA1_DIGEST_LEN 20

struct sha1_ctx {
	uint32_t h[5];
	uint64_t len;           /* bytes so far */
	unsigned char block[64];
	size_t fill;
};

void sha1_init(struct sha1_ctx *c);
void sha1_update(struct sha1_ctx *c, const void *data, size_t len);
/* Writes the digest and wipes the context. */
void sha1_final(struct sha1_ctx *c, unsigned char out[SHA1_DIGEST_LEN]);

#endif
