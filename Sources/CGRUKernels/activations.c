// Bulk activations: sigmoid and tanh over a buffer, vectorised with AVX-512, AVX2 or NEON.
#include "kernels_internal.h"

#ifdef GRU_X86
__attribute__((target("avx512f")))
static void sigmoid512(float *x, long n) {
    for (long i = 0; i < n; i += 16) {
        __mmask16 mask = unit_mask(n, i);
        _mm512_mask_storeu_ps(x + i, mask, sigmoid_v(_mm512_maskz_loadu_ps(mask, x + i)));
    }
}

__attribute__((target("avx512f")))
static void tanh512(float *x, long n) {
    for (long i = 0; i < n; i += 16) {
        __mmask16 mask = unit_mask(n, i);
        _mm512_mask_storeu_ps(x + i, mask, tanh_v(_mm512_maskz_loadu_ps(mask, x + i)));
    }
}
#endif

#ifdef GRU_X86
__attribute__((target("avx2,fma")))
static void sigmoid256_buffer(float *x, long n) {
    for (long i = 0; i < n; i += 8) store256(x + i, n - i, sigmoid256(load256(x + i, n - i)));
}

__attribute__((target("avx2,fma")))
static void tanh256_buffer(float *x, long n) {
    for (long i = 0; i < n; i += 8) store256(x + i, n - i, tanh256(load256(x + i, n - i)));
}
#endif

#ifdef GRU_ARM64
static void sigmoid_neon_buffer(float *x, long n) {
    for (long i = 0; i < n; i += 4) store_neon(x + i, n - i, sigmoid_neon(load_neon(x + i, n - i)));
}

static void tanh_neon_buffer(float *x, long n) {
    for (long i = 0; i < n; i += 4) store_neon(x + i, n - i, tanh_neon(load_neon(x + i, n - i)));
}
#endif

void gru_sigmoid(float *x, long n) {
#ifdef GRU_X86
    if (gru_kernels_level() == 2) { sigmoid512(x, n); return; }
    if (gru_kernels_level() == 1) { sigmoid256_buffer(x, n); return; }
#endif
#ifdef GRU_ARM64
    if (gru_kernels_level() == 1) { sigmoid_neon_buffer(x, n); return; }
#endif
    for (long i = 0; i < n; i++) x[i] = x[i] >= 0 ? 1.0f / (1.0f + expf(-x[i])) : expf(x[i]) / (1.0f + expf(x[i]));
}

void gru_tanh(float *x, long n) {
#ifdef GRU_X86
    if (gru_kernels_level() == 2) { tanh512(x, n); return; }
    if (gru_kernels_level() == 1) { tanh256_buffer(x, n); return; }
#endif
#ifdef GRU_ARM64
    if (gru_kernels_level() == 1) { tanh_neon_buffer(x, n); return; }
#endif
    for (long i = 0; i < n; i++) x[i] = tanhf(x[i]);
}
