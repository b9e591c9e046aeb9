/*
 * Tests for src/config/pattern.c: OpenSSH's match_pattern(),
 * match_pattern_list(), match_hostname() and the allow/deny list filters
 * (match.c in OpenSSH 9.2p1).
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config/config-int.h"

#define MATCH(s, p, want) \
	ck_assert_msg(cfg_match_pattern((s), (p)) == (want), \
	    "match_pattern(\"%s\", \"%s\") != %d", (s), (p), (want))

START_TEST(test_glob_literal)
{
	MATCH("", "", 1);
	MATCH("abc", "abc", 1);
	MATCH("abc", "abd", 0);
	MATCH("abc", "ab", 0);
	MATCH("ab", "abc", 0);
	MATCH("a", "", 0);
	MATCH("", "a", 0);
	/* case sensitive */
	MATCH("abc", "ABC", 0);
	MATCH("Web", "web", 0);
}
END_TEST

START_TEST(test_glob_star)
{
	MATCH("", "*", 1);
	MATCH("anything", "*", 1);
	MATCH("anything", "***", 1);
	MATCH("abc", "a*", 1);
	MATCH("abc", "*c", 1);
	MATCH("abc", "a*c", 1);
	MATCH("ac", "a*c", 1);
	MATCH("abc", "a*b", 0);
	MATCH("abcbc", "*bc", 1);
	MATCH("abcbd", "*bc", 0);
	MATCH("aXbYc", "a*b*c", 1);
	MATCH("aXbYd", "a*b*c", 0);
	MATCH("mississippi", "m*iss*ppi", 1);
	MATCH("mississippi", "*sip*", 1);
	MATCH("mississippi", "*ipi*", 0);
	MATCH("web1.example.org", "*.example.org", 1);
	MATCH("example.org", "*.example.org", 0);
	MATCH("a.b", "*.*", 1);
	MATCH("ab", "*.*", 0);
}
END_TEST

START_TEST(test_glob_question)
{
	MATCH("a", "?", 1);
	MATCH("", "?", 0);
	MATCH("ab", "?", 0);
	MATCH("ab", "a?", 1);
	MATCH("a", "a?", 0);
	MATCH("abc", "?b?", 1);
	MATCH("abc", "*?", 1);
	MATCH("", "*?", 0);
	MATCH("abc", "?*c", 1);
	MATCH("web12", "web??", 1);
	MATCH("web1", "web??", 0);
	/* no other metacharacters: brackets are literal */
	MATCH("a", "[a]", 0);
	MATCH("[a]", "[a]", 1);
}
END_TEST

/* A pattern that makes naive backtracking exponential. */
START_TEST(test_glob_pathological)
{
	char s[201], p[64];
	clock_t start = clock();

	memset(s, 'a', 200);
	s[200] = '\0';
	strcpy(p, "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b");
	MATCH(s, p, 0);
	s[199] = 'b';
	MATCH(s, p, 1);
	ck_assert_msg((double)(clock() - start) / CLOCKS_PER_SEC < 2.0,
	    "glob took too long");
}
END_TEST

#define LIST(s, l, lower, want) \
	ck_assert_msg(cfg_match_pattern_list((s), (l), (lower)) == (want), \
	    "match_pattern_list(\"%s\", \"%s\", %d) != %d", (s), (l), \
	    (lower), (want))

START_TEST(test_list_basic)
{
	LIST("web", "web", 0, 1);
	LIST("web", "db,web", 0, 1);
	LIST("web", "db,mail", 0, 0);
	LIST("web", "", 0, 0);
	LIST("web", "db,w*", 0, 1);
	LIST("web", ",web", 0, 1);
	/* "," holds one empty pattern, which matches the empty string */
	LIST("", ",", 0, 1);
	LIST("", "*", 0, 1);
	/* a trailing comma adds no empty pattern */
	LIST("", "a,", 0, 0);
}
END_TEST

START_TEST(test_list_negation)
{
	LIST("web", "!web", 0, -1);
	LIST("web", "*,!web", 0, -1);
	LIST("web", "!web,*", 0, -1);
	LIST("db", "*,!web", 0, 1);
	/* a negation alone never makes a positive match */
	LIST("db", "!web", 0, 0);
	LIST("web1", "web*,!web1", 0, -1);
	LIST("web2", "web*,!web1", 0, 1);
	LIST("x", "!*", 0, -1);
	/* "!" alone negates the empty pattern */
	LIST("", "!", 0, -1);
	LIST("x", "!", 0, 0);
}
END_TEST

START_TEST(test_list_case)
{
	/* dolower lowers the patterns, never the string */
	LIST("web", "WEB", 1, 1);
	LIST("web", "WEB", 0, 0);
	LIST("WEB", "web", 1, 0);
	LIST("WEB", "WEB", 1, 0);
	LIST("WEB", "WEB", 0, 1);
	LIST("web", "!WEB,*", 1, -1);
	LIST("web", "!WEB,*", 0, 1);
}
END_TEST

START_TEST(test_hostname_case)
{
	ck_assert_int_eq(cfg_match_hostname("WEB.Example.ORG", "*.example.org"),
	    1);
	ck_assert_int_eq(cfg_match_hostname("web.example.org", "*.EXAMPLE.org"),
	    1);
	ck_assert_int_eq(cfg_match_hostname("Web", "!wEB,*"), -1);
	ck_assert_int_eq(cfg_match_hostname("db", "WEB"), 0);
}
END_TEST

/* OpenSSH copies each sub-pattern into a 1024-byte buffer: 1022 bytes fit,
 * 1023 or more make the whole list fail (0, even with a negation). */
START_TEST(test_list_subpattern_limit)
{
	char *s = malloc(2100), *l = malloc(2100);

	ck_assert_ptr_nonnull(s);
	ck_assert_ptr_nonnull(l);

	memset(s, 'a', 1022);
	s[1022] = '\0';
	strcpy(l, s);
	LIST(s, l, 0, 1);

	memset(s, 'a', 1023);
	s[1023] = '\0';
	strcpy(l, s);
	LIST(s, l, 0, 0);
	/* a match before the long entry is lost too */
	strcpy(l, "*,");
	strcat(l, s);
	LIST("x", l, 0, 0);
	/* and so is a negation after it */
	strcpy(l, s);
	strcat(l, ",!x");
	LIST("x", l, 0, 0);
	/* a long negated entry counts without its '!' */
	l[0] = '!';
	memset(l + 1, 'a', 1022);
	l[1023] = '\0';
	s[1022] = '\0';
	LIST(s, l, 0, -1);
	/* a short entry before the limit still decides */
	strcpy(l, "!x,");
	memset(l + 3, 'b', 1500);
	l[1503] = '\0';
	LIST("x", l, 0, -1);
	free(s);
	free(l);
}
END_TEST

static void
check_filter(const char *proposal, const char *filter, int deny,
    const char *want)
{
	char *got = cfg_filter_list(proposal, filter, deny);

	ck_assert_ptr_nonnull(got);
	ck_assert_msg(strcmp(got, want) == 0,
	    "filter(\"%s\", \"%s\", %s) = \"%s\", want \"%s\"", proposal,
	    filter, deny ? "deny" : "allow", got, want);
	free(got);
}

START_TEST(test_filter_allow)
{
	check_filter("a,b,c", "b,c", 0, "b,c");
	check_filter("a,b,c", "c,b", 0, "b,c");
	check_filter("a,b,c", "x", 0, "");
	check_filter("a,b,c", "*", 0, "a,b,c");
	check_filter("aes128-ctr,aes256-ctr,chacha", "aes*", 0,
	    "aes128-ctr,aes256-ctr");
	check_filter("a,b,c", "*,!b", 0, "a,c");
	check_filter("", "*", 0, "");
	/* case sensitive */
	check_filter("A,a", "a", 0, "a");
}
END_TEST

START_TEST(test_filter_deny)
{
	check_filter("a,b,c", "b", 1, "a,c");
	check_filter("a,b,c", "*", 1, "");
	check_filter("a,b,c", "x", 1, "a,b,c");
	check_filter("aes128-ctr,aes256-gcm,chacha", "*-ctr,*-gcm", 1, "chacha");
	/* a negated match is not a match: the entry stays */
	check_filter("a,b,c", "!b", 1, "a,b,c");
	check_filter("a,b,c", "*,!b", 1, "b");
	/* empty entries are kept as OpenSSH keeps them */
	check_filter("a,,b", "x", 1, "a,,b");
}
END_TEST

static Suite *
pattern_suite(void)
{
	Suite *s = suite_create("config-pattern");
	TCase *tc = tcase_create("glob");

	tcase_add_test(tc, test_glob_literal);
	tcase_add_test(tc, test_glob_star);
	tcase_add_test(tc, test_glob_question);
	tcase_add_test(tc, test_glob_pathological);
	suite_add_tcase(s, tc);

	tc = tcase_create("list");
	tcase_add_test(tc, test_list_basic);
	tcase_add_test(tc, test_list_negation);
	tcase_add_test(tc, test_list_case);
	tcase_add_test(tc, test_hostname_case);
	tcase_add_test(tc, test_list_subpattern_limit);
	suite_add_tcase(s, tc);

	tc = tcase_create("filter");
	tcase_add_test(tc, test_filter_allow);
	tcase_add_test(tc, test_filter_deny);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(pattern_suite());
	int failed;

	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
