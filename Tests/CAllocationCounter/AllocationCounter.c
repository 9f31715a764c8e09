#include <stddef.h>
#include <stdlib.h>  // glibc's <features.h>: __GLIBC__
#include "AllocationCounter.h"

#if defined(__has_feature)
#  if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#    define STREAMPROBE_SANITIZED 1
#  endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#  define STREAMPROBE_SANITIZED 1
#endif

#if defined(__linux__) && defined(__GLIBC__) && !defined(STREAMPROBE_SANITIZED)

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);

// Per thread, so that other threads' allocations do not count; initial-exec so that reading them
// never allocates (this file is linked into the test executable).
static __thread int counting __attribute__((tls_model("initial-exec")));
static __thread long allocations __attribute__((tls_model("initial-exec")));

void *malloc(size_t size) {
    if (counting) allocations += 1;
    return __libc_malloc(size);
}

void *calloc(size_t count, size_t size) {
    if (counting) allocations += 1;
    return __libc_calloc(count, size);
}

void *realloc(void *pointer, size_t size) {
    if (counting) allocations += 1;
    return __libc_realloc(pointer, size);
}

int streamprobe_allocation_counting_available(void) { return 1; }

void streamprobe_allocations_start(void) {
    allocations = 0;
    counting = 1;
}

long streamprobe_allocations_stop(void) {
    counting = 0;
    return allocations;
}

#else

int streamprobe_allocation_counting_available(void) { return 0; }
void streamprobe_allocations_start(void) {}
long streamprobe_allocations_stop(void) { return 0; }

#endif
