/*
 * Direct connections: the resolved configuration turned into a chain of
 * hops (TCP or a ProxyCommand first, then direct-tcpip channels) with a
 * transport each, with the host key policy OpenSSH applies
 * (sshconnect.c): the names a key is looked up under (HostKeyAlias, or
 * the host with a non-default port; the address too with CheckHostIP),
 * the known_hosts files, StrictHostKeyChecking, HashKnownHosts, and the
 * algorithm lists.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "broker/broker.h"
#include "broker/direct.h"
#include "broker/login.h"
#include "common/buf.h"
#include "common/err.h"
#include "config/config.h"
#include "proxy/proxy.h"
#include "transport/knownhosts.h"
#include "transport/transport.h"

#define KNOWN_HOSTS_MAX (64u * 1024 * 1024)

static uint64_t
monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Reads a known_hosts file into kh; a missing file is not an error. */
static void
load_known_hosts(struct known_hosts *kh, const char *path)
{
	struct buf *b = buf_new(KNOWN_HOSTS_MAX);
	unsigned char chunk[65536];
	ssize_t n;
	int fd;

	if (b == NULL)
		return;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) != -1) {
		while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
			if (buf_put(b, chunk, (size_t)n) != ERR_OK)
				break;
		}
		close(fd);
		(void)known_hosts_add_text(kh, path, (const char *)buf_ptr(b),
		    buf_len(b), NULL);
	}
	buf_free(b);
}

/* Each space-separated word of list, loaded. */
static void
load_known_hosts_list(struct known_hosts *kh, const char *list)
{
	char *copy, *cur, *word;

	if (list == NULL || strcmp(list, "none") == 0 ||
	    (copy = strdup(list)) == NULL)
		return;
	cur = copy;
	while ((word = strsep(&cur, " ")) != NULL) {
		if (*word != '\0')
			load_known_hosts(kh, word);
	}
	free(copy);
}

static enum transport_strict_hostkey
strict_from(const char *v)
{
	if (v == NULL || strcmp(v, "ask") == 0)
		return TRANSPORT_HOSTKEY_STRICT_ASK;
	if (strcmp(v, "accept-new") == 0)
		return TRANSPORT_HOSTKEY_STRICT_ACCEPT_NEW;
	if (strcmp(v, "false") == 0)
		return TRANSPORT_HOSTKEY_STRICT_NO;
	return TRANSPORT_HOSTKEY_STRICT_YES;
}
/* StrictHostKeyChecking ask: the question ssh asks, through the ui.
 * 1 yes, 0 no, -1 when the answer comes later (direct_answer()). */
static int
ask_user(const struct direct *d, const char *key_type, const char *fp,
    const char *name)
{
	char prompt[1024], *answer;
	int yes;

	snprintf(prompt, sizeof(prompt), "The authenticity of host '%s' can't "
	    "be established.\r\n%s key fingerprint is %s.\r\nAre you sure you "
	    "want to continue connecting (yes/no)? ", name, key_type, fp);
	if ((answer = login_ask(d->ui, prompt, 1)) == NULL)
		return 0;
	if (answer == LOGIN_ASK_PENDING)
		return -1;
	yes = strcmp(answer, "yes") == 0;
	free(answer);
	return yes;
}

static void
record_key(const struct direct *d, const char *file, const char *line)
{
	int fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);

	if (fd == -1 || write(fd, line, strlen(line)) != (ssize_t)strlen(line))
		login_say(d->ui, "Failed to add the host key to %s: %s", file,
		    strerror(errno));
	else
		login_say(d->ui, "Warning: Permanently added the host key to "
		    "the list of known hosts (%s).", file);
	if (fd != -1)
		close(fd);
}


/* The daemon's defaults for hops whose ssh_config sets no keepalive. */
static void (*keepalive_default)(void *ctx, const char *destination,
    uint32_t *interval, uint32_t *count);
static void *keepalive_default_ctx;

void
direct_set_keepalive_default(void (*fn)(void *ctx, const char *destination,
    uint32_t *interval, uint32_t *count), void *ctx)
{
	keepalive_default = fn;
	keepalive_default_ctx = ctx;
}

/* The daemon's way to end a ProxyCommand without waiting for it. */
static void (*child_disposer)(void *ctx, struct proxy_child *c);
static void *child_disposer_ctx;

void
direct_set_child_disposer(void (*fn)(void *ctx, struct proxy_child *c),
    void *ctx)
{
	child_disposer = fn;
	child_disposer_ctx = ctx;
}

/* One hop of the connection. */
struct direct_hop {
	char *label;            /* as the user wrote it, for messages */
	struct config_result *res;
	struct transport *t;
	struct known_hosts *kh;
	struct login *login;
	char *hostname, *port, *user;
	char *names[2];         /* names the host key is looked up under */
	char *record_to;        /* where a new host key is recorded */
	int batch;
	int connect_timeout_ms; /* ConnectTimeout, -1: none */
	/* until the server's version line came: ConnectTimeout */
	uint64_t banner_deadline;
	/* hops[0]: a socket (TCP, a ProxyCommand's, or one it passed) */
	int fd;
	struct proxy_child *child;
	enum { CONNECT_TCP, CONNECT_FDPASS, CONNECT_DONE, CONNECT_EXTERNAL }
	    connecting;
	struct proxy_tcp *tcp;
	uint64_t connect_deadline;  /* ProxyUseFdpass: ConnectTimeout */
	/* later hops: a direct-tcpip channel of the hop before */
	uint32_t chan;
	enum { LINK_NONE, LINK_OPENING, LINK_OPEN, LINK_GONE } link;
	struct buf *pending;    /* channel bytes the transport has not taken */
};

#define MAX_HOPS 16

static char *
hop_cfg(const struct direct_hop *h, const char *keyword)
{
	return config_result_get_dup(h->res, keyword, 0);
}

static int
hop_cfg_is(const struct direct_hop *h, const char *keyword, const char *value)
{
	char *v = hop_cfg(h, keyword);
	int same = v != NULL && strcmp(v, value) == 0;

	free(v);
	return same;
}

char *
direct_cfg(const struct direct *d, const char *keyword)
{
	return config_result_get_dup(d->res, keyword, 0);
}

/* Resolves argv into h; 0 or -1 with the messages printed. */
static int
resolve_hop(struct direct *d, struct direct_hop *h, char *const *argv,
    size_t argc)
{
	struct config_request req;
	struct config_cache *cache = NULL;
	struct config_diag *diag = NULL;
	size_t i;
	int r, ret = -1;

	if ((cache = config_cache_new_oneshot()) == NULL ||
	    (diag = config_diag_new()) == NULL) {
		login_say(d->ui, "sshbroker: out of memory");
		goto out;
	}
	req.argv = argv;
	req.argc = argc;
	r = config_resolve(cache, &d->host, &req, &h->res, diag);
	for (i = 0; i < config_diag_count(diag); i++) {
		if (h->label != NULL)
			login_say(d->ui, "sshbroker: jump host %s: %s", h->label,
			    config_diag_message(diag, i));
		else
			login_say(d->ui, "%s", config_diag_message(diag, i));
	}
	if (r != ERR_OK)
		goto out;
	h->hostname = hop_cfg(h, "hostname");
	h->port = hop_cfg(h, "port");
	h->user = hop_cfg(h, "user");
	if (h->hostname == NULL || h->port == NULL || h->user == NULL) {
		login_say(d->ui, "sshbroker: out of memory");
		goto out;
	}
	h->batch = hop_cfg_is(h, "batchmode", "yes");
	ret = 0;
 out:
	config_diag_free(diag);
	config_cache_free(cache);
	return ret;
}

/*
 * The words ssh runs a ProxyJump hop with: `ssh [-l user] [-p port]
 * [-J earlier,hops] [-F file] -- host` (only -F carries over), as
 * malloc'ed copies in argv (room for 12); the count, or -1 when out of
 * memory.
 */
static int
jump_argv(const struct config_result *res, const char *juser,
    const char *jhost, int jport, const char *jextra, char **argv)
{
	const char *file = config_result_config_file(res);
	char portbuf[16];
	int argc = 0, i;

	snprintf(portbuf, sizeof(portbuf), "%d", jport);
	if (juser != NULL) {
		argv[argc++] = strdup("-l");
		argv[argc++] = strdup(juser);
	}
	if (jport > 0) {
		argv[argc++] = strdup("-p");
		argv[argc++] = strdup(portbuf);
	}
	if (jextra != NULL) {
		argv[argc++] = strdup("-J");
		argv[argc++] = strdup(jextra);
	}
	if (file != NULL) {
		argv[argc++] = strdup("-F");
		argv[argc++] = strdup(file);
	}
	argv[argc++] = strdup("--");
	argv[argc++] = strdup(jhost);
	argv[argc] = NULL;
	for (i = 0; i < argc; i++) {
		if (argv[i] == NULL) {
			for (i = 0; i < argc; i++)
				free(argv[i]);
			return -1;
		}
	}
	return argc;
}

/*
 * The hop before h, as ssh reaches a ProxyJump: `ssh [-l user] [-p port]
 * [-J earlier,hops] [-F file] host`, resolved on its own; only -F
 * carries over.  0 with *has_jump 0 when h has none.
 */
static int
resolve_jump(struct direct *d, const struct direct_hop *h,
    struct direct_hop *prev, int *has_jump)
{
	const char *juser, *jhost, *jextra;
	char *argv[12], portbuf[16];
	int jport, n_args, i, r = -1;

	*has_jump = config_result_jump(h->res, &juser, &jhost, &jport, &jextra);
	if (!*has_jump)
		return 0;
	/* ssh.c refuses a jump to the very host it is for */
	if (strcmp(jhost, h->hostname) == 0 &&
	    (jport > 0 ? jport : 22) == atoi(h->port) &&
	    strcmp(juser != NULL ? juser : h->user, h->user) == 0) {
		login_say(d->ui, "sshbroker: jumphost loop via %s", jhost);
		return -1;
	}
	if ((n_args = jump_argv(h->res, juser, jhost, jport, jextra,
	    argv)) < 0)
		return -1;
	snprintf(portbuf, sizeof(portbuf), "%d", jport);
	if (juser != NULL || jport > 0) {
		size_t n = strlen(jhost) + (juser != NULL ? strlen(juser) : 0) + 24;

		if ((prev->label = malloc(n)) == NULL)
			goto out;
		snprintf(prev->label, n, "%s%s%s%s%s", juser != NULL ? juser : "",
		    juser != NULL ? "@" : "", jhost, jport > 0 ? ":" : "",
		    jport > 0 ? portbuf : "");
	} else if ((prev->label = strdup(jhost)) == NULL)
		goto out;
	r = resolve_hop(d, prev, argv, (size_t)n_args);
 out:
	for (i = 0; i < n_args; i++)
		free(argv[i]);
	return r;
}

/* The known_hosts files of h, read while resolving (on the daemon's
 * worker, not on its event loop); 0 or -1 when out of memory. */
static int
hop_load_known_hosts(struct direct_hop *h)
{
	char *userkh = hop_cfg(h, "userknownhostsfile");
	char *globalkh = hop_cfg(h, "globalknownhostsfile");
	int r = -1;

	if ((h->kh = known_hosts_new()) == NULL)
		goto out;
	load_known_hosts_list(h->kh, userkh);
	load_known_hosts_list(h->kh, globalkh);
	if (userkh != NULL && strcmp(userkh, "none") != 0 &&
	    (h->record_to = strdup(userkh)) != NULL)
		h->record_to[strcspn(h->record_to, " ")] = '\0';
	r = 0;
 out:
	free(userkh);
	free(globalkh);
	return r;
}

/* Names and algorithms of h, and its transport. */
static int
hop_start_transport(struct direct *d, struct direct_hop *h, const char *addr)
{
	struct transport_params p;
	char *alias = hop_cfg(h, "hostkeyalias");
	char *strict = hop_cfg(h, "stricthostkeychecking");
	char *kex = hop_cfg(h, "kexalgorithms");
	char *hk = hop_cfg(h, "hostkeyalgorithms");
	char *ciphers = hop_cfg(h, "ciphers");
	char *macs = hop_cfg(h, "macs");
	char *rekey = hop_cfg(h, "rekeylimit");
	char *ivl = hop_cfg(h, "serveraliveinterval");
	char *cnt = hop_cfg(h, "serveralivecountmax");
	int r, ret = -1;

	/* the names OpenSSH looks the key up under (sshconnect.c):
	 * HostKeyAlias as is, else the host with a non-default port, and
	 * with CheckHostIP the address a TCP connection reached */
	h->names[0] = alias != NULL ? strdup(alias) :
	    known_hosts_name(h->hostname, atoi(h->port));
	if (hop_cfg_is(h, "checkhostip", "yes") && alias == NULL &&
	    addr != NULL && addr[0] != '\0' && strcmp(addr, h->hostname) != 0)
		h->names[1] = known_hosts_name(addr, atoi(h->port));
	if (h->names[0] == NULL)
		goto out;
	memset(&p, 0, sizeof(p));
	p.kex_algorithms = kex;
	p.hostkey_algorithms = hk;
	p.ciphers = ciphers;
	p.macs = macs;
	if (rekey != NULL) {
		unsigned long long bytes = 0;
		unsigned int secs = 0;

		if (sscanf(rekey, "%llu %u", &bytes, &secs) == 2) {
			p.rekey_bytes = bytes;
			p.rekey_seconds = secs;
		}
	}
	p.keepalive_interval = ivl != NULL ? (uint32_t)atoi(ivl) : 0;
	p.keepalive_count_max = cnt != NULL ? (uint32_t)atoi(cnt) : 3;
	/* ssh_config said nothing (0 is also what it prints for unset) */
	if (p.keepalive_interval == 0 && keepalive_default != NULL) {
		char *host = hop_cfg(h, "host");

		keepalive_default(keepalive_default_ctx, host != NULL ? host :
		    h->hostname, &p.keepalive_interval, &p.keepalive_count_max);
		free(host);
	}
	p.known_hosts = h->kh;
	p.hostkey_names = (const char *const *)h->names;
	p.n_hostkey_names = h->names[1] != NULL ? 2 : 1;
	p.strict = strict_from(strict);
	p.hash_known_hosts = hop_cfg_is(h, "hashknownhosts", "yes");
	if ((r = transport_new(&p, monotonic_ms(), &h->t)) != ERR_OK) {
		login_say(d->ui, "sshbroker: %s: %s", h->label, err_str(r));
		goto out;
	}
	if (d->n_hops > 0 && h == &d->hops[d->n_hops - 1])
		d->t = h->t;
	/* a first hop that connected but never speaks: ConnectTimeout
	 * (later hops get theirs when their channel opens) */
	if (h == &d->hops[0] && h->connect_timeout_ms >= 0 &&
	    h->connecting == CONNECT_DONE)
		h->banner_deadline = monotonic_ms() +
		    (uint64_t)h->connect_timeout_ms;
	ret = 0;
 out:
	free(alias); free(strict); free(kex);
	free(hk); free(ciphers); free(macs); free(rekey); free(ivl); free(cnt);
	return ret;
}

/* The ProxyCommand of the first hop, through the user's shell, with its
 * stderr on ours; with ProxyUseFdpass it hands back a socket instead of
 * carrying the bytes itself.  0 or -1 with the reason printed. */
static int
hop_proxy_command(struct direct *d, struct direct_hop *h, const char *command)
{
	struct proxy_spawn_spec spec;
	const char *why = NULL;
	char *expanded = NULL;
	int r, fdpass = hop_cfg_is(h, "proxyusefdpass", "yes");

	if (strcmp(command, "-") == 0) {
		login_say(d->ui, "sshbroker: %s: ProxyCommand - needs ssh's own "
		    "standard input and is not supported", h->label);
		return -1;
	}
	if (config_result_expand_proxy_command(h->res, command, &expanded,
	    &why) != ERR_OK) {
		login_say(d->ui, "sshbroker: %s: ProxyCommand not run: %s",
		    h->label, why != NULL ? why : "cannot expand it");
		return -1;
	}
	memset(&spec, 0, sizeof(spec));
	spec.shell = getenv("SHELL") != NULL && *getenv("SHELL") != '\0' ?
	    getenv("SHELL") : "/bin/sh";
	spec.command = expanded;
	spec.stdin_mode = PROXY_STDIO_SOCKET;
	spec.stdout_mode = PROXY_STDIO_SOCKET;
	spec.stderr_mode = PROXY_STDIO_INHERIT;
	spec.exec_prefix = 1;
	r = proxy_spawn(&spec, &h->child);
	free(expanded);
	if (r != ERR_OK) {
		login_say(d->ui, "sshbroker: %s: cannot run ProxyCommand: %s",
		    h->label, r == ERR_CHILD_FAILED ? strerror(errno) : err_str(r));
		return -1;
	}
	if (!fdpass) {
		h->fd = proxy_child_take_socket(h->child);
		h->connecting = CONNECT_DONE;
		return h->fd == -1 ? -1 : 0;
	}
	/* ProxyUseFdpass: the dialer passes a connected socket and exits */
	h->connecting = CONNECT_FDPASS;
	h->connect_deadline = h->connect_timeout_ms >= 0 ?
	    monotonic_ms() + (uint64_t)h->connect_timeout_ms : UINT64_MAX;
	return 0;
}

/* ProxyUseFdpass, once the dialer's socket has something: 0 while
 * waiting, 1 with h->fd set, -1 on failure (said). */
static int
hop_fdpass_step(struct direct *d, struct direct_hop *h, uint64_t now)
{
	int r, status;

	r = proxy_fdpass_receive(proxy_child_socket(h->child), &h->fd);
	if (r == ERR_AGAIN && now < h->connect_deadline)
		return 0;
	if (r != ERR_OK) {
		h->fd = -1;
		login_say(d->ui, "sshbroker: %s: the ProxyCommand did not pass "
		    "back a connection%s", h->label,
		    r == ERR_AGAIN ? " (timed out)" : "");
		return -1;
	}
	/* as ssh, the dialer's work is done: reap it (it exits right
	 * after passing the socket; one that lingers is stopped) */
	if (proxy_child_wait(h->child, 1000, &status) == ERR_OK) {
		proxy_child_free(h->child);
		h->child = NULL;
	}
	h->connecting = CONNECT_DONE;
	return 1;
}

static void
say_dead(const struct direct *d, const struct direct_hop *h, const char *why)
{
	static const char closed[] = "connection closed by the server";
	char buf[512];

	/* through a ProxyCommand, what closed is the command's end: say so
	 * rather than blame a server that may never have been reached */
	if (h == &d->hops[0] && h->child != NULL &&
	    strncmp(why, closed, sizeof(closed) - 1) == 0) {
		snprintf(buf, sizeof(buf), "connection closed by the "
		    "ProxyCommand%s", why + sizeof(closed) - 1);
		why = buf;
	}
	if (h == &d->hops[d->n_hops - 1])
		login_say(d->ui, "sshbroker: %s: %s", h->names[0] != NULL ?
		    h->names[0] : h->label, why);
	else
		login_say(d->ui, "sshbroker: jump host %s: %s", h->label, why);
}

/* Starts the first hop's byte path: its ProxyCommand, or TCP. */
static int
hop_connect_start(struct direct *d, struct direct_hop *h)
{
	struct proxy_tcp_spec spec;
	char *proxy = hop_cfg(h, "proxycommand");
	char *family = hop_cfg(h, "addressfamily");
	char *bind_address = hop_cfg(h, "bindaddress");
	char *bind_interface = hop_cfg(h, "bindinterface");
	char *attempts = hop_cfg(h, "connectionattempts");
	int r = -1, af = AF_UNSPEC;

	if (proxy != NULL && strcmp(proxy, "none") != 0) {
		r = hop_proxy_command(d, h, proxy);
		if (r == 0 && h->connecting == CONNECT_DONE)
			r = hop_start_transport(d, h, NULL);
		goto out;
	}
	if (family != NULL)
		af = strcmp(family, "inet") == 0 ? AF_INET :
		    strcmp(family, "inet6") == 0 ? AF_INET6 : AF_UNSPEC;
	memset(&spec, 0, sizeof(spec));
	spec.host = h->hostname;
	spec.port = h->port;
	spec.family = af;
	spec.bind_address = bind_address;
	spec.bind_interface = bind_interface;
	spec.timeout_ms = h->connect_timeout_ms;
	spec.attempts = attempts != NULL ? atoi(attempts) : 1;
	h->connecting = CONNECT_TCP;
	if ((r = proxy_tcp_start(&spec, monotonic_ms(), &h->tcp)) != ERR_OK) {
		login_say(d->ui, "sshbroker: %s: %s", h->label, err_str(r));
		r = -1;
	}
 out:
	free(proxy);
	free(family);
	free(bind_address);
	free(bind_interface);
	free(attempts);
	return r;
}

/* The TCP connect of the first hop, after poll: 0 while it goes on,
 * 1 once connected (the transport started), -1 on failure (said). */
static int
hop_tcp_step(struct direct *d, struct direct_hop *h, uint64_t now)
{
	int r = proxy_tcp_step(h->tcp, now, &h->fd);

	if (r == ERR_AGAIN)
		return 0;
	if (r != ERR_OK) {
		h->fd = -1;
		say_dead(d, h, proxy_tcp_error(h->tcp));
		return -1;
	}
	h->connecting = CONNECT_DONE;
	d->fd_generation++;
	r = hop_start_transport(d, h, proxy_tcp_address(h->tcp));
	proxy_tcp_free(h->tcp);
	h->tcp = NULL;
	return r == 0 ? 1 : -1;
}

static int
hop_timeout_ms(const struct direct_hop *h)
{
	char *v = hop_cfg(h, "connecttimeout");
	int ms = v != NULL && strcmp(v, "none") != 0 ? atoi(v) * 1000 : -1;

	free(v);
	/* as ssh's timeout_connect(): 0 waits as long as the system does */
	return ms > 0 ? ms : -1;
}

int
direct_resolve(struct direct *d, int argc, char **argv,
    const struct login_ui *ui)
{
	struct direct_hop *chain[MAX_HOPS], *h;
	size_t n = 0, i, j;
	int has_jump, status = 255;

	memset(d, 0, sizeof(*d));
	d->ui = ui;
	if (host_env_init(&d->host) != 0)
		return 255;
	if ((d->hops = calloc(MAX_HOPS, sizeof(*d->hops))) == NULL)
		goto out;
	for (i = 0; i < MAX_HOPS; i++) {
		d->hops[i].fd = -1;
		chain[i] = &d->hops[MAX_HOPS - 1 - i];
	}
	/* the destination, then each jump before it, filled from the end */
	if (resolve_hop(d, chain[0], argv, (size_t)argc) != 0)
		goto out;
	n = 1;
	if ((chain[0]->label = config_result_get_dup(chain[0]->res, "host",
	    0)) == NULL)
		goto out;
	for (;;) {
		if (n == MAX_HOPS) {
			login_say(d->ui, "sshbroker: more than %d jump hosts: "
			    "is there a ProxyJump loop?", MAX_HOPS - 1);
			goto out;
		}
		if (resolve_jump(d, chain[n - 1], chain[n], &has_jump) != 0)
			goto out;
		if (!has_jump)
			break;
		/* a name met twice means the configuration jumps around in
		 * a circle (ssh would start ssh after ssh until it fails) */
		for (j = 0; j < n; j++) {
			if (strcmp(chain[j]->label, chain[n]->label) == 0) {
				login_say(d->ui, "sshbroker: jumphost loop via %s: "
				    "it is already in the chain", chain[n]->label);
				n++;
				goto out;
			}
		}
		n++;
	}
	/* hops[0 .. n) in the order they are reached */
	if (n < MAX_HOPS) {
		memmove(d->hops, d->hops + (MAX_HOPS - n), n * sizeof(*d->hops));
		for (i = n; i < MAX_HOPS; i++) {
			memset(&d->hops[i], 0, sizeof(d->hops[i]));
			d->hops[i].fd = -1;
		}
	}
	d->n_hops = n;
	h = &d->hops[n - 1];
	for (i = 0; i < n; i++) {
		d->hops[i].connect_timeout_ms = hop_timeout_ms(&d->hops[i]);
		if (hop_load_known_hosts(&d->hops[i]) != 0 ||
		    (i > 0 && hop_start_transport(d, &d->hops[i], NULL) != 0))
			goto out;
	}
	d->res = h->res;
	d->hostname = h->hostname;
	d->port = h->port;
	d->user = h->user;
	d->batch = h->batch;
	d->t = h->t;        /* NULL until connected when there is no jump */
	status = 0;
 out:
	if (status != 0 && d->n_hops == 0) {
		/* the chain was not moved into place: free what was made */
		d->n_hops = MAX_HOPS;
	}
	return status;
}

int
direct_answer(struct direct *d, const char *answer)
{
	size_t i;
	int r;

	if (d->hostkey_pending != NULL) {
		struct direct_hop *h = d->hostkey_pending;

		d->hostkey_pending = NULL;
		return transport_hostkey_decide(h->t, answer != NULL &&
		    strcmp(answer, "yes") == 0) == ERR_OK ? 1 : -1;
	}
	for (i = 0; i < d->n_hops; i++) {
		if ((r = login_answer(d->hops[i].login, answer)) != 0)
			return r;
	}
	return 0;
}

char *
direct_key(const struct direct *d)
{
	struct buf *b = buf_new(0);
	char *key = NULL;
	size_t i;

	/* what OpenSSH's %C hashes (the local host is the same for all of
	 * a daemon's transports), and every hop before it with the same
	 * inputs, plus what changes the way there */
	for (i = 0; b != NULL && i < d->n_hops; i++) {
		const struct direct_hop *h = &d->hops[i];
		char *alias = hop_cfg(h, "hostkeyalias");
		char *proxy = i == 0 ? hop_cfg(h, "proxycommand") : NULL;

		(void)buf_putf(b, "%s%s@%s:%s/%s/%s", i > 0 ? " > " : "",
		    h->user, h->hostname, h->port, alias != NULL ? alias : "",
		    proxy != NULL ? proxy : "");
		free(alias);
		free(proxy);
	}
	if (b != NULL)
		key = buf_dup_cstr(b);
	buf_free(b);
	return key;
}

char *
direct_chain(const struct direct *d)
{
	struct buf *b = buf_new(0);
	char *chain = NULL;
	size_t i;

	for (i = 0; b != NULL && i + 1 < d->n_hops; i++)
		(void)buf_putf(b, "%s%s", i > 0 ? "," : "", d->hops[i].label);
	if (b != NULL)
		chain = buf_dup_cstr(b);
	buf_free(b);
	return chain;
}

int
direct_start(struct direct *d)
{
	if (d->hops[0].connecting == CONNECT_EXTERNAL)
		return 0;
	return hop_connect_start(d, &d->hops[0]) == 0 ? 0 : 255;
}

/* Frees what one hop holds. */
static void
hop_clear(struct direct_hop *h)
{
	if (h->fd != -1)
		close(h->fd);
	/* the ProxyCommand goes with the connection, reaped: given a
	 * moment to leave on SIGTERM, away from the daemon's loop */
	if (h->child != NULL && child_disposer != NULL)
		child_disposer(child_disposer_ctx, h->child);
	else
		proxy_child_kill_free(h->child, DIRECT_CHILD_GRACE_MS);
	proxy_tcp_free(h->tcp);
	login_free(h->login);
	transport_free(h->t);
	known_hosts_free(h->kh);
	buf_free(h->pending);
	free(h->names[0]);
	free(h->names[1]);
	free(h->record_to);
	free(h->hostname);
	free(h->port);
	free(h->user);
	free(h->label);
	config_result_free(h->res);
	memset(h, 0, sizeof(*h));
	h->fd = -1;
}

int
direct_detach_jump(struct direct *d, char ***argvp, size_t *argcp)
{
	struct direct_hop *last = &d->hops[d->n_hops - 1];
	const char *juser, *jhost, *jextra;
	char **argv;
	size_t argc, i;
	int jport, n;

	*argvp = NULL;
	*argcp = 0;
	if (d->n_hops < 2 ||
	    !config_result_jump(last->res, &juser, &jhost, &jport, &jextra))
		return 0;
	if ((argv = calloc(12, sizeof(char *))) == NULL)
		return -1;
	if ((n = jump_argv(last->res, juser, jhost, jport, jextra, argv)) < 0) {
		free(argv);
		return -1;
	}
	argc = (size_t)n;
	/* the destination alone is left, its bytes carried by the caller */
	for (i = 0; i + 1 < d->n_hops; i++)
		hop_clear(&d->hops[i]);
	d->hops[0] = *last;
	memset(last, 0, sizeof(*last));
	last->fd = -1;
	d->n_hops = 1;
	d->hops[0].connecting = CONNECT_EXTERNAL;
	d->hops[0].link = LINK_NONE;
	d->t = d->hops[0].t;
	d->res = d->hops[0].res;
	*argvp = argv;
	*argcp = argc;
	return 1;
}

void
direct_link_up(struct direct *d)
{
	struct direct_hop *h0 = &d->hops[0];

	if (h0->connect_timeout_ms >= 0)
		h0->banner_deadline = monotonic_ms() +
		    (uint64_t)h0->connect_timeout_ms;
}

int
direct_open(struct direct *d, int argc, char **argv,
    const struct login_ui *ui)
{
	int r = direct_resolve(d, argc, argv, ui);

	return r != 0 ? r : direct_start(d);
}

void
direct_close(struct direct *d)
{
	size_t i;

	for (i = 0; d->hops != NULL && i < d->n_hops; i++)
		hop_clear(&d->hops[i]);
	free(d->hops);
	free(d->rbuf);
	host_env_free(&d->host);
	memset(d, 0, sizeof(*d));
}

/* Gives hop h the bytes its channel brought that it has not taken. */
static int
hop_feed(struct direct *d, struct direct_hop *h, struct direct_hop *prev)
{
	size_t used;

	while (h->pending != NULL && buf_len(h->pending) > 0) {
		if (transport_input(h->t, buf_ptr(h->pending),
		    buf_len(h->pending), &used) != ERR_OK || used == 0)
			break;
		(void)buf_consume(h->pending, used);
		/* the hop before opens its window only as we take bytes */
		if (channel_consumed(prev->t, h->chan, used) != ERR_OK)
			return -1;
	}
	(void)d;
	return 0;
}

/*
 * The events of a jump hop: its own login, then the channel that carries
 * the next hop, whose bytes go straight into the next transport.
 */
static int
jump_event(struct direct *d, size_t i, const struct transport_event *ev)
{
	struct direct_hop *h = &d->hops[i], *next = &d->hops[i + 1];
	size_t used = 0;

	switch (ev->type) {
	case TRANSPORT_EV_AUTHENTICATED:
		if (channel_open_direct_tcpip(h->t, next->hostname,
		    (uint32_t)atoi(next->port), "127.0.0.1", 65535,
		    &next->chan) != ERR_OK)
			return -1;
		next->link = LINK_OPENING;
		return 0;
	default:
		break;
	}
	if (next->link == LINK_NONE || ev->channel != next->chan)
		return 0;
	switch (ev->type) {
	case TRANSPORT_EV_CHANNEL_OPEN:
		next->link = LINK_OPEN;
		if (next->connect_timeout_ms >= 0)
			next->banner_deadline = monotonic_ms() +
			    (uint64_t)next->connect_timeout_ms;
		return 0;
	case TRANSPORT_EV_CHANNEL_OPEN_FAILED:
		login_say(d->ui, "sshbroker: jump host %s cannot reach %s "
		    "(%s port %s): %s", h->label, next->label,
		    next->hostname, next->port, ev->line);
		next->link = LINK_GONE;
		return -1;
	case TRANSPORT_EV_CHANNEL_DATA:
		if (next->pending == NULL || buf_len(next->pending) == 0) {
			/* the usual case: all of it goes in at once */
			if (transport_input(next->t, ev->packet, ev->packet_len,
			    &used) != ERR_OK)
				used = ev->packet_len;
			if (used > 0 && channel_consumed(h->t, next->chan, used) !=
			    ERR_OK)
				return -1;
		}
		if (used < ev->packet_len) {
			if (next->pending == NULL &&
			    (next->pending = buf_new(0)) == NULL)
				return -1;
			if (buf_put(next->pending, ev->packet + used,
			    ev->packet_len - used) != ERR_OK)
				return -1;
		}
		return 0;
	case TRANSPORT_EV_CHANNEL_EOF:
	case TRANSPORT_EV_CHANNEL_CLOSED:
		if (next->link != LINK_GONE) {
			next->link = LINK_GONE;
			(void)transport_input_eof(next->t);
		}
		return 0;
	default:
		return 0;
	}
}

/* The host key questions and learned keys of any hop. */
static int
hostkey_event(struct direct *d, struct direct_hop *h,
    const struct transport_event *ev)
{
	switch (ev->type) {
	case TRANSPORT_EV_HOSTKEY_ASK: {
		int yes = h->batch ? 0 :
		    ask_user(d, ev->key_type, ev->fingerprint, h->names[0]);

		if (yes < 0)
			d->hostkey_pending = h;     /* answered later */
		else
			(void)transport_hostkey_decide(h->t, yes);
		return 1;
	}
	case TRANSPORT_EV_HOSTKEY_LEARNED:
		if (h->record_to != NULL)
			record_key(d, h->record_to, ev->line);
		return 1;
	default:
		return 0;
	}
}

/* Hands out pending events of hop i: 0 to go on, 1 when on_event says
 * stop, -1 when the transport died. */
static int
hop_events(struct direct *d, size_t i,
    int (*on_event)(void *ctx, const struct transport_event *ev), void *ctx)
{
	struct direct_hop *h = &d->hops[i];
	int last = i == d->n_hops - 1;
	struct transport_event ev;
	int r;

	while (transport_next_event(h->t, &ev) == ERR_OK &&
	    ev.type != TRANSPORT_EV_NONE) {
		if (ev.type == TRANSPORT_EV_DISCONNECTED) {
			say_dead(d, h, ev.reason);
			return -1;
		}
		if (hostkey_event(d, h, &ev))
			continue;
		/* the host key is verified: a held connection need not keep
		 * the whole known_hosts list (large ones cost per transport) */
		if (ev.type == TRANSPORT_EV_READY && h->kh != NULL &&
		    transport_release_known_hosts(h->t) == ERR_OK) {
			known_hosts_free(h->kh);
			h->kh = NULL;
		}
		if (!(last && d->kex_only)) {
			if (h->login == NULL && (h->login = login_new(h->t, h->res,
			    &d->host, h->batch, d->ui)) == NULL)
				return -1;
			if ((r = login_on_event(h->login, &ev)) > 0)
				continue;
		} else
			r = 0;
		if (r == 0 && !last)
			r = jump_event(d, i, &ev);
		else if (r == 0 && on_event != NULL) {
			if ((r = on_event(ctx, &ev)) > 0)
				return 1;
		}
		if (r < 0) {
			/* the call that failed killed the transport: say why */
			while (transport_next_event(h->t, &ev) == ERR_OK &&
			    ev.type != TRANSPORT_EV_NONE) {
				if (ev.type == TRANSPORT_EV_DISCONNECTED)
					say_dead(d, h, ev.reason);
			}
			return -1;
		}
	}
	return 0;
}

/*
 * Everything that can move without waiting: events hop by hop from the
 * first (their channel data feeds the next hop), then each later hop's
 * output into its channel, from the last (its bytes become the hop
 * before's output).  Repeated while anything moved.
 */
static int
direct_settle(struct direct *d,
    int (*on_event)(void *ctx, const struct transport_event *ev), void *ctx)
{
	const unsigned char *out;
	size_t i, len, w, rounds;
	int r, moved;

	for (rounds = 0; rounds < 64; rounds++) {
		moved = 0;
		for (i = 0; i < d->n_hops; i++) {
			if (i > 0 && d->hops[i].link == LINK_OPEN &&
			    hop_feed(d, &d->hops[i], &d->hops[i - 1]) != 0)
				return -1;
			if ((r = hop_events(d, i, on_event, ctx)) != 0)
				return r;
		}
		for (i = d->n_hops; i-- > 1;) {
			struct direct_hop *h = &d->hops[i];

			if (h->link != LINK_OPEN)
				continue;
			transport_output(h->t, &out, &len);
			if (len == 0)
				continue;
			w = 0;
			if (channel_write(d->hops[i - 1].t, h->chan, out, len,
			    &w) == ERR_OK && w > 0) {
				transport_output_consume(h->t, w);
				moved = 1;
			}
		}
		if (!moved)
			break;
	}
	return 0;
}

static int
check_banner_deadlines(struct direct *d, uint64_t now)
{
	size_t i;

	for (i = 0; i < d->n_hops; i++) {
		struct direct_hop *h = &d->hops[i];

		if (h->banner_deadline == 0 ||
		    transport_negotiated(h->t, "server_version") != NULL)
			continue;
		if (now >= h->banner_deadline) {
			say_dead(d, h, "Connection timed out during banner "
			    "exchange");
			return -1;
		}
	}
	return 0;
}

void
direct_want(const struct direct *d, int *fdp, short *eventsp)
{
	const struct direct_hop *h0 = &d->hops[0];
	const unsigned char *out;
	size_t len;

	switch (h0->connecting) {
	case CONNECT_TCP:
		proxy_tcp_poll(h0->tcp, fdp, eventsp);
		return;
	case CONNECT_FDPASS:
		*fdp = proxy_child_socket(h0->child);
		*eventsp = POLLIN;
		return;
	case CONNECT_EXTERNAL:
		*fdp = -1;      /* the bytes go through the caller */
		*eventsp = 0;
		return;
	case CONNECT_DONE:
		break;
	}
	transport_output(h0->t, &out, &len);
	*fdp = h0->fd;
	*eventsp = (short)((d->rlen == 0 ? POLLIN : 0) | (len > 0 ? POLLOUT : 0));
}

uint64_t
direct_deadline(const struct direct *d)
{
	const struct direct_hop *h0 = &d->hops[0];
	uint64_t when = UINT64_MAX, t;
	size_t i;

	if (h0->connecting == CONNECT_TCP)
		return proxy_tcp_deadline(h0->tcp);
	if (h0->connecting == CONNECT_FDPASS)
		return h0->connect_deadline;
	for (i = 0; i < d->n_hops; i++) {
		const struct direct_hop *h = &d->hops[i];

		if (h->banner_deadline != 0 && h->banner_deadline < when &&
		    transport_negotiated(h->t, "server_version") == NULL)
			when = h->banner_deadline;
		if ((t = transport_next_deadline(h->t)) < when)
			when = t;
	}
	return when;
}

int
direct_step(struct direct *d, short revents,
    int (*on_event)(void *ctx, const struct transport_event *ev), void *ctx)
{
	struct direct_hop *h0 = &d->hops[0];
	const unsigned char *out;
	size_t outlen, used, i;
	uint64_t now = monotonic_ms();
	ssize_t n;
	int r;

	switch (h0->connecting) {
	case CONNECT_TCP:
		if ((r = hop_tcp_step(d, h0, now)) <= 0)
			return r;
		return direct_settle(d, on_event, ctx);
	case CONNECT_FDPASS:
		if ((r = hop_fdpass_step(d, h0, now)) <= 0)
			return r;
		d->fd_generation++;
		if (hop_start_transport(d, h0, NULL) != 0)
			return -1;
		return direct_settle(d, on_event, ctx);
	case CONNECT_EXTERNAL:
	case CONNECT_DONE:
		break;
	}
	for (i = 0; i < d->n_hops; i++)
		(void)transport_tick(d->hops[i].t, now);
	if (check_banner_deadlines(d, now) != 0)
		return -1;
	if (h0->connecting == CONNECT_EXTERNAL)
		return direct_settle(d, on_event, ctx);
	transport_output(h0->t, &out, &outlen);
	if (outlen > 0 && (revents & (POLLOUT | POLLERR))) {
		if ((n = write(h0->fd, out, outlen)) > 0)
			transport_output_consume(h0->t, (size_t)n);
	}
	/* malloc, not calloc: a held transport's buffer costs only the
	 * pages its reads touched */
	if (d->rbuf == NULL && (d->rbuf = malloc(DIRECT_RBUF)) == NULL)
		return -1;
	if (d->rlen == 0 && (revents & (POLLIN | POLLHUP | POLLERR))) {
		n = read(h0->fd, d->rbuf, DIRECT_RBUF);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			(void)transport_input_eof(h0->t);
		else if (n > 0) {
			d->roff = 0;
			d->rlen = (size_t)n;
		}
	}
	while (d->rlen > 0) {
		if (transport_input(h0->t, d->rbuf + d->roff, d->rlen, &used) !=
		    ERR_OK || used == 0)
			break;
		d->roff += used;
		d->rlen -= used;
	}
	/* what the input produced is handled now, not after another wait */
	return direct_settle(d, on_event, ctx);
}

int
direct_turn(struct direct *d, int timeout_ms,
    int (*on_event)(void *ctx, const struct transport_event *ev), void *ctx,
    struct pollfd *extra, size_t n_extra)
{
	struct pollfd pfd[8];
	uint64_t now, when;
	size_t i;
	int r;

	if ((d->hops[0].connecting == CONNECT_DONE ||
	    d->hops[0].connecting == CONNECT_EXTERNAL) &&
	    (r = direct_settle(d, on_event, ctx)) != 0)
		return r;
	if (n_extra > sizeof(pfd) / sizeof(pfd[0]) - 1)
		n_extra = sizeof(pfd) / sizeof(pfd[0]) - 1;
	direct_want(d, &pfd[0].fd, &pfd[0].events);
	pfd[0].revents = 0;
	for (i = 0; i < n_extra; i++)
		pfd[i + 1] = extra[i];
	now = monotonic_ms();
	if ((when = direct_deadline(d)) != UINT64_MAX) {
		if (when <= now)
			timeout_ms = 0;
		else if (timeout_ms < 0 || when - now < (uint64_t)timeout_ms)
			timeout_ms = (int)(when - now);
	}
	if (poll(pfd, 1 + n_extra, timeout_ms) < 0 && errno != EINTR)
		return -1;
	for (i = 0; i < n_extra; i++)
		extra[i].revents = pfd[i + 1].revents;
	return direct_step(d, pfd[0].revents, on_event, ctx);
}
