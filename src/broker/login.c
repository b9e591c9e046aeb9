/*
 * The client side of user authentication for one transport: which keys
 * to offer (the agent's, then IdentityFile and their certificates, as
 * ssh offers them), signatures from the agent or the key files, and
 * answers to passphrase, password and keyboard-interactive prompts from
 * the terminal or SSH_ASKPASS.  One per hop of a connection.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "broker/login.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/mem.h"
#include "config/config.h"
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


/* A signature waiting for the passphrase of its key. */
struct pending_sign {
	int active;
	int key;
	char alg[128];
	unsigned char *data;
	size_t len;
	int tries;
};

struct login {
	struct transport *t;
	const struct config_result *res;
	const struct config_host *host;
	char *user;
	int batch;
	const struct login_ui *ui;
	struct agent *agent;
	int agent_fd;
	struct key_source *keys;
	size_t n_keys;
	int prompt_pending;     /* a password or k-i answer is awaited */
	struct pending_sign ps;
	struct decrypt_job *decrypting;     /* a key being decrypted */
	struct agent_job *asking;           /* an agent round trip */
};

/* What comes of an agent round trip: the reply (valid until the next
 * request to the agent), or r != ERR_OK. */
typedef int (*agent_then_fn)(struct login *s, int r,
    const struct agent_reply *rep);

/*
 * An agent round trip away from the caller's thread: an agent may ask
 * its user before it answers (a key added with ssh-add -c, a token's
 * PIN), and the daemon's loop serves everyone else meanwhile.  The agent
 * and its socket travel with the job; if the login goes first, it lets
 * go of the job (login NULL) and the job closes them itself.
 */
struct agent_job {
	struct login *login;
	struct agent *agent;
	int fd;
	agent_then_fn then;
	struct agent_reply rep;
	int r;
};

/* A key decrypted away from the caller's thread.  If the login goes
 * first, it lets go of the job (login NULL) and the job frees itself. */
struct decrypt_job {
	struct login *login;
	unsigned char *file;
	size_t len;
	char *pass;
	struct userkey *key;
	int r;
};


/* One blocking round trip with the agent on fd: on a worker in the
 * daemon, inline in direct mode (as ssh waits for its agent). */
static int
agent_roundtrip(struct agent *a, int fd, struct agent_reply *rep)
{
	const unsigned char *out;
	unsigned char buf[8192];
	size_t len;
	ssize_t n;
	int r;

	for (;;) {
		agent_output(a, &out, &len);
		if (len == 0)
			break;
		if ((n = write(fd, out, len)) <= 0) {
			if (n == -1 && errno == EINTR)
				continue;
			return ERR_SYSTEM;
		}
		agent_output_consume(a, (size_t)n);
	}
	for (;;) {
		if ((r = agent_next_reply(a, rep)) != ERR_OK)
			return r;
		if (rep->type != AGENT_REPLY_NONE)
			return ERR_OK;
		if ((n = read(fd, buf, sizeof(buf))) <= 0) {
			if (n == -1 && errno == EINTR)
				continue;
			return ERR_SYSTEM;
		}
		if ((r = agent_input(a, buf, (size_t)n)) != ERR_OK)
			return r;
	}
}

static void
agent_job_work(void *arg)
{
	struct agent_job *j = arg;

	j->r = agent_roundtrip(j->agent, j->fd, &j->rep);
}

static void
agent_job_done(void *arg, int cancelled)
{
	struct agent_job *j = arg;
	struct login *s = j->login;

	if (s != NULL) {
		s->asking = NULL;
		s->agent = j->agent;
		s->agent_fd = j->fd;
		(void)j->then(s, cancelled ? ERR_SYSTEM : j->r, &j->rep);
	} else {
		if (j->fd != -1)
			(void)close(j->fd);
		agent_free(j->agent);
	}
	free(j);
}

/* Sends what is queued on s->agent and hands the reply to then(): later,
 * from the ui's worker, when it has one; now otherwise.  Returns what
 * then() returns when it ran now, else ERR_OK. */
static int
agent_ask(struct login *s, agent_then_fn then)
{
	struct agent_reply rep;
	struct agent_job *j;
	int r;

	if (s->ui != NULL && s->ui->run_blocking != NULL &&
	    (j = calloc(1, sizeof(*j))) != NULL) {
		j->login = s;
		j->agent = s->agent;
		j->fd = s->agent_fd;
		j->then = then;
		if (s->ui->run_blocking(s->ui->ctx, agent_job_work,
		    agent_job_done, j) == ERR_OK) {
			s->agent = NULL;
			s->agent_fd = -1;
			s->asking = j;
			return ERR_OK;
		}
		free(j);
	}
	memset(&rep, 0, sizeof(rep));
	r = agent_roundtrip(s->agent, s->agent_fd, &rep);
	return then(s, r, &rep);
}

static int
add_source(struct login *s, const unsigned char *blob, size_t len,
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
	r = transport_auth_add_key(s->t, blob, len, type);
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
expand_home(const struct login *s, const char *path)
{
	char *out = NULL;

	if (config_result_expand(s->res, s->host, path, &out) != ERR_OK) {
		login_say(s->ui, "sshbroker: cannot expand IdentityFile %s", path);
		return NULL;
	}
	return out;
}

/*
 * PATH-cert.pub, when it exists, is offered after the key itself, as ssh
 * offers a key's certificate; the key's private part signs for it.
 */
static void
add_certificate(struct login *s, const char *path)
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
load_key_file(struct login *s, const char *cfgpath)
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
		login_say(s->ui, "WARNING: UNPROTECTED PRIVATE KEY FILE! "
		    "Permissions 0%o for '%s' are too open; this private key "
		    "will be ignored.", (unsigned int)(st.st_mode & 0777), path);
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
		login_say(s->ui, "Load key \"%s\": %s", path, err_str(r));
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

static void
agent_close(struct login *s)
{
	if (s->agent_fd != -1)
		(void)close(s->agent_fd);
	s->agent_fd = -1;
	agent_free(s->agent);
	s->agent = NULL;
}

/* Authentication proper, once the keys are known. */
static int
auth_begin(struct login *s)
{
	char *methods, *tries;
	int r;

	methods = config_result_get_dup(s->res, "preferredauthentications", 0);
	if (s->batch) {
		/* BatchMode: nothing that would need a prompt */
		free(methods);
		methods = strdup("publickey");
	}
	tries = config_result_get_dup(s->res, "numberofpasswordprompts", 0);
	r = transport_auth_start(s->t, s->user, methods,
	    tries != NULL ? atoi(tries) : 3);
	free(methods);
	free(tries);
	return r;
}

/* The agent's keys (unless IdentitiesOnly), then the IdentityFile keys,
 * as ssh offers them; with IdentitiesOnly only the agent keys that match
 * an IdentityFile.  Then authentication starts. */
static int
keys_listed(struct login *s, int r, const struct agent_reply *rep)
{
	char *only = config_result_get_dup(s->res, "identitiesonly", 0);
	int identities_only = only != NULL && strcmp(only, "yes") == 0;
	size_t i, k, nfile, n_files;
	char *f;

	free(only);
	if (r != ERR_OK || rep->type != AGENT_REPLY_IDENTITIES) {
		agent_close(s);
		rep = NULL;
	}
	if (rep != NULL && !identities_only) {
		for (i = 0; i < rep->n_identities; i++)
			(void)add_source(s, rep->identities[i].blob,
			    rep->identities[i].blob_len, 1, NULL, NULL);
	}
	nfile = s->n_keys;
	for (n_files = 0; n_files < 100; n_files++) {
		if ((f = config_result_get_dup(s->res, "identityfile",
		    n_files)) == NULL)
			break;
		load_key_file(s, f);
		free(f);
	}
	if (identities_only && rep != NULL) {
		/* the agent only signs for the files' keys */
		for (i = 0; i < rep->n_identities; i++) {
			for (k = nfile; k < s->n_keys; k++) {
				if (s->keys[k].len == rep->identities[i].blob_len &&
				    memcmp(s->keys[k].blob, rep->identities[i].blob,
				    s->keys[k].len) == 0)
					s->keys[k].from_agent = 1;
			}
		}
	}
	return auth_begin(s);
}

/* Connects to the agent (IdentityAgent, else $SSH_AUTH_SOCK) and asks for
 * its keys; without one, goes on with the files alone. */
static int
keys_setup(struct login *s)
{
	struct sockaddr_un sun;
	struct agent_reply none;
	char *path = config_result_get_dup(s->res, "identityagent", 0);
	const char *sock = NULL;

	memset(&none, 0, sizeof(none));
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
	/* a local socket: connect() does not wait on the agent itself */
	if (connect(s->agent_fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    (s->agent = agent_new()) == NULL ||
	    agent_request_identities(s->agent) != ERR_OK)
		goto files;
	free(path);
	return agent_ask(s, keys_listed);
 files:
	free(path);
	return keys_listed(s, ERR_NOT_FOUND, &none);
}

static int passphrase_ask(struct login *s);
static int finish_sign(struct login *s, struct key_source *k,
    const char *alg, const unsigned char *data, size_t len);

static int
agent_signed(struct login *s, int r, const struct agent_reply *rep)
{
	if (r != ERR_OK || rep->type != AGENT_REPLY_SIGNATURE)
		return transport_auth_signature(s->t, NULL, 0);
	return transport_auth_signature(s->t, rep->signature,
	    rep->signature_len);
}

static int
sign_key(struct login *s, const struct transport_event *ev)
{
	struct key_source *k;
	uint32_t flags = 0;

	if (ev->code < 0 || (size_t)ev->code >= s->n_keys)
		return transport_auth_signature(s->t, NULL, 0);
	k = &s->keys[ev->code];
	if (k->from_agent) {
		if (strcmp(ev->key_type, "rsa-sha2-256") == 0)
			flags = AGENT_SIGN_RSA_SHA2_256;
		else if (strcmp(ev->key_type, "rsa-sha2-512") == 0)
			flags = AGENT_SIGN_RSA_SHA2_512;
		if (s->agent == NULL || agent_request_sign(s->agent, k->blob,
		    k->len, ev->packet, ev->packet_len, flags) != ERR_OK)
			return transport_auth_signature(s->t, NULL, 0);
		return agent_ask(s, agent_signed);
	}
	if (k->signer >= 0) {
		/* a certificate: its key signs, with the plain algorithm */
		static const char suffix[] = "-cert-v01@openssh.com";
		char plain[128];
		size_t l = strlen(ev->key_type);
		struct transport_event plain_ev = *ev;

		if (l <= sizeof(suffix) - 1 || l >= sizeof(plain) ||
		    strcmp(ev->key_type + l - (sizeof(suffix) - 1), suffix) != 0)
			return transport_auth_signature(s->t, NULL, 0);
		memcpy(plain, ev->key_type, l - (sizeof(suffix) - 1));
		plain[l - (sizeof(suffix) - 1)] = '\0';
		plain_ev.key_type = plain;
		plain_ev.code = k->signer;
		return sign_key(s, &plain_ev);
	}
	if (k->key == NULL && k->path != NULL) {
		/* the server accepts this key: now its passphrase is worth
		 * asking for; the signature waits for it */
		if (s->batch || strlen(ev->key_type) >= sizeof(s->ps.alg) ||
		    (s->ps.data = malloc(ev->packet_len + 1)) == NULL)
			return transport_auth_signature(s->t, NULL, 0);
		memcpy(s->ps.data, ev->packet, ev->packet_len);
		s->ps.len = ev->packet_len;
		s->ps.key = (int)(k - s->keys);
		snprintf(s->ps.alg, sizeof(s->ps.alg), "%s", ev->key_type);
		s->ps.tries = 0;
		s->ps.active = 1;
		return passphrase_ask(s);
	}
	return finish_sign(s, k, ev->key_type, ev->packet, ev->packet_len);
}

static void
pending_sign_clear(struct login *s)
{
	if (s->ps.data != NULL)
		mem_freezero(s->ps.data, s->ps.len);
	memset(&s->ps, 0, sizeof(s->ps));
}

/* What the decryption gave: sign, ask again, or give up. */
static int
passphrase_result(struct login *s, int r, struct userkey *key, int asked)
{
	struct key_source *k = &s->keys[s->ps.key];

	if (r == ERR_OK) {
		userkey_free(k->key);
		k->key = key;
		r = finish_sign(s, k, s->ps.alg, s->ps.data, s->ps.len);
		pending_sign_clear(s);
		return r;
	}
	userkey_free(key);
	if (asked && r == ERR_PASSPHRASE_WRONG && ++s->ps.tries < 3)
		return passphrase_ask(s);
	pending_sign_clear(s);
	return transport_auth_signature(s->t, NULL, 0);
}

static void
decrypt_job_free(struct decrypt_job *j)
{
	if (j->file != NULL)
		mem_freezero(j->file, j->len);
	if (j->pass != NULL)
		mem_freezero(j->pass, strlen(j->pass));
	userkey_free(j->key);
	free(j);
}

static void
decrypt_work(void *arg)
{
	struct decrypt_job *j = arg;

	j->r = userkey_parse_private(j->file, j->len, j->pass, &j->key);
}

static void
decrypt_done(void *arg, int cancelled)
{
	struct decrypt_job *j = arg;
	struct login *s = j->login;
	struct userkey *key = j->key;

	if (s != NULL) {
		s->decrypting = NULL;
		j->key = NULL;
		(void)passphrase_result(s, cancelled ? ERR_SYSTEM : j->r, key,
		    !cancelled);
	}
	decrypt_job_free(j);
}

/* With the passphrase (NULL: none): decrypt (on the ui's worker when it
 * has one), then sign, or ask again. */
static int
passphrase_try(struct login *s, const char *pass)
{
	struct key_source *k = &s->keys[s->ps.key];
	struct decrypt_job *j;
	struct stat st;

	if (pass == NULL)
		return passphrase_result(s, ERR_PASSPHRASE_WRONG, NULL, 0);
	if ((j = calloc(1, sizeof(*j))) == NULL ||
	    (j->pass = strdup(pass)) == NULL ||
	    (j->file = slurp(k->path, &j->len, &st)) == NULL) {
		if (j != NULL)
			decrypt_job_free(j);
		return passphrase_result(s, ERR_SYSTEM, NULL, 0);
	}
	j->login = s;
	if (s->ui != NULL && s->ui->run_blocking != NULL &&
	    s->ui->run_blocking(s->ui->ctx, decrypt_work, decrypt_done, j) ==
	    ERR_OK) {
		s->decrypting = j;
		return ERR_OK;
	}
	decrypt_work(j);
	{
		struct userkey *key = j->key;
		int r = j->r;

		j->key = NULL;
		decrypt_job_free(j);
		return passphrase_result(s, r, key, 1);
	}
}

static int
passphrase_ask(struct login *s)
{
	char prompt[PROMPT_MAX], *pass;
	int r;

	snprintf(prompt, sizeof(prompt), "Enter passphrase for key '%s': ",
	    s->keys[s->ps.key].path);
	pass = login_ask(s->ui, prompt, 0);
	if (pass == LOGIN_ASK_PENDING)
		return ERR_OK;
	r = passphrase_try(s, pass);
	if (pass != NULL)
		mem_freezero(pass, strlen(pass));
	return r;
}

static int
finish_sign(struct login *s, struct key_source *k, const char *alg,
    const unsigned char *data, size_t len)
{
	struct buf *sig;
	int r;

	if (k->key == NULL || (sig = buf_new(0)) == NULL)
		return transport_auth_signature(s->t, NULL, 0);
	r = userkey_sign(k->key, alg, data, len, sig);
	if (r == ERR_OK)
		r = transport_auth_signature(s->t, buf_ptr(sig), buf_len(sig));
	else
		r = transport_auth_signature(s->t, NULL, 0);
	buf_free(sig);
	return r;
}

static void
keys_free(struct login *s)
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


struct login *
login_new(struct transport *t, const struct config_result *res,
    const struct config_host *host, int batch, const struct login_ui *ui)
{
	struct login *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->t = t;
	s->res = res;
	s->host = host;
	s->batch = batch;
	s->ui = ui;
	s->agent_fd = -1;
	if ((s->user = config_result_get_dup(res, "user", 0)) == NULL) {
		free(s);
		return NULL;
	}
	return s;
}

int
login_answer(struct login *s, const char *answer)
{
	int r;

	if (s == NULL)
		return 0;
	if (s->prompt_pending) {
		s->prompt_pending = 0;
		r = transport_auth_answer(s->t, answer);
		return r == ERR_OK ? 1 : -1;
	}
	if (s->ps.active)
		return passphrase_try(s, answer) == ERR_OK ? 1 : -1;
	return 0;
}

void
login_free(struct login *s)
{
	if (s == NULL)
		return;
	/* a decryption still running finishes on its own, for nobody */
	if (s->decrypting != NULL)
		s->decrypting->login = NULL;
	/* and an agent round trip too, closing the agent when it does; it
	 * is cut short (the agent may be waiting for a user who never
	 * answers), so the worker it holds is free again at once */
	if (s->asking != NULL) {
		s->asking->login = NULL;
		if (s->asking->fd != -1)
			(void)shutdown(s->asking->fd, SHUT_RDWR);
	}
	pending_sign_clear(s);
	agent_close(s);
	keys_free(s);
	free(s->user);
	free(s);
}

int
login_on_event(struct login *s, const struct transport_event *ev)
{
	char *answer;
	int r;

	switch (ev->type) {
	case TRANSPORT_EV_READY:
		return keys_setup(s) == ERR_OK ? 1 : -1;
	case TRANSPORT_EV_AUTH_BANNER:
		{
			/* the banner comes as the server wrote it: one say()
			 * per line, without the line ends */
			const char *p = ev->line, *e;

			while (*p != '\0') {
				e = p + strcspn(p, "\r\n");
				login_say(s->ui, "%.*s", (int)(e - p), p);
				p = e + (*e == '\r' && e[1] == '\n' ? 2 : *e != '\0');
			}
		}
		return 1;
	case TRANSPORT_EV_AUTH_SIGN:
		return sign_key(s, ev) == ERR_OK ? 1 : -1;
	case TRANSPORT_EV_AUTH_PROMPT:
		answer = s->batch ? NULL : login_ask(s->ui, ev->line, ev->code);
		if (answer == LOGIN_ASK_PENDING) {
			s->prompt_pending = 1;
			return 1;
		}
		r = transport_auth_answer(s->t, answer);
		if (answer != NULL)
			mem_freezero(answer, strlen(answer));
		return r == ERR_OK ? 1 : -1;
	default:
		return 0;
	}
}
