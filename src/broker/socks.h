/*
 * SOCKS CONNECT requests for dynamic forwarding (ssh -D), as a parser
 * with no I/O: SOCKS4, SOCKS4a and SOCKS5 (RFC 1928), accepting what
 * OpenSSH's own dynamic forwarding accepts, CONNECT alone.
 *
 * The parser keeps no state between calls: the caller buffers what the
 * client sent and hands over all of it, from the first byte, each time
 * more arrives.  A request is at most a few hundred bytes, so reading
 * it again is cheaper than a state machine that could get out of step.
 *
 * Each field is judged as soon as its bytes are in, in wire order, so a
 * hostile client is refused without waiting for the rest, and a proper
 * prefix of an acceptable request is never refused, only ERR_AGAIN.
 *
 * The caller's exchange, SOCKS5:
 *   1. socks_parse() sets r->greeted once the greeting (VER NMETHODS
 *      METHODS) is in and offers "no authentication": send
 *      socks_method_reply() then, once per connection, whatever the
 *      result (a client may send its request without waiting for it);
 *   2. on ERR_OK open the channel to r->host:r->port, then send
 *      socks_reply(r, ok) and relay from byte r->used of the input on;
 *   3. on ERR_INVALID_FORMAT send r->refusal (after the method reply
 *      when r->greeted is set and it has not gone yet) and close.
 * SOCKS4 and 4a have no greeting: steps 2 and 3 only.
 */
#ifndef SSHBROKER_BROKER_SOCKS_H
#define SSHBROKER_BROKER_SOCKS_H

#include <stddef.h>
#include <stdint.h>

/* The longest host name either protocol can carry (SOCKS5's length is
 * one byte; SOCKS4a's NUL-terminated name is held to the same). */
#define SOCKS_HOST_MAX 255

/*
 * One request.  socks_parse() overwrites all of it.  On ERR_AGAIN and on
 * an error, host is "" and port and used are 0; version (when the first
 * byte was 4 or 5) and greeted still say how far the client got.
 */
struct socks_request {
	int version;                      /* 4 or 5 once known */
	char host[SOCKS_HOST_MAX + 1];    /* a name, or an address as text (IPv6 without brackets) */
	uint16_t port;
	size_t used;                      /* ERR_OK: bytes of the input the request took (the greeting too) */
	int greeted;                      /* SOCKS5: a complete greeting offering "no authentication" was seen: the caller sends socks_method_reply() once */
	unsigned char refusal[10];        /* on an error: what to send the client before closing (may be empty) */
	size_t refusal_len;
};

/*
 * Parses everything a SOCKS client has sent so far, from its first byte
 * (stateless: call again with the longer input).
 *   ERR_AGAIN           incomplete, wait for more (r->greeted may be set);
 *   ERR_OK              a complete CONNECT request in *r: host is a name
 *                       of printable ASCII without spaces (0x21..0x7e) or
 *                       an address as text, port is not 0;
 *   ERR_INVALID_FORMAT  refused, *why a static one-line reason (e.g.
 *                       "SOCKS5: no acceptable authentication method",
 *                       "SOCKS4: only CONNECT is supported", "unknown
 *                       SOCKS version 0x47"), r->refusal filled (empty
 *                       for an unknown version: there is no format to
 *                       answer in).
 * *why is NULL unless there is an error.  Bytes after a complete request
 * are not read (r->used says where it ended).  Reads no further than
 * len and allocates nothing.
 */
int socks_parse(const unsigned char *p, size_t len, struct socks_request *r,
    const char **why);

/* SOCKS5's method selection: 05 00.  Returns 2. */
size_t socks_method_reply(unsigned char out[2]);

/*
 * The answer to r's request: success (ok) or general failure, in
 * r->version's format (SOCKS4: 8 bytes, 00 5a/5b + zeros; SOCKS5: 05
 * 00/01 00 01 + 4 zero bytes + 2 zero port bytes = 10 bytes).  Returns
 * its length, 0 when outlen is too small (or r->version is neither).
 * The bound address is all zeros: through an SSH channel there is no
 * local address worth telling, and clients ignore it.
 */
size_t socks_reply(const struct socks_request *r, int ok, unsigned char *out,
    size_t outlen);

#endif
