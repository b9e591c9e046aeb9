/*
 * The event loop and the worker pool against real fds, signals, children
 * and threads.  Every wait is bounded (run_until) and the only timing
 * assert is a loose upper bound, so a slow machine or valgrind fails
 * nothing but the test's patience.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "common/loop.h"

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* Turns until *counter reaches want or limit_ms passes. */
static void
run_until(struct loop *l, const int *counter, int want, int limit_ms)
{
	uint64_t end = mono_ms() + (uint64_t)limit_ms;

	while (*counter < want && mono_ms() < end)
		ck_assert_int_eq(loop_run_once(l, 50), ERR_OK);
}

static void
nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	ck_assert_int_ne(fl, -1);
	ck_assert_int_eq(fcntl(fd, F_SETFL, fl | O_NONBLOCK), 0);
}

static void
make_pipe(int p[2])
{
	ck_assert_int_eq(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
}

static void
make_socketpair(int sv[2])
{
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
	    0);
	nonblock(sv[0]);
	nonblock(sv[1]);
}

static void
put(int fd, const char *s)
{
	ck_assert_int_eq(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

/* ---- fds */

struct fdrec {
	int calls;
	unsigned int last;
	unsigned int all;        /* OR of every delivery */
	int fd;
	int drain;               /* read what is there */
	struct loop_fd *h;
	int del_self;
};

static void
fdrec_cb(void *ctx, unsigned int events)
{
	struct fdrec *r = ctx;
	char buf[64];

	r->calls++;
	r->last = events;
	r->all |= events;
	if (r->drain && (events & LOOP_IN))
		while (read(r->fd, buf, sizeof(buf)) > 0)
			;
	if (r->del_self) {
		loop_fd_del(r->h);
		r->h = NULL;
	}
}

START_TEST(test_fd_readiness)
{
	struct loop *l = NULL;
	struct fdrec w = { 0 }, rd = { 0 };
	int sv[2];

	ck_assert_int_eq(loop_new(&l), ERR_OK);
	make_socketpair(sv);
	w.fd = sv[0];
	rd.fd = sv[1];
	rd.drain = 1;
	ck_assert_int_eq(loop_fd_add(l, sv[0], LOOP_OUT, fdrec_cb, &w, &w.h),
	    ERR_OK);
	ck_assert_int_eq(loop_fd_add(l, sv[1], LOOP_IN, fdrec_cb, &rd, &rd.h),
	    ERR_OK);

	/* writable at once; nothing to read yet */
	ck_assert_int_eq(loop_run_once(l, 1000), ERR_OK);
	ck_assert_int_eq(w.calls, 1);
	ck_assert_uint_eq(w.last, LOOP_OUT);
	ck_assert_int_eq(rd.calls, 0);

	/* level-triggered: still writable next turn */
	ck_assert_int_eq(loop_run_once(l, 1000), ERR_OK);
	ck_assert_int_eq(w.calls, 2);
	ck_assert_int_eq(loop_fd_set_events(w.h, LOOP_IN), ERR_OK);

	put(sv[0], "hello");
	run_until(l, &rd.calls, 1, 2000);
	ck_assert_int_eq(rd.calls, 1);
	ck_assert_uint_eq(rd.last, LOOP_IN);
	ck_assert_int_eq(w.calls, 2);

	/* drained: quiet */
	ck_assert_int_eq(loop_run_once(l, 20), ERR_OK);
	ck_assert_int_eq(rd.calls, 1);

	/* the other way */
	put(sv[1], "back");
	w.drain = 1;
	run_until(l, &w.calls, 3, 2000);
	ck_assert_int_eq(w.calls, 3);
	ck_assert_uint_eq(w.last, LOOP_IN);

	/* bad arguments, and one handle per fd */
	{
		struct loop_fd *h = (struct loop_fd *)&w;

		ck_assert_int_eq(loop_fd_add(l, -1, LOOP_IN, fdrec_cb, &w, &h),
		    ERR_INVALID_ARGUMENT);
		ck_assert_ptr_null(h);
		ck_assert_int_eq(loop_fd_add(l, sv[0], 8, fdrec_cb, &w, &h),
		    ERR_INVALID_ARGUMENT);
		ck_assert_int_eq(loop_fd_add(l, sv[0], LOOP_IN, fdrec_cb, &w,
		    &h), ERR_SYSTEM);
		ck_assert_int_eq(errno, EEXIST);
		ck_assert_ptr_null(h);
		ck_assert_int_eq(loop_fd_set_events(w.h, 8),
		    ERR_INVALID_ARGUMENT);
	}

	loop_fd_del(w.h);
	loop_fd_del(rd.h);
	loop_fd_del(NULL);
	loop_free(l);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

START_TEST(test_fd_events_zero)
{
	struct loop *l = NULL;
	struct fdrec rd = { 0 };
	uint64_t t0;
	int sv[2];

	ck_assert_int_eq(loop_new(&l), ERR_OK);
	make_socketpair(sv);
	rd.fd = sv[1];
	ck_assert_int_eq(loop_fd_add(l, sv[1], LOOP_IN, fdrec_cb, &rd, &rd.h),
	    ERR_OK);
	put(sv[0], "data");
	run_until(l, &rd.calls, 1, 2000);
	ck_assert_int_eq(rd.calls, 1);

	/* unread data, but no interest: nothing */
	ck_assert_int_eq(loop_fd_set_events(rd.h, 0), ERR_OK);
	ck_assert_int_eq(loop_run_once(l, 50), ERR_OK);
	ck_assert_int_eq(loop_run_once(l, 0), ERR_OK);
	ck_assert_int_eq(rd.calls, 1);

	/* a hangup while paused is not reported either: an idle loop
	 * sleeps its full time instead of spinning */
	close(sv[0]);
	t0 = mono_ms();
	ck_assert_int_eq(loop_run_once(l, 100), ERR_OK);
	ck_assert_int_eq(rd.calls, 1);
	ck_assert_uint_ge(mono_ms() - t0, 50);

	/* interest back: the data and the hangup */
	ck_assert_int_eq(loop_fd_set_events(rd.h, LOOP_IN), ERR_OK);
	ck_assert_int_eq(loop_run_once(l, 1000), ERR_OK);
	ck_assert_int_eq(rd.calls, 2);
	ck_assert_uint_eq(rd.last, LOOP_IN | LOOP_ERR);

	/* a handle added idle */
	loop_fd_del(rd.h);
	rd.calls = 0;
	ck_assert_int_eq(loop_fd_add(l, sv[1], 0, fdrec_cb, &rd, &rd.h),
	    ERR_OK);
	ck_assert_int_eq(loop_run_once(l, 20), ERR_OK);
	ck_assert_int_eq(rd.calls, 0);
	/* errors only */
	ck_assert_int_eq(loop_fd_set_events(rd.h, LOOP_ERR), ERR_OK);
	ck_assert_int_eq(loop_run_once(l, 1000), ERR_OK);
	ck_assert_int_eq(rd.calls, 1);
	ck_assert_uint_eq(rd.last, LOOP_ERR);

	loop_fd_del(rd.h);
	loop_free(l);
	close(sv[1]);
}
END_TEST

START_TEST(test_fd_del_self)
{
	struct loop *l = NULL;
	struct fdrec rd = { 0 };
	int p[2], i;

	ck_assert_int_eq(loop_new(&l), ERR_OK);
	make_pipe(p);
	put(p[1], "stays unread");
	rd.del_self = 1;
	ck_assert_int_eq(loop_fd_add(l, p[0], LOOP_IN, fdrec_cb, &rd, &rd.h),
	    ERR_OK);
	run_until(l, &rd.calls, 1, 2000);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(loop_run_once(l, 10), ERR_OK);
	ck_assert_int_eq(rd.calls, 1);
	ck_assert_ptr_null(rd.h);
	/* the fd is still open and readable: the loop did not close it */
	{
		char c;

		ck_assert_int_eq(read(p[0], &c, 1), 1);
	}
	loop_free(l);
	close(p[0]);
	close(p[1]);
}
END_TEST

/* Two handles ready in one batch; whichever runs first deletes the
 * other, closes its fd and reuses the number for a new pipe. */
struct pair {
	struct loop *l;
	struct loop_fd *h[2];
	int fd[2];
	int calls[2];
	int nested;              /* run a nested turn after deleting */
	int newp[2];
	struct fdrec fresh;
};

static void
pair_cb(int me, struct pair *pr)
{
	int other = 1 - me;
	char buf[8];

	pr->calls[me]++;
	/* drained, so later turns (a nested one too) do not call it again */
	while (read(pr->fd[me], buf, sizeof(buf)) > 0)
		;
	if (pr->h[other] == NULL)
		return;
	loop_fd_del(pr->h[other]);
	pr->h[other] = NULL;
	close(pr->fd[other]);
	make_pipe(pr->newp);
	put(pr->newp[1], "new");
	ck_assert_int_eq(loop_fd_add(pr->l, pr->newp[0], LOOP_IN, fdrec_cb,
	    &pr->fresh, &pr->fresh.h), ERR_OK);
	if (pr->nested)
		ck_assert_int_eq(loop_run_once(pr->l, 0), ERR_OK);
}

static void
pair_cb0(void *ctx, unsigned int events)
{
	pair_cb(0, ctx);
}

static void
pair_cb1(void *ctx, unsigned int events)
{
	pair_cb(1, ctx);
}

static void
check_del_other(int nested)
{
	struct pair pr;
	int p0[2], p1[2], stale;

	memset(&pr, 0, sizeof(pr));
	pr.nested = nested;
	ck_assert_int_eq(loop_new(&pr.l), ERR_OK);
	make_pipe(p0);
	make_pipe(p1);
	put(p0[1], "a");
	put(p1[1], "b");
	pr.fd[0] = p0[0];
	pr.fd[1] = p1[0];
	pr.fresh.drain = 1;
	ck_assert_int_eq(loop_fd_add(pr.l, p0[0], LOOP_IN, pair_cb0, &pr,
	    &pr.h[0]), ERR_OK);
	ck_assert_int_eq(loop_fd_add(pr.l, p1[0], LOOP_IN, pair_cb1, &pr,
	    &pr.h[1]), ERR_OK);

	ck_assert_int_eq(loop_run_once(pr.l, 1000), ERR_OK);
	/* both were in the batch; the deleted one was not called */
	ck_assert_int_eq(pr.calls[0] + pr.calls[1], 1);
	stale = pr.calls[0] == 1 ? 1 : 0;
	/* the new handle probably got the deleted fd's number; the stale
	 * event of the old handle did not reach it (a nested turn may have
	 * delivered its own event, once) */
	ck_assert_int_le(pr.fresh.calls, nested ? 1 : 0);
	pr.fresh.fd = pr.newp[0];
	run_until(pr.l, &pr.fresh.calls, 1, 2000);
	ck_assert_int_eq(pr.fresh.calls, 1);
	ck_assert_int_eq(pr.calls[0] + pr.calls[1], 1);

	loop_fd_del(pr.h[1 - stale]);
	loop_fd_del(pr.fresh.h);
	loop_free(pr.l);
	close(pr.fd[1 - stale]);
	close(p0[1]);
	close(p1[1]);
	close(pr.newp[0]);
	close(pr.newp[1]);
}

START_TEST(test_fd_del_other_same_batch)
{
	check_del_other(0);
}
END_TEST

START_TEST(test_fd_del_other_nested_turn)
{
	check_del_other(1);
}
END_TEST

START_TEST(test_fd_hangup)
{
	struct loop *l = NULL;
	struct fdrec a = { 0 }, b = { 0 }, c = { 0 };
	int p[2], q[2], sv[2];

	ck_assert_int_eq(loop_new(&l), ERR_OK);

	/* a pipe's reader after the writer closed: EPOLLHUP */
	make_pipe(p);
	close(p[1]);
	ck_assert_int_eq(loop_fd_add(l, p[0], LOOP_IN, fdrec_cb, &a, &a.h),
	    ERR_OK);
	/* a pipe's writer after the reader closed: EPOLLERR */
	make_pipe(q);
	close(q[0]);
	ck_assert_int_eq(loop_fd_add(l, q[1], LOOP_IN, fdrec_cb, &b, &b.h),
	    ERR_OK);
	run_until(l, &a.calls, 1, 2000);
	run_until(l, &b.calls, 1, 2000);
	ck_assert(a.all & LOOP_ERR);
	ck_assert(b.all & LOOP_ERR);
	ck_assert_uint_eq(b.last, LOOP_ERR);   /* no LOOP_IN on a writer */
	loop_fd_del(a.h);
	loop_fd_del(b.h);

	/* a socket whose peer shut down writing: EOF, not an error */
	make_socketpair(sv);
	c.fd = sv[1];
	ck_assert_int_eq(shutdown(sv[0], SHUT_WR), 0);
	ck_assert_int_eq(loop_fd_add(l, sv[1], LOOP_IN, fdrec_cb, &c, &c.h),
	    ERR_OK);
	run_until(l, &c.calls, 1, 2000);
	ck_assert_uint_eq(c.last, LOOP_IN);
	/* and once the peer is gone altogether: an error */
	close(sv[0]);
	c.calls = 0;
	c.all = 0;
	run_until(l, &c.calls, 1, 2000);
	ck_assert(c.all & LOOP_ERR);

	loop_fd_del(c.h);
	loop_free(l);
	close(p[0]);
	close(q[1]);
	close(sv[1]);
}
END_TEST

/* ---- timers */

struct order {
	int ids[16];
	int n;
};

struct tick {
	struct order *o;
	int id;
	struct loop_timer *t;
};

static void
tick_cb(void *ctx)
{
	struct tick *k = ctx;

	/* the loop cleared the owner's slot before calling */
	ck_assert_ptr_null(k->t);
	k->o->ids[k->o->n++] = k->id;
}

START_TEST(test_timer_order)
{
	struct loop *l = NULL;
	struct order o = { { 0 }, 0 };
	struct tick k[5];
	/* deadlines (ms from now) and the expected firing order */
	static const unsigned int at[5] = { 30, 10, 20, 10, 0 };
	static const int want[5] = { 4, 1, 3, 2, 0 };
	uint64_t now;
	int i;

	ck_assert_int_eq(loop_new(&l), ERR_OK);
	now = loop_now_ms(l);
	for (i = 0; i < 5; i++) {
		k[i].o = &o;
		k[i].id = i;
		k[i].t = NULL;
		ck_assert_int_eq(loop_timer_add(l, now + at[i], tick_cb, &k[i],
		    &k[i].t), ERR_OK);
		ck_assert_ptr_nonnull(k[i].t);
	}
	run_until(l, &o.n, 5, 3000);
	ck_assert_int_eq(o.n, 5);
	for (i = 0; i < 5; i++) {
		ck_assert_int_eq(o.ids[i], want[i]);
		ck_assert_ptr_null(k[i].t);
	}
	/* not early: the last is 30 ms out */
	ck_assert_uint_ge(loop_now_ms(l), now + 30);
	loop_free(l);
}
END_TEST

struct canceller {
	struct loop_timer **victim;
	int calls;
};

static void
canceller_cb(void *ctx)
{
	struct canceller *c = ctx;

	c->calls++;
	loop_timer_cancel(c->victim);
}

START_TEST(test_timer_cancel)
{
	struct loop *l = NULL;
	struct order o = { { 0 }, 0 };
	struct tick a = { &o, 1, NULL }, b = { &o, 2, NULL }, c = { &o, 3, NULL };
	struct canceller cn = { &c.t, 0 };
	struct loop_timer *ct = NULL;
	uint64_t now;

	ck_assert_int_eq(loop_new(&l), ERR_OK);
	now = loop_now_ms(l);
	ck_assert_int_eq(loop_timer_add(l, now + 10, tick_cb, &a, &a.t), ERR_OK);
	ck_assert_int_eq(loop_timer_add(l, now + 20, tick_cb, &b, &b.t), ERR_OK);
	/* a slot that holds a pending timer is refused */
	ck_assert_int_eq(loop_timer_add(l, now, tick_cb, &b, &b.t),
	    ERR_INVALID_ARGUMENT);
	/* same deadline: the canceller runs first and c never does */
	ck_assert_int_eq(loop_timer_add(l, now + 5, canceller_cb, &cn, &ct),
	    ERR_OK);
	ck_assert_int_eq(loop_timer_add(l, now + 5, tick_cb, &c, &c.t), ERR_OK);

	loop_timer_cancel(&a.t);
	ck_assert_ptr_null(a.t);
	loop_timer_cancel(&a.t);       /* twice: harmless */
	loop_timer_cancel(NULL);

	run_until(l, &o.n, 1, 2000);
	ck_assert_int_eq(o.n, 1);
	ck_assert_int_eq(o.ids[0], 2);
	ck_assert_int_eq(cn.calls, 1);
	ck_assert_ptr_null(c.t);
	ck_assert_ptr_null(ct);
	/* cancelling after it fired is a no-op: the slot is NULL */
	ck_assert_ptr_null(b.t);
	loop_timer_cancel(&b.t);
	ck_assert_int_eq(loop_run_once(l, 30), ERR_OK);
	ck_assert_int_eq(o.n, 1);

	/* a pending timer at loop_free: slot cleared, callback not run */
	ck_assert_int_eq(loop_timer_add(l, now + 60000, tick_cb, &a, &a.t),
	    ERR_OK);
	ck_assert_int_eq(loop_timer_add(l, now + 60000, tick_cb, &b, NULL),
	    ERR_OK);
	loop_free(l);
	ck_assert_ptr_null(a.t);
	ck_assert_int_eq(o.n, 1);
}
END_TEST

#define NHEAP 10000

struct heapt {
	uint64_t when;
	int fired;
	struct loop_timer *t;
};

struct heaprun {
	struct heapt t[NHEAP];
	int last;                /* index of the last fired, -1 */
	int fired;
	int bad;                 /* order violations */
};

static struct heaprun *heap_run;

static void
heap_cb(void *ctx)
{
	struct heapt *h = ctx;
	struct heaprun *hr = heap_run;
	int i = (int)(h - hr->t);

	if (hr->last >= 0) {
		struct heapt *p = &hr->t[hr->last];

		/* (when, order added) strictly increasing */
		if (p->when > h->when || (p->when == h->when && hr->last > i))
			hr->bad++;
	}
	h->fired++;
	hr->last = i;
	hr->fired++;
}

START_TEST(test_timer_heap_10000)
{
	struct loop *l = NULL;
	struct heaprun *hr;
	uint32_t x = 12345;
	uint64_t now;
	int i, cancelled = 0;

	ck_assert_ptr_nonnull(hr = calloc(1, sizeof(*hr)));
	heap_run = hr;
	hr->last = -1;
	ck_assert_int_eq(loop_new(&l), ERR_OK);
	now = loop_now_ms(l);
	for (i = 0; i < NHEAP; i++) {
		x = x * 1103515245u + 12345u;
		/* 0..99 ms out: many equal deadlines */
		hr->t[i].when = now + (x >> 16) % 100;
		ck_assert_int_eq(loop_timer_add(l, hr->t[i].when, heap_cb,
		    &hr->t[i], &hr->t[i].t), ERR_OK);
	}
	/* cancel every seventh, from the middle of the heap */
	for (i = 0; i < NHEAP; i += 7) {
		loop_timer_cancel(&hr->t[i].t);
		cancelled++;
	}
	run_until(l, &hr->fired, NHEAP - cancelled, 4000);
	ck_assert_int_eq(hr->fired, NHEAP - cancelled);
	ck_assert_int_eq(hr->bad, 0);
	for (i = 0; i < NHEAP; i++) {
		ck_assert_int_eq(hr->t[i].fired, i % 7 == 0 ? 0 : 1);
		ck_assert_ptr_null(hr->t[i].t);
	}
	loop_free(l);
	free(hr);
}
END_TEST

/* A timer that re-arms itself for "now" next to an fd that is always
 * readable: one firing per turn, and the fd is served every turn. */
struct rearm {
	struct loop *l;
	struct loop_timer *t;
	int fired;
};

static void
rearm_cb(void *ctx)
{
	struct rearm *r = ctx;

	r->fired++;
	ck_assert_int_eq(loop_timer_add(r->l, loop_now_ms(r->l), rearm_cb, r,
	    &r->t), ERR_OK);
}

START_TEST(test_timer_added_from_callback)
{
	struct loop *l = NULL;
	struct rearm r = { NULL, NULL, 0 };
	struct fdrec rd = { 0 };
	int p[2], i;

	ck_assert_int_eq(loop_new(&l), ERR_OK);
	r.l = l;
	make_pipe(p);
	put(p[1], "never read");
	ck_assert_int_eq(loop_fd_add(l, p[0], LOOP_IN, fdrec_cb, &rd, &rd.h),
	    ERR_OK);
	ck_assert_int_eq(loop_timer_add(l, loop_now_ms(l), rearm_cb, &r,
	    &r.t), ERR_OK);
	for (i = 1; i <= 5; i++) {
		/* a timer due now means the turn does not sleep: the bound
		 * would show as a 10 s test, not as a failure */
		ck_assert_int_eq(loop_run_once(l, 10000), ERR_OK);
		ck_assert_int_eq(r.fired, i);
		ck_assert_int_eq(rd.calls, i);
	}
	ck_assert_ptr_nonnull(r.t);
	loop_timer_cancel(&r.t);
	loop_fd_del(rd.h);
	loop_free(l);
	close(p[0]);
	close(p[1]);
}
END_TEST

/* ---- running */

struct runrec {
	struct loop *l;
	int hook_calls;
	int stopped;
};

static void
hook_cb(void *ctx)
{
	((struct runrec *)ctx)->hook_calls++;
}

static void
stop_cb(void *ctx)
{
	struct runrec *r = ctx;

	r->stopped++;
	loop_stop(r->l);
}

START_TEST(test_run_stop_and_hook)
{
	struct loop *l = NULL;
	struct runrec r = { NULL, 0, 0 };

	ck_assert_int_eq(loop_new(&l), ERR_OK);
	r.l = l;
	loop_set_before_sleep(l, hook_cb, &r);
	ck_assert_int_eq(loop_timer_add(l, loop_now_ms(l) + 20, stop_cb, &r,
	    NULL), ERR_OK);
	ck_assert_int_eq(loop_run(l), ERR_OK);
	ck_assert_int_eq(r.stopped, 1);
	ck_assert_int_ge(r.hook_calls, 1);
	/* a second run is not stopped by the first stop */
	ck_assert_int_eq(loop_timer_add(l, loop_now_ms(l) + 5, stop_cb, &r,
	    NULL), ERR_OK);
	ck_assert_int_eq(loop_run(l), ERR_OK);
	ck_assert_int_eq(r.stopped, 2);
	/* stopped from the hook, with nothing to wake the loop: it must
	 * not sleep (else the test's timeout) */
	loop_set_before_sleep(l, stop_cb, &r);
	ck_assert_int_eq(loop_run(l), ERR_OK);
	ck_assert_int_eq(r.stopped, 3);
	loop_set_before_sleep(l, NULL, NULL);
	loop_free(l);
	loop_free(NULL);
}
END_TEST

/* ---- signals */

struct sigrec {
	int calls;
	int signo;
};

static void
sig_cb(void *ctx, int signo)
{
	struct sigrec *s = ctx;

	s->calls++;
	s->signo = signo;
}

START_TEST(test_signal)
{
	struct loop *l = NULL;
	struct sigrec s = { 0, 0 };
	sigset_t cur;

	ck_assert_int_eq(loop_new(&l), ERR_OK);
	ck_assert_int_eq(loop_signal_add(l, SIGUSR1, sig_cb, &s), ERR_OK);
	ck_assert_int_eq(pthread_sigmask(SIG_BLOCK, NULL, &cur), 0);
	ck_assert_int_eq(sigismember(&cur, SIGUSR1), 1);
	ck_assert_int_eq(loop_signal_add(l, SIGUSR1, sig_cb, &s),
	    ERR_INVALID_ARGUMENT);
	ck_assert_int_eq(loop_signal_add(l, SIGKILL, sig_cb, &s),
	    ERR_INVALID_ARGUMENT);
	ck_assert_int_eq(loop_signal_add(l, SIGSEGV, sig_cb, &s),
	    ERR_INVALID_ARGUMENT);
	ck_assert_int_eq(loop_signal_add(l, 0, sig_cb, &s),
	    ERR_INVALID_ARGUMENT);

	ck_assert_int_eq(raise(SIGUSR1), 0);
	run_until(l, &s.calls, 1, 2000);
	ck_assert_int_eq(s.calls, 1);
	ck_assert_int_eq(s.signo, SIGUSR1);
	/* and again, through kill() to the process */
	ck_assert_int_eq(kill(getpid(), SIGUSR1), 0);
	run_until(l, &s.calls, 2, 2000);
	ck_assert_int_eq(s.calls, 2);
	loop_free(l);
}
END_TEST

/* ---- children */

struct childrec {
	int calls;
	pid_t pid;
	int status;
};

static void
child_cb(void *ctx, pid_t pid, int status)
{
	struct childrec *c = ctx;

	c->calls++;
	c->pid = pid;
	c->status = status;
}

/*
 * A child running `sh -c cmd`.  Exec, rather than _exit() in the forked
 * copy: under valgrind a forked copy runs the leak checker on exit, which
 * may change its exit status.
 */
static pid_t
spawn_sh(const char *cmd)
{
	pid_t pid = fork();

	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* Waits, without reaping, until pid has exited. */
static void
wait_exited(pid_t pid)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	ck_assert_int_eq(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT), 0);
}

START_TEST(test_child_watch)
{
	struct loop *l = NULL;
	struct childrec a = { 0, 0, 0 }, b = { 0, 0, 0 };
	pid_t pa, pb, pc, pd;
	int st, done = 0;

	ck_assert_int_eq(loop_new(&l), ERR_OK);
	/* not a child of ours */
	ck_assert_int_eq(loop_child_watch(l, getppid(), child_cb, &a),
	    ERR_NOT_FOUND);

	/* c is not watched and is a zombie before the loop looks */
	pc = spawn_sh("exit 5");
	wait_exited(pc);
	/* a exits before its watch is set: found on the next turn */
	pa = spawn_sh("exit 3");
	wait_exited(pa);
	ck_assert_int_eq(loop_child_watch(l, pa, child_cb, &a), ERR_OK);
	ck_assert_int_eq(loop_child_watch(l, pa, child_cb, &a),
	    ERR_INVALID_ARGUMENT);
	/* b dies of a signal after its watch is set */
	pb = spawn_sh("sleep 0.05; kill -KILL $$");
	ck_assert_int_eq(loop_child_watch(l, pb, child_cb, &b), ERR_OK);
	/* d is watched, then unwatched: ours to reap */
	pd = spawn_sh("exit 9");
	ck_assert_int_eq(loop_child_watch(l, pd, child_cb, &a), ERR_OK);
	ck_assert_int_eq(loop_child_unwatch(l, pd), ERR_OK);
	ck_assert_int_eq(loop_child_unwatch(l, pd), ERR_NOT_FOUND);

	{
		uint64_t end = mono_ms() + 3000;

		while ((a.calls == 0 || b.calls == 0) && mono_ms() < end)
			ck_assert_int_eq(loop_run_once(l, 50), ERR_OK);
		done = a.calls == 1 && b.calls == 1;
	}
	ck_assert(done);
	ck_assert_int_eq(a.pid, pa);
	ck_assert(WIFEXITED(a.status));
	ck_assert_int_eq(WEXITSTATUS(a.status), 3);
	ck_assert_int_eq(b.pid, pb);
	ck_assert(WIFSIGNALED(b.status));
	ck_assert_int_eq(WTERMSIG(b.status), SIGKILL);
	/* reaped: gone */
	ck_assert_int_eq(waitpid(pa, &st, WNOHANG), -1);
	ck_assert_int_eq(waitpid(pb, &st, WNOHANG), -1);

	/* the loop left c and d alone */
	ck_assert_int_eq(waitpid(pc, &st, 0), pc);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 5);
	ck_assert_int_eq(waitpid(pd, &st, 0), pd);
	ck_assert_int_eq(WEXITSTATUS(st), 9);
	ck_assert_int_eq(a.calls, 1);

	/* a watch left at loop_free is simply dropped */
	pd = spawn_sh("exit 0");
	ck_assert_int_eq(loop_child_watch(l, pd, NULL, NULL), ERR_OK);
	loop_free(l);
	ck_assert_int_eq(waitpid(pd, &st, 0), pd);
}
END_TEST

/* ---- the worker pool */

struct job {
	int id;
	pthread_t worker;
	pthread_t done_on;
	int signals_blocked;
	int done;
	int cancelled;
	int *ndone;
};

static void
job_work(void *ctx)
{
	struct job *j = ctx;
	sigset_t cur;

	j->worker = pthread_self();
	if (pthread_sigmask(SIG_BLOCK, NULL, &cur) == 0)
		j->signals_blocked = sigismember(&cur, SIGUSR1) == 1 &&
		    sigismember(&cur, SIGTERM) == 1 &&
		    sigismember(&cur, SIGCHLD) == 1 &&
		    sigismember(&cur, SIGINT) == 1;
}

static void
job_done(void *ctx, int cancelled)
{
	struct job *j = ctx;

	j->done_on = pthread_self();
	j->done++;
	j->cancelled = cancelled;
	(*j->ndone)++;
}

START_TEST(test_workq_jobs)
{
	struct loop *l = NULL;
	struct workq *w = NULL;
	struct job jobs[100];
	pthread_t self = pthread_self();
	int i, ndone = 0;

	ck_assert_int_eq(loop_new(&l), ERR_OK);
	ck_assert_int_eq(workq_new(l, 0, 0, &w), ERR_INVALID_ARGUMENT);
	ck_assert_int_eq(workq_new(l, 2, 1, &w), ERR_INVALID_ARGUMENT);
	ck_assert_int_eq(workq_new(l, 1, 65, &w), ERR_INVALID_ARGUMENT);
	ck_assert_ptr_null(w);
	ck_assert_int_eq(workq_new(l, 3, 3, &w), ERR_OK);
	ck_assert_int_eq(workq_submit(w, NULL, job_done, NULL),
	    ERR_INVALID_ARGUMENT);
	memset(jobs, 0, sizeof(jobs));
	for (i = 0; i < 100; i++) {
		jobs[i].id = i;
		jobs[i].ndone = &ndone;
		ck_assert_int_eq(workq_submit(w, job_work, job_done, &jobs[i]),
		    ERR_OK);
	}
	run_until(l, &ndone, 100, 4000);
	ck_assert_int_eq(ndone, 100);
	for (i = 0; i < 100; i++) {
		ck_assert_int_eq(jobs[i].done, 1);
		ck_assert_int_eq(jobs[i].cancelled, 0);
		ck_assert(pthread_equal(jobs[i].done_on, self));
		ck_assert(!pthread_equal(jobs[i].worker, self));
		ck_assert(jobs[i].signals_blocked);
	}
	workq_free(w);
	workq_free(NULL);
	ck_assert_int_eq(ndone, 100);
	loop_free(l);
}
END_TEST

/* A job that says it started and then holds its thread a while. */
struct gate {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int started;
	int running;
	int max_running;
	int met;                 /* saw all of its peers running */
	long hold_ms;
	int peers;
};

static struct gate the_gate = {
	PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0, 0, 0, 0
};

/* Resets the gate's counters: with CK_FORK=no the tests share it. */
static void
gate_reset(int peers, long hold_ms)
{
	pthread_mutex_lock(&the_gate.mu);
	the_gate.started = the_gate.running = the_gate.max_running = 0;
	the_gate.met = 0;
	the_gate.peers = peers;
	the_gate.hold_ms = hold_ms;
	pthread_mutex_unlock(&the_gate.mu);
}

static void
gate_work(void *ctx)
{
	struct gate *g = &the_gate;
	struct timespec dl;

	pthread_mutex_lock(&g->mu);
	g->started++;
	g->running++;
	if (g->running > g->max_running)
		g->max_running = g->running;
	pthread_cond_broadcast(&g->cv);
	/* Wait (2 s at most) for the other jobs to be running too: a pool
	 * that ran them one after another would never get there. */
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += 2;
	while (g->running < g->peers &&
	    pthread_cond_timedwait(&g->cv, &g->mu, &dl) == 0)
		;
	if (g->running >= g->peers)
		g->met++;
	pthread_mutex_unlock(&g->mu);
	sleep_ms(g->hold_ms);
	pthread_mutex_lock(&g->mu);
	g->running--;
	pthread_mutex_unlock(&g->mu);
}

/* Submits n gate jobs to a pool of start..max threads and waits for
 * them all. */
static void
gate_run(unsigned int start, unsigned int max, int n, int peers)
{
	struct loop *l = NULL;
	struct workq *w = NULL;
	struct job jobs[4];
	int i, ndone = 0;

	ck_assert_int_le(n, 4);
	gate_reset(peers, 50);
	ck_assert_int_eq(loop_new(&l), ERR_OK);
	ck_assert_int_eq(workq_new(l, start, max, &w), ERR_OK);
	memset(jobs, 0, sizeof(jobs));
	for (i = 0; i < n; i++) {
		jobs[i].ndone = &ndone;
		ck_assert_int_eq(workq_submit(w, gate_work, job_done, &jobs[i]),
		    ERR_OK);
	}
	run_until(l, &ndone, n, 8000);
	ck_assert_int_eq(ndone, n);
	workq_free(w);
	loop_free(l);
}

START_TEST(test_workq_parallel)
{
	/* each job waits for the other two to be running at once */
	gate_run(3, 3, 3, 3);
	ck_assert_int_eq(the_gate.met, 3);
	ck_assert_int_eq(the_gate.max_running, 3);
}
END_TEST

START_TEST(test_workq_grows)
{
	/* one thread to begin with: the busy one gets company */
	gate_run(1, 3, 3, 3);
	ck_assert_int_eq(the_gate.met, 3);
	ck_assert_int_eq(the_gate.max_running, 3);
}
END_TEST

START_TEST(test_workq_cap)
{
	/* never more than max: two wait (2 s) for a third that cannot
	 * start until one of them is done */
	gate_run(1, 2, 3, 3);
	ck_assert_int_eq(the_gate.met, 0);
	ck_assert_int_eq(the_gate.max_running, 2);
	ck_assert_int_eq(the_gate.started, 3);
}
END_TEST

START_TEST(test_workq_free_cancels)
{
	struct loop *l = NULL;
	struct workq *w = NULL;
	struct job jobs[6];
	pthread_t self = pthread_self();
	struct timespec dl;
	int i, ndone = 0;

	gate_reset(1, 100);
	ck_assert_int_eq(loop_new(&l), ERR_OK);
	ck_assert_int_eq(workq_new(l, 1, 1, &w), ERR_OK);
	memset(jobs, 0, sizeof(jobs));
	for (i = 0; i < 6; i++) {
		jobs[i].ndone = &ndone;
		ck_assert_int_eq(workq_submit(w, i == 0 ? gate_work : job_work,
		    job_done, &jobs[i]), ERR_OK);
	}
	/* the one thread is busy with job 0; 1..5 wait */
	pthread_mutex_lock(&the_gate.mu);
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += 3;
	while (the_gate.started == 0 &&
	    pthread_cond_timedwait(&the_gate.cv, &the_gate.mu, &dl) == 0)
		;
	ck_assert_int_eq(the_gate.started, 1);
	pthread_mutex_unlock(&the_gate.mu);

	workq_free(w);
	/* everything delivered, here and now, job 0 as run */
	ck_assert_int_eq(ndone, 6);
	for (i = 0; i < 6; i++) {
		ck_assert_int_eq(jobs[i].done, 1);
		ck_assert_int_eq(jobs[i].cancelled, i == 0 ? 0 : 1);
		ck_assert(pthread_equal(jobs[i].done_on, self));
	}
	ck_assert_int_eq(loop_run_once(l, 10), ERR_OK);
	ck_assert_int_eq(ndone, 6);
	loop_free(l);
}
END_TEST

/* done() of the first job frees the pool while more are ready. */
struct freer {
	struct workq *w;
	int ndone;
	int nlate;
	int freeing;             /* workq_free() called */
	int freed;               /* and returned */
};

static struct freer the_freer;

static void
noop_work(void *ctx)
{
	sleep_ms(5);
}

static void
freeing_done(void *ctx, int cancelled)
{
	struct freer *f = &the_freer;

	f->ndone++;
	if (f->freed)
		f->nlate++;
	if (!f->freeing) {
		f->freeing = 1;
		workq_free(f->w);
		f->freed = 1;
	}
}

START_TEST(test_workq_free_from_done)
{
	struct loop *l = NULL;
	int i;

	memset(&the_freer, 0, sizeof(the_freer));
	ck_assert_int_eq(loop_new(&l), ERR_OK);
	ck_assert_int_eq(workq_new(l, 2, 2, &the_freer.w), ERR_OK);
	for (i = 0; i < 8; i++)
		ck_assert_int_eq(workq_submit(the_freer.w, noop_work,
		    freeing_done, NULL), ERR_OK);
	run_until(l, &the_freer.ndone, 1, 3000);
	/* every job was answered exactly once, all of them inside the
	 * workq_free() call; nothing comes later */
	ck_assert_int_eq(the_freer.ndone, 8);
	ck_assert_int_eq(the_freer.nlate, 0);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(loop_run_once(l, 10), ERR_OK);
	ck_assert_int_eq(the_freer.ndone, 8);
	loop_free(l);
}
END_TEST

static Suite *
loop_suite(void)
{
	Suite *s = suite_create("loop");
	TCase *tc;

	tc = tcase_create("fd");
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_fd_readiness);
	tcase_add_test(tc, test_fd_events_zero);
	tcase_add_test(tc, test_fd_del_self);
	tcase_add_test(tc, test_fd_del_other_same_batch);
	tcase_add_test(tc, test_fd_del_other_nested_turn);
	tcase_add_test(tc, test_fd_hangup);
	suite_add_tcase(s, tc);

	tc = tcase_create("timer");
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_timer_order);
	tcase_add_test(tc, test_timer_cancel);
	tcase_add_test(tc, test_timer_heap_10000);
	tcase_add_test(tc, test_timer_added_from_callback);
	tcase_add_test(tc, test_run_stop_and_hook);
	suite_add_tcase(s, tc);

	tc = tcase_create("process");
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_signal);
	tcase_add_test(tc, test_child_watch);
	suite_add_tcase(s, tc);

	tc = tcase_create("workq");
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_workq_jobs);
	tcase_add_test(tc, test_workq_parallel);
	tcase_add_test(tc, test_workq_grows);
	tcase_add_test(tc, test_workq_cap);
	tcase_add_test(tc, test_workq_free_cancels);
	tcase_add_test(tc, test_workq_free_from_done);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(loop_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
