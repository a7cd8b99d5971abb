// The barrier and work counter of a team of threads (`ThreadTeam`), in C for its atomics:
// Swift's own (the Synchronization module) need macOS 15, the package supports 14.
#include <sched.h>
#include "CKernels.h"

/// Spins before each yield: about 20 µs on a 3 GHz core, longer than the usual wait of a
/// thread for its partner between two short steps.
enum { spinsBeforeYield = 20000 };

static inline void relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

void nrcc_team_barrier(nrcc_team_state *team, long parties) {
    long generation = __atomic_load_n(&team->generation, __ATOMIC_ACQUIRE);
    if (__atomic_add_fetch(&team->arrived, 1, __ATOMIC_ACQ_REL) == parties) {
        // Nobody leaves before the generation moves, so nobody arrives at the next
        // barrier before the count is back at zero.
        __atomic_store_n(&team->arrived, 0, __ATOMIC_RELAXED);
        __atomic_add_fetch(&team->generation, 1, __ATOMIC_RELEASE);
        return;
    }
    long spins = 0;
    while (__atomic_load_n(&team->generation, __ATOMIC_ACQUIRE) == generation) {
        if (spins < spinsBeforeYield) {
            spins += 1;
            relax();
        } else {
            sched_yield();
        }
    }
}

long nrcc_team_take_ticket(nrcc_team_state *team, long slot) {
    return __atomic_fetch_add(&team->tickets[slot & 1], 1, __ATOMIC_RELAXED);
}

void nrcc_team_reset_tickets(nrcc_team_state *team, long slot) {
    __atomic_store_n(&team->tickets[slot & 1], 0, __ATOMIC_RELAXED);
}
