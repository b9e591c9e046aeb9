/*
 * `sshbroker resolve [--explain] [--format ssh|yaml] [ssh options]
 *  destination`: what `ssh -G` prints, and where each value came from.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "broker/broker.h"
#include "common/buf.h"
#include "common/err.h"
#include "config/config.h"

enum resolve_format {
	RESOLVE_SSH_G,
	RESOLVE_EXPLAIN,
	RESOLVE_YAML,
};

static void
print_diag(const struct config_diag *d)
{
	size_t i;

	for (i = 0; i < config_diag_count(d); i++)
		fprintf(stderr, "%s\n", config_diag_message(d, i));
}

static int
write_all(int fd, const unsigned char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, p, len)) <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
cmd_resolve(int argc, char **argv)
{
	enum resolve_format fmt = RESOLVE_SSH_G;
	struct config_host host;
	struct config_request req;
	struct config_cache *cache = NULL;
	struct config_diag *diag = NULL;
	struct config_result *res = NULL;
	struct buf *out = NULL;
	int i = 0, r, status = 255;

	/* our own options come first; everything after is ssh's */
	while (i < argc) {
		if (strcmp(argv[i], "--explain") == 0)
			fmt = RESOLVE_EXPLAIN;
		else if (strcmp(argv[i], "--format") == 0 && i + 1 < argc) {
			i++;
			if (strcmp(argv[i], "yaml") == 0)
				fmt = RESOLVE_YAML;
			else if (strcmp(argv[i], "ssh") == 0)
				fmt = RESOLVE_SSH_G;
			else {
				fprintf(stderr, "sshbroker resolve: unknown format "
				    "\"%s\" (ssh or yaml)\n", argv[i]);
				return 255;
			}
		} else if (strncmp(argv[i], "--format=", 9) == 0) {
			if (strcmp(argv[i] + 9, "yaml") == 0)
				fmt = RESOLVE_YAML;
			else if (strcmp(argv[i] + 9, "ssh") == 0)
				fmt = RESOLVE_SSH_G;
			else {
				fprintf(stderr, "sshbroker resolve: unknown format "
				    "\"%s\" (ssh or yaml)\n", argv[i] + 9);
				return 255;
			}
		} else
			break;
		i++;
	}
	if (host_env_init(&host) != 0)
		return 255;
	if ((cache = config_cache_new_oneshot()) == NULL ||
	    (diag = config_diag_new()) == NULL ||
	    (out = buf_new(0)) == NULL) {
		fprintf(stderr, "sshbroker resolve: out of memory\n");
		goto done;
	}
	req.argv = argv + i;
	req.argc = (size_t)(argc - i);
	r = config_resolve(cache, &host, &req, &res, diag);
	print_diag(diag);
	if (r != ERR_OK) {
		if (r != ERR_CONFIG)
			fprintf(stderr, "sshbroker resolve: %s\n", err_str(r));
		goto done;
	}
	switch (fmt) {
	case RESOLVE_SSH_G:
		r = config_print_ssh_g(res, out);
		break;
	case RESOLVE_EXPLAIN:
		r = config_print_explain(res, out);
		break;
	case RESOLVE_YAML:
		r = config_print_yaml(res, out);
		break;
	}
	if (r != ERR_OK) {
		fprintf(stderr, "sshbroker resolve: %s\n", err_str(r));
		goto done;
	}
	if (write_all(STDOUT_FILENO, buf_ptr(out), buf_len(out)) != 0) {
		perror("sshbroker resolve: write");
		goto done;
	}
	status = 0;
 done:
	buf_free(out);
	config_result_free(res);
	config_diag_free(diag);
	config_cache_free(cache);
	host_env_free(&host);
	return status;
}
