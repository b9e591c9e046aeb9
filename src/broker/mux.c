/*
 * The client protocol codec (mux.h): one table of message layouts, walked
 * by one decoder and one encoder.
 *
 * Wire facts that are not in OpenSSH's PROTOCOL.mux, learned from its
 * mux.c and from the bytes ssh 9.2 sends (tests/broker/check_mux.c holds
 * them):
 *   - both sides send HELLO at once; neither waits for the other's;
 *   - NEW_SESSION's flags are uint32, not SSH bools, and the master takes
 *     any non-zero value for true;
 *   - NEW_STDIO_FWD's port is a uint32 (PROTOCOL.mux says string);
 *   - NEW_SESSION's environment strings have no count: they run to the
 *     end of the message;
 *   - each passed fd rides on a one-byte payload (a NUL) of its own
 *     sendmsg() after the frame, which is why mux_fds_after() exists.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "broker/mux.h"
#include "common/arena.h"
#include "common/buf.h"
#include "common/err.h"

/* A frame is one SSH string; buf_get_string_direct() must accept it. */
_Static_assert(MUX_FRAME_MAX <= BUF_MAX_STRING,
    "a mux frame must fit in one buf string");

enum field_kind {
	FK_END = 0,
	FK_U32,         /* uint32_t, any value */
	FK_BOOL,        /* uint32 that must be 0 or 1; int in the struct */
	FK_PORT,        /* uint32 0..65535 or MUX_PORT_STREAMLOCAL */
	FK_CSTR,        /* string without NUL; const char * */
	FK_BYTES,       /* string of any bytes; pointer and size_t */
	FK_SECRET,      /* as FK_CSTR, kept in memory wiped on free */
	FK_ENV,         /* strings without NUL up to the end; no count */
	FK_ARGV,        /* uint32 count (1..MUX_MAX_ARGS), then the strings */
	FK_EXTS,        /* name (no NUL) / value pairs up to the end */
};

struct field {
	enum field_kind kind;
	size_t off;             /* the value in struct mux_msg */
	size_t off_n;           /* its length or count: BYTES, lists */
	const char *r_short;    /* it runs past the end of the message */
	const char *r_bad;      /* NUL, bool, port, or no arguments */
	const char *r_many;     /* more items than the limit */
};

#define DIR_CLIENT      1u
#define DIR_MASTER      2u
#define MAX_FIELDS      10

struct layout {
	uint32_t type;
	const char *name;
	unsigned int from;      /* DIR_* of the side that sends it */
	unsigned int fds;       /* descriptors that follow the frame */
	const char *r_trailing;
	struct field fields[MAX_FIELDS + 1];    /* ends with FK_END */
};

#define STR_(x) #x
#define STR(x) STR_(x)
#define AT(member) offsetof(struct mux_msg, member)

/* Each field's reasons name its message, so a log line needs no more. */
#define F_U32(msg, member, label) \
	{ FK_U32, AT(member), 0, msg ": " label " truncated", NULL, NULL }
#define F_ID(msg) F_U32(msg, id, "request id")
#define F_BOOL(msg, member, label) \
	{ FK_BOOL, AT(member), 0, msg ": " label " truncated", \
	    msg ": " label " is neither 0 nor 1", NULL }
#define F_PORT(msg, member, label) \
	{ FK_PORT, AT(member), 0, msg ": " label " truncated", \
	    msg ": " label " is not a port (0-65535 or 0xfffffffe)", NULL }
#define F_CSTR(msg, member, label) \
	{ FK_CSTR, AT(member), 0, msg ": " label " runs past the end", \
	    msg ": NUL byte in " label, NULL }
#define F_BYTES(msg, member, len, label) \
	{ FK_BYTES, AT(member), AT(len), msg ": " label " runs past the end", \
	    NULL, NULL }
#define F_SECRET(msg, member, label) \
	{ FK_SECRET, AT(member), 0, msg ": " label " runs past the end", \
	    msg ": NUL byte in " label, NULL }
#define F_ENV(msg) \
	{ FK_ENV, AT(env), AT(n_env), \
	    msg ": an environment string runs past the end", \
	    msg ": NUL byte in an environment string", \
	    msg ": more than " STR(MUX_MAX_ENV) " environment strings" }
#define F_ARGV(msg) \
	{ FK_ARGV, AT(argv), AT(argc), \
	    msg ": arguments run past the end (count too large?)", \
	    msg ": NUL byte in an argument, or no arguments", \
	    msg ": more than " STR(MUX_MAX_ARGS) " arguments" }
#define F_EXTS(msg) \
	{ FK_EXTS, AT(exts), AT(n_exts), \
	    msg ": an extension runs past the end", \
	    msg ": NUL byte in an extension name", \
	    msg ": more than " STR(MUX_MAX_HELLO_EXTS) " extensions" }

#define LAYOUT(type, from, fds, ...) \
	{ type, #type, from, fds, #type ": bytes after the last field", \
	    { __VA_ARGS__ } }

static const struct layout layouts[] = {
	LAYOUT(MUX_MSG_HELLO, DIR_CLIENT | DIR_MASTER, 0,
	    F_U32("MUX_MSG_HELLO", version, "version"),
	    F_EXTS("MUX_MSG_HELLO")),

	/* PROTOCOL.mux, client to master */
	LAYOUT(MUX_C_NEW_SESSION, DIR_CLIENT, 3,
	    F_ID("MUX_C_NEW_SESSION"),
	    F_BYTES("MUX_C_NEW_SESSION", reserved, reserved_len, "reserved"),
	    F_U32("MUX_C_NEW_SESSION", want_tty, "want-tty flag"),
	    F_U32("MUX_C_NEW_SESSION", want_x11, "want-X11 flag"),
	    F_U32("MUX_C_NEW_SESSION", want_agent, "want-agent flag"),
	    F_U32("MUX_C_NEW_SESSION", subsystem, "subsystem flag"),
	    F_U32("MUX_C_NEW_SESSION", escape_char, "escape char"),
	    F_CSTR("MUX_C_NEW_SESSION", term, "TERM"),
	    F_CSTR("MUX_C_NEW_SESSION", command, "command"),
	    F_ENV("MUX_C_NEW_SESSION")),
	LAYOUT(MUX_C_ALIVE_CHECK, DIR_CLIENT, 0, F_ID("MUX_C_ALIVE_CHECK")),
	LAYOUT(MUX_C_TERMINATE, DIR_CLIENT, 0, F_ID("MUX_C_TERMINATE")),
	LAYOUT(MUX_C_OPEN_FWD, DIR_CLIENT, 0,
	    F_ID("MUX_C_OPEN_FWD"),
	    F_U32("MUX_C_OPEN_FWD", fwd_type, "forwarding type"),
	    F_CSTR("MUX_C_OPEN_FWD", listen_host, "listen host"),
	    F_PORT("MUX_C_OPEN_FWD", listen_port, "listen port"),
	    F_CSTR("MUX_C_OPEN_FWD", connect_host, "connect host"),
	    F_PORT("MUX_C_OPEN_FWD", connect_port, "connect port")),
	LAYOUT(MUX_C_CLOSE_FWD, DIR_CLIENT, 0,
	    F_ID("MUX_C_CLOSE_FWD"),
	    F_U32("MUX_C_CLOSE_FWD", fwd_type, "forwarding type"),
	    F_CSTR("MUX_C_CLOSE_FWD", listen_host, "listen host"),
	    F_PORT("MUX_C_CLOSE_FWD", listen_port, "listen port"),
	    F_CSTR("MUX_C_CLOSE_FWD", connect_host, "connect host"),
	    F_PORT("MUX_C_CLOSE_FWD", connect_port, "connect port")),
	LAYOUT(MUX_C_NEW_STDIO_FWD, DIR_CLIENT, 2,
	    F_ID("MUX_C_NEW_STDIO_FWD"),
	    F_BYTES("MUX_C_NEW_STDIO_FWD", reserved, reserved_len, "reserved"),
	    F_CSTR("MUX_C_NEW_STDIO_FWD", host, "connect host"),
	    F_PORT("MUX_C_NEW_STDIO_FWD", port, "connect port")),
	LAYOUT(MUX_C_STOP_LISTENING, DIR_CLIENT, 0,
	    F_ID("MUX_C_STOP_LISTENING")),
	LAYOUT(MUX_C_PROXY, DIR_CLIENT, 0, F_ID("MUX_C_PROXY")),

	/* PROTOCOL.mux, master to client */
	LAYOUT(MUX_S_OK, DIR_MASTER, 0, F_ID("MUX_S_OK")),
	LAYOUT(MUX_S_PERMISSION_DENIED, DIR_MASTER, 0,
	    F_ID("MUX_S_PERMISSION_DENIED"),
	    F_CSTR("MUX_S_PERMISSION_DENIED", reason, "reason")),
	LAYOUT(MUX_S_FAILURE, DIR_MASTER, 0,
	    F_ID("MUX_S_FAILURE"),
	    F_CSTR("MUX_S_FAILURE", reason, "reason")),
	LAYOUT(MUX_S_EXIT_MESSAGE, DIR_MASTER, 0,
	    F_U32("MUX_S_EXIT_MESSAGE", session_id, "session id"),
	    F_U32("MUX_S_EXIT_MESSAGE", exit_status, "exit value")),
	LAYOUT(MUX_S_ALIVE, DIR_MASTER, 0,
	    F_ID("MUX_S_ALIVE"),
	    F_U32("MUX_S_ALIVE", pid, "pid")),
	LAYOUT(MUX_S_SESSION_OPENED, DIR_MASTER, 0,
	    F_ID("MUX_S_SESSION_OPENED"),
	    F_U32("MUX_S_SESSION_OPENED", session_id, "session id")),
	LAYOUT(MUX_S_REMOTE_PORT, DIR_MASTER, 0,
	    F_ID("MUX_S_REMOTE_PORT"),
	    F_PORT("MUX_S_REMOTE_PORT", port, "allocated port")),
	LAYOUT(MUX_S_TTY_ALLOC_FAIL, DIR_MASTER, 0,
	    F_U32("MUX_S_TTY_ALLOC_FAIL", session_id, "session id")),
	LAYOUT(MUX_S_PROXY, DIR_MASTER, 0, F_ID("MUX_S_PROXY")),

	/* ours, client to master */
	LAYOUT(MUX_C_EXT_SELECT, DIR_CLIENT, 0,
	    F_ID("MUX_C_EXT_SELECT"), F_ARGV("MUX_C_EXT_SELECT")),
	LAYOUT(MUX_C_EXT_STATUS, DIR_CLIENT, 0,
	    F_ID("MUX_C_EXT_STATUS"),
	    F_CSTR("MUX_C_EXT_STATUS", format, "format")),
	LAYOUT(MUX_C_EXT_RESOLVE, DIR_CLIENT, 0,
	    F_ID("MUX_C_EXT_RESOLVE"), F_ARGV("MUX_C_EXT_RESOLVE")),
	LAYOUT(MUX_C_EXT_CLOSE, DIR_CLIENT, 0,
	    F_ID("MUX_C_EXT_CLOSE"), F_ARGV("MUX_C_EXT_CLOSE")),
	LAYOUT(MUX_C_EXT_PREWARM, DIR_CLIENT, 0,
	    F_ID("MUX_C_EXT_PREWARM"), F_ARGV("MUX_C_EXT_PREWARM")),
	LAYOUT(MUX_C_EXT_STOP, DIR_CLIENT, 0, F_ID("MUX_C_EXT_STOP")),
	LAYOUT(MUX_C_EXT_ANSWER, DIR_CLIENT, 0,
	    F_ID("MUX_C_EXT_ANSWER"),
	    F_BOOL("MUX_C_EXT_ANSWER", given, "given flag"),
	    F_SECRET("MUX_C_EXT_ANSWER", answer, "answer")),

	/* ours, master to client */
	LAYOUT(MUX_S_EXT_TEXT, DIR_MASTER, 0,
	    F_ID("MUX_S_EXT_TEXT"),
	    F_CSTR("MUX_S_EXT_TEXT", text, "text")),
	LAYOUT(MUX_S_EXT_PROMPT, DIR_MASTER, 0,
	    F_ID("MUX_S_EXT_PROMPT"),
	    F_CSTR("MUX_S_EXT_PROMPT", prompt, "prompt"),
	    F_BOOL("MUX_S_EXT_PROMPT", echo, "echo flag")),
	LAYOUT(MUX_S_EXT_MESSAGE, DIR_MASTER, 0,
	    F_CSTR("MUX_S_EXT_MESSAGE", text, "text")),
	LAYOUT(MUX_S_EXT_TTY, DIR_MASTER, 0,
	    F_ID("MUX_S_EXT_TTY"),
	    F_U32("MUX_S_EXT_TTY", session_id, "session id")),
};

#define N_LAYOUTS (sizeof(layouts) / sizeof(layouts[0]))

static const struct layout *
layout_find(uint32_t type)
{
	size_t i;

	for (i = 0; i < N_LAYOUTS; i++)
		if (layouts[i].type == type)
			return &layouts[i];
	return NULL;
}

/* The members a field describes, by offset into the message. */
static void *
member(struct mux_msg *m, size_t off)
{
	return (char *)m + off;
}

static const void *
cmember(const struct mux_msg *m, size_t off)
{
	return (const char *)m + off;
}

static int
port_ok(uint32_t v)
{
	return v <= 65535 || v == MUX_PORT_STREAMLOCAL;
}

/* ---- framing */

int
mux_frame_next(struct buf *in, const unsigned char **payloadp,
    size_t *lenp, const char **reasonp)
{
	uint32_t len;

	*payloadp = NULL;
	*lenp = 0;
	if (reasonp != NULL)
		*reasonp = NULL;
	if (buf_len(in) < 4)
		return ERR_AGAIN;
	/* Judge the length before waiting for (and buffering) its bytes. */
	len = buf_peek_u32_raw(buf_ptr(in));
	if (len > MUX_FRAME_MAX || len < 4) {
		if (reasonp != NULL)
			*reasonp = len < 4 ?
			    "frame shorter than a message type" :
			    "frame length over 256 KiB";
		return ERR_PROTOCOL;
	}
	if (buf_len(in) - 4 < len)
		return ERR_AGAIN;
	if (buf_get_string_direct(in, payloadp, lenp) != ERR_OK)
		return ERR_INTERNAL;    /* the checks above make it whole */
	return ERR_OK;
}

/* ---- decoding */

/* The next string as a pointer into b; any failure is "runs past the
 * end" (a length over BUF_MAX_STRING cannot fit a frame either). */
static int
get_str(struct buf *b, const unsigned char **p, size_t *len)
{
	return buf_get_string_direct(b, p, len) == ERR_OK ?
	    ERR_OK : ERR_INVALID_FORMAT;
}

static int
has_nul(const unsigned char *p, size_t len)
{
	return len > 0 && memchr(p, '\0', len) != NULL;
}

/*
 * Checks the items of an FK_ENV or FK_EXTS field, which run to the end
 * of the message, and counts them without consuming anything, so the
 * second pass can allocate the array once.
 */
static int
count_rest(const struct buf *b, const struct field *f, size_t max,
    size_t *np, const char **reasonp)
{
	struct buf *v;
	const unsigned char *p;
	size_t len, n = 0;
	int r = ERR_INTERNAL;

	*np = 0;
	if ((v = buf_new_view(buf_ptr(b), buf_len(b))) == NULL)
		return ERR_NOMEM;
	while (buf_len(v) > 0) {
		if (n == max) {
			*reasonp = f->r_many;
			r = ERR_TOO_LONG;
			goto out;
		}
		if (get_str(v, &p, &len) != ERR_OK ||
		    (f->kind == FK_EXTS && get_str(v, NULL, NULL) != ERR_OK)) {
			*reasonp = f->r_short;
			r = ERR_INVALID_FORMAT;
			goto out;
		}
		if (has_nul(p, len)) {
			*reasonp = f->r_bad;
			r = ERR_INVALID_FORMAT;
			goto out;
		}
		n++;
	}
	*np = n;
	r = ERR_OK;
 out:
	buf_free(v);
	return r;
}

/* A NUL-terminated copy of a string, owned by m. */
static const char *
keep(struct mux_msg *m, const unsigned char *p, size_t len)
{
	return arena_strndup(&m->storage_, (const char *)p, len);
}

/* Reads n strings (already checked by count_rest() or to be checked
 * here) into a NULL-terminated array owned by m. */
static int
decode_strv(struct buf *b, const struct field *f, struct mux_msg *m,
    size_t n, const char **reasonp)
{
	const char **v;
	const unsigned char *p;
	size_t i, len;

	if ((v = arena_alloc(&m->storage_, (n + 1) * sizeof(*v))) == NULL)
		return ERR_NOMEM;
	for (i = 0; i < n; i++) {
		if (get_str(b, &p, &len) != ERR_OK) {
			*reasonp = f->r_short;
			return ERR_INVALID_FORMAT;
		}
		if (has_nul(p, len)) {
			*reasonp = f->r_bad;
			return ERR_INVALID_FORMAT;
		}
		if ((v[i] = keep(m, p, len)) == NULL)
			return ERR_NOMEM;
	}
	v[n] = NULL;
	*(const char *const **)member(m, f->off) = v;
	*(size_t *)member(m, f->off_n) = n;
	return ERR_OK;
}

static int
decode_exts(struct buf *b, const struct field *f, struct mux_msg *m,
    size_t n, const char **reasonp)
{
	struct mux_ext *e = NULL;
	const unsigned char *name, *val;
	size_t i, name_len, val_len;

	if (n > 0 && (e = arena_alloc(&m->storage_, n * sizeof(*e))) == NULL)
		return ERR_NOMEM;
	for (i = 0; i < n; i++) {
		/* count_rest() checked them all */
		if (get_str(b, &name, &name_len) != ERR_OK ||
		    get_str(b, &val, &val_len) != ERR_OK) {
			*reasonp = f->r_short;
			return ERR_INVALID_FORMAT;
		}
		if ((e[i].name = keep(m, name, name_len)) == NULL ||
		    (e[i].value = (const unsigned char *)keep(m, val,
		    val_len)) == NULL)
			return ERR_NOMEM;
		e[i].value_len = val_len;
	}
	m->exts = e;
	m->n_exts = n;
	return ERR_OK;
}

static int
decode_field(struct buf *b, const struct field *f, struct mux_msg *m,
    const char **reasonp)
{
	const unsigned char *p;
	const char *s;
	size_t len, n;
	uint32_t v;
	int r;

	switch (f->kind) {
	case FK_U32:
	case FK_BOOL:
	case FK_PORT:
		if (buf_get_u32(b, &v) != ERR_OK)
			goto truncated;
		if ((f->kind == FK_BOOL && v > 1) ||
		    (f->kind == FK_PORT && !port_ok(v)))
			goto bad;
		if (f->kind == FK_BOOL)
			*(int *)member(m, f->off) = (int)v;
		else
			*(uint32_t *)member(m, f->off) = v;
		return ERR_OK;
	case FK_CSTR:
	case FK_BYTES:
	case FK_SECRET:
		if (get_str(b, &p, &len) != ERR_OK)
			goto truncated;
		if (f->kind != FK_BYTES && has_nul(p, len))
			goto bad;
		if (f->kind == FK_SECRET) {
			/* one secret per layout; never through the arena */
			if (m->secret_ != NULL)
				return ERR_INTERNAL;
			if ((m->secret_ = buf_new_secret(0)) == NULL ||
			    buf_put(m->secret_, p, len) != ERR_OK)
				return ERR_NOMEM;
			s = buf_cstr(m->secret_);
		} else if ((s = keep(m, p, len)) == NULL)
			return ERR_NOMEM;
		if (f->kind == FK_BYTES) {
			*(const unsigned char **)member(m, f->off) =
			    (const unsigned char *)s;
			*(size_t *)member(m, f->off_n) = len;
		} else
			*(const char **)member(m, f->off) = s;
		return ERR_OK;
	case FK_ENV:
		if ((r = count_rest(b, f, MUX_MAX_ENV, &n, reasonp)) != ERR_OK)
			return r;
		return decode_strv(b, f, m, n, reasonp);
	case FK_EXTS:
		if ((r = count_rest(b, f, MUX_MAX_HELLO_EXTS, &n,
		    reasonp)) != ERR_OK)
			return r;
		return decode_exts(b, f, m, n, reasonp);
	case FK_ARGV:
		if (buf_get_u32(b, &v) != ERR_OK)
			goto truncated;
		if (v == 0)
			goto bad;
		if (v > MUX_MAX_ARGS) {
			*reasonp = f->r_many;
			return ERR_TOO_LONG;
		}
		/* each string takes at least its 4-byte length */
		if (v > buf_len(b) / 4)
			goto truncated;
		return decode_strv(b, f, m, v, reasonp);
	case FK_END:
		break;
	}
	return ERR_INTERNAL;
 truncated:
	*reasonp = f->r_short;
	return ERR_INVALID_FORMAT;
 bad:
	*reasonp = f->r_bad;
	return ERR_INVALID_FORMAT;
}

static int
decode(const unsigned char *payload, size_t len, unsigned int from,
    struct mux_msg *m, const char **reasonp)
{
	const struct layout *l;
	const struct field *f;
	const char *reason = NULL;
	struct buf *b = NULL;
	uint32_t type, id;
	int r = ERR_INTERNAL;

	memset(m, 0, sizeof(*m));
	if (len > MUX_FRAME_MAX) {
		reason = "message longer than 256 KiB";
		r = ERR_TOO_LONG;
		goto out;
	}
	if ((b = buf_new_view(payload, len)) == NULL) {
		r = ERR_NOMEM;
		goto out;
	}
	if (buf_get_u32(b, &type) != ERR_OK) {
		reason = "message shorter than its type";
		r = ERR_INVALID_FORMAT;
		goto out;
	}
	m->type = type;
	l = layout_find(type);
	if (l == NULL || (l->from & from) == 0) {
		/* Keep the request id (if any) for the FAILURE reply. */
		(void)buf_get_u32(b, &m->id);
		reason = l == NULL ? "unknown message type" :
		    from == DIR_CLIENT ? "a master's message from a client" :
		    "a client's message from a master";
		r = ERR_NOT_FOUND;
		goto out;
	}
	for (f = l->fields; f->kind != FK_END; f++)
		if ((r = decode_field(b, f, m, &reason)) != ERR_OK)
			goto out;
	if (buf_len(b) != 0) {
		reason = l->r_trailing;
		r = ERR_INVALID_FORMAT;
		goto out;
	}
	r = ERR_OK;
 out:
	buf_free(b);
	if (r != ERR_OK) {
		type = m->type;
		id = m->id;
		mux_msg_free(m);
		m->type = type;
		m->id = id;
		if (reason == NULL)
			reason = r == ERR_NOMEM ? "out of memory" :
			    "internal error";
	}
	if (reasonp != NULL)
		*reasonp = reason;
	return r;
}

int
mux_decode_from_client(const unsigned char *payload, size_t len,
    struct mux_msg *m, const char **reasonp)
{
	return decode(payload, len, DIR_CLIENT, m, reasonp);
}

int
mux_decode_from_master(const unsigned char *payload, size_t len,
    struct mux_msg *m, const char **reasonp)
{
	return decode(payload, len, DIR_MASTER, m, reasonp);
}

/* ---- encoding: refuses what decoding would refuse */

static int
encode_strv(struct buf *b, const char *const *v, size_t n, int counted)
{
	size_t i;
	int r;

	if (n > 0 && v == NULL)
		return ERR_INVALID_ARGUMENT;
	if (counted && (r = buf_put_u32(b, (uint32_t)n)) != ERR_OK)
		return r;
	for (i = 0; i < n; i++) {
		if (v[i] == NULL)
			return ERR_INVALID_ARGUMENT;
		if ((r = buf_put_cstring(b, v[i])) != ERR_OK)
			return r;
	}
	return ERR_OK;
}

static int
encode_field(struct buf *b, const struct field *f, const struct mux_msg *m)
{
	const struct mux_ext *e;
	const unsigned char *p;
	size_t i, n = 0;
	uint32_t v;
	int bv, r;

	if (f->off_n != 0)
		n = *(const size_t *)cmember(m, f->off_n);
	switch (f->kind) {
	case FK_U32:
		return buf_put_u32(b, *(const uint32_t *)cmember(m, f->off));
	case FK_BOOL:
		bv = *(const int *)cmember(m, f->off);
		if (bv != 0 && bv != 1)
			return ERR_INVALID_ARGUMENT;
		return buf_put_u32(b, (uint32_t)bv);
	case FK_PORT:
		v = *(const uint32_t *)cmember(m, f->off);
		if (!port_ok(v))
			return ERR_INVALID_ARGUMENT;
		return buf_put_u32(b, v);
	case FK_CSTR:
	case FK_SECRET:
		return buf_put_cstring(b,
		    *(const char *const *)cmember(m, f->off));
	case FK_BYTES:
		p = *(const unsigned char *const *)cmember(m, f->off);
		if (p == NULL && n > 0)
			return ERR_INVALID_ARGUMENT;
		return buf_put_string(b, p, n);
	case FK_ENV:
		if (n > MUX_MAX_ENV)
			return ERR_INVALID_ARGUMENT;
		return encode_strv(b,
		    *(const char *const *const *)cmember(m, f->off), n, 0);
	case FK_ARGV:
		if (n == 0 || n > MUX_MAX_ARGS)
			return ERR_INVALID_ARGUMENT;
		return encode_strv(b,
		    *(const char *const *const *)cmember(m, f->off), n, 1);
	case FK_EXTS:
		e = m->exts;
		if (n > MUX_MAX_HELLO_EXTS || (n > 0 && e == NULL))
			return ERR_INVALID_ARGUMENT;
		for (i = 0; i < n; i++) {
			if (e[i].name == NULL ||
			    (e[i].value == NULL && e[i].value_len > 0))
				return ERR_INVALID_ARGUMENT;
			if ((r = buf_put_cstring(b, e[i].name)) != ERR_OK ||
			    (r = buf_put_string(b, e[i].value,
			    e[i].value_len)) != ERR_OK)
				return r;
		}
		return ERR_OK;
	case FK_END:
		break;
	}
	return ERR_INTERNAL;
}

int
mux_encode(struct buf *out, const struct mux_msg *m)
{
	const struct layout *l = layout_find(m->type);
	const struct field *f;
	struct buf *p = NULL;
	unsigned char *dst;
	int r = ERR_INTERNAL;

	if (l == NULL)
		return ERR_INVALID_ARGUMENT;
	/* Secret, since an EXT_ANSWER passes through; bounded by the
	 * frame size, so an oversized message fails with ERR_TOO_LONG. */
	if ((p = buf_new_secret(MUX_FRAME_MAX)) == NULL)
		return ERR_NOMEM;
	if ((r = buf_put_u32(p, m->type)) != ERR_OK)
		goto out;
	for (f = l->fields; f->kind != FK_END; f++)
		if ((r = encode_field(p, f, m)) != ERR_OK)
			goto out;
	/* one reservation, so out is unchanged on failure */
	if ((r = buf_reserve(out, 4 + buf_len(p), &dst)) != ERR_OK)
		goto out;
	buf_poke_u32_raw(dst, (uint32_t)buf_len(p));
	memcpy(dst + 4, buf_ptr(p), buf_len(p));
	r = ERR_OK;
 out:
	buf_free(p);
	return r;
}

/* ---- the rest */

void
mux_msg_free(struct mux_msg *m)
{
	if (m == NULL)
		return;
	arena_free(&m->storage_);
	buf_free(m->secret_);   /* wipes the answer */
	memset(m, 0, sizeof(*m));
}

const char *
mux_type_name(uint32_t type)
{
	const struct layout *l = layout_find(type);

	return l != NULL ? l->name : "unknown";
}

unsigned int
mux_fds_after(uint32_t type)
{
	const struct layout *l = layout_find(type);

	return l != NULL ? l->fds : 0;
}

const struct mux_ext *
mux_hello_find_ext(const struct mux_msg *hello, const char *name)
{
	size_t i;

	if (hello->type != MUX_MSG_HELLO)
		return NULL;
	for (i = 0; i < hello->n_exts; i++)
		if (hello->exts[i].name != NULL &&
		    strcmp(hello->exts[i].name, name) == 0)
			return &hello->exts[i];
	return NULL;
}

void
mux_hello_sshbroker(struct mux_msg *m, struct mux_ext *ext)
{
	memset(m, 0, sizeof(*m));
	m->type = MUX_MSG_HELLO;
	m->version = MUX_PROTOCOL_VERSION;
	ext->name = MUX_EXT_SSHBROKER;
	ext->value = (const unsigned char *)PACKAGE_VERSION;
	ext->value_len = strlen(PACKAGE_VERSION);
	m->exts = ext;
	m->n_exts = 1;
}
