// Optimizer updates over a weight's entries, vectorised with AVX-512, AVX2 or NEON.
//
// Each entry is updated on its own with operations that round on their own (no fused
// multiply-add: contraction is off in this file), and IEEE square root and division are
// exact to the last bit, so every level gives the scalar loop's bits.
#include "kernels_internal.h"

#pragma clang fp contract(off)

// Adam (Keras 3): m += (g - m) * c1; v += (sq - v) * c2; with amsgrad vmax = v >= vmax ? v : vmax;
// w = w_in - m * alpha / (sqrt(v or vmax) + eps), where w_in may be w. A null g (and sq) is a
// zero gradient.
static void adam_scalar(long from, long n, float *w, const float *w_in, float *m, float *v, float *vmax, const float *g, const float *sq,
                        float c1, float c2, float alpha, float eps) {
    for (long i = from; i < n; i++) {
        float gi = g ? g[i] : 0.0f, si = sq ? sq[i] : 0.0f;
        m[i] = m[i] + (gi - m[i]) * c1;
        v[i] = v[i] + (si - v[i]) * c2;
        float d = v[i];
        if (vmax) {
            vmax[i] = v[i] >= vmax[i] ? v[i] : vmax[i];
            d = vmax[i];
        }
        w[i] = w_in[i] - m[i] * alpha / (sqrtf(d) + eps);
    }
}

// RMSprop (Keras 3; tf.keras 2 with eps_outside): v = rho * v + c * sq; centered (avg not null)
// avg = rho * avg + c * g and d = v - avg * avg + eps, else d = v + eps; the step is
// lr * g / sqrt(d), or with eps_outside lr * g / (sqrt(d - eps) + eps); with momentum (mom not
// null) mom = momentum * mom + step and w = w_in - mom, else w = w_in - step.
static void rmsprop_scalar(long from, long n, float *w, const float *w_in, float *v, float *mom, float *avg, const float *g,
                           const float *sq, float rho, float c, float momentum, float lr, float eps, int eps_outside) {
    for (long i = from; i < n; i++) {
        float gi = g ? g[i] : 0.0f, si = sq ? sq[i] : 0.0f;
        v[i] = rho * v[i] + c * si;
        float d = v[i] + eps;
        if (avg) {
            avg[i] = rho * avg[i] + c * gi;
            d = v[i] - avg[i] * avg[i] + eps;
        }
        float step = eps_outside ? lr * gi / (sqrtf(d - eps) + eps) : lr * gi / sqrtf(d);
        if (mom) {
            mom[i] = momentum * mom[i] + step;
            w[i] = w_in[i] - mom[i];
        } else {
            w[i] = w_in[i] - step;
        }
    }
}

// Adagrad (Keras 3; tf.keras 2 with eps_outside): acc += sq; the step is lr * g / sqrt(acc + eps),
// or with eps_outside lr * g / (sqrt(acc) + eps); w = w_in - step.
static void adagrad_scalar(long from, long n, float *w, const float *w_in, float *acc, const float *g, const float *sq, float lr,
                           float eps, int eps_outside) {
    for (long i = from; i < n; i++) {
        float gi = g ? g[i] : 0.0f, si = sq ? sq[i] : 0.0f;
        acc[i] = acc[i] + si;
        float step = eps_outside ? lr * gi / (sqrtf(acc[i]) + eps) : lr * gi / sqrtf(acc[i] + eps);
        w[i] = w_in[i] - step;
    }
}

#ifdef GRU_X86
__attribute__((target("avx512f")))
static long adam512(long n, float *w, const float *w_in, float *m, float *v, float *vmax, const float *g, const float *sq,
                    float c1, float c2, float alpha, float eps) {
    const __m512 k1 = _mm512_set1_ps(c1), k2 = _mm512_set1_ps(c2), a = _mm512_set1_ps(alpha), e = _mm512_set1_ps(eps);
    long i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 gi = g ? _mm512_loadu_ps(g + i) : _mm512_setzero_ps(), si = sq ? _mm512_loadu_ps(sq + i) : _mm512_setzero_ps();
        __m512 mi = _mm512_loadu_ps(m + i), vi = _mm512_loadu_ps(v + i);
        mi = _mm512_add_ps(mi, _mm512_mul_ps(_mm512_sub_ps(gi, mi), k1));
        vi = _mm512_add_ps(vi, _mm512_mul_ps(_mm512_sub_ps(si, vi), k2));
        _mm512_storeu_ps(m + i, mi);
        _mm512_storeu_ps(v + i, vi);
        __m512 d = vi;
        if (vmax) {
            __m512 x = _mm512_loadu_ps(vmax + i);
            d = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(vi, x, _CMP_GE_OQ), x, vi);
            _mm512_storeu_ps(vmax + i, d);
        }
        __m512 step = _mm512_div_ps(_mm512_mul_ps(mi, a), _mm512_add_ps(_mm512_sqrt_ps(d), e));
        _mm512_storeu_ps(w + i, _mm512_sub_ps(_mm512_loadu_ps(w_in + i), step));
    }
    return i;
}

__attribute__((target("avx2")))
static long adam256(long n, float *w, const float *w_in, float *m, float *v, float *vmax, const float *g, const float *sq,
                    float c1, float c2, float alpha, float eps) {
    const __m256 k1 = _mm256_set1_ps(c1), k2 = _mm256_set1_ps(c2), a = _mm256_set1_ps(alpha), e = _mm256_set1_ps(eps);
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 gi = g ? _mm256_loadu_ps(g + i) : _mm256_setzero_ps(), si = sq ? _mm256_loadu_ps(sq + i) : _mm256_setzero_ps();
        __m256 mi = _mm256_loadu_ps(m + i), vi = _mm256_loadu_ps(v + i);
        mi = _mm256_add_ps(mi, _mm256_mul_ps(_mm256_sub_ps(gi, mi), k1));
        vi = _mm256_add_ps(vi, _mm256_mul_ps(_mm256_sub_ps(si, vi), k2));
        _mm256_storeu_ps(m + i, mi);
        _mm256_storeu_ps(v + i, vi);
        __m256 d = vi;
        if (vmax) {
            __m256 x = _mm256_loadu_ps(vmax + i);
            d = _mm256_blendv_ps(x, vi, _mm256_cmp_ps(vi, x, _CMP_GE_OQ));
            _mm256_storeu_ps(vmax + i, d);
        }
        __m256 step = _mm256_div_ps(_mm256_mul_ps(mi, a), _mm256_add_ps(_mm256_sqrt_ps(d), e));
        _mm256_storeu_ps(w + i, _mm256_sub_ps(_mm256_loadu_ps(w_in + i), step));
    }
    return i;
}

__attribute__((target("avx512f")))
static long rmsprop512(long n, float *w, const float *w_in, float *v, float *mom, float *avg, const float *g, const float *sq,
                       float rho, float c, float momentum, float lr, float eps, int eps_outside) {
    const __m512 r = _mm512_set1_ps(rho), k = _mm512_set1_ps(c), mo = _mm512_set1_ps(momentum), l = _mm512_set1_ps(lr),
                 e = _mm512_set1_ps(eps);
    long i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 gi = g ? _mm512_loadu_ps(g + i) : _mm512_setzero_ps(), si = sq ? _mm512_loadu_ps(sq + i) : _mm512_setzero_ps();
        __m512 vi = _mm512_add_ps(_mm512_mul_ps(r, _mm512_loadu_ps(v + i)), _mm512_mul_ps(k, si));
        _mm512_storeu_ps(v + i, vi);
        __m512 d = _mm512_add_ps(vi, e);
        if (avg) {
            __m512 a = _mm512_add_ps(_mm512_mul_ps(r, _mm512_loadu_ps(avg + i)), _mm512_mul_ps(k, gi));
            _mm512_storeu_ps(avg + i, a);
            d = _mm512_add_ps(_mm512_sub_ps(vi, _mm512_mul_ps(a, a)), e);
        }
        __m512 num = _mm512_mul_ps(l, gi);
        __m512 step = eps_outside ? _mm512_div_ps(num, _mm512_add_ps(_mm512_sqrt_ps(_mm512_sub_ps(d, e)), e))
                                  : _mm512_div_ps(num, _mm512_sqrt_ps(d));
        if (mom) {
            step = _mm512_add_ps(_mm512_mul_ps(mo, _mm512_loadu_ps(mom + i)), step);
            _mm512_storeu_ps(mom + i, step);
        }
        _mm512_storeu_ps(w + i, _mm512_sub_ps(_mm512_loadu_ps(w_in + i), step));
    }
    return i;
}

__attribute__((target("avx2")))
static long rmsprop256(long n, float *w, const float *w_in, float *v, float *mom, float *avg, const float *g, const float *sq,
                       float rho, float c, float momentum, float lr, float eps, int eps_outside) {
    const __m256 r = _mm256_set1_ps(rho), k = _mm256_set1_ps(c), mo = _mm256_set1_ps(momentum), l = _mm256_set1_ps(lr),
                 e = _mm256_set1_ps(eps);
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 gi = g ? _mm256_loadu_ps(g + i) : _mm256_setzero_ps(), si = sq ? _mm256_loadu_ps(sq + i) : _mm256_setzero_ps();
        __m256 vi = _mm256_add_ps(_mm256_mul_ps(r, _mm256_loadu_ps(v + i)), _mm256_mul_ps(k, si));
        _mm256_storeu_ps(v + i, vi);
        __m256 d = _mm256_add_ps(vi, e);
        if (avg) {
            __m256 a = _mm256_add_ps(_mm256_mul_ps(r, _mm256_loadu_ps(avg + i)), _mm256_mul_ps(k, gi));
            _mm256_storeu_ps(avg + i, a);
            d = _mm256_add_ps(_mm256_sub_ps(vi, _mm256_mul_ps(a, a)), e);
        }
        __m256 num = _mm256_mul_ps(l, gi);
        __m256 step = eps_outside ? _mm256_div_ps(num, _mm256_add_ps(_mm256_sqrt_ps(_mm256_sub_ps(d, e)), e))
                                  : _mm256_div_ps(num, _mm256_sqrt_ps(d));
        if (mom) {
            step = _mm256_add_ps(_mm256_mul_ps(mo, _mm256_loadu_ps(mom + i)), step);
            _mm256_storeu_ps(mom + i, step);
        }
        _mm256_storeu_ps(w + i, _mm256_sub_ps(_mm256_loadu_ps(w_in + i), step));
    }
    return i;
}
__attribute__((target("avx512f")))
static long adagrad512(long n, float *w, const float *w_in, float *acc, const float *g, const float *sq, float lr, float eps,
                       int eps_outside) {
    const __m512 l = _mm512_set1_ps(lr), e = _mm512_set1_ps(eps);
    long i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 gi = g ? _mm512_loadu_ps(g + i) : _mm512_setzero_ps(), si = sq ? _mm512_loadu_ps(sq + i) : _mm512_setzero_ps();
        __m512 a = _mm512_add_ps(_mm512_loadu_ps(acc + i), si);
        _mm512_storeu_ps(acc + i, a);
        __m512 d = eps_outside ? _mm512_add_ps(_mm512_sqrt_ps(a), e) : _mm512_sqrt_ps(_mm512_add_ps(a, e));
        _mm512_storeu_ps(w + i, _mm512_sub_ps(_mm512_loadu_ps(w_in + i), _mm512_div_ps(_mm512_mul_ps(l, gi), d)));
    }
    return i;
}

__attribute__((target("avx2")))
static long adagrad256(long n, float *w, const float *w_in, float *acc, const float *g, const float *sq, float lr, float eps,
                       int eps_outside) {
    const __m256 l = _mm256_set1_ps(lr), e = _mm256_set1_ps(eps);
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 gi = g ? _mm256_loadu_ps(g + i) : _mm256_setzero_ps(), si = sq ? _mm256_loadu_ps(sq + i) : _mm256_setzero_ps();
        __m256 a = _mm256_add_ps(_mm256_loadu_ps(acc + i), si);
        _mm256_storeu_ps(acc + i, a);
        __m256 d = eps_outside ? _mm256_add_ps(_mm256_sqrt_ps(a), e) : _mm256_sqrt_ps(_mm256_add_ps(a, e));
        _mm256_storeu_ps(w + i, _mm256_sub_ps(_mm256_loadu_ps(w_in + i), _mm256_div_ps(_mm256_mul_ps(l, gi), d)));
    }
    return i;
}
#endif

#ifdef GRU_ARM64
static long adam_neon(long n, float *w, const float *w_in, float *m, float *v, float *vmax, const float *g, const float *sq,
                      float c1, float c2, float alpha, float eps) {
    const float32x4_t k1 = vdupq_n_f32(c1), k2 = vdupq_n_f32(c2), a = vdupq_n_f32(alpha), e = vdupq_n_f32(eps);
    long i = 0;
    for (; i + 4 <= n; i += 4) {
        float32x4_t gi = g ? vld1q_f32(g + i) : vdupq_n_f32(0), si = sq ? vld1q_f32(sq + i) : vdupq_n_f32(0);
        float32x4_t mi = vld1q_f32(m + i), vi = vld1q_f32(v + i);
        mi = vaddq_f32(mi, vmulq_f32(vsubq_f32(gi, mi), k1));
        vi = vaddq_f32(vi, vmulq_f32(vsubq_f32(si, vi), k2));
        vst1q_f32(m + i, mi);
        vst1q_f32(v + i, vi);
        float32x4_t d = vi;
        if (vmax) {
            float32x4_t x = vld1q_f32(vmax + i);
            d = vbslq_f32(vcgeq_f32(vi, x), vi, x);
            vst1q_f32(vmax + i, d);
        }
        float32x4_t step = vdivq_f32(vmulq_f32(mi, a), vaddq_f32(vsqrtq_f32(d), e));
        vst1q_f32(w + i, vsubq_f32(vld1q_f32(w_in + i), step));
    }
    return i;
}

static long rmsprop_neon(long n, float *w, const float *w_in, float *v, float *mom, float *avg, const float *g, const float *sq,
                         float rho, float c, float momentum, float lr, float eps, int eps_outside) {
    const float32x4_t r = vdupq_n_f32(rho), k = vdupq_n_f32(c), mo = vdupq_n_f32(momentum), l = vdupq_n_f32(lr), e = vdupq_n_f32(eps);
    long i = 0;
    for (; i + 4 <= n; i += 4) {
        float32x4_t gi = g ? vld1q_f32(g + i) : vdupq_n_f32(0), si = sq ? vld1q_f32(sq + i) : vdupq_n_f32(0);
        float32x4_t vi = vaddq_f32(vmulq_f32(r, vld1q_f32(v + i)), vmulq_f32(k, si));
        vst1q_f32(v + i, vi);
        float32x4_t d = vaddq_f32(vi, e);
        if (avg) {
            float32x4_t a = vaddq_f32(vmulq_f32(r, vld1q_f32(avg + i)), vmulq_f32(k, gi));
            vst1q_f32(avg + i, a);
            d = vaddq_f32(vsubq_f32(vi, vmulq_f32(a, a)), e);
        }
        float32x4_t num = vmulq_f32(l, gi);
        float32x4_t step = eps_outside ? vdivq_f32(num, vaddq_f32(vsqrtq_f32(vsubq_f32(d, e)), e)) : vdivq_f32(num, vsqrtq_f32(d));
        if (mom) {
            step = vaddq_f32(vmulq_f32(mo, vld1q_f32(mom + i)), step);
            vst1q_f32(mom + i, step);
        }
        vst1q_f32(w + i, vsubq_f32(vld1q_f32(w_in + i), step));
    }
    return i;
}
static long adagrad_neon(long n, float *w, const float *w_in, float *acc, const float *g, const float *sq, float lr, float eps,
                         int eps_outside) {
    const float32x4_t l = vdupq_n_f32(lr), e = vdupq_n_f32(eps);
    long i = 0;
    for (; i + 4 <= n; i += 4) {
        float32x4_t gi = g ? vld1q_f32(g + i) : vdupq_n_f32(0), si = sq ? vld1q_f32(sq + i) : vdupq_n_f32(0);
        float32x4_t a = vaddq_f32(vld1q_f32(acc + i), si);
        vst1q_f32(acc + i, a);
        float32x4_t d = eps_outside ? vaddq_f32(vsqrtq_f32(a), e) : vsqrtq_f32(vaddq_f32(a, e));
        vst1q_f32(w + i, vsubq_f32(vld1q_f32(w_in + i), vdivq_f32(vmulq_f32(l, gi), d)));
    }
    return i;
}
#endif

void gru_adam_update(long n, float *w, const float *w_in, float *m, float *v, float *vmax, const float *g, const float *sq,
                     float c1, float c2, float alpha, float eps) {
    long done = 0;
#ifdef GRU_X86
    if (gru_kernels_level() == 2) done = adam512(n, w, w_in, m, v, vmax, g, sq, c1, c2, alpha, eps);
    else if (gru_kernels_level() == 1) done = adam256(n, w, w_in, m, v, vmax, g, sq, c1, c2, alpha, eps);
#endif
#ifdef GRU_ARM64
    if (gru_kernels_level() == 1) done = adam_neon(n, w, w_in, m, v, vmax, g, sq, c1, c2, alpha, eps);
#endif
    adam_scalar(done, n, w, w_in, m, v, vmax, g, sq, c1, c2, alpha, eps);
}

void gru_rmsprop_update(long n, float *w, const float *w_in, float *v, float *mom, float *avg, const float *g, const float *sq,
                        float rho, float c, float momentum, float lr, float eps, int eps_outside) {
    long done = 0;
#ifdef GRU_X86
    if (gru_kernels_level() == 2) done = rmsprop512(n, w, w_in, v, mom, avg, g, sq, rho, c, momentum, lr, eps, eps_outside);
    else if (gru_kernels_level() == 1) done = rmsprop256(n, w, w_in, v, mom, avg, g, sq, rho, c, momentum, lr, eps, eps_outside);
#endif
#ifdef GRU_ARM64
    if (gru_kernels_level() == 1) done = rmsprop_neon(n, w, w_in, v, mom, avg, g, sq, rho, c, momentum, lr, eps, eps_outside);
#endif
    rmsprop_scalar(done, n, w, w_in, v, mom, avg, g, sq, rho, c, momentum, lr, eps, eps_outside);
}

void gru_adagrad_update(long n, float *w, const float *w_in, float *acc, const float *g, const float *sq, float lr, float eps,
                        int eps_outside) {
    long done = 0;
#ifdef GRU_X86
    if (gru_kernels_level() == 2) done = adagrad512(n, w, w_in, acc, g, sq, lr, eps, eps_outside);
    else if (gru_kernels_level() == 1) done = adagrad256(n, w, w_in, acc, g, sq, lr, eps, eps_outside);
#endif
#ifdef GRU_ARM64
    if (gru_kernels_level() == 1) done = adagrad_neon(n, w, w_in, acc, g, sq, lr, eps, eps_outside);
#endif
    adagrad_scalar(done, n, w, w_in, acc, g, sq, lr, eps, eps_outside);
}
