/*
 * The transport's top: version exchange, the input loop, dispatch of
 * messages by phase, events, time, and the API of transport.h.
 *
 * Which messages are allowed when (SECURITY.md rule 1): before the first
 * NEWKEYS only key exchange messages (and, unless strict key exchange is
 * in force, IGNORE, DEBUG and UNIMPLEMENTED); after it, SERVICE_ACCEPT
 * once, EXT_INFO, key exchange messages for a re-key, and messages for
 * the layers above only once the service is accepted.  Anything else is a
 * protocol error and ends the transport.
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/mem.h"
#include "transport/transport-int.h"

#define DEFAULT_CLIENT_VERSION "SSH-2.0-sshbroker_" PACKAGE_VERSION
/* What the input buffer may hold before we stop taking bytes. */
#define TR_INPUT_WINDOW (2 * (TR_PACKET_MAX + 1024))
/* Packets held during a key exchange; beyond this the layers above get
 * ERR_AGAIN and wait (SECURITY.md rule 2: queued output is bounded). */
#define TR_DEFERRED_MAX (256u * 1024)
#define TR_REASON_MAX 512

static void
slot_clear(struct tr_event_slot *s)
{
	free(s->key_type);
	free(s->fingerprint);
	free(s->line);
	free(s->packet);
	free(s->reason);
	memset(s, 0, sizeof(*s));
}

int
tr_event_push(struct transport *t, const struct tr_event_slot *ev)
{
	struct tr_event_slot *s;

	if (t->ev_count >= TR_EVENTS_MAX) {
		/* the input loop keeps room; this is a bug, not the peer */
		struct tr_event_slot copy = *ev;

		slot_clear(&copy);
		return ERR_INTERNAL;
	}
	s = &t->events[(t->ev_head + t->ev_count) % TR_EVENTS_MAX];
	*s = *ev;
	t->ev_count++;
	return ERR_OK;
}

/* Printable ASCII only, bounded: a hostile DISCONNECT message or banner
 * must not reach a terminal as escape sequences. */
char *
tr_sanitize(const char *s, size_t len)
{
	size_t i, n = len > TR_REASON_MAX ? TR_REASON_MAX : len;
	char *out = malloc(n + 4);

	if (out == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		out[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	if (n < len) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
	return out;
}

static void
push_disconnected(struct transport *t, int code, const char *reason)
{
	struct tr_event_slot ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = TRANSPORT_EV_DISCONNECTED;
	ev.code = code;
	ev.reason = tr_sanitize(reason, strlen(reason));
	/* one slot is always kept free for this event */
	if (t->ev_count >= TR_EVENTS_MAX) {
		slot_clear(&t->events[(t->ev_head + t->ev_count - 1) %
		    TR_EVENTS_MAX]);
		t->ev_count--;
	}
	(void)tr_event_push(t, &ev);
}

int
tr_fail(struct transport *t, int code, int reason_code, const char *fmt, ...)
{
	char msg[TR_REASON_MAX];
	struct buf *b;
	va_list ap;

	if (t->conn == TR_CONN_DEAD)
		return err_is_fatal(code) ? code : ERR_PROTOCOL;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (t->conn != TR_CONN_VERSION && (b = buf_new(0)) != NULL) {
		/* tell the server why, as the last thing we send */
		if (buf_put_u8(b, SSH_MSG_DISCONNECT) == ERR_OK &&
		    buf_put_u32(b, (uint32_t)reason_code) == ERR_OK &&
		    buf_put_cstring(b, msg) == ERR_OK &&
		    buf_put_cstring(b, "") == ERR_OK)
			(void)tr_packet_send_buf(t, b);
		buf_free(b);
	}
	t->conn = TR_CONN_DEAD;
	push_disconnected(t, code, msg);
	/* the transport is dead: the caller must see a fatal code whatever
	 * the cause (the event keeps the specific one) */
	return err_is_fatal(code) ? code : ERR_PROTOCOL;
}

void
tr_random(struct transport *t, unsigned char *out, size_t len)
{
	size_t n;

	if (t->random_fn != NULL) {
		t->random_fn(t->random_ctx, out, len);
		return;
	}
	/* Every packet wants a few bytes of padding: drawing them from a
	 * pool refilled in one call saves a getrandom() per packet.  The
	 * pool is wiped as it is used and when the transport is freed. */
	while (len > 0) {
		if (t->rand_avail == 0) {
			randombytes_buf(t->rand_pool, sizeof(t->rand_pool));
			t->rand_avail = sizeof(t->rand_pool);
		}
		n = len < t->rand_avail ? len : t->rand_avail;
		memcpy(out, t->rand_pool + sizeof(t->rand_pool) - t->rand_avail,
		    n);
		mem_wipe(t->rand_pool + sizeof(t->rand_pool) - t->rand_avail, n);
		t->rand_avail -= n;
		out += n;
		len -= n;
	}
}

static int
copy_names(struct transport *t, const struct transport_params *p)
{
	size_t i;

	if (p->n_hostkey_names == 0)
		return ERR_OK;
	t->hostkey_names = calloc(p->n_hostkey_names, sizeof(char *));
	if (t->hostkey_names == NULL)
		return ERR_NOMEM;
	t->n_hostkey_names = p->n_hostkey_names;
	for (i = 0; i < p->n_hostkey_names; i++) {
		if ((t->hostkey_names[i] = strdup(p->hostkey_names[i])) == NULL)
			return ERR_NOMEM;
	}
	return ERR_OK;
}

static int
filtered(const char *given, const char *def, int (*f)(const char *),
    char **outp)
{
	*outp = tr_filter_list(given != NULL ? given : def, f);
	if (*outp == NULL)
		return ERR_NOMEM;
	return **outp == '\0' ? ERR_INVALID_ARGUMENT : ERR_OK;
}

int
transport_new(const struct transport_params *p, uint64_t now_ms,
    struct transport **tp)
{
	struct transport *t;
	const char *ver;
	int r = ERR_NOMEM;

	*tp = NULL;
	if (sodium_init() < 0)
		return ERR_INTERNAL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return ERR_NOMEM;
	t->now_ms = t->last_kex_ms = now_ms;
	ver = p->client_version != NULL ? p->client_version :
	    DEFAULT_CLIENT_VERSION;
	if (strlen(ver) > TR_VERSION_MAX - 2 || strncmp(ver, "SSH-2.0-", 8) != 0) {
		r = ERR_INVALID_ARGUMENT;
		goto fail;
	}
	if ((t->client_version = strdup(ver)) == NULL)
		goto fail;
	if ((r = filtered(p->kex_algorithms, tr_default_kex(),
	    tr_kex_supported, &t->kex_list)) != ERR_OK ||
	    (r = filtered(p->hostkey_algorithms, tr_default_hostkey(),
	    tr_hostkey_supported, &t->hostkey_list)) != ERR_OK ||
	    (r = filtered(p->ciphers, tr_default_ciphers(),
	    tr_cipher_supported, &t->cipher_list)) != ERR_OK ||
	    (r = filtered(p->macs, tr_default_macs(), tr_mac_supported,
	    &t->mac_list)) != ERR_OK)
		goto fail;
	t->ka_interval = p->keepalive_interval;
	t->ka_count_max = p->keepalive_count_max;
	t->last_rx_ms = now_ms;
	t->rekey_bytes = p->rekey_bytes;
	t->rekey_seconds = p->rekey_seconds;
	t->known_hosts = p->known_hosts;
	t->strict = p->strict;
	t->hash_known_hosts = p->hash_known_hosts;
	t->random_fn = p->random_fn;
	t->random_ctx = p->random_ctx;
	t->dir_in.limit = t->dir_out.limit = UINT64_MAX;
	if ((r = copy_names(t, p)) != ERR_OK)
		goto fail;
	r = ERR_NOMEM;
	if ((t->in = buf_new(TR_INPUT_WINDOW + 4096)) == NULL ||
	    (t->out = buf_new(0)) == NULL ||
	    (t->payload = buf_new_secret(TR_PACKET_MAX)) == NULL ||
	    (t->deferred = buf_new(TR_DEFERRED_MAX)) == NULL ||
	    (t->inpkt = malloc(TR_PACKET_MAX + 256)) == NULL)
		goto fail;
	/* our version line, then KEXINIT at once: the server's version is
	 * not needed to write it, and sending early saves a round trip */
	if ((r = buf_putf(t->out, "%s\r\n", t->client_version)) != ERR_OK)
		goto fail;
	t->conn = TR_CONN_VERSION;
	if ((r = tr_kex_send_kexinit(t)) != ERR_OK)
		goto fail;
	*tp = t;
	return ERR_OK;
 fail:
	transport_free(t);
	return r;
}

void
transport_free(struct transport *t)
{
	size_t i;

	if (t == NULL)
		return;
	tr_kex_free(t);
	tr_auth_free(t);
	tr_channels_free(t);
	tr_dir_clear(&t->dir_in);
	tr_dir_clear(&t->dir_out);
	for (i = 0; i < TR_EVENTS_MAX; i++)
		slot_clear(&t->events[i]);
	slot_clear(&t->current);
	for (i = 0; i < t->n_hostkey_names; i++)
		free(t->hostkey_names[i]);
	free(t->hostkey_names);
	free(t->client_version);
	free(t->kex_list);
	free(t->hostkey_list);
	free(t->cipher_list);
	free(t->mac_list);
	free(t->server_version);
	free(t->server_sig_algs);
	free(t->server_hostkey);
	buf_free(t->in);
	buf_free(t->out);
	buf_free(t->payload);
	buf_free(t->deferred);
	if (t->inpkt != NULL)
		mem_freezero(t->inpkt, TR_PACKET_MAX + 256);
	mem_wipe(t->session_id, sizeof(t->session_id));
	mem_wipe(t->rand_pool, sizeof(t->rand_pool));
	free(t);
}

/* Reads the server's version line, skipping banner lines before it
 * (RFC 4253 section 4.2).  ERR_AGAIN until the line is complete. */
static int
read_version(struct transport *t)
{
	const unsigned char *p, *nl;
	size_t len, linelen;
	char *line;

	for (;;) {
		p = buf_ptr(t->in);
		len = buf_len(t->in);
		nl = memchr(p, '\n', len);
		if (nl == NULL) {
			/* a NUL can be in no line: fail now, as ssh does,
			 * rather than wait for a line end that may not come */
			if (memchr(p, '\0', len) != NULL)
				return tr_fail(t, ERR_PROTOCOL,
				    SSH_DISCONNECT_PROTOCOL_ERROR,
				    "NUL byte in the server's version exchange");
			/* a line may end in CR LF: its CR is still pending */
			if (len > TR_BANNER_MAX_LINE + 1)
				return tr_fail(t, ERR_PROTOCOL,
				    SSH_DISCONNECT_PROTOCOL_ERROR,
				    "banner line from the server too long");
			return ERR_AGAIN;
		}
		linelen = (size_t)(nl - p);
		if (linelen > 0 && p[linelen - 1] == '\r')
			linelen--;
		if (memchr(p, '\0', linelen) != NULL)
			return tr_fail(t, ERR_PROTOCOL,
			    SSH_DISCONNECT_PROTOCOL_ERROR,
			    "NUL byte in the server's version exchange");
		if (linelen < 4 || memcmp(p, "SSH-", 4) != 0) {
			if (linelen > TR_BANNER_MAX_LINE)
				return tr_fail(t, ERR_PROTOCOL,
				    SSH_DISCONNECT_PROTOCOL_ERROR,
				    "banner line from the server too long");
			if (++t->banner_lines > TR_BANNER_MAX_LINES)
				return tr_fail(t, ERR_PROTOCOL,
				    SSH_DISCONNECT_PROTOCOL_ERROR,
				    "too many banner lines from the server");
			(void)buf_consume(t->in, (size_t)(nl - p) + 1);
			continue;
		}
		if ((size_t)(nl - p) + 1 > TR_VERSION_MAX)
			return tr_fail(t, ERR_PROTOCOL,
			    SSH_DISCONNECT_PROTOCOL_ERROR,
			    "server version line longer than 255 bytes");
		if ((line = malloc(linelen + 1)) == NULL)
			return ERR_NOMEM;
		memcpy(line, p, linelen);
		line[linelen] = '\0';
		(void)buf_consume(t->in, (size_t)(nl - p) + 1);
		if (strncmp(line, "SSH-2.0-", 8) != 0 &&
		    strncmp(line, "SSH-1.99-", 9) != 0) {
			char *shown = tr_sanitize(line, strlen(line));
			int r;

			r = tr_fail(t, ERR_PROTOCOL,
			    SSH_DISCONNECT_PROTOCOL_ERROR,
			    "protocol major versions differ: server sent \"%s\"",
			    shown != NULL ? shown : "?");
			free(shown);
			free(line);
			return r;
		}
		t->server_version = line;
		t->conn = TR_CONN_FIRST_KEX;
		return ERR_OK;
	}
}

static int
on_disconnect(struct transport *t)
{
	uint32_t code = 0;
	const unsigned char *msg = NULL;
	size_t len = 0;
	char *shown, buf[TR_REASON_MAX + 64];

	(void)buf_consume(t->payload, 1);
	if (buf_get_u32(t->payload, &code) != ERR_OK ||
	    buf_get_string_direct(t->payload, &msg, &len) != ERR_OK) {
		msg = (const unsigned char *)"(malformed)";
		len = strlen((const char *)msg);
	}
	shown = tr_sanitize((const char *)msg, len);
	snprintf(buf, sizeof(buf), "server disconnected (reason %u): %s",
	    code, shown != NULL ? shown : "?");
	free(shown);
	/* no DISCONNECT back: the server is gone */
	t->conn = TR_CONN_DEAD;
	push_disconnected(t, ERR_DISCONNECTED, buf);
	return ERR_DISCONNECTED;
}

static int
on_ext_info(struct transport *t)
{
	struct buf *v = t->payload;
	uint32_t n, i;
	char *name = NULL;
	const unsigned char *val;
	size_t vlen;
	int r;

	(void)buf_consume(v, 1);
	if ((r = buf_get_u32(v, &n)) != ERR_OK || n > 1024)
		goto bad;
	for (i = 0; i < n; i++) {
		if ((r = buf_get_cstring(v, &name, NULL)) != ERR_OK ||
		    (r = buf_get_string_direct(v, &val, &vlen)) != ERR_OK)
			goto bad;
		if (strcmp(name, "server-sig-algs") == 0 &&
		    memchr(val, '\0', vlen) == NULL) {
			free(t->server_sig_algs);
			if ((t->server_sig_algs = malloc(vlen + 1)) == NULL) {
				free(name);
				return ERR_NOMEM;
			}
			memcpy(t->server_sig_algs, val, vlen);
			t->server_sig_algs[vlen] = '\0';
		}
		free(name);
		name = NULL;
	}
	return ERR_OK;
 bad:
	free(name);
	return tr_fail(t, ERR_PROTOCOL, SSH_DISCONNECT_PROTOCOL_ERROR,
	    "malformed EXT_INFO");
}

static int
on_service_accept(struct transport *t)
{
	struct tr_event_slot ev;
	char *name = NULL;
	int r;

	(void)buf_consume(t->payload, 1);
	if (buf_get_cstring(t->payload, &name, NULL) != ERR_OK ||
	    strcmp(name, "ssh-userauth") != 0) {
		free(name);
		return tr_fail(t, ERR_PROTOCOL, SSH_DISCONNECT_PROTOCOL_ERROR,
		    "unexpected SERVICE_ACCEPT");
	}
	free(name);
	t->conn = TR_CONN_READY;
	memset(&ev, 0, sizeof(ev));
	ev.type = TRANSPORT_EV_READY;
	if ((r = tr_event_push(t, &ev)) != ERR_OK)
		return r;
	return ERR_OK;
}

static int
deliver_packet(struct transport *t)
{
	struct tr_event_slot ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = TRANSPORT_EV_PACKET;
	ev.packet_len = buf_len(t->payload);
	if ((ev.packet = malloc(ev.packet_len)) == NULL)
		return ERR_NOMEM;
	memcpy(ev.packet, buf_ptr(t->payload), ev.packet_len);
	return tr_event_push(t, &ev);
}

/* Routes one message by the current phase. */
static int
dispatch(struct transport *t)
{
	unsigned char type = buf_ptr(t->payload)[0];
	int in_first_kex = !t->first_kex_done;

	if (type == SSH_MSG_DISCONNECT)
		return on_disconnect(t);
	if (type == SSH_MSG_IGNORE || type == SSH_MSG_DEBUG ||
	    type == SSH_MSG_UNIMPLEMENTED) {
		/* strict KEX: nothing but key exchange before NEWKEYS */
		if (in_first_kex && t->strict_kex)
			return tr_fail(t, ERR_PROTOCOL,
			    SSH_DISCONNECT_PROTOCOL_ERROR,
			    "strict KEX violation: unexpected message %u during "
			    "the initial key exchange", type);
		if (type == SSH_MSG_UNIMPLEMENTED && t->kex == TR_KEX_WAIT_KEXINIT &&
		    t->first_kex_done && buf_len(t->payload) == 5 &&
		    buf_peek_u32_raw(buf_ptr(t->payload) + 1) == t->kexinit_seqnr) {
			/* OpenSSH's sshd refuses to re-key before user
			 * authentication; waiting would hang forever */
			return tr_fail(t, ERR_PROTOCOL,
			    SSH_DISCONNECT_PROTOCOL_ERROR,
			    "the server refused to re-key (before "
			    "authentication, OpenSSH does not re-key)");
		}
		return ERR_OK;
	}
	if (type >= SSH_MSG_KEXINIT && type <= 49) {
		if (t->conn == TR_CONN_FIRST_KEX || t->conn == TR_CONN_SERVICE ||
		    t->conn == TR_CONN_READY)
			return tr_kex_dispatch(t, type);
	} else if (in_first_kex) {
		/* fall through to the error below */
	} else if (type == SSH_MSG_EXT_INFO) {
		return on_ext_info(t);
	} else if (type == SSH_MSG_SERVICE_ACCEPT &&
	    t->conn == TR_CONN_SERVICE) {
		return on_service_accept(t);
	} else if (type >= SSH_MSG_USERAUTH_REQUEST && type < 80 &&
	    t->conn == TR_CONN_READY && t->auth.state != TR_AUTH_IDLE &&
	    t->auth.state != TR_AUTH_DONE) {
		return tr_auth_dispatch(t, type);
	} else if (type >= 80 && type <= 100 && t->conn == TR_CONN_READY &&
	    t->auth.state == TR_AUTH_DONE) {
		return tr_channel_dispatch(t, type);
	} else if (type > 100 && t->conn == TR_CONN_READY &&
	    t->auth.state == TR_AUTH_DONE) {
		/* local extensions, for the layer above */
		return deliver_packet(t);
	}
	return tr_fail(t, ERR_PROTOCOL, SSH_DISCONNECT_PROTOCOL_ERROR,
	    "unexpected message %u from the server", type);
}

static int
maybe_rekey(struct transport *t)
{
	if (tr_kex_rekey_due(t))
		return tr_kex_send_kexinit(t);
	return ERR_OK;
}

/* Runs the state machine over the bytes in t->in. */
static int
process(struct transport *t)
{
	int r;

	while (t->conn != TR_CONN_DEAD) {
		/* leave room for events the caller has not pulled, and stop
		 * reading while our own output is piling up */
		if (t->ev_count >= TR_EVENTS_MAX - 2 ||
		    buf_len(t->out) > TR_OUTPUT_HIGH_WATER)
			return ERR_OK;
		if (t->kex == TR_KEX_WAIT_DECISION)
			return ERR_OK;
		if (t->conn == TR_CONN_VERSION) {
			r = read_version(t);
		} else {
			r = tr_packet_read(t);
			if (r == ERR_OK)
				r = dispatch(t);
		}
		if (r == ERR_AGAIN)
			return ERR_OK;
		if (r != ERR_OK)
			return r;
		if ((r = maybe_rekey(t)) != ERR_OK)
			return r;
	}
	return ERR_DISCONNECTED;
}

int
transport_input(struct transport *t, const unsigned char *data, size_t len,
    size_t *consumedp)
{
	size_t room, take;
	int r;

	*consumedp = 0;
	if (t->conn == TR_CONN_DEAD)
		return ERR_DISCONNECTED;
	room = buf_len(t->in) >= TR_INPUT_WINDOW ? 0 :
	    TR_INPUT_WINDOW - buf_len(t->in);
	take = len < room ? len : room;
	if (take > 0 && (r = buf_put(t->in, data, take)) != ERR_OK)
		return tr_fail(t, r, SSH_DISCONNECT_PROTOCOL_ERROR,
		    "out of memory");
	*consumedp = take;
	return process(t);
}

int
transport_input_eof(struct transport *t)
{
	if (t->conn == TR_CONN_DEAD)
		return ERR_DISCONNECTED;
	t->conn = TR_CONN_DEAD;
	push_disconnected(t, ERR_DISCONNECTED,
	    t->server_version == NULL ?
	    "connection closed by the server before its version line" :
	    "connection closed by the server");
	return ERR_DISCONNECTED;
}

void
transport_output(const struct transport *t, const unsigned char **datap,
    size_t *lenp)
{
	*datap = buf_ptr(t->out);
	*lenp = buf_len(t->out);
}

void
transport_output_consume(struct transport *t, size_t len)
{
	if (len > buf_len(t->out))
		len = buf_len(t->out);
	(void)buf_consume(t->out, len);
	/* output drained below the mark: input processing may resume */
	if (t->conn != TR_CONN_DEAD && buf_len(t->in) > 0)
		(void)process(t);
}

int
transport_next_event(struct transport *t, struct transport_event *ev)
{
	struct tr_event_slot *s;

	memset(ev, 0, sizeof(*ev));
	slot_clear(&t->current);
	if (t->ev_count == 0) {
		/* events pulled: continue with buffered input */
		if (t->conn != TR_CONN_DEAD && buf_len(t->in) > 0) {
			(void)process(t);
			if (t->ev_count == 0)
				return ERR_OK;
		} else
			return ERR_OK;
	}
	s = &t->events[t->ev_head];
	t->current = *s;
	memset(s, 0, sizeof(*s));
	t->ev_head = (t->ev_head + 1) % TR_EVENTS_MAX;
	t->ev_count--;
	ev->type = t->current.type;
	ev->key_type = t->current.key_type;
	ev->fingerprint = t->current.fingerprint;
	ev->line = t->current.line;
	ev->packet = t->current.packet;
	ev->packet_len = t->current.packet_len;
	ev->reason = t->current.reason;
	ev->code = t->current.code;
	ev->channel = t->current.channel;
	return ERR_OK;
}

int
transport_hostkey_decide(struct transport *t, int accept)
{
	int r;

	if (t->conn == TR_CONN_DEAD)
		return ERR_DISCONNECTED;
	if ((r = tr_kex_hostkey_decided(t, accept)) != ERR_OK)
		return r;
	return process(t);
}

/* When the next keepalive is due, if keepalives run. */
static uint64_t
keepalive_due(const struct transport *t)
{
	uint64_t base;

	if (t->ka_interval == 0 || t->auth.state != TR_AUTH_DONE)
		return UINT64_MAX;
	base = t->last_rx_ms > t->ka_sent_ms ? t->last_rx_ms : t->ka_sent_ms;
	return base + (uint64_t)t->ka_interval * 1000;
}

uint64_t
transport_next_deadline(const struct transport *t)
{
	uint64_t d = UINT64_MAX, k;

	if (t->conn == TR_CONN_DEAD)
		return UINT64_MAX;
	if (t->rekey_seconds != 0)
		d = t->last_kex_ms + (uint64_t)t->rekey_seconds * 1000;
	k = keepalive_due(t);
	return k < d ? k : d;
}

/* ServerAliveInterval: OpenSSH's client asks keepalive@openssh.com with a
 * reply wanted after each silent interval (clientloop.c
 * server_alive_check()) and gives up past ServerAliveCountMax. */
static int
keepalive_tick(struct transport *t)
{
	struct buf *b;
	int r;

	if (t->now_ms < keepalive_due(t))
		return ERR_OK;
	if (t->ka_pending >= t->ka_count_max)
		return tr_fail(t, ERR_TIMEOUT, SSH_DISCONNECT_BY_APPLICATION,
		    "Timeout, server %s not responding.",
		    t->n_hostkey_names > 0 ? t->hostkey_names[0] : "");
	/* its answer has to be told apart from those to the caller's own
	 * global requests: no room to note it, no keepalive this time */
	if (t->greq_count >= TR_GREQ_MAX)
		return ERR_OK;
	if ((b = buf_new(0)) == NULL)
		return ERR_NOMEM;
	r = buf_put_u8(b, 80);  /* SSH_MSG_GLOBAL_REQUEST */
	if (r == ERR_OK)
		r = buf_put_cstring(b, "keepalive@openssh.com");
	if (r == ERR_OK)
		r = buf_put_bool(b, 1);
	if (r == ERR_OK)
		r = transport_send_packet(t, buf_ptr(b), buf_len(b));
	buf_free(b);
	if (r == ERR_OK) {
		(void)tr_greq_push(t, TR_GREQ_KEEPALIVE);
		t->ka_pending++;
		t->ka_sent_ms = t->now_ms;
	}
	return r;
}

int
transport_tick(struct transport *t, uint64_t now_ms)
{
	int r;

	if (t->conn == TR_CONN_DEAD)
		return ERR_DISCONNECTED;
	if (now_ms > t->now_ms)
		t->now_ms = now_ms;
	if ((r = keepalive_tick(t)) != ERR_OK)
		return r;
	return maybe_rekey(t);
}

int
transport_send_packet(struct transport *t, const unsigned char *payload,
    size_t len)
{
	int r;

	if (t->conn == TR_CONN_DEAD)
		return ERR_DISCONNECTED;
	if (t->conn != TR_CONN_READY || len == 0 || len > TR_PACKET_MAX - 64)
		return ERR_INVALID_ARGUMENT;
	if (t->kex != TR_KEX_IDLE && !t->sent_newkeys) {
		/* RFC 4253 7.1: nothing but key exchange between our KEXINIT
		 * and our NEWKEYS; keep it for later */
		if ((r = buf_put_u32(t->deferred, (uint32_t)len)) != ERR_OK)
			return r == ERR_TOO_LONG ? ERR_AGAIN : r;
		if ((r = buf_put(t->deferred, payload, len)) != ERR_OK) {
			(void)buf_consume_end(t->deferred, 4);
			return r == ERR_TOO_LONG ? ERR_AGAIN : r;
		}
		return ERR_OK;
	}
	if ((r = tr_packet_send(t, payload, len)) != ERR_OK)
		return r;
	return maybe_rekey(t);
}

int
transport_rekey(struct transport *t)
{
	if (t->conn != TR_CONN_READY)
		return ERR_INVALID_ARGUMENT;
	if (t->kex != TR_KEX_IDLE)
		return ERR_OK;
	return tr_kex_send_kexinit(t);
}

const char *
transport_negotiated(const struct transport *t, const char *what)
{
	if (strcmp(what, "kex") == 0)
		return t->algs.kex;
	if (strcmp(what, "hostkey") == 0)
		return t->algs.hostkey;
	if (strcmp(what, "cipher_ctos") == 0)
		return t->algs.cipher_ctos;
	if (strcmp(what, "cipher_stoc") == 0)
		return t->algs.cipher_stoc;
	if (strcmp(what, "mac_ctos") == 0)
		return t->algs.mac_ctos;
	if (strcmp(what, "mac_stoc") == 0)
		return t->algs.mac_stoc;
	if (strcmp(what, "server_version") == 0)
		return t->server_version;
	if (strcmp(what, "server_sig_algs") == 0)
		return t->server_sig_algs;
	return NULL;
}

void
transport_stats(const struct transport *t, uint64_t *kex_count,
    uint64_t *bytes_in, uint64_t *bytes_out)
{
	if (kex_count != NULL)
		*kex_count = t->kex_count;
	if (bytes_in != NULL)
		*bytes_in = t->total_in;
	if (bytes_out != NULL)
		*bytes_out = t->total_out;
}

int
transport_release_known_hosts(struct transport *t)
{
	/* after the first key exchange a re-key must show the very key
	 * that was verified, compared byte for byte: the list is not read
	 * again */
	if (!t->first_kex_done)
		return ERR_AGAIN;
	t->known_hosts = NULL;
	return ERR_OK;
}

void
transport_trim(struct transport *t)
{
	buf_trim(t->in);
	buf_trim(t->out);
	buf_trim(t->payload);
	buf_trim(t->pkt);
	buf_trim(t->deferred);
	buf_trim(t->chan_scratch);
}

int
transport_idle(const struct transport *t)
{
	return t->conn == TR_CONN_READY && t->kex == TR_KEX_IDLE &&
	    buf_len(t->deferred) == 0;
}

int
transport_strict_kex(const struct transport *t)
{
	return t->strict_kex;
}
