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
	int i;

	if (argv == NULL)
		return;
	for (i = 0; i < argc; i++)
		free(argv[i]);
	free(argv);
}

int
cfg_argv_split(const char *s, int *argcp, char ***argvp, int stop_at_comment)
{
	char **argv = NULL, **nargv, *arg;
	int argc = 0, r = ERR_NOMEM;
	size_t i, j, len = strlen(s);
	char quote;

	*argvp = NULL;
	*argcp = 0;
	if ((argv = calloc(1, sizeof(*argv))) == NULL)
		goto out;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] == ' ' || s[i] == '\t')
			continue;
		if (stop_at_comment && s[i] == '#')
			break;
		quote = 0;
		if ((nargv = realloc(argv, (argc + 2) * sizeof(*argv))) == NULL)
			goto out;
		argv = nargv;
		if ((arg = calloc(1, len - i + 1)) == NULL)
			goto out;
		argv[argc++] = arg;
		argv[argc] = NULL;
		for (j = 0; s[i] != '\0'; i++) {
			if (s[i] == '\\') {
				if (s[i + 1] == '\'' || s[i + 1] == '"' ||
				    s[i + 1] == '\\' ||
				    (quote == 0 && s[i + 1] == ' '))
					i++;
				/* an unknown escape keeps its backslash */
				arg[j++] = s[i];
			} else if (quote == 0 && (s[i] == ' ' || s[i] == '\t'))
				break;
			else if (quote == 0 && (s[i] == '"' || s[i] == '\''))
				quote = s[i];
			else if (quote != 0 && s[i] == quote)
				quote = 0;
			else
				arg[j++] = s[i];
		}
		if (s[i] == '\0') {
			if (quote != 0) {
				r = ERR_CONFIG;
				goto out;
			}
			break;
		}
	}
	*argvp = argv;
	*argcp = argc;
	argv = NULL;
	argc = 0;
	r = ERR_OK;
 out:
	cfg_argv_free(argv, argc);
	return r;
}
