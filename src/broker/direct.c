/*
 * Direct connections: the resolved configuration turned into a TCP
 * connection and a transport, with the host key policy OpenSSH applies
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
#include "common/buf.h"
#include "common/err.h"
#include "config/config.h"
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

/* The value ssh -G prints for keyword, or NULL; caller frees. */

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

/* Connects to host:port, trying each address in turn, within
 * timeout_ms (negative: the system's own). */
static int
connect_to(const char *host, const char *port, int family, int timeout_ms,
    char *addr, size_t addrlen)
{
	struct addrinfo hints, *res = NULL, *ai;
	struct pollfd pfd;
	socklen_t len;
	int fd = -1, err = 0, one = 1, gai;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	if ((gai = getaddrinfo(host, port, &hints, &res)) != 0) {
		fprintf(stderr, "ssh: Could not resolve hostname %s: %s\n", host,
		    gai_strerror(gai));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, ai->ai_protocol);
		if (fd == -1)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (errno == EINPROGRESS) {
			pfd.fd = fd;
			pfd.events = POLLOUT;
			len = sizeof(err);
			if (poll(&pfd, 1, timeout_ms) == 1 &&
			    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 &&
			    err == 0)
				break;
			errno = err != 0 ? err : ETIMEDOUT;
		}
		err = errno;
		close(fd);
		fd = -1;
	}
	if (fd != -1) {
		/* handshake packets are small: do not let Nagle hold them */
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		(void)getnameinfo(ai->ai_addr, ai->ai_addrlen, addr,
		    (socklen_t)addrlen, NULL, 0, NI_NUMERICHOST);
	} else
		fprintf(stderr, "ssh: connect to host %s port %s: %s\n", host,
		    port, strerror(err != 0 ? err : ECONNREFUSED));
	freeaddrinfo(res);
	return fd;
}

static int
ask_user(const char *key_type, const char *fp, const char *name)
{
	char answer[16];
	FILE *tty;

	if ((tty = fopen("/dev/tty", "r+")) == NULL)
		return 0;
	fprintf(tty, "The authenticity of host '%s' can't be established.\n"
	    "%s key fingerprint is %s.\n"
	    "Are you sure you want to continue connecting (yes/no)? ",
	    name, key_type, fp);
	fflush(tty);
	if (fgets(answer, sizeof(answer), tty) == NULL)
		answer[0] = '\0';
	fclose(tty);
	return strcmp(answer, "yes\n") == 0;
}

static void
record_key(const char *file, const char *line)
{
	int fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);

	if (fd == -1 || write(fd, line, strlen(line)) != (ssize_t)strlen(line))
		fprintf(stderr, "Failed to add the host key to %s: %s\n", file,
		    strerror(errno));
	else
		fprintf(stderr, "Warning: Permanently added the host key to "
		    "the list of known hosts (%s).\n", file);
	if (fd != -1)
		close(fd);
}

char *
direct_cfg(const struct direct *d, const char *keyword)
{
	return config_result_get_dup(d->res, keyword, 0);
}

static int
cfg_is(const struct direct *d, const char *keyword, const char *value)
{
	char *v = direct_cfg(d, keyword);
	int same = v != NULL && strcmp(v, value) == 0;

	free(v);
	return same;
}

int
direct_open(struct direct *d, int argc, char **argv)
{
	struct config_request req;
	struct config_cache *cache = NULL;
	struct config_diag *diag = NULL;
	struct transport_params p;
	char *alias = NULL, *userkh = NULL, *globalkh = NULL, *strict = NULL;
	char *kex = NULL, *hk = NULL, *ciphers = NULL, *macs = NULL;
	char *proxy = NULL, *jump = NULL, *family = NULL, *timeout = NULL;
	char *rekey = NULL, addr[NI_MAXHOST] = "";
	size_t i;
	int r, status = 255, af = AF_UNSPEC, tmo = -1;

	memset(d, 0, sizeof(*d));
	d->fd = -1;
	if (host_env_init(&d->host) != 0)
		return 255;
	if ((cache = config_cache_new_oneshot()) == NULL ||
	    (diag = config_diag_new()) == NULL)
		goto out;
	req.argv = argv;
	req.argc = (size_t)argc;
	r = config_resolve(cache, &d->host, &req, &d->res, diag);
	for (i = 0; i < config_diag_count(diag); i++)
		fprintf(stderr, "%s\n", config_diag_message(diag, i));
	if (r != ERR_OK)
		goto out;
	d->hostname = direct_cfg(d, "hostname");
	d->port = direct_cfg(d, "port");
	d->user = direct_cfg(d, "user");
	alias = direct_cfg(d, "hostkeyalias");
	userkh = direct_cfg(d, "userknownhostsfile");
	globalkh = direct_cfg(d, "globalknownhostsfile");
	strict = direct_cfg(d, "stricthostkeychecking");
	kex = direct_cfg(d, "kexalgorithms");
	hk = direct_cfg(d, "hostkeyalgorithms");
	ciphers = direct_cfg(d, "ciphers");
	macs = direct_cfg(d, "macs");
	proxy = direct_cfg(d, "proxycommand");
	jump = direct_cfg(d, "proxyjump");
	family = direct_cfg(d, "addressfamily");
	timeout = direct_cfg(d, "connecttimeout");
	rekey = direct_cfg(d, "rekeylimit");
	d->batch = cfg_is(d, "batchmode", "yes");
	if (d->hostname == NULL || d->port == NULL || d->user == NULL) {
		fprintf(stderr, "sshbroker: out of memory\n");
		goto out;
	}
	if (proxy != NULL || jump != NULL) {
		fprintf(stderr, "sshbroker: %s: ProxyCommand and ProxyJump are "
		    "not supported yet\n", d->hostname);
		goto out;
	}
	if (family != NULL)
		af = strcmp(family, "inet") == 0 ? AF_INET :
		    strcmp(family, "inet6") == 0 ? AF_INET6 : AF_UNSPEC;
	if (timeout != NULL && strcmp(timeout, "none") != 0)
		tmo = atoi(timeout) * 1000;
	if ((d->kh = known_hosts_new()) == NULL)
		goto out;
	load_known_hosts_list(d->kh, userkh);
	load_known_hosts_list(d->kh, globalkh);
	if (userkh != NULL && strcmp(userkh, "none") != 0 &&
	    (d->record_to = strdup(userkh)) != NULL)
		d->record_to[strcspn(d->record_to, " ")] = '\0';
	if ((d->fd = connect_to(d->hostname, d->port, af, tmo, addr,
	    sizeof(addr))) == -1)
		goto out;
	/* the names OpenSSH looks the key up under (sshconnect.c):
	 * HostKeyAlias as is, else the host with a non-default port */
	d->names[0] = alias != NULL ? strdup(alias) :
	    known_hosts_name(d->hostname, atoi(d->port));
	if (cfg_is(d, "checkhostip", "yes") && alias == NULL &&
	    addr[0] != '\0' && strcmp(addr, d->hostname) != 0)
		d->names[1] = known_hosts_name(addr, atoi(d->port));
	if (d->names[0] == NULL)
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
	{
		char *ivl = direct_cfg(d, "serveraliveinterval");
		char *cnt = direct_cfg(d, "serveralivecountmax");

		p.keepalive_interval = ivl != NULL ? (uint32_t)atoi(ivl) : 0;
		p.keepalive_count_max = cnt != NULL ? (uint32_t)atoi(cnt) : 3;
		free(ivl);
		free(cnt);
	}
	p.known_hosts = d->kh;
	p.hostkey_names = (const char *const *)d->names;
	p.n_hostkey_names = d->names[1] != NULL ? 2 : 1;
	p.strict = strict_from(strict);
	p.hash_known_hosts = cfg_is(d, "hashknownhosts", "yes");
	if ((r = transport_new(&p, monotonic_ms(), &d->t)) != ERR_OK) {
		fprintf(stderr, "sshbroker: %s\n", err_str(r));
		goto out;
	}
	status = 0;
 out:
	free(alias); free(userkh); free(globalkh); free(strict); free(kex);
	free(hk); free(ciphers); free(macs); free(proxy); free(jump);
	free(family); free(timeout); free(rekey);
	config_diag_free(diag);
	config_cache_free(cache);
	return status;
}

void
direct_close(struct direct *d)
{
	if (d->fd != -1)
		close(d->fd);
	transport_free(d->t);
	known_hosts_free(d->kh);
	free(d->names[0]);
	free(d->names[1]);
	free(d->record_to);
	free(d->hostname);
	free(d->port);
	free(d->user);
	config_result_free(d->res);
	host_env_free(&d->host);
	memset(d, 0, sizeof(*d));
	d->fd = -1;
}

/* Hands out pending events: 0 to go on, 1 when on_event says stop,
 * -1 when the transport died. */
static int
direct_events(struct direct *d,
    int (*on_event)(void *ctx, const struct transport_event *ev), void *ctx)
{
	struct transport_event ev;
	int r;

	while (transport_next_event(d->t, &ev) == ERR_OK &&
	    ev.type != TRANSPORT_EV_NONE) {
		switch (ev.type) {
		case TRANSPORT_EV_HOSTKEY_ASK:
			(void)transport_hostkey_decide(d->t, !d->batch &&
			    ask_user(ev.key_type, ev.fingerprint, d->names[0]));
			continue;
		case TRANSPORT_EV_HOSTKEY_LEARNED:
			if (d->record_to != NULL)
				record_key(d->record_to, ev.line);
			continue;
		case TRANSPORT_EV_DISCONNECTED:
			fprintf(stderr, "sshbroker: %s: %s\n", d->names[0],
			    ev.reason);
			return -1;
		default:
			if (on_event == NULL || (r = on_event(ctx, &ev)) == 0)
				continue;
			if (r > 0)
				return 1;
			/* the caller's call killed the transport: say why */
			while (transport_next_event(d->t, &ev) == ERR_OK &&
			    ev.type != TRANSPORT_EV_NONE) {
				if (ev.type == TRANSPORT_EV_DISCONNECTED)
					fprintf(stderr, "sshbroker: %s: %s\n",
					    d->names[0], ev.reason);
			}
			return -1;
		}
	}
	return 0;
}

int
direct_turn(struct direct *d, int timeout_ms,
    int (*on_event)(void *ctx, const struct transport_event *ev), void *ctx,
    struct pollfd *extra, size_t n_extra)
{
	struct pollfd pfd[8];
	const unsigned char *out;
	size_t outlen, used, i;
	ssize_t n;
	int r;

	if ((r = direct_events(d, on_event, ctx)) != 0)
		return r;
	if (n_extra > sizeof(pfd) / sizeof(pfd[0]) - 1)
		n_extra = sizeof(pfd) / sizeof(pfd[0]) - 1;
	transport_output(d->t, &out, &outlen);
	pfd[0].fd = d->fd;
	pfd[0].events = (d->rlen == 0 ? POLLIN : 0) | (outlen > 0 ? POLLOUT : 0);
	pfd[0].revents = 0;
	for (i = 0; i < n_extra; i++)
		pfd[i + 1] = extra[i];
	if (poll(pfd, 1 + n_extra, timeout_ms) < 0 && errno != EINTR)
		return -1;
	for (i = 0; i < n_extra; i++)
		extra[i].revents = pfd[i + 1].revents;
	(void)transport_tick(d->t, monotonic_ms());
	if (outlen > 0 && (pfd[0].revents & (POLLOUT | POLLERR))) {
		if ((n = write(d->fd, out, outlen)) > 0)
			transport_output_consume(d->t, (size_t)n);
	}
	if (d->rlen == 0 && (pfd[0].revents & (POLLIN | POLLHUP | POLLERR))) {
		n = read(d->fd, d->rbuf, sizeof(d->rbuf));
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			(void)transport_input_eof(d->t);
		else if (n > 0) {
			d->roff = 0;
			d->rlen = (size_t)n;
		}
	}
	while (d->rlen > 0) {
		if (transport_input(d->t, d->rbuf + d->roff, d->rlen, &used) !=
		    ERR_OK || used == 0)
			break;
		d->roff += used;
		d->rlen -= used;
	}
	/* what the input produced is handled now, not after another wait */
	return direct_events(d, on_event, ctx);
}
