/*
 * The daemon's event loop and its worker pool.
 *
 * One thread runs the loop: fds through epoll (level-triggered), one-shot
 * timers on a min-heap of deadlines, signals through a signalfd, children
 * reaped by pid on SIGCHLD.  Nothing on that thread may block.  Work that
 * blocks by nature (getaddrinfo, config resolution that runs Match exec,
 * bcrypt_pbkdf) goes to a worker pool (workq_*) whose results come back to
 * the loop thread through an eventfd.
 *
 * Threads: every function below except workq_submit() must be called on
 * the loop thread, i.e. from loop callbacks or between loop_run_once()
 * calls.  Callbacks run on the loop thread, one at a time.
 *
 * One turn of the loop (loop_run_once()): the before-sleep hook; one
 * epoll_wait, bounded by the earliest timer; the clock is read; fd
 * callbacks for the ready fds, the signalfd among them (signal callbacks,
 * and child callbacks on SIGCHLD) and the pools' eventfds (done
 * callbacks); child callbacks for children that had exited before their
 * watch was set; timer callbacks for the timers that are due.  Callbacks may add and delete fds, timers and
 * watches, their own included; handles deleted during a turn are freed at
 * its end, so a pointer from the current epoll batch never dangles.
 *
 * Modelled on Redis's ae (aeProcessEvents, beforeSleep) with libuv's
 * timer heap ordering.
 */
#ifndef SSHBROKER_COMMON_LOOP_H
#define SSHBROKER_COMMON_LOOP_H

#include <sys/types.h>

#include <stdint.h>

struct loop;
struct loop_fd;
struct loop_timer;
struct workq;

/* Interest and readiness bits for fds. */
#define LOOP_IN 1u
#define LOOP_OUT 2u
/* EPOLLERR or EPOLLHUP: reported whenever the interest is not 0, without
 * being asked for.  It can come together with LOOP_IN while unread data
 * remains (a pipe whose writer has closed): read to EOF before closing.
 * Level-triggered like the rest: an owner that neither deletes the handle
 * nor sets its interest to 0 gets it again next turn.  A peer's
 * shutdown(SHUT_WR) alone is not an error; it shows as LOOP_IN with
 * read() returning 0 (EPOLLRDHUP is not requested, so a half-closed
 * socket that is still written to does not spin the loop). */
#define LOOP_ERR 4u

typedef void (*loop_fd_cb)(void *ctx, unsigned int events);
typedef void (*loop_timer_cb)(void *ctx);
typedef void (*loop_signal_cb)(void *ctx, int signo);
typedef void (*loop_child_cb)(void *ctx, pid_t pid, int wait_status);
typedef void (*loop_hook_cb)(void *ctx);

/*
 * A new loop in *lp (NULL on error); caller frees with loop_free().
 * Returns ERR_OK, ERR_INVALID_ARGUMENT (lp NULL), ERR_NOMEM or
 * ERR_SYSTEM (errno from epoll_create1).
 */
int loop_new(struct loop **lp);

/*
 * Frees l and whatever is still registered with it: fd handles (the fds
 * stay open: they belong to their owners), pending timers (their slots
 * are set to NULL, their callbacks are not called), child watches, signal
 * handlers.  Signals given to loop_signal_add() stay blocked, since
 * unblocking one that is pending would deliver it with its default action.
 * Worker pools on l must be freed first.  Not from a callback.  Accepts
 * NULL.
 */
void loop_free(struct loop *l);

/* CLOCK_MONOTONIC in milliseconds, as read once per turn right after
 * epoll_wait returns (and by loop_new()).  Every callback of one turn sees
 * the same value, so deadlines computed from it are consistent. */
uint64_t loop_now_ms(struct loop *l);

/*
 * Watches fd for events (LOOP_IN, LOOP_OUT; LOOP_ERR alone asks for
 * errors only; 0 registers it idle) and calls cb(ctx, ready) on the loop
 * thread while it is ready, ready being the subset of the interest plus
 * LOOP_ERR.  *hp is set to the handle, owned by the loop until
 * loop_fd_del() (NULL on error).  The fd is not closed by the loop and
 * should be non-blocking.  One handle per fd.  Returns ERR_OK,
 * ERR_INVALID_ARGUMENT, ERR_NOMEM or ERR_SYSTEM (errno from epoll_ctl:
 * EEXIST for an fd already added, EPERM for a regular file).
 */
int loop_fd_add(struct loop *l, int fd, unsigned int events, loop_fd_cb cb,
    void *ctx, struct loop_fd **hp);

/*
 * Replaces h's interest.  With 0 the fd leaves the epoll set altogether
 * and nothing is delivered for it, LOOP_ERR included, until the interest
 * is raised again: an owner pausing a reader (its queue is full) must not
 * be woken every turn by a hangup it cannot act on yet.  Events of the
 * current batch are filtered by the new interest.  Returns ERR_OK,
 * ERR_INVALID_ARGUMENT (unknown bits, h deleted) or ERR_SYSTEM (epoll_ctl,
 * interest unchanged).
 */
int loop_fd_set_events(struct loop_fd *h, unsigned int events);

/*
 * Stops watching h's fd and invalidates h.  Safe from any callback,
 * including h's own; events for h still pending in the current batch are
 * dropped.  Does not close the fd.  Delete before closing: epoll follows
 * the open file, not the number, and a duplicate of the fd (in a child,
 * say) would otherwise keep reporting events for a number that may
 * already be reused.  Accepts NULL.
 */
void loop_fd_del(struct loop_fd *h);

/*
 * A one-shot timer: cb(ctx) runs on the loop thread in the first turn
 * whose clock reads at least when_ms (absolute, loop_now_ms() scale; a
 * time in the past means the next turn).  Timers due at the same
 * millisecond fire in the order they were added.  A timer added by a
 * timer callback never fires in the same turn, even for "now", so
 * rescheduling for "now" cannot starve I/O.
 *
 * tp, when not NULL, is the owner's slot for the handle: *tp must be NULL
 * on entry (ERR_INVALID_ARGUMENT otherwise: cancel the old timer first)
 * and receives the handle.  The loop sets *tp back to NULL when the timer
 * fires (before calling cb) and when it is cancelled or the loop freed,
 * so *tp != NULL exactly while the timer is pending, and
 * loop_timer_cancel(tp) is always safe: there is no stale handle to
 * cancel after the timer has fired.  The slot must therefore stay at the
 * same address while the timer is pending (a struct field, not a local
 * that goes out of scope).  With tp NULL the timer cannot be cancelled.
 *
 * Returns ERR_OK, ERR_INVALID_ARGUMENT or ERR_NOMEM.
 */
int loop_timer_add(struct loop *l, uint64_t when_ms, loop_timer_cb cb,
    void *ctx, struct loop_timer **tp);

/*
 * Cancels the timer in *tp, if any, and sets *tp to NULL; its callback
 * will not run.  Safe from any callback, and on a slot whose timer has
 * already fired (the loop cleared it).  Accepts NULL tp.
 */
void loop_timer_cancel(struct loop_timer **tp);

/*
 * Calls cb(ctx, signo) on the loop thread after signo is delivered.
 * Blocks signo in the calling thread (pthread_sigmask) and reads it from
 * the loop's signalfd.  Call it on the loop thread before other threads
 * start, or have those threads block signo too: a signal sent to the
 * process goes to any thread that does not block it.  Worker pools block
 * every signal in their threads.  Deliveries of a standard signal that
 * are pending together arrive as one callback.  One handler per signal.
 * SIGCHLD may have a handler too: it runs after the watched children have
 * been reaped.  Children inherit the blocked mask: code that forks must
 * reset it in the child (src/proxy does).  Returns ERR_OK,
 * ERR_INVALID_ARGUMENT (signo already has a handler, or cannot be read
 * from a signalfd: SIGKILL, SIGSTOP, the fault signals), ERR_NOMEM or
 * ERR_SYSTEM.
 */
int loop_signal_add(struct loop *l, int signo, loop_signal_cb cb, void *ctx);

/*
 * Calls cb(ctx, pid, wait_status) on the loop thread once child pid has
 * exited, after reaping it with waitpid(pid, WNOHANG).  The loop reaps
 * only the pids it watches; other children stay for whoever waits for
 * them.  SIGCHLD is blocked and read through the signalfd as for
 * loop_signal_add(); a child that exited before the watch was set is
 * found on the next turn.  cb may be NULL: the loop then reaps the child
 * and tells nobody (an owner that is going away).  If something else
 * reaps pid first, cb gets wait_status -1: that is a bug in the caller,
 * since the pid may since have gone to another child.  Returns ERR_OK,
 * ERR_NOT_FOUND (pid is not an unreaped child of this process),
 * ERR_INVALID_ARGUMENT (pid already watched), ERR_NOMEM or ERR_SYSTEM.
 */
int loop_child_watch(struct loop *l, pid_t pid, loop_child_cb cb, void *ctx);

/*
 * Forgets the watch on pid; its callback will not run and the loop will
 * not reap it, so the caller must (proxy_child_kill_free() does).
 * Returns ERR_OK, or ERR_NOT_FOUND when pid is not watched, or when the
 * loop has reaped it already in this turn (its callback is then dropped).
 */
int loop_child_unwatch(struct loop *l, pid_t pid);

/*
 * Sets the hook called at the start of every turn, before the loop
 * computes how long it may sleep (NULL cb: none).  The broker flushes
 * every transport's output there, once per turn, instead of after each
 * event.
 */
void loop_set_before_sleep(struct loop *l, loop_hook_cb cb, void *ctx);

/*
 * Runs turns until loop_stop().  Returns ERR_OK after loop_stop(), or
 * ERR_SYSTEM (errno from epoll_wait or signalfd) when the loop cannot go
 * on.
 */
int loop_run(struct loop *l);

/*
 * Runs one turn, sleeping at most max_wait_ms (negative: until an fd, a
 * timer or a signal needs attention).  For tests and for a nested loop
 * inside a callback.  Returns ERR_OK or ERR_SYSTEM.
 */
int loop_run_once(struct loop *l, int max_wait_ms);

/* Makes loop_run() return after the current turn; if the turn has not
 * slept yet it does not.  From any callback (loop thread only); outside
 * loop_run() it has no lasting effect. */
void loop_stop(struct loop *l);

/*
 * A pool of worker threads for l: nthreads start now, and more start
 * (up to max_threads, at most 64) when a job is queued while every one
 * is busy; they stay until workq_free().  Threads start with every
 * signal blocked.  The pool is in *wp (NULL on error).  Caller frees
 * with workq_free() before freeing l.  Returns ERR_OK,
 * ERR_INVALID_ARGUMENT, ERR_NOMEM or ERR_SYSTEM (errno from eventfd or
 * pthread_create).
 */
int workq_new(struct loop *l, unsigned int nthreads,
    unsigned int max_threads, struct workq **wp);

/*
 * Queues a job: work(ctx) runs on a pool thread, jobs starting in the
 * order submitted; then done(ctx, 0) runs on the loop thread in a later
 * turn.  If the pool is freed before the job starts, done(ctx, 1) runs
 * instead, from workq_free().  Either way done runs exactly once, and ctx
 * belongs to the job until it does.  work must not touch loop objects.
 * Callable from any thread while the pool is not being freed.  Returns
 * ERR_OK, ERR_INVALID_ARGUMENT (NULL work or done, or the pool is being
 * freed) or ERR_NOMEM.
 */
int workq_submit(struct workq *w, void (*work)(void *ctx),
    void (*done)(void *ctx, int cancelled), void *ctx);

/*
 * Stops w: jobs not yet started are cancelled, running jobs are waited
 * for, the threads are joined.  Then, on the calling thread, done(ctx, 0)
 * for every job that ran but was not yet delivered and done(ctx, 1) for
 * every cancelled job; workq_submit(w) fails in them and they must not
 * call workq_free(w).  No callback for w runs after it returns.  Loop
 * thread only, a done callback of w included.  Accepts NULL.
 */
void workq_free(struct workq *w);

#endif
