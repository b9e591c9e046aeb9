/*
 * Value parsers shared by config lines and the ssh-style command line:
 * ports, times, tunnel ids, IPQoS names, sizes, forwarding specs,
 * destinations (user@host[:port], ssh:// URIs), ProxyJump lists, and the
 * validators applied to names that may reach a shell.  Each mirrors the
 * OpenSSH function named in its comment, quirks included, because
 * `ssh -G` is the judge.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <arpa/inet.h>

#include "common/err.h"
#include "config/config-int.h"
#include "config/cmdline.h"

/* OpenBSD strtonum(): a decimal in [lo, hi], whole string. */
int
cfg_strtonum(const char *s, long long lo, long long hi, long long *out)
{
	char *end;
	long long v;

	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end != '\0' || errno == ERANGE || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* a2port() */
int
cfg_parse_port(const char *s)
{
	struct servent *se;
	long long v;

	if (cfg_strtonum(s, 0, 65535, &v) == 0)
		return (int)v;
	if ((se = getservbyname(s, "tcp")) != NULL)
		return ntohs((unsigned short)se->s_port);
	return -1;
}

/* convtime() */
int
cfg_parse_time(const char *s)
{
	long total = 0, secs, mult;
	const char *p = s;
	char *end;

	if (p == NULL || *p == '\0')
		return -1;
	while (*p != '\0') {
		errno = 0;
		secs = strtol(p, &end, 10);
		if (p == end || (errno == ERANGE &&
		    (secs == LONG_MIN || secs == LONG_MAX)) || secs < 0)
			return -1;
		mult = 1;
		switch (*end++) {
		case '\0':
			end--;
			break;
		case 's': case 'S':
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
			return -1;
		}
		if (secs > INT_MAX / mult)
			return -1;
		secs *= mult;
		if (total > INT_MAX - secs)
			return -1;
		total += secs;
		if (total < 0)
			return -1;
		p = end;
	}
	return (int)total;
}

/* a2tun() */
int
cfg_parse_tun(const char *s, int *remote)
{
	char *copy, *colon;
	long long v;
	int local;

	if (remote != NULL) {
		*remote = CFG_TUNID_ANY;
		if ((copy = strdup(s)) == NULL)
			return CFG_TUNID_ERR;
		if ((colon = strchr(copy, ':')) == NULL) {
			free(copy);
			return cfg_parse_tun(s, NULL);
		}
		*colon = '\0';
		*remote = cfg_parse_tun(colon + 1, NULL);
		local = cfg_parse_tun(copy, NULL);
		free(copy);
		return *remote == CFG_TUNID_ERR ? CFG_TUNID_ERR : local;
	}
	if (strcasecmp(s, "any") == 0)
		return CFG_TUNID_ANY;
	if (cfg_strtonum(s, 0, CFG_TUNID_ANY - 2, &v) != 0)
		return CFG_TUNID_ERR;
	return (int)v;
}

static const struct {
	const char *name;
	int value;
} ipqos_names[] = {
	{ "none", INT_MAX },
	{ "af11", 0x28 }, { "af12", 0x30 }, { "af13", 0x38 },
	{ "af21", 0x48 }, { "af22", 0x50 }, { "af23", 0x58 },
	{ "af31", 0x68 }, { "af32", 0x70 }, { "af33", 0x78 },
	{ "af41", 0x88 }, { "af42", 0x90 }, { "af43", 0x98 },
	{ "cs0", 0x00 }, { "cs1", 0x20 }, { "cs2", 0x40 }, { "cs3", 0x60 },
	{ "cs4", 0x80 }, { "cs5", 0xa0 }, { "cs6", 0xc0 }, { "cs7", 0xe0 },
	{ "ef", 0xb8 }, { "le", 0x04 },
	{ "lowdelay", 0x10 }, { "throughput", 0x08 }, { "reliability", 0x04 },
};
#define N_IPQOS (sizeof(ipqos_names) / sizeof(ipqos_names[0]))

/* parse_ipqos() */
int
cfg_parse_ipqos(const char *s)
{
	size_t i;
	char *end;
	long v;

	if (s == NULL)
		return -1;
	for (i = 0; i < N_IPQOS; i++) {
		if (strcasecmp(s, ipqos_names[i].name) == 0)
			return ipqos_names[i].value;
	}
	v = strtol(s, &end, 0);
	if (*s == '\0' || *end != '\0' || v < 0 || v > 255)
		return -1;
	return (int)v;
}

/* iptos2str(); buf must hold at least 5 bytes */
const char *
cfg_ipqos_name(int v, char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < N_IPQOS; i++) {
		if (ipqos_names[i].value == v)
			return ipqos_names[i].name;
	}
	snprintf(buf, len, "0x%02x", v);
	return buf;
}

/* scan_scaled() from OpenBSD, as OpenSSH's compat library has it. */
int
cfg_parse_scaled(const char *s, long long *result)
{
	static const char units[] = "BKMGTPE";
	const char *p = s;
	long long whole = 0, fpart = 0, fact;
	unsigned int ndigits = 0, fract_digits = 0, i, d;
	int sign = 0;

	while (isascii((unsigned char)*p) && isspace((unsigned char)*p))
		p++;
	while (*p == '-' || *p == '+') {
		if (sign)
			return -1;
		sign = *p == '-' ? -1 : 1;
		p++;
	}
	for (; isascii((unsigned char)*p) &&
	    (isdigit((unsigned char)*p) || *p == '.'); p++) {
		if (*p == '.') {
			if (fract_digits > 0)
				return -1;
			fract_digits = 1;
			continue;
		}
		d = (unsigned int)(*p - '0');
		if (fract_digits > 0) {
			if (fract_digits >= 7 * 3 - 1)
				continue;
			fract_digits++;
			if (fpart > LLONG_MAX / 10)
				return -1;
			fpart *= 10;
			if (d > LLONG_MAX - fpart)
				return -1;
			fpart += d;
		} else {
			if (++ndigits >= 7 * 3)
				return -1;
			if (whole > LLONG_MAX / 10)
				return -1;
			whole *= 10;
			if (d > LLONG_MAX - whole)
				return -1;
			whole += d;
		}
	}
	if (sign)
		whole *= sign;
	if (*p == '\0') {
		*result = whole;
		return 0;
	}
	for (i = 0; i < 7; i++) {
		if (*p != units[i] && *p != tolower((unsigned char)units[i]))
			continue;
		/* OpenBSD only rejects alphanumerics after the unit */
		if (isalnum((unsigned char)p[1]))
			return -1;
		fact = 1LL << (10 * i);
		if (whole > LLONG_MAX / fact || whole < LLONG_MIN / fact)
			return -1;
		whole *= fact;
		while (fpart >= LLONG_MAX / fact || fpart <= LLONG_MIN / fact) {
			fpart /= 10;
			fract_digits--;
		}
		fpart *= fact;
		if (fract_digits > 0) {
			for (d = 0; d + 1 < fract_digits; d++)
				fpart /= 10;
		}
		whole = sign == -1 ? whole - fpart : whole + fpart;
		*result = whole;
		return 0;
	}
	return -1;
}

/* valid_domain(); lowercases in place when makelower. */
int
cfg_valid_domain(char *name, int makelower, const char **whyp)
{
	size_t i, l = strlen(name);
	unsigned char c, last = '\0';

	if (whyp != NULL)
		*whyp = NULL;
	if (l == 0) {
		if (whyp != NULL)
			*whyp = "empty domain name";
		return 0;
	}
	if (!isalpha((unsigned char)name[0]) && !isdigit((unsigned char)name[0])) {
		if (whyp != NULL)
			*whyp = "starts with invalid character";
		return 0;
	}
	for (i = 0; i < l; i++) {
		c = (unsigned char)tolower((unsigned char)name[i]);
		if (makelower)
			name[i] = (char)c;
		if (last == '.' && c == '.') {
			if (whyp != NULL)
				*whyp = "contains consecutive separators";
			return 0;
		}
		if (c != '.' && c != '-' && !isalnum(c) && c != '_') {
			if (whyp != NULL)
				*whyp = "contains invalid characters";
			return 0;
		}
		last = c;
	}
	if (name[l - 1] == '.')
		name[l - 1] = '\0';
	return 1;
}

/* ssh_valid_hostname(): what may be put into a shell command via %h. */
int
config_valid_hostname(const char *s)
{
	size_t i;

	if (*s == '-')
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		if (strchr("'`\"$\\;&<>|(){},", s[i]) != NULL ||
		    isspace((unsigned char)s[i]) ||
		    iscntrl((unsigned char)s[i]))
			return 0;
	}
	return 1;
}

/* ssh_valid_ruser(), with the later hardening Debian backported. */
int
config_valid_user(const char *s)
{
	size_t i;

	if (*s == '-')
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		if (iscntrl((unsigned char)s[i]))
			return 0;
		if (strchr("'`\";&<>|(){}", s[i]) != NULL)
			return 0;
		if (isspace((unsigned char)s[i]) && s[i + 1] == '-')
			return 0;
		if (s[i] == '\\' && s[i + 1] == '\0')
			return 0;
	}
	return 1;
}

/* hpdelim2(): splits host from port at ':' or '/', honouring [v6]. */
static char *
hp_delim(char **cp, char *delim)
{
	char *s, *old;

	if (cp == NULL || *cp == NULL)
		return NULL;
	old = s = *cp;
	if (*s == '[') {
		if ((s = strchr(s, ']')) == NULL)
			return NULL;
		s++;
	} else if ((s = strpbrk(s, ":/")) == NULL)
		s = *cp + strlen(*cp);
	switch (*s) {
	case '\0':
		*cp = NULL;
		break;
	case ':':
	case '/':
		if (delim != NULL)
			*delim = *s;
		*s = '\0';
		*cp = s + 1;
		break;
	default:
		return NULL;
	}
	return old;
}

/* hpdelim(): colon only. */
char *
cfg_hpdelim(char **cp)
{
	char delim = '\0', *r = hp_delim(cp, &delim);

	return delim == '/' ? NULL : r;
}

/* cleanhostname(): strips one pair of enclosing brackets. */
char *
cfg_clean_hostname(char *host)
{
	size_t l = strlen(host);

	if (*host == '[' && l > 0 && host[l - 1] == ']') {
		host[l - 1] = '\0';
		return host + 1;
	}
	return host;
}

/* parse_user_host_port(): 0 on success. */
int
cfg_parse_user_host_port(const char *s, char **userp, char **hostp,
    int *portp)
{
	char *dup = NULL, *tmp, *at, *h;
	char *user = NULL, *host = NULL;
	int port = -1, ret = -1;

	*userp = *hostp = NULL;
	*portp = -1;
	if ((dup = tmp = strdup(s)) == NULL)
		return -1;
	if ((at = strrchr(tmp, '@')) != NULL) {
		*at = '\0';
		if (*tmp == '\0' || (user = strdup(tmp)) == NULL)
			goto out;
		tmp = at + 1;
	}
	if ((h = cfg_hpdelim(&tmp)) == NULL || *h == '\0')
		goto out;
	if ((host = strdup(cfg_clean_hostname(h))) == NULL)
		goto out;
	if (tmp != NULL && *tmp != '\0' && (port = cfg_parse_port(tmp)) <= 0)
		goto out;
	*userp = user;
	*hostp = host;
	*portp = port;
	user = host = NULL;
	ret = 0;
 out:
	free(dup);
	free(user);
	free(host);
	return ret;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* urldecode(): '+' is a space, %XX a byte (never NUL). */
static char *
url_decode(const char *src)
{
	char *ret = malloc(strlen(src) + 1), *dst = ret;
	int hi, lo;

	if (ret == NULL)
		return NULL;
	for (; *src != '\0'; src++) {
		if (*src == '+')
			*dst++ = ' ';
		else if (*src == '%') {
			if ((hi = hexval(src[1])) < 0 || (lo = hexval(src[2])) < 0 ||
			    (hi == 0 && lo == 0)) {
				free(ret);
				return NULL;
			}
			*dst++ = (char)(hi << 4 | lo);
			src += 2;
		} else
			*dst++ = *src;
	}
	*dst = '\0';
	return ret;
}

/* parse_ssh_uri() on top of parse_uri("ssh", ...): 0 parsed, 1 not an
 * ssh:// URI, -1 a bad one. */
int
cfg_parse_ssh_uri(const char *uri, char **userp, char **hostp, int *portp)
{
	char *dup = NULL, *tmp, *cp, *semi, ch = '\0';
	char *user = NULL, *host = NULL, *path = NULL;
	int port = -1, ret = -1;

	if (strncmp(uri, "ssh://", 6) != 0)
		return 1;
	uri += 6;
	*userp = *hostp = NULL;
	*portp = -1;
	if ((dup = tmp = strdup(uri)) == NULL)
		return -1;
	if ((cp = strchr(tmp, '@')) != NULL) {
		*cp = '\0';
		if ((semi = strchr(tmp, ';')) != NULL)
			*semi = '\0';
		if (*tmp == '\0' || (user = url_decode(tmp)) == NULL)
			goto out;
		tmp = cp + 1;
	}
	if ((cp = hp_delim(&tmp, &ch)) == NULL || *cp == '\0')
		goto out;
	if ((host = strdup(cfg_clean_hostname(cp))) == NULL)
		goto out;
	if (!cfg_valid_domain(host, 0, NULL))
		goto out;
	if (tmp != NULL && *tmp != '\0') {
		if (ch == ':') {
			if ((cp = strchr(tmp, '/')) != NULL)
				*cp = '\0';
			if ((port = cfg_parse_port(tmp)) <= 0)
				goto out;
			tmp = cp != NULL ? cp + 1 : NULL;
		}
		if (tmp != NULL && *tmp != '\0') {
			if ((path = url_decode(tmp)) == NULL)
				goto out;
			/* a path is not allowed in an ssh:// destination */
			goto out;
		}
	}
	*userp = user;
	*hostp = host;
	*portp = port;
	user = host = NULL;
	ret = 0;
 out:
	free(dup);
	free(user);
	free(host);
	free(path);
	return ret;
}

struct fwd_field {
	char *arg;
	int ispath;
};

/* parse_fwd_field() */
static int
fwd_next_field(char **p, struct fwd_field *f)
{
	char *cp = *p, *ep;
	int ispath = 0;

	if (*cp == '\0') {
		*p = NULL;
		return -1;
	}
	if (*cp == '[') {
		for (ep = cp + 1; *ep != ']' && *ep != '\0'; ep++) {
			if (*ep == '/')
				ispath = 1;
		}
		if (ep[0] != ']' || (ep[1] != ':' && ep[1] != '\0'))
			return -1;
		*ep++ = '\0';
		if (*ep != '\0')
			*ep++ = '\0';
		f->arg = cp + 1;
		f->ispath = ispath;
		*p = ep;
		return 0;
	}
	for (cp = *p; *cp != '\0'; cp++) {
		if (*cp == '\\') {
			memmove(cp, cp + 1, strlen(cp + 1) + 1);
			if (*cp == '\0')
				return -1;
		} else if (*cp == '/')
			ispath = 1;
		else if (*cp == ':') {
			*cp++ = '\0';
			break;
		}
	}
	f->arg = *p;
	f->ispath = ispath;
	*p = cp;
	return 0;
}

void
cfg_forward_clear(struct cfg_forward *f)
{
	free(f->listen_host);
	free(f->listen_path);
	free(f->connect_host);
	free(f->connect_path);
	memset(f, 0, sizeof(*f));
}

static int
dupfield(char **dst, const char *src)
{
	return (*dst = strdup(src)) == NULL ? -1 : 0;
}

#define SUN_PATH_MAX (sizeof(((struct sockaddr_un *)0)->sun_path))

/*
 * parse_forward(): fills f and returns the number of fields, or 0 when the
 * spec is bad.  spec has had ${VAR} expanded by the caller (OpenSSH does it
 * first so that a variable holding a path makes the field a path).
 */
int
cfg_parse_forward(struct cfg_forward *f, const char *spec, int dynamic,
    int remote)
{
	struct fwd_field a[4];
	char *dup, *cp;
	int i, bad = 0;

	memset(f, 0, sizeof(*f));
	memset(a, 0, sizeof(a));
	if ((dup = strdup(spec)) == NULL)
		return 0;
	cp = dup;
	while (isspace((unsigned char)*cp))
		cp++;
	for (i = 0; i < 4; i++) {
		if (fwd_next_field(&cp, &a[i]) != 0)
			break;
	}
	if (cp != NULL && *cp != '\0')
		i = 0;
	switch (i) {
	case 1:
		if (a[0].ispath) {
			bad |= dupfield(&f->listen_path, a[0].arg);
			f->listen_port = CFG_PORT_STREAMLOCAL;
		} else
			f->listen_port = cfg_parse_port(a[0].arg);
		bad |= dupfield(&f->connect_host, "socks");
		break;
	case 2:
		if (a[0].ispath && a[1].ispath) {
			bad |= dupfield(&f->listen_path, a[0].arg);
			f->listen_port = CFG_PORT_STREAMLOCAL;
			bad |= dupfield(&f->connect_path, a[1].arg);
			f->connect_port = CFG_PORT_STREAMLOCAL;
		} else if (a[1].ispath) {
			f->listen_port = cfg_parse_port(a[0].arg);
			bad |= dupfield(&f->connect_path, a[1].arg);
			f->connect_port = CFG_PORT_STREAMLOCAL;
		} else {
			bad |= dupfield(&f->listen_host, a[0].arg);
			f->listen_port = cfg_parse_port(a[1].arg);
			bad |= dupfield(&f->connect_host, "socks");
		}
		break;
	case 3:
		if (a[0].ispath) {
			bad |= dupfield(&f->listen_path, a[0].arg);
			f->listen_port = CFG_PORT_STREAMLOCAL;
			bad |= dupfield(&f->connect_host, a[1].arg);
			f->connect_port = cfg_parse_port(a[2].arg);
		} else if (a[2].ispath) {
			bad |= dupfield(&f->listen_host, a[0].arg);
			f->listen_port = cfg_parse_port(a[1].arg);
			bad |= dupfield(&f->connect_path, a[2].arg);
			f->connect_port = CFG_PORT_STREAMLOCAL;
		} else {
			f->listen_port = cfg_parse_port(a[0].arg);
			bad |= dupfield(&f->connect_host, a[1].arg);
			f->connect_port = cfg_parse_port(a[2].arg);
		}
		break;
	case 4:
		bad |= dupfield(&f->listen_host, a[0].arg);
		f->listen_port = cfg_parse_port(a[1].arg);
		bad |= dupfield(&f->connect_host, a[2].arg);
		f->connect_port = cfg_parse_port(a[3].arg);
		break;
	default:
		i = 0;
	}
	free(dup);
	if (bad)
		goto fail;
	if (dynamic) {
		if (!(i == 1 || i == 2))
			goto fail;
	} else {
		if (!(i == 3 || i == 4)) {
			if (f->connect_path == NULL && f->listen_path == NULL)
				goto fail;
		}
		if (f->connect_port <= 0 && f->connect_path == NULL)
			goto fail;
	}
	if ((f->listen_port < 0 && f->listen_path == NULL) ||
	    (!remote && f->listen_port == 0))
		goto fail;
	if (f->connect_host != NULL && strlen(f->connect_host) >= NI_MAXHOST)
		goto fail;
	if (f->connect_path != NULL && strlen(f->connect_path) >= SUN_PATH_MAX)
		goto fail;
	if (f->listen_host != NULL && strlen(f->listen_host) >= NI_MAXHOST)
		goto fail;
	if (f->listen_path != NULL && strlen(f->listen_path) >= SUN_PATH_MAX)
		goto fail;
	return i;
 fail:
	cfg_forward_clear(f);
	return 0;
}
