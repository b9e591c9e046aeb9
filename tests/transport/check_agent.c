/*
 * Tests for src/transport/agent.c.
 *
 * "codec" feeds hand-built bytes: requests must encode byte for byte as
 * draft-miller-ssh-agent says, replies must parse the same whatever the
 * fragmentation, every truncation must read as "need more", and hostile
 * replies must kill the object.
 *
 * "ssh-agent" talks to OpenSSH's real agent: main() generates keys, starts
 * `ssh-agent -D -a DIR/sock` under a watchdog process and loads three keys
 * with ssh-add; the forked tests connect to the socket, list and sign
 * through the codec and verify the signatures with hostkey_verify().  The
 * watchdog kills the agent when the write end of its pipe closes, which
 * happens when main() is done and also when this program dies any other
 * way, so no agent outlives a failed run.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/base64.h"
#include "common/buf.h"
#include "common/err.h"
#include "transport/agent.h"
#include "transport/kexalg.h"

#define MAX_LEN (256u * 1024)

/* ---- helpers for building agent messages */

/* A frame: uint32 length, type, then the unread bytes of fields (may be
 * NULL).  Caller frees. */
static struct buf *
frame_new(unsigned char type, const struct buf *fields)
{
	struct buf *f = buf_new(0);
	size_t flen = fields != NULL ? buf_len(fields) : 0;

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(buf_put_u32(f, (uint32_t)(1 + flen)), ERR_OK);
	ck_assert_int_eq(buf_put_u8(f, type), ERR_OK);
	if (flen > 0)
		ck_assert_int_eq(buf_put(f, buf_ptr(fields), flen), ERR_OK);
	return f;
}

struct sample_id {
	const unsigned char *blob;
	size_t blob_len;
	const char *comment;
};

/* Blobs are opaque to the codec: NULs inside are fine. */
static const unsigned char blob1[] = { 0, 0, 0, 3, 'k', 'e', 'y', 0, 1 };
static const unsigned char blob2[] = { 0xff };
static const unsigned char blob3[] = { 'x', 'y', 'z', 0 };
static const struct sample_id sample_ids[] = {
	{ blob1, sizeof(blob1), "first key" },
	{ blob2, sizeof(blob2), "" },
	{ blob3, sizeof(blob3), "user@host" },
};
#define N_SAMPLE_IDS (sizeof(sample_ids) / sizeof(sample_ids[0]))

static struct buf *
ids_answer_new(const struct sample_id *ids, size_t n)
{
	struct buf *fields = buf_new(0), *f;
	size_t i;

	ck_assert_ptr_nonnull(fields);
	ck_assert_int_eq(buf_put_u32(fields, (uint32_t)n), ERR_OK);
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(buf_put_string(fields, ids[i].blob,
		    ids[i].blob_len), ERR_OK);
		ck_assert_int_eq(buf_put_cstring(fields, ids[i].comment),
		    ERR_OK);
	}
	f = frame_new(12, fields);
	buf_free(fields);
	return f;
}

/* The signature blob (string alg, string sig) of sample_sign_new(). */
static struct buf *
sample_sig_new(void)
{
	unsigned char raw[64];
	struct buf *sig = buf_new(0);

	ck_assert_ptr_nonnull(sig);
	memset(raw, 0x5a, sizeof(raw));
	raw[0] = 0;
	ck_assert_int_eq(buf_put_cstring(sig, "ssh-ed25519"), ERR_OK);
	ck_assert_int_eq(buf_put_string(sig, raw, sizeof(raw)), ERR_OK);
	return sig;
}

static struct buf *
sign_response_new(void)
{
	struct buf *sig = sample_sig_new(), *fields = buf_new(0), *f;

	ck_assert_ptr_nonnull(fields);
	ck_assert_int_eq(buf_put_stringb(fields, sig), ERR_OK);
	f = frame_new(14, fields);
	buf_free(fields);
	buf_free(sig);
	return f;
}

static void
assert_sample_ids(const struct agent_reply *rep, const struct sample_id *ids,
    size_t n)
{
	size_t i;

	ck_assert_int_eq(rep->type, AGENT_REPLY_IDENTITIES);
	ck_assert_uint_eq(rep->n_identities, n);
	for (i = 0; i < n; i++) {
		ck_assert_uint_eq(rep->identities[i].blob_len,
		    ids[i].blob_len);
		ck_assert_mem_eq(rep->identities[i].blob, ids[i].blob,
		    ids[i].blob_len);
		ck_assert_str_eq(rep->identities[i].comment, ids[i].comment);
	}
}

static void
assert_sample_sig(const struct agent_reply *rep)
{
	struct buf *sig = sample_sig_new();

	ck_assert_int_eq(rep->type, AGENT_REPLY_SIGNATURE);
	ck_assert_uint_eq(rep->signature_len, buf_len(sig));
	ck_assert_mem_eq(rep->signature, buf_ptr(sig), buf_len(sig));
	buf_free(sig);
}

static void
assert_output(const struct agent *a, const struct buf *want)
{
	const unsigned char *p;
	size_t len;

	agent_output(a, &p, &len);
	ck_assert_uint_eq(len, buf_len(want));
	ck_assert_mem_eq(p, buf_ptr(want), len);
}

static void
assert_no_reply(struct agent *a)
{
	struct agent_reply rep;

	ck_assert_int_eq(agent_next_reply(a, &rep), ERR_OK);
	ck_assert_int_eq(rep.type, AGENT_REPLY_NONE);
}

/* A deterministic generator for chunk sizes (a 64-bit LCG, high bits). */
static uint32_t
lcg_next(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(*s >> 33);
}

static void assert_dead(struct agent *a, int want);

/* ---- requests */

START_TEST(test_encode_identities)
{
	static const unsigned char want[] = { 0, 0, 0, 1, 11 };
	struct agent *a = agent_new();
	struct buf *w = buf_new_view(want, sizeof(want)), *two = buf_new(0);
	const unsigned char *p;
	size_t len;

	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(w);
	ck_assert_ptr_nonnull(two);
	agent_output(a, &p, &len);
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(agent_request_identities(a), ERR_OK);
	assert_output(a, w);
	/* consumed piecewise, the rest stays */
	agent_output_consume(a, 2);
	agent_output(a, &p, &len);
	ck_assert_uint_eq(len, 3);
	ck_assert_mem_eq(p, want + 2, 3);
	agent_output_consume(a, 3);
	agent_output(a, &p, &len);
	ck_assert_uint_eq(len, 0);
	/* two requests queue back to back */
	ck_assert_int_eq(agent_request_identities(a), ERR_OK);
	ck_assert_int_eq(agent_request_identities(a), ERR_OK);
	ck_assert_int_eq(buf_put(two, want, sizeof(want)), ERR_OK);
	ck_assert_int_eq(buf_put(two, want, sizeof(want)), ERR_OK);
	assert_output(a, two);
	/* consuming more than there is only empties the output */
	agent_output_consume(a, 1000);
	agent_output(a, &p, &len);
	ck_assert_uint_eq(len, 0);
	buf_free(two);
	buf_free(w);
	agent_free(a);
}
END_TEST

START_TEST(test_encode_sign)
{
	static const unsigned char key[] = { 0, 0, 0, 1, 'k', 0 };
	static const unsigned char data[] = { 'd', 'a', 't', 'a', 0xfe };
	static const unsigned char want[] = {
		0, 0, 0, 1 + 4 + 6 + 4 + 5 + 4,
		13,
		0, 0, 0, 6, 0, 0, 0, 1, 'k', 0,
		0, 0, 0, 5, 'd', 'a', 't', 'a', 0xfe,
		0, 0, 0, 4,
	};
	static const unsigned char want_empty[] = {
		0, 0, 0, 1 + 4 + 6 + 4 + 0 + 4,
		13,
		0, 0, 0, 6, 0, 0, 0, 1, 'k', 0,
		0, 0, 0, 0,
		0x80, 0x00, 0x00, 0x02,
	};
	struct agent *a = agent_new();
	struct buf *w = buf_new_view(want, sizeof(want));
	struct buf *we = buf_new_view(want_empty, sizeof(want_empty));

	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(agent_request_sign(a, key, sizeof(key), data,
	    sizeof(data), AGENT_SIGN_RSA_SHA2_512), ERR_OK);
	assert_output(a, w);
	agent_output_consume(a, sizeof(want));
	/* empty data; every flag bit is passed through */
	ck_assert_int_eq(agent_request_sign(a, key, sizeof(key), NULL, 0,
	    0x80000002u), ERR_OK);
	assert_output(a, we);
	buf_free(w);
	buf_free(we);
	agent_free(a);
}
END_TEST

START_TEST(test_request_limits)
{
	static const unsigned char key[] = { 1, 2, 3 };
	static const unsigned char one[] = { 0, 0, 0, 1, 11 };
	struct agent *a = agent_new();
	unsigned char *big = calloc(1, MAX_LEN);
	struct agent_reply rep;
	const unsigned char *p;
	size_t len, body;
	int i;

	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(big);
	/* bad arguments queue nothing */
	ck_assert_int_eq(agent_request_sign(a, NULL, 3, big, 1, 0),
	    ERR_INVALID_ARGUMENT);
	ck_assert_int_eq(agent_request_sign(a, key, 0, big, 1, 0),
	    ERR_INVALID_ARGUMENT);
	ck_assert_int_eq(agent_request_sign(a, key, 3, NULL, 1, 0),
	    ERR_INVALID_ARGUMENT);
	ck_assert_int_eq(agent_request_identities(NULL),
	    ERR_INVALID_ARGUMENT);
	/* a message body of exactly 256 KiB goes, one byte more does not */
	body = 1 + 4 + sizeof(key) + 4 + 4;
	ck_assert_int_eq(agent_request_sign(a, key, sizeof(key), big,
	    MAX_LEN - body + 1, 0), ERR_TOO_LONG);
	ck_assert_int_eq(agent_request_sign(a, key, sizeof(key), big,
	    SIZE_MAX, 0), ERR_TOO_LONG);
	agent_output(a, &p, &len);
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(agent_request_sign(a, key, sizeof(key), big,
	    MAX_LEN - body, 0), ERR_OK);
	agent_output(a, &p, &len);
	ck_assert_uint_eq(len, 4 + MAX_LEN);
	ck_assert_uint_eq(buf_peek_u32_raw(p), MAX_LEN);
	agent_output_consume(a, len);
	/* at most 16 unanswered requests; a refused one leaves no bytes */
	for (i = 1; i < 16; i++)
		ck_assert_int_eq(agent_request_identities(a), ERR_OK);
	agent_output(a, &p, &len);
	ck_assert_uint_eq(len, 15 * sizeof(one));
	ck_assert_int_eq(agent_request_identities(a), ERR_AGAIN);
	ck_assert_int_eq(agent_request_sign(a, key, sizeof(key), NULL, 0, 0),
	    ERR_AGAIN);
	agent_output(a, &p, &len);
	ck_assert_uint_eq(len, 15 * sizeof(one));
	/* ERR_AGAIN is not fatal: an answer makes room again */
	ck_assert_int_eq(agent_input(a, (const unsigned char *)
	    "\0\0\0\1\5", 5), ERR_OK);
	/* still full until the answer is taken */
	ck_assert_int_eq(agent_request_identities(a), ERR_AGAIN);
	ck_assert_int_eq(agent_next_reply(a, &rep), ERR_OK);
	ck_assert_int_eq(rep.type, AGENT_REPLY_FAILURE);
	ck_assert_int_eq(agent_request_identities(a), ERR_OK);
	free(big);
	agent_free(a);
}
END_TEST

/* An agent answering requests before they were even sent frees their
 * slots, but the unsent output still bounds what may be queued. */
START_TEST(test_output_full)
{
	static const unsigned char fail[] = { 0, 0, 0, 1, 5 };
	static const unsigned char key[] = { 1 };
	size_t data_len = MAX_LEN - (1 + 4 + 1 + 4 + 4);
	unsigned char *big = calloc(1, data_len);
	struct agent *a = agent_new();
	struct agent_reply rep;
	const unsigned char *p;
	size_t len;
	int i;

	ck_assert_ptr_nonnull(big);
	ck_assert_ptr_nonnull(a);
	for (i = 0; i < 16; i++) {
		ck_assert_int_eq(agent_request_sign(a, key, 1, big, data_len,
		    0), ERR_OK);
		ck_assert_int_eq(agent_input(a, fail, sizeof(fail)), ERR_OK);
		ck_assert_int_eq(agent_next_reply(a, &rep), ERR_OK);
		ck_assert_int_eq(rep.type, AGENT_REPLY_FAILURE);
	}
	agent_output(a, &p, &len);
	ck_assert_uint_eq(len, 16 * (4 + MAX_LEN));
	ck_assert_int_eq(agent_request_identities(a), ERR_AGAIN);
	agent_output_consume(a, 5);
	ck_assert_int_eq(agent_request_identities(a), ERR_OK);
	ck_assert_int_eq(agent_request_sign(a, key, 1, big, data_len, 0),
	    ERR_AGAIN);
	agent_output_consume(a, 4 + MAX_LEN);
	ck_assert_int_eq(agent_request_sign(a, key, 1, big, data_len, 0),
	    ERR_OK);
	agent_free(a);
	free(big);
}
END_TEST

/* ---- replies */

START_TEST(test_reply_bytewise)
{
	struct buf *f = ids_answer_new(sample_ids, N_SAMPLE_IDS);
	struct agent *a = agent_new();
	struct agent_reply rep;
	size_t i;

	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(agent_request_identities(a), ERR_OK);
	assert_no_reply(a);
	for (i = 0; i < buf_len(f); i++) {
		ck_assert_int_eq(agent_input(a, buf_ptr(f) + i, 1), ERR_OK);
		if (i + 1 < buf_len(f))
			assert_no_reply(a);
	}
	ck_assert_int_eq(agent_next_reply(a, &rep), ERR_OK);
	assert_sample_ids(&rep, sample_ids, N_SAMPLE_IDS);
	/* handed out once */
	assert_no_reply(a);
	/* and the object takes the next request */
	ck_assert_int_eq(agent_request_identities(a), ERR_OK);
	for (i = 0; i < buf_len(f); i++)
		ck_assert_int_eq(agent_input(a, buf_ptr(f) + i, 1), ERR_OK);
	ck_assert_int_eq(agent_next_reply(a, &rep), ERR_OK);
	assert_sample_ids(&rep, sample_ids, N_SAMPLE_IDS);
	agent_free(a);
	buf_free(f);
}
END_TEST

/* Five requests answered in one stream: identities, a signature, a
 * failure, an empty identity list, an extension failure. */
static struct buf *
stream_new(struct agent *a)
{
	static const unsigned char key[] = { 7 };
	static const unsigned char zero[] = { 0, 0, 0, 0 };
	struct buf *s = buf_new(0), *f;
	struct buf *z = buf_new_view(zero, sizeof(zero));

	ck_assert_ptr_nonnull(s);
	ck_assert_ptr_nonnull(z);
	ck_assert_int_eq(agent_request_identities(a), ERR_OK);
	ck_assert_int_eq(agent_request_sign(a, key, 1, key, 1, 0), ERR_OK);
	ck_assert_int_eq(agent_request_sign(a, key, 1, key, 1, 0), ERR_OK);
	ck_assert_int_eq(agent_request_identities(a), ERR_OK);
	ck_assert_int_eq(agent_request_sign(a, key, 1, key, 1, 0), ERR_OK);
	f = ids_answer_new(sample_ids, N_SAMPLE_IDS);
	ck_assert_int_eq(buf_put(s, buf_ptr(f), buf_len(f)), ERR_OK);
	buf_free(f);
	f = sign_response_new();
	ck_assert_int_eq(buf_put(s, buf_ptr(f), buf_len(f)), ERR_OK);
	buf_free(f);
	f = frame_new(5, NULL);
	ck_assert_int_eq(buf_put(s, buf_ptr(f), buf_len(f)), ERR_OK);
	buf_free(f);
	f = frame_new(12, z);
	ck_assert_int_eq(buf_put(s, buf_ptr(f), buf_len(f)), ERR_OK);
	buf_free(f);
	f = frame_new(28, NULL);
	ck_assert_int_eq(buf_put(s, buf_ptr(f), buf_len(f)), ERR_OK);
	buf_free(f);
	buf_free(z);
	return s;
}

/* Takes every reply now available; returns how many came. */
static int
drain_stream(struct agent *a, int seen)
{
	struct agent_reply rep;

	for (;;) {
		ck_assert_int_eq(agent_next_reply(a, &rep), ERR_OK);
		if (rep.type == AGENT_REPLY_NONE)
			return seen;
		switch (seen) {
		case 0:
			assert_sample_ids(&rep, sample_ids, N_SAMPLE_IDS);
			break;
		case 1:
			assert_sample_sig(&rep);
			break;
		case 2:
		case 4:
			ck_assert_int_eq(rep.type, AGENT_REPLY_FAILURE);
			break;
		case 3:
			ck_assert_int_eq(rep.type, AGENT_REPLY_IDENTITIES);
			ck_assert_uint_eq(rep.n_identities, 0);
			break;
		default:
			ck_abort_msg("reply %d was never asked for", seen);
		}
		seen++;
	}
}

START_TEST(test_reply_random_chunks)
{
	uint64_t seed = 0x5eed0000u + (uint64_t)_i;
	struct agent *a = agent_new();
	struct buf *s;
	size_t off, n;
	int seen = 0;

	ck_assert_ptr_nonnull(a);
	s = stream_new(a);
	for (off = 0; off < buf_len(s); off += n) {
		/* mostly small pieces, now and then a large one */
		n = 1 + lcg_next(&seed) % (lcg_next(&seed) % 4 == 0 ? 300 : 9);
		if (n > buf_len(s) - off)
			n = buf_len(s) - off;
		ck_assert_int_eq(agent_input(a, buf_ptr(s) + off, n), ERR_OK);
		/* replies are taken at random moments, sometimes late */
		if (lcg_next(&seed) % 3 != 0)
			seen = drain_stream(a, seen);
	}
	seen = drain_stream(a, seen);
	ck_assert_int_eq(seen, 5);
	buf_free(s);
	agent_free(a);
}
END_TEST

START_TEST(test_reply_whole_stream)
{
	struct agent *a = agent_new();
	struct buf *s;

	ck_assert_ptr_nonnull(a);
	s = stream_new(a);
	ck_assert_int_eq(agent_input(a, buf_ptr(s), buf_len(s)), ERR_OK);
	ck_assert_int_eq(drain_stream(a, 0), 5);
	buf_free(s);
	agent_free(a);
}
END_TEST

/* Every proper prefix of each reply is "need more"; the rest completes
 * it to the right answer. */
START_TEST(test_every_truncation)
{
	struct buf *frames[3];
	struct agent_reply rep;
	struct agent *a;
	size_t i, k, len;

	frames[0] = ids_answer_new(sample_ids, N_SAMPLE_IDS);
	frames[1] = sign_response_new();
	frames[2] = frame_new(5, NULL);
	for (i = 0; i < 3; i++) {
		len = buf_len(frames[i]);
		for (k = 0; k < len; k++) {
			ck_assert_ptr_nonnull(a = agent_new());
			if (i == 0)
				ck_assert_int_eq(agent_request_identities(a),
				    ERR_OK);
			else
				ck_assert_int_eq(agent_request_sign(a,
				    blob1, sizeof(blob1), NULL, 0, 0), ERR_OK);
			ck_assert_int_eq(agent_input(a, buf_ptr(frames[i]),
			    k), ERR_OK);
			assert_no_reply(a);
			ck_assert_int_eq(agent_input(a, buf_ptr(frames[i]) +
			    k, len - k), ERR_OK);
			ck_assert_int_eq(agent_next_reply(a, &rep), ERR_OK);
			if (i == 0)
				assert_sample_ids(&rep, sample_ids,
				    N_SAMPLE_IDS);
			else if (i == 1)
				assert_sample_sig(&rep);
			else
				ck_assert_int_eq(rep.type,
				    AGENT_REPLY_FAILURE);
			agent_free(a);
		}
	}
	for (i = 0; i < 3; i++)
		buf_free(frames[i]);
}
END_TEST

START_TEST(test_limits_accepted)
{
	struct sample_id *many = calloc(2049, sizeof(*many));
	unsigned char *big = calloc(1, MAX_LEN);
	struct sample_id one;
	struct agent_reply rep;
	struct agent *a;
	struct buf *f;
	size_t i;

	ck_assert_ptr_nonnull(many);
	ck_assert_ptr_nonnull(big);
	/* 2048 keys */
	for (i = 0; i < 2049; i++) {
		many[i].blob = (const unsigned char *)&many[i];
		many[i].blob_len = 1 + i % 40;
		many[i].comment = i % 2 ? "odd" : "";
	}
	f = ids_answer_new(many, 2048);
	ck_assert_ptr_nonnull(a = agent_new());
	ck_assert_int_eq(agent_request_identities(a), ERR_OK);
	ck_assert_int_eq(agent_input(a, buf_ptr(f), buf_len(f)), ERR_OK);
	ck_assert_int_eq(agent_next_reply(a, &rep), ERR_OK);
	assert_sample_ids(&rep, many, 2048);
	agent_free(a);
	buf_free(f);
	/* one more is too many, complete and well-formed as it is */
	f = ids_answer_new(many, 2049);
	ck_assert_ptr_nonnull(a = agent_new());
	ck_assert_int_eq(agent_request_identities(a), ERR_OK);
	ck_assert_int_eq(agent_input(a, buf_ptr(f), buf_len(f)),
	    ERR_INVALID_FORMAT);
	assert_dead(a, ERR_INVALID_FORMAT);
	agent_free(a);
	buf_free(f);
	/* a reply body of exactly 256 KiB: type, nkeys, blob, comment */
	memset(big, 'b', MAX_LEN);
	one.blob = big;
	one.blob_len = MAX_LEN - 1 - 4 - 4 - 4;
	one.comment = "";
	f = ids_answer_new(&one, 1);
	ck_assert_uint_eq(buf_len(f), 4 + MAX_LEN);
	ck_assert_ptr_nonnull(a = agent_new());
	ck_assert_int_eq(agent_request_identities(a), ERR_OK);
	ck_assert_int_eq(agent_input(a, buf_ptr(f), buf_len(f)), ERR_OK);
	ck_assert_int_eq(agent_next_reply(a, &rep), ERR_OK);
	assert_sample_ids(&rep, &one, 1);
	agent_free(a);
	buf_free(f);
	free(big);
	free(many);
}
END_TEST

/* Identity pointers stay valid while other bytes arrive, until the next
 * agent_next_reply(). */
START_TEST(test_reply_lifetime)
{
	struct buf *f = ids_answer_new(sample_ids, N_SAMPLE_IDS);
	struct agent *a = agent_new();
	struct agent_reply rep;

	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(agent_request_identities(a), ERR_OK);
	ck_assert_int_eq(agent_request_identities(a), ERR_OK);
	ck_assert_int_eq(agent_input(a, buf_ptr(f), buf_len(f)), ERR_OK);
	ck_assert_int_eq(agent_next_reply(a, &rep), ERR_OK);
	ck_assert_int_eq(agent_input(a, buf_ptr(f), buf_len(f) - 1), ERR_OK);
	assert_sample_ids(&rep, sample_ids, N_SAMPLE_IDS);
	agent_free(a);
	buf_free(f);
}
END_TEST

/* ---- hostile replies */

struct hostile {
	const char *name;
	int sign;               /* the pending request: 1 sign, 0 identities */
	int want;               /* the error */
	const unsigned char *bytes;
	size_t len;
};

static const unsigned char h_len0[] = { 0, 0, 0, 0 };
static const unsigned char h_len_big[] = { 0, 4, 0, 1, 5 };
static const unsigned char h_len_max[] = { 0xff, 0xff, 0xff, 0xff, 5 };
static const unsigned char h_nkeys_big[] = { 0, 0, 0, 5, 12, 0, 0, 8, 1 };
static const unsigned char h_nkeys_huge[] =
    { 0, 0, 0, 5, 12, 0xff, 0xff, 0xff, 0xff };
static const unsigned char h_nkeys_short[] = {
	0, 0, 0, 15, 12, 0, 0, 0, 2,
	0, 0, 0, 1, 'k', 0, 0, 0, 1, 'c',
};
static const unsigned char h_comment_nul[] = {
	0, 0, 0, 16, 12, 0, 0, 0, 1,
	0, 0, 0, 1, 'k', 0, 0, 0, 2, 'c', 0,
};
static const unsigned char h_comment_long[] = {
	0, 0, 0, 15, 12, 0, 0, 0, 1,
	0, 0, 0, 1, 'k', 0, 0, 0, 2, 'c',
};
static const unsigned char h_blob_empty[] = {
	0, 0, 0, 13, 12, 0, 0, 0, 1,
	0, 0, 0, 0, 0, 0, 0, 0,
};
static const unsigned char h_ids_trailing[] = {
	0, 0, 0, 16, 12, 0, 0, 0, 1,
	0, 0, 0, 1, 'k', 0, 0, 0, 1, 'c', 'X',
};
static const unsigned char h_fail_trailing[] = { 0, 0, 0, 2, 5, 0 };
static const unsigned char h_extfail_trailing[] = { 0, 0, 0, 2, 28, 0 };
static const unsigned char h_sig_trailing[] = {
	0, 0, 0, 18, 14,
	0, 0, 0, 12, 0, 0, 0, 1, 'a', 0, 0, 0, 3, 's', 'i', 'g',
	0,
};
static const unsigned char h_sig_no_alg[] = {
	0, 0, 0, 8, 14, 0, 0, 0, 3, 0, 0, 0,
};
static const unsigned char h_sig_empty_alg[] = {
	0, 0, 0, 13, 14, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0,
};
static const unsigned char h_sig_short[] = {
	0, 0, 0, 6, 14, 0, 0, 0, 9, 0,
};
static const unsigned char h_unknown[] = { 0, 0, 0, 1, 99 };
static const unsigned char h_sign_for_ids[] = {
	0, 0, 0, 17, 14,
	0, 0, 0, 12, 0, 0, 0, 1, 'a', 0, 0, 0, 3, 's', 'i', 'g',
};
static const unsigned char h_ids_for_sign[] = { 0, 0, 0, 5, 12, 0, 0, 0, 0 };
static const unsigned char h_success[] = { 0, 0, 0, 1, 6 };
/* a valid failure followed by a reply nobody asked for */
static const unsigned char h_unsolicited[] = { 0, 0, 0, 1, 5, 0 };

#define H(name, sign, want) { #name, sign, want, name, sizeof(name) }
static const struct hostile hostile[] = {
	H(h_len0, 0, ERR_INVALID_FORMAT),
	H(h_len_big, 0, ERR_INVALID_FORMAT),
	H(h_len_max, 1, ERR_INVALID_FORMAT),
	H(h_nkeys_big, 0, ERR_INVALID_FORMAT),
	H(h_nkeys_huge, 0, ERR_INVALID_FORMAT),
	H(h_nkeys_short, 0, ERR_INVALID_FORMAT),
	H(h_comment_nul, 0, ERR_INVALID_FORMAT),
	H(h_comment_long, 0, ERR_INVALID_FORMAT),
	H(h_blob_empty, 0, ERR_INVALID_FORMAT),
	H(h_ids_trailing, 0, ERR_INVALID_FORMAT),
	H(h_fail_trailing, 1, ERR_INVALID_FORMAT),
	H(h_extfail_trailing, 0, ERR_INVALID_FORMAT),
	H(h_sig_trailing, 1, ERR_INVALID_FORMAT),
	H(h_sig_no_alg, 1, ERR_INVALID_FORMAT),
	H(h_sig_empty_alg, 1, ERR_INVALID_FORMAT),
	H(h_sig_short, 1, ERR_INVALID_FORMAT),
	H(h_unknown, 0, ERR_PROTOCOL),
	H(h_unknown, 1, ERR_PROTOCOL),
	H(h_success, 1, ERR_PROTOCOL),
	H(h_sign_for_ids, 0, ERR_PROTOCOL),
	H(h_ids_for_sign, 1, ERR_PROTOCOL),
	H(h_unsolicited, 1, ERR_PROTOCOL),
};
#define N_HOSTILE (sizeof(hostile) / sizeof(hostile[0]))

/* After an error every call fails with it and nothing goes out. */
static void
assert_dead(struct agent *a, int want)
{
	static const unsigned char fail[] = { 0, 0, 0, 1, 5 };
	struct agent_reply rep;
	const unsigned char *p;
	size_t len;

	ck_assert_int_eq(agent_next_reply(a, &rep), want);
	ck_assert_int_eq(rep.type, AGENT_REPLY_NONE);
	ck_assert_int_eq(agent_input(a, fail, sizeof(fail)), want);
	ck_assert_int_eq(agent_request_identities(a), want);
	ck_assert_int_eq(agent_request_sign(a, blob1, sizeof(blob1), NULL, 0,
	    0), want);
	agent_output(a, &p, &len);
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(agent_next_reply(a, &rep), want);
}

START_TEST(test_hostile)
{
	const struct hostile *h = &hostile[_i];
	struct agent *a;
	size_t k;
	int r;

	/* all at once */
	ck_assert_ptr_nonnull(a = agent_new());
	if (h->sign)
		ck_assert_int_eq(agent_request_sign(a, blob1, sizeof(blob1),
		    NULL, 0, 0), ERR_OK);
	else
		ck_assert_int_eq(agent_request_identities(a), ERR_OK);
	ck_assert_msg(agent_input(a, h->bytes, h->len) == h->want,
	    "%s: not rejected with %d", h->name, h->want);
	assert_dead(a, h->want);
	agent_free(a);

	/* one byte at a time: never a reply, the error by the last byte */
	ck_assert_ptr_nonnull(a = agent_new());
	if (h->sign)
		ck_assert_int_eq(agent_request_sign(a, blob1, sizeof(blob1),
		    NULL, 0, 0), ERR_OK);
	else
		ck_assert_int_eq(agent_request_identities(a), ERR_OK);
	r = ERR_OK;
	for (k = 0; k < h->len && r == ERR_OK; k++) {
		r = agent_input(a, h->bytes + k, 1);
		/* h_unsolicited starts with a whole, valid reply */
		if (r == ERR_OK && k + 1 < h->len &&
		    strcmp(h->name, "h_unsolicited") != 0)
			assert_no_reply(a);
	}
	ck_assert_msg(r == h->want, "%s: bytewise got %d", h->name, r);
	assert_dead(a, h->want);
	agent_free(a);
}
END_TEST

/* A failure with nothing pending, before any request. */
START_TEST(test_unsolicited_first)
{
	struct agent *a = agent_new();

	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(agent_input(a, (const unsigned char *)"\0", 1),
	    ERR_PROTOCOL);
	assert_dead(a, ERR_PROTOCOL);
	agent_free(a);
}
END_TEST

/* Sixteen answers of the largest size fill the input exactly; one byte
 * more is a reply nobody asked for, whether it comes with them or later. */
START_TEST(test_flood)
{
	unsigned char *big = calloc(1, MAX_LEN);
	struct sample_id one = { NULL, MAX_LEN - 1 - 4 - 4 - 4, "" };
	struct buf *f, *all = buf_new(0);
	struct agent_reply rep;
	struct agent *a;
	int i;

	ck_assert_ptr_nonnull(big);
	ck_assert_ptr_nonnull(all);
	one.blob = big;
	f = ids_answer_new(&one, 1);
	for (i = 0; i < 16; i++)
		ck_assert_int_eq(buf_put(all, buf_ptr(f), buf_len(f)), ERR_OK);
	ck_assert_int_eq(buf_put_u8(all, 5), ERR_OK);

	/* in one piece */
	ck_assert_ptr_nonnull(a = agent_new());
	for (i = 0; i < 16; i++)
		ck_assert_int_eq(agent_request_identities(a), ERR_OK);
	ck_assert_int_eq(agent_input(a, buf_ptr(all), buf_len(all)),
	    ERR_PROTOCOL);
	assert_dead(a, ERR_PROTOCOL);
	agent_free(a);

	/* the sixteen, taken, then the extra byte */
	ck_assert_ptr_nonnull(a = agent_new());
	for (i = 0; i < 16; i++)
		ck_assert_int_eq(agent_request_identities(a), ERR_OK);
	ck_assert_int_eq(agent_input(a, buf_ptr(all), buf_len(all) - 1),
	    ERR_OK);
	for (i = 0; i < 16; i++) {
		ck_assert_int_eq(agent_next_reply(a, &rep), ERR_OK);
		assert_sample_ids(&rep, &one, 1);
	}
	assert_no_reply(a);
	ck_assert_int_eq(agent_input(a, buf_ptr(all) + buf_len(all) - 1, 1),
	    ERR_PROTOCOL);
	assert_dead(a, ERR_PROTOCOL);
	agent_free(a);
	buf_free(f);
	buf_free(all);
	free(big);
}
END_TEST

/* Every single bit flip of a valid stream: an error, or replies that
 * are each well-formed; never a crash (the sanitizer build checks). */
START_TEST(test_every_bit_flip)
{
	struct agent_reply rep;
	struct agent *a;
	struct buf *s;
	unsigned char *copy;
	size_t bit, len, j;
	int r;

	ck_assert_ptr_nonnull(a = agent_new());
	s = stream_new(a);
	agent_free(a);
	len = buf_len(s);
	ck_assert_ptr_nonnull(copy = malloc(len));
	for (bit = 0; bit < len * 8; bit++) {
		memcpy(copy, buf_ptr(s), len);
		copy[bit / 8] ^= (unsigned char)(1u << (bit % 8));
		ck_assert_ptr_nonnull(a = agent_new());
		buf_free(stream_new(a));
		r = agent_input(a, copy, len);
		for (;;) {
			if (agent_next_reply(a, &rep) != ERR_OK ||
			    rep.type == AGENT_REPLY_NONE)
				break;
			for (j = 0; j < rep.n_identities; j++) {
				ck_assert_uint_gt(rep.identities[j].blob_len,
				    0);
				ck_assert_uint_le(strlen(
				    rep.identities[j].comment), MAX_LEN);
			}
			if (rep.type == AGENT_REPLY_SIGNATURE)
				ck_assert_uint_ge(rep.signature_len, 5);
		}
		if (r != ERR_OK)
			ck_assert_int_eq(agent_next_reply(a, &rep), r);
		agent_free(a);
	}
	free(copy);
	buf_free(s);
}
END_TEST

START_TEST(test_null_arguments)
{
	struct agent_reply rep;
	struct agent *a = agent_new();

	ck_assert_ptr_nonnull(a);
	agent_free(NULL);
	ck_assert_int_eq(agent_next_reply(a, NULL), ERR_INVALID_ARGUMENT);
	ck_assert_int_eq(agent_next_reply(NULL, &rep), ERR_INVALID_ARGUMENT);
	ck_assert_int_eq(agent_input(NULL, blob1, 1), ERR_INVALID_ARGUMENT);
	ck_assert_int_eq(agent_input(a, NULL, 1), ERR_INVALID_ARGUMENT);
	ck_assert_int_eq(agent_input(a, NULL, 0), ERR_OK);
	assert_no_reply(a);
	agent_free(a);
}
END_TEST

/* ---- against OpenSSH's ssh-agent */

struct test_key {
	const char *name;
	const char *keygen_type;
	unsigned char blob[4096];
	size_t len;
};

enum { K_ED25519, K_ECDSA, K_RSA, K_OTHER, K_COUNT };
static struct test_key keys[K_COUNT] = {
	{ "ked25519", "ed25519", { 0 }, 0 },
	{ "kecdsa", "ecdsa", { 0 }, 0 },
	{ "krsa", "rsa", { 0 }, 0 },
	{ "kother", "ed25519", { 0 }, 0 },  /* never added */
};
static char tmpdir[80];
static char sock_path[128];
static pid_t watchdog_pid = -1;
static int watchdog_fd = -1;

static void
cleanup_main(void)
{
	char cmd[256];
	int i, status;

	if (watchdog_fd != -1) {
		close(watchdog_fd);
		watchdog_fd = -1;
	}
	if (watchdog_pid != -1) {
		/* The watchdog needs at most 2 s to take the agent down. */
		for (i = 0; i < 300; i++) {
			if (waitpid(watchdog_pid, &status, WNOHANG) ==
			    watchdog_pid)
				break;
			usleep(10000);
		}
		if (i == 300) {
			kill(watchdog_pid, SIGKILL);
			waitpid(watchdog_pid, &status, 0);
		}
		watchdog_pid = -1;
	}
	if (tmpdir[0] != '\0') {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "check_agent: could not remove %s\n",
			    tmpdir);
		tmpdir[0] = '\0';
	}
}

static void
die(const char *what)
{
	fprintf(stderr, "check_agent: %s\n", what);
	cleanup_main();
	exit(EXIT_FAILURE);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Runs argv (with SSH_AUTH_SOCK set to our agent) and waits at most
 * timeout seconds; 0 when it exited with status 0. */
static int
run_bounded(char *const argv[], double timeout)
{
	double deadline = now_s() + timeout;
	pid_t pid;
	int status, fd;

	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		if ((fd = open("/dev/null", O_RDWR)) != -1) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
		}
		setenv("SSH_AUTH_SOCK", sock_path, 1);
		execvp(argv[0], argv);
		_exit(127);
	}
	for (;;) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) && WEXITSTATUS(status) == 0 ?
			    0 : -1;
		if (now_s() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -1;
		}
		usleep(5000);
	}
}

static void
gen_key(struct test_key *k)
{
	char path[160], comment[64], line[8192], type[64], b64[8192];
	char a0[] = "ssh-keygen", a1[] = "-q", a2[] = "-N", a3[] = "";
	char a4[] = "-t", a6[] = "-C", a8[] = "-f", ktype[16];
	char *argv[] = { a0, a1, a2, a3, a4, ktype, a6, comment, a8, path,
	    NULL };
	struct buf *b;
	FILE *f;

	snprintf(ktype, sizeof(ktype), "%s", k->keygen_type);
	snprintf(path, sizeof(path), "%s/%s", tmpdir, k->name);
	snprintf(comment, sizeof(comment), "comment of %s", k->name);
	if (run_bounded(argv, 20) != 0)
		die("ssh-keygen failed");
	snprintf(path, sizeof(path), "%s/%s.pub", tmpdir, k->name);
	if ((f = fopen(path, "r")) == NULL)
		die("no .pub file");
	if (fgets(line, sizeof(line), f) == NULL ||
	    sscanf(line, "%63s %8191s", type, b64) != 2)
		die("cannot read a .pub file");
	fclose(f);
	if ((b = buf_new(0)) == NULL ||
	    base64_decode(b64, strlen(b64), b) != ERR_OK ||
	    buf_len(b) > sizeof(k->blob))
		die("cannot decode a .pub file");
	memcpy(k->blob, buf_ptr(b), buf_len(b));
	k->len = buf_len(b);
	buf_free(b);
}

/*
 * Starts `ssh-agent -D -a sock_path` as the child of a watchdog process
 * that kills it once the pipe from us reaches end of file: when
 * cleanup_main() closes it, or when this process dies in any way.  (The
 * agent itself cannot use PR_SET_PDEATHSIG: it is set-group-ID, and
 * exec drops the setting.)  The pipe is close-on-exec, so neither the
 * agent nor ssh-add holds it open.
 */
static void
start_agent(void)
{
	int p[2], status, fd, i;
	pid_t agent;
	char c;
	struct stat st;

	if (pipe2(p, O_CLOEXEC) == -1)
		die("pipe2");
	if ((watchdog_pid = fork()) == -1)
		die("fork");
	if (watchdog_pid == 0) {
		close(p[1]);
		if ((agent = fork()) == -1)
			_exit(1);
		if (agent == 0) {
			if ((fd = open("/dev/null", O_RDWR)) != -1) {
				dup2(fd, 0);
				dup2(fd, 1);
				dup2(fd, 2);
			}
			execlp("ssh-agent", "ssh-agent", "-D", "-a",
			    sock_path, (char *)NULL);
			_exit(127);
		}
		while (read(p[0], &c, 1) == -1 && errno == EINTR)
			;
		kill(agent, SIGTERM);
		for (i = 0; i < 200; i++) {
			if (waitpid(agent, &status, WNOHANG) == agent)
				_exit(0);
			usleep(10000);
		}
		kill(agent, SIGKILL);
		waitpid(agent, &status, 0);
		_exit(0);
	}
	close(p[0]);
	watchdog_fd = p[1];
	/* Wait (at most 5 s) for the socket to appear. */
	for (i = 0; i < 500; i++) {
		if (stat(sock_path, &st) == 0 && S_ISSOCK(st.st_mode))
			return;
		usleep(10000);
	}
	die("ssh-agent did not create its socket");
}

/* A blocking connection to the agent whose every read and write gives up
 * after 3 s. */
static int
agent_connect(void)
{
	struct sockaddr_un sun;
	struct timeval tv = { 3, 0 };
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	ck_assert_uint_lt(strlen(sock_path), sizeof(sun.sun_path));
	memcpy(sun.sun_path, sock_path, strlen(sock_path));
	ck_assert_int_ge(fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0),
	    0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sun, sizeof(sun)),
	    0);
	ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
	    sizeof(tv)), 0);
	ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv,
	    sizeof(tv)), 0);
	return fd;
}

static void
flush_output(struct agent *a, int fd)
{
	const unsigned char *p;
	size_t len;
	ssize_t n;

	for (;;) {
		agent_output(a, &p, &len);
		if (len == 0)
			return;
		n = send(fd, p, len, MSG_NOSIGNAL);
		ck_assert_msg(n > 0, "send: %s", strerror(errno));
		agent_output_consume(a, (size_t)n);
	}
}

/* Reads (chunk bytes at most per read) until a reply is complete. */
static void
read_reply(struct agent *a, int fd, size_t chunk, struct agent_reply *rep)
{
	double deadline = now_s() + 5;
	unsigned char b[4096];
	ssize_t n;

	if (chunk > sizeof(b))
		chunk = sizeof(b);
	for (;;) {
		ck_assert_int_eq(agent_next_reply(a, rep), ERR_OK);
		if (rep->type != AGENT_REPLY_NONE)
			return;
		ck_assert_msg(now_s() < deadline, "no reply from ssh-agent");
		n = recv(fd, b, chunk, 0);
		ck_assert_msg(n > 0, "recv: %s", n == 0 ? "end of file" :
		    strerror(errno));
		ck_assert_int_eq(agent_input(a, b, (size_t)n), ERR_OK);
	}
}

static void
assert_agent_keys(const struct agent_reply *rep)
{
	char comment[64];
	size_t i, k;
	int found;

	ck_assert_int_eq(rep->type, AGENT_REPLY_IDENTITIES);
	ck_assert_uint_eq(rep->n_identities, 3);
	for (k = 0; k < K_OTHER; k++) {
		snprintf(comment, sizeof(comment), "comment of %s",
		    keys[k].name);
		found = 0;
		for (i = 0; i < rep->n_identities; i++) {
			if (rep->identities[i].blob_len != keys[k].len ||
			    memcmp(rep->identities[i].blob, keys[k].blob,
			    keys[k].len) != 0)
				continue;
			ck_assert_str_eq(rep->identities[i].comment, comment);
			found++;
		}
		ck_assert_msg(found == 1, "%s listed %d times", keys[k].name,
		    found);
	}
}

START_TEST(test_agent_identities)
{
	struct agent_reply rep;
	struct agent *a = agent_new();
	int fd = agent_connect();

	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(agent_request_identities(a), ERR_OK);
	flush_output(a, fd);
	read_reply(a, fd, 1, &rep);
	assert_agent_keys(&rep);
	/* the same again, read in big pieces, on the same connection */
	ck_assert_int_eq(agent_request_identities(a), ERR_OK);
	flush_output(a, fd);
	read_reply(a, fd, 4096, &rep);
	assert_agent_keys(&rep);
	close(fd);
	agent_free(a);
}
END_TEST

/* The algorithm name at the start of a signature blob; caller frees. */
static char *
sig_alg(const unsigned char *sig, size_t len)
{
	struct buf *v = buf_new_view(sig, len);
	char *alg = NULL;

	ck_assert_ptr_nonnull(v);
	ck_assert_int_eq(buf_get_cstring(v, &alg, NULL), ERR_OK);
	buf_free(v);
	return alg;
}

static void
sign_and_verify(int k, uint32_t flags, const char *want_alg)
{
	static const char msg[] = "data for the agent to sign";
	unsigned char data[sizeof(msg)];
	struct hostkey *key = NULL;
	struct agent_reply rep;
	struct agent *a = agent_new();
	int fd = agent_connect();
	char *alg;

	ck_assert_ptr_nonnull(a);
	memcpy(data, msg, sizeof(data));
	ck_assert_int_eq(agent_request_sign(a, keys[k].blob, keys[k].len,
	    data, sizeof(data), flags), ERR_OK);
	flush_output(a, fd);
	read_reply(a, fd, 7, &rep);
	ck_assert_int_eq(rep.type, AGENT_REPLY_SIGNATURE);
	alg = sig_alg(rep.signature, rep.signature_len);
	ck_assert_str_eq(alg, want_alg);
	ck_assert_int_eq(hostkey_from_blob(keys[k].blob, keys[k].len, &key),
	    ERR_OK);
	ck_assert_int_eq(hostkey_verify(key, want_alg, rep.signature,
	    rep.signature_len, data, sizeof(data)), ERR_OK);
	/* and the check can fail: other data, same signature */
	data[0] ^= 1;
	ck_assert_int_eq(hostkey_verify(key, want_alg, rep.signature,
	    rep.signature_len, data, sizeof(data)), ERR_SIGNATURE_INVALID);
	free(alg);
	hostkey_free(key);
	close(fd);
	agent_free(a);
}

START_TEST(test_agent_sign_ed25519)
{
	sign_and_verify(K_ED25519, 0, "ssh-ed25519");
}
END_TEST

START_TEST(test_agent_sign_ecdsa)
{
	sign_and_verify(K_ECDSA, 0, "ecdsa-sha2-nistp256");
}
END_TEST

START_TEST(test_agent_sign_rsa_sha256)
{
	sign_and_verify(K_RSA, AGENT_SIGN_RSA_SHA2_256, "rsa-sha2-256");
}
END_TEST

START_TEST(test_agent_sign_rsa_sha512)
{
	sign_and_verify(K_RSA, AGENT_SIGN_RSA_SHA2_512, "rsa-sha2-512");
}
END_TEST

START_TEST(test_agent_sign_unknown_key)
{
	struct agent_reply rep;
	struct agent *a = agent_new();
	int fd = agent_connect();

	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(agent_request_sign(a, keys[K_OTHER].blob,
	    keys[K_OTHER].len, (const unsigned char *)"x", 1, 0), ERR_OK);
	flush_output(a, fd);
	read_reply(a, fd, 4096, &rep);
	ck_assert_int_eq(rep.type, AGENT_REPLY_FAILURE);
	/* a refusal is not fatal: the connection goes on */
	ck_assert_int_eq(agent_request_identities(a), ERR_OK);
	flush_output(a, fd);
	read_reply(a, fd, 4096, &rep);
	assert_agent_keys(&rep);
	close(fd);
	agent_free(a);
}
END_TEST

/* Several requests in flight; the answers, read in odd pieces, come back
 * in order. */
START_TEST(test_agent_pipelined)
{
	static const unsigned char data[] = "pipelined";
	struct hostkey *key = NULL;
	struct agent_reply rep;
	struct agent *a = agent_new();
	int fd = agent_connect();

	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(agent_request_sign(a, keys[K_ECDSA].blob,
	    keys[K_ECDSA].len, data, sizeof(data), 0), ERR_OK);
	ck_assert_int_eq(agent_request_identities(a), ERR_OK);
	ck_assert_int_eq(agent_request_sign(a, keys[K_OTHER].blob,
	    keys[K_OTHER].len, data, sizeof(data), 0), ERR_OK);
	ck_assert_int_eq(agent_request_sign(a, keys[K_RSA].blob,
	    keys[K_RSA].len, data, sizeof(data), AGENT_SIGN_RSA_SHA2_512),
	    ERR_OK);
	flush_output(a, fd);

	read_reply(a, fd, 13, &rep);
	ck_assert_int_eq(rep.type, AGENT_REPLY_SIGNATURE);
	ck_assert_int_eq(hostkey_from_blob(keys[K_ECDSA].blob,
	    keys[K_ECDSA].len, &key), ERR_OK);
	ck_assert_int_eq(hostkey_verify(key, "ecdsa-sha2-nistp256",
	    rep.signature, rep.signature_len, data, sizeof(data)), ERR_OK);
	hostkey_free(key);

	read_reply(a, fd, 13, &rep);
	assert_agent_keys(&rep);
	read_reply(a, fd, 13, &rep);
	ck_assert_int_eq(rep.type, AGENT_REPLY_FAILURE);

	read_reply(a, fd, 13, &rep);
	ck_assert_int_eq(rep.type, AGENT_REPLY_SIGNATURE);
	ck_assert_int_eq(hostkey_from_blob(keys[K_RSA].blob, keys[K_RSA].len,
	    &key), ERR_OK);
	ck_assert_int_eq(hostkey_verify(key, "rsa-sha2-512", rep.signature,
	    rep.signature_len, data, sizeof(data)), ERR_OK);
	hostkey_free(key);

	assert_no_reply(a);
	close(fd);
	agent_free(a);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("agent");
	TCase *tc = tcase_create("codec");
	TCase *ta = tcase_create("ssh-agent");
	SRunner *sr;
	const char *t = getenv("TMPDIR");
	char add0[] = "ssh-add";
	char *add_argv[] = { add0, NULL, NULL, NULL, NULL };
	char add_paths[3][160];
	int failed, k;

	/* A short directory: the socket path must fit in sun_path. */
	if (t == NULL || *t == '\0' || strlen(t) > 40)
		t = "/tmp";
	snprintf(tmpdir, sizeof(tmpdir), "%s/check_agent.XXXXXX", t);
	if (mkdtemp(tmpdir) == NULL) {
		tmpdir[0] = '\0';
		die("mkdtemp failed");
	}
	snprintf(sock_path, sizeof(sock_path), "%s/sock", tmpdir);
	for (k = 0; k < K_COUNT; k++)
		gen_key(&keys[k]);
	start_agent();
	for (k = 0; k < K_OTHER; k++) {
		snprintf(add_paths[k], sizeof(add_paths[k]), "%s/%s", tmpdir,
		    keys[k].name);
		add_argv[1 + k] = add_paths[k];
	}
	if (run_bounded(add_argv, 10) != 0)
		die("ssh-add failed");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_encode_identities);
	tcase_add_test(tc, test_encode_sign);
	tcase_add_test(tc, test_request_limits);
	tcase_add_test(tc, test_output_full);
	tcase_add_test(tc, test_reply_bytewise);
	tcase_add_loop_test(tc, test_reply_random_chunks, 0, 50);
	tcase_add_test(tc, test_reply_whole_stream);
	tcase_add_test(tc, test_every_truncation);
	tcase_add_test(tc, test_limits_accepted);
	tcase_add_test(tc, test_reply_lifetime);
	tcase_add_loop_test(tc, test_hostile, 0, (int)N_HOSTILE);
	tcase_add_test(tc, test_unsolicited_first);
	tcase_add_test(tc, test_flood);
	tcase_add_test(tc, test_every_bit_flip);
	tcase_add_test(tc, test_null_arguments);
	suite_add_tcase(s, tc);

	tcase_set_timeout(ta, 10);
	tcase_add_test(ta, test_agent_identities);
	tcase_add_test(ta, test_agent_sign_ed25519);
	tcase_add_test(ta, test_agent_sign_ecdsa);
	tcase_add_test(ta, test_agent_sign_rsa_sha256);
	tcase_add_test(ta, test_agent_sign_rsa_sha512);
	tcase_add_test(ta, test_agent_sign_unknown_key);
	tcase_add_test(ta, test_agent_pipelined);
	suite_add_tcase(s, ta);

	sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	cleanup_main();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
