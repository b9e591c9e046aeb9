/*
 * %-token and ${ENV} expansion, with OpenSSH's rules
 * (misc.c vdollar_percent_expand()): "%%" is a literal '%', an unknown
 * token or a trailing '%' is an error, "${NAME}" takes the variable's value
 * and an unset variable is an error.  Nothing is expanded twice: a value
 * coming from a token or the environment is copied as is.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "config/config-int.h"

int
cfg_expand(const char *s, const struct cfg_token *tokens, size_t ntokens,
    const char *(*getenv_fn)(void *, const char *), void *getenv_ctx,
    char **outp, const char **whyp)
{
	struct buf *b = NULL;
	const char *end, *val;
	char *name;
	size_t i, len;
	int r = ERR_NOMEM, missing = 0;

	*outp = NULL;
	if (whyp != NULL)
		*whyp = NULL;
	if ((b = buf_new(0)) == NULL)
		goto out;
	for (; *s != '\0'; s++) {
		if (getenv_fn != NULL && s[0] == '$' && s[1] == '{') {
			s += 2;
			if ((end = strchr(s, '}')) == NULL) {
				if (whyp != NULL)
					*whyp = "environment variable missing closing '}'";
				r = ERR_CONFIG;
				goto out;
			}
			len = (size_t)(end - s);
			if (len == 0) {
				if (whyp != NULL)
					*whyp = "zero-length environment variable";
				r = ERR_CONFIG;
				goto out;
			}
			if ((name = malloc(len + 1)) == NULL) {
				r = ERR_NOMEM;
				goto out;
			}
			memcpy(name, s, len);
			name[len] = '\0';
			val = getenv_fn(getenv_ctx, name);
			free(name);
			if (val == NULL)
				missing = 1;
			else if ((r = buf_put_cstr(b, val)) != ERR_OK)
				goto out;
			s = end;
			continue;
		}
		if (*s != '%' || tokens == NULL) {
			if ((r = buf_put_u8(b, (unsigned char)*s)) != ERR_OK)
				goto out;
			continue;
		}
		s++;
		if (*s == '%') {
			if ((r = buf_put_u8(b, '%')) != ERR_OK)
				goto out;
			continue;
		}
		if (*s == '\0') {
			if (whyp != NULL)
				*whyp = "invalid format";
			r = ERR_CONFIG;
			goto out;
		}
		for (i = 0; i < ntokens; i++) {
			if (tokens[i].key == *s)
				break;
		}
		if (i == ntokens) {
			if (whyp != NULL)
				*whyp = "unknown key";
			r = ERR_CONFIG;
			goto out;
		}
		if ((r = buf_put_cstr(b, tokens[i].value)) != ERR_OK)
			goto out;
	}
	if (missing) {
		if (whyp != NULL)
			*whyp = "environment variable has no value";
		r = ERR_CONFIG;
		goto out;
	}
	if ((*outp = buf_dup_cstr(b)) == NULL) {
		r = ERR_NOMEM;
		goto out;
	}
	r = ERR_OK;
 out:
	buf_free(b);
	return r;
}
