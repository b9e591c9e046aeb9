/*
 * ProxyUseFdpass: the ProxyCommand connects and hands the socket back over
 * its stdout with SCM_RIGHTS, then exits (OpenSSH's
 * ssh_proxy_fdpass_connect() and mm_receive_fd(); `nc -F` is such a
 * command).  The fd comes with one byte of data, because a stream socket
 * carries no ancillary data without some.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "proxy/proxy.h"

/*
 * Room for as many fds as one message can carry on Linux (SCM_MAX_FD):
 * a peer sending more than the one we want must not have the extra ones
 * dropped in the kernel unseen; we take them, and close them.
 */
#define FDPASS_MAX_FDS 253

static void
fdpass_close_all(const int *fds, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		(void)close(fds[i]);
}

int
proxy_recv_fd(int sock, int *fdp)
{
	union {
		struct cmsghdr align;
		char bytes[CMSG_SPACE(sizeof(int) * FDPASS_MAX_FDS)];
	} control;
	struct msghdr msg;
	struct cmsghdr *cmsg;
	struct iovec iov;
	char byte;
	int fds[FDPASS_MAX_FDS], saved_errno, r = ERR_INTERNAL;
	size_t nfds = 0, i, count;
	ssize_t n;

	if (fdp != NULL)
		*fdp = -1;
	if (sock < 0 || fdp == NULL)
		return ERR_INVALID_ARGUMENT;

	memset(&msg, 0, sizeof(msg));
	memset(&control, 0, sizeof(control));
	iov.iov_base = &byte;
	iov.iov_len = 1;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = control.bytes;
	msg.msg_controllen = sizeof(control.bytes);
	/* MSG_CMSG_CLOEXEC: no window in which another thread's fork and
	 * exec could inherit the fd. */
	do {
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	} while (n == -1 && errno == EINTR);
	if (n == -1)
		return errno == EAGAIN || errno == EWOULDBLOCK ? ERR_AGAIN :
		    ERR_SYSTEM;

	/* Collect every fd that arrived, whatever else is wrong. */
	for (cmsg = CMSG_FIRSTHDR(&msg); cmsg != NULL;
	    cmsg = CMSG_NXTHDR(&msg, cmsg)) {
		if (cmsg->cmsg_level != SOL_SOCKET ||
		    cmsg->cmsg_type != SCM_RIGHTS ||
		    cmsg->cmsg_len < CMSG_LEN(0))
			continue;
		count = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < count && nfds < FDPASS_MAX_FDS; i++)
			memcpy(&fds[nfds++], CMSG_DATA(cmsg) + i * sizeof(int),
			    sizeof(int));
	}

	if (n == 0 && nfds == 0) {
		/* The dialer exited (or failed) without passing one. */
		r = ERR_DISCONNECTED;
		goto out;
	}
	/* As mm_receive_fd(): one byte, exactly one descriptor. */
	if (n != 1 || nfds != 1 || (msg.msg_flags & MSG_CTRUNC) != 0) {
		r = ERR_PROTOCOL;
		goto out;
	}
	*fdp = fds[0];
	nfds = 0;
	r = ERR_OK;

 out:
	saved_errno = errno;
	fdpass_close_all(fds, nfds);
	errno = saved_errno;
	return r;
}

int
proxy_fdpass_receive(int sock, int *fdp)
{
	int r = proxy_recv_fd(sock, fdp), flags;

	if (r != ERR_OK)
		return r;
	/* O_NONBLOCK lives in the open file, so the dialer's copy sees it
	 * too; harmless, the dialer's work is done once it has passed it. */
	if ((flags = fcntl(*fdp, F_GETFL)) == -1 ||
	    fcntl(*fdp, F_SETFL, flags | O_NONBLOCK) == -1) {
		int saved_errno = errno;

		(void)close(*fdp);
		*fdp = -1;
		errno = saved_errno;
		return ERR_SYSTEM;
	}
	return ERR_OK;
}
