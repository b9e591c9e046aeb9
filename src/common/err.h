/*
 * One error enum for the whole project.
 *
 * Functions return ERR_OK (0) or a negative code.  The code's class tells
 * the caller what to do: codes at or below ERR_FATAL_THRESHOLD mean the
 * object that returned them (a transport, a parser run) is dead and may only
 * be freed; codes above it mean that one request failed and the object can
 * still be used.
 */
#ifndef SSHBROKER_COMMON_ERR_H
#define SSHBROKER_COMMON_ERR_H

enum err_code {
	ERR_OK = 0,
	/* request-level failures */
	ERR_NOT_FOUND = -1,
	ERR_INVALID_ARGUMENT = -2,
	ERR_CONFIG = -3,        /* a configuration error, already reported */
	ERR_TIMEOUT = -4,
	ERR_CHILD_FAILED = -5,  /* a child could not be run or died oddly */
	ERR_TOO_LONG = -6,
	ERR_PERMISSION = -7,
	ERR_BUFFER_SHORT = -8,  /* a read past the end of a buffer */
	ERR_INVALID_FORMAT = -9,/* malformed encoded data */
	ERR_READ_ONLY = -10,    /* a write to a read-only buffer view */
	ERR_MAC_INVALID = -11,  /* a message authentication check failed */
	ERR_SIGNATURE_INVALID = -12,
	ERR_KEY_TYPE_UNKNOWN = -13,
	ERR_KEY_INVALID = -14,  /* a malformed or weak key */
	ERR_NO_MATCH = -15,     /* no common algorithm, no known_hosts entry */
	ERR_AGAIN = -16,        /* not now: wait for an event or more input */
	ERR_PASSPHRASE_NEEDED = -17, /* a private key is encrypted */
	ERR_PASSPHRASE_WRONG = -18,  /* it did not decrypt with this one */
	ERR_KEY_PERMISSIONS = -19,   /* a private key others can read */
	/* fatal: past this the object is dead */
	ERR_FATAL_THRESHOLD = -100,
	ERR_NOMEM = -101,
	ERR_SYSTEM = -102,      /* errno holds the cause */
	ERR_INTERNAL = -103,
	ERR_PROTOCOL = -104,    /* the peer broke the protocol */
	ERR_DISCONNECTED = -105,/* the peer went away or said goodbye */
	ERR_HOSTKEY = -106,     /* the host key was refused */
	ERR_AUTH_DENIED = -107, /* no authentication method succeeded */
};

/* A short static description of code; never NULL. */
const char *err_str(int code);

/* Non-zero when code means the object that returned it is unusable. */
int err_is_fatal(int code);

#endif
