/*
 * The broker: for now the command-line side (subcommands); the daemon
 * arrives with its own issue.
 */
#ifndef SSHBROKER_BROKER_BROKER_H
#define SSHBROKER_BROKER_BROKER_H

#include <stddef.h>

struct config_host;

/* `sshbroker resolve ...`: returns the process exit status. */
int cmd_resolve(int argc, char **argv);
/* `sshbroker exec --direct ...`: ssh without the daemon. */
int cmd_exec(int argc, char **argv);
/* Through the daemon (cmd-client.c): exec without --direct, connect
 * (prewarm), close, status and stop. */
int cmd_exec_daemon(int argc, char **argv);
int cmd_connect(int argc, char **argv);
int cmd_forward(int argc, char **argv);
int cmd_close(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_stop(int argc, char **argv);
/* `sshbroker daemon`: the broker itself, in the foreground. */
int cmd_daemon(int argc, char **argv);
/* `sshbroker ping ...`: key exchange and host key check only. */
int cmd_ping(int argc, char **argv);

/*
 * sshbroker-core, the executable with every command (core.c): next to
 * the running executable (a build tree), else in PKGLIBEXECDIR (an
 * installed one).  core_path() fills buf and returns it, or NULL when
 * there is none; core_exec() runs it with argv (argv[0] kept, so the
 * process still shows as sshbroker) in this process's place, and
 * returns 255 with a message only when it cannot.
 */
char *core_path(char *buf, size_t len);
int core_exec(char **argv);

/*
 * Fills h with this process's real identity and effects: the passwd
 * entry of getuid(), gethostname(), the environment, Match exec through
 * src/proxy's runner, DNS through getaddrinfo.  Strings stay valid until
 * host_env_free().  Returns 0, or -1 with a message on stderr.
 */
int host_env_init(struct config_host *h);
void host_env_free(struct config_host *h);

#endif
