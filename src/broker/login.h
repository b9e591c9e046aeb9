/*
 * User authentication, the client's side, for one transport: keys from
 * the agent and from IdentityFile (with their certificates), offered as
 * ssh offers them; passphrases, passwords and keyboard-interactive
 * answers asked on the terminal or through SSH_ASKPASS, never with
 * BatchMode.  Internal to src/broker.
 */
#ifndef SSHBROKER_BROKER_LOGIN_H
#define SSHBROKER_BROKER_LOGIN_H

#include <stdarg.h>

struct config_host;
struct config_result;
struct login;
struct transport;
struct transport_event;

/*
 * Where a connection's messages and questions go: the terminal in direct
 * mode, the client that asked in the daemon.  say() gets one line
 * without its newline; ask() returns a malloc'ed answer the caller
 * wipes, or NULL when nobody can answer.  NULL members (or a NULL ui):
 * stderr, and the terminal or SSH_ASKPASS.
 */
struct login_ui {
	void (*say)(void *ctx, const char *line);
	char *(*ask)(void *ctx, const char *prompt, int echo);
	/* Runs work(arg) where blocking is fine (the daemon's worker pool),
	 * then done(arg, cancelled) back on the caller's thread; ERR_OK or
	 * an error when it cannot.  NULL: work runs at once, inline.  Used
	 * to decrypt a key (bcrypt_pbkdf is slow on purpose). */
	int (*run_blocking)(void *ctx, void (*work)(void *arg),
	    void (*done)(void *arg, int cancelled), void *arg);
	void *ctx;
};

/* What ask() returns when the answer will come later, through
 * login_answer() (or direct_answer()): the daemon relays the question
 * to a client's terminal and goes on serving everyone else meanwhile. */
extern char login_ask_pending[];
#define LOGIN_ASK_PENDING login_ask_pending

void login_say(const struct login_ui *ui, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
char *login_ask(const struct login_ui *ui, const char *prompt, int echo);

/* res, host and ui must outlive the login; NULL when out of memory. */
struct login *login_new(struct transport *t, const struct config_result *res,
    const struct config_host *host, int batch, const struct login_ui *ui);
void login_free(struct login *l);

/*
 * Handles the events authentication is made of (READY starts it; SIGN,
 * PROMPT and BANNER are answered).  Returns 1 when ev was one of them,
 * 0 when it is the caller's, -1 when the transport failed.
 */
int login_on_event(struct login *l, const struct transport_event *ev);

/* The answer to the question l left pending (NULL: none was given, the
 * method or key is given up).  1 when l had one, 0 when not, -1 when
 * the transport failed. */
int login_answer(struct login *l, const char *answer);

#endif
