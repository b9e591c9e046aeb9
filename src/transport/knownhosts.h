/*
 * known_hosts, as OpenSSH reads it (internal to src/transport).
 *
 * The transport does no file I/O: the caller reads the files and hands
 * their text in; checking is pure; a new entry is formatted here and
 * written by the caller.  Keys are compared as blobs (the SSH wire form),
 * so this module needs no key parsing beyond base64.
 *
 * A line is: [@revoked|@cert-authority] patterns keytype base64 [comment]
 * where patterns is a comma list of host patterns ('*', '?', '!' negation,
 * "[host]:port" for non-default ports) or one hashed entry
 * "|1|base64(salt)|base64(HMAC-SHA1(salt, name))".  Comments, blank lines
 * and lines that do not parse are skipped, as OpenSSH skips them.
 */
#ifndef SSHBROKER_TRANSPORT_KNOWNHOSTS_H
#define SSHBROKER_TRANSPORT_KNOWNHOSTS_H

#include <stddef.h>

struct buf;
struct known_hosts;

enum kh_marker {
	KH_MARKER_NONE,
	KH_MARKER_REVOKED,
	KH_MARKER_CA,
};

enum kh_status {
	KH_STATUS_OK,        /* an entry for a name holds this key */
	KH_STATUS_NEW,       /* no entry for any name with a key of this type */
	KH_STATUS_CHANGED,   /* entries for a name hold a different key of
	                      * this key's type, and none holds this key */
	KH_STATUS_REVOKED,   /* a @revoked line holds this key */
};

struct kh_result {
	enum kh_status status;
	/* The line that decided: the matching entry (OK, REVOKED) or the
	 * first conflicting one (CHANGED); NULL/0 for NEW.  Valid while the
	 * known_hosts object lives. */
	const char *file;
	int line;
};

struct known_hosts *known_hosts_new(void);
void known_hosts_free(struct known_hosts *kh);

/* Parses the text of one file (its name is kept for messages).  Bad lines
 * are skipped; *skippedp (may be NULL) counts them.  ERR_OK or ERR_NOMEM. */
int known_hosts_add_text(struct known_hosts *kh, const char *filename,
    const char *text, size_t len, size_t *skippedp);

/*
 * Looks key_blob up under each of names (already in known_hosts form:
 * lower-case host, "[host]:port" when the port is not 22, or the
 * HostKeyAlias).  A @revoked entry for the key wins over everything; then
 * any entry for any name holding the key gives OK; then an entry holding
 * another key of the same type gives CHANGED; else NEW.
 * @cert-authority lines are ignored here (see known_hosts_find_ca()).
 */
int known_hosts_check(const struct known_hosts *kh, const char *const *names,
    size_t nnames, const unsigned char *key_blob, size_t key_len,
    struct kh_result *res);

/* 1 when a @cert-authority line for one of names holds ca_blob. */
int known_hosts_find_ca(const struct known_hosts *kh,
    const char *const *names, size_t nnames, const unsigned char *ca_blob,
    size_t ca_len, struct kh_result *res);

/* The known_hosts name for host and port: lower-cased host, bracketed
 * with the port when port is not 22.  Caller frees. */
char *known_hosts_name(const char *host, int port);

/*
 * Appends one line (with '\n') for name and key to out: plain
 * "name keytype base64", or hashed "|1|salt|hash keytype base64" when
 * salt (20 random bytes from the caller) is not NULL.
 */
int known_hosts_format_line(const char *name, const unsigned char *key_blob,
    size_t key_len, const unsigned char *salt, struct buf *out);

#endif
