/*
 * Tests for src/config/algs.c: the name validators (OpenSSH's
 * ciphers_valid(), mac_valid(), kex_names_valid(), sshkey_names_valid2()
 * with wildcards) and cfg_alg_assemble(), OpenSSH's kex_assemble_names().
 * Expected lists with the real tables were checked against
 * `ssh -G -o Ciphers=...` on OpenSSH 9.2p1 (Debian 12).
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "config/config-int.h"

#define VALID(kind, names, want) \
	ck_assert_msg(cfg_alg_names_valid((kind), (names)) == (want), \
	    "names_valid(%s, \"%s\") != %d", #kind, (names), (want))

START_TEST(test_valid_ciphers)
{
	VALID(CFG_ALG_CIPHER, "aes128-ctr", 1);
	VALID(CFG_ALG_CIPHER, "aes128-ctr,chacha20-poly1305@openssh.com", 1);
	VALID(CFG_ALG_CIPHER, "3des-cbc", 1);
	VALID(CFG_ALG_CIPHER, "bogus", 0);
	VALID(CFG_ALG_CIPHER, "aes128-ctr,bogus", 0);
	VALID(CFG_ALG_CIPHER, "AES128-CTR", 0);
	VALID(CFG_ALG_CIPHER, "aes128", 0);
	VALID(CFG_ALG_CIPHER, "", 0);
	ck_assert_int_eq(cfg_alg_names_valid(CFG_ALG_CIPHER, NULL), 0);
	/* no wildcards for ciphers */
	VALID(CFG_ALG_CIPHER, "aes*", 0);
	/* checking stops at the first empty entry, as in OpenSSH */
	VALID(CFG_ALG_CIPHER, "aes128-ctr,,bogus", 1);
	VALID(CFG_ALG_CIPHER, ",bogus", 1);
	/* a MAC is not a cipher */
	VALID(CFG_ALG_CIPHER, "hmac-sha1", 0);
}
END_TEST

START_TEST(test_valid_macs_kex)
{
	VALID(CFG_ALG_MAC, "hmac-sha2-256", 1);
	VALID(CFG_ALG_MAC, "hmac-sha2-256-etm@openssh.com,umac-64@openssh.com",
	    1);
	VALID(CFG_ALG_MAC, "hmac-bogus", 0);
	VALID(CFG_ALG_MAC, "hmac-*", 0);
	VALID(CFG_ALG_MAC, "aes128-ctr", 0);

	VALID(CFG_ALG_KEX, "curve25519-sha256", 1);
	VALID(CFG_ALG_KEX, "sntrup761x25519-sha512@openssh.com", 1);
	VALID(CFG_ALG_KEX, "curve25519-sha25", 0);
	/* Debian's GSSAPI key exchange names are prefixes */
	VALID(CFG_ALG_KEX, "gss-group14-sha256-", 1);
	VALID(CFG_ALG_KEX, "gss-group14-sha256-toWM5Slw5Ew8Mqkay+al2g==", 1);
	VALID(CFG_ALG_KEX, "gss-group14-sha256", 0);
	VALID(CFG_ALG_KEX, "gss-bogus-", 0);

	VALID(CFG_ALG_GSS_KEX, "gss-group14-sha256-", 1);
	VALID(CFG_ALG_GSS_KEX, "gss-curve25519-sha256-,gss-gex-sha1-", 1);
	VALID(CFG_ALG_GSS_KEX, "curve25519-sha256", 0);
	VALID(CFG_ALG_GSS_KEX, "gss-bogus-", 0);
}
END_TEST

START_TEST(test_valid_keys)
{
	VALID(CFG_ALG_KEY, "ssh-ed25519", 1);
	VALID(CFG_ALG_KEY, "rsa-sha2-512,ssh-ed25519-cert-v01@openssh.com", 1);
	VALID(CFG_ALG_KEY, "ssh-bogus", 0);
	/* wildcards are allowed for key algorithms when they match */
	VALID(CFG_ALG_KEY, "ssh-ed25519*", 1);
	VALID(CFG_ALG_KEY, "*-cert-v01@openssh.com", 1);
	VALID(CFG_ALG_KEY, "nomatch*", 0);
	/* a negated entry that matches counts as known */
	VALID(CFG_ALG_KEY, "!ssh-rsa", 1);
	VALID(CFG_ALG_KEY, "!nomatch", 0);
	VALID(CFG_ALG_CA_SIG, "rsa-sha2-512,ssh-ed25519", 1);
	VALID(CFG_ALG_CA_SIG, "bogus", 0);
}
END_TEST

/* Every default is known, and part of the full list of its kind. */
START_TEST(test_tables_consistent)
{
	static const enum cfg_alg_kind kinds[] = {
		CFG_ALG_CIPHER, CFG_ALG_MAC, CFG_ALG_KEX, CFG_ALG_KEY,
		CFG_ALG_CA_SIG, CFG_ALG_GSS_KEX,
	};
	char *copy, *cur, *name, *filtered;
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		const char *all = cfg_alg_all(kinds[i]);
		const char *def = cfg_alg_default(kinds[i]);

		ck_assert_uint_gt(strlen(def), 0);
		ck_assert_msg(cfg_alg_names_valid(kinds[i], def),
		    "default list of kind %d is not valid", (int)kinds[i]);
		ck_assert_msg(cfg_alg_names_valid(kinds[i], all),
		    "full list of kind %d is not valid", (int)kinds[i]);
		copy = strdup(def);
		ck_assert_ptr_nonnull(copy);
		cur = copy;
		while ((name = strsep(&cur, ",")) != NULL) {
			filtered = cfg_filter_list(all, name, 0);
			ck_assert_ptr_nonnull(filtered);
			ck_assert_msg(strcmp(filtered, name) == 0,
			    "default %s is not in the full list", name);
			free(filtered);
		}
		free(copy);
	}
	/* the lists ssh -G prints by default */
	ck_assert_str_eq(cfg_alg_default(CFG_ALG_CIPHER),
	    "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,"
	    "aes128-gcm@openssh.com,aes256-gcm@openssh.com");
	ck_assert_str_eq(cfg_alg_default(CFG_ALG_CA_SIG),
	    "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,"
	    "ecdsa-sha2-nistp521,sk-ssh-ed25519@openssh.com,"
	    "sk-ecdsa-sha2-nistp256@openssh.com,rsa-sha2-512,rsa-sha2-256");
}
END_TEST

/* ------------------------------------------------------------------ */
/* cfg_alg_assemble with small synthetic lists */

static const char DEF[] = "b,c";
static const char ALL[] = "a,b,c,d,e";

static void
assemble_ok(const char *conf, const char *def, const char *all,
    const char *want)
{
	char *out = (char *)1;

	ck_assert_msg(cfg_alg_assemble(conf, def, all, &out) == ERR_OK,
	    "assemble(\"%s\") failed", conf != NULL ? conf : "(null)");
	ck_assert_ptr_nonnull(out);
	ck_assert_msg(strcmp(out, want) == 0,
	    "assemble(\"%s\") = \"%s\", want \"%s\"",
	    conf != NULL ? conf : "(null)", out, want);
	free(out);
}

static void
assemble_fails(const char *conf, const char *def, const char *all)
{
	char *out = (char *)1;

	ck_assert_msg(cfg_alg_assemble(conf, def, all, &out) == ERR_CONFIG,
	    "assemble(\"%s\") should be ERR_CONFIG", conf);
	ck_assert_ptr_null(out);
}

START_TEST(test_assemble_default)
{
	assemble_ok(NULL, DEF, ALL, "b,c");
	assemble_ok("", DEF, ALL, "b,c");
}
END_TEST

START_TEST(test_assemble_plus)
{
	assemble_ok("+d", DEF, ALL, "b,c,d");
	assemble_ok("+d,a", DEF, ALL, "b,c,d,a");
	/* no duplicates */
	assemble_ok("+c,d", DEF, ALL, "b,c,d");
	/* names not in the full list disappear */
	assemble_ok("+x", DEF, ALL, "b,c");
	/* patterns are matched against the full list, in its order */
	assemble_ok("+*", DEF, ALL, "b,c,a,d,e");
	assemble_ok("+", DEF, ALL, "b,c");
}
END_TEST

START_TEST(test_assemble_caret)
{
	assemble_ok("^d", DEF, ALL, "d,b,c");
	assemble_ok("^c", DEF, ALL, "c,b");
	assemble_ok("^e,a", DEF, ALL, "e,a,b,c");
	assemble_ok("^x", DEF, ALL, "b,c");
}
END_TEST

START_TEST(test_assemble_minus)
{
	assemble_ok("-b", DEF, ALL, "c");
	assemble_ok("-x", DEF, ALL, "b,c");
	assemble_ok("-b,c", DEF, ALL, "");
	/* wildcard deny lists */
	assemble_ok("-*", DEF, ALL, "");
	assemble_ok("-?", DEF, ALL, "");
	assemble_ok("-c*", DEF, ALL, "b");
	assemble_ok("-*-ctr", "aes128-ctr,aes256-gcm,chacha,aes192-ctr",
	    "aes128-ctr,aes192-ctr,aes256-gcm,chacha", "aes256-gcm,chacha");
	/* a negation in a deny list keeps what it matches */
	assemble_ok("-!b", DEF, ALL, "b,c");
	assemble_ok("-*,!b", DEF, ALL, "b");
}
END_TEST

START_TEST(test_assemble_explicit)
{
	/* the configured order wins */
	assemble_ok("e,a", DEF, ALL, "e,a");
	assemble_ok("d", DEF, ALL, "d");
	assemble_ok("a,x,b", DEF, ALL, "a,b");
	assemble_ok("a,a,b", DEF, ALL, "a,b");
	/* a pattern expands in the full list's order */
	assemble_ok("aes*", "chacha", "aes128,chacha,aes256", "aes128,aes256");
	assemble_ok("aes*,chacha,aes128", "chacha", "aes128,chacha,aes256",
	    "aes128,aes256,chacha");
	assemble_ok("?", DEF, ALL, "a,b,c,d,e");
}
END_TEST

START_TEST(test_assemble_errors)
{
	/* empty results */
	assemble_fails("x", DEF, ALL);
	assemble_fails("x,y*", DEF, ALL);
	assemble_fails(",", DEF, ALL);
	/* '!' patterns */
	assemble_fails("!b", DEF, ALL);
	assemble_fails("a,!b", DEF, ALL);
	assemble_fails("+!b", DEF, ALL);
	assemble_fails("^!b", DEF, ALL);
}
END_TEST

/* With the real tables (values as ssh -G prints them). */
START_TEST(test_assemble_real)
{
	const char *dc = cfg_alg_default(CFG_ALG_CIPHER);
	const char *ac = cfg_alg_all(CFG_ALG_CIPHER);

	assemble_ok("+3des-cbc", dc, ac,
	    "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,"
	    "aes128-gcm@openssh.com,aes256-gcm@openssh.com,3des-cbc");
	assemble_ok("^3des-cbc", dc, ac,
	    "3des-cbc,chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,"
	    "aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com");
	assemble_ok("-*-ctr", dc, ac,
	    "chacha20-poly1305@openssh.com,aes128-gcm@openssh.com,"
	    "aes256-gcm@openssh.com");
	assemble_ok("-aes*", dc, ac, "chacha20-poly1305@openssh.com");
	assemble_ok("aes*-ctr", dc, ac, "aes128-ctr,aes192-ctr,aes256-ctr");
	assemble_ok("ssh-ed25519*", cfg_alg_default(CFG_ALG_KEY),
	    cfg_alg_all(CFG_ALG_KEY),
	    "ssh-ed25519,ssh-ed25519-cert-v01@openssh.com");
	/* a GSSAPI prefix is a valid KexAlgorithms name, but no full name */
	assemble_fails("gss-group14-sha256-", cfg_alg_default(CFG_ALG_KEX),
	    cfg_alg_all(CFG_ALG_KEX));
	assemble_fails("!ssh-rsa", cfg_alg_default(CFG_ALG_KEY),
	    cfg_alg_all(CFG_ALG_KEY));
}
END_TEST

static Suite *
algs_suite(void)
{
	Suite *s = suite_create("config-algs");
	TCase *tc = tcase_create("valid");

	tcase_add_test(tc, test_valid_ciphers);
	tcase_add_test(tc, test_valid_macs_kex);
	tcase_add_test(tc, test_valid_keys);
	tcase_add_test(tc, test_tables_consistent);
	suite_add_tcase(s, tc);

	tc = tcase_create("assemble");
	tcase_add_test(tc, test_assemble_default);
	tcase_add_test(tc, test_assemble_plus);
	tcase_add_test(tc, test_assemble_caret);
	tcase_add_test(tc, test_assemble_minus);
	tcase_add_test(tc, test_assemble_explicit);
	tcase_add_test(tc, test_assemble_errors);
	tcase_add_test(tc, test_assemble_real);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(algs_suite());
	int failed;

	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
