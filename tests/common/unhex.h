/*
 * Test vectors written as hex, for the Check suites: one decoder instead
 * of one per suite.  Header-only (static functions), included by path.
 */
#ifndef SSHBROKER_TESTS_COMMON_UNHEX_H
#define SSHBROKER_TESTS_COMMON_UNHEX_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

/* hex into out (at most max bytes); returns how many.  Fails the test
 * on an odd length, a bad digit or an overflow. */
static inline size_t
unhex_into(const char *hex, unsigned char *out, size_t max)
{
	size_t n = strlen(hex) / 2, i;
	unsigned int v;

	ck_assert_uint_eq(strlen(hex) % 2, 0);
	ck_assert_uint_le(n, max);
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (unsigned char)v;
	}
	return n;
}

/* hex into a new buffer (one byte longer, for a terminator); caller
 * frees. */
static inline unsigned char *
unhex_dup(const char *hex, size_t *lenp)
{
	unsigned char *p = malloc(strlen(hex) / 2 + 1);

	ck_assert_ptr_nonnull(p);
	*lenp = unhex_into(hex, p, strlen(hex) / 2);
	return p;
}

#endif
