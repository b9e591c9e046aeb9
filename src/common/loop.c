/*
 * The event loop: epoll, a timer heap, a signalfd, child reaping.
 *
 * fd handles are registered with epoll by pointer (data.ptr).  A handle
 * deleted while a turn is running is unhooked from epoll at once but only
 * freed when the outermost loop_run_once() ends, so every pointer in a
 * pending epoll batch (an outer batch too, when a callback nests a turn)
 * stays valid and is recognised as deleted.  Timers never need that: a
 * timer leaves the heap before its callback runs, and nothing else holds
 * a pointer to a pending timer but its owner's slot.
 */
#include "config.h"

#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "common/loop.h"

/* epoll events taken per turn; more wait for the next turn. */
#define LOOP_BATCH 128

struct loop_fd {
	struct loop *loop;
	int fd;
	unsigned int events;     /* interest: LOOP_IN | LOOP_OUT | LOOP_ERR */
	int in_epoll;            /* interest != 0, so registered with epoll */
	int deleted;
	loop_fd_cb cb;
	void *ctx;
	struct loop_fd *prev, *next;   /* l->fds, or l->dead once deleted */
};

struct loop_timer {
	struct loop *loop;
	uint64_t when;
	uint64_t seq;            /* order of adding: ties fire in this order */
	size_t idx;              /* position in l->heap */
	struct loop_timer **slot;
	loop_timer_cb cb;
	void *ctx;
};

struct loop_child {
	pid_t pid;
	int reaped;              /* waitpid collected it; cb not yet called */
	int status;
	loop_child_cb cb;
	void *ctx;
	struct loop_child *next;
};

struct loop_sig {
	loop_signal_cb cb;
	void *ctx;
};

struct loop {
	int epfd;
	uint64_t now;
	int stop;
	int running;             /* inside loop_run() */
	unsigned int depth;      /* nesting of loop_run_once() */

	struct loop_fd *fds;     /* live handles */
	struct loop_fd *dead;    /* deleted during a turn, freed after it */

	struct loop_timer **heap;
	size_t nheap, heap_cap;
	uint64_t timer_seq;

	int sigfd;               /* -1 until the first signal is wanted */
	struct loop_fd *sig_h;
	sigset_t sigmask;        /* what sigfd reads */
	struct loop_sig sigs[NSIG];

	struct loop_child *children;
	int child_check;         /* SIGCHLD seen or a watch added: scan */

	loop_hook_cb before_sleep;
	void *before_sleep_ctx;
};

static uint64_t
loop_clock_ms(void)
{
	struct timespec ts;

	/* CLOCK_MONOTONIC cannot fail with a valid pointer. */
	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int
loop_new(struct loop **lp)
{
	struct loop *l = NULL;
	int r = ERR_INTERNAL;

	if (lp == NULL)
		return ERR_INVALID_ARGUMENT;
	*lp = NULL;
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		r = ERR_NOMEM;
		goto out;
	}
	l->sigfd = -1;
	sigemptyset(&l->sigmask);
	if ((l->epfd = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		r = ERR_SYSTEM;
		goto out;
	}
	l->now = loop_clock_ms();
	*lp = l;
	l = NULL;
	r = ERR_OK;
 out:
	free(l);
	return r;
}

uint64_t
loop_now_ms(struct loop *l)
{
	return l->now;
}

/* ---- fds */

static void
loop_fd_unlink(struct loop_fd **head, struct loop_fd *h)
{
	if (h->prev != NULL)
		h->prev->next = h->next;
	else
		*head = h->next;
	if (h->next != NULL)
		h->next->prev = h->prev;
	h->prev = h->next = NULL;
}

static void
loop_fd_link(struct loop_fd **head, struct loop_fd *h)
{
	h->prev = NULL;
	h->next = *head;
	if (*head != NULL)
		(*head)->prev = h;
	*head = h;
}

static int
loop_epoll_apply(struct loop_fd *h, unsigned int events)
{
	struct epoll_event ev;
	int op;

	memset(&ev, 0, sizeof(ev));
	ev.data.ptr = h;
	if (events & LOOP_IN)
		ev.events |= EPOLLIN;
	if (events & LOOP_OUT)
		ev.events |= EPOLLOUT;
	/* EPOLLERR and EPOLLHUP are always reported; EPOLLRDHUP is left
	 * out on purpose (see LOOP_ERR in loop.h). */
	if (events == 0) {
		if (!h->in_epoll)
			return ERR_OK;
		op = EPOLL_CTL_DEL;
	} else
		op = h->in_epoll ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
	if (epoll_ctl(h->loop->epfd, op, h->fd, &ev) == -1)
		return ERR_SYSTEM;
	h->in_epoll = events != 0;
	return ERR_OK;
}

int
loop_fd_add(struct loop *l, int fd, unsigned int events, loop_fd_cb cb,
    void *ctx, struct loop_fd **hp)
{
	struct loop_fd *h = NULL;
	int r = ERR_INTERNAL;

	if (hp != NULL)
		*hp = NULL;
	if (l == NULL || fd < 0 || cb == NULL || hp == NULL ||
	    (events & ~(LOOP_IN | LOOP_OUT | LOOP_ERR)) != 0)
		return ERR_INVALID_ARGUMENT;
	if ((h = calloc(1, sizeof(*h))) == NULL) {
		r = ERR_NOMEM;
		goto out;
	}
	h->loop = l;
	h->fd = fd;
	h->cb = cb;
	h->ctx = ctx;
	if ((r = loop_epoll_apply(h, events)) != ERR_OK)
		goto out;
	h->events = events;
	loop_fd_link(&l->fds, h);
	*hp = h;
	h = NULL;
	r = ERR_OK;
 out:
	free(h);
	return r;
}

int
loop_fd_set_events(struct loop_fd *h, unsigned int events)
{
	int r;

	if (h == NULL || h->deleted ||
	    (events & ~(LOOP_IN | LOOP_OUT | LOOP_ERR)) != 0)
		return ERR_INVALID_ARGUMENT;
	if ((r = loop_epoll_apply(h, events)) != ERR_OK)
		return r;
	h->events = events;
	return ERR_OK;
}

void
loop_fd_del(struct loop_fd *h)
{
	struct loop *l;
	int saved_errno = errno;

	if (h == NULL || h->deleted)
		return;
	l = h->loop;
	/* Failure means the fd was closed already, which removed it. */
	if (h->in_epoll)
		(void)epoll_ctl(l->epfd, EPOLL_CTL_DEL, h->fd, NULL);
	h->in_epoll = 0;
	h->deleted = 1;
	loop_fd_unlink(&l->fds, h);
	if (l->depth > 0)
		loop_fd_link(&l->dead, h);
	else
		free(h);
	errno = saved_errno;
}

static void
loop_fd_free_dead(struct loop *l)
{
	struct loop_fd *h;

	while ((h = l->dead) != NULL) {
		l->dead = h->next;
		free(h);
	}
}

/* ---- timers: a binary min-heap ordered by (when, seq) */

static int
loop_timer_before(const struct loop_timer *a, const struct loop_timer *b)
{
	if (a->when != b->when)
		return a->when < b->when;
	return a->seq < b->seq;
}

static void
loop_heap_set(struct loop *l, size_t i, struct loop_timer *t)
{
	l->heap[i] = t;
	t->idx = i;
}

static void
loop_heap_up(struct loop *l, size_t i)
{
	struct loop_timer *t = l->heap[i];
	size_t parent;

	while (i > 0) {
		parent = (i - 1) / 2;
		if (!loop_timer_before(t, l->heap[parent]))
			break;
		loop_heap_set(l, i, l->heap[parent]);
		i = parent;
	}
	loop_heap_set(l, i, t);
}

static void
loop_heap_down(struct loop *l, size_t i)
{
	struct loop_timer *t = l->heap[i];
	size_t child;

	for (;;) {
		child = 2 * i + 1;
		if (child >= l->nheap)
			break;
		if (child + 1 < l->nheap &&
		    loop_timer_before(l->heap[child + 1], l->heap[child]))
			child++;
		if (!loop_timer_before(l->heap[child], t))
			break;
		loop_heap_set(l, i, l->heap[child]);
		i = child;
	}
	loop_heap_set(l, i, t);
}

static void
loop_heap_remove(struct loop *l, struct loop_timer *t)
{
	size_t i = t->idx;
	struct loop_timer *last;

	last = l->heap[--l->nheap];
	if (i == l->nheap)
		return;
	/* The last element takes the hole and moves whichever way restores
	 * the order: up if it beats the hole's parent, else down. */
	loop_heap_set(l, i, last);
	if (i > 0 && loop_timer_before(last, l->heap[(i - 1) / 2]))
		loop_heap_up(l, i);
	else
		loop_heap_down(l, i);
}

int
loop_timer_add(struct loop *l, uint64_t when_ms, loop_timer_cb cb,
    void *ctx, struct loop_timer **tp)
{
	struct loop_timer *t = NULL, **heap;
	size_t cap;

	if (l == NULL || cb == NULL || (tp != NULL && *tp != NULL))
		return ERR_INVALID_ARGUMENT;
	if (l->nheap == l->heap_cap) {
		cap = l->heap_cap == 0 ? 64 : l->heap_cap * 2;
		if (cap > SIZE_MAX / sizeof(*heap))
			return ERR_NOMEM;
		if ((heap = realloc(l->heap, cap * sizeof(*heap))) == NULL)
			return ERR_NOMEM;
		l->heap = heap;
		l->heap_cap = cap;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return ERR_NOMEM;
	t->loop = l;
	t->when = when_ms;
	t->seq = l->timer_seq++;
	t->slot = tp;
	t->cb = cb;
	t->ctx = ctx;
	l->heap[l->nheap++] = t;
	loop_heap_up(l, l->nheap - 1);
	if (tp != NULL)
		*tp = t;
	return ERR_OK;
}

void
loop_timer_cancel(struct loop_timer **tp)
{
	struct loop_timer *t;

	if (tp == NULL || (t = *tp) == NULL)
		return;
	*tp = NULL;
	loop_heap_remove(t->loop, t);
	free(t);
}

/*
 * Fires the timers due at l->now that existed when this phase began: a
 * timer a callback adds waits for the next turn, whatever its deadline.
 */
static void
loop_run_timers(struct loop *l)
{
	uint64_t limit = l->timer_seq;
	struct loop_timer *t;

	while (l->nheap > 0) {
		t = l->heap[0];
		if (t->when > l->now)
			break;
		if (t->seq >= limit) {
			/*
			 * The earliest due timer is new; older due timers can
			 * only sort after it when their deadline is later, so
			 * the next turn (which will not sleep) gets them all.
			 */
			break;
		}
		loop_heap_remove(l, t);
		if (t->slot != NULL)
			*t->slot = NULL;
		t->cb(t->ctx);
		free(t);
	}
}

/* ---- signals and children */

static void loop_reap_children(struct loop *l);

static int
loop_signal_readable(int signo)
{
	switch (signo) {
	case SIGKILL: case SIGSTOP:
	/* Blocking a fault signal the process raises itself is undefined. */
	case SIGSEGV: case SIGBUS: case SIGFPE: case SIGILL:
		return 0;
	default:
		return signo > 0 && signo < NSIG;
	}
}

static void
loop_sig_cb(void *ctx, unsigned int events)
{
	struct loop *l = ctx;
	struct signalfd_siginfo si;
	ssize_t n;
	int signo;

	for (;;) {
		n = read(l->sigfd, &si, sizeof(si));
		if (n == -1 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof(si))
			break;   /* EAGAIN: drained */
		signo = (int)si.ssi_signo;
		if (signo <= 0 || signo >= NSIG)
			continue;
		if (signo == SIGCHLD) {
			/* Reap before the user's SIGCHLD handler runs, so it
			 * sees the watched children's callbacks done. */
			l->child_check = 1;
			loop_reap_children(l);
		}
		if (l->sigs[signo].cb != NULL)
			l->sigs[signo].cb(l->sigs[signo].ctx, signo);
	}
}

/* Adds signo to the set the signalfd reads, blocking it first. */
static int
loop_sig_enable(struct loop *l, int signo)
{
	sigset_t one, mask;
	int fd, r;

	if (sigismember(&l->sigmask, signo) == 1)
		return ERR_OK;
	sigemptyset(&one);
	sigaddset(&one, signo);
	/* Blocked before the signalfd reads it: a signal arriving in
	 * between stays pending and the signalfd picks it up. */
	if ((errno = pthread_sigmask(SIG_BLOCK, &one, NULL)) != 0)
		return ERR_SYSTEM;
	mask = l->sigmask;
	sigaddset(&mask, signo);
	fd = signalfd(l->sigfd, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd == -1)
		return ERR_SYSTEM;
	if (l->sigfd == -1) {
		l->sigfd = fd;
		if ((r = loop_fd_add(l, fd, LOOP_IN, loop_sig_cb, l,
		    &l->sig_h)) != ERR_OK) {
			(void)close(fd);
			l->sigfd = -1;
			return r;
		}
	}
	l->sigmask = mask;
	return ERR_OK;
}

int
loop_signal_add(struct loop *l, int signo, loop_signal_cb cb, void *ctx)
{
	int r;

	if (l == NULL || cb == NULL || !loop_signal_readable(signo) ||
	    l->sigs[signo].cb != NULL)
		return ERR_INVALID_ARGUMENT;
	if ((r = loop_sig_enable(l, signo)) != ERR_OK)
		return r;
	l->sigs[signo].cb = cb;
	l->sigs[signo].ctx = ctx;
	return ERR_OK;
}

static struct loop_child **
loop_child_find(struct loop *l, pid_t pid)
{
	struct loop_child **cp;

	for (cp = &l->children; *cp != NULL; cp = &(*cp)->next)
		if ((*cp)->pid == pid)
			return cp;
	return NULL;
}

int
loop_child_watch(struct loop *l, pid_t pid, loop_child_cb cb, void *ctx)
{
	struct loop_child *c = NULL;
	siginfo_t si;
	int r = ERR_INTERNAL;

	if (l == NULL || pid <= 0 || loop_child_find(l, pid) != NULL)
		return ERR_INVALID_ARGUMENT;
	/* Is it our child and not yet reaped?  WNOWAIT leaves it be. */
	memset(&si, 0, sizeof(si));
	while (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == -1) {
		if (errno == EINTR)
			continue;
		return errno == ECHILD ? ERR_NOT_FOUND : ERR_SYSTEM;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		r = ERR_NOMEM;
		goto out;
	}
	if ((r = loop_sig_enable(l, SIGCHLD)) != ERR_OK)
		goto out;
	c->pid = pid;
	c->cb = cb;
	c->ctx = ctx;
	c->next = l->children;
	l->children = c;
	c = NULL;
	/* Its SIGCHLD may have come and gone before SIGCHLD was blocked:
	 * look on the next turn whatever the signalfd says. */
	l->child_check = 1;
	r = ERR_OK;
 out:
	free(c);
	return r;
}

int
loop_child_unwatch(struct loop *l, pid_t pid)
{
	struct loop_child **cp, *c;
	int reaped;

	if (l == NULL || (cp = loop_child_find(l, pid)) == NULL)
		return ERR_NOT_FOUND;
	c = *cp;
	*cp = c->next;
	reaped = c->reaped;
	free(c);
	return reaped ? ERR_NOT_FOUND : ERR_OK;
}

/*
 * Reaps the watched children that have exited, then calls their
 * callbacks.  Collecting first and calling after keeps the list walk
 * safe from callbacks that watch or unwatch; each callback is found
 * afresh from the head, and its entry unlinked before it runs.
 */
static void
loop_reap_children(struct loop *l)
{
	struct loop_child *c, **cp;
	pid_t p;
	int status;

	if (!l->child_check)
		return;
	l->child_check = 0;
	for (c = l->children; c != NULL; c = c->next) {
		if (c->reaped)
			continue;
		do {
			status = 0;
			p = waitpid(c->pid, &status, WNOHANG);
		} while (p == -1 && errno == EINTR);
		if (p == c->pid) {
			c->reaped = 1;
			c->status = status;
		} else if (p == -1 && errno == ECHILD) {
			/* Reaped by someone else: tell the owner. */
			c->reaped = 1;
			c->status = -1;
		}
	}
	for (;;) {
		for (cp = &l->children; *cp != NULL && !(*cp)->reaped;
		    cp = &(*cp)->next)
			;
		if ((c = *cp) == NULL)
			break;
		*cp = c->next;
		if (c->cb != NULL)
			c->cb(c->ctx, c->pid, c->status);
		free(c);
	}
}

/* ---- running */

void
loop_set_before_sleep(struct loop *l, loop_hook_cb cb, void *ctx)
{
	l->before_sleep = cb;
	l->before_sleep_ctx = ctx;
}

/* How long epoll_wait may sleep: until the first timer, at most max. */
static int
loop_timeout(struct loop *l, int max_wait_ms)
{
	uint64_t now, when, left;

	/* loop_run() is about to return: do not sleep first.  A stop
	 * asked for outside loop_run() is forgotten by the next run. */
	if ((l->running && l->stop) || l->child_check)
		return 0;
	if (l->nheap == 0)
		return max_wait_ms < 0 ? -1 : max_wait_ms;
	/* The hook may have taken time: measure from the clock, not from
	 * the turn's cached now. */
	now = loop_clock_ms();
	when = l->heap[0]->when;
	left = when <= now ? 0 : when - now;
	if (left > INT_MAX)
		left = INT_MAX;
	if (max_wait_ms >= 0 && (uint64_t)max_wait_ms < left)
		left = (uint64_t)max_wait_ms;
	return (int)left;
}

static unsigned int
loop_ready_bits(const struct loop_fd *h, uint32_t revents)
{
	unsigned int ready = 0;

	if ((revents & EPOLLIN) && (h->events & LOOP_IN))
		ready |= LOOP_IN;
	if ((revents & EPOLLOUT) && (h->events & LOOP_OUT))
		ready |= LOOP_OUT;
	if (revents & (EPOLLERR | EPOLLHUP | EPOLLRDHUP))
		ready |= LOOP_ERR;
	return ready;
}

int
loop_run_once(struct loop *l, int max_wait_ms)
{
	struct epoll_event evs[LOOP_BATCH];
	struct loop_fd *h;
	unsigned int ready;
	int i, n, timeout, r = ERR_INTERNAL;

	l->depth++;
	if (l->before_sleep != NULL)
		l->before_sleep(l->before_sleep_ctx);
	timeout = loop_timeout(l, max_wait_ms);
	n = epoll_wait(l->epfd, evs, LOOP_BATCH, timeout);
	if (n == -1) {
		if (errno != EINTR) {
			r = ERR_SYSTEM;
			goto out;
		}
		n = 0;
	}
	l->now = loop_clock_ms();
	for (i = 0; i < n; i++) {
		h = evs[i].data.ptr;
		/* Deleted, or paused by an earlier callback of this batch. */
		if (h->deleted || h->events == 0)
			continue;
		if ((ready = loop_ready_bits(h, evs[i].events)) != 0)
			h->cb(h->ctx, ready);
	}
	loop_reap_children(l);
	loop_run_timers(l);
	r = ERR_OK;
 out:
	if (--l->depth == 0)
		loop_fd_free_dead(l);
	return r;
}

int
loop_run(struct loop *l)
{
	int r = ERR_OK;

	l->stop = 0;
	l->running = 1;
	while (!l->stop) {
		if ((r = loop_run_once(l, -1)) != ERR_OK)
			break;
	}
	l->running = 0;
	l->stop = 0;
	return r;
}

void
loop_stop(struct loop *l)
{
	l->stop = 1;
}

void
loop_free(struct loop *l)
{
	struct loop_fd *h;
	struct loop_child *c;
	size_t i;
	int saved_errno = errno;

	if (l == NULL)
		return;
	while ((h = l->fds) != NULL) {
		l->fds = h->next;
		free(h);
	}
	loop_fd_free_dead(l);
	for (i = 0; i < l->nheap; i++) {
		if (l->heap[i]->slot != NULL)
			*l->heap[i]->slot = NULL;
		free(l->heap[i]);
	}
	free(l->heap);
	while ((c = l->children) != NULL) {
		l->children = c->next;
		free(c);
	}
	if (l->sigfd != -1)
		(void)close(l->sigfd);
	(void)close(l->epfd);
	free(l);
	errno = saved_errno;
}
