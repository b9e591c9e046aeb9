#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "config/config-int.h"

struct diag_entry {
	char *message;
	int is_error;
};

struct config_diag {
	struct diag_entry *entries;
	size_t n, cap;
};

/* Bounds what a hostile config can make us hold in memory. */
#define DIAG_MAX_ENTRIES 1000
#define DIAG_MAX_MESSAGE 1024

struct config_diag *
config_diag_new(void)
{
	return calloc(1, sizeof(struct config_diag));
}

void
config_diag_free(struct config_diag *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->n; i++)
		free(d->entries[i].message);
	free(d->entries);
	free(d);
}

size_t
config_diag_count(const struct config_diag *d)
{
	return d->n;
}

const char *
config_diag_message(const struct config_diag *d, size_t i)
{
	return i < d->n ? d->entries[i].message : NULL;
}

int
config_diag_is_error(const struct config_diag *d, size_t i)
{
	return i < d->n ? d->entries[i].is_error : 0;
}

int
cfg_diag_add(struct config_diag *d, int is_error, const char *fmt, ...)
{
	char msg[DIAG_MAX_MESSAGE];
	struct diag_entry *n;
	va_list ap;
	size_t i;

	if (d == NULL || d->n >= DIAG_MAX_ENTRIES)
		return ERR_OK;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Never let a config byte become a terminal escape on stderr. */
	for (i = 0; msg[i] != '\0'; i++) {
		if ((unsigned char)msg[i] < 0x20 || msg[i] == 0x7f)
			msg[i] = '?';
	}
	if (d->n == d->cap) {
		size_t ncap = d->cap == 0 ? 8 : d->cap * 2;

		if ((n = realloc(d->entries, ncap * sizeof(*n))) == NULL)
			return ERR_NOMEM;
		d->entries = n;
		d->cap = ncap;
	}
	if ((d->entries[d->n].message = strdup(msg)) == NULL)
		return ERR_NOMEM;
	d->entries[d->n].is_error = is_error;
	d->n++;
	return ERR_OK;
}
