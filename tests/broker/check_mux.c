/*
 * Tests of the client protocol codec (src/broker/mux.h).
 *
 * The hex below was captured once from the real client, OpenSSH_9.2p1
 * Debian-2+deb12u10, run as `ssh -F /dev/null -S SOCK ...` against a
 * small Python listener that logged every recvmsg(); the master's
 * messages are the ones that listener sent and ssh accepted.  The "live"
 * tests at the end replay that against the ssh on this machine with our
 * own encoder serving, when there is an ssh to run.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "broker/mux.h"
#include "common/buf.h"
#include "common/err.h"

#include "../common/unhex.h"

/* ---- bytes from ssh 9.2 (client to master) */

/* Its HELLO, sent at once without waiting for the master's. */
#define HEX_C_HELLO "000000080000000100000004"
/* -O check; also the first request of every session and of -W */
#define HEX_C_ALIVE "000000081000000400000000"
#define HEX_C_TERMINATE "000000081000000500000000"  /* -O exit */
#define HEX_C_STOP "000000081000000900000000"       /* -O stop */
#define HEX_C_PROXY "000000081000000f00000000"      /* -O proxy */
/* TERM=xterm-256color FOO=bar LC_ALL=C.UTF-8 ssh -o SendEnv=FOO
 * -o 'SendEnv=LC_*' -o SetEnv=BAZ=qux web1 echo 'hi there' </dev/null:
 * no tty, escape '~', SendEnv in environ's order, then SetEnv */
#define HEX_C_SESSION_ENV \
	"0000006b100000020000000100000000000000000000000000000000" \
	"000000000000007e0000000e787465726d2d323536636f6c6f720000" \
	"000d6563686f2068692074686572650000000e4c435f414c4c3d432e" \
	"5554462d3800000007464f4f3d6261720000000742415a3d717578"
/* ssh -t web1 top, on a pty (script(1)), TERM=xterm */
#define HEX_C_SESSION_TTY \
	"00000030100000020000000100000000000000010000000000000000" \
	"000000000000007e00000005787465726d00000003746f70"
/* ssh -s -e none -A -X web1 sftp */
#define HEX_C_SESSION_SUBSYS \
	"000000311000000200000001000000000000000000000001000000010" \
	"0000001ffffffff00000005787465726d0000000473667470"
/* ssh -W db.internal:5432 web1: the port is a uint32, not the string
 * PROTOCOL.mux describes */
#define HEX_C_STDIO_FWD \
	"0000001f1000000800000001000000000000000b64622e696e746572" \
	"6e616c00001538"
/* ssh -O forward -L 8080:localhost:80 -R 0:[::1]:22 -D 1080
 * -L /tmp/l.sock:/tmp/r.sock web1 (sent locals first, dynamic among
 * them) */
#define HEX_C_FWD_LOCAL \
	"000000251000000600000000000000010000000000001f90000000096c" \
	"6f63616c686f737400000050"
#define HEX_C_FWD_DYNAMIC \
	"00000021100000060000000100000003000000000000043800000005736f" \
	"636b7300000000"
#define HEX_C_FWD_STREAMLOCAL \
	"000000321000000600000002000000010000000b2f746d702f6c2e736f63" \
	"6bfffffffe0000000b2f746d702f722e736f636bfffffffe"
#define HEX_C_FWD_REMOTE \
	"0000001f10000006000000030000000200000000000000000000000" \
	"33a3a3100000016"
/* ssh -O cancel -L 8080:localhost:80 web1 */
#define HEX_C_CANCEL_LOCAL \
	"000000251000000700000000000000010000000000001f90000000096c" \
	"6f63616c686f737400000050"

/* ---- master to client: bytes ssh 9.2 accepted */

#define HEX_S_HELLO "000000080000000100000004"
/* ssh skips extensions it does not know, NUL bytes in values too */
#define HEX_S_HELLO_EXT \
	"0000003700000001000000040000001773736862726f6b657240737368" \
	"62726f6b65722e64657600000003302e3100000003784079000000020001"
#define HEX_S_ALIVE "0000000c800000050000000000001092"     /* pid 4242 */
#define HEX_S_OPENED "0000000c800000060000000100000007"    /* rid 1, sid 7 */
#define HEX_S_EXIT "0000000c80000004000000070000002a"      /* sid 7, 42 */
#define HEX_S_TTY_FAIL "000000088000000800000007"
#define HEX_S_OK "000000088000000100000000"
#define HEX_S_PROXY "000000088000000f00000000"
#define HEX_S_FAILURE "000000108000000300000000000000046e6f7065"

/* ---- helpers */


/* Encodes m and checks the frame against hex. */
static void
assert_encodes_to(const struct mux_msg *m, const char *hex)
{
	struct buf *b = buf_new(0);
	unsigned char *want;
	size_t want_len;

	ck_assert_int_eq(mux_encode(b, m), ERR_OK);
	want = unhex_dup(hex, &want_len);
	ck_assert_uint_eq(buf_len(b), want_len);
	ck_assert_mem_eq(buf_ptr(b), want, want_len);
	free(want);
	buf_free(b);
}

typedef int (*decoder)(const unsigned char *, size_t, struct mux_msg *,
    const char **);

/* Frames hex through mux_frame_next() and decodes it into m; the frame
 * must be whole and re-encode to the very same bytes. */
static void
decode_hex(const char *hex, decoder dec, struct mux_msg *m)
{
	struct buf *in = buf_new(0);
	const unsigned char *payload;
	const char *reason = NULL;
	unsigned char *bytes;
	size_t len, plen;

	bytes = unhex_dup(hex, &len);
	ck_assert_int_eq(buf_put(in, bytes, len), ERR_OK);
	ck_assert_int_eq(mux_frame_next(in, &payload, &plen, &reason), ERR_OK);
	ck_assert_uint_eq(buf_len(in), 0);
	ck_assert_uint_eq(plen, len - 4);
	if (dec(payload, plen, m, &reason) != ERR_OK)
		ck_abort_msg("%s: %s", hex, reason);
	assert_encodes_to(m, hex);
	free(bytes);
	buf_free(in);
}

/* Decodes a raw payload given in hex (no length prefix). */
static int
decode_payload_hex(const char *hex, decoder dec, struct mux_msg *m,
    const char **reasonp)
{
	unsigned char *p;
	size_t len;
	int r;

	p = unhex_dup(hex, &len);
	r = dec(p, len, m, reasonp);
	free(p);
	return r;
}

/* ---- the real client's bytes */

START_TEST(test_ssh_simple_requests)
{
	static const struct {
		const char *hex;
		uint32_t type;
	} cases[] = {
		{ HEX_C_ALIVE, MUX_C_ALIVE_CHECK },
		{ HEX_C_TERMINATE, MUX_C_TERMINATE },
		{ HEX_C_STOP, MUX_C_STOP_LISTENING },
		{ HEX_C_PROXY, MUX_C_PROXY },
	};
	struct mux_msg m;
	size_t i;

	decode_hex(HEX_C_HELLO, mux_decode_from_client, &m);
	ck_assert_uint_eq(m.type, MUX_MSG_HELLO);
	ck_assert_uint_eq(m.version, MUX_PROTOCOL_VERSION);
	ck_assert_uint_eq(m.n_exts, 0);
	ck_assert_ptr_null(mux_hello_find_ext(&m, MUX_EXT_SSHBROKER));
	mux_msg_free(&m);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		decode_hex(cases[i].hex, mux_decode_from_client, &m);
		ck_assert_uint_eq(m.type, cases[i].type);
		ck_assert_uint_eq(m.id, 0);
		ck_assert_uint_eq(mux_fds_after(m.type), 0);
		mux_msg_free(&m);
	}
}
END_TEST

START_TEST(test_ssh_new_session)
{
	struct mux_msg m;

	decode_hex(HEX_C_SESSION_ENV, mux_decode_from_client, &m);
	ck_assert_uint_eq(m.type, MUX_C_NEW_SESSION);
	ck_assert_uint_eq(m.id, 1);    /* 0 went to the ALIVE_CHECK */
	ck_assert_uint_eq(m.reserved_len, 0);
	ck_assert_uint_eq(m.want_tty, 0);
	ck_assert_uint_eq(m.want_x11, 0);
	ck_assert_uint_eq(m.want_agent, 0);
	ck_assert_uint_eq(m.subsystem, 0);
	ck_assert_uint_eq(m.escape_char, '~');
	ck_assert_str_eq(m.term, "xterm-256color");
	ck_assert_str_eq(m.command, "echo hi there");
	ck_assert_uint_eq(m.n_env, 3);
	ck_assert_str_eq(m.env[0], "LC_ALL=C.UTF-8");
	ck_assert_str_eq(m.env[1], "FOO=bar");
	ck_assert_str_eq(m.env[2], "BAZ=qux");
	ck_assert_ptr_null(m.env[3]);
	ck_assert_uint_eq(mux_fds_after(m.type), 3);
	mux_msg_free(&m);

	decode_hex(HEX_C_SESSION_TTY, mux_decode_from_client, &m);
	ck_assert_uint_eq(m.want_tty, 1);
	ck_assert_str_eq(m.term, "xterm");
	ck_assert_str_eq(m.command, "top");
	ck_assert_uint_eq(m.n_env, 0);
	ck_assert_ptr_null(m.env[0]);
	mux_msg_free(&m);

	decode_hex(HEX_C_SESSION_SUBSYS, mux_decode_from_client, &m);
	ck_assert_uint_eq(m.want_tty, 0);
	ck_assert_uint_eq(m.want_x11, 1);
	ck_assert_uint_eq(m.want_agent, 1);
	ck_assert_uint_eq(m.subsystem, 1);
	ck_assert_uint_eq(m.escape_char, MUX_ESCAPE_NONE);
	ck_assert_str_eq(m.command, "sftp");
	mux_msg_free(&m);
}
END_TEST

START_TEST(test_ssh_stdio_fwd)
{
	struct mux_msg m;

	decode_hex(HEX_C_STDIO_FWD, mux_decode_from_client, &m);
	ck_assert_uint_eq(m.type, MUX_C_NEW_STDIO_FWD);
	ck_assert_uint_eq(m.id, 1);
	ck_assert_uint_eq(m.reserved_len, 0);
	ck_assert_str_eq(m.host, "db.internal");
	ck_assert_uint_eq(m.port, 5432);
	ck_assert_uint_eq(mux_fds_after(m.type), 2);
	mux_msg_free(&m);
}
END_TEST

START_TEST(test_ssh_forwards)
{
	struct mux_msg m;

	decode_hex(HEX_C_FWD_LOCAL, mux_decode_from_client, &m);
	ck_assert_uint_eq(m.type, MUX_C_OPEN_FWD);
	ck_assert_uint_eq(m.fwd_type, MUX_FWD_LOCAL);
	ck_assert_str_eq(m.listen_host, "");
	ck_assert_uint_eq(m.listen_port, 8080);
	ck_assert_str_eq(m.connect_host, "localhost");
	ck_assert_uint_eq(m.connect_port, 80);
	mux_msg_free(&m);

	/* dynamic: connect host "socks", port 0 */
	decode_hex(HEX_C_FWD_DYNAMIC, mux_decode_from_client, &m);
	ck_assert_uint_eq(m.id, 1);
	ck_assert_uint_eq(m.fwd_type, MUX_FWD_DYNAMIC);
	ck_assert_uint_eq(m.listen_port, 1080);
	ck_assert_str_eq(m.connect_host, "socks");
	ck_assert_uint_eq(m.connect_port, 0);
	mux_msg_free(&m);

	decode_hex(HEX_C_FWD_STREAMLOCAL, mux_decode_from_client, &m);
	ck_assert_str_eq(m.listen_host, "/tmp/l.sock");
	ck_assert_uint_eq(m.listen_port, MUX_PORT_STREAMLOCAL);
	ck_assert_str_eq(m.connect_host, "/tmp/r.sock");
	ck_assert_uint_eq(m.connect_port, MUX_PORT_STREAMLOCAL);
	mux_msg_free(&m);

	decode_hex(HEX_C_FWD_REMOTE, mux_decode_from_client, &m);
	ck_assert_uint_eq(m.fwd_type, MUX_FWD_REMOTE);
	ck_assert_uint_eq(m.listen_port, 0);
	ck_assert_str_eq(m.connect_host, "::1");
	ck_assert_uint_eq(m.connect_port, 22);
	mux_msg_free(&m);

	decode_hex(HEX_C_CANCEL_LOCAL, mux_decode_from_client, &m);
	ck_assert_uint_eq(m.type, MUX_C_CLOSE_FWD);
	ck_assert_uint_eq(m.listen_port, 8080);
	mux_msg_free(&m);
}
END_TEST

START_TEST(test_master_bytes_ssh_accepts)
{
	static const struct mux_ext ext[] = {
		{ MUX_EXT_SSHBROKER, (const unsigned char *)"0.1", 3 },
		{ "x@y", (const unsigned char *)"\0\1", 2 },
	};
	struct mux_msg m;

	assert_encodes_to(&(struct mux_msg){ .type = MUX_MSG_HELLO,
	    .version = MUX_PROTOCOL_VERSION }, HEX_S_HELLO);
	assert_encodes_to(&(struct mux_msg){ .type = MUX_MSG_HELLO,
	    .version = MUX_PROTOCOL_VERSION, .exts = ext, .n_exts = 2 },
	    HEX_S_HELLO_EXT);
	assert_encodes_to(&(struct mux_msg){ .type = MUX_S_ALIVE, .id = 0,
	    .pid = 4242 }, HEX_S_ALIVE);
	assert_encodes_to(&(struct mux_msg){ .type = MUX_S_SESSION_OPENED,
	    .id = 1, .session_id = 7 }, HEX_S_OPENED);
	assert_encodes_to(&(struct mux_msg){ .type = MUX_S_EXIT_MESSAGE,
	    .session_id = 7, .exit_status = 42 }, HEX_S_EXIT);
	assert_encodes_to(&(struct mux_msg){ .type = MUX_S_TTY_ALLOC_FAIL,
	    .session_id = 7 }, HEX_S_TTY_FAIL);
	assert_encodes_to(&(struct mux_msg){ .type = MUX_S_OK }, HEX_S_OK);
	assert_encodes_to(&(struct mux_msg){ .type = MUX_S_PROXY }, HEX_S_PROXY);
	assert_encodes_to(&(struct mux_msg){ .type = MUX_S_FAILURE,
	    .reason = "nope" }, HEX_S_FAILURE);

	/* and our CLI reads them back */
	decode_hex(HEX_S_HELLO_EXT, mux_decode_from_master, &m);
	ck_assert_uint_eq(m.n_exts, 2);
	ck_assert_ptr_nonnull(mux_hello_find_ext(&m, MUX_EXT_SSHBROKER));
	ck_assert_str_eq((const char *)
	    mux_hello_find_ext(&m, MUX_EXT_SSHBROKER)->value, "0.1");
	ck_assert_uint_eq(mux_hello_find_ext(&m, "x@y")->value_len, 2);
	ck_assert_ptr_null(mux_hello_find_ext(&m, "y@x"));
	mux_msg_free(&m);
	decode_hex(HEX_S_EXIT, mux_decode_from_master, &m);
	ck_assert_uint_eq(m.session_id, 7);
	ck_assert_uint_eq(m.exit_status, 42);
	mux_msg_free(&m);
	decode_hex(HEX_S_FAILURE, mux_decode_from_master, &m);
	ck_assert_str_eq(m.reason, "nope");
	mux_msg_free(&m);
}
END_TEST

/* ---- one sample of every message, for round trips and sweeps */

static const char *const sample_env[] = { "LANG=C", "A=", "", NULL };
static const char *const sample_argv[] = {
	"-F", "/x/cfg", "-J", "bastion", "-o", "User=me", "web1", NULL
};
static const char *const sample_argv1[] = { "db", NULL };
static const struct mux_ext sample_ext[] = {
	{ MUX_EXT_SSHBROKER, (const unsigned char *)PACKAGE_VERSION,
	    sizeof(PACKAGE_VERSION) - 1 },
	{ "empty@x", NULL, 0 },
};

static const struct mux_msg samples[] = {
	{ .type = MUX_MSG_HELLO, .version = 4 },
	{ .type = MUX_MSG_HELLO, .version = 4, .exts = sample_ext,
	    .n_exts = 2 },
	{ .type = MUX_C_NEW_SESSION, .id = 3, .reserved =
	    (const unsigned char *)"r\0s", .reserved_len = 3, .want_tty = 1,
	    .want_x11 = 0, .want_agent = 1, .subsystem = 0,
	    .escape_char = '~', .term = "xterm", .command = "uptime",
	    .env = sample_env, .n_env = 3 },
	{ .type = MUX_C_NEW_SESSION, .id = 4, .escape_char = MUX_ESCAPE_NONE,
	    .term = "", .command = "" },
	{ .type = MUX_C_ALIVE_CHECK, .id = 5 },
	{ .type = MUX_C_TERMINATE, .id = 6 },
	{ .type = MUX_C_OPEN_FWD, .id = 7, .fwd_type = MUX_FWD_LOCAL,
	    .listen_host = "127.0.0.1", .listen_port = 8080,
	    .connect_host = "web", .connect_port = 80 },
	{ .type = MUX_C_CLOSE_FWD, .id = 8, .fwd_type = MUX_FWD_REMOTE,
	    .listen_host = "/tmp/s", .listen_port = MUX_PORT_STREAMLOCAL,
	    .connect_host = "", .connect_port = 65535 },
	{ .type = MUX_C_NEW_STDIO_FWD, .id = 9, .host = "db", .port = 5432 },
	{ .type = MUX_C_STOP_LISTENING, .id = 10 },
	{ .type = MUX_C_PROXY, .id = 11 },
	{ .type = MUX_S_OK, .id = 12 },
	{ .type = MUX_S_PERMISSION_DENIED, .id = 13, .reason = "no" },
	{ .type = MUX_S_FAILURE, .id = 14, .reason = "not supported" },
	{ .type = MUX_S_EXIT_MESSAGE, .session_id = 15, .exit_status = 255 },
	{ .type = MUX_S_ALIVE, .id = 16, .pid = 99999 },
	{ .type = MUX_S_SESSION_OPENED, .id = 17, .session_id = 1 },
	{ .type = MUX_S_REMOTE_PORT, .id = 18, .port = 40000 },
	{ .type = MUX_S_TTY_ALLOC_FAIL, .session_id = 19 },
	{ .type = MUX_S_PROXY, .id = 20 },
	{ .type = MUX_C_EXT_SELECT, .id = 21, .argv = sample_argv, .argc = 7 },
	{ .type = MUX_C_EXT_STATUS, .id = 22, .format = "yaml" },
	{ .type = MUX_C_EXT_RESOLVE, .id = 23, .argv = sample_argv,
	    .argc = 7 },
	{ .type = MUX_C_EXT_CLOSE, .id = 24, .argv = sample_argv1, .argc = 1 },
	{ .type = MUX_C_EXT_PREWARM, .id = 25, .argv = sample_argv1,
	    .argc = 1 },
	{ .type = MUX_C_EXT_STOP, .id = 26 },
	{ .type = MUX_C_EXT_ANSWER, .id = 27, .given = 1,
	    .answer = "correct horse" },
	{ .type = MUX_C_EXT_ANSWER, .id = 28, .given = 0, .answer = "" },
	{ .type = MUX_S_EXT_TEXT, .id = 29, .text = "host web1\nuser me\n" },
	{ .type = MUX_S_EXT_PROMPT, .id = 30,
	    .prompt = "Enter passphrase for key '/k': ", .echo = 0 },
	{ .type = MUX_S_EXT_PROMPT, .id = 31, .prompt = "Are you sure (yes/no)? ",
	    .echo = 1 },
	{ .type = MUX_S_EXT_MESSAGE, .text = "Warning: added web1" },
	{ .type = MUX_S_EXT_TTY, .id = 32, .session_id = 7 },
};
#define N_SAMPLES (sizeof(samples) / sizeof(samples[0]))

static int
sent_by_master(uint32_t type)
{
	return (type & 0x80000000u) != 0;
}

static decoder
decoder_for(uint32_t type)
{
	return sent_by_master(type) ? mux_decode_from_master :
	    mux_decode_from_client;
}

/* The frame of samples[i], malloc'ed. */
static unsigned char *
sample_frame(size_t i, size_t *lenp)
{
	struct buf *b = buf_new(0);
	unsigned char *p;

	ck_assert_int_eq(mux_encode(b, &samples[i]), ERR_OK);
	*lenp = buf_len(b);
	p = malloc(*lenp);
	ck_assert_ptr_nonnull(p);
	memcpy(p, buf_ptr(b), *lenp);
	buf_free(b);
	return p;
}

/* decode(payload) either fails or re-encodes to exactly payload. */
static int
decode_is_canonical(decoder dec, const unsigned char *p, size_t len,
    int *okp)
{
	struct mux_msg m;
	struct buf *b;
	const char *reason = NULL;
	int r, same;

	r = dec(p, len, &m, &reason);
	*okp = r == ERR_OK;
	if (r != ERR_OK) {
		/* every failure says why; the message owns nothing */
		ck_assert_ptr_nonnull(reason);
		ck_assert_ptr_null(m.storage_.head);
		ck_assert_ptr_null(m.secret_);
		return 1;
	}
	b = buf_new(0);
	ck_assert_int_eq(mux_encode(b, &m), ERR_OK);
	same = buf_len(b) == len + 4 &&
	    memcmp(buf_ptr(b) + 4, p, len) == 0;
	buf_free(b);
	mux_msg_free(&m);
	return same;
}

START_TEST(test_roundtrip_every_message)
{
	const unsigned char *payload;
	struct mux_msg m, again;
	struct buf *in = buf_new(0), *out;
	const char *reason;
	size_t i, j, len, plen;
	unsigned char *f;

	for (i = 0; i < N_SAMPLES; i++) {
		f = sample_frame(i, &len);
		ck_assert_int_eq(buf_put(in, f, len), ERR_OK);
		ck_assert_int_eq(mux_frame_next(in, &payload, &plen, &reason),
		    ERR_OK);
		ck_assert_int_eq(decoder_for(samples[i].type)(payload, plen,
		    &m, &reason), ERR_OK);
		ck_assert_uint_eq(m.type, samples[i].type);
		ck_assert_uint_eq(m.id, samples[i].id);
		/* re-encoding gives the same frame */
		out = buf_new(0);
		ck_assert_int_eq(mux_encode(out, &m), ERR_OK);
		ck_assert_uint_eq(buf_len(out), len);
		ck_assert_mem_eq(buf_ptr(out), f, len);
		buf_free(out);
		/* the other direction does not send this type */
		if (samples[i].type != MUX_MSG_HELLO) {
			ck_assert_int_eq((sent_by_master(samples[i].type) ?
			    mux_decode_from_client : mux_decode_from_master)(
			    payload, plen, &again, &reason), ERR_NOT_FOUND);
			ck_assert_uint_eq(again.type, samples[i].type);
		}
		ck_assert_str_ne(mux_type_name(m.type), "unknown");
		mux_msg_free(&m);
		free(f);
	}

	/* a few fields, beyond the bytes */
	for (i = 0; i < N_SAMPLES; i++) {
		f = sample_frame(i, &len);
		ck_assert_int_eq(decoder_for(samples[i].type)(f + 4, len - 4,
		    &m, &reason), ERR_OK);
		switch (m.type) {
		case MUX_C_EXT_SELECT:
			ck_assert_uint_eq(m.argc, 7);
			for (j = 0; j < 7; j++)
				ck_assert_str_eq(m.argv[j], sample_argv[j]);
			ck_assert_ptr_null(m.argv[7]);
			break;
		case MUX_C_EXT_ANSWER:
			ck_assert_int_eq(m.given, samples[i].given);
			ck_assert_str_eq(m.answer, samples[i].answer);
			ck_assert_ptr_nonnull(m.secret_);
			break;
		case MUX_S_EXT_PROMPT:
			ck_assert_str_eq(m.prompt, samples[i].prompt);
			ck_assert_int_eq(m.echo, samples[i].echo);
			break;
		case MUX_C_NEW_SESSION:
			ck_assert_uint_eq(m.reserved_len,
			    samples[i].reserved_len);
			ck_assert_uint_eq(m.n_env, samples[i].n_env);
			break;
		case MUX_MSG_HELLO:
			if (m.n_exts == 2) {
				ck_assert_str_eq(m.exts[1].name, "empty@x");
				ck_assert_uint_eq(m.exts[1].value_len, 0);
				ck_assert_str_eq((const char *)
				    mux_hello_find_ext(&m,
				    MUX_EXT_SSHBROKER)->value, PACKAGE_VERSION);
			}
			break;
		}
		mux_msg_free(&m);
		mux_msg_free(&m);       /* zeroed: a second free is harmless */
		free(f);
	}
	mux_msg_free(NULL);
	buf_free(in);
}
END_TEST

/* Every frame of the samples and of the capture. */
static const char *const captured[] = {
	HEX_C_HELLO, HEX_C_ALIVE, HEX_C_TERMINATE, HEX_C_STOP, HEX_C_PROXY,
	HEX_C_SESSION_ENV, HEX_C_SESSION_TTY, HEX_C_SESSION_SUBSYS,
	HEX_C_STDIO_FWD, HEX_C_FWD_LOCAL, HEX_C_FWD_DYNAMIC,
	HEX_C_FWD_STREAMLOCAL, HEX_C_FWD_REMOTE, HEX_C_CANCEL_LOCAL,
	HEX_S_HELLO_EXT, HEX_S_ALIVE, HEX_S_OPENED, HEX_S_EXIT,
	HEX_S_TTY_FAIL, HEX_S_OK, HEX_S_PROXY, HEX_S_FAILURE,
};
#define N_CAPTURED (sizeof(captured) / sizeof(captured[0]))

static unsigned char *
any_frame(size_t k, size_t *lenp)
{
	return k < N_SAMPLES ? sample_frame(k, lenp) :
	    unhex_dup(captured[k - N_SAMPLES], lenp);
}

START_TEST(test_truncation_sweep)
{
	const unsigned char *payload;
	const char *reason;
	struct buf *in;
	unsigned char *f;
	size_t k, cut, len, plen;
	uint32_t type;
	int ok;

	for (k = 0; k < N_SAMPLES + N_CAPTURED; k++) {
		f = any_frame(k, &len);
		type = buf_peek_u32_raw(f + 4);
		/* the stream cut short: ERR_AGAIN, nothing consumed */
		for (cut = 0; cut < len; cut++) {
			in = buf_new(0);
			ck_assert_int_eq(buf_put(in, f, cut), ERR_OK);
			ck_assert_int_eq(mux_frame_next(in, &payload, &plen,
			    &reason), ERR_AGAIN);
			ck_assert_uint_eq(buf_len(in), cut);
			buf_free(in);
		}
		/* the payload cut short (the length fixed to match): an
		 * error, unless the cut falls between items of a list that
		 * runs to the end, and then it re-encodes exactly */
		for (cut = 0; cut < len - 4; cut++) {
			ck_assert_msg(decode_is_canonical(decoder_for(type),
			    f + 4, cut, &ok), "frame %zu cut at %zu", k, cut);
			if (ok)
				ck_assert(type == MUX_MSG_HELLO ||
				    type == MUX_C_NEW_SESSION);
		}
		free(f);
	}
}
END_TEST

START_TEST(test_bitflip_sweep)
{
	unsigned char *f;
	size_t k, i, len;
	uint32_t type;
	int bit, ok;

	for (k = 0; k < N_SAMPLES + N_CAPTURED; k++) {
		f = any_frame(k, &len);
		type = buf_peek_u32_raw(f + 4);
		for (i = 4; i < len; i++) {
			for (bit = 0; bit < 8; bit++) {
				f[i] ^= (unsigned char)(1u << bit);
				ck_assert_msg(decode_is_canonical(
				    decoder_for(type), f + 4, len - 4, &ok),
				    "frame %zu byte %zu bit %d", k, i, bit);
				ck_assert_msg(decode_is_canonical(
				    decoder_for(type ^ 0x80000000u), f + 4,
				    len - 4, &ok),
				    "frame %zu byte %zu bit %d", k, i, bit);
				f[i] ^= (unsigned char)(1u << bit);
			}
		}
		free(f);
	}
}
END_TEST

/* Every frame fed one byte at a time, back to back, comes out whole. */
START_TEST(test_stream_byte_at_a_time)
{
	struct buf *all = buf_new(0), *in = buf_new_secret(0);
	const unsigned char *payload, *p;
	const char *reason;
	struct mux_msg m;
	unsigned char *f;
	size_t k, len, plen, n_frames = 0, off = 0;
	int r;

	for (k = 0; k < N_SAMPLES + N_CAPTURED; k++) {
		f = any_frame(k, &len);
		ck_assert_int_eq(buf_put(all, f, len), ERR_OK);
		free(f);
	}
	p = buf_ptr(all);
	for (off = 0; off < buf_len(all); off++) {
		ck_assert_int_eq(buf_put(in, p + off, 1), ERR_OK);
		while ((r = mux_frame_next(in, &payload, &plen,
		    &reason)) == ERR_OK) {
			ck_assert_int_eq(decoder_for(buf_peek_u32_raw(
			    payload))(payload, plen, &m, &reason), ERR_OK);
			mux_msg_free(&m);
			n_frames++;
		}
		ck_assert_int_eq(r, ERR_AGAIN);
	}
	ck_assert_uint_eq(n_frames, N_SAMPLES + N_CAPTURED);
	ck_assert_uint_eq(buf_len(in), 0);
	buf_free(in);
	buf_free(all);
}
END_TEST

/* ---- hostile input */

START_TEST(test_frame_lengths)
{
	static const unsigned char huge[] = { 0xff, 0xff, 0xff, 0xff };
	static const unsigned char over[] = { 0x00, 0x04, 0x00, 0x01 };
	static const unsigned char max[] = { 0x00, 0x04, 0x00, 0x00 };
	static const unsigned char tiny[] = { 0x00, 0x00, 0x00, 0x03 };
	static const unsigned char zero[] = { 0x00, 0x00, 0x00, 0x00 };
	const unsigned char *payload;
	const char *reason;
	struct buf *in = buf_new(0);
	unsigned char *dst;
	size_t plen;
	struct mux_msg m;

	/* 4 GiB announced: refused on its four length bytes alone, so the
	 * caller never buffers (or allocates for) any of it */
	ck_assert_int_eq(buf_put(in, huge, 4), ERR_OK);
	ck_assert_int_eq(mux_frame_next(in, &payload, &plen, &reason),
	    ERR_PROTOCOL);
	ck_assert(err_is_fatal(ERR_PROTOCOL));
	ck_assert_str_eq(reason, "frame length over 256 KiB");
	ck_assert_uint_eq(buf_len(in), 4);
	ck_assert_ptr_null(payload);
	buf_reset(in);
	ck_assert_int_eq(buf_put(in, over, 4), ERR_OK);
	ck_assert_int_eq(mux_frame_next(in, &payload, &plen, &reason),
	    ERR_PROTOCOL);
	buf_reset(in);
	ck_assert_int_eq(buf_put(in, tiny, 4), ERR_OK);
	ck_assert_int_eq(mux_frame_next(in, &payload, &plen, &reason),
	    ERR_PROTOCOL);
	ck_assert_str_eq(reason, "frame shorter than a message type");
	buf_reset(in);
	ck_assert_int_eq(buf_put(in, zero, 4), ERR_OK);
	ck_assert_int_eq(mux_frame_next(in, &payload, &plen, NULL),
	    ERR_PROTOCOL);

	/* exactly 256 KiB is a frame: waits for it, then hands it out */
	buf_reset(in);
	ck_assert_int_eq(buf_put(in, max, 4), ERR_OK);
	ck_assert_int_eq(mux_frame_next(in, &payload, &plen, &reason),
	    ERR_AGAIN);
	ck_assert_int_eq(buf_reserve(in, MUX_FRAME_MAX - 1, &dst), ERR_OK);
	memset(dst, 'x', MUX_FRAME_MAX - 1);
	ck_assert_int_eq(mux_frame_next(in, &payload, &plen, &reason),
	    ERR_AGAIN);
	ck_assert_int_eq(buf_put_u8(in, 'x'), ERR_OK);
	ck_assert_int_eq(mux_frame_next(in, &payload, &plen, &reason),
	    ERR_OK);
	ck_assert_uint_eq(plen, MUX_FRAME_MAX);
	ck_assert_int_eq(mux_decode_from_client(payload, plen, &m, &reason),
	    ERR_NOT_FOUND);
	ck_assert_uint_eq(m.type, 0x78787878);
	ck_assert_uint_eq(m.id, 0x78787878);
	ck_assert_int_eq(mux_decode_from_client(payload, plen + 1, &m,
	    &reason), ERR_TOO_LONG);
	buf_free(in);
}
END_TEST

START_TEST(test_trailing_bytes)
{
	struct mux_msg m;
	const char *reason;

	ck_assert_int_eq(decode_payload_hex("1000000400000000" "00", 
	    mux_decode_from_client, &m, &reason), ERR_INVALID_FORMAT);
	ck_assert_str_eq(reason,
	    "MUX_C_ALIVE_CHECK: bytes after the last field");
	ck_assert_uint_eq(m.type, MUX_C_ALIVE_CHECK);
	ck_assert_int_eq(decode_payload_hex("80000004" "00000007" "0000002a"
	    "00000000", mux_decode_from_master, &m, &reason),
	    ERR_INVALID_FORMAT);
	ck_assert_str_eq(reason,
	    "MUX_S_EXIT_MESSAGE: bytes after the last field");
	/* argv's count is exact: one string too many is trailing */
	ck_assert_int_eq(decode_payload_hex("5b000001" "00000001" "00000001"
	    "00000002" "6462" "00000000", mux_decode_from_client, &m, &reason),
	    ERR_INVALID_FORMAT);
	ck_assert_str_eq(reason, "MUX_C_EXT_SELECT: bytes after the last field");
	/* HELLO: a name with no value */
	ck_assert_int_eq(decode_payload_hex("00000001" "00000004"
	    "0000000161", mux_decode_from_client, &m, &reason),
	    ERR_INVALID_FORMAT);
	ck_assert_str_eq(reason, "MUX_MSG_HELLO: an extension runs past the end");
	/* three bytes where an environment string's length should be */
	ck_assert_int_eq(decode_payload_hex("10000002" "00000001" "00000000"
	    "00000000" "00000000" "00000000" "00000000" "ffffffff" "00000000"
	    "00000000" "000000", mux_decode_from_client, &m, &reason),
	    ERR_INVALID_FORMAT);
	ck_assert_str_eq(reason,
	    "MUX_C_NEW_SESSION: an environment string runs past the end");
	ck_assert_int_eq(decode_payload_hex("", mux_decode_from_client, &m,
	    &reason), ERR_INVALID_FORMAT);
	ck_assert_str_eq(reason, "message shorter than its type");
}
END_TEST

/* A NEW_SESSION payload with n environment strings "V=1". */
static struct buf *
session_with_env(size_t n)
{
	struct buf *b = buf_new(0);
	size_t i;

	ck_assert_int_eq(buf_put_u32(b, MUX_C_NEW_SESSION), ERR_OK);
	ck_assert_int_eq(buf_put_u32(b, 1), ERR_OK);
	ck_assert_int_eq(buf_put_cstring(b, ""), ERR_OK);
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(buf_put_u32(b, 0), ERR_OK);
	ck_assert_int_eq(buf_put_cstring(b, "xterm"), ERR_OK);
	ck_assert_int_eq(buf_put_cstring(b, "true"), ERR_OK);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(buf_put_cstring(b, "V=1"), ERR_OK);
	return b;
}

START_TEST(test_env_limit)
{
	const char **env;
	struct mux_msg m, enc;
	const char *reason;
	struct buf *b, *out;
	size_t i;

	b = session_with_env(MUX_MAX_ENV);
	ck_assert_int_eq(mux_decode_from_client(buf_ptr(b), buf_len(b), &m,
	    &reason), ERR_OK);
	ck_assert_uint_eq(m.n_env, MUX_MAX_ENV);
	mux_msg_free(&m);
	buf_free(b);

	b = session_with_env(MUX_MAX_ENV + 1);
	ck_assert_int_eq(mux_decode_from_client(buf_ptr(b), buf_len(b), &m,
	    &reason), ERR_TOO_LONG);
	ck_assert_str_eq(reason,
	    "MUX_C_NEW_SESSION: more than 4096 environment strings");
	ck_assert_uint_eq(m.type, MUX_C_NEW_SESSION);
	ck_assert_uint_eq(m.id, 1);
	ck_assert_uint_eq(m.n_env, 0);
	buf_free(b);

	/* and the encoder will not make one */
	env = calloc(MUX_MAX_ENV + 1, sizeof(*env));
	for (i = 0; i <= MUX_MAX_ENV; i++)
		env[i] = "V=1";
	enc = (struct mux_msg){ .type = MUX_C_NEW_SESSION, .env = env,
	    .n_env = MUX_MAX_ENV + 1 };
	out = buf_new(0);
	ck_assert_int_eq(mux_encode(out, &enc), ERR_INVALID_ARGUMENT);
	ck_assert_uint_eq(buf_len(out), 0);
	enc.n_env = MUX_MAX_ENV;
	ck_assert_int_eq(mux_encode(out, &enc), ERR_OK);
	free(env);
	buf_free(out);
}
END_TEST

START_TEST(test_counts_and_strings)
{
	struct mux_msg m;
	const char *reason;

	/* argv counts: 0, over the cap, 4 Gi, more than the bytes hold */
	ck_assert_int_eq(decode_payload_hex("5b000001" "00000001" "00000000",
	    mux_decode_from_client, &m, &reason), ERR_INVALID_FORMAT);
	ck_assert_str_eq(reason,
	    "MUX_C_EXT_SELECT: NUL byte in an argument, or no arguments");
	ck_assert_int_eq(decode_payload_hex("5b000003" "00000001" "00000101",
	    mux_decode_from_client, &m, &reason), ERR_TOO_LONG);
	ck_assert_str_eq(reason, "MUX_C_EXT_RESOLVE: more than 256 arguments");
	ck_assert_int_eq(decode_payload_hex("5b000004" "00000001" "ffffffff",
	    mux_decode_from_client, &m, &reason), ERR_TOO_LONG);
	ck_assert_int_eq(decode_payload_hex("5b000005" "00000001" "0000000a"
	    "00000000" "00000000", mux_decode_from_client, &m, &reason),
	    ERR_INVALID_FORMAT);
	ck_assert_str_eq(reason,
	    "MUX_C_EXT_PREWARM: arguments run past the end (count too large?)");
	/* a string length past the end, and one of 2 GiB */
	ck_assert_int_eq(decode_payload_hex("80000003" "00000001" "00000005"
	    "6e6f", mux_decode_from_master, &m, &reason), ERR_INVALID_FORMAT);
	ck_assert_str_eq(reason, "MUX_S_FAILURE: reason runs past the end");
	ck_assert_int_eq(decode_payload_hex("80000003" "00000001" "7fffffff"
	    "6e6f", mux_decode_from_master, &m, &reason), ERR_INVALID_FORMAT);
	/* NUL bytes where C strings are wanted */
	ck_assert_int_eq(decode_payload_hex("10000002" "00000001" "00000000"
	    "00000000" "00000000" "00000000" "00000000" "0000007e"
	    "00000003" "780078" "00000000", mux_decode_from_client, &m,
	    &reason), ERR_INVALID_FORMAT);
	ck_assert_str_eq(reason, "MUX_C_NEW_SESSION: NUL byte in TERM");
	ck_assert_int_eq(decode_payload_hex("5b000001" "00000001" "00000001"
	    "00000002" "6100", mux_decode_from_client, &m, &reason),
	    ERR_INVALID_FORMAT);
	ck_assert_int_eq(decode_payload_hex("5b000007" "00000001" "00000001"
	    "00000003" "610062", mux_decode_from_client, &m, &reason),
	    ERR_INVALID_FORMAT);
	ck_assert_str_eq(reason, "MUX_C_EXT_ANSWER: NUL byte in answer");
	ck_assert_ptr_null(m.secret_);
	/* a NUL in the reserved string is fine: it is opaque */
	ck_assert_int_eq(decode_payload_hex("10000008" "00000001" "00000001"
	    "00" "00000002" "6462" "00000016", mux_decode_from_client, &m,
	    &reason), ERR_OK);
	ck_assert_uint_eq(m.reserved_len, 1);
	mux_msg_free(&m);
}
END_TEST

START_TEST(test_bools_and_ports)
{
	struct mux_msg m;
	const char *reason;

	/* OpenSSH's master takes any non-zero uint32 flag: so do we, and
	 * keep it as sent */
	ck_assert_int_eq(decode_payload_hex("10000002" "00000001" "00000000"
	    "00000002" "ffffffff" "00000000" "80000000" "0000007e"
	    "00000000" "00000000", mux_decode_from_client, &m, &reason),
	    ERR_OK);
	ck_assert_uint_eq(m.want_tty, 2);
	ck_assert_uint_eq(m.want_x11, 0xffffffff);
	ck_assert_uint_eq(m.subsystem, 0x80000000);
	mux_msg_free(&m);
	/* our own bools are strict */
	ck_assert_int_eq(decode_payload_hex("5b000007" "00000001" "00000002"
	    "00000000", mux_decode_from_client, &m, &reason),
	    ERR_INVALID_FORMAT);
	ck_assert_str_eq(reason, "MUX_C_EXT_ANSWER: given flag is neither 0 nor 1");
	ck_assert_int_eq(decode_payload_hex("db000002" "00000001" "00000000"
	    "00000100", mux_decode_from_master, &m, &reason),
	    ERR_INVALID_FORMAT);
	ck_assert_str_eq(reason, "MUX_S_EXT_PROMPT: echo flag is neither 0 nor 1");
	/* ports: 65535 and 0xfffffffe yes, 65536 and 0xffffffff no */
	ck_assert_int_eq(decode_payload_hex("10000008" "00000001" "00000000"
	    "00000001" "68" "0000ffff", mux_decode_from_client, &m, &reason),
	    ERR_OK);
	mux_msg_free(&m);
	ck_assert_int_eq(decode_payload_hex("10000008" "00000001" "00000000"
	    "00000001" "68" "00010000", mux_decode_from_client, &m, &reason),
	    ERR_INVALID_FORMAT);
	ck_assert_str_eq(reason, "MUX_C_NEW_STDIO_FWD: connect port is not a "
	    "port (0-65535 or 0xfffffffe)");
	ck_assert_int_eq(decode_payload_hex("10000006" "00000001" "00000009"
	    "00000000" "ffffffff" "00000000" "00000000",
	    mux_decode_from_client, &m, &reason), ERR_INVALID_FORMAT);
	ck_assert_str_eq(reason, "MUX_C_OPEN_FWD: listen port is not a "
	    "port (0-65535 or 0xfffffffe)");
	/* the forwarding type is the daemon's to judge (OpenSSH answers
	 * an unknown one with a FAILURE, not by closing) */
	ck_assert_int_eq(decode_payload_hex("10000006" "00000001" "00000009"
	    "00000000" "00000001" "00000000" "00000001",
	    mux_decode_from_client, &m, &reason), ERR_OK);
	ck_assert_uint_eq(m.fwd_type, 9);
	mux_msg_free(&m);
}
END_TEST

START_TEST(test_unknown_types)
{
	struct mux_msg m;
	const char *reason;

	/* OpenSSH answers these with MUX_S_FAILURE and the request id */
	ck_assert_int_eq(decode_payload_hex("12345678" "00000009" "ff",
	    mux_decode_from_client, &m, &reason), ERR_NOT_FOUND);
	ck_assert_str_eq(reason, "unknown message type");
	ck_assert_uint_eq(m.type, 0x12345678);
	ck_assert_uint_eq(m.id, 9);
	ck_assert_int_eq(decode_payload_hex("5b0000ff",
	    mux_decode_from_client, &m, &reason), ERR_NOT_FOUND);
	ck_assert_uint_eq(m.id, 0);
	ck_assert_int_eq(decode_payload_hex("80000001" "00000003",
	    mux_decode_from_client, &m, &reason), ERR_NOT_FOUND);
	ck_assert_str_eq(reason, "a master's message from a client");
	ck_assert_uint_eq(m.id, 3);
	ck_assert_int_eq(decode_payload_hex("10000004" "00000003",
	    mux_decode_from_master, &m, &reason), ERR_NOT_FOUND);
	ck_assert_str_eq(reason, "a client's message from a master");
	ck_assert_str_eq(mux_type_name(0x12345678), "unknown");
	ck_assert_str_eq(mux_type_name(MUX_C_EXT_ANSWER), "MUX_C_EXT_ANSWER");
	ck_assert_uint_eq(mux_fds_after(0x12345678), 0);
}
END_TEST

START_TEST(test_encode_refuses)
{
	static const char *const with_null[] = { "a", NULL };
	char *big;
	struct buf *out = buf_new(0), *small = buf_new(16);

	ck_assert_int_eq(buf_put_cstr(out, "kept"), ERR_OK);
	ck_assert_int_eq(mux_encode(out, &(struct mux_msg){
	    .type = 0x12345678 }), ERR_INVALID_ARGUMENT);
	ck_assert_int_eq(mux_encode(out, &(struct mux_msg){
	    .type = MUX_C_EXT_ANSWER, .given = 2 }), ERR_INVALID_ARGUMENT);
	ck_assert_int_eq(mux_encode(out, &(struct mux_msg){
	    .type = MUX_C_NEW_STDIO_FWD, .port = 70000 }),
	    ERR_INVALID_ARGUMENT);
	ck_assert_int_eq(mux_encode(out, &(struct mux_msg){
	    .type = MUX_C_EXT_SELECT }), ERR_INVALID_ARGUMENT);
	ck_assert_int_eq(mux_encode(out, &(struct mux_msg){
	    .type = MUX_C_EXT_SELECT, .argv = with_null, .argc = 2 }),
	    ERR_INVALID_ARGUMENT);
	ck_assert_int_eq(mux_encode(out, &(struct mux_msg){
	    .type = MUX_C_EXT_SELECT, .argc = 1 }), ERR_INVALID_ARGUMENT);
	ck_assert_int_eq(mux_encode(out, &(struct mux_msg){
	    .type = MUX_C_NEW_SESSION, .reserved_len = 1 }),
	    ERR_INVALID_ARGUMENT);
	ck_assert_int_eq(mux_encode(out, &(struct mux_msg){
	    .type = MUX_MSG_HELLO, .n_exts = MUX_MAX_HELLO_EXTS + 1 }),
	    ERR_INVALID_ARGUMENT);
	big = malloc(MUX_FRAME_MAX);
	memset(big, 'y', MUX_FRAME_MAX - 1);
	big[MUX_FRAME_MAX - 1] = '\0';
	ck_assert_int_eq(mux_encode(out, &(struct mux_msg){
	    .type = MUX_S_EXT_TEXT, .text = big }), ERR_TOO_LONG);
	/* the largest text that fits: type, id, string length */
	big[MUX_FRAME_MAX - 12] = '\0';
	ck_assert_int_eq(mux_encode(small, &(struct mux_msg){
	    .type = MUX_S_EXT_TEXT, .text = big }), ERR_TOO_LONG);
	ck_assert_uint_eq(buf_len(small), 0);
	ck_assert_str_eq(buf_cstr(out), "kept");
	ck_assert_int_eq(mux_encode(out, &(struct mux_msg){
	    .type = MUX_S_EXT_TEXT, .text = big }), ERR_OK);
	ck_assert_uint_eq(buf_len(out), 4 + 4 + MUX_FRAME_MAX);
	free(big);
	buf_free(small);
	buf_free(out);
}
END_TEST

/* ---- live: our encoder serving the real ssh */

struct live {
	char dir[64];
	char sock[100];
	int lfd;
	pid_t pid;
};

static char *
find_ssh(void)
{
	const char *path = getenv("PATH");
	char *copy, *dir, *save = NULL, *hit = NULL;
	char cand[4096];

	if (path == NULL)
		path = "/usr/bin:/bin";
	copy = strdup(path);
	for (dir = strtok_r(copy, ":", &save); dir != NULL && hit == NULL;
	    dir = strtok_r(NULL, ":", &save)) {
		snprintf(cand, sizeof(cand), "%s/ssh", dir);
		if (access(cand, X_OK) == 0)
			hit = strdup(cand);
	}
	free(copy);
	return hit;
}

/* Starts ssh with args (after -F /dev/null -S SOCK) and extra
 * environment, its stdout and stderr in files of the directory. */
static int
live_start(struct live *lv, const char *const *args, const char *env)
{
	struct sockaddr_un sa;
	const char *argv[16];
	char *ssh = find_ssh(), path[160];
	size_t n = 0;
	int fd;

	if (ssh == NULL) {
		fprintf(stderr, "check_mux: no ssh in PATH, live test "
		    "skipped\n");
		return 0;
	}
	snprintf(lv->dir, sizeof(lv->dir), "/tmp/check_mux.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(lv->dir));
	snprintf(lv->sock, sizeof(lv->sock), "%s/s", lv->dir);
	lv->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(lv->lfd, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", lv->sock);
	ck_assert_int_eq(bind(lv->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(lv->lfd, 1), 0);
	argv[n++] = "ssh";
	argv[n++] = "-F";
	argv[n++] = "/dev/null";
	argv[n++] = "-S";
	argv[n++] = lv->sock;
	while (*args != NULL && n < 15)
		argv[n++] = *args++;
	argv[n] = NULL;
	lv->pid = fork();
	ck_assert_int_ge(lv->pid, 0);
	if (lv->pid == 0) {
		if ((fd = open("/dev/null", O_RDONLY)) >= 0)
			dup2(fd, 0);
		snprintf(path, sizeof(path), "%s/out", lv->dir);
		if ((fd = open(path, O_WRONLY | O_CREAT, 0600)) >= 0)
			dup2(fd, 1);
		snprintf(path, sizeof(path), "%s/err", lv->dir);
		if ((fd = open(path, O_WRONLY | O_CREAT, 0600)) >= 0)
			dup2(fd, 2);
		if (env != NULL)
			putenv((char *)(uintptr_t)env);
		execv(ssh, (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	free(ssh);
	return 1;
}

/* Reads from fd into in, collecting passed fds in order; 0 at EOF. */
static int
live_read(int fd, struct buf *in, int *fds, size_t *n_fds)
{
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(4 * sizeof(int))];
	} c;
	unsigned char data[4096];
	struct msghdr mh;
	struct iovec iov = { data, sizeof(data) };
	struct cmsghdr *cm;
	struct pollfd p = { fd, POLLIN, 0 };
	size_t i, k;
	ssize_t got;

	ck_assert_int_eq(poll(&p, 1, 10000), 1);
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = c.space;
	mh.msg_controllen = sizeof(c.space);
	got = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	ck_assert_int_ge(got, 0);
	for (cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < k && *n_fds < 8; i++)
			memcpy(&fds[(*n_fds)++],
			    CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
	}
	ck_assert_int_eq(buf_put(in, data, (size_t)got), ERR_OK);
	return got > 0;
}

static void
live_send(int fd, const struct mux_msg *m)
{
	struct buf *out = buf_new(0);

	ck_assert_int_eq(mux_encode(out, m), ERR_OK);
	ck_assert_int_eq(write(fd, buf_ptr(out), buf_len(out)),
	    (ssize_t)buf_len(out));
	buf_free(out);
}

/*
 * Serves one client as a master would: our HELLO (with our extension,
 * which ssh must skip), ALIVE with pid 4242, OK to TERMINATE and
 * STOP_LISTENING; a session gets SESSION_OPENED, "from master" on its
 * stdout, TTY_ALLOC_FAIL and EXIT_MESSAGE 42; a stdio forward gets
 * SESSION_OPENED and "fwd" on its stdout.  After a session or a
 * forward, or when the client hangs up between frames, the connection
 * closes.  *last is the last request decoded (caller frees).
 */
static void
live_serve(struct live *lv, struct mux_msg *last)
{
	static const struct mux_ext ours = { MUX_EXT_SSHBROKER,
	    (const unsigned char *)PACKAGE_VERSION,
	    sizeof(PACKAGE_VERSION) - 1 };
	struct buf *in = buf_new_secret(0);
	const unsigned char *payload;
	const char *reason;
	struct pollfd p = { lv->lfd, POLLIN, 0 };
	int fd, fds[8], done = 0, r;
	size_t plen, n_fds = 0, i;
	unsigned int want;

	memset(last, 0, sizeof(*last));
	ck_assert_int_eq(poll(&p, 1, 10000), 1);
	fd = accept(lv->lfd, NULL, NULL);
	ck_assert_int_ge(fd, 0);
	live_send(fd, &(struct mux_msg){ .type = MUX_MSG_HELLO,
	    .version = MUX_PROTOCOL_VERSION, .exts = &ours, .n_exts = 1 });
	while (!done) {
		while ((r = mux_frame_next(in, &payload, &plen, &reason)) ==
		    ERR_AGAIN && !done)
			done = !live_read(fd, in, fds, &n_fds);
		if (done) {
			ck_assert_uint_eq(buf_len(in), 0);
			break;
		}
		ck_assert_int_eq(r, ERR_OK);
		mux_msg_free(last);
		r = mux_decode_from_client(payload, plen, last, &reason);
		ck_assert_msg(r == ERR_OK, "%s", reason);
		/* the one-byte payloads that carried the descriptors */
		want = mux_fds_after(last->type);
		while (buf_len(in) < want || n_fds < want)
			ck_assert(live_read(fd, in, fds, &n_fds));
		for (i = 0; i < want; i++)
			ck_assert_int_eq(buf_ptr(in)[i], 0);
		ck_assert_int_eq(buf_consume(in, want), ERR_OK);
		switch (last->type) {
		case MUX_MSG_HELLO:
			ck_assert_uint_eq(last->version, MUX_PROTOCOL_VERSION);
			break;
		case MUX_C_ALIVE_CHECK:
			live_send(fd, &(struct mux_msg){ .type = MUX_S_ALIVE,
			    .id = last->id, .pid = 4242 });
			break;
		case MUX_C_TERMINATE:
		case MUX_C_STOP_LISTENING:
			live_send(fd, &(struct mux_msg){ .type = MUX_S_OK,
			    .id = last->id });
			break;
		case MUX_C_NEW_SESSION:
			ck_assert_uint_eq(n_fds, 3);
			live_send(fd, &(struct mux_msg){
			    .type = MUX_S_SESSION_OPENED, .id = last->id,
			    .session_id = 7 });
			ck_assert_int_eq(write(fds[1], "from master\n", 12),
			    12);
			live_send(fd, &(struct mux_msg){
			    .type = MUX_S_TTY_ALLOC_FAIL, .session_id = 7 });
			live_send(fd, &(struct mux_msg){
			    .type = MUX_S_EXIT_MESSAGE, .session_id = 7,
			    .exit_status = 42 });
			done = 1;
			break;
		case MUX_C_NEW_STDIO_FWD:
			ck_assert_uint_eq(n_fds, 2);
			live_send(fd, &(struct mux_msg){
			    .type = MUX_S_SESSION_OPENED, .id = last->id,
			    .session_id = 8 });
			ck_assert_int_eq(write(fds[1], "fwd\n", 4), 4);
			done = 1;
			break;
		default:
			ck_abort_msg("unexpected %s", mux_type_name(last->type));
		}
	}
	for (i = 0; i < n_fds; i++)
		close(fds[i]);
	close(fd);
	buf_free(in);
}

/* Waits for ssh; returns its exit status and (malloc'ed) stderr/out. */
static int
live_finish(struct live *lv, char **errp, char **outp)
{
	char path[160], *s[2];
	const char *names[2] = { "err", "out" };
	FILE *f;
	long n;
	int st, i;

	ck_assert_int_eq(waitpid(lv->pid, &st, 0), lv->pid);
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", lv->dir, names[i]);
		f = fopen(path, "r");
		ck_assert_ptr_nonnull(f);
		s[i] = calloc(1, 4096);
		n = (long)fread(s[i], 1, 4095, f);
		ck_assert_int_ge(n, 0);
		fclose(f);
		unlink(path);
	}
	close(lv->lfd);
	unlink(lv->sock);
	rmdir(lv->dir);
	*errp = s[0];
	*outp = s[1];
	ck_assert(WIFEXITED(st));
	return WEXITSTATUS(st);
}

START_TEST(test_live_check_and_exit)
{
	static const char *const check[] = { "-O", "check", "web1", NULL };
	static const char *const exit_[] = { "-O", "exit", "web1", NULL };
	static const char *const stop[] = { "-O", "stop", "web1", NULL };
	struct live lv;
	struct mux_msg last;
	char *err, *out;

	if (!live_start(&lv, check, NULL))
		return;
	live_serve(&lv, &last);
	ck_assert_int_eq(live_finish(&lv, &err, &out), 0);
	ck_assert_ptr_nonnull(strstr(err, "Master running (pid=4242)"));
	free(err);
	free(out);
	mux_msg_free(&last);

	ck_assert(live_start(&lv, exit_, NULL));
	live_serve(&lv, &last);
	ck_assert_int_eq(live_finish(&lv, &err, &out), 0);
	ck_assert_ptr_nonnull(strstr(err, "Exit request sent."));
	ck_assert_uint_eq(last.type, MUX_C_TERMINATE);
	free(err);
	free(out);
	mux_msg_free(&last);

	ck_assert(live_start(&lv, stop, NULL));
	live_serve(&lv, &last);
	ck_assert_int_eq(live_finish(&lv, &err, &out), 0);
	ck_assert_ptr_nonnull(strstr(err, "Stop listening request sent."));
	ck_assert_uint_eq(last.type, MUX_C_STOP_LISTENING);
	free(err);
	free(out);
	mux_msg_free(&last);
}
END_TEST

START_TEST(test_live_session)
{
	static const char *const args[] = { "-o", "SendEnv=SBTEST",
	    "-o", "SetEnv=X=1", "web1", "echo", "hi", NULL };
	struct live lv;
	struct mux_msg m;
	char *err, *out;

	if (!live_start(&lv, args, "SBTEST=yes"))
		return;
	live_serve(&lv, &m);
	ck_assert_uint_eq(m.type, MUX_C_NEW_SESSION);
	ck_assert_uint_eq(m.id, 1);
	ck_assert_str_eq(m.command, "echo hi");
	ck_assert_uint_eq(m.n_env, 2);
	ck_assert_str_eq(m.env[0], "SBTEST=yes");
	ck_assert_str_eq(m.env[1], "X=1");
	mux_msg_free(&m);
	/* the exit status ssh exits with is the one we sent */
	ck_assert_int_eq(live_finish(&lv, &err, &out), 42);
	ck_assert_str_eq(out, "from master\n");
	free(err);
	free(out);
}
END_TEST

START_TEST(test_live_stdio_fwd)
{
	static const char *const args[] = { "-W", "db.internal:5432", "web1",
	    NULL };
	struct live lv;
	struct mux_msg m;
	char *err, *out;

	if (!live_start(&lv, args, NULL))
		return;
	live_serve(&lv, &m);
	ck_assert_uint_eq(m.type, MUX_C_NEW_STDIO_FWD);
	ck_assert_str_eq(m.host, "db.internal");
	ck_assert_uint_eq(m.port, 5432);
	mux_msg_free(&m);
	/* no EXIT_MESSAGE for a stdio forward: the close is the end */
	ck_assert_int_eq(live_finish(&lv, &err, &out), 0);
	ck_assert_str_eq(out, "fwd\n");
	free(err);
	free(out);
}
END_TEST

static Suite *
mux_suite(void)
{
	Suite *s = suite_create("mux");
	TCase *tc = tcase_create("codec"), *live = tcase_create("live");

	tcase_add_test(tc, test_ssh_simple_requests);
	tcase_add_test(tc, test_ssh_new_session);
	tcase_add_test(tc, test_ssh_stdio_fwd);
	tcase_add_test(tc, test_ssh_forwards);
	tcase_add_test(tc, test_master_bytes_ssh_accepts);
	tcase_add_test(tc, test_roundtrip_every_message);
	tcase_add_test(tc, test_truncation_sweep);
	tcase_add_test(tc, test_bitflip_sweep);
	tcase_add_test(tc, test_stream_byte_at_a_time);
	tcase_add_test(tc, test_frame_lengths);
	tcase_add_test(tc, test_trailing_bytes);
	tcase_add_test(tc, test_env_limit);
	tcase_add_test(tc, test_counts_and_strings);
	tcase_add_test(tc, test_bools_and_ports);
	tcase_add_test(tc, test_unknown_types);
	tcase_add_test(tc, test_encode_refuses);
	suite_add_tcase(s, tc);
	tcase_add_test(live, test_live_check_and_exit);
	tcase_add_test(live, test_live_session);
	tcase_add_test(live, test_live_stdio_fwd);
	suite_add_tcase(s, live);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(mux_suite());
	int failed;

	/* a peer that goes away must fail a test, not kill the runner */
	signal(SIGPIPE, SIG_IGN);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
