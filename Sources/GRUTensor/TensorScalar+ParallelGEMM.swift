import CGRUKernels

extension TensorScalar {
    /// ``parallelGEMM(transposeA:transposeB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)`` in `precision`:
    /// bfloat16 products (for `Float` where they run, `alpha` 1 and `beta` 0 or 1) split over the
    /// cores by columns, else float32.
    package static func parallelGEMM(
        precision: ComputePrecision, transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Self,
        a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
        beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int
    ) {
        guard precision.effective(for: Self.self) == .bfloat16, alpha == 1, beta == 0 || beta == 1 else {
            parallelGEMM(
                transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
            return
        }
        let workers = parallelWorkers(total: m * n * k, minimumPerWorker: 1 << 21)
        // Whole 48-column slivers per worker.
        let chunk = Swift.max(48, ((n + workers - 1) / workers + 47) / 48 * 48)
        parallelFor((n + chunk - 1) / chunk) { worker in
            let j0 = worker * chunk, width = Swift.min(chunk, n - j0)
            let columnsOfB = transposeB ? b + j0 * ldb : b + j0
            let done = gru_bf16_gemm(
                transposeA ? 1 : 0, transposeB ? 1 : 0, m, width, k,
                UnsafeRawPointer(a).assumingMemoryBound(to: Float.self), lda,
                UnsafeRawPointer(columnsOfB).assumingMemoryBound(to: Float.self), ldb, beta == 1 ? 1 : 0,
                UnsafeMutableRawPointer(c + j0).assumingMemoryBound(to: Float.self), ldc)
            if done == 0 {
                gemm(
                    transposeA: transposeA, transposeB: transposeB, m: m, n: width, k: k, alpha: alpha,
                    a: a, lda: lda, b: columnsOfB, ldb: ldb, beta: beta, c: c + j0, ldc: ldc)
            }
        }
    }

    /// ``gemm(transposeA:transposeB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)`` split over the cores
    /// when the product is large enough to gain from it: by rows of `C` when `A` is not
    /// transposed and tall enough, else by columns of `C`.
    package static func parallelGEMM(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Self,
        a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
        beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int
    ) {
        let workers = parallelWorkers(total: m * n * k, minimumPerWorker: 1 << 21)
        if workers > 1, !transposeA, m >= 16 * workers {
            // Split the rows of A and C.
            let chunk = (m + workers - 1) / workers
            parallelFor((m + chunk - 1) / chunk) { worker in
                let i0 = worker * chunk
                gemm(
                    transposeA: false, transposeB: transposeB, m: Swift.min(chunk, m - i0), n: n, k: k, alpha: alpha,
                    a: a + i0 * lda, lda: lda, b: b, ldb: ldb, beta: beta, c: c + i0 * ldc, ldc: ldc)
            }
            return
        }
        // Split the columns of B and C, in multiples of 16.
        let chunk = Swift.max(16, ((n + workers - 1) / workers + 15) / 16 * 16)
        parallelFor((n + chunk - 1) / chunk) { worker in
            let j0 = worker * chunk, width = Swift.min(chunk, n - j0)
            gemm(
                transposeA: transposeA, transposeB: transposeB, m: m, n: width, k: k, alpha: alpha,
                a: a, lda: lda, b: transposeB ? b + j0 * ldb : b + j0, ldb: ldb,
                beta: beta, c: c + j0, ldc: ldc)
        }
    }
}
