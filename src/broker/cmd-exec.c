/*
 * `sshbroker exec --direct [ssh options] destination [command...]`: what
 * `ssh destination command` does, without the daemon: resolve, connect,
 * verify the host key, authenticate (keys in the agent, then password
 * or keyboard-interactive answers from the terminal or SSH_ASKPASS), run
 * the command (or RemoteCommand, or a shell) with our stdin, stdout and
 * stderr, and exit with the remote status, or 255 when the connection or
 * authentication fails, as ssh does.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "broker/broker.h"
#include "broker/direct.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/mem.h"
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "transport/agent.h"
#include "transport/transport.h"
#include "transport/userkey.h"

#define PROMPT_MAX 1024
#define KEY_FILE_MAX (1024u * 1024)

/* A key offered to the server, and where its signature comes from. */
struct key_source {
	unsigned char *blob;
	size_t len;
	int from_agent;
	char *path;             /* file keys */
	struct userkey *key;    /* loaded (NULL while encrypted) */
	/* a certificate: the source whose private key signs for it */
	int signer;
};

/* Set by SIGWINCH; the loop relays the new size. */
static volatile sig_atomic_t window_changed;
/* The terminal's settings before raw mode, restored on every way out. */
static struct termios saved_tio;
static int tty_raw;

struct exec_state {
	struct direct *d;
	int want_pty;
	char *command;
	uint32_t chan;
	int opened, closed, exit_status, stdin_done;
	struct agent *agent;
	int agent_fd;
	struct key_source *keys;
	size_t n_keys;
	/* stdin bytes read but not yet taken by the channel */
	unsigned char in[256 * 1024];
	size_t in_off, in_len;
};

/* Reads one answer without echo from the terminal, or from SSH_ASKPASS
 * when there is no terminal or SSH_ASKPASS_REQUIRE=force; NULL when
 * neither can ask.  Caller wipes and frees. */
static char *
read_secret(const char *prompt, int echo)
{
	const char *askpass = getenv("SSH_ASKPASS");
	const char *require = getenv("SSH_ASKPASS_REQUIRE");
	char buf[PROMPT_MAX], *nl, *ret = NULL;
	struct termios old, noecho;
	FILE *f;
	int force = require != NULL && strcmp(require, "force") == 0;

	if (askpass != NULL && *askpass != '\0' &&
	    (force || access("/dev/tty", R_OK | W_OK) != 0)) {
		/* the prompt reaches askpass as its argument, as with ssh */
		char *cmd;
		size_t n = strlen(askpass) + strlen(prompt) * 4 + 8, i, j;

		if ((cmd = malloc(n)) == NULL)
			return NULL;
		j = (size_t)snprintf(cmd, n, "%s '", askpass);
		for (i = 0; prompt[i] != '\0' && j + 5 < n; i++) {
			if (prompt[i] == '\'') {
				memcpy(cmd + j, "'\\''", 4);
				j += 4;
			} else
				cmd[j++] = prompt[i];
		}
		cmd[j++] = '\'';
		cmd[j] = '\0';
		f = popen(cmd, "r");
		free(cmd);
		if (f == NULL)
			return NULL;
		if (fgets(buf, sizeof(buf), f) != NULL) {
			if ((nl = strchr(buf, '\n')) != NULL)
				*nl = '\0';
			ret = strdup(buf);
		}
		(void)pclose(f);
		mem_wipe(buf, sizeof(buf));
		return ret;
	}
	if ((f = fopen("/dev/tty", "r+")) == NULL)
		return NULL;
	fputs(prompt, f);
	fflush(f);
	if (!echo && tcgetattr(fileno(f), &old) == 0) {
		noecho = old;
		noecho.c_lflag &= ~(tcflag_t)ECHO;
		(void)tcsetattr(fileno(f), TCSAFLUSH, &noecho);
	} else
		echo = 1;
	if (fgets(buf, sizeof(buf), f) != NULL) {
		if ((nl = strchr(buf, '\n')) != NULL)
			*nl = '\0';
		ret = strdup(buf);
	}
	if (!echo) {
		(void)tcsetattr(fileno(f), TCSAFLUSH, &old);
		fputc('\n', f);
	}
	fclose(f);
	mem_wipe(buf, sizeof(buf));
	return ret;
}

/* One blocking round trip with the agent: it is local and quick. */
static int
agent_roundtrip(struct exec_state *s, struct agent_reply *rep)
{
	const unsigned char *out;
	unsigned char buf[8192];
	size_t len;
	ssize_t n;
	int r;

	for (;;) {
		agent_output(s->agent, &out, &len);
		if (len == 0)
			break;
		if ((n = write(s->agent_fd, out, len)) <= 0)
			return ERR_SYSTEM;
		agent_output_consume(s->agent, (size_t)n);
	}
	for (;;) {
		if ((r = agent_next_reply(s->agent, rep)) != ERR_OK)
			return r;
		if (rep->type != AGENT_REPLY_NONE)
			return ERR_OK;
		if ((n = read(s->agent_fd, buf, sizeof(buf))) <= 0)
			return ERR_SYSTEM;
		if ((r = agent_input(s->agent, buf, (size_t)n)) != ERR_OK)
			return r;
	}
}

static int
add_source(struct exec_state *s, const unsigned char *blob, size_t len,
    int from_agent, const char *path, struct userkey *key)
{
	struct key_source *n;
	struct buf *v;
	char *type = NULL;
	size_t i;
	int r;

	for (i = 0; i < s->n_keys; i++) {
		if (s->keys[i].len == len &&
		    memcmp(s->keys[i].blob, blob, len) == 0) {
			/* offered once, as ssh does; the agent signs for a
			 * key it holds, so no passphrase is asked */
			if (from_agent)
				s->keys[i].from_agent = 1;
			return ERR_OK;
		}
	}
	if ((v = buf_new_view(blob, len)) == NULL)
		return ERR_NOMEM;
	r = buf_get_cstring(v, &type, NULL);
	buf_free(v);
	if (r != ERR_OK)
		return r;
	if ((n = realloc(s->keys, (s->n_keys + 1) * sizeof(*n))) == NULL) {
		free(type);
		return ERR_NOMEM;
	}
	s->keys = n;
	n += s->n_keys;
	memset(n, 0, sizeof(*n));
	if ((n->blob = malloc(len)) == NULL ||
	    (path != NULL && (n->path = strdup(path)) == NULL)) {
		free(n->blob);
		free(type);
		return ERR_NOMEM;
	}
	memcpy(n->blob, blob, len);
	n->len = len;
	n->from_agent = from_agent;
	n->key = key;
	n->signer = -1;
	s->n_keys++;
	r = transport_auth_add_key(s->d->t, blob, len, type);
	free(type);
	return r;
}

/* Reads a whole small file; caller frees. */
static unsigned char *
slurp(const char *path, size_t *lenp, struct stat *st)
{
	unsigned char *data;
	ssize_t n;
	int fd;

	*lenp = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	if (fstat(fd, st) == -1 || st->st_size > (off_t)KEY_FILE_MAX ||
	    (data = malloc((size_t)st->st_size + 1)) == NULL) {
		close(fd);
		return NULL;
	}
	n = read(fd, data, (size_t)st->st_size);
	close(fd);
	if (n < 0) {
		free(data);
		return NULL;
	}
	*lenp = (size_t)n;
	return data;
}

/* IdentityFile as ssh loads it: "~/", %-tokens and ${VAR} expanded. */
static char *
expand_home(const struct exec_state *s, const char *path)
{
	char *out = NULL;

	if (config_result_expand(s->d->res, &s->d->host, path, &out) != ERR_OK) {
		fprintf(stderr, "sshbroker: cannot expand IdentityFile %s\n", path);
		return NULL;
	}
	return out;
}

/*
 * PATH-cert.pub, when it exists, is offered after the key itself, as ssh
 * offers a key's certificate; the key's private part signs for it.
 */
static void
add_certificate(struct exec_state *s, const char *path)
{
	struct userkey *cert = NULL;
	struct stat st;
	unsigned char *text;
	const unsigned char *blob;
	char *certpath = NULL;
	size_t len, bloblen, keyidx = s->n_keys - 1;

	if (s->n_keys == 0 || asprintf(&certpath, "%s-cert.pub", path) < 0)
		return;
	if ((text = slurp(certpath, &len, &st)) != NULL &&
	    userkey_parse_public((const char *)text, len, &cert) == ERR_OK &&
	    userkey_is_certificate(cert)) {
		userkey_public_blob(cert, &blob, &bloblen);
		if (add_source(s, blob, bloblen, 0, NULL, NULL) == ERR_OK &&
		    s->n_keys - 1 != keyidx)
			s->keys[s->n_keys - 1].signer = (int)keyidx;
	}
	userkey_free(cert);
	free(text);
	free(certpath);
}

/*
 * One IdentityFile: refused when others can read it, as OpenSSH refuses
 * it (sshkey_perm_ok); an encrypted key is offered from its .pub file and
 * decrypted only if the server accepts it.
 */
static void
load_key_file(struct exec_state *s, const char *cfgpath)
{
	struct userkey *k = NULL;
	struct stat st;
	unsigned char *data, *pub = NULL;
	const unsigned char *blob;
	size_t len, publen, bloblen;
	char *path = expand_home(s, cfgpath), *pubpath = NULL;
	int r;

	if (path == NULL || (data = slurp(path, &len, &st)) == NULL) {
		free(path);
		return;
	}
	if (st.st_uid == getuid() && (st.st_mode & 077) != 0) {
		fprintf(stderr, "WARNING: UNPROTECTED PRIVATE KEY FILE! "
		    "Permissions 0%o for '%s' are too open; this private key "
		    "will be ignored.\n", (unsigned int)(st.st_mode & 0777), path);
		goto out;
	}
	r = userkey_parse_private(data, len, NULL, &k);
	if (r == ERR_PASSPHRASE_NEEDED) {
		/* the public half, to offer before asking for anything */
		if (asprintf(&pubpath, "%s.pub", path) < 0)
			goto out;
		if ((pub = slurp(pubpath, &publen, &st)) != NULL &&
		    userkey_parse_public((const char *)pub, publen, &k) == ERR_OK) {
			userkey_public_blob(k, &blob, &bloblen);
			(void)add_source(s, blob, bloblen, 0, path, NULL);
			add_certificate(s, path);
		}
		userkey_free(k);
		k = NULL;
		goto out;
	}
	if (r != ERR_OK) {
		fprintf(stderr, "Load key \"%s\": %s\n", path, err_str(r));
		goto out;
	}
	userkey_public_blob(k, &blob, &bloblen);
	if (add_source(s, blob, bloblen, 0, path, k) == ERR_OK)
		k = NULL;
	add_certificate(s, path);
 out:
	userkey_free(k);
	if (data != NULL)
		mem_freezero(data, len);
	free(pub);
	free(pubpath);
	free(path);
}

/* Keys in the agent, then IdentityFile keys, as ssh offers them; with
 * IdentitiesOnly only agent keys that match an IdentityFile. */
static void
keys_setup(struct exec_state *s)
{
	struct sockaddr_un sun;
	struct agent_reply rep;
	char *path = direct_cfg(s->d, "identityagent");
	char *only = direct_cfg(s->d, "identitiesonly");
	const char *sock = NULL;
	size_t i, n_files;
	char *f;
	int identities_only = only != NULL && strcmp(only, "yes") == 0;

	s->agent_fd = -1;
	if (path != NULL && strcmp(path, "none") == 0)
		goto files;
	if (path != NULL && strcmp(path, "SSH_AUTH_SOCK") != 0)
		sock = path;
	else
		sock = getenv("SSH_AUTH_SOCK");
	if (sock == NULL || strlen(sock) >= sizeof(sun.sun_path))
		goto files;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, sock, strlen(sock));
	if ((s->agent_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		goto files;
	if (connect(s->agent_fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    (s->agent = agent_new()) == NULL ||
	    agent_request_identities(s->agent) != ERR_OK ||
	    agent_roundtrip(s, &rep) != ERR_OK ||
	    rep.type != AGENT_REPLY_IDENTITIES) {
		close(s->agent_fd);
		s->agent_fd = -1;
		agent_free(s->agent);
		s->agent = NULL;
		goto files;
	}
	if (!identities_only) {
		for (i = 0; i < rep.n_identities; i++)
			(void)add_source(s, rep.identities[i].blob,
			    rep.identities[i].blob_len, 1, NULL, NULL);
	}
 files:
	for (n_files = 0; n_files < 100; n_files++) {
		if ((f = config_result_get_dup(s->d->res, "identityfile",
		    n_files)) == NULL)
			break;
		load_key_file(s, f);
		free(f);
	}
	if (identities_only && s->agent != NULL) {
		/* IdentitiesOnly: the agent only signs for the files' keys */
		size_t nfile = s->n_keys, k;

		for (i = 0; i < rep.n_identities; i++) {
			for (k = 0; k < nfile; k++) {
				if (s->keys[k].len == rep.identities[i].blob_len &&
				    memcmp(s->keys[k].blob, rep.identities[i].blob,
				    s->keys[k].len) == 0)
					s->keys[k].from_agent = 1;
			}
		}
	}
	free(path);
	free(only);
}

static int
sign_key(struct exec_state *s, const struct transport_event *ev)
{
	struct key_source *k;
	struct agent_reply rep;
	struct buf *sig = NULL;
	unsigned char *data = NULL;
	size_t len;
	uint32_t flags = 0;
	char prompt[PROMPT_MAX], *pass;
	int r, tries;

	if (ev->code < 0 || (size_t)ev->code >= s->n_keys)
		return transport_auth_signature(s->d->t, NULL, 0);
	k = &s->keys[ev->code];
	if (k->from_agent) {
		if (strcmp(ev->key_type, "rsa-sha2-256") == 0)
			flags = AGENT_SIGN_RSA_SHA2_256;
		else if (strcmp(ev->key_type, "rsa-sha2-512") == 0)
			flags = AGENT_SIGN_RSA_SHA2_512;
		if (s->agent == NULL || agent_request_sign(s->agent, k->blob,
		    k->len, ev->packet, ev->packet_len, flags) != ERR_OK ||
		    agent_roundtrip(s, &rep) != ERR_OK ||
		    rep.type != AGENT_REPLY_SIGNATURE)
			return transport_auth_signature(s->d->t, NULL, 0);
		return transport_auth_signature(s->d->t, rep.signature,
		    rep.signature_len);
	}
	if (k->signer >= 0) {
		/* a certificate: its key signs, with the plain algorithm */
		static const char suffix[] = "-cert-v01@openssh.com";
		char plain[128];
		size_t l = strlen(ev->key_type);
		struct transport_event plain_ev = *ev;

		if (l <= sizeof(suffix) - 1 || l >= sizeof(plain) ||
		    strcmp(ev->key_type + l - (sizeof(suffix) - 1), suffix) != 0)
			return transport_auth_signature(s->d->t, NULL, 0);
		memcpy(plain, ev->key_type, l - (sizeof(suffix) - 1));
		plain[l - (sizeof(suffix) - 1)] = '\0';
		plain_ev.key_type = plain;
		plain_ev.code = k->signer;
		return sign_key(s, &plain_ev);
	}
	if (k->key == NULL && k->path != NULL) {
		struct stat st;

		/* the server accepts this key: now its passphrase is worth
		 * asking for */
		if ((data = slurp(k->path, &len, &st)) == NULL)
			return transport_auth_signature(s->d->t, NULL, 0);
		snprintf(prompt, sizeof(prompt), "Enter passphrase for key '%s': ",
		    k->path);
		for (tries = 0; tries < 3 && k->key == NULL && !s->d->batch;
		    tries++) {
			if ((pass = read_secret(prompt, 0)) == NULL)
				break;
			r = userkey_parse_private(data, len, pass, &k->key);
			mem_freezero(pass, strlen(pass));
			if (r != ERR_OK && r != ERR_PASSPHRASE_WRONG)
				break;
		}
		mem_freezero(data, len);
	}
	if (k->key == NULL || (sig = buf_new(0)) == NULL)
		return transport_auth_signature(s->d->t, NULL, 0);
	r = userkey_sign(k->key, ev->key_type, ev->packet, ev->packet_len, sig);
	if (r == ERR_OK)
		r = transport_auth_signature(s->d->t, buf_ptr(sig), buf_len(sig));
	else
		r = transport_auth_signature(s->d->t, NULL, 0);
	buf_free(sig);
	return r;
}

static void
keys_free(struct exec_state *s)
{
	size_t i;

	for (i = 0; i < s->n_keys; i++) {
		free(s->keys[i].blob);
		free(s->keys[i].path);
		userkey_free(s->keys[i].key);
	}
	free(s->keys);
	s->keys = NULL;
	s->n_keys = 0;
}

static int
write_all(int fd, const unsigned char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, p, len)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void
on_sigwinch(int sig)
{
	(void)sig;
	window_changed = 1;
}

static void
tty_restore(void)
{
	if (tty_raw) {
		(void)tcsetattr(STDIN_FILENO, TCSADRAIN, &saved_tio);
		tty_raw = 0;
	}
}

/* Raw mode for the local terminal while a remote pty owns it, as ssh. */
static void
tty_make_raw(void)
{
	struct termios raw;

	if (tcgetattr(STDIN_FILENO, &saved_tio) == -1)
		return;
	raw = saved_tio;
	cfmakeraw(&raw);
	if (tcsetattr(STDIN_FILENO, TCSADRAIN, &raw) == 0) {
		tty_raw = 1;
		atexit(tty_restore);
	}
}

static void
window_size(unsigned int *cols, unsigned int *rows, unsigned int *xp,
    unsigned int *yp)
{
	struct winsize ws;

	*cols = 80;
	*rows = 24;
	*xp = *yp = 0;
	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0) {
		*cols = ws.ws_col;
		*rows = ws.ws_row;
		*xp = ws.ws_xpixel;
		*yp = ws.ws_ypixel;
	}
}

/* RFC 4254 section 8 terminal modes from our terminal's settings. */
static int
put_modes(struct buf *modes)
{
	static const struct { unsigned char op; int idx; } chars[] = {
		{ 1, VINTR }, { 2, VQUIT }, { 3, VERASE }, { 4, VKILL },
		{ 5, VEOF }, { 6, VEOL }, { 7, VEOL2 }, { 8, VSTART },
		{ 9, VSTOP }, { 10, VSUSP }, { 12, VREPRINT }, { 13, VWERASE },
		{ 14, VLNEXT }, { 18, VDISCARD },
	};
	static const struct { unsigned char op; tcflag_t bit; int which; } flags[] = {
		{ 30, IGNPAR, 0 }, { 31, PARMRK, 0 }, { 32, INPCK, 0 },
		{ 33, ISTRIP, 0 }, { 34, INLCR, 0 }, { 35, IGNCR, 0 },
		{ 36, ICRNL, 0 }, { 38, IXON, 0 }, { 39, IXANY, 0 },
		{ 40, IXOFF, 0 }, { 41, IMAXBEL, 0 }, { 42, IUTF8, 0 },
		{ 50, ISIG, 1 }, { 51, ICANON, 1 }, { 53, ECHO, 1 },
		{ 54, ECHOE, 1 }, { 55, ECHOK, 1 }, { 56, ECHONL, 1 },
		{ 57, NOFLSH, 1 }, { 58, TOSTOP, 1 }, { 59, IEXTEN, 1 },
		{ 60, ECHOCTL, 1 }, { 61, ECHOKE, 1 }, { 62, PENDIN, 1 },
		{ 70, OPOST, 2 }, { 72, ONLCR, 2 }, { 73, OCRNL, 2 },
		{ 74, ONOCR, 2 }, { 75, ONLRET, 2 },
		{ 90, CS7, 3 }, { 91, CS8, 3 }, { 92, PARENB, 3 }, { 93, PARODD, 3 },
	};
	struct termios tio;
	size_t i;
	tcflag_t f;
	int r = ERR_OK;

	if (tcgetattr(STDIN_FILENO, &tio) == 0) {
		for (i = 0; r == ERR_OK && i < sizeof(chars) / sizeof(chars[0]); i++) {
			r = buf_put_u8(modes, chars[i].op);
			if (r == ERR_OK)
				r = buf_put_u32(modes, tio.c_cc[chars[i].idx]);
		}
		for (i = 0; r == ERR_OK && i < sizeof(flags) / sizeof(flags[0]); i++) {
			f = flags[i].which == 0 ? tio.c_iflag : flags[i].which == 1 ?
			    tio.c_lflag : flags[i].which == 2 ? tio.c_oflag :
			    tio.c_cflag;
			r = buf_put_u8(modes, flags[i].op);
			if (r == ERR_OK)
				r = buf_put_u32(modes, (f & flags[i].bit) != 0);
		}
		if (r == ERR_OK)
			r = buf_put_u8(modes, 128);     /* TTY_OP_ISPEED */
		if (r == ERR_OK)
			r = buf_put_u32(modes, 38400);
		if (r == ERR_OK)
			r = buf_put_u8(modes, 129);     /* TTY_OP_OSPEED */
		if (r == ERR_OK)
			r = buf_put_u32(modes, 38400);
	}
	if (r == ERR_OK)
		r = buf_put_u8(modes, 0);               /* TTY_OP_END */
	return r;
}

static int
send_env_pair(struct exec_state *s, const char *name, size_t nlen,
    const char *value)
{
	struct buf *f = buf_new(0);
	int r;

	if (f == NULL)
		return ERR_NOMEM;
	r = buf_put_string(f, name, nlen);
	if (r == ERR_OK)
		r = buf_put_cstring(f, value);
	if (r == ERR_OK)
		r = channel_request(s->d->t, s->chan, "env", 0, buf_ptr(f),
		    buf_len(f));
	buf_free(f);
	return r;
}

/*
 * SetEnv pairs, then the variables of our environment that SendEnv
 * patterns match (the server's AcceptEnv decides what it keeps), as ssh
 * sends them before the command.
 */
static int
send_environment(struct exec_state *s)
{
	extern char **environ;
	char *v, *eq;
	size_t i, k;
	int r = ERR_OK;

	for (i = 0; r == ERR_OK && i < 256; i++) {
		if ((v = config_result_get_dup(s->d->res, "setenv", i)) == NULL)
			break;
		if ((eq = strchr(v, '=')) != NULL)
			r = send_env_pair(s, v, (size_t)(eq - v), eq + 1);
		free(v);
	}
	for (i = 0; r == ERR_OK && i < 256; i++) {
		if ((v = config_result_get_dup(s->d->res, "sendenv", i)) == NULL)
			break;
		for (k = 0; r == ERR_OK && environ[k] != NULL; k++) {
			char name[256];
			size_t nlen;

			if ((eq = strchr(environ[k], '=')) == NULL ||
			    (nlen = (size_t)(eq - environ[k])) >= sizeof(name))
				continue;
			memcpy(name, environ[k], nlen);
			name[nlen] = '\0';
			if (config_match_pattern_list(name, v))
				r = send_env_pair(s, name, nlen, eq + 1);
		}
		free(v);
	}
	return r;
}

static int
request_pty(struct exec_state *s)
{
	struct buf *f = buf_new(0), *modes = buf_new(0);
	const char *term = getenv("TERM");
	unsigned int cols, rows, xp, yp;
	int r = ERR_NOMEM;

	if (f == NULL || modes == NULL)
		goto out;
	window_size(&cols, &rows, &xp, &yp);
	r = put_modes(modes);
	if (r == ERR_OK)
		r = buf_put_cstring(f, term != NULL ? term : "vt100");
	if (r == ERR_OK)
		r = buf_put_u32(f, cols);
	if (r == ERR_OK)
		r = buf_put_u32(f, rows);
	if (r == ERR_OK)
		r = buf_put_u32(f, xp);
	if (r == ERR_OK)
		r = buf_put_u32(f, yp);
	if (r == ERR_OK)
		r = buf_put_stringb(f, modes);
	if (r == ERR_OK)
		r = channel_request(s->d->t, s->chan, "pty-req", 1, buf_ptr(f),
		    buf_len(f));
 out:
	buf_free(f);
	buf_free(modes);
	return r;
}

static void
relay_window_change(struct exec_state *s)
{
	struct buf *f;
	unsigned int cols, rows, xp, yp;

	window_changed = 0;
	if (!s->opened || s->closed || (f = buf_new(0)) == NULL)
		return;
	window_size(&cols, &rows, &xp, &yp);
	if (buf_put_u32(f, cols) == ERR_OK && buf_put_u32(f, rows) == ERR_OK &&
	    buf_put_u32(f, xp) == ERR_OK && buf_put_u32(f, yp) == ERR_OK)
		(void)channel_request(s->d->t, s->chan, "window-change", 0,
		    buf_ptr(f), buf_len(f));
	buf_free(f);
}

static int
on_event(void *ctx, const struct transport_event *ev)
{
	struct exec_state *s = ctx;
	struct transport *t = s->d->t;
	char *answer, *methods, *tries;
	int r;

	switch (ev->type) {
	case TRANSPORT_EV_READY:
		keys_setup(s);
		methods = direct_cfg(s->d, "preferredauthentications");
		if (s->d->batch) {
			/* BatchMode: nothing that would need a prompt */
			free(methods);
			methods = strdup("publickey");
		}
		tries = direct_cfg(s->d, "numberofpasswordprompts");
		r = transport_auth_start(t, s->d->user, methods,
		    tries != NULL ? atoi(tries) : 3);
		free(methods);
		free(tries);
		return r == ERR_OK ? 0 : -1;
	case TRANSPORT_EV_AUTH_BANNER:
		fputs(ev->line, stderr);
		return 0;
	case TRANSPORT_EV_AUTH_SIGN:
		return sign_key(s, ev) == ERR_OK ? 0 : -1;
	case TRANSPORT_EV_AUTH_PROMPT:
		answer = s->d->batch ? NULL : read_secret(ev->line, ev->code);
		r = transport_auth_answer(t, answer);
		if (answer != NULL)
			mem_freezero(answer, strlen(answer));
		return r == ERR_OK ? 0 : -1;
	case TRANSPORT_EV_AUTHENTICATED:
		return channel_open_session(t, &s->chan) == ERR_OK ? 0 : -1;
	case TRANSPORT_EV_CHANNEL_OPEN:
		s->opened = 1;
		if (s->want_pty && request_pty(s) != ERR_OK)
			return -1;
		if (send_environment(s) != ERR_OK)
			return -1;
		if (s->command != NULL)
			return channel_request_exec(t, s->chan, s->command) ==
			    ERR_OK ? 0 : -1;
		return channel_request(t, s->chan, "shell", 1, NULL, 0) ==
		    ERR_OK ? 0 : -1;
	case TRANSPORT_EV_CHANNEL_OPEN_FAILED:
		fprintf(stderr, "sshbroker: channel refused: %s\n", ev->line);
		return -1;
	case TRANSPORT_EV_CHANNEL_REQUEST_REPLY:
		if (!ev->code) {
			fprintf(stderr, "sshbroker: the server refused to run "
			    "the command\n");
			return -1;
		}
		return 0;
	case TRANSPORT_EV_CHANNEL_DATA:
	case TRANSPORT_EV_CHANNEL_EXT_DATA:
		/* written out before the window reopens: a slow reader
		 * slows the remote command, not our memory */
		if (write_all(ev->type == TRANSPORT_EV_CHANNEL_DATA ? 1 : 2,
		    ev->packet, ev->packet_len) != 0)
			return -1;
		return channel_consumed(t, s->chan, ev->packet_len) == ERR_OK ?
		    0 : -1;
	case TRANSPORT_EV_CHANNEL_EXIT_STATUS:
		s->exit_status = ev->code;
		return 0;
	case TRANSPORT_EV_CHANNEL_EXIT_SIGNAL:
		fprintf(stderr, "sshbroker: remote command killed by signal %s\n",
		    ev->line);
		s->exit_status = 255;
		return 0;
	case TRANSPORT_EV_CHANNEL_EOF:
		return 0;
	case TRANSPORT_EV_CHANNEL_CLOSED:
		s->closed = 1;
		return 1;
	default:
		return 0;
	}
}

/* Moves stdin into the channel as its window allows. */
static void
pump_stdin(struct exec_state *s, short revents)
{
	size_t w = 0;
	ssize_t n;

	if (s->in_len == 0 && (revents & (POLLIN | POLLHUP | POLLERR))) {
		n = read(STDIN_FILENO, s->in, sizeof(s->in));
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				return;
			s->stdin_done = 1;
			(void)channel_eof(s->d->t, s->chan);
			return;
		}
		s->in_off = 0;
		s->in_len = (size_t)n;
	}
	if (s->in_len > 0 && channel_write(s->d->t, s->chan,
	    s->in + s->in_off, s->in_len, &w) == ERR_OK) {
		s->in_off += w;
		s->in_len -= w;
	}
}

static char *
join_command(int argc, char **argv)
{
	size_t n = 1;
	int i;
	char *cmd;

	for (i = 0; i < argc; i++)
		n += strlen(argv[i]) + 1;
	if ((cmd = malloc(n)) == NULL)
		return NULL;
	cmd[0] = '\0';
	for (i = 0; i < argc; i++) {
		if (i > 0)
			strcat(cmd, " ");
		strcat(cmd, argv[i]);
	}
	return cmd;
}

int
cmd_exec(int argc, char **argv)
{
	struct exec_state s;
	struct direct d;
	struct pollfd in;
	size_t ci;
	int r;

	memset(&s, 0, sizeof(s));
	s.exit_status = -1;
	s.agent_fd = -1;
	if (argc < 1 || strcmp(argv[0], "--direct") != 0) {
		fprintf(stderr, "sshbroker exec: only --direct is available "
		    "until the daemon exists\n");
		return 255;
	}
	(void)signal(SIGPIPE, SIG_IGN);
	if (direct_open(&d, argc - 1, argv + 1) != 0) {
		direct_close(&d);
		return 255;
	}
	s.d = &d;
	ci = config_result_command_index(d.res);
	if (ci < (size_t)(argc - 1))
		s.command = join_command(argc - 1 - (int)ci, argv + 1 + ci);
	else
		s.command = direct_cfg(&d, "remotecommand");
	{
		/* RequestTTY as ssh reads it: yes and force ask for a pty
		 * (yes only when stdin is a terminal), auto when there is no
		 * command and stdin is a terminal */
		char *tty = direct_cfg(&d, "requesttty");
		int is_tty = isatty(STDIN_FILENO);

		if (tty != NULL && strcmp(tty, "force") == 0)
			s.want_pty = 1;
		else if (tty != NULL && strcmp(tty, "true") == 0)
			s.want_pty = is_tty;
		else if (tty != NULL && strcmp(tty, "auto") == 0)
			s.want_pty = is_tty && s.command == NULL;
		free(tty);
		if (s.want_pty && is_tty) {
			tty_make_raw();
			(void)signal(SIGWINCH, on_sigwinch);
		}
	}
	for (;;) {
		if (window_changed)
			relay_window_change(&s);
		in.fd = STDIN_FILENO;
		in.events = s.opened && !s.stdin_done && s.in_len == 0 &&
		    channel_writable(d.t, s.chan) > 0 ? POLLIN : 0;
		in.revents = 0;
		r = direct_turn(&d, 1000, on_event, &s, &in, 1);
		if (r < 0 || s.closed)
			break;
		if (s.opened && !s.stdin_done)
			pump_stdin(&s, in.revents);
	}
	if (s.agent_fd != -1)
		close(s.agent_fd);
	agent_free(s.agent);
	keys_free(&s);
	free(s.command);
	direct_close(&d);
	tty_restore();
	if (!s.closed || s.exit_status < 0)
		return 255;
	return s.exit_status;
}
