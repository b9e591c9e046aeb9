/*
 * Key exchange (RFC 4253 sections 7-9, RFC 4419, RFC 5656, RFC 8731):
 * KEXINIT and negotiation, the client's side of each method's messages,
 * the exchange hash, the host key's signature and known_hosts check,
 * key derivation and NEWKEYS; strict key exchange against Terrapin
 * (OpenSSH PROTOCOL, "kex-strict-c-v00@openssh.com").
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/mem.h"
#include "transport/knownhosts.h"
#include "transport/transport-int.h"

#define KEX_STRICT_CLIENT "kex-strict-c-v00@openssh.com"
#define KEX_STRICT_SERVER "kex-strict-s-v00@openssh.com"
#define EXT_INFO_CLIENT "ext-info-c"

/* DH group exchange sizes, as OpenSSH asks for them. */
#define GEX_MIN 2048
#define GEX_WANT 3072
#define GEX_MAX 8192

static const char default_kex[] =
    "curve25519-sha256,curve25519-sha256@libssh.org,"
    "ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,"
    "diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,"
    "diffie-hellman-group18-sha512,diffie-hellman-group14-sha256";
static const char default_hostkey[] =
    "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,"
    "ecdsa-sha2-nistp521,rsa-sha2-512,rsa-sha2-256";
static const char default_ciphers[] =
    "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,"
    "aes128-gcm@openssh.com,aes256-gcm@openssh.com";
static const char default_macs[] =
    "hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,"
    "hmac-sha1-etm@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1";

const char *tr_default_kex(void) { return default_kex; }
const char *tr_default_hostkey(void) { return default_hostkey; }
const char *tr_default_ciphers(void) { return default_ciphers; }
const char *tr_default_macs(void) { return default_macs; }

int
tr_kex_supported(const char *name)
{
	return kex_method_by_name(name) != NULL;
}

int
tr_hostkey_supported(const char *name)
{
	return hostkey_type_for_alg(name) >= 0;
}

int
tr_cipher_supported(const char *name)
{
	return cipher_by_name(name) != NULL;
}

int
tr_mac_supported(const char *name)
{
	return mac_by_name(name) != NULL;
}

char *
tr_filter_list(const char *list, int (*f)(const char *))
{
	char *copy = strdup(list), *out = malloc(strlen(list) + 1);
	char *cur, *name;
	size_t n = 0;

	if (copy == NULL || out == NULL) {
		free(copy);
		free(out);
		return NULL;
	}
	out[0] = '\0';
	cur = copy;
	while ((name = strsep(&cur, ",")) != NULL) {
		if (*name == '\0' || !f(name))
			continue;
		if (n > 0)
			out[n++] = ',';
		memcpy(out + n, name, strlen(name) + 1);
		n += strlen(name);
	}
	free(copy);
	return out;
}

/* 1 when name is an entry of the comma list. */
static int
list_contains(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p = list, *e;

	while (*p != '\0') {
		e = strchr(p, ',');
		if (e == NULL)
			e = p + strlen(p);
		if ((size_t)(e - p) == n && memcmp(p, name, n) == 0)
			return 1;
		p = *e == ',' ? e + 1 : e;
	}
	return 0;
}

/* The first entry of ours that theirs has (RFC 4253 section 7.1);
 * malloc'ed, or NULL. */
static char *
first_match(const char *ours, const char *theirs)
{
	char *copy = strdup(ours), *cur, *name, *ret = NULL;

	if (copy == NULL)
		return NULL;
	cur = copy;
	while ((name = strsep(&cur, ",")) != NULL) {
		if (*name != '\0' && list_contains(theirs, name)) {
			ret = strdup(name);
			break;
		}
	}
	free(copy);
	return ret;
}

static void
algs_free(struct tr_algs *a)
{
	free(a->kex);
	free(a->hostkey);
	free(a->cipher_ctos);
	free(a->cipher_stoc);
	free(a->mac_ctos);
	free(a->mac_stoc);
	memset(a, 0, sizeof(*a));
}

void
tr_kex_free(struct transport *t)
{
	algs_free(&t->algs);
	kex_client_free(t->kexc);
	t->kexc = NULL;
	buf_free(t->my_kexinit);
	buf_free(t->peer_kexinit);
	buf_free(t->shared_secret);
	t->my_kexinit = t->peer_kexinit = t->shared_secret = NULL;
	cipher_free(t->pending_in.cipher);
	mac_free(t->pending_in.mac);
	cipher_free(t->pending_out.cipher);
	mac_free(t->pending_out.mac);
	memset(&t->pending_in, 0, sizeof(t->pending_in));
	memset(&t->pending_out, 0, sizeof(t->pending_out));
	mem_wipe(t->exchange_hash, sizeof(t->exchange_hash));
}

int
tr_kex_send_kexinit(struct transport *t)
{
	struct buf *b = NULL;
	unsigned char cookie[16];
	char *kexlist = NULL;
	size_t n;
	int r = ERR_NOMEM;

	buf_free(t->my_kexinit);
	t->my_kexinit = NULL;
	buf_free(t->peer_kexinit);
	t->peer_kexinit = NULL;
	if ((b = buf_new(0)) == NULL)
		goto out;
	tr_random(t, cookie, sizeof(cookie));
	/* the markers go in the first KEXINIT only */
	n = strlen(t->kex_list) + sizeof(EXT_INFO_CLIENT) +
	    sizeof(KEX_STRICT_CLIENT) + 2;
	if ((kexlist = malloc(n)) == NULL)
		goto out;
	if (!t->first_kex_done)
		snprintf(kexlist, n, "%s,%s,%s", t->kex_list, EXT_INFO_CLIENT,
		    KEX_STRICT_CLIENT);
	else
		snprintf(kexlist, n, "%s", t->kex_list);
	if ((r = buf_put_u8(b, SSH_MSG_KEXINIT)) != ERR_OK ||
	    (r = buf_put(b, cookie, sizeof(cookie))) != ERR_OK ||
	    (r = buf_put_cstring(b, kexlist)) != ERR_OK ||
	    (r = buf_put_cstring(b, t->hostkey_list)) != ERR_OK ||
	    (r = buf_put_cstring(b, t->cipher_list)) != ERR_OK ||
	    (r = buf_put_cstring(b, t->cipher_list)) != ERR_OK ||
	    (r = buf_put_cstring(b, t->mac_list)) != ERR_OK ||
	    (r = buf_put_cstring(b, t->mac_list)) != ERR_OK ||
	    (r = buf_put_cstring(b, "none")) != ERR_OK ||
	    (r = buf_put_cstring(b, "none")) != ERR_OK ||
	    (r = buf_put_cstring(b, "")) != ERR_OK ||
	    (r = buf_put_cstring(b, "")) != ERR_OK ||
	    (r = buf_put_bool(b, 0)) != ERR_OK ||
	    (r = buf_put_u32(b, 0)) != ERR_OK)
		goto out;
	t->kexinit_seqnr = t->dir_out.seqnr;
	if ((r = tr_packet_send_buf(t, b)) != ERR_OK)
		goto out;
	t->my_kexinit = b;
	b = NULL;
	t->kex = TR_KEX_WAIT_KEXINIT;
	t->kex_started_ms = t->now_ms;
	t->sent_newkeys = 0;
	t->peer_kexinit_seen = 0;
	r = ERR_OK;
 out:
	free(kexlist);
	buf_free(b);
	return r;
}

/* Reads the server's KEXINIT into lists; 0 or a fatal code. */
static int
parse_kexinit(struct transport *t, char *lists[10], int *follows)
{
	struct buf *v = NULL;
	unsigned char type;
	size_t i;
	int r;

	for (i = 0; i < 10; i++)
		lists[i] = NULL;
	if ((v = buf_new_view(buf_ptr(t->payload), buf_len(t->payload))) ==
	    NULL)
		return ERR_NOMEM;
	if ((r = buf_get_u8(v, &type)) != ERR_OK ||
	    (r = buf_consume(v, 16)) != ERR_OK)
		goto out;
	for (i = 0; i < 10; i++) {
		if ((r = buf_get_cstring(v, &lists[i], NULL)) != ERR_OK)
			goto out;
	}
	if ((r = buf_get_bool(v, follows)) != ERR_OK ||
	    (r = buf_get_u32(v, NULL)) != ERR_OK)
		goto out;
 out:
	buf_free(v);
	if (r != ERR_OK) {
		for (i = 0; i < 10; i++) {
			free(lists[i]);
			lists[i] = NULL;
		}
		return tr_fail(t, ERR_PROTOCOL, SSH_DISCONNECT_PROTOCOL_ERROR,
		    "malformed KEXINIT from the server");
	}
	return ERR_OK;
}

static int
negotiate(struct transport *t, char *lists[10])
{
	struct tr_algs *a = &t->algs;
	const char *what = NULL;

	algs_free(a);
	if ((a->kex = first_match(t->kex_list, lists[0])) == NULL)
		what = "key exchange method";
	else if ((a->hostkey = first_match(t->hostkey_list, lists[1])) == NULL)
		what = "host key type";
	else if ((a->cipher_ctos = first_match(t->cipher_list, lists[2])) == NULL)
		what = "cipher (client to server)";
	else if ((a->cipher_stoc = first_match(t->cipher_list, lists[3])) == NULL)
		what = "cipher (server to client)";
	if (what == NULL &&
	    (cipher_by_name(a->cipher_ctos)->flags & CIPHER_AEAD) == 0 &&
	    (a->mac_ctos = first_match(t->mac_list, lists[4])) == NULL)
		what = "MAC (client to server)";
	if (what == NULL &&
	    (cipher_by_name(a->cipher_stoc)->flags & CIPHER_AEAD) == 0 &&
	    (a->mac_stoc = first_match(t->mac_list, lists[5])) == NULL)
		what = "MAC (server to client)";
	if (what == NULL && (!list_contains(lists[6], "none") ||
	    !list_contains(lists[7], "none")))
		what = "compression method";
	if (what != NULL)
		return tr_fail(t, ERR_NO_MATCH, SSH_DISCONNECT_KEY_EXCHANGE_FAILED,
		    "no matching %s found", what);
	t->method = kex_method_by_name(a->kex);
	return ERR_OK;
}

static int
send_kex_init_message(struct transport *t)
{
	struct buf *b = buf_new(0);
	const unsigned char *pub;
	size_t len;
	int r;

	if (b == NULL)
		return ERR_NOMEM;
	if (t->method->family == KEX_FAMILY_DH_GEX && t->kex != TR_KEX_WAIT_GROUP) {
		t->gex_min = GEX_MIN;
		t->gex_want = GEX_WANT;
		t->gex_max = GEX_MAX;
		r = buf_put_u8(b, SSH_MSG_KEX_DH_GEX_REQUEST);
		if (r == ERR_OK)
			r = buf_put_u32(b, t->gex_min);
		if (r == ERR_OK)
			r = buf_put_u32(b, t->gex_want);
		if (r == ERR_OK)
			r = buf_put_u32(b, t->gex_max);
		if (r == ERR_OK)
			r = tr_packet_send_buf(t, b);
		buf_free(b);
		if (r == ERR_OK)
			t->kex = TR_KEX_WAIT_GROUP;
		return r;
	}
	if ((r = kex_client_public(t->kexc, &pub, &len)) != ERR_OK)
		goto out;
	r = buf_put_u8(b, t->method->family == KEX_FAMILY_DH_GEX ?
	    SSH_MSG_KEX_DH_GEX_INIT : SSH_MSG_KEX_ECDH_INIT);
	if (r == ERR_OK) {
		if (t->method->family == KEX_FAMILY_DH ||
		    t->method->family == KEX_FAMILY_DH_GEX)
			r = buf_put_bignum_bytes(b, pub, len);
		else
			r = buf_put_string(b, pub, len);
	}
	if (r == ERR_OK)
		r = tr_packet_send_buf(t, b);
	if (r == ERR_OK)
		t->kex = TR_KEX_WAIT_REPLY;
 out:
	buf_free(b);
	return r;
}

static int
on_kexinit(struct transport *t)
{
	char *lists[10];
	int follows = 0, r, i;

	if (t->kex == TR_KEX_IDLE) {
		/* the server starts a re-key: answer with ours */
		if ((r = tr_kex_send_kexinit(t)) != ERR_OK)
			return r;
	}
	if (t->kex != TR_KEX_WAIT_KEXINIT || t->peer_kexinit_seen)
		return tr_fail(t, ERR_PROTOCOL, SSH_DISCONNECT_PROTOCOL_ERROR,
		    "unexpected KEXINIT");
	t->peer_kexinit_seen = 1;
	if ((r = parse_kexinit(t, lists, &follows)) != ERR_OK)
		return r;
	if (!t->first_kex_done && list_contains(lists[0], KEX_STRICT_SERVER)) {
		t->strict_kex = 1;
		/* in strict mode the server's KEXINIT must be its very first
		 * packet: anything before it could be an injection */
		if (t->dir_in.packets != 1) {
			for (i = 0; i < 10; i++)
				free(lists[i]);
			return tr_fail(t, ERR_PROTOCOL,
			    SSH_DISCONNECT_PROTOCOL_ERROR,
			    "strict KEX violation: KEXINIT was not the first "
			    "packet");
		}
	}
	r = negotiate(t, lists);
	for (i = 0; i < 10; i++)
		free(lists[i]);
	if (r != ERR_OK)
		return r;
	if (follows) {
		/* OpenSSH servers never guess; refusing keeps the state
		 * machine simple and honest */
		return tr_fail(t, ERR_PROTOCOL, SSH_DISCONNECT_PROTOCOL_ERROR,
		    "server sent a guessed key exchange packet");
	}
	if ((t->peer_kexinit = buf_new(0)) == NULL ||
	    buf_put(t->peer_kexinit, buf_ptr(t->payload),
	    buf_len(t->payload)) != ERR_OK)
		return tr_fail(t, ERR_NOMEM, SSH_DISCONNECT_PROTOCOL_ERROR,
		    "out of memory");
	kex_client_free(t->kexc);
	t->kexc = NULL;
	if ((r = kex_client_new(t->method, &t->kexc)) != ERR_OK)
		return tr_fail(t, r, SSH_DISCONNECT_KEY_EXCHANGE_FAILED,
		    "key exchange setup failed: %s", err_str(r));
	return send_kex_init_message(t);
}

static int
on_gex_group(struct transport *t)
{
	const unsigned char *p, *g;
	size_t plen, glen;
	unsigned char type;
	int r;

	if ((r = buf_get_u8(t->payload, &type)) != ERR_OK ||
	    (r = buf_get_bignum_bytes_direct(t->payload, &p, &plen)) != ERR_OK ||
	    (r = buf_get_bignum_bytes_direct(t->payload, &g, &glen)) != ERR_OK ||
	    buf_len(t->payload) != 0)
		return tr_fail(t, ERR_PROTOCOL, SSH_DISCONNECT_PROTOCOL_ERROR,
		    "malformed DH group exchange group");
	if ((r = kex_client_set_group(t->kexc, p, plen, g, glen, t->gex_min,
	    t->gex_max)) != ERR_OK ||
	    (r = kex_client_generate(t->kexc)) != ERR_OK)
		return tr_fail(t, r, SSH_DISCONNECT_KEY_EXCHANGE_FAILED,
		    "unacceptable DH group from the server: %s", err_str(r));
	return send_kex_init_message(t);
}

/* H = HASH(V_C || V_S || I_C || I_S || K_S || method fields || K) */
static int
exchange_hash(struct transport *t, const unsigned char *server_pub,
    size_t server_pub_len)
{
	struct buf *h = buf_new(0);
	const unsigned char *pub, *p, *g;
	size_t len, plen, glen;
	enum kex_family fam = t->method->family;
	int r;

	if (h == NULL)
		return ERR_NOMEM;
	if ((r = kex_client_public(t->kexc, &pub, &len)) != ERR_OK)
		goto out;
	if ((r = buf_put_cstring(h, t->client_version)) != ERR_OK ||
	    (r = buf_put_cstring(h, t->server_version)) != ERR_OK ||
	    (r = buf_put_stringb(h, t->my_kexinit)) != ERR_OK ||
	    (r = buf_put_stringb(h, t->peer_kexinit)) != ERR_OK ||
	    (r = buf_put_string(h, t->server_hostkey,
	    t->server_hostkey_len)) != ERR_OK)
		goto out;
	if (fam == KEX_FAMILY_DH_GEX) {
		if ((r = kex_client_group(t->kexc, &p, &plen, &g, &glen)) !=
		    ERR_OK ||
		    (r = buf_put_u32(h, t->gex_min)) != ERR_OK ||
		    (r = buf_put_u32(h, t->gex_want)) != ERR_OK ||
		    (r = buf_put_u32(h, t->gex_max)) != ERR_OK ||
		    (r = buf_put_bignum_bytes(h, p, plen)) != ERR_OK ||
		    (r = buf_put_bignum_bytes(h, g, glen)) != ERR_OK)
			goto out;
	}
	if (fam == KEX_FAMILY_DH || fam == KEX_FAMILY_DH_GEX) {
		if ((r = buf_put_bignum_bytes(h, pub, len)) != ERR_OK ||
		    (r = buf_put_bignum_bytes(h, server_pub,
		    server_pub_len)) != ERR_OK)
			goto out;
	} else {
		if ((r = buf_put_string(h, pub, len)) != ERR_OK ||
		    (r = buf_put_string(h, server_pub, server_pub_len)) !=
		    ERR_OK)
			goto out;
	}
	if ((r = buf_put(h, buf_ptr(t->shared_secret),
	    buf_len(t->shared_secret))) != ERR_OK)
		goto out;
	t->exchange_hash_len = kex_hash_len(t->method->hash);
	r = kex_hash_digest(t->method->hash, buf_ptr(h), buf_len(h),
	    t->exchange_hash);
 out:
	buf_free(h);
	return r;
}

/* Derives both directions' keys into t->pending_*. */
static int
derive_keys(struct transport *t)
{
	const struct cipher_impl *ci[2];
	const struct mac_impl *mi[2];
	unsigned char iv[64], key[64], mkey[128];
	const char *cnames[2] = { t->algs.cipher_ctos, t->algs.cipher_stoc };
	const char *mnames[2] = { t->algs.mac_ctos, t->algs.mac_stoc };
	struct tr_newkeys *nk[2] = { &t->pending_out, &t->pending_in };
	const unsigned char *k = buf_ptr(t->shared_secret);
	size_t klen = buf_len(t->shared_secret), i;
	int r = ERR_OK;

	for (i = 0; i < 2 && r == ERR_OK; i++) {
		ci[i] = cipher_by_name(cnames[i]);
		mi[i] = mnames[i] != NULL ? mac_by_name(mnames[i]) : NULL;
		if (ci[i] == NULL || ci[i]->iv_len > sizeof(iv) ||
		    ci[i]->key_len > sizeof(key) ||
		    (mi[i] != NULL && mi[i]->key_len > sizeof(mkey))) {
			r = ERR_INTERNAL;
			break;
		}
		if (ci[i]->iv_len > 0)
			r = kex_derive_key(t->method->hash, k, klen,
			    t->exchange_hash, t->exchange_hash_len,
			    (char)('A' + i), t->session_id, t->session_id_len,
			    iv, ci[i]->iv_len);
		if (r == ERR_OK)
			r = kex_derive_key(t->method->hash, k, klen,
			    t->exchange_hash, t->exchange_hash_len,
			    (char)('C' + i), t->session_id, t->session_id_len,
			    key, ci[i]->key_len);
		if (r == ERR_OK)
			r = cipher_init(&nk[i]->cipher, ci[i], key, ci[i]->key_len,
			    iv, ci[i]->iv_len, i == 0);
		if (r == ERR_OK && mi[i] != NULL) {
			r = kex_derive_key(t->method->hash, k, klen,
			    t->exchange_hash, t->exchange_hash_len,
			    (char)('E' + i), t->session_id, t->session_id_len,
			    mkey, mi[i]->key_len);
			if (r == ERR_OK)
				r = mac_init(&nk[i]->mac, mi[i], mkey,
				    mi[i]->key_len);
		}
	}
	mem_wipe(iv, sizeof(iv));
	mem_wipe(key, sizeof(key));
	mem_wipe(mkey, sizeof(mkey));
	return r;
}

static int
send_newkeys(struct transport *t)
{
	unsigned char msg = SSH_MSG_NEWKEYS;
	const unsigned char *p;
	uint32_t len;
	int r;

	if ((r = tr_packet_send(t, &msg, 1)) != ERR_OK)
		return r;
	tr_packet_switch_out(t);
	if (t->strict_kex)
		t->dir_out.seqnr = 0;
	t->sent_newkeys = 1;
	t->kex = TR_KEX_WAIT_NEWKEYS;
	/* packets the layers above sent during the exchange go now */
	while (buf_len(t->deferred) >= 4) {
		p = buf_ptr(t->deferred);
		len = buf_peek_u32_raw(p);
		if ((r = tr_packet_send(t, p + 4, len)) != ERR_OK)
			return r;
		(void)buf_consume(t->deferred, 4 + (size_t)len);
	}
	if (t->conn == TR_CONN_FIRST_KEX) {
		/* asked now, answered once the server's NEWKEYS is in: saves
		 * a round trip */
		struct buf *b = buf_new(0);

		if (b == NULL)
			return ERR_NOMEM;
		r = buf_put_u8(b, SSH_MSG_SERVICE_REQUEST);
		if (r == ERR_OK)
			r = buf_put_cstring(b, "ssh-userauth");
		if (r == ERR_OK)
			r = tr_packet_send_buf(t, b);
		buf_free(b);
		if (r != ERR_OK)
			return r;
		t->conn = TR_CONN_SERVICE;
	}
	return ERR_OK;
}

static const char *
key_type_label(const struct hostkey *k)
{
	switch (hostkey_type(k)) {
	case HOSTKEY_ED25519: return "ED25519";
	case HOSTKEY_ECDSA_P256:
	case HOSTKEY_ECDSA_P384:
	case HOSTKEY_ECDSA_P521: return "ECDSA";
	case HOSTKEY_RSA: return "RSA";
	}
	return "UNKNOWN";
}

/* Decides about the verified host key; may wait for the caller. */
static int
check_known_hosts(struct transport *t, const struct hostkey *key)
{
	struct kh_result res;
	struct tr_event_slot ev;
	struct buf *line = NULL;
	unsigned char salt[20];
	char *fp = hostkey_fingerprint_sha256(key);
	const char *name = t->n_hostkey_names > 0 ? t->hostkey_names[0] : "?";
	int r;

	if (fp == NULL)
		return tr_fail(t, ERR_NOMEM, SSH_DISCONNECT_PROTOCOL_ERROR,
		    "out of memory");
	memset(&res, 0, sizeof(res));
	res.status = KH_STATUS_NEW;
	if (t->known_hosts != NULL &&
	    (r = known_hosts_check(t->known_hosts,
	    (const char *const *)t->hostkey_names, t->n_hostkey_names,
	    t->server_hostkey, t->server_hostkey_len, &res)) != ERR_OK) {
		free(fp);
		return tr_fail(t, r, SSH_DISCONNECT_HOST_KEY_NOT_VERIFIABLE,
		    "known_hosts check failed: %s", err_str(r));
	}
	switch (res.status) {
	case KH_STATUS_OK:
		free(fp);
		return send_newkeys(t);
	case KH_STATUS_REVOKED:
		r = tr_fail(t, ERR_HOSTKEY, SSH_DISCONNECT_HOST_KEY_NOT_VERIFIABLE,
		    "Host key %s %s for %s is marked as revoked in %s:%d",
		    key_type_label(key), fp, name, res.file, res.line);
		free(fp);
		return r;
	case KH_STATUS_CHANGED:
		/* refused under every StrictHostKeyChecking setting: we never
		 * talk to a host whose key changed */
		r = tr_fail(t, ERR_HOSTKEY, SSH_DISCONNECT_HOST_KEY_NOT_VERIFIABLE,
		    "REMOTE HOST IDENTIFICATION HAS CHANGED for %s: the server "
		    "sent %s key %s; offending key in %s:%d", name,
		    key_type_label(key), fp, res.file, res.line);
		free(fp);
		return r;
	case KH_STATUS_NEW:
		break;
	}
	if (t->strict == TRANSPORT_HOSTKEY_STRICT_YES) {
		r = tr_fail(t, ERR_HOSTKEY, SSH_DISCONNECT_HOST_KEY_NOT_VERIFIABLE,
		    "No %s host key is known for %s and you have requested "
		    "strict checking (%s)", key_type_label(key), name, fp);
		free(fp);
		return r;
	}
	memset(&ev, 0, sizeof(ev));
	ev.key_type = strdup(key_type_label(key));
	ev.fingerprint = fp;
	if (ev.key_type == NULL) {
		free(fp);
		return tr_fail(t, ERR_NOMEM, SSH_DISCONNECT_PROTOCOL_ERROR,
		    "out of memory");
	}
	if (t->strict == TRANSPORT_HOSTKEY_STRICT_ASK) {
		ev.type = TRANSPORT_EV_HOSTKEY_ASK;
		t->kex = TR_KEX_WAIT_DECISION;
		return tr_event_push(t, &ev);
	}
	/* accept-new and no: record the key and go on */
	if ((line = buf_new(0)) == NULL) {
		r = ERR_NOMEM;
		goto fail;
	}
	if (t->hash_known_hosts)
		tr_random(t, salt, sizeof(salt));
	if ((r = known_hosts_format_line(name, t->server_hostkey,
	    t->server_hostkey_len, t->hash_known_hosts ? salt : NULL,
	    line)) != ERR_OK)
		goto fail;
	ev.type = TRANSPORT_EV_HOSTKEY_LEARNED;
	if ((ev.line = buf_dup_cstr(line)) == NULL) {
		r = ERR_NOMEM;
		goto fail;
	}
	buf_free(line);
	if ((r = tr_event_push(t, &ev)) != ERR_OK)
		return r;
	return send_newkeys(t);
 fail:
	buf_free(line);
	free(ev.key_type);
	free(ev.fingerprint);
	free(ev.line);
	return tr_fail(t, r, SSH_DISCONNECT_PROTOCOL_ERROR, "%s", err_str(r));
}

int
tr_kex_hostkey_decided(struct transport *t, int accept)
{
	struct tr_event_slot ev;
	struct buf *line;
	int r;

	if (t->kex != TR_KEX_WAIT_DECISION)
		return ERR_INVALID_ARGUMENT;
	if (!accept)
		return tr_fail(t, ERR_HOSTKEY,
		    SSH_DISCONNECT_HOST_KEY_NOT_VERIFIABLE,
		    "Host key verification failed.");
	memset(&ev, 0, sizeof(ev));
	if ((line = buf_new(0)) == NULL)
		return ERR_NOMEM;
	r = known_hosts_format_line(t->n_hostkey_names > 0 ?
	    t->hostkey_names[0] : "?", t->server_hostkey,
	    t->server_hostkey_len, NULL, line);
	if (r == ERR_OK && (ev.line = buf_dup_cstr(line)) == NULL)
		r = ERR_NOMEM;
	buf_free(line);
	if (r != ERR_OK)
		return tr_fail(t, r, SSH_DISCONNECT_PROTOCOL_ERROR, "%s",
		    err_str(r));
	ev.type = TRANSPORT_EV_HOSTKEY_LEARNED;
	if ((r = tr_event_push(t, &ev)) != ERR_OK)
		return r;
	return send_newkeys(t);
}

static int
on_kex_reply(struct transport *t)
{
	const unsigned char *ks, *spub, *sig;
	size_t kslen, spublen, siglen;
	struct hostkey *key = NULL;
	unsigned char type;
	enum kex_family fam = t->method->family;
	int r;

	r = buf_get_u8(t->payload, &type);
	if (r == ERR_OK)
		r = buf_get_string_direct(t->payload, &ks, &kslen);
	if (r == ERR_OK) {
		if (fam == KEX_FAMILY_DH || fam == KEX_FAMILY_DH_GEX)
			r = buf_get_bignum_bytes_direct(t->payload, &spub,
			    &spublen);
		else
			r = buf_get_string_direct(t->payload, &spub, &spublen);
	}
	if (r == ERR_OK)
		r = buf_get_string_direct(t->payload, &sig, &siglen);
	if (r != ERR_OK || buf_len(t->payload) != 0)
		return tr_fail(t, ERR_PROTOCOL, SSH_DISCONNECT_PROTOCOL_ERROR,
		    "malformed key exchange reply");
	/* the key must be of the negotiated type */
	if ((r = hostkey_from_blob(ks, kslen, &key)) != ERR_OK)
		return tr_fail(t, r, SSH_DISCONNECT_KEY_EXCHANGE_FAILED,
		    "bad server host key: %s", err_str(r));
	if ((int)hostkey_type(key) != hostkey_type_for_alg(t->algs.hostkey)) {
		hostkey_free(key);
		return tr_fail(t, ERR_PROTOCOL, SSH_DISCONNECT_KEY_EXCHANGE_FAILED,
		    "server host key is not of the negotiated type %s",
		    t->algs.hostkey);
	}
	if (t->first_kex_done) {
		/* a re-key must present the host key we verified (RFC 4253
		 * section 9): anything else is an attack or a broken server */
		if (kslen != t->server_hostkey_len ||
		    memcmp(ks, t->server_hostkey, kslen) != 0) {
			hostkey_free(key);
			return tr_fail(t, ERR_HOSTKEY,
			    SSH_DISCONNECT_HOST_KEY_NOT_VERIFIABLE,
			    "server host key changed during re-key");
		}
	} else {
		free(t->server_hostkey);
		if ((t->server_hostkey = malloc(kslen)) == NULL) {
			hostkey_free(key);
			return ERR_NOMEM;
		}
		memcpy(t->server_hostkey, ks, kslen);
		t->server_hostkey_len = kslen;
	}
	buf_free(t->shared_secret);
	if ((t->shared_secret = buf_new_secret(0)) == NULL) {
		hostkey_free(key);
		return ERR_NOMEM;
	}
	if ((r = kex_client_shared_secret(t->kexc, spub, spublen,
	    t->shared_secret)) != ERR_OK) {
		hostkey_free(key);
		return tr_fail(t, r, SSH_DISCONNECT_KEY_EXCHANGE_FAILED,
		    "key exchange failed: bad server public value");
	}
	if ((r = exchange_hash(t, spub, spublen)) != ERR_OK) {
		hostkey_free(key);
		return tr_fail(t, r, SSH_DISCONNECT_KEY_EXCHANGE_FAILED,
		    "exchange hash failed");
	}
	/* the signature over H proves the server holds the host key */
	if ((r = hostkey_verify(key, t->algs.hostkey, sig, siglen,
	    t->exchange_hash, t->exchange_hash_len)) != ERR_OK) {
		hostkey_free(key);
		return tr_fail(t, ERR_SIGNATURE_INVALID,
		    SSH_DISCONNECT_KEY_EXCHANGE_FAILED,
		    "incorrect signature on the exchange hash: %s", err_str(r));
	}
	if (t->session_id_len == 0) {
		memcpy(t->session_id, t->exchange_hash, t->exchange_hash_len);
		t->session_id_len = t->exchange_hash_len;
	}
	if ((r = derive_keys(t)) != ERR_OK) {
		hostkey_free(key);
		return tr_fail(t, r, SSH_DISCONNECT_KEY_EXCHANGE_FAILED,
		    "key derivation failed: %s", err_str(r));
	}
	kex_client_free(t->kexc);
	t->kexc = NULL;
	if (!t->first_kex_done)
		r = check_known_hosts(t, key);
	else
		r = send_newkeys(t);
	hostkey_free(key);
	return r;
}

static int
on_newkeys(struct transport *t)
{
	if (buf_len(t->payload) != 1)
		return tr_fail(t, ERR_PROTOCOL, SSH_DISCONNECT_PROTOCOL_ERROR,
		    "malformed NEWKEYS");
	tr_packet_switch_in(t);
	if (t->strict_kex)
		t->dir_in.seqnr = 0;
	t->kex = TR_KEX_IDLE;
	t->last_kex_ms = t->now_ms;
	t->kex_count++;
	buf_free(t->shared_secret);
	t->shared_secret = NULL;
	if (t->first_kex_done) {
		struct tr_event_slot ev;

		memset(&ev, 0, sizeof(ev));
		ev.type = TRANSPORT_EV_REKEYED;
		return tr_event_push(t, &ev);
	}
	t->first_kex_done = 1;
	return ERR_OK;
}

int
tr_kex_dispatch(struct transport *t, unsigned char type)
{
	switch (type) {
	case SSH_MSG_KEXINIT:
		return on_kexinit(t);
	case SSH_MSG_NEWKEYS:
		if (t->kex != TR_KEX_WAIT_NEWKEYS)
			break;
		return on_newkeys(t);
	case SSH_MSG_KEX_ECDH_REPLY:  /* == KEX_DH_GEX_GROUP */
		if (t->kex == TR_KEX_WAIT_GROUP)
			return on_gex_group(t);
		if (t->kex == TR_KEX_WAIT_REPLY &&
		    t->method->family != KEX_FAMILY_DH_GEX)
			return on_kex_reply(t);
		break;
	case SSH_MSG_KEX_DH_GEX_REPLY:
		if (t->kex == TR_KEX_WAIT_REPLY &&
		    t->method->family == KEX_FAMILY_DH_GEX)
			return on_kex_reply(t);
		break;
	default:
		break;
	}
	return tr_fail(t, ERR_PROTOCOL, SSH_DISCONNECT_PROTOCOL_ERROR,
	    "unexpected key exchange message %u", type);
}

int
tr_kex_rekey_due(const struct transport *t)
{
	uint64_t lim_out = t->dir_out.limit, lim_in = t->dir_in.limit;

	if (t->kex != TR_KEX_IDLE || t->conn != TR_CONN_READY)
		return 0;
	if (t->dir_out.bytes >= lim_out || t->dir_in.bytes >= lim_in)
		return 1;
	/* 2^31 packets under one key, as OpenSSH bounds it */
	if (t->dir_out.packets >= (1ULL << 31) ||
	    t->dir_in.packets >= (1ULL << 31))
		return 1;
	if (t->rekey_seconds > 0 &&
	    t->now_ms - t->last_kex_ms >= (uint64_t)t->rekey_seconds * 1000)
		return 1;
	return 0;
}
