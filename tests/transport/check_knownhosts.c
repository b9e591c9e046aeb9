/*
 * Tests for src/transport/knownhosts.c.  Real keys come from ssh-keygen
 * at test time (generated once in main() into a private directory, which
 * the forked tests inherit), and OpenSSH's own tools check both
 * directions: we parse files that `ssh-keygen -H` hashed, and
 * `ssh-keygen -F` finds lines that we hashed.
 */
#include "config.h"

#include <sys/wait.h>

#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/base64.h"
#include "common/buf.h"
#include "common/err.h"
#include "transport/knownhosts.h"

struct test_key {
	char type[64];
	char b64[4096];         /* as in the .pub file */
	unsigned char blob[4096];
	size_t len;
};

/* Two ed25519 keys, ECDSA P-256 and P-384, RSA. */
enum { K_ED1, K_ED2, K_EC256, K_EC384, K_RSA, K_COUNT };
static struct test_key keys[K_COUNT];
static char tmpdir[256];

/* ---- fixtures (main(), before any test forks) */

static void
die(const char *what)
{
	fprintf(stderr, "check_knownhosts: %s\n", what);
	exit(EXIT_FAILURE);
}

static void
run_or_die(const char *cmd)
{
	if (system(cmd) != 0) {
		fprintf(stderr, "check_knownhosts: failed: %s\n", cmd);
		exit(EXIT_FAILURE);
	}
}

static void
key_from_pub_line(struct test_key *k, const char *line)
{
	struct buf *b = buf_new(0);

	if (b == NULL || sscanf(line, "%63s %4095s", k->type, k->b64) != 2 ||
	    base64_decode(k->b64, strlen(k->b64), b) != ERR_OK ||
	    buf_len(b) > sizeof(k->blob))
		die("cannot read a public key");
	memcpy(k->blob, buf_ptr(b), buf_len(b));
	k->len = buf_len(b);
	buf_free(b);
}

static void
gen_key(struct test_key *k, const char *name, const char *args)
{
	char cmd[1024], path[512], line[8192];
	FILE *f;

	snprintf(cmd, sizeof(cmd), "ssh-keygen -q %s -N '' -C test -f %s/%s "
	    "</dev/null >/dev/null", args, tmpdir, name);
	run_or_die(cmd);
	snprintf(path, sizeof(path), "%s/%s.pub", tmpdir, name);
	if ((f = fopen(path, "r")) == NULL || fgets(line, sizeof(line), f) ==
	    NULL)
		die("cannot read a .pub file");
	fclose(f);
	key_from_pub_line(k, line);
}

/* ---- helpers */

static char *
path_in_tmp(const char *name)
{
	static char path[512];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	return path;
}

static void
write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(text, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

/* The whole file, NUL-terminated; caller frees. */
static char *
read_file(const char *path, size_t *lenp)
{
	struct buf *b = buf_new(0);
	char chunk[4096];
	size_t n;
	char *ret;
	FILE *f = fopen(path, "r");

	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(b);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		ck_assert_int_eq(buf_put(b, chunk, n), ERR_OK);
	fclose(f);
	*lenp = buf_len(b);
	ret = buf_dup_cstr(b);
	ck_assert_ptr_nonnull(ret);
	buf_free(b);
	return ret;
}

/* A known_hosts object holding text as file name; the number of skipped
 * lines goes to *skippedp when not NULL. */
static struct known_hosts *
kh_from(const char *name, const char *text, size_t *skippedp)
{
	struct known_hosts *kh = known_hosts_new();
	size_t skipped = 12345;

	ck_assert_ptr_nonnull(kh);
	ck_assert_int_eq(known_hosts_add_text(kh, name, text, strlen(text),
	    &skipped), ERR_OK);
	ck_assert_uint_ne(skipped, 12345);
	if (skippedp != NULL)
		*skippedp = skipped;
	return kh;
}

/* Checks one name for key k and returns the status. */
static enum kh_status
check1(const struct known_hosts *kh, const char *name, int k,
    struct kh_result *res)
{
	const char *names[1];

	names[0] = name;
	res->status = (enum kh_status)-1;
	res->file = "unset";
	res->line = -1;
	ck_assert_int_eq(known_hosts_check(kh, names, 1, keys[k].blob,
	    keys[k].len, res), ERR_OK);
	return res->status;
}

static void
expect(const struct known_hosts *kh, const char *name, int k,
    enum kh_status status, const char *file, int line)
{
	struct kh_result res;

	ck_assert_msg(check1(kh, name, k, &res) == status,
	    "%s key %d: status %d, want %d (line %d)", name, k, res.status,
	    status, res.line);
	if (file == NULL)
		ck_assert_ptr_null(res.file);
	else {
		ck_assert_ptr_nonnull(res.file);
		ck_assert_str_eq(res.file, file);
	}
	ck_assert_int_eq(res.line, line);
}

/* "type b64" of a key, for building lines; up to 8 results live at
 * once, so one printf may take several. */
static const char *
pub(int k)
{
	static char s[8][4200];
	static int which;

	which = (which + 1) % 8;
	snprintf(s[which], sizeof(s[which]), "%s %s", keys[k].type,
	    keys[k].b64);
	return s[which];
}

/* Runs cmd and returns its exit status, its output in out (size n). */
static int
run_capture(const char *cmd, char *out, size_t n)
{
	FILE *p = popen(cmd, "r");
	size_t got = 0, r;
	int st;

	ck_assert_ptr_nonnull(p);
	while (got + 1 < n && (r = fread(out + got, 1, n - 1 - got, p)) > 0)
		got += r;
	out[got] = '\0';
	st = pclose(p);
	ck_assert(WIFEXITED(st));
	return WEXITSTATUS(st);
}

/* ---- tests */

/* The .pub lines themselves parse, under host lists of every kind. */
START_TEST(test_plain_from_keygen)
{
	char text[32768];
	struct known_hosts *kh;
	size_t skipped;

	snprintf(text, sizeof(text),
	    "# written by the test\n"
	    "host1.example.com,10.0.0.1 %s test\n"
	    "[host2.example.com]:2222 %s\n"
	    "\n"
	    "host3.example.com %s a comment with  spaces\n"
	    "host4.example.com %s\n"
	    "host5.example.com\t%s\n",
	    pub(K_ED1), pub(K_EC256), pub(K_RSA), pub(K_EC384), pub(K_ED2));
	kh = kh_from("kh", text, &skipped);
	ck_assert_uint_eq(skipped, 0);
	ck_assert_uint_eq(known_hosts_count(kh), 5);
	expect(kh, "host1.example.com", K_ED1, KH_STATUS_OK, "kh", 2);
	expect(kh, "10.0.0.1", K_ED1, KH_STATUS_OK, "kh", 2);
	expect(kh, "[host2.example.com]:2222", K_EC256, KH_STATUS_OK, "kh", 3);
	expect(kh, "host2.example.com", K_EC256, KH_STATUS_NEW, NULL, 0);
	expect(kh, "host3.example.com", K_RSA, KH_STATUS_OK, "kh", 5);
	expect(kh, "host4.example.com", K_EC384, KH_STATUS_OK, "kh", 6);
	expect(kh, "host5.example.com", K_ED2, KH_STATUS_OK, "kh", 7);
	expect(kh, "host5.example.com", K_ED1, KH_STATUS_CHANGED, "kh", 7);
	expect(kh, "host6.example.com", K_ED1, KH_STATUS_NEW, NULL, 0);
	known_hosts_free(kh);
}
END_TEST

/* `ssh-keygen -H` hashes a file; we find every host in it, and nothing
 * else. */
START_TEST(test_hashed_by_keygen)
{
	static const char *hosts[] = {
		"host1.example.com", "10.0.0.1", "[host2.example.com]:2222",
		"host3.example.com",
	};
	static const int hostkey[] = { K_ED1, K_ED1, K_EC256, K_RSA };
	char text[32768], cmd[1024], out[256], *hashed, *p;
	struct known_hosts *kh;
	struct kh_result res;
	size_t skipped, len, i, nlines = 0;
	const char *path = path_in_tmp("hashme");

	snprintf(text, sizeof(text),
	    "host1.example.com,10.0.0.1 %s\n"
	    "[host2.example.com]:2222 %s\n"
	    "host3.example.com %s\n",
	    pub(K_ED1), pub(K_EC256), pub(K_RSA));
	write_file(path, text, strlen(text));
	snprintf(cmd, sizeof(cmd), "ssh-keygen -q -H -f %s 2>&1", path);
	ck_assert_int_eq(run_capture(cmd, out, sizeof(out)), 0);
	hashed = read_file(path, &len);
	/* no name is left in clear, and the two names of line 1 became two
	 * lines */
	ck_assert_ptr_null(strstr(hashed, "example.com"));
	ck_assert_ptr_null(strstr(hashed, "10.0.0.1"));
	for (p = hashed; (p = strchr(p, '\n')) != NULL; p++)
		nlines++;
	ck_assert_uint_eq(nlines, 4);
	ck_assert_mem_eq(hashed, "|1|", 3);

	kh = kh_from("hashed", hashed, &skipped);
	ck_assert_uint_eq(skipped, 0);
	ck_assert_uint_eq(known_hosts_count(kh), 4);
	for (i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
		ck_assert_msg(check1(kh, hosts[i], hostkey[i], &res) ==
		    KH_STATUS_OK, "%s not found", hosts[i]);
		ck_assert_str_eq(res.file, "hashed");
		ck_assert_int_eq(res.line, (int)i + 1);
	}
	/* a conflicting key of the same type under a hashed name */
	expect(kh, "host1.example.com", K_ED2, KH_STATUS_CHANGED, "hashed", 1);
	/* names are matched exactly: no port, another port, another host */
	expect(kh, "host2.example.com", K_EC256, KH_STATUS_NEW, NULL, 0);
	expect(kh, "[host2.example.com]:2223", K_EC256, KH_STATUS_NEW, NULL, 0);
	expect(kh, "host1.example.co", K_ED1, KH_STATUS_NEW, NULL, 0);
	/* case does not matter for the names we are given */
	expect(kh, "HOST3.Example.COM", K_RSA, KH_STATUS_OK, "hashed", 4);
	known_hosts_free(kh);
	free(hashed);
}
END_TEST

/* Our hashed lines: byte for byte what ssh-keygen writes for the same
 * salt, and found by `ssh-keygen -F`. */
START_TEST(test_format_line_hashed)
{
	static const struct {
		const char *name, *query;
		int key;
	} cases[] = {
		{ "ourhost.example.org", "ourhost.example.org", K_ED1 },
		{ "[OurHost.example.org]:2222", "[ourhost.example.org]:2222",
		    K_EC256 },
		{ "192.0.2.7", "192.0.2.7", K_RSA },
	};
	unsigned char salt[20];
	char cmd[1024], out[8192], want[64];
	struct buf *b = buf_new(0);
	struct known_hosts *kh;
	struct kh_result res;
	const char *path = path_in_tmp("ours");
	size_t i, skipped;

	ck_assert_ptr_nonnull(b);
	for (i = 0; i < sizeof(salt); i++)
		salt[i] = (unsigned char)(0xa5 ^ (i * 7));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_int_eq(known_hosts_format_line(cases[i].name,
		    keys[cases[i].key].blob, keys[cases[i].key].len, salt, b),
		    ERR_OK);
	ck_assert_mem_eq(buf_ptr(b), "|1|", 3);
	ck_assert_ptr_null(strstr(buf_cstr(b), "ourhost"));
	write_file(path, buf_cstr(b), buf_len(b));

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(cmd, sizeof(cmd), "ssh-keygen -F '%s' -f %s 2>&1",
		    cases[i].query, path);
		ck_assert_msg(run_capture(cmd, out, sizeof(out)) == 0,
		    "ssh-keygen -F %s: %s", cases[i].query, out);
		snprintf(want, sizeof(want), "found: line %zu", i + 1);
		ck_assert_msg(strstr(out, want) != NULL, "%s", out);
		ck_assert_ptr_nonnull(strstr(out, keys[cases[i].key].b64));
	}
	/* and ssh-keygen does not find what is not there */
	snprintf(cmd, sizeof(cmd), "ssh-keygen -F other.example.org -f %s "
	    "2>&1", path);
	ck_assert_int_ne(run_capture(cmd, out, sizeof(out)), 0);

	/* we find our own lines */
	kh = kh_from("ours", buf_cstr(b), &skipped);
	ck_assert_uint_eq(skipped, 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_int_eq(check1(kh, cases[i].query, cases[i].key, &res),
		    KH_STATUS_OK);
		ck_assert_int_eq(res.line, (int)i + 1);
	}
	known_hosts_free(kh);
	buf_free(b);
}
END_TEST

/* With the salt of a line ssh-keygen hashed, we produce that line. */
START_TEST(test_format_line_same_as_keygen)
{
	char text[8192], cmd[1024], out[256], *hashed, *bar;
	unsigned char salt[20];
	struct buf *b = buf_new(0), *sb = buf_new(0);
	const char *path = path_in_tmp("same");
	size_t len;

	ck_assert_ptr_nonnull(b);
	ck_assert_ptr_nonnull(sb);
	snprintf(text, sizeof(text), "same.example.net %s\n", pub(K_EC384));
	write_file(path, text, strlen(text));
	snprintf(cmd, sizeof(cmd), "ssh-keygen -q -H -f %s 2>&1", path);
	ck_assert_int_eq(run_capture(cmd, out, sizeof(out)), 0);
	hashed = read_file(path, &len);
	/* |1|salt|hash */
	ck_assert_mem_eq(hashed, "|1|", 3);
	bar = strchr(hashed + 3, '|');
	ck_assert_ptr_nonnull(bar);
	ck_assert_int_eq(base64_decode(hashed + 3, (size_t)(bar - hashed - 3),
	    sb), ERR_OK);
	ck_assert_uint_eq(buf_len(sb), sizeof(salt));
	memcpy(salt, buf_ptr(sb), sizeof(salt));
	ck_assert_int_eq(known_hosts_format_line("same.example.net",
	    keys[K_EC384].blob, keys[K_EC384].len, salt, b), ERR_OK);
	ck_assert_str_eq(buf_cstr(b), hashed);
	free(hashed);
	buf_free(b);
	buf_free(sb);
}
END_TEST

START_TEST(test_format_line_plain)
{
	struct buf *b = buf_new(0);
	char want[4300];
	static const char *bad_plain[] = {
		"", "a,b", "*.example.com", "h?st", "!host", "|1|x|y", "@revoked",
		"#host", "a b", "a\tb", "a\nb", "a\rb", "a\x7f",
	};
	size_t i;

	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(buf_put_cstr(b, "before\n"), ERR_OK);
	ck_assert_int_eq(known_hosts_format_line("Plain.Example.COM",
	    keys[K_ED1].blob, keys[K_ED1].len, NULL, b), ERR_OK);
	snprintf(want, sizeof(want), "before\nplain.example.com %s\n",
	    pub(K_ED1));
	ck_assert_str_eq(buf_cstr(b), want);

	/* names that would not read back as one host; out is untouched */
	for (i = 0; i < sizeof(bad_plain) / sizeof(bad_plain[0]); i++) {
		ck_assert_msg(known_hosts_format_line(bad_plain[i],
		    keys[K_ED1].blob, keys[K_ED1].len, NULL, b) ==
		    ERR_INVALID_ARGUMENT, "accepted \"%s\"", bad_plain[i]);
		ck_assert_str_eq(buf_cstr(b), want);
	}
	/* hashed, a list-like name is only a name */
	ck_assert_int_eq(known_hosts_format_line("a,b", keys[K_ED1].blob,
	    keys[K_ED1].len, (const unsigned char *)"01234567890123456789", b),
	    ERR_OK);
	/* blobs the reader would skip are not written */
	ck_assert_int_eq(known_hosts_format_line("h", keys[K_ED1].blob,
	    keys[K_ED1].len - 1, NULL, b), ERR_INVALID_FORMAT);
	ck_assert_int_eq(known_hosts_format_line("h",
	    (const unsigned char *)"\0\0\0\x07ssh-foo", 11, NULL, b),
	    ERR_KEY_TYPE_UNKNOWN);
	ck_assert_int_eq(known_hosts_format_line("h", NULL, 0, NULL, b),
	    ERR_INVALID_ARGUMENT);
	buf_free(b);
}
END_TEST

START_TEST(test_name)
{
	char *s;

	s = known_hosts_name("Host.Example.COM", 22);
	ck_assert_str_eq(s, "host.example.com");
	free(s);
	s = known_hosts_name("Host.Example.COM", 2222);
	ck_assert_str_eq(s, "[host.example.com]:2222");
	free(s);
	s = known_hosts_name("host", 0);
	ck_assert_str_eq(s, "host");
	free(s);
	s = known_hosts_name("2001:DB8::1", 443);
	ck_assert_str_eq(s, "[2001:db8::1]:443");
	free(s);
	s = known_hosts_name("h", 65535);
	ck_assert_str_eq(s, "[h]:65535");
	free(s);
	ck_assert_ptr_null(known_hosts_name("h", -1));
	ck_assert_ptr_null(known_hosts_name("h", 65536));
	ck_assert_ptr_null(known_hosts_name(NULL, 22));
}
END_TEST

START_TEST(test_wildcards_and_negation)
{
	char text[16384];
	struct known_hosts *kh;
	size_t skipped;

	snprintf(text, sizeof(text),
	    "*.example.com,!bad.example.com %s\n"
	    "host?.net %s\n"
	    "*.EXAMPLE.ORG %s\n"
	    "!only-negated.example %s\n"
	    "alias-*-x,[*.ported]:2222 %s\n"
	    "bad.example.com %s\n",
	    pub(K_ED1), pub(K_ED1), pub(K_ED1), pub(K_ED1), pub(K_ED1),
	    pub(K_ED2));
	kh = kh_from("wild", text, &skipped);
	ck_assert_uint_eq(skipped, 0);
	expect(kh, "good.example.com", K_ED1, KH_STATUS_OK, "wild", 1);
	expect(kh, "a.b.example.com", K_ED1, KH_STATUS_OK, "wild", 1);
	/* '*.' needs the dot */
	expect(kh, "example.com", K_ED1, KH_STATUS_NEW, NULL, 0);
	/* the negation excludes line 1; line 6 is the only entry */
	expect(kh, "bad.example.com", K_ED1, KH_STATUS_CHANGED, "wild", 6);
	expect(kh, "bad.example.com", K_ED2, KH_STATUS_OK, "wild", 6);
	expect(kh, "BAD.Example.Com", K_ED2, KH_STATUS_OK, "wild", 6);
	/* '?' is exactly one character */
	expect(kh, "host1.net", K_ED1, KH_STATUS_OK, "wild", 2);
	expect(kh, "host10.net", K_ED1, KH_STATUS_NEW, NULL, 0);
	expect(kh, "host.net", K_ED1, KH_STATUS_NEW, NULL, 0);
	/* patterns are case-insensitive */
	expect(kh, "www.example.org", K_ED1, KH_STATUS_OK, "wild", 3);
	expect(kh, "Www.Example.Org", K_ED1, KH_STATUS_OK, "wild", 3);
	/* a list of negations alone matches nothing */
	expect(kh, "only-negated.example", K_ED1, KH_STATUS_NEW, NULL, 0);
	expect(kh, "other.example", K_ED1, KH_STATUS_NEW, NULL, 0);
	/* wildcards inside words and inside brackets */
	expect(kh, "alias-1-x", K_ED1, KH_STATUS_OK, "wild", 5);
	expect(kh, "alias--x", K_ED1, KH_STATUS_OK, "wild", 5);
	expect(kh, "alias-1-y", K_ED1, KH_STATUS_NEW, NULL, 0);
	expect(kh, "[a.ported]:2222", K_ED1, KH_STATUS_OK, "wild", 5);
	expect(kh, "a.ported", K_ED1, KH_STATUS_NEW, NULL, 0);
	known_hosts_free(kh);
}
END_TEST

/* match.c's corner cases, one pattern list at a time. */
START_TEST(test_pattern_corners)
{
	static const struct {
		const char *patterns, *name;
		int match;
	} cases[] = {
		{ "*", "anything", 1 },
		{ "*", "[h]:2222", 1 },
		{ "**a**", "xay", 1 },
		{ "*a*b", "aaab", 1 },
		{ "*a*b", "aaabc", 0 },
		{ "a*b*c", "abbbbc", 1 },
		{ "a*b*c", "acb", 0 },
		{ "?", "", 0 },
		{ "*?", "", 0 },
		{ "*?", "x", 1 },
		{ "h,", "h", 1 },
		{ ",h", "h", 1 },
		{ "x,,y", "y", 1 },
		{ "!x,*", "x", 0 },
		{ "*,!x", "x", 0 },
		{ "*,!x", "y", 1 },
		{ "!!x,*", "!x", 0 },
		{ "!!x,*", "x", 1 },
		{ "ab*", "a", 0 },
		{ "*aaaaaaaaaaaaaaaaaaaaaaaaaaaab",
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0 },
		{ "*a*a*a*a*a*a*a*a*a*a*a*a*b",
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0 },
	};
	char text[8192];
	struct known_hosts *kh;
	struct kh_result res;
	size_t i, skipped;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "%s %s\n", cases[i].patterns,
		    pub(K_ED1));
		kh = kh_from("p", text, &skipped);
		ck_assert_uint_eq(skipped, 0);
		ck_assert_msg((check1(kh, cases[i].name, K_ED1, &res) ==
		    KH_STATUS_OK) == cases[i].match, "\"%s\" vs \"%s\"",
		    cases[i].patterns, cases[i].name);
		known_hosts_free(kh);
	}
}
END_TEST

/* A sub-pattern of 1023 bytes or more makes the whole list fail, as
 * match_pattern_list() does; 1022 is fine. */
START_TEST(test_long_subpattern)
{
	char name[1100], text[8192];
	struct known_hosts *kh;
	struct kh_result res;

	memset(name, 'a', sizeof(name));
	name[1022] = '\0';
	snprintf(text, sizeof(text), "%s,x %s\n", name, pub(K_ED1));
	kh = kh_from("p", text, NULL);
	ck_assert_int_eq(check1(kh, name, K_ED1, &res), KH_STATUS_OK);
	ck_assert_int_eq(check1(kh, "x", K_ED1, &res), KH_STATUS_OK);
	known_hosts_free(kh);

	name[1022] = 'a';
	name[1023] = '\0';
	snprintf(text, sizeof(text), "x,%s %s\n", name, pub(K_ED1));
	kh = kh_from("p", text, NULL);
	ck_assert_uint_eq(known_hosts_count(kh), 1);
	ck_assert_int_eq(check1(kh, name, K_ED1, &res), KH_STATUS_NEW);
	ck_assert_int_eq(check1(kh, "x", K_ED1, &res), KH_STATUS_NEW);
	known_hosts_free(kh);

	/* a leading '!' is not part of the length */
	name[1022] = '\0';
	snprintf(text, sizeof(text), "x,!%s %s\n", name, pub(K_ED1));
	kh = kh_from("p", text, NULL);
	ck_assert_int_eq(check1(kh, "x", K_ED1, &res), KH_STATUS_OK);
	ck_assert_int_eq(check1(kh, name, K_ED1, &res), KH_STATUS_NEW);
	known_hosts_free(kh);
}
END_TEST

START_TEST(test_port_entries)
{
	char text[16384], *n2222, *n22;
	struct known_hosts *kh;

	snprintf(text, sizeof(text),
	    "[host.example.com]:2222 %s\n"
	    "host.example.com %s\n",
	    pub(K_ED1), pub(K_ED2));
	kh = kh_from("ports", text, NULL);
	n2222 = known_hosts_name("HOST.example.com", 2222);
	n22 = known_hosts_name("HOST.example.com", 22);
	ck_assert_ptr_nonnull(n2222);
	ck_assert_ptr_nonnull(n22);
	expect(kh, n2222, K_ED1, KH_STATUS_OK, "ports", 1);
	expect(kh, n22, K_ED2, KH_STATUS_OK, "ports", 2);
	/* each name sees only its own entry */
	expect(kh, n2222, K_ED2, KH_STATUS_CHANGED, "ports", 1);
	expect(kh, n22, K_ED1, KH_STATUS_CHANGED, "ports", 2);
	expect(kh, "[host.example.com]:22", K_ED1, KH_STATUS_NEW, NULL, 0);
	free(n2222);
	free(n22);
	known_hosts_free(kh);
}
END_TEST

START_TEST(test_revoked)
{
	char text[32768];
	struct known_hosts *kh;
	struct kh_result res;
	const char *names[2];

	snprintf(text, sizeof(text),
	    "host.example.com %s\n"
	    "other.example.com %s\n"
	    "@revoked\t* %s\n"
	    "@revoked other.example.com %s\n"
	    "@revoked nowhere.example.com %s\n"
	    "somewhere.example.com %s\n",
	    pub(K_ED1), pub(K_EC256), pub(K_ED1), pub(K_EC256), pub(K_RSA),
	    pub(K_RSA));
	kh = kh_from("rev", text, NULL);
	/* @revoked wins over the matching plain entry before it */
	expect(kh, "host.example.com", K_ED1, KH_STATUS_REVOKED, "rev", 3);
	expect(kh, "anything.example", K_ED1, KH_STATUS_REVOKED, "rev", 3);
	expect(kh, "other.example.com", K_EC256, KH_STATUS_REVOKED, "rev", 4);
	/* a @revoked line for other names does not apply */
	expect(kh, "somewhere.example.com", K_RSA, KH_STATUS_OK, "rev", 6);
	/* a @revoked line is not an entry that holds a key */
	expect(kh, "nowhere.example.com", K_RSA, KH_STATUS_REVOKED, "rev", 5);
	expect(kh, "nowhere.example.com", K_EC384, KH_STATUS_NEW, NULL, 0);
	/* a revoked key under a second name still loses */
	names[0] = "somewhere.example.com";
	names[1] = "nowhere.example.com";
	ck_assert_int_eq(known_hosts_check(kh, names, 2, keys[K_RSA].blob,
	    keys[K_RSA].len, &res), ERR_OK);
	ck_assert_int_eq(res.status, KH_STATUS_REVOKED);
	ck_assert_int_eq(res.line, 5);
	known_hosts_free(kh);
}
END_TEST

/* CHANGED names the first conflicting line and its file; the name stays
 * valid after the caller's copy is gone. */
START_TEST(test_changed_reports_file_and_line)
{
	char text[32768], *name;
	struct known_hosts *kh = known_hosts_new();
	struct kh_result res;
	const char *names[2];
	size_t skipped;

	ck_assert_ptr_nonnull(kh);
	snprintf(text, sizeof(text),
	    "unrelated.example %s\n", pub(K_ED1));
	/* file 1, line 1 */
	ck_assert_int_eq(known_hosts_add_text(kh, "/etc/ssh/ssh_known_hosts",
	    text, strlen(text), &skipped), ERR_OK);
	snprintf(text, sizeof(text),
	    "# user file\n"
	    "host.example.com %s\n"
	    "host.example.com %s\n"
	    "*.example.com %s\n"
	    "holder.example %s\n",
	    pub(K_EC256), pub(K_ED1), pub(K_ED1), pub(K_ED2));
	name = strdup("/home/u/.ssh/known_hosts");
	ck_assert_ptr_nonnull(name);
	ck_assert_int_eq(known_hosts_add_text(kh, name, text, strlen(text),
	    &skipped), ERR_OK);
	memset(name, 'X', strlen(name));
	free(name);
	ck_assert_uint_eq(known_hosts_count(kh), 5);
	expect(kh, "host.example.com", K_ED2, KH_STATUS_CHANGED,
	    "/home/u/.ssh/known_hosts", 3);
	expect(kh, "host.example.com", K_ED1, KH_STATUS_OK,
	    "/home/u/.ssh/known_hosts", 3);
	expect(kh, "unrelated.example", K_ED2, KH_STATUS_CHANGED,
	    "/etc/ssh/ssh_known_hosts", 1);
	/* over several names, the first conflicting line of them all */
	names[0] = "x.example.com";
	names[1] = "unrelated.example";
	ck_assert_int_eq(known_hosts_check(kh, names, 2, keys[K_ED2].blob,
	    keys[K_ED2].len, &res), ERR_OK);
	ck_assert_int_eq(res.status, KH_STATUS_CHANGED);
	ck_assert_str_eq(res.file, "/etc/ssh/ssh_known_hosts");
	ck_assert_int_eq(res.line, 1);
	/* OK under one name beats CHANGED under another, even earlier */
	names[0] = "unrelated.example";
	names[1] = "holder.example";
	ck_assert_int_eq(known_hosts_check(kh, names, 2, keys[K_ED2].blob,
	    keys[K_ED2].len, &res), ERR_OK);
	ck_assert_int_eq(res.status, KH_STATUS_OK);
	ck_assert_str_eq(res.file, "/home/u/.ssh/known_hosts");
	ck_assert_int_eq(res.line, 5);
	known_hosts_free(kh);
}
END_TEST

/* Keys of another type never make CHANGED, ECDSA curves included. */
START_TEST(test_other_type_is_new)
{
	char text[16384];
	struct known_hosts *kh;

	snprintf(text, sizeof(text),
	    "host.example.com %s\n"
	    "host.example.com %s\n",
	    pub(K_ED1), pub(K_EC256));
	kh = kh_from("t", text, NULL);
	expect(kh, "host.example.com", K_RSA, KH_STATUS_NEW, NULL, 0);
	expect(kh, "host.example.com", K_EC384, KH_STATUS_NEW, NULL, 0);
	expect(kh, "host.example.com", K_ED2, KH_STATUS_CHANGED, "t", 1);
	known_hosts_free(kh);
}
END_TEST

START_TEST(test_cert_authority)
{
	char text[16384];
	struct known_hosts *kh;
	struct kh_result res;
	const char *names[1];

	snprintf(text, sizeof(text),
	    "@cert-authority *.example.com %s\n"
	    "@cert-authority *.example.net %s\n"
	    "@revoked *.example.net %s\n",
	    pub(K_ED1), pub(K_ED2), pub(K_ED2));
	kh = kh_from("ca", text, NULL);
	names[0] = "h.example.com";
	ck_assert_int_eq(known_hosts_find_ca(kh, names, 1, keys[K_ED1].blob,
	    keys[K_ED1].len, &res), 1);
	ck_assert_int_eq(res.status, KH_STATUS_OK);
	ck_assert_int_eq(res.line, 1);
	ck_assert_str_eq(res.file, "ca");
	/* another CA key, or another host */
	ck_assert_int_eq(known_hosts_find_ca(kh, names, 1, keys[K_ED2].blob,
	    keys[K_ED2].len, &res), 0);
	ck_assert_int_eq(res.status, KH_STATUS_NEW);
	names[0] = "h.example.org";
	ck_assert_int_eq(known_hosts_find_ca(kh, names, 1, keys[K_ED1].blob,
	    keys[K_ED1].len, &res), 0);
	/* a revoked CA is not found */
	names[0] = "h.example.net";
	ck_assert_int_eq(known_hosts_find_ca(kh, names, 1, keys[K_ED2].blob,
	    keys[K_ED2].len, &res), 0);
	ck_assert_int_eq(res.status, KH_STATUS_REVOKED);
	ck_assert_int_eq(res.line, 3);
	/* CA lines are no host keys */
	expect(kh, "h.example.com", K_ED1, KH_STATUS_NEW, NULL, 0);
	expect(kh, "h.example.com", K_ED2, KH_STATUS_NEW, NULL, 0);
	known_hosts_free(kh);
}
END_TEST

/* A buffer holding text and one more line (printf-style). */
static void
add_line(struct buf *b, int *nbad, int bad, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
add_line(struct buf *b, int *nbad, int bad, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ck_assert_int_eq(buf_vputf(b, fmt, ap), ERR_OK);
	va_end(ap);
	ck_assert_int_eq(buf_put_u8(b, '\n'), ERR_OK);
	*nbad += bad;
}

START_TEST(test_malformed_lines)
{
	struct buf *b = buf_new(0), *blob = buf_new(0);
	char ed_b64_bad[4200], ec_unpadded[4200], trunc[4200], *big;
	struct known_hosts *kh;
	size_t skipped, n, biglen = 64 * 1024;
	int nbad = 0;

	ck_assert_ptr_nonnull(b);
	ck_assert_ptr_nonnull(blob);
	/* a character outside the alphabet */
	snprintf(ed_b64_bad, sizeof(ed_b64_bad), "%s", keys[K_ED1].b64);
	ed_b64_bad[10] = '!';
	/* OpenSSH's b64_pton() wants the padding */
	snprintf(ec_unpadded, sizeof(ec_unpadded), "%s", keys[K_EC256].b64);
	n = strlen(ec_unpadded);
	ck_assert_int_eq(ec_unpadded[n - 1], '=');
	ec_unpadded[strcspn(ec_unpadded, "=")] = '\0';
	/* a blob one field short: valid base64, no key */
	ck_assert_int_eq(base64_encode(keys[K_ED1].blob, keys[K_ED1].len - 1,
	    blob, 1), ERR_OK);
	snprintf(trunc, sizeof(trunc), "%s", buf_cstr(blob));

	add_line(b, &nbad, 0, "# a comment");
	add_line(b, &nbad, 0, "   ");
	add_line(b, &nbad, 0, "%s", "");
	add_line(b, &nbad, 0, "\t # indented comment");
	add_line(b, &nbad, 1, "bad1 ssh-ed25519 %s", ed_b64_bad);
	add_line(b, &nbad, 1, "bad2 %s %s", keys[K_EC256].type, ec_unpadded);
	add_line(b, &nbad, 1, "bad3 ssh-ed25519 %s", trunc);
	add_line(b, &nbad, 1, "@foo bad4 %s", pub(K_ED1));
	add_line(b, &nbad, 1, "@revoked");
	add_line(b, &nbad, 1, "@revoked   ");
	add_line(b, &nbad, 1, "@revoked @cert-authority bad5 %s", pub(K_ED1));
	add_line(b, &nbad, 1, "@revoked@ bad6 %s", pub(K_ED1));
	add_line(b, &nbad, 1, "@ bad7 %s", pub(K_ED1));
	add_line(b, &nbad, 1, "bad8 ssh-rsa %s", keys[K_ED1].b64);
	add_line(b, &nbad, 1, "bad9 ecdsa-sha2-nistp384 %s", keys[K_EC256].b64);
	add_line(b, &nbad, 1, "bad10 ssh-foo %s", keys[K_ED1].b64);
	add_line(b, &nbad, 1, "bad11");
	add_line(b, &nbad, 1, "bad12 ");
	add_line(b, &nbad, 1, "bad13 ssh-ed25519");
	add_line(b, &nbad, 1, "bad14 ssh-ed25519 \t");
	add_line(b, &nbad, 1, "bad15 # %s", pub(K_ED1));
	add_line(b, &nbad, 1, "bad16 %s", keys[K_ED1].b64);
	add_line(b, &nbad, 1, "|1|bad|bad %s", pub(K_ED1));
	add_line(b, &nbad, 1, "|2|c2FsdHNhbHRzYWx0c2FsdHNhbHQ=|"
	    "c2FsdHNhbHRzYWx0c2FsdHNhbHQ= %s", pub(K_ED1));
	/* a 19-byte salt */
	add_line(b, &nbad, 1, "|1|c2FsdHNhbHRzYWx0c2FsdHNhbHQ|"
	    "c2FsdHNhbHRzYWx0c2FsdHNhbHQ= %s", pub(K_ED1));
	add_line(b, &nbad, 1, "|1|c2FsdHNhbHRzYWx0c2FsdHNhbHQ=%s", "");
	add_line(b, &nbad, 1, "|1|c2FsdHNhbHRzYWx0c2FsdHNhbHQ=|"
	    "c2FsdHNhbHRzYWx0c2FsdHNhbHQ=,bad17 %s", pub(K_ED1));
	/* the one good line, at line 28 */
	add_line(b, &nbad, 0, "good.example %s", pub(K_ED1));
	/* a line with a NUL byte in its comment */
	ck_assert_int_eq(buf_putf(b, "bad18 %s comment", pub(K_ED1)), ERR_OK);
	ck_assert_int_eq(buf_put(b, "\0more\n", 6), ERR_OK);
	nbad++;
	/* a 64 KiB line: a valid entry under a very long pattern list */
	big = malloc(biglen + 1);
	ck_assert_ptr_nonnull(big);
	for (n = 0; n < biglen; n += 2)
		memcpy(big + n, "a,", 2);
	big[biglen] = '\0';
	ck_assert_int_eq(buf_putf(b, "%sbad19 %s\n", big, pub(K_ED1)), ERR_OK);
	nbad++;
	/* a valid last line without a '\n' */
	ck_assert_int_eq(buf_putf(b, "last.example %s", pub(K_ED2)), ERR_OK);

	kh = known_hosts_new();
	ck_assert_ptr_nonnull(kh);
	ck_assert_int_eq(known_hosts_add_text(kh, "bad", (const char *)
	    buf_ptr(b), buf_len(b), &skipped), ERR_OK);
	ck_assert_uint_eq(skipped, (size_t)nbad);
	ck_assert_uint_eq(known_hosts_count(kh), 2);
	expect(kh, "good.example", K_ED1, KH_STATUS_OK, "bad", 28);
	expect(kh, "last.example", K_ED2, KH_STATUS_OK, "bad", 31);
	expect(kh, "bad19", K_ED1, KH_STATUS_NEW, NULL, 0);
	expect(kh, "bad18", K_ED1, KH_STATUS_NEW, NULL, 0);
	expect(kh, "bad8", K_ED1, KH_STATUS_NEW, NULL, 0);
	expect(kh, "bad3", K_ED1, KH_STATUS_NEW, NULL, 0);
	known_hosts_free(kh);
	free(big);
	buf_free(b);
	buf_free(blob);
}
END_TEST

/*
 * Whether a line "h TYPE base64(blob in b)" parses (1) or is skipped (0);
 * the blob is then looked up under "h" (found exactly when it parsed) and
 * b is emptied.  want_fmt is what known_hosts_format_line() must say.
 */
static int
blob_line_parses(const char *type, struct buf *b, int want_fmt)
{
	struct buf *text = buf_new(0), *out = buf_new(0);
	struct known_hosts *kh = known_hosts_new();
	const char *names[1] = { "h" };
	struct kh_result res;
	size_t skipped, count;

	ck_assert_ptr_nonnull(text);
	ck_assert_ptr_nonnull(out);
	ck_assert_ptr_nonnull(kh);
	ck_assert_int_eq(buf_putf(text, "h %s ", type), ERR_OK);
	ck_assert_int_eq(base64_encode(buf_ptr(b), buf_len(b), text, 1),
	    ERR_OK);
	ck_assert_int_eq(known_hosts_add_text(kh, "shapes", buf_cstr(text),
	    buf_len(text), &skipped), ERR_OK);
	count = known_hosts_count(kh);
	ck_assert_uint_eq(count + skipped, 1);
	if (buf_len(b) >= 8) {
		ck_assert_int_eq(known_hosts_check(kh, names, 1, buf_ptr(b),
		    buf_len(b), &res), ERR_OK);
		ck_assert_int_eq(res.status == KH_STATUS_OK, count == 1);
	}
	ck_assert_int_eq(known_hosts_format_line("h", buf_ptr(b), buf_len(b),
	    NULL, out), want_fmt);
	if (want_fmt == ERR_OK)
		ck_assert_int_eq(count, 1);
	known_hosts_free(kh);
	buf_free(text);
	buf_free(out);
	buf_reset(b);
	return (int)count;
}

/*
 * Hand-made blobs: each key type's fields are read as sshkey_from_blob()
 * reads them, and a blob it would refuse makes the line skipped.
 */
START_TEST(test_blob_shapes)
{
	struct buf *b = buf_new(0);
	unsigned char pk[32], mag[200], pt[133], big[2049];
	const unsigned char *e = (const unsigned char *)"\x01\x00\x01";

	ck_assert_ptr_nonnull(b);
	memset(pk, 0x42, sizeof(pk));
	memset(mag, 0xc3, sizeof(mag));
	memset(pt, 0x17, sizeof(pt));

	ck_assert_int_eq(buf_put_cstring(b, "ssh-ed25519") ||
	    buf_put_string(b, pk, 32), ERR_OK);
	ck_assert_int_eq(blob_line_parses("ssh-ed25519", b, ERR_OK), 1);
	ck_assert_int_eq(buf_put_cstring(b, "ssh-ed25519") ||
	    buf_put_string(b, pk, 32) || buf_put_u8(b, 0), ERR_OK);
	ck_assert_int_eq(blob_line_parses("ssh-ed25519", b,
	    ERR_INVALID_FORMAT), 0);
	ck_assert_int_eq(buf_put_cstring(b, "ssh-ed25519") ||
	    buf_put_string(b, pk, 31), ERR_OK);
	ck_assert_int_eq(blob_line_parses("ssh-ed25519", b,
	    ERR_INVALID_FORMAT), 0);

	ck_assert_int_eq(buf_put_cstring(b, "sk-ssh-ed25519@openssh.com") ||
	    buf_put_string(b, pk, 32) || buf_put_cstring(b, "ssh:"), ERR_OK);
	ck_assert_int_eq(blob_line_parses("sk-ssh-ed25519@openssh.com", b,
	    ERR_OK), 1);
	ck_assert_int_eq(buf_put_cstring(b, "sk-ssh-ed25519@openssh.com") ||
	    buf_put_string(b, pk, 32), ERR_OK);
	ck_assert_int_eq(blob_line_parses("sk-ssh-ed25519@openssh.com", b,
	    ERR_INVALID_FORMAT), 0);

	pt[0] = 0x04;
	ck_assert_int_eq(buf_put_cstring(b, "ecdsa-sha2-nistp256") ||
	    buf_put_cstring(b, "nistp256") || buf_put_string(b, pt, 65), ERR_OK);
	ck_assert_int_eq(blob_line_parses("ecdsa-sha2-nistp256", b, ERR_OK), 1);
	ck_assert_int_eq(buf_put_cstring(b, "ecdsa-sha2-nistp256") ||
	    buf_put_cstring(b, "nistp384") || buf_put_string(b, pt, 65), ERR_OK);
	ck_assert_int_eq(blob_line_parses("ecdsa-sha2-nistp256", b,
	    ERR_INVALID_FORMAT), 0);
	ck_assert_int_eq(buf_put_cstring(b, "ecdsa-sha2-nistp256") ||
	    buf_put_cstring(b, "nistp256") || buf_put_string(b, pt, 64), ERR_OK);
	ck_assert_int_eq(blob_line_parses("ecdsa-sha2-nistp256", b,
	    ERR_INVALID_FORMAT), 0);
	pt[0] = 0x05;
	ck_assert_int_eq(buf_put_cstring(b, "ecdsa-sha2-nistp256") ||
	    buf_put_cstring(b, "nistp256") || buf_put_string(b, pt, 65), ERR_OK);
	ck_assert_int_eq(blob_line_parses("ecdsa-sha2-nistp256", b,
	    ERR_INVALID_FORMAT), 0);
	/* a compressed point, as EC_POINT_oct2point() takes it */
	pt[0] = 0x03;
	ck_assert_int_eq(buf_put_cstring(b, "ecdsa-sha2-nistp521") ||
	    buf_put_cstring(b, "nistp521") || buf_put_string(b, pt, 67), ERR_OK);
	ck_assert_int_eq(blob_line_parses("ecdsa-sha2-nistp521", b, ERR_OK), 1);
	pt[0] = 0x04;
	ck_assert_int_eq(buf_put_cstring(b,
	    "sk-ecdsa-sha2-nistp256@openssh.com") ||
	    buf_put_cstring(b, "nistp256") || buf_put_string(b, pt, 65) ||
	    buf_put_cstring(b, "ssh:"), ERR_OK);
	ck_assert_int_eq(blob_line_parses("sk-ecdsa-sha2-nistp256@openssh.com",
	    b, ERR_OK), 1);
	ck_assert_int_eq(buf_put_cstring(b,
	    "sk-ecdsa-sha2-nistp256@openssh.com") ||
	    buf_put_cstring(b, "nistp256") || buf_put_string(b, pt, 65), ERR_OK);
	ck_assert_int_eq(blob_line_parses("sk-ecdsa-sha2-nistp256@openssh.com",
	    b, ERR_INVALID_FORMAT), 0);

	/* RSA: 1024 bits is the smallest modulus OpenSSH takes */
	ck_assert_int_eq(buf_put_cstring(b, "ssh-rsa") ||
	    buf_put_bignum_bytes(b, e, 3) || buf_put_bignum_bytes(b, mag, 128),
	    ERR_OK);
	ck_assert_int_eq(blob_line_parses("ssh-rsa", b, ERR_OK), 1);
	mag[0] = 0x7f;
	ck_assert_int_eq(buf_put_cstring(b, "ssh-rsa") ||
	    buf_put_bignum_bytes(b, e, 3) || buf_put_bignum_bytes(b, mag, 128),
	    ERR_OK);
	ck_assert_int_eq(blob_line_parses("ssh-rsa", b, ERR_KEY_INVALID), 0);
	mag[0] = 0xc3;
	/* and 16384 bits the largest */
	memset(big, 0xff, sizeof(big));
	ck_assert_int_eq(buf_put_cstring(b, "ssh-rsa") ||
	    buf_put_bignum_bytes(b, e, 3) || buf_put_bignum_bytes(b, big, 2048),
	    ERR_OK);
	ck_assert_int_eq(blob_line_parses("ssh-rsa", b, ERR_OK), 1);
	big[0] = 0x01;
	ck_assert_int_eq(buf_put_cstring(b, "ssh-rsa") ||
	    buf_put_bignum_bytes(b, e, 3) || buf_put_bignum_bytes(b, big, 2049),
	    ERR_OK);
	ck_assert_int_eq(blob_line_parses("ssh-rsa", b, ERR_KEY_INVALID), 0);
	/* a negative mpint: top bit set without the zero byte */
	ck_assert_int_eq(buf_put_cstring(b, "ssh-rsa") ||
	    buf_put_string(b, "\x81", 1) || buf_put_bignum_bytes(b, mag, 128),
	    ERR_OK);
	ck_assert_int_eq(blob_line_parses("ssh-rsa", b, ERR_INVALID_FORMAT), 0);

	ck_assert_int_eq(buf_put_cstring(b, "ssh-dss") ||
	    buf_put_bignum_bytes(b, mag, 128) || buf_put_bignum_bytes(b, mag, 20) ||
	    buf_put_bignum_bytes(b, mag, 128) || buf_put_bignum_bytes(b, mag, 128),
	    ERR_OK);
	ck_assert_int_eq(blob_line_parses("ssh-dss", b, ERR_OK), 1);
	ck_assert_int_eq(buf_put_cstring(b, "ssh-dss") ||
	    buf_put_bignum_bytes(b, mag, 128) || buf_put_bignum_bytes(b, mag, 20) ||
	    buf_put_bignum_bytes(b, mag, 128), ERR_OK);
	ck_assert_int_eq(blob_line_parses("ssh-dss", b, ERR_INVALID_FORMAT), 0);

	/* certificates: only the type is read */
	ck_assert_int_eq(buf_put_cstring(b, "ssh-ed25519-cert-v01@openssh.com") ||
	    buf_put_cstring(b, "whatever follows"), ERR_OK);
	ck_assert_int_eq(blob_line_parses("ssh-ed25519-cert-v01@openssh.com", b,
	    ERR_OK), 1);

	ck_assert_int_eq(buf_put_cstring(b, "ssh-foo@example.com") ||
	    buf_put_string(b, pk, 32), ERR_OK);
	ck_assert_int_eq(blob_line_parses("ssh-foo@example.com", b,
	    ERR_KEY_TYPE_UNKNOWN), 0);
	ck_assert_int_eq(buf_put_cstring(b, ""), ERR_OK);
	ck_assert_int_eq(blob_line_parses("ssh-ed25519", b,
	    ERR_KEY_TYPE_UNKNOWN), 0);
	buf_free(b);
}
END_TEST

/* CRLF files parse; markers may be followed by tabs; several spaces. */
START_TEST(test_crlf_and_spacing)
{
	char text[16384];
	struct known_hosts *kh;
	size_t skipped;

	snprintf(text, sizeof(text),
	    "crlf.example %s\r\n"
	    "  \t spaced.example \t %s \t comment\r\n"
	    "@cert-authority\t\tca.example %s\r\n"
	    "#\r\n"
	    "\r\n",
	    pub(K_ED1), pub(K_EC256), pub(K_ED2));
	kh = kh_from("crlf", text, &skipped);
	ck_assert_uint_eq(skipped, 0);
	ck_assert_uint_eq(known_hosts_count(kh), 3);
	expect(kh, "crlf.example", K_ED1, KH_STATUS_OK, "crlf", 1);
	expect(kh, "spaced.example", K_EC256, KH_STATUS_OK, "crlf", 2);
	known_hosts_free(kh);
}
END_TEST

START_TEST(test_bad_arguments)
{
	struct known_hosts *kh = known_hosts_new();
	struct kh_result res;
	const char *names[1] = { "h" }, *nullname[1] = { NULL };
	size_t skipped = 7;

	ck_assert_ptr_nonnull(kh);
	ck_assert_int_eq(known_hosts_add_text(NULL, "f", "", 0, &skipped),
	    ERR_INVALID_ARGUMENT);
	ck_assert_uint_eq(skipped, 0);
	ck_assert_int_eq(known_hosts_add_text(kh, NULL, "", 0, NULL),
	    ERR_INVALID_ARGUMENT);
	ck_assert_int_eq(known_hosts_add_text(kh, "f", NULL, 1, NULL),
	    ERR_INVALID_ARGUMENT);
	ck_assert_int_eq(known_hosts_add_text(kh, "f", NULL, 0, NULL), ERR_OK);
	ck_assert_int_eq(known_hosts_check(kh, names, 0, keys[K_ED1].blob,
	    keys[K_ED1].len, &res), ERR_INVALID_ARGUMENT);
	ck_assert_int_eq(known_hosts_check(kh, nullname, 1, keys[K_ED1].blob,
	    keys[K_ED1].len, &res), ERR_INVALID_ARGUMENT);
	ck_assert_int_eq(known_hosts_check(kh, names, 1, NULL, 0, &res),
	    ERR_INVALID_ARGUMENT);
	ck_assert_int_eq(known_hosts_check(kh, names, 1, keys[K_ED1].blob,
	    keys[K_ED1].len, NULL), ERR_INVALID_ARGUMENT);
	/* a blob without a type string */
	ck_assert_int_eq(known_hosts_check(kh, names, 1,
	    (const unsigned char *)"\0\0\0\x09ssh", 7, &res),
	    ERR_INVALID_FORMAT);
	ck_assert_int_eq(res.status, KH_STATUS_NEW);
	ck_assert_int_eq(known_hosts_find_ca(kh, names, 1, NULL, 0, &res),
	    ERR_INVALID_ARGUMENT);
	ck_assert_uint_eq(known_hosts_count(kh), 0);
	ck_assert_uint_eq(known_hosts_count(NULL), 0);
	known_hosts_free(kh);
	known_hosts_free(NULL);
}
END_TEST

/*
 * Every truncation of a file: lines before the cut parse as they did,
 * the cut line parses or is skipped, and nothing else happens (the
 * sanitizer build checks the "nothing else").
 */
START_TEST(test_every_truncation)
{
	char text[16384];
	struct known_hosts *kh;
	size_t len, cut, j, skipped, count, full_lines;
	struct kh_result res;

	snprintf(text, sizeof(text),
	    "a.example %s\n"
	    "@revoked b.example %s\n"
	    "|1|c2FsdHNhbHRzYWx0c2FsdHNhbHQ=|c2FsdHNhbHRzYWx0c2FsdHNhbHQ= %s\n",
	    pub(K_ED1), pub(K_ED2), pub(K_EC256));
	len = strlen(text);
	for (cut = 0; cut <= len; cut++) {
		kh = known_hosts_new();
		ck_assert_ptr_nonnull(kh);
		ck_assert_int_eq(known_hosts_add_text(kh, "t", text, cut,
		    &skipped), ERR_OK);
		count = known_hosts_count(kh);
		for (full_lines = 0, j = 0; j < cut; j++)
			full_lines += text[j] == '\n';
		/* every complete line is an entry; the partial one is an
		 * entry or skipped */
		ck_assert_uint_ge(count, full_lines);
		ck_assert_uint_le(count + skipped, full_lines + 1);
		if (full_lines >= 1) {
			ck_assert_int_eq(check1(kh, "a.example", K_ED1, &res),
			    KH_STATUS_OK);
			ck_assert_int_eq(res.line, 1);
		}
		known_hosts_free(kh);
	}
}
END_TEST

/* Every bit flip of a line gives an entry or a skipped line, never
 * anything else; a flip inside the blob that still parses must change
 * the key or the answer stays OK. */
START_TEST(test_every_bit_flip)
{
	char text[4096];
	struct known_hosts *kh;
	struct kh_result res;
	size_t len, i, skipped;
	int bit;

	snprintf(text, sizeof(text), "flip.example %s\n", pub(K_ED1));
	len = strlen(text);
	for (i = 0; i < len; i++) {
		for (bit = 0; bit < 8; bit++) {
			text[i] ^= (char)(1 << bit);
			kh = known_hosts_new();
			ck_assert_ptr_nonnull(kh);
			ck_assert_int_eq(known_hosts_add_text(kh, "f", text, len,
			    &skipped), ERR_OK);
			ck_assert_uint_le(known_hosts_count(kh) + skipped, 2);
			ck_assert_int_eq(known_hosts_check((const struct
			    known_hosts *)kh, (const char *const[]){ "flip.example" },
			    1, keys[K_ED1].blob, keys[K_ED1].len, &res), ERR_OK);
			/* the unchanged key is still known only when the flip
			 * hit neither name nor key (e.g. turned the '\n' or
			 * a letter's case in the name) */
			if (res.status == KH_STATUS_OK)
				ck_assert(i >= strlen("flip.example") + 1 +
				    strlen(keys[K_ED1].type) + 1 +
				    strlen(keys[K_ED1].b64) ||
				    i < strlen("flip.example"));
			known_hosts_free(kh);
			text[i] ^= (char)(1 << bit);
		}
	}
}
END_TEST

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * 10,000 lines, half of them hashed: parsing and a lookup must be fast.
 * The bounds are generous (sanitizer builds are slow) but far below what
 * re-parsing the text on each lookup would cost.
 */
START_TEST(test_large_file)
{
	struct buf *b = buf_new(0);
	unsigned char salt[20];
	char name[64];
	struct known_hosts *kh;
	struct kh_result res;
	const char *names[2];
	double t0, t_parse, t_check;
	size_t skipped;
	int i, k;

	ck_assert_ptr_nonnull(b);
	for (i = 0; i < 10000; i++) {
		snprintf(name, sizeof(name), "host%d.example.com", i);
		memset(salt, 0, sizeof(salt));
		memcpy(salt, &i, sizeof(i));
		k = i % 3 == 0 ? K_ED1 : i % 3 == 1 ? K_EC256 : K_RSA;
		ck_assert_int_eq(known_hosts_format_line(name, keys[k].blob,
		    keys[k].len, i % 2 ? salt : NULL, b), ERR_OK);
	}
	t0 = now_seconds();
	kh = known_hosts_new();
	ck_assert_ptr_nonnull(kh);
	ck_assert_int_eq(known_hosts_add_text(kh, "big", (const char *)
	    buf_ptr(b), buf_len(b), &skipped), ERR_OK);
	t_parse = now_seconds() - t0;
	ck_assert_uint_eq(skipped, 0);
	ck_assert_uint_eq(known_hosts_count(kh), 10000);

	t0 = now_seconds();
	for (i = 0; i < 20; i++) {
		/* the last line, hashed (9999 is odd), plus an IP name */
		names[0] = "host9999.example.com";
		names[1] = "192.0.2.1";
		ck_assert_int_eq(known_hosts_check(kh, names, 2, keys[K_ED1].blob,
		    keys[K_ED1].len, &res), ERR_OK);
		ck_assert_int_eq(res.status, KH_STATUS_OK);
		ck_assert_int_eq(res.line, 10000);
		names[0] = "host9998.example.com";
		ck_assert_int_eq(known_hosts_check(kh, names, 2, keys[K_ED2].blob,
		    keys[K_ED2].len, &res), ERR_OK);
		ck_assert_int_eq(res.status, KH_STATUS_NEW);
	}
	t_check = (now_seconds() - t0) / 40;
	ck_assert_msg(t_parse < 2.0, "parse took %.3f s", t_parse);
	ck_assert_msg(t_check < 0.05, "one lookup took %.4f s", t_check);
	known_hosts_free(kh);
	buf_free(b);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("knownhosts");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	const char *t = getenv("TMPDIR");
	char cmd[512];
	int failed;

	snprintf(tmpdir, sizeof(tmpdir), "%s/check_knownhosts.XXXXXX",
	    t != NULL && *t != '\0' ? t : "/tmp");
	if (mkdtemp(tmpdir) == NULL)
		die("mkdtemp failed");
	gen_key(&keys[K_ED1], "ed1", "-t ed25519");
	gen_key(&keys[K_ED2], "ed2", "-t ed25519");
	gen_key(&keys[K_EC256], "ec256", "-t ecdsa -b 256");
	gen_key(&keys[K_EC384], "ec384", "-t ecdsa -b 384");
	gen_key(&keys[K_RSA], "rsa", "-t rsa -b 2048");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_plain_from_keygen);
	tcase_add_test(tc, test_hashed_by_keygen);
	tcase_add_test(tc, test_format_line_hashed);
	tcase_add_test(tc, test_format_line_same_as_keygen);
	tcase_add_test(tc, test_format_line_plain);
	tcase_add_test(tc, test_name);
	tcase_add_test(tc, test_wildcards_and_negation);
	tcase_add_test(tc, test_pattern_corners);
	tcase_add_test(tc, test_long_subpattern);
	tcase_add_test(tc, test_port_entries);
	tcase_add_test(tc, test_revoked);
	tcase_add_test(tc, test_changed_reports_file_and_line);
	tcase_add_test(tc, test_other_type_is_new);
	tcase_add_test(tc, test_cert_authority);
	tcase_add_test(tc, test_malformed_lines);
	tcase_add_test(tc, test_blob_shapes);
	tcase_add_test(tc, test_crlf_and_spacing);
	tcase_add_test(tc, test_bad_arguments);
	tcase_add_test(tc, test_every_truncation);
	tcase_add_test(tc, test_every_bit_flip);
	tcase_add_test(tc, test_large_file);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "check_knownhosts: could not remove %s\n", tmpdir);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
