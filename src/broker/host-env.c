/*
 * The real effects behind struct config_host: who we are, where, the
 * environment, running Match exec commands and resolving names.
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker/broker.h"
#include "common/err.h"
#include "config/config.h"
#include "proxy/proxy.h"

/* Match exec has no timeout in OpenSSH; ours stops a hung command. */
#define MATCH_EXEC_TIMEOUT_MS (60 * 1000)

struct host_env_state {
	char *user;
	char *home;
	char *hostname;
	char *shell;
};

static const char *
real_getenv(void *ctx, const char *name)
{
	(void)ctx;
	return getenv(name);
}

static int
real_exec(void *ctx, const char *command)
{
	struct host_env_state *st = ctx;
	int status = 0, r;

	r = proxy_run_shell_command(st->shell, command, MATCH_EXEC_TIMEOUT_MS,
	    &status);
	if (r == ERR_TIMEOUT)
		fprintf(stderr, "Match exec '%.100s' timed out after %d s\n",
		    command, MATCH_EXEC_TIMEOUT_MS / 1000);
	else if (r == ERR_CHILD_FAILED && errno != 0)
		fprintf(stderr, "Match exec '%.100s': %s\n", command,
		    strerror(errno));
	return r == ERR_OK ? status : r;
}

static int
real_resolve(void *ctx, const char *name, int family, char *canon,
    size_t canonlen)
{
	struct addrinfo hints, *res = NULL;

	(void)ctx;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family == -1 ? AF_UNSPEC : family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_CANONNAME;
	if (getaddrinfo(name, "22", &hints, &res) != 0 || res == NULL)
		return -1;
	canon[0] = '\0';
	if (res->ai_canonname != NULL &&
	    strlen(res->ai_canonname) < canonlen)
		snprintf(canon, canonlen, "%s", res->ai_canonname);
	freeaddrinfo(res);
	return 0;
}

int
host_env_init(struct config_host *h)
{
	struct host_env_state *st;
	struct passwd pwbuf, *pw = NULL;
	char hn[1025], pwtext[4096];
	const char *shell;

	memset(h, 0, sizeof(*h));
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return -1;
	/* the _r form: the daemon resolves on several threads at once */
	if (getpwuid_r(getuid(), &pwbuf, pwtext, sizeof(pwtext), &pw) != 0 ||
	    pw == NULL) {
		fprintf(stderr, "No user exists for uid %lu\n",
		    (unsigned long)getuid());
		free(st);
		return -1;
	}
	if (gethostname(hn, sizeof(hn)) == -1) {
		fprintf(stderr, "gethostname: %s\n", strerror(errno));
		free(st);
		return -1;
	}
	hn[sizeof(hn) - 1] = '\0';
	/* Match exec uses $SHELL, else /bin/sh, as OpenSSH does */
	if ((shell = getenv("SHELL")) == NULL || *shell == '\0')
		shell = "/bin/sh";
	st->user = strdup(pw->pw_name);
	st->home = strdup(pw->pw_dir);
	st->hostname = strdup(hn);
	st->shell = strdup(shell);
	if (st->user == NULL || st->home == NULL || st->hostname == NULL ||
	    st->shell == NULL) {
		h->exec_ctx = st;
		host_env_free(h);
		return -1;
	}
	h->user_name = st->user;
	h->home_dir = st->home;
	h->uid = getuid();
	h->hostname = st->hostname;
	h->getenv_fn = real_getenv;
	h->exec_fn = real_exec;
	h->exec_ctx = st;
	h->resolve_fn = real_resolve;
	return 0;
}

void
host_env_free(struct config_host *h)
{
	struct host_env_state *st = h->exec_ctx;

	if (st != NULL) {
		free(st->user);
		free(st->home);
		free(st->hostname);
		free(st->shell);
		free(st);
	}
	memset(h, 0, sizeof(*h));
}
