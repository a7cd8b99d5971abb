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

int nrcc_cpu_has_bfloat16_products(void) {
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512bf16") ? 1 : 0;
#else
    return 0;
#endif
}
