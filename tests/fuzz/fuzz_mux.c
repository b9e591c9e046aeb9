/*
 * libFuzzer target: the client protocol codec of src/broker/mux.h, fed a
 * control connection's byte stream the way the daemon and the CLI read
 * one.
 *
 * Input layout: byte 0 seeds the fragmentation; the rest is the stream.
 * It is read twice, once whole and once in pieces whose sizes come from
 * the seed.  Each frame mux_frame_next() cuts out is decoded as a
 * client's message and as a master's; after a frame that announces
 * descriptors (NEW_SESSION, NEW_STDIO_FWD) that many bytes are skipped,
 * as the socket layer would take them with their fds.  Seeds:
 * tests/fuzz/corpus/mux/ (ssh 9.2's own bytes among them).
 *
 * Oracles, besides the sanitizers (mux.h's contract):
 *   - both reads cut the same frames and end the same way: the
 *     fragmentation never changes the outcome;
 *   - mux_frame_next() fails only with ERR_PROTOCOL, on a length over
 *     MUX_FRAME_MAX or under 4, as soon as the four length bytes are
 *     in, and with a reason; a payload is never over MUX_FRAME_MAX;
 *   - a decode fails only with ERR_INVALID_FORMAT, ERR_TOO_LONG,
 *     ERR_NOT_FOUND (type kept) or ERR_NOMEM, always with a reason, and
 *     leaves the message owning nothing;
 *   - whatever decodes re-encodes to exactly its frame (length and
 *     payload), and that decodes again;
 *   - a message decodes in at most one direction, HELLO excepted.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/mux.h"
#include "common/buf.h"
#include "common/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define check(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "fuzz_mux.c:%d: check failed: %s\n", \
		    __LINE__, #cond); \
		abort(); \
	} \
} while (0)

/* What one read of the stream saw, to compare the two reads. */
struct outcome {
	size_t n_frames;
	uint32_t sum;           /* over every payload and decode result */
	int error;              /* mux_frame_next()'s final failure */
};

static uint32_t
mix(uint32_t acc, uint32_t v)
{
	return acc * 31 + v;
}

static uint32_t
sum_bytes(const unsigned char *p, size_t len, uint32_t acc)
{
	size_t i;

	for (i = 0; i < len; i++)
		acc = mix(acc, p[i]);
	return acc;
}

/* Decodes payload one way; returns the result code after checking it. */
static int
decode_one(int from_master, const unsigned char *p, size_t len)
{
	struct mux_msg m, again;
	struct buf *b;
	const char *reason = NULL;
	int r;

	r = (from_master ? mux_decode_from_master :
	    mux_decode_from_client)(p, len, &m, &reason);
	if (r != ERR_OK) {
		check(r == ERR_INVALID_FORMAT || r == ERR_TOO_LONG ||
		    r == ERR_NOT_FOUND || r == ERR_NOMEM);
		check(reason != NULL && reason[0] != '\0');
		check(m.storage_.head == NULL && m.secret_ == NULL);
		if (r == ERR_NOT_FOUND)
			check(len >= 4 && m.type == buf_peek_u32_raw(p));
		return r;
	}
	check(len >= 4 && m.type == buf_peek_u32_raw(p));
	if (m.type == MUX_C_NEW_SESSION)
		check(m.n_env <= MUX_MAX_ENV && m.env[m.n_env] == NULL);
	if (m.argv != NULL)
		check(m.argc >= 1 && m.argc <= MUX_MAX_ARGS &&
		    m.argv[m.argc] == NULL);
	check(m.n_exts <= MUX_MAX_HELLO_EXTS);

	/* canonical: the same frame back, which decodes again */
	b = buf_new(0);
	check(b != NULL);
	r = mux_encode(b, &m);
	check(r == ERR_OK || r == ERR_NOMEM);
	if (r == ERR_OK) {
		check(buf_len(b) == len + 4);
		check(buf_peek_u32_raw(buf_ptr(b)) == len);
		check(memcmp(buf_ptr(b) + 4, p, len) == 0);
		r = (from_master ? mux_decode_from_master :
		    mux_decode_from_client)(buf_ptr(b) + 4, len, &again,
		    &reason);
		check(r == ERR_OK || r == ERR_NOMEM);
		mux_msg_free(&again);
	}
	buf_free(b);
	mux_msg_free(&m);
	return ERR_OK;
}

/* Takes every whole frame out of in, skipping descriptor bytes. */
static void
take_frames(struct buf *in, size_t *skip, struct outcome *o)
{
	const unsigned char *p;
	const char *reason;
	size_t len, n, have;
	int r, rc, rm;

	while (o->error == ERR_OK) {
		n = *skip < buf_len(in) ? *skip : buf_len(in);
		check(buf_consume(in, n) == ERR_OK);
		*skip -= n;
		if (*skip > 0)
			return;
		have = buf_len(in);
		r = mux_frame_next(in, &p, &len, &reason);
		if (r == ERR_AGAIN) {
			check(buf_len(in) == have);
			/* a bad length is seen on its four bytes alone */
			check(have < 4 || (buf_peek_u32_raw(buf_ptr(in)) >= 4 &&
			    buf_peek_u32_raw(buf_ptr(in)) <= MUX_FRAME_MAX));
			return;
		}
		if (r != ERR_OK) {
			check(r == ERR_PROTOCOL);
			check(reason != NULL);
			check(buf_len(in) == have && have >= 4);
			o->error = r;
			return;
		}
		check(len >= 4 && len <= MUX_FRAME_MAX);
		check(buf_len(in) == have - 4 - len);
		rc = decode_one(0, p, len);
		rm = decode_one(1, p, len);
		if (buf_peek_u32_raw(p) != MUX_MSG_HELLO)
			check(rc != ERR_OK || rm != ERR_OK);
		o->sum = mix(sum_bytes(p, len, o->sum),
		    (uint32_t)(rc * 256 + rm));
		o->n_frames++;
		if (rc == ERR_OK)
			*skip = mux_fds_after(buf_peek_u32_raw(p));
	}
}

static void
run(const uint8_t *stream, size_t len, int seed, struct outcome *o)
{
	struct buf *in = buf_new_secret(0);
	uint32_t state = (uint32_t)seed * 2654435761u + 1;
	size_t off, n, skip = 0;

	memset(o, 0, sizeof(*o));
	check(in != NULL);
	for (off = 0; off < len && o->error == ERR_OK; off += n) {
		if (seed < 0) {
			n = len;
		} else {
			state = state * 1103515245u + 12345u;
			n = 1 + (state >> 16) % 97;
			if (n > len - off)
				n = len - off;
		}
		check(buf_put(in, stream + off, n) == ERR_OK);
		take_frames(in, &skip, o);
	}
	buf_free(in);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct outcome whole, pieces;

	/* a stream longer than one frame and a bit says no more */
	if (size < 1 || size > 2 * MUX_FRAME_MAX)
		return 0;
	run(data + 1, size - 1, -1, &whole);
	run(data + 1, size - 1, data[0], &pieces);
	check(whole.error == pieces.error);
	check(whole.n_frames == pieces.n_frames);
	check(whole.sum == pieces.sum);
	return 0;
}
