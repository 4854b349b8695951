// quotecast's C shim: the few system interfaces Swift's Glibc module does not expose.
// No _GNU_SOURCE here (it would clash with SwiftGlibc); GNU-only calls are wrapped in shim.c.
#ifndef QUOTECAST_CSHIM_H
#define QUOTECAST_CSHIM_H

#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

/// One CPU relax hint for spin loops (x86 `pause`, arm `yield`).
static inline void qc_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __asm__ __volatile__("pause");
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/// Hints the CPU to fetch the cache line at `address` for reading soon (no fault on any address).
static inline void qc_prefetch(const void *address) { __builtin_prefetch(address, 0, 3); }

/// Names the calling thread (at most 15 bytes are kept), visible in `top -H` and `ps -L`.
int qc_set_thread_name(const char *name);

/// The calling thread's kernel id (gettid).
int qc_gettid(void);

// ---- Fanout: wakeups and CPU accounting (the broadcast ring) ----

/// A new eventfd (counter 0, non-blocking, close-on-exec) used as one waiter's wakeup signal;
/// -1 with errno set on failure.
int qc_wakeup_create(void);

/// Adds 1 to the eventfd's counter, waking a thread blocked in `qc_wakeup_wait` on it.
/// Retries on EINTR; an EAGAIN (counter saturated) already means "signalled". Returns 0 or -errno.
int qc_wakeup_signal(int fd);

/// Blocks until the eventfd is signalled or `timeout_ms` passes (-1: no timeout), then drains it.
/// Returns 1 when signalled, 0 on timeout, -errno on error (EINTR is retried with the full timeout).
int qc_wakeup_wait(int fd, int timeout_ms);

/// Drains the eventfd's counter without blocking (a stale signal would only cause a spurious wakeup).
void qc_wakeup_drain(int fd);

/// Closes the descriptor.
void qc_wakeup_close(int fd);

/// CPU time (user + system) consumed so far by the calling thread, in nanoseconds.
uint64_t qc_thread_cpu_ns(void);

/// CPU time (user + system) consumed so far by the whole process, in nanoseconds (getrusage).
uint64_t qc_process_cpu_ns(void);

/// CLOCK_MONOTONIC in nanoseconds.
uint64_t qc_monotonic_ns(void);


// ---- Sockets: calls that need _GNU_SOURCE (wrapped here, defined in shim.c) ----

/// accept4 with SOCK_NONBLOCK | SOCK_CLOEXEC: a new non-blocking connection, or -1 with errno set.
/// `address`/`length` may be NULL.
int qc_accept_nonblocking(int listener, void *address, unsigned int *length);

// ---- Sockets: UDP multicast (ip_mreqn, batched datagrams; wrapped here, defined in shim.c) ----

/// The index of the interface that holds IPv4 address `address_be` (network byte order), 0 when no
/// interface has it.
int qc_interface_index(uint32_t address_be);

/// Joins multicast `group_be` on the interface with index `ifindex` and address `interface_be`
/// (ip_mreqn, IP_ADD_MEMBERSHIP). 0 or -errno.
int qc_join_group(int fd, uint32_t group_be, uint32_t interface_be, int ifindex);

/// Sends this socket's multicast out of the interface `ifindex` / `interface_be` (IP_MULTICAST_IF
/// with ip_mreqn). 0 or -errno.
int qc_set_multicast_interface(int fd, uint32_t interface_be, int ifindex);

/// Asks for a receive buffer of `bytes`: SO_RCVBUFFORCE first (past rmem_max; needs CAP_NET_ADMIN),
/// else SO_RCVBUF (capped by net.core.rmem_max). Returns the size granted (what getsockopt reports,
/// which the kernel doubles for its bookkeeping) or -errno.
int qc_set_receive_buffer(int fd, int bytes);

/// Like qc_set_receive_buffer, for the send buffer (SO_SNDBUFFORCE, then SO_SNDBUF).
int qc_set_send_buffer(int fd, int bytes);

/// Receives up to `count` (at most 1024) datagrams in one non-blocking recvmmsg. Datagram i lands at
/// `base + i * stride` (at most `stride` bytes); `lengths[i]` gets its length, or -1 when it was longer
/// than `stride` (cut, MSG_TRUNC). `sources` (16 bytes per datagram, sockaddr_in) may be NULL.
/// Returns how many were received, or -errno (-EAGAIN: none waiting). EINTR is retried.
int qc_recv_batch(int fd, void *base, unsigned stride, int32_t *lengths, void *sources, int count);

/// Sends `count` datagrams (datagram i: `lengths[i]` bytes at `pointers[i]`) to `destination`
/// (a 16-byte sockaddr_in, or NULL on a connected socket) with sendmmsg, 256 per call. Returns how
/// many were sent (fewer when the socket filled), or -errno when none was. EINTR is retried.
int qc_send_batch(int fd, const void *const *pointers, const uint32_t *lengths, int count, const void *destination);

#endif
