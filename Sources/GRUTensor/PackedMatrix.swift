import CGRUKernels

/// A right-hand matrix packed once for many products (when the scalar type has a
/// packed kernel; otherwise products read the matrix as it is), in bfloat16 when asked.
package final class PackedMatrix<Scalar: TensorScalar>: @unchecked Sendable {
    private let source: UnsafePointer<Scalar>
    private let ldb: Int
    private let k: Int
    private let n: Int
    private let packed: UnsafeMutablePointer<Scalar>?
    private let reduced: BFloat16Matrix?

    /// Packs the `k x n` matrix at `source` (rows `ldb` apart). `source` must stay valid
    /// while the packed matrix is used.
    ///
    /// - Parameter precision: bfloat16 packs it as bfloat16 where that runs (see
    ///   ``ComputePrecision/effective(for:)``); products with `beta` 0 or 1 then use it.
    package init(_ source: UnsafePointer<Scalar>, k: Int, n: Int, ldb: Int, precision: ComputePrecision = .float32) {
        self.source = source
        self.k = k
        self.n = n
        self.ldb = ldb
        reduced = precision.effective(for: Scalar.self) == .bfloat16
            ? BFloat16Matrix(UnsafeRawPointer(source).assumingMemoryBound(to: Float.self), k: k, n: n, ldb: ldb) : nil
        let size = reduced == nil ? Scalar.packedSize(k: k, n: n) : 0
        if size > 0, let buffer: UnsafeMutablePointer<Scalar> = allocateMatrix(capacity: size) {
            Scalar.pack(transposeB: false, k: k, n: n, b: source, ldb: ldb, into: buffer)
            packed = buffer
        } else {
            packed = nil
        }
    }

    deinit {
        if let packed { deallocateMatrix(packed) }
    }

    /// Whether products of `rows` rows use a packed right-hand side: not where the kernels
    /// read it as it is stored (two to four rows on AVX-512), and packing would cost more
    /// than it saves. The other kernels pack it for every product, so a matrix many
    /// products read is packed once.
    package static func isWorthPacking(rows: Int) -> Bool { rows == 1 || rows > DirectRows.count }

    /// `C = A * self + beta * C` for `m` rows of `A` (`lda` apart).
    ///
    /// - Parameter everyRow: With `beta` 0 or 1, every row on the same kernel whatever `m`
    ///   (one to four rows included), so that a row's values do not depend on the rows that
    ///   come with it (as compacted batches need).
    package func multiply(
        _ a: UnsafePointer<Scalar>, rows m: Int, lda: Int, beta: Scalar, into c: UnsafeMutablePointer<Scalar>, ldc: Int,
        everyRow: Bool = false
    ) {
        if let reduced, beta == 0 || beta == 1,
           reduced.multiply(
            UnsafeRawPointer(a).assumingMemoryBound(to: Float.self), rows: m, lda: lda, bias: nil, accumulate: beta == 1,
            into: UnsafeMutableRawPointer(c).assumingMemoryBound(to: Float.self), ldc: ldc) {
            return
        }
        if everyRow, beta == 0 || beta == 1, let packed {
            Scalar.gemmPackedEveryRow(m: m, n: n, k: k, a: a, lda: lda, packed: packed, bias: nil, accumulate: beta == 1, c: c, ldc: ldc)
            return
        }
        if Self.isWorthPacking(rows: m), let packed {
            Scalar.gemmPacked(m: m, n: n, k: k, a: a, lda: lda, packed: packed, beta: beta, c: c, ldc: ldc)
        } else {
            Scalar.gemm(transposeA: false, transposeB: false, m: m, n: n, k: k, alpha: 1, a: a, lda: lda, b: source, ldb: ldb, beta: beta, c: c, ldc: ldc)
        }
    }
}

/// ``gru_sgemm_direct_rows()``, read once: the kernel level is fixed for the process. (A
/// generic class cannot hold a static stored property.)
private enum DirectRows {
    static let count = gru_sgemm_direct_rows()
}
