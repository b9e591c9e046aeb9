/*
 * SOCKS4/4a/5 CONNECT requests (socks.h): a cursor over the client's
 * bytes, one field at a time in wire order.
 *
 * Wire facts the RFC does not spell out, or that OpenSSH's dynamic
 * forwarding (channels.c) settles:
 *   - SOCKS4a marks a name by a DSTIP of 0.0.0.x with x != 0; the name
 *     follows the USERID, each NUL-terminated;
 *   - the USERID is never checked against anything, only bounded, and
 *     may hold any byte but NUL;
 *   - SOCKS5 clients may send the request right behind the greeting
 *     without waiting for the method reply, so both can be in one read.
 * Names are held to printable ASCII without spaces because they go into
 * a direct-tcpip channel request and into log lines as they are.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "broker/socks.h"
#include "common/err.h"

#define SOCKS4_CMD_CONNECT      0x01
#define SOCKS4_GRANTED          0x5a
#define SOCKS4_REJECTED         0x5b
#define SOCKS4_USERID_MAX       255

#define SOCKS5_METHOD_NONE      0x00
#define SOCKS5_METHOD_REFUSED   0xff
#define SOCKS5_CMD_CONNECT      0x01
#define SOCKS5_ATYP_IPV4        0x01
#define SOCKS5_ATYP_DOMAIN      0x03
#define SOCKS5_ATYP_IPV6        0x04
/* RFC 1928 section 6 */
#define SOCKS5_SUCCEEDED        0x00
#define SOCKS5_FAILURE          0x01
#define SOCKS5_CMD_UNSUPPORTED  0x07
#define SOCKS5_ATYP_UNSUPPORTED 0x08

/* The reason has to be static and still name the byte: what came in
 * tells an operator what was pointed at the port (0x47 is an HTTP GET,
 * 0x16 a TLS hello), so there is one string per byte value. */
#define UV(h, l) "unknown SOCKS version 0x" #h #l
#define UV16(h) UV(h, 0), UV(h, 1), UV(h, 2), UV(h, 3), UV(h, 4), \
	UV(h, 5), UV(h, 6), UV(h, 7), UV(h, 8), UV(h, 9), UV(h, a), \
	UV(h, b), UV(h, c), UV(h, d), UV(h, e), UV(h, f)
static const char *const unknown_version[256] = {
	UV16(0), UV16(1), UV16(2), UV16(3), UV16(4), UV16(5), UV16(6),
	UV16(7), UV16(8), UV16(9), UV16(a), UV16(b), UV16(c), UV16(d),
	UV16(e), UV16(f)
};
#undef UV16
#undef UV

struct cursor {
	const unsigned char *p;
	size_t len;
	size_t off;
};

/* What take_cstring() found. */
enum cstring {
	CS_OK,
	CS_AGAIN,       /* no NUL yet, and nothing wrong so far */
	CS_TOO_LONG,    /* more than max bytes without a NUL */
	CS_EMPTY,       /* a name that is only its NUL */
	CS_BAD_BYTE,    /* a name with a byte outside 0x21..0x7e */
};

static int
avail(const struct cursor *c, size_t n)
{
	return c->len - c->off >= n;
}

static unsigned char
get8(struct cursor *c)
{
	return c->p[c->off++];
}

static uint16_t
get16(struct cursor *c)
{
	uint16_t v = (uint16_t)(c->p[c->off] << 8 | c->p[c->off + 1]);

	c->off += 2;
	return v;
}

static int
name_byte_ok(unsigned char b)
{
	return b >= 0x21 && b <= 0x7e;
}

/*
 * A NUL-terminated string at the cursor, at most max bytes before the
 * NUL; with name, 1..max bytes of name_byte_ok().  Every byte already in
 * is judged, so an overlong or bad string is refused before its NUL
 * arrives.  CS_OK: *sp / *np are the string without its NUL, and the
 * cursor is past the NUL.
 */
static enum cstring
take_cstring(struct cursor *c, size_t max, int name,
    const unsigned char **sp, size_t *np)
{
	const unsigned char *s = c->p + c->off;
	size_t i, have = c->len - c->off;

	for (i = 0; i < have; i++) {
		if (s[i] == '\0') {
			if (name && i == 0)
				return CS_EMPTY;
			*sp = s;
			*np = i;
			c->off += i + 1;
			return CS_OK;
		}
		if (i == max)
			return CS_TOO_LONG;
		if (name && !name_byte_ok(s[i]))
			return CS_BAD_BYTE;
	}
	return CS_AGAIN;
}

static int
refuse4(struct socks_request *r, const char **why, const char *reason)
{
	memset(r->refusal, 0, sizeof(r->refusal));
	r->refusal[1] = SOCKS4_REJECTED;
	r->refusal_len = 8;
	*why = reason;
	return ERR_INVALID_FORMAT;
}

/* The greeting stage: no method acceptable. */
static int
refuse5_method(struct socks_request *r, const char **why, const char *reason)
{
	r->refusal[0] = 0x05;
	r->refusal[1] = SOCKS5_METHOD_REFUSED;
	r->refusal_len = 2;
	*why = reason;
	return ERR_INVALID_FORMAT;
}

/* The request stage: a reply with code and an all-zero IPv4 address. */
static int
refuse5(struct socks_request *r, unsigned char code, const char **why,
    const char *reason)
{
	memset(r->refusal, 0, sizeof(r->refusal));
	r->refusal[0] = 0x05;
	r->refusal[1] = code;
	r->refusal[3] = SOCKS5_ATYP_IPV4;
	r->refusal_len = 10;
	*why = reason;
	return ERR_INVALID_FORMAT;
}

static void
format_ipv4(const unsigned char *a, char *out, size_t outlen)
{
	snprintf(out, outlen, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
}

/* VN=4 already read. */
static int
parse4(struct cursor *c, struct socks_request *r, const char **why)
{
	const unsigned char *ip, *s;
	size_t n;

	if (!avail(c, 1))
		return ERR_AGAIN;
	if (get8(c) != SOCKS4_CMD_CONNECT)
		return refuse4(r, why, "SOCKS4: only CONNECT is supported");
	if (!avail(c, 2))
		return ERR_AGAIN;
	r->port = get16(c);
	if (r->port == 0)
		return refuse4(r, why, "SOCKS4: port 0");
	if (!avail(c, 4))
		return ERR_AGAIN;
	ip = c->p + c->off;
	c->off += 4;

	switch (take_cstring(c, SOCKS4_USERID_MAX, 0, &s, &n)) {
	case CS_OK:
		break;
	case CS_TOO_LONG:
		return refuse4(r, why, "SOCKS4: user id over 255 bytes");
	default:
		return ERR_AGAIN;
	}

	if (!(ip[0] == 0 && ip[1] == 0 && ip[2] == 0 && ip[3] != 0)) {
		format_ipv4(ip, r->host, sizeof(r->host));
		return ERR_OK;
	}
	switch (take_cstring(c, SOCKS_HOST_MAX, 1, &s, &n)) {
	case CS_OK:
		break;
	case CS_AGAIN:
		return ERR_AGAIN;
	case CS_TOO_LONG:
		return refuse4(r, why, "SOCKS4a: host name over 255 bytes");
	case CS_EMPTY:
		return refuse4(r, why, "SOCKS4a: empty host name");
	case CS_BAD_BYTE:
		return refuse4(r, why,
		    "SOCKS4a: host name byte not printable ASCII");
	}
	memcpy(r->host, s, n);
	r->host[n] = '\0';
	return ERR_OK;
}

/* VER=5 already read. */
static int
parse5(struct cursor *c, struct socks_request *r, const char **why)
{
	const unsigned char *s;
	size_t n, i;
	unsigned char cmd, atyp;

	/* the greeting */
	if (!avail(c, 1))
		return ERR_AGAIN;
	n = get8(c);
	if (n == 0)
		return refuse5_method(r, why,
		    "SOCKS5: no authentication methods offered");
	if (!avail(c, n))
		return ERR_AGAIN;
	if (memchr(c->p + c->off, SOCKS5_METHOD_NONE, n) == NULL)
		return refuse5_method(r, why,
		    "SOCKS5: no acceptable authentication method");
	c->off += n;
	r->greeted = 1;

	/* the request */
	if (!avail(c, 1))
		return ERR_AGAIN;
	if (get8(c) != 0x05)
		return refuse5(r, SOCKS5_FAILURE, why,
		    "SOCKS5: request version is not 5");
	if (!avail(c, 1))
		return ERR_AGAIN;
	cmd = get8(c);
	if (cmd != SOCKS5_CMD_CONNECT)
		return refuse5(r, SOCKS5_CMD_UNSUPPORTED, why,
		    "SOCKS5: only CONNECT is supported");
	if (!avail(c, 1))
		return ERR_AGAIN;
	if (get8(c) != 0x00)
		return refuse5(r, SOCKS5_FAILURE, why,
		    "SOCKS5: reserved byte is not 0");
	if (!avail(c, 1))
		return ERR_AGAIN;
	atyp = get8(c);
	switch (atyp) {
	case SOCKS5_ATYP_IPV4:
		if (!avail(c, 4))
			return ERR_AGAIN;
		format_ipv4(c->p + c->off, r->host, sizeof(r->host));
		c->off += 4;
		break;
	case SOCKS5_ATYP_DOMAIN:
		if (!avail(c, 1))
			return ERR_AGAIN;
		n = get8(c);
		if (n == 0)
			return refuse5(r, SOCKS5_FAILURE, why,
			    "SOCKS5: empty host name");
		s = c->p + c->off;
		/* judge what is in before waiting for the rest */
		for (i = 0; i < n && avail(c, i + 1); i++)
			if (!name_byte_ok(s[i]))
				return refuse5(r, SOCKS5_FAILURE, why,
				    "SOCKS5: host name byte not printable ASCII");
		if (i < n)
			return ERR_AGAIN;
		memcpy(r->host, s, n);
		r->host[n] = '\0';
		c->off += n;
		break;
	case SOCKS5_ATYP_IPV6:
		if (!avail(c, 16))
			return ERR_AGAIN;
		/* host is far over INET6_ADDRSTRLEN: this does not fail,
		 * but if it did the client would get an answer */
		if (inet_ntop(AF_INET6, c->p + c->off, r->host,
		    sizeof(r->host)) == NULL)
			return refuse5(r, SOCKS5_FAILURE, why,
			    "SOCKS5: IPv6 address not formattable");
		c->off += 16;
		break;
	default:
		return refuse5(r, SOCKS5_ATYP_UNSUPPORTED, why,
		    "SOCKS5: address type not supported");
	}
	if (!avail(c, 2))
		return ERR_AGAIN;
	r->port = get16(c);
	if (r->port == 0)
		return refuse5(r, SOCKS5_FAILURE, why, "SOCKS5: port 0");
	return ERR_OK;
}

int
socks_parse(const unsigned char *p, size_t len, struct socks_request *r,
    const char **why)
{
	struct cursor c = { p, len, 0 };
	int rc;

	memset(r, 0, sizeof(*r));
	*why = NULL;
	if (len == 0) {
		rc = ERR_AGAIN;
		goto out;
	}
	switch (get8(&c)) {
	case 4:
		r->version = 4;
		rc = parse4(&c, r, why);
		break;
	case 5:
		r->version = 5;
		rc = parse5(&c, r, why);
		break;
	default:
		*why = unknown_version[p[0]];
		rc = ERR_INVALID_FORMAT;
		break;
	}
out:
	if (rc == ERR_OK) {
		r->used = c.off;
	} else {
		/* half a request is nothing the caller may act on */
		memset(r->host, 0, sizeof(r->host));
		r->port = 0;
	}
	return rc;
}

size_t
socks_method_reply(unsigned char out[2])
{
	out[0] = 0x05;
	out[1] = SOCKS5_METHOD_NONE;
	return 2;
}

size_t
socks_reply(const struct socks_request *r, int ok, unsigned char *out,
    size_t outlen)
{
	size_t n;

	switch (r->version) {
	case 4:
		n = 8;
		if (outlen < n)
			return 0;
		memset(out, 0, n);
		out[1] = ok ? SOCKS4_GRANTED : SOCKS4_REJECTED;
		return n;
	case 5:
		n = 10;
		if (outlen < n)
			return 0;
		memset(out, 0, n);
		out[0] = 0x05;
		out[1] = ok ? SOCKS5_SUCCEEDED : SOCKS5_FAILURE;
		out[3] = SOCKS5_ATYP_IPV4;
		return n;
	default:
		return 0;
	}
}
