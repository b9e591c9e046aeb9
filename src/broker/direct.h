/*
 * A direct connection (no daemon): resolve the destination, connect by
 * TCP, and run a transport with the host key policy and algorithms the
 * resolved configuration asks for.  Shared by `sshbroker ping` and
 * `sshbroker exec --direct`.  Internal to src/broker.
 */
#ifndef SSHBROKER_BROKER_DIRECT_H
#define SSHBROKER_BROKER_DIRECT_H

#include <stddef.h>

#include "config/config.h"

struct transport;
struct known_hosts;
struct transport_event;

struct direct {
	struct config_host host;
	struct config_result *res;
	struct transport *t;
	struct known_hosts *kh;
	int fd;
	char *hostname, *port, *user;
	char *names[2];         /* names the host key is looked up under */
	char *record_to;        /* where a new host key is recorded */
	int batch;              /* BatchMode: never prompt */
	/* input not yet taken by the transport */
	unsigned char rbuf[65536];
	size_t roff, rlen;
};

/* Resolves argv (ssh-style), connects and starts the transport.  0, or
 * 255 with the reason already on stderr. */
int direct_open(struct direct *d, int argc, char **argv);
void direct_close(struct direct *d);
/* The resolved value of an ssh -G keyword; caller frees. */
char *direct_cfg(const struct direct *d, const char *keyword);

/*
 * One turn: moves bytes between the socket and the transport (waiting at
 * most timeout_ms), then hands each event to on_event, after answering
 * host key questions and recording learned keys itself.  on_event
 * returns 0 to go on, 1 to end the turn at once, -1 to fail.  extra and
 * n_extra let the caller poll its own fds in the same turn; their revents
 * are filled in.  Returns 0, 1 when on_event asked to stop, or -1 once the
 * transport is dead (the reason printed) or on_event failed.
 */
struct pollfd;
int direct_turn(struct direct *d, int timeout_ms,
    int (*on_event)(void *ctx, const struct transport_event *ev), void *ctx,
    struct pollfd *extra, size_t n_extra);

#endif
