// Shared by the kernel files, not part of the module's interface: the instruction-set
// switch, the blocking sizes and the AVX-512 and NEON element-wise helpers.
#ifndef GRU_KERNELS_INTERNAL_H
#define GRU_KERNELS_INTERNAL_H

#include "gru_kernels.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(_M_X64)
#define GRU_X86 1
#include <immintrin.h>
#endif

// Levels: 0 portable C everywhere; on x86 1 AVX2 + FMA and 2 AVX-512; on aarch64 1 NEON
// (Advanced SIMD, on every aarch64 CPU).
#if defined(__aarch64__) || defined(_M_ARM64)
#define GRU_ARM64 1
#include <arm_neon.h>
#endif

// Blocking: the packed panels of B are KC x NR, those of A MR x KC.
#define KC 512
#define MC 128
// Products with at most this many rows read B as it is stored rather than packing it.
#define DIRECT_B_ROWS 256

static inline long nr_for(int level) { return level == 2 ? 48 : 16; }
static inline long mr_for(int level) { return level == 2 ? 8 : 6; }

#ifdef GRU_X86
// exp(x) for x in [-88, 88]: 2^(x log2 e) split into integer and fraction, with a
// degree-6 polynomial for 2^f (relative error below 2e-7).
__attribute__((target("avx512f")))
static inline __m512 exp512(__m512 x) {
    x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-87.3f)), _mm512_set1_ps(88.3f));
    __m512 t = _mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f));
    __m512 n = _mm512_roundscale_ps(t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 f = _mm512_sub_ps(t, n);
    __m512 p = _mm512_set1_ps(1.535336188319500e-4f);
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.339887440266574e-3f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(9.618437357674640e-3f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(5.550332471162809e-2f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(2.402264791363012e-1f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(6.931472028550421e-1f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.0f));
    return _mm512_scalef_ps(p, n);
}

// 1 / d from the 14-bit estimate and one Newton step (relative error about 2^-23), much
// cheaper than a division.
__attribute__((target("avx512f")))
static inline __m512 reciprocal_v(__m512 d) {
    __m512 r = _mm512_rcp14_ps(d);
    return _mm512_mul_ps(r, _mm512_fnmadd_ps(d, r, _mm512_set1_ps(2.0f)));
}

__attribute__((target("avx512f")))
static inline __m512 sigmoid_v(__m512 v) {
    __m512 one = _mm512_set1_ps(1.0f);
    return reciprocal_v(_mm512_add_ps(one, exp512(_mm512_sub_ps(_mm512_setzero_ps(), v))));
}

__attribute__((target("avx512f")))
static inline __m512 tanh_v(__m512 v) {
    __m512 one = _mm512_set1_ps(1.0f);
    __m512 a = _mm512_abs_ps(v);
    __m512 e = exp512(_mm512_mul_ps(a, _mm512_set1_ps(-2.0f)));
    __m512 r = _mm512_mul_ps(_mm512_sub_ps(one, e), reciprocal_v(_mm512_add_ps(one, e)));
    __m512 v2 = _mm512_mul_ps(v, v);
    __m512 small = _mm512_fmadd_ps(_mm512_fmadd_ps(v2, _mm512_set1_ps(2.0f / 15.0f), _mm512_set1_ps(-1.0f / 3.0f)), _mm512_mul_ps(v2, a), a);
    __mmask16 tiny = _mm512_cmp_ps_mask(a, _mm512_set1_ps(0.0045f), _CMP_LT_OQ);
    r = _mm512_mask_blend_ps(tiny, r, small);
    __m512i sign = _mm512_and_si512(_mm512_castps_si512(v), _mm512_set1_epi32((int)0x80000000));
    return _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(r), sign));
}

// The AVX2 + FMA versions of the helpers above, eight lanes: the same clamp, split and
// polynomial for exp, 2^n built from its exponent bits, exact divisions.
__attribute__((target("avx2,fma")))
static inline __m256 exp256(__m256 x) {
    x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.3f)), _mm256_set1_ps(88.3f));
    __m256 t = _mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f));
    __m256 n = _mm256_round_ps(t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 f = _mm256_sub_ps(t, n);
    __m256 p = _mm256_set1_ps(1.535336188319500e-4f);
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(1.339887440266574e-3f));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(9.618437357674640e-3f));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(5.550332471162809e-2f));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(2.402264791363012e-1f));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(6.931472028550421e-1f));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(1.0f));
    __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
}

__attribute__((target("avx2,fma")))
static inline __m256 sigmoid256(__m256 v) {
    __m256 one = _mm256_set1_ps(1.0f);
    return _mm256_div_ps(one, _mm256_add_ps(one, exp256(_mm256_sub_ps(_mm256_setzero_ps(), v))));
}

__attribute__((target("avx2,fma")))
static inline __m256 tanh256(__m256 v) {
    __m256 one = _mm256_set1_ps(1.0f);
    __m256 sign_bit = _mm256_set1_ps(-0.0f);
    __m256 a = _mm256_andnot_ps(sign_bit, v);
    __m256 e = exp256(_mm256_mul_ps(a, _mm256_set1_ps(-2.0f)));
    __m256 r = _mm256_div_ps(_mm256_sub_ps(one, e), _mm256_add_ps(one, e));
    __m256 v2 = _mm256_mul_ps(v, v);
    __m256 small = _mm256_fmadd_ps(_mm256_fmadd_ps(v2, _mm256_set1_ps(2.0f / 15.0f), _mm256_set1_ps(-1.0f / 3.0f)), _mm256_mul_ps(v2, a), a);
    r = _mm256_blendv_ps(r, small, _mm256_cmp_ps(a, _mm256_set1_ps(0.0045f), _CMP_LT_OQ));
    return _mm256_or_ps(r, _mm256_and_ps(v, sign_bit));
}

// The first w (up to 8) values at p, the others 0; and their store.
__attribute__((target("avx2,fma")))
static inline __m256 load256(const float *p, long w) {
    if (w >= 8) return _mm256_loadu_ps(p);
    float lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (long i = 0; i < w; i++) lanes[i] = p[i];
    return _mm256_loadu_ps(lanes);
}

__attribute__((target("avx2,fma")))
static inline void store256(float *p, long w, __m256 v) {
    if (w >= 8) { _mm256_storeu_ps(p, v); return; }
    float lanes[8];
    _mm256_storeu_ps(lanes, v);
    for (long i = 0; i < w; i++) p[i] = lanes[i];
}

// The lanes of the 16 units from j on that are below u.
static inline __mmask16 unit_mask(long u, long j) {
    long w = u - j < 16 ? u - j : 16;
    return w == 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << w) - 1);
}
#endif

#ifdef GRU_ARM64
// exp(x) as exp512: the same clamp, split and polynomial; 2^n built from its exponent bits
// (n stays within [-126, 127] after the clamp).
static inline float32x4_t exp_neon(float32x4_t x) {
    x = vminq_f32(vmaxq_f32(x, vdupq_n_f32(-87.3f)), vdupq_n_f32(88.3f));
    float32x4_t t = vmulq_f32(x, vdupq_n_f32(1.44269504088896341f));
    float32x4_t n = vrndnq_f32(t);
    float32x4_t f = vsubq_f32(t, n);
    float32x4_t p = vdupq_n_f32(1.535336188319500e-4f);
    p = vfmaq_f32(vdupq_n_f32(1.339887440266574e-3f), p, f);
    p = vfmaq_f32(vdupq_n_f32(9.618437357674640e-3f), p, f);
    p = vfmaq_f32(vdupq_n_f32(5.550332471162809e-2f), p, f);
    p = vfmaq_f32(vdupq_n_f32(2.402264791363012e-1f), p, f);
    p = vfmaq_f32(vdupq_n_f32(6.931472028550421e-1f), p, f);
    p = vfmaq_f32(vdupq_n_f32(1.0f), p, f);
    int32x4_t bits = vshlq_n_s32(vaddq_s32(vcvtq_s32_f32(n), vdupq_n_s32(127)), 23);
    return vmulq_f32(p, vreinterpretq_f32_s32(bits));
}

static inline float32x4_t sigmoid_neon(float32x4_t v) {
    float32x4_t one = vdupq_n_f32(1.0f);
    return vdivq_f32(one, vaddq_f32(one, exp_neon(vnegq_f32(v))));
}

// tanh as tanh_v: (1 - e) / (1 + e) with e = exp(-2|v|), a short series below 0.0045, the
// sign put back.
static inline float32x4_t tanh_neon(float32x4_t v) {
    float32x4_t one = vdupq_n_f32(1.0f);
    float32x4_t a = vabsq_f32(v);
    float32x4_t e = exp_neon(vmulq_f32(a, vdupq_n_f32(-2.0f)));
    float32x4_t r = vdivq_f32(vsubq_f32(one, e), vaddq_f32(one, e));
    float32x4_t v2 = vmulq_f32(v, v);
    float32x4_t series = vfmaq_f32(vdupq_n_f32(-1.0f / 3.0f), v2, vdupq_n_f32(2.0f / 15.0f));
    float32x4_t small = vfmaq_f32(a, series, vmulq_f32(v2, a));
    r = vbslq_f32(vcltq_f32(a, vdupq_n_f32(0.0045f)), small, r);
    uint32x4_t sign = vandq_u32(vreinterpretq_u32_f32(v), vdupq_n_u32(0x80000000u));
    return vreinterpretq_f32_u32(vorrq_u32(vreinterpretq_u32_f32(r), sign));
}

// The first w (up to 4) values at p, the others 0: the tail of a row computed with the same
// vector math as its body.
static inline float32x4_t load_neon(const float *p, long w) {
    if (w >= 4) return vld1q_f32(p);
    float lanes[4] = {0, 0, 0, 0};
    for (long i = 0; i < w; i++) lanes[i] = p[i];
    return vld1q_f32(lanes);
}

static inline void store_neon(float *p, long w, float32x4_t v) {
    if (w >= 4) { vst1q_f32(p, v); return; }
    float lanes[4];
    vst1q_f32(lanes, v);
    for (long i = 0; i < w; i++) p[i] = lanes[i];
}
#endif

#endif
