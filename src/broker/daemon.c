/*
 * `sshbroker daemon`: one process per user that owns SSH connections and
 * serves sessions on them to local clients over PROTOCOL.mux (see
 * docs/PROTOCOL.md).
 *
 * One event loop runs everything; resolving a destination (which reads
 * files and may run Match exec) runs on a worker.  A pooled connection
 * is a struct direct (src/broker/direct.c: every hop, TCP or ProxyCommand
 * first, then direct-tcpip channels) driven by the loop through
 * direct_want/direct_deadline/direct_step.  A client's session is a
 * channel of that connection whose bytes go to and from the fds the
 * client passed, with flow control both ways: the channel's window opens
 * only as the client's stdout takes the bytes.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "broker/broker.h"
#include "broker/direct.h"
#include "broker/login.h"
#include "broker/mux.h"
#include "broker/settings.h"
#include "broker/sock.h"
#include "broker/socks.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/loop.h"
#include "common/mem.h"
#include "config/config.h"
#include "proxy/proxy.h"
#include "transport/transport.h"

#define IDLE_DEFAULT_MS (10u * 60 * 1000)   /* as ControlPersist 10m */
#define CLIENT_IN_MAX (MUX_FRAME_MAX + 4096)
#define SESSION_IO_CHUNK 65536
/* Resolution (Match exec), key decryption and agent signatures block;
 * the pool grows to this many threads so that one client's slow job
 * (a Match exec, an agent asking its user) does not hold up the rest. */
#define DAEMON_WORKERS_MAX 16

struct daemon;
struct pconn;
struct client;

/* What was said while connecting, for the clients waiting on it. */
struct saylog {
	char **lines;
	size_t n;
};

enum pconn_state { PC_RESOLVING, PC_CONNECTING, PC_READY, PC_DEAD };

struct pconn {
	struct daemon *dm;
	struct pconn *next;
	char *key;
	char *name;             /* the destination as first asked */
	char *chain;            /* jump hops as written */
	struct direct *d;
	struct login_ui ui;
	struct saylog said;
	enum pconn_state state;
	struct loop_fd *fdh;
	int cur_fd;
	unsigned int cur_gen;
	unsigned int cur_events;
	struct loop_timer *deadline_timer;
	struct loop_timer *idle_timer;
	/* the request that made it, to make a sibling when the server
	 * allows no more sessions on this one (sshd's MaxSessions) */
	char **argv;
	size_t argc;
	unsigned int max_sessions;  /* learned from a refusal; 0: unknown */
	/* a question relayed to a client's terminal: which, and its id */
	unsigned int prompt_client;
	uint32_t prompt_id, next_prompt_id;
	/* behind a jump host: the pooled connection to it carries ours in
	 * a direct-tcpip channel (shared by every destination behind it) */
	struct pconn *carrier;
	uint32_t carrier_chan;
	enum { CL_NONE, CL_OPENING, CL_OPEN, CL_GONE } link;
	struct buf *link_in;        /* channel bytes our transport has not taken */
	struct pconn *carried;      /* as a carrier: the connections inside */
	struct pconn *carried_next;
	unsigned int n_carried;
	/* ControlPath: stock ssh's way in, pre-bound to this connection */
	char *control_path;
	int cp_fd;
	struct loop_fd *cp_h;
	uint64_t created_ms, idle_since_ms;
	unsigned int n_sessions;
	unsigned long long sessions_total;
	int refs;               /* sessions, waiters and jobs holding it */
};

enum session_kind { SK_SESSION, SK_STDIO };

/* One fd of a session, and the bytes waiting to go into it. */
struct sfd {
	int fd;
	int orig_flags;
	int unpollable;         /* a file or /dev/null: always ready */
	struct loop_timer *ready;   /* for those: read on the next turn */
	struct loop_fd *h;
	struct buf *out;        /* channel bytes not yet written to fd */
	int closed;
};

struct session {
	struct client *cl;
	struct pconn *pc;
	struct session *next;   /* in the client */
	enum session_kind kind;
	uint32_t id;            /* the mux session id (per client) */
	uint32_t req_id;        /* the request that asked for it */
	uint32_t chan;
	int started;            /* its channel was asked for on pc */
	int opened, closed_remote, eof_sent, exit_status, exit_signal;
	int draining;           /* channel closed, output still to write */
	int eof_received;       /* a forwarded socket: shut its writing side
	                         * once what came before the EOF is written */
	/* EscapeChar in a session with a terminal (-1: none), and where the
	 * input stands: ESC_LINE at the start of a line, ESC_SEEN right
	 * after the escape character there */
	int escape_char;
	enum { ESC_TEXT, ESC_LINE, ESC_SEEN } esc_state;
	int esc_closed;         /* ended by "~.": its status stays 255 */
	struct sfd in, out, err;
	/* the request */
	int want_tty, subsystem;
	char *term, *command, **env;
	size_t n_env;
	char *fwd_host;
	uint32_t fwd_port;
	unsigned int ws_col, ws_row;
	unsigned char inbuf[SESSION_IO_CHUNK];
	size_t in_off, in_len;
};

struct client {
	struct daemon *dm;
	struct client *next;
	unsigned int id;        /* for log lines: "client N" */
	int fd;
	int pid;
	struct loop_fd *h;
	struct buf *in, *out;
	int hello_seen;             /* its HELLO named our extension */
	int hello_got;
	/* fds still to receive after the last frame, and for what */
	unsigned int fds_wanted, fds_got;
	int fds[3];
	struct mux_msg pending;     /* the NEW_SESSION / NEW_STDIO_FWD */
	int have_pending;
	char **select_argv;         /* EXT_SELECT, or NULL */
	size_t select_argc;
	struct pconn *pc;           /* resolved selection */
	char *pc_error;             /* why the selected connection died */
	/* the selection's SendEnv patterns and SetEnv pairs: our own
	 * client sends its environment, the daemon keeps what ssh would */
	char **sendenv, **setenv;
	size_t n_sendenv, n_setenv;
	/* and what ssh would run there: RemoteCommand, RequestTTY and
	 * SessionType, for our own clients' sessions */
	char *remote_command;
	enum { RTTY_NO, RTTY_YES, RTTY_FORCE, RTTY_AUTO } request_tty;
	enum { STYPE_DEFAULT, STYPE_NONE, STYPE_SUBSYSTEM } session_type;
	int escape_char;            /* EscapeChar; -1: none */
	struct session *sessions;
	uint32_t next_session_id;
	int closing;                /* close once out is flushed */
	int waiting;                /* a request waits for resolution */
	/* not a client at all: the holder of a forwarding's connections
	 * (no socket; what it would be sent goes to the log) */
	struct fwd *fwd;
};

/* A SOCKS client of a dynamic forwarding, still saying where to. */
struct socks_wait {
	struct fwd *fl;
	struct socks_wait *next;
	int fd;
	struct loop_fd *h;
	struct loop_timer *timer;
	unsigned char in[1024];
	size_t len;
	int method_sent;
};

/*
 * A forwarding (-L, -D) on one connection: its listening sockets, and a
 * pseudo client whose sessions are the forwarded connections, so that
 * everything a connection does to its clients' sessions (start them when
 * it is ready, end them when it dies) happens to these too.  It lives as
 * long as the connection, or until cancelled (ssh -O cancel).
 */
struct fwd {
	struct daemon *dm;
	struct fwd *next;
	struct pconn *pc;           /* holds a reference */
	struct client *owner;
	int dynamic;
	char *listen_host;          /* as asked; NULL: GatewayPorts decides */
	int listen_port;            /* as asked; 0: the system's pick */
	int bound_port;
	char *connect_host;         /* -L */
	int connect_port;
	char *name;                 /* "-L 8080:host:80" */
	int fds[2];
	struct loop_fd *h[2];
	size_t n_fds;
	struct socks_wait *socks;
	unsigned int n_socks;
	unsigned long long accepted;
	/* -R: the server listens (tcpip-forward) and opens a channel per
	 * connection, which we join to connect_host:connect_port */
	int remote;
	enum { RFWD_UNSENT, RFWD_PENDING, RFWD_ACTIVE } rstate;
	uint32_t greq_id;
	unsigned int notify_client;     /* told how the request went */
	int notify_reply;               /* by a reply to notify_id (0: by
	                                 * a message; ids may be 0) */
	uint32_t notify_id;
	struct rconnect *rconns;
};

/* A connection the server forwards to us (-R), while we connect to its
 * local end. */
struct rconnect {
	struct fwd *fl;
	struct rconnect *next;
	uint32_t chan;
	struct proxy_tcp *tcp;
	int fd;                     /* the one polled now (owned by tcp) */
	struct loop_fd *h;
	struct loop_timer *timer;
};

struct daemon {
	struct loop *loop;
	struct workq *wq;
	int listen_fd, lock_fd;
	struct loop_fd *listen_h;
	char path[108];
	struct pconn *conns;
	struct client *clients;
	struct fwd *fwds;
	unsigned int next_client;
	uint64_t idle_ms;
	uint64_t started_ms;
	int stopping;
	/* the settings file; earlier ones stay until exit, since a worker
	 * may still read them when SIGHUP swaps in a new one */
	struct settings *settings;
	struct settings **old_settings;
	size_t n_old_settings;
	int idle_from_env;
	/* bumped whenever bytes cross between a connection and its carrier:
	 * the turn's work is not done until it stays still */
	unsigned long long moved;
};

static void client_close(struct client *cl);
static int client_send(struct client *cl, const struct mux_msg *m);
static void pconn_fail(struct pconn *pc, const char *why);
static void client_update(struct client *cl);
static void session_free(struct session *s, int tell_client);
static void pconn_release(struct pconn *pc);
static void pconn_refresh(struct pconn *pc);
static void pconn_stop_listening(struct pconn *pc);
static int carrier_event(struct pconn *c, const struct transport_event *ev);
static void carrier_open_link(struct pconn *pc);
static void carrier_detach(struct pconn *pc);
static void carrier_pump(struct pconn *pc);
static void pconn_listen_control_path(struct pconn *pc);
static void pconn_listen_control_path_at(struct pconn *pc, char *path);
static int fwd_open_all(struct client *cl, struct pconn *pc,
    const struct config_result *res);
static void fwd_free(struct fwd *fl);
static void status_forwards(struct daemon *dm, const struct pconn *pc,
    struct buf *b, int yaml);
static void fwd_remote_ready(struct pconn *pc);
static void fwd_remote_reply(struct pconn *pc,
    const struct transport_event *ev);
static void fwd_remote_incoming(struct pconn *pc,
    const struct transport_event *ev);
static void rconnect_free(struct rconnect *rc, const char *why);
static struct client *client_by_id(struct daemon *dm, unsigned int id);

/* ------------------------------------------------------------ logging */

static void
dlog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
dlog(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	time_t now = time(NULL);
	struct tm tm;
	char ts[32];

	va_start(ap, fmt);
	(void)vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	localtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S", &tm);
	fprintf(stderr, "%s sshbroker[%d]: %s\n", ts, (int)getpid(), line);
}

static void
saylog_add(struct saylog *s, const char *line)
{
	char **n;

	if (s->n >= 64)
		return;
	if ((n = realloc(s->lines, (s->n + 1) * sizeof(*n))) == NULL)
		return;
	s->lines = n;
	if ((s->lines[s->n] = strdup(line)) != NULL)
		s->n++;
}

static void
saylog_clear(struct saylog *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->lines[i]);
	free(s->lines);
	s->lines = NULL;
	s->n = 0;
}

/* The ui of a pooled connection: what it says is logged and kept for
 * the clients waiting on it; nobody can answer a question yet (the
 * relay to the client's terminal is to come), so a key that needs a
 * passphrase or a server that wants a password fails as under
 * BatchMode. */
static void
pconn_say(void *ctx, const char *line)
{
	struct pconn *pc = ctx;

	/* lines of direct.c already name the host */
	if (strncmp(line, "sshbroker: ", 11) == 0)
		dlog("%s", line + 11);
	else
		dlog("%s: %s", pc->name != NULL ? pc->name : "?", line);
	saylog_add(&pc->said, line);
}

/* Blocking work of pc's login (decrypting a key) on the worker; pc is
 * held until it is done, and refreshed then (the signature is output). */
struct blocking_job {
	struct pconn *pc;
	void (*work)(void *arg);
	void (*done)(void *arg, int cancelled);
	void *arg;
};

static void
blocking_work(void *ctx)
{
	struct blocking_job *b = ctx;

	b->work(b->arg);
}

static void
blocking_done(void *ctx, int cancelled)
{
	struct blocking_job *b = ctx;
	struct pconn *pc = b->pc;

	b->done(b->arg, cancelled);
	if (pc->state != PC_DEAD)
		pconn_refresh(pc);
	pconn_release(pc);
	free(b);
}

/* A ProxyCommand whose connection ended: given its grace on a worker
 * (a command that ignores SIGTERM would otherwise hold the loop). */
static void
child_end_work(void *ctx)
{
	proxy_child_kill_free(ctx, DIRECT_CHILD_GRACE_MS);
}

static void
child_end_done(void *ctx, int cancelled)
{
	/* the daemon is stopping: no grace left to give */
	if (cancelled)
		proxy_child_kill_free(ctx, 0);
}

static void
dispose_child(void *ctx, struct proxy_child *c)
{
	struct daemon *dm = ctx;

	if (dm->wq == NULL ||
	    workq_submit(dm->wq, child_end_work, child_end_done, c) != ERR_OK)
		proxy_child_kill_free(c, 0);
}

static int
pconn_run_blocking(void *ctx, void (*work)(void *arg),
    void (*done)(void *arg, int cancelled), void *arg)
{
	struct pconn *pc = ctx;
	struct blocking_job *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return ERR_NOMEM;
	b->pc = pc;
	b->work = work;
	b->done = done;
	b->arg = arg;
	pc->refs++;
	if (workq_submit(pc->dm->wq, blocking_work, blocking_done, b) !=
	    ERR_OK) {
		pc->refs--;
		free(b);
		return ERR_NOMEM;
	}
	return ERR_OK;
}

/* A client that can answer for pc: ours (it knows EXT_PROMPT), waiting
 * on pc or with a session waiting for it. */
static struct client *
pconn_asker(struct pconn *pc)
{
	struct client *cl;
	struct session *s;

	for (cl = pc->dm->clients; cl != NULL; cl = cl->next) {
		if (!cl->hello_seen || cl->closing)
			continue;
		if (cl->pc == pc)
			return cl;
		for (s = cl->sessions; s != NULL; s = s->next)
			if (s->pc == pc)
				return cl;
	}
	return NULL;
}

/*
 * A question of pc's login or host key check goes to the terminal of a
 * client that waits for pc; the answer comes back as EXT_ANSWER and
 * reaches the transport through direct_answer().  Nobody to ask (stock
 * ssh clients, a client without a terminal answers "not given"): NULL,
 * and the login goes on as under BatchMode.
 */
static char *
pconn_ask(void *ctx, const char *prompt, int echo)
{
	struct pconn *pc = ctx;
	struct client *cl;
	struct mux_msg m;

	if (pc->prompt_client != 0 || (cl = pconn_asker(pc)) == NULL)
		return NULL;
	memset(&m, 0, sizeof(m));
	m.type = MUX_S_EXT_PROMPT;
	m.id = ++pc->next_prompt_id;
	m.prompt = prompt;
	m.echo = echo ? 1 : 0;
	if (client_send(cl, &m) != ERR_OK)
		return NULL;
	pc->prompt_client = cl->id;
	pc->prompt_id = m.id;
	return LOGIN_ASK_PENDING;
}

/* The answer (NULL: none) to pc's relayed question. */
static void
pconn_answer(struct pconn *pc, const char *answer)
{
	pc->prompt_client = 0;
	pc->refs++;
	if (pc->d != NULL && direct_answer(pc->d, answer) < 0)
		pconn_fail(pc, NULL);
	else
		pconn_refresh(pc);
	pconn_release(pc);
}

static void
argv_free(char **argv, size_t argc)
{
	size_t i;

	if (argv == NULL)
		return;
	for (i = 0; i < argc; i++)
		free(argv[i]);
	free(argv);
}

/* The settings that apply to a destination as the user wrote it. */
static void
dest_settings(const struct daemon *dm, const char *destination,
    struct settings_for *f)
{
	(void)settings_lookup(dm->settings, destination, f);
	if (dm->idle_from_env)
		f->idle_ms = dm->idle_ms;
}

static void
keepalive_default(void *ctx, const char *destination, uint32_t *interval,
    uint32_t *count)
{
	struct settings_for f;

	dest_settings(ctx, destination, &f);
	*interval = f.keepalive_s;
	*count = f.keepalive_count;
}

/* ------------------------------------------------------------ clients */

static int
client_send(struct client *cl, const struct mux_msg *m)
{
	if (cl->fwd != NULL) {
		/* a forwarded connection has nobody to tell but the log */
		if (m->type == MUX_S_FAILURE || m->type == MUX_S_EXT_MESSAGE)
			dlog("forwarding %s: %s", cl->fwd->name,
			    m->type == MUX_S_FAILURE ? m->reason : m->text);
		return ERR_OK;
	}
	if (cl->closing)
		return ERR_OK;
	if (mux_encode(cl->out, m) != ERR_OK) {
		dlog("client %u: cannot encode %s", cl->id,
		    mux_type_name(m->type));
		cl->closing = 1;
		return ERR_INTERNAL;
	}
	client_update(cl);
	return ERR_OK;
}

static void
client_fail(struct client *cl, uint32_t id, const char *reason)
{
	struct mux_msg m;

	memset(&m, 0, sizeof(m));
	m.type = MUX_S_FAILURE;
	m.id = id;
	m.reason = reason;
	(void)client_send(cl, &m);
}

static void
client_ok(struct client *cl, uint32_t id)
{
	struct mux_msg m;

	memset(&m, 0, sizeof(m));
	m.type = MUX_S_OK;
	m.id = id;
	(void)client_send(cl, &m);
}

/* A diagnostic line for the client's stderr.  Only our own clients
 * know EXT_MESSAGE: a stock ssh ends with 255 on any message it does
 * not expect, so for it the line goes to the log alone. */
static void
client_message(struct client *cl, const char *text)
{
	struct mux_msg m;

	if (!cl->hello_seen) {
		dlog("client %u: %s", cl->id, text);
		return;
	}
	memset(&m, 0, sizeof(m));
	m.type = MUX_S_EXT_MESSAGE;
	m.text = text;
	(void)client_send(cl, &m);
}

static void
client_text(struct client *cl, uint32_t type, uint32_t id, const char *text)
{
	struct mux_msg m;

	memset(&m, 0, sizeof(m));
	m.type = type;
	m.id = id;
	m.text = text;
	(void)client_send(cl, &m);
}

/* The lines a connection said, joined, as a failure reason. */
static char *
said_text(const struct saylog *s, const char *fallback)
{
	struct buf *b = buf_new(0);
	char *t = NULL;
	size_t i;

	for (i = 0; b != NULL && i < s->n; i++)
		(void)buf_putf(b, "%s%s", i > 0 ? "\n" : "", s->lines[i]);
	if (b != NULL && buf_len(b) == 0)
		(void)buf_put_cstr(b, fallback);
	if (b != NULL)
		t = buf_dup_cstr(b);
	buf_free(b);
	return t;
}

/* ------------------------------------------------------------ sessions */

static void
sfd_init(struct sfd *f)
{
	memset(f, 0, sizeof(*f));
	f->fd = -1;
}

static void
sfd_close(struct sfd *f)
{
	loop_timer_cancel(&f->ready);
	if (f->h != NULL)
		loop_fd_del(f->h);
	f->h = NULL;
	if (f->fd != -1) {
		/* the fd is shared with the client's terminal or pipe: give it
		 * back the way it came (OpenSSH restores blocking mode too) */
		if (f->orig_flags != -1)
			(void)fcntl(f->fd, F_SETFL, f->orig_flags);
		close(f->fd);
	}
	buf_free(f->out);
	f->out = NULL;
	f->fd = -1;
	f->closed = 1;
}

static int
sfd_adopt(struct sfd *f, int fd)
{
	f->fd = fd;
	f->orig_flags = fcntl(fd, F_GETFL);
	if (f->orig_flags != -1 && !(f->orig_flags & O_NONBLOCK))
		(void)fcntl(fd, F_SETFL, f->orig_flags | O_NONBLOCK);
	else if (f->orig_flags != -1)
		f->orig_flags = -1;     /* nothing to restore */
	return 0;
}

static void session_pump(struct session *s);

static void sfd_want(struct session *s, struct sfd *f, unsigned int events);

/*
 * EscapeChar, as ssh reads it from a terminal, on the n bytes just read
 * to inbuf + 1: at the start of a line, "~." ends the session, "~~"
 * sends one "~", "~?" lists these; "~" before anything else goes out as
 * it came.  Leaves what goes to the channel at inbuf[0..], returns its
 * length, or -1 when the session is closing.
 */
static ssize_t
session_escapes(struct session *s, size_t n)
{
	const unsigned char *in = s->inbuf + 1;
	unsigned char *out = s->inbuf, c;
	size_t i, o = 0;
	char line[160];

	for (i = 0; i < n; i++) {
		c = in[i];
		if (s->esc_state == ESC_SEEN) {
			s->esc_state = ESC_TEXT;
			if (c == '.') {
				/* named as the client asked for it; the pooled
				 * transport may carry another alias */
				snprintf(line, sizeof(line), "Connection to %s "
				    "closed.", s->cl->select_argv != NULL &&
				    s->cl->select_argc > 0 ?
				    s->cl->select_argv[s->cl->select_argc - 1] :
				    s->pc->name);
				client_message(s->cl, line);
				s->exit_status = 255;
				s->esc_closed = 1;
				if (s->opened && !s->closed_remote)
					(void)channel_close(s->pc->d->t,
					    s->chan);
				sfd_want(s, &s->in, 0);
				return -1;
			}
			if (c == '?') {
				snprintf(line, sizeof(line), "Supported escape "
				    "sequences: %c. end the session, %c? this "
				    "help, %c%c send the escape character",
				    s->escape_char, s->escape_char,
				    s->escape_char, s->escape_char);
				client_message(s->cl, line);
				s->esc_state = ESC_LINE;
				continue;
			}
			if (c != (unsigned char)s->escape_char)
				out[o++] = (unsigned char)s->escape_char;
			out[o++] = c;
		} else if (s->esc_state == ESC_LINE &&
		    c == (unsigned char)s->escape_char) {
			s->esc_state = ESC_SEEN;
			continue;
		} else
			out[o++] = c;
		s->esc_state = c == '\r' || c == '\n' ? ESC_LINE : ESC_TEXT;
	}
	return (ssize_t)o;
}

static void
session_in_cb(void *ctx, unsigned int events)
{
	struct session *s = ctx;
	ssize_t n;

	(void)events;
	if (s->in_len == 0) {
		/* with an escape character one byte stays free in front:
		 * an escape held from the last read may come out as two */
		if (s->escape_char >= 0)
			n = read(s->in.fd, s->inbuf + 1, sizeof(s->inbuf) - 1);
		else
			n = read(s->in.fd, s->inbuf, sizeof(s->inbuf));
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n > 0 && s->escape_char >= 0 &&
		    (n = session_escapes(s, (size_t)n)) < 0)
			return;     /* ~. : the session is closing */
		if (n <= 0) {
			/* end of the client's input: EOF on the channel */
			loop_fd_del(s->in.h);
			s->in.h = NULL;
			s->in.closed = 1;
			if (s->opened && !s->eof_sent && !s->closed_remote) {
				(void)channel_eof(s->pc->d->t, s->chan);
				s->eof_sent = 1;
			}
			return;
		}
		s->in_off = 0;
		s->in_len = (size_t)n;
	}
	session_pump(s);
}

/* Writes what waits for f; the channel's window reopens by as much. */
static void
sfd_flush(struct session *s, struct sfd *f)
{
	ssize_t n;

	while (f->out != NULL && buf_len(f->out) > 0 && f->fd != -1) {
		n = write(f->fd, buf_ptr(f->out), buf_len(f->out));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			/* the reader went away: drop what it would have read
			 * and let the remote side go on */
			if (s->opened && !s->closed_remote)
				(void)channel_consumed(s->pc->d->t, s->chan,
				    buf_len(f->out));
			buf_reset(f->out);
			break;
		}
		(void)buf_consume(f->out, (size_t)n);
		if (s->opened && !s->closed_remote)
			(void)channel_consumed(s->pc->d->t, s->chan, (size_t)n);
	}
	/* the far end finished writing: so does the forwarded socket, as
	 * ssh does, once everything before the EOF is out */
	if (s->eof_received == 1 && f == &s->out && f->fd != -1 &&
	    (f->out == NULL || buf_len(f->out) == 0)) {
		(void)shutdown(f->fd, SHUT_WR);
		s->eof_received = 2;
	}
}

static int
session_unwritten(struct session *s)
{
	return (s->out.fd != -1 && s->out.out != NULL && buf_len(s->out.out) > 0) ||
	    (s->err.fd != -1 && s->err.out != NULL && buf_len(s->err.out) > 0);
}

static void
session_out_cb(void *ctx, unsigned int events)
{
	struct session *s = ctx;

	(void)events;
	sfd_flush(s, &s->out);
	sfd_flush(s, &s->err);
	if (s->draining) {
		if (!session_unwritten(s))
			session_free(s, 1);
		else {
			sfd_want(s, &s->out, s->out.out != NULL &&
			    buf_len(s->out.out) > 0 ? LOOP_OUT : 0);
			if (s->err.fd != s->out.fd)
				sfd_want(s, &s->err, s->err.out != NULL &&
				    buf_len(s->err.out) > 0 ? LOOP_OUT : 0);
		}
		return;
	}
	session_pump(s);
}

static void
sfd_ready_cb(void *ctx)
{
	struct session *s = ctx;

	session_in_cb(s, LOOP_IN);
}

static void
sfd_want(struct session *s, struct sfd *f, unsigned int events)
{
	if (f->fd == -1 || f->closed)
		return;
	if (f->unpollable) {
		/* epoll refuses files; they never block, so they are read
		 * (written files need no waiting at all) on the next turn */
		if (f == &s->in && (events & LOOP_IN) && f->ready == NULL)
			(void)loop_timer_add(s->pc->dm->loop,
			    loop_now_ms(s->pc->dm->loop), sfd_ready_cb, s,
			    &f->ready);
		return;
	}
	if (f->h == NULL) {
		if (events == 0)
			return;
		if (loop_fd_add(s->pc->dm->loop, f->fd, events,
		    f == &s->in ? session_in_cb : session_out_cb, s, &f->h) !=
		    ERR_OK) {
			f->h = NULL;
			if (errno == EPERM) {
				f->unpollable = 1;
				sfd_want(s, f, events);
			}
		}
		return;
	}
	(void)loop_fd_set_events(f->h, events);
}

/* Moves input into the channel and sets what each fd waits for. */
static void
session_pump(struct session *s)
{
	size_t w;

	if (!s->opened || s->closed_remote)
		return;
	if (s->in_len > 0 && channel_write(s->pc->d->t, s->chan,
	    s->inbuf + s->in_off, s->in_len, &w) == ERR_OK) {
		s->in_off += w;
		s->in_len -= w;
	}
	sfd_want(s, &s->in, s->in_len == 0 && !s->eof_sent &&
	    channel_writable(s->pc->d->t, s->chan) > 0 ? LOOP_IN : 0);
	sfd_want(s, &s->out, s->out.out != NULL && buf_len(s->out.out) > 0 ?
	    LOOP_OUT : 0);
	if (s->err.fd != s->out.fd)
		sfd_want(s, &s->err, s->err.out != NULL &&
		    buf_len(s->err.out) > 0 ? LOOP_OUT : 0);
}

/* Channel bytes for f: written now if it takes them, else kept (the
 * window stays shut by that much until they are written). */
static int
session_deliver(struct session *s, struct sfd *f, const unsigned char *p,
    size_t len)
{
	ssize_t n = 0;

	if (f->fd == -1) {
		(void)channel_consumed(s->pc->d->t, s->chan, len);
		return 0;
	}
	if (f->out == NULL || buf_len(f->out) == 0) {
		do {
			n = write(f->fd, p, len);
		} while (n < 0 && errno == EINTR);
		if (n < 0 && errno != EAGAIN)
			n = (ssize_t)len;       /* reader gone: drop */
		if (n < 0)
			n = 0;
		if (n > 0)
			(void)channel_consumed(s->pc->d->t, s->chan, (size_t)n);
	}
	if ((size_t)n < len) {
		if (f->out == NULL && (f->out = buf_new(0)) == NULL)
			return -1;
		if (buf_put(f->out, p + n, len - (size_t)n) != ERR_OK)
			return -1;
	}
	return 0;
}

static int
put_modes(struct session *s, struct buf *f)
{
	struct termios tio;
	struct buf *modes = buf_new(0);
	int r = ERR_NOMEM;

	if (modes == NULL)
		return ERR_NOMEM;
	/* the client's terminal settings, read from the fd it passed; the
	 * few that matter most, as RFC 4254 section 8 encodes them */
	if (tcgetattr(s->in.fd, &tio) == 0) {
		static const struct { unsigned char op; tcflag_t flag; int which; }
		    flags[] = {
			{ 30, IGNPAR, 0 }, { 31, PARMRK, 0 }, { 32, INPCK, 0 },
			{ 33, ISTRIP, 0 }, { 34, INLCR, 0 }, { 35, IGNCR, 0 },
			{ 36, ICRNL, 0 }, { 38, IXON, 0 }, { 39, IXANY, 0 },
			{ 40, IXOFF, 0 }, { 50, ISIG, 1 }, { 51, ICANON, 1 },
			{ 53, ECHO, 1 }, { 54, ECHOE, 1 }, { 55, ECHOK, 1 },
			{ 56, ECHONL, 1 }, { 57, NOFLSH, 1 }, { 58, TOSTOP, 1 },
			{ 59, IEXTEN, 1 }, { 70, OPOST, 2 }, { 72, ONLCR, 2 },
		};
		size_t i;

		for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
			tcflag_t v = flags[i].which == 0 ? tio.c_iflag :
			    flags[i].which == 1 ? tio.c_lflag : tio.c_oflag;

			(void)buf_put_u8(modes, flags[i].op);
			(void)buf_put_u32(modes, (v & flags[i].flag) ? 1 : 0);
		}
		(void)buf_put_u8(modes, 1);     /* VINTR */
		(void)buf_put_u32(modes, tio.c_cc[VINTR]);
		(void)buf_put_u8(modes, 3);     /* VERASE */
		(void)buf_put_u32(modes, tio.c_cc[VERASE]);
	}
	(void)buf_put_u8(modes, 0);
	r = buf_put_stringb(f, modes);
	buf_free(modes);
	return r;
}

static void
window_size(struct session *s, unsigned int *col, unsigned int *row,
    unsigned int *x, unsigned int *y)
{
	struct winsize ws;

	*col = 80;
	*row = 24;
	*x = *y = 0;
	if (ioctl(s->in.fd, TIOCGWINSZ, &ws) == 0) {
		*col = ws.ws_col;
		*row = ws.ws_row;
		*x = ws.ws_xpixel;
		*y = ws.ws_ypixel;
	}
}

static int
session_requests(struct session *s)
{
	struct transport *t = s->pc->d->t;
	struct buf *f = buf_new(0);
	unsigned int col, row, x, y;
	size_t i;
	int r = ERR_OK;

	if (f == NULL)
		return ERR_NOMEM;
	if (s->want_tty) {
		window_size(s, &col, &row, &x, &y);
		s->ws_col = col;
		s->ws_row = row;
		(void)buf_put_cstring(f, s->term != NULL && *s->term != '\0' ?
		    s->term : "vt100");
		(void)buf_put_u32(f, col);
		(void)buf_put_u32(f, row);
		(void)buf_put_u32(f, x);
		(void)buf_put_u32(f, y);
		if ((r = put_modes(s, f)) == ERR_OK)
			r = channel_request(t, s->chan, "pty-req", 0, buf_ptr(f),
			    buf_len(f));
		buf_reset(f);
	}
	for (i = 0; r == ERR_OK && i < s->n_env; i++) {
		const char *eq = strchr(s->env[i], '=');

		if (eq == NULL)
			continue;
		(void)buf_put_string(f, s->env[i], (size_t)(eq - s->env[i]));
		(void)buf_put_cstring(f, eq + 1);
		r = channel_request(t, s->chan, "env", 0, buf_ptr(f),
		    buf_len(f));
		buf_reset(f);
	}
	if (r == ERR_OK) {
		if (s->subsystem) {
			(void)buf_put_cstring(f, s->command);
			r = channel_request(t, s->chan, "subsystem", 1,
			    buf_ptr(f), buf_len(f));
		} else if (s->command != NULL && *s->command != '\0')
			r = channel_request_exec(t, s->chan, s->command);
		else
			r = channel_request(t, s->chan, "shell", 1, NULL, 0);
	}
	buf_free(f);
	return r;
}

/* SIGWINCH: a client's terminal may have changed size (stock ssh
 * clients relay their SIGWINCH to the pid the alive check gave them). */
static void
session_check_winsize(struct session *s)
{
	unsigned int col, row, x, y;
	struct buf *f;

	if (!s->want_tty || !s->opened || s->closed_remote)
		return;
	window_size(s, &col, &row, &x, &y);
	if (col == s->ws_col && row == s->ws_row)
		return;
	s->ws_col = col;
	s->ws_row = row;
	if ((f = buf_new(0)) == NULL)
		return;
	(void)buf_put_u32(f, col);
	(void)buf_put_u32(f, row);
	(void)buf_put_u32(f, x);
	(void)buf_put_u32(f, y);
	(void)channel_request(s->pc->d->t, s->chan, "window-change", 0,
	    buf_ptr(f), buf_len(f));
	buf_free(f);
}

/* The connection is ready: open the session's channel. */
static int
session_start(struct session *s)
{
	struct transport *t = s->pc->d->t;
	int r;

	if (s->kind == SK_STDIO)
		r = channel_open_direct_tcpip(t, s->fwd_host, s->fwd_port,
		    "127.0.0.1", 65535, &s->chan);
	else
		r = channel_open_session(t, &s->chan);
	if (r != ERR_OK)
		return r;
	s->started = 1;
	s->pc->n_sessions++;
	s->pc->sessions_total++;
	loop_timer_cancel(&s->pc->idle_timer);
	return ERR_OK;
}

static void
session_exit_message(struct session *s)
{
	struct mux_msg m;

	memset(&m, 0, sizeof(m));
	m.type = MUX_S_EXIT_MESSAGE;
	m.session_id = s->id;
	m.exit_status = (uint32_t)(s->exit_status >= 0 ? s->exit_status : 255);
	(void)client_send(s->cl, &m);
}

static int start_retry(struct session *s);

static struct session *
pconn_find_session(struct pconn *pc, uint32_t chan)
{
	struct client *cl;
	struct session *s;

	for (cl = pc->dm->clients; cl != NULL; cl = cl->next) {
		for (s = cl->sessions; s != NULL; s = s->next) {
			if (s->pc == pc && !s->closed_remote && s->chan == chan &&
			    s->pc->n_sessions > 0 && s->id != 0)
				return s;
		}
	}
	return NULL;
}

/* A channel event for one of the connection's sessions. */
static int
session_event(struct session *s, const struct transport_event *ev)
{
	struct mux_msg m;

	switch (ev->type) {
	case TRANSPORT_EV_CHANNEL_OPEN:
		s->opened = 1;
		if (s->kind == SK_SESSION && session_requests(s) != ERR_OK)
			return -1;
		if (s->want_tty && s->cl->hello_seen) {
			/* our client puts its terminal in raw mode on this */
			memset(&m, 0, sizeof(m));
			m.type = MUX_S_EXT_TTY;
			m.id = s->req_id;
			m.session_id = s->id;
			(void)client_send(s->cl, &m);
		}
		memset(&m, 0, sizeof(m));
		m.type = MUX_S_SESSION_OPENED;
		m.id = s->req_id;
		m.session_id = s->id;
		(void)client_send(s->cl, &m);
		session_pump(s);
		return 0;
	case TRANSPORT_EV_CHANNEL_OPEN_FAILED: {
		char reason[512];

		/* sshd's MaxSessions (it answers "open failed" with reason
		 * 2, others say administratively prohibited or resource
		 * shortage) while other sessions live on this transport:
		 * another transport to the same place */
		if (ev->code >= 1 && ev->code <= 4 && s->kind == SK_SESSION &&
		    s->pc->n_sessions > 1 && s->pc->argv != NULL) {
			s->started = 0;
			s->pc->n_sessions--;
			s->pc->max_sessions = s->pc->n_sessions;
			dlog("%s: the server takes no more sessions on this "
			    "transport (%u open): opening another", s->pc->name,
			    s->pc->n_sessions);
			if (start_retry(s) == ERR_OK)
				return 0;
			s->pc->n_sessions++;
			s->started = 1;
		}
		snprintf(reason, sizeof(reason), "channel refused: %s",
		    ev->line);
		dlog("%s: channel refused (reason %d, %u sessions open): %s",
		    s->pc->name, ev->code, s->pc->n_sessions, ev->line);
		client_fail(s->cl, s->req_id, reason);
		s->exit_status = 255;
		s->closed_remote = 1;
		session_free(s, 1);
		return 0;
	}
	case TRANSPORT_EV_CHANNEL_REQUEST_REPLY:
		if (!ev->code) {
			client_message(s->cl, s->subsystem ?
			    "sshbroker: the server refused the subsystem" :
			    "sshbroker: the server refused to run the command");
			(void)channel_close(s->pc->d->t, s->chan);
		}
		return 0;
	case TRANSPORT_EV_CHANNEL_DATA:
		return session_deliver(s, &s->out, ev->packet, ev->packet_len) ==
		    0 ? (session_pump(s), 0) : -1;
	case TRANSPORT_EV_CHANNEL_EXT_DATA:
		return session_deliver(s, &s->err, ev->packet, ev->packet_len) ==
		    0 ? (session_pump(s), 0) : -1;
	case TRANSPORT_EV_CHANNEL_WRITABLE:
		session_pump(s);
		return 0;
	case TRANSPORT_EV_CHANNEL_EXIT_STATUS:
		if (!s->esc_closed)
			s->exit_status = ev->code;
		return 0;
	case TRANSPORT_EV_CHANNEL_EXIT_SIGNAL:
		s->exit_status = 255;
		s->exit_signal = 1;
		return 0;
	case TRANSPORT_EV_CHANNEL_EOF:
		if (s->cl->fwd != NULL && s->eof_received == 0) {
			s->eof_received = 1;
			sfd_flush(s, &s->out);
		}
		return 0;
	case TRANSPORT_EV_CHANNEL_CLOSED:
		s->closed_remote = 1;
		/* what the remote side sent still reaches the client */
		sfd_flush(s, &s->out);
		sfd_flush(s, &s->err);
		if (s->kind == SK_STDIO && s->exit_status < 0)
			s->exit_status = 0;
		if (session_unwritten(s)) {
			s->draining = 1;
			sfd_want(s, &s->in, 0);
			sfd_want(s, &s->out, LOOP_OUT);
			if (s->err.fd != s->out.fd)
				sfd_want(s, &s->err, LOOP_OUT);
			return 0;
		}
		session_free(s, 1);
		return 0;
	default:
		return 0;
	}
}

/* Frees s; with tell_client, the client gets its exit message. */
static void
session_free(struct session *s, int tell_client)
{
	struct client *cl = s->cl;
	struct session **pp;

	for (pp = &cl->sessions; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	}
	/* a stdio forward ends by closing the control connection: stock
	 * ssh -W takes an exit message there for an error */
	if (tell_client && s->kind == SK_STDIO && cl->fwd == NULL)
		cl->closing = 1;
	else if (tell_client)
		session_exit_message(s);
	if (s->opened && !s->closed_remote && s->pc->state == PC_READY)
		(void)channel_close(s->pc->d->t, s->chan);
	if (s->started && s->pc->n_sessions > 0)
		s->pc->n_sessions--;
	if (s->err.fd == s->out.fd)
		s->err.fd = -1;
	sfd_close(&s->in);
	sfd_close(&s->out);
	sfd_close(&s->err);
	free(s->term);
	free(s->command);
	if (s->env != NULL) {
		size_t i;

		for (i = 0; i < s->n_env; i++)
			free(s->env[i]);
		free(s->env);
	}
	free(s->fwd_host);
	pconn_release(s->pc);
	free(s);
	/* a stock ssh client's control connection carries one session:
	 * after the exit message it is done */
	if (tell_client && cl->sessions == NULL && !cl->hello_seen)
		cl->closing = 1;
	client_update(cl);
}

/* ------------------------------------------------------------ pool */

static void
pconn_free(struct pconn *pc)
{
	struct pconn **pp;

	for (pp = &pc->dm->conns; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == pc) {
			*pp = pc->next;
			break;
		}
	}
	if (pc->fdh != NULL)
		loop_fd_del(pc->fdh);
	loop_timer_cancel(&pc->deadline_timer);
	loop_timer_cancel(&pc->idle_timer);
	if (pc->d != NULL) {
		direct_close(pc->d);
		free(pc->d);
	}
	pconn_stop_listening(pc);
	saylog_clear(&pc->said);
	argv_free(pc->argv, pc->argc);
	free(pc->key);
	free(pc->control_path);
	free(pc->name);
	free(pc->chain);
	free(pc);
}

static void
pconn_release(struct pconn *pc)
{
	if (pc == NULL)
		return;
	if (--pc->refs > 0)
		return;
	if (pc->state == PC_DEAD)
		pconn_free(pc);
}

static void pconn_fail(struct pconn *pc, const char *why);

static void
pconn_idle_cb(void *ctx)
{
	struct pconn *pc = ctx;

	dlog("%s: idle, closing", pc->name);
	pconn_fail(pc, "closed after being idle");
}

/* Every client waiting on pc (selected it, no session yet, or with a
 * session not yet opened) learns the outcome. */
static void
pconn_wake(struct pconn *pc)
{
	struct client *cl;
	struct session *s, *next;

	for (cl = pc->dm->clients; cl != NULL; cl = cl->next) {
		for (s = cl->sessions; s != NULL; s = next) {
			next = s->next;
			if (s->pc != pc || s->opened || s->closed_remote)
				continue;
			if (pc->state == PC_READY) {
				if (session_start(s) != ERR_OK) {
					client_fail(cl, s->req_id,
					    "cannot open a channel");
					session_free(s, 1);
				}
			} else if (pc->state == PC_DEAD) {
				char *why = said_text(&pc->said,
				    "connection failed");

				client_fail(cl, s->req_id, why);
				free(why);
				s->exit_status = 255;
				s->closed_remote = 1;
				session_free(s, 1);
			}
		}
		if (cl->pc == pc && cl->waiting) {
			cl->waiting = 0;
			if (pc->state == PC_READY)
				client_ok(cl, cl->pending.id);
			else if (pc->state == PC_DEAD) {
				char *why = said_text(&pc->said,
				    "connection failed");

				client_fail(cl, cl->pending.id, why);
				free(why);
			}
		}
	}
}

/* pc is dead: every session on it ends with 255 and a message. */
static void
pconn_fail(struct pconn *pc, const char *why)
{
	struct client *cl;
	struct session *s, *next;

	if (pc->state == PC_DEAD)
		return;
	pc->state = PC_DEAD;
	if (why != NULL)
		saylog_add(&pc->said, why);
	pc->refs++;
	pconn_wake(pc);
	/* what rode inside it dies with it, saying where it broke */
	while (pc->carried != NULL) {
		struct pconn *in = pc->carried;
		char msg[512];

		snprintf(msg, sizeof(msg), "sshbroker: jump host %s: %s",
		    pc->name, why != NULL ? why : "connection lost");
		in->link = CL_GONE;
		pconn_fail(in, msg);
		if (pc->carried == in)
			carrier_detach(in);
	}
	carrier_detach(pc);
	for (cl = pc->dm->clients; cl != NULL; cl = cl->next) {
		for (s = cl->sessions; s != NULL; s = next) {
			next = s->next;
			/* a session whose channel is closed only writes out
			 * what it holds: it keeps its own status */
			if (s->pc != pc || s->draining)
				continue;
			if (why != NULL && s->opened)
				client_message(cl, why);
			s->exit_status = 255;
			s->closed_remote = 1;
			session_free(s, 1);
		}
		if (cl->pc == pc) {
			/* a session asked for later learns why */
			free(cl->pc_error);
			cl->pc_error = said_text(&pc->said, "connection lost");
			cl->pc = NULL;
			pconn_release(pc);
		}
	}
	/* its forwardings stop listening: nothing is left to carry them */
	{
		struct fwd *fl, *fnext;

		for (fl = pc->dm->fwds; fl != NULL; fl = fnext) {
			fnext = fl->next;
			if (fl->pc == pc)
				fwd_free(fl);
		}
	}
	if (pc->fdh != NULL) {
		loop_fd_del(pc->fdh);
		pc->fdh = NULL;
	}
	pconn_stop_listening(pc);
	loop_timer_cancel(&pc->deadline_timer);
	loop_timer_cancel(&pc->idle_timer);
	/* out of the pool now: the next request connects anew */
	{
		struct pconn **pp;

		for (pp = &pc->dm->conns; *pp != NULL; pp = &(*pp)->next) {
			if (*pp == pc) {
				*pp = pc->next;
				pc->next = NULL;
				break;
			}
		}
	}
	if (pc->d != NULL) {
		direct_close(pc->d);
		free(pc->d);
		pc->d = NULL;
	}
	pc->refs--;
	if (pc->refs <= 0) {
		argv_free(pc->argv, pc->argc);
		free(pc->key);
		free(pc->control_path);
		saylog_clear(&pc->said);
		free(pc->name);
		free(pc->chain);
		free(pc);
	}
}

static int
pconn_on_event(void *ctx, const struct transport_event *ev)
{
	struct pconn *pc = ctx;
	struct session *s;

	if (ev->type == TRANSPORT_EV_AUTHENTICATED) {
		pc->state = PC_READY;
		dlog("%s: connected%s%s", pc->name, pc->chain[0] != '\0' ?
		    " via " : "", pc->chain);
		saylog_clear(&pc->said);
		pconn_listen_control_path(pc);
		{
			struct pconn *in;

			for (in = pc->carried; in != NULL; in = in->carried_next)
				carrier_open_link(in);
		}
		pconn_wake(pc);
		fwd_remote_ready(pc);
		return 0;
	}
	if (ev->type < TRANSPORT_EV_CHANNEL_OPEN)
		return 0;
	/* -R: not a channel of ours yet, and an id that is no channel's */
	if (ev->type == TRANSPORT_EV_GLOBAL_REPLY) {
		fwd_remote_reply(pc, ev);
		return 0;
	}
	if (ev->type == TRANSPORT_EV_CHANNEL_OPEN_REQUEST) {
		fwd_remote_incoming(pc, ev);
		return 0;
	}
	if (pc->carried != NULL && carrier_event(pc, ev))
		return 0;
	if ((s = pconn_find_session(pc, ev->channel)) == NULL)
		return 0;
	return session_event(s, ev);
}

static void pconn_io_cb(void *ctx, unsigned int events);

static void
pconn_deadline_cb(void *ctx)
{
	struct pconn *pc = ctx;

	if (direct_step(pc->d, 0, pconn_on_event, pc) < 0) {
		pconn_fail(pc, NULL);
		return;
	}
	pconn_refresh(pc);
}

/* After anything that may have changed what pc waits for. */
static void
pconn_refresh(struct pconn *pc)
{
	int fd;
	short pev;
	unsigned int ev;
	uint64_t when;

	if (pc->state == PC_DEAD || pc->state == PC_RESOLVING)
		return;
	direct_want(pc->d, &fd, &pev);
	ev = ((pev & POLLIN) ? LOOP_IN : 0) | ((pev & POLLOUT) ? LOOP_OUT : 0);
	if ((fd != pc->cur_fd || pc->d->fd_generation != pc->cur_gen) &&
	    pc->fdh != NULL) {
		loop_fd_del(pc->fdh);
		pc->fdh = NULL;
	}
	if (fd >= 0 && pc->fdh == NULL) {
		if (loop_fd_add(pc->dm->loop, fd, ev, pconn_io_cb, pc,
		    &pc->fdh) != ERR_OK) {
			pconn_fail(pc, "cannot watch the connection");
			return;
		}
		pc->cur_fd = fd;
		pc->cur_gen = pc->d->fd_generation;
		pc->cur_events = ev;
	} else if (pc->fdh != NULL && ev != pc->cur_events) {
		(void)loop_fd_set_events(pc->fdh, ev);
		pc->cur_events = ev;
	}
	when = direct_deadline(pc->d);
	loop_timer_cancel(&pc->deadline_timer);
	if (when != UINT64_MAX)
		(void)loop_timer_add(pc->dm->loop, when, pconn_deadline_cb, pc,
		    &pc->deadline_timer);
	if (pc->state == PC_READY && pc->n_sessions == 0 &&
	    pc->n_carried == 0 && pc->idle_timer == NULL) {
		/* idle from now: it keeps no buffers it does not need */
		if (pc->d->t != NULL && transport_idle(pc->d->t))
			transport_trim(pc->d->t);
		struct settings_for f;

		dest_settings(pc->dm, pc->name, &f);
		if (f.idle_ms > 0)
			(void)loop_timer_add(pc->dm->loop,
			    loop_now_ms(pc->dm->loop) + f.idle_ms,
			    pconn_idle_cb, pc, &pc->idle_timer);
	}
}

static void
pconn_io_cb(void *ctx, unsigned int events)
{
	struct pconn *pc = ctx;
	short rev = (short)(((events & LOOP_IN) ? POLLIN : 0) |
	    ((events & LOOP_OUT) ? POLLOUT : 0) |
	    ((events & LOOP_ERR) ? POLLERR | POLLHUP : 0));

	pc->refs++;
	if (direct_step(pc->d, rev, pconn_on_event, pc) < 0)
		pconn_fail(pc, NULL);
	else
		pconn_refresh(pc);
	pconn_release(pc);
}

/* Once per loop turn: every connection's pending output and deadlines
 * follow what the turn's callbacks did (channel writes, consumed
 * bytes), and the clients' sockets theirs. */
static void
before_sleep(void *ctx)
{
	struct daemon *dm = ctx;
	struct pconn *pc, *next;
	unsigned long long before;
	int pass;

	/* until nothing crosses between connections any more: what one
	 * inside another wrote goes into its carrier's channel, then out of
	 * the carrier (and a chain of carriers takes a pass per level);
	 * bounded, the next turn goes on */
	for (pass = 0; pass < 16; pass++) {
		before = dm->moved;
		for (pc = dm->conns; pc != NULL; pc = next) {
			next = pc->next;
			if (pc->state != PC_CONNECTING && pc->state != PC_READY)
				continue;
			pc->refs++;
			if (direct_step(pc->d, 0, pconn_on_event, pc) < 0)
				pconn_fail(pc, NULL);
			else if (pc->carrier != NULL)
				carrier_pump(pc);
			pconn_release(pc);
		}
		if (dm->moved == before && pass > 0)
			break;
	}
	for (pc = dm->conns; pc != NULL; pc = next) {
		next = pc->next;
		pconn_refresh(pc);
	}
}

/* Resolution on a worker: argv in, a resolved struct direct out. */
struct resolve_job {
	struct daemon *dm;
	struct client *cl;      /* NULL once the client went away */
	unsigned int client_id;
	uint32_t request_id;
	char **argv;
	size_t argc;
	struct direct *d;
	struct saylog said;
	struct login_ui ui;
	int status;
	/* a session to move to a new transport, by client and session id
	 * (either may be gone by the time the job is done) */
	uint32_t retry_session;
	/* computed on the worker before a jump is detached */
	char *key, *chain;
	/* the jump host to resolve next for this job's connection */
	char **jargv;
	size_t jargc;
	/* a carrier job: the connection waiting for its jump host */
	struct pconn *carrier_for;
	/* EXT_RESOLVE: only print what ssh -G would */
	int print_only;
	/* prewarm_hosts at start: no client waits */
	int prewarm;
	char *text;
};

static void
job_say(void *ctx, const char *line)
{
	struct resolve_job *j = ctx;

	saylog_add(&j->said, line);
}

/* EXT_RESOLVE on the worker: what `ssh -G` prints, or the errors. */
static void
print_work(struct resolve_job *j)
{
	struct config_host host;
	struct config_request req;
	struct config_cache *cache = NULL;
	struct config_diag *diag = NULL;
	struct config_result *res = NULL;
	struct buf *out = buf_new(0);
	size_t i;

	j->status = 255;
	if (out == NULL || host_env_init(&host) != 0) {
		buf_free(out);
		return;
	}
	if ((cache = config_cache_new_oneshot()) != NULL &&
	    (diag = config_diag_new()) != NULL) {
		req.argv = j->argv;
		req.argc = j->argc;
		if (config_resolve(cache, &host, &req, &res, diag) == ERR_OK &&
		    config_print_ssh_g(res, out) == ERR_OK)
			j->status = 0;
		for (i = 0; i < config_diag_count(diag); i++)
			saylog_add(&j->said, config_diag_message(diag, i));
	}
	if (j->status == 0)
		j->text = buf_dup_cstr(out);
	config_result_free(res);
	config_diag_free(diag);
	config_cache_free(cache);
	host_env_free(&host);
	buf_free(out);
}

static void
resolve_work(void *ctx)
{
	struct resolve_job *j = ctx;

	if (j->print_only) {
		print_work(j);
		return;
	}

	if ((j->d = calloc(1, sizeof(*j->d))) == NULL) {
		j->status = 255;
		return;
	}
	j->status = direct_resolve(j->d, (int)j->argc, j->argv, &j->ui);
	if (j->status != 0)
		return;
	j->key = direct_key(j->d);
	j->chain = direct_chain(j->d);
	/* a jump host is a pooled connection of its own: keep only the
	 * destination here, and resolve the jump host when adopted */
	if (j->key == NULL || j->chain == NULL ||
	    direct_detach_jump(j->d, &j->jargv, &j->jargc) < 0)
		j->status = 255;
}


/* Every value of a multi-line ssh -G keyword (sendenv, setenv). */
static size_t
cfg_list(const struct config_result *res, const char *keyword, char ***outp)
{
	char **v = NULL, **n, *x;
	size_t count = 0;

	while (count < 256 && (x = config_result_get_dup(res, keyword,
	    count)) != NULL) {
		if ((n = realloc(v, (count + 1) * sizeof(*n))) == NULL) {
			free(x);
			break;
		}
		v = n;
		v[count++] = x;
	}
	*outp = v;
	return count;
}

/* RemoteCommand, RequestTTY and SessionType as ssh -G resolved them. */
static void
client_session_config(struct client *cl, const struct config_result *res)
{
	char *v;

	free(cl->remote_command);
	cl->remote_command = config_result_get_dup(res, "remotecommand", 0);
	v = config_result_get_dup(res, "requesttty", 0);
	cl->request_tty = v == NULL ? RTTY_AUTO :
	    strcmp(v, "force") == 0 ? RTTY_FORCE :
	    strcmp(v, "true") == 0 || strcmp(v, "yes") == 0 ? RTTY_YES :
	    strcmp(v, "auto") == 0 ? RTTY_AUTO : RTTY_NO;
	free(v);
	v = config_result_get_dup(res, "sessiontype", 0);
	cl->session_type = v == NULL ? STYPE_DEFAULT :
	    strcmp(v, "none") == 0 ? STYPE_NONE :
	    strcmp(v, "subsystem") == 0 ? STYPE_SUBSYSTEM : STYPE_DEFAULT;
	free(v);
	/* ssh -G shows it as vis(3) does: "~", "none", "\^A" */
	v = config_result_get_dup(res, "escapechar", 0);
	if (v == NULL || strcmp(v, "none") == 0)
		cl->escape_char = -1;
	else if (v[0] == '\\' && v[1] == '^' && v[2] != '\0' && v[3] == '\0')
		cl->escape_char = v[2] & 0x1f;
	else if (v[0] == '\\' && v[1] == '\\' && v[2] == '\0')
		cl->escape_char = '\\';
	else if (v[0] != '\0' && v[1] == '\0')
		cl->escape_char = (unsigned char)v[0];
	else
		cl->escape_char = '~';
	free(v);
}

static struct client *
client_by_id(struct daemon *dm, unsigned int id)
{
	struct client *cl;

	for (cl = dm->clients; cl != NULL; cl = cl->next) {
		if (cl->id == id)
			return cl;
	}
	return NULL;
}

static void client_resume(struct client *cl);

static int submit_carrier_job(struct pconn *pc, char **argv, size_t argc);

/*
 * The pooled connection for a resolved job: a live one with the same key
 * and room for sessions, else a new one made of the job's direct (which
 * starts connecting, or waits for its jump host's connection).  NULL
 * when it cannot be made (said in the log).
 */
static struct pconn *
pool_adopt(struct daemon *dm, struct resolve_job *j)
{
	struct pconn *pc;

	for (pc = dm->conns; pc != NULL; pc = pc->next) {
		if (pc->state != PC_DEAD && (pc->max_sessions == 0 ||
		    pc->n_sessions < pc->max_sessions) &&
		    strcmp(pc->key, j->key) == 0) {
			if (pc->state == PC_READY && pc->cp_fd < 0)
				pconn_listen_control_path_at(pc,
				    direct_cfg(j->d, "controlpath"));
			return pc;
		}
	}
	{
		unsigned int n = 0, max = settings_max_transports(dm->settings);

		for (pc = dm->conns; pc != NULL; pc = pc->next)
			n++;
		if (max > 0 && n >= max) {
			dlog("refusing a new transport: max_transports (%u) "
			    "reached", max);
			saylog_add(&j->said, "sshbroker: the daemon holds "
			    "max_transports transports already");
			return NULL;
		}
	}
	if ((pc = calloc(1, sizeof(*pc))) == NULL)
		return NULL;
	pc->dm = dm;
	pc->key = j->key;
	j->key = NULL;
	pc->chain = j->chain;
	j->chain = NULL;
	pc->name = config_result_get_dup(j->d->res, "host", 0);
	pc->d = j->d;
	j->d = NULL;
	pc->argv = j->argv;
	pc->argc = j->argc;
	j->argv = NULL;
	j->argc = 0;
	pc->ui.say = pconn_say;
	pc->ui.ask = pconn_ask;
	pc->ui.run_blocking = pconn_run_blocking;
	pc->ui.ctx = pc;
	pc->d->ui = &pc->ui;
	pc->cur_fd = -1;
	pc->cp_fd = -1;
	pc->created_ms = loop_now_ms(dm->loop);
	pc->state = PC_CONNECTING;
	pc->next = dm->conns;
	dm->conns = pc;
	/* resolving read and parsed the configuration on the worker; what
	 * that churn left free in the heap goes back to the system, so
	 * that what a transport costs is what it holds (only on this path:
	 * a new transport is rare next to a reused one) */
	(void)malloc_trim(0);
	if (pc->name != NULL) {
		struct settings_for f;

		/* max_channels: as if the server had said so */
		dest_settings(dm, pc->name, &f);
		pc->max_sessions = f.max_channels;
	}
	if (pc->name == NULL || direct_start(pc->d) != 0 ||
	    (j->jargv != NULL && submit_carrier_job(pc, j->jargv,
	    j->jargc) != ERR_OK)) {
		pc->refs++;
		pconn_fail(pc, "cannot start connecting");
		pconn_release(pc);
		return NULL;
	}
	j->jargv = NULL;
	j->jargc = 0;
	return pc;
}

/* Opens the channel that carries pc inside its carrier. */
static void
carrier_open_link(struct pconn *pc)
{
	struct pconn *c = pc->carrier;

	if (pc->link != CL_NONE || c == NULL || c->state != PC_READY)
		return;
	if (channel_open_direct_tcpip(c->d->t, pc->d->hostname,
	    (uint32_t)atoi(pc->d->port), "127.0.0.1", 65535,
	    &pc->carrier_chan) != ERR_OK) {
		pconn_fail(pc, "cannot open a channel through the jump host");
		return;
	}
	pc->link = CL_OPENING;
}

/* pc's jump host connection is known (or could not be made). */
static void
carrier_attach(struct pconn *pc, struct pconn *c)
{
	if (pc->state == PC_DEAD)
		return;
	if (c == NULL || c == pc) {
		pconn_fail(pc, "cannot connect to the jump host");
		return;
	}
	pc->carrier = c;
	c->refs++;
	pc->carried_next = c->carried;
	c->carried = pc;
	c->n_carried++;
	loop_timer_cancel(&c->idle_timer);
	dlog("%s: through %s", pc->name, c->name);
	carrier_open_link(pc);
	pconn_refresh(c);
}

/* Takes pc out of its carrier (closing the channel). */
static void
carrier_detach(struct pconn *pc)
{
	struct pconn *c = pc->carrier, **pp;

	if (c == NULL)
		return;
	for (pp = &c->carried; *pp != NULL; pp = &(*pp)->carried_next) {
		if (*pp == pc) {
			*pp = pc->carried_next;
			break;
		}
	}
	if (c->n_carried > 0)
		c->n_carried--;
	if ((pc->link == CL_OPEN || pc->link == CL_OPENING) &&
	    c->state == PC_READY)
		(void)channel_close(c->d->t, pc->carrier_chan);
	pc->link = CL_GONE;
	pc->carrier = NULL;
	buf_free(pc->link_in);
	pc->link_in = NULL;
	if (c->state != PC_DEAD)
		pconn_refresh(c);
	pconn_release(c);
}

/* Bytes from the carrying channel into pc's transport, as it takes
 * them; the carrier's window reopens by as much. */
static void
carrier_feed(struct pconn *pc, const unsigned char *p, size_t len)
{
	size_t used = 0;

	if ((pc->link_in == NULL || buf_len(pc->link_in) == 0) && len > 0) {
		if (transport_input(pc->d->t, p, len, &used) != ERR_OK)
			used = len;
		if (used > 0) {
			(void)channel_consumed(pc->carrier->d->t,
			    pc->carrier_chan, used);
			pc->dm->moved++;
		}
	}
	if (used < len) {
		if (pc->link_in == NULL && (pc->link_in = buf_new(0)) == NULL)
			return;
		(void)buf_put(pc->link_in, p + used, len - used);
	}
	while (pc->link_in != NULL && buf_len(pc->link_in) > 0) {
		if (transport_input(pc->d->t, buf_ptr(pc->link_in),
		    buf_len(pc->link_in), &used) != ERR_OK || used == 0)
			break;
		(void)buf_consume(pc->link_in, used);
		(void)channel_consumed(pc->carrier->d->t, pc->carrier_chan, used);
		pc->dm->moved++;
	}
}

/* A channel event of carrier c for one of the connections inside it:
 * 1 when it was one, else 0. */
static int
carrier_event(struct pconn *c, const struct transport_event *ev)
{
	struct pconn *pc;
	char why[512];

	for (pc = c->carried; pc != NULL; pc = pc->carried_next) {
		if ((pc->link == CL_OPENING || pc->link == CL_OPEN) &&
		    pc->carrier_chan == ev->channel)
			break;
	}
	if (pc == NULL)
		return 0;
	switch (ev->type) {
	case TRANSPORT_EV_CHANNEL_OPEN:
		pc->link = CL_OPEN;
		direct_link_up(pc->d);
		break;
	case TRANSPORT_EV_CHANNEL_OPEN_FAILED:
		snprintf(why, sizeof(why), "sshbroker: jump host %s cannot "
		    "reach %s (%s port %s): %s", c->name, pc->name,
		    pc->d->hostname, pc->d->port, ev->line);
		pc->link = CL_GONE;
		pconn_fail(pc, why);
		break;
	case TRANSPORT_EV_CHANNEL_DATA:
		carrier_feed(pc, ev->packet, ev->packet_len);
		break;
	case TRANSPORT_EV_CHANNEL_EOF:
	case TRANSPORT_EV_CHANNEL_CLOSED:
		if (pc->link != CL_GONE) {
			pc->link = ev->type == TRANSPORT_EV_CHANNEL_CLOSED ?
			    CL_GONE : pc->link;
			(void)transport_input_eof(pc->d->t);
		}
		break;
	default:
		break;
	}
	return 1;
}

/* pc's output into its carrying channel, as the window allows. */
static void
carrier_pump(struct pconn *pc)
{
	const unsigned char *out;
	size_t len, w = 0;

	if (pc->link != CL_OPEN || pc->state == PC_DEAD)
		return;
	carrier_feed(pc, NULL, 0);
	transport_output(pc->d->t, &out, &len);
	if (len > 0 && channel_write(pc->carrier->d->t, pc->carrier_chan, out,
	    len, &w) == ERR_OK && w > 0) {
		transport_output_consume(pc->d->t, w);
		pc->dm->moved++;
	}
}

static void
resolve_done(void *ctx, int cancelled)
{
	struct resolve_job *j = ctx;
	struct daemon *dm = j->dm;
	struct client *cl = client_by_id(dm, j->client_id);
	const struct config_result *res;
	struct pconn *pc;
	char *why;
	struct session *rs = NULL;

	if (cl != NULL && j->retry_session != 0) {
		for (rs = cl->sessions; rs != NULL && rs->id != j->retry_session;
		    rs = rs->next)
			;
		if (rs == NULL)
			goto out;   /* the session ended meanwhile */
		if (cancelled || j->status != 0) {
			rs->exit_status = 255;
			rs->closed_remote = 1;
			session_free(rs, 1);
			goto out;
		}
	}
	if (j->prewarm) {
		if (cancelled || j->status != 0) {
			why = said_text(&j->said, "cannot resolve");
			dlog("prewarm %s: %s", j->argv[j->argc - 1], why);
			free(why);
		} else if ((pc = pool_adopt(dm, j)) != NULL)
			dlog("%s: prewarming", pc->name);
		goto out;
	}
	if (j->print_only) {
		if (cl == NULL)
			goto out;
		cl->waiting = 0;
		if (!cancelled && j->status == 0 && j->text != NULL)
			client_text(cl, MUX_S_EXT_TEXT, j->request_id, j->text);
		else {
			why = said_text(&j->said, "cannot resolve");
			client_fail(cl, j->request_id, why);
			free(why);
		}
		client_resume(cl);
		goto out;
	}
	if (j->carrier_for != NULL && (cancelled || j->status != 0)) {
		why = said_text(&j->said, "cannot resolve the jump host");
		pconn_fail(j->carrier_for, why);
		free(why);
		goto out;
	}
	if (j->carrier_for == NULL && (cancelled || cl == NULL ||
	    j->status != 0)) {
		if (cl != NULL) {
			why = said_text(&j->said, "cannot resolve the destination");
			cl->waiting = 0;
			client_fail(cl, j->request_id, why);
			free(why);
			client_resume(cl);
		}
		goto out;
	}
	if (cl != NULL && j->carrier_for == NULL && rs == NULL) {
		argv_free(cl->sendenv, cl->n_sendenv);
		argv_free(cl->setenv, cl->n_setenv);
		cl->n_sendenv = cfg_list(j->d->res, "sendenv", &cl->sendenv);
		cl->n_setenv = cfg_list(j->d->res, "setenv", &cl->setenv);
		client_session_config(cl, j->d->res);
	}
	/* the request's own resolution, for its forwardings: alive until
	 * the end of this function whether the pool takes it or not */
	res = j->d != NULL ? j->d->res : NULL;
	if ((pc = pool_adopt(dm, j)) == NULL && j->carrier_for == NULL &&
	    cl == NULL)
		goto out;
	if (j->carrier_for != NULL) {
		carrier_attach(j->carrier_for, pc);
		goto out;
	}
	if (pc != NULL)
		dlog("%s: %s (client %u)", pc->name, pc->state == PC_READY ?
		    "reused" : "connecting", cl->id);
	if (pc != NULL && rs != NULL) {
		struct pconn *old = rs->pc;

		rs->pc = pc;
		pc->refs++;
		pconn_release(old);
		if (pc->state == PC_READY && session_start(rs) != ERR_OK) {
			rs->exit_status = 255;
			rs->closed_remote = 1;
			session_free(rs, 1);
		}
		pconn_refresh(pc);
		goto out;
	}
	if (pc != NULL) {
		if (cl->pc != NULL)
			pconn_release(cl->pc);
		cl->pc = pc;
		pc->refs++;
		/* -L, -D, LocalForward, DynamicForward: listening from now
		 * on, carried once the connection is up */
		if (res != NULL && fwd_open_all(cl, pc, res) != 0) {
			/* the selection fails, and with it the session
			 * request sent behind it: nothing runs */
			cl->waiting = 0;
			cl->pc = NULL;
			pconn_release(pc);
			free(cl->pc_error);
			cl->pc_error = strdup("sshbroker: a forwarding failed "
			    "and ExitOnForwardFailure is set");
			client_fail(cl, j->request_id, cl->pc_error != NULL ?
			    cl->pc_error : "forwarding failed");
		} else if (pc->state == PC_READY || cl->pending.type ==
		    MUX_C_EXT_SELECT) {
			cl->waiting = 0;
			client_ok(cl, j->request_id);
		} else
			cl->waiting = 1;   /* prewarm: answered when ready */
		pconn_refresh(pc);
	} else {
		why = said_text(&j->said, "sshbroker: cannot connect");
		cl->waiting = 0;
		client_fail(cl, j->request_id, why);
		free(why);
	}
	client_resume(cl);
 out:
	if (j->carrier_for != NULL)
		pconn_release(j->carrier_for);
	if (j->d != NULL) {
		direct_close(j->d);
		free(j->d);
	}
	saylog_clear(&j->said);
	argv_free(j->argv, j->argc);
	argv_free(j->jargv, j->jargc);
	free(j->key);
	free(j->chain);
	free(j->text);
	free(j);
}

/* What a client's resolve job is for. */
enum job_kind {
	JOB_SELECT,     /* EXT_SELECT or EXT_PREWARM: the client waits */
	JOB_PRINT,      /* EXT_RESOLVE: ssh -G's text; the client waits */
	JOB_RETRY,      /* a session moves to a sibling transport */
};

static int start_resolve_job(struct client *cl, uint32_t id,
    const char *const *argv, size_t argc, enum job_kind kind,
    uint32_t retry_session);

/* s's transport is full: resolve its request again for a sibling. */
static int
start_retry(struct session *s)
{
	return start_resolve_job(s->cl, s->req_id,
	    (const char *const *)s->pc->argv, s->pc->argc, JOB_RETRY, s->id);
}

/* prewarm_hosts: each connected when the daemon starts. */
static void
prewarm_all(struct daemon *dm)
{
	size_t i;

	for (i = 0; i < settings_prewarm_count(dm->settings); i++) {
		struct resolve_job *j = calloc(1, sizeof(*j));
		const char *host = settings_prewarm_host(dm->settings, i);

		if (j == NULL || host == NULL ||
		    (j->argv = calloc(2, sizeof(char *))) == NULL ||
		    (j->argv[0] = strdup(host)) == NULL) {
			if (j != NULL)
				free(j->argv);
			free(j);
			return;
		}
		j->argc = 1;
		j->dm = dm;
		j->prewarm = 1;
		j->ui.say = job_say;
		j->ui.ask = pconn_ask;
		j->ui.ctx = j;
		if (workq_submit(dm->wq, resolve_work, resolve_done, j) !=
		    ERR_OK) {
			argv_free(j->argv, j->argc);
			free(j);
			return;
		}
	}
}

/* Resolves pc's jump host; the job ends in carrier_attach(). */
static int
submit_carrier_job(struct pconn *pc, char **argv, size_t argc)
{
	struct resolve_job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		return ERR_NOMEM;
	j->dm = pc->dm;
	j->argv = argv;
	j->argc = argc;
	j->carrier_for = pc;
	pc->refs++;
	j->ui.say = job_say;
	j->ui.ask = pconn_ask;
	j->ui.ctx = j;
	if (workq_submit(pc->dm->wq, resolve_work, resolve_done, j) != ERR_OK) {
		pc->refs--;
		free(j);
		return ERR_NOMEM;
	}
	return ERR_OK;
}

static int
start_resolve(struct client *cl, uint32_t id, const char *const *argv,
    size_t argc)
{
	return start_resolve_job(cl, id, argv, argc, JOB_SELECT, 0);
}

static int
start_resolve_job(struct client *cl, uint32_t id, const char *const *argv,
    size_t argc, enum job_kind kind, uint32_t retry_session)
{
	struct resolve_job *j = calloc(1, sizeof(*j));
	size_t i;

	if (j == NULL || (j->argv = calloc(argc + 1, sizeof(char *))) == NULL) {
		free(j);
		return ERR_NOMEM;
	}
	for (i = 0; i < argc; i++) {
		if ((j->argv[i] = strdup(argv[i])) == NULL) {
			argv_free(j->argv, i);
			free(j);
			return ERR_NOMEM;
		}
	}
	j->argc = argc;
	j->dm = cl->dm;
	j->client_id = cl->id;
	j->request_id = id;
	j->print_only = kind == JOB_PRINT;
	j->retry_session = kind == JOB_RETRY ? retry_session : 0;
	j->ui.say = job_say;
	j->ui.ask = pconn_ask;
	j->ui.ctx = j;
	if (kind != JOB_RETRY)
		cl->waiting = 1;
	if (workq_submit(cl->dm->wq, resolve_work, resolve_done, j) != ERR_OK) {
		argv_free(j->argv, j->argc);
		free(j);
		if (kind != JOB_RETRY)
			cl->waiting = 0;
		return ERR_NOMEM;
	}
	return ERR_OK;
}

/* ------------------------------------------------------------ status */

static char *
status_text(struct daemon *dm, int yaml)
{
	struct buf *b = buf_new(0);
	struct pconn *pc;
	uint64_t now = loop_now_ms(dm->loop);
	char *t;

	if (b == NULL)
		return NULL;
	if (yaml)
		(void)buf_putf(b, "pid: %d\nuptime_s: %llu\ntransports:\n",
		    (int)getpid(), (unsigned long long)(now - dm->started_ms) /
		    1000);
	else
		(void)buf_putf(b, "sshbroker daemon pid %d, up %llu s\n",
		    (int)getpid(), (unsigned long long)(now - dm->started_ms) /
		    1000);
	for (pc = dm->conns; pc != NULL; pc = pc->next) {
		uint64_t kex = 0, in = 0, out = 0;
		const char *state = pc->state == PC_READY ? "ready" :
		    pc->state == PC_CONNECTING ? "connecting" : "resolving";
		unsigned long long idle = pc->n_sessions > 0 || pc->idle_timer ==
		    NULL ? 0 : (unsigned long long)(now - (pc->idle_since_ms ?
		    pc->idle_since_ms : now)) / 1000;

		if (pc->d != NULL && pc->d->t != NULL)
			transport_stats(pc->d->t, &kex, &in, &out);
		if (yaml)
			(void)buf_putf(b, "  - destination: \"%s\"\n"
			    "    chain: \"%s\"\n    state: %s\n    channels: %u\n"
			    "    sessions_total: %llu\n    bytes_in: %llu\n"
			    "    bytes_out: %llu\n    idle_s: %llu\n"
			    "    uptime_s: %llu\n", pc->name, pc->chain, state,
			    pc->n_sessions, pc->sessions_total,
			    (unsigned long long)in, (unsigned long long)out, idle,
			    (unsigned long long)(now - pc->created_ms) / 1000);
		else
			(void)buf_putf(b, "%s%s%s  %s  channels %u  sessions %llu  "
			    "in %llu  out %llu  idle %llus  up %llus\n", pc->name,
			    pc->chain[0] != '\0' ? " via " : "", pc->chain,
			    state, pc->n_sessions, pc->sessions_total,
			    (unsigned long long)in, (unsigned long long)out, idle,
			    (unsigned long long)(now - pc->created_ms) / 1000);
		status_forwards(dm, pc, b, yaml);
	}
	if (yaml && dm->conns == NULL)
		(void)buf_put_cstr(b, "  []\n");
	t = buf_dup_cstr(b);
	buf_free(b);
	return t;
}

/* ------------------------------------------------------------ forwarding */

#define FWD_SOCKS_MAX 64                /* handshakes at once, per listener */
#define FWD_SOCKS_WAIT_MS (30u * 1000)  /* to say where to */
#define FWD_RCONNECT_MAX 64             /* -R connects at once, per forward */

static void
socks_wait_free(struct socks_wait *w, int close_fd)
{
	struct socks_wait **pp;

	for (pp = &w->fl->socks; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	}
	w->fl->n_socks--;
	if (w->h != NULL)
		loop_fd_del(w->h);
	loop_timer_cancel(&w->timer);
	if (close_fd)
		close(w->fd);
	mem_wipe(w->in, sizeof(w->in));
	free(w);
}

/* One forwarded connection: fd <-> a direct-tcpip channel to host:port;
 * early holds bytes the client sent before the channel was asked for. */
static void
fwd_session(struct fwd *fl, int fd, const char *host, int port,
    const unsigned char *early, size_t early_len, int64_t open_chan)
{
	struct client *cl = fl->owner;
	struct pconn *pc = fl->pc;
	struct session *s;
	int out;

	if (early_len > SESSION_IO_CHUNK ||
	    (out = fcntl(fd, F_DUPFD_CLOEXEC, 0)) == -1) {
		close(fd);
		return;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->fwd_host = strdup(host)) == NULL) {
		free(s);
		close(fd);
		close(out);
		return;
	}
	s->cl = cl;
	s->pc = pc;
	pc->refs++;
	s->kind = SK_STDIO;
	s->fwd_port = (uint32_t)port;
	s->exit_status = -1;
	s->escape_char = -1;
	s->id = ++cl->next_session_id;
	if (s->id == 0)
		s->id = ++cl->next_session_id;
	sfd_init(&s->in);
	sfd_init(&s->out);
	sfd_init(&s->err);
	sfd_adopt(&s->in, fd);
	sfd_adopt(&s->out, out);
	if (early_len > 0)
		memcpy(s->inbuf, early, early_len);
	s->in_len = early_len;
	s->next = cl->sessions;
	cl->sessions = s;
	fl->accepted++;
	if (open_chan >= 0) {
		/* -R: the server opened the channel, we accepted it */
		s->chan = (uint32_t)open_chan;
		s->started = s->opened = 1;
		pc->n_sessions++;
		pc->sessions_total++;
		loop_timer_cancel(&pc->idle_timer);
		session_pump(s);
	} else if (pc->state == PC_READY && session_start(s) != ERR_OK) {
		dlog("forwarding %s: cannot open a channel", fl->name);
		session_free(s, 0);
		return;
	}
	pconn_refresh(pc);
}

static void
socks_timeout_cb(void *ctx)
{
	struct socks_wait *w = ctx;

	w->timer = NULL;
	dlog("forwarding %s: a SOCKS client said nothing for %u s",
	    w->fl->name, FWD_SOCKS_WAIT_MS / 1000);
	socks_wait_free(w, 1);
}

/* What a SOCKS client sent so far: wait, refuse, or connect. */
static void
socks_wait_cb(void *ctx, unsigned int events)
{
	struct socks_wait *w = ctx;
	struct socks_request rq;
	unsigned char reply[16];
	const char *why = NULL;
	size_t n_reply;
	ssize_t n;
	int r, fd;

	(void)events;
	n = recv(w->fd, w->in + w->len, sizeof(w->in) - w->len, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		socks_wait_free(w, 1);
		return;
	}
	w->len += (size_t)n;
	memset(&rq, 0, sizeof(rq));
	r = socks_parse(w->in, w->len, &rq, &why);
	if (r == ERR_AGAIN && w->len == sizeof(w->in)) {
		r = ERR_INVALID_FORMAT;
		why = "SOCKS request too long";
		rq.refusal_len = 0;
	}
	if (r == ERR_AGAIN) {
		if (rq.greeted && !w->method_sent) {
			n_reply = socks_method_reply(reply);
			if (send(w->fd, reply, n_reply, MSG_DONTWAIT |
			    MSG_NOSIGNAL) != (ssize_t)n_reply) {
				socks_wait_free(w, 1);
				return;
			}
			w->method_sent = 1;
		}
		return;
	}
	if (r != ERR_OK) {
		dlog("forwarding %s: SOCKS client refused: %s", w->fl->name,
		    why != NULL ? why : "malformed request");
		/* a SOCKS5 client that sent its request at once still waits
		 * for the method reply before the refusal */
		if (rq.refusal_len > 0 && rq.greeted && !w->method_sent) {
			n_reply = socks_method_reply(reply);
			(void)send(w->fd, reply, n_reply, MSG_DONTWAIT |
			    MSG_NOSIGNAL);
		}
		if (rq.refusal_len > 0)
			(void)send(w->fd, rq.refusal, rq.refusal_len,
			    MSG_DONTWAIT | MSG_NOSIGNAL);
		socks_wait_free(w, 1);
		return;
	}
	if (rq.version == 5 && !w->method_sent) {
		n_reply = socks_method_reply(reply);
		if (send(w->fd, reply, n_reply, MSG_DONTWAIT | MSG_NOSIGNAL) !=
		    (ssize_t)n_reply) {
			socks_wait_free(w, 1);
			return;
		}
		w->method_sent = 1;
	}
	/* as ssh: success now, and the connection closes if the server
	 * will not open the channel */
	n_reply = socks_reply(&rq, 1, reply, sizeof(reply));
	if (n_reply == 0 || send(w->fd, reply, n_reply, MSG_DONTWAIT |
	    MSG_NOSIGNAL) != (ssize_t)n_reply) {
		socks_wait_free(w, 1);
		return;
	}
	fd = w->fd;
	{
		struct fwd *fl = w->fl;
		unsigned char early[sizeof(w->in)];
		size_t early_len = w->len - rq.used;

		memcpy(early, w->in + rq.used, early_len);
		socks_wait_free(w, 0);
		fwd_session(fl, fd, rq.host, rq.port, early, early_len, -1);
		mem_wipe(early, sizeof(early));
	}
}

static void
fwd_accept_cb(void *ctx, unsigned int events)
{
	struct fwd *fl = ctx;
	struct socks_wait *w;
	size_t k;
	int fd, i;

	(void)events;
	for (k = 0; k < fl->n_fds; k++) {
		for (i = 0; i < 64; i++) {
			fd = accept4(fl->fds[k], NULL, NULL, SOCK_CLOEXEC |
			    SOCK_NONBLOCK);
			if (fd == -1)
				break;
			if (!fl->dynamic) {
				fwd_session(fl, fd, fl->connect_host,
				    fl->connect_port, NULL, 0, -1);
				continue;
			}
			if (fl->n_socks >= FWD_SOCKS_MAX ||
			    (w = calloc(1, sizeof(*w))) == NULL) {
				dlog("forwarding %s: too many SOCKS handshakes "
				    "at once; one refused", fl->name);
				close(fd);
				continue;
			}
			w->fl = fl;
			w->fd = fd;
			w->next = fl->socks;
			fl->socks = w;
			fl->n_socks++;
			if (loop_fd_add(fl->dm->loop, fd, LOOP_IN, socks_wait_cb,
			    w, &w->h) != ERR_OK ||
			    loop_timer_add(fl->dm->loop,
			    loop_now_ms(fl->dm->loop) + FWD_SOCKS_WAIT_MS,
			    socks_timeout_cb, w, &w->timer) != ERR_OK)
				socks_wait_free(w, 1);
		}
	}
}

/* The transport of a live connection, or NULL. */
static struct transport *
pconn_transport(const struct pconn *pc)
{
	return pc->state == PC_READY && pc->d != NULL ? pc->d->t : NULL;
}

/* Ends a -R connection attempt; why != NULL: the server's channel is
 * refused with it. */
static void
rconnect_free(struct rconnect *rc, const char *why)
{
	struct rconnect **pp;
	struct transport *t = pconn_transport(rc->fl->pc);

	for (pp = &rc->fl->rconns; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == rc) {
			*pp = rc->next;
			break;
		}
	}
	if (why != NULL && t != NULL)
		(void)channel_refuse(t, rc->chan, 2, why);
	if (rc->h != NULL)
		loop_fd_del(rc->h);
	loop_timer_cancel(&rc->timer);
	proxy_tcp_free(rc->tcp);
	free(rc);
}

static void rconnect_io_cb(void *ctx, unsigned int events);
static void rconnect_timer_cb(void *ctx);

/* One step of connecting to the -R target; then the channel is
 * accepted and joined to the socket, or refused. */
static void
rconnect_step(struct rconnect *rc)
{
	struct fwd *fl = rc->fl;
	struct pconn *pc = fl->pc;
	struct transport *t = pconn_transport(pc);
	uint64_t now = loop_now_ms(fl->dm->loop), when;
	short pev = 0;
	int fd = -1, r, pfd = -1;
	uint32_t chan = rc->chan;

	r = proxy_tcp_step(rc->tcp, now, &fd);
	if (r == ERR_OK) {
		if (rc->h != NULL)
			loop_fd_del(rc->h);
		rc->h = NULL;
		rconnect_free(rc, NULL);
		if (t == NULL || channel_accept(t, chan) != ERR_OK) {
			close(fd);
			return;
		}
		fwd_session(fl, fd, fl->connect_host, fl->connect_port, NULL,
		    0, chan);
		return;
	}
	if (r != ERR_AGAIN) {
		char why[300];

		snprintf(why, sizeof(why), "connect to %s port %d failed: %s",
		    fl->connect_host, fl->connect_port,
		    proxy_tcp_error(rc->tcp));
		dlog("forwarding %s: %s", fl->name, why);
		rconnect_free(rc, why);
		pconn_refresh(pc);
		return;
	}
	/* the fd may change with every step, and a new one may reuse the
	 * number of one closed meanwhile: watch afresh each time */
	proxy_tcp_poll(rc->tcp, &pfd, &pev);
	if (rc->h != NULL) {
		loop_fd_del(rc->h);
		rc->h = NULL;
	}
	rc->fd = pfd;
	if (pfd != -1)
		(void)loop_fd_add(fl->dm->loop, pfd, (pev & POLLOUT) ?
		    LOOP_OUT : LOOP_IN, rconnect_io_cb, rc, &rc->h);
	loop_timer_cancel(&rc->timer);
	when = proxy_tcp_deadline(rc->tcp);
	/* name resolution runs on a thread that has no fd to wake us:
	 * look again soon while there is nothing to poll */
	if (pfd == -1 && (when == UINT64_MAX || when > now + 20))
		when = now + 20;
	if (when != UINT64_MAX)
		(void)loop_timer_add(fl->dm->loop, when, rconnect_timer_cb, rc,
		    &rc->timer);
}

static void
rconnect_io_cb(void *ctx, unsigned int events)
{
	(void)events;
	rconnect_step(ctx);
}

static void
rconnect_timer_cb(void *ctx)
{
	struct rconnect *rc = ctx;

	rc->timer = NULL;
	rconnect_step(rc);
}

/* The server opens a channel for a connection to one of our -R ports. */
static void
fwd_remote_incoming(struct pconn *pc, const struct transport_event *ev)
{
	struct transport *t = pconn_transport(pc);
	struct proxy_tcp_spec spec;
	struct rconnect *rc;
	struct fwd *fl;
	struct buf *v;
	uint32_t port = 0;
	char portstr[16];
	int r;

	if (t == NULL)
		return;
	if ((v = buf_new_view(ev->packet, ev->packet_len)) == NULL) {
		(void)channel_refuse(t, ev->channel, 4, "out of memory");
		return;
	}
	r = buf_get_string_direct(v, NULL, NULL);
	if (r == ERR_OK)
		r = buf_get_u32(v, &port);
	buf_free(v);
	for (fl = pc->dm->fwds; fl != NULL; fl = fl->next)
		if (fl->pc == pc && fl->remote && fl->rstate == RFWD_ACTIVE &&
		    (uint32_t)fl->bound_port == port)
			break;
	if (r != ERR_OK || fl == NULL) {
		dlog("%s: the server forwarded a connection to port %u, which "
		    "we did not ask for: refused", pc->name, port);
		(void)channel_refuse(t, ev->channel, 1, "no such forwarding");
		return;
	}
	/* a server that opens channels faster than they connect gets no
	 * more than this many threads and sockets out of us */
	{
		const struct rconnect *c;
		unsigned int n = 0;

		for (c = fl->rconns; c != NULL; c = c->next)
			n++;
		if (n >= FWD_RCONNECT_MAX) {
			dlog("forwarding %s: %u connections still connecting; "
			    "one refused", fl->name, n);
			(void)channel_refuse(t, ev->channel, 4,
			    "too many connections at once");
			return;
		}
	}
	if ((rc = calloc(1, sizeof(*rc))) == NULL) {
		(void)channel_refuse(t, ev->channel, 4, "out of memory");
		return;
	}
	rc->fl = fl;
	rc->chan = ev->channel;
	rc->fd = -1;
	rc->next = fl->rconns;
	fl->rconns = rc;
	memset(&spec, 0, sizeof(spec));
	snprintf(portstr, sizeof(portstr), "%d", fl->connect_port);
	spec.host = fl->connect_host;
	spec.port = portstr;
	spec.family = AF_UNSPEC;
	spec.timeout_ms = 30 * 1000;
	spec.attempts = 1;
	if (proxy_tcp_start(&spec, loop_now_ms(pc->dm->loop), &rc->tcp) !=
	    ERR_OK) {
		rconnect_free(rc, "cannot connect");
		return;
	}
	rconnect_step(rc);
}

/* Where the server should listen for -R, as ssh asks it
 * (channel_rfwd_bind_host): "localhost" by default, "" for every
 * address. */
static const char *
rfwd_bind_host(const char *listen_host)
{
	if (listen_host == NULL)
		return "localhost";
	if (*listen_host == '\0' || strcmp(listen_host, "*") == 0)
		return "";
	return listen_host;
}

/* tcpip-forward or cancel-tcpip-forward for fl; ERR_OK or an error. */
static int
fwd_remote_send(struct fwd *fl, const char *what, uint32_t *idp)
{
	struct transport *t = pconn_transport(fl->pc);
	struct buf *b;
	int r;

	if (t == NULL)
		return ERR_INVALID_ARGUMENT;
	if ((b = buf_new(0)) == NULL)
		return ERR_NOMEM;
	r = buf_put_cstring(b, rfwd_bind_host(fl->listen_host));
	if (r == ERR_OK)
		r = buf_put_u32(b, (uint32_t)fl->listen_port);
	if (r == ERR_OK) {
		transport_allow_open_requests(t, 1);
		r = transport_global_request(t, what, buf_ptr(b), buf_len(b),
		    idp);
	}
	buf_free(b);
	if (r == ERR_OK)
		pconn_refresh(fl->pc);
	return r;
}

/* How a -R request went, to whoever asked (if still there). */
static void
fwd_remote_tell(struct fwd *fl, int ok, const char *why)
{
	struct client *cl = client_by_id(fl->dm, fl->notify_client);
	struct mux_msg m;
	char line[400];

	fl->notify_client = 0;
	if (cl == NULL)
		return;
	if (!ok && !fl->notify_reply) {
		snprintf(line, sizeof(line), "sshbroker: %s", why);
		client_message(cl, line);
	} else if (!ok)
		client_fail(cl, fl->notify_id, why);
	else if (fl->notify_reply && fl->listen_port == 0) {
		/* ssh prints "Allocated port N for remote forward" */
		memset(&m, 0, sizeof(m));
		m.type = MUX_S_REMOTE_PORT;
		m.id = fl->notify_id;
		m.port = (uint32_t)fl->bound_port;
		(void)client_send(cl, &m);
	} else if (fl->notify_reply)
		client_ok(cl, fl->notify_id);
}

/* The connection is up: -R requests made before it was go out now. */
static void
fwd_remote_ready(struct pconn *pc)
{
	struct fwd *fl, *next;
	char why[300];

	for (fl = pc->dm->fwds; fl != NULL; fl = next) {
		next = fl->next;
		if (fl->pc != pc || !fl->remote || fl->rstate != RFWD_UNSENT)
			continue;
		if (fwd_remote_send(fl, "tcpip-forward", &fl->greq_id) ==
		    ERR_OK) {
			fl->rstate = RFWD_PENDING;
			continue;
		}
		snprintf(why, sizeof(why), "%s: cannot ask the server",
		    fl->name);
		fwd_remote_tell(fl, 0, why);
		fwd_free(fl);
	}
}

/* The server's answer to a tcpip-forward. */
static void
fwd_remote_reply(struct pconn *pc, const struct transport_event *ev)
{
	struct fwd *fl;
	struct buf *v;
	uint32_t port;
	char why[300];

	for (fl = pc->dm->fwds; fl != NULL; fl = fl->next)
		if (fl->pc == pc && fl->remote && fl->rstate == RFWD_PENDING &&
		    fl->greq_id == ev->channel)
			break;
	if (fl == NULL)
		return;     /* a cancel's answer, or one for a forwarding gone */
	if (!ev->code) {
		/* ssh: "remote port forwarding failed for listen port N" */
		snprintf(why, sizeof(why), "%s: remote port forwarding failed "
		    "for listen port %d", fl->name, fl->listen_port);
		dlog("%s: %s", pc->name, why);
		fwd_remote_tell(fl, 0, why);
		fwd_free(fl);
		return;
	}
	fl->bound_port = fl->listen_port;
	if (fl->listen_port == 0) {
		if ((v = buf_new_view(ev->packet, ev->packet_len)) != NULL &&
		    buf_get_u32(v, &port) == ERR_OK && port > 0 && port <= 65535)
			fl->bound_port = (int)port;
		buf_free(v);
	}
	fl->rstate = RFWD_ACTIVE;
	dlog("%s: forwarding %s (the server's port %d)", pc->name, fl->name,
	    fl->bound_port);
	fwd_remote_tell(fl, 1, NULL);
}

static void
fwd_free(struct fwd *fl)
{
	struct fwd **pp;
	size_t k;

	for (pp = &fl->dm->fwds; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == fl) {
			*pp = fl->next;
			break;
		}
	}
	for (k = 0; k < fl->n_fds; k++) {
		if (fl->h[k] != NULL)
			loop_fd_del(fl->h[k]);
		close(fl->fds[k]);
	}
	while (fl->socks != NULL)
		socks_wait_free(fl->socks, 1);
	while (fl->rconns != NULL)
		rconnect_free(fl->rconns, "the forwarding ended");
	if (fl->owner != NULL) {
		/* its connections end with it, their channels closed */
		fl->owner->fwd = NULL;
		client_close(fl->owner);
	}
	pconn_release(fl->pc);
	free(fl->listen_host);
	free(fl->connect_host);
	free(fl->name);
	free(fl);
}

static int
str_same(const char *a, const char *b)
{
	return strcmp(a == NULL ? "" : a, b == NULL ? "" : b) == 0;
}

static struct fwd *
fwd_find(struct daemon *dm, const struct pconn *pc,
    const struct config_forward *f)
{
	struct fwd *fl;

	for (fl = dm->fwds; fl != NULL; fl = fl->next) {
		if (fl->pc == pc && fl->dynamic ==
		    (f->type == CONFIG_FWD_DYNAMIC) &&
		    fl->remote == (f->type == CONFIG_FWD_REMOTE) &&
		    fl->listen_port == f->listen_port &&
		    str_same(fl->listen_host, f->listen_host) &&
		    (fl->dynamic || (fl->connect_port == f->connect_port &&
		    str_same(fl->connect_host, f->connect_host))))
			return fl;
	}
	return NULL;
}

/* How ssh writes a forwarding in its messages. */
static char *
fwd_describe(const struct config_forward *f)
{
	char *t = NULL;
	const char *lh = f->listen_host;
	int r;

	if (f->type == CONFIG_FWD_DYNAMIC)
		r = asprintf(&t, "-D %s%s%s%d", lh != NULL ? "[" : "",
		    lh != NULL ? lh : "", lh != NULL ? "]:" : "",
		    f->listen_port);
	else
		r = asprintf(&t, "-%c %s%s%s%d:%s:%d",
		    f->type == CONFIG_FWD_REMOTE ? 'R' : 'L',
		    lh != NULL ? "[" : "", lh != NULL ? lh : "",
		    lh != NULL ? "]:" : "", f->listen_port,
		    f->connect_host != NULL ? f->connect_host :
		    f->connect_path != NULL ? f->connect_path : "",
		    f->connect_port);
	if (r < 0)
		return NULL;
	/* it reaches log lines and status's YAML quoted: nothing that
	 * would end the quotes or the line */
	for (r = 0; t[r] != '\0'; r++)
		if (t[r] < 0x21 && t[r] != ' ')
			t[r] = '?';
		else if (t[r] == '"' || t[r] == '\\' || t[r] == 0x7f)
			t[r] = '?';
	return t;
}

/*
 * Starts forwarding f over pc (ssh -L, -D; LocalForward, DynamicForward,
 * or a stock ssh's MUX_C_OPEN_FWD).  One that is already there is kept,
 * as an OpenSSH master answers a duplicate.  0, or -1 with why.
 */
static int
fwd_open(struct daemon *dm, struct pconn *pc, const struct config_forward *f,
    int gateway, const struct client *asker, int reply, uint32_t ask_id,
    char *why, size_t whylen)
{
	struct fwd *fl;
	char *name = fwd_describe(f);
	size_t k;

	if (name == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	if (f->type == CONFIG_FWD_REMOTE && f->connect_host == NULL &&
	    f->connect_path == NULL) {
		snprintf(why, whylen, "%s: remote dynamic forwarding is not "
		    "supported by sshbroker yet", name);
		goto fail;
	}
	if (f->listen_path != NULL || f->connect_path != NULL ||
	    f->listen_port == CONFIG_PORT_STREAMLOCAL ||
	    f->connect_port == CONFIG_PORT_STREAMLOCAL) {
		snprintf(why, whylen, "%s: Unix-domain socket forwarding is not "
		    "supported by sshbroker yet", name);
		goto fail;
	}
	if (f->type != CONFIG_FWD_DYNAMIC && (f->connect_host == NULL ||
	    *f->connect_host == '\0' || f->connect_port <= 0 ||
	    f->connect_port > 65535)) {
		snprintf(why, whylen, "%s: no host and port to connect to", name);
		goto fail;
	}
	/* a -R to port 0 asks for a new port every time */
	if ((f->type != CONFIG_FWD_REMOTE || f->listen_port != 0) &&
	    fwd_find(dm, pc, f) != NULL) {
		free(name);
		return 0;
	}
	if ((fl = calloc(1, sizeof(*fl))) == NULL ||
	    (fl->owner = calloc(1, sizeof(*fl->owner))) == NULL ||
	    (fl->owner->in = buf_new(0)) == NULL ||
	    (fl->owner->out = buf_new(0)) == NULL) {
		if (fl != NULL && fl->owner != NULL) {
			buf_free(fl->owner->in);
			free(fl->owner);
		}
		free(fl);
		snprintf(why, whylen, "out of memory");
		goto fail;
	}
	fl->dm = dm;
	fl->name = name;
	fl->dynamic = f->type == CONFIG_FWD_DYNAMIC;
	fl->listen_port = f->listen_port;
	fl->connect_port = f->connect_port;
	fl->fds[0] = fl->fds[1] = -1;
	fl->pc = pc;
	pc->refs++;
	fl->owner->dm = dm;
	fl->owner->fd = -1;
	fl->owner->hello_seen = 1;
	fl->owner->id = ++dm->next_client;
	fl->owner->fwd = fl;
	fl->owner->next = dm->clients;
	dm->clients = fl->owner;
	fl->next = dm->fwds;
	dm->fwds = fl;
	if ((f->listen_host != NULL &&
	    (fl->listen_host = strdup(f->listen_host)) == NULL) ||
	    (f->connect_host != NULL &&
	    (fl->connect_host = strdup(f->connect_host)) == NULL)) {
		snprintf(why, whylen, "out of memory");
		fwd_free(fl);
		return -1;
	}
	if (f->type == CONFIG_FWD_REMOTE) {
		/* the server listens; its answer comes later */
		fl->remote = 1;
		fl->rstate = RFWD_UNSENT;
		fl->notify_client = asker != NULL ? asker->id : 0;
		fl->notify_id = ask_id;
		fl->notify_reply = reply;
		if (pc->state == PC_READY) {
			if (fwd_remote_send(fl, "tcpip-forward", &fl->greq_id) !=
			    ERR_OK) {
				snprintf(why, whylen, "%s: cannot ask the server",
				    fl->name);
				fwd_free(fl);
				return -1;
			}
			fl->rstate = RFWD_PENDING;
		}
		return 1;
	}
	if (sock_listen_tcp(f->listen_host, f->listen_port, gateway, fl->fds,
	    &fl->n_fds, &fl->bound_port, why, whylen) != 0) {
		/* as ssh words it: "bind [127.0.0.1]:8080: Address already
		 * in use", then which forwarding could not be set up */
		size_t l = strlen(why);

		snprintf(why + l, whylen - l, "; %s not set up", fl->name);
		fwd_free(fl);
		return -1;
	}
	for (k = 0; k < fl->n_fds; k++) {
		if (loop_fd_add(dm->loop, fl->fds[k], LOOP_IN, fwd_accept_cb, fl,
		    &fl->h[k]) != ERR_OK) {
			snprintf(why, whylen, "%s: cannot watch its socket",
			    fl->name);
			fwd_free(fl);
			return -1;
		}
	}
	dlog("%s: forwarding %s (port %d)", pc->name, fl->name,
	    fl->bound_port);
	return 0;
 fail:
	free(name);
	return -1;
}

/* GatewayPorts of pc's destination, for a listen address left out. */
static int
fwd_gateway(const struct config_result *res)
{
	char *g = res != NULL ? config_result_get_dup(res, "gatewayports", 0) :
	    NULL;
	int yes = g != NULL && strcmp(g, "yes") == 0;

	free(g);
	return yes;
}

/* The forwardings a resolved request asks for, started on pc.  Each one
 * that fails is said to the client; 0, or -1 when one failed and
 * ExitOnForwardFailure says that ends the request. */
static int
fwd_open_all(struct client *cl, struct pconn *pc,
    const struct config_result *res)
{
	struct config_forward f;
	char why[512], line[600], *exit_on = config_result_get_dup(res,
	    "exitonforwardfailure", 0);
	int gateway = fwd_gateway(res), strict = exit_on != NULL &&
	    strcmp(exit_on, "yes") == 0, failed = 0;
	size_t i;

	free(exit_on);
	for (i = 0; i < 256 && config_result_forward(res, i, &f); i++) {
		if (fwd_open(cl->dm, pc, &f, gateway, cl, 0, 0, why,
		    sizeof(why)) >= 0)
			continue;
		snprintf(line, sizeof(line), "sshbroker: %s", why);
		client_message(cl, line);
		failed = 1;
	}
	return failed && strict ? -1 : 0;
}

/* MUX_C_OPEN_FWD and MUX_C_CLOSE_FWD from a stock ssh (ssh -L through
 * the ControlPath, ssh -O forward, ssh -O cancel) or our own client. */
static void
fwd_request(struct client *cl, const struct mux_msg *m)
{
	struct config_forward f;
	struct fwd *fl;
	char why[512];

	if (cl->pc == NULL || cl->pc->state == PC_DEAD) {
		client_fail(cl, m->id, "no destination selected");
		return;
	}
	memset(&f, 0, sizeof(f));
	f.type = m->fwd_type == MUX_FWD_LOCAL ? CONFIG_FWD_LOCAL :
	    m->fwd_type == MUX_FWD_DYNAMIC ? CONFIG_FWD_DYNAMIC :
	    m->fwd_type == MUX_FWD_REMOTE ? CONFIG_FWD_REMOTE : 0;
	if (f.type == 0 || (m->listen_port > 65535 &&
	    m->listen_port != MUX_PORT_STREAMLOCAL)) {
		client_fail(cl, m->id, "bad forwarding request");
		return;
	}
	/* the master's GatewayPorts decides for an empty listen host */
	f.listen_host = m->listen_host != NULL && *m->listen_host != '\0' ?
	    m->listen_host : NULL;
	f.listen_port = m->listen_port == MUX_PORT_STREAMLOCAL ?
	    CONFIG_PORT_STREAMLOCAL : (int)m->listen_port;
	if (f.listen_port == CONFIG_PORT_STREAMLOCAL)
		f.listen_path = f.listen_host;
	f.connect_host = m->connect_host;
	f.connect_port = m->connect_port == MUX_PORT_STREAMLOCAL ?
	    CONFIG_PORT_STREAMLOCAL : (int)m->connect_port;
	if (f.connect_port == CONFIG_PORT_STREAMLOCAL)
		f.connect_path = f.connect_host;
	if (f.type == CONFIG_FWD_DYNAMIC)
		f.connect_host = NULL;
	if (m->type == MUX_C_CLOSE_FWD) {
		if ((fl = fwd_find(cl->dm, cl->pc, &f)) == NULL) {
			client_fail(cl, m->id, "unmatched forwarding");
			return;
		}
		dlog("%s: forwarding %s cancelled", cl->pc->name, fl->name);
		if (fl->remote && fl->rstate == RFWD_ACTIVE) {
			uint32_t ignored;

			/* its answer matches nothing and is dropped */
			(void)fwd_remote_send(fl, "cancel-tcpip-forward",
			    &ignored);
		}
		fwd_free(fl);
		client_ok(cl, m->id);
		return;
	}
	switch (fwd_open(cl->dm, cl->pc, &f, fwd_gateway(cl->pc->d != NULL ?
	    cl->pc->d->res : NULL), cl, 1, m->id, why, sizeof(why))) {
	case 0:
		client_ok(cl, m->id);
		return;
	case 1:
		return;     /* -R: answered when the server has */
	default:
		dlog("client %u: %s", cl->id, why);
		client_fail(cl, m->id, why);
		return;
	}
}

/* The forwardings pc carries, for status: each with the port it got
 * and how many connections it has taken. */
static void
status_forwards(struct daemon *dm, const struct pconn *pc, struct buf *b,
    int yaml)
{
	const struct fwd *fl;
	int any = 0;

	for (fl = dm->fwds; fl != NULL; fl = fl->next) {
		if (fl->pc != pc)
			continue;
		if (yaml && !any)
			(void)buf_put_cstr(b, "    forwards:\n");
		any = 1;
		if (yaml)
			(void)buf_putf(b, "      - spec: \"%s\"\n"
			    "        port: %d\n        connections: %llu\n",
			    fl->name, fl->bound_port, fl->accepted);
		else
			(void)buf_putf(b, "    forwarding %s  port %d  "
			    "connections %llu\n", fl->name, fl->bound_port,
			    fl->accepted);
	}
}

/* ------------------------------------------------------------ requests */

/* Our client sends its whole environment; ssh sends what SendEnv
 * names. */
static int
env_wanted(const struct client *cl, const char *entry)
{
	const char *eq = strchr(entry, '=');
	char name[256];
	size_t i, n;

	if (eq == NULL || (n = (size_t)(eq - entry)) >= sizeof(name))
		return 0;
	memcpy(name, entry, n);
	name[n] = '\0';
	for (i = 0; i < cl->n_sendenv; i++)
		if (config_match_pattern_list(name, cl->sendenv[i]))
			return 1;
	return 0;
}

static void
new_session(struct client *cl)
{
	struct mux_msg *m = &cl->pending;
	struct session *s;
	struct pconn *pc = cl->pc;
	size_t i;

	if (pc == NULL || pc->state == PC_DEAD) {
		client_fail(cl, m->id, cl->select_argv == NULL ?
		    "no destination selected" : cl->pc_error != NULL ?
		    cl->pc_error : "the connection failed");
		for (i = 0; i < cl->fds_got; i++)
			close(cl->fds[i]);
		cl->fds_got = 0;
		return;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		for (i = 0; i < cl->fds_got; i++)
			close(cl->fds[i]);
		cl->fds_got = 0;
		client_fail(cl, m->id, "out of memory");
		return;
	}
	s->cl = cl;
	s->pc = pc;
	pc->refs++;
	s->exit_status = -1;
	s->escape_char = -1;
	s->id = ++cl->next_session_id;
	s->req_id = m->id;
	sfd_init(&s->in);
	sfd_init(&s->out);
	sfd_init(&s->err);
	sfd_adopt(&s->in, cl->fds[0]);
	sfd_adopt(&s->out, cl->fds[1]);
	if (m->type == MUX_C_NEW_SESSION)
		sfd_adopt(&s->err, cl->fds[2]);
	cl->fds_got = 0;
	if (m->type == MUX_C_NEW_STDIO_FWD) {
		s->kind = SK_STDIO;
		s->fwd_host = strdup(m->host != NULL ? m->host : "");
		s->fwd_port = m->port;
	} else {
		const char *command = m->command;

		s->kind = SK_SESSION;
		s->want_tty = m->want_tty != 0;
		s->subsystem = m->subsystem != 0;
		if (cl->hello_seen) {
			/* our own client: the destination's ssh_config says
			 * what runs and whether with a terminal, as for ssh */
			int given = command != NULL && *command != '\0';

			if (given && cl->remote_command != NULL) {
				client_fail(cl, m->id, "Cannot execute "
				    "command-line and remote command.");
				session_free(s, 0);
				return;
			}
			if (!given && cl->remote_command != NULL)
				command = cl->remote_command;
			if (cl->session_type == STYPE_SUBSYSTEM)
				s->subsystem = 1;
			if ((m->want_tty & MUX_TTY_BY_CONFIG_MASK) ==
			    MUX_TTY_BY_CONFIG) {
				int is_tty = (m->want_tty & 1) != 0;
				int has_cmd = (command != NULL &&
				    *command != '\0') || s->subsystem;

				s->want_tty = cl->request_tty == RTTY_FORCE ||
				    (cl->request_tty == RTTY_YES && is_tty) ||
				    (cl->request_tty == RTTY_AUTO && is_tty &&
				    !has_cmd);
				if (cl->request_tty == RTTY_YES && !is_tty)
					client_message(cl, "Pseudo-terminal will "
					    "not be allocated because stdin is "
					    "not a terminal.");
			}
		}
		/* escapes only where a terminal is asked for, as in ssh:
		 * our client's from its config, a stock one's as it says */
		s->escape_char = -1;
		if (s->want_tty && cl->hello_seen)
			s->escape_char = cl->escape_char;
		else if (s->want_tty && m->escape_char != MUX_ESCAPE_NONE &&
		    m->escape_char < 256)
			s->escape_char = (int)m->escape_char;
		s->esc_state = ESC_LINE;
		s->term = m->term != NULL ? strdup(m->term) : NULL;
		s->command = command != NULL ? strdup(command) : NULL;
		if ((s->env = calloc(m->n_env + cl->n_setenv + 1,
		    sizeof(char *))) != NULL) {
			for (i = 0; i < m->n_env; i++) {
				if (cl->hello_seen && !env_wanted(cl, m->env[i]))
					continue;
				if ((s->env[s->n_env] = strdup(m->env[i])) != NULL)
					s->n_env++;
			}
			/* SetEnv after, as ssh sends it (stock clients
			 * put theirs in the message already) */
			for (i = 0; cl->hello_seen && i < cl->n_setenv; i++)
				if ((s->env[s->n_env] = strdup(cl->setenv[i])) !=
				    NULL)
					s->n_env++;
		}
	}
	s->next = cl->sessions;
	cl->sessions = s;
	if (s->kind == SK_SESSION && cl->hello_seen &&
	    cl->session_type == STYPE_NONE) {
		/* SessionType none (ssh -o SessionType=none): nothing runs;
		 * the transport is there, and the session ends at once */
		struct mux_msg r;

		memset(&r, 0, sizeof(r));
		r.type = MUX_S_SESSION_OPENED;
		r.id = m->id;
		r.session_id = s->id;
		(void)client_send(cl, &r);
		s->exit_status = 0;
		s->closed_remote = 1;
		session_free(s, 1);
		return;
	}
	if (pc->state == PC_READY && session_start(s) != ERR_OK) {
		client_fail(cl, m->id, "cannot open a channel");
		session_free(s, 0);
		return;
	}
	pconn_refresh(pc);
}

static void
daemon_stop(struct daemon *dm)
{
	dm->stopping = 1;
	loop_stop(dm->loop);
}

/* One decoded request from a client. */
static void
client_request(struct client *cl, struct mux_msg *m)
{
	struct daemon *dm = cl->dm;
	struct mux_msg r;
	char *text;

	memset(&r, 0, sizeof(r));
	switch (m->type) {
	case MUX_MSG_HELLO:
		if (m->version != MUX_PROTOCOL_VERSION) {
			dlog("client %u: protocol version %u, not %u", cl->id,
			    m->version, MUX_PROTOCOL_VERSION);
			cl->closing = 1;
		}
		return;
	case MUX_C_ALIVE_CHECK:
		r.type = MUX_S_ALIVE;
		r.id = m->id;
		/* safe to signal: stock clients relay SIGWINCH here, which
		 * the daemon takes as "look at the terminals' sizes" */
		r.pid = (uint32_t)getpid();
		(void)client_send(cl, &r);
		return;
	case MUX_C_TERMINATE:
		/* ssh -O exit: the master goes; on our control socket that
		 * is the one connection the client selected, else all */
		client_ok(cl, m->id);
		if (cl->pc != NULL)
			pconn_fail(cl->pc, "closed on request (-O exit)");
		return;
	case MUX_C_STOP_LISTENING:
		/* ssh -O stop: no new clients by the ControlPath; the
		 * connection serves its sessions until they end */
		if (cl->pc != NULL)
			pconn_stop_listening(cl->pc);
		client_ok(cl, m->id);
		return;
	case MUX_C_EXT_SELECT:
		argv_free(cl->select_argv, cl->select_argc);
		cl->select_argv = calloc(m->argc + 1, sizeof(char *));
		cl->select_argc = 0;
		if (cl->select_argv != NULL) {
			size_t i;

			for (i = 0; i < m->argc; i++)
				if ((cl->select_argv[i] = strdup(m->argv[i])) !=
				    NULL)
					cl->select_argc++;
		}
		cl->pending.type = MUX_C_EXT_SELECT;
		cl->pending.id = m->id;
		if (start_resolve(cl, m->id, m->argv, m->argc) != ERR_OK)
			client_fail(cl, m->id, "out of memory");
		return;
	case MUX_C_EXT_PREWARM:
		cl->pending.type = MUX_C_EXT_PREWARM;
		cl->pending.id = m->id;
		if (start_resolve(cl, m->id, m->argv, m->argc) != ERR_OK)
			client_fail(cl, m->id, "out of memory");
		return;
	case MUX_C_EXT_RESOLVE:
		if (start_resolve_job(cl, m->id, m->argv, m->argc, JOB_PRINT,
		    0) != ERR_OK)
			client_fail(cl, m->id, "out of memory");
		return;
	case MUX_C_EXT_STATUS:
		text = status_text(dm, m->format != NULL &&
		    strcmp(m->format, "yaml") == 0);
		client_text(cl, MUX_S_EXT_TEXT, m->id, text != NULL ? text : "");
		free(text);
		return;
	case MUX_C_EXT_CLOSE: {
		struct pconn *pc;
		int n = 0;

		for (pc = dm->conns; pc != NULL; pc = pc->next) {
			if (m->argc > 0 && strcmp(pc->name,
			    m->argv[m->argc - 1]) == 0) {
				pconn_fail(pc, "closed on request");
				n++;
				break;
			}
		}
		if (n > 0)
			client_ok(cl, m->id);
		else
			client_fail(cl, m->id, "no such connection");
		return;
	}
	case MUX_C_EXT_ANSWER: {
		struct pconn *pc;

		for (pc = dm->conns; pc != NULL; pc = pc->next) {
			if (pc->prompt_client == cl->id && pc->prompt_id == m->id) {
				pconn_answer(pc, m->given ? m->answer : NULL);
				break;
			}
		}
		return;
	}
	case MUX_C_OPEN_FWD:
	case MUX_C_CLOSE_FWD:
		fwd_request(cl, m);
		return;
	case MUX_C_EXT_STOP:
		client_ok(cl, m->id);
		dlog("stopping on request of client %u", cl->id);
		daemon_stop(dm);
		return;
	default:
		r.type = MUX_S_FAILURE;
		r.id = m->id;
		r.reason = "not supported by sshbroker";
		(void)client_send(cl, &r);
		return;
	}
}

/* Reads frames (and the fds after them) while the client may go on. */
static void
client_resume(struct client *cl)
{
	const unsigned char *p;
	const char *why;
	size_t len;
	struct mux_msg m;
	int r;

	while (!cl->closing && !cl->waiting) {
		if (cl->fds_wanted > cl->fds_got) {
			int fd;

			r = sock_recv_fd(cl->fd, &fd);
			if (r == ERR_AGAIN)
				break;
			if (r != ERR_OK) {
				dlog("client %u: expected a file descriptor: %s",
				    cl->id, r == ERR_DISCONNECTED ? "gone" :
				    "a message without one");
				cl->closing = 1;
				break;
			}
			cl->fds[cl->fds_got++] = fd;
			if (cl->fds_got == cl->fds_wanted) {
				cl->fds_wanted = 0;
				new_session(cl);
				mux_msg_free(&cl->pending);
				cl->have_pending = 0;
			}
			continue;
		}
		r = mux_frame_next(cl->in, &p, &len, &why);
		if (r == ERR_AGAIN)
			break;
		if (r != ERR_OK) {
			dlog("client %u: %s", cl->id, why);
			cl->closing = 1;
			break;
		}
		r = mux_decode_from_client(p, len, &m, &why);
		if (r == ERR_NOT_FOUND && cl->hello_got) {
			client_fail(cl, m.id, "unknown request");
			continue;
		}
		if (r == ERR_NOT_FOUND) {
			dlog("client %u: %s before HELLO", cl->id,
			    mux_type_name(m.type));
			cl->closing = 1;
			break;
		}
		if (r != ERR_OK) {
			dlog("client %u: %s", cl->id, why);
			cl->closing = 1;
			break;
		}
		if (!cl->hello_got && m.type != MUX_MSG_HELLO) {
			dlog("client %u: %s before HELLO", cl->id,
			    mux_type_name(m.type));
			mux_msg_free(&m);
			cl->closing = 1;
			break;
		}
		if (m.type == MUX_MSG_HELLO) {
			cl->hello_got = 1;
			cl->hello_seen = mux_hello_find_ext(&m,
			    MUX_EXT_SSHBROKER) != NULL;
			client_request(cl, &m);
			mux_msg_free(&m);
			continue;
		}
		if (mux_fds_after(m.type) > 0) {
			/* the fds come next, each on a byte of its own: the
			 * byte stream pauses here until they are in */
			mux_msg_free(&cl->pending);
			cl->pending = m;
			cl->have_pending = 1;
			cl->fds_wanted = mux_fds_after(m.type);
			cl->fds_got = 0;
			if (buf_len(cl->in) > 0) {
				/* fds travel with their own one-byte messages:
				 * anything already read past the frame is not
				 * what a client sends */
				dlog("client %u: data where file descriptors "
				    "were due", cl->id);
				cl->closing = 1;
			}
			continue;
		}
		client_request(cl, &m);
		mux_msg_free(&m);
	}
	client_update(cl);
}

/* How many bytes complete the frame being read (its length first). */
static size_t
frame_need(const struct buf *in)
{
	const unsigned char *p = buf_ptr(in);
	size_t have = buf_len(in);
	uint32_t len;

	if (have < 4)
		return 4 - have;
	len = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
	/* an oversized length is refused by mux_frame_next() before any
	 * of it is read */
	if (len > MUX_FRAME_MAX || 4 + (size_t)len <= have)
		return 1;
	return 4 + (size_t)len - have;
}

static void
client_io_cb(void *ctx, unsigned int events)
{
	struct client *cl = ctx;
	unsigned char chunk[16384];
	ssize_t n;

	if ((events & LOOP_OUT) && buf_len(cl->out) > 0) {
		n = send(cl->fd, buf_ptr(cl->out), buf_len(cl->out),
		    MSG_NOSIGNAL);
		if (n > 0)
			(void)buf_consume(cl->out, (size_t)n);
		else if (n < 0 && errno != EAGAIN && errno != EINTR) {
			client_close(cl);
			return;
		}
	}
	if ((events & (LOOP_IN | LOOP_ERR)) && !cl->closing &&
	    cl->fds_wanted <= cl->fds_got) {
		/* never past the end of the current frame: the fds after a
		 * NEW_SESSION ride on bytes of their own that recvmsg() must
		 * take, and a plain read would drop them */
		n = recv(cl->fd, chunk, frame_need(cl->in), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			client_close(cl);
			return;
		}
		if (n > 0 && buf_put(cl->in, chunk, (size_t)n) != ERR_OK) {
			dlog("client %u: sends more than a frame's worth",
			    cl->id);
			client_close(cl);
			return;
		}
	} else if ((events & LOOP_ERR) && cl->fds_wanted > cl->fds_got) {
		/* gone while fds were due */
		client_resume(cl);
		if (cl->closing) {
			client_close(cl);
			return;
		}
	}
	mem_wipe(chunk, sizeof(chunk));
	client_resume(cl);
	if (cl->closing && buf_len(cl->out) == 0)
		client_close(cl);
}

static void
client_update(struct client *cl)
{
	unsigned int ev = 0;

	if (cl->h == NULL)
		return;
	if (buf_len(cl->out) > 0)
		ev |= LOOP_OUT;
	if (!cl->closing && !cl->waiting)
		ev |= LOOP_IN;
	if (cl->closing && buf_len(cl->out) == 0 && cl->sessions == NULL)
		ev |= LOOP_OUT;  /* come back once to close */
	(void)loop_fd_set_events(cl->h, ev);
}

static void
client_close(struct client *cl)
{
	struct client **pp;
	size_t i;

	/* a forwarding's holder goes with its forwarding */
	if (cl->fwd != NULL) {
		fwd_free(cl->fwd);
		return;
	}

	for (pp = &cl->dm->clients; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == cl) {
			*pp = cl->next;
			break;
		}
	}
	/* the client went away: its sessions end with it, and a question
	 * it was asked gets no answer */
	while (cl->sessions != NULL)
		session_free(cl->sessions, 0);
	{
		struct pconn *pc, *next;

		for (pc = cl->dm->conns; pc != NULL; pc = next) {
			next = pc->next;
			if (pc->prompt_client == cl->id)
				pconn_answer(pc, NULL);
		}
	}
	for (i = 0; i < cl->fds_got; i++)
		close(cl->fds[i]);
	mux_msg_free(&cl->pending);
	argv_free(cl->select_argv, cl->select_argc);
	argv_free(cl->sendenv, cl->n_sendenv);
	argv_free(cl->setenv, cl->n_setenv);
	free(cl->remote_command);
	free(cl->pc_error);
	if (cl->pc != NULL)
		pconn_release(cl->pc);
	if (cl->h != NULL)
		loop_fd_del(cl->h);
	if (cl->fd != -1)
		close(cl->fd);
	buf_free(cl->in);
	buf_free(cl->out);
	free(cl);
}

static void
accept_clients(struct daemon *dm, int listen_fd, struct pconn *bound)
{
	struct client *cl;
	struct mux_msg hello;
	struct mux_ext ext;
	int fd, pid, i;

	for (i = 0; i < 64; i++) {
		fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC |
		    SOCK_NONBLOCK);
		if (fd == -1)
			return;
		/* before a byte is read: the peer must be our own user */
		if (!sock_peer_is_us(fd, &pid)) {
			dlog("refused a connection from another user (pid %d)",
			    pid);
			close(fd);
			continue;
		}
		if ((cl = calloc(1, sizeof(*cl))) == NULL ||
		    (cl->in = buf_new_secret(CLIENT_IN_MAX)) == NULL ||
		    (cl->out = buf_new(0)) == NULL) {
			if (cl != NULL)
				buf_free(cl->in);
			free(cl);
			close(fd);
			continue;
		}
		cl->dm = dm;
		cl->fd = fd;
		cl->pid = pid;
		if (bound != NULL) {
			cl->pc = bound;
			bound->refs++;
		}
		cl->id = ++dm->next_client;
		cl->next = dm->clients;
		dm->clients = cl;
		if (loop_fd_add(dm->loop, fd, LOOP_IN, client_io_cb, cl,
		    &cl->h) != ERR_OK) {
			client_close(cl);
			continue;
		}
		/* the master speaks first */
		mux_hello_sshbroker(&hello, &ext);
		(void)client_send(cl, &hello);
	}
}

static void
listen_cb(void *ctx, unsigned int events)
{
	struct daemon *dm = ctx;

	(void)events;
	accept_clients(dm, dm->listen_fd, NULL);
}

static void
control_path_cb(void *ctx, unsigned int events)
{
	struct pconn *pc = ctx;

	(void)events;
	accept_clients(pc->dm, pc->cp_fd, pc);
}

/* ssh -O stop, or the connection going away: the ControlPath goes. */
static void
pconn_stop_listening(struct pconn *pc)
{
	if (pc->cp_h != NULL)
		loop_fd_del(pc->cp_h);
	pc->cp_h = NULL;
	if (pc->cp_fd > 0) {
		(void)unlink(pc->control_path);
		close(pc->cp_fd);
	}
	pc->cp_fd = -1;
	free(pc->control_path);
	pc->control_path = NULL;
}

/*
 * A connection whose configuration names a ControlPath gets that socket
 * while it lives, so that stock ssh (ControlMaster auto or no), scp,
 * rsync and git reuse it.  A live master already there (ssh's own, or
 * ours for the same path) keeps it.
 */
static void
pconn_listen_control_path(struct pconn *pc)
{
	pconn_listen_control_path_at(pc, direct_cfg(pc->d, "controlpath"));
}

/* Serves path (taken; NULL or "none": nothing) for pc, unless pc serves
 * one already: a later request whose configuration names a ControlPath
 * gets it on the transport it reuses. */
static void
pconn_listen_control_path_at(struct pconn *pc, char *path)
{
	char why[512];
	struct settings_for f;

	dest_settings(pc->dm, pc->name, &f);
	if (!f.control_path) {
		free(path);
		return;
	}
	if (path == NULL || strcmp(path, "none") == 0 || pc->cp_fd > 0) {
		free(path);
		return;
	}
	if (sock_listen(path, 1, &pc->cp_fd, why, sizeof(why)) != ERR_OK) {
		dlog("%s: ControlPath not served: %s", pc->name, why);
		pc->cp_fd = -1;
		free(path);
		return;
	}
	if (loop_fd_add(pc->dm->loop, pc->cp_fd, LOOP_IN, control_path_cb, pc,
	    &pc->cp_h) != ERR_OK) {
		(void)unlink(path);
		close(pc->cp_fd);
		pc->cp_fd = -1;
		free(path);
		return;
	}
	pc->control_path = path;
	dlog("%s: serving ControlPath %s", pc->name, path);
}

static void
on_signal(void *ctx, int signo)
{
	struct daemon *dm = ctx;
	struct client *cl;
	struct session *s;

	switch (signo) {
	case SIGWINCH:
		for (cl = dm->clients; cl != NULL; cl = cl->next)
			for (s = cl->sessions; s != NULL; s = s->next)
				session_check_winsize(s);
		return;
	case SIGHUP: {
		/* a bad new file keeps the settings in force */
		struct settings *n = NULL, **keep;
		char err[512];

		if (settings_load(NULL, &n, err, sizeof(err)) != ERR_OK) {
			dlog("SIGHUP: settings kept: %s", err);
			return;
		}
		if ((keep = realloc(dm->old_settings, (dm->n_old_settings + 1) *
		    sizeof(*keep))) == NULL) {
			settings_free(n);
			return;
		}
		dm->old_settings = keep;
		dm->old_settings[dm->n_old_settings++] = dm->settings;
		dm->settings = n;
		dlog("SIGHUP: settings reloaded from %s",
		    settings_path(n) != NULL ? settings_path(n) : "(defaults)");
		return;
	}
	default:
		dlog("signal %d: shutting down", signo);
		daemon_stop(dm);
		return;
	}
}

int
cmd_daemon(int argc, char **argv)
{
	struct daemon dm;
	char why[512];
	int r, status = 1, i;
	const char *idle = getenv("SSHBROKER_IDLE_SECONDS");

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--foreground") != 0 &&
		    strcmp(argv[i], "-f") != 0) {
			fprintf(stderr, "usage: sshbroker daemon [--foreground]\n");
			return 2;
		}
	}
	memset(&dm, 0, sizeof(dm));
	dm.listen_fd = dm.lock_fd = -1;
	dm.idle_from_env = idle != NULL && atoi(idle) > 0;
	dm.idle_ms = dm.idle_from_env ? (uint64_t)atoi(idle) * 1000 :
	    IDLE_DEFAULT_MS;
	if (settings_load(NULL, &dm.settings, why, sizeof(why)) != ERR_OK) {
		fprintf(stderr, "sshbroker daemon: %s\n", why);
		return 1;
	}
	/* keys and session secrets live here: no core dumps, no ptrace by
	 * other processes of the same user */
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	{
		/* a socket per transport: as many as the hard limit allows */
		struct rlimit rl;

		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max;
			(void)setrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	/* started as /proc/self/exe it would show as "exe" in ps */
	(void)prctl(PR_SET_NAME, "sshbroker", 0, 0, 0);
	(void)signal(SIGPIPE, SIG_IGN);
	if ((getenv("SSHBROKER_SOCKET") == NULL ||
	    *getenv("SSHBROKER_SOCKET") == '\0') &&
	    settings_socket(dm.settings) != NULL) {
		if ((size_t)snprintf(dm.path, sizeof(dm.path), "%s",
		    settings_socket(dm.settings)) >= sizeof(dm.path)) {
			fprintf(stderr, "sshbroker daemon: socket path too "
			    "long\n");
			goto out;
		}
	} else if (sock_control_path(dm.path, sizeof(dm.path)) != ERR_OK) {
		fprintf(stderr, "sshbroker daemon: control socket path too "
		    "long\n");
		goto out;
	}
	if (sock_private_dir(dm.path, why, sizeof(why)) != ERR_OK) {
		fprintf(stderr, "sshbroker daemon: %s\n", why);
		goto out;
	}
	if ((r = sock_lock(dm.path, &dm.lock_fd)) != ERR_OK) {
		fprintf(stderr, "sshbroker daemon: %s\n", r == ERR_AGAIN ?
		    "another daemon runs for this user" : strerror(errno));
		if (r == ERR_AGAIN)
			status = 3;
		goto out;
	}
	/* we hold the lock: whatever socket is there is a dead daemon's */
	if (sock_listen(dm.path, 1, &dm.listen_fd, why, sizeof(why)) !=
	    ERR_OK) {
		fprintf(stderr, "sshbroker daemon: %s\n", why);
		goto out;
	}
	if (loop_new(&dm.loop) != ERR_OK ||
	    loop_signal_add(dm.loop, SIGTERM, on_signal, &dm) != ERR_OK ||
	    loop_signal_add(dm.loop, SIGINT, on_signal, &dm) != ERR_OK ||
	    loop_signal_add(dm.loop, SIGHUP, on_signal, &dm) != ERR_OK ||
	    loop_signal_add(dm.loop, SIGWINCH, on_signal, &dm) != ERR_OK ||
	    workq_new(dm.loop, 1, DAEMON_WORKERS_MAX, &dm.wq) != ERR_OK ||
	    loop_fd_add(dm.loop, dm.listen_fd, LOOP_IN, listen_cb, &dm,
	    &dm.listen_h) != ERR_OK) {
		fprintf(stderr, "sshbroker daemon: cannot set up the event "
		    "loop\n");
		goto out;
	}
	loop_set_before_sleep(dm.loop, before_sleep, &dm);
	direct_set_keepalive_default(keepalive_default, &dm);
	direct_set_child_disposer(dispose_child, &dm);
	dm.started_ms = loop_now_ms(dm.loop);
	dlog("listening on %s%s%s", dm.path, settings_path(dm.settings) != NULL ?
	    ", settings from " : "", settings_path(dm.settings) != NULL ?
	    settings_path(dm.settings) : "");
	prewarm_all(&dm);
	if (loop_run(dm.loop) != ERR_OK)
		dlog("event loop failed: %s", strerror(errno));
	status = 0;
 out:
	/* clean shutdown: clients told, connections closed, socket gone */
	while (dm.clients != NULL) {
		struct client *cl = dm.clients;
		struct session *s;

		for (s = cl->sessions; s != NULL; s = s->next) {
			if (s->opened)
				client_message(cl,
				    "sshbroker: the daemon is shutting down");
			s->exit_status = 255;
		}
		while (cl->sessions != NULL)
			session_free(cl->sessions, 1);
		if (buf_len(cl->out) > 0)
			(void)send(cl->fd, buf_ptr(cl->out), buf_len(cl->out),
			    MSG_NOSIGNAL | MSG_DONTWAIT);
		client_close(cl);
	}
	while (dm.conns != NULL)
		pconn_fail(dm.conns, "the daemon is shutting down");
	workq_free(dm.wq);
	dm.wq = NULL;
	if (dm.listen_h != NULL)
		loop_fd_del(dm.listen_h);
	if (dm.listen_fd != -1) {
		(void)unlink(dm.path);
		close(dm.listen_fd);
	}
	loop_free(dm.loop);
	direct_set_keepalive_default(NULL, NULL);
	direct_set_child_disposer(NULL, NULL);
	settings_free(dm.settings);
	{
		size_t k;

		for (k = 0; k < dm.n_old_settings; k++)
			settings_free(dm.old_settings[k]);
		free(dm.old_settings);
	}
	if (dm.lock_fd != -1)
		close(dm.lock_fd);
	if (dm.loop != NULL)
		dlog("stopped");
	return status;
}
