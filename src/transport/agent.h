/*
 * The ssh-agent protocol (draft-miller-ssh-agent), client side, sans I/O
 * (internal to src/transport).  The caller owns the socket: it writes
 * what agent_output() gives and feeds what it reads to agent_input().
 * One request at a time, in order.
 */
#ifndef SSHBROKER_TRANSPORT_AGENT_H
#define SSHBROKER_TRANSPORT_AGENT_H

#include <stddef.h>
#include <stdint.h>

struct agent;

/* Signature flags for RSA keys (SSH_AGENT_RSA_SHA2_256/512). */
#define AGENT_SIGN_RSA_SHA2_256 0x02
#define AGENT_SIGN_RSA_SHA2_512 0x04

struct agent_identity {
	const unsigned char *blob;
	size_t blob_len;
	const char *comment;
};

enum agent_reply_type {
	AGENT_REPLY_NONE = 0,       /* nothing complete yet */
	AGENT_REPLY_IDENTITIES,     /* answer to agent_request_identities() */
	AGENT_REPLY_SIGNATURE,      /* answer to agent_request_sign() */
	AGENT_REPLY_FAILURE,        /* the agent refused */
};

struct agent_reply {
	enum agent_reply_type type;
	/* IDENTITIES: valid until the next call into the agent object */
	const struct agent_identity *identities;
	size_t n_identities;
	/* SIGNATURE: the signature blob (string alg, string sig) */
	const unsigned char *signature;
	size_t signature_len;
};

struct agent *agent_new(void);
void agent_free(struct agent *a);

/* Queue a request; answers come back in order. */
int agent_request_identities(struct agent *a);
int agent_request_sign(struct agent *a, const unsigned char *key_blob,
    size_t key_len, const unsigned char *data, size_t data_len,
    uint32_t flags);

void agent_output(const struct agent *a, const unsigned char **datap,
    size_t *lenp);
void agent_output_consume(struct agent *a, size_t len);

/* Feeds bytes read from the agent.  ERR_INVALID_FORMAT (or another fatal
 * code) for a malformed or oversized (> 256 KiB) reply: the object is
 * then dead. */
int agent_input(struct agent *a, const unsigned char *data, size_t len);
/* The next complete reply, or AGENT_REPLY_NONE. */
int agent_next_reply(struct agent *a, struct agent_reply *r);

#endif
