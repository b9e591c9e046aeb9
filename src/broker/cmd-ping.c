/*
 * `sshbroker ping [ssh options] destination`: resolves the destination,
 * connects, runs the key exchange and verifies the host key as ssh would,
 * and reports what was negotiated and how long it took.
 */
#include "config.h"

#include <stdio.h>
#include <time.h>

#include "broker/broker.h"
#include "broker/direct.h"
#include "common/err.h"
#include "transport/transport.h"

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int
on_ready(void *ctx, const struct transport_event *ev)
{
	if (ev->type != TRANSPORT_EV_READY)
		return 0;
	*(int *)ctx = 1;
	return 1;
}

int
cmd_ping(int argc, char **argv)
{
	struct direct d;
	struct transport *t;
	uint64_t start = now_ms();
	int ready = 0, status = 255;

	if (direct_open(&d, argc, argv, NULL) != 0)
		goto done;
	d.kex_only = 1;
	while (!ready) {
		if (direct_turn(&d, 1000, on_ready, &ready, NULL, 0) < 0)
			goto done;
	}
	t = d.t;
	printf("%s port %s: %s, %s host key, %s, %s%s%s, %llu ms\n", d.hostname,
	    d.port, transport_negotiated(t, "kex"),
	    transport_negotiated(t, "hostkey"),
	    transport_negotiated(t, "cipher_ctos"),
	    transport_negotiated(t, "mac_ctos") != NULL ?
	    transport_negotiated(t, "mac_ctos") : "",
	    transport_negotiated(t, "mac_ctos") != NULL ? ", " : "",
	    transport_strict_kex(t) ? "strict kex" : "no strict kex",
	    (unsigned long long)(now_ms() - start));
	status = 0;
 done:
	direct_close(&d);
	return status;
}
