/*
 * libFuzzer target: the broker's settings file (src/broker/settings.h),
 * fed to settings_parse_buffer() as the whole contents of a file, the
 * way settings_load() hands it over once the file checks pass.  Seeds:
 * tests/fuzz/corpus/settings/ (docs/config.yaml.example among them).
 *
 * Oracles, besides the sanitizers (settings.h's contract):
 *   - ERR_OK comes with a struct settings, anything else without one,
 *     and only ERR_CONFIG or ERR_NOMEM are possible;
 *   - an error is one line, "fuzz.yaml:LINE: ..." with LINE within the
 *     input's lines (one past the last for an error at the end), or
 *     "fuzz.yaml: ..." for the size limit;
 *   - what loads is sane: durations within SETTINGS_MAX_VALUE seconds
 *     (idle in whole seconds), booleans 0 or 1, a socket absolute and
 *     short enough for a sockaddr_un, every prewarm destination non-empty,
 *     listed once, not an option, and with prewarm on;
 *   - lookups of a few fixed destinations and of pieces of the input
 *     itself answer ERR_OK with sane values, and the same twice.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/settings.h"
#include "common/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define check(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "fuzz_settings.c:%d: check failed: %s\n", \
		    __LINE__, #cond); \
		abort(); \
	} \
} while (0)

static void
check_values(const struct settings_for *v)
{
	check(v->idle_ms % 1000 == 0);
	check(v->idle_ms <= (uint64_t)SETTINGS_MAX_VALUE * 1000);
	check(v->keepalive_s <= SETTINGS_MAX_VALUE);
	check(v->keepalive_count <= SETTINGS_MAX_VALUE);
	check(v->max_channels <= SETTINGS_MAX_VALUE);
	check(v->prewarm == 0 || v->prewarm == 1);
	check(v->control_path == 0 || v->control_path == 1);
}

static void
check_lookup(const struct settings *s, const char *dest)
{
	struct settings_for a, b;

	check(settings_lookup(s, dest, &a) == ERR_OK);
	check(settings_lookup(s, dest, &b) == ERR_OK);
	check(memcmp(&a, &b, sizeof(a)) == 0);
	check_values(&a);
}

static void
check_error(const char *err, const uint8_t *data, size_t size)
{
	static const char prefix[] = "fuzz.yaml:";
	size_t lines = 1, i;
	unsigned long line;
	int plain = 1;
	char *end;

	/* libyaml also breaks lines at \r and at Unicode's NEL, LS and PS,
	 * and reads UTF-16: the exact bound is for plain ASCII text */
	for (i = 0; i < size; i++) {
		if (data[i] == '\n')
			lines++;
		else if (data[i] == '\r' || data[i] == '\0' || data[i] >= 0x80)
			plain = 0;
	}
	if (!plain)
		lines = size + 1;
	check(err[0] != '\0');
	check(strchr(err, '\n') == NULL);
	check(strncmp(err, prefix, sizeof(prefix) - 1) == 0);
	if (err[sizeof(prefix) - 1] == ' ') {
		/* only the size limit has no line */
		check(size > SETTINGS_MAX_FILE);
		return;
	}
	line = strtoul(err + sizeof(prefix) - 1, &end, 10);
	check(end != err + sizeof(prefix) - 1 && end[0] == ':' &&
	    end[1] == ' ');
	check(line >= 1 && line <= lines + 1);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct settings *s = (struct settings *)1;
	char err[512], piece[64];
	const char *sock, *h;
	size_t i, j, n;
	int r;

	r = settings_parse_buffer("fuzz.yaml", data, size, &s, err,
	    sizeof(err));
	check(r == ERR_OK || r == ERR_CONFIG || r == ERR_NOMEM);
	if (r != ERR_OK) {
		check(s == NULL);
		if (r == ERR_CONFIG)
			check_error(err, data, size);
		return 0;
	}
	check(s != NULL);
	check(settings_path(s) == NULL);
	if ((sock = settings_socket(s)) != NULL)
		check(sock[0] == '/' && strlen(sock) < 108);
	check(settings_max_transports(s) <= SETTINGS_MAX_VALUE);
	n = settings_prewarm_count(s);
	for (i = 0; i < n; i++) {
		struct settings_for v;

		h = settings_prewarm_host(s, i);
		check(h != NULL && h[0] != '\0' && h[0] != '-');
		for (j = 0; j < i; j++)
			check(strcmp(h, settings_prewarm_host(s, j)) != 0);
		check(settings_lookup(s, h, &v) == ERR_OK && v.prewarm == 1);
		check_values(&v);
	}
	check(settings_prewarm_host(s, n) == NULL);
	check_lookup(s, "");
	check_lookup(s, "web1");
	check_lookup(s, "bastion.example.com");
	check_lookup(s, "deploy@db1.example.com");
	/* pieces of the input: the words most likely to match its rules */
	for (i = 0; i < size && i < 4096; i += 1 + i / 4) {
		n = size - i < sizeof(piece) - 1 ? size - i : sizeof(piece) - 1;
		memcpy(piece, data + i, n);
		piece[n] = '\0';
		piece[strcspn(piece, "\n'\", ")] = '\0';
		check_lookup(s, piece);
	}
	settings_free(s);
	return 0;
}
