/*
 * The client protocol: OpenSSH's ControlMaster protocol (PROTOCOL.mux,
 * version 4) plus sshbroker's extension messages, as a codec with no I/O.
 * docs/PROTOCOL.md is the specification; this header is the code's side
 * of it.
 *
 * Bytes in, structs out, and back: mux_frame_next() cuts the next frame
 * out of a connection's input buffer, mux_decode_from_client() and
 * mux_decode_from_master() turn a frame's payload into a struct mux_msg,
 * mux_encode() appends any message as a whole frame.  The codec opens no
 * socket and passes no file descriptor: after a MUX_C_NEW_SESSION (three)
 * or a MUX_C_NEW_STDIO_FWD (two), the client sends each descriptor by
 * SCM_RIGHTS on a one-byte payload of its own; mux_fds_after() says how
 * many, and the socket layer receives them and consumes those bytes
 * before it asks for the next frame.
 *
 * The layouts are a table in mux.c: decoding and encoding walk the same
 * table, so whatever decodes re-encodes to exactly the same bytes.
 */
#ifndef SSHBROKER_BROKER_MUX_H
#define SSHBROKER_BROKER_MUX_H

#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"

struct buf;

#define MUX_PROTOCOL_VERSION    4

/*
 * Limits.  A frame is a uint32 length and that many bytes of payload;
 * OpenSSH's master closes a client whose length is over 256 KiB
 * (CHANNEL_MUX_MAX_PACKET in channels.c) and so do we.  MUX_MAX_ENV is
 * the bound OpenSSH's master keeps (MUX_MAX_ENV_VARS); it ignores the
 * strings past it, we refuse the message.
 */
#define MUX_FRAME_MAX           (256u * 1024)
#define MUX_MAX_ENV             4096    /* environment strings, NEW_SESSION */
#define MUX_MAX_ARGS            256     /* argument words, EXT_* requests */
#define MUX_MAX_HELLO_EXTS      64      /* name/value pairs in a HELLO */

/* Sent both ways, first thing, by each side without waiting. */
#define MUX_MSG_HELLO           0x00000001u

/* PROTOCOL.mux, client to master */
#define MUX_C_NEW_SESSION       0x10000002u
#define MUX_C_ALIVE_CHECK       0x10000004u
#define MUX_C_TERMINATE         0x10000005u
#define MUX_C_OPEN_FWD          0x10000006u
#define MUX_C_CLOSE_FWD         0x10000007u
#define MUX_C_NEW_STDIO_FWD     0x10000008u
#define MUX_C_STOP_LISTENING    0x10000009u
#define MUX_C_PROXY             0x1000000fu
/* PROTOCOL.mux, master to client */
#define MUX_S_OK                0x80000001u
#define MUX_S_PERMISSION_DENIED 0x80000002u
#define MUX_S_FAILURE           0x80000003u
#define MUX_S_EXIT_MESSAGE      0x80000004u
#define MUX_S_ALIVE             0x80000005u
#define MUX_S_SESSION_OPENED    0x80000006u
#define MUX_S_REMOTE_PORT       0x80000007u
#define MUX_S_TTY_ALLOC_FAIL    0x80000008u
#define MUX_S_PROXY             0x8000000fu

/*
 * sshbroker's extensions.  OpenSSH uses 0x0000000N, 0x1000000N and
 * 0x8000000N; ours are 0x5b0000NN from the client and 0xdb0000NN (the
 * same with the top bit, as OpenSSH marks its replies) from the master.
 * The master sends MUX_S_EXT_* only to a client whose HELLO carried
 * MUX_EXT_SSHBROKER: a stock ssh takes any message it does not expect
 * for an error and exits 255.
 */
#define MUX_C_EXT_SELECT        0x5b000001u
#define MUX_C_EXT_STATUS        0x5b000002u
#define MUX_C_EXT_RESOLVE       0x5b000003u
#define MUX_C_EXT_CLOSE         0x5b000004u
#define MUX_C_EXT_PREWARM       0x5b000005u
#define MUX_C_EXT_STOP          0x5b000006u
#define MUX_C_EXT_ANSWER        0x5b000007u
#define MUX_S_EXT_TEXT          0xdb000001u
#define MUX_S_EXT_PROMPT        0xdb000002u
#define MUX_S_EXT_MESSAGE       0xdb000003u
#define MUX_S_EXT_TTY           0xdb000004u

/* The HELLO extension both our sides send; its value is the version. */
#define MUX_EXT_SSHBROKER       "sshbroker@sshbroker.dev"

/* NEW_SESSION's want_tty from our own client: the master decides by the
 * destination's RequestTTY (with -t and -T folded in, as ssh -G shows
 * it), the command and the low bit, set when the client's stdin is a
 * terminal; MUX_S_EXT_TTY says a terminal was asked for.  A stock master
 * would read any non-zero value as "yes". */
#define MUX_TTY_BY_CONFIG       0x5b000000u
#define MUX_TTY_BY_CONFIG_MASK  0xfffffffeu
/* NEW_SESSION's escape_char when there is none. */
#define MUX_ESCAPE_NONE         0xffffffffu
/* A port of this value means the host field is a Unix socket path. */
#define MUX_PORT_STREAMLOCAL    0xfffffffeu
/* OPEN_FWD / CLOSE_FWD forwarding types */
#define MUX_FWD_LOCAL           1u
#define MUX_FWD_REMOTE          2u
#define MUX_FWD_DYNAMIC         3u

struct mux_ext {
	const char *name;               /* no NUL inside */
	const unsigned char *value;     /* any bytes; NUL-terminated when decoded */
	size_t value_len;
};

/*
 * One message, either direction.  type says which fields mean anything;
 * the others are zero after a decode and ignored by mux_encode().  All
 * strings are NUL-terminated and hold no NUL, except the opaque reserved
 * bytes and HELLO extension values.  A NULL string encodes as "".
 *
 * A decoded message owns its strings and arrays (in storage_ and, for
 * the answer, the wiped secret_); they live until mux_msg_free().  A
 * message the caller fills in to encode points wherever the caller
 * likes and has empty storage, so mux_msg_free() on it frees nothing.
 */
struct mux_msg {
	uint32_t type;
	/* The request id of a client request, echoed in its reply; in
	 * EXT_PROMPT the prompt's id, which EXT_ANSWER echoes.  Unused (0)
	 * in HELLO, EXIT_MESSAGE, TTY_ALLOC_FAIL and EXT_MESSAGE. */
	uint32_t id;

	/* HELLO */
	uint32_t version;
	const struct mux_ext *exts;
	size_t n_exts;

	/* NEW_SESSION, NEW_STDIO_FWD: a string OpenSSH sends empty and
	 * ignores; kept so a message re-encodes as it came */
	const unsigned char *reserved;
	size_t reserved_len;

	/* NEW_SESSION.  The four flags are uint32 on the wire and kept as
	 * sent: OpenSSH's master takes any non-zero value for true
	 * (mux_master_process_new_session), and so do we. */
	uint32_t want_tty;
	uint32_t want_x11;
	uint32_t want_agent;
	uint32_t subsystem;     /* command names a subsystem (ssh -s) */
	uint32_t escape_char;   /* MUX_ESCAPE_NONE for none */
	const char *term;
	const char *command;
	const char *const *env; /* "NAME=value", NULL-terminated when decoded */
	size_t n_env;

	/* OPEN_FWD, CLOSE_FWD.  Ports are 0..65535 or MUX_PORT_STREAMLOCAL. */
	uint32_t fwd_type;      /* MUX_FWD_*; any value decodes */
	const char *listen_host;
	uint32_t listen_port;
	const char *connect_host;
	uint32_t connect_port;

	/* NEW_STDIO_FWD (host, port); REMOTE_PORT (port: the allocated one) */
	const char *host;
	uint32_t port;

	/* EXT_SELECT, EXT_RESOLVE, EXT_CLOSE, EXT_PREWARM: ssh-style
	 * arguments, options then the destination; 1..MUX_MAX_ARGS words,
	 * NULL-terminated when decoded */
	const char *const *argv;
	size_t argc;

	/* EXT_STATUS: "text" or "yaml" (the daemon judges) */
	const char *format;

	/* EXT_ANSWER.  given is 0 when the user gave no answer (end of
	 * input, no terminal); answer is a secret, wiped on free. */
	int given;
	const char *answer;

	/* PERMISSION_DENIED, FAILURE */
	const char *reason;
	/* ALIVE: the master's pid; ssh -O check fails on 0 */
	uint32_t pid;
	/* SESSION_OPENED, EXIT_MESSAGE, TTY_ALLOC_FAIL */
	uint32_t session_id;
	/* EXIT_MESSAGE */
	uint32_t exit_status;
	/* EXT_TEXT, EXT_MESSAGE (one diagnostic line, no newline) */
	const char *text;
	/* EXT_PROMPT: the prompt, and whether to echo what is typed */
	const char *prompt;
	int echo;

	/* private to mux.c: what a decoded message owns */
	struct arena storage_;
	struct buf *secret_;
};

/*
 * Cuts the next frame out of in, the bytes read from one connection.
 * ERR_OK: *payloadp / *lenp are the frame's payload (type first), valid
 * until in is next modified, and the frame is consumed from in.
 * ERR_AGAIN: no whole frame yet; nothing consumed.  ERR_PROTOCOL: the
 * length is over MUX_FRAME_MAX or under 4; this is seen as soon as the
 * four length bytes are in, before any of the payload is buffered, and
 * *reasonp says which.  The stream cannot be resynchronised: close the
 * connection.  A connection that may carry EXT_ANSWER should read into
 * a buffer made with buf_new_secret().
 */
int mux_frame_next(struct buf *in, const unsigned char **payloadp,
    size_t *lenp, const char **reasonp);

/*
 * Decode one payload (as mux_frame_next() gives it) sent by a client
 * (HELLO, MUX_C_*) or by a master (HELLO, MUX_S_*).  *m is overwritten
 * and on success owns its strings: the caller frees it with
 * mux_msg_free().  Errors, each with a static *reasonp naming the
 * message and the field ("MUX_C_NEW_SESSION: NUL byte in TERM"):
 *   ERR_NOT_FOUND       a type this direction does not send; m->type and,
 *                       when present, m->id are set so that a master can
 *                       answer MUX_S_FAILURE and go on, as OpenSSH does;
 *   ERR_INVALID_FORMAT  truncated, a NUL in a string, a bool other than 0
 *                       or 1 (our extensions), a port out of range, an
 *                       argument count of 0, bytes after the last field;
 *   ERR_TOO_LONG        over MUX_FRAME_MAX, or more than MUX_MAX_ENV,
 *                       MUX_MAX_ARGS or MUX_MAX_HELLO_EXTS items;
 *   ERR_NOMEM.
 * After an error m owns nothing (m->type and m->id may be set); a
 * master closes the client on any error but ERR_NOT_FOUND.
 */
int mux_decode_from_client(const unsigned char *payload, size_t len,
    struct mux_msg *m, const char **reasonp);
int mux_decode_from_master(const unsigned char *payload, size_t len,
    struct mux_msg *m, const char **reasonp);

/*
 * Appends m as one frame (length, then payload) to out.  ERR_OK;
 * ERR_INVALID_ARGUMENT for an unknown type or a value the decoder would
 * refuse (a bool not 0 or 1, a port out of range, 0 or too many
 * arguments, too many environment strings or extensions, a NULL array
 * entry); ERR_TOO_LONG if the payload would be over MUX_FRAME_MAX or out
 * is full; ERR_NOMEM.  On error out is unchanged.  An EXT_ANSWER holds
 * a secret: out should then be a buf_new_secret() buffer.
 */
int mux_encode(struct buf *out, const struct mux_msg *m);

/* Frees what a decoded m owns (wiping the answer) and zeroes *m.
 * Accepts NULL and messages the caller filled in. */
void mux_msg_free(struct mux_msg *m);

/* "MUX_C_NEW_SESSION", ...; "unknown" for a type not in the table. */
/* Fills m (zeroed first) as the HELLO both our sides send: protocol
 * version 4 with our extension, whose value (ext, which must outlive m)
 * is the version. */
void mux_hello_sshbroker(struct mux_msg *m, struct mux_ext *ext);
const char *mux_type_name(uint32_t type);

/* How many file descriptors follow a frame of this type, each on a
 * one-byte payload of its own: 3 (stdin, stdout, stderr) after
 * NEW_SESSION, 2 (stdin, stdout) after NEW_STDIO_FWD, else 0. */
unsigned int mux_fds_after(uint32_t type);

/* The extension called name in a HELLO, or NULL. */
const struct mux_ext *mux_hello_find_ext(const struct mux_msg *hello,
    const char *name);

#endif
