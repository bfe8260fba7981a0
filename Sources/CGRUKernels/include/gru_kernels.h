#ifndef GRU_KERNELS_H
#define GRU_KERNELS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The instruction set the kernels use on this machine: 0 portable C; on x86 1 AVX2 + FMA and
/// 2 AVX-512; on aarch64 1 NEON. GRU_KERNELS_LEVEL in the environment caps it.
int gru_kernels_level(void);

/// 1 when the fused gate passes (gru_gates_*, gru_candidate_*, gru_reset_gate_*) run vector
/// code at the current level (AVX-512, NEON), 0 when they return 0 and leave the work to the caller.
int gru_fused_gates_available(void);

/// C = alpha * op(A) * op(B) + beta * C, row-major, single precision.
/// op(A) is m x k (A stored k x m when trans_a), op(B) is k x n (B stored n x k when trans_b).
void gru_sgemm(int trans_a, int trans_b, long m, long n, long k, float alpha,
               const float *a, long lda, const float *b, long ldb,
               float beta, float *c, long ldc);

/// Size in floats of the buffer gru_sgemm_pack_b needs for a k x n matrix.
long gru_sgemm_packed_size(long k, long n);

/// The most rows (above one) for which gru_sgemm reads B as it is stored instead of packing
/// it: 4 where a kernel for so few rows exists (AVX-512), else 0. Products of more rows, or
/// on other kernels, pack B first, so a B used many times is better packed once.
long gru_sgemm_direct_rows(void);

/// Packs op(B) (k x n) once, for repeated products with different A.
void gru_sgemm_pack_b(int trans_b, long k, long n, const float *b, long ldb, float *packed);

/// C = A * B + beta * C with B packed by gru_sgemm_pack_b; A is m x k row-major.
void gru_sgemm_packed(long m, long n, long k, const float *a, long lda, const float *packed,
                      float beta, float *c, long ldc);

/// C = A * B + bias (the bias row added to every row of C; NULL for none) with B packed by
/// gru_sgemm_pack_b; A is m x k row-major. C is only written, never read.
void gru_sgemm_packed_bias(long m, long n, long k, const float *a, long lda, const float *packed,
                           const float *bias, float *c, long ldc);

/// Whether this CPU runs the bfloat16 products (AVX512_BF16, and the kernel level not capped).
int gru_bf16_available(void);

/// Size in 16-bit values of the buffer gru_bf16_pack_b needs for a k x n matrix.
long gru_bf16_packed_size(long k, long n);

/// Packs B (k x n, row-major) once as bfloat16 pairs (round to nearest even).
void gru_bf16_pack_b(long k, long n, const float *b, long ldb, unsigned short *packed);

/// C = A * B + bias (NULL for none), or C += A * B when accumulate is not 0, with B packed by
/// gru_bf16_pack_b: A rounded to bfloat16, products summed in float32. Returns 0, writing
/// nothing, when the CPU has no bfloat16 products or scratch memory cannot be had.
int gru_bf16_gemm_packed(long m, long n, long k, const float *a, long lda, const unsigned short *packed,
                         const float *bias, int accumulate, float *c, long ldc);

/// C = op(A) * op(B), or C += op(A) * op(B) when accumulate is not 0, both operands rounded to
/// bfloat16 (op as in gru_sgemm). Returns 0, writing nothing, when the CPU has no bfloat16
/// products or scratch memory cannot be had.
int gru_bf16_gemm(int trans_a, int trans_b, long m, long n, long k, const float *a, long lda,
                  const float *b, long ldb, int accumulate, float *c, long ldc);

/// As gru_sgemm_packed_bias (or, when accumulate is not 0, C += A * B, the bias unused), with
/// every row on the same kernel whatever m (one to four rows included), so that a row's values
/// do not depend on how many rows come with it.
void gru_sgemm_packed_rows(long m, long n, long k, const float *a, long lda, const float *packed,
                           const float *bias, int accumulate, float *c, long ldc);

/// Tests only: when fail is not 0, the kernels' scratch allocations on the calling thread
/// fail, so that the paths that compute without scratch memory run.
void gru_kernels_fail_scratch_allocations(int fail);

/// The CPUs in this process's affinity mask, or 0 where that cannot be read.
int gru_kernels_affinity_cpus(void);

/// The threads the calling thread's work may be split over (0: no limit of its own), set
/// while two halves of a computation run at once, each on its share of the threads.
int gru_kernels_thread_budget(void);
void gru_kernels_set_thread_budget(int count);

/// In place: x = 1 / (1 + exp(-x)).
void gru_sigmoid(float *x, long n);

/// In place: x = tanh(x).
void gru_tanh(float *x, long n);

/// One Adam step (Keras 3's formulas) over n entries, in place: m += (g - m) * c1,
/// v += (sq - v) * c2, with amsgrad (vmax not null) vmax = max(vmax, v), then
/// w = w_in - m * alpha / (sqrt(v or vmax) + eps), where w_in may be w. Null g and sq are a zero
/// gradient. Every level gives the same bits (no fused multiply-add).
void gru_adam_update(long n, float *w, const float *w_in, float *m, float *v, float *vmax, const float *g, const float *sq,
                     float c1, float c2, float alpha, float eps);

/// One RMSprop step over n entries: v = rho * v + c * sq (c = 1 - rho); centered (avg not null)
/// avg = rho * avg + c * g, d = v - avg * avg + eps, else d = v + eps; step = lr * g / sqrt(d)
/// (eps_outside: lr * g / (sqrt(d - eps) + eps)); with momentum (mom not null)
/// mom = momentum * mom + step, w = w_in - mom, else w = w_in - step. w_in may be w; null g and
/// sq are a zero gradient. Every level gives the same bits.
void gru_rmsprop_update(long n, float *w, const float *w_in, float *v, float *mom, float *avg, const float *g, const float *sq,
                        float rho, float c, float momentum, float lr, float eps, int eps_outside);

/// One Adagrad step over n entries: acc += sq; w = w_in - lr * g / sqrt(acc + eps) (eps_outside:
/// lr * g / (sqrt(acc) + eps)). w_in may be w; null g and sq are a zero gradient. Every level
/// gives the same bits.
void gru_adagrad_update(long n, float *w, const float *w_in, float *acc, const float *g, const float *sq, float lr, float eps,
                        int eps_outside);


/// The gates of reset-after GRU rows with sigmoid gates and a tanh candidate, fused:
/// for each row, m = hm holds h @ R + recurrent bias (3u values: z, r, h blocks), and
/// z = sigmoid(xz + mz), r = sigmoid(xr + mr), c = tanh(xh + r * mh), out = c + z * (h - c).
/// x rows are x_stride apart. When record is not NULL, z, r, c and mh are
/// written to record + {z, r, c, aux} * record_stride (rows of u, row-major).
/// Returns 0 when no vector unit is available (the caller then uses its own loops).
int gru_gates_reset_after(long rows, long u, const float *hm, const float *x, long x_stride,
                          const float *h, float *out, float *record, long record_stride,
                          long record_z, long record_r, long record_c, long record_aux);

/// The backward pass through the fused gates of gru_gates_reset_after, for one step of
/// rows: from g = dL/d(new state) and the recorded h, z, r, c and mh, writes
/// dxp = (dz, dr, dc) and dm = (dz, dr, dc * r) (pre-activation gradients, rows of 3u,
/// dxp_stride and dm_stride apart) and propagated = g * z (rows of u).
/// Returns 0 when no vector unit is available.
int gru_gates_reset_after_backward(long rows, long u, const float *g, const float *h, const float *z,
                                   const float *r, const float *c, const float *mh,
                                   float *dxp, long dxp_stride, float *dm, long dm_stride, float *propagated);

/// The first gate pass of reset-before GRU rows with sigmoid gates: hm rows (3u values) hold
/// h @ R for the z and r blocks on entry; z = sigmoid(xz + mz) replaces mz, and r * h goes to
/// reset_state (rows of u), ready for the candidate's product. x rows are x_stride apart. When
/// record is not NULL, z, r and r * h are written to record + {z, r, aux} * record_stride.
/// Returns 0 when no vector unit is available.
int gru_gates_reset_before(long rows, long u, float *hm, const float *x, long x_stride, const float *h,
                           float *reset_state, float *record, long record_stride,
                           long record_z, long record_r, long record_aux);

/// The second pass: with hm's candidate block holding (r * h) @ R_h and its z block z,
/// c = tanh(xh + mh) and out = c + z * (h - c); c is recorded at record + record_c * record_stride.
int gru_candidate_reset_before(long rows, long u, const float *hm, const float *x, long x_stride, const float *h,
                               float *out, float *record, long record_stride, long record_c);

/// Backward through the blend and the candidate of a reset-before step: from g = dL/d(new state)
/// and the recorded h, z and c, writes dz and dc (pre-activation) into the z and candidate blocks
/// of dxp and dm (rows of 3u, their strides apart) and propagated = g * z.
int gru_candidate_reset_before_backward(long rows, long u, const float *g, const float *h, const float *z, const float *c,
                                        float *dxp, long dxp_stride, float *dm, long dm_stride, float *propagated);

/// Backward through the reset gate: from d_reset_state = dc @ R_h^T and the recorded h and r,
/// writes dr into the r blocks of dxp and dm and adds d_reset_state * r to propagated.
int gru_reset_gate_reset_before_backward(long rows, long u, const float *d_reset_state, const float *h, const float *r,
                                         float *dxp, long dxp_stride, float *dm, long dm_stride, float *propagated);

/// Allocates memory for a matrix that products read over and over (a packed kernel), 64-byte
/// aligned; from 512 KiB on, in whole 2 MiB pages marked for transparent huge pages (Linux),
/// so that the matrix stays in L2 whatever the physical pages. NULL when out of memory.
void *gru_matrix_alloc(size_t bytes);

/// Frees memory from gru_matrix_alloc.
void gru_matrix_free(void *p);

/// Asks the C allocator (glibc) to keep freed memory for reuse instead of handing it back
/// to the system at once, so that the large per-call buffers of training do not fault in
/// fresh pages every call. Does nothing on other C libraries.
void gru_kernels_keep_freed_memory(void);

#ifdef __cplusplus
}
#endif

#endif
