/*
 * The binary packet protocol (RFC 4253 section 6): framing, padding,
 * encryption and MAC in each of the three shapes cipher.h describes, the
 * 256 KiB bound on incoming packets, and sequence numbers.
 *
 * Nothing from a packet is used before its MAC or tag has been checked:
 * for encrypt-and-MAC ciphers the length comes from the first decrypted
 * block (as the protocol requires) and is only bounds-checked before the
 * MAC covers it.
 */
#include "config.h"

#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/mem.h"
#include "transport/transport-int.h"

void
tr_dir_clear(struct tr_dir *d)
{
	cipher_free(d->cipher);
	mac_free(d->mac);
	d->cipher = NULL;
	d->mac = NULL;
}

/* The shape of one direction's protection. */
struct shape {
	const struct cipher_impl *ci;
	const struct mac_impl *mi;
	size_t block;       /* padding multiple */
	size_t aad;         /* bytes of length left out of the cipher's
	                     * block alignment: 4 for AEAD and EtM */
	size_t tag;         /* bytes after the packet: tag or MAC */
	int aead;
	int etm;
	int chacha;
};

static void
shape_of(const struct tr_dir *d, struct shape *s)
{
	memset(s, 0, sizeof(*s));
	s->block = 8;
	if (d->cipher == NULL)
		return;
	s->ci = cipher_ctx_impl(d->cipher);
	s->mi = d->mac != NULL ? mac_ctx_impl(d->mac) : NULL;
	if (s->ci->block_size > s->block)
		s->block = s->ci->block_size;
	s->aead = (s->ci->flags & CIPHER_AEAD) != 0;
	s->chacha = (s->ci->flags & CIPHER_CHACHAPOLY) != 0;
	s->etm = s->mi != NULL && s->mi->etm;
	s->aad = s->aead || s->etm ? 4 : 0;
	s->tag = s->aead ? s->ci->auth_len : (s->mi != NULL ? s->mi->mac_len : 0);
}

static int
advance_seqnr(struct transport *t, struct tr_dir *d)
{
	if (++d->seqnr == 0 && !t->first_kex_done) {
		/* a wrap during the first key exchange could only be an
		 * attacker at work (Terrapin); OpenSSH refuses it too */
		return tr_fail(t, ERR_PROTOCOL, SSH_DISCONNECT_PROTOCOL_ERROR,
		    "sequence number wrapped during the initial key exchange");
	}
	return ERR_OK;
}

int
tr_packet_send(struct transport *t, const unsigned char *payload, size_t len)
{
	struct tr_dir *d = &t->dir_out;
	struct shape s;
	unsigned char *dst;
	size_t pad, plen, total;
	int r;

	shape_of(d, &s);
	if (len == 0 || len > TR_PACKET_MAX - 64)
		return ERR_INVALID_ARGUMENT;
	pad = s.block - ((4 + 1 + len - s.aad) % s.block);
	if (pad < 4)
		pad += s.block;
	plen = 1 + len + pad;
	total = 4 + plen + s.tag;
	if ((r = buf_reserve(t->out, total, &dst)) != ERR_OK)
		return r;
	buf_poke_u32_raw(dst, (uint32_t)plen);
	dst[4] = (unsigned char)pad;
	memcpy(dst + 5, payload, len);
	tr_random(t, dst + 5 + len, pad);
	if (s.ci == NULL) {
		/* before the first NEWKEYS: no protection */
	} else if (s.aead) {
		r = cipher_crypt(d->cipher, d->seqnr, dst, dst, 4 + plen, 4);
	} else if (s.etm) {
		if ((r = cipher_crypt(d->cipher, d->seqnr, dst, dst, 4 + plen,
		    4)) == ERR_OK)
			r = mac_compute(d->mac, d->seqnr, dst, 4 + plen,
			    dst + 4 + plen);
	} else {
		if ((r = mac_compute(d->mac, d->seqnr, dst, 4 + plen,
		    dst + 4 + plen)) == ERR_OK)
			r = cipher_crypt(d->cipher, d->seqnr, dst, dst, 4 + plen,
			    0);
	}
	if (r != ERR_OK)
		return tr_fail(t, ERR_INTERNAL, SSH_DISCONNECT_PROTOCOL_ERROR,
		    "encryption failed: %s", err_str(r));
	d->bytes += 4 + plen;
	d->packets++;
	t->total_out += total;
	return advance_seqnr(t, d);
}

int
tr_packet_send_buf(struct transport *t, const struct buf *b)
{
	return tr_packet_send(t, buf_ptr(b), buf_len(b));
}

static int
bad_length(struct transport *t, uint32_t plen)
{
	return tr_fail(t, ERR_PROTOCOL, SSH_DISCONNECT_PROTOCOL_ERROR,
	    "bad packet length %u", plen);
}

int
tr_packet_read(struct transport *t)
{
	struct tr_dir *d = &t->dir_in;
	const unsigned char *src = buf_ptr(t->in);
	size_t have = buf_len(t->in), first, padlen, paylen;
	struct shape s;
	uint32_t plen;
	int r;

	shape_of(d, &s);
	if (!t->in_length_known) {
		if (s.ci == NULL || s.aead || s.etm) {
			if (have < 4)
				return ERR_AGAIN;
			if (s.chacha) {
				r = cipher_decrypt_length(d->cipher, d->seqnr, src,
				    4, &plen);
				if (r != ERR_OK)
					return tr_fail(t, ERR_PROTOCOL,
					    SSH_DISCONNECT_PROTOCOL_ERROR,
					    "cannot decrypt packet length");
			} else
				plen = buf_peek_u32_raw(src);
			first = 0;
		} else {
			/* encrypt-and-MAC: the length is in the first block */
			if (have < s.block)
				return ERR_AGAIN;
			r = cipher_crypt(d->cipher, d->seqnr, t->inpkt, src,
			    s.block, 0);
			if (r != ERR_OK)
				return tr_fail(t, ERR_INTERNAL,
				    SSH_DISCONNECT_PROTOCOL_ERROR,
				    "decryption failed");
			plen = buf_peek_u32_raw(t->inpkt);
			first = s.block;
		}
		if (plen < 5 || plen > TR_PACKET_MAX)
			return bad_length(t, plen);
		if (((s.aad ? 0 : 4) + (size_t)plen) % s.block != 0)
			return bad_length(t, plen);
		if (first > 4 + (size_t)plen)
			return bad_length(t, plen);
		t->in_plen = plen;
		t->in_need = 4 + (size_t)plen + s.tag;
		t->in_length_known = 1 + (first > 0);
	}
	if (have < t->in_need)
		return ERR_AGAIN;
	plen = t->in_plen;
	if (s.ci == NULL) {
		memcpy(t->inpkt, src, 4 + (size_t)plen);
	} else if (s.aead) {
		r = cipher_crypt(d->cipher, d->seqnr, t->inpkt, src, 4 + plen, 4);
		if (r == ERR_MAC_INVALID)
			goto mac_error;
		if (r != ERR_OK)
			goto crypt_error;
	} else if (s.etm) {
		/* the MAC covers the ciphertext: check it before decrypting */
		r = mac_check(d->mac, d->seqnr, src, 4 + plen, src + 4 + plen);
		if (r == ERR_MAC_INVALID)
			goto mac_error;
		if (r != ERR_OK)
			goto crypt_error;
		if ((r = cipher_crypt(d->cipher, d->seqnr, t->inpkt, src,
		    4 + plen, 4)) != ERR_OK)
			goto crypt_error;
	} else {
		if (4 + plen > s.block &&
		    (r = cipher_crypt(d->cipher, d->seqnr, t->inpkt + s.block,
		    src + s.block, 4 + plen - s.block, 0)) != ERR_OK)
			goto crypt_error;
		r = mac_check(d->mac, d->seqnr, t->inpkt, 4 + plen,
		    src + 4 + plen);
		if (r == ERR_MAC_INVALID)
			goto mac_error;
		if (r != ERR_OK)
			goto crypt_error;
	}
	padlen = t->inpkt[4];
	if (padlen < 4 || padlen >= plen)
		return tr_fail(t, ERR_PROTOCOL, SSH_DISCONNECT_PROTOCOL_ERROR,
		    "bad padding length %zu in a packet of %u bytes", padlen,
		    plen);
	paylen = plen - padlen - 1;
	buf_reset(t->payload);
	if ((r = buf_put(t->payload, t->inpkt + 5, paylen)) != ERR_OK)
		return tr_fail(t, r, SSH_DISCONNECT_PROTOCOL_ERROR,
		    "out of memory");
	(void)buf_consume(t->in, t->in_need);
	t->in_length_known = 0;
	d->bytes += 4 + plen;
	d->packets++;
	t->total_in += t->in_need;
	t->last_rx_ms = t->now_ms;
	t->in_need = 0;
	if (paylen == 0)
		return tr_fail(t, ERR_PROTOCOL, SSH_DISCONNECT_PROTOCOL_ERROR,
		    "empty packet");
	return advance_seqnr(t, d);
 mac_error:
	return tr_fail(t, ERR_MAC_INVALID, SSH_DISCONNECT_MAC_ERROR,
	    "message authentication code incorrect");
 crypt_error:
	return tr_fail(t, ERR_INTERNAL, SSH_DISCONNECT_PROTOCOL_ERROR,
	    "decryption failed: %s", err_str(r));
}

/* Re-key after RekeyLimit bytes or the cipher's own bound, whichever
 * comes first (SECURITY.md rule 8). */
static uint64_t
dir_limit(const struct transport *t, const struct tr_dir *d)
{
	uint64_t lim;

	if (d->cipher == NULL)
		return UINT64_MAX;
	lim = cipher_ctx_impl(d->cipher)->rekey_bytes;
	if (t->rekey_bytes > 0 && t->rekey_bytes < lim)
		lim = t->rekey_bytes;
	return lim;
}

void
tr_packet_switch_out(struct transport *t)
{
	tr_dir_clear(&t->dir_out);
	t->dir_out.cipher = t->pending_out.cipher;
	t->dir_out.mac = t->pending_out.mac;
	t->pending_out.cipher = NULL;
	t->pending_out.mac = NULL;
	t->dir_out.bytes = t->dir_out.packets = 0;
	t->dir_out.limit = dir_limit(t, &t->dir_out);
}

void
tr_packet_switch_in(struct transport *t)
{
	tr_dir_clear(&t->dir_in);
	t->dir_in.cipher = t->pending_in.cipher;
	t->dir_in.mac = t->pending_in.mac;
	t->pending_in.cipher = NULL;
	t->pending_in.mac = NULL;
	t->dir_in.bytes = t->dir_in.packets = 0;
	t->dir_in.limit = dir_limit(t, &t->dir_in);
}
