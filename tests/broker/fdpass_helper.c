/*
 * A ProxyCommand for ProxyUseFdpass tests (tests/broker/run-proxy.sh):
 *
 *   fdpass_helper HOST PORT
 *
 * connects to HOST:PORT by TCP and hands the connected socket to its
 * parent over stdout, which must be a unix socket (the client's end of
 * the socketpair), as one SCM_RIGHTS message carrying one data byte, the
 * way OpenSSH's ProxyUseFdpass expects it.  Exits 0 once the descriptor
 * is sent, 1 (with a message on stderr) when anything fails.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int
connect_to(const char *host, const char *port)
{
	struct addrinfo hints, *res, *ai;
	int fd = -1, rc, err = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0) {
		fprintf(stderr, "fdpass_helper: %s: %s\n", host,
		    gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd == -1) {
			err = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		err = errno;
		close(fd);
		fd = -1;
	}
	if (fd == -1)
		fprintf(stderr, "fdpass_helper: connect to %s port %s: %s\n",
		    host, port, strerror(err));
	freeaddrinfo(res);
	return fd;
}

static int
send_fd(int sock, int fd)
{
	struct msghdr msg;
	struct iovec iov;
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int))];
	} cmsgbuf;
	struct cmsghdr *cmsg;
	char byte = 0;
	ssize_t n;

	memset(&msg, 0, sizeof(msg));
	memset(&cmsgbuf, 0, sizeof(cmsgbuf));
	iov.iov_base = &byte;
	iov.iov_len = 1;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cmsgbuf.buf;
	msg.msg_controllen = sizeof(cmsgbuf.buf);
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	do
		n = sendmsg(sock, &msg, 0);
	while (n == -1 && errno == EINTR);
	if (n != 1) {
		fprintf(stderr, "fdpass_helper: sendmsg on stdout: %s\n",
		    n == -1 ? strerror(errno) : "short write");
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: fdpass_helper host port\n");
		return 1;
	}
	fd = connect_to(argv[1], argv[2]);
	if (fd == -1)
		return 1;
	if (send_fd(STDOUT_FILENO, fd) == -1)
		return 1;
	close(fd);
	return 0;
}
