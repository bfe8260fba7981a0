// The fused GRU gate passes, forward and backward, for both reset_after variants.
#include "kernels_internal.h"

#ifdef GRU_X86
__attribute__((target("avx512f")))
static void gates_reset_after_avx512(long rows, long u, const float *hm, const float *x, long x_stride,
                                     const float *h, float *out, float *record, long record_stride,
                                     long rz, long rr, long rc, long ra) {
    for (long b = 0; b < rows; b++) {
        const float *m = hm + b * 3 * u;
        const float *xr = x + b * x_stride, *hr = h + b * u;
        float *o = out + b * u;
        for (long j = 0; j < u; j += 16) {
            __mmask16 k = unit_mask(u, j);
            __m512 mz = _mm512_maskz_loadu_ps(k, m + j), mr = _mm512_maskz_loadu_ps(k, m + u + j), mh = _mm512_maskz_loadu_ps(k, m + 2 * u + j);
            __m512 z = sigmoid_v(_mm512_add_ps(mz, _mm512_maskz_loadu_ps(k, xr + j)));
            __m512 r = sigmoid_v(_mm512_add_ps(mr, _mm512_maskz_loadu_ps(k, xr + u + j)));
            __m512 c = tanh_v(_mm512_fmadd_ps(r, mh, _mm512_maskz_loadu_ps(k, xr + 2 * u + j)));
            __m512 hv = _mm512_maskz_loadu_ps(k, hr + j);
            _mm512_mask_storeu_ps(o + j, k, _mm512_fmadd_ps(z, _mm512_sub_ps(hv, c), c));
            if (record) {
                float *rec = record + b * u + j;
                _mm512_mask_storeu_ps(rec + rz * record_stride, k, z);
                _mm512_mask_storeu_ps(rec + rr * record_stride, k, r);
                _mm512_mask_storeu_ps(rec + rc * record_stride, k, c);
                _mm512_mask_storeu_ps(rec + ra * record_stride, k, mh);
            }
        }
    }
}
#endif

#ifdef GRU_X86
// The AVX2 + FMA passes: the AVX-512 ones eight units at a time, a row's last units through
// the same vector math (load256 and store256 take the lanes that exist).
__attribute__((target("avx2,fma")))
static void gates_reset_after_avx2(long rows, long u, const float *hm, const float *x, long x_stride,
                                   const float *h, float *out, float *record, long record_stride,
                                   long rz, long rr, long rc, long ra) {
    for (long b = 0; b < rows; b++) {
        const float *m = hm + b * 3 * u;
        const float *xr = x + b * x_stride, *hr = h + b * u;
        float *o = out + b * u;
        for (long j = 0; j < u; j += 8) {
            long w = u - j;
            __m256 mh = load256(m + 2 * u + j, w);
            __m256 z = sigmoid256(_mm256_add_ps(load256(m + j, w), load256(xr + j, w)));
            __m256 r = sigmoid256(_mm256_add_ps(load256(m + u + j, w), load256(xr + u + j, w)));
            __m256 c = tanh256(_mm256_fmadd_ps(r, mh, load256(xr + 2 * u + j, w)));
            __m256 hv = load256(hr + j, w);
            store256(o + j, w, _mm256_fmadd_ps(z, _mm256_sub_ps(hv, c), c));
            if (record) {
                float *rec = record + b * u + j;
                store256(rec + rz * record_stride, w, z);
                store256(rec + rr * record_stride, w, r);
                store256(rec + rc * record_stride, w, c);
                store256(rec + ra * record_stride, w, mh);
            }
        }
    }
}

__attribute__((target("avx2,fma")))
static void gates_backward_avx2(long rows, long u, const float *g, const float *h, const float *z,
                                const float *r, const float *c, const float *mh,
                                float *dxp, long dxp_stride, float *dm, long dm_stride, float *propagated) {
    __m256 one = _mm256_set1_ps(1.0f);
    for (long b = 0; b < rows; b++) {
        float *x = dxp + b * dxp_stride, *m = dm + b * dm_stride;
        for (long j = 0; j < u; j += 8) {
            long w = u - j, i = b * u + j;
            __m256 gv = load256(g + i, w), zv = load256(z + i, w), cv = load256(c + i, w), hv = load256(h + i, w);
            __m256 dz = _mm256_mul_ps(_mm256_mul_ps(gv, _mm256_sub_ps(hv, cv)), _mm256_mul_ps(zv, _mm256_sub_ps(one, zv)));
            __m256 dc = _mm256_mul_ps(_mm256_mul_ps(gv, _mm256_sub_ps(one, zv)), _mm256_fnmadd_ps(cv, cv, one));
            store256(x + j, w, dz);
            store256(x + 2 * u + j, w, dc);
            store256(m + j, w, dz);
            store256(propagated + i, w, _mm256_mul_ps(gv, zv));
            if (!r) {
                store256(m + 2 * u + j, w, dc);
                continue;
            }
            __m256 rv = load256(r + i, w), mv = load256(mh + i, w);
            __m256 dr = _mm256_mul_ps(_mm256_mul_ps(dc, mv), _mm256_mul_ps(rv, _mm256_sub_ps(one, rv)));
            store256(x + u + j, w, dr);
            store256(m + u + j, w, dr);
            store256(m + 2 * u + j, w, _mm256_mul_ps(dc, rv));
        }
    }
}

__attribute__((target("avx2,fma")))
static void gates_reset_before_avx2(long rows, long u, float *hm, const float *x, long x_stride, const float *h,
                                    float *reset_state, float *record, long record_stride, long rz, long rr, long ra) {
    for (long b = 0; b < rows; b++) {
        float *m = hm + b * 3 * u;
        const float *xr = x + b * x_stride, *hr = h + b * u;
        for (long j = 0; j < u; j += 8) {
            long w = u - j;
            __m256 z = sigmoid256(_mm256_add_ps(load256(m + j, w), load256(xr + j, w)));
            __m256 r = sigmoid256(_mm256_add_ps(load256(m + u + j, w), load256(xr + u + j, w)));
            __m256 rh = _mm256_mul_ps(r, load256(hr + j, w));
            store256(m + j, w, z);
            store256(reset_state + b * u + j, w, rh);
            if (record) {
                float *rec = record + b * u + j;
                store256(rec + rz * record_stride, w, z);
                store256(rec + rr * record_stride, w, r);
                store256(rec + ra * record_stride, w, rh);
            }
        }
    }
}

__attribute__((target("avx2,fma")))
static void candidate_reset_before_avx2(long rows, long u, const float *hm, const float *x, long x_stride, const float *h,
                                        float *out, float *record, long record_stride, long rc) {
    for (long b = 0; b < rows; b++) {
        const float *m = hm + b * 3 * u, *xr = x + b * x_stride, *hr = h + b * u;
        for (long j = 0; j < u; j += 8) {
            long w = u - j;
            __m256 c = tanh256(_mm256_add_ps(load256(m + 2 * u + j, w), load256(xr + 2 * u + j, w)));
            __m256 z = load256(m + j, w), hv = load256(hr + j, w);
            store256(out + b * u + j, w, _mm256_fmadd_ps(z, _mm256_sub_ps(hv, c), c));
            if (record) store256(record + rc * record_stride + b * u + j, w, c);
        }
    }
}

__attribute__((target("avx2,fma")))
static void reset_backward_reset_before_avx2(long rows, long u, const float *d_reset_state, const float *h, const float *r,
                                             float *dxp, long dxp_stride, float *dm, long dm_stride, float *propagated) {
    __m256 one = _mm256_set1_ps(1.0f);
    for (long b = 0; b < rows; b++) {
        float *x = dxp + b * dxp_stride, *m = dm + b * dm_stride;
        for (long j = 0; j < u; j += 8) {
            long w = u - j, i = b * u + j;
            __m256 d = load256(d_reset_state + i, w), rv = load256(r + i, w);
            __m256 dr = _mm256_mul_ps(_mm256_mul_ps(d, load256(h + i, w)), _mm256_mul_ps(rv, _mm256_sub_ps(one, rv)));
            store256(x + u + j, w, dr);
            store256(m + u + j, w, dr);
            store256(propagated + i, w, _mm256_fmadd_ps(d, rv, load256(propagated + i, w)));
        }
    }
}
#endif

#ifdef GRU_ARM64
// The NEON passes: the AVX-512 ones four units at a time, a row's last units through the same
// vector math (load_neon and store_neon take the lanes that exist).
static void gates_reset_after_neon(long rows, long u, const float *hm, const float *x, long x_stride,
                                   const float *h, float *out, float *record, long record_stride,
                                   long rz, long rr, long rc, long ra) {
    for (long b = 0; b < rows; b++) {
        const float *m = hm + b * 3 * u;
        const float *xr = x + b * x_stride, *hr = h + b * u;
        float *o = out + b * u;
        for (long j = 0; j < u; j += 4) {
            long w = u - j;
            float32x4_t mh = load_neon(m + 2 * u + j, w);
            float32x4_t z = sigmoid_neon(vaddq_f32(load_neon(m + j, w), load_neon(xr + j, w)));
            float32x4_t r = sigmoid_neon(vaddq_f32(load_neon(m + u + j, w), load_neon(xr + u + j, w)));
            float32x4_t c = tanh_neon(vfmaq_f32(load_neon(xr + 2 * u + j, w), r, mh));
            float32x4_t hv = load_neon(hr + j, w);
            store_neon(o + j, w, vfmaq_f32(c, z, vsubq_f32(hv, c)));
            if (record) {
                float *rec = record + b * u + j;
                store_neon(rec + rz * record_stride, w, z);
                store_neon(rec + rr * record_stride, w, r);
                store_neon(rec + rc * record_stride, w, c);
                store_neon(rec + ra * record_stride, w, mh);
            }
        }
    }
}

static void gates_backward_neon(long rows, long u, const float *g, const float *h, const float *z,
                                const float *r, const float *c, const float *mh,
                                float *dxp, long dxp_stride, float *dm, long dm_stride, float *propagated) {
    float32x4_t one = vdupq_n_f32(1.0f);
    for (long b = 0; b < rows; b++) {
        float *x = dxp + b * dxp_stride, *m = dm + b * dm_stride;
        for (long j = 0; j < u; j += 4) {
            long w = u - j, i = b * u + j;
            float32x4_t gv = load_neon(g + i, w), zv = load_neon(z + i, w), cv = load_neon(c + i, w), hv = load_neon(h + i, w);
            float32x4_t dz = vmulq_f32(vmulq_f32(gv, vsubq_f32(hv, cv)), vmulq_f32(zv, vsubq_f32(one, zv)));
            float32x4_t dc = vmulq_f32(vmulq_f32(gv, vsubq_f32(one, zv)), vfmsq_f32(one, cv, cv));
            store_neon(x + j, w, dz);
            store_neon(x + 2 * u + j, w, dc);
            store_neon(m + j, w, dz);
            store_neon(propagated + i, w, vmulq_f32(gv, zv));
            if (!r) {
                store_neon(m + 2 * u + j, w, dc);
                continue;
            }
            float32x4_t rv = load_neon(r + i, w), mv = load_neon(mh + i, w);
            float32x4_t dr = vmulq_f32(vmulq_f32(dc, mv), vmulq_f32(rv, vsubq_f32(one, rv)));
            store_neon(x + u + j, w, dr);
            store_neon(m + u + j, w, dr);
            store_neon(m + 2 * u + j, w, vmulq_f32(dc, rv));
        }
    }
}

static void gates_reset_before_neon(long rows, long u, float *hm, const float *x, long x_stride, const float *h,
                                    float *reset_state, float *record, long record_stride, long rz, long rr, long ra) {
    for (long b = 0; b < rows; b++) {
        float *m = hm + b * 3 * u;
        const float *xr = x + b * x_stride, *hr = h + b * u;
        for (long j = 0; j < u; j += 4) {
            long w = u - j;
            float32x4_t z = sigmoid_neon(vaddq_f32(load_neon(m + j, w), load_neon(xr + j, w)));
            float32x4_t r = sigmoid_neon(vaddq_f32(load_neon(m + u + j, w), load_neon(xr + u + j, w)));
            float32x4_t rh = vmulq_f32(r, load_neon(hr + j, w));
            store_neon(m + j, w, z);
            store_neon(reset_state + b * u + j, w, rh);
            if (record) {
                float *rec = record + b * u + j;
                store_neon(rec + rz * record_stride, w, z);
                store_neon(rec + rr * record_stride, w, r);
                store_neon(rec + ra * record_stride, w, rh);
            }
        }
    }
}

static void candidate_reset_before_neon(long rows, long u, const float *hm, const float *x, long x_stride, const float *h,
                                        float *out, float *record, long record_stride, long rc) {
    for (long b = 0; b < rows; b++) {
        const float *m = hm + b * 3 * u, *xr = x + b * x_stride, *hr = h + b * u;
        for (long j = 0; j < u; j += 4) {
            long w = u - j;
            float32x4_t c = tanh_neon(vaddq_f32(load_neon(m + 2 * u + j, w), load_neon(xr + 2 * u + j, w)));
            float32x4_t z = load_neon(m + j, w), hv = load_neon(hr + j, w);
            store_neon(out + b * u + j, w, vfmaq_f32(c, z, vsubq_f32(hv, c)));
            if (record) store_neon(record + rc * record_stride + b * u + j, w, c);
        }
    }
}

static void reset_backward_reset_before_neon(long rows, long u, const float *d_reset_state, const float *h, const float *r,
                                             float *dxp, long dxp_stride, float *dm, long dm_stride, float *propagated) {
    float32x4_t one = vdupq_n_f32(1.0f);
    for (long b = 0; b < rows; b++) {
        float *x = dxp + b * dxp_stride, *m = dm + b * dm_stride;
        for (long j = 0; j < u; j += 4) {
            long w = u - j, i = b * u + j;
            float32x4_t d = load_neon(d_reset_state + i, w), rv = load_neon(r + i, w);
            float32x4_t dr = vmulq_f32(vmulq_f32(d, load_neon(h + i, w)), vmulq_f32(rv, vsubq_f32(one, rv)));
            store_neon(x + u + j, w, dr);
            store_neon(m + u + j, w, dr);
            store_neon(propagated + i, w, vfmaq_f32(load_neon(propagated + i, w), d, rv));
        }
    }
}
#endif

// The public gate kernels run their vector version (AVX-512, AVX2 + FMA, NEON) and return 1
// when the machine has one, else return 0 and leave the work to the caller's own loops.
#if defined(GRU_X86)
#define RUN_VECTOR(avx512, avx2, neon) do { \
        int level = gru_kernels_level(); \
        if (level == 2) { avx512; return 1; } \
        if (level == 1) { avx2; return 1; } \
    } while (0)
#elif defined(GRU_ARM64)
#define RUN_VECTOR(avx512, avx2, neon) do { if (gru_kernels_level() == 1) { neon; return 1; } } while (0)
#else
#define RUN_VECTOR(avx512, avx2, neon) do { } while (0)
#endif

int gru_gates_reset_after(long rows, long u, const float *hm, const float *x, long x_stride,
                          const float *h, float *out, float *record, long record_stride,
                          long record_z, long record_r, long record_c, long record_aux) {
    RUN_VECTOR(gates_reset_after_avx512(rows, u, hm, x, x_stride, h, out, record, record_stride, record_z, record_r, record_c, record_aux), gates_reset_after_avx2(rows, u, hm, x, x_stride, h, out, record, record_stride, record_z, record_r, record_c, record_aux), gates_reset_after_neon(rows, u, hm, x, x_stride, h, out, record, record_stride, record_z, record_r, record_c, record_aux));
    return 0;
}

#ifdef GRU_X86
// Backward through the blend and the gates. Reset-after (r and mh given): also dr, and the
// candidate's recurrent part is dc * r. Reset-before (r and mh NULL): dz and dc only, dc
// itself for the recurrent part; dr follows from the candidate's product.
__attribute__((target("avx512f")))
static void gates_backward_avx512(long rows, long u, const float *g, const float *h, const float *z,
                                  const float *r, const float *c, const float *mh,
                                  float *dxp, long dxp_stride, float *dm, long dm_stride, float *propagated) {
    __m512 one = _mm512_set1_ps(1.0f);
    for (long b = 0; b < rows; b++) {
        float *x = dxp + b * dxp_stride, *m = dm + b * dm_stride;
        for (long j = 0; j < u; j += 16) {
            __mmask16 k = unit_mask(u, j);
            long i = b * u + j;
            __m512 gv = _mm512_maskz_loadu_ps(k, g + i), zv = _mm512_maskz_loadu_ps(k, z + i);
            __m512 cv = _mm512_maskz_loadu_ps(k, c + i), hv = _mm512_maskz_loadu_ps(k, h + i);
            // dz = g (h - c) z (1 - z); dc = g (1 - z) (1 - c^2); dr = dc mh r (1 - r).
            __m512 dz = _mm512_mul_ps(_mm512_mul_ps(gv, _mm512_sub_ps(hv, cv)), _mm512_mul_ps(zv, _mm512_sub_ps(one, zv)));
            __m512 dc = _mm512_mul_ps(_mm512_mul_ps(gv, _mm512_sub_ps(one, zv)), _mm512_fnmadd_ps(cv, cv, one));
            _mm512_mask_storeu_ps(x + j, k, dz);
            _mm512_mask_storeu_ps(x + 2 * u + j, k, dc);
            _mm512_mask_storeu_ps(m + j, k, dz);
            _mm512_mask_storeu_ps(propagated + i, k, _mm512_mul_ps(gv, zv));
            if (!r) {
                _mm512_mask_storeu_ps(m + 2 * u + j, k, dc);
                continue;
            }
            __m512 rv = _mm512_maskz_loadu_ps(k, r + i), mv = _mm512_maskz_loadu_ps(k, mh + i);
            __m512 dr = _mm512_mul_ps(_mm512_mul_ps(dc, mv), _mm512_mul_ps(rv, _mm512_sub_ps(one, rv)));
            _mm512_mask_storeu_ps(x + u + j, k, dr);
            _mm512_mask_storeu_ps(m + u + j, k, dr);
            _mm512_mask_storeu_ps(m + 2 * u + j, k, _mm512_mul_ps(dc, rv));
        }
    }
}
#endif

int gru_gates_reset_after_backward(long rows, long u, const float *g, const float *h, const float *z,
                                   const float *r, const float *c, const float *mh,
                                   float *dxp, long dxp_stride, float *dm, long dm_stride, float *propagated) {
    RUN_VECTOR(gates_backward_avx512(rows, u, g, h, z, r, c, mh, dxp, dxp_stride, dm, dm_stride, propagated), gates_backward_avx2(rows, u, g, h, z, r, c, mh, dxp, dxp_stride, dm, dm_stride, propagated), gates_backward_neon(rows, u, g, h, z, r, c, mh, dxp, dxp_stride, dm, dm_stride, propagated));
    return 0;
}

// ---- Reset-before gates ----------------------------------------------------
// The candidate of the reset-before GRU multiplies r * h by its recurrent kernel, so a step
// has two products and two gate passes around them; both passes and their backward
// counterparts are fused here (sigmoid gates, tanh candidate).

#ifdef GRU_X86
__attribute__((target("avx512f")))
static void gates_reset_before_avx512(long rows, long u, float *hm, const float *x, long x_stride, const float *h,
                                      float *reset_state, float *record, long record_stride, long rz, long rr, long ra) {
    for (long b = 0; b < rows; b++) {
        float *m = hm + b * 3 * u;
        const float *xr = x + b * x_stride, *hr = h + b * u;
        for (long j = 0; j < u; j += 16) {
            __mmask16 k = unit_mask(u, j);
            __m512 z = sigmoid_v(_mm512_add_ps(_mm512_maskz_loadu_ps(k, m + j), _mm512_maskz_loadu_ps(k, xr + j)));
            __m512 r = sigmoid_v(_mm512_add_ps(_mm512_maskz_loadu_ps(k, m + u + j), _mm512_maskz_loadu_ps(k, xr + u + j)));
            __m512 rh = _mm512_mul_ps(r, _mm512_maskz_loadu_ps(k, hr + j));
            _mm512_mask_storeu_ps(m + j, k, z);
            _mm512_mask_storeu_ps(reset_state + b * u + j, k, rh);
            if (record) {
                float *rec = record + b * u + j;
                _mm512_mask_storeu_ps(rec + rz * record_stride, k, z);
                _mm512_mask_storeu_ps(rec + rr * record_stride, k, r);
                _mm512_mask_storeu_ps(rec + ra * record_stride, k, rh);
            }
        }
    }
}

__attribute__((target("avx512f")))
static void candidate_reset_before_avx512(long rows, long u, const float *hm, const float *x, long x_stride, const float *h,
                                          float *out, float *record, long record_stride, long rc) {
    for (long b = 0; b < rows; b++) {
        const float *m = hm + b * 3 * u, *xr = x + b * x_stride, *hr = h + b * u;
        for (long j = 0; j < u; j += 16) {
            __mmask16 k = unit_mask(u, j);
            __m512 c = tanh_v(_mm512_add_ps(_mm512_maskz_loadu_ps(k, m + 2 * u + j), _mm512_maskz_loadu_ps(k, xr + 2 * u + j)));
            __m512 z = _mm512_maskz_loadu_ps(k, m + j), hv = _mm512_maskz_loadu_ps(k, hr + j);
            _mm512_mask_storeu_ps(out + b * u + j, k, _mm512_fmadd_ps(z, _mm512_sub_ps(hv, c), c));
            if (record) _mm512_mask_storeu_ps(record + rc * record_stride + b * u + j, k, c);
        }
    }
}

__attribute__((target("avx512f")))
static void reset_backward_reset_before_avx512(long rows, long u, const float *d_reset_state, const float *h, const float *r,
                                               float *dxp, long dxp_stride, float *dm, long dm_stride, float *propagated) {
    __m512 one = _mm512_set1_ps(1.0f);
    for (long b = 0; b < rows; b++) {
        float *x = dxp + b * dxp_stride, *m = dm + b * dm_stride;
        for (long j = 0; j < u; j += 16) {
            __mmask16 k = unit_mask(u, j);
            long i = b * u + j;
            __m512 d = _mm512_maskz_loadu_ps(k, d_reset_state + i), rv = _mm512_maskz_loadu_ps(k, r + i);
            // dr = d(r h) h r (1 - r); the previous state gets d(r h) r.
            __m512 dr = _mm512_mul_ps(_mm512_mul_ps(d, _mm512_maskz_loadu_ps(k, h + i)), _mm512_mul_ps(rv, _mm512_sub_ps(one, rv)));
            _mm512_mask_storeu_ps(x + u + j, k, dr);
            _mm512_mask_storeu_ps(m + u + j, k, dr);
            _mm512_mask_storeu_ps(propagated + i, k, _mm512_fmadd_ps(d, rv, _mm512_maskz_loadu_ps(k, propagated + i)));
        }
    }
}
#endif

int gru_gates_reset_before(long rows, long u, float *hm, const float *x, long x_stride, const float *h,
                           float *reset_state, float *record, long record_stride,
                           long record_z, long record_r, long record_aux) {
    RUN_VECTOR(gates_reset_before_avx512(rows, u, hm, x, x_stride, h, reset_state, record, record_stride, record_z, record_r, record_aux), gates_reset_before_avx2(rows, u, hm, x, x_stride, h, reset_state, record, record_stride, record_z, record_r, record_aux), gates_reset_before_neon(rows, u, hm, x, x_stride, h, reset_state, record, record_stride, record_z, record_r, record_aux));
    return 0;
}

int gru_candidate_reset_before(long rows, long u, const float *hm, const float *x, long x_stride, const float *h,
                               float *out, float *record, long record_stride, long record_c) {
    RUN_VECTOR(candidate_reset_before_avx512(rows, u, hm, x, x_stride, h, out, record, record_stride, record_c), candidate_reset_before_avx2(rows, u, hm, x, x_stride, h, out, record, record_stride, record_c), candidate_reset_before_neon(rows, u, hm, x, x_stride, h, out, record, record_stride, record_c));
    return 0;
}

int gru_candidate_reset_before_backward(long rows, long u, const float *g, const float *h, const float *z, const float *c,
                                        float *dxp, long dxp_stride, float *dm, long dm_stride, float *propagated) {
    RUN_VECTOR(gates_backward_avx512(rows, u, g, h, z, NULL, c, NULL, dxp, dxp_stride, dm, dm_stride, propagated), gates_backward_avx2(rows, u, g, h, z, NULL, c, NULL, dxp, dxp_stride, dm, dm_stride, propagated), gates_backward_neon(rows, u, g, h, z, NULL, c, NULL, dxp, dxp_stride, dm, dm_stride, propagated));
    return 0;
}

int gru_reset_gate_reset_before_backward(long rows, long u, const float *d_reset_state, const float *h, const float *r,
                                         float *dxp, long dxp_stride, float *dm, long dm_stride, float *propagated) {
    RUN_VECTOR(reset_backward_reset_before_avx512(rows, u, d_reset_state, h, r, dxp, dxp_stride, dm, dm_stride, propagated), reset_backward_reset_before_avx2(rows, u, d_reset_state, h, r, dxp, dxp_stride, dm, dm_stride, propagated), reset_backward_reset_before_neon(rows, u, d_reset_state, h, r, dxp, dxp_stride, dm, dm_stride, propagated));
    return 0;
}
