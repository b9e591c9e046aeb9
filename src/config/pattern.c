/*
 * Wildcard matching as OpenSSH does it for Host, Match and algorithm lists
 * (match.c): '*' and '?' globs, comma-separated lists where a matching
 * negated entry vetoes the whole list.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "config/config-int.h"

int
cfg_match_pattern(const char *s, const char *pattern)
{
	const char *star_p = NULL, *star_s = NULL;

	/* Iterative glob with single-star backtracking: linear in practice
	 * and no recursion a hostile pattern could exploit. */
	for (;;) {
		if (*pattern == '*') {
			while (*pattern == '*')
				pattern++;
			if (*pattern == '\0')
				return 1;
			star_p = pattern;
			star_s = s;
			continue;
		}
		if (*s == '\0')
			return *pattern == '\0';
		if (*pattern != '\0' && (*pattern == '?' || *pattern == *s)) {
			s++;
			pattern++;
			continue;
		}
		if (star_p == NULL)
			return 0;
		pattern = star_p;
		s = ++star_s;
	}
}

/* OpenSSH copies each sub-pattern into a 1024-byte buffer and treats a
 * longer one as a failed match of the whole list. */
#define PATTERN_SUB_MAX 1024

int
cfg_match_pattern_list(const char *s, const char *list, int dolower)
{
	char sub[PATTERN_SUB_MAX];
	size_t i = 0, k, len = strlen(list);
	int negated, positive = 0;

	while (i < len) {
		negated = list[i] == '!';
		if (negated)
			i++;
		for (k = 0; i < len && k < sizeof(sub) - 1 && list[i] != ',';
		    k++, i++) {
			sub[k] = dolower && isupper((unsigned char)list[i]) ?
			    (char)tolower((unsigned char)list[i]) : list[i];
		}
		if (k >= sizeof(sub) - 1)
			return 0;
		if (i < len && list[i] == ',')
			i++;
		sub[k] = '\0';
		if (cfg_match_pattern(s, sub)) {
			if (negated)
				return -1;
			positive = 1;
		}
	}
	return positive;
}

int
cfg_match_hostname(const char *host, const char *list)
{
	char *lower = strdup(host);
	size_t i;
	int r;

	if (lower == NULL)
		return 0;
	for (i = 0; lower[i] != '\0'; i++)
		lower[i] = (char)tolower((unsigned char)lower[i]);
	r = cfg_match_pattern_list(lower, list, 1);
	free(lower);
	return r;
}

char *
cfg_filter_list(const char *proposal, const char *filter, int deny)
{
	size_t len = strlen(proposal) + 1, olen = 0, n;
	char *out = malloc(len), *copy = strdup(proposal), *cur, *name;
	int r;

	if (out == NULL || copy == NULL) {
		free(out);
		free(copy);
		return NULL;
	}
	out[0] = '\0';
	cur = copy;
	while ((name = strsep(&cur, ",")) != NULL) {
		r = cfg_match_pattern_list(name, filter, 0);
		if ((deny && r != 1) || (!deny && r == 1)) {
			n = strlen(name);
			if (olen > 0)
				out[olen++] = ',';
			memcpy(out + olen, name, n);
			olen += n;
			out[olen] = '\0';
		}
	}
	free(copy);
	return out;
}

int
config_match_pattern_list(const char *name, const char *patterns)
{
	return cfg_match_pattern_list(name, patterns, 0) == 1;
}
