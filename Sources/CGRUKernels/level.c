// The instruction sets the kernels use, detected once.
#include "kernels_internal.h"

#if defined(GRU_ARM64) && defined(__linux__)
#include <sys/auxv.h>
#elif defined(GRU_ARM64) && defined(__APPLE__)
#include <sys/sysctl.h>
#endif

static _Atomic int detected_level = -1;

int gru_kernels_level(void) {
    if (detected_level >= 0) return detected_level;
    int level = 0;
#ifdef GRU_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) level = 2;
    else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) level = 1;
#endif
#ifdef GRU_ARM64
    level = 1;
#endif
    // GRU_KERNELS_LEVEL=0 or 1 caps the level, to test the fallbacks on a newer CPU.
    const char *cap = getenv("GRU_KERNELS_LEVEL");
    if (cap && cap[0] >= '0' && cap[0] < '0' + level) level = cap[0] - '0';
    detected_level = level;
    return level;
}

static _Atomic int detected_bf16 = -1;

int gru_bf16_available(void) {
    if (detected_bf16 >= 0) return detected_bf16;
    int available = 0;
#ifdef GRU_X86
    // The bfloat16 kernels are AVX-512 kernels: a capped level turns them off too.
    available = gru_kernels_level() == 2 && __builtin_cpu_supports("avx512bf16");
#endif
#if defined(GRU_ARM64) && defined(__linux__)
    // BFMMLA (FEAT_BF16), which the kernel reports to processes as HWCAP2_BF16.
    available = gru_kernels_level() == 1 && (getauxval(AT_HWCAP2) & (1ul << 14)) != 0;
#elif defined(GRU_ARM64) && defined(__APPLE__)
    int bf16 = 0;
    size_t size = sizeof bf16;
    available = gru_kernels_level() == 1 && sysctlbyname("hw.optional.arm.FEAT_BF16", &bf16, &size, NULL, 0) == 0 && bf16;
#endif
    detected_bf16 = available;
    return available;
}

int gru_fused_gates_available(void) {
#if defined(GRU_X86)
    return gru_kernels_level() >= 1;
#elif defined(GRU_ARM64)
    return gru_kernels_level() == 1;
#else
    return 0;
#endif
}
