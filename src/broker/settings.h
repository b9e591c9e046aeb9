/*
 * The broker's own settings file: $XDG_CONFIG_HOME/sshbroker/config.yaml,
 * else ~/.config/sshbroker/config.yaml.  Optional: without it every value
 * is its default.  docs/sshbroker-config.5 is the user's side of this
 * header and docs/config.yaml.example shows every key.
 *
 * A loaded struct settings is immutable: the global values (control
 * socket, transport limit, prewarm list) and a list of rules, each a
 * PCRE2 expression matched against a destination plus the per-destination
 * values it sets.  settings_lookup() answers "what applies to this
 * destination": the defaults, then for each setting the first rule that
 * matches and sets it (a later rule can set what an earlier one left
 * alone), as ssh_config's first-obtained-value-wins.
 *
 * Threads: settings_load() and settings_parse_buffer() touch no global
 * state (no static data, no locale, no signal; libyaml and PCRE2 are
 * reentrant) and may run on a worker while the loop thread uses another
 * struct settings; settings_load(NULL, ...) reads the environment
 * (XDG_CONFIG_HOME, HOME) and the passwd entry with getpwuid_r().  Every
 * accessor below, settings_lookup() included, only reads the struct and
 * may be called from any number of threads at once; settings_free() only
 * when nobody else uses it.  Every accessor accepts NULL and then answers
 * with the defaults.
 */
#ifndef SSHBROKER_BROKER_SETTINGS_H
#define SSHBROKER_BROKER_SETTINGS_H

#include <stddef.h>
#include <stdint.h>

struct settings;

/* A bigger file is refused before it is parsed. */
#define SETTINGS_MAX_FILE               (1024u * 1024)
/* Defaults */
#define SETTINGS_DEFAULT_IDLE_MS        (10u * 60 * 1000) /* ControlPersist 10m */
#define SETTINGS_DEFAULT_KEEPALIVE_S    0       /* off */
#define SETTINGS_DEFAULT_KEEPALIVE_COUNT 3      /* ServerAliveCountMax */
#define SETTINGS_DEFAULT_MAX_CHANNELS   0       /* no limit of ours */
#define SETTINGS_DEFAULT_MAX_TRANSPORTS 1000
#define SETTINGS_DEFAULT_PREWARM        1       /* listed destinations */
#define SETTINGS_DEFAULT_CONTROL_PATH   1
/* Durations and counts above this are refused (OpenSSH's convtime()
 * limit: INT_MAX seconds). */
#define SETTINGS_MAX_VALUE              2147483647u

/* What applies to one destination. */
struct settings_for {
	uint64_t idle_ms;               /* idle expiry; 0: never */
	uint32_t keepalive_s;           /* when ssh_config sets no
	                                 * ServerAliveInterval; 0: off */
	uint32_t keepalive_count;       /* ... and no ServerAliveCountMax */
	uint32_t max_channels;          /* channels per transport before
	                                 * another transport; 0: no limit */
	int prewarm;                    /* 0 or 1; only destinations listed
	                                 * in prewarm_hosts are ever
	                                 * prewarmed: settings_prewarm_host() */
	int control_path;               /* 0 or 1: serve ssh_config's
	                                 * ControlPath for it */
};

/*
 * The default location into buf: $XDG_CONFIG_HOME/sshbroker/config.yaml
 * when XDG_CONFIG_HOME is set to an absolute path (the XDG base directory
 * specification ignores a relative one), else HOME's (or, without HOME,
 * the passwd entry's) .config/sshbroker/config.yaml.  ERR_OK,
 * ERR_TOO_LONG, or ERR_NOT_FOUND when there is no home directory.
 */
int settings_default_path(char *buf, size_t len);

/*
 * Reads and checks the settings file at path, or at the default location
 * when path is NULL.  On ERR_OK, *sp is a new struct settings (caller
 * frees with settings_free()); on error *sp is NULL and err holds one
 * line (no newline), "FILE:LINE: what is wrong" for the file's contents
 * or "FILE: what is wrong" for the file itself.  Nothing else changes:
 * a caller reloading on SIGHUP keeps its old settings on error.
 *
 * The file is refused as OpenSSH refuses an ssh_config (readconf.c,
 * read_config_file_depth()): unless its owner is the user or root and
 * neither group nor others may write it.  A symbolic link is refused
 * too, and so is anything but a regular file or a file over
 * SETTINGS_MAX_FILE.
 *
 * Returns ERR_OK (also when the default file, or a directory on its
 * way, does not exist: the defaults then), ERR_NOT_FOUND (path was given
 * and does not exist), ERR_PERMISSION (bad owner or mode, a symbolic
 * link), ERR_CONFIG (not a regular file, too big, anything wrong inside),
 * ERR_SYSTEM (errno kept), ERR_NOMEM.  err may be NULL.
 */
int settings_load(const char *path, struct settings **sp, char *err,
    size_t errlen);

/*
 * What settings_load() does once it has the bytes: parses len bytes at
 * data (not NUL-terminated; at most SETTINGS_MAX_FILE) as the contents of
 * a file called name, for error messages.  The tests and the fuzz target
 * call it directly.  ERR_OK with *sp (caller frees), or ERR_CONFIG or
 * ERR_NOMEM with *sp NULL and err as above.
 */
int settings_parse_buffer(const char *name, const void *data, size_t len,
    struct settings **sp, char *err, size_t errlen);

/* Frees s; accepts NULL. */
void settings_free(struct settings *s);

/* The file s was read from; NULL when no file was read (defaults). */
const char *settings_path(const struct settings *s);

/* The control socket's path from the file (`socket:`, absolute), or NULL:
 * the daemon's own default.  Valid while s lives. */
const char *settings_socket(const struct settings *s);

/* How many transports the daemon may hold at once; 0: no limit. */
unsigned int settings_max_transports(const struct settings *s);

/*
 * The values for destination (the destination as the user wrote it,
 * e.g. "web1" or "deploy@db.example"; rules are matched against exactly
 * that string): the defaults, then for each value the first rule whose
 * `match` finds a match in destination (unanchored, as pcre2_match()) and
 * that sets it.  A match that exceeds PCRE2's limits (a pathological
 * expression) counts as no match.  Returns ERR_OK, or ERR_NOMEM with *out
 * holding the defaults.
 */
int settings_lookup(const struct settings *s, const char *destination,
    struct settings_for *out);

/*
 * The destinations to connect to when the daemon starts: every entry of
 * the `prewarm_hosts` lists (top level, then each rule's, in file order,
 * each name once) for which settings_lookup() gives prewarm 1.  A rule
 * cannot name a destination by itself, since an expression cannot be
 * connected to; a rule's `prewarm: false` keeps listed destinations that
 * it matches cold.  settings_prewarm_host() returns NULL for i at or past
 * settings_prewarm_count(); the strings live as long as s.
 */
size_t settings_prewarm_count(const struct settings *s);
const char *settings_prewarm_host(const struct settings *s, size_t i);

#endif
