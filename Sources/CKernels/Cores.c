// The cores this process may run on, which only C can ask Linux for (CPU_COUNT is a macro),
// and an atomic counter for the queues that spread work over them.
#define _GNU_SOURCE
#include <sched.h>
#include <unistd.h>
#include "CKernels.h"

long nrcc_available_cores(void) {
#ifdef __linux__
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        int count = CPU_COUNT(&set);
        if (count > 0) return count;
    }
#endif
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    return online > 0 ? online : 1;
}

long nrcc_take_next(long *counter) {
    return __atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
}
