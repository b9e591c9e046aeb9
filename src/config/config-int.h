/*
 * Internals shared by the files of src/config.  Not for other modules:
 * they include config/config.h only.  Unit tests of this module may use it.
 */
#ifndef SSHBROKER_CONFIG_INT_H
#define SSHBROKER_CONFIG_INT_H

#include <stddef.h>

#include "config/config.h"

/* ---- lexer.c: the two tokenisers OpenSSH's config reader uses */

/*
 * Returns the next word of *s and advances *s, splitting on whitespace, a
 * double-quoted word, or a single '=' (OpenSSH's strdelim()).  Modifies
 * the string in place.  Returns NULL at the end, or for an unterminated
 * quote.
 */
char *cfg_strdelim(char **s);

/*
 * Splits s into words: whitespace separated, '...' and "..." quoting,
 * the escapes \\ \" \' and (outside quotes) "\ ", and, when
 * stop_at_comment, nothing from an unquoted word starting with '#'.
 * On ERR_OK *argvp (NULL-terminated) and *argcp are set; caller frees with
 * cfg_argv_free().  ERR_CONFIG: unterminated quote.
 */
int cfg_argv_split(const char *s, int *argcp, char ***argvp,
    int stop_at_comment);
void cfg_argv_free(char **argv, int argc);
/* As cfg_argv_split(), with the vector and words allocated from a (freed
 * with the arena). */
struct arena;
int cfg_argv_split_arena(const char *s, int stop_at_comment, struct arena *a,
    int *argcp, char ***argvp);

/* ---- pattern.c: OpenSSH's wildcard matching */

/* 1 if s matches the glob pattern ('*' and '?'), else 0. */
int cfg_match_pattern(const char *s, const char *pattern);
/* 1 for a positive match in the comma-separated list, -1 when a negated
 * ('!') entry matches, 0 otherwise.  dolower lowercases the patterns. */
int cfg_match_pattern_list(const char *s, const char *list, int dolower);
/* cfg_match_pattern_list() on the lowercased host, lowercased patterns. */
int cfg_match_hostname(const char *host, const char *list);
/* The entries of the comma list proposal that match (allow) or do not
 * match (deny) the pattern list filter; malloc'ed, NULL on ENOMEM. */
char *cfg_filter_list(const char *proposal, const char *filter, int deny);

/* ---- tokens.c: %-tokens and ${ENV} */

struct cfg_token {
	char key;
	const char *value;
};

/*
 * Expands %-tokens (when tokens != NULL) and ${VAR} (when getenv_fn !=
 * NULL) in s.  On ERR_OK *outp is a malloc'ed string.  ERR_CONFIG: an
 * unknown token, a trailing '%', an unterminated or empty ${}, or an unset
 * variable; *whyp then points to a static description (may be NULL).
 */
int cfg_expand(const char *s, const struct cfg_token *tokens, size_t ntokens,
    const char *(*getenv_fn)(void *, const char *), void *getenv_ctx,
    char **outp, const char **whyp);

/* ---- algs.c: algorithm names this build knows and their defaults */

enum cfg_alg_kind {
	CFG_ALG_CIPHER,
	CFG_ALG_MAC,
	CFG_ALG_KEX,
	CFG_ALG_KEY,        /* host key / pubkey / hostbased algorithms */
	CFG_ALG_CA_SIG,     /* CA signature algorithms */
	CFG_ALG_GSS_KEX,
};

/* Every algorithm of a kind, comma separated. */
const char *cfg_alg_all(enum cfg_alg_kind kind);
/* The client default list of a kind. */
const char *cfg_alg_default(enum cfg_alg_kind kind);
/* 1 when every name of the comma list is known for kind (wildcards allowed
 * for key algorithms, as OpenSSH allows them there). */
int cfg_alg_names_valid(enum cfg_alg_kind kind, const char *names);
/*
 * OpenSSH's kex_assemble_names(): resolves a configured list (NULL: the
 * default) that may start with '+', '-' or '^' against the default and the
 * full list.  ERR_OK: *outp malloc'ed.  ERR_CONFIG: the result is empty or
 * a '!' pattern was used.
 */
int cfg_alg_assemble(const char *configured, const char *def, const char *all,
    char **outp);

/* ---- diag.c */

/* Appends a message; is_error distinguishes errors from warnings.
 * Returns ERR_OK or ERR_NOMEM. */
int cfg_diag_add(struct config_diag *d, int is_error, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- misc helpers shared by the resolver (resolve.c) */

/* OpenSSH's a2port(): 0..65535, or a service name; -1 when invalid. */
int cfg_parse_port(const char *s);
/* OpenSSH's convtime(): seconds, or -1 when invalid. */
int cfg_parse_time(const char *s);


/* ---- keywords.c: the keyword table */

enum cfg_kw {
	K_BAD = 0,
	K_HOST, K_MATCH, K_INCLUDE,
	K_FORWARD_AGENT, K_FORWARD_X11, K_FORWARD_X11_TRUSTED,
	K_FORWARD_X11_TIMEOUT, K_GATEWAY_PORTS, K_EXIT_ON_FORWARD_FAILURE,
	K_PASSWORD_AUTH, K_XAUTH_LOCATION, K_IDENTITY_FILE, K_HOSTNAME, K_PORT,
	K_REMOTE_FORWARD, K_LOCAL_FORWARD, K_PERMIT_REMOTE_OPEN,
	K_CERTIFICATE_FILE, K_ADD_KEYS_TO_AGENT, K_IDENTITY_AGENT, K_USER,
	K_ESCAPE_CHAR, K_PROXY_COMMAND, K_GLOBAL_KNOWN_HOSTS, K_USER_KNOWN_HOSTS,
	K_CONNECTION_ATTEMPTS, K_BATCH_MODE, K_CHECK_HOST_IP,
	K_STRICT_HOST_KEY_CHECKING, K_COMPRESSION, K_TCP_KEEP_ALIVE,
	K_NUMBER_OF_PASSWORD_PROMPTS, K_LOG_FACILITY, K_LOG_LEVEL,
	K_LOG_VERBOSE, K_CIPHERS, K_MACS, K_PUBKEY_AUTH, K_KBD_INTERACTIVE_AUTH,
	K_KBD_INTERACTIVE_DEVICES, K_HOST_KEY_ALIAS, K_DYNAMIC_FORWARD,
	K_PREFERRED_AUTHENTICATIONS, K_HOSTBASED_AUTH, K_HOST_KEY_ALGORITHMS,
	K_BIND_ADDRESS, K_BIND_INTERFACE, K_PKCS11_PROVIDER,
	K_CLEAR_ALL_FORWARDINGS, K_NO_HOST_AUTH_FOR_LOCALHOST,
	K_ENABLE_SSH_KEYSIGN, K_REKEY_LIMIT, K_VERIFY_HOST_KEY_DNS,
	K_CONNECT_TIMEOUT, K_ADDRESS_FAMILY, K_GSS_AUTH, K_GSS_DELEGATE_CREDS,
	K_GSS_TRUST_DNS, K_GSS_KEY_EX, K_GSS_CLIENT_IDENTITY, K_GSS_RENEWAL_REKEY,
	K_GSS_SERVER_IDENTITY, K_GSS_KEX_ALGORITHMS,
	K_SERVER_ALIVE_INTERVAL, K_SERVER_ALIVE_COUNT_MAX, K_IDENTITIES_ONLY,
	K_SEND_ENV, K_SET_ENV, K_CONTROL_PATH, K_CONTROL_MASTER,
	K_CONTROL_PERSIST, K_HASH_KNOWN_HOSTS, K_TUNNEL, K_TUNNEL_DEVICE,
	K_LOCAL_COMMAND, K_PERMIT_LOCAL_COMMAND, K_REMOTE_COMMAND,
	K_VISUAL_HOST_KEY, K_KEX_ALGORITHMS, K_IPQOS, K_REQUEST_TTY,
	K_SESSION_TYPE, K_STDIN_NULL, K_FORK_AFTER_AUTHENTICATION,
	K_IGNORE_UNKNOWN, K_PROXY_USE_FDPASS, K_CANONICAL_DOMAINS,
	K_CANONICALIZE_HOSTNAME, K_CANONICALIZE_MAX_DOTS,
	K_CANONICALIZE_FALLBACK_LOCAL, K_CANONICALIZE_PERMITTED_CNAMES,
	K_STREAM_LOCAL_BIND_MASK, K_STREAM_LOCAL_BIND_UNLINK,
	K_REVOKED_HOST_KEYS, K_FINGERPRINT_HASH, K_UPDATE_HOST_KEYS,
	K_HOSTBASED_ACCEPTED_ALGORITHMS, K_PUBKEY_ACCEPTED_ALGORITHMS,
	K_CA_SIGNATURE_ALGORITHMS, K_PROXY_JUMP, K_SECURITY_KEY_PROVIDER,
	K_KNOWN_HOSTS_COMMAND, K_REQUIRED_RSA_SIZE, K_ENABLE_ESCAPE_COMMANDLINE,
	K_PROTOCOL_KEEP_ALIVES, K_SETUP_TIMEOUT,
	K_IGNORE, K_IGNORED_UNKNOWN, K_DEPRECATED, K_UNSUPPORTED,
	K_COUNT
};

/* The keyword for a lower-case name, or K_BAD. */
enum cfg_kw cfg_keyword_lookup(const char *lower_name);
/* The name ssh -G prints for a keyword (the first table entry for it). */
const char *cfg_keyword_name(enum cfg_kw kw);

/* ---- resolved values (resolve.c fills, print.c prints) */

/* Where a value came from.  file >= 0 indexes cfg_values.files. */
#define CFG_ORIGIN_UNSET   (-3)
#define CFG_ORIGIN_DEFAULT (-2)
#define CFG_ORIGIN_CMDLINE (-1)
struct cfg_origin {
	int file;
	int line;
	int pass;       /* 0 first pass, 1 final pass */
};

struct cfg_strlist {
	char **v;
	struct cfg_origin *origin;
	int *userprovided;
	size_t n;
};

#define CFG_PORT_STREAMLOCAL (-2)
struct cfg_forward {
	char *listen_host;
	int listen_port;
	char *listen_path;
	char *connect_host;
	int connect_port;
	char *connect_path;
	struct cfg_origin origin;
};

struct cfg_fwdlist {
	struct cfg_forward *v;
	size_t n;
};

struct cfg_cname {
	char *source;
	char *target;
};

#define CFG_TUNID_ANY 0x7fffffff
#define CFG_TUNID_ERR (CFG_TUNID_ANY - 1)
#define CFG_ESCAPE_NONE (-2)

struct cfg_values {
	char *host_arg;
	char *print_hostname;   /* the "hostname" line: ssh's final host */

	int forward_agent;
	char *forward_agent_sock_path;
	int forward_x11, forward_x11_trusted, forward_x11_timeout;
	int clear_forwardings, exit_on_forward_failure;
	char *xauth_location;
	int gateway_ports, streamlocal_bind_mask, streamlocal_bind_unlink;
	int pubkey_authentication;
	int gss_authentication, gss_keyex, gss_deleg_creds, gss_trust_dns;
	int gss_renewal_rekey;
	char *gss_client_identity, *gss_server_identity, *gss_kex_algorithms;
	int password_authentication, kbd_interactive_authentication;
	char *kbd_interactive_devices;
	int hostbased_authentication, batch_mode, check_host_ip;
	int strict_host_key_checking, compression, tcp_keep_alive;
	int port, address_family, connection_attempts, connection_timeout;
	int number_of_password_prompts;
	char *ciphers, *macs, *kex_algorithms, *hostkeyalgorithms;
	char *ca_sign_algorithms;
	struct cfg_strlist identity_files, certificate_files;
	char *hostname, *host_key_alias, *proxy_command;
	char *jump_user, *jump_host, *jump_extra;
	int jump_port;
	char *user;
	int escape_char;
	struct cfg_strlist system_hostfiles, user_hostfiles;
	struct cfg_fwdlist local_forwards, remote_forwards;
	struct cfg_strlist permitted_remote_opens;
	int log_facility, log_level;
	struct cfg_strlist log_verbose;
	char *preferred_authentications, *bind_address, *bind_interface;
	char *pkcs11_provider, *sk_provider;
	int enable_ssh_keysign, no_host_authentication_for_localhost;
	int identities_only;
	long long rekey_limit;
	int rekey_interval, verify_host_key_dns;
	int server_alive_interval, server_alive_count_max;
	struct cfg_strlist send_env, setenv;
	char *control_path;
	int control_master, control_persist, control_persist_timeout;
	int hash_known_hosts, tun_open, tun_local, tun_remote;
	char *local_command;
	int permit_local_command;
	char *remote_command;
	int add_keys_to_agent, add_keys_to_agent_lifespan;
	char *identity_agent;
	int visual_host_key, ip_qos_interactive, ip_qos_bulk;
	int request_tty, session_type, stdin_null, fork_after_authentication;
	int proxy_use_fdpass;
	char *ignored_unknown;
	struct cfg_strlist canonical_domains;
	struct cfg_cname *permitted_cnames;
	size_t n_permitted_cnames;
	int canonicalize_max_dots, canonicalize_fallback_local;
	int canonicalize_hostname;
	char *revoked_host_keys;
	int fingerprint_hash, update_hostkeys;
	char *hostbased_accepted_algos, *pubkey_accepted_algos;
	char *known_hosts_command;
	int required_rsa_size, enable_escape_commandline;

	/* the connection's %-token values, for expansions done later */
	struct cfg_token tokens[11];
	char *token_values[11];
	size_t n_tokens;
	/* argv index of the first word of the remote command (argc if none) */
	size_t command_index;
	/* -W host:port (port CFG_PORT_STREAMLOCAL: host is a socket path) */
	char *stdio_forward_host;
	int stdio_forward_port;
	/* -F as given, which a ProxyJump hop inherits */
	char *config_file_arg;
	/* Where each keyword's value came from (first setter wins). */
	struct cfg_origin origin[K_COUNT];
	/* Names of the files that contributed, for origins. */
	char **files;
	size_t n_files;
};

/* Names ssh -G prints for values (resolve.c). */
const char *cfg_multistate_name(enum cfg_kw kw, int val);
const char *cfg_log_level_name(int level);
const char *cfg_log_facility_name(int facility);
const char *cfg_digest_name(int digest);

struct config_result {
	struct cfg_values v;
};

#endif
