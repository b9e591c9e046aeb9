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
 *
 * Where we are stricter than OpenSSH (knownhosts.c says why): a line
 * holding a NUL byte or longer than 32 KiB is skipped; the key type word
 * must be the very type named inside the blob (OpenSSH also takes a
 * signature name such as "rsa-sha2-256" for an ssh-rsa key); names are
 * lower-cased before they are hashed, so a hashed entry made from a name
 * with capitals is not found.
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

/* An empty set of entries; NULL when out of memory.  Caller frees. */
struct known_hosts *known_hosts_new(void);
/* Frees kh and every entry; accepts NULL. */
void known_hosts_free(struct known_hosts *kh);

/* Parses the text of one file (its name is kept for messages).  Bad lines
 * are skipped; *skippedp (may be NULL) counts them.  ERR_OK or ERR_NOMEM.
 * text need not be NUL-terminated; the caller keeps it (nothing points
 * into it afterwards).  Lines are numbered from 1 and end at '\n'; a
 * trailing '\r' is ignored.  On ERR_NOMEM nothing of this text is kept.
 * ERR_INVALID_ARGUMENT for a NULL kh or filename, or NULL text with a
 * non-zero len; ERR_TOO_LONG past INT_MAX lines. */
int known_hosts_add_text(struct known_hosts *kh, const char *filename,
    const char *text, size_t len, size_t *skippedp);

/* The number of entries (lines that parsed) kept so far. */
size_t known_hosts_count(const struct known_hosts *kh);

/*
 * Looks key_blob up under each of names (already in known_hosts form:
 * lower-case host, "[host]:port" when the port is not 22, or the
 * HostKeyAlias).  A @revoked entry for the key wins over everything; then
 * any entry for any name holding the key gives OK; then an entry holding
 * another key of the same type gives CHANGED; else NEW.
 * @cert-authority lines are ignored here (see known_hosts_find_ca()).
 * Only the key type string at the front of key_blob is read; it is
 * compared with the type inside each line's blob.  Names are matched
 * case-insensitively against plain patterns, and lower-cased before they
 * are hashed for hashed entries.
 * ERR_OK with *res filled; ERR_INVALID_ARGUMENT for NULL pointers or no
 * names; ERR_INVALID_FORMAT when key_blob does not start with a type
 * string; ERR_NOMEM; ERR_INTERNAL when OpenSSL's HMAC fails.  On error
 * *res says NEW.
 */
int known_hosts_check(const struct known_hosts *kh, const char *const *names,
    size_t nnames, const unsigned char *key_blob, size_t key_len,
    struct kh_result *res);

/*
 * 1 when a @cert-authority line for one of names holds ca_blob, with that
 * line in *res (status OK); otherwise 0 with *res saying NEW, or REVOKED
 * and the line when a @revoked line for one of names holds ca_blob (as
 * check_key_not_revoked() looks at a certificate's signing key).  A
 * revoked CA is never found.  Negative errors as known_hosts_check().
 */
int known_hosts_find_ca(const struct known_hosts *kh,
    const char *const *names, size_t nnames, const unsigned char *ca_blob,
    size_t ca_len, struct kh_result *res);

/* The known_hosts name for host and port: lower-cased host, bracketed
 * with the port when port is not 22 (or 0, which means 22, as OpenSSH's
 * put_host_port() has it).  Caller frees.  NULL for a NULL host, a port
 * outside 0..65535, or when out of memory. */
char *known_hosts_name(const char *host, int port);

/*
 * Appends one line (with '\n') for name and key to out: plain
 * "name keytype base64", or hashed "|1|salt|hash keytype base64" when
 * salt (20 random bytes from the caller) is not NULL.  The name is
 * lower-cased (as OpenSSH's write_host_entry() does) and keytype is taken
 * from the blob.  ERR_OK; ERR_INVALID_ARGUMENT for NULL pointers or a
 * name that cannot be written as one host (empty, white space or control
 * characters, and in plain form ',' '*' '?' or a leading '!' '|' '@'
 * '#', which would make it a pattern, hash, marker or comment);
 * ERR_KEY_TYPE_UNKNOWN, ERR_INVALID_FORMAT or ERR_KEY_INVALID for a blob
 * the reader would skip; ERR_NOMEM, ERR_INTERNAL (HMAC), or the append's
 * error.  out is unchanged on error.
 */
int known_hosts_format_line(const char *name, const unsigned char *key_blob,
    size_t key_len, const unsigned char *salt, struct buf *out);

#endif
