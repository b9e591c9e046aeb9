/*
 * Tests for src/config/tokens.c: cfg_expand(), OpenSSH's
 * vdollar_percent_expand() (misc.c in 9.2p1): %-tokens, "%%", ${VAR}, and
 * the rule that an expanded value is never expanded again.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "config/config-int.h"

static const struct cfg_token toks[] = {
	{ 'C', "0123456789abcdef0123456789abcdef01234567" },
	{ 'L', "box" },
	{ 'd', "/home/alice" },
	{ 'h', "web.example.org" },
	{ 'i', "1000" },
	{ 'k', "hostkey-alias" },
	{ 'l', "box.example.org" },
	{ 'n', "web" },
	{ 'p', "22" },
	{ 'r', "bob" },
	{ 'u', "alice" },
	/* values that look like syntax must come out as they are */
	{ 'x', "%h${HOME}%" },
};
#define NTOKS (sizeof(toks) / sizeof(toks[0]))

/* The fake environment: a table, plus a record of the names asked for. */
struct fake_env {
	const char *const *pairs;   /* name, value, name, value, ..., NULL */
	char asked[8][512];
	size_t n_asked;
};

static const char *
fake_getenv(void *ctx, const char *name)
{
	struct fake_env *e = ctx;
	size_t i;

	if (e->n_asked < 8) {
		strncpy(e->asked[e->n_asked], name, sizeof(e->asked[0]) - 1);
		e->asked[e->n_asked][sizeof(e->asked[0]) - 1] = '\0';
		e->n_asked++;
	}
	for (i = 0; e->pairs[i] != NULL; i += 2) {
		if (strcmp(e->pairs[i], name) == 0)
			return e->pairs[i + 1];
	}
	return NULL;
}

static const char *const env_pairs[] = {
	"HOME", "/home/alice",
	"EMPTY", "",
	"PCT", "%h 100%",
	"NEST", "${HOME}",
	"SPACE", "a b",
	NULL
};

/* Expands s with every token and the fake environment. */
static int
expand(const char *s, int with_tokens, int with_env, char **out)
{
	struct fake_env env = { env_pairs, { { 0 } }, 0 };
	const char *why = "untouched";
	int r;

	r = cfg_expand(s, with_tokens ? toks : NULL, NTOKS,
	    with_env ? fake_getenv : NULL, &env, out, &why);
	if (r != ERR_OK)
		ck_assert_ptr_null(*out);
	return r;
}

static void
expect_ok(const char *s, int with_tokens, int with_env, const char *want)
{
	char *out = (char *)1;

	ck_assert_msg(expand(s, with_tokens, with_env, &out) == ERR_OK,
	    "expanding \"%s\" failed", s);
	ck_assert_ptr_nonnull(out);
	ck_assert_msg(strcmp(out, want) == 0,
	    "\"%s\" expanded to \"%s\", want \"%s\"", s, out, want);
	free(out);
}

static void
expect_error(const char *s, int with_tokens, int with_env)
{
	char *out = (char *)1;

	ck_assert_msg(expand(s, with_tokens, with_env, &out) == ERR_CONFIG,
	    "expanding \"%s\" should be ERR_CONFIG", s);
	ck_assert_ptr_null(out);
}

START_TEST(test_percent_percent)
{
	expect_ok("%%", 1, 0, "%");
	expect_ok("%%h", 1, 0, "%h");
	expect_ok("a%%%h", 1, 0, "a%web.example.org");
	expect_ok("%%%%", 1, 0, "%%");
	expect_ok("", 1, 0, "");
	expect_ok("plain text", 1, 0, "plain text");
}
END_TEST

START_TEST(test_each_token)
{
	char in[8], want[128];
	size_t i;

	for (i = 0; i < NTOKS; i++) {
		snprintf(in, sizeof(in), "[%%%c]", toks[i].key);
		snprintf(want, sizeof(want), "[%s]", toks[i].value);
		expect_ok(in, 1, 0, want);
	}
	expect_ok("ssh -W %h:%p %r@%n", 1, 0, "ssh -W web.example.org:22 bob@web");
	expect_ok("%d/.ssh/cm-%C", 1, 0,
	    "/home/alice/.ssh/cm-0123456789abcdef0123456789abcdef01234567");
	expect_ok("%L-%l-%i-%u-%k", 1, 0,
	    "box-box.example.org-1000-alice-hostkey-alias");
}
END_TEST

START_TEST(test_unknown_token)
{
	struct cfg_token one = { 'h', "web" };
	char *out = (char *)1;

	expect_error("%z", 1, 0);
	expect_error("ok %h then %Q", 1, 0);
	expect_error("%H", 1, 0);   /* tokens are case sensitive */
	expect_error("% ", 1, 0);
	/* a table without the token */
	ck_assert_int_eq(cfg_expand("%p", &one, 1, NULL, NULL, &out, NULL),
	    ERR_CONFIG);
	ck_assert_ptr_null(out);
	/* an empty table: every token is unknown, "%%" still works */
	out = (char *)1;
	ck_assert_int_eq(cfg_expand("%h", &one, 0, NULL, NULL, &out, NULL),
	    ERR_CONFIG);
	ck_assert_ptr_null(out);
	ck_assert_int_eq(cfg_expand("%%", &one, 0, NULL, NULL, &out, NULL),
	    ERR_OK);
	ck_assert_str_eq(out, "%");
	free(out);
}
END_TEST

START_TEST(test_trailing_percent)
{
	expect_error("%", 1, 0);
	expect_error("abc%", 1, 0);
	expect_error("%%%", 1, 0);
	expect_error("${HOME}%", 1, 1);
}
END_TEST

START_TEST(test_no_tokens_no_percent)
{
	/* without a token table '%' is an ordinary character */
	expect_ok("50%", 0, 0, "50%");
	expect_ok("%h %z %%", 0, 0, "%h %z %%");
	expect_ok("%h ${HOME}", 0, 1, "%h /home/alice");
}
END_TEST

START_TEST(test_env_set)
{
	struct fake_env env = { env_pairs, { { 0 } }, 0 };
	char *out = NULL;

	expect_ok("${HOME}/.ssh/x", 0, 1, "/home/alice/.ssh/x");
	expect_ok("a${HOME}b${HOME}", 0, 1, "a/home/aliceb/home/alice");
	expect_ok("${SPACE}", 0, 1, "a b");
	expect_ok("${HOME}/%u", 1, 1, "/home/alice/alice");
	/* set but empty is a value */
	expect_ok("x${EMPTY}y", 0, 1, "xy");
	/* only "${" starts a variable */
	expect_ok("$HOME $ a$ $$ {HOME}", 0, 1, "$HOME $ a$ $$ {HOME}");
	expect_ok("$", 0, 1, "$");
	/* without a getenv function ${...} is left alone */
	expect_ok("${HOME}", 0, 0, "${HOME}");
	expect_ok("${", 0, 0, "${");

	/* the lookup gets exactly the name */
	ck_assert_int_eq(cfg_expand("<${HOME}>", NULL, 0, fake_getenv, &env,
	    &out, NULL), ERR_OK);
	ck_assert_str_eq(out, "</home/alice>");
	ck_assert_uint_eq(env.n_asked, 1);
	ck_assert_str_eq(env.asked[0], "HOME");
	free(out);
}
END_TEST

START_TEST(test_env_errors)
{
	/* unset */
	expect_error("${NOPE}", 0, 1);
	expect_error("${NOPE}/x", 1, 1);
	expect_error("${HOME}${NOPE}${HOME}", 0, 1);
	/* empty name */
	expect_error("${}", 0, 1);
	expect_error("a${}b", 1, 1);
	/* unterminated */
	expect_error("${HOME", 0, 1);
	expect_error("${", 0, 1);
	expect_error("x${HOME}${", 0, 1);
}
END_TEST

START_TEST(test_no_double_expansion)
{
	/* a token value holding "%h", "${HOME}" and a lone '%' */
	expect_ok("[%x]", 1, 1, "[%h${HOME}%]");
	/* an environment value holding "%h" and a lone '%' */
	expect_ok("[${PCT}]", 1, 1, "[%h 100%]");
	/* an environment value holding "${HOME}" */
	expect_ok("[${NEST}]", 1, 1, "[${HOME}]");
	/* "%%" yields a '%' that does not start a token */
	expect_ok("%%h%%{x}", 1, 1, "%h%{x}");
	/* "%%" before "{" does not make a "${" */
	expect_ok("$%%{HOME}", 1, 1, "$%{HOME}");
}
END_TEST

/*
 * RESOLVER BUG (reported, not fixed in src/): a variable name of 256 bytes
 * or more is treated as unset instead of being looked up.  OpenSSH looks
 * up any length; evidence on this machine (OpenSSH_9.2p1 Debian-2+deb12u10):
 *   N=$(printf 'V%.0s' $(seq 300)); printf 'ControlPath /tmp/${%s}/x\n' $N >f
 *   env $N=val ssh -G -F f t | grep controlpath  -> "controlpath /tmp/val/x"
 *   env $N=val sshbroker resolve -F f t          -> exit 255
 */
START_TEST(test_env_long_name_bug)
{
	char name[301], in[320], val_name[301];
	const char *pairs[3] = { val_name, "val", NULL };
	struct fake_env env = { pairs, { { 0 } }, 0 };
	char *out = NULL;
	int r;

	memset(name, 'V', 300);
	name[300] = '\0';
	memcpy(val_name, name, sizeof(name));
	snprintf(in, sizeof(in), "/tmp/${%s}/x", name);
	r = cfg_expand(in, NULL, 0, fake_getenv, &env, &out, NULL);
	ck_assert_msg(r == ERR_OK, "RESOLVER BUG: a 300-byte ${VAR} name "
	    "is treated as unset (ssh -G looks it up)");
	ck_assert_str_eq(out, "/tmp/val/x");
	free(out);
}
END_TEST

/* Every prefix of a few inputs: no crash, and either a string or NULL. */
START_TEST(test_truncation_sweep)
{
	static const char *const seeds[] = {
		"%d/.ssh/cm-%C-%%-${HOME}-%h:%p",
		"${NEST}${PCT}%x%%${EMPTY}",
		"$${HOME}}%%%",
	};
	struct fake_env env = { env_pairs, { { 0 } }, 0 };
	char *buf, *out;
	size_t i, n, len;
	int r;

	for (i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		len = strlen(seeds[i]);
		for (n = 0; n <= len; n++) {
			buf = strndup(seeds[i], n);
			ck_assert_ptr_nonnull(buf);
			out = (char *)1;
			env.n_asked = 0;
			r = cfg_expand(buf, toks, NTOKS, fake_getenv, &env, &out,
			    NULL);
			ck_assert_msg(r == ERR_OK || r == ERR_CONFIG,
			    "prefix %zu of seed %zu: result %d", n, i, r);
			if (r == ERR_OK)
				ck_assert_ptr_nonnull(out);
			else
				ck_assert_ptr_null(out);
			free(out);
			free(buf);
		}
	}
}
END_TEST

static Suite *
tokens_suite(void)
{
	Suite *s = suite_create("config-tokens");
	TCase *tc = tcase_create("percent");

	tcase_add_test(tc, test_percent_percent);
	tcase_add_test(tc, test_each_token);
	tcase_add_test(tc, test_unknown_token);
	tcase_add_test(tc, test_trailing_percent);
	tcase_add_test(tc, test_no_tokens_no_percent);
	suite_add_tcase(s, tc);

	tc = tcase_create("env");
	tcase_add_test(tc, test_env_set);
	tcase_add_test(tc, test_env_errors);
	tcase_add_test(tc, test_no_double_expansion);
	tcase_add_test(tc, test_env_long_name_bug);
	tcase_add_test(tc, test_truncation_sweep);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(tokens_suite());
	int failed;

	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
