/*
 * Direct TCP connections made as OpenSSH's sshconnect.c makes them
 * (ssh_connect_direct(), ssh_create_socket(), timeout_connect()), but as
 * a state machine that the caller's loop drives with its own clock.
 *
 * getaddrinfo() and getifaddrs() block, so every lookup runs on a
 * detached thread that reports through an eventfd.  What the thread and
 * the connect object share lives in a refcounted job: whichever lets go
 * last frees it, so freeing the connect object never waits for a slow
 * resolver and the thread never touches freed memory.  After the lookup
 * everything is non-blocking sockets and deadlines.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <ifaddrs.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "proxy/proxy.h"

/* ssh_connect_direct() sleeps a second between ConnectionAttempts rounds. */
#define TCP_RETRY_PAUSE_MS 1000
#define TCP_ERRLEN 512
/* A numeric address with an IPv6 scope: "fe80::1%eth0". */
#define TCP_NTOPLEN (INET6_ADDRSTRLEN + IF_NAMESIZE + 1)
#define TCP_PORTLEN 32

enum tcp_state {
	TCP_RESOLVING,  /* the job's thread is looking things up */
	TCP_CONNECTING, /* c->fd is in a non-blocking connect() */
	TCP_PAUSED,     /* between ConnectionAttempts rounds */
	TCP_DONE,       /* the socket went to the caller */
	TCP_FAILED,
};

enum tcp_source_state {
	TCP_SOURCE_ANY = 0,     /* no BindAddress or BindInterface */
	TCP_SOURCE_BIND,        /* bind to addr first */
	TCP_SOURCE_FAILED,      /* the lookup failed: error says why */
};

/* The local address to bind for one address family. */
struct tcp_source {
	enum tcp_source_state state;
	int code, sys_errno;    /* with TCP_SOURCE_FAILED */
	struct sockaddr_storage addr;
	socklen_t addrlen;
	char ntop[TCP_NTOPLEN];
	char error[TCP_ERRLEN];
};

/* Index of a family in the sources arrays. */
#define TCP_SRC_INET 0
#define TCP_SRC_INET6 1

/*
 * Shared by the connect object and its resolver thread.  The inputs are
 * written before the thread starts; the results only by the thread, and
 * read by the connect object only after it has seen done set.
 */
struct tcp_job {
	atomic_int refs;
	atomic_int done;
	int efd;                /* eventfd: readable once done is set */
	char *host, *port, *bind_address, *bind_interface;
	int family;
	/* results */
	struct addrinfo *res;
	int gai_err, gai_errno;
	struct tcp_source sources[2];
};

struct proxy_tcp {
	enum tcp_state state;
	struct tcp_job *job;    /* while resolving */
	char *host, *port;
	uint64_t deadline;      /* ConnectTimeout; UINT64_MAX: none */
	uint64_t pause_until;   /* with TCP_PAUSED */
	int attempts, round;
	struct addrinfo *res;
	const struct addrinfo *next_ai;
	struct tcp_source sources[2];
	int fd;                 /* with TCP_CONNECTING */
	int code, sys_errno;    /* the last error, returned once failed */
	char trying[TCP_NTOPLEN];
	char strport[TCP_PORTLEN];
	char address[TCP_NTOPLEN];
	char error[TCP_ERRLEN];
};

static int
tcp_source_index(int family)
{
	return family == AF_INET6 ? TCP_SRC_INET6 : TCP_SRC_INET;
}

static const char *
tcp_family_name(int family)
{
	return family == AF_INET6 ? "IPv6" : "IPv4";
}

/* ssh_gai_strerror(): EAI_SYSTEM means errno has the real reason. */
static const char *
tcp_gai_strerror(int gai_err, int sys_errno)
{
	if (gai_err == EAI_SYSTEM && sys_errno != 0)
		return strerror(sys_errno);
	return gai_strerror(gai_err);
}

static void __attribute__((format(printf, 3, 4)))
tcp_format(char *dst, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(dst, len, fmt, ap);
	va_end(ap);
}

/* ---- the resolver thread and its job */

static void
tcp_job_free(struct tcp_job *job)
{
	if (job->efd != -1)
		(void)close(job->efd);
	if (job->res != NULL)
		freeaddrinfo(job->res);
	free(job->host);
	free(job->port);
	free(job->bind_address);
	free(job->bind_interface);
	free(job);
}

static void
tcp_job_unref(struct tcp_job *job)
{
	if (job == NULL)
		return;
	/* acq_rel: the last one out sees every write the other one made. */
	if (atomic_fetch_sub_explicit(&job->refs, 1, memory_order_acq_rel) == 1)
		tcp_job_free(job);
}

static void __attribute__((format(printf, 4, 5)))
tcp_source_fail(struct tcp_source *src, int code, int sys_errno,
    const char *fmt, ...)
{
	va_list ap;

	src->state = TCP_SOURCE_FAILED;
	src->code = code;
	src->sys_errno = sys_errno;
	va_start(ap, fmt);
	(void)vsnprintf(src->error, sizeof(src->error), fmt, ap);
	va_end(ap);
}

static void
tcp_source_set(struct tcp_source *src, const struct sockaddr *sa,
    socklen_t len)
{
	int r;

	if (len > sizeof(src->addr)) {
		tcp_source_fail(src, ERR_INTERNAL, 0,
		    "bind: address too long");
		return;
	}
	memcpy(&src->addr, sa, len);
	src->addrlen = len;
	if ((r = getnameinfo(sa, len, src->ntop, sizeof(src->ntop), NULL, 0,
	    NI_NUMERICHOST)) != 0) {
		tcp_source_fail(src, ERR_INTERNAL, 0, "getnameinfo: %s",
		    gai_strerror(r));
		return;
	}
	src->state = TCP_SOURCE_BIND;
}

/* BindAddress for one family, as ssh_create_socket() looks it up. */
static void
tcp_source_from_address(struct tcp_source *src, const char *name,
    int family)
{
	struct addrinfo hints, *res = NULL;
	int r, e;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	if ((r = getaddrinfo(name, NULL, &hints, &res)) != 0) {
		e = r == EAI_SYSTEM ? errno : 0;
		tcp_source_fail(src, ERR_NOT_FOUND, e, "getaddrinfo: %s: %s",
		    name, tcp_gai_strerror(r, e));
		return;
	}
	if (res == NULL)
		tcp_source_fail(src, ERR_NOT_FOUND, 0,
		    "getaddrinfo: %s: no addrs", name);
	else
		tcp_source_set(src, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
}

static int
tcp_ifaddr_is_local(const struct sockaddr *sa)
{
	const struct sockaddr_in *sin;
	const struct sockaddr_in6 *sin6;

	if (sa->sa_family == AF_INET) {
		sin = (const struct sockaddr_in *)(const void *)sa;
		return (ntohl(sin->sin_addr.s_addr) >> 24) == IN_LOOPBACKNET;
	}
	sin6 = (const struct sockaddr_in6 *)(const void *)sa;
	return IN6_IS_ADDR_LINKLOCAL(&sin6->sin6_addr) ||
	    IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr);
}

/*
 * BindInterface for one family, as ssh's check_ifaddrs() chooses: an
 * address of the interface that is up, preferring one that is neither
 * loopback nor link-local.
 */
static void
tcp_source_from_interface(struct tcp_source *src, const char *ifname,
    const struct ifaddrs *ifaddrs, int family)
{
	const struct ifaddrs *ifa;
	socklen_t len;
	int allow_local;

	len = family == AF_INET6 ? sizeof(struct sockaddr_in6) :
	    sizeof(struct sockaddr_in);
	for (allow_local = 0; allow_local < 2; allow_local++) {
		for (ifa = ifaddrs; ifa != NULL; ifa = ifa->ifa_next) {
			if (ifa->ifa_addr == NULL || ifa->ifa_name == NULL ||
			    (ifa->ifa_flags & IFF_UP) == 0 ||
			    ifa->ifa_addr->sa_family != family ||
			    strcmp(ifa->ifa_name, ifname) != 0)
				continue;
			if (!allow_local && tcp_ifaddr_is_local(ifa->ifa_addr))
				continue;
			tcp_source_set(src, ifa->ifa_addr, len);
			return;
		}
	}
	/* ssh only says "no suitable addresses"; tell the two cases apart. */
	if (if_nametoindex(ifname) == 0)
		tcp_source_fail(src, ERR_NOT_FOUND, 0,
		    "BindInterface %s: no such interface", ifname);
	else
		tcp_source_fail(src, ERR_NOT_FOUND, 0,
		    "BindInterface %s: no %s address on it, or it is down",
		    ifname, tcp_family_name(family));
}

/* The local addresses for the families the host resolved to. */
static void
tcp_job_lookup_sources(struct tcp_job *job)
{
	const struct addrinfo *ai;
	struct ifaddrs *ifaddrs = NULL;
	int want[2] = { 0, 0 }, families[2] = { AF_INET, AF_INET6 }, i, e;

	if (job->bind_address == NULL && job->bind_interface == NULL)
		return;
	for (ai = job->res; ai != NULL; ai = ai->ai_next)
		if (ai->ai_family == AF_INET || ai->ai_family == AF_INET6)
			want[tcp_source_index(ai->ai_family)] = 1;
	if (job->bind_address == NULL && getifaddrs(&ifaddrs) == -1) {
		e = errno;
		for (i = 0; i < 2; i++)
			tcp_source_fail(&job->sources[i], ERR_SYSTEM, e,
			    "getifaddrs: %s: %s", job->bind_interface,
			    strerror(e));
		return;
	}
	for (i = 0; i < 2; i++) {
		if (!want[i])
			continue;
		/* BindAddress first, as ssh_create_socket() has it. */
		if (job->bind_address != NULL)
			tcp_source_from_address(&job->sources[i],
			    job->bind_address, families[i]);
		else
			tcp_source_from_interface(&job->sources[i],
			    job->bind_interface, ifaddrs, families[i]);
	}
	if (ifaddrs != NULL)
		freeifaddrs(ifaddrs);
}

static void *
tcp_job_main(void *arg)
{
	struct tcp_job *job = arg;
	struct addrinfo hints;
	uint64_t one = 1;
	ssize_t n;

	/* As ssh's resolve_host(): no AI_ADDRCONFIG, the family asked for. */
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = job->family;
	hints.ai_socktype = SOCK_STREAM;
	job->gai_err = getaddrinfo(job->host, job->port, &hints, &job->res);
	if (job->gai_err == EAI_SYSTEM)
		job->gai_errno = errno;
	if (job->gai_err == 0)
		tcp_job_lookup_sources(job);

	atomic_store_explicit(&job->done, 1, memory_order_release);
	/* Cannot fail short of a bug: the counter is far from overflowing,
	 * and the job, so the eventfd, lives until the unref below. */
	n = write(job->efd, &one, sizeof(one));
	(void)n;
	tcp_job_unref(job);
	return NULL;
}

static char *
tcp_strdup_or_null(const char *s, int *failed)
{
	char *d;

	if (s == NULL)
		return NULL;
	if ((d = strdup(s)) == NULL)
		*failed = 1;
	return d;
}

/* Creates the job and starts its thread; *jobp holds the caller's ref. */
static int
tcp_job_start(const struct proxy_tcp_spec *spec, struct tcp_job **jobp)
{
	struct tcp_job *job = NULL;
	pthread_attr_t attr;
	pthread_t tid;
	sigset_t all, old;
	int failed = 0, attr_set = 0, saved_errno, r = ERR_INTERNAL;

	*jobp = NULL;
	if ((job = calloc(1, sizeof(*job))) == NULL)
		return ERR_NOMEM;
	job->efd = -1;
	atomic_init(&job->refs, 1);
	atomic_init(&job->done, 0);
	job->family = spec->family;
	job->host = tcp_strdup_or_null(spec->host, &failed);
	job->port = tcp_strdup_or_null(spec->port, &failed);
	job->bind_address = tcp_strdup_or_null(spec->bind_address, &failed);
	job->bind_interface = tcp_strdup_or_null(spec->bind_interface,
	    &failed);
	if (failed) {
		r = ERR_NOMEM;
		goto out;
	}
	if ((job->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) == -1) {
		r = ERR_SYSTEM;
		goto out;
	}
	if ((errno = pthread_attr_init(&attr)) != 0) {
		r = ERR_SYSTEM;
		goto out;
	}
	attr_set = 1;
	/* Detached: nobody joins it, so free never waits on a slow DNS. */
	if ((errno = pthread_attr_setdetachstate(&attr,
	    PTHREAD_CREATE_DETACHED)) != 0) {
		r = ERR_SYSTEM;
		goto out;
	}

	/*
	 * The thread inherits a full signal mask, so every signal keeps going
	 * to the threads that expect it: a signalfd only works while the
	 * signal is blocked in every thread of the process.
	 */
	(void)sigfillset(&all);
	if ((errno = pthread_sigmask(SIG_SETMASK, &all, &old)) != 0) {
		r = ERR_SYSTEM;
		goto out;
	}
	atomic_store_explicit(&job->refs, 2, memory_order_relaxed);
	errno = pthread_create(&tid, &attr, tcp_job_main, job);
	saved_errno = errno;
	(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = saved_errno;
	if (errno != 0) {
		atomic_store_explicit(&job->refs, 1, memory_order_relaxed);
		r = ERR_SYSTEM;
		goto out;
	}
	*jobp = job;
	job = NULL;
	r = ERR_OK;

 out:
	saved_errno = errno;
	if (attr_set)
		(void)pthread_attr_destroy(&attr);
	if (job != NULL)
		tcp_job_free(job);
	errno = saved_errno;
	return r;
}

/* ---- the connect state machine */

static uint64_t
tcp_now_ms(void)
{
	struct timespec ts;

	/* Monotonic: a wall clock step must not cut a timeout short. */
	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The port for messages: the numeric one once an address was tried. */
static const char *
tcp_msg_port(const struct proxy_tcp *c)
{
	return c->strport[0] != '\0' ? c->strport : c->port;
}

/* Records why the current address failed; the last one is what we say. */
static void __attribute__((format(printf, 4, 5)))
tcp_record(struct proxy_tcp *c, int code, int sys_errno, const char *fmt, ...)
{
	va_list ap;

	c->code = code;
	c->sys_errno = sys_errno;
	va_start(ap, fmt);
	(void)vsnprintf(c->error, sizeof(c->error), fmt, ap);
	va_end(ap);
}

/* ssh_connect_direct()'s final message, for the errno of one address. */
static int
tcp_record_connect_errno(struct proxy_tcp *c, int e)
{
	int code = e == ETIMEDOUT ? ERR_TIMEOUT : ERR_SYSTEM;

	tcp_record(c, code, e, "connect to host %.200s port %s: %s", c->host,
	    tcp_msg_port(c), strerror(e));
	return code;
}

static void
tcp_close_fd(struct proxy_tcp *c)
{
	if (c->fd != -1) {
		(void)close(c->fd);
		c->fd = -1;
	}
}

static int
tcp_fail(struct proxy_tcp *c)
{
	tcp_close_fd(c);
	tcp_job_unref(c->job);
	c->job = NULL;
	c->state = TCP_FAILED;
	errno = c->sys_errno;
	return c->code;
}

/* ConnectTimeout has passed, whatever we were doing. */
static int
tcp_timed_out(struct proxy_tcp *c)
{
	if (c->job != NULL)
		tcp_record(c, ERR_TIMEOUT, ETIMEDOUT,
		    "Could not resolve hostname %.200s: %s", c->host,
		    strerror(ETIMEDOUT));
	else
		(void)tcp_record_connect_errno(c, ETIMEDOUT);
	return tcp_fail(c);
}

/* fd is connected: hand it over. */
static int
tcp_connected(struct proxy_tcp *c, int fd, int *fdp)
{
	int on = 1, e;

	/* Interactive sessions are latency bound, as ssh's set_nodelay(). */
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) == -1) {
		e = errno;
		(void)close(fd);
		tcp_record(c, ERR_SYSTEM, e, "setsockopt TCP_NODELAY: %s",
		    strerror(e));
		return ERR_SYSTEM;
	}
	memcpy(c->address, c->trying, sizeof(c->address));
	c->state = TCP_DONE;
	*fdp = fd;
	return ERR_OK;
}

/*
 * One address, as ssh_create_socket() and timeout_connect() do it, but
 * never waiting: ERR_AGAIN with c->fd in progress, ERR_OK with *fdp
 * connected, or the address failed and c says why.
 */
static int
tcp_try_address(struct proxy_tcp *c, const struct addrinfo *ai, int *fdp)
{
	const struct tcp_source *src;
	int fd = -1, e, r;

	c->trying[0] = '\0';
	if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
		return tcp_record_connect_errno(c, EAFNOSUPPORT);
	if ((r = getnameinfo(ai->ai_addr, ai->ai_addrlen, c->trying,
	    sizeof(c->trying), c->strport, sizeof(c->strport),
	    NI_NUMERICHOST | NI_NUMERICSERV)) != 0) {
		c->trying[0] = '\0';
		tcp_record(c, ERR_INTERNAL, 0, "getnameinfo: %s",
		    gai_strerror(r));
		return ERR_INTERNAL;
	}
	src = &c->sources[tcp_source_index(ai->ai_family)];
	if (src->state == TCP_SOURCE_FAILED) {
		tcp_record(c, src->code, src->sys_errno, "%s", src->error);
		return src->code;
	}

	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    ai->ai_protocol);
	if (fd == -1) {
		e = errno;
		tcp_record(c, ERR_SYSTEM, e, "socket: %s", strerror(e));
		return ERR_SYSTEM;
	}
	if (src->state == TCP_SOURCE_BIND &&
	    bind(fd, (const struct sockaddr *)&src->addr, src->addrlen) == -1) {
		e = errno;
		(void)close(fd);
		tcp_record(c, ERR_SYSTEM, e, "bind %s: %s", src->ntop,
		    strerror(e));
		return ERR_SYSTEM;
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return tcp_connected(c, fd, fdp);
	/* EINTR: the connect goes on in the background, as EINPROGRESS. */
	if (errno == EINPROGRESS || errno == EINTR) {
		c->fd = fd;
		c->state = TCP_CONNECTING;
		return ERR_AGAIN;
	}
	e = errno;
	(void)close(fd);
	return tcp_record_connect_errno(c, e);
}

/*
 * Tries the addresses left in this round, in getaddrinfo order, until one
 * is in progress or connected; then the next round after a pause, as
 * ssh_connect_direct() loops.  Addresses that fail at once (refused on
 * loopback, bind errors) fall through to the next right here.
 */
static int
tcp_next_address(struct proxy_tcp *c, uint64_t now_ms, int *fdp)
{
	const struct addrinfo *ai;
	int r;

	for (;;) {
		if (now_ms >= c->deadline)
			return tcp_timed_out(c);
		if (c->next_ai == NULL) {
			if (c->round + 1 >= c->attempts)
				return tcp_fail(c);
			c->round++;
			c->state = TCP_PAUSED;
			c->pause_until = now_ms + TCP_RETRY_PAUSE_MS;
			return ERR_AGAIN;
		}
		ai = c->next_ai;
		c->next_ai = ai->ai_next;
		r = tcp_try_address(c, ai, fdp);
		if (r == ERR_OK || r == ERR_AGAIN)
			return r;
	}
}

static int
tcp_step_resolving(struct proxy_tcp *c, uint64_t now_ms, int *fdp)
{
	struct tcp_job *job = c->job;

	if (!atomic_load_explicit(&job->done, memory_order_acquire)) {
		if (now_ms >= c->deadline)
			return tcp_timed_out(c);
		return ERR_AGAIN;
	}
	/* The thread is past writing the results: take them. */
	c->res = job->res;
	job->res = NULL;
	memcpy(c->sources, job->sources, sizeof(c->sources));
	if (job->gai_err != 0) {
		tcp_record(c, ERR_NOT_FOUND, job->gai_errno,
		    "Could not resolve hostname %.200s: %s", c->host,
		    tcp_gai_strerror(job->gai_err, job->gai_errno));
		return tcp_fail(c);
	}
	tcp_job_unref(job);
	c->job = NULL;
	c->next_ai = c->res;
	c->round = 0;
	return tcp_next_address(c, now_ms, fdp);
}

static int
tcp_step_connecting(struct proxy_tcp *c, uint64_t now_ms, int *fdp)
{
	struct pollfd pfd;
	socklen_t len;
	int n, soerr, fd, r;

	/* Look for ourselves: the caller may be here for the deadline. */
	pfd.fd = c->fd;
	pfd.events = POLLOUT;
	pfd.revents = 0;
	do {
		n = poll(&pfd, 1, 0);
	} while (n == -1 && errno == EINTR);
	if (n == 0) {
		if (now_ms >= c->deadline)
			return tcp_timed_out(c);
		return ERR_AGAIN;
	}
	if (n == -1) {
		soerr = errno;
	} else {
		len = sizeof(soerr);
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == -1)
			soerr = errno;
	}
	fd = c->fd;
	c->fd = -1;
	if (soerr == 0) {
		if ((r = tcp_connected(c, fd, fdp)) == ERR_OK)
			return ERR_OK;
	} else {
		(void)close(fd);
		(void)tcp_record_connect_errno(c, soerr);
	}
	return tcp_next_address(c, now_ms, fdp);
}

int
proxy_tcp_start(const struct proxy_tcp_spec *spec, uint64_t now_ms,
    struct proxy_tcp **cp)
{
	struct proxy_tcp *c = NULL;
	int r = ERR_INTERNAL;

	if (cp != NULL)
		*cp = NULL;
	if (spec == NULL || cp == NULL || spec->host == NULL ||
	    spec->port == NULL || (spec->family != AF_UNSPEC &&
	    spec->family != AF_INET && spec->family != AF_INET6))
		return ERR_INVALID_ARGUMENT;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return ERR_NOMEM;
	c->fd = -1;
	c->code = ERR_INTERNAL;
	if ((c->host = strdup(spec->host)) == NULL ||
	    (c->port = strdup(spec->port)) == NULL) {
		r = ERR_NOMEM;
		goto out;
	}
	c->attempts = spec->attempts < 1 ? 1 : spec->attempts;
	if (spec->timeout_ms < 0)
		c->deadline = UINT64_MAX;
	else if (now_ms > UINT64_MAX - (uint64_t)spec->timeout_ms)
		c->deadline = UINT64_MAX - 1;
	else
		c->deadline = now_ms + (uint64_t)spec->timeout_ms;
	if ((r = tcp_job_start(spec, &c->job)) != ERR_OK)
		goto out;
	c->state = TCP_RESOLVING;
	*cp = c;
	c = NULL;

 out:
	proxy_tcp_free(c);
	return r;
}

void
proxy_tcp_poll(const struct proxy_tcp *c, int *fdp, short *eventsp)
{
	int fd = -1;
	short events = 0;

	if (c != NULL && c->state == TCP_RESOLVING) {
		fd = c->job->efd;
		events = POLLIN;
	} else if (c != NULL && c->state == TCP_CONNECTING) {
		fd = c->fd;
		events = POLLOUT;
	}
	if (fdp != NULL)
		*fdp = fd;
	if (eventsp != NULL)
		*eventsp = events;
}

uint64_t
proxy_tcp_deadline(const struct proxy_tcp *c)
{
	if (c == NULL)
		return UINT64_MAX;
	switch (c->state) {
	case TCP_RESOLVING:
	case TCP_CONNECTING:
		return c->deadline;
	case TCP_PAUSED:
		return c->pause_until < c->deadline ? c->pause_until :
		    c->deadline;
	case TCP_DONE:
	case TCP_FAILED:
		break;
	}
	return UINT64_MAX;
}

int
proxy_tcp_step(struct proxy_tcp *c, uint64_t now_ms, int *fdp)
{
	if (fdp != NULL)
		*fdp = -1;
	if (c == NULL || fdp == NULL)
		return ERR_INVALID_ARGUMENT;
	switch (c->state) {
	case TCP_RESOLVING:
		return tcp_step_resolving(c, now_ms, fdp);
	case TCP_CONNECTING:
		return tcp_step_connecting(c, now_ms, fdp);
	case TCP_PAUSED:
		if (now_ms >= c->deadline)
			return tcp_timed_out(c);
		if (now_ms < c->pause_until)
			return ERR_AGAIN;
		c->next_ai = c->res;
		return tcp_next_address(c, now_ms, fdp);
	case TCP_DONE:
		return ERR_INVALID_ARGUMENT;
	case TCP_FAILED:
		errno = c->sys_errno;
		return c->code;
	}
	return ERR_INTERNAL;
}

const char *
proxy_tcp_error(const struct proxy_tcp *c)
{
	return c != NULL ? c->error : "";
}

const char *
proxy_tcp_address(const struct proxy_tcp *c)
{
	return c != NULL ? c->address : "";
}

void
proxy_tcp_free(struct proxy_tcp *c)
{
	int saved_errno = errno;

	if (c == NULL)
		return;
	/* A running thread keeps its own ref and frees the job itself. */
	tcp_job_unref(c->job);
	tcp_close_fd(c);
	if (c->res != NULL)
		freeaddrinfo(c->res);
	free(c->host);
	free(c->port);
	free(c);
	errno = saved_errno;
}

static void
tcp_copy_out(char *dst, size_t len, const char *src)
{
	if (dst != NULL && len > 0)
		tcp_format(dst, len, "%s", src);
}

int
proxy_tcp_connect(const struct proxy_tcp_spec *spec, int *fdp, char *addr,
    size_t addrlen, char *err, size_t errlen)
{
	struct proxy_tcp *c = NULL;
	struct pollfd pfd;
	uint64_t now, deadline;
	char line[TCP_ERRLEN];
	int timeout, n, fd = -1, saved_errno, r = ERR_INTERNAL;

	if (fdp != NULL)
		*fdp = -1;
	tcp_copy_out(addr, addrlen, "");
	tcp_copy_out(err, errlen, "");
	if (fdp == NULL)
		return ERR_INVALID_ARGUMENT;
	if ((r = proxy_tcp_start(spec, tcp_now_ms(), &c)) != ERR_OK) {
		tcp_copy_out(err, errlen, err_str(r));
		return r;
	}
	for (;;) {
		proxy_tcp_poll(c, &pfd.fd, &pfd.events);
		pfd.revents = 0;
		deadline = proxy_tcp_deadline(c);
		now = tcp_now_ms();
		if (deadline == UINT64_MAX)
			timeout = -1;
		else if (deadline <= now)
			timeout = 0;
		else if (deadline - now > INT_MAX)
			timeout = INT_MAX;
		else
			timeout = (int)(deadline - now);
		/* poll() skips a negative fd, so a pause is just a sleep. */
		n = poll(&pfd, 1, timeout);
		if (n == -1 && errno != EINTR) {
			saved_errno = errno;
			tcp_format(line, sizeof(line), "poll: %s",
			    strerror(saved_errno));
			tcp_copy_out(err, errlen, line);
			errno = saved_errno;
			r = ERR_SYSTEM;
			goto out;
		}
		if ((r = proxy_tcp_step(c, tcp_now_ms(), &fd)) != ERR_AGAIN)
			break;
	}
	if (r == ERR_OK) {
		*fdp = fd;
		tcp_copy_out(addr, addrlen, proxy_tcp_address(c));
	} else
		tcp_copy_out(err, errlen, proxy_tcp_error(c));

 out:
	proxy_tcp_free(c);
	return r;
}
