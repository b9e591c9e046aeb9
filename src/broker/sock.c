/*
 * Unix sockets of the broker.  The rules come from what local sockets of
 * SSH tools learned: a directory only we can enter, a socket only we can
 * open, the peer's uid checked on every connection (a mode can be raced,
 * a credential cannot), and a live socket never replaced.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "broker/sock.h"
#include "common/err.h"
#include "proxy/proxy.h"

int
sock_control_path(char *buf, size_t len)
{
	const char *env = getenv("SSHBROKER_SOCKET");
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	struct sockaddr_un sun;
	int n;

	if (env != NULL && *env != '\0')
		n = snprintf(buf, len, "%s", env);
	else if (xdg != NULL && *xdg == '/')
		n = snprintf(buf, len, "%s/sshbroker/control", xdg);
	else
		n = snprintf(buf, len, "/tmp/sshbroker-%u/control",
		    (unsigned int)getuid());
	if (n < 0 || (size_t)n >= len || (size_t)n >= sizeof(sun.sun_path))
		return ERR_TOO_LONG;
	return ERR_OK;
}

/* The directory part of path, in dir. */
static int
dir_of(const char *path, char *dir, size_t len)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (slash == NULL) {
		if (len < 2)
			return ERR_TOO_LONG;
		strcpy(dir, ".");
		return ERR_OK;
	}
	n = slash == path ? 1 : (size_t)(slash - path);
	if (n >= len)
		return ERR_TOO_LONG;
	memcpy(dir, path, n);
	dir[n] = '\0';
	return ERR_OK;
}

int
sock_private_dir(const char *path, char *why, size_t whylen)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct stat st;

	if (dir_of(path, dir, sizeof(dir)) != ERR_OK) {
		snprintf(why, whylen, "%s: path too long", path);
		return ERR_TOO_LONG;
	}
	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		snprintf(why, whylen, "cannot create %s: %s", dir,
		    strerror(errno));
		return ERR_SYSTEM;
	}
	/* lstat: a symlink planted where our directory should be is
	 * refused, not followed */
	if (lstat(dir, &st) == -1) {
		snprintf(why, whylen, "%s: %s", dir, strerror(errno));
		return ERR_SYSTEM;
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != getuid() ||
	    (st.st_mode & 077) != 0) {
		snprintf(why, whylen, "%s must be a directory of uid %u with no "
		    "access for anyone else (it is mode %03o, uid %u)", dir,
		    (unsigned int)getuid(), (unsigned int)(st.st_mode & 0777),
		    (unsigned int)st.st_uid);
		return ERR_PERMISSION;
	}
	return ERR_OK;
}

int
sock_lock(const char *control_path, int *fdp)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char lock[sizeof(dir) + 8];
	int fd;

	*fdp = -1;
	if (dir_of(control_path, dir, sizeof(dir)) != ERR_OK)
		return ERR_TOO_LONG;
	snprintf(lock, sizeof(lock), "%s/lock", dir);
	if ((fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0600)) == -1)
		return ERR_SYSTEM;
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		int e = errno;

		close(fd);
		errno = e;
		return e == EWOULDBLOCK ? ERR_AGAIN : ERR_SYSTEM;
	}
	*fdp = fd;
	return ERR_OK;
}

static int
fill_sun(struct sockaddr_un *sun, const char *path)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path))
		return ERR_TOO_LONG;
	memcpy(sun->sun_path, path, strlen(path));
	return ERR_OK;
}

int
sock_connect(const char *path, int *fdp)
{
	struct sockaddr_un sun;
	int fd;

	*fdp = -1;
	if (fill_sun(&sun, path) != ERR_OK)
		return ERR_TOO_LONG;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return ERR_SYSTEM;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		int e = errno;

		close(fd);
		errno = e;
		return e == ENOENT || e == ECONNREFUSED ? ERR_NOT_FOUND :
		    ERR_SYSTEM;
	}
	*fdp = fd;
	return ERR_OK;
}

int
sock_listen(const char *path, int replace_stale, int *fdp, char *why,
    size_t whylen)
{
	struct sockaddr_un sun;
	char tmp[sizeof(sun.sun_path)];
	uint64_t rnd;
	int fd = -1, probe, r, i;

	*fdp = -1;
	/* ssh's own trick for ControlPath: a random name beside the final
	 * one, then link(), which never replaces what is there */
	if (getentropy(&rnd, sizeof(rnd)) != 0) {
		snprintf(why, whylen, "getentropy: %s", strerror(errno));
		return ERR_SYSTEM;
	}
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.%016llx", path,
	    (unsigned long long)rnd) >= sizeof(tmp) ||
	    fill_sun(&sun, tmp) != ERR_OK) {
		snprintf(why, whylen, "%s: path too long for a socket", path);
		return ERR_TOO_LONG;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) == -1) {
		snprintf(why, whylen, "socket: %s", strerror(errno));
		return ERR_SYSTEM;
	}
	{
		/* 0600 from the start: the socket never exists with more */
		mode_t old = umask(0177);

		r = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
		umask(old);
	}
	if (r == -1 || listen(fd, 128) == -1) {
		snprintf(why, whylen, "bind %s: %s", tmp, strerror(errno));
		goto fail;
	}
	for (i = 0; i < 2; i++) {
		if (link(tmp, path) == 0)
			break;
		if (errno != EEXIST || !replace_stale || i > 0) {
			snprintf(why, whylen, "%s: %s", path, errno == EEXIST ?
			    "already in use" : strerror(errno));
			r = errno == EEXIST ? ERR_AGAIN : ERR_SYSTEM;
			unlink(tmp);
			close(fd);
			return r;
		}
		/* something is there: a live socket stays, a dead one goes */
		if (sock_connect(path, &probe) == ERR_OK) {
			close(probe);
			snprintf(why, whylen, "%s: another process listens there",
			    path);
			unlink(tmp);
			close(fd);
			return ERR_AGAIN;
		}
		{
			struct stat st;

			if (lstat(path, &st) == 0 && !S_ISSOCK(st.st_mode)) {
				snprintf(why, whylen, "%s exists and is not a "
				    "socket", path);
				goto fail;
			}
		}
		(void)unlink(path);
	}
	unlink(tmp);
	*fdp = fd;
	return ERR_OK;
 fail:
	unlink(tmp);
	close(fd);
	return ERR_SYSTEM;
}

int
sock_peer_is_us(int fd, int *pidp)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (pidp != NULL)
		*pidp = 0;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1 ||
	    len != sizeof(cred))
		return 0;
	if (pidp != NULL)
		*pidp = (int)cred.pid;
	return cred.uid == getuid();
}

int
sock_send_fd(int sock, int fd)
{
	struct msghdr msg;
	struct iovec iov;
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	struct cmsghdr *cmsg;
	char byte = 0;
	ssize_t n;

	memset(&msg, 0, sizeof(msg));
	memset(&control, 0, sizeof(control));
	iov.iov_base = &byte;
	iov.iov_len = 1;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = control.buf;
	msg.msg_controllen = sizeof(control.buf);
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	do {
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	} while (n == -1 && errno == EINTR);
	if (n == 1)
		return ERR_OK;
	return n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK) ?
	    ERR_AGAIN : ERR_SYSTEM;
}

int
sock_recv_fd(int sock, int *fdp)
{
	return proxy_recv_fd(sock, fdp);
}

/* One listening TCP socket on addr; -1 with why. */
static int
listen_tcp_one(const struct sockaddr *addr, socklen_t addrlen, int v6only,
    int *fdp, char *why, size_t whylen)
{
	char text[INET6_ADDRSTRLEN] = "?";
	int fd, on = 1, port;

	if (addr->sa_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)addr;

		(void)inet_ntop(AF_INET, &a->sin_addr, text, sizeof(text));
		port = ntohs(a->sin_port);
	} else {
		const struct sockaddr_in6 *a = (const void *)addr;

		(void)inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof(text));
		port = ntohs(a->sin6_port);
	}
	if ((fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1) {
		snprintf(why, whylen, "socket: %s", strerror(errno));
		return -1;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (addr->sa_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only,
		    sizeof(v6only));
	if (bind(fd, addr, addrlen) == -1 || listen(fd, 128) == -1) {
		snprintf(why, whylen, "bind [%s]:%d: %s", text, port,
		    strerror(errno));
		close(fd);
		return -1;
	}
	*fdp = fd;
	return 0;
}

static int
bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		return -1;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

int
sock_listen_tcp(const char *host, int port, int gateway, int fds[2],
    size_t *nfds, int *boundp, char *why, size_t whylen)
{
	struct sockaddr_in a4;
	struct sockaddr_in6 a6;
	char why6[256];
	int loopback, wildcard;

	*nfds = 0;
	fds[0] = fds[1] = -1;
	if (port < 0 || port > 65535) {
		snprintf(why, whylen, "bad port %d", port);
		return -1;
	}
	wildcard = (host == NULL && gateway) || (host != NULL &&
	    (*host == '\0' || strcmp(host, "*") == 0));
	loopback = !wildcard && (host == NULL ||
	    strcmp(host, "localhost") == 0);
	memset(&a4, 0, sizeof(a4));
	memset(&a6, 0, sizeof(a6));
	a4.sin_family = AF_INET;
	a4.sin_port = htons((uint16_t)port);
	a6.sin6_family = AF_INET6;
	a6.sin6_port = htons((uint16_t)port);
	if (wildcard) {
		/* one dual-stack socket; IPv4 alone where IPv6 is off */
		a6.sin6_addr = in6addr_any;
		if (listen_tcp_one((struct sockaddr *)&a6, sizeof(a6), 0,
		    &fds[0], why6, sizeof(why6)) == -1) {
			a4.sin_addr.s_addr = htonl(INADDR_ANY);
			if (listen_tcp_one((struct sockaddr *)&a4, sizeof(a4), 0,
			    &fds[0], why, whylen) == -1)
				return -1;
		}
	} else if (loopback) {
		a4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (listen_tcp_one((struct sockaddr *)&a4, sizeof(a4), 0,
		    &fds[0], why, whylen) == -1)
			return -1;
		/* ::1 too, on the same port, where the host has IPv6 */
		a6.sin6_addr = in6addr_loopback;
		a6.sin6_port = htons((uint16_t)bound_port(fds[0]));
		if (listen_tcp_one((struct sockaddr *)&a6, sizeof(a6), 1,
		    &fds[1], why6, sizeof(why6)) == 0)
			*nfds = 1;
	} else if (inet_pton(AF_INET, host, &a4.sin_addr) == 1) {
		if (listen_tcp_one((struct sockaddr *)&a4, sizeof(a4), 0,
		    &fds[0], why, whylen) == -1)
			return -1;
	} else if (inet_pton(AF_INET6, host, &a6.sin6_addr) == 1) {
		if (listen_tcp_one((struct sockaddr *)&a6, sizeof(a6), 1,
		    &fds[0], why, whylen) == -1)
			return -1;
	} else {
		snprintf(why, whylen, "listen address \"%.100s\": give a "
		    "numeric address, localhost or *", host);
		return -1;
	}
	*nfds += 1;     /* fds[0], and fds[1] when ::1 is there too */
	*boundp = bound_port(fds[0]);
	return 0;
}
