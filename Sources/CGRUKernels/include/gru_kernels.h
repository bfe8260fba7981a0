#ifndef GRU_KERNELS_H
#define GRU_KERNELS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The instruction set the kernels use on this machine: 0 portable C, 1 AVX2 + FMA, 2 AVX-512.
int gru_kernels_level(void);

/// C = alpha * op(A) * op(B) + beta * C, row-major, single precision.
/// op(A) is m x k (A stored k x m when trans_a), op(B) is k x n (B stored n x k when trans_b).
void gru_sgemm(int trans_a, int trans_b, long m, long n, long k, float alpha,
               const float *a, long lda, const float *b, long ldb,
               float beta, float *c, long ldc);

/// Size in floats of the buffer gru_sgemm_pack_b needs for a k x n matrix.
long gru_sgemm_packed_size(long k, long n);

/// Packs op(B) (k x n) once, for repeated products with different A.
void gru_sgemm_pack_b(int trans_b, long k, long n, const float *b, long ldb, float *packed);

/// C = A * B + beta * C with B packed by gru_sgemm_pack_b; A is m x k row-major.
void gru_sgemm_packed(long m, long n, long k, const float *a, long lda, const float *packed,
                      float beta, float *c, long ldc);

/// In place: x = 1 / (1 + exp(-x)).
void gru_sigmoid(float *x, long n);

/// In place: x = tanh(x).
void gru_tanh(float *x, long n);

#ifdef __cplusplus
}
#endif

#endif
