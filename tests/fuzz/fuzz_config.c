/*
 * libFuzzer target: ssh_config resolution end to end.
 *
 * Input layout (text):
 *   line 1          ssh-style arguments separated by single spaces (a tab
 *                   stays inside its argument: "-oLocalForward=1<TAB>h:2");
 *                   "-F <ours>" is put before them
 *   the rest        the configuration file given with -F
 *   "@@" lines      split the rest: the part after the first "@@" line is
 *                   ~/.ssh/inc1, after the second ~/.ssh/inc2, after the
 *                   third ~/.ssh/conf.d/inc3, so that Include (relative
 *                   paths are anchored in ~/.ssh) and its globs are reached
 *
 * The files live in a private directory created once per process (in
 * /dev/shm when it is writable, else $TMPDIR or /tmp), which is also
 * $HOME and the fake host's home directory; each run truncates and
 * rewrites them.  Every input gets a fresh config_cache, so a reused
 * path never serves the previous input's content.
 *
 * The resolver may only read inside that directory: open() and glob() of
 * the config module are wrapped at link time (-Wl,--wrap=open,--wrap=glob)
 * and, while a resolution runs, refuse anything else (a fuzzed
 * "Include /dev/..." or "-F /proc/..." must not touch the machine) and bound
 * the number of Include globs per input, since OpenSSH's Include is
 * exponential in the nesting depth by design (16 levels of "Include inc1
 * inc1" is 2^16 reads) and that would show up as a timeout, not a bug.
 *
 * Match exec is off (exec_fn NULL: every Match exec is an error) and no
 * name resolves (resolve_fn NULL).  ${VAR} reads a small fixed table.
 *
 * Beyond the sanitizers, the API's contract is checked: a successful
 * resolution yields a result that prints; a configuration error leaves a
 * message in the diagnostics.
 *
 * FUZZ_CONFIG_VERBOSE=1 in the environment prints each input's
 * diagnostics and `ssh -G` output on stderr (for looking at seeds).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/err.h"
#include "config/config.h"

#define MAX_ARGS 32
#define N_INCLUDES 3
#define MAX_GLOBS_PER_INPUT 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The real functions, and our wrappers (ld --wrap). */
int __real_open(const char *path, int flags, ...);
int __wrap_open(const char *path, int flags, ...);
int __real_glob(const char *pattern, int flags,
    int (*errfunc)(const char *, int), glob_t *pglob);
int __wrap_glob(const char *pattern, int flags,
    int (*errfunc)(const char *, int), glob_t *pglob);

static char dir[PATH_MAX];         /* the private directory, also $HOME */
static size_t dir_len;
static char cfg_path[PATH_MAX];
static int cfg_fd = -1;
static char inc_path[N_INCLUDES][PATH_MAX];
static int inc_fd[N_INCLUDES] = { -1, -1, -1 };
static int sandboxed;              /* inside config_resolve() */
static int verbose;
static int globs_left;

/* ---- the sandbox */

/* 1 when path is an absolute path inside dir without "..". */
static int
path_allowed(const char *path)
{
	if (path == NULL || strncmp(path, dir, dir_len) != 0 ||
	    (path[dir_len] != '/' && path[dir_len] != '\0'))
		return 0;
	return strstr(path, "/..") == NULL;
}

int
__wrap_open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	if ((flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE) {
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	if (sandboxed && !path_allowed(path)) {
		errno = ENOENT;
		return -1;
	}
	return __real_open(path, flags, mode);
}

int
__wrap_glob(const char *pattern, int flags,
    int (*errfunc)(const char *, int), glob_t *pglob)
{
	char buf[PATH_MAX];
	const char *p = pattern;
	size_t i, k;
	int r;

	if (!sandboxed)
		return __real_glob(pattern, flags, errfunc, pglob);
	if (globs_left <= 0)
		return GLOB_NOMATCH;
	globs_left--;
	/* "~" and "~/..." are $HOME, which is dir; "~user" is not ours */
	if ((flags & GLOB_TILDE) != 0 && p[0] == '~') {
		if (p[1] != '\0' && p[1] != '/')
			return GLOB_NOMATCH;
		if ((size_t)snprintf(buf, sizeof(buf), "%s%s", dir, p + 1) >=
		    sizeof(buf))
			return GLOB_NOMATCH;
		p = buf;
	}
	/* a pattern outside dir could walk the whole file system */
	if (!path_allowed(p))
		return GLOB_NOMATCH;
	r = __real_glob(p, flags & ~GLOB_TILDE, errfunc, pglob);
	if (r != 0)
		return r;
	for (i = k = 0; i < pglob->gl_pathc; i++) {
		if (path_allowed(pglob->gl_pathv[i]))
			pglob->gl_pathv[k++] = pglob->gl_pathv[i];
		else
			free(pglob->gl_pathv[i]);
	}
	pglob->gl_pathv[k] = NULL;
	pglob->gl_pathc = k;
	if (k == 0) {
		/* a real GLOB_NOMATCH holds nothing: callers don't globfree */
		globfree(pglob);
		memset(pglob, 0, sizeof(*pglob));
		return GLOB_NOMATCH;
	}
	return 0;
}

/* ---- the fake host */

static const char *const env_table[][2] = {
	{ "HOME", NULL },               /* dir, filled in at setup */
	{ "USER", "fuzzer" },
	{ "FOO", "bar" },
	{ "EMPTY", "" },
	{ "PCT", "%h" },
	{ "DOLLAR", "${FOO}" },
	{ "SSH_AUTH_SOCK", "/tmp/agent.sock" },
	{ "SPACE", "a b" },
};

static const char *
fake_getenv(void *ctx, const char *name)
{
	size_t i;

	(void)ctx;
	if (strcmp(name, "HOME") == 0)
		return dir;
	for (i = 1; i < sizeof(env_table) / sizeof(env_table[0]); i++) {
		if (strcmp(name, env_table[i][0]) == 0)
			return env_table[i][1];
	}
	return NULL;
}

static struct config_host host;

static int
make_file(const char *path, int *fdp)
{
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd == -1)
		return -1;
	/* included files must not be writable by others (OpenSSH) */
	(void)fchmod(fd, 0600);
	*fdp = fd;
	return 0;
}

static void
setup(void)
{
	char tmpl[PATH_MAX];
	char sub[PATH_MAX];
	const char *tmp, *base;
	size_t i;

	/* every run rewrites the files: keep them in memory when we can */
	if (access("/dev/shm", W_OK | X_OK) == 0)
		base = "/dev/shm";
	else if ((base = getenv("TMPDIR")) == NULL || *base == '\0')
		base = "/tmp";
	snprintf(tmpl, sizeof(tmpl), "%s/fuzz_config.XXXXXX", base);
	if ((tmp = mkdtemp(tmpl)) == NULL || realpath(tmp, dir) == NULL) {
		perror("fuzz_config: mkdtemp");
		abort();
	}
	dir_len = strlen(dir);
	snprintf(cfg_path, sizeof(cfg_path), "%s/config", dir);
	snprintf(sub, sizeof(sub), "%s/.ssh", dir);
	if (mkdir(sub, 0700) == -1)
		abort();
	snprintf(sub, sizeof(sub), "%s/.ssh/conf.d", dir);
	if (mkdir(sub, 0700) == -1)
		abort();
	snprintf(inc_path[0], PATH_MAX, "%s/.ssh/inc1", dir);
	snprintf(inc_path[1], PATH_MAX, "%s/.ssh/inc2", dir);
	snprintf(inc_path[2], PATH_MAX, "%s/.ssh/conf.d/inc3", dir);
	if (make_file(cfg_path, &cfg_fd) != 0)
		abort();
	for (i = 0; i < N_INCLUDES; i++) {
		if (make_file(inc_path[i], &inc_fd[i]) != 0)
			abort();
	}
	/* glob()'s GLOB_TILDE reads $HOME */
	setenv("HOME", dir, 1);

	memset(&host, 0, sizeof(host));
	host.user_name = "fuzzer";
	host.home_dir = dir;
	host.uid = getuid();
	host.hostname = "fuzzhost.example.org";
	host.getenv_fn = fake_getenv;
	host.exec_fn = NULL;
	host.resolve_fn = NULL;
	host.user_config = cfg_path;
	host.system_config = cfg_path;
	host.system_dir = dir;
}

static void
cleanup(void)
{
	char sub[PATH_MAX];
	size_t i;

	if (dir_len == 0)
		return;
	for (i = 0; i < N_INCLUDES; i++)
		unlink(inc_path[i]);
	unlink(cfg_path);
	snprintf(sub, sizeof(sub), "%s/.ssh/conf.d", dir);
	rmdir(sub);
	snprintf(sub, sizeof(sub), "%s/.ssh", dir);
	rmdir(sub);
	rmdir(dir);
}

static void
put_file(int fd, const uint8_t *p, size_t len)
{
	ssize_t n;
	off_t off = 0;

	if (ftruncate(fd, 0) == -1)
		abort();
	while (len > 0) {
		if ((n = pwrite(fd, p, len, off)) <= 0)
			abort();
		p += n;
		off += n;
		len -= (size_t)n;
	}
}

/* The next "@@" line in [p, end): *partlen gets the part before it;
 * returns the start of the part after it, or NULL when there is none. */
static const uint8_t *
next_part(const uint8_t *p, const uint8_t *end, size_t *partlen)
{
	const uint8_t *q = p;

	while (q < end) {
		if ((q == p || q[-1] == '\n') && end - q >= 2 && q[0] == '@' &&
		    q[1] == '@' && (end - q == 2 || q[2] == '\n')) {
			*partlen = (size_t)(q - p);
			return end - q == 2 ? end : q + 3;
		}
		if ((q = memchr(q, '\n', (size_t)(end - q))) == NULL)
			break;
		q++;
	}
	*partlen = (size_t)(end - p);
	return NULL;
}

static void
check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "fuzz_config: contract broken: %s\n", what);
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = {
		"hostname", "user", "port", "proxycommand", "proxyjump",
		"identityfile", "localforward", "sendenv", "ciphers",
		"controlpath",
	};
	const uint8_t *end = data + size, *nl, *p;
	char *argline = NULL, *argv[MAX_ARGS + 2], *tok, *save;
	struct config_request req;
	struct config_cache *cache = NULL;
	struct config_diag *diag = NULL;
	struct config_result *res = NULL;
	struct buf *out = NULL;
	size_t argc = 0, len, i;
	int r;

	if (dir_len == 0) {
		setup();
		atexit(cleanup);
		verbose = getenv("FUZZ_CONFIG_VERBOSE") != NULL;
	}

	/* line 1: the arguments */
	nl = memchr(data, '\n', size);
	len = nl != NULL ? (size_t)(nl - data) : size;
	if ((argline = malloc(len + 1)) == NULL)
		return 0;
	memcpy(argline, data, len);
	argline[len] = '\0';
	argv[argc++] = (char *)"-F";
	argv[argc++] = cfg_path;
	/* an embedded NUL ends the line, as it would a C string */
	for (tok = strtok_r(argline, " ", &save); tok != NULL &&
	    argc < MAX_ARGS + 2; tok = strtok_r(NULL, " ", &save))
		argv[argc++] = tok;

	/* the rest: config, then the included files */
	p = nl != NULL ? nl + 1 : end;
	p = next_part(p, end, &len);
	put_file(cfg_fd, nl != NULL ? nl + 1 : end, len);
	for (i = 0; i < N_INCLUDES; i++) {
		const uint8_t *start = p;

		if (start == NULL) {
			put_file(inc_fd[i], NULL, 0);
			continue;
		}
		p = next_part(start, end, &len);
		put_file(inc_fd[i], start, len);
	}

	if ((cache = config_cache_new()) == NULL ||
	    (diag = config_diag_new()) == NULL ||
	    (out = buf_new(0)) == NULL)
		goto done;
	req.argv = argv;
	req.argc = argc;
	sandboxed = 1;
	globs_left = MAX_GLOBS_PER_INPUT;
	r = config_resolve(cache, &host, &req, &res, diag);
	sandboxed = 0;

	for (i = 0; i < config_diag_count(diag); i++) {
		check(config_diag_message(diag, i) != NULL, "NULL diagnostic");
		(void)config_diag_is_error(diag, i);
		if (verbose)
			fprintf(stderr, "diag: %s\n", config_diag_message(diag, i));
	}
	if (r == ERR_OK) {
		check(res != NULL, "ERR_OK without a result");
		r = config_print_ssh_g(res, out);
		check(r == ERR_OK || r == ERR_TOO_LONG, "ssh -G print failed");
		check(r != ERR_OK || buf_len(out) > 0, "empty ssh -G output");
		if (verbose)
			fprintf(stderr, "%s", buf_cstr(out));
		buf_reset(out);
		(void)config_print_explain(res, out);
		buf_reset(out);
		(void)config_print_yaml(res, out);
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			free(config_result_get_dup(res, keys[i], 0));
			free(config_result_get_dup(res, keys[i], 1));
		}
	} else {
		check(res == NULL, "a result with an error");
		/* config.h: "On ERR_CONFIG the reasons are in diag".  They
		 * may be flagged as warnings: an invalid algorithm list is
		 * reported as a warning (as OpenSSH's fill_default_options()
		 * logs it) and is fatal only later, without another line. */
		check(r != ERR_CONFIG || config_diag_count(diag) > 0,
		    "ERR_CONFIG without any diagnostic");
	}

 done:
	config_result_free(res);
	buf_free(out);
	config_diag_free(diag);
	config_cache_free(cache);
	free(argline);
	return 0;
}
