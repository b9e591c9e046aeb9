/*
 * sshbroker: the command people and tools run.  The client commands that
 * talk to the daemon (exec, connect, forward, status, close, stop) run
 * here; this executable holds no transport and no crypto library, so it
 * starts about as fast as a program can (every reused session pays that
 * start).  Everything else (daemon, resolve, ping, exec --direct, and
 * whatever it does not know) is sshbroker-core's, run in its place.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "broker/broker.h"

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
} client_commands[] = {
	{ "resolve", cmd_resolve },
	{ "status", cmd_status },
	{ "connect", cmd_connect },
	{ "forward", cmd_forward },
	{ "close", cmd_close },
	{ "stop", cmd_stop },
};

/* exec's own options come first; --direct among them means no daemon. */
static int
exec_is_direct(int argc, char **argv)
{
	int i;

	for (i = 0; i < argc && strncmp(argv[i], "--", 2) == 0 &&
	    argv[i][2] != '\0'; i++)
		if (strcmp(argv[i], "--direct") == 0)
			return 1;
	return 0;
}

int
main(int argc, char **argv)
{
	size_t i;

	if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
		printf("%s\n", PACKAGE_STRING);
		return 0;
	}
	if (argc >= 2 && strcmp(argv[1], "exec") == 0 &&
	    !exec_is_direct(argc - 2, argv + 2))
		return cmd_exec_daemon(argc - 2, argv + 2);
	for (i = 0; argc >= 2 &&
	    i < sizeof(client_commands) / sizeof(client_commands[0]); i++) {
		if (strcmp(argv[1], client_commands[i].name) == 0)
			return client_commands[i].run(argc - 2, argv + 2);
	}
	return core_exec(argv);
}
