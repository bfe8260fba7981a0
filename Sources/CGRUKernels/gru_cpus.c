#define _GNU_SOURCE
#include "gru_kernels.h"

#if defined(__linux__)
#include <sched.h>
#endif

int gru_kernels_affinity_cpus(void) {
#if defined(__linux__)
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0) return 0;
    return CPU_COUNT(&set);
#else
    return 0;
#endif
}
