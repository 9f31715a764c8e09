#ifndef STREAMPROBE_ALLOCATION_COUNTER_H
#define STREAMPROBE_ALLOCATION_COUNTER_H

/// Counts the calling thread's malloc, calloc and realloc calls between start and stop (tests only).
/// Works on glibc without sanitizers: the test binary defines malloc, calloc and realloc, which count
/// and forward to glibc's own (__libc_malloc, …). Elsewhere available() is 0 and the count stays 0.
int streamprobe_allocation_counting_available(void);
void streamprobe_allocations_start(void);
long streamprobe_allocations_stop(void);

#endif
