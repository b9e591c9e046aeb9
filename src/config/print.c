/*
 * The printers.  One walk over the resolved values produces the lines of
 * `ssh -G` in OpenSSH's order (readconf.c dump_client_config()), each with
 * the origin of its value; the ssh -G, explain and YAML printers and the
 * accessor all consume that walk.
 */
#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "common/buf.h"
#include "common/err.h"
#include "config/config-int.h"
#include "config/cmdline.h"


struct print_line {
	const char *keyword;        /* as printed */
	const char *value;          /* may be "" */
	const struct cfg_origin *origin;
};

typedef int (*line_fn)(void *ctx, const struct print_line *l);

struct walker {
	const struct cfg_values *v;
	line_fn fn;
	void *ctx;
	int rc;
	/* the accessor: only this keyword's lines are worth formatting, and
	 * nothing once stop is set (the value was found) */
	const char *only;
	int stop;
	char scratch[256];
};

static const struct cfg_origin origin_default = { CFG_ORIGIN_DEFAULT, 0, 0 };
static const struct cfg_origin origin_cmdline = { CFG_ORIGIN_CMDLINE, 0, 0 };

static void
emit(struct walker *w, const char *keyword, const char *value,
    const struct cfg_origin *o)
{
	struct print_line l;

	if (w->rc != ERR_OK || w->stop)
		return;
	l.keyword = keyword;
	l.value = value;
	l.origin = o;
	w->rc = w->fn(w->ctx, &l);
}

/* Whether kw's lines need formatting at all: every line for a printer,
 * only the asked one for the accessor (which reads one keyword of some
 * hundred, many times per connection). */
static int
wanted(const struct walker *w, enum cfg_kw kw)
{
	return w->rc == ERR_OK && !w->stop &&
	    (w->only == NULL || strcmp(cfg_keyword_name(kw), w->only) == 0);
}

static const struct cfg_origin *
origin_of(const struct walker *w, enum cfg_kw kw)
{
	if (w->v->origin[kw].file == CFG_ORIGIN_UNSET)
		return &origin_default;
	return &w->v->origin[kw];
}

static void
emit_str(struct walker *w, enum cfg_kw kw, const char *val)
{
	if (!wanted(w, kw))
		return;
	if (val != NULL)
		emit(w, cfg_keyword_name(kw), val, origin_of(w, kw));
}

static void
emit_int(struct walker *w, enum cfg_kw kw, int val)
{
	char buf[32];

	if (!wanted(w, kw))
		return;
	snprintf(buf, sizeof(buf), "%d", val);
	emit(w, cfg_keyword_name(kw), buf, origin_of(w, kw));
}

/* fmt_intarg() */
static void
emit_fmtint(struct walker *w, enum cfg_kw kw, int val)
{
	const char *s;

	if (!wanted(w, kw))
		return;
	if (val == -1)
		s = "unset";
	else if (kw == K_FINGERPRINT_HASH)
		s = cfg_digest_name(val);
	else
		s = cfg_multistate_name(kw, val);
	emit(w, cfg_keyword_name(kw), s, origin_of(w, kw));
}

static void
emit_strarray(struct walker *w, enum cfg_kw kw, const struct cfg_strlist *l)
{
	size_t i;

	if (!wanted(w, kw))
		return;
	for (i = 0; i < l->n; i++) {
		emit(w, cfg_keyword_name(kw), l->v[i],
		    l->origin[i].file == CFG_ORIGIN_UNSET ? &origin_default :
		    &l->origin[i]);
	}
}

static void
emit_strarray_oneline(struct walker *w, enum cfg_kw kw,
    const struct cfg_strlist *l)
{
	struct buf *b;
	size_t i;

	if (!wanted(w, kw))
		return;
	if ((b = buf_new(0)) == NULL) {
		w->rc = ERR_NOMEM;
		return;
	}
	if (l->n == 0)
		(void)buf_put_cstr(b, "none");
	for (i = 0; i < l->n; i++)
		(void)buf_putf(b, "%s%s", i > 0 ? " " : "", l->v[i]);
	emit(w, cfg_keyword_name(kw), buf_cstr(b), origin_of(w, kw));
	buf_free(b);
}

static void
emit_forwards(struct walker *w, enum cfg_kw kw, const struct cfg_fwdlist *l)
{
	const struct cfg_forward *f;
	struct buf *b;
	size_t i;

	if (!wanted(w, kw))
		return;
	if ((b = buf_new(0)) == NULL) {
		w->rc = ERR_NOMEM;
		return;
	}
	for (i = 0; i < l->n; i++) {
		f = &l->v[i];
		if (kw == K_DYNAMIC_FORWARD && f->connect_host != NULL &&
		    strcmp(f->connect_host, "socks") != 0)
			continue;
		if (kw == K_LOCAL_FORWARD && f->connect_host != NULL &&
		    strcmp(f->connect_host, "socks") == 0)
			continue;
		buf_reset(b);
		if (f->listen_port == CFG_PORT_STREAMLOCAL)
			(void)buf_putf(b, "%s", f->listen_path);
		else if (f->listen_host == NULL)
			(void)buf_putf(b, "%d", f->listen_port);
		else
			(void)buf_putf(b, "[%s]:%d", f->listen_host, f->listen_port);
		if (kw != K_DYNAMIC_FORWARD) {
			if (f->connect_port == CFG_PORT_STREAMLOCAL)
				(void)buf_putf(b, " %s", f->connect_path);
			else if (f->connect_host == NULL)
				(void)buf_putf(b, " %d", f->connect_port);
			else
				(void)buf_putf(b, " [%s]:%d", f->connect_host,
				    f->connect_port);
		}
		emit(w, cfg_keyword_name(kw), buf_cstr(b), &f->origin);
	}
	buf_free(b);
}

/* vis(3) with VIS_WHITE for one character, as ssh -G shows EscapeChar:
 * printable ASCII as is ('\\' doubled), spaces in octal, the rest as
 * \^X, \M-X or \M^X. */
static const char *
vis_char(int c, char *buf, size_t len)
{
	unsigned char ch = (unsigned char)c, low = ch & 0x7f;
	size_t n = 0;

	if (ch == '\\') {
		snprintf(buf, len, "\\\\");
		return buf;
	}
	if (ch < 0x80 && isgraph(ch)) {
		snprintf(buf, len, "%c", ch);
		return buf;
	}
	if (low == ' ') {
		snprintf(buf, len, "\\%o%o%o", ch >> 6 & 7, ch >> 3 & 7, ch & 7);
		return buf;
	}
	buf[n++] = '\\';
	if (ch & 0x80)
		buf[n++] = 'M';
	if (iscntrl(low)) {
		buf[n++] = '^';
		buf[n++] = low == 0x7f ? '?' : (char)(low + '@');
	} else {
		buf[n++] = '-';
		buf[n++] = (char)low;
	}
	buf[n] = '\0';
	(void)len;
	return buf;
}

static void
walk(struct walker *w)
{
	const struct cfg_values *v = w->v;
	struct buf *b;
	char num[64], q1[8], q2[8];
	size_t i;
	int numeric;

	emit(w, "host", v->host_arg, &origin_cmdline);
	emit_str(w, K_USER, v->user);
	emit(w, "hostname", v->print_hostname, origin_of(w, K_HOSTNAME));
	emit_int(w, K_PORT, v->port);

	emit_fmtint(w, K_ADDRESS_FAMILY, v->address_family);
	emit_fmtint(w, K_BATCH_MODE, v->batch_mode);
	emit_fmtint(w, K_CANONICALIZE_FALLBACK_LOCAL, v->canonicalize_fallback_local);
	emit_fmtint(w, K_CANONICALIZE_HOSTNAME, v->canonicalize_hostname);
	emit_fmtint(w, K_CHECK_HOST_IP, v->check_host_ip);
	emit_fmtint(w, K_COMPRESSION, v->compression);
	emit_fmtint(w, K_CONTROL_MASTER, v->control_master);
	emit_fmtint(w, K_ENABLE_SSH_KEYSIGN, v->enable_ssh_keysign);
	emit_fmtint(w, K_CLEAR_ALL_FORWARDINGS, v->clear_forwardings);
	emit_fmtint(w, K_EXIT_ON_FORWARD_FAILURE, v->exit_on_forward_failure);
	emit_fmtint(w, K_FINGERPRINT_HASH, v->fingerprint_hash);
	emit_fmtint(w, K_FORWARD_X11, v->forward_x11);
	emit_fmtint(w, K_FORWARD_X11_TRUSTED, v->forward_x11_trusted);
	emit_fmtint(w, K_GATEWAY_PORTS, v->gateway_ports);
	emit_fmtint(w, K_GSS_AUTH, v->gss_authentication);
	emit_fmtint(w, K_GSS_KEY_EX, v->gss_keyex);
	emit_fmtint(w, K_GSS_DELEGATE_CREDS, v->gss_deleg_creds);
	emit_fmtint(w, K_GSS_TRUST_DNS, v->gss_trust_dns);
	emit_fmtint(w, K_GSS_RENEWAL_REKEY, v->gss_renewal_rekey);
	emit_str(w, K_GSS_CLIENT_IDENTITY, v->gss_client_identity);
	emit_str(w, K_GSS_SERVER_IDENTITY, v->gss_server_identity);
	emit_str(w, K_GSS_KEX_ALGORITHMS, v->gss_kex_algorithms != NULL ?
	    v->gss_kex_algorithms : cfg_alg_default(CFG_ALG_GSS_KEX));
	emit_fmtint(w, K_HASH_KNOWN_HOSTS, v->hash_known_hosts);
	emit_fmtint(w, K_HOSTBASED_AUTH, v->hostbased_authentication);
	emit_fmtint(w, K_IDENTITIES_ONLY, v->identities_only);
	emit_fmtint(w, K_KBD_INTERACTIVE_AUTH, v->kbd_interactive_authentication);
	emit_fmtint(w, K_NO_HOST_AUTH_FOR_LOCALHOST,
	    v->no_host_authentication_for_localhost);
	emit_fmtint(w, K_PASSWORD_AUTH, v->password_authentication);
	emit_fmtint(w, K_PERMIT_LOCAL_COMMAND, v->permit_local_command);
	emit_fmtint(w, K_PROXY_USE_FDPASS, v->proxy_use_fdpass);
	emit_fmtint(w, K_PUBKEY_AUTH, v->pubkey_authentication);
	emit_fmtint(w, K_REQUEST_TTY, v->request_tty);
	emit_fmtint(w, K_SESSION_TYPE, v->session_type);
	emit_fmtint(w, K_STDIN_NULL, v->stdin_null);
	emit_fmtint(w, K_FORK_AFTER_AUTHENTICATION, v->fork_after_authentication);
	emit_fmtint(w, K_STREAM_LOCAL_BIND_UNLINK, v->streamlocal_bind_unlink);
	emit_fmtint(w, K_STRICT_HOST_KEY_CHECKING, v->strict_host_key_checking);
	emit_fmtint(w, K_TCP_KEEP_ALIVE, v->tcp_keep_alive);
	emit_fmtint(w, K_TUNNEL, v->tun_open);
	emit_fmtint(w, K_VERIFY_HOST_KEY_DNS, v->verify_host_key_dns);
	emit_fmtint(w, K_VISUAL_HOST_KEY, v->visual_host_key);
	emit_fmtint(w, K_UPDATE_HOST_KEYS, v->update_hostkeys);
	emit_fmtint(w, K_ENABLE_ESCAPE_COMMANDLINE, v->enable_escape_commandline);

	emit_int(w, K_CANONICALIZE_MAX_DOTS, v->canonicalize_max_dots);
	emit_int(w, K_CONNECTION_ATTEMPTS, v->connection_attempts);
	emit_int(w, K_FORWARD_X11_TIMEOUT, v->forward_x11_timeout);
	emit_int(w, K_NUMBER_OF_PASSWORD_PROMPTS, v->number_of_password_prompts);
	emit_int(w, K_SERVER_ALIVE_COUNT_MAX, v->server_alive_count_max);
	emit_int(w, K_SERVER_ALIVE_INTERVAL, v->server_alive_interval);
	emit_int(w, K_REQUIRED_RSA_SIZE, v->required_rsa_size);

	emit_str(w, K_BIND_ADDRESS, v->bind_address);
	emit_str(w, K_BIND_INTERFACE, v->bind_interface);
	emit_str(w, K_CIPHERS, v->ciphers);
	emit_str(w, K_CONTROL_PATH, v->control_path);
	emit_str(w, K_HOST_KEY_ALGORITHMS, v->hostkeyalgorithms);
	emit_str(w, K_HOST_KEY_ALIAS, v->host_key_alias);
	emit_str(w, K_HOSTBASED_ACCEPTED_ALGORITHMS, v->hostbased_accepted_algos);
	emit_str(w, K_IDENTITY_AGENT, v->identity_agent);
	emit_str(w, K_IGNORE_UNKNOWN, v->ignored_unknown);
	emit_str(w, K_KBD_INTERACTIVE_DEVICES, v->kbd_interactive_devices);
	emit_str(w, K_KEX_ALGORITHMS, v->kex_algorithms);
	emit_str(w, K_CA_SIGNATURE_ALGORITHMS, v->ca_sign_algorithms);
	emit_str(w, K_LOCAL_COMMAND, v->local_command);
	emit_str(w, K_REMOTE_COMMAND, v->remote_command);
	emit_str(w, K_LOG_LEVEL, cfg_log_level_name(v->log_level));
	emit_str(w, K_MACS, v->macs);
	emit_str(w, K_PKCS11_PROVIDER, v->pkcs11_provider);
	emit_str(w, K_SECURITY_KEY_PROVIDER, v->sk_provider);
	emit_str(w, K_PREFERRED_AUTHENTICATIONS, v->preferred_authentications);
	emit_str(w, K_PUBKEY_ACCEPTED_ALGORITHMS, v->pubkey_accepted_algos);
	emit_str(w, K_REVOKED_HOST_KEYS, v->revoked_host_keys);
	emit_str(w, K_XAUTH_LOCATION, v->xauth_location);
	emit_str(w, K_KNOWN_HOSTS_COMMAND, v->known_hosts_command);

	emit_forwards(w, K_DYNAMIC_FORWARD, &v->local_forwards);
	emit_forwards(w, K_LOCAL_FORWARD, &v->local_forwards);
	emit_forwards(w, K_REMOTE_FORWARD, &v->remote_forwards);

	emit_strarray(w, K_IDENTITY_FILE, &v->identity_files);
	emit_strarray_oneline(w, K_CANONICAL_DOMAINS, &v->canonical_domains);
	emit_strarray(w, K_CERTIFICATE_FILE, &v->certificate_files);
	emit_strarray_oneline(w, K_GLOBAL_KNOWN_HOSTS, &v->system_hostfiles);
	emit_strarray_oneline(w, K_USER_KNOWN_HOSTS, &v->user_hostfiles);
	emit_strarray(w, K_SEND_ENV, &v->send_env);
	emit_strarray(w, K_SET_ENV, &v->setenv);
	emit_strarray_oneline(w, K_LOG_VERBOSE, &v->log_verbose);

	if (v->permitted_remote_opens.n == 0)
		emit(w, "permitremoteopen", "any",
		    origin_of(w, K_PERMIT_REMOTE_OPEN));
	else
		emit_strarray_oneline(w, K_PERMIT_REMOTE_OPEN,
		    &v->permitted_remote_opens);

	if (v->add_keys_to_agent_lifespan <= 0)
		emit_fmtint(w, K_ADD_KEYS_TO_AGENT, v->add_keys_to_agent);
	else {
		snprintf(num, sizeof(num), "%s%d", v->add_keys_to_agent == 3 ?
		    "confirm " : "", v->add_keys_to_agent_lifespan);
		emit(w, "addkeystoagent", num, origin_of(w, K_ADD_KEYS_TO_AGENT));
	}

	if (v->forward_agent_sock_path == NULL)
		emit_fmtint(w, K_FORWARD_AGENT, v->forward_agent);
	else
		emit_str(w, K_FORWARD_AGENT, v->forward_agent_sock_path);

	if (v->connection_timeout == -1)
		emit(w, "connecttimeout", "none", origin_of(w, K_CONNECT_TIMEOUT));
	else
		emit_int(w, K_CONNECT_TIMEOUT, v->connection_timeout);

	snprintf(q1, sizeof(q1), "%s", "any");
	if (v->tun_local == CFG_TUNID_ANY)
		snprintf(num, sizeof(num), "any");
	else
		snprintf(num, sizeof(num), "%d", v->tun_local);
	if (v->tun_remote == CFG_TUNID_ANY)
		snprintf(num + strlen(num), sizeof(num) - strlen(num), ":any");
	else
		snprintf(num + strlen(num), sizeof(num) - strlen(num), ":%d",
		    v->tun_remote);
	emit(w, "tunneldevice", num, origin_of(w, K_TUNNEL_DEVICE));

	if ((b = buf_new(0)) == NULL) {
		w->rc = ERR_NOMEM;
		return;
	}
	if (v->n_permitted_cnames == 0)
		(void)buf_put_cstr(b, "none");
	for (i = 0; i < v->n_permitted_cnames; i++)
		(void)buf_putf(b, "%s%s:%s", i > 0 ? " " : "",
		    v->permitted_cnames[i].source, v->permitted_cnames[i].target);
	emit(w, "canonicalizePermittedcnames", buf_cstr(b),
	    origin_of(w, K_CANONICALIZE_PERMITTED_CNAMES));

	if (v->control_persist == 0 || v->control_persist_timeout == 0)
		emit_fmtint(w, K_CONTROL_PERSIST, v->control_persist);
	else
		emit_int(w, K_CONTROL_PERSIST, v->control_persist_timeout);

	if (v->escape_char == CFG_ESCAPE_NONE)
		emit(w, "escapechar", "none", origin_of(w, K_ESCAPE_CHAR));
	else
		emit(w, "escapechar", vis_char(v->escape_char, w->scratch,
		    sizeof(w->scratch)), origin_of(w, K_ESCAPE_CHAR));

	buf_reset(b);
	(void)buf_putf(b, "%s %s",
	    cfg_ipqos_name(v->ip_qos_interactive, q1, sizeof(q1)),
	    cfg_ipqos_name(v->ip_qos_bulk, q2, sizeof(q2)));
	emit(w, "ipqos", buf_cstr(b), origin_of(w, K_IPQOS));

	snprintf(num, sizeof(num), "%llu %d",
	    (unsigned long long)v->rekey_limit, v->rekey_interval);
	emit(w, "rekeylimit", num, origin_of(w, K_REKEY_LIMIT));

	snprintf(num, sizeof(num), "0%o", (unsigned int)v->streamlocal_bind_mask);
	emit(w, "streamlocalbindmask", num, origin_of(w, K_STREAM_LOCAL_BIND_MASK));

	emit(w, "syslogfacility", cfg_log_facility_name(v->log_facility),
	    origin_of(w, K_LOG_FACILITY));

	if (v->jump_host == NULL)
		emit_str(w, K_PROXY_COMMAND, v->proxy_command);
	else {
		numeric = strchr(v->jump_host, ':') != NULL ||
		    strspn(v->jump_host, "1234567890.") == strlen(v->jump_host);
		buf_reset(b);
		snprintf(num, sizeof(num), "%d", v->jump_port);
		/* OpenSSH formats the port into an 8-byte buffer */
		num[7] = '\0';
		(void)buf_putf(b, "%s%s%s%s%s%s%s%s%s",
		    v->jump_extra == NULL ? "" : v->jump_extra,
		    v->jump_extra == NULL ? "" : ",",
		    v->jump_user == NULL ? "" : v->jump_user,
		    v->jump_user == NULL ? "" : "@",
		    numeric ? "[" : "", v->jump_host, numeric ? "]" : "",
		    v->jump_port <= 0 ? "" : ":",
		    v->jump_port <= 0 ? "" : num);
		emit(w, "proxyjump", buf_cstr(b), origin_of(w, K_PROXY_JUMP));
	}
	buf_free(b);
}

/* ---- ssh -G */

static int
put_ssh_g(void *ctx, const struct print_line *l)
{
	return buf_putf(ctx, "%s %s\n", l->keyword, l->value);
}

int
config_print_ssh_g(const struct config_result *r, struct buf *out)
{
	struct walker w = { .v = &r->v, .fn = put_ssh_g, .ctx = out, .rc = ERR_OK };

	walk(&w);
	return w.rc;
}

/* ---- explain */

struct explain_ctx {
	const struct cfg_values *v;
	struct buf *out;
};

static int
put_explain(void *ctx, const struct print_line *l)
{
	struct explain_ctx *e = ctx;
	const struct cfg_origin *o = l->origin;
	int rc;

	if ((rc = buf_putf(e->out, "%s %s", l->keyword, l->value)) != ERR_OK)
		return rc;
	if (o->file >= 0 && (size_t)o->file < e->v->n_files)
		return buf_putf(e->out, "\t# %s:%d (%s pass)\n",
		    e->v->files[o->file], o->line, o->pass ? "final" : "first");
	if (o->file == CFG_ORIGIN_CMDLINE)
		return buf_put_cstr(e->out, "\t# command line\n");
	return buf_put_cstr(e->out, "\t# default\n");
}

int
config_print_explain(const struct config_result *r, struct buf *out)
{
	struct explain_ctx e = { &r->v, out };
	struct walker w = { .v = &r->v, .fn = put_explain, .ctx = &e, .rc = ERR_OK };

	walk(&w);
	return w.rc;
}

/* ---- YAML */

/* Keywords that print on several lines become YAML sequences. */
static int
is_multi(const char *kw)
{
	static const char *const multi[] = {
		"identityfile", "certificatefile", "sendenv", "setenv",
		"localforward", "remoteforward", "dynamicforward",
	};
	size_t i;

	for (i = 0; i < sizeof(multi) / sizeof(multi[0]); i++) {
		if (strcmp(kw, multi[i]) == 0)
			return 1;
	}
	return 0;
}

struct collected {
	struct print_line *lines;
	size_t n, cap;
	int rc;
};

static int
collect(void *ctx, const struct print_line *l)
{
	struct collected *c = ctx;
	struct print_line *n;
	char *k, *val;

	if (c->n == c->cap) {
		size_t ncap = c->cap == 0 ? 128 : c->cap * 2;

		if ((n = realloc(c->lines, ncap * sizeof(*n))) == NULL)
			return ERR_NOMEM;
		c->lines = n;
		c->cap = ncap;
	}
	k = strdup(l->keyword);
	val = strdup(l->value);
	if (k == NULL || val == NULL) {
		free(k);
		free(val);
		return ERR_NOMEM;
	}
	c->lines[c->n].keyword = k;
	c->lines[c->n].value = val;
	c->lines[c->n].origin = l->origin;
	c->n++;
	return ERR_OK;
}

static void
collected_free(struct collected *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		free((char *)c->lines[i].keyword);
		free((char *)c->lines[i].value);
	}
	free(c->lines);
}

static int
yaml_write_buf(void *data, unsigned char *s, size_t len)
{
	return buf_put(data, s, len) == ERR_OK;
}

static int
yaml_scalar(yaml_emitter_t *em, const char *s)
{
	yaml_event_t ev;

	if (!yaml_scalar_event_initialize(&ev, NULL, NULL,
	    (yaml_char_t *)(uintptr_t)s, (int)strlen(s), 1, 1,
	    YAML_ANY_SCALAR_STYLE))
		return 0;
	return yaml_emitter_emit(em, &ev);
}

int
config_print_yaml(const struct config_result *r, struct buf *out)
{
	struct collected c = { NULL, 0, 0, ERR_OK };
	struct walker w = { .v = &r->v, .fn = collect, .ctx = &c, .rc = ERR_OK };
	yaml_emitter_t em;
	yaml_event_t ev;
	size_t i, j;
	int ok = 1, rc;

	walk(&w);
	if (w.rc != ERR_OK) {
		collected_free(&c);
		return w.rc;
	}
	if (!yaml_emitter_initialize(&em)) {
		collected_free(&c);
		return ERR_NOMEM;
	}
	yaml_emitter_set_output(&em, yaml_write_buf, out);
	yaml_emitter_set_unicode(&em, 1);
	ok = yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) &&
	    yaml_emitter_emit(&em, &ev) &&
	    yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1) &&
	    yaml_emitter_emit(&em, &ev) &&
	    yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
	    YAML_BLOCK_MAPPING_STYLE) && yaml_emitter_emit(&em, &ev);
	for (i = 0; ok && i < c.n; i++) {
		if (!is_multi(c.lines[i].keyword)) {
			ok = yaml_scalar(&em, c.lines[i].keyword) &&
			    yaml_scalar(&em, c.lines[i].value);
			continue;
		}
		/* a multi-line keyword: all its lines, once, in order */
		for (j = 0; j < i; j++) {
			if (strcmp(c.lines[j].keyword, c.lines[i].keyword) == 0)
				break;
		}
		if (j < i)
			continue;
		ok = yaml_scalar(&em, c.lines[i].keyword) &&
		    yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
		    YAML_BLOCK_SEQUENCE_STYLE) && yaml_emitter_emit(&em, &ev);
		for (j = i; ok && j < c.n; j++) {
			if (strcmp(c.lines[j].keyword, c.lines[i].keyword) == 0)
				ok = yaml_scalar(&em, c.lines[j].value);
		}
		ok = ok && yaml_sequence_end_event_initialize(&ev) &&
		    yaml_emitter_emit(&em, &ev);
	}
	ok = ok && yaml_mapping_end_event_initialize(&ev) &&
	    yaml_emitter_emit(&em, &ev) &&
	    yaml_document_end_event_initialize(&ev, 1) &&
	    yaml_emitter_emit(&em, &ev) &&
	    yaml_stream_end_event_initialize(&ev) &&
	    yaml_emitter_emit(&em, &ev) && yaml_emitter_flush(&em);
	rc = ok ? ERR_OK : ERR_INTERNAL;
	yaml_emitter_delete(&em);
	collected_free(&c);
	return rc;
}

/* ---- accessor */

struct get_ctx {
	const char *keyword;
	size_t index;
	size_t seen;
	const char *found;      /* points into the result's storage */
	char *owned;
	int *stop;              /* the walker's: found, the rest is skipped */
};

static int
get_line(void *ctx, const struct print_line *l)
{
	struct get_ctx *g = ctx;

	if (g->owned != NULL || strcmp(l->keyword, g->keyword) != 0)
		return ERR_OK;
	if (g->seen++ == g->index) {
		if ((g->owned = strdup(l->value)) == NULL)
			return ERR_NOMEM;
		*g->stop = 1;
	}
	return ERR_OK;
}

char *
config_result_get_dup(const struct config_result *r, const char *keyword,
    size_t index)
{
	struct get_ctx g = { keyword, index, 0, NULL, NULL, NULL };
	struct walker w;

	memset(&w, 0, sizeof(w));
	w.v = &r->v;
	w.fn = get_line;
	w.ctx = &g;
	w.rc = ERR_OK;
	w.only = keyword;
	g.stop = &w.stop;
	walk(&w);
	return g.owned;
}
