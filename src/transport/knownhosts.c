/*
 * known_hosts, as OpenSSH reads it: hostfile.c (hostkeys_foreach(),
 * check_markers(), host_hash(), check_hostkeys_by_key_or_type()), match.c
 * (match_pattern_list(), match_hostname()) and sshkey.c (sshkey_read()).
 *
 * known_hosts_add_text() parses every line once into an entry that holds
 * what checking needs: the marker, the lower-cased pattern list or the
 * decoded salt and hash, the key blob and a pointer to the key type inside
 * it.  Checking walks the entries; it only matches names against entries
 * whose key type is the key's, so a 10,000-line file costs a memcmp per
 * line plus pattern matching or one HMAC per relevant line and name.
 */
#include "config.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "common/base64.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/mem.h"
#include "transport/knownhosts.h"

/* HMAC-SHA1: both the salt and the hash of a hashed entry are this long
 * (hostfile.c extract_salt() wants exactly ssh_hmac_bytes(SHA1)). */
#define KH_HASH_LEN 20
#define KH_HASH_MAGIC "|1|"

/*
 * Lines longer than this are skipped.  OpenSSH reads lines of any length
 * with getline(); we bound the work a hostile file can cause instead.
 * The longest real entry, a 16384-bit RSA key under a long pattern list,
 * is a few kilobytes.
 */
#define KH_LINE_MAX (32u * 1024)

/* match_pattern_list() copies each sub-pattern into a 1024-byte buffer
 * and a sub-pattern that does not fit makes the whole list fail. */
#define KH_SUBPATTERN_MAX 1023

/* ---- key types */

/*
 * How much of a key blob we check without any cryptography: the fields
 * sshkey_from_blob() would read, their lengths, and nothing left over.  A
 * line whose blob fails is skipped, as sshkey_read() would skip it, so a
 * truncated key never counts as a "changed" key.  Certificates and XMSS
 * are only checked for their type string.
 */
enum kh_shape {
	KH_SHAPE_OPAQUE,
	KH_SHAPE_ED25519,       /* string pk[32] */
	KH_SHAPE_SK_ED25519,    /* string pk[32], string application */
	KH_SHAPE_ECDSA,         /* string curve, string point */
	KH_SHAPE_SK_ECDSA,      /* string curve, string point, string app */
	KH_SHAPE_RSA,           /* mpint e, mpint n */
	KH_SHAPE_DSS,           /* mpint p, q, g, y */
};

struct kh_keytype {
	const char *name;
	enum kh_shape shape;
	const char *curve;      /* ECDSA: the curve name in the blob */
	size_t field_len;       /* ECDSA: bytes of one coordinate */
};

/* The key type names sshkey_read() accepts (peek_type_nid()). */
static const struct kh_keytype kh_keytypes[] = {
	{ "ssh-ed25519", KH_SHAPE_ED25519, NULL, 0 },
	{ "sk-ssh-ed25519@openssh.com", KH_SHAPE_SK_ED25519, NULL, 0 },
	{ "ecdsa-sha2-nistp256", KH_SHAPE_ECDSA, "nistp256", 32 },
	{ "ecdsa-sha2-nistp384", KH_SHAPE_ECDSA, "nistp384", 48 },
	{ "ecdsa-sha2-nistp521", KH_SHAPE_ECDSA, "nistp521", 66 },
	{ "sk-ecdsa-sha2-nistp256@openssh.com", KH_SHAPE_SK_ECDSA,
	    "nistp256", 32 },
	{ "ssh-rsa", KH_SHAPE_RSA, NULL, 0 },
	{ "ssh-dss", KH_SHAPE_DSS, NULL, 0 },
	{ "ssh-xmss@openssh.com", KH_SHAPE_OPAQUE, NULL, 0 },
	{ "ssh-ed25519-cert-v01@openssh.com", KH_SHAPE_OPAQUE, NULL, 0 },
	{ "sk-ssh-ed25519-cert-v01@openssh.com", KH_SHAPE_OPAQUE, NULL, 0 },
	{ "ecdsa-sha2-nistp256-cert-v01@openssh.com", KH_SHAPE_OPAQUE, NULL, 0 },
	{ "ecdsa-sha2-nistp384-cert-v01@openssh.com", KH_SHAPE_OPAQUE, NULL, 0 },
	{ "ecdsa-sha2-nistp521-cert-v01@openssh.com", KH_SHAPE_OPAQUE, NULL, 0 },
	{ "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com", KH_SHAPE_OPAQUE,
	    NULL, 0 },
	{ "ssh-rsa-cert-v01@openssh.com", KH_SHAPE_OPAQUE, NULL, 0 },
	{ "ssh-dss-cert-v01@openssh.com", KH_SHAPE_OPAQUE, NULL, 0 },
	{ "ssh-xmss-cert-v01@openssh.com", KH_SHAPE_OPAQUE, NULL, 0 },
};

/* OpenSSH's limits on RSA moduli (SSH_RSA_MINIMUM_MODULUS_SIZE and
 * SSHBUF_MAX_BIGNUM), in bits. */
#define KH_RSA_MIN_BITS 1024
#define KH_RSA_MAX_BITS 16384

static const struct kh_keytype *
kh_keytype_by_name(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(kh_keytypes) / sizeof(kh_keytypes[0]); i++) {
		if (strlen(kh_keytypes[i].name) == len &&
		    memcmp(kh_keytypes[i].name, name, len) == 0)
			return &kh_keytypes[i];
	}
	return NULL;
}

/* Bits in a big-endian magnitude without leading zeros. */
static size_t
kh_mag_bits(const unsigned char *mag, size_t len)
{
	size_t bits;
	unsigned char top;

	if (len == 0)
		return 0;
	bits = (len - 1) * 8;
	for (top = mag[0]; top != 0; top >>= 1)
		bits++;
	return bits;
}

/* An EC point as OpenSSL's EC_POINT_oct2point() takes it: uncompressed
 * (0x04, x, y) or compressed (0x02/0x03, x). */
static int
kh_ec_point_ok(const unsigned char *p, size_t len, size_t field_len)
{
	if (len == 1 + 2 * field_len)
		return p[0] == 0x04;
	if (len == 1 + field_len)
		return p[0] == 0x02 || p[0] == 0x03;
	return 0;
}

/*
 * Reads the type string at the front of blob.  ERR_OK and the type in
 * *typep and *typelenp (pointing into blob); ERR_INVALID_FORMAT when blob does
 * not start with an SSH string; ERR_NOMEM.
 */
static int
kh_blob_type(const unsigned char *blob, size_t len,
    const unsigned char **typep, size_t *typelenp)
{
	struct buf *b;
	int r;

	*typep = NULL;
	*typelenp = 0;
	if ((b = buf_new_view(blob, len)) == NULL)
		return ERR_NOMEM;
	r = buf_peek_string_direct(b, typep, typelenp);
	buf_free(b);
	if (r == ERR_OK && *typelenp == 0)
		r = ERR_INVALID_FORMAT;
	if (r != ERR_OK && r != ERR_NOMEM)
		r = ERR_INVALID_FORMAT;
	return r;
}

/*
 * Checks blob against its type's shape.  ERR_OK; ERR_KEY_TYPE_UNKNOWN for
 * a type we do not know; ERR_INVALID_FORMAT for a blob that does not
 * parse; ERR_KEY_INVALID for a well-formed key OpenSSH refuses (an RSA
 * modulus out of range); ERR_NOMEM.
 */
static int
kh_blob_check(const unsigned char *blob, size_t len,
    const struct kh_keytype **ktp)
{
	const struct kh_keytype *kt;
	const unsigned char *type, *p, *q;
	size_t tlen, plen, qlen;
	struct buf *b = NULL;
	int r = ERR_INTERNAL;

	*ktp = NULL;
	if ((b = buf_new_view(blob, len)) == NULL) {
		r = ERR_NOMEM;
		goto out;
	}
	if (buf_get_string_direct(b, &type, &tlen) != ERR_OK) {
		r = ERR_INVALID_FORMAT;
		goto out;
	}
	if ((kt = kh_keytype_by_name((const char *)type, tlen)) == NULL) {
		r = ERR_KEY_TYPE_UNKNOWN;
		goto out;
	}
	r = ERR_INVALID_FORMAT;
	switch (kt->shape) {
	case KH_SHAPE_OPAQUE:
		/* certificates and XMSS: the type string is all we read */
		*ktp = kt;
		r = ERR_OK;
		goto out;
	case KH_SHAPE_ED25519:
	case KH_SHAPE_SK_ED25519:
		if (buf_get_string_direct(b, &p, &plen) != ERR_OK || plen != 32)
			goto out;
		if (kt->shape == KH_SHAPE_SK_ED25519 &&
		    buf_get_string_direct(b, &q, &qlen) != ERR_OK)
			goto out;
		break;
	case KH_SHAPE_ECDSA:
	case KH_SHAPE_SK_ECDSA:
		if (buf_get_string_direct(b, &q, &qlen) != ERR_OK ||
		    qlen != strlen(kt->curve) || memcmp(q, kt->curve, qlen) != 0 ||
		    buf_get_string_direct(b, &p, &plen) != ERR_OK ||
		    !kh_ec_point_ok(p, plen, kt->field_len))
			goto out;
		if (kt->shape == KH_SHAPE_SK_ECDSA &&
		    buf_get_string_direct(b, &q, &qlen) != ERR_OK)
			goto out;
		break;
	case KH_SHAPE_RSA:
		if (buf_get_bignum_bytes_direct(b, &q, &qlen) != ERR_OK ||
		    buf_get_bignum_bytes_direct(b, &p, &plen) != ERR_OK)
			goto out;
		if (kh_mag_bits(p, plen) < KH_RSA_MIN_BITS ||
		    kh_mag_bits(p, plen) > KH_RSA_MAX_BITS) {
			r = ERR_KEY_INVALID;
			goto out;
		}
		break;
	case KH_SHAPE_DSS:
		if (buf_get_bignum_bytes_direct(b, NULL, NULL) != ERR_OK ||
		    buf_get_bignum_bytes_direct(b, NULL, NULL) != ERR_OK ||
		    buf_get_bignum_bytes_direct(b, NULL, NULL) != ERR_OK ||
		    buf_get_bignum_bytes_direct(b, NULL, NULL) != ERR_OK)
			goto out;
		break;
	}
	/* sshkey_from_blob_internal(): nothing may follow the key */
	if (buf_len(b) != 0)
		goto out;
	*ktp = kt;
	r = ERR_OK;
 out:
	buf_free(b);
	return r;
}

/* ---- the parsed file */

struct kh_entry {
	enum kh_marker marker;
	int hashed;
	/* plain: the comma list, lower-cased; never matches when one
	 * sub-pattern is too long (patterns_ok == 0) */
	char *patterns;
	int patterns_ok;
	/* hashed: the decoded salt and HMAC */
	unsigned char salt[KH_HASH_LEN];
	unsigned char hash[KH_HASH_LEN];
	/* the key blob and its type string (pointing into blob) */
	unsigned char *blob;
	size_t blob_len;
	const unsigned char *type;
	size_t type_len;
	const char *file;       /* one of known_hosts.files */
	int line;
};

struct known_hosts {
	struct kh_entry *entries;
	size_t nentries, entries_cap;
	/* the file names, each a separate allocation so that the pointers
	 * held by entries and results stay valid as the array grows */
	char **files;
	size_t nfiles;
};

static void
kh_entry_clear(struct kh_entry *e)
{
	free(e->patterns);
	free(e->blob);
	memset(e, 0, sizeof(*e));
}

struct known_hosts *
known_hosts_new(void)
{
	return calloc(1, sizeof(struct known_hosts));
}

void
known_hosts_free(struct known_hosts *kh)
{
	size_t i;

	if (kh == NULL)
		return;
	for (i = 0; i < kh->nentries; i++)
		kh_entry_clear(&kh->entries[i]);
	free(kh->entries);
	for (i = 0; i < kh->nfiles; i++)
		free(kh->files[i]);
	free(kh->files);
	free(kh);
}

size_t
known_hosts_count(const struct known_hosts *kh)
{
	return kh == NULL ? 0 : kh->nentries;
}

/* ---- lines */

static int
kh_is_space(char c)
{
	/* hostfile.c separates fields by spaces and tabs only */
	return c == ' ' || c == '\t';
}

static char
kh_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* The length of the field at p (up to end): everything up to a space or
 * a tab. */
static size_t
kh_field_len(const char *p, const char *end)
{
	const char *q = p;

	while (q < end && !kh_is_space(*q))
		q++;
	return (size_t)(q - p);
}

static const char *
kh_skip_space(const char *p, const char *end)
{
	while (p < end && kh_is_space(*p))
		p++;
	return p;
}

/*
 * Decodes base64 that must be padded, as b64_pton() (which OpenSSH uses
 * for salts, hashes and key blobs) requires.  ERR_OK with the bytes in
 * out; ERR_INVALID_FORMAT; ERR_NOMEM.
 */
static int
kh_b64_decode(const char *s, size_t len, struct buf *out)
{
	int r;

	if (len == 0 || len % 4 != 0)
		return ERR_INVALID_FORMAT;
	r = base64_decode(s, len, out);
	return r == ERR_NOMEM ? ERR_NOMEM :
	    r == ERR_OK ? ERR_OK : ERR_INVALID_FORMAT;
}

/* Decodes a padded base64 field that must hold exactly KH_HASH_LEN
 * bytes.  ERR_OK, ERR_INVALID_FORMAT or ERR_NOMEM. */
static int
kh_decode_hash(const char *s, size_t len, unsigned char out[KH_HASH_LEN])
{
	struct buf *b;
	int r;

	if ((b = buf_new(KH_HASH_LEN)) == NULL)
		return ERR_NOMEM;
	if ((r = kh_b64_decode(s, len, b)) == ERR_TOO_LONG)
		r = ERR_INVALID_FORMAT;
	if (r == ERR_OK && buf_len(b) != KH_HASH_LEN)
		r = ERR_INVALID_FORMAT;
	if (r == ERR_OK)
		memcpy(out, buf_ptr(b), KH_HASH_LEN);
	buf_free(b);
	return r;
}

/*
 * A hashed host field: "|1|" base64(salt) "|" base64(hash), nothing else
 * (host_hash() output is compared with the whole field, so a comma list
 * after the hash would never match).  ERR_OK, ERR_INVALID_FORMAT or
 * ERR_NOMEM.
 */
static int
kh_parse_hashed(struct kh_entry *e, const char *p, size_t len)
{
	const char *bar;
	size_t magic = strlen(KH_HASH_MAGIC);
	int r;

	if (len < magic || memcmp(p, KH_HASH_MAGIC, magic) != 0)
		return ERR_INVALID_FORMAT;
	p += magic;
	len -= magic;
	if ((bar = memchr(p, '|', len)) == NULL)
		return ERR_INVALID_FORMAT;
	if ((r = kh_decode_hash(p, (size_t)(bar - p), e->salt)) != ERR_OK ||
	    (r = kh_decode_hash(bar + 1, len - (size_t)(bar - p) - 1,
	    e->hash)) != ERR_OK)
		return r;
	e->hashed = 1;
	return ERR_OK;
}

/* A plain host field: kept lower-cased, as match_hostname() lower-cases
 * the patterns it matches. */
static int
kh_parse_patterns(struct kh_entry *e, const char *p, size_t len)
{
	size_t i, sub = 0;

	if ((e->patterns = malloc(len + 1)) == NULL)
		return ERR_NOMEM;
	e->patterns_ok = 1;
	for (i = 0; i < len; i++) {
		e->patterns[i] = kh_lower(p[i]);
		if (p[i] == ',') {
			sub = 0;
			continue;
		}
		/* a '!' opening a sub-pattern is not part of it */
		if (sub == 0 && p[i] == '!' && (i == 0 || p[i - 1] == ','))
			continue;
		if (++sub >= KH_SUBPATTERN_MAX)
			e->patterns_ok = 0;
	}
	e->patterns[len] = '\0';
	return ERR_OK;
}

/* What kh_parse_line() made of a line (ERR_NOMEM aside). */
enum {
	KH_LINE_ENTRY = 0,      /* *e holds a new entry */
	KH_LINE_EMPTY = 1,      /* a comment or a blank line */
	KH_LINE_BAD = 2,        /* skipped */
};

/*
 * Parses one line (without its '\n') into *e, following
 * hostkeys_foreach() and sshkey_read().  Returns KH_LINE_* or ERR_NOMEM;
 * *e is clear unless KH_LINE_ENTRY.
 */
static int
kh_parse_line(struct kh_entry *e, const char *line, size_t len)
{
	const char *p, *end, *word;
	const struct kh_keytype *kt;
	struct buf *blob = NULL;
	size_t flen, wlen;
	int r = ERR_INTERNAL;

	memset(e, 0, sizeof(*e));
	/* A NUL ends a line for OpenSSH's C strings, silently dropping the
	 * rest; we refuse the line instead of guessing. */
	if (memchr(line, '\0', len) != NULL || len > KH_LINE_MAX)
		return KH_LINE_BAD;
	/* CRLF files: OpenSSH keeps the '\r', which then ends up in the
	 * comment or is skipped by b64_pton() as white space. */
	if (len > 0 && line[len - 1] == '\r')
		len--;
	end = line + len;
	p = kh_skip_space(line, end);
	if (p == end || *p == '#')
		return KH_LINE_EMPTY;

	/*
	 * check_markers(): one marker, ended by white space.  (OpenSSH looks
	 * for a space before it looks for a tab; we take whichever comes
	 * first.)
	 */
	if (*p == '@') {
		flen = kh_field_len(p, end);
		if (p + flen == end)
			goto bad;
		if (flen == strlen("@cert-authority") &&
		    memcmp(p, "@cert-authority", flen) == 0)
			e->marker = KH_MARKER_CA;
		else if (flen == strlen("@revoked") &&
		    memcmp(p, "@revoked", flen) == 0)
			e->marker = KH_MARKER_REVOKED;
		else
			goto bad;
		p = kh_skip_space(p + flen, end);
		if (p < end && *p == '@')
			goto bad;
	}

	/* the host field ("@revoked" alone on a line leaves none) */
	if ((flen = kh_field_len(p, end)) == 0)
		goto bad;
	if (*p == '|')
		r = kh_parse_hashed(e, p, flen);
	else
		r = kh_parse_patterns(e, p, flen);
	if (r == ERR_NOMEM)
		goto out;
	if (r != ERR_OK)
		goto bad;

	/* "truncated before key type" */
	p = kh_skip_space(p + flen, end);
	if (p == end || *p == '#')
		goto bad;

	/* sshkey_read(): a known type name, white space, a base64 blob */
	word = p;
	wlen = kh_field_len(p, end);
	if (p + wlen == end || kh_keytype_by_name(word, wlen) == NULL)
		goto bad;
	p = kh_skip_space(p + wlen, end);
	if (p == end)
		goto bad;
	flen = kh_field_len(p, end);
	if ((blob = buf_new(KH_LINE_MAX)) == NULL) {
		r = ERR_NOMEM;
		goto out;
	}
	if ((r = kh_b64_decode(p, flen, blob)) == ERR_NOMEM)
		goto out;
	if (r != ERR_OK)
		goto bad;
	/* The blob must be a key of exactly the type the line names
	 * (sshkey_read() fails with SSH_ERR_KEY_TYPE_MISMATCH). */
	if ((r = kh_blob_check(buf_ptr(blob), buf_len(blob), &kt)) == ERR_NOMEM)
		goto out;
	if (r != ERR_OK || strlen(kt->name) != wlen ||
	    memcmp(kt->name, word, wlen) != 0)
		goto bad;
	/* the rest of the line is a comment */

	e->blob_len = buf_len(blob);
	if ((e->blob = malloc(e->blob_len)) == NULL) {
		r = ERR_NOMEM;
		goto out;
	}
	memcpy(e->blob, buf_ptr(blob), e->blob_len);
	if ((r = kh_blob_type(e->blob, e->blob_len, &e->type,
	    &e->type_len)) == ERR_NOMEM)
		goto out;
	if (r != ERR_OK)
		goto bad;
	r = KH_LINE_ENTRY;
	goto out;
 bad:
	r = KH_LINE_BAD;
 out:
	buf_free(blob);
	if (r != KH_LINE_ENTRY)
		kh_entry_clear(e);
	return r;
}

/* Makes room for one more entry. */
static int
kh_grow(struct known_hosts *kh)
{
	struct kh_entry *n;
	size_t cap;

	if (kh->nentries < kh->entries_cap)
		return ERR_OK;
	cap = kh->entries_cap == 0 ? 64 : kh->entries_cap * 2;
	if (cap > SIZE_MAX / sizeof(*n))
		return ERR_NOMEM;
	if ((n = realloc(kh->entries, cap * sizeof(*n))) == NULL)
		return ERR_NOMEM;
	kh->entries = n;
	kh->entries_cap = cap;
	return ERR_OK;
}

int
known_hosts_add_text(struct known_hosts *kh, const char *filename,
    const char *text, size_t len, size_t *skippedp)
{
	struct kh_entry e;
	const char *line, *nl, *end;
	char *name = NULL, **files;
	size_t old_nentries, skipped = 0;
	int r = ERR_INTERNAL, lineno = 0, pr;

	if (skippedp != NULL)
		*skippedp = 0;
	if (kh == NULL || filename == NULL || (text == NULL && len != 0))
		return ERR_INVALID_ARGUMENT;
	old_nentries = kh->nentries;
	if ((name = strdup(filename)) == NULL ||
	    (files = realloc(kh->files, (kh->nfiles + 1) *
	    sizeof(*files))) == NULL) {
		r = ERR_NOMEM;
		goto out;
	}
	kh->files = files;

	if (text == NULL)
		text = "";      /* len is 0; NULL + 0 is undefined */
	end = text + len;
	for (line = text; line < end; line = nl + 1) {
		if ((nl = memchr(line, '\n', (size_t)(end - line))) == NULL)
			nl = end;
		/* results carry an int line number */
		if (lineno == INT_MAX) {
			r = ERR_TOO_LONG;
			goto out;
		}
		lineno++;
		if ((pr = kh_parse_line(&e, line, (size_t)(nl - line))) ==
		    ERR_NOMEM) {
			r = ERR_NOMEM;
			goto out;
		}
		if (pr == KH_LINE_BAD)
			skipped++;
		if (pr != KH_LINE_ENTRY)
			continue;
		if ((r = kh_grow(kh)) != ERR_OK) {
			kh_entry_clear(&e);
			goto out;
		}
		e.file = name;
		e.line = lineno;
		kh->entries[kh->nentries++] = e;
	}
	kh->files[kh->nfiles++] = name;
	name = NULL;
	if (skippedp != NULL)
		*skippedp = skipped;
	r = ERR_OK;
 out:
	if (r != ERR_OK) {
		/* all or nothing: drop what this text added */
		while (kh->nentries > old_nentries)
			kh_entry_clear(&kh->entries[--kh->nentries]);
	}
	free(name);
	return r;
}

/* ---- matching */

/*
 * '*' and '?' globbing as match_pattern() does it, over the pattern's len
 * bytes.  Iterative, remembering only the last '*': when a later part
 * fails, letting that '*' swallow one more character is enough (an
 * earlier '*' could never do better), so the cost is at most
 * len(s) * len(pattern) and a hostile pattern cannot make it exponential
 * the way the recursive original can.
 */
static int
kh_glob(const char *s, const char *pat, size_t plen)
{
	const char *pend = pat + plen, *star = NULL, *resume = NULL;

	for (;;) {
		if (pat < pend && *pat == '*') {
			while (pat < pend && *pat == '*')
				pat++;
			if (pat == pend)
				return 1;
			star = pat;
			resume = s;
			continue;
		}
		if (*s != '\0' && pat < pend && (*pat == '?' || *pat == *s)) {
			s++;
			pat++;
			continue;
		}
		if (*s == '\0' && pat == pend)
			return 1;
		/* mismatch: retry after the last '*' one character later */
		if (star == NULL || *resume == '\0')
			return 0;
		pat = star;
		s = ++resume;
	}
}

/*
 * match_pattern_list() for a lower-cased name against a lower-cased
 * comma list: 1 when a positive sub-pattern matches and no negated one
 * does, else 0 (a matching negation excludes the line).
 */
static int
kh_match_list(const char *name, const char *list)
{
	const char *sub, *comma;
	int negated, positive = 0;
	size_t len;

	for (sub = list; *sub != '\0'; sub = comma + 1) {
		negated = *sub == '!';
		if (negated)
			sub++;
		if ((comma = strchr(sub, ',')) == NULL)
			comma = sub + strlen(sub);
		len = (size_t)(comma - sub);
		if (kh_glob(name, sub, len)) {
			if (negated)
				return 0;
			positive = 1;
		}
		if (*comma == '\0')
			break;
	}
	return positive;
}

/* HMAC-SHA1 through OpenSSL, one MAC context reused for every line of a
 * lookup so that the algorithm is fetched once. */
struct kh_hmac {
	EVP_MAC *mac;
	EVP_MAC_CTX *ctx;
	int initialised;
};

static void
kh_hmac_done(struct kh_hmac *h)
{
	EVP_MAC_CTX_free(h->ctx);
	EVP_MAC_free(h->mac);
	memset(h, 0, sizeof(*h));
}

/* HMAC-SHA1(key = salt, data) into out.  ERR_OK, ERR_NOMEM or
 * ERR_INTERNAL when OpenSSL fails. */
static int
kh_hmac_sha1(struct kh_hmac *h, const unsigned char salt[KH_HASH_LEN],
    const char *data, size_t len, unsigned char out[KH_HASH_LEN])
{
	OSSL_PARAM params[2];
	size_t outlen = 0;
	char digest[] = "SHA1";

	if (h->mac == NULL &&
	    (h->mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL)
		return ERR_INTERNAL;
	if (h->ctx == NULL && (h->ctx = EVP_MAC_CTX_new(h->mac)) == NULL)
		return ERR_NOMEM;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	/* the digest is set once; later inits only change the key */
	if (EVP_MAC_init(h->ctx, salt, KH_HASH_LEN,
	    h->initialised ? NULL : params) != 1 ||
	    EVP_MAC_update(h->ctx, (const unsigned char *)data, len) != 1 ||
	    EVP_MAC_final(h->ctx, out, &outlen, KH_HASH_LEN) != 1 ||
	    outlen != KH_HASH_LEN)
		return ERR_INTERNAL;
	h->initialised = 1;
	return ERR_OK;
}

/*
 * Whether entry e is for one of the (lower-cased) names: 1 or 0, or a
 * negative ERR_* from HMAC.
 */
static int
kh_entry_matches(const struct kh_entry *e, char *const *names,
    const size_t *lens, size_t nnames, struct kh_hmac *h)
{
	unsigned char mac[KH_HASH_LEN];
	size_t i;
	int r;

	for (i = 0; i < nnames; i++) {
		if (!e->hashed) {
			if (e->patterns_ok && kh_match_list(names[i], e->patterns))
				return 1;
			continue;
		}
		if ((r = kh_hmac_sha1(h, e->salt, names[i], lens[i], mac)) !=
		    ERR_OK)
			return r;
		if (mem_equal_ct(mac, e->hash, KH_HASH_LEN) == 0)
			return 1;
	}
	return 0;
}

/* Lower-cased copies of names (caller frees with kh_names_free()). */
static int
kh_names_lower(const char *const *names, size_t nnames, char ***lowerp,
    size_t **lensp)
{
	char **lower = NULL;
	size_t *lens = NULL, i, j;
	int r = ERR_INTERNAL;

	*lowerp = NULL;
	*lensp = NULL;
	if ((lower = calloc(nnames, sizeof(*lower))) == NULL ||
	    (lens = calloc(nnames, sizeof(*lens))) == NULL) {
		r = ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < nnames; i++) {
		if ((lower[i] = strdup(names[i])) == NULL) {
			r = ERR_NOMEM;
			goto out;
		}
		lens[i] = strlen(lower[i]);
		for (j = 0; j < lens[i]; j++)
			lower[i][j] = kh_lower(lower[i][j]);
	}
	*lowerp = lower;
	*lensp = lens;
	lower = NULL;
	lens = NULL;
	r = ERR_OK;
 out:
	if (lower != NULL) {
		for (i = 0; i < nnames; i++)
			free(lower[i]);
		free(lower);
	}
	free(lens);
	return r;
}

static void
kh_names_free(char **lower, size_t *lens, size_t nnames)
{
	size_t i;

	if (lower != NULL) {
		for (i = 0; i < nnames; i++)
			free(lower[i]);
	}
	free(lower);
	free(lens);
}

static int
kh_check_args(const struct known_hosts *kh, const char *const *names,
    size_t nnames, const unsigned char *blob, size_t len,
    struct kh_result *res)
{
	size_t i;

	if (kh == NULL || names == NULL || nnames == 0 || blob == NULL ||
	    len == 0 || res == NULL)
		return ERR_INVALID_ARGUMENT;
	for (i = 0; i < nnames; i++) {
		if (names[i] == NULL)
			return ERR_INVALID_ARGUMENT;
	}
	return ERR_OK;
}

static void
kh_result_set(struct kh_result *res, enum kh_status status,
    const struct kh_entry *e)
{
	res->status = status;
	res->file = e == NULL ? NULL : e->file;
	res->line = e == NULL ? 0 : e->line;
}

/*
 * The one walk behind known_hosts_check() (want == KH_MARKER_NONE) and
 * known_hosts_find_ca() (want == KH_MARKER_CA).  As
 * check_hostkeys_by_key_or_type() and check_key_not_revoked(): a
 * @revoked line for a name holding the key decides at once; else the
 * first line of the wanted marker for a name holding the key gives OK;
 * else, for plain lookups, the first such line holding another key of
 * the same type gives CHANGED; else NEW.  Lines whose key type differs
 * from the key's can neither hold the key nor conflict with it, so they
 * are passed over before any name is matched or hashed.
 */
static int
kh_lookup(const struct known_hosts *kh, const char *const *names,
    size_t nnames, const unsigned char *blob, size_t len,
    enum kh_marker want, struct kh_result *res)
{
	const struct kh_entry *e, *ok = NULL, *changed = NULL;
	struct kh_hmac hmac;
	const unsigned char *type;
	char **lower = NULL;
	size_t *lens = NULL, tlen, i;
	int r = ERR_INTERNAL, same, m;

	memset(&hmac, 0, sizeof(hmac));
	if ((r = kh_check_args(kh, names, nnames, blob, len, res)) != ERR_OK)
		return r;
	kh_result_set(res, KH_STATUS_NEW, NULL);
	if ((r = kh_blob_type(blob, len, &type, &tlen)) != ERR_OK)
		goto out;
	if ((r = kh_names_lower(names, nnames, &lower, &lens)) != ERR_OK)
		goto out;

	for (i = 0; i < kh->nentries; i++) {
		e = &kh->entries[i];
		if (e->marker != want && e->marker != KH_MARKER_REVOKED)
			continue;
		if (e->type_len != tlen || memcmp(e->type, type, tlen) != 0)
			continue;
		same = e->blob_len == len && memcmp(e->blob, blob, len) == 0;
		/* Skip lines that could not change the answer. */
		if (e->marker == KH_MARKER_REVOKED ? !same :
		    (same ? ok != NULL :
		    (want == KH_MARKER_CA || ok != NULL || changed != NULL)))
			continue;
		if ((m = kh_entry_matches(e, lower, lens, nnames, &hmac)) < 0) {
			r = m;
			goto out;
		}
		if (!m)
			continue;
		if (e->marker == KH_MARKER_REVOKED) {
			kh_result_set(res, KH_STATUS_REVOKED, e);
			r = ERR_OK;
			goto out;
		}
		if (same)
			ok = e;
		else
			changed = e;
	}
	if (ok != NULL)
		kh_result_set(res, KH_STATUS_OK, ok);
	else if (changed != NULL)
		kh_result_set(res, KH_STATUS_CHANGED, changed);
	r = ERR_OK;
 out:
	if (r != ERR_OK)
		kh_result_set(res, KH_STATUS_NEW, NULL);
	kh_names_free(lower, lens, nnames);
	kh_hmac_done(&hmac);
	return r;
}

int
known_hosts_check(const struct known_hosts *kh, const char *const *names,
    size_t nnames, const unsigned char *key_blob, size_t key_len,
    struct kh_result *res)
{
	return kh_lookup(kh, names, nnames, key_blob, key_len, KH_MARKER_NONE,
	    res);
}

int
known_hosts_find_ca(const struct known_hosts *kh,
    const char *const *names, size_t nnames, const unsigned char *ca_blob,
    size_t ca_len, struct kh_result *res)
{
	int r;

	if ((r = kh_lookup(kh, names, nnames, ca_blob, ca_len, KH_MARKER_CA,
	    res)) != ERR_OK)
		return r;
	return res->status == KH_STATUS_OK;
}

/* ---- writing */

char *
known_hosts_name(const char *host, int port)
{
	struct buf *b = NULL;
	char *ret = NULL;
	size_t i, len;
	int r;

	if (host == NULL || port < 0 || port > 65535)
		return NULL;
	if ((b = buf_new(0)) == NULL)
		return NULL;
	/* put_host_port(): port 0 means the default too */
	if (port == 0 || port == 22)
		r = buf_put_cstr(b, host);
	else
		r = buf_putf(b, "[%s]:%d", host, port);
	if (r == ERR_OK && (ret = buf_dup_cstr(b)) != NULL) {
		len = strlen(ret);
		for (i = 0; i < len; i++)
			ret[i] = kh_lower(ret[i]);
	}
	buf_free(b);
	return ret;
}

/*
 * Whether name may be written as the host field.  A name is written
 * verbatim, so it must not carry field or list syntax: white space and
 * control characters would split or break the line, and in plain form a
 * ',' '*' '?' or leading '!' would turn one host into a pattern list that
 * trusts the key for other hosts, and a leading '|' '@' '#' would be read
 * as a hash, a marker or a comment.
 */
static int
kh_name_ok(const char *name, int hashed)
{
	const unsigned char *p = (const unsigned char *)name;

	if (*p == '\0')
		return 0;
	for (; *p != '\0'; p++) {
		if (*p <= ' ' || *p == 0x7f)
			return 0;
		if (!hashed && strchr(",*?", *p) != NULL)
			return 0;
	}
	if (!hashed && strchr("!|@#", name[0]) != NULL)
		return 0;
	return 1;
}

int
known_hosts_format_line(const char *name, const unsigned char *key_blob,
    size_t key_len, const unsigned char *salt, struct buf *out)
{
	const struct kh_keytype *kt;
	struct kh_hmac hmac;
	unsigned char mac[KH_HASH_LEN];
	struct buf *line = NULL;
	char *lower = NULL;
	int r = ERR_INTERNAL;

	memset(&hmac, 0, sizeof(hmac));
	if (name == NULL || key_blob == NULL || out == NULL ||
	    !kh_name_ok(name, salt != NULL))
		return ERR_INVALID_ARGUMENT;
	if ((r = kh_blob_check(key_blob, key_len, &kt)) != ERR_OK)
		goto out;
	/* write_host_entry() lower-cases the name, hashed or not */
	if ((lower = known_hosts_name(name, 22)) == NULL ||
	    (line = buf_new(0)) == NULL) {
		r = ERR_NOMEM;
		goto out;
	}
	if (salt != NULL) {
		if ((r = kh_hmac_sha1(&hmac, salt, lower, strlen(lower),
		    mac)) != ERR_OK ||
		    (r = buf_put_cstr(line, KH_HASH_MAGIC)) != ERR_OK ||
		    (r = base64_encode(salt, KH_HASH_LEN, line, 1)) != ERR_OK ||
		    (r = buf_put_u8(line, '|')) != ERR_OK ||
		    (r = base64_encode(mac, KH_HASH_LEN, line, 1)) != ERR_OK)
			goto out;
	} else if ((r = buf_put_cstr(line, lower)) != ERR_OK)
		goto out;
	if ((r = buf_putf(line, " %s ", kt->name)) != ERR_OK ||
	    (r = base64_encode(key_blob, key_len, line, 1)) != ERR_OK ||
	    (r = buf_put_u8(line, '\n')) != ERR_OK ||
	    (r = buf_put(out, buf_ptr(line), buf_len(line))) != ERR_OK)
		goto out;
	r = ERR_OK;
 out:
	kh_hmac_done(&hmac);
	buf_free(line);
	free(lower);
	return r;
}
