/*
 * ssh_config resolution, identical to what OpenSSH's `ssh -G` computes.
 *
 * The module reads files but does no other I/O: running `Match exec`
 * commands, reading the environment and knowing who and where we are all
 * come in through struct config_host, so that unit tests can pass fakes and
 * the broker can wire the real thing (src/proxy's runner for Match exec).
 *
 * Typical use:
 *   struct config_cache *cache = config_cache_new();
 *   struct config_request req = { .destination = "web1", ... };
 *   struct config_result *res;
 *   struct config_diag *diag = config_diag_new();
 *   int r = config_resolve(cache, &host, &req, &res, diag);
 *   ... config_print_ssh_g(res, buf) ...
 *   config_result_free(res); config_diag_free(diag); config_cache_free(cache);
 */
#ifndef SSHBROKER_CONFIG_CONFIG_H
#define SSHBROKER_CONFIG_CONFIG_H

#include <stddef.h>
#include <sys/types.h>

struct buf;
struct config_cache;
struct config_result;
struct config_diag;

/* Who and where we are, and the effects the resolver may cause. */
struct config_host {
	const char *user_name;     /* local user name (getpwuid) */
	const char *home_dir;      /* local user's home directory */
	uid_t uid;
	const char *hostname;      /* gethostname(), possibly with domain */
	/* Environment lookup for ${VAR}; returns NULL when unset. */
	const char *(*getenv_fn)(void *ctx, const char *name);
	void *getenv_ctx;
	/*
	 * Runs a `Match exec` command (already token-expanded).  Returns its
	 * exit status (0-255) or a negative err_code when the command could
	 * not run or ended abnormally.  NULL: every Match exec is an error.
	 */
	int (*exec_fn)(void *ctx, const char *command);
	void *exec_ctx;
	/*
	 * A DNS lookup for hostname canonicalisation: 0 when name resolves
	 * (canon receives its canonical name, or ""), non-zero otherwise.
	 * NULL: no name resolves.  family is AF_INET, AF_INET6 or -1/AF_UNSPEC.
	 */
	int (*resolve_fn)(void *ctx, const char *name, int family,
	    char *canon, size_t canonlen);
	void *resolve_ctx;
	/* Files read when no -F is given; NULL means the OpenSSH defaults
	 * (~/.ssh/config, then /etc/ssh/ssh_config). */
	const char *user_config;
	const char *system_config;
	/* The directory relative system Include paths are anchored in
	 * (NULL: /etc/ssh). */
	const char *system_dir;
};

/*
 * What was asked: an ssh-style command line, exactly as a user would pass
 * it to ssh (without the program name): options such as -F, -o, -p, -l
 * and -J, the destination (host, user@host or ssh://user@host:port),
 * options after it, then an optional command.  The order matters as it
 * does for ssh: the first -p, -l, -o Port or -o User given wins.
 */
struct config_request {
	char *const *argv;
	size_t argc;
};

/* Diagnostics: every message the resolver would print, one line each. */
struct config_diag *config_diag_new(void);
void config_diag_free(struct config_diag *d);
size_t config_diag_count(const struct config_diag *d);
/* The i-th message (no trailing newline); valid while d lives. */
const char *config_diag_message(const struct config_diag *d, size_t i);
/* Non-zero if the i-th message is an error (else a warning). */
int config_diag_is_error(const struct config_diag *d, size_t i);

/* A cache of parsed files, shared between resolutions.  Files are read
 * and tokenised once; later resolutions reuse them.  Returns NULL when out
 * of memory. */
struct config_cache *config_cache_new(void);
/* A cache that keeps nothing: each file is applied line by line as it is
 * read.  For one resolution per process (the command line). */
struct config_cache *config_cache_new_oneshot(void);
void config_cache_free(struct config_cache *c);
/* Forgets every cached file (for a reload). */
void config_cache_clear(struct config_cache *c);

/*
 * Resolves req as `ssh -G` would.  On ERR_OK *resultp is set (caller frees
 * with config_result_free).  On ERR_CONFIG the reasons are in diag and the
 * `ssh` exit status would be 255.  Other negative codes: ERR_NOMEM etc.
 * Warnings (for example an unsupported keyword) may be added to diag even
 * on success.
 */
int config_resolve(struct config_cache *cache, const struct config_host *host,
    const struct config_request *req, struct config_result **resultp,
    struct config_diag *diag);

void config_result_free(struct config_result *r);

/* s with "~/" and the connection's %-tokens (%C %L %i %k %l %n %p %d %h
 * %r %u) and ${VAR} expanded, as ssh expands IdentityFile and
 * CertificateFile when it loads them.  ERR_OK: *outp malloc'ed;
 * ERR_CONFIG for an unknown token or an unset variable. */
int config_result_expand(const struct config_result *r,
    const struct config_host *host, const char *s, char **outp);

/* The index in the request's argv of the first word of the remote
 * command (argc when there is none), as ssh splits its command line. */
size_t config_result_command_index(const struct config_result *r);

/* ssh's -W: the host (or socket path, *portp then negative) standard
 * input and output are forwarded to, or NULL without -W.  Valid while r
 * lives. */
const char *config_result_stdio_forward(const struct config_result *r,
    int *portp);

/* One forwarding the connection asks for (LocalForward, RemoteForward,
 * DynamicForward, -L, -R, -D), as ssh -G lists them.  Ports are
 * CONFIG_PORT_STREAMLOCAL where a path stands for host:port. */
#define CONFIG_PORT_STREAMLOCAL (-2)
enum config_forward_type {
	CONFIG_FWD_LOCAL = 1,
	CONFIG_FWD_REMOTE,
	CONFIG_FWD_DYNAMIC,
};
struct config_forward {
	enum config_forward_type type;
	const char *listen_host;        /* NULL: as GatewayPorts says */
	int listen_port;
	const char *listen_path;
	const char *connect_host;       /* NULL for DYNAMIC */
	int connect_port;
	const char *connect_path;
};
/* The i-th forwarding of r in *f (pointers valid while r lives); 0 past
 * the last one.  Local and dynamic ones first, then remote ones, each in
 * the order given; none with ClearAllForwardings. */
int config_result_forward(const struct config_result *r, size_t i,
    struct config_forward *f);

/* ProxyJump as ssh runs it: the hop nearest the destination (*hostp,
 * *userp or NULL, *portp or <= 0 for the hop's own) and the hops before
 * it as a -J list (*extrap, NULL when none).  0 when there is no jump. */
int config_result_jump(const struct config_result *r, const char **userp,
    const char **hostp, int *portp, const char **extrap);
/* The request's -F argument (a jump hop is resolved with it), or NULL. */
const char *config_result_config_file(const struct config_result *r);
/* command with the tokens ssh gives a ProxyCommand (%h %k %n %p %r %%)
 * expanded.  ERR_CONFIG with *whyp when a token is unknown or a name
 * that would reach the shell has characters a shell would act on. */
int config_result_expand_proxy_command(const struct config_result *r,
    const char *command, char **outp, const char **whyp);

/* Appends to out exactly what `ssh -G` prints for r. */
int config_print_ssh_g(const struct config_result *r, struct buf *out);
/* Appends the `ssh -G` lines, each followed by where its value came from:
 * "file:line", "command line" or "default", and the pass (first or
 * final). */
int config_print_explain(const struct config_result *r, struct buf *out);
/* Appends the resolved options as a YAML mapping (libyaml). */
int config_print_yaml(const struct config_result *r, struct buf *out);

/* The resolved value of keyword as `ssh -G` prints it, or NULL when that
 * keyword has no value (or out of memory).  keyword is the lower-case
 * ssh -G name ("hostname", "port", "user", "proxycommand", ...); for
 * keywords printed on several lines (identityfile, sendenv, ...) index
 * selects the line.  Caller frees. */
char *config_result_get_dup(const struct config_result *r,
    const char *keyword, size_t index);

/* 1 when name matches the comma-separated glob pattern list (with '!'
 * negation), as SendEnv and Host patterns match. */
int config_match_pattern_list(const char *name, const char *patterns);

/* The validators OpenSSH applies to names that may reach a shell.
 * Return 1 when s is acceptable. */
int config_valid_hostname(const char *s);
int config_valid_user(const char *s);

#endif
