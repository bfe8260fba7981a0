// bfloat16 products: B packed once as bfloat16 pairs, A rounded to bfloat16 as it is read,
// sums in float32 (AVX512_BF16's vdpbf16ps: two products per lane and instruction, twice
// float32's FMA rate, half its bytes of B).
#include "kernels_internal.h"

#include <stdint.h>

// Columns per sliver of packed B: three vectors of 16 lanes.
#define BF_NR 48
// Rows of A per tile.
#define BF_MR 8

static int bf16_state = -1;

int gru_bf16_available(void) {
    if (bf16_state >= 0) return bf16_state;
    int available = 0;
#ifdef GRU_X86
    __builtin_cpu_init();
    available = gru_kernels_level() == 2 && __builtin_cpu_supports("avx512bf16");
#endif
    bf16_state = available;
    return available;
}

// Round to nearest even, as vcvtneps2bf16 does; NaN stays NaN.
static inline uint16_t to_bf16(float value) {
    uint32_t bits;
    memcpy(&bits, &value, sizeof bits);
    if ((bits & 0x7FFFFFFFu) > 0x7F800000u) return (uint16_t)((bits >> 16) | 0x40);
    bits += 0x7FFFu + ((bits >> 16) & 1u);
    return (uint16_t)(bits >> 16);
}

static inline long pairs_of(long k) { return (k + 1) / 2; }

long gru_bf16_packed_size(long k, long n) {
    return ((n + BF_NR - 1) / BF_NR) * pairs_of(k) * BF_NR * 2;
}

// Layout: [sliver][pair p][column j of 48][2]: element (2p + e, j) at ((s * P + p) * 48 + j) * 2 + e,
// zeros past k and n.
void gru_bf16_pack_b(long k, long n, const float *b, long ldb, unsigned short *packed) {
    long slivers = (n + BF_NR - 1) / BF_NR, pairs = pairs_of(k);
    for (long s = 0; s < slivers; s++)
        for (long p = 0; p < pairs; p++) {
            uint16_t *out = packed + (s * pairs + p) * BF_NR * 2;
            for (long j = 0; j < BF_NR; j++) {
                long col = s * BF_NR + j;
                for (long e = 0; e < 2; e++) {
                    long row = 2 * p + e;
                    out[j * 2 + e] = row < k && col < n ? to_bf16(b[row * ldb + col]) : 0;
                }
            }
        }
}

#ifdef GRU_X86
// Rows of A rounded to bfloat16 pairs, zero-padded to whole pairs.
__attribute__((target("avx512f,avx512bf16,avx512vl")))
static void convert_rows(const float *a, long lda, long rows, long k, uint16_t *out, long pairs) {
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

// An 8 x 48 tile: c[i][0:w] = sum over pairs of a_i . b (+ bias) for the first h rows.
__attribute__((target("avx512f,avx512bf16,avx512vl")))
static void tile_bf16(long pairs, const uint32_t *const rows[BF_MR], const uint16_t *bp, float *c, long ldc,
                      long h, long w, const float *bias) {
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
    for (long i = 0; i < h; i++) {
        float *row = c + i * ldc;
        for (int v = 0; v < 3; v++) {
            long left = w - 16 * v;
            if (left <= 0) break;
            __mmask16 mask = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1);
            __m512 sum = bias ? _mm512_add_ps(acc[i][v], _mm512_maskz_loadu_ps(mask, bias + 16 * v)) : acc[i][v];
            _mm512_mask_storeu_ps(row + 16 * v, mask, sum);
        }
    }
}
#endif

int gru_bf16_gemm_packed_bias(long m, long n, long k, const float *a, long lda, const unsigned short *packed,
                              const float *bias, float *c, long ldc) {
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
        convert_rows(a + i0 * lda, lda, mb, k, converted, pairs);
        const uint32_t *rows32 = (const uint32_t *)converted;
        for (long s = 0; s < slivers; s++) {
            long w = n - s * BF_NR < BF_NR ? n - s * BF_NR : BF_NR;
            const uint16_t *bp = packed + s * pairs * BF_NR * 2;
            for (long is = 0; is < mb; is += BF_MR) {
                long h = mb - is < BF_MR ? mb - is : BF_MR;
                const uint32_t *rows[BF_MR];
                for (long r = 0; r < BF_MR; r++) rows[r] = rows32 + (is + (r < h ? r : 0)) * pairs;
                tile_bf16(pairs, rows, bp, c + (i0 + is) * ldc + s * BF_NR, ldc, h, w, bias ? bias + s * BF_NR : NULL);
            }
        }
    }
    free(converted);
    return 1;
#else
    (void)k; (void)a; (void)lda; (void)packed; (void)bias; (void)c; (void)ldc;
    return 0;
#endif
}
