/*
 * Child processes: start a command under a shell, wait for it with a
 * deadline, kill its whole process group.
 *
 * The parent prepares everything the child needs (argv, fds, limits)
 * before fork, because the child of a possibly threaded process may only
 * make async-signal-safe calls: no malloc, no stdio, no exit().  A failed
 * exec is reported through a close-on-exec pipe, so the parent learns
 * "shell not found" as an errno instead of guessing from exit status 127.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "proxy/proxy.h"

#define PROXY_DEFAULT_SHELL "/bin/sh"
#define PROXY_EXEC_PREFIX "exec "
/* How long a timed-out Match exec gets between SIGTERM and SIGKILL. */
#define PROXY_RUN_KILL_GRACE_MS 100
/* Polling steps of the wait fallback for kernels without pidfd_open. */
#define PROXY_WAIT_STEP_MIN_MS 1
#define PROXY_WAIT_STEP_MAX_MS 16
/* The last-resort close loop stops here even if RLIMIT_NOFILE is higher. */
#define PROXY_CLOSE_LOOP_MAX (1 << 20)

struct proxy_child {
	pid_t pid;      /* also its process group id */
	int sock;       /* parent's end of the socketpair, or -1 */
	int reaped;     /* waitpid() has collected it; pid may be reused */
	int status;     /* wait status, once reaped */
};

/* Everything the child does between fork and exec, decided beforehand. */
struct child_plan {
	char *const *argv;
	int stdio_fds[3];   /* source for fd 0, 1, 2; -1: keep the inherited one */
	int err_fd;         /* write end of the exec-error pipe */
	int max_fd;         /* bound for the last-resort close loop */
};

/* The record getdents64(2) fills; glibc does not export it. */
struct child_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* ---- in the child: async-signal-safe calls only, and _exit, never exit */

static void __attribute__((noreturn))
child_fail(int err_fd)
{
	int e = errno;
	ssize_t n;

	do {
		n = write(err_fd, &e, sizeof(e));
	} while (n == -1 && errno == EINTR);
	/* _exit: atexit handlers and stdio buffers belong to the parent. */
	_exit(127);
}

/* Parses a /proc/self/fd entry name; -1 for "." and "..". */
static int
child_parse_fd(const char *name)
{
	int fd = 0;

	if (*name == '\0')
		return -1;
	for (; *name != '\0'; name++) {
		if (*name < '0' || *name > '9' || fd > (INT32_MAX - 9) / 10)
			return -1;
		fd = fd * 10 + (*name - '0');
	}
	return fd;
}

/*
 * Closes every fd listed in /proc/self/fd above 2 except keep.  Uses the
 * raw getdents64 syscall with a stack buffer because opendir() allocates.
 * Closing while listing is safe: procfs orders the entries by fd number.
 */
static int
child_close_fds_proc(int keep)
{
	union {
		char bytes[4096];
		struct child_dirent64 align;
	} buf;
	struct child_dirent64 *d;
	long n, off;
	int dir_fd, fd;

	dir_fd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd == -1)
		return -1;
	while ((n = syscall(SYS_getdents64, dir_fd, buf.bytes,
	    sizeof(buf.bytes))) > 0) {
		for (off = 0; off < n; off += d->d_reclen) {
			d = (struct child_dirent64 *)(void *)(buf.bytes + off);
			fd = child_parse_fd(d->d_name);
			if (fd > STDERR_FILENO && fd != keep && fd != dir_fd)
				(void)close(fd);
		}
	}
	(void)close(dir_fd);
	return n == 0 ? 0 : -1;
}

/*
 * Closes every fd above 2 except keep (the exec-error pipe, itself
 * close-on-exec).  close_range(2) needs Linux 5.9; /proc may be missing
 * in a chroot; the plain loop is the last resort.
 */
static void
child_close_fds(int keep, int max_fd)
{
	int fd;

#ifdef SYS_close_range
	if ((keep == STDERR_FILENO + 1 ||
	    syscall(SYS_close_range, STDERR_FILENO + 1U, keep - 1U, 0U) == 0) &&
	    syscall(SYS_close_range, keep + 1U, ~0U, 0U) == 0)
		return;
#endif
	if (child_close_fds_proc(keep) == 0)
		return;
	for (fd = STDERR_FILENO + 1; fd <= max_fd; fd++)
		if (fd != keep)
			(void)close(fd);
}

static void __attribute__((noreturn))
child_exec(const struct child_plan *plan)
{
	struct sigaction sa;
	sigset_t none;
	int fds[3], err_fd = plan->err_fd, i, sig, flags;

	/*
	 * Default dispositions while every signal is still blocked, so no
	 * handler copied from the parent can run here.  Ignored signals
	 * survive exec: a ProxyCommand that inherited our SIG_IGN for SIGPIPE
	 * would loop on EPIPE instead of dying when the transport goes away.
	 * sigaction fails for SIGKILL, SIGSTOP and libc's reserved signals;
	 * that is expected.
	 */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	(void)sigemptyset(&sa.sa_mask);
	for (sig = 1; sig < NSIG; sig++)
		(void)sigaction(sig, &sa, NULL);

	/* Own process group, so the parent can kill the shell's children
	 * with it.  The parent makes the same call to close the race. */
	if (setpgid(0, 0) == -1)
		child_fail(err_fd);

	/*
	 * If the parent runs with a standard fd closed, our sources may sit
	 * on 0..2; move them above 2 first so installing one target cannot
	 * clobber the source of another.
	 */
	if (err_fd <= STDERR_FILENO &&
	    (err_fd = fcntl(err_fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1)) == -1)
		child_fail(plan->err_fd);
	for (i = 0; i < 3; i++) {
		fds[i] = plan->stdio_fds[i];
		if (fds[i] >= 0 && fds[i] <= STDERR_FILENO &&
		    (fds[i] = fcntl(fds[i], F_DUPFD_CLOEXEC,
		    STDERR_FILENO + 1)) == -1)
			child_fail(err_fd);
	}
	for (i = 0; i < 3; i++) {
		if (fds[i] == -1) {
			/* Inherited: make sure it survives exec. */
			flags = fcntl(i, F_GETFD);
			if (flags != -1 && (flags & FD_CLOEXEC) != 0)
				(void)fcntl(i, F_SETFD, flags & ~FD_CLOEXEC);
			continue;
		}
		while (dup2(fds[i], i) == -1)
			if (errno != EINTR)
				child_fail(err_fd);
	}
	child_close_fds(err_fd, plan->max_fd);

	(void)sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	execv(plan->argv[0], plan->argv);
	child_fail(err_fd);
}

/* ---- in the parent */

static int
proxy_mode_valid(enum proxy_stdio mode, int is_stderr)
{
	switch (mode) {
	case PROXY_STDIO_DEVNULL:
	case PROXY_STDIO_INHERIT:
		return 1;
	case PROXY_STDIO_SOCKET:
		return !is_stderr;
	case PROXY_STDIO_FD:
		return is_stderr;
	}
	return 0;
}

static int
proxy_close_loop_bound(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur > PROXY_CLOSE_LOOP_MAX)
		return PROXY_CLOSE_LOOP_MAX;
	return (int)rl.rlim_cur;
}

static int64_t
proxy_now_ms(void)
{
	struct timespec ts;

	/* Monotonic: a wall clock step must not cut a timeout short. */
	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reaps c, blocking; the caller knows it has exited or wants to wait. */
static int
proxy_child_reap(struct proxy_child *c)
{
	int status;
	pid_t p;

	do {
		p = waitpid(c->pid, &status, 0);
	} while (p == -1 && errno == EINTR);
	if (p == -1)
		return ERR_SYSTEM;   /* ECHILD: SIGCHLD is ignored, or reaped elsewhere */
	c->reaped = 1;
	c->status = status;
	return ERR_OK;
}

/*
 * Whether c has exited, without reaping it: while the zombie exists its
 * pid, and so its process group id, cannot be handed to another process.
 * ERR_OK: exited; ERR_TIMEOUT: still running.
 */
static int
proxy_child_poll_exit(const struct proxy_child *c, int block)
{
	siginfo_t info;
	int r;

	do {
		memset(&info, 0, sizeof(info));
		r = waitid(P_PID, (id_t)c->pid, &info,
		    WEXITED | WNOWAIT | (block ? 0 : WNOHANG));
	} while (r == -1 && errno == EINTR);
	if (r == -1)
		return ERR_SYSTEM;
	return info.si_pid == 0 ? ERR_TIMEOUT : ERR_OK;
}

static int
proxy_pidfd_open(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0U);
#else
	errno = ENOSYS;
	return -1;
#endif
}

/* The wait without pidfd (Linux < 5.3, or a seccomp filter): short
 * sleeps, growing to PROXY_WAIT_STEP_MAX_MS, never past the deadline. */
static int
proxy_child_sleep_until_exit(const struct proxy_child *c, int64_t deadline)
{
	struct timespec ts;
	int64_t left;
	int step = PROXY_WAIT_STEP_MIN_MS, r;

	for (;;) {
		if ((r = proxy_child_poll_exit(c, 0)) != ERR_TIMEOUT)
			return r;
		if ((left = deadline - proxy_now_ms()) <= 0)
			return ERR_TIMEOUT;
		if (left > step)
			left = step;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)left * 1000000L;
		(void)nanosleep(&ts, NULL);   /* EINTR: just look again */
		if (step < PROXY_WAIT_STEP_MAX_MS)
			step *= 2;
	}
}

/*
 * Waits up to timeout_ms (negative: forever) for c to exit, leaving it
 * unreaped.  ERR_OK: exited; ERR_TIMEOUT: still running; ERR_SYSTEM.
 */
static int
proxy_child_wait_exit(const struct proxy_child *c, int timeout_ms)
{
	struct pollfd pfd;
	int64_t deadline, left;
	int pidfd, n, r;

	if (timeout_ms < 0)
		return proxy_child_poll_exit(c, 1);
	if ((r = proxy_child_poll_exit(c, 0)) != ERR_TIMEOUT || timeout_ms == 0)
		return r;
	deadline = proxy_now_ms() + timeout_ms;

	/* c is our unreaped child, so the pid cannot have been reused. */
	if ((pidfd = proxy_pidfd_open(c->pid)) == -1)
		return proxy_child_sleep_until_exit(c, deadline);
	pfd.fd = pidfd;
	pfd.events = POLLIN;
	for (;;) {
		if ((left = deadline - proxy_now_ms()) < 0)
			left = 0;
		pfd.revents = 0;
		n = poll(&pfd, 1, (int)left);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			r = ERR_SYSTEM;
			break;
		}
		if (n > 0) {
			/* Readable pidfd: the process has exited. */
			r = ERR_OK;
			break;
		}
		if (left == 0) {
			r = ERR_TIMEOUT;
			break;
		}
	}
	(void)close(pidfd);
	return r;
}

int
proxy_spawn(const struct proxy_spawn_spec *spec, struct proxy_child **childp)
{
	struct proxy_child *c = NULL;
	struct child_plan plan;
	const char *shell;
	char *command = NULL, *argv[4];
	sigset_t all, old;
	int sv[2] = { -1, -1 }, err_pipe[2] = { -1, -1 }, null_fd = -1;
	int masked = 0, child_errno, flags, saved_errno, r = ERR_INTERNAL;
	size_t len;
	ssize_t n;
	pid_t pid;

	if (childp != NULL)
		*childp = NULL;
	if (spec == NULL || childp == NULL || spec->command == NULL ||
	    !proxy_mode_valid(spec->stdin_mode, 0) ||
	    !proxy_mode_valid(spec->stdout_mode, 0) ||
	    !proxy_mode_valid(spec->stderr_mode, 1) ||
	    (spec->stderr_mode == PROXY_STDIO_FD && spec->stderr_fd < 0))
		return ERR_INVALID_ARGUMENT;
	shell = spec->shell != NULL ? spec->shell : PROXY_DEFAULT_SHELL;

	/* Every allocation happens here, before fork. */
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		r = ERR_NOMEM;
		goto out;
	}
	c->sock = -1;
	if (spec->exec_prefix) {
		/* As OpenSSH's ssh_proxy_connect(): the shell replaces itself
		 * with the command, so our signals reach the command. */
		len = strlen(PROXY_EXEC_PREFIX) + strlen(spec->command) + 1;
		if ((command = malloc(len)) == NULL) {
			r = ERR_NOMEM;
			goto out;
		}
		memcpy(command, PROXY_EXEC_PREFIX, strlen(PROXY_EXEC_PREFIX));
		memcpy(command + strlen(PROXY_EXEC_PREFIX), spec->command,
		    strlen(spec->command) + 1);
	}
	/* execv() takes char *const[] but does not write through it. */
	argv[0] = (char *)shell;
	argv[1] = (char *)"-c";
	argv[2] = command != NULL ? command : (char *)spec->command;
	argv[3] = NULL;

	if (spec->stdin_mode == PROXY_STDIO_SOCKET ||
	    spec->stdout_mode == PROXY_STDIO_SOCKET) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
			r = ERR_SYSTEM;
			goto out;
		}
		/* Only our end: the two ends are separate open files, and the
		 * command expects an ordinary blocking stdin/stdout. */
		if ((flags = fcntl(sv[0], F_GETFL)) == -1 ||
		    fcntl(sv[0], F_SETFL, flags | O_NONBLOCK) == -1) {
			r = ERR_SYSTEM;
			goto out;
		}
	}
	if (spec->stdin_mode == PROXY_STDIO_DEVNULL ||
	    spec->stdout_mode == PROXY_STDIO_DEVNULL ||
	    spec->stderr_mode == PROXY_STDIO_DEVNULL) {
		if ((null_fd = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1) {
			r = ERR_SYSTEM;
			goto out;
		}
	}
	if (pipe2(err_pipe, O_CLOEXEC) == -1) {
		r = ERR_SYSTEM;
		goto out;
	}

	memset(&plan, 0, sizeof(plan));
	plan.argv = argv;
	plan.err_fd = err_pipe[1];
	plan.max_fd = proxy_close_loop_bound();
	plan.stdio_fds[0] = spec->stdin_mode == PROXY_STDIO_SOCKET ? sv[1] :
	    spec->stdin_mode == PROXY_STDIO_DEVNULL ? null_fd : -1;
	plan.stdio_fds[1] = spec->stdout_mode == PROXY_STDIO_SOCKET ? sv[1] :
	    spec->stdout_mode == PROXY_STDIO_DEVNULL ? null_fd : -1;
	plan.stdio_fds[2] = spec->stderr_mode == PROXY_STDIO_FD ?
	    spec->stderr_fd :
	    spec->stderr_mode == PROXY_STDIO_DEVNULL ? null_fd : -1;

	/*
	 * Block everything across fork: a signal landing in the child before
	 * it resets its dispositions would run one of our handlers there, and
	 * those write to fds (a self-pipe, an eventfd) shared with us.
	 */
	(void)sigfillset(&all);
	if ((errno = pthread_sigmask(SIG_SETMASK, &all, &old)) != 0) {
		r = ERR_SYSTEM;
		goto out;
	}
	masked = 1;
	if ((pid = fork()) == -1) {
		r = ERR_SYSTEM;
		goto out;
	}
	if (pid == 0)
		child_exec(&plan);

	/*
	 * The child calls setpgid too; whichever runs first wins.  Once the
	 * child has exec'd this fails with EACCES, harmlessly.  Either way the
	 * group exists by the time the error pipe below reports the exec.
	 */
	(void)setpgid(pid, pid);
	(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
	masked = 0;

	/* Drop our copy of the write end, or the read below never sees EOF. */
	(void)close(err_pipe[1]);
	err_pipe[1] = -1;
	do {
		n = read(err_pipe[0], &child_errno, sizeof(child_errno));
	} while (n == -1 && errno == EINTR);

	c->pid = pid;
	if (n == 0) {
		/* EOF: the close-on-exec pipe closed, so the exec succeeded. */
		c->sock = sv[0];
		sv[0] = -1;
		*childp = c;
		c = NULL;
		r = ERR_OK;
		goto out;
	}
	if (n == (ssize_t)sizeof(child_errno)) {
		/* The child reported why it could not exec, then _exit'ed. */
		(void)proxy_child_reap(c);
		errno = child_errno;
		r = ERR_CHILD_FAILED;
		goto out;
	}
	/* Cannot tell what the child is doing: make sure it is gone. */
	saved_errno = n == -1 ? errno : EIO;
	(void)kill(-pid, SIGKILL);
	(void)kill(pid, SIGKILL);
	(void)proxy_child_reap(c);
	errno = saved_errno;
	r = ERR_SYSTEM;

 out:
	saved_errno = errno;
	if (masked)
		(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (sv[0] != -1)
		(void)close(sv[0]);
	if (sv[1] != -1)
		(void)close(sv[1]);
	if (err_pipe[0] != -1)
		(void)close(err_pipe[0]);
	if (err_pipe[1] != -1)
		(void)close(err_pipe[1]);
	if (null_fd != -1)
		(void)close(null_fd);
	free(command);
	free(c);
	errno = saved_errno;
	return r;
}

pid_t
proxy_child_pid(const struct proxy_child *c)
{
	return c != NULL ? c->pid : -1;
}

int
proxy_child_socket(const struct proxy_child *c)
{
	return c != NULL ? c->sock : -1;
}

int
proxy_child_take_socket(struct proxy_child *c)
{
	int fd;

	if (c == NULL)
		return -1;
	fd = c->sock;
	c->sock = -1;
	return fd;
}

int
proxy_child_wait(struct proxy_child *c, int timeout_ms, int *statusp)
{
	int r;

	if (statusp != NULL)
		*statusp = 0;
	if (c == NULL || statusp == NULL)
		return ERR_INVALID_ARGUMENT;
	if (!c->reaped) {
		if ((r = proxy_child_wait_exit(c, timeout_ms)) != ERR_OK)
			return r;
		if ((r = proxy_child_reap(c)) != ERR_OK)
			return r;
	}
	*statusp = c->status;
	return ERR_OK;
}

void
proxy_child_kill_free(struct proxy_child *c, int grace_ms)
{
	int saved_errno = errno;

	if (c == NULL)
		return;
	/*
	 * A child already reaped is not signalled: its pid, and so its group
	 * id, may since have been given to an unrelated process.  Otherwise
	 * the leader stays unreaped until the SIGKILL has gone out, which
	 * keeps the group id ours for both signals.
	 */
	if (!c->reaped) {
		(void)kill(-c->pid, SIGTERM);
		if (grace_ms > 0)
			(void)proxy_child_wait_exit(c, grace_ms);
		/* Stragglers (a shell's background jobs, a process that
		 * ignores SIGTERM) go now, whether or not the leader left. */
		(void)kill(-c->pid, SIGKILL);
		/* The leader too, by pid: if its group was never set up, the
		 * blocking reap below must not wait on a live process. */
		(void)kill(c->pid, SIGKILL);
		(void)proxy_child_reap(c);
	}
	if (c->sock != -1)
		(void)close(c->sock);
	free(c);
	errno = saved_errno;
}

void
proxy_child_free(struct proxy_child *c)
{
	if (c == NULL)
		return;
	/* Freed before being reaped: never leave a zombie or a runaway. */
	proxy_child_kill_free(c, 0);
}

int
proxy_run_shell_command(const char *shell, const char *command,
    int timeout_ms, int *exit_status)
{
	struct proxy_spawn_spec spec;
	struct proxy_child *c = NULL;
	int status, r = ERR_INTERNAL;

	if (exit_status != NULL)
		*exit_status = -1;
	if (command == NULL || exit_status == NULL)
		return ERR_INVALID_ARGUMENT;
	if (shell == NULL)
		shell = PROXY_DEFAULT_SHELL;
	/* OpenSSH's execute_in_shell() checks this before forking ("Shell
	 * \"%s\" is not executable"); errno is left from access(). */
	if (access(shell, X_OK) == -1)
		return ERR_CHILD_FAILED;

	/* As execute_in_shell(): stdin and stdout on /dev/null, so the
	 * command cannot eat or corrupt the session; stderr reaches the user. */
	memset(&spec, 0, sizeof(spec));
	spec.shell = shell;
	spec.command = command;
	spec.stdin_mode = PROXY_STDIO_DEVNULL;
	spec.stdout_mode = PROXY_STDIO_DEVNULL;
	spec.stderr_mode = PROXY_STDIO_INHERIT;
	spec.stderr_fd = -1;
	if ((r = proxy_spawn(&spec, &c)) != ERR_OK)
		goto out;

	if ((r = proxy_child_wait(c, timeout_ms, &status)) != ERR_OK)
		goto out;   /* ERR_TIMEOUT: the group is killed below */
	if (!WIFEXITED(status)) {
		/* execute_in_shell(): "exited abnormally" */
		r = ERR_CHILD_FAILED;
		goto out;
	}
	*exit_status = WEXITSTATUS(status);
	r = ERR_OK;

 out:
	proxy_child_kill_free(c, PROXY_RUN_KILL_GRACE_MS);
	return r;
}
