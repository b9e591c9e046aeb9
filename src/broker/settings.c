/*
 * The broker's settings file (settings.h; the user's documentation is
 * docs/sshbroker-config.5).
 *
 * libyaml's event API rather than its document API: every event carries
 * the line it starts on, duplicate keys can be caught (the document API
 * keeps both), and an anchor or an alias is refused the moment it
 * appears, before libyaml or we expand anything (the "billion laughs"
 * document expands a few hundred bytes into gigabytes).  The document
 * has a fixed shape, two levels deep, so the parser is a few functions
 * that each expect one kind of event; the keys are one table that says
 * where each may appear, what kind of value it takes and where that
 * value goes.
 *
 * Nothing here touches global state: no static variables but constant
 * tables, no locale, no signals.  The daemon loads a new file on SIGHUP
 * and keeps its old struct settings when the new one is refused.
 */
#include "config.h"

#define PCRE2_CODE_UNIT_WIDTH 8

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <pcre2.h>
#include <yaml.h>

#include "broker/settings.h"
#include "common/arena.h"
#include "common/err.h"

/*
 * Bounds on what one file may ask for.  The prewarm list is checked
 * against every rule at load time (hosts x rules matches), and every
 * lookup may try every rule, so both stay small.
 */
#define MAX_RULES       1000
#define MAX_PREWARM     256
#define MAX_HOST_LEN    1024
/*
 * PCRE2's limits for one match: an expression that backtracks without
 * end (the user's own, but still) costs a bounded amount of time and
 * memory and then counts as no match.  PCRE2's defaults (10.42) are ten
 * million steps, a depth of ten million and 20 GB of heap.
 */
#define MATCH_LIMIT     100000u
#define DEPTH_LIMIT     10000u
#define HEAP_LIMIT_KIB  1024u

/* Values shown in error messages are cut to this many bytes. */
#define SHOW_MAX        48

/* Where a key may appear. */
#define IN_TOP          0x1u
#define IN_RULE         0x2u

enum kw_kind {
	KW_SOCKET,              /* absolute path that fits a sockaddr_un */
	KW_MAX_TRANSPORTS,      /* count, global */
	KW_RULES,               /* list of rules */
	KW_HOSTS,               /* list of destinations to prewarm */
	KW_MATCH,               /* PCRE2 expression */
	/* per-destination values, at the top level (defaults) or in a rule */
	KW_DURATION_MS,         /* duration into a uint64_t, milliseconds */
	KW_DURATION_S,          /* duration into a uint32_t, seconds */
	KW_COUNT,               /* whole number into a uint32_t */
	KW_BOOL,                /* true/false into an int */
};

struct keyword {
	const char *name;
	enum kw_kind kind;
	unsigned int where;
	size_t off;             /* per-destination kinds: in settings_for */
};

/*
 * Every key of the file.  The index of a per-destination key is its bit
 * in a rule's `set` mask.
 */
static const struct keyword keywords[] = {
	{ "socket", KW_SOCKET, IN_TOP, 0 },
	{ "max_transports", KW_MAX_TRANSPORTS, IN_TOP, 0 },
	{ "rules", KW_RULES, IN_TOP, 0 },
	{ "prewarm_hosts", KW_HOSTS, IN_TOP | IN_RULE, 0 },
	{ "match", KW_MATCH, IN_RULE, 0 },
	{ "idle_timeout", KW_DURATION_MS, IN_TOP | IN_RULE,
	  offsetof(struct settings_for, idle_ms) },
	{ "keepalive", KW_DURATION_S, IN_TOP | IN_RULE,
	  offsetof(struct settings_for, keepalive_s) },
	{ "keepalive_count", KW_COUNT, IN_TOP | IN_RULE,
	  offsetof(struct settings_for, keepalive_count) },
	{ "max_channels", KW_COUNT, IN_TOP | IN_RULE,
	  offsetof(struct settings_for, max_channels) },
	{ "prewarm", KW_BOOL, IN_TOP | IN_RULE,
	  offsetof(struct settings_for, prewarm) },
	{ "control_path", KW_BOOL, IN_TOP | IN_RULE,
	  offsetof(struct settings_for, control_path) },
};
#define N_KEYWORDS (sizeof(keywords) / sizeof(keywords[0]))

static const struct settings_for builtin_defaults = {
	.idle_ms = SETTINGS_DEFAULT_IDLE_MS,
	.keepalive_s = SETTINGS_DEFAULT_KEEPALIVE_S,
	.keepalive_count = SETTINGS_DEFAULT_KEEPALIVE_COUNT,
	.max_channels = SETTINGS_DEFAULT_MAX_CHANNELS,
	.prewarm = SETTINGS_DEFAULT_PREWARM,
	.control_path = SETTINGS_DEFAULT_CONTROL_PATH,
};

struct rule {
	pcre2_code *re;
	unsigned int set;       /* bits: indexes into keywords[] */
	struct settings_for v;
};

struct settings {
	struct arena arena;     /* every string */
	const char *path;
	const char *socket;
	unsigned int max_transports;
	struct settings_for defaults;
	struct rule *rules;
	size_t n_rules;
	const char **prewarm;
	size_t n_prewarm;
	pcre2_match_context *mctx;
};

/* A prewarm_hosts entry while parsing. */
struct host_entry {
	const char *name;
	size_t line;
	size_t rule;            /* SIZE_MAX: the top-level list */
};

struct parser {
	const char *name;
	const unsigned char *data;
	size_t len;
	char *err;
	size_t errlen;
	struct settings *s;
	yaml_parser_t yp;       /* initialized when yp_live */
	int yp_live;
	yaml_event_t ev;        /* the current event, when ev_live */
	int ev_live;
	struct host_entry *hosts;
	size_t n_hosts;
	char shown[SHOW_MAX * 4 + 8];   /* show()'s buffer */
};

/* ------------------------------------------------------------ errors */

static void seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Formats into err, on one line whatever the values held. */
static void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	size_t i;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	for (i = 0; err[i] != '\0'; i++) {
		if ((unsigned char)err[i] < 0x20 || err[i] == 0x7f)
			err[i] = '?';
	}
}

static int fail(struct parser *ps, size_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "NAME:LINE: message"; returns ERR_CONFIG. */
static int
fail(struct parser *ps, size_t line, const char *fmt, ...)
{
	va_list ap;
	char msg[1024];

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	seterr(ps->err, ps->errlen, "%s:%zu: %s", ps->name, line, msg);
	return ERR_CONFIG;
}

static int
nomem(struct parser *ps)
{
	seterr(ps->err, ps->errlen, "%s: out of memory", ps->name);
	return ERR_NOMEM;
}

/*
 * A value for a message: at most SHOW_MAX bytes, cut on a UTF-8
 * character boundary, control characters as \xNN.  Valid until the
 * next call: one value per message.
 */
static const char *
show(struct parser *ps, const void *v, size_t len)
{
	const unsigned char *p = v;
	char *o = ps->shown;
	size_t n = len > SHOW_MAX ? SHOW_MAX : len, i, k = 0;

	if (n < len) {
		while (n > 0 && (p[n] & 0xc0) == 0x80)
			n--;
	}
	for (i = 0; i < n; i++) {
		if (p[i] < 0x20 || p[i] == 0x7f)
			k += (size_t)snprintf(o + k, 5, "\\x%02x", p[i]);
		else
			o[k++] = (char)p[i];
	}
	if (n < len) {
		memcpy(o + k, "...", 3);
		k += 3;
	}
	o[k] = '\0';
	return o;
}

/* The 1-based line of a byte offset, for libyaml's reader errors, which
 * come with an offset and no mark. */
static size_t
line_at(const struct parser *ps, size_t off)
{
	size_t i, line = 1;

	for (i = 0; i < off && i < ps->len; i++) {
		if (ps->data[i] == '\n')
			line++;
	}
	return line;
}

/* libyaml could not give the next event. */
static int
yaml_failed(struct parser *ps)
{
	const yaml_parser_t *yp = &ps->yp;
	const char *problem = yp->problem != NULL ? yp->problem :
	    "cannot parse the YAML";

	switch (yp->error) {
	case YAML_MEMORY_ERROR:
		return nomem(ps);
	case YAML_READER_ERROR:
		if (yp->problem_value != -1)
			return fail(ps, line_at(ps, yp->problem_offset),
			    "%s (byte 0x%02x)", problem, yp->problem_value);
		return fail(ps, line_at(ps, yp->problem_offset), "%s",
		    problem);
	default:
		if (yp->context != NULL)
			return fail(ps, yp->problem_mark.line + 1,
			    "%s (%s at line %zu)", problem, yp->context,
			    yp->context_mark.line + 1);
		return fail(ps, yp->problem_mark.line + 1, "%s", problem);
	}
}

/* ------------------------------------------------------------ events */

static size_t
ev_line(const struct parser *ps)
{
	return ps->ev.start_mark.line + 1;
}

static const char *
ev_value(const struct parser *ps)
{
	return (const char *)ps->ev.data.scalar.value;
}

static size_t
ev_len(const struct parser *ps)
{
	return ps->ev.data.scalar.length;
}

static int
ev_plain(const struct parser *ps)
{
	return ps->ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

/* A plain empty, ~ or null scalar: YAML's null. */
static int
ev_null(const struct parser *ps)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };
	size_t i;

	if (ps->ev.type != YAML_SCALAR_EVENT || !ev_plain(ps))
		return 0;
	for (i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++) {
		if (strcmp(ev_value(ps), nulls[i]) == 0)
			return 1;
	}
	return 0;
}

/* What the current event is, for "wants X, not Y". */
static const char *
ev_what(const struct parser *ps)
{
	switch (ps->ev.type) {
	case YAML_MAPPING_START_EVENT:
		return "a mapping";
	case YAML_SEQUENCE_START_EVENT:
		return "a list";
	case YAML_SCALAR_EVENT:
		return ev_null(ps) ? "nothing" : ev_plain(ps) ?
		    "a single value" : "a quoted string";
	default:
		return "something else";
	}
}

/*
 * The next event into ps->ev.  Anchors, aliases and tags are refused
 * here, so no other function ever sees one.
 */
static int
next_event(struct parser *ps)
{
	const yaml_char_t *anchor = NULL, *tag = NULL;

	if (ps->ev_live) {
		yaml_event_delete(&ps->ev);
		ps->ev_live = 0;
	}
	if (!yaml_parser_parse(&ps->yp, &ps->ev))
		return yaml_failed(ps);
	ps->ev_live = 1;
	switch (ps->ev.type) {
	case YAML_ALIAS_EVENT:
		anchor = ps->ev.data.alias.anchor;
		break;
	case YAML_SCALAR_EVENT:
		anchor = ps->ev.data.scalar.anchor;
		tag = ps->ev.data.scalar.tag;
		break;
	case YAML_SEQUENCE_START_EVENT:
		anchor = ps->ev.data.sequence_start.anchor;
		tag = ps->ev.data.sequence_start.tag;
		break;
	case YAML_MAPPING_START_EVENT:
		anchor = ps->ev.data.mapping_start.anchor;
		tag = ps->ev.data.mapping_start.tag;
		break;
	default:
		break;
	}
	if (anchor != NULL)
		return fail(ps, ev_line(ps), "anchors and aliases are not "
		    "allowed ('%s')", show(ps, anchor,
		    strlen((const char *)anchor)));
	if (tag != NULL)
		return fail(ps, ev_line(ps), "tags are not allowed ('%s')",
		    show(ps, tag, strlen((const char *)tag)));
	return ERR_OK;
}

/* The next event must be a scalar for kw: a non-null one. */
static int
want_scalar(struct parser *ps, const struct keyword *kw, const char *what)
{
	int r;

	if ((r = next_event(ps)) != ERR_OK)
		return r;
	if (ev_null(ps))
		return fail(ps, ev_line(ps), "%s: no value given (wants %s)",
		    kw->name, what);
	if (ps->ev.type != YAML_SCALAR_EVENT)
		return fail(ps, ev_line(ps), "%s: wants %s, not %s", kw->name,
		    what, ev_what(ps));
	if (strlen(ev_value(ps)) != ev_len(ps))
		return fail(ps, ev_line(ps), "%s: a NUL byte in the value",
		    kw->name);
	return ERR_OK;
}

/* ------------------------------------------------------------ values */

/*
 * A duration in seconds, as OpenSSH's convtime() (misc.c) reads one:
 * numbers each followed by an optional unit (s, m, h, d, w, either
 * case), added up: "90", "30s", "10m", "1h30m".  0: bad syntax, -1:
 * negative, -2: over SETTINGS_MAX_VALUE, 1: *secs set.
 */
static int
parse_duration(const char *v, uint64_t *secs)
{
	uint64_t total = 0, n, mult;

	if (*v == '-')
		return -1;
	if (*v == '\0')
		return 0;
	while (*v != '\0') {
		if (*v < '0' || *v > '9')
			return 0;
		for (n = 0; *v >= '0' && *v <= '9'; v++) {
			n = n * 10 + (uint64_t)(*v - '0');
			if (n > SETTINGS_MAX_VALUE)
				return -2;
		}
		switch (*v) {
		case '\0':
			mult = 1;
			break;
		case 's': case 'S':
			mult = 1;
			break;
		case 'm': case 'M':
			mult = 60;
			break;
		case 'h': case 'H':
			mult = 60 * 60;
			break;
		case 'd': case 'D':
			mult = 24 * 60 * 60;
			break;
		case 'w': case 'W':
			mult = 7 * 24 * 60 * 60;
			break;
		default:
			return 0;
		}
		if (*v != '\0')
			v++;
		total += n * mult;
		if (total > SETTINGS_MAX_VALUE)
			return -2;
	}
	*secs = total;
	return 1;
}

static int
value_duration(struct parser *ps, const struct keyword *kw, uint64_t *secs)
{
	int r;

	if ((r = want_scalar(ps, kw, "a duration such as 30s, 10m, "
	    "2h, 1h30m or plain seconds")) != ERR_OK)
		return r;
	switch (parse_duration(ev_value(ps), secs)) {
	case 1:
		return ERR_OK;
	case -1:
		return fail(ps, ev_line(ps), "%s: '%s' is negative", kw->name,
		    show(ps, ev_value(ps), ev_len(ps)));
	case -2:
		return fail(ps, ev_line(ps), "%s: '%s' is too long (at most "
		    "%u seconds)", kw->name, show(ps, ev_value(ps),
		    ev_len(ps)), SETTINGS_MAX_VALUE);
	default:
		return fail(ps, ev_line(ps), "%s: bad duration '%s' (write "
		    "30s, 10m, 2h, 1h30m or plain seconds)", kw->name,
		    show(ps, ev_value(ps), ev_len(ps)));
	}
}

/* A whole number, unquoted, decimal, without sign or leading zero. */
static int
value_count(struct parser *ps, const struct keyword *kw, uint32_t *out)
{
	const char *v;
	uint64_t n = 0;
	int r;

	if ((r = want_scalar(ps, kw, "a number")) != ERR_OK)
		return r;
	v = ev_value(ps);
	if (!ev_plain(ps))
		return fail(ps, ev_line(ps), "%s: wants a number, not a quoted "
		    "string", kw->name);
	if (v[0] == '-' && v[1] >= '0' && v[1] <= '9')
		return fail(ps, ev_line(ps), "%s: '%s' is negative", kw->name,
		    show(ps, v, ev_len(ps)));
	if (strspn(v, "0123456789") != ev_len(ps))
		return fail(ps, ev_line(ps), "%s: wants a whole number, not '%s'",
		    kw->name, show(ps, v, ev_len(ps)));
	/* YAML 1.1 reads 010 as octal, YAML 1.2 as decimal: neither */
	if (v[0] == '0' && v[1] != '\0')
		return fail(ps, ev_line(ps), "%s: '%s' has a leading zero",
		    kw->name, show(ps, v, ev_len(ps)));
	for (; *v != '\0'; v++) {
		n = n * 10 + (uint64_t)(*v - '0');
		if (n > SETTINGS_MAX_VALUE)
			return fail(ps, ev_line(ps), "%s: '%s' is too big (at "
			    "most %u)", kw->name, show(ps, ev_value(ps),
			    ev_len(ps)), SETTINGS_MAX_VALUE);
	}
	*out = (uint32_t)n;
	return ERR_OK;
}

/* true or false (YAML 1.2's core schema), unquoted; not yes/no/on/off,
 * which YAML 1.1 reads as booleans and YAML 1.2 as strings. */
static int
value_bool(struct parser *ps, const struct keyword *kw, int *out)
{
	static const char *const t[] = { "true", "True", "TRUE" };
	static const char *const f[] = { "false", "False", "FALSE" };
	size_t i;
	int r;

	if ((r = want_scalar(ps, kw, "true or false")) != ERR_OK)
		return r;
	if (!ev_plain(ps))
		return fail(ps, ev_line(ps), "%s: wants true or false, not a "
		    "quoted string", kw->name);
	for (i = 0; i < 3; i++) {
		if (strcmp(ev_value(ps), t[i]) == 0) {
			*out = 1;
			return ERR_OK;
		}
		if (strcmp(ev_value(ps), f[i]) == 0) {
			*out = 0;
			return ERR_OK;
		}
	}
	return fail(ps, ev_line(ps), "%s: wants true or false, not '%s'",
	    kw->name, show(ps, ev_value(ps), ev_len(ps)));
}

static int
value_socket(struct parser *ps, const struct keyword *kw)
{
	struct sockaddr_un sun;
	int r;

	if ((r = want_scalar(ps, kw, "a path")) != ERR_OK)
		return r;
	if (ev_value(ps)[0] != '/')
		return fail(ps, ev_line(ps), "%s: '%s' is not an absolute path",
		    kw->name, show(ps, ev_value(ps), ev_len(ps)));
	if (ev_len(ps) >= sizeof(sun.sun_path))
		return fail(ps, ev_line(ps), "%s: the path is too long for a "
		    "Unix socket (%zu bytes, at most %zu)", kw->name,
		    ev_len(ps), sizeof(sun.sun_path) - 1);
	if ((ps->s->socket = arena_strndup(&ps->s->arena, ev_value(ps),
	    ev_len(ps))) == NULL)
		return nomem(ps);
	return ERR_OK;
}

static int
value_match(struct parser *ps, const struct keyword *kw, struct rule *rule)
{
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE off;
	int r, code;

	if ((r = want_scalar(ps, kw, "a regular expression")) != ERR_OK)
		return r;
	/* bytes, not UTF-8: a destination is whatever the user typed, and
	 * (*UTF) in the expression is refused rather than letting a
	 * destination that is not UTF-8 fail every match */
	rule->re = pcre2_compile((PCRE2_SPTR)ev_value(ps), ev_len(ps),
	    PCRE2_NEVER_UTF, &code, &off, NULL);
	if (rule->re != NULL)
		return ERR_OK;
	if (code == PCRE2_ERROR_NOMEMORY)
		return nomem(ps);
	if (pcre2_get_error_message(code, msg, sizeof(msg)) < 0)
		snprintf((char *)msg, sizeof(msg), "error %d", code);
	return fail(ps, ev_line(ps), "%s: bad regular expression '%s' at "
	    "offset %zu: %s", kw->name, show(ps, ev_value(ps), ev_len(ps)),
	    (size_t)off, (const char *)msg);
}

/* A name ssh-style arguments can carry as the destination: something
 * that cannot be mistaken for an option or split by a shell. */
static int
valid_host(const char *v, size_t len)
{
	size_t i;

	if (len == 0 || len > MAX_HOST_LEN || v[0] == '-')
		return 0;
	for (i = 0; i < len; i++) {
		if ((unsigned char)v[i] <= 0x20 || v[i] == 0x7f)
			return 0;
	}
	return 1;
}

static int
value_hosts(struct parser *ps, const struct keyword *kw, size_t rule)
{
	struct host_entry *h;
	int r;

	if ((r = next_event(ps)) != ERR_OK)
		return r;
	if (ev_null(ps))
		return ERR_OK;
	if (ps->ev.type != YAML_SEQUENCE_START_EVENT)
		return fail(ps, ev_line(ps), "%s: wants a list of destinations, "
		    "e.g. [bastion.example.com], not %s", kw->name,
		    ev_what(ps));
	for (;;) {
		if ((r = next_event(ps)) != ERR_OK)
			return r;
		if (ps->ev.type == YAML_SEQUENCE_END_EVENT)
			return ERR_OK;
		if (ps->ev.type != YAML_SCALAR_EVENT || ev_null(ps))
			return fail(ps, ev_line(ps), "%s: wants a destination, "
			    "not %s", kw->name, ev_what(ps));
		if (!valid_host(ev_value(ps), ev_len(ps)) ||
		    strlen(ev_value(ps)) != ev_len(ps))
			return fail(ps, ev_line(ps), "%s: '%s' is not a "
			    "destination (no spaces or control characters, "
			    "no leading '-')", kw->name, show(ps,
			    ev_value(ps), ev_len(ps)));
		if (ps->n_hosts == MAX_PREWARM)
			return fail(ps, ev_line(ps), "%s: more than %d "
			    "destinations", kw->name, MAX_PREWARM);
		if ((h = reallocarray(ps->hosts, ps->n_hosts + 1,
		    sizeof(*h))) == NULL)
			return nomem(ps);
		ps->hosts = h;
		h += ps->n_hosts;
		h->line = ev_line(ps);
		h->rule = rule;
		if ((h->name = arena_strndup(&ps->s->arena, ev_value(ps),
		    ev_len(ps))) == NULL)
			return nomem(ps);
		ps->n_hosts++;
	}
}

/* ------------------------------------------------------------ matching */

/* 1 when rule's expression finds a match in subject. */
static int
rule_matches(const struct settings *s, const struct rule *rule,
    const char *subject, pcre2_match_data *md)
{
	return pcre2_match(rule->re, (PCRE2_SPTR)subject, strlen(subject), 0,
	    0, md, s->mctx) >= 0;
}

static void
lookup_with(const struct settings *s, const char *destination,
    struct settings_for *out, pcre2_match_data *md)
{
	unsigned int all = 0, done = 0, bit;
	size_t i, k, size;

	*out = s->defaults;
	for (k = 0; k < N_KEYWORDS; k++) {
		/* the per-destination kinds come last in enum kw_kind */
		if (keywords[k].kind >= KW_DURATION_MS)
			all |= 1u << k;
	}
	for (i = 0; i < s->n_rules && done != all; i++) {
		const struct rule *rule = &s->rules[i];

		if ((rule->set & ~done) == 0 ||
		    !rule_matches(s, rule, destination, md))
			continue;
		for (k = 0; k < N_KEYWORDS; k++) {
			bit = 1u << k;
			if ((rule->set & bit) == 0 || (done & bit) != 0)
				continue;
			size = keywords[k].kind == KW_DURATION_MS ?
			    sizeof(uint64_t) : keywords[k].kind == KW_BOOL ?
			    sizeof(int) : sizeof(uint32_t);
			memcpy((char *)out + keywords[k].off,
			    (const char *)&rule->v + keywords[k].off, size);
			done |= bit;
		}
	}
}

/* ------------------------------------------------------------ structure */

static int parse_mapping(struct parser *ps, unsigned int where,
    size_t rule_index);

static int
value_rules(struct parser *ps, const struct keyword *kw)
{
	struct settings *s = ps->s;
	struct rule *rules;
	int r;

	if ((r = next_event(ps)) != ERR_OK)
		return r;
	if (ev_null(ps))
		return ERR_OK;
	if (ps->ev.type != YAML_SEQUENCE_START_EVENT)
		return fail(ps, ev_line(ps), "%s: wants a list of rules, not %s",
		    kw->name, ev_what(ps));
	for (;;) {
		if ((r = next_event(ps)) != ERR_OK)
			return r;
		if (ps->ev.type == YAML_SEQUENCE_END_EVENT)
			return ERR_OK;
		if (ps->ev.type != YAML_MAPPING_START_EVENT)
			return fail(ps, ev_line(ps), "%s: each rule is a mapping "
			    "with a match: key, not %s", kw->name, ev_what(ps));
		if (s->n_rules == MAX_RULES)
			return fail(ps, ev_line(ps), "%s: more than %d rules",
			    kw->name, MAX_RULES);
		if ((rules = reallocarray(s->rules, s->n_rules + 1,
		    sizeof(*rules))) == NULL)
			return nomem(ps);
		s->rules = rules;
		memset(&rules[s->n_rules], 0, sizeof(*rules));
		rules[s->n_rules].v = builtin_defaults;
		/* counted now, so that settings_free() frees its re */
		s->n_rules++;
		if ((r = parse_mapping(ps, IN_RULE, s->n_rules - 1)) != ERR_OK)
			return r;
	}
}

/* The value of keywords[k], read into the top level or into a rule. */
static int
parse_value(struct parser *ps, size_t k, size_t rule_index)
{
	const struct keyword *kw = &keywords[k];
	struct settings *s = ps->s;
	struct rule *rule = rule_index == SIZE_MAX ? NULL :
	    &s->rules[rule_index];
	struct settings_for *v = rule != NULL ? &rule->v : &s->defaults;
	char *dst = (char *)v + kw->off;
	uint64_t secs = 0;
	uint32_t n = 0;
	int r, b = 0;

	switch (kw->kind) {
	case KW_SOCKET:
		return value_socket(ps, kw);
	case KW_MAX_TRANSPORTS:
		if ((r = value_count(ps, kw, &n)) == ERR_OK)
			s->max_transports = n;
		return r;
	case KW_RULES:
		return value_rules(ps, kw);
	case KW_HOSTS:
		return value_hosts(ps, kw, rule_index);
	case KW_MATCH:
		return value_match(ps, kw, rule);
	case KW_DURATION_MS:
		if ((r = value_duration(ps, kw, &secs)) != ERR_OK)
			return r;
		secs *= 1000;
		memcpy(dst, &secs, sizeof(secs));
		break;
	case KW_DURATION_S:
		if ((r = value_duration(ps, kw, &secs)) != ERR_OK)
			return r;
		n = (uint32_t)secs;
		memcpy(dst, &n, sizeof(n));
		break;
	case KW_COUNT:
		if ((r = value_count(ps, kw, &n)) != ERR_OK)
			return r;
		memcpy(dst, &n, sizeof(n));
		break;
	case KW_BOOL:
		if ((r = value_bool(ps, kw, &b)) != ERR_OK)
			return r;
		memcpy(dst, &b, sizeof(b));
		break;
	}
	if (rule != NULL)
		rule->set |= 1u << k;
	return ERR_OK;
}

/*
 * A mapping whose MAPPING_START is the current event: the top level
 * (rule_index SIZE_MAX) or a rule, up to and with its MAPPING_END.
 */
static int
parse_mapping(struct parser *ps, unsigned int where, size_t rule_index)
{
	size_t seen[N_KEYWORDS], start = ev_line(ps), hosts_from = ps->n_hosts;
	size_t k, i;
	pcre2_match_data *md;
	const struct rule *rule;
	int r;

	memset(seen, 0, sizeof(seen));
	for (;;) {
		if ((r = next_event(ps)) != ERR_OK)
			return r;
		if (ps->ev.type == YAML_MAPPING_END_EVENT)
			break;
		if (ps->ev.type != YAML_SCALAR_EVENT)
			return fail(ps, ev_line(ps), "a key must be a name, not "
			    "%s", ev_what(ps));
		for (k = 0; k < N_KEYWORDS; k++) {
			if (strcmp(ev_value(ps), keywords[k].name) == 0 &&
			    strlen(keywords[k].name) == ev_len(ps))
				break;
		}
		if (k == N_KEYWORDS)
			return fail(ps, ev_line(ps), "unknown key '%s'%s",
			    show(ps, ev_value(ps), ev_len(ps)),
			    where == IN_RULE ? " in a rule" : "");
		if ((keywords[k].where & where) == 0)
			return fail(ps, ev_line(ps), where == IN_RULE ?
			    "'%s' is a top-level setting, not a rule's" :
			    "'%s' belongs in a rule (under rules:)",
			    keywords[k].name);
		if (seen[k] != 0)
			return fail(ps, ev_line(ps), "duplicate key '%s' (first "
			    "at line %zu)", keywords[k].name, seen[k]);
		seen[k] = ev_line(ps);
		if ((r = parse_value(ps, k, rule_index)) != ERR_OK)
			return r;
	}
	if (where != IN_RULE)
		return ERR_OK;
	rule = &ps->s->rules[rule_index];
	if (rule->re == NULL)
		return fail(ps, start, "this rule has no match: key (the "
		    "regular expression it applies to)");
	/* a rule's own prewarm_hosts must be destinations it matches: the
	 * list sits next to the rule that gives them their settings */
	if (hosts_from == ps->n_hosts)
		return ERR_OK;
	if ((md = pcre2_match_data_create(1, NULL)) == NULL)
		return nomem(ps);
	for (i = hosts_from; i < ps->n_hosts; i++) {
		if (!rule_matches(ps->s, rule, ps->hosts[i].name, md)) {
			pcre2_match_data_free(md);
			return fail(ps, ps->hosts[i].line, "prewarm_hosts: '%s' "
			    "does not match this rule's match", show(ps,
			    ps->hosts[i].name, strlen(ps->hosts[i].name)));
		}
	}
	pcre2_match_data_free(md);
	return ERR_OK;
}

static int
parse_document(struct parser *ps)
{
	int r;

	if ((r = next_event(ps)) != ERR_OK)             /* STREAM_START */
		return r;
	if ((r = next_event(ps)) != ERR_OK)
		return r;
	if (ps->ev.type == YAML_STREAM_END_EVENT)       /* empty, comments */
		return ERR_OK;
	if ((r = next_event(ps)) != ERR_OK)             /* after DOC_START */
		return r;
	if (ps->ev.type == YAML_MAPPING_START_EVENT) {
		if ((r = parse_mapping(ps, IN_TOP, SIZE_MAX)) != ERR_OK)
			return r;
	} else if (!ev_null(ps))                        /* "---" alone */
		return fail(ps, ev_line(ps), "the settings must be a mapping "
		    "(key: value lines), not %s", ev_what(ps));
	if ((r = next_event(ps)) != ERR_OK)             /* DOCUMENT_END */
		return r;
	if ((r = next_event(ps)) != ERR_OK)
		return r;
	if (ps->ev.type != YAML_STREAM_END_EVENT)
		return fail(ps, ev_line(ps), "only one YAML document is "
		    "allowed");
	return ERR_OK;
}

/* The prewarm list: each listed name once, if its prewarm is on. */
static int
build_prewarm(struct parser *ps)
{
	struct settings *s = ps->s;
	struct settings_for v;
	pcre2_match_data *md;
	size_t i, j;

	if (ps->n_hosts == 0)
		return ERR_OK;
	if ((s->prewarm = calloc(ps->n_hosts, sizeof(*s->prewarm))) == NULL ||
	    (md = pcre2_match_data_create(1, NULL)) == NULL)
		return nomem(ps);
	for (i = 0; i < ps->n_hosts; i++) {
		for (j = 0; j < s->n_prewarm; j++) {
			if (strcmp(s->prewarm[j], ps->hosts[i].name) == 0)
				break;
		}
		if (j < s->n_prewarm)
			continue;
		lookup_with(s, ps->hosts[i].name, &v, md);
		if (v.prewarm)
			s->prewarm[s->n_prewarm++] = ps->hosts[i].name;
	}
	pcre2_match_data_free(md);
	return ERR_OK;
}

/* ------------------------------------------------------------ public */

static struct settings *
settings_new(void)
{
	struct settings *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->max_transports = SETTINGS_DEFAULT_MAX_TRANSPORTS;
	s->defaults = builtin_defaults;
	if ((s->mctx = pcre2_match_context_create(NULL)) == NULL ||
	    pcre2_set_match_limit(s->mctx, MATCH_LIMIT) != 0 ||
	    pcre2_set_depth_limit(s->mctx, DEPTH_LIMIT) != 0 ||
	    pcre2_set_heap_limit(s->mctx, HEAP_LIMIT_KIB) != 0) {
		settings_free(s);
		return NULL;
	}
	return s;
}

int
settings_parse_buffer(const char *name, const void *data, size_t len,
    struct settings **sp, char *err, size_t errlen)
{
	struct parser ps;
	int r = ERR_INTERNAL;

	*sp = NULL;
	if (err != NULL && errlen > 0)
		*err = '\0';
	memset(&ps, 0, sizeof(ps));
	ps.name = name != NULL ? name : "settings";
	ps.data = data;
	ps.len = len;
	ps.err = err;
	ps.errlen = errlen;
	if (len > SETTINGS_MAX_FILE) {
		seterr(err, errlen, "%s: larger than %u bytes", ps.name,
		    SETTINGS_MAX_FILE);
		return ERR_CONFIG;
	}
	if ((ps.s = settings_new()) == NULL) {
		r = nomem(&ps);
		goto out;
	}
	if (!yaml_parser_initialize(&ps.yp)) {
		r = nomem(&ps);
		goto out;
	}
	ps.yp_live = 1;
	yaml_parser_set_input_string(&ps.yp, data, len);
	if ((r = parse_document(&ps)) != ERR_OK ||
	    (r = build_prewarm(&ps)) != ERR_OK)
		goto out;
	*sp = ps.s;
	ps.s = NULL;
	r = ERR_OK;
 out:
	if (ps.ev_live)
		yaml_event_delete(&ps.ev);
	if (ps.yp_live)
		yaml_parser_delete(&ps.yp);
	free(ps.hosts);
	settings_free(ps.s);
	return r;
}

int
settings_default_path(char *buf, size_t len)
{
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	struct passwd pw, *pwp = NULL;
	char pwbuf[4096];
	int n;

	if (xdg != NULL && xdg[0] == '/')
		n = snprintf(buf, len, "%s/sshbroker/config.yaml", xdg);
	else {
		if (home == NULL || home[0] == '\0') {
			if (getpwuid_r(getuid(), &pw, pwbuf, sizeof(pwbuf),
			    &pwp) != 0 || pwp == NULL || pw.pw_dir == NULL ||
			    pw.pw_dir[0] == '\0')
				return ERR_NOT_FOUND;
			home = pw.pw_dir;
		}
		n = snprintf(buf, len, "%s/.config/sshbroker/config.yaml",
		    home);
	}
	if (n < 0 || (size_t)n >= len)
		return ERR_TOO_LONG;
	return ERR_OK;
}

int
settings_load(const char *path, struct settings **sp, char *err,
    size_t errlen)
{
	char def[PATH_MAX];
	struct settings *s = NULL;
	unsigned char *data = NULL;
	struct stat st;
	size_t have = 0, cap;
	ssize_t n;
	int fd = -1, r = ERR_INTERNAL, saved;

	*sp = NULL;
	if (err != NULL && errlen > 0)
		*err = '\0';
	if (path == NULL) {
		r = settings_default_path(def, sizeof(def));
		if (r == ERR_NOT_FOUND)         /* no home: no file */
			return settings_parse_buffer(NULL, "", 0, sp, err,
			    errlen);
		if (r != ERR_OK) {
			seterr(err, errlen, "settings: the default path is "
			    "too long");
			return r;
		}
	}
	/* O_NOFOLLOW: a symbolic link is refused, not followed (ELOOP).
	 * O_NONBLOCK: a FIFO put there must not hang the daemon; it is
	 * refused below as not a regular file. */
	if ((fd = open(path != NULL ? path : def, O_RDONLY | O_NOFOLLOW |
	    O_NONBLOCK | O_NOCTTY | O_CLOEXEC)) == -1) {
		saved = errno;
		if (path == NULL && (saved == ENOENT || saved == ENOTDIR))
			return settings_parse_buffer(NULL, "", 0, sp, err,
			    errlen);
		if (path == NULL)
			path = def;
		if (saved == ENOENT) {
			seterr(err, errlen, "%s: no such file", path);
			return ERR_NOT_FOUND;
		}
		if (saved == ELOOP && lstat(path, &st) == 0 &&
		    S_ISLNK(st.st_mode)) {
			seterr(err, errlen, "%s: is a symbolic link; refusing "
			    "it", path);
			return ERR_PERMISSION;
		}
		seterr(err, errlen, "%s: %s", path, strerror(saved));
		errno = saved;
		return ERR_SYSTEM;
	}
	if (path == NULL)
		path = def;
	if (fstat(fd, &st) == -1) {
		saved = errno;
		seterr(err, errlen, "%s: %s", path, strerror(saved));
		errno = saved;
		r = ERR_SYSTEM;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		seterr(err, errlen, "%s: not a regular file", path);
		r = ERR_CONFIG;
		goto out;
	}
	/* as OpenSSH's read_config_file_depth() checks a user's ssh_config:
	 * owned by the user or root, writable by nobody else */
	if ((st.st_uid != 0 && st.st_uid != getuid()) ||
	    (st.st_mode & 022) != 0) {
		seterr(err, errlen, "%s: bad owner or permissions (uid %u, "
		    "mode %04o): it must be yours or root's and writable by "
		    "nobody else", path, (unsigned int)st.st_uid,
		    (unsigned int)(st.st_mode & 07777));
		r = ERR_PERMISSION;
		goto out;
	}
	if (st.st_size > (off_t)SETTINGS_MAX_FILE) {
		seterr(err, errlen, "%s: larger than %u bytes", path,
		    SETTINGS_MAX_FILE);
		r = ERR_CONFIG;
		goto out;
	}
	/* one byte more than fstat said, to notice a file that grows */
	cap = (size_t)st.st_size + 1;
	if ((data = malloc(cap)) == NULL) {
		seterr(err, errlen, "%s: out of memory", path);
		r = ERR_NOMEM;
		goto out;
	}
	while (have < cap) {
		if ((n = read(fd, data + have, cap - have)) == -1) {
			if (errno == EINTR)
				continue;
			saved = errno;
			seterr(err, errlen, "%s: %s", path, strerror(saved));
			errno = saved;
			r = ERR_SYSTEM;
			goto out;
		}
		if (n == 0)
			break;
		have += (size_t)n;
	}
	if (have == cap) {
		seterr(err, errlen, "%s: changed while being read", path);
		r = ERR_CONFIG;
		goto out;
	}
	if ((r = settings_parse_buffer(path, data, have, &s, err, errlen)) !=
	    ERR_OK)
		goto out;
	if ((s->path = arena_strndup(&s->arena, path, strlen(path))) == NULL) {
		seterr(err, errlen, "%s: out of memory", path);
		r = ERR_NOMEM;
		goto out;
	}
	*sp = s;
	s = NULL;
	r = ERR_OK;
 out:
	settings_free(s);
	free(data);
	if (fd != -1)
		close(fd);
	return r;
}

void
settings_free(struct settings *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n_rules; i++)
		pcre2_code_free(s->rules[i].re);
	free(s->rules);
	free(s->prewarm);
	pcre2_match_context_free(s->mctx);
	arena_free(&s->arena);
	free(s);
}

const char *
settings_path(const struct settings *s)
{
	return s != NULL ? s->path : NULL;
}

const char *
settings_socket(const struct settings *s)
{
	return s != NULL ? s->socket : NULL;
}

unsigned int
settings_max_transports(const struct settings *s)
{
	return s != NULL ? s->max_transports : SETTINGS_DEFAULT_MAX_TRANSPORTS;
}

int
settings_lookup(const struct settings *s, const char *destination,
    struct settings_for *out)
{
	pcre2_match_data *md;

	if (s == NULL || destination == NULL) {
		*out = s != NULL ? s->defaults : builtin_defaults;
		return ERR_OK;
	}
	if (s->n_rules == 0) {
		*out = s->defaults;
		return ERR_OK;
	}
	/* one per call: match data must not be shared between threads */
	if ((md = pcre2_match_data_create(1, NULL)) == NULL) {
		*out = s->defaults;
		return ERR_NOMEM;
	}
	lookup_with(s, destination, out, md);
	pcre2_match_data_free(md);
	return ERR_OK;
}

size_t
settings_prewarm_count(const struct settings *s)
{
	return s != NULL ? s->n_prewarm : 0;
}

const char *
settings_prewarm_host(const struct settings *s, size_t i)
{
	return s != NULL && i < s->n_prewarm ? s->prewarm[i] : NULL;
}
