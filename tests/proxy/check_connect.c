/*
 * Tests for src/proxy/connect.c and src/proxy/fdpass.c against real
 * sockets on the loopback interface: no mocks, no network beyond this
 * machine.  Cases the machine cannot show (no IPv6 loopback, a
 * non-routable address that does not time out) say so on stderr and pass.
 *
 * Timing is asserted only from below, plus bounds of seconds: a loaded CI
 * machine may be slow, never early.  The ConnectTimeout and
 * ConnectionAttempts arithmetic is also checked with a fake clock, which
 * needs no waiting at all.
 *
 * Every test checks that it leaves no fd open and no resolver thread
 * running (which also makes `CK_FORK=no valgrind` runs meaningful).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "proxy/proxy.h"

/* Generous bound for anything that should finish at once. */
#define QUICK_MS 5000

static int baseline_fds, baseline_threads;

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Entries of a /proc directory, without "." and "..". */
static int
count_entries(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static int
count_open_fds(void)
{
	return count_entries("/proc/self/fd") - 1;   /* the listing's own */
}

static int
count_threads(void)
{
	return count_entries("/proc/self/task");
}

/* A resolver thread may still be on its way out: give it a moment. */
static int
threads_back_to(int n, int timeout_ms)
{
	uint64_t deadline = now_ms() + (uint64_t)timeout_ms;

	while (count_threads() > n) {
		if (now_ms() >= deadline)
			return 0;
		sleep_ms(2);
	}
	return 1;
}

static void
setup(void)
{
	baseline_fds = count_open_fds();
	baseline_threads = count_threads();
}

static void
teardown(void)
{
	ck_assert_msg(threads_back_to(baseline_threads, QUICK_MS),
	    "a resolver thread is still running");
	ck_assert_int_eq(count_open_fds(), baseline_fds);
}

static void
spec_init(struct proxy_tcp_spec *spec, const char *host, const char *port)
{
	memset(spec, 0, sizeof(*spec));
	spec->host = host;
	spec->port = port;
	spec->family = AF_UNSPEC;
	spec->timeout_ms = -1;
	spec->attempts = 1;
}

/* A listening socket on addr (numeric) and a free port; *port gets it. */
static int
listen_on(int family, const char *addr, char *port, size_t portlen)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, on = 1;

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		ck_assert_int_eq(inet_pton(AF_INET6, addr, &sin6->sin6_addr), 1);
		len = sizeof(*sin6);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		ck_assert_int_eq(inet_pton(AF_INET, addr, &sin->sin_addr), 1);
		len = sizeof(*sin);
	}
	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&ss, len), 0);
	ck_assert_int_eq(listen(fd, 16), 0);
	len = sizeof(ss);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	ck_assert_int_eq(getnameinfo((struct sockaddr *)&ss, len, NULL, 0,
	    port, (socklen_t)portlen, NI_NUMERICSERV), 0);
	return fd;
}

/* A port on 127.0.0.1 nobody listens on: bound, then closed. */
static void
closed_port(char *port, size_t portlen)
{
	close(listen_on(AF_INET, "127.0.0.1", port, portlen));
}

/* Accepts one connection and returns the peer's numeric address. */
static void
accept_peer(int lfd, char *peer, size_t peerlen)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct pollfd pfd = { .fd = lfd, .events = POLLIN };
	int fd;

	ck_assert_int_eq(poll(&pfd, 1, QUICK_MS), 1);
	fd = accept(lfd, (struct sockaddr *)&ss, &len);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(getnameinfo((struct sockaddr *)&ss, len, peer,
	    (socklen_t)peerlen, NULL, 0, NI_NUMERICHOST), 0);
	close(fd);
}

/* Whether we can bind a socket of family to addr right now. */
static int
can_bind(int family, const char *addr)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, ok;

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) != 1)
			return 0;
		len = sizeof(*sin6);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		if (inet_pton(AF_INET, addr, &sin->sin_addr) != 1)
			return 0;
		len = sizeof(*sin);
	}
	if ((fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return 0;
	ok = bind(fd, (struct sockaddr *)&ss, len) == 0;
	close(fd);
	return ok;
}

static void
assert_socket_flags(int fd)
{
	socklen_t len;
	int v = 0;

	ck_assert(fcntl(fd, F_GETFL) & O_NONBLOCK);
	ck_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	len = sizeof(v);
	ck_assert_int_eq(getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &len), 0);
	ck_assert_int_ne(v, 0);
}

/* proxy_tcp_connect() into fixed buffers, with the elapsed time. */
struct result {
	int r, saved_errno, fd;
	uint64_t elapsed_ms;
	char addr[64], err[512];
};

static void
run_connect(const struct proxy_tcp_spec *spec, struct result *res)
{
	uint64_t t0 = now_ms();

	memset(res, 0, sizeof(*res));
	res->r = proxy_tcp_connect(spec, &res->fd, res->addr,
	    sizeof(res->addr), res->err, sizeof(res->err));
	res->saved_errno = errno;
	res->elapsed_ms = now_ms() - t0;
	if (res->r == ERR_OK) {
		ck_assert_int_ge(res->fd, 0);
		ck_assert_str_eq(res->err, "");
	} else {
		ck_assert_int_eq(res->fd, -1);
		ck_assert_str_eq(res->addr, "");
	}
}

/* Steps c with the real clock until it is done; returns the last code. */
static int
drive(struct proxy_tcp *c, int *fdp)
{
	struct pollfd pfd;
	uint64_t deadline, now;
	int r, timeout;

	for (;;) {
		proxy_tcp_poll(c, &pfd.fd, &pfd.events);
		pfd.revents = 0;
		deadline = proxy_tcp_deadline(c);
		now = now_ms();
		timeout = deadline == UINT64_MAX ? QUICK_MS :
		    deadline <= now ? 0 : (int)(deadline - now);
		ck_assert(pfd.fd != -1 || deadline != UINT64_MAX);
		poll(&pfd, 1, timeout);
		if ((r = proxy_tcp_step(c, now_ms(), fdp)) != ERR_AGAIN)
			return r;
	}
}

/* Waits (really) until the resolver has answered, without stepping. */
static void
wait_resolved(const struct proxy_tcp *c)
{
	struct pollfd pfd;

	proxy_tcp_poll(c, &pfd.fd, &pfd.events);
	ck_assert_int_ge(pfd.fd, 0);
	ck_assert_int_eq(pfd.events, POLLIN);
	ck_assert_int_eq(poll(&pfd, 1, QUICK_MS), 1);
}

/*
 * Steps c at the fake time now until it only waits for time: a connect
 * in progress is waited for for real (loopback answers at once, but may
 * still answer through poll rather than from connect() itself).
 */
static int
settle(struct proxy_tcp *c, uint64_t now, int *fdp)
{
	struct pollfd pfd;
	int r;

	for (;;) {
		r = proxy_tcp_step(c, now, fdp);
		proxy_tcp_poll(c, &pfd.fd, &pfd.events);
		if (r != ERR_AGAIN || pfd.fd == -1)
			return r;
		pfd.revents = 0;
		ck_assert_int_eq(poll(&pfd, 1, QUICK_MS), 1);
	}
}

/* ---- connecting */

START_TEST(test_connect_ok)
{
	struct proxy_tcp_spec spec;
	struct result res;
	char port[16], peer[64], msg[600];
	int lfd, fd;

	lfd = listen_on(AF_INET, "127.0.0.1", port, sizeof(port));
	spec_init(&spec, "127.0.0.1", port);
	run_connect(&spec, &res);
	ck_assert_int_eq(res.r, ERR_OK);
	ck_assert_str_eq(res.addr, "127.0.0.1");
	assert_socket_flags(res.fd);
	accept_peer(lfd, peer, sizeof(peer));
	ck_assert_str_eq(peer, "127.0.0.1");
	close(res.fd);

	/* A name, and a ConnectTimeout that does not run out. */
	spec_init(&spec, "localhost", port);
	spec.family = AF_INET;
	spec.timeout_ms = QUICK_MS;
	spec.attempts = 0;   /* means 1 */
	run_connect(&spec, &res);
	ck_assert_int_eq(res.r, ERR_OK);
	ck_assert_str_eq(res.addr, "127.0.0.1");
	close(res.fd);
	accept_peer(lfd, peer, sizeof(peer));
	close(lfd);

	/* Truncated out-buffers stay terminated. */
	closed_port(port, sizeof(port));
	spec_init(&spec, "127.0.0.1", port);
	ck_assert_int_eq(proxy_tcp_connect(&spec, &fd, NULL, 0, msg, 8),
	    ERR_SYSTEM);
	ck_assert_str_eq(msg, "connect");
	ck_assert_int_eq(fd, -1);
}
END_TEST

START_TEST(test_state_machine)
{
	struct proxy_tcp_spec spec;
	struct proxy_tcp *c = NULL;
	char port[16], peer[64];
	short events;
	int lfd, fd, pfd_fd, r;

	lfd = listen_on(AF_INET, "127.0.0.1", port, sizeof(port));
	spec_init(&spec, "127.0.0.1", port);
	ck_assert_int_eq(proxy_tcp_start(&spec, now_ms(), &c), ERR_OK);
	ck_assert_str_eq(proxy_tcp_address(c), "");
	ck_assert_str_eq(proxy_tcp_error(c), "");
	ck_assert_uint_eq(proxy_tcp_deadline(c), UINT64_MAX);
	proxy_tcp_poll(c, &pfd_fd, &events);
	ck_assert_int_ge(pfd_fd, 0);
	ck_assert_int_eq(events, POLLIN);

	r = drive(c, &fd);
	ck_assert_int_eq(r, ERR_OK);
	ck_assert_int_ge(fd, 0);
	ck_assert_str_eq(proxy_tcp_address(c), "127.0.0.1");
	proxy_tcp_poll(c, &pfd_fd, &events);
	ck_assert_int_eq(pfd_fd, -1);
	/* Done: the socket is the caller's, and stays theirs. */
	ck_assert_int_eq(proxy_tcp_step(c, now_ms(), &pfd_fd),
	    ERR_INVALID_ARGUMENT);
	ck_assert_int_eq(pfd_fd, -1);
	proxy_tcp_free(c);
	assert_socket_flags(fd);
	accept_peer(lfd, peer, sizeof(peer));
	close(fd);
	close(lfd);
}
END_TEST

START_TEST(test_refused)
{
	struct proxy_tcp_spec spec;
	struct result res;
	char port[16], want[128];

	closed_port(port, sizeof(port));
	spec_init(&spec, "127.0.0.1", port);
	run_connect(&spec, &res);
	ck_assert_int_eq(res.r, ERR_SYSTEM);
	ck_assert_int_eq(res.saved_errno, ECONNREFUSED);
	snprintf(want, sizeof(want),
	    "connect to host 127.0.0.1 port %s: Connection refused", port);
	ck_assert_str_eq(res.err, want);

	/* The message names the host as given, not the address. */
	spec_init(&spec, "localhost", port);
	spec.family = AF_INET;
	run_connect(&spec, &res);
	ck_assert_int_eq(res.r, ERR_SYSTEM);
	snprintf(want, sizeof(want),
	    "connect to host localhost port %s: Connection refused", port);
	ck_assert_str_eq(res.err, want);
}
END_TEST

START_TEST(test_unresolvable)
{
	struct proxy_tcp_spec spec;
	struct result res;
	const char *prefix = "Could not resolve hostname nosuch.invalid: ";

	spec_init(&spec, "nosuch.invalid", "22");
	spec.timeout_ms = QUICK_MS;
	run_connect(&spec, &res);
	ck_assert_int_eq(res.r, ERR_NOT_FOUND);
	ck_assert_msg(strncmp(res.err, prefix, strlen(prefix)) == 0 &&
	    strlen(res.err) > strlen(prefix), "got \"%s\"", res.err);
	ck_assert_ptr_null(strchr(res.err, '\n'));

	/* An IPv6 literal when only IPv4 is allowed does not resolve. */
	spec_init(&spec, "::1", "22");
	spec.family = AF_INET;
	run_connect(&spec, &res);
	ck_assert_int_eq(res.r, ERR_NOT_FOUND);
	ck_assert_msg(strncmp(res.err, "Could not resolve hostname ::1: ",
	    32) == 0, "got \"%s\"", res.err);
}
END_TEST

START_TEST(test_attempts_pause)
{
	struct proxy_tcp_spec spec;
	struct result res;
	char port[16], want[128];

	closed_port(port, sizeof(port));
	spec_init(&spec, "127.0.0.1", port);
	spec.attempts = 2;
	run_connect(&spec, &res);
	ck_assert_int_eq(res.r, ERR_SYSTEM);
	snprintf(want, sizeof(want),
	    "connect to host 127.0.0.1 port %s: Connection refused", port);
	ck_assert_str_eq(res.err, want);
	/* One pause of a second between the two rounds. */
	ck_assert_uint_ge(res.elapsed_ms, 950);
	ck_assert_uint_lt(res.elapsed_ms, 5000);
}
END_TEST

/* ConnectTimeout covers the pauses between rounds too. */
START_TEST(test_timeout_across_rounds)
{
	struct proxy_tcp_spec spec;
	struct result res;
	char port[16], want[128];

	closed_port(port, sizeof(port));
	spec_init(&spec, "127.0.0.1", port);
	spec.attempts = 10;
	spec.timeout_ms = 1500;
	run_connect(&spec, &res);
	ck_assert_int_eq(res.r, ERR_TIMEOUT);
	snprintf(want, sizeof(want),
	    "connect to host 127.0.0.1 port %s: Connection timed out", port);
	ck_assert_str_eq(res.err, want);
	ck_assert_uint_ge(res.elapsed_ms, 1450);
	ck_assert_uint_lt(res.elapsed_ms, 6000);
}
END_TEST

/* The same arithmetic on a fake clock: nothing waits. */
START_TEST(test_fake_clock)
{
	struct proxy_tcp_spec spec;
	struct proxy_tcp *c = NULL;
	char port[16];
	int fd, pfd_fd, r;
	short events;

	closed_port(port, sizeof(port));

	/* 3 rounds, ConnectTimeout 1.5 s: the timeout ends the first pause
	 * half-way. */
	spec_init(&spec, "127.0.0.1", port);
	spec.attempts = 3;
	spec.timeout_ms = 1500;
	ck_assert_int_eq(proxy_tcp_start(&spec, 10000, &c), ERR_OK);
	ck_assert_uint_eq(proxy_tcp_deadline(c), 11500);
	wait_resolved(c);
	ck_assert_int_eq(settle(c, 10000, &fd), ERR_AGAIN);
	ck_assert_int_eq(fd, -1);
	/* Refused: now in the pause, only time to wait. */
	proxy_tcp_poll(c, &pfd_fd, &events);
	ck_assert_int_eq(pfd_fd, -1);
	ck_assert_uint_eq(proxy_tcp_deadline(c), 11000);
	ck_assert_int_eq(proxy_tcp_step(c, 10999, &fd), ERR_AGAIN);
	ck_assert_int_eq(settle(c, 11000, &fd), ERR_AGAIN);
	ck_assert_uint_eq(proxy_tcp_deadline(c), 11500);
	ck_assert_int_eq(proxy_tcp_step(c, 11499, &fd), ERR_AGAIN);
	ck_assert_int_eq(proxy_tcp_step(c, 11500, &fd), ERR_TIMEOUT);
	ck_assert_ptr_nonnull(strstr(proxy_tcp_error(c),
	    ": Connection timed out"));
	/* Failed stays failed. */
	ck_assert_int_eq(proxy_tcp_step(c, 99999, &fd), ERR_TIMEOUT);
	ck_assert_uint_eq(proxy_tcp_deadline(c), UINT64_MAX);
	proxy_tcp_free(c);

	/* No ConnectTimeout: 2 rounds end refused after one pause. */
	spec.attempts = 2;
	spec.timeout_ms = -1;
	ck_assert_int_eq(proxy_tcp_start(&spec, 500, &c), ERR_OK);
	wait_resolved(c);
	ck_assert_int_eq(settle(c, 500, &fd), ERR_AGAIN);
	ck_assert_uint_eq(proxy_tcp_deadline(c), 1500);
	ck_assert_int_eq(proxy_tcp_step(c, 1499, &fd), ERR_AGAIN);
	ck_assert_int_eq(settle(c, 1500, &fd), ERR_SYSTEM);
	ck_assert_ptr_nonnull(strstr(proxy_tcp_error(c),
	    ": Connection refused"));
	proxy_tcp_free(c);

	/* A timeout of 0 is spent before the first address. */
	spec.attempts = 1;
	spec.timeout_ms = 0;
	ck_assert_int_eq(proxy_tcp_start(&spec, 500, &c), ERR_OK);
	wait_resolved(c);
	ck_assert_int_eq(proxy_tcp_step(c, 500, &fd), ERR_TIMEOUT);
	proxy_tcp_free(c);

	/* Timing out while the resolver has not answered yet.  It may have
	 * answered already (there is no slow resolver to be had here), so
	 * only the timeout's own message is checked. */
	spec_init(&spec, "nosuch.invalid", "22");
	spec.timeout_ms = 100;
	ck_assert_int_eq(proxy_tcp_start(&spec, 0, &c), ERR_OK);
	r = proxy_tcp_step(c, 100, &fd);
	if (r == ERR_TIMEOUT)
		ck_assert_str_eq(proxy_tcp_error(c), "Could not resolve "
		    "hostname nosuch.invalid: Connection timed out");
	else
		ck_assert_int_eq(r, ERR_NOT_FOUND);
	proxy_tcp_free(c);
}
END_TEST

/*
 * A connect that really hangs.  10.255.255.1 is meant to be routed
 * nowhere, but a sandbox may answer for it or have no route at all; then
 * the case cannot be shown here and is skipped.
 */
START_TEST(test_timeout_unroutable)
{
	struct proxy_tcp_spec spec;
	struct result res;

	spec_init(&spec, "10.255.255.1", "22");
	spec.timeout_ms = 1000;
	run_connect(&spec, &res);
	if (res.r != ERR_TIMEOUT) {
		fprintf(stderr, "check_connect: skipped: 10.255.255.1 does not "
		    "hang here (%s%s)\n", err_str(res.r),
		    res.r == ERR_OK ? ", it answered" : "");
		if (res.fd != -1)
			close(res.fd);
		return;
	}
	ck_assert_str_eq(res.err,
	    "connect to host 10.255.255.1 port 22: Connection timed out");
	ck_assert_uint_ge(res.elapsed_ms, 950);
	ck_assert_uint_lt(res.elapsed_ms, 5000);
}
END_TEST

START_TEST(test_ipv6_loopback)
{
	struct proxy_tcp_spec spec;
	struct result res;
	char port[16], peer[64], want[128];
	int lfd;

	if (!can_bind(AF_INET6, "::1")) {
		fprintf(stderr, "check_connect: skipped: no IPv6 loopback\n");
		return;
	}
	lfd = listen_on(AF_INET6, "::1", port, sizeof(port));
	spec_init(&spec, "::1", port);
	spec.family = AF_INET6;
	run_connect(&spec, &res);
	ck_assert_int_eq(res.r, ERR_OK);
	ck_assert_str_eq(res.addr, "::1");
	assert_socket_flags(res.fd);
	accept_peer(lfd, peer, sizeof(peer));
	ck_assert_str_eq(peer, "::1");
	close(res.fd);

	/* BindInterface lo gives ::1 for an IPv6 destination. */
	spec.bind_interface = "lo";
	run_connect(&spec, &res);
	ck_assert_int_eq(res.r, ERR_OK);
	accept_peer(lfd, peer, sizeof(peer));
	ck_assert_str_eq(peer, "::1");
	close(res.fd);
	close(lfd);

	closed_port(port, sizeof(port));
	spec_init(&spec, "::1", port);
	run_connect(&spec, &res);
	ck_assert_int_eq(res.r, ERR_SYSTEM);
	snprintf(want, sizeof(want),
	    "connect to host ::1 port %s: Connection refused", port);
	ck_assert_str_eq(res.err, want);
}
END_TEST

START_TEST(test_bind_address)
{
	struct proxy_tcp_spec spec;
	struct result res;
	char port[16], peer[64];
	int lfd;

	lfd = listen_on(AF_INET, "127.0.0.1", port, sizeof(port));
	spec_init(&spec, "127.0.0.1", port);
	spec.bind_address = "127.0.0.1";
	run_connect(&spec, &res);
	ck_assert_int_eq(res.r, ERR_OK);
	accept_peer(lfd, peer, sizeof(peer));
	ck_assert_str_eq(peer, "127.0.0.1");
	close(res.fd);

	/* Another address of 127/8 shows the bind took effect: loopback
	 * would pick 127.0.0.1 by itself. */
	if (can_bind(AF_INET, "127.0.0.2")) {
		spec.bind_address = "127.0.0.2";
		run_connect(&spec, &res);
		ck_assert_int_eq(res.r, ERR_OK);
		accept_peer(lfd, peer, sizeof(peer));
		ck_assert_str_eq(peer, "127.0.0.2");
		close(res.fd);
	} else {
		fprintf(stderr, "check_connect: skipped: cannot bind "
		    "127.0.0.2\n");
	}

	/* BindAddress wins over BindInterface, as in ssh. */
	spec.bind_address = "127.0.0.1";
	spec.bind_interface = "nosuch0";
	run_connect(&spec, &res);
	ck_assert_int_eq(res.r, ERR_OK);
	accept_peer(lfd, peer, sizeof(peer));
	ck_assert_str_eq(peer, "127.0.0.1");
	close(res.fd);
	close(lfd);
}
END_TEST

START_TEST(test_bind_address_not_ours)
{
	struct proxy_tcp_spec spec;
	struct result res;
	char port[16];
	int lfd;

	/* TEST-NET-2 (RFC 5737): no machine should own it. */
	if (can_bind(AF_INET, "198.51.100.7")) {
		fprintf(stderr, "check_connect: skipped: this machine owns "
		    "198.51.100.7\n");
		return;
	}
	lfd = listen_on(AF_INET, "127.0.0.1", port, sizeof(port));
	spec_init(&spec, "127.0.0.1", port);
	spec.bind_address = "198.51.100.7";
	run_connect(&spec, &res);
	ck_assert_int_eq(res.r, ERR_SYSTEM);
	ck_assert_int_eq(res.saved_errno, EADDRNOTAVAIL);
	ck_assert_str_eq(res.err,
	    "bind 198.51.100.7: Cannot assign requested address");

	/* A BindAddress of the wrong family for the destination. */
	spec.bind_address = "::1";
	run_connect(&spec, &res);
	ck_assert_int_eq(res.r, ERR_NOT_FOUND);
	ck_assert_msg(strncmp(res.err, "getaddrinfo: ::1: ", 18) == 0,
	    "got \"%s\"", res.err);
	close(lfd);
}
END_TEST

START_TEST(test_bind_interface)
{
	struct proxy_tcp_spec spec;
	struct result res;
	char port[16], peer[64];
	int lfd;

	lfd = listen_on(AF_INET, "127.0.0.1", port, sizeof(port));
	spec_init(&spec, "127.0.0.1", port);
	spec.bind_interface = "lo";
	run_connect(&spec, &res);
	ck_assert_int_eq(res.r, ERR_OK);
	ck_assert_str_eq(res.addr, "127.0.0.1");
	accept_peer(lfd, peer, sizeof(peer));
	ck_assert_str_eq(peer, "127.0.0.1");
	close(res.fd);

	spec.bind_interface = "nosuch0";
	run_connect(&spec, &res);
	ck_assert_int_eq(res.r, ERR_NOT_FOUND);
	ck_assert_str_eq(res.err, "BindInterface nosuch0: no such interface");
	close(lfd);
}
END_TEST

/* Freed while the thread still resolves: it must clean up by itself. */
START_TEST(test_free_while_resolving)
{
	struct proxy_tcp_spec spec;
	struct proxy_tcp *c;
	const char *hosts[] = { "nosuch.invalid", "localhost", "127.0.0.1" };
	int i;

	for (i = 0; i < 60; i++) {
		spec_init(&spec, hosts[i % 3], "22");
		spec.bind_interface = i % 2 ? "lo" : NULL;
		c = NULL;
		ck_assert_int_eq(proxy_tcp_start(&spec, now_ms(), &c), ERR_OK);
		proxy_tcp_free(c);
	}
	/* And once more after the thread has answered, unstepped. */
	spec_init(&spec, "127.0.0.1", "22");
	ck_assert_int_eq(proxy_tcp_start(&spec, now_ms(), &c), ERR_OK);
	wait_resolved(c);
	proxy_tcp_free(c);
	proxy_tcp_free(NULL);
	/* The teardown checks that every thread is gone and no fd is left. */
}
END_TEST

START_TEST(test_invalid_arguments)
{
	struct proxy_tcp_spec spec;
	struct proxy_tcp *c = (struct proxy_tcp *)&spec;
	char err[64];
	int fd = 7;

	spec_init(&spec, "127.0.0.1", "22");
	ck_assert_int_eq(proxy_tcp_start(NULL, 0, &c), ERR_INVALID_ARGUMENT);
	ck_assert_ptr_null(c);
	ck_assert_int_eq(proxy_tcp_start(&spec, 0, NULL),
	    ERR_INVALID_ARGUMENT);
	spec.family = AF_UNIX;
	ck_assert_int_eq(proxy_tcp_start(&spec, 0, &c), ERR_INVALID_ARGUMENT);
	spec_init(&spec, NULL, "22");
	ck_assert_int_eq(proxy_tcp_start(&spec, 0, &c), ERR_INVALID_ARGUMENT);
	spec_init(&spec, "127.0.0.1", NULL);
	ck_assert_int_eq(proxy_tcp_connect(&spec, &fd, NULL, 0, err,
	    sizeof(err)), ERR_INVALID_ARGUMENT);
	ck_assert_int_eq(fd, -1);
	ck_assert_str_eq(err, "invalid argument");
	ck_assert_int_eq(proxy_tcp_step(NULL, 0, &fd), ERR_INVALID_ARGUMENT);
	ck_assert_str_eq(proxy_tcp_error(NULL), "");
	ck_assert_str_eq(proxy_tcp_address(NULL), "");
	ck_assert_uint_eq(proxy_tcp_deadline(NULL), UINT64_MAX);
}
END_TEST

/* ---- ProxyUseFdpass */

/* Sends one byte with fds[0..n-1] attached (n may be 0). */
static void
send_fds(int sock, const int *fds, int n)
{
	union {
		struct cmsghdr align;
		char bytes[CMSG_SPACE(sizeof(int) * 4)];
	} control;
	struct msghdr msg;
	struct cmsghdr *cmsg;
	struct iovec iov;
	char byte = 0;

	memset(&msg, 0, sizeof(msg));
	memset(&control, 0, sizeof(control));
	iov.iov_base = &byte;
	iov.iov_len = 1;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (n > 0) {
		msg.msg_control = control.bytes;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)n);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)n);
		memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * (size_t)n);
	}
	ck_assert_int_eq(sendmsg(sock, &msg, 0), 1);
}

START_TEST(test_fdpass_receive)
{
	struct sockaddr_in me, peer;
	socklen_t len;
	char port[16], buf[8];
	int sv[2], lfd, cfd, sfd, got = -1;

	/* A connected TCP socket, as a dialer like `nc -F` would pass. */
	lfd = listen_on(AF_INET, "127.0.0.1", port, sizeof(port));
	cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(cfd, 0);
	len = sizeof(me);
	ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&me, &len), 0);
	ck_assert_int_eq(connect(cfd, (struct sockaddr *)&me, len), 0);
	sfd = accept(lfd, NULL, NULL);
	ck_assert_int_ge(sfd, 0);

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0, sv), 0);
	/* Nothing sent yet. */
	ck_assert_int_eq(proxy_fdpass_receive(sv[0], &got), ERR_AGAIN);
	ck_assert_int_eq(got, -1);

	send_fds(sv[1], &cfd, 1);
	close(cfd);   /* the dialer exits: only the passed copy is left */
	ck_assert_int_eq(proxy_fdpass_receive(sv[0], &got), ERR_OK);
	ck_assert_int_ge(got, 0);
	ck_assert(fcntl(got, F_GETFL) & O_NONBLOCK);
	ck_assert(fcntl(got, F_GETFD) & FD_CLOEXEC);
	/* It is the same connection. */
	len = sizeof(peer);
	ck_assert_int_eq(getpeername(got, (struct sockaddr *)&peer, &len), 0);
	ck_assert_int_eq(peer.sin_port, me.sin_port);
	ck_assert_int_eq(write(got, "hi", 2), 2);
	ck_assert_int_eq(read(sfd, buf, sizeof(buf)), 2);
	ck_assert_int_eq(memcmp(buf, "hi", 2), 0);

	close(got);
	close(sfd);
	close(lfd);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

START_TEST(test_fdpass_peer_closed)
{
	int sv[2], got = 5;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    sv), 0);
	close(sv[1]);
	ck_assert_int_eq(proxy_fdpass_receive(sv[0], &got), ERR_DISCONNECTED);
	ck_assert_int_eq(got, -1);
	close(sv[0]);

	ck_assert_int_eq(proxy_fdpass_receive(-1, &got), ERR_INVALID_ARGUMENT);
	ck_assert_int_eq(proxy_fdpass_receive(0, NULL), ERR_INVALID_ARGUMENT);
}
END_TEST

/* Anything but one byte with one fd is refused, and nothing leaks. */
START_TEST(test_fdpass_unexpected)
{
	int sv[2], p[2], fds[3], null_fd, got = -1;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    sv), 0);
	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);

	/* A byte without an fd. */
	send_fds(sv[1], NULL, 0);
	ck_assert_int_eq(proxy_fdpass_receive(sv[0], &got), ERR_PROTOCOL);
	ck_assert_int_eq(got, -1);

	/* Three fds at once: all of them are closed on our side. */
	fds[0] = p[0];
	fds[1] = p[1];
	fds[2] = null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(null_fd, 0);
	send_fds(sv[1], fds, 3);
	ck_assert_int_eq(proxy_fdpass_receive(sv[0], &got), ERR_PROTOCOL);
	ck_assert_int_eq(got, -1);

	close(p[0]);
	close(p[1]);
	close(null_fd);
	close(sv[0]);
	close(sv[1]);
	/* The teardown's fd count shows none of the three stayed open. */
}
END_TEST

static Suite *
connect_suite(void)
{
	Suite *s = suite_create("connect");
	TCase *tcp = tcase_create("tcp");
	TCase *fdpass = tcase_create("fdpass");

	tcase_add_checked_fixture(tcp, setup, teardown);
	tcase_set_timeout(tcp, 20);
	tcase_add_test(tcp, test_connect_ok);
	tcase_add_test(tcp, test_state_machine);
	tcase_add_test(tcp, test_refused);
	tcase_add_test(tcp, test_unresolvable);
	tcase_add_test(tcp, test_attempts_pause);
	tcase_add_test(tcp, test_timeout_across_rounds);
	tcase_add_test(tcp, test_fake_clock);
	tcase_add_test(tcp, test_timeout_unroutable);
	tcase_add_test(tcp, test_ipv6_loopback);
	tcase_add_test(tcp, test_bind_address);
	tcase_add_test(tcp, test_bind_address_not_ours);
	tcase_add_test(tcp, test_bind_interface);
	tcase_add_test(tcp, test_free_while_resolving);
	tcase_add_test(tcp, test_invalid_arguments);
	suite_add_tcase(s, tcp);

	tcase_add_checked_fixture(fdpass, setup, teardown);
	tcase_set_timeout(fdpass, 10);
	tcase_add_test(fdpass, test_fdpass_receive);
	tcase_add_test(fdpass, test_fdpass_peer_closed);
	tcase_add_test(fdpass, test_fdpass_unexpected);
	suite_add_tcase(s, fdpass);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	sr = srunner_create(connect_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
