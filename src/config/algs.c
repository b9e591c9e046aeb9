/*
 * The algorithm names ssh_config may mention, and the defaults, as the
 * OpenSSH client on Debian 12 knows them (`ssh -Q cipher|mac|kex|key-sig|
 * sig|kex-gss`).  The config layer only names algorithms; which of them the
 * transport implements is the transport's business, and the broker checks
 * a resolved list against it.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "config/config-int.h"

static const char all_ciphers[] =
    "3des-cbc,aes128-cbc,aes192-cbc,aes256-cbc,aes128-ctr,aes192-ctr,"
    "aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com,"
    "chacha20-poly1305@openssh.com";
static const char default_ciphers[] =
    "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,"
    "aes128-gcm@openssh.com,aes256-gcm@openssh.com";

static const char all_macs[] =
    "hmac-sha1,hmac-sha1-96,hmac-sha2-256,hmac-sha2-512,hmac-md5,"
    "hmac-md5-96,umac-64@openssh.com,umac-128@openssh.com,"
    "hmac-sha1-etm@openssh.com,hmac-sha1-96-etm@openssh.com,"
    "hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,"
    "hmac-md5-etm@openssh.com,hmac-md5-96-etm@openssh.com,"
    "umac-64-etm@openssh.com,umac-128-etm@openssh.com";
static const char default_macs[] =
    "umac-64-etm@openssh.com,umac-128-etm@openssh.com,"
    "hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,"
    "hmac-sha1-etm@openssh.com,umac-64@openssh.com,umac-128@openssh.com,"
    "hmac-sha2-256,hmac-sha2-512,hmac-sha1";

static const char all_kex[] =
    "diffie-hellman-group1-sha1,diffie-hellman-group14-sha1,"
    "diffie-hellman-group14-sha256,diffie-hellman-group16-sha512,"
    "diffie-hellman-group18-sha512,diffie-hellman-group-exchange-sha1,"
    "diffie-hellman-group-exchange-sha256,ecdh-sha2-nistp256,"
    "ecdh-sha2-nistp384,ecdh-sha2-nistp521,curve25519-sha256,"
    "curve25519-sha256@libssh.org,sntrup761x25519-sha512,"
    "sntrup761x25519-sha512@openssh.com";
static const char default_kex[] =
    "sntrup761x25519-sha512,sntrup761x25519-sha512@openssh.com,"
    "curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,"
    "ecdh-sha2-nistp384,ecdh-sha2-nistp521,"
    "diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,"
    "diffie-hellman-group18-sha512,diffie-hellman-group14-sha256";

/* Every signature-capable key algorithm, certificates included. */
static const char all_keys[] =
    "ssh-ed25519,ssh-ed25519-cert-v01@openssh.com,"
    "sk-ssh-ed25519@openssh.com,sk-ssh-ed25519-cert-v01@openssh.com,"
    "ecdsa-sha2-nistp256,ecdsa-sha2-nistp256-cert-v01@openssh.com,"
    "ecdsa-sha2-nistp384,ecdsa-sha2-nistp384-cert-v01@openssh.com,"
    "ecdsa-sha2-nistp521,ecdsa-sha2-nistp521-cert-v01@openssh.com,"
    "sk-ecdsa-sha2-nistp256@openssh.com,"
    "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com,"
    "webauthn-sk-ecdsa-sha2-nistp256@openssh.com,"
    "ssh-dss,ssh-dss-cert-v01@openssh.com,ssh-rsa,"
    "ssh-rsa-cert-v01@openssh.com,rsa-sha2-256,"
    "rsa-sha2-256-cert-v01@openssh.com,rsa-sha2-512,"
    "rsa-sha2-512-cert-v01@openssh.com";
static const char default_keys[] =
    "ssh-ed25519-cert-v01@openssh.com,"
    "ecdsa-sha2-nistp256-cert-v01@openssh.com,"
    "ecdsa-sha2-nistp384-cert-v01@openssh.com,"
    "ecdsa-sha2-nistp521-cert-v01@openssh.com,"
    "sk-ssh-ed25519-cert-v01@openssh.com,"
    "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com,"
    "rsa-sha2-512-cert-v01@openssh.com,rsa-sha2-256-cert-v01@openssh.com,"
    "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,"
    "ecdsa-sha2-nistp521,sk-ssh-ed25519@openssh.com,"
    "sk-ecdsa-sha2-nistp256@openssh.com,rsa-sha2-512,rsa-sha2-256";

/* Plain (non-certificate) signature algorithms. */
static const char all_sigs[] =
    "ssh-ed25519,sk-ssh-ed25519@openssh.com,ecdsa-sha2-nistp256,"
    "ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,"
    "sk-ecdsa-sha2-nistp256@openssh.com,"
    "webauthn-sk-ecdsa-sha2-nistp256@openssh.com,ssh-dss,ssh-rsa,"
    "rsa-sha2-256,rsa-sha2-512";
static const char default_ca_sigs[] =
    "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,"
    "ecdsa-sha2-nistp521,sk-ssh-ed25519@openssh.com,"
    "sk-ecdsa-sha2-nistp256@openssh.com,rsa-sha2-512,rsa-sha2-256";

/* GSSAPI key exchange names are prefixes: the mechanism OID's hash is
 * appended on the wire. */
static const char all_gss_kex[] =
    "gss-gex-sha1-,gss-group1-sha1-,gss-group14-sha1-,gss-group14-sha256-,"
    "gss-group16-sha512-,gss-nistp256-sha256-,gss-curve25519-sha256-";
static const char default_gss_kex[] =
    "gss-group14-sha256-,gss-group16-sha512-,gss-nistp256-sha256-,"
    "gss-curve25519-sha256-,gss-group14-sha1-,gss-gex-sha1-";

const char *
cfg_alg_all(enum cfg_alg_kind kind)
{
	switch (kind) {
	case CFG_ALG_CIPHER: return all_ciphers;
	case CFG_ALG_MAC: return all_macs;
	case CFG_ALG_KEX: return all_kex;
	case CFG_ALG_KEY: return all_keys;
	case CFG_ALG_CA_SIG: return all_sigs;
	case CFG_ALG_GSS_KEX: return all_gss_kex;
	}
	return "";
}

const char *
cfg_alg_default(enum cfg_alg_kind kind)
{
	switch (kind) {
	case CFG_ALG_CIPHER: return default_ciphers;
	case CFG_ALG_MAC: return default_macs;
	case CFG_ALG_KEX: return default_kex;
	case CFG_ALG_KEY: return default_keys;
	case CFG_ALG_CA_SIG: return default_ca_sigs;
	case CFG_ALG_GSS_KEX: return default_gss_kex;
	}
	return "";
}

/* 1 when name is exactly one entry of the comma list. */
static int
list_has(const char *list, const char *name, size_t len)
{
	const char *p = list, *e;

	while (*p != '\0') {
		e = strchr(p, ',');
		if (e == NULL)
			e = p + strlen(p);
		if ((size_t)(e - p) == len && memcmp(p, name, len) == 0)
			return 1;
		p = *e == ',' ? e + 1 : e;
	}
	return 0;
}

/* 1 when some GSS kex prefix starts name (OpenSSH kex_alg_by_name()). */
static int
gss_prefix_known(const char *name, size_t len)
{
	const char *p = all_gss_kex, *e;
	size_t plen;

	while (*p != '\0') {
		e = strchr(p, ',');
		if (e == NULL)
			e = p + strlen(p);
		plen = (size_t)(e - p);
		if (len >= plen && memcmp(p, name, plen) == 0)
			return 1;
		p = *e == ',' ? e + 1 : e;
	}
	return 0;
}

static int
key_pattern_known(const char *pattern)
{
	char *copy = strdup(all_keys), *cur, *name;
	int found = 0;

	if (copy == NULL)
		return 0;
	cur = copy;
	while (!found && (name = strsep(&cur, ",")) != NULL) {
		if (cfg_match_pattern_list(name, pattern, 0) != 0)
			found = 1;
	}
	free(copy);
	return found;
}

int
cfg_alg_names_valid(enum cfg_alg_kind kind, const char *names)
{
	char *copy, *cur, *name;
	int ok = 1;

	if (names == NULL || *names == '\0')
		return 0;
	if ((copy = strdup(names)) == NULL)
		return 0;
	cur = copy;
	/* As in OpenSSH, checking stops at the first empty entry. */
	while (ok && (name = strsep(&cur, ",")) != NULL && *name != '\0') {
		size_t len = strlen(name);

		switch (kind) {
		case CFG_ALG_KEX:
			ok = list_has(all_kex, name, len) ||
			    gss_prefix_known(name, len);
			break;
		case CFG_ALG_GSS_KEX:
			ok = strncmp(name, "gss-", 4) == 0 &&
			    (list_has(all_kex, name, len) ||
			    gss_prefix_known(name, len));
			break;
		case CFG_ALG_KEY:
		case CFG_ALG_CA_SIG:
			ok = list_has(all_keys, name, len) ||
			    key_pattern_known(name);
			break;
		default:
			ok = list_has(cfg_alg_all(kind), name, len);
			break;
		}
	}
	free(copy);
	return ok;
}

/* a, then the entries of b not already in a (OpenSSH kex_names_cat()). */
static char *
names_cat(const char *a, const char *b)
{
	size_t len, olen;
	char *out, *copy, *cur, *name;

	if (a == NULL || *a == '\0')
		return strdup(b);
	if (b == NULL || *b == '\0')
		return strdup(a);
	len = strlen(a) + strlen(b) + 2;
	if ((out = malloc(len)) == NULL)
		return NULL;
	if ((copy = strdup(b)) == NULL) {
		free(out);
		return NULL;
	}
	memcpy(out, a, strlen(a) + 1);
	olen = strlen(out);
	cur = copy;
	while ((name = strsep(&cur, ",")) != NULL && *name != '\0') {
		if (list_has(out, name, strlen(name)))
			continue;
		out[olen++] = ',';
		memcpy(out + olen, name, strlen(name) + 1);
		olen += strlen(name);
	}
	free(copy);
	return out;
}

int
cfg_alg_assemble(const char *configured, const char *def, const char *all,
    char **outp)
{
	char *list = NULL, *ret = NULL, *matching = NULL, *tmp, *copy = NULL;
	char *cur, *pat;
	int r = ERR_NOMEM;

	*outp = NULL;
	if (configured == NULL || *configured == '\0')
		return (*outp = strdup(def)) == NULL ? ERR_NOMEM : ERR_OK;
	if (*configured == '-') {
		/* deny patterns are applied to the default directly */
		if ((*outp = cfg_filter_list(def, configured + 1, 1)) == NULL)
			return ERR_NOMEM;
		return ERR_OK;
	}
	if (*configured == '+')
		list = names_cat(def, configured + 1);
	else if (*configured == '^')
		list = names_cat(configured + 1, def);
	else
		list = strdup(configured);
	if (list == NULL)
		goto out;
	if ((copy = strdup(list)) == NULL)
		goto out;
	cur = copy;
	while ((pat = strsep(&cur, ",")) != NULL) {
		if (*pat == '!') {
			r = ERR_CONFIG;
			goto out;
		}
		free(matching);
		if ((matching = cfg_filter_list(all, pat, 0)) == NULL)
			goto out;
		if ((tmp = names_cat(ret, matching)) == NULL)
			goto out;
		free(ret);
		ret = tmp;
	}
	if (ret == NULL || *ret == '\0') {
		r = ERR_CONFIG;
		goto out;
	}
	*outp = ret;
	ret = NULL;
	r = ERR_OK;
 out:
	free(list);
	free(copy);
	free(matching);
	free(ret);
	return r;
}
