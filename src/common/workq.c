/*
 * The worker pool: blocking jobs on a few threads, results back on the
 * loop thread.
 *
 * Jobs wait in a FIFO under the pool's mutex.  A worker that finishes one
 * moves it to the finished list and, when that list was empty, writes the
 * eventfd; the loop thread then takes the whole list at once.  The loop
 * reads (resets) the eventfd before taking the list, so a job finished in
 * between either is taken now or wakes the loop again: never lost.
 *
 * The pool uses only the loop's public API: its eventfd is one more fd
 * handle.
 */
#include "config.h"

#include <sys/eventfd.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/loop.h"

#define WORKQ_MAX_THREADS 64

struct workq_job {
	void (*work)(void *ctx);
	void (*done)(void *ctx, int cancelled);
	void *ctx;
	struct workq_job *next;
};

/* A singly linked FIFO. */
struct workq_list {
	struct workq_job *head;
	struct workq_job **tail;
};

struct workq {
	struct loop *loop;
	int efd;
	struct loop_fd *efd_h;

	pthread_mutex_t mu;
	pthread_cond_t cv;       /* a job was queued, or stopping */
	struct workq_list queued;     /* under mu */
	struct workq_list finished;   /* under mu */
	int stopping;                 /* under mu */
	unsigned int n_queued;        /* under mu: jobs in queued */
	unsigned int n_idle;          /* under mu: threads waiting for one */

	/* Loop thread only: finished jobs being delivered, and a flag on
	 * the delivering frame's stack that workq_free() raises so the
	 * frame does not touch the freed pool. */
	struct workq_list ready;
	int *freed;

	pthread_t *threads;           /* max_threads of them */
	unsigned int nthreads;        /* started; under mu once running */
	unsigned int max_threads;
};

static void
workq_list_init(struct workq_list *q)
{
	q->head = NULL;
	q->tail = &q->head;
}

static void
workq_list_push(struct workq_list *q, struct workq_job *j)
{
	j->next = NULL;
	*q->tail = j;
	q->tail = &j->next;
}

static struct workq_job *
workq_list_pop(struct workq_list *q)
{
	struct workq_job *j = q->head;

	if (j != NULL) {
		q->head = j->next;
		if (q->head == NULL)
			q->tail = &q->head;
		j->next = NULL;
	}
	return j;
}

/* Moves all of src to the end of dst. */
static void
workq_list_splice(struct workq_list *dst, struct workq_list *src)
{
	if (src->head == NULL)
		return;
	*dst->tail = src->head;
	dst->tail = src->tail;
	workq_list_init(src);
}

static void
workq_wake(int efd)
{
	uint64_t one = 1;
	ssize_t n;

	/* Can fail only with EAGAIN, at a counter near 2^64: the eventfd
	 * is readable then anyway. */
	n = write(efd, &one, sizeof(one));
	(void)n;
}

static void *
workq_thread(void *arg)
{
	struct workq *w = arg;
	struct workq_job *j;
	int wake;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		w->n_idle++;
		while (!w->stopping && w->queued.head == NULL)
			pthread_cond_wait(&w->cv, &w->mu);
		w->n_idle--;
		/* Stopping: what is still queued is workq_free()'s to cancel. */
		if (w->stopping)
			break;
		j = workq_list_pop(&w->queued);
		w->n_queued--;
		pthread_mutex_unlock(&w->mu);

		j->work(j->ctx);

		pthread_mutex_lock(&w->mu);
		wake = w->finished.head == NULL;
		workq_list_push(&w->finished, j);
		/* Only the first job of a batch needs to wake the loop: the
		 * loop takes the whole list. */
		if (wake)
			workq_wake(w->efd);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/*
 * Starts one more thread, with every signal blocked around
 * pthread_create so that a signal meant for the loop's signalfd is never
 * delivered to a worker (with its default action) instead: threads
 * inherit their creator's mask.  Under mu once the pool runs.
 */
static int
workq_start_thread(struct workq *w)
{
	sigset_t all, old;
	int e;

	sigfillset(&all);
	if ((e = pthread_sigmask(SIG_SETMASK, &all, &old)) != 0) {
		errno = e;
		return ERR_SYSTEM;
	}
	e = pthread_create(&w->threads[w->nthreads], NULL, workq_thread, w);
	(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e != 0) {
		errno = e;
		return ERR_SYSTEM;
	}
	w->nthreads++;
	return ERR_OK;
}

/* Calls done(ctx, 0) for w->ready until it is empty or done freed w.
 * Returns non-zero when w was freed. */
static int
workq_deliver(struct workq *w)
{
	struct workq_job *j;
	int freed = 0, *outer = w->freed;

	w->freed = &freed;
	while ((j = workq_list_pop(&w->ready)) != NULL) {
		j->done(j->ctx, 0);
		free(j);
		if (freed) {
			/* A nested delivery's flag must be raised too. */
			if (outer != NULL)
				*outer = 1;
			return 1;
		}
	}
	w->freed = outer;
	return 0;
}

static void
workq_efd_cb(void *ctx, unsigned int events)
{
	struct workq *w = ctx;
	uint64_t count;

	/* Reset the counter before taking the list: see the top comment. */
	while (read(w->efd, &count, sizeof(count)) == -1 && errno == EINTR)
		;
	pthread_mutex_lock(&w->mu);
	workq_list_splice(&w->ready, &w->finished);
	pthread_mutex_unlock(&w->mu);
	(void)workq_deliver(w);
}

/* Stops and joins the started threads; the queue is left as it is. */
static void
workq_join(struct workq *w)
{
	unsigned int i;

	pthread_mutex_lock(&w->mu);
	w->stopping = 1;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	for (i = 0; i < w->nthreads; i++)
		(void)pthread_join(w->threads[i], NULL);
	w->nthreads = 0;
}

/* Releases what workq_new() set up, after the threads are gone. */
static void
workq_destroy(struct workq *w)
{
	loop_fd_del(w->efd_h);
	if (w->efd != -1)
		(void)close(w->efd);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w->threads);
	free(w);
}

int
workq_new(struct loop *l, unsigned int nthreads, unsigned int max_threads,
    struct workq **wp)
{
	struct workq *w = NULL;
	int r = ERR_INTERNAL, e;

	if (wp == NULL)
		return ERR_INVALID_ARGUMENT;
	*wp = NULL;
	if (l == NULL || nthreads == 0 || max_threads < nthreads ||
	    max_threads > WORKQ_MAX_THREADS)
		return ERR_INVALID_ARGUMENT;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return ERR_NOMEM;
	w->loop = l;
	w->efd = -1;
	w->max_threads = max_threads;
	workq_list_init(&w->queued);
	workq_list_init(&w->finished);
	workq_list_init(&w->ready);
	if ((e = pthread_mutex_init(&w->mu, NULL)) != 0) {
		free(w);
		errno = e;
		return ERR_SYSTEM;
	}
	if ((e = pthread_cond_init(&w->cv, NULL)) != 0) {
		pthread_mutex_destroy(&w->mu);
		free(w);
		errno = e;
		return ERR_SYSTEM;
	}
	if ((w->threads = calloc(max_threads, sizeof(*w->threads))) == NULL) {
		r = ERR_NOMEM;
		goto out;
	}
	if ((w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1) {
		r = ERR_SYSTEM;
		goto out;
	}
	if ((r = loop_fd_add(l, w->efd, LOOP_IN, workq_efd_cb, w,
	    &w->efd_h)) != ERR_OK)
		goto out;
	while (w->nthreads < nthreads) {
		if ((r = workq_start_thread(w)) != ERR_OK)
			goto out;
	}
	*wp = w;
	w = NULL;
	r = ERR_OK;
 out:
	if (w != NULL) {
		e = errno;
		workq_join(w);
		workq_destroy(w);
		errno = e;
	}
	return r;
}

int
workq_submit(struct workq *w, void (*work)(void *ctx),
    void (*done)(void *ctx, int cancelled), void *ctx)
{
	struct workq_job *j;
	int r = ERR_OK;

	if (w == NULL || work == NULL || done == NULL)
		return ERR_INVALID_ARGUMENT;
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return ERR_NOMEM;
	j->work = work;
	j->done = done;
	j->ctx = ctx;
	pthread_mutex_lock(&w->mu);
	if (w->stopping)
		r = ERR_INVALID_ARGUMENT;
	else {
		workq_list_push(&w->queued, j);
		w->n_queued++;
		j = NULL;
		pthread_cond_signal(&w->cv);
		/* Every thread busy (a Match exec that takes its time, an
		 * agent waiting for its user): one more, up to the cap, so
		 * one slow job does not hold up everyone else's.  A failed
		 * start leaves the job queued for the threads there are. */
		if (w->n_queued > w->n_idle && w->nthreads < w->max_threads)
			(void)workq_start_thread(w);
	}
	pthread_mutex_unlock(&w->mu);
	free(j);
	return r;
}

void
workq_free(struct workq *w)
{
	struct workq_list cancelled;
	struct workq_job *j;
	int saved_errno = errno;

	if (w == NULL)
		return;
	/* Tell a delivery in progress (we may be inside one of its done
	 * callbacks) that the pool is gone. */
	if (w->freed != NULL)
		*w->freed = 1;
	w->freed = NULL;
	workq_join(w);
	/* No thread is left: the lists are ours without the lock. */
	workq_list_init(&cancelled);
	workq_list_splice(&cancelled, &w->queued);
	workq_list_splice(&w->ready, &w->finished);
	while ((j = workq_list_pop(&w->ready)) != NULL) {
		j->done(j->ctx, 0);
		free(j);
	}
	while ((j = workq_list_pop(&cancelled)) != NULL) {
		j->done(j->ctx, 1);
		free(j);
	}
	workq_destroy(w);
	errno = saved_errno;
}
