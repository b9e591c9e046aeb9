/*
 * The project's one byte buffer, and the SSH wire encoding (RFC 4251
 * section 5) on top of it.
 *
 * A buffer is a bounded byte array with a read position: appends go to the
 * end, reads consume from the front, and buf_len()/buf_ptr() describe the
 * unread part.  Every read is bounds-checked and fails with
 * ERR_BUFFER_SHORT (nothing consumed) or ERR_INVALID_FORMAT; nothing is
 * ever silently truncated.  A buffer made with buf_new_secret() wipes its
 * storage whenever it is released or reset.  Read-only views
 * (buf_new_view(), buf_get_view()) alias another buffer's bytes without
 * copying and refuse writes.
 *
 * The storage always keeps one spare byte so that buf_cstr() can hand out
 * a NUL-terminated view of the unread bytes without copying.
 */
#ifndef SSHBROKER_COMMON_BUF_H
#define SSHBROKER_COMMON_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

struct buf;

#define BUF_DEFAULT_MAX (16u * 1024 * 1024)
/* No SSH string we accept is longer than a packet. */
#define BUF_MAX_STRING (256u * 1024)

/* A new empty buffer that may grow to max bytes (0: BUF_DEFAULT_MAX).
 * Returns NULL when out of memory.  Caller frees with buf_free(). */
struct buf *buf_new(size_t max);
/* As buf_new(), but every release of storage wipes it first. */
struct buf *buf_new_secret(size_t max);
/* A read-only view of len bytes at data, which must outlive the view. */
struct buf *buf_new_view(const void *data, size_t len);
/* Frees b (wiping it if secret); accepts NULL. */
void buf_free(struct buf *b);
/* Gives back the storage of an empty b (wiped if secret); it grows
 * again when written.  A buffer with unread bytes is left alone. */
void buf_trim(struct buf *b);
/* Empties b, keeping its storage (wiped if secret). */
void buf_reset(struct buf *b);

/* The unread bytes. */
size_t buf_len(const struct buf *b);
/* Pointer to the unread bytes; valid until the next call that modifies b. */
const unsigned char *buf_ptr(const struct buf *b);
/* The unread bytes as a NUL-terminated string (contents may hold NULs);
 * valid until the next call that modifies b.  Not for views. */
const char *buf_cstr(const struct buf *b);
/* A malloc'ed NUL-terminated copy of the unread bytes; caller frees.
 * NULL when out of memory. */
char *buf_dup_cstr(const struct buf *b);

/* ---- appending.  Each returns ERR_OK, ERR_TOO_LONG past the maximum
 * size, ERR_READ_ONLY for a view, or ERR_NOMEM; on error b is unchanged. */
int buf_put(struct buf *b, const void *data, size_t len);
int buf_put_u8(struct buf *b, unsigned char c);
int buf_put_cstr(struct buf *b, const char *s);
int buf_putf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int buf_vputf(struct buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* Makes room for len bytes at the end and returns a pointer to them in
 * *dstp (valid until the next call that modifies b); the bytes count as
 * written. */
int buf_reserve(struct buf *b, size_t len, unsigned char **dstp);

/* SSH encodings */
int buf_put_bool(struct buf *b, int v);
int buf_put_u32(struct buf *b, uint32_t v);
int buf_put_u64(struct buf *b, uint64_t v);
/* string: uint32 length, then the bytes */
int buf_put_string(struct buf *b, const void *data, size_t len);
int buf_put_cstring(struct buf *b, const char *s);
/* the unread bytes of src as one string */
int buf_put_stringb(struct buf *b, const struct buf *src);
/* mpint from a big-endian unsigned magnitude: leading zeros stripped, a
 * zero byte added when the top bit is set, zero as the empty string */
int buf_put_bignum_bytes(struct buf *b, const unsigned char *mag, size_t len);

/* ---- consuming.  ERR_BUFFER_SHORT: fewer bytes than needed (nothing is
 * consumed).  ERR_INVALID_FORMAT: malformed (a string with a NUL where a
 * C string is wanted, a negative or non-minimal mpint, a string longer
 * than BUF_MAX_STRING).  Output pointers may be NULL to skip a value. */
int buf_consume(struct buf *b, size_t len);
/* Drops len bytes from the end of the unread part. */
int buf_consume_end(struct buf *b, size_t len);
int buf_get(struct buf *b, void *dst, size_t len);
int buf_get_u8(struct buf *b, unsigned char *v);
int buf_get_bool(struct buf *b, int *v);
int buf_get_u32(struct buf *b, uint32_t *v);
int buf_get_u64(struct buf *b, uint64_t *v);
/* A string, malloc'ed with a NUL appended (caller frees). */
int buf_get_string(struct buf *b, unsigned char **valp, size_t *lenp);
/* A string that must hold no NUL, as a C string (caller frees). */
int buf_get_cstring(struct buf *b, char **valp, size_t *lenp);
/* A string, as a pointer into b: valid until b is next modified. */
int buf_get_string_direct(struct buf *b, const unsigned char **valp,
    size_t *lenp);
/* As buf_get_string_direct() without consuming. */
int buf_peek_string_direct(const struct buf *b, const unsigned char **valp,
    size_t *lenp);
/* A string as a read-only view (caller frees the view; it aliases b's
 * storage, so b must not be modified or freed while the view lives). */
int buf_get_view(struct buf *b, struct buf **viewp);
/* An mpint that must be non-negative, as a pointer to its magnitude with
 * leading zeros stripped (valid until b is next modified). */
int buf_get_bignum_bytes_direct(struct buf *b, const unsigned char **valp,
    size_t *lenp);

/* ---- big-endian helpers for fixed-size fields */
uint32_t buf_peek_u32_raw(const unsigned char *p);
void buf_poke_u32_raw(unsigned char *p, uint32_t v);

#endif
