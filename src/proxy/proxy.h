/*
 * Child processes: the one place the project forks.
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

#endif
