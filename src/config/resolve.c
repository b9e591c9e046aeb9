/*
 * The resolver: reads ssh_config files the way OpenSSH's readconf.c does
 * and runs the steps ssh.c takes between parsing its command line and
 * printing `ssh -G`: the first pass, hostname substitution and
 * canonicalisation, the final pass, defaults, and token expansion.
 *
 * Where OpenSSH calls fatal(), resolution stops with ERR_CONFIG; where it
 * logs error() and counts a bad option, we record the message and keep
 * reading so that every bad line of a file is reported, as ssh does.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <grp.h>
#include <limits.h>
#include <netdb.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>


#include "common/arena.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/sha1.h"
#include "config/config-int.h"
#include "config/cmdline.h"

#define WS " \t\r\n"
#define MAX_INCLUDE_DEPTH 16
#define MAX_IDENTITY_FILES 100
#define MAX_CERTIFICATE_FILES 100
#define MAX_HOSTS_FILES 32
#define MAX_CANON_DOMAINS 32
/* A config file larger than this is refused rather than read. */
#define MAX_CONFIG_FILE_SIZE (64u * 1024 * 1024)

/* ------------------------------------------------------------------ */
/* The cache of parsed files */

struct cfg_line {
	int linenum;
	/* Both point into the text the line was parsed from. */
	char *keyword;      /* lower case; NULL: nothing on this line */
	char *rest;         /* the text after the keyword; NULL: none */
	int argc;
	char **argv;
	int quote_error;    /* the arguments have an unterminated quote */
	enum cfg_kw kw;
};

struct cfg_file {
	char *path;
	int open_errno;     /* 0 when read */
	struct stat st;
	struct cfg_line *lines;
	size_t n_lines;
	char *text;         /* the file's bytes; lines point into it */
	/* the lines' argument vectors: one free at the end */
	struct arena arena;
	struct cfg_file *next;
};

struct config_cache {
	struct cfg_file *files;
	int retain;         /* keep parsed files for later resolutions */
};

struct config_cache *
config_cache_new(void)
{
	struct config_cache *c = calloc(1, sizeof(struct config_cache));

	if (c != NULL)
		c->retain = 1;
	return c;
}

struct config_cache *
config_cache_new_oneshot(void)
{
	return calloc(1, sizeof(struct config_cache));
}

static void
file_free(struct cfg_file *f)
{
	if (f == NULL)
		return;
	arena_free(&f->arena);
	free(f->text);
	free(f->lines);
	free(f->path);
	free(f);
}

void
config_cache_clear(struct config_cache *c)
{
	struct cfg_file *f, *next;

	if (c == NULL)
		return;
	for (f = c->files; f != NULL; f = next) {
		next = f->next;
		file_free(f);
	}
	c->files = NULL;
}

void
config_cache_free(struct config_cache *c)
{
	config_cache_clear(c);
	free(c);
}

/*
 * Tokenises one line as process_config_line_depth() does before it looks
 * at the keyword: trailing whitespace (and form feeds, and NULs) cut, the
 * keyword split off with strdelim(), the arguments split with argv_split().
 * text is modified.
 */
static int
line_parse(struct cfg_line *l, char *text, int linenum, struct arena *a)
{
	size_t len;
	char *str, *keyword, *p;
	int r;

	memset(l, 0, sizeof(*l));
	l->linenum = linenum;
	if ((len = strlen(text)) == 0)
		return ERR_OK;
	/* OpenSSH never looks at the first character here. */
	for (len--; len > 0; len--) {
		if (text[len] != '\0' && strchr(WS "\f", text[len]) == NULL)
			break;
		text[len] = '\0';
	}
	str = text;
	if ((keyword = cfg_strdelim(&str)) == NULL)
		return ERR_OK;
	if (*keyword == '\0')
		keyword = cfg_strdelim(&str);
	if (keyword == NULL || *keyword == '\0' || *keyword == '\n' ||
	    *keyword == '#')
		return ERR_OK;
	for (p = keyword; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	l->keyword = keyword;
	l->kw = cfg_keyword_lookup(l->keyword);
	if (str != NULL)
		str += strspn(str, WS);
	if (str == NULL || *str == '\0')
		return ERR_OK;  /* rest NULL: "no argument after keyword" */
	l->rest = str;
	r = cfg_argv_split_arena(str, 1, a, &l->argc, &l->argv);
	if (r == ERR_CONFIG)
		l->quote_error = 1;
	else if (r != ERR_OK)
		return r;
	return ERR_OK;
}

/* Reads the whole file into memory, at most MAX_CONFIG_FILE_SIZE bytes;
 * *textp is malloc'ed and NUL-terminated. */
static int
file_slurp(int fd, const struct stat *st, char **textp, size_t *lenp)
{
	size_t cap, len = 0;
	char *text, *n;
	ssize_t got;

	*textp = NULL;
	*lenp = 0;
	/* one allocation of the right size in the common case */
	cap = S_ISREG(st->st_mode) && st->st_size > 0 &&
	    (uint64_t)st->st_size < MAX_CONFIG_FILE_SIZE ?
	    (size_t)st->st_size + 1 : 4096;
	if ((text = malloc(cap + 1)) == NULL)
		return ERR_NOMEM;
	for (;;) {
		if (len == cap) {
			if (cap >= MAX_CONFIG_FILE_SIZE) {
				free(text);
				return ERR_TOO_LONG;
			}
			cap = cap * 2 > MAX_CONFIG_FILE_SIZE ?
			    MAX_CONFIG_FILE_SIZE : cap * 2;
			if ((n = realloc(text, cap + 1)) == NULL) {
				free(text);
				return ERR_NOMEM;
			}
			text = n;
		}
		got = read(fd, text + len, cap - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;  /* a directory reads as empty, as with getline */
		len += (size_t)got;
	}
	text[len] = '\0';
	*textp = text;
	*lenp = len;
	return ERR_OK;
}

/*
 * Splits the file into lines and tokenises each.  The lines' keyword and
 * rest point into f->text, which line_parse() modifies in place; the
 * argument vectors live in f->arena.
 */
static int
file_read_lines(struct cfg_file *f, int fd)
{
	char *start, *nl, *end;
	struct cfg_line *lines = NULL, *nlines;
	size_t n = 0, cap = 0, len;
	int r, linenum = 0;

	if ((r = file_slurp(fd, &f->st, &f->text, &len)) != ERR_OK)
		return r;
	end = f->text + len;
	/* size the line array once: a 10,000-block file has 50,000 lines */
	for (start = f->text; start < end &&
	    (nl = memchr(start, '\n', (size_t)(end - start))) != NULL;
	    start = nl + 1)
		cap++;
	cap++;
	if ((lines = malloc(cap * sizeof(*lines))) == NULL)
		return ERR_NOMEM;
	for (start = f->text; start < end; start = nl + 1) {
		nl = memchr(start, '\n', (size_t)(end - start));
		if (nl == NULL)
			nl = end;
		*nl = '\0';
		linenum++;
		if (n == cap) {
			cap = cap == 0 ? 64 : cap * 2;
			if ((nlines = realloc(lines, cap * sizeof(*lines))) == NULL) {
				r = ERR_NOMEM;
				goto out;
			}
			lines = nlines;
		}
		if ((r = line_parse(&lines[n], start, linenum, &f->arena)) !=
		    ERR_OK)
			goto out;
		/* blank lines and comments are not kept */
		if (lines[n].keyword != NULL)
			n++;
	}
	f->lines = lines;
	f->n_lines = n;
	lines = NULL;
	r = ERR_OK;
 out:
	free(lines);
	return r;
}

/* The parsed file at path, reading it on first use.  An unreadable file
 * is cached too, with its errno. */
static int
cache_get(struct config_cache *c, const char *path, struct cfg_file **fp)
{
	struct cfg_file *f;
	int fd, r;

	*fp = NULL;
	for (f = c->files; f != NULL; f = f->next) {
		if (strcmp(f->path, path) == 0) {
			*fp = f;
			return ERR_OK;
		}
	}
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return ERR_NOMEM;
	if ((f->path = strdup(path)) == NULL) {
		free(f);
		return ERR_NOMEM;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		f->open_errno = errno != 0 ? errno : EIO;
	else {
		if (fstat(fd, &f->st) == -1)
			f->open_errno = errno;
		else if ((r = file_read_lines(f, fd)) != ERR_OK) {
			close(fd);
			file_free(f);
			return r;
		}
		close(fd);
	}
	f->next = c->files;
	c->files = f;
	*fp = f;
	return ERR_OK;
}

/* ------------------------------------------------------------------ */
/* Resolution state */

enum {
	RF_USERCONF = 1 << 0,   /* a user's file: '~' allowed in Include */
	RF_CHECKPERM = 1 << 1,  /* refuse a file others could write */
	RF_FINAL = 1 << 2,      /* the final pass */
	RF_NEVERMATCH = 1 << 3, /* parse only: inside an inactive block */
};

struct resolver {
	struct config_cache *cache;
	const struct config_host *env;
	struct config_diag *diag;
	struct cfg_values *v;
	const char *host;       /* the name Host and Match host match */
	const char *original_host;
	int pass;               /* 0 first, 1 final */
	int *want_final_pass;
	int fatal;              /* resolution must stop */
	int nomem;
	/* the line being processed, for origins */
	int cur_file;
	int cur_line;
};

#define say_error(r, ...) (void)cfg_diag_add((r)->diag, 1, __VA_ARGS__)
#define say_warning(r, ...) (void)cfg_diag_add((r)->diag, 0, __VA_ARGS__)

static void
fatal_error(struct resolver *r)
{
	r->fatal = 1;
}

static struct cfg_origin
cur_origin(const struct resolver *r)
{
	struct cfg_origin o;

	o.file = r->cur_file;
	o.line = r->cur_line;
	o.pass = r->pass;
	return o;
}

static void
mark(struct resolver *r, enum cfg_kw kw)
{
	if (r->v->origin[kw].file == CFG_ORIGIN_UNSET)
		r->v->origin[kw] = cur_origin(r);
}

/* Interns a file name for origins; returns its index. */
static int
intern_file(struct resolver *r, const char *path)
{
	struct cfg_values *v = r->v;
	char **nf;
	size_t i;

	for (i = 0; i < v->n_files; i++) {
		if (strcmp(v->files[i], path) == 0)
			return (int)i;
	}
	if ((nf = realloc(v->files, (v->n_files + 1) * sizeof(*nf))) == NULL)
		goto nomem;
	v->files = nf;
	if ((v->files[v->n_files] = strdup(path)) == NULL)
		goto nomem;
	return (int)v->n_files++;
 nomem:
	r->nomem = r->fatal = 1;
	return CFG_ORIGIN_CMDLINE;
}

static char *
xdup(struct resolver *r, const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		r->nomem = r->fatal = 1;
	return d;
}

static void
set_str(struct resolver *r, enum cfg_kw kw, char **field, const char *val)
{
	if (*field != NULL)
		return;
	*field = xdup(r, val);
	mark(r, kw);
}

static void
set_int(struct resolver *r, enum cfg_kw kw, int *field, int val)
{
	if (*field != -1)
		return;
	*field = val;
	mark(r, kw);
}

static int
strlist_add(struct resolver *r, struct cfg_strlist *l, const char *s,
    int userprovided)
{
	char **nv;
	struct cfg_origin *no;
	int *nu;

	if ((nv = realloc(l->v, (l->n + 1) * sizeof(*nv))) == NULL)
		goto nomem;
	l->v = nv;
	if ((no = realloc(l->origin, (l->n + 1) * sizeof(*no))) == NULL)
		goto nomem;
	l->origin = no;
	if ((nu = realloc(l->userprovided, (l->n + 1) * sizeof(*nu))) == NULL)
		goto nomem;
	l->userprovided = nu;
	if ((l->v[l->n] = strdup(s)) == NULL)
		goto nomem;
	l->origin[l->n] = cur_origin(r);
	l->userprovided[l->n] = userprovided;
	l->n++;
	return 0;
 nomem:
	r->nomem = r->fatal = 1;
	return -1;
}

static void
strlist_remove(struct cfg_strlist *l, size_t i)
{
	free(l->v[i]);
	memmove(&l->v[i], &l->v[i + 1], (l->n - i - 1) * sizeof(*l->v));
	memmove(&l->origin[i], &l->origin[i + 1],
	    (l->n - i - 1) * sizeof(*l->origin));
	memmove(&l->userprovided[i], &l->userprovided[i + 1],
	    (l->n - i - 1) * sizeof(*l->userprovided));
	l->n--;
}

static void
strlist_free(struct cfg_strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	free(l->origin);
	free(l->userprovided);
	memset(l, 0, sizeof(*l));
}

/* add_identity_file() / add_certificate_file(): no duplicates of the
 * same provenance. */
static int
add_key_file(struct resolver *r, struct cfg_strlist *l, const char *path,
    int userprovided, size_t max, const char *what)
{
	size_t i;

	if (l->n >= max) {
		say_error(r, "Too many %s files specified (max %zu)", what, max);
		fatal_error(r);
		return -1;
	}
	for (i = 0; i < l->n; i++) {
		if (l->userprovided[i] == userprovided &&
		    strcmp(l->v[i], path) == 0)
			return 0;
	}
	return strlist_add(r, l, path, userprovided);
}

static int
forward_equal(const struct cfg_forward *a, const struct cfg_forward *b)
{
#define SAME_STR(x, y) (((x) == NULL && (y) == NULL) || \
	((x) != NULL && (y) != NULL && strcmp((x), (y)) == 0))
	return SAME_STR(a->listen_host, b->listen_host) &&
	    a->listen_port == b->listen_port &&
	    SAME_STR(a->listen_path, b->listen_path) &&
	    SAME_STR(a->connect_host, b->connect_host) &&
	    a->connect_port == b->connect_port &&
	    SAME_STR(a->connect_path, b->connect_path);
#undef SAME_STR
}

/* add_local_forward() / add_remote_forward(): takes f's strings. */
static void
add_forward(struct resolver *r, struct cfg_fwdlist *l, struct cfg_forward *f)
{
	struct cfg_forward *nv;
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (forward_equal(&l->v[i], f)) {
			cfg_forward_clear(f);
			return;
		}
	}
	if ((nv = realloc(l->v, (l->n + 1) * sizeof(*nv))) == NULL) {
		cfg_forward_clear(f);
		r->nomem = r->fatal = 1;
		return;
	}
	l->v = nv;
	f->origin = cur_origin(r);
	l->v[l->n++] = *f;
	memset(f, 0, sizeof(*f));
}

static void
fwdlist_free(struct cfg_fwdlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		cfg_forward_clear(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* ------------------------------------------------------------------ */
/* Multi-state keywords: the names each accepts and what they mean. */

struct multistate {
	const char *key;
	int value;
};

static const struct multistate ms_flag[] = {
	{ "true", 1 }, { "false", 0 }, { "yes", 1 }, { "no", 0 }, { NULL, -1 }
};
static const struct multistate ms_yesnoask[] = {
	{ "true", 1 }, { "false", 0 }, { "yes", 1 }, { "no", 0 },
	{ "ask", 2 }, { NULL, -1 }
};
static const struct multistate ms_strict_hostkey[] = {
	{ "true", 2 }, { "false", 0 }, { "yes", 2 }, { "no", 0 },
	{ "ask", 3 }, { "off", 0 }, { "accept-new", 1 }, { NULL, -1 }
};
static const struct multistate ms_yesnoaskconfirm[] = {
	{ "true", 1 }, { "false", 0 }, { "yes", 1 }, { "no", 0 },
	{ "ask", 2 }, { "confirm", 3 }, { NULL, -1 }
};
static const struct multistate ms_address_family[] = {
	{ "inet", AF_INET }, { "inet6", AF_INET6 }, { "any", AF_UNSPEC },
	{ NULL, -1 }
};
static const struct multistate ms_control_master[] = {
	{ "true", 1 }, { "yes", 1 }, { "false", 0 }, { "no", 0 },
	{ "auto", 2 }, { "ask", 3 }, { "autoask", 4 }, { NULL, -1 }
};
static const struct multistate ms_tunnel[] = {
	{ "ethernet", 2 }, { "point-to-point", 1 }, { "true", 1 },
	{ "yes", 1 }, { "false", 0 }, { "no", 0 }, { NULL, -1 }
};
static const struct multistate ms_request_tty[] = {
	{ "true", 2 }, { "yes", 2 }, { "false", 1 }, { "no", 1 },
	{ "force", 3 }, { "auto", 0 }, { NULL, -1 }
};
static const struct multistate ms_session_type[] = {
	{ "none", 0 }, { "subsystem", 1 }, { "default", 2 }, { NULL, -1 }
};
static const struct multistate ms_canonicalize[] = {
	{ "true", 1 }, { "false", 0 }, { "yes", 1 }, { "no", 0 },
	{ "always", 2 }, { NULL, -1 }
};
static const struct multistate ms_pubkey_auth[] = {
	{ "true", 3 }, { "false", 0 }, { "yes", 3 }, { "no", 0 },
	{ "unbound", 1 }, { "host-bound", 2 }, { NULL, -1 }
};
static const struct multistate ms_compression[] = {
	{ "yes", 1 }, { "no", 0 }, { NULL, -1 }
};

/* Constants shared with print.c. */
#define REQUEST_TTY_AUTO 0
#define REQUEST_TTY_NO 1
#define SESSION_TYPE_NONE 0
#define SESSION_TYPE_DEFAULT 2
#define CANON_NO 0
#define CANON_ALWAYS 2
#define STRICT_ASK 3
#define PUBKEY_AUTH_ALL 3
#define LOG_LEVEL_QUIET 0
#define LOG_LEVEL_INFO 3
#define LOG_FACILITY_USER 1
#define DIGEST_SHA256 2

const char *
cfg_multistate_name(enum cfg_kw kw, int val)
{
	const struct multistate *m;
	size_t i;

	switch (kw) {
	case K_ADDRESS_FAMILY: m = ms_address_family; break;
	case K_VERIFY_HOST_KEY_DNS:
	case K_UPDATE_HOST_KEYS: m = ms_yesnoask; break;
	case K_STRICT_HOST_KEY_CHECKING: m = ms_strict_hostkey; break;
	case K_CONTROL_MASTER: m = ms_control_master; break;
	case K_TUNNEL: m = ms_tunnel; break;
	case K_REQUEST_TTY: m = ms_request_tty; break;
	case K_SESSION_TYPE: m = ms_session_type; break;
	case K_CANONICALIZE_HOSTNAME: m = ms_canonicalize; break;
	case K_ADD_KEYS_TO_AGENT: m = ms_yesnoaskconfirm; break;
	case K_PUBKEY_AUTH: m = ms_pubkey_auth; break;
	default:
		return val == 0 ? "no" : val == 1 ? "yes" : "UNKNOWN";
	}
	for (i = 0; m[i].key != NULL; i++) {
		if (m[i].value == val)
			return m[i].key;
	}
	return "UNKNOWN";
}

static int
multistate_parse(const char *arg, const struct multistate *m)
{
	size_t i;

	for (i = 0; m[i].key != NULL; i++) {
		if (strcasecmp(arg, m[i].key) == 0)
			return m[i].value;
	}
	return -1;
}

static const char *const log_level_names[] = {
	"SILENT", "QUIET", "FATAL", "ERROR", "INFO", "VERBOSE", "DEBUG",
	"DEBUG1", "DEBUG2", "DEBUG3"
};
static const int log_level_values[] = { 0, 0, 1, 2, 3, 4, 5, 5, 6, 7 };
static const char *const log_facility_names[] = {
	"DAEMON", "USER", "AUTH", "AUTHPRIV", "LOCAL0", "LOCAL1", "LOCAL2",
	"LOCAL3", "LOCAL4", "LOCAL5", "LOCAL6", "LOCAL7"
};
static const char *const digest_names[] = {
	"MD5", "SHA1", "SHA256", "SHA384", "SHA512"
};
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

const char *
cfg_log_level_name(int level)
{
	size_t i;

	for (i = 0; i < NELEM(log_level_names); i++) {
		if (log_level_values[i] == level)
			return log_level_names[i];
	}
	return "(null)";
}

const char *
cfg_log_facility_name(int f)
{
	return f >= 0 && (size_t)f < NELEM(log_facility_names) ?
	    log_facility_names[f] : "(null)";
}

const char *
cfg_digest_name(int d)
{
	return d >= 0 && (size_t)d < NELEM(digest_names) ?
	    digest_names[d] : "UNKNOWN";
}

/* ------------------------------------------------------------------ */
/* Keywords with one uniform treatment, as a table. */

enum simple_kind {
	S_FLAG,         /* multistate, int field */
	S_TIME,         /* convtime or "none", int field */
	S_INT,          /* non-negative int */
	S_STRING,       /* first word, first value wins */
	S_COMMAND,      /* the raw rest of the line */
	S_ALGS,         /* an algorithm list, validated */
};

struct simple_kw {
	enum cfg_kw kw;
	enum simple_kind kind;
	size_t offset;
	const struct multistate *ms;    /* S_FLAG */
	enum cfg_alg_kind alg;          /* S_ALGS */
	const char *alg_error;          /* S_ALGS: "Bad SSH2 cipher spec" */
};

#define F(field) offsetof(struct cfg_values, field)
static const struct simple_kw simple_kws[] = {
	{ K_FORWARD_X11, S_FLAG, F(forward_x11), ms_flag, 0, NULL },
	{ K_FORWARD_X11_TRUSTED, S_FLAG, F(forward_x11_trusted), ms_flag, 0, NULL },
	{ K_FORWARD_X11_TIMEOUT, S_TIME, F(forward_x11_timeout), NULL, 0, NULL },
	{ K_GATEWAY_PORTS, S_FLAG, F(gateway_ports), ms_flag, 0, NULL },
	{ K_EXIT_ON_FORWARD_FAILURE, S_FLAG, F(exit_on_forward_failure), ms_flag, 0, NULL },
	{ K_PASSWORD_AUTH, S_FLAG, F(password_authentication), ms_flag, 0, NULL },
	{ K_KBD_INTERACTIVE_AUTH, S_FLAG, F(kbd_interactive_authentication), ms_flag, 0, NULL },
	{ K_KBD_INTERACTIVE_DEVICES, S_STRING, F(kbd_interactive_devices), NULL, 0, NULL },
	{ K_PUBKEY_AUTH, S_FLAG, F(pubkey_authentication), ms_pubkey_auth, 0, NULL },
	{ K_HOSTBASED_AUTH, S_FLAG, F(hostbased_authentication), ms_flag, 0, NULL },
	{ K_GSS_AUTH, S_FLAG, F(gss_authentication), ms_flag, 0, NULL },
	{ K_GSS_KEY_EX, S_FLAG, F(gss_keyex), ms_flag, 0, NULL },
	{ K_GSS_DELEGATE_CREDS, S_FLAG, F(gss_deleg_creds), ms_flag, 0, NULL },
	{ K_GSS_TRUST_DNS, S_FLAG, F(gss_trust_dns), ms_flag, 0, NULL },
	{ K_GSS_CLIENT_IDENTITY, S_STRING, F(gss_client_identity), NULL, 0, NULL },
	{ K_GSS_SERVER_IDENTITY, S_STRING, F(gss_server_identity), NULL, 0, NULL },
	{ K_GSS_RENEWAL_REKEY, S_FLAG, F(gss_renewal_rekey), ms_flag, 0, NULL },
	{ K_BATCH_MODE, S_FLAG, F(batch_mode), ms_flag, 0, NULL },
	{ K_CHECK_HOST_IP, S_FLAG, F(check_host_ip), ms_flag, 0, NULL },
	{ K_VERIFY_HOST_KEY_DNS, S_FLAG, F(verify_host_key_dns), ms_yesnoask, 0, NULL },
	{ K_STRICT_HOST_KEY_CHECKING, S_FLAG, F(strict_host_key_checking), ms_strict_hostkey, 0, NULL },
	{ K_COMPRESSION, S_FLAG, F(compression), ms_compression, 0, NULL },
	{ K_TCP_KEEP_ALIVE, S_FLAG, F(tcp_keep_alive), ms_flag, 0, NULL },
	{ K_NO_HOST_AUTH_FOR_LOCALHOST, S_FLAG, F(no_host_authentication_for_localhost), ms_flag, 0, NULL },
	{ K_NUMBER_OF_PASSWORD_PROMPTS, S_INT, F(number_of_password_prompts), NULL, 0, NULL },
	{ K_XAUTH_LOCATION, S_STRING, F(xauth_location), NULL, 0, NULL },
	{ K_USER, S_STRING, F(user), NULL, 0, NULL },
	{ K_HOSTNAME, S_STRING, F(hostname), NULL, 0, NULL },
	{ K_HOST_KEY_ALIAS, S_STRING, F(host_key_alias), NULL, 0, NULL },
	{ K_PREFERRED_AUTHENTICATIONS, S_STRING, F(preferred_authentications), NULL, 0, NULL },
	{ K_BIND_ADDRESS, S_STRING, F(bind_address), NULL, 0, NULL },
	{ K_BIND_INTERFACE, S_STRING, F(bind_interface), NULL, 0, NULL },
	{ K_PKCS11_PROVIDER, S_STRING, F(pkcs11_provider), NULL, 0, NULL },
	{ K_SECURITY_KEY_PROVIDER, S_STRING, F(sk_provider), NULL, 0, NULL },
	{ K_KNOWN_HOSTS_COMMAND, S_COMMAND, F(known_hosts_command), NULL, 0, NULL },
	{ K_PROXY_COMMAND, S_COMMAND, F(proxy_command), NULL, 0, NULL },
	{ K_CONNECTION_ATTEMPTS, S_INT, F(connection_attempts), NULL, 0, NULL },
	{ K_CIPHERS, S_ALGS, F(ciphers), NULL, CFG_ALG_CIPHER, "Bad SSH2 cipher spec" },
	{ K_MACS, S_ALGS, F(macs), NULL, CFG_ALG_MAC, "Bad SSH2 MAC spec" },
	{ K_KEX_ALGORITHMS, S_ALGS, F(kex_algorithms), NULL, CFG_ALG_KEX, "Bad SSH2 KexAlgorithms" },
	{ K_HOST_KEY_ALGORITHMS, S_ALGS, F(hostkeyalgorithms), NULL, CFG_ALG_KEY, "Bad key types" },
	{ K_CA_SIGNATURE_ALGORITHMS, S_ALGS, F(ca_sign_algorithms), NULL, CFG_ALG_KEY, "Bad key types" },
	{ K_HOSTBASED_ACCEPTED_ALGORITHMS, S_ALGS, F(hostbased_accepted_algos), NULL, CFG_ALG_KEY, "Bad key types" },
	{ K_PUBKEY_ACCEPTED_ALGORITHMS, S_ALGS, F(pubkey_accepted_algos), NULL, CFG_ALG_KEY, "Bad key types" },
	{ K_CONNECT_TIMEOUT, S_TIME, F(connection_timeout), NULL, 0, NULL },
	{ K_CLEAR_ALL_FORWARDINGS, S_FLAG, F(clear_forwardings), ms_flag, 0, NULL },
	{ K_ADDRESS_FAMILY, S_FLAG, F(address_family), ms_address_family, 0, NULL },
	{ K_ENABLE_SSH_KEYSIGN, S_FLAG, F(enable_ssh_keysign), ms_flag, 0, NULL },
	{ K_IDENTITIES_ONLY, S_FLAG, F(identities_only), ms_flag, 0, NULL },
	{ K_SERVER_ALIVE_INTERVAL, S_TIME, F(server_alive_interval), NULL, 0, NULL },
	{ K_PROTOCOL_KEEP_ALIVES, S_TIME, F(server_alive_interval), NULL, 0, NULL },
	{ K_SETUP_TIMEOUT, S_TIME, F(server_alive_interval), NULL, 0, NULL },
	{ K_SERVER_ALIVE_COUNT_MAX, S_INT, F(server_alive_count_max), NULL, 0, NULL },
	{ K_CONTROL_PATH, S_STRING, F(control_path), NULL, 0, NULL },
	{ K_CONTROL_MASTER, S_FLAG, F(control_master), ms_control_master, 0, NULL },
	{ K_HASH_KNOWN_HOSTS, S_FLAG, F(hash_known_hosts), ms_flag, 0, NULL },
	{ K_TUNNEL, S_FLAG, F(tun_open), ms_tunnel, 0, NULL },
	{ K_LOCAL_COMMAND, S_COMMAND, F(local_command), NULL, 0, NULL },
	{ K_PERMIT_LOCAL_COMMAND, S_FLAG, F(permit_local_command), ms_flag, 0, NULL },
	{ K_REMOTE_COMMAND, S_COMMAND, F(remote_command), NULL, 0, NULL },
	{ K_VISUAL_HOST_KEY, S_FLAG, F(visual_host_key), ms_flag, 0, NULL },
	{ K_REQUEST_TTY, S_FLAG, F(request_tty), ms_request_tty, 0, NULL },
	{ K_SESSION_TYPE, S_FLAG, F(session_type), ms_session_type, 0, NULL },
	{ K_STDIN_NULL, S_FLAG, F(stdin_null), ms_flag, 0, NULL },
	{ K_FORK_AFTER_AUTHENTICATION, S_FLAG, F(fork_after_authentication), ms_flag, 0, NULL },
	{ K_IGNORE_UNKNOWN, S_STRING, F(ignored_unknown), NULL, 0, NULL },
	{ K_PROXY_USE_FDPASS, S_FLAG, F(proxy_use_fdpass), ms_flag, 0, NULL },
	{ K_CANONICALIZE_HOSTNAME, S_FLAG, F(canonicalize_hostname), ms_canonicalize, 0, NULL },
	{ K_CANONICALIZE_MAX_DOTS, S_INT, F(canonicalize_max_dots), NULL, 0, NULL },
	{ K_CANONICALIZE_FALLBACK_LOCAL, S_FLAG, F(canonicalize_fallback_local), ms_flag, 0, NULL },
	{ K_STREAM_LOCAL_BIND_UNLINK, S_FLAG, F(streamlocal_bind_unlink), ms_flag, 0, NULL },
	{ K_REVOKED_HOST_KEYS, S_STRING, F(revoked_host_keys), NULL, 0, NULL },
	{ K_UPDATE_HOST_KEYS, S_FLAG, F(update_hostkeys), ms_yesnoask, 0, NULL },
	{ K_ENABLE_ESCAPE_COMMANDLINE, S_FLAG, F(enable_escape_commandline), ms_flag, 0, NULL },
	{ K_REQUIRED_RSA_SIZE, S_INT, F(required_rsa_size), NULL, 0, NULL },
};
#undef F

/* simple_kws indexed by keyword, built once: every line asks. */
static const struct simple_kw *simple_by_kw[K_COUNT];
static pthread_once_t simple_once = PTHREAD_ONCE_INIT;

static void
simple_index_build(void)
{
	size_t i;

	for (i = 0; i < NELEM(simple_kws); i++)
		simple_by_kw[simple_kws[i].kw] = &simple_kws[i];
}

static const struct simple_kw *
simple_lookup(enum cfg_kw kw)
{
	(void)pthread_once(&simple_once, simple_index_build);
	return kw < K_COUNT ? simple_by_kw[kw] : NULL;
}

/* The print name for the keyword that a simple entry fills. */
static enum cfg_kw
origin_kw(enum cfg_kw kw)
{
	if (kw == K_PROTOCOL_KEEP_ALIVES || kw == K_SETUP_TIMEOUT)
		return K_SERVER_ALIVE_INTERVAL;
	return kw;
}

/* Argument cursor, as OpenSSH's argv_next(). */
struct args {
	int ac;
	char **av;
};

static char *
arg_next(struct args *a)
{
	char *ret;

	if (a->ac <= 0 || a->av == NULL || a->av[0] == NULL)
		return NULL;
	ret = a->av[0];
	a->ac--;
	a->av++;
	return ret;
}

/* Returns 0, or -1 for a bad line (message recorded). */
static int
process_simple(struct resolver *r, const struct simple_kw *s, struct args *a,
    const char *rest, const char *fn, int ln, int active)
{
	struct cfg_values *v = r->v;
	int *ip = (int *)((char *)v + s->offset);
	char **sp = (char **)((char *)v + s->offset);
	enum cfg_kw okw = origin_kw(s->kw);
	const char *arg, *p;
	long long num;
	int value;

	switch (s->kind) {
	case S_FLAG:
		arg = arg_next(a);
		if (arg == NULL || *arg == '\0') {
			say_error(r, "%s line %d: missing argument.", fn, ln);
			say_error(r, "%s line %d: unsupported option \"%s\".",
			    fn, ln, "(null)");
			return -1;
		}
		if ((value = multistate_parse(arg, s->ms)) == -1) {
			say_error(r, "%s line %d: unsupported option \"%s\".",
			    fn, ln, arg);
			return -1;
		}
		if (active)
			set_int(r, okw, ip, value);
		return 0;
	case S_TIME:
		arg = arg_next(a);
		if (arg == NULL || *arg == '\0') {
			say_error(r, "%s line %d: missing time value.", fn, ln);
			return -1;
		}
		if (strcmp(arg, "none") == 0)
			value = -1;
		else if ((value = cfg_parse_time(arg)) == -1) {
			say_error(r, "%s line %d: invalid time value.", fn, ln);
			return -1;
		}
		if (active && *ip == -1) {
			*ip = value;
			mark(r, okw);
		}
		return 0;
	case S_INT:
		arg = arg_next(a);
		if (arg == NULL || *arg == '\0') {
			say_error(r, "%s line %d: integer value missing.", fn, ln);
			return -1;
		}
		if (cfg_strtonum(arg, 0, INT_MAX, &num) != 0) {
			say_error(r, "%s line %d: integer value invalid.", fn, ln);
			return -1;
		}
		if (active)
			set_int(r, okw, ip, (int)num);
		return 0;
	case S_STRING:
		arg = arg_next(a);
		if (arg == NULL || *arg == '\0') {
			say_error(r, "%s line %d: Missing argument.", fn, ln);
			return -1;
		}
		if (active)
			set_str(r, okw, sp, arg);
		return 0;
	case S_COMMAND:
		p = rest + strspn(rest, WS "=");
		if (active)
			set_str(r, okw, sp, p);
		a->ac = 0;
		return 0;
	case S_ALGS:
		arg = arg_next(a);
		if (arg == NULL || *arg == '\0') {
			say_error(r, "%s line %d: Missing argument.", fn, ln);
			return -1;
		}
		if (*arg != '-' && !cfg_alg_names_valid(s->alg,
		    *arg == '+' || *arg == '^' ? arg + 1 : arg)) {
			say_error(r, "%s line %d: %s '%s'.", fn, ln,
			    s->alg_error, arg);
			return -1;
		}
		if (active)
			set_str(r, okw, sp, arg);
		return 0;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Token values for Match exec and the final expansions */

struct conn_info {
	char conn_hash[41];
	char shorthost[NI_MAXHOST];
	char thishost[NI_MAXHOST];
	char portstr[16];
	char uidstr[32];
	const char *home;
	const char *host;
	const char *keyalias;
	const char *original_host;
	const char *remuser;
	const char *locuser;
};

/* %C: SHA1 of local host, remote host, port and user, in hex
 * (OpenSSH ssh_connection_hash()). */
static int
connection_hash(const char *thishost, const char *host, const char *port,
    const char *user, char out[41])
{
	struct sha1_ctx c;
	unsigned char h[SHA1_DIGEST_LEN];
	size_t i;

	sha1_init(&c);
	sha1_update(&c, thishost, strlen(thishost));
	sha1_update(&c, host, strlen(host));
	sha1_update(&c, port, strlen(port));
	sha1_update(&c, user, strlen(user));
	sha1_final(&c, h);
	for (i = 0; i < sizeof(h); i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
	return ERR_OK;
}

static int
conn_info_fill(struct resolver *r, struct conn_info *ci, const char *host,
    int port, const char *keyalias, const char *original_host,
    const char *remuser)
{
	const struct config_host *e = r->env;

	memset(ci, 0, sizeof(*ci));
	snprintf(ci->thishost, sizeof(ci->thishost), "%s", e->hostname);
	snprintf(ci->shorthost, sizeof(ci->shorthost), "%s", e->hostname);
	ci->shorthost[strcspn(ci->shorthost, ".")] = '\0';
	snprintf(ci->portstr, sizeof(ci->portstr), "%d", port);
	snprintf(ci->uidstr, sizeof(ci->uidstr), "%llu",
	    (unsigned long long)e->uid);
	ci->home = e->home_dir;
	ci->host = host;
	ci->keyalias = keyalias;
	ci->original_host = original_host;
	ci->remuser = remuser;
	ci->locuser = e->user_name;
	return connection_hash(ci->thishost, host, ci->portstr, remuser,
	    ci->conn_hash);
}

static size_t
conn_info_tokens(const struct conn_info *ci, struct cfg_token t[11])
{
	t[0] = (struct cfg_token){ 'C', ci->conn_hash };
	t[1] = (struct cfg_token){ 'L', ci->shorthost };
	t[2] = (struct cfg_token){ 'i', ci->uidstr };
	t[3] = (struct cfg_token){ 'k', ci->keyalias };
	t[4] = (struct cfg_token){ 'l', ci->thishost };
	t[5] = (struct cfg_token){ 'n', ci->original_host };
	t[6] = (struct cfg_token){ 'p', ci->portstr };
	t[7] = (struct cfg_token){ 'd', ci->home };
	t[8] = (struct cfg_token){ 'h', ci->host };
	t[9] = (struct cfg_token){ 'r', ci->remuser };
	t[10] = (struct cfg_token){ 'u', ci->locuser };
	return 11;
}

static const char *
env_get(const struct resolver *r, const char *name)
{
	if (r->env->getenv_fn == NULL)
		return NULL;
	return r->env->getenv_fn(r->env->getenv_ctx, name);
}

static const char *
env_get_cb(void *ctx, const char *name)
{
	return env_get(ctx, name);
}

/* The default port, as getservbyname("ssh") gives it. */
static int
default_ssh_port(void)
{
	static int port;
	struct servent *sp;

	if (port == 0) {
		sp = getservbyname("ssh", "tcp");
		port = sp != NULL ? ntohs((unsigned short)sp->s_port) : 22;
	}
	return port;
}

/* ------------------------------------------------------------------ */
/* Match */

/*
 * match_cfg_line(): returns 1 (match), 0 (no match) or -1 (bad line).
 * *condp is advanced like OpenSSH's cursor so that leftovers can be
 * detected.
 */
static int
match_line(struct resolver *r, char **condp, const char *fn, int ln)
{
	struct cfg_values *v = r->v;
	char *cp = *condp, *attrib, *oattrib, *arg, *host = NULL, *cmd = NULL;
	const char *ruser, *why;
	struct conn_info ci;
	struct cfg_token toks[11];
	size_t nt;
	int result = 1, attributes = 0, negate, m, port, rc, status;
	const struct cfg_token htok = { 'h', r->host };

	port = v->port <= 0 ? default_ssh_port() : v->port;
	ruser = v->user == NULL ? r->env->user_name : v->user;
	if (r->pass == 1)
		host = xdup(r, v->hostname != NULL ? v->hostname : r->host);
	else if (v->hostname != NULL) {
		/* as ssh.c substitutes HostName before connecting */
		if (cfg_expand(v->hostname, &htok, 1, NULL, NULL, &host,
		    &why) != ERR_OK) {
			say_error(r, "%s line %d: percent_expand failed", fn, ln);
			fatal_error(r);
			result = -1;
			goto out;
		}
	} else
		host = xdup(r, r->host);
	if (host == NULL) {
		result = -1;
		goto out;
	}
	while ((oattrib = attrib = cfg_strdelim(&cp)) != NULL &&
	    *attrib != '\0') {
		if (*attrib == '#') {
			cp = NULL;
			break;
		}
		arg = NULL;
		if ((negate = attrib[0] == '!'))
			attrib++;
		if (strcasecmp(attrib, "all") == 0) {
			if (attributes > 1 || ((arg = cfg_strdelim(&cp)) != NULL &&
			    *arg != '\0' && *arg != '#')) {
				say_error(r, "%s line %d: '%s' cannot be combined "
				    "with other Match attributes", fn, ln, oattrib);
				result = -1;
				goto out;
			}
			if (arg != NULL && *arg == '#')
				cp = NULL;
			if (result)
				result = negate ? 0 : 1;
			goto out;
		}
		attributes++;
		if (strcasecmp(attrib, "canonical") == 0 ||
		    strcasecmp(attrib, "final") == 0) {
			if (strcasecmp(attrib, "final") == 0 &&
			    r->want_final_pass != NULL)
				*r->want_final_pass = 1;
			if ((r->pass == 1) == (negate ? 1 : 0))
				result = 0;
			continue;
		}
		if ((arg = cfg_strdelim(&cp)) == NULL || *arg == '\0' ||
		    *arg == '#') {
			say_error(r, "Missing Match criteria for %s", attrib);
			result = -1;
			goto out;
		}
		if (strcasecmp(attrib, "host") == 0)
			m = cfg_match_hostname(host, arg) == 1;
		else if (strcasecmp(attrib, "originalhost") == 0)
			m = cfg_match_hostname(r->original_host, arg) == 1;
		else if (strcasecmp(attrib, "user") == 0)
			m = cfg_match_pattern_list(ruser, arg, 0) == 1;
		else if (strcasecmp(attrib, "localuser") == 0)
			m = cfg_match_pattern_list(r->env->user_name, arg, 0) == 1;
		else if (strcasecmp(attrib, "exec") == 0) {
			if ((rc = conn_info_fill(r, &ci, host, port,
			    v->host_key_alias != NULL ? v->host_key_alias : host,
			    r->original_host, ruser)) != ERR_OK) {
				r->fatal = 1;
				result = -1;
				goto out;
			}
			nt = conn_info_tokens(&ci, toks);
			free(cmd);
			cmd = NULL;
			if (cfg_expand(arg, toks, nt, NULL, NULL, &cmd, &why) !=
			    ERR_OK) {
				say_error(r, "%s line %d: percent_expand: %s in "
				    "'%s'", fn, ln, why != NULL ? why : "error",
				    arg);
				fatal_error(r);
				result = -1;
				goto out;
			}
			if (result != 1)
				continue;  /* an earlier criterion failed */
			status = r->env->exec_fn == NULL ? ERR_CHILD_FAILED :
			    r->env->exec_fn(r->env->exec_ctx, cmd);
			if (status < 0) {
				say_error(r, "%s line %d: match exec '%.100s' "
				    "error", fn, ln, cmd);
				fatal_error(r);
				result = -1;
				goto out;
			}
			m = status == 0;
		} else {
			say_error(r, "%s line %d: Unsupported Match attribute %s",
			    fn, ln, attrib);
			result = -1;
			goto out;
		}
		if (m == (negate ? 1 : 0))
			result = 0;
	}
	if (attributes == 0) {
		say_error(r, "%s line %d: One or more attributes required for "
		    "Match", fn, ln);
		result = -1;
		goto out;
	}
 out:
	*condp = cp;
	free(host);
	free(cmd);
	return result;
}

/* ------------------------------------------------------------------ */
/* One line */

static int read_file(struct resolver *r, const char *path, int flags,
    int *activep, int depth);

/* "none" may only stand alone in a list of files or names. */
static int
check_none_alone(struct resolver *r, const char *arg, int i, int remaining,
    const char *fn, int ln, const char *keyword)
{
	if (strcasecmp(arg, "none") == 0 && (i > 0 || remaining > 0)) {
		say_error(r, "%s line %d: keyword %s \"none\" argument must "
		    "appear alone.", fn, ln, keyword);
		return -1;
	}
	return 0;
}

/* GlobalKnownHostsFile, UserKnownHostsFile: the first line wins whole. */
static int
parse_file_list(struct resolver *r, struct args *a, struct cfg_strlist *l,
    enum cfg_kw kw, const char *fn, int ln, const char *keyword, int active)
{
	int i = 0, was_empty = l->n == 0;
	char *arg;

	while ((arg = arg_next(a)) != NULL) {
		if (*arg == '\0') {
			say_error(r, "%s line %d: keyword %s empty argument",
			    fn, ln, keyword);
			return -1;
		}
		if (check_none_alone(r, arg, i, a->ac, fn, ln, keyword) != 0)
			return -1;
		i++;
		if (active && was_empty) {
			if (l->n >= MAX_HOSTS_FILES) {
				say_error(r, "%s line %d: too many %s entries.",
				    fn, ln, keyword);
				return -1;
			}
			if (strlist_add(r, l, arg, 0) != 0)
				return -1;
			mark(r, kw);
		}
	}
	return 0;
}

/* SendEnv "-PATTERN": removes matching names already collected. */
static void
send_env_remove(struct cfg_strlist *l, const char *pattern)
{
	size_t i = 0;

	while (i < l->n) {
		if (cfg_match_pattern(l->v[i], pattern))
			strlist_remove(l, i);
		else
			i++;
	}
}

static int
setenv_has(const struct cfg_strlist *l, const char *kv)
{
	size_t i, n = strcspn(kv, "=");

	for (i = 0; i < l->n; i++) {
		if (strncmp(l->v[i], kv, n) == 0 && l->v[i][n] == '=')
			return 1;
	}
	return 0;
}

static int
valid_env_name(const char *name)
{
	if (*name == '\0')
		return 0;
	for (; *name != '\0'; name++) {
		if (!isalnum((unsigned char)*name) && *name != '_')
			return 0;
	}
	return 1;
}

/* parse_jump(): 0 on success, -1 on a bad specification. */
static int
cfg_parse_jump(struct resolver *r, const char *s, int strict, int active)
{
	struct cfg_values *v = r->v;
	char *orig = NULL, *sdup = NULL, *cp, *c;
	char *tuser = NULL, *thost = NULL, *user = NULL, *host = NULL;
	int rc, ret = -1, tport = -1, port = -1, first = 1;
	size_t l;

	if (strcasecmp(s, "none") == 0) {
		if (active && v->jump_host == NULL) {
			v->jump_host = xdup(r, "none");
			v->jump_port = 0;
			mark(r, K_PROXY_JUMP);
		}
		return 0;
	}
	if ((orig = strdup(s)) == NULL)
		goto nomem;
	if ((c = strchr(orig, '#')) != NULL)
		*c = '\0';
	/* OpenSSH's rtrim() keeps walking past the first non-space, so it
	 * cuts the string at its first whitespace after the first byte;
	 * ssh -G shows the result, so we cut the same way. */
	for (l = strlen(orig); l > 1; l--) {
		if (isspace((unsigned char)orig[l - 1]))
			orig[l - 1] = '\0';
	}
	active = active && v->proxy_command == NULL && v->jump_host == NULL;
	if ((sdup = strdup(orig)) == NULL)
		goto nomem;
	do {
		if ((cp = strrchr(sdup, ',')) == NULL)
			cp = sdup;
		else
			*cp++ = '\0';
		rc = cfg_parse_ssh_uri(cp, &tuser, &thost, &tport);
		if (rc == -1 || (rc == 1 && cfg_parse_user_host_port(cp,
		    &tuser, &thost, &tport) != 0))
			goto out;
		if (strict) {
			if (!config_valid_hostname(thost)) {
				say_error(r, "invalid hostname \"%s\"", thost);
				goto out;
			}
			if (tuser != NULL && !config_valid_user(tuser)) {
				say_error(r, "invalid username \"%s\"", tuser);
				goto out;
			}
		}
		if (first) {
			user = tuser;
			host = thost;
			port = tport;
			tuser = thost = NULL;
		}
		first = 0;
		free(tuser);
		free(thost);
		tuser = thost = NULL;
		tport = -1;
	} while (cp != sdup);
	if (active) {
		v->jump_user = user;
		v->jump_host = host;
		v->jump_port = port;
		v->proxy_command = xdup(r, "none");
		user = host = NULL;
		if ((cp = strrchr(orig, ',')) != NULL) {
			*cp = '\0';
			v->jump_extra = xdup(r, orig);
		}
		mark(r, K_PROXY_JUMP);
	}
	ret = 0;
	goto out;
 nomem:
	r->nomem = r->fatal = 1;
 out:
	free(orig);
	free(sdup);
	free(tuser);
	free(thost);
	free(user);
	free(host);
	return ret;
}

/*
 * process_config_line_depth(): applies one parsed line.  activep is NULL
 * for a command-line -o.  Returns 0, or -1 for a bad line.
 */
static int
process_line(struct resolver *r, const struct cfg_line *l, const char *fn,
    int *activep, int flags, int depth)
{
	struct cfg_values *v = r->v;
	const struct simple_kw *sk;
	struct args a;
	struct cfg_forward fwd;
	char *arg, *arg2, *str = NULL, *cond = NULL, *expanded, *path;
	const char *keyword = l->keyword, *why;
	char fwdarg[256];
	enum cfg_kw kw;
	int cmdline = activep == NULL, one = 1, ln = l->linenum;
	int ret = -1, value, value2, i, negated, remote, dynamic, oactive;
	long long val64;
	glob_t gl;
	size_t k;

	if (cmdline)
		activep = &one;
	r->cur_line = ln;
	if (l->rest == NULL) {
		say_error(r, "%s line %d: no argument after keyword \"%s\"",
		    fn, ln, keyword);
		return -1;
	}
	kw = l->kw;
	if (kw == K_BAD) {
		if (v->ignored_unknown != NULL &&
		    cfg_match_pattern_list(keyword, v->ignored_unknown, 1) == 1)
			kw = K_IGNORED_UNKNOWN;
		else {
			say_error(r, "%s: line %d: Bad configuration option: %s",
			    fn, ln, keyword);
			return -1;
		}
	}
	if (l->quote_error) {
		say_error(r, "%s line %d: invalid quotes", fn, ln);
		return -1;
	}
	a.ac = l->argc;
	a.av = l->argv;

	if ((sk = simple_lookup(kw)) != NULL) {
		if (process_simple(r, sk, &a, l->rest, fn, ln, *activep) != 0)
			goto out;
		goto check_extra;
	}

	switch (kw) {
	case K_IGNORE:
	case K_IGNORED_UNKNOWN:
	case K_DEPRECATED:
		a.ac = 0;
		break;
	case K_UNSUPPORTED:
		say_warning(r, "%s line %d: Unsupported option \"%s\"", fn, ln,
		    keyword);
		a.ac = 0;
		break;

	case K_FORWARD_AGENT:
		arg = arg_next(&a);
		if (arg == NULL || *arg == '\0') {
			say_error(r, "%s line %d: missing argument.", fn, ln);
			goto out;
		}
		if ((value = multistate_parse(arg, ms_flag)) != -1) {
			if (*activep)
				set_int(r, kw, &v->forward_agent, value);
			break;
		}
		/* not yes/no: the path of an agent socket to forward */
		if (*activep)
			set_int(r, kw, &v->forward_agent, 1);
		goto agent_path;

	case K_IDENTITY_AGENT:
		arg = arg_next(&a);
		if (arg == NULL || *arg == '\0') {
			say_error(r, "%s line %d: Missing argument.", fn, ln);
			goto out;
		}
 agent_path:
		if (cfg_expand(arg, NULL, 0, env_get_cb, r, &expanded, &why) !=
		    ERR_OK) {
			say_error(r, "%s line %d: Invalid environment expansion "
			    "%s.", fn, ln, arg);
			goto out;
		}
		free(expanded);
		if (arg[0] == '$' && arg[1] != '{' && !valid_env_name(arg + 1)) {
			say_error(r, "%s line %d: Invalid environment name %s.",
			    fn, ln, arg);
			goto out;
		}
		if (*activep) {
			if (kw == K_FORWARD_AGENT)
				set_str(r, kw, &v->forward_agent_sock_path, arg);
			else
				set_str(r, kw, &v->identity_agent, arg);
		}
		break;

	case K_GSS_KEX_ALGORITHMS:
		arg = arg_next(&a);
		if (arg == NULL || *arg == '\0') {
			say_error(r, "%s line %d: Missing argument.", fn, ln);
			goto out;
		}
		if (!cfg_alg_names_valid(CFG_ALG_GSS_KEX, arg)) {
			say_error(r, "%s line %d: Bad GSSAPI KexAlgorithms '%s'.",
			    fn, ln, arg);
			goto out;
		}
		if (*activep)
			set_str(r, kw, &v->gss_kex_algorithms, arg);
		break;

	case K_REKEY_LIMIT:
		arg = arg_next(&a);
		if (arg == NULL || *arg == '\0') {
			say_error(r, "%s line %d: Missing argument.", fn, ln);
			goto out;
		}
		if (strcmp(arg, "default") == 0)
			val64 = 0;
		else {
			if (cfg_parse_scaled(arg, &val64) == -1) {
				say_error(r, "%s line %d: Bad number '%s'", fn, ln,
				    arg);
				goto out;
			}
			if (val64 != 0 && val64 < 16) {
				say_error(r, "%s line %d: RekeyLimit too small",
				    fn, ln);
				goto out;
			}
		}
		if (*activep && v->rekey_limit == -1) {
			v->rekey_limit = val64;
			mark(r, kw);
		}
		if (a.ac != 0) {
			if (strcmp(a.av[0], "none") == 0) {
				(void)arg_next(&a);
				break;
			}
			arg = arg_next(&a);
			if (arg == NULL || *arg == '\0') {
				say_error(r, "%s line %d: missing time value.",
				    fn, ln);
				goto out;
			}
			if (strcmp(arg, "none") == 0)
				value = -1;
			else if ((value = cfg_parse_time(arg)) == -1) {
				say_error(r, "%s line %d: invalid time value.",
				    fn, ln);
				goto out;
			}
			if (*activep && v->rekey_interval == -1)
				v->rekey_interval = value;
		}
		break;

	case K_IDENTITY_FILE:
	case K_CERTIFICATE_FILE:
		arg = arg_next(&a);
		if (arg == NULL || *arg == '\0') {
			say_error(r, "%s line %d: Missing argument.", fn, ln);
			goto out;
		}
		if (*activep) {
			struct cfg_strlist *lst = kw == K_IDENTITY_FILE ?
			    &v->identity_files : &v->certificate_files;

			if (lst->n >= (kw == K_IDENTITY_FILE ?
			    MAX_IDENTITY_FILES : MAX_CERTIFICATE_FILES)) {
				say_error(r, "%s line %d: Too many %s files "
				    "specified (max %d).", fn, ln,
				    kw == K_IDENTITY_FILE ? "identity" :
				    "certificate", 100);
				goto out;
			}
			if (add_key_file(r, lst, arg, (flags & RF_USERCONF) != 0,
			    100, kw == K_IDENTITY_FILE ? "identity" :
			    "certificate") != 0)
				goto out;
		}
		break;

	case K_GLOBAL_KNOWN_HOSTS:
		if (parse_file_list(r, &a, &v->system_hostfiles, kw, fn, ln,
		    keyword, *activep) != 0)
			goto out;
		break;
	case K_USER_KNOWN_HOSTS:
		if (parse_file_list(r, &a, &v->user_hostfiles, kw, fn, ln,
		    keyword, *activep) != 0)
			goto out;
		break;

	case K_PROXY_JUMP:
		str = l->rest + strspn(l->rest, WS "=");
		if (cfg_parse_jump(r, str, cmdline, *activep) == -1) {
			say_error(r, "%s line %d: Invalid ProxyJump \"%s\"", fn,
			    ln, str);
			str = NULL;
			goto out;
		}
		str = NULL;
		a.ac = 0;
		break;

	case K_PORT:
		arg = arg_next(&a);
		if (arg == NULL || *arg == '\0') {
			say_error(r, "%s line %d: Missing argument.", fn, ln);
			goto out;
		}
		value = cfg_parse_port(arg);
		if (value <= 0) {
			say_error(r, "%s line %d: Bad port '%s'.", fn, ln, arg);
			goto out;
		}
		if (*activep)
			set_int(r, kw, &v->port, value);
		break;

	case K_LOG_LEVEL:
		arg = arg_next(&a);
		value = -1;
		for (k = 0; arg != NULL && k < NELEM(log_level_names); k++) {
			if (strcasecmp(arg, log_level_names[k]) == 0) {
				value = log_level_values[k];
				break;
			}
		}
		if (value == -1) {
			say_error(r, "%s line %d: unsupported log level '%s'",
			    fn, ln, arg != NULL ? arg : "<NONE>");
			goto out;
		}
		if (*activep)
			set_int(r, kw, &v->log_level, value);
		break;

	case K_LOG_FACILITY:
		arg = arg_next(&a);
		value = -1;
		for (k = 0; arg != NULL && k < NELEM(log_facility_names); k++) {
			if (strcasecmp(arg, log_facility_names[k]) == 0) {
				value = (int)k;
				break;
			}
		}
		if (value == -1) {
			say_error(r, "%s line %d: unsupported log facility '%s'",
			    fn, ln, arg != NULL ? arg : "<NONE>");
			goto out;
		}
		/* OpenSSH sets this even inside a block that does not apply */
		set_int(r, kw, &v->log_facility, value);
		break;

	case K_LOG_VERBOSE:
		i = 0;
		while ((arg = arg_next(&a)) != NULL) {
			if (*arg == '\0') {
				say_error(r, "%s line %d: keyword %s empty argument",
				    fn, ln, keyword);
				goto out;
			}
			if (check_none_alone(r, arg, i, a.ac, fn, ln, keyword) != 0)
				goto out;
			i++;
			/* only the first word of the first line is kept:
			 * OpenSSH tests the count inside the loop */
			if (*activep && v->log_verbose.n == 0) {
				if (strlist_add(r, &v->log_verbose, arg, 0) != 0)
					goto out;
				mark(r, kw);
			}
		}
		break;

	case K_LOCAL_FORWARD:
	case K_REMOTE_FORWARD:
	case K_DYNAMIC_FORWARD:
		arg = arg_next(&a);
		if (arg == NULL || *arg == '\0') {
			say_error(r, "%s line %d: Missing argument.", fn, ln);
			goto out;
		}
		remote = kw == K_REMOTE_FORWARD;
		dynamic = kw == K_DYNAMIC_FORWARD;
		if (!dynamic) {
			arg2 = arg_next(&a);
			if (arg2 == NULL || *arg2 == '\0') {
				if (remote)
					dynamic = 1;
				else {
					say_error(r, "%s line %d: Missing target "
					    "argument.", fn, ln);
					goto out;
				}
			} else
				snprintf(fwdarg, sizeof(fwdarg), "%s:%s", arg, arg2);
		}
		if (dynamic)
			snprintf(fwdarg, sizeof(fwdarg), "%s", arg);
		/* ${VAR} first, so that a variable holding a path makes the
		 * field a path (OpenSSH parse_forward()) */
		if (cfg_expand(fwdarg, NULL, 0, env_get_cb, r, &expanded,
		    &why) != ERR_OK) {
			say_error(r, "%s line %d: Bad forwarding specification.",
			    fn, ln);
			goto out;
		}
		value = cfg_parse_forward(&fwd, expanded, dynamic, remote);
		free(expanded);
		if (value == 0) {
			say_error(r, "%s line %d: Bad forwarding specification.",
			    fn, ln);
			goto out;
		}
		if (*activep)
			add_forward(r, remote ? &v->remote_forwards :
			    &v->local_forwards, &fwd);
		else
			cfg_forward_clear(&fwd);
		break;

	case K_PERMIT_REMOTE_OPEN: {
		size_t had = v->permitted_remote_opens.n;
		char *hp, *h;

		i = 0;
		while ((arg = arg_next(&a)) != NULL) {
			if (strcasecmp(arg, "none") == 0 ||
			    strcasecmp(arg, "any") == 0) {
				if (i > 0 || a.ac > 0) {
					say_error(r, "%s line %d: keyword %s \"%s\" "
					    "argument must appear alone.", fn, ln,
					    keyword, arg);
					goto out;
				}
			} else {
				if ((hp = xdup(r, arg)) == NULL)
					goto out;
				arg2 = hp;
				h = cfg_hpdelim(&arg2);
				if (h == NULL) {
					free(hp);
					say_error(r, "%s line %d: missing host in %s",
					    fn, ln, cfg_keyword_name(kw));
					fatal_error(r);
					goto out;
				}
				if (arg2 == NULL || (strcmp(arg2, "*") != 0 &&
				    cfg_parse_port(arg2) <= 0)) {
					free(hp);
					say_error(r, "%s line %d: bad port number in "
					    "%s", fn, ln, cfg_keyword_name(kw));
					fatal_error(r);
					goto out;
				}
				free(hp);
			}
			if (*activep && had == 0) {
				if (strlist_add(r, &v->permitted_remote_opens, arg,
				    0) != 0)
					goto out;
				mark(r, kw);
			}
			i++;
		}
		if (i == 0) {
			say_error(r, "%s line %d: missing %s specification", fn,
			    ln, cfg_keyword_name(kw));
			fatal_error(r);
			goto out;
		}
		break;
	}

	case K_HOST:
		if (cmdline) {
			say_error(r, "Host directive not supported as a "
			    "command-line option");
			goto out;
		}
		*activep = 0;
		while ((arg = arg_next(&a)) != NULL) {
			if (*arg == '\0') {
				say_error(r, "%s line %d: keyword %s empty argument",
				    fn, ln, keyword);
				goto out;
			}
			if (flags & RF_NEVERMATCH) {
				a.ac = 0;
				break;
			}
			negated = *arg == '!';
			if (negated)
				arg++;
			if (cfg_match_pattern(r->host, arg)) {
				if (negated) {
					*activep = 0;
					a.ac = 0;
					break;
				}
				*activep = 1;
			}
		}
		break;

	case K_MATCH:
		if (cmdline) {
			say_error(r, "Host directive not supported as a "
			    "command-line option");
			goto out;
		}
		if ((cond = xdup(r, l->rest)) == NULL)
			goto out;
		str = cond;
		value = match_line(r, &str, fn, ln);
		if (r->fatal)
			goto out;
		if (value < 0) {
			say_error(r, "%s line %d: Bad Match condition", fn, ln);
			goto out;
		}
		*activep = (flags & RF_NEVERMATCH) ? 0 : value;
		if (str == NULL || *str == '\0')
			a.ac = 0;
		break;

	case K_ESCAPE_CHAR:
		arg = arg_next(&a);
		if (arg == NULL || *arg == '\0') {
			say_error(r, "%s line %d: Missing argument.", fn, ln);
			goto out;
		}
		if (strcmp(arg, "none") == 0)
			value = CFG_ESCAPE_NONE;
		else if (arg[1] == '\0')
			value = (unsigned char)arg[0];
		else if (arg[0] == '^' && arg[2] == '\0' &&
		    (unsigned char)arg[1] >= 64 && (unsigned char)arg[1] < 128)
			value = (unsigned char)arg[1] & 31;
		else {
			say_error(r, "%s line %d: Bad escape character.", fn, ln);
			goto out;
		}
		if (*activep)
			set_int(r, kw, &v->escape_char, value);
		break;

	case K_SEND_ENV:
		while ((arg = arg_next(&a)) != NULL) {
			if (*arg == '\0' || strchr(arg, '=') != NULL) {
				say_error(r, "%s line %d: Invalid environment name.",
				    fn, ln);
				goto out;
			}
			if (!*activep)
				continue;
			if (*arg == '-') {
				send_env_remove(&v->send_env, arg + 1);
				continue;
			}
			if (strlist_add(r, &v->send_env, arg, 0) != 0)
				goto out;
			mark(r, kw);
		}
		break;

	case K_SET_ENV:
		value = v->setenv.n != 0;
		while ((arg = arg_next(&a)) != NULL) {
			if (strchr(arg, '=') == NULL) {
				say_error(r, "%s line %d: Invalid SetEnv.", fn, ln);
				goto out;
			}
			if (!*activep || value)
				continue;
			if (setenv_has(&v->setenv, arg))
				continue;
			if (strlist_add(r, &v->setenv, arg, 0) != 0)
				goto out;
			mark(r, kw);
		}
		break;

	case K_CONTROL_PERSIST:
		arg = arg_next(&a);
		if (arg == NULL || *arg == '\0') {
			say_error(r, "%s line %d: Missing ControlPersist "
			    "argument.", fn, ln);
			goto out;
		}
		value2 = 0;
		if (strcmp(arg, "no") == 0 || strcmp(arg, "false") == 0)
			value = 0;
		else if (strcmp(arg, "yes") == 0 || strcmp(arg, "true") == 0)
			value = 1;
		else if ((value2 = cfg_parse_time(arg)) >= 0)
			value = 1;
		else {
			say_error(r, "%s line %d: Bad ControlPersist argument.",
			    fn, ln);
			goto out;
		}
		if (*activep && v->control_persist == -1) {
			v->control_persist = value;
			v->control_persist_timeout = value2;
			mark(r, kw);
		}
		break;

	case K_TUNNEL_DEVICE:
		arg = arg_next(&a);
		if (arg == NULL || *arg == '\0') {
			say_error(r, "%s line %d: Missing argument.", fn, ln);
			goto out;
		}
		value = cfg_parse_tun(arg, &value2);
		if (value == CFG_TUNID_ERR) {
			say_error(r, "%s line %d: Bad tun device.", fn, ln);
			goto out;
		}
		if (*activep && v->tun_local == -1) {
			v->tun_local = value;
			v->tun_remote = value2;
			mark(r, kw);
		}
		break;

	case K_INCLUDE:
		if (cmdline) {
			say_error(r, "Include directive not supported as a "
			    "command-line option");
			goto out;
		}
		value = 0;
		while ((arg = arg_next(&a)) != NULL) {
			if (*arg == '\0') {
				say_error(r, "%s line %d: keyword %s empty argument",
				    fn, ln, keyword);
				goto out;
			}
			if (*arg == '~' && (flags & RF_USERCONF) == 0) {
				say_error(r, "%s line %d: bad include path %s.",
				    fn, ln, arg);
				goto out;
			}
			/* relative paths live in ~/.ssh (user) or /etc/ssh */
			if (*arg != '/' && *arg != '~') {
				const char *dir = (flags & RF_USERCONF) ? "~/.ssh" :
				    (r->env->system_dir != NULL ?
				    r->env->system_dir : "/etc/ssh");
				size_t plen = strlen(dir) + strlen(arg) + 2;

				if ((path = malloc(plen)) == NULL) {
					r->nomem = r->fatal = 1;
					goto out;
				}
				snprintf(path, plen, "%s/%s", dir, arg);
			} else if ((path = xdup(r, arg)) == NULL)
				goto out;
			memset(&gl, 0, sizeof(gl));
			/* libc's glob, as OpenSSH uses it: lexical order, and
			 * '~' from $HOME */
			i = glob(path, GLOB_TILDE, NULL, &gl);
			if (i == GLOB_NOMATCH) {
				free(path);
				continue;
			} else if (i != 0) {
				say_error(r, "%s line %d: glob failed for %s.", fn,
				    ln, path);
				free(path);
				goto out;
			}
			free(path);
			oactive = *activep;
			for (k = 0; k < gl.gl_pathc; k++) {
				int saved_file = r->cur_file;
				int rr;

				rr = read_file(r, gl.gl_pathv[k],
				    flags | RF_CHECKPERM |
				    (oactive ? 0 : RF_NEVERMATCH),
				    activep, depth + 1);
				r->cur_file = saved_file;
				r->cur_line = ln;
				if (r->fatal) {
					globfree(&gl);
					goto out;
				}
				/* a file that vanished (or a dangling link)
				 * is skipped silently, as OpenSSH does */
				if (rr < 0 && rr != -ENOENT) {
					say_error(r, "Can't open user config file "
					    "%.100s: %.100s", gl.gl_pathv[k],
					    strerror(-rr));
					globfree(&gl);
					goto out;
				}
				/* a Match in an included file must not change
				 * the includer's state */
				*activep = oactive;
			}
			globfree(&gl);
		}
		break;

	case K_IPQOS:
		arg = arg_next(&a);
		if ((value = cfg_parse_ipqos(arg)) == -1) {
			say_error(r, "%s line %d: Bad IPQoS value: %s", fn, ln,
			    arg != NULL ? arg : "(null)");
			goto out;
		}
		arg = arg_next(&a);
		if (arg == NULL)
			value2 = value;
		else if ((value2 = cfg_parse_ipqos(arg)) == -1) {
			say_error(r, "%s line %d: Bad IPQoS value: %s", fn, ln,
			    arg);
			goto out;
		}
		if (*activep && v->ip_qos_interactive == -1) {
			v->ip_qos_interactive = value;
			v->ip_qos_bulk = value2;
			mark(r, kw);
		}
		break;

	case K_CANONICAL_DOMAINS:
		value = v->canonical_domains.n != 0;
		i = 0;
		while ((arg = arg_next(&a)) != NULL) {
			if (*arg == '\0') {
				say_error(r, "%s line %d: keyword %s empty argument",
				    fn, ln, keyword);
				goto out;
			}
			if (check_none_alone(r, arg, i, a.ac, fn, ln, keyword) != 0)
				goto out;
			i++;
			if (!cfg_valid_domain(arg, 1, &why)) {
				say_error(r, "%s line %d: domain name \"%.100s\" %s",
				    fn, ln, arg, why);
				goto out;
			}
			if (!*activep || value)
				continue;
			if (v->canonical_domains.n >= MAX_CANON_DOMAINS) {
				say_error(r, "%s line %d: too many hostname "
				    "suffixes.", fn, ln);
				goto out;
			}
			if (strlist_add(r, &v->canonical_domains, arg, 0) != 0)
				goto out;
			mark(r, kw);
		}
		break;

	case K_CANONICALIZE_PERMITTED_CNAMES:
		value = v->n_permitted_cnames != 0;
		i = 0;
		while ((arg = arg_next(&a)) != NULL) {
			struct cfg_cname *nc;
			char *p;

			if (strcasecmp(arg, "none") == 0) {
				if (i > 0 || a.ac > 0) {
					say_error(r, "%s line %d: keyword %s \"none\" "
					    "argument must appear alone.", fn, ln,
					    keyword);
					goto out;
				}
				arg2 = (char *)"";
			} else if (strcmp(arg, "*") == 0)
				arg2 = arg;
			else {
				for (p = arg; *p != '\0'; p++)
					*p = (char)tolower((unsigned char)*p);
				if ((arg2 = strchr(arg, ':')) == NULL ||
				    arg2[1] == '\0') {
					say_error(r, "%s line %d: Invalid permitted "
					    "CNAME \"%s\"", fn, ln, arg);
					goto out;
				}
				*arg2++ = '\0';
			}
			i++;
			if (!*activep || value)
				continue;
			if (v->n_permitted_cnames >= MAX_CANON_DOMAINS) {
				say_error(r, "%s line %d: too many permitted CNAMEs.",
				    fn, ln);
				goto out;
			}
			nc = realloc(v->permitted_cnames,
			    (v->n_permitted_cnames + 1) * sizeof(*nc));
			if (nc == NULL) {
				r->nomem = r->fatal = 1;
				goto out;
			}
			v->permitted_cnames = nc;
			nc += v->n_permitted_cnames;
			nc->source = xdup(r, arg);
			nc->target = xdup(r, arg2);
			v->n_permitted_cnames++;
			mark(r, kw);
		}
		break;

	case K_STREAM_LOCAL_BIND_MASK: {
		char *end;
		long m;

		arg = arg_next(&a);
		if (arg == NULL || *arg == '\0') {
			say_error(r, "%s line %d: Missing StreamLocalBindMask "
			    "argument.", fn, ln);
			goto out;
		}
		m = strtol(arg, &end, 8);
		if (arg == end || m < 0 || m > 0777) {
			say_error(r, "%s line %d: Bad mask.", fn, ln);
			goto out;
		}
		/* OpenSSH lets the last line win, active or not */
		v->streamlocal_bind_mask = (int)m;
		v->origin[kw] = cur_origin(r);
		break;
	}

	case K_FINGERPRINT_HASH:
		arg = arg_next(&a);
		if (arg == NULL || *arg == '\0') {
			say_error(r, "%s line %d: Missing argument.", fn, ln);
			goto out;
		}
		value = -1;
		for (k = 0; k < NELEM(digest_names); k++) {
			if (strcasecmp(arg, digest_names[k]) == 0)
				value = (int)k;
		}
		if (value == -1) {
			say_error(r, "%s line %d: Invalid hash algorithm \"%s\".",
			    fn, ln, arg);
			goto out;
		}
		if (*activep)
			set_int(r, kw, &v->fingerprint_hash, value);
		break;

	case K_ADD_KEYS_TO_AGENT:
		arg = arg_next(&a);
		arg2 = arg_next(&a);
		if (arg == NULL || *arg == '\0') {
			say_error(r, "%s line %d: missing argument.", fn, ln);
			value = -1;
		} else
			value = multistate_parse(arg, ms_yesnoaskconfirm);
		value2 = 0;
		if (value == 3 && arg2 != NULL) {
			if ((value2 = cfg_parse_time(arg2)) == -1) {
				say_error(r, "%s line %d: invalid time value.", fn,
				    ln);
				goto out;
			}
		} else if (value == -1 && arg2 == NULL) {
			if (arg == NULL ||
			    (value2 = cfg_parse_time(arg)) == -1) {
				say_error(r, "%s line %d: unsupported option", fn,
				    ln);
				goto out;
			}
			value = 1;
		} else if (value == -1 || arg2 != NULL) {
			say_error(r, "%s line %d: unsupported option", fn, ln);
			goto out;
		}
		if (*activep && v->add_keys_to_agent == -1) {
			v->add_keys_to_agent = value;
			v->add_keys_to_agent_lifespan = value2;
			mark(r, kw);
		}
		break;

	default:
		say_error(r, "%s line %d: Unimplemented opcode %d", fn, ln, kw);
		goto out;
	}

 check_extra:
	if (a.ac > 0) {
		say_error(r, "%s line %d: keyword %s extra arguments at end of "
		    "line", fn, ln, keyword);
		goto out;
	}
	ret = 0;
 out:
	free(cond);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Files */

/* secure_permissions(): owned by root or us, not world-writable, and
 * group-writable only when the group holds nobody but the owner. */
static int
permissions_ok_locked(const struct stat *st, uid_t uid)
{
	struct passwd *pw;
	struct group *gr;
	int members = 0;

	if (st->st_uid != 0 && st->st_uid != uid)
		return 0;
	if ((st->st_mode & 002) != 0)
		return 0;
	if ((st->st_mode & 020) == 0)
		return 1;
	if ((gr = getgrgid(st->st_gid)) == NULL)
		return 0;
	setpwent();
	while ((pw = getpwent()) != NULL) {
		if (pw->pw_gid == gr->gr_gid) {
			members++;
			if (pw->pw_uid != uid) {
				endpwent();
				return 0;
			}
		}
	}
	endpwent();
	if ((gr = getgrgid(st->st_gid)) == NULL)
		return 0;
	if ((pw = getpwuid(st->st_uid)) == NULL)
		return 0;
	if (gr->gr_mem[0] != NULL) {
		members++;
		if (strcmp(pw->pw_name, gr->gr_mem[0]) != 0 ||
		    gr->gr_mem[1] != NULL)
			return 0;
	}
	return members != 0;
}

/* The group and passwd walks above use the C library's shared buffers
 * and its one getpwent() cursor: resolutions on several threads (the
 * daemon's workers) take turns. */
static pthread_mutex_t pwdb_mu = PTHREAD_MUTEX_INITIALIZER;

static int
permissions_ok(const struct stat *st, uid_t uid)
{
	int ok;

	pthread_mutex_lock(&pwdb_mu);
	ok = permissions_ok_locked(st, uid);
	pthread_mutex_unlock(&pwdb_mu);
	return ok;
}

static int process_line(struct resolver *r, const struct cfg_line *l,
    const char *fn, int *activep, int flags, int depth);

static void
report_bad_lines(struct resolver *r, const char *path, int bad)
{
	if (!r->fatal && bad > 0) {
		say_error(r, "%s: terminating, %d bad configuration options",
		    path, bad);
		fatal_error(r);
	}
}

/*
 * For a single resolution (the command line): each line is tokenised and
 * applied as it is read and nothing is kept, so a large file costs one
 * copy of its text and no more (OpenSSH reads with getline() the same
 * way).  Same checks and errors as with a cache.
 */
static int
read_file_oneshot(struct resolver *r, const char *path, int flags,
    int *activep, int depth)
{
	struct arena a = { 0 };
	struct cfg_line l;
	struct stat st;
	char *text = NULL, *start, *nl, *end;
	size_t len;
	int fd, rc, fidx, bad = 0, linenum = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -(errno != 0 ? errno : EIO);
	if (fstat(fd, &st) == -1) {
		rc = errno;
		close(fd);
		return -rc;
	}
	if ((flags & RF_CHECKPERM) && !permissions_ok(&st, r->env->uid)) {
		close(fd);
		say_error(r, "Bad owner or permissions on %s", path);
		fatal_error(r);
		return 0;
	}
	rc = file_slurp(fd, &st, &text, &len);
	close(fd);
	if (rc != ERR_OK) {
		if (rc == ERR_TOO_LONG)
			say_error(r, "%s: file too large", path);
		else
			r->nomem = 1;
		fatal_error(r);
		return 0;
	}
	if ((fidx = intern_file(r, path)) < 0 && r->fatal)
		goto out;
	end = text + len;
	for (start = text; start < end && !r->fatal; start = nl + 1) {
		nl = memchr(start, '\n', (size_t)(end - start));
		if (nl == NULL)
			nl = end;
		*nl = '\0';
		linenum++;
		if ((rc = line_parse(&l, start, linenum, &a)) != ERR_OK) {
			r->nomem = r->fatal = 1;
			break;
		}
		if (l.keyword != NULL) {
			r->cur_file = fidx;
			if (process_line(r, &l, path, activep, flags, depth) != 0)
				bad++;
		}
		arena_reset(&a);
	}
	report_bad_lines(r, path, bad);
 out:
	arena_free(&a);
	free(text);
	return 0;
}

/*
 * read_config_file_depth(): 0 when the file was read, -errno when it
 * could not be opened; r->fatal on a fatal error.
 */
static int
read_file(struct resolver *r, const char *path, int flags, int *activep,
    int depth)
{
	struct cfg_file *f;
	size_t i;
	int bad = 0, rc, fidx;

	if (depth < 0 || depth > MAX_INCLUDE_DEPTH) {
		say_error(r, "Too many recursive configuration includes");
		fatal_error(r);
		return 0;
	}
	if (!r->cache->retain)
		return read_file_oneshot(r, path, flags, activep, depth);
	if ((rc = cache_get(r->cache, path, &f)) != ERR_OK) {
		if (rc == ERR_TOO_LONG)
			say_error(r, "%s: file too large", path);
		else
			r->nomem = 1;
		fatal_error(r);
		return 0;
	}
	if (f->open_errno != 0)
		return -f->open_errno;
	if ((flags & RF_CHECKPERM) && !permissions_ok(&f->st, r->env->uid)) {
		say_error(r, "Bad owner or permissions on %s", path);
		fatal_error(r);
		return 0;
	}
	if ((fidx = intern_file(r, path)) < 0 && r->fatal)
		return 0;
	for (i = 0; i < f->n_lines && !r->fatal; i++) {
		r->cur_file = fidx;
		if (process_line(r, &f->lines[i], path, activep, flags,
		    depth) != 0)
			bad++;
	}
	report_bad_lines(r, path, bad);
	return 0;
}

/* process_config_files() in ssh.c */
static void
read_config_files(struct resolver *r, const char *config_file,
    int final_pass)
{
	const struct config_host *e = r->env;
	char *userconf = NULL;
	int active = 1, rc;
	int fin = final_pass ? RF_FINAL : 0;

	if (config_file != NULL) {
		if (strcasecmp(config_file, "none") == 0)
			return;
		rc = read_file(r, config_file, RF_USERCONF | fin, &active, 0);
		if (!r->fatal && rc < 0) {
			say_error(r, "Can't open user config file %.100s: %.100s",
			    config_file, strerror(-rc));
			fatal_error(r);
		}
		return;
	}
	if (e->user_config != NULL)
		(void)read_file(r, e->user_config,
		    RF_CHECKPERM | RF_USERCONF | fin, &active, 0);
	else if (e->home_dir != NULL) {
		size_t n = strlen(e->home_dir) + sizeof("/.ssh/config");

		if ((userconf = malloc(n)) == NULL) {
			r->nomem = r->fatal = 1;
			return;
		}
		snprintf(userconf, n, "%s/.ssh/config", e->home_dir);
		(void)read_file(r, userconf, RF_CHECKPERM | RF_USERCONF | fin,
		    &active, 0);
		free(userconf);
	}
	if (r->fatal)
		return;
	active = 1;
	(void)read_file(r, e->system_config != NULL ? e->system_config :
	    "/etc/ssh/ssh_config", fin, &active, 0);
}

/* ------------------------------------------------------------------ */
/* Values: initial state, defaults, freeing */

static void
values_init(struct cfg_values *v)
{
	size_t i;

	memset(v, 0, sizeof(*v));
	v->forward_agent = v->forward_x11 = v->forward_x11_trusted = -1;
	v->forward_x11_timeout = v->clear_forwardings = -1;
	v->exit_on_forward_failure = v->gateway_ports = -1;
	v->streamlocal_bind_mask = v->streamlocal_bind_unlink = -1;
	v->pubkey_authentication = v->gss_authentication = v->gss_keyex = -1;
	v->gss_deleg_creds = v->gss_trust_dns = v->gss_renewal_rekey = -1;
	v->password_authentication = v->kbd_interactive_authentication = -1;
	v->hostbased_authentication = v->batch_mode = v->check_host_ip = -1;
	v->strict_host_key_checking = v->compression = -1;
	v->tcp_keep_alive = v->port = v->address_family = -1;
	v->connection_attempts = v->connection_timeout = -1;
	v->number_of_password_prompts = v->jump_port = v->escape_char = -1;
	v->log_facility = v->log_level = -1;
	v->enable_ssh_keysign = v->no_host_authentication_for_localhost = -1;
	v->identities_only = -1;
	v->rekey_limit = -1;
	v->rekey_interval = v->verify_host_key_dns = -1;
	v->server_alive_interval = v->server_alive_count_max = -1;
	v->control_master = v->control_persist = -1;
	v->hash_known_hosts = v->tun_open = v->tun_local = v->tun_remote = -1;
	v->permit_local_command = v->add_keys_to_agent = -1;
	v->add_keys_to_agent_lifespan = -1;
	v->visual_host_key = v->ip_qos_interactive = v->ip_qos_bulk = -1;
	v->request_tty = v->session_type = v->stdin_null = -1;
	v->fork_after_authentication = v->proxy_use_fdpass = -1;
	v->canonicalize_max_dots = v->canonicalize_fallback_local = -1;
	v->canonicalize_hostname = v->fingerprint_hash = -1;
	v->update_hostkeys = v->required_rsa_size = -1;
	v->enable_escape_commandline = -1;
	for (i = 0; i < K_COUNT; i++)
		v->origin[i].file = CFG_ORIGIN_UNSET;
}

static void
values_free(struct cfg_values *v)
{
	char **strs[] = {
		&v->host_arg, &v->print_hostname, &v->forward_agent_sock_path,
		&v->xauth_location, &v->gss_client_identity,
		&v->gss_server_identity, &v->gss_kex_algorithms,
		&v->kbd_interactive_devices, &v->ciphers, &v->macs,
		&v->kex_algorithms, &v->hostkeyalgorithms, &v->ca_sign_algorithms,
		&v->hostname, &v->host_key_alias, &v->proxy_command,
		&v->jump_user, &v->jump_host, &v->jump_extra, &v->user,
		&v->preferred_authentications, &v->bind_address,
		&v->bind_interface, &v->pkcs11_provider, &v->sk_provider,
		&v->control_path, &v->local_command, &v->remote_command,
		&v->stdio_forward_host, &v->config_file_arg,
		&v->identity_agent, &v->ignored_unknown, &v->revoked_host_keys,
		&v->hostbased_accepted_algos, &v->pubkey_accepted_algos,
		&v->known_hosts_command,
	};
	size_t i;

	for (i = 0; i < NELEM(strs); i++) {
		free(*strs[i]);
		*strs[i] = NULL;
	}
	strlist_free(&v->identity_files);
	strlist_free(&v->certificate_files);
	strlist_free(&v->system_hostfiles);
	strlist_free(&v->user_hostfiles);
	strlist_free(&v->permitted_remote_opens);
	strlist_free(&v->log_verbose);
	strlist_free(&v->send_env);
	strlist_free(&v->setenv);
	strlist_free(&v->canonical_domains);
	fwdlist_free(&v->local_forwards);
	fwdlist_free(&v->remote_forwards);
	for (i = 0; i < v->n_permitted_cnames; i++) {
		free(v->permitted_cnames[i].source);
		free(v->permitted_cnames[i].target);
	}
	free(v->permitted_cnames);
	for (i = 0; i < v->n_files; i++)
		free(v->files[i]);
	free(v->files);
	for (i = 0; i < v->n_tokens; i++)
		free(v->token_values[i]);
}

int
config_result_expand(const struct config_result *res,
    const struct config_host *host, const char *s, char **outp)
{
	const char *why;
	char *tmp = NULL;
	int r;

	*outp = NULL;
	/* "~/" from the password database, as ssh's tilde_expand_filename() */
	if (strncmp(s, "~/", 2) == 0 || strcmp(s, "~") == 0) {
		size_t n = strlen(host->home_dir) + strlen(s) + 2;

		if ((tmp = malloc(n)) == NULL)
			return ERR_NOMEM;
		snprintf(tmp, n, "%s/%s", host->home_dir, s[1] == '/' ? s + 2 : "");
		s = tmp;
	}
	r = cfg_expand(s, res->v.tokens, res->v.n_tokens, host->getenv_fn,
	    host->getenv_ctx, outp, &why);
	free(tmp);
	return r;
}

size_t
config_result_command_index(const struct config_result *res)
{
	return res->v.command_index;
}

const char *
config_result_stdio_forward(const struct config_result *res, int *portp)
{
	*portp = res->v.stdio_forward_port;
	return res->v.stdio_forward_host;
}

int
config_result_forward(const struct config_result *res, size_t i,
    struct config_forward *f)
{
	const struct cfg_values *v = &res->v;
	const struct cfg_forward *c;

	memset(f, 0, sizeof(*f));
	if (i < v->local_forwards.n) {
		c = &v->local_forwards.v[i];
		/* ssh keeps -D among the local ones, connecting to "socks" */
		f->type = c->connect_host != NULL &&
		    strcmp(c->connect_host, "socks") == 0 ?
		    CONFIG_FWD_DYNAMIC : CONFIG_FWD_LOCAL;
	} else if (i - v->local_forwards.n < v->remote_forwards.n) {
		c = &v->remote_forwards.v[i - v->local_forwards.n];
		f->type = CONFIG_FWD_REMOTE;
	} else
		return 0;
	f->listen_host = c->listen_host;
	f->listen_port = c->listen_port;
	f->listen_path = c->listen_path;
	if (f->type != CONFIG_FWD_DYNAMIC) {
		f->connect_host = c->connect_host;
		f->connect_port = c->connect_port;
		f->connect_path = c->connect_path;
	}
	return 1;
}

int
config_result_jump(const struct config_result *res, const char **userp,
    const char **hostp, int *portp, const char **extrap)
{
	const struct cfg_values *v = &res->v;

	/* "none" left by ProxyJump none, as ssh clears it */
	if (v->jump_host == NULL || (strcmp(v->jump_host, "none") == 0 &&
	    v->jump_port <= 0 && v->jump_user == NULL))
		return 0;
	*userp = v->jump_user;
	*hostp = v->jump_host;
	*portp = v->jump_port;
	*extrap = v->jump_extra;
	return 1;
}

const char *
config_result_config_file(const struct config_result *res)
{
	return res->v.config_file_arg;
}

int
config_result_expand_proxy_command(const struct config_result *res,
    const char *command, char **outp, const char **whyp)
{
	struct cfg_token t[5];
	size_t i, n = 0;

	/* the tokens sshconnect.c gives a ProxyCommand, and no ${VAR} */
	for (i = 0; i < res->v.n_tokens; i++) {
		if (strchr("hknpr", res->v.tokens[i].key) != NULL && n < 5)
			t[n++] = res->v.tokens[i];
	}
	*whyp = NULL;
	/* a name that reaches the shell must not be able to say anything
	 * to it (ssh's valid hostname and user checks); ssh applies them
	 * to names from the command line, we to every name the command
	 * gets, since a HostName with shell syntax cannot resolve anyway */
	for (i = 0; i < n; i++) {
		char tok[3] = { '%', t[i].key, '\0' };

		if (strstr(command, tok) == NULL)
			continue;
		if (t[i].key == 'r' ? !config_valid_user(t[i].value) :
		    t[i].key != 'p' && !config_valid_hostname(t[i].value)) {
			*whyp = t[i].key == 'r' ?
			    "remote username contains invalid characters" :
			    "hostname contains invalid characters";
			return ERR_CONFIG;
		}
	}
	return cfg_expand(command, t, n, NULL, NULL, outp, whyp);
}

void
config_result_free(struct config_result *res)
{
	if (res == NULL)
		return;
	values_free(&res->v);
	free(res);
}

#define DEFAULT_INT(r, kw, field, val) do { \
	if ((field) == -1) { \
		(field) = (val); \
		if ((r)->v->origin[kw].file == CFG_ORIGIN_UNSET) \
			(r)->v->origin[kw].file = CFG_ORIGIN_DEFAULT; \
	} \
} while (0)

static void
set_default_str(struct resolver *r, enum cfg_kw kw, char **field,
    const char *val)
{
	if (*field != NULL)
		return;
	*field = xdup(r, val);
	if (r->v->origin[kw].file == CFG_ORIGIN_UNSET)
		r->v->origin[kw].file = CFG_ORIGIN_DEFAULT;
}

static void
clear_on_none(char **s)
{
	if (*s != NULL && strcasecmp(*s, "none") == 0) {
		free(*s);
		*s = NULL;
	}
}

/*
 * kex_assemble_names() on one list.  On a bad list OpenSSH leaves the
 * list unset and returns an error that fill_default_options() reports
 * but does not act on; the caller decides whether that is fatal.
 */
static int
assemble(struct resolver *r, char **field, enum cfg_alg_kind kind,
    const char *what)
{
	char *out = NULL;
	int rc;

	rc = cfg_alg_assemble(*field, cfg_alg_default(kind), cfg_alg_all(kind),
	    &out);
	if (rc == ERR_NOMEM) {
		r->nomem = r->fatal = 1;
		return -1;
	}
	if (rc != ERR_OK) {
		say_warning(r, "%s: invalid algorithm list \"%s\"", what,
		    *field != NULL ? *field : "");
		free(*field);
		*field = NULL;
		return -1;
	}
	free(*field);
	*field = out;
	return 0;
}

/* fill_default_options(): every unset value gets OpenSSH's default. */
static void
fill_defaults(struct resolver *r)
{
	struct cfg_values *v = r->v;
	static const char *const default_ids[] = {
		"~/.ssh/id_rsa", "~/.ssh/id_ecdsa", "~/.ssh/id_ecdsa_sk",
		"~/.ssh/id_ed25519", "~/.ssh/id_ed25519_sk", "~/.ssh/id_xmss",
		"~/.ssh/id_dsa",
	};
	size_t i;
	int keep_line = r->cur_line, keep_file = r->cur_file;

	DEFAULT_INT(r, K_FORWARD_AGENT, v->forward_agent, 0);
	DEFAULT_INT(r, K_FORWARD_X11, v->forward_x11, 0);
	DEFAULT_INT(r, K_FORWARD_X11_TRUSTED, v->forward_x11_trusted, 1);
	DEFAULT_INT(r, K_FORWARD_X11_TIMEOUT, v->forward_x11_timeout, 1200);
	/* a TCP stdio forward is the whole point of that ssh: it fails
	 * when the forward fails, and carries no other forwarding, unless
	 * the user said otherwise (checked against ssh -G) */
	if (v->stdio_forward_host != NULL &&
	    v->stdio_forward_port != CFG_PORT_STREAMLOCAL) {
		DEFAULT_INT(r, K_EXIT_ON_FORWARD_FAILURE,
		    v->exit_on_forward_failure, 1);
		DEFAULT_INT(r, K_CLEAR_ALL_FORWARDINGS, v->clear_forwardings, 1);
	}
	DEFAULT_INT(r, K_EXIT_ON_FORWARD_FAILURE, v->exit_on_forward_failure, 0);
	DEFAULT_INT(r, K_CLEAR_ALL_FORWARDINGS, v->clear_forwardings, 0);
	if (v->clear_forwardings == 1) {
		fwdlist_free(&v->local_forwards);
		fwdlist_free(&v->remote_forwards);
		v->tun_open = 0;
	}
	set_default_str(r, K_XAUTH_LOCATION, &v->xauth_location,
	    "/usr/bin/xauth");
	DEFAULT_INT(r, K_GATEWAY_PORTS, v->gateway_ports, 0);
	DEFAULT_INT(r, K_STREAM_LOCAL_BIND_MASK, v->streamlocal_bind_mask, 0177);
	DEFAULT_INT(r, K_STREAM_LOCAL_BIND_UNLINK, v->streamlocal_bind_unlink, 0);
	DEFAULT_INT(r, K_PUBKEY_AUTH, v->pubkey_authentication, PUBKEY_AUTH_ALL);
	DEFAULT_INT(r, K_GSS_AUTH, v->gss_authentication, 0);
	DEFAULT_INT(r, K_GSS_KEY_EX, v->gss_keyex, 0);
	DEFAULT_INT(r, K_GSS_DELEGATE_CREDS, v->gss_deleg_creds, 0);
	DEFAULT_INT(r, K_GSS_TRUST_DNS, v->gss_trust_dns, 0);
	DEFAULT_INT(r, K_GSS_RENEWAL_REKEY, v->gss_renewal_rekey, 0);
	set_default_str(r, K_GSS_KEX_ALGORITHMS, &v->gss_kex_algorithms,
	    cfg_alg_default(CFG_ALG_GSS_KEX));
	DEFAULT_INT(r, K_PASSWORD_AUTH, v->password_authentication, 1);
	DEFAULT_INT(r, K_KBD_INTERACTIVE_AUTH, v->kbd_interactive_authentication, 1);
	DEFAULT_INT(r, K_HOSTBASED_AUTH, v->hostbased_authentication, 0);
	DEFAULT_INT(r, K_BATCH_MODE, v->batch_mode, 0);
	DEFAULT_INT(r, K_CHECK_HOST_IP, v->check_host_ip, 0);
	DEFAULT_INT(r, K_STRICT_HOST_KEY_CHECKING, v->strict_host_key_checking,
	    STRICT_ASK);
	DEFAULT_INT(r, K_COMPRESSION, v->compression, 0);
	DEFAULT_INT(r, K_TCP_KEEP_ALIVE, v->tcp_keep_alive, 1);
	DEFAULT_INT(r, K_PORT, v->port, 0);
	DEFAULT_INT(r, K_ADDRESS_FAMILY, v->address_family, AF_UNSPEC);
	DEFAULT_INT(r, K_CONNECTION_ATTEMPTS, v->connection_attempts, 1);
	DEFAULT_INT(r, K_NUMBER_OF_PASSWORD_PROMPTS,
	    v->number_of_password_prompts, 3);
	if (v->add_keys_to_agent == -1) {
		v->add_keys_to_agent = 0;
		v->add_keys_to_agent_lifespan = 0;
		v->origin[K_ADD_KEYS_TO_AGENT].file = CFG_ORIGIN_DEFAULT;
	}
	if (v->identity_files.n == 0) {
		r->cur_file = CFG_ORIGIN_DEFAULT;
		r->cur_line = 0;
		for (i = 0; i < NELEM(default_ids); i++)
			(void)add_key_file(r, &v->identity_files, default_ids[i],
			    0, MAX_IDENTITY_FILES, "identity");
		v->origin[K_IDENTITY_FILE].file = CFG_ORIGIN_DEFAULT;
	}
	DEFAULT_INT(r, K_ESCAPE_CHAR, v->escape_char, '~');
	if (v->system_hostfiles.n == 0) {
		r->cur_file = CFG_ORIGIN_DEFAULT;
		(void)strlist_add(r, &v->system_hostfiles,
		    "/etc/ssh/ssh_known_hosts", 0);
		(void)strlist_add(r, &v->system_hostfiles,
		    "/etc/ssh/ssh_known_hosts2", 0);
		v->origin[K_GLOBAL_KNOWN_HOSTS].file = CFG_ORIGIN_DEFAULT;
	}
	if (v->update_hostkeys == -1) {
		if (v->verify_host_key_dns <= 0 &&
		    (v->user_hostfiles.n == 0 || (v->user_hostfiles.n == 1 &&
		    strcmp(v->user_hostfiles.v[0], "~/.ssh/known_hosts") == 0)))
			v->update_hostkeys = 1;
		else
			v->update_hostkeys = 0;
		v->origin[K_UPDATE_HOST_KEYS].file = CFG_ORIGIN_DEFAULT;
	}
	if (v->user_hostfiles.n == 0) {
		r->cur_file = CFG_ORIGIN_DEFAULT;
		(void)strlist_add(r, &v->user_hostfiles, "~/.ssh/known_hosts", 0);
		(void)strlist_add(r, &v->user_hostfiles, "~/.ssh/known_hosts2", 0);
		v->origin[K_USER_KNOWN_HOSTS].file = CFG_ORIGIN_DEFAULT;
	}
	DEFAULT_INT(r, K_LOG_LEVEL, v->log_level, LOG_LEVEL_INFO);
	DEFAULT_INT(r, K_LOG_FACILITY, v->log_facility, LOG_FACILITY_USER);
	DEFAULT_INT(r, K_NO_HOST_AUTH_FOR_LOCALHOST,
	    v->no_host_authentication_for_localhost, 0);
	DEFAULT_INT(r, K_IDENTITIES_ONLY, v->identities_only, 0);
	DEFAULT_INT(r, K_ENABLE_SSH_KEYSIGN, v->enable_ssh_keysign, 0);
	if (v->rekey_limit == -1) {
		v->rekey_limit = 0;
		if (v->origin[K_REKEY_LIMIT].file == CFG_ORIGIN_UNSET)
			v->origin[K_REKEY_LIMIT].file = CFG_ORIGIN_DEFAULT;
	}
	if (v->rekey_interval == -1)
		v->rekey_interval = 0;
	DEFAULT_INT(r, K_VERIFY_HOST_KEY_DNS, v->verify_host_key_dns, 0);
	DEFAULT_INT(r, K_SERVER_ALIVE_INTERVAL, v->server_alive_interval,
	    v->batch_mode == 1 ? 300 : 0);
	DEFAULT_INT(r, K_SERVER_ALIVE_COUNT_MAX, v->server_alive_count_max, 3);
	DEFAULT_INT(r, K_CONTROL_MASTER, v->control_master, 0);
	if (v->control_persist == -1) {
		v->control_persist = 0;
		v->control_persist_timeout = 0;
		v->origin[K_CONTROL_PERSIST].file = CFG_ORIGIN_DEFAULT;
	}
	DEFAULT_INT(r, K_HASH_KNOWN_HOSTS, v->hash_known_hosts, 0);
	DEFAULT_INT(r, K_TUNNEL, v->tun_open, 0);
	DEFAULT_INT(r, K_TUNNEL_DEVICE, v->tun_local, CFG_TUNID_ANY);
	if (v->tun_remote == -1)
		v->tun_remote = CFG_TUNID_ANY;
	DEFAULT_INT(r, K_PERMIT_LOCAL_COMMAND, v->permit_local_command, 0);
	DEFAULT_INT(r, K_VISUAL_HOST_KEY, v->visual_host_key, 0);
	DEFAULT_INT(r, K_IPQOS, v->ip_qos_interactive, 0x10);
	if (v->ip_qos_bulk == -1)
		v->ip_qos_bulk = 0x08;
	DEFAULT_INT(r, K_REQUEST_TTY, v->request_tty, REQUEST_TTY_AUTO);
	DEFAULT_INT(r, K_SESSION_TYPE, v->session_type, SESSION_TYPE_DEFAULT);
	DEFAULT_INT(r, K_STDIN_NULL, v->stdin_null, 0);
	DEFAULT_INT(r, K_FORK_AFTER_AUTHENTICATION, v->fork_after_authentication, 0);
	DEFAULT_INT(r, K_PROXY_USE_FDPASS, v->proxy_use_fdpass, 0);
	DEFAULT_INT(r, K_CANONICALIZE_MAX_DOTS, v->canonicalize_max_dots, 1);
	DEFAULT_INT(r, K_CANONICALIZE_FALLBACK_LOCAL,
	    v->canonicalize_fallback_local, 1);
	DEFAULT_INT(r, K_CANONICALIZE_HOSTNAME, v->canonicalize_hostname,
	    CANON_NO);
	DEFAULT_INT(r, K_FINGERPRINT_HASH, v->fingerprint_hash, DIGEST_SHA256);
	set_default_str(r, K_SECURITY_KEY_PROVIDER, &v->sk_provider, "internal");
	DEFAULT_INT(r, K_REQUIRED_RSA_SIZE, v->required_rsa_size, 1024);
	DEFAULT_INT(r, K_ENABLE_ESCAPE_COMMANDLINE, v->enable_escape_commandline, 0);

	if (v->ciphers == NULL)
		v->origin[K_CIPHERS].file = CFG_ORIGIN_DEFAULT;
	if (v->macs == NULL)
		v->origin[K_MACS].file = CFG_ORIGIN_DEFAULT;
	if (v->kex_algorithms == NULL)
		v->origin[K_KEX_ALGORITHMS].file = CFG_ORIGIN_DEFAULT;
	if (v->hostbased_accepted_algos == NULL)
		v->origin[K_HOSTBASED_ACCEPTED_ALGORITHMS].file = CFG_ORIGIN_DEFAULT;
	if (v->pubkey_accepted_algos == NULL)
		v->origin[K_PUBKEY_ACCEPTED_ALGORITHMS].file = CFG_ORIGIN_DEFAULT;
	if (v->ca_sign_algorithms == NULL)
		v->origin[K_CA_SIGNATURE_ALGORITHMS].file = CFG_ORIGIN_DEFAULT;
	if (v->hostkeyalgorithms == NULL)
		v->origin[K_HOST_KEY_ALGORITHMS].file = CFG_ORIGIN_DEFAULT;
	if (assemble(r, &v->ciphers, CFG_ALG_CIPHER, "ciphers") != 0 ||
	    assemble(r, &v->macs, CFG_ALG_MAC, "macs") != 0 ||
	    assemble(r, &v->kex_algorithms, CFG_ALG_KEX, "kex_algorithms") != 0 ||
	    assemble(r, &v->hostbased_accepted_algos, CFG_ALG_KEY,
	    "hostbased_accepted_algos") != 0 ||
	    assemble(r, &v->pubkey_accepted_algos, CFG_ALG_KEY,
	    "pubkey_accepted_algos") != 0 ||
	    assemble(r, &v->ca_sign_algorithms, CFG_ALG_CA_SIG,
	    "ca_sign_algorithms") != 0) {
		/* OpenSSH's fill_default_options() returns success from here
		 * and skips the rest: the lists after the bad one stay as
		 * configured and "none" values are not cleared.  ssh -G shows
		 * that, so we keep it. */
		goto done;
	}

	clear_on_none(&v->local_command);
	clear_on_none(&v->remote_command);
	clear_on_none(&v->proxy_command);
	clear_on_none(&v->control_path);
	clear_on_none(&v->revoked_host_keys);
	clear_on_none(&v->pkcs11_provider);
	clear_on_none(&v->sk_provider);
	clear_on_none(&v->known_hosts_command);
	if (v->jump_host != NULL && strcmp(v->jump_host, "none") == 0 &&
	    v->jump_port == 0 && v->jump_user == NULL) {
		free(v->jump_host);
		v->jump_host = NULL;
	}
	if (v->n_permitted_cnames == 1 &&
	    strcasecmp(v->permitted_cnames[0].source, "none") == 0 &&
	    strcmp(v->permitted_cnames[0].target, "") == 0) {
		free(v->permitted_cnames[0].source);
		free(v->permitted_cnames[0].target);
		v->n_permitted_cnames = 0;
	}
 done:
	r->cur_line = keep_line;
	r->cur_file = keep_file;
}

/* ------------------------------------------------------------------ */
/* The command line */

struct cmdline {
	const char *config_file;
	char *host;
	int user_on_commandline;
	int have_command;
};

static char *tilde_expand(struct resolver *r, const char *path);

/* Applies one -o value as process_config_line() does for "command-line". */
static int
apply_option(struct resolver *r, const char *text)
{
	struct arena a = { 0 };
	struct cfg_line l;
	char *copy;
	int rc, ret = 0;

	/* the parsed line points into copy: it lives until the end */
	if ((copy = strdup(text)) == NULL) {
		r->nomem = r->fatal = 1;
		return -1;
	}
	rc = line_parse(&l, copy, 0, &a);
	if (rc != ERR_OK) {
		r->nomem = r->fatal = 1;
		ret = -1;
	} else if (l.keyword != NULL) {
		r->cur_file = CFG_ORIGIN_CMDLINE;
		ret = process_line(r, &l, "command-line", NULL, RF_USERCONF, 0);
	}
	arena_free(&a);
	free(copy);
	return ret;
}

/* The ssh options that take an argument (ssh.c's getopt string). */
static const char ssh_opts_with_arg[] = "bceilmopBDEFIJLOQRSWw";
static const char ssh_opts_flags[] = "1246afgknqstvxyACGKMNPTVXY";

static int
usage_error(struct resolver *r, const char *what)
{
	say_error(r, "usage: sshbroker resolve [-F file] [-o opt=value] "
	    "[-p port] [-l user] [-J jumps] destination (%s)", what);
	fatal_error(r);
	return -1;
}

/* One option letter with its argument (NULL for flags). */
static int
apply_flag(struct resolver *r, struct cmdline *c, char opt, const char *arg)
{
	struct cfg_values *v = r->v;
	long long n;

	r->cur_file = CFG_ORIGIN_CMDLINE;
	r->cur_line = 0;
	switch (opt) {
	case 'F':
		c->config_file = arg;
		return 0;
	case 'o':
		if (apply_option(r, arg) != 0) {
			fatal_error(r);
			return -1;
		}
		return 0;
	case 'p':
		if (v->port == -1) {
			v->port = cfg_parse_port(arg);
			if (v->port <= 0) {
				say_error(r, "Bad port '%s'", arg);
				fatal_error(r);
				return -1;
			}
			mark(r, K_PORT);
		}
		return 0;
	case 'l':
		if (v->user == NULL) {
			if ((v->user = xdup(r, arg)) == NULL)
				return -1;
			c->user_on_commandline = 1;
			mark(r, K_USER);
		}
		return 0;
	case 'J':
		if (v->jump_host != NULL) {
			say_error(r, "Only a single -J option is permitted (use "
			    "commas to separate multiple jump hops)");
			fatal_error(r);
			return -1;
		}
		if (v->proxy_command != NULL) {
			say_error(r, "Cannot specify -J with ProxyCommand");
			fatal_error(r);
			return -1;
		}
		if (cfg_parse_jump(r, arg, 1, 1) == -1) {
			say_error(r, "Invalid -J argument");
			fatal_error(r);
			return -1;
		}
		return 0;
	case '4':
		v->address_family = AF_INET;
		mark(r, K_ADDRESS_FAMILY);
		return 0;
	case '6':
		v->address_family = AF_INET6;
		mark(r, K_ADDRESS_FAMILY);
		return 0;
	case 'A':
		v->forward_agent = 1;
		mark(r, K_FORWARD_AGENT);
		return 0;
	case 'a':
		v->forward_agent = 0;
		mark(r, K_FORWARD_AGENT);
		return 0;
	case 'C':
		v->compression = 1;
		mark(r, K_COMPRESSION);
		return 0;
	case 'X':
		v->forward_x11 = 1;
		mark(r, K_FORWARD_X11);
		return 0;
	case 'x':
		v->forward_x11 = 0;
		mark(r, K_FORWARD_X11);
		return 0;
	case 'Y':
		v->forward_x11 = 1;
		v->forward_x11_trusted = 1;
		mark(r, K_FORWARD_X11);
		mark(r, K_FORWARD_X11_TRUSTED);
		return 0;
	case 'g':
		v->gateway_ports = 1;
		mark(r, K_GATEWAY_PORTS);
		return 0;
	case 'n':
		v->stdin_null = 1;
		mark(r, K_STDIN_NULL);
		return 0;
	case 'f':
		v->fork_after_authentication = 1;
		v->stdin_null = 1;
		mark(r, K_FORK_AFTER_AUTHENTICATION);
		mark(r, K_STDIN_NULL);
		return 0;
	case 'T':
		v->request_tty = REQUEST_TTY_NO;
		mark(r, K_REQUEST_TTY);
		return 0;
	case 't':
		v->request_tty = v->request_tty == 2 ? 3 : 2;
		mark(r, K_REQUEST_TTY);
		return 0;
	case 'N':
		if (v->session_type != -1 && v->session_type != SESSION_TYPE_NONE) {
			say_error(r, "Cannot specify -N with -s/SessionType");
			fatal_error(r);
			return -1;
		}
		v->session_type = SESSION_TYPE_NONE;
		v->request_tty = REQUEST_TTY_NO;
		mark(r, K_SESSION_TYPE);
		mark(r, K_REQUEST_TTY);
		return 0;
	case 's':
		if (v->session_type != -1 && v->session_type != 1) {
			say_error(r, "Cannot specify -s with -N/SessionType");
			fatal_error(r);
			return -1;
		}
		v->session_type = 1;
		mark(r, K_SESSION_TYPE);
		return 0;
	case 'q':
		v->log_level = LOG_LEVEL_QUIET;
		mark(r, K_LOG_LEVEL);
		return 0;
	case 'k':
		v->gss_deleg_creds = 0;
		mark(r, K_GSS_DELEGATE_CREDS);
		return 0;
	case 'K':
		v->gss_authentication = 1;
		v->gss_deleg_creds = 1;
		mark(r, K_GSS_AUTH);
		mark(r, K_GSS_DELEGATE_CREDS);
		return 0;
	case 'M':
		v->control_master = v->control_master == 1 ? 3 : 1;
		mark(r, K_CONTROL_MASTER);
		return 0;
	case 'S':
		free(v->control_path);
		if ((v->control_path = xdup(r, arg)) == NULL)
			return -1;
		mark(r, K_CONTROL_PATH);
		return 0;
	case 'b':
		free(v->bind_address);
		if ((v->bind_address = xdup(r, arg)) == NULL)
			return -1;
		mark(r, K_BIND_ADDRESS);
		return 0;
	case 'B':
		free(v->bind_interface);
		if ((v->bind_interface = xdup(r, arg)) == NULL)
			return -1;
		mark(r, K_BIND_INTERFACE);
		return 0;
	case 'G':
	case '2':
	case 'P':
		return 0;
	case 'c':
		/* ssh takes -c over any Ciphers line, validated the same way */
		if (!cfg_alg_names_valid(CFG_ALG_CIPHER,
		    *arg == '+' || *arg == '^' ? arg + 1 : arg)) {
			say_error(r, "Unknown cipher type '%s'", arg);
			fatal_error(r);
			return -1;
		}
		free(v->ciphers);
		if ((v->ciphers = xdup(r, arg)) == NULL)
			return -1;
		mark(r, K_CIPHERS);
		return 0;
	case 'm':
		if (!cfg_alg_names_valid(CFG_ALG_MAC, arg)) {
			say_error(r, "Unknown mac type '%s'", arg);
			fatal_error(r);
			return -1;
		}
		free(v->macs);
		if ((v->macs = xdup(r, arg)) == NULL)
			return -1;
		mark(r, K_MACS);
		return 0;
	case 'i': {
		/* ssh expands "~" and adds the file only if it exists */
		struct stat st;
		char *path = tilde_expand(r, arg);

		if (path == NULL)
			return -1;
		if (stat(path, &st) == -1)
			say_warning(r, "Warning: Identity file %s not accessible: "
			    "%s.", path, strerror(errno));
		else
			(void)add_key_file(r, &v->identity_files, path, 1,
			    MAX_IDENTITY_FILES, "identity");
		free(path);
		mark(r, K_IDENTITY_FILE);
		return r->fatal ? -1 : 0;
	}
	case 'e':
		if (arg[0] == '^' && arg[1] != '\0' && arg[2] == '\0' &&
		    (unsigned char)arg[1] >= 64 && (unsigned char)arg[1] < 128)
			v->escape_char = (unsigned char)arg[1] & 31;
		else if (strlen(arg) == 1)
			v->escape_char = (unsigned char)arg[0];
		else if (strcmp(arg, "none") == 0)
			v->escape_char = CFG_ESCAPE_NONE;
		else {
			say_error(r, "Bad escape character '%s'.", arg);
			fatal_error(r);
			return -1;
		}
		mark(r, K_ESCAPE_CHAR);
		return 0;
	case 'L':
	case 'R':
	case 'D': {
		/* as ssh.c: -R takes a remote dynamic forward as well */
		struct cfg_forward fwd;
		int ok = cfg_parse_forward(&fwd, arg, opt == 'D', opt == 'R');

		if (!ok && opt == 'R')
			ok = cfg_parse_forward(&fwd, arg, 1, 1);
		if (!ok) {
			say_error(r, "Bad %s forwarding specification '%s'",
			    opt == 'L' ? "local" : opt == 'R' ? "remote" :
			    "dynamic", arg);
			fatal_error(r);
			return -1;
		}
		add_forward(r, opt == 'R' ? &v->remote_forwards :
		    &v->local_forwards, &fwd);
		return r->fatal ? -1 : 0;
	}
	case 'W': {
		struct cfg_forward fwd;

		if (v->stdio_forward_host != NULL) {
			say_error(r, "stdio forward already specified");
			fatal_error(r);
			return -1;
		}
		memset(&fwd, 0, sizeof(fwd));
		if (cfg_parse_forward(&fwd, arg, 1, 0) == 0) {
			cfg_forward_clear(&fwd);
			say_error(r, "Bad stdio forwarding specification '%s'",
			    arg);
			fatal_error(r);
			return -1;
		}
		v->stdio_forward_port = fwd.listen_port;
		if (fwd.listen_port == CFG_PORT_STREAMLOCAL) {
			v->stdio_forward_host = fwd.listen_path;
			fwd.listen_path = NULL;
		} else {
			v->stdio_forward_host = fwd.listen_host;
			fwd.listen_host = NULL;
		}
		/* a bare port leaves no host: ssh then forwards nothing and
		 * runs no session, like -N */
		cfg_forward_clear(&fwd);
		v->request_tty = REQUEST_TTY_NO;
		v->session_type = SESSION_TYPE_NONE;
		mark(r, K_REQUEST_TTY);
		mark(r, K_SESSION_TYPE);
		return 0;
	}
	case 'w':
		(void)n;
		if (v->tun_open == -1)
			v->tun_open = 1;
		v->tun_local = cfg_parse_tun(arg, &v->tun_remote);
		if (v->tun_local == CFG_TUNID_ERR) {
			say_error(r, "Bad tun device '%s'", arg);
			fatal_error(r);
			return -1;
		}
		mark(r, K_TUNNEL_DEVICE);
		return 0;
	default:
		say_error(r, "sshbroker: option -%c is not supported", opt);
		fatal_error(r);
		return -1;
	}
}

/*
 * One round of BSD getopt over argv[*ip...]: stops at the first
 * non-option or after "--".  Returns 0 or -1.
 */
static int
parse_options(struct resolver *r, struct cmdline *c, char *const *argv,
    size_t argc, size_t *ip, int *terminated)
{
	size_t i = *ip;
	const char *a, *arg;
	char opt;
	size_t k;

	*terminated = 0;
	while (i < argc && !r->fatal) {
		a = argv[i];
		if (a[0] != '-' || a[1] == '\0')
			break;
		if (strcmp(a, "--") == 0) {
			i++;
			*terminated = 1;
			break;
		}
		for (k = 1; a[k] != '\0'; k++) {
			opt = a[k];
			if (strchr(ssh_opts_with_arg, opt) != NULL) {
				if (a[k + 1] != '\0')
					arg = a + k + 1;
				else if (i + 1 < argc)
					arg = argv[++i];
				else
					return usage_error(r, "option needs an argument");
				if (apply_flag(r, c, opt, arg) != 0)
					return -1;
				break;
			}
			if (strchr(ssh_opts_flags, opt) == NULL)
				return usage_error(r, "unknown option");
			if (apply_flag(r, c, opt, NULL) != 0)
				return -1;
		}
		i++;
	}
	*ip = i;
	return r->fatal ? -1 : 0;
}

/* The destination: ssh://[user@]host[:port] or [user@]host. */
static int
parse_destination(struct resolver *r, struct cmdline *c, const char *dest)
{
	struct cfg_values *v = r->v;
	char *tuser = NULL, *thost = NULL, *p, *at;
	int tport = -1, rc;

	rc = cfg_parse_ssh_uri(dest, &tuser, &thost, &tport);
	if (rc == -1)
		return usage_error(r, "bad ssh:// destination");
	r->cur_file = CFG_ORIGIN_CMDLINE;
	r->cur_line = 0;
	if (rc == 0) {
		if (v->user == NULL && tuser != NULL) {
			v->user = tuser;
			tuser = NULL;
			c->user_on_commandline = 1;
			mark(r, K_USER);
		}
		free(tuser);
		if (v->port == -1 && tport != -1) {
			v->port = tport;
			mark(r, K_PORT);
		}
		c->host = thost;
		return 0;
	}
	if ((p = strdup(dest)) == NULL) {
		r->nomem = r->fatal = 1;
		return -1;
	}
	if ((at = strrchr(p, '@')) != NULL) {
		if (at == p) {
			free(p);
			return usage_error(r, "empty user name");
		}
		*at = '\0';
		if (v->user == NULL) {
			v->user = xdup(r, p);
			c->user_on_commandline = 1;
			mark(r, K_USER);
		}
		c->host = xdup(r, at + 1);
		free(p);
	} else
		c->host = p;
	return c->host == NULL ? -1 : 0;
}

/* ------------------------------------------------------------------ */
/* Canonicalisation (ssh.c resolve_canonicalize() and friends) */

static int
is_addr_fast(const char *name)
{
	return strchr(name, '%') != NULL || strchr(name, ':') != NULL ||
	    strspn(name, "0123456789.") == strlen(name);
}

/* The numeric form of an address literal, or -1 when name is not exactly
 * one address.  Pure parsing: AI_NUMERICHOST never touches the network. */
static int
numeric_address(const char *name, int family, char *out, size_t outlen)
{
	struct addrinfo hints, *res = NULL;
	int ok;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family == -1 ? AF_UNSPEC : family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	if (getaddrinfo(name, "22", &hints, &res) != 0 || res == NULL)
		return -1;
	ok = res->ai_next == NULL && (out == NULL ||
	    getnameinfo(res->ai_addr, res->ai_addrlen, out, (socklen_t)outlen,
	    NULL, 0, NI_NUMERICHOST) == 0);
	freeaddrinfo(res);
	return ok ? 0 : -1;
}

static int
has_permitted_cnames(const struct cfg_values *v)
{
	if (v->n_permitted_cnames == 1 &&
	    strcasecmp(v->permitted_cnames[0].source, "none") == 0 &&
	    strcmp(v->permitted_cnames[0].target, "") == 0)
		return 0;
	return v->n_permitted_cnames > 0;
}

/* A DNS lookup through the host's resolver; 0 when found. */
static int
lookup_name(struct resolver *r, const char *name, char *cname, size_t clen)
{
	const char *why;

	cname[0] = '\0';
	if (r->env->resolve_fn == NULL)
		return -1;
	if (r->env->resolve_fn(r->env->resolve_ctx, name, r->v->address_family,
	    cname, clen) != 0)
		return -1;
	if (cname[0] != '\0' && !cfg_valid_domain(cname, 0, &why))
		cname[0] = '\0';
	return 0;
}

static int
follow_cname(struct resolver *r, int direct, char **namep, const char *cname)
{
	struct cfg_values *v = r->v;
	size_t i;
	char *n;

	if (*cname == '\0' || !has_permitted_cnames(v) ||
	    strcmp(*namep, cname) == 0)
		return 0;
	if (v->canonicalize_hostname == CANON_NO)
		return 0;
	if (!direct && v->canonicalize_hostname != CANON_ALWAYS)
		return 0;
	for (i = 0; i < v->n_permitted_cnames; i++) {
		if (cfg_match_pattern_list(*namep, v->permitted_cnames[i].source,
		    1) != 1 || cfg_match_pattern_list(cname,
		    v->permitted_cnames[i].target, 1) != 1)
			continue;
		if ((n = xdup(r, cname)) == NULL)
			return 0;
		free(*namep);
		*namep = n;
		return 1;
	}
	return 0;
}

/* Returns 1 when host was resolved (ssh keeps the addresses). */
static int
canonicalize(struct resolver *r, char **hostp)
{
	struct cfg_values *v = r->v;
	char newname[NI_MAXHOST], *full = NULL, *n;
	const char *cp;
	size_t i, len;
	int direct, ndots = 0;

	if (numeric_address(*hostp, v->address_family, newname,
	    sizeof(newname)) == 0) {
		if (strcasecmp(*hostp, newname) != 0) {
			if ((n = xdup(r, newname)) == NULL)
				return 0;
			free(*hostp);
			*hostp = n;
		}
		return 1;
	}
	if (is_addr_fast(*hostp))
		return 0;
	if (v->canonicalize_hostname == CANON_NO)
		return 0;
	direct = (v->proxy_command == NULL ||
	    strcasecmp(v->proxy_command, "none") == 0) && v->jump_host == NULL;
	if (!direct && v->canonicalize_hostname != CANON_ALWAYS)
		return 0;
	len = strlen(*hostp);
	if (len > 0 && (*hostp)[len - 1] == '.') {
		if ((full = xdup(r, *hostp)) == NULL)
			return 0;
		if (lookup_name(r, full, newname, sizeof(newname)) == 0)
			goto found;
		free(full);
		goto notfound;
	}
	for (cp = *hostp; *cp != '\0'; cp++) {
		if (*cp == '.')
			ndots++;
	}
	if (ndots > v->canonicalize_max_dots)
		return 0;
	for (i = 0; i < v->canonical_domains.n; i++) {
		size_t flen;

		if (strcasecmp(v->canonical_domains.v[i], "none") == 0)
			break;
		flen = len + strlen(v->canonical_domains.v[i]) + 3;
		if ((full = malloc(flen)) == NULL) {
			r->nomem = r->fatal = 1;
			return 0;
		}
		snprintf(full, flen, "%s.%s.", *hostp, v->canonical_domains.v[i]);
		if (lookup_name(r, full, newname, sizeof(newname)) != 0) {
			free(full);
			continue;
		}
 found:
		full[strlen(full) - 1] = '\0';
		(void)follow_cname(r, direct, &full, newname);
		free(*hostp);
		*hostp = full;
		return 1;
	}
 notfound:
	if (!v->canonicalize_fallback_local) {
		say_error(r, "ssh: Could not resolve host \"%s\"", *hostp);
		fatal_error(r);
	}
	return 0;
}

static void
lowercase(char *s)
{
	for (; *s != '\0'; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* tilde_expand_filename(): "~" and "~/" from the password database,
 * "~user/" from that user's entry. */
static char *
tilde_expand(struct resolver *r, const char *path)
{
	const char *rest, *home;
	struct passwd *pw;
	char user[256], pwhome[4096], *out;
	size_t ulen, n;

	if (*path != '~')
		return xdup(r, path);
	rest = path + 1;
	if (*rest == '\0' || *rest == '/') {
		home = r->env->home_dir;
		rest += strspn(rest, "/");
	} else {
		ulen = strcspn(rest, "/");
		if (ulen >= sizeof(user)) {
			say_error(r, "tilde_expand: No such user %s", rest);
			fatal_error(r);
			return NULL;
		}
		memcpy(user, rest, ulen);
		user[ulen] = '\0';
		pthread_mutex_lock(&pwdb_mu);
		if ((pw = getpwnam(user)) == NULL ||
		    strlen(pw->pw_dir) >= sizeof(pwhome)) {
			pthread_mutex_unlock(&pwdb_mu);
			say_error(r, "tilde_expand: No such user %s", user);
			fatal_error(r);
			return NULL;
		}
		/* a copy: the entry is shared with other threads */
		memcpy(pwhome, pw->pw_dir, strlen(pw->pw_dir) + 1);
		pthread_mutex_unlock(&pwdb_mu);
		home = pwhome;
		rest += ulen;
		rest += strspn(rest, "/");
	}
	n = strlen(home) + strlen(rest) + 2;
	if ((out = malloc(n)) == NULL) {
		r->nomem = r->fatal = 1;
		return NULL;
	}
	snprintf(out, n, "%s%s%s", home,
	    (*home == '\0' || home[strlen(home) - 1] != '/') ? "/" : "", rest);
	if (strlen(out) >= PATH_MAX) {
		free(out);
		say_error(r, "tilde_expand: Path too long");
		fatal_error(r);
		return NULL;
	}
	return out;
}

/* Expands the standard client tokens (and ${VAR} when dollar) in *field. */
static void
expand_field(struct resolver *r, char **field, const struct cfg_token *t,
    size_t nt, int tilde, int dollar, const char *what)
{
	char *tmp = NULL, *out = NULL;
	const char *why;

	if (*field == NULL || r->fatal)
		return;
	if (tilde) {
		if ((tmp = tilde_expand(r, *field)) == NULL)
			return;
	}
	if (cfg_expand(tmp != NULL ? tmp : *field, t, nt,
	    dollar ? env_get_cb : NULL, r, &out, &why) != ERR_OK) {
		say_error(r, "%s: %s in \"%s\"", what,
		    why != NULL ? why : "invalid expansion", *field);
		fatal_error(r);
		free(tmp);
		return;
	}
	free(tmp);
	free(*field);
	*field = out;
}

/* ------------------------------------------------------------------ */
/* The whole resolution, in ssh.c's order */

static void
finish(struct resolver *r, struct cmdline *c)
{
	struct cfg_values *v = r->v;
	struct conn_info ci;
	struct cfg_token t[11];
	size_t nt, i;
	char *p;
	int port, jump_port;
	const char *jump_user;

	if (v->user == NULL) {
		v->user = xdup(r, r->env->user_name);
		v->origin[K_USER].file = CFG_ORIGIN_DEFAULT;
	}
	if (r->fatal)
		return;
	if (v->jump_host != NULL) {
		port = v->port <= 0 ? default_ssh_port() : v->port;
		jump_port = v->jump_port <= 0 ? default_ssh_port() : v->jump_port;
		jump_user = v->jump_user != NULL ? v->jump_user : v->user;
		if (strcmp(v->jump_host, c->host) == 0 && port == jump_port &&
		    strcmp(v->user, jump_user) == 0) {
			say_error(r, "jumphost loop via %s", v->jump_host);
			fatal_error(r);
			return;
		}
		if (v->proxy_command != NULL &&
		    strcasecmp(v->proxy_command, "none") != 0) {
			say_error(r, "inconsistent options: ProxyCommand+ProxyJump");
			fatal_error(r);
			return;
		}
		/* a jump never passes file descriptors */
		v->proxy_use_fdpass = 0;
	}
	if (v->port == 0)
		v->port = default_ssh_port();
	if (v->host_key_alias != NULL)
		lowercase(v->host_key_alias);
	if (v->proxy_command != NULL && strcmp(v->proxy_command, "-") == 0 &&
	    v->proxy_use_fdpass) {
		say_error(r, "ProxyCommand=- and ProxyUseFDPass are incompatible");
		fatal_error(r);
		return;
	}
	if (v->update_hostkeys == 2) {
		if (v->control_persist && v->control_path != NULL)
			v->update_hostkeys = 0;
		else if (c->have_command || v->remote_command != NULL ||
		    v->request_tty == REQUEST_TTY_NO)
			v->update_hostkeys = 0;
		else if (v->log_level < LOG_LEVEL_INFO)
			v->update_hostkeys = 0;
	}
	if (v->connection_attempts <= 0) {
		say_error(r, "Invalid number of ConnectionAttempts");
		fatal_error(r);
		return;
	}
	if (c->have_command && v->remote_command != NULL) {
		say_error(r, "Cannot execute command-line and remote command.");
		fatal_error(r);
		return;
	}
	if (v->fork_after_authentication && !c->have_command &&
	    v->remote_command == NULL && v->session_type != SESSION_TYPE_NONE) {
		say_error(r, "Cannot fork into background without a command to "
		    "execute.");
		fatal_error(r);
		return;
	}

	if (conn_info_fill(r, &ci, c->host, v->port,
	    v->host_key_alias != NULL ? v->host_key_alias : v->host_arg,
	    v->host_arg, v->user) != ERR_OK) {
		r->fatal = 1;
		return;
	}
	nt = conn_info_tokens(&ci, t);
	for (i = 0; i < nt; i++) {
		if ((v->token_values[i] = xdup(r, t[i].value)) == NULL)
			return;
		v->tokens[i].key = t[i].key;
		v->tokens[i].value = v->token_values[i];
	}
	v->n_tokens = nt;
	if (c->user_on_commandline && !config_valid_user(v->user)) {
		say_error(r, "remote username contains invalid characters");
		fatal_error(r);
		return;
	}
	expand_field(r, &v->remote_command, t, nt, 0, 0, "RemoteCommand");
	expand_field(r, &v->control_path, t, nt, 1, 1, "ControlPath");
	expand_field(r, &v->identity_agent, t, nt, 1, 1, "IdentityAgent");
	if (v->forward_agent_sock_path != NULL && !r->fatal) {
		struct stat st;

		expand_field(r, &v->forward_agent_sock_path, t, nt, 1, 1,
		    "ForwardAgent");
		if (!r->fatal && stat(v->forward_agent_sock_path, &st) != 0) {
			say_warning(r, "Cannot forward agent socket path \"%s\": %s",
			    v->forward_agent_sock_path, strerror(errno));
			if (v->exit_on_forward_failure) {
				fatal_error(r);
				return;
			}
		}
	}
	if (v->system_hostfiles.n > 0 &&
	    strcasecmp(v->system_hostfiles.v[0], "none") == 0) {
		if (v->system_hostfiles.n > 1) {
			say_error(r, "Invalid GlobalKnownHostsFiles: \"none\" "
			    "appears with other entries");
			fatal_error(r);
			return;
		}
		strlist_remove(&v->system_hostfiles, 0);
	}
	if (v->user_hostfiles.n > 0 &&
	    strcasecmp(v->user_hostfiles.v[0], "none") == 0) {
		if (v->user_hostfiles.n > 1) {
			say_error(r, "Invalid UserKnownHostsFiles: \"none\" "
			    "appears with other entries");
			fatal_error(r);
			return;
		}
		strlist_remove(&v->user_hostfiles, 0);
	}
	for (i = 0; i < v->user_hostfiles.n && !r->fatal; i++)
		expand_field(r, &v->user_hostfiles.v[i], t, nt, 1, 1,
		    "UserKnownHostsFile");
	for (i = 0; i < v->local_forwards.n && !r->fatal; i++) {
		expand_field(r, &v->local_forwards.v[i].listen_path, t, nt, 0, 0,
		    "LocalForward");
		expand_field(r, &v->local_forwards.v[i].connect_path, t, nt, 0, 0,
		    "LocalForward");
	}
	for (i = 0; i < v->remote_forwards.n && !r->fatal; i++) {
		expand_field(r, &v->remote_forwards.v[i].listen_path, t, nt, 0, 0,
		    "RemoteForward");
		expand_field(r, &v->remote_forwards.v[i].connect_path, t, nt, 0,
		    0, "RemoteForward");
	}
	if (r->fatal)
		return;
	/* dump_client_config() assembles HostKeyAlgorithms late: by default
	 * ssh would choose them from known_hosts */
	if (assemble(r, &v->hostkeyalgorithms, CFG_ALG_KEY,
	    "HostKeyAlgorithms") != 0) {
		/* unlike the other lists, this one is fatal in ssh -G */
		say_error(r, "expand HostKeyAlgorithms: invalid argument");
		fatal_error(r);
		return;
	}
	p = xdup(r, c->host);
	free(v->print_hostname);
	v->print_hostname = p;
}

int
config_resolve(struct config_cache *cache, const struct config_host *env,
    const struct config_request *req, struct config_result **resultp,
    struct config_diag *diag)
{
	struct config_result *res = NULL;
	struct resolver r;
	struct cmdline c;
	size_t i = 0;
	int terminated = 0, want_final = 0, was_addr, rc = ERR_NOMEM;
	char *host = NULL;
	const char *why;
	struct cfg_token htok;

	*resultp = NULL;
	memset(&c, 0, sizeof(c));
	memset(&r, 0, sizeof(r));
	if ((res = calloc(1, sizeof(*res))) == NULL)
		return ERR_NOMEM;
	values_init(&res->v);
	r.cache = cache;
	r.env = env;
	r.diag = diag;
	r.v = &res->v;
	r.cur_file = CFG_ORIGIN_CMDLINE;

	/* options, the destination, more options, then a command */
	if (parse_options(&r, &c, req->argv, req->argc, &i, &terminated) != 0)
		goto out;
	if (i >= req->argc) {
		(void)usage_error(&r, "no destination");
		goto out;
	}
	if (parse_destination(&r, &c, req->argv[i++]) != 0)
		goto out;
	if (!terminated && i < req->argc) {
		if (parse_options(&r, &c, req->argv, req->argc, &i,
		    &terminated) != 0)
			goto out;
	}
	c.have_command = i < req->argc;
	r.v->command_index = i;
	/* ssh checks this before reading any file: only -s or a command-line
	 * -o SessionType can have asked for a subsystem by now */
	if (!c.have_command && r.v->session_type == 1) {
		say_error(&r, "You must specify a subsystem to invoke.");
		goto fail;
	}
	if (r.v->user != NULL && !config_valid_user(r.v->user)) {
		say_error(&r, "remote username contains invalid characters");
		goto fail;
	}
	if (!config_valid_hostname(c.host)) {
		say_error(&r, "hostname contains invalid characters");
		goto fail;
	}
	if ((r.v->host_arg = xdup(&r, c.host)) == NULL)
		goto out;
	if (c.config_file != NULL &&
	    (r.v->config_file_arg = xdup(&r, c.config_file)) == NULL)
		goto out;

	/* first pass */
	r.host = c.host;
	r.original_host = r.v->host_arg;
	r.pass = 0;
	r.want_final_pass = &want_final;
	read_config_files(&r, c.config_file, 0);
	if (r.fatal)
		goto out;

	if (r.v->canonicalize_max_dots == -1)
		r.v->canonicalize_max_dots = 1;
	if (r.v->canonicalize_fallback_local == -1)
		r.v->canonicalize_fallback_local = 1;
	if (r.v->canonicalize_hostname == -1)
		r.v->canonicalize_hostname = CANON_NO;

	if (r.v->hostname != NULL) {
		htok.key = 'h';
		htok.value = c.host;
		if (cfg_expand(r.v->hostname, &htok, 1, NULL, NULL, &host,
		    &why) != ERR_OK) {
			say_error(&r, "HostName: %s in \"%s\"",
			    why != NULL ? why : "bad expansion", r.v->hostname);
			goto fail;
		}
		free(c.host);
		c.host = host;
		host = NULL;
		free(r.v->hostname);
		if ((r.v->hostname = xdup(&r, c.host)) == NULL)
			goto out;
	}
	was_addr = is_addr_fast(c.host) ||
	    numeric_address(c.host, r.v->address_family, NULL, 0) == 0;
	if (!was_addr)
		lowercase(c.host);
	{
		int resolved = 0, direct;

		if (r.v->canonicalize_hostname != CANON_NO || was_addr)
			resolved = canonicalize(&r, &c.host);
		if (r.fatal)
			goto out;
		direct = (r.v->proxy_command == NULL ||
		    strcasecmp(r.v->proxy_command, "none") == 0) &&
		    r.v->jump_host == NULL;
		if (!resolved && has_permitted_cnames(r.v) &&
		    (direct || r.v->canonicalize_hostname == CANON_ALWAYS)) {
			char cname[NI_MAXHOST];

			if (lookup_name(&r, c.host, cname, sizeof(cname)) != 0) {
				if (direct) {
					say_error(&r, "ssh: Could not resolve "
					    "hostname %.100s", c.host);
					goto fail;
				}
			} else
				(void)follow_cname(&r, direct, &c.host, cname);
		}
	}
	if (r.v->canonicalize_hostname != 0 && !want_final)
		want_final = 1;
	if (want_final) {
		free(r.v->hostname);
		if ((r.v->hostname = xdup(&r, c.host)) == NULL)
			goto out;
		r.host = c.host;
		r.pass = 1;
		r.want_final_pass = NULL;
		read_config_files(&r, c.config_file, 1);
		if (r.fatal)
			goto out;
	}
	fill_defaults(&r);
	if (r.fatal)
		goto out;
	r.cur_file = CFG_ORIGIN_CMDLINE;
	finish(&r, &c);
	if (r.fatal)
		goto out;
	*resultp = res;
	res = NULL;
	rc = ERR_OK;
	goto done;
 fail:
	fatal_error(&r);
 out:
	if (r.nomem)
		rc = ERR_NOMEM;
	else if (r.fatal)
		rc = ERR_CONFIG;
 done:
	free(c.host);
	free(host);
	config_result_free(res);
	return rc;
}
