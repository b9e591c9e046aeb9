/*
 * A direct connection (no daemon): resolve the destination and every
 * ProxyJump hop before it, reach the first hop by TCP or through its
 * ProxyCommand (ProxyUseFdpass too), and carry each later hop's
 * transport inside a direct-tcpip channel of the hop before it, all in
 * this process.  Every hop has its own host key policy, known_hosts,
 * algorithms and authentication, resolved as ssh resolves a jump host.
 * Shared by `sshbroker ping` and `sshbroker exec --direct`.  Internal to
 * src/broker.
 */
#ifndef SSHBROKER_BROKER_DIRECT_H
#define SSHBROKER_BROKER_DIRECT_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"

struct transport;
struct transport_event;
struct direct_hop;

struct login_ui;

#define DIRECT_RBUF 65536

struct direct {
	struct config_host host;
	const struct login_ui *ui;  /* messages and questions; NULL: tty */
	/* hops[0] is reached first; hops[n_hops - 1] is the destination */
	struct direct_hop *hops;
	size_t n_hops;
	/* the destination's, for the caller */
	struct config_result *res;
	struct transport *t;
	char *hostname, *port, *user;
	int batch;              /* BatchMode: never prompt */
	/* set by the caller before the first turn: the destination's
	 * TRANSPORT_EV_READY goes to on_event and nobody logs in there
	 * (`ping`); jump hops still log in, to reach it */
	int kex_only;
	/* a host key question waiting for its answer */
	struct direct_hop *hostkey_pending;
	/* changes whenever the fd direct_want() gives is another one, even
	 * with the same number (an fd closed and reused) */
	unsigned int fd_generation;
	/* input read from hops[0]'s socket, not yet taken by its transport */
	unsigned char *rbuf;    /* DIRECT_RBUF bytes, made on first read */
	size_t roff, rlen;
};

/* Resolves argv (ssh-style) and the jump hops, connects the first hop
 * and starts every transport.  0, or 255 with the reason said through ui
 * (NULL: stderr). */
int direct_open(struct direct *d, int argc, char **argv,
    const struct login_ui *ui);
/* direct_open() in two steps: the first may block (it reads files and
 * may run Match exec) and may run on a worker thread; the second starts
 * connecting without blocking.  Either way, direct_close() after. */
int direct_resolve(struct direct *d, int argc, char **argv,
    const struct login_ui *ui);
int direct_start(struct direct *d);
/* Closes everything; a ProxyCommand is stopped and reaped. */
void direct_close(struct direct *d);
/*
 * For the daemon, which pools jump hosts: turns a resolved chain into
 * its destination alone, whose bytes the caller carries (through a
 * direct-tcpip channel of its own connection to the nearest jump host:
 * transport_input/transport_output on d->t), and gives the arguments
 * that resolve that jump host as ssh would (*argvp, caller frees each
 * and the array).  1 when detached, 0 when there was no jump, -1 when
 * out of memory.  direct_link_up() says the carrying channel is open
 * (ConnectTimeout runs from then until the server's version line).
 */
int direct_detach_jump(struct direct *d, char ***argvp, size_t *argcp);
void direct_link_up(struct direct *d);
/* The answer to the question left pending when the ui's ask() returned
 * LOGIN_ASK_PENDING (NULL: none given).  1 when one was pending, 0 when
 * none, -1 when the transport failed (the next step says why). */
int direct_answer(struct direct *d, const char *answer);
/* The daemon's keepalive for hops whose ssh_config sets no
 * ServerAliveInterval: fn fills interval (0: none) and count.  fn may
 * run on a worker thread.  NULL: none (direct mode). */
void direct_set_keepalive_default(void (*fn)(void *ctx,
    const char *destination, uint32_t *interval, uint32_t *count),
    void *ctx);
/* How long a ProxyCommand has to exit on SIGTERM when its connection
 * ends, before SIGKILL. */
#define DIRECT_CHILD_GRACE_MS 500
/* Where ProxyCommand children go when their connection ends: fn must see
 * each one ended and reaped, with proxy_child_kill_free(c,
 * DIRECT_CHILD_GRACE_MS) where blocking is fine (the daemon's worker).
 * fn may run on a worker thread.  NULL: reaped at once, in place
 * (direct mode). */
struct proxy_child;
void direct_set_child_disposer(void (*fn)(void *ctx, struct proxy_child *c),
    void *ctx);
/* The pool's key for a resolved connection: user, host, port, host key
 * alias of every hop and the first hop's ProxyCommand; caller frees. */
char *direct_key(const struct direct *d);
/* The jump hops as written, comma-separated ("" when none); caller frees. */
char *direct_chain(const struct direct *d);
/* The destination's resolved value of an ssh -G keyword; caller frees. */
char *direct_cfg(const struct direct *d, const char *keyword);

/*
 * One turn: moves bytes between the socket, the hops and the transports
 * (waiting at most timeout_ms), authenticates every hop, answers host key
 * questions and records learned keys, then hands the destination's
 * other events (from TRANSPORT_EV_AUTHENTICATED on) to on_event, which
 * returns 0 to go on, 1 to end the turn at once, -1 to fail.  extra and
 * n_extra let the caller poll its own fds in the same turn; their revents
 * are filled in.  Returns 0, 1 when on_event asked to stop, or -1 once a
 * transport is dead (the reason printed, naming the hop) or on_event
 * failed.
 */
struct pollfd;
int direct_turn(struct direct *d, int timeout_ms,
    int (*on_event)(void *ctx, const struct transport_event *ev), void *ctx,
    struct pollfd *extra, size_t n_extra);

/*
 * The same for an event loop: which fd to watch and for what (poll
 * events; the fd changes while the first hop connects), the time by
 * which direct_step() must run even without I/O (UINT64_MAX: none), and
 * the step itself, given the fd's revents (0 when only time passed).
 */
void direct_want(const struct direct *d, int *fdp, short *eventsp);
uint64_t direct_deadline(const struct direct *d);
int direct_step(struct direct *d, short revents,
    int (*on_event)(void *ctx, const struct transport_event *ev), void *ctx);

#endif
