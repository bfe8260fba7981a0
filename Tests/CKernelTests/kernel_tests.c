// Every entry point of the C kernels (Sources/CGRUKernels) against a double-precision
// reference, at whatever level the machine (or GRU_KERNELS_LEVEL) gives: the products in every
// transposition, packed and with bias, the row-independence rule of the bias-rows product, the
// bfloat16 products where the CPU has them, the activations, the fused gate passes and the
// optimizer updates (bit for bit against their formulas in float).
// Built and run by Scripts/kernel-tests.sh, natively and for aarch64 under qemu.
#include "gru_kernels.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0, checks = 0;

static void fail(const char *what, const char *detail) {
    if (failures < 30) fprintf(stderr, "FAIL %s: %s\n", what, detail);
    failures++;
}

// A fixed generator (xorshift), so that every platform tests the same numbers.
static uint64_t state = 0x9E3779B97F4A7C15ull;
static float uniform(void) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return (float)((double)(state >> 11) * 0x1.0p-53 * 2.0 - 1.0);
}

static float *random_matrix(long count) {
    float *m = malloc(sizeof(float) * (size_t)(count > 0 ? count : 1));
    for (long i = 0; i < count; i++) m[i] = uniform();
    return m;
}

static float round_bf16(float x) {
    uint32_t bits;
    memcpy(&bits, &x, 4);
    bits = (bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000u;
    memcpy(&x, &bits, 4);
    return x;
}

// C = alpha op(A) op(B) + beta C in double, and the bound on float32's rounding: the sum of
// |terms| times a few ulps.
static void reference(int ta, int tb, long m, long n, long k, float alpha, const float *a, long lda, const float *b,
                      long ldb, float beta, const float *c0, long ldc, int bf16, double *out, double *bound) {
    for (long i = 0; i < m; i++)
        for (long j = 0; j < n; j++) {
            double sum = 0, size = 0;
            for (long p = 0; p < k; p++) {
                double x = ta ? a[p * lda + i] : a[i * lda + p];
                double y = tb ? b[j * ldb + p] : b[p * ldb + j];
                if (bf16) { x = round_bf16((float)x); y = round_bf16((float)y); }
                sum += x * y;
                size += fabs(x * y);
            }
            double base = beta == 0 ? 0 : (double)beta * c0[i * ldc + j];
            out[i * n + j] = alpha * sum + base;
            bound[i * n + j] = 4e-7 * (fabs(alpha) * size + fabs(base)) * (1 + sqrt((double)k)) + 1e-30;
        }
}

static void expect_close(const char *what, long m, long n, const float *c, long ldc, const double *want, const double *bound) {
    checks++;
    for (long i = 0; i < m; i++)
        for (long j = 0; j < n; j++) {
            double got = c[i * ldc + j], error = fabs(got - want[i * n + j]);
            if (!(error <= bound[i * n + j])) {
                char detail[200];
                snprintf(detail, sizeof detail, "C[%ld][%ld] = %.9g, want %.9g (error %.3g, bound %.3g)", i, j, got, want[i * n + j],
                         error, bound[i * n + j]);
                fail(what, detail);
                return;
            }
        }
}

static const long shapes[][3] = {
    {1, 1, 1}, {1, 7, 3}, {1, 130, 600}, {2, 48, 16}, {3, 17, 5}, {4, 64, 33}, {4, 100, 513}, {5, 16, 64}, {6, 49, 7},
    {7, 96, 128}, {8, 48, 48}, {9, 47, 31}, {13, 1, 9}, {16, 200, 64}, {17, 33, 530}, {31, 12, 1}, {64, 96, 96},
    {130, 50, 70}, {257, 20, 12}, {300, 145, 40},
};
static const long shape_count = sizeof shapes / sizeof shapes[0];

static void test_sgemm(void) {
    const float alphas[] = {1.0f, 0.5f}, betas[] = {0.0f, 1.0f, 0.25f};
    for (long s = 0; s < shape_count; s++) {
        long m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
        for (int ta = 0; ta < 2; ta++)
            for (int tb = 0; tb < 2; tb++)
                for (int ai = 0; ai < 2; ai++)
                    for (int bi = 0; bi < 3; bi++) {
                        long lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 2, ldc = n + 5;
                        float *a = random_matrix((ta ? k : m) * lda), *b = random_matrix((tb ? n : k) * ldb);
                        float *c = random_matrix(m * ldc), *c0 = malloc(sizeof(float) * (size_t)(m * ldc));
                        memcpy(c0, c, sizeof(float) * (size_t)(m * ldc));
                        double *want = malloc(sizeof(double) * (size_t)(m * n)), *bound = malloc(sizeof(double) * (size_t)(m * n));
                        reference(ta, tb, m, n, k, alphas[ai], a, lda, b, ldb, betas[bi], c0, ldc, 0, want, bound);
                        gru_sgemm(ta, tb, m, n, k, alphas[ai], a, lda, b, ldb, betas[bi], c, ldc);
                        char what[120];
                        snprintf(what, sizeof what, "sgemm %ldx%ldx%ld ta=%d tb=%d alpha=%g beta=%g", m, n, k, ta, tb, alphas[ai], betas[bi]);
                        expect_close(what, m, n, c, ldc, want, bound);
                        // The same product without scratch memory: late, but the same numbers.
                        if (s % 5 == 0 && ai == 0 && bi == 0) {
                            memcpy(c, c0, sizeof(float) * (size_t)(m * ldc));
                            gru_kernels_fail_scratch_allocations(1);
                            gru_sgemm(ta, tb, m, n, k, alphas[ai], a, lda, b, ldb, betas[bi], c, ldc);
                            gru_kernels_fail_scratch_allocations(0);
                            snprintf(what, sizeof what, "sgemm %ldx%ldx%ld ta=%d tb=%d without scratch memory", m, n, k, ta, tb);
                            expect_close(what, m, n, c, ldc, want, bound);
                        }
                        free(a); free(b); free(c); free(c0); free(want); free(bound);
                    }
    }
}

static void test_packed(void) {
    for (long s = 0; s < shape_count; s++) {
        long m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
        for (int tb = 0; tb < 2; tb++) {
            long lda = k + 1, ldb = (tb ? k : n) + 1, ldc = n + 3;
            float *a = random_matrix(m * lda), *b = random_matrix((tb ? n : k) * ldb), *bias = random_matrix(n);
            float *packed = malloc(sizeof(float) * (size_t)gru_sgemm_packed_size(k, n));
            gru_sgemm_pack_b(tb, k, n, b, ldb, packed);
            float *c = random_matrix(m * ldc), *c0 = malloc(sizeof(float) * (size_t)(m * ldc));
            memcpy(c0, c, sizeof(float) * (size_t)(m * ldc));
            double *want = malloc(sizeof(double) * (size_t)(m * n)), *bound = malloc(sizeof(double) * (size_t)(m * n));
            char what[120];
            const float betas[] = {0.0f, 1.0f, 0.5f};
            for (int bi = 0; bi < 3; bi++) {
                memcpy(c, c0, sizeof(float) * (size_t)(m * ldc));
                reference(0, tb, m, n, k, 1.0f, a, lda, b, ldb, betas[bi], c0, ldc, 0, want, bound);
                gru_sgemm_packed(m, n, k, a, lda, packed, betas[bi], c, ldc);
                snprintf(what, sizeof what, "sgemm_packed %ldx%ldx%ld tb=%d beta=%g", m, n, k, tb, betas[bi]);
                expect_close(what, m, n, c, ldc, want, bound);
            }
            // With a bias row: C = A B + bias, through both entry points.
            reference(0, tb, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c0, ldc, 0, want, bound);
            for (long i = 0; i < m; i++)
                for (long j = 0; j < n; j++) { want[i * n + j] += bias[j]; bound[i * n + j] += 4e-7 * fabs(bias[j]); }
            for (int rows = 0; rows < 2; rows++) {
                memcpy(c, c0, sizeof(float) * (size_t)(m * ldc));
                if (rows) gru_sgemm_packed_rows(m, n, k, a, lda, packed, bias, 0, c, ldc);
                else gru_sgemm_packed_bias(m, n, k, a, lda, packed, bias, c, ldc);
                snprintf(what, sizeof what, "sgemm_packed_bias%s %ldx%ldx%ld tb=%d", rows ? "_rows" : "", m, n, k, tb);
                expect_close(what, m, n, c, ldc, want, bound);
                // The bias written with the first panel's sums: the bits of C filled with the
                // bias first and the product added.
                float *filled = malloc(sizeof(float) * (size_t)(m * ldc));
                for (long i = 0; i < m; i++) memcpy(filled + i * ldc, bias, sizeof(float) * (size_t)n);
                gru_sgemm_packed_rows(m, n, k, a, lda, packed, NULL, 1, filled, ldc);
                checks++;
                int same = 1;
                for (long i = 0; i < m; i++) same &= memcmp(filled + i * ldc, c + i * ldc, sizeof(float) * (size_t)n) == 0;
                if (!same && (rows || m > 1)) fail(what, "differs from C filled with the bias, then the product added");
                free(filled);
            }
            // Accumulating: C += A B, the bias unused.
            memcpy(c, c0, sizeof(float) * (size_t)(m * ldc));
            reference(0, tb, m, n, k, 1.0f, a, lda, b, ldb, 1.0f, c0, ldc, 0, want, bound);
            gru_sgemm_packed_rows(m, n, k, a, lda, packed, bias, 1, c, ldc);
            snprintf(what, sizeof what, "sgemm_packed_rows accumulate %ldx%ldx%ld tb=%d", m, n, k, tb);
            expect_close(what, m, n, c, ldc, want, bound);
            if (m >= 5) {
                // Five rows or more: the same bits as gru_sgemm_packed with beta 1 (a whole batch's step).
                float *whole = malloc(sizeof(float) * (size_t)(m * ldc));
                memcpy(whole, c0, sizeof(float) * (size_t)(m * ldc));
                gru_sgemm_packed(m, n, k, a, lda, packed, 1.0f, whole, ldc);
                checks++;
                int same = 1;
                for (long i = 0; i < m; i++) same &= memcmp(whole + i * ldc, c + i * ldc, sizeof(float) * (size_t)n) == 0;
                if (!same) fail(what, "differs from gru_sgemm_packed with beta 1");
                free(whole);
            }
            // A row's values do not depend on the rows that come with it (compaction, threads),
            // written or accumulated.
            float *part = malloc(sizeof(float) * (size_t)(m * ldc));
            for (long start = 0; start < m; start += 3) {
                long count = m - start < 5 ? m - start : (start % 2 ? 1 : 5);
                for (long i = 0; i < count; i++) memcpy(part + i * ldc, c0 + (start + i) * ldc, sizeof(float) * (size_t)n);
                gru_sgemm_packed_rows(count, n, k, a + start * lda, lda, packed, bias, 1, part, ldc);
                checks++;
                int same = 1;
                for (long i = 0; i < count; i++) same &= memcmp(part + i * ldc, c + (start + i) * ldc, sizeof(float) * (size_t)n) == 0;
                if (!same) {
                    char detail[120];
                    snprintf(detail, sizeof detail, "rows %ld..%ld alone differ from the same rows among %ld", start, start + count - 1, m);
                    snprintf(what, sizeof what, "sgemm_packed_rows %ldx%ldx%ld", m, n, k);
                    fail(what, detail);
                    break;
                }
            }
            free(part);
            free(a); free(b); free(bias); free(packed); free(c); free(c0); free(want); free(bound);
        }
    }
}

static void test_bf16(void) {
    if (!gru_bf16_available()) {
        printf("bfloat16 products: not available on this CPU (float32 is used)\n");
        return;
    }
    for (long s = 0; s < shape_count; s++) {
        long m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
        long lda = k + 2, ldb = n + 1, ldc = n + 1;
        float *a = random_matrix(m * lda), *b = random_matrix(k * ldb), *bias = random_matrix(n);
        unsigned short *packed = malloc(sizeof(unsigned short) * (size_t)gru_bf16_packed_size(k, n));
        gru_bf16_pack_b(k, n, b, ldb, packed);
        float *c = random_matrix(m * ldc);
        double *want = malloc(sizeof(double) * (size_t)(m * n)), *bound = malloc(sizeof(double) * (size_t)(m * n));
        reference(0, 0, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc, 1, want, bound);
        for (long i = 0; i < m; i++)
            for (long j = 0; j < n; j++) { want[i * n + j] += bias[j]; bound[i * n + j] += 4e-7 * fabs(bias[j]); }
        char what[120];
        snprintf(what, sizeof what, "bf16_gemm_packed %ldx%ldx%ld", m, n, k);
        if (!gru_bf16_gemm_packed(m, n, k, a, lda, packed, bias, 0, c, ldc)) fail(what, "returned 0 on a CPU with bfloat16");
        else expect_close(what, m, n, c, ldc, want, bound);
        // A row's values do not depend on the rows that come with it.
        float *part = malloc(sizeof(float) * (size_t)(m * ldc));
        for (long start = 0; start < m; start += 3) {
            long count = m - start < 5 ? m - start : (start % 2 ? 1 : 5);
            gru_bf16_gemm_packed(count, n, k, a + start * lda, lda, packed, bias, 0, part, ldc);
            checks++;
            int same = 1;
            for (long i = 0; i < count; i++) same &= memcmp(part + i * ldc, c + (start + i) * ldc, sizeof(float) * (size_t)n) == 0;
            if (!same) {
                snprintf(what, sizeof what, "bf16_gemm_packed %ldx%ldx%ld", m, n, k);
                fail(what, "rows computed alone differ from the same rows among the others");
                break;
            }
        }
        free(part);
        reference(0, 0, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc, 1, want, bound);
        snprintf(what, sizeof what, "bf16_gemm %ldx%ldx%ld", m, n, k);
        if (!gru_bf16_gemm(0, 0, m, n, k, a, lda, b, ldb, 0, c, ldc)) fail(what, "returned 0 on a CPU with bfloat16");
        else expect_close(what, m, n, c, ldc, want, bound);
        // Transposed operands, accumulating into C.
        float *at = random_matrix(k * (m + 1)), *bt = random_matrix(n * (k + 1));
        float *c0 = malloc(sizeof(float) * (size_t)(m * ldc));
        memcpy(c0, c, sizeof(float) * (size_t)(m * ldc));
        reference(1, 1, m, n, k, 1.0f, at, m + 1, bt, k + 1, 1.0f, c0, ldc, 1, want, bound);
        snprintf(what, sizeof what, "bf16_gemm %ldx%ldx%ld transposed, accumulating", m, n, k);
        if (!gru_bf16_gemm(1, 1, m, n, k, at, m + 1, bt, k + 1, 1, c, ldc)) fail(what, "returned 0 on a CPU with bfloat16");
        else expect_close(what, m, n, c, ldc, want, bound);
        free(at); free(bt); free(c0);
        free(a); free(b); free(bias); free(packed); free(c); free(want); free(bound);
    }
}

static double sigmoid_d(double x) { return 1 / (1 + exp(-x)); }

// The activations over [-30, 30] and their edges, to an absolute error of 5e-7 and a relative
// one of 2e-6 where the value is small (the x86 levels' accuracy).
static void test_activations(void) {
    long n = 6007;
    float *x = malloc(sizeof(float) * (size_t)n), *y = malloc(sizeof(float) * (size_t)n);
    for (long i = 0; i < n; i++) x[i] = (float)(-30.0 + 60.0 * (double)i / (double)(n - 1));
    x[0] = 0.0f; x[1] = -0.0f; x[2] = 1e-8f; x[3] = -1e-30f; x[4] = 0.004f; x[5] = -0.005f; x[6] = 88.0f; x[7] = -100.0f;
    x[8] = 1e30f; x[9] = -1e30f;
    for (int kind = 0; kind < 2; kind++) {
        memcpy(y, x, sizeof(float) * (size_t)n);
        if (kind == 0) gru_sigmoid(y, n); else gru_tanh(y, n);
        checks++;
        for (long i = 0; i < n; i++) {
            double want = kind == 0 ? sigmoid_d(x[i]) : tanh((double)x[i]);
            double error = fabs(y[i] - want);
            if (!(error <= 5e-7 || error <= 2e-6 * fabs(want))) {
                char detail[160];
                snprintf(detail, sizeof detail, "%s(%.9g) = %.9g, want %.9g", kind ? "tanh" : "sigmoid", x[i], y[i], want);
                fail("activations", detail);
                break;
            }
        }
    }
    free(x); free(y);
}

static void expect_values(const char *what, const float *got, const double *want, long count, double tolerance) {
    checks++;
    for (long i = 0; i < count; i++) {
        double error = fabs(got[i] - want[i]);
        if (!(error <= tolerance * (1 + fabs(want[i])))) {
            char detail[160];
            snprintf(detail, sizeof detail, "value %ld = %.9g, want %.9g", i, got[i], want[i]);
            fail(what, detail);
            return;
        }
    }
}

// The fused gate passes against their formulas in double; a level without them returns 0.
static void test_gates(void) {
    const long sizes[][2] = {{1, 1}, {3, 5}, {2, 16}, {4, 17}, {5, 48}, {3, 130}};
    int ran = 0;
    for (int s = 0; s < 6; s++) {
        long rows = sizes[s][0], u = sizes[s][1], xs = 3 * u + 2, rs = rows * u;
        float *hm = random_matrix(rows * 3 * u), *x = random_matrix(rows * xs), *h = random_matrix(rows * u);
        float *out = malloc(sizeof(float) * (size_t)(rows * u)), *record = malloc(sizeof(float) * (size_t)(4 * rs));
        double *want = malloc(sizeof(double) * (size_t)(4 * rs + rows * 3 * u));
        char what[100];
        // Reset-after forward.
        if (gru_gates_reset_after(rows, u, hm, x, xs, h, out, record, rs, 0, 1, 2, 3)) {
            ran = 1;
            double *wout = want, *wrec = want + rs;
            for (long b = 0; b < rows; b++)
                for (long j = 0; j < u; j++) {
                    const float *m = hm + b * 3 * u, *xr = x + b * xs;
                    double z = sigmoid_d((double)m[j] + xr[j]), r = sigmoid_d((double)m[u + j] + xr[u + j]);
                    double c = tanh(r * m[2 * u + j] + xr[2 * u + j]);
                    wout[b * u + j] = z * h[b * u + j] + (1 - z) * c;
                    wrec[b * u + j] = z; wrec[rs + b * u + j] = r; wrec[2 * rs + b * u + j] = c; wrec[3 * rs + b * u + j] = m[2 * u + j];
                }
            snprintf(what, sizeof what, "gates_reset_after %ldx%ld", rows, u);
            expect_values(what, out, wout, rs, 2e-6);
            expect_values(what, record, wrec, 3 * rs, 2e-6);
            // Backward from random g through the recorded values.
            float *g = random_matrix(rs), *dxp = malloc(sizeof(float) * (size_t)(rows * xs)), *dm = malloc(sizeof(float) * (size_t)(rows * 3 * u));
            float *propagated = malloc(sizeof(float) * (size_t)rs);
            const float *z = record, *r = record + rs, *c = record + 2 * rs, *mh = record + 3 * rs;
            if (!gru_gates_reset_after_backward(rows, u, g, h, z, r, c, mh, dxp, xs, dm, 3 * u, propagated)) {
                fail(what, "the backward pass is missing where the forward one runs");
            } else {
                double *wx = malloc(sizeof(double) * (size_t)(rows * 3 * u)), *wm = malloc(sizeof(double) * (size_t)(rows * 3 * u));
                double *wp = malloc(sizeof(double) * (size_t)rs);
                float *gx = malloc(sizeof(float) * (size_t)(rows * 3 * u));
                for (long b = 0; b < rows; b++)
                    for (long j = 0; j < u; j++) {
                        long i = b * u + j;
                        double dz = (double)g[i] * (h[i] - c[i]) * z[i] * (1 - z[i]);
                        double dc = (double)g[i] * (1 - z[i]) * (1 - (double)c[i] * c[i]);
                        double dr = dc * mh[i] * r[i] * (1 - r[i]);
                        wx[b * 3 * u + j] = dz; wx[b * 3 * u + u + j] = dr; wx[b * 3 * u + 2 * u + j] = dc;
                        wm[b * 3 * u + j] = dz; wm[b * 3 * u + u + j] = dr; wm[b * 3 * u + 2 * u + j] = dc * r[i];
                        wp[i] = (double)g[i] * z[i];
                    }
                for (long b = 0; b < rows; b++) memcpy(gx + b * 3 * u, dxp + b * xs, sizeof(float) * (size_t)(3 * u));
                snprintf(what, sizeof what, "gates_reset_after_backward %ldx%ld", rows, u);
                expect_values(what, gx, wx, rows * 3 * u, 2e-6);
                expect_values(what, dm, wm, rows * 3 * u, 2e-6);
                expect_values(what, propagated, wp, rs, 2e-6);
                free(wx); free(wm); free(wp); free(gx);
            }
            free(g); free(dxp); free(dm); free(propagated);
        }
        // Reset-before: the gate pass, the candidate pass and both backward passes.
        float *hm2 = malloc(sizeof(float) * (size_t)(rows * 3 * u));
        memcpy(hm2, hm, sizeof(float) * (size_t)(rows * 3 * u));
        float *reset_state = malloc(sizeof(float) * (size_t)rs);
        if (gru_gates_reset_before(rows, u, hm2, x, xs, h, reset_state, record, rs, 0, 1, 3)) {
            ran = 1;
            double *wz = want, *wrh = want + rs, *wr = want + 2 * rs;
            for (long b = 0; b < rows; b++)
                for (long j = 0; j < u; j++) {
                    long i = b * u + j;
                    double z = sigmoid_d((double)hm[b * 3 * u + j] + x[b * xs + j]);
                    double r = sigmoid_d((double)hm[b * 3 * u + u + j] + x[b * xs + u + j]);
                    wz[i] = z; wr[i] = r; wrh[i] = r * h[i];
                }
            float *zs = malloc(sizeof(float) * (size_t)rs);
            for (long b = 0; b < rows; b++) memcpy(zs + b * u, hm2 + b * 3 * u, sizeof(float) * (size_t)u);
            snprintf(what, sizeof what, "gates_reset_before %ldx%ld", rows, u);
            expect_values(what, zs, wz, rs, 2e-6);
            expect_values(what, reset_state, wrh, rs, 2e-6);
            expect_values(what, record + rs, wr, rs, 2e-6);
            free(zs);
            if (!gru_candidate_reset_before(rows, u, hm2, x, xs, h, out, record, rs, 2)) {
                fail(what, "the candidate pass is missing where the gate pass runs");
            } else {
                double *wo = want, *wc = want + rs;
                for (long b = 0; b < rows; b++)
                    for (long j = 0; j < u; j++) {
                        long i = b * u + j;
                        double z = hm2[b * 3 * u + j], c = tanh((double)hm2[b * 3 * u + 2 * u + j] + x[b * xs + 2 * u + j]);
                        wo[i] = z * h[i] + (1 - z) * c;
                        wc[i] = c;
                    }
                snprintf(what, sizeof what, "candidate_reset_before %ldx%ld", rows, u);
                expect_values(what, out, wo, rs, 2e-6);
                expect_values(what, record + 2 * rs, wc, rs, 2e-6);
            }
            float *g = random_matrix(rs), *d = random_matrix(rs), *dxp = malloc(sizeof(float) * (size_t)(rows * xs));
            float *dm = malloc(sizeof(float) * (size_t)(rows * 3 * u)), *propagated = malloc(sizeof(float) * (size_t)rs);
            const float *z = record, *r = record + rs, *c = record + 2 * rs;
            if (gru_candidate_reset_before_backward(rows, u, g, h, z, c, dxp, xs, dm, 3 * u, propagated)
                && gru_reset_gate_reset_before_backward(rows, u, d, h, r, dxp, xs, dm, 3 * u, propagated)) {
                double *wx = malloc(sizeof(double) * (size_t)(rows * 3 * u)), *wp = malloc(sizeof(double) * (size_t)rs);
                float *gx = malloc(sizeof(float) * (size_t)(rows * 3 * u)), *gm = malloc(sizeof(float) * (size_t)(rows * 3 * u));
                for (long b = 0; b < rows; b++)
                    for (long j = 0; j < u; j++) {
                        long i = b * u + j;
                        double dz = (double)g[i] * (h[i] - c[i]) * z[i] * (1 - z[i]);
                        double dc = (double)g[i] * (1 - z[i]) * (1 - (double)c[i] * c[i]);
                        double dr = (double)d[i] * h[i] * r[i] * (1 - r[i]);
                        wx[b * 3 * u + j] = dz; wx[b * 3 * u + u + j] = dr; wx[b * 3 * u + 2 * u + j] = dc;
                        wp[i] = (double)g[i] * z[i] + (double)d[i] * r[i];
                    }
                for (long b = 0; b < rows; b++) {
                    memcpy(gx + b * 3 * u, dxp + b * xs, sizeof(float) * (size_t)(3 * u));
                    memcpy(gm + b * 3 * u, dm + b * 3 * u, sizeof(float) * (size_t)(3 * u));
                }
                snprintf(what, sizeof what, "reset_before backward %ldx%ld", rows, u);
                expect_values(what, gx, wx, rows * 3 * u, 2e-6);
                expect_values(what, gm, wx, rows * 3 * u, 2e-6);
                expect_values(what, propagated, wp, rs, 2e-6);
                free(wx); free(wp); free(gx); free(gm);
            } else {
                fail(what, "a backward pass is missing where the forward ones run");
            }
            free(g); free(d); free(dxp); free(dm); free(propagated);
        }
        free(hm); free(hm2); free(x); free(h); free(out); free(record); free(want); free(reset_state);
    }
    if (!ran) printf("gate passes: none at this level (the Swift loops compute them)\n");
}

// Adam's update against its formulas in float, each operation rounded on its own: the same bits
// at every level, for a zero (null) gradient and with amsgrad.
static void test_adam(void) {
#pragma clang fp contract(off)
    static const long lengths[] = {1, 7, 8, 15, 16, 17, 100, 1031};
    for (size_t t = 0; t < sizeof lengths / sizeof lengths[0]; t++) {
        long n = lengths[t];
        for (int variant = 0; variant < 8; variant++) {
            int zero = variant & 1, amsgrad = variant & 2, apart = variant & 4;
            float *w = random_matrix(n), *m = random_matrix(n), *v = random_matrix(n), *vmax = random_matrix(n);
            float *g = random_matrix(n), *sq = random_matrix(n);
            for (long i = 0; i < n; i++) { v[i] = fabsf(v[i]); vmax[i] = fabsf(vmax[i]); sq[i] = g[i] * g[i]; }
            float *w2 = malloc(sizeof(float) * n), *m2 = malloc(sizeof(float) * n), *v2 = malloc(sizeof(float) * n);
            float *vmax2 = malloc(sizeof(float) * n);
            memcpy(w2, w, sizeof(float) * n); memcpy(m2, m, sizeof(float) * n);
            memcpy(v2, v, sizeof(float) * n); memcpy(vmax2, vmax, sizeof(float) * n);
            const float c1 = 1.0f - 0.9f, c2 = 1.0f - 0.999f, alpha = 0.0007f, eps = 1e-7f;
            // In place, or written apart from the weights read.
            float *out = apart ? malloc(sizeof(float) * n) : w;
            gru_adam_update(n, out, w, m, v, amsgrad ? vmax : NULL, zero ? NULL : g, zero ? NULL : sq, c1, c2, alpha, eps);
            if (apart) { memcpy(w, out, sizeof(float) * n); free(out); }
            for (long i = 0; i < n; i++) {
                float gi = zero ? 0.0f : g[i], si = zero ? 0.0f : sq[i];
                float mi = m2[i] + (gi - m2[i]) * c1, vi = v2[i] + (si - v2[i]) * c2, d = vi;
                if (amsgrad) d = vi >= vmax2[i] ? vi : vmax2[i];
                vmax2[i] = amsgrad ? d : vmax2[i];
                m2[i] = mi; v2[i] = vi;
                w2[i] = w2[i] - mi * alpha / (sqrtf(d) + eps);
            }
            checks++;
            if (memcmp(w, w2, sizeof(float) * n) || memcmp(m, m2, sizeof(float) * n) || memcmp(v, v2, sizeof(float) * n)
                || memcmp(vmax, vmax2, sizeof(float) * n)) {
                char detail[160];
                snprintf(detail, sizeof detail, "n %ld, zero gradient %d, amsgrad %d, apart %d: not the formulas' bits", n, zero, amsgrad != 0, apart != 0);
                fail("adam", detail);
            }
            free(w); free(m); free(v); free(vmax); free(g); free(sq); free(w2); free(m2); free(v2); free(vmax2);
        }
    }
}

// RMSprop's update against its formulas in float, likewise: zero gradient, centered, momentum,
// tf.keras 2's epsilon outside the root, in place or apart.
static void test_rmsprop(void) {
#pragma clang fp contract(off)
    static const long lengths[] = {1, 7, 8, 15, 16, 17, 100, 1031};
    for (size_t t = 0; t < sizeof lengths / sizeof lengths[0]; t++) {
        long n = lengths[t];
        for (int variant = 0; variant < 32; variant++) {
            int zero = variant & 1, centered = variant & 2, momentum = variant & 4, outside = variant & 8, apart = variant & 16;
            float *w = random_matrix(n), *v = random_matrix(n), *mom = random_matrix(n), *avg = random_matrix(n);
            float *g = random_matrix(n), *sq = random_matrix(n);
            for (long i = 0; i < n; i++) { v[i] = fabsf(v[i]) + 1; sq[i] = g[i] * g[i]; avg[i] *= 0.5f; }
            float *w2 = malloc(sizeof(float) * n), *v2 = malloc(sizeof(float) * n), *mom2 = malloc(sizeof(float) * n);
            float *avg2 = malloc(sizeof(float) * n);
            memcpy(w2, w, sizeof(float) * n); memcpy(v2, v, sizeof(float) * n);
            memcpy(mom2, mom, sizeof(float) * n); memcpy(avg2, avg, sizeof(float) * n);
            const float rho = 0.9f, c = 1.0f - 0.9f, mo = 0.5f, lr = 0.001f, eps = 1e-7f;
            float *out = apart ? malloc(sizeof(float) * n) : w;
            gru_rmsprop_update(n, out, w, v, momentum ? mom : NULL, centered ? avg : NULL, zero ? NULL : g, zero ? NULL : sq,
                               rho, c, mo, lr, eps, outside != 0);
            if (apart) { memcpy(w, out, sizeof(float) * n); free(out); }
            for (long i = 0; i < n; i++) {
                float gi = zero ? 0.0f : g[i], si = zero ? 0.0f : sq[i];
                v2[i] = rho * v2[i] + c * si;
                float d = v2[i] + eps;
                if (centered) { avg2[i] = rho * avg2[i] + c * gi; d = v2[i] - avg2[i] * avg2[i] + eps; }
                float step = outside ? lr * gi / (sqrtf(d - eps) + eps) : lr * gi / sqrtf(d);
                if (momentum) { mom2[i] = mo * mom2[i] + step; step = mom2[i]; }
                w2[i] = w2[i] - step;
            }
            checks++;
            if (memcmp(w, w2, sizeof(float) * n) || memcmp(v, v2, sizeof(float) * n) || memcmp(mom, mom2, sizeof(float) * n)
                || memcmp(avg, avg2, sizeof(float) * n)) {
                char detail[160];
                snprintf(detail, sizeof detail, "n %ld, variant %d: not the formulas' bits", n, variant);
                fail("rmsprop", detail);
            }
            free(w); free(v); free(mom); free(avg); free(g); free(sq); free(w2); free(v2); free(mom2); free(avg2);
        }
    }
}

// Adagrad's update against its formulas in float, likewise: zero gradient, tf.keras 2's epsilon
// outside the root, in place or apart.
static void test_adagrad(void) {
#pragma clang fp contract(off)
    static const long lengths[] = {1, 7, 8, 15, 16, 17, 100, 1031};
    for (size_t t = 0; t < sizeof lengths / sizeof lengths[0]; t++) {
        long n = lengths[t];
        for (int variant = 0; variant < 8; variant++) {
            int zero = variant & 1, outside = variant & 2, apart = variant & 4;
            float *w = random_matrix(n), *acc = random_matrix(n), *g = random_matrix(n), *sq = random_matrix(n);
            for (long i = 0; i < n; i++) { acc[i] = fabsf(acc[i]) + 0.1f; sq[i] = g[i] * g[i]; }
            float *w2 = malloc(sizeof(float) * n), *acc2 = malloc(sizeof(float) * n);
            memcpy(w2, w, sizeof(float) * n); memcpy(acc2, acc, sizeof(float) * n);
            const float lr = 0.01f, eps = 1e-7f;
            float *out = apart ? malloc(sizeof(float) * n) : w;
            gru_adagrad_update(n, out, w, acc, zero ? NULL : g, zero ? NULL : sq, lr, eps, outside != 0);
            if (apart) { memcpy(w, out, sizeof(float) * n); free(out); }
            for (long i = 0; i < n; i++) {
                float gi = zero ? 0.0f : g[i], si = zero ? 0.0f : sq[i];
                acc2[i] = acc2[i] + si;
                w2[i] = w2[i] - (outside ? lr * gi / (sqrtf(acc2[i]) + eps) : lr * gi / sqrtf(acc2[i] + eps));
            }
            checks++;
            if (memcmp(w, w2, sizeof(float) * n) || memcmp(acc, acc2, sizeof(float) * n)) {
                char detail[160];
                snprintf(detail, sizeof detail, "n %ld, variant %d: not the formulas' bits", n, variant);
                fail("adagrad", detail);
            }
            free(w); free(acc); free(g); free(sq); free(w2); free(acc2);
        }
    }
}

int main(void) {
    printf("kernel level %d, bfloat16 %s\n", gru_kernels_level(), gru_bf16_available() ? "yes" : "no");
    test_sgemm();
    test_packed();
    test_bf16();
    test_activations();
    test_gates();
    test_adam();
    test_rmsprop();
    test_adagrad();
    printf("%d checks, %d failed\n", checks, failures);
    return failures ? 1 : 0;
}
