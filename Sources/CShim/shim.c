#define _GNU_SOURCE
#include "CShim.h"
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <errno.h>
#include <poll.h>
#include <time.h>
#include <sys/resource.h>
#include <sys/socket.h>

int qc_set_thread_name(const char *name) {
    char buf[16];
    int i = 0;
    for (; i < 15 && name[i]; i++) buf[i] = name[i];
    buf[i] = 0;
    return pthread_setname_np(pthread_self(), buf);
}

int qc_gettid(void) { return (int)syscall(SYS_gettid); }

int qc_wakeup_create(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

int qc_wakeup_signal(int fd) {
    uint64_t one = 1;
    for (;;) {
        ssize_t n = write(fd, &one, sizeof one);
        if (n == (ssize_t)sizeof one) return 0;
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return 0;
        return n < 0 ? -errno : -EIO;
    }
}

void qc_wakeup_drain(int fd) {
    uint64_t value;
    while (read(fd, &value, sizeof value) < 0 && errno == EINTR) {}
}

int qc_wakeup_wait(int fd, int timeout_ms) {
    struct pollfd p = { .fd = fd, .events = POLLIN, .revents = 0 };
    for (;;) {
        int n = poll(&p, 1, timeout_ms);
        if (n > 0) { qc_wakeup_drain(fd); return 1; }
        if (n == 0) return 0;
        if (errno == EINTR) continue;
        return -errno;
    }
}

void qc_wakeup_close(int fd) { close(fd); }

static uint64_t qc_timeval_ns(struct timeval tv) {
    return (uint64_t)tv.tv_sec * 1000000000ull + (uint64_t)tv.tv_usec * 1000ull;
}

uint64_t qc_thread_cpu_ns(void) {
    // CLOCK_THREAD_CPUTIME_ID counts in nanoseconds; getrusage(RUSAGE_THREAD) only moves at the
    // scheduler tick (4 ms here), too coarse to time one compression.
    struct timespec t;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t) != 0) return 0;
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

uint64_t qc_process_cpu_ns(void) {
    struct rusage u;
    if (getrusage(RUSAGE_SELF, &u) != 0) return 0;
    return qc_timeval_ns(u.ru_utime) + qc_timeval_ns(u.ru_stime);
}

uint64_t qc_monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int qc_accept_nonblocking(int listener, void *address, unsigned int *length) {
    return accept4(listener, (struct sockaddr *)address, (socklen_t *)length, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

// ---- UDP multicast ----
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>

int qc_interface_index(uint32_t address_be) {
    struct ifaddrs *list = NULL;
    if (getifaddrs(&list) != 0) return 0;
    int index = 0;
    for (struct ifaddrs *a = list; a; a = a->ifa_next) {
        if (!a->ifa_addr || a->ifa_addr->sa_family != AF_INET) continue;
        if (((struct sockaddr_in *)a->ifa_addr)->sin_addr.s_addr == address_be) {
            index = (int)if_nametoindex(a->ifa_name);
            break;
        }
    }
    freeifaddrs(list);
    return index;
}

int qc_join_group(int fd, uint32_t group_be, uint32_t interface_be, int ifindex) {
    struct ip_mreqn m;
    memset(&m, 0, sizeof m);
    m.imr_multiaddr.s_addr = group_be;
    m.imr_address.s_addr = interface_be;
    m.imr_ifindex = ifindex;
    return setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof m) == 0 ? 0 : -errno;
}

int qc_set_multicast_interface(int fd, uint32_t interface_be, int ifindex) {
    struct ip_mreqn m;
    memset(&m, 0, sizeof m);
    m.imr_address.s_addr = interface_be;
    m.imr_ifindex = ifindex;
    return setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &m, sizeof m) == 0 ? 0 : -errno;
}

static int qc_set_buffer(int fd, int force, int plain, int bytes) {
    if (setsockopt(fd, SOL_SOCKET, force, &bytes, sizeof bytes) != 0) {
        if (setsockopt(fd, SOL_SOCKET, plain, &bytes, sizeof bytes) != 0) return -errno;
    }
    int granted = 0;
    socklen_t length = sizeof granted;
    if (getsockopt(fd, SOL_SOCKET, plain, &granted, &length) != 0) return -errno;
    return granted;
}

int qc_set_receive_buffer(int fd, int bytes) { return qc_set_buffer(fd, SO_RCVBUFFORCE, SO_RCVBUF, bytes); }
int qc_set_send_buffer(int fd, int bytes) { return qc_set_buffer(fd, SO_SNDBUFFORCE, SO_SNDBUF, bytes); }

int qc_recv_batch(int fd, void *base, unsigned stride, int32_t *lengths, void *sources, int count) {
    if (count > 1024) count = 1024;
    if (count <= 0) return 0;
    struct mmsghdr headers[count];
    struct iovec vectors[count];
    memset(headers, 0, sizeof(struct mmsghdr) * (size_t)count);
    for (int i = 0; i < count; i++) {
        vectors[i].iov_base = (char *)base + (size_t)i * stride;
        vectors[i].iov_len = stride;
        headers[i].msg_hdr.msg_iov = &vectors[i];
        headers[i].msg_hdr.msg_iovlen = 1;
        if (sources) {
            headers[i].msg_hdr.msg_name = (char *)sources + (size_t)i * sizeof(struct sockaddr_in);
            headers[i].msg_hdr.msg_namelen = sizeof(struct sockaddr_in);
        }
    }
    int n;
    do { n = recvmmsg(fd, headers, (unsigned)count, MSG_DONTWAIT, NULL); } while (n < 0 && errno == EINTR);
    if (n < 0) return -errno;
    for (int i = 0; i < n; i++) {
        lengths[i] = (headers[i].msg_hdr.msg_flags & MSG_TRUNC) ? -1 : (int32_t)headers[i].msg_len;
    }
    return n;
}

int qc_send_batch(int fd, const void *const *pointers, const uint32_t *lengths, int count, const void *destination) {
    enum { chunk = 256 };
    struct mmsghdr headers[chunk];
    struct iovec vectors[chunk];
    int sent = 0;
    while (sent < count) {
        int k = count - sent < chunk ? count - sent : chunk;
        memset(headers, 0, sizeof(struct mmsghdr) * (size_t)k);
        for (int i = 0; i < k; i++) {
            vectors[i].iov_base = (void *)pointers[sent + i];
            vectors[i].iov_len = lengths[sent + i];
            headers[i].msg_hdr.msg_iov = &vectors[i];
            headers[i].msg_hdr.msg_iovlen = 1;
            if (destination) {
                headers[i].msg_hdr.msg_name = (void *)destination;
                headers[i].msg_hdr.msg_namelen = sizeof(struct sockaddr_in);
            }
        }
        int n;
        do { n = sendmmsg(fd, headers, (unsigned)k, 0); } while (n < 0 && errno == EINTR);
        if (n < 0) return sent > 0 ? sent : -errno;
        sent += n;
        if (n < k) break;
    }
    return sent;
}
