/*
 * The local terminal of a client command: raw mode while a remote pty
 * owns it (restored on every way out), and SIGWINCH noted for the loop
 * to relay.  Internal to src/broker.
 */
#ifndef SSHBROKER_BROKER_TTY_H
#define SSHBROKER_BROKER_TTY_H

#include <signal.h>

/* Set by SIGWINCH once tty_watch_size() was called; the loop clears it. */
extern volatile sig_atomic_t tty_size_changed;

/* Raw mode on stdin's terminal, as ssh; restored by tty_restore() and at
 * exit. */
void tty_make_raw(void);
void tty_restore(void);
/* Notes window size changes in tty_size_changed. */
void tty_watch_size(void);

#endif
