/*
 * The local terminal: raw mode and window size changes, shared by exec
 * in direct mode and through the daemon.
 */
#include "config.h"

#include <signal.h>
#include <stdlib.h>
#include <termios.h>
#include <unistd.h>

#include "broker/tty.h"

volatile sig_atomic_t tty_size_changed;

/* The terminal's settings before raw mode. */
static struct termios saved_tio;
static int tty_raw;

static void
on_sigwinch(int sig)
{
	(void)sig;
	tty_size_changed = 1;
}

void
tty_restore(void)
{
	if (tty_raw) {
		(void)tcsetattr(STDIN_FILENO, TCSADRAIN, &saved_tio);
		tty_raw = 0;
	}
}

void
tty_make_raw(void)
{
	static int registered;
	struct termios raw;

	if (tty_raw || tcgetattr(STDIN_FILENO, &saved_tio) == -1)
		return;
	raw = saved_tio;
	cfmakeraw(&raw);
	if (tcsetattr(STDIN_FILENO, TCSADRAIN, &raw) == 0) {
		tty_raw = 1;
		if (!registered++)
			(void)atexit(tty_restore);
	}
}

void
tty_watch_size(void)
{
	struct sigaction sa;

	/* no SA_RESTART: a read waiting for the daemon returns EINTR, and
	 * the size goes out at once */
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;
	sa.sa_handler = on_sigwinch;
	(void)sigaction(SIGWINCH, &sa, NULL);
}
