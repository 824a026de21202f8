/* ThreadSanitizer does not know threads started by C11 thrd_create (glibc creates them without going
 * through pthread_create, which TSan intercepts), and librdkafka starts all of its threads that way: the
 * first allocation on such a thread crashes TSan (llvm/llvm-project#199585). scripts/sanitize.sh preloads
 * these, which start, join and detach the threads with the pthread calls TSan intercepts, so it sees each
 * thread's whole life (glibc's own thrd_join does not tell TSan, which then finds a reused thread id still
 * "live" and aborts). thrd_exit needs nothing: the int result travels in the void*, as in glibc. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <threads.h>

struct start {
    thrd_start_t function;
    void *argument;
};

static void *trampoline(void *context) {
    struct start start = *(struct start *)context;
    free(context);
    return (void *)(intptr_t)start.function(start.argument);
}

int thrd_create(thrd_t *thread, thrd_start_t function, void *argument) {
    struct start *start = malloc(sizeof *start);
    if (start == NULL) return thrd_nomem;
    start->function = function;
    start->argument = argument;
    int error = pthread_create((pthread_t *)thread, NULL, trampoline, start);
    if (error != 0) {
        free(start);
        return thrd_error;
    }
    return thrd_success;
}

int thrd_join(thrd_t thread, int *result) {
    void *value;
    if (pthread_join((pthread_t)thread, &value) != 0) return thrd_error;
    if (result != NULL) *result = (int)(intptr_t)value;
    return thrd_success;
}

int thrd_detach(thrd_t thread) {
    return pthread_detach((pthread_t)thread) == 0 ? thrd_success : thrd_error;
}
