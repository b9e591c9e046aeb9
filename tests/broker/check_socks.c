/*
 * Tests of the SOCKS CONNECT request parser (src/broker/socks.h).
 *
 * The accepted requests are the shapes ssh -D sees from real clients:
 * curl --socks4 / --socks4a / --socks5 / --socks5-hostname send exactly
 * these layouts (SOCKS5 with one method, 00; some clients offer 00 and
 * 02).  Each is fed whole, then every proper prefix of it, then with
 * bytes after it; each refusal is checked for its reason, its bytes, and
 * for coming no later than the field that causes it.
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/socks.h"
#include "common/err.h"

#include "../common/unhex.h"

/* ---- helpers */


/* hex + the bytes of s (no NUL) + hex2 */
static unsigned char *
build(const char *hex, const char *s, const char *hex2, size_t *lenp)
{
	unsigned char *a, *b, *p;
	size_t alen, blen, slen = strlen(s);

	a = unhex_dup(hex, &alen);
	b = unhex_dup(hex2, &blen);
	p = malloc(alen + slen + blen + 1);
	ck_assert_ptr_nonnull(p);
	memcpy(p, a, alen);
	memcpy(p + alen, s, slen);
	memcpy(p + alen + slen, b, blen);
	*lenp = alen + slen + blen;
	free(a);
	free(b);
	return p;
}

static char *
repeat(char ch, size_t n)
{
	char *s = malloc(n + 1);

	ck_assert_ptr_nonnull(s);
	memset(s, ch, n);
	s[n] = '\0';
	return s;
}

/*
 * p[0..len) must parse as a CONNECT to host:port, every proper prefix
 * must be ERR_AGAIN (greeted set exactly from greet_len bytes on, 0 for
 * SOCKS4), and trailing bytes must change nothing.  Each parse gets a
 * buffer of exactly its length, so a read past len is caught under ASan.
 */
static void
assert_accepts(const unsigned char *p, size_t len, size_t greet_len,
    int version, const char *host, uint16_t port)
{
	struct socks_request r;
	const char *why;
	unsigned char *q;
	size_t k;

	for (k = 0; k < len; k++) {
		q = malloc(k + 1);
		ck_assert_ptr_nonnull(q);
		memcpy(q, p, k);
		ck_assert_msg(socks_parse(q, k, &r, &why) == ERR_AGAIN,
		    "prefix of %zu bytes of %zu: not ERR_AGAIN (%s)", k, len,
		    why != NULL ? why : "");
		ck_assert_ptr_null(why);
		ck_assert_int_eq(r.greeted,
		    version == 5 && k >= greet_len ? 1 : 0);
		ck_assert_int_eq(r.version, k == 0 ? 0 : version);
		ck_assert_str_eq(r.host, "");
		ck_assert_uint_eq(r.port, 0);
		ck_assert_uint_eq(r.used, 0);
		ck_assert_uint_eq(r.refusal_len, 0);
		free(q);
	}

	q = malloc(len + 5);
	ck_assert_ptr_nonnull(q);
	memcpy(q, p, len);
	ck_assert_int_eq(socks_parse(q, len, &r, &why), ERR_OK);
	ck_assert_ptr_null(why);
	ck_assert_int_eq(r.version, version);
	ck_assert_str_eq(r.host, host);
	ck_assert_uint_eq(r.port, port);
	ck_assert_uint_eq(r.used, len);
	ck_assert_int_eq(r.greeted, version == 5);
	ck_assert_uint_eq(r.refusal_len, 0);

	/* what follows is the relayed stream, even if it looks like SOCKS */
	memcpy(q + len, "\x05\x00\xff\x00\x04", 5);
	for (k = 1; k <= 5; k++) {
		ck_assert_int_eq(socks_parse(q, len + k, &r, &why), ERR_OK);
		ck_assert_uint_eq(r.used, len);
		ck_assert_str_eq(r.host, host);
		ck_assert_uint_eq(r.port, port);
	}
	free(q);
}

static void
assert_accepts_hex(const char *hex, size_t greet_len, int version,
    const char *host, uint16_t port)
{
	size_t len;
	unsigned char *p = unhex_dup(hex, &len);

	assert_accepts(p, len, greet_len, version, host, port);
	free(p);
}

/*
 * p[0..len) must be refused with reason and refusal bytes refusal_hex,
 * and greeted as given; every proper prefix must be ERR_AGAIN or the
 * same refusal (a field is judged when its bytes are in, never later).
 */
static void
assert_refuses(const unsigned char *p, size_t len, const char *reason,
    const char *refusal_hex, int greeted)
{
	struct socks_request r;
	const char *why;
	unsigned char *want, *q;
	size_t want_len, k;
	int rc;

	want = unhex_dup(refusal_hex, &want_len);
	for (k = 0; k <= len; k++) {
		q = malloc(k + 1);
		ck_assert_ptr_nonnull(q);
		memcpy(q, p, k);
		rc = socks_parse(q, k, &r, &why);
		free(q);
		if (rc == ERR_AGAIN && k < len) {
			ck_assert_ptr_null(why);
			continue;
		}
		ck_assert_msg(rc == ERR_INVALID_FORMAT,
		    "%zu bytes of %zu: %d, want ERR_INVALID_FORMAT", k, len,
		    rc);
		ck_assert_ptr_nonnull(why);
		ck_assert_str_eq(why, reason);
		ck_assert_uint_eq(r.refusal_len, want_len);
		if (want_len > 0)
			ck_assert_mem_eq(r.refusal, want, want_len);
		ck_assert_int_eq(r.greeted, greeted);
		ck_assert_str_eq(r.host, "");
		ck_assert_uint_eq(r.port, 0);
		ck_assert_uint_eq(r.used, 0);
	}
	free(want);
}

static void
assert_refuses_hex(const char *hex, const char *reason,
    const char *refusal_hex, int greeted)
{
	size_t len;
	unsigned char *p = unhex_dup(hex, &len);

	assert_refuses(p, len, reason, refusal_hex, greeted);
	free(p);
}

/* ---- requests */

#define GREET "050100"          /* VER 5, one method: no authentication */
#define GREET2 "05020200"       /* username/password, then none */
#define REFUSE4 "005b000000000000"
#define REFUSE5_METHOD "05ff"
#define REFUSE5(code) "05" code "0001000000000000"

/* The accepted forms, for a loop test. */
static const struct {
	const char *hex;
	size_t greet_len;
	int version;
	const char *host;
	uint16_t port;
} accepted[] = {
	/* SOCKS4 to 192.168.1.2:80 as "user" */
	{ "04010050c0a80102" "7573657200", 0, 4, "192.168.1.2", 80 },
	/* SOCKS4, empty user id (curl sends none) */
	{ "04011f900a00000100", 0, 4, "10.0.0.1", 8080 },
	/* SOCKS4 to 0.0.0.0: not a 4a marker, an address */
	{ "040100160000000000", 0, 4, "0.0.0.0", 22 },
	/* SOCKS4a to example.com:443 as "u" */
	{ "040101bb00000001" "7500" "6578616d706c652e636f6d00", 0, 4,
	    "example.com", 443 },
	/* SOCKS4a, 0.0.0.255, empty user id */
	{ "04010016000000ff" "00" "64622e696e7465726e616c00", 0, 4,
	    "db.internal", 22 },
	/* SOCKS5 to 10.0.0.1:22 */
	{ GREET "050100010a0000010016", 3, 5, "10.0.0.1", 22 },
	/* SOCKS5 to example.com:443, two methods offered */
	{ GREET2 "050100030b6578616d706c652e636f6d01bb", 4, 5,
	    "example.com", 443 },
	/* SOCKS5 to a one-letter name */
	{ GREET "0501000301610050", 3, 5, "a", 80 },
	/* SOCKS5 to [2001:db8::1]:8080 */
	{ GREET "05010004" "20010db8000000000000000000000001" "1f90", 3, 5,
	    "2001:db8::1", 8080 },
	/* SOCKS5 to [::ffff:192.0.2.1]:65535 */
	{ GREET "05010004" "00000000000000000000ffffc0000201" "ffff", 3, 5,
	    "::ffff:192.0.2.1", 65535 },
};

START_TEST(test_accepted_forms)
{
	assert_accepts_hex(accepted[_i].hex, accepted[_i].greet_len,
	    accepted[_i].version, accepted[_i].host, accepted[_i].port);
}
END_TEST

/* The refusals, each with its reason, its bytes and greeted. */
static const struct {
	const char *hex;
	const char *reason;
	const char *refusal;
	int greeted;
} refused[] = {
	/* not SOCKS at all: nothing to answer in */
	{ "474554202f20485454502f312e310d0a", "unknown SOCKS version 0x47",
	    "", 0 },
	{ "160301", "unknown SOCKS version 0x16", "", 0 },
	{ "00", "unknown SOCKS version 0x00", "", 0 },
	{ "ff", "unknown SOCKS version 0xff", "", 0 },
	/* SOCKS4 BIND */
	{ "04020050c0a8010200", "SOCKS4: only CONNECT is supported",
	    REFUSE4, 0 },
	{ "04000050c0a8010200", "SOCKS4: only CONNECT is supported",
	    REFUSE4, 0 },
	{ "04010000c0a8010200", "SOCKS4: port 0", REFUSE4, 0 },
	{ "040100000000000100616200", "SOCKS4: port 0", REFUSE4, 0 },
	/* SOCKS4a names */
	{ "040100500000000100" "00", "SOCKS4a: empty host name", REFUSE4,
	    0 },
	{ "040100500000000100" "6578016100", /* "ex\1a" */
	    "SOCKS4a: host name byte not printable ASCII", REFUSE4, 0 },
	{ "040100500000000100" "61206200", /* "a b" */
	    "SOCKS4a: host name byte not printable ASCII", REFUSE4, 0 },
	{ "040100500000000100" "617f00",
	    "SOCKS4a: host name byte not printable ASCII", REFUSE4, 0 },
	{ "040100500000000100" "61c3a900", /* UTF-8 */
	    "SOCKS4a: host name byte not printable ASCII", REFUSE4, 0 },
	{ "040100500000000100" "610a00",
	    "SOCKS4a: host name byte not printable ASCII", REFUSE4, 0 },
	/* SOCKS5 greeting */
	{ "0500", "SOCKS5: no authentication methods offered",
	    REFUSE5_METHOD, 0 },
	{ "050102", "SOCKS5: no acceptable authentication method",
	    REFUSE5_METHOD, 0 },
	{ "0503010203", "SOCKS5: no acceptable authentication method",
	    REFUSE5_METHOD, 0 },
	/* SOCKS5 request */
	{ GREET "040100010a0000010016", "SOCKS5: request version is not 5",
	    REFUSE5("01"), 1 },
	{ GREET "050200010a0000010016", "SOCKS5: only CONNECT is supported",
	    REFUSE5("07"), 1 },
	{ GREET "050300010a0000010016", "SOCKS5: only CONNECT is supported",
	    REFUSE5("07"), 1 },
	{ GREET "050101010a0000010016", "SOCKS5: reserved byte is not 0",
	    REFUSE5("01"), 1 },
	{ GREET "050100020a0000010016", "SOCKS5: address type not supported",
	    REFUSE5("08"), 1 },
	{ GREET "05010000", "SOCKS5: address type not supported",
	    REFUSE5("08"), 1 },
	{ GREET "050100030050", "SOCKS5: empty host name", REFUSE5("01"), 1 },
	{ GREET "05010003036120620050",
	    "SOCKS5: host name byte not printable ASCII", REFUSE5("01"), 1 },
	{ GREET "05010003036100620050",
	    "SOCKS5: host name byte not printable ASCII", REFUSE5("01"), 1 },
	{ GREET "050100030361ff620050",
	    "SOCKS5: host name byte not printable ASCII", REFUSE5("01"), 1 },
	{ GREET "05010003031b5b6d0050", /* ESC [ m */
	    "SOCKS5: host name byte not printable ASCII", REFUSE5("01"), 1 },
	{ GREET "050100010a0000010000", "SOCKS5: port 0", REFUSE5("01"), 1 },
	{ GREET "0501000301610000", "SOCKS5: port 0", REFUSE5("01"), 1 },
	{ GREET "05010004" "00000000000000000000000000000001" "0000",
	    "SOCKS5: port 0", REFUSE5("01"), 1 },
};

START_TEST(test_refusals)
{
	assert_refuses_hex(refused[_i].hex, refused[_i].reason,
	    refused[_i].refusal, refused[_i].greeted);
}
END_TEST

/* A bad byte is refused before the rest of the name, or its NUL, is in. */
START_TEST(test_refused_early)
{
	struct socks_request r;
	const char *why;
	size_t len;
	unsigned char *p;

	p = unhex_dup("040100500000000100" "61", &len);
	ck_assert_int_eq(socks_parse(p, len, &r, &why), ERR_AGAIN);
	free(p);
	p = unhex_dup("040100500000000100" "6120", &len);
	ck_assert_int_eq(socks_parse(p, len, &r, &why), ERR_INVALID_FORMAT);
	ck_assert_str_eq(why, "SOCKS4a: host name byte not printable ASCII");
	free(p);
	p = unhex_dup(GREET "05010003ff" "6109", &len);
	ck_assert_int_eq(socks_parse(p, len, &r, &why), ERR_INVALID_FORMAT);
	ck_assert_str_eq(why, "SOCKS5: host name byte not printable ASCII");
	ck_assert_int_eq(r.greeted, 1);
	free(p);
	/* BIND is refused on its own byte */
	p = unhex_dup("0402", &len);
	ck_assert_int_eq(socks_parse(p, len, &r, &why), ERR_INVALID_FORMAT);
	free(p);
	p = unhex_dup(GREET "0502", &len);
	ck_assert_int_eq(socks_parse(p, len, &r, &why), ERR_INVALID_FORMAT);
	ck_assert_int_eq(r.refusal[1], 0x07);
	free(p);
}
END_TEST

/* USERID: 255 bytes and a NUL pass, a 256th byte is refused. */
START_TEST(test_userid_limit)
{
	unsigned char *p;
	char *s;
	size_t len;

	s = repeat('u', 255);
	p = build("04010050c0a80102", s, "00", &len);
	assert_accepts(p, len, 0, 4, "192.168.1.2", 80);
	free(p);
	free(s);

	/* any byte but NUL: the user id is never interpreted */
	p = unhex_dup("04010050c0a80102" "ff200a0100", &len);
	assert_accepts(p, len, 0, 4, "192.168.1.2", 80);
	free(p);

	s = repeat('u', 256);
	p = build("04010050c0a80102", s, "00", &len);
	assert_refuses(p, len, "SOCKS4: user id over 255 bytes", REFUSE4, 0);
	free(p);
	/* refused without its NUL: the client may never send one */
	p = build("04010050c0a80102", s, "", &len);
	assert_refuses(p, len, "SOCKS4: user id over 255 bytes", REFUSE4, 0);
	free(p);
	free(s);

	/* the same bound for 4a, counted apart from the name */
	s = repeat('u', 255);
	p = build("0401005000000001", s, "00686f737400", &len);
	assert_accepts(p, len, 0, 4, "host", 80);
	free(p);
	free(s);
}
END_TEST

/* Names: 255 bytes pass in both protocols, 256 are refused in 4a (and
 * cannot be said in SOCKS5). */
START_TEST(test_name_limit)
{
	unsigned char *p;
	char *s;
	size_t len;

	s = repeat('h', 255);
	p = build("040100500000000100", s, "00", &len);
	assert_accepts(p, len, 0, 4, s, 80);
	free(p);
	p = build(GREET "05010003ff", s, "0050", &len);
	assert_accepts(p, len, 3, 5, s, 80);
	free(p);
	free(s);

	s = repeat('h', 256);
	p = build("040100500000000100", s, "00", &len);
	assert_refuses(p, len, "SOCKS4a: host name over 255 bytes", REFUSE4,
	    0);
	free(p);
	free(s);

	/* every printable byte but space is allowed */
	p = build(GREET "050100035e",
	    "!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~", "0050", &len);
	ck_assert_uint_eq(len, 3 + 5 + 0x5e + 2);
	assert_accepts(p, len, 3, 5,
	    "!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~", 80);
	free(p);
}
END_TEST

/* The most methods a greeting can offer, "none" the last of them. */
START_TEST(test_many_methods)
{
	unsigned char p[2 + 255 + 10];
	size_t i;

	p[0] = 0x05;
	p[1] = 255;
	for (i = 0; i < 255; i++)
		p[2 + i] = (unsigned char)(255 - i);
	p[256] = 0x00;
	memcpy(p + 257, "\x05\x01\x00\x01\x7f\x00\x00\x01\x00\x50", 10);
	assert_accepts(p, sizeof(p), 257, 5, "127.0.0.1", 80);
	p[256] = 0x80;                                  /* no 00 at all */
	assert_refuses(p, 257, "SOCKS5: no acceptable authentication method",
	    REFUSE5_METHOD, 0);
}
END_TEST

/* A request parsed into a struct that held another one is clean. */
START_TEST(test_overwrites)
{
	struct socks_request r;
	const char *why = "stale";
	size_t len;
	unsigned char *p;

	p = unhex_dup(GREET "050100030b6578616d706c652e636f6d01bb", &len);
	ck_assert_int_eq(socks_parse(p, len, &r, &why), ERR_OK);
	ck_assert_int_eq(socks_parse(p, len - 1, &r, &why), ERR_AGAIN);
	ck_assert_str_eq(r.host, "");
	ck_assert_uint_eq(r.port, 0);
	ck_assert_uint_eq(r.used, 0);
	ck_assert_int_eq(r.greeted, 1);
	free(p);
	p = unhex_dup("0402", &len);
	ck_assert_int_eq(socks_parse(p, len, &r, &why), ERR_INVALID_FORMAT);
	ck_assert_int_eq(socks_parse(p, 0, &r, &why), ERR_AGAIN);
	ck_assert_ptr_null(why);
	ck_assert_int_eq(r.version, 0);
	ck_assert_uint_eq(r.refusal_len, 0);
	free(p);
}
END_TEST

/* ---- replies */

START_TEST(test_replies)
{
	struct socks_request r;
	unsigned char out[16];

	memset(out, 0xaa, sizeof(out));
	ck_assert_uint_eq(socks_method_reply(out), 2);
	ck_assert_mem_eq(out, "\x05\x00", 2);
	ck_assert_uint_eq(out[2], 0xaa);

	memset(&r, 0, sizeof(r));
	r.version = 4;
	memset(out, 0xaa, sizeof(out));
	ck_assert_uint_eq(socks_reply(&r, 1, out, sizeof(out)), 8);
	ck_assert_mem_eq(out, "\x00\x5a\x00\x00\x00\x00\x00\x00", 8);
	ck_assert_uint_eq(out[8], 0xaa);
	ck_assert_uint_eq(socks_reply(&r, 0, out, 8), 8);
	ck_assert_mem_eq(out, "\x00\x5b\x00\x00\x00\x00\x00\x00", 8);
	memset(out, 0xaa, sizeof(out));
	ck_assert_uint_eq(socks_reply(&r, 1, out, 7), 0);
	ck_assert_uint_eq(out[0], 0xaa);

	r.version = 5;
	memset(out, 0xaa, sizeof(out));
	ck_assert_uint_eq(socks_reply(&r, 1, out, sizeof(out)), 10);
	ck_assert_mem_eq(out, "\x05\x00\x00\x01\x00\x00\x00\x00\x00\x00", 10);
	ck_assert_uint_eq(out[10], 0xaa);
	ck_assert_uint_eq(socks_reply(&r, 0, out, 10), 10);
	ck_assert_mem_eq(out, "\x05\x01\x00\x01\x00\x00\x00\x00\x00\x00", 10);
	memset(out, 0xaa, sizeof(out));
	ck_assert_uint_eq(socks_reply(&r, 1, out, 9), 0);
	ck_assert_uint_eq(out[0], 0xaa);

	r.version = 0;
	ck_assert_uint_eq(socks_reply(&r, 1, out, sizeof(out)), 0);
}
END_TEST

/* The reply to a parsed request is in the request's own format. */
START_TEST(test_reply_follows_request)
{
	struct socks_request r;
	const char *why;
	unsigned char out[10];
	size_t len;
	unsigned char *p;

	p = unhex_dup("040101bb00000001" "00" "6100", &len);
	ck_assert_int_eq(socks_parse(p, len, &r, &why), ERR_OK);
	ck_assert_uint_eq(socks_reply(&r, 1, out, sizeof(out)), 8);
	ck_assert_uint_eq(out[1], 0x5a);
	free(p);
	p = unhex_dup(GREET "0501000301610050", &len);
	ck_assert_int_eq(socks_parse(p, len, &r, &why), ERR_OK);
	ck_assert_uint_eq(socks_reply(&r, 0, out, sizeof(out)), 10);
	ck_assert_mem_eq(out, "\x05\x01\x00\x01\x00\x00\x00\x00\x00\x00", 10);
	free(p);
}
END_TEST

static Suite *
socks_suite(void)
{
	Suite *s = suite_create("socks");
	TCase *tc = tcase_create("parse"), *rep = tcase_create("replies");

	tcase_add_loop_test(tc, test_accepted_forms, 0,
	    (int)(sizeof(accepted) / sizeof(accepted[0])));
	tcase_add_loop_test(tc, test_refusals, 0,
	    (int)(sizeof(refused) / sizeof(refused[0])));
	tcase_add_test(tc, test_refused_early);
	tcase_add_test(tc, test_userid_limit);
	tcase_add_test(tc, test_name_limit);
	tcase_add_test(tc, test_many_methods);
	tcase_add_test(tc, test_overwrites);
	suite_add_tcase(s, tc);
	tcase_add_test(rep, test_replies);
	tcase_add_test(rep, test_reply_follows_request);
	suite_add_tcase(s, rep);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(socks_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
