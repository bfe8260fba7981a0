// bfloat16 products: B packed once as bfloat16, A rounded to bfloat16 as it is read, sums in
// float32. On x86 AVX512_BF16's vdpbf16ps (two products per lane and instruction, twice
// float32's FMA rate, half its bytes of B) on pairs of rows of B; on aarch64 with FEAT_BF16
// BFMMLA (a 2 x 4 by 4 x 2 product per instruction) on quads of rows.
#include "kernels_internal.h"

#include <stdint.h>

// Columns per sliver of packed B: three vectors of 16 lanes.
#define BF_NR 48
// Rows of A per tile.
#define BF_MR 8

// Round to nearest even, as vcvtneps2bf16 does; NaN stays NaN.
static inline uint16_t to_bf16(float value) {
    uint32_t bits;
    memcpy(&bits, &value, sizeof bits);
    if ((bits & 0x7FFFFFFFu) > 0x7F800000u) return (uint16_t)((bits >> 16) | 0x40);
    bits += 0x7FFFu + ((bits >> 16) & 1u);
    return (uint16_t)(bits >> 16);
}

#ifndef GRU_ARM64
static inline long pairs_of(long k) { return (k + 1) / 2; }
#endif

#ifndef GRU_ARM64
long gru_bf16_packed_size(long k, long n) {
    return ((n + BF_NR - 1) / BF_NR) * pairs_of(k) * BF_NR * 2;
}

#ifdef GRU_X86
// B as stored (k x n): each pair of rows, 16 columns at a time, rounded by the vector unit
// and interleaved into (row 2p, row 2p + 1) lanes.
__attribute__((target("avx512f,avx512bf16,avx512vl,avx512bw")))
static void pack_rows_bf16(long k, long n, const float *b, long ldb, uint16_t *packed) {
    long slivers = (n + BF_NR - 1) / BF_NR, pairs = pairs_of(k);
    uint16_t order[32];
    for (int j = 0; j < 16; j++) { order[2 * j] = (uint16_t)j; order[2 * j + 1] = (uint16_t)(16 + j); }
    __m512i interleave = _mm512_loadu_si512(order);
    for (long s = 0; s < slivers; s++)
        for (long p = 0; p < pairs; p++) {
            uint16_t *out = packed + (s * pairs + p) * BF_NR * 2;
            const float *r0 = b + 2 * p * ldb, *r1 = 2 * p + 1 < k ? r0 + ldb : NULL;
            for (long v = 0; v < 3; v++) {
                long c0 = s * BF_NR + 16 * v, w = n - c0;
                __mmask16 mask = w >= 16 ? (__mmask16)0xFFFF : (w <= 0 ? (__mmask16)0 : (__mmask16)((1u << w) - 1));
                __m256bh lo = _mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(mask, r0 + c0));
                __m256bh hi = _mm512_cvtneps_pbh(r1 ? _mm512_maskz_loadu_ps(mask, r1 + c0) : _mm512_setzero_ps());
                __m512i both = _mm512_inserti64x4(_mm512_castsi256_si512((__m256i)lo), (__m256i)hi, 1);
                _mm512_storeu_si512(out + 32 * v, _mm512_permutexvar_epi16(interleave, both));
            }
        }
}
#endif

// Layout: [sliver][pair p][column j of 48][2]: element (2p + e, j) of op(B) at
// ((s * P + p) * 48 + j) * 2 + e, zeros past k and n. op(B) is B, or B stored n x k.
static void pack_b_bf16(int trans_b, long k, long n, const float *b, long ldb, uint16_t *packed) {
#ifdef GRU_X86
    if (!trans_b && gru_bf16_available()) { pack_rows_bf16(k, n, b, ldb, packed); return; }
#endif
    long slivers = (n + BF_NR - 1) / BF_NR, pairs = pairs_of(k);
    for (long s = 0; s < slivers; s++)
        for (long p = 0; p < pairs; p++) {
            uint16_t *out = packed + (s * pairs + p) * BF_NR * 2;
            for (long j = 0; j < BF_NR; j++) {
                long col = s * BF_NR + j;
                for (long e = 0; e < 2; e++) {
                    long row = 2 * p + e;
                    float value = row < k && col < n ? (trans_b ? b[col * ldb + row] : b[row * ldb + col]) : 0.0f;
                    out[j * 2 + e] = to_bf16(value);
                }
            }
        }
}

void gru_bf16_pack_b(long k, long n, const float *b, long ldb, unsigned short *packed) {
    pack_b_bf16(0, k, n, b, ldb, packed);
}
#endif

#ifdef GRU_X86
// Rows of op(A) rounded to bfloat16 pairs, zero-padded to whole pairs; op(A) is A, or A
// stored k x m (rows then read down its columns).
__attribute__((target("avx512f,avx512bf16,avx512vl")))
static void convert_rows(int trans_a, const float *a, long lda, long rows, long k, uint16_t *out, long pairs) {
    if (trans_a) {
        // Down the columns in blocks of 16 rows of A, so that the rows being read stay in cache.
        for (long p0 = 0; p0 < k; p0 += 16) {
            long p1 = k - p0 < 16 ? k : p0 + 16;
            for (long i = 0; i < rows; i++) {
                uint16_t *dst = out + i * pairs * 2;
                for (long p = p0; p < p1; p++) dst[p] = to_bf16(a[p * lda + i]);
            }
        }
        if (k % 2) for (long i = 0; i < rows; i++) out[i * pairs * 2 + k] = 0;
        return;
    }
    for (long i = 0; i < rows; i++) {
        const float *row = a + i * lda;
        uint16_t *dst = out + i * pairs * 2;
        long j = 0;
        for (; j + 16 <= k; j += 16) {
            __m256bh v = _mm512_cvtneps_pbh(_mm512_loadu_ps(row + j));
            _mm256_storeu_si256((__m256i *)(dst + j), (__m256i)v);
        }
        for (; j < k; j++) dst[j] = to_bf16(row[j]);
        if (k % 2) dst[k] = 0;
    }
}

// An 8 x 48 tile: c[i][0:w] = sum over pairs of a_i . b (+ bias, or + c when accumulating)
// for the first h rows.
__attribute__((target("avx512f,avx512bf16,avx512vl")))
static void tile_bf16(long pairs, const uint32_t *const rows[BF_MR], const uint16_t *bp, float *c, long ldc,
                      long h, long w, const float *bias, int accumulate) {
    __m512 acc[BF_MR][3];
    for (int i = 0; i < BF_MR; i++) acc[i][0] = acc[i][1] = acc[i][2] = _mm512_setzero_ps();
    for (long p = 0; p < pairs; p++) {
        const uint16_t *bq = bp + p * BF_NR * 2;
        __m512bh b0 = (__m512bh)_mm512_loadu_si512(bq), b1 = (__m512bh)_mm512_loadu_si512(bq + 32);
        __m512bh b2 = (__m512bh)_mm512_loadu_si512(bq + 64);
#pragma clang loop unroll(full)
        for (int i = 0; i < BF_MR; i++) {
            __m512bh a = (__m512bh)_mm512_set1_epi32((int)rows[i][p]);
            acc[i][0] = _mm512_dpbf16_ps(acc[i][0], a, b0);
            acc[i][1] = _mm512_dpbf16_ps(acc[i][1], a, b1);
            acc[i][2] = _mm512_dpbf16_ps(acc[i][2], a, b2);
        }
    }
    // Unrolled: constant indices keep acc in registers (see store_tile512 in gemm.c).
#pragma clang loop unroll(full)
    for (int i = 0; i < BF_MR; i++) {
        if (i >= h) break;
        float *row = c + i * ldc;
#pragma clang loop unroll(full)
        for (int v = 0; v < 3; v++) {
            long left = w - 16 * v;
            if (left <= 0) break;
            __mmask16 mask = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1);
            __m512 sum = accumulate ? _mm512_add_ps(acc[i][v], _mm512_maskz_loadu_ps(mask, row + 16 * v))
                : bias ? _mm512_add_ps(acc[i][v], _mm512_maskz_loadu_ps(mask, bias + 16 * v)) : acc[i][v];
            _mm512_mask_storeu_ps(row + 16 * v, mask, sum);
        }
    }
}
#endif

#ifndef GRU_ARM64
// C = op(A) * B (+ bias, or + C when accumulating) with B packed by pack_b_bf16.
static int gemm_packed(int trans_a, long m, long n, long k, const float *a, long lda, const uint16_t *packed,
                       const float *bias, int accumulate, float *c, long ldc) {
    if (m <= 0 || n <= 0) return 1;
#ifdef GRU_X86
    if (!gru_bf16_available()) return 0;
    long pairs = pairs_of(k), slivers = (n + BF_NR - 1) / BF_NR;
    // A block of rows at a time, rounded once and read by every sliver.
    long block = m < 64 ? m : 64;
    uint16_t *converted = malloc(sizeof(uint16_t) * (size_t)(block * pairs * 2 + 2));
    if (!converted) return 0;
    for (long i0 = 0; i0 < m; i0 += block) {
        long mb = m - i0 < block ? m - i0 : block;
        convert_rows(trans_a, trans_a ? a + i0 : a + i0 * lda, lda, mb, k, converted, pairs);
        const uint32_t *rows32 = (const uint32_t *)converted;
        for (long s = 0; s < slivers; s++) {
            long w = n - s * BF_NR < BF_NR ? n - s * BF_NR : BF_NR;
            const uint16_t *bp = packed + s * pairs * BF_NR * 2;
            for (long is = 0; is < mb; is += BF_MR) {
                long h = mb - is < BF_MR ? mb - is : BF_MR;
                const uint32_t *rows[BF_MR];
                for (long r = 0; r < BF_MR; r++) rows[r] = rows32 + (is + (r < h ? r : 0)) * pairs;
                tile_bf16(pairs, rows, bp, c + (i0 + is) * ldc + s * BF_NR, ldc, h, w, bias ? bias + s * BF_NR : NULL, accumulate);
            }
        }
    }
    free(converted);
    return 1;
#else
    (void)trans_a; (void)k; (void)a; (void)lda; (void)packed; (void)bias; (void)accumulate; (void)c; (void)ldc;
    return 0;
#endif
}

#endif

#ifdef GRU_ARM64
// BFMMLA tiles: 8 rows (4 pairs) by 8 columns (4 pairs), 16 accumulators of 2 x 2 values.
#define ARM_BN 8
#define ARM_BM 8

static inline long quads_of(long k) { return (k + 3) / 4; }

long gru_bf16_packed_size(long k, long n) {
    return ((n + ARM_BN - 1) / ARM_BN) * quads_of(k) * ARM_BN * 4;
}

// Layout: [sliver of 8 columns][quad q][column pair][column of the pair][4 rows]: element
// (4q + e, 8s + 2cp + c) of op(B) at (((s * Q + q) * 4 + cp) * 2 + c) * 4 + e, zeros past k
// and n: each 8 values are one BFMMLA operand (two columns, four rows each).
static void pack_b_bf16(int trans_b, long k, long n, const float *b, long ldb, uint16_t *packed) {
    long slivers = (n + ARM_BN - 1) / ARM_BN, quads = quads_of(k);
    for (long s = 0; s < slivers; s++)
        for (long q = 0; q < quads; q++) {
            uint16_t *out = packed + (s * quads + q) * ARM_BN * 4;
            for (long j = 0; j < ARM_BN; j++) {
                long col = s * ARM_BN + j;
                for (long e = 0; e < 4; e++) {
                    long row = 4 * q + e;
                    float value = row < k && col < n ? (trans_b ? b[col * ldb + row] : b[row * ldb + col]) : 0.0f;
                    out[j * 4 + e] = to_bf16(value);
                }
            }
        }
}

void gru_bf16_pack_b(long k, long n, const float *b, long ldb, unsigned short *packed) {
    pack_b_bf16(0, k, n, b, ldb, packed);
}

// Rows i0.. of op(A) rounded to bfloat16, by pairs of rows: [pair][quad][row of the pair][4],
// zeros past k and for a missing second row.
static void convert_row_pairs(int trans_a, const float *a, long lda, long rows, long k, uint16_t *out, long quads) {
    for (long i = 0; i < (rows + 1) / 2 * 2; i++) {
        uint16_t *dst = out + ((i / 2) * quads * 2 + (i % 2)) * 4;
        for (long p = 0; p < quads * 4; p++) {
            float value = i < rows && p < k ? (trans_a ? a[p * lda + i] : a[i * lda + p]) : 0.0f;
            dst[(p / 4) * 8 + p % 4] = to_bf16(value);
        }
    }
}

// An 8 x 8 tile from row pairs `pairs` (4 of them, each quads * 8 values) and a packed sliver:
// c[i][0:w] = the sums (+ bias, or + c when accumulating) for the first h rows.
__attribute__((target("+bf16")))
static void tile_bfmmla(long quads, const uint16_t *const pairs[4], const uint16_t *bp, float *c, long ldc, long h, long w,
                        const float *bias, int accumulate) {
    float32x4_t acc[4][4];
    for (int r = 0; r < 4; r++)
        for (int cp = 0; cp < 4; cp++) acc[r][cp] = vdupq_n_f32(0);
    for (long q = 0; q < quads; q++) {
        const bfloat16_t *bq = (const bfloat16_t *)(bp + q * ARM_BN * 4);
        bfloat16x8_t b0 = vld1q_bf16(bq), b1 = vld1q_bf16(bq + 8), b2 = vld1q_bf16(bq + 16), b3 = vld1q_bf16(bq + 24);
#pragma clang loop unroll(full)
        for (int r = 0; r < 4; r++) {
            bfloat16x8_t av = vld1q_bf16((const bfloat16_t *)(pairs[r] + q * 8));
            acc[r][0] = vbfmmlaq_f32(acc[r][0], av, b0);
            acc[r][1] = vbfmmlaq_f32(acc[r][1], av, b1);
            acc[r][2] = vbfmmlaq_f32(acc[r][2], av, b2);
            acc[r][3] = vbfmmlaq_f32(acc[r][3], av, b3);
        }
    }
    // Each accumulator holds rows (2r, 2r + 1) by columns (2cp, 2cp + 1).
    for (int r = 0; r < 4; r++)
        for (int e = 0; e < 2; e++) {
            long i = 2 * r + e;
            if (i >= h) break;
            float row[ARM_BN];
            for (int cp = 0; cp < 4; cp++) vst1_f32(row + 2 * cp, e ? vget_high_f32(acc[r][cp]) : vget_low_f32(acc[r][cp]));
            float *out = c + i * ldc;
            for (long j = 0; j < w; j++) out[j] = accumulate ? out[j] + row[j] : bias ? row[j] + bias[j] : row[j];
        }
}

// C = op(A) * B (+ bias, or + C when accumulating) with B packed by pack_b_bf16.
static int gemm_packed(int trans_a, long m, long n, long k, const float *a, long lda, const uint16_t *packed,
                       const float *bias, int accumulate, float *c, long ldc) {
    if (m <= 0 || n <= 0) return 1;
    if (!gru_bf16_available()) return 0;
    long quads = quads_of(k), slivers = (n + ARM_BN - 1) / ARM_BN;
    // A block of rows at a time, rounded once and read by every sliver.
    long block = m < 64 ? m : 64;
    uint16_t *converted = malloc(sizeof(uint16_t) * (size_t)(((block + 1) / 2) * quads * 8 + 8));
    if (!converted) return 0;
    static const uint16_t zeros[8] = {0};
    for (long i0 = 0; i0 < m; i0 += block) {
        long mb = m - i0 < block ? m - i0 : block;
        convert_row_pairs(trans_a, trans_a ? a + i0 : a + i0 * lda, lda, mb, k, converted, quads);
        for (long s = 0; s < slivers; s++) {
            long w = n - s * ARM_BN < ARM_BN ? n - s * ARM_BN : ARM_BN;
            const uint16_t *bp = packed + s * quads * ARM_BN * 4;
            for (long is = 0; is < mb; is += ARM_BM) {
                long h = mb - is < ARM_BM ? mb - is : ARM_BM;
                const uint16_t *pairs[4];
                for (long r = 0; r < 4; r++) {
                    // Pairs past the block's rows read the first pair again: their sums are not stored.
                    long pair = 2 * r < h ? (is / 2 + r) : is / 2;
                    pairs[r] = quads ? converted + pair * quads * 8 : zeros;
                }
                tile_bfmmla(quads, pairs, bp, c + (i0 + is) * ldc + s * ARM_BN, ldc, h, w, bias ? bias + s * ARM_BN : NULL, accumulate);
            }
        }
    }
    free(converted);
    return 1;
}
#endif

int gru_bf16_gemm_packed(long m, long n, long k, const float *a, long lda, const unsigned short *packed,
                         const float *bias, int accumulate, float *c, long ldc) {
    return gemm_packed(0, m, n, k, a, lda, packed, bias, accumulate, c, ldc);
}

int gru_bf16_gemm(int trans_a, int trans_b, long m, long n, long k, const float *a, long lda,
                  const float *b, long ldb, int accumulate, float *c, long ldc) {
    if (m <= 0 || n <= 0) return 1;
    if (!gru_bf16_available()) return 0;
    uint16_t *packed = malloc(sizeof(uint16_t) * (size_t)gru_bf16_packed_size(k, n));
    if (!packed) return 0;
    pack_b_bf16(trans_b, k, n, b, ldb, packed);
    int done = gemm_packed(trans_a, m, n, k, a, lda, packed, NULL, accumulate, c, ldc);
    free(packed);
    return done;
}
