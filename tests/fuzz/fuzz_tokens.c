/*
 * libFuzzer target: %-token and ${VAR} expansion (cfg_expand) and the
 * host and user name validators.
 *
 * Input: one flags byte, then the string (up to the first NUL).
 *   bit 0  pass the token table (%-tokens expanded)
 *   bit 1  pass the environment lookup (${VAR} expanded)
 *   bit 2  use the second token table, whose values hold '%' and "${"
 *          (they must be copied as is: nothing is expanded twice)
 *
 * Oracles, besides the sanitizers:
 *   - cfg_expand() agrees with a small reference implementation of the
 *     rules documented in config-int.h and tokens.c (OpenSSH's
 *     vdollar_percent_expand(): "%%", unknown token or trailing '%' is an
 *     error, unterminated or empty "${}" is an error, an unset variable is
 *     an error after the whole string was read);
 *   - a name config_valid_hostname() accepts has none of the characters a
 *     shell would act on, no whitespace and no control character, and does
 *     not start with '-'; config_valid_user() likewise for its own set.
 */
#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "config/config-int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct cfg_token tokens_plain[] = {
	{ 'C', "0123456789abcdef0123456789abcdef01234567" },
	{ 'd', "/home/fuzzer" },
	{ 'h', "web1.example.org" },
	{ 'i', "1000" },
	{ 'j', "bastion" },
	{ 'k', "web1" },
	{ 'L', "fuzzhost" },
	{ 'l', "fuzzhost.example.org" },
	{ 'n', "web1" },
	{ 'p', "22" },
	{ 'r', "deploy" },
	{ 'u', "fuzzer" },
	{ 'T', "NONE" },
};

static const struct cfg_token tokens_tricky[] = {
	{ 'h', "%h" },
	{ 'n', "${FOO}" },
	{ 'p', "%" },
	{ 'r', "" },
	{ 'u', "$" },
	{ 'x', "${" },
};

static const char *const env[][2] = {
	{ "FOO", "bar" },
	{ "EMPTY", "" },
	{ "PCT", "%h%%" },
	{ "DOLLAR", "${FOO}" },
	{ "HOME", "/home/fuzzer" },
	{ "SPACE", "a b" },
};

static const char *
fake_getenv(void *ctx, const char *name)
{
	size_t i;

	(void)ctx;
	for (i = 0; i < sizeof(env) / sizeof(env[0]); i++) {
		if (strcmp(name, env[i][0]) == 0)
			return env[i][1];
	}
	return NULL;
}

/* ---- the reference expansion: returns 0 and *outp, or -1 (error) */

struct sbuf {
	char *p;
	size_t len, cap;
};

static void
sb_put(struct sbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		if ((b->p = realloc(b->p, b->cap)) == NULL)
			abort();
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static int
ref_expand(const char *s, const struct cfg_token *tok, size_t ntok,
    int dollar, char **outp)
{
	struct sbuf b = { NULL, 0, 0 };
	const char *end, *val;
	char *name;
	size_t i;
	int missing = 0;

	*outp = NULL;
	sb_put(&b, "", 0);
	for (; *s != '\0'; s++) {
		if (dollar && s[0] == '$' && s[1] == '{') {
			s += 2;
			if ((end = strchr(s, '}')) == NULL || end == s)
				goto fail;
			if ((name = strndup(s, (size_t)(end - s))) == NULL)
				abort();
			if ((val = fake_getenv(NULL, name)) == NULL)
				missing = 1;
			else
				sb_put(&b, val, strlen(val));
			free(name);
			s = end;
			continue;
		}
		if (*s != '%' || tok == NULL) {
			sb_put(&b, s, 1);
			continue;
		}
		s++;
		if (*s == '%') {
			sb_put(&b, "%", 1);
			continue;
		}
		if (*s == '\0')
			goto fail;
		for (i = 0; i < ntok && tok[i].key != *s; i++)
			;
		if (i == ntok)
			goto fail;
		sb_put(&b, tok[i].value, strlen(tok[i].value));
	}
	if (missing)
		goto fail;
	*outp = b.p;
	return 0;
 fail:
	free(b.p);
	return -1;
}

/* ---- validator properties */

static int
has_any(const char *s, const char *set)
{
	for (; *s != '\0'; s++) {
		if (strchr(set, *s) != NULL)
			return 1;
	}
	return 0;
}

static void
check(int cond, const char *what, const char *s)
{
	if (!cond) {
		fprintf(stderr, "fuzz_tokens: %s: \"%s\"\n", what, s);
		abort();
	}
}

static void
check_validators(const char *s)
{
	const char *p;

	if (config_valid_hostname(s)) {
		check(*s != '-', "hostname accepted with a leading '-'", s);
		check(!has_any(s, "'`\"$\\;&<>|(){}"),
		    "hostname accepted with a shell metacharacter", s);
		for (p = s; *p != '\0'; p++)
			check(!isspace((unsigned char)*p) &&
			    !iscntrl((unsigned char)*p),
			    "hostname accepted with a space or control", s);
	}
	if (config_valid_user(s)) {
		check(*s != '-', "user accepted with a leading '-'", s);
		check(!has_any(s, "'`\";&<>|(){}"),
		    "user accepted with a shell metacharacter", s);
		for (p = s; *p != '\0'; p++) {
			check(!isspace((unsigned char)p[0]) || p[1] != '-',
			    "user accepted with an option after a space", s);
			check(p[0] != '\\' || p[1] != '\0',
			    "user accepted ending in '\\'", s);
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct cfg_token *tok = NULL;
	size_t ntok = 0;
	unsigned flags;
	char *s, *out = NULL, *ref = NULL;
	const char *why = NULL;
	int r, rr, dollar;

	if (size < 1)
		return 0;
	flags = data[0];
	if ((s = malloc(size)) == NULL)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';

	if (flags & 1) {
		if (flags & 4) {
			tok = tokens_tricky;
			ntok = sizeof(tokens_tricky) / sizeof(tokens_tricky[0]);
		} else {
			tok = tokens_plain;
			ntok = sizeof(tokens_plain) / sizeof(tokens_plain[0]);
		}
	}
	dollar = (flags & 2) != 0;

	r = cfg_expand(s, tok, ntok, dollar ? fake_getenv : NULL, NULL, &out,
	    &why);
	rr = ref_expand(s, tok, ntok, dollar, &ref);
	check(r == ERR_OK || r == ERR_CONFIG, "unexpected error code", s);
	check((r == ERR_OK) == (rr == 0),
	    r == ERR_OK ? "accepted what OpenSSH rejects" :
	    "rejected what OpenSSH accepts", s);
	if (r == ERR_OK) {
		check(out != NULL, "ERR_OK without output", s);
		check(strcmp(out, ref) == 0, "expansion differs", s);
		if (tok == NULL && !dollar)
			check(strcmp(out, s) == 0, "changed with nothing to do",
			    s);
		check_validators(out);
	} else
		check(out == NULL, "output with an error", s);

	check_validators(s);

	free(out);
	free(ref);
	free(s);
	return 0;
}
