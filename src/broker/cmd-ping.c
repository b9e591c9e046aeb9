/*
 * `sshbroker ping [ssh options] destination`: resolves the destination,
 * connects, runs the key exchange, verifies the host key against the
 * user's known_hosts files as ssh would (HostKeyAlias, non-default ports,
 * CheckHostIP, StrictHostKeyChecking, HashKnownHosts), and reports what
 * was negotiated and how long it took.  The first command that puts a
 * resolved configuration and a transport together; ProxyCommand and
 * ProxyJump arrive with their own issue.
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
#include "common/buf.h"
#include "common/err.h"
#include "config/config.h"
#include "transport/knownhosts.h"
#include "transport/transport.h"

#define PING_READ_CHUNK 65536
#define PING_KNOWN_HOSTS_MAX (64u * 1024 * 1024)

static uint64_t
monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The value ssh -G prints for keyword, or NULL; caller frees. */
static char *
cfg(const struct config_result *res, const char *keyword)
{
	return config_result_get_dup(res, keyword, 0);
}

/* Reads a known_hosts file into kh; a missing file is not an error. */
static void
load_known_hosts(struct known_hosts *kh, const char *path)
{
	struct buf *b = buf_new(PING_KNOWN_HOSTS_MAX);
	unsigned char chunk[PING_READ_CHUNK];
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

/* Runs t over fd until READY or death. */
static int
drive(struct transport *t, int fd, const char *record_to, const char *name,
    int batch)
{
	unsigned char rbuf[PING_READ_CHUNK];
	const unsigned char *out;
	size_t outlen, off = 0, have = 0, used;
	struct transport_event ev;
	struct pollfd pfd;
	ssize_t n;

	for (;;) {
		while (transport_next_event(t, &ev) == ERR_OK &&
		    ev.type != TRANSPORT_EV_NONE) {
			switch (ev.type) {
			case TRANSPORT_EV_READY:
				return 0;
			case TRANSPORT_EV_HOSTKEY_ASK:
				(void)transport_hostkey_decide(t, !batch &&
				    ask_user(ev.key_type, ev.fingerprint, name));
				break;
			case TRANSPORT_EV_HOSTKEY_LEARNED:
				if (record_to != NULL)
					record_key(record_to, ev.line);
				break;
			case TRANSPORT_EV_DISCONNECTED:
				fprintf(stderr, "sshbroker: %s: %s\n", name, ev.reason);
				return -1;
			default:
				break;
			}
		}
		transport_output(t, &out, &outlen);
		pfd.fd = fd;
		pfd.events = (have == 0 ? POLLIN : 0) | (outlen > 0 ? POLLOUT : 0);
		if (poll(&pfd, 1, 1000) < 0 && errno != EINTR)
			return -1;
		(void)transport_tick(t, monotonic_ms());
		if (outlen > 0 && (pfd.revents & POLLOUT)) {
			if ((n = write(fd, out, outlen)) > 0)
				transport_output_consume(t, (size_t)n);
		}
		if (have == 0 && (pfd.revents & (POLLIN | POLLHUP | POLLERR))) {
			n = read(fd, rbuf, sizeof(rbuf));
			if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
				(void)transport_input_eof(t);
			else if (n > 0) {
				off = 0;
				have = (size_t)n;
			}
		}
		while (have > 0) {
			if (transport_input(t, rbuf + off, have, &used) != ERR_OK ||
			    used == 0)
				break;
			off += used;
			have -= used;
		}
	}
}

int
cmd_ping(int argc, char **argv)
{
	struct config_host host;
	struct config_request req;
	struct config_cache *cache = NULL;
	struct config_diag *diag = NULL;
	struct config_result *res = NULL;
	struct transport_params p;
	struct transport *t = NULL;
	struct known_hosts *kh = NULL;
	char *hostname = NULL, *port = NULL, *alias = NULL, *checkip = NULL;
	char *userkh = NULL, *globalkh = NULL, *strict = NULL, *hash = NULL;
	char *kex = NULL, *hk = NULL, *ciphers = NULL, *macs = NULL;
	char *proxy = NULL, *jump = NULL, *family = NULL, *batch = NULL;
	char *timeout = NULL, *rekey = NULL, *first_userkh = NULL;
	char *names[2] = { NULL, NULL }, addr[NI_MAXHOST] = "";
	uint64_t start;
	size_t i;
	int r, fd = -1, status = 255, af = AF_UNSPEC, tmo = -1;

	if (host_env_init(&host) != 0)
		return 255;
	if ((cache = config_cache_new_oneshot()) == NULL ||
	    (diag = config_diag_new()) == NULL)
		goto done;
	req.argv = argv;
	req.argc = (size_t)argc;
	r = config_resolve(cache, &host, &req, &res, diag);
	for (i = 0; i < config_diag_count(diag); i++)
		fprintf(stderr, "%s\n", config_diag_message(diag, i));
	if (r != ERR_OK)
		goto done;
	hostname = cfg(res, "hostname");
	port = cfg(res, "port");
	alias = cfg(res, "hostkeyalias");
	checkip = cfg(res, "checkhostip");
	userkh = cfg(res, "userknownhostsfile");
	globalkh = cfg(res, "globalknownhostsfile");
	strict = cfg(res, "stricthostkeychecking");
	hash = cfg(res, "hashknownhosts");
	kex = cfg(res, "kexalgorithms");
	hk = cfg(res, "hostkeyalgorithms");
	ciphers = cfg(res, "ciphers");
	macs = cfg(res, "macs");
	proxy = cfg(res, "proxycommand");
	jump = cfg(res, "proxyjump");
	family = cfg(res, "addressfamily");
	batch = cfg(res, "batchmode");
	timeout = cfg(res, "connecttimeout");
	rekey = cfg(res, "rekeylimit");
	if (hostname == NULL || port == NULL) {
		fprintf(stderr, "sshbroker ping: out of memory\n");
		goto done;
	}
	if (proxy != NULL || jump != NULL) {
		fprintf(stderr, "sshbroker ping: %s: ProxyCommand and ProxyJump "
		    "are not supported yet\n", hostname);
		goto done;
	}
	if (family != NULL)
		af = strcmp(family, "inet") == 0 ? AF_INET :
		    strcmp(family, "inet6") == 0 ? AF_INET6 : AF_UNSPEC;
	if (timeout != NULL && strcmp(timeout, "none") != 0)
		tmo = atoi(timeout) * 1000;
	if ((kh = known_hosts_new()) == NULL)
		goto done;
	load_known_hosts_list(kh, userkh);
	load_known_hosts_list(kh, globalkh);
	if (userkh != NULL && strcmp(userkh, "none") != 0 &&
	    (first_userkh = strdup(userkh)) != NULL)
		first_userkh[strcspn(first_userkh, " ")] = '\0';

	start = monotonic_ms();
	if ((fd = connect_to(hostname, port, af, tmo, addr, sizeof(addr))) == -1)
		goto done;
	/* the names OpenSSH looks the key up under (sshconnect.c):
	 * HostKeyAlias as is, else the host with a non-default port */
	names[0] = alias != NULL ? strdup(alias) :
	    known_hosts_name(hostname, atoi(port));
	if (checkip != NULL && strcmp(checkip, "yes") == 0 && alias == NULL &&
	    addr[0] != '\0' && strcmp(addr, hostname) != 0)
		names[1] = known_hosts_name(addr, atoi(port));
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
	p.known_hosts = kh;
	p.hostkey_names = (const char *const *)names;
	p.n_hostkey_names = names[1] != NULL ? 2 : 1;
	p.strict = strict_from(strict);
	p.hash_known_hosts = hash != NULL && strcmp(hash, "yes") == 0;
	if (names[0] == NULL ||
	    (r = transport_new(&p, monotonic_ms(), &t)) != ERR_OK) {
		fprintf(stderr, "sshbroker ping: %s\n", err_str(names[0] == NULL ?
		    ERR_NOMEM : r));
		goto done;
	}
	if (drive(t, fd, first_userkh, names[0],
	    batch != NULL && strcmp(batch, "yes") == 0) != 0)
		goto done;
	printf("%s port %s: %s, %s host key, %s, %s%s%s, %llu ms\n", hostname,
	    port, transport_negotiated(t, "kex"),
	    transport_negotiated(t, "hostkey"),
	    transport_negotiated(t, "cipher_ctos"),
	    transport_negotiated(t, "mac_ctos") != NULL ?
	    transport_negotiated(t, "mac_ctos") : "",
	    transport_negotiated(t, "mac_ctos") != NULL ? ", " : "",
	    transport_strict_kex(t) ? "strict kex" : "no strict kex",
	    (unsigned long long)(monotonic_ms() - start));
	status = 0;
 done:
	if (fd != -1)
		close(fd);
	transport_free(t);
	known_hosts_free(kh);
	free(names[0]);
	free(names[1]);
	free(hostname); free(port); free(alias); free(checkip); free(userkh);
	free(globalkh); free(strict); free(hash); free(kex); free(hk);
	free(ciphers); free(macs); free(proxy); free(jump); free(family);
	free(batch); free(timeout); free(rekey); free(first_userkh);
	config_result_free(res);
	config_diag_free(diag);
	config_cache_free(cache);
	host_env_free(&host);
	return status;
}
