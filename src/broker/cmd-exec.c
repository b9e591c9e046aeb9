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
};

struct exec_state {
	struct direct *d;
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
		if (s->keys[i].len == len && memcmp(s->keys[i].blob, blob, len) == 0)
			return ERR_OK;  /* offered once, as ssh does */
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

/* "~/" from the password database, as ssh expands IdentityFile. */
static char *
expand_home(const struct exec_state *s, const char *path)
{
	const char *home = s->d->host.home_dir;
	char *out;
	size_t n;

	if (strncmp(path, "~/", 2) != 0)
		return strdup(path);
	n = strlen(home) + strlen(path);
	if ((out = malloc(n + 1)) == NULL)
		return NULL;
	snprintf(out, n + 1, "%s/%s", home, path + 2);
	return out;
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
	for (;;) {
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
	if (!s.closed || s.exit_status < 0)
		return 255;
	return s.exit_status;
}
