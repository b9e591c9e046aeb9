/*
 * The connection protocol (RFC 4254), client side: channels with windows
 * and maximum packet sizes, session channels and their requests,
 * direct-tcpip channels, global requests.
 *
 * Flow control follows consumption: our window reopens only when the
 * caller reports bytes consumed (channel_consumed()), so a slow reader
 * slows its own channel and memory stays bounded by the window.  The
 * peer's window bounds what channel_write() accepts; a window adjust that
 * would pass 2^32-1 or data beyond our window is a protocol error.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "transport/transport-int.h"

enum {
	SSH_MSG_GLOBAL_REQUEST = 80,
	SSH_MSG_REQUEST_SUCCESS = 81,
	SSH_MSG_REQUEST_FAILURE = 82,
	SSH_MSG_CHANNEL_OPEN = 90,
	SSH_MSG_CHANNEL_OPEN_CONFIRMATION = 91,
	SSH_MSG_CHANNEL_OPEN_FAILURE = 92,
	SSH_MSG_CHANNEL_WINDOW_ADJUST = 93,
	SSH_MSG_CHANNEL_DATA = 94,
	SSH_MSG_CHANNEL_EXTENDED_DATA = 95,
	SSH_MSG_CHANNEL_EOF = 96,
	SSH_MSG_CHANNEL_CLOSE = 97,
	SSH_MSG_CHANNEL_REQUEST = 98,
	SSH_MSG_CHANNEL_SUCCESS = 99,
	SSH_MSG_CHANNEL_FAILURE = 100,
};

/* OpenSSH's session defaults: a 2 MiB window, 32 KiB packets. */
#define CH_WINDOW (2u * 1024 * 1024)
#define CH_MAX_PACKET (32u * 1024)
#define CH_MAX_CHANNELS 1024
#define CH_MAX_PENDING_REQUESTS 64

static struct tr_channel *
ch_find(struct transport *t, uint32_t id)
{
	if (id >= t->n_channels || t->channels[id] == NULL)
		return NULL;
	return t->channels[id];
}

static int
ch_alloc(struct transport *t, struct tr_channel **cp, uint32_t *idp)
{
	struct tr_channel **n, *c;
	uint32_t i;

	for (i = 0; i < t->n_channels; i++) {
		if (t->channels[i] == NULL)
			break;
	}
	if (i == t->n_channels) {
		if (t->n_channels >= CH_MAX_CHANNELS)
			return ERR_TOO_LONG;
		n = realloc(t->channels, (t->n_channels + 1) * sizeof(*n));
		if (n == NULL)
			return ERR_NOMEM;
		t->channels = n;
		t->channels[t->n_channels++] = NULL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return ERR_NOMEM;
	c->local_id = i;
	c->local_window = CH_WINDOW;
	c->local_max_packet = CH_MAX_PACKET;
	t->channels[i] = c;
	*cp = c;
	*idp = i;
	return ERR_OK;
}

static void
ch_free(struct transport *t, struct tr_channel *c)
{
	t->channels[c->local_id] = NULL;
	free(c);
}

void
tr_channels_free(struct transport *t)
{
	uint32_t i;

	for (i = 0; i < t->n_channels; i++)
		free(t->channels[i]);
	free(t->channels);
	t->channels = NULL;
	t->n_channels = 0;
	buf_free(t->chan_scratch);
	t->chan_scratch = NULL;
}

static int
send_buf(struct transport *t, struct buf *b, int r)
{
	if (r == ERR_OK)
		r = transport_send_packet(t, buf_ptr(b), buf_len(b));
	buf_free(b);
	return r;
}

static int
open_channel(struct transport *t, const char *type, const char *host,
    uint32_t port, const char *orig_host, uint32_t orig_port, uint32_t *idp)
{
	struct tr_channel *c;
	struct buf *b;
	uint32_t id;
	int r;

	if (t->auth.state != TR_AUTH_DONE)
		return ERR_INVALID_ARGUMENT;
	if ((r = ch_alloc(t, &c, &id)) != ERR_OK)
		return r;
	if ((b = buf_new(0)) == NULL) {
		ch_free(t, c);
		return ERR_NOMEM;
	}
	r = buf_put_u8(b, SSH_MSG_CHANNEL_OPEN);
	if (r == ERR_OK)
		r = buf_put_cstring(b, type);
	if (r == ERR_OK)
		r = buf_put_u32(b, id);
	if (r == ERR_OK)
		r = buf_put_u32(b, c->local_window);
	if (r == ERR_OK)
		r = buf_put_u32(b, c->local_max_packet);
	if (r == ERR_OK && host != NULL) {
		r = buf_put_cstring(b, host);
		if (r == ERR_OK)
			r = buf_put_u32(b, port);
		if (r == ERR_OK)
			r = buf_put_cstring(b, orig_host);
		if (r == ERR_OK)
			r = buf_put_u32(b, orig_port);
	}
	if ((r = send_buf(t, b, r)) != ERR_OK) {
		ch_free(t, c);
		return r;
	}
	c->state = TR_CH_OPENING;
	*idp = id;
	return ERR_OK;
}

int
channel_open_session(struct transport *t, uint32_t *idp)
{
	return open_channel(t, "session", NULL, 0, NULL, 0, idp);
}

int
channel_open_direct_tcpip(struct transport *t, const char *host,
    uint32_t port, const char *orig_host, uint32_t orig_port, uint32_t *idp)
{
	return open_channel(t, "direct-tcpip", host, port, orig_host,
	    orig_port, idp);
}

/* CHANNEL_REQUEST head; the caller adds the type's fields. */
static int
request_head(struct tr_channel *c, struct buf *b, const char *type,
    int want_reply)
{
	int r;

	if ((r = buf_put_u8(b, SSH_MSG_CHANNEL_REQUEST)) != ERR_OK ||
	    (r = buf_put_u32(b, c->remote_id)) != ERR_OK ||
	    (r = buf_put_cstring(b, type)) != ERR_OK ||
	    (r = buf_put_bool(b, want_reply)) != ERR_OK)
		return r;
	return ERR_OK;
}

static int
open_channel_for_request(struct transport *t, uint32_t id,
    struct tr_channel **cp)
{
	struct tr_channel *c = ch_find(t, id);

	if (c == NULL || c->state != TR_CH_OPEN || c->sent_close)
		return ERR_INVALID_ARGUMENT;
	if (c->pending_replies >= CH_MAX_PENDING_REQUESTS)
		return ERR_AGAIN;
	*cp = c;
	return ERR_OK;
}

int
channel_request(struct transport *t, uint32_t id, const char *type,
    int want_reply, const unsigned char *fields, size_t len)
{
	struct tr_channel *c;
	struct buf *b;
	int r;

	if ((r = open_channel_for_request(t, id, &c)) != ERR_OK)
		return r;
	if ((b = buf_new(0)) == NULL)
		return ERR_NOMEM;
	r = request_head(c, b, type, want_reply);
	if (r == ERR_OK && len > 0)
		r = buf_put(b, fields, len);
	if ((r = send_buf(t, b, r)) == ERR_OK && want_reply)
		c->pending_replies++;
	return r;
}

int
channel_request_exec(struct transport *t, uint32_t id, const char *command)
{
	struct buf *f = buf_new(0);
	int r;

	if (f == NULL)
		return ERR_NOMEM;
	r = buf_put_cstring(f, command);
	if (r == ERR_OK)
		r = channel_request(t, id, "exec", 1, buf_ptr(f), buf_len(f));
	buf_free(f);
	return r;
}

int
channel_write(struct transport *t, uint32_t id, const unsigned char *data,
    size_t len, size_t *writtenp)
{
	struct tr_channel *c = ch_find(t, id);
	struct buf *b;
	size_t n, done = 0;
	int r = ERR_OK;

	*writtenp = 0;
	if (c == NULL || c->state != TR_CH_OPEN || c->sent_eof || c->sent_close)
		return ERR_INVALID_ARGUMENT;
	while (done < len && c->remote_window > 0) {
		n = len - done;
		if (n > c->remote_max_packet)
			n = c->remote_max_packet;
		if (n > c->remote_window)
			n = c->remote_window;
		/* the hot path: one scratch buffer, no allocation per packet */
		if (t->chan_scratch == NULL &&
		    (t->chan_scratch = buf_new(CH_MAX_PACKET + 64)) == NULL)
			return ERR_NOMEM;
		b = t->chan_scratch;
		buf_reset(b);
		r = buf_put_u8(b, SSH_MSG_CHANNEL_DATA);
		if (r == ERR_OK)
			r = buf_put_u32(b, c->remote_id);
		if (r == ERR_OK)
			r = buf_put_string(b, data + done, n);
		if (r == ERR_OK)
			r = transport_send_packet(t, buf_ptr(b), buf_len(b));
		if (r != ERR_OK)
			break;
		c->remote_window -= (uint32_t)n;
		done += n;
	}
	*writtenp = done;
	if (done == 0 && len > 0 && r == ERR_OK)
		return ERR_AGAIN;
	return done > 0 ? ERR_OK : r;
}

static int
send_simple(struct transport *t, struct tr_channel *c, unsigned char type)
{
	struct buf *b = buf_new(0);
	int r;

	if (b == NULL)
		return ERR_NOMEM;
	r = buf_put_u8(b, type);
	if (r == ERR_OK)
		r = buf_put_u32(b, c->remote_id);
	return send_buf(t, b, r);
}

int
channel_eof(struct transport *t, uint32_t id)
{
	struct tr_channel *c = ch_find(t, id);
	int r;

	if (c == NULL || c->state != TR_CH_OPEN)
		return ERR_INVALID_ARGUMENT;
	if (c->sent_eof || c->sent_close)
		return ERR_OK;
	if ((r = send_simple(t, c, SSH_MSG_CHANNEL_EOF)) == ERR_OK)
		c->sent_eof = 1;
	return r;
}

int
channel_close(struct transport *t, uint32_t id)
{
	struct tr_channel *c = ch_find(t, id);
	int r;

	if (c == NULL)
		return ERR_INVALID_ARGUMENT;
	if (c->state == TR_CH_INCOMING)
		return channel_refuse(t, id, 2, "closed before it was answered");
	if (c->sent_close || c->state != TR_CH_OPEN)
		return ERR_OK;
	if ((r = send_simple(t, c, SSH_MSG_CHANNEL_CLOSE)) == ERR_OK)
		c->sent_close = 1;
	return r;
}

int
channel_consumed(struct transport *t, uint32_t id, size_t len)
{
	struct tr_channel *c = ch_find(t, id);
	struct buf *b;
	int r;

	/* data is often consumed after the channel's CLOSE was already
	 * processed (both were in one read): nothing left to reopen */
	if (c == NULL)
		return ERR_OK;
	c->consumed += len;
	/* adjust in big steps, as OpenSSH does, not per packet */
	if (c->state != TR_CH_OPEN || c->sent_close ||
	    c->consumed < CH_WINDOW / 2)
		return ERR_OK;
	if ((b = buf_new(0)) == NULL)
		return ERR_NOMEM;
	r = buf_put_u8(b, SSH_MSG_CHANNEL_WINDOW_ADJUST);
	if (r == ERR_OK)
		r = buf_put_u32(b, c->remote_id);
	if (r == ERR_OK)
		r = buf_put_u32(b, (uint32_t)c->consumed);
	if ((r = send_buf(t, b, r)) == ERR_OK) {
		c->local_window += (uint32_t)c->consumed;
		c->consumed = 0;
	}
	return r;
}

size_t
channel_writable(struct transport *t, uint32_t id)
{
	struct tr_channel *c = ch_find(t, id);

	if (c == NULL || c->state != TR_CH_OPEN || c->sent_eof || c->sent_close)
		return 0;
	return c->remote_window;
}

static int
push(struct transport *t, enum transport_event_type type, uint32_t id,
    const unsigned char *data, size_t len, int code, const char *text,
    size_t textlen)
{
	struct tr_event_slot ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.channel = id;
	ev.code = code;
	if (len > 0) {
		if ((ev.packet = malloc(len)) == NULL)
			return ERR_NOMEM;
		memcpy(ev.packet, data, len);
		ev.packet_len = len;
	}
	if (text != NULL && (ev.line = tr_sanitize(text, textlen)) == NULL) {
		free(ev.packet);
		return ERR_NOMEM;
	}
	return tr_event_push(t, &ev);
}

static int
proto_error(struct transport *t, const char *what)
{
	return tr_fail(t, ERR_PROTOCOL, SSH_DISCONNECT_PROTOCOL_ERROR,
	    "protocol error: %s", what);
}

static int
on_global_request(struct transport *t)
{
	unsigned char reply = SSH_MSG_REQUEST_FAILURE;
	int want = 0;

	/* hostkeys-00@openssh.com and keepalives: we accept none, but
	 * answer when asked, as RFC 4254 section 4 requires */
	if (buf_get_string_direct(t->payload, NULL, NULL) != ERR_OK ||
	    buf_get_bool(t->payload, &want) != ERR_OK)
		return proto_error(t, "malformed GLOBAL_REQUEST");
	if (!want)
		return ERR_OK;
	return transport_send_packet(t, &reply, 1);
}

static int
on_channel_request(struct transport *t, struct tr_channel *c)
{
	const unsigned char *type, *sig;
	size_t tlen, slen;
	uint32_t status;
	int want = 0, core;
	unsigned char reply[5];

	if (buf_get_string_direct(t->payload, &type, &tlen) != ERR_OK ||
	    buf_get_bool(t->payload, &want) != ERR_OK)
		return proto_error(t, "malformed CHANNEL_REQUEST");
	if (tlen == 11 && memcmp(type, "exit-status", 11) == 0) {
		if (buf_get_u32(t->payload, &status) != ERR_OK)
			return proto_error(t, "malformed exit-status");
		return push(t, TRANSPORT_EV_CHANNEL_EXIT_STATUS, c->local_id,
		    NULL, 0, (int)(status & 0xff), NULL, 0);
	}
	if (tlen == 11 && memcmp(type, "exit-signal", 11) == 0) {
		if (buf_get_string_direct(t->payload, &sig, &slen) != ERR_OK ||
		    buf_get_bool(t->payload, &core) != ERR_OK)
			return proto_error(t, "malformed exit-signal");
		return push(t, TRANSPORT_EV_CHANNEL_EXIT_SIGNAL, c->local_id,
		    NULL, 0, core, (const char *)sig, slen);
	}
	if (!want)
		return ERR_OK;
	/* keepalive@openssh.com and anything else: "failure" keeps the
	 * server happy and commits us to nothing */
	reply[0] = SSH_MSG_CHANNEL_FAILURE;
	buf_poke_u32_raw(reply + 1, c->remote_id);
	return transport_send_packet(t, reply, sizeof(reply));
}

/* CHANNEL_OPEN_FAILURE for the server's channel sender. */
static int
send_open_failure(struct transport *t, uint32_t sender, uint32_t reason,
    const char *text)
{
	struct buf *b = buf_new(0);
	int r;

	if (b == NULL)
		return ERR_NOMEM;
	r = buf_put_u8(b, SSH_MSG_CHANNEL_OPEN_FAILURE);
	if (r == ERR_OK)
		r = buf_put_u32(b, sender);
	if (r == ERR_OK)
		r = buf_put_u32(b, reason);
	if (r == ERR_OK)
		r = buf_put_cstring(b, text);
	if (r == ERR_OK)
		r = buf_put_cstring(b, "");
	return send_buf(t, b, r);
}

/*
 * The server opens a channel.  Only "forwarded-tcpip", and only when the
 * caller asked for remote forwarding, goes up as a question; everything
 * else (x11, auth-agent, a forwarding nobody asked for) is refused, as
 * ssh refuses what it did not request.
 */
static int
on_channel_open(struct transport *t)
{
	struct tr_channel *c;
	const unsigned char *type;
	size_t tlen;
	uint32_t sender, window, max_packet, id;
	int r;

	if (buf_get_string_direct(t->payload, &type, &tlen) != ERR_OK ||
	    buf_get_u32(t->payload, &sender) != ERR_OK ||
	    buf_get_u32(t->payload, &window) != ERR_OK ||
	    buf_get_u32(t->payload, &max_packet) != ERR_OK)
		return proto_error(t, "malformed CHANNEL_OPEN");
	if (!t->allow_open_requests || tlen != 15 ||
	    memcmp(type, "forwarded-tcpip", 15) != 0)
		return send_open_failure(t, sender, 1,
		    "open not requested by the client");
	if (t->auth.state != TR_AUTH_DONE)
		return proto_error(t, "CHANNEL_OPEN before authentication");
	if ((r = ch_alloc(t, &c, &id)) != ERR_OK) {
		if (r == ERR_NOMEM)
			return r;
		return send_open_failure(t, sender, 4, "too many channels");
	}
	c->remote_id = sender;
	c->remote_window = window;
	c->remote_max_packet = max_packet < 256 ? 256 :
	    (max_packet > CH_MAX_PACKET ? CH_MAX_PACKET : max_packet);
	c->state = TR_CH_INCOMING;
	return push(t, TRANSPORT_EV_CHANNEL_OPEN_REQUEST, id,
	    buf_ptr(t->payload), buf_len(t->payload), 0,
	    (const char *)type, tlen);
}

void
transport_allow_open_requests(struct transport *t, int allow)
{
	t->allow_open_requests = allow != 0;
}

int
channel_accept(struct transport *t, uint32_t id)
{
	struct tr_channel *c = ch_find(t, id);
	struct buf *b;
	int r;

	if (c == NULL || c->state != TR_CH_INCOMING)
		return ERR_INVALID_ARGUMENT;
	if ((b = buf_new(0)) == NULL)
		return ERR_NOMEM;
	r = buf_put_u8(b, SSH_MSG_CHANNEL_OPEN_CONFIRMATION);
	if (r == ERR_OK)
		r = buf_put_u32(b, c->remote_id);
	if (r == ERR_OK)
		r = buf_put_u32(b, c->local_id);
	if (r == ERR_OK)
		r = buf_put_u32(b, c->local_window);
	if (r == ERR_OK)
		r = buf_put_u32(b, c->local_max_packet);
	if ((r = send_buf(t, b, r)) == ERR_OK)
		c->state = TR_CH_OPEN;
	return r;
}

int
channel_refuse(struct transport *t, uint32_t id, uint32_t reason,
    const char *text)
{
	struct tr_channel *c = ch_find(t, id);
	uint32_t sender;

	if (c == NULL || c->state != TR_CH_INCOMING)
		return ERR_INVALID_ARGUMENT;
	sender = c->remote_id;
	ch_free(t, c);
	return send_open_failure(t, sender, reason, text != NULL ? text : "");
}

int
tr_greq_push(struct transport *t, uint32_t id)
{
	if (t->greq_count >= TR_GREQ_MAX)
		return ERR_AGAIN;
	t->greq[(t->greq_head + t->greq_count) % TR_GREQ_MAX] = id;
	t->greq_count++;
	return ERR_OK;
}

int
transport_global_request(struct transport *t, const char *name,
    const unsigned char *fields, size_t len, uint32_t *idp)
{
	struct buf *b;
	uint32_t id;
	int r;

	if (t->auth.state != TR_AUTH_DONE || name == NULL)
		return ERR_INVALID_ARGUMENT;
	if (t->greq_count >= TR_GREQ_MAX)
		return ERR_AGAIN;
	/* ids wrap, never into the keepalive's tag */
	id = t->greq_next_id++;
	if (id == TR_GREQ_KEEPALIVE)
		id = t->greq_next_id++;
	if ((b = buf_new(0)) == NULL)
		return ERR_NOMEM;
	r = buf_put_u8(b, SSH_MSG_GLOBAL_REQUEST);
	if (r == ERR_OK)
		r = buf_put_cstring(b, name);
	if (r == ERR_OK)
		r = buf_put_bool(b, 1);
	if (r == ERR_OK && len > 0)
		r = buf_put(b, fields, len);
	if ((r = send_buf(t, b, r)) != ERR_OK)
		return r;
	(void)tr_greq_push(t, id);
	*idp = id;
	return ERR_OK;
}

int
tr_channel_dispatch(struct transport *t, unsigned char type)
{
	struct tr_channel *c;
	const unsigned char *data;
	size_t len;
	uint32_t id, a, b, dtype;
	const unsigned char *desc;
	size_t desclen;

	(void)buf_consume(t->payload, 1);
	switch (type) {
	case SSH_MSG_GLOBAL_REQUEST:
		return on_global_request(t);
	case SSH_MSG_REQUEST_SUCCESS:
	case SSH_MSG_REQUEST_FAILURE:
		/* answers come in the order of the requests; any answer shows
		 * the server alive, whichever request it is for; an answer to
		 * nothing is an error */
		if (t->greq_count == 0)
			return proto_error(t, "unsolicited global request reply");
		id = t->greq[t->greq_head];
		t->greq_head = (t->greq_head + 1) % TR_GREQ_MAX;
		t->greq_count--;
		t->ka_pending = 0;
		if (id == TR_GREQ_KEEPALIVE)
			return ERR_OK;
		return push(t, TRANSPORT_EV_GLOBAL_REPLY, id,
		    buf_ptr(t->payload), buf_len(t->payload),
		    type == SSH_MSG_REQUEST_SUCCESS, NULL, 0);
	case SSH_MSG_CHANNEL_OPEN:
		return on_channel_open(t);
	default:
		break;
	}
	if (buf_get_u32(t->payload, &id) != ERR_OK)
		return proto_error(t, "malformed channel message");
	if ((c = ch_find(t, id)) == NULL)
		return proto_error(t, "message for an unknown channel");
	switch (type) {
	case SSH_MSG_CHANNEL_OPEN_CONFIRMATION:
		if (c->state != TR_CH_OPENING ||
		    buf_get_u32(t->payload, &c->remote_id) != ERR_OK ||
		    buf_get_u32(t->payload, &a) != ERR_OK ||
		    buf_get_u32(t->payload, &b) != ERR_OK)
			return proto_error(t, "unexpected OPEN_CONFIRMATION");
		c->remote_window = a;
		c->remote_max_packet = b < 256 ? 256 :
		    (b > CH_MAX_PACKET ? CH_MAX_PACKET : b);
		c->state = TR_CH_OPEN;
		return push(t, TRANSPORT_EV_CHANNEL_OPEN, id, NULL, 0, 0, NULL, 0);
	case SSH_MSG_CHANNEL_OPEN_FAILURE:
		if (c->state != TR_CH_OPENING ||
		    buf_get_u32(t->payload, &a) != ERR_OK ||
		    buf_get_string_direct(t->payload, &desc, &desclen) != ERR_OK)
			return proto_error(t, "unexpected OPEN_FAILURE");
		ch_free(t, c);
		return push(t, TRANSPORT_EV_CHANNEL_OPEN_FAILED, id, NULL, 0,
		    (int)a, (const char *)desc, desclen);
	default:
		break;
	}
	if (c->state != TR_CH_OPEN)
		return proto_error(t, "message for a channel not open");
	switch (type) {
	case SSH_MSG_CHANNEL_WINDOW_ADJUST:
		if (buf_get_u32(t->payload, &a) != ERR_OK)
			return proto_error(t, "malformed WINDOW_ADJUST");
		if ((uint64_t)c->remote_window + a > UINT32_MAX)
			return proto_error(t, "window adjust past 2^32");
		c->remote_window += a;
		return push(t, TRANSPORT_EV_CHANNEL_WRITABLE, id, NULL, 0, 0,
		    NULL, 0);
	case SSH_MSG_CHANNEL_DATA:
	case SSH_MSG_CHANNEL_EXTENDED_DATA:
		dtype = 0;
		if (type == SSH_MSG_CHANNEL_EXTENDED_DATA &&
		    buf_get_u32(t->payload, &dtype) != ERR_OK)
			return proto_error(t, "malformed EXTENDED_DATA");
		if (buf_get_string_direct(t->payload, &data, &len) != ERR_OK)
			return proto_error(t, "malformed DATA");
		if (c->got_eof || len > c->local_window ||
		    len > c->local_max_packet)
			return proto_error(t, "data beyond the channel window");
		c->local_window -= (uint32_t)len;
		if (len == 0)
			return ERR_OK;
		return push(t, type == SSH_MSG_CHANNEL_DATA ?
		    TRANSPORT_EV_CHANNEL_DATA : TRANSPORT_EV_CHANNEL_EXT_DATA,
		    id, data, len, (int)dtype, NULL, 0);
	case SSH_MSG_CHANNEL_EOF:
		c->got_eof = 1;
		return push(t, TRANSPORT_EV_CHANNEL_EOF, id, NULL, 0, 0, NULL, 0);
	case SSH_MSG_CHANNEL_CLOSE:
		if (!c->sent_close) {
			int r = send_simple(t, c, SSH_MSG_CHANNEL_CLOSE);

			if (r != ERR_OK)
				return r;
		}
		ch_free(t, c);
		return push(t, TRANSPORT_EV_CHANNEL_CLOSED, id, NULL, 0, 0, NULL,
		    0);
	case SSH_MSG_CHANNEL_REQUEST:
		return on_channel_request(t, c);
	case SSH_MSG_CHANNEL_SUCCESS:
	case SSH_MSG_CHANNEL_FAILURE:
		if (c->pending_replies == 0)
			return proto_error(t, "unsolicited channel request reply");
		c->pending_replies--;
		return push(t, TRANSPORT_EV_CHANNEL_REQUEST_REPLY, id, NULL, 0,
		    type == SSH_MSG_CHANNEL_SUCCESS, NULL, 0);
	default:
		break;
	}
	return proto_error(t, "unknown connection message");
}
