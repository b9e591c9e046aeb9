/*
 * The transport's internal state, shared by transport.c (version
 * exchange, dispatch, events), packet.c (binary packet protocol) and
 * kex.c (negotiation, key exchange, host key check).  Not for other
 * modules: they include transport/transport.h.
 */
#ifndef SSHBROKER_TRANSPORT_INT_H
#define SSHBROKER_TRANSPORT_INT_H

#include <stddef.h>
#include <stdint.h>

#include "transport/cipher.h"
#include "transport/kexalg.h"
#include "transport/transport.h"

struct buf;

/* RFC 4253 message numbers */
enum {
	SSH_MSG_DISCONNECT = 1,
	SSH_MSG_IGNORE = 2,
	SSH_MSG_UNIMPLEMENTED = 3,
	SSH_MSG_DEBUG = 4,
	SSH_MSG_SERVICE_REQUEST = 5,
	SSH_MSG_SERVICE_ACCEPT = 6,
	SSH_MSG_EXT_INFO = 7,
	SSH_MSG_KEXINIT = 20,
	SSH_MSG_NEWKEYS = 21,
	SSH_MSG_KEX_ECDH_INIT = 30,     /* also KEXDH_INIT, GEX_GROUP */
	SSH_MSG_KEX_ECDH_REPLY = 31,    /* also KEXDH_REPLY */
	SSH_MSG_KEX_DH_GEX_GROUP = 31,
	SSH_MSG_KEX_DH_GEX_INIT = 32,
	SSH_MSG_KEX_DH_GEX_REPLY = 33,
	SSH_MSG_KEX_DH_GEX_REQUEST = 34,
	SSH_MSG_USERAUTH_REQUEST = 50,
};

/* RFC 4253 section 11.1 reason codes we send */
enum {
	SSH_DISCONNECT_PROTOCOL_ERROR = 2,
	SSH_DISCONNECT_KEY_EXCHANGE_FAILED = 3,
	SSH_DISCONNECT_MAC_ERROR = 5,
	SSH_DISCONNECT_SERVICE_NOT_AVAILABLE = 7,
	SSH_DISCONNECT_HOST_KEY_NOT_VERIFIABLE = 9,
	SSH_DISCONNECT_BY_APPLICATION = 11,
};

/* Incoming packets larger than this are refused (SECURITY.md rule 2). */
#define TR_PACKET_MAX (256u * 1024)
/* Bounds on what the server may send before its version line. */
#define TR_BANNER_MAX_LINES 1024
#define TR_BANNER_MAX_LINE 8192
#define TR_VERSION_MAX 255
#define TR_EVENTS_MAX 64
/* Queued output beyond this stops the transport reading more input
 * (a flood of requests must not grow memory). */
#define TR_OUTPUT_HIGH_WATER (4u * 1024 * 1024)

/* One direction's keys and counters. */
struct tr_dir {
	struct cipher_ctx *cipher;      /* NULL: no encryption yet */
	struct mac_ctx *mac;            /* NULL: none or AEAD */
	uint32_t seqnr;
	uint64_t bytes;                 /* since these keys */
	uint64_t packets;
	uint64_t limit;                 /* re-key after this many bytes */
};

/* Keys derived by a key exchange, waiting for NEWKEYS. */
struct tr_newkeys {
	struct cipher_ctx *cipher;
	struct mac_ctx *mac;
};

enum tr_conn_state {
	TR_CONN_VERSION,        /* waiting for the server's version line */
	TR_CONN_FIRST_KEX,      /* the initial key exchange */
	TR_CONN_SERVICE,        /* SERVICE_REQUEST sent */
	TR_CONN_READY,
	TR_CONN_DEAD,
};

enum tr_kex_state {
	TR_KEX_IDLE,
	TR_KEX_WAIT_KEXINIT,    /* our KEXINIT sent */
	TR_KEX_WAIT_GROUP,      /* DH-GEX request sent */
	TR_KEX_WAIT_REPLY,      /* our public value sent */
	TR_KEX_WAIT_DECISION,   /* the caller decides about the host key */
	TR_KEX_WAIT_NEWKEYS,    /* our NEWKEYS sent */
};

struct tr_event_slot {
	enum transport_event_type type;
	uint32_t channel;
	char *key_type;
	char *fingerprint;
	char *line;
	unsigned char *packet;
	size_t packet_len;
	char *reason;
	int code;
};

enum tr_auth_state {
	TR_AUTH_IDLE,
	TR_AUTH_WAIT_RESULT,      /* a request is out */
	TR_AUTH_WAIT_PK_OK,       /* a publickey query is out */
	TR_AUTH_WAIT_SIGNATURE,   /* the caller signs */
	TR_AUTH_WAIT_PASSWORD,    /* the caller supplies a password */
	TR_AUTH_WAIT_ANSWERS,     /* keyboard-interactive prompts pending */
	TR_AUTH_DONE,
};

struct tr_auth_key {
	unsigned char *blob;
	size_t len;
	char type[64];
};

struct tr_auth {
	enum tr_auth_state state;
	char *user;
	char *methods;            /* ours, in preference order */
	char *server_methods;     /* what the server says can continue */
	char *tried;              /* methods used up */
	const char *current;
	struct tr_auth_key *keys;
	size_t n_keys, key_index;
	int password_tries, max_password_tries;
	struct buf *ki_response;
	uint32_t ki_prompts, ki_answered;
};

enum tr_channel_state {
	TR_CH_OPENING,
	TR_CH_OPEN,
	TR_CH_INCOMING,         /* the server opened it; not yet answered */
};

#define TR_GREQ_MAX 64
#define TR_GREQ_KEEPALIVE UINT32_MAX

struct tr_channel {
	uint32_t local_id, remote_id;
	enum tr_channel_state state;
	uint32_t local_window, local_max_packet;
	uint32_t remote_window, remote_max_packet;
	size_t consumed;        /* bytes the caller consumed, not yet adjusted */
	int sent_eof, sent_close, got_eof;
	unsigned int pending_replies;
};

struct tr_algs {
	char *kex, *hostkey, *cipher_ctos, *cipher_stoc, *mac_ctos, *mac_stoc;
};

struct transport {
	enum tr_conn_state conn;
	enum tr_kex_state kex;

	/* parameters (copied) */
	char *client_version;
	char *kex_list;         /* what we offer, already filtered */
	char *hostkey_list;
	char *cipher_list;
	char *mac_list;
	uint64_t rekey_bytes;
	uint32_t rekey_seconds;
	const struct known_hosts *known_hosts;
	char **hostkey_names;
	size_t n_hostkey_names;
	enum transport_strict_hostkey strict;
	int hash_known_hosts;
	void (*random_fn)(void *, unsigned char *, size_t);
	void *random_ctx;

	/* version exchange */
	char *server_version;
	size_t banner_lines;

	/* packets */
	struct buf *in;         /* raw received bytes */
	struct buf *out;        /* bytes to send */
	struct buf *payload;    /* the current incoming payload */
	struct buf *pkt;        /* scratch for building outgoing packets */
	unsigned char *inpkt;   /* scratch for decrypting (TR_PACKET_MAX+) */
	size_t in_need;         /* bytes of the current packet once known */
	uint32_t in_plen;       /* its length field, once read */
	int in_length_known;
	struct tr_dir dir_in, dir_out;
	struct tr_newkeys pending_in, pending_out;
	uint64_t total_in, total_out;

	/* key exchange */
	struct buf *my_kexinit;         /* payloads, for the exchange hash */
	struct buf *peer_kexinit;
	struct tr_algs algs;
	const struct kex_method *method;
	struct kex_client *kexc;
	unsigned char session_id[64];
	size_t session_id_len;
	unsigned char exchange_hash[64];
	size_t exchange_hash_len;
	struct buf *shared_secret;      /* K, SSH-encoded */
	unsigned char *server_hostkey;  /* K_S of this exchange */
	size_t server_hostkey_len;
	int strict_kex;                 /* kex-strict-s seen in first KEXINIT */
	int first_kex_done;
	int sent_newkeys;
	int peer_kexinit_seen;
	uint32_t kexinit_seqnr;         /* the sequence number of our KEXINIT */
	uint64_t kex_count;
	uint64_t kex_started_ms;
	uint64_t last_kex_ms;
	char *server_sig_algs;
	struct buf *deferred;           /* upper-layer packets held during kex */
	unsigned int gex_min, gex_want, gex_max;

	/* events */
	struct tr_event_slot events[TR_EVENTS_MAX];
	size_t ev_head, ev_count;
	struct tr_event_slot current;   /* the one last handed out */

	struct tr_auth auth;
	struct tr_channel **channels;
	uint32_t n_channels;
	struct buf *chan_scratch;       /* building DATA messages */

	uint32_t ka_interval, ka_count_max, ka_pending;
	/* global requests awaiting their reply, in order (RFC 4254 answers
	 * them in order): TR_GREQ_KEEPALIVE or the caller's id */
	uint32_t greq[TR_GREQ_MAX];
	size_t greq_head, greq_count;
	uint32_t greq_next_id;
	int allow_open_requests;
	uint64_t last_rx_ms, ka_sent_ms;

	unsigned char rand_pool[4096];
	size_t rand_avail;

	uint64_t now_ms;
};

/* ---- transport.c */
int tr_event_push(struct transport *t, const struct tr_event_slot *ev);
/* Notes a global request sent with want-reply (id, or
 * TR_GREQ_KEEPALIVE); ERR_AGAIN when the queue is full. */
int tr_greq_push(struct transport *t, uint32_t id);
/* Kills the transport: queues DISCONNECT (reason_code, message), reports
 * TRANSPORT_EV_DISCONNECTED, and returns code. */
int tr_fail(struct transport *t, int code, int reason_code,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void tr_random(struct transport *t, unsigned char *out, size_t len);

/* Printable ASCII only, bounded to 512 bytes; malloc'ed. */
char *tr_sanitize(const char *s, size_t len);

/* ---- auth.c */
int tr_auth_send_request(struct transport *t, const char *method);
int tr_auth_dispatch(struct transport *t, unsigned char type);
void tr_auth_free(struct transport *t);

/* ---- channel.c */
int tr_channel_dispatch(struct transport *t, unsigned char type);
void tr_channels_free(struct transport *t);

/* ---- packet.c */
/* Encrypts and queues payload as one packet. */
int tr_packet_send(struct transport *t, const unsigned char *payload,
    size_t len);
/* Convenience: sends the payload built in b. */
int tr_packet_send_buf(struct transport *t, const struct buf *b);
/* Takes the next whole packet from t->in into t->payload.  ERR_OK: one is
 * ready; ERR_AGAIN: more bytes needed; fatal codes for bad packets. */
int tr_packet_read(struct transport *t);
/* Installs the pending keys for a direction (on NEWKEYS). */
void tr_packet_switch_out(struct transport *t);
void tr_packet_switch_in(struct transport *t);
void tr_dir_clear(struct tr_dir *d);

/* ---- kex.c */
int tr_kex_send_kexinit(struct transport *t);
/* Handles a key exchange message (KEXINIT, NEWKEYS, 30-34). */
int tr_kex_dispatch(struct transport *t, unsigned char type);
int tr_kex_hostkey_decided(struct transport *t, int accept);
void tr_kex_free(struct transport *t);
/* 1 when our counters call for a re-key. */
int tr_kex_rekey_due(const struct transport *t);
/* Our default algorithm lists. */
const char *tr_default_kex(void);
const char *tr_default_hostkey(void);
const char *tr_default_ciphers(void);
const char *tr_default_macs(void);
/* The entries of list that f accepts, in list's order; malloc'ed. */
char *tr_filter_list(const char *list, int (*f)(const char *));
int tr_kex_supported(const char *name);
int tr_hostkey_supported(const char *name);
int tr_cipher_supported(const char *name);
int tr_mac_supported(const char *name);

#endif
