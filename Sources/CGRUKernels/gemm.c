// Matrix products: packing, the micro-kernels (AVX-512, AVX2 + FMA, NEON, portable) and the
// blocked products built on them.
#include "kernels_internal.h"

// ---- Packing -------------------------------------------------------------

// Packs op(B)[p0:p0+kc, j0:j0+nc] into slivers of nr columns: [sliver][p][nr], zero-padded.
static void pack_b(int trans_b, const float *b, long ldb, long p0, long kc, long j0, long nc, long nr, float *out) {
    for (long js = 0; js < nc; js += nr) {
        long w = nc - js < nr ? nc - js : nr;
        for (long p = 0; p < kc; p++) {
            float *dst = out + (js / nr) * kc * nr + p * nr;
            if (!trans_b) {
                const float *src = b + (p0 + p) * ldb + j0 + js;
                memcpy(dst, src, (size_t)w * sizeof(float));
            } else {
                for (long j = 0; j < w; j++) dst[j] = b[(j0 + js + j) * ldb + p0 + p];
            }
            for (long j = w; j < nr; j++) dst[j] = 0;
        }
    }
}

// Packs op(A)[i0:i0+mc, p0:p0+kc] into slivers of mr rows: [sliver][p][mr], zero-padded.
static void pack_a(int trans_a, const float *a, long lda, long i0, long mc, long p0, long kc, long mr, float *out) {
    for (long is = 0; is < mc; is += mr) {
        long h = mc - is < mr ? mc - is : mr;
        float *dst = out + (is / mr) * kc * mr;
        for (long p = 0; p < kc; p++) {
            for (long i = 0; i < h; i++) {
                dst[p * mr + i] = trans_a ? a[(p0 + p) * lda + i0 + is + i] : a[(i0 + is + i) * lda + p0 + p];
            }
            for (long i = h; i < mr; i++) dst[p * mr + i] = 0;
        }
    }
}

// ---- Micro-kernels: C[mr x nr] += alpha * Apanel * Bpanel ----------------

static void micro_portable(long kc, const float *ap, const float *bp, float *c, long ldc, long h, long w, float alpha, long mr, long nr) {
    float acc[8 * 48];
    memset(acc, 0, sizeof(acc));
    for (long p = 0; p < kc; p++)
        for (long i = 0; i < mr; i++) {
            float av = ap[p * mr + i];
            for (long j = 0; j < nr; j++) acc[i * nr + j] += av * bp[p * nr + j];
        }
    for (long i = 0; i < h; i++)
        for (long j = 0; j < w; j++) c[i * ldc + j] += alpha * acc[i * nr + j];
}

#ifdef GRU_X86
// The AVX-512 kernels read A where it is, without packing it: 8 rows of op(A) against
// one packed 48-column sliver of B, 24 accumulators, 3 loads of B and 8 broadcasts
// of A per step of k.

// Writes the 8 x 48 tile: C = alpha * acc + (bias or 0) when overwrite, else C += alpha * acc.
__attribute__((target("avx512f"), always_inline))
static inline __attribute__((always_inline)) void store_tile512(__m512 acc[8][3], float *c, long ldc, long h, long w, float alpha, int overwrite, const float *bias) {
    __mmask16 masks[3];
    for (int v = 0; v < 3; v++) {
        long left = w - 16 * v;
        masks[v] = left >= 16 ? (__mmask16)0xFFFF : (left <= 0 ? (__mmask16)0 : (__mmask16)((1u << left) - 1));
    }
    __m512 va = _mm512_set1_ps(alpha);
    __m512 base[3];
    for (int v = 0; v < 3; v++) base[v] = bias ? _mm512_maskz_loadu_ps(masks[v], bias + 16 * v) : _mm512_setzero_ps();
    // Unrolled, so that every index into acc is a constant and acc stays in registers (a
    // loop to h would index it at run time, which puts it in memory, zeroed per tile).
#pragma clang loop unroll(full)
    for (int i = 0; i < 8; i++) {
        if (i >= h) break;
        float *row = c + i * ldc;
#pragma clang loop unroll(full)
        for (int v = 0; v < 3; v++) {
            if (!masks[v]) continue;
            __m512 old = overwrite ? base[v] : _mm512_maskz_loadu_ps(masks[v], row + 16 * v);
            __m512 sum = alpha == 1.0f ? _mm512_add_ps(acc[i][v], old) : _mm512_fmadd_ps(va, acc[i][v], old);
            _mm512_mask_storeu_ps(row + 16 * v, masks[v], sum);
        }
    }
}

// Row i of the tile reads A at rows[i][p * step]: step 1 for row-major A (rows past h
// repeat row 0), the leading dimension for transposed A, 8 for a packed sliver. Row p of
// the 48 columns of B is at bp + p * bstride, of which the first bw are read: 48 and 48
// for a packed (zero-padded) sliver, B's leading dimension and its columns left for B as
// it is stored.
// The tile of `tile_rows` (8, or 4 when h <= 4: a half tile costs half) rows; each value is
// the same chain of FMAs either way, so the results do not depend on the tile.
__attribute__((target("avx512f"))) static inline __attribute__((always_inline))
void micro512_rows(const int tile_rows, long kc, const float *const rows[8], long step, const float *bp, long bstride, long bw,
                   float *c, long ldc, long h, long w, float alpha, int overwrite, const float *bias) {
    __m512 acc[8][3];
#pragma clang loop unroll(full)
    for (int i = 0; i < 8; i++) { acc[i][0] = _mm512_setzero_ps(); acc[i][1] = _mm512_setzero_ps(); acc[i][2] = _mm512_setzero_ps(); }
    __mmask16 m0 = bw >= 16 ? 0xFFFF : (__mmask16)((1u << bw) - 1);
    __mmask16 m1 = bw >= 32 ? 0xFFFF : (bw <= 16 ? 0 : (__mmask16)((1u << (bw - 16)) - 1));
    __mmask16 m2 = bw >= 48 ? 0xFFFF : (bw <= 32 ? 0 : (__mmask16)((1u << (bw - 32)) - 1));
    for (long p = 0, at = 0; p < kc; p++, at += step) {
        const float *bq = bp + p * bstride;
        __m512 b0 = _mm512_maskz_loadu_ps(m0, bq), b1 = _mm512_maskz_loadu_ps(m1, bq + 16), b2 = _mm512_maskz_loadu_ps(m2, bq + 32);
#pragma clang loop unroll(full)
        for (int i = 0; i < 8; i++) {
            if (i >= tile_rows) break;
            __m512 v = _mm512_set1_ps(rows[i][at]);
            acc[i][0] = _mm512_fmadd_ps(v, b0, acc[i][0]);
            acc[i][1] = _mm512_fmadd_ps(v, b1, acc[i][1]);
            acc[i][2] = _mm512_fmadd_ps(v, b2, acc[i][2]);
        }
    }
    store_tile512(acc, c, ldc, h, w, alpha, overwrite, bias);
}

__attribute__((target("avx512f")))
static void micro512(long kc, const float *const rows[8], long step, const float *bp, long bstride, long bw,
                     float *c, long ldc, long h, long w, float alpha, int overwrite, const float *bias) {
    if (h <= 4) micro512_rows(4, kc, rows, step, bp, bstride, bw, c, ldc, h, w, alpha, overwrite, bias);
    else micro512_rows(8, kc, rows, step, bp, bstride, bw, c, ldc, h, w, alpha, overwrite, bias);
}

// The 6 x 16 tile of the AVX2 kernel, or its first 4 or 2 rows when no more are used (the
// last rows of a product, a thread's few rows): each row is the same chain of fused
// multiply-adds whichever tile computes it.
__attribute__((target("avx2,fma"))) static inline __attribute__((always_inline))
void micro_avx2_rows(const int rows, long kc, const float *ap, const float *bp, float *c, long ldc, long h, long w, float alpha,
                     int overwrite, const float *bias) {
    __m256 acc[12];
    for (int i = 0; i < 2 * rows; i++) acc[i] = _mm256_setzero_ps();
    for (long p = 0; p < kc; p++) {
        __m256 b0 = _mm256_loadu_ps(bp + p * 16), b1 = _mm256_loadu_ps(bp + p * 16 + 8);
        const float *a = ap + p * 6;
        for (int i = 0; i < rows; i++) {
            __m256 x = _mm256_broadcast_ss(a + i);
            acc[2 * i] = _mm256_fmadd_ps(x, b0, acc[2 * i]);
            acc[2 * i + 1] = _mm256_fmadd_ps(x, b1, acc[2 * i + 1]);
        }
    }
    // C = alpha * tile + C, or + the bias (zeros without one) when overwriting: one fused
    // multiply-add per value, as filling C with the bias first and adding would round it.
    __m256 va = _mm256_set1_ps(alpha);
    if (h == rows && w == 16) {
        __m256 b0 = _mm256_setzero_ps(), b1 = b0;
        if (overwrite && bias) { b0 = _mm256_loadu_ps(bias); b1 = _mm256_loadu_ps(bias + 8); }
        for (int i = 0; i < rows; i++) {
            float *ci = c + i * ldc;
            __m256 c0 = overwrite ? b0 : _mm256_loadu_ps(ci), c1 = overwrite ? b1 : _mm256_loadu_ps(ci + 8);
            _mm256_storeu_ps(ci, _mm256_fmadd_ps(va, acc[2 * i], c0));
            _mm256_storeu_ps(ci + 8, _mm256_fmadd_ps(va, acc[2 * i + 1], c1));
        }
        return;
    }
    float tile[6 * 16];
    for (int i = 0; i < rows; i++) {
        _mm256_storeu_ps(tile + i * 16, acc[2 * i]);
        _mm256_storeu_ps(tile + i * 16 + 8, acc[2 * i + 1]);
    }
    for (long i = 0; i < h; i++)
        for (long j = 0; j < w; j++) {
            float base = overwrite ? (bias ? bias[j] : 0.0f) : c[i * ldc + j];
            c[i * ldc + j] = __builtin_fmaf(alpha, tile[i * 16 + j], base);
        }
}

__attribute__((target("avx2,fma")))
static void micro_avx2(long kc, const float *ap, const float *bp, float *c, long ldc, long h, long w, float alpha,
                       int overwrite, const float *bias) {
    if (h <= 2) micro_avx2_rows(2, kc, ap, bp, c, ldc, h, w, alpha, overwrite, bias);
    else if (h <= 4) micro_avx2_rows(4, kc, ap, bp, c, ldc, h, w, alpha, overwrite, bias);
    else micro_avx2_rows(6, kc, ap, bp, c, ldc, h, w, alpha, overwrite, bias);
}
#endif

#ifdef GRU_ARM64
// The AVX2 kernel's 6 x 16 tile in NEON: 24 accumulators of 4, 4 loads of B and the 6 values
// of A as lanes of 2 registers per step of k (30 of the 32 vector registers). Each value is
// the same chain of fused multiply-adds as in every other tile, whatever rows come with it.
static void micro_neon(long kc, const float *ap, const float *bp, float *c, long ldc, long h, long w, float alpha) {
    float32x4_t c00 = vdupq_n_f32(0), c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00, c13 = c00;
    float32x4_t c20 = c00, c21 = c00, c22 = c00, c23 = c00, c30 = c00, c31 = c00, c32 = c00, c33 = c00;
    float32x4_t c40 = c00, c41 = c00, c42 = c00, c43 = c00, c50 = c00, c51 = c00, c52 = c00, c53 = c00;
    for (long p = 0; p < kc; p++) {
        const float *b = bp + p * 16, *a = ap + p * 6;
        float32x4_t b0 = vld1q_f32(b), b1 = vld1q_f32(b + 4), b2 = vld1q_f32(b + 8), b3 = vld1q_f32(b + 12);
        float32x4_t a0 = vld1q_f32(a);
        float32x2_t a1 = vld1_f32(a + 4);
        c00 = vfmaq_laneq_f32(c00, b0, a0, 0); c01 = vfmaq_laneq_f32(c01, b1, a0, 0);
        c02 = vfmaq_laneq_f32(c02, b2, a0, 0); c03 = vfmaq_laneq_f32(c03, b3, a0, 0);
        c10 = vfmaq_laneq_f32(c10, b0, a0, 1); c11 = vfmaq_laneq_f32(c11, b1, a0, 1);
        c12 = vfmaq_laneq_f32(c12, b2, a0, 1); c13 = vfmaq_laneq_f32(c13, b3, a0, 1);
        c20 = vfmaq_laneq_f32(c20, b0, a0, 2); c21 = vfmaq_laneq_f32(c21, b1, a0, 2);
        c22 = vfmaq_laneq_f32(c22, b2, a0, 2); c23 = vfmaq_laneq_f32(c23, b3, a0, 2);
        c30 = vfmaq_laneq_f32(c30, b0, a0, 3); c31 = vfmaq_laneq_f32(c31, b1, a0, 3);
        c32 = vfmaq_laneq_f32(c32, b2, a0, 3); c33 = vfmaq_laneq_f32(c33, b3, a0, 3);
        c40 = vfmaq_lane_f32(c40, b0, a1, 0); c41 = vfmaq_lane_f32(c41, b1, a1, 0);
        c42 = vfmaq_lane_f32(c42, b2, a1, 0); c43 = vfmaq_lane_f32(c43, b3, a1, 0);
        c50 = vfmaq_lane_f32(c50, b0, a1, 1); c51 = vfmaq_lane_f32(c51, b1, a1, 1);
        c52 = vfmaq_lane_f32(c52, b2, a1, 1); c53 = vfmaq_lane_f32(c53, b3, a1, 1);
    }
    float tile[6 * 16];
    float32x4_t rows[6][4] = {{c00, c01, c02, c03}, {c10, c11, c12, c13}, {c20, c21, c22, c23},
                              {c30, c31, c32, c33}, {c40, c41, c42, c43}, {c50, c51, c52, c53}};
    for (int i = 0; i < 6; i++)
        for (int v = 0; v < 4; v++) vst1q_f32(tile + i * 16 + 4 * v, rows[i][v]);
    for (long i = 0; i < h; i++)
        for (long j = 0; j < w; j++) c[i * ldc + j] += alpha * tile[i * 16 + j];
}
#endif

// C += alpha * the tile; the AVX2 kernel also writes C = alpha * the tile + bias (overwrite).
static void micro(int level, long kc, const float *ap, const float *bp, float *c, long ldc, long h, long w, float alpha,
                  int overwrite, const float *bias) {
#ifdef GRU_X86
    if (level == 1) { micro_avx2(kc, ap, bp, c, ldc, h, w, alpha, overwrite, bias); return; }
#endif
    (void)overwrite;
    (void)bias;
#ifdef GRU_ARM64
    if (level == 1) { micro_neon(kc, ap, bp, c, ldc, h, w, alpha); return; }
#endif
    micro_portable(kc, ap, bp, c, ldc, h, w, alpha, mr_for(level), nr_for(level));
}

// ---- Small m: rows of A against rows of B directly (no packing) ----------

#ifdef GRU_X86
// C[0:m, 0:n] += alpha * A[0:m, :] * B with B row-major (k x n), m <= 4.
__attribute__((target("avx512f")))
static void small_m_avx512(long m, long n, long k, float alpha, const float *a, long lda, const float *b, long ldb, float *c, long ldc) {
    long j = 0;
    for (; j + 64 <= n; j += 64) {
        __m512 acc[4][4];
        for (int i = 0; i < 4; i++) for (int v = 0; v < 4; v++) acc[i][v] = _mm512_setzero_ps();
        for (long p = 0; p < k; p++) {
            const float *brow = b + p * ldb + j;
            __m512 b0 = _mm512_loadu_ps(brow), b1 = _mm512_loadu_ps(brow + 16);
            __m512 b2 = _mm512_loadu_ps(brow + 32), b3 = _mm512_loadu_ps(brow + 48);
            for (long i = 0; i < m; i++) {
                __m512 x = _mm512_set1_ps(a[i * lda + p]);
                acc[i][0] = _mm512_fmadd_ps(x, b0, acc[i][0]);
                acc[i][1] = _mm512_fmadd_ps(x, b1, acc[i][1]);
                acc[i][2] = _mm512_fmadd_ps(x, b2, acc[i][2]);
                acc[i][3] = _mm512_fmadd_ps(x, b3, acc[i][3]);
            }
        }
        __m512 va = _mm512_set1_ps(alpha);
        for (long i = 0; i < m; i++)
            for (int v = 0; v < 4; v++) {
                float *dst = c + i * ldc + j + 16 * v;
                _mm512_storeu_ps(dst, _mm512_fmadd_ps(va, acc[i][v], _mm512_loadu_ps(dst)));
            }
    }
    for (; j < n; j += 16) {
        long w = n - j < 16 ? n - j : 16;
        __mmask16 mask = w == 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << w) - 1);
        __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
        for (long p = 0; p < k; p++) {
            __m512 bv = _mm512_maskz_loadu_ps(mask, b + p * ldb + j);
            for (long i = 0; i < m; i++) acc[i] = _mm512_fmadd_ps(_mm512_set1_ps(a[i * lda + p]), bv, acc[i]);
        }
        __m512 va = _mm512_set1_ps(alpha);
        for (long i = 0; i < m; i++) {
            float *dst = c + i * ldc + j;
            _mm512_mask_storeu_ps(dst, mask, _mm512_fmadd_ps(va, acc[i], _mm512_maskz_loadu_ps(mask, dst)));
        }
    }
}
#endif

#ifdef GRU_X86
// c[0:n] += alpha * a[0:k] * B with B row-major: 128 columns at a time, two
// accumulator sets over even and odd rows of B to hide the FMA latency.
__attribute__((target("avx512f")))
static void gemv_avx512(long n, long k, float alpha, const float *a, const float *b, long ldb, float *c) {
    long j = 0;
    for (; j + 128 <= n; j += 128) {
        __m512 even[8], odd[8];
        for (int v = 0; v < 8; v++) { even[v] = _mm512_setzero_ps(); odd[v] = _mm512_setzero_ps(); }
        long p = 0;
        for (; p + 1 < k; p += 2) {
            const float *r0 = b + p * ldb + j, *r1 = r0 + ldb;
            __m512 x0 = _mm512_set1_ps(a[p]), x1 = _mm512_set1_ps(a[p + 1]);
#pragma clang loop unroll(full)
            for (int v = 0; v < 8; v++) {
                even[v] = _mm512_fmadd_ps(x0, _mm512_loadu_ps(r0 + 16 * v), even[v]);
                odd[v] = _mm512_fmadd_ps(x1, _mm512_loadu_ps(r1 + 16 * v), odd[v]);
            }
        }
        if (p < k) {
            const float *r0 = b + p * ldb + j;
            __m512 x0 = _mm512_set1_ps(a[p]);
            for (int v = 0; v < 8; v++) even[v] = _mm512_fmadd_ps(x0, _mm512_loadu_ps(r0 + 16 * v), even[v]);
        }
        __m512 va = _mm512_set1_ps(alpha);
        for (int v = 0; v < 8; v++) {
            float *dst = c + j + 16 * v;
            _mm512_storeu_ps(dst, _mm512_fmadd_ps(va, _mm512_add_ps(even[v], odd[v]), _mm512_loadu_ps(dst)));
        }
    }
    if (j < n) small_m_avx512(1, n - j, k, alpha, a, k, b + j, ldb, c + j, 0);
}
#endif

// ---- GEMM ----------------------------------------------------------------

static void scale_c(long m, long n, float beta, float *c, long ldc) {
    if (beta == 1.0f) return;
    for (long i = 0; i < m; i++) {
        float *row = c + i * ldc;
        if (beta == 0.0f) memset(row, 0, (size_t)n * sizeof(float));
        else for (long j = 0; j < n; j++) row[j] *= beta;
    }
}

long gru_sgemm_packed_size(long k, long n) {
    long nr = nr_for(gru_kernels_level());
    return k * ((n + nr - 1) / nr) * nr;
}

long gru_sgemm_direct_rows(void) { return gru_kernels_level() == 2 ? 4 : 0; }

void gru_sgemm_pack_b(int trans_b, long k, long n, const float *b, long ldb, float *packed) {
    long nr = nr_for(gru_kernels_level());
    long slivers = (n + nr - 1) / nr;
    // Panels of KC rows, one after the other: [panel][sliver][p][nr].
    for (long p0 = 0; p0 < k; p0 += KC) {
        long kc = k - p0 < KC ? k - p0 : KC;
        pack_b(trans_b, b, ldb, p0, kc, 0, n, nr, packed + p0 * slivers * nr);
    }
}

#ifdef GRU_X86
// c[0:n] += x[0:k] * B with B packed in 48-column slivers per KC panel: the slivers are
// read front to back, two at a time, with the rows split over two accumulator sets.
__attribute__((target("avx512f")))
static void gemv_packed_avx512(long n, long k, const float *x, const float *packed, float *c) {
    long slivers = (n + 47) / 48;
    for (long p0 = 0; p0 < k; p0 += KC) {
        long kc = k - p0 < KC ? k - p0 : KC;
        const float *panel = packed + p0 * slivers * 48;
        for (long js = 0; js < slivers; js++) {
            const float *b = panel + js * kc * 48;
            __m512 e0 = _mm512_setzero_ps(), e1 = _mm512_setzero_ps(), e2 = _mm512_setzero_ps();
            __m512 o0 = _mm512_setzero_ps(), o1 = _mm512_setzero_ps(), o2 = _mm512_setzero_ps();
            long p = 0;
            for (; p + 1 < kc; p += 2) {
                __m512 x0 = _mm512_set1_ps(x[p0 + p]), x1 = _mm512_set1_ps(x[p0 + p + 1]);
                const float *r0 = b + p * 48, *r1 = r0 + 48;
                e0 = _mm512_fmadd_ps(x0, _mm512_loadu_ps(r0), e0);
                e1 = _mm512_fmadd_ps(x0, _mm512_loadu_ps(r0 + 16), e1);
                e2 = _mm512_fmadd_ps(x0, _mm512_loadu_ps(r0 + 32), e2);
                o0 = _mm512_fmadd_ps(x1, _mm512_loadu_ps(r1), o0);
                o1 = _mm512_fmadd_ps(x1, _mm512_loadu_ps(r1 + 16), o1);
                o2 = _mm512_fmadd_ps(x1, _mm512_loadu_ps(r1 + 32), o2);
            }
            if (p < kc) {
                __m512 x0 = _mm512_set1_ps(x[p0 + p]);
                const float *r0 = b + p * 48;
                e0 = _mm512_fmadd_ps(x0, _mm512_loadu_ps(r0), e0);
                e1 = _mm512_fmadd_ps(x0, _mm512_loadu_ps(r0 + 16), e1);
                e2 = _mm512_fmadd_ps(x0, _mm512_loadu_ps(r0 + 32), e2);
            }
            __m512 sums[3] = {_mm512_add_ps(e0, o0), _mm512_add_ps(e1, o1), _mm512_add_ps(e2, o2)};
            for (int v = 0; v < 3; v++) {
                long left = n - js * 48 - 16 * v;
                if (left <= 0) break;
                __mmask16 mask = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1);
                float *dst = c + js * 48 + 16 * v;
                _mm512_mask_storeu_ps(dst, mask, _mm512_add_ps(_mm512_maskz_loadu_ps(mask, dst), sums[v]));
            }
        }
    }
}
#endif

#ifdef GRU_X86
// gemv_packed_avx512 for the AVX2 kernel's 16-column slivers: one row of A would use a sixth
// of the 6 x 16 tile. Each sliver's rows go to two accumulator sets, even and odd.
__attribute__((target("avx2,fma")))
static void gemv_packed_avx2(long n, long k, const float *x, const float *packed, float *c) {
    long slivers = (n + 15) / 16;
    for (long p0 = 0; p0 < k; p0 += KC) {
        long kc = k - p0 < KC ? k - p0 : KC;
        const float *panel = packed + p0 * slivers * 16;
        for (long js = 0; js < slivers; js++) {
            const float *b = panel + js * kc * 16;
            __m256 e0 = _mm256_setzero_ps(), e1 = _mm256_setzero_ps(), o0 = _mm256_setzero_ps(), o1 = _mm256_setzero_ps();
            long p = 0;
            for (; p + 1 < kc; p += 2) {
                __m256 x0 = _mm256_broadcast_ss(x + p0 + p), x1 = _mm256_broadcast_ss(x + p0 + p + 1);
                const float *r0 = b + p * 16, *r1 = r0 + 16;
                e0 = _mm256_fmadd_ps(x0, _mm256_loadu_ps(r0), e0);
                e1 = _mm256_fmadd_ps(x0, _mm256_loadu_ps(r0 + 8), e1);
                o0 = _mm256_fmadd_ps(x1, _mm256_loadu_ps(r1), o0);
                o1 = _mm256_fmadd_ps(x1, _mm256_loadu_ps(r1 + 8), o1);
            }
            if (p < kc) {
                __m256 x0 = _mm256_broadcast_ss(x + p0 + p);
                const float *r0 = b + p * 16;
                e0 = _mm256_fmadd_ps(x0, _mm256_loadu_ps(r0), e0);
                e1 = _mm256_fmadd_ps(x0, _mm256_loadu_ps(r0 + 8), e1);
            }
            float sums[16];
            _mm256_storeu_ps(sums, _mm256_add_ps(e0, o0));
            _mm256_storeu_ps(sums + 8, _mm256_add_ps(e1, o1));
            long w = n - js * 16 < 16 ? n - js * 16 : 16;
            for (long j = 0; j < w; j++) c[js * 16 + j] += sums[j];
        }
    }
}
#endif

#ifdef GRU_ARM64
// The one-row kernel of the NEON level (16-column slivers, as gemv_packed_avx2): one row of A
// would use a sixth of the 6 x 16 tile. Each sliver's rows go to two accumulator sets, even and odd.
static void gemv_packed_neon(long n, long k, const float *x, const float *packed, float *c) {
    long slivers = (n + 15) / 16;
    for (long p0 = 0; p0 < k; p0 += KC) {
        long kc = k - p0 < KC ? k - p0 : KC;
        const float *panel = packed + p0 * slivers * 16;
        for (long js = 0; js < slivers; js++) {
            const float *b = panel + js * kc * 16;
            float32x4_t e[4], o[4];
            for (int v = 0; v < 4; v++) { e[v] = vdupq_n_f32(0); o[v] = vdupq_n_f32(0); }
            long p = 0;
            for (; p + 1 < kc; p += 2) {
                float x0 = x[p0 + p], x1 = x[p0 + p + 1];
                const float *r0 = b + p * 16, *r1 = r0 + 16;
                for (int v = 0; v < 4; v++) {
                    e[v] = vfmaq_n_f32(e[v], vld1q_f32(r0 + 4 * v), x0);
                    o[v] = vfmaq_n_f32(o[v], vld1q_f32(r1 + 4 * v), x1);
                }
            }
            if (p < kc) {
                float x0 = x[p0 + p];
                const float *r0 = b + p * 16;
                for (int v = 0; v < 4; v++) e[v] = vfmaq_n_f32(e[v], vld1q_f32(r0 + 4 * v), x0);
            }
            float sums[16];
            for (int v = 0; v < 4; v++) vst1q_f32(sums + 4 * v, vaddq_f32(e[v], o[v]));
            long w = n - js * 16 < 16 ? n - js * 16 : 16;
            for (long j = 0; j < w; j++) c[js * 16 + j] += sums[j];
        }
    }
}
#endif

// Fills C with the bias row (or zeros).
static void fill_c(long m, long n, const float *bias, float *c, long ldc) {
    for (long i = 0; i < m; i++) {
        if (bias) memcpy(c + i * ldc, bias, (size_t)n * sizeof(float));
        else memset(c + i * ldc, 0, (size_t)n * sizeof(float));
    }
}

// Per thread, so that a test asking for failures never changes the products other threads compute.
static _Thread_local int allocations_fail = 0;

void gru_kernels_fail_scratch_allocations(int fail) { allocations_fail = fail; }

// malloc for the kernels' scratch buffers; NULL when tests ask for allocation failures.
static void *scratch_alloc(size_t bytes) { return allocations_fail ? NULL : malloc(bytes); }

// A scratch buffer kept per thread in *slot, allocated on first use; NULL when out of memory.
static float *thread_scratch(float **slot, size_t bytes) {
    if (allocations_fail) return NULL;
    if (!*slot) *slot = malloc(bytes);
    return *slot;
}

// ---- Without memory: what runs when a packing buffer cannot be allocated ----------

// B(p, j) of a matrix packed by gru_sgemm_pack_b with slivers of nr columns.
static inline float packed_at(const float *packed, long n, long k, long nr, long p, long j) {
    long slivers = (n + nr - 1) / nr, p0 = p / KC * KC, kc = k - p0 < KC ? k - p0 : KC;
    return packed[p0 * slivers * nr + (j / nr) * kc * nr + (p - p0) * nr + j % nr];
}

// C += alpha * op(A) * op(B), one dot product per value: slow, but it allocates nothing,
// so running out of memory gives the right numbers late rather than wrong ones.
// B is read packed (slivers of nr columns) when packed is not NULL, else as stored.
static void gemm_unbuffered(int trans_a, int trans_b, long m, long n, long k, float alpha, const float *a, long lda,
                            const float *packed, long nr, const float *b, long ldb, float *c, long ldc) {
    for (long i = 0; i < m; i++) {
        for (long j = 0; j < n; j++) {
            float sum = 0;
            for (long p = 0; p < k; p++) {
                float x = trans_a ? a[p * lda + i] : a[i * lda + p];
                float y = packed ? packed_at(packed, n, k, nr, p, j) : trans_b ? b[j * ldb + p] : b[p * ldb + j];
                sum += x * y;
            }
            c[i * ldc + j] += alpha * sum;
        }
    }
}

#ifdef GRU_X86
// Blocks of MC rows; within a block each sliver of B stays in cache while the block's
// rows of A pass it, 8 at a time. Only the last rows of a transposed A are copied
// (zero-padded), so that no read goes past the matrix. B is packed_b, or when that is
// NULL, b as it is stored (row-major, ldb).
__attribute__((target("avx512f")))
static void gemm512(int trans_a, long m, long n, long k, float alpha, const float *a, long lda, const float *packed_b,
                    const float *b_direct, long ldb, int overwrite, const float *bias, float *c, long ldc) {
    long slivers = (n + 47) / 48;
    // The last rows of a transposed A, when fewer than 8, are copied to a small buffer.
    static __thread float *tail_slot = NULL;
    float *tail = trans_a && m % 8 ? thread_scratch(&tail_slot, sizeof(float) * 8 * KC) : NULL;
    if (trans_a && m % 8 && !tail) {
        if (overwrite) fill_c(m, n, bias, c, ldc);
        gemm_unbuffered(1, 0, m, n, k, alpha, a, lda, packed_b, 48, b_direct, ldb, c, ldc);
        return;
    }
    for (long p0 = 0; p0 < k; p0 += KC) {
        long kc = k - p0 < KC ? k - p0 : KC;
        const float *panel = packed_b ? packed_b + p0 * slivers * 48 : NULL;
        int first = overwrite && p0 == 0;
        for (long i0 = 0; i0 < m; i0 += MC) {
            long mc = m - i0 < MC ? m - i0 : MC;
            if (trans_a && mc % 8) {
                pack_a(1, a, lda, i0 + mc - mc % 8, mc % 8, p0, kc, 8, tail);
            }
            for (long js = 0; js < slivers; js++) {
                long w = n - js * 48 < 48 ? n - js * 48 : 48;
                const float *b = packed_b ? panel + js * kc * 48 : b_direct + p0 * ldb + js * 48;
                const float *sliver_bias = first && bias ? bias + js * 48 : NULL;
                long bstride = packed_b ? 48 : ldb, bw = packed_b ? 48 : w;
                for (long is = 0; is < mc; is += 8) {
                    long h = mc - is < 8 ? mc - is : 8, i = i0 + is;
                    const float *rows[8];
                    long step;
                    if (!trans_a) {
                        for (long r = 0; r < 8; r++) rows[r] = a + (i + (r < h ? r : 0)) * lda + p0;
                        step = 1;
                    } else if (h == 8) {
                        for (long r = 0; r < 8; r++) rows[r] = a + p0 * lda + i + r;
                        step = lda;
                    } else {
                        for (long r = 0; r < 8; r++) rows[r] = tail + r;
                        step = 8;
                    }
                    micro512(kc, rows, step, b, bstride, bw, c + i * ldc + js * 48, ldc, h, w, alpha, first, sliver_bias);
                }
            }
        }
    }
}
#endif

// C = alpha * op(A) * B + (bias or 0) when overwrite, else C += alpha * op(A) * B; B packed;
// every row on the tiles, whatever m, so that a row's sums do not depend on the rows with it.
static void gemm_tiled(int level, int trans_a, long m, long n, long k, float alpha, const float *a, long lda,
                       const float *packed_b, int overwrite, const float *bias, float *c, long ldc) {
    if (overwrite && k <= 0) { fill_c(m, n, bias, c, ldc); return; }
#ifdef GRU_X86
    if (level == 2) { gemm512(trans_a, m, n, k, alpha, a, lda, packed_b, NULL, 0, overwrite, bias, c, ldc); return; }
#endif
    // The AVX2 kernel writes the first panel's sums over the bias itself (no pass that fills
    // C first); the others add to C filled with it.
    int fused = 0;
#ifdef GRU_X86
    fused = level == 1;
#endif
    if (overwrite && !fused) fill_c(m, n, bias, c, ldc);
    long nr = nr_for(level), mr = mr_for(level);
    long slivers = (n + nr - 1) / nr;
    // Rows are packed in whole slivers of mr, so a block takes up to MC + mr - 1 rows.
    static __thread float *packed_a_slot = NULL;
    float *packed_a = thread_scratch(&packed_a_slot, sizeof(float) * (size_t)((MC + 7) * KC));
    if (!packed_a) {
        if (overwrite && fused) fill_c(m, n, bias, c, ldc);
        gemm_unbuffered(trans_a, 0, m, n, k, alpha, a, lda, packed_b, nr, NULL, 0, c, ldc);
        return;
    }
    for (long p0 = 0; p0 < k; p0 += KC) {
        long kc = k - p0 < KC ? k - p0 : KC;
        const float *panel = packed_b + p0 * slivers * nr;
        int first = fused && overwrite && p0 == 0;
        for (long i0 = 0; i0 < m; i0 += MC) {
            long mc = m - i0 < MC ? m - i0 : MC;
            pack_a(trans_a, a, lda, i0, mc, p0, kc, mr, packed_a);
            for (long js = 0; js < slivers; js++) {
                long w = n - js * nr < nr ? n - js * nr : nr;
                const float *sliver_bias = first && bias ? bias + js * nr : NULL;
                for (long is = 0; is < mc; is += mr) {
                    long h = mc - is < mr ? mc - is : mr;
                    micro(level, kc, packed_a + (is / mr) * kc * mr, panel + js * kc * nr,
                          c + (i0 + is) * ldc + js * nr, ldc, h, w, alpha, first, sliver_bias);
                }
            }
        }
    }
}

// gemm_tiled, with one row of A against B on the matrix-vector kernels.
static void gemm_core(int level, int trans_a, long m, long n, long k, float alpha, const float *a, long lda,
                      const float *packed_b, int overwrite, const float *bias, float *c, long ldc) {
#ifdef GRU_X86
    if ((level == 1 || level == 2) && m == 1 && k > 0 && !trans_a && alpha == 1.0f) {
        if (overwrite) fill_c(1, n, bias, c, ldc);
        if (level == 2) gemv_packed_avx512(n, k, a, packed_b, c);
        else gemv_packed_avx2(n, k, a, packed_b, c);
        return;
    }
#endif
#ifdef GRU_ARM64
    if (level == 1 && m == 1 && k > 0 && !trans_a && alpha == 1.0f) {
        if (overwrite) fill_c(1, n, bias, c, ldc);
        gemv_packed_neon(n, k, a, packed_b, c);
        return;
    }
#endif
    gemm_tiled(level, trans_a, m, n, k, alpha, a, lda, packed_b, overwrite, bias, c, ldc);
}

void gru_sgemm_packed(long m, long n, long k, const float *a, long lda, const float *packed, float beta, float *c, long ldc) {
    if (m <= 0 || n <= 0) return;
    if (beta != 0.0f) scale_c(m, n, beta, c, ldc);
    gemm_core(gru_kernels_level(), 0, m, n, k, 1.0f, a, lda, packed, beta == 0.0f, NULL, c, ldc);
}

void gru_sgemm_packed_bias(long m, long n, long k, const float *a, long lda, const float *packed, const float *bias, float *c, long ldc) {
    if (m <= 0 || n <= 0) return;
    gemm_core(gru_kernels_level(), 0, m, n, k, 1.0f, a, lda, packed, 1, bias, c, ldc);
}

void gru_sgemm_packed_rows(long m, long n, long k, const float *a, long lda, const float *packed, const float *bias,
                           int accumulate, float *c, long ldc) {
    if (m <= 0 || n <= 0) return;
    int level = gru_kernels_level();
    if (accumulate && k <= 0) return;
    // The tiles, never the one-row kernels: each row's sums are then the same for any m.
    gemm_tiled(level, 0, m, n, k, 1.0f, a, lda, packed, !accumulate, accumulate ? NULL : bias, c, ldc);
}

void gru_sgemm(int trans_a, int trans_b, long m, long n, long k, float alpha,
               const float *a, long lda, const float *b, long ldb,
               float beta, float *c, long ldc) {
    if (m <= 0 || n <= 0) return;
    int level = gru_kernels_level();
    if (k <= 0 || alpha == 0.0f) { scale_c(m, n, beta, c, ldc); return; }
#ifdef GRU_X86
    if (level == 2 && m <= 4 && !trans_a && !trans_b) {
        // A few rows: read B where it is instead of packing it for so little reuse.
        scale_c(m, n, beta, c, ldc);
        if (m == 1) gemv_avx512(n, k, alpha, a, b, ldb, c);
        else small_m_avx512(m, n, k, alpha, a, lda, b, ldb, c, ldc);
        return;
    }
    if (level == 2 && m <= DIRECT_B_ROWS && !trans_b) {
        // Few rows of C: each value of B is used m times, too few to pay for copying it.
        if (beta != 0.0f) scale_c(m, n, beta, c, ldc);
        gemm512(trans_a, m, n, k, alpha, a, lda, NULL, b, ldb, beta == 0.0f, NULL, c, ldc);
        return;
    }
#endif
    long size = gru_sgemm_packed_size(k, n);
    float *packed = scratch_alloc(sizeof(float) * (size_t)size);
    if (!packed) {
        scale_c(m, n, beta, c, ldc);
        gemm_unbuffered(trans_a, trans_b, m, n, k, alpha, a, lda, NULL, 0, b, ldb, c, ldc);
        return;
    }
    gru_sgemm_pack_b(trans_b, k, n, b, ldb, packed);
    if (beta != 0.0f) scale_c(m, n, beta, c, ldc);
    gemm_core(level, trans_a, m, n, k, alpha, a, lda, packed, beta == 0.0f, NULL, c, ldc);
    free(packed);
}
