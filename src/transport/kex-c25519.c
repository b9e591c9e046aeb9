/*
 * curve25519-sha256 and curve25519-sha256@libssh.org (RFC 8731): X25519
 * (RFC 7748) through libsodium's crypto_scalarmult_curve25519.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/mem.h"
#include "transport/kexalg-int.h"
#include "transport/kexalg.h"

#define C25519_LEN 32

struct kex_c25519 {
	unsigned char priv[C25519_LEN];
	unsigned char pub[C25519_LEN];
};

static int
c25519_state_new(const struct kex_method *m, void **stp)
{
	*stp = calloc(1, sizeof(struct kex_c25519));
	return *stp == NULL ? ERR_NOMEM : ERR_OK;
}

static void
c25519_state_free(void *st)
{
	mem_freezero(st, sizeof(struct kex_c25519));
}

static int
c25519_generate(void *st, const unsigned char *priv, size_t privlen)
{
	struct kex_c25519 *c = st;
	int r;

	if (priv != NULL) {
		if (privlen != C25519_LEN)
			return ERR_KEY_INVALID;
		memcpy(c->priv, priv, C25519_LEN);
	} else {
		if ((r = kex_sodium_init()) != ERR_OK)
			return r;
		/* X25519 clamps the scalar itself (RFC 7748 section 5),
		 * so any 32 random bytes make a key */
		randombytes_buf(c->priv, sizeof(c->priv));
	}
	if (crypto_scalarmult_curve25519_base(c->pub, c->priv) != 0) {
		/* only a scalar that clamps to a multiple of the group
		 * order gives the zero point: not a random one */
		mem_wipe(c->priv, sizeof(c->priv));
		return priv != NULL ? ERR_KEY_INVALID : ERR_INTERNAL;
	}
	return ERR_OK;
}

static int
c25519_public_value(const void *st, const unsigned char **pubp,
    size_t *lenp)
{
	const struct kex_c25519 *c = st;

	*pubp = c->pub;
	*lenp = sizeof(c->pub);
	return ERR_OK;
}

/*
 * RFC 8731 section 3: the server's key is 32 bytes; an all-zero X25519
 * output (a point of small order) must abort the exchange; and K is the
 * 32 output bytes read as a big-endian integer, encoded as an mpint
 * (leading zeros dropped, a zero byte added when the top bit is set).
 * libsodium already returns -1 for small-order points and for a zero
 * result; we check for zero ourselves as well rather than depend on it.
 */
static int
c25519_shared_secret(void *st, const unsigned char *peer, size_t peerlen,
    struct buf *out)
{
	struct kex_c25519 *c = st;
	unsigned char shared[C25519_LEN];
	int r;

	if (peerlen != C25519_LEN)
		return ERR_KEY_INVALID;
	if (crypto_scalarmult_curve25519(shared, c->priv, peer) != 0 ||
	    sodium_is_zero(shared, sizeof(shared))) {
		r = ERR_KEY_INVALID;
		goto out;
	}
	r = buf_put_bignum_bytes(out, shared, sizeof(shared));
 out:
	mem_wipe(shared, sizeof(shared));
	return r;
}

const struct kex_family_ops kex_c25519_ops = {
	.family = KEX_FAMILY_C25519,
	.state_new = c25519_state_new,
	.state_free = c25519_state_free,
	.set_group = NULL,
	.generate = c25519_generate,
	.public_value = c25519_public_value,
	.shared_secret = c25519_shared_secret,
	.group = NULL,
};
