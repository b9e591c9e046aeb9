/*
 * The command line's side of the daemon: `sshbroker exec` (without
 * --direct), `connect`, `status`, `close` and `stop` talk PROTOCOL.mux
 * to the daemon's control socket, starting the daemon first when none
 * runs (unless --no-autostart).  exec passes its stdin, stdout and
 * stderr to the daemon, which runs the session on a pooled connection;
 * the exit status comes back in the exit message.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "broker/broker.h"
#include "broker/login.h"
#include "broker/mux.h"
#include "broker/settings.h"
#include "broker/sock.h"
#include "broker/tty.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/mem.h"

#define AUTOSTART_WAIT_MS 5000

struct mux_conn {
	int fd;
	struct buf *in;
	uint32_t next_id;
};

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
closefrom_3(void)
{
	long max = sysconf(_SC_OPEN_MAX);
	int fd;

	if (syscall(SYS_close_range, 3U, ~0U, 0U) == 0)
		return;
	for (fd = 3; fd < (max > 0 && max < 65536 ? max : 65536); fd++)
		(void)close(fd);
}

/* Starts `sshbroker daemon` in the background, detached from us: its
 * own session, stdio on /dev/null but for a log next to the socket. */
static int
spawn_daemon(const char *path)
{
	char dir[108], log[128], why[256], core[PATH_MAX];
	pid_t pid;
	int fd, status;

	if (sock_private_dir(path, why, sizeof(why)) != ERR_OK) {
		fprintf(stderr, "sshbroker: %s\n", why);
		return -1;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	if (strrchr(dir, '/') != NULL)
		*strrchr(dir, '/') = '\0';
	snprintf(log, sizeof(log), "%s/daemon.log", dir);
	if (core_path(core, sizeof(core)) == NULL) {
		fprintf(stderr, "sshbroker: cannot start the daemon: "
		    "sshbroker-core is neither next to this program nor in %s\n",
		    PKGLIBEXECDIR);
		return -1;
	}
	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		/* a grandchild, so that nobody has to reap the daemon */
		if (fork() != 0)
			_exit(0);
		(void)setsid();
		/* nothing of the client's stays open in the daemon: a pipe
		 * its caller reads to the end (a $(...) capture) would never
		 * see that end */
		closefrom_3();
		if ((fd = open("/dev/null", O_RDWR)) != -1) {
			(void)dup2(fd, 0);
			(void)dup2(fd, 1);
			close(fd);
		}
		if ((fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
		    0600)) != -1) {
			(void)dup2(fd, 2);
			close(fd);
		}
		execl(core, "sshbroker", "daemon", (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	return 0;
}

/* Connects to the daemon, starting it when allowed. */
static int
daemon_connect(int autostart, int *fdp)
{
	char path[108];
	uint64_t until;
	const char *env = getenv("SSHBROKER_SOCKET");
	struct settings *st = NULL;
	char err[512];
	int r;

	/* the environment, then the settings file's socket:, then the
	 * default place */
	if ((env == NULL || *env == '\0') &&
	    settings_load(NULL, &st, err, sizeof(err)) == ERR_OK &&
	    settings_socket(st) != NULL) {
		r = (size_t)snprintf(path, sizeof(path), "%s",
		    settings_socket(st)) < sizeof(path) ? ERR_OK : ERR_TOO_LONG;
	} else
		r = sock_control_path(path, sizeof(path));
	settings_free(st);
	if (r != ERR_OK) {
		fprintf(stderr, "sshbroker: control socket path too long\n");
		return -1;
	}
	if (sock_connect(path, fdp) == ERR_OK)
		return 0;
	if (!autostart) {
		fprintf(stderr, "sshbroker: no daemon listens on %s\n", path);
		return -1;
	}
	if (spawn_daemon(path) != 0)
		return -1;
	until = now_ms() + AUTOSTART_WAIT_MS;
	while (now_ms() < until) {
		if (sock_connect(path, fdp) == ERR_OK)
			return 0;
		(void)poll(NULL, 0, 10);
	}
	fprintf(stderr, "sshbroker: the daemon did not come up on %s\n", path);
	return -1;
}

static int
send_msg(struct mux_conn *c, const struct mux_msg *m)
{
	struct buf *b = buf_new(0);
	size_t off = 0;
	ssize_t n;
	int r;

	if (b == NULL)
		return -1;
	if ((r = mux_encode(b, m)) != ERR_OK) {
		buf_free(b);
		return -1;
	}
	while (off < buf_len(b)) {
		n = send(c->fd, buf_ptr(b) + off, buf_len(b) - off,
		    MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			buf_free(b);
			return -1;
		}
		off += (size_t)n;
	}
	buf_free(b);
	return 0;
}

/* The next message from the daemon; 0, or -1 when it went away. */
static int
recv_msg(struct mux_conn *c, struct mux_msg *m)
{
	const unsigned char *p;
	const char *why;
	unsigned char chunk[16384];
	size_t len;
	ssize_t n;
	int r;

	for (;;) {
		r = mux_frame_next(c->in, &p, &len, &why);
		if (r == ERR_OK) {
			if (mux_decode_from_master(p, len, m, &why) != ERR_OK) {
				fprintf(stderr, "sshbroker: bad message from the "
				    "daemon: %s\n", why);
				return -1;
			}
			return 0;
		}
		if (r != ERR_AGAIN) {
			fprintf(stderr, "sshbroker: bad frame from the daemon: "
			    "%s\n", why);
			return -1;
		}
		n = recv(c->fd, chunk, sizeof(chunk), 0);
		if (n < 0 && errno == EINTR)
			return -2;      /* a signal: let the caller look */
		if (n <= 0)
			return -1;
		if (buf_put(c->in, chunk, (size_t)n) != ERR_OK)
			return -1;
	}
}

static int
mux_open(int autostart, struct mux_conn *c)
{
	struct mux_msg m;
	struct mux_ext ext;
	int r;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	if ((c->in = buf_new(0)) == NULL)
		return -1;
	if (daemon_connect(autostart, &c->fd) != 0)
		return -1;
	while ((r = recv_msg(c, &m)) == -2)
		;
	if (r != 0 || m.type != MUX_MSG_HELLO) {
		fprintf(stderr, "sshbroker: the daemon did not say hello\n");
		mux_msg_free(&m);
		return -1;
	}
	mux_msg_free(&m);
	mux_hello_sshbroker(&m, &ext);
	return send_msg(c, &m);
}

static void
mux_close(struct mux_conn *c)
{
	if (c->fd != -1)
		close(c->fd);
	buf_free(c->in);
	c->fd = -1;
	c->in = NULL;
}

/* The daemon asks (a passphrase, a password, a host key): our terminal
 * or SSH_ASKPASS answers, as ssh would ask itself. */
static void
answer_prompt(struct mux_conn *c, const struct mux_msg *q)
{
	struct mux_msg a;
	char *answer = login_ask(NULL, q->prompt, q->echo);

	memset(&a, 0, sizeof(a));
	a.type = MUX_C_EXT_ANSWER;
	a.id = q->id;
	a.given = answer != NULL;
	a.answer = answer != NULL ? answer : "";
	(void)send_msg(c, &a);
	if (answer != NULL)
		mem_freezero(answer, strlen(answer));
}

/*
 * Sends m and waits for its reply, printing EXT_MESSAGE lines and
 * answering questions as they come.  0 with *reply set (caller frees),
 * or -1.
 */
static int
request(struct mux_conn *c, struct mux_msg *m, struct mux_msg *reply)
{
	int r;

	m->id = ++c->next_id;
	if (send_msg(c, m) != 0)
		return -1;
	for (;;) {
		if ((r = recv_msg(c, reply)) == -2)
			continue;
		if (r != 0)
			return -1;
		if (reply->type == MUX_S_EXT_MESSAGE) {
			fprintf(stderr, "%s\n", reply->text);
			mux_msg_free(reply);
			continue;
		}
		if (reply->type == MUX_S_EXT_PROMPT) {
			answer_prompt(c, reply);
			mux_msg_free(reply);
			continue;
		}
		return 0;
	}
}

/* ssh's options that take an argument, and where the destination is:
 * argv[*destp]; the command follows it.  -s and -N are noted: they
 * change what the client asks for (-t and -T are the daemon's, in the
 * RequestTTY it resolves). */
static int
find_destination(int argc, char **argv, int *destp, int *subsystem,
    int *no_command)
{
	static const char with_arg[] = "bceilmopBDEFIJLOQRSWw";
	int i, j;

	*subsystem = *no_command = 0;
	for (i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (a[0] != '-' || a[1] == '\0')
			break;
		for (j = 1; a[j] != '\0'; j++) {
			if (strchr(with_arg, a[j]) != NULL) {
				if (a[j + 1] == '\0')
					i++;
				break;
			}
			if (a[j] == 's')
				*subsystem = 1;
			else if (a[j] == 'N')
				*no_command = 1;
		}
	}
	if (i >= argc) {
		fprintf(stderr, "sshbroker: no destination given\n");
		return -1;
	}
	*destp = i;
	return 0;
}

/* EXT_SELECT, EXT_PREWARM, EXT_CLOSE: the ssh-style words up to and
 * with the destination. */
static int
argv_request(struct mux_conn *c, uint32_t type, int argc, char **argv,
    struct mux_msg *reply)
{
	struct mux_msg m;

	memset(&m, 0, sizeof(m));
	m.type = type;
	m.argv = (const char *const *)argv;
	m.argc = (size_t)argc;
	return request(c, &m, reply);
}

static int
report_failure(const struct mux_msg *reply, const char *what)
{
	if (reply->type == MUX_S_FAILURE || reply->type ==
	    MUX_S_PERMISSION_DENIED)
		fprintf(stderr, "%s\n", reply->reason != NULL &&
		    *reply->reason != '\0' ? reply->reason : what);
	else if (reply->type != MUX_S_OK)
		fprintf(stderr, "sshbroker: unexpected %s from the daemon\n",
		    mux_type_name(reply->type));
	return reply->type == MUX_S_OK ? 0 : -1;
}

/* Leading options of ours before the ssh-style words. */
static int
our_options(int *argcp, char ***argvp, int *direct, int *autostart)
{
	*direct = 0;
	*autostart = 1;
	while (*argcp > 0 && strncmp((*argvp)[0], "--", 2) == 0 &&
	    (*argvp)[0][2] != '\0') {
		if (strcmp((*argvp)[0], "--direct") == 0)
			*direct = 1;
		else if (strcmp((*argvp)[0], "--no-autostart") == 0)
			*autostart = 0;
		else {
			fprintf(stderr, "sshbroker: unknown option %s\n",
			    (*argvp)[0]);
			return -1;
		}
		(*argcp)--;
		(*argvp)++;
	}
	return 0;
}

int
cmd_exec_daemon(int argc, char **argv)
{
	struct mux_conn c;
	struct mux_msg m, reply;
	char *command = NULL;
	int dest, subsystem, no_command, is_tty;
	int status = 255, i, r;
	int direct, autostart, fds[3] = { 0, 1, 2 }, daemon_pid = 0;
	size_t n = 1;
	uint32_t session_id = 0;

	if (our_options(&argc, &argv, &direct, &autostart) != 0)
		return 255;
	if (find_destination(argc, argv, &dest, &subsystem, &no_command) != 0)
		return 255;
	(void)signal(SIGPIPE, SIG_IGN);
	for (i = dest + 1; i < argc; i++)
		n += strlen(argv[i]) + 1;
	if ((command = calloc(1, n)) == NULL)
		return 255;
	for (i = dest + 1; i < argc; i++) {
		if (i > dest + 1)
			strcat(command, " ");
		strcat(command, argv[i]);
	}
	if (mux_open(autostart, &c) != 0)
		goto out;
	if (no_command) {
		/* -N: no session; the transport and its forwardings (-L, -D)
		 * stay in the daemon, as ssh -fN leaves its master behind */
		memset(&m, 0, sizeof(m));
		m.type = MUX_C_EXT_PREWARM;
		m.argv = (const char *const *)argv;
		m.argc = (size_t)(dest + 1);
		if (request(&c, &m, &reply) != 0)
			goto out;
		if (reply.type == MUX_S_OK)
			status = 0;
		else
			fprintf(stderr, "%s\n", reply.reason != NULL ?
			    reply.reason : "sshbroker: refused");
		mux_msg_free(&reply);
		goto out;
	}
	/* the selection and the session request go out together: the
	 * daemon reads the second once the first is done, and a failed
	 * selection fails both (one round trip saved on every exec) */
	memset(&m, 0, sizeof(m));
	m.type = MUX_C_EXT_SELECT;
	m.argv = (const char *const *)argv;
	m.argc = (size_t)(dest + 1);
	m.id = ++c.next_id;
	if (send_msg(&c, &m) != 0)
		goto out;
	/* RequestTTY (-t and -T in it) is the daemon's to apply, with the
	 * command the config may give: it is told whether stdin is a
	 * terminal and says (MUX_S_EXT_TTY) when it asked for one */
	is_tty = isatty(STDIN_FILENO);
	memset(&m, 0, sizeof(m));
	m.type = MUX_C_NEW_SESSION;
	m.want_tty = MUX_TTY_BY_CONFIG | (is_tty ? 1u : 0u);
	m.subsystem = (uint32_t)subsystem;
	m.escape_char = MUX_ESCAPE_NONE;
	m.term = getenv("TERM") != NULL ? getenv("TERM") : "";
	m.command = command;
	{
		/* the environment goes to the daemon, which keeps what the
		 * destination's SendEnv names (a frame's worth at most) */
		extern char **environ;
		size_t n_env = 0, bytes = 0;

		while (environ[n_env] != NULL && n_env < MUX_MAX_ENV &&
		    bytes + strlen(environ[n_env]) + 4 < MUX_FRAME_MAX / 2)
			bytes += strlen(environ[n_env++]) + 4;
		m.env = (const char *const *)environ;
		m.n_env = n_env;
	}
	m.id = ++c.next_id;
	if (send_msg(&c, &m) != 0)
		goto out;
	for (i = 0; i < 3; i++) {
		if (sock_send_fd(c.fd, fds[i]) != ERR_OK) {
			fprintf(stderr, "sshbroker: cannot pass fd %d to the "
			    "daemon\n", i);
			goto out;
		}
	}
	if (is_tty) {
		tty_watch_size();
		/* the daemon's pid, to tell it of size changes as ssh's
		 * mux clients do */
		memset(&m, 0, sizeof(m));
		m.type = MUX_C_ALIVE_CHECK;
		m.id = ++c.next_id;
		(void)send_msg(&c, &m);
	}
	for (;;) {
		r = recv_msg(&c, &reply);
		if (r == -2) {
			if (tty_size_changed && daemon_pid > 0) {
				tty_size_changed = 0;
				(void)kill(daemon_pid, SIGWINCH);
			}
			continue;
		}
		if (r != 0) {
			fprintf(stderr, "sshbroker: the daemon closed the "
			    "connection\n");
			break;
		}
		switch (reply.type) {
		case MUX_S_EXT_MESSAGE:
			tty_restore();
			fprintf(stderr, "%s\r\n", reply.text);
			break;
		case MUX_S_ALIVE:
			daemon_pid = (int)reply.pid;
			break;
		case MUX_S_EXT_TTY:
			/* raw only now: questions before it were asked on a
			 * terminal in its usual mode */
			if (is_tty)
				tty_make_raw();
			break;
		case MUX_S_SESSION_OPENED:
			session_id = reply.session_id;
			break;
		case MUX_S_EXT_PROMPT:
			answer_prompt(&c, &reply);
			break;
		case MUX_S_OK:
			break;      /* the selection */
		case MUX_S_FAILURE:
		case MUX_S_PERMISSION_DENIED:
			tty_restore();
			fprintf(stderr, "%s\n", reply.reason);
			if (session_id == 0) {
				mux_msg_free(&reply);
				goto out;
			}
			break;
		case MUX_S_TTY_ALLOC_FAIL:
			break;
		case MUX_S_EXIT_MESSAGE:
			if (session_id == 0 || reply.session_id == session_id)
				status = (int)reply.exit_status;
			mux_msg_free(&reply);
			goto out;
		default:
			break;
		}
		mux_msg_free(&reply);
	}
 out:
	tty_restore();
	mux_close(&c);
	free(command);
	return status;
}

/* `sshbroker forward -W host:port destination`: our stdin and stdout
 * joined to host:port as seen from the destination, as ssh -W, so that
 * it can be another program's ProxyCommand. */
int
cmd_forward(int argc, char **argv)
{
	struct mux_conn c;
	struct mux_msg m, reply;
	char *spec = NULL, *colon;
	long port;
	int direct, autostart, status = 255, dest, sub, nc, i, r;

	if (our_options(&argc, &argv, &direct, &autostart) != 0)
		return 255;
	if (argc >= 2 && strcmp(argv[0], "-W") == 0) {
		spec = argv[1];
		argc -= 2;
		argv += 2;
	} else if (argc >= 1 && strncmp(argv[0], "-W", 2) == 0 &&
	    argv[0][2] != '\0') {
		spec = argv[0] + 2;
		argc--;
		argv++;
	}
	if (spec == NULL || find_destination(argc, argv, &dest, &sub, &nc) !=
	    0 || dest + 1 != argc) {
		fprintf(stderr, "usage: sshbroker forward -W host:port "
		    "[ssh options] destination\n");
		return 255;
	}
	if ((spec = strdup(spec)) == NULL)
		return 255;
	/* host:port, [v6]:port */
	if ((colon = strrchr(spec, ':')) == NULL || colon == spec ||
	    (port = strtol(colon + 1, NULL, 10)) <= 0 || port > 65535) {
		fprintf(stderr, "sshbroker: bad forwarding specification '%s'\n",
		    spec);
		free(spec);
		return 255;
	}
	*colon = '\0';
	if (spec[0] == '[' && colon[-1] == ']') {
		colon[-1] = '\0';
		memmove(spec, spec + 1, strlen(spec));
	}
	(void)signal(SIGPIPE, SIG_IGN);
	if (mux_open(autostart, &c) != 0)
		goto out;
	if (argv_request(&c, MUX_C_EXT_SELECT, argc, argv, &reply) != 0)
		goto out;
	r = report_failure(&reply, "sshbroker: cannot use the destination");
	mux_msg_free(&reply);
	if (r != 0)
		goto out;
	memset(&m, 0, sizeof(m));
	m.type = MUX_C_NEW_STDIO_FWD;
	m.host = spec;
	m.port = (uint32_t)port;
	m.id = ++c.next_id;
	if (send_msg(&c, &m) != 0)
		goto out;
	for (i = 0; i < 2; i++) {
		if (sock_send_fd(c.fd, i) != ERR_OK)
			goto out;
	}
	/* the daemon closes the connection when the forward ends */
	for (;;) {
		if ((r = recv_msg(&c, &reply)) == -2)
			continue;
		if (r != 0)
			break;
		if (reply.type == MUX_S_EXT_MESSAGE)
			fprintf(stderr, "%s\n", reply.text);
		else if (reply.type == MUX_S_EXT_PROMPT)
			answer_prompt(&c, &reply);
		else if (reply.type == MUX_S_FAILURE ||
		    reply.type == MUX_S_PERMISSION_DENIED) {
			fprintf(stderr, "%s\n", reply.reason);
			mux_msg_free(&reply);
			goto out;
		} else if (reply.type == MUX_S_SESSION_OPENED)
			status = 0;
		mux_msg_free(&reply);
	}
 out:
	mux_close(&c);
	free(spec);
	return status;
}

int
cmd_connect(int argc, char **argv)
{
	struct mux_conn c;
	struct mux_msg reply;
	int direct, autostart, status = 255, dest, s, nc;

	if (our_options(&argc, &argv, &direct, &autostart) != 0)
		return 255;
	if (find_destination(argc, argv, &dest, &s, &nc) != 0)
		return 255;
	if (mux_open(autostart, &c) == 0 &&
	    argv_request(&c, MUX_C_EXT_PREWARM, dest + 1, argv, &reply) == 0) {
		if (report_failure(&reply, "sshbroker: cannot connect") == 0)
			status = 0;
		mux_msg_free(&reply);
	}
	mux_close(&c);
	return status;
}

int
cmd_close(int argc, char **argv)
{
	struct mux_conn c;
	struct mux_msg reply;
	int status = 255;

	if (argc < 1) {
		fprintf(stderr, "usage: sshbroker close destination\n");
		return 255;
	}
	if (mux_open(0, &c) == 0 &&
	    argv_request(&c, MUX_C_EXT_CLOSE, argc, argv, &reply) == 0) {
		if (report_failure(&reply, "sshbroker: no such connection") == 0)
			status = 0;
		mux_msg_free(&reply);
	}
	mux_close(&c);
	return status;
}

int
cmd_status(int argc, char **argv)
{
	struct mux_conn c;
	struct mux_msg m, reply;
	int direct, autostart, status = 255;
	const char *format = "text";

	if (argc >= 2 && strcmp(argv[0], "--format") == 0) {
		format = argv[1];
		argc -= 2;
		argv += 2;
	}
	if (our_options(&argc, &argv, &direct, &autostart) != 0)
		return 255;
	if (mux_open(autostart, &c) == 0) {
		memset(&m, 0, sizeof(m));
		m.type = MUX_C_EXT_STATUS;
		m.format = format;
		if (request(&c, &m, &reply) == 0) {
			if (reply.type == MUX_S_EXT_TEXT) {
				fputs(reply.text, stdout);
				status = 0;
			}
			mux_msg_free(&reply);
		}
	}
	mux_close(&c);
	return status;
}

int
cmd_stop(int argc, char **argv)
{
	struct mux_conn c;
	struct mux_msg m, reply;
	int status = 255;

	(void)argc;
	(void)argv;
	if (mux_open(0, &c) == 0) {
		memset(&m, 0, sizeof(m));
		m.type = MUX_C_EXT_STOP;
		if (request(&c, &m, &reply) == 0) {
			status = reply.type == MUX_S_OK ? 0 : 255;
			mux_msg_free(&reply);
		}
	}
	mux_close(&c);
	return status;
}
