/*
 * Finding and running sshbroker-core (broker.h).
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "broker/broker.h"

#define CORE_NAME "sshbroker-core"

char *
core_path(char *buf, size_t len)
{
	char self[PATH_MAX], *slash;
	ssize_t n;

	/* beside ourselves: src/ of a build tree, or the core itself */
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/')) != NULL) {
			*slash = '\0';
			if ((size_t)snprintf(buf, len, "%s/%s", self, CORE_NAME) <
			    len && access(buf, X_OK) == 0)
				return buf;
		}
	}
	if ((size_t)snprintf(buf, len, "%s/%s", PKGLIBEXECDIR, CORE_NAME) < len &&
	    access(buf, X_OK) == 0)
		return buf;
	return NULL;
}

int
core_exec(char **argv)
{
	char path[PATH_MAX];

	if (core_path(path, sizeof(path)) == NULL) {
		fprintf(stderr, "sshbroker: %s not found next to this program "
		    "or in %s\n", CORE_NAME, PKGLIBEXECDIR);
		return 255;
	}
	execv(path, argv);
	fprintf(stderr, "sshbroker: cannot run %s: %s\n", path,
	    strerror(errno));
	return 255;
}
