/*
 * The config reader's tokenisers.  ssh_config is read with two different
 * splitters (the keyword and `Match` criteria with one, arguments with the
 * other); reproducing both exactly is what keeps `=` forms, quotes and
 * comments behaving as in OpenSSH (readconf.c, misc.c strdelim() and
 * argv_split()).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "common/err.h"
#include "config/config-int.h"

#define LEX_WHITESPACE " \t\r\n"

char *
cfg_strdelim(char **s)
{
	char *old, *p;
	int skipped_equals = 0;

	if (*s == NULL)
		return NULL;
	old = *s;
	p = strpbrk(old, LEX_WHITESPACE "\"=");
	if (p == NULL) {
		*s = NULL;
		return old;
	}
	if (*p == '"') {
		/* A quote anywhere in the word starts a quoted part that runs
		 * to the next quote; the quote itself is removed. */
		memmove(p, p + 1, strlen(p));
		if ((p = strchr(p, '"')) == NULL) {
			*s = NULL;
			return NULL;
		}
		*p = '\0';
		*s = p + 1 + strspn(p + 1, LEX_WHITESPACE);
		return old;
	}
	/* At most one '=' separates a keyword from its value. */
	if (*p == '=')
		skipped_equals = 1;
	*p = '\0';
	p += 1 + strspn(p + 1, LEX_WHITESPACE);
	if (*p == '=' && !skipped_equals)
		p += 1 + strspn(p + 1, LEX_WHITESPACE);
	*s = p;
	return old;
}

void
cfg_argv_free(char **argv, int argc)
{
	(void)argc;
	/* cfg_argv_split() makes the vector and its words one allocation */
	free(argv);
}

/*
 * The splitting itself: writes the words of s into out, back to back,
 * each NUL-terminated (never more than strlen(s) + 1 bytes, since quotes
 * and escapes only shrink a word and words are separated by at least one
 * blank).  Returns the number of words and sets *usedp, or -1 for an
 * unterminated quote.
 */
static int
split_words(const char *s, int stop_at_comment, char *out, size_t *usedp)
{
	size_t i, j = 0;
	int n = 0;
	char quote;

	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] == ' ' || s[i] == '\t')
			continue;
		if (stop_at_comment && s[i] == '#')
			break;
		quote = 0;
		n++;
		for (; s[i] != '\0'; i++) {
			if (s[i] == '\\') {
				if (s[i + 1] == '\'' || s[i + 1] == '"' ||
				    s[i + 1] == '\\' ||
				    (quote == 0 && s[i + 1] == ' '))
					i++;
				/* an unknown escape keeps its backslash */
				out[j++] = s[i];
			} else if (quote == 0 && (s[i] == ' ' || s[i] == '\t'))
				break;
			else if (quote == 0 && (s[i] == '"' || s[i] == '\''))
				quote = s[i];
			else if (quote != 0 && s[i] == quote)
				quote = 0;
			else
				out[j++] = s[i];
		}
		out[j++] = '\0';
		if (s[i] == '\0') {
			if (quote != 0)
				return -1;
			break;
		}
	}
	*usedp = j;
	return n;
}

/* Points argv[0..n) at the n words packed in words; argv[n] = NULL. */
static void
index_words(char **argv, char *words, int n)
{
	int k;

	for (k = 0; k < n; k++) {
		argv[k] = words;
		words += strlen(words) + 1;
	}
	argv[n] = NULL;
}

int
cfg_argv_split(const char *s, int *argcp, char ***argvp, int stop_at_comment)
{
	size_t len = strlen(s), used = 0;
	char *tmp, **argv;
	int n;

	*argvp = NULL;
	*argcp = 0;
	if ((tmp = malloc(len + 1)) == NULL)
		return ERR_NOMEM;
	if ((n = split_words(s, stop_at_comment, tmp, &used)) < 0) {
		free(tmp);
		return ERR_CONFIG;
	}
	if ((argv = malloc((size_t)(n + 1) * sizeof(*argv) + used)) == NULL) {
		free(tmp);
		return ERR_NOMEM;
	}
	memcpy((char *)(argv + n + 1), tmp, used);
	free(tmp);
	index_words(argv, (char *)(argv + n + 1), n);
	*argvp = argv;
	*argcp = n;
	return ERR_OK;
}

int
cfg_argv_split_arena(const char *s, int stop_at_comment, struct arena *a,
    int *argcp, char ***argvp)
{
	char stackbuf[1024], *tmp = stackbuf, *words, **argv;
	size_t len = strlen(s), used = 0;
	int n, r = ERR_NOMEM;

	*argvp = NULL;
	*argcp = 0;
	if (len + 1 > sizeof(stackbuf) && (tmp = malloc(len + 1)) == NULL)
		return ERR_NOMEM;
	if ((n = split_words(s, stop_at_comment, tmp, &used)) < 0) {
		r = ERR_CONFIG;
		goto out;
	}
	/* the vector and its words in one piece */
	if ((argv = arena_alloc(a, (size_t)(n + 1) * sizeof(*argv) + used)) ==
	    NULL)
		goto out;
	words = (char *)(argv + n + 1);
	memcpy(words, tmp, used);
	index_words(argv, words, n);
	*argvp = argv;
	*argcp = n;
	r = ERR_OK;
 out:
	if (tmp != stackbuf)
		free(tmp);
	return r;
}
