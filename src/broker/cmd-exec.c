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
#include "broker/tty.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/mem.h"
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "transport/agent.h"
#include "transport/transport.h"
#include "transport/userkey.h"



enum session_type { SESSION_NONE, SESSION_SUBSYSTEM, SESSION_DEFAULT };

struct exec_state {
	struct direct *d;
	int want_pty;
	enum session_type session;
	const char *fwd_host;   /* -W host:port */
	int fwd_port;
	char *command;          /* the command, or the subsystem's name */
	uint32_t chan;
	int opened, closed, exit_status, stdin_done;
	/* stdin bytes read but not yet taken by the channel */
	unsigned char in[256 * 1024];
	size_t in_off, in_len;
};

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
	/* SetEnv last, as ssh sends it: it wins over a SendEnv of the
	 * same name */
	for (i = 0; r == ERR_OK && i < 256; i++) {
		if ((v = config_result_get_dup(s->d->res, "setenv", i)) == NULL)
			break;
		if ((eq = strchr(v, '=')) != NULL)
			r = send_env_pair(s, v, (size_t)(eq - v), eq + 1);
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

	tty_size_changed = 0;
	if (!s->opened || s->closed || (f = buf_new(0)) == NULL)
		return;
	window_size(&cols, &rows, &xp, &yp);
	if (buf_put_u32(f, cols) == ERR_OK && buf_put_u32(f, rows) == ERR_OK &&
	    buf_put_u32(f, xp) == ERR_OK && buf_put_u32(f, yp) == ERR_OK)
		(void)channel_request(s->d->t, s->chan, "window-change", 0,
		    buf_ptr(f), buf_len(f));
	buf_free(f);
}

/* -s: the command line names a subsystem (sftp, ...) */
static int
request_subsystem(struct exec_state *s)
{
	struct buf *f = buf_new(0);
	int r = ERR_NOMEM;

	if (f != NULL && (r = buf_put_cstring(f, s->command)) == ERR_OK)
		r = channel_request(s->d->t, s->chan, "subsystem", 1,
		    buf_ptr(f), buf_len(f));
	buf_free(f);
	return r == ERR_OK ? 0 : -1;
}

static int
on_event(void *ctx, const struct transport_event *ev)
{
	struct exec_state *s = ctx;
	struct transport *t = s->d->t;

	switch (ev->type) {
	case TRANSPORT_EV_AUTHENTICATED:
		if (s->fwd_host != NULL)
			/* -W: as ssh's stdio forward names its origin */
			return channel_open_direct_tcpip(t, s->fwd_host,
			    (uint32_t)s->fwd_port, "127.0.0.1", 65535,
			    &s->chan) == ERR_OK ? 0 : -1;
		if (s->session == SESSION_NONE)
			return 0;   /* -N: hold the connection, run nothing */
		return channel_open_session(t, &s->chan) == ERR_OK ? 0 : -1;
	case TRANSPORT_EV_CHANNEL_OPEN:
		s->opened = 1;
		if (s->fwd_host != NULL)
			return 0;
		if (s->want_pty && request_pty(s) != ERR_OK)
			return -1;
		if (send_environment(s) != ERR_OK)
			return -1;
		if (s->session == SESSION_SUBSYSTEM)
			return request_subsystem(s);
		if (s->command != NULL)
			return channel_request_exec(t, s->chan, s->command) ==
			    ERR_OK ? 0 : -1;
		return channel_request(t, s->chan, "shell", 1, NULL, 0) ==
		    ERR_OK ? 0 : -1;
	case TRANSPORT_EV_CHANNEL_OPEN_FAILED:
		if (s->fwd_host != NULL)
			fprintf(stderr, "sshbroker: stdio forwarding to %s port %d "
			    "failed: %s\n", s->fwd_host, s->fwd_port, ev->line);
		else
			fprintf(stderr, "sshbroker: channel refused: %s\n",
			    ev->line);
		return -1;
	case TRANSPORT_EV_CHANNEL_REQUEST_REPLY:
		if (!ev->code) {
			fprintf(stderr, s->session == SESSION_SUBSYSTEM ?
			    "sshbroker: the server refused the subsystem %s\n" :
			    "sshbroker: the server refused to run the command%s\n",
			    s->session == SESSION_SUBSYSTEM ? s->command : "");
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
	case TRANSPORT_EV_CHANNEL_EOF: {
		/* nothing more comes: whoever reads our stdout (a pipe, the
		 * ssh using us as its ProxyCommand) sees the end now */
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

		if (null != -1) {
			(void)dup2(null, STDOUT_FILENO);
			close(null);
		}
		return 0;
	}
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
	{
		/* our own options first; without --direct the daemon runs
		 * the session */
		int i, direct = 0;

		for (i = 0; i < argc && strncmp(argv[i], "--", 2) == 0 &&
		    argv[i][2] != '\0'; i++)
			if (strcmp(argv[i], "--direct") == 0)
				direct = 1;
		if (!direct)
			return cmd_exec_daemon(argc, argv);
		argc -= i - 1;
		argv += i - 1;
	}
	(void)signal(SIGPIPE, SIG_IGN);
	if (direct_open(&d, argc - 1, argv + 1, NULL) != 0) {
		direct_close(&d);
		return 255;
	}
	s.d = &d;
	{
		/* -L, -D, LocalForward...: the daemon holds forwardings; a
		 * single process that ends with its command does not, and
		 * says so rather than leave them silently out */
		struct config_forward f;
		char *strict = direct_cfg(&d, "exitonforwardfailure");
		size_t i;
		int any = 0;

		for (i = 0; i < 256 && config_result_forward(d.res, i, &f); i++) {
			fprintf(stderr, "sshbroker: --direct sets up no "
			    "forwarding (%s %d): use the daemon\n",
			    f.type == CONFIG_FWD_REMOTE ? "RemoteForward" :
			    f.type == CONFIG_FWD_DYNAMIC ? "DynamicForward" :
			    "LocalForward", f.listen_port);
			any = 1;
		}
		if (any && strict != NULL && strcmp(strict, "yes") == 0) {
			free(strict);
			direct_close(&d);
			return 255;
		}
		free(strict);
	}
	{
		char *st = direct_cfg(&d, "sessiontype");

		s.session = st == NULL ? SESSION_DEFAULT :
		    strcmp(st, "none") == 0 ? SESSION_NONE :
		    strcmp(st, "subsystem") == 0 ? SESSION_SUBSYSTEM :
		    SESSION_DEFAULT;
		free(st);
	}
	s.fwd_host = config_result_stdio_forward(d.res, &s.fwd_port);
	if (s.fwd_host != NULL && s.fwd_port < 0) {
		fprintf(stderr, "sshbroker: -W to a Unix socket is not "
		    "supported\n");
		direct_close(&d);
		return 255;
	}
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
			tty_watch_size();
		}
	}
	for (;;) {
		if (tty_size_changed)
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
	free(s.command);
	direct_close(&d);
	tty_restore();
	/* a stdio forward has no remote status: it ends well by closing */
	if (s.closed && s.fwd_host != NULL && s.exit_status < 0)
		return 0;
	if (!s.closed || s.exit_status < 0)
		return 255;
	return s.exit_status;
}
