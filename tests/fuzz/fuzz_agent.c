/*
 * libFuzzer target: the ssh-agent reply parser of src/transport/agent.c.
 *
 * Input layout: byte 0, low 4 bits + 1 = the number of requests queued
 * first (1..16); bytes 1 and 2 = a bit per request, 1 for a sign request,
 * 0 for a request for identities; byte 3 seeds the fragmentation; the rest
 * is what the agent "answers".  Seeds: tests/fuzz/corpus/agent/.
 *
 * The answer is fed twice, once in pieces whose sizes come from the seed
 * (taking replies between pieces) and once in one piece.  Oracles,
 * besides the sanitizers (agent.h's contract):
 *   - both runs give the same replies and end in the same state: the
 *     fragmentation never changes the outcome;
 *   - agent_input() fails only with ERR_INVALID_FORMAT or ERR_PROTOCOL,
 *     and from then on every call returns that error;
 *   - no more replies than requests, each of a type its request allows
 *     (identities or failure for a listing, a signature or failure for a
 *     sign request);
 *   - at most 2048 identities, no empty blob, every byte of every blob,
 *     comment and signature readable.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "transport/agent.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define check(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "fuzz_agent.c:%d: check failed: %s\n", \
		    __LINE__, #cond); \
		abort(); \
	} \
} while (0)

#define MAX_REQUESTS 16

/* What one run saw, to compare the two runs. */
struct outcome {
	int n_replies;
	int types[MAX_REQUESTS];
	size_t sizes[MAX_REQUESTS];     /* n_identities or signature_len */
	uint32_t sums[MAX_REQUESTS];    /* of every byte handed out */
	int error;
};

static uint32_t
sum_bytes(const unsigned char *p, size_t len, uint32_t acc)
{
	size_t i;

	for (i = 0; i < len; i++)
		acc = acc * 31 + p[i];
	return acc;
}

static void
take_replies(struct agent *a, const int *is_sign, int n_req,
    struct outcome *o)
{
	struct agent_reply rep;
	uint32_t sum;
	size_t i, clen;
	int r;

	for (;;) {
		r = agent_next_reply(a, &rep);
		if (r != ERR_OK) {
			check(r == o->error);
			check(rep.type == AGENT_REPLY_NONE);
			return;
		}
		if (rep.type == AGENT_REPLY_NONE)
			return;
		check(o->n_replies < n_req);
		sum = 0;
		switch (rep.type) {
		case AGENT_REPLY_IDENTITIES:
			check(!is_sign[o->n_replies]);
			check(rep.n_identities <= 2048);
			o->sizes[o->n_replies] = rep.n_identities;
			for (i = 0; i < rep.n_identities; i++) {
				check(rep.identities[i].blob_len > 0);
				sum = sum_bytes(rep.identities[i].blob,
				    rep.identities[i].blob_len, sum);
				clen = strlen(rep.identities[i].comment);
				check(clen < 256 * 1024);
				sum = sum_bytes((const unsigned char *)
				    rep.identities[i].comment, clen, sum);
			}
			break;
		case AGENT_REPLY_SIGNATURE:
			check(is_sign[o->n_replies]);
			/* at least a one-byte algorithm name */
			check(rep.signature_len >= 5);
			o->sizes[o->n_replies] = rep.signature_len;
			sum = sum_bytes(rep.signature, rep.signature_len, 0);
			break;
		case AGENT_REPLY_FAILURE:
			break;
		default:
			check(0);
		}
		o->types[o->n_replies] = rep.type;
		o->sums[o->n_replies] = sum;
		o->n_replies++;
	}
}

static void
run(const uint8_t *reply, size_t len, const int *is_sign, int n_req,
    int seed, struct outcome *o)
{
	static const unsigned char key[] = { 0, 0, 0, 1, 'k' };
	struct agent *a = agent_new();
	uint32_t state = (uint32_t)seed * 2654435761u + 1;
	size_t off, n;
	int i, r;

	memset(o, 0, sizeof(*o));
	if (a == NULL)
		abort();
	for (i = 0; i < n_req; i++) {
		if (is_sign[i])
			r = agent_request_sign(a, key, sizeof(key), key,
			    sizeof(key), 0);
		else
			r = agent_request_identities(a);
		check(r == ERR_OK);
	}
	for (off = 0; off < len && o->error == ERR_OK; off += n) {
		if (seed < 0) {
			n = len;
		} else {
			state = state * 1103515245u + 12345u;
			n = 1 + (state >> 16) % 64;
			if (n > len - off)
				n = len - off;
		}
		r = agent_input(a, reply + off, n);
		if (r != ERR_OK) {
			check(r == ERR_INVALID_FORMAT || r == ERR_PROTOCOL);
			o->error = r;
			/* dead: every later call says so */
			check(agent_input(a, reply, 1) == r);
			check(agent_request_identities(a) == r);
		}
		take_replies(a, is_sign, n_req, o);
	}
	take_replies(a, is_sign, n_req, o);
	agent_free(a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int is_sign[MAX_REQUESTS];
	struct outcome chunked, whole;
	int n_req, i;

	if (size < 4)
		return 0;
	n_req = (data[0] & 0x0f) + 1;
	for (i = 0; i < n_req; i++)
		is_sign[i] = (((unsigned)data[1] << 8 | data[2]) >> i) & 1;
	run(data + 4, size - 4, is_sign, n_req, data[3], &chunked);
	run(data + 4, size - 4, is_sign, n_req, -1, &whole);
	/*
	 * Fed whole, an error in a later frame is found before the earlier
	 * replies are taken; fed in pieces, they may have been taken
	 * first.  Everything else must agree.
	 */
	check(chunked.error == whole.error);
	if (whole.error == ERR_OK)
		check(chunked.n_replies == whole.n_replies);
	check(chunked.n_replies >= whole.n_replies);
	for (i = 0; i < whole.n_replies; i++) {
		check(chunked.types[i] == whole.types[i]);
		check(chunked.sizes[i] == whole.sizes[i]);
		check(chunked.sums[i] == whole.sums[i]);
	}
	return 0;
}
