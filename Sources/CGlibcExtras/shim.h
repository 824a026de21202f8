#ifndef CGLIBCEXTRAS_SHIM_H
#define CGLIBCEXTRAS_SHIM_H
/* glibc facilities that Swift's Glibc module does not include. */
/* malloc tuning: mallopt, malloc_trim. */
#include <malloc.h>
#include <sys/prctl.h>

/* Names the calling thread (the first 15 bytes; `top -H` shows it). prctl is variadic, which Swift cannot
   call, and pthread_setname_np needs _GNU_SOURCE before the first glibc header. */
static inline int CGlibcExtras_set_thread_name(const char *name) {
    return prctl(PR_SET_NAME, name, 0, 0, 0);
}
/* Lowers the calling thread's scheduling priority to `nice` (Linux gives each thread its own nice value;
   setpriority with the thread's id sets it for that thread alone). Returns 0 on success. */
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
static inline int CGlibcExtras_set_thread_nice(int nice) {
    return setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), nice);
}
#endif
