/* Secret-aware memory helpers: wipes that the compiler may not elide. */
#ifndef SSHBROKER_COMMON_MEM_H
#define SSHBROKER_COMMON_MEM_H

#include <stddef.h>

/* Overwrite len bytes at p with zeros; never optimised away. */
void mem_wipe(void *p, size_t len);

/* mem_wipe then free; accepts NULL. */
void mem_freezero(void *p, size_t len);

/* Compare two buffers in time independent of their contents; 0 if equal. */
int mem_equal_ct(const void *a, const void *b, size_t len);

#endif
