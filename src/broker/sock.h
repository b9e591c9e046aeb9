/*
 * The broker's Unix sockets: the per-user control socket and its
 * directory, the one-daemon lock, ControlPath sockets, and the peer
 * check every accepted connection goes through before a byte is read.
 * Internal to src/broker.
 */
#ifndef SSHBROKER_BROKER_SOCK_H
#define SSHBROKER_BROKER_SOCK_H

#include <stddef.h>

/*
 * The control socket's path: $SSHBROKER_SOCKET when set, else
 * $XDG_RUNTIME_DIR/sshbroker/control, else /tmp/sshbroker-UID/control.
 * ERR_OK, or ERR_TOO_LONG when it would not fit a sockaddr_un.
 */
int sock_control_path(char *buf, size_t len);

/*
 * Makes the directory of path ours alone: created 0700 if missing; an
 * existing one must be a real directory (not a symlink), owned by us,
 * with no access for group or others (refused otherwise, as OpenSSH
 * refuses a ControlPath directory others can write).  ERR_OK or
 * ERR_PERMISSION / ERR_SYSTEM with a one-line reason in why.
 */
int sock_private_dir(const char *path, char *why, size_t whylen);

/*
 * Takes the one-daemon-per-user lock (an flock on "lock" next to the
 * control socket), non-blocking.  ERR_OK with *fdp (kept open while the
 * daemon lives), ERR_AGAIN when another daemon holds it.
 */
int sock_lock(const char *control_path, int *fdp);

/*
 * Listens on path, mode 0600, without races: bound under a temporary
 * name in the same directory and linked into place, so that a live
 * socket is never replaced.  replace_stale: a socket already at path
 * that nobody answers on is removed first (the control socket of a
 * daemon that died); a live one gives ERR_AGAIN.  Non-blocking,
 * close-on-exec.
 */
int sock_listen(const char *path, int replace_stale, int *fdp,
    char *why, size_t whylen);

/* Connects to the Unix socket at path.  ERR_OK with *fdp (blocking,
 * close-on-exec), ERR_NOT_FOUND when nobody listens there. */
int sock_connect(const char *path, int *fdp);

/* 1 when the peer of the connected Unix socket fd runs as our uid
 * (SO_PEERCRED); *pidp gets its pid when known (else 0). */
int sock_peer_is_us(int fd, int *pidp);

/*
 * SCM_RIGHTS, one fd per message with one byte of data, as PROTOCOL.mux
 * passes them.  sock_recv_fd: ERR_OK with *fdp (close-on-exec),
 * ERR_AGAIN on a non-blocking socket with nothing yet, ERR_DISCONNECTED,
 * or ERR_PROTOCOL when the message carried no fd (or several: all are
 * closed).
 */
int sock_send_fd(int sock, int fd);
int sock_recv_fd(int sock, int *fdp);

/*
 * TCP listeners for a forwarding (-L, -D), as ssh binds them: host NULL
 * is the loopback addresses (127.0.0.1 and ::1), or every address when
 * gateway is set (GatewayPorts); "" and "*" are every address;
 * "localhost" is the loopback ones; anything else must be a numeric
 * address (a name would mean a lookup on the daemon's loop).  port 0
 * takes one the system picks, the same on both loopback addresses.
 * Non-blocking, close-on-exec, SO_REUSEADDR as ssh sets it.  Returns 0
 * with 1 or 2 fds in fds[], *nfds and the port in *boundp; -1 with why.
 */
int sock_listen_tcp(const char *host, int port, int gateway, int fds[2],
    size_t *nfds, int *boundp, char *why, size_t whylen);

#endif
