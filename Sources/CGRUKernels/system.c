// The process around the kernels: aligned and huge-page memory, glibc's allocator
// settings, the CPUs the process may use.
#define _GNU_SOURCE
#include "kernels_internal.h"

#if defined(__linux__)
#include <sched.h>
#endif

#if defined(__linux__)
#include <sys/mman.h>
#endif

void *gru_matrix_alloc(size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    // A packed kernel read at every step should stay in L2, which is indexed by physical
    // address: on 4 KiB pages placed at random some of its sets overflow, and a process
    // can run its products up to twice as slow. A 2 MiB page is contiguous.
    const size_t huge = (size_t)2 << 20;
    if (bytes >= ((size_t)512 << 10)) {
        size_t size = (bytes + huge - 1) / huge * huge;
        void *p = aligned_alloc(huge, size);
        if (p) madvise(p, size, MADV_HUGEPAGE);
        return p;
    }
#endif
    return aligned_alloc(64, (bytes + 63) / 64 * 64);
}

void gru_matrix_free(void *p) { free(p); }

#if defined(__GLIBC__)
#include <malloc.h>
#endif

void gru_kernels_keep_freed_memory(void) {
#if defined(__GLIBC__)
    // Blocks up to 32 MiB come from the heap, and up to 1 GiB of free heap stays mapped.
    mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 1024 * 1024 * 1024);
#endif
}

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

static _Thread_local int thread_budget = 0;

int gru_kernels_thread_budget(void) { return thread_budget; }

void gru_kernels_set_thread_budget(int count) { thread_budget = count > 0 ? count : 0; }
