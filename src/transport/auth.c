/*
 * User authentication (RFC 4252), client side, as a state machine inside
 * the transport.  Methods are tried in the caller's preference order
 * (PreferredAuthentications) among those the server says can continue;
 * whatever the caller must supply (a signature, a password, answers to
 * keyboard-interactive prompts) is asked for with an event and given back
 * with a call, so that nothing here blocks or touches a secret store.
 *
 * Which messages are allowed: BANNER any time before success; PK_OK only
 * after a publickey query; INFO_REQUEST only during keyboard-interactive;
 * SUCCESS and FAILURE only with a request outstanding.  An unsolicited
 * SUCCESS ends the transport (libssh CVE-2018-10933).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/mem.h"
#include "transport/transport-int.h"

enum {
	SSH_MSG_USERAUTH_FAILURE = 51,
	SSH_MSG_USERAUTH_SUCCESS = 52,
	SSH_MSG_USERAUTH_BANNER = 53,
	SSH_MSG_USERAUTH_PK_OK = 60,        /* also INFO_REQUEST */
	SSH_MSG_USERAUTH_INFO_RESPONSE = 61,
};

#define AUTH_MAX_KEYS 100
#define AUTH_MAX_PROMPTS 64

static int
list_has(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p = list, *e;

	if (list == NULL)
		return 0;
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

void
tr_auth_free(struct transport *t)
{
	struct tr_auth *a = &t->auth;
	size_t i;

	for (i = 0; i < a->n_keys; i++)
		free(a->keys[i].blob);
	free(a->keys);
	free(a->user);
	free(a->methods);
	free(a->server_methods);
	free(a->tried);
	buf_free(a->ki_response);
	memset(a, 0, sizeof(*a));
}

int
transport_auth_start(struct transport *t, const char *user,
    const char *methods, int max_password_tries)
{
	struct tr_auth *a = &t->auth;

	if (t->conn != TR_CONN_READY || a->state != TR_AUTH_IDLE)
		return ERR_INVALID_ARGUMENT;
	free(a->user);
	free(a->methods);
	a->max_password_tries = max_password_tries > 0 ? max_password_tries : 0;
	a->user = strdup(user);
	a->methods = strdup(methods != NULL ? methods :
	    "publickey,keyboard-interactive,password");
	if (a->user == NULL || a->methods == NULL)
		return ERR_NOMEM;
	/* "none" first: it tells which methods the server accepts */
	return tr_auth_send_request(t, "none");
}

int
transport_auth_add_key(struct transport *t, const unsigned char *blob,
    size_t len, const char *key_type)
{
	struct tr_auth *a = &t->auth;
	struct tr_auth_key *n;

	if (a->n_keys >= AUTH_MAX_KEYS)
		return ERR_TOO_LONG;
	if ((n = realloc(a->keys, (a->n_keys + 1) * sizeof(*n))) == NULL)
		return ERR_NOMEM;
	a->keys = n;
	n += a->n_keys;
	memset(n, 0, sizeof(*n));
	if ((n->blob = malloc(len)) == NULL)
		return ERR_NOMEM;
	memcpy(n->blob, blob, len);
	n->len = len;
	snprintf(n->type, sizeof(n->type), "%s", key_type);
	a->n_keys++;
	return ERR_OK;
}

/* The signature algorithm for a key of this type, as OpenSSH picks it:
 * for RSA the best SHA-2 variant the server announced. */
static const char *
sig_alg_for(const struct transport *t, const char *type)
{
	int cert = strcmp(type, "ssh-rsa-cert-v01@openssh.com") == 0;

	if (strcmp(type, "ssh-rsa") != 0 && !cert)
		return type;
	/* RSA certificates follow the plain key's choice (OpenSSH
	 * sshkey_sigalg_by_name()) */
	if (!list_has(t->server_sig_algs, "rsa-sha2-512") &&
	    list_has(t->server_sig_algs, "rsa-sha2-256"))
		return cert ? "rsa-sha2-256-cert-v01@openssh.com" : "rsa-sha2-256";
	return cert ? "rsa-sha2-512-cert-v01@openssh.com" : "rsa-sha2-512";
}

/* The common head of a USERAUTH_REQUEST. */
static int
request_head(struct transport *t, struct buf *b, const char *method)
{
	int r;

	if ((r = buf_put_u8(b, SSH_MSG_USERAUTH_REQUEST)) != ERR_OK ||
	    (r = buf_put_cstring(b, t->auth.user)) != ERR_OK ||
	    (r = buf_put_cstring(b, "ssh-connection")) != ERR_OK ||
	    (r = buf_put_cstring(b, method)) != ERR_OK)
		return r;
	return ERR_OK;
}

static int
send_pubkey_query(struct transport *t)
{
	struct tr_auth *a = &t->auth;
	struct tr_auth_key *k = &a->keys[a->key_index];
	struct buf *b = buf_new(0);
	int r;

	if (b == NULL)
		return ERR_NOMEM;
	r = request_head(t, b, "publickey");
	if (r == ERR_OK)
		r = buf_put_bool(b, 0);
	if (r == ERR_OK)
		r = buf_put_cstring(b, sig_alg_for(t, k->type));
	if (r == ERR_OK)
		r = buf_put_string(b, k->blob, k->len);
	if (r == ERR_OK)
		r = transport_send_packet(t, buf_ptr(b), buf_len(b));
	buf_free(b);
	if (r == ERR_OK)
		a->state = TR_AUTH_WAIT_PK_OK;
	return r;
}

int
tr_auth_send_request(struct transport *t, const char *method)
{
	struct tr_auth *a = &t->auth;
	struct buf *b;
	int r;

	if (strcmp(method, "publickey") == 0)
		return send_pubkey_query(t);
	if (strcmp(method, "password") == 0) {
		struct tr_event_slot ev;

		memset(&ev, 0, sizeof(ev));
		ev.type = TRANSPORT_EV_AUTH_PROMPT;
		if (asprintf(&ev.line, "%s@%s's password: ", a->user,
		    t->hostkey_names != NULL ? t->hostkey_names[0] : "host") < 0)
			return ERR_NOMEM;
		ev.code = 0;    /* no echo */
		a->state = TR_AUTH_WAIT_PASSWORD;
		return tr_event_push(t, &ev);
	}
	if ((b = buf_new(0)) == NULL)
		return ERR_NOMEM;
	r = request_head(t, b, method);
	if (r == ERR_OK && strcmp(method, "keyboard-interactive") == 0) {
		r = buf_put_cstring(b, "");
		if (r == ERR_OK)
			r = buf_put_cstring(b, "");
	}
	if (r == ERR_OK)
		r = transport_send_packet(t, buf_ptr(b), buf_len(b));
	buf_free(b);
	if (r == ERR_OK)
		a->state = TR_AUTH_WAIT_RESULT;
	return r;
}

/* The next method worth trying, or NULL when none is left. */
static const char *
next_method(struct transport *t)
{
	struct tr_auth *a = &t->auth;
	static const char *const known[] = {
		"publickey", "keyboard-interactive", "password",
	};
	char *copy, *cur, *m;
	const char *found = NULL;
	size_t i;

	if ((copy = strdup(a->methods)) == NULL)
		return NULL;
	cur = copy;
	while (found == NULL && (m = strsep(&cur, ",")) != NULL) {
		if (!list_has(a->server_methods, m) ||
		    (a->tried != NULL && list_has(a->tried, m)))
			continue;
		for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
			if (strcmp(m, known[i]) == 0)
				found = known[i];
		}
		if (found != NULL && strcmp(found, "publickey") == 0 &&
		    a->key_index >= a->n_keys)
			found = NULL;
		if (found != NULL && strcmp(found, "password") == 0 &&
		    a->password_tries >= a->max_password_tries)
			found = NULL;
	}
	free(copy);
	return found;
}

static int
mark_tried(struct transport *t, const char *method)
{
	struct tr_auth *a = &t->auth;
	size_t n = (a->tried != NULL ? strlen(a->tried) : 0) + strlen(method) + 2;
	char *s = malloc(n);

	if (s == NULL)
		return ERR_NOMEM;
	snprintf(s, n, "%s%s%s", a->tried != NULL ? a->tried : "",
	    a->tried != NULL ? "," : "", method);
	free(a->tried);
	a->tried = s;
	return ERR_OK;
}

static int
try_next(struct transport *t)
{
	struct tr_auth *a = &t->auth;
	const char *m = next_method(t);

	if (m == NULL)
		return tr_fail(t, ERR_AUTH_DENIED, SSH_DISCONNECT_BY_APPLICATION,
		    "Permission denied (%s).", a->server_methods != NULL ?
		    a->server_methods : "");
	a->current = m;
	/* publickey and password stay in play until their keys or tries
	 * run out; keyboard-interactive is tried once */
	if (strcmp(m, "keyboard-interactive") == 0 && mark_tried(t, m) != ERR_OK)
		return ERR_NOMEM;
	return tr_auth_send_request(t, m);
}

static int
on_failure(struct transport *t)
{
	struct tr_auth *a = &t->auth;
	char *methods = NULL;
	int partial = 0;

	if (buf_consume(t->payload, 1) != ERR_OK ||
	    buf_get_cstring(t->payload, &methods, NULL) != ERR_OK ||
	    buf_get_bool(t->payload, &partial) != ERR_OK) {
		free(methods);
		return tr_fail(t, ERR_PROTOCOL, SSH_DISCONNECT_PROTOCOL_ERROR,
		    "malformed USERAUTH_FAILURE");
	}
	free(a->server_methods);
	a->server_methods = methods;
	if (a->current != NULL && strcmp(a->current, "publickey") == 0)
		a->key_index++;
	return try_next(t);
}

static int
on_pk_ok(struct transport *t)
{
	struct tr_auth *a = &t->auth;
	struct tr_auth_key *k = &a->keys[a->key_index];
	struct tr_event_slot ev;
	struct buf *d = NULL;
	const char *alg = sig_alg_for(t, k->type);
	int r;

	/* the data to sign (RFC 4252 section 7) */
	if ((d = buf_new(0)) == NULL)
		return ERR_NOMEM;
	r = buf_put_string(d, t->session_id, t->session_id_len);
	if (r == ERR_OK)
		r = request_head(t, d, "publickey");
	if (r == ERR_OK)
		r = buf_put_bool(d, 1);
	if (r == ERR_OK)
		r = buf_put_cstring(d, alg);
	if (r == ERR_OK)
		r = buf_put_string(d, k->blob, k->len);
	if (r != ERR_OK) {
		buf_free(d);
		return r;
	}
	memset(&ev, 0, sizeof(ev));
	ev.type = TRANSPORT_EV_AUTH_SIGN;
	ev.code = (int)a->key_index;
	ev.packet_len = buf_len(d);
	ev.key_type = strdup(alg);
	if ((ev.packet = malloc(ev.packet_len)) == NULL || ev.key_type == NULL) {
		free(ev.packet);
		free(ev.key_type);
		buf_free(d);
		return ERR_NOMEM;
	}
	memcpy(ev.packet, buf_ptr(d), ev.packet_len);
	buf_free(d);
	a->state = TR_AUTH_WAIT_SIGNATURE;
	return tr_event_push(t, &ev);
}

int
transport_auth_signature(struct transport *t, const unsigned char *sig,
    size_t siglen)
{
	struct tr_auth *a = &t->auth;
	struct tr_auth_key *k;
	struct buf *b;
	int r;

	if (a->state != TR_AUTH_WAIT_SIGNATURE)
		return ERR_INVALID_ARGUMENT;
	k = &a->keys[a->key_index];
	if (sig == NULL) {
		/* the caller could not sign (agent refused, passphrase not
		 * given): on to the next key */
		a->key_index++;
		return try_next(t);
	}
	if ((b = buf_new(0)) == NULL)
		return ERR_NOMEM;
	r = request_head(t, b, "publickey");
	if (r == ERR_OK)
		r = buf_put_bool(b, 1);
	if (r == ERR_OK)
		r = buf_put_cstring(b, sig_alg_for(t, k->type));
	if (r == ERR_OK)
		r = buf_put_string(b, k->blob, k->len);
	if (r == ERR_OK)
		r = buf_put_string(b, sig, siglen);
	if (r == ERR_OK)
		r = transport_send_packet(t, buf_ptr(b), buf_len(b));
	buf_free(b);
	if (r == ERR_OK)
		a->state = TR_AUTH_WAIT_RESULT;
	return r;
}

/* Sends INFO_RESPONSE once every prompt of the request is answered. */
static int
ki_respond(struct transport *t)
{
	struct tr_auth *a = &t->auth;
	int r;

	if (a->ki_answered < a->ki_prompts)
		return ERR_OK;
	r = transport_send_packet(t, buf_ptr(a->ki_response),
	    buf_len(a->ki_response));
	buf_free(a->ki_response);
	a->ki_response = NULL;
	if (r == ERR_OK)
		a->state = TR_AUTH_WAIT_RESULT;
	return r;
}

static int
on_info_request(struct transport *t)
{
	struct tr_auth *a = &t->auth;
	struct tr_event_slot ev;
	const unsigned char *prompt;
	size_t plen;
	uint32_t n, i;
	int echo, r;

	(void)buf_consume(t->payload, 1);
	if (buf_get_string_direct(t->payload, NULL, NULL) != ERR_OK ||
	    buf_get_string_direct(t->payload, NULL, NULL) != ERR_OK ||
	    buf_get_string_direct(t->payload, NULL, NULL) != ERR_OK ||
	    buf_get_u32(t->payload, &n) != ERR_OK || n > AUTH_MAX_PROMPTS)
		return tr_fail(t, ERR_PROTOCOL, SSH_DISCONNECT_PROTOCOL_ERROR,
		    "malformed keyboard-interactive request");
	buf_free(a->ki_response);
	if ((a->ki_response = buf_new_secret(0)) == NULL ||
	    buf_put_u8(a->ki_response, SSH_MSG_USERAUTH_INFO_RESPONSE) != ERR_OK ||
	    buf_put_u32(a->ki_response, n) != ERR_OK)
		return ERR_NOMEM;
	a->ki_prompts = n;
	a->ki_answered = 0;
	a->state = TR_AUTH_WAIT_ANSWERS;
	for (i = 0; i < n; i++) {
		if (buf_get_string_direct(t->payload, &prompt, &plen) != ERR_OK ||
		    buf_get_bool(t->payload, &echo) != ERR_OK)
			return tr_fail(t, ERR_PROTOCOL,
			    SSH_DISCONNECT_PROTOCOL_ERROR,
			    "malformed keyboard-interactive prompt");
		memset(&ev, 0, sizeof(ev));
		ev.type = TRANSPORT_EV_AUTH_PROMPT;
		ev.code = echo;
		if ((ev.line = tr_sanitize((const char *)prompt, plen)) == NULL)
			return ERR_NOMEM;
		if ((r = tr_event_push(t, &ev)) != ERR_OK)
			return r;
	}
	return ki_respond(t);
}

int
transport_auth_answer(struct transport *t, const char *answer)
{
	struct tr_auth *a = &t->auth;
	struct buf *b;
	int r;

	if (a->state == TR_AUTH_WAIT_ANSWERS) {
		if (answer == NULL)
			return tr_fail(t, ERR_AUTH_DENIED,
			    SSH_DISCONNECT_BY_APPLICATION,
			    "keyboard-interactive authentication cancelled");
		if ((r = buf_put_cstring(a->ki_response, answer)) != ERR_OK)
			return r;
		a->ki_answered++;
		return ki_respond(t);
	}
	if (a->state != TR_AUTH_WAIT_PASSWORD)
		return ERR_INVALID_ARGUMENT;
	a->password_tries++;
	if (answer == NULL) {
		a->password_tries = a->max_password_tries;
		return try_next(t);
	}
	if ((b = buf_new_secret(0)) == NULL)
		return ERR_NOMEM;
	r = request_head(t, b, "password");
	if (r == ERR_OK)
		r = buf_put_bool(b, 0);
	if (r == ERR_OK)
		r = buf_put_cstring(b, answer);
	if (r == ERR_OK)
		r = transport_send_packet(t, buf_ptr(b), buf_len(b));
	buf_free(b);
	if (r == ERR_OK)
		a->state = TR_AUTH_WAIT_RESULT;
	return r;
}

int
tr_auth_dispatch(struct transport *t, unsigned char type)
{
	struct tr_auth *a = &t->auth;
	struct tr_event_slot ev;

	switch (type) {
	case SSH_MSG_USERAUTH_BANNER: {
		const unsigned char *msg;
		size_t len;

		if (a->state == TR_AUTH_DONE)
			break;
		(void)buf_consume(t->payload, 1);
		if (buf_get_string_direct(t->payload, &msg, &len) != ERR_OK)
			return tr_fail(t, ERR_PROTOCOL,
			    SSH_DISCONNECT_PROTOCOL_ERROR, "malformed BANNER");
		memset(&ev, 0, sizeof(ev));
		ev.type = TRANSPORT_EV_AUTH_BANNER;
		if ((ev.line = tr_sanitize((const char *)msg, len)) == NULL)
			return ERR_NOMEM;
		return tr_event_push(t, &ev);
	}
	case SSH_MSG_USERAUTH_SUCCESS:
		if (a->state != TR_AUTH_WAIT_RESULT)
			break;
		a->state = TR_AUTH_DONE;
		memset(&ev, 0, sizeof(ev));
		ev.type = TRANSPORT_EV_AUTHENTICATED;
		return tr_event_push(t, &ev);
	case SSH_MSG_USERAUTH_FAILURE:
		if (a->state != TR_AUTH_WAIT_RESULT &&
		    a->state != TR_AUTH_WAIT_PK_OK)
			break;
		return on_failure(t);
	case SSH_MSG_USERAUTH_PK_OK:    /* == INFO_REQUEST */
		if (a->state == TR_AUTH_WAIT_PK_OK)
			return on_pk_ok(t);
		if (a->state == TR_AUTH_WAIT_RESULT && a->current != NULL &&
		    strcmp(a->current, "keyboard-interactive") == 0)
			return on_info_request(t);
		break;
	default:
		break;
	}
	return tr_fail(t, ERR_PROTOCOL, SSH_DISCONNECT_PROTOCOL_ERROR,
	    "unexpected authentication message %u", type);
}
