/*
 * Reaching a server other than through the transport: child processes
 * (the one place the project forks), direct TCP connections, and the
 * descriptor a ProxyUseFdpass command hands back.
 *
 * Match exec runs through proxy_run_shell_command(); ProxyCommand will use
 * proxy_spawn() with a socketpair for the transport's bytes.  Every child
 * is started the same way: signals blocked around fork, each child in its
 * own process group, every fd above 2 closed in the child, `$SHELL -c`
 * (else /bin/sh), and a close-on-exec pipe that reports a failed exec to
 * the parent as an error code instead of a mysterious exit status.
 */
#ifndef SSHBROKER_PROXY_PROXY_H
#define SSHBROKER_PROXY_PROXY_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

struct proxy_child;

enum proxy_stdio {
	PROXY_STDIO_DEVNULL = 0,   /* /dev/null */
	PROXY_STDIO_INHERIT,       /* the parent's fd of the same number */
	PROXY_STDIO_SOCKET,        /* our end of a socketpair (stdin+stdout) */
	PROXY_STDIO_FD,            /* a given fd (stderr only: stderr_fd) */
};

struct proxy_spawn_spec {
	const char *shell;         /* NULL: /bin/sh */
	const char *command;       /* run as: shell -c command */
	enum proxy_stdio stdin_mode;   /* DEVNULL, INHERIT or SOCKET */
	enum proxy_stdio stdout_mode;  /* DEVNULL, INHERIT or SOCKET */
	enum proxy_stdio stderr_mode;  /* DEVNULL, INHERIT or FD */
	int stderr_fd;             /* with PROXY_STDIO_FD */
	int exec_prefix;           /* run "exec COMMAND" (ProxyCommand) */
};

/*
 * Starts spec's command.  On ERR_OK *childp is set; when stdin or stdout
 * is PROXY_STDIO_SOCKET, proxy_child_socket() gives the parent's end
 * (non-blocking, close-on-exec, owned by the child object).  Returns
 * ERR_CHILD_FAILED when the shell could not be executed (the reason is in
 * errno), ERR_SYSTEM or ERR_NOMEM otherwise.
 */
int proxy_spawn(const struct proxy_spawn_spec *spec,
    struct proxy_child **childp);

pid_t proxy_child_pid(const struct proxy_child *c);
/* The parent's end of the socketpair, or -1. */
int proxy_child_socket(const struct proxy_child *c);
/* Takes the socket away from the child object (caller closes it). */
int proxy_child_take_socket(struct proxy_child *c);

/*
 * Waits up to timeout_ms (negative: forever) for the child to exit.
 * ERR_OK: *statusp holds the wait status.  ERR_TIMEOUT: still running.
 */
int proxy_child_wait(struct proxy_child *c, int timeout_ms, int *statusp);

/* Kills the child's process group (SIGTERM, then SIGKILL after grace_ms),
 * reaps it, closes its socket and frees c.  Accepts NULL. */
void proxy_child_kill_free(struct proxy_child *c, int grace_ms);

/* Frees c after it has been reaped by proxy_child_wait(); accepts NULL. */
void proxy_child_free(struct proxy_child *c);

/*
 * Runs `shell -c command` with stdin and stdout on /dev/null and stderr
 * passed through (as OpenSSH runs Match exec), waits at most timeout_ms
 * (negative: forever), and returns ERR_OK with *exit_status set (0-255) on
 * a normal exit.  ERR_TIMEOUT: the process group was killed and reaped.
 * ERR_CHILD_FAILED: it could not be executed or died from a signal.
 */
int proxy_run_shell_command(const char *shell, const char *command,
    int timeout_ms, int *exit_status);


/* ---- direct TCP (connect.c), as OpenSSH's sshconnect.c connects */

/*
 * How to reach host:port by TCP, as ssh_config says it (ConnectTimeout,
 * ConnectionAttempts, AddressFamily, BindAddress, BindInterface).  The
 * strings are copied by proxy_tcp_start().
 */
struct proxy_tcp_spec {
	const char *host;           /* name or address */
	const char *port;           /* number or service name */
	int family;                 /* AF_UNSPEC, AF_INET or AF_INET6 */
	const char *bind_address;   /* BindAddress, or NULL */
	/* BindInterface, or NULL.  When both are set bind_address wins, as
	 * in OpenSSH's ssh_create_socket(). */
	const char *bind_interface;
	/* ConnectTimeout for the whole connect phase: name resolution, every
	 * address and every round together.  < 0: none.  (ssh's unset or 0
	 * ConnectTimeout is -1 here; 0 here times out at once.) */
	int timeout_ms;
	int attempts;               /* ConnectionAttempts, >= 1 (values < 1 mean 1) */
};

struct proxy_tcp;

/*
 * Starts connecting: name resolution (and the BindAddress or
 * BindInterface lookup) runs on a thread of its own, because getaddrinfo
 * blocks and the caller's thread must not.  now_ms is the caller's
 * monotonic clock, in the same unit as every later now_ms.  ERR_OK:
 * *cp is set (free it with proxy_tcp_free()); ERR_INVALID_ARGUMENT,
 * ERR_NOMEM or ERR_SYSTEM (errno says why) otherwise.
 */
int proxy_tcp_start(const struct proxy_tcp_spec *spec, uint64_t now_ms,
    struct proxy_tcp **cp);

/*
 * What the caller polls for this connect now: *fdp (-1: nothing, only
 * the deadline) and *eventsp (POLLIN or POLLOUT).  The fd belongs to c
 * and may change after each proxy_tcp_step(): an epoll user re-reads it
 * after every step and drops the old one from its set.
 */
void proxy_tcp_poll(const struct proxy_tcp *c, int *fdp, short *eventsp);

/* When to call proxy_tcp_step() at the latest (UINT64_MAX: no deadline). */
uint64_t proxy_tcp_deadline(const struct proxy_tcp *c);

/*
 * Advances after poll said something or a deadline passed; calling it
 * early is harmless.  ERR_AGAIN: not done yet, poll again.
 * ERR_OK: *fdp is the connected socket (non-blocking, close-on-exec,
 * TCP_NODELAY set) and the caller owns it; later steps return
 * ERR_INVALID_ARGUMENT.
 * Any other code: failed, and every later step returns it again;
 * proxy_tcp_error() says why in one line.  ERR_TIMEOUT: ConnectTimeout
 * passed (or the kernel gave up); ERR_NOT_FOUND: the host name, the
 * BindAddress or the BindInterface did not resolve; ERR_SYSTEM: socket,
 * bind or connect failed for the last address tried (errno says why);
 * ERR_NOMEM.
 */
int proxy_tcp_step(struct proxy_tcp *c, uint64_t now_ms, int *fdp);

/*
 * One line without trailing newline and without program-name prefix, as
 * ssh words it: "connect to host 127.0.0.1 port 1: Connection refused",
 * "Could not resolve hostname nosuch.invalid: Name or service not known",
 * "bind 192.0.2.1: Cannot assign requested address",
 * "BindInterface nosuch0: no such interface".  The error of the last
 * address tried.  "" while nothing failed.  Valid until c is freed.
 */
const char *proxy_tcp_error(const struct proxy_tcp *c);

/* The numeric address connected to ("127.0.0.1", "::1"); "" before.
 * Valid until c is freed. */
const char *proxy_tcp_address(const struct proxy_tcp *c);

/*
 * Closes whatever c still owns and frees it; accepts NULL.  Safe while
 * the resolver thread still runs: the thread then finishes its lookup,
 * frees what it shares with c and exits on its own, without blocking the
 * caller.
 */
void proxy_tcp_free(struct proxy_tcp *c);

/*
 * Blocking convenience for one-shot tools: runs the state machine with
 * poll() and the monotonic clock.  ERR_OK: *fdp as proxy_tcp_step() gives
 * it and the numeric address in addr; otherwise the codes of
 * proxy_tcp_step() and the line in err.  addr and err may be NULL; both
 * are truncated to fit.
 */
int proxy_tcp_connect(const struct proxy_tcp_spec *spec, int *fdp,
    char *addr, size_t addrlen, char *err, size_t errlen);

/*
 * ProxyUseFdpass: receives the one fd a proxy dialer sends over sock with
 * SCM_RIGHTS, along with one byte of data (as ssh's mm_receive_fd()
 * expects it; see ProxyUseFdpass in ssh_config(5)).  ERR_OK: *fdp is the
 * fd, close-on-exec and non-blocking, and the caller owns it.
 * ERR_AGAIN: sock is non-blocking and nothing came yet.
 * ERR_DISCONNECTED: the peer closed without passing one.
 * ERR_PROTOCOL: a byte without an fd, or more than one fd (any fds that
 * arrived are closed).  ERR_SYSTEM: recvmsg failed (errno says why).
 */
int proxy_fdpass_receive(int sock, int *fdp);
/* As proxy_fdpass_receive(), leaving the fd's flags as they came (the
 * daemon receives its clients' stdin, stdout and stderr this way, and
 * gives their flags back when done). */
int proxy_recv_fd(int sock, int *fdp);

#endif
