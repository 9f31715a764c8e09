#ifndef STREAMPROBE_CPCAP_SHIM_H
#define STREAMPROBE_CPCAP_SHIM_H

#include <pcap/pcap.h>
#include <poll.h>
#include <errno.h>

/* Sequentially consistent loads and stores on plain ints, usable from a signal handler
   (lock-free on every supported platform). Swift's Synchronization.Atomic needs macOS 15. */
static inline void streamprobe_atomic_store(int *p, int v) { __atomic_store_n(p, v, __ATOMIC_SEQ_CST); }
static inline int streamprobe_atomic_load(const int *p) { return __atomic_load_n(p, __ATOMIC_SEQ_CST); }
static inline int streamprobe_atomic_exchange(int *p, int v) { return __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST); }
static inline int streamprobe_atomic_add(int *p, int v) { return __atomic_add_fetch(p, v, __ATOMIC_SEQ_CST); }

#endif
