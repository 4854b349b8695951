#define _GNU_SOURCE
#include "CShim.h"
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

int qc_set_thread_name(const char *name) {
    char buf[16];
    int i = 0;
    for (; i < 15 && name[i]; i++) buf[i] = name[i];
    buf[i] = 0;
    return pthread_setname_np(pthread_self(), buf);
}

int qc_gettid(void) { return (int)syscall(SYS_gettid); }
