/*
 * Tests for src/config/lexer.c: cfg_strdelim() (OpenSSH's strdelim(), used
 * for keywords and Match criteria) and cfg_argv_split() (OpenSSH's
 * argv_split(), used for arguments).  The expected token lists follow
 * OpenSSH 9.2p1's misc.c; the `ssh -G` behaviour they produce for whole
 * lines is checked in check_resolve.c.
 *
 * Both tokenisers are also fed every prefix and every single-bit flip of a
 * set of seed lines, each copied into a buffer of exactly its size so that
 * the sanitizer build catches a read past the end.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "config/config-int.h"

/* ------------------------------------------------------------------ */
/* cfg_strdelim */

/*
 * Splits input with cfg_strdelim() until it returns NULL and compares the
 * tokens with want (NULL-terminated).  The returned tokens must be
 * exactly want, then NULL.
 */
static void
check_strdelim(const char *input, const char *const *want)
{
	char *copy = strdup(input), *s = copy, *tok;
	size_t i;

	ck_assert_ptr_nonnull(copy);
	for (i = 0; want[i] != NULL; i++) {
		tok = cfg_strdelim(&s);
		ck_assert_msg(tok != NULL, "[%s]: token %zu: got NULL, want [%s]",
		    input, i, want[i]);
		ck_assert_msg(strcmp(tok, want[i]) == 0,
		    "[%s]: token %zu: got [%s], want [%s]", input, i, tok,
		    want[i]);
	}
	tok = cfg_strdelim(&s);
	ck_assert_msg(tok == NULL, "[%s]: extra token [%s] after %zu tokens",
	    input, tok != NULL ? tok : "", i);
	free(copy);
}

#define STRDELIM(input, ...) do { \
	static const char *const want_[] = { __VA_ARGS__ }; \
	check_strdelim((input), want_); \
} while (0)

START_TEST(test_strdelim_whitespace)
{
	STRDELIM("Port 22", "Port", "22", NULL);
	STRDELIM("Port\t22", "Port", "22", NULL);
	STRDELIM("Port \t \t22", "Port", "22", NULL);
	STRDELIM("a b c", "a", "b", "c", NULL);
	/* CR and LF are whitespace too */
	STRDELIM("a\r\nb", "a", "b", NULL);
	/* a leading separator yields an empty first word (line_parse then
	 * asks for the next one) */
	STRDELIM("  Port", "", "Port", NULL);
	/* trailing whitespace leaves one empty word */
	STRDELIM("a ", "a", "", NULL);
	STRDELIM("", "", NULL);
	/* '#' means nothing to this tokeniser */
	STRDELIM("#x y", "#x", "y", NULL);
}
END_TEST

START_TEST(test_strdelim_equals)
{
	STRDELIM("Port=22", "Port", "22", NULL);
	STRDELIM("Port = 22", "Port", "22", NULL);
	STRDELIM("Port =22", "Port", "22", NULL);
	STRDELIM("Port= 22", "Port", "22", NULL);
	STRDELIM("Port\t=\t22", "Port", "22", NULL);
	/* only one '=' is a separator: a second one is an empty word */
	STRDELIM("Port==22", "Port", "", "22", NULL);
	STRDELIM("Port = = 22", "Port", "", "22", NULL);
	STRDELIM("Port= =22", "Port", "", "22", NULL);
	/* '=' inside a value splits it as well */
	STRDELIM("a=b=c", "a", "b", "c", NULL);
}
END_TEST

START_TEST(test_strdelim_quotes)
{
	STRDELIM("\"a b\" c", "a b", "c", NULL);
	STRDELIM("\"a b\"", "a b", "", NULL);
	/* a quote inside a word starts a quoted part; both quotes go */
	STRDELIM("ab\"cd ef\"gh", "abcd ef", "gh", NULL);
	STRDELIM("\"\" x", "", "x", NULL);
	/* '=' and whitespace inside quotes are kept */
	STRDELIM("\"a = b\"=c", "a = b", "", "c", NULL);
	/* single quotes are not quotes here */
	STRDELIM("'a b'", "'a", "b'", NULL);
}
END_TEST

START_TEST(test_strdelim_unterminated)
{
	char b1[] = "\"abc", b2[] = "Port \"22", b3[] = "x\"y";
	char *s;

	s = b1;
	ck_assert_ptr_null(cfg_strdelim(&s));
	ck_assert_ptr_null(s);
	ck_assert_ptr_null(cfg_strdelim(&s));

	s = b2;
	ck_assert_str_eq(cfg_strdelim(&s), "Port");
	ck_assert_ptr_null(cfg_strdelim(&s));
	ck_assert_ptr_null(s);

	s = b3;
	ck_assert_ptr_null(cfg_strdelim(&s));

	s = NULL;
	ck_assert_ptr_null(cfg_strdelim(&s));
}
END_TEST

/* ------------------------------------------------------------------ */
/* cfg_argv_split */

static void
check_split(const char *input, int stop_at_comment, const char *const *want)
{
	char **argv = NULL;
	int argc = -1, i, n;

	for (n = 0; want[n] != NULL; n++)
		;
	ck_assert_msg(cfg_argv_split(input, &argc, &argv, stop_at_comment) ==
	    ERR_OK, "[%s]: split failed", input);
	ck_assert_ptr_nonnull(argv);
	ck_assert_msg(argc == n, "[%s]: argc %d, want %d", input, argc, n);
	for (i = 0; i < n; i++) {
		ck_assert_msg(argv[i] != NULL && strcmp(argv[i], want[i]) == 0,
		    "[%s]: argv[%d] = [%s], want [%s]", input, i,
		    argv[i] != NULL ? argv[i] : "(null)", want[i]);
	}
	ck_assert_ptr_null(argv[argc]);
	cfg_argv_free(argv, argc);
}

#define SPLIT(input, comment, ...) do { \
	static const char *const want_[] = { __VA_ARGS__ }; \
	check_split((input), (comment), want_); \
} while (0)

static void
check_split_fails(const char *input)
{
	char **argv = (char **)1;
	int argc = -1;

	ck_assert_msg(cfg_argv_split(input, &argc, &argv, 1) == ERR_CONFIG,
	    "[%s]: should be ERR_CONFIG", input);
	ck_assert_ptr_null(argv);
	ck_assert_int_eq(argc, 0);
}

START_TEST(test_split_whitespace)
{
	SPLIT("a b\tc", 1, "a", "b", "c", NULL);
	SPLIT("  a \t ", 1, "a", NULL);
	SPLIT("", 1, NULL);
	SPLIT(" \t ", 1, NULL);
	/* '=' means nothing to this tokeniser */
	SPLIT("a=b = c", 1, "a=b", "=", "c", NULL);
	/* only space and tab separate */
	SPLIT("a\rb", 1, "a\rb", NULL);
}
END_TEST

START_TEST(test_split_quotes)
{
	SPLIT("\"a b\" 'c d'", 1, "a b", "c d", NULL);
	SPLIT("x\"a b\"y", 1, "xa by", NULL);
	SPLIT("\"a b\"c'd e'", 1, "a bcd e", NULL);
	SPLIT("\"it's\"", 1, "it's", NULL);
	SPLIT("'say \"hi\"'", 1, "say \"hi\"", NULL);
	SPLIT("\"\" ''", 1, "", "", NULL);
	SPLIT("\"a\tb\"", 1, "a\tb", NULL);
}
END_TEST

START_TEST(test_split_escapes)
{
	SPLIT("a\\\\b", 1, "a\\b", NULL);
	SPLIT("\\\"x", 1, "\"x", NULL);
	SPLIT("\\'x", 1, "'x", NULL);
	/* "\ " joins words, outside quotes only */
	SPLIT("a\\ b c", 1, "a b", "c", NULL);
	SPLIT("\"a\\ b\"", 1, "a\\ b", NULL);
	/* escaped quotes inside quotes */
	SPLIT("\"a\\\"b\"", 1, "a\"b", NULL);
	SPLIT("'a\\'b'", 1, "a'b", NULL);
	SPLIT("'a\\\"b'", 1, "a\"b", NULL);
	SPLIT("\"a\\\\b\"", 1, "a\\b", NULL);
	/* an unknown escape keeps its backslash */
	SPLIT("a\\nb", 1, "a\\nb", NULL);
	SPLIT("a\\", 1, "a\\", NULL);
	/* "\<tab>" is not an escape: the tab still separates */
	SPLIT("a\\\tb", 1, "a\\", "b", NULL);
}
END_TEST

START_TEST(test_split_comments)
{
	SPLIT("a #b c", 1, "a", NULL);
	SPLIT("#a b", 1, NULL);
	SPLIT("  # only a comment", 1, NULL);
	/* '#' only starts a comment at the start of a word */
	SPLIT("a#b c", 1, "a#b", "c", NULL);
	SPLIT("'#a' b", 1, "#a", "b", NULL);
	SPLIT("\"#a\" b", 1, "#a", "b", NULL);
	SPLIT("\\#a b", 1, "\\#a", "b", NULL);
	/* without stop_at_comment '#' is an ordinary character */
	SPLIT("a #b c", 0, "a", "#b", "c", NULL);
	SPLIT("#a", 0, "#a", NULL);
	/* an unterminated quote inside a comment does not matter */
	SPLIT("a # \"b", 1, "a", NULL);
}
END_TEST

START_TEST(test_split_unterminated)
{
	char **argv = NULL;
	int argc = 0;

	check_split_fails("\"abc");
	check_split_fails("'abc");
	check_split_fails("a \"b c");
	check_split_fails("a 'b\" c");
	check_split_fails("\"a\\\"");
	/* unterminated without comment handling too */
	ck_assert_int_eq(cfg_argv_split("a \"#", &argc, &argv, 0), ERR_CONFIG);
	ck_assert_ptr_null(argv);
	/* ... but quotes that are escaped or closed are fine */
	SPLIT("\\\"abc", 1, "\"abc", NULL);
	SPLIT("\"a'\"", 1, "a'", NULL);
	cfg_argv_free(NULL, 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Sweeps: every prefix, every bit flip */

static const char *const seeds[] = {
	"Port 22",
	"Port=22",
	"Port = = 22",
	"HostName \"a b\" 'c d' e\\ f # comment",
	"ProxyCommand ssh -W \"%h:%p\" 'jump host' \\\\ \\\" \\'",
	"Match host \"*.example.org\" exec \"test -f /x\"",
	"\t\"unterminated 'quote",
	"a=\"b=c\"=d\r\n",
	"\"\"''\"'\"'\"'",
	"#comment \"with quote",
};

/* Runs cfg_strdelim over buf (len bytes, NUL-terminated) to the end. */
static void
sweep_strdelim(const char *text, size_t len)
{
	char *buf = malloc(len + 1), *s, *tok;
	size_t rounds = 0;

	ck_assert_ptr_nonnull(buf);
	memcpy(buf, text, len);
	buf[len] = '\0';
	s = buf;
	while ((tok = cfg_strdelim(&s)) != NULL) {
		ck_assert_msg(tok >= buf && tok <= buf + len,
		    "token outside the buffer");
		ck_assert_uint_le(strlen(tok), len);
		/* every call consumes at least one byte or ends */
		ck_assert_msg(++rounds <= len + 1,
		    "strdelim does not terminate on a %zu-byte input", len);
		if (s != NULL)
			ck_assert_msg(s > tok && s <= buf + len,
			    "cursor outside the buffer");
	}
	free(buf);
}

/* Runs cfg_argv_split over text[0..len). */
static int
sweep_split(const char *text, size_t len, int comment)
{
	char *buf = malloc(len + 1), **argv = NULL;
	int argc = -1, r, i;

	ck_assert_ptr_nonnull(buf);
	memcpy(buf, text, len);
	buf[len] = '\0';
	r = cfg_argv_split(buf, &argc, &argv, comment);
	ck_assert_msg(r == ERR_OK || r == ERR_CONFIG,
	    "unexpected result %d", r);
	if (r == ERR_OK) {
		ck_assert_ptr_nonnull(argv);
		ck_assert_int_ge(argc, 0);
		ck_assert_int_le(argc, (int)len);
		for (i = 0; i < argc; i++) {
			ck_assert_ptr_nonnull(argv[i]);
			ck_assert_uint_le(strlen(argv[i]), len);
		}
		ck_assert_ptr_null(argv[argc]);
		cfg_argv_free(argv, argc);
	} else {
		ck_assert_ptr_null(argv);
		ck_assert_int_eq(argc, 0);
	}
	free(buf);
	return r;
}

START_TEST(test_truncation_sweep)
{
	size_t i, len, n;

	for (i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		len = strlen(seeds[i]);
		for (n = 0; n <= len; n++) {
			sweep_strdelim(seeds[i], n);
			(void)sweep_split(seeds[i], n, 1);
			(void)sweep_split(seeds[i], n, 0);
		}
	}
}
END_TEST

/* Prefixes that end inside a quoted part are exactly the failing ones. */
START_TEST(test_truncation_inside_quotes)
{
	static const char text[] = "a \"b c\" 'd' e";
	size_t n, len = strlen(text);
	int inside;

	for (n = 0; n <= len; n++) {
		/* byte 2 opens "..." (closed by byte 6); byte 8 opens '...'
		 * (closed by byte 10) */
		inside = (n >= 3 && n <= 6) || (n >= 9 && n <= 10);
		ck_assert_msg(sweep_split(text, n, 1) ==
		    (inside ? ERR_CONFIG : ERR_OK),
		    "prefix of %zu bytes: wrong result", n);
	}
}
END_TEST

START_TEST(test_bitflip_sweep)
{
	char buf[128];
	size_t i, pos, len;
	int bit;

	for (i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		len = strlen(seeds[i]);
		ck_assert_uint_lt(len, sizeof(buf));
		for (pos = 0; pos < len; pos++) {
			for (bit = 0; bit < 8; bit++) {
				memcpy(buf, seeds[i], len + 1);
				buf[pos] ^= (char)(1 << bit);
				/* a flip to NUL just shortens the input */
				sweep_strdelim(buf, strlen(buf));
				(void)sweep_split(buf, strlen(buf), 1);
			}
		}
	}
}
END_TEST

/* One byte at a time: the words of growing prefixes of a line without
 * quotes are always a prefix of the final words, bar the last one. */
START_TEST(test_bytewise_growth)
{
	static const char text[] = "Match host web* user alice";
	static const char *const words[] = {
		"Match", "host", "web*", "user", "alice"
	};
	char **argv;
	int argc, i;
	size_t n;

	for (n = 1; n <= strlen(text); n++) {
		char *buf = strndup(text, n);

		ck_assert_ptr_nonnull(buf);
		ck_assert_int_eq(cfg_argv_split(buf, &argc, &argv, 1), ERR_OK);
		ck_assert_int_ge(argc, 1);
		ck_assert_int_le(argc, 5);
		for (i = 0; i < argc - 1; i++)
			ck_assert_str_eq(argv[i], words[i]);
		ck_assert_int_eq(strncmp(argv[argc - 1], words[argc - 1],
		    strlen(argv[argc - 1])), 0);
		cfg_argv_free(argv, argc);
		free(buf);
	}
}
END_TEST

static Suite *
lexer_suite(void)
{
	Suite *s = suite_create("config-lexer");
	TCase *tc = tcase_create("strdelim");

	tcase_add_test(tc, test_strdelim_whitespace);
	tcase_add_test(tc, test_strdelim_equals);
	tcase_add_test(tc, test_strdelim_quotes);
	tcase_add_test(tc, test_strdelim_unterminated);
	suite_add_tcase(s, tc);

	tc = tcase_create("argv_split");
	tcase_add_test(tc, test_split_whitespace);
	tcase_add_test(tc, test_split_quotes);
	tcase_add_test(tc, test_split_escapes);
	tcase_add_test(tc, test_split_comments);
	tcase_add_test(tc, test_split_unterminated);
	suite_add_tcase(s, tc);

	tc = tcase_create("sweep");
	tcase_add_test(tc, test_truncation_sweep);
	tcase_add_test(tc, test_truncation_inside_quotes);
	tcase_add_test(tc, test_bitflip_sweep);
	tcase_add_test(tc, test_bytewise_growth);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(lexer_suite());
	int failed;

	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
