/*
 * libFuzzer target: the SOCKS CONNECT request parser of src/broker/socks.h,
 * fed what a client of ssh -D's port might send first.
 *
 * Input layout: all of it is the client's bytes, parsed as one buffer
 * (the parser is stateless, so fragmentation is the caller's matter of
 * handing over a longer prefix; the prefix oracle covers it).  Seeds:
 * tests/fuzz/corpus/socks/.
 *
 * Oracles, besides the sanitizers (socks.h's contract):
 *   - a result is ERR_AGAIN, ERR_OK or ERR_INVALID_FORMAT; an error
 *     always has a reason, an ERR_AGAIN or ERR_OK none;
 *   - ERR_OK: used <= size, version 4 or 5, greeted exactly for 5, host
 *     non-empty, at most SOCKS_HOST_MAX bytes of printable ASCII, port
 *     not 0, no refusal; the same request out of the first used bytes
 *     alone; a proper prefix (a few of them) gives ERR_AGAIN;
 *   - not ERR_OK: host empty, port and used 0; greeted only for 5; a
 *     refusal fits its array, and is 8 bytes for 4, 2 or 10 for 5;
 *   - parsing the same bytes again gives the same result, field by field;
 *   - socks_reply() answers an accepted request in its own format.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/socks.h"
#include "common/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define check(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "fuzz_socks.c:%d: check failed: %s\n", \
		    __LINE__, #cond); \
		abort(); \
	} \
} while (0)

/* Parses a copy of exactly len bytes, so ASan sees a read past len. */
static int
parse_copy(const uint8_t *data, size_t len, struct socks_request *r,
    const char **why)
{
	unsigned char *p = malloc(len > 0 ? len : 1);
	int rc;

	check(p != NULL);
	memcpy(p, data, len);
	rc = socks_parse(p, len, r, why);
	free(p);
	return rc;
}

static void
check_same(const struct socks_request *a, const char *why_a,
    const struct socks_request *b, const char *why_b)
{
	check(a->version == b->version);
	check(strcmp(a->host, b->host) == 0);
	check(a->port == b->port);
	check(a->used == b->used);
	check(a->greeted == b->greeted);
	check(a->refusal_len == b->refusal_len);
	check(memcmp(a->refusal, b->refusal, a->refusal_len) == 0);
	check(why_a == why_b);
}

static void
check_accepted(const uint8_t *data, size_t size,
    const struct socks_request *r)
{
	struct socks_request again;
	const char *why;
	unsigned char out[10];
	size_t n, i, k, prefixes[4];

	check(r->used >= 1 && r->used <= size);
	check(r->version == 4 || r->version == 5);
	check(r->greeted == (r->version == 5));
	n = strnlen(r->host, sizeof(r->host));
	check(n >= 1 && n <= SOCKS_HOST_MAX);
	for (i = 0; i < n; i++)
		check(r->host[i] >= 0x21 && r->host[i] <= 0x7e);
	check(r->port != 0);
	check(r->refusal_len == 0);

	/* the bytes after the request play no part in it */
	check(parse_copy(data, r->used, &again, &why) == ERR_OK);
	check_same(r, NULL, &again, why);

	/* proper prefixes are incomplete, never refused: the ends, the
	 * middle, and one picked by the bytes themselves */
	prefixes[0] = 0;
	prefixes[1] = r->used - 1;
	prefixes[2] = r->used / 2;
	prefixes[3] = (data[r->used - 1] * 131u + r->used) % r->used;
	for (k = 0; k < sizeof(prefixes) / sizeof(prefixes[0]); k++) {
		check(parse_copy(data, prefixes[k], &again, &why) ==
		    ERR_AGAIN);
		check(why == NULL);
		check(again.host[0] == '\0' && again.port == 0 &&
		    again.used == 0);
	}

	n = socks_reply(r, data[0] & 1, out, sizeof(out));
	check(n == (r->version == 4 ? 8u : 10u));
	check(out[0] == (r->version == 4 ? 0x00 : 0x05));
	n = socks_reply(r, 1, out, r->version == 4 ? 7 : 9);
	check(n == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct socks_request r, again;
	const char *why = "unset", *why2 = "unset";
	int rc;

	/* a request is never over ~520 bytes; more only slows the run */
	if (size > 4096)
		return 0;
	rc = socks_parse(data, size, &r, &why);
	check(rc == ERR_AGAIN || rc == ERR_OK || rc == ERR_INVALID_FORMAT);
	check(rc == ERR_INVALID_FORMAT ? why != NULL && why[0] != '\0' :
	    why == NULL);
	if (r.greeted)
		check(r.version == 5);

	check(parse_copy(data, size, &again, &why2) == rc);
	check_same(&r, why, &again, why2);

	if (rc == ERR_OK) {
		check_accepted(data, size, &r);
		return 0;
	}
	check(r.host[0] == '\0' && r.port == 0 && r.used == 0);
	if (rc == ERR_AGAIN) {
		check(r.refusal_len == 0);
		return 0;
	}
	check(r.refusal_len <= sizeof(r.refusal));
	if (r.version == 4)
		check(r.refusal_len == 8 && r.refusal[0] == 0x00 &&
		    r.refusal[1] == 0x5b);
	else if (r.version == 5)
		check((r.refusal_len == 2 && !r.greeted) ||
		    (r.refusal_len == 10 && r.greeted));
	else
		check(r.refusal_len == 0);
	return 0;
}
