/*
 * Between the key exchange method files only: kexalg.c owns struct
 * kex_client and dispatches through one table of family operations that
 * kex-dh.c, kex-ecdh.c and kex-c25519.c each provide (hostkey.c uses
 * kex_sodium_init()).  Nothing else includes this header.
 */
#ifndef SSHBROKER_TRANSPORT_KEXALG_INT_H
#define SSHBROKER_TRANSPORT_KEXALG_INT_H

#include <stddef.h>

#include "transport/kexalg.h"

struct buf;

/*
 * One family's mathematics.  Each function receives the family's own
 * state (made by state_new, freed and wiped by state_free, which accepts
 * NULL).  kexalg.c checks the order of calls (generate once, before
 * public and shared_secret), so the family code need not.
 */
struct kex_family_ops {
	enum kex_family family;
	int (*state_new)(const struct kex_method *m, void **stp);
	void (*state_free)(void *st);
	/* DH-GEX only; NULL for the others. */
	int (*set_group)(void *st, const unsigned char *p, size_t plen,
	    const unsigned char *g, size_t glen, unsigned int min_bits,
	    unsigned int max_bits);
	/* Makes the ephemeral key pair; with priv non-NULL (the test hook
	 * kex_client_new_with_private()) from that private key instead of
	 * a random one: ERR_KEY_INVALID when it is unusable. */
	int (*generate)(void *st, const unsigned char *priv, size_t privlen);
	int (*public_value)(const void *st, const unsigned char **pubp,
	    size_t *lenp);
	/* Appends the SSH-encoded K to out, leaving out unchanged on error. */
	int (*shared_secret)(void *st, const unsigned char *peer,
	    size_t peerlen, struct buf *out);
	/* DH and DH-GEX: the group; NULL for the others. */
	int (*group)(const void *st, const unsigned char **pp, size_t *plen,
	    const unsigned char **gp, size_t *glen);
};

extern const struct kex_family_ops kex_dh_ops;
extern const struct kex_family_ops kex_dh_gex_ops;
extern const struct kex_family_ops kex_ecdh_ops;
extern const struct kex_family_ops kex_c25519_ops;

/* libsodium must be initialised before its random numbers are used;
 * ERR_INTERNAL when it cannot be. */
int kex_sodium_init(void);

#endif
