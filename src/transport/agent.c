/*
 * The ssh-agent protocol, client side (draft-miller-ssh-agent sections 3
 * and 4), sans I/O: requests are framed into an output buffer, replies are
 * reassembled from whatever fragments the caller reads and matched, in
 * order, to the requests still waiting for an answer.
 *
 * Every message is "uint32 length, byte type, fields".  We check each
 * reply as soon as its last byte arrives (in agent_input()), so a hostile
 * or broken agent is reported where the bytes come in, and agent_next_reply()
 * only hands out replies that already passed.  Any malformed reply kills
 * the object: after one bad frame we can no longer tell where the next
 * one starts, and a reply we cannot trust must not be matched to a later
 * request.
 *
 * The bounds follow OpenSSH's client (authfd.c): a reply is at most
 * 256 KiB (MAX_AGENT_REPLY_LEN), an identity list has at most 2048 keys
 * (MAX_AGENT_IDENTITIES).  Unlike ssh_fetch_identitylist() we do not
 * parse the key blobs here (the caller does, with hostkey.h or userkey.h),
 * so a key of a type we do not know is passed through, not skipped.
 *
 * The contract in detail, beyond agent.h:
 *   - agent_request_*(): ERR_AGAIN (not fatal) while 16 requests wait for
 *     their answers or the output holds 4 MiB not yet consumed;
 *     ERR_TOO_LONG for a request body over 256 KiB (what OpenSSH's agent
 *     accepts); ERR_INVALID_ARGUMENT for an empty key blob.  Nothing is
 *     queued when they fail.
 *   - agent_input(): ERR_INVALID_FORMAT for a malformed frame (length 0
 *     or over 256 KiB, a field past the end, bytes left over, too many
 *     keys, a comment holding a NUL, an empty key blob, a signature not
 *     starting with an algorithm name); ERR_PROTOCOL for a well-formed
 *     reply that does not answer its request (an unknown type, a
 *     signature for a listing) and for bytes when no request is pending.
 *     Either error, or ERR_NOMEM, kills the object: every later call
 *     returns it and agent_output() gives nothing more.
 *   - agent_next_reply(): ERR_OK with AGENT_REPLY_NONE when no reply is
 *     complete.  A reply's pointers stay valid until the next
 *     agent_next_reply() or agent_free(): agent_input() does not move
 *     them.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "transport/agent.h"

/* Message numbers (draft-miller-ssh-agent section 6.1). */
#define SSH_AGENT_FAILURE 5
#define SSH_AGENTC_REQUEST_IDENTITIES 11
#define SSH_AGENT_IDENTITIES_ANSWER 12
#define SSH_AGENTC_SIGN_REQUEST 13
#define SSH_AGENT_SIGN_RESPONSE 14
/* An agent that does not know an extension answers with this; for us it
 * is a refusal like SSH_AGENT_FAILURE. */
#define SSH_AGENT_EXTENSION_FAILURE 28

/* The largest message body (type byte and fields) either way. */
#define AGENT_MAX_LEN (256u * 1024)
#define AGENT_MAX_IDENTITIES 2048
/* Requests sent and not yet answered.  One connection rarely has more
 * than one in flight; the bound keeps the buffers below it bounded too. */
#define AGENT_MAX_PENDING 16
#define AGENT_FRAME_MAX (4 + AGENT_MAX_LEN)
#define AGENT_IN_MAX (AGENT_MAX_PENDING * AGENT_FRAME_MAX)
#define AGENT_OUT_MAX AGENT_IN_MAX

struct agent {
	/* Framed requests not yet taken by agent_output_consume().  Secret:
	 * the data to sign holds the session identifier. */
	struct buf *out;
	/* Bytes read from the agent and not yet handed out as replies. */
	struct buf *in;
	/* The request type of each unanswered request, oldest first. */
	unsigned char pending[AGENT_MAX_PENDING];
	size_t n_pending;
	/* The first frames of `in` that were complete and checked: how many
	 * and how many bytes of `in` they span. */
	size_t n_checked;
	size_t checked_len;
	/* The reply last handed out: blobs, NUL-terminated comments or the
	 * signature, copied so that they outlive the frame in `in`. */
	struct buf *reply;
	struct agent_identity *ids;
	size_t ids_cap;
	/* ERR_OK, or the error that killed the object. */
	int dead;
};

struct agent *
agent_new(void)
{
	struct agent *a;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	/* Both bounds leave room for the largest frames of every pending
	 * request; more than that is never legitimate. */
	if ((a->out = buf_new_secret(AGENT_OUT_MAX)) == NULL ||
	    (a->in = buf_new(AGENT_IN_MAX)) == NULL ||
	    (a->reply = buf_new(2 * AGENT_MAX_LEN)) == NULL) {
		agent_free(a);
		return NULL;
	}
	return a;
}

void
agent_free(struct agent *a)
{
	if (a == NULL)
		return;
	buf_free(a->out);
	buf_free(a->in);
	buf_free(a->reply);
	free(a->ids);
	free(a);
}

/* Records a fatal error; every later call returns it. */
static int
agent_die(struct agent *a, int r)
{
	if (a->dead == ERR_OK)
		a->dead = r;
	return a->dead;
}

/* ---- requests */

/* Drops a frame agent_request_*() could not finish, so that nothing
 * half-written stays queued. */
static void
agent_output_rollback(struct agent *a, size_t before)
{
	if (buf_len(a->out) > before)
		buf_consume_end(a->out, buf_len(a->out) - before);
}

/*
 * Appends one frame: the body is the type byte and the fields already
 * encoded in body_len bytes, written by the caller after this returns.
 */
static int
agent_frame_begin(struct agent *a, unsigned char type, size_t body_len)
{
	int r;

	if (body_len > AGENT_MAX_LEN)
		return ERR_TOO_LONG;
	/* A hostile agent may answer requests we have not sent yet, so
	 * the output can be full while fewer requests are pending. */
	if (a->n_pending >= AGENT_MAX_PENDING ||
	    buf_len(a->out) > AGENT_OUT_MAX - 4 - body_len)
		return ERR_AGAIN;
	if ((r = buf_put_u32(a->out, (uint32_t)body_len)) != ERR_OK ||
	    (r = buf_put_u8(a->out, type)) != ERR_OK)
		return r;
	return ERR_OK;
}

int
agent_request_identities(struct agent *a)
{
	size_t before;
	int r;

	if (a == NULL)
		return ERR_INVALID_ARGUMENT;
	if (a->dead != ERR_OK)
		return a->dead;
	before = buf_len(a->out);
	if ((r = agent_frame_begin(a, SSH_AGENTC_REQUEST_IDENTITIES, 1)) !=
	    ERR_OK) {
		agent_output_rollback(a, before);
		return err_is_fatal(r) ? agent_die(a, r) : r;
	}
	a->pending[a->n_pending++] = SSH_AGENTC_REQUEST_IDENTITIES;
	return ERR_OK;
}

int
agent_request_sign(struct agent *a, const unsigned char *key_blob,
    size_t key_len, const unsigned char *data, size_t data_len,
    uint32_t flags)
{
	size_t before, body_len;
	int r;

	if (a == NULL)
		return ERR_INVALID_ARGUMENT;
	if (a->dead != ERR_OK)
		return a->dead;
	if (key_blob == NULL || key_len == 0 ||
	    (data == NULL && data_len != 0))
		return ERR_INVALID_ARGUMENT;
	/* Checked one at a time so that the sum cannot wrap. */
	if (key_len > AGENT_MAX_LEN || data_len > AGENT_MAX_LEN)
		return ERR_TOO_LONG;
	body_len = 1 + 4 + key_len + 4 + data_len + 4;
	before = buf_len(a->out);
	if ((r = agent_frame_begin(a, SSH_AGENTC_SIGN_REQUEST, body_len)) !=
	    ERR_OK ||
	    (r = buf_put_string(a->out, key_blob, key_len)) != ERR_OK ||
	    (r = buf_put_string(a->out, data, data_len)) != ERR_OK ||
	    (r = buf_put_u32(a->out, flags)) != ERR_OK) {
		agent_output_rollback(a, before);
		return err_is_fatal(r) ? agent_die(a, r) : r;
	}
	a->pending[a->n_pending++] = SSH_AGENTC_SIGN_REQUEST;
	return ERR_OK;
}

void
agent_output(const struct agent *a, const unsigned char **datap,
    size_t *lenp)
{
	*datap = buf_ptr(a->out);
	/* A dead object's requests would never be answered. */
	*lenp = a->dead != ERR_OK ? 0 : buf_len(a->out);
}

void
agent_output_consume(struct agent *a, size_t len)
{
	if (len > buf_len(a->out))
		len = buf_len(a->out);
	buf_consume(a->out, len);
}

/* ---- replies */

/*
 * Parses the fields of an SSH_AGENT_IDENTITIES_ANSWER (after the type
 * byte).  With ids NULL it only checks them and sets *nkeysp and
 * *textlenp (the bytes the blobs and NUL-terminated comments need);
 * otherwise it fills ids[0..nkeys) with copies in text, which must have
 * room for *textlenp bytes from a previous checking run.
 */
static int
agent_parse_identities(struct buf *body, struct agent_identity *ids,
    unsigned char *text, size_t *nkeysp, size_t *textlenp)
{
	const unsigned char *blob, *comment;
	size_t blob_len, comment_len, i, used = 0;
	uint32_t nkeys;
	int r;

	if ((r = buf_get_u32(body, &nkeys)) != ERR_OK)
		return r;
	if (nkeys > AGENT_MAX_IDENTITIES)
		return ERR_INVALID_FORMAT;
	for (i = 0; i < nkeys; i++) {
		if ((r = buf_get_string_direct(body, &blob, &blob_len)) !=
		    ERR_OK ||
		    (r = buf_get_string_direct(body, &comment,
		    &comment_len)) != ERR_OK)
			return r;
		/* No key blob is empty; the comment is handed out as a C
		 * string, so a NUL inside would silently shorten it. */
		if (blob_len == 0 ||
		    memchr(comment, '\0', comment_len) != NULL)
			return ERR_INVALID_FORMAT;
		if (ids != NULL) {
			memcpy(text + used, blob, blob_len);
			ids[i].blob = text + used;
			ids[i].blob_len = blob_len;
			memcpy(text + used + blob_len, comment, comment_len);
			text[used + blob_len + comment_len] = '\0';
			ids[i].comment = (const char *)(text + used + blob_len);
		}
		used += blob_len + comment_len + 1;
	}
	if (buf_len(body) != 0)
		return ERR_INVALID_FORMAT;
	*nkeysp = nkeys;
	*textlenp = used;
	return ERR_OK;
}

/*
 * Parses the signature of an SSH_AGENT_SIGN_RESPONSE.  We check that it
 * starts with a well-formed algorithm name and leave the rest to the
 * verifier: security-key signatures carry flags and a counter after the
 * signature string (OpenSSH's ssh-ecdsa-sk.c), so "nothing after the
 * second string" would be wrong here.
 */
static int
agent_parse_signature(struct buf *body, const unsigned char **sigp,
    size_t *siglenp)
{
	const unsigned char *sig, *alg;
	size_t siglen, alg_len;
	struct buf *view = NULL;
	int r = ERR_INTERNAL;

	if ((r = buf_get_string_direct(body, &sig, &siglen)) != ERR_OK)
		goto out;
	if (buf_len(body) != 0) {
		r = ERR_INVALID_FORMAT;
		goto out;
	}
	if ((view = buf_new_view(sig, siglen)) == NULL) {
		r = ERR_NOMEM;
		goto out;
	}
	if ((r = buf_get_string_direct(view, &alg, &alg_len)) != ERR_OK)
		goto out;
	if (alg_len == 0 || memchr(alg, '\0', alg_len) != NULL) {
		r = ERR_INVALID_FORMAT;
		goto out;
	}
	*sigp = sig;
	*siglenp = siglen;
	r = ERR_OK;
 out:
	buf_free(view);
	return r;
}

/*
 * Checks one complete frame (body_len bytes after the length field) as the
 * answer to a request of type req and, when r is not NULL, copies it into
 * a->reply and describes it in *r.
 */
static int
agent_parse_frame(struct agent *a, unsigned char req,
    const unsigned char *frame, size_t body_len, struct agent_reply *rep)
{
	struct buf *body = NULL;
	const unsigned char *sig;
	unsigned char type, *dst;
	size_t nkeys, text_len, siglen;
	struct agent_identity *ids;
	int r = ERR_INTERNAL;

	if ((body = buf_new_view(frame, body_len)) == NULL) {
		r = ERR_NOMEM;
		goto out;
	}
	if ((r = buf_get_u8(body, &type)) != ERR_OK)
		goto out;
	if (type == SSH_AGENT_FAILURE || type == SSH_AGENT_EXTENSION_FAILURE) {
		/* OpenSSH's agent sends the bare type byte. */
		if (buf_len(body) != 0) {
			r = ERR_INVALID_FORMAT;
			goto out;
		}
		if (rep != NULL)
			rep->type = AGENT_REPLY_FAILURE;
	} else if (req == SSH_AGENTC_REQUEST_IDENTITIES &&
	    type == SSH_AGENT_IDENTITIES_ANSWER) {
		if ((r = agent_parse_identities(body, NULL, NULL, &nkeys,
		    &text_len)) != ERR_OK || rep == NULL)
			goto out;
		if (nkeys > a->ids_cap) {
			if ((ids = reallocarray(a->ids, nkeys,
			    sizeof(*ids))) == NULL) {
				r = ERR_NOMEM;
				goto out;
			}
			a->ids = ids;
			a->ids_cap = nkeys;
		}
		/* One reservation, so the pointers into it stay put. */
		if ((r = buf_reserve(a->reply, text_len, &dst)) != ERR_OK)
			goto out;
		buf_free(body);
		if ((body = buf_new_view(frame + 1, body_len - 1)) == NULL) {
			r = ERR_NOMEM;
			goto out;
		}
		if ((r = agent_parse_identities(body, a->ids, dst, &nkeys,
		    &text_len)) != ERR_OK)
			goto out;
		rep->type = AGENT_REPLY_IDENTITIES;
		rep->identities = nkeys > 0 ? a->ids : NULL;
		rep->n_identities = nkeys;
	} else if (req == SSH_AGENTC_SIGN_REQUEST &&
	    type == SSH_AGENT_SIGN_RESPONSE) {
		if ((r = agent_parse_signature(body, &sig, &siglen)) !=
		    ERR_OK || rep == NULL)
			goto out;
		if ((r = buf_put(a->reply, sig, siglen)) != ERR_OK)
			goto out;
		rep->type = AGENT_REPLY_SIGNATURE;
		rep->signature = buf_ptr(a->reply);
		rep->signature_len = siglen;
	} else {
		/* not an answer to the request it would belong to */
		r = ERR_PROTOCOL;
		goto out;
	}
	r = ERR_OK;
 out:
	/* A field running past the end of a complete frame is malformed,
	 * not a reason to wait for more bytes. */
	if (r == ERR_BUFFER_SHORT)
		r = ERR_INVALID_FORMAT;
	buf_free(body);
	return r;
}

int
agent_input(struct agent *a, const unsigned char *data, size_t len)
{
	const unsigned char *p;
	size_t avail, take;
	uint32_t body_len;
	int r;

	if (a == NULL || (data == NULL && len != 0))
		return ERR_INVALID_ARGUMENT;
	if (a->dead != ERR_OK)
		return a->dead;
	/*
	 * `in` has room for the largest answer to every pending request.
	 * What does not fit is checked after what does: if those frames
	 * pass, the rest lies beyond the last answer we wait for.
	 */
	take = AGENT_IN_MAX - buf_len(a->in);
	if (take > len)
		take = len;
	if ((r = buf_put(a->in, data, take)) != ERR_OK)
		return agent_die(a, r);
	for (;;) {
		avail = buf_len(a->in) - a->checked_len;
		if (avail == 0)
			break;
		/* Bytes nobody asked for. */
		if (a->n_checked >= a->n_pending)
			return agent_die(a, ERR_PROTOCOL);
		if (avail < 4)
			break;
		p = buf_ptr(a->in) + a->checked_len;
		body_len = buf_peek_u32_raw(p);
		if (body_len == 0 || body_len > AGENT_MAX_LEN)
			return agent_die(a, ERR_INVALID_FORMAT);
		if (avail - 4 < body_len)
			break;
		if ((r = agent_parse_frame(a, a->pending[a->n_checked], p + 4,
		    body_len, NULL)) != ERR_OK)
			return agent_die(a, r);
		a->n_checked++;
		a->checked_len += 4 + (size_t)body_len;
	}
	if (take < len)
		return agent_die(a, ERR_PROTOCOL);
	return ERR_OK;
}

int
agent_next_reply(struct agent *a, struct agent_reply *rep)
{
	const unsigned char *p;
	size_t frame_len;
	int r;

	if (rep == NULL)
		return ERR_INVALID_ARGUMENT;
	memset(rep, 0, sizeof(*rep));
	rep->type = AGENT_REPLY_NONE;
	if (a == NULL)
		return ERR_INVALID_ARGUMENT;
	if (a->dead != ERR_OK)
		return a->dead;
	if (a->n_checked == 0)
		return ERR_OK;
	p = buf_ptr(a->in);
	frame_len = 4 + (size_t)buf_peek_u32_raw(p);
	buf_reset(a->reply);
	if ((r = agent_parse_frame(a, a->pending[0], p + 4, frame_len - 4,
	    rep)) != ERR_OK) {
		/* it passed in agent_input(): only memory can fail here */
		memset(rep, 0, sizeof(*rep));
		return agent_die(a, r);
	}
	buf_consume(a->in, frame_len);
	a->checked_len -= frame_len;
	a->n_checked--;
	memmove(a->pending, a->pending + 1, a->n_pending - 1);
	a->n_pending--;
	return ERR_OK;
}
