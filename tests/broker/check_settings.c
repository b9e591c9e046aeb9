/*
 * Tests of the broker's settings file (src/broker/settings.h).
 *
 * Most tests feed text to settings_parse_buffer() under the name
 * "t.yaml" and compare the whole "t.yaml:LINE: " prefix of the error;
 * the file tests (permissions, symbolic links, the default location)
 * work in a private directory made with mkdtemp() and removed at the
 * end.  docs/config.yaml.example is read from $top_srcdir (exported by
 * `make check`; "." when run by hand from the top of the tree).
 *
 * Valgrind: CK_FORK=no valgrind --leak-check=full --error-exitcode=1
 * tests/broker/check_settings.  Every test restores the environment
 * variables it changes, so they also pass one after the other in one
 * process.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker/settings.h"
#include "common/err.h"

/* Every key of the file, as settings.c's table has them. */
static const char *const all_keys[] = {
	"socket", "max_transports", "rules", "prewarm_hosts", "match",
	"idle_timeout", "keepalive", "keepalive_count", "max_channels",
	"prewarm", "control_path",
};
#define N_KEYS (sizeof(all_keys) / sizeof(all_keys[0]))

/* ---- helpers */

static struct settings *
parse_ok(const char *text)
{
	struct settings *s = NULL;
	char err[512];
	int r;

	r = settings_parse_buffer("t.yaml", text, strlen(text), &s, err,
	    sizeof(err));
	ck_assert_msg(r == ERR_OK, "refused: %s\n---\n%s", err, text);
	ck_assert_ptr_nonnull(s);
	return s;
}

/* The error must be exactly one line starting "t.yaml:LINE: " and hold
 * want somewhere after that prefix. */
static void
check_error(const char *text, size_t len, unsigned int line,
    const char *want)
{
	struct settings *s = (struct settings *)1;
	char err[512], prefix[64];
	int r;

	r = settings_parse_buffer("t.yaml", text, len, &s, err, sizeof(err));
	ck_assert_msg(r == ERR_CONFIG, "accepted (r=%d):\n%s", r, text);
	ck_assert_ptr_null(s);
	ck_assert_msg(strchr(err, '\n') == NULL, "two lines: %s", err);
	snprintf(prefix, sizeof(prefix), "t.yaml:%u: ", line);
	ck_assert_msg(strncmp(err, prefix, strlen(prefix)) == 0,
	    "want line %u, got \"%s\" for:\n%s", line, err, text);
	ck_assert_msg(strstr(err + strlen(prefix), want) != NULL,
	    "want \"%s\" in \"%s\"", want, err);
}

static void
parse_err(const char *text, unsigned int line, const char *want)
{
	check_error(text, strlen(text), line, want);
}

static struct settings_for
lookup(const struct settings *s, const char *dest)
{
	struct settings_for v;

	ck_assert_int_eq(settings_lookup(s, dest, &v), ERR_OK);
	return v;
}

static void
assert_defaults(const struct settings_for *v)
{
	ck_assert_uint_eq(v->idle_ms, SETTINGS_DEFAULT_IDLE_MS);
	ck_assert_uint_eq(v->keepalive_s, SETTINGS_DEFAULT_KEEPALIVE_S);
	ck_assert_uint_eq(v->keepalive_count,
	    SETTINGS_DEFAULT_KEEPALIVE_COUNT);
	ck_assert_uint_eq(v->max_channels, SETTINGS_DEFAULT_MAX_CHANNELS);
	ck_assert_int_eq(v->prewarm, SETTINGS_DEFAULT_PREWARM);
	ck_assert_int_eq(v->control_path, SETTINGS_DEFAULT_CONTROL_PATH);
}

static char *
read_file(const char *path, size_t *lenp)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	ck_assert_int_ge(n, 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*lenp = (size_t)n;
	return buf;
}

static char *
srcdir_file(const char *rel, size_t *lenp)
{
	const char *top = getenv("top_srcdir");
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", top != NULL ? top : ".", rel);
	return read_file(path, lenp);
}

/* A private directory for the file tests; rm -rf'd by tmp_done(). */
struct tmp {
	char dir[64];
	char path[256];         /* scratch: tmp_path() */
};

static void
tmp_init(struct tmp *t)
{
	snprintf(t->dir, sizeof(t->dir), "/tmp/check_settings.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(t->dir));
}

static const char *
tmp_path(struct tmp *t, const char *name)
{
	snprintf(t->path, sizeof(t->path), "%s/%s", t->dir, name);
	return t->path;
}

static void
tmp_write(struct tmp *t, const char *name, const void *data, size_t len,
    mode_t mode)
{
	const char *p = tmp_path(t, name);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	ck_assert_msg(fd != -1, "%s: %s", p, strerror(errno));
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	ck_assert_int_eq(fchmod(fd, mode), 0);
	close(fd);
}

static void
tmp_done(struct tmp *t)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* Saves an environment variable, to put it back with env_restore(). */
struct saved_env {
	const char *name;
	char *value;            /* NULL: was unset */
};

static void
env_save(struct saved_env *e, const char *name)
{
	const char *v = getenv(name);

	e->name = name;
	e->value = v != NULL ? strdup(v) : NULL;
}

static void
env_restore(struct saved_env *e)
{
	if (e->value != NULL)
		setenv(e->name, e->value, 1);
	else
		unsetenv(e->name);
	free(e->value);
}

/* ---- the example file */

START_TEST(test_example_file)
{
	struct settings *s;
	struct settings_for v;
	char *text, err[512];
	size_t len;
	int r;

	text = srcdir_file("docs/config.yaml.example", &len);
	r = settings_parse_buffer("config.yaml.example", text, len, &s, err,
	    sizeof(err));
	ck_assert_msg(r == ERR_OK, "%s", err);
	ck_assert_ptr_null(settings_socket(s));
	ck_assert_ptr_null(settings_path(s));
	ck_assert_uint_eq(settings_max_transports(s), 1000);
	ck_assert_uint_eq(settings_prewarm_count(s), 1);
	ck_assert_str_eq(settings_prewarm_host(s, 0), "bastion.example.com");
	ck_assert_ptr_null(settings_prewarm_host(s, 1));

	/* the top level is the defaults */
	v = lookup(s, "elsewhere");
	assert_defaults(&v);
	/* first rule, then the third for what the first left alone */
	v = lookup(s, "bastion.example.com");
	ck_assert_uint_eq(v.idle_ms, 2 * 3600 * 1000);
	ck_assert_uint_eq(v.keepalive_s, 15);
	ck_assert_uint_eq(v.keepalive_count, 5);
	ck_assert_uint_eq(v.max_channels, 8);
	ck_assert_int_eq(v.prewarm, 1);
	ck_assert_int_eq(v.control_path, 0);
	/* second rule only */
	v = lookup(s, "web1");
	ck_assert_uint_eq(v.idle_ms, 30 * 60 * 1000);
	ck_assert_uint_eq(v.keepalive_s, 0);
	ck_assert_uint_eq(v.keepalive_count, 3);
	ck_assert_uint_eq(v.max_channels, 10);
	ck_assert_int_eq(v.control_path, 1);
	v = lookup(s, "db12");
	ck_assert_uint_eq(v.max_channels, 10);
	/* anchored: web1.example.com is not '^(web|db)[0-9]+$', only the
	 * third rule's */
	v = lookup(s, "web1.example.com");
	ck_assert_uint_eq(v.idle_ms, 10 * 60 * 1000);
	ck_assert_uint_eq(v.keepalive_s, 30);
	ck_assert_uint_eq(v.keepalive_count, 5);
	ck_assert_uint_eq(v.max_channels, 0);
	/* matched against the destination as written: user@ counts */
	v = lookup(s, "admin@bastion.example.com");
	ck_assert_uint_eq(v.idle_ms, 10 * 60 * 1000);
	ck_assert_uint_eq(v.keepalive_s, 30);
	settings_free(s);
	free(text);
}
END_TEST

/* Every key is shown in the example and described in the man page. */
START_TEST(test_docs_cover_every_key)
{
	char *example, *man, want[64];
	size_t len, i;

	example = srcdir_file("docs/config.yaml.example", &len);
	man = srcdir_file("docs/sshbroker-config.5", &len);
	for (i = 0; i < N_KEYS; i++) {
		snprintf(want, sizeof(want), "%s:", all_keys[i]);
		ck_assert_msg(strstr(example, want) != NULL,
		    "config.yaml.example lacks %s", want);
		snprintf(want, sizeof(want), ".B %s\n", all_keys[i]);
		ck_assert_msg(strstr(man, want) != NULL,
		    "sshbroker-config.5 lacks %s", all_keys[i]);
	}
	free(example);
	free(man);
}
END_TEST

/* ---- semantics */

START_TEST(test_empty_is_defaults)
{
	static const char *const texts[] = {
		"", "\n", "# only a comment\n", "---\n", "--- # x\n...\n",
		"{}\n", "rules:\nprewarm_hosts:\n", "rules: []\n",
		"rules: ~\nprewarm_hosts: null\n",
	};
	struct settings *s;
	struct settings_for v;
	size_t i;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		s = parse_ok(texts[i]);
		ck_assert_ptr_null(settings_socket(s));
		ck_assert_uint_eq(settings_max_transports(s),
		    SETTINGS_DEFAULT_MAX_TRANSPORTS);
		ck_assert_uint_eq(settings_prewarm_count(s), 0);
		v = lookup(s, "anything");
		assert_defaults(&v);
		settings_free(s);
	}
	/* NULL settings answer with the defaults too */
	ck_assert_ptr_null(settings_socket(NULL));
	ck_assert_ptr_null(settings_path(NULL));
	ck_assert_uint_eq(settings_max_transports(NULL),
	    SETTINGS_DEFAULT_MAX_TRANSPORTS);
	ck_assert_uint_eq(settings_prewarm_count(NULL), 0);
	ck_assert_ptr_null(settings_prewarm_host(NULL, 0));
	v = lookup(NULL, "x");
	assert_defaults(&v);
	settings_free(NULL);
}
END_TEST

START_TEST(test_top_level_values)
{
	struct settings *s;
	struct settings_for v;

	s = parse_ok("socket: /run/user/1000/sshbroker/control\n"
	    "idle_timeout: 0\n"
	    "keepalive: 1m\n"
	    "keepalive_count: 0\n"
	    "max_transports: 0\n"
	    "max_channels: 2147483647\n"
	    "prewarm: false\n"
	    "control_path: FALSE\n");
	ck_assert_str_eq(settings_socket(s),
	    "/run/user/1000/sshbroker/control");
	ck_assert_uint_eq(settings_max_transports(s), 0);
	v = lookup(s, "x");
	ck_assert_uint_eq(v.idle_ms, 0);
	ck_assert_uint_eq(v.keepalive_s, 60);
	ck_assert_uint_eq(v.keepalive_count, 0);
	ck_assert_uint_eq(v.max_channels, 2147483647u);
	ck_assert_int_eq(v.prewarm, 0);
	ck_assert_int_eq(v.control_path, 0);
	settings_free(s);
	/* quoted paths and flow style are YAML like any other */
	s = parse_ok("{socket: '/tmp/a b/control', rules: [{match: x, "
	    "keepalive: \"2m\"}]}");
	ck_assert_str_eq(settings_socket(s), "/tmp/a b/control");
	ck_assert_uint_eq(lookup(s, "x").keepalive_s, 120);
	settings_free(s);
}
END_TEST

START_TEST(test_first_match_wins_per_setting)
{
	struct settings *s;
	struct settings_for v;

	s = parse_ok("idle_timeout: 5m\n"
	    "keepalive_count: 7\n"
	    "rules:\n"
	    "  - match: '^web'\n"
	    "    idle_timeout: 1h\n"
	    "  - match: 'web1'\n"
	    "    idle_timeout: 2h\n"             /* shadowed for ^web... */
	    "    keepalive: 5s\n"
	    "  - match: '1'\n"                   /* sets nothing: no effect */
	    "  - match: '.'\n"
	    "    keepalive: 9s\n"
	    "    max_channels: 4\n"
	    "    control_path: false\n");
	v = lookup(s, "web1");
	ck_assert_uint_eq(v.idle_ms, 3600 * 1000);
	ck_assert_uint_eq(v.keepalive_s, 5);
	ck_assert_uint_eq(v.keepalive_count, 7);  /* top level */
	ck_assert_uint_eq(v.max_channels, 4);
	ck_assert_int_eq(v.control_path, 0);
	v = lookup(s, "web2");
	ck_assert_uint_eq(v.idle_ms, 3600 * 1000);
	ck_assert_uint_eq(v.keepalive_s, 9);
	v = lookup(s, "myweb1");                  /* ...but not for this */
	ck_assert_uint_eq(v.idle_ms, 2 * 3600 * 1000);
	ck_assert_uint_eq(v.keepalive_s, 5);
	v = lookup(s, "");                        /* '.' needs a byte */
	ck_assert_uint_eq(v.idle_ms, 5 * 60 * 1000);
	ck_assert_uint_eq(v.keepalive_s, 0);
	ck_assert_uint_eq(v.keepalive_count, 7);
	ck_assert_uint_eq(v.max_channels, 0);
	ck_assert_int_eq(v.control_path, 1);
	settings_free(s);
}
END_TEST

START_TEST(test_match_is_on_bytes)
{
	struct settings *s;

	/* an empty expression matches everything; bytes that are not
	 * UTF-8 in a destination are matched as bytes */
	s = parse_ok("rules:\n"
	    "  - match: \"\\xe9t\\xe9\"\n"
	    "    keepalive: 1\n"
	    "  - match: ''\n"
	    "    keepalive: 2\n");
	ck_assert_uint_eq(lookup(s, "\xc3\xa9t\xc3\xa9").keepalive_s, 1);
	ck_assert_uint_eq(lookup(s, "\xe9t\xe9").keepalive_s, 2);
	ck_assert_uint_eq(lookup(s, "x").keepalive_s, 2);
	settings_free(s);
}
END_TEST

/* A match that blows PCRE2's limits counts as no match, quickly. */
START_TEST(test_match_limits)
{
	struct settings *s;
	char dest[64];

	s = parse_ok("rules:\n"
	    "  - match: '^(a+)+$'\n"
	    "    keepalive: 1\n"
	    "  - match: 'a'\n"
	    "    keepalive: 2\n");
	memset(dest, 'a', 40);
	dest[40] = 'b';
	dest[41] = '\0';
	ck_assert_uint_eq(lookup(s, dest).keepalive_s, 2);
	ck_assert_uint_eq(lookup(s, "aaaa").keepalive_s, 1);
	settings_free(s);
}
END_TEST

START_TEST(test_prewarm_hosts)
{
	struct settings *s;

	s = parse_ok("prewarm_hosts: [web1, bastion.example.com, db1, web1]\n"
	    "rules:\n"
	    "  - match: '^db'\n"
	    "    prewarm: false\n"
	    "  - match: '^bastion\\.'\n"
	    "    prewarm: true\n"
	    "    prewarm_hosts:\n"
	    "      - bastion.example.com\n"
	    "      - bastion.example.org\n"
	    "  - match: '^(cold|db)'\n"
	    "    prewarm_hosts: [cold1, db2]\n"
	    "    prewarm: false\n");
	/* file order, each once, without the ones whose prewarm is off */
	ck_assert_uint_eq(settings_prewarm_count(s), 3);
	ck_assert_str_eq(settings_prewarm_host(s, 0), "web1");
	ck_assert_str_eq(settings_prewarm_host(s, 1), "bastion.example.com");
	ck_assert_str_eq(settings_prewarm_host(s, 2), "bastion.example.org");
	ck_assert_ptr_null(settings_prewarm_host(s, 3));
	ck_assert_int_eq(lookup(s, "web1").prewarm, 1);
	ck_assert_int_eq(lookup(s, "db1").prewarm, 0);
	settings_free(s);
	/* prewarm: false at the top level, true in a rule */
	s = parse_ok("prewarm: false\n"
	    "prewarm_hosts: [a1, b1]\n"
	    "rules:\n"
	    "  - match: '^b'\n"
	    "    prewarm: true\n");
	ck_assert_uint_eq(settings_prewarm_count(s), 1);
	ck_assert_str_eq(settings_prewarm_host(s, 0), "b1");
	settings_free(s);
	/* user@host is a destination like any other */
	s = parse_ok("prewarm_hosts: ['deploy@db.example', 'ssh://h:2222']\n");
	ck_assert_uint_eq(settings_prewarm_count(s), 2);
	ck_assert_str_eq(settings_prewarm_host(s, 0), "deploy@db.example");
	settings_free(s);
}
END_TEST

START_TEST(test_durations)
{
	static const struct {
		const char *text;
		uint32_t secs;
	} good[] = {
		{ "0", 0 }, { "0s", 0 }, { "30", 30 }, { "30s", 30 },
		{ "30S", 30 }, { "10m", 600 }, { "10M", 600 }, { "2h", 7200 },
		{ "1d", 86400 }, { "1w", 604800 }, { "1h30m", 5400 },
		{ "10m30", 630 }, { "1h1h", 7200 }, { "\"15s\"", 15 },
		{ "'2m'", 120 }, { "2147483647", 2147483647u },
		{ "24855d", 24855u * 86400 },
	};
	static const struct {
		const char *text, *want;
	} bad[] = {
		{ "10x", "bad duration '10x'" },
		{ "1.5h", "bad duration '1.5h'" },
		{ "m", "bad duration 'm'" },
		{ "1hh", "bad duration '1hh'" },
		{ "''", "bad duration ''" },
		{ "10 m", "bad duration '10 m'" },
		{ "+5", "bad duration '+5'" },
		{ "0x10", "bad duration '0x10'" },
		{ "-5s", "'-5s' is negative" },
		{ "-0", "'-0' is negative" },
		{ "2147483648", "is too long (at most 2147483647 seconds)" },
		{ "24856d", "is too long" },
		{ "99999999999999999999999", "is too long" },
		{ "[1]", "wants a duration such as 30s" },
		{ "", "no value given" },
		{ "~", "no value given" },
	};
	struct settings *s;
	char text[128];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(text, sizeof(text), "keepalive: %s\n"
		    "idle_timeout: %s\n", good[i].text, good[i].text);
		s = parse_ok(text);
		ck_assert_uint_eq(lookup(s, "x").keepalive_s, good[i].secs);
		ck_assert_uint_eq(lookup(s, "x").idle_ms,
		    (uint64_t)good[i].secs * 1000);
		settings_free(s);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "keepalive_count: 1\n"
		    "idle_timeout: %s\n", bad[i].text);
		parse_err(text, 2, bad[i].want);
		snprintf(text, sizeof(text), "rules:\n  - match: x\n"
		    "    keepalive: %s\n", bad[i].text);
		parse_err(text, 3, bad[i].want);
	}
}
END_TEST

/* ---- errors, each with its line */

START_TEST(test_errors_keys)
{
	parse_err("idle_timeout: 10m\nfrobnicate: 1\n", 2,
	    "unknown key 'frobnicate'");
	parse_err("rules:\n  - match: a\n    colour: red\n", 3,
	    "unknown key 'colour' in a rule");
	parse_err("Idle_Timeout: 1\n", 1, "unknown key 'Idle_Timeout'");
	parse_err("<<: {keepalive: 1}\n", 1, "unknown key '<<'");
	parse_err("match: a\n", 1, "'match' belongs in a rule");
	parse_err("rules:\n  - match: a\n    socket: /x\n", 3,
	    "'socket' is a top-level setting, not a rule's");
	parse_err("rules:\n  - match: a\n    rules: []\n", 3,
	    "'rules' is a top-level setting");
	parse_err("? [a]\n: 1\n", 1, "a key must be a name, not a list");
	parse_err("keepalive: 1\n\n{a: 1}: 2\n", 3,
	    "a key must be a name, not a mapping");
	/* duplicates, top level and in a rule, with the first line */
	parse_err("keepalive: 1\nidle_timeout: 2\nkeepalive: 3\n", 3,
	    "duplicate key 'keepalive' (first at line 1)");
	parse_err("rules:\n  - match: a\n    prewarm: true\n    match: b\n",
	    4, "duplicate key 'match' (first at line 2)");
	parse_err("rules: []\n# x\nrules: []\n", 3,
	    "duplicate key 'rules' (first at line 1)");
	parse_err("{keepalive: 1, keepalive: 1}\n", 1,
	    "duplicate key 'keepalive'");
	/* the same key in two rules is no duplicate */
	settings_free(parse_ok("rules:\n  - match: a\n    keepalive: 1\n"
	    "  - match: b\n    keepalive: 2\n"));
}
END_TEST

START_TEST(test_errors_types)
{
	parse_err("max_transports: lots\n", 1,
	    "max_transports: wants a whole number, not 'lots'");
	parse_err("max_transports: \"5\"\n", 1,
	    "max_transports: wants a number, not a quoted string");
	parse_err("keepalive_count: 2.5\n", 1, "wants a whole number, not "
	    "'2.5'");
	parse_err("keepalive_count: 1e3\n", 1, "wants a whole number");
	parse_err("keepalive_count: 0x10\n", 1, "wants a whole number");
	parse_err("keepalive_count: +3\n", 1, "wants a whole number");
	parse_err("keepalive_count: 010\n", 1, "'010' has a leading zero");
	parse_err("keepalive_count: -1\n", 1,
	    "keepalive_count: '-1' is negative");
	parse_err("rules:\n  - match: a\n    max_channels: -8\n", 3,
	    "max_channels: '-8' is negative");
	parse_err("max_transports: -1\n", 1, "is negative");
	parse_err("max_channels: 4294967296\n", 1, "is too big (at most "
	    "2147483647)");
	parse_err("max_channels: 2147483648\n", 1, "is too big");
	parse_err("max_channels:\n", 1, "max_channels: no value given");
	parse_err("keepalive:\n  seconds: 5\n", 2,
	    "keepalive: wants a duration such as 30s, 10m, 2h, 1h30m or "
	    "plain seconds, not a mapping");
	parse_err("keepalive_count: [3]\n", 1, "wants a number, not a list");
	parse_err("prewarm: yes\n", 1, "prewarm: wants true or false, not "
	    "'yes'");
	parse_err("prewarm: on\n", 1, "not 'on'");
	parse_err("control_path: 1\n", 1, "not '1'");
	parse_err("control_path: 'true'\n", 1, "wants true or false, not a "
	    "quoted string");
	parse_err("socket: run/sshbroker\n", 1,
	    "socket: 'run/sshbroker' is not an absolute path");
	parse_err("socket: /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
	    1, "socket: the path is too long for a Unix socket (115 bytes, "
	    "at most 107)");
	parse_err("socket:\n", 1, "socket: no value given");
	parse_err("socket: [/a]\n", 1, "socket: wants a path, not a list");
	parse_err("idle_timeout: 1\nsocket: \"/a\\0b\"\n", 2,
	    "socket: a NUL byte in the value");
	parse_err("rules: yes\n", 1, "rules: wants a list of rules, not a "
	    "single value");
	parse_err("rules: {match: a}\n", 1, "rules: wants a list of rules, "
	    "not a mapping");
	parse_err("rules:\n  - match: a\n  - web1\n", 3,
	    "rules: each rule is a mapping with a match: key, not a single "
	    "value");
	parse_err("rules:\n  - [a]\n", 2, "each rule is a mapping");
}
END_TEST

START_TEST(test_errors_rules)
{
	char *text;
	size_t i, n;
	int k;

	parse_err("rules:\n  - idle_timeout: 1m\n", 2,
	    "this rule has no match: key");
	parse_err("rules:\n  - match: a\n  - keepalive: 5\n"
	    "    idle_timeout: 1m\n", 3, "this rule has no match: key");
	parse_err("rules:\n  - {}\n", 2, "this rule has no match: key");
	parse_err("rules:\n  - match:\n", 2,
	    "match: no value given (wants a regular expression)");
	parse_err("rules:\n  - match: [a, b]\n", 2,
	    "match: wants a regular expression, not a list");
	/* PCRE2's message and offset */
	parse_err("rules:\n  - match: a\n  - match: '^bastion('\n", 3,
	    "match: bad regular expression '^bastion(' at offset 9: missing "
	    "closing parenthesis");
	parse_err("rules:\n  - match: '[z-a]'\n", 2,
	    "at offset 3: range out of order in character class");
	parse_err("rules:\n  - match: 'a{2,1}'\n", 2,
	    "numbers out of order in {} quantifier");
	parse_err("rules:\n  - match: '(*UTF)x'\n", 2,
	    "using UTF is disabled by the application");
	/* prewarm_hosts */
	parse_err("prewarm_hosts: web1\n", 1, "prewarm_hosts: wants a list of "
	    "destinations");
	parse_err("prewarm_hosts: [web1, '-oProxyCommand=x']\n", 1,
	    "prewarm_hosts: '-oProxyCommand=x' is not a destination");
	parse_err("prewarm_hosts:\n  - web1\n  - 'a b'\n", 3,
	    "'a b' is not a destination");
	parse_err("prewarm_hosts:\n  - web1\n  - ''\n", 3, "'' is not a "
	    "destination");
	parse_err("prewarm_hosts:\n  - web1\n  -\n", 3,
	    "prewarm_hosts: wants a destination, not nothing");
	parse_err("prewarm_hosts: [[a]]\n", 1, "wants a destination, not a "
	    "list");
	parse_err("prewarm_hosts: [\"a\\tb\"]\n", 1,
	    "'a\\x09b' is not a destination");
	/* a rule's own hosts must match it, whichever key comes first */
	parse_err("rules:\n  - prewarm_hosts: [db1]\n    match: '^web'\n", 2,
	    "prewarm_hosts: 'db1' does not match this rule's match");
	parse_err("rules:\n  - match: '^web'\n    prewarm_hosts:\n"
	    "      - web1\n      - db1\n", 5, "'db1' does not match");
	/* bounds: 1000 rules, 256 hosts */
	n = 1001;
	text = malloc(16 + n * 16);
	ck_assert_ptr_nonnull(text);
	k = sprintf(text, "rules:\n");
	for (i = 0; i < n; i++)
		k += sprintf(text + k, "  - match: a\n");
	parse_err(text, 1002, "rules: more than 1000 rules");
	text[strlen(text) - strlen("  - match: a\n")] = '\0';
	settings_free(parse_ok(text));
	k = sprintf(text, "prewarm_hosts:\n");
	for (i = 0; i < 257; i++)
		k += sprintf(text + k, "  - h%zu\n", i);
	parse_err(text, 258, "prewarm_hosts: more than 256 destinations");
	free(text);
}
END_TEST

START_TEST(test_errors_yaml)
{
	static const char nul[] = "idle_timeout: 1\nkeepalive: 2\0\n";
	char *big;

	/* not a mapping */
	parse_err("- a\n- b\n", 1, "the settings must be a mapping (key: "
	    "value lines), not a list");
	parse_err("hello\n", 1, "must be a mapping");
	parse_err("# c\n\n42\n", 3, "must be a mapping");
	parse_err("'quoted'\n", 1, "not a quoted string");
	/* anchors, aliases, tags: refused where they appear */
	parse_err("idle_timeout: &t 10m\nkeepalive: *t\n", 1,
	    "anchors and aliases are not allowed ('t')");
	parse_err("idle_timeout: 10m\nkeepalive: *t\n", 2,
	    "anchors and aliases are not allowed ('t')");
	parse_err("rules: &r\n  - match: x\n", 1, "anchors and aliases");
	parse_err("&top\nidle_timeout: 1\n", 1, "anchors and aliases");
	parse_err("idle_timeout: 1\nrules:\n  - &r {match: x}\n", 3,
	    "anchors and aliases");
	/* the first lines of "billion laughs" */
	parse_err("prewarm_hosts: &a [lol, lol, lol, lol]\n"
	    "rules: &b [*a, *a, *a, *a]\n", 1, "anchors and aliases");
	parse_err("idle_timeout: !!str 10m\n", 1,
	    "tags are not allowed ('tag:yaml.org,2002:str')");
	parse_err("keepalive: 1\nrules: !!seq []\n", 2, "tags are not allowed");
	parse_err("keepalive: 1\nmax_channels: !x 3\n", 2,
	    "tags are not allowed ('!x')");
	/* one document */
	parse_err("idle_timeout: 1\n---\nidle_timeout: 2\n", 2,
	    "only one YAML document is allowed");
	parse_err("idle_timeout: 1\n...\n---\n", 3, "only one YAML document");
	/* libyaml's own errors, with its line */
	parse_err("idle_timeout: 10m\nkeepalive: 5: 6\n", 2,
	    "mapping values are not allowed in this context");
	parse_err("rules:\n\t- match: a\n", 2,
	    "found character that cannot start any token");
	parse_err("idle_timeout: 1\nsocket: \"/unterminated\n\n", 4,
	    "found unexpected end of stream (while scanning a quoted scalar "
	    "at line 2)");
	parse_err("idle_timeout: 1\nrules:\n  - match: a\n bad: 1\n", 4,
	    "did not find expected key");
	parse_err("idle_timeout: 1\nkeepalive: 2\nsocket: /\xff\n", 3,
	    "invalid leading UTF-8 octet (byte 0xff)");
	check_error(nul, sizeof(nul) - 1, 2, "control characters are not "
	    "allowed");
	/* the size limit: the buffer is refused before it is parsed */
	big = malloc(SETTINGS_MAX_FILE + 1);
	ck_assert_ptr_nonnull(big);
	memset(big, '#', SETTINGS_MAX_FILE + 1);
	{
		struct settings *s;
		char err[256];

		ck_assert_int_eq(settings_parse_buffer("t.yaml", big,
		    SETTINGS_MAX_FILE + 1, &s, err, sizeof(err)), ERR_CONFIG);
		ck_assert_ptr_null(s);
		ck_assert_str_eq(err, "t.yaml: larger than 1048576 bytes");
		ck_assert_int_eq(settings_parse_buffer("t.yaml", big,
		    SETTINGS_MAX_FILE, &s, err, sizeof(err)), ERR_OK);
		settings_free(s);
	}
	free(big);
}
END_TEST

/* Messages stay one line, values are cut short, small buffers are
 * respected. */
START_TEST(test_error_messages)
{
	struct settings *s;
	char err[512], small[12], text[512];
	int r;

	parse_err("\"key\\nwith\\x01newline\": 1\n", 1,
	    "unknown key 'key\\x0awith\\x01newline'");
	memset(text, 0, sizeof(text));
	strcpy(text, "frobnicate_");
	memset(text + 11, 'x', 200);
	strcat(text, ": 1\n");
	parse_err(text, 1, "unknown key 'frobnicate_xxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxx...'");
	/* cut on a character boundary: 47 ASCII bytes, then a 2-byte é */
	memset(text, 0, sizeof(text));
	memset(text, 'k', 47);
	strcat(text, "\xc3\xa9zzz: 1\n");
	parse_err(text, 1, "kkkkkkkkkk...'");
	r = settings_parse_buffer("t.yaml", "x: 1", 4, &s, small,
	    sizeof(small));
	ck_assert_int_eq(r, ERR_CONFIG);
	ck_assert_str_eq(small, "t.yaml:1: u");
	r = settings_parse_buffer("t.yaml", "x: 1", 4, &s, NULL, 0);
	ck_assert_int_eq(r, ERR_CONFIG);
	ck_assert_ptr_null(s);
	r = settings_parse_buffer(NULL, "x: 1", 4, &s, err, sizeof(err));
	ck_assert_str_eq(err, "settings:1: unknown key 'x'");
}
END_TEST

/* Every prefix of the example, and every one-bit change of a small
 * file: loaded or refused with a well-formed message, nothing else. */
START_TEST(test_truncation_and_bitflip_sweep)
{
	static const char sample[] =
	    "socket: /run/user/1000/sshbroker/control\n"
	    "idle_timeout: 10m\n"
	    "keepalive: 30s\n"
	    "keepalive_count: 3\n"
	    "max_transports: 1000\n"
	    "rules:\n"
	    "  - match: '^bastion\\.'\n"
	    "    idle_timeout: 2h\n"
	    "    keepalive: 15s\n"
	    "    max_channels: 8\n"
	    "    prewarm: true\n"
	    "    control_path: false\n"
	    "    prewarm_hosts: [bastion.example.com]\n";
	struct settings *s;
	struct settings_for v;
	char *text, *copy, err[512];
	size_t len, i;
	int r, bit;

	text = srcdir_file("docs/config.yaml.example", &len);
	for (i = 0; i <= len; i++) {
		r = settings_parse_buffer("t.yaml", text, i, &s, err,
		    sizeof(err));
		ck_assert_msg(r == ERR_OK || r == ERR_CONFIG, "len %zu: %d",
		    i, r);
		ck_assert(r == ERR_OK ? s != NULL : s == NULL);
		ck_assert(r == ERR_OK ||
		    (strncmp(err, "t.yaml:", 7) == 0 && !strchr(err, '\n')));
		if (s != NULL)
			(void)settings_lookup(s, "bastion.example.com", &v);
		settings_free(s);
	}
	free(text);
	len = sizeof(sample) - 1;
	copy = malloc(len);
	ck_assert_ptr_nonnull(copy);
	for (i = 0; i < len; i++) {
		for (bit = 0; bit < 8; bit++) {
			memcpy(copy, sample, len);
			copy[i] ^= (char)(1 << bit);
			r = settings_parse_buffer("t.yaml", copy, len, &s, err,
			    sizeof(err));
			ck_assert(r == ERR_OK || r == ERR_CONFIG);
			ck_assert(r == ERR_OK ? s != NULL : s == NULL);
			ck_assert(r == ERR_OK ||
			    (strncmp(err, "t.yaml:", 7) == 0 &&
			    !strchr(err, '\n')));
			if (s != NULL)
				(void)settings_lookup(s, "bastion.example.com",
				    &v);
			settings_free(s);
		}
	}
	free(copy);
}
END_TEST

/* ---- files */

START_TEST(test_load_file_and_permissions)
{
	static const char good[] = "keepalive: 7\n";
	struct settings *s;
	struct tmp t;
	char err[512], *text, path[300];
	size_t len;
	int r;

	tmp_init(&t);
	tmp_write(&t, "ok.yaml", good, sizeof(good) - 1, 0600);
	snprintf(path, sizeof(path), "%s", tmp_path(&t, "ok.yaml"));
	ck_assert_int_eq(settings_load(path, &s, err, sizeof(err)), ERR_OK);
	ck_assert_str_eq(settings_path(s), path);
	ck_assert_uint_eq(lookup(s, "x").keepalive_s, 7);
	settings_free(s);
	/* readable by others is fine (ssh_config may be 0644), and so is
	 * read-only */
	ck_assert_int_eq(chmod(path, 0644), 0);
	ck_assert_int_eq(settings_load(path, &s, err, sizeof(err)), ERR_OK);
	settings_free(s);
	ck_assert_int_eq(chmod(path, 0400), 0);
	ck_assert_int_eq(settings_load(path, &s, err, sizeof(err)), ERR_OK);
	settings_free(s);
	/* writable by group or others: refused, as OpenSSH refuses it */
	ck_assert_int_eq(chmod(path, 0620), 0);
	r = settings_load(path, &s, err, sizeof(err));
	ck_assert_int_eq(r, ERR_PERMISSION);
	ck_assert_ptr_null(s);
	ck_assert_msg(strncmp(err, path, strlen(path)) == 0 &&
	    strstr(err, ": bad owner or permissions (uid ") != NULL &&
	    strstr(err, "mode 0620)") != NULL, "%s", err);
	ck_assert_int_eq(chmod(path, 0602), 0);
	ck_assert_int_eq(settings_load(path, &s, err, sizeof(err)),
	    ERR_PERMISSION);
	ck_assert_int_eq(chmod(path, 0666), 0);
	ck_assert_int_eq(settings_load(path, &s, err, sizeof(err)),
	    ERR_PERMISSION);
	ck_assert_int_eq(chmod(path, 0600), 0);
	/* someone else's file: only root can make one to test with */
	if (getuid() == 0) {
		ck_assert_int_eq(chown(path, 65534, 65534), 0);
		r = settings_load(path, &s, err, sizeof(err));
		ck_assert_int_eq(r, ERR_PERMISSION);
		ck_assert_msg(strstr(err, "(uid 65534, mode 0600)") != NULL,
		    "%s", err);
		ck_assert_int_eq(chown(path, 0, 0), 0);
	}
	/* a symbolic link, even to a good file */
	ck_assert_int_eq(symlink(path, tmp_path(&t, "link.yaml")), 0);
	snprintf(path, sizeof(path), "%s", tmp_path(&t, "link.yaml"));
	r = settings_load(path, &s, err, sizeof(err));
	ck_assert_int_eq(r, ERR_PERMISSION);
	ck_assert_ptr_null(s);
	ck_assert_msg(strstr(err, ": is a symbolic link; refusing it") !=
	    NULL, "%s", err);
	/* a directory, a FIFO (must not block) */
	ck_assert_int_eq(settings_load(t.dir, &s, err, sizeof(err)),
	    ERR_CONFIG);
	ck_assert_msg(strstr(err, ": not a regular file") != NULL, "%s", err);
	ck_assert_int_eq(mkfifo(tmp_path(&t, "fifo"), 0600), 0);
	snprintf(path, sizeof(path), "%s", tmp_path(&t, "fifo"));
	ck_assert_int_eq(settings_load(path, &s, err, sizeof(err)),
	    ERR_CONFIG);
	ck_assert_msg(strstr(err, ": not a regular file") != NULL, "%s", err);
	/* missing, when named */
	snprintf(path, sizeof(path), "%s", tmp_path(&t, "none.yaml"));
	ck_assert_int_eq(settings_load(path, &s, err, sizeof(err)),
	    ERR_NOT_FOUND);
	ck_assert_ptr_null(s);
	ck_assert_msg(strstr(err, "none.yaml: no such file") != NULL, "%s",
	    err);
	/* an error inside names the file and the line */
	tmp_write(&t, "bad.yaml", "keepalive: 1\nkeepalive: 2\n", 26, 0600);
	snprintf(path, sizeof(path), "%s", tmp_path(&t, "bad.yaml"));
	ck_assert_int_eq(settings_load(path, &s, err, sizeof(err)),
	    ERR_CONFIG);
	ck_assert_msg(strncmp(err, path, strlen(path)) == 0 &&
	    strcmp(err + strlen(path), ":2: duplicate key 'keepalive' "
	    "(first at line 1)") == 0, "%s", err);
	/* the example, as a file */
	text = srcdir_file("docs/config.yaml.example", &len);
	tmp_write(&t, "example.yaml", text, len, 0600);
	free(text);
	snprintf(path, sizeof(path), "%s", tmp_path(&t, "example.yaml"));
	ck_assert_int_eq(settings_load(path, &s, err, sizeof(err)), ERR_OK);
	ck_assert_uint_eq(settings_prewarm_count(s), 1);
	settings_free(s);
	tmp_done(&t);
}
END_TEST

START_TEST(test_load_size_limit)
{
	struct settings *s;
	struct tmp t;
	char err[512], *big, path[300];

	tmp_init(&t);
	big = malloc(SETTINGS_MAX_FILE + 1);
	ck_assert_ptr_nonnull(big);
	memset(big, '#', SETTINGS_MAX_FILE + 1);
	big[SETTINGS_MAX_FILE - 1] = '\n';
	/* exactly the limit: comments only, the defaults */
	tmp_write(&t, "limit.yaml", big, SETTINGS_MAX_FILE, 0600);
	snprintf(path, sizeof(path), "%s", tmp_path(&t, "limit.yaml"));
	ck_assert_int_eq(settings_load(path, &s, err, sizeof(err)), ERR_OK);
	settings_free(s);
	tmp_write(&t, "big.yaml", big, SETTINGS_MAX_FILE + 1, 0600);
	snprintf(path, sizeof(path), "%s", tmp_path(&t, "big.yaml"));
	ck_assert_int_eq(settings_load(path, &s, err, sizeof(err)),
	    ERR_CONFIG);
	ck_assert_ptr_null(s);
	ck_assert_msg(strstr(err, "big.yaml: larger than 1048576 bytes") !=
	    NULL, "%s", err);
	free(big);
	tmp_done(&t);
}
END_TEST

START_TEST(test_default_location)
{
	struct saved_env xdg, home;
	struct settings *s;
	struct settings_for v;
	struct tmp t;
	char err[512], want[512], buf[512], small[8];

	env_save(&xdg, "XDG_CONFIG_HOME");
	env_save(&home, "HOME");
	tmp_init(&t);

	/* XDG_CONFIG_HOME without the file: the defaults */
	setenv("XDG_CONFIG_HOME", t.dir, 1);
	ck_assert_int_eq(settings_default_path(buf, sizeof(buf)), ERR_OK);
	snprintf(want, sizeof(want), "%s/sshbroker/config.yaml", t.dir);
	ck_assert_str_eq(buf, want);
	ck_assert_int_eq(settings_load(NULL, &s, err, sizeof(err)), ERR_OK);
	ck_assert_ptr_nonnull(s);
	ck_assert_ptr_null(settings_path(s));
	v = lookup(s, "x");
	assert_defaults(&v);
	settings_free(s);
	/* a file where the directory should be (ENOTDIR): still none */
	tmp_write(&t, "sshbroker", "", 0, 0600);
	ck_assert_int_eq(settings_load(NULL, &s, err, sizeof(err)), ERR_OK);
	ck_assert_ptr_null(settings_path(s));
	settings_free(s);
	ck_assert_int_eq(unlink(tmp_path(&t, "sshbroker")), 0);
	/* with the file */
	ck_assert_int_eq(mkdir(tmp_path(&t, "sshbroker"), 0700), 0);
	tmp_write(&t, "sshbroker/config.yaml", "keepalive: 3\n", 13, 0600);
	ck_assert_int_eq(settings_load(NULL, &s, err, sizeof(err)), ERR_OK);
	ck_assert_str_eq(settings_path(s), want);
	ck_assert_uint_eq(lookup(s, "x").keepalive_s, 3);
	settings_free(s);
	/* the default file is checked like any other */
	ck_assert_int_eq(chmod(want, 0660), 0);
	ck_assert_int_eq(settings_load(NULL, &s, err, sizeof(err)),
	    ERR_PERMISSION);
	ck_assert_ptr_null(s);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "%s", err);

	/* a relative XDG_CONFIG_HOME is ignored: HOME/.config */
	setenv("XDG_CONFIG_HOME", "relative/dir", 1);
	setenv("HOME", t.dir, 1);
	ck_assert_int_eq(settings_default_path(buf, sizeof(buf)), ERR_OK);
	snprintf(want, sizeof(want), "%s/.config/sshbroker/config.yaml",
	    t.dir);
	ck_assert_str_eq(buf, want);
	ck_assert_int_eq(settings_load(NULL, &s, err, sizeof(err)), ERR_OK);
	ck_assert_ptr_null(settings_path(s));
	settings_free(s);
	ck_assert_int_eq(mkdir(tmp_path(&t, ".config"), 0700), 0);
	ck_assert_int_eq(mkdir(tmp_path(&t, ".config/sshbroker"), 0700), 0);
	tmp_write(&t, ".config/sshbroker/config.yaml", "keepalive: 4\n", 13,
	    0600);
	ck_assert_int_eq(settings_load(NULL, &s, err, sizeof(err)), ERR_OK);
	ck_assert_str_eq(settings_path(s), want);
	ck_assert_uint_eq(lookup(s, "x").keepalive_s, 4);
	settings_free(s);
	/* an empty XDG_CONFIG_HOME too */
	setenv("XDG_CONFIG_HOME", "", 1);
	ck_assert_int_eq(settings_default_path(buf, sizeof(buf)), ERR_OK);
	ck_assert_str_eq(buf, want);
	/* no HOME: the passwd entry's directory */
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("HOME");
	if (settings_default_path(buf, sizeof(buf)) == ERR_OK)
		ck_assert_msg(strstr(buf, "/.config/sshbroker/config.yaml") !=
		    NULL && buf[0] == '/', "%s", buf);
	ck_assert_int_eq(settings_default_path(small, sizeof(small)),
	    ERR_TOO_LONG);

	tmp_done(&t);
	env_restore(&xdg);
	env_restore(&home);
}
END_TEST

/* What the daemon does on SIGHUP: a refused file leaves the old
 * settings exactly as they were. */
START_TEST(test_reload_keeps_old)
{
	struct settings *old, *s;
	struct tmp t;
	char err[512], path[300];

	tmp_init(&t);
	tmp_write(&t, "c.yaml", "keepalive: 5\n", 13, 0600);
	snprintf(path, sizeof(path), "%s", tmp_path(&t, "c.yaml"));
	ck_assert_int_eq(settings_load(path, &old, err, sizeof(err)), ERR_OK);
	tmp_write(&t, "c.yaml", "keepalive: 6\nrules: [{match: '('}]\n", 35,
	    0600);
	ck_assert_int_eq(settings_load(path, &s, err, sizeof(err)),
	    ERR_CONFIG);
	ck_assert_ptr_null(s);
	ck_assert_uint_eq(lookup(old, "x").keepalive_s, 5);
	tmp_write(&t, "c.yaml", "keepalive: 6\n", 13, 0600);
	ck_assert_int_eq(settings_load(path, &s, err, sizeof(err)), ERR_OK);
	ck_assert_uint_eq(lookup(s, "x").keepalive_s, 6);
	ck_assert_uint_eq(lookup(old, "x").keepalive_s, 5);
	settings_free(old);
	settings_free(s);
	tmp_done(&t);
}
END_TEST

/* Lookups from several threads on one struct settings at once. */
struct lookup_job {
	const struct settings *s;
	int failures;
};

static void *
lookup_thread(void *arg)
{
	struct lookup_job *j = arg;
	struct settings_for v;
	char dest[32];
	int i;

	for (i = 0; i < 2000; i++) {
		snprintf(dest, sizeof(dest), i % 2 ? "web%d" : "db%d", i);
		if (settings_lookup(j->s, dest, &v) != ERR_OK ||
		    v.keepalive_s != (i % 2 ? 1u : 2u))
			j->failures++;
	}
	return NULL;
}

START_TEST(test_lookup_threads)
{
	struct settings *s;
	struct lookup_job jobs[4];
	pthread_t th[4];
	int i;

	s = parse_ok("rules:\n  - match: '^web[0-9]+$'\n    keepalive: 1\n"
	    "  - match: '^db'\n    keepalive: 2\n");
	for (i = 0; i < 4; i++) {
		jobs[i].s = s;
		jobs[i].failures = 0;
		ck_assert_int_eq(pthread_create(&th[i], NULL, lookup_thread,
		    &jobs[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(pthread_join(th[i], NULL), 0);
		ck_assert_int_eq(jobs[i].failures, 0);
	}
	settings_free(s);
}
END_TEST

static Suite *
settings_suite(void)
{
	Suite *s = suite_create("settings");
	TCase *sem = tcase_create("semantics");
	TCase *errs = tcase_create("errors");
	TCase *files = tcase_create("files");

	tcase_add_test(sem, test_example_file);
	tcase_add_test(sem, test_docs_cover_every_key);
	tcase_add_test(sem, test_empty_is_defaults);
	tcase_add_test(sem, test_top_level_values);
	tcase_add_test(sem, test_first_match_wins_per_setting);
	tcase_add_test(sem, test_match_is_on_bytes);
	tcase_add_test(sem, test_match_limits);
	tcase_add_test(sem, test_prewarm_hosts);
	tcase_add_test(sem, test_durations);
	tcase_add_test(sem, test_lookup_threads);
	suite_add_tcase(s, sem);
	tcase_add_test(errs, test_errors_keys);
	tcase_add_test(errs, test_errors_types);
	tcase_add_test(errs, test_errors_rules);
	tcase_add_test(errs, test_errors_yaml);
	tcase_add_test(errs, test_error_messages);
	tcase_add_test(errs, test_truncation_and_bitflip_sweep);
	suite_add_tcase(s, errs);
	tcase_add_test(files, test_load_file_and_permissions);
	tcase_add_test(files, test_load_size_limit);
	tcase_add_test(files, test_default_location);
	tcase_add_test(files, test_reload_keeps_old);
	suite_add_tcase(s, files);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(settings_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
