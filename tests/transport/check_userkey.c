/*
 * User keys (src/transport/userkey.c) against files that ssh-keygen and
 * OpenSSL write at test time: every key type unencrypted and encrypted
 * (aes256-ctr, aes128-ctr, aes256-cbc, aes256-gcm@openssh.com with the
 * bcrypt KDF at 4 rounds) with the right, a wrong and no passphrase;
 * PEM and PKCS#8 exports, plain and encrypted; public lines and
 * certificates; fingerprints compared with `ssh-keygen -lf`; every
 * signature checked with hostkey_verify(); truncation and bit-flip
 * sweeps of key files, which must never crash.
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "common/base64.h"
#include "common/buf.h"
#include "common/err.h"
#include "transport/kexalg.h"
#include "transport/userkey.h"

#define PASS "secret"

static char dir[64];

struct keytype {
	const char *file;       /* file name prefix */
	const char *gen;        /* ssh-keygen options */
	const char *name;       /* SSH key type */
	const char *algs[3];    /* signature algorithms */
	int pem;                /* OpenSSH can export PEM/PKCS#8 */
};

static const struct keytype types[] = {
	{ "ed25519", "-t ed25519", "ssh-ed25519", { "ssh-ed25519" }, 0 },
	{ "ecdsa256", "-t ecdsa -b 256", "ecdsa-sha2-nistp256",
	    { "ecdsa-sha2-nistp256" }, 1 },
	{ "ecdsa384", "-t ecdsa -b 384", "ecdsa-sha2-nistp384",
	    { "ecdsa-sha2-nistp384" }, 1 },
	{ "ecdsa521", "-t ecdsa -b 521", "ecdsa-sha2-nistp521",
	    { "ecdsa-sha2-nistp521" }, 1 },
	{ "rsa", "-t rsa -b 2048", "ssh-rsa",
	    { "rsa-sha2-256", "rsa-sha2-512", "ssh-rsa" }, 1 },
};
#define NTYPES (sizeof(types) / sizeof(types[0]))

/* OpenSSH-format variants: file suffix, cipher (NULL: unencrypted). */
static const struct {
	const char *suffix, *cipher;
} variants[] = {
	{ "none", NULL },
	{ "ctr", "aes256-ctr" },
	{ "ctr128", "aes128-ctr" },
	{ "cbc", "aes256-cbc" },
	{ "gcm", "aes256-gcm@openssh.com" },
};
#define NVARIANTS (sizeof(variants) / sizeof(variants[0]))

/* PEM/PKCS#8 variants, for the types with pem set. */
static const struct {
	const char *suffix, *format;
	int encrypted;
} pem_variants[] = {
	{ "pem", "PEM", 0 },
	{ "pemenc", "PEM", 1 },
	{ "p8", "PKCS8", 0 },
	{ "p8enc", "PKCS8", 1 },
};
#define NPEM (sizeof(pem_variants) / sizeof(pem_variants[0]))

/* ---- helpers */

static void
run(const char *cmd)
{
	int st = system(cmd);

	if (st != 0) {
		fprintf(stderr, "check_userkey: command failed: %s\n", cmd);
		abort();
	}
}

static char *
path_of(const char *name)
{
	static char p[256];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return p;
}

static unsigned char *
read_file(const char *path, size_t *lenp)
{
	FILE *f = fopen(path, "rb");
	unsigned char *data;
	long n;

	ck_assert_msg(f != NULL, "cannot open %s", path);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	ck_assert_int_ge(n, 0);
	rewind(f);
	data = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(data);
	ck_assert_uint_eq(fread(data, 1, (size_t)n, f), (size_t)n);
	data[n] = '\0';
	fclose(f);
	*lenp = (size_t)n;
	return data;
}

static struct userkey *
load_private(const char *name, const char *pass, int want)
{
	unsigned char *data;
	size_t len;
	struct userkey *k = NULL;
	int r;

	data = read_file(path_of(name), &len);
	r = userkey_parse_private(data, len, pass, &k);
	ck_assert_msg(r == want, "%s with %s: %s, want %s", name,
	    pass == NULL ? "(null)" : pass, err_str(r), err_str(want));
	if (r != ERR_OK)
		ck_assert_ptr_null(k);
	free(data);
	return k;
}

static struct userkey *
load_public(const char *name)
{
	unsigned char *data;
	size_t len;
	struct userkey *k = NULL;

	data = read_file(path_of(name), &len);
	ck_assert_int_eq(userkey_parse_public((const char *)data, len, &k),
	    ERR_OK);
	free(data);
	return k;
}

/* The blob of a .pub file decoded here, apart from the parser. */
static struct buf *
pub_file_blob(const char *name)
{
	unsigned char *data;
	size_t len;
	char *sp, *end;
	struct buf *b = buf_new(0);

	ck_assert_ptr_nonnull(b);
	data = read_file(path_of(name), &len);
	sp = strchr((char *)data, ' ');
	ck_assert_ptr_nonnull(sp);
	sp++;
	end = sp + strcspn(sp, " \n");
	ck_assert_int_eq(base64_decode(sp, (size_t)(end - sp), b), ERR_OK);
	free(data);
	return b;
}

/* The SHA256 fingerprint that ssh-keygen -lf prints for a file. */
static char *
keygen_fingerprint(const char *name)
{
	char cmd[512], line[1024], *fp, *end;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "ssh-keygen -E sha256 -lf %s",
	    path_of(name));
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), p));
	ck_assert_int_eq(pclose(p), 0);
	fp = strchr(line, ' ');
	ck_assert_ptr_nonnull(fp);
	fp++;
	end = strchr(fp, ' ');
	ck_assert_ptr_nonnull(end);
	*end = '\0';
	return strdup(fp);
}

static void
assert_blob(const struct userkey *k, const struct buf *want)
{
	const unsigned char *blob;
	size_t len;

	userkey_public_blob(k, &blob, &len);
	ck_assert_uint_eq(len, buf_len(want));
	ck_assert_mem_eq(blob, buf_ptr(want), len);
}

/* Signs with alg and checks the signature with hostkey_verify(), then
 * that it fails over other data and under another algorithm name. */
static void
sign_and_verify(const struct userkey *k, const char *alg)
{
	static const unsigned char data[] = "session id and userauth request";
	struct buf *sig = buf_new(0);
	struct hostkey *hk = NULL;
	const unsigned char *plain;
	size_t plain_len;

	ck_assert_ptr_nonnull(sig);
	ck_assert_int_eq(buf_put_cstr(sig, "x"), ERR_OK);
	ck_assert_int_eq(buf_consume(sig, 1), ERR_OK);
	ck_assert_int_eq(userkey_sign(k, alg, data, sizeof(data), sig),
	    ERR_OK);
	userkey_plain_blob(k, &plain, &plain_len);
	ck_assert_int_eq(hostkey_from_blob(plain, plain_len, &hk), ERR_OK);
	ck_assert_int_eq(hostkey_verify(hk, alg, buf_ptr(sig), buf_len(sig),
	    data, sizeof(data)), ERR_OK);
	ck_assert_int_eq(hostkey_verify(hk, alg, buf_ptr(sig), buf_len(sig),
	    data, sizeof(data) - 1), ERR_SIGNATURE_INVALID);
	hostkey_free(hk);
	buf_free(sig);
}

static void
check_key(const struct userkey *k, const struct keytype *t)
{
	size_t i;

	ck_assert(userkey_has_private(k));
	ck_assert(!userkey_is_certificate(k));
	ck_assert_str_eq(userkey_type_name(k), t->name);
	for (i = 0; i < 3 && t->algs[i] != NULL; i++)
		sign_and_verify(k, t->algs[i]);
}

/* Base64 in 70-column lines between the OpenSSH markers. */
static struct buf *
armor(const unsigned char *bin, size_t len)
{
	struct buf *b64 = buf_new(0), *out = buf_new(0);
	size_t i, n;

	ck_assert_ptr_nonnull(b64);
	ck_assert_ptr_nonnull(out);
	ck_assert_int_eq(base64_encode(bin, len, b64, 1), ERR_OK);
	ck_assert_int_eq(buf_put_cstr(out,
	    "-----BEGIN OPENSSH PRIVATE KEY-----\n"), ERR_OK);
	for (i = 0; i < buf_len(b64); i += 70) {
		n = buf_len(b64) - i < 70 ? buf_len(b64) - i : 70;
		ck_assert_int_eq(buf_put(out, buf_ptr(b64) + i, n), ERR_OK);
		ck_assert_int_eq(buf_put_u8(out, '\n'), ERR_OK);
	}
	ck_assert_int_eq(buf_put_cstr(out,
	    "-----END OPENSSH PRIVATE KEY-----\n"), ERR_OK);
	buf_free(b64);
	return out;
}

/* The binary inside an OpenSSH key file. */
static struct buf *
unarmor_file(const char *name)
{
	unsigned char *data;
	size_t len;
	char *s, *e, *p;
	struct buf *text = buf_new(0), *bin = buf_new(0);

	ck_assert_ptr_nonnull(text);
	ck_assert_ptr_nonnull(bin);
	data = read_file(path_of(name), &len);
	s = strchr((char *)data, '\n');
	ck_assert_ptr_nonnull(s);
	e = strstr(s, "-----END");
	ck_assert_ptr_nonnull(e);
	for (p = s; p < e; p++)
		if (*p != '\n')
			ck_assert_int_eq(buf_put_u8(text, (unsigned char)*p),
			    ERR_OK);
	ck_assert_int_eq(base64_decode(buf_cstr(text), buf_len(text), bin),
	    ERR_OK);
	buf_free(text);
	free(data);
	return bin;
}

/* ---- fixture: the key files, made once for the whole suite */

static void
keys_setup(void)
{
	char cmd[8192];
	size_t t, v, n;

	snprintf(dir, sizeof(dir), "/tmp/check_userkey.XXXXXX");
	if (mkdtemp(dir) == NULL)
		abort();
	n = (size_t)snprintf(cmd, sizeof(cmd), "set -e; cd %s; "
	    "ssh-keygen -q -t ed25519 -N '' -C ca -f ca; ", dir);
	for (t = 0; t < NTYPES; t++) {
		n += (size_t)snprintf(cmd + n, sizeof(cmd) - n,
		    "ssh-keygen -q %s -N '' -C 'comment of %s' -f %s-none; "
		    "ssh-keygen -q -s ca -I id -n user %s-none.pub; ",
		    types[t].gen, types[t].file, types[t].file,
		    types[t].file);
		for (v = 1; v < NVARIANTS; v++)
			n += (size_t)snprintf(cmd + n, sizeof(cmd) - n,
			    "cp %s-none %s-%s; ssh-keygen -q -p -P '' "
			    "-N " PASS " -a 4 -Z %s -f %s-%s >/dev/null; ",
			    types[t].file, types[t].file,
			    variants[v].suffix, variants[v].cipher,
			    types[t].file, variants[v].suffix);
		for (v = 0; types[t].pem && v < NPEM; v++)
			n += (size_t)snprintf(cmd + n, sizeof(cmd) - n,
			    "cp %s-none %s-%s; ssh-keygen -q -p -P '' "
			    "-N '%s' -m %s -f %s-%s >/dev/null; ",
			    types[t].file, types[t].file,
			    pem_variants[v].suffix,
			    pem_variants[v].encrypted ? PASS : "",
			    pem_variants[v].format, types[t].file,
			    pem_variants[v].suffix);
		if (n >= sizeof(cmd))
			abort();
	}
	/* one KDF round for the bit-flip sweeps, which run it per flip */
	n += (size_t)snprintf(cmd + n, sizeof(cmd) - n,
	    "for c in ctr gcm; do cp ed25519-none ed25519-$c-1; "
	    "ssh-keygen -q -p -P '' -N " PASS " -a 1 "
	    "-Z aes256-$c$(test $c = gcm && echo @openssh.com) "
	    "-f ed25519-$c-1 >/dev/null; done; ");
	n += (size_t)snprintf(cmd + n, sizeof(cmd) - n,
	    "cp ed25519-none ed25519-chacha; ssh-keygen -q -p -P '' -N "
	    PASS " -a 4 -Z chacha20-poly1305@openssh.com -f ed25519-chacha "
	    ">/dev/null");
	if (n >= sizeof(cmd))
		abort();
	run(cmd);
}

static void
keys_teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	run(cmd);
}

/* ---- OpenSSH format: type x cipher x passphrase */

START_TEST(test_openssh_private)
{
	const struct keytype *t = &types[_i / NVARIANTS];
	size_t v = _i % NVARIANTS;
	char name[64], pubname[64], comment[64];
	struct userkey *k, *pk;
	struct buf *want;
	char *fp, *kfp;

	snprintf(name, sizeof(name), "%s-%s", t->file, variants[v].suffix);
	snprintf(pubname, sizeof(pubname), "%s-none.pub", t->file);
	snprintf(comment, sizeof(comment), "comment of %s", t->file);
	if (variants[v].cipher != NULL) {
		ck_assert_ptr_null(load_private(name, NULL,
		    ERR_PASSPHRASE_NEEDED));
		ck_assert_ptr_null(load_private(name, "",
		    ERR_PASSPHRASE_NEEDED));
		ck_assert_ptr_null(load_private(name, "wrong",
		    ERR_PASSPHRASE_WRONG));
		k = load_private(name, PASS, ERR_OK);
	} else {
		/* a passphrase for an unencrypted file is ignored */
		k = load_private(name, "unused", ERR_OK);
		userkey_free(k);
		k = load_private(name, NULL, ERR_OK);
	}
	check_key(k, t);
	ck_assert_str_eq(userkey_comment(k), comment);
	want = pub_file_blob(pubname);
	assert_blob(k, want);
	pk = load_public(pubname);
	assert_blob(pk, want);
	ck_assert(!userkey_has_private(pk));
	ck_assert_str_eq(userkey_comment(pk), comment);
	fp = userkey_fingerprint(k);
	kfp = keygen_fingerprint(pubname);
	ck_assert_str_eq(fp, kfp);
	free(fp);
	free(kfp);
	buf_free(want);
	userkey_free(pk);
	userkey_free(k);
}
END_TEST

/* ---- PEM and PKCS#8 through OpenSSL */

START_TEST(test_pem_private)
{
	const struct keytype *t = &types[1 + _i / NPEM];
	size_t v = _i % NPEM;
	char name[64], pubname[64];
	struct userkey *k;
	struct buf *want;
	char *fp, *kfp;

	snprintf(name, sizeof(name), "%s-%s", t->file, pem_variants[v].suffix);
	snprintf(pubname, sizeof(pubname), "%s-none.pub", t->file);
	if (pem_variants[v].encrypted) {
		ck_assert_ptr_null(load_private(name, NULL,
		    ERR_PASSPHRASE_NEEDED));
		ck_assert_ptr_null(load_private(name, "wrong",
		    ERR_PASSPHRASE_WRONG));
		k = load_private(name, PASS, ERR_OK);
	} else
		k = load_private(name, NULL, ERR_OK);
	check_key(k, t);
	ck_assert_str_eq(userkey_comment(k), "");
	want = pub_file_blob(pubname);
	assert_blob(k, want);
	fp = userkey_fingerprint(k);
	kfp = keygen_fingerprint(pem_variants[v].encrypted ? pubname : name);
	ck_assert_str_eq(fp, kfp);
	free(fp);
	free(kfp);
	buf_free(want);
	userkey_free(k);
}
END_TEST

/* Ed25519 in PKCS#8, which ssh-keygen does not write: made by OpenSSL
 * here, plain and encrypted. */
START_TEST(test_ed25519_pkcs8)
{
	EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	unsigned char raw[32];
	size_t rawlen = sizeof(raw);
	BIO *bio;
	char *pem;
	long pemlen;
	struct userkey *k;
	const unsigned char *blob;
	size_t bloblen;
	int enc;

	ck_assert_ptr_nonnull(pkey);
	ck_assert_int_eq(EVP_PKEY_get_raw_public_key(pkey, raw, &rawlen), 1);
	for (enc = 0; enc < 2; enc++) {
		bio = BIO_new(BIO_s_mem());
		ck_assert_ptr_nonnull(bio);
		ck_assert_int_eq(PEM_write_bio_PKCS8PrivateKey(bio, pkey,
		    enc ? EVP_aes_256_cbc() : NULL, NULL, 0, NULL,
		    enc ? (void *)PASS : NULL), 1);
		pemlen = BIO_get_mem_data(bio, &pem);
		ck_assert_int_gt(pemlen, 0);
		if (enc) {
			ck_assert_int_eq(userkey_parse_private(
			    (unsigned char *)pem, (size_t)pemlen, NULL, &k),
			    ERR_PASSPHRASE_NEEDED);
			ck_assert_int_eq(userkey_parse_private(
			    (unsigned char *)pem, (size_t)pemlen, "wrong", &k),
			    ERR_PASSPHRASE_WRONG);
		}
		ck_assert_int_eq(userkey_parse_private((unsigned char *)pem,
		    (size_t)pemlen, enc ? PASS : NULL, &k), ERR_OK);
		check_key(k, &types[0]);
		userkey_public_blob(k, &blob, &bloblen);
		/* string "ssh-ed25519" (4 + 11), string pk (4 + 32) */
		ck_assert_uint_eq(bloblen, 51);
		ck_assert_mem_eq(blob + 19, raw, 32);
		userkey_free(k);
		BIO_free(bio);
	}
	EVP_PKEY_free(pkey);
}
END_TEST

START_TEST(test_unsupported_cipher)
{
	ck_assert_ptr_null(load_private("ed25519-chacha", PASS,
	    ERR_KEY_TYPE_UNKNOWN));
}
END_TEST

/* ---- certificates */

START_TEST(test_certificate)
{
	const struct keytype *t = &types[_i];
	char name[64], plainname[64], certname[80];
	struct userkey *k, *plain;
	struct buf *want;
	const unsigned char *pb, *kb;
	size_t pblen, kblen;
	char *fp, *kfp;

	snprintf(plainname, sizeof(plainname), "%s-none.pub", t->file);
	snprintf(name, sizeof(name), "%s-none-cert.pub", t->file);
	snprintf(certname, sizeof(certname), "%s-cert-v01@openssh.com",
	    t->name);
	k = load_public(name);
	plain = load_public(plainname);
	ck_assert(userkey_is_certificate(k));
	ck_assert(!userkey_has_private(k));
	ck_assert_str_eq(userkey_type_name(k), certname);
	want = pub_file_blob(name);
	assert_blob(k, want);
	/* the certified key is the plain key */
	userkey_plain_blob(k, &kb, &kblen);
	userkey_public_blob(plain, &pb, &pblen);
	ck_assert_uint_eq(kblen, pblen);
	ck_assert_mem_eq(kb, pb, pblen);
	fp = userkey_fingerprint(k);
	kfp = keygen_fingerprint(name);
	ck_assert_str_eq(fp, kfp);
	free(fp);
	free(kfp);
	ck_assert_int_eq(userkey_sign(k, t->algs[0], (const unsigned char *)"x",
	    1, want), ERR_INVALID_ARGUMENT);
	buf_free(want);
	userkey_free(plain);
	userkey_free(k);
}
END_TEST

/* A certificate blob with a byte more, or one string short. */
START_TEST(test_certificate_bad)
{
	struct buf *blob = pub_file_blob("ed25519-none-cert.pub");
	struct buf *line = buf_new(0);
	struct userkey *k = NULL;
	size_t len = buf_len(blob);

	ck_assert_ptr_nonnull(line);
	ck_assert_int_eq(buf_put_u8(blob, 0), ERR_OK);
	ck_assert_int_eq(buf_put_cstr(line,
	    "ssh-ed25519-cert-v01@openssh.com "), ERR_OK);
	ck_assert_int_eq(base64_encode(buf_ptr(blob), buf_len(blob), line, 1),
	    ERR_OK);
	ck_assert_int_eq(userkey_parse_public(buf_cstr(line), buf_len(line),
	    &k), ERR_INVALID_FORMAT);
	ck_assert_ptr_null(k);
	buf_reset(line);
	ck_assert_int_eq(buf_put_cstr(line,
	    "ssh-ed25519-cert-v01@openssh.com "), ERR_OK);
	ck_assert_int_eq(base64_encode(buf_ptr(blob), len - 8, line, 1),
	    ERR_OK);
	ck_assert_int_eq(userkey_parse_public(buf_cstr(line), buf_len(line),
	    &k), ERR_INVALID_FORMAT);
	buf_free(line);
	buf_free(blob);
}
END_TEST

/* ---- public lines */

START_TEST(test_public_lines)
{
	struct buf *blob = pub_file_blob("ed25519-none.pub");
	struct buf *b64 = buf_new(0);
	char line[512];
	struct userkey *k = NULL;
	int n;

	ck_assert_ptr_nonnull(b64);
	ck_assert_int_eq(base64_encode(buf_ptr(blob), buf_len(blob), b64, 1),
	    ERR_OK);
	/* no comment, a trailing newline */
	n = snprintf(line, sizeof(line), "ssh-ed25519 %s\n", buf_cstr(b64));
	ck_assert_int_eq(userkey_parse_public(line, (size_t)n, &k), ERR_OK);
	ck_assert_str_eq(userkey_comment(k), "");
	assert_blob(k, blob);
	userkey_free(k);
	/* leading blanks, tabs, a comment with spaces, CRLF */
	n = snprintf(line, sizeof(line), " \tssh-ed25519\t%s  a b c \r\n",
	    buf_cstr(b64));
	ck_assert_int_eq(userkey_parse_public(line, (size_t)n, &k), ERR_OK);
	ck_assert_str_eq(userkey_comment(k), "a b c");
	userkey_free(k);
	/* the line ends at its length */
	n = snprintf(line, sizeof(line), "ssh-ed25519 %s cut", buf_cstr(b64));
	ck_assert_int_eq(userkey_parse_public(line, (size_t)n - 2, &k),
	    ERR_OK);
	ck_assert_str_eq(userkey_comment(k), "c");
	userkey_free(k);
	/* the line's type must be the blob's */
	n = snprintf(line, sizeof(line), "ssh-rsa %s", buf_cstr(b64));
	ck_assert_int_eq(userkey_parse_public(line, (size_t)n, &k),
	    ERR_INVALID_FORMAT);
	ck_assert_ptr_null(k);
	n = snprintf(line, sizeof(line), "ssh-ed25519-cert-v01@openssh.com %s",
	    buf_cstr(b64));
	ck_assert_int_eq(userkey_parse_public(line, (size_t)n, &k),
	    ERR_INVALID_FORMAT);
	n = snprintf(line, sizeof(line), "ssh-dss %s", buf_cstr(b64));
	ck_assert_int_eq(userkey_parse_public(line, (size_t)n, &k),
	    ERR_KEY_TYPE_UNKNOWN);
	n = snprintf(line, sizeof(line), "sk-ssh-ed25519@openssh.com %s",
	    buf_cstr(b64));
	ck_assert_int_eq(userkey_parse_public(line, (size_t)n, &k),
	    ERR_KEY_TYPE_UNKNOWN);
	/* broken base64, a missing blob, nothing */
	n = snprintf(line, sizeof(line), "ssh-ed25519 %s!", buf_cstr(b64));
	ck_assert_int_eq(userkey_parse_public(line, (size_t)n, &k),
	    ERR_INVALID_FORMAT);
	ck_assert_int_eq(userkey_parse_public("ssh-ed25519", 11, &k),
	    ERR_INVALID_FORMAT);
	ck_assert_int_eq(userkey_parse_public("ssh-ed25519  \n", 14, &k),
	    ERR_INVALID_FORMAT);
	ck_assert_int_eq(userkey_parse_public("", 0, &k), ERR_INVALID_FORMAT);
	ck_assert_int_eq(userkey_parse_public(NULL, 0, &k),
	    ERR_INVALID_FORMAT);
	/* a NUL inside */
	n = snprintf(line, sizeof(line), "ssh-ed25519 %s x", buf_cstr(b64));
	line[n - 2] = '\0';
	ck_assert_int_eq(userkey_parse_public(line, (size_t)n, &k),
	    ERR_INVALID_FORMAT);
	/* a blob with trailing bytes */
	ck_assert_int_eq(buf_put_u8(blob, 0), ERR_OK);
	buf_reset(b64);
	ck_assert_int_eq(base64_encode(buf_ptr(blob), buf_len(blob), b64, 1),
	    ERR_OK);
	n = snprintf(line, sizeof(line), "ssh-ed25519 %s", buf_cstr(b64));
	ck_assert_int_eq(userkey_parse_public(line, (size_t)n, &k),
	    ERR_KEY_INVALID);
	ck_assert_ptr_null(k);
	buf_free(b64);
	buf_free(blob);
}
END_TEST

/* Every truncation of each type's public line fails or parses the same
 * key (a cut inside the comment). */
START_TEST(test_public_truncation)
{
	char name[64];
	unsigned char *data;
	size_t len, i, type_end;
	struct userkey *k;
	int r;

	snprintf(name, sizeof(name), "%s-none-cert.pub", types[_i].file);
	data = read_file(path_of(name), &len);
	type_end = strcspn((char *)data, " ");
	for (i = 0; i < len; i++) {
		k = NULL;
		r = userkey_parse_public((const char *)data, i, &k);
		if (r == ERR_OK) {
			ck_assert_ptr_nonnull(k);
			userkey_free(k);
		} else
			ck_assert_ptr_null(k);
		ck_assert(i > type_end || r != ERR_OK);
	}
	free(data);
}
END_TEST

/* ---- signing arguments */

START_TEST(test_sign_arguments)
{
	struct userkey *k = load_private("ed25519-none", NULL, ERR_OK);
	struct userkey *rk = load_private("rsa-none", NULL, ERR_OK);
	struct userkey *pk = load_public("ed25519-none.pub");
	struct buf *out = buf_new(0);
	static const unsigned char d[] = "data";

	ck_assert_ptr_nonnull(out);
	ck_assert_int_eq(userkey_sign(k, "rsa-sha2-256", d, 4, out),
	    ERR_INVALID_ARGUMENT);
	ck_assert_int_eq(userkey_sign(k, "ecdsa-sha2-nistp256", d, 4, out),
	    ERR_INVALID_ARGUMENT);
	ck_assert_int_eq(userkey_sign(rk, "ssh-ed25519", d, 4, out),
	    ERR_INVALID_ARGUMENT);
	ck_assert_int_eq(userkey_sign(rk, "rsa-sha2-384", d, 4, out),
	    ERR_INVALID_ARGUMENT);
	ck_assert_int_eq(userkey_sign(pk, "ssh-ed25519", d, 4, out),
	    ERR_INVALID_ARGUMENT);
	ck_assert_int_eq(userkey_sign(k, NULL, d, 4, out),
	    ERR_INVALID_ARGUMENT);
	ck_assert_uint_eq(buf_len(out), 0);
	/* empty data is data */
	ck_assert_int_eq(userkey_sign(k, "ssh-ed25519", NULL, 0, out), ERR_OK);
	ck_assert_uint_eq(buf_len(out), 4 + 11 + 4 + 64);
	/* Ed25519 is deterministic: the same signature twice */
	ck_assert_int_eq(userkey_sign(k, "ssh-ed25519", NULL, 0, out), ERR_OK);
	ck_assert_mem_eq(buf_ptr(out), buf_ptr(out) + 83, 83);
	buf_free(out);
	userkey_free(pk);
	userkey_free(rk);
	userkey_free(k);
}
END_TEST

/* ---- malformed files */

START_TEST(test_garbage)
{
	static const char *inputs[] = {
		"",
		"not a key",
		"-----BEGIN OPENSSH PRIVATE KEY-----\n",
		"-----BEGIN OPENSSH PRIVATE KEY-----\n"
		    "-----END OPENSSH PRIVATE KEY-----\n",
		"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEA\n"
		    "-----END OPENSSH PRIVATE KEY-----\n",
		"-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA AAAA\n"
		    "-----END OPENSSH PRIVATE KEY-----\n",
		"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
		"-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrB"
		    "Z9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n",
	};
	struct userkey *k = NULL;
	size_t i;

	for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		ck_assert_int_eq(userkey_parse_private(
		    (const unsigned char *)inputs[i], strlen(inputs[i]), NULL,
		    &k), ERR_INVALID_FORMAT);
		ck_assert_ptr_null(k);
	}
	ck_assert_int_eq(userkey_parse_private(NULL, 0, NULL, &k),
	    ERR_INVALID_FORMAT);
	ck_assert_int_eq(userkey_parse_private(NULL, 1, NULL, &k),
	    ERR_INVALID_ARGUMENT);
}
END_TEST

/* Text after the end marker: whitespace only. */
START_TEST(test_armor_trailer)
{
	struct buf *bin = unarmor_file("ed25519-none");
	struct buf *text = armor(buf_ptr(bin), buf_len(bin));
	struct userkey *k = NULL;

	ck_assert_int_eq(userkey_parse_private(buf_ptr(text), buf_len(text),
	    NULL, &k), ERR_OK);
	userkey_free(k);
	ck_assert_int_eq(buf_put_cstr(text, " \r\n\n\t"), ERR_OK);
	ck_assert_int_eq(userkey_parse_private(buf_ptr(text), buf_len(text),
	    NULL, &k), ERR_OK);
	userkey_free(k);
	ck_assert_int_eq(buf_put_cstr(text, "x"), ERR_OK);
	ck_assert_int_eq(userkey_parse_private(buf_ptr(text), buf_len(text),
	    NULL, &k), ERR_INVALID_FORMAT);
	buf_free(text);
	buf_free(bin);
}
END_TEST

/* Every truncation of the file's text and of its binary fails. */
static void
truncation_sweep(const char *name, const char *pass)
{
	unsigned char *data;
	size_t len, i, end;
	struct buf *bin, *text;
	struct userkey *k;
	int r;

	data = read_file(path_of(name), &len);
	end = (size_t)(strstr((char *)data, "-----END OPENSSH PRIVATE KEY-----")
	    - (char *)data) + strlen("-----END OPENSSH PRIVATE KEY-----");
	for (i = 0; i < len; i++) {
		k = NULL;
		r = userkey_parse_private(data, i, pass, &k);
		if (i < end)
			ck_assert_msg(r != ERR_OK, "%s cut at %zu parsed", name,
			    i);
		else
			ck_assert_int_eq(r, ERR_OK);
		userkey_free(k);
	}
	free(data);
	bin = unarmor_file(name);
	for (i = 0; i < buf_len(bin); i++) {
		text = armor(buf_ptr(bin), i);
		k = NULL;
		r = userkey_parse_private(buf_ptr(text), buf_len(text), pass,
		    &k);
		ck_assert_msg(r != ERR_OK, "%s binary cut at %zu parsed",
		    name, i);
		ck_assert_ptr_null(k);
		buf_free(text);
	}
	buf_free(bin);
}

START_TEST(test_truncation)
{
	truncation_sweep("ed25519-none", NULL);
	truncation_sweep("ecdsa256-none", NULL);
	truncation_sweep("ed25519-gcm", PASS);
	truncation_sweep("ed25519-ctr", PASS);
}
END_TEST

/* Offset of the KDF's rounds in an encrypted file's binary: flipping its
 * high bits would ask for billions of rounds, which OpenSSH allows. */
static size_t
rounds_offset(const struct buf *bin, size_t *salt_lenp)
{
	struct buf *v = buf_new_view(buf_ptr(bin), buf_len(bin));
	const unsigned char *kdfopts;
	size_t kdfopts_len, off;

	ck_assert_ptr_nonnull(v);
	ck_assert_int_eq(buf_consume(v, 15), ERR_OK);
	ck_assert_int_eq(buf_get_string_direct(v, NULL, NULL), ERR_OK);
	ck_assert_int_eq(buf_get_string_direct(v, NULL, NULL), ERR_OK);
	ck_assert_int_eq(buf_get_string_direct(v, &kdfopts, &kdfopts_len),
	    ERR_OK);
	off = (size_t)(kdfopts - buf_ptr(bin)) + kdfopts_len - 4;
	*salt_lenp = kdfopts_len - 8;
	buf_free(v);
	return off;
}

/*
 * Bit flips in the binary.  Unencrypted: every bit; a flip may leave a
 * valid file only by changing the comment, so a parsed key must be the
 * same key.  Encrypted: every bit up to the salt (those flips fail
 * before the KDF), then one bit in every fourth byte, since each of those
 * parses runs the KDF; the rounds field is left alone.  With GCM nothing
 * may parse, and the error is the wrong passphrase, a malformed file, or
 * an unknown cipher or KDF name.
 */
static void
bitflip_sweep(const char *name, const char *pass, int gcm)
{
	struct buf *bin = unarmor_file(name), *text;
	struct userkey *orig = load_private(name, pass, ERR_OK), *k;
	unsigned char *copy;
	const unsigned char *b1, *b2;
	size_t len = buf_len(bin), i, l1, l2, skip = SIZE_MAX, salt_len = 0;
	unsigned int bit;
	int r;

	copy = malloc(len);
	ck_assert_ptr_nonnull(copy);
	if (pass != NULL)
		skip = rounds_offset(bin, &salt_len);
	for (i = 0; i < len; i++) {
		if (i >= skip && i < skip + 4)
			continue;
		for (bit = 0; bit < 8; bit++) {
			if (pass != NULL && i >= skip - salt_len &&
			    (i % 4 != 0 || bit != (i / 4) % 8))
				continue;
			memcpy(copy, buf_ptr(bin), len);
			copy[i] ^= (unsigned char)(1u << bit);
			text = armor(copy, len);
			k = NULL;
			r = userkey_parse_private(buf_ptr(text), buf_len(text),
			    pass, &k);
			if (gcm)
				ck_assert_msg(r == ERR_PASSPHRASE_WRONG ||
				    r == ERR_INVALID_FORMAT ||
				    r == ERR_KEY_TYPE_UNKNOWN,
				    "%s byte %zu bit %u: %s", name, i, bit,
				    err_str(r));
			if (r == ERR_OK) {
				userkey_plain_blob(orig, &b1, &l1);
				userkey_plain_blob(k, &b2, &l2);
				ck_assert_uint_eq(l1, l2);
				ck_assert_mem_eq(b1, b2, l1);
				ck_assert_str_ne(userkey_comment(k),
				    userkey_comment(orig));
			} else
				ck_assert_ptr_null(k);
			userkey_free(k);
			buf_free(text);
		}
	}
	free(copy);
	userkey_free(orig);
	buf_free(bin);
}

START_TEST(test_bitflip_plain)
{
	bitflip_sweep(_i == 0 ? "ed25519-none" : "ecdsa256-none", NULL, 0);
}
END_TEST

START_TEST(test_bitflip_encrypted)
{
	bitflip_sweep(_i == 0 ? "ed25519-gcm-1" : "ed25519-ctr-1", PASS,
	    _i == 0);
}
END_TEST

/* A bit flipped in PEM/PKCS#8 text never crashes OpenSSL's path. */
START_TEST(test_bitflip_pem)
{
	unsigned char *data;
	size_t len, i;
	struct userkey *k;
	int r;

	data = read_file(path_of(_i == 0 ? "ecdsa256-p8" : "ecdsa256-p8enc"),
	    &len);
	for (i = 0; i < len; i++) {
		data[i] ^= (unsigned char)(1u << (i % 8));
		k = NULL;
		r = userkey_parse_private(data, len, _i == 0 ? NULL : PASS, &k);
		if (r != ERR_OK)
			ck_assert_ptr_null(k);
		userkey_free(k);
		data[i] ^= (unsigned char)(1u << (i % 8));
	}
	free(data);
}
END_TEST

Suite *userkey_suite(void);

Suite *
userkey_suite(void)
{
	Suite *s = suite_create("userkey");
	TCase *tc = tcase_create("files");

	tcase_add_unchecked_fixture(tc, keys_setup, keys_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_openssh_private, 0,
	    (int)(NTYPES * NVARIANTS));
	tcase_add_loop_test(tc, test_pem_private, 0, (int)(4 * NPEM));
	tcase_add_test(tc, test_ed25519_pkcs8);
	tcase_add_test(tc, test_unsupported_cipher);
	tcase_add_loop_test(tc, test_certificate, 0, (int)NTYPES);
	tcase_add_test(tc, test_certificate_bad);
	tcase_add_test(tc, test_public_lines);
	tcase_add_loop_test(tc, test_public_truncation, 0, (int)NTYPES);
	tcase_add_test(tc, test_sign_arguments);
	tcase_add_test(tc, test_garbage);
	tcase_add_test(tc, test_armor_trailer);
	/* the sweeps */
	tcase_add_test(tc, test_truncation);
	tcase_add_loop_test(tc, test_bitflip_plain, 0, 2);
	tcase_add_loop_test(tc, test_bitflip_encrypted, 0, 2);
	tcase_add_loop_test(tc, test_bitflip_pem, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(userkey_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
