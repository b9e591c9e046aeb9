/*
 * sshbroker-core: every subcommand, the transport and the crypto
 * libraries with them.  `sshbroker` (src/sshbroker.c) runs the client
 * commands itself and hands the others to this program, which it finds
 * next to itself or in the package's libexec directory.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "broker/broker.h"

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *usage;
} commands[] = {
	{ "resolve", cmd_resolve,
	  "resolve [--explain] [--format ssh|yaml] [-F file] [-o opt=value]... "
	  "[-p port] [-l user] [-J jumps] destination" },
	{ "exec", cmd_exec,
	  "exec [--direct] [--no-autostart] [ssh options] destination "
	  "[command...]" },
	{ "daemon", cmd_daemon, "daemon [--foreground]" },
	{ "status", cmd_status, "status [--format text|yaml] [--no-autostart]" },
	{ "connect", cmd_connect, "connect [ssh options] destination" },
	{ "forward", cmd_forward,
	  "forward -W host:port [ssh options] destination" },
	{ "close", cmd_close, "close destination" },
	{ "stop", cmd_stop, "stop" },
	{ "ping", cmd_ping,
	  "ping [-F file] [-o opt=value]... [-p port] [-l user] destination" },
};

static int
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  sshbroker %s\n", commands[i].usage);
	return f == stderr ? 255 : 0;
}

int
main(int argc, char **argv)
{
	size_t i;

	if (argc < 2)
		return usage(stderr);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return usage(stdout);
	if (strcmp(argv[1], "--version") == 0) {
		printf("%s\n", PACKAGE_STRING);
		return 0;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 2, argv + 2);
	}
	fprintf(stderr, "sshbroker: unknown command \"%s\"\n", argv[1]);
	return usage(stderr);
}
