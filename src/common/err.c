#include "config.h"

#include "common/err.h"

const char *
err_str(int code)
{
	switch (code) {
	case ERR_OK: return "success";
	case ERR_NOT_FOUND: return "not found";
	case ERR_INVALID_ARGUMENT: return "invalid argument";
	case ERR_CONFIG: return "configuration error";
	case ERR_TIMEOUT: return "timed out";
	case ERR_CHILD_FAILED: return "child process failed";
	case ERR_TOO_LONG: return "value too long";
	case ERR_PERMISSION: return "bad owner or permissions";
	case ERR_BUFFER_SHORT: return "read past end of buffer";
	case ERR_INVALID_FORMAT: return "invalid format";
	case ERR_READ_ONLY: return "write to a read-only buffer";
	case ERR_MAC_INVALID: return "message authentication code incorrect";
	case ERR_SIGNATURE_INVALID: return "incorrect signature";
	case ERR_KEY_TYPE_UNKNOWN: return "unknown or unsupported key type";
	case ERR_KEY_INVALID: return "invalid key";
	case ERR_NO_MATCH: return "no match";
	case ERR_AGAIN: return "try again later";
	case ERR_PASSPHRASE_NEEDED: return "passphrase required";
	case ERR_PASSPHRASE_WRONG: return "incorrect passphrase supplied to decrypt private key";
	case ERR_KEY_PERMISSIONS: return "bad permissions on private key file";
	case ERR_PROTOCOL: return "protocol error";
	case ERR_DISCONNECTED: return "disconnected";
	case ERR_HOSTKEY: return "host key verification failed";
	case ERR_AUTH_DENIED: return "permission denied";
	case ERR_NOMEM: return "out of memory";
	case ERR_SYSTEM: return "system call failed";
	case ERR_INTERNAL: return "internal error";
	default: return "unknown error";
	}
}

int
err_is_fatal(int code)
{
	return code <= ERR_FATAL_THRESHOLD;
}
