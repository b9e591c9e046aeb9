/*
 * In-process resolution speed: how many `ssh -G`-equivalent resolutions
 * per second config_resolve() does once the files are parsed (one
 * config_cache reused across calls, as the broker daemon will).
 *
 *   bench/bench_resolve [-t seconds | -n count] [-R] [-F file] [destination]
 *
 * Without -F it resolves `web1` against a built-in ~20-line config, the
 * same "plain" config bench/resolve-vs-ssh.sh generates, written to a
 * temporary file.  The host environment is a fake one, as in
 * tests/fuzz/fuzz_config.c: fixed user and home, a small ${VAR} table, no
 * Match exec (exec_fn NULL), no DNS (resolve_fn NULL).
 *
 * Prints resolutions per second for config_resolve() alone and for
 * config_resolve() plus config_print_ssh_g() (what `sshbroker resolve`
 * does), each measured for the given duration (default 2 s).  For
 * profilers (perf, valgrind --tool=callgrind): -n runs a fixed number of
 * resolutions per phase instead, -R skips the printing phase.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/err.h"
#include "config/config.h"

/* Keep in step with plain_config() in bench/resolve-vs-ssh.sh. */
static const char plain_config[] =
    "# plain benchmark config: a few Host blocks\n"
    "Host *\n"
    "    ServerAliveInterval 30\n"
    "    ServerAliveCountMax 3\n"
    "    AddKeysToAgent yes\n"
    "Host bastion\n"
    "    HostName bastion.example.com\n"
    "    User ops\n"
    "    Port 2222\n"
    "Host web1 web2\n"
    "    HostName %h.internal.example.com\n"
    "    User deploy\n"
    "    ProxyJump bastion\n"
    "    IdentityFile ~/.ssh/id_deploy\n"
    "    LocalForward 8080 localhost:80\n"
    "Host db1\n"
    "    HostName 10.0.0.21\n"
    "    User postgres\n"
    "    Port 5432\n"
    "Host *.example.com\n"
    "    Compression yes\n";

static const char *
fake_getenv(void *ctx, const char *name)
{
	(void)ctx;
	if (strcmp(name, "HOME") == 0)
		return "/home/bench";
	if (strcmp(name, "USER") == 0)
		return "bench";
	return NULL;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
usage(void)
{
	fprintf(stderr, "usage: bench_resolve [-t seconds | -n count] [-R] "
	    "[-F file] [destination]\n");
	exit(2);
}

/* One resolution (and, when out != NULL, its ssh -G text); exits on an
 * error, printing the diagnostics. */
static void
resolve_once(struct config_cache *cache, const struct config_host *host,
    const struct config_request *req, struct buf *out)
{
	struct config_diag *diag;
	struct config_result *res = NULL;
	size_t i;
	int r;

	if ((diag = config_diag_new()) == NULL) {
		fprintf(stderr, "bench_resolve: out of memory\n");
		exit(1);
	}
	r = config_resolve(cache, host, req, &res, diag);
	if (r == ERR_OK && out != NULL) {
		buf_reset(out);
		r = config_print_ssh_g(res, out);
	}
	if (r != ERR_OK) {
		for (i = 0; i < config_diag_count(diag); i++)
			fprintf(stderr, "%s\n", config_diag_message(diag, i));
		fprintf(stderr, "bench_resolve: resolution failed: %s\n",
		    err_str(r));
		exit(1);
	}
	config_result_free(res);
	config_diag_free(diag);
}

/* Resolutions per second over about `seconds`, or over exactly count
 * resolutions when count > 0. */
static double
measure(struct config_cache *cache, const struct config_host *host,
    const struct config_request *req, struct buf *out, double seconds,
    unsigned long count, unsigned long *countp)
{
	double start, t;
	unsigned long n = 0;

	start = now();
	do {
		resolve_once(cache, host, req, out);
		n++;
		t = now();
	} while (count > 0 ? n < count : t - start < seconds);
	*countp = n;
	return (double)n / (t - start);
}

int
main(int argc, char **argv)
{
	char tmpl[] = "/tmp/bench_resolve.XXXXXX";
	const char *file = NULL, *dest = "web1";
	char *rargv[3];
	struct config_host host;
	struct config_request req;
	struct config_cache *cache;
	struct buf *out;
	double seconds = 2.0, rate, rate_print = 0;
	unsigned long n, n_print = 0, count = 0;
	int ch, fd = -1, print_phase = 1;

	while ((ch = getopt(argc, argv, "t:n:RF:h")) != -1) {
		switch (ch) {
		case 't':
			seconds = atof(optarg);
			if (seconds <= 0)
				usage();
			break;
		case 'n':
			count = strtoul(optarg, NULL, 10);
			if (count == 0)
				usage();
			break;
		case 'R':
			print_phase = 0;
			break;
		case 'F':
			file = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind + 1 == argc)
		dest = argv[optind];
	else if (optind != argc)
		usage();

	if (file == NULL) {
		if ((fd = mkstemp(tmpl)) == -1 ||
		    write(fd, plain_config, sizeof(plain_config) - 1) !=
		    (ssize_t)(sizeof(plain_config) - 1)) {
			perror("bench_resolve: temporary config");
			return 1;
		}
		close(fd);
		file = tmpl;
	}

	memset(&host, 0, sizeof(host));
	host.user_name = "bench";
	host.home_dir = "/home/bench";
	host.uid = getuid();
	host.hostname = "benchhost.example.org";
	host.getenv_fn = fake_getenv;
	host.exec_fn = NULL;
	host.resolve_fn = NULL;

	rargv[0] = (char *)"-F";
	rargv[1] = (char *)file;
	rargv[2] = (char *)dest;
	req.argv = rargv;
	req.argc = 3;

	if ((cache = config_cache_new()) == NULL ||
	    (out = buf_new(0)) == NULL) {
		fprintf(stderr, "bench_resolve: out of memory\n");
		return 1;
	}
	/* warm up: parses the file into the cache, faults the code in */
	(void)measure(cache, &host, &req, out, seconds / 10,
	    count > 0 ? 1 : 0, &n);

	rate = measure(cache, &host, &req, NULL, seconds, count, &n);
	if (print_phase)
		rate_print = measure(cache, &host, &req, out, seconds, count,
		    &n_print);

	if (count > 0)
		printf("bench_resolve: -F %s %s (cache warm, %lu runs each)\n",
		    fd != -1 ? "<built-in plain config>" : file, dest, count);
	else
		printf("bench_resolve: -F %s %s (cache warm, %.1f s each)\n",
		    fd != -1 ? "<built-in plain config>" : file, dest, seconds);
	printf("  config_resolve:               %10.0f resolutions/s "
	    "(%lu runs, %.2f us each)\n", rate, n, 1e6 / rate);
	if (print_phase)
		printf("  config_resolve + print ssh -G: %9.0f resolutions/s "
		    "(%lu runs, %.2f us each)\n", rate_print, n_print,
		    1e6 / rate_print);
	if (fd != -1) {
		printf("  target: >= 100000 resolutions/s on the plain config: "
		    "%s\n", rate >= 100000 ? "met" : "MISSED");
		unlink(tmpl);
	}
	buf_free(out);
	config_cache_free(cache);
	return 0;
}
