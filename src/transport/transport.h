/*
 * The SSH-2 client transport (RFC 4253), sans I/O.
 *
 * Bytes received from the server go in with transport_input(); bytes to
 * send come out of transport_output() (then transport_output_consume());
 * what happened comes out of transport_next_event(); time goes in with
 * transport_tick() and the caller asks transport_next_deadline() when to
 * call it next.  Nothing here touches a file descriptor, a clock or the
 * environment, so one loop can drive many transports and a transport can
 * run inside another's channel.
 *
 * Host keys are verified before the client sends anything after the key
 * exchange: against the known_hosts text the caller loaded, under the
 * names it gave, with OpenSSH's StrictHostKeyChecking semantics; "ask"
 * and new keys under accept-new/no become events the caller answers or
 * records.
 *
 * Errors: functions return ERR_OK or a negative err_code.  A fatal code
 * (err_is_fatal(), or ERR_PROTOCOL) means the transport is dead: it has
 * queued a DISCONNECT for the caller to flush, reports
 * TRANSPORT_EV_DISCONNECTED with the reason, and may only be freed.
 */
#ifndef SSHBROKER_TRANSPORT_TRANSPORT_H
#define SSHBROKER_TRANSPORT_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

struct transport;
struct known_hosts;

enum transport_strict_hostkey {
	TRANSPORT_HOSTKEY_STRICT_NO,        /* accept and record new keys */
	TRANSPORT_HOSTKEY_STRICT_ACCEPT_NEW,/* record new keys; refuse changed */
	TRANSPORT_HOSTKEY_STRICT_YES,       /* only known keys */
	TRANSPORT_HOSTKEY_STRICT_ASK,       /* ask the caller about new keys */
};

struct transport_params {
	/* Our version string without CR LF; NULL: "SSH-2.0-sshbroker_" VERSION */
	const char *client_version;
	/* Algorithm lists, comma separated, in preference order (the resolved
	 * KexAlgorithms, HostKeyAlgorithms, Ciphers, MACs).  Names this
	 * transport does not implement are skipped; NULL: our defaults. */
	const char *kex_algorithms;
	const char *hostkey_algorithms;
	const char *ciphers;
	const char *macs;
	/* RekeyLimit: bytes (0: the cipher's own limit) and seconds (0: none) */
	uint64_t rekey_bytes;
	uint32_t rekey_seconds;
	/* Host key policy */
	const struct known_hosts *known_hosts;  /* may be NULL: none known */
	const char *const *hostkey_names;  /* names to look the key up under */
	size_t n_hostkey_names;
	enum transport_strict_hostkey strict;
	int hash_known_hosts;        /* HashKnownHosts for recorded lines */
	/* ServerAliveInterval (seconds, 0: off) and ServerAliveCountMax:
	 * once authenticated, a keepalive@openssh.com request after each
	 * silent interval; more than count_max unanswered ends the transport. */
	uint32_t keepalive_interval;
	uint32_t keepalive_count_max;
	/* Random bytes; NULL: the system's (libsodium randombytes_buf).
	 * Tests pass a deterministic source. */
	void (*random_fn)(void *ctx, unsigned char *out, size_t len);
	void *random_ctx;
};

enum transport_event_type {
	TRANSPORT_EV_NONE = 0,
	/* The server's host key is not known and strict is ASK: answer with
	 * transport_hostkey_decide(). */
	TRANSPORT_EV_HOSTKEY_ASK,
	/* A new host key was accepted (strict NO or ACCEPT_NEW, or the caller
	 * said yes): line is the known_hosts line to append to the first
	 * UserKnownHostsFile. */
	TRANSPORT_EV_HOSTKEY_LEARNED,
	/* Key exchange done and the ssh-userauth service accepted. */
	TRANSPORT_EV_READY,
	/* A re-key finished. */
	TRANSPORT_EV_REKEYED,
	/* A packet for the layers above (auth, channels); see
	 * transport_event.packet. */
	TRANSPORT_EV_PACKET,
	/* The transport is dead; reason says why. */
	TRANSPORT_EV_DISCONNECTED,
	/* Authentication: the server's banner (line) to show the user. */
	TRANSPORT_EV_AUTH_BANNER,
	/* Sign packet[0..packet_len) with key number code (in the order of
	 * transport_auth_add_key()) using algorithm key_type; answer with
	 * transport_auth_signature(). */
	TRANSPORT_EV_AUTH_SIGN,
	/* A prompt (line; code is 1 when the answer may be echoed) for a
	 * password or a keyboard-interactive question; answer with
	 * transport_auth_answer(), one call per prompt, in order. */
	TRANSPORT_EV_AUTH_PROMPT,
	/* The server accepted the user. */
	TRANSPORT_EV_AUTHENTICATED,
	/* Channels (channel holds our channel id): */
	TRANSPORT_EV_CHANNEL_OPEN,          /* the server confirmed it */
	TRANSPORT_EV_CHANNEL_OPEN_FAILED,   /* code: reason, line: text */
	TRANSPORT_EV_CHANNEL_DATA,          /* packet/packet_len: data;
	                                     * report with channel_consumed() */
	TRANSPORT_EV_CHANNEL_EXT_DATA,      /* stderr (code: data type) */
	TRANSPORT_EV_CHANNEL_EOF,
	TRANSPORT_EV_CHANNEL_CLOSED,        /* the id is free again */
	TRANSPORT_EV_CHANNEL_EXIT_STATUS,   /* code: the status */
	TRANSPORT_EV_CHANNEL_EXIT_SIGNAL,   /* line: the signal name */
	TRANSPORT_EV_CHANNEL_REQUEST_REPLY, /* code: 1 success, 0 failure */
	TRANSPORT_EV_CHANNEL_WRITABLE,      /* the server's window grew */
	/* The server opens a channel to us (only when allowed with
	 * transport_allow_open_requests()): line is its type, packet the
	 * type-specific data ("forwarded-tcpip": string address, uint32
	 * port, string originator address, uint32 originator port).
	 * Answer with channel_accept() or channel_refuse(). */
	TRANSPORT_EV_CHANNEL_OPEN_REQUEST,
	/* The answer to transport_global_request() number channel: code 1
	 * success (packet: the reply's data), 0 failure. */
	TRANSPORT_EV_GLOBAL_REPLY,
};

struct transport_event {
	enum transport_event_type type;
	/* HOSTKEY_*: the key's type and SHA256 fingerprint, as ssh prints
	 * them; LEARNED: the line to record */
	const char *key_type;
	const char *fingerprint;
	const char *line;
	/* PACKET: the payload (message type first); valid until the next
	 * call into the transport */
	const unsigned char *packet;
	size_t packet_len;
	/* DISCONNECTED: a one-line reason, printable ASCII */
	const char *reason;
	int code;           /* DISCONNECTED: the err_code */
	uint32_t channel;   /* CHANNEL_*: our channel id */
};

/* Creates a transport; it immediately queues our version line and
 * KEXINIT.  now_ms is a monotonic clock in milliseconds.  Returns ERR_OK,
 * ERR_NOMEM or ERR_INVALID_ARGUMENT (no usable algorithm in a list). */
int transport_new(const struct transport_params *p, uint64_t now_ms,
    struct transport **tp);
void transport_free(struct transport *t);

/* Feeds received bytes.  *consumedp tells how many were taken: fewer than
 * len when the event queue is full (pull events, then feed the rest).
 * A fatal return means the transport is dead. */
int transport_input(struct transport *t, const unsigned char *data,
    size_t len, size_t *consumedp);
/* The peer closed the connection. */
int transport_input_eof(struct transport *t);

/* Bytes waiting to be sent; valid until the next call into t. */
void transport_output(const struct transport *t, const unsigned char **datap,
    size_t *lenp);
void transport_output_consume(struct transport *t, size_t len);

/* The next event (TRANSPORT_EV_NONE when there is none); its pointers are
 * valid until the next call into t. */
int transport_next_event(struct transport *t, struct transport_event *ev);

/* Answers TRANSPORT_EV_HOSTKEY_ASK. */
int transport_hostkey_decide(struct transport *t, int accept);

/* Time: when to call transport_tick() next (UINT64_MAX: never). */
uint64_t transport_next_deadline(const struct transport *t);
int transport_tick(struct transport *t, uint64_t now_ms);

/* Sends a packet for a layer above (payload starts with the message
 * number).  Queued, not sent, while a key exchange runs. */
int transport_send_packet(struct transport *t, const unsigned char *payload,
    size_t len);

/*
 * User authentication (RFC 4252), once TRANSPORT_EV_READY came.  methods
 * is PreferredAuthentications (NULL: publickey,keyboard-interactive,
 * password); max_password_tries is NumberOfPasswordPrompts.  Keys are
 * offered in the order added (public blobs and their type, e.g.
 * "ssh-ed25519", "ssh-rsa"); the signature, password or answers come back
 * through the calls below.  All methods exhausted: TRANSPORT_EV_DISCONNECTED
 * with "Permission denied (methods).".
 */
int transport_auth_add_key(struct transport *t, const unsigned char *blob,
    size_t len, const char *key_type);
int transport_auth_start(struct transport *t, const char *user,
    const char *methods, int max_password_tries);
/* sig is the signature blob (string alg, string sig), or NULL when the
 * caller cannot sign with that key: the next key is tried. */
int transport_auth_signature(struct transport *t, const unsigned char *sig,
    size_t siglen);
/* The answer to a prompt; NULL gives up that method. */
int transport_auth_answer(struct transport *t, const char *answer);

/*
 * Channels (RFC 4254), once TRANSPORT_EV_AUTHENTICATED came.  Ids are
 * ours; TRANSPORT_EV_CHANNEL_OPEN or _OPEN_FAILED answers an open.
 */
int channel_open_session(struct transport *t, uint32_t *idp);
int channel_open_direct_tcpip(struct transport *t, const char *host,
    uint32_t port, const char *orig_host, uint32_t orig_port, uint32_t *idp);
/* A request with type-specific fields already SSH-encoded ("pty-req",
 * "env", "shell", "subsystem", "window-change", "signal", ...). */
int channel_request(struct transport *t, uint32_t id, const char *type,
    int want_reply, const unsigned char *fields, size_t len);
int channel_request_exec(struct transport *t, uint32_t id,
    const char *command);
/* Sends as much of data as the server's window allows; *writtenp says
 * how much (ERR_AGAIN when none: wait for TRANSPORT_EV_CHANNEL_WRITABLE). */
int channel_write(struct transport *t, uint32_t id,
    const unsigned char *data, size_t len, size_t *writtenp);
/* Bytes channel_write() would take now. */
size_t channel_writable(struct transport *t, uint32_t id);
/* The caller used len bytes of data received: our window reopens.  A
 * channel already closed is fine (ERR_OK). */
int channel_consumed(struct transport *t, uint32_t id, size_t len);
int channel_eof(struct transport *t, uint32_t id);
int channel_close(struct transport *t, uint32_t id);

/* A global request with want-reply (RFC 4254 section 4): "tcpip-forward"
 * and "cancel-tcpip-forward" (fields already SSH-encoded).  *idp names
 * its TRANSPORT_EV_GLOBAL_REPLY.  ERR_AGAIN when too many are
 * unanswered. */
int transport_global_request(struct transport *t, const char *name,
    const unsigned char *fields, size_t len, uint32_t *idp);
/* Whether the server may open "forwarded-tcpip" channels to us (for
 * RemoteForward); other types are always refused.  Off by default. */
void transport_allow_open_requests(struct transport *t, int allow);
/* Answers a TRANSPORT_EV_CHANNEL_OPEN_REQUEST: accept makes the channel
 * open (the same id); refuse frees the id, with an RFC 4254 reason code
 * (1 administratively prohibited, 2 connect failed, ...) and a text. */
int channel_accept(struct transport *t, uint32_t id);
int channel_refuse(struct transport *t, uint32_t id, uint32_t reason,
    const char *text);

/* Starts a key exchange now (as RekeyLimit would). */
int transport_rekey(struct transport *t);

/* What was negotiated, for tests and status: "kex", "hostkey",
 * "cipher_ctos", "cipher_stoc", "mac_ctos", "mac_stoc", "server_version",
 * "server_sig_algs"; NULL when unknown. */
const char *transport_negotiated(const struct transport *t, const char *what);
/* Statistics: key exchanges done, bytes in and out. */
void transport_stats(const struct transport *t, uint64_t *kex_count,
    uint64_t *bytes_in, uint64_t *bytes_out);
/* Once the first key exchange is done the known_hosts list is not used
 * again (a re-key must present the same key): ERR_OK, and the caller may
 * free the list; ERR_AGAIN before that. */
int transport_release_known_hosts(struct transport *t);
/* Gives back the memory of empty buffers (an idle transport held by the
 * daemon keeps no packet-sized scratch); they grow again on use. */
void transport_trim(struct transport *t);
/* 1 when the transport is ready, no key exchange runs and no packet
 * waits to be sent (everything given to transport_send_packet() is in
 * the output). */
int transport_idle(const struct transport *t);
/* 1 when strict key exchange (Terrapin countermeasure) is in force. */
int transport_strict_kex(const struct transport *t);

#endif
