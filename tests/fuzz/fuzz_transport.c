/*
 * libFuzzer target: the SSH-2 client transport fed arbitrary bytes as the
 * server's side of a connection (the version exchange, the plaintext
 * binary packet reader, KEXINIT and negotiation, each key exchange
 * method's reply parser, DISCONNECT and the other messages of the first
 * key exchange).
 *
 * Input layout:
 *   byte 0      bits 0-1: the key exchange the client offers (our default
 *               list, ecdh-sha2-nistp256, diffie-hellman-group14-sha256,
 *               diffie-hellman-group-exchange-sha256); bits 2-3: the host
 *               key algorithms (default, ssh-ed25519, ecdsa-sha2-nistp256,
 *               rsa-sha2-256)
 *   bytes 1-4   the chunk schedule, used in turn for each transport_input()
 *               call: 0 = all that is left, 1-127 = that many bytes,
 *               128-255 = (b - 127) KiB
 *   the rest    what the server sends; the peer closes after it
 * Seeds: tests/fuzz/corpus/transport/, written by
 * `tests/transport/hostile_server.py --dump DIR --fuzz-header`.
 *
 * Each input makes a fresh transport (deterministic random_fn, a fixed
 * clock), feeds the bytes in the scheduled chunks, pulls every event,
 * consumes the output, then reports EOF.  Oracles, besides the
 * sanitizers:
 *   - the API contract: a fatal return leaves the transport dead with one
 *     TRANSPORT_EV_DISCONNECTED whose reason is printable ASCII of bounded
 *     length; input is taken unless the event queue is full; nothing is
 *     READY and no host key is learned (no input can sign an exchange
 *     hash: the client's ephemeral key is fresh);
 *   - the outcome does not depend on how the stream was cut: the same
 *     bytes fed in one piece are accepted as far (server version line,
 *     negotiated key exchange), and once past the version exchange end
 *     with the same reason.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "transport/transport.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HEADER 5
#define REASON_MAX 600

static const char *const kex_choice[4] = {
	NULL, "ecdh-sha2-nistp256", "diffie-hellman-group14-sha256",
	"diffie-hellman-group-exchange-sha256",
};
static const char *const hostkey_choice[4] = {
	NULL, "ssh-ed25519", "ecdsa-sha2-nistp256", "rsa-sha2-256",
};

/* A counter run through a xorshift: the same bytes every run. */
static void
fake_random(void *ctx, unsigned char *out, size_t len)
{
	uint64_t *s = ctx;
	size_t i;

	for (i = 0; i < len; i++) {
		*s ^= *s << 13;
		*s ^= *s >> 7;
		*s ^= *s << 17;
		out[i] = (unsigned char)*s;
	}
}

struct outcome {
	int dead;
	char reason[REASON_MAX + 1];
	char server_version[256];       /* "" when none was accepted */
	char kex[128];                  /* "" when none was negotiated */
};

static void
check_reason(const char *reason)
{
	size_t i, n;

	if (reason == NULL)
		abort();
	n = strlen(reason);
	if (n == 0 || n > REASON_MAX)
		abort();
	for (i = 0; i < n; i++) {
		if (reason[i] < 0x20 || reason[i] >= 0x7f)
			abort();
	}
}

/* Pulls every event and throws the output away. */
static void
drain(struct transport *t, struct outcome *o)
{
	struct transport_event ev;
	const unsigned char *out;
	size_t outlen;

	for (;;) {
		if (transport_next_event(t, &ev) != ERR_OK)
			abort();
		if (ev.type == TRANSPORT_EV_NONE)
			break;
		switch (ev.type) {
		case TRANSPORT_EV_DISCONNECTED:
			if (o->dead)
				abort();        /* reported twice */
			check_reason(ev.reason);
			o->dead = 1;
			snprintf(o->reason, sizeof(o->reason), "%s", ev.reason);
			break;
		case TRANSPORT_EV_HOSTKEY_ASK:
		case TRANSPORT_EV_HOSTKEY_LEARNED:
		case TRANSPORT_EV_READY:
		case TRANSPORT_EV_REKEYED:
		case TRANSPORT_EV_PACKET:
			/* the server would have had to sign our exchange hash */
			abort();
		default:
			abort();
		}
	}
	transport_output(t, &out, &outlen);
	if (outlen > 0 && out == NULL)
		abort();
	transport_output_consume(t, outlen);
}

static size_t
chunk_size(const uint8_t *sched, size_t i, size_t left)
{
	unsigned int b = sched[i % 4];
	size_t n;

	if (b == 0)
		return left;
	n = b < 128 ? b : (size_t)(b - 127) * 1024;
	return n < left ? n : left;
}

/* One connection; sched NULL feeds everything in one call. */
static void
run(const uint8_t *data, size_t size, const uint8_t *sched,
    struct outcome *o)
{
	struct transport_params p;
	struct transport *t = NULL;
	const char *names[1] = { "[fuzz.example]:22" };
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	size_t off = 0, n, consumed, i = 0, stalls = 0;
	int r;

	memset(o, 0, sizeof(*o));
	memset(&p, 0, sizeof(p));
	p.kex_algorithms = kex_choice[data[0] & 3];
	p.hostkey_algorithms = hostkey_choice[(data[0] >> 2) & 3];
	p.hostkey_names = names;
	p.n_hostkey_names = 1;
	p.strict = TRANSPORT_HOSTKEY_STRICT_ASK;
	p.random_fn = fake_random;
	p.random_ctx = &seed;
	if (transport_new(&p, 1000, &t) != ERR_OK)
		abort();
	data += HEADER;
	size -= HEADER;
	drain(t, o);
	while (off < size && !o->dead) {
		n = sched != NULL ? chunk_size(sched, i++, size - off) : size - off;
		r = transport_input(t, data + off, n, &consumed);
		if (consumed > n)
			abort();
		off += consumed;
		drain(t, o);
		/* transport.h: a fatal code means dead, and only then */
		if (o->dead != (err_is_fatal(r) || r == ERR_PROTOCOL)) {
			fprintf(stderr, "fuzz_transport: transport_input() "
			    "returned %d (%s); the transport is %s %s\n", r,
			    err_str(r), o->dead ? "dead:" : "alive",
			    o->reason);
			abort();
		}
		if (o->dead) {
			/* and it stays dead */
			if (!err_is_fatal(transport_input(t, data, size, &consumed)))
				abort();
			break;
		}
		if (r != ERR_OK)
			abort();
		/* a live transport takes input once its events are pulled */
		if (consumed == 0 && ++stalls > 4)
			abort();
		if (consumed > 0)
			stalls = 0;
	}
	if (!o->dead) {
		(void)transport_input_eof(t);
		drain(t, o);
		if (!o->dead)
			abort();
	}
	snprintf(o->server_version, sizeof(o->server_version), "%s",
	    transport_negotiated(t, "server_version") != NULL ?
	    transport_negotiated(t, "server_version") : "");
	snprintf(o->kex, sizeof(o->kex), "%s",
	    transport_negotiated(t, "kex") != NULL ?
	    transport_negotiated(t, "kex") : "");
	transport_free(t);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct outcome chunked, whole;
	uint8_t sched[4];

	if (size < HEADER)
		return 0;
	memcpy(sched, data + 1, 4);
	run(data, size, sched, &chunked);
	run(data, size, NULL, &whole);
	/* Before the version line is accepted an error may be found early
	 * (a line too long is refused before its end arrives), so only the
	 * verdict must agree there; after it, every check waits for a whole
	 * packet and the very reason must agree. */
	if (strcmp(chunked.server_version, whole.server_version) != 0 ||
	    strcmp(chunked.kex, whole.kex) != 0 ||
	    (whole.server_version[0] != '\0' &&
	    strcmp(chunked.reason, whole.reason) != 0)) {
		fprintf(stderr, "fuzz_transport: the outcome depends on the "
		    "chunking:\n  in chunks: version \"%s\", kex \"%s\": %s\n"
		    "  in one piece: version \"%s\", kex \"%s\": %s\n",
		    chunked.server_version, chunked.kex, chunked.reason,
		    whole.server_version, whole.kex, whole.reason);
		abort();
	}
	return 0;
}
