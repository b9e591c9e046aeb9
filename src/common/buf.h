/*
 * The project's one byte buffer.
 *
 * A growable, bounded byte array.  Text producers (printers, token
 * expansion) and, later, the SSH wire codec all build on it.  A buffer
 * created with buf_new_secret() is wiped whenever its storage is released.
 * The storage always keeps one spare byte so that buf_cstr() can hand out a
 * NUL-terminated view without copying.
 */
#ifndef SSHBROKER_COMMON_BUF_H
#define SSHBROKER_COMMON_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf;

#define BUF_DEFAULT_MAX (16u * 1024 * 1024)

/* A new empty buffer that may grow to max bytes (0: BUF_DEFAULT_MAX).
 * Returns NULL when out of memory.  Caller frees with buf_free(). */
struct buf *buf_new(size_t max);
/* As buf_new(), but every release of storage wipes it first. */
struct buf *buf_new_secret(size_t max);
/* Frees b (wiping it if secret); accepts NULL. */
void buf_free(struct buf *b);
/* Empties b, keeping its storage (wiped if secret). */
void buf_reset(struct buf *b);

size_t buf_len(const struct buf *b);
/* Pointer to the contents; valid until the next call that modifies b. */
const unsigned char *buf_ptr(const struct buf *b);
/* The contents as a NUL-terminated string (contents may hold NULs);
 * valid until the next call that modifies b. */
const char *buf_cstr(const struct buf *b);
/* A malloc'ed NUL-terminated copy of the contents; caller frees.
 * NULL when out of memory. */
char *buf_dup_cstr(const struct buf *b);

/* Appending.  Each returns ERR_OK, ERR_TOO_LONG past the maximum size, or
 * ERR_NOMEM.  On error b is unchanged. */
int buf_put(struct buf *b, const void *data, size_t len);
int buf_put_u8(struct buf *b, unsigned char c);
int buf_put_cstr(struct buf *b, const char *s);
int buf_putf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int buf_vputf(struct buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

#endif
