/*
 * The questions half of login.h: saying a line and asking for an answer,
 * on the terminal or through SSH_ASKPASS unless a ui takes them.  Apart
 * from login.c because the command-line client asks the daemon's
 * questions too, and must not pull the transport (and the crypto
 * libraries) into its executable for that.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "broker/login.h"
#include "common/mem.h"

#define PROMPT_MAX 1024

char login_ask_pending[] = "(pending)";

/* Reads one answer without echo from the terminal, or from SSH_ASKPASS
 * when there is no terminal or SSH_ASKPASS_REQUIRE=force; NULL when
 * neither can ask.  Caller wipes and frees. */
static char *
read_secret(const char *prompt, int echo)
{
	const char *askpass = getenv("SSH_ASKPASS");
	const char *require = getenv("SSH_ASKPASS_REQUIRE");
	char buf[PROMPT_MAX], *nl, *ret = NULL;
	struct termios old, noecho;
	FILE *f;
	int force = require != NULL && strcmp(require, "force") == 0;

	if (askpass != NULL && *askpass != '\0' &&
	    (force || access("/dev/tty", R_OK | W_OK) != 0)) {
		/* the prompt reaches askpass as its argument, as with ssh */
		char *cmd;
		size_t n = strlen(askpass) + strlen(prompt) * 4 + 8, i, j;

		if ((cmd = malloc(n)) == NULL)
			return NULL;
		j = (size_t)snprintf(cmd, n, "%s '", askpass);
		for (i = 0; prompt[i] != '\0' && j + 5 < n; i++) {
			if (prompt[i] == '\'') {
				memcpy(cmd + j, "'\\''", 4);
				j += 4;
			} else
				cmd[j++] = prompt[i];
		}
		cmd[j++] = '\'';
		cmd[j] = '\0';
		f = popen(cmd, "r");
		free(cmd);
		if (f == NULL)
			return NULL;
		if (fgets(buf, sizeof(buf), f) != NULL) {
			if ((nl = strchr(buf, '\n')) != NULL)
				*nl = '\0';
			ret = strdup(buf);
		}
		(void)pclose(f);
		mem_wipe(buf, sizeof(buf));
		return ret;
	}
	if ((f = fopen("/dev/tty", "r+")) == NULL)
		return NULL;
	fputs(prompt, f);
	fflush(f);
	if (!echo && tcgetattr(fileno(f), &old) == 0) {
		noecho = old;
		noecho.c_lflag &= ~(tcflag_t)ECHO;
		(void)tcsetattr(fileno(f), TCSAFLUSH, &noecho);
	} else
		echo = 1;
	if (fgets(buf, sizeof(buf), f) != NULL) {
		if ((nl = strchr(buf, '\n')) != NULL)
			*nl = '\0';
		ret = strdup(buf);
	}
	if (!echo) {
		(void)tcsetattr(fileno(f), TCSAFLUSH, &old);
		fputc('\n', f);
	}
	fclose(f);
	mem_wipe(buf, sizeof(buf));
	return ret;
}

void
login_say(const struct login_ui *ui, const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (ui != NULL && ui->say != NULL)
		ui->say(ui->ctx, line);
	else
		fprintf(stderr, "%s\n", line);
}

char *
login_ask(const struct login_ui *ui, const char *prompt, int echo)
{
	if (ui != NULL && ui->ask != NULL)
		return ui->ask(ui->ctx, prompt, echo);
	return read_secret(prompt, echo);
}
